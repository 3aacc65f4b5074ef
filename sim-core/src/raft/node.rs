//! One Raft node as the world sees it: the shared core (`replication.rs`)
//! plus the elector its configuration chose. Every input goes to the
//! elector, which changes the core through its methods; the pending write
//! is flushed after each input. The node only learns time from its inputs.
//! Before each input it compacts its log if due (observers have seen the
//! entries it drops by then).

use super::classic::ClassicState;
use super::dledger::DLedgerState;
use super::log::Log;
use super::replication::Core;
use super::{
    Action, ElectionKind, HardState, LogIndex, Message, NodeId, ProposalId, RaftConfig, Status,
    TimerKind,
};
use crate::rng::Stream;
use crate::time::Instant;

pub struct Node {
    core: Core,
    elector: Elector,
}

/// Who decides when to stand and who leads; one per election mode.
enum Elector {
    Classic(ClassicState),
    Dledger(DLedgerState),
}

impl Node {
    /// Starts (or restarts) node `id` from what its disk holds.
    pub fn start(
        id: NodeId,
        cluster_size: usize,
        config: RaftConfig,
        rng: Stream,
        disk: HardState,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Node {
        let election = config.election;
        let mut core = Core::new(id, cluster_size, config, disk);
        let elector = match election {
            ElectionKind::Classic => {
                Elector::Classic(ClassicState::start(&mut core, rng, now, out))
            }
            ElectionKind::Dledger => {
                Elector::Dledger(DLedgerState::start(&mut core, rng, now, out))
            }
        };
        Node { core, elector }
    }

    pub fn id(&self) -> NodeId {
        self.core.id()
    }

    pub fn log(&self) -> &Log {
        self.core.log()
    }

    pub fn status(&self) -> Status {
        self.core.status()
    }

    /// DLedger's election state, on a DLedger node.
    pub fn dledger(&self) -> Option<&DLedgerState> {
        match &self.elector {
            Elector::Classic(_) => None,
            Elector::Dledger(dledger) => Some(dledger),
        }
    }

    /// Hands the node's timer stream back, so a restarted node continues it.
    pub fn into_rng(self) -> Stream {
        match self.elector {
            Elector::Classic(classic) => classic.into_rng(),
            Elector::Dledger(dledger) => dledger.into_rng(),
        }
    }

    pub fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        self.core.maybe_compact();
        match &mut self.elector {
            Elector::Classic(classic) => classic.on_timer(&mut self.core, now, kind, out),
            Elector::Dledger(dledger) => dledger.on_timer(&mut self.core, now, kind, out),
        }
        self.core.flush(out);
    }

    pub fn on_message(&mut self, now: Instant, from: NodeId, msg: Message, out: &mut Vec<Action>) {
        debug_assert!(from != self.core.id(), "node {from} sent itself a message");
        self.core.maybe_compact();
        match &mut self.elector {
            Elector::Classic(classic) => classic.on_message(&mut self.core, now, from, &msg, out),
            Elector::Dledger(dledger) => dledger.on_message(&mut self.core, now, from, &msg, out),
        }
        self.core.flush(out);
        if let Message::AppendEntries(append) = msg {
            self.core.recycle(append.entries);
        }
    }

    /// A client proposal. Returns false (and does nothing) unless this node
    /// is the leader.
    pub fn propose(&mut self, id: ProposalId, out: &mut Vec<Action>) -> bool {
        self.core.maybe_compact();
        self.core.propose(id, out)
    }

    /// The cluster reports that the disk now holds `durable_last_index`
    /// entries (writes complete in the order they were issued).
    pub fn on_persisted(&mut self, durable_last_index: LogIndex) {
        self.core.maybe_compact();
        self.core.on_persisted(durable_last_index);
    }
}
