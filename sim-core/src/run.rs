//! Runs one configuration with the Raft implementation it names. The only
//! place that knows every implementation: the cluster is generic over
//! `RaftNode`, and this picks the node type for `raft.implementation` and
//! `raft.election` (raftsim's classic or DLedger model, or raft-rs).

use crate::cluster::{Cluster, ClusterConfig, RunOutput};
use crate::node::{ElectionKind, Implementation};
use crate::raft::{ClassicNode, DLedgerNode};
use crate::trace::Tracer;

/// Runs a configuration to its end without a tracer.
pub fn run(cfg: ClusterConfig) -> RunOutput {
    run_with(cfg, None)
}

/// Runs a configuration to its end with the Raft implementation it names.
///
/// # Panics
///
/// If it names raft-rs and this build has no raft-rs (scenario validation
/// refuses such a file first).
pub fn run_with(cfg: ClusterConfig, tracer: Option<&mut dyn Tracer>) -> RunOutput {
    match (cfg.raft.implementation, cfg.raft.election) {
        (Implementation::Model, ElectionKind::Classic) => {
            Cluster::<ClassicNode>::new(cfg, tracer).run()
        }
        (Implementation::Model, ElectionKind::Dledger) => {
            Cluster::<DLedgerNode>::new(cfg, tracer).run()
        }
        (Implementation::RaftRs, _) => run_raft_rs(cfg, tracer),
    }
}

#[cfg(feature = "raft-rs")]
fn run_raft_rs(cfg: ClusterConfig, tracer: Option<&mut dyn Tracer>) -> RunOutput {
    assert_eq!(
        cfg.raft.election,
        ElectionKind::Classic,
        "scenario validation refuses raft-rs with DLedger's election"
    );
    Cluster::<crate::raftrs::RaftRsNode>::new(cfg, tracer).run()
}

#[cfg(not(feature = "raft-rs"))]
fn run_raft_rs(_: ClusterConfig, _: Option<&mut dyn Tracer>) -> RunOutput {
    panic!("this raftsim was built without raft-rs (cargo feature `raft-rs`)")
}
