//! The Mann–Whitney U test (Wilcoxon rank-sum) of two samples, two-sided,
//! by the normal approximation with the tie correction and a continuity
//! correction, and Holm's step-down correction for several tests. Small
//! enough to own: `raftsim diff` uses it on the per-seed values of two
//! sweeps.

/// One test's outcome.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// U of the first sample: how often one of its values beats one of the
    /// second's (ties count a half).
    pub u: f64,
    /// The two-sided p-value.
    pub p: f64,
}

/// Tests whether `a` and `b` come from one distribution. None when either
/// is empty.
pub fn test(a: &[f64], b: &[f64]) -> Option<Outcome> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let n = n1 + n2;
    // Ranks over both samples, ties given their average rank.
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let tied = (j - i + 1) as f64;
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += rank * all[i..=j].iter().filter(|(_, from_a)| *from_a).count() as f64;
        tie_term += tied * tied * tied - tied;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let mean = n1 * n2 / 2.0;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        // Every value is the same: nothing tells the samples apart.
        return Some(Outcome { u, p: 1.0 });
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
    let p = erfc(z / std::f64::consts::SQRT_2).min(1.0);
    Some(Outcome { u, p })
}

/// Holm's adjusted p-values, in the order given: the k-th smallest of m is
/// multiplied by m - k + 1 (k from 1), kept monotone, capped at 1. A test
/// is significant at level α when its adjusted p-value is at most α.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| p[x].total_cmp(&p[y]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (k, &index) in order.iter().enumerate() {
        running = running.max((p[index] * (m - k) as f64).min(1.0));
        adjusted[index] = running;
    }
    adjusted
}

/// The complementary error function (Numerical Recipes' `erfcc`: relative
/// error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(1.0) - 0.157_299_207).abs() < 1e-7);
        assert!((erfc(1.959_964 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-6);
        assert!((erfc(-1.0) - 1.842_700_793).abs() < 1e-7);
    }

    /// Two samples that do not overlap at all: U is 0 or n1·n2. With 10
    /// against 10: mean 50, variance 10·10/12·21 = 175, z = (50 - 0.5)/√175
    /// = 3.742, p = erfc(z/√2) = 0.0001827.
    #[test]
    fn separated_samples_are_significant() {
        let a: Vec<f64> = (1..=10).map(f64::from).collect();
        let b: Vec<f64> = (11..=20).map(f64::from).collect();
        let outcome = test(&a, &b).unwrap();
        assert_eq!(outcome.u, 0.0);
        assert!((outcome.p - 0.000_182_7).abs() < 2e-6, "{outcome:?}");
        assert_eq!(test(&b, &a).unwrap().u, 100.0);
    }

    /// Ties: 1 2 2 3 against 2 3 3 4. Ranks 1, 3 3 3 (the 2s), 6 6 6 (the
    /// 3s), 8: R1 = 13, U = 13 - 10 = 3, mean 8; the ties (two groups of 3)
    /// take 2·(27 - 3)/(8·7) = 0.857 from n + 1 = 9, so the variance is
    /// 16/12 · 8.143 = 10.857; z = (5 - 0.5)/3.295 = 1.366, p = 0.1720.
    #[test]
    fn ties_take_their_average_rank_and_shrink_the_variance() {
        let outcome = test(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 3.0, 4.0]).unwrap();
        assert_eq!(outcome.u, 3.0);
        assert!((outcome.p - 0.172_03).abs() < 1e-5, "{outcome:?}");
    }

    #[test]
    fn identical_samples_are_not_different() {
        let outcome = test(&[5.0; 8], &[5.0; 8]).unwrap();
        assert_eq!(outcome.p, 1.0);
        assert!(test(&[], &[1.0]).is_none());
    }

    #[test]
    fn holm_multiplies_by_the_tests_left_and_stays_monotone() {
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.5]);
        // Sorted: 0.01×4 = 0.04, 0.03×3 = 0.09, 0.04×2 = 0.08 → 0.09, 0.5×1.
        assert_eq!(adjusted.len(), 4);
        assert!((adjusted[0] - 0.04).abs() < 1e-12);
        assert!((adjusted[2] - 0.09).abs() < 1e-12);
        assert!((adjusted[1] - 0.09).abs() < 1e-12);
        assert!((adjusted[3] - 0.5).abs() < 1e-12);
    }
}
