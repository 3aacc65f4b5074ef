//! The replicated log of one node: 1-based indices, index 0 is the empty
//! prefix with term 0. Entries up to `snapshot_index` are compacted into a
//! snapshot (only the last one's term is kept); the log holds the entries
//! after it (docs/SEMANTICS.md "Snapshots and log compaction").

use super::{Entry, LogIndex, Term};

#[derive(Clone, Debug, Default)]
pub struct Log {
    snapshot_index: LogIndex,
    snapshot_term: Term,
    /// `entries[0]` is `snapshot_index + 1`.
    entries: Vec<Entry>,
}

/// What observers see of a node's log: the snapshot's last included index
/// and term and the live entries after it.
#[derive(Clone, Copy, Debug)]
pub struct LogView<'a> {
    pub snapshot_index: LogIndex,
    pub snapshot_term: Term,
    /// `entries[0]` is `snapshot_index + 1`.
    pub entries: &'a [Entry],
}

impl<'a> LogView<'a> {
    /// A log without a snapshot.
    pub fn of_entries(entries: &'a [Entry]) -> LogView<'a> {
        LogView {
            snapshot_index: 0,
            snapshot_term: 0,
            entries,
        }
    }

    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index + self.entries.len() as LogIndex
    }

    /// The live entry at `index`: None at or below the snapshot and past
    /// the end.
    pub fn entry(&self, index: LogIndex) -> Option<&'a Entry> {
        let offset = index.checked_sub(self.snapshot_index + 1)?;
        self.entries.get(usize::try_from(offset).ok()?)
    }

    /// The term at `index`: the snapshot's at its last index, None below
    /// it and past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot_index {
            return Some(self.snapshot_term);
        }
        self.entry(index).map(|e| e.term)
    }
}

impl Log {
    /// A log of `entries` after a snapshot ending at (`snapshot_index`,
    /// `snapshot_term`).
    pub fn from_parts(snapshot_index: LogIndex, snapshot_term: Term, entries: Vec<Entry>) -> Log {
        Log {
            snapshot_index,
            snapshot_term,
            entries,
        }
    }

    pub fn from_entries(entries: Vec<Entry>) -> Log {
        Log::from_parts(0, 0, entries)
    }

    pub fn view(&self) -> LogView<'_> {
        LogView {
            snapshot_index: self.snapshot_index,
            snapshot_term: self.snapshot_term,
            entries: &self.entries,
        }
    }

    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot_index
    }

    pub fn snapshot_term(&self) -> Term {
        self.snapshot_term
    }

    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index + self.entries.len() as LogIndex
    }

    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.snapshot_term, |e| e.term)
    }

    /// The term of the entry at `index`: the snapshot's at its last index
    /// (0 for index 0), None below it (compacted) and past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.view().term_at(index)
    }

    /// The live entries (after the snapshot).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Position of `index` in `entries` (which must be past the snapshot).
    fn position(&self, index: LogIndex) -> usize {
        debug_assert!(index > self.snapshot_index, "entry {index} is compacted");
        (index - self.snapshot_index - 1) as usize
    }

    /// Live entries `from..=last`, at most `max` of them.
    pub fn slice_from(&self, from: LogIndex, max: usize) -> &[Entry] {
        let from = from.max(self.snapshot_index + 1);
        let start = self.position(from).min(self.entries.len());
        let end = start.saturating_add(max).min(self.entries.len());
        &self.entries[start..end]
    }

    pub fn append(&mut self, entry: Entry) -> LogIndex {
        self.entries.push(entry);
        self.last_index()
    }

    /// Overwrites the entry at `index` (which must exist).
    pub fn replace(&mut self, index: LogIndex, entry: Entry) {
        debug_assert!(index > self.snapshot_index && index <= self.last_index());
        let position = self.position(index);
        self.entries[position] = entry;
    }

    /// Removes every entry from `index` on.
    pub fn truncate_from(&mut self, index: LogIndex) {
        debug_assert!(index > self.snapshot_index);
        let position = self.position(index);
        self.entries.truncate(position);
    }

    /// Compacts every entry up to `index` (which must be live) into the
    /// snapshot.
    pub fn compact_to(&mut self, index: LogIndex) {
        let term = self.term_at(index).expect("compact to a live entry");
        let covered = (index - self.snapshot_index) as usize;
        self.entries.drain(..covered);
        self.snapshot_index = index;
        self.snapshot_term = term;
    }

    /// Installs a snapshot ending at (`index`, `term`), past this log's
    /// own: the entries after it are kept if this log holds that entry,
    /// else the whole log is discarded (Raft thesis §5.3). Returns whether
    /// the suffix was kept.
    pub fn install(&mut self, index: LogIndex, term: Term) -> bool {
        debug_assert!(index > self.snapshot_index);
        let keep = self.term_at(index) == Some(term);
        if keep {
            self.compact_to(index);
        } else {
            self.entries.clear();
            self.snapshot_index = index;
            self.snapshot_term = term;
        }
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::super::EntryData;
    use super::*;

    fn log_of(terms: &[Term]) -> Log {
        Log::from_entries(
            terms
                .iter()
                .map(|&term| Entry {
                    term,
                    data: EntryData::Noop,
                })
                .collect(),
        )
    }

    #[test]
    fn term_at_slice_and_truncate() {
        let mut log = log_of(&[1, 2, 3]);
        assert_eq!(log.term_at(0), Some(0));
        assert_eq!(log.term_at(3), Some(3));
        assert_eq!(log.term_at(4), None);
        assert_eq!(log.slice_from(2, 10).len(), 2);
        assert_eq!(log.slice_from(2, 1).len(), 1);
        assert_eq!(log.slice_from(4, 10).len(), 0);
        log.truncate_from(2);
        assert_eq!(log.last_index(), 1);
        assert_eq!(log.last_term(), 1);
    }

    #[test]
    fn compaction_keeps_indices_and_install_keeps_a_matching_suffix() {
        let mut log = log_of(&[1, 1, 2, 2, 3]);
        log.compact_to(3);
        assert_eq!((log.snapshot_index(), log.snapshot_term()), (3, 2));
        assert_eq!(log.entries().len(), 2);
        assert_eq!(log.term_at(2), None, "compacted");
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.term_at(5), Some(3));
        assert_eq!(log.slice_from(1, 10).len(), 2);
        assert_eq!(log.last_index(), 5);
        // A snapshot at an entry this log holds keeps what follows it.
        let mut kept = log.clone();
        assert!(kept.install(4, 2));
        assert_eq!((kept.snapshot_index(), kept.last_index()), (4, 5));
        // A snapshot at an entry of another term discards the whole log.
        assert!(!log.install(4, 9));
        assert_eq!((log.last_index(), log.last_term()), (4, 9));
        assert!(log.entries().is_empty());
    }
}
