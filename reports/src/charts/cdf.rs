//! The distribution chart of a sweep: the empirical CDF over seeds of
//! leaderless time, worst failover and max term, one panel per metric
//! stacked on one canvas, one step line per variant in its variant colour.
//! Owns `SweepSamples` (plain per-variant values, one per seed) and the x
//! axis rule (linear, or log(x + 1) when values span orders of magnitude).
//! Never reads files and knows nothing of the CLI. Values are sorted here,
//! so the same seeds give the same bytes in any order of records: a sweep
//! and its merged shards draw identical files.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use sim_core::sweep::SeedRecord;

use super::common::{self, DrawResult, LegendEntry, Sample};
use super::term_growth::push_point;
use super::{encode_png, raster, style, ticks, ChartError};

/// File name of the chart, without extension.
pub const STEM: &str = "distributions";

/// With `XScale::Auto`, a panel's x axis is logarithmic when its largest
/// value is more than this many times its smallest positive one.
pub const LOG_X_ABOVE_RATIO: f64 = 100.0;

/// The most variants the chart draws (the scenario limit).
pub const MAX_VARIANTS: usize = sim_core::scenario::MAX_VARIANTS;

/// How each panel's x axis is scaled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XScale {
    /// Per panel: logarithmic when max / min(positive) > `LOG_X_ABOVE_RATIO`.
    #[default]
    Auto,
    Linear,
    /// log(x + 1), so that 0 ms and term 0 have a place.
    Log,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CdfOptions {
    pub x_scale: XScale,
}

/// One variant's values, one per seed (any order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VariantSamples {
    pub label: String,
    pub leaderless_ms: Vec<f64>,
    /// Each seed's worst failover (`failover_ms.max`), for the seeds that
    /// had at least one completed failover; the others are left out, as
    /// "no failover" is not a failover of 0 ms.
    pub failover_ms: Vec<f64>,
    pub max_term: Vec<u64>,
    /// Every election of every seed, pooled (the thesis' Figure 9.8 plots
    /// this distribution per timeout range).
    pub election_ms: Vec<f64>,
}

/// What the distribution chart draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSamples {
    pub scenario: String,
    /// The half-open seed range swept.
    pub seeds: [u64; 2],
    pub variants: Vec<VariantSamples>,
}

impl SweepSamples {
    /// The samples of a sweep's records (any order), for the variants
    /// `labels`; a record without one of them contributes nothing to it.
    pub fn from_records(
        scenario: &str,
        seeds: [u64; 2],
        labels: &[String],
        records: &[SeedRecord],
    ) -> SweepSamples {
        let mut variants: Vec<VariantSamples> = labels
            .iter()
            .map(|label| VariantSamples {
                label: label.clone(),
                ..VariantSamples::default()
            })
            .collect();
        for record in records {
            for (i, samples) in variants.iter_mut().enumerate() {
                // Records list variants in the sweep's order; look further
                // only for a hand-edited file.
                let run = match record.variants.get(i) {
                    Some(run) if run.label == samples.label => Some(run),
                    _ => record.variants.iter().find(|r| r.label == samples.label),
                };
                if let Some(run) = run {
                    let m = &run.metrics;
                    samples.leaderless_ms.push(m.leaderless_ms);
                    if let Some(max) = m.failover_ms.max {
                        samples.failover_ms.push(max);
                    }
                    samples.max_term.push(m.max_term);
                    let elections = run.samples.election_us.iter();
                    samples
                        .election_ms
                        .extend(elections.map(|&us| us as f64 / 1000.0));
                }
            }
        }
        SweepSamples {
            scenario: scenario.to_string(),
            seeds,
            variants,
        }
    }

    /// How many seeds the samples cover: the most any variant has.
    pub fn seed_count(&self) -> usize {
        self.variants
            .iter()
            .map(|v| v.leaderless_ms.len().max(v.max_term.len()))
            .max()
            .unwrap_or(0)
    }
}

/// What a panel's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Milliseconds,
    Term,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Metric {
    /// Pooled: one value per election, not per seed.
    Election,
    Leaderless,
    Failover,
    MaxTerm,
}

const METRICS: [Metric; 4] = [
    Metric::Election,
    Metric::Leaderless,
    Metric::Failover,
    Metric::MaxTerm,
];

impl Metric {
    fn title(self) -> &'static str {
        match self {
            Metric::Election => "election time",
            Metric::Leaderless => "leaderless time",
            Metric::Failover => "failover time",
            Metric::MaxTerm => "max term",
        }
    }

    /// The x axis description, before its unit and scale.
    fn axis(self) -> &'static str {
        match self {
            Metric::Election => "election time, every election of every seed",
            Metric::Leaderless => "leaderless time per seed",
            Metric::Failover => "worst failover per seed",
            Metric::MaxTerm => "max term per seed",
        }
    }

    fn unit(self) -> Unit {
        match self {
            Metric::Election | Metric::Leaderless | Metric::Failover => Unit::Milliseconds,
            Metric::MaxTerm => Unit::Term,
        }
    }

    fn values(self, v: &VariantSamples) -> Vec<f64> {
        match self {
            Metric::Election => clean(v.election_ms.iter().copied()),
            Metric::Leaderless => clean(v.leaderless_ms.iter().copied()),
            Metric::Failover => clean(v.failover_ms.iter().copied()),
            Metric::MaxTerm => clean(v.max_term.iter().map(|&t| t as f64)),
        }
    }
}

/// Values beyond this are drawn at it, so that axis arithmetic stays finite.
const MAX_VALUE: f64 = 1e300;

/// A linear x axis has at most this many intervals (a panel is wide).
const LINEAR_INTERVALS: u32 = 8;

/// Finite values, negatives (and -0) as 0, at most `MAX_VALUE`, sorted:
/// the CDF of a multiset, whatever order it came in.
fn clean(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut out: Vec<f64> = values
        .filter(|v| v.is_finite())
        .map(|v| if v > 0.0 { v.min(MAX_VALUE) } else { 0.0 })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// A tick label: "0", "2.5", "0.001"; from a million on "1e6", "1.5e19".
fn number_label(value: f64) -> String {
    if value.abs() < 1e6 {
        return common::seconds_label(&value);
    }
    let text = format!("{value:.2e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        None => text,
    }
}

/// A panel's x axis: the scale, the range of values it shows and its unit.
#[derive(Clone, Debug, PartialEq)]
struct XAxis {
    log: bool,
    lo: f64,
    hi: f64,
    unit: Unit,
    /// Milliseconds are labelled in seconds on long axes.
    seconds: bool,
}

impl XAxis {
    /// The axis for `values` (each sorted, non-negative, finite).
    fn new(values: &[Vec<f64>], unit: Unit, scale: XScale) -> XAxis {
        let max = values
            .iter()
            .filter_map(|v| v.last().copied())
            .fold(0.0, f64::max);
        let min = values
            .iter()
            .filter_map(|v| v.first().copied())
            .fold(f64::INFINITY, f64::min);
        let min_positive = values
            .iter()
            .filter_map(|v| v.iter().copied().find(|&x| x > 0.0))
            .fold(f64::INFINITY, f64::min);
        let log = match scale {
            XScale::Auto => min_positive.is_finite() && max / min_positive > LOG_X_ABOVE_RATIO,
            XScale::Linear => false,
            XScale::Log => true,
        };
        let (lo, hi) = if log {
            let candidates = ticks::log_candidates(max);
            let lo = if min.is_finite() {
                candidates
                    .iter()
                    .copied()
                    .filter(|&c| c <= min)
                    .fold(0.0, f64::max)
            } else {
                0.0
            };
            let hi = candidates
                .iter()
                .copied()
                .find(|&c| c >= max && c > lo)
                .unwrap_or(max);
            // Past the candidates (values near f64::MAX): a decade above.
            let hi = match (hi > lo, lo > 0.0) {
                (true, _) => hi,
                (false, true) => lo * 10.0,
                (false, false) => 1.0,
            };
            (lo, hi)
        } else {
            let step = ticks::linear_step(max, LINEAR_INTERVALS);
            (0.0, ((max / step).ceil() * step).max(step))
        };
        XAxis {
            log,
            lo,
            hi,
            unit,
            seconds: unit == Unit::Milliseconds && hi >= 5_000.0,
        }
    }

    /// Where a value sits on the axis (plot units).
    fn t(&self, value: f64) -> f64 {
        if self.log {
            (value + 1.0).log10()
        } else {
            value
        }
    }

    /// The plotted x range: the values' range and a little room either side.
    fn range(&self) -> std::ops::Range<f64> {
        let (a, b) = (self.t(self.lo), self.t(self.hi));
        let pad = (b - a) * 0.02;
        a - pad..b + pad
    }

    /// Tick values before thinning.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            ticks::log_candidates(self.hi)
                .into_iter()
                .filter(|&c| c >= self.lo && c <= self.hi)
                .collect()
        } else {
            let step = ticks::linear_step(self.hi, LINEAR_INTERVALS);
            let n = (self.hi / step).round() as u64;
            (0..=n.min(100)).map(|k| k as f64 * step).collect()
        }
    }

    fn label(&self, value: f64) -> String {
        if self.seconds {
            number_label(value / 1_000.0)
        } else {
            number_label(value)
        }
    }

    fn description(&self, metric: Metric) -> String {
        let scale = match (self.log, self.unit) {
            (false, _) => "",
            (true, Unit::Milliseconds) => ", log scale",
            (true, Unit::Term) => ", log scale of term + 1",
        };
        let unit = match (self.unit, self.seconds) {
            (Unit::Milliseconds, true) => "s",
            (Unit::Milliseconds, false) => "ms",
            (Unit::Term, _) => "term",
        };
        format!("{} ({unit}{scale})", metric.axis())
    }
}

/// A panel: one metric, each variant's sorted values and the axis.
struct Panel {
    metric: Metric,
    values: Vec<Vec<f64>>,
    axis: XAxis,
}

fn panels(samples: &SweepSamples, options: CdfOptions) -> Vec<Panel> {
    METRICS
        .iter()
        .map(|&metric| {
            let values: Vec<Vec<f64>> = samples.variants.iter().map(|v| metric.values(v)).collect();
            let axis = XAxis::new(&values, metric.unit(), options.x_scale);
            Panel {
                metric,
                values,
                axis,
            }
        })
        .collect()
}

const TITLE_ROW_PX: i32 = 30;
const PLOT_PX: i32 = 210;
const X_TICKS_PX: i32 = 26;
const X_DESC_PX: i32 = 24;
const PANEL_GAP_PX: i32 = 20;
const PANEL_PX: i32 = TITLE_ROW_PX + PLOT_PX + X_TICKS_PX + X_DESC_PX + PANEL_GAP_PX;
/// Least gap between two tick labels on x, in pixels.
const TICK_GAP_PX: i32 = 12;

fn legend(samples: &SweepSamples) -> Vec<LegendEntry> {
    samples
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| LegendEntry {
            sample: Sample::Line(style::variant_colour(i)),
            text: v.label.clone(),
        })
        .collect()
}

fn header_px(samples: &SweepSamples) -> i32 {
    common::header_height(&legend(samples))
}

/// Canvas size in pixels (width, height).
pub fn size(samples: &SweepSamples) -> (u32, u32) {
    let height = header_px(samples) + METRICS.len() as i32 * PANEL_PX;
    (
        style::WIDTH_PX,
        height.max(style::MIN_HEIGHT_PX as i32) as u32,
    )
}

/// The y offset in pixels of a variant's line, so that variants with the
/// same distribution show as a bundle instead of hiding each other. One
/// pixel apart (half a percent): more would make lines seem to stop short
/// of 100%.
fn offset_px(index: usize, variants: usize) -> i32 {
    let step = if variants <= 9 { 1 } else { 0 };
    index as i32 * step - (variants.saturating_sub(1) as i32 * step) / 2
}

fn seeds_text(samples: &SweepSamples) -> String {
    let [a, b] = samples.seeds;
    let width = b.saturating_sub(a);
    let n = samples.seed_count() as u64;
    if n == 0 {
        format!("no seeds in {a}..{b}")
    } else if n == width {
        format!("seeds {a}..{b} ({})", common::plural(n, "seed", "seeds"))
    } else if n < width {
        format!("{n} of the {width} seeds {a}..{b}")
    } else {
        format!("{n} seeds, range {a}..{b}")
    }
}

/// The muted words after a panel's title.
fn summary(panel: &Panel, samples: &SweepSamples) -> String {
    match panel.metric {
        Metric::Election => {
            "pooled: from losing the effective leader to a leader of a higher term (election_ms)"
                .into()
        }
        Metric::Leaderless => "no effective leader, over the whole run (leaderless_ms)".into(),
        Metric::MaxTerm => "the highest term any node reached (max_term)".into(),
        Metric::Failover => {
            let left_out: Vec<String> = samples
                .variants
                .iter()
                .filter_map(|v| {
                    let missing = v.leaderless_ms.len().saturating_sub(v.failover_ms.len());
                    (missing > 0).then(|| format!("{} {missing}", v.label))
                })
                .collect();
            let rest = if samples.seed_count() == 0 {
                "no seeds".to_string()
            } else if left_out.is_empty() {
                "every seed had one".to_string()
            } else {
                format!(
                    "seeds without a completed failover left out: {}",
                    left_out.join(", ")
                )
            };
            format!("the worst failover of each seed (failover_ms.max); {rest}")
        }
    }
}

/// Tick values whose labels fit side by side; on a crowded log axis only
/// 0 and the powers of ten.
fn fitting_ticks(axis: &XAxis, x_px: &dyn Fn(f64) -> i32) -> Vec<f64> {
    let greedy = |ticks: &[f64]| -> (Vec<f64>, bool) {
        let mut kept = Vec::new();
        let mut right_px = i32::MIN;
        let mut dropped = false;
        for &tick in ticks {
            let width = style::text_width(&axis.label(tick), style::SMALL_SIZE);
            let x0 = x_px(tick) - width / 2;
            if right_px != i32::MIN && x0 < right_px + TICK_GAP_PX {
                dropped = true;
                continue;
            }
            right_px = x0 + width;
            kept.push(tick);
        }
        (kept, dropped)
    };
    let all = axis.ticks();
    let (kept, dropped) = greedy(&all);
    if !dropped || !axis.log {
        return kept;
    }
    let decades: Vec<f64> = all
        .into_iter()
        .filter(|&t| t == 0.0 || (t.log10() - t.log10().round()).abs() < 1e-9)
        .collect();
    greedy(&decades).0
}

fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    samples: &SweepSamples,
    panel: &Panel,
    top: i32,
) -> DrawResult<DB> {
    common::draw_panel_title(
        root,
        panel.metric.title(),
        &summary(panel, samples),
        top + 4,
    )?;
    let plot_top = top + TITLE_ROW_PX;
    let area = root.clone().shrink(
        (0, plot_top),
        (style::WIDTH_PX, (PLOT_PX + X_TICKS_PX + X_DESC_PX) as u32),
    );
    let axis = &panel.axis;
    let mut chart = ChartBuilder::on(&area)
        .margin_left(common::MARGIN_LEFT_PX)
        .margin_right(common::MARGIN_RIGHT_PX)
        .x_label_area_size(X_TICKS_PX + X_DESC_PX)
        .y_label_area_size(common::Y_LABEL_AREA_PX)
        .build_cartesian_2d(axis.range(), -0.03..1.03)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .axis_style(style::AXIS)
        .axis_desc_style(style::text_style(style::LABEL_SIZE, style::TEXT))
        .x_desc(axis.description(panel.metric))
        .y_desc(match panel.metric {
            Metric::Election => "elections at or below (%)",
            Metric::Leaderless | Metric::Failover | Metric::MaxTerm => "seeds at or below (%)",
        })
        .draw()?;

    let x_range = axis.range();
    let left_px = chart.backend_coord(&(x_range.start, 0.0)).0;
    let right_px = chart.backend_coord(&(x_range.end, 0.0)).0;
    let x_px = |value: f64| chart.backend_coord(&(axis.t(value), 0.0)).0;
    let y_px = |fraction: f64| chart.backend_coord(&(x_range.start, fraction)).1;
    let (bottom_px, top_px) = (y_px(-0.03), y_px(1.03));
    let label_style = style::text_style(style::SMALL_SIZE, style::MUTED);

    for quarter in 0..=4 {
        let fraction = f64::from(quarter) / 4.0;
        let y = y_px(fraction);
        root.draw(&PathElement::new(
            vec![(left_px, y), (right_px, y)],
            style::GRID.stroke_width(1),
        ))?;
        root.draw(&PathElement::new(
            vec![(left_px - 5, y), (left_px, y)],
            style::AXIS.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            format!("{}%", quarter * 25),
            (left_px - 8, y),
            label_style.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    for tick in fitting_ticks(axis, &x_px) {
        let x = x_px(tick);
        root.draw(&PathElement::new(
            vec![(x, top_px), (x, bottom_px)],
            style::GRID.stroke_width(1),
        ))?;
        root.draw(&PathElement::new(
            vec![(x, bottom_px), (x, bottom_px + 5)],
            style::AXIS.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            axis.label(tick),
            (x, bottom_px + 8),
            label_style.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }

    let n_variants = panel.values.len();
    for (i, values) in panel.values.iter().enumerate() {
        if values.is_empty() {
            continue;
        }
        let dy = offset_px(i, n_variants);
        let n = values.len();
        // From the least value at 0% to the greatest at 100%, no tails:
        // where a line ends is the variant's worst seed.
        let mut points = Vec::new();
        let mut below = 0;
        while below < n {
            let value = values[below];
            let mut upto = below;
            while upto < n && values[upto] == value {
                upto += 1;
            }
            let x = x_px(value);
            push_point(&mut points, (x, y_px(below as f64 / n as f64) + dy));
            push_point(&mut points, (x, y_px(upto as f64 / n as f64) + dy));
            below = upto;
        }
        root.draw(&PathElement::new(
            points,
            style::variant_colour(i).stroke_width(2),
        ))?;
    }

    if panel.values.iter().all(Vec::is_empty) {
        let note = match (samples.seed_count(), panel.metric) {
            (0, _) => "no seeds",
            (_, Metric::Failover | Metric::Election) => "no seed had a completed failover",
            (_, Metric::Leaderless | Metric::MaxTerm) => "no values",
        };
        root.draw(&Text::new(
            note,
            ((left_px + right_px) / 2, (top_px + bottom_px) / 2),
            style::text_style(style::LABEL_SIZE, style::MUTED)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    samples: &SweepSamples,
    options: CdfOptions,
) -> DrawResult<DB> {
    root.fill(&style::WHITE)?;
    common::draw_header(
        root,
        &format!("Distributions over seeds — {}", samples.scenario),
        &format!(
            "Empirical CDF per variant: the share of seeds at or below each value; {}; \
             failover time is each seed's worst failover (failover_ms.max).",
            seeds_text(samples)
        ),
        &legend(samples),
    )?;
    let header_px = header_px(samples);
    for (p, panel) in panels(samples, options).iter().enumerate() {
        draw_panel(root, samples, panel, header_px + p as i32 * PANEL_PX)?;
    }
    root.present()
}

fn check(samples: &SweepSamples) -> Result<(), ChartError> {
    if samples.variants.len() > MAX_VARIANTS {
        return Err(ChartError::Invalid {
            path: "variants".into(),
            reason: format!(
                "{} variants: the distribution chart is drawn for at most {MAX_VARIANTS}",
                samples.variants.len()
            ),
        });
    }
    Ok(())
}

/// The chart as an SVG document.
pub fn svg(samples: &SweepSamples, options: CdfOptions) -> Result<String, ChartError> {
    style::ensure_font()?;
    check(samples)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size(samples)).into_drawing_area();
        draw(&root, samples, options).map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    Ok(svg)
}

/// The chart as a PNG image.
pub fn png(samples: &SweepSamples, options: CdfOptions) -> Result<Vec<u8>, ChartError> {
    style::ensure_font()?;
    check(samples)?;
    let (width, height) = size(samples);
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let root = raster::GlyphText {
            inner: BitMapBackend::with_buffer(&mut rgb, (width, height)),
        }
        .into_drawing_area();
        draw(&root, samples, options).map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    encode_png(&rgb, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(values: &[&[f64]], unit: Unit, scale: XScale) -> XAxis {
        let values: Vec<Vec<f64>> = values.iter().map(|v| clean(v.iter().copied())).collect();
        XAxis::new(&values, unit, scale)
    }

    #[test]
    fn the_axis_turns_logarithmic_past_a_hundredfold_spread() {
        let prevote_apart = axis(
            &[&[125.0, 600.0], &[29_700.0, 29_850.0]],
            Unit::Milliseconds,
            XScale::Auto,
        );
        assert!(prevote_apart.log);
        assert_eq!((prevote_apart.lo, prevote_apart.hi), (100.0, 50_000.0));
        assert!(prevote_apart.seconds);
        let close = axis(&[&[273.0, 701.0]], Unit::Milliseconds, XScale::Auto);
        assert!(!close.log);
        assert_eq!((close.lo, close.hi), (0.0, 800.0));
        // Zeros do not count towards the spread, but have a place at 0.
        let zeros = axis(&[&[0.0, 0.0, 3.0, 900.0]], Unit::Term, XScale::Auto);
        assert!(zeros.log);
        assert_eq!((zeros.lo, zeros.hi), (0.0, 1000.0));
        assert_eq!(zeros.t(0.0), 0.0);
        assert!(!axis(&[&[0.0, 5.0]], Unit::Term, XScale::Auto).log);
    }

    #[test]
    fn degenerate_values_still_get_an_axis() {
        for (values, scale) in [
            (&[][..], XScale::Auto),
            (&[0.0, 0.0][..], XScale::Auto),
            (&[0.0][..], XScale::Log),
            (&[5.0, 5.0][..], XScale::Log),
            (&[5.0, 5.0][..], XScale::Linear),
            (&[f64::MAX][..], XScale::Auto),
            (&[1e300, 1.0][..], XScale::Auto),
        ] {
            let a = axis(&[values], Unit::Milliseconds, scale);
            assert!(a.hi > a.lo, "{values:?} {scale:?}: {a:?}");
            let r = a.range();
            assert!(r.start.is_finite() && r.end.is_finite() && r.end > r.start);
            assert!(!a.ticks().is_empty());
        }
    }

    #[test]
    fn linear_ticks_are_round() {
        let a = axis(&[&[3.0, 4.0]], Unit::Term, XScale::Auto);
        assert_eq!(a.ticks(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        let a = axis(&[&[650.0]], Unit::Milliseconds, XScale::Auto);
        assert_eq!(a.hi, 700.0);
        assert_eq!(a.ticks().len(), 8);
    }

    #[test]
    fn tick_labels_stay_short() {
        let labels: Vec<String> = [0.0, 2.5, 0.001, 250.0, 999_999.0, 1e6, 1.5e19, 5e300]
            .into_iter()
            .map(number_label)
            .collect();
        assert_eq!(
            labels,
            ["0", "2.5", "0.001", "250", "999999", "1e6", "1.5e19", "5e300"]
        );
    }

    #[test]
    fn dirty_values_are_cleaned_and_sorted() {
        assert_eq!(
            clean([3.0, f64::NAN, -0.0, -2.0, 1.0, f64::INFINITY].into_iter()),
            vec![0.0, 0.0, 1.0, 3.0]
        );
    }

    #[test]
    fn offsets_centre_the_bundle() {
        let five: Vec<i32> = (0..5).map(|i| offset_px(i, 5)).collect();
        assert_eq!(five, vec![-2, -1, 0, 1, 2]);
        assert_eq!(offset_px(0, 1), 0);
        assert_eq!(offset_px(30, 40), 0);
    }
}
