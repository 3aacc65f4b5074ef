//! The fault script's vocabulary: node references and fault actions, and
//! the record of what each scripted event did when it fired. Resolution of
//! references against the cluster's state happens in `cluster`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::network::{LinkOverride, NetworkPatch};
use crate::raft::NodeId;
use crate::time::{Instant, US_PER_MS};

/// A node as a scenario names it, resolved when its event fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeRef {
    Id(NodeId),
    /// The leader of the highest term at that instant.
    Leader,
    /// The K-th (1-based, by id) live node other than the leader.
    Follower(usize),
    /// The most recently crashed node that is still down.
    Crashed,
    /// The node an earlier `let` event bound this name to.
    Name(String),
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Id(id) => write!(f, "{id}"),
            NodeRef::Leader => write!(f, "leader"),
            NodeRef::Follower(k) => write!(f, "follower:{k}"),
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
            FaultKind::Other => "other",
        }
    }

    /// Does the fault's effect last until a later event (or the end of the
    /// run) ends it? The others (heal, restore, restart, reset_network)
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
            | FaultKind::Pause => true,
            FaultKind::Restore
            | FaultKind::Resume
            | FaultKind::SetClock
            | FaultKind::Heal
            | FaultKind::Restart
            | FaultKind::ResetNetwork
            | FaultKind::Let
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
        }
    }

    /// Every node reference of the fault, in order (pairs flattened).
    pub fn references(&self) -> Vec<&NodeRef> {
        match self {
            Fault::Isolate(node)
            | Fault::Crash(node)
            | Fault::Restart(node)
            | Fault::Pause(node)
            | Fault::Resume(node)
            | Fault::SetClock { node, .. } => vec![node],
            Fault::Cut(pairs) | Fault::CutOneway(pairs) | Fault::Restore(pairs) => {
                pairs.iter().flat_map(|(a, b)| [a, b]).collect()
            }
            Fault::SetLink { between, .. } => vec![&between.0, &between.1],
            Fault::Let(bindings) => bindings.iter().map(|(_, node)| node).collect(),
            Fault::Partition(_) | Fault::Heal | Fault::SetNetwork(_) | Fault::ResetNetwork => {
                Vec::new()
            }
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
    /// The index its fault record reports: the event's position in the
    /// scenario's `events` (all repetitions of one event share it). `None`:
    /// its own position in the script.
    pub source: Option<usize>,
}

impl ScriptEvent {
    pub fn scripted(at: Instant, fault: Fault) -> ScriptEvent {
        ScriptEvent {
            at,
            fault,
            chaos: false,
            wait: false,
            source: None,
        }
    }

    /// The event, waiting for its references to resolve.
    pub fn waiting(self) -> ScriptEvent {
        ScriptEvent { wait: true, ..self }
    }
}

/// Rates (per minute of virtual time) and shapes of random faults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChaosConfig {
    pub start: Instant,
    pub end: Instant,
    pub isolate_per_min: f64,
    pub partition_per_min: f64,
    pub cut_per_min: f64,
    pub crash_per_min: f64,
    pub loss_spike_per_min: f64,
    /// How long each fault lasts, in microseconds, drawn uniformly.
    pub duration_us: (u64, u64),
    /// Loss probability during a spike, drawn uniformly.
    pub spike_loss: (f64, f64),
}

/// The kinds of random fault, each with its own random stream: the
/// discriminant is the stream's index, so it must never change.
#[derive(Clone, Copy)]
enum ChaosKind {
    Isolate = 0,
    Partition = 1,
    Cut = 2,
    Crash = 3,
    LossSpike = 4,
}

/// Draws the chaos schedule of one seed: each fault and the event that
/// ends it. Each kind has its own stream, and time advances in slots of one
/// second with a Bernoulli draw per slot (no transcendental functions, so
/// every platform draws the same schedule).
pub fn chaos_schedule(chaos: &ChaosConfig, nodes: usize, seed: u64) -> Vec<ScriptEvent> {
    use crate::rng::{Purpose, Stream};
    const SLOT_US: u64 = 1_000_000;
    let ids: Vec<NodeId> = (0..nodes).map(NodeId::from_index).collect();
    let mut events = Vec::new();
    let kinds = [
        (chaos.isolate_per_min, ChaosKind::Isolate),
        (chaos.partition_per_min, ChaosKind::Partition),
        (chaos.cut_per_min, ChaosKind::Cut),
        (chaos.crash_per_min, ChaosKind::Crash),
        (chaos.loss_spike_per_min, ChaosKind::LossSpike),
    ];
    for (per_min, kind) in kinds {
        if per_min <= 0.0 {
            continue;
        }
        let mut rng = Stream::new(seed, Purpose::Chaos, kind as u64);
        let p = (per_min / 60.0).min(1.0);
        let mut slot = chaos.start.as_us();
        while slot < chaos.end.as_us() {
            // Whole milliseconds, so a drawn schedule can be written out as
            // scenario events exactly.
            let hit = rng.chance(p);
            let offset = rng.below(SLOT_US / US_PER_MS) * US_PER_MS;
            let duration = rng.between(
                chaos.duration_us.0 / US_PER_MS,
                chaos.duration_us.1 / US_PER_MS,
            ) * US_PER_MS;
            let a = ids[rng.below(nodes as u64) as usize];
            let b = ids[rng.below(nodes as u64) as usize];
            let mut order = ids.clone();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let minority = 1 + rng.below(((nodes as u64).saturating_sub(1) / 2).max(1)) as usize;
            let loss = chaos.spike_loss.0 + rng.unit() * (chaos.spike_loss.1 - chaos.spike_loss.0);
            let at = Instant::from_us(slot + offset);
            slot += SLOT_US;
            if !hit || at >= chaos.end {
                continue;
            }
            let until = Instant::from_us((at.as_us() + duration).min(chaos.end.as_us()));
            let others = |n: NodeId| -> Vec<(NodeRef, NodeRef)> {
                ids.iter()
                    .filter(|&&o| o != n)
                    .map(|&o| (NodeRef::Id(n), NodeRef::Id(o)))
                    .collect()
            };
            let (fault, undo) = match kind {
                ChaosKind::Isolate => (Fault::Isolate(NodeRef::Id(a)), Fault::Restore(others(a))),
                ChaosKind::Partition => {
                    if nodes < 3 {
                        continue;
                    }
                    let (small, large) = order.split_at(minority);
                    let mut small = small.to_vec();
                    let mut large = large.to_vec();
                    small.sort();
                    large.sort();
                    let cross = small
                        .iter()
                        .flat_map(|&x| large.iter().map(move |&y| (NodeRef::Id(x), NodeRef::Id(y))))
                        .collect();
                    (Fault::Partition(vec![small, large]), Fault::Restore(cross))
                }
                ChaosKind::Cut => {
                    if a == b {
                        continue;
                    }
                    let pair = vec![(NodeRef::Id(a), NodeRef::Id(b))];
                    (Fault::Cut(pair.clone()), Fault::Restore(pair))
                }
                ChaosKind::Crash => (Fault::Crash(NodeRef::Id(a)), Fault::Restart(NodeRef::Id(a))),
                ChaosKind::LossSpike => (
                    Fault::SetNetwork(NetworkPatch {
                        loss: Some((loss * 1000.0).round() / 1000.0),
                        ..NetworkPatch::default()
                    }),
                    Fault::ResetNetwork,
                ),
            };
            events.push(ScriptEvent {
                at,
                fault,
                chaos: true,
                wait: false,
                source: None,
            });
            events.push(ScriptEvent {
                at: until,
                fault: undo,
                chaos: true,
                wait: false,
                source: None,
            });
        }
    }
    events.sort_by_key(|e| e.at);
    events
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
