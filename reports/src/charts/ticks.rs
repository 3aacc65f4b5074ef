//! Round values for the charts' numeric axes, from the 1-2-5 sequence
//! (…, 0.5, 1, 2, 5, 10, 20, 50, …): one definition, so that the term chart
//! and the sweep's CDFs choose their ticks alike. Each chart says how many
//! intervals its axis has room for.

/// 0, 1, 2, 5, 10, 20, 50, … up to and including the first value at or
/// above `max` (the ticks of a log(value + 1) axis).
pub fn log_candidates(max: f64) -> Vec<f64> {
    let mut out = vec![0.0];
    let mut decade = 1.0f64;
    loop {
        for m in [1.0, 2.0, 5.0] {
            let t = decade * m;
            out.push(t);
            if t >= max {
                return out;
            }
        }
        if decade > 1e300 {
            return out;
        }
        decade *= 10.0;
    }
}

/// The smallest step of 1, 2 or 5 × 10^k (at least 1) that cuts `0..=max`
/// into at most `intervals` intervals.
pub fn linear_step(max: f64, intervals: u32) -> f64 {
    let mut decade = 1.0f64;
    loop {
        for m in [1.0, 2.0, 5.0] {
            let step = decade * m;
            if max / step <= f64::from(intervals) || decade > 1e300 {
                return step;
            }
        }
        decade *= 10.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_candidates_end_at_or_above_max() {
        assert_eq!(log_candidates(0.0), vec![0.0, 1.0]);
        assert_eq!(log_candidates(5.0), vec![0.0, 1.0, 2.0, 5.0]);
        assert_eq!(log_candidates(6.0), vec![0.0, 1.0, 2.0, 5.0, 10.0]);
        assert!(log_candidates(f64::MAX).len() < 1000);
    }

    #[test]
    fn linear_steps_are_round() {
        assert_eq!(linear_step(0.0, 5), 1.0);
        assert_eq!(linear_step(4.0, 5), 1.0);
        assert_eq!(linear_step(273.0, 5), 100.0);
        assert_eq!(linear_step(650.0, 8), 100.0);
        assert_eq!(linear_step(800.0, 8), 100.0);
        assert!(linear_step(f64::MAX, 8).is_finite());
    }
}
