//! DLedger's vote rounds, both sides (docs/DLEDGER.md "Candidate round" and
//! "Voter"): when a candidate starts a round and in which term, how replies
//! are tallied, the seven outcomes of a round, and the voter's seven checks
//! in DLedger's order (log before term).

use super::{Actions, DLedgerState, ParseResult};
use crate::node::{Action, NodeId, Note, Role, Term, TimerKind};
use crate::raft::message::{DlElection, DlVote, DlVoteReply, VoteResult};
use crate::raft::replication::Core;
use crate::time::Instant;

/// The tally of one vote round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(in crate::raft) struct VoteTally {
    /// The term the round was started in.
    term: Term,
    /// Every reply but UNKNOWN (a lost one).
    valid: usize,
    accepted: usize,
    not_ready: usize,
    bigger_ledger: usize,
    has_leader: bool,
    /// Nodes that replied (bit per node), so a duplicate counts once.
    replied: u64,
}

impl VoteTally {
    /// The term the round was started in.
    pub(super) fn term(&self) -> Term {
        self.term
    }
}

impl DLedgerState {
    /// DLedger's `maintainAsCandidate()`, run when a round is due.
    pub(super) fn candidate_tick(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        debug_assert!(
            core.role() == Role::Candidate && self.vote_round.is_none(),
            "a round is due only to a candidate between rounds"
        );
        if now < self.next_vote_at && !self.need_increase_term_immediately {
            self.arm_candidate_timer(now, out);
            return;
        }
        if self.last_parse_result == ParseResult::WaitToVoteNext
            || self.need_increase_term_immediately
        {
            self.next_term(core);
            self.last_parse_result = ParseResult::WaitToRevote;
        }
        if self.need_increase_term_immediately {
            // Only adopt the term; no campaign yet.
            self.need_increase_term_immediately = false;
            self.next_vote_at = Self::next_vote_time(core, now);
            self.arm_candidate_timer(now, out);
            return;
        }
        self.start_vote_round(core, now, out);
    }

    /// Asks every peer, and votes for itself through the voter's checks.
    fn start_vote_round(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        if self.last_campaign_term != Some(core.term()) {
            self.last_campaign_term = Some(core.term());
            out.push(Action::Note(Note::CampaignStarted { term: core.term() }));
        }
        let (min, max) = core.config().dledger.vote_wait_us;
        let deadline = now.plus_us(Self::uniform_below(core, min, max));
        self.round_seq += 1;
        self.vote_round = Some(VoteTally {
            term: core.term(),
            ..VoteTally::default()
        });
        let request = DlVote {
            term: core.term(),
            ledger_end_term: core.log().last_term(),
            ledger_end_index: core.log().last_index(),
            round: self.round_seq,
        };
        let (term, result) = self.judge_vote(core, now, core.id(), &request, out);
        debug_assert!(
            result != VoteResult::RejectTermNotReady,
            "a candidate's own request is never of a later term than its own"
        );
        self.count_vote(core, core.id(), term, result);
        for peer in core.peers() {
            core.send(peer, DlElection::Vote(request).into(), out);
        }
        out.push(Action::SetTimer {
            kind: TimerKind::VoteRound,
            at: deadline,
        });
        if self.vote_round_can_end(core) {
            self.end_vote_round(core, now, out);
        }
    }

    pub(super) fn on_vote_reply(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        reply: &DlVoteReply,
        out: &mut Actions,
    ) {
        if core.role() != Role::Candidate || reply.round != self.round_seq {
            return;
        }
        self.count_vote(core, from, reply.term, reply.result);
        if self.vote_round_can_end(core) {
            self.end_vote_round(core, now, out);
        }
    }

    /// The tally (docs/DLEDGER.md "Candidate round").
    fn count_vote(&mut self, core: &Core, from: NodeId, reply_term: Term, result: VoteResult) {
        let Some(tally) = self.vote_round.as_mut() else {
            return;
        };
        if tally.replied & from.bit() != 0 {
            return;
        }
        tally.replied |= from.bit();
        tally.valid += 1;
        debug_assert_eq!(
            tally.valid,
            tally.replied.count_ones() as usize,
            "one valid reply per node that replied"
        );
        match result {
            VoteResult::Accept => tally.accepted += 1,
            VoteResult::RejectAlreadyHasLeader => tally.has_leader = true,
            VoteResult::RejectExpiredVoteTerm | VoteResult::RejectTermSmallThanLedger => {
                self.known_max_term = self.known_max_term.max(reply_term);
            }
            VoteResult::RejectExpiredLedgerTerm | VoteResult::RejectSmallLedgerEndIndex => {
                tally.bigger_ledger += 1
            }
            VoteResult::RejectTermNotReady => tally.not_ready += 1,
            VoteResult::RejectAlreadyVoted => {}
        }
        debug_assert!(
            tally.valid <= core.cluster_size()
                && tally.accepted + tally.not_ready + tally.bigger_ledger <= tally.valid,
            "a vote tally counts more replies than voters: {tally:?}"
        );
    }

    /// A round ends early on a leader seen, Q(accepted),
    /// Q(accepted + not_ready), or when every node answered.
    fn vote_round_can_end(&self, core: &Core) -> bool {
        let Some(tally) = &self.vote_round else {
            return false;
        };
        let q = core.quorum();
        tally.has_leader
            || tally.accepted >= q
            || tally.accepted + tally.not_ready >= q
            || tally.replied.count_ones() as usize == core.cluster_size()
    }

    /// The seven outcomes of docs/DLEDGER.md, first match wins.
    pub(super) fn end_vote_round(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        let Some(tally) = self.vote_round.take() else {
            return;
        };
        let q = core.quorum();
        let heartbeat_timeout = Self::heartbeat_timeout_us(core);
        let max_interval = core.config().dledger.vote_interval_us.1;
        let next = Self::next_vote_time(core, now);
        let (result, next_vote_at) = if self.known_max_term > tally.term {
            // Outcome 1 (known_max_term > term): WAIT_TO_VOTE_NEXT.
            (ParseResult::WaitToVoteNext, next)
        } else if tally.has_leader {
            // Outcome 2 (has_leader): WAIT_TO_REVOTE after a heartbeat timeout.
            (ParseResult::WaitToRevote, next.plus_us(heartbeat_timeout))
        } else if tally.valid < q {
            // Outcome 3 (!Q(valid)): WAIT_TO_REVOTE; an isolated node never
            // inflates its term.
            (ParseResult::WaitToRevote, next)
        } else if tally.valid - tally.bigger_ledger < q {
            // Outcome 4 (!Q(valid - bigger_ledger)): WAIT_TO_REVOTE, later.
            (ParseResult::WaitToRevote, next.plus_us(max_interval))
        } else if tally.accepted >= q {
            // Outcome 5 (Q(accepted)): become leader.
            (ParseResult::Passed, now)
        } else if tally.accepted + tally.not_ready >= q {
            // Outcome 6 (Q(accepted + not_ready)): REVOTE_IMMEDIATELY.
            (ParseResult::RevoteImmediately, now)
        } else {
            // Outcome 7 (otherwise): WAIT_TO_VOTE_NEXT, term + 1 next round.
            (ParseResult::WaitToVoteNext, next)
        };
        debug_assert!(next_vote_at >= now, "the next round is never in the past");
        self.last_parse_result = result;
        self.next_vote_at = next_vote_at;
        if result == ParseResult::Passed && core.term() == tally.term {
            self.become_leader(core, now, out);
        } else {
            self.arm_candidate_timer(now, out);
        }
    }

    pub(super) fn on_vote_request(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        request: &DlVote,
        out: &mut Actions,
    ) {
        let (term, result) = self.judge_vote(core, now, from, request, out);
        let reply = DlVoteReply {
            term,
            result,
            round: request.round,
        };
        core.send(from, DlElection::VoteReply(reply).into(), out);
    }

    /// The voter's checks, in DLedger's order (log before term). Returns the
    /// reply's term and the result.
    fn judge_vote(
        &mut self,
        core: &mut Core,
        now: Instant,
        candidate: NodeId,
        request: &DlVote,
        out: &mut Actions,
    ) -> (Term, VoteResult) {
        let log = core.log();
        // Planted bug grant_vote_without_log_check: skips checks 1 and 2;
        // breaks leader completeness.
        let check_log = !core.config().bugs.grant_vote_without_log_check;
        // Check 1: the candidate's ledger_end_term < mine.
        if check_log && request.ledger_end_term < log.last_term() {
            return (core.term(), VoteResult::RejectExpiredLedgerTerm);
        }
        // Check 2: equal ledger_end_term and a smaller ledger_end_index.
        if check_log
            && request.ledger_end_term == log.last_term()
            && request.ledger_end_index < log.last_index()
        {
            return (core.term(), VoteResult::RejectSmallLedgerEndIndex);
        }
        // Check 3: request term < my term; the reply carries my term.
        if request.term < core.term() {
            return (core.term(), VoteResult::RejectExpiredVoteTerm);
        }
        if request.term == core.term() {
            // Check 4: equal terms: go on only if free or already for it.
            match core.voted_for() {
                None => {}
                Some(v) if v == candidate => {}
                Some(_) if core.leader().is_some() => {
                    return (core.term(), VoteResult::RejectAlreadyHasLeader)
                }
                Some(_) => return (core.term(), VoteResult::RejectAlreadyVoted),
            }
        } else {
            // Check 5: a larger term: step down to adopt it, vote later.
            self.step_down_to_adopt(core, now, request.term, out);
            return (core.term(), VoteResult::RejectTermNotReady);
        }
        // Check 6: request term < my ledger_end_term.
        if request.term < core.log().last_term() {
            return (
                core.log().last_term(),
                VoteResult::RejectTermSmallThanLedger,
            );
        }
        // Check 7: vote (persisted); role and timers untouched.
        debug_assert_eq!(request.term, core.term(), "a vote in the voter's own term");
        core.set_vote(candidate);
        (core.term(), VoteResult::Accept)
    }
}
