//! `raftsim bench --table`: the benchmark table of docs/PERFORMANCE.md.
//! Each row (a cluster size and an implementation) is measured by this
//! binary in a process of its own (`bench --nodes N --implementation I
//! --sweep S --json`), so its peak memory is that row's alone.

use std::process::Command;

use sim_core::node::Implementation;

use super::{CliResult, Failure, EXIT_OK};

/// The cluster sizes of the table.
const SIZES: [usize; 5] = [3, 5, 7, 16, 64];
/// A sweep runs this many seeds per hardware thread.
const SEEDS_PER_THREAD: usize = 4;

/// One row's figures, from the child's JSON.
struct Row {
    nodes: usize,
    implementation: &'static str,
    events: u64,
    events_per_sec: f64,
    speedup: f64,
    peak_mib: Option<f64>,
    sweep_events_per_sec: f64,
}

pub fn table(hours: f64, repeat: u32) -> CliResult {
    // The same checks as one bench, before any child starts.
    super::bench::duration_us(hours, repeat)?;
    let exe = std::env::current_exe()
        .map_err(|e| Failure::failed(format!("cannot find this binary to run the rows: {e}")))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let seeds = threads * SEEDS_PER_THREAD;
    let implementations: Vec<&'static str> = match Implementation::RaftRs.available() {
        true => vec!["model", "raft-rs"],
        false => vec!["model"],
    };
    let mut rows = Vec::new();
    for nodes in SIZES {
        for &implementation in &implementations {
            eprintln!("raftsim: {nodes} nodes, {implementation}");
            let out = Command::new(&exe)
                .args(["bench", "--json", "--seed", "1"])
                .args(["--nodes", &nodes.to_string()])
                .args(["--implementation", implementation])
                .args([
                    "--hours",
                    &hours.to_string(),
                    "--repeat",
                    &repeat.to_string(),
                ])
                .args(["--sweep", &seeds.to_string()])
                .output()
                .map_err(|e| Failure::failed(format!("cannot run {}: {e}", exe.display())))?;
            if !out.status.success() {
                return Err(Failure::failed(format!(
                    "{nodes} nodes, {implementation}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            rows.push(row(nodes, implementation, &out.stdout)?);
        }
    }
    println!(
        "`raftsim bench --table --hours {hours} --repeat {repeat}`: the benchmark's workload \
         (50 ms heartbeats, 1% loss, 20 proposals/s, seed 1) for {hours} virtual h; one run is \
         the best of {repeat}, its peak memory the process's; the sweep runs seeds 1..={seeds} \
         on {threads} threads. {}.\n",
        machine()
    );
    println!("| nodes | implementation | events, one run | events/s, one run | virtual-to-wall | peak memory, one run | events/s, sweep | sweep ÷ one run |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.2} M | {:.0}× | {} | {:.2} M | {:.2}× |",
            r.nodes,
            r.implementation,
            r.events,
            r.events_per_sec / 1e6,
            r.speedup,
            r.peak_mib
                .map_or("unknown".to_string(), |m| format!("{m:.1} MiB")),
            r.sweep_events_per_sec / 1e6,
            r.sweep_events_per_sec / r.events_per_sec
        );
    }
    Ok(EXIT_OK)
}

fn row(nodes: usize, implementation: &'static str, stdout: &[u8]) -> Result<Row, Failure> {
    let bad = |why: &str| Failure::failed(format!("{nodes} nodes, {implementation}: {why}"));
    let json: serde_json::Value =
        serde_json::from_slice(stdout).map_err(|e| bad(&format!("unreadable output: {e}")))?;
    let number = |path: &[&str]| {
        path.iter()
            .try_fold(&json, |v, key| v.get(key))
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| bad(&format!("no {} in the output", path.join("."))))
    };
    Ok(Row {
        nodes,
        implementation,
        events: number(&["events"])? as u64,
        events_per_sec: number(&["events_per_sec"])?,
        speedup: number(&["speedup"])?,
        peak_mib: number(&["peak_rss_kib"]).ok().map(|kib| kib / 1024.0),
        sweep_events_per_sec: number(&["sweep", "events_per_sec"])?,
    })
}

/// The processor, as Linux names it, if known.
fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        });
    match model {
        Some(name) => format!("Processor: {name}"),
        None => "Processor: unknown".to_string(),
    }
}
