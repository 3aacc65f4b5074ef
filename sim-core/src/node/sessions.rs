//! Client sessions, as far as the simulation needs them (Raft thesis
//! §6.3): a client's retry is the same request, and a leader that already
//! holds it in its log does not append it again. Without this a client
//! resending faster than the cluster commits grows the log without end.
//!
//! Both implementations keep one [`Sessions`] while leading: the proposals
//! in the leader's log past its commit index. It is brought up to date
//! lazily, at each proposal, from the log itself, so no other rule has to
//! remember it: a new leadership (a new term) rebuilds it from the
//! uncommitted suffix it inherited, and each commit advance drops what the
//! advance committed (the client never resends a committed proposal).

use std::collections::BTreeSet;

use super::{EntryData, LogIndex, LogView, ProposalId, Term};

/// The proposals a leader holds past its commit index.
#[derive(Debug, Default)]
pub struct Sessions {
    /// The term of the leadership the set belongs to (0: none yet).
    term: Term,
    /// Everything at or below this index has been dropped from `held`.
    synced_commit: LogIndex,
    held: BTreeSet<ProposalId>,
}

impl Sessions {
    /// Whether the leader of `term`, with `log` committed up to `commit`,
    /// holds `id` uncommitted; if not, it is recorded as held (the caller
    /// appends it next).
    pub fn first_time(
        &mut self,
        term: Term,
        commit: LogIndex,
        log: LogView<'_>,
        id: ProposalId,
    ) -> bool {
        self.sync(term, commit, log);
        self.held.insert(id)
    }

    /// `id` was not appended after all (the library refused it).
    pub fn forget(&mut self, id: ProposalId) {
        self.held.remove(&id);
    }

    fn sync(&mut self, term: Term, commit: LogIndex, log: LogView<'_>) {
        debug_assert!(commit <= log.last_index(), "the commit index is in the log");
        let compacted = log.entry(self.synced_commit + 1).is_none() && self.synced_commit < commit;
        if term != self.term || compacted {
            // A new leadership, or entries to drop already compacted away:
            // start again from the uncommitted suffix.
            self.term = term;
            self.held.clear();
            self.held
                .extend(proposals(log, commit + 1, log.last_index()));
        } else if commit > self.synced_commit {
            for id in proposals(log, self.synced_commit + 1, commit) {
                self.held.remove(&id);
            }
        }
        self.synced_commit = commit;
        debug_assert!(
            self.held.len() as u64 <= log.last_index() - commit,
            "only uncommitted proposals are held"
        );
    }
}

/// The proposals of the live entries `from..=to` of `log`.
fn proposals(
    log: LogView<'_>,
    from: LogIndex,
    to: LogIndex,
) -> impl Iterator<Item = ProposalId> + '_ {
    (from..=to).filter_map(move |index| match log.entry(index)?.data {
        EntryData::Proposal(id) => Some(id),
        EntryData::Noop | EntryData::Config(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, Log};

    fn log_of(data: &[EntryData]) -> Log {
        Log::from_entries(data.iter().map(|&data| Entry { term: 1, data }).collect())
    }

    #[test]
    fn a_retry_of_a_held_proposal_is_not_new_and_a_committed_one_is_forgotten() {
        let mut log = log_of(&[EntryData::Noop]);
        let mut sessions = Sessions::default();
        assert!(sessions.first_time(1, 0, log.view(), 7));
        log.append(Entry {
            term: 1,
            data: EntryData::Proposal(7),
        });
        assert!(!sessions.first_time(1, 0, log.view(), 7), "a retry");
        // Index 2 (proposal 7) commits: the set forgets it.
        assert!(sessions.first_time(1, 2, log.view(), 8));
        assert!(sessions.held.contains(&8) && !sessions.held.contains(&7));
    }

    #[test]
    fn a_new_leader_knows_the_uncommitted_proposals_it_inherited() {
        let log = log_of(&[
            EntryData::Proposal(1),
            EntryData::Proposal(2),
            EntryData::Proposal(3),
        ]);
        let mut sessions = Sessions::default();
        // Committed up to 1: proposals 2 and 3 are held, 1 is not.
        assert!(!sessions.first_time(2, 1, log.view(), 3));
        assert!(!sessions.first_time(2, 1, log.view(), 2));
        assert!(sessions.first_time(2, 1, log.view(), 1));
    }
}
