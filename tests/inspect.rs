//! `raftsim inspect` through the real binary: the state at an instant of a
//! saved run, consistent with the run itself.

mod common;

use common::{raftsim, scratch, text};

fn states(dir: &str, at: &str) -> serde_json::Value {
    let out = raftsim(&["inspect", dir, "--at", at, "--variant", "raft", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn inspect_shows_the_isolated_node_then_the_rejoin() {
    let dir = scratch("rejoin");
    let out = raftsim(&[
        "run",
        "isolate-rejoin",
        "--variant",
        "raft",
        "--out",
        &dir.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = dir.to_string_lossy().into_owned();

    // Just before the heal: node 4 is cut off and has burnt its terms.
    let before = states(&dir, "79.9s");
    let nodes = before[0]["nodes"].as_array().unwrap();
    let isolated = &nodes[3];
    assert_eq!(isolated["node"], 4);
    assert_eq!(isolated["cannot_send_to"], serde_json::json!([1, 2, 3, 5]));
    assert!(isolated["term"].as_u64().unwrap() >= 100, "{isolated}");
    let leader = nodes
        .iter()
        .find(|n| n["role"] == "leader")
        .expect("a leader");
    assert_eq!(leader["term"], 1);
    assert!(leader["commit_index"].as_u64().unwrap() > 1000);

    // A second after the heal: the cluster has moved to node 4's term.
    let after = states(&dir, "81s");
    let nodes = after[0]["nodes"].as_array().unwrap();
    let leader = nodes
        .iter()
        .find(|n| n["role"] == "leader")
        .expect("a leader again");
    assert!(leader["term"].as_u64().unwrap() >= 100, "{leader}");
    assert!(nodes
        .iter()
        .all(|n| n["cannot_send_to"] == serde_json::json!([])));

    // At the end of the run the highest term is the run's max_term.
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{dir}/results.json")).unwrap()).unwrap();
    let end = states(&dir, "120s");
    let top = end[0]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["term"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(results["variants"][0]["metrics"]["max_term"], top);

    let table = text(&raftsim(&["inspect", &dir, "--at", "79.9s"]).stdout);
    assert!(table.contains("cannot send to"), "{table}");
    assert!(table.contains("1,2,3,5"), "{table}");
}

#[test]
fn inspect_refuses_instants_and_variants_that_are_not_there() {
    let dir = scratch("bad");
    let out = raftsim(&[
        "run",
        "leader-crash",
        "--variant",
        "raft",
        "--out",
        &dir.to_string_lossy(),
    ]);
    assert!(out.status.success());
    let dir = dir.to_string_lossy().into_owned();
    let out = raftsim(&["inspect", &dir, "--at", "1h"]);
    assert_eq!(out.status.code(), Some(2));
    let out = raftsim(&["inspect", &dir, "--at", "999s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("after the end of the run"));
    let out = raftsim(&["inspect", &dir, "--at", "1s", "--variant", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no variant is labelled"));
}

/// Runs leader-crash's raft variant with `--trace DIR/t.jsonl` and `extra`
/// options; the trace's path.
fn leader_crash_trace(dir: &std::path::Path, extra: &[&str]) -> std::path::PathBuf {
    let trace = dir.join("t.jsonl");
    let path = trace.to_string_lossy().into_owned();
    let mut args = vec!["run", "leader-crash", "--variant", "raft", "--trace", &path];
    args.extend_from_slice(extra);
    let out = raftsim(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    trace
}

/// The trace of `run --trace` says what ran, so inspecting it replays the
/// run and shows exactly what inspecting its results shows (the leader
/// crash at 30 s once showed log 200 / commit 200 from the trace and 601 /
/// 601 from the results).
#[test]
fn inspect_of_a_trace_shows_what_inspect_of_its_results_shows() {
    let dir = scratch("trace");
    let out_dir = dir.join("out");
    let trace = leader_crash_trace(&dir, &["--out", &out_dir.to_string_lossy()]);
    let trace = trace.to_string_lossy().into_owned();
    for at in ["5s", "30s", "36.2s"] {
        let from_trace = states(&trace, at);
        assert_eq!(
            from_trace,
            states(&out_dir.to_string_lossy(), at),
            "at {at}"
        );
        let nodes = from_trace[0]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 5);
        assert!(nodes.iter().all(|n| n["log_length"].as_u64() > Some(0)));
    }
    let out = raftsim(&["inspect", &trace, "--at", "5s", "--variant", "prevote"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a trace of variant \"raft\""));
}

/// A trace that does not say what ran (written by hand, or before traces
/// did) shows each node as of its last state record, and no links.
#[test]
fn inspect_reads_a_trace_without_its_run_record_from_its_state_records() {
    let trace = leader_crash_trace(&scratch("bare-trace"), &[]);
    let whole = std::fs::read_to_string(&trace).unwrap();
    let (run, rest) = whole.split_once('\n').unwrap();
    assert!(run.contains(r#""kind":"run""#), "{run}");
    std::fs::write(&trace, rest).unwrap();
    let trace = trace.to_string_lossy().into_owned();
    let out = raftsim(&["inspect", &trace, "--at", "5s", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let states: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes = states[0]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    assert_eq!(nodes.iter().filter(|n| n["role"] == "leader").count(), 1);
    assert!(
        nodes.iter().all(|n| n["cannot_send_to"].is_null()),
        "links are not in a trace"
    );
    let shown = text(&raftsim(&["inspect", &trace, "--at", "5s"]).stdout);
    assert!(shown.contains("from a trace"), "{shown}");
}
