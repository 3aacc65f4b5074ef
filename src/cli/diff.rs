//! `raftsim diff A B`: two results (of `run`) or two sweep aggregates (of
//! `sweep`) side by side, per variant and metric, with the change and
//! whether it is worse or better. Reads the JSON generically, so results of
//! an older or newer raftsim still compare on the keys they share.
//!
//! A change between two sweeps counts only when a stated test says so: the
//! Mann–Whitney U test on the per-seed values (seeds.jsonl beside each
//! sweep.json), two-sided, with Holm's correction over the metrics of each
//! variant, at α = 0.05. Two single runs are one sample each: their changes
//! are shown, with no claim of significance. Comparing different
//! scenarios, or different seeds, is said on stderr.

mod render;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use sim_core::stats::mann_whitney;
use sim_core::sweep::SeedRecord;

use super::input::{self, ReadError};
use super::{CliResult, Failure, EXIT_FAILED, EXIT_OK};

/// The level at which a Holm-adjusted p-value marks a change significant.
const ALPHA: f64 = 0.05;

/// The test `diff` applies to two sweeps, as printed.
const TEST: &str = "Mann–Whitney U test on the per-seed values (two-sided, normal \
approximation with tie and continuity corrections), Holm's correction over the metrics \
of each variant, α = 0.05";

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim run isolate-rejoin --out before\n  \
    raftsim run isolate-rejoin --seed 2 --out after\n  raftsim diff before after")]
pub struct DiffArgs {
    /// The first results: results.json of `run --out` (or `run --json`
    /// output), sweep.json of `sweep --out` (or `sweep --json` output), or
    /// the directory holding either.
    a: PathBuf,
    /// The second results, of the same kind.
    b: PathBuf,
    /// Show every metric, not only those that changed.
    #[arg(long)]
    all: bool,
    /// Print the comparison as JSON.
    #[arg(long)]
    json: bool,
    /// Exit 1 when any metric got worse (for scripts and CI).
    #[arg(long)]
    fail_on_worse: bool,
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// One run per variant (`run`): one value per metric.
    Results,
    /// A sweep aggregate: a distribution over seeds per metric; the mean is
    /// compared, with its 95% confidence interval.
    Sweep,
}

/// One side's value of a metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
struct Value1 {
    value: Option<f64>,
    /// The 95% confidence interval of a sweep's mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    ci95: Option<(f64, f64)>,
}

/// Which way a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Better {
    Lower,
    Higher,
    /// A counter whose change is neither good nor bad (events, messages).
    Neither,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Verdict {
    Same,
    Worse,
    Better,
    Changed,
}

#[derive(Debug, Serialize)]
struct MetricDiff {
    metric: String,
    a: Value1,
    b: Value1,
    change: Option<f64>,
    verdict: Verdict,
    /// For sweeps with per-seed values: the test's p-value, Holm-adjusted
    /// over the variant's metrics, and whether that is at most α.
    #[serde(skip_serializing_if = "Option::is_none")]
    p_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p_adjusted: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    significant: Option<bool>,
}

#[derive(Debug, Serialize)]
struct VariantDiff {
    label: String,
    /// "both", "only_a" or "only_b".
    present: &'static str,
    metrics: Vec<MetricDiff>,
}

#[derive(Debug, Serialize)]
struct Diff {
    kind: Kind,
    a: String,
    b: String,
    /// The test behind `significant`, or why there is none.
    test: String,
    /// Scenarios or seeds that differ, and the like.
    warnings: Vec<String>,
    variants: Vec<VariantDiff>,
}

/// Per metric (flattened key), the values of the counted seeds.
type PerSeed = Vec<(String, Vec<f64>)>;

/// A file as read: its kind, a one-line description, and per variant the
/// flattened metrics in file order.
struct Side {
    kind: Kind,
    about: String,
    scenario: String,
    /// The scenario's content, where the file says it (a run's results
    /// hold the whole scenario; a sweep directory, its fingerprint).
    content: Option<String>,
    /// The seed, or the seed range, as JSON text.
    seeds: String,
    variants: Vec<(String, Vec<(String, Value1)>)>,
    /// A sweep's per-seed values per variant (None without seeds.jsonl).
    per_seed: Option<Vec<(String, PerSeed)>>,
}

pub fn diff(args: DiffArgs) -> CliResult {
    let a = read_side(&args.a)?;
    let b = read_side(&args.b)?;
    if a.kind != b.kind {
        return Err(Failure::bad_input(format!(
            "{} holds {} but {} holds {}: compare results with results, sweeps with sweeps",
            args.a.display(),
            kind_name(a.kind),
            args.b.display(),
            kind_name(b.kind)
        )));
    }
    let diff = compare(&a, &b, &args.a, &args.b);
    for warning in &diff.warnings {
        eprintln!("warning: {warning}");
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&diff).expect("a diff serialises")
        );
    } else {
        print!("{}", render::render(&diff, &a.about, &b.about, args.all));
    }
    let worse = diff
        .variants
        .iter()
        .flat_map(|v| &v.metrics)
        .any(|m| is_worse(m, diff.kind));
    Ok(if args.fail_on_worse && worse {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Results => "the results of a run",
        Kind::Sweep => "a sweep aggregate",
    }
}

/// Reads a results or sweep file (or the directory holding one).
fn read_side(path: &Path) -> Result<Side, Failure> {
    let file = if path.is_dir() {
        ["results.json", "sweep.json"]
            .iter()
            .map(|name| path.join(name))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Failure::bad_input(format!(
                    "{}: holds neither results.json nor sweep.json",
                    path.display()
                ))
            })?
    } else {
        path.to_path_buf()
    };
    let shown = path.display();
    let text = input::read_text(&file, input::MAX_RESULTS_BYTES).map_err(|e| match e {
        ReadError::Io(_) => Failure::bad_input(format!("{shown}: {e}")),
        ReadError::TooLarge { .. } | ReadError::NotUtf8 => {
            Failure::bad_input(format!("{shown}: not JSON: {e}"))
        }
    })?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::bad_input(format!("{shown}: not JSON: {e}")))?;
    let variants = json
        .get("variants")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Failure::bad_input(format!(
                "{shown}: no `variants` array: not the results of `raftsim run` or `raftsim sweep`"
            ))
        })?;
    let scenario = json.get("scenario").and_then(Value::as_str).unwrap_or("?");
    let kind = if json.get("seeds").is_some() {
        Kind::Sweep
    } else {
        Kind::Results
    };
    let about = match kind {
        Kind::Results => format!(
            "{scenario}, seed {}",
            json.get("seed").map_or("?".to_string(), Value::to_string)
        ),
        Kind::Sweep => match json["seeds"].as_array().map(Vec::as_slice) {
            Some([from, to]) => format!("{scenario}, seeds {from}..{to}"),
            _ => format!("{scenario}, seeds {}", json["seeds"]),
        },
    };
    let dir = file.parent().unwrap_or(Path::new("."));
    let (content, seeds, per_seed) = match kind {
        Kind::Results => (
            json.get("scenario_file").map(Value::to_string),
            json.get("seed").map_or("?".to_string(), Value::to_string),
            None,
        ),
        Kind::Sweep => (
            fingerprint(dir),
            json["seeds"].to_string(),
            read_per_seed(&dir.join("seeds.jsonl"))?,
        ),
    };
    let mut sides = Vec::new();
    for (i, variant) in variants.iter().enumerate() {
        let label = variant
            .get("label")
            .and_then(Value::as_str)
            .ok_or_else(|| Failure::bad_input(format!("{shown}: variants[{i}] has no label")))?;
        let metrics = variant
            .get("metrics")
            .ok_or_else(|| Failure::bad_input(format!("{shown}: variants[{i}] has no metrics")))?;
        let mut flat = Vec::new();
        match kind {
            Kind::Results => flatten("", metrics, &mut flat),
            Kind::Sweep => sweep_means(metrics, &mut flat),
        }
        sides.push((label.to_string(), flat));
    }
    Ok(Side {
        kind,
        about,
        scenario: scenario.to_string(),
        content,
        seeds,
        variants: sides,
        per_seed,
    })
}

/// The scenario fingerprint of a sweep directory (shard.json), if any.
fn fingerprint(dir: &Path) -> Option<String> {
    let text = input::read_text(&dir.join("shard.json"), input::MAX_SCENARIO_BYTES).ok()?;
    let info: Value = serde_json::from_str(&text).ok()?;
    info.get("fingerprint").map(Value::to_string)
}

/// The per-seed metric values of a sweep (seeds.jsonl): per variant, per
/// flattened metric, the values of the seeds the aggregate counts (no run
/// cut short). None when there is no seeds.jsonl (a `sweep --json` file).
fn read_per_seed(path: &Path) -> Result<Option<Vec<(String, PerSeed)>>, Failure> {
    if !path.is_file() {
        return Ok(None);
    }
    let shown = path.display();
    let text = input::read_text(path, input::MAX_RESULTS_BYTES)
        .map_err(|e| Failure::bad_input(format!("{shown}: {e}")))?;
    let mut out: Vec<(String, PerSeed)> = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let record: SeedRecord = serde_json::from_str(line)
            .map_err(|e| Failure::bad_input(format!("{shown}: line {}: {e}", i + 1)))?;
        for variant in record.counted().variants {
            let metrics = serde_json::to_value(&variant.metrics).expect("metrics serialise");
            let mut flat = Vec::new();
            flatten("", &metrics, &mut flat);
            let slot = match out.iter().position(|(label, _)| *label == variant.label) {
                Some(k) => &mut out[k].1,
                None => {
                    out.push((variant.label.clone(), Vec::new()));
                    &mut out.last_mut().expect("just pushed").1
                }
            };
            for (metric, value) in flat {
                let Some(value) = value.value else { continue };
                match slot.iter_mut().find(|(m, _)| *m == metric) {
                    Some((_, values)) => values.push(value),
                    None => slot.push((metric, vec![value])),
                }
            }
        }
    }
    Ok(Some(out))
}

/// The values of `metric` of variant `label`, if the side has them.
fn values_of<'a>(side: &'a Side, label: &str, metric: &str) -> Option<&'a [f64]> {
    let (_, metrics) = side.per_seed.as_ref()?.iter().find(|(l, _)| l == label)?;
    metrics
        .iter()
        .find(|(m, _)| m == metric)
        .map(|(_, values)| values.as_slice())
}

/// `{"a": 1, "b": {"c": 2}}` → `a`, `b.c`; null stays a value without a number.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value1)>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, member, out);
            }
        }
        Value::Number(_) | Value::Null => out.push((
            prefix.to_string(),
            Value1 {
                value: value.as_f64(),
                ci95: None,
            },
        )),
        Value::Bool(_) | Value::String(_) | Value::Array(_) => {}
    }
}

/// A sweep's per-metric statistics → the mean with its interval.
fn sweep_means(metrics: &Value, out: &mut Vec<(String, Value1)>) {
    let Some(members) = metrics.as_object() else {
        return;
    };
    for (key, stats) in members {
        let ci95 = stats
            .get("ci95")
            .and_then(Value::as_array)
            .and_then(|ci| Some((ci.first()?.as_f64()?, ci.get(1)?.as_f64()?)));
        out.push((
            key.clone(),
            Value1 {
                value: stats.get("mean").and_then(Value::as_f64),
                ci95,
            },
        ));
    }
}

/// Which way `metric` (a flattened key) is better.
fn better(metric: &str) -> Better {
    let (base, part) = metric.split_once('.').unwrap_or((metric, ""));
    if part == "count" {
        return match base {
            "commit_latency_ms" => Better::Higher,
            _ => Better::Neither,
        };
    }
    match base {
        "proposals_committed" => Better::Higher,
        "max_term"
        | "term_inflation"
        | "elections_started"
        | "pre_votes_started"
        | "leader_changes"
        | "disruptions"
        | "leaderless_ms"
        | "unavailable_ms"
        | "failover_ms"
        | "election_ms"
        | "settled_ms"
        | "commit_latency_ms"
        | "first_leader_ms"
        | "failovers_unfinished"
        | "proposals_uncommitted"
        | "messages_dropped" => Better::Lower,
        _ => Better::Neither,
    }
}

fn verdict(metric: &str, a: Option<f64>, b: Option<f64>) -> Verdict {
    match (a, b) {
        (Some(a), Some(b)) if a == b => Verdict::Same,
        (None, None) => Verdict::Same,
        (Some(a), Some(b)) => match (better(metric), b > a) {
            (Better::Lower, true) | (Better::Higher, false) => Verdict::Worse,
            (Better::Lower, false) | (Better::Higher, true) => Verdict::Better,
            (Better::Neither, _) => Verdict::Changed,
        },
        // A value appeared or vanished (e.g. no failover at all any more).
        (Some(_), None) | (None, Some(_)) => Verdict::Changed,
    }
}

fn compare(a: &Side, b: &Side, a_path: &Path, b_path: &Path) -> Diff {
    let tested = a.kind == Kind::Sweep && a.per_seed.is_some() && b.per_seed.is_some();
    let mut variants = Vec::new();
    for (label, a_metrics) in &a.variants {
        let Some((_, b_metrics)) = b.variants.iter().find(|(l, _)| l == label) else {
            variants.push(VariantDiff {
                label: label.clone(),
                present: "only_a",
                metrics: Vec::new(),
            });
            continue;
        };
        let mut metrics: Vec<MetricDiff> = a_metrics
            .iter()
            .filter_map(|(metric, av)| {
                let (_, bv) = b_metrics.iter().find(|(m, _)| m == metric)?;
                let change = av.value.zip(bv.value).map(|(x, y)| y - x);
                let p_value = values_of(a, label, metric)
                    .zip(values_of(b, label, metric))
                    .and_then(|(x, y)| mann_whitney::test(x, y))
                    .map(|outcome| outcome.p);
                Some(MetricDiff {
                    metric: metric.clone(),
                    a: *av,
                    b: *bv,
                    change,
                    verdict: verdict(metric, av.value, bv.value),
                    p_value,
                    p_adjusted: None,
                    significant: None,
                })
            })
            .collect();
        if tested {
            // Holm over the metrics of this variant that were tested.
            let which: Vec<usize> = (0..metrics.len())
                .filter(|&k| metrics[k].p_value.is_some())
                .collect();
            let p: Vec<f64> = which.iter().filter_map(|&k| metrics[k].p_value).collect();
            for (&k, adjusted) in which.iter().zip(mann_whitney::holm(&p)) {
                metrics[k].p_adjusted = Some(adjusted);
                metrics[k].significant = Some(adjusted <= ALPHA);
            }
        }
        variants.push(VariantDiff {
            label: label.clone(),
            present: "both",
            metrics,
        });
    }
    for (label, _) in &b.variants {
        if !a.variants.iter().any(|(l, _)| l == label) {
            variants.push(VariantDiff {
                label: label.clone(),
                present: "only_b",
                metrics: Vec::new(),
            });
        }
    }
    let test = match (a.kind, tested) {
        (Kind::Sweep, true) => TEST.to_string(),
        (Kind::Sweep, false) => "none: a sweep without seeds.jsonl beside its sweep.json \
            (a `sweep --json` file) has no per-seed values; diff the `sweep --out` \
            directories to test the changes"
            .to_string(),
        (Kind::Results, _) => "none: each value is one run of one seed, one sample; \
            sweep both over seeds and diff the sweep directories to tell a change from noise"
            .to_string(),
    };
    Diff {
        kind: a.kind,
        a: a_path.display().to_string(),
        b: b_path.display().to_string(),
        test,
        warnings: warnings(a, b),
        variants,
    }
}

/// What makes the comparison suspect: another scenario, other seeds.
fn warnings(a: &Side, b: &Side) -> Vec<String> {
    let mut out = Vec::new();
    if a.scenario != b.scenario {
        out.push(format!(
            "a is of scenario {:?}, b of {:?}: the differences may come from the scenarios, not from a change",
            a.scenario, b.scenario
        ));
    } else if let (Some(x), Some(y)) = (&a.content, &b.content) {
        if x != y {
            out.push(format!(
                "a and b ran different versions of scenario {:?} (its settings, events or --set differ)",
                a.scenario
            ));
        }
    }
    if a.seeds != b.seeds {
        let what = match a.kind {
            Kind::Results => "seed",
            Kind::Sweep => "seed range",
        };
        out.push(format!(
            "a and b ran with another {what} ({} and {}): the differences include the seeds' own variation",
            a.seeds, b.seeds
        ));
    }
    out
}

/// Worse, and for a sweep significantly so by the test.
fn is_worse(m: &MetricDiff, kind: Kind) -> bool {
    m.verdict == Verdict::Worse && counts(m, kind)
}

fn is_better(m: &MetricDiff, kind: Kind) -> bool {
    m.verdict == Verdict::Better && counts(m, kind)
}

/// A single run's change always counts (there is nothing to test it
/// with); a sweep's only when the test found it significant.
fn counts(m: &MetricDiff, kind: Kind) -> bool {
    match kind {
        Kind::Results => true,
        Kind::Sweep => m.significant == Some(true),
    }
}
