//! Sweeps, shards, merge and shrink, through the real binary.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{raftsim, read, scratch, text};

/// The per-seed records of a `sweep --out` directory.
fn seed_records(dir: &Path) -> Vec<Value> {
    text(&read(dir, "seeds.jsonl"))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Variant `i` of every record, with its seed.
fn runs_of(records: &[Value], i: usize) -> Vec<(u64, &Value)> {
    records
        .iter()
        .map(|r| (r["seed"].as_u64().unwrap(), &r["variants"][i]))
        .collect()
}

fn cut_short(run: &Value) -> bool {
    !run["violations"].as_array().unwrap().is_empty() || run.get("limit_reached").is_some()
}

/// Five nodes under random isolations and crashes with the vote's log
/// check removed: some seeds elect a stale leader.
const BUGGY_CHAOS: &str = r#"{
  "name": "buggy-chaos", "nodes": 5, "duration_ms": 30000,
  "raft": { "bugs": ["grant_vote_without_log_check"] },
  "workload": { "proposals_per_sec": 10 },
  "chaos": { "isolate_per_min": 4, "crash_per_min": 2, "cut_per_min": 2, "duration_ms": [1000, 6000] },
  "variants": [ { "label": "buggy" }, { "label": "correct", "raft": { "bugs": [] } } ]
}"#;

/// Fewer faults: in seeds 0..12 about half the buggy runs break safety.
const MILD_BUGGY_CHAOS: &str = r#"{
  "name": "mild-buggy-chaos", "nodes": 5, "duration_ms": 30000,
  "raft": { "bugs": ["grant_vote_without_log_check"] },
  "workload": { "proposals_per_sec": 10 },
  "chaos": { "isolate_per_min": 2, "crash_per_min": 1, "cut_per_min": 1, "duration_ms": [1000, 6000] },
  "variants": [ { "label": "buggy" }, { "label": "correct", "raft": { "bugs": [] } } ]
}"#;

fn buggy_file(dir: &Path) -> String {
    let path = dir.join("buggy-chaos.json");
    std::fs::write(&path, BUGGY_CHAOS).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_sweep_finds_planted_bugs_and_each_command_reproduces_its_failure() {
    let dir = scratch("planted");
    let file = buggy_file(&dir);
    let out = raftsim(&["sweep", &file, "--seeds", "0..12", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let aggregate: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = aggregate["failures"].as_array().unwrap();
    assert!(!failures.is_empty(), "the planted bug is found in 12 seeds");
    let correct = &aggregate["variants"][1];
    assert_eq!(correct["label"], "correct");
    assert_eq!(
        correct["failed_seeds"], 0,
        "the correct variant never fails"
    );
    for failure in failures {
        assert_eq!(failure["variants"], serde_json::json!(["buggy"]));
        let command = failure["command"].as_str().unwrap();
        let seed = failure["seed"].as_u64().unwrap();
        assert_eq!(
            command,
            format!("raftsim run {file} --seed {seed} --variant buggy")
        );
        let args: Vec<&str> = command.split(' ').skip(1).collect();
        let replay = raftsim(&args);
        assert_eq!(replay.status.code(), Some(1), "{command}");
        let reason = failure["reasons"][0].as_str().unwrap();
        let property = reason.split_whitespace().nth(3).unwrap();
        assert!(
            text(&replay.stderr).contains(&format!("safety violation: {property}")),
            "{command}: {}",
            text(&replay.stderr)
        );
    }
}

#[test]
fn results_do_not_depend_on_jobs_and_shards_merge_to_the_whole() {
    let dir = scratch("shards");
    let file = "scenarios/leader-crash.json";
    let single = dir.join("single");
    let one = raftsim(&[
        "sweep",
        file,
        "--seeds",
        "3..13",
        "--jobs",
        "1",
        "--out",
        single.to_str().unwrap(),
        "--json",
    ]);
    let two = raftsim(&["sweep", file, "--seeds", "3..13", "--jobs", "2", "--json"]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    assert_eq!(text(&one.stdout), text(&two.stdout));
    let mut dirs = Vec::new();
    for k in 1..=3 {
        let shard = dir.join(format!("shard{k}"));
        let out = raftsim(&[
            "sweep",
            file,
            "--seeds",
            "3..13",
            "--shard",
            &format!("{k}/3"),
            "--out",
            shard.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0));
        dirs.push(shard.to_string_lossy().into_owned());
    }
    let merged_dir = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", merged_dir.to_str().unwrap(), "--json"]);
    let merged = raftsim(&args);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    assert_eq!(
        text(&merged.stdout),
        text(&one.stdout),
        "merged shards equal one sweep"
    );
    for name in ["sweep.json", "seeds.jsonl", "distributions.svg"] {
        assert!(
            read(&merged_dir, name) == read(&single, name),
            "{name}: merged shards differ from one sweep"
        );
    }
    let aggregate: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(aggregate["runs"], 10);
    let raft = &aggregate["variants"][0];
    assert_eq!(raft["metrics"]["leader_changes"]["p50"], 2.0);
    assert!(raft["pooled"]["failover_ms"]["count"].as_u64().unwrap() >= 10);
    assert!(raft["pooled"]["commit_latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    let ci = raft["metrics"]["failover_ms.max"]["ci95"]
        .as_array()
        .unwrap();
    assert!(ci[0].as_f64().unwrap() <= ci[1].as_f64().unwrap());
    // The same shard twice is refused.
    let twice = raftsim(&["merge", &dirs[0], &dirs[0]]);
    assert_eq!(twice.status.code(), Some(2));
}

#[test]
fn a_leader_crash_sweep_pools_every_failover_and_commit_of_every_seed() {
    let dir = scratch("pooled");
    let out = raftsim(&[
        "sweep",
        "leader-crash",
        "--seeds",
        "0..12",
        "--out",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let aggregate: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = seed_records(&dir);
    for (i, variant) in aggregate["variants"].as_array().unwrap().iter().enumerate() {
        let runs = runs_of(&records, i);
        let sum = |key: &str| -> u64 {
            runs.iter()
                .map(|(_, run)| run["metrics"][key]["count"].as_u64().unwrap())
                .sum()
        };
        let pooled = &variant["pooled"];
        let failovers = &pooled["failover_ms"];
        assert!(sum("failover_ms") >= 12, "every seed crashes a leader");
        assert_eq!(failovers["count"].as_u64(), Some(sum("failover_ms")));
        assert_eq!(
            pooled["commit_latency_ms"]["count"].as_u64(),
            Some(sum("commit_latency_ms"))
        );
        let worst = runs
            .iter()
            .map(|(_, run)| run["metrics"]["failover_ms"]["max"].as_f64().unwrap())
            .fold(0.0, f64::max);
        assert_eq!(
            failovers["max"].as_f64(),
            Some(worst),
            "{}",
            variant["label"]
        );
        let order: Vec<f64> = ["min", "p10", "p50", "p90", "p95", "p99", "max"]
            .iter()
            .map(|k| failovers[*k].as_f64().unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
        assert!(order[0] > 0.0);
        assert_eq!(variant["counted"], 12);
        assert_eq!(variant["cut_short"], 0);
    }
    // One seed's run on its own has the failovers its record says.
    let run = raftsim(&["run", "leader-crash", "--seed", "5", "--json"]);
    let run: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        run["variants"][0]["metrics"]["failover_ms"],
        records[5]["variants"][0]["metrics"]["failover_ms"]
    );
}

#[test]
fn runs_cut_short_by_a_violation_are_left_out_of_every_statistic() {
    let dir = scratch("cut-short");
    let file = dir.join("mild-buggy-chaos.json");
    std::fs::write(&file, MILD_BUGGY_CHAOS).unwrap();
    let file = file.to_string_lossy().into_owned();
    let out_dir = dir.join("out");
    let out = raftsim(&[
        "sweep",
        &file,
        "--seeds",
        "0..12",
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let aggregate: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = seed_records(&out_dir);
    let buggy = &aggregate["variants"][0];
    let runs = runs_of(&records, 0);
    let counted: Vec<&Value> = runs
        .iter()
        .filter(|(_, run)| !cut_short(run))
        .map(|(_, run)| *run)
        .collect();
    let violating = runs.len() - counted.len();
    assert!(
        0 < violating && violating < runs.len(),
        "some seeds of 12 break safety, some do not: {violating}"
    );
    let failures = aggregate["failures"].as_array().unwrap().len();
    assert_eq!(failures, violating, "cut-short runs are still listed");
    assert_eq!(buggy["failed_seeds"].as_u64(), Some(violating as u64));
    assert_eq!(buggy["cut_short"].as_u64(), Some(violating as u64));
    assert_eq!(buggy["counted"].as_u64(), Some(counted.len() as u64));
    // The mean over seeds, summed in seed order, is over the counted ones only.
    let values: Vec<f64> = counted
        .iter()
        .map(|run| run["metrics"]["max_term"].as_f64().unwrap())
        .collect();
    let max_term = &buggy["metrics"]["max_term"];
    assert_eq!(max_term["count"].as_u64(), Some(counted.len() as u64));
    assert_eq!(
        max_term["mean"].as_f64(),
        Some(values.iter().sum::<f64>() / values.len() as f64)
    );
    let commits: u64 = counted
        .iter()
        .map(|run| {
            run["metrics"]["commit_latency_ms"]["count"]
                .as_u64()
                .unwrap()
        })
        .sum();
    let pooled = &buggy["pooled"]["commit_latency_ms"];
    assert_eq!(pooled["count"].as_u64(), Some(commits));
    // The correct variant runs every seed to the end: all of them count.
    let correct = &aggregate["variants"][1];
    assert_eq!(
        (correct["cut_short"].as_u64(), correct["counted"].as_u64()),
        (Some(0), Some(12))
    );
}

#[test]
fn a_metric_without_samples_in_a_seed_is_left_out_not_counted_as_zero() {
    let dir = scratch("no-samples");
    let file = dir.join("calm.json");
    std::fs::write(
        &file,
        r#"{ "name": "calm", "nodes": 3, "duration_ms": 3000,
             "workload": { "proposals_per_sec": 10 }, "variants": [ { "label": "raft" } ] }"#,
    )
    .unwrap();
    let out = raftsim(&["sweep", file.to_str().unwrap(), "--seeds", "0..4", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let aggregate: Value = serde_json::from_slice(&out.stdout).unwrap();
    let raft = &aggregate["variants"][0];
    let worst = &raft["metrics"]["failover_ms.max"];
    assert_eq!(worst["count"], 0, "no seed has a failover: {worst}");
    assert_eq!(
        (&worst["min"], &worst["mean"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(raft["metrics"]["failover_ms.count"]["count"], 4);
    assert_eq!(raft["metrics"]["failover_ms.count"]["max"], 0.0);
    assert_eq!(raft["pooled"]["failover_ms"]["count"], 0);
    assert_eq!(raft["pooled"]["failover_ms"]["p50"], Value::Null);
    assert_eq!(raft["metrics"]["commit_latency_ms.p99"]["count"], 4);
    let summary = raftsim(&["sweep", file.to_str().unwrap(), "--seeds", "0..4"]);
    let summary = text(&summary.stdout);
    let row = summary
        .lines()
        .find(|l| l.trim_start().starts_with("failover_ms.max"))
        .unwrap();
    assert!(row.contains('—'), "{row}");
}

#[test]
fn shrink_reduces_a_failing_chaos_scenario_that_still_fails() {
    let dir = scratch("shrink");
    let file = buggy_file(&dir);
    let sweep = raftsim(&["sweep", &file, "--seeds", "0..12", "--json"]);
    let aggregate: Value = serde_json::from_slice(&sweep.stdout).unwrap();
    let seed = aggregate["failures"][0]["seed"]
        .as_u64()
        .unwrap()
        .to_string();
    let out_file = dir.join("min.json");
    let out = raftsim(&[
        "shrink",
        &file,
        "--seed",
        &seed,
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The shrunk run's replay viewer, beside it, named in the output.
    let viewer = dir.join("min.viewer.html");
    assert!(
        text(&out.stdout).contains(&format!("viewer: {}", viewer.display())),
        "{}",
        text(&out.stdout)
    );
    assert!(std::fs::read_to_string(&viewer)
        .unwrap()
        .contains("\"violation\""));
    let shrunk: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let original: Value = serde_json::from_str(BUGGY_CHAOS).unwrap();
    assert!(
        shrunk.get("chaos").is_none(),
        "drawn faults are written out as events"
    );
    let events = shrunk["events"].as_array().unwrap().len();
    assert!(
        (1..=4).contains(&events),
        "{events} events left:\n{shrunk:#}"
    );
    assert!(shrunk["duration_ms"].as_u64().unwrap() < original["duration_ms"].as_u64().unwrap());
    assert_eq!(shrunk["variants"].as_array().unwrap().len(), 1);
    let replay = raftsim(&["run", out_file.to_str().unwrap(), "--seed", &seed]);
    assert_eq!(
        replay.status.code(),
        Some(1),
        "the shrunk scenario still fails"
    );
    assert!(
        text(&replay.stderr).contains("safety violation: leader_completeness"),
        "{}",
        text(&replay.stderr)
    );
    // A seed that does not fail cannot be shrunk.
    let ok = raftsim(&[
        "shrink",
        "scenarios/leader-crash.json",
        "--seed",
        "1",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(2));
    assert!(text(&ok.stderr).contains("does not fail"));
}

#[test]
fn bad_sweep_arguments_exit_2() {
    for args in [
        vec!["sweep", "scenarios/leader-crash.json", "--seeds", "5..5"],
        vec!["sweep", "scenarios/leader-crash.json", "--seeds", "x..9"],
        vec![
            "sweep",
            "scenarios/leader-crash.json",
            "--seeds",
            "0..9",
            "--shard",
            "0/3",
        ],
        vec![
            "sweep",
            "scenarios/leader-crash.json",
            "--seeds",
            "0..9",
            "--jobs",
            "0",
        ],
        vec!["merge", "/no/such/dir"],
    ] {
        let out = raftsim(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn the_sweep_summary_has_a_heading_over_every_column() {
    let out = raftsim(&["sweep", "scenarios/leader-crash.json", "--seeds", "0..3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let header = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("metric"))
        .unwrap();
    let names: Vec<&str> = header.split_whitespace().take(7).collect();
    assert_eq!(
        names,
        ["metric", "min", "mean", "p50", "p90", "p99", "max"],
        "{header}"
    );
    // The first variant's table (the side-by-side table comes before it).
    let row = stdout
        .lines()
        .skip_while(|l| *l != header)
        .find(|l| l.trim_start().starts_with("max_term"))
        .unwrap();
    let numbers = row
        .split('[')
        .next()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .count();
    assert_eq!(numbers, names.len() - 1, "{row}");
    let pooled = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("pooled"))
        .unwrap();
    let columns: Vec<&str> = pooled.split_whitespace().skip(3).collect();
    assert_eq!(
        columns,
        ["count", "min", "p10", "p50", "p90", "p95", "p99", "max"],
        "{pooled}"
    );
    let failovers = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("failover_ms "))
        .unwrap();
    assert_eq!(failovers.split_whitespace().count(), 9, "{failovers}");
    assert_eq!(
        stdout.matches("pooled, every sample").count(),
        5,
        "one pooled table per variant"
    );
}

/// Every variant side by side, each cell the mean over seeds with its 95%
/// confidence interval, in the terminal and in the sweep's report.
#[test]
fn a_sweep_shows_every_variant_side_by_side_with_intervals() {
    let dir = scratch("side-by-side");
    let out = raftsim(&[
        "sweep",
        "leader-crash",
        "--seeds",
        "0..6",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    // Up to the per-variant tables ("raft (0 failing seeds; ...").
    let table: Vec<&str> = shown
        .lines()
        .skip_while(|l| !l.starts_with("side by side"))
        .take_while(|l| !l.starts_with("raft ("))
        .collect();
    let heads: Vec<&str> = table
        .iter()
        .copied()
        .filter(|l| l.trim_start().starts_with("mean [95% CI]"))
        .collect();
    let labels = [
        "raft",
        "prevote",
        "checkquorum",
        "prevote+checkquorum",
        "dledger",
    ];
    for label in labels {
        assert!(
            heads
                .iter()
                .any(|h| h.split("  ").any(|c| c.trim() == label)),
            "{table:?}"
        );
    }
    assert!(table.iter().all(|l| l.chars().count() <= 120), "{table:?}");
    let aggregate: Value = serde_json::from_slice(&read(&dir, "sweep.json")).unwrap();
    let max_term = &aggregate["variants"][0]["metrics"]["max_term"];
    let cell = format!(
        "{:.2} [{:.2}, {:.2}]",
        max_term["mean"].as_f64().unwrap(),
        max_term["ci95"][0]
            .as_f64()
            .unwrap()
            .max(max_term["min"].as_f64().unwrap()),
        max_term["ci95"][1]
            .as_f64()
            .unwrap()
            .min(max_term["max"].as_f64().unwrap()),
    );
    let row = table
        .iter()
        .find(|l| l.trim_start().starts_with("max_term"))
        .unwrap();
    assert!(row.contains(&cell), "{row} lacks {cell}");
    let report = text(&read(&dir, "report.html"));
    let side = report
        .split("<table class=\"sweep-side-by-side\">")
        .nth(1)
        .expect("the report has the side-by-side table");
    let side = side.split("</table>").next().unwrap();
    for label in labels {
        assert!(side.contains(&format!("<th>{label}</th>")), "{label}");
    }
    assert!(side.contains(&cell), "{side}");
}
