//! The checker's window: what it keeps per index lies past the lowest
//! durable snapshot of the nodes that run, and what it keeps of a node
//! that is down (its disk, how far its log agrees with the committed
//! prefix) once the window has passed it. Crashes, restarts and durable
//! writes move it.

use super::{broken, Broken, Checker, Committed, NodeView, Property, Seen, KEPT_BELOW};
use crate::node::{LogIndex, NodeId, Term};

impl Checker {
    /// The length of the cluster's committed prefix.
    pub fn committed_len(&self) -> LogIndex {
        self.low + self.committed.len() as LogIndex
    }

    /// How many entries the checker keeps: per index and per node. Bounded
    /// by the spread between the lowest durable snapshot and the longest
    /// log, whatever the run's length.
    pub fn retained_entries(&self) -> usize {
        self.first_at.len()
            + self.others_at.len()
            + self.committed.len()
            + self.nodes.iter().map(|v| v.prefix.len()).sum::<usize>()
    }

    /// The memory the checker holds, about: its entries, its records of
    /// leaders and of votes.
    pub fn held_bytes(&self) -> u64 {
        const RECORD: u64 = 48;
        let entry = std::mem::size_of::<Option<Seen>>() as u64;
        self.retained_entries() as u64 * entry
            + self.below.len() as u64 * 16
            + (self.leaders.len() + self.votes.len()) as u64 * RECORD
    }

    pub(super) fn committed_at(&self, index: LogIndex) -> Option<&Committed> {
        let offset = index.checked_sub(self.low + 1)?;
        self.committed.get(offset as usize)
    }

    /// The committed prefix's hash at `index`, from `low` on.
    pub(super) fn committed_hash(&self, index: LogIndex) -> Option<u64> {
        if index == self.low {
            return Some(self.low_hash);
        }
        self.committed_at(index).map(|c| c.hash)
    }

    /// The committed prefix's hash at `index` as far as `node` can need
    /// it: from `low` on, the cluster's; below, known only from a log that
    /// still agrees with it there: the node's own first, else any other
    /// node's (the window moved past them while they were down, and one
    /// that came back sends its entries there to another: chaos, seed
    /// 565). None where no log is known to agree, and then the node's
    /// entry is not taken on trust.
    pub(super) fn committed_hash_for(&self, node: NodeId, index: LogIndex) -> Option<u64> {
        if index >= self.low {
            return self.committed_hash(index);
        }
        if let Some((hash, _)) = self.kept_below(index) {
            return Some(hash);
        }
        let own = &self.nodes[node.index()];
        self.witnessed_hash(own, index).or_else(|| {
            self.nodes
                .iter()
                .find_map(|v| self.witnessed_hash(v, index))
        })
    }

    /// The committed prefix's hash and entry term at `index`, below the
    /// window, if it is among the kept ones.
    pub(super) fn kept_below(&self, index: LogIndex) -> Option<(u64, Term)> {
        let kept_from = self.low - self.below.len() as LogIndex;
        let offset = index.checked_sub(kept_from).filter(|_| index < self.low)?;
        self.below.get(offset as usize).copied()
    }

    /// The hash at `index`, below the window, of a log known to agree with
    /// the committed prefix there: up to `agrees_to`, or up to `low` once
    /// the log holds the committed entry at `low` (prefix hashes agree on
    /// a prefix).
    fn witnessed_hash(&self, view: &NodeView, index: LogIndex) -> Option<u64> {
        let holds_window = view.base <= self.low && view.hash_at(self.low) == Some(self.low_hash);
        match index <= view.agrees_to || holds_window {
            true => view.hash_at(index),
            false => None,
        }
    }

    /// A node crashed with a snapshot up to `durable_snapshot` and entries
    /// up to `durable_last` on disk: entries beyond that were never durable
    /// and never sent (sends wait for durability), so they vanish. An entry
    /// nobody else held is forgotten, as if it had never existed (DLedger
    /// can re-elect the same leader in the same term, which then writes a
    /// different entry at that index). The checker reads the restarted
    /// node's log again from its durable snapshot.
    pub fn on_crash(&mut self, node: NodeId, durable_last: LogIndex, durable_snapshot: LogIndex) {
        debug_assert!(
            durable_snapshot <= durable_last,
            "a disk's snapshot ends within its log"
        );
        let bit = 1u64 << node.index();
        let view = &self.nodes[node.index()];
        // Entries at or below the window are committed ones, or were dropped
        // with it (see `seen`).
        let lost: Vec<(LogIndex, Term)> = (durable_last.max(view.base).max(self.low) + 1
            ..=view.last())
            .filter_map(|index| view.at(index).map(|p| (index, p.0)))
            .collect();
        for (index, term) in lost {
            let first = &mut self.first_at[(index - self.low - 1) as usize];
            if let Some(seen) = first.as_mut().filter(|s| s.term == term) {
                seen.holders &= !bit;
                if seen.holders == 0 {
                    *first = None;
                }
            } else if let Some(seen) = self.others_at.get_mut(&(index, term)) {
                seen.holders &= !bit;
                if seen.holders == 0 {
                    self.others_at.remove(&(index, term));
                }
            }
        }
        let view = &self.nodes[node.index()];
        let base_hash = match durable_snapshot == view.durable_base {
            true => view.durable_hash,
            false => self.committed_hash_for(node, durable_snapshot),
        };
        let view = &mut self.nodes[node.index()];
        view.down = true;
        // Snapshot writes in flight are lost with the crash.
        view.pending_snapshots.clear();
        if view.base == durable_snapshot && durable_last >= view.base {
            // What is on its disk it still holds (its configuration too).
            view.prefix.truncate((durable_last - view.base) as usize);
        } else {
            view.prefix.clear();
            view.base = durable_snapshot;
            view.base_term = None;
            view.base_hash =
                base_hash.expect("a durable snapshot is a committed prefix the checker knows");
        }
        view.commit = 0;
        // What it restarts with is at most what its disk holds.
        debug_assert!(
            view.base == durable_snapshot && view.last() <= durable_last,
            "node {node} keeps entries past its durable log"
        );
    }

    /// Drops what no running node can need again: everything at or below
    /// the lowest durable snapshot of the nodes that run. A node that is
    /// down keeps its own copy of its log; the window moving past it first
    /// notes how far that log agrees with the committed prefix. Everything
    /// below the window is committed, so that, and whether the node's log
    /// later holds the committed entry at the window, is all the checks
    /// need of its entries there once it restarts. So a node down for a
    /// week costs nothing per entry the others commit.
    fn trim(&mut self) {
        let running = self.nodes.iter().filter(|v| !v.down);
        let low = running.map(|v| v.durable_base).min().unwrap_or(self.low);
        let low = low.min(self.committed_len());
        if low <= self.low {
            return;
        }
        for i in 0..self.nodes.len() {
            self.fold(NodeId::from_index(i), low);
        }
        let dropped = (low - self.low) as usize;
        let last = self.committed_at(low).copied().expect("within the window");
        // The hashes at `self.low .. low` go below the window.
        let passed = std::iter::once((self.low_hash, self.low_term)).chain(
            self.committed
                .iter()
                .take(dropped - 1)
                .map(|c| (c.hash, c.entry_term)),
        );
        let passed: Vec<(u64, Term)> = passed.skip(dropped.saturating_sub(KEPT_BELOW)).collect();
        self.below.extend(passed);
        let excess = self.below.len().saturating_sub(KEPT_BELOW);
        self.below.drain(..excess);
        self.committed.drain(..dropped);
        self.first_at.drain(..dropped.min(self.first_at.len()));
        self.others_at = self.others_at.split_off(&(low + 1, 0));
        self.low = low;
        self.low_hash = last.hash;
        self.low_term = last.entry_term;
        debug_assert!(
            self.low <= self.committed_len()
                && self
                    .nodes
                    .iter()
                    .all(|v| v.base >= self.low || v.agrees_to >= v.base),
            "the window starts within the committed prefix, and every node it passed was folded"
        );
    }

    /// The window moves up to `low`: if it passes `node`'s snapshot, note
    /// how far the node's log agrees with the committed prefix up to `low`
    /// (it agreed up to its snapshot; prefix hashes agree on a prefix).
    fn fold(&mut self, node: NodeId, low: LogIndex) {
        let view = &self.nodes[node.index()];
        if view.base >= low {
            return;
        }
        let mut agrees_to = match view.base >= self.low {
            true => view.base,
            false => view.agrees_to,
        };
        // Once it disagreed below the old window, it never agrees again.
        if agrees_to >= self.low {
            while agrees_to < low.min(view.last())
                && view.hash_at(agrees_to + 1).is_some()
                && view.hash_at(agrees_to + 1) == self.committed_hash(agrees_to + 1)
            {
                agrees_to += 1;
            }
        }
        debug_assert!(agrees_to >= view.base && agrees_to <= view.last().max(view.base));
        self.nodes[node.index()].agrees_to = agrees_to;
    }

    /// A write of `node` is durable: its disk holds `term` and a snapshot
    /// up to `snapshot_index`.
    pub fn on_durable(&mut self, node: NodeId, term: Term, snapshot_index: LogIndex) {
        let view = &mut self.nodes[node.index()];
        view.durable_term = view.durable_term.max(term);
        if snapshot_index > view.durable_base {
            let taken = view
                .pending_snapshots
                .iter()
                .find(|&&(index, _)| index == snapshot_index)
                .map(|&(_, hash)| hash);
            let hash = match snapshot_index == view.base {
                true => Some(view.base_hash),
                false => taken.or_else(|| self.committed_hash_for(node, snapshot_index)),
            };
            let view = &mut self.nodes[node.index()];
            view.durable_base = snapshot_index;
            view.durable_hash = hash;
            view.pending_snapshots
                .retain(|&(index, _)| index > snapshot_index);
            self.trim();
        }
    }

    /// A node (re)started: its term must not be below what it had made
    /// durable. (`on_crash` already dropped its volatile state.)
    pub fn on_restart(&mut self, node: NodeId, term: Term) -> Result<(), Broken> {
        let view = &mut self.nodes[node.index()];
        view.down = false;
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
