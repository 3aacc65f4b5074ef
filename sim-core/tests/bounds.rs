//! Bounded input and bounded runs (docs/SCENARIOS.md "Limits"): every
//! numeric field refused out of range with its JSON path, every bound shown
//! in the schema, and the run limits stopping runaway runs through the real
//! engine.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sim_core::cluster::ClusterConfig;
use sim_core::results::run_variant;
use sim_core::run::run;
use sim_core::scenario::{json_schema, parse};

fn base() -> Value {
    json!({
        "name": "bounds",
        "nodes": 5,
        "duration_ms": 2000,
        "raft": {"dledger": {}},
        "network": {},
        "workload": {"proposals_per_sec": 10},
        "storage": {},
        "clock": {},
        "chaos": {},
        "events": [
            {"at_ms": 100, "crash": 1, "repeat": {"every_ms": 10, "times": 2}},
            {"at_ms": 200, "set_clock": {"node": 1, "drift_ppm": 10}},
            {"at_ms": 300, "set_link": {"between": [1, 2], "loss": 0.5}},
            {"at_ms": 400, "set_network": {"loss": 0.1}},
            {"at_ms": 500, "stall_disk": {"node": 2, "for_ms": 50}},
        ],
        "variants": [{"label": "a", "raft": {}, "workload": {}}],
    })
}

/// Sets the field at a JSON pointer of the base scenario (its parent
/// must exist).
fn with(pointer: &str, value: Value) -> Value {
    let mut file = base();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    match file.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key.to_string(), value);
        }
        Some(Value::Array(items)) => items[key.parse::<usize>().expect("an index")] = value,
        _ => panic!("{pointer}: no parent"),
    }
    file
}

/// Every numeric field, one out-of-range value, the path the error must
/// name. The issue's overflowing values come first.
const CASES: &[(&str, &str, &str)] = &[
    (
        "/raft/heartbeat_ms",
        "2305843009213693952",
        "raft.heartbeat_ms",
    ),
    (
        "/raft/heartbeat_ms",
        "18446744073709552",
        "raft.heartbeat_ms",
    ),
    ("/raft/heartbeat_ms", "604800001", "raft.heartbeat_ms"),
    (
        "/raft/dledger/heartbeat_ms",
        "604800001",
        "raft.dledger.heartbeat_ms",
    ),
    (
        "/raft/dledger/rpc_timeout_ms",
        "604800001",
        "raft.dledger.rpc_timeout_ms",
    ),
    (
        "/raft/dledger/max_heartbeat_leak",
        "1001",
        "raft.dledger.max_heartbeat_leak",
    ),
    (
        "/raft/dledger/max_heartbeat_leak",
        "0",
        "raft.dledger.max_heartbeat_leak",
    ),
    (
        "/raft/dledger/vote_interval_ms",
        "[0, 604800001]",
        "raft.dledger.vote_interval_ms",
    ),
    (
        "/raft/dledger/vote_wait_ms",
        "[0, 10]",
        "raft.dledger.vote_wait_ms",
    ),
    ("/workload/retry_ms", "604800001", "workload.retry_ms"),
    ("/workload/retry_ms", "0", "workload.retry_ms"),
    (
        "/workload/proposals_per_sec",
        "100001",
        "workload.proposals_per_sec",
    ),
    ("/raft/tick_ms", "1001", "raft.tick_ms"),
    (
        "/raft/election_timeout_ms",
        "[1, 604800001]",
        "raft.election_timeout_ms",
    ),
    ("/nodes", "65", "nodes"),
    ("/duration_ms", "604800001", "duration_ms"),
    ("/seed", "18446744073709551616", "seed"),
    ("/max_events", "1000000000001", "max_events"),
    ("/max_events_per_sec", "0", "max_events_per_sec"),
    ("/max_events_per_sec", "1000000000001", "max_events_per_sec"),
    (
        "/network/latency_ms",
        "[0, 604800001]",
        "network.latency_ms",
    ),
    ("/network/loss", "1.5", "network.loss"),
    ("/network/duplicate", "-0.1", "network.duplicate"),
    (
        "/storage/persist_latency_ms",
        "[0, 604800001]",
        "storage.persist_latency_ms",
    ),
    ("/clock/drift_ppm", "10001", "clock.drift_ppm"),
    (
        "/clock/timer_jitter_ms",
        "[0, 1001]",
        "clock.timer_jitter_ms",
    ),
    ("/chaos/crash_per_min", "61", "chaos.crash_per_min"),
    (
        "/chaos/restart_storm_per_min",
        "61",
        "chaos.restart_storm_per_min",
    ),
    ("/chaos/duration_ms", "[1, 604800001]", "chaos.duration_ms"),
    ("/chaos/spike_loss", "[0.5, 2]", "chaos.spike_loss[1]"),
    ("/chaos/swarm_off", "2", "chaos.swarm_off"),
    ("/chaos/swarm_scale", "[0, 11]", "chaos.swarm_scale"),
    ("/chaos/end_ms", "2001", "chaos.end_ms"),
    ("/events/0/at_ms", "1000000000001", "events[0].at_ms"),
    ("/events/0/repeat/times", "100001", "events[0].repeat.times"),
    (
        "/events/0/repeat/every_ms",
        "604800001",
        "events[0].repeat.every_ms",
    ),
    (
        "/events/1/set_clock/drift_ppm",
        "-10001",
        "events[1].set_clock.drift_ppm",
    ),
    ("/events/1/set_clock/node", "65", "events[1].set_clock.node"),
    ("/events/2/set_link/loss", "1.01", "events[2].set_link.loss"),
    (
        "/events/4/stall_disk/for_ms",
        "86400001",
        "events[4].stall_disk.for_ms",
    ),
    (
        "/events/4/stall_disk/node",
        "65",
        "events[4].stall_disk.node",
    ),
    (
        "/storage/persist_latency_buckets",
        r#"[{"ms": [0, 86400001], "weight": 1}]"#,
        "storage.persist_latency_buckets[0].ms",
    ),
    (
        "/events/3/set_network/loss",
        "7",
        "events[3].set_network.loss",
    ),
    (
        "/variants/0/raft",
        r#"{"heartbeat_ms": 604800001}"#,
        "variants[0].raft.heartbeat_ms",
    ),
    (
        "/variants/0/workload",
        r#"{"retry_ms": 1e15}"#,
        "variants[0].workload.retry_ms",
    ),
];

#[test]
fn every_numeric_field_out_of_range_is_refused_with_its_path() {
    assert!(parse(&base().to_string()).is_ok(), "the base is valid");
    for &(pointer, value, path) in CASES {
        let value: Value = serde_json::from_str(value).unwrap_or_else(|_| {
            // Beyond u64 (the seed): splice the literal into the text.
            Value::String(format!("@@{value}"))
        });
        let mut text = with(pointer, value.clone()).to_string();
        if let Value::String(raw) = &value {
            if let Some(literal) = raw.strip_prefix("@@") {
                text = text.replace(&format!("\"{raw}\""), literal);
            }
        }
        let errors = match parse(&text) {
            Ok(_) => panic!("{pointer} = {value} was accepted"),
            Err(errors) => errors,
        };
        assert!(
            errors.0.iter().any(|e| e.path == path),
            "{pointer} = {value}: no error names {path}: {errors}"
        );
    }
}

/// Every number in the schema, except the seed and an expectation's
/// bounds (any value is meaningful), has a maximum.
#[test]
fn the_schema_shows_a_maximum_for_every_number() {
    fn walk(schema: &Value, path: &str, missing: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                let numeric = matches!(
                    map.get("type").and_then(Value::as_str),
                    Some("integer" | "number")
                );
                let free = ["seed", "min", "max"]
                    .iter()
                    .any(|f| path.ends_with(&format!("/properties/{f}")));
                if numeric && !map.contains_key("maximum") && !free {
                    missing.push(path.to_string());
                }
                for (key, value) in map {
                    walk(value, &format!("{path}/{key}"), missing);
                }
            }
            Value::Array(items) => {
                for (i, value) in items.iter().enumerate() {
                    walk(value, &format!("{path}/{i}"), missing);
                }
            }
            _ => {}
        }
    }
    let mut missing = Vec::new();
    walk(&json_schema(), "", &mut missing);
    assert!(
        missing.is_empty(),
        "numbers without a maximum: {missing:#?}"
    );
}

/// The issue's runaway: a resend interval of 0 (what an overflowing
/// `retry_ms` wrapped to) made the client's retry loop spin at one
/// instant, ignoring `max_events`. The loop now honours the limit.
#[test]
fn a_retry_loop_at_one_instant_stops_at_the_event_limit() {
    let mut cfg = ClusterConfig::new(3, 1, 10_000_000);
    cfg.workload.proposals_per_sec = 100.0;
    cfg.workload.retry_us = 0;
    cfg.max_events = 1_000;
    let started = Instant::now();
    let output = run(cfg);
    assert!(started.elapsed() < Duration::from_secs(20));
    let why = output.limit_reached.expect("cut short");
    assert!(why.contains("event limit of 1000 events"), "{why}");
}

/// The same runaway with the default total limit: the limit on events in
/// one second of virtual time stops it.
#[test]
fn a_run_stalled_at_one_instant_stops_at_the_per_second_limit() {
    let mut cfg = ClusterConfig::new(3, 1, 10_000_000);
    cfg.workload.proposals_per_sec = 100.0;
    cfg.workload.retry_us = 0;
    cfg.max_events_per_sec = 20_000;
    let output = run(cfg);
    let why = output.limit_reached.expect("cut short");
    assert!(why.contains("20000 events in one second"), "{why}");
    assert!(
        output.final_state.at_us < 1_000_000,
        "stopped in the first second"
    );
}

/// The limit on queued events stops a run the moment its queue holds more
/// than the limit (a 5-node cluster under load queues a few dozen), and
/// the same run under the default limit goes to its end.
#[test]
fn the_event_queue_has_a_limit() {
    let mut cfg = ClusterConfig::new(5, 1, 10_000_000);
    cfg.workload.proposals_per_sec = 200.0;
    let whole = run(cfg.clone());
    assert_eq!(whole.limit_reached, None);
    assert_eq!(whole.final_state.at_us, 10_000_000);
    cfg.max_queued_events = 16;
    let output = run(cfg);
    let why = output.limit_reached.expect("cut short");
    assert!(
        why.contains("events are queued, more than the limit of 16"),
        "{why}"
    );
    assert!(output.final_state.at_us < 10_000_000, "stopped early");
    assert!(output.violations.is_empty());
}

/// A valid but dense scenario (the most proposals a file may ask for)
/// stops at the scenario's own per-second limit, and a normal second of
/// the same cluster stays under it.
#[test]
fn a_dense_scenario_stops_at_its_per_second_limit() {
    let mut file = json!({
        "name": "dense", "nodes": 5, "duration_ms": 3000,
        "workload": {"proposals_per_sec": 100000},
        "max_events_per_sec": 50000,
    });
    let scenario = parse(&file.to_string()).expect("valid");
    let result = run_variant(&scenario, &scenario.variants()[0], 1, None);
    let why = result.limit_reached.expect("cut short");
    assert!(why.contains("max_events_per_sec"), "{why}");
    file["workload"]["proposals_per_sec"] = json!(20);
    let scenario = parse(&file.to_string()).expect("valid");
    let result = run_variant(&scenario, &scenario.variants()[0], 1, None);
    assert_eq!(result.limit_reached, None);
}

/// A cluster that never elects a leader (every message lost) while the
/// client proposes at the highest rate: the client's queue reaches its
/// limit and the run stops instead of growing without bound.
#[test]
fn the_client_queue_has_a_limit() {
    let file = json!({
        "name": "no-leader", "nodes": 3, "duration_ms": 20000,
        "network": {"loss": 1.0},
        "workload": {"proposals_per_sec": 100000},
    });
    let scenario = parse(&file.to_string()).expect("valid");
    let result = run_variant(&scenario, &scenario.variants()[0], 1, None);
    let why = result.limit_reached.expect("cut short");
    assert!(why.contains("uncommitted proposals"), "{why}");
}

/// Client sessions (Raft thesis §6.3): a retry is the same request, so a
/// client resending every millisecond on a network whose round trip is
/// 26–50 ms does not grow the leader's log beyond one entry per proposal
/// (it grew to 9.9 million entries in 16 virtual seconds, then aborted).
#[test]
fn a_retry_storm_appends_each_proposal_once() {
    let mut variants = vec![
        json!({"label": "model"}),
        json!({"label": "dledger", "raft": {"election": "dledger"}}),
    ];
    if sim_core::node::Implementation::RaftRs.available() {
        variants.push(json!({"label": "raft-rs", "raft": {"implementation": "raft-rs"}}));
    }
    let file = json!({
        "name": "retry-storm", "nodes": 5, "duration_ms": 3000,
        "network": {"latency_ms": [13, 25]},
        "workload": {"proposals_per_sec": 94, "retry_ms": 1},
        "variants": variants,
    });
    let scenario = parse(&file.to_string()).expect("valid");
    for variant in scenario.variants() {
        let output = run(scenario.cluster_config(variant, 1));
        let m = &output.metrics;
        assert!(
            m.proposals_committed + 5 >= m.proposals_submitted,
            "{}",
            variant.label
        );
        // Every entry is a proposal or one leader's no-op.
        let longest = output
            .final_state
            .nodes
            .iter()
            .map(|n| n.status.last_index)
            .max();
        assert!(
            longest <= Some(m.proposals_submitted + m.leader_terms + 1),
            "{}: {longest:?} entries for {} proposals",
            variant.label,
            m.proposals_submitted
        );
    }
}
