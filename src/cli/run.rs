//! `raftsim run`: every variant of a scenario with one seed, side by side.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use reports::artifacts::file_safe;
use reports::viewer;
use sim_core::results::{self, shell_word, Results, VariantResult};
use sim_core::scenario::{Scenario, Variant};
use sim_core::trace::{ChromeTracer, JsonLinesTracer, Tracer};

use super::chart::{self, ChartStyle};
use super::overrides::Overrides;
use super::progress::Progress;
use super::view;
use super::{choose_seed, load_with, output, CliResult, Failure, Loaded, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim run isolate-rejoin --seed 7 --out rejoin")]
pub struct RunArgs {
    /// Scenario file (or the name of a bundled scenario, see `raftsim list`).
    file: String,
    /// Seed (default: RAFTSIM_SEED, else the scenario's `seed`).
    #[arg(long, allow_hyphen_values = true, value_parser = super::parse_seed)]
    seed: Option<u64>,
    #[command(flatten)]
    overrides: Overrides,
    /// Run only the variant with this label.
    #[arg(long)]
    variant: Option<String>,
    /// Write results.json (and charts and a report) into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print only the results JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Write every event to FILE (one file per variant, FILE's stem +
    /// ".LABEL", when several variants run).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// The format of --trace: JSON Lines, or Chrome trace-event JSON that
    /// opens in Perfetto (docs/TRACES.md).
    #[arg(long, value_enum, default_value_t = TraceFormat::Jsonl, requires = "trace")]
    trace_format: TraceFormat,
    #[command(flatten)]
    chart_style: ChartStyle,
}

/// What `--trace` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// One JSON object per event, one per line.
    Jsonl,
    /// Chrome trace-event JSON: a track per node, message arrows, term counters.
    Chrome,
}

/// `raftsim run FILE --seed S [--variant L]`, the command that replays a run.
pub fn reproduce_command(
    file: &str,
    overrides: &[String],
    seed: u64,
    variant: Option<&str>,
) -> String {
    let mut command = format!("raftsim run {}", shell_word(file));
    for set in overrides {
        command.push_str(&format!(" --set {}", shell_word(set)));
    }
    command.push_str(&format!(" --seed {seed}"));
    if let Some(label) = variant {
        command.push_str(&format!(" --variant {}", shell_word(label)));
    }
    command
}

/// Where the trace of `label` goes when `several` variants run.
fn trace_path(base: &Path, label: &str, several: bool) -> PathBuf {
    if !several {
        return base.to_path_buf();
    }
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe = file_safe(label);
    let name = match base.extension() {
        Some(ext) => format!("{stem}.{safe}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{safe}"),
    };
    base.with_file_name(name)
}

/// One variant's result, and its data for the viewer when `--out` asked
/// for one.
type Ran = (VariantResult, Option<String>);

/// Runs one variant, under the viewer's tracer when a page is made
/// (`viewer`), and under `also`.
fn run_one(
    scenario: &Scenario,
    variant: &Variant,
    seed: u64,
    viewer: Option<&view::Viewing>,
    also: Option<&mut dyn Tracer>,
) -> Ran {
    if let Some(viewing) = viewer {
        let (result, data) = view::record(scenario, variant, seed, viewing, also);
        return (result, Some(data));
    }
    (results::run_variant(scenario, variant, seed, also), None)
}

fn run_traced(
    loaded: &Loaded,
    variant: &Variant,
    seed: u64,
    path: &Path,
    format: TraceFormat,
    viewer: Option<&view::Viewing>,
) -> Result<Ran, Failure> {
    let file = File::create(path)
        .map_err(|e| Failure::bad_input(format!("{}: cannot create: {e}", path.display())))?;
    let out = BufWriter::new(file);
    let mut tracer: Box<dyn Tracer> = match format {
        // The first record says what ran, so that the trace alone replays
        // any instant of it (`raftsim inspect TRACE`).
        TraceFormat::Jsonl => {
            let scenario =
                serde_json::to_value(&loaded.scenario.file).expect("a scenario file serialises");
            let tracer =
                JsonLinesTracer::with_run(out, scenario, seed, &variant.label).map_err(|e| {
                    Failure::bad_input(format!("{}: cannot write the trace: {e}", path.display()))
                })?;
            Box::new(tracer)
        }
        TraceFormat::Chrome => {
            Box::new(ChromeTracer::new(out, loaded.scenario.file.nodes as usize))
        }
    };
    let ran = run_one(
        &loaded.scenario,
        variant,
        seed,
        viewer,
        Some(tracer.as_mut()),
    );
    match &ran.0.trace_error {
        Some(e) => Err(Failure::bad_input(format!(
            "{}: cannot write the trace: {e}",
            path.display()
        ))),
        None => Ok(ran),
    }
}

/// `--out` names a directory (or a path to make one), and the options
/// that only shape what `--out` writes come with it.
fn check_out(args: &RunArgs) -> Result<(), Failure> {
    if let (None, Some(scale)) = (&args.out, args.chart_style.y_scale_given()) {
        return Err(Failure::bad_input(format!(
            "--y-scale {scale} shapes the charts, which only --out writes: add --out DIR, \
             or chart a saved run with `raftsim chart DIR/results.json --y-scale {scale}`"
        )));
    }
    if let Some(out) = &args.out {
        if out.exists() && !out.is_dir() {
            return Err(Failure::bad_input(format!(
                "{}: --out must be a directory",
                out.display()
            )));
        }
    }
    Ok(())
}

pub fn run(args: RunArgs) -> CliResult {
    check_out(&args)?;
    let loaded = load_with(&args.file, &args.overrides.sets())?;
    let scenario = &loaded.scenario;
    let seed = choose_seed(args.seed, scenario.file.seed)?;
    eprintln!("raftsim: seed {seed}");
    let selected: Vec<&Variant> = match &args.variant {
        Some(label) => vec![scenario.variant(label).ok_or_else(|| {
            let labels: Vec<&str> = scenario
                .variants()
                .iter()
                .map(|v| v.label.as_str())
                .collect();
            Failure::bad_input(format!(
                "{}: no variant is labelled {label:?}: the variants are {}",
                args.file,
                labels.join(", ")
            ))
        })?],
        None => scenario.variants().iter().collect(),
    };
    if let Some(base) = &args.trace {
        for v in &selected {
            output::refuse_input_file(&trace_path(base, &v.label, selected.len() > 1))?;
        }
    }
    if let Some(out) = &args.out {
        output::refuse_inputs_in(
            out,
            &["results.json", reports::artifacts::REPORT, "messages/"],
        )?;
    }
    let show_progress = Progress::wanted();
    let progress = Progress::new(show_progress);
    let total_us = selected.len() as u64 * scenario.file.duration_ms * 1_000;
    let what = format!("running {}", super::plural(selected.len(), "variant"));
    let ticker = progress.simulation(&what, Some(total_us));
    let viewing = args
        .out
        .is_some()
        .then(|| view::Viewing::new(scenario, seed, selected.len()));
    let viewer = viewing.as_ref();
    let ran: Vec<Ran> = match &args.trace {
        Some(base) => selected
            .iter()
            .map(|v| {
                let path = trace_path(base, &v.label, selected.len() > 1);
                let result = run_traced(&loaded, v, seed, &path, args.trace_format, viewer);
                if result.is_ok() && selected.len() > 1 {
                    progress.println(format!("trace of {}: {}", v.label, path.display()));
                }
                result
            })
            .collect::<Result<_, _>>()?,
        None => selected
            .par_iter()
            .map(|v| run_one(scenario, v, seed, viewer, None))
            .collect(),
    };
    drop(ticker);
    drop(progress);
    let (variant_results, data): (Vec<VariantResult>, Vec<Option<String>>) =
        ran.into_iter().unzip();
    let data: Vec<String> = data.into_iter().flatten().collect();
    let mut results = results::assemble(scenario, seed, variant_results);
    results.overrides = loaded.overrides.clone();
    results.command = Some(reproduce_command(
        &loaded.shown_as,
        &loaded.overrides,
        seed,
        args.variant.as_deref(),
    ));
    report_failures(&loaded, &results);
    // Serialised only when asked for: a virtual week's series make tens
    // of MiB of JSON.
    let json = || serde_json::to_string_pretty(&results).expect("results serialise");
    if args.json {
        println!("{}", json());
    } else {
        print!("{}", reports::table::side_by_side(&results));
    }
    if let Some(out) = &args.out {
        let json = json();
        let mut files = vec![("results.json".to_string(), format!("{json}\n").into_bytes())];
        files.extend(artifacts(&results, &args.chart_style, show_progress)?);
        let page = view::page(scenario, &results, &data, "results.json");
        files.push((viewer::FILE.to_string(), page.into_bytes()));
        output::write_all_owning(out, &files, &["messages"])?;
        if !args.json {
            println!("\nwrote {}", out.display());
        }
    }
    Ok(if results.passed() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// Charts and the report for `--out` (beyond results.json).
pub fn artifacts(
    results: &Results,
    style: &ChartStyle,
    show_progress: bool,
) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    chart::render(results, style.options(), show_progress)
        .map_err(|err| Failure::failed(format!("cannot draw the charts: {err}")))
}

/// Safety violations and cut-short runs on stderr, each with the command
/// that replays it.
fn report_failures(loaded: &Loaded, results: &Results) {
    for v in &results.variants {
        let replay = reproduce_command(
            &loaded.shown_as,
            &loaded.overrides,
            results.seed,
            Some(&v.label),
        );
        for violation in &v.safety.violations {
            eprintln!(
                "safety violation: {} in variant {:?}, seed {}, at {} ms virtual (event {}): {}\n  replay: {replay}",
                violation.property, v.label, results.seed, violation.at_ms, violation.event, violation.message
            );
        }
        if let Some(limit) = &v.limit_reached {
            eprintln!(
                "run cut short: variant {:?}, seed {}: {limit}\n  replay: {replay}",
                v.label, results.seed
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_to_distinct_file_names() {
        let labels = ["a+b", "a_b", "a_2bb", "a b", "prevote+checkquorum", "é"];
        let names: Vec<String> = labels.iter().map(|l| file_safe(l)).collect();
        assert_eq!(names[0], "a_2bb");
        assert_eq!(names[1], "a__b");
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), labels.len(), "{names:?}");
        let path = trace_path(Path::new("out/t.jsonl"), "a+b", true);
        assert_eq!(path, Path::new("out/t.a_2bb.jsonl"));
    }
}
