//! Variants: merging each variant's overrides over the file's base
//! sections, filling every default (docs/SCENARIOS.md lists them; the Raft
//! ones are explained in docs/SEMANTICS.md and docs/DLEDGER.md), and
//! converting the file's milliseconds into the engine's microseconds. Works
//! on validated files only: it never reports an error, and a value it
//! cannot handle is a bug in `validate`, not the user's.

use crate::cluster::{ClockConfig, LatencyBucket, StorageConfig, WorkloadConfig, PPB_PER_PPM};
use crate::network::NetworkConfig;
use crate::node::{Bugs, DLedgerTiming, ElectionKind, Implementation, RaftConfig, SnapshotConfig};
use crate::time::US_PER_MS;

use super::ms::{range_ms, range_us, Ms};
use super::{
    ClockSpec, DLedgerSpec, LatencyBucketSpec, NetworkSpec, RaftSpec, ScenarioFile, SnapshotSpec,
    StorageSpec, Variant, WorkloadSpec,
};

/// The sections of one variant, merged over the file's base.
struct Sections {
    raft: RaftSpec,
    network: NetworkSpec,
    workload: WorkloadSpec,
    storage: StorageSpec,
    clock: ClockSpec,
}

/// The label of the one variant of a file without `variants`.
const DEFAULT_LABEL: &str = "default";

/// Every variant of a validated file, resolved; a file without variants
/// has one, labelled "default", made of its base sections.
pub(super) fn variants(file: &ScenarioFile) -> Vec<Variant> {
    if file.variants.is_empty() {
        let sections = Sections {
            raft: file.raft.clone(),
            network: file.network.clone(),
            workload: file.workload.clone(),
            storage: file.storage.clone(),
            clock: file.clock.clone(),
        };
        vec![resolve_variant(DEFAULT_LABEL, sections)]
    } else {
        file.variants
            .iter()
            .map(|v| {
                let sections = Sections {
                    raft: merge_raft(&file.raft, v.raft.as_ref()),
                    network: merge_network(&file.network, v.network.as_ref()),
                    workload: merge_workload(&file.workload, v.workload.as_ref()),
                    storage: merge_storage(&file.storage, v.storage.as_ref()),
                    clock: merge_clock(&file.clock, v.clock.as_ref()),
                };
                resolve_variant(&v.label, sections)
            })
            .collect()
    }
}

fn merge_clock(base: &ClockSpec, over: Option<&ClockSpec>) -> ClockSpec {
    ClockSpec {
        drift_ppm: over.and_then(|o| o.drift_ppm).or(base.drift_ppm),
        timer_jitter_ms: over
            .and_then(|o| o.timer_jitter_ms)
            .or(base.timer_jitter_ms),
    }
}

/// The clock section with the documented defaults filled in.
fn fill_clock(clock: ClockSpec) -> ClockSpec {
    let defaults = ClockConfig::default();
    ClockSpec {
        drift_ppm: Some(
            clock
                .drift_ppm
                .unwrap_or(defaults.max_drift_ppb as f64 / PPB_PER_PPM),
        ),
        timer_jitter_ms: Some(
            clock
                .timer_jitter_ms
                .unwrap_or(range_ms(defaults.timer_jitter_us)),
        ),
    }
}

pub(super) fn merge_raft(base: &RaftSpec, over: Option<&RaftSpec>) -> RaftSpec {
    let Some(over) = over else {
        return base.clone();
    };
    let dledger = match (&base.dledger, &over.dledger) {
        (Some(b), Some(o)) => Some(DLedgerSpec {
            heartbeat_ms: o.heartbeat_ms.or(b.heartbeat_ms),
            max_heartbeat_leak: o.max_heartbeat_leak.or(b.max_heartbeat_leak),
            vote_interval_ms: o.vote_interval_ms.or(b.vote_interval_ms),
            vote_wait_ms: o.vote_wait_ms.or(b.vote_wait_ms),
            rpc_timeout_ms: o.rpc_timeout_ms.or(b.rpc_timeout_ms),
        }),
        (b, o) => o.clone().or_else(|| b.clone()),
    };
    RaftSpec {
        implementation: over.implementation.or(base.implementation),
        tick_ms: over.tick_ms.or(base.tick_ms),
        election: over.election.or(base.election),
        pre_vote: over.pre_vote.or(base.pre_vote),
        check_quorum: over.check_quorum.or(base.check_quorum),
        leader_lease: over.leader_lease.or(base.leader_lease),
        election_timeout_ms: over.election_timeout_ms.or(base.election_timeout_ms),
        heartbeat_ms: over.heartbeat_ms.or(base.heartbeat_ms),
        reset_timer_on_new_term: over
            .reset_timer_on_new_term
            .or(base.reset_timer_on_new_term),
        leader_writes_first: over.leader_writes_first.or(base.leader_writes_first),
        bugs: over.bugs.clone().or_else(|| base.bugs.clone()),
        dledger,
        snapshot: merge_snapshot(base.snapshot.as_ref(), over.snapshot.as_ref()),
    }
}

fn merge_network(base: &NetworkSpec, over: Option<&NetworkSpec>) -> NetworkSpec {
    let Some(over) = over else {
        return base.clone();
    };
    NetworkSpec {
        latency_ms: over.latency_ms.or(base.latency_ms),
        loss: over.loss.or(base.loss),
        duplicate: over.duplicate.or(base.duplicate),
    }
}

fn merge_workload(base: &WorkloadSpec, over: Option<&WorkloadSpec>) -> WorkloadSpec {
    let Some(over) = over else {
        return base.clone();
    };
    WorkloadSpec {
        proposals_per_sec: over.proposals_per_sec.or(base.proposals_per_sec),
        retry_ms: over.retry_ms.or(base.retry_ms),
    }
}

/// The buckets with their cumulative weights (validation keeps the total
/// within u64 and above 0).
fn latency_buckets(spec: Option<&[LatencyBucketSpec]>) -> Vec<LatencyBucket> {
    let mut total = 0u64;
    spec.unwrap_or_default()
        .iter()
        .map(|b| {
            total = total.saturating_add(b.weight);
            LatencyBucket {
                up_to: total,
                us: range_us(b.ms),
            }
        })
        .collect()
}

/// A variant that sets either latency field replaces both of the base's.
fn merge_storage(base: &StorageSpec, over: Option<&StorageSpec>) -> StorageSpec {
    let latency_from = match over {
        Some(o) if o.persist_latency_ms.is_some() || o.persist_latency_buckets.is_some() => o,
        _ => base,
    };
    StorageSpec {
        persist_latency_ms: latency_from.persist_latency_ms,
        persist_latency_buckets: latency_from.persist_latency_buckets.clone(),
        blocking: over.and_then(|o| o.blocking).or(base.blocking),
    }
}

/// Fills every default into a merged variant and builds its configs.
fn resolve_variant(label: &str, sections: Sections) -> Variant {
    let raft = fill_raft(sections.raft);
    let network = fill_network(sections.network);
    let timeout = raft.election_timeout_ms.expect("filled");
    let workload = WorkloadSpec {
        proposals_per_sec: Some(sections.workload.proposals_per_sec.unwrap_or(0.0)),
        retry_ms: Some(sections.workload.retry_ms.unwrap_or(timeout[1])),
    };
    // Left as written when set, like `snapshot`: results of files without
    // them read as before.
    let storage = StorageSpec {
        persist_latency_ms: Some(
            sections
                .storage
                .persist_latency_ms
                .unwrap_or([Ms::default(); 2]),
        ),
        persist_latency_buckets: sections.storage.persist_latency_buckets.clone(),
        blocking: sections.storage.blocking,
    };
    let clock = fill_clock(sections.clock);
    let config_json = serde_json::json!({
        "raft": raft, "network": network, "workload": workload, "storage": storage,
        "clock": clock,
    });
    Variant {
        label: label.to_string(),
        raft: raft_config(&raft),
        network: NetworkConfig {
            latency_us: range_us(network.latency_ms.expect("filled")),
            loss: network.loss.expect("filled"),
            duplicate: network.duplicate.expect("filled"),
        },
        workload: WorkloadConfig {
            proposals_per_sec: workload.proposals_per_sec.expect("filled"),
            retry_us: workload.retry_ms.expect("filled").us(),
        },
        storage: StorageConfig {
            persist_latency_us: range_us(storage.persist_latency_ms.expect("filled")),
            buckets: latency_buckets(storage.persist_latency_buckets.as_deref()),
            blocking: storage.blocking.unwrap_or(false),
        },
        clock: ClockConfig {
            max_drift_ppb: (clock.drift_ppm.expect("filled") * PPB_PER_PPM).round() as u64,
            timer_jitter_us: range_us(clock.timer_jitter_ms.expect("filled")),
        },
        config_json,
    }
}

/// The Raft section with every default filled in, in the file's units.
fn fill_raft(raft: RaftSpec) -> RaftSpec {
    let defaults = RaftConfig::default();
    let pre_vote = raft.pre_vote.unwrap_or(false);
    let check_quorum = raft.check_quorum.unwrap_or(false);
    let implementation = raft.implementation.unwrap_or_default();
    // raft-rs has a lease exactly when it has CheckQuorum; the model's lease
    // comes with either PreVote or CheckQuorum.
    let (lease_default, tick_ms) = match implementation {
        Implementation::Model => (pre_vote || check_quorum, None),
        Implementation::RaftRs => (
            check_quorum,
            Some(raft.tick_ms.unwrap_or(defaults.tick_us / US_PER_MS)),
        ),
    };
    RaftSpec {
        implementation: Some(implementation),
        tick_ms,
        election: Some(raft.election.unwrap_or(ElectionKind::Classic)),
        pre_vote: Some(pre_vote),
        check_quorum: Some(check_quorum),
        leader_lease: Some(raft.leader_lease.unwrap_or(lease_default)),
        election_timeout_ms: Some(
            raft.election_timeout_ms
                .unwrap_or(range_ms(defaults.election_timeout_us)),
        ),
        heartbeat_ms: Some(raft.heartbeat_ms.unwrap_or(ms(defaults.heartbeat_us))),
        // Left as written, like `snapshot`: results of files without it
        // read as before.
        reset_timer_on_new_term: raft.reset_timer_on_new_term,
        leader_writes_first: raft.leader_writes_first,
        bugs: Some(raft.bugs.unwrap_or_default()),
        dledger: Some(fill_dledger(raft.dledger.unwrap_or_default())),
        // Left as written: the defaults apply in `raft_config`, so a file
        // without it resolves as before.
        snapshot: raft.snapshot,
    }
}

fn merge_snapshot(
    base: Option<&SnapshotSpec>,
    over: Option<&SnapshotSpec>,
) -> Option<SnapshotSpec> {
    match (base, over) {
        (Some(b), Some(o)) => Some(SnapshotSpec {
            threshold_entries: o.threshold_entries.or(b.threshold_entries),
            entry_bytes: o.entry_bytes.or(b.entry_bytes),
            bandwidth_mbps: o.bandwidth_mbps.or(b.bandwidth_mbps),
        }),
        (b, o) => o.or(b).cloned(),
    }
}

/// The snapshot settings with the defaults filled in.
fn snapshot_config(spec: Option<&SnapshotSpec>) -> SnapshotConfig {
    let defaults = SnapshotConfig::default();
    let spec = spec.cloned().unwrap_or_default();
    SnapshotConfig {
        threshold_entries: spec.threshold_entries.unwrap_or(defaults.threshold_entries),
        entry_bytes: spec.entry_bytes.unwrap_or(defaults.entry_bytes),
        bandwidth_mbps: spec.bandwidth_mbps.unwrap_or(defaults.bandwidth_mbps),
    }
}

/// DLedger's timing with DLedger's defaults filled in.
fn fill_dledger(dl: DLedgerSpec) -> DLedgerSpec {
    let defaults = DLedgerTiming::default();
    DLedgerSpec {
        heartbeat_ms: Some(dl.heartbeat_ms.unwrap_or(ms(defaults.heartbeat_us))),
        max_heartbeat_leak: Some(dl.max_heartbeat_leak.unwrap_or(defaults.max_heartbeat_leak)),
        vote_interval_ms: Some(
            dl.vote_interval_ms
                .unwrap_or(range_ms(defaults.vote_interval_us)),
        ),
        vote_wait_ms: Some(dl.vote_wait_ms.unwrap_or(range_ms(defaults.vote_wait_us))),
        rpc_timeout_ms: Some(dl.rpc_timeout_ms.unwrap_or(ms(defaults.rpc_timeout_us))),
    }
}

/// The network section with the engine's defaults filled in.
fn fill_network(network: NetworkSpec) -> NetworkSpec {
    let defaults = NetworkConfig::default();
    NetworkSpec {
        latency_ms: Some(network.latency_ms.unwrap_or(range_ms(defaults.latency_us))),
        loss: Some(network.loss.unwrap_or(defaults.loss)),
        duplicate: Some(network.duplicate.unwrap_or(defaults.duplicate)),
    }
}

/// The engine's Raft configuration of a filled-in Raft section.
fn raft_config(raft: &RaftSpec) -> RaftConfig {
    let dl = raft.dledger.as_ref().expect("filled");
    let mut bugs = Bugs::default();
    for bug in raft.bugs.iter().flatten() {
        bugs.plant(bug);
    }
    RaftConfig {
        implementation: raft.implementation.expect("filled"),
        tick_us: raft.tick_ms.map_or(defaults_tick_us(), |t| t * US_PER_MS),
        election: raft.election.expect("filled"),
        pre_vote: raft.pre_vote.expect("filled"),
        check_quorum: raft.check_quorum.expect("filled"),
        leader_lease: raft.leader_lease.expect("filled"),
        election_timeout_us: range_us(raft.election_timeout_ms.expect("filled")),
        heartbeat_us: raft.heartbeat_ms.expect("filled").us(),
        reset_timer_on_new_term: raft
            .reset_timer_on_new_term
            .unwrap_or(RaftConfig::default().reset_timer_on_new_term),
        leader_writes_first: raft.leader_writes_first.unwrap_or(false),
        dledger: DLedgerTiming {
            heartbeat_us: dl.heartbeat_ms.expect("filled").us(),
            max_heartbeat_leak: dl.max_heartbeat_leak.expect("filled"),
            vote_interval_us: range_us(dl.vote_interval_ms.expect("filled")),
            vote_wait_us: range_us(dl.vote_wait_ms.expect("filled")),
            rpc_timeout_us: dl.rpc_timeout_ms.expect("filled").us(),
        },
        snapshot: snapshot_config(raft.snapshot.as_ref()),
        bugs,
    }
}

fn defaults_tick_us() -> u64 {
    RaftConfig::default().tick_us
}

fn ms(us: u64) -> Ms {
    Ms::from_us(us)
}
