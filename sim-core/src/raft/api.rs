//! The node trait: everything the engine, the network, the metrics, the
//! safety checker and the traces see of a Raft node. raftsim's own model
//! (classic and DLedger elections) implements it here; another sans-IO Raft
//! library plugs in by implementing it too.
//!
//! A node never reads a clock, never touches the event queue or the network
//! and never sees another node: it gets `now` with every input and answers
//! with actions (send, set or cancel a timer, persist, note).

use super::{Action, HardState, LogIndex, LogView, Message, Node, NodeId, ProposalId, RaftConfig};
use super::{Status, TimerKind};
use crate::rng::Stream;
use crate::time::Instant;

pub trait RaftNode: Sized {
    /// Builds a node from its durable state: at the start of a run and at
    /// every restart. `rng` is the node's own seeded stream, continued
    /// across restarts ([`RaftNode::into_rng`]); it is the node's only
    /// source of randomness.
    fn start(
        id: NodeId,
        cluster_size: usize,
        config: &RaftConfig,
        rng: Stream,
        disk: HardState,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Self;

    /// A message from `from` was delivered.
    fn on_message(&mut self, now: Instant, from: NodeId, msg: Message, out: &mut Vec<Action>);

    /// The timer `kind`, set by an earlier `SetTimer`, fired.
    fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>);

    /// A client proposal. Returns whether the node accepted it (only a
    /// leader does); a refused proposal stays with the client.
    fn propose(&mut self, now: Instant, id: ProposalId, out: &mut Vec<Action>) -> bool;

    /// The oldest write not yet reported durable is durable now (writes
    /// become durable in the order they were issued); the durable log has
    /// `durable_last_index` entries. A library that learns of durability
    /// asynchronously (raft-rs) may answer with actions.
    fn on_persisted(&mut self, now: Instant, durable_last_index: LogIndex, out: &mut Vec<Action>);

    /// Role, term, vote, leader, commit index and last log entry, for
    /// observers and for the cluster's routing of client proposals.
    fn status(&self) -> Status;

    /// The node's log: its snapshot's last included index and term and the
    /// live entries after it, for the safety checker and for the cluster to
    /// see which proposals a commit covers. Entries up to the snapshot are
    /// committed ones the node no longer holds (docs/SEMANTICS.md
    /// "Snapshots and log compaction").
    fn log(&self) -> LogView<'_>;

    /// Ends this incarnation (a crash): gives back the random stream so the
    /// next incarnation continues it.
    fn into_rng(self) -> Stream;
}

impl RaftNode for Node {
    fn start(
        id: NodeId,
        cluster_size: usize,
        config: &RaftConfig,
        rng: Stream,
        disk: HardState,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Self {
        Node::start(id, cluster_size, config.clone(), rng, disk, now, out)
    }

    fn on_message(&mut self, now: Instant, from: NodeId, msg: Message, out: &mut Vec<Action>) {
        Node::on_message(self, now, from, msg, out)
    }

    fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        Node::on_timer(self, now, kind, out)
    }

    fn propose(&mut self, _now: Instant, id: ProposalId, out: &mut Vec<Action>) -> bool {
        Node::propose(self, id, out)
    }

    fn on_persisted(&mut self, _now: Instant, durable_last_index: LogIndex, _: &mut Vec<Action>) {
        Node::on_persisted(self, durable_last_index)
    }

    fn status(&self) -> Status {
        Node::status(self)
    }

    fn log(&self) -> LogView<'_> {
        Node::log(self).view()
    }

    fn into_rng(self) -> Stream {
        Node::into_rng(self)
    }
}
