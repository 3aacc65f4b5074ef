//! The membership metrics (docs/METRICS.md "Membership"): changes proposed,
//! committed and refused, how long each took from the operator's request
//! to the commit of its final configuration, how long leadership
//! transfers took, disruptions by nodes outside the leader's
//! configuration, and every configuration the cluster committed.

use serde::{Deserialize, Serialize};

use crate::node::{LogIndex, Membership, NodeId, NodeSet};
use crate::stats::Summary;
use crate::time::Instant;

/// `membership_changes` in the results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MembershipCounts {
    /// Handed to a leader, which accepted it.
    pub proposed: u64,
    /// Whose final configuration the cluster committed.
    pub committed: u64,
    /// Refused by the leader (with the reason in `series.faults`).
    pub refused: u64,
}

/// A configuration the cluster committed (`series.configs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigPoint {
    /// Its entry's index (0: the initial configuration).
    pub index: LogIndex,
    pub committed_at_ms: f64,
    pub voters: NodeSet,
    #[serde(default, skip_serializing_if = "NodeSet::is_empty_set")]
    pub outgoing: NodeSet,
    #[serde(default, skip_serializing_if = "NodeSet::is_empty_set")]
    pub learners: NodeSet,
}

/// A change under way: its request's time and the configuration that
/// completes it.
#[derive(Clone, Copy, Debug)]
struct PendingChange {
    at: Instant,
    done_when: Membership,
}

/// A transfer under way: when it was asked for, and to whom.
#[derive(Clone, Copy, Debug)]
struct PendingTransfer {
    at: Instant,
    target: NodeId,
}

#[derive(Default)]
pub(super) struct MembershipRecorder {
    pub(super) counts: MembershipCounts,
    reconfiguration_us: Vec<u64>,
    transfer_us: Vec<u64>,
    pub(super) removed_node_disruptions: u64,
    pending: Vec<PendingChange>,
    transfers: Vec<PendingTransfer>,
    pub(super) configs: Vec<ConfigPoint>,
}

impl MembershipRecorder {
    pub(super) fn on_proposed(&mut self, at: Instant, done_when: Membership) {
        self.counts.proposed += 1;
        self.pending.push(PendingChange { at, done_when });
    }

    pub(super) fn on_refused(&mut self) {
        self.counts.refused += 1;
    }

    /// The cluster committed `config` at `index`: every change it completes
    /// is done.
    pub(super) fn on_committed(&mut self, at: Instant, index: LogIndex, config: Membership) {
        debug_assert!(
            self.configs.last().is_none_or(|c| c.index < index),
            "configurations commit in log order"
        );
        self.configs.push(ConfigPoint {
            index,
            committed_at_ms: at.as_ms_f64(),
            voters: config.voters,
            outgoing: config.outgoing,
            learners: config.learners,
        });
        let mut done = Vec::new();
        self.pending.retain(|p| {
            let finished = p.done_when == config;
            if finished {
                done.push(at.us_since(p.at));
            }
            !finished
        });
        self.counts.committed += done.len() as u64;
        self.reconfiguration_us.extend(done);
        debug_assert!(
            self.counts.committed <= self.counts.proposed
                && self.reconfiguration_us.len() as u64 == self.counts.committed,
            "a change commits once, after it was proposed"
        );
    }

    pub(super) fn on_transfer(&mut self, at: Instant, target: NodeId) {
        self.transfers.push(PendingTransfer { at, target });
    }

    /// Whether a transfer to `node` is under way.
    pub(super) fn is_transfer_target(&self, node: NodeId) -> bool {
        self.transfers.iter().any(|t| t.target == node)
    }

    /// A new effective leader: a transfer to it is done; any other transfer
    /// under way has failed (it is not counted).
    pub(super) fn on_effective_leader(&mut self, at: Instant, leader: NodeId) {
        for transfer in self.transfers.drain(..) {
            debug_assert!(transfer.at <= at, "a transfer ends after it was asked for");
            if transfer.target == leader {
                self.transfer_us.push(at.us_since(transfer.at));
            }
        }
    }

    pub(super) fn reconfiguration_ms(&self) -> Summary {
        Summary::of_us(self.reconfiguration_us.clone())
    }

    pub(super) fn transfer_ms(&self) -> Summary {
        Summary::of_us(self.transfer_us.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_done_when_its_final_configuration_commits() {
        let set = |ids: &[u32]| NodeSet::of(ids.iter().map(|&i| NodeId(i)));
        let mut r = MembershipRecorder::default();
        let joint = Membership {
            voters: set(&[2, 3, 4]),
            outgoing: set(&[1, 2, 3]),
            learners: NodeSet::EMPTY,
        };
        r.on_proposed(Instant::from_ms(100), joint.leave_joint());
        r.on_committed(Instant::from_ms(120), 5, joint);
        assert_eq!(r.counts.committed, 0, "the joint step is half the change");
        r.on_committed(Instant::from_ms(150), 6, joint.leave_joint());
        assert_eq!(
            r.counts,
            MembershipCounts {
                proposed: 1,
                committed: 1,
                refused: 0
            }
        );
        assert_eq!(r.reconfiguration_ms().max, Some(50.0));
        assert_eq!(r.configs.len(), 2);
        r.on_transfer(Instant::from_ms(200), NodeId(2));
        r.on_effective_leader(Instant::from_ms(260), NodeId(2));
        assert_eq!(r.transfer_ms().p50, Some(60.0));
        r.on_transfer(Instant::from_ms(300), NodeId(3));
        r.on_effective_leader(Instant::from_ms(900), NodeId(4));
        assert_eq!(
            r.transfer_ms().count,
            1,
            "a failed transfer is not a sample"
        );
    }
}
