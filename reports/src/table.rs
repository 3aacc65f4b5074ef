//! Text tables of results: the side-by-side table `raftsim run` prints.

use sim_core::results::{ExpectationResult, Results, VariantResult};

/// "178 ms", "12.3 s", "4 min 10 s".
pub fn duration_ms(ms: f64) -> String {
    if ms < 1_000.0 {
        if ms == ms.trunc() || ms >= 100.0 {
            format!("{ms:.0} ms")
        } else {
            format!("{ms:.1} ms")
        }
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1_000.0)
    } else {
        let s = (ms / 1_000.0).round() as u64;
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// A time that may have no value (a metric without samples): "—" then.
pub fn optional_ms(ms: Option<f64>) -> String {
    ms.map_or_else(|| "—".to_string(), duration_ms)
}

/// When a variant's run stopped before its duration: at its first safety
/// violation (the run stops on the step that broke it). None for a run
/// that went the whole way, and for one cut short by the event limit,
/// whose results record no time (its `limit_reached` says where).
pub fn stopped_at_ms(v: &VariantResult) -> Option<f64> {
    v.safety.violations.iter().map(|x| x.at_ms).reduce(f64::min)
}

/// The virtual time of a run, for a heading: the scenario's duration
/// ("1 min 0 s"); "stopped at 5.0 s of 1 min 0 s" when every variant
/// stopped at one instant; else the duration and which variants stopped
/// when ("1 min 0 s; planted stopped at 5.0 s").
pub fn virtual_time(results: &Results) -> String {
    let duration = duration_ms(results.duration_ms as f64);
    let stops: Vec<(&str, Option<f64>)> = results
        .variants
        .iter()
        .map(|v| (v.label.as_str(), stopped_at_ms(v)))
        .collect();
    if let [(_, Some(first)), ..] = stops.as_slice() {
        if stops.iter().all(|&(_, at)| at == Some(*first)) {
            return format!("stopped at {} of {duration}", duration_ms(*first));
        }
    }
    let stopped: Vec<String> = stops
        .iter()
        .filter_map(|&(label, at)| Some(format!("{label} stopped at {}", duration_ms(at?))))
        .collect();
    if stopped.is_empty() {
        duration
    } else {
        format!("{duration}; {}", stopped.join(", "))
    }
}

/// A row of the side-by-side table: its name and how a variant's cell reads.
pub type Row = (&'static str, fn(&VariantResult) -> String);

/// The headline rows, in order (the printed table and the HTML report).
pub const ROWS: [Row; 16] = [
    ("max term", |v| v.metrics.max_term.to_string()),
    ("term inflation", |v| v.metrics.term_inflation.to_string()),
    ("elections started", |v| {
        v.metrics.elections_started.to_string()
    }),
    ("pre-votes started", |v| {
        v.metrics.pre_votes_started.to_string()
    }),
    ("leader changes", |v| v.metrics.leader_changes.to_string()),
    ("disruptions", |v| v.metrics.disruptions.to_string()),
    ("first leader", |v| optional_ms(v.metrics.first_leader_ms)),
    ("leaderless time", |v| duration_ms(v.metrics.leaderless_ms)),
    ("failovers", |v| {
        let m = &v.metrics;
        match m.failovers_unfinished {
            0 => m.failover_ms.count.to_string(),
            open => format!("{} + {open} unfinished", m.failover_ms.count),
        }
    }),
    ("failover p50", |v| optional_ms(v.metrics.failover_ms.p50)),
    ("failover max", |v| optional_ms(v.metrics.failover_ms.max)),
    ("unavailable time", |v| {
        duration_ms(v.metrics.unavailable_ms)
    }),
    ("committed", |v| {
        let m = &v.metrics;
        format!("{}/{}", m.proposals_committed, m.proposals_submitted)
    }),
    ("commit latency p99", |v| {
        optional_ms(v.metrics.commit_latency_ms.p99)
    }),
    ("safety", |v| {
        if !v.safety.ok {
            "VIOLATED".to_string()
        } else if v.limit_reached.is_some() {
            "cut short".to_string()
        } else {
            "ok".to_string()
        }
    }),
    ("trace hash", |v| v.trace_hash.chars().take(8).collect()),
];

/// The membership rows, shown (before "safety") when a variant changed
/// its membership, transferred leadership or was disrupted by a removed
/// node: a scenario without any keeps the table it always had.
pub const MEMBERSHIP_ROWS: [Row; 4] = [
    ("membership changes", |v| {
        let c = v.metrics.membership_changes;
        match c.refused {
            0 => format!("{}/{}", c.committed, c.proposed),
            refused => format!("{}/{} ({refused} refused)", c.committed, c.proposed),
        }
    }),
    ("reconfiguration p50", |v| {
        optional_ms(v.metrics.reconfiguration_ms.p50)
    }),
    ("removed-node disruptions", |v| {
        v.metrics.removed_node_disruptions.to_string()
    }),
    ("transfer p50", |v| optional_ms(v.metrics.transfer_ms.p50)),
];

/// The rows of the side-by-side table of `results`, in order.
pub fn rows(results: &Results) -> Vec<Row> {
    let membership = results.variants.iter().any(|v| {
        let m = &v.metrics;
        m.membership_changes.proposed + m.membership_changes.refused > 0
            || m.removed_node_disruptions > 0
            || m.transfer_ms.count > 0
    });
    let (headline, tail) = ROWS.split_at(ROWS.len() - 2);
    let mut rows = headline.to_vec();
    if membership {
        rows.extend(MEMBERSHIP_ROWS);
    }
    rows.extend_from_slice(tail);
    debug_assert_eq!(rows.last().map(|r| r.0), Some("trace hash"));
    rows
}

/// A metric value or bound as the expectations show it: whole numbers
/// without decimals.
pub fn format_number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

/// An expectation's actual value, or "—" and why there is none ("no
/// samples").
pub fn actual(e: &ExpectationResult) -> String {
    match (e.actual, &e.reason) {
        (Some(value), _) => format_number(value),
        (None, Some(reason)) => format!("— ({reason})"),
        (None, None) => "—".to_string(),
    }
}

/// An expectation's bound: ">= 100", "<= 0", "in [1, 3]".
pub fn expected(e: &ExpectationResult) -> String {
    match (e.min, e.max) {
        (Some(min), Some(max)) => format!("in [{}, {}]", format_number(min), format_number(max)),
        (Some(min), None) => format!(">= {}", format_number(min)),
        (None, Some(max)) => format!("<= {}", format_number(max)),
        (None, None) => String::new(),
    }
}

/// The table `raftsim run` prints: one column per variant, one row per
/// headline metric, then the expectations with ✓/✗.
pub fn side_by_side(results: &Results) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} — seed {}, {} nodes, {} virtual\n\n",
        results.scenario,
        results.seed,
        results.nodes,
        virtual_time(results)
    ));
    let mut grid: Vec<Vec<String>> = vec![header("metric", results)];
    for (name, cell) in rows(results) {
        grid.push(
            std::iter::once(name.to_string())
                .chain(results.variants.iter().map(cell))
                .collect(),
        );
    }
    out.push_str(&grid_text(&grid));
    for v in &results.variants {
        for violation in &v.safety.violations {
            out.push_str(&format!(
                "\n✗ {}: safety violation ({}) at {} (event {}): {}\n",
                v.label,
                violation.property,
                duration_ms(violation.at_ms),
                violation.event,
                violation.message
            ));
        }
        if let Some(limit) = &v.limit_reached {
            out.push_str(&format!("\n✗ {}: {limit}\n", v.label));
        }
    }
    for v in &results.variants {
        if let Some(at) = v.series.limited_at_ms {
            out.push_str(&format!(
                "\nnote: {}: the term, leader and disruption series stop at {} ({} points, \
                 the limit); the metrics count the whole run\n",
                v.label,
                duration_ms(at),
                sim_core::metrics::MAX_SERIES_POINTS
            ));
        }
    }
    out.push_str(&faults_section(results));
    out.push_str(&messages_section(results));
    if !results.expectations.is_empty() {
        out.push_str("\nexpectations\n");
        for e in &results.expectations {
            let bound = expected(e);
            let actual = actual(e);
            out.push_str(&format!(
                "  {} {}: {} = {actual}, expected {bound}\n",
                if e.ok { "✓" } else { "✗" },
                e.variant,
                e.metric
            ));
        }
    }
    out
}

/// The first row of a side-by-side grid: `corner`, then each variant.
fn header(corner: &str, results: &Results) -> Vec<String> {
    std::iter::once(corner.to_string())
        .chain(results.variants.iter().map(|v| v.label.clone()))
        .collect()
}

/// The messages each variant sent, in total and by type (types sorted by
/// name; "—" where a variant sent none of a type), then how many were
/// dropped.
pub fn message_rows(results: &Results) -> Vec<(String, Vec<String>)> {
    let variants = &results.variants;
    let mut kinds: Vec<&str> = variants
        .iter()
        .flat_map(|v| v.metrics.messages_by_type.keys().map(String::as_str))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut rows = vec![(
        "sent".to_string(),
        variants
            .iter()
            .map(|v| v.metrics.messages_sent.to_string())
            .collect(),
    )];
    for kind in kinds {
        let cells = variants
            .iter()
            .map(|v| match v.metrics.messages_by_type.get(kind) {
                Some(count) => count.to_string(),
                None => "—".to_string(),
            })
            .collect();
        rows.push((format!("  {kind}"), cells));
    }
    rows.push((
        "dropped".to_string(),
        variants
            .iter()
            .map(|v| v.metrics.messages_dropped.to_string())
            .collect(),
    ));
    rows
}

/// The "messages" block of the printed table (nothing for results written
/// before messages were counted by type).
pub fn messages_section(results: &Results) -> String {
    if results
        .variants
        .iter()
        .all(|v| v.metrics.messages_by_type.is_empty())
    {
        return String::new();
    }
    let mut grid = vec![header("messages", results)];
    for (name, cells) in message_rows(results) {
        grid.push(std::iter::once(name).chain(cells).collect());
    }
    format!("\n{}", grid_text(&grid))
}

/// A grid as aligned text: the first column left-aligned, the others
/// right-aligned, a rule under the first row.
fn grid_text(grid: &[Vec<String>]) -> String {
    let mut out = String::new();
    let columns = grid[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            grid.iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (r, row) in grid.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<width$}", width = widths[c])
                } else {
                    format!("{cell:>width$}", width = widths[c])
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if r == 0 {
            let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

/// The most fault lines `faults_section` prints per schedule.
const MAX_FAULT_LINES: usize = 20;

/// What the fault script did, with references resolved: one block per
/// distinct schedule (variants can resolve `"leader"` differently).
pub fn faults_section(results: &Results) -> String {
    let mut schedules: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
    for v in &results.variants {
        let lines: Vec<String> = v
            .series
            .faults
            .iter()
            .map(|f| {
                let mut line = format!("{:>9.3} s  {}", f.at_ms / 1000.0, f.description);
                if let Some(until) = f.until_ms {
                    line.push_str(&format!(", until {:.3} s", until / 1000.0));
                }
                if let Some(reason) = &f.skipped {
                    line.push_str(&format!(": {reason}"));
                }
                if f.chaos {
                    line.push_str(" (chaos)");
                }
                line
            })
            .collect();
        match schedules.iter_mut().find(|(_, l)| *l == lines) {
            Some((labels, _)) => labels.push(&v.label),
            None => schedules.push((vec![&v.label], lines)),
        }
    }
    let mut out = String::new();
    for (labels, lines) in schedules.iter().filter(|(_, l)| !l.is_empty()) {
        if schedules.len() == 1 {
            out.push_str("\nfaults\n");
        } else {
            out.push_str(&format!("\nfaults ({})\n", labels.join(", ")));
        }
        for line in lines.iter().take(MAX_FAULT_LINES) {
            out.push_str(&format!("  {line}\n"));
        }
        if lines.len() > MAX_FAULT_LINES {
            out.push_str(&format!(
                "  ... and {} more (see series.faults in the results)\n",
                lines.len() - MAX_FAULT_LINES
            ));
        }
    }
    out
}

/// The policy columns of the comparison table, in this order first; other
/// labels follow in the order they first appear.
const POLICY_ORDER: [&str; 6] = [
    "raft",
    "prevote",
    "prevote-nolease",
    "checkquorum",
    "prevote+checkquorum",
    "dledger",
];

/// One Markdown table over several scenarios: rows scenarios, columns
/// policies (variant labels), cells `term inflation / disruptions /
/// leaderless time`. A ✗ marks a cell whose variant failed a check.
pub fn comparison_markdown(all: &[Results]) -> String {
    comparison_markdown_columns(all, &comparison_columns(all))
}

/// The columns of the comparison table: the usual policies first, then any
/// other label in the order met.
pub fn comparison_columns(all: &[Results]) -> Vec<String> {
    let mut labels: Vec<&str> = POLICY_ORDER
        .iter()
        .copied()
        .filter(|p| all.iter().any(|r| r.variant(p).is_some()))
        .collect();
    for results in all {
        for v in &results.variants {
            if !labels.contains(&v.label.as_str()) {
                labels.push(&v.label);
            }
        }
    }
    labels.into_iter().map(str::to_string).collect()
}

/// The comparison table with these columns (variant labels).
pub fn comparison_markdown_columns(all: &[Results], labels: &[String]) -> String {
    let mut out = String::from("| scenario |");
    for label in labels {
        out.push_str(&format!(" {label} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(labels.len()));
    out.push('\n');
    for results in all {
        let failed = results.failed_variants();
        out.push_str(&format!("| {} |", results.scenario));
        for label in labels {
            let cell = match results.variant(label) {
                Some(v) => format!(
                    "{} / {} / {}{}",
                    v.metrics.term_inflation,
                    v.metrics.disruptions,
                    duration_ms(v.metrics.leaderless_ms),
                    if failed.contains(&label.as_str()) {
                        " ✗"
                    } else {
                        ""
                    }
                ),
                None => "–".to_string(),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sim_core::metrics::Metrics;

    #[test]
    fn faults_are_listed_once_per_distinct_schedule() {
        let fault = |at_ms: f64, description: &str, until_ms: Option<f64>| {
            serde_json::json!({"index": 0, "at_ms": at_ms, "kind": "isolate",
                "description": description, "nodes": [], "until_ms": until_ms})
        };
        let variant = |label: &str, isolated: &str| {
            serde_json::json!({"label": label, "config": {}, "metrics": Metrics::default(),
                "safety": {"ok": true, "violations": []}, "trace_hash": "0",
                "series": {"terms": [], "leaders": [], "disruptions": [],
                    "faults": [fault(10_000.0, isolated, Some(40_000.0)), fault(40_000.0, "heal", None)]}})
        };
        let results: Results = serde_json::from_value(serde_json::json!({
            "scenario": "s", "seed": 1, "nodes": 3, "duration_ms": 60000, "expectations": [],
            "variants": [variant("a", "isolate 3"), variant("b", "isolate 3"), variant("c", "isolate 1")]
        }))
        .unwrap();
        let text = faults_section(&results);
        assert!(
            text.contains(
                "faults (a, b)\n     10.000 s  isolate 3, until 40.000 s\n     40.000 s  heal"
            ),
            "{text}"
        );
        assert!(
            text.contains("faults (c)\n     10.000 s  isolate 1, until 40.000 s"),
            "{text}"
        );
    }

    /// A variant without samples: no leader, no commit, an expectation on
    /// the commit latency that failed for want of samples.
    pub(crate) fn results_without_samples() -> Results {
        serde_json::from_value(serde_json::json!({
            "scenario": "dead", "seed": 1, "nodes": 5, "duration_ms": 10000,
            "variants": [{"label": "raft", "config": {}, "metrics": Metrics::default(),
                "safety": {"ok": true, "violations": []}, "trace_hash": "0",
                "series": {"terms": [], "leaders": [], "disruptions": [], "faults": []}}],
            "expectations": [{"variant": "raft", "metric": "commit_latency_ms.p99",
                "max": 1000.0, "actual": null, "ok": false, "reason": "no samples"}]
        }))
        .unwrap()
    }

    #[test]
    fn metrics_without_samples_show_a_dash_and_why() {
        let text = side_by_side(&results_without_samples());
        for row in [
            "first leader",
            "failover p50",
            "failover max",
            "commit latency p99",
        ] {
            let line = text.lines().find(|l| l.starts_with(row)).expect(row);
            assert!(line.ends_with('—'), "{line}");
        }
        assert!(
            text.contains("✗ raft: commit_latency_ms.p99 = — (no samples), expected <= 1000"),
            "{text}"
        );
    }

    /// Each type a variant sent has a row; a type another implementation
    /// sends reads "—"; results without per-type counts print no block.
    #[test]
    fn messages_are_listed_by_type() {
        let mut results = results_without_samples();
        assert!(!side_by_side(&results).contains("\nmessages"));
        let mut other = results.variants[0].clone();
        other.label = "raft-rs".into();
        let model = &mut results.variants[0].metrics;
        model.messages_sent = 7;
        model.messages_by_type = [("AppendEntries".into(), 4), ("RequestVote".into(), 3)].into();
        other.metrics.messages_sent = 2;
        other.metrics.messages_by_type = [("MsgAppend".into(), 2)].into();
        results.variants.push(other);
        let text = side_by_side(&results);
        let row = |name: &str| {
            let line = text.lines().find(|l| l.starts_with(name)).expect(name);
            line.split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(row("sent "), "7 2", "{text}");
        assert_eq!(row("  AppendEntries"), "4 —", "{text}");
        assert_eq!(row("  MsgAppend"), "— 2", "{text}");
        assert_eq!(row("  RequestVote"), "3 —", "{text}");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_ms(0.0), "0 ms");
        assert_eq!(duration_ms(177.856), "178 ms");
        assert_eq!(duration_ms(8.49), "8.5 ms");
        assert_eq!(duration_ms(12_345.0), "12.3 s");
        assert_eq!(duration_ms(250_000.0), "4 min 10 s");
    }
}
