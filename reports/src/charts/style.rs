//! The look shared by every chart: the embedded font, the node palette, the
//! fault shading per kind, the variant palette, text sizes and text
//! measurement. Charts take colours and sizes from here and never invent
//! their own, so a node has one colour everywhere.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle, IntoFont, RGBColor, TextStyle};
use sim_core::faults::FaultKind;

use super::ChartError;

/// The font family every chart asks for: it becomes the SVG's CSS
/// `font-family` list (DejaVu Sans where the viewer has it, else its own
/// sans-serif); PNGs always use the embedded DejaVu Sans.
pub const FONT: &str = "DejaVu Sans, sans-serif";

/// DejaVu Sans (Bitstream Vera licence, see assets/LICENSE-DejaVu.txt).
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the embedded font with plotters once per process, under our
/// family and plotters' default one. Plotters keeps fonts in a global
/// table, so every entry point calls this first.
pub fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
            && register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// Canvas width of every chart, in pixels (PNG and SVG alike).
pub const WIDTH_PX: u32 = 1200;
/// The least height of every chart, in pixels.
pub const MIN_HEIGHT_PX: u32 = 700;

/// Text sizes (plotters' unit: about 1.24 × the SVG font-size).
pub const TITLE_SIZE: f64 = 26.0;
pub const SUBTITLE_SIZE: f64 = 16.0;
pub const PANEL_TITLE_SIZE: f64 = 19.0;
pub const LABEL_SIZE: f64 = 15.0;
pub const SMALL_SIZE: f64 = 13.0;

pub const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub const GRID: RGBColor = RGBColor(0xe4, 0xe4, 0xe4);
pub const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);
pub const WHITE: RGBColor = RGBColor(0xff, 0xff, 0xff);
/// Disruption markers (a leader deposed by a higher term).
pub const DISRUPTION: RGBColor = RGBColor(0x11, 0x11, 0x11);
/// Leaderless stretches on the leader timeline, hatched: a dark neutral
/// grey, far from every node colour (node 4 is red, node 8 a mid grey) and
/// dark enough for its label on white.
pub const NO_LEADER: RGBColor = RGBColor(0x3c, 0x3c, 0x3c);

/// One colour per node, in node order (the D3/Tableau "category10"
/// palette: ten hues chosen to stay distinguishable on white). Node k gets
/// entry k-1; clusters of more than ten nodes reuse them in turn.
pub const NODE_COLOURS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4), // blue
    RGBColor(0xff, 0x7f, 0x0e), // orange
    RGBColor(0x2c, 0xa0, 0x2c), // green
    RGBColor(0xd6, 0x27, 0x28), // red
    RGBColor(0x94, 0x67, 0xbd), // purple
    RGBColor(0x8c, 0x56, 0x4b), // brown
    RGBColor(0xe3, 0x77, 0xc2), // pink
    RGBColor(0x7f, 0x7f, 0x7f), // grey
    RGBColor(0xbc, 0xbd, 0x22), // olive
    RGBColor(0x17, 0xbe, 0xcf), // cyan
];

pub fn node_colour(node: u32) -> RGBColor {
    NODE_COLOURS[(node.max(1) as usize - 1) % NODE_COLOURS.len()]
}

/// Black or white, whichever reads better on `background`.
pub fn text_on(background: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = background;
    let luminance = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luminance > 150.0 {
        TEXT
    } else {
        WHITE
    }
}

/// Variant colours (the bars of the comparison, the lines of a sweep's
/// distributions): Tableau's ten, muted, so that they are not mistaken for
/// nodes.
pub const VARIANT_COLOURS: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7), // blue
    RGBColor(0x59, 0xa1, 0x4f), // green
    RGBColor(0xb0, 0x7a, 0xa1), // purple
    RGBColor(0xf2, 0x8e, 0x2b), // orange
    RGBColor(0x76, 0xb7, 0xb2), // teal
    RGBColor(0x9c, 0x75, 0x5f), // brown
    RGBColor(0xe1, 0x57, 0x59), // red
    RGBColor(0xed, 0xc9, 0x48), // yellow
    RGBColor(0xff, 0x9d, 0xa7), // pink
    RGBColor(0xba, 0xb0, 0xac), // grey
];

/// Line dashes (dash, gap in pixels) and bar hatchings, one per pattern
/// after the solid one: with the ten colours, 70 distinct looks, more than
/// the 64 variants a scenario may have.
pub const VARIANT_DASHES: [(u32, u32); 6] = [(10, 5), (3, 4), (18, 6), (6, 10), (1, 5), (26, 8)];

/// How a variant's series looks: its colour, and beyond the tenth variant
/// a pattern too, so that no two variants of a chart look alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VariantStyle {
    pub colour: RGBColor,
    /// 0: solid; k ≥ 1: the dash `VARIANT_DASHES[k - 1]` of a line, a
    /// hatching of a bar (lines `4 + 2k` pixels apart).
    pub pattern: usize,
}

impl VariantStyle {
    /// The line's dash and gap, None when solid.
    pub fn dash(self) -> Option<(u32, u32)> {
        self.pattern
            .checked_sub(1)
            .map(|k| VARIANT_DASHES[k % VARIANT_DASHES.len()])
    }
}

/// The look of the `index`-th variant (0-based) of a chart.
pub fn variant_style(index: usize) -> VariantStyle {
    let colours = VARIANT_COLOURS.len();
    VariantStyle {
        colour: VARIANT_COLOURS[index % colours],
        pattern: (index / colours) % (VARIANT_DASHES.len() + 1),
    }
}

pub fn variant_colour(index: usize) -> RGBColor {
    variant_style(index).colour
}

/// How a kind of fault is shaded, and what the legend calls it.
pub struct FaultStyle {
    pub colour: RGBColor,
    pub legend: &'static str,
}

/// Shading per fault kind. Instants (heal, restore, restart,
/// reset_network) and kinds this version does not know are grey.
pub fn fault_style(kind: FaultKind) -> FaultStyle {
    let (colour, legend) = match kind {
        FaultKind::Isolate => (RGBColor(0xf5, 0xa6, 0x23), "node isolated"),
        FaultKind::Partition => (RGBColor(0x9b, 0x59, 0xb6), "partition"),
        FaultKind::Cut | FaultKind::CutOneway => (RGBColor(0x34, 0x98, 0xdb), "links cut"),
        FaultKind::Crash => (RGBColor(0xe7, 0x4c, 0x3c), "node crashed"),
        FaultKind::Pause => (RGBColor(0xa0, 0x52, 0x2d), "node paused"),
        FaultKind::StallDisk => (RGBColor(0xd3, 0x54, 0x00), "disk stalled"),
        FaultKind::SetNetwork | FaultKind::SetLink => {
            (RGBColor(0x27, 0xae, 0x60), "network changed")
        }
        FaultKind::AddLearner
        | FaultKind::AddVoter
        | FaultKind::Promote
        | FaultKind::Remove
        | FaultKind::Change => (RGBColor(0x16, 0xa0, 0x85), "membership change"),
        FaultKind::TransferLeader => (RGBColor(0x2c, 0x3e, 0x50), "leadership transfer"),
        FaultKind::Restore
        | FaultKind::Heal
        | FaultKind::Restart
        | FaultKind::ResetNetwork
        | FaultKind::Let
        | FaultKind::Resume
        | FaultKind::SetClock
        | FaultKind::Other => (RGBColor(0x7f, 0x8c, 0x8d), "other event"),
    };
    FaultStyle { colour, legend }
}

/// Opacity of a fault's shading inside a plot, and of its label chip.
pub const SHADE_OPACITY: f64 = 0.13;
pub const CHIP_OPACITY: f64 = 0.40;

pub fn text_style(size: f64, colour: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&colour)
}

/// Width of `text` in pixels at `size`, as the SVG and PNG draw it.
pub fn text_width(text: &str, size: f64) -> i32 {
    super::raster::text_width(text, size)
}

/// `text` cut to fit `max_px` with an ellipsis.
pub fn fit_text(text: &str, size: f64, max_px: i32) -> String {
    if text_width(text, size) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let cut = |keep: usize| chars[..keep].iter().collect::<String>() + "…";
    // The longest prefix that fits, by bisection: widths grow with length.
    let (mut fits, mut too_long) = (0, chars.len());
    while too_long - fits > 1 {
        let mid = (fits + too_long) / 2;
        if text_width(&cut(mid), size) <= max_px {
            fits = mid;
        } else {
            too_long = mid;
        }
    }
    if fits == 0 && text_width(&cut(0), size) > max_px {
        return String::new();
    }
    cut(fits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(RGBColor(r, g, b): RGBColor, RGBColor(s, h, c): RGBColor) -> f64 {
        let d = |x: u8, y: u8| (f64::from(x) - f64::from(y)).powi(2);
        (d(r, s) + d(g, h) + d(b, c)).sqrt()
    }

    #[test]
    fn the_no_leader_mark_is_unlike_every_node_and_reads_on_white() {
        for (k, node) in NODE_COLOURS.iter().enumerate() {
            let d = distance(NO_LEADER, *node);
            assert!(
                d >= 80.0,
                "node {} is {d:.0} from the no-leader mark",
                k + 1
            );
        }
        // Its own label sits on white: white text would be wanted on it.
        assert_eq!(text_on(NO_LEADER), WHITE);
    }
}
