//! The docs against the code: what the pages promise is what the binary
//! does, and every relative link in README.md and docs/*.md leads to a file
//! (and a heading) that exists.

mod common;

use common::{raftsim, repo, scratch, text};

fn page(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// docs/SCENARIOS.md's table of limits says how many uncommitted proposals
/// the client may hold; the run that passes it says the same number.
#[test]
fn the_documented_pending_proposal_limit_is_the_one_that_stops_a_run() {
    let dir = scratch("pending-limit");
    let path = dir.join("no-leader.json");
    std::fs::write(
        &path,
        r#"{"name": "no-leader", "nodes": 3, "duration_ms": 3000,
            "workload": {"proposals_per_sec": 100000},
            "events": [{"at_ms": 0, "crash": 1}, {"at_ms": 0, "crash": 2}]}"#,
    )
    .unwrap();
    let out = raftsim(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let limit = err
        .split("more than the limit of ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{err}"));
    let grouped: String = {
        // 100000 -> "100 000", as the docs write numbers.
        let digits: Vec<char> = limit.chars().collect();
        let mut out = String::new();
        for (i, d) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(' ');
            }
            out.push(*d);
        }
        out
    };
    let row = format!("| proposals the client holds uncommitted | {grouped} (fixed) |");
    assert!(page("docs/SCENARIOS.md").contains(&row), "{row}");
}

/// No page says a feature is missing that the binary has.
#[test]
fn no_page_calls_an_existing_feature_unimplemented() {
    for path in ["README.md", "docs/SCENARIOS.md", "docs/METRICS.md"] {
        assert!(
            !page(path).contains("Not yet implemented"),
            "{path} still has a 'Not yet implemented' section"
        );
    }
    // What SCENARIOS.md says is not part of the format really is not.
    let dir = scratch("fraction");
    let path = dir.join("f.json");
    std::fs::write(&path, r#"{"name": "f", "nodes": 3, "duration_ms": 1000.5}"#).unwrap();
    let out = raftsim(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(page("docs/SCENARIOS.md").contains("`duration_ms` is a whole number"));
    // And what it used to list as missing is there.
    let out = raftsim(&[
        "run",
        "leader-crash",
        "--variant",
        "raft",
        "--set",
        "nodes=3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
