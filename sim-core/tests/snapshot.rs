//! Snapshots and log compaction end to end (docs/SEMANTICS.md "Snapshots
//! and log compaction"): a follower that falls behind the compaction point
//! catches up through InstallSnapshot, in both election modes and with
//! raft-rs, and a long run keeps every log and the checker's window
//! bounded.

use std::io;

use sim_core::cluster::ClusterConfig;
use sim_core::faults::{Fault, NodeRef, ScriptEvent};
use sim_core::node::{ElectionKind, NodeId};
use sim_core::run::{run, run_with};
use sim_core::time::Instant;
use sim_core::trace::{TraceEvent, Tracer};

/// The InstallSnapshot messages sent: (virtual µs, receiver).
#[derive(Default)]
struct SnapshotSends(Vec<(u64, NodeId)>);

impl Tracer for SnapshotSends {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        if let TraceEvent::Send { envelope, .. } = event {
            if matches!(envelope.msg.kind(), "InstallSnapshot" | "MsgSnapshot") {
                self.0.push((at.as_us(), envelope.to));
            }
        }
        Ok(())
    }
}

/// Five nodes, 20 proposals/s, node 5 down from 5 s to 25 s: 400 entries
/// behind, against a compaction threshold of `threshold` entries.
fn crashed_follower(election: ElectionKind, threshold: u64) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(5, 3, 40_000_000);
    cfg.raft.election = election;
    cfg.raft.dledger.heartbeat_us = 50_000;
    cfg.raft.dledger.vote_interval_us = (10_000, 25_000);
    cfg.raft.dledger.vote_wait_us = (50_000, 75_000);
    cfg.raft.snapshot.threshold_entries = threshold;
    cfg.workload.proposals_per_sec = 20.0;
    cfg.network.loss = 0.01;
    let at = |ms, fault| ScriptEvent::scripted(Instant::from_ms(ms), fault);
    cfg.script = vec![
        at(5_000, Fault::Crash(NodeRef::Id(NodeId(5)))),
        at(25_000, Fault::Restart(NodeRef::Id(NodeId(5)))),
    ];
    cfg
}

#[test]
fn a_follower_behind_the_compaction_point_catches_up_through_a_snapshot() {
    for election in [ElectionKind::Classic, ElectionKind::Dledger] {
        let mut sends = SnapshotSends::default();
        let out = run_with(crashed_follower(election, 100), Some(&mut sends));
        assert!(
            out.violations.is_empty(),
            "{election:?}: {:?}",
            out.violations
        );
        let to_restarted: Vec<_> = sends.0.iter().filter(|s| s.1 == NodeId(5)).collect();
        assert!(
            to_restarted.iter().any(|s| s.0 >= 25_000_000),
            "{election:?}: no snapshot reached the restarted node: {:?}",
            sends.0
        );
        let nodes = &out.final_state.nodes;
        let leader_commit = nodes.iter().map(|n| n.status.commit_index).max().unwrap();
        assert!(leader_commit > 700, "{election:?}: commit {leader_commit}");
        let restarted = &nodes[4];
        assert!(restarted.live);
        // Within a heartbeat of the leader (one entry every 50 ms).
        assert!(
            restarted.status.commit_index + 3 >= leader_commit,
            "{election:?}: node 5 committed {} of {leader_commit}",
            restarted.status.commit_index
        );
        // Without compaction the same run catches up by entries alone.
        let mut none = SnapshotSends::default();
        let out = run_with(crashed_follower(election, 10_000), Some(&mut none));
        assert!(out.violations.is_empty() && none.0.is_empty());
    }
}

#[test]
fn a_long_run_keeps_every_log_and_the_checker_window_bounded() {
    // 3 nodes, 50 proposals/s for 10 virtual minutes: 30,000 entries,
    // compacted every 500; a follower down for 20 s in the middle.
    let threshold = 500;
    let mut cfg = ClusterConfig::new(3, 5, 600_000_000);
    cfg.raft.snapshot.threshold_entries = threshold;
    cfg.workload.proposals_per_sec = 50.0;
    let at = |ms, fault| ScriptEvent::scripted(Instant::from_ms(ms), fault);
    cfg.script = vec![
        at(300_000, Fault::Crash(NodeRef::Follower(1))),
        at(320_000, Fault::Restart(NodeRef::Crashed)),
    ];
    let out = run(cfg);
    assert!(out.violations.is_empty(), "{:?}", out.violations);
    let nodes = &out.final_state.nodes;
    let commit = nodes.iter().map(|n| n.status.commit_index).max().unwrap();
    assert!(commit > 29_000, "commit index {commit}");
    for node in nodes {
        // The threshold, plus what is not yet committed or compacted.
        assert!(
            node.retained_entries <= 2 * threshold,
            "node {} holds {} entries",
            node.node,
            node.retained_entries
        );
    }
    // Per node and per index, each at most about two thresholds.
    let bound = (nodes.len() + 3) * 2 * threshold as usize;
    assert!(
        out.checker_retained_entries <= bound,
        "the checker holds {} entries (bound {bound})",
        out.checker_retained_entries
    );
}

#[test]
fn a_node_down_for_good_does_not_hold_the_checker_window_back() {
    // 3 nodes, 50 proposals/s for 10 virtual minutes; a follower crashes
    // after 1 minute and never comes back. The checker keeps the dead
    // node's log, not every entry the other two commit after it.
    let threshold = 500;
    let mut cfg = ClusterConfig::new(3, 5, 600_000_000);
    cfg.raft.snapshot.threshold_entries = threshold;
    cfg.workload.proposals_per_sec = 50.0;
    cfg.script = vec![ScriptEvent::scripted(
        Instant::from_ms(60_000),
        Fault::Crash(NodeRef::Follower(1)),
    )];
    let out = run(cfg);
    assert!(out.violations.is_empty(), "{:?}", out.violations);
    let nodes = &out.final_state.nodes;
    let commit = nodes.iter().map(|n| n.status.commit_index).max().unwrap();
    assert!(commit > 29_000, "commit index {commit}");
    assert_eq!(nodes.iter().filter(|n| !n.live).count(), 1);
    // The dead node's ~3,000 entries, plus two thresholds per index and
    // per running node.
    let bound = 3_000 + (2 + 3) * 2 * threshold as usize;
    assert!(
        out.checker_retained_entries <= bound,
        "the checker holds {} entries (bound {bound})",
        out.checker_retained_entries
    );
}

/// raft-rs compacts by the model's rule and sends its own snapshot: the
/// restarted follower installs it and catches up, the run stays safe, and
/// every log stays within the threshold.
#[cfg(feature = "raft-rs")]
#[test]
fn raft_rs_compacts_and_a_follower_behind_catches_up_through_its_snapshot() {
    use sim_core::node::Implementation;
    let mut cfg = crashed_follower(ElectionKind::Classic, 100);
    cfg.raft.implementation = Implementation::RaftRs;
    let mut sends = SnapshotSends::default();
    let out = run_with(cfg.clone(), Some(&mut sends));
    assert!(out.violations.is_empty(), "{:?}", out.violations);
    assert!(
        sends
            .0
            .iter()
            .any(|s| s.1 == NodeId(5) && s.0 >= 25_000_000),
        "no snapshot reached the restarted node: {:?}",
        sends.0
    );
    let nodes = &out.final_state.nodes;
    let leader_commit = nodes.iter().map(|n| n.status.commit_index).max().unwrap();
    assert!(leader_commit > 700, "commit {leader_commit}");
    assert!(
        nodes[4].status.commit_index + 3 >= leader_commit,
        "node 5 committed {} of {leader_commit}",
        nodes[4].status.commit_index
    );
    for node in nodes {
        assert!(
            node.retained_entries <= 200,
            "node {} holds {} entries",
            node.node,
            node.retained_entries
        );
    }
    // The same run replays exactly.
    assert_eq!(run(cfg).trace_hash, out.trace_hash);
    // Without compaction nobody sends a snapshot.
    let mut cfg = crashed_follower(ElectionKind::Classic, 10_000);
    cfg.raft.implementation = Implementation::RaftRs;
    let mut none = SnapshotSends::default();
    let out = run_with(cfg, Some(&mut none));
    assert!(out.violations.is_empty() && none.0.is_empty());
}

#[test]
fn snapshot_settings_are_read_merged_per_variant_and_bounded() {
    let file = r#"{
        "name": "s", "description": "d", "nodes": 3, "duration_ms": 1000,
        "raft": { "snapshot": { "threshold_entries": 50, "bandwidth_mbps": 10 } },
        "variants": [
            { "label": "a" },
            { "label": "b", "raft": { "snapshot": { "entry_bytes": 4096 } } }
        ]
    }"#;
    let scenario = sim_core::scenario::parse(file).expect("valid");
    let config = |label| {
        let variant = scenario.variant(label).expect("variant");
        scenario.cluster_config(variant, 1).raft.snapshot
    };
    let (a, b) = (config("a"), config("b"));
    assert_eq!(
        (a.threshold_entries, a.entry_bytes, a.bandwidth_mbps),
        (50, 128, 10)
    );
    assert_eq!(
        (b.threshold_entries, b.entry_bytes, b.bandwidth_mbps),
        (50, 4096, 10)
    );
    // 4096 bytes at 10 Mbit/s: 3.2768 ms.
    assert_eq!(b.transfer_us(4096), 3_276);
    let bad = file.replace("\"threshold_entries\": 50", "\"threshold_entries\": 0");
    let errors = sim_core::scenario::parse(&bad).unwrap_err().to_string();
    assert!(
        errors.contains("raft.snapshot.threshold_entries"),
        "{errors}"
    );
}
