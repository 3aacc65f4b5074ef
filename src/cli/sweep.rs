//! `raftsim sweep` and `raftsim merge`: one scenario over many seeds in
//! parallel, shards, and the aggregate. Per-seed results never depend on
//! `--jobs`; the aggregate and the distribution chart are computed from the
//! per-seed records whatever their order, so merged shards give exactly
//! what one machine gives.

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

fn parse_range(text: &str) -> Result<[u64; 2], String> {
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
    let jobs = jobs(args.jobs, seeds.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Failure::failed(format!("cannot start {jobs} worker threads: {e}")))?;
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
        print!("{}", summary(&aggregate, &named));
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

/// The headline metrics of each variant over the seeds and its pooled
/// distributions, then the failing seeds with their reproduce commands
/// (and the viewer written for each, if any).
fn summary(aggregate: &Aggregate, viewers: &[(u64, PathBuf)]) -> String {
    let seeds = aggregate.seeds[1] - aggregate.seeds[0];
    let mut out = format!(
        "{} — seeds {}..{} ({} × {} = {})\n",
        aggregate.scenario,
        aggregate.seeds[0],
        aggregate.seeds[1],
        plural(seeds as usize, "seed"),
        plural(aggregate.variants.len(), "variant"),
        plural(seeds as usize * aggregate.variants.len(), "run"),
    );
    out.push_str(&side_by_side(aggregate));
    for v in &aggregate.variants {
        out.push_str(&variant_summary(v));
    }
    if aggregate.failures.is_empty() {
        out.push_str("\nno failing seeds\n");
    } else {
        out.push_str(&format!(
            "\n{}:\n",
            plural(aggregate.failed_seeds as usize, "failing seed")
        ));
        for f in aggregate.failures.iter().take(FAILURES_LISTED) {
            out.push_str(&format!("  {}\n", f.command));
            for reason in &f.reasons {
                out.push_str(&format!("      {reason}\n"));
            }
            if let Some((_, path)) = viewers.iter().find(|(seed, _)| *seed == f.seed) {
                out.push_str(&format!("      viewer: {}\n", path.display()));
            }
        }
        if aggregate.failures.len() > FAILURES_LISTED {
            out.push_str(&format!(
                "  ... and {} more (see sweep.json)\n",
                aggregate.failures.len() - FAILURES_LISTED
            ));
        }
    }
    out
}

/// The width the side-by-side table keeps within: more variants than fit
/// go on into another block of columns below.
const TABLE_WIDTH: usize = 120;

/// Every variant side by side: per headline metric, the mean over seeds
/// with its 95% confidence interval.
fn side_by_side(aggregate: &Aggregate) -> String {
    let (head, rows) = sweep_table::side_by_side(aggregate);
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .chain([head[col].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let mut out =
        String::from("\nside by side: the mean over seeds [its 95% confidence interval]\n");
    let first = width(0);
    let mut start = 1;
    while start < head.len() {
        let mut end = start;
        let mut used = 2 + first;
        while end < head.len() && (end == start || used + 2 + width(end) <= TABLE_WIDTH) {
            used += 2 + width(end);
            end += 1;
        }
        let line = |cells: &[String]| {
            let mut line = format!("  {:<first$}", cells[0]);
            for (col, cell) in cells.iter().enumerate().take(end).skip(start) {
                line.push_str(&format!("  {cell:>w$}", w = width(col)));
            }
            line.push('\n');
            line
        };
        if start > 1 {
            out.push('\n');
        }
        out.push_str(&line(&head));
        for row in &rows {
            out.push_str(&line(row));
        }
        start = end;
    }
    out
}

/// One variant: a table over seeds, then the pooled table.
fn variant_summary(v: &VariantAggregate) -> String {
    let stats = |r: &[String]| {
        format!(
            "  {:<22} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}  {:>23} {:>6}\n",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
        )
    };
    let pooled = |r: &[String]| {
        format!(
            "  {:<22} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
        )
    };
    let head = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let mut out = format!("\n{} ({})\n", v.label, sweep_table::counted(v));
    out.push_str(&stats(&head(&sweep_table::STATS_HEAD)));
    let ci = |[low, high]: [f64; 2]| format!("[{low:>9.2}, {high:>9.2}]");
    for row in sweep_table::stats_rows(v, ci) {
        out.push_str(&stats(&row));
    }
    out.push_str(&pooled(&head(&sweep_table::POOLED_HEAD)));
    for row in sweep_table::pooled_rows(v) {
        out.push_str(&pooled(&row));
    }
    out
}

/// "5..10, 12" for the seeds of `range` that no record has (at most a few ranges).
fn missing_seeds(range: [u64; 2], records: &[SeedRecord]) -> String {
    let mut gaps = Vec::new();
    let mut next = range[0];
    for seed in records.iter().map(|r| r.seed).chain([range[1]]) {
        if seed > next {
            gaps.push(if seed - next == 1 {
                next.to_string()
            } else {
                format!("{next}..{seed}")
            });
        }
        next = next.max(seed.saturating_add(1));
    }
    let shown = gaps.len().min(5);
    let more = if gaps.len() > shown { ", ..." } else { "" };
    format!("{}{more}", gaps[..shown].join(", "))
}

/// `merge --out` must not name one of its inputs: it would replace a shard
/// it is reading.
fn refuse_input_as_output(out: &Path, inputs: &[PathBuf]) -> Result<(), Failure> {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let Some(out_path) = canonical(out) else {
        return Ok(()); // does not exist yet, so it is no input
    };
    match inputs
        .iter()
        .find(|dir| canonical(dir) == Some(out_path.clone()))
    {
        Some(dir) => Err(Failure::bad_input(format!(
            "--out {}: that is the input {}; write the merge somewhere else",
            out.display(),
            dir.display()
        ))),
        None => Ok(()),
    }
}

fn read_dir_records(dir: &Path) -> Result<(ShardInfo, Vec<SeedRecord>), Failure> {
    let bad = |what: String| Failure::bad_input(format!("{}: {what}", dir.display()));
    let info_path = dir.join("shard.json");
    super::input::note(&info_path);
    super::input::note(&dir.join("seeds.jsonl"));
    let text = std::fs::read_to_string(&info_path).map_err(|e| {
        bad(format!(
            "cannot read shard.json ({e}); is this a `raftsim sweep --out` directory?"
        ))
    })?;
    let info: ShardInfo = serde_json::from_str(&text)
        .map_err(|e| bad(format!("shard.json is not a sweep description: {e}")))?;
    let seeds_path = dir.join("seeds.jsonl");
    let file = std::fs::File::open(&seeds_path)
        .map_err(|e| bad(format!("cannot read seeds.jsonl: {e}")))?;
    let mut records = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| bad(format!("cannot read seeds.jsonl: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: SeedRecord = serde_json::from_str(&line).map_err(|e| {
            let hint = if e.to_string().contains("missing field") {
                " (written by an older raftsim? sweep that shard again)"
            } else {
                ""
            };
            bad(format!("seeds.jsonl line {}: {e}{hint}", i + 1))
        })?;
        records.push(record);
    }
    Ok((info, records))
}

pub fn merge(args: MergeArgs) -> CliResult {
    if let Some(out) = &args.out {
        refuse_input_as_output(out, &args.dirs)?;
    }
    let mut info: Option<ShardInfo> = None;
    let mut records: Vec<SeedRecord> = Vec::new();
    for dir in &args.dirs {
        let (this, mut these) = read_dir_records(dir)?;
        if let Some(first) = &info {
            // Shards belong together by the scenario's content, not by the
            // path it was run from.
            let same = (first.fingerprint.as_str(), first.seeds, &first.variants)
                == (this.fingerprint.as_str(), this.seeds, &this.variants);
            if !same {
                return Err(Failure::bad_input(format!(
                    "{}: this sweep is of another scenario (content) or seed range than {}",
                    dir.display(),
                    args.dirs[0].display()
                )));
            }
        }
        info.get_or_insert(this);
        records.append(&mut these);
    }
    let info = info.expect("at least one directory");
    records.sort_by_key(|r| r.seed);
    if let Some(pair) = records.windows(2).find(|w| w[0].seed == w[1].seed) {
        return Err(Failure::bad_input(format!(
            "seed {} appears in more than one directory: merge each shard once",
            pair[0].seed
        )));
    }
    let expected = info.seeds[1] - info.seeds[0];
    if records.len() as u64 != expected {
        let missing = missing_seeds(info.seeds, &records);
        let message = format!(
            "{} of the {expected} seeds of {}..{} are present; missing: {missing}",
            records.len(),
            info.seeds[0],
            info.seeds[1]
        );
        if !args.partial {
            return Err(Failure::bad_input(format!(
                "{message} (merge the other shards too, or pass --partial to aggregate only \
                 the seeds present)"
            )));
        }
        eprintln!("raftsim: warning: {message}; the aggregate covers only those (--partial)");
    }
    let merged = ShardInfo {
        shard: None,
        ..info
    };
    // The shards' own directories hold the viewers of their failing seeds.
    finish(
        &merged,
        merged.seeds,
        &records,
        args.out.as_deref(),
        args.json,
        None,
    )
}
