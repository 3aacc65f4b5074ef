//! The leader timeline: one band per variant, on the same time axis, that
//! shows which node was the effective leader when (coloured by node and
//! labelled with its id and term), leaderless stretches hatched in dark grey
//! and labelled with their length, disruptions marked, and the same fault
//! strip and shading as the term chart. Draws from `ChartData` only.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::common::{self, DrawResult, LegendEntry, PanelChart, PanelLayout, PanelPlot, Sample};
use super::data::{ChartData, LeaderSpan, VariantData};
use super::style;
use crate::table::duration_ms;

/// The height of a variant's plot: at least, at most.
const PLOT_PX: (i32, i32) = (84, 150);
const PANEL_GAP_PX: i32 = 14;

/// Fractions of the plot height (0 at the bottom): the band, and the row
/// below it for the lengths of leaderless stretches.
const BAND_BOTTOM: f64 = 0.32;
const BAND_TOP: f64 = 0.82;
const GAP_LABEL_Y: f64 = 0.15;

/// Narrowest a leaderless stretch is drawn, in pixels, so that it shows.
const MIN_GAP_PX: i32 = 2;

/// Leaderless stretches are labelled with their length only when a
/// variant has at most this many (else the panel title gives the total).
const MAX_GAP_LABELS: usize = 12;

fn legend(data: &ChartData) -> Vec<LegendEntry> {
    let marks = vec![
        LegendEntry {
            sample: Sample::Hatched(style::NO_LEADER),
            text: "no effective leader".into(),
        },
        LegendEntry {
            sample: Sample::Triangle,
            text: "disruption (leader deposed)".into(),
        },
    ];
    common::node_legend(data, Sample::Block, marks)
}

fn layout(data: &ChartData) -> PanelLayout {
    common::panel_layout(data, &legend(data), PANEL_GAP_PX, PLOT_PX)
}

pub fn size(data: &ChartData) -> (u32, u32) {
    (style::WIDTH_PX, layout(data).height_px)
}

pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData) -> DrawResult<DB> {
    let layout = layout(data);
    let results = data.results;
    common::draw_header(
        root,
        &format!("Leader timeline — {}", results.scenario),
        &format!(
            "Effective leader over virtual time (a live leader that a majority follows in its term); seed {}, {} nodes.",
            results.seed, results.nodes
        ),
        &legend(data),
    )?;

    for (i, variant) in data.variants.iter().enumerate() {
        let m = &variant.result.metrics;
        let summary = format!(
            "{} · leaderless {} · unavailable {}",
            common::plural(m.leader_changes, "leader change", "leader changes"),
            duration_ms(m.leaderless_ms),
            duration_ms(m.unavailable_ms)
        );
        common::draw_variant_panel(
            root,
            data,
            &layout,
            i,
            &summary,
            0.0..1.0,
            "leader",
            |chart, plot| draw_band(root, chart, plot, variant),
        )?;
    }
    Ok(())
}

/// The vertical extent of the leader band and where gap labels go, in pixels.
struct Band {
    top: i32,
    bottom: i32,
    gap_label_y: i32,
}

/// The plot of one variant's panel: faults, then the leader band with its
/// leaderless stretches and disruptions.
fn draw_band<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &PanelChart<DB>,
    plot: &PanelPlot,
    variant: &VariantData,
) -> DrawResult<DB> {
    let axis = plot.axis;
    let y_px = |fraction: f64| chart.backend_coord(&(0.0, fraction)).1;
    plot.draw_faults(root, y_px(1.0), y_px(0.0))?;
    let band = Band {
        top: y_px(BAND_TOP),
        bottom: y_px(BAND_BOTTOM),
        gap_label_y: y_px(GAP_LABEL_Y),
    };
    let gaps = variant
        .leaders
        .iter()
        .filter(|s| s.leader.is_none())
        .count();
    // Where the last gap label ends; None when gaps are too many to label.
    let mut gap_label_end = (gaps <= MAX_GAP_LABELS).then_some(i32::MIN);
    for (k, span) in variant.leaders.iter().enumerate() {
        match span.leader {
            Some(node) => draw_leader_span(root, axis, &band, span, node, k > 0)?,
            None => draw_gap(root, axis, &band, span, &mut gap_label_end)?,
        }
    }
    for d in &variant.disruptions {
        common::triangle(root, axis.x(d.at_ms), band.top - 8, 6)?;
    }
    Ok(())
}

/// A stretch led by `node`: its colour, a separator from the previous
/// stretch, and "node N · term T" where it fits.
fn draw_leader_span<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axis: common::TimeAxis,
    band: &Band,
    span: &LeaderSpan,
    node: u32,
    separated: bool,
) -> DrawResult<DB> {
    let (x0, x1) = (axis.x(span.from_ms), axis.x(span.to_ms));
    let colour = style::node_colour(node);
    root.draw(&Rectangle::new(
        [(x0, band.top), (x1, band.bottom)],
        colour.filled(),
    ))?;
    if separated {
        root.draw(&PathElement::new(
            vec![(x0, band.top), (x0, band.bottom)],
            style::WHITE.stroke_width(1),
        ))?;
    }
    let long = match span.term {
        Some(term) => format!("node {node} · term {term}"),
        None => format!("node {node}"),
    };
    let room = x1 - x0 - 8;
    let label = [long, node.to_string()]
        .into_iter()
        .find(|text| style::text_width(text, style::LABEL_SIZE) <= room);
    if let Some(label) = label {
        root.draw(&Text::new(
            label,
            ((x0 + x1) / 2, (band.top + band.bottom) / 2),
            style::text_style(style::LABEL_SIZE, style::text_on(colour))
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// A stretch without an effective leader: outlined and hatched (at least
/// `MIN_GAP_PX` wide), with its length below the band unless that label
/// would touch the previous one (`label_end`, None: no labels at all).
fn draw_gap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axis: common::TimeAxis,
    band: &Band,
    span: &LeaderSpan,
    label_end: &mut Option<i32>,
) -> DrawResult<DB> {
    let (x0, x1) = (axis.x(span.from_ms), axis.x(span.to_ms));
    let (g0, g1) = if x1 - x0 < MIN_GAP_PX {
        let mid = (x0 + x1) / 2;
        (mid - MIN_GAP_PX / 2, mid - MIN_GAP_PX / 2 + MIN_GAP_PX)
    } else {
        (x0, x1)
    };
    let corners = [(g0, band.top), (g1, band.bottom)];
    if g1 - g0 <= 4 {
        // Too narrow to hatch: solid.
        root.draw(&Rectangle::new(corners, style::NO_LEADER.filled()))?;
    } else {
        root.draw(&Rectangle::new(corners, style::WHITE.filled()))?;
        common::hatch(root, corners, style::NO_LEADER)?;
    }
    root.draw(&Rectangle::new(corners, style::NO_LEADER.stroke_width(2)))?;
    let Some(end) = label_end.as_mut() else {
        return Ok(());
    };
    let text = format!("no leader {}", duration_ms(span.to_ms - span.from_ms));
    let width = style::text_width(&text, style::SMALL_SIZE);
    let centre = ((g0 + g1) / 2)
        .min(axis.right_px - width / 2)
        .max(axis.left_px + width / 2);
    if centre - width / 2 > *end + 8 {
        *end = centre + width / 2;
        root.draw(&Text::new(
            text,
            (centre, band.gap_label_y),
            style::text_style(style::SMALL_SIZE, style::NO_LEADER)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}
