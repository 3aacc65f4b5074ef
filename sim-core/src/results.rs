//! The results of running a scenario: per-variant metrics, safety verdicts,
//! trace hashes and series, plus the scenario's expectations checked against
//! them. This is the results JSON of docs/METRICS.md; more keys may be added,
//! none renamed.

use serde::{Deserialize, Serialize};

use crate::invariants::Violation;
use crate::metrics::{Metrics, Samples, Series};
use crate::node::NodeSet;
use crate::run::run_with;
use crate::scenario::{Scenario, Variant};
use crate::trace::{hash_hex, Tracer};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub scenario: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    pub nodes: u64,
    pub duration_ms: u64,
    /// The voters the cluster started with (the scenario's `members`),
    /// when not every node: the others are spares outside the
    /// configuration until a change adds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<NodeSet>,
    pub variants: Vec<VariantResult>,
    pub expectations: Vec<ExpectationResult>,
    /// The command that reproduces this run (filled in by the CLI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Scenario fields overridden on the command line (`--set PATH=VALUE`),
    /// in order; the scenario above is the file with these applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// The scenario file that ran (overrides applied), so that the results
    /// alone can replay any instant of the run (`raftsim inspect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_file: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantResult {
    pub label: String,
    /// The variant's resolved settings, in the scenario file's units.
    pub config: serde_json::Value,
    pub metrics: Metrics,
    pub safety: Safety,
    pub trace_hash: String,
    pub series: Series,
    /// Set when the run stopped at its event limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_reached: Option<String>,
    /// Set when the tracer could not write (the run itself is complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_error: Option<String>,
    /// Every sample behind the distributions, for a sweep's pooled
    /// distributions; not part of results.json.
    #[serde(skip)]
    pub samples: Samples,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Safety {
    pub ok: bool,
    pub violations: Vec<Violation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectationResult {
    pub variant: String,
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    pub actual: Option<f64>,
    pub ok: bool,
    /// Why an expectation failed without a value to compare: "no samples"
    /// for a metric with none (a null percentile, `first_leader_ms` of a
    /// run without a leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl VariantResult {
    /// Did the variant run to its end without a safety violation?
    pub fn ok(&self) -> bool {
        self.safety.ok && self.limit_reached.is_none()
    }
}

impl Results {
    pub fn variant(&self, label: &str) -> Option<&VariantResult> {
        self.variants.iter().find(|v| v.label == label)
    }

    /// No safety violation, no run cut short, every expectation met.
    pub fn passed(&self) -> bool {
        self.variants.iter().all(VariantResult::ok) && self.expectations.iter().all(|e| e.ok)
    }

    /// Labels of variants that failed (safety, limit or an expectation).
    pub fn failed_variants(&self) -> Vec<&str> {
        self.variants
            .iter()
            .filter(|v| {
                !v.ok()
                    || self
                        .expectations
                        .iter()
                        .any(|e| !e.ok && e.variant == v.label)
            })
            .map(|v| v.label.as_str())
            .collect()
    }
}

/// Quotes an argument for a POSIX shell command line, if it needs it, as
/// the reproduce commands in results, sweeps and reports write it.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+:=,@".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Runs one variant of a scenario with a seed.
pub fn run_variant(
    scenario: &Scenario,
    variant: &Variant,
    seed: u64,
    tracer: Option<&mut dyn Tracer>,
) -> VariantResult {
    let output = run_with(scenario.cluster_config(variant, seed), tracer);
    VariantResult {
        label: variant.label.clone(),
        config: variant.config_json.clone(),
        metrics: output.metrics,
        safety: Safety {
            ok: output.violations.is_empty(),
            violations: output.violations,
        },
        trace_hash: hash_hex(output.trace_hash),
        series: output.series,
        limit_reached: output.limit_reached,
        trace_error: output.trace_error,
        samples: output.samples,
    }
}

/// Puts variant results together and checks the scenario's expectations
/// against the variants that ran.
pub fn assemble(scenario: &Scenario, seed: u64, variants: Vec<VariantResult>) -> Results {
    let mut expectations = Vec::new();
    for spec in &scenario.file.expect {
        for result in &variants {
            if spec
                .variant
                .as_ref()
                .is_some_and(|label| *label != result.label)
            {
                continue;
            }
            let actual = result.metrics.get(&spec.metric);
            let ok = actual.is_some_and(|value| {
                spec.min.is_none_or(|min| value >= min) && spec.max.is_none_or(|max| value <= max)
            });
            let reason = actual
                .is_none()
                .then(|| match Metrics::is_key(&spec.metric) {
                    true => "no samples".to_string(),
                    false => format!("unknown metric {:?}", spec.metric),
                });
            expectations.push(ExpectationResult {
                variant: result.label.clone(),
                metric: spec.metric.clone(),
                min: spec.min,
                max: spec.max,
                actual,
                ok,
                reason,
            });
        }
    }
    Results {
        scenario: scenario.file.name.clone(),
        description: scenario.file.description.clone(),
        seed,
        nodes: scenario.file.nodes,
        duration_ms: scenario.file.duration_ms,
        members: scenario.file.members.is_some().then(|| scenario.members()),
        variants,
        expectations,
        command: None,
        overrides: Vec::new(),
        scenario_file: serde_json::to_value(&scenario.file).ok(),
    }
}

/// Runs every variant (in order) and checks expectations.
pub fn run_all(scenario: &Scenario, seed: u64) -> Results {
    let variants = scenario
        .variants()
        .iter()
        .map(|v| run_variant(scenario, v, seed, None))
        .collect();
    assemble(scenario, seed, variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("scenarios/a-b.json"), "scenarios/a-b.json");
        assert_eq!(shell_word("prevote+checkquorum"), "prevote+checkquorum");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
