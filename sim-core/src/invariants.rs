//! The safety checker: Raft's safety properties, checked after every step
//! from what nodes expose (status, log, votes sent), independently of the
//! node's own code. It keeps its own copy of what it has seen (prefix hashes
//! of every log, the committed prefix, one leader per term), so a node that
//! breaks a rule cannot hide it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::raft::{Entry, EntryData, LogIndex, NodeId, Role, Status, Term};

/// The safety properties the checker verifies (docs/SEMANTICS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    /// At most one leader per term.
    ElectionSafety,
    /// Two logs holding the same (index, term) agree on every entry before it.
    LogMatching,
    /// A new leader holds every entry committed in an earlier term.
    LeaderCompleteness,
    /// No two nodes apply different entries at one index.
    StateMachineSafety,
    /// A node's term never goes down, across restarts too.
    MonotonicTerms,
    /// A node grants at most one vote per term.
    VoteOncePerTerm,
}

impl Property {
    pub const ALL: [Property; 6] = [
        Property::ElectionSafety,
        Property::LogMatching,
        Property::LeaderCompleteness,
        Property::StateMachineSafety,
        Property::MonotonicTerms,
        Property::VoteOncePerTerm,
    ];

    /// The property's name in results, reports and replay messages.
    pub fn name(self) -> &'static str {
        match self {
            Property::ElectionSafety => "election_safety",
            Property::LogMatching => "log_matching",
            Property::LeaderCompleteness => "leader_completeness",
            Property::StateMachineSafety => "state_machine_safety",
            Property::MonotonicTerms => "monotonic_terms",
            Property::VoteOncePerTerm => "vote_once_per_term",
        }
    }
}

impl std::fmt::Display for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A safety property that was broken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub property: Property,
    pub message: String,
    pub at_ms: f64,
    /// The number of the engine event during which it was detected (1-based).
    pub event: u64,
}

/// A broken property before the cluster stamps it with time and event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub property: Property,
    pub message: String,
}

fn broken(property: Property, message: String) -> Broken {
    Broken { property, message }
}

fn entry_code(data: EntryData) -> u64 {
    match data {
        EntryData::Noop => 0,
        EntryData::Proposal(id) => id.wrapping_add(1),
    }
}

/// Hash of a log prefix ending in `entry`, given the hash of the prefix before it.
fn chain(prev: u64, entry: &Entry) -> u64 {
    let mut h = prev ^ 0x9e37_79b9_7f4a_7c15;
    for word in [entry.term, entry_code(entry.data)] {
        h = (h.rotate_left(23) ^ word).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 29;
    }
    h
}

#[derive(Default)]
struct NodeView {
    /// (term, prefix hash) per log position, as last seen.
    prefix: Vec<(Term, u64)>,
    commit: LogIndex,
    /// Highest term ever made durable by this node.
    durable_term: Term,
    /// Last vote this node sent: (term, candidate).
    last_vote: Option<(Term, NodeId)>,
}

/// An entry (index, term) as seen in some log: the hash of the log prefix
/// ending with it, and the nodes that have held it (a node is dropped again
/// only if it loses the entry in a crash before the entry was durable).
#[derive(Clone, Copy, Debug)]
struct Seen {
    term: Term,
    hash: u64,
    holders: u64,
}

/// A committed entry: the prefix hash, the entry and the term of the leader
/// that committed it (the first node seen committing an index is its leader).
#[derive(Clone, Copy, Debug)]
struct Committed {
    hash: u64,
    entry: Entry,
    term: Term,
}

pub struct Checker {
    nodes: Vec<NodeView>,
    /// The first entry seen at each index (None once forgotten).
    first_at: Vec<Option<Seen>>,
    /// Entries seen at an index with a term other than the first one.
    others_at: BTreeMap<(LogIndex, Term), Seen>,
    committed: Vec<Committed>,
    leaders: BTreeMap<Term, NodeId>,
}

impl Checker {
    pub fn new(nodes: usize) -> Checker {
        Checker {
            nodes: (0..nodes).map(|_| NodeView::default()).collect(),
            first_at: Vec::new(),
            others_at: BTreeMap::new(),
            committed: Vec::new(),
            leaders: BTreeMap::new(),
        }
    }

    /// The entries committed so far, in order.
    pub fn committed_len(&self) -> LogIndex {
        self.committed.len() as LogIndex
    }

    pub fn committed_entry(&self, index: LogIndex) -> Entry {
        self.committed[index as usize - 1].entry
    }

    /// The record of (index, term), creating it for `hash` if none exists.
    fn seen(&mut self, index: usize, term: Term, hash: u64) -> &mut Seen {
        if self.first_at.len() < index {
            self.first_at.resize(index, None);
        }
        let fresh = Seen {
            term,
            hash,
            holders: 0,
        };
        match &mut self.first_at[index - 1] {
            slot @ None => slot.insert(fresh),
            Some(first) if first.term == term => first,
            Some(_) => self
                .others_at
                .entry((index as LogIndex, term))
                .or_insert(fresh),
        }
    }

    /// Brings the checker's copy of `node`'s log up to date and checks log
    /// matching for every entry that changed. `hint` is the lowest index the
    /// node says it rewrote; the checker verifies below it anyway.
    pub fn on_log(
        &mut self,
        node: NodeId,
        log: &[Entry],
        hint: Option<LogIndex>,
    ) -> Result<(), Broken> {
        let view = &mut self.nodes[node.index()];
        let mut from = (view.prefix.len() + 1).min(log.len() + 1);
        if let Some(hint) = hint {
            from = from.min(hint.max(1) as usize);
        }
        while from > 1 && view.prefix[from - 2].0 != log[from - 2].term {
            from -= 1;
        }
        view.prefix.truncate(from - 1);
        let mut prev = view.prefix.last().map_or(0, |p| p.1);
        let bit = 1u64 << node.index();
        for (offset, entry) in log[from - 1..].iter().enumerate() {
            let index = from + offset;
            prev = chain(prev, entry);
            self.nodes[node.index()].prefix.push((entry.term, prev));
            let seen = self.seen(index, entry.term, prev);
            seen.holders |= bit;
            if seen.hash != prev {
                return Err(broken(
                    Property::LogMatching,
                    format!(
                        "node {node} holds entry {index} of term {} but its log before it differs \
                         from another node's log holding the same entry",
                        entry.term
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A node crashed with `durable_len` entries on disk: entries beyond
    /// that were never durable and never sent (sends wait for durability),
    /// so they vanish. An entry nobody else held is forgotten, as if it had
    /// never existed (DLedger can re-elect the same leader in the same term,
    /// which then writes a different entry at that index).
    pub fn on_crash(&mut self, node: NodeId, durable_len: LogIndex) {
        let bit = 1u64 << node.index();
        let lost: Vec<(usize, Term)> = self.nodes[node.index()]
            .prefix
            .iter()
            .enumerate()
            .skip(durable_len as usize)
            .map(|(i, &(term, _))| (i + 1, term))
            .collect();
        for (index, term) in lost {
            let first = &mut self.first_at[index - 1];
            if let Some(seen) = first.as_mut().filter(|s| s.term == term) {
                seen.holders &= !bit;
                if seen.holders == 0 {
                    *first = None;
                }
            } else if let Some(seen) = self.others_at.get_mut(&(index as LogIndex, term)) {
                seen.holders &= !bit;
                if seen.holders == 0 {
                    self.others_at.remove(&(index as LogIndex, term));
                }
            }
        }
        let view = &mut self.nodes[node.index()];
        view.prefix.truncate(durable_len as usize);
        view.commit = 0;
    }

    /// Checks a node's status after a step: its term never falls, a new
    /// leader is alone in its term and holds every entry committed before,
    /// and what it commits agrees with what the cluster committed.
    pub fn on_status(
        &mut self,
        node: NodeId,
        before: &Status,
        after: &Status,
    ) -> Result<(), Broken> {
        if after.term < before.term {
            return Err(broken(
                Property::MonotonicTerms,
                format!(
                    "node {node}'s term went down from {} to {}",
                    before.term, after.term
                ),
            ));
        }
        let became_leader = after.role == Role::Leader
            && (before.role != Role::Leader || before.term != after.term);
        if became_leader {
            self.on_elected(node, after)?;
        }
        self.on_commit_index(node, after.commit_index)
    }

    /// Election safety and leader completeness for a node that just became
    /// leader of `after.term`.
    fn on_elected(&mut self, node: NodeId, after: &Status) -> Result<(), Broken> {
        if let Some(&other) = self.leaders.get(&after.term) {
            if other != node {
                return Err(broken(
                    Property::ElectionSafety,
                    format!(
                        "nodes {other} and {node} were both elected leader of term {}",
                        after.term
                    ),
                ));
            }
        }
        self.leaders.insert(after.term, node);
        // Every entry committed in an earlier term is in the new leader's
        // log. (Commit terms never decrease along the log, so those entries
        // are a prefix.)
        let required = self.committed.partition_point(|c| c.term < after.term);
        let view = &self.nodes[node.index()];
        let holds_all = required == 0
            || view.prefix.get(required - 1).map(|p| p.1)
                == Some(self.committed[required - 1].hash);
        if holds_all {
            return Ok(());
        }
        let why = if (after.last_index as usize) < required {
            format!("its log has {} entries", after.last_index)
        } else {
            "its log differs from them".to_string()
        };
        Err(broken(
            Property::LeaderCompleteness,
            format!(
                "node {node} became leader of term {} without the {required} entries committed \
                 in earlier terms ({why})",
                after.term
            ),
        ))
    }

    /// State machine safety for a node whose commit index is now `commit_index`.
    fn on_commit_index(&mut self, node: NodeId, commit_index: LogIndex) -> Result<(), Broken> {
        let view = &mut self.nodes[node.index()];
        if commit_index == view.commit {
            return Ok(());
        }
        let commit = commit_index as usize;
        view.commit = commit_index;
        if commit > view.prefix.len() {
            return Err(broken(
                Property::StateMachineSafety,
                format!(
                    "node {node} committed index {commit} beyond its log of {}",
                    view.prefix.len()
                ),
            ));
        }
        let check_at = commit.min(self.committed.len());
        if check_at > 0 && view.prefix[check_at - 1].1 != self.committed[check_at - 1].hash {
            return Err(broken(
                Property::StateMachineSafety,
                format!(
                    "node {node} applies a different entry at or before index {check_at} \
                     than the rest of the cluster committed"
                ),
            ));
        }
        Ok(())
    }

    /// Extends the cluster's committed prefix with `node`'s entries up to
    /// its commit index (call after `on_status` succeeded). Returns the new
    /// committed range.
    pub fn extend_committed(
        &mut self,
        node: NodeId,
        term: Term,
        log: &[Entry],
    ) -> std::ops::Range<LogIndex> {
        let start = self.committed.len();
        let view = &self.nodes[node.index()];
        let commit = view.commit as usize;
        for (prefix, entry) in view.prefix[start.min(commit)..commit]
            .iter()
            .zip(&log[start.min(commit)..commit])
        {
            self.committed.push(Committed {
                hash: prefix.1,
                entry: *entry,
                term,
            });
        }
        (start as LogIndex + 1)..(commit.max(start) as LogIndex + 1)
    }

    /// A node sent a granted (real) vote.
    pub fn on_vote_sent(
        &mut self,
        voter: NodeId,
        term: Term,
        candidate: NodeId,
    ) -> Result<(), Broken> {
        let view = &mut self.nodes[voter.index()];
        if let Some((last_term, last_candidate)) = view.last_vote {
            if last_term == term && last_candidate != candidate {
                return Err(broken(
                Property::VoteOncePerTerm,
                    format!("node {voter} voted for both {last_candidate} and {candidate} in term {term}"),
                ));
            }
        }
        view.last_vote = Some((term, candidate));
        Ok(())
    }

    pub fn on_durable(&mut self, node: NodeId, term: Term) {
        let view = &mut self.nodes[node.index()];
        view.durable_term = view.durable_term.max(term);
    }

    /// A node (re)started: its term must not be below what it had made
    /// durable. (`on_crash` already dropped its volatile state.)
    pub fn on_restart(&mut self, node: NodeId, term: Term) -> Result<(), Broken> {
        let view = &self.nodes[node.index()];
        if term < view.durable_term {
            return Err(broken(
                Property::MonotonicTerms,
                format!(
                    "node {node} restarted at term {term} after making term {} durable",
                    view.durable_term
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(terms: &[Term]) -> Vec<Entry> {
        terms
            .iter()
            .enumerate()
            .map(|(i, &term)| Entry {
                term,
                data: EntryData::Proposal(i as u64),
            })
            .collect()
    }

    fn status(term: Term, role: Role, commit_index: LogIndex, last_index: LogIndex) -> Status {
        Status {
            term,
            role,
            leader: None,
            voted_for: None,
            commit_index,
            last_index,
            last_term: term,
        }
    }

    #[test]
    fn log_matching_catches_same_entry_different_prefix() {
        let mut checker = Checker::new(2);
        checker
            .on_log(NodeId(1), &entries(&[1, 1, 2]), None)
            .unwrap();
        let mut other = entries(&[1, 1, 2]);
        other[1].data = EntryData::Noop; // same (index, term) at 3, other history
        let broken = checker.on_log(NodeId(2), &other, None).unwrap_err();
        assert_eq!(broken.property, Property::LogMatching);
    }

    #[test]
    fn two_leaders_in_one_term_break_election_safety() {
        let mut checker = Checker::new(3);
        let follower = status(2, Role::Candidate, 0, 0);
        checker
            .on_status(NodeId(1), &follower, &status(2, Role::Leader, 0, 0))
            .unwrap();
        let broken = checker
            .on_status(NodeId(2), &follower, &status(2, Role::Leader, 0, 0))
            .unwrap_err();
        assert_eq!(broken.property, Property::ElectionSafety);
    }

    #[test]
    fn committed_entries_must_agree_and_leaders_must_hold_them() {
        let mut checker = Checker::new(3);
        let log = entries(&[1, 1]);
        checker.on_log(NodeId(1), &log, None).unwrap();
        let idle = status(1, Role::Leader, 0, 2);
        checker
            .on_status(NodeId(1), &idle, &status(1, Role::Leader, 2, 2))
            .unwrap();
        assert_eq!(checker.extend_committed(NodeId(1), 1, &log), 1..3);
        // Node 2 has a different entry 2 (of another term) and commits it.
        let diverged = entries(&[1, 3]);
        checker.on_log(NodeId(2), &diverged, None).unwrap();
        let broken = checker
            .on_status(
                NodeId(2),
                &status(3, Role::Follower, 0, 2),
                &status(3, Role::Follower, 2, 2),
            )
            .unwrap_err();
        assert_eq!(broken.property, Property::StateMachineSafety);
        // Node 3 has only entry 1 and becomes leader.
        checker.on_log(NodeId(3), &entries(&[1]), None).unwrap();
        let broken = checker
            .on_status(
                NodeId(3),
                &status(4, Role::Candidate, 0, 1),
                &status(4, Role::Leader, 0, 1),
            )
            .unwrap_err();
        assert_eq!(broken.property, Property::LeaderCompleteness);
    }

    #[test]
    fn a_leader_of_an_earlier_term_need_not_hold_what_a_later_term_committed() {
        let mut checker = Checker::new(3);
        let log = entries(&[1, 3]);
        checker.on_log(NodeId(2), &log, None).unwrap();
        checker
            .on_status(
                NodeId(2),
                &status(3, Role::Candidate, 0, 2),
                &status(3, Role::Leader, 2, 2),
            )
            .unwrap();
        checker.extend_committed(NodeId(2), 3, &log);
        // Late grants make node 1 leader of term 2 with entry 1 only: legal,
        // entry 2 was committed in term 3.
        checker.on_log(NodeId(1), &entries(&[1]), None).unwrap();
        checker
            .on_status(
                NodeId(1),
                &status(2, Role::Candidate, 0, 1),
                &status(2, Role::Leader, 0, 1),
            )
            .unwrap();
        // A leader of term 4 must hold both.
        let broken = checker
            .on_status(
                NodeId(1),
                &status(4, Role::Candidate, 0, 1),
                &status(4, Role::Leader, 0, 1),
            )
            .unwrap_err();
        assert_eq!(broken.property, Property::LeaderCompleteness);
    }

    #[test]
    fn entries_lost_in_a_crash_before_they_were_durable_are_forgotten() {
        let mut checker = Checker::new(2);
        let mut log = entries(&[1, 1]);
        checker.on_log(NodeId(1), &log, None).unwrap();
        // Crash with one entry durable; the same leader, same term, writes
        // another entry 2.
        checker.on_crash(NodeId(1), 1);
        log[1].data = EntryData::Noop;
        checker.on_log(NodeId(1), &log, None).unwrap();
        // Had node 2 held the lost entry, the new one would break log matching.
        let mut checker = Checker::new(2);
        let mut log = entries(&[1, 1]);
        checker.on_log(NodeId(1), &log, None).unwrap();
        checker.on_log(NodeId(2), &log, None).unwrap();
        checker.on_crash(NodeId(1), 1);
        log[1].data = EntryData::Noop;
        assert_eq!(
            checker.on_log(NodeId(1), &log, None).unwrap_err().property,
            Property::LogMatching
        );
    }

    #[test]
    fn terms_never_decrease_and_votes_are_unique() {
        let mut checker = Checker::new(2);
        let broken = checker
            .on_status(
                NodeId(1),
                &status(5, Role::Follower, 0, 0),
                &status(4, Role::Follower, 0, 0),
            )
            .unwrap_err();
        assert_eq!(broken.property, Property::MonotonicTerms);
        checker.on_durable(NodeId(2), 7);
        assert_eq!(
            checker.on_restart(NodeId(2), 6).unwrap_err().property,
            Property::MonotonicTerms
        );
        checker.on_vote_sent(NodeId(1), 3, NodeId(2)).unwrap();
        checker.on_vote_sent(NodeId(1), 3, NodeId(2)).unwrap();
        assert_eq!(
            checker
                .on_vote_sent(NodeId(1), 3, NodeId(1))
                .unwrap_err()
                .property,
            Property::VoteOncePerTerm
        );
    }
}
