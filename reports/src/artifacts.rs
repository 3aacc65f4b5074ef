//! The files a run's output directory gets besides results.json: each
//! chart as SVG and PNG, each message diagram as SVG under `messages/`,
//! and the HTML report that inlines the SVGs. Both
//! `raftsim run --out` and `raftsim chart` write exactly this list, so a
//! saved results file regenerates them byte for byte. Also the chart files
//! and the report of a sweep's directory, the same for a sweep and its
//! merged shards.

use sim_core::results::Results;
use sim_core::sweep::Aggregate;

use crate::charts::cdf::{self, CdfOptions, SweepSamples};
use crate::charts::messages::{self, Diagram};
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

/// A label as part of a file name, one to one: letters, digits and `-` stay,
/// `_` becomes `__` and any other character `_` and the hex codes of its
/// bytes (`a+b` → `a_2bb`), so two labels never share a file.
pub fn file_safe(label: &str) -> String {
    let mut safe = String::with_capacity(label.len());
    for c in label.chars() {
        match c {
            c if c.is_ascii_alphanumeric() || c == '-' => safe.push(c),
            '_' => safe.push_str("__"),
            c => {
                let mut bytes = [0u8; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    safe.push_str(&format!("_{byte:02x}"));
                }
            }
        }
    }
    safe
}

/// The message diagrams of a run (`messages::plan`, replayed by the
/// caller), and per variant how many moments the cap left out.
#[derive(Clone, Debug, Default)]
pub struct MessageDiagrams {
    pub diagrams: Vec<Diagram>,
    pub omitted: Vec<(String, usize)>,
}

/// How to read a message diagram, for the report's caption; the first of
/// a variant says how many the cap left out.
fn diagram_caption(d: &Diagram, omitted: &[(String, usize)]) -> String {
    let mut caption = format!(
        "One lane per node; each arrow a message, from its sending to its delivery, in the last \
         {} ms before the moment and {} ms after it. A cross marks a dropped message, a tick \
         and label a node's new term or role, a coloured band the leader, pink shading its cut \
         links. File: {}.",
        messages::BEFORE_US / 1000,
        messages::AFTER_US / 1000,
        messages::file_name(&d.planned.variant, d.planned.k)
    );
    if let Some((_, n)) = omitted
        .iter()
        .find(|(label, _)| d.planned.k == 1 && *label == d.planned.variant)
    {
        caption.push_str(&format!(
            " Only the first {} moments of {} are drawn; {n} more are not.",
            messages::PER_VARIANT,
            d.planned.variant
        ));
    }
    caption
}

/// Every artifact, in a fixed order: for each chart its SVG then its PNG,
/// then each message diagram's SVG, then the report (the diagrams come
/// right after the term-growth chart). `progress` hears the name of each
/// file before it is made (for a progress bar).
pub fn render(
    results: &Results,
    options: ChartOptions,
    diagrams: &MessageDiagrams,
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
    let mut drawn = Vec::new();
    for d in &diagrams.diagrams {
        let name = messages::file_name(&d.planned.variant, d.planned.k);
        progress(&name);
        let svg = messages::svg(d);
        artifacts.push(Artifact {
            name,
            bytes: svg.clone().into_bytes(),
        });
        let what = match d.planned.focus {
            messages::Focus::Disruption(_) => "disruption",
            messages::Focus::Violation { .. } => "safety violation",
        };
        let title = format!("Messages: {}, {what} ({})", d.planned.variant, d.planned.k);
        drawn.push((title, diagram_caption(d, &diagrams.omitted), svg));
    }
    progress(REPORT);
    let mut figures: Vec<Figure> = Vec::new();
    for (chart, svg) in &svgs {
        figures.push(Figure {
            title: chart.title(),
            caption: caption(*chart),
            svg,
        });
        if *chart == Chart::TermGrowth {
            figures.extend(drawn.iter().map(|(title, caption, svg)| Figure {
                title,
                caption,
                svg,
            }));
        }
    }
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
