//! What one run is configured with ([`ClusterConfig`], built from a
//! scenario variant): the nodes, the Raft settings, the network, the
//! client workload, storage, clocks, the fault script and the limits.

use crate::chaos::ChaosPlan;
use crate::faults::ScriptEvent;
use crate::network::NetworkConfig;
use crate::node::{NodeSet, RaftConfig};
use crate::rng::Stream;

use super::limits::{
    DEFAULT_MAX_EVENTS, DEFAULT_MAX_EVENTS_PER_SEC, DEFAULT_MAX_MEMORY_MB, MAX_QUEUED_EVENTS,
};
use super::ClockConfig;

/// The client workload, resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkloadConfig {
    /// Proposals per second of virtual time, evenly spaced (0: none).
    pub proposals_per_sec: f64,
    /// A proposal not committed this long after it was sent is sent again.
    pub retry_us: u64,
}

/// Storage behaviour, resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageConfig {
    pub persist_latency_us: (u64, u64),
    /// `persist_latency_buckets`, when given: drawn instead of the range.
    pub buckets: Vec<LatencyBucket>,
    /// The node handles nothing while a write of its own is in flight.
    pub blocking: bool,
}

/// A bucket of write times: drawn when a draw below the total weight falls
/// below `up_to` (the cumulative weight) and above the previous bucket's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyBucket {
    pub up_to: u64,
    pub us: (u64, u64),
}

impl StorageConfig {
    /// Whether a write takes any time at all.
    pub fn has_latency(&self) -> bool {
        self.persist_latency_us.1 > 0 || self.buckets.iter().any(|b| b.us.1 > 0)
    }

    /// One write's time.
    pub(crate) fn draw_us(&self, rng: &mut Stream) -> u64 {
        let Some(total) = self.buckets.last().map(|b| b.up_to) else {
            let (min, max) = self.persist_latency_us;
            return rng.between(min, max);
        };
        let drawn = rng.below(total);
        let bucket = self.buckets[self.buckets.partition_point(|b| b.up_to <= drawn)];
        rng.between(bucket.us.0, bucket.us.1)
    }
}

/// Everything one run needs. Built from a scenario variant.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    pub nodes: usize,
    /// The initial voters (scenario `members`); every other node starts as
    /// a spare machine with no configuration and an empty log.
    pub members: NodeSet,
    pub seed: u64,
    pub duration_us: u64,
    pub raft: RaftConfig,
    pub network: NetworkConfig,
    pub workload: WorkloadConfig,
    pub storage: StorageConfig,
    pub clock: ClockConfig,
    pub script: Vec<ScriptEvent>,
    /// Random faults drawn as the run goes, after `script`'s events.
    pub chaos: Option<ChaosPlan>,
    /// The run stops with an error past this many events.
    pub max_events: u64,
    /// The run stops with an error past this many events in one second
    /// of virtual time.
    pub max_events_per_sec: u64,
    /// The run stops with an error when more events than this are queued
    /// ([`MAX_QUEUED_EVENTS`] for every scenario file; the library may
    /// lower it).
    pub max_queued_events: usize,
    /// The run stops when what it holds passes this many MiB
    /// ([`DEFAULT_MAX_MEMORY_MB`] unless a scenario or `--max-memory` says
    /// otherwise).
    pub max_memory_mb: u64,
}

impl ClusterConfig {
    /// A fault-free cluster of `nodes` nodes with default settings.
    pub fn new(nodes: usize, seed: u64, duration_us: u64) -> ClusterConfig {
        let raft = RaftConfig::default();
        ClusterConfig {
            nodes,
            members: NodeSet::first(nodes),
            seed,
            duration_us,
            workload: WorkloadConfig {
                proposals_per_sec: 0.0,
                retry_us: raft.election_timeout_us.1,
            },
            raft,
            network: NetworkConfig::default(),
            storage: StorageConfig::default(),
            clock: ClockConfig::default(),
            script: Vec::new(),
            chaos: None,
            max_events: DEFAULT_MAX_EVENTS,
            max_events_per_sec: DEFAULT_MAX_EVENTS_PER_SEC,
            max_queued_events: MAX_QUEUED_EVENTS,
            max_memory_mb: DEFAULT_MAX_MEMORY_MB,
        }
    }
}
