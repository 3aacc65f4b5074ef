//! The replicated log of one node: 1-based indices, index 0 is the empty
//! prefix with term 0.

use super::{Entry, LogIndex, Term};

#[derive(Clone, Debug, Default)]
pub struct Log {
    entries: Vec<Entry>,
}

impl Log {
    pub fn from_entries(entries: Vec<Entry>) -> Log {
        Log { entries }
    }

    pub fn last_index(&self) -> LogIndex {
        self.entries.len() as LogIndex
    }

    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index`; 0 for index 0; None past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(index as usize - 1).map(|e| e.term)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Entries `from..=last`, at most `max` of them.
    pub fn slice_from(&self, from: LogIndex, max: usize) -> &[Entry] {
        let start = (from.max(1) as usize - 1).min(self.entries.len());
        let end = start.saturating_add(max).min(self.entries.len());
        &self.entries[start..end]
    }

    pub fn append(&mut self, entry: Entry) -> LogIndex {
        self.entries.push(entry);
        self.last_index()
    }

    /// Overwrites the entry at `index` (which must exist).
    pub fn replace(&mut self, index: LogIndex, entry: Entry) {
        debug_assert!(index >= 1 && index <= self.last_index());
        self.entries[index as usize - 1] = entry;
    }

    /// Removes every entry from `index` on.
    pub fn truncate_from(&mut self, index: LogIndex) {
        debug_assert!(index >= 1);
        self.entries.truncate(index as usize - 1);
    }

    /// Raft's up-to-date rule (§5.4.1): a candidate whose last entry is
    /// `(last_term, last_index)` is at least as up-to-date as this log.
    pub fn candidate_is_up_to_date(&self, last_index: LogIndex, last_term: Term) -> bool {
        last_term > self.last_term()
            || (last_term == self.last_term() && last_index >= self.last_index())
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
    fn up_to_date_rule() {
        let log = log_of(&[1, 1, 2]);
        // (candidate last index, candidate last term, expected)
        let table = [
            (3, 2, true),  // identical
            (4, 2, true),  // longer, same last term
            (2, 2, false), // shorter, same last term
            (1, 3, true),  // higher last term wins even if shorter
            (9, 1, false), // lower last term loses even if longer
        ];
        for (index, term, expected) in table {
            assert_eq!(
                log.candidate_is_up_to_date(index, term),
                expected,
                "candidate ({index}, {term})"
            );
        }
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
}
