//! `raftsim catch` through the real binary: each bug planted in every
//! variant it applies to, the share of seeds that caught it, the settings
//! nobody tuned, and replay commands that reproduce what a cell counted.

mod common;

use common::{command, raftsim, text};
use serde_json::Value;

/// `raftsim catch ARGS --json`: the exit code and the cells.
fn catch(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut all = vec!["catch"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = raftsim(&all);
    let cells: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{all:?}: {e}: {}", text(&out.stderr)));
    (out.status.code(), cells)
}

fn cell<'a>(cells: &'a [Value], setting: &str, bug: &str, variant: &str) -> &'a Value {
    cells
        .iter()
        .find(|c| c["setting"] == setting && c["bug"] == bug && c["variant"] == variant)
        .unwrap_or_else(|| panic!("no cell {setting} / {bug} / {variant}"))
}

/// Shell words of a replay command (no word in these has quotes inside).
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = command.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').expect("closing quote");
            words.push(quoted[..end].to_string());
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            words.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    words
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled chaos scenario has raft-rs variants"
)]
fn a_bug_is_caught_where_it_applies_and_its_seed_replays() {
    let (code, cells) = catch(&[
        "chaos",
        "--bugs",
        "keep_conflicting_suffix,change_before_term_commit",
        "--seeds",
        "0..3",
        "--set",
        "duration_ms=30000",
        "--jobs",
        "2",
    ]);
    assert_eq!(code, Some(0));
    // Model variants run it; raft-rs has no planted bugs.
    let raft = cell(&cells, "as written", "keep_conflicting_suffix", "raft");
    assert_eq!(raft["runs"], 3);
    assert!(raft["caught"].as_u64().expect("caught") >= 2, "{raft}");
    if cells.iter().any(|c| c["variant"] == "raft-rs") {
        let rs = cell(&cells, "as written", "keep_conflicting_suffix", "raft-rs");
        assert_eq!(rs["runs"], 0);
        assert!(rs["not_applicable"]
            .as_str()
            .expect("why")
            .contains("model"));
    }
    // DLedger refuses membership changes.
    let dledger = cell(&cells, "as written", "change_before_term_commit", "dledger");
    assert_eq!(
        dledger["not_applicable"],
        "DLedger refuses membership changes"
    );
    // The example replays: that seed, that variant, the bug planted.
    let example = raft["example"].as_str().expect("an example");
    let words = words(example);
    assert_eq!(words[0], "raftsim");
    let out = command().args(&words[1..]).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{example}: {}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("violation"), "{example}");
}

#[test]
fn the_untuned_settings_scale_every_rate_and_resize_the_cluster() {
    let (_, cells) = catch(&[
        "chaos-bugs",
        "--bugs",
        "change_before_term_commit",
        "--seeds",
        "0..1",
        "--untuned",
    ]);
    let settings: Vec<&str> = cells
        .iter()
        .filter(|c| c["variant"] == "raft")
        .map(|c| c["setting"].as_str().expect("setting"))
        .collect();
    assert_eq!(
        settings,
        ["as written", "rates ×0.5", "rates ×2", "3 nodes", "7 nodes"]
    );
    // chaos-bugs changes no membership: nothing runs, and it says why.
    for c in &cells {
        assert_eq!(c["runs"], 0, "{c}");
        assert!(c["not_applicable"].is_string(), "{c}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled chaos scenario has raft-rs variants"
)]
fn min_rate_fails_a_cell_below_it_and_bad_input_is_refused() {
    let out = raftsim(&[
        "catch",
        "chaos-bugs",
        "--bugs",
        "trust_leader_commit",
        "--seeds",
        "0..1",
        "--set",
        "duration_ms=5000",
        "--min-rate",
        "0.5",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("below --min-rate"));
    let table = text(&out.stdout);
    assert!(
        table.starts_with("| setting | bug | raft | prevote |"),
        "{table}"
    );
    assert!(table.contains("| as written | `trust_leader_commit` | 0% |"));
    for (args, expected) in [
        (
            vec!["catch", "chaos", "--bugs", "nope"],
            "unknown bug \"nope\"",
        ),
        (vec!["catch", "chaos", "--min-rate", "2"], "--min-rate 2"),
        (vec!["catch", "chaos", "--seeds", "5..5"], "is empty"),
        (
            vec!["catch", "chaos", "--seeds", "0..2000000"],
            "more than the limit of 10000000",
        ),
    ] {
        let out = raftsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// The catch-rate tables of a page: each line of each table whose header
/// is `raftsim catch`'s (`| setting | bug | ...`), header and rule
/// included.
fn catch_tables(page: &str) -> Vec<Vec<String>> {
    let mut tables = Vec::new();
    let mut lines = page.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with("| setting | bug |") {
            continue;
        }
        let mut table = vec![line.to_string()];
        while let Some(row) = lines.next_if(|l| l.starts_with('|')) {
            table.push(row.to_string());
        }
        tables.push(table);
    }
    tables
}

fn page(path: &str) -> String {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The README's table is the general chaos as written, FINDINGS' adds the
/// four untuned settings: both have the columns and rows the tool prints.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled chaos scenario has raft-rs variants"
)]
fn the_pages_catch_tables_have_the_tools_columns_and_rows() {
    let out = raftsim(&[
        "catch",
        "chaos",
        "--bugs",
        "commit_previous_term_by_count",
        "--seeds",
        "0..1",
        "--set",
        "duration_ms=1000",
    ]);
    let header = text(&out.stdout)
        .lines()
        .next()
        .expect("a header")
        .to_string();
    let bugs = sim_core::node::Bugs::NAMES;
    for (path, settings) in [
        ("README.md", vec!["as written"]),
        (
            "docs/FINDINGS.md",
            vec!["as written", "rates ×0.5", "rates ×2", "3 nodes", "7 nodes"],
        ),
    ] {
        let tables = catch_tables(&page(path));
        let table = tables
            .iter()
            .find(|t| t[0] == header)
            .unwrap_or_else(|| panic!("{path}: no table headed {header}"));
        let rows: Vec<(String, String)> = table[2..]
            .iter()
            .map(|row| {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                (cells[1].to_string(), cells[2].trim_matches('`').to_string())
            })
            .collect();
        let expected: Vec<(String, String)> = settings
            .iter()
            .flat_map(|s| bugs.iter().map(move |b| (s.to_string(), b.to_string())))
            .collect();
        assert_eq!(rows, expected, "{path}");
    }
}

/// The tables are the tool's output, cell for cell (about 10 minutes on
/// two cores: `cargo test --release --test catch -- --ignored`).
#[test]
#[ignore = "runs the whole measurement: cargo test --release --test catch -- --ignored"]
fn the_pages_catch_tables_are_the_tools_output() {
    let out = raftsim(&["catch", "chaos", "--seeds", "0..200", "--untuned"]);
    let printed: Vec<String> = text(&out.stdout)
        .lines()
        .take_while(|l| l.starts_with('|'))
        .map(str::to_string)
        .collect();
    let findings = catch_tables(&page("docs/FINDINGS.md"));
    assert!(findings.contains(&printed), "FINDINGS.md");
    let as_written: Vec<String> = printed
        .iter()
        .filter(|l| {
            !l.starts_with("| rates") && !l.starts_with("| 3 nodes") && !l.starts_with("| 7 nodes")
        })
        .cloned()
        .collect();
    assert!(
        catch_tables(&page("README.md")).contains(&as_written),
        "README.md"
    );
}

/// FINDINGS' table of the membership bugs on `membership-churn` is the
/// tool's output, cell for cell (1,200 runs that stop at their first
/// violation, about ten virtual seconds in).
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "membership-churn has raft-rs variants"
)]
fn the_membership_churn_catch_table_is_the_tools_output() {
    let out = raftsim(&[
        "catch",
        "membership-churn",
        "--bugs",
        "change_before_term_commit,multiple_changes_at_once",
        "--seeds",
        "0..200",
    ]);
    let printed: Vec<String> = text(&out.stdout)
        .lines()
        .take_while(|l| l.starts_with('|'))
        .map(str::to_string)
        .collect();
    assert_eq!(printed.len(), 4, "a header, a rule and two bugs");
    assert!(
        catch_tables(&page("docs/FINDINGS.md")).contains(&printed),
        "FINDINGS.md:\n{}",
        printed.join("\n")
    );
}
