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

/// Logs never compacted under heavy load: about 170 MiB at the end of the
/// run, so a budget of 32 MiB stops it early.
fn growing_logs() -> Value {
    json!({"name": "growing", "nodes": 5, "duration_ms": 30000,
        "raft": {"snapshot": {"threshold_entries": 100_000_000}},
        "workload": {"proposals_per_sec": 5000}})
}

#[test]
fn a_run_past_its_memory_budget_stops_cleanly_in_every_command() {
    let path = write("growing", &growing_logs().to_string());
    let file = path.to_str().expect("utf-8");
    let out_dir = scratch("growing-out").join("out");
    let out_arg = out_dir.to_str().expect("utf-8");
    let budget = "the run holds about";
    let raise = "past its memory budget of 32 MiB (raise it with --max-memory";
    // run: exit 1, cut short, the budget and how to raise it named, and
    // the results written say so too.
    let out = raftsim(&["run", file, "--max-memory", "32MiB", "--out", out_arg]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(budget) && err.contains(raise), "{err}");
    let results = std::fs::read_to_string(out_dir.join("results.json")).expect("results");
    assert!(
        results.contains("past its memory budget of 32 MiB"),
        "no limit in results.json"
    );
    // The same budget in the file.
    let mut with_field = growing_logs();
    with_field["max_memory_mb"] = json!(32);
    let (code, err) = run("growing-field", &with_field);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(raise), "{err}");
    // sweep: the failing seed's replay command carries the budget.
    let out = raftsim(&["sweep", file, "--seeds", "0..2", "--max-memory", "32MiB"]);
    let err = text(&out.stderr) + &text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--set max_memory_mb=32"), "{err}");
    // compare and bench stop the same way.
    let out = raftsim(&["compare", file, "--max-memory", "32MiB"]);
    let err = text(&out.stderr) + &text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(raise), "{err}");
    let out = raftsim(&[
        "bench",
        "--scenario",
        file,
        "--repeat",
        "1",
        "--max-memory",
        "32MiB",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(raise), "{err}");
    // Under the default budget of 1 GiB the run completes.
    let out = raftsim(&["run", file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A budget that is no size is bad input.
    for bad in ["0", "12 parsecs", "2TiB"] {
        let out = raftsim(&["run", file, "--max-memory", bad]);
        assert_eq!(out.status.code(), Some(2), "--max-memory {bad}");
    }
    let mut zero = growing_logs();
    zero["max_memory_mb"] = json!(0);
    let (code, err) = run("growing-zero", &zero);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("max_memory_mb: must be at least 1"), "{err}");
}
