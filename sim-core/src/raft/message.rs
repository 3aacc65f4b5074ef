//! The model's messages. Replication is shared by both electors
//! (AppendEntries, its answer, InstallSnapshot); each elector adds its own
//! election messages: classic Raft its (pre-)votes ([`Vote`]), DLedger its
//! votes and heartbeats ([`DlElection`]). A node of one elector can only
//! ever receive messages of its own kind: [`ClassicMessage`] and
//! [`DLedgerMessage`] are different types. Every message carries its
//! sender's term.
//!
//! How traces, diagrams and the trace hash see them (`WireMessage`) is here
//! too, next to the shapes it describes.

use std::fmt;

use crate::node::{
    Digest, Entry, Fields, LogIndex, Membership, MessageClass, MessageView, SnapshotConfig, Term,
    WireMessage,
};

/// A message of the model; `E` is the elector's own messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message<E> {
    AppendEntries(AppendEntries),
    AppendResponse(AppendResponse),
    /// Answered with an [`AppendResponse`] (success, the snapshot's index).
    InstallSnapshot(InstallSnapshot),
    Election(E),
}

/// What classic Raft nodes exchange.
pub type ClassicMessage = Message<Vote>;
/// What DLedger nodes exchange.
pub type DLedgerMessage = Message<DlElection>;

/// Classic Raft's election messages: (pre-)vote requests and answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vote {
    Request(RequestVote),
    Response(VoteResponse),
    TimeoutNow(TimeoutNow),
}

/// DLedger's election messages: vote rounds and heartbeats (only
/// heartbeats install a leader and keep a follower following).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DlElection {
    Vote(DlVote),
    VoteReply(DlVoteReply),
    Heartbeat(DlHeartbeat),
    HeartbeatReply(DlHeartbeatReply),
}

/// A (pre-)vote request. For a pre-vote, `term` is the term the sender
/// would campaign in (its own term + 1); the sender's term is unchanged.
/// `transfer` marks a campaign a leader asked for (TimeoutNow): voters
/// grant it past their lease (Raft thesis §3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestVote {
    pub term: Term,
    pub last_log_index: LogIndex,
    pub last_log_term: Term,
    pub pre_vote: bool,
    pub transfer: bool,
}

/// A leader handing over its leadership tells the target, whose log is
/// up to date, to stand at once (Raft thesis §3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutNow {
    pub term: Term,
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
    /// The configuration in force at `last_index`.
    pub config: Membership,
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

impl VoteResult {
    /// The name traces show.
    pub fn name(self) -> &'static str {
        match self {
            VoteResult::Accept => "Accept",
            VoteResult::RejectAlreadyVoted => "RejectAlreadyVoted",
            VoteResult::RejectAlreadyHasLeader => "RejectAlreadyHasLeader",
            VoteResult::RejectExpiredVoteTerm => "RejectExpiredVoteTerm",
            VoteResult::RejectTermSmallThanLedger => "RejectTermSmallThanLedger",
            VoteResult::RejectExpiredLedgerTerm => "RejectExpiredLedgerTerm",
            VoteResult::RejectSmallLedgerEndIndex => "RejectSmallLedgerEndIndex",
            VoteResult::RejectTermNotReady => "RejectTermNotReady",
        }
    }
}

/// A DLedger follower's answer to a heartbeat (DLedger's `DLedgerResponseCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeartbeatCode {
    Success,
    ExpiredTerm,
    InconsistentLeader,
    TermNotReady,
}

impl HeartbeatCode {
    /// The name traces show.
    pub fn name(self) -> &'static str {
        match self {
            HeartbeatCode::Success => "Success",
            HeartbeatCode::ExpiredTerm => "ExpiredTerm",
            HeartbeatCode::InconsistentLeader => "InconsistentLeader",
            HeartbeatCode::TermNotReady => "TermNotReady",
        }
    }
}

/// An elector's message travels as a model message:
/// `Vote::Request(request).into()`.
impl<E> From<E> for Message<E> {
    fn from(election: E) -> Self {
        Message::Election(election)
    }
}

// ----- how observers see them ------------------------------------------

/// An elector's own messages as [`WireMessage`] needs them: what differs
/// between electors. None of them carries a snapshot or log entries, so
/// [`Message`] answers `snapshot_bytes` and `held_bytes` for them.
pub trait ElectionMessage: MessageView + Clone + fmt::Debug + 'static {
    /// As [`WireMessage::granted_vote`].
    fn granted_vote(&self) -> Option<Term>;

    /// As [`WireMessage::digest`]: part of every golden trace hash.
    fn digest(&self, digest: &mut impl Digest);
}

impl<E: ElectionMessage> MessageView for Message<E> {
    fn term(&self) -> Term {
        match self {
            Message::AppendEntries(m) => m.term,
            Message::AppendResponse(m) => m.term,
            Message::InstallSnapshot(m) => m.term,
            Message::Election(m) => m.term(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Message::AppendEntries(_) => "AppendEntries",
            Message::AppendResponse(_) => "AppendResponse",
            Message::InstallSnapshot(_) => "InstallSnapshot",
            Message::Election(m) => m.kind(),
        }
    }

    fn class(&self) -> MessageClass {
        match self {
            Message::AppendEntries(_) | Message::InstallSnapshot(_) => MessageClass::Append,
            Message::AppendResponse(_) => MessageClass::AppendReply,
            Message::Election(m) => m.class(),
        }
    }

    fn answer(&self) -> Option<bool> {
        match self {
            Message::AppendResponse(m) => Some(m.success),
            Message::AppendEntries(_) | Message::InstallSnapshot(_) => None,
            Message::Election(m) => m.answer(),
        }
    }

    fn fields(&self) -> Fields {
        let fields = Fields::default();
        match self {
            Message::AppendEntries(m) => fields
                .number("prev_log_index", m.prev_log_index)
                .number("prev_log_term", m.prev_log_term)
                .number("entries", m.entries.len() as u64)
                .number("leader_commit", m.leader_commit),
            Message::AppendResponse(m) => {
                fields.flag("success", m.success).number("index", m.index)
            }
            Message::InstallSnapshot(m) => fields
                .number("last_index", m.last_index)
                .number("last_term", m.last_term)
                .number("bytes", m.bytes),
            Message::Election(m) => m.fields(),
        }
    }
}

impl<E: ElectionMessage> WireMessage for Message<E> {
    fn granted_vote(&self) -> Option<Term> {
        match self {
            Message::AppendEntries(_)
            | Message::AppendResponse(_)
            | Message::InstallSnapshot(_) => None,
            Message::Election(m) => m.granted_vote(),
        }
    }

    fn snapshot_bytes(&self, _: &SnapshotConfig) -> Option<u64> {
        match self {
            Message::InstallSnapshot(m) => Some(m.bytes),
            Message::AppendEntries(_) | Message::AppendResponse(_) | Message::Election(_) => None,
        }
    }

    fn held_bytes(&self) -> u64 {
        match self {
            Message::AppendEntries(m) => std::mem::size_of_val(m.entries.as_slice()) as u64,
            Message::AppendResponse(_) | Message::InstallSnapshot(_) | Message::Election(_) => 0,
        }
    }

    #[inline(always)]
    fn digest(&self, d: &mut impl Digest) {
        match self {
            Message::AppendEntries(m) => {
                d.word(7);
                d.word(m.prev_log_index);
                d.word(m.entries.len() as u64);
                d.word(m.leader_commit);
            }
            Message::AppendResponse(m) => {
                d.word(8 + u64::from(m.success));
                d.word(m.index);
            }
            Message::InstallSnapshot(m) => {
                d.word(15);
                d.word(m.last_index);
                d.word(m.last_term);
                d.word(m.bytes);
            }
            Message::Election(m) => m.digest(d),
        }
    }
}

impl MessageView for Vote {
    fn term(&self) -> Term {
        match self {
            Vote::Request(m) => m.term,
            Vote::Response(m) => m.term,
            Vote::TimeoutNow(m) => m.term,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Vote::Request(m) if m.pre_vote => "PreVote",
            Vote::Request(_) => "RequestVote",
            Vote::Response(m) if m.pre_vote => "PreVoteResponse",
            Vote::Response(_) => "VoteResponse",
            Vote::TimeoutNow(_) => "TimeoutNow",
        }
    }

    fn class(&self) -> MessageClass {
        match self {
            Vote::Request(_) => MessageClass::VoteRequest,
            Vote::Response(_) => MessageClass::VoteReply,
            Vote::TimeoutNow(_) => MessageClass::Other,
        }
    }

    fn answer(&self) -> Option<bool> {
        match self {
            Vote::Request(_) | Vote::TimeoutNow(_) => None,
            Vote::Response(m) => Some(m.granted),
        }
    }

    fn fields(&self) -> Fields {
        let fields = Fields::default();
        match self {
            Vote::Request(m) => {
                let fields = fields
                    .number("last_log_index", m.last_log_index)
                    .number("last_log_term", m.last_log_term);
                // Only a transfer's campaign says so: other requests read
                // as they always have.
                match m.transfer {
                    true => fields.flag("transfer", true),
                    false => fields,
                }
            }
            Vote::Response(m) => fields.flag("granted", m.granted),
            Vote::TimeoutNow(_) => fields,
        }
    }
}

impl ElectionMessage for Vote {
    fn granted_vote(&self) -> Option<Term> {
        match self {
            Vote::Request(_) | Vote::TimeoutNow(_) => None,
            Vote::Response(m) => (m.granted && !m.pre_vote).then_some(m.term),
        }
    }

    #[inline(always)]
    fn digest(&self, d: &mut impl Digest) {
        match self {
            Vote::Request(m) => {
                d.word(1 + u64::from(m.pre_vote));
                d.word(m.last_log_index);
                d.word(m.last_log_term);
                if m.transfer {
                    d.word(17);
                }
            }
            Vote::Response(m) => d.word(3 + u64::from(m.pre_vote) * 2 + u64::from(m.granted)),
            Vote::TimeoutNow(_) => d.word(16),
        }
    }
}

impl MessageView for DlElection {
    fn term(&self) -> Term {
        match self {
            DlElection::Vote(m) => m.term,
            DlElection::VoteReply(m) => m.term,
            DlElection::Heartbeat(m) => m.term,
            DlElection::HeartbeatReply(m) => m.term,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            DlElection::Vote(_) => "DlVote",
            DlElection::VoteReply(_) => "DlVoteReply",
            DlElection::Heartbeat(_) => "DlHeartbeat",
            DlElection::HeartbeatReply(_) => "DlHeartbeatReply",
        }
    }

    fn class(&self) -> MessageClass {
        match self {
            DlElection::Vote(_) => MessageClass::VoteRequest,
            DlElection::VoteReply(_) => MessageClass::VoteReply,
            DlElection::Heartbeat(_) => MessageClass::Append,
            DlElection::HeartbeatReply(_) => MessageClass::AppendReply,
        }
    }

    fn answer(&self) -> Option<bool> {
        match self {
            DlElection::Vote(_) | DlElection::Heartbeat(_) => None,
            DlElection::VoteReply(m) => Some(m.result == VoteResult::Accept),
            DlElection::HeartbeatReply(m) => Some(m.code == HeartbeatCode::Success),
        }
    }

    fn fields(&self) -> Fields {
        let fields = Fields::default();
        match self {
            DlElection::Vote(m) => fields
                .number("ledger_end_term", m.ledger_end_term)
                .number("ledger_end_index", m.ledger_end_index)
                .number("round", m.round),
            DlElection::VoteReply(m) => fields
                .text("result", m.result.name())
                .number("round", m.round),
            DlElection::Heartbeat(m) => fields.number("round", m.round),
            DlElection::HeartbeatReply(m) => {
                fields.text("code", m.code.name()).number("round", m.round)
            }
        }
    }
}

impl ElectionMessage for DlElection {
    fn granted_vote(&self) -> Option<Term> {
        match self {
            DlElection::VoteReply(m) => (m.result == VoteResult::Accept).then_some(m.term),
            DlElection::Vote(_) | DlElection::Heartbeat(_) | DlElection::HeartbeatReply(_) => None,
        }
    }

    #[inline(always)]
    fn digest(&self, d: &mut impl Digest) {
        match self {
            DlElection::Vote(m) => {
                d.word(10);
                d.word(m.ledger_end_index);
                d.word(m.round);
            }
            DlElection::VoteReply(m) => {
                d.word(11 + m.result as u64 * 16);
                d.word(m.round);
            }
            DlElection::Heartbeat(m) => {
                d.word(12);
                d.word(m.round);
            }
            DlElection::HeartbeatReply(m) => {
                d.word(13 + m.code as u64 * 16);
                d.word(m.round);
            }
        }
    }
}
