//! raft-rs variants through the real binary: the same seed gives the same
//! trace hashes in two processes (the library's own random generator never
//! decides anything), another seed other ones; what raft-rs cannot run is a
//! validation error naming the setting (exit 2).

mod common;

use common::{raftsim, scratch, text};
use serde_json::{json, Value};

fn write(name: &str, scenario: &Value) -> String {
    let dir = scratch(name);
    let path = dir.join("scenario.json");
    std::fs::write(&path, scenario.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

#[cfg(feature = "raft-rs")]
/// Model and raft-rs side by side on a follower isolated for 5 s, with
/// loss, crashes and storage latency.
fn mixed() -> Value {
    json!({
        "name": "raft-rs determinism", "nodes": 5, "duration_ms": 20000,
        "raft": {"election_timeout_ms": [150, 300], "heartbeat_ms": 50},
        "network": {"latency_ms": [1, 5], "loss": 0.01},
        "storage": {"persist_latency_ms": [1, 5]},
        "workload": {"proposals_per_sec": 20},
        "events": [
            {"at_ms": 3000, "isolate": "follower:2"}, {"at_ms": 8000, "heal": true},
            {"at_ms": 10000, "crash": "leader"}, {"at_ms": 13000, "restart": "crashed"}
        ],
        "variants": [
            {"label": "model"},
            {"label": "raft-rs", "raft": {"implementation": "raft-rs"}},
            {"label": "raft-rs prevote", "raft": {"implementation": "raft-rs", "pre_vote": true}},
            {"label": "raft-rs both", "raft": {"implementation": "raft-rs", "pre_vote": true, "check_quorum": true}}
        ]
    })
}

#[cfg(feature = "raft-rs")]
fn hashes(stdout: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(stdout).expect("--json prints only JSON");
    v["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_eq!(v["safety"]["ok"], true, "{v}");
            v["trace_hash"].as_str().unwrap().to_string()
        })
        .collect()
}

#[cfg(feature = "raft-rs")]
#[test]
fn raft_rs_runs_replay_bit_for_bit_across_processes() {
    let file = write("determinism", &mixed());
    let a = raftsim(&["run", &file, "--json", "--seed", "3"]);
    assert!(a.status.success(), "{}", text(&a.stderr));
    let b = raftsim(&["run", &file, "--json", "--seed", "3"]);
    assert_eq!(a.stdout, b.stdout);
    let c = raftsim(&["run", &file, "--json", "--seed", "4"]);
    let (ha, hc) = (hashes(&a.stdout), hashes(&c.stdout));
    assert_eq!(ha.len(), 4);
    assert!(ha.iter().zip(&hc).all(|(x, y)| x != y), "{ha:?} vs {hc:?}");
    // raft-rs decides differently from the model, PreVote differently from
    // plain raft-rs. (CheckQuorum on top changes nothing here: no leader
    // ever loses its quorum, and a lease has expired by the time anybody
    // times out.)
    assert!(ha[1..].iter().all(|h| *h != ha[0]), "{ha:?}");
    assert_ne!(ha[1], ha[2]);
}

#[cfg(feature = "raft-rs")]
#[test]
fn a_sweep_of_raft_rs_variants_reports_its_determinism_guard() {
    let file = write("guard", &mixed());
    let out = raftsim(&["sweep", &file, "--seeds", "0..3", "--jobs", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("raft-rs guard: 0 library-drawn election timeouts left in place"),
        "{}",
        text(&out.stderr)
    );
    // A model-only sweep has nothing to guard and says nothing about it.
    let model = raftsim(&["sweep", "leader-crash", "--seeds", "0..1"]);
    assert!(!text(&model.stderr).contains("raft-rs guard"));
}

/// (case, raft section of the one variant, the error expected on stderr)
#[cfg(feature = "raft-rs")]
fn refusals() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "dledger",
            json!({"implementation": "raft-rs", "election": "dledger"}),
            "variants[0].raft.election: \"dledger\" has no equivalent in raft-rs",
        ),
        (
            "lease",
            json!({"implementation": "raft-rs", "pre_vote": true, "leader_lease": true}),
            "variants[0].raft.leader_lease: true with check_quorum false has no equivalent in raft-rs",
        ),
        (
            "bugs",
            json!({"implementation": "raft-rs", "bugs": ["forget_vote_on_restart"]}),
            "variants[0].raft.bugs: planted bugs exist only in the model",
        ),
        (
            "heartbeat-ticks",
            json!({"implementation": "raft-rs", "heartbeat_ms": 55}),
            "variants[0].raft.heartbeat_ms: 55 ms is not a whole number of raft-rs ticks of 10 ms",
        ),
        (
            "timeout-ticks",
            json!({"implementation": "raft-rs", "tick_ms": 20, "election_timeout_ms": [150, 300]}),
            "variants[0].raft.election_timeout_ms: [150, 300] ms is not a whole number of raft-rs ticks of 20 ms",
        ),
        (
            "timeout-vs-heartbeat",
            json!({"implementation": "raft-rs", "heartbeat_ms": 150}),
            "variants[0].raft.heartbeat_ms: raft-rs needs the shortest election timeout (150 ms) longer than the heartbeat (150 ms)",
        ),
        (
            "tick-zero",
            json!({"implementation": "raft-rs", "tick_ms": 0}),
            "variants[0].raft.tick_ms: must be at least 1",
        ),
    ]
}

fn run_refused(name: &str, raft: Value) -> (Option<i32>, String) {
    let mut scenario = json!({"name": "t", "nodes": 3, "duration_ms": 1000});
    scenario["variants"] = json!([{"label": "r", "raft": raft}, {"label": "model"}]);
    let file = write(name, &scenario);
    let out = raftsim(&["run", &file]);
    let err = text(&out.stderr);
    assert!(
        err.contains(&file),
        "{name}: the error names the file: {err}"
    );
    assert!(out.stdout.is_empty(), "{name}");
    (out.status.code(), err)
}

#[cfg(feature = "raft-rs")]
#[test]
fn what_raft_rs_cannot_run_is_an_error_naming_the_setting() {
    for (name, raft, expected) in refusals() {
        let (code, err) = run_refused(name, raft);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(expected), "{name}: {err}");
    }
    // A setting the variant inherits is named where it was written.
    let mut scenario = json!({"name": "t", "nodes": 3, "duration_ms": 1000,
        "raft": {"election": "dledger"}});
    scenario["variants"] = json!([{"label": "r", "raft": {"implementation": "raft-rs"}}]);
    let file = write("inherited", &scenario);
    let out = raftsim(&["run", &file]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("raft.election: \"dledger\" has no equivalent in raft-rs")
            && err.contains("(variant \"r\" runs raft-rs)"),
        "{err}"
    );
    // leader_lease equal to check_quorum is what raft-rs does: accepted.
    let ok = json!({"implementation": "raft-rs", "check_quorum": true, "leader_lease": true});
    let mut scenario = json!({"name": "t", "nodes": 3, "duration_ms": 1000});
    scenario["variants"] = json!([{"label": "r", "raft": ok}]);
    let out = raftsim(&["run", &write("lease-ok", &scenario)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[cfg(not(feature = "raft-rs"))]
#[test]
fn without_the_feature_a_raft_rs_variant_is_refused_clearly() {
    let (code, err) = run_refused("no-feature", json!({"implementation": "raft-rs"}));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("variants[0].raft.implementation: \"raft-rs\" is not in this raftsim: it was built without the cargo feature `raft-rs`"),
        "{err}"
    );
}
