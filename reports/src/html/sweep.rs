//! The HTML report of a sweep: one self-contained page (the same style as
//! a run's report) with the scenario, the seed range and the command that
//! reproduces the sweep, every failing seed with the command that replays
//! it, the distribution chart inlined, then each variant's distributions
//! over seeds and its pooled distributions. Made from the aggregate alone,
//! so a sweep and its merged shards write the same page.

use std::fmt::Write;

use sim_core::sweep::{Aggregate, VariantAggregate};

use super::{escape, write_facts, write_figures, write_head, write_title, Figure};
use crate::charts::common::plural;
use crate::sweep_table;

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
    write_side_by_side(out, aggregate)?;
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

/// `<tr>` of cells.
fn write_row(out: &mut String, cells: &[String]) -> std::fmt::Result {
    write!(out, "<tr>")?;
    for c in cells {
        write!(out, "<td>{}</td>", escape(c))?;
    }
    writeln!(out, "</tr>")
}

/// A table of `head` and `rows`.
fn write_table<H: AsRef<str>, R: AsRef<[String]>>(
    out: &mut String,
    class: &str,
    head: &[H],
    rows: &[R],
) -> std::fmt::Result {
    write!(out, "<table class=\"{class}\">\n<thead><tr>")?;
    for name in head {
        write!(out, "<th>{}</th>", escape(name.as_ref()))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for row in rows {
        write_row(out, row.as_ref())?;
    }
    writeln!(out, "</tbody>\n</table>")
}

/// Every variant side by side: the mean of each headline metric over the
/// seeds with its 95% confidence interval.
fn write_side_by_side(out: &mut String, aggregate: &Aggregate) -> std::fmt::Result {
    writeln!(out, "<h2>Side by side</h2>")?;
    writeln!(
        out,
        "<p>Each cell: the mean over the counted seeds and, in brackets, its 95% confidence interval (normal approximation, clipped to the values seen).</p>"
    )?;
    let (head, rows) = sweep_table::side_by_side(aggregate);
    write_table(out, "sweep-side-by-side", &head, &rows)
}

/// One variant: what was counted, the table over seeds, the pooled table.
fn write_variant(out: &mut String, v: &VariantAggregate) -> std::fmt::Result {
    writeln!(out, "<h3>{}</h3>", escape(&v.label))?;
    writeln!(out, "<p>{}.</p>", escape(&sweep_table::counted(v)))?;
    let ci = |[low, high]: [f64; 2]| format!("[{low:.2}, {high:.2}]");
    write_table(
        out,
        "sweep-stats",
        &sweep_table::STATS_HEAD,
        &sweep_table::stats_rows(v, ci),
    )?;
    write_table(
        out,
        "sweep-pooled",
        &sweep_table::POOLED_HEAD,
        &sweep_table::pooled_rows(v),
    )
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
