//! One node of the model as the engine sees it: the shared core
//! (`replication.rs`) plus one elector, chosen by the type: a
//! [`ClassicNode`] or a [`DLedgerNode`]. Every input goes to the elector,
//! which changes the core through its methods; the pending write is
//! flushed after each input. The node only learns time from its inputs.
//! Before each input it compacts its log if due (observers have seen the
//! entries it drops by then).

use super::classic::ClassicState;
use super::dledger::DLedgerState;
use super::message::{ElectionMessage, Message};
use super::replication::Core;
use crate::node::{
    Action, Boot, Log, LogIndex, LogView, Membership, MembershipChange, NodeId, ProposalId,
    RaftNode, Role, Status, TimerKind,
};
use crate::rng::Stream;
use crate::time::Instant;

/// The actions of a model node whose elector speaks `E`.
pub type Out<E> = Vec<Action<Message<E>>>;

/// Who decides when to stand and who leads: classic Raft's elector or
/// DLedger's. Each brings its own election messages.
pub trait Elector: Sized {
    /// The elector's own messages, beside the shared replication ones.
    type Election: ElectionMessage;

    /// Whether a leader sends AppendEntries in parallel with its own write
    /// of the entries (thesis §10.2.1) rather than after it.
    const LEADER_WRITES_IN_PARALLEL: bool;

    /// Starts the elector of a (re)started node; `core` holds the node's
    /// random stream.
    fn start(core: &mut Core, now: Instant, out: &mut Out<Self::Election>) -> Self;

    fn on_timer(
        &mut self,
        core: &mut Core,
        now: Instant,
        kind: TimerKind,
        out: &mut Out<Self::Election>,
    );

    fn on_message(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        msg: &Message<Self::Election>,
        out: &mut Out<Self::Election>,
    );

    /// A leader that committed a configuration without itself steps down
    /// (Raft thesis §4.2.2), in its term.
    fn step_down(&mut self, core: &mut Core, now: Instant, out: &mut Out<Self::Election>);

    /// An operator's membership change, handed to this leader.
    fn change_membership(
        &mut self,
        core: &mut Core,
        change: MembershipChange,
        out: &mut Out<Self::Election>,
    ) -> Result<(), String>;

    /// An operator asks this leader to hand its leadership to `target`.
    fn transfer_leader(
        &mut self,
        core: &mut Core,
        now: Instant,
        target: NodeId,
        out: &mut Out<Self::Election>,
    ) -> Result<(), String>;

    /// The elector's own invariants, checked (in debug builds) once the
    /// node has started and after every input; none unless it has some.
    fn debug_check(&self, _core: &Core) {}
}

/// A model node: the shared core and the elector `E`.
pub struct Node<E> {
    core: Core,
    elector: E,
}

/// Classic Raft, with the PreVote, leader lease and CheckQuorum switches.
pub type ClassicNode = Node<ClassicState>;
/// DLedger's elector over the shared replication.
pub type DLedgerNode = Node<DLedgerState>;

impl<E: Elector> Node<E> {
    pub fn id(&self) -> NodeId {
        self.core.id()
    }

    pub fn log_of(&self) -> &Log {
        self.core.log()
    }

    /// The elector's own state (DLedger's, for its tests).
    pub fn elector(&self) -> &E {
        &self.elector
    }

    /// After every input: a committed joint configuration is left, and a
    /// leader that committed a configuration without itself steps down.
    fn settle(&mut self, now: Instant, out: &mut Out<E::Election>) {
        self.core.leave_joint_if_committed(out);
        if self.core.must_step_down() {
            self.elector.step_down(&mut self.core, now, out);
        }
        self.core.flush(out);
        debug_assert!(
            !self.core.must_step_down(),
            "a leader outside the configuration it committed has stepped down"
        );
        self.core.debug_check();
        self.elector.debug_check(&self.core);
    }
}

impl<E: Elector> RaftNode for Node<E> {
    type Message = Message<E::Election>;

    /// Starts (or restarts) a node from what its disk holds.
    fn start(boot: Boot<'_>, out: &mut Out<E::Election>) -> Self {
        let Boot {
            id,
            cluster_size,
            config,
            rng,
            disk,
            now,
        } = boot;
        let mut core = Core::new(id, cluster_size, config.clone(), disk, rng);
        core.set_leader_writes_in_parallel(E::LEADER_WRITES_IN_PARALLEL);
        let elector = E::start(&mut core, now, out);
        debug_assert!(
            core.role() != Role::Leader,
            "a node never starts as leader: it must be elected"
        );
        core.debug_check();
        elector.debug_check(&core);
        Node { core, elector }
    }

    fn on_message(
        &mut self,
        now: Instant,
        from: NodeId,
        msg: Message<E::Election>,
        out: &mut Out<E::Election>,
    ) {
        assert!(from != self.core.id(), "node {from} sent itself a message");
        self.core.maybe_compact();
        self.elector
            .on_message(&mut self.core, now, from, &msg, out);
        self.settle(now, out);
        if let Message::AppendEntries(append) = msg {
            self.core.recycle(append.entries);
        }
    }

    fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Out<E::Election>) {
        self.core.maybe_compact();
        self.elector.on_timer(&mut self.core, now, kind, out);
        self.settle(now, out);
    }

    /// A client proposal. Returns false (and does nothing) unless this node
    /// is the leader.
    fn propose(&mut self, now: Instant, id: ProposalId, out: &mut Out<E::Election>) -> bool {
        self.core.maybe_compact();
        let accepted = self.core.propose(id, out);
        debug_assert!(
            !accepted || self.core.role() == Role::Leader,
            "only a leader accepts a proposal"
        );
        self.settle(now, out);
        accepted
    }

    /// The cluster reports that the disk now holds `durable_last_index`
    /// entries (writes complete in the order they were issued).
    fn on_persisted(
        &mut self,
        now: Instant,
        durable_last_index: LogIndex,
        out: &mut Out<E::Election>,
    ) {
        self.core.maybe_compact();
        self.core.on_persisted(durable_last_index, out);
        self.settle(now, out);
    }

    fn membership(&self) -> Membership {
        self.core.membership()
    }

    fn change_membership(
        &mut self,
        now: Instant,
        change: MembershipChange,
        out: &mut Out<E::Election>,
    ) -> Result<(), String> {
        self.core.maybe_compact();
        let last = self.core.log().last_index();
        let result = self.elector.change_membership(&mut self.core, change, out);
        debug_assert!(
            result.is_err() || self.core.log().last_index() > last,
            "an accepted change is appended"
        );
        self.settle(now, out);
        result
    }

    fn transfer_leader(
        &mut self,
        now: Instant,
        target: NodeId,
        out: &mut Out<E::Election>,
    ) -> Result<(), String> {
        self.core.maybe_compact();
        let result = self
            .elector
            .transfer_leader(&mut self.core, now, target, out);
        self.settle(now, out);
        result
    }

    fn status(&self) -> Status {
        self.core.status()
    }

    fn log(&self) -> LogView<'_> {
        self.core.log().view()
    }

    fn into_rng(self) -> Stream {
        self.core.into_rng()
    }
}
