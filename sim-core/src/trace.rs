//! The event trace. Owns the record of what a run did, in the order the
//! engine did it: the trace hash (every run has one) and, when asked, a
//! writer of JSON Lines (and, in `chrome`, of Chrome trace-event JSON). It
//! observes; it never changes a run.

use std::io::{self, Write};

pub mod chrome;
pub use chrome::ChromeTracer;

use crate::network::Fate;
use crate::raft::{
    AppendEntries, AppendResponse, DlHeartbeat, DlHeartbeatReply, DlVote, DlVoteReply, LogIndex,
    Message, NodeId, ProposalId, RequestVote, Role, Term, TimerKind, VoteResponse,
};
use crate::time::Instant;

/// Why a message never reached its receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl DropReason {
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::LinkCut => "link_cut",
            DropReason::CutInFlight => "cut_in_flight",
            DropReason::NodeDown => "node_down",
            DropReason::SenderCrashed => "sender_crashed",
        }
    }
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
    /// A node's term, role or leader changed.
    State {
        node: NodeId,
        term: Term,
        role: Role,
        leader: Option<NodeId>,
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
}

/// Receives every trace event of a run, in execution order.
pub trait Tracer {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
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
        }
    }

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

/// The fields of a message beyond its kind and term, as JSON members.
fn message_fields(msg: &Message) -> String {
    match msg {
        Message::RequestVote(RequestVote {
            last_log_index,
            last_log_term,
            ..
        }) => format!(",\"last_log_index\":{last_log_index},\"last_log_term\":{last_log_term}"),
        Message::VoteResponse(VoteResponse { granted, .. }) => format!(",\"granted\":{granted}"),
        Message::AppendEntries(AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            ..
        }) => format!(
            ",\"prev_log_index\":{prev_log_index},\"prev_log_term\":{prev_log_term},\"entries\":{},\"leader_commit\":{leader_commit}",
            entries.len()
        ),
        Message::AppendResponse(AppendResponse { success, index, .. }) => {
            format!(",\"success\":{success},\"index\":{index}")
        }
        Message::DlVote(DlVote {
            ledger_end_term,
            ledger_end_index,
            round,
            ..
        }) => format!(
            ",\"ledger_end_term\":{ledger_end_term},\"ledger_end_index\":{ledger_end_index},\"round\":{round}"
        ),
        Message::DlVoteReply(DlVoteReply { result, round, .. }) => {
            format!(",\"result\":\"{result:?}\",\"round\":{round}")
        }
        Message::DlHeartbeat(DlHeartbeat { round, .. }) => format!(",\"round\":{round}"),
        Message::DlHeartbeatReply(DlHeartbeatReply { code, round, .. }) => {
            format!(",\"code\":\"{code:?}\",\"round\":{round}")
        }
    }
}

fn opt_node(node: Option<NodeId>) -> String {
    node.map_or_else(|| "null".to_string(), |n| n.to_string())
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
        let out = &mut self.out;
        write!(out, "{{\"seq\":{},\"at_us\":{}", self.seq, at.as_us())?;
        self.seq += 1;
        match *event {
            TraceEvent::Send {
                from,
                to,
                id,
                msg,
                fate,
            } => {
                write!(
                    out,
                    ",\"kind\":\"send\",\"from\":{from},\"to\":{to},\"id\":{id},\"msg\":\"{}\",\"term\":{}{}",
                    msg.kind(),
                    msg.term(),
                    message_fields(msg)
                )?;
                match fate {
                    Fate::Cut => write!(out, ",\"fate\":\"link_cut\"")?,
                    Fate::Lost => write!(out, ",\"fate\":\"lost\"")?,
                    Fate::Arrives { at, duplicate_at } => {
                        write!(out, ",\"fate\":\"arrives\",\"arrive_us\":{}", at.as_us())?;
                        if let Some(dup) = duplicate_at {
                            write!(out, ",\"duplicate_us\":{}", dup.as_us())?;
                        }
                    }
                }
            }
            TraceEvent::Deliver { from, to, id, msg } => write!(
                out,
                ",\"kind\":\"deliver\",\"from\":{from},\"to\":{to},\"id\":{id},\"msg\":\"{}\",\"term\":{}",
                msg.kind(),
                msg.term()
            )?,
            TraceEvent::Drop {
                from,
                to,
                id,
                msg,
                reason,
            } => write!(
                out,
                ",\"kind\":\"drop\",\"from\":{from},\"to\":{to},\"id\":{},\"msg\":\"{}\",\"term\":{},\"reason\":\"{}\"",
                id.map_or_else(|| "null".to_string(), |id| id.to_string()),
                msg.kind(),
                msg.term(),
                reason.name()
            )?,
            TraceEvent::Timer { node, kind } => write!(
                out,
                ",\"kind\":\"timer\",\"node\":{node},\"timer\":\"{}\"",
                kind.name()
            )?,
            TraceEvent::State {
                node,
                term,
                role,
                leader,
            } => write!(
                out,
                ",\"kind\":\"state\",\"node\":{node},\"term\":{term},\"role\":\"{}\",\"leader\":{}",
                role.name(),
                opt_node(leader)
            )?,
            TraceEvent::Crash { node } => write!(out, ",\"kind\":\"crash\",\"node\":{node}")?,
            TraceEvent::Restart { node } => write!(out, ",\"kind\":\"restart\",\"node\":{node}")?,
            TraceEvent::Fault {
                index,
                description,
                skipped,
            } => write!(
                out,
                ",\"kind\":\"fault\",\"index\":{index},\"description\":{},\"skipped\":{skipped}",
                serde_json::to_string(description).map_err(io::Error::other)?
            )?,
            TraceEvent::Propose { id, leader } => write!(
                out,
                ",\"kind\":\"propose\",\"proposal\":{id},\"leader\":{}",
                opt_node(leader)
            )?,
            TraceEvent::Commit { index } => {
                write!(out, ",\"kind\":\"commit\",\"index\":{index}")?
            }
        }
        writeln!(out, "}}")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
