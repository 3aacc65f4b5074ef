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
    assert!(line("term_inflation").contains("▼ better"), "{shown}");
    assert!(line("disruptions").contains("▼ better"), "{shown}");

    // The other way round it got worse, and --fail-on-worse says so.
    let output = raftsim(&["diff", &b, &a, "--fail-on-worse"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("▲ WORSE"));

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
    // Identical files: nothing changed.
    let output = raftsim(&["diff", &a, &a]);
    assert!(text(&output.stdout).contains("x: no metric changed"));
}

#[test]
fn sweeps_compare_means_and_say_when_a_change_is_noise() {
    let dir = scratch("sweeps");
    let sweep = |seeds: &str| {
        let output = raftsim(&["sweep", "leader-crash", "--seeds", seeds, "--json"]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let path = dir.join(format!("{}.json", seeds.replace("..", "-")));
        std::fs::write(&path, &output.stdout).unwrap();
        path.to_string_lossy().into_owned()
    };
    let (a, b) = (sweep("0..6"), sweep("6..12"));
    let output = raftsim(&["diff", &a, &b, "--json"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["kind"], "sweep");
    let metrics = json["variants"][0]["metrics"].as_array().unwrap();
    assert!(metrics.iter().all(|m| m["significant"].is_boolean()));
    let shown = text(&raftsim(&["diff", &a, &b, "--all"]).stdout);
    assert!(shown.contains("leader-crash, seeds 0..6"), "{shown}");
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
