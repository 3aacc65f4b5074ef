//! The client workload: proposals at an even rate, each sent to the leader
//! of the highest term, resent after `retry_us` until committed, held while
//! there is no leader. The client keeps its own record of what the cluster
//! has committed (from the nodes' commit indexes and logs), so that what it
//! does never depends on an observer.

use std::collections::{BTreeMap, VecDeque};

use super::{Cluster, Event, Input, WorkloadConfig};
use crate::node::{EntryData, LogIndex, NodeId, ProposalId, RaftNode};
use crate::time::Instant;
use crate::trace::TraceEvent;

struct Pending {
    first_sent_at: Instant,
}

#[derive(Default)]
pub(super) struct Client {
    next_id: ProposalId,
    pending: BTreeMap<ProposalId, Pending>,
    /// Proposals waiting for a leader.
    waiting: VecDeque<ProposalId>,
    /// (resend deadline, proposal), in deadline order.
    retries: VecDeque<(Instant, ProposalId)>,
    /// The earliest queued `ClientRetry` event, if any.
    pub(super) retry_armed_at: Option<Instant>,
    /// The highest commit index any node has reached: the cluster's
    /// committed prefix.
    committed: LogIndex,
    /// A reused buffer of the latencies of one commit advance.
    latencies_us: Vec<u64>,
}

impl Client {
    /// The memory the client holds, about: each proposal in flight is in
    /// the pending map, maybe in the waiting queue and in the retries.
    pub(super) fn held_bytes(&self) -> u64 {
        const MAP_ENTRY: u64 = 48;
        let queued = std::mem::size_of::<(Instant, ProposalId)>() as u64;
        self.pending.len() as u64 * MAP_ENTRY
            + (self.waiting.capacity() as u64) * 8
            + (self.retries.capacity() as u64) * queued
    }

    /// Proposals sent and not yet committed.
    pub(super) fn pending_count(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn proposal_interval_us(&self, workload: &WorkloadConfig) -> Option<u64> {
        let rate = workload.proposals_per_sec;
        (rate > 0.0).then(|| ((1_000_000.0 / rate).round() as u64).max(1))
    }
}

impl<N: RaftNode> Cluster<'_, N> {
    pub(super) fn new_proposal(&mut self) {
        let id = self.client.next_id;
        self.client.next_id += 1;
        self.client.pending.insert(
            id,
            Pending {
                first_sent_at: self.now,
            },
        );
        self.observers.on_submitted(self.now);
        self.submit(id);
    }

    fn submit(&mut self, id: ProposalId) {
        debug_assert!(
            self.client.pending.contains_key(&id),
            "proposal {id} submitted while not pending"
        );
        let leader = self.current_leader();
        self.record(TraceEvent::Propose { id, leader });
        let Some(leader) = leader else {
            self.client.waiting.push_back(id);
            return;
        };
        self.step(leader, Input::Propose(id));
        let deadline = self.now.plus_us(self.cfg.workload.retry_us);
        // Time only moves forward, so the resends stay in deadline order.
        debug_assert!(
            self.client
                .retries
                .back()
                .is_none_or(|&(last, _)| last <= deadline),
            "resend deadlines out of order"
        );
        self.client.retries.push_back((deadline, id));
        self.arm_retry();
    }

    /// Makes sure a `ClientRetry` is queued no later than the earliest
    /// resend deadline.
    fn arm_retry(&mut self) {
        if let Some(&(front, _)) = self.client.retries.front() {
            if self.client.retry_armed_at.is_none_or(|at| front < at) {
                self.client.retry_armed_at = Some(front);
                self.queue.push(front, Event::ClientRetry);
            }
            debug_assert!(
                self.client.retry_armed_at.is_some_and(|at| at <= front),
                "a retry is queued by the earliest resend deadline"
            );
        }
    }

    pub(super) fn flush_waiting_proposals(&mut self) {
        while self.current_leader().is_some() {
            let Some(id) = self.client.waiting.pop_front() else {
                break;
            };
            if self.client.pending.contains_key(&id) {
                self.submit(id);
            }
        }
    }

    pub(super) fn retry_proposals(&mut self) {
        while let Some(&(deadline, id)) = self.client.retries.front() {
            if deadline > self.now {
                break;
            }
            if self.events_spent() {
                return; // the run stops after this step (limits.rs)
            }
            self.client.retries.pop_front();
            debug_assert!(deadline <= self.now, "a resend before its deadline");
            if self.client.pending.contains_key(&id) {
                self.events += 1;
                self.submit(id);
            }
        }
        self.arm_retry();
    }

    /// Node `id`'s commit index rose to `commit_index`: whatever it commits
    /// beyond the cluster's committed prefix completes those proposals.
    pub(super) fn on_node_commit(&mut self, id: NodeId, commit_index: LogIndex) {
        let start = self.client.committed;
        if commit_index <= start {
            return;
        }
        let node = self.slots[id.index()]
            .node()
            .expect("a live node committed");
        let log = node.log();
        // A node with a planted bug may claim a commit beyond its log; the
        // checker reports that, the client counts what exists. (What a
        // node compacted it had committed, so the client has seen it.)
        let end = commit_index.min(log.last_index());
        let client = &mut self.client;
        client.latencies_us.clear();
        let mut configs = Vec::new();
        for index in start + 1..=end {
            let Some(entry) = log.entry(index) else {
                continue;
            };
            match entry.data {
                EntryData::Proposal(proposal) => {
                    if let Some(pending) = client.pending.remove(&proposal) {
                        client
                            .latencies_us
                            .push(self.now.us_since(pending.first_sent_at));
                    }
                }
                EntryData::Config(config) => configs.push((index, config)),
                EntryData::Noop => {}
            }
        }
        debug_assert!(
            commit_index > client.committed,
            "the cluster's committed prefix only grows"
        );
        debug_assert!(
            client.latencies_us.len() as u64 <= end.saturating_sub(start),
            "at most one proposal per committed entry"
        );
        client.committed = commit_index;
        let latencies = std::mem::take(&mut client.latencies_us);
        self.observers.on_commit_advance(self.now, &latencies);
        self.client.latencies_us = latencies;
        self.record(TraceEvent::Commit {
            index: commit_index,
        });
        for (index, config) in configs {
            self.on_config_committed(index, config);
        }
    }
}
