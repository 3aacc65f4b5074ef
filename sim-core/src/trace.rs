//! The event trace. Owns the record of what a run did, in the order the
//! engine did it: the trace hash (every run has one) and, when asked, a
//! writer of JSON Lines (and, in `chrome`, of Chrome trace-event JSON). Both
//! writers describe their records as serde types (fields in the order
//! docs/TRACES.md gives) and serialise them straight into the output. It
//! observes; it never changes a run.

use std::io::{self, Write};

use serde::Serialize;

pub mod chrome;
mod fields;
pub mod window;
pub use chrome::ChromeTracer;
pub(crate) use fields::{FateFields, MessageFields};

use crate::invariants::Property;
use crate::network::Fate;
use crate::raft::Status;
use crate::raft::{
    AppendEntries, AppendResponse, DlHeartbeat, DlHeartbeatReply, DlVote, DlVoteReply, LogIndex,
    Message, NodeId, ProposalId, RequestVote, Role, Term, TimerKind, VoteResponse,
};
use crate::time::Instant;

/// Why a message never reached its receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

/// One step of a run, as observers see it.
#[derive(Clone, Copy, Debug)]
pub enum TraceEvent<'a> {
    /// `id` numbers messages in send order (1-based); the deliveries and
    /// drops of a message carry the same id.
    Send {
        from: NodeId,
        to: NodeId,
        id: u64,
        msg: &'a Message,
        fate: Fate,
    },
    Deliver {
        from: NodeId,
        to: NodeId,
        id: u64,
        msg: &'a Message,
    },
    /// `id` is None for a message that never left its crashed sender.
    Drop {
        from: NodeId,
        to: NodeId,
        id: Option<u64>,
        msg: &'a Message,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        kind: TimerKind,
    },
    /// A node's term, role or leader changed. The record carries its whole
    /// status (vote, log length and commit index too); the trace hash
    /// covers the term, role and leader.
    State {
        node: NodeId,
        term: Term,
        role: Role,
        leader: Option<NodeId>,
        voted_for: Option<NodeId>,
        log_length: LogIndex,
        commit_index: LogIndex,
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
    /// A safety property broke in the step just traced: the run's last
    /// record. `node` is the node whose step broke it, if known.
    Violation {
        property: Property,
        message: &'a str,
        node: Option<NodeId>,
    },
}

impl TraceEvent<'_> {
    /// The state record of `node` with this status.
    pub fn state(node: NodeId, status: &Status) -> TraceEvent<'static> {
        TraceEvent::State {
            node,
            term: status.term,
            role: status.role,
            leader: status.leader,
            voted_for: status.voted_for,
            log_length: status.last_index,
            commit_index: status.commit_index,
        }
    }
}

/// Receives every trace event of a run, in execution order.
pub trait Tracer {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
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

/// The 64-bit trace hash: a word-wise mix over the ordered event stream,
/// written here so it never changes with a compiler or library version.
#[derive(Clone, Copy, Debug)]
pub struct TraceHash(u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0x6a09_e667_f3bc_c908)
    }
}

impl TraceHash {
    fn word(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn node(&mut self, node: Option<NodeId>) {
        self.word(node.map_or(0, |n| u64::from(n.0)));
    }

    /// Inlined with `add`, into the sends, deliveries and drops.
    #[inline(always)]
    fn message(&mut self, msg: &Message) {
        self.word(msg.term());
        match msg {
            Message::RequestVote(RequestVote {
                last_log_index,
                last_log_term,
                pre_vote,
                ..
            }) => {
                self.word(1 + u64::from(*pre_vote));
                self.word(*last_log_index);
                self.word(*last_log_term);
            }
            Message::VoteResponse(VoteResponse {
                granted, pre_vote, ..
            }) => self.word(3 + u64::from(*pre_vote) * 2 + u64::from(*granted)),
            Message::AppendEntries(AppendEntries {
                prev_log_index,
                entries,
                leader_commit,
                ..
            }) => {
                self.word(7);
                self.word(*prev_log_index);
                self.word(entries.len() as u64);
                self.word(*leader_commit);
            }
            Message::AppendResponse(AppendResponse { success, index, .. }) => {
                self.word(8 + u64::from(*success));
                self.word(*index);
            }
            Message::InstallSnapshot(snapshot) => {
                self.word(15);
                self.word(snapshot.last_index);
                self.word(snapshot.last_term);
                self.word(snapshot.bytes);
            }
            Message::DlVote(DlVote {
                ledger_end_index,
                round,
                ..
            }) => {
                self.word(10);
                self.word(*ledger_end_index);
                self.word(*round);
            }
            Message::DlVoteReply(DlVoteReply { result, round, .. }) => {
                self.word(11 + *result as u64 * 16);
                self.word(*round);
            }
            Message::DlHeartbeat(DlHeartbeat { round, .. }) => {
                self.word(12);
                self.word(*round);
            }
            Message::DlHeartbeatReply(DlHeartbeatReply { code, round, .. }) => {
                self.word(13 + *code as u64 * 16);
                self.word(*round);
            }
            Message::RaftRs(msg) => {
                let f = msg.fields();
                self.word(14 + f.code * 16 + u64::from(f.reject) * 1024);
                self.word(f.index);
                self.word(f.log_term);
                self.word(f.entries as u64);
                self.word(f.commit);
            }
        }
    }

    /// Always inlined: every call site builds one known variant, so the
    /// match and the `TraceEvent` itself fold away there (5.5% of the
    /// benchmark's wall time; README, Performance).
    #[inline(always)]
    pub fn add(&mut self, at: Instant, event: &TraceEvent<'_>) {
        self.word(at.as_us());
        match *event {
            TraceEvent::Send {
                from,
                to,
                msg,
                fate,
                ..
            } => {
                self.word(1);
                self.node(Some(from));
                self.node(Some(to));
                self.message(msg);
                match fate {
                    Fate::Cut => self.word(1),
                    Fate::Lost => self.word(2),
                    Fate::Arrives { at, duplicate_at } => {
                        self.word(at.as_us());
                        self.word(duplicate_at.map_or(0, |t| t.as_us()));
                    }
                }
            }
            TraceEvent::Deliver { from, to, msg, .. } => {
                self.word(2);
                self.node(Some(from));
                self.node(Some(to));
                self.message(msg);
            }
            TraceEvent::Drop {
                from,
                to,
                msg,
                reason,
                ..
            } => {
                self.word(3 + 16 * reason as u64);
                self.node(Some(from));
                self.node(Some(to));
                self.message(msg);
            }
            TraceEvent::Timer { node, kind } => {
                self.word(4 + 16 * kind.index() as u64);
                self.node(Some(node));
            }
            TraceEvent::State {
                node,
                term,
                role,
                leader,
                voted_for: _,
                log_length: _,
                commit_index: _,
            } => {
                self.word(5 + 16 * role as u64);
                self.node(Some(node));
                self.word(term);
                self.node(leader);
            }
            TraceEvent::Crash { node } => {
                self.word(6);
                self.node(Some(node));
            }
            TraceEvent::Restart { node } => {
                self.word(7);
                self.node(Some(node));
            }
            TraceEvent::Fault { index, skipped, .. } => {
                self.word(8 + 16 * u64::from(skipped));
                self.word(index as u64);
            }
            TraceEvent::Propose { id, leader } => {
                self.word(9);
                self.word(id);
                self.node(leader);
            }
            TraceEvent::Commit { index } => {
                self.word(10);
                self.word(index);
            }
            TraceEvent::Violation { property, node, .. } => {
                self.word(11 + 16 * property as u64);
                self.node(node);
            }
        }
    }

    pub fn value(&self) -> u64 {
        self.0
    }
}

/// Formats a trace hash as results and reports show it.
pub fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// One line of a JSON Lines trace: `seq`, `at_us`, then the record's
/// `kind` and fields (docs/TRACES.md).
#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    at_us: u64,
    #[serde(flatten)]
    record: Record<'a>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Record<'a> {
    Send {
        from: NodeId,
        to: NodeId,
        id: u64,
        msg: &'static str,
        term: Term,
        #[serde(flatten)]
        fields: MessageFields,
        #[serde(flatten)]
        fate: FateFields,
    },
    Deliver {
        from: NodeId,
        to: NodeId,
        id: u64,
        msg: &'static str,
        term: Term,
    },
    Drop {
        from: NodeId,
        to: NodeId,
        id: Option<u64>,
        msg: &'static str,
        term: Term,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        timer: &'static str,
    },
    State {
        node: NodeId,
        term: Term,
        role: &'static str,
        leader: Option<NodeId>,
        voted_for: Option<NodeId>,
        log_length: LogIndex,
        commit_index: LogIndex,
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
        proposal: ProposalId,
        leader: Option<NodeId>,
    },
    Commit {
        index: LogIndex,
    },
    Violation {
        property: &'static str,
        message: &'a str,
        node: Option<NodeId>,
    },
}

impl<'a> Record<'a> {
    fn of(event: &TraceEvent<'a>) -> Record<'a> {
        match *event {
            TraceEvent::Send {
                from,
                to,
                id,
                msg,
                fate,
            } => Record::Send {
                from,
                to,
                id,
                msg: msg.kind(),
                term: msg.term(),
                fields: MessageFields::of(msg),
                fate: fate.into(),
            },
            TraceEvent::Deliver { from, to, id, msg } => Record::Deliver {
                from,
                to,
                id,
                msg: msg.kind(),
                term: msg.term(),
            },
            TraceEvent::Drop {
                from,
                to,
                id,
                msg,
                reason,
            } => Record::Drop {
                from,
                to,
                id,
                msg: msg.kind(),
                term: msg.term(),
                reason,
            },
            TraceEvent::Timer { node, kind } => Record::Timer {
                node,
                timer: kind.name(),
            },
            TraceEvent::State {
                node,
                term,
                role,
                leader,
                voted_for,
                log_length,
                commit_index,
            } => Record::State {
                node,
                term,
                voted_for,
                log_length,
                commit_index,
                role: role.name(),
                leader,
            },
            TraceEvent::Crash { node } => Record::Crash { node },
            TraceEvent::Restart { node } => Record::Restart { node },
            TraceEvent::Fault {
                index,
                description,
                skipped,
            } => Record::Fault {
                index,
                description,
                skipped,
            },
            TraceEvent::Propose { id, leader } => Record::Propose {
                proposal: id,
                leader,
            },
            TraceEvent::Commit { index } => Record::Commit { index },
            TraceEvent::Violation {
                property,
                message,
                node,
            } => Record::Violation {
                property: property.name(),
                message,
                node,
            },
        }
    }
}

/// Writes one JSON object per line for every trace event.
pub struct JsonLinesTracer<W: Write> {
    out: W,
    seq: u64,
}

impl<W: Write> JsonLinesTracer<W> {
    pub fn new(out: W) -> Self {
        JsonLinesTracer { out, seq: 0 }
    }
}

impl<W: Write> Tracer for JsonLinesTracer<W> {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        let line = Line {
            seq: self.seq,
            at_us: at.as_us(),
            record: Record::of(event),
        };
        self.seq += 1;
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
