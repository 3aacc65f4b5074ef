//! Pooled distributions of a sweep: every failover, election and commit of
//! every counted seed in one distribution per variant. Owns what a per-seed
//! record keeps for pooling (raw failover and election samples, a
//! log-linear histogram of commit latencies) and the pooled summary. All of
//! it merges exactly: pooling is a sum of counts and a concatenation of
//! integer samples, so shards merged afterwards give the same bytes as one
//! machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::metrics::Samples;
use crate::stats::{Histogram, Summary};

/// What a per-seed record keeps of one run for pooling.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedSamples {
    /// Every failover of the run, µs, in order.
    pub failover_us: Vec<u64>,
    /// Every election (loss of the effective leader to a leader of a higher
    /// term), µs, in order.
    pub election_us: Vec<u64>,
    /// Every time the cluster took to settle (every running voter
    /// following one leader), µs, in order; absent from sweeps saved
    /// before it existed.
    #[serde(default)]
    pub settled_us: Vec<u64>,
    /// Every committed proposal's latency.
    pub commit_latency: Histogram,
}

impl SeedSamples {
    pub fn of(samples: &Samples) -> SeedSamples {
        SeedSamples {
            failover_us: samples.failover_us.clone(),
            election_us: samples.election_us.clone(),
            settled_us: samples.settled_us.clone(),
            commit_latency: samples.commit_latency.clone(),
        }
    }
}

/// The pooled distributions of one variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    pub failover_ms: Summary,
    pub election_ms: Summary,
    #[serde(default)]
    pub settled_ms: Summary,
    pub commit_latency_ms: Summary,
}

/// Pools the samples of many runs of one variant.
#[derive(Default)]
pub struct Pool {
    failover_us: Vec<u64>,
    election_us: Vec<u64>,
    settled_us: Vec<u64>,
    commit_buckets: BTreeMap<u64, u64>,
    commit_min_us: Option<u64>,
    commit_max_us: Option<u64>,
}

impl Pool {
    pub fn add(&mut self, samples: &SeedSamples) {
        self.failover_us.extend_from_slice(&samples.failover_us);
        self.election_us.extend_from_slice(&samples.election_us);
        self.settled_us.extend_from_slice(&samples.settled_us);
        let h = &samples.commit_latency;
        for &(lower, count) in &h.buckets {
            *self.commit_buckets.entry(lower).or_insert(0) += count;
        }
        self.commit_min_us = self.commit_min_us.into_iter().chain(h.min_us).min();
        self.commit_max_us = self.commit_max_us.into_iter().chain(h.max_us).max();
        assert_eq!(
            self.commit_min_us.is_some(),
            self.commit_max_us.is_some(),
            "pooled extremes come in pairs"
        );
    }

    pub fn finish(self) -> Pooled {
        let commits = Histogram {
            min_us: self.commit_min_us,
            max_us: self.commit_max_us,
            buckets: self.commit_buckets.into_iter().collect(),
        };
        assert_eq!(
            commits.min_us.is_none(),
            commits.count() == 0,
            "a pooled histogram has extremes exactly when it has samples"
        );
        Pooled {
            failover_ms: Summary::of_us(self.failover_us),
            election_ms: Summary::of_us(self.election_us),
            settled_ms: Summary::of_us(self.settled_us),
            commit_latency_ms: Summary::of_histogram(&commits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_histograms_stay_within_their_error_and_keep_min_and_max() {
        let samples: Vec<u64> = (0..5000).map(|i| 1_500 + (i * 104_729) % 40_000).collect();
        let exact = Summary::of_us(samples.clone());
        let mut pool = Pool::default();
        for chunk in samples.chunks(777) {
            pool.add(&SeedSamples {
                commit_latency: Histogram::of(chunk),
                ..SeedSamples::default()
            });
        }
        let pooled = pool.finish().commit_latency_ms;
        assert_eq!(
            (pooled.count, pooled.min, pooled.max),
            (exact.count, exact.min, exact.max)
        );
        for (a, b) in [
            (pooled.p10, exact.p10),
            (pooled.p50, exact.p50),
            (pooled.p90, exact.p90),
            (pooled.p95, exact.p95),
            (pooled.p99, exact.p99),
        ] {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!((a - b).abs() <= b / 256.0, "{a} vs {b}");
        }
    }
}
