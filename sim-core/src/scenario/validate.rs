//! Validation: every check that turns a parsed [`ScenarioFile`] into either
//! its script or the full list of `json.path: reason` errors (all of them,
//! not just the first). Owns the `Check` collector, the limits' enforcement
//! and the per-section checks; the script events' checks live in `events`,
//! the chaos section's in `chaos`, `expect` and `published` in `expect`.
//! It never fills defaults nor builds a variant's configuration (that is
//! `resolve`), and never stops at the first error.

use std::collections::{BTreeMap, BTreeSet};

use crate::node::{Bugs, ElectionKind, Implementation, RaftConfig, MAX_NODES};
use crate::time::US_PER_MS;

use super::resolve::merge_raft;
use super::timing::TimedEvent;
use super::{
    ClockSpec, Ms, NetworkSpec, RaftSpec, RangeMs, ScenarioError, ScenarioErrors, ScenarioFile,
    SnapshotSpec, StorageSpec, VariantSpec, WorkloadSpec, MAX_DURATION_MS, MAX_PROPOSALS_PER_SEC,
    MAX_VARIANTS,
};
use crate::cluster::{MAX_DRIFT_PPB, PPB_PER_PPM};

/// The longest timer lateness a clock may have: 1 s.
pub const MAX_TIMER_JITTER_MS: u64 = 1_000;
/// The longest raft-rs tick: 1 s.
pub const MAX_TICK_MS: u64 = 1_000;
/// The most heartbeats a DLedger follower may wait for.
pub const MAX_HEARTBEAT_LEAK: u64 = 1_000;
/// The highest `max_memory_mb`: 1 TiB.
const MAX_MEMORY_MB: u64 = 1 << 20;
/// `storage.persist_latency_buckets`: at most this many buckets, each at
/// most a day long.
const MAX_LATENCY_BUCKETS: usize = 64;
const MAX_WRITE_MS: u64 = 86_400_000;
/// 64 buckets of at most this weight add up within u64.
const MAX_BUCKET_WEIGHT: u64 = 1_000_000_000_000_000;
/// The highest `max_events` and `max_events_per_sec`: 10^12.
pub const MAX_EVENT_LIMIT: u64 = 1_000_000_000_000;

/// Checks a whole file, section by section in file order, and returns its
/// script (scripted events in file order) or every error found.
/// A checked file's scripts: the file's `events`, and each variant's own
/// (`None`: it runs the file's).
pub(super) type Scripts = (Vec<TimedEvent>, Vec<Option<Vec<TimedEvent>>>);

pub(super) fn check(file: &ScenarioFile) -> Result<Scripts, ScenarioErrors> {
    let mut check = Check {
        errors: Vec::new(),
        names: BTreeMap::new(),
        rebound: BTreeSet::new(),
        current: (0, Ms::default()),
    };
    check.header(file);
    check.raft("raft", &file.raft);
    check.network("network", &file.network);
    check.workload("workload", &file.workload);
    check.storage("storage", &file.storage);
    check.clock("clock", &file.clock);
    if let Some(chaos) = &file.chaos {
        check.chaos(chaos, file.duration_ms, file.nodes);
    }
    let script = check.events(file);
    let variant_scripts = file
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.events
                .as_ref()
                .map(|events| check.events_in(&format!("variants[{i}].events"), events, file))
        })
        .collect();
    check.variants(&file.variants);
    check.implementations(file);
    check.members(file);
    check.dledger_members(file);
    check.expectations(file);
    check.published(file);
    if check.errors.is_empty() {
        Ok((script, variant_scripts))
    } else {
        Err(ScenarioErrors(check.errors))
    }
}

/// Where a raft setting was written: the variant's path if the variant
/// sets it (the test), else the base's.
type SettingPath<'a> = dyn Fn(&str, fn(&RaftSpec) -> bool) -> String + 'a;

/// Collects validation errors with their paths.
pub(super) struct Check {
    pub(super) errors: Vec<ScenarioError>,
    /// Each name a `let` binds: the index and `at_ms` of its first `let`.
    pub(super) names: BTreeMap<String, (usize, Ms)>,
    /// The names a repeated `let` binds (no event is timed from one).
    pub(super) rebound: BTreeSet<String>,
    /// The event being checked: its index and earliest `at_ms`.
    pub(super) current: (usize, Ms),
}

impl Check {
    pub(super) fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ScenarioError {
            path: path.into(),
            message: message.into(),
            line_column: None,
        });
    }

    pub(super) fn range(&mut self, path: &str, range: Option<RangeMs>, min_allowed: u64) {
        self.range_within(path, range, min_allowed, MAX_DURATION_MS);
    }

    /// A `[min, max]` range of milliseconds: ordered, min at least
    /// `min_allowed` ms, max at most `max_allowed` ms.
    pub(super) fn range_within(
        &mut self,
        path: &str,
        range: Option<RangeMs>,
        min_allowed: u64,
        max_allowed: u64,
    ) {
        if let Some([min, max]) = range {
            if min > max {
                self.fail(
                    path,
                    format!("empty range [{min}, {max}]: min must be <= max"),
                );
            } else if min < Ms::from_ms(min_allowed) {
                self.fail(
                    path,
                    format!("{min} is too small: must be at least {min_allowed}"),
                );
            } else if max > Ms::from_ms(max_allowed) {
                self.fail(
                    path,
                    format!("{max} ms is more than the limit of {max_allowed} ms"),
                );
            }
        }
    }

    pub(super) fn probability(&mut self, path: &str, p: Option<f64>) {
        if let Some(p) = p {
            if !(0.0..=1.0).contains(&p) {
                self.fail(path, format!("{p} is not a probability: must be in [0, 1]"));
            }
        }
    }

    /// A count of at least 1 and at most `max`.
    pub(super) fn count(&mut self, path: &str, value: Option<u64>, max: u64) {
        match value {
            Some(0) => self.fail(path, "must be at least 1"),
            Some(n) if n > max => self.fail(path, format!("{n} is more than the limit of {max}")),
            _ => {}
        }
    }

    /// A duration of at least 1 ms and at most the longest run.
    pub(super) fn positive_ms(&mut self, path: &str, value: Option<Ms>) {
        match value {
            Some(ms) if ms < Ms::from_ms(1) => {
                self.fail(path, format!("{ms} is too small: must be at least 1"))
            }
            Some(ms) if ms > Ms::from_ms(MAX_DURATION_MS) => self.fail(
                path,
                format!("{ms} ms is more than the limit of {MAX_DURATION_MS} ms"),
            ),
            _ => {}
        }
    }

    /// The `clock` section: drift in [0, 10000] ppm, jitter within 1 s.
    pub(super) fn clock(&mut self, path: &str, spec: &ClockSpec) {
        let max_ppm = MAX_DRIFT_PPB as f64 / PPB_PER_PPM;
        if let Some(ppm) = spec.drift_ppm {
            if !(0.0..=max_ppm).contains(&ppm) {
                self.fail(
                    format!("{path}.drift_ppm"),
                    format!("{ppm} is out of range: must be in [0, {max_ppm}] ppm"),
                );
            }
        }
        self.range_within(
            &format!("{path}.timer_jitter_ms"),
            spec.timer_jitter_ms,
            0,
            MAX_TIMER_JITTER_MS,
        );
    }

    /// The top-level scalars: name, nodes, duration_ms, max_events.
    fn header(&mut self, file: &ScenarioFile) {
        if file.name.trim().is_empty() {
            self.fail("name", "must not be empty");
        }
        if !(1..=MAX_NODES as u64).contains(&file.nodes) {
            self.fail(
                "nodes",
                format!(
                    "{} nodes is out of range: must be 1..={MAX_NODES}",
                    file.nodes
                ),
            );
        }
        if !(1..=MAX_DURATION_MS).contains(&file.duration_ms) {
            self.fail(
                "duration_ms",
                format!(
                    "{} is out of range: must be 1..={MAX_DURATION_MS} (7 days)",
                    file.duration_ms
                ),
            );
        }
        self.count("max_events", file.max_events, MAX_EVENT_LIMIT);
        self.count(
            "max_events_per_sec",
            file.max_events_per_sec,
            MAX_EVENT_LIMIT,
        );
        self.count("max_memory_mb", file.max_memory_mb, MAX_MEMORY_MB);
    }

    pub(super) fn raft(&mut self, path: &str, spec: &RaftSpec) {
        self.range(
            &format!("{path}.election_timeout_ms"),
            spec.election_timeout_ms,
            1,
        );
        self.positive_ms(&format!("{path}.heartbeat_ms"), spec.heartbeat_ms);
        self.count(&format!("{path}.tick_ms"), spec.tick_ms, MAX_TICK_MS);
        for (i, bug) in spec.bugs.iter().flatten().enumerate() {
            if !Bugs::default().plant(bug) {
                self.fail(
                    format!("{path}.bugs[{i}]"),
                    format!(
                        "unknown bug {bug:?}: known bugs are {}",
                        Bugs::NAMES.join(", ")
                    ),
                );
            }
        }
        if let Some(dl) = &spec.dledger {
            let path = format!("{path}.dledger");
            self.positive_ms(&format!("{path}.heartbeat_ms"), dl.heartbeat_ms);
            self.count(
                &format!("{path}.max_heartbeat_leak"),
                dl.max_heartbeat_leak,
                MAX_HEARTBEAT_LEAK,
            );
            self.positive_ms(&format!("{path}.rpc_timeout_ms"), dl.rpc_timeout_ms);
            self.range(&format!("{path}.vote_interval_ms"), dl.vote_interval_ms, 0);
            self.range(&format!("{path}.vote_wait_ms"), dl.vote_wait_ms, 1);
        }
        if let Some(snapshot) = &spec.snapshot {
            self.snapshot(&format!("{path}.snapshot"), snapshot);
        }
    }

    fn snapshot(&mut self, path: &str, spec: &SnapshotSpec) {
        let fields = [
            ("threshold_entries", spec.threshold_entries, 100_000_000),
            ("entry_bytes", spec.entry_bytes, 1_048_576),
            ("bandwidth_mbps", spec.bandwidth_mbps, 1_000_000),
        ];
        for (name, value, max) in fields {
            if let Some(value) = value.filter(|v| !(1..=max).contains(v)) {
                self.fail(
                    format!("{path}.{name}"),
                    format!("{value} is out of range: must be in [1, {max}]"),
                );
            }
        }
    }

    pub(super) fn network(&mut self, path: &str, spec: &NetworkSpec) {
        self.range(&format!("{path}.latency_ms"), spec.latency_ms, 0);
        self.probability(&format!("{path}.loss"), spec.loss);
        self.probability(&format!("{path}.duplicate"), spec.duplicate);
    }

    pub(super) fn workload(&mut self, path: &str, spec: &WorkloadSpec) {
        if let Some(rate) = spec.proposals_per_sec {
            if !(0.0..=MAX_PROPOSALS_PER_SEC).contains(&rate) {
                self.fail(
                    format!("{path}.proposals_per_sec"),
                    format!("{rate} is out of range: must be in [0, {MAX_PROPOSALS_PER_SEC}]"),
                );
            }
        }
        self.positive_ms(&format!("{path}.retry_ms"), spec.retry_ms);
    }

    pub(super) fn storage(&mut self, path: &str, spec: &StorageSpec) {
        self.range(
            &format!("{path}.persist_latency_ms"),
            spec.persist_latency_ms,
            0,
        );
        let Some(buckets) = &spec.persist_latency_buckets else {
            return;
        };
        let at = format!("{path}.persist_latency_buckets");
        if spec.persist_latency_ms.is_some() {
            self.fail(
                &at,
                "give persist_latency_ms or persist_latency_buckets, not both",
            );
        }
        if !(1..=MAX_LATENCY_BUCKETS).contains(&buckets.len()) {
            self.fail(
                &at,
                format!("{} buckets: give 1 to {MAX_LATENCY_BUCKETS}", buckets.len()),
            );
            return;
        }
        for (i, bucket) in buckets.iter().enumerate() {
            let ms = format!("{at}[{i}].ms");
            self.range_within(&ms, Some(bucket.ms), 0, MAX_WRITE_MS);
            if bucket.weight > MAX_BUCKET_WEIGHT {
                self.fail(
                    format!("{at}[{i}].weight"),
                    format!(
                        "{} is out of range: at most {MAX_BUCKET_WEIGHT}",
                        bucket.weight
                    ),
                );
            }
        }
        if buckets.iter().all(|b| b.weight == 0) {
            self.fail(&at, "every weight is 0: at least one must be positive");
        }
    }

    /// The variants: their number, unique labels and each override section.
    fn variants(&mut self, variants: &[VariantSpec]) {
        if variants.len() > MAX_VARIANTS {
            self.fail(
                "variants",
                format!(
                    "{} variants is more than the limit of {MAX_VARIANTS}",
                    variants.len()
                ),
            );
        }
        let mut labels = BTreeSet::new();
        for (i, v) in variants.iter().enumerate() {
            let path = format!("variants[{i}]");
            if v.label.trim().is_empty() {
                self.fail(format!("{path}.label"), "must not be empty");
            } else if !labels.insert(v.label.as_str()) {
                self.fail(
                    format!("{path}.label"),
                    format!("{:?} is used twice: labels must be unique", v.label),
                );
            }
            if let Some(r) = &v.raft {
                self.raft(&format!("{path}.raft"), r);
            }
            if let Some(n) = &v.network {
                self.network(&format!("{path}.network"), n);
            }
            if let Some(w) = &v.workload {
                self.workload(&format!("{path}.workload"), w);
            }
            if let Some(s) = &v.storage {
                self.storage(&format!("{path}.storage"), s);
            }
            if let Some(c) = &v.clock {
                self.clock(&format!("{path}.clock"), c);
            }
        }
    }

    /// What each variant's Raft implementation can run, on the variant's
    /// raft section merged over the base (docs/IMPLEMENTATIONS.md). An
    /// error names the setting where it was written: the variant's, or the
    /// base's if the variant inherits it.
    /// DLedger's elector has no membership changes: with it, every node is
    /// a member from the start.
    fn dledger_members(&mut self, file: &ScenarioFile) {
        let all = file
            .members
            .as_ref()
            .is_none_or(|m| m.len() as u64 == file.nodes);
        let dledger = |raft: &RaftSpec| raft.election == Some(ElectionKind::Dledger);
        let some_dledger = dledger(&file.raft)
            || file
                .variants
                .iter()
                .any(|v| dledger(&merge_raft(&file.raft, v.raft.as_ref())));
        if !all && some_dledger {
            self.fail(
                "members",
                "DLedger's elector has no membership changes in raftsim, so with an \
                 election: \"dledger\" variant every node is a member (leave members out)",
            );
        }
    }

    fn implementations(&mut self, file: &ScenarioFile) {
        if file.variants.is_empty() {
            self.implementation(&file.raft, None, "raft", "");
            return;
        }
        for (i, v) in file.variants.iter().enumerate() {
            let merged = merge_raft(&file.raft, v.raft.as_ref());
            let context = format!(" (variant {:?} runs raft-rs)", v.label);
            let path = format!("variants[{i}].raft");
            self.implementation(&merged, v.raft.as_ref(), &path, &context);
        }
    }

    /// The checks of one merged raft section; `over` is the variant's own
    /// section (None: everything comes from the base).
    fn implementation(
        &mut self,
        raft: &RaftSpec,
        over: Option<&RaftSpec>,
        variant_path: &str,
        context: &str,
    ) {
        let at = |field: &str, set_in_variant: fn(&RaftSpec) -> bool| {
            let base = over.is_none_or(|o| !set_in_variant(o));
            format!("{}.{field}", if base { "raft" } else { variant_path })
        };
        let implementation = raft.implementation.unwrap_or_default();
        match implementation {
            Implementation::Model => {
                let dledger = raft.election == Some(ElectionKind::Dledger);
                if dledger && raft.leader_writes_first == Some(true) {
                    let path = at("leader_writes_first", |o| o.leader_writes_first.is_some());
                    let why = "true is DLedger's rule already: its leader sends every message \
                               after its own write (leave it out)";
                    self.fail_once(path, why.to_string());
                }
                return;
            }
            Implementation::RaftRs => {}
        }
        if !implementation.available() {
            let path = at("implementation", |o| o.implementation.is_some());
            let why = "\"raft-rs\" is not in this raftsim: it was built without the cargo \
                       feature `raft-rs` (build with default features)";
            self.fail_once(path, format!("{why}{context}"));
        }
        if raft.election == Some(ElectionKind::Dledger) {
            let path = at("election", |o| o.election.is_some());
            let why = "\"dledger\" has no equivalent in raft-rs (DLedger's elector is the \
                       model's only)";
            self.fail_once(path, format!("{why}{context}"));
        }
        let check_quorum = raft.check_quorum.unwrap_or(false);
        if let Some(lease) = raft.leader_lease.filter(|&l| l != check_quorum) {
            let path = at("leader_lease", |o| o.leader_lease.is_some());
            let why = format!(
                "{lease} with check_quorum {check_quorum} has no equivalent in raft-rs, whose \
                 leader lease comes exactly with CheckQuorum (leave leader_lease out)"
            );
            self.fail_once(path, format!("{why}{context}"));
        }
        if raft.reset_timer_on_new_term == Some(false) {
            let path = at("reset_timer_on_new_term", |o| {
                o.reset_timer_on_new_term.is_some()
            });
            let why = "false has no equivalent in raft-rs, whose nodes restart their election \
                       timer whenever they become followers (leave it out)";
            self.fail_once(path, format!("{why}{context}"));
        }
        if raft.leader_writes_first == Some(true) {
            let path = at("leader_writes_first", |o| o.leader_writes_first.is_some());
            let why = "true has no equivalent in raft-rs, whose leader sends its entries as it \
                       writes them (leave it out)";
            self.fail_once(path, format!("{why}{context}"));
        }
        if raft.bugs.as_ref().is_some_and(|b| !b.is_empty()) {
            let path = at("bugs", |o| o.bugs.is_some());
            let why = "planted bugs exist only in the model, not in raft-rs";
            self.fail_once(path, format!("{why}{context}"));
        }
        self.ticks(raft, &at, context);
    }

    /// raft-rs counts time in ticks: the heartbeat and both ends of the
    /// election timeout must be whole numbers of ticks, the shortest
    /// election timeout longer than the heartbeat.
    fn ticks(&mut self, raft: &RaftSpec, at: &SettingPath<'_>, context: &str) {
        let defaults = RaftConfig::default();
        // In microseconds: the timeouts may have fractional milliseconds.
        let tick_us = raft
            .tick_ms
            .map_or(defaults.tick_us, |t| t.saturating_mul(US_PER_MS));
        if tick_us == 0 {
            return; // reported as a non-positive tick_ms
        }
        let heartbeat_us = raft.heartbeat_ms.map_or(defaults.heartbeat_us, |h| h.us());
        let (lo_us, hi_us) = raft
            .election_timeout_ms
            .map_or(defaults.election_timeout_us, |[lo, hi]| (lo.us(), hi.us()));
        let shown = |us: u64| us as f64 / US_PER_MS as f64;
        let (tick, heartbeat, lo, hi) = (
            shown(tick_us),
            shown(heartbeat_us),
            shown(lo_us),
            shown(hi_us),
        );
        let tick_path = at("tick_ms", |o| o.tick_ms.is_some());
        if heartbeat_us % tick_us != 0 {
            let path = at("heartbeat_ms", |o| o.heartbeat_ms.is_some());
            let why = format!(
                "{heartbeat} ms is not a whole number of raft-rs ticks of {tick} ms ({tick_path})"
            );
            self.fail_once(path, format!("{why}{context}"));
        }
        let timeout_path = at("election_timeout_ms", |o| o.election_timeout_ms.is_some());
        if lo_us % tick_us != 0 || hi_us % tick_us != 0 {
            let why = format!(
                "[{lo}, {hi}] ms is not a whole number of raft-rs ticks of {tick} ms ({tick_path})"
            );
            self.fail_once(timeout_path, format!("{why}{context}"));
        } else if heartbeat_us % tick_us == 0 && lo_us / tick_us <= heartbeat_us / tick_us {
            // Name the one the variant wrote, if it wrote only one of them.
            let heartbeat_path = at("heartbeat_ms", |o| o.heartbeat_ms.is_some());
            let timeout_path = if timeout_path.starts_with("raft.") {
                heartbeat_path
            } else {
                timeout_path
            };
            let why = format!(
                "raft-rs needs the shortest election timeout ({lo} ms) longer than the \
                 heartbeat ({heartbeat} ms)"
            );
            self.fail_once(timeout_path, format!("{why}{context}"));
        }
    }

    /// Records an error unless the same one is already there (a base
    /// setting shared by several raft-rs variants is reported once).
    fn fail_once(&mut self, path: String, message: String) {
        let seen = self.errors.iter().any(|e| {
            e.path == path
                && e.message.split(" (variant").next() == message.split(" (variant").next()
        });
        if !seen {
            self.fail(path, message);
        }
    }
}
