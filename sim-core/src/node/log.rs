//! The replicated log of one node: 1-based indices, index 0 is the empty
//! prefix with term 0. Entries up to `snapshot_index` are compacted into a
//! snapshot (only the last one's term is kept); the log holds the entries
//! after it (docs/SEMANTICS.md "Snapshots and log compaction").

use super::{Entry, EntryData, LogIndex, Membership, SnapshotMeta, Term};

#[derive(Clone, Debug, Default)]
pub struct Log {
    snapshot_index: LogIndex,
    snapshot_term: Term,
    /// The configuration in force at the snapshot.
    snapshot_config: Membership,
    /// `entries[0]` is `snapshot_index + 1`.
    entries: Vec<Entry>,
}

/// What observers see of a node's log: the snapshot's last included index
/// and term and the live entries after it.
#[derive(Clone, Copy, Debug)]
pub struct LogView<'a> {
    pub snapshot_index: LogIndex,
    pub snapshot_term: Term,
    pub snapshot_config: Membership,
    /// `entries[0]` is `snapshot_index + 1`.
    pub entries: &'a [Entry],
}

impl<'a> LogView<'a> {
    /// A log without a snapshot.
    pub fn of_entries(entries: &'a [Entry]) -> LogView<'a> {
        LogView {
            snapshot_index: 0,
            snapshot_term: 0,
            snapshot_config: Membership::default(),
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

    /// The latest configuration at or before `index` (clamped to the log),
    /// with the index of its entry (the snapshot's for the snapshot's).
    pub fn config_at(&self, index: LogIndex) -> (LogIndex, Membership) {
        let last = index.min(self.last_index());
        let live = last.saturating_sub(self.snapshot_index) as usize;
        let found = self.entries[..live]
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, e)| match e.data {
                EntryData::Config(config) => {
                    Some((self.snapshot_index + i as LogIndex + 1, config))
                }
                EntryData::Noop | EntryData::Proposal(_) => None,
            })
            .unwrap_or((self.snapshot_index, self.snapshot_config));
        debug_assert!(
            found.0 >= self.snapshot_index && found.0 <= last.max(self.snapshot_index),
            "the configuration in force at {index} comes from entry {}, outside {}..={last}",
            found.0,
            self.snapshot_index
        );
        found
    }

    /// The configuration the log's owner uses: its latest, committed or
    /// not (Raft thesis §4.1).
    pub fn latest_config(&self) -> (LogIndex, Membership) {
        self.config_at(self.last_index())
    }
}

impl Log {
    /// A log of `entries` after `snapshot`.
    pub fn from_parts(snapshot: SnapshotMeta, entries: Vec<Entry>) -> Log {
        debug_assert!(
            snapshot.index > 0 || snapshot.term == 0,
            "index 0 is the empty prefix, of term 0, not {}",
            snapshot.term
        );
        Log {
            snapshot_index: snapshot.index,
            snapshot_term: snapshot.term,
            snapshot_config: snapshot.config,
            entries,
        }
    }

    pub fn from_entries(entries: Vec<Entry>) -> Log {
        Log::from_parts(SnapshotMeta::default(), entries)
    }

    pub fn view(&self) -> LogView<'_> {
        LogView {
            snapshot_index: self.snapshot_index,
            snapshot_term: self.snapshot_term,
            snapshot_config: self.snapshot_config,
            entries: &self.entries,
        }
    }

    /// The snapshot: its last entry and the configuration in force there.
    pub fn snapshot(&self) -> SnapshotMeta {
        SnapshotMeta {
            index: self.snapshot_index,
            term: self.snapshot_term,
            config: self.snapshot_config,
        }
    }

    /// See [`LogView::config_at`].
    pub fn config_at(&self, index: LogIndex) -> (LogIndex, Membership) {
        self.view().config_at(index)
    }

    /// See [`LogView::latest_config`].
    pub fn latest_config(&self) -> (LogIndex, Membership) {
        self.view().latest_config()
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
        debug_assert!(
            start == end || from + (end - start) as LogIndex - 1 <= self.last_index(),
            "a slice from {from} ends within the log"
        );
        &self.entries[start..end]
    }

    /// Appends `entry` right after the last one; returns its index.
    pub fn append(&mut self, entry: Entry) -> LogIndex {
        let before = self.last_index();
        self.entries.push(entry);
        debug_assert_eq!(
            self.last_index(),
            before + 1,
            "an appended entry follows the last one"
        );
        self.last_index()
    }

    /// Overwrites the entry at `index` (which must exist).
    pub fn replace(&mut self, index: LogIndex, entry: Entry) {
        debug_assert!(index > self.snapshot_index && index <= self.last_index());
        let last = self.last_index();
        let position = self.position(index);
        self.entries[position] = entry;
        debug_assert_eq!(self.last_index(), last, "a replacement keeps the length");
    }

    /// Removes every entry from `index` on.
    pub fn truncate_from(&mut self, index: LogIndex) {
        debug_assert!(index > self.snapshot_index);
        debug_assert!(
            index <= self.last_index() + 1,
            "truncate from {index}, past the end of a log of {}",
            self.last_index()
        );
        let position = self.position(index);
        self.entries.truncate(position);
        debug_assert_eq!(
            self.last_index(),
            index - 1,
            "the log ends just before the cut"
        );
    }

    /// Compacts every entry up to `index` (which must be live) into the
    /// snapshot.
    pub fn compact_to(&mut self, index: LogIndex) {
        let term = self.term_at(index).expect("compact to a live entry");
        let (_, config) = self.config_at(index);
        let last = self.last_index();
        let covered = (index - self.snapshot_index) as usize;
        self.entries.drain(..covered);
        self.snapshot_index = index;
        self.snapshot_term = term;
        self.snapshot_config = config;
        debug_assert_eq!(self.last_index(), last, "compaction moves no entry's index");
    }

    /// Installs a snapshot ending at (`index`, `term`), past this log's
    /// own: the entries after it are kept if this log holds that entry,
    /// else the whole log is discarded (Raft thesis §5.3). Returns whether
    /// the suffix was kept.
    pub fn install(&mut self, snapshot: SnapshotMeta) -> bool {
        assert!(
            snapshot.index > self.snapshot_index,
            "a snapshot only moves forward"
        );
        let keep = self.term_at(snapshot.index) == Some(snapshot.term);
        if keep {
            self.compact_to(snapshot.index);
            debug_assert_eq!(
                self.snapshot_config, snapshot.config,
                "the same prefix, the same configuration"
            );
        } else {
            self.entries.clear();
            self.snapshot_index = snapshot.index;
            self.snapshot_term = snapshot.term;
        }
        self.snapshot_config = snapshot.config;
        debug_assert_eq!(self.snapshot(), snapshot, "the snapshot installed");
        debug_assert!(
            keep || self.entries.is_empty(),
            "a snapshot the log does not match leaves no entry"
        );
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
    fn the_configuration_in_force_is_the_latest_entry_or_the_snapshot() {
        let set =
            |ids: &[u32]| super::super::NodeSet::of(ids.iter().map(|&i| super::super::NodeId(i)));
        let c0 = Membership::of_voters(set(&[1, 2, 3]));
        let c1 = Membership::of_voters(set(&[1, 2, 3, 4]));
        let entry = |term, data| Entry { term, data };
        let mut log = Log::from_parts(
            SnapshotMeta {
                index: 0,
                term: 0,
                config: c0,
            },
            vec![
                entry(1, EntryData::Noop),
                entry(1, EntryData::Config(c1)),
                entry(1, EntryData::Proposal(7)),
            ],
        );
        assert_eq!(log.latest_config(), (2, c1));
        assert_eq!(log.config_at(1), (0, c0));
        log.compact_to(3);
        assert_eq!(
            log.snapshot().config,
            c1,
            "compaction keeps the configuration in force"
        );
        assert_eq!(log.latest_config(), (3, c1));
        log.truncate_from(4);
        assert_eq!(log.config_at(9), (3, c1));
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
        assert!(kept.install(SnapshotMeta {
            index: 4,
            term: 2,
            config: Membership::default()
        }));
        assert_eq!((kept.snapshot_index(), kept.last_index()), (4, 5));
        // A snapshot at an entry of another term discards the whole log.
        assert!(!log.install(SnapshotMeta {
            index: 4,
            term: 9,
            config: Membership::default()
        }));
        assert_eq!((log.last_index(), log.last_term()), (4, 9));
        assert!(log.entries().is_empty());
    }
}
