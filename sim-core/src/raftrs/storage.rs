//! The storage raft-rs reads its log and hard state from. raft-rs's own
//! `MemStorage` copies the whole requested range before cutting it to the
//! message size, which made a leader far ahead of a follower quadratic
//! (the stranded leader of quorum-loss, its log swollen by client
//! retries); this one copies at most what can fit. It holds the entries
//! after a snapshot: the adapter compacts it as the model compacts its log,
//! and the library then sends a follower that is behind the snapshot
//! (`snapshot`), which the follower installs (`apply_snapshot`). What is
//! durable is the cluster's business (`PersistWrite`), not this store's:
//! this is the library's view, written as soon as a `Ready` is handled.

use protobuf::Message as _;
use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, Storage, StorageError, NO_LIMIT};

use super::convert::conf_state;
use crate::node::Membership;

pub(super) struct SimStorage {
    hard_state: HardState,
    conf_state: ConfState,
    /// The last index and term the snapshot covers (0, 0: none).
    snapshot: (u64, u64),
    /// Index `snapshot.0 + 1` is `entries[0]`.
    entries: Vec<Entry>,
    /// The applied point (index, term) and the configuration applied
    /// there: where a snapshot asked for is taken, as an application takes
    /// one of its state machine (none applied yet since start: the
    /// compacted snapshot).
    applied: Option<(u64, u64, Membership)>,
}

impl SimStorage {
    pub(super) fn new(
        conf_state: ConfState,
        hard_state: HardState,
        snapshot: (u64, u64),
        entries: Vec<Entry>,
    ) -> Self {
        SimStorage {
            hard_state,
            conf_state,
            snapshot,
            entries,
            applied: None,
        }
    }

    /// The application applied the log up to `index` (of `term`), with
    /// `conf_state` the configuration in force there.
    pub(super) fn set_applied(&mut self, index: u64, term: u64, config: Membership) {
        debug_assert!(
            self.applied.as_ref().is_none_or(|a| a.0 <= index),
            "the applied index never falls"
        );
        self.applied = Some((index, term, config));
    }

    /// Position of `index` (past the snapshot) in `entries`.
    fn position(&self, index: u64) -> usize {
        debug_assert!(index > self.snapshot.0, "entry {index} is compacted");
        (index - self.snapshot.0 - 1) as usize
    }

    /// Appends entries, overwriting the log from the first one's index.
    pub(super) fn append(&mut self, entries: &[Entry]) {
        if let Some(first) = entries.first() {
            let keep = self.position(first.index);
            assert!(keep <= self.entries.len(), "appended entries leave no gap");
            self.entries.truncate(keep);
            self.entries.extend_from_slice(entries);
            debug_assert_eq!(
                self.snapshot.0 + self.entries.len() as u64,
                entries[entries.len() - 1].index,
                "the log ends with the last entry appended"
            );
        }
    }

    pub(super) fn set_hard_state(&mut self, hard_state: HardState) {
        self.hard_state = hard_state;
    }

    /// Compacts every entry up to `index` (which must be held) into the
    /// snapshot, `conf_state` the configuration in force there.
    pub(super) fn compact(&mut self, index: u64, conf_state: ConfState) {
        let term = self.term(index).expect("compact to a held entry");
        let last = self.snapshot.0 + self.entries.len() as u64;
        let covered = (index - self.snapshot.0) as usize;
        self.entries.drain(..covered);
        self.snapshot = (index, term);
        self.conf_state = conf_state;
        debug_assert_eq!(
            self.snapshot.0 + self.entries.len() as u64,
            last,
            "compaction moves no entry's index"
        );
    }

    /// Installs a snapshot the leader sent: raft-rs hands one over only
    /// when this log does not already hold its last entry, so the whole
    /// log goes, as in raft-rs's `MemStorage`.
    pub(super) fn apply_snapshot(&mut self, snapshot: &Snapshot) {
        let meta = snapshot.get_metadata();
        debug_assert!(meta.index > self.snapshot.0, "an older snapshot");
        self.snapshot = (meta.index, meta.term);
        self.entries.clear();
        self.hard_state.term = self.hard_state.term.max(meta.term);
        self.hard_state.commit = meta.index;
        self.conf_state = meta.get_conf_state().clone();
    }

    pub(super) fn snapshot_point(&self) -> (u64, u64) {
        self.snapshot
    }
}

impl Storage for SimStorage {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState::new(
            self.hard_state.clone(),
            self.conf_state.clone(),
        ))
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        let max_size = max_size.into();
        if low <= self.snapshot.0 {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        assert!(
            high <= self.last_index()? + 1,
            "entries up to {high} of a log ending at {}",
            self.last_index()?
        );
        debug_assert!(low <= high, "entries {low}..{high}");
        let range = &self.entries[self.position(low)..self.position(high)];
        debug_assert!(
            range.first().is_none_or(|e| e.index == low),
            "the stored entries' indices are their positions"
        );
        // raft-rs's `limit_size`, counted before copying: the first entry
        // always, then as many as keep the total within `max_size`.
        let fits = match max_size {
            None | Some(NO_LIMIT) => range.len(),
            Some(max) => {
                let mut size = 0;
                range
                    .iter()
                    .take_while(|entry| {
                        let first = size == 0;
                        size += u64::from(entry.compute_size());
                        first || size <= max
                    })
                    .count()
            }
        };
        Ok(range[..fits].to_vec())
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        if idx == self.snapshot.0 {
            return Ok(self.snapshot.1);
        }
        if idx < self.snapshot.0 {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        match self.entries.get(self.position(idx)) {
            Some(entry) => Ok(entry.term),
            None => Err(raft::Error::Store(StorageError::Unavailable)),
        }
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.snapshot.0 + 1)
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.snapshot.0 + self.entries.len() as u64)
    }

    /// A snapshot of the state machine as applied, as an application
    /// makes one when the library asks (TiKV generates one): its last index
    /// and term and the configuration applied there, which names a node
    /// added since the last compaction (a snapshot that does not, the node
    /// refuses to install). Before anything is applied, the compacted one.
    /// (Its data is the state machine's, which raftsim does not model: the
    /// cluster charges its transfer by size.)
    fn snapshot(&self, request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        let (index, term, conf_state) = match &self.applied {
            Some((index, term, config)) if *index > self.snapshot.0 => {
                (*index, *term, conf_state(config))
            }
            _ => (self.snapshot.0, self.snapshot.1, self.conf_state.clone()),
        };
        if index == 0 || request_index > index {
            return Err(raft::Error::Store(
                StorageError::SnapshotTemporarilyUnavailable,
            ));
        }
        let mut snapshot = Snapshot::default();
        let meta = snapshot.mut_metadata();
        meta.index = index;
        meta.term = term;
        meta.set_conf_state(conf_state);
        Ok(snapshot)
    }
}
