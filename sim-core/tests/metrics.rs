//! The metrics of docs/METRICS.md measured on real runs: a dead cluster
//! reports itself dead, an isolated or crashed leader stops being effective
//! at once (so failovers include detection), and each failover names the
//! fault that caused it.

use sim_core::cluster::{ClusterConfig, RunOutput};
use sim_core::faults::{Fault, NodeRef, ScriptEvent};
use sim_core::node::NodeId;
use sim_core::run::run;
use sim_core::time::Instant;

fn at(ms: u64, fault: Fault) -> ScriptEvent {
    ScriptEvent::scripted(Instant::from_ms(ms), fault)
}

/// The lower bound of any failover: a follower's election timer was reset
/// by the last heartbeat before the loss, at most one heartbeat earlier.
fn failover_floor_ms(cfg: &ClusterConfig) -> f64 {
    (cfg.raft.election_timeout_us.0 - cfg.raft.heartbeat_us) as f64 / 1000.0
}

#[test]
fn a_dead_cluster_is_leaderless_and_unavailable_for_the_whole_run() {
    let mut cfg = ClusterConfig::new(5, 1, 10_000_000);
    cfg.network.loss = 1.0;
    cfg.workload.proposals_per_sec = 20.0;
    let m = run(cfg).metrics;
    assert_eq!(m.leaderless_ms, 10_000.0);
    assert_eq!(m.first_leader_ms, None);
    assert_eq!(
        (
            m.proposals_submitted,
            m.proposals_committed,
            m.proposals_uncommitted
        ),
        (200, 0, 200)
    );
    // From the first proposal (one interval in) to the end.
    assert_eq!(m.unavailable_ms, 9_950.0);
    assert_eq!(m.commit_latency_ms.count, 0);
    assert_eq!(m.commit_latency_ms.p99, None);
    assert_eq!(m.get("commit_latency_ms.p99"), None);
    assert_eq!((m.failover_ms.count, m.failovers_unfinished), (0, 0));
}

#[test]
fn a_cluster_that_only_campaigns_is_leaderless_throughout() {
    let mut cfg = ClusterConfig::new(5, 1, 2_000_000);
    cfg.raft.election_timeout_us = (1_000, 1_000);
    let m = run(cfg).metrics;
    assert!(m.max_term > 1_000, "it campaigns: term {}", m.max_term);
    assert_eq!(m.leaderless_ms, 2_000.0);
    assert_eq!(m.first_leader_ms, None);
}

/// Five nodes, 20 proposals/s; the leader is isolated at 2 s, healed at 4 s.
fn isolated_leader(seed: u64) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(5, seed, 6_000_000);
    cfg.workload.proposals_per_sec = 20.0;
    cfg.script = vec![
        at(2_000, Fault::Isolate(NodeRef::Leader)),
        at(4_000, Fault::Heal),
    ];
    cfg
}

fn only_failover(out: &RunOutput) -> &sim_core::metrics::FailoverRecord {
    assert_eq!(out.series.failovers.len(), 1, "{:?}", out.series.failovers);
    &out.series.failovers[0]
}

#[test]
fn an_isolated_leader_stops_being_effective_when_it_is_cut_off() {
    for seed in 1..=10 {
        let cfg = isolated_leader(seed);
        let floor = failover_floor_ms(&cfg);
        let out = run(cfg);
        let f = only_failover(&out);
        assert_eq!(f.lost_at_ms, 2_000.0, "seed {seed}: lost at the cut");
        assert_eq!(f.fault, Some(0), "seed {seed}");
        assert_eq!(f.terms, Some(1), "seed {seed}");
        let m = &out.metrics;
        let failover = m.failover_ms.max.expect("one failover");
        assert!(failover >= floor, "seed {seed}: {failover} ms");
        assert!(m.leaderless_ms >= failover, "seed {seed}");
        let election = m.election_ms.max.expect("one election");
        assert!(election <= failover && election >= floor, "seed {seed}");
        assert_eq!(out.samples.election_us.len(), 1);
        assert_eq!(m.failovers_unfinished, 0);
    }
}

#[test]
fn a_crashed_leaders_failover_names_the_crash() {
    let mut cfg = ClusterConfig::new(5, 1, 6_000_000);
    cfg.workload.proposals_per_sec = 20.0;
    cfg.script = vec![
        at(1_000, Fault::Isolate(NodeRef::Id(NodeId(1)))),
        at(1_500, Fault::Heal),
        at(2_000, Fault::Crash(NodeRef::Leader)),
        at(3_000, Fault::Restart(NodeRef::Crashed)),
    ];
    let floor = failover_floor_ms(&cfg);
    let out = run(cfg);
    let crash = out
        .series
        .faults
        .iter()
        .position(|f| f.description.starts_with("crash"))
        .expect("the crash fired");
    let f = out
        .series
        .failovers
        .iter()
        .find(|f| f.lost_at_ms == 2_000.0)
        .expect("the crash loses the leader");
    assert_eq!(f.fault, Some(crash), "{:?}", out.series.failovers);
    let took = f.effective_at_ms.expect("finished") - f.lost_at_ms;
    assert!(took >= floor, "{took} ms");
}

#[test]
fn a_rejoining_node_that_deposes_the_leader_is_blamed_on_the_heal() {
    // Classic Raft without PreVote: node 5's term climbs while it is cut
    // off; after the heal its answers depose the leader.
    let mut cfg = ClusterConfig::new(5, 1, 6_000_000);
    cfg.script = vec![
        at(1_000, Fault::Isolate(NodeRef::Id(NodeId(5)))),
        at(3_000, Fault::Heal),
    ];
    let out = run(cfg);
    assert!(out.metrics.disruptions >= 1, "{:?}", out.metrics);
    let f = out
        .series
        .failovers
        .iter()
        .find(|f| f.lost_at_ms > 3_000.0)
        .expect("the rejoin costs a failover");
    assert_eq!(f.fault, Some(1), "{:?}", out.series.failovers);
    assert!(f.terms.is_some_and(|t| t >= 1));
}

/// Messages are counted by type on a real run: the counts add up to the
/// messages sent, a PreVote cluster sends pre-votes and classic Raft none,
/// and an expectation may name a type it never sent (it reads 0).
#[test]
fn messages_are_counted_by_type_and_add_up() {
    for pre_vote in [false, true] {
        let mut cfg = ClusterConfig::new(5, 1, 5_000_000);
        cfg.raft.pre_vote = pre_vote;
        cfg.workload.proposals_per_sec = 20.0;
        let m = run(cfg).metrics;
        let total: u64 = m.messages_by_type.values().sum();
        assert_eq!(total, m.messages_sent);
        assert!(m.messages_by_type["AppendEntries"] > 0);
        assert!(m.messages_by_type["AppendResponse"] > 0);
        assert_eq!(m.get("messages_by_type.PreVote").unwrap() > 0.0, pre_vote);
        assert_eq!(m.get("messages_by_type.NoSuchType"), Some(0.0));
    }
}
