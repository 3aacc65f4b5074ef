//! The messages nodes exchange: one payload struct per kind, so a handler
//! takes `&RequestVote` rather than the message unpacked into arguments.
//! Every message carries its sender's term ([`Message::term`]).

use super::{Entry, LogIndex, SnapshotConfig, Term};

pub use crate::raftrs::{RaftRsFields, RaftRsMessage};

/// Messages between nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    RequestVote(RequestVote),
    VoteResponse(VoteResponse),
    AppendEntries(AppendEntries),
    AppendResponse(AppendResponse),
    /// Answered with an [`AppendResponse`] (success, the snapshot's index).
    InstallSnapshot(InstallSnapshot),
    DlVote(DlVote),
    DlVoteReply(DlVoteReply),
    DlHeartbeat(DlHeartbeat),
    DlHeartbeatReply(DlHeartbeatReply),
    /// A message of TiKV's raft-rs, carried as the library made it.
    RaftRs(RaftRsMessage),
}

/// A (pre-)vote request. For a pre-vote, `term` is the term the sender
/// would campaign in (its own term + 1); the sender's term is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestVote {
    pub term: Term,
    pub last_log_index: LogIndex,
    pub last_log_term: Term,
    pub pre_vote: bool,
}

/// A grant carries the request's term; a refusal carries the voter's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteResponse {
    pub term: Term,
    pub granted: bool,
    pub pre_vote: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntries {
    pub term: Term,
    pub prev_log_index: LogIndex,
    pub prev_log_term: Term,
    pub entries: Vec<Entry>,
    pub leader_commit: LogIndex,
}

/// On success `index` is the follower's match index; on refusal, the
/// index the leader should try next minus one (the follower's hint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendResponse {
    pub term: Term,
    pub success: bool,
    pub index: LogIndex,
}

/// A leader's snapshot for a follower behind the leader's compacted log:
/// the state up to (`last_index`, `last_term`), `bytes` long (its transfer
/// takes `bytes` at the configured bandwidth on top of the link's latency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstallSnapshot {
    pub term: Term,
    pub last_index: LogIndex,
    pub last_term: Term,
    pub bytes: u64,
}

/// DLedger's vote request. `round` numbers the sender's vote rounds, so a
/// late reply is never counted in a later round of the same term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DlVote {
    pub term: Term,
    pub ledger_end_term: Term,
    pub ledger_end_index: LogIndex,
    pub round: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DlVoteReply {
    pub term: Term,
    pub result: VoteResult,
    pub round: u64,
}

/// DLedger's heartbeat (only heartbeats reset a DLedger follower's timer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DlHeartbeat {
    pub term: Term,
    pub round: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DlHeartbeatReply {
    pub term: Term,
    pub code: HeartbeatCode,
    pub round: u64,
}

/// A DLedger voter's answer (DLedger's `VoteResponse.RESULT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteResult {
    Accept,
    RejectAlreadyVoted,
    RejectAlreadyHasLeader,
    RejectExpiredVoteTerm,
    RejectTermSmallThanLedger,
    RejectExpiredLedgerTerm,
    RejectSmallLedgerEndIndex,
    RejectTermNotReady,
}

/// A DLedger follower's answer to a heartbeat (DLedger's `DLedgerResponseCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeartbeatCode {
    Success,
    ExpiredTerm,
    InconsistentLeader,
    TermNotReady,
}

impl Message {
    pub fn term(&self) -> Term {
        match self {
            Message::RequestVote(m) => m.term,
            Message::VoteResponse(m) => m.term,
            Message::AppendEntries(m) => m.term,
            Message::AppendResponse(m) => m.term,
            Message::InstallSnapshot(m) => m.term,
            Message::DlVote(m) => m.term,
            Message::DlVoteReply(m) => m.term,
            Message::DlHeartbeat(m) => m.term,
            Message::DlHeartbeatReply(m) => m.term,
            Message::RaftRs(m) => m.term(),
        }
    }

    /// The bytes a snapshot message carries, if it is one (the cluster
    /// adds their transfer time to the link's latency): what the model's
    /// `InstallSnapshot` says; for raft-rs's, its size by the model's rule.
    pub fn snapshot_bytes(&self, config: &SnapshotConfig) -> Option<u64> {
        match self {
            Message::InstallSnapshot(snapshot) => Some(snapshot.bytes),
            Message::RaftRs(msg) => msg.snapshot_index().map(|index| config.bytes(index)),
            _ => None,
        }
    }

    /// A short stable name, for traces and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::RequestVote(m) if m.pre_vote => "PreVote",
            Message::RequestVote(_) => "RequestVote",
            Message::VoteResponse(m) if m.pre_vote => "PreVoteResponse",
            Message::VoteResponse(_) => "VoteResponse",
            Message::AppendEntries(_) => "AppendEntries",
            Message::AppendResponse(_) => "AppendResponse",
            Message::InstallSnapshot(_) => "InstallSnapshot",
            Message::DlVote(_) => "DlVote",
            Message::DlVoteReply(_) => "DlVoteReply",
            Message::DlHeartbeat(_) => "DlHeartbeat",
            Message::DlHeartbeatReply(_) => "DlHeartbeatReply",
            Message::RaftRs(m) => m.kind(),
        }
    }
}
