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
use crate::stats::nearest_rank;
use crate::time::US_PER_MS;

/// Significant bits kept of a commit latency in microseconds: values below
/// 2^8 µs are exact, larger ones fall in buckets at most 2^-7 of their value
/// wide, and a bucket is reported by its middle, so a pooled commit latency
/// percentile is within 2^-8 (0.39%) of the exact one. (docs/METRICS.md,
/// "Sweeps", gives the sizes behind this choice.)
pub const HISTOGRAM_SIGNIFICANT_BITS: u32 = 8;

/// The lower bound and width (both µs) of the bucket holding `value_us`.
fn bucket_of(value_us: u64) -> (u64, u64) {
    let bits = u64::BITS - value_us.leading_zeros();
    let shift = bits.saturating_sub(HISTOGRAM_SIGNIFICANT_BITS);
    ((value_us >> shift) << shift, 1 << shift)
}

/// A log-linear histogram of microsecond samples (see
/// [`HISTOGRAM_SIGNIFICANT_BITS`]), with the exact minimum and maximum.
/// Merging two is exact: counts add up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub min_us: Option<u64>,
    pub max_us: Option<u64>,
    /// `[lower bound in µs, samples]`, ascending, no empty bucket.
    pub buckets: Vec<(u64, u64)>,
}

impl Histogram {
    pub fn of(samples_us: &[u64]) -> Histogram {
        let mut buckets = BTreeMap::new();
        for &v in samples_us {
            *buckets.entry(bucket_of(v).0).or_insert(0u64) += 1;
        }
        Histogram {
            min_us: samples_us.iter().copied().min(),
            max_us: samples_us.iter().copied().max(),
            buckets: buckets.into_iter().collect(),
        }
    }

    /// Adds one sample (a run records its commit latencies this way, so
    /// its memory is the number of buckets, not of commits).
    pub fn add(&mut self, value_us: u64) {
        self.min_us = Some(self.min_us.map_or(value_us, |m| m.min(value_us)));
        self.max_us = Some(self.max_us.map_or(value_us, |m| m.max(value_us)));
        let lower = bucket_of(value_us).0;
        match self.buckets.binary_search_by_key(&lower, |&(b, _)| b) {
            Ok(i) => self.buckets[i].1 += 1,
            Err(i) => self.buckets.insert(i, (lower, 1)),
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|&(_, n)| n).sum()
    }

    /// The nearest-rank `q` quantile (`stats::nearest_rank`'s rank): the
    /// middle of the bucket that holds it, kept within the exact minimum
    /// and maximum, so within 2^-8 of the exact value; the maximum itself
    /// for `q` = 1. None without samples.
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        let n = self.count();
        let (min_us, max_us) = (self.min_us?, self.max_us?);
        if n == 0 {
            return None;
        }
        if q >= 1.0 {
            return Some(max_us);
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0;
        let (lower, _) = self
            .buckets
            .iter()
            .find(|&&(_, count)| {
                seen += count;
                seen >= rank
            })
            .copied()
            .expect("the rank is within the count");
        let (_, width) = bucket_of(lower);
        Some((lower + (width - 1) / 2).clamp(min_us, max_us))
    }
}

/// What a per-seed record keeps of one run for pooling.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedSamples {
    /// Every failover of the run, µs, in order.
    pub failover_us: Vec<u64>,
    /// Every election (loss of the effective leader to a leader of a higher
    /// term), µs, in order.
    pub election_us: Vec<u64>,
    /// Every committed proposal's latency.
    pub commit_latency: Histogram,
}

impl SeedSamples {
    pub fn of(samples: &Samples) -> SeedSamples {
        SeedSamples {
            failover_us: samples.failover_us.clone(),
            election_us: samples.election_us.clone(),
            commit_latency: samples.commit_latency.clone(),
        }
    }
}

/// A pooled distribution in milliseconds (nearest-rank percentiles; all
/// `null` when `count` is 0).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PooledDistribution {
    pub count: u64,
    pub min: Option<f64>,
    pub p10: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

const QUANTILES: [f64; 5] = [0.10, 0.50, 0.90, 0.95, 0.99];

fn ms(us: u64) -> f64 {
    us as f64 / US_PER_MS as f64
}

impl PooledDistribution {
    fn from_quantiles(count: u64, min_us: u64, ranks_us: [u64; 5], max_us: u64) -> Self {
        let [p10, p50, p90, p95, p99] = ranks_us.map(|v| Some(ms(v)));
        PooledDistribution {
            count,
            min: Some(ms(min_us)),
            p10,
            p50,
            p90,
            p95,
            p99,
            max: Some(ms(max_us)),
        }
    }

    /// Exact, from every sample.
    pub fn of_samples(mut samples_us: Vec<u64>) -> Self {
        if samples_us.is_empty() {
            return Self::default();
        }
        samples_us.sort_unstable();
        let ranks = QUANTILES.map(|q| nearest_rank(&samples_us, q));
        let last = samples_us.len() - 1;
        Self::from_quantiles(
            samples_us.len() as u64,
            samples_us[0],
            ranks,
            samples_us[last],
        )
    }

    /// From a histogram: [`Histogram::quantile_us`].
    pub fn of_histogram(histogram: &Histogram) -> Self {
        let (Some(min_us), Some(max_us)) = (histogram.min_us, histogram.max_us) else {
            return Self::default();
        };
        let ranks = QUANTILES.map(|q| histogram.quantile_us(q).expect("not empty"));
        Self::from_quantiles(histogram.count(), min_us, ranks, max_us)
    }
}

/// The pooled distributions of one variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    pub failover_ms: PooledDistribution,
    pub election_ms: PooledDistribution,
    pub commit_latency_ms: PooledDistribution,
}

/// Pools the samples of many runs of one variant.
#[derive(Default)]
pub struct Pool {
    failover_us: Vec<u64>,
    election_us: Vec<u64>,
    commit_buckets: BTreeMap<u64, u64>,
    commit_min_us: Option<u64>,
    commit_max_us: Option<u64>,
}

impl Pool {
    pub fn add(&mut self, samples: &SeedSamples) {
        self.failover_us.extend_from_slice(&samples.failover_us);
        self.election_us.extend_from_slice(&samples.election_us);
        let h = &samples.commit_latency;
        for &(lower, count) in &h.buckets {
            *self.commit_buckets.entry(lower).or_insert(0) += count;
        }
        self.commit_min_us = self.commit_min_us.into_iter().chain(h.min_us).min();
        self.commit_max_us = self.commit_max_us.into_iter().chain(h.max_us).max();
    }

    pub fn finish(self) -> Pooled {
        let commits = Histogram {
            min_us: self.commit_min_us,
            max_us: self.commit_max_us,
            buckets: self.commit_buckets.into_iter().collect(),
        };
        Pooled {
            failover_ms: PooledDistribution::of_samples(self.failover_us),
            election_ms: PooledDistribution::of_samples(self.election_us),
            commit_latency_ms: PooledDistribution::of_histogram(&commits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_the_significant_bits_and_narrow_above() {
        assert_eq!(bucket_of(0), (0, 1));
        assert_eq!(bucket_of(255), (255, 1));
        assert_eq!(bucket_of(256), (256, 2));
        assert_eq!(bucket_of(257), (256, 2));
        assert_eq!(bucket_of(5_003), (4_992, 32));
        for v in [1_024u64, 3_333, 12_345, 987_654, 60_000_000, u64::MAX / 3] {
            let (lower, width) = bucket_of(v);
            assert!(lower <= v && v - lower < width, "{v}");
            let middle = lower + (width - 1) / 2;
            let error = (middle as f64 - v as f64).abs() / v as f64;
            assert!(error <= 1.0 / 256.0, "{v}: {error}");
        }
    }

    #[test]
    fn a_histogram_built_one_sample_at_a_time_is_the_same_and_close_to_exact() {
        // Latencies from 3 ms to 40 ms, in no order.
        let samples: Vec<u64> = (0..5_000u64)
            .map(|i| 3_000 + (i * 7_919) % 37_000)
            .collect();
        let mut one_by_one = Histogram::default();
        for &v in &samples {
            one_by_one.add(v);
        }
        assert_eq!(one_by_one, Histogram::of(&samples));
        let mut sorted = samples.clone();
        sorted.sort_unstable();
        for q in [0.1, 0.5, 0.9, 0.99] {
            let exact = nearest_rank(&sorted, q) as f64;
            let approx = one_by_one.quantile_us(q).unwrap() as f64;
            assert!(
                (approx - exact).abs() / exact <= 1.0 / 256.0,
                "{q}: {approx} vs {exact}"
            );
        }
        assert_eq!(one_by_one.quantile_us(1.0), sorted.last().copied());
        assert_eq!(Histogram::default().quantile_us(0.5), None);
    }

    #[test]
    fn a_histogram_of_exact_values_gives_the_exact_percentiles() {
        // 0..=255 µs four times each, shuffled.
        let samples: Vec<u64> = (0..1024).map(|i| (i * 7919) % 256).collect();
        let exact = PooledDistribution::of_samples(samples.clone());
        assert_eq!(
            PooledDistribution::of_histogram(&Histogram::of(&samples)),
            exact
        );
        assert_eq!(exact.count, 1024);
        assert_eq!((exact.p10, exact.p99), (Some(0.025), Some(0.253)));
    }

    #[test]
    fn pooled_histograms_stay_within_their_error_and_keep_min_and_max() {
        let samples: Vec<u64> = (0..5000).map(|i| 1_500 + (i * 104_729) % 40_000).collect();
        let exact = PooledDistribution::of_samples(samples.clone());
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

    #[test]
    fn no_samples_give_nulls() {
        let empty = Pool::default().finish();
        assert_eq!(empty.failover_ms.count, 0);
        assert_eq!(empty.commit_latency_ms.p50, None);
        let json = serde_json::to_value(&empty.election_ms).unwrap();
        assert_eq!(json["p10"], serde_json::Value::Null);
    }
}
