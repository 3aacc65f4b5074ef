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

/// Writes `scenario` to a file, runs `raftsim run` on it with `--out`, and
/// returns (exit code, stderr); checks nothing was written.
fn run_bad(name: &str, scenario: &str) -> (Option<i32>, String) {
    let dir = scratch(name);
    let file = write(&dir, "bad.json", scenario);
    let out_dir = dir.join("out");
    let out = raftsim(&["run", &file, "--out", out_dir.to_str().unwrap()]);
    assert!(!out_dir.exists(), "{name}: --out written despite the error");
    assert!(out.stdout.is_empty(), "{name}: {}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&file),
        "{name}: the error names the file: {err}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    (out.status.code(), err)
}

fn base() -> Value {
    json!({ "name": "t", "nodes": 5, "duration_ms": 10000 })
}

fn with(mut scenario: Value, key: &str, value: Value) -> String {
    scenario[key] = value;
    scenario.to_string()
}

#[test]
fn each_validation_rule_names_the_json_path_and_exits_2() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown-field",
            with(base(), "raft", json!({"pre_vot": true})),
            "raft.pre_vot (line 1, column 59): unknown field `pre_vot`, expected one of",
        ),
        ("wrong-type", with(base(), "nodes", json!("five")), "nodes"),
        (
            "loss",
            with(base(), "network", json!({"loss": 1.5})),
            "network.loss: 1.5 is not a probability",
        ),
        (
            "duplicate",
            with(
                base(),
                "variants",
                json!([{"label": "a", "network": {"duplicate": -0.1}}]),
            ),
            "variants[0].network.duplicate",
        ),
        (
            "empty-range",
            with(base(), "raft", json!({"election_timeout_ms": [300, 150]})),
            "raft.election_timeout_ms: empty range",
        ),
        (
            "range-arity",
            with(base(), "network", json!({"latency_ms": [1]})),
            "network.latency_ms",
        ),
        (
            "no-such-node",
            with(base(), "events", json!([{"at_ms": 1, "isolate": 9}])),
            "events[0].isolate: node 9 does not exist (the cluster has nodes 1..=5)",
        ),
        (
            "members-beyond-nodes",
            with(base(), "members", json!([1, 2, 6])),
            "members[2]: node 6 does not exist (the cluster has nodes 1..=5)",
        ),
        (
            "no-members",
            with(base(), "members", json!([])),
            "members: names no node",
        ),
        (
            "change-names-no-such-node",
            with(
                base(),
                "events",
                json!([{"at_ms": 1, "change": {"add": [2], "remove": [7]}}]),
            ),
            "events[0].change.remove[0]: node 7 does not exist (the cluster has nodes 1..=5)",
        ),
        (
            "add-voter-no-such-node",
            with(base(), "events", json!([{"at_ms": 1, "add_voter": 6}])),
            "events[0].add_voter: node 6 does not exist",
        ),
        (
            "membership-rate",
            with(base(), "chaos", json!({"membership_per_min": 61})),
            "chaos.membership_per_min: 61 is out of range",
        ),
        (
            "no-such-follower",
            with(
                base(),
                "events",
                json!([{"at_ms": 1, "crash": "follower:5"}]),
            ),
            "events[0].crash: follower:5 cannot exist",
        ),
        (
            "bad-reference",
            with(base(), "events", json!([{"at_ms": 1, "crash": "boss"}])),
            "events[0].crash: \"boss\" is not a node reference",
        ),
        (
            "past-the-end",
            with(base(), "events", json!([{"at_ms": 20000, "heal": true}])),
            "events[0].at_ms: 20000 ms is past the end",
        ),
        (
            "two-actions",
            with(
                base(),
                "events",
                json!([{"at_ms": 1, "heal": true, "crash": 1}]),
            ),
            "events[0]: has 2 actions",
        ),
        (
            "no-action",
            with(base(), "events", json!([{"at_ms": 1}])),
            "events[0]: has no action",
        ),
        (
            "heal-false",
            with(base(), "events", json!([{"at_ms": 1, "heal": false}])),
            "events[0].heal: must be true",
        ),
        (
            "partition-missing",
            with(
                base(),
                "events",
                json!([{"at_ms": 1, "partition": [[1, 2], [3, 4]]}]),
            ),
            "events[0].partition: nodes 5 are in no group",
        ),
        (
            "partition-twice",
            with(
                base(),
                "events",
                json!([{"at_ms": 1, "partition": [[1, 2, 3], [3, 4, 5]]}]),
            ),
            "events[0].partition[1][0]: node 3 is listed twice",
        ),
        (
            "self-link",
            with(base(), "events", json!([{"at_ms": 1, "cut": [[2, 2]]}])),
            "events[0].cut[0]: a link joins two different nodes",
        ),
        (
            "set-link-nothing",
            with(
                base(),
                "events",
                json!([{"at_ms": 1, "set_link": {"between": [1, 2]}}]),
            ),
            "events[0].set_link: changes nothing",
        ),
        (
            "labels-unique",
            with(base(), "variants", json!([{"label": "a"}, {"label": "a"}])),
            "variants[1].label: \"a\" is used twice",
        ),
        (
            "expect-variant",
            with(
                base(),
                "expect",
                json!([{"variant": "x", "metric": "max_term", "max": 1}]),
            ),
            "expect[0].variant: no variant is labelled \"x\"",
        ),
        (
            "expect-metric",
            with(base(), "expect", json!([{"metric": "max_trem", "max": 1}])),
            "expect[0].metric: unknown metric \"max_trem\"",
        ),
        (
            "expect-message-type-empty",
            with(
                base(),
                "expect",
                json!([{"metric": "messages_by_type.", "max": 1}]),
            ),
            "expect[0].metric: unknown metric \"messages_by_type.\"",
        ),
        (
            "expect-bounds",
            with(base(), "expect", json!([{"metric": "max_term"}])),
            "expect[0]: gives neither min nor max",
        ),
        (
            "nodes-zero",
            with(base(), "nodes", json!(0)),
            "nodes: 0 nodes is out of range",
        ),
        (
            "nodes-many",
            with(base(), "nodes", json!(65)),
            "nodes: 65 nodes is out of range: must be 1..=64",
        ),
        (
            "duration",
            with(base(), "duration_ms", json!(0)),
            "duration_ms: 0 is out of range",
        ),
        (
            "bug-name",
            with(base(), "raft", json!({"bugs": ["nope"]})),
            "raft.bugs[0]: unknown bug \"nope\"",
        ),
        (
            "election",
            with(base(), "raft", json!({"election": "paxos"})),
            "raft.election",
        ),
        (
            "rate",
            with(base(), "workload", json!({"proposals_per_sec": -1})),
            "workload.proposals_per_sec",
        ),
        (
            "chaos-rate",
            with(base(), "chaos", json!({"crash_per_min": 100})),
            "chaos.crash_per_min: 100 is out of range",
        ),
        (
            "chaos-window",
            with(base(), "chaos", json!({"cut_per_min": 1, "end_ms": 20000})),
            "chaos.end_ms: 20000 ms is past the end",
        ),
        (
            "chaos-loss",
            with(
                base(),
                "chaos",
                json!({"loss_spike_per_min": 1, "spike_loss": [0.5, 2.0]}),
            ),
            "chaos.spike_loss[1]: 2 is not a probability",
        ),
        (
            "swarm-period-alone",
            with(
                base(),
                "chaos",
                json!({"crash_per_min": 1, "swarm_period_ms": 10000}),
            ),
            "chaos.swarm_period_ms: needs \"swarm\": true",
        ),
        (
            "swarm-period-part-second",
            with(
                base(),
                "chaos",
                json!({"crash_per_min": 1, "swarm": true, "swarm_period_ms": 1500}),
            ),
            "chaos.swarm_period_ms: 1500 ms: the mix changes at slot boundaries",
        ),
        (
            "reset-false",
            with(
                base(),
                "events",
                json!([{"at_ms": 1, "reset_network": false}]),
            ),
            "events[0].reset_network: must be true",
        ),
        (
            "malformed",
            "{\"name\": \"t\",\n \"nodes\": 5,,}".to_string(),
            "line 2, column",
        ),
        (
            "trailing",
            format!("{} x", base()),
            "unexpected text after the scenario object",
        ),
    ];
    for (name, scenario, expected) in cases {
        let (code, err) = run_bad(name, &scenario);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(
            err.contains(expected),
            "{name}: expected {expected:?} in:\n{err}"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let file = repo("scenarios/leader-crash.json");
    for args in [
        vec!["run"],
        vec!["run", "/no/such/file.json"],
        vec!["run", file.as_str(), "--variant", "nope"],
        vec!["run", file.as_str(), "--seed", "-3"],
        vec!["frobnicate"],
    ] {
        let out = raftsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = raftsim(&["validate", &file, "/no/such.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/no/such.json: no such file"));
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
