//! `raftsim bench`: the engine's speed on a fixed workload (5 nodes, 50 ms
//! heartbeats, 1% loss, 20 proposals/s), measured in wall time here in the
//! CLI; the simulation itself never reads a clock. The model's figure
//! first, then raft-rs's on the same workload (when built in).

use std::time::Instant as WallClock;

use sim_core::cluster::{run, ClusterConfig};
use sim_core::raft::Implementation;
use sim_core::raftrs::unreplaced_timeouts;

use super::{CliResult, Failure, EXIT_OK};

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim bench --hours 0.05 --repeat 1")]
pub struct BenchArgs {
    /// Virtual hours to simulate per run (a fraction is fine: 0.25 is
    /// 15 minutes; at most 168, a week).
    #[arg(long, default_value_t = 1.0)]
    hours: f64,
    /// Runs to time (the best is reported).
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Time raftsim's model only, not raft-rs too (for profiling one run
    /// under callgrind: see README's Performance section).
    #[arg(long)]
    model_only: bool,
}

/// The benchmark's cluster: 5 nodes, 50 ms heartbeats, 1% loss, 20 proposals/s.
pub fn bench_config(seed: u64, duration_us: u64) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(5, seed, duration_us);
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
    /// Messages sent (what the turmoil comparison in README replays).
    messages: u64,
    wall_s: f64,
    hash: u64,
}

impl Timing {
    fn events_per_sec(&self) -> f64 {
        self.events as f64 / self.wall_s
    }
}

fn time_runs(cfg: &ClusterConfig, repeat: u32) -> Result<Timing, Failure> {
    let mut best = Timing {
        events: 0,
        messages: 0,
        wall_s: f64::INFINITY,
        hash: 0,
    };
    for _ in 0..repeat {
        let started = WallClock::now();
        let out = run(cfg.clone());
        let wall = started.elapsed().as_secs_f64();
        if !out.violations.is_empty() {
            return Err(Failure::failed(format!(
                "safety violation in the benchmark ({}): {:?}",
                cfg.raft.implementation.name(),
                out.violations
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
    // At least one virtual second, at most a week: whole microseconds.
    if !(args.hours * 3_600.0 >= 1.0 && args.hours <= 168.0) || args.repeat == 0 {
        return Err(Failure::bad_input(format!(
            "--hours {} --repeat {}: --hours must be from 1/3600 (one second) to 168 and \
             --repeat at least 1",
            args.hours, args.repeat
        )));
    }
    let duration_us = (args.hours * 3_600_000_000.0).round() as u64;
    let cfg = bench_config(args.seed, duration_us);
    let model = time_runs(&cfg, args.repeat)?;
    // The same workload with raft-rs making the decisions, if built in.
    let raft_rs = if Implementation::RaftRs.available() && !args.model_only {
        let mut cfg = cfg;
        cfg.raft.implementation = Implementation::RaftRs;
        Some(time_runs(&cfg, args.repeat)?)
    } else {
        None
    };
    let virtual_s = duration_us as f64 / 1e6;
    let speedup = virtual_s / model.wall_s;
    let peak = peak_rss_kib();
    if args.json {
        let raft_rs = raft_rs.as_ref().map(|t| {
            serde_json::json!({
                "events": t.events, "wall_s": t.wall_s, "events_per_sec": t.events_per_sec(),
                "speedup": virtual_s / t.wall_s, "trace_hash": format!("{:016x}", t.hash),
                "unreplaced_timeouts": unreplaced_timeouts(),
            })
        });
        println!(
            "{}",
            serde_json::json!({
                "virtual_s": virtual_s, "events": model.events, "messages_sent": model.messages, "wall_s": model.wall_s,
                "events_per_sec": model.events_per_sec(), "speedup": speedup,
                "peak_rss_kib": peak, "trace_hash": format!("{:016x}", model.hash),
                "raft_rs": raft_rs,
            })
        );
    } else {
        println!("workload     5 nodes, 50 ms heartbeats, 1% loss, 20 proposals/s, {} virtual h, seed {}", args.hours, args.seed);
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
                virtual_s / t.wall_s,
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
