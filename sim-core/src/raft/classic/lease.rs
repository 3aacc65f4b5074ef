//! Leader lease ("leader stickiness", Raft thesis §4.2.3): a node that has
//! heard from a live leader within the minimum election timeout ignores
//! vote requests of higher terms, neither answering nor adopting the term,
//! so a partitioned node coming back cannot depose a working leader. Its
//! rules, all here: when contact is recorded and when the lease holds.

use super::ClassicState;
use crate::node::Role;
use crate::raft::replication::Core;
use crate::time::Instant;

/// When a leader of the current term was last heard from.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Lease {
    leader_contact_at: Option<Instant>,
}

impl Lease {
    /// Called when this node starts following a leader and on each of the
    /// leader's appends.
    pub(super) fn heard_from_leader(&mut self, now: Instant) {
        self.leader_contact_at = Some(now);
    }
}

impl ClassicState {
    /// With the lease switched on, is a vote request of a higher term to be
    /// ignored?
    pub(super) fn lease_ignores_vote_requests(&self, core: &Core, now: Instant) -> bool {
        core.config().leader_lease && self.in_lease(core, now)
    }

    /// Has this node heard from a live leader within the minimum election
    /// timeout? A leader counts as hearing from itself.
    fn in_lease(&self, core: &Core, now: Instant) -> bool {
        core.role() == Role::Leader
            || (core.leader().is_some()
                && self
                    .lease
                    .leader_contact_at
                    .is_some_and(|at| now.us_since(at) < core.config().election_timeout_us.0))
    }
}
