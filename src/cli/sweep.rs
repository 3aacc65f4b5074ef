//! `raftsim sweep` and `raftsim merge`: one scenario over many seeds in
//! parallel, shards, and the aggregate. Per-seed results never depend on
//! `--jobs`; the aggregate and the distribution chart are computed from the
//! per-seed records whatever their order, so merged shards give exactly
//! what one machine gives.

mod merge;
mod summary;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant as WallClock;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use reports::charts::cdf::{CdfOptions, Published, PublishedPoint, SweepSamples};
use reports::{artifacts, sweep_table};
use serde::{Deserialize, Serialize};
use sim_core::node::Implementation;
use sim_core::raftrs::unreplaced_timeouts;
use sim_core::results::{self, shell_word};
use sim_core::scenario::{PublishedSpec, Scenario};
use sim_core::sweep::{self, Aggregate, SeedRecord, VariantAggregate};

use super::overrides::Overrides;
use super::progress::{events_per_sec, virtual_time, Progress, Ticker};
use super::resume::{finished_seeds, ProgressLog};
use super::run::reproduce_command;
use super::view;
use super::{load_with, output, plural, CliResult, Failure, EXIT_FAILED, EXIT_OK};

/// The most seeds one sweep may run.
const MAX_SEEDS: u64 = 100_000_000;

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim sweep leader-crash --seeds 0..20 --out crash-sweep")]
pub struct SweepArgs {
    /// Scenario file (or the name of a bundled scenario).
    file: String,
    #[command(flatten)]
    overrides: Overrides,
    /// Half-open seed range, `A..B` (seeds A to B-1).
    #[arg(long, value_parser = parse_range, value_name = "A..B")]
    seeds: [u64; 2],
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only the K-th of N contiguous slices of the range, e.g. `2/4`.
    #[arg(long, value_parser = parse_shard, value_name = "K/N")]
    shard: Option<(u64, u64)>,
    /// Write seeds.jsonl (one line per seed), sweep.json, shard.json, the
    /// distribution chart (distributions.svg and .png) and report.html here.
    /// While the sweep runs, each finished seed is appended to
    /// DIR/seeds.jsonl.partial.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Finish a sweep that was killed: run only the seeds missing from
    /// DIR/seeds.jsonl.partial (needs --out DIR and the same scenario,
    /// range and shard). The output is exactly that of an uninterrupted sweep.
    #[arg(long, requires = "out")]
    resume: bool,
    /// Print only the aggregate JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  raftsim sweep leader-crash --seeds 0..20 --shard 1/2 --out shard-1\n  raftsim sweep leader-crash --seeds 0..20 --shard 2/2 --out shard-2\n  raftsim merge shard-1 shard-2"
)]
pub struct MergeArgs {
    /// Output directories of `raftsim sweep --shard K/N --out DIR`.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Write the merged seeds.jsonl, sweep.json, shard.json, the
    /// distribution chart and report.html here (not one of the inputs).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Merge even if seeds of the range are missing (the aggregate then
    /// covers only the seeds present); without it, missing seeds are an error.
    #[arg(long)]
    partial: bool,
    /// Print only the aggregate JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub(super) fn parse_range(text: &str) -> Result<[u64; 2], String> {
    let (a, b) = text
        .split_once("..")
        .ok_or_else(|| format!("{text:?} is not a range: write A..B, e.g. 0..1000"))?;
    let a: u64 = a
        .trim()
        .parse()
        .map_err(|_| format!("{a:?} is not a seed"))?;
    let b: u64 = b
        .trim()
        .parse()
        .map_err(|_| format!("{b:?} is not a seed"))?;
    if a >= b {
        return Err(match a.checked_add(1) {
            Some(next) => format!("{a}..{b} is empty: the end is exclusive, so write {a}..{next}"),
            None => format!("{a}..{b} is empty: the end is exclusive and {a} is the last seed"),
        });
    }
    if b - a > MAX_SEEDS {
        return Err(format!(
            "{} seeds is more than the limit of {MAX_SEEDS}",
            b - a
        ));
    }
    Ok([a, b])
}

fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((k, n)) if 1 <= k && k <= n => Ok((k, n)),
        _ => Err(format!(
            "{text:?} is not a shard: write K/N with 1 <= K <= N, e.g. 2/4"
        )),
    }
}

/// What a sweep directory says about itself, so `merge` can check shards
/// belong together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct ShardInfo {
    pub(super) scenario: String,
    pub(super) file: String,
    /// The whole range, not the shard's slice.
    pub(super) seeds: [u64; 2],
    pub(super) shard: Option<(u64, u64)>,
    /// Labels of the variants, in order.
    pub(super) variants: Vec<String>,
    /// Hash of the scenario's canonical JSON (overrides applied).
    pub(super) fingerprint: String,
    /// The `--set` overrides, repeated in every replay command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) overrides: Vec<String>,
    /// The scenario's published numbers, for the chart (merge draws them
    /// too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) published: Option<Published>,
}

/// The chart's form of a scenario's `published` section: one point per
/// variant and percentile.
fn published(spec: Option<&PublishedSpec>) -> Option<Published> {
    let spec = spec?;
    let points = spec
        .points
        .iter()
        .flat_map(|point| {
            point
                .quantiles
                .given()
                .map(|(_, quantile, ms)| PublishedPoint {
                    variant: point.variant.clone(),
                    quantile,
                    ms,
                })
        })
        .collect();
    Some(Published {
        source: spec.source.clone(),
        points,
    })
}

pub fn sweep(args: SweepArgs) -> CliResult {
    let loaded = load_with(&args.file, &args.overrides.sets())?;
    let scenario = &loaded.scenario;
    let range = match args.shard {
        Some((k, n)) => sweep::shard_range(args.seeds, k, n),
        None => args.seeds,
    };
    if args.jobs == Some(0) {
        return Err(Failure::bad_input("--jobs must be at least 1"));
    }
    let info = ShardInfo {
        scenario: scenario.name().to_string(),
        file: loaded.shown_as.clone(),
        seeds: args.seeds,
        shard: args.shard,
        variants: scenario
            .variants()
            .iter()
            .map(|v| v.label.clone())
            .collect(),
        fingerprint: scenario.fingerprint(),
        overrides: loaded.overrides.clone(),
        published: published(scenario.file.published.as_ref()),
    };
    if let Some(dir) = &args.out {
        output::refuse_inputs_in(
            dir,
            &[
                "seeds.jsonl",
                "sweep.json",
                "shard.json",
                super::resume::PROGRESS_FILE,
                artifacts::REPORT,
            ],
        )?;
    }
    let mut done = match (&args.out, args.resume) {
        (Some(dir), true) => finished_seeds(dir, &info)?,
        _ => Vec::new(),
    };
    let log = match &args.out {
        Some(dir) => Some(ProgressLog::open(dir, &info, args.resume)?),
        None => None,
    };
    let seeds: Vec<u64> = (range[0]..range[1])
        .filter(|seed| done.binary_search_by_key(seed, |r| r.seed).is_err())
        .collect();
    let (pool, jobs) = worker_pool(args.jobs, seeds.len())?;
    eprintln!(
        "raftsim: sweeping seeds {}..{} of {} ({}) with {}{}",
        range[0],
        range[1],
        scenario.name(),
        plural(scenario.variants().len(), "variant"),
        plural(jobs, "job"),
        if args.resume {
            format!("; {} already done", plural(done.len(), "seed"))
        } else {
            String::new()
        }
    );
    let progress = if Progress::wanted() {
        let bar = ProgressBar::new(seeds.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} seeds · {msg} · ETA {eta}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let failing = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&failing);
    let ticker = Ticker::start(progress.clone(), move |bar, done, elapsed| {
        bar.set_message(format!(
            "{} failing · {} virtual · {}",
            counted.load(Ordering::Relaxed),
            virtual_time(done.virtual_us),
            events_per_sec(done.events, elapsed)
        ));
    });
    let guard = RaftRsGuard::start(scenario);
    let started = WallClock::now();
    let run_seed = |seed: u64| -> Result<SeedRecord, Failure> {
        let variants = scenario
            .variants()
            .iter()
            .map(|v| results::run_variant(scenario, v, seed, None))
            .collect();
        let record = SeedRecord::from_results(&results::assemble(scenario, seed, variants));
        if let Some(log) = &log {
            log.append(&record).map_err(|e| {
                Failure::bad_input(format!("{}: cannot write: {e}", log.path.display()))
            })?;
        }
        if record.failed() {
            failing.fetch_add(1, Ordering::Relaxed);
        }
        progress.inc(1);
        Ok(record)
    };
    let mut records: Vec<SeedRecord> = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| run_seed(seed))
            .collect::<Result<_, _>>()
    })?;
    drop(ticker);
    progress.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    eprintln!(
        "raftsim: {} in {wall:.2} s ({:.1} seeds/s, {})",
        plural(seeds.len(), "seed"),
        seeds.len() as f64 / wall,
        plural(jobs, "job")
    );
    guard.finish()?;
    records.append(&mut done);
    let code = finish(
        &info,
        range,
        &records,
        args.out.as_deref(),
        args.json,
        Some(scenario),
    )?;
    if let Some(log) = log {
        // Published: the progress is no longer needed.
        let _ = std::fs::remove_file(&log.path);
    }
    Ok(code)
}

/// The pool of worker threads that runs `seeds` seed runs, and its size
/// ([`jobs`]).
pub(super) fn worker_pool(
    asked: Option<usize>,
    seeds: usize,
) -> Result<(rayon::ThreadPool, usize), Failure> {
    let jobs = jobs(asked, seeds);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Failure::failed(format!("cannot start {jobs} worker threads: {e}")))?;
    Ok((pool, jobs))
}

/// Worker threads: `--jobs` (default: one per hardware thread), at most
/// one per hardware thread and one per seed to run; a cap is said on
/// stderr.
fn jobs(asked: Option<usize>, seeds: usize) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = asked.unwrap_or(threads).min(threads).min(seeds.max(1));
    if let Some(asked) = asked.filter(|&asked| asked > jobs) {
        eprintln!(
            "raftsim: --jobs {asked} capped at {jobs} ({} to run, {} on this machine)",
            plural(seeds, "seed"),
            plural(threads, "hardware thread")
        );
    }
    jobs
}

/// The raft-rs adapter's determinism guard over one sweep: every election
/// timeout the library drew itself must have been replaced by a draw from
/// the node's seeded stream before it could matter
/// (docs/IMPLEMENTATIONS.md). A sweep with raft-rs variants says so at the
/// end, and fails if the count is not 0: such runs would not replay.
struct RaftRsGuard {
    /// The process-wide count when the sweep started; None without raft-rs
    /// variants.
    before: Option<u64>,
}

impl RaftRsGuard {
    fn start(scenario: &Scenario) -> RaftRsGuard {
        let uses_raft_rs = scenario
            .variants()
            .iter()
            .any(|v| v.raft.implementation == Implementation::RaftRs);
        RaftRsGuard {
            before: uses_raft_rs.then(unreplaced_timeouts),
        }
    }

    fn finish(self) -> Result<(), Failure> {
        let Some(before) = self.before else {
            return Ok(());
        };
        let unreplaced = unreplaced_timeouts() - before;
        eprintln!(
            "raftsim: raft-rs guard: {unreplaced} library-drawn election timeouts left in place"
        );
        if unreplaced == 0 {
            Ok(())
        } else {
            Err(Failure::failed(format!(
                "{unreplaced} election timeouts drawn by raft-rs itself were not replaced by seeded draws: these runs do not replay"
            )))
        }
    }
}

/// At most this many failing seeds are listed, and get a viewer.
const FAILURES_LISTED: usize = 50;

/// The replay viewer of each failing seed listed, replayed from `scenario`:
/// (seed, file name under the sweep's directory, page).
fn failure_viewers(scenario: &Scenario, aggregate: &Aggregate) -> Vec<(u64, String, String)> {
    aggregate
        .failures
        .iter()
        .take(FAILURES_LISTED)
        .map(|f| {
            let page = view::replay_page(scenario, f.seed, &f.command);
            (f.seed, format!("viewers/seed-{}.html", f.seed), page)
        })
        .collect()
}

/// Aggregates, prints and (with `out`) writes a sweep's results; with the
/// scenario, the failing seeds listed get a viewer each under `out`.
fn finish(
    info: &ShardInfo,
    range: [u64; 2],
    records: &[SeedRecord],
    out: Option<&Path>,
    json: bool,
    scenario: Option<&Scenario>,
) -> CliResult {
    let file = info.file.clone();
    let overrides = info.overrides.clone();
    let command =
        move |seed: u64, variant: Option<&str>| reproduce_command(&file, &overrides, seed, variant);
    let aggregate = sweep::aggregate(&info.scenario, &info.file, range, records, &command);
    let aggregate_json = serde_json::to_string_pretty(&aggregate).expect("aggregate serialises");
    let viewers = match (out, scenario) {
        (Some(_), Some(scenario)) => failure_viewers(scenario, &aggregate),
        _ => Vec::new(),
    };
    if json {
        println!("{aggregate_json}");
    } else {
        let named: Vec<(u64, PathBuf)> = viewers
            .iter()
            .filter_map(|(seed, name, _)| Some((*seed, out?.join(name))))
            .collect();
        print!("{}", summary::summary(&aggregate, &named));
    }
    if let Some(dir) = out {
        let mut sorted: Vec<&SeedRecord> = records.iter().collect();
        sorted.sort_by_key(|r| r.seed);
        let mut lines = String::new();
        for record in sorted {
            lines.push_str(&serde_json::to_string(record).expect("record serialises"));
            lines.push('\n');
        }
        let mut files = vec![
            ("seeds.jsonl".to_string(), lines.into_bytes()),
            (
                "sweep.json".to_string(),
                format!("{aggregate_json}\n").into_bytes(),
            ),
            (
                "shard.json".to_string(),
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(info).expect("info serialises")
                )
                .into_bytes(),
            ),
        ];
        // The chart counts what the statistics count: no run cut short.
        let counted: Vec<SeedRecord> = records.iter().map(SeedRecord::counted).collect();
        let mut samples =
            SweepSamples::from_records(&info.scenario, range, &info.variants, &counted);
        samples.published = info.published.clone();
        let command = sweep_command(info);
        let charts = artifacts::sweep(&samples, CdfOptions::default(), &aggregate, &command)
            .map_err(|e| {
                Failure::failed(format!("{}: cannot draw the charts: {e}", dir.display()))
            })?;
        files.extend(charts.into_iter().map(|a| (a.name, a.bytes)));
        files.extend(
            viewers
                .into_iter()
                .map(|(_, name, page)| (name, page.into_bytes())),
        );
        output::write_all(dir, &files)?;
        if !json {
            println!("\nwrote {}", dir.display());
        }
    }
    Ok(if aggregate.failed_seeds == 0 {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// `raftsim sweep FILE --seeds A..B [--shard K/N]`: the command that runs
/// this sweep (for merged shards, the whole range on one machine).
fn sweep_command(info: &ShardInfo) -> String {
    let [a, b] = info.seeds;
    let mut command = format!("raftsim sweep {}", shell_word(&info.file));
    for set in &info.overrides {
        command.push_str(&format!(" --set {}", shell_word(set)));
    }
    command.push_str(&format!(" --seeds {a}..{b}"));
    if let Some((k, n)) = info.shard {
        command.push_str(&format!(" --shard {k}/{n}"));
    }
    command
}

pub use merge::merge;
