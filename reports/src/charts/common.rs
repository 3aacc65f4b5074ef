//! Drawing pieces that several charts share: the header (title, subtitle,
//! legend), the time axis and the frame of the per-variant panels (the
//! fault strip above each is `fault_strip`'s). Pure layout and drawing; no
//! knowledge of which chart it is part of.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{ChartData, FaultSpan};
use super::fault_strip::{
    draw_fault_shading, draw_fault_strip, fault_chips, lanes_needed, LANE_PX,
};
use super::style::{self, FaultStyle};
use crate::table::duration_ms;

pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Left edge of every panel's plot area and its right margin, in pixels:
/// the same for every chart so that time axes line up in a report.
pub const MARGIN_LEFT_PX: i32 = 16;
pub const Y_LABEL_AREA_PX: i32 = 80;
pub const MARGIN_RIGHT_PX: i32 = 36;
pub const PLOT_LEFT_PX: i32 = MARGIN_LEFT_PX + Y_LABEL_AREA_PX;
pub const PLOT_RIGHT_PX: i32 = style::WIDTH_PX as i32 - MARGIN_RIGHT_PX;

/// Maps virtual time to the x pixel of the panels' plot areas.
#[derive(Clone, Copy)]
pub struct TimeAxis {
    pub duration_ms: f64,
    pub left_px: i32,
    pub right_px: i32,
}

impl TimeAxis {
    /// The axis as the layout plans it, before a chart is built.
    pub fn nominal(duration_ms: f64) -> TimeAxis {
        TimeAxis {
            duration_ms,
            left_px: PLOT_LEFT_PX,
            right_px: PLOT_RIGHT_PX,
        }
    }

    /// The axis exactly as a built chart (x in seconds) maps it.
    pub fn of_chart<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
        chart: &ChartContext<DB, Cartesian2d<RangedCoordf64, Y>>,
        duration_ms: f64,
    ) -> TimeAxis {
        let left_px = chart.backend_coord(&(0.0, 0.0)).0;
        let right_px = chart.backend_coord(&(duration_ms / 1000.0, 0.0)).0;
        TimeAxis {
            duration_ms,
            left_px,
            right_px,
        }
    }

    pub fn x(&self, at_ms: f64) -> i32 {
        let fraction = (at_ms / self.duration_ms).clamp(0.0, 1.0);
        self.left_px + (fraction * f64::from(self.right_px - self.left_px)).round() as i32
    }

    /// Where a line ends that lasts until `end_ms`, the end of the run
    /// (exactly the plot's right edge for a run that went the whole way).
    pub fn end_px(&self, end_ms: f64) -> i32 {
        if end_ms >= self.duration_ms {
            self.right_px
        } else {
            self.x(end_ms)
        }
    }

    /// The x range in seconds, as the panels' coordinate system.
    pub fn range_s(&self) -> std::ops::Range<f64> {
        0.0..self.duration_ms / 1000.0
    }
}

/// A tick label on the time axis: "0", "20", "2.5".
pub fn seconds_label(seconds: &f64) -> String {
    let rounded = (seconds * 1000.0).round() / 1000.0;
    if rounded == rounded.trunc() {
        format!("{rounded:.0}")
    } else {
        let text = format!("{rounded:.3}");
        text.trim_end_matches('0').to_string()
    }
}

/// One entry of a legend: a small sample and its words.
pub enum Sample {
    /// A line in a colour (a node's series).
    Line(RGBColor),
    /// A thin dashed line in a colour, with its (dash, gap) in pixels.
    Dashed(RGBColor, (u32, u32)),
    /// A filled block (a leader band, a bar).
    Block(RGBColor),
    /// A shaded block as faults are shaded.
    Shade(RGBColor),
    /// The disruption marker of the term chart: a ring.
    Ring,
    /// The disruption marker of the leader timeline: a downward triangle.
    Triangle,
    /// An outlined, hatched block (a leaderless stretch).
    Hatched(RGBColor),
    /// A variant's line, dashed as its series is.
    VariantLine(style::VariantStyle),
    /// A variant's bar, filled or hatched as its bars are.
    VariantBar(style::VariantStyle),
}

pub struct LegendEntry {
    pub sample: Sample,
    pub text: String,
}

const SAMPLE_PX: i32 = 22;
const ENTRY_GAP_PX: i32 = 22;
const LEGEND_ROW_PX: i32 = 24;

/// Legend entries laid out left to right, wrapping; returns the rows used.
fn legend_rows(entries: &[LegendEntry], width_px: i32) -> Vec<Vec<(i32, &LegendEntry)>> {
    let mut rows: Vec<Vec<(i32, &LegendEntry)>> = vec![Vec::new()];
    let mut x = 0;
    for entry in entries {
        let w = SAMPLE_PX + 6 + style::text_width(&entry.text, style::LABEL_SIZE);
        if x > 0 && x + w > width_px {
            rows.push(Vec::new());
            x = 0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, entry));
        }
        x += w + ENTRY_GAP_PX;
    }
    rows
}

/// Rows every per-variant panel has, in pixels: its title, the x tick
/// labels, and (the last panel only) the x axis description.
pub const TITLE_ROW_PX: i32 = 30;
pub const X_TICKS_PX: i32 = 28;
pub const X_DESC_PX: i32 = 34;

/// The vertical layout of a chart with one panel per variant.
pub struct PanelLayout {
    pub header_px: i32,
    pub lanes: i32,
    pub plot_px: i32,
    pub panel_px: i32,
    pub height_px: u32,
}

/// Stacks one panel per variant under the header: panels share what is
/// left of the chart's least height, each plot kept within
/// `plot_px_range`, `gap_px` between panels.
pub fn panel_layout(
    data: &ChartData,
    legend: &[LegendEntry],
    gap_px: i32,
    plot_px_range: (i32, i32),
) -> PanelLayout {
    let header_px = header_height(legend);
    let lanes = lanes_needed(data, TimeAxis::nominal(data.duration_ms));
    let n = data.variants.len() as i32;
    let fixed = TITLE_ROW_PX + lanes * LANE_PX + 4 + X_TICKS_PX + gap_px;
    let room = style::MIN_HEIGHT_PX as i32 - header_px - X_DESC_PX;
    let plot_px = (room / n - fixed).clamp(plot_px_range.0, plot_px_range.1);
    let panel_px = fixed + plot_px;
    let height_px = (header_px + n * panel_px + X_DESC_PX).max(style::MIN_HEIGHT_PX as i32);
    PanelLayout {
        header_px,
        lanes,
        plot_px,
        panel_px,
        height_px: height_px as u32,
    }
}

/// Height the header takes: title, subtitle and legend rows.
pub fn header_height(entries: &[LegendEntry]) -> i32 {
    let rows = legend_rows(entries, PLOT_RIGHT_PX - MARGIN_LEFT_PX).len() as i32;
    84 + rows * LEGEND_ROW_PX + 8
}

/// Draws the title, the subtitle and the legend; returns the y below them.
pub fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    entries: &[LegendEntry],
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    let max_px = PLOT_RIGHT_PX - MARGIN_LEFT_PX;
    root.draw(&Text::new(
        style::fit_text(title, style::TITLE_SIZE, max_px),
        (MARGIN_LEFT_PX, 14),
        style::text_style(style::TITLE_SIZE, style::TEXT),
    ))?;
    root.draw(&Text::new(
        style::fit_text(subtitle, style::SUBTITLE_SIZE, max_px),
        (MARGIN_LEFT_PX, 50),
        style::text_style(style::SUBTITLE_SIZE, style::MUTED),
    ))?;
    let mut y = 84;
    for row in legend_rows(entries, max_px) {
        for (x, entry) in row {
            draw_sample(root, &entry.sample, MARGIN_LEFT_PX + x, y + 8)?;
            root.draw(&Text::new(
                entry.text.clone(),
                (MARGIN_LEFT_PX + x + SAMPLE_PX + 6, y + 8),
                style::text_style(style::LABEL_SIZE, style::TEXT)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        y += LEGEND_ROW_PX;
    }
    Ok(y + 8)
}

/// A legend sample, `SAMPLE_PX` wide, centred vertically on `mid_y`.
fn draw_sample<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sample: &Sample,
    x: i32,
    mid_y: i32,
) -> DrawResult<DB> {
    let box_corners = [(x, mid_y - 7), (x + SAMPLE_PX, mid_y + 7)];
    match sample {
        Sample::Line(colour) => root.draw(&PathElement::new(
            vec![(x, mid_y), (x + SAMPLE_PX, mid_y)],
            colour.stroke_width(3),
        )),
        Sample::Dashed(colour, (dash, gap)) => root.draw(&DashedPathElement::new(
            vec![(x, mid_y), (x + SAMPLE_PX, mid_y)],
            *dash,
            *gap,
            colour.stroke_width(1),
        )),
        Sample::Block(colour) => root.draw(&Rectangle::new(box_corners, colour.filled())),
        Sample::Shade(colour) => {
            root.draw(&Rectangle::new(
                box_corners,
                colour.mix(style::CHIP_OPACITY).filled(),
            ))?;
            root.draw(&Rectangle::new(box_corners, colour.stroke_width(1)))
        }
        Sample::Ring => root.draw(&Circle::new(
            (x + SAMPLE_PX / 2, mid_y),
            6,
            style::DISRUPTION.stroke_width(2),
        )),
        Sample::Triangle => triangle(root, x + SAMPLE_PX / 2, mid_y, 6),
        Sample::Hatched(colour) => {
            root.draw(&Rectangle::new(box_corners, style::WHITE.filled()))?;
            hatch(root, box_corners, *colour)?;
            root.draw(&Rectangle::new(box_corners, colour.stroke_width(2)))
        }
        Sample::VariantLine(look) => {
            variant_line(root, vec![(x, mid_y), (x + SAMPLE_PX, mid_y)], *look, 3)
        }
        Sample::VariantBar(look) => variant_bar(root, box_corners, *look),
    }
}

/// A variant's series as a line: solid, or dashed as its style says.
pub fn variant_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: Vec<(i32, i32)>,
    look: style::VariantStyle,
    width: u32,
) -> DrawResult<DB> {
    let stroke = look.colour.stroke_width(width);
    match look.dash() {
        None => root.draw(&PathElement::new(points, stroke)),
        Some((dash, gap)) => root.draw(&DashedPathElement::new(points, dash, gap, stroke)),
    }
}

/// A variant's bar: filled, or outlined and hatched as its style says.
pub fn variant_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    corners: [(i32, i32); 2],
    look: style::VariantStyle,
) -> DrawResult<DB> {
    if look.pattern == 0 {
        return root.draw(&Rectangle::new(corners, look.colour.filled()));
    }
    root.draw(&Rectangle::new(corners, style::WHITE.filled()))?;
    hatch_every(root, corners, look.colour, 4 + 2 * look.pattern as i32)?;
    root.draw(&Rectangle::new(corners, look.colour.stroke_width(2)))
}

/// A downward triangle centred on (x, centre_y), `2 × size` tall.
pub fn triangle<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    centre_y: i32,
    size: i32,
) -> DrawResult<DB> {
    root.draw(&Polygon::new(
        vec![
            (x - size, centre_y - size),
            (x + size, centre_y - size),
            (x, centre_y + size),
        ],
        style::DISRUPTION.filled(),
    ))
}

/// Legend entries for the fault kinds present (one per legend wording).
pub fn fault_legend(data: &ChartData) -> Vec<LegendEntry> {
    let mut entries: Vec<LegendEntry> = Vec::new();
    for kind in data.fault_kinds() {
        let FaultStyle { colour, legend } = style::fault_style(kind);
        if !entries.iter().any(|e| e.text == legend) {
            entries.push(LegendEntry {
                sample: Sample::Shade(colour),
                text: legend.to_string(),
            });
        }
    }
    entries
}

/// The legend of a per-variant chart: one entry per node with its
/// colour drawn as `node_sample`, then the chart's own `marks`, then the
/// fault kinds present.
pub fn node_legend(
    data: &ChartData,
    node_sample: fn(RGBColor) -> Sample,
    marks: Vec<LegendEntry>,
) -> Vec<LegendEntry> {
    let mut entries: Vec<LegendEntry> = (1..=data.nodes)
        .map(|node| LegendEntry {
            sample: node_sample(style::node_colour(node)),
            text: format!("node {node}"),
        })
        .collect();
    entries.extend(marks);
    entries.extend(fault_legend(data));
    entries
}

/// A per-variant panel's chart: x in seconds of virtual time, y in the
/// chart's own units.
pub type PanelChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What a chart draws on in a per-variant panel besides its chart: the time
/// axis in pixels, and the variant's faults with the strip above the plot.
pub struct PanelPlot<'a> {
    pub axis: TimeAxis,
    faults: &'a [FaultSpan],
    strip_top: i32,
}

impl PanelPlot<'_> {
    /// Shades the variant's faults over the plot (pixel rows `top..bottom`)
    /// and labels them in the strip above it.
    pub fn draw_faults<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        top: i32,
        bottom: i32,
    ) -> DrawResult<DB> {
        draw_fault_shading(root, self.faults, self.axis, top, bottom)?;
        let chips = fault_chips(self.faults, self.axis);
        draw_fault_strip(root, &chips, self.strip_top)
    }
}

/// Draws the frame of variant `index`'s panel, laid out by `layout`: the
/// title with `summary`, room for the fault strip, then a plot with the
/// time axis on x (described under the last panel only) and `y_range`,
/// described as `y_desc`, on y; `draw` fills in the plot.
#[allow(clippy::too_many_arguments)]
pub fn draw_variant_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    layout: &PanelLayout,
    index: usize,
    summary: &str,
    y_range: std::ops::Range<f64>,
    y_desc: &str,
    draw: impl FnOnce(&PanelChart<DB>, &PanelPlot) -> DrawResult<DB>,
) -> DrawResult<DB> {
    let variant = &data.variants[index];
    let top = layout.header_px + index as i32 * layout.panel_px;
    let stopped = (variant.end_ms < data.duration_ms).then_some(variant.end_ms);
    let summary = match stopped {
        Some(at) => format!("{summary} · stopped at {}", duration_ms(at)),
        None => summary.to_string(),
    };
    draw_panel_title(root, &variant.result.label, &summary, top + 4)?;
    let strip_top = top + TITLE_ROW_PX;
    let plot_top = strip_top + layout.lanes * LANE_PX + 4;
    let last = index + 1 == data.variants.len();
    let x_desc_px = if last { X_DESC_PX } else { 0 };
    let area = root.clone().shrink(
        (0, plot_top),
        (
            style::WIDTH_PX,
            (layout.plot_px + X_TICKS_PX + x_desc_px) as u32,
        ),
    );
    let mut chart = ChartBuilder::on(&area)
        .margin_left(MARGIN_LEFT_PX)
        .margin_right(MARGIN_RIGHT_PX)
        .x_label_area_size(X_TICKS_PX + x_desc_px)
        .y_label_area_size(Y_LABEL_AREA_PX)
        .build_cartesian_2d(
            TimeAxis::nominal(data.duration_ms).range_s(),
            y_range.clone(),
        )?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_y_mesh()
        .y_labels(0)
        .x_labels(13)
        .x_max_light_lines(0)
        .x_label_formatter(&seconds_label)
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .label_style(style::text_style(style::SMALL_SIZE, style::MUTED))
        .axis_desc_style(style::text_style(style::LABEL_SIZE, style::TEXT))
        .y_desc(y_desc);
    if last {
        mesh.x_desc("virtual time (s)");
    }
    mesh.draw()?;
    let plot = PanelPlot {
        axis: TimeAxis::of_chart(&chart, data.duration_ms),
        faults: &variant.faults,
        strip_top,
    };
    draw(&chart, &plot)?;
    match stopped {
        Some(at) => {
            let bottom = chart.backend_coord(&(0.0, y_range.start)).1;
            let top = chart.backend_coord(&(0.0, y_range.end)).1;
            draw_stop(root, plot.axis.x(at), top, bottom)
        }
        None => Ok(()),
    }
}

/// Where a run stopped early (a safety violation): a line across the plot
/// and "stopped" beside its top; nothing is drawn after it.
fn draw_stop<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: i32,
    top: i32,
    bottom: i32,
) -> DrawResult<DB> {
    root.draw(&PathElement::new(
        vec![(x, top), (x, bottom)],
        style::DISRUPTION.stroke_width(2),
    ))?;
    let text = "run stopped: safety violation";
    let width = style::text_width(text, style::SMALL_SIZE);
    // Right of the line, or left of it near the plot's right edge.
    let (anchor, at_x) = if x + 6 + width <= PLOT_RIGHT_PX {
        (HPos::Left, x + 6)
    } else {
        (HPos::Right, x - 6)
    };
    root.draw(&Text::new(
        text,
        (at_x, top + 2),
        style::text_style(style::SMALL_SIZE, style::DISRUPTION).pos(Pos::new(anchor, VPos::Top)),
    ))?;
    Ok(())
}

/// Diagonal hatching over the box from `(x0, top)` to `(x1, bottom)`, one
/// line every `HATCH_PX`, clipped to the box.
pub fn hatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    corners: [(i32, i32); 2],
    colour: RGBColor,
) -> DrawResult<DB> {
    hatch_every(root, corners, colour, HATCH_PX)
}

/// [`hatch`] with lines `spacing_px` apart.
fn hatch_every<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    [(x0, top), (x1, bottom)]: [(i32, i32); 2],
    colour: RGBColor,
    spacing_px: i32,
) -> DrawResult<DB> {
    let h = bottom - top;
    let mut c = x0 - h + spacing_px;
    while c < x1 {
        // The line x = c + (bottom - y), clipped to x0..=x1.
        let (sx, sy) = if c < x0 {
            (x0, bottom - (x0 - c))
        } else {
            (c, bottom)
        };
        let (ex, ey) = if c + h > x1 {
            (x1, bottom - (x1 - c))
        } else {
            (c + h, top)
        };
        root.draw(&PathElement::new(
            vec![(sx, sy), (ex, ey)],
            colour.stroke_width(1),
        ))?;
        c += spacing_px;
    }
    Ok(())
}

/// Distance between hatching lines, in pixels.
const HATCH_PX: i32 = 6;

/// The panel title: the variant's label and a muted summary after it.
pub fn draw_panel_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    label: &str,
    summary: &str,
    y: i32,
) -> DrawResult<DB> {
    let label = style::fit_text(label, style::PANEL_TITLE_SIZE, 420);
    root.draw(&Text::new(
        label.clone(),
        (PLOT_LEFT_PX, y),
        style::text_style(style::PANEL_TITLE_SIZE, style::TEXT),
    ))?;
    let x = PLOT_LEFT_PX + style::text_width(&label, style::PANEL_TITLE_SIZE) + 14;
    root.draw(&Text::new(
        style::fit_text(summary, style::LABEL_SIZE, PLOT_RIGHT_PX - x),
        (x, y + 3),
        style::text_style(style::LABEL_SIZE, style::MUTED),
    ))
}

pub fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}
