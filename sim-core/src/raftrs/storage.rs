//! The storage raft-rs reads its log and hard state from. raft-rs's own
//! `MemStorage` copies the whole requested range before cutting it to the
//! message size, which made a leader far ahead of a follower quadratic
//! (the stranded leader of quorum-loss, its log swollen by client
//! retries); this one copies at most what can fit. The log is never
//! compacted, so the library never asks for a snapshot. What is durable is
//! the cluster's business (`PersistWrite`), not this store's: this is the
//! library's view, written as soon as a `Ready` is handled.

use protobuf::Message as _;
use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, Storage, StorageError, NO_LIMIT};

pub(super) struct SimStorage {
    hard_state: HardState,
    conf_state: ConfState,
    /// Index 1 is `entries[0]`.
    entries: Vec<Entry>,
}

impl SimStorage {
    pub(super) fn new(conf_state: ConfState, hard_state: HardState, entries: Vec<Entry>) -> Self {
        SimStorage {
            hard_state,
            conf_state,
            entries,
        }
    }

    /// Appends entries, overwriting the log from the first one's index.
    pub(super) fn append(&mut self, entries: &[Entry]) {
        if let Some(first) = entries.first() {
            let keep = first.index as usize - 1;
            assert!(keep <= self.entries.len(), "appended entries leave no gap");
            self.entries.truncate(keep);
            self.entries.extend_from_slice(entries);
        }
    }

    pub(super) fn set_hard_state(&mut self, hard_state: HardState) {
        self.hard_state = hard_state;
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
        if low == 0 {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        assert!(
            high <= self.entries.len() as u64 + 1,
            "entries up to {high} of a log of {}",
            self.entries.len()
        );
        let range = &self.entries[(low - 1) as usize..(high - 1) as usize];
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
        match idx {
            0 => Ok(0),
            _ => match self.entries.get(idx as usize - 1) {
                Some(entry) => Ok(entry.term),
                None => Err(raft::Error::Store(StorageError::Unavailable)),
            },
        }
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(1)
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.entries.len() as u64)
    }

    fn snapshot(&self, _request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        // Nothing is ever compacted, so nothing needs a snapshot.
        Err(raft::Error::Store(
            StorageError::SnapshotTemporarilyUnavailable,
        ))
    }
}
