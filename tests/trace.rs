//! `raftsim run --trace` as a user runs it: both formats, byte-identical
//! across two processes, and readable by the tools they are meant for.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftsim-trace-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs leader-crash's `raft` variant with a trace and returns the file.
fn traced_run(dir: &Path, file: &str, format: Option<&str>) -> Vec<u8> {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/leader-crash.json");
    let trace = dir.join(file);
    let mut command = Command::new(env!("CARGO_BIN_EXE_raftsim"));
    command
        .arg("run")
        .arg(&scenario)
        .args(["--variant", "raft", "--trace"])
        .arg(&trace)
        .env_remove("RAFTSIM_SEED");
    if let Some(format) = format {
        command.args(["--trace-format", format]);
    }
    let out = command.output().expect("raftsim runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&trace).expect("the trace file was written")
}

#[test]
fn json_lines_traces_of_one_seed_are_byte_identical() {
    let dir = scratch("jsonl");
    let a = traced_run(&dir, "a.jsonl", None);
    let b = traced_run(&dir, "b.jsonl", Some("jsonl"));
    assert!(!a.is_empty());
    assert!(a == b, "two runs wrote different JSON Lines traces");
    let text = String::from_utf8(a).expect("UTF-8");
    let mut last_us = 0;
    for (n, line) in text.lines().enumerate() {
        let record: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", n + 1));
        let at_us = record["at_us"]
            .as_u64()
            .unwrap_or_else(|| panic!("line {}: no at_us: {line}", n + 1));
        assert!(at_us >= last_us, "line {}: at_us goes back", n + 1);
        last_us = at_us;
        if record["kind"] == "state" {
            for key in [
                "term",
                "role",
                "leader",
                "voted_for",
                "log_length",
                "commit_index",
            ] {
                assert!(
                    record.get(key).is_some(),
                    "line {}: no {key}: {line}",
                    n + 1
                );
            }
            assert!(
                record["commit_index"].as_u64() <= record["log_length"].as_u64(),
                "line {}: {line}",
                n + 1
            );
        }
    }
    assert!(last_us > 50_000_000, "the trace covers the run: {last_us}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chrome_traces_of_one_seed_are_byte_identical_with_a_track_per_node() {
    let dir = scratch("chrome");
    let a = traced_run(&dir, "a.json", Some("chrome"));
    let b = traced_run(&dir, "b.json", Some("chrome"));
    assert!(!a.is_empty());
    assert!(a == b, "two runs wrote different Chrome traces");
    let doc: Value = serde_json::from_slice(&a).expect("the Chrome trace is valid JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    let node_tracks: Vec<u64> = events
        .iter()
        .filter(|e| {
            e["ph"] == "M"
                && e["name"] == "thread_name"
                && e["args"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("node "))
        })
        .map(|e| e["tid"].as_u64().expect("tid"))
        .collect();
    assert_eq!(node_tracks, vec![1, 2, 3, 4, 5]);
    let with_spans: BTreeSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "B" && e["cat"] == "role")
        .map(|e| e["tid"].as_u64().expect("tid"))
        .collect();
    assert_eq!(with_spans.len(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_format_without_trace_is_a_usage_error() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/leader-crash.json");
    let out = Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .arg("run")
        .arg(&scenario)
        .args(["--trace-format", "chrome"])
        .output()
        .expect("raftsim runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--trace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the buggy scenario with a trace; it must stop on a violation.
fn violating_run(dir: &Path, file: &str, format: &str) -> Vec<u8> {
    let scenario = dir.join("buggy.json");
    std::fs::write(&scenario, common::BUGGY_REJOIN).unwrap();
    let trace = dir.join(file);
    let out = Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .arg("run")
        .arg(&scenario)
        .arg("--trace")
        .arg(&trace)
        .args(["--trace-format", format])
        .env_remove("RAFTSIM_SEED")
        .output()
        .expect("raftsim runs");
    assert_eq!(out.status.code(), Some(1), "the planted bug is caught");
    std::fs::read(&trace).expect("the trace file was written")
}

#[test]
fn a_violating_runs_trace_ends_with_the_step_and_a_violation_record() {
    let dir = scratch("violation");
    let text = String::from_utf8(violating_run(&dir, "t.jsonl", "jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let [.., state, violation] = lines.as_slice() else {
        panic!("a short trace");
    };
    assert_eq!(violation["kind"], "violation", "{violation}");
    assert_eq!(violation["property"], "leader_completeness");
    assert!(violation["message"]
        .as_str()
        .is_some_and(|m| m.contains("became leader")));
    // The offending step is there: the node becoming leader.
    assert_eq!(state["kind"], "state", "{state}");
    assert_eq!(state["role"], "leader");
    assert_eq!(state["node"], violation["node"]);
    assert_eq!(state["at_us"], violation["at_us"]);

    let doc: Value = serde_json::from_slice(&violating_run(&dir, "t.json", "chrome"))
        .expect("the Chrome trace is valid JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    let at = events
        .iter()
        .position(|e| e["cat"] == "violation")
        .expect("a violation event");
    let v = &events[at];
    assert_eq!(
        (&v["ph"], &v["name"]),
        (&"i".into(), &"leader_completeness".into())
    );
    assert_eq!(v["args"]["node"], violation["node"]);
    assert!(events
        .iter()
        .any(|e| e["ph"] == "M" && e["tid"] == v["tid"] && e["args"]["name"] == "violations"));
    let node = violation["node"].as_u64().unwrap();
    assert!(
        events[..at].iter().any(|e| e["ph"] == "B"
            && e["tid"] == node
            && e["name"].as_str().is_some_and(|n| n.starts_with("leader"))),
        "the leader span of the violating step comes first"
    );
    // After it, only the spans the end of the trace closes.
    assert!(events[at + 1..].iter().all(|e| e["ph"] == "E"));
    let _ = std::fs::remove_dir_all(&dir);
}
