//! Membership changes, the core's part (Raft thesis ch. 4): the
//! configuration in force is the latest in the log, committed or not; a
//! leader accepts a single-server change only once it has committed an
//! entry of its own term and no earlier change is uncommitted (Ongaro's
//! 2015 fix); a joint configuration is left automatically once committed;
//! a leader outside the configuration it committed steps down (the elector
//! carries that out). Who campaigns and who votes is the electors'.

use super::{Core, Progress};
use crate::node::{Entry, EntryData, LogIndex, Membership, MembershipChange, NodeId, Role};
use crate::raft::node::Out;

impl Core {
    /// The configuration this node uses.
    pub(in crate::raft) fn membership(&self) -> Membership {
        self.membership
    }

    /// A configuration entry was appended at `index`: it is in force from
    /// now. A leader starts tracking every node it adds.
    pub(super) fn membership_appended(&mut self, index: LogIndex, config: Membership) {
        debug_assert!(
            index > self.membership_index,
            "configurations come in log order"
        );
        debug_assert_eq!(
            index,
            self.log.last_index(),
            "a configuration is appended last"
        );
        debug_assert!(
            config.is_well_formed() && !config.voters.is_empty(),
            "node {} appended the configuration {config}",
            self.id
        );
        let joined = config.members().minus(self.membership.members());
        self.membership = config;
        self.membership_index = index;
        if self.role == Role::Leader {
            for n in joined.iter() {
                self.progress[n.index()] = Progress {
                    next: index,
                    matched: 0,
                };
            }
        }
    }

    /// The log lost its latest configuration (a conflicting suffix was
    /// cut, a snapshot installed): the one in force is found again.
    pub(super) fn refresh_membership(&mut self) {
        let (index, config) = self.log.latest_config();
        debug_assert!(
            index <= self.log.last_index(),
            "the configuration in force is in the log"
        );
        self.membership = config;
        self.membership_index = index;
    }

    /// Whether the configuration in force is committed.
    fn membership_committed(&self) -> bool {
        self.membership_index <= self.commit_index
    }

    /// An operator's change, handed to this node as leader: appended, or
    /// refused with the reason. Single-server changes follow the 2015 fix:
    /// not before an entry of this leader's term is committed, and never
    /// while an earlier change is uncommitted.
    pub(in crate::raft) fn change_membership<E>(
        &mut self,
        change: MembershipChange,
        out: &mut Out<E>,
    ) -> Result<(), String> {
        if self.role != Role::Leader {
            return Err("not the leader".to_string());
        }
        if self.transferring {
            return Err("a leadership transfer is under way".to_string());
        }
        let bugs = self.config.bugs;
        // Planted bug multiple_changes_at_once: a second change before the
        // first commits; two configurations with disjoint majorities can
        // then both be in force.
        if !self.membership_committed() && !bugs.multiple_changes_at_once {
            return Err(format!(
                "the change at index {} is not committed yet",
                self.membership_index
            ));
        }
        // Planted bug change_before_term_commit: the single-server bug
        // Ongaro posted to raft-dev in 2015; a change appended before the
        // leader's term has a committed entry can meet another leader's
        // uncommitted change.
        let term_committed = self.log.term_at(self.commit_index) == Some(self.term);
        if change.is_single_server() && !term_committed && !bugs.change_before_term_commit {
            return Err("no entry of this leader's term is committed yet".to_string());
        }
        let next = self.membership.apply(&change)?;
        let index = self.append(Entry {
            term: self.term,
            data: EntryData::Config(next),
        });
        debug_assert_eq!(self.membership, next, "appended, and so in force");
        debug_assert_eq!(self.membership_index, index, "in force from its own entry");
        self.send_append_to_all(out);
        self.maybe_commit();
        self.flush(out);
        Ok(())
    }

    /// A leader whose joint configuration has committed appends the new
    /// configuration alone (raft-rs's auto-leave). Returns whether it did.
    pub(in crate::raft) fn leave_joint_if_committed<E>(&mut self, out: &mut Out<E>) -> bool {
        if self.role != Role::Leader || !self.membership.is_joint() || !self.membership_committed()
        {
            return false;
        }
        let next = self.membership.leave_joint();
        self.append(Entry {
            term: self.term,
            data: EntryData::Config(next),
        });
        debug_assert!(
            !self.membership.is_joint() && !self.membership_committed(),
            "C_new is in force, uncommitted, once C_old,new is left"
        );
        self.send_append_to_all(out);
        self.maybe_commit();
        true
    }

    /// A leader that has committed a configuration it is not a voter of
    /// steps down now (Raft thesis §4.2.2): until then it led without
    /// counting itself.
    pub(in crate::raft) fn must_step_down(&self) -> bool {
        self.role == Role::Leader
            && !self.membership.is_joint()
            && !self.membership.is_voter(self.id)
            && self.membership_committed()
    }

    /// Whether this node may stand in an election: it has a configuration
    /// (a spare machine has none until a leader adds it) and is not a
    /// learner in it. A node outside its own latest configuration still
    /// stands (thesis §4.2.2), without counting its own vote.
    pub(in crate::raft) fn may_campaign(&self) -> bool {
        !self.membership.is_empty() && !self.membership.is_learner(self.id)
    }

    /// Whether this node may grant a vote: not a learner, not a spare.
    pub(in crate::raft) fn may_vote(&self) -> bool {
        !self.membership.is_empty() && !self.membership.is_learner(self.id)
    }

    pub(in crate::raft) fn set_transferring(&mut self, transferring: bool) {
        debug_assert!(
            !transferring || self.role == Role::Leader,
            "only a leader transfers"
        );
        self.transferring = transferring;
    }

    /// Whether follower `n` holds everything this leader has.
    pub(in crate::raft) fn caught_up(&self, n: NodeId) -> bool {
        debug_assert_eq!(self.role, Role::Leader);
        debug_assert!(n != self.id, "a leader is always caught up with itself");
        self.progress[n.index()].matched == self.log.last_index()
    }

    /// Sends follower `n` whatever it lacks (a heartbeat if nothing).
    pub(in crate::raft) fn send_append_to<E>(&mut self, n: NodeId, out: &mut Out<E>) {
        debug_assert!(
            self.membership.members().contains(n),
            "a leader replicates only to members"
        );
        self.send_append(n, out);
    }
}
