//! The files a run's output directory gets besides results.json: each
//! chart as SVG and PNG, and the HTML report that inlines the SVGs. Both
//! `raftsim run --out` and `raftsim chart` write exactly this list, so a
//! saved results file regenerates them byte for byte. Also the chart files
//! and the report of a sweep's directory, the same for a sweep and its
//! merged shards.

use sim_core::results::Results;
use sim_core::sweep::Aggregate;

use crate::charts::cdf::{self, CdfOptions, SweepSamples};
use crate::charts::{prepare, Chart, ChartError, ChartOptions};
use crate::html::{self, Figure};

/// One output file: its name in the directory and its contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// File name of the HTML report.
pub const REPORT: &str = "report.html";

/// How to read each chart, for the report's captions.
fn caption(chart: Chart) -> &'static str {
    match chart {
        Chart::TermGrowth => {
            "Each line is one node's term: it holds until the node adopts a higher one. \
             Lines sit a pixel or two apart so that nodes in the same term show as a bundle. \
             Shaded bands are faults in effect, rings mark disruptions (a leader deposed by a \
             higher term). The y axis turns logarithmic when a term exceeds 50."
        }
        Chart::LeaderTimeline => {
            "The band shows the effective leader (a live leader that a majority follows in \
             its term), coloured by node; hatched grey boxes mark time without one, triangles \
             mark disruptions."
        }
        Chart::Comparison => {
            "The headline metrics side by side, one panel per metric, each with its own scale."
        }
    }
}

/// Every artifact, in a fixed order: for each chart its SVG then its PNG,
/// then the report. `progress` hears the name of each file before it is
/// made (for a progress bar).
pub fn render(
    results: &Results,
    options: ChartOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Artifact>, ChartError> {
    let data = prepare(results)?;
    let mut artifacts = Vec::new();
    let mut svgs = Vec::new();
    for chart in Chart::ALL {
        let name = format!("{}.svg", chart.stem());
        progress(&name);
        let svg = chart.svg_of(&data, options)?;
        artifacts.push(Artifact {
            name,
            bytes: svg.clone().into_bytes(),
        });
        svgs.push((chart, svg));
        let name = format!("{}.png", chart.stem());
        progress(&name);
        artifacts.push(Artifact {
            bytes: chart.png_of(&data, options)?,
            name,
        });
    }
    progress(REPORT);
    let figures: Vec<Figure> = svgs
        .iter()
        .map(|(chart, svg)| Figure {
            title: chart.title(),
            caption: caption(*chart),
            svg,
        })
        .collect();
    artifacts.push(Artifact {
        name: REPORT.to_string(),
        bytes: html::report(results, &figures).into_bytes(),
    });
    Ok(artifacts)
}

/// How to read the distribution chart, for the sweep report's caption.
const CDF_CAPTION: &str = "One panel per metric, one step line per variant: the share of seeds \
    at or below each value. Where a line ends is the variant's worst seed; a line further \
    left is better. Runs cut short are left out.";

/// The files of a sweep directory beyond its JSON: the distribution chart
/// as SVG then PNG, then the sweep's report (which inlines the SVG).
/// `command` reproduces the sweep.
pub fn sweep(
    samples: &SweepSamples,
    options: CdfOptions,
    aggregate: &Aggregate,
    command: &str,
) -> Result<Vec<Artifact>, ChartError> {
    let svg = cdf::svg(samples, options)?;
    let figures = [Figure {
        title: "Distributions over seeds",
        caption: CDF_CAPTION,
        svg: &svg,
    }];
    let page = html::sweep::report(&html::sweep::SweepPage {
        aggregate,
        command,
        figures: &figures,
    });
    Ok(vec![
        Artifact {
            name: format!("{}.svg", cdf::STEM),
            bytes: svg.clone().into_bytes(),
        },
        Artifact {
            name: format!("{}.png", cdf::STEM),
            bytes: cdf::png(samples, options)?,
        },
        Artifact {
            name: REPORT.to_string(),
            bytes: page.into_bytes(),
        },
    ])
}
