//! The fault strip of a per-variant panel: one lane of labelled chips per
//! overlapping fault above the plot, and the faults' shading through it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::common::{DrawResult, TimeAxis, PLOT_RIGHT_PX};
use super::data::{ChartData, FaultSpan};
use super::style;

/// Height of one lane of fault chips.
pub const LANE_PX: i32 = 20;
/// At most this many lanes; a fault that finds no room in them is still
/// shaded, but not labelled.
pub const MAX_LANES: usize = 6;
/// The longest fault label, in pixels; longer ones end in an ellipsis.
const MAX_LABEL_PX: i32 = 420;

/// A fault's chip in the strip: its interval in pixels, where its label
/// goes, and its lane.
pub struct Chip<'a> {
    pub fault: &'a FaultSpan,
    pub label: String,
    pub x0: i32,
    pub x1: i32,
    /// The label's anchor: its left end, or its right end if `leftwards`.
    pub label_x: i32,
    pub leftwards: bool,
    pub lane: usize,
}

/// Places every fault of a panel in the first lane where neither its
/// interval nor its label overlaps a chip already there.
pub fn fault_chips(faults: &[FaultSpan], axis: TimeAxis) -> Vec<Chip<'_>> {
    let canvas_right = style::WIDTH_PX as i32 - 4;
    let mut lanes_end: Vec<i32> = Vec::new();
    let mut chips = Vec::new();
    let mut order: Vec<&FaultSpan> = faults.iter().collect();
    order.sort_by(|a, b| a.from_ms.total_cmp(&b.from_ms));
    for fault in order {
        let x0 = axis.x(fault.from_ms);
        let x1 = axis.x(fault.to_ms.unwrap_or(fault.from_ms)).max(x0 + 2);
        let label = style::fit_text(&fault.description, style::SMALL_SIZE, MAX_LABEL_PX);
        let width = style::text_width(&label, style::SMALL_SIZE);
        // A label that would run off the canvas ends at the chip's end instead.
        let (label_x, leftwards, start, end) = if x0 + 6 + width + 4 > canvas_right {
            let label_x = x1.min(PLOT_RIGHT_PX) - 5;
            (label_x, true, x0.min(label_x - width - 4), x1.max(label_x))
        } else {
            (x0 + 6, false, x0, x1.max(x0 + 6 + width + 4))
        };
        let lane = match lanes_end.iter().position(|&end_px| end_px + 6 <= start) {
            Some(lane) => lane,
            None if lanes_end.len() < MAX_LANES => {
                lanes_end.push(i32::MIN);
                lanes_end.len() - 1
            }
            None => continue,
        };
        lanes_end[lane] = end;
        chips.push(Chip {
            fault,
            label,
            x0,
            x1,
            label_x,
            leftwards,
            lane,
        });
    }
    chips
}

/// The number of lanes a set of panels needs (the same for every panel,
/// so that panels line up).
pub fn lanes_needed(data: &ChartData, axis: TimeAxis) -> i32 {
    data.variants
        .iter()
        .map(|v| {
            fault_chips(&v.faults, axis)
                .iter()
                .map(|c| c.lane as i32 + 1)
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// Draws a panel's fault chips with their lanes starting at `top`.
pub fn draw_fault_strip<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chips: &[Chip],
    top: i32,
) -> DrawResult<DB> {
    for chip in chips {
        let colour = style::fault_style(chip.fault.kind).colour;
        let y0 = top + chip.lane as i32 * LANE_PX + 1;
        let y1 = y0 + LANE_PX - 3;
        match chip.fault.to_ms {
            Some(_) => {
                root.draw(&Rectangle::new(
                    [(chip.x0, y0), (chip.x1, y1)],
                    colour.mix(style::CHIP_OPACITY).filled(),
                ))?;
                root.draw(&Rectangle::new(
                    [(chip.x0, y0), (chip.x0 + 3, y1)],
                    colour.filled(),
                ))?;
            }
            None => {
                root.draw(&Rectangle::new(
                    [(chip.x0 - 1, y0), (chip.x0 + 1, y1)],
                    colour.filled(),
                ))?;
            }
        }
        let anchor = if chip.leftwards {
            HPos::Right
        } else {
            HPos::Left
        };
        root.draw(&Text::new(
            chip.label.clone(),
            (chip.label_x, (y0 + y1) / 2),
            style::text_style(style::SMALL_SIZE, style::TEXT).pos(Pos::new(anchor, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Shades a panel's faults over its plot area (pixel rows `top..bottom`);
/// instant events get a thin line.
pub fn draw_fault_shading<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    faults: &[FaultSpan],
    axis: TimeAxis,
    top: i32,
    bottom: i32,
) -> DrawResult<DB> {
    for fault in faults {
        let colour = style::fault_style(fault.kind).colour;
        let x0 = axis.x(fault.from_ms);
        match fault.to_ms {
            Some(to_ms) => {
                let x1 = axis.x(to_ms).max(x0 + 2);
                root.draw(&Rectangle::new(
                    [(x0, top), (x1, bottom)],
                    colour.mix(style::SHADE_OPACITY).filled(),
                ))?;
            }
            None => {
                root.draw(&PathElement::new(
                    vec![(x0, top), (x0, bottom)],
                    colour.stroke_width(1),
                ))?;
            }
        }
    }
    Ok(())
}
