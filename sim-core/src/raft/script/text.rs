//! The text form of the node's messages and actions, both ways. This is the
//! only code of the script interpreter that knows the shape of the model's
//! messages and of [`Action`]: [`ScriptMessage`] reads and prints a
//! classic or a DLedger message, `format_action` prints an action.
//! Everything else goes through these.
//!
//! ```text
//! RequestVote{term=5 last_index=7 last_term=4}     PreVote{...same fields}
//! VoteResponse{term=5 granted=true}               PreVoteResponse{...same fields}
//! AppendEntries{term=4 prev_index=2 prev_term=1 entries=[4,4:p7] commit=2}
//! AppendResponse{term=4 success=true index=4}
//! DlVote{term=3 end_term=2 end_index=2 round=1}
//! DlVoteReply{term=3 result=ACCEPT round=1}
//! DlHeartbeat{term=3 round=1}
//! DlHeartbeatReply{term=3 code=SUCCESS round=1}
//! ```
//!
//! Actions print as `send 2 <message>` (or `send-now 2 <message>` for one
//! that leaves without waiting for the node's writes: a classic leader's
//! appends), `set-timer election at=234.5ms`,
//! `cancel-timer heartbeat`, `persist term=5 vote=2 log_from=3 entries=[5]`
//! and `note campaign-started term=5` (also `pre-vote-started`, `deposed`).

use super::fields::{format_entries, format_instant, format_snapshot, Fields};
use crate::node::{Action, Note, SendTiming};
use crate::node::{Membership, NodeId, NodeSet};
use crate::raft::{
    AppendEntries, AppendResponse, DlElection, DlHeartbeat, DlHeartbeatReply, DlVote, DlVoteReply,
    HeartbeatCode, InstallSnapshot, Message, RequestVote, TimeoutNow, Vote, VoteResponse,
    VoteResult,
};

/// A snapshot's configuration in a script: `voters=(1,2,3)`, by default
/// nodes 1..=3 (the scripts' usual cluster).
fn script_config(voters: Option<String>) -> Result<Membership, String> {
    let Some(text) = voters else {
        return Ok(Membership::of_voters(NodeSet::first(3)));
    };
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| format!("voters={text}: expected a list like (1,2,3)"))?;
    let ids = inner
        .split(',')
        .map(|n| n.parse::<u32>().map(NodeId))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| format!("voters={text}: expected a list like (1,2,3)"))?;
    Ok(Membership::of_voters(NodeSet::of(ids)))
}

/// DLedger's own names for a voter's answers (`VoteResponse.RESULT`).
const VOTE_RESULTS: [(VoteResult, &str); 8] = [
    (VoteResult::Accept, "ACCEPT"),
    (VoteResult::RejectAlreadyVoted, "REJECT_ALREADY_VOTED"),
    (
        VoteResult::RejectAlreadyHasLeader,
        "REJECT_ALREADY_HAS_LEADER",
    ),
    (
        VoteResult::RejectExpiredVoteTerm,
        "REJECT_EXPIRED_VOTE_TERM",
    ),
    (
        VoteResult::RejectTermSmallThanLedger,
        "REJECT_TERM_SMALL_THAN_LEDGER",
    ),
    (
        VoteResult::RejectExpiredLedgerTerm,
        "REJECT_EXPIRED_LEDGER_TERM",
    ),
    (
        VoteResult::RejectSmallLedgerEndIndex,
        "REJECT_SMALL_LEDGER_END_INDEX",
    ),
    (VoteResult::RejectTermNotReady, "REJECT_TERM_NOT_READY"),
];

/// DLedger's names for a follower's answers to a heartbeat.
const HEARTBEAT_CODES: [(HeartbeatCode, &str); 4] = [
    (HeartbeatCode::Success, "SUCCESS"),
    (HeartbeatCode::ExpiredTerm, "EXPIRED_TERM"),
    (HeartbeatCode::InconsistentLeader, "INCONSISTENT_LEADER"),
    (HeartbeatCode::TermNotReady, "TERM_NOT_READY"),
];

fn vote_result_name(result: VoteResult) -> &'static str {
    VOTE_RESULTS
        .iter()
        .find(|(r, _)| *r == result)
        .map(|(_, name)| *name)
        .expect("every VoteResult has a name")
}

fn heartbeat_code_name(code: HeartbeatCode) -> &'static str {
    HEARTBEAT_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
        .expect("every HeartbeatCode has a name")
}

/// A message type the scripts can read and print.
pub(super) trait ScriptMessage: Sized {
    /// The kinds `parse_kind` reads, for error messages.
    const KINDS: &'static str;
    /// Reads a message of kind `kind` from its fields; `None` for a kind
    /// this type does not have.
    fn parse_kind(kind: &str, f: &mut Fields) -> Result<Option<Self>, String>;
    fn format(&self) -> String;
}

/// Reads `Kind{key=value ...}`. Every field must be given, exactly once.
pub(super) fn parse_message<M: ScriptMessage>(text: &str) -> Result<M, String> {
    let (kind, body) = text
        .split_once('{')
        .ok_or_else(|| format!("`{text}` is not a message: expected Kind{{key=value ...}}"))?;
    let body = body
        .strip_suffix('}')
        .ok_or_else(|| format!("message `{text}` does not end with `}}`"))?;
    let mut f = Fields::parse(body.split_whitespace())?;
    let msg = M::parse_kind(kind, &mut f)?.ok_or_else(|| {
        format!(
            "unknown message kind `{kind}` for this node (expected {})",
            M::KINDS
        )
    })?;
    f.finish()?;
    Ok(msg)
}

/// The election messages of one elector, as scripts read and print them.
pub(super) trait ScriptElection: Sized {
    const KINDS: &'static str;
    fn parse_kind(kind: &str, f: &mut Fields) -> Result<Option<Self>, String>;
    fn format(&self) -> String;
}

impl<E: ScriptElection> ScriptMessage for Message<E> {
    const KINDS: &'static str = E::KINDS;

    fn parse_kind(kind: &str, f: &mut Fields) -> Result<Option<Self>, String> {
        Ok(Some(match kind {
            "AppendEntries" => Message::AppendEntries(AppendEntries {
                term: f.u64("term")?,
                prev_log_index: f.u64("prev_index")?,
                prev_log_term: f.u64("prev_term")?,
                entries: f.entries("entries")?,
                leader_commit: f.u64("commit")?,
            }),
            "AppendResponse" => Message::AppendResponse(AppendResponse {
                term: f.u64("term")?,
                success: f.bool("success")?,
                index: f.u64("index")?,
            }),
            "InstallSnapshot" => Message::InstallSnapshot(InstallSnapshot {
                term: f.u64("term")?,
                last_index: f.u64("index")?,
                last_term: f.u64("last_term")?,
                config: script_config(f.take("voters")?)?,
                bytes: f.u64("bytes")?,
            }),
            other => return Ok(E::parse_kind(other, f)?.map(Message::Election)),
        }))
    }

    fn format(&self) -> String {
        match self {
            Message::AppendEntries(AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            }) => format!(
                "AppendEntries{{term={term} prev_index={prev_log_index} prev_term={prev_log_term} \
                 entries={} commit={leader_commit}}}",
                format_entries(entries)
            ),
            Message::AppendResponse(AppendResponse {
                term,
                success,
                index,
            }) => format!("AppendResponse{{term={term} success={success} index={index}}}"),
            Message::InstallSnapshot(InstallSnapshot {
                term,
                last_index,
                last_term,
                config,
                bytes,
            }) => {
                let voters = match *config == script_config(None).expect("the default") {
                    true => String::new(),
                    false => format!(" voters={}", config.voters),
                };
                format!(
                    "InstallSnapshot{{term={term} index={last_index} last_term={last_term}{voters} \
                     bytes={bytes}}}"
                )
            }
            Message::Election(election) => election.format(),
        }
    }
}

impl ScriptElection for Vote {
    const KINDS: &'static str = "RequestVote, PreVote, VoteResponse, PreVoteResponse, \
                                 TimeoutNow, AppendEntries, AppendResponse or InstallSnapshot";

    fn parse_kind(kind: &str, f: &mut Fields) -> Result<Option<Self>, String> {
        Ok(Some(match kind {
            "RequestVote" | "PreVote" => Vote::Request(RequestVote {
                term: f.u64("term")?,
                last_log_index: f.u64("last_index")?,
                last_log_term: f.u64("last_term")?,
                pre_vote: kind == "PreVote",
                transfer: f.flag("transfer")?,
            }),
            "TimeoutNow" => Vote::TimeoutNow(TimeoutNow {
                term: f.u64("term")?,
            }),
            "VoteResponse" | "PreVoteResponse" => Vote::Response(VoteResponse {
                term: f.u64("term")?,
                granted: f.bool("granted")?,
                pre_vote: kind == "PreVoteResponse",
            }),
            _ => return Ok(None),
        }))
    }

    fn format(&self) -> String {
        match self {
            Vote::Request(RequestVote {
                term,
                last_log_index,
                last_log_term,
                pre_vote,
                transfer,
            }) => {
                let kind = if *pre_vote { "PreVote" } else { "RequestVote" };
                let transfer = if *transfer { " transfer" } else { "" };
                format!(
                    "{kind}{{term={term} last_index={last_log_index} last_term={last_log_term}{transfer}}}"
                )
            }
            Vote::TimeoutNow(TimeoutNow { term }) => format!("TimeoutNow{{term={term}}}"),
            Vote::Response(VoteResponse {
                term,
                granted,
                pre_vote,
            }) => {
                let kind = if *pre_vote {
                    "PreVoteResponse"
                } else {
                    "VoteResponse"
                };
                format!("{kind}{{term={term} granted={granted}}}")
            }
        }
    }
}

impl ScriptElection for DlElection {
    const KINDS: &'static str = "DlVote, DlVoteReply, DlHeartbeat, DlHeartbeatReply, \
                                 AppendEntries, AppendResponse or InstallSnapshot";

    fn parse_kind(kind: &str, f: &mut Fields) -> Result<Option<Self>, String> {
        Ok(Some(match kind {
            "DlVote" => DlElection::Vote(DlVote {
                term: f.u64("term")?,
                ledger_end_term: f.u64("end_term")?,
                ledger_end_index: f.u64("end_index")?,
                round: f.u64("round")?,
            }),
            "DlVoteReply" => DlElection::VoteReply(DlVoteReply {
                term: f.u64("term")?,
                result: f.named("result", &VOTE_RESULTS)?,
                round: f.u64("round")?,
            }),
            "DlHeartbeat" => DlElection::Heartbeat(DlHeartbeat {
                term: f.u64("term")?,
                round: f.u64("round")?,
            }),
            "DlHeartbeatReply" => DlElection::HeartbeatReply(DlHeartbeatReply {
                term: f.u64("term")?,
                code: f.named("code", &HEARTBEAT_CODES)?,
                round: f.u64("round")?,
            }),
            _ => return Ok(None),
        }))
    }

    fn format(&self) -> String {
        match self {
            DlElection::Vote(DlVote {
                term,
                ledger_end_term,
                ledger_end_index,
                round,
            }) => format!(
                "DlVote{{term={term} end_term={ledger_end_term} end_index={ledger_end_index} \
                 round={round}}}"
            ),
            DlElection::VoteReply(DlVoteReply {
                term,
                result,
                round,
            }) => format!(
                "DlVoteReply{{term={term} result={} round={round}}}",
                vote_result_name(*result)
            ),
            DlElection::Heartbeat(DlHeartbeat { term, round }) => {
                format!("DlHeartbeat{{term={term} round={round}}}")
            }
            DlElection::HeartbeatReply(DlHeartbeatReply { term, code, round }) => format!(
                "DlHeartbeatReply{{term={term} code={} round={round}}}",
                heartbeat_code_name(*code)
            ),
        }
    }
}

/// Prints one action as a line of a command's output.
pub(super) fn format_action<M: ScriptMessage>(action: &Action<M>) -> String {
    match action {
        Action::Send {
            to,
            msg,
            timing: SendTiming::AfterWrites,
        } => format!("send {to} {}", msg.format()),
        Action::Send {
            to,
            msg,
            timing: SendTiming::Now,
        } => format!("send-now {to} {}", msg.format()),
        Action::SetTimer { kind, at } => {
            format!("set-timer {} at={}", kind.name(), format_instant(*at))
        }
        Action::CancelTimer { kind } => format!("cancel-timer {}", kind.name()),
        Action::Persist(write) => format!(
            "persist term={} vote={}{} log_from={} entries={}",
            write.term,
            write
                .voted_for
                .map_or_else(|| "none".to_string(), |v| v.to_string()),
            write
                .snapshot
                .map_or_else(String::new, |s| format_snapshot(s.index, s.term)),
            write.log_from,
            format_entries(&write.entries)
        ),
        Action::Note(Note::PreVoteStarted { term }) => format!("note pre-vote-started term={term}"),
        Action::Note(Note::CampaignStarted { term }) => {
            format!("note campaign-started term={term}")
        }
        Action::Note(Note::Deposed { by_term }) => format!("note deposed by_term={by_term}"),
    }
}
