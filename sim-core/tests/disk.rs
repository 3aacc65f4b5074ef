//! A stalled disk (`stall_disk`) and when a leader sends what it has not
//! written yet (`raft.leader_writes_first`), through the real engine: the
//! two together are hashicorp/raft#503, where a leader's hung disk left
//! the cluster without commits and without an election.

use sim_core::results::{run_variant, VariantResult};
use sim_core::scenario::{self, Scenario};

/// Three nodes; the leader's disk stalls from 10 s to 20 s.
const STALL: &str = r#"{
  "name": "leader disk stall", "nodes": 3, "duration_ms": 30000,
  "raft": {"election_timeout_ms": [1000, 2000], "heartbeat_ms": 100},
  "network": {"latency_ms": [1, 2]},
  "storage": {"persist_latency_ms": [0.5, 1]},
  "workload": {"proposals_per_sec": 20},
  "events": [{"at_ms": 10000, "stall_disk": {"node": "leader", "for_ms": 10000}}],
  "variants": [
    {"label": "parallel"},
    {"label": "writes first", "raft": {"leader_writes_first": true}},
    {"label": "dledger", "raft": {"election": "dledger"}}
  ]
}"#;

fn run(scenario: &Scenario, label: &str, seed: u64) -> VariantResult {
    let result = run_variant(scenario, scenario.variant(label).unwrap(), seed, None);
    assert!(result.safety.ok, "{label}: {:?}", result.safety.violations);
    assert_eq!(result.limit_reached, None);
    result
}

fn stall() -> Scenario {
    scenario::parse(STALL).unwrap_or_else(|e| panic!("{e}"))
}

/// A leader that writes first sends no entry its disk does not hold, while
/// its heartbeats go on: nothing commits for the whole stall, and nobody
/// stands.
#[test]
fn a_leader_that_writes_first_stops_the_cluster_while_its_disk_stalls() {
    let scenario = stall();
    for seed in [1, 2, 3] {
        let result = run(&scenario, "writes first", seed);
        let m = &result.metrics;
        assert_eq!(m.leader_changes, 0, "seed {seed}: no election");
        assert!(
            m.unavailable_ms >= 10_000.0,
            "seed {seed}: unavailable for the stall, {} ms",
            m.unavailable_ms
        );
        // Everything proposed during the stall commits once it ends.
        assert!(m.proposals_committed >= 590, "seed {seed}");
    }
}

/// The thesis' leader writes in parallel with its followers: two followers
/// of three commit without the leader's disk, and the stall costs nothing.
#[test]
fn a_leader_that_writes_in_parallel_commits_through_its_disk_stall() {
    let scenario = stall();
    for seed in [1, 2, 3] {
        let m = run(&scenario, "parallel", seed).metrics;
        assert_eq!(m.leader_changes, 0, "seed {seed}");
        assert!(
            m.unavailable_ms < 3_000.0,
            "seed {seed}: {}",
            m.unavailable_ms
        );
    }
}

/// DLedger's leader sends every message after its own write, heartbeats
/// too: its followers stop hearing it and elect another leader.
#[test]
fn a_dledger_leader_whose_disk_stalls_is_replaced() {
    let scenario = stall();
    for seed in [1, 2, 3] {
        let m = run(&scenario, "dledger", seed).metrics;
        assert!(m.leader_changes >= 1, "seed {seed}");
        assert!(
            m.unavailable_ms < 10_000.0,
            "seed {seed}: {}",
            m.unavailable_ms
        );
    }
}

/// A stall outlives a crash (the disk is the machine's): a node that
/// restarts during it writes nothing durable until it ends, so its term
/// and vote stay what they were; the run stays safe.
#[test]
fn a_stalled_disk_stays_stalled_across_a_restart() {
    let json = STALL.replace(
        r#""events": [{"at_ms": 10000, "stall_disk": {"node": "leader", "for_ms": 10000}}]"#,
        r#""events": [
          {"at_ms": 10000, "stall_disk": {"node": 1, "for_ms": 10000}},
          {"at_ms": 11000, "crash": 1}, {"at_ms": 12000, "restart": 1}
        ]"#,
    );
    let scenario = scenario::parse(&json).unwrap_or_else(|e| panic!("{e}"));
    for label in ["parallel", "writes first", "dledger"] {
        run(&scenario, label, 1);
    }
}

#[test]
fn a_stall_and_writes_first_are_refused_where_they_mean_nothing() {
    let refused = |json: &str| match scenario::parse(json) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    };
    let zero = STALL.replace(r#""for_ms": 10000"#, r#""for_ms": 0"#);
    assert!(refused(&zero).contains("events[0].stall_disk.for_ms"));
    let long = STALL.replace(r#""for_ms": 10000"#, r#""for_ms": 86400001"#);
    assert!(refused(&long).contains("one day"));
    let dledger = STALL.replace(
        r#"{"label": "dledger", "raft": {"election": "dledger"}}"#,
        r#"{"label": "dledger", "raft": {"election": "dledger", "leader_writes_first": true}}"#,
    );
    let err = refused(&dledger);
    assert!(
        err.contains("variants[2].raft.leader_writes_first") && err.contains("DLedger"),
        "{err}"
    );
    let raft_rs = STALL.replace(
        r#"{"label": "parallel"}"#,
        r#"{"label": "parallel", "raft": {"implementation": "raft-rs", "tick_ms": 100, "leader_writes_first": true}}"#,
    );
    let err = refused(&raft_rs);
    assert!(
        err.contains("variants[0].raft.leader_writes_first") && err.contains("raft-rs"),
        "{err}"
    );
}

/// The reporter's WAL fsync histogram of etcd-io/etcd#7312, as
/// `persist_latency_buckets` (scenarios/slow-fsync-elections.json).
const BLOCKING: &str = r#"{
  "name": "blocking", "nodes": 3, "duration_ms": 3600000,
  "raft": {"election_timeout_ms": [1000, 2000], "heartbeat_ms": 100},
  "network": {"latency_ms": [0.2, 1]},
  "storage": {"blocking": true, "persist_latency_buckets": [
     {"ms": [2, 4], "weight": 70}, {"ms": [4, 8], "weight": 29}, {"ms": [1500, 3000], "weight": 1}]},
  "workload": {"proposals_per_sec": 2},
  "variants": [
    {"label": "blocking"},
    {"label": "async", "storage": {"blocking": false}}
  ]
}"#;

/// A node blocked on a write longer than its followers' election timeout
/// sends no heartbeat: with one write in a hundred taking 1.5-3 s, the
/// blocking leader is deposed again and again within the hour, and the
/// same disk without blocking costs no leader at all.
#[test]
fn a_node_blocked_on_a_slow_write_sends_no_heartbeat_and_is_deposed() {
    let scenario = scenario::parse(BLOCKING).unwrap_or_else(|e| panic!("{e}"));
    let blocking = run(&scenario, "blocking", 1).metrics;
    assert!(
        blocking.leader_changes >= 10,
        "{} leader changes",
        blocking.leader_changes
    );
    let not = run(&scenario, "async", 1).metrics;
    assert_eq!(not.leader_changes, 0);
}

/// What reaches a blocked node is handled once its write is durable, in
/// order: with every write 50 ms and blocking, nothing is lost or left
/// behind, only delayed.
#[test]
fn a_blocked_node_handles_what_queued_up_once_its_write_is_durable() {
    let json = BLOCKING.replace(
        r#"[
     {"ms": [2, 4], "weight": 70}, {"ms": [4, 8], "weight": 29}, {"ms": [1500, 3000], "weight": 1}]"#,
        r#"[{"ms": [50, 50], "weight": 1}]"#,
    );
    let scenario = scenario::parse(&json).unwrap_or_else(|e| panic!("{e}"));
    let m = run(&scenario, "blocking", 1).metrics;
    assert_eq!(m.leader_changes, 0);
    assert!(m.proposals_committed >= 7_190, "{}", m.proposals_committed);
}

#[test]
fn write_time_buckets_are_checked() {
    let refused = |json: &str| match scenario::parse(json) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    };
    let both = BLOCKING.replace(
        r#""blocking": true,"#,
        r#""blocking": true, "persist_latency_ms": [1, 2],"#,
    );
    assert!(refused(&both).contains("storage.persist_latency_buckets: give persist_latency_ms or persist_latency_buckets, not both"));
    let zero = BLOCKING
        .replace(r#""weight": 70"#, r#""weight": 0"#)
        .replace(r#""weight": 29"#, r#""weight": 0"#)
        .replace(r#""weight": 1}"#, r#""weight": 0}"#);
    assert!(refused(&zero).contains("every weight is 0"));
    let long = BLOCKING.replace("[1500, 3000]", "[1500, 86400001]");
    assert!(refused(&long).contains("storage.persist_latency_buckets[2].ms"));
    let heavy = BLOCKING.replace(r#""weight": 70"#, r#""weight": 1000000000000001"#);
    assert!(refused(&heavy).contains("storage.persist_latency_buckets[0].weight"));
}

/// A pause over a blocked node: what queued during both is handled once
/// the node is resumed and its write is durable, nothing lost.
#[test]
fn a_pause_over_a_blocked_node_loses_nothing() {
    let json = BLOCKING
        .replace(
            r#"[
     {"ms": [2, 4], "weight": 70}, {"ms": [4, 8], "weight": 29}, {"ms": [1500, 3000], "weight": 1}]"#,
            r#"[{"ms": [100, 150], "weight": 1}]"#,
        )
        .replace(
            r#""workload": {"proposals_per_sec": 2},"#,
            r#""workload": {"proposals_per_sec": 2},
  "events": [{"at_ms": 10000, "pause": "leader"}, {"at_ms": 10300, "resume": "leader"},
             {"at_ms": 20000, "pause": "follower:1"}, {"at_ms": 20250, "resume": "follower:1"}],"#,
        );
    let scenario = scenario::parse(&json).unwrap_or_else(|e| panic!("{e}"));
    let m = run(&scenario, "blocking", 1).metrics;
    assert!(m.proposals_committed >= 7_190, "{}", m.proposals_committed);
}
