//! CheckQuorum (Raft thesis §6.2): a leader that has not heard from a
//! majority (itself included) within a minimum election timeout steps down
//! in its term, so a leader cut off from the majority stops serving. Its
//! rules, all here: the period's timer, who counts as heard from, and the
//! check at the end of each period.

use super::{Actions, ClassicState};
use crate::node::{Action, NodeId, NodeSet, Role, TimerKind};
use crate::raft::replication::Core;
use crate::time::Instant;

/// Peers heard from in the current period.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CheckQuorum {
    heard_from: NodeSet,
}

impl CheckQuorum {
    /// A new leader starts its first period having heard from no one.
    pub(super) fn start_period(&mut self) {
        self.heard_from = NodeSet::EMPTY;
    }

    /// A follower answered an append of the leader's term.
    pub(super) fn heard_from(&mut self, from: NodeId) {
        self.heard_from = self.heard_from.with(from);
    }

    /// A new leader arms the first period, if CheckQuorum is on.
    pub(super) fn arm_timer(core: &Core, now: Instant, out: &mut Actions) {
        if core.config().check_quorum {
            Self::set_timer(core, now, out);
        }
    }

    fn set_timer(core: &Core, now: Instant, out: &mut Actions) {
        out.push(Action::SetTimer {
            kind: TimerKind::Quorum,
            at: now.plus_us(core.config().election_timeout_us.0),
        });
    }

    /// A leader stepping down stops the check (harmless if it was off).
    pub(super) fn cancel_timer(out: &mut Actions) {
        out.push(Action::CancelTimer {
            kind: TimerKind::Quorum,
        });
    }
}

impl ClassicState {
    /// The end of a period: step down in the same term unless a majority
    /// was heard from, else start the next period.
    pub(super) fn on_check_quorum_timer(
        &mut self,
        core: &mut Core,
        now: Instant,
        out: &mut Actions,
    ) {
        if core.role() != Role::Leader {
            return;
        }
        // The leader hears from itself (it counts if it is a voter; so do
        // the others, so a node no longer a member counts for nothing).
        let heard = self.check_quorum.heard_from.with(core.id());
        self.check_quorum.start_period();
        if !core.is_majority(heard) {
            let term = core.term();
            self.become_follower(core, now, term, None, out);
            debug_assert!(
                core.role() == Role::Follower && core.term() == term,
                "a leader cut off from a majority steps down in its term"
            );
        } else {
            CheckQuorum::set_timer(core, now, out);
        }
    }
}
