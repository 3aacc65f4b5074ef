//! The event trace. Owns the record of what a run did, in the order the
//! engine did it: the trace hash (every run has one) and, when asked, a
//! writer of JSON Lines (and, in `chrome`, of Chrome trace-event JSON). Both
//! writers describe their records as serde types (fields in the order
//! docs/TRACES.md gives) and serialise them straight into the output. It
//! observes; it never changes a run.

use std::io;

use serde::{Deserialize, Serialize};

pub mod chrome;
mod fields;
mod hash;
mod jsonl;
pub mod window;
pub use chrome::ChromeTracer;
pub use fields::FateFields;
pub use hash::{hash_hex, TraceHash};
pub use jsonl::{read_jsonl, JsonLinesTracer, Record, TraceError, TraceLine};

use crate::invariants::Property;
use crate::network::Fate;
use crate::node::{LogIndex, Membership, MessageView, NodeId, ProposalId, Status, TimerKind};
use crate::time::Instant;

/// Why a message never reached its receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Lost to the link's loss probability when sent.
    Loss,
    /// The link was cut when it was sent.
    LinkCut,
    /// The link was cut while it was in flight.
    CutInFlight,
    /// The receiver was down when it arrived.
    NodeDown,
    /// The sender crashed before its write was durable, so it never left.
    SenderCrashed,
}

/// One step of a run, as observers see it. The engine builds it with its
/// implementation's message type `M` (the trace hash reads it as such);
/// tracers see the message as `dyn MessageView` ([`TraceEvent::erased`]).
pub enum TraceEvent<'a, M: ?Sized = dyn MessageView> {
    /// `id` numbers messages in send order (1-based); the deliveries and
    /// drops of a message carry the same id.
    Send {
        envelope: Envelope<'a, M>,
        id: u64,
        fate: Fate,
    },
    Deliver {
        envelope: Envelope<'a, M>,
        id: u64,
    },
    /// `id` is None for a message that never left its crashed sender.
    Drop {
        envelope: Envelope<'a, M>,
        id: Option<u64>,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        kind: TimerKind,
    },
    /// A node's term, role or leader changed: its whole status, which the
    /// record writes (vote, log length and commit index too, not the last
    /// log term); the trace hash covers the term, role and leader.
    State {
        node: NodeId,
        status: Status,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    Fault {
        index: usize,
        description: &'a str,
        skipped: bool,
    },
    Propose {
        id: ProposalId,
        leader: Option<NodeId>,
    },
    /// The cluster's commit index advanced.
    Commit {
        index: LogIndex,
    },
    /// The cluster committed a configuration (its entry's index).
    Config {
        index: LogIndex,
        config: Membership,
    },
    /// A safety property broke in the step just traced: the run's last
    /// record. `node` is the node whose step broke it, if known.
    Violation {
        property: Property,
        message: &'a str,
        node: Option<NodeId>,
    },
}

/// What every message event carries: the message, its sender and its
/// receiver. The one part of a [`TraceEvent`] generic over the message.
pub struct Envelope<'a, M: ?Sized = dyn MessageView> {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: &'a M,
}

impl<M: ?Sized> Clone for Envelope<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: ?Sized> Copy for Envelope<'_, M> {}

impl<'a, M: MessageView + 'static> Envelope<'a, M> {
    /// The same envelope with its message seen as `dyn MessageView`.
    pub fn erased(self) -> Envelope<'a> {
        Envelope {
            from: self.from,
            to: self.to,
            msg: self.msg,
        }
    }
}

impl<M: ?Sized> Clone for TraceEvent<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: ?Sized> Copy for TraceEvent<'_, M> {}

/// The kinds of [`TraceEvent`], for a tracer to say which it hears
/// ([`Tracer::hears`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Send,
    Deliver,
    Drop,
    Timer,
    State,
    Crash,
    Restart,
    Fault,
    Propose,
    Commit,
    Config,
    Violation,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::Send,
        EventKind::Deliver,
        EventKind::Drop,
        EventKind::Timer,
        EventKind::State,
        EventKind::Crash,
        EventKind::Restart,
        EventKind::Fault,
        EventKind::Propose,
        EventKind::Commit,
        EventKind::Config,
        EventKind::Violation,
    ];

    /// The kind's bit in a set of kinds.
    #[inline(always)]
    pub const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl<M: ?Sized> TraceEvent<'_, M> {
    /// The event's kind. Inlined: where the engine builds a known event,
    /// it folds to a constant.
    #[inline(always)]
    pub fn kind(&self) -> EventKind {
        match self {
            TraceEvent::Send { .. } => EventKind::Send,
            TraceEvent::Deliver { .. } => EventKind::Deliver,
            TraceEvent::Drop { .. } => EventKind::Drop,
            TraceEvent::Timer { .. } => EventKind::Timer,
            TraceEvent::State { .. } => EventKind::State,
            TraceEvent::Crash { .. } => EventKind::Crash,
            TraceEvent::Restart { .. } => EventKind::Restart,
            TraceEvent::Fault { .. } => EventKind::Fault,
            TraceEvent::Propose { .. } => EventKind::Propose,
            TraceEvent::Commit { .. } => EventKind::Commit,
            TraceEvent::Config { .. } => EventKind::Config,
            TraceEvent::Violation { .. } => EventKind::Violation,
        }
    }
}

impl<'a, M: MessageView + 'static> TraceEvent<'a, M> {
    /// The same event with its message seen as `dyn MessageView`, as
    /// tracers take it.
    pub fn erased(&self) -> TraceEvent<'a> {
        match *self {
            TraceEvent::Send { envelope, id, fate } => TraceEvent::Send {
                envelope: envelope.erased(),
                id,
                fate,
            },
            TraceEvent::Deliver { envelope, id } => TraceEvent::Deliver {
                envelope: envelope.erased(),
                id,
            },
            TraceEvent::Drop {
                envelope,
                id,
                reason,
            } => TraceEvent::Drop {
                envelope: envelope.erased(),
                id,
                reason,
            },
            TraceEvent::Timer { node, kind } => TraceEvent::Timer { node, kind },
            TraceEvent::State { node, status } => TraceEvent::State { node, status },
            TraceEvent::Crash { node } => TraceEvent::Crash { node },
            TraceEvent::Restart { node } => TraceEvent::Restart { node },
            TraceEvent::Fault {
                index,
                description,
                skipped,
            } => TraceEvent::Fault {
                index,
                description,
                skipped,
            },
            TraceEvent::Propose { id, leader } => TraceEvent::Propose { id, leader },
            TraceEvent::Commit { index } => TraceEvent::Commit { index },
            TraceEvent::Config { index, config } => TraceEvent::Config { index, config },
            TraceEvent::Violation {
                property,
                message,
                node,
            } => TraceEvent::Violation {
                property,
                message,
                node,
            },
        }
    }
}

/// Receives every trace event of a run, in execution order.
pub trait Tracer {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()>;

    /// Whether the tracer wants events of `kind` (asked once, as the run
    /// starts): a tracer that ignores most kinds spares the run a call per
    /// event. The default hears everything.
    fn hears(&self, _kind: EventKind) -> bool {
        true
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// The instant before which the tracer wants no `Send` record: the
    /// run does not hand it messages sent earlier (they count in the trace
    /// hash all the same). Asked as the run starts and after every other
    /// call into the tracer, which may change it; so a tracer that keeps
    /// messages only in some spans of time (the replay viewer) is not
    /// called for each message outside them. The default wants them all.
    fn sends_wanted_from(&self) -> Instant {
        Instant::ZERO
    }

    /// A node's status as the cluster now keeps it, each time any part of
    /// it changes (its log length and commit index too, which a `State`
    /// record carries only when the term, role or leader changes) and at
    /// each (re)start: until the node's next call, the status
    /// `results::state_at` reports for it. For a tracer that shows every
    /// node at any instant (the replay viewer); the default ignores it. It
    /// is not part of the trace hash.
    fn status(&mut self, _at: Instant, _node: NodeId, _status: &Status) {}

    /// After each scripted event has fired (or been skipped): the directed
    /// links (from, to) that are now cut and the nodes now paused, which
    /// no record carries. The default ignores it; not part of the hash.
    fn after_fault(&mut self, _at: Instant, _cut_links: &[(NodeId, NodeId)], _paused: &[NodeId]) {}
}
