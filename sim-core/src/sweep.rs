//! Sweeps: one scenario over many seeds. Owns the per-seed record (what a
//! sweep keeps of each run) and the aggregate (per-variant distributions of
//! every metric over seeds, pooled distributions over every sample, failing
//! seeds). Aggregation is a pure function of the set of records, sorted by
//! seed, so it is the same for any number of threads and for shards merged
//! afterwards. Runs cut short are listed as failed but left out of every
//! statistic. Running the seeds is the caller's job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::invariants::Violation;
use crate::metrics::Metrics;
use crate::results::{ExpectationResult, Results};
use crate::stats::Summary;

mod pool;
pub use pool::{Pool, Pooled, SeedSamples};

/// What a sweep keeps of one variant of one seed (no series).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedVariant {
    pub label: String,
    pub metrics: Metrics,
    pub violations: Vec<Violation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_reached: Option<String>,
    pub failed_expectations: Vec<ExpectationResult>,
    pub trace_hash: String,
    /// What the pooled distributions need of this run.
    pub samples: SeedSamples,
}

impl SeedVariant {
    /// Stopped before its duration, by a safety violation or its event
    /// limit: its metrics describe a shorter run, so no statistic counts it.
    pub fn cut_short(&self) -> bool {
        !self.violations.is_empty() || self.limit_reached.is_some()
    }

    pub fn failed(&self) -> bool {
        self.cut_short() || !self.failed_expectations.is_empty()
    }
}

/// One seed of a sweep: one JSON line of `seeds.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRecord {
    pub seed: u64,
    pub variants: Vec<SeedVariant>,
}

impl SeedRecord {
    pub fn from_results(results: &Results) -> SeedRecord {
        SeedRecord {
            seed: results.seed,
            variants: results
                .variants
                .iter()
                .map(|v| SeedVariant {
                    label: v.label.clone(),
                    metrics: v.metrics.clone(),
                    violations: v.safety.violations.clone(),
                    limit_reached: v.limit_reached.clone(),
                    failed_expectations: results
                        .expectations
                        .iter()
                        .filter(|e| !e.ok && e.variant == v.label)
                        .cloned()
                        .collect(),
                    trace_hash: v.trace_hash.clone(),
                    samples: SeedSamples::of(&v.samples),
                })
                .collect(),
        }
    }

    pub fn failed(&self) -> bool {
        self.variants.iter().any(SeedVariant::failed)
    }

    /// The record without its cut-short runs: what the statistics (and the
    /// distribution chart) count.
    pub fn counted(&self) -> SeedRecord {
        SeedRecord {
            seed: self.seed,
            variants: self
                .variants
                .iter()
                .filter(|v| !v.cut_short())
                .cloned()
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantAggregate {
    pub label: String,
    pub runs: u64,
    /// Seeds where this variant broke safety, hit its limit or failed an expectation.
    pub failed_seeds: u64,
    /// Runs stopped early (a safety violation or the event limit): left
    /// out of `metrics` and `pooled`.
    pub cut_short: u64,
    /// Runs the statistics cover: `runs - cut_short`.
    pub counted: u64,
    /// Every metric key (`failover_ms.p99` style for distributions), over
    /// the counted seeds that have a value for it.
    /// Each metric summarised over the counted seeds that have a value for
    /// it (`count`: how many; a run without samples of a distribution has
    /// none of its percentiles).
    pub metrics: BTreeMap<String, Summary>,
    /// Every failover, election and commit of every counted seed.
    pub pooled: Pooled,
}

impl VariantAggregate {
    /// `runs`: this variant's run of every seed, in seed order.
    fn of(label: &str, runs: &[&SeedVariant]) -> VariantAggregate {
        let counted: Vec<&SeedVariant> = runs.iter().copied().filter(|v| !v.cut_short()).collect();
        let values: Vec<serde_json::Value> = counted
            .iter()
            .map(|v| serde_json::to_value(&v.metrics).expect("metrics serialise"))
            .collect();
        let metrics = Metrics::keys()
            .into_iter()
            .map(|key| {
                let per_seed: Vec<f64> =
                    values.iter().filter_map(|m| seed_value(m, &key)).collect();
                (key, Summary::of_values(&per_seed))
            })
            .collect();
        let mut pool = Pool::default();
        for v in &counted {
            pool.add(&v.samples);
        }
        let aggregate = VariantAggregate {
            label: label.to_string(),
            runs: runs.len() as u64,
            failed_seeds: runs.iter().filter(|v| v.failed()).count() as u64,
            cut_short: (runs.len() - counted.len()) as u64,
            counted: counted.len() as u64,
            metrics,
            pooled: pool.finish(),
        };
        // A run cut short failed; every run is counted or cut short.
        assert!(
            aggregate.cut_short <= aggregate.failed_seeds
                && aggregate.failed_seeds <= aggregate.runs
                && aggregate.counted + aggregate.cut_short == aggregate.runs,
            "variant {label}: {} runs, {} failed, {} cut short, {} counted",
            aggregate.runs,
            aggregate.failed_seeds,
            aggregate.cut_short,
            aggregate.counted
        );
        assert!(
            aggregate
                .metrics
                .values()
                .all(|s| s.count <= aggregate.counted),
            "a metric summarised over more seeds than were counted"
        );
        aggregate
    }
}

/// The value of `key` (`failover_ms.p99` style) in one run's metrics JSON;
/// `None` when the run has none: `null`, or a percentile of a distribution
/// whose `count` is 0 (written as 0 by older versions).
fn seed_value(metrics: &serde_json::Value, key: &str) -> Option<f64> {
    let mut at = metrics;
    for part in key.split('.') {
        at = at.get(part)?;
    }
    if let Some((distribution, part)) = key.split_once('.') {
        let count = metrics[distribution].get("count").and_then(|c| c.as_u64());
        if part != "count" && count == Some(0) {
            return None;
        }
    }
    at.as_f64()
}

/// A seed that failed, with the command that reproduces it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub seed: u64,
    pub variants: Vec<String>,
    pub reasons: Vec<String>,
    pub command: String,
}

/// The aggregate of a sweep; the same for any `--jobs` and for merged shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    pub scenario: String,
    /// The scenario argument, as used in the reproduce commands.
    pub file: String,
    /// The half-open seed range swept.
    pub seeds: [u64; 2],
    pub runs: u64,
    pub failed_seeds: u64,
    pub variants: Vec<VariantAggregate>,
    pub failures: Vec<Failure>,
}

/// `raftsim run FILE --seed N [--variant L]`.
pub type CommandFor = dyn Fn(u64, Option<&str>) -> String;

/// Aggregates records (any order; they are sorted by seed here).
pub fn aggregate(
    scenario: &str,
    file: &str,
    seeds: [u64; 2],
    records: &[SeedRecord],
    command: &CommandFor,
) -> Aggregate {
    let mut records: Vec<&SeedRecord> = records.iter().collect();
    records.sort_by_key(|r| r.seed);
    assert!(
        records.windows(2).all(|w| w[0].seed < w[1].seed),
        "one record per seed"
    );
    let labels: Vec<String> = records
        .first()
        .map(|r| r.variants.iter().map(|v| v.label.clone()).collect())
        .unwrap_or_default();
    let variants = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let runs: Vec<&SeedVariant> = records.iter().map(|r| &r.variants[i]).collect();
            VariantAggregate::of(label, &runs)
        })
        .collect();
    let failures: Vec<Failure> = records
        .iter()
        .filter(|r| r.failed())
        .map(|r| failure(r, command))
        .collect();
    let aggregate = Aggregate {
        scenario: scenario.to_string(),
        file: file.to_string(),
        seeds,
        runs: records.len() as u64,
        failed_seeds: failures.len() as u64,
        variants,
        failures,
    };
    assert!(
        aggregate
            .variants
            .iter()
            .all(|v| v.runs == aggregate.runs && v.failed_seeds <= aggregate.failed_seeds),
        "every variant ran once per seed, and failed only in failing seeds"
    );
    aggregate
}

/// A failed seed's reasons and the command that replays it.
fn failure(record: &SeedRecord, command: &CommandFor) -> Failure {
    let failed: Vec<&SeedVariant> = record.variants.iter().filter(|v| v.failed()).collect();
    let mut reasons = Vec::new();
    for v in &failed {
        for violation in &v.violations {
            reasons.push(format!(
                "{}: safety violation {} at {} ms: {}",
                v.label, violation.property, violation.at_ms, violation.message
            ));
        }
        if let Some(limit) = &v.limit_reached {
            reasons.push(format!("{}: {limit}", v.label));
        }
        for e in &v.failed_expectations {
            reasons.push(format!(
                "{}: expected {} in [{}, {}], got {}",
                v.label,
                e.metric,
                e.min.map_or("-inf".to_string(), |x| x.to_string()),
                e.max.map_or("inf".to_string(), |x| x.to_string()),
                e.actual.map_or("nothing".to_string(), |x| x.to_string())
            ));
        }
    }
    let only = (failed.len() == 1).then(|| failed[0].label.as_str());
    Failure {
        seed: record.seed,
        variants: failed.iter().map(|v| v.label.clone()).collect(),
        reasons,
        command: command(record.seed, only),
    }
}

/// The seeds of shard `k` (1-based) of `n` over the half-open `range`:
/// contiguous slices, the first ones one seed longer when it does not divide.
pub fn shard_range(range: [u64; 2], k: u64, n: u64) -> [u64; 2] {
    debug_assert!(1 <= k && k <= n);
    let total = range[1] - range[0];
    let (base, extra) = (total / n, total % n);
    let start = range[0] + (k - 1) * base + (k - 1).min(extra);
    let len = base + u64::from(k <= extra);
    [start, start + len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_range_once() {
        for (range, n) in [([0, 10], 3), ([5, 6], 4), ([100, 1100], 7), ([0, 0], 2)] {
            let mut next = range[0];
            for k in 1..=n {
                let [a, b] = shard_range(range, k, n);
                assert_eq!(a, next, "{range:?} {k}/{n}");
                assert!(b >= a);
                next = b;
            }
            assert_eq!(next, range[1]);
        }
    }

    #[test]
    fn stats_of_a_known_sample() {
        let s = Summary::of_values(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!((s.count, s.min, s.mean), (4, Some(1.0), Some(2.5)));
        assert_eq!(
            (s.p50, s.p90, s.p99, s.max),
            (Some(2.0), Some(4.0), Some(4.0), Some(4.0))
        );
        // sd = 1.29099, se = 0.645497, 1.96 se = 1.265174
        let ci = s.ci95.unwrap();
        assert!((ci[0] - 1.234826).abs() < 1e-5 && (ci[1] - 3.765174).abs() < 1e-5);
    }

    #[test]
    fn a_percentile_of_a_distribution_without_samples_is_no_value() {
        let m = serde_json::json!({
            "failover_ms": { "count": 0, "p50": 0.0 },
            "commit_latency_ms": { "count": 3, "p50": 0.0 },
            "first_leader_ms": null,
            "max_term": 4
        });
        assert_eq!(seed_value(&m, "failover_ms.p50"), None);
        assert_eq!(seed_value(&m, "failover_ms.count"), Some(0.0));
        assert_eq!(seed_value(&m, "commit_latency_ms.p50"), Some(0.0));
        assert_eq!(seed_value(&m, "first_leader_ms"), None);
        assert_eq!(seed_value(&m, "max_term"), Some(4.0));
        assert_eq!(seed_value(&m, "no_such_key"), None);
    }
}
