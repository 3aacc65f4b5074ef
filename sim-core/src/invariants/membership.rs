//! The checks that follow configurations (Raft thesis ch. 4): a leader is
//! elected by a majority of the configuration it uses, and commits only
//! what a majority of it holds durably; and the configuration a leader
//! uses never has a majority disjoint from one of the configuration the
//! cluster committed. Both are checked from what the nodes expose (the
//! votes they send, their configuration, the disks), never from their
//! code.

use super::{broken, Broken, Checker, Property};
use crate::node::{EntryData, LogIndex, LogView, Membership, NodeId, NodeSet, Role, Status, Term};

/// The most (term, candidate) vote records kept: older ones go first. A
/// candidate wins within a few election timeouts of its votes, long before
/// 4,096 newer campaigns have started.
const MAX_VOTE_RECORDS: usize = 4_096;

impl Checker {
    /// A granted real vote: who granted it counts for the candidate.
    pub(super) fn record_vote(&mut self, voter: NodeId, term: Term, candidate: NodeId) {
        let granted = self.votes.entry((term, candidate)).or_default();
        *granted = granted.with(voter);
        if self.votes.len() > MAX_VOTE_RECORDS {
            self.votes.pop_first();
        }
        debug_assert!(
            self.votes.len() <= MAX_VOTE_RECORDS,
            "the vote records stay bounded"
        );
    }

    /// The decisions a node's step made: becoming leader, and a leader's
    /// commit. `membership` is the configuration it uses; `durably_holds`
    /// says whether a node's disk holds the entry (index, term).
    pub fn on_decisions(
        &mut self,
        node: NodeId,
        before: &Status,
        after: &Status,
        membership: Membership,
        log: LogView<'_>,
        durably_holds: &dyn Fn(NodeId, LogIndex, Term) -> bool,
    ) -> Result<(), Broken> {
        if after.role != Role::Leader {
            return Ok(());
        }
        let elected = before.role != Role::Leader || before.term != after.term;
        // The configuration of the step before: a library that applies a
        // change once committed decided that commit under it.
        let before_config = match elected {
            true => membership,
            false => self.nodes[node.index()].used,
        };
        self.nodes[node.index()].used = membership;
        if !elected && membership != before_config {
            self.change_by_the_rules(node, after, membership, log)?;
        }
        if elected {
            self.elected_by_majority(node, after, membership)?;
            self.config_in_force(node, after.term, membership)?;
        }
        if after.commit_index > before.commit_index {
            self.committed_by_majority(
                node,
                after,
                [before_config, membership],
                log,
                durably_holds,
            )?;
            self.config_in_force(node, after.term, membership)?;
        }
        Ok(())
    }

    fn elected_by_majority(
        &mut self,
        node: NodeId,
        after: &Status,
        membership: Membership,
    ) -> Result<(), Broken> {
        let mut granted = self
            .votes
            .get(&(after.term, node))
            .copied()
            .unwrap_or_default();
        if after.voted_for == Some(node) {
            granted = granted.with(node);
        }
        // Votes of older terms are kept: a candidate of an older term can
        // still win after a newer term elected its leader, when its voters
        // have not heard of the newer term yet (a stale leader, which Raft
        // allows). Only the record bound drops them, oldest term first.
        if membership.has_majority(granted) {
            return Ok(());
        }
        Err(broken(
            Property::QuorumDecision,
            format!(
                "node {node} became leader of term {} with the votes of {granted}, not a \
                 majority of its configuration {membership}",
                after.term
            ),
        ))
    }

    /// The leader's commit: the entry is of the leader's own term (Raft
    /// §5.4.2: an entry of an earlier term commits only beneath one of the
    /// current term, since a majority holding it does not stop a node with
    /// a newer last term from winning and overwriting it, the thesis'
    /// Figure 3.7), and a majority of the configuration it used before
    /// this step or after it (one that applies a change as it commits it
    /// decides under the one before) holds the entry durably.
    fn committed_by_majority(
        &self,
        node: NodeId,
        after: &Status,
        [before, membership]: [Membership; 2],
        log: LogView<'_>,
        durably_holds: &dyn Fn(NodeId, LogIndex, Term) -> bool,
    ) -> Result<(), Broken> {
        let index = after.commit_index;
        let Some(term) = log.term_at(index) else {
            return Ok(()); // beyond its log: state machine safety says so
        };
        if term != after.term {
            return Err(broken(
                Property::QuorumDecision,
                format!(
                    "leader {node} of term {} committed entry {index} of term {term} by counting \
                     its replicas; an entry of an earlier term commits only beneath one of the \
                     leader's own term",
                    after.term
                ),
            ));
        }
        let holders = NodeSet::of(
            membership
                .all_voters()
                .union(before.all_voters())
                .iter()
                .filter(|&n| durably_holds(n, index, term)),
        );
        if membership.has_majority(holders) || before.has_majority(holders) {
            return Ok(());
        }
        Err(broken(
            Property::QuorumDecision,
            format!(
                "leader {node} committed entry {index} of term {term} while only {holders} held \
                 it durably, not a majority of its configuration {membership}"
            ),
        ))
    }

    /// A leader in office put a configuration in force as it appended it
    /// (Raft thesis §4.1; a library that applies a change once committed
    /// never does): only once the change before it is committed (one
    /// uncommitted change at a time), and for a change of one voter only
    /// once an entry of the leader's term is committed (the fix Ongaro
    /// posted to raft-dev in 2015: without it a change can meet an older
    /// leader's uncommitted one, and the two configurations have disjoint
    /// majorities). Checked as the decision is made, like the commit rule:
    /// the disjoint majorities it allows need a leader change in the
    /// middle of the change to show.
    fn change_by_the_rules(
        &self,
        node: NodeId,
        after: &Status,
        membership: Membership,
        log: LogView<'_>,
    ) -> Result<(), Broken> {
        let (index, latest) = log.latest_config();
        if latest != membership || index <= after.commit_index {
            return Ok(()); // in force once committed, or committed in this step
        }
        debug_assert!(index > log.snapshot_index, "an uncommitted entry is live");
        let (previous_index, previous) = log.config_at(index - 1);
        if previous_index > after.commit_index {
            return Err(broken(
                Property::ConfigurationSafety,
                format!(
                    "leader {node} of term {} appended the configuration {membership} at \
                     index {index} while the change to {previous} at index {previous_index} \
                     was not committed (commit index {}): one uncommitted change at a time",
                    after.term, after.commit_index
                ),
            ));
        }
        let one_voter = !previous.is_joint()
            && !membership.is_joint()
            && previous
                .voters
                .symmetric_difference(membership.voters)
                .len()
                == 1;
        if one_voter && log.term_at(after.commit_index) != Some(after.term) {
            return Err(broken(
                Property::ConfigurationSafety,
                format!(
                    "leader {node} of term {} changed one voter ({previous} to {membership}, \
                     index {index}) before any entry of its term was committed (commit index \
                     {})",
                    after.term, after.commit_index
                ),
            ));
        }
        Ok(())
    }

    /// The configuration a leader uses must share a majority with the one
    /// the cluster committed, when the leader's term is not older than
    /// that configuration's entry. Such a leader holds the entry (leader
    /// completeness), and one change at a time keeps it at most one change
    /// past it. A stale leader of an older term may use a configuration
    /// two changes away (its own uncommitted change beside the one the
    /// newer term committed), and Raft allows that: the newer term's leader
    /// was elected by a majority of the configuration both grew from and
    /// committed an entry of its term before changing it, so every majority
    /// of the stale leader's configuration holds a node of the newer term,
    /// which refuses it. It decides nothing new; what it commits on older
    /// acknowledgements the newer leader's log already holds. The election,
    /// commit and log checks still watch it.
    fn config_in_force(
        &self,
        node: NodeId,
        term: Term,
        membership: Membership,
    ) -> Result<(), Broken> {
        let committed = self.committed_config;
        if term < self.committed_config_term || !membership.has_disjoint_majorities(&committed) {
            return Ok(());
        }
        Err(broken(
            Property::ConfigurationSafety,
            format!(
                "leader {node} of term {term} uses the configuration {membership}, which can \
                 decide without any node a decision of the configuration {committed} committed \
                 in term {} needs (disjoint majorities)",
                self.committed_config_term
            ),
        ))
    }

    /// Whether `node` may yet decide with the configuration it uses: it
    /// is a voter in it, its log holds no newer configuration (a library
    /// that applies a change once committed is about to use that one, and
    /// does not stand meanwhile), and its log holds the whole committed
    /// prefix.
    fn may_decide(&self, node: NodeId) -> bool {
        let view = &self.nodes[node.index()];
        if !view.config.is_voter(node) || view.config != view.log_config {
            return false;
        }
        let committed = self.committed_len();
        committed <= view.base
            || (committed <= view.last()
                && view.hash_at(committed) == self.committed_hash(committed))
    }

    /// `node` uses `config` now (the model its log's latest; a library
    /// what it has applied): two nodes that both hold the committed prefix,
    /// and so may both yet decide, must not use configurations with
    /// disjoint majorities (a single-server change at a time, after the
    /// leader's term has a committed entry, keeps them one change apart).
    pub fn on_config_used(&mut self, node: NodeId, config: Membership) -> Result<(), Broken> {
        if self.nodes[node.index()].config == config {
            return Ok(());
        }
        self.nodes[node.index()].config = config;
        if !self.may_decide(node) {
            return Ok(());
        }
        let clash = (0..self.nodes.len())
            .map(NodeId::from_index)
            .filter(|&other| other != node && self.may_decide(other))
            .find(|&other| config.has_disjoint_majorities(&self.nodes[other.index()].config));
        let Some(other) = clash else {
            return Ok(());
        };
        Err(broken(
            Property::ConfigurationSafety,
            format!(
                "nodes {node} and {other} both hold every committed entry and vote in \
                 configurations {config} and {} with disjoint majorities",
                self.nodes[other.index()].config
            ),
        ))
    }

    /// The cluster's committed prefix grew by `extended` on a node whose
    /// log is `log`: the last configuration among the new entries, if any,
    /// is the committed one. Only the new entries are read (a whole-log
    /// scan per commit made a long log quadratic), unless some of them are
    /// already compacted on that node.
    pub fn on_committed_prefix(&mut self, log: LogView<'_>, extended: std::ops::Range<LogIndex>) {
        debug_assert!(!extended.is_empty(), "the prefix grew");
        if extended.start <= log.snapshot_index {
            let (index, config) = log.config_at(extended.end - 1);
            self.committed_config = config;
            // Below the snapshot the entry's own term is gone: the
            // snapshot's last term bounds it from above.
            self.committed_config_term = log.term_at(index).unwrap_or(log.snapshot_term);
            return;
        }
        let newest = extended.rev().find_map(|index| {
            let entry = log.entry(index)?;
            match entry.data {
                EntryData::Config(config) => Some((entry.term, config)),
                EntryData::Noop | EntryData::Proposal(_) => None,
            }
        });
        if let Some((term, config)) = newest {
            self.committed_config = config;
            self.committed_config_term = term;
        }
    }
}
