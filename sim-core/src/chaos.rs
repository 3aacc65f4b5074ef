//! The chaos generator: draws the random faults of one seed from a
//! scenario's `chaos` section (docs/SCENARIOS.md, "Chaos").
//!
//! Two families of fault, each kind with its own random stream (the stream
//! index is the kind's discriminant, so it must never change):
//!
//! - blind faults (isolate, partition, cut, crash, loss spike) name nodes by
//!   id, drawn here;
//! - targeted episodes aim at a role and a moment: the leader, the
//!   followers of the moment, a node just restarted with a stale log, voters
//!   that restart between two vote requests of one term, the whole cluster
//!   with writes in flight. They name nodes by role (`leader`,
//!   `follower:K`), bound once with a `let` when the episode starts, so the
//!   engine resolves them from the cluster's state when the event fires —
//!   deterministically, like any scripted reference. With `episodes_wait`
//!   that `let` waits for its roles (up to the episode's duration), and the
//!   episode's other events are timed from it (`after`), so an episode
//!   drawn while the cluster has no leader starts, whole, once it has one.
//!
//! Swarm testing (`swarm`): before drawing, each seed draws its own mix from
//! a stream of its own — each kind switched off with probability `off`, or
//! its rate scaled by a factor drawn from `scale` — so a sweep explores very
//! different fault mixes. Without swarm the rates are used as written and
//! the schedule is the one earlier versions drew.
//!
//! Time advances in slots of one second with a Bernoulli draw per slot (no
//! transcendental functions, so every platform draws the same schedule);
//! every instant is a whole millisecond, so a drawn schedule can be written
//! out as scenario events exactly (`raftsim shrink`).
//!
//! Here: the settings, the mix of kinds and the blind faults;
//! `episodes.rs` the targeted episodes (`membership.rs` the membership
//! ones); `draw.rs` the schedule drawn as the run goes.

mod draw;
mod episodes;
mod membership;

pub use draw::{chaos_schedule, ChaosDraw, ChaosPlan};
use episodes::FLAP_PERIOD_MS;

use crate::faults::{After, Fault, NodeRef, Request, ScriptEvent};
use crate::network::NetworkPatch;
use crate::node::NodeId;
use crate::rng::{Purpose, Stream};
use crate::time::{Instant, US_PER_MS};

/// How the names chaos episodes bind begin (`Chaos7_12_L`: the kind's
/// stream, the slot, the role): each is bound by one `let` of one episode.
pub const NAME_PREFIX: &str = "Chaos";

/// The most random faults of one kind per minute (one per second).
pub const MAX_PER_MIN: f64 = 60.0;

/// Per-seed mixes of fault kinds (swarm testing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Swarm {
    /// Probability that a kind is switched off for a seed.
    pub off: f64,
    /// The factor a kind's rate is scaled by when on, drawn uniformly.
    pub scale: (f64, f64),
    /// The mix is drawn afresh every this many microseconds of the chaos
    /// window (whole slots); None: once for the whole run.
    pub period_us: Option<u64>,
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
    /// The leader crashes, and restarts when the fault ends.
    pub leader_crash_per_min: f64,
    /// A follower is down; as it restarts the leader crashes and the other
    /// followers are cut from each other.
    pub stale_rejoin_per_min: f64,
    /// The leader crashes, two followers are cut from each other and the
    /// other followers crash and restart every few milliseconds.
    pub split_vote_per_min: f64,
    /// The leader is isolated, crashes, restarts and rejoins.
    pub stale_leader_per_min: f64,
    /// The leader is cut off and every follower crashes at once, with
    /// writes in flight; they restart soon after.
    pub power_failure_per_min: f64,
    /// Every node in turn crashes and restarts, one a millisecond.
    pub restart_storm_per_min: f64,
    /// Membership changes: a voter removed and added back (as a learner
    /// then promoted, or by joint consensus), leadership transferred, and
    /// changes that race a leader change (docs/SCENARIOS.md "Chaos").
    pub membership_per_min: f64,
    /// How long each fault lasts, in microseconds, drawn uniformly.
    pub duration_us: (u64, u64),
    /// Loss probability during a spike, drawn uniformly.
    pub spike_loss: (f64, f64),
    /// A targeted episode waits for its roles (up to its duration) and is
    /// timed from its opening `let`, rather than skipped without them.
    pub episodes_wait: bool,
    pub swarm: Option<Swarm>,
}

/// The kinds of random fault, each with its own random stream
/// ([`Kind::stream`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Blind(Blind),
    Targeted(Targeted),
}

/// The faults drawn on nodes picked by number (`blind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Blind {
    Isolate,
    Partition,
    Cut,
    Crash,
    LossSpike,
}

/// The episodes that bind the roles they act on when they fire (`Episode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Targeted {
    LeaderCrash,
    StaleRejoin,
    SplitVote,
    StaleLeader,
    PowerFailure,
    RestartStorm,
    Membership,
}

const KINDS: [Kind; 12] = [
    Kind::Blind(Blind::Isolate),
    Kind::Blind(Blind::Partition),
    Kind::Blind(Blind::Cut),
    Kind::Blind(Blind::Crash),
    Kind::Blind(Blind::LossSpike),
    Kind::Targeted(Targeted::LeaderCrash),
    Kind::Targeted(Targeted::StaleRejoin),
    Kind::Targeted(Targeted::SplitVote),
    Kind::Targeted(Targeted::StaleLeader),
    Kind::Targeted(Targeted::PowerFailure),
    Kind::Targeted(Targeted::RestartStorm),
    Kind::Targeted(Targeted::Membership),
];

impl Kind {
    /// The index of the kind's random stream: it must never change, or
    /// every seed would draw another schedule.
    fn stream(self) -> u64 {
        match self {
            Kind::Blind(Blind::Isolate) => 0,
            Kind::Blind(Blind::Partition) => 1,
            Kind::Blind(Blind::Cut) => 2,
            Kind::Blind(Blind::Crash) => 3,
            Kind::Blind(Blind::LossSpike) => 4,
            Kind::Targeted(Targeted::LeaderCrash) => 5,
            Kind::Targeted(Targeted::StaleRejoin) => 6,
            Kind::Targeted(Targeted::SplitVote) => 7,
            Kind::Targeted(Targeted::StaleLeader) => 8,
            Kind::Targeted(Targeted::PowerFailure) => 9,
            Kind::Targeted(Targeted::RestartStorm) => 10,
            Kind::Targeted(Targeted::Membership) => 11,
        }
    }
}

/// The stream index of the swarm draw (past every kind's).
const SWARM_STREAM: u64 = 100;
const SLOT_US: u64 = 1_000_000;
/// The most events a chaos schedule may be expected to draw
/// ([`ChaosConfig::expected_events`]): each leaves a fault record in the
/// results, about 200 bytes, so about 400 MiB of records.
pub const MAX_CHAOS_EVENTS: u64 = 2_000_000;

impl ChaosConfig {
    fn rate(&self, kind: Kind) -> f64 {
        match kind {
            Kind::Blind(Blind::Isolate) => self.isolate_per_min,
            Kind::Blind(Blind::Partition) => self.partition_per_min,
            Kind::Blind(Blind::Cut) => self.cut_per_min,
            Kind::Blind(Blind::Crash) => self.crash_per_min,
            Kind::Blind(Blind::LossSpike) => self.loss_spike_per_min,
            Kind::Targeted(Targeted::LeaderCrash) => self.leader_crash_per_min,
            Kind::Targeted(Targeted::StaleRejoin) => self.stale_rejoin_per_min,
            Kind::Targeted(Targeted::SplitVote) => self.split_vote_per_min,
            Kind::Targeted(Targeted::StaleLeader) => self.stale_leader_per_min,
            Kind::Targeted(Targeted::PowerFailure) => self.power_failure_per_min,
            Kind::Targeted(Targeted::RestartStorm) => self.restart_storm_per_min,
            Kind::Targeted(Targeted::Membership) => self.membership_per_min,
        }
    }

    /// About how many events a schedule of this configuration draws for a
    /// cluster of `nodes`: the expected number (every kind at its mean
    /// rate, each episode of the mean duration), rounded up per episode.
    /// Validation refuses a chaos section above [`MAX_CHAOS_EVENTS`]: each
    /// event fired leaves a fault record.
    pub fn expected_events(&self, nodes: usize) -> u64 {
        let slots = self
            .end
            .as_us()
            .saturating_sub(self.start.as_us())
            .div_ceil(SLOT_US);
        let scale = self
            .swarm
            .map_or(1.0, |s| (1.0 - s.off) * (s.scale.0 + s.scale.1) / 2.0);
        let mean_ms = (self.duration_us.0 + self.duration_us.1) / 2 / US_PER_MS;
        let mean_period_ms = (FLAP_PERIOD_MS.0 + FLAP_PERIOD_MS.1) / 2;
        let nodes = nodes as u64;
        let events: f64 = KINDS
            .iter()
            .map(|&kind| {
                let per_min = (self.rate(kind) * scale).min(MAX_PER_MIN);
                let episodes = slots as f64 * (per_min / 60.0).min(1.0);
                let per_episode = match kind {
                    // A crash and a restart every millisecond.
                    Kind::Targeted(Targeted::RestartStorm) => 2 * mean_ms + 8,
                    // Every voter crashes and restarts each flap period
                    // (and every node is restarted first).
                    Kind::Targeted(Targeted::SplitVote) => {
                        2 * nodes * (mean_ms / mean_period_ms + 1) + 16 + nodes
                    }
                    // The mean over the shapes: the race, half of them,
                    // draws 27 (four lets, three removals, the cut-off
                    // leader's change, crash and return, and three re-adds
                    // of three tries and two lets); the others 1 to 9.
                    Kind::Targeted(Targeted::Membership) => 17,
                    // A fault and the event that ends it.
                    Kind::Blind(_) => 2,
                    // A few lets, crashes and restarts, at most one of
                    // each per node.
                    Kind::Targeted(_) => 4 + 2 * nodes,
                };
                episodes * per_episode as f64
            })
            .sum();
        events.ceil() as u64
    }

    /// Each kind's rate for `seed` in the swarm's `period` (0 when the
    /// mix is drawn once): as configured, or the period's swarm mix, drawn
    /// from a stream of its own (period 0's is the one a mix drawn once
    /// uses, so a schedule without periods is unchanged).
    fn rates(&self, seed: u64, period: u64) -> Vec<(Kind, f64)> {
        let Some(swarm) = self.swarm else {
            return KINDS.iter().map(|&k| (k, self.rate(k))).collect();
        };
        let stream = SWARM_STREAM.saturating_add(period);
        let mut rng = Stream::new(seed, Purpose::Chaos, stream);
        KINDS
            .iter()
            .map(|&kind| {
                // Both draws always, so one kind's setting never shifts
                // another's.
                let off = rng.chance(swarm.off);
                let factor = swarm.scale.0 + rng.unit() * (swarm.scale.1 - swarm.scale.0);
                let rate = if off { 0.0 } else { self.rate(kind) * factor };
                debug_assert!(
                    rate.is_finite() && rate >= 0.0,
                    "{kind:?} drawn at {rate}/min"
                );
                (kind, rate.min(MAX_PER_MIN))
            })
            .collect()
    }
}

/// The least time between two steps of a membership episode.
const MEMBERSHIP_STEP_US: u64 = 200 * US_PER_MS;

/// Whole milliseconds in `[min_us, max_us]`, drawn uniformly.
fn draw_ms(rng: &mut Stream, (min_us, max_us): (u64, u64)) -> u64 {
    debug_assert!(min_us <= max_us, "a range of {min_us}..={max_us} µs");
    let drawn = rng.between(min_us / US_PER_MS, max_us / US_PER_MS) * US_PER_MS;
    debug_assert!(drawn <= max_us, "{drawn} µs drawn past {max_us}");
    drawn
}

/// Where an episode writes its events; none past the chaos window's end.
struct Out<'a> {
    events: &'a mut Vec<ScriptEvent>,
    end: Instant,
    /// The kind's stream and the slot's number: the names this episode
    /// binds start with `Chaos{stream}_{index}_` (unique per run).
    stream: u64,
    index: u64,
    /// The episode's opening `let` once written: its first name and when
    /// it is due. Every later event of the episode is timed from it.
    opening: Option<(String, u64)>,
    /// Whether episodes wait for their roles (`ChaosConfig::episodes_wait`).
    episodes_wait: bool,
}

impl Out<'_> {
    fn push(&mut self, at_us: u64, fault: impl Into<Fault>) {
        let at = Instant::from_us(at_us.min(self.end.as_us()));
        let after = self.opening.as_ref().map(|(name, due_us)| {
            debug_assert!(*due_us <= at.as_us(), "an episode's events follow its let");
            After {
                name: name.clone(),
                offset_us: at.as_us().saturating_sub(*due_us),
            }
        });
        self.events.push(ScriptEvent {
            at,
            fault: fault.into(),
            chaos: true,
            wait: false,
            wait_limit_us: None,
            source: None,
            after,
        });
    }

    /// Opens a targeted episode at `at_us`: a `let` binding the roles it
    /// aims at. With `episodes_wait` it waits up to `limit_us` for them to
    /// resolve (with no leader, until one is elected), and every later
    /// event of the episode is timed from it, so the episode keeps its
    /// shape however long it waited; one that waited in vain is skipped
    /// with all its events. Without, it is skipped if they do not resolve
    /// when due, and so is every event that uses its names.
    fn open(&mut self, at_us: u64, limit_us: u64, bindings: Vec<(String, NodeRef)>) {
        debug_assert!(self.opening.is_none(), "an episode opens once");
        if !self.episodes_wait {
            self.push(at_us, Fault::Let(bindings));
            return;
        }
        let name = bindings.first().map(|(name, _)| name.clone());
        self.push_waiting_up_to(at_us, limit_us, Fault::Let(bindings));
        let due_us = at_us.min(self.end.as_us());
        self.opening = name.map(|name| (name, due_us));
    }

    /// An event that waits for its references to resolve (`"wait": true`).
    fn push_waiting(&mut self, at_us: u64, fault: impl Into<Fault>) {
        self.push(at_us, fault);
        if let Some(event) = self.events.last_mut() {
            event.wait = true;
        }
    }

    /// An event that waits up to `limit_us` for its references to resolve
    /// (`"wait_ms"`), and is skipped if they do not; with episodes that do
    /// not wait, it fires when due or is skipped.
    fn push_waiting_up_to(&mut self, at_us: u64, limit_us: u64, fault: impl Into<Fault>) {
        if !self.episodes_wait {
            self.push(at_us, fault);
            return;
        }
        self.push_waiting(at_us, fault);
        if let Some(event) = self.events.last_mut() {
            event.wait_limit_us = Some(limit_us.max(1));
        }
    }

    /// An event timed from the `let` binding `anchor.0` (fired + the
    /// offset `anchor.1`), not from the episode's opening; `at_us` is the
    /// earliest it can be due. It waits for its references.
    fn push_after(&mut self, at_us: u64, anchor: (&str, u64), fault: impl Into<Fault>) {
        self.push_waiting(at_us, fault);
        if let Some(event) = self.events.last_mut() {
            event.after = Some(After {
                name: anchor.0.to_string(),
                offset_us: anchor.1,
            });
        }
    }

    fn name(&self, role: &str) -> String {
        format!("{NAME_PREFIX}{}_{}_{role}", self.stream, self.index)
    }

    /// Makes `node` a voter again: asked at `at_us` and twice more, each a
    /// membership step after the one before it was handed to a leader, as
    /// a request is refused while another change is uncommitted or before
    /// the leader's term has a committed entry (a node already a voter
    /// refuses the repeat, harmless). The first two tries bind the leader
    /// they waited for (`{node}_try0`, `{node}_try1`) and the next try is
    /// timed from that `let`: tries that waited out a leaderless spell
    /// would otherwise all reach the next leader at its election, and all
    /// be refused there. Without the repeats a cluster would shrink with
    /// every refused re-add until no episode could run. Without waiting
    /// episodes the tries are 200 ms apart from the first, as they always
    /// were (the same schedule).
    fn readd(&mut self, at_us: u64, node: &str) {
        let request = || Request::AddVoter(NodeRef::Name(node.to_string()));
        let step = MEMBERSHIP_STEP_US;
        if !self.episodes_wait {
            for k in 0..3 {
                self.push_waiting(at_us + k * step, request());
            }
            return;
        }
        let (first, second) = (format!("{node}_try0"), format!("{node}_try1"));
        let leader = |name: &String| Fault::Let(vec![(name.clone(), NodeRef::Leader)]);
        self.push_waiting(at_us, leader(&first));
        self.push_after(at_us, (&first, 0), request());
        self.push_after(at_us + step, (&first, step), leader(&second));
        self.push_after(at_us + step, (&second, 0), request());
        // The last try binds nothing: no try is timed from it.
        self.push_after(at_us + 2 * step, (&second, step), request());
    }
}

/// The shape of a blind fault: how long it lasts, how lossy a spike is.
struct BlindShape {
    duration_us: (u64, u64),
    spike_loss: (f64, f64),
}

/// One slot of a blind kind: the draws of the earlier versions, in their
/// order, so a schedule without swarm or targeted kinds is unchanged.
fn blind(
    chaos: &BlindShape,
    kind: Blind,
    nodes: usize,
    slot: u64,
    p: f64,
    rng: &mut Stream,
    out: &mut Out<'_>,
) {
    let ids: Vec<NodeId> = (0..nodes).map(NodeId::from_index).collect();
    let hit = rng.chance(p);
    let offset = rng.below(SLOT_US / US_PER_MS) * US_PER_MS;
    let duration = draw_ms(rng, chaos.duration_us);
    let a = ids[rng.below(nodes as u64) as usize];
    let b = ids[rng.below(nodes as u64) as usize];
    let mut order = ids.clone();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let minority = 1 + rng.below(((nodes as u64).saturating_sub(1) / 2).max(1)) as usize;
    let loss = chaos.spike_loss.0 + rng.unit() * (chaos.spike_loss.1 - chaos.spike_loss.0);
    let at = slot + offset;
    if !hit || at >= out.end.as_us() {
        return;
    }
    let others = |n: NodeId| -> Vec<(NodeRef, NodeRef)> {
        ids.iter()
            .filter(|&&o| o != n)
            .map(|&o| (NodeRef::Id(n), NodeRef::Id(o)))
            .collect()
    };
    let (fault, undo) = match kind {
        Blind::Isolate => (Fault::Isolate(NodeRef::Id(a)), Fault::Restore(others(a))),
        Blind::Partition => {
            if nodes < 3 {
                return;
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
        Blind::Cut => {
            if a == b {
                return;
            }
            let pair = vec![(NodeRef::Id(a), NodeRef::Id(b))];
            (Fault::Cut(pair.clone()), Fault::Restore(pair))
        }
        Blind::Crash => (Fault::Crash(NodeRef::Id(a)), Fault::Restart(NodeRef::Id(a))),
        Blind::LossSpike => (
            Fault::SetNetwork(NetworkPatch {
                loss: Some((loss * 1000.0).round() / 1000.0),
                ..NetworkPatch::default()
            }),
            Fault::ResetNetwork,
        ),
    };
    out.push(at, fault);
    out.push(at + duration, undo);
}
