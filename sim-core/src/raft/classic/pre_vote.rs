//! PreVote (Raft thesis §9.6): before raising its term, a node whose
//! election timeout fired asks whether it could win, and stands only if a
//! majority says yes. Its rules, all here: starting a round, how a voter
//! answers, which answers count, and that pre-vote messages never change
//! the receiver's term. Counting and winning are the campaign's
//! (`ClassicState::on_vote_response`): a won pre-vote starts a campaign.

use super::{Actions, ClassicState, Votes};
use crate::node::{Action, NodeId, Note, Role};
use crate::raft::message::{ClassicMessage, Message, RequestVote, Vote, VoteResponse};
use crate::raft::replication::Core;
use crate::time::Instant;

impl ClassicState {
    /// Starts a pre-vote round for `term + 1`, keeping the term.
    pub(super) fn start_pre_vote(&mut self, core: &mut Core, now: Instant, out: &mut Actions) {
        debug_assert!(core.role() != Role::Leader, "a leader does not pre-vote");
        let term = core.term();
        core.set_role(Role::PreCandidate, None);
        self.votes = Votes::for_self(core.id());
        out.push(Action::Note(Note::PreVoteStarted {
            term: core.term() + 1,
        }));
        Self::reset_election_timer(core, now, out);
        let request = RequestVote {
            term: core.term() + 1,
            last_log_index: core.log().last_index(),
            last_log_term: core.log().last_term(),
            pre_vote: true,
            transfer: false,
        };
        for peer in core.electors() {
            core.send(peer, Vote::Request(request).into(), out);
        }
        debug_assert_eq!(core.term(), term, "a pre-vote leaves the term alone");
        if self.votes.won(core) {
            self.campaign(core, now, false, out);
        }
    }
}

/// Pre-vote messages never change the receiver's term: a request only
/// proposes a term, and a grant carries the proposed term, not the
/// voter's. A refusal carries the voter's real term, which is adopted.
pub(super) fn leaves_term_alone(msg: &ClassicMessage) -> bool {
    match msg {
        Message::Election(Vote::Request(request)) => request.pre_vote,
        Message::Election(Vote::Response(response)) => response.pre_vote && response.granted,
        Message::AppendEntries(_)
        | Message::AppendResponse(_)
        | Message::InstallSnapshot(_)
        | Message::Election(Vote::TimeoutNow(_)) => false,
    }
}

/// The voter's answer: grant if the candidate's log is up to date and it
/// proposes a higher term, or could get this node's real vote in this one.
/// Granting changes nothing on the voter (no vote recorded, no timer reset).
pub(super) fn answer(
    core: &mut Core,
    from: NodeId,
    request: &RequestVote,
    log_ok: bool,
    free_to_vote: bool,
    out: &mut Actions,
) {
    debug_assert!(request.pre_vote);
    debug_assert!(
        request.term >= core.term(),
        "a stale pre-vote is refused before it is judged"
    );
    let granted = log_ok && (request.term > core.term() || free_to_vote);
    let reply = VoteResponse {
        term: if granted { request.term } else { core.term() },
        granted,
        pre_vote: true,
    };
    // A grant carries the proposed term, a refusal the voter's own: never
    // below the voter's.
    debug_assert!(reply.term >= core.term());
    core.send(from, Vote::Response(reply).into(), out);
}

/// Does this answer belong to the pre-candidate's current round? A grant
/// must be for `term + 1`; a refusal of any term counts.
pub(super) fn response_is_current(core: &Core, response: &VoteResponse) -> bool {
    !response.granted || response.term == core.term() + 1
}
