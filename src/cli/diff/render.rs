//! `diff`'s text: each change with its direction and size, the verdict
//! per metric and the table per variant.

use super::{is_better, is_worse, Diff, Kind, MetricDiff, Verdict};

fn number(value: Option<f64>) -> String {
    match value {
        None => "—".to_string(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        // Never "-0": a change too small for three decimals keeps its size.
        Some(v) if v.abs() < 0.0005 => format!("{v:.1e}"),
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
        Some(a) if a != 0.0 => format!(" ({})", percent(change / a.abs() * 100.0)),
        _ => String::new(),
    };
    format!("{sign}{}{relative}", number(Some(change)))
}

/// A relative change: whole percents from 1%, two significant digits
/// below (-0.43%, never "-0%"), "<0.01%" below that.
fn percent(value: f64) -> String {
    let sign = if value > 0.0 { "+" } else { "-" };
    let size = value.abs();
    if size >= 1.0 {
        format!("{sign}{size:.0}%")
    } else if size >= 0.1 {
        format!("{sign}{size:.2}%")
    } else if size >= 0.01 {
        format!("{sign}{size:.3}%")
    } else {
        format!("{sign}<0.01%")
    }
}

fn verdict_text(m: &MetricDiff, kind: Kind) -> String {
    let tested = match (kind, m.significant, m.p_adjusted) {
        (Kind::Results, _, _) => return single_verdict(m.verdict).to_string(),
        (Kind::Sweep, Some(true), Some(p)) => Ok(p),
        (Kind::Sweep, Some(false), Some(p)) => Err(format!("not significant, {}", p_text(p))),
        (Kind::Sweep, _, _) => Err("untested".to_string()),
    };
    match (m.verdict, tested) {
        (Verdict::Worse, Ok(p)) => format!("▲ WORSE ({})", p_text(p)),
        (Verdict::Better, Ok(p)) => format!("▼ better ({})", p_text(p)),
        (Verdict::Worse, Err(why)) => format!("worse ({why})"),
        (Verdict::Better, Err(why)) => format!("better ({why})"),
        (Verdict::Changed, _) => "changed".to_string(),
        (Verdict::Same, _) => String::new(),
    }
}

/// A single run's change: real for that seed, but one sample of it.
fn single_verdict(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Worse => "▲ worse (one sample)",
        Verdict::Better => "▼ better (one sample)",
        Verdict::Changed => "changed",
        Verdict::Same => "",
    }
}

/// An adjusted p-value: "p = 0.032", "p = 0.0004", "p < 0.0001".
fn p_text(p: f64) -> String {
    if p < 0.0001 {
        "p < 0.0001".to_string()
    } else if p < 0.01 {
        format!("p = {p:.4}")
    } else {
        format!("p = {p:.3}")
    }
}

pub(super) fn render(diff: &Diff, a_about: &str, b_about: &str, all: bool) -> String {
    let mut text = format!("a: {} ({a_about})\nb: {} ({b_about})\n", diff.a, diff.b);
    if diff.kind == Kind::Sweep {
        text.push_str("values: means over seeds\n");
    }
    text.push_str(&format!("significance: {}\n", diff.test));
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
            worse += usize::from(is_worse(m, diff.kind));
            better += usize::from(is_better(m, diff.kind));
            let line = format!(
                "  {:<width$}  {:>12}  {:>12}  {:>18}  {}",
                m.metric,
                number(m.a.value),
                number(m.b.value),
                change_text(m),
                verdict_text(m, diff.kind)
            );
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    let beyond_noise = match diff.kind {
        Kind::Results => " (one run each: no test)",
        Kind::Sweep => " (significant by the test)",
    };
    text.push_str(&format!(
        "\n{worse} metric{} worse, {better} better{beyond_noise}\n",
        if worse == 1 { "" } else { "s" }
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_relative_change_is_never_minus_zero_percent() {
        assert_eq!(percent(-0.4), "-0.40%");
        assert_eq!(percent(-0.04), "-0.040%");
        assert_eq!(percent(-0.004), "-<0.01%");
        assert_eq!(percent(12.4), "+12%");
        assert_eq!(number(Some(-0.0004)), "-4.0e-4");
        assert_eq!(number(Some(-1.0)), "-1");
    }
}
