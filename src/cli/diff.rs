//! `raftsim diff A B`: two results (of `run`) or two sweep aggregates (of
//! `sweep`) side by side, per variant and metric, with the change and
//! whether it is worse or better. Reads the JSON generically, so results of
//! an older or newer raftsim still compare on the keys they share.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{CliResult, Failure, EXIT_FAILED, EXIT_OK};

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
    /// For sweeps: whether the two 95% intervals of the mean are disjoint.
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
    variants: Vec<VariantDiff>,
}

/// A file as read: its kind, a one-line description, and per variant the
/// flattened metrics in file order.
struct Side {
    kind: Kind,
    about: String,
    variants: Vec<(String, Vec<(String, Value1)>)>,
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
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&diff).expect("a diff serialises")
        );
    } else {
        print!("{}", render(&diff, &a.about, &b.about, args.all));
    }
    let worse = diff.variants.iter().flat_map(|v| &v.metrics).any(is_worse);
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
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Failure::bad_input(format!("{shown}: cannot read: {e}")))?;
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
        variants: sides,
    })
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
        let metrics = a_metrics
            .iter()
            .filter_map(|(metric, av)| {
                let (_, bv) = b_metrics.iter().find(|(m, _)| m == metric)?;
                let change = av.value.zip(bv.value).map(|(x, y)| y - x);
                let significant = av
                    .ci95
                    .zip(bv.ci95)
                    .map(|((a_lo, a_hi), (b_lo, b_hi))| a_hi < b_lo || b_hi < a_lo);
                Some(MetricDiff {
                    metric: metric.clone(),
                    a: *av,
                    b: *bv,
                    change,
                    verdict: verdict(metric, av.value, bv.value),
                    significant,
                })
            })
            .collect();
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
    Diff {
        kind: a.kind,
        a: a_path.display().to_string(),
        b: b_path.display().to_string(),
        variants,
    }
}

/// Worse, and for a sweep beyond the noise of the two means.
fn is_worse(m: &MetricDiff) -> bool {
    m.verdict == Verdict::Worse && m.significant != Some(false)
}

fn is_better(m: &MetricDiff) -> bool {
    m.verdict == Verdict::Better && m.significant != Some(false)
}

fn number(value: Option<f64>) -> String {
    match value {
        None => "—".to_string(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
    }
}

fn change_text(m: &MetricDiff) -> String {
    let Some(change) = m.change else {
        return String::new();
    };
    let sign = if change > 0.0 { "+" } else { "" };
    let relative = match m.a.value {
        Some(a) if a != 0.0 => format!(" ({sign}{:.0}%)", change / a.abs() * 100.0),
        _ => String::new(),
    };
    format!("{sign}{}{relative}", number(Some(change)))
}

fn verdict_text(m: &MetricDiff) -> &'static str {
    let noise = m.significant == Some(false);
    match (m.verdict, noise) {
        (Verdict::Worse, false) => "▲ WORSE",
        (Verdict::Worse, true) => "worse (within noise)",
        (Verdict::Better, false) => "▼ better",
        (Verdict::Better, true) => "better (within noise)",
        (Verdict::Changed, _) => "changed",
        (Verdict::Same, _) => "",
    }
}

fn render(diff: &Diff, a_about: &str, b_about: &str, all: bool) -> String {
    let mut text = format!("a: {} ({a_about})\nb: {} ({b_about})\n", diff.a, diff.b);
    if diff.kind == Kind::Sweep {
        text.push_str("means over seeds; \"within noise\": the 95% confidence intervals overlap\n");
    }
    let (mut worse, mut better) = (0, 0);
    for variant in &diff.variants {
        text.push('\n');
        match variant.present {
            "only_a" => {
                text.push_str(&format!("{}: only in a\n", variant.label));
                continue;
            }
            "only_b" => {
                text.push_str(&format!("{}: only in b\n", variant.label));
                continue;
            }
            _ => {}
        }
        let shown: Vec<&MetricDiff> = variant
            .metrics
            .iter()
            .filter(|m| all || m.verdict != Verdict::Same)
            .collect();
        if shown.is_empty() {
            text.push_str(&format!("{}: no metric changed\n", variant.label));
            continue;
        }
        text.push_str(&format!("{}\n", variant.label));
        let width = shown
            .iter()
            .map(|m| m.metric.len())
            .max()
            .unwrap_or(6)
            .max(6);
        text.push_str(&format!(
            "  {:<width$}  {:>12}  {:>12}  {:>18}\n",
            "metric", "a", "b", "change"
        ));
        for m in shown {
            worse += usize::from(is_worse(m));
            better += usize::from(is_better(m));
            let line = format!(
                "  {:<width$}  {:>12}  {:>12}  {:>18}  {}",
                m.metric,
                number(m.a.value),
                number(m.b.value),
                change_text(m),
                verdict_text(m)
            );
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    let beyond_noise = match diff.kind {
        Kind::Results => "",
        Kind::Sweep => " beyond noise",
    };
    text.push_str(&format!(
        "\n{worse} metric{} worse, {better} better{beyond_noise}\n",
        if worse == 1 { "" } else { "s" }
    ));
    text
}
