//! The objects of a Chrome trace: one `Event` per element of the
//! `traceEvents` array, its `Name` and its `Args`, each serialised by serde
//! in the order the format's readers expect.

use std::fmt;

use serde::{Serialize, Serializer};

use super::PID;
use crate::node::{LogIndex, NodeId, ProposalId, Role, Term, TimerKind};
use crate::trace::{DropReason, FateFields};

/// A node's role span: the slice that is open on its track.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) term: Term,
    pub(super) role: Role,
}

/// One object of the `traceEvents` array. Fields are written in this
/// order; absent ones are left out.
#[derive(Serialize)]
pub(super) struct Event<'a> {
    pub(super) ph: &'static str,
    pub(super) name: Name<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cat: Option<&'static str>,
    pub(super) ts: u64,
    pub(super) pid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tid: Option<u32>,
    /// An instant's scope ("t": its thread).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) s: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) dur: Option<u64>,
    /// A flow end's binding point ("e": the enclosing slice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) bp: Option<&'static str>,
    /// A flow's id: the message id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) args: Option<Args<'a>>,
}

impl<'a> Event<'a> {
    /// An event on a track, with nothing but the fields every one has.
    pub(super) fn on(
        ph: &'static str,
        name: Name<'a>,
        cat: &'static str,
        ts: u64,
        tid: u32,
    ) -> Event<'a> {
        Event {
            ph,
            name,
            cat: Some(cat),
            ts,
            pid: PID,
            tid: Some(tid),
            s: None,
            dur: None,
            bp: None,
            id: None,
            args: None,
        }
    }

    /// A metadata event (names and order of the process and its tracks).
    pub(super) fn metadata(name: &'static str, tid: Option<u32>, args: Args<'a>) -> Event<'a> {
        Event {
            cat: None,
            tid,
            args: Some(args),
            ..Event::on("M", Name::Text(name), "", 0, 0)
        }
    }
}

/// An event's name, written straight from its parts.
#[derive(Clone, Copy)]
pub(super) enum Name<'a> {
    Text(&'a str),
    /// A role span: "leader t7".
    Span(Span),
    /// A node's track: "node 3".
    Node(NodeId),
    /// "drop AppendEntries".
    Drop(&'static str),
    /// "election timer".
    Timer(TimerKind),
    /// "leader n3", or "no leader".
    Leader(Option<NodeId>),
    /// A node's term counter: "term n3".
    Term(NodeId),
    Propose(ProposalId),
    Commit(LogIndex),
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Name::Text(text) => f.write_str(text),
            Name::Span(span) => write!(f, "{} t{}", span.role.name(), span.term),
            Name::Node(id) => write!(f, "node {id}"),
            Name::Drop(kind) => write!(f, "drop {kind}"),
            Name::Timer(kind) => write!(f, "{} timer", kind.name()),
            Name::Leader(Some(id)) => write!(f, "leader n{id}"),
            Name::Leader(None) => f.write_str("no leader"),
            Name::Term(id) => write!(f, "term n{id}"),
            Name::Propose(id) => write!(f, "propose {id}"),
            Name::Commit(index) => write!(f, "commit {index}"),
        }
    }
}

impl Serialize for Name<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// An event's `args`: what Perfetto shows when it is selected.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Args<'a> {
    Name {
        name: Name<'a>,
    },
    SortIndex {
        sort_index: u64,
    },
    /// A send, on the sender's track.
    Sent {
        to: NodeId,
        id: u64,
        term: Term,
        #[serde(flatten)]
        fate: FateFields,
    },
    /// A delivery, on the receiver's track.
    Received {
        from: NodeId,
        id: u64,
        term: Term,
    },
    /// A drop at the receiver's side.
    DroppedAt {
        from: NodeId,
        id: u64,
        term: Term,
        reason: DropReason,
    },
    /// A message that never left its crashed sender (`id` is null).
    NeverSent {
        to: NodeId,
        id: Option<u64>,
        term: Term,
        reason: DropReason,
    },
    Timer {
        timer: &'static str,
    },
    Role {
        role: &'static str,
        term: Term,
        leader: Option<NodeId>,
    },
    Leader {
        leader: Option<NodeId>,
    },
    Fault {
        index: usize,
        skipped: bool,
    },
    Propose {
        proposal: ProposalId,
        leader: Option<NodeId>,
    },
    Commit {
        index: LogIndex,
    },
    Config {
        index: LogIndex,
        config: &'a str,
    },
    Counter {
        value: u64,
    },
    Violation {
        property: &'static str,
        message: &'a str,
        node: Option<NodeId>,
    },
}
