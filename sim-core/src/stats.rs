//! Summary statistics shared by the metrics of one run and the aggregate of
//! a sweep: one definition of a percentile, so that a p99 means the same
//! thing in a results file and in a sweep.

/// The nearest-rank `q`-quantile (0 < q ≤ 1) of `sorted`, a non-empty
/// slice in ascending order: the smallest value with at least `q` of the
/// samples at or below it. No interpolation, so the answer is always one
/// of the samples.
pub fn nearest_rank<T: Copy>(sorted: &[T], q: f64) -> T {
    let n = sorted.len();
    assert!(n > 0, "the percentile of no samples");
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
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
}
