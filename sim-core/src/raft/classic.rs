//! The classic Raft elector (Raft §5.2): the randomised election timeout, a
//! campaign in a new term, granting and counting votes, stepping down on a
//! higher term, and the leader's heartbeats. Its three switches each keep
//! their rules together in a submodule: `classic/pre_vote.rs`,
//! `classic/lease.rs` (leader lease) and `classic/check_quorum.rs`. Log
//! replication is the shared core's (`replication.rs`).

mod check_quorum;
mod lease;
mod pre_vote;
mod transfer;

use super::message::{ClassicMessage, Message, RequestVote, Vote, VoteResponse};
use super::node::{Elector, Out};
use super::replication::Core;
use crate::node::{
    Action, Log, LogIndex, MembershipChange, MessageView, NodeId, NodeSet, Note, Role, Term,
    TimerKind,
};
use crate::time::Instant;

/// The actions of a classic node.
type Actions = Out<Vote>;

use check_quorum::CheckQuorum;
use lease::Lease;
use transfer::Transfer;

/// The classic elector's state; term, vote and role are the core's.
pub struct ClassicState {
    votes: Votes,
    lease: Lease,
    check_quorum: CheckQuorum,
    transfer: Transfer,
}

/// The votes of the current (pre-)campaign. Whose count is the
/// configuration's business: only its voters' do (Raft thesis §4.2.2), so
/// a candidate outside its configuration does not count its own.
#[derive(Clone, Copy, Debug, Default)]
struct Votes {
    granted: NodeSet,
    refused: NodeSet,
}

impl Votes {
    /// A fresh tally: the candidate votes for itself.
    fn for_self(me: NodeId) -> Votes {
        Votes {
            granted: NodeSet::EMPTY.with(me),
            refused: NodeSet::EMPTY,
        }
    }

    /// One voter's answer. A voter grants at most once in a term, so a
    /// grant is its answer; a refusal may answer an older request that the
    /// network delivered late (the voter refuses it with its current term,
    /// which is this campaign's), so a grant outweighs a refusal in either
    /// order of arrival.
    fn record(&mut self, from: NodeId, granted: bool) {
        if granted {
            self.granted = self.granted.with(from);
            self.refused = self.refused.without(from);
        } else if !self.granted.contains(from) {
            self.refused = self.refused.with(from);
        }
        debug_assert!(
            self.granted.intersection(self.refused).is_empty(),
            "a voter both granted and refused"
        );
    }

    /// Won: a majority of the configuration granted.
    fn won(&self, core: &Core) -> bool {
        core.is_majority(self.granted)
    }

    /// Lost: the voters that have not refused are no majority.
    fn lost(&self, core: &Core) -> bool {
        let may_grant = core.membership().all_voters().minus(self.refused);
        !core.is_majority(may_grant)
    }
}

impl Elector for ClassicState {
    type Election = Vote;
    const LEADER_WRITES_IN_PARALLEL: bool = true;

    /// A (re)started node: a follower waiting for its election timeout.
    fn start(core: &mut Core, now: Instant, out: &mut Actions) -> Self {
        let elector = ClassicState {
            votes: Votes::default(),
            lease: Lease::default(),
            check_quorum: CheckQuorum::default(),
            transfer: Transfer::default(),
        };
        Self::reset_election_timer(core, now, out);
        elector
    }

    fn on_timer(&mut self, core: &mut Core, now: Instant, kind: TimerKind, out: &mut Actions) {
        match kind {
            TimerKind::Election => {
                if core.role() == Role::Leader {
                    return;
                }
                if !core.may_campaign() {
                    // A spare machine nobody added, or a learner: it only
                    // waits to hear from a leader.
                    Self::reset_election_timer(core, now, out);
                    return;
                }
                if core.config().pre_vote {
                    self.start_pre_vote(core, now, out);
                } else {
                    self.campaign(core, now, false, out);
                }
            }
            TimerKind::Heartbeat => {
                if core.role() != Role::Leader {
                    return;
                }
                core.send_append_to_all(out);
                out.push(Action::SetTimer {
                    kind: TimerKind::Heartbeat,
                    at: now.plus_us(core.config().heartbeat_us),
                });
            }
            TimerKind::Quorum => self.on_check_quorum_timer(core, now, out),
            TimerKind::Transfer => self.abandon_transfer(core),
            // DLedger's timers and the library tick: a classic node never
            // arms them.
            TimerKind::VoteRound | TimerKind::Replicate | TimerKind::Tick => {}
        }
    }

    fn on_message(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        msg: &ClassicMessage,
        out: &mut Actions,
    ) {
        if msg.term() > core.term() {
            // A higher term: adopt it and step down, except where a switch
            // says otherwise. A vote request the lease ignores is dropped.
            let lease_applies = matches!(msg, Message::Election(Vote::Request(r)) if !r.transfer);
            if lease_applies && self.lease_ignores_vote_requests(core, now) {
                return;
            }
            if !pre_vote::leaves_term_alone(msg) {
                let leader = match msg {
                    // Only the leader of a term sends appends and snapshots in it.
                    Message::AppendEntries(_) | Message::InstallSnapshot(_) => Some(from),
                    Message::AppendResponse(_) | Message::Election(_) => None,
                };
                self.become_follower(core, now, msg.term(), leader, out);
                debug_assert_eq!(core.term(), msg.term(), "a higher term is adopted");
            }
        }
        match msg {
            Message::Election(Vote::Request(request)) => {
                self.on_vote_request(core, now, from, request, out)
            }
            Message::Election(Vote::Response(response)) => {
                self.on_vote_response(core, now, from, response, out)
            }
            Message::AppendEntries(append) => {
                if self.heard_from_leader(core, now, from, append.term, out) {
                    core.accept_append(from, append, out);
                }
            }
            Message::InstallSnapshot(snapshot) => {
                if self.heard_from_leader(core, now, from, snapshot.term, out) {
                    core.accept_snapshot(from, snapshot, out);
                }
            }
            Message::AppendResponse(response) => {
                if core.on_append_response(from, response, out) {
                    self.check_quorum.heard_from(from);
                    self.transfer_progress(core, from, out);
                }
            }
            Message::Election(Vote::TimeoutNow(timeout)) => {
                self.on_timeout_now(core, now, timeout.term, out)
            }
        }
    }

    fn step_down(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        self.become_follower(core, now, core.term(), None, out);
    }

    fn change_membership(
        &mut self,
        core: &mut Core,
        change: MembershipChange,
        out: &mut Actions,
    ) -> Result<(), String> {
        core.change_membership(change, out)
    }

    fn transfer_leader(
        &mut self,
        core: &mut Core,
        now: Instant,
        target: NodeId,
        out: &mut Actions,
    ) -> Result<(), String> {
        self.may_transfer_to(core, target)?;
        self.start_transfer(core, now, target, out);
        Ok(())
    }
}

impl ClassicState {
    fn reset_election_timer(core: &mut Core, now: Instant, out: &mut Actions) {
        let (min, max) = core.config().election_timeout_us;
        let at = now.plus_us(core.rng().between(min, max));
        debug_assert!(
            at.us_since(now) >= min,
            "an election timeout is at least the minimum"
        );
        out.push(Action::SetTimer {
            kind: TimerKind::Election,
            at,
        });
    }

    // ----- campaign and roles ----------------------------------------

    /// Stands in a new term: votes for itself and asks every voter of its
    /// configuration. `transfer`: a leader asked for it (TimeoutNow), so
    /// voters grant it past their lease.
    fn campaign(&mut self, core: &mut Core, now: Instant, transfer: bool, out: &mut Actions) {
        debug_assert!(core.role() != Role::Leader, "a leader does not campaign");
        core.set_term(core.term() + 1);
        core.set_vote(core.id());
        core.set_role(Role::Candidate, None);
        self.votes = Votes::for_self(core.id());
        out.push(Action::Note(Note::CampaignStarted { term: core.term() }));
        Self::reset_election_timer(core, now, out);
        let request = RequestVote {
            term: core.term(),
            last_log_index: core.log().last_index(),
            last_log_term: core.log().last_term(),
            pre_vote: false,
            transfer,
        };
        for peer in core.electors() {
            core.send(peer, Vote::Request(request).into(), out);
        }
        debug_assert_eq!(
            core.voted_for(),
            Some(core.id()),
            "a candidate votes for itself"
        );
        if self.votes.won(core) {
            self.become_leader(core, now, out);
        }
    }

    /// Follows `leader` (if known) in `term`, adopting the term if it is
    /// higher; a leader stepping down stops its timers.
    fn become_follower(
        &mut self,
        core: &mut Core,
        now: Instant,
        term: Term,
        leader: Option<NodeId>,
        out: &mut Actions,
    ) {
        debug_assert!(term >= core.term(), "follow a leader of an older term");
        // Only a leader stands without an election timer.
        let had_timer = core.role() != Role::Leader;
        if term > core.term() {
            if core.role() == Role::Leader {
                out.push(Action::Note(Note::Deposed { by_term: term }));
            }
            core.set_term(term);
        }
        if core.role() == Role::Leader {
            out.push(Action::CancelTimer {
                kind: TimerKind::Heartbeat,
            });
            CheckQuorum::cancel_timer(out);
            self.end_transfer(core, out);
        }
        core.set_role(Role::Follower, leader);
        if leader.is_some() {
            self.lease.heard_from_leader(now);
        }
        // The thesis (Figure 3.1) restarts the timer only on hearing the
        // leader or granting a vote; etcd and raft-rs on every step down.
        if leader.is_some() || !had_timer || core.config().reset_timer_on_new_term {
            Self::reset_election_timer(core, now, out);
        }
        debug_assert_eq!(core.term(), term, "a follower is in the term it follows");
    }

    fn become_leader(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        debug_assert!(
            self.votes.won(core),
            "elected by a majority of its configuration"
        );
        core.start_leading();
        self.check_quorum.start_period();
        out.push(Action::CancelTimer {
            kind: TimerKind::Election,
        });
        core.send_append_to_all(out);
        out.push(Action::SetTimer {
            kind: TimerKind::Heartbeat,
            at: now.plus_us(core.config().heartbeat_us),
        });
        CheckQuorum::arm_timer(core, now, out);
        core.maybe_commit();
    }

    // ----- messages --------------------------------------------------

    fn on_vote_request(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        request: &RequestVote,
        out: &mut Actions,
    ) {
        let refuse = VoteResponse {
            term: core.term(),
            granted: false,
            pre_vote: request.pre_vote,
        };
        if request.term < core.term() || !core.may_vote() {
            // A learner or a spare machine never votes.
            core.send(from, Vote::Response(refuse).into(), out);
            return;
        }
        // Planted bug grant_vote_without_log_check (votes and pre-votes):
        // breaks leader completeness.
        let log_ok = core.config().bugs.grant_vote_without_log_check
            || candidate_is_up_to_date(core.log(), request.last_log_index, request.last_log_term);
        // Could this node vote for `from` in `term`? (etcd's rule: not after
        // voting for another, nor while following a leader of this term.)
        let free_to_vote = core.voted_for() == Some(from)
            || (core.voted_for().is_none() && core.leader().is_none());
        if request.pre_vote {
            pre_vote::answer(core, from, request, log_ok, free_to_vote, out);
            return;
        }
        debug_assert_eq!(request.term, core.term(), "a higher term was adopted above");
        if log_ok && free_to_vote {
            core.set_vote(from);
            Self::reset_election_timer(core, now, out);
            let grant = VoteResponse {
                term: request.term,
                granted: true,
                pre_vote: false,
            };
            core.send(from, Vote::Response(grant).into(), out);
        } else {
            core.send(from, Vote::Response(refuse).into(), out);
        }
    }

    fn on_vote_response(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        response: &VoteResponse,
        out: &mut Actions,
    ) {
        let current = if response.pre_vote {
            core.role() == Role::PreCandidate && pre_vote::response_is_current(core, response)
        } else {
            core.role() == Role::Candidate && response.term == core.term()
        };
        if !current {
            return;
        }
        if !response.pre_vote {
            core.vote_request_answered();
        }
        self.votes.record(from, response.granted);
        debug_assert!(
            self.votes.granted.union(self.votes.refused).len() <= core.cluster_size(),
            "a tally of more votes than nodes"
        );
        debug_assert!(
            !(self.votes.won(core) && self.votes.lost(core)),
            "a campaign is not both won and lost"
        );
        if self.votes.won(core) {
            if response.pre_vote {
                self.campaign(core, now, false, out);
            } else {
                self.become_leader(core, now, out);
            }
        } else if self.votes.lost(core) {
            // Lost: wait as a follower for the next timeout.
            core.set_role(Role::Follower, None);
        }
    }

    /// An append or a snapshot of `term` from `from`: refused if stale
    /// (returns false); else `from` is this term's leader, followed and
    /// heard from (returns true: the core takes the message). Inlined: it
    /// runs for every heartbeat a follower receives.
    #[inline(always)]
    fn heard_from_leader(
        &mut self,
        core: &mut Core,
        now: Instant,
        from: NodeId,
        term: Term,
        out: &mut Actions,
    ) -> bool {
        if term < core.term() {
            core.refuse_stale_append(from, out);
            return false;
        }
        debug_assert!(core.role() != Role::Leader, "two leaders in term {term}");
        if core.role() != Role::Follower || core.leader() != Some(from) {
            self.become_follower(core, now, term, Some(from), out);
        } else {
            self.lease.heard_from_leader(now);
            Self::reset_election_timer(core, now, out);
        }
        debug_assert!(
            core.role() == Role::Follower && core.leader() == Some(from) && core.term() == term,
            "node {} follows {from} in term {term}",
            core.id()
        );
        true
    }
}

/// Raft's up-to-date rule (§5.4.1): a candidate whose last entry is
/// `(last_term, last_index)` is at least as up-to-date as `log`.
fn candidate_is_up_to_date(log: &Log, last_index: LogIndex, last_term: Term) -> bool {
    last_term > log.last_term() || (last_term == log.last_term() && last_index >= log.last_index())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, EntryData};

    #[test]
    fn up_to_date_rule() {
        let entry = |term| Entry {
            term,
            data: EntryData::Noop,
        };
        let log = Log::from_entries(vec![entry(1), entry(1), entry(2)]);
        // (candidate last index, candidate last term, expected)
        let table = [
            (3, 2, true),  // identical
            (4, 2, true),  // longer, same last term
            (2, 2, false), // shorter, same last term
            (1, 3, true),  // higher last term wins even if shorter
            (9, 1, false), // lower last term loses even if longer
        ];
        for (index, term, expected) in table {
            assert_eq!(
                candidate_is_up_to_date(&log, index, term),
                expected,
                "candidate ({index}, {term})"
            );
        }
    }

    /// A voter that granted this campaign's request and then refused an
    /// older one delivered late is counted once, as a grant, whichever
    /// answer arrived first.
    #[test]
    fn a_grant_outweighs_a_late_refusal() {
        let (me, voter) = (NodeId(1), NodeId(2));
        let mut grant_first = Votes::for_self(me);
        grant_first.record(voter, true);
        grant_first.record(voter, false);
        let mut refusal_first = Votes::for_self(me);
        refusal_first.record(voter, false);
        refusal_first.record(voter, true);
        for votes in [grant_first, refusal_first] {
            assert!(votes.granted.contains(voter));
            assert!(!votes.refused.contains(voter));
        }
        let mut refused = Votes::for_self(me);
        refused.record(voter, false);
        assert!(refused.refused.contains(voter) && !refused.granted.contains(voter));
    }
}
