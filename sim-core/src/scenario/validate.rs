//! Validation: every check that turns a parsed [`ScenarioFile`] into either
//! its script or the full list of `json.path: reason` errors (all of them,
//! not just the first). Owns the `Check` collector, the limits' enforcement
//! and the per-section checks; the script events' checks live in `events`,
//! the chaos section's in `chaos`. It never fills defaults nor builds a
//! variant's configuration (that is `resolve`), and never stops at the
//! first error.

use std::collections::{BTreeMap, BTreeSet};

use crate::metrics::Metrics;
use crate::raft::{Bugs, MAX_NODES};

use super::timing::TimedEvent;
use super::{
    ClockSpec, ExpectSpec, Ms, NetworkSpec, RaftSpec, RangeMs, ScenarioError, ScenarioErrors,
    ScenarioFile, StorageSpec, VariantSpec, WorkloadSpec, MAX_DURATION_MS, MAX_PROPOSALS_PER_SEC,
    MAX_VARIANTS,
};
use crate::cluster::{MAX_DRIFT_PPB, PPB_PER_PPM};

/// The longest timer lateness a clock may have: 1 s.
pub const MAX_TIMER_JITTER_MS: u64 = 1_000;

/// Checks a whole file, section by section in file order, and returns its
/// script (scripted events in file order) or every error found.
pub(super) fn check(file: &ScenarioFile) -> Result<Vec<TimedEvent>, ScenarioErrors> {
    let mut check = Check {
        errors: Vec::new(),
        names: BTreeMap::new(),
        current: (0, Ms::default()),
    };
    check.header(file);
    check.raft("raft", &file.raft);
    check.network("network", &file.network);
    check.workload("workload", &file.workload);
    check.storage("storage", &file.storage);
    check.clock("clock", &file.clock);
    if let Some(chaos) = &file.chaos {
        check.chaos(chaos, file.duration_ms);
    }
    let script = check.events(file);
    check.variants(&file.variants);
    check.expectations(file);
    if check.errors.is_empty() {
        Ok(script)
    } else {
        Err(ScenarioErrors(check.errors))
    }
}

/// Collects validation errors with their paths.
pub(super) struct Check {
    pub(super) errors: Vec<ScenarioError>,
    /// Each name a `let` binds: the index and `at_ms` of its first `let`.
    pub(super) names: BTreeMap<String, (usize, Ms)>,
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

    pub(super) fn positive(&mut self, path: &str, value: Option<u64>) {
        if value == Some(0) {
            self.fail(path, "must be at least 1");
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
        if file.max_events == Some(0) {
            self.fail("max_events", "must be at least 1");
        }
    }

    pub(super) fn raft(&mut self, path: &str, spec: &RaftSpec) {
        self.range(
            &format!("{path}.election_timeout_ms"),
            spec.election_timeout_ms,
            1,
        );
        self.positive_ms(&format!("{path}.heartbeat_ms"), spec.heartbeat_ms);
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
            self.positive(&format!("{path}.max_heartbeat_leak"), dl.max_heartbeat_leak);
            self.positive_ms(&format!("{path}.rpc_timeout_ms"), dl.rpc_timeout_ms);
            self.range(&format!("{path}.vote_interval_ms"), dl.vote_interval_ms, 0);
            self.range(&format!("{path}.vote_wait_ms"), dl.vote_wait_ms, 1);
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

    /// The expectations: a known variant, a known metric, sensible bounds.
    fn expectations(&mut self, file: &ScenarioFile) {
        let known_labels: Vec<&str> = if file.variants.is_empty() {
            vec!["default"]
        } else {
            file.variants.iter().map(|v| v.label.as_str()).collect()
        };
        let metric_keys = Metrics::keys();
        for (i, e) in file.expect.iter().enumerate() {
            self.expectation(&format!("expect[{i}]"), e, &known_labels, &metric_keys);
        }
    }

    fn expectation(
        &mut self,
        path: &str,
        e: &ExpectSpec,
        known_labels: &[&str],
        metric_keys: &[String],
    ) {
        if let Some(variant) = &e.variant {
            if !known_labels.contains(&variant.as_str()) {
                self.fail(
                    format!("{path}.variant"),
                    format!(
                        "no variant is labelled {variant:?}: the variants are {}",
                        known_labels.join(", ")
                    ),
                );
            }
        }
        if !metric_keys.contains(&e.metric) {
            self.fail(
                format!("{path}.metric"),
                format!(
                    "unknown metric {:?}: known metrics are {}",
                    e.metric,
                    metric_keys.join(", ")
                ),
            );
        }
        match (e.min, e.max) {
            (None, None) => self.fail(path, "gives neither min nor max"),
            (Some(min), Some(max)) if min > max => {
                self.fail(path, format!("min {min} is greater than max {max}"))
            }
            _ => {}
        }
    }
}
