//! DLedger's elector (openmessaging/dledger, `DLedgerLeaderElector`), as
//! `docs/DLEDGER.md` specifies it: the term rises only in `next_term()`,
//! candidates vote in rounds whose tally picks one of seven outcomes, voters
//! check the log before the term, and only heartbeats keep a follower
//! following. Here: the elector's state, its role changes, and how it
//! routes timers and messages; `dledger/vote.rs` holds the candidate's round
//! and the voter's checks, `dledger/heartbeat.rs` both sides of heartbeats.
//! Log replication is the shared core's (`replication.rs`); DLedger's only
//! differences there are which appends a follower takes and the leader's
//! resend timer.

mod heartbeat;
mod vote;

use super::message::{AppendResponse, DLedgerMessage, DlElection, Message};
use super::node::{Elector, Out};
use super::replication::Core;
use crate::node::{Action, MembershipChange, NodeId, Note, Role, Term, TimerKind};
use crate::time::Instant;

/// The actions of a DLedger node.
type Actions = Out<DlElection>;

/// The outcome of a vote round (DLedger's `VoteResponse.ParseResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseResult {
    WaitToRevote,
    RevoteImmediately,
    WaitToVoteNext,
    Passed,
}

/// DLedger's election state (docs/DLEDGER.md "State per node"); term, vote, role
/// and leader are the shared core's.
#[derive(Clone, Debug)]
pub struct DLedgerState {
    /// Only ever raised.
    pub(super) known_max_term: Term,
    pub(super) need_increase_term_immediately: bool,
    pub(super) next_vote_at: Instant,
    pub(super) last_parse_result: ParseResult,
    /// The last vote or heartbeat round started, to match replies to their
    /// round. It counts from the microsecond the node (re)started, so no
    /// round of one incarnation shares its number with an earlier one's
    /// (a round takes milliseconds): a real DLedger matches a reply to its
    /// request's future, which a restart loses with its connection, and a
    /// reply sent to a node before it crashed must not count for it after.
    pub(super) round_seq: u64,
    pub(super) vote_round: Option<vote::VoteTally>,
    heartbeat_round: Option<heartbeat::HeartbeatTally>,
    last_quorum_heartbeat_at: Instant,
    /// The last term in which this node started a vote round.
    last_campaign_term: Option<Term>,
}

impl DLedgerState {
    pub fn known_max_term(&self) -> Term {
        self.known_max_term
    }

    pub fn last_parse_result(&self) -> ParseResult {
        self.last_parse_result
    }
}

impl Elector for DLedgerState {
    type Election = DlElection;
    /// Not in DLedger: it re-elects a restarted leader in its old term, and
    /// an entry a follower got before the leader's crash lost it would then
    /// meet a different entry of the same index and term (log matching;
    /// found by the chaos generator). So a DLedger leader's appends, like
    /// everything else, leave only once its earlier writes are durable.
    const LEADER_WRITES_IN_PARALLEL: bool = false;

    /// DLedger nodes start (and restart) as candidates that vote at once.
    fn start(core: &mut Core, now: Instant, out: &mut Actions) -> Self {
        let mut elector = DLedgerState {
            known_max_term: core.term(),
            need_increase_term_immediately: false,
            next_vote_at: now,
            last_parse_result: ParseResult::WaitToRevote,
            round_seq: now.as_us(),
            vote_round: None,
            heartbeat_round: None,
            last_quorum_heartbeat_at: Instant::ZERO,
            last_campaign_term: None,
        };
        core.set_role(Role::Candidate, None);
        elector.arm_candidate_timer(now, out);
        elector
    }

    fn on_timer(&mut self, core: &mut Core, now: Instant, kind: TimerKind, out: &mut Actions) {
        match kind {
            TimerKind::Election => {
                // Follower heartbeat timeout: candidate in the same term,
                // asking for votes at once.
                if core.role() == Role::Follower {
                    self.next_vote_at = now;
                    self.become_candidate(core, now, core.term(), out);
                }
            }
            TimerKind::VoteRound => {
                if core.role() != Role::Candidate {
                    return;
                }
                if self.vote_round.is_some() {
                    self.end_vote_round(core, now, out);
                } else {
                    self.candidate_tick(core, now, out);
                }
            }
            TimerKind::Heartbeat => {
                if core.role() != Role::Leader {
                    return;
                }
                if self.heartbeat_round.is_some() {
                    self.end_heartbeat_round(core, now, out);
                }
                if core.role() == Role::Leader {
                    self.send_heartbeats(core, now, out);
                }
            }
            TimerKind::Replicate => {
                if core.role() != Role::Leader {
                    return;
                }
                core.resend_to_lagging(out);
                out.push(Action::SetTimer {
                    kind: TimerKind::Replicate,
                    at: now.plus_us(core.config().heartbeat_us),
                });
            }
            // Classic's CheckQuorum and transfer timers and the library
            // tick: a DLedger node never arms them.
            TimerKind::Quorum | TimerKind::Tick | TimerKind::Transfer => {}
        }
    }

    fn on_message(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        msg: &DLedgerMessage,
        out: &mut Actions,
    ) {
        match msg {
            Message::Election(DlElection::Vote(request)) => {
                self.on_vote_request(core, now, from, request, out)
            }
            Message::Election(DlElection::VoteReply(reply)) => {
                self.on_vote_reply(core, now, from, reply, out)
            }
            Message::Election(DlElection::Heartbeat(heartbeat)) => {
                self.on_heartbeat(core, now, from, heartbeat, out)
            }
            Message::Election(DlElection::HeartbeatReply(reply)) => {
                self.on_heartbeat_reply(core, now, from, reply, out)
            }
            Message::AppendEntries(append) => {
                if Self::takes_append(core, from, append.term, out) {
                    core.accept_append(from, append, out);
                }
            }
            Message::InstallSnapshot(snapshot) => {
                if Self::takes_append(core, from, snapshot.term, out) {
                    core.accept_snapshot(from, snapshot, out);
                }
            }
            Message::AppendResponse(response) => {
                self.on_append_response(core, now, from, response, out)
            }
        }
    }

    /// Never called: DLedger's configuration never changes here.
    fn step_down(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        self.become_candidate(core, now, core.term(), out);
    }

    fn change_membership(
        &mut self,
        _: &mut Core,
        _: MembershipChange,
        _: &mut Actions,
    ) -> Result<(), String> {
        Err("DLedger's elector has no membership changes in raftsim".to_string())
    }

    fn transfer_leader(
        &mut self,
        _: &mut Core,
        _: Instant,
        _: NodeId,
        _: &mut Actions,
    ) -> Result<(), String> {
        Err("DLedger's elector has no leadership transfer in raftsim".to_string())
    }

    /// The elector's invariants, after every input (debug builds): the
    /// highest term known is at least the node's own (`next_term()` only
    /// ever adopts it), a vote round runs only while a candidate and in
    /// the node's term, a heartbeat round only while leading.
    fn debug_check(&self, core: &Core) {
        debug_assert!(
            self.known_max_term >= core.term(),
            "node {}: known_max_term {} below its term {}",
            core.id(),
            self.known_max_term,
            core.term()
        );
        debug_assert!(
            self.vote_round
                .is_none_or(|t| core.role() == Role::Candidate && t.term() == core.term()),
            "node {}: a vote round outside candidacy",
            core.id()
        );
        debug_assert!(
            self.heartbeat_round.is_none() || core.role() == Role::Leader,
            "node {}: a heartbeat round without leading",
            core.id()
        );
        debug_assert!(
            core.role() != Role::PreCandidate,
            "DLedger has no pre-candidates"
        );
    }
}

impl DLedgerState {
    // ----- timing ----------------------------------------------------

    /// `min + rand[0, max - min)`, DLedger's way of drawing its delays.
    fn uniform_below(core: &mut Core, min: u64, max: u64) -> u64 {
        let drawn = if max > min {
            min + core.rng().below(max - min)
        } else {
            min
        };
        debug_assert!(drawn >= min && (drawn < max || drawn == min));
        drawn
    }

    /// `now + vote interval`: DLedger's `getNextTimeToRequestVote()`.
    fn next_vote_time(core: &mut Core, now: Instant) -> Instant {
        let (min, max) = core.config().dledger.vote_interval_us;
        now.plus_us(Self::uniform_below(core, min, max))
    }

    /// A follower's heartbeat timeout: `max_heartbeat_leak × heartbeat`.
    fn heartbeat_timeout_us(core: &Core) -> u64 {
        let timing = core.config().dledger;
        timing.max_heartbeat_leak * timing.heartbeat_us
    }

    fn arm_candidate_timer(&mut self, now: Instant, out: &mut Actions) {
        if self.vote_round.is_some() {
            return;
        }
        let at = if self.need_increase_term_immediately {
            now
        } else {
            self.next_vote_at.max(now)
        };
        out.push(Action::SetTimer {
            kind: TimerKind::VoteRound,
            at,
        });
    }

    fn reset_follower_timer(core: &Core, now: Instant, out: &mut Actions) {
        out.push(Action::SetTimer {
            kind: TimerKind::Election,
            at: now.plus_us(Self::heartbeat_timeout_us(core)),
        });
    }

    // ----- term and roles --------------------------------------------

    /// DLedger's `nextTerm()`: the only place the term rises.
    fn next_term(&mut self, core: &mut Core) {
        let next = if self.known_max_term > core.term() {
            self.known_max_term
        } else {
            core.term() + 1
        };
        let before = core.term();
        core.set_term(next);
        self.known_max_term = self.known_max_term.max(next);
        debug_assert!(core.term() > before && self.known_max_term >= core.term());
    }

    /// Remembers a higher term seen, for `next_term()` to adopt.
    fn raise_known_max_term(&mut self, term: Term) {
        self.known_max_term = self.known_max_term.max(term);
    }

    /// DLedger's `changeRoleToCandidate(term)`: leaves the term as it is.
    fn become_candidate(&mut self, core: &mut Core, now: Instant, term: Term, out: &mut Actions) {
        if term < core.term() {
            return;
        }
        self.raise_known_max_term(term);
        match core.role() {
            Role::Leader => {
                if term > core.term() {
                    out.push(Action::Note(Note::Deposed { by_term: term }));
                }
                for kind in [TimerKind::Heartbeat, TimerKind::Replicate] {
                    out.push(Action::CancelTimer { kind });
                }
                self.heartbeat_round = None;
            }
            Role::Follower => out.push(Action::CancelTimer {
                kind: TimerKind::Election,
            }),
            Role::Candidate => {}
            Role::PreCandidate => unreachable!("DLedger has no pre-candidates"),
        }
        core.set_role(Role::Candidate, None);
        self.arm_candidate_timer(now, out);
        debug_assert!(
            self.heartbeat_round.is_none(),
            "a candidate runs no heartbeat round"
        );
    }

    /// Steps down to candidate on a higher term, to adopt it at once
    /// (voter check 5, heartbeat receiver's higher term).
    fn step_down_to_adopt(&mut self, core: &mut Core, now: Instant, term: Term, out: &mut Actions) {
        debug_assert!(term > core.term());
        self.become_candidate(core, now, term, out);
        self.need_increase_term_immediately = true;
        self.arm_candidate_timer(now, out);
    }

    /// DLedger's `changeRoleToFollower`: also forgets the last round's
    /// outcome, so that a heartbeat timeout stands in the same term.
    fn become_follower(
        &mut self,
        core: &mut Core,
        now: Instant,
        leader: NodeId,
        out: &mut Actions,
    ) {
        if self.vote_round.take().is_some() || core.role() == Role::Candidate {
            out.push(Action::CancelTimer {
                kind: TimerKind::VoteRound,
            });
        }
        debug_assert!(
            core.role() != Role::Leader,
            "a DLedger leader steps down to candidate, not follower"
        );
        self.last_parse_result = ParseResult::WaitToRevote;
        core.set_role(Role::Follower, Some(leader));
        Self::reset_follower_timer(core, now, out);
        debug_assert!(self.vote_round.is_none(), "a follower runs no vote round");
    }

    fn become_leader(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        debug_assert!(
            self.vote_round.is_none(),
            "a round ends before its candidate leads"
        );
        out.push(Action::CancelTimer {
            kind: TimerKind::VoteRound,
        });
        // Shared replication commits by counting entries of the current
        // term, so a DLedger leader appends a no-op too.
        core.start_leading();
        self.last_quorum_heartbeat_at = now;
        self.send_heartbeats(core, now, out);
        core.send_append_to_all(out);
        out.push(Action::SetTimer {
            kind: TimerKind::Replicate,
            at: now.plus_us(core.config().heartbeat_us),
        });
        core.maybe_commit();
    }

    // ----- messages --------------------------------------------------

    /// Only the leader a heartbeat installed may append (or send a
    /// snapshot); a stale leader learns the newer term. Returns whether the
    /// core takes the message.
    fn takes_append(core: &mut Core, from: NodeId, term: Term, out: &mut Actions) -> bool {
        if term < core.term() {
            core.refuse_stale_append(from, out);
            return false;
        }
        // Otherwise DLedger answers INCONSISTENT_TERM/LEADER; only
        // heartbeats install a leader, so the push is dropped and the
        // leader retries on its replication tick.
        term == core.term() && core.role() == Role::Follower && core.leader() == Some(from)
    }

    /// A higher term in an answer deposes a leader; anyone else notes it
    /// for `next_term()`.
    fn on_append_response(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        response: &AppendResponse,
        out: &mut Actions,
    ) {
        if response.term > core.term() {
            if core.role() == Role::Leader {
                self.become_candidate(core, now, response.term, out);
            } else {
                self.raise_known_max_term(response.term);
            }
            return;
        }
        core.on_append_response(from, response, out);
    }
}
