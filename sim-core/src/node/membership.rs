//! Cluster membership (Raft thesis ch. 4): who votes, who only learns, and
//! during joint consensus the outgoing voters whose majority is needed too.
//! A configuration is a value, carried in log entries; the rules for when a
//! leader may change it belong to each implementation, but what a majority
//! of a configuration is, and what a change does to one, are here, shared
//! by the model, the cluster's observers and the safety checker.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{NodeId, MAX_NODES};

/// A set of nodes, one bit each (node k is bit k - 1).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeSet(u64);

impl NodeSet {
    pub const EMPTY: NodeSet = NodeSet(0);

    /// Nodes 1..=n.
    pub fn first(n: usize) -> NodeSet {
        assert!(n <= MAX_NODES, "{n} nodes is more than {MAX_NODES}");
        NodeSet(if n == MAX_NODES {
            u64::MAX
        } else {
            (1u64 << n) - 1
        })
    }

    pub fn of(nodes: impl IntoIterator<Item = NodeId>) -> NodeSet {
        nodes.into_iter().fold(NodeSet::EMPTY, NodeSet::with)
    }

    pub fn bits(self) -> u64 {
        self.0
    }

    pub fn from_bits(bits: u64) -> NodeSet {
        NodeSet(bits)
    }

    pub fn contains(self, id: NodeId) -> bool {
        self.0 & id.bit() != 0
    }

    pub fn with(self, id: NodeId) -> NodeSet {
        NodeSet(self.0 | id.bit())
    }

    pub fn without(self, id: NodeId) -> NodeSet {
        NodeSet(self.0 & !id.bit())
    }

    pub fn union(self, other: NodeSet) -> NodeSet {
        NodeSet(self.0 | other.0)
    }

    pub fn intersection(self, other: NodeSet) -> NodeSet {
        NodeSet(self.0 & other.0)
    }

    pub fn minus(self, other: NodeSet) -> NodeSet {
        NodeSet(self.0 & !other.0)
    }

    /// The nodes in exactly one of the two sets.
    pub fn symmetric_difference(self, other: NodeSet) -> NodeSet {
        NodeSet(self.0 ^ other.0)
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// For serde's `skip_serializing_if`.
    pub fn is_empty_set(set: &NodeSet) -> bool {
        set.is_empty()
    }

    /// The nodes in id order.
    pub fn iter(self) -> impl Iterator<Item = NodeId> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let index = bits.trailing_zeros() as usize;
            debug_assert!(index < MAX_NODES, "a set holds ids in 1..={MAX_NODES}");
            bits &= bits - 1;
            Some(NodeId::from_index(index))
        })
    }

    /// Whether `granted` holds a majority of this set (never of an empty
    /// set: nobody can decide for no one).
    pub fn has_majority(self, granted: NodeSet) -> bool {
        !self.is_empty() && 2 * self.intersection(granted).len() > self.len()
    }
}

impl fmt::Debug for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// `(1,2,3)`, or `()` for none.
impl fmt::Display for NodeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self.iter().map(|n| n.to_string()).collect();
        write!(f, "({})", ids.join(","))
    }
}

/// As a JSON array of node ids.
impl Serialize for NodeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NodeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ids = Vec::<NodeId>::deserialize(deserializer)?;
        if let Some(bad) = ids
            .iter()
            .find(|id| !(1..=MAX_NODES as u32).contains(&id.0))
        {
            return Err(serde::de::Error::custom(format!(
                "node {bad} is not in 1..={MAX_NODES}"
            )));
        }
        Ok(NodeSet::of(ids))
    }
}

/// A configuration. Outside joint consensus `outgoing` is empty; during it
/// (C_old,new) `voters` are the new voters and `outgoing` the old ones,
/// and every decision needs a majority of each. A node with no
/// configuration at all (a spare machine no cluster has added yet) has
/// every set empty.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    pub voters: NodeSet,
    #[serde(default, skip_serializing_if = "NodeSet::is_empty_set")]
    pub outgoing: NodeSet,
    #[serde(default, skip_serializing_if = "NodeSet::is_empty_set")]
    pub learners: NodeSet,
}

impl fmt::Debug for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// `voters=(1,2,3)`, `voters=(1,2,4) outgoing=(1,2,3) learners=(5)`.
impl fmt::Display for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "voters={}", self.voters)?;
        if self.is_joint() {
            write!(f, " outgoing={}", self.outgoing)?;
        }
        if !self.learners.is_empty() {
            write!(f, " learners={}", self.learners)?;
        }
        Ok(())
    }
}

/// A change an operator asks the leader for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipChange {
    /// A new member that receives the log but does not vote.
    AddLearner(NodeId),
    /// A new voter, at once (a single-server change).
    AddVoter(NodeId),
    /// A learner becomes a voter (a single-server change).
    Promote(NodeId),
    /// A voter or learner leaves (a single-server change for a voter).
    Remove(NodeId),
    /// Joint consensus to a new configuration: these voters join, these
    /// leave, these become (or stay) learners.
    Joint {
        add: NodeSet,
        remove: NodeSet,
        learners: NodeSet,
    },
}

impl fmt::Display for MembershipChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MembershipChange::AddLearner(n) => write!(f, "add learner {n}"),
            MembershipChange::AddVoter(n) => write!(f, "add voter {n}"),
            MembershipChange::Promote(n) => write!(f, "promote {n}"),
            MembershipChange::Remove(n) => write!(f, "remove {n}"),
            MembershipChange::Joint {
                add,
                remove,
                learners,
            } => write!(f, "change add={add} remove={remove} learners={learners}"),
        }
    }
}

impl MembershipChange {
    /// A change of one voter at a time: the kind the single-server rules
    /// (one uncommitted change, and a committed entry of the leader's term
    /// first) guard.
    pub fn is_single_server(&self) -> bool {
        match self {
            MembershipChange::AddVoter(_)
            | MembershipChange::Promote(_)
            | MembershipChange::Remove(_) => true,
            MembershipChange::AddLearner(_) | MembershipChange::Joint { .. } => false,
        }
    }
}

impl Membership {
    /// The configuration every node of `voters` starts with.
    pub fn of_voters(voters: NodeSet) -> Membership {
        debug_assert!(!voters.is_empty(), "a configuration always has a voter");
        Membership {
            voters,
            outgoing: NodeSet::EMPTY,
            learners: NodeSet::EMPTY,
        }
    }

    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// No configuration: a spare node nobody has added yet.
    pub fn is_empty(&self) -> bool {
        self.voters.is_empty() && self.outgoing.is_empty() && self.learners.is_empty()
    }

    /// Whether this is a configuration Raft can be in: none at all (a
    /// spare), or one with a voter whose learners do not vote (during
    /// joint consensus an outgoing voter may be becoming a learner).
    pub fn is_well_formed(&self) -> bool {
        self.is_empty()
            || (!self.voters.is_empty() && self.voters.intersection(self.learners).is_empty())
    }

    /// Everyone whose vote counts: the voters, and during joint consensus
    /// the outgoing voters too.
    pub fn all_voters(&self) -> NodeSet {
        self.voters.union(self.outgoing)
    }

    pub fn is_voter(&self, id: NodeId) -> bool {
        self.all_voters().contains(id)
    }

    pub fn is_learner(&self, id: NodeId) -> bool {
        self.learners.contains(id)
    }

    /// Everyone the leader replicates to (and counts as a member).
    pub fn members(&self) -> NodeSet {
        self.all_voters().union(self.learners)
    }

    /// Whether `granted` decides for this configuration: a majority of the
    /// voters, and during joint consensus a majority of the outgoing voters
    /// too. Anyone else in `granted` does not count.
    pub fn has_majority(&self, granted: NodeSet) -> bool {
        self.voters.has_majority(granted)
            && (self.outgoing.is_empty() || self.outgoing.has_majority(granted))
    }

    /// Whether two configurations could each reach a decision with nodes
    /// the other does not have: some majority of one and some majority of
    /// the other are disjoint. Raft never lets two such configurations be
    /// in force at once. Exact for plain configurations; for a joint one it
    /// answers yes only if each of its voter sets could decide apart from
    /// the other configuration (a decision of a joint configuration needs
    /// both), so it never reports a pair that cannot decide apart.
    pub fn has_disjoint_majorities(&self, other: &Membership) -> bool {
        // Checked on every commit: no allocation.
        debug_assert!(self.is_well_formed() && other.is_well_formed());
        let sets = |m: &Membership| [m.voters, m.outgoing].into_iter().filter(|s| !s.is_empty());
        sets(self).next().is_some()
            && sets(other).next().is_some()
            && sets(self).all(|p| sets(other).all(|q| majorities_can_be_disjoint(p, q)))
    }

    /// The configuration `change` leads to, or why it is refused.
    pub fn apply(&self, change: &MembershipChange) -> Result<Membership, String> {
        debug_assert!(self.is_well_formed(), "applying {change} to {self}");
        if self.is_joint() {
            return Err("a joint configuration is still in force".to_string());
        }
        let member = |n: NodeId| self.members().contains(n);
        let mut next = *self;
        match *change {
            MembershipChange::AddLearner(n) => {
                if member(n) {
                    return Err(format!("node {n} is already a member"));
                }
                next.learners = next.learners.with(n);
            }
            MembershipChange::AddVoter(n) => {
                if self.voters.contains(n) {
                    return Err(format!("node {n} is already a voter"));
                }
                next.learners = next.learners.without(n);
                next.voters = next.voters.with(n);
            }
            MembershipChange::Promote(n) => {
                if !self.learners.contains(n) {
                    return Err(format!("node {n} is not a learner"));
                }
                next.learners = next.learners.without(n);
                next.voters = next.voters.with(n);
            }
            MembershipChange::Remove(n) => {
                if !member(n) {
                    return Err(format!("node {n} is not a member"));
                }
                next.voters = next.voters.without(n);
                next.learners = next.learners.without(n);
                if next.voters.is_empty() {
                    return Err(format!("removing node {n} would leave no voter"));
                }
            }
            MembershipChange::Joint {
                add,
                remove,
                learners,
            } => {
                if let Some(n) = add.intersection(remove).iter().next() {
                    return Err(format!("node {n} is both added and removed"));
                }
                if let Some(n) = add.intersection(learners).iter().next() {
                    return Err(format!("node {n} cannot be both a voter and a learner"));
                }
                if let Some(n) = remove.minus(self.members()).iter().next() {
                    return Err(format!("node {n} is not a member"));
                }
                let voters = self.voters.union(add).minus(remove).minus(learners);
                if voters.is_empty() {
                    return Err("the change would leave no voter".to_string());
                }
                next = Membership {
                    voters,
                    outgoing: self.voters,
                    learners: self.learners.union(learners).minus(remove).minus(voters),
                };
                if next.voters == next.outgoing && next.learners == self.learners {
                    return Err("the change changes nothing".to_string());
                }
            }
        }
        debug_assert!(!next.voters.is_empty(), "a change never leaves no voter");
        debug_assert!(next.is_well_formed(), "{change} of {self} leads to {next}");
        debug_assert!(next != *self, "an accepted change changes something");
        debug_assert_eq!(
            next.is_joint(),
            matches!(change, MembershipChange::Joint { .. }),
            "only a joint change enters joint consensus"
        );
        // What makes single-server changes safe: the old and new voters
        // differ by at most one node, so any majorities of the two overlap.
        debug_assert!(
            !change.is_single_server() || next.voters.symmetric_difference(self.voters).len() <= 1,
            "{change} changed more than one voter"
        );
        Ok(next)
    }

    /// C_new after C_old,new: the joint configuration left.
    pub fn leave_joint(&self) -> Membership {
        debug_assert!(self.is_joint(), "leaving a joint configuration");
        debug_assert!(
            !self.voters.is_empty(),
            "both halves of a joint configuration have voters"
        );
        let next = Membership {
            voters: self.voters,
            outgoing: NodeSet::EMPTY,
            learners: self.learners,
        };
        debug_assert!(next.is_well_formed(), "leaving {self} leads to {next}");
        next
    }
}

/// Whether some majority of `p` and some majority of `q` share no node:
/// each takes as few shared nodes as it can, and the two fit side by side
/// in what `p` and `q` share.
fn majorities_can_be_disjoint(p: NodeSet, q: NodeSet) -> bool {
    debug_assert!(!p.is_empty() && !q.is_empty(), "a majority of no one");
    let majority = |s: NodeSet| s.len() / 2 + 1;
    let from_shared_p = majority(p).saturating_sub(p.minus(q).len());
    let from_shared_q = majority(q).saturating_sub(q.minus(p).len());
    from_shared_p + from_shared_q <= p.intersection(q).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[u32]) -> NodeSet {
        NodeSet::of(ids.iter().map(|&i| NodeId(i)))
    }

    fn voters(ids: &[u32]) -> Membership {
        Membership::of_voters(set(ids))
    }

    #[test]
    fn majorities_of_plain_and_joint_configurations() {
        let three = voters(&[1, 2, 3]);
        assert!(three.has_majority(set(&[1, 3])));
        assert!(!three.has_majority(set(&[2])));
        assert!(
            !three.has_majority(set(&[2, 4, 5])),
            "non-voters do not count"
        );
        let joint = Membership {
            voters: set(&[1, 2, 4]),
            outgoing: set(&[1, 2, 3]),
            learners: NodeSet::EMPTY,
        };
        assert!(joint.has_majority(set(&[1, 2])));
        assert!(
            !joint.has_majority(set(&[1, 4])),
            "not a majority of the old"
        );
        assert!(
            !joint.has_majority(set(&[1, 3])),
            "not a majority of the new"
        );
        assert!(!Membership::default().has_majority(set(&[1, 2, 3])));
    }

    #[test]
    fn single_server_changes_always_overlap_and_two_at_once_need_not() {
        let c0 = voters(&[1, 2, 3]);
        let c1 = c0.apply(&MembershipChange::AddVoter(NodeId(4))).unwrap();
        let c2 = c1.apply(&MembershipChange::AddVoter(NodeId(5))).unwrap();
        assert!(!c0.has_disjoint_majorities(&c1));
        assert!(!c1.has_disjoint_majorities(&c2));
        // {1,2} decides C0 and {3,4,5} decides C2.
        assert!(c0.has_disjoint_majorities(&c2));
        // Replacing everyone at once: only joint consensus bridges it.
        let other = voters(&[4, 5, 6]);
        assert!(c0.has_disjoint_majorities(&other));
        let joint = Membership {
            voters: other.voters,
            outgoing: c0.voters,
            learners: NodeSet::EMPTY,
        };
        assert!(!joint.has_disjoint_majorities(&c0));
        assert!(!joint.has_disjoint_majorities(&other));
    }

    #[test]
    fn refused_changes_say_why() {
        let c = voters(&[1, 2, 3]);
        let refused = |change| c.apply(&change).unwrap_err();
        assert_eq!(
            refused(MembershipChange::AddVoter(NodeId(2))),
            "node 2 is already a voter"
        );
        assert_eq!(
            refused(MembershipChange::Promote(NodeId(4))),
            "node 4 is not a learner"
        );
        assert_eq!(
            refused(MembershipChange::Remove(NodeId(4))),
            "node 4 is not a member"
        );
        let one = voters(&[1]);
        assert_eq!(
            one.apply(&MembershipChange::Remove(NodeId(1))).unwrap_err(),
            "removing node 1 would leave no voter"
        );
        let joint = c
            .apply(&MembershipChange::Joint {
                add: set(&[4]),
                remove: set(&[1]),
                learners: NodeSet::EMPTY,
            })
            .unwrap();
        assert_eq!(joint.to_string(), "voters=(2,3,4) outgoing=(1,2,3)");
        assert_eq!(
            joint
                .apply(&MembershipChange::AddLearner(NodeId(5)))
                .unwrap_err(),
            "a joint configuration is still in force"
        );
        assert_eq!(joint.leave_joint(), voters(&[2, 3, 4]));
    }

    #[test]
    fn a_learner_joins_then_is_promoted() {
        let c = voters(&[1, 2, 3]);
        let learning = c.apply(&MembershipChange::AddLearner(NodeId(4))).unwrap();
        assert!(learning.is_learner(NodeId(4)) && !learning.is_voter(NodeId(4)));
        assert_eq!(learning.members(), set(&[1, 2, 3, 4]));
        let promoted = learning
            .apply(&MembershipChange::Promote(NodeId(4)))
            .unwrap();
        assert_eq!(promoted, voters(&[1, 2, 3, 4]));
        let json = serde_json::to_string(&learning).unwrap();
        assert_eq!(json, r#"{"voters":[1,2,3],"learners":[4]}"#);
        assert_eq!(serde_json::from_str::<Membership>(&json).unwrap(), learning);
    }
}
