//! `raftsim view RESULTS.json|TRACE [--out FILE]`: the replay viewer
//! (docs/VIEWER.md), one self-contained HTML file. From a results file it
//! replays every variant of the scenario the results hold, with its seed and
//! overrides, under the viewer's tracer (the run is deterministic, so this is
//! the run the results describe); from a JSON Lines trace it reads the
//! trace. Also the one place where the CLI records viewers: `run --out`
//! records them while it runs (no second run), `chart` replays the run,
//! `sweep --out` and `shrink` replay their failing seeds.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant as WallClock;

use rayon::prelude::*;
use reports::viewer::{self, Page, ViewerTracer};
use sim_core::node::{NodeId, Status};
use sim_core::results::{self, Results, VariantResult};
use sim_core::scenario::{Scenario, Variant};
use sim_core::time::Instant;
use sim_core::trace::{read_jsonl, TraceEvent, Tracer};

use super::chart::read_results;
use super::inspect::{looks_like_trace, recorded_run, recorded_scenario};
use super::{output, CliResult, Failure, EXIT_OK};

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim run isolate-rejoin --out rejoin\n  \
    raftsim view rejoin/results.json --out rejoin.html")]
pub struct ViewArgs {
    /// A results file of `raftsim run --out DIR` (DIR/results.json, or DIR)
    /// or `raftsim run --json`; or a JSON Lines trace of `raftsim run --trace`.
    input: PathBuf,
    /// Where to write the viewer (default: viewer.html beside a results
    /// file; TRACE's name with .viewer.html for a trace).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Hands every event and hook to two tracers: the viewer's and the one
/// `--trace` asked for.
struct Both<'a> {
    first: &'a mut dyn Tracer,
    second: &'a mut dyn Tracer,
}

impl Tracer for Both<'_> {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        self.first.record(at, event)?;
        self.second.record(at, event)
    }
    fn finish(&mut self) -> io::Result<()> {
        self.first.finish()?;
        self.second.finish()
    }
    fn sends_wanted_from(&self) -> Instant {
        self.first
            .sends_wanted_from()
            .min(self.second.sends_wanted_from())
    }
    fn status(&mut self, at: Instant, node: NodeId, status: &Status) {
        self.first.status(at, node, status);
        self.second.status(at, node, status);
    }
    fn after_fault(&mut self, at: Instant, cut: &[(NodeId, NodeId)], paused: &[NodeId]) {
        self.first.after_fault(at, cut, paused);
        self.second.after_fault(at, cut, paused);
    }
}

/// Where a variant's run ended: at its first violation, at the last
/// event when a limit stopped it, else at the scenario's end.
fn end_of(result: &VariantResult, duration_us: u64) -> u64 {
    if let Some(v) = result.safety.violations.first() {
        return (v.at_ms * 1000.0).round() as u64;
    }
    match result.limit_reached {
        Some(_) => 0, // the recorder ends at the last event it heard
        None => duration_us,
    }
}

/// What the viewer's runs of one seed share: how many variants the page
/// shows, and the instants of the chaos drawn for the seed (the same for
/// every variant, so drawn once, not once per variant).
pub struct Viewing {
    pub variants: usize,
    chaos_us: Vec<u64>,
}

impl Viewing {
    pub fn new(scenario: &Scenario, seed: u64, variants: usize) -> Viewing {
        Viewing {
            variants,
            chaos_us: scenario
                .chaos_events(seed)
                .iter()
                .map(|e| e.at.as_us())
                .collect(),
        }
    }
}

/// Runs one variant under the viewer's tracer (and `also`, if given), and
/// makes its data for a page of `viewing.variants` variants.
pub fn record(
    scenario: &Scenario,
    variant: &Variant,
    seed: u64,
    viewing: &Viewing,
    also: Option<&mut dyn Tracer>,
) -> (VariantResult, String) {
    let duration_us = scenario.file.duration_ms * 1000;
    let variants = viewing.variants;
    // The script's instants are known before the run: their windows open
    // before them.
    let mut planned: Vec<u64> = scenario
        .variant_scripted(variant, seed)
        .iter()
        .map(|e| e.at.as_us())
        .collect();
    planned.extend(&viewing.chaos_us);
    let share = viewer::share_bytes(duration_us, variants);
    let mut tracer = ViewerTracer::new(
        &variant.label,
        scenario.file.nodes as u32,
        viewer::detail_for(&variant.raft, duration_us).within(duration_us, share),
        &planned,
    );
    if scenario.file.members.is_some() {
        tracer.initial_voters(scenario.members());
    }
    let result = match also {
        Some(second) => {
            let mut both = Both {
                first: &mut tracer,
                second,
            };
            results::run_variant(scenario, variant, seed, Some(&mut both))
        }
        None => results::run_variant(scenario, variant, seed, Some(&mut tracer)),
    };
    let replay = tracer.finish(end_of(&result, duration_us), &result.series.disruptions);
    let data = viewer::encode(&replay, share);
    (result, data)
}

/// Where the page opens when its address names no instant: the first
/// safety violation, if a variant had one.
fn start(results: &Results) -> Option<(String, u64)> {
    results.variants.iter().find_map(|v| {
        let first = v.safety.violations.first()?;
        Some((v.label.clone(), (first.at_ms * 1000.0).round() as u64))
    })
}

/// The page of a run's variants (`results` of that run).
pub fn page(scenario: &Scenario, results: &Results, variants: &[String], source: &str) -> String {
    viewer::html(&Page {
        scenario: &results.scenario,
        description: &results.description,
        seed: results.seed,
        nodes: scenario.file.nodes as u32,
        duration_us: scenario.file.duration_ms * 1000,
        source,
        command: results.command.as_deref(),
        start: start(results),
        variants,
    })
}

/// The page of a scenario's variants with `seed`, replayed here: what
/// `sweep` and `shrink` write for a failing seed.
pub fn replay_page(scenario: &Scenario, seed: u64, command: &str) -> String {
    let viewing = Viewing::new(scenario, seed, scenario.variants().len());
    let runs: Vec<(VariantResult, String)> = scenario
        .variants()
        .par_iter()
        .map(|v| record(scenario, v, seed, &viewing, None))
        .collect();
    let (variants, data): (Vec<VariantResult>, Vec<String>) = runs.into_iter().unzip();
    let mut results = results::assemble(scenario, seed, variants);
    results.command = Some(command.to_string());
    page(
        scenario,
        &results,
        &data,
        &format!("a replay of seed {seed}"),
    )
}

fn megabytes(bytes: usize) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

/// The path the user typed and the one we would write are the same file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The name a trace's viewer gets by default: `TRACE.viewer.html`.
fn trace_stem(path: &Path) -> String {
    path.file_stem()
        .map_or("trace".to_string(), |s| s.to_string_lossy().into_owned())
}

/// A trace whose first record says what ran is replayed like a results
/// file (every detail, the same page); any other is read record by record.
fn from_trace(path: &Path, text: &str) -> Result<String, Failure> {
    let shown = path.display();
    if let Some((scenario, seed, label)) = recorded_run(text, &shown.to_string())? {
        let variant = scenario.variant(&label).ok_or_else(|| {
            Failure::bad_input(format!(
                "{shown}: its first record names variant {label:?}, which its scenario lacks"
            ))
        })?;
        let viewing = Viewing::new(&scenario, seed, 1);
        let (result, data) = record(&scenario, variant, seed, &viewing, None);
        let results = results::assemble(&scenario, seed, vec![result]);
        let source = format!("a replay of the trace {}", trace_stem(path));
        return Ok(page(&scenario, &results, &[data], &source));
    }
    let stem = trace_stem(path);
    let lines = read_jsonl(text).map_err(|e| Failure::bad_input(format!("{shown}: {e}")))?;
    let end_us = lines.last().map_or(0, |l| l.at_us);
    let detail = viewer::detail_for(&Default::default(), end_us);
    let replay = viewer::from_lines(&lines, &stem, detail)
        .map_err(|e| Failure::bad_input(format!("{shown}: {e}")))?;
    let data = viewer::encode(&replay, viewer::share_bytes(replay.end_us, 1));
    let source = path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let html = viewer::html(&Page {
        scenario: &stem,
        description: "Read from a JSON Lines trace: each node as of its last state record; \
            link cuts and pauses are not in a trace.",
        seed: 0,
        nodes: replay.nodes,
        duration_us: replay.end_us,
        source: &source,
        command: None,
        start: None,
        variants: std::slice::from_ref(&data),
    });
    Ok(html)
}

/// The page of a saved run, every variant replayed from the scenario the
/// results hold (`shown`: the results file as the user named it, for
/// errors; `source`: as the page names it).
pub fn results_page(results: &Results, shown: &str, source: &str) -> Result<String, Failure> {
    let scenario = recorded_scenario(results, shown)?;
    // Replay the variants the results hold (all, or the one `--variant` ran).
    let variants: Vec<&Variant> = results
        .variants
        .iter()
        .map(|v| {
            scenario.variant(&v.label).ok_or_else(|| {
                Failure::bad_input(format!(
                    "{shown}: variant {:?} is not in the scenario it holds",
                    v.label
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let viewing = Viewing::new(&scenario, results.seed, variants.len());
    let data: Vec<String> = variants
        .par_iter()
        .map(|v| record(&scenario, v, results.seed, &viewing, None).1)
        .collect();
    Ok(page(&scenario, results, &data, source))
}

fn from_results(path: &Path) -> Result<String, Failure> {
    let results = read_results(path)?;
    let source = path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let started = WallClock::now();
    let html = results_page(&results, &path.display().to_string(), &source)?;
    eprintln!(
        "raftsim: replayed {} and made the page in {:.3} s",
        super::plural(results.variants.len(), "variant"),
        started.elapsed().as_secs_f64()
    );
    Ok(html)
}

pub fn view(args: ViewArgs) -> CliResult {
    let path = if args.input.is_dir() {
        args.input.join("results.json")
    } else {
        args.input.clone()
    };
    let shown = path.display();
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Failure::bad_input(format!("{shown}: no such file")),
        _ => Failure::bad_input(format!("{shown}: cannot read: {e}")),
    })?;
    if let Some(out) = &args.out {
        if out.is_dir() {
            return Err(Failure::bad_input(format!(
                "{}: --out names a directory; give a file name (e.g. {})",
                out.display(),
                out.join(viewer::FILE).display()
            )));
        }
    }
    let trace = looks_like_trace(&text);
    let out = args.out.unwrap_or_else(|| match trace {
        true => path.with_file_name(format!("{}.viewer.html", trace_stem(&path))),
        false => path.with_file_name(viewer::FILE),
    });
    if same_file(&out, &path) {
        return Err(Failure::bad_input(format!(
            "--out {}: that is the input; write the viewer somewhere else",
            out.display()
        )));
    }
    let html = match trace {
        true => from_trace(&path, &text)?,
        false => {
            drop(text);
            from_results(&path)?
        }
    };
    output::write_file(&out, html.as_bytes())?;
    println!("wrote {} ({})", out.display(), megabytes(html.len()));
    Ok(EXIT_OK)
}
