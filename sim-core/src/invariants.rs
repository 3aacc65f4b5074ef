//! The safety checker: Raft's safety properties, checked after every step
//! from what nodes expose (status, log, votes sent), independently of the
//! node's own code. It keeps its own copy of what it has seen (prefix hashes
//! of every log, the committed prefix, one leader per term), so a node that
//! breaks a rule cannot hide it.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::node::{
    Entry, EntryData, LogIndex, LogView, Membership, NodeId, NodeSet, Role, Status, Term,
};

mod membership;
mod window;

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
    /// A leader is elected, and commits, only with a majority of the
    /// configuration(s) it uses.
    QuorumDecision,
    /// No two configurations with disjoint majorities are in force at
    /// once (the one a leader uses and the one the cluster committed).
    ConfigurationSafety,
}

impl Property {
    pub const ALL: [Property; 8] = [
        Property::ElectionSafety,
        Property::LogMatching,
        Property::LeaderCompleteness,
        Property::StateMachineSafety,
        Property::MonotonicTerms,
        Property::VoteOncePerTerm,
        Property::QuorumDecision,
        Property::ConfigurationSafety,
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
            Property::QuorumDecision => "quorum_decision",
            Property::ConfigurationSafety => "configuration_safety",
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

pub(crate) fn broken(property: Property, message: String) -> Broken {
    Broken { property, message }
}

fn entry_code(data: EntryData) -> u64 {
    match data {
        EntryData::Noop => 0,
        EntryData::Proposal(id) => id.wrapping_add(1),
        EntryData::Config(c) => {
            0xc0f1_6000_0000_0000
                ^ c.voters.bits()
                ^ c.outgoing.bits().rotate_left(21)
                ^ c.learners.bits().rotate_left(42)
        }
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

/// The checker's copy of one node's log: the prefix hash at its snapshot
/// and (term, prefix hash) of every live entry after it.
/// How many snapshots a node may take before their writes are reported
/// durable that the checker keeps the hashes of (a write is reported in
/// milliseconds; a node takes a snapshot every thousand entries or so).
const PENDING_SNAPSHOTS: usize = 8;

#[derive(Default)]
struct NodeView {
    /// The node's snapshot index, as last seen (its disk's after a crash).
    base: LogIndex,
    /// The hash of the prefix up to `base` (the cluster's committed one).
    base_hash: u64,
    /// The term of entry `base`, when the checker saw the snapshot arrive
    /// (not after a crash took the node back to an older one).
    base_term: Option<Term>,
    /// (term, prefix hash) of entries `base + 1 ..`.
    prefix: VecDeque<(Term, u64)>,
    commit: LogIndex,
    /// Highest term ever made durable by this node.
    durable_term: Term,
    /// Highest snapshot index ever made durable by this node: it never
    /// again holds an entry at or below it.
    durable_base: LogIndex,
    /// The committed prefix's hash at `durable_base`, where known.
    durable_hash: Option<u64>,
    /// Snapshots the node took whose write is not yet durable: (index,
    /// prefix hash), oldest first, at most `PENDING_SNAPSHOTS`. A node may
    /// install a newer snapshot before an older one's write is reported,
    /// and by then the window may have passed the older one.
    pending_snapshots: VecDeque<(LogIndex, u64)>,
    /// Whether the node runs: a crashed node no longer holds the window
    /// back (see `Checker::trim`).
    down: bool,
    /// Once the window has moved past this node's snapshot (it was down):
    /// the last index at which its log still agrees with the committed
    /// prefix. Its entries up to there are committed ones; past it, none
    /// is (prefix hashes agree on a prefix only).
    agrees_to: LogIndex,
    /// Last vote this node sent: (term, candidate).
    last_vote: Option<(Term, NodeId)>,
    /// The configuration in force in this node's log: its latest.
    config: Membership,
    /// The configuration the node said it used at its last step as leader.
    used: Membership,
    /// The latest configuration in its log (kept as the log changes).
    log_config: Membership,
}

impl NodeView {
    fn last(&self) -> LogIndex {
        self.base + self.prefix.len() as LogIndex
    }

    fn at(&self, index: LogIndex) -> Option<(Term, u64)> {
        let offset = index.checked_sub(self.base + 1)?;
        self.prefix.get(offset as usize).copied()
    }

    /// The prefix hash at `index`, from the snapshot on.
    fn hash_at(&self, index: LogIndex) -> Option<u64> {
        if index == self.base {
            return Some(self.base_hash);
        }
        self.at(index).map(|p| p.1)
    }
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

/// A committed entry: the prefix hash, the entry's term and the term of
/// the leader that committed it (the first node seen committing an index
/// is its leader).
#[derive(Clone, Copy, Debug)]
struct Committed {
    hash: u64,
    entry_term: Term,
    term: Term,
}

/// How many of the committed prefix's hashes below the window the checker
/// keeps, each with its entry's term (16 bytes each: 1 MiB at most). Chaos has nodes come back a few
/// hundred entries behind it; one down for longer is checked through the
/// logs that still hold its entries.
const KEPT_BELOW: usize = 65_536;

/// Everything per index is kept only past `low`, the lowest snapshot index
/// any node has made durable: no node holds, writes or needs an entry at or
/// below it again (docs/SEMANTICS.md "Snapshots and log compaction").
pub struct Checker {
    nodes: Vec<NodeView>,
    low: LogIndex,
    /// The committed prefix's hash at `low`, and the term of entry `low`.
    low_hash: u64,
    low_term: Term,
    /// The first entry seen at each index from `low + 1` (None once
    /// forgotten).
    first_at: VecDeque<Option<Seen>>,
    /// Entries seen at an index with a term other than the first one.
    others_at: BTreeMap<(LogIndex, Term), Seen>,
    /// The committed entries from `low + 1`.
    committed: VecDeque<Committed>,
    /// The committed prefix's hashes just below the window, with the term
    /// of the entry at each, at indexes `low - below.len() .. low` (at most
    /// `KEPT_BELOW`): a node that comes back behind the window and commits
    /// entries there, or installs a snapshot there, is compared with them
    /// even when no log holds those entries any more.
    below: VecDeque<(u64, Term)>,
    leaders: BTreeMap<Term, NodeId>,
    /// The latest configuration in the cluster's committed prefix, and
    /// the term of its entry (an upper bound when only a snapshot holds
    /// it: the snapshot's last term).
    committed_config: Membership,
    committed_config_term: Term,
    /// The real votes granted, by (term, candidate): who granted them
    /// (`membership.rs`).
    votes: BTreeMap<(Term, NodeId), NodeSet>,
}

impl Checker {
    /// A checker of `nodes` nodes whose cluster starts with `initial`.
    pub fn new(nodes: usize, initial: Membership) -> Checker {
        assert!(
            (1..=crate::node::MAX_NODES).contains(&nodes),
            "a checker of {nodes} nodes"
        );
        assert!(
            initial.is_well_formed() && !initial.voters.is_empty(),
            "a cluster starts with voters: {initial}"
        );
        Checker {
            nodes: (0..nodes)
                .map(|i| {
                    // A spare machine's disk holds no configuration.
                    let config = match initial.members().contains(NodeId::from_index(i)) {
                        true => initial,
                        false => Membership::default(),
                    };
                    NodeView {
                        config,
                        log_config: config,
                        durable_hash: Some(0),
                        ..NodeView::default()
                    }
                })
                .collect(),
            low: 0,
            low_hash: 0,
            low_term: 0,
            first_at: VecDeque::new(),
            others_at: BTreeMap::new(),
            committed: VecDeque::new(),
            below: VecDeque::new(),
            leaders: BTreeMap::new(),
            committed_config: initial,
            committed_config_term: 0,
            votes: BTreeMap::new(),
        }
    }

    /// The record of (index, term), creating it for `hash` if none exists;
    /// None at or below the window. Only a node the window passed while it
    /// was down writes an entry there again (from a leader that was down
    /// too): its entries there are checked against the committed prefix,
    /// not against other logs (`committed_hash_for`).
    fn seen(&mut self, index: LogIndex, term: Term, hash: u64) -> Option<&mut Seen> {
        let position = index.checked_sub(self.low + 1)? as usize;
        if self.first_at.len() <= position {
            self.first_at.resize(position + 1, None);
        }
        let fresh = Seen {
            term,
            hash,
            holders: 0,
        };
        Some(match &mut self.first_at[position] {
            slot @ None => slot.insert(fresh),
            Some(first) if first.term == term => first,
            Some(_) => self.others_at.entry((index, term)).or_insert(fresh),
        })
    }

    /// Brings the checker's copy of `node`'s log up to date and checks log
    /// matching for every entry that changed. `hint` is the lowest index the
    /// node says it rewrote; the checker verifies below it anyway.
    pub fn on_log(
        &mut self,
        node: NodeId,
        log: LogView<'_>,
        hint: Option<LogIndex>,
    ) -> Result<(), Broken> {
        if log.snapshot_index != self.nodes[node.index()].base {
            self.rebase(node, log.snapshot_index, log.snapshot_term)?;
        }
        let view = &mut self.nodes[node.index()];
        let base = view.base;
        let mut from = (view.last() + 1).min(log.last_index() + 1);
        if let Some(hint) = hint {
            from = from.min(hint.max(base + 1));
        }
        while from > base + 1 && view.at(from - 1).map(|p| p.0) != log.term_at(from - 1) {
            from -= 1;
        }
        // Rewritten, or read afresh (after a crash or a snapshot).
        let rewritten = from <= view.last() || view.prefix.is_empty();
        view.agrees_to = view.agrees_to.min(from - 1);
        view.prefix.truncate((from - base - 1) as usize);
        let mut prev = view.hash_at(from - 1).expect("within the view");
        let bit = 1u64 << node.index();
        for index in from..=log.last_index() {
            let entry = log.entry(index).expect("a live entry");
            prev = chain(prev, entry);
            self.nodes[node.index()]
                .prefix
                .push_back((entry.term, prev));
            if let Some(seen) = self.seen(index, entry.term, prev) {
                seen.holders |= bit;
                if seen.hash != prev {
                    return Err(broken(
                        Property::LogMatching,
                        format!(
                            "node {node} holds entry {index} of term {} but its log before it \
                             differs from another node's log holding the same entry",
                            entry.term
                        ),
                    ));
                }
            }
            if let EntryData::Config(config) = entry.data {
                self.nodes[node.index()].log_config = config;
            }
        }
        if rewritten {
            self.nodes[node.index()].log_config = log.latest_config().1;
        }
        // The checker's copy now describes the node's log exactly.
        let view = &self.nodes[node.index()];
        debug_assert!(
            view.base == log.snapshot_index && view.last() == log.last_index(),
            "the checker's copy of node {node}'s log ends at {} (base {}), the log at {} (base {})",
            view.last(),
            view.base,
            log.last_index(),
            log.snapshot_index
        );
        Ok(())
    }

    /// The node's snapshot moved to (`index`, `term`): it must be a prefix
    /// the cluster committed. The live entries the checker saw after it are
    /// kept if they follow that prefix.
    fn rebase(&mut self, node: NodeId, index: LogIndex, term: Term) -> Result<(), Broken> {
        let Some(hash) = self.committed_snapshot_hash(node, index, term) else {
            return Err(broken(
                Property::StateMachineSafety,
                format!(
                    "node {node} holds a snapshot up to entry {index} of term {term}, which is \
                     not what the cluster committed (it committed {} entries)",
                    self.committed_len()
                ),
            ));
        };
        let low = self.low;
        let view = &mut self.nodes[node.index()];
        let kept = index > view.base && view.hash_at(index) == Some(hash);
        if kept {
            view.prefix.drain(..(index - view.base) as usize);
        } else {
            view.prefix.clear();
        }
        view.base = index;
        view.base_hash = hash;
        view.base_term = Some(term);
        if index > view.durable_base {
            if view.pending_snapshots.len() == PENDING_SNAPSHOTS {
                view.pending_snapshots.pop_front();
            }
            view.pending_snapshots.push_back((index, hash));
        }
        if index < low {
            // Below the window its log agrees up to the snapshot at least.
            view.agrees_to = match kept {
                true => view.agrees_to.max(index),
                false => index,
            };
        }
        debug_assert!(
            index >= self.low || index <= self.nodes[node.index()].agrees_to,
            "a snapshot at {index}, below the window ({}) and past node {node}'s committed entries",
            self.low
        );
        Ok(())
    }

    /// The committed prefix's hash up to (`index`, `term`), if the cluster
    /// committed that entry there. Just below the window, the kept hashes
    /// and terms say (a node the window passed while it was down installs
    /// a leader's snapshot there after the leader compacted past it, or
    /// after the leader restarted with it, when the checker no longer knows
    /// its term: chaos, seed 862). Further below only two witnesses remain: the node's own log,
    /// where it agrees with the committed prefix; and another node's
    /// snapshot of the same entry, which the checker verified when that
    /// node got it (a node the window passed while it was down installs the
    /// snapshot of a leader that was down too: chaos, seed 951).
    fn committed_snapshot_hash(&self, node: NodeId, index: LogIndex, term: Term) -> Option<u64> {
        if let Some(committed) = self.committed_at(index) {
            return (committed.entry_term == term).then_some(committed.hash);
        }
        if index == self.low {
            return (term == self.low_term).then_some(self.low_hash);
        }
        if let Some((hash, entry_term)) = self.kept_below(index) {
            return (entry_term == term).then_some(hash);
        }
        let own = &self.nodes[node.index()];
        if own.at(index).map(|p| p.0) == Some(term) {
            // Its own log up to there is the committed prefix.
            if let Some(hash) = self
                .committed_hash_for(node, index)
                .filter(|&hash| own.hash_at(index) == Some(hash))
            {
                return Some(hash);
            }
        }
        self.nodes
            .iter()
            .find(|v| index < self.low && v.base == index && v.base_term == Some(term))
            .map(|v| v.base_hash)
    }

    /// Checks a node's status after a step: its term never falls, a new
    /// leader is alone in its term and holds every entry committed before,
    /// and what it commits agrees with what the cluster committed.
    ///
    /// Inlined into the cluster's step: it runs after every step that
    /// changed a node, and almost always passes every check.
    #[inline(always)]
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
        debug_assert_eq!(self.leaders.get(&after.term), Some(&node));
        // Every entry committed in an earlier term is in the new leader's
        // log. (Commit terms never decrease along the log, so those entries
        // are a prefix.) Its snapshot is a committed prefix (checked when
        // it moved), so only what lies past it is compared.
        let required =
            self.low + self.committed.partition_point(|c| c.term < after.term) as LogIndex;
        let view = &self.nodes[node.index()];
        let holds_all = required <= view.base
            || view
                .hash_at(required)
                .is_some_and(|h| self.committed_hash(required) == Some(h));
        if holds_all {
            return Ok(());
        }
        let why = if after.last_index < required {
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
        let committed_len = self.committed_len();
        let view = &mut self.nodes[node.index()];
        if commit_index == view.commit {
            return Ok(());
        }
        view.commit = commit_index;
        let view = &self.nodes[node.index()];
        if commit_index > view.last() {
            return Err(broken(
                Property::StateMachineSafety,
                format!(
                    "node {node} committed index {commit_index} beyond its log of {}",
                    view.last()
                ),
            ));
        }
        // Up to its snapshot a node's log is a committed prefix already.
        let check_at = commit_index.min(committed_len);
        if check_at > view.base && view.hash_at(check_at) != self.committed_hash_for(node, check_at)
        {
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
    /// its commit index, leader term `term` (call after `on_status`
    /// succeeded). Returns the new committed range.
    pub fn extend_committed(&mut self, node: NodeId, term: Term) -> std::ops::Range<LogIndex> {
        let start = self.committed_len();
        let view = &self.nodes[node.index()];
        let commit = view.commit;
        debug_assert!(
            commit <= view.last(),
            "node {node} commits {commit}, past its log (on_status reports that first)"
        );
        for index in start + 1..=commit {
            let (entry_term, hash) = view.at(index).expect("a committed entry past the snapshot");
            self.committed.push_back(Committed {
                hash,
                entry_term,
                term,
            });
        }
        debug_assert_eq!(
            self.committed_len(),
            commit.max(start),
            "the committed prefix reaches the node's commit index"
        );
        (start + 1)..(commit.max(start) + 1)
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
        debug_assert!(voter != candidate, "a vote is sent to another node");
        view.last_vote = Some((term, candidate));
        self.record_vote(voter, term, candidate);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
