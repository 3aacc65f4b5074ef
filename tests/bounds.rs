//! Bounded input through the real binary: out-of-range values, warnings
//! for settings that are valid but almost certainly a mistake, loading
//! errors a new user meets, and a run cut short by a limit.

mod common;

use std::path::PathBuf;

use common::{raftsim, scratch, text};
use serde_json::{json, Value};

fn write(name: &str, contents: &str) -> PathBuf {
    let path = scratch(name).join(format!("{name}.json"));
    std::fs::write(&path, contents).expect("written");
    path
}

fn small(extra: Value) -> Value {
    let mut file = json!({"name": "small", "nodes": 3, "duration_ms": 2000});
    for (key, value) in extra.as_object().expect("an object") {
        file[key] = value.clone();
    }
    file
}

/// `run FILE`: (exit code, stderr).
fn run(name: &str, file: &Value) -> (Option<i32>, String) {
    let path = write(name, &file.to_string());
    let out = raftsim(&["run", path.to_str().expect("utf-8")]);
    (out.status.code(), text(&out.stderr))
}

#[test]
fn an_overflowing_heartbeat_is_refused_with_its_path() {
    for value in ["2305843009213693952", "18446744073709552", "604800001"] {
        let file = small(json!({})).to_string().replace(
            "\"nodes\"",
            &format!("\"raft\": {{\"heartbeat_ms\": {value}}}, \"nodes\""),
        );
        let path = write("overflow", &file);
        let out = raftsim(&["run", path.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = text(&out.stderr);
        assert!(err.contains("overflow.json: raft.heartbeat_ms"), "{err}");
    }
}

#[test]
fn mistaken_settings_warn_and_still_run() {
    let cases = [
        (
            json!({"raft": {"heartbeat_ms": 200}}),
            "not shorter than the minimum election timeout",
        ),
        (
            json!({"network": {"latency_ms": [10, 20]}, "workload": {"proposals_per_sec": 5, "retry_ms": 30}}),
            "workload.retry_ms (30 ms) is below a round trip (40 ms",
        ),
        (
            json!({"network": {"loss": 1.0}}),
            "no message is ever delivered",
        ),
        (
            json!({"network": {"latency_ms": [100, 200]}}),
            "below a round trip (400 ms",
        ),
    ];
    for (extra, warning) in cases {
        let (code, err) = run("warn", &small(extra.clone()));
        assert_eq!(code, Some(0), "{extra}: {err}");
        assert!(err.contains("warning: "), "{extra}: {err}");
        assert!(err.contains(warning), "{extra}: {err}");
    }
    let (code, err) = run("quiet", &small(json!({})));
    assert_eq!(code, Some(0));
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn a_total_loss_that_an_event_ends_does_not_warn() {
    let file = small(json!({
        "network": {"loss": 1.0},
        "events": [{"at_ms": 500, "set_network": {"loss": 0.0}}],
    }));
    let (code, err) = run("healed", &file);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("no message is ever delivered"), "{err}");
}

#[test]
fn a_truncated_file_says_it_ends_early() {
    let path = write("trunc", "{\n  \"name\": \"x\",\n");
    let out = raftsim(&["validate", path.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("trunc.json: line 3"), "{err}");
    assert!(err.contains("the file ends early"), "{err}");
    assert!(!err.contains(": ? ("), "no meaningless path: {err}");
}

#[test]
fn a_scenario_that_is_not_an_object_says_so() {
    for (contents, found) in [("[]", "an array"), ("42", "a number"), ("null", "null")] {
        let path = write("array", contents);
        let out = raftsim(&["validate", path.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "a scenario file is a JSON object ({{...}}), found {found}"
            )),
            "{err}"
        );
        assert!(!err.contains("invalid length"), "{err}");
    }
}

#[test]
fn a_run_cut_short_by_its_per_second_limit_exits_1() {
    let file = small(json!({
        "workload": {"proposals_per_sec": 100000},
        "max_events_per_sec": 20000,
    }));
    let (code, err) = run("dense", &file);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("max_events_per_sec"), "{err}");
}
