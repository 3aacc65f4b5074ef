//! The term-growth chart: one panel per variant, all on the same axes;
//! virtual time on x, term on y (linear, or log(term + 1) when terms
//! explode); one step line per node in its fixed colour; faults shaded and
//! labelled; disruptions ringed. Draws from `ChartData` only.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::common::{self, DrawResult, LegendEntry, PanelChart, PanelLayout, PanelPlot, Sample};
use super::data::{ChartData, VariantData};
use super::style;
use super::ticks;

/// The y axis: which terms are ticked and where a term is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct TermScale {
    pub log: bool,
    /// The term at the top of the axis.
    pub top: u64,
}

/// A linear axis has at most this many intervals (a panel is short).
const LINEAR_INTERVALS: u32 = 5;

impl TermScale {
    /// The axis ends on a round term above the highest one reached.
    pub fn new(max_term: u64, log: bool) -> TermScale {
        let above = max_term as f64 + 1.0;
        let top = if log {
            let candidates = ticks::log_candidates(above);
            candidates.last().copied().unwrap_or(above)
        } else {
            let step = ticks::linear_step(above, LINEAR_INTERVALS);
            (above / step).ceil() * step
        };
        TermScale {
            log,
            top: top as u64,
        }
    }

    /// Where a term sits on the axis (plot units).
    pub fn y(&self, term: u64) -> f64 {
        if self.log {
            (term as f64 + 1.0).log10()
        } else {
            term as f64
        }
    }

    pub fn y_top(&self) -> f64 {
        self.y(self.top)
    }

    /// Tick terms, bottom up, before thinning out crowded ones.
    pub fn ticks(&self) -> Vec<u64> {
        let top = self.top as f64;
        if self.log {
            ticks::log_candidates(top)
                .into_iter()
                .filter(|&t| t <= top)
                .map(|t| t as u64)
                .collect()
        } else {
            let step = ticks::linear_step(top, LINEAR_INTERVALS);
            let n = (top / step).floor() as u64;
            (0..=n).map(|k| (k as f64 * step) as u64).collect()
        }
    }
}

const MIN_PLOT_PX: i32 = 180;
const PANEL_GAP_PX: i32 = 16;

fn legend(data: &ChartData) -> Vec<LegendEntry> {
    let mut marks = vec![LegendEntry {
        sample: Sample::Ring,
        text: "disruption (leader deposed)".into(),
    }];
    if data
        .variants
        .iter()
        .any(|v| v.outside.iter().any(|o| !o.is_empty()))
    {
        marks.push(LegendEntry {
            sample: Sample::Dashed(style::MUTED, OUTSIDE_DASH),
            text: "dashed: outside the configuration".into(),
        });
    }
    common::node_legend(data, Sample::Line, marks)
}

fn layout(data: &ChartData) -> PanelLayout {
    common::panel_layout(data, &legend(data), PANEL_GAP_PX, (MIN_PLOT_PX, i32::MAX))
}

pub fn size(data: &ChartData) -> (u32, u32) {
    (style::WIDTH_PX, layout(data).height_px)
}

/// The y offset in pixels of a node's line, so that nodes that agree on a
/// term show as a bundle instead of hiding each other.
fn offset_px(node: u32, nodes: u32) -> i32 {
    let step = if nodes <= 5 { 2 } else { 1 };
    (node as i32 - 1) * step - ((nodes as i32 - 1) * step) / 2
}

/// How a node's line is dashed while it is outside the configuration.
const OUTSIDE_DASH: (u32, u32) = (5, 4);

/// `[0, end_ms]` cut at the edges of the `outside` stretches, each piece
/// with whether the node was outside the configuration then.
fn stretches(outside: &[(f64, f64)], end_ms: f64) -> Vec<(f64, f64, bool)> {
    let mut pieces = Vec::with_capacity(outside.len() * 2 + 1);
    let mut at_ms = 0.0;
    for &(from_ms, to_ms) in outside {
        if from_ms > at_ms {
            pieces.push((at_ms, from_ms, false));
        }
        if to_ms > from_ms {
            pieces.push((from_ms, to_ms, true));
        }
        at_ms = at_ms.max(to_ms);
    }
    if end_ms > at_ms || pieces.is_empty() {
        pieces.push((at_ms, end_ms.max(at_ms), false));
    }
    pieces
}

/// The corners of a step line of `(at_ms, term)` steps (sorted by time,
/// the first at 0 ms) from `from_ms` to `to_ms`.
fn step_line(steps: &[(f64, u64)], from_ms: f64, to_ms: f64) -> Vec<(f64, u64)> {
    let first = steps.partition_point(|&(at_ms, _)| at_ms <= from_ms);
    let mut term = steps[..first].last().map_or(0, |&(_, term)| term);
    let mut corners = vec![(from_ms, term)];
    for &(at_ms, next) in steps[first..]
        .iter()
        .take_while(|&&(at_ms, _)| at_ms < to_ms)
    {
        corners.push((at_ms, term));
        corners.push((at_ms, next));
        term = next;
    }
    corners.push((to_ms, term));
    corners
}

/// Drops points that add nothing to a step line in pixel space.
pub(super) fn push_point(points: &mut Vec<(i32, i32)>, p: (i32, i32)) {
    if points.last() == Some(&p) {
        return;
    }
    if let [.., a, b] = points.as_slice() {
        if (a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1) {
            let last = points.len() - 1;
            points[last] = p;
            return;
        }
    }
    points.push(p);
}

pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    log: bool,
) -> DrawResult<DB> {
    let layout = layout(data);
    let scale = TermScale::new(data.max_term(), log);
    let results = data.results;
    let y_note = if log {
        "y axis: log scale (term + 1)"
    } else {
        "y axis: linear"
    };
    common::draw_header(
        root,
        &format!("Term growth — {}", results.scenario),
        &format!(
            "Term of each node over virtual time; seed {}, {} nodes; faults shaded; {y_note}.",
            results.seed, results.nodes
        ),
        &legend(data),
    )?;

    let label_style = style::text_style(style::SMALL_SIZE, style::MUTED);
    for (i, variant) in data.variants.iter().enumerate() {
        let m = &variant.result.metrics;
        let summary = format!(
            "max term {} · term inflation {} · {}",
            m.max_term,
            m.term_inflation,
            common::plural(m.disruptions, "disruption", "disruptions")
        );
        let y_desc = if log { "term (log scale)" } else { "term" };
        common::draw_variant_panel(
            root,
            data,
            &layout,
            i,
            &summary,
            0.0..scale.y_top(),
            y_desc,
            |chart, plot| draw_terms(root, chart, plot, data, variant, &scale, &label_style),
        )?;
    }
    Ok(())
}

/// The plot of one variant's panel: y ticks, faults, a step line per node
/// and the disruption rings.
fn draw_terms<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &PanelChart<DB>,
    plot: &PanelPlot,
    data: &ChartData,
    variant: &VariantData,
    scale: &TermScale,
    label_style: &TextStyle,
) -> DrawResult<DB> {
    let axis = plot.axis;
    let y_px = |term: u64| chart.backend_coord(&(0.0, scale.y(term))).1;
    let (plot_bottom, plot_top_px) = (y_px(0), chart.backend_coord(&(0.0, scale.y_top())).1);

    // Ticks on y, thinned so that labels never touch.
    let mut last_tick_px = i32::MAX;
    for term in scale.ticks() {
        let y = y_px(term);
        if last_tick_px - y < 16 {
            continue;
        }
        last_tick_px = y;
        if term > 0 {
            root.draw(&PathElement::new(
                vec![(axis.left_px, y), (axis.right_px, y)],
                style::GRID.stroke_width(1),
            ))?;
        }
        root.draw(&PathElement::new(
            vec![(axis.left_px - 5, y), (axis.left_px, y)],
            style::AXIS.stroke_width(1),
        ))?;
        root.draw(&Text::new(
            term.to_string(),
            (axis.left_px - 8, y),
            label_style.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }

    plot.draw_faults(root, plot_top_px, plot_bottom)?;

    for (index, steps) in variant.terms.iter().enumerate() {
        let node = index as u32 + 1;
        let dy = offset_px(node, data.nodes);
        let x_px = |at_ms: f64| match at_ms >= variant.end_ms {
            true => axis.end_px(variant.end_ms),
            false => axis.x(at_ms),
        };
        let point = |(at_ms, term): (f64, u64)| (x_px(at_ms), y_px(term) + dy);
        // Solid while in the configuration, thin and dashed while outside.
        for (from_ms, to_ms, outside) in stretches(&variant.outside[index], variant.end_ms) {
            let mut points = Vec::new();
            for p in step_line(steps, from_ms, to_ms) {
                push_point(&mut points, point(p));
            }
            let colour = style::node_colour(node);
            match outside {
                false => root.draw(&PathElement::new(points, colour.stroke_width(2)))?,
                true => root.draw(&DashedPathElement::new(
                    points,
                    OUTSIDE_DASH.0,
                    OUTSIDE_DASH.1,
                    colour.stroke_width(1),
                ))?,
            }
        }
    }

    for d in &variant.disruptions {
        let centre = (
            axis.x(d.at_ms),
            y_px(d.term) + offset_px(d.node, data.nodes),
        );
        root.draw(&Circle::new(centre, 6, style::WHITE.stroke_width(3)))?;
        root.draw(&Circle::new(centre, 6, style::DISRUPTION.stroke_width(2)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_alternate_inside_and_outside() {
        assert_eq!(stretches(&[], 10.0), vec![(0.0, 10.0, false)]);
        assert_eq!(
            stretches(&[(0.0, 3.0), (6.0, 10.0)], 10.0),
            vec![(0.0, 3.0, true), (3.0, 6.0, false), (6.0, 10.0, true)]
        );
    }

    #[test]
    fn a_step_line_starts_at_the_term_then_and_ends_at_the_edge() {
        let steps = [(0.0, 0), (2.0, 1), (5.0, 3)];
        assert_eq!(
            step_line(&steps, 3.0, 8.0),
            vec![(3.0, 1), (5.0, 1), (5.0, 3), (8.0, 3)]
        );
        assert_eq!(step_line(&steps, 0.0, 2.0), vec![(0.0, 0), (2.0, 0)]);
    }

    #[test]
    fn linear_axis_tops_out_on_a_round_number() {
        let scale = TermScale::new(272, false);
        assert_eq!(scale.top, 300);
        assert_eq!(scale.ticks(), vec![0, 100, 200, 300]);
        assert_eq!(TermScale::new(0, false).top, 1);
        assert_eq!(TermScale::new(3, false).ticks(), vec![0, 1, 2, 3, 4]);
        // At most five intervals, the top one included.
        let scale = TermScale::new(110, false);
        assert_eq!(scale.top, 150);
        assert_eq!(scale.ticks(), vec![0, 50, 100, 150]);
    }

    #[test]
    fn log_axis_ticks_one_two_five() {
        let scale = TermScale::new(272, true);
        assert_eq!(scale.top, 500);
        assert_eq!(scale.ticks(), vec![0, 1, 2, 5, 10, 20, 50, 100, 200, 500]);
        assert_eq!(scale.y(0), 0.0);
        assert_eq!(TermScale::new(0, true).top, 1);
        assert_eq!(TermScale::new(1, true).top, 2);
    }

    #[test]
    fn offsets_centre_the_bundle() {
        let five: Vec<i32> = (1..=5).map(|n| offset_px(n, 5)).collect();
        assert_eq!(five, vec![-4, -2, 0, 2, 4]);
        let nine: Vec<i32> = (1..=9).map(|n| offset_px(n, 9)).collect();
        assert_eq!(nine, vec![-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    }

    #[test]
    fn step_points_collapse_runs() {
        let mut points = Vec::new();
        for p in [(0, 10), (5, 10), (9, 10), (9, 8), (9, 6), (9, 6), (12, 6)] {
            push_point(&mut points, p);
        }
        assert_eq!(points, vec![(0, 10), (9, 10), (9, 6), (12, 6)]);
    }
}
