//! TiKV's raft-rs behind the node trait, through the real engine: the
//! scenarios below are written here (shaped like the bundled
//! isolate-rejoin, quorum-loss and chained) and run variant by variant.
//! Every run must be safe, and no timeout the library drew with its own
//! random generator may survive to a tick.
#![cfg(feature = "raft-rs")]

use std::io;

use sim_core::node::{NodeId, Role, Term};
use sim_core::raftrs::unreplaced_timeouts;
use sim_core::results::{run_variant, VariantResult};
use sim_core::scenario::{self, Scenario};
use sim_core::time::Instant;
use sim_core::trace::{TraceEvent, Tracer};

fn scenario(json: &str) -> Scenario {
    scenario::parse(json).unwrap_or_else(|e| panic!("{e}"))
}

fn run(scenario: &Scenario, label: &str, seed: u64) -> VariantResult {
    let result = run_variant(scenario, scenario.variant(label).unwrap(), seed, None);
    checked(label, seed, result)
}

fn checked(label: &str, seed: u64, result: VariantResult) -> VariantResult {
    assert!(
        result.safety.ok,
        "{label}, seed {seed}: {:?}",
        result.safety.violations
    );
    assert_eq!(result.limit_reached, None);
    assert_eq!(unreplaced_timeouts(), 0, "a library-drawn timeout survived");
    result
}

/// A 5-node cluster, one follower isolated from 10 s to 40 s.
const ISOLATE_REJOIN: &str = r#"{
  "name": "raft-rs isolate-rejoin", "nodes": 5, "duration_ms": 60000,
  "raft": {"implementation": "raft-rs", "election_timeout_ms": [150, 300], "heartbeat_ms": 50},
  "network": {"latency_ms": [1, 5]},
  "workload": {"proposals_per_sec": 20},
  "events": [{"at_ms": 10000, "isolate": "follower:3"}, {"at_ms": 40000, "heal": true}],
  "variants": [
    {"label": "raft-rs"},
    {"label": "raft-rs prevote", "raft": {"pre_vote": true}},
    {"label": "model", "raft": {"implementation": "model"}}
  ]
}"#;

#[test]
fn without_prevote_an_isolated_follower_inflates_terms_and_disrupts_on_rejoin() {
    let scenario = scenario(ISOLATE_REJOIN);
    for seed in [1, 2, 3] {
        let plain = run(&scenario, "raft-rs", seed);
        // 30 s of timeouts of 150-300 ms: a term about every 225 ms.
        assert!(
            plain.metrics.term_inflation >= 50,
            "seed {seed}: {:?}",
            plain.metrics.term_inflation
        );
        assert!(plain.metrics.disruptions >= 1, "seed {seed}");
        assert!(plain.metrics.proposals_committed >= 1000, "seed {seed}");

        let prevote = run(&scenario, "raft-rs prevote", seed);
        assert!(prevote.metrics.term_inflation <= 1, "seed {seed}");
        assert_eq!(prevote.metrics.disruptions, 0, "seed {seed}");
        assert!(prevote.metrics.pre_votes_started >= 50, "seed {seed}");
        assert!(prevote.metrics.proposals_committed >= 1000, "seed {seed}");
    }
}

/// The bundled quorum-loss events: from 10 s to 40 s one follower stays
/// linked to everybody, every other link is cut, the leader's included.
const QUORUM_LOSS: &str = r#"{
  "name": "raft-rs quorum-loss", "nodes": 5, "duration_ms": 60000,
  "raft": {"implementation": "raft-rs", "election_timeout_ms": [150, 300], "heartbeat_ms": 50},
  "network": {"latency_ms": [1, 5]},
  "workload": {"proposals_per_sec": 20},
  "events": [
    {"at_ms": 10000, "cut": [["leader", "follower:2"], ["leader", "follower:3"], ["leader", "follower:4"], ["follower:2", "follower:3"], ["follower:2", "follower:4"], ["follower:3", "follower:4"]]},
    {"at_ms": 40000, "heal": true}
  ],
  "variants": [
    {"label": "prevote", "raft": {"pre_vote": true}},
    {"label": "prevote+checkquorum", "raft": {"pre_vote": true, "check_quorum": true}}
  ]
}"#;

#[test]
fn quorum_loss_prevote_alone_is_stuck_and_checkquorum_recovers() {
    let scenario = scenario(QUORUM_LOSS);
    for seed in [1, 2, 3] {
        // The connected follower still hears the stranded leader, so it
        // never times out; the others cannot win a pre-vote without it.
        // Leaderless from the others' first timeout (at most 300 ms into
        // the cut) to the heal.
        let prevote = run(&scenario, "prevote", seed);
        assert!(
            prevote.metrics.leaderless_ms >= 29_500.0,
            "seed {seed}: {}",
            prevote.metrics.leaderless_ms
        );
        // CheckQuorum: the leader steps down within an election timeout or
        // two, the connected follower is elected.
        let both = run(&scenario, "prevote+checkquorum", seed);
        assert!(
            both.metrics.leaderless_ms <= 2_000.0,
            "seed {seed}: {}",
            both.metrics.leaderless_ms
        );
        assert!(both.metrics.leader_changes >= 1, "seed {seed}");
    }
}

/// Records every node's state changes.
#[derive(Default)]
struct States(Vec<(u64, NodeId, Term, Role)>);

impl Tracer for States {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        if let TraceEvent::State { node, status } = *event {
            self.0.push((at.as_us(), node, status.term, status.role));
        }
        Ok(())
    }
}

/// Three idle nodes, the link between the leader and one follower cut
/// from 10 s to 40 s.
const CHAINED: &str = r#"{
  "name": "raft-rs chained", "nodes": 3, "duration_ms": 60000,
  "raft": {"implementation": "raft-rs", "election_timeout_ms": [150, 300], "heartbeat_ms": 50},
  "network": {"latency_ms": [1, 5]},
  "workload": {"proposals_per_sec": 0},
  "events": [{"at_ms": 10000, "cut": [["leader", "follower:1"]]}, {"at_ms": 40000, "heal": true}],
  "variants": [{"label": "raft-rs"}]
}"#;

#[test]
fn chained_the_cut_off_leader_stays_leader_of_term_1_for_the_whole_cut() {
    let scenario = scenario(CHAINED);
    for seed in [1, 2, 3] {
        let mut states = States::default();
        let variant = scenario.variant("raft-rs").unwrap();
        let result = run_variant(&scenario, variant, seed, Some(&mut states));
        let result = checked("raft-rs", seed, result);
        let (_, leader, term, _) = *states
            .0
            .iter()
            .rfind(|s| s.0 < 10_000_000 && s.3 == Role::Leader)
            .expect("a leader before the cut");
        assert_eq!(term, 1, "seed {seed}");
        // Lower-term messages are ignored without PreVote or CheckQuorum:
        // nothing tells the old leader of the new term until the heal.
        let changes: Vec<_> = states
            .0
            .iter()
            .filter(|s| s.1 == leader && (10_000_000..40_000_000).contains(&s.0))
            .collect();
        assert!(changes.is_empty(), "seed {seed}: {changes:?}");
        // Meanwhile the cut-off follower was elected in a higher term.
        assert!(result.metrics.max_term >= 2, "seed {seed}");
        assert!(
            states
                .0
                .iter()
                .any(|s| s.1 != leader && s.3 == Role::Leader && s.0 > 10_000_000),
            "seed {seed}"
        );
    }
}

#[test]
fn same_seed_same_hash_and_another_seed_another_run() {
    let scenario = scenario(ISOLATE_REJOIN);
    let a = run(&scenario, "raft-rs prevote", 7);
    let b = run(&scenario, "raft-rs prevote", 7);
    let c = run(&scenario, "raft-rs prevote", 8);
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.metrics, b.metrics);
    assert_ne!(a.trace_hash, c.trace_hash);
}

#[test]
fn crashes_restart_from_the_durable_state_and_stay_safe() {
    let scenario = scenario(
        r#"{
      "name": "raft-rs crashes", "nodes": 5, "duration_ms": 30000,
      "raft": {"implementation": "raft-rs", "pre_vote": true, "check_quorum": true},
      "network": {"latency_ms": [1, 5], "loss": 0.02},
      "storage": {"persist_latency_ms": [1, 10]},
      "workload": {"proposals_per_sec": 50},
      "events": [
        {"at_ms": 5000, "crash": "leader"}, {"at_ms": 8000, "restart": "crashed"},
        {"at_ms": 12000, "crash": "follower:1"}, {"at_ms": 12000, "crash": "leader"},
        {"at_ms": 15000, "restart": "crashed"}, {"at_ms": 15500, "restart": "crashed"}
      ]
    }"#,
    );
    for seed in 1..=5 {
        let result = run(&scenario, "default", seed);
        assert!(result.metrics.proposals_committed >= 1000, "seed {seed}");
        assert!(result.metrics.leader_changes >= 2, "seed {seed}");
    }
}

/// The bundled general chaos scenario, its first two virtual minutes (the
/// length it had when these seeds were found).
fn bundled_chaos() -> Scenario {
    let path = format!("{}/../scenarios/chaos.json", env!("CARGO_MANIFEST_DIR"));
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the bundled chaos"))
            .expect("JSON");
    file["duration_ms"] = serde_json::json!(120_000);
    scenario(&file.to_string())
}

/// The general chaos found it (seed 13, raft-rs with PreVote): raft-rs
/// hands out committed entries only once they are persisted, and the
/// adapter compacted up to the commit index, past entries the library had
/// not applied yet; it then aborted reading them (`Store(Compacted)`).
/// Compaction now counts from the applied index.
#[test]
fn compaction_never_takes_entries_the_library_has_not_applied() {
    let chaos = bundled_chaos();
    let result = run(&chaos, "raft-rs prevote", 13);
    assert!(result.metrics.proposals_committed > 1_000);
}

/// The general chaos again (seed 11, raft-rs with PreVote): a snapshot
/// from the leader became durable with no `Ready` after it, so the
/// library's applied index stayed below its storage's first entry and its
/// next campaign aborted reading the entries after it (`Compacted`).
#[test]
fn a_snapshot_is_applied_once_durable_even_without_a_ready() {
    let chaos = bundled_chaos();
    let result = run(&chaos, "raft-rs prevote", 11);
    assert!(result.metrics.proposals_committed > 1_000);
}

/// The general chaos (seeds 554 and 573, raft-rs with CheckQuorum): a
/// leader restarted with its commit index past its snapshot was asked for
/// a snapshot before it applied anything new, and answered with the
/// compacted snapshot's index and the configuration applied at its commit
/// index, a later one. The follower that installed it read the removal
/// after that index from the wrong configuration (`log_matching`). The
/// restarted storage's snapshot is now taken at its applied point.
/// It runs the chaos whose episodes do not wait (the bundled one before
/// `episodes_wait`, whose schedule the later changes left alone): with the
/// fix undone, seed 554 there still breaks log matching at 40.7 s
/// (checked after the split vote's rounds, which drew new histories for
/// the waiting chaos, where seeds 0..400 no longer meet it).
#[test]
fn a_restarted_leader_sends_a_snapshot_whose_configuration_is_its_own() {
    let path = format!("{}/../scenarios/chaos.json", env!("CARGO_MANIFEST_DIR"));
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the bundled chaos"))
            .expect("JSON");
    file["chaos"]["episodes_wait"] = serde_json::json!(false);
    file["duration_ms"] = serde_json::json!(120_000);
    let chaos = scenario(&file.to_string());
    let result = run(&chaos, "raft-rs checkquorum", 554);
    assert!(result.metrics.proposals_committed > 1_000);
}
