//! The tables of a sweep's aggregate as rows of cells, for both the text
//! `raftsim sweep` prints and the sweep's HTML page: per variant, the
//! headline metrics over seeds and the pooled distributions. A statistic
//! without a value reads `—`.

use sim_core::stats::Summary;
use sim_core::sweep::{Aggregate, VariantAggregate};

/// The metrics of the table over seeds, in its order.
pub const HEADLINE: [&str; 8] = [
    "max_term",
    "term_inflation",
    "leader_changes",
    "disruptions",
    "leaderless_ms",
    "failover_ms.max",
    "unavailable_ms",
    "commit_latency_ms.p99",
];

/// The head of the table over seeds.
pub const STATS_HEAD: [&str; 9] = [
    "metric",
    "min",
    "mean",
    "p50",
    "p90",
    "p99",
    "max",
    "95% CI of the mean",
    "seeds",
];

/// The head of the pooled table.
pub const POOLED_HEAD: [&str; 9] = [
    "pooled, every sample",
    "count",
    "min",
    "p10",
    "p50",
    "p90",
    "p95",
    "p99",
    "max",
];

/// A statistic: two decimals, `—` for none.
pub fn cell(value: Option<f64>) -> String {
    value.map_or("—".to_string(), |x| format!("{x:.2}"))
}

/// "3 failing seeds, 1 cut short and left out; statistics over 17 seeds",
/// without the counts' nouns pluralised by the caller's rule.
pub fn counted(v: &VariantAggregate) -> String {
    let left_out = match v.cut_short {
        0 => String::new(),
        n => format!(", {n} cut short and left out"),
    };
    format!(
        "{}{left_out}; statistics over {}",
        crate::charts::common::plural(v.failed_seeds, "failing seed", "failing seeds"),
        crate::charts::common::plural(v.counted, "seed", "seeds")
    )
}

/// The table over seeds: one row per `HEADLINE` metric the variant has,
/// cells as `STATS_HEAD`; `ci` writes the 95% interval of the mean,
/// clipped to the samples' range (the normal approximation can reach below
/// the smallest sample, e.g. under 0 for a count that is almost always 0,
/// where the mean cannot be).
pub fn stats_rows(v: &VariantAggregate, ci: fn([f64; 2]) -> String) -> Vec<[String; 9]> {
    HEADLINE
        .iter()
        .filter_map(|&key| {
            let s = v.metrics.get(key)?;
            Some([
                key.to_string(),
                cell(s.min),
                cell(s.mean),
                cell(s.p50),
                cell(s.p90),
                cell(s.p99),
                cell(s.max),
                s.ci95
                    .map(|[low, high]| clip(low, high, s.min, s.max))
                    .map_or("—".to_string(), ci),
                s.count.to_string(),
            ])
        })
        .collect()
}

fn clip(low: f64, high: f64, min: Option<f64>, max: Option<f64>) -> [f64; 2] {
    let low = min.map_or(low, |m| low.max(m));
    let high = max.map_or(high, |m| high.min(m));
    [low, high]
}

/// The mean over seeds and its 95% confidence interval (clipped to the
/// samples' range): `12.30 [10.10, 14.50]`, `—` without a value.
pub fn mean_with_ci(s: &Summary) -> String {
    match (s.mean, s.ci95) {
        (Some(mean), Some([low, high])) => {
            let [low, high] = clip(low, high, s.min, s.max);
            format!("{mean:.2} [{low:.2}, {high:.2}]")
        }
        (mean, _) => cell(mean),
    }
}

/// Every variant side by side: a head (`metric`, then the labels) and one
/// row per `HEADLINE` metric that some variant has, each cell the mean
/// over seeds with its 95% confidence interval.
pub fn side_by_side(aggregate: &Aggregate) -> (Vec<String>, Vec<Vec<String>>) {
    let mut head = vec!["mean [95% CI]".to_string()];
    head.extend(aggregate.variants.iter().map(|v| v.label.clone()));
    let rows = HEADLINE
        .iter()
        .filter(|&&key| {
            aggregate
                .variants
                .iter()
                .any(|v| v.metrics.contains_key(key))
        })
        .map(|&key| {
            let mut row = vec![key.to_string()];
            row.extend(
                aggregate
                    .variants
                    .iter()
                    .map(|v| v.metrics.get(key).map_or("—".to_string(), mean_with_ci)),
            );
            row
        })
        .collect();
    (head, rows)
}

/// The pooled table: failovers, elections and commits, cells as
/// `POOLED_HEAD`.
pub fn pooled_rows(v: &VariantAggregate) -> Vec<[String; 9]> {
    let p = &v.pooled;
    [
        ("failover_ms", &p.failover_ms),
        ("election_ms", &p.election_ms),
        ("settled_ms", &p.settled_ms),
        ("commit_latency_ms", &p.commit_latency_ms),
    ]
    .into_iter()
    .map(|(key, d)| {
        [
            key.to_string(),
            d.count.to_string(),
            cell(d.min),
            cell(d.p10),
            cell(d.p50),
            cell(d.p90),
            cell(d.p95),
            cell(d.p99),
            cell(d.max),
        ]
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_without_values_show_a_dash() {
        assert_eq!(cell(None), "—");
        assert_eq!(cell(Some(2.5)), "2.50");
    }

    #[test]
    fn a_mean_comes_with_its_clipped_interval() {
        let stats = Summary {
            count: 3,
            min: Some(0.0),
            mean: Some(0.5),
            p50: Some(0.0),
            p90: Some(1.0),
            p99: Some(1.0),
            max: Some(1.0),
            ci95: Some([-0.2, 1.2]),
            ..Summary::default()
        };
        assert_eq!(mean_with_ci(&stats), "0.50 [0.00, 1.00]");
        let none = Summary {
            mean: None,
            ci95: None,
            ..stats
        };
        assert_eq!(mean_with_ci(&none), "—");
    }

    #[test]
    fn the_interval_of_the_mean_stays_within_the_samples() {
        // 999 zeros and one 1: the normal interval reaches below 0.
        assert_eq!(clip(-0.001, 0.003, Some(0.0), Some(1.0)), [0.0, 0.003]);
        assert_eq!(clip(1.5, 9.0, Some(1.0), Some(4.0)), [1.5, 4.0]);
        assert_eq!(clip(-1.0, 1.0, None, None), [-1.0, 1.0]);
    }
}
