//! The metrics as `raftsim run` reports them: a dead cluster's metrics are
//! null where there are no samples, an expectation on them fails with "no
//! samples" (in the JSON and in the printed table), and an isolated leader
//! costs at least an election timeout.

mod common;

use common::{raftsim, scratch, text};
use serde_json::Value;

const DEAD: &str = r#"{
  "name": "dead", "nodes": 5, "duration_ms": 10000,
  "network": { "loss": 1.0 },
  "workload": { "proposals_per_sec": 20 },
  "variants": [ { "label": "raft" } ],
  "expect": [
    { "metric": "commit_latency_ms.p99", "max": 1000 },
    { "metric": "unavailable_ms", "max": 1000 },
    { "metric": "proposals_uncommitted", "min": 200 }
  ]
}"#;

#[test]
fn a_dead_cluster_fails_its_expectations_with_no_samples() {
    let dir = scratch("dead");
    let file = dir.join("dead.json");
    std::fs::write(&file, DEAD).unwrap();
    let file = file.to_string_lossy().into_owned();
    let out = raftsim(&["run", &file, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let results: Value = serde_json::from_slice(&out.stdout).expect("results JSON");
    let m = &results["variants"][0]["metrics"];
    assert_eq!(m["leaderless_ms"], 10_000.0);
    assert!(m["first_leader_ms"].is_null(), "{m}");
    assert_eq!(m["proposals_uncommitted"], 200);
    for key in ["p10", "p50", "p90", "p99", "max"] {
        assert!(m["commit_latency_ms"][key].is_null(), "{key}: {m}");
        assert!(m["failover_ms"][key].is_null(), "{key}: {m}");
    }
    let e = &results["expectations"];
    assert_eq!(e[0]["metric"], "commit_latency_ms.p99");
    assert!(e[0]["actual"].is_null());
    assert_eq!(
        (&e[0]["ok"], &e[0]["reason"]),
        (&false.into(), &"no samples".into())
    );
    assert_eq!(e[1]["ok"], false, "unavailable the whole run: {}", e[1]);
    assert_eq!(e[2]["ok"], true);
    assert!(e[2].get("reason").is_none());

    let out = raftsim(&["run", &file]);
    assert_eq!(out.status.code(), Some(1));
    let table = text(&out.stdout);
    assert!(
        table.contains("✗ raft: commit_latency_ms.p99 = — (no samples), expected <= 1000"),
        "{table}"
    );
    let latency = table
        .lines()
        .find(|l| l.starts_with("commit latency p99"))
        .expect("a latency row");
    assert!(latency.trim_end().ends_with('—'), "{latency}");
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn an_isolated_leader_costs_at_least_an_election_timeout_less_a_heartbeat() {
    let out = raftsim(&["run", "leader-isolated", "--variant", "raft", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results: Value = serde_json::from_slice(&out.stdout).expect("results JSON");
    let raft = &results["variants"][0];
    let m = &raft["metrics"];
    // election_timeout_ms [150, 300], heartbeat 50 ms: a follower's timer
    // was reset at most one heartbeat before the cut.
    let failover = m["failover_ms"]["max"].as_f64().expect("a failover");
    assert!(failover >= 100.0, "{failover}");
    assert!(m["leaderless_ms"].as_f64().unwrap() >= 150.0, "{m}");
    let failovers = raft["series"]["failovers"].as_array().expect("failovers");
    assert_eq!(failovers.len(), 1, "{failovers:?}");
    let f = &failovers[0];
    assert_eq!(
        f["lost_at_ms"], 10_000.0,
        "lost at the cut, not when noticed"
    );
    assert_eq!(f["fault"], 0);
    assert_eq!(f["terms"], 1);
    assert!(f["elected_at_ms"].as_f64() <= f["effective_at_ms"].as_f64());
}
