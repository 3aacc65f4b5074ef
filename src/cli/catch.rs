//! `raftsim catch`: how often a scenario's faults catch each planted bug.
//! For every setting (the scenario as written and, with `--untuned`, its
//! chaos rates halved and doubled and the cluster at 3 and 7 nodes) and
//! every bug, the bug is planted in each variant it applies to and the
//! seeds are run; a seed catches the bug when the checker reports a
//! violation. The table it prints is the one docs/FINDINGS.md and the
//! README show. Every cell is a set of `--set` overrides on the file, so
//! any seed reproduces with `raftsim run`.

use std::path::PathBuf;
use std::time::Instant as WallClock;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sim_core::faults::{Fault, Request};
use sim_core::node::{Bugs, ElectionKind, Implementation};
use sim_core::results;
use sim_core::scenario::{Scenario, Variant};
use sim_core::stats::nearest_rank;

use super::overrides::Overrides;
use super::progress::Progress;
use super::run::reproduce_command;
use super::sweep::{parse_range, worker_pool};
use super::{load_with, output, plural, CliResult, Failure, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
#[command(
    after_help = "The table of docs/FINDINGS.md: raftsim catch chaos --seeds 0..200 --untuned (about ten minutes on two cores).\n\nExample:\n  raftsim catch chaos --bugs keep_conflicting_suffix --seeds 0..4 --set duration_ms=20000"
)]
pub struct CatchArgs {
    /// Scenario file (or the name of a bundled scenario).
    #[arg(default_value = "chaos")]
    file: String,
    #[command(flatten)]
    overrides: Overrides,
    /// Half-open seed range, `A..B`.
    #[arg(long, value_parser = parse_range, value_name = "A..B", default_value = "0..200")]
    seeds: [u64; 2],
    /// The bugs to plant, comma-separated (default: every bug).
    #[arg(long, value_delimiter = ',')]
    bugs: Vec<String>,
    /// Also run the settings nobody tuned: every chaos rate halved and
    /// doubled (capped at 60 per minute), and the cluster at 3 and 7 nodes.
    #[arg(long)]
    untuned: bool,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Exit 1 when a cell that applies catches its bug in fewer seeds than
    /// this share, e.g. 0.9.
    #[arg(long, value_name = "SHARE")]
    min_rate: Option<f64>,
    /// Print the cells as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write the table (catch.md) and the cells (catch.json) here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// The most seeds one `catch` runs, over every setting and bug.
const MAX_SEED_RUNS: u64 = 10_000_000;

/// A way of running the scenario: its name in the table and the
/// overrides that make it.
struct Setting {
    name: String,
    sets: Vec<String>,
}

/// One cell: a bug planted in one variant under one setting.
#[derive(Serialize)]
struct Cell {
    setting: String,
    bug: String,
    variant: String,
    /// Why the bug cannot apply here (then nothing was run).
    #[serde(skip_serializing_if = "Option::is_none")]
    not_applicable: Option<&'static str>,
    runs: u64,
    caught: u64,
    /// Runs stopped by a limit before the checker caught anything.
    cut_short: u64,
    /// The lower median of the first violations' virtual times.
    #[serde(skip_serializing_if = "Option::is_none")]
    median_ms: Option<f64>,
    /// The first seed that caught it, with the command that replays it.
    #[serde(skip_serializing_if = "Option::is_none")]
    example: Option<String>,
}

impl Cell {
    fn rate(&self) -> f64 {
        self.caught as f64 / self.runs.max(1) as f64
    }

    fn shown(&self) -> String {
        if self.not_applicable.is_some() {
            return "–".to_string();
        }
        match self.median_ms {
            Some(ms) => format!("{:.1}%, {:.1} s", 100.0 * self.rate(), ms / 1000.0),
            None => "0%".to_string(),
        }
    }
}

/// What one run says: caught at this virtual time, or cut short.
#[derive(Clone, Copy)]
enum Outcome {
    Caught(f64),
    CutShort,
    Clean,
}

pub fn catch(args: CatchArgs) -> CliResult {
    if args.jobs == Some(0) {
        return Err(Failure::bad_input("--jobs must be at least 1"));
    }
    if let Some(share) = args.min_rate.filter(|s| !(0.0..=1.0).contains(s)) {
        return Err(Failure::bad_input(format!(
            "--min-rate {share}: a share from 0 to 1, e.g. 0.9"
        )));
    }
    let bugs: Vec<String> = if args.bugs.is_empty() {
        Bugs::NAMES.iter().map(|b| b.to_string()).collect()
    } else {
        args.bugs.clone()
    };
    if let Some(unknown) = bugs.iter().find(|b| !Bugs::NAMES.contains(&b.as_str())) {
        return Err(Failure::bad_input(format!(
            "--bugs: unknown bug {unknown:?}: known bugs are {}",
            Bugs::NAMES.join(", ")
        )));
    }
    let base = load_with(&args.file, &args.overrides.sets())?;
    let mut settings = vec![Setting {
        name: "as written".to_string(),
        sets: Vec::new(),
    }];
    if args.untuned {
        settings.extend(untuned(&base.scenario));
    }
    // Each setting × bug: the scenario with the bug planted, and per
    // variant either the reason it does not apply or its index.
    let mut groups = Vec::new();
    for setting in &settings {
        for bug in &bugs {
            groups.push(plant(&args, setting, bug)?);
        }
    }
    let runs = (groups.len() as u64).saturating_mul(args.seeds[1] - args.seeds[0]);
    if runs > MAX_SEED_RUNS {
        return Err(Failure::bad_input(format!(
            "{} settings × bugs × {} seeds is {runs} seed runs, more than the limit of \
             {MAX_SEED_RUNS}: fewer seeds or bugs",
            groups.len(),
            args.seeds[1] - args.seeds[0]
        )));
    }
    let seeds: Vec<u64> = (args.seeds[0]..args.seeds[1]).collect();
    let tasks: Vec<(usize, u64)> = (0..groups.len())
        .flat_map(|g| seeds.iter().map(move |&seed| (g, seed)))
        .collect();
    let (pool, jobs) = worker_pool(args.jobs, tasks.len())?;
    eprintln!(
        "raftsim: catch: {} × {} × seeds {}..{} of {} with {}",
        plural(settings.len(), "setting"),
        plural(bugs.len(), "bug"),
        args.seeds[0],
        args.seeds[1],
        base.scenario.name(),
        plural(jobs, "job")
    );
    let progress = if Progress::wanted() {
        let bar = ProgressBar::new(tasks.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} seeds · ETA {eta}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = WallClock::now();
    let outcomes: Vec<Vec<Outcome>> = pool.install(|| {
        tasks
            .par_iter()
            .map(|&(g, seed)| {
                let group = &groups[g];
                let outcomes = group
                    .applies
                    .iter()
                    .map(|&i| run_one(&group.scenario, &group.scenario.variants()[i], seed))
                    .collect();
                progress.inc(1);
                outcomes
            })
            .collect()
    });
    progress.finish_and_clear();
    eprintln!(
        "raftsim: catch: {} in {:.1} s",
        plural(outcomes.iter().map(Vec::len).sum(), "run"),
        started.elapsed().as_secs_f64()
    );
    let cells = cells(&groups, &seeds, &outcomes);
    let cut_short: u64 = cells.iter().map(|c| c.cut_short).sum();
    if cut_short > 0 {
        eprintln!(
            "raftsim: catch: {} cut short by a limit before anything was caught (counted as not caught; catch.json has them per cell)",
            plural(cut_short as usize, "run")
        );
    }
    let json = serde_json::to_string_pretty(&cells).expect("cells serialise");
    let table = format!(
        "{}\nEach cell: the share of seeds {}..{} in which the checker caught the bug, and the median virtual time of its first violation; – where the bug cannot apply.\n",
        table(&groups, &cells),
        args.seeds[0],
        args.seeds[1]
    );
    if args.json {
        println!("{json}");
    } else {
        print!("{table}");
    }
    if let Some(dir) = &args.out {
        output::write_all(
            dir,
            &[
                ("catch.md".to_string(), table.into_bytes()),
                ("catch.json".to_string(), format!("{json}\n").into_bytes()),
            ],
        )?;
    }
    let below: Vec<&Cell> = args.min_rate.map_or_else(Vec::new, |share| {
        cells
            .iter()
            .filter(|c| c.not_applicable.is_none() && c.rate() < share)
            .collect()
    });
    for cell in &below {
        eprintln!(
            "raftsim: catch: {} / {} / {}: {:.1}% is below --min-rate",
            cell.setting,
            cell.bug,
            cell.variant,
            100.0 * cell.rate()
        );
    }
    Ok(if below.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The settings nobody tuned: each chaos rate halved and doubled, and 3
/// and 7 nodes.
fn untuned(scenario: &Scenario) -> Vec<Setting> {
    let chaos = serde_json::to_value(&scenario.file.chaos).unwrap_or(Value::Null);
    let scaled = |factor: f64| -> Vec<String> {
        let Some(fields) = chaos.as_object() else {
            return Vec::new();
        };
        fields
            .iter()
            .filter(|(key, _)| key.ends_with("_per_min"))
            .filter_map(|(key, rate)| Some((key, rate.as_f64()?)))
            .map(|(key, rate)| format!("chaos.{key}={}", (rate * factor).min(60.0)))
            .collect()
    };
    vec![
        Setting {
            name: "rates ×0.5".to_string(),
            sets: scaled(0.5),
        },
        Setting {
            name: "rates ×2".to_string(),
            sets: scaled(2.0),
        },
        Setting {
            name: "3 nodes".to_string(),
            sets: vec!["nodes=3".to_string()],
        },
        Setting {
            name: "7 nodes".to_string(),
            sets: vec!["nodes=7".to_string()],
        },
    ]
}

/// One setting with one bug planted: the scenario, what the table and the
/// replay commands need, and which variants run.
struct Group {
    setting: String,
    bug: String,
    scenario: Scenario,
    /// The file and overrides that make it, for replay commands.
    file: String,
    sets: Vec<String>,
    /// Per variant: why the bug does not apply, if it does not.
    not_applicable: Vec<Option<&'static str>>,
    /// The variants that run, by index.
    applies: Vec<usize>,
}

fn plant(args: &CatchArgs, setting: &Setting, bug: &str) -> Result<Group, Failure> {
    let mut sets = args.overrides.sets();
    sets.extend(setting.sets.iter().cloned());
    let bare = load_with(&args.file, &sets)?.scenario;
    let not_applicable: Vec<Option<&'static str>> = bare
        .variants()
        .iter()
        .map(|v| why_not(&bare, v, bug, args.seeds[0]))
        .collect();
    let applies: Vec<usize> = (0..not_applicable.len())
        .filter(|&i| not_applicable[i].is_none())
        .collect();
    for &i in &applies {
        sets.push(format!("variants[{i}].raft.bugs=[\"{bug}\"]"));
    }
    let scenario = load_with(&args.file, &sets)?.scenario;
    Ok(Group {
        setting: setting.name.clone(),
        bug: bug.to_string(),
        scenario,
        file: args.file.clone(),
        sets,
        not_applicable,
        applies,
    })
}

/// Why `bug` cannot apply to `variant` (None: it can). Planted bugs live
/// in the model only; the membership bugs need a variant that changes its
/// configuration (DLedger refuses every change) and a script that asks
/// for a change (read from the first seed's).
fn why_not(scenario: &Scenario, variant: &Variant, bug: &str, seed: u64) -> Option<&'static str> {
    if variant.raft.implementation != Implementation::Model {
        return Some("planted bugs exist only in the model");
    }
    if !matches!(
        bug,
        "change_before_term_commit" | "multiple_changes_at_once"
    ) {
        return None;
    }
    if variant.raft.election == ElectionKind::Dledger {
        return Some("DLedger refuses membership changes");
    }
    let changes = scenario
        .variant_script(variant, seed)
        .iter()
        .any(|e| matches!(&e.fault, Fault::Request(r) if !matches!(r, Request::TransferLeader(_))));
    (!changes).then_some("the scenario asks for no membership change")
}

fn run_one(scenario: &Scenario, variant: &Variant, seed: u64) -> Outcome {
    let result = results::run_variant(scenario, variant, seed, None);
    match (result.safety.violations.first(), &result.limit_reached) {
        (Some(violation), _) => Outcome::Caught(violation.at_ms),
        (None, Some(_)) => Outcome::CutShort,
        (None, None) => Outcome::Clean,
    }
}

fn cells(groups: &[Group], seeds: &[u64], outcomes: &[Vec<Outcome>]) -> Vec<Cell> {
    let mut cells = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let runs = &outcomes[g * seeds.len()..(g + 1) * seeds.len()];
        for (i, variant) in group.scenario.variants().iter().enumerate() {
            let mut cell = Cell {
                setting: group.setting.clone(),
                bug: group.bug.clone(),
                variant: variant.label.clone(),
                not_applicable: group.not_applicable[i],
                runs: 0,
                caught: 0,
                cut_short: 0,
                median_ms: None,
                example: None,
            };
            if let Some(column) = group.applies.iter().position(|&a| a == i) {
                let mut times = Vec::new();
                for (seed, run) in seeds.iter().zip(runs) {
                    cell.runs += 1;
                    match run[column] {
                        Outcome::Caught(ms) => {
                            times.push(ms);
                            cell.example.get_or_insert_with(|| {
                                reproduce_command(
                                    &group.file,
                                    &group.sets,
                                    *seed,
                                    Some(&variant.label),
                                )
                            });
                        }
                        Outcome::CutShort => cell.cut_short += 1,
                        Outcome::Clean => {}
                    }
                }
                cell.caught = times.len() as u64;
                times.sort_by(f64::total_cmp);
                // The lower median of the catch times (none caught, none).
                cell.median_ms = (!times.is_empty()).then(|| nearest_rank(&times, 0.5));
            }
            cells.push(cell);
        }
    }
    cells
}

/// The Markdown table: a row per setting and bug, a column per variant
/// that some bug applies to (a raft-rs variant has no planted bugs).
fn table(groups: &[Group], cells: &[Cell]) -> String {
    let Some(first) = groups.first() else {
        return String::new();
    };
    let labels: Vec<&str> = first
        .scenario
        .variants()
        .iter()
        .map(|v| v.label.as_str())
        .filter(|label| {
            cells
                .iter()
                .any(|c| c.variant == *label && c.not_applicable.is_none())
        })
        .collect();
    let mut out = format!("| setting | bug | {} |\n", labels.join(" | "));
    out.push_str(&format!("|---|---|{}\n", "---|".repeat(labels.len())));
    for group in groups {
        let row: Vec<String> = labels
            .iter()
            .map(|label| {
                cells
                    .iter()
                    .find(|c| {
                        c.setting == group.setting && c.bug == group.bug && c.variant == *label
                    })
                    .map_or_else(|| "–".to_string(), Cell::shown)
            })
            .collect();
        out.push_str(&format!(
            "| {} | `{}` | {} |\n",
            group.setting,
            group.bug,
            row.join(" | ")
        ));
    }
    out
}
