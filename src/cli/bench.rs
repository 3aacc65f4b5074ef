//! `raftsim bench`: the engine's speed on a fixed workload (5 nodes, 50 ms
//! heartbeats, 1% loss, 20 proposals/s), measured in wall time here in the
//! CLI; the simulation itself never reads a clock.

use std::time::Instant as WallClock;

use sim_core::cluster::{run, ClusterConfig};

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
    let mut best = f64::INFINITY;
    let mut events = 0;
    let mut hash = 0;
    for _ in 0..args.repeat {
        let started = WallClock::now();
        let out = run(bench_config(args.seed, duration_us));
        let wall = started.elapsed().as_secs_f64();
        if !out.violations.is_empty() {
            return Err(Failure::failed(format!(
                "safety violation in the benchmark: {:?}",
                out.violations
            )));
        }
        events = out.metrics.events;
        hash = out.trace_hash;
        best = best.min(wall);
    }
    let virtual_s = duration_us as f64 / 1e6;
    let events_per_sec = events as f64 / best;
    let speedup = virtual_s / best;
    let peak = peak_rss_kib();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "virtual_s": virtual_s, "events": events, "wall_s": best,
                "events_per_sec": events_per_sec, "speedup": speedup,
                "peak_rss_kib": peak, "trace_hash": format!("{hash:016x}"),
            })
        );
    } else {
        println!("workload     5 nodes, 50 ms heartbeats, 1% loss, 20 proposals/s, {} virtual h, seed {}", args.hours, args.seed);
        println!("events       {events}");
        println!("wall time    {:.3} s (best of {})", best, args.repeat);
        println!("events/s     {:.2} M", events_per_sec / 1e6);
        println!("speed-up     {speedup:.0}× virtual over wall time");
        if let Some(kib) = peak {
            println!("peak memory  {:.1} MiB", kib as f64 / 1024.0);
        }
    }
    Ok(EXIT_OK)
}
