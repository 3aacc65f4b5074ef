//! The docs against the code: what the pages promise is what the binary
//! does, and every relative link in README.md and docs/*.md leads to a file
//! (and a heading) that exists.

mod common;

use common::{raftsim, repo, scenario_file, text};

fn page(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// docs/SCENARIOS.md's table of limits says how many uncommitted proposals
/// the client may hold; the run that passes it says the same number.
#[test]
fn the_documented_pending_proposal_limit_is_the_one_that_stops_a_run() {
    let path = scenario_file(
        "no-leader",
        r#"{"name": "no-leader", "nodes": 3, "duration_ms": 3000,
            "workload": {"proposals_per_sec": 100000},
            "events": [{"at_ms": 0, "crash": 1}, {"at_ms": 0, "crash": 2}]}"#,
    );
    let out = raftsim(&["run", &path]);
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
    let path = scenario_file(
        "fraction",
        r#"{"name": "f", "nodes": 3, "duration_ms": 1000.5}"#,
    );
    let out = raftsim(&["validate", &path]);
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

/// The `#anchor` GitHub gives a heading: lower case, punctuation other than
/// `-` and `_` dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every heading anchor of a Markdown file (outside code blocks).
fn anchors(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// The targets of the Markdown links and images of a file, outside code.
fn links(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        // Inline code spans hold no links.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

/// Every relative link in README.md, ARCHITECTURE.md and docs/*.md leads
/// to a file that exists, and a `#heading` to a heading of that file.
#[test]
fn every_relative_link_leads_somewhere() {
    let root = std::path::PathBuf::from(repo("."));
    let mut pages = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = match link.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            assert!(
                target.exists(),
                "{}: the link {link} leads to no file",
                page.display()
            );
            if let (Some(fragment), Some("md")) =
                (fragment, target.extension().and_then(|e| e.to_str()))
            {
                let headings = anchors(&std::fs::read_to_string(&target).unwrap());
                assert!(
                    headings.iter().any(|h| h == fragment),
                    "{}: the link {link} names no heading of {}",
                    page.display(),
                    target.display()
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked > 50,
        "only {checked} links found: is the parser right?"
    );
}

/// The README is a front door: short, with its two commands as CI runs
/// them, and no word about how the project was made.
#[test]
fn the_readme_is_short_and_its_test_command_is_ci_s() {
    let readme = page("README.md");
    assert!(
        readme.lines().count() <= 250,
        "{} lines",
        readme.lines().count()
    );
    assert!(readme.contains(
        "cargo run --release -- run scenarios/isolate-rejoin.json\ncargo test --workspace\n"
    ));
    assert!(page(".ci/run").contains("cargo test --workspace --locked 2>&1"));
    assert!(readme.contains("![") && readme.contains("(docs/term-growth.png)"));
    for word in ["session", "issue ", "Issue ", "this branch"] {
        assert!(!readme.contains(word), "README.md says {word:?}");
    }
}
