//! Snapshots and log compaction (docs/SEMANTICS.md "Snapshots and log
//! compaction"): a node compacts its log behind its commit index; a leader
//! sends a follower that is behind its snapshot an InstallSnapshot instead
//! of entries it no longer has; the follower installs it.

use super::Core;
use crate::node::{Entry, LogIndex, NodeId, SnapshotMeta, Term};
use crate::raft::message::{AppendEntries, AppendResponse, InstallSnapshot, Message};
use crate::raft::node::Out;

impl Core {
    /// Once the commit index is `threshold_entries` past the snapshot,
    /// compacts the log up to `threshold_entries / 2` entries before the
    /// commit index: a follower only slightly behind (a lost append) still
    /// catches up from entries, not a snapshot. Called before each input,
    /// so observers have seen every committed entry before it goes. The
    /// disk follows with the node's next write (compaction alone writes
    /// nothing, so it never holds a message back).
    pub(in crate::raft) fn maybe_compact(&mut self) {
        let snapshot = self.log.snapshot_index();
        if let Some(index) = self
            .config
            .snapshot
            .compaction_point(self.commit_index, snapshot)
        {
            self.log.compact_to(index);
            self.dirty.snapshot = true;
        }
        debug_assert!(
            self.log.snapshot_index() <= self.commit_index,
            "node {}: a snapshot covers only committed entries",
            self.id
        );
    }

    /// The part of an append past this node's snapshot: (prev index, prev
    /// term, entries). Entries up to the snapshot are committed, so they
    /// match the leader's and are skipped.
    pub(super) fn past_snapshot<'a>(
        &self,
        append: &'a AppendEntries,
    ) -> (LogIndex, Term, &'a [Entry]) {
        let snapshot = self.log.snapshot_index();
        if append.prev_log_index >= snapshot {
            return (append.prev_log_index, append.prev_log_term, &append.entries);
        }
        let covered = (snapshot - append.prev_log_index).min(append.entries.len() as LogIndex);
        let rest = &append.entries[covered as usize..];
        // Whatever is left starts right after the snapshot.
        debug_assert!(
            rest.is_empty() || append.prev_log_index + covered == snapshot,
            "entries kept after a snapshot at {snapshot} start at {}",
            append.prev_log_index + covered + 1
        );
        (snapshot, self.log.snapshot_term(), rest)
    }

    /// Sends follower `to`, whose next index is compacted, the snapshot;
    /// its size is the entries it covers times `entry_bytes`.
    pub(super) fn send_snapshot<E>(&mut self, to: NodeId, out: &mut Out<E>) {
        let last_index = self.log.snapshot_index();
        debug_assert!(
            last_index >= 1,
            "a leader sends a snapshot only past index 0"
        );
        debug_assert!(
            self.progress[to.index()].matched <= last_index,
            "follower {to} already holds entries past the snapshot"
        );
        self.progress[to.index()].next = last_index + 1;
        let msg = Message::InstallSnapshot(InstallSnapshot {
            term: self.term,
            last_index,
            last_term: self.log.snapshot_term(),
            config: self.log.snapshot().config,
            bytes: self.config.snapshot.bytes(last_index),
        });
        self.send(to, msg, out);
    }

    /// A snapshot from the leader this node follows in the current term.
    /// One past the commit index is installed (keeping the log after it if
    /// this log holds its last entry, else discarding the log) and written;
    /// the answer, an `AppendResponse` matching the snapshot's index,
    /// leaves once the write is durable. One at or behind the commit index
    /// changes nothing and is acknowledged as well.
    pub(in crate::raft) fn accept_snapshot<E>(
        &mut self,
        from: NodeId,
        snapshot: &InstallSnapshot,
        out: &mut Out<E>,
    ) {
        debug_assert_eq!(snapshot.term, self.term);
        if snapshot.last_index > self.commit_index {
            self.log.install(SnapshotMeta {
                index: snapshot.last_index,
                term: snapshot.last_term,
                config: snapshot.config,
            });
            self.refresh_membership();
            self.commit_index = snapshot.last_index;
            self.durable_index = self.durable_index.min(self.log.last_index());
            self.mark_log_dirty(snapshot.last_index + 1);
            self.dirty.snapshot = true;
            debug_assert_eq!(
                (self.log.snapshot_index(), self.log.snapshot_term()),
                (snapshot.last_index, snapshot.last_term),
                "the snapshot installed"
            );
        }
        debug_assert!(
            self.commit_index >= snapshot.last_index,
            "node {}: a snapshot installed or acknowledged is committed here",
            self.id
        );
        let reply = Message::AppendResponse(AppendResponse {
            term: self.term,
            success: true,
            index: snapshot.last_index,
        });
        self.send(from, reply, out);
    }
}
