//! The fault script's vocabulary: node references and fault actions, and
//! the record of what each scripted event did when it fired. Resolution of
//! references against the cluster's state happens in `cluster`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::network::{LinkOverride, NetworkPatch};
use crate::raft::NodeId;
use crate::time::Instant;

/// A node as a scenario names it, resolved when its event fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRef {
    Id(NodeId),
    /// The leader of the highest term at that instant.
    Leader,
    /// The K-th (1-based, by id) live node other than the leader.
    Follower(usize),
    /// The most recently crashed node that is still down.
    Crashed,
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Id(id) => write!(f, "{id}"),
            NodeRef::Leader => write!(f, "leader"),
            NodeRef::Follower(k) => write!(f, "follower:{k}"),
            NodeRef::Crashed => write!(f, "crashed"),
        }
    }
}

/// One scripted action.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    Isolate(NodeRef),
    Partition(Vec<Vec<NodeId>>),
    Cut(Vec<(NodeRef, NodeRef)>),
    CutOneway(Vec<(NodeRef, NodeRef)>),
    Restore(Vec<(NodeRef, NodeRef)>),
    Heal,
    Crash(NodeRef),
    Restart(NodeRef),
    SetNetwork(NetworkPatch),
    SetLink {
        between: (NodeRef, NodeRef),
        link: LinkOverride,
    },
}

impl Fault {
    /// The event's key in a scenario file.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Isolate(_) => "isolate",
            Fault::Partition(_) => "partition",
            Fault::Cut(_) => "cut",
            Fault::CutOneway(_) => "cut_oneway",
            Fault::Restore(_) => "restore",
            Fault::Heal => "heal",
            Fault::Crash(_) => "crash",
            Fault::Restart(_) => "restart",
            Fault::SetNetwork(_) => "set_network",
            Fault::SetLink { .. } => "set_link",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScriptEvent {
    pub at: Instant,
    pub fault: Fault,
}

/// What a scripted event did, as the results report it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// Position in the scenario's `events` (or in the drawn chaos schedule).
    pub index: usize,
    pub at_ms: f64,
    pub kind: String,
    /// Human-readable, with references resolved: "isolate 3", "cut 1-2".
    pub description: String,
    /// The nodes the event's references resolved to, in order.
    pub nodes: Vec<NodeId>,
    /// Why the event did nothing, if it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// When the fault's effect ended (healed, restored, restarted or
    /// replaced); absent if it lasted to the end of the run or was instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<f64>,
}
