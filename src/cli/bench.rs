//! `raftsim bench`: the engine's speed on a fixed workload (5 nodes, 50 ms
//! heartbeats, 1% loss, 20 proposals/s), measured in wall time here in the
//! CLI; the simulation itself never reads a clock. The model's figure
//! first, then raft-rs's on the same workload (when built in). With
//! `--scenario`, every variant of a scenario file instead, configured as
//! `raftsim run` configures it.

use std::time::Instant as WallClock;

use sim_core::cluster::ClusterConfig;
use sim_core::node::Implementation;
use sim_core::raftrs::unreplaced_timeouts;
use sim_core::run::run;
use sim_core::scenario::Scenario;

use super::chart::ChartStyle;
use super::view;
use super::{choose_seed, load_with, CliResult, Failure, EXIT_OK};

#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  raftsim bench --hours 0.05 --repeat 1\n  raftsim bench --scenario isolate-rejoin --repeat 1"
)]
pub struct BenchArgs {
    /// Virtual hours to simulate per run (a fraction is fine: 0.25 is
    /// 15 minutes; at most 168, a week).
    #[arg(long, default_value_t = 1.0, conflicts_with = "scenario")]
    hours: f64,
    /// Runs to time (the best is reported).
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Seed (default: RAFTSIM_SEED, else 1, or with --scenario the file's).
    #[arg(long, allow_hyphen_values = true, value_parser = super::parse_seed)]
    seed: Option<u64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Time raftsim's model only, not raft-rs too (for profiling one run
    /// under callgrind: see docs/PERFORMANCE.md).
    #[arg(long)]
    model_only: bool,
    /// Time every variant of this scenario file (or bundled scenario)
    /// instead of the built-in workload, configured as `raftsim run`
    /// configures it. `scenarios/bench.json` is the built-in workload.
    #[arg(long, value_name = "FILE")]
    scenario: Option<String>,
    /// With --scenario: also time each variant under the replay viewer's
    /// tracer (its data and page made too) against plain runs of it,
    /// alternating the two; and the rest of what `run --out` does (the
    /// results file, the charts, the report), to give the viewer's share
    /// of that command too.
    #[arg(long, requires = "scenario")]
    viewer: bool,
    /// The memory budget of each run, e.g. `256MiB` or `2GiB` (default
    /// 1GiB, or with --scenario the file's max_memory_mb). A run that holds
    /// more stops there, cut short.
    #[arg(long, value_name = "SIZE", value_parser = super::overrides::parse_memory)]
    max_memory: Option<u64>,
    /// Nodes in the built-in workload's cluster (1 to 64).
    #[arg(long, default_value_t = 5, conflicts_with = "scenario")]
    nodes: usize,
    /// Time only this implementation on the built-in workload (default:
    /// the model, then raft-rs when built in). `--json` then gives its
    /// figures at the top level.
    #[arg(long, value_enum, conflicts_with_all = ["scenario", "model_only"])]
    implementation: Option<BenchImplementation>,
    /// Also time a sweep of the built-in workload: this many seeds, one run
    /// each, on every core; reports the events per second of all of them.
    #[arg(long, value_name = "SEEDS", requires = "implementation")]
    sweep: Option<u64>,
    /// Print docs/PERFORMANCE.md's table (Markdown): for 3, 5, 7, 16 and
    /// 64 nodes, the model and raft-rs, one run's events per second and
    /// peak memory and a sweep's events per second, each row measured in
    /// a process of its own.
    #[arg(long, conflicts_with_all = ["scenario", "json", "implementation", "sweep", "nodes"])]
    table: bool,
}

/// An implementation `bench --implementation` times alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchImplementation {
    Model,
    RaftRs,
}

impl BenchImplementation {
    pub fn name(self) -> &'static str {
        match self {
            BenchImplementation::Model => "model",
            BenchImplementation::RaftRs => "raft-rs",
        }
    }
}

/// The benchmark's workload on a cluster of `nodes` (5 by default): 50 ms
/// heartbeats, 1% loss, 20 proposals/s.
fn bench_config(nodes: usize, seed: u64, duration_us: u64) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(nodes, seed, duration_us);
    cfg.raft.heartbeat_us = 50_000;
    cfg.network.loss = 0.01;
    cfg.workload.proposals_per_sec = 20.0;
    cfg
}

/// Peak resident memory of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The best of `repeat` timed runs of one configuration.
struct Timing {
    events: u64,
    /// Messages sent (what the turmoil comparison in docs/PERFORMANCE.md replays).
    messages: u64,
    wall_s: f64,
    hash: u64,
    /// The virtual time one run covers.
    virtual_s: f64,
}

impl Timing {
    fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.wall_s
    }

    fn speedup(&self) -> f64 {
        self.virtual_s / self.wall_s
    }

    /// The figures every `--json` output gives for one timed run.
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "virtual_s": self.virtual_s, "events": self.events, "messages_sent": self.messages,
            "wall_s": self.wall_s, "events_per_sec": self.events_per_sec(),
            "speedup": self.speedup(), "trace_hash": format!("{:016x}", self.hash),
        })
    }
}

/// Times `repeat` runs of `cfg`; `what` names the run in an error. A run
/// that breaks a safety property or is cut short by a limit is not a
/// measurement (exit 1).
fn time_runs(cfg: &ClusterConfig, repeat: u32, what: &str) -> Result<Timing, Failure> {
    let mut best = Timing {
        events: 0,
        messages: 0,
        wall_s: f64::INFINITY,
        hash: 0,
        virtual_s: cfg.duration_us as f64 / 1e6,
    };
    for _ in 0..repeat {
        let started = WallClock::now();
        let out = run(cfg.clone());
        let wall = started.elapsed().as_secs_f64();
        if let Some(violation) = out.violations.first() {
            return Err(Failure::failed(format!(
                "{what}: safety violation ({}) at {} ms: {}; not a measurement",
                violation.property, violation.at_ms, violation.message
            )));
        }
        if let Some(why) = &out.limit_reached {
            return Err(Failure::failed(format!(
                "{what}: {why}; a run cut short is not a measurement"
            )));
        }
        best.events = out.metrics.events;
        best.messages = out.metrics.messages_sent;
        best.hash = out.trace_hash;
        best.wall_s = best.wall_s.min(wall);
    }
    Ok(best)
}

pub fn bench(args: BenchArgs) -> CliResult {
    if let Some(file) = &args.scenario {
        return bench_scenario(&args, file);
    }
    if args.table {
        return super::bench_table::table(args.hours, args.repeat);
    }
    if !(1..=sim_core::node::MAX_NODES).contains(&args.nodes) {
        return Err(Failure::bad_input(format!(
            "--nodes {}: a cluster has 1 to {} nodes",
            args.nodes,
            sim_core::node::MAX_NODES
        )));
    }
    let duration_us = duration_us(args.hours, args.repeat)?;
    let seed = choose_seed(args.seed, 1)?;
    if let Some(only) = args.implementation {
        return bench_one(&args, only, seed, duration_us);
    }
    let mut cfg = bench_config(args.nodes, seed, duration_us);
    if let Some(mb) = args.max_memory {
        cfg.max_memory_mb = mb;
    }
    let model = time_runs(
        &cfg,
        args.repeat,
        &format!("the benchmark's model, seed {seed}"),
    )?;
    // The same workload with raft-rs making the decisions, if built in.
    let raft_rs = if Implementation::RaftRs.available() && !args.model_only {
        let mut cfg = cfg;
        cfg.raft.implementation = Implementation::RaftRs;
        let what = format!("the benchmark's raft-rs, seed {seed}");
        Some(time_runs(&cfg, args.repeat, &what)?)
    } else {
        None
    };
    let speedup = model.speedup();
    let peak = peak_rss_kib();
    if args.json {
        let raft_rs = raft_rs.as_ref().map(|t| {
            let mut json = t.json();
            json["unreplaced_timeouts"] = unreplaced_timeouts().into();
            json
        });
        let mut json = model.json();
        json["peak_rss_kib"] = peak.into();
        json["raft_rs"] = raft_rs.into();
        println!("{json}");
    } else {
        println!("workload     {} nodes, 50 ms heartbeats, 1% loss, 20 proposals/s, {} virtual h, seed {seed}", args.nodes, args.hours);
        println!(
            "events       {} ({} messages sent)",
            model.events, model.messages
        );
        println!(
            "wall time    {:.3} s (best of {})",
            model.wall_s, args.repeat
        );
        println!("events/s     {:.2} M", model.events_per_sec() / 1e6);
        println!("speed-up     {speedup:.0}× virtual over wall time");
        match &raft_rs {
            Some(t) => println!(
                "raft-rs      {:.2} M events/s ({} events, {:.3} s, {:.0}× virtual; {} unreplaced library timeouts)",
                t.events_per_sec() / 1e6,
                t.events,
                t.wall_s,
                t.speedup(),
                unreplaced_timeouts()
            ),
            None if args.model_only => {}
            None => println!("raft-rs      not built in (cargo feature `raft-rs`)"),
        }
        if let Some(kib) = peak {
            println!("peak memory  {:.1} MiB", kib as f64 / 1024.0);
        }
    }
    Ok(EXIT_OK)
}

/// `--hours` as microseconds: at least one virtual second, at most a week.
pub fn duration_us(hours: f64, repeat: u32) -> Result<u64, Failure> {
    if !(hours * 3_600.0 >= 1.0 && hours <= 168.0) || repeat == 0 {
        return Err(Failure::bad_input(format!(
            "--hours {hours} --repeat {repeat}: --hours must be from 1/3600 (one second) to \
             168 and --repeat at least 1"
        )));
    }
    Ok((hours * 3_600_000_000.0).round() as u64)
}

/// `bench --implementation I [--sweep SEEDS]`: one implementation on the
/// built-in workload of `--nodes`, one run timed (best of `--repeat`),
/// the process's peak memory after it, then the sweep if asked for.
fn bench_one(
    args: &BenchArgs,
    only: BenchImplementation,
    seed: u64,
    duration_us: u64,
) -> CliResult {
    let mut cfg = bench_config(args.nodes, seed, duration_us);
    if let Some(mb) = args.max_memory {
        cfg.max_memory_mb = mb;
    }
    if only == BenchImplementation::RaftRs {
        if !Implementation::RaftRs.available() {
            return Err(Failure::bad_input(
                "--implementation raft-rs: raft-rs is not built in (cargo feature `raft-rs`)",
            ));
        }
        cfg.raft.implementation = Implementation::RaftRs;
    }
    let what = format!(
        "the benchmark's {}, {} nodes, seed {seed}",
        only.name(),
        args.nodes
    );
    let one = time_runs(&cfg, args.repeat, &what)?;
    let peak = peak_rss_kib();
    let sweep = match args.sweep {
        Some(seeds) => Some(time_sweep(&cfg, seeds, &what)?),
        None => None,
    };
    if args.json {
        let mut json = one.json();
        json["implementation"] = only.name().into();
        json["nodes"] = args.nodes.into();
        json["peak_rss_kib"] = peak.into();
        json["sweep"] = sweep
            .map(|(seeds, jobs, t)| {
                serde_json::json!({
                    "seeds": seeds, "jobs": jobs, "events": t.events, "wall_s": t.wall_s,
                    "events_per_sec": t.events_per_sec(),
                })
            })
            .into();
        println!("{json}");
        return Ok(EXIT_OK);
    }
    println!(
        "workload     {} nodes, 50 ms heartbeats, 1% loss, 20 proposals/s, {} virtual h, seed {seed}, {}",
        args.nodes,
        args.hours,
        only.name()
    );
    println!(
        "events       {} ({} messages sent)",
        one.events, one.messages
    );
    println!("wall time    {:.3} s (best of {})", one.wall_s, args.repeat);
    println!("events/s     {:.2} M", one.events_per_sec() / 1e6);
    println!("speed-up     {:.0}× virtual over wall time", one.speedup());
    if let Some(kib) = peak {
        println!("peak memory  {:.1} MiB", kib as f64 / 1024.0);
    }
    if let Some((seeds, jobs, t)) = sweep {
        println!(
            "sweep        {seeds} seeds on {jobs} threads: {:.2} M events/s ({} events, {:.3} s)",
            t.events_per_sec() / 1e6,
            t.events,
            t.wall_s
        );
    }
    Ok(EXIT_OK)
}

/// A sweep of `seeds` runs of `cfg` (seeds 1.., one run each) on one
/// thread per core: (seeds, threads, totals).
fn time_sweep(
    cfg: &ClusterConfig,
    seeds: u64,
    what: &str,
) -> Result<(u64, usize, Timing), Failure> {
    use rayon::prelude::*;
    if seeds == 0 || seeds > 100_000 {
        return Err(Failure::bad_input(format!(
            "--sweep {seeds}: from 1 to 100000 seeds"
        )));
    }
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = WallClock::now();
    let outcomes: Vec<Result<u64, Failure>> = (1..=seeds)
        .into_par_iter()
        .map(|seed| {
            let mut cfg = cfg.clone();
            cfg.seed = seed;
            let out = run(cfg);
            match (out.violations.first(), &out.limit_reached) {
                (None, None) => Ok(out.metrics.events),
                (Some(v), _) => Err(Failure::failed(format!(
                    "{what}: sweep seed {seed}: safety violation ({}); not a measurement",
                    v.property
                ))),
                (None, Some(why)) => Err(Failure::failed(format!(
                    "{what}: sweep seed {seed}: {why}; a run cut short is not a measurement"
                ))),
            }
        })
        .collect();
    let wall_s = started.elapsed().as_secs_f64();
    let events = outcomes.into_iter().sum::<Result<u64, Failure>>()?;
    Ok((
        seeds,
        jobs,
        Timing {
            events,
            messages: 0,
            wall_s,
            hash: 0,
            virtual_s: cfg.duration_us as f64 / 1e6 * seeds as f64,
        },
    ))
}

/// `raftsim bench --scenario FILE`: each variant of the scenario, timed
/// as the best of `--repeat` runs, with the seed `raftsim run` would use.
fn bench_scenario(args: &BenchArgs, file: &str) -> CliResult {
    if args.repeat == 0 {
        return Err(Failure::bad_input("--repeat must be at least 1"));
    }
    let sets: Vec<String> = args
        .max_memory
        .map(|mb| format!("max_memory_mb={mb}"))
        .into_iter()
        .collect();
    let loaded = load_with(file, &sets)?;
    let scenario = &loaded.scenario;
    let seed = choose_seed(args.seed, scenario.file.seed)?;
    let mut timed = Vec::new();
    let mut skipped = Vec::new();
    for variant in scenario.variants() {
        let cfg = scenario.cluster_config(variant, seed);
        let implementation = cfg.raft.implementation;
        let label = variant.label.as_str();
        // (Validation refuses a variant whose implementation is not built in.)
        if args.model_only && implementation != Implementation::Model {
            skipped.push((label, "--model-only"));
            continue;
        }
        let what = format!("{file}, variant {label}, seed {seed}");
        let timing = time_runs(&cfg, args.repeat, &what)?;
        timed.push((label, implementation, timing));
    }
    let viewer = match args.viewer {
        true => Some(viewer_cost(scenario, seed, args.repeat)),
        false => None,
    };
    if timed.is_empty() {
        return Err(Failure::bad_input(format!(
            "{file}: no variant to time ({})",
            skipped
                .iter()
                .map(|(label, why)| format!("{label}: {why}"))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let peak = peak_rss_kib();
    if args.json {
        let variants: Vec<_> = timed
            .iter()
            .map(|(label, implementation, t)| {
                let mut json = t.json();
                json["label"] = (*label).into();
                json["implementation"] = implementation.name().into();
                if *implementation == Implementation::RaftRs {
                    json["unreplaced_timeouts"] = unreplaced_timeouts().into();
                }
                json
            })
            .collect();
        let skipped: Vec<_> = skipped
            .iter()
            .map(|(label, why)| serde_json::json!({ "label": label, "why": why }))
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "scenario": scenario.name(), "file": file, "seed": seed,
                "repeat": args.repeat, "variants": variants, "skipped": skipped,
                "peak_rss_kib": peak, "viewer": viewer.as_ref().map(ViewerCost::json),
            })
        );
        return Ok(EXIT_OK);
    }
    println!(
        "scenario     {} ({file}), seed {seed}, best of {}",
        scenario.name(),
        args.repeat
    );
    let width = timed
        .iter()
        .map(|(label, ..)| label.chars().count())
        .chain(skipped.iter().map(|(label, _)| label.chars().count()))
        .max()
        .unwrap_or(0)
        .max(12);
    for (label, implementation, t) in &timed {
        println!(
            "{label:<width$} {:.2} M events/s ({} events, {:.3} s, {:.0}× virtual, {}; trace hash {:016x})",
            t.events_per_sec() / 1e6,
            t.events,
            t.wall_s,
            t.speedup(),
            implementation.name(),
            t.hash
        );
    }
    for (label, why) in &skipped {
        println!("{label:<width$} skipped: {why}");
    }
    if timed.iter().any(|(_, i, ..)| *i == Implementation::RaftRs) {
        println!(
            "raft-rs guard: {} library-drawn election timeouts left in place",
            unreplaced_timeouts()
        );
    }
    if let Some(cost) = &viewer {
        println!(
            "viewer       {:.2} MB; its tracer and data {:.3} s, page {:.3} s, against plain runs {:.3} s: +{:.1}%",
            cost.bytes as f64 / 1e6,
            cost.traced_s,
            cost.page_s,
            cost.plain_s,
            100.0 * cost.overhead()
        );
        println!(
            "             against all `run --out` does without it (those runs, then results, charts and report {:.3} s): +{:.1}%",
            cost.rest_s,
            100.0 * cost.share_of_run_out()
        );
    }
    if let Some(kib) = peak {
        println!("peak memory  {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(EXIT_OK)
}

/// What writing the replay viewer costs: every variant run plainly and
/// under its tracer (its data made too), `repeat` times each, the two
/// alternating so that a busy machine slows both alike; the best of each,
/// summed over the variants; then the page made.
/// The rest of what `run --out` does (the results file, the charts and
/// the report) is timed too, best of `repeat`: the viewer's share of the
/// whole command, the runs counted one after another.
struct ViewerCost {
    plain_s: f64,
    traced_s: f64,
    page_s: f64,
    rest_s: f64,
    bytes: usize,
}

impl ViewerCost {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "plain_s": self.plain_s, "traced_s": self.traced_s, "page_s": self.page_s,
            "rest_s": self.rest_s, "bytes": self.bytes, "overhead": self.overhead(),
            "share_of_run_out": self.share_of_run_out(),
        })
    }

    /// The tracer, the data and the page, as a share of the plain runs.
    fn overhead(&self) -> f64 {
        (self.traced_s + self.page_s - self.plain_s) / self.plain_s
    }

    /// The same cost, as a share of `run --out` without the viewer.
    fn share_of_run_out(&self) -> f64 {
        (self.traced_s + self.page_s - self.plain_s) / (self.plain_s + self.rest_s)
    }
}

fn viewer_cost(scenario: &Scenario, seed: u64, repeat: u32) -> ViewerCost {
    let (mut plain_s, mut traced_s) = (0.0, 0.0);
    let mut data = Vec::new();
    let count = scenario.variants().len();
    let timed = |f: &mut dyn FnMut()| {
        let started = WallClock::now();
        f();
        started.elapsed().as_secs_f64()
    };
    // What the page's runs share is made once per page, as `run --out`
    // makes it, and counted once.
    let started = WallClock::now();
    let viewing = view::Viewing::new(scenario, seed, count);
    traced_s += started.elapsed().as_secs_f64();
    let mut ran = Vec::new();
    for variant in scenario.variants() {
        let (mut plain, mut traced) = (f64::INFINITY, f64::INFINITY);
        let (mut result, mut kept) = (None, None);
        for _ in 0..repeat {
            // What the last round made is dropped outside the timing, and
            // each run's result alike.
            (result, kept) = (None, None);
            plain = plain.min(timed(&mut || {
                result = Some(sim_core::results::run_variant(
                    scenario, variant, seed, None,
                ));
            }));
            traced = traced.min(timed(&mut || {
                kept = Some(view::record(scenario, variant, seed, &viewing, None));
            }));
        }
        plain_s += plain;
        traced_s += traced;
        ran.extend(result);
        data.extend(kept.map(|(_, data)| data));
    }
    let results = sim_core::results::assemble(scenario, seed, ran);
    // The rest of `run --out`, as it makes them: results.json, then the
    // charts and the report.
    let mut rest_s = f64::INFINITY;
    for _ in 0..repeat {
        rest_s = rest_s.min(timed(&mut || {
            let json = serde_json::to_string_pretty(&results);
            let charts = super::run::artifacts(&results, &ChartStyle::default(), false);
            std::hint::black_box((json.is_ok(), charts.is_ok()));
        }));
    }
    let started = WallClock::now();
    let page = view::page(scenario, &results, &data, "bench");
    ViewerCost {
        plain_s,
        traced_s,
        page_s: started.elapsed().as_secs_f64(),
        rest_s,
        bytes: page.len(),
    }
}
