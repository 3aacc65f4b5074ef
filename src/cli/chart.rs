//! `raftsim chart RESULTS.json [--out DIR]`: the charts and the report of a
//! saved run, regenerated from the results alone; only the message diagrams
//! replay the windows they show, and the replay viewer the report links
//! replays the whole run, from the scenario the results hold (the run is
//! deterministic, so they come out the same). Also the one place
//! where the CLI turns results into files for `run --out`, so both commands
//! write the same bytes.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use reports::artifacts::MessageDiagrams;
use reports::charts::messages::{self, Diagram};
use reports::charts::{ChartError, ChartOptions, YScale};
use reports::viewer;
use sim_core::replay::record_windows;
use sim_core::results::Results;
use sim_core::scenario;

use super::input::{self, ReadError};
use super::progress::Progress;
use super::view;
use super::{output, CliResult, Failure, EXIT_OK};

/// How the term chart's y axis is scaled.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum YScaleArg {
    /// Logarithmic when a term exceeds 50, else linear.
    Auto,
    /// Terms as they are.
    Linear,
    /// log(term + 1), so that term 0 has a place.
    Log,
}

/// Chart options shared by `run --out` and `chart`.
#[derive(clap::Args, Debug, Default)]
pub struct ChartStyle {
    /// Y axis of the term-growth chart [default: auto].
    #[arg(long, value_enum, value_name = "SCALE")]
    y_scale: Option<YScaleArg>,
}

impl ChartStyle {
    pub fn options(&self) -> ChartOptions {
        ChartOptions {
            y_scale: match self.y_scale {
                None | Some(YScaleArg::Auto) => YScale::Auto,
                Some(YScaleArg::Linear) => YScale::Linear,
                Some(YScaleArg::Log) => YScale::Log,
            },
        }
    }

    /// `--y-scale` as given on the command line, if it was.
    pub fn y_scale_given(&self) -> Option<&'static str> {
        self.y_scale.map(|scale| match scale {
            YScaleArg::Auto => "auto",
            YScaleArg::Linear => "linear",
            YScaleArg::Log => "log",
        })
    }
}

#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  raftsim run leader-crash --out crash\n  raftsim chart crash/results.json --y-scale log"
)]
pub struct ChartArgs {
    /// A results file written by `raftsim run --out DIR` (DIR/results.json)
    /// or `raftsim run --json`.
    results: PathBuf,
    /// Write the charts and report here (default: the results file's directory).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    style: ChartStyle,
}

/// The charts (SVG and PNG) and report.html of `results`, as (file name,
/// bytes), with a progress spinner when that is wanted.
pub fn render(
    results: &Results,
    options: ChartOptions,
    show_progress: bool,
) -> Result<Vec<(String, Vec<u8>)>, ChartError> {
    let progress = Progress::new(show_progress);
    let bar = progress.spinner("replaying the windows of the message diagrams".to_string());
    let diagrams = message_diagrams(results);
    bar.set_message("drawing charts".to_string());
    let artifacts = reports::artifacts::render(results, options, &diagrams, &mut |name| {
        bar.set_message(format!("drawing {name}"));
    })?;
    bar.finish_and_clear();
    Ok(artifacts
        .into_iter()
        .map(|artifact| (artifact.name, artifact.bytes))
        .collect())
}

/// The message diagrams of `results` (docs/CHARTS.md): the windows that
/// `messages::plan` picks, replayed variant by variant (in parallel) from
/// the scenario the results hold. None when they hold no scenario (an
/// older results file) or it no longer validates.
pub fn message_diagrams(results: &Results) -> MessageDiagrams {
    let plan = messages::plan(results);
    let Some(scenario) = results
        .scenario_file
        .as_ref()
        .and_then(|file| scenario::parse(&file.to_string()).ok())
    else {
        return MessageDiagrams::default();
    };
    let nodes = results.nodes as u32;
    let per_variant: Vec<Vec<Diagram>> = plan
        .variants()
        .par_iter()
        .map(|label| {
            let (Some(variant), Some(result)) = (scenario.variant(label), results.variant(label))
            else {
                return Vec::new();
            };
            let windows = record_windows(
                &scenario,
                variant,
                results.seed,
                &plan.windows_of(label),
                &messages::link_changes_us(result),
            );
            plan.diagrams
                .iter()
                .filter(|p| p.variant == *label)
                .zip(windows)
                .map(|(planned, window)| Diagram {
                    planned: planned.clone(),
                    window,
                    nodes,
                })
                .collect()
        })
        .collect();
    MessageDiagrams {
        diagrams: per_variant.into_iter().flatten().collect(),
        omitted: plan.omitted,
    }
}

/// Reads a results file; every way it can be wrong names the file.
pub fn read_results(path: &Path) -> Result<Results, Failure> {
    let shown = path.display();
    let text = input::read_text(path, input::MAX_RESULTS_BYTES).map_err(|err| match err {
        ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Failure::bad_input(format!("{shown}: no such file"))
        }
        _ => Failure::bad_input(format!("{shown}: {err}")),
    })?;
    let mut json = serde_json::Deserializer::from_str(&text);
    let results: Results = serde_path_to_error::deserialize(&mut json).map_err(|err| {
        let at = err.path().to_string();
        let place = if at == "." {
            String::new()
        } else {
            format!("{at}: ")
        };
        Failure::bad_input(format!(
            "{shown}: not a raftsim results file: {place}{}",
            err.inner()
        ))
    })?;
    json.end()
        .map_err(|err| Failure::bad_input(format!("{shown}: not a raftsim results file: {err}")))?;
    Ok(results)
}

pub fn chart(args: ChartArgs) -> CliResult {
    let results = read_results(&args.results)?;
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => match args.results.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    if out.exists() && !out.is_dir() {
        return Err(Failure::bad_input(format!(
            "{}: --out must be a directory",
            out.display()
        )));
    }
    let files =
        render(&results, args.style.options(), Progress::wanted()).map_err(|err| match err {
            ChartError::Invalid { .. } => {
                Failure::bad_input(format!("{}: {err}", args.results.display()))
            }
            ChartError::Font | ChartError::Draw(_) | ChartError::Png(_) => Failure::failed(
                format!("{}: cannot draw the charts: {err}", args.results.display()),
            ),
        })?;
    let mut files = files;
    // The report links the viewer: it is written beside it, as `run --out` does.
    match view::results_page(
        &results,
        &args.results.display().to_string(),
        "results.json",
    ) {
        Ok(page) => files.push((viewer::FILE.to_string(), page.into_bytes())),
        Err(why) => eprintln!("warning: no {}: {why}", viewer::FILE),
    }
    output::write_all_owning(&out, &files, &["messages"])?;
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    println!("wrote {} into {}", names.join(", "), out.display());
    Ok(EXIT_OK)
}
