//! The follower's side of replication (Raft §5.3): refusing a stale
//! leader, and accepting AppendEntries from the leader it follows: the
//! consistency check at the previous index, conflicting entries replaced,
//! new ones appended, the leader's commit index followed as far as this
//! log matches the leader's.

use super::Core;
use crate::node::{Action, Entry, LogIndex, NodeId, Role, SendTiming};
use crate::raft::message::{AppendEntries, AppendResponse, Message};
use crate::raft::node::Out;

impl Core {
    /// Tells a leader of an older term about the newer one.
    pub(in crate::raft) fn refuse_stale_append<E>(&mut self, from: NodeId, out: &mut Out<E>) {
        let reply = Message::AppendResponse(AppendResponse {
            term: self.term,
            success: false,
            index: 0,
        });
        self.send(from, reply, out);
    }

    /// AppendEntries from the leader this node follows in the current term
    /// (Raft §5.3): refuse on a gap or a mismatch at `prev_log_index`, else
    /// overwrite conflicting entries, append new ones and commit what the
    /// leader committed, as far as this log matches the leader's.
    pub(in crate::raft) fn accept_append<E>(
        &mut self,
        from: NodeId,
        append: &AppendEntries,
        out: &mut Out<E>,
    ) {
        debug_assert_eq!(append.term, self.term);
        debug_assert!(self.role == Role::Follower && self.leader == Some(from));
        let refusal = |index| AppendResponse {
            term: self.term,
            success: false,
            index,
        };
        let (prev, prev_term, entries) = self.past_snapshot(append);
        let reply = match self.log.term_at(prev) {
            None => refusal(self.log.last_index()),
            Some(t) if t != prev_term => refusal(self.conflict_hint(prev)),
            Some(_) => {
                let bugs = self.config.bugs;
                if bugs.ack_before_persist {
                    // What came before the entries (a new term) is written
                    // first; only the entries' own write is skipped below.
                    self.flush(out);
                }
                // Entries a snapshot already covered count as matched
                // only as far as the append reached.
                let sent_to = append.prev_log_index + append.entries.len() as LogIndex;
                let last_new = self.merge_entries(prev, entries).min(sent_to);
                // Planted bug trust_leader_commit: breaks state machine
                // safety, as entries past `last_new` may not be the leader's.
                let matched = if bugs.trust_leader_commit {
                    self.log.last_index()
                } else {
                    last_new
                };
                debug_assert!(
                    last_new >= append.prev_log_index && last_new <= self.log.last_index(),
                    "node {}: the append's last entry {last_new} outside {}..={}",
                    self.id,
                    append.prev_log_index,
                    self.log.last_index()
                );
                let before = self.commit_index;
                let commit = append.leader_commit.min(matched);
                if commit > self.commit_index {
                    self.commit_to(commit);
                }
                debug_assert!(
                    self.commit_index == before
                        || self.commit_index <= last_new
                        || bugs.trust_leader_commit,
                    "node {}: committed {} past the entries known to match leader {from} ({last_new})",
                    self.id,
                    self.commit_index
                );
                let reply = AppendResponse {
                    term: self.term,
                    success: true,
                    index: last_new,
                };
                if bugs.ack_before_persist {
                    // Planted bug: breaks leader completeness once a crash
                    // loses acknowledged entries. The ack goes out ahead of
                    // the write of its entries (flushed after this input),
                    // so the cluster does not hold it for that write.
                    out.push(Action::Send {
                        to: from,
                        msg: Message::AppendResponse(reply),
                        timing: SendTiming::AfterWrites,
                    });
                    return;
                }
                reply
            }
        };
        self.send(from, Message::AppendResponse(reply), out);
    }

    /// Puts `entries` after `prev`, cutting the log at the first entry whose
    /// term differs; returns the index of the last of them.
    fn merge_entries(&mut self, prev: LogIndex, entries: &[Entry]) -> LogIndex {
        for (offset, &entry) in entries.iter().enumerate() {
            let index = prev + 1 + offset as LogIndex;
            match self.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                // A compacted entry is committed and stays: a leader that
                // disagrees with it exists only in a broken cluster (a
                // planted bug), and the checker reports that.
                Some(_) if index <= self.log.snapshot_index() => continue,
                Some(_) if self.config.bugs.keep_conflicting_suffix => {
                    // Planted bug: breaks log matching, as the entries
                    // after `index` no longer follow the prefix they did.
                    self.replace(index, entry);
                }
                Some(_) => {
                    self.truncate_from(index);
                    self.append(entry);
                }
                None => {
                    self.append(entry);
                }
            }
        }
        let last_new = prev + entries.len() as LogIndex;
        // Log matching, this side: the log now holds every entry sent, at
        // its index, contiguous after `prev`.
        debug_assert!(
            entries
                .last()
                .is_none_or(|e| self.log.term_at(last_new) == Some(e.term)),
            "node {}: entry {last_new} is not the one just merged",
            self.id
        );
        last_new
    }

    /// On a mismatch at `index`, skip back over the whole run of the
    /// conflicting term (but never below the commit index), so a diverged
    /// follower is repaired in one round trip per term, not per entry.
    fn conflict_hint(&self, index: LogIndex) -> LogIndex {
        let conflict_term = self.log.term_at(index);
        let mut first = index;
        while first > self.commit_index + 1 && self.log.term_at(first - 1) == conflict_term {
            first -= 1;
        }
        debug_assert!(first >= 1 && first <= index, "a hint below the conflict");
        first - 1
    }
}
