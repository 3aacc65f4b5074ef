//! What a node keeps on disk and how it is written: log entries, the
//! durable state that survives a crash, and a write as a node issues it.
//! The cluster applies writes to its copy of each disk; a node rebuilds
//! itself from it on restart.

use super::{LogIndex, Membership, NodeId, ProposalId, Term};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryData {
    /// The entry a new leader appends to commit its term.
    Noop,
    Proposal(ProposalId),
    /// A configuration, in force from the moment a node appends it
    /// (Raft thesis §4.1), committed or not.
    Config(Membership),
}

/// A snapshot's last included entry and the configuration in force there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SnapshotMeta {
    pub index: LogIndex,
    pub term: Term,
    pub config: Membership,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub term: Term,
    pub data: EntryData,
}

/// A durable write of term, vote, a snapshot and the log suffix from
/// `log_from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistWrite {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// A newer snapshot, applied before the log suffix: the disk keeps its
    /// entries after that index if it holds that entry, else it drops its
    /// whole log (docs/SEMANTICS.md "Snapshots and log compaction").
    pub snapshot: Option<SnapshotMeta>,
    /// First log index this write rewrites (after the snapshot, if any);
    /// the durable log is cut before it, then `entries` are appended.
    pub log_from: LogIndex,
    pub entries: Vec<Entry>,
    /// The commit index, for an implementation that keeps it on disk
    /// (raft-rs keeps it in its hard state, as etcd does); the model does
    /// not (`None`).
    pub commit: Option<LogIndex>,
}

/// What survives a crash: term, vote, the snapshot (its last included
/// index and term) and the log after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HardState {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    pub snapshot_index: LogIndex,
    pub snapshot_term: Term,
    /// The configuration in force at the snapshot: the cluster's initial
    /// one on a fresh disk (none at all on a spare machine's).
    pub snapshot_config: Membership,
    /// The entries after the snapshot: `log[0]` is `snapshot_index + 1`.
    pub log: Vec<Entry>,
    /// The last commit index written with the state (0: none written).
    pub commit: LogIndex,
    /// The configuration the cluster was formed with, which every machine
    /// is told when installed, a spare included (etcd's initial cluster). A
    /// spare's log does not hold it: an implementation whose log holds
    /// configuration changes as deltas (raft-rs) replays them from it. The
    /// model ignores it: a spare uses no configuration until a change
    /// names it.
    pub initial_config: Membership,
}

impl HardState {
    /// The index of the last entry on disk.
    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index + self.log.len() as LogIndex
    }

    /// Applies a write, as a disk would.
    pub fn apply(&mut self, write: &PersistWrite) {
        debug_assert!(write.log_from >= 1, "log positions are 1-based");
        self.term = write.term;
        self.voted_for = write.voted_for;
        if let Some(meta) = write.snapshot.filter(|s| s.index > self.snapshot_index) {
            let covered = meta.index - self.snapshot_index;
            let holds = self.log.get(covered as usize - 1).map(|e| e.term) == Some(meta.term);
            if holds {
                self.log.drain(..covered as usize);
            } else {
                self.log.clear();
            }
            self.snapshot_index = meta.index;
            self.snapshot_term = meta.term;
            self.snapshot_config = meta.config;
            debug_assert!(
                self.last_index() >= meta.index,
                "the disk holds at least what its snapshot covers"
            );
        }
        // Produced by the node's flush (`write_pending`), consumed here:
        // each write rewrites the log from a point the disk already
        // reaches, so the durable log never has a gap.
        debug_assert!(
            write.log_from <= self.last_index() + 1,
            "a write from entry {} leaves a gap after the disk's last entry {}",
            write.log_from,
            self.last_index()
        );
        let keep = write
            .log_from
            .saturating_sub(1)
            .saturating_sub(self.snapshot_index);
        self.log.truncate((keep as usize).min(self.log.len()));
        self.log.extend_from_slice(&write.entries);
        if let Some(commit) = write.commit {
            debug_assert!(commit >= self.commit, "a written commit index never falls");
            self.commit = commit;
        }
        debug_assert!(
            write.entries.is_empty()
                || self.last_index() == write.log_from + write.entries.len() as LogIndex - 1,
            "a write's entries land where it says"
        );
    }

    /// The latest configuration on disk: the last configuration entry's,
    /// or the snapshot's.
    pub fn latest_config(&self) -> Membership {
        self.log
            .iter()
            .rev()
            .find_map(|entry| match entry.data {
                EntryData::Config(config) => Some(config),
                EntryData::Noop | EntryData::Proposal(_) => None,
            })
            .unwrap_or(self.snapshot_config)
    }

    /// The snapshot the disk holds.
    pub fn snapshot(&self) -> SnapshotMeta {
        SnapshotMeta {
            index: self.snapshot_index,
            term: self.snapshot_term,
            config: self.snapshot_config,
        }
    }

    /// A fresh disk: nothing written yet, `config` in force.
    pub fn bootstrap(config: Membership) -> HardState {
        assert!(
            !config.voters.is_empty() && !config.is_joint(),
            "a cluster is formed with voters, outside joint consensus: {config}"
        );
        HardState {
            snapshot_config: config,
            initial_config: config,
            ..HardState::default()
        }
    }

    /// A spare machine's fresh disk: no configuration in force, told the
    /// cluster's initial one.
    pub fn spare(initial: Membership) -> HardState {
        assert!(
            !initial.voters.is_empty(),
            "a spare is told a configuration with voters"
        );
        HardState {
            initial_config: initial,
            ..HardState::default()
        }
    }

    /// The snapshot with the configuration a log replay starts from: the
    /// initial configuration on a disk that has never held one.
    pub fn replay_base(&self) -> SnapshotMeta {
        let mut meta = self.snapshot();
        if meta.index == 0 && meta.config.is_empty() {
            meta.config = self.initial_config;
        }
        meta
    }
}
