//! Summary statistics, in one place: the one definition of a percentile
//! (nearest rank), the one summary of a distribution ([`Summary`]) that
//! per-run metrics, pooled sweep distributions and per-seed aggregates all
//! use, and the mergeable histogram of commit latencies. A p99 means the
//! same thing in a results file and in a sweep. `mann_whitney` is the test
//! of whether two samples differ (what `raftsim diff` asks of two sweeps).

pub mod mann_whitney;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::US_PER_MS;

/// The nearest-rank `q`-quantile (0 < q ≤ 1) of `sorted`, a non-empty
/// slice in ascending order: the smallest value with at least `q` of the
/// samples at or below it. No interpolation, so the answer is always one
/// of the samples.
pub fn nearest_rank<T: Copy + PartialOrd>(sorted: &[T], q: f64) -> T {
    let n = sorted.len();
    assert!(n > 0, "the percentile of no samples");
    assert!(q > 0.0 && q <= 1.0, "quantile {q} outside (0, 1]");
    debug_assert!(
        sorted.windows(2).all(|w| w[0] <= w[1]),
        "samples not sorted"
    );
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    let value = sorted[rank - 1];
    debug_assert!(
        sorted[0] <= value && value <= sorted[n - 1],
        "a percentile lies within min..max"
    );
    value
}

/// The quantiles every summary reports.
const QUANTILES: [f64; 5] = [0.10, 0.50, 0.90, 0.95, 0.99];

/// A distribution summarised: how many samples, the extremes and the
/// nearest-rank percentiles (milliseconds for times), and, for values
/// summed over seeds, the mean with its 95% confidence interval. With no
/// samples every field but `count` is `None` (null in JSON, `—` in tables):
/// there is nothing to report, and 0 would look like a perfect result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub count: u64,
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    pub p10: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    /// `[low, high]`: a 95% confidence interval of the mean (normal
    /// approximation), where there is a mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<[f64; 2]>,
}

fn ms(us: u64) -> f64 {
    us as f64 / US_PER_MS as f64
}

impl Summary {
    fn of_quantiles(count: u64, min: f64, quantiles: [f64; 5], max: f64) -> Summary {
        debug_assert!(count > 0);
        debug_assert!(
            min <= quantiles[0]
                && quantiles.windows(2).all(|w| w[0] <= w[1])
                && quantiles[4] <= max,
            "percentiles out of order: {min} {quantiles:?} {max}"
        );
        let [p10, p50, p90, p95, p99] = quantiles.map(Some);
        Summary {
            count,
            min: Some(min),
            mean: None,
            p10,
            p50,
            p90,
            p95,
            p99,
            max: Some(max),
            ci95: None,
        }
    }

    /// Exact, from every sample (microseconds; summarised in ms).
    pub fn of_us(mut samples_us: Vec<u64>) -> Summary {
        if samples_us.is_empty() {
            return Summary::default();
        }
        samples_us.sort_unstable();
        let quantiles = QUANTILES.map(|q| ms(nearest_rank(&samples_us, q)));
        let last = samples_us.len() - 1;
        let summary = Summary::of_quantiles(
            samples_us.len() as u64,
            ms(samples_us[0]),
            quantiles,
            ms(samples_us[last]),
        );
        assert_eq!(summary.count, samples_us.len() as u64);
        summary
    }

    /// From a histogram of microsecond samples: percentiles within 2^-8 of
    /// the exact ones ([`Histogram::quantile_us`]), the exact extremes.
    pub fn of_histogram(histogram: &Histogram) -> Summary {
        let (Some(min_us), Some(max_us)) = (histogram.min_us, histogram.max_us) else {
            assert_eq!(
                histogram.count(),
                0,
                "a histogram with samples has extremes"
            );
            return Summary::default();
        };
        assert!(
            min_us <= max_us,
            "histogram minimum {min_us} above its maximum {max_us}"
        );
        assert!(
            histogram.count() > 0,
            "a histogram with extremes has samples"
        );
        let quantiles = QUANTILES.map(|q| ms(histogram.quantile_us(q).expect("not empty")));
        Summary::of_quantiles(histogram.count(), ms(min_us), quantiles, ms(max_us))
    }

    /// Values in seed order (the sum runs in that order, so the mean is the
    /// same bit for bit however the seeds were run), with their mean and a
    /// 95% confidence interval of it (mean ± 1.96 standard errors;
    /// `[mean, mean]` for one value).
    pub fn of_values(values: &[f64]) -> Summary {
        let n = values.len();
        if n == 0 {
            return Summary::default();
        }
        debug_assert!(
            values.iter().all(|v| !v.is_nan()),
            "a summary of numbers, not NaN"
        );
        let mean = values.iter().sum::<f64>() / n as f64;
        let half_width = if n > 1 {
            let variance =
                values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
            1.96 * (variance / n as f64).sqrt()
        } else {
            0.0
        };
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let quantiles = QUANTILES.map(|q| nearest_rank(&sorted, q));
        Summary {
            mean: Some(mean),
            ci95: Some([mean - half_width, mean + half_width]),
            ..Summary::of_quantiles(n as u64, sorted[0], quantiles, sorted[n - 1])
        }
    }
}

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
    let (lower, width) = ((value_us >> shift) << shift, 1u64 << shift);
    debug_assert!(
        lower <= value_us && value_us - lower < width,
        "{value_us} outside its bucket [{lower}, {lower} + {width})"
    );
    (lower, width)
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
        let histogram = Histogram {
            min_us: samples_us.iter().copied().min(),
            max_us: samples_us.iter().copied().max(),
            buckets: buckets.into_iter().collect(),
        };
        debug_assert_eq!(histogram.count(), samples_us.len() as u64);
        histogram
    }

    /// Adds one sample (a run records its commit latencies this way, so
    /// its memory is the number of buckets, not of commits).
    pub fn add(&mut self, value_us: u64) {
        self.min_us = Some(self.min_us.map_or(value_us, |m| m.min(value_us)));
        self.max_us = Some(self.max_us.map_or(value_us, |m| m.max(value_us)));
        let lower = bucket_of(value_us).0;
        let i = match self.buckets.binary_search_by_key(&lower, |&(b, _)| b) {
            Ok(i) => {
                self.buckets[i].1 += 1;
                i
            }
            Err(i) => {
                self.buckets.insert(i, (lower, 1));
                i
            }
        };
        // The buckets stay ascending, each lower bound once.
        debug_assert!(
            (i == 0 || self.buckets[i - 1].0 < lower)
                && self
                    .buckets
                    .get(i + 1)
                    .is_none_or(|&(next, _)| lower < next),
            "bucket {lower} out of order"
        );
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
        debug_assert!(min_us <= max_us, "histogram extremes out of order");
        Some((lower + (width - 1) / 2).clamp(min_us, max_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_a_sample() {
        let hundred: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&hundred, 0.50), 50);
        assert_eq!(nearest_rank(&hundred, 0.99), 99);
        assert_eq!(nearest_rank(&hundred, 1.0), 100);
        let four = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(nearest_rank(&four, 0.50), 2.0);
        assert_eq!(nearest_rank(&four, 0.90), 4.0);
        assert_eq!(nearest_rank(&[7], 0.01), 7);
    }

    #[test]
    fn a_histogram_of_exact_values_gives_the_exact_percentiles() {
        // 0..=255 µs four times each, shuffled.
        let samples: Vec<u64> = (0..1024).map(|i| (i * 7919) % 256).collect();
        let exact = Summary::of_us(samples.clone());
        assert_eq!(Summary::of_histogram(&Histogram::of(&samples)), exact);
        assert_eq!(exact.count, 1024);
        assert_eq!((exact.p10, exact.p99), (Some(0.025), Some(0.253)));
    }

    #[test]
    fn values_over_seeds_have_a_mean_and_its_interval() {
        let summary = Summary::of_values(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(summary.count, 4);
        assert_eq!(summary.mean, Some(2.5));
        let [low, high] = summary.ci95.expect("a mean has an interval");
        assert!(low < 2.5 && high > 2.5 && (2.5 - low - (high - 2.5)).abs() < 1e-12);
        assert_eq!((summary.min, summary.max), (Some(1.0), Some(4.0)));
        assert_eq!(Summary::of_values(&[7.0]).ci95, Some([7.0, 7.0]));
        // Times have no mean: the key is left out of their JSON.
        let json = serde_json::to_value(Summary::of_us(vec![1_000])).unwrap();
        assert!(json.get("mean").is_none() && json.get("ci95").is_none());
        assert_eq!(json["p50"], 1.0);
    }

    #[test]
    fn no_samples_give_nulls() {
        let empty = Summary::of_values(&[]);
        assert_eq!(empty, Summary::default());
        let json = serde_json::to_value(&empty).unwrap();
        assert_eq!(json["p10"], serde_json::Value::Null);
        assert_eq!(json["count"], 0);
    }

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
}
