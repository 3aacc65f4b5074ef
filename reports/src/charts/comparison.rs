//! The comparison chart: the headline metrics side by side, one small panel
//! per metric (units differ, so each has its own scale), one labelled
//! horizontal bar per variant with its value written at its end. Draws
//! from `ChartData` only.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use sim_core::metrics::Metrics;

use super::common::{self, DrawResult, LegendEntry, Sample, MARGIN_LEFT_PX};
use super::data::ChartData;
use super::style;
use crate::table::duration_ms;

/// How a metric's values read.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Count,
    Terms,
    Milliseconds,
}

/// One panel: a metric by its key in the results JSON (docs/METRICS.md)
/// and what it counts. Its title and unit come from the key, so the chart
/// names each metric as the results do.
struct Panel {
    key: &'static str,
    explanation: &'static str,
}

impl Panel {
    const fn of(key: &'static str, explanation: &'static str) -> Panel {
        Panel { key, explanation }
    }

    /// The key in words: `term_inflation` reads "term inflation",
    /// `leaderless_ms` "leaderless time".
    fn title(&self) -> String {
        match self.key.strip_suffix("_ms") {
            Some(name) => format!("{} time", name.replace('_', " ")),
            None => self.key.replace('_', " "),
        }
    }

    /// A key's unit is in its name (`_ms`); a count of terms starts with one.
    fn unit(&self) -> Unit {
        if self.key.ends_with("_ms") {
            Unit::Milliseconds
        } else if self.key.starts_with("term") {
            Unit::Terms
        } else {
            Unit::Count
        }
    }

    /// The metric of one variant; none reads 0.
    fn value(&self, metrics: &Metrics) -> f64 {
        metrics.get(self.key).unwrap_or(0.0).max(0.0)
    }
}

/// The panels, in reading order (left to right, then down).
const PANELS: [Panel; 6] = [
    Panel::of("term_inflation", "terms burnt without electing a leader"),
    Panel::of("disruptions", "leaders deposed by a higher term"),
    Panel::of("leader_changes", "elections won after the first leader"),
    Panel::of(
        "elections_started",
        "real campaigns: a node raised its term",
    ),
    Panel::of("leaderless_ms", "no effective leader, whole run"),
    Panel::of("unavailable_ms", "proposals pending, commit index stuck"),
];

const COLUMNS: i32 = 2;
const COLUMN_GAP_PX: i32 = 48;
const PANEL_HEAD_PX: i32 = 54;
/// The height of a variant's bar row: at least, at most.
const ROW_PX: (i32, i32) = (30, 44);
const PANEL_FOOT_PX: i32 = 26;
const VALUE_ROOM_PX: i32 = 78;
const MAX_LABEL_PX: i32 = 220;

fn legend(data: &ChartData) -> Vec<LegendEntry> {
    data.variants
        .iter()
        .enumerate()
        .map(|(i, v)| LegendEntry {
            sample: Sample::VariantBar(style::variant_style(i)),
            text: v.result.label.clone(),
        })
        .collect()
}

fn rows() -> i32 {
    (PANELS.len() as i32 + COLUMNS - 1) / COLUMNS
}

/// (header height, bar row height, panel height, canvas height).
fn layout(data: &ChartData) -> (i32, i32, i32, u32) {
    let header_px = common::header_height(&legend(data));
    let n = data.variants.len() as i32;
    let room = style::MIN_HEIGHT_PX as i32 - header_px - 10;
    let row_px = ((room / rows() - PANEL_HEAD_PX - PANEL_FOOT_PX) / n).clamp(ROW_PX.0, ROW_PX.1);
    let panel_px = PANEL_HEAD_PX + n * row_px + PANEL_FOOT_PX;
    let height_px = (header_px + rows() * panel_px + 10).max(style::MIN_HEIGHT_PX as i32);
    (header_px, row_px, panel_px, height_px as u32)
}

pub fn size(data: &ChartData) -> (u32, u32) {
    (style::WIDTH_PX, layout(data).3)
}

fn value_text(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Count | Unit::Terms => format!("{value:.0}"),
        Unit::Milliseconds => duration_ms(value),
    }
}

/// Where a panel goes and how wide the variant labels are, in pixels.
struct Place {
    left: i32,
    right: i32,
    top: i32,
    row_px: i32,
    label_px: i32,
}

pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData) -> DrawResult<DB> {
    let (header_px, row_px, panel_px, _) = layout(data);
    let results = data.results;
    common::draw_header(
        root,
        &format!("Comparison — {}", results.scenario),
        &format!(
            "Headline metrics per variant; seed {}, {} nodes, {} virtual. Each panel has its own scale.",
            results.seed,
            results.nodes,
            crate::table::virtual_time(results)
        ),
        &legend(data),
    )?;

    let panel_width =
        (style::WIDTH_PX as i32 - 2 * MARGIN_LEFT_PX - (COLUMNS - 1) * COLUMN_GAP_PX) / COLUMNS;
    let label_px = data
        .variants
        .iter()
        .map(|v| style::text_width(&v.result.label, style::LABEL_SIZE))
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL_PX);

    for (p, panel) in PANELS.iter().enumerate() {
        let column = p as i32 % COLUMNS;
        let row = p as i32 / COLUMNS;
        let left = MARGIN_LEFT_PX + column * (panel_width + COLUMN_GAP_PX);
        let place = Place {
            left,
            right: left + panel_width,
            top: header_px + row * panel_px,
            row_px,
            label_px,
        };
        draw_panel(root, data, panel, &place)?;
    }
    Ok(())
}

/// One metric: its title and explanation, then a labelled bar per variant.
fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    panel: &Panel,
    place: &Place,
) -> DrawResult<DB> {
    let Place {
        left,
        right,
        top,
        row_px,
        label_px,
    } = *place;
    let panel_width = right - left;
    let unit_note = match panel.unit() {
        Unit::Count => "count",
        Unit::Terms => "terms",
        Unit::Milliseconds => "virtual time",
    };
    root.draw(&Text::new(
        format!("{} ({unit_note})", panel.title()),
        (left, top),
        style::text_style(style::PANEL_TITLE_SIZE, style::TEXT),
    ))?;
    root.draw(&Text::new(
        style::fit_text(panel.explanation, style::SMALL_SIZE, panel_width),
        (left, top + 26),
        style::text_style(style::SMALL_SIZE, style::MUTED),
    ))?;

    let values: Vec<f64> = data
        .variants
        .iter()
        .map(|v| panel.value(&v.result.metrics))
        .collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let bar_left = left + label_px + 10;
    let bar_right = right - VALUE_ROOM_PX;
    let bars_top = top + PANEL_HEAD_PX;
    let bars_bottom = bars_top + values.len() as i32 * row_px;
    for (i, (variant, &value)) in data.variants.iter().zip(&values).enumerate() {
        let mid = bars_top + i as i32 * row_px + row_px / 2;
        let label = style::fit_text(&variant.result.label, style::LABEL_SIZE, label_px);
        root.draw(&Text::new(
            label,
            (bar_left - 8, mid),
            style::text_style(style::LABEL_SIZE, style::TEXT)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        let length = if max > 0.0 {
            ((value / max) * f64::from(bar_right - bar_left)).round() as i32
        } else {
            0
        };
        let bar_half = (row_px * 2 / 3) / 2;
        if length > 0 {
            common::variant_bar(
                root,
                [
                    (bar_left, mid - bar_half),
                    (bar_left + length, mid + bar_half),
                ],
                style::variant_style(i),
            )?;
        }
        root.draw(&Text::new(
            value_text(panel.unit(), value),
            (bar_left + length + 6, mid),
            style::text_style(style::LABEL_SIZE, style::TEXT)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    root.draw(&PathElement::new(
        vec![(bar_left, bars_top - 2), (bar_left, bars_bottom + 2)],
        style::AXIS.stroke_width(1),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_panel_reads_a_metric_that_always_has_a_value() {
        let metrics = Metrics::default();
        for panel in &PANELS {
            assert!(Metrics::is_key(panel.key), "{} is not a metric", panel.key);
            assert_eq!(metrics.get(panel.key), Some(0.0), "{}", panel.key);
        }
    }

    #[test]
    fn a_panel_takes_its_title_and_unit_from_the_key() {
        let titles: Vec<(String, bool)> = PANELS
            .iter()
            .map(|p| (p.title(), p.unit() == Unit::Milliseconds))
            .collect();
        assert_eq!(titles[0], ("term inflation".to_string(), false));
        assert_eq!(titles[4], ("leaderless time".to_string(), true));
        assert!(PANELS[0].unit() == Unit::Terms && PANELS[1].unit() == Unit::Count);
    }
}
