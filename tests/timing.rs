//! The timing fields through the real binary: their limits (validation,
//! exit 2, the JSON path named) and `raftsim schema`, and the
//! election-timeouts experiment as a sweep.

use serde_json::{json, Value};

mod common;
use common::{raftsim, read, scratch, text};

fn base() -> Value {
    json!({"name": "t", "nodes": 3, "duration_ms": 10_000})
}

/// Runs a scenario that must be refused; returns stderr.
fn refused(name: &str, scenario: Value) -> String {
    let dir = scratch(name);
    let file = dir.join("bad.json");
    std::fs::write(&file, scenario.to_string()).unwrap();
    let out = raftsim(&["run", file.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    err
}

#[test]
fn every_timing_field_has_its_limits() {
    let with = |key: &str, value: Value| {
        let mut s = base();
        s[key] = value;
        s
    };
    let event = |e: Value| with("events", json!([e]));
    let cases = [
        (
            "four-decimals",
            with("network", json!({"latency_ms": [0.1, 0.0005]})),
            "0.0005 ms has more than 3 decimals",
        ),
        (
            "drift",
            with("clock", json!({"drift_ppm": 20_000})),
            "clock.drift_ppm: 20000 is out of range: must be in [0, 10000] ppm",
        ),
        (
            "jitter",
            with("clock", json!({"timer_jitter_ms": [0, 1_500]})),
            "clock.timer_jitter_ms: 1500 ms is more than the limit of 1000 ms",
        ),
        (
            "empty-at",
            event(json!({"at_ms": [200, 100], "heal": true})),
            "events[0].at_ms: empty range [200, 100]",
        ),
        (
            "repeat-times",
            event(json!({"at_ms": 1, "repeat": {"every_ms": 10, "times": 0}, "heal": true})),
            "events[0].repeat.times: 0 is out of range: must be 1..=100000",
        ),
        (
            "repeat-every",
            event(json!({"at_ms": 1, "repeat": {"every_ms": 0, "times": 2}, "heal": true})),
            "events[0].repeat.every_ms: 0 is out of range",
        ),
        (
            "repeat-past-end",
            event(
                json!({"at_ms": [0, 10], "repeat": {"every_ms": 5_000, "times": 3}, "heal": true}),
            ),
            "events[0].at_ms: its last repetition may fire at 10010 ms, past the end",
        ),
        (
            "set-clock",
            event(json!({"at_ms": 1, "set_clock": {"node": 1, "drift_ppm": -10_001}})),
            "events[0].set_clock.drift_ppm: -10001 is out of range",
        ),
        (
            "pause-node",
            event(json!({"at_ms": 1, "pause": 7})),
            "events[0].pause: node 7 does not exist",
        ),
    ];
    for (name, scenario, expected) in cases {
        let err = refused(name, scenario);
        assert!(
            err.contains(expected),
            "{name}: expected {expected:?} in:\n{err}"
        );
    }
}

#[test]
fn the_schema_shows_the_new_fields_and_their_bounds() {
    let out = raftsim(&["schema"]);
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    let defs = &schema["$defs"];
    assert_eq!(defs["Milliseconds"]["multipleOf"], json!(0.001));
    assert_eq!(
        defs["ClockSpec"]["properties"]["drift_ppm"]["maximum"],
        json!(10000)
    );
    assert_eq!(
        defs["RepeatSpec"]["properties"]["times"]["minimum"],
        json!(1)
    );
    assert_eq!(
        defs["SetClockSpec"]["properties"]["drift_ppm"]["minimum"],
        json!(-10000)
    );
    let event = &defs["EventSpec"]["properties"];
    for key in ["pause", "resume", "set_clock", "repeat"] {
        assert!(event.get(key).is_some(), "{key} missing from the schema");
    }
}

/// The experiment runs with one sweep command and pools one failover per
/// crash; equal timeouts are the slowest by far.
#[test]
fn the_election_timeout_experiment_sweeps_and_pools_per_range() {
    let dir = scratch("election-timeouts");
    let out = raftsim(&[
        "sweep",
        "election-timeouts",
        "--seeds",
        "0..4",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sweep: Value = serde_json::from_slice(&read(&dir, "sweep.json")).unwrap();
    let variants = sweep["variants"].as_array().unwrap();
    let labels: Vec<&str> = variants
        .iter()
        .map(|v| v["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "150-150", "150-151", "150-155", "150-175", "150-200", "150-300", "12-24", "25-50",
            "50-100", "100-200"
        ]
    );
    let p50 = |i: usize| variants[i]["pooled"]["settled_ms"]["p50"].as_f64().unwrap();
    // One crash per seed for 150-150, two for 150-151, three for the
    // others; every one of them settles within the run here.
    for (i, v) in variants.iter().enumerate() {
        let crashes = match i {
            0 => 4,
            1 => 8,
            _ => 12,
        };
        assert!(
            v["pooled"]["settled_ms"]["count"].as_u64().unwrap() >= crashes,
            "{v}"
        );
    }
    assert!(
        p50(0) > 10.0 * p50(5),
        "equal {} vs wide {}",
        p50(0),
        p50(5)
    );
    assert!(p50(6) < p50(9), "shorter timeouts elect faster");
    assert!(!read(&dir, "distributions.png").is_empty());
}

/// The thesis' election timer (no restart on adopting a higher term) is the
/// model's: raft-rs restarts it on every step down, so a raft-rs variant
/// asking for it is refused, naming the field.
#[test]
fn raft_rs_refuses_the_thesis_election_timer() {
    let mut s = base();
    s["raft"] = json!({"implementation": "raft-rs", "reset_timer_on_new_term": false});
    let err = refused("timer-raft-rs", s);
    assert!(
        err.contains("raft.reset_timer_on_new_term: false has no equivalent in raft-rs"),
        "{err}"
    );
}
