//! Sweeps, shards, merge and shrink, through the real binary.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{raftsim, scratch, text};

/// Five nodes under random isolations and crashes with the vote's log
/// check removed: some seeds elect a stale leader.
const BUGGY_CHAOS: &str = r#"{
  "name": "buggy-chaos", "nodes": 5, "duration_ms": 30000,
  "raft": { "bugs": ["grant_vote_without_log_check"] },
  "workload": { "proposals_per_sec": 10 },
  "chaos": { "isolate_per_min": 4, "crash_per_min": 2, "cut_per_min": 2, "duration_ms": [1000, 6000] },
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
    let one = raftsim(&["sweep", file, "--seeds", "3..13", "--jobs", "1", "--json"]);
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
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.push("--json");
    let merged = raftsim(&args);
    assert_eq!(merged.status.code(), Some(0), "{}", text(&merged.stderr));
    assert_eq!(
        text(&merged.stdout),
        text(&one.stdout),
        "merged shards equal one sweep"
    );
    let aggregate: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(aggregate["runs"], 10);
    let raft = &aggregate["variants"][0];
    assert_eq!(raft["metrics"]["leader_changes"]["p50"], 2.0);
    let ci = raft["metrics"]["failover_ms.max"]["ci95"]
        .as_array()
        .unwrap();
    assert!(ci[0].as_f64().unwrap() <= ci[1].as_f64().unwrap());
    // The same shard twice is refused.
    let twice = raftsim(&["merge", &dirs[0], &dirs[0]]);
    assert_eq!(twice.status.code(), Some(2));
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
    let row = stdout
        .lines()
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
}
