//! `raftsim run --trace` as a user runs it: both formats, byte-identical
//! across two processes, and readable by the tools they are meant for.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

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
