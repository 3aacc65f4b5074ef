//! The HTML report: one self-contained page per run (inline CSS, charts as
//! inline SVG; no script, no external resource, nothing fetched) with the
//! scenario, the verdict, a link to the replay viewer beside it, the
//! side-by-side metrics, the expectations, the safety verdict, the faults,
//! the charts and the command that reproduces the run. Every text from the results is HTML-escaped. A sweep's page
//! (`sweep`) shares the style, the head and the figures.

use std::fmt::Write;

pub mod sweep;

use sim_core::invariants::Property;
use sim_core::results::{shell_word, Results};

use crate::table::{self, duration_ms};

/// `&`, `<`, `>`, `"` and `'` escaped, for text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A chart to put on the page: its heading, a sentence on how to read it,
/// and its SVG document.
pub struct Figure<'a> {
    pub title: &'a str,
    pub caption: &'a str,
    pub svg: &'a str,
}

const STYLE: &str = "\
body{font-family:'DejaVu Sans',Verdana,sans-serif;color:#222;margin:0 auto;max-width:1240px;padding:16px 24px 48px;line-height:1.45}
h1{margin:8px 0 4px;font-size:28px}
h2{margin:32px 0 8px;font-size:21px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.description{margin:4px 0 12px;color:#444;max-width:960px}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:bold}
.pass{background:#e3f4e1;color:#1b6e20}
.fail{background:#fbe3e4;color:#a0161c}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:12px 0}
dl.facts dt{color:#666}
dl.facts dd{margin:0}
pre{background:#f4f4f4;padding:8px 12px;border-radius:4px;overflow-x:auto}
table{border-collapse:collapse;margin:8px 0}
th,td{padding:4px 12px;border-bottom:1px solid #e4e4e4;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
td.text,th.text{text-align:left}
td.ok{color:#1b6e20}
td.bad{color:#a0161c;font-weight:bold}
figure{margin:16px 0 32px}
figcaption{color:#555;margin:4px 0 8px;max-width:960px}
figure svg{max-width:100%;height:auto;border:1px solid #eee}
";

/// `raftsim run ... --variant LABEL`, for replaying one variant.
fn with_variant(command: &str, label: &str) -> String {
    if command.contains(" --variant ") {
        return command.to_string();
    }
    format!("{command} --variant {}", shell_word(label))
}

/// The SVG element of an SVG document, without any XML declaration.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg,
    }
}

/// The whole page.
pub fn report(results: &Results, figures: &[Figure]) -> String {
    let mut page = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut page, results, figures);
    page
}

fn write_report(out: &mut String, results: &Results, figures: &[Figure]) -> std::fmt::Result {
    let name = escape(&results.scenario);
    write_head(out, &name)?;
    write_summary(out, &name, results)?;
    let command = write_reproduce(out, results)?;
    write_viewer_link(out)?;
    write_metrics(out, results)?;
    write_expectations(out, results)?;
    write_safety(out, results, &command)?;
    write_faults(out, results)?;
    write_figures(out, figures)?;
    writeln!(out, "</body>\n</html>")
}

/// From the doctype to the opening `<body>`, with the page's style.
fn write_head(out: &mut String, name: &str) -> std::fmt::Result {
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(out, "<title>raftsim report: {name}</title>")?;
    writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>")
}

/// The heading (escaped), the description and the verdict: `passed` says
/// why it passed, else `failed` says what failed.
fn write_title(
    out: &mut String,
    name: &str,
    description: &str,
    passed: Option<&str>,
    failed: &str,
) -> std::fmt::Result {
    writeln!(out, "<h1>{name}</h1>")?;
    if !description.is_empty() {
        writeln!(out, "<p class=\"description\">{}</p>", escape(description))?;
    }
    if let Some(why) = passed {
        writeln!(out, "<p class=\"verdict pass\">passed: {}</p>", escape(why))
    } else {
        writeln!(
            out,
            "<p class=\"verdict fail\">failed: {}</p>",
            escape(failed)
        )
    }
}

/// A `<dl>` of (term, already escaped value) pairs.
fn write_facts(out: &mut String, facts: &[(&str, String)]) -> std::fmt::Result {
    writeln!(out, "<dl class=\"facts\">")?;
    for (term, value) in facts {
        writeln!(out, "<dt>{term}</dt><dd>{value}</dd>")?;
    }
    writeln!(out, "</dl>")
}

/// The title, the verdict and the facts of the run.
fn write_summary(out: &mut String, name: &str, results: &Results) -> std::fmt::Result {
    write_title(
        out,
        name,
        &results.description,
        results
            .passed()
            .then_some("every variant safe, every expectation met"),
        &results.failed_variants().join(", "),
    )?;
    let labels: Vec<&str> = results.variants.iter().map(|v| v.label.as_str()).collect();
    write_facts(
        out,
        &[
            ("seed", results.seed.to_string()),
            ("nodes", results.nodes.to_string()),
            ("virtual time", escape(&table::virtual_time(results))),
            ("variants", escape(&labels.join(", "))),
        ],
    )
}

/// The command that reproduces the run (recorded, or rebuilt from the
/// scenario's name when the results do not record it), shown and returned.
fn write_reproduce(out: &mut String, results: &Results) -> Result<String, std::fmt::Error> {
    writeln!(out, "<h2>Reproduce</h2>")?;
    let command = match &results.command {
        Some(command) => {
            writeln!(out, "<p>The exact command of this run:</p>")?;
            command.clone()
        }
        None => {
            writeln!(
                out,
                "<p>The results file does not record its command; with the scenario file, this should reproduce it:</p>"
            )?;
            format!(
                "raftsim run {}.json --seed {}",
                results.scenario, results.seed
            )
        }
    };
    writeln!(out, "<pre><code>{}</code></pre>", escape(&command))?;
    Ok(command)
}

/// The link to the replay viewer written beside the report.
fn write_viewer_link(out: &mut String) -> std::fmt::Result {
    writeln!(out, "<h2>Watch it</h2>")?;
    writeln!(
        out,
        "<p><a href=\"{}\">Open the replay viewer</a>: the nodes, their messages and the \
         faults of every variant, step by step, two variants side by side on one clock \
         (the file beside this report; <code>raftsim view results.json</code> writes it \
         again).</p>",
        crate::viewer::FILE
    )
}

/// The side-by-side metrics, one column per variant.
fn write_metrics(out: &mut String, results: &Results) -> std::fmt::Result {
    writeln!(out, "<h2>Metrics</h2>")?;
    writeln!(out, "<table class=\"metrics\">\n<thead><tr><th>metric</th>")?;
    for v in &results.variants {
        write!(out, "<th>{}</th>", escape(&v.label))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for (row, cell) in table::rows(results) {
        write!(out, "<tr><td>{}</td>", escape(row))?;
        for v in &results.variants {
            write!(out, "<td>{}</td>", escape(&cell(v)))?;
        }
        writeln!(out, "</tr>")?;
    }
    let by_type = results
        .variants
        .iter()
        .any(|v| !v.metrics.messages_by_type.is_empty());
    if by_type {
        for (row, cells) in table::message_rows(results) {
            let name = match row.strip_prefix("  ") {
                Some(kind) => format!("messages: {kind}"),
                None => format!("messages {row}"),
            };
            write!(out, "<tr><td>{}</td>", escape(&name))?;
            for cell in cells {
                write!(out, "<td>{}</td>", escape(&cell))?;
            }
            writeln!(out, "</tr>")?;
        }
    }
    writeln!(out, "</tbody>\n</table>")
}

/// Each expectation with its actual value and verdict.
fn write_expectations(out: &mut String, results: &Results) -> std::fmt::Result {
    writeln!(out, "<h2>Expectations</h2>")?;
    if results.expectations.is_empty() {
        return writeln!(out, "<p>The scenario states no expectations.</p>");
    }
    writeln!(out, "<table class=\"expectations\">")?;
    writeln!(
        out,
        "<thead><tr><th>variant</th><th class=\"text\">metric</th><th>expected</th><th>actual</th><th class=\"text\">result</th></tr></thead>\n<tbody>"
    )?;
    for e in &results.expectations {
        let actual = table::actual(e);
        let (class, verdict) = if e.ok {
            ("ok", "✓ pass")
        } else {
            ("bad", "✗ fail")
        };
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td><td class=\"text {class}\">{verdict}</td></tr>",
            escape(&e.variant),
            escape(&e.metric),
            escape(&table::expected(e)),
            escape(&actual)
        )?;
    }
    writeln!(out, "</tbody>\n</table>")
}

/// The safety verdict: every violation and every run cut short, each with
/// the command that replays its variant.
fn write_safety(out: &mut String, results: &Results, command: &str) -> std::fmt::Result {
    writeln!(out, "<h2>Safety</h2>")?;
    let troubled: Vec<_> = results
        .variants
        .iter()
        .filter(|v| !v.safety.violations.is_empty() || v.limit_reached.is_some())
        .collect();
    if troubled.is_empty() {
        let held: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
        return writeln!(
            out,
            "<p>No safety violation in any variant: every property the checker verifies held on every step ({}).</p>",
            escape(&held.join(", "))
        );
    }
    writeln!(out, "<ul class=\"violations\">")?;
    for v in troubled {
        let replay = escape(&with_variant(command, &v.label));
        for violation in &v.safety.violations {
            writeln!(
                out,
                "<li><strong>{}</strong>: {} at {} virtual (event {}): {}<br>replay: <code>{replay}</code></li>",
                escape(&v.label),
                escape(violation.property.name()),
                escape(&duration_ms(violation.at_ms)),
                violation.event,
                escape(&violation.message)
            )?;
        }
        if let Some(limit) = &v.limit_reached {
            writeln!(
                out,
                "<li><strong>{}</strong>: run cut short: {}<br>replay: <code>{replay}</code></li>",
                escape(&v.label),
                escape(limit)
            )?;
        }
    }
    writeln!(out, "</ul>")
}

/// The charts, each inlined with its heading and caption.
fn write_figures(out: &mut String, figures: &[Figure]) -> std::fmt::Result {
    let heading = if figures.len() == 1 {
        "Chart"
    } else {
        "Charts"
    };
    writeln!(out, "<h2>{heading}</h2>")?;
    for figure in figures {
        writeln!(out, "<figure>")?;
        writeln!(out, "<h3>{}</h3>", escape(figure.title))?;
        writeln!(out, "<figcaption>{}</figcaption>", escape(figure.caption))?;
        writeln!(out, "{}", inline_svg(figure.svg).trim_end())?;
        writeln!(out, "</figure>")?;
    }
    Ok(())
}

/// The fault script as each variant resolved it.
fn write_faults(out: &mut String, results: &Results) -> std::fmt::Result {
    let events = results
        .variants
        .iter()
        .map(|v| v.series.faults.len())
        .max()
        .unwrap_or(0);
    writeln!(out, "<h2>Faults</h2>")?;
    if events == 0 {
        return writeln!(out, "<p>No scripted faults.</p>");
    }
    writeln!(out, "<table class=\"faults\">\n<thead><tr><th>at</th>")?;
    for v in &results.variants {
        write!(out, "<th class=\"text\">{}</th>", escape(&v.label))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for i in 0..events {
        let at = results
            .variants
            .iter()
            .find_map(|v| v.series.faults.get(i))
            .map_or(String::new(), |f| duration_ms(f.at_ms));
        write!(out, "<tr><td>{}</td>", escape(&at))?;
        for v in &results.variants {
            let cell = match v.series.faults.get(i) {
                None => String::new(),
                Some(f) => match (&f.skipped, f.until_ms) {
                    (Some(why), _) => format!("{} (skipped: {why})", f.description),
                    (None, Some(until)) => {
                        format!("{} until {}", f.description, duration_ms(until))
                    }
                    (None, None) => f.description.clone(),
                },
            };
            write!(out, "<td class=\"text\">{}</td>", escape(&cell))?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>\n</table>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn replay_names_the_variant() {
        assert_eq!(
            with_variant("raftsim run s.json --seed 1", "prevote+checkquorum"),
            "raftsim run s.json --seed 1 --variant prevote+checkquorum"
        );
        assert_eq!(
            with_variant("raftsim run s.json --seed 1", "a b"),
            "raftsim run s.json --seed 1 --variant 'a b'"
        );
        assert_eq!(
            with_variant("raftsim run s.json --seed 1 --variant x", "x"),
            "raftsim run s.json --seed 1 --variant x"
        );
    }

    #[test]
    fn metrics_without_samples_show_a_dash_and_why() {
        let page = report(&crate::table::tests::results_without_samples(), &[]);
        assert!(page.contains("<td>—</td>"), "a dash in the metrics table");
        assert!(
            page.contains("<td>— (no samples)</td>"),
            "the expectation says why"
        );
    }

    #[test]
    fn inline_svg_drops_the_xml_declaration() {
        assert_eq!(inline_svg("<?xml version=\"1.0\"?>\n<svg/>"), "<svg/>");
    }
}
