//! The `raftsim` binary as a user runs it: bundled scenarios, error
//! messages and exit codes, determinism across processes.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};

mod common;
use common::{raftsim, repo, scratch};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn every_bundled_scenario_meets_its_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4);
    for file in files {
        let out = raftsim(&["run", file.to_str().unwrap()]);
        // A scenario that plants a bug shows the checker catching it.
        let planted = std::fs::read_to_string(&file).unwrap().contains("\"bugs\"");
        assert_eq!(
            out.status.code(),
            Some(if planted { 1 } else { 0 }),
            "{}:\n{}\n{}",
            file.display(),
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains("expectations"), "{}", stdout(&out));
        if planted {
            assert!(
                stderr(&out).contains("safety violation"),
                "{}",
                stderr(&out)
            );
            continue;
        }
        assert!(!stdout(&out).contains('✗'), "{}", stdout(&out));
    }
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn the_seed_experiment_shows_raft_inflating_and_prevote_flat() {
    let out = raftsim(&["run", &repo("scenarios/isolate-rejoin.json"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let results: Value = serde_json::from_slice(&out.stdout).expect("--json prints only JSON");
    let metric = |label: &str, key: &str| {
        results["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["label"] == label)
            .unwrap()["metrics"][key]
            .as_f64()
            .unwrap()
    };
    assert!(metric("raft", "max_term") >= 100.0);
    assert!(metric("raft", "disruptions") >= 1.0);
    assert!(metric("prevote", "term_inflation") <= 1.0);
    assert_eq!(metric("prevote", "disruptions"), 0.0);
    for key in [
        "max_term",
        "leader_terms",
        "term_inflation",
        "elections_started",
        "pre_votes_started",
        "leader_changes",
        "disruptions",
        "leaderless_ms",
        "unavailable_ms",
        "messages_sent",
        "messages_dropped",
        "events",
    ] {
        let _ = metric("raft", key);
    }
    let raft = &results["variants"][0];
    for key in ["failover_ms", "commit_latency_ms"] {
        for part in ["count", "p50", "p99", "max"] {
            assert!(raft["metrics"][key][part].is_number(), "{key}.{part}");
        }
    }
    for key in ["terms", "leaders", "disruptions", "faults"] {
        assert!(raft["series"][key].is_array(), "series.{key}");
    }
    assert_eq!(raft["safety"]["ok"], true);
    assert!(raft["config"]["raft"]["pre_vote"].is_boolean());
    assert_eq!(results["seed"], 1);
    assert!(results["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["ok"] == true));
}

#[test]
fn two_processes_give_identical_json_and_another_seed_other_hashes() {
    let file = repo("scenarios/leader-crash.json");
    let a = raftsim(&["run", &file, "--json"]);
    let b = raftsim(&["run", &file, "--json"]);
    assert_eq!(a.stdout, b.stdout);
    let c = raftsim(&["run", &file, "--json", "--seed", "2"]);
    let hashes = |out: &Output| -> Vec<String> {
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["trace_hash"].as_str().unwrap().to_string())
            .collect()
    };
    let (ha, hc) = (hashes(&a), hashes(&c));
    assert!(ha.iter().zip(&hc).all(|(x, y)| x != y), "{ha:?} vs {hc:?}");
}

/// Pins the trace hashes of the seed experiment: a change of behaviour
/// cannot slip through unnoticed. If a change alters them on purpose,
/// update them here and say so in the commit message.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn golden_trace_hashes_of_isolate_rejoin() {
    let out = raftsim(&["run", &repo("scenarios/isolate-rejoin.json"), "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hashes: Vec<(String, String)> = v["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["label"].as_str().unwrap().to_string(),
                v["trace_hash"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let golden: Vec<(String, String)> = GOLDEN
        .iter()
        .map(|(l, h)| (l.to_string(), h.to_string()))
        .collect();
    assert_eq!(hashes, golden);
}

const GOLDEN: [(&str, &str); 7] = [
    ("raft", "c6b1bc0da3acbff0"),
    ("prevote", "4b439056393a8abb"),
    ("checkquorum", "cc199b0590bcd4ee"),
    ("prevote+checkquorum", "24273981b3a3127c"),
    ("dledger", "efcbb4f697edd793"),
    ("raft-rs", "c1687c091f2709ab"),
    ("raft-rs prevote", "c0aae25ffe44fe81"),
];

#[test]
fn seed_comes_from_flag_then_environment_then_file_and_is_printed_first() {
    let file = repo("scenarios/leader-crash.json");
    let out = raftsim(&["run", &file, "--variant", "raft"]);
    assert!(
        stderr(&out).starts_with("raftsim: seed 1\n"),
        "{}",
        stderr(&out)
    );
    let env = common::command()
        .args(["run", &file, "--variant", "raft", "--json"])
        .env("RAFTSIM_SEED", "5")
        .output()
        .unwrap();
    assert!(stderr(&env).starts_with("raftsim: seed 5\n"));
    let flag = raftsim(&["run", &file, "--variant", "raft", "--json", "--seed", "5"]);
    assert_eq!(env.stdout, flag.stdout);
    let bad = common::command()
        .args(["run", &file])
        .env("RAFTSIM_SEED", "abc")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("RAFTSIM_SEED"));
}

#[test]
fn a_failed_expectation_exits_1_and_out_writes_results() {
    let dir = scratch("expect");
    let scenario = json!({
        "name": "t", "nodes": 3, "duration_ms": 2000,
        "expect": [{ "metric": "max_term", "min": 1000 }]
    });
    let file = write(&dir, "s.json", &scenario.to_string());
    let out_dir = dir.join("out");
    let out = raftsim(&["run", &file, "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("✗ default: max_term"),
        "{}",
        stdout(&out)
    );
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(results["expectations"][0]["ok"], false);
    assert!(results["command"].as_str().unwrap().contains("--seed 1"));
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn list_validate_and_schema() {
    let out = raftsim(&["list", "--long"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("scenarios/isolate-rejoin.json"));
    let out = raftsim(&[
        "validate",
        &repo("scenarios/isolate-rejoin.json"),
        &repo("scenarios/lossy-network.json"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = raftsim(&["schema"]);
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema["properties"]["events"].is_object());
    // A bundled scenario runs by name from anywhere.
    let out = raftsim(&["run", "leader-crash", "--variant", "raft", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn every_bundled_scenario_is_listed_and_embedded() {
    let out = stdout(&raftsim(&["list", "--long"]));
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
    {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            out.contains(&format!("scenarios/{name}")),
            "{name} is missing from src/cli/bundled.rs"
        );
    }
}

/// The comparison table of docs/FINDINGS.md is `raftsim compare`'s real output.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn findings_comparison_table_is_the_compare_commands_output() {
    let table = findings_hold_the_output_of(&["compare"]);
    assert!(table.lines().count() >= 11, "{table}");
}

/// The Markdown table `raftsim ARGS` prints, which docs/FINDINGS.md must
/// show as is.
fn findings_hold_the_output_of(args: &[&str]) -> String {
    let out = raftsim(args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table: String = stdout(&out)
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    let findings = std::fs::read_to_string(repo("docs/FINDINGS.md")).unwrap();
    assert!(
        findings.contains(&table),
        "docs/FINDINGS.md is stale; paste the output of `raftsim {}`:\n{table}",
        args.join(" ")
    );
    table
}

#[test]
fn a_file_that_cannot_be_written_is_an_error_exit_2_naming_the_path_typed() {
    let file = repo("scenarios/leader-crash.json");
    let out = raftsim(&["run", &file, "--variant", "raft", "--trace", "/dev/full"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/dev/full: cannot write the trace"),
        "{}",
        stderr(&out)
    );
    let out = raftsim(&[
        "run",
        &file,
        "--trace",
        "/nonexistent/dir/t.jsonl",
        "--variant",
        "raft",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("/nonexistent/dir/t.jsonl: cannot create"));
    let out = raftsim(&["run", &file, "--out", "/proc/raftsim-out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/proc/raftsim-out"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("partial"), "{}", stderr(&out));
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn findings_implementations_table_is_the_compare_commands_output() {
    let table = findings_hold_the_output_of(&["compare", "--implementations"]);
    assert!(table.contains("| raft (raft-rs) |"), "{table}");
}
