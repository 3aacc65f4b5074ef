//! `raftsim diff` through the real binary: results and sweeps, what got
//! worse, exit codes.

mod common;

use common::{raftsim, repo, scratch, text};

/// isolate-rejoin with one variant labelled "x", PreVote on or off.
fn one_variant(dir: &std::path::Path, name: &str, pre_vote: bool) -> String {
    let bundled = std::fs::read_to_string(repo("scenarios/isolate-rejoin.json")).unwrap();
    let mut scenario: serde_json::Value = serde_json::from_str(&bundled).unwrap();
    scenario["variants"] = serde_json::json!([{ "label": "x", "raft": { "pre_vote": pre_vote } }]);
    scenario["expect"] = serde_json::json!([]);
    let path = dir.join(name);
    std::fs::write(&path, scenario.to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

fn run_out(file: &str, out: &std::path::Path) {
    let output = raftsim(&["run", file, "--out", &out.to_string_lossy()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn prevote_against_classic_shows_what_got_better_and_worse() {
    let dir = scratch("policy");
    let (classic, prevote) = (dir.join("classic"), dir.join("prevote"));
    run_out(&one_variant(&dir, "classic.json", false), &classic);
    run_out(&one_variant(&dir, "prevote.json", true), &prevote);
    let (a, b) = (classic.to_string_lossy(), prevote.to_string_lossy());

    let output = raftsim(&["diff", &a, &b]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    let line = |metric: &str| {
        shown
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{metric} ")))
            .unwrap_or_else(|| panic!("no {metric} row in\n{shown}"))
            .to_string()
    };
    assert!(
        line("term_inflation").contains("▼ better (one sample)"),
        "{shown}"
    );
    assert!(line("disruptions").contains("▼ better"), "{shown}");
    // One run each: no test, and the page says why.
    assert!(
        shown.contains("significance: none: each value is one run of one seed, one sample"),
        "{shown}"
    );
    assert!(!shown.contains("-0%"), "{shown}");
    // Same scenario name, but another file, and the same seed: the
    // contents differ (pre_vote), which is said.
    assert!(
        text(&output.stderr).contains("ran different versions of scenario"),
        "{}",
        text(&output.stderr)
    );

    // The other way round it got worse, and --fail-on-worse says so.
    let output = raftsim(&["diff", &b, &a, "--fail-on-worse"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("▲ worse (one sample)"));

    let output = raftsim(&["diff", &a, &b, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let metrics = json["variants"][0]["metrics"].as_array().unwrap();
    let inflation = metrics
        .iter()
        .find(|m| m["metric"] == "term_inflation")
        .unwrap();
    assert_eq!(inflation["verdict"], "better");
    assert!(inflation["a"]["value"].as_f64().unwrap() >= 100.0);
    assert_eq!(inflation["b"]["value"], 0.0);
    // Identical files: nothing changed, nothing to warn about.
    let output = raftsim(&["diff", &a, &a]);
    assert!(text(&output.stdout).contains("x: no metric changed"));
    assert!(
        !text(&output.stderr).contains("warning"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn other_scenarios_and_other_seeds_are_warned_about() {
    let dir = scratch("warnings");
    let (crash, crash_2, rejoin) = (dir.join("crash"), dir.join("crash-2"), dir.join("rejoin"));
    for (args, out) in [
        (vec!["run", "leader-crash"], &crash),
        (vec!["run", "leader-crash", "--seed", "2"], &crash_2),
        (vec!["run", "flaky-link", "--variant", "raft"], &rejoin),
    ] {
        let mut args = args.clone();
        let out = out.to_string_lossy().into_owned();
        args.extend(["--out", &out]);
        let output = raftsim(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let (crash, crash_2, rejoin) = (
        crash.to_string_lossy(),
        crash_2.to_string_lossy(),
        rejoin.to_string_lossy(),
    );
    let output = raftsim(&["diff", &crash, &crash_2]);
    let err = text(&output.stderr);
    assert!(
        err.contains("warning: a and b ran with another seed (1 and 2)"),
        "{err}"
    );
    assert!(!err.contains("scenario"), "{err}");
    let output = raftsim(&["diff", &crash, &rejoin]);
    let err = text(&output.stderr);
    assert!(
        err.contains(r#"warning: a is of scenario "leader-crash", b of "flaky-link""#),
        "{err}"
    );
}

#[test]
fn sweeps_are_compared_by_a_stated_test_on_the_per_seed_values() {
    let dir = scratch("sweeps");
    let sweep = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let out_text = out.to_string_lossy().into_owned();
        let mut args = vec![
            "sweep",
            "leader-crash",
            "--seeds",
            "0..16",
            "--out",
            &out_text,
        ];
        args.extend(extra);
        let output = raftsim(&args);
        assert!(output.status.success(), "{}", text(&output.stderr));
        out_text
    };
    let a = sweep("short", &[]);
    // Twice the election timeout: every failover takes longer.
    let b = sweep("long", &["--set", "raft.election_timeout_ms=[300,600]"]);
    let output = raftsim(&["diff", &a, &b, "--json"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["kind"], "sweep");
    assert!(json["test"]
        .as_str()
        .unwrap()
        .starts_with("Mann–Whitney U test"));
    let metrics = json["variants"][0]["metrics"].as_array().unwrap();
    let metric = |name: &str| metrics.iter().find(|m| m["metric"] == name).unwrap();
    let failover = metric("failover_ms.p50");
    assert_eq!(failover["verdict"], "worse");
    assert_eq!(failover["significant"], true);
    assert!(failover["p_adjusted"].as_f64().unwrap() <= 0.05);
    assert!(failover["p_adjusted"].as_f64().unwrap() >= failover["p_value"].as_f64().unwrap());
    // The same seeds, so every seed's commit count is within a proposal or
    // two: the test finds no difference.
    let committed = metric("proposals_committed");
    assert_eq!(committed["significant"], false, "{committed}");
    let shown = text(&raftsim(&["diff", &a, &b]).stdout);
    assert!(
        shown.contains("significance: Mann–Whitney U test"),
        "{shown}"
    );
    assert!(shown.contains("Holm's correction"), "{shown}");
    let row = shown
        .lines()
        .find(|l| l.trim_start().starts_with("failover_ms.p50 "))
        .unwrap();
    assert!(row.contains("▲ WORSE (p "), "{row}");
    assert!(shown.contains("leader-crash, seeds 0..16"), "{shown}");

    // A `sweep --json` file has no per-seed values: untested, and said so.
    let json_only = dir.join("json-only.json");
    std::fs::copy(dir.join("short/sweep.json"), &json_only).unwrap();
    let output = raftsim(&["diff", &json_only.to_string_lossy(), &b, "--fail-on-worse"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "untested changes fail nothing"
    );
    let shown = text(&output.stdout);
    assert!(
        shown.contains("significance: none: a sweep without seeds.jsonl"),
        "{shown}"
    );
    assert!(shown.contains("worse (untested)"), "{shown}");
}

#[test]
fn different_kinds_and_bad_files_are_errors_naming_the_file() {
    let dir = scratch("bad");
    let run = dir.join("run");
    run_out(&one_variant(&dir, "classic.json", false), &run);
    let sweep = dir.join("sweep.json");
    let output = raftsim(&["sweep", "leader-crash", "--seeds", "0..2", "--json"]);
    std::fs::write(&sweep, &output.stdout).unwrap();
    let (run, sweep) = (run.to_string_lossy(), sweep.to_string_lossy());
    let output = raftsim(&["diff", &run, &sweep]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("compare results with results"));

    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{ not json").unwrap();
    let output = raftsim(&["diff", &junk.to_string_lossy(), &run]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("junk.json: not JSON"));
}
