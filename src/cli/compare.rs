//! `raftsim compare`: several scenarios, every policy, one Markdown table.

use rayon::prelude::*;
use sim_core::results::{self, Results};

use serde_json::Value;
use sim_core::scenario::{self, Scenario};

use super::overrides::Overrides;
use super::progress::Progress;
use super::{choose_seed, load_with, plural, CliResult, Failure, EXIT_FAILED, EXIT_OK};

/// What a raft-rs twin's label adds to its model variant's.
const TWIN_SUFFIX: &str = " (raft-rs)";

fn twin_label(label: &str) -> String {
    format!("{label}{TWIN_SUFFIX}")
}

/// The scenario with, after each classic model variant without planted
/// bugs, the same variant run by raft-rs. raft-rs has a leader lease only
/// with CheckQuorum, so the twin's `leader_lease` is its `check_quorum`.
fn with_raft_rs_twins(scenario: &Scenario) -> Result<Scenario, String> {
    let mut file = serde_json::to_value(&scenario.file).map_err(|e| e.to_string())?;
    let base = file["raft"].clone();
    let variants = match file["variants"].as_array() {
        Some(v) if !v.is_empty() => v.clone(),
        _ => vec![serde_json::json!({"label": "default"})],
    };
    let mut with_twins = Vec::new();
    for variant in variants {
        let setting = |key: &str| {
            let own = &variant["raft"][key];
            if own.is_null() {
                base[key].clone()
            } else {
                own.clone()
            }
        };
        let classic = setting("election").as_str().is_none_or(|e| e == "classic");
        let model = setting("implementation")
            .as_str()
            .is_none_or(|i| i == "model");
        let bugs = setting("bugs").as_array().is_some_and(|b| !b.is_empty());
        with_twins.push(variant.clone());
        if classic && model && !bugs {
            let mut twin = variant.clone();
            let label = variant["label"].as_str().unwrap_or("default");
            twin["label"] = Value::String(twin_label(label));
            let check_quorum = setting("check_quorum").as_bool().unwrap_or(false);
            let raft = twin["raft"]
                .as_object_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            let mut raft = Value::Object(raft);
            raft["implementation"] = Value::String("raft-rs".to_string());
            raft["leader_lease"] = Value::Bool(check_quorum);
            twin["raft"] = raft;
            with_twins.push(twin);
        }
    }
    file["variants"] = Value::Array(with_twins);
    // The scenario's own expectations are about the model's variants.
    if let Some(expect) = file["expect"].as_array_mut() {
        expect.retain(|e| e["variant"].is_string());
    }
    scenario::parse(&file.to_string()).map_err(|e| e.0[0].to_string())
}

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim compare leader-crash chained --seed 3")]
pub struct CompareArgs {
    /// Scenario files (or bundled scenario names); default: every bundled
    /// scenario but those that plant a bug (figure-3-7), chaos-bugs (made
    /// for sweeps with a bug planted), the election-timeouts experiment
    /// (its variants are timeout ranges, not policies), leader-disk-hang
    /// and slow-fsync-elections (their variants are rules of how a node
    /// writes; the second runs a virtual day), bench (the
    /// benchmark's fault-free hour: nothing to compare) and those whose
    /// variants run events of their own (their columns are stories, not
    /// policies under one script: remove-leader, replace-node,
    /// two-node-removal, rolling-upgrade, add-voter-while-degraded).
    files: Vec<String>,
    #[command(flatten)]
    overrides: Overrides,
    /// Run every classic variant a second time with TiKV's raft-rs (same
    /// pre_vote and check_quorum; raft-rs has the lease only with
    /// CheckQuorum) and show the two side by side.
    #[arg(long)]
    implementations: bool,
    /// Seed for every scenario (default: RAFTSIM_SEED, else each file's own).
    #[arg(long, allow_hyphen_values = true, value_parser = super::parse_seed)]
    seed: Option<u64>,
}

/// Whether a bundled scenario gives some variant events of its own.
fn has_variant_events(text: &str) -> bool {
    let file: Value = serde_json::from_str(text).expect("a bundled scenario is JSON");
    file["variants"]
        .as_array()
        .is_some_and(|variants| variants.iter().any(|v| v.get("events").is_some()))
}

pub fn compare(args: CompareArgs) -> CliResult {
    let files: Vec<String> = if args.files.is_empty() {
        super::bundled::SCENARIOS
            .iter()
            .filter(|(file, text)| {
                !text.contains("\"bugs\"")
                    && *file != "election-timeouts.json"
                    && *file != "chaos-bugs.json"
                    && *file != "bench.json"
                    && *file != "leader-disk-hang.json"
                    && *file != "slow-fsync-elections.json"
                    && !has_variant_events(text)
            })
            .map(|(file, _)| format!("scenarios/{file}"))
            .collect()
    } else {
        args.files.clone()
    };
    let mut loaded = files
        .iter()
        .map(|f| load_with(f, &args.overrides.sets()))
        .collect::<Result<Vec<_>, _>>()?;
    if args.implementations {
        for l in &mut loaded {
            l.scenario = with_raft_rs_twins(&l.scenario)
                .map_err(|why| Failure::bad_input(format!("{}: {why}", l.shown_as)))?;
        }
    }
    let seeds = loaded
        .iter()
        .map(|l| choose_seed(args.seed, l.scenario.file.seed))
        .collect::<Result<Vec<_>, _>>()?;
    let mut distinct = seeds.clone();
    distinct.sort_unstable();
    distinct.dedup();
    match distinct.as_slice() {
        [seed] => eprintln!("raftsim: seed {seed}"),
        _ => eprintln!(
            "raftsim: seeds {}",
            loaded
                .iter()
                .zip(&seeds)
                .map(|(l, seed)| format!("{} {seed}", l.shown_as))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    if !args.overrides.sets().is_empty() {
        eprintln!(
            "raftsim: every scenario with --set {}",
            args.overrides.sets().join(" --set ")
        );
    }
    // Every (scenario, variant) pair is an independent run.
    let jobs: Vec<(usize, usize)> = loaded
        .iter()
        .enumerate()
        .flat_map(|(s, l)| (0..l.scenario.variants().len()).map(move |v| (s, v)))
        .collect();
    let total_us: u64 = jobs
        .iter()
        .map(|&(s, _)| loaded[s].scenario.file.duration_ms * 1_000)
        .sum();
    let progress = Progress::new(Progress::wanted());
    let what = format!("running {}", plural(jobs.len(), "variant"));
    let ticker = progress.simulation(&what, Some(total_us));
    let mut runs = jobs
        .par_iter()
        .map(|&(s, v)| {
            let scenario = &loaded[s].scenario;
            results::run_variant(scenario, &scenario.variants()[v], seeds[s], None)
        })
        .collect::<Vec<_>>()
        .into_iter();
    drop(ticker);
    drop(progress);
    let all: Vec<Results> = loaded
        .iter()
        .zip(&seeds)
        .map(|(l, &seed)| {
            let variants = runs.by_ref().take(l.scenario.variants().len()).collect();
            results::assemble(&l.scenario, seed, variants)
        })
        .collect();
    let mut columns = reports::table::comparison_columns(&all);
    if args.implementations {
        // Each policy beside its raft-rs twin; DLedger has none.
        let twins: Vec<String> = columns.iter().map(|c| twin_label(c)).collect();
        // A scenario's own raft-rs variants are shown by the twins.
        let own_raft_rs = |label: &str| {
            all.iter().filter_map(|r| r.variant(label)).any(|v| {
                v.config["raft"]["implementation"] == "raft-rs" && !label.ends_with(TWIN_SUFFIX)
            })
        };
        columns = columns
            .iter()
            .zip(&twins)
            .filter(|(c, _)| !c.ends_with(TWIN_SUFFIX) && !own_raft_rs(c))
            .flat_map(|(c, t)| {
                let has_twin = all.iter().any(|r| r.variant(t).is_some());
                std::iter::once(c.clone()).chain(has_twin.then(|| t.clone()))
            })
            .collect();
    }
    print!(
        "{}",
        reports::table::comparison_markdown_columns(&all, &columns)
    );
    println!("\nCells: term inflation / disruptions / leaderless time; ✗ marks a failed check.");
    let mut ok = true;
    for (l, r) in loaded.iter().zip(&all) {
        for e in r.expectations.iter().filter(|e| !e.ok) {
            eprintln!(
                "✗ {}: {}: {} = {}",
                l.shown_as,
                e.variant,
                e.metric,
                reports::table::actual(e)
            );
            ok = false;
        }
        for v in r.variants.iter().filter(|v| !v.ok()) {
            let why = match (&v.limit_reached, v.safety.violations.first()) {
                (_, Some(violation)) => {
                    format!(
                        "safety violation ({}): {}",
                        violation.property, violation.message
                    )
                }
                (Some(limit), None) => format!("run cut short: {limit}"),
                (None, None) => "failed".to_string(),
            };
            eprintln!("✗ {}: {}: {why}", l.shown_as, v.label);
            ok = false;
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}
