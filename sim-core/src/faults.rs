//! The fault script's vocabulary: node references and fault actions, and
//! the record of what each scripted event did when it fired. Resolution of
//! references against the cluster's state happens in `cluster`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::network::{LinkOverride, NetworkPatch};
use crate::node::NodeId;
use crate::time::Instant;

/// A node as a scenario names it, resolved when its event fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeRef {
    Id(NodeId),
    /// The leader of the highest term at that instant.
    Leader,
    /// The K-th (1-based, by id) live node other than the leader.
    Follower(usize),
    /// The K-th of the same nodes ranked by how up to date their logs are
    /// (last entry's term, then its index; ties by id): `freshest:1` is
    /// the follower most likely to win the next election.
    Freshest(usize),
    /// The most recently crashed node that is still down.
    Crashed,
    /// The node an earlier `let` event bound this name to.
    Name(String),
}

/// Builds a reference that counts followers from its K.
pub type RankedFollower = fn(usize) -> NodeRef;

/// The references that count the leader's followers, by their prefix in a
/// scenario file (`follower:K`, `freshest:K`), and how each is built from K.
pub const RANKED_FOLLOWERS: [(&str, RankedFollower); 2] = [
    ("follower:", NodeRef::Follower),
    ("freshest:", NodeRef::Freshest),
];

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Id(id) => write!(f, "{id}"),
            NodeRef::Leader => write!(f, "leader"),
            NodeRef::Follower(k) => write!(f, "follower:{k}"),
            NodeRef::Freshest(k) => write!(f, "freshest:{k}"),
            NodeRef::Crashed => write!(f, "crashed"),
            NodeRef::Name(name) => f.write_str(name),
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
    /// Back to the variant's configured network (ends a loss spike).
    ResetNetwork,
    SetLink {
        between: (NodeRef, NodeRef),
        link: LinkOverride,
    },
    /// Binds each name to the node its reference resolves to now (names
    /// in alphabetical order, each bound once per run).
    Let(Vec<(String, NodeRef)>),
    /// A stalled process: handles nothing and sends nothing until resumed.
    Pause(NodeRef),
    Resume(NodeRef),
    /// The node's clock runs at rate 1 + drift from now on.
    SetClock {
        node: NodeRef,
        drift_ppb: i64,
    },
    /// The node's disk completes no write for this long: writes in flight
    /// and new ones wait (a hung fsync, a saturated device).
    StallDisk {
        node: NodeRef,
        for_us: u64,
    },
    /// A request handed to the leader like a client's: with no leader it
    /// cannot fire.
    Request(Request),
}

/// A request the leader carries out: a membership change (Raft thesis
/// ch. 4) or a leadership transfer.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    AddLearner(NodeRef),
    AddVoter(NodeRef),
    Promote(NodeRef),
    Remove(NodeRef),
    /// Joint consensus: these become voters, these leave, these become
    /// learners.
    Change {
        add: Vec<NodeRef>,
        remove: Vec<NodeRef>,
        learners: Vec<NodeRef>,
    },
    /// The leader hands its leadership to this node (thesis §3.10).
    TransferLeader(NodeRef),
}

impl From<Request> for Fault {
    fn from(request: Request) -> Fault {
        Fault::Request(request)
    }
}

/// What kind of event a fault is: its key in a scenario file and its
/// `kind` in the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Isolate,
    Partition,
    Cut,
    CutOneway,
    Restore,
    Heal,
    Crash,
    Restart,
    SetNetwork,
    ResetNetwork,
    SetLink,
    Let,
    Pause,
    Resume,
    SetClock,
    StallDisk,
    AddLearner,
    AddVoter,
    Promote,
    Remove,
    Change,
    TransferLeader,
    /// A kind this version does not know, read from a results file written
    /// by another version; treated as an instant event.
    #[serde(other)]
    Other,
}

impl FaultKind {
    /// The event's key in a scenario file.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Isolate => "isolate",
            FaultKind::Partition => "partition",
            FaultKind::Cut => "cut",
            FaultKind::CutOneway => "cut_oneway",
            FaultKind::Restore => "restore",
            FaultKind::Heal => "heal",
            FaultKind::Crash => "crash",
            FaultKind::Restart => "restart",
            FaultKind::SetNetwork => "set_network",
            FaultKind::ResetNetwork => "reset_network",
            FaultKind::SetLink => "set_link",
            FaultKind::Let => "let",
            FaultKind::Pause => "pause",
            FaultKind::Resume => "resume",
            FaultKind::SetClock => "set_clock",
            FaultKind::StallDisk => "stall_disk",
            FaultKind::AddLearner => "add_learner",
            FaultKind::AddVoter => "add_voter",
            FaultKind::Promote => "promote",
            FaultKind::Remove => "remove",
            FaultKind::Change => "change",
            FaultKind::TransferLeader => "transfer_leader",
            FaultKind::Other => "other",
        }
    }

    /// Does the fault's effect last until a later event (or the end of the
    /// run, or its own length: `stall_disk`) ends it? The others (heal, restore, restart, reset_network)
    /// are instants that end earlier faults.
    pub fn lasting(self) -> bool {
        match self {
            FaultKind::Isolate
            | FaultKind::Partition
            | FaultKind::Cut
            | FaultKind::CutOneway
            | FaultKind::Crash
            | FaultKind::SetNetwork
            | FaultKind::SetLink
            | FaultKind::Pause
            | FaultKind::StallDisk => true,
            FaultKind::Restore
            | FaultKind::Resume
            | FaultKind::SetClock
            | FaultKind::Heal
            | FaultKind::Restart
            | FaultKind::ResetNetwork
            | FaultKind::Let
            | FaultKind::AddLearner
            | FaultKind::AddVoter
            | FaultKind::Promote
            | FaultKind::Remove
            | FaultKind::Change
            | FaultKind::TransferLeader
            | FaultKind::Other => false,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Isolate(_) => FaultKind::Isolate,
            Fault::Partition(_) => FaultKind::Partition,
            Fault::Cut(_) => FaultKind::Cut,
            Fault::CutOneway(_) => FaultKind::CutOneway,
            Fault::Restore(_) => FaultKind::Restore,
            Fault::Heal => FaultKind::Heal,
            Fault::Crash(_) => FaultKind::Crash,
            Fault::Restart(_) => FaultKind::Restart,
            Fault::SetNetwork(_) => FaultKind::SetNetwork,
            Fault::ResetNetwork => FaultKind::ResetNetwork,
            Fault::SetLink { .. } => FaultKind::SetLink,
            Fault::Let(_) => FaultKind::Let,
            Fault::Pause(_) => FaultKind::Pause,
            Fault::Resume(_) => FaultKind::Resume,
            Fault::SetClock { .. } => FaultKind::SetClock,
            Fault::StallDisk { .. } => FaultKind::StallDisk,
            Fault::Request(request) => request.kind(),
        }
    }

    /// A request the leader carries out (a membership change or a
    /// transfer): with no leader it cannot fire.
    pub fn needs_leader(&self) -> bool {
        matches!(self, Fault::Request(_))
    }

    /// Every node reference of the fault, in order (pairs flattened).
    pub fn references(&self) -> Vec<&NodeRef> {
        match self {
            Fault::Isolate(node)
            | Fault::Crash(node)
            | Fault::Restart(node)
            | Fault::Pause(node)
            | Fault::Resume(node)
            | Fault::SetClock { node, .. }
            | Fault::StallDisk { node, .. } => vec![node],
            Fault::Cut(pairs) | Fault::CutOneway(pairs) | Fault::Restore(pairs) => {
                pairs.iter().flat_map(|(a, b)| [a, b]).collect()
            }
            Fault::SetLink { between, .. } => vec![&between.0, &between.1],
            Fault::Let(bindings) => bindings.iter().map(|(_, node)| node).collect(),
            Fault::Partition(_) | Fault::Heal | Fault::SetNetwork(_) | Fault::ResetNetwork => {
                Vec::new()
            }
            Fault::Request(request) => request.references(),
        }
    }
}

impl Request {
    pub fn kind(&self) -> FaultKind {
        match self {
            Request::AddLearner(_) => FaultKind::AddLearner,
            Request::AddVoter(_) => FaultKind::AddVoter,
            Request::Promote(_) => FaultKind::Promote,
            Request::Remove(_) => FaultKind::Remove,
            Request::Change { .. } => FaultKind::Change,
            Request::TransferLeader(_) => FaultKind::TransferLeader,
        }
    }

    /// Every node reference of the request, in order.
    pub fn references(&self) -> Vec<&NodeRef> {
        match self {
            Request::AddLearner(node)
            | Request::AddVoter(node)
            | Request::Promote(node)
            | Request::Remove(node)
            | Request::TransferLeader(node) => vec![node],
            Request::Change {
                add,
                remove,
                learners,
            } => add.iter().chain(remove).chain(learners).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScriptEvent {
    pub at: Instant,
    pub fault: Fault,
    /// Drawn by the scenario's `chaos` section rather than scripted.
    pub chaos: bool,
    /// `"wait": true`: if a reference cannot resolve when the event is
    /// due, it fires at the first later instant at which it resolves.
    pub wait: bool,
    /// `"wait_ms"`: a waiting event that has not resolved this many
    /// microseconds after it was due is skipped then (None: it waits to
    /// the end of the run).
    pub wait_limit_us: Option<u64>,
    /// The index its fault record reports: the event's position in the
    /// scenario's `events` (all repetitions of one event share it). `None`:
    /// its own position in the script.
    pub source: Option<usize>,
    /// `"after": NAME`: the event fires `offset_us` after the `let` that
    /// binds NAME fired. `at` is then when it fires if that `let` fires
    /// when due; a `let` that waited moves it by as long.
    pub after: Option<After>,
}

/// The anchor of an event timed from a `let` (`"after"`).
#[derive(Clone, Debug, PartialEq)]
pub struct After {
    /// A name the anchoring `let` binds.
    pub name: String,
    /// How long after that `let` fired the event fires, in microseconds.
    pub offset_us: u64,
}

impl ScriptEvent {
    pub fn scripted(at: Instant, fault: Fault) -> ScriptEvent {
        ScriptEvent {
            at,
            fault,
            chaos: false,
            wait: false,
            wait_limit_us: None,
            source: None,
            after: None,
        }
    }

    /// The event, waiting for its references to resolve.
    pub fn waiting(self) -> ScriptEvent {
        ScriptEvent { wait: true, ..self }
    }

    /// Every name the event needs bound to fire: those its fault names,
    /// and its anchor's.
    pub fn needs_bound(&self) -> impl Iterator<Item = &str> {
        let named = self
            .fault
            .references()
            .into_iter()
            .filter_map(|node| match node {
                NodeRef::Name(name) => Some(name.as_str()),
                NodeRef::Id(_)
                | NodeRef::Leader
                | NodeRef::Follower(_)
                | NodeRef::Freshest(_)
                | NodeRef::Crashed => None,
            });
        named.chain(self.after.iter().map(|after| after.name.as_str()))
    }
}

/// What a scripted event did, as the results report it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// Position in the scenario's `events` (or in the drawn chaos schedule).
    pub index: usize,
    /// When the event fired (for an event that never fired, when it was due).
    pub at_ms: f64,
    pub kind: FaultKind,
    /// Human-readable, with references resolved: "isolate 3", "cut 1-2".
    pub description: String,
    /// The nodes the event's references resolved to, in order.
    pub nodes: Vec<NodeId>,
    /// Why the event did nothing, if it was skipped (or, for a `wait`
    /// event still pending at the end, "never resolved: ...").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// When a `wait` event was due, if it waited (it fired at `at_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_ms: Option<f64>,
    /// When the fault's effect ended (healed, restored, restarted or
    /// replaced); absent if it lasted to the end of the run or was instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<f64>,
    /// Drawn by the scenario's `chaos` section.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chaos: bool,
    /// For a membership change or a transfer the leader refused: the
    /// reason (`skipped` says the same, with the leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_written_as_scenario_keys() {
        for kind in [FaultKind::CutOneway, FaultKind::SetNetwork, FaultKind::Heal] {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<FaultKind>(&json).ok(), Some(kind));
        }
        // A kind from another version still loads.
        assert_eq!(
            serde_json::from_str::<FaultKind>("\"teleport\"").ok(),
            Some(FaultKind::Other)
        );
    }
}
