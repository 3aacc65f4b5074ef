//! Election policies compared on the bundled scenarios and on hand-made
//! topologies: DLedger's isolation behaviour and its same-term voting, and
//! etcd's PreVote without the leader lease.

use sim_core::cluster::ClusterConfig;
use sim_core::faults::{Fault, NodeRef, ScriptEvent};
use sim_core::node::{DLedgerTiming, ElectionKind, NodeId};
use sim_core::results::{run_variant, VariantResult};
use sim_core::run::run;
use sim_core::scenario::{self, Scenario};
use sim_core::time::Instant;

fn bundled(name: &str) -> Scenario {
    let path = format!("{}/../scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn run_label(scenario: &Scenario, label: &str, seed: u64) -> VariantResult {
    run_variant(scenario, scenario.variant(label).unwrap(), seed, None)
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn an_isolated_dledger_node_keeps_its_term_and_rejoins_quietly() {
    let scenario = bundled("isolate-rejoin");
    for seed in 1..=5 {
        let result = run_label(&scenario, "dledger", seed);
        assert!(
            result.safety.ok,
            "seed {seed}: {:?}",
            result.safety.violations
        );
        let isolation = &result.series.faults[0];
        let isolated = isolation.nodes[0];
        let (from_ms, until_ms) = (isolation.at_ms, isolation.until_ms.unwrap());
        let changes_while_cut: Vec<_> = result
            .series
            .terms
            .iter()
            .filter(|p| p.node == isolated && p.at_ms > from_ms && p.at_ms <= until_ms)
            .collect();
        assert!(
            changes_while_cut.is_empty(),
            "seed {seed}: node {isolated} changed term while isolated: {changes_while_cut:?}"
        );
        assert_eq!(result.metrics.disruptions, 0, "seed {seed}");
        assert_eq!(result.metrics.leader_changes, 0, "seed {seed}");
        // Classic Raft, same seed and script: the term runs away.
        let raft = run_label(&scenario, "raft", seed);
        assert!(raft.metrics.term_inflation >= 100, "seed {seed}");
    }
}

/// Three DLedger nodes (timing scaled down 40×, but a vote interval longer
/// than the heartbeat). Node 3 is down while the first leader is elected; on
/// restart the leader's heartbeat (every 50 ms) reaches it before its next
/// vote round (60–100 ms), so it adopts the term without voting in it
/// (REJECT_TERM_NOT_READY, then `next_term()`). At 5 s the link
/// between the leader and the other follower (`follower:1`, the voter that
/// elected it) fails. That follower times out and stands in the same term:
/// its own recorded vote (for the leader) refuses it, node 3, with no
/// recorded vote, accepts — valid answers but no majority of accepts: row 7,
/// vote in the next term. Node 3 steps aside for that term and the
/// partially connected node takes over, deposing a leader it cannot reach.
fn partial_dledger(seed: u64, voter_missed_the_election: bool) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(3, seed, 20_000_000);
    cfg.raft.election = ElectionKind::Dledger;
    cfg.raft.dledger = DLedgerTiming {
        heartbeat_us: 50_000,
        max_heartbeat_leak: 3,
        vote_interval_us: (60_000, 100_000),
        vote_wait_us: (50_000, 75_000),
        rpc_timeout_us: 75_000,
    };
    let at = |ms, fault| ScriptEvent::scripted(Instant::from_ms(ms), fault);
    if voter_missed_the_election {
        cfg.script.push(at(0, Fault::Crash(NodeRef::Id(NodeId(3)))));
        cfg.script
            .push(at(2_000, Fault::Restart(NodeRef::Id(NodeId(3)))));
    }
    cfg.script.push(at(
        5_000,
        Fault::Cut(vec![(NodeRef::Leader, NodeRef::Follower(1))]),
    ));
    cfg
}

#[test]
fn a_dledger_voter_without_a_recorded_vote_lets_a_partially_connected_node_force_a_new_term() {
    for seed in 1..=10 {
        let out = run(partial_dledger(seed, true));
        assert!(
            out.violations.is_empty(),
            "seed {seed}: {:?}",
            out.violations
        );
        let first_term = out.series.leaders.iter().find_map(|p| p.term).unwrap();
        let after_cut = out.series.leaders.iter().filter(|p| p.at_ms > 5_000.0);
        let new_terms: Vec<_> = after_cut
            .filter_map(|p| p.term)
            .filter(|&t| t > first_term)
            .collect();
        assert!(
            !new_terms.is_empty(),
            "seed {seed}: the cut-off follower forced a new term"
        );
        assert!(
            out.metrics.disruptions >= 1,
            "seed {seed}: the old leader was deposed"
        );

        // Control: when node 3 voted in the first election, it refuses the
        // same-term candidate (REJECT_ALREADY_HAS_LEADER) and nothing moves.
        let out = run(partial_dledger(seed, false));
        assert!(out.violations.is_empty());
        assert_eq!(out.metrics.disruptions, 0, "seed {seed}");
        assert_eq!(out.metrics.leader_changes, 0, "seed {seed}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn etcd_prevote_without_the_lease_lets_a_cut_off_follower_depose_the_leader() {
    let scenario = bundled("chained");
    for seed in 1..=5 {
        let thesis = run_label(&scenario, "prevote", seed);
        let etcd = run_label(&scenario, "prevote-nolease", seed);
        assert_eq!(thesis.config["raft"]["leader_lease"], true);
        assert_eq!(etcd.config["raft"]["leader_lease"], false);
        assert_eq!(
            thesis.metrics.disruptions, 0,
            "seed {seed}: the lease refuses the pre-vote"
        );
        assert!(
            etcd.metrics.disruptions >= 1,
            "seed {seed}: the middle node grants it"
        );
        assert!(
            etcd.metrics.term_inflation <= 1,
            "seed {seed}: PreVote still stops inflation"
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn quorum_loss_is_a_livelock_for_prevote_without_checkquorum() {
    let scenario = bundled("quorum-loss");
    let prevote = run_label(&scenario, "prevote", 1);
    let both = run_label(&scenario, "prevote+checkquorum", 1);
    assert!(
        prevote.metrics.leaderless_ms >= 25_000.0,
        "{}",
        prevote.metrics.leaderless_ms
    );
    assert!(
        both.metrics.leaderless_ms <= 3_000.0,
        "{}",
        both.metrics.leaderless_ms
    );
}
