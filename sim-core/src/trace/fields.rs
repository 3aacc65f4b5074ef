//! The fields a trace writes for a message beyond its kind and term, and
//! for its fate when sent: shared by both trace formats.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::network::Fate;
use crate::raft::{
    AppendEntries, AppendResponse, DlHeartbeat, DlHeartbeatReply, DlVote, DlVoteReply,
    HeartbeatCode, LogIndex, Message, RequestVote, Term, VoteResponse, VoteResult,
};
use crate::time::Instant;

/// A value written as the text of its `Debug` form (DLedger's answer codes).
pub(crate) struct AsDebug<T>(T);

impl<T: fmt::Debug> Serialize for AsDebug<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:?}", self.0))
    }
}

/// The fields of a message beyond its kind and term.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum MessageFields {
    Vote {
        last_log_index: LogIndex,
        last_log_term: Term,
    },
    VoteResponse {
        granted: bool,
    },
    Append {
        prev_log_index: LogIndex,
        prev_log_term: Term,
        /// How many entries the message carries.
        entries: usize,
        leader_commit: LogIndex,
    },
    AppendResponse {
        success: bool,
        index: LogIndex,
    },
    Snapshot {
        last_index: LogIndex,
        last_term: Term,
        bytes: u64,
    },
    DlVote {
        ledger_end_term: Term,
        ledger_end_index: LogIndex,
        round: u64,
    },
    DlVoteReply {
        result: AsDebug<VoteResult>,
        round: u64,
    },
    DlHeartbeat {
        round: u64,
    },
    DlHeartbeatReply {
        code: AsDebug<HeartbeatCode>,
        round: u64,
    },
    RaftRs {
        index: LogIndex,
        log_term: Term,
        /// How many entries the message carries.
        entries: usize,
        commit: LogIndex,
        reject: bool,
    },
}

impl MessageFields {
    pub(crate) fn of(msg: &Message) -> MessageFields {
        match msg {
            Message::RequestVote(RequestVote {
                last_log_index,
                last_log_term,
                ..
            }) => MessageFields::Vote {
                last_log_index: *last_log_index,
                last_log_term: *last_log_term,
            },
            Message::VoteResponse(VoteResponse { granted, .. }) => {
                MessageFields::VoteResponse { granted: *granted }
            }
            Message::AppendEntries(AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                ..
            }) => MessageFields::Append {
                prev_log_index: *prev_log_index,
                prev_log_term: *prev_log_term,
                entries: entries.len(),
                leader_commit: *leader_commit,
            },
            Message::AppendResponse(AppendResponse { success, index, .. }) => {
                MessageFields::AppendResponse {
                    success: *success,
                    index: *index,
                }
            }
            Message::InstallSnapshot(snapshot) => MessageFields::Snapshot {
                last_index: snapshot.last_index,
                last_term: snapshot.last_term,
                bytes: snapshot.bytes,
            },
            Message::DlVote(DlVote {
                ledger_end_term,
                ledger_end_index,
                round,
                ..
            }) => MessageFields::DlVote {
                ledger_end_term: *ledger_end_term,
                ledger_end_index: *ledger_end_index,
                round: *round,
            },
            Message::DlVoteReply(DlVoteReply { result, round, .. }) => MessageFields::DlVoteReply {
                result: AsDebug(*result),
                round: *round,
            },
            Message::DlHeartbeat(DlHeartbeat { round, .. }) => {
                MessageFields::DlHeartbeat { round: *round }
            }
            Message::DlHeartbeatReply(DlHeartbeatReply { code, round, .. }) => {
                MessageFields::DlHeartbeatReply {
                    code: AsDebug(*code),
                    round: *round,
                }
            }
            Message::RaftRs(msg) => {
                let f = msg.fields();
                MessageFields::RaftRs {
                    index: f.index,
                    log_term: f.log_term,
                    entries: f.entries,
                    commit: f.commit,
                    reject: f.reject,
                }
            }
        }
    }
}

/// What the network decided for a message when it was sent, as the
/// `fate` field and the times that go with it (both trace formats).
#[derive(Serialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub(crate) enum FateFields {
    LinkCut,
    Lost,
    Arrives {
        arrive_us: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        duplicate_us: Option<u64>,
    },
}

impl From<Fate> for FateFields {
    fn from(fate: Fate) -> FateFields {
        match fate {
            Fate::Cut => FateFields::LinkCut,
            Fate::Lost => FateFields::Lost,
            Fate::Arrives { at, duplicate_at } => FateFields::Arrives {
                arrive_us: at.as_us(),
                duplicate_us: duplicate_at.map(Instant::as_us),
            },
        }
    }
}
