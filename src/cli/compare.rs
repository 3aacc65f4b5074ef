//! `raftsim compare`: several scenarios, every policy, one Markdown table.

use rayon::prelude::*;
use sim_core::results::{self, Results};

use super::{choose_seed, load, CliResult, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim compare leader-crash chained --seed 3")]
pub struct CompareArgs {
    /// Scenario files (or bundled scenario names); default: every bundled
    /// scenario but those that plant a bug (figure-3-7) and chaos-bugs
    /// (made for sweeps with a bug planted).
    files: Vec<String>,
    /// Seed for every scenario (default: RAFTSIM_SEED, else each file's own).
    #[arg(long, allow_hyphen_values = true, value_parser = super::parse_seed)]
    seed: Option<u64>,
}

pub fn compare(args: CompareArgs) -> CliResult {
    let files: Vec<String> = if args.files.is_empty() {
        super::bundled::SCENARIOS
            .iter()
            .filter(|(file, text)| !text.contains("\"bugs\"") && *file != "chaos-bugs.json")
            .map(|(file, _)| format!("scenarios/{file}"))
            .collect()
    } else {
        args.files.clone()
    };
    let loaded = files
        .iter()
        .map(|f| load(f))
        .collect::<Result<Vec<_>, _>>()?;
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
    // Every (scenario, variant) pair is an independent run.
    let jobs: Vec<(usize, usize)> = loaded
        .iter()
        .enumerate()
        .flat_map(|(s, l)| (0..l.scenario.variants().len()).map(move |v| (s, v)))
        .collect();
    let mut runs = jobs
        .par_iter()
        .map(|&(s, v)| {
            let scenario = &loaded[s].scenario;
            results::run_variant(scenario, &scenario.variants()[v], seeds[s], None)
        })
        .collect::<Vec<_>>()
        .into_iter();
    let all: Vec<Results> = loaded
        .iter()
        .zip(&seeds)
        .map(|(l, &seed)| {
            let variants = runs.by_ref().take(l.scenario.variants().len()).collect();
            results::assemble(&l.scenario, seed, variants)
        })
        .collect();
    print!("{}", reports::table::comparison_markdown(&all));
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
            eprintln!(
                "✗ {}: {}: safety violation or run cut short",
                l.shown_as, v.label
            );
            ok = false;
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}
