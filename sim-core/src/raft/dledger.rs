//! DLedger's elector (openmessaging/dledger, `DLedgerLeaderElector`), as
//! `shared/DLEDGER.md` specifies it: the term rises only in `next_term()`,
//! candidates vote in rounds whose tally picks one of seven outcomes, voters
//! check the log before the term, and only heartbeats keep a follower
//! following. Log replication is the classic one in `node.rs`.

use super::node::{Node, Progress};
use super::{Action, Entry, EntryData, LogIndex, Message, NodeId, Note, Role, Term, TimerKind};
use super::{
    AppendEntries, AppendResponse, DlHeartbeat, DlHeartbeatReply, DlVote, DlVoteReply,
    HeartbeatCode, VoteResult,
};
use crate::time::Instant;

/// The outcome of a vote round (DLedger's `VoteResponse.ParseResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseResult {
    WaitToRevote,
    RevoteImmediately,
    WaitToVoteNext,
    Passed,
}

/// The tally of one vote round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct VoteTally {
    pub term: Term,
    pub deadline: Instant,
    pub valid: usize,
    pub accepted: usize,
    pub not_ready: usize,
    pub bigger_ledger: usize,
    pub has_leader: bool,
    pub replied: u64,
}

/// The tally of one heartbeat round (the leader counts itself).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct HeartbeatTally {
    pub success: usize,
    pub not_ready: usize,
    pub max_term: Term,
    pub inconsistent_leader: bool,
    pub replied: u64,
}

/// DLedger's election state; volatile except what `Node` persists.
#[derive(Clone, Debug)]
pub struct DLedgerState {
    pub(super) known_max_term: Term,
    pub(super) need_increase_term_immediately: bool,
    pub(super) next_vote_at: Instant,
    pub(super) last_parse_result: ParseResult,
    /// Vote rounds started, to match replies to their round.
    pub(super) round_seq: u64,
    pub(super) vote_round: Option<VoteTally>,
    pub(super) heartbeat_round: Option<HeartbeatTally>,
    pub(super) last_quorum_heartbeat_at: Instant,
    /// The last term in which this node started a vote round.
    last_campaign_term: Option<Term>,
}

impl DLedgerState {
    pub(super) fn new() -> DLedgerState {
        DLedgerState {
            known_max_term: 0,
            need_increase_term_immediately: false,
            next_vote_at: Instant::ZERO,
            last_parse_result: ParseResult::WaitToRevote,
            round_seq: 0,
            vote_round: None,
            heartbeat_round: None,
            last_quorum_heartbeat_at: Instant::ZERO,
            last_campaign_term: None,
        }
    }

    pub fn known_max_term(&self) -> Term {
        self.known_max_term
    }

    pub fn last_parse_result(&self) -> ParseResult {
        self.last_parse_result
    }
}

impl Node {
    /// DLedger nodes start (and restart) as candidates that vote at once.
    pub(super) fn dl_start(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.role = Role::Candidate;
        self.dl.next_vote_at = now;
        self.dl.known_max_term = self.term;
        self.dl_arm_candidate_timer(now, out);
    }

    /// `now + vote interval`: DLedger's `getNextTimeToRequestVote()`.
    fn dl_next_vote_time(&mut self, now: Instant) -> Instant {
        let (min, max) = self.config.dledger.vote_interval_us;
        now.plus_us(self.uniform_below(min, max))
    }

    /// `min + rand[0, max - min)`, DLedger's way of drawing its delays.
    fn uniform_below(&mut self, min: u64, max: u64) -> u64 {
        if max > min {
            min + self.rng.below(max - min)
        } else {
            min
        }
    }

    fn heartbeat_timeout_us(&self) -> u64 {
        self.config.dledger.max_heartbeat_leak * self.config.dledger.heartbeat_us
    }

    /// DLedger's `nextTerm()`: the only place the term rises.
    fn dl_next_term(&mut self) {
        let next = if self.dl.known_max_term > self.term {
            self.dl.known_max_term
        } else {
            self.term + 1
        };
        self.set_term(next);
        self.dl.known_max_term = self.dl.known_max_term.max(next);
    }

    fn dl_arm_candidate_timer(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.dl.vote_round.is_some() {
            return;
        }
        let at = if self.dl.need_increase_term_immediately {
            now
        } else {
            self.dl.next_vote_at.max(now)
        };
        out.push(Action::SetTimer {
            kind: TimerKind::VoteRound,
            at,
        });
    }

    /// DLedger's `changeRoleToCandidate(term)`: leaves the term as it is.
    fn dl_become_candidate(&mut self, now: Instant, term: Term, out: &mut Vec<Action>) {
        if term < self.term {
            return;
        }
        self.dl.known_max_term = self.dl.known_max_term.max(term);
        if self.role == Role::Leader {
            if term > self.term {
                out.push(Action::Note(Note::Deposed { by_term: term }));
            }
            for kind in [TimerKind::Heartbeat, TimerKind::Replicate] {
                out.push(Action::CancelTimer { kind });
            }
            self.dl.heartbeat_round = None;
        }
        if self.role == Role::Follower {
            out.push(Action::CancelTimer {
                kind: TimerKind::Election,
            });
        }
        self.role = Role::Candidate;
        self.leader = None;
        self.dl_arm_candidate_timer(now, out);
    }

    /// DLedger's `changeRoleToFollower`: also forgets the last round's
    /// outcome, so that a heartbeat timeout stands in the same term.
    fn dl_become_follower(&mut self, now: Instant, leader: NodeId, out: &mut Vec<Action>) {
        if self.dl.vote_round.take().is_some() || self.role == Role::Candidate {
            out.push(Action::CancelTimer {
                kind: TimerKind::VoteRound,
            });
        }
        self.dl.last_parse_result = ParseResult::WaitToRevote;
        self.role = Role::Follower;
        self.leader = Some(leader);
        self.dl_reset_follower_timer(now, out);
    }

    fn dl_reset_follower_timer(&mut self, now: Instant, out: &mut Vec<Action>) {
        out.push(Action::SetTimer {
            kind: TimerKind::Election,
            at: now.plus_us(self.heartbeat_timeout_us()),
        });
    }

    pub(super) fn dl_on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        match kind {
            TimerKind::Election => {
                // Follower heartbeat timeout: candidate in the same term,
                // asking for votes at once.
                if self.role == Role::Follower {
                    self.dl.next_vote_at = now;
                    self.dl_become_candidate(now, self.term, out);
                }
            }
            TimerKind::VoteRound => {
                if self.role != Role::Candidate {
                    return;
                }
                if self.dl.vote_round.is_some() {
                    self.dl_end_vote_round(now, out);
                } else {
                    self.dl_candidate_tick(now, out);
                }
            }
            TimerKind::Heartbeat => {
                if self.role != Role::Leader {
                    return;
                }
                if self.dl.heartbeat_round.is_some() {
                    self.dl_end_heartbeat_round(now, out);
                }
                if self.role == Role::Leader {
                    self.dl_send_heartbeats(now, out);
                }
            }
            TimerKind::Replicate => {
                if self.role != Role::Leader {
                    return;
                }
                let last_index = self.log.last_index();
                for peer in self.peers() {
                    let progress = &mut self.progress[peer.index()];
                    if progress.matched < last_index {
                        progress.next = progress.matched + 1;
                        self.send_append(peer, out);
                    }
                }
                out.push(Action::SetTimer {
                    kind: TimerKind::Replicate,
                    at: now.plus_us(self.config.heartbeat_us),
                });
            }
            TimerKind::Quorum => {}
        }
    }

    /// DLedger's `maintainAsCandidate()`, run when a round is due.
    fn dl_candidate_tick(&mut self, now: Instant, out: &mut Vec<Action>) {
        if now < self.dl.next_vote_at && !self.dl.need_increase_term_immediately {
            self.dl_arm_candidate_timer(now, out);
            return;
        }
        if self.dl.last_parse_result == ParseResult::WaitToVoteNext
            || self.dl.need_increase_term_immediately
        {
            self.dl_next_term();
            self.dl.last_parse_result = ParseResult::WaitToRevote;
        }
        if self.dl.need_increase_term_immediately {
            // Only adopt the term; no campaign yet.
            self.dl.need_increase_term_immediately = false;
            self.dl.next_vote_at = self.dl_next_vote_time(now);
            self.dl_arm_candidate_timer(now, out);
            return;
        }
        self.dl_start_vote_round(now, out);
    }

    fn dl_start_vote_round(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.dl.last_campaign_term != Some(self.term) {
            self.dl.last_campaign_term = Some(self.term);
            out.push(Action::Note(Note::CampaignStarted { term: self.term }));
        }
        let (min, max) = self.config.dledger.vote_wait_us;
        let deadline = now.plus_us(self.uniform_below(min, max));
        self.dl.round_seq += 1;
        self.dl.vote_round = Some(VoteTally {
            term: self.term,
            deadline,
            ..VoteTally::default()
        });
        let (ledger_end_term, ledger_end_index) = (self.log.last_term(), self.log.last_index());
        // The candidate votes for itself through the voter's own checks.
        let own = self.dl_judge_vote(
            now,
            self.id,
            self.term,
            ledger_end_term,
            ledger_end_index,
            out,
        );
        self.dl_count_vote(self.id, own.0, own.1);
        for peer in self.peers() {
            let msg = Message::DlVote(DlVote {
                term: self.term,
                ledger_end_term,
                ledger_end_index,
                round: self.dl.round_seq,
            });
            self.send(peer, msg, out);
        }
        out.push(Action::SetTimer {
            kind: TimerKind::VoteRound,
            at: deadline,
        });
        if self.dl_vote_round_can_end() {
            self.dl_end_vote_round(now, out);
        }
    }

    fn dl_count_vote(&mut self, from: NodeId, reply_term: Term, result: VoteResult) {
        let Some(tally) = self.dl.vote_round.as_mut() else {
            return;
        };
        if tally.replied & (1u64 << from.index()) != 0 {
            return;
        }
        tally.replied |= 1u64 << from.index();
        tally.valid += 1;
        match result {
            VoteResult::Accept => tally.accepted += 1,
            VoteResult::RejectAlreadyHasLeader => tally.has_leader = true,
            VoteResult::RejectExpiredVoteTerm | VoteResult::RejectTermSmallThanLedger => {
                self.dl.known_max_term = self.dl.known_max_term.max(reply_term);
            }
            VoteResult::RejectExpiredLedgerTerm | VoteResult::RejectSmallLedgerEndIndex => {
                tally.bigger_ledger += 1
            }
            VoteResult::RejectTermNotReady => tally.not_ready += 1,
            VoteResult::RejectAlreadyVoted => {}
        }
    }

    fn dl_vote_round_can_end(&self) -> bool {
        let Some(tally) = &self.dl.vote_round else {
            return false;
        };
        let q = self.quorum();
        tally.has_leader
            || tally.accepted >= q
            || tally.accepted + tally.not_ready >= q
            || tally.replied.count_ones() as usize == self.cluster_size
    }

    /// The seven outcomes of DLEDGER.md, first match wins.
    fn dl_end_vote_round(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(tally) = self.dl.vote_round.take() else {
            return;
        };
        let q = self.quorum();
        let heartbeat_timeout = self.heartbeat_timeout_us();
        let max_interval = self.config.dledger.vote_interval_us.1;
        let next = self.dl_next_vote_time(now);
        let (result, next_vote_at) = if self.dl.known_max_term > tally.term {
            (ParseResult::WaitToVoteNext, next)
        } else if tally.has_leader {
            (ParseResult::WaitToRevote, next.plus_us(heartbeat_timeout))
        } else if tally.valid < q {
            (ParseResult::WaitToRevote, next)
        } else if tally.valid - tally.bigger_ledger < q {
            (ParseResult::WaitToRevote, next.plus_us(max_interval))
        } else if tally.accepted >= q {
            (ParseResult::Passed, now)
        } else if tally.accepted + tally.not_ready >= q {
            (ParseResult::RevoteImmediately, now)
        } else {
            (ParseResult::WaitToVoteNext, next)
        };
        self.dl.last_parse_result = result;
        self.dl.next_vote_at = next_vote_at;
        if result == ParseResult::Passed && self.term == tally.term {
            self.dl_become_leader(now, out);
        } else {
            self.dl_arm_candidate_timer(now, out);
        }
    }

    /// The voter's checks, in DLedger's order (log before term). Returns the
    /// reply's term and the result.
    fn dl_judge_vote(
        &mut self,
        now: Instant,
        candidate: NodeId,
        term: Term,
        ledger_end_term: Term,
        ledger_end_index: LogIndex,
        out: &mut Vec<Action>,
    ) -> (Term, VoteResult) {
        if ledger_end_term < self.log.last_term() {
            return (self.term, VoteResult::RejectExpiredLedgerTerm);
        }
        if ledger_end_term == self.log.last_term() && ledger_end_index < self.log.last_index() {
            return (self.term, VoteResult::RejectSmallLedgerEndIndex);
        }
        if term < self.term {
            return (self.term, VoteResult::RejectExpiredVoteTerm);
        }
        if term == self.term {
            match self.voted_for {
                None => {}
                Some(v) if v == candidate => {}
                Some(_) if self.leader.is_some() => {
                    return (self.term, VoteResult::RejectAlreadyHasLeader)
                }
                Some(_) => return (self.term, VoteResult::RejectAlreadyVoted),
            }
        } else {
            // Stepped down by a larger term: adopt it first, vote later.
            self.dl_become_candidate(now, term, out);
            self.dl.need_increase_term_immediately = true;
            self.dl_arm_candidate_timer(now, out);
            return (self.term, VoteResult::RejectTermNotReady);
        }
        if term < self.log.last_term() {
            return (self.log.last_term(), VoteResult::RejectTermSmallThanLedger);
        }
        self.set_vote(candidate);
        (self.term, VoteResult::Accept)
    }

    fn dl_become_leader(&mut self, now: Instant, out: &mut Vec<Action>) {
        out.push(Action::CancelTimer {
            kind: TimerKind::VoteRound,
        });
        self.role = Role::Leader;
        self.leader = Some(self.id);
        let next = self.log.last_index() + 1;
        for progress in &mut self.progress {
            *progress = Progress { next, matched: 0 };
        }
        self.dl.last_quorum_heartbeat_at = now;
        // Shared replication commits by counting entries of the current
        // term, so a DLedger leader appends a no-op too.
        self.append(Entry {
            term: self.term,
            data: EntryData::Noop,
        });
        self.dl_send_heartbeats(now, out);
        for peer in self.peers() {
            self.send_append(peer, out);
        }
        out.push(Action::SetTimer {
            kind: TimerKind::Replicate,
            at: now.plus_us(self.config.heartbeat_us),
        });
        self.maybe_commit();
    }

    fn dl_send_heartbeats(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.dl.round_seq += 1;
        self.dl.heartbeat_round = Some(HeartbeatTally {
            success: 1,
            replied: 1u64 << self.id.index(),
            ..HeartbeatTally::default()
        });
        for peer in self.peers() {
            let msg = Message::DlHeartbeat(DlHeartbeat {
                term: self.term,
                round: self.dl.round_seq,
            });
            self.send(peer, msg, out);
        }
        out.push(Action::SetTimer {
            kind: TimerKind::Heartbeat,
            at: now.plus_us(self.config.dledger.heartbeat_us),
        });
        if self.dl_heartbeat_round_can_end() {
            self.dl_end_heartbeat_round(now, out);
        }
    }

    fn dl_heartbeat_round_can_end(&self) -> bool {
        let Some(tally) = &self.dl.heartbeat_round else {
            return false;
        };
        let q = self.quorum();
        tally.success >= q
            || tally.success + tally.not_ready >= q
            || tally.replied.count_ones() as usize == self.cluster_size
    }

    fn dl_end_heartbeat_round(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(tally) = self.dl.heartbeat_round.take() else {
            return;
        };
        let q = self.quorum();
        if tally.max_term > self.term {
            self.dl_become_candidate(now, tally.max_term, out);
        } else if tally.success >= q {
            self.dl.last_quorum_heartbeat_at = now;
        } else if tally.success + tally.not_ready >= q {
            out.push(Action::SetTimer {
                kind: TimerKind::Heartbeat,
                at: now,
            });
        } else if tally.inconsistent_leader
            || now.us_since(self.dl.last_quorum_heartbeat_at) > self.heartbeat_timeout_us()
        {
            // DLedger's own CheckQuorum: candidate in the same term.
            self.dl_become_candidate(now, self.term, out);
        }
    }

    pub(super) fn dl_on_message(
        &mut self,
        now: Instant,
        from: NodeId,
        msg: Message,
        out: &mut Vec<Action>,
    ) {
        match msg {
            Message::DlVote(DlVote {
                term,
                ledger_end_term,
                ledger_end_index,
                round,
            }) => {
                let (term, result) =
                    self.dl_judge_vote(now, from, term, ledger_end_term, ledger_end_index, out);
                self.send(
                    from,
                    Message::DlVoteReply(DlVoteReply {
                        term,
                        result,
                        round,
                    }),
                    out,
                );
            }
            Message::DlVoteReply(DlVoteReply {
                term,
                result,
                round,
            }) => {
                if self.role != Role::Candidate || round != self.dl.round_seq {
                    return;
                }
                self.dl_count_vote(from, term, result);
                if self.dl_vote_round_can_end() {
                    self.dl_end_vote_round(now, out);
                }
            }
            Message::DlHeartbeat(DlHeartbeat { term, round }) => {
                let (term, code) = self.dl_on_heartbeat(now, from, term, out);
                self.send(
                    from,
                    Message::DlHeartbeatReply(DlHeartbeatReply { term, code, round }),
                    out,
                );
            }
            Message::DlHeartbeatReply(DlHeartbeatReply { term, code, round }) => {
                if self.role != Role::Leader || round != self.dl.round_seq {
                    return;
                }
                let Some(tally) = self.dl.heartbeat_round.as_mut() else {
                    return;
                };
                if tally.replied & (1u64 << from.index()) != 0 {
                    return;
                }
                tally.replied |= 1u64 << from.index();
                match code {
                    HeartbeatCode::Success => tally.success += 1,
                    HeartbeatCode::ExpiredTerm => tally.max_term = tally.max_term.max(term),
                    HeartbeatCode::InconsistentLeader => tally.inconsistent_leader = true,
                    HeartbeatCode::TermNotReady => tally.not_ready += 1,
                }
                if self.dl_heartbeat_round_can_end() {
                    self.dl_end_heartbeat_round(now, out);
                }
            }
            Message::AppendEntries(AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            }) => {
                if term < self.term {
                    let reply = Message::AppendResponse(AppendResponse {
                        term: self.term,
                        success: false,
                        index: 0,
                    });
                    self.send(from, reply, out);
                } else if term == self.term
                    && self.role == Role::Follower
                    && self.leader == Some(from)
                {
                    self.on_append(
                        now,
                        from,
                        term,
                        prev_log_index,
                        prev_log_term,
                        entries,
                        leader_commit,
                        out,
                    );
                }
                // Otherwise DLedger answers INCONSISTENT_TERM/LEADER; only
                // heartbeats install a leader, so the push is dropped and the
                // leader retries on its replication tick.
            }
            Message::AppendResponse(AppendResponse {
                term,
                success,
                index,
            }) => {
                if term > self.term {
                    if self.role == Role::Leader {
                        self.dl_become_candidate(now, term, out);
                    } else {
                        self.dl.known_max_term = self.dl.known_max_term.max(term);
                    }
                    return;
                }
                self.on_append_response(from, term, success, index, out);
            }
            Message::RequestVote(_) | Message::VoteResponse(_) => {
                debug_assert!(false, "classic message to a DLedger node");
            }
        }
    }

    /// A heartbeat's receiver side. Returns the reply's term and code.
    fn dl_on_heartbeat(
        &mut self,
        now: Instant,
        from: NodeId,
        term: Term,
        out: &mut Vec<Action>,
    ) -> (Term, HeartbeatCode) {
        if term < self.term {
            return (self.term, HeartbeatCode::ExpiredTerm);
        }
        if term > self.term {
            self.dl_become_candidate(now, term, out);
            self.dl.need_increase_term_immediately = true;
            self.dl_arm_candidate_timer(now, out);
            return (self.term, HeartbeatCode::TermNotReady);
        }
        match self.leader {
            Some(leader) if leader == from => {
                self.dl_reset_follower_timer(now, out);
                (self.term, HeartbeatCode::Success)
            }
            None => {
                self.dl_become_follower(now, from, out);
                (self.term, HeartbeatCode::Success)
            }
            Some(_) => (self.term, HeartbeatCode::InconsistentLeader),
        }
    }
}
