//! One panel of the distribution chart: a metric, each variant's sorted
//! values as a step line from 0% to 100%, the grid and the tick labels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::common::{self, DrawResult};
use super::super::style;
use super::super::term_growth::push_point;
use super::axis::{clean, fitting_ticks, Unit, XAxis};
use super::{CdfOptions, SweepSamples, VariantSamples};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Metric {
    /// Pooled: one value per election, not per seed.
    Settled,
    Leaderless,
    Failover,
    MaxTerm,
}

pub(super) const METRICS: [Metric; 4] = [
    Metric::Settled,
    Metric::Leaderless,
    Metric::Failover,
    Metric::MaxTerm,
];

impl Metric {
    pub(super) fn title(self) -> &'static str {
        match self {
            Metric::Leaderless => "leaderless time",
            Metric::Failover => "failover time",
            Metric::Settled => "time to settle",
            Metric::MaxTerm => "max term",
        }
    }

    /// The x axis description, before its unit and scale.
    pub(super) fn axis(self) -> &'static str {
        match self {
            Metric::Leaderless => "leaderless time per seed",
            Metric::Failover => "worst failover per seed",
            Metric::Settled => "time to settle, every failover of every seed",
            Metric::MaxTerm => "max term per seed",
        }
    }

    pub(super) fn unit(self) -> Unit {
        match self {
            Metric::Settled | Metric::Leaderless | Metric::Failover => Unit::Milliseconds,
            Metric::MaxTerm => Unit::Term,
        }
    }

    pub(super) fn values(self, v: &VariantSamples) -> Vec<f64> {
        match self {
            Metric::Leaderless => clean(v.leaderless_ms.iter().copied()),
            Metric::Failover => clean(v.failover_ms.iter().copied()),
            Metric::Settled => clean(v.settled_ms.iter().copied()),
            Metric::MaxTerm => clean(v.max_term.iter().map(|&t| t as f64)),
        }
    }
}

/// A panel: one metric, each variant's sorted values and the axis.
pub(super) struct Panel {
    metric: Metric,
    values: Vec<Vec<f64>>,
    axis: XAxis,
}

pub(super) fn panels(samples: &SweepSamples, options: CdfOptions) -> Vec<Panel> {
    METRICS
        .iter()
        .map(|&metric| {
            let values: Vec<Vec<f64>> = samples.variants.iter().map(|v| metric.values(v)).collect();
            // The published rings must fit on the pooled panel's axis too.
            let published: Vec<f64> = match (metric, &samples.published) {
                (Metric::Settled, Some(p)) => p.points.iter().map(|point| point.ms).collect(),
                _ => Vec::new(),
            };
            let axis = if published.is_empty() {
                XAxis::new(&values, metric.unit(), options.x_scale)
            } else {
                let mut with = values.clone();
                with.push(clean(published.into_iter()));
                XAxis::new(&with, metric.unit(), options.x_scale)
            };
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
pub(super) const PANEL_PX: i32 = TITLE_ROW_PX + PLOT_PX + X_TICKS_PX + X_DESC_PX + PANEL_GAP_PX;

/// The y offset in pixels of a variant's line, so that variants with the
/// same distribution show as a bundle instead of hiding each other. One
/// pixel apart (half a percent): more would make lines seem to stop short
/// of 100%.
fn offset_px(index: usize, variants: usize) -> i32 {
    let step = if variants <= 9 { 1 } else { 0 };
    index as i32 * step - (variants.saturating_sub(1) as i32 * step) / 2
}

/// The muted words after a panel's title.
fn summary(panel: &Panel, samples: &SweepSamples) -> String {
    match panel.metric {
        Metric::Leaderless => "no effective leader, over the whole run (leaderless_ms)".into(),
        Metric::Settled => match &samples.published {
            Some(p) => format!("pooled (settled_ms); rings: {}", p.source),
            None => "pooled: from losing the effective leader until every running voter follows one (settled_ms)"
                .into(),
        },
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

/// Where a panel's plot sits on the canvas and how values map into it.
struct Frame<'a> {
    axis: &'a XAxis,
    left_px: i32,
    right_px: i32,
    top_px: i32,
    bottom_px: i32,
    x_px: &'a dyn Fn(f64) -> i32,
    y_px: &'a dyn Fn(f64) -> i32,
}

pub(super) fn draw_panel<DB: DrawingBackend>(
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
        .x_desc(axis.description(panel.metric.axis()))
        .y_desc(match panel.metric {
            Metric::Settled => "failovers settled at or below (%)",
            Metric::Leaderless | Metric::Failover | Metric::MaxTerm => "seeds at or below (%)",
        })
        .draw()?;

    let x_range = axis.range();
    let x_px = |value: f64| chart.backend_coord(&(axis.t(value), 0.0)).0;
    let y_px = |fraction: f64| chart.backend_coord(&(x_range.start, fraction)).1;
    let frame = Frame {
        axis,
        left_px: chart.backend_coord(&(x_range.start, 0.0)).0,
        right_px: chart.backend_coord(&(x_range.end, 0.0)).0,
        top_px: y_px(1.03),
        bottom_px: y_px(-0.03),
        x_px: &x_px,
        y_px: &y_px,
    };
    draw_grid(root, &frame)?;
    draw_steps(root, &frame, &panel.values)?;
    if panel.metric == Metric::Settled {
        draw_published(root, &frame, samples)?;
    }
    if panel.values.iter().all(Vec::is_empty) {
        draw_note(root, &frame, samples, panel.metric)?;
    }
    Ok(())
}

/// A grid line across the plot, its tick mark outside it and its label
/// beyond the mark.
fn draw_tick<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: [(i32, i32); 2],
    mark: [(i32, i32); 2],
    label: (String, (i32, i32), Pos),
) -> DrawResult<DB> {
    root.draw(&PathElement::new(
        grid.to_vec(),
        style::GRID.stroke_width(1),
    ))?;
    root.draw(&PathElement::new(
        mark.to_vec(),
        style::AXIS.stroke_width(1),
    ))?;
    let (text, at, pos) = label;
    root.draw(&Text::new(
        text,
        at,
        style::text_style(style::SMALL_SIZE, style::MUTED).pos(pos),
    ))?;
    Ok(())
}

/// The quarters on y (0% to 100%) and the ticks on x that fit.
fn draw_grid<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Frame) -> DrawResult<DB> {
    for quarter in 0..=4 {
        let y = (f.y_px)(f64::from(quarter) / 4.0);
        draw_tick(
            root,
            [(f.left_px, y), (f.right_px, y)],
            [(f.left_px - 5, y), (f.left_px, y)],
            (
                format!("{}%", quarter * 25),
                (f.left_px - 8, y),
                Pos::new(HPos::Right, VPos::Center),
            ),
        )?;
    }
    for tick in fitting_ticks(f.axis, f.x_px) {
        let x = (f.x_px)(tick);
        draw_tick(
            root,
            [(x, f.top_px), (x, f.bottom_px)],
            [(x, f.bottom_px), (x, f.bottom_px + 5)],
            (
                f.axis.label(tick),
                (x, f.bottom_px + 8),
                Pos::new(HPos::Center, VPos::Top),
            ),
        )?;
    }
    Ok(())
}

/// One step line per variant, from its least value at 0% to its greatest
/// at 100%, no tails: where a line ends is the variant's worst seed.
fn draw_steps<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Frame,
    values: &[Vec<f64>],
) -> DrawResult<DB> {
    let n_variants = values.len();
    for (i, values) in values.iter().enumerate() {
        if values.is_empty() {
            continue;
        }
        let dy = offset_px(i, n_variants);
        let n = values.len();
        let mut points = Vec::new();
        let mut below = 0;
        while below < n {
            let value = values[below];
            let mut upto = below;
            while upto < n && values[upto] == value {
                upto += 1;
            }
            let x = (f.x_px)(value);
            push_point(&mut points, (x, (f.y_px)(below as f64 / n as f64) + dy));
            push_point(&mut points, (x, (f.y_px)(upto as f64 / n as f64) + dy));
            below = upto;
        }
        common::variant_line(root, points, style::variant_style(i), 2)?;
    }
    Ok(())
}

/// Each published percentile as a ring in its variant's colour, where
/// raftsim's line would pass if it agreed.
fn draw_published<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Frame,
    samples: &SweepSamples,
) -> DrawResult<DB> {
    let Some(published) = &samples.published else {
        return Ok(());
    };
    for point in &published.points {
        let Some(i) = samples
            .variants
            .iter()
            .position(|v| v.label == point.variant)
        else {
            continue;
        };
        let centre = ((f.x_px)(point.ms), (f.y_px)(point.quantile));
        let colour = style::variant_colour(i);
        root.draw(&Circle::new(centre, 6, style::WHITE.filled()))?;
        root.draw(&Circle::new(centre, 6, colour.stroke_width(2)))?;
    }
    Ok(())
}

/// Why a panel has no line at all, in its middle.
fn draw_note<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Frame,
    samples: &SweepSamples,
    metric: Metric,
) -> DrawResult<DB> {
    let note = match (samples.seed_count(), metric) {
        (0, _) => "no seeds",
        (_, Metric::Failover | Metric::Settled) => "no seed had a completed failover",
        (_, Metric::Leaderless | Metric::MaxTerm) => "no values",
    };
    root.draw(&Text::new(
        note,
        ((f.left_px + f.right_px) / 2, (f.top_px + f.bottom_px) / 2),
        style::text_style(style::LABEL_SIZE, style::MUTED)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_centre_the_bundle() {
        let five: Vec<i32> = (0..5).map(|i| offset_px(i, 5)).collect();
        assert_eq!(five, vec![-2, -1, 0, 1, 2]);
        assert_eq!(offset_px(0, 1), 0);
        assert_eq!(offset_px(30, 40), 0);
    }
}
