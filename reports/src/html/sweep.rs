//! The HTML report of a sweep: one self-contained page (the same style as
//! a run's report) with the scenario, the seed range and the command that
//! reproduces the sweep, every failing seed with the command that replays
//! it, the distribution chart inlined, then each variant's distributions
//! over seeds and its pooled distributions. Made from the aggregate alone,
//! so a sweep and its merged shards write the same page.

use std::fmt::Write;

use sim_core::sweep::{Aggregate, PooledDistribution, Stats, VariantAggregate};

use super::{escape, write_facts, write_figures, write_head, write_title, Figure};
use crate::charts::common::plural;

/// The metrics of the per-seed table, in its order (the CLI's summary
/// shows the same).
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

/// The page lists at most this many failing seeds (sweep.json has them all).
pub const MAX_FAILURES_LISTED: usize = 500;

/// A sweep: its aggregate, the command that reproduces it and the
/// distribution chart.
pub struct SweepPage<'a> {
    pub aggregate: &'a Aggregate,
    /// `raftsim sweep FILE --seeds A..B ...`.
    pub command: &'a str,
    pub figures: &'a [Figure<'a>],
}

/// The whole page.
pub fn report(page: &SweepPage) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, page);
    out
}

fn write_report(out: &mut String, page: &SweepPage) -> std::fmt::Result {
    let aggregate = page.aggregate;
    let name = escape(&aggregate.scenario);
    write_head(out, &name)?;
    let failing: Vec<&str> = aggregate
        .variants
        .iter()
        .filter(|v| v.failed_seeds > 0)
        .map(|v| v.label.as_str())
        .collect();
    write_title(
        out,
        &name,
        "",
        (aggregate.failed_seeds == 0).then_some("every seed safe, every expectation met"),
        &format!(
            "{} ({})",
            plural(aggregate.failed_seeds, "failing seed", "failing seeds"),
            failing.join(", ")
        ),
    )?;
    write_facts(out, &facts(aggregate))?;
    writeln!(out, "<h2>Reproduce</h2>")?;
    writeln!(out, "<p>The command that runs this sweep again:</p>")?;
    writeln!(out, "<pre><code>{}</code></pre>", escape(page.command))?;
    write_failures(out, aggregate)?;
    write_figures(out, page.figures)?;
    writeln!(out, "<h2>Distributions</h2>")?;
    writeln!(
        out,
        "<p>Per variant, each metric over the seeds (one value per seed; runs cut short by a violation or the event limit are left out), then every failover, election and commit of every counted seed pooled. — marks a statistic without any value.</p>"
    )?;
    for v in &aggregate.variants {
        write_variant(out, v)?;
    }
    writeln!(out, "</body>\n</html>")
}

/// The seed range, the runs, the variants.
fn facts(aggregate: &Aggregate) -> Vec<(&'static str, String)> {
    let [a, b] = aggregate.seeds;
    let width = b.saturating_sub(a);
    let seeds = if aggregate.runs == width {
        format!("{a}..{b} ({})", plural(width, "seed", "seeds"))
    } else {
        format!("{a}..{b} ({} of the {width} seeds present)", aggregate.runs)
    };
    let labels: Vec<&str> = aggregate
        .variants
        .iter()
        .map(|v| v.label.as_str())
        .collect();
    let variants = labels.len() as u64;
    vec![
        ("scenario file", escape(&aggregate.file)),
        ("seeds", escape(&seeds)),
        ("variants", escape(&labels.join(", "))),
        (
            "runs",
            escape(&format!(
                "{} × {} = {}",
                plural(aggregate.runs, "seed", "seeds"),
                plural(variants, "variant", "variants"),
                plural(aggregate.runs * variants, "run", "runs")
            )),
        ),
        ("failing seeds", aggregate.failed_seeds.to_string()),
    ]
}

/// A statistic for a table: two decimals, `—` for none.
fn cell(value: Option<f64>) -> String {
    value.map_or("—".to_string(), |x| format!("{x:.2}"))
}

/// `<tr>` of cells, the first one left-aligned text.
fn write_row(out: &mut String, cells: &[String]) -> std::fmt::Result {
    write!(out, "<tr>")?;
    for c in cells {
        write!(out, "<td>{}</td>", escape(c))?;
    }
    writeln!(out, "</tr>")
}

/// A table's head row.
fn write_head_row(out: &mut String, class: &str, names: &[&str]) -> std::fmt::Result {
    write!(out, "<table class=\"{class}\">\n<thead><tr>")?;
    for n in names {
        write!(out, "<th>{}</th>", escape(n))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")
}

fn stats_cells(key: &str, s: &Stats) -> Vec<String> {
    let ci = s.ci95.map_or("—".to_string(), |[low, high]| {
        format!("[{low:.2}, {high:.2}]")
    });
    vec![
        key.to_string(),
        cell(s.min),
        cell(s.mean),
        cell(s.p50),
        cell(s.p90),
        cell(s.p99),
        cell(s.max),
        ci,
        s.seeds.to_string(),
    ]
}

fn pooled_cells(key: &str, d: &PooledDistribution) -> Vec<String> {
    vec![
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
}

/// One variant: what was counted, the table over seeds, the pooled table.
fn write_variant(out: &mut String, v: &VariantAggregate) -> std::fmt::Result {
    writeln!(out, "<h3>{}</h3>", escape(&v.label))?;
    let left_out = match v.cut_short {
        0 => String::new(),
        n => format!("; {n} cut short and left out"),
    };
    writeln!(
        out,
        "<p>{}{left_out}; statistics over {}.</p>",
        escape(&plural(v.failed_seeds, "failing seed", "failing seeds")),
        escape(&plural(v.counted, "seed", "seeds"))
    )?;
    write_head_row(
        out,
        "sweep-stats",
        &[
            "over seeds",
            "min",
            "mean",
            "p50",
            "p90",
            "p99",
            "max",
            "95% CI of the mean",
            "seeds",
        ],
    )?;
    for key in HEADLINE {
        if let Some(s) = v.metrics.get(key) {
            write_row(out, &stats_cells(key, s))?;
        }
    }
    writeln!(out, "</tbody>\n</table>")?;
    write_head_row(
        out,
        "sweep-pooled",
        &[
            "pooled, every sample",
            "count",
            "min",
            "p10",
            "p50",
            "p90",
            "p95",
            "p99",
            "max",
        ],
    )?;
    let p = &v.pooled;
    write_row(out, &pooled_cells("failover_ms", &p.failover_ms))?;
    write_row(out, &pooled_cells("election_ms", &p.election_ms))?;
    write_row(
        out,
        &pooled_cells("commit_latency_ms", &p.commit_latency_ms),
    )?;
    writeln!(out, "</tbody>\n</table>")
}

/// Every failing seed (up to `MAX_FAILURES_LISTED`), its reasons and the
/// command that replays it.
fn write_failures(out: &mut String, aggregate: &Aggregate) -> std::fmt::Result {
    writeln!(out, "<h2>Failing seeds</h2>")?;
    if aggregate.failures.is_empty() {
        return writeln!(
            out,
            "<p>No failing seed: every run safe, within its limit and meeting every expectation.</p>"
        );
    }
    writeln!(out, "<ul class=\"violations\">")?;
    for f in aggregate.failures.iter().take(MAX_FAILURES_LISTED) {
        write!(
            out,
            "<li><strong>seed {}</strong> ({})",
            f.seed,
            escape(&f.variants.join(", "))
        )?;
        for reason in &f.reasons {
            write!(out, "<br>{}", escape(reason))?;
        }
        writeln!(out, "<br>replay: <code>{}</code></li>", escape(&f.command))?;
    }
    writeln!(out, "</ul>")?;
    if aggregate.failures.len() > MAX_FAILURES_LISTED {
        writeln!(
            out,
            "<p>… and {} more failing seeds (see sweep.json).</p>",
            aggregate.failures.len() - MAX_FAILURES_LISTED
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_without_values_show_a_dash() {
        let cells = stats_cells("failover_ms.max", &Stats::of(&[]));
        assert_eq!(cells[0], "failover_ms.max");
        assert!(cells[1..8].iter().all(|c| c == "—"), "{cells:?}");
        assert_eq!(cells[8], "0");
        let cells = stats_cells("max_term", &Stats::of(&[2.0, 4.0]));
        assert_eq!(&cells[1..4], ["2.00", "3.00", "2.00"]);
    }
}
