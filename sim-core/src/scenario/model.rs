//! The serde model of scenario files, field by field as `docs/SCENARIOS.md`
//! documents them, with the doc comments `raftsim schema` prints. Owns the
//! shape of the file and nothing else: it never validates a value, never
//! fills a default beyond serde's (absent sections are empty, an absent seed
//! is 1) and never builds an engine configuration: that is `validate` and
//! `resolve`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::node::{ElectionKind, Implementation};

pub use super::ms::{AtMs, Ms, RangeMs};

/// A scenario file (docs/SCENARIOS.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Short name, used in reports.
    pub name: String,
    /// What the scenario shows.
    #[serde(default)]
    pub description: String,
    /// Cluster size, 1..=64.
    #[schemars(range(min = 1, max = 64))]
    pub nodes: u64,
    /// The initial voters (default: every node 1..=nodes). The others
    /// start as spare machines with an empty log and no configuration,
    /// until a membership change adds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(range(min = 1, max = 64)))]
    pub members: Option<Vec<u64>>,
    /// Virtual duration of the run, 1..=604800000 (7 days).
    #[schemars(range(min = 1, max = 604_800_000))]
    pub duration_ms: u64,
    /// Default seed (overridden by `--seed` or `RAFTSIM_SEED`).
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub raft: RaftSpec,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default)]
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub storage: StorageSpec,
    /// Each node's clock: drift and timer lateness (defaults in
    /// docs/SEMANTICS.md "Clocks and timers").
    #[serde(default, skip_serializing_if = "ClockSpec::is_empty")]
    pub clock: ClockSpec,
    /// The fault script, one action per event.
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Variants of the configuration, each run with the same seed and script.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
    /// Expectations that make the scenario self-checking.
    #[serde(default)]
    pub expect: Vec<ExpectSpec>,
    /// Stop a run with an error past this many engine events,
    /// 1..=10^12 (default 2*10^9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000_000_000_u64))]
    pub max_events: Option<u64>,
    /// Stop a run with an error past this many engine events in one second
    /// of virtual time (a runaway run), 1..=10^12 (default 10^7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000_000_000_u64))]
    pub max_events_per_sec: Option<u64>,
    /// Stop a run with an error once what it holds (logs, messages in
    /// flight, queued events, proposals, checker state) passes this many
    /// MiB, 1..=1048576 (default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub max_memory_mb: Option<u64>,
    /// Random faults drawn from the seed, on top of `events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos: Option<ChaosSpec>,
    /// Published numbers this scenario reproduces, drawn beside raftsim's
    /// on a sweep's distribution chart (docs/SCENARIOS.md "published").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<PublishedSpec>,
}

/// Percentiles a publication reports for some variants, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedSpec {
    /// Where the numbers come from, as the chart names it (1 to 200
    /// characters).
    pub source: String,
    /// The pooled distribution they compare with: `settled_ms`.
    pub metric: String,
    /// One entry per variant, 1 to 64.
    pub points: Vec<PublishedPointSpec>,
}

/// A variant's published percentiles.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedPointSpec {
    /// The variant's label.
    pub variant: String,
    pub quantiles: PublishedQuantiles,
}

/// Published percentiles in milliseconds, each more than 0 and at most
/// 604800000; at least one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedQuantiles {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 604_800_000))]
    pub p10: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 604_800_000))]
    pub p50: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 604_800_000))]
    pub p90: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 604_800_000))]
    pub p95: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 604_800_000))]
    pub p99: Option<f64>,
}

impl PublishedQuantiles {
    /// The percentiles given: (key, fraction, milliseconds).
    pub fn given(&self) -> impl Iterator<Item = (&'static str, f64, f64)> {
        [
            ("p10", 0.10, self.p10),
            ("p50", 0.50, self.p50),
            ("p90", 0.90, self.p90),
            ("p95", 0.95, self.p95),
            ("p99", 0.99, self.p99),
        ]
        .into_iter()
        .filter_map(|(key, fraction, ms)| ms.map(|ms| (key, fraction, ms)))
    }
}

/// Random faults drawn from the seed (the same schedule for every variant).
/// Rates are per minute of virtual time; each fault lasts `duration_ms`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChaosSpec {
    /// Faults start no earlier than this (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<Ms>,
    /// Faults end no later than this (default: the end of the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<Ms>,
    /// A random node loses every link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub isolate_per_min: Option<f64>,
    /// A random minority is cut off from the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub partition_per_min: Option<f64>,
    /// The link between two random nodes fails both ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub cut_per_min: Option<f64>,
    /// A random node crashes, and restarts when the fault ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub crash_per_min: Option<f64>,
    /// The whole network loses `spike_loss` of its messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub loss_spike_per_min: Option<f64>,
    /// How long each fault lasts (default [1000, 10000]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<RangeMs>,
    /// Loss probability range during a spike (default [0.2, 0.6]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(range(min = 0, max = 1)))]
    pub spike_loss: Option<[f64; 2]>,
    /// The leader of the moment crashes, and restarts when the fault ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub leader_crash_per_min: Option<f64>,
    /// A follower is down for a fault's duration; as it restarts, the
    /// leader crashes and the other followers are cut from each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub stale_rejoin_per_min: Option<f64>,
    /// The leader crashes, followers 1 and 2 are cut from each other and the
    /// other followers crash and restart every 10-40 ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub split_vote_per_min: Option<f64>,
    /// The leader is isolated, crashes 50-300 ms later, restarts after
    /// 0.1-1 s and rejoins when the fault ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub stale_leader_per_min: Option<f64>,
    /// The leader is cut off and every follower crashes at once, with
    /// writes in flight; they restart 1-100 ms later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub power_failure_per_min: Option<f64>,
    /// For a fault's duration, node `t mod n` crashes and
    /// restarts at every millisecond `t`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub restart_storm_per_min: Option<f64>,
    /// Membership changes: a follower removed and added back (as a
    /// learner then promoted, or by joint consensus), leadership
    /// transferred, and changes racing a leader change; never below three
    /// voters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 60))]
    pub membership_per_min: Option<f64>,
    /// Swarm testing: each seed draws its own mix of fault kinds (default
    /// false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<bool>,
    /// With `swarm`: the probability that a kind is off for a seed
    /// (default 0.25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub swarm_off: Option<f64>,
    /// With `swarm`: the range of the factor a kind's rate is scaled by
    /// when on (default [0.25, 2]; at most 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(range(min = 0, max = 10)))]
    pub swarm_scale: Option<[f64; 2]>,
    /// With `swarm`: the mix is drawn afresh every this many milliseconds
    /// of the chaos window (whole seconds; default: once for the whole
    /// run), so one seed goes through several mixes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm_period_ms: Option<u64>,
    /// A targeted episode whose roles cannot be resolved when it starts
    /// (no leader) waits for them, up to its duration, and keeps its shape
    /// (default false: it is skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episodes_wait: Option<bool>,
}

fn default_seed() -> u64 {
    1
}

/// Raft settings; every field optional (defaults and meaning in docs/SEMANTICS.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaftSpec {
    /// Who makes the Raft decisions: "model" (raftsim's own, the default)
    /// or "raft-rs" (TiKV's library; docs/IMPLEMENTATIONS.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation: Option<Implementation>,
    /// raft-rs's logical clock: one `tick()` every this many ms (default
    /// 10); heartbeat and election timeouts must be whole multiples of it.
    /// The model ignores it. 1..=1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub tick_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election: Option<ElectionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_vote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_quorum: Option<bool>,
    /// Default: on when pre_vote or check_quorum is on (for raft-rs: equal
    /// to check_quorum, the only combination it has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_lease: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_timeout_ms: Option<RangeMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<Ms>,
    /// Whether a node adopting a higher term from a vote request or an
    /// answer restarts its election timer (default true, as etcd and
    /// raft-rs); false keeps it running, as the Raft thesis' Figure 3.1
    /// and LogCabin. Classic model only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_timer_on_new_term: Option<bool>,
    /// Whether the leader sends entries only once its own disk holds
    /// them, as hashicorp/raft (default false: in parallel with its write,
    /// as etcd and raft-rs). Classic model only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_writes_first: Option<bool>,
    /// Planted bugs: any of `raft::Bugs::NAMES` (docs/SEMANTICS.md "Planted bugs").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bugs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dledger: Option<DLedgerSpec>,
    /// Log compaction and InstallSnapshot (docs/SEMANTICS.md "Snapshots and
    /// log compaction"); every field optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotSpec>,
}

/// When a node compacts its log and what a snapshot costs to send
/// (defaults and limits in docs/SCENARIOS.md "Snapshots").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSpec {
    /// Compact once the commit index is this many entries past the
    /// snapshot, up to half this many before it (default 10000; 1 to
    /// 100000000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100_000_000))]
    pub threshold_entries: Option<u64>,
    /// Bytes per entry a snapshot covers (default 128; 1 to 1048576).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub entry_bytes: Option<u64>,
    /// Megabits per second a snapshot is sent at (default 1000; 1 to
    /// 1000000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub bandwidth_mbps: Option<u64>,
}

/// DLedger's timing (docs/DLEDGER.md); every field optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DLedgerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<Ms>,
    /// A follower waits `max_heartbeat_leak` heartbeats, 1..=1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_heartbeat_leak: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_interval_ms: Option<RangeMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_wait_ms: Option<RangeMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_timeout_ms: Option<Ms>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency, drawn uniformly per message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<RangeMs>,
    /// Probability in [0, 1] that a message is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub loss: Option<f64>,
    /// Probability in [0, 1] that a message is delivered twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub duplicate: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Client proposals per second of virtual time, evenly spaced;
    /// 0..=100000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100_000))]
    pub proposals_per_sec: Option<f64>,
    /// Resend a proposal not committed within this time (default: the
    /// maximum election timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_ms: Option<Ms>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageSpec {
    /// Time to make a write of term, vote or log durable, drawn per write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persist_latency_ms: Option<RangeMs>,
    /// The write time as a histogram instead (e.g. a published fsync
    /// histogram): each write draws a bucket with probability weight /
    /// total, then a time uniformly within it. 1 to 64 buckets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persist_latency_buckets: Option<Vec<LatencyBucketSpec>>,
    /// Whether a node handles nothing while a write of its own is in
    /// flight (default false): etcd's raft loop saves each Ready
    /// synchronously, so ticks, messages and proposals wait for the fsync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocking: Option<bool>,
}

/// One bucket of `persist_latency_buckets`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyBucketSpec {
    /// The bucket's times, `[min, max]` ms, at most one day.
    pub ms: RangeMs,
    /// Its share, relative to the other buckets' (a count is fine), at
    /// most 10^15.
    #[schemars(range(max = 1_000_000_000_000_000u64))]
    pub weight: u64,
}

/// Each node's clock (docs/SEMANTICS.md "Clocks and timers"); every
/// field optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// Each node's clock rate is 1 + d, d drawn per node uniformly from
    /// [-drift_ppm, +drift_ppm] parts per million; 0..=10000 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub drift_ppm: Option<f64>,
    /// How late each timer fires, drawn per timer; 0..=1000 ms (default
    /// [0, 0.1]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer_jitter_ms: Option<RangeMs>,
}

impl ClockSpec {
    fn is_empty(&self) -> bool {
        *self == ClockSpec::default()
    }
}

/// `set_clock`: one node's clock rate from now on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClockSpec {
    pub node: NodeRefSpec,
    /// The clock's drift in parts per million, -10000..=10000.
    #[schemars(range(min = -10000, max = 10000))]
    pub drift_ppm: f64,
}

/// `stall_disk`: one node's disk completes no write for `for_ms`; writes
/// in flight and new ones wait, in order (a hung fsync, a saturated
/// device).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StallDiskSpec {
    pub node: NodeRefSpec,
    /// How long, 0.001 ms to one day.
    pub for_ms: Ms,
}

/// `repeat`: the event fires `times` times, `every_ms` apart.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatSpec {
    /// The period; at least 0.001 ms.
    pub every_ms: Ms,
    /// How many times the event fires in all, 1..=100000.
    #[schemars(range(min = 1, max = 100000))]
    pub times: u64,
}

/// A node reference: a number, "leader", "follower:K" (by id), "freshest:K"
/// (by how up to date the log is), "crashed", or a name bound by an
/// earlier `let` event (starting with a capital letter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NodeRefSpec {
    Id(#[schemars(range(min = 1, max = 64))] u64),
    Name(String),
}

/// `set_link`: loss, latency and/or a payload filter of the links between
/// two nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLinkSpec {
    pub between: [NodeRefSpec; 2],
    /// Probability in [0, 1] that a message on these links is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<RangeMs>,
    /// `true`: the links lose every message carrying log entries or a
    /// snapshot, while heartbeats, votes and answers pass (a path-MTU
    /// black hole); `false` lifts that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_payloads: Option<bool>,
}

/// One scripted event: `at_ms` and exactly one action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// When the event fires: milliseconds, or a `[min, max]` range drawn
    /// uniformly (whole microseconds) from the seed.
    pub at_ms: AtMs,
    /// Fire the event `times` times, `every_ms` apart (a ranged `at_ms`
    /// is drawn afresh for each repetition, relative to its period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<RepeatSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate: Option<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(inner(range(min = 1, max = 64))))]
    pub partition: Option<Vec<Vec<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<Vec<[NodeRefSpec; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_oneway: Option<Vec<[NodeRefSpec; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<Vec<[NodeRefSpec; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heal: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_network: Option<NetworkSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_link: Option<SetLinkSpec>,
    /// A stalled process (GC pause, VM freeze): keeps its state, handles
    /// and sends nothing; what reaches it queues up until `resume`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<NodeRefSpec>,
    /// Ends a `pause`: the node handles its queue and overdue timers in
    /// time order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<NodeRefSpec>,
    /// One node's clock drift from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_clock: Option<SetClockSpec>,
    /// One node's disk completes no write for a while.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_disk: Option<StallDiskSpec>,
    /// Back to the variant's configured network (ends a `set_network`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_network: Option<bool>,
    /// Binds names (an identifier starting with a capital letter, each
    /// bound once) to the nodes these references resolve to at this
    /// instant, separately in each variant; later events use the names
    /// wherever a node reference is allowed.
    #[serde(default, rename = "let", skip_serializing_if = "Option::is_none")]
    pub bind: Option<BTreeMap<String, NodeRefSpec>>,
    /// If a node reference cannot resolve when the event is due, fire at
    /// the first later instant at which every reference resolves (never
    /// fired at all if none comes before the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
    /// Waits as `wait` does, but at most this long: an event whose
    /// references have not resolved this many milliseconds after it was
    /// due is skipped then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<Ms>,
    /// A name bound by an earlier `let`: `at_ms` then counts from the
    /// instant that `let` fired, so a `let` that waited moves the event by
    /// as long (docs/SCENARIOS.md "Timing an event from a let").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Membership changes (docs/SCENARIOS.md "Membership"), each handed to
    /// the leader like a client's request: a new non-voting member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_learner: Option<NodeRefSpec>,
    /// A new voter, at once (a single-server change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_voter: Option<NodeRefSpec>,
    /// A learner becomes a voter (a single-server change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promote: Option<NodeRefSpec>,
    /// A voter or learner leaves the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<NodeRefSpec>,
    /// A change by joint consensus, left automatically once committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeSpec>,
    /// The leader hands its leadership to this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_leader: Option<NodeRefSpec>,
}

/// A change by joint consensus: who joins as a voter, who leaves, who
/// becomes (or stays) a learner.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learners: Vec<NodeRefSpec>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raft: Option<RaftSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockSpec>,
    /// This variant's own fault script, in place of the file's `events`
    /// (to compare procedures: with and without a leadership transfer
    /// before a restart, say). Chaos, if any, is drawn the same for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventSpec>>,
}

/// `min` and/or `max` bounds on one metric of one variant (or of every
/// variant when `variant` is absent).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// A metric key; `failover_ms.p99` reaches into a distribution.
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}
