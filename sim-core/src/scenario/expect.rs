//! The checks of what a file expects of its run: `expect` (a known
//! variant, a known metric, sensible bounds) and `published` (the points a
//! sweep's chart draws beside raftsim's). Part of validation: errors go to
//! the same collector, with their JSON paths.

use crate::metrics::Metrics;

use super::validate::Check;
use super::{ExpectSpec, ScenarioFile};

/// The labels an expectation may name: the variants', or "default" for a
/// file without variants.
fn variant_labels(file: &ScenarioFile) -> Vec<&str> {
    if file.variants.is_empty() {
        vec!["default"]
    } else {
        file.variants.iter().map(|v| v.label.as_str()).collect()
    }
}

impl Check {
    /// The expectations: a known variant, a known metric, sensible bounds.
    pub(super) fn expectations(&mut self, file: &ScenarioFile) {
        let known_labels = variant_labels(file);
        let metric_keys = Metrics::keys();
        for (i, e) in file.expect.iter().enumerate() {
            self.expectation(&format!("expect[{i}]"), e, &known_labels, &metric_keys);
        }
    }

    /// `published`: a source, the one metric the chart draws them on,
    /// known variants, known percentiles, plausible milliseconds.
    pub(super) fn published(&mut self, file: &ScenarioFile) {
        let Some(published) = &file.published else {
            return;
        };
        let source = published.source.trim();
        if source.is_empty() || published.source.chars().count() > 200 {
            self.fail("published.source", "must be 1 to 200 characters");
        }
        if published.metric != "settled_ms" {
            self.fail(
                "published.metric",
                format!(
                    "{:?}: only \"settled_ms\", the pooled distribution the sweep's chart draws, \
                     takes published points",
                    published.metric
                ),
            );
        }
        if published.points.is_empty() || published.points.len() > 64 {
            self.fail("published.points", "must hold 1 to 64 entries");
        }
        let labels = variant_labels(file);
        for (i, point) in published.points.iter().enumerate() {
            let path = format!("published.points[{i}]");
            if !labels.contains(&point.variant.as_str()) {
                self.fail(
                    format!("{path}.variant"),
                    format!(
                        "no variant is labelled {:?}: the variants are {}",
                        point.variant,
                        labels.join(", ")
                    ),
                );
            }
            if point.quantiles.given().next().is_none() {
                self.fail(
                    format!("{path}.quantiles"),
                    "gives no percentile: give any of p10, p50, p90, p95, p99",
                );
            }
            for (key, _, ms) in point.quantiles.given() {
                if !(ms.is_finite() && ms > 0.0 && ms <= 604_800_000.0) {
                    self.fail(
                        format!("{path}.quantiles.{key}"),
                        format!("{ms} ms: must be more than 0 and at most 604800000"),
                    );
                }
            }
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
        if !metric_keys.contains(&e.metric) && Metrics::message_type(&e.metric).is_none() {
            self.fail(
                format!("{path}.metric"),
                format!(
                    "unknown metric {:?}: known metrics are {} and messages_by_type.TYPE",
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
