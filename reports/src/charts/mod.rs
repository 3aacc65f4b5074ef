//! Charts of a results model, as SVG text and PNG bytes: the entry points,
//! the options (y scale) and the error type; `cdf` draws a sweep's
//! distributions from per-seed values instead. One module per chart draws on
//! any plotters backend, so the SVG and the PNG of a chart are the same
//! drawing. SVG output is byte-for-byte deterministic: no timestamps, no
//! random ids, no hash-map iteration.

pub mod cdf;
pub(crate) mod common;
pub mod comparison;
pub mod data;
mod fault_strip;
pub mod leader_timeline;
pub mod messages;
mod raster;
pub mod style;
pub mod term_growth;
mod ticks;

use plotters::coord::Shift;
use plotters::prelude::*;
use sim_core::results::Results;

pub use data::{prepare, ChartData};

/// Terms above this make the term chart's y axis logarithmic (with
/// `YScale::Auto`): a node isolated under classic Raft reaches hundreds,
/// which would flatten every other variant's line to the floor.
pub const LOG_Y_ABOVE_TERM: u64 = 50;

/// How the term chart's y axis is scaled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum YScale {
    /// Logarithmic when the highest term exceeds `LOG_Y_ABOVE_TERM`.
    #[default]
    Auto,
    Linear,
    /// log(term + 1), so that term 0 has a place.
    Log,
}

impl YScale {
    /// Is the axis logarithmic for a run whose highest term is `max_term`?
    pub fn is_log(self, max_term: u64) -> bool {
        match self {
            YScale::Auto => max_term > LOG_Y_ABOVE_TERM,
            YScale::Linear => false,
            YScale::Log => true,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChartOptions {
    pub y_scale: YScale,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The results do not describe a run that can be charted.
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("the embedded font could not be loaded")]
    Font,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// The charts, in the order a report shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chart {
    TermGrowth,
    LeaderTimeline,
    Comparison,
}

impl Chart {
    pub const ALL: [Chart; 3] = [Chart::TermGrowth, Chart::LeaderTimeline, Chart::Comparison];

    /// File name without extension.
    pub fn stem(self) -> &'static str {
        match self {
            Chart::TermGrowth => "term-growth",
            Chart::LeaderTimeline => "leader-timeline",
            Chart::Comparison => "comparison",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Chart::TermGrowth => "Term growth",
            Chart::LeaderTimeline => "Leader timeline",
            Chart::Comparison => "Comparison",
        }
    }

    /// Canvas size in pixels (width, height).
    pub fn size(self, data: &ChartData) -> (u32, u32) {
        match self {
            Chart::TermGrowth => term_growth::size(data),
            Chart::LeaderTimeline => leader_timeline::size(data),
            Chart::Comparison => comparison::size(data),
        }
    }

    fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        data: &ChartData,
        options: ChartOptions,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&style::WHITE)?;
        match self {
            Chart::TermGrowth => {
                term_growth::draw(root, data, options.y_scale.is_log(data.max_term()))?
            }
            Chart::LeaderTimeline => leader_timeline::draw(root, data)?,
            Chart::Comparison => comparison::draw(root, data)?,
        }
        root.present()
    }

    /// The chart as an SVG document.
    pub fn svg(self, results: &Results, options: ChartOptions) -> Result<String, ChartError> {
        style::ensure_font()?;
        let data = prepare(results)?;
        self.svg_of(&data, options)
    }

    pub fn svg_of(self, data: &ChartData, options: ChartOptions) -> Result<String, ChartError> {
        style::ensure_font()?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size(data)).into_drawing_area();
            self.draw(&root, data, options)
                .map_err(|e| ChartError::Draw(e.to_string()))?;
        }
        Ok(svg)
    }

    /// The chart as a PNG image.
    pub fn png(self, results: &Results, options: ChartOptions) -> Result<Vec<u8>, ChartError> {
        style::ensure_font()?;
        let data = prepare(results)?;
        self.png_of(&data, options)
    }

    pub fn png_of(self, data: &ChartData, options: ChartOptions) -> Result<Vec<u8>, ChartError> {
        style::ensure_font()?;
        let (width, height) = self.size(data);
        let mut rgb = vec![255u8; width as usize * height as usize * 3];
        {
            let root = raster::GlyphText {
                inner: BitMapBackend::with_buffer(&mut rgb, (width, height)),
            }
            .into_drawing_area();
            self.draw(&root, data, options)
                .map_err(|e| ChartError::Draw(e.to_string()))?;
        }
        encode_png(&rgb, width, height)
    }
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let png_error = |e: png::EncodingError| ChartError::Png(e.to_string());
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(rgb).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
    }
    Ok(out)
}
