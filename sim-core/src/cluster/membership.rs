//! Membership changes and leadership transfers during a run: an event's
//! request is handed to the current leader, as a client's would be, and
//! the leader accepts it (the change is under way) or refuses it (the
//! reason is recorded). The cluster follows every configuration the
//! cluster commits, from the committing node's log, for the metrics and
//! the trace. Which changes a leader may accept is the implementation's
//! rule, never the cluster's.

use super::Cluster;
use crate::faults::{NodeRef, Request};
use crate::node::{Action, LogIndex, Membership, MembershipChange, NodeId, NodeSet, RaftNode};
use crate::trace::TraceEvent;

/// Why a request did nothing.
pub(super) enum NotDone {
    /// It could not be made (no leader, a reference that does not
    /// resolve).
    Skipped(String),
    /// The leader refused it.
    Refused { leader: NodeId, reason: String },
}

/// A fault that cannot be applied now is skipped for that reason.
impl From<String> for NotDone {
    fn from(reason: String) -> NotDone {
        NotDone::Skipped(reason)
    }
}

impl<N: RaftNode> Cluster<'_, N> {
    /// The nodes that are up.
    pub(super) fn live_set(&self) -> NodeSet {
        NodeSet::of(
            self.slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.live)
                .map(|(i, _)| NodeId::from_index(i)),
        )
    }

    /// The configuration node `id` uses, if it is up.
    pub(super) fn membership_of(&self, id: NodeId) -> Option<Membership> {
        self.slots[id.index()].node().map(N::membership)
    }

    fn resolve_all(&self, refs: &[NodeRef]) -> Result<NodeSet, NotDone> {
        refs.iter()
            .map(|r| self.resolve(r))
            .collect::<Result<Vec<NodeId>, String>>()
            .map(NodeSet::of)
            .map_err(NotDone::Skipped)
    }

    /// Carries out a membership change or a transfer: the description and
    /// the nodes it named, or why it did nothing.
    pub(super) fn apply_request(
        &mut self,
        request: &Request,
    ) -> Result<(String, Vec<NodeId>), NotDone> {
        let one = |r: &NodeRef| self.resolve(r).map_err(NotDone::Skipped);
        let change = match request {
            Request::AddLearner(node) => MembershipChange::AddLearner(one(node)?),
            Request::AddVoter(node) => MembershipChange::AddVoter(one(node)?),
            Request::Promote(node) => MembershipChange::Promote(one(node)?),
            Request::Remove(node) => MembershipChange::Remove(one(node)?),
            Request::Change {
                add,
                remove,
                learners,
            } => MembershipChange::Joint {
                add: self.resolve_all(add)?,
                remove: self.resolve_all(remove)?,
                learners: self.resolve_all(learners)?,
            },
            Request::TransferLeader(node) => {
                let target = one(node)?;
                return self.transfer(target);
            }
        };
        self.change(change)
    }

    fn change(&mut self, change: MembershipChange) -> Result<(String, Vec<NodeId>), NotDone> {
        let nodes = match change {
            MembershipChange::AddLearner(n)
            | MembershipChange::AddVoter(n)
            | MembershipChange::Promote(n)
            | MembershipChange::Remove(n) => vec![n],
            MembershipChange::Joint {
                add,
                remove,
                learners,
            } => add.union(remove).union(learners).iter().collect(),
        };
        let now = self.now;
        let (leader, result) = self.hand_to_leader(|node, actions| {
            let before = node.membership();
            node.change_membership(now, change, actions)?;
            Ok(before
                .apply(&change)
                .expect("a change the leader accepted applies to its configuration"))
        })?;
        match result {
            Ok(after) => {
                // A joint change is done when the configuration after it
                // commits; any other when its own does.
                let done_when = if after.is_joint() {
                    after.leave_joint()
                } else {
                    after
                };
                if let Some(recorder) = self.observers.recorder.as_mut() {
                    recorder.on_change_proposed(now, done_when);
                }
                Ok((format!("{change} (leader {leader})"), nodes))
            }
            Err(reason) => {
                if let Some(recorder) = self.observers.recorder.as_mut() {
                    recorder.on_change_refused();
                }
                Err(NotDone::Refused { leader, reason })
            }
        }
    }

    fn transfer(&mut self, target: NodeId) -> Result<(String, Vec<NodeId>), NotDone> {
        let now = self.now;
        let (leader, result) =
            self.hand_to_leader(|node, actions| node.transfer_leader(now, target, actions))?;
        match result {
            Ok(()) => {
                if let Some(recorder) = self.observers.recorder.as_mut() {
                    recorder.on_transfer(now, target);
                }
                Ok((format!("transfer leader {leader} → {target}"), vec![target]))
            }
            Err(reason) => Err(NotDone::Refused { leader, reason }),
        }
    }

    /// Hands a request to the current leader, carries out what it did and
    /// shows the step to the observers. Skipped when there is no leader or
    /// it is paused.
    fn hand_to_leader<R>(
        &mut self,
        request: impl FnOnce(&mut N, &mut Vec<Action<N::Message>>) -> R,
    ) -> Result<(NodeId, R), NotDone> {
        let leader = self
            .current_leader()
            .ok_or_else(|| NotDone::Skipped("there is no leader".to_string()))?;
        let slot = &mut self.slots[leader.index()];
        if slot.paused {
            return Err(NotDone::Skipped(format!("leader {leader} is paused")));
        }
        let node = slot.node_mut().expect("the leader is up");
        let before = node.status();
        let mut actions = std::mem::take(&mut self.actions);
        self.cause = None;
        let result = request(node, &mut actions);
        let hint = self.execute(leader, &mut actions);
        self.return_actions(actions);
        self.after_step(leader, before, hint);
        Ok((leader, result))
    }

    /// The cluster committed a configuration entry at `index`.
    pub(super) fn on_config_committed(&mut self, index: LogIndex, config: Membership) {
        self.record(TraceEvent::Config { index, config });
        if let Some(recorder) = self.observers.recorder.as_mut() {
            recorder.on_config_committed(self.now, index, config);
        }
    }
}
