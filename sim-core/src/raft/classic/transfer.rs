//! Leadership transfer (Raft thesis §3.10): the leader stops taking
//! proposals, brings the target's log up to date, and sends it TimeoutNow;
//! the target stands at once, past PreVote, and voters grant its requests
//! past their lease (they are marked as a transfer, as etcd marks them).
//! The leader gives up after an election timeout. Its rules, all here: who
//! may be a target, when TimeoutNow goes, when the target stands, and
//! giving up.

use super::{Actions, ClassicState};
use crate::node::{Action, NodeId, Role, Term, TimerKind};
use crate::raft::message::{TimeoutNow, Vote};
use crate::raft::replication::Core;
use crate::time::Instant;

/// The transfer under way, if any.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Transfer {
    target: Option<NodeId>,
    /// TimeoutNow has gone out.
    sent: bool,
}

impl ClassicState {
    /// Whether an operator may hand leadership to `target`: only while this
    /// node leads, no other transfer is under way, and `target` is another
    /// voter of its configuration. The error says why not.
    pub(super) fn may_transfer_to(&self, core: &Core, target: NodeId) -> Result<(), String> {
        if core.role() != Role::Leader {
            return Err("not the leader".to_string());
        }
        if target == core.id() {
            return Err(format!("node {target} is the leader already"));
        }
        let membership = core.membership();
        if membership.is_learner(target) {
            return Err(format!("node {target} is a learner"));
        }
        if !membership.is_voter(target) {
            return Err(format!("node {target} is not a voter"));
        }
        if let Some(other) = self.transfer.target {
            return Err(format!("a transfer to node {other} is under way"));
        }
        Ok(())
    }

    /// Starts a transfer [`Self::may_transfer_to`] allowed: proposals stop,
    /// the give-up timer is armed, and the target gets TimeoutNow at once if
    /// its log is whole, else the entries it lacks.
    pub(super) fn start_transfer(
        &mut self,
        core: &mut Core,
        now: Instant,
        target: NodeId,
        out: &mut Actions,
    ) {
        debug_assert_eq!(self.may_transfer_to(core, target), Ok(()));
        self.transfer = Transfer {
            target: Some(target),
            sent: false,
        };
        core.set_transferring(true);
        out.push(Action::SetTimer {
            kind: TimerKind::Transfer,
            at: now.plus_us(core.config().election_timeout_us.0),
        });
        if core.caught_up(target) {
            self.send_timeout_now(core, target, out);
        } else {
            core.send_append_to(target, out);
        }
    }

    /// A follower answered: if it is the target and now holds the whole
    /// log, it is told to stand.
    pub(super) fn transfer_progress(&mut self, core: &mut Core, from: NodeId, out: &mut Actions) {
        if self.transfer.target == Some(from) && !self.transfer.sent && core.caught_up(from) {
            self.send_timeout_now(core, from, out);
        }
    }

    fn send_timeout_now(&mut self, core: &mut Core, target: NodeId, out: &mut Actions) {
        debug_assert_eq!(self.transfer.target, Some(target));
        debug_assert!(!self.transfer.sent, "TimeoutNow goes once per transfer");
        debug_assert!(
            core.caught_up(target),
            "the target holds the whole log before it stands"
        );
        self.transfer.sent = true;
        let timeout = TimeoutNow { term: core.term() };
        core.send(target, Vote::TimeoutNow(timeout).into(), out);
    }

    /// The election timeout passed without a new leader: the leader takes
    /// proposals again.
    pub(super) fn abandon_transfer(&mut self, core: &mut Core) {
        debug_assert!(
            core.role() == Role::Leader || self.transfer.target.is_none(),
            "a leader stepping down ends its transfer (end_transfer)"
        );
        if core.role() == Role::Leader {
            core.set_transferring(false);
        }
        self.transfer = Transfer::default();
    }

    /// The leader stepped down: whatever transfer it ran is over.
    pub(super) fn end_transfer(&mut self, core: &mut Core, out: &mut Actions) {
        if self.transfer.target.take().is_some() {
            out.push(Action::CancelTimer {
                kind: TimerKind::Transfer,
            });
        }
        self.transfer = Transfer::default();
        core.set_transferring(false);
    }

    /// TimeoutNow from the leader of `term`: a voter of that term stands
    /// at once, without a pre-vote.
    pub(super) fn on_timeout_now(
        &mut self,
        core: &mut Core,
        now: Instant,
        term: Term,
        out: &mut Actions,
    ) {
        let voter = core.membership().is_voter(core.id());
        if term == core.term() && core.role() != Role::Leader && voter {
            self.campaign(core, now, true, out);
            debug_assert_eq!(core.term(), term + 1, "the target stands in the next term");
        }
    }
}
