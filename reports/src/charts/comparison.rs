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

struct Panel {
    title: &'static str,
    explanation: &'static str,
    unit: Unit,
    value: fn(&Metrics) -> f64,
}

/// The panels, in reading order (left to right, then down).
const PANELS: [Panel; 6] = [
    Panel {
        title: "term inflation",
        explanation: "terms burnt without electing a leader",
        unit: Unit::Terms,
        value: |m| m.term_inflation as f64,
    },
    Panel {
        title: "disruptions",
        explanation: "leaders deposed by a higher term",
        unit: Unit::Count,
        value: |m| m.disruptions as f64,
    },
    Panel {
        title: "leader changes",
        explanation: "elections won after the first leader",
        unit: Unit::Count,
        value: |m| m.leader_changes as f64,
    },
    Panel {
        title: "elections started",
        explanation: "real campaigns: a node raised its term",
        unit: Unit::Count,
        value: |m| m.elections_started as f64,
    },
    Panel {
        title: "leaderless time",
        explanation: "no effective leader, whole run",
        unit: Unit::Milliseconds,
        value: |m| m.leaderless_ms,
    },
    Panel {
        title: "unavailable time",
        explanation: "proposals pending, commit index stuck",
        unit: Unit::Milliseconds,
        value: |m| m.unavailable_ms,
    },
];

const COLUMNS: i32 = 2;
const COLUMN_GAP_PX: i32 = 48;
const PANEL_HEAD_PX: i32 = 54;
const MIN_ROW_PX: i32 = 30;
const MAX_ROW_PX: i32 = 44;
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
    let row_px =
        ((room / rows() - PANEL_HEAD_PX - PANEL_FOOT_PX) / n).clamp(MIN_ROW_PX, MAX_ROW_PX);
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
    let unit_note = match panel.unit {
        Unit::Count => "count",
        Unit::Terms => "terms",
        Unit::Milliseconds => "virtual time",
    };
    root.draw(&Text::new(
        format!("{} ({unit_note})", panel.title),
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
        .map(|v| (panel.value)(&v.result.metrics).max(0.0))
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
            value_text(panel.unit, value),
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
