//! `raftsim shrink`: the smallest scenario that still fails with a seed.

use std::path::PathBuf;

use sim_core::results::shell_word;
use sim_core::scenario::ScenarioFile;
use sim_core::{scenario, shrink};

use super::overrides::Overrides;
use super::progress::Progress;
use super::run::reproduce_command;
use super::view;
use super::{choose_seed, load_with, output, CliResult, Failure, EXIT_OK};

#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  raftsim shrink figure-3-7 --variant planted --out small.json\n  raftsim validate small.json"
)]
pub struct ShrinkArgs {
    /// Scenario file (or the name of a bundled scenario).
    file: String,
    /// The failing seed (default: RAFTSIM_SEED, else the scenario's).
    #[arg(long, allow_hyphen_values = true, value_parser = super::parse_seed)]
    seed: Option<u64>,
    /// The failing variant (default: the first one that fails).
    #[arg(long)]
    variant: Option<String>,
    #[command(flatten)]
    overrides: Overrides,
    /// Where to write the shrunk scenario (default: NAME.seed-N.min.json here).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn summary(file: &ScenarioFile) -> String {
    format!(
        "{} events, {} ms, {} nodes",
        file.events.len() + usize::from(file.chaos.is_some()),
        file.duration_ms,
        file.nodes
    )
}

/// A scenario as the bundled files are written: one top-level key per
/// line, one event, variant or expectation per line.
fn format_scenario(file: &ScenarioFile) -> String {
    let value = serde_json::to_value(file).expect("scenario serialises");
    let serde_json::Value::Object(map) = value else {
        unreachable!("a scenario is an object")
    };
    let mut lines = Vec::new();
    for (key, value) in &map {
        let compact = |v: &serde_json::Value| serde_json::to_string(v).expect("json");
        match value {
            serde_json::Value::Array(items) if !items.is_empty() => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|i| format!("    {}", compact(i)))
                    .collect();
                lines.push(format!(
                    "  {}: [\n{}\n  ]",
                    compact(&key.clone().into()),
                    inner.join(",\n")
                ));
            }
            _ => lines.push(format!(
                "  {}: {}",
                compact(&key.clone().into()),
                compact(value)
            )),
        }
    }
    format!("{{\n{}\n}}\n", lines.join(",\n"))
}

pub fn shrink(args: ShrinkArgs) -> CliResult {
    let loaded = load_with(&args.file, &args.overrides.sets())?;
    let scenario = &loaded.scenario;
    let seed = choose_seed(args.seed, scenario.file.seed)?;
    eprintln!("raftsim: seed {seed}");
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.seed-{seed}.min.json", scenario.name())));
    output::refuse_input_file(&out)?;
    let before = scenario.file.clone();
    let drawn = scenario.chaos_events(seed).len();
    let progress = Progress::new(Progress::wanted());
    let ticker = progress.simulation("shrinking", None);
    let shrunk = shrink::shrink(scenario, args.variant.as_deref(), seed);
    drop(ticker);
    drop(progress);
    let shrunk = shrunk.map_err(|e| match e {
        shrink::ShrinkError::NotReproducible(_) => Failure::failed(format!("{}: {e}", args.file)),
        _ => Failure::bad_input(format!("{}: {e}", args.file)),
    })?;
    let mut file = shrunk.file.clone();
    file.name = format!("{}-min", scenario.name());
    file.description = format!(
        "Shrunk by `raftsim shrink {}{} --seed {seed}` from {} scripted and {drawn} chaos events, {} ms and {} nodes: variant {:?} still fails with a {}.",
        shell_word(&args.file),
        args.overrides
            .sets()
            .iter()
            .map(|set| format!(" --set {}", shell_word(set)))
            .collect::<String>(),
        before.events.len(),
        before.duration_ms,
        before.nodes,
        shrunk.variant,
        shrunk.failure
    );
    let text = format_scenario(&file);
    output::write_file(&out, text.as_bytes())?;
    // The shrunk run in the replay viewer, beside the scenario.
    let replay = reproduce_command(&out.to_string_lossy(), &[], seed, None);
    let viewer = out.with_extension("viewer.html");
    let small = scenario::parse(&text).map_err(|e| {
        Failure::failed(format!(
            "{}: the shrunk scenario does not validate: {}",
            out.display(),
            e.0[0]
        ))
    })?;
    output::write_file(&viewer, view::replay_page(&small, seed, &replay).as_bytes())?;
    println!(
        "{} in variant {:?} with seed {seed}\n  before: {} scripted + {drawn} chaos events, {} ms, {} nodes\n  after:  {} ({} runs to verify)\nwrote {}\nviewer: {}\nreplay: {}",
        shrunk.failure,
        shrunk.variant,
        before.events.len(),
        before.duration_ms,
        before.nodes,
        summary(&shrunk.file),
        shrunk.runs,
        out.display(),
        viewer.display(),
        replay
    );
    Ok(EXIT_OK)
}
