//! `sweep`'s text on stdout: each variant's headline metrics over the
//! seeds side by side, its pooled distributions, and the failing seeds with
//! the commands that replay them.

use super::*;

/// The headline metrics of each variant over the seeds and its pooled
/// distributions, then the failing seeds with their reproduce commands
/// (and the viewer written for each, if any).
pub(super) fn summary(aggregate: &Aggregate, viewers: &[(u64, PathBuf)]) -> String {
    let seeds = aggregate.seeds[1] - aggregate.seeds[0];
    let mut out = format!(
        "{} — seeds {}..{} ({} × {} = {})\n",
        aggregate.scenario,
        aggregate.seeds[0],
        aggregate.seeds[1],
        plural(seeds as usize, "seed"),
        plural(aggregate.variants.len(), "variant"),
        plural(seeds as usize * aggregate.variants.len(), "run"),
    );
    out.push_str(&side_by_side(aggregate));
    for v in &aggregate.variants {
        out.push_str(&variant_summary(v));
    }
    if aggregate.failures.is_empty() {
        out.push_str("\nno failing seeds\n");
    } else {
        out.push_str(&format!(
            "\n{}:\n",
            plural(aggregate.failed_seeds as usize, "failing seed")
        ));
        for f in aggregate.failures.iter().take(FAILURES_LISTED) {
            out.push_str(&format!("  {}\n", f.command));
            for reason in &f.reasons {
                out.push_str(&format!("      {reason}\n"));
            }
            if let Some((_, path)) = viewers.iter().find(|(seed, _)| *seed == f.seed) {
                out.push_str(&format!("      viewer: {}\n", path.display()));
            }
        }
        if aggregate.failures.len() > FAILURES_LISTED {
            out.push_str(&format!(
                "  ... and {} more (see sweep.json)\n",
                aggregate.failures.len() - FAILURES_LISTED
            ));
        }
    }
    out
}

/// The width the side-by-side table keeps within: more variants than fit
/// go on into another block of columns below.
const TABLE_WIDTH: usize = 120;

/// Every variant side by side: per headline metric, the mean over seeds
/// with its 95% confidence interval.
fn side_by_side(aggregate: &Aggregate) -> String {
    let (head, rows) = sweep_table::side_by_side(aggregate);
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .chain([head[col].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let mut out =
        String::from("\nside by side: the mean over seeds [its 95% confidence interval]\n");
    let first = width(0);
    let mut start = 1;
    while start < head.len() {
        let mut end = start;
        let mut used = 2 + first;
        while end < head.len() && (end == start || used + 2 + width(end) <= TABLE_WIDTH) {
            used += 2 + width(end);
            end += 1;
        }
        let line = |cells: &[String]| {
            let mut line = format!("  {:<first$}", cells[0]);
            for (col, cell) in cells.iter().enumerate().take(end).skip(start) {
                line.push_str(&format!("  {cell:>w$}", w = width(col)));
            }
            line.push('\n');
            line
        };
        if start > 1 {
            out.push('\n');
        }
        out.push_str(&line(&head));
        for row in &rows {
            out.push_str(&line(row));
        }
        start = end;
    }
    out
}

/// One variant: a table over seeds, then the pooled table.
fn variant_summary(v: &VariantAggregate) -> String {
    let stats = |r: &[String]| {
        format!(
            "  {:<22} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}  {:>23} {:>6}\n",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
        )
    };
    let pooled = |r: &[String]| {
        format!(
            "  {:<22} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
        )
    };
    let head = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let mut out = format!("\n{} ({})\n", v.label, sweep_table::counted(v));
    out.push_str(&stats(&head(&sweep_table::STATS_HEAD)));
    let ci = |[low, high]: [f64; 2]| format!("[{low:>9.2}, {high:>9.2}]");
    for row in sweep_table::stats_rows(v, ci) {
        out.push_str(&stats(&row));
    }
    out.push_str(&pooled(&head(&sweep_table::POOLED_HEAD)));
    for row in sweep_table::pooled_rows(v) {
        out.push_str(&pooled(&row));
    }
    out
}
