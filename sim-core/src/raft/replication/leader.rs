//! The leader's side of replication: taking a proposal, sending each
//! follower what it lacks (pipelined: the next index advances when
//! entries are sent), reading the answers and the commit rule (a majority
//! of the configuration in force, of both voter sets in joint consensus,
//! and only for an entry of the leader's own term).

use super::Core;
use crate::node::{
    Entry, EntryData, LogIndex, Membership, NodeId, NodeSet, ProposalId, Role, SendTiming,
};
use crate::raft::message::{AppendEntries, AppendResponse, Message};
use crate::raft::node::Out;
use crate::raft::MAX_ENTRIES_PER_APPEND;

impl Core {
    /// A client proposal: false (and nothing done) unless leading. A
    /// retry of a proposal the leader holds uncommitted is taken and not
    /// appended again (client sessions, Raft thesis §6.3).
    pub(in crate::raft) fn propose<E>(&mut self, id: ProposalId, out: &mut Out<E>) -> bool {
        if self.role != Role::Leader || self.transferring {
            return false;
        }
        if !self
            .sessions
            .first_time(self.term, self.commit_index, self.log.view(), id)
        {
            return true;
        }
        let index = self.append(Entry {
            term: self.term,
            data: EntryData::Proposal(id),
        });
        debug_assert_eq!(index, self.log.last_index(), "a proposal goes last");
        if self.sendable_index() >= index {
            for peer in self.peers() {
                if self.progress[peer.index()].next == index {
                    self.send_append(peer, out);
                }
            }
        }
        self.maybe_commit();
        self.flush(out);
        true
    }

    /// Sends every follower what it has not been sent yet (an empty append
    /// is a heartbeat).
    pub(in crate::raft) fn send_append_to_all<E>(&mut self, out: &mut Out<E>) {
        for peer in self.peers() {
            self.send_append(peer, out);
        }
    }

    /// Resends to every follower that is behind, from its match index on
    /// (DLedger's leader retries on a timer rather than on refusals alone).
    pub(in crate::raft) fn resend_to_lagging<E>(&mut self, out: &mut Out<E>) {
        let last_index = self.log.last_index();
        for peer in self.peers() {
            let progress = &mut self.progress[peer.index()];
            if progress.matched < last_index {
                progress.next = progress.matched + 1;
                self.send_append(peer, out);
            }
        }
    }

    pub(super) fn send_append<E>(&mut self, to: NodeId, out: &mut Out<E>) {
        debug_assert_eq!(self.role, Role::Leader);
        if self.progress[to.index()].next <= self.log.snapshot_index() {
            self.send_snapshot(to, out);
            return;
        }
        let next = self.progress[to.index()].next;
        debug_assert!(next >= 1 && next <= self.log.last_index() + 1);
        let prev_log_index = next - 1;
        let prev_log_term = self
            .log
            .term_at(prev_log_index)
            .expect("a leader's next index is within its log");
        debug_assert!(
            prev_log_term <= self.term,
            "the leader's log holds no later term"
        );
        // With `leader_writes_first`, only what the leader's disk holds.
        let room = self.sendable_index().saturating_sub(prev_log_index);
        let room = usize::try_from(room).unwrap_or(usize::MAX);
        let entries = self
            .log
            .slice_from(next, MAX_ENTRIES_PER_APPEND.min(room))
            .to_vec();
        let progress = &mut self.progress[to.index()];
        progress.next += entries.len() as LogIndex;
        debug_assert!(
            progress.next <= self.log.last_index() + 1,
            "follower {to}'s next index {} past the leader's log",
            progress.next
        );
        let msg = Message::AppendEntries(AppendEntries {
            term: self.term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
        });
        // Entries may leave ahead of the leader's write of them, never
        // ahead of its term: a leader whose term is lost in a crash could
        // be elected again in that term and write other entries at the
        // same indexes (membership-churn, a sole voter with learners).
        let timing = if self.leader_writes_in_parallel && self.term_is_durable() {
            SendTiming::Now
        } else {
            SendTiming::AfterWrites
        };
        self.send_timed(to, msg, timing, out);
    }

    /// A follower's answer. Returns whether it counted: only a leader counts
    /// answers, and only those of its own term.
    pub(in crate::raft) fn on_append_response<E>(
        &mut self,
        from: NodeId,
        response: &AppendResponse,
        out: &mut Out<E>,
    ) -> bool {
        if self.role != Role::Leader || response.term != self.term {
            return false;
        }
        let last_index = self.log.last_index();
        let progress = &mut self.progress[from.index()];
        if response.success {
            // Only a follower that now holds an entry past the commit index
            // can complete a majority past it: every other input of the
            // count (the leader's own write, the configuration, the term)
            // counts again when it changes. Most answers (heartbeats) skip.
            let counts = response.index > progress.matched && response.index > self.commit_index;
            progress.matched = progress.matched.max(response.index);
            progress.next = progress.next.max(response.index + 1);
            debug_assert!(
                progress.matched <= last_index,
                "follower {from} matched {} past the leader's last index {last_index}",
                progress.matched
            );
            let behind = progress.next <= self.sendable_index();
            if counts {
                self.maybe_commit();
            } else if cfg!(debug_assertions) {
                let before = self.commit_index;
                self.maybe_commit();
                debug_assert_eq!(
                    self.commit_index, before,
                    "an answer that moved no one past the commit index commits nothing"
                );
            }
            // A node the configuration in force leaves out gets nothing
            // more (thesis §4.2.2), not even in answer to its answers.
            if behind && self.membership.members().contains(from) {
                self.send_append(from, out);
            }
        } else if response.index >= progress.matched {
            // Back off to the follower's hint, never below what it matched.
            progress.next = (response.index + 1)
                .min(progress.next)
                .max(progress.matched + 1);
            debug_assert!(
                progress.matched < progress.next && progress.next <= last_index + 1,
                "follower {from} backed off to {} with {} matched",
                progress.next,
                progress.matched
            );
            if self.membership.members().contains(from) {
                self.send_append(from, out);
            }
        }
        true
    }

    /// Commits the highest index a majority holds, if it is of the current
    /// term (Raft §5.4.2: earlier terms commit only indirectly). The
    /// majority is of the configuration in force, of both voter sets during
    /// joint consensus; the leader counts itself only if it is a voter, and
    /// its own log only as far as it is durable.
    pub(in crate::raft) fn maybe_commit(&mut self) {
        debug_assert_eq!(self.role, Role::Leader, "only a leader commits by counting");
        let own = self.durable_index.min(self.log.last_index());
        let Membership {
            voters, outgoing, ..
        } = self.membership;
        // Most calls (a heartbeat's reply, a follower catching up below the
        // commit index) change nothing: unless a majority holds an index
        // past the commit index, nothing can commit.
        let next = self.commit_index + 1;
        if !self.majority_holds_index(voters, own, next)
            || !self.majority_holds_index(outgoing, own, next)
        {
            return;
        }
        let mut candidate = self.majority_holds(voters, own);
        if !outgoing.is_empty() {
            candidate = candidate.min(self.majority_holds(outgoing, own));
        }
        // Planted bug commit_previous_term_by_count (the thesis' Figure 3.7):
        // breaks leader completeness, as a later leader may lack the entry.
        let term_ok = self.config.bugs.commit_previous_term_by_count
            || self.log.term_at(candidate) == Some(self.term);
        if candidate > self.commit_index && term_ok {
            self.commit_to(candidate);
            debug_assert!(
                self.majority_holds_index(voters, own, self.commit_index)
                    && self.majority_holds_index(outgoing, own, self.commit_index),
                "leader {} committed {} past what a majority matched",
                self.id,
                self.commit_index
            );
        }
    }

    /// How far node `n` is known to hold the leader's log.
    fn matched(&self, n: NodeId, own: LogIndex) -> LogIndex {
        if n == self.id {
            own
        } else {
            self.progress[n.index()].matched
        }
    }

    /// Whether a majority of `set` (trivially, of none) holds `index`.
    fn majority_holds_index(&self, set: NodeSet, own: LogIndex, index: LogIndex) -> bool {
        let holding = set
            .iter()
            .filter(|&n| self.matched(n, own) >= index)
            .count();
        set.is_empty() || 2 * holding > set.len()
    }

    /// The highest index a majority of `set` holds.
    fn majority_holds(&mut self, set: NodeSet, own: LogIndex) -> LogIndex {
        debug_assert!(!set.is_empty(), "a majority of no one");
        self.match_scratch.clear();
        for n in set.iter() {
            let matched = self.matched(n, own);
            self.match_scratch.push(matched);
        }
        let majority = set.len() / 2 + 1;
        let (_, &mut held, _) = self
            .match_scratch
            .select_nth_unstable_by(majority - 1, |a, b| b.cmp(a));
        debug_assert!(
            held <= self.log.last_index(),
            "a majority holds {held}, past the leader's last index {}",
            self.log.last_index()
        );
        held
    }

    pub(super) fn commit_to(&mut self, index: LogIndex) {
        debug_assert!(index > self.commit_index, "the commit index never falls");
        assert!(
            index <= self.log.last_index(),
            "node {}: commit index {index} past its last index {}",
            self.id,
            self.log.last_index()
        );
        self.commit_index = index;
    }
}
