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
use serde::{Deserialize, Serialize};
use sim_core::sweep::SeedRecord;

use super::common::{self, DrawResult, LegendEntry, Sample};
use super::{encode_png, raster, style, ChartError};

mod axis;
mod panel;

use panel::{draw_panel, panels, METRICS, PANEL_PX};

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
    /// Every failover of every seed until the cluster settled, pooled (the
    /// thesis' Figure 9.8 plots this distribution per timeout range).
    pub settled_ms: Vec<f64>,
}

/// Published percentiles of the pooled distribution (`settled_ms`), drawn
/// as rings in each variant's colour beside its line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// Where the numbers come from.
    pub source: String,
    pub points: Vec<PublishedPoint>,
}

/// One published percentile of one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublishedPoint {
    pub variant: String,
    /// The percentile as a fraction: 0.5 for the median.
    pub quantile: f64,
    pub ms: f64,
}

/// What the distribution chart draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepSamples {
    pub scenario: String,
    /// The half-open seed range swept.
    pub seeds: [u64; 2],
    pub variants: Vec<VariantSamples>,
    /// Published numbers to draw beside the pooled panel's lines.
    pub published: Option<Published>,
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
                    let settled = run.samples.settled_us.iter();
                    samples
                        .settled_ms
                        .extend(settled.map(|&us| us as f64 / 1000.0));
                }
            }
        }
        SweepSamples {
            scenario: scenario.to_string(),
            seeds,
            variants,
            published: None,
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

fn legend(samples: &SweepSamples) -> Vec<LegendEntry> {
    samples
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| LegendEntry {
            sample: Sample::VariantLine(style::variant_style(i)),
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
