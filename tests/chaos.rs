//! The chaos section's new fields through the real binary: documented in
//! `raftsim schema`, checked with the JSON path of each mistake (exit 2),
//! and a short sweep of the bundled chaos-bugs scenario with a bug planted
//! that finds it (exit 1, failing seeds with their replay command).

mod common;

use common::{raftsim, scratch, text};
use serde_json::{json, Value};

const NEW_FIELDS: [&str; 10] = [
    "leader_crash_per_min",
    "stale_rejoin_per_min",
    "split_vote_per_min",
    "stale_leader_per_min",
    "power_failure_per_min",
    "restart_storm_per_min",
    "swarm",
    "swarm_off",
    "swarm_scale",
    "swarm_period_ms",
];

#[test]
fn the_schema_documents_every_chaos_field() {
    let out = raftsim(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&out.stdout).expect("JSON schema");
    let chaos = &schema["definitions"]["ChaosSpec"]["properties"];
    let chaos = if chaos.is_object() {
        chaos
    } else {
        &schema["$defs"]["ChaosSpec"]["properties"]
    };
    for field in NEW_FIELDS {
        let description = chaos[field]["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{field}: {chaos}");
    }
}

fn run_bad(name: &str, chaos: Value, expected: &str) {
    let dir = scratch(name);
    let file = dir.join("bad.json");
    let scenario = json!({"name": "t", "nodes": 5, "duration_ms": 10000, "chaos": chaos});
    std::fs::write(&file, scenario.to_string()).expect("write");
    let out = raftsim(&["run", file.to_str().expect("utf-8 path")]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(err.contains(expected), "{name}: {err}");
}

#[test]
fn each_new_chaos_field_is_bounded() {
    run_bad(
        "targeted-rate",
        json!({"split_vote_per_min": 61}),
        "chaos.split_vote_per_min: 61 is out of range",
    );
    run_bad(
        "negative-rate",
        json!({"power_failure_per_min": -1}),
        "chaos.power_failure_per_min: -1 is out of range",
    );
    run_bad(
        "swarm-off",
        json!({"swarm": true, "swarm_off": 1.5}),
        "chaos.swarm_off: 1.5 is not a probability",
    );
    run_bad(
        "swarm-scale-empty",
        json!({"swarm": true, "swarm_scale": [2, 1]}),
        "chaos.swarm_scale: empty range [2, 1]",
    );
    run_bad(
        "swarm-scale-large",
        json!({"swarm": true, "swarm_scale": [1, 11]}),
        "chaos.swarm_scale: [1, 11] is out of range",
    );
}

#[test]
fn a_short_sweep_of_chaos_bugs_finds_a_planted_bug() {
    let dir = scratch("sweep-bug");
    let text_in = include_str!("../scenarios/chaos-bugs.json");
    let mut scenario: Value = serde_json::from_str(text_in).expect("JSON");
    scenario["duration_ms"] = json!(20_000);
    scenario["variants"] =
        json!([{"label": "raft", "raft": {"bugs": ["grant_vote_without_log_check"]}}]);
    let file = dir.join("bug.json");
    std::fs::write(&file, scenario.to_string()).expect("write");
    let out = raftsim(&[
        "sweep",
        file.to_str().expect("utf-8 path"),
        "--seeds",
        "0..4",
        "--jobs",
        "1",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let sweep: Value = serde_json::from_slice(&out.stdout).expect("sweep JSON");
    let failed = sweep["failed_seeds"].as_u64().expect("failed_seeds");
    assert!(failed >= 3, "{sweep}");
}
