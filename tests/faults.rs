//! `let` names and `wait` events through the real binary: validation
//! errors that name the file, the JSON path and the reason; `raftsim run
//! flaky-link` hitting one link per variant; `schema` and `shrink`.

use serde_json::{json, Value};

mod common;
use common::{raftsim, scratch, text};

fn write(name: &str, scenario: &Value) -> (std::path::PathBuf, String) {
    let dir = scratch(name);
    let path = dir.join("scenario.json");
    std::fs::write(&path, scenario.to_string()).unwrap();
    let file = path.to_string_lossy().into_owned();
    (dir, file)
}

#[test]
fn a_name_used_before_its_let_is_an_error_naming_file_path_and_reason() {
    let scenario = json!({
        "name": "t", "nodes": 5, "duration_ms": 10000,
        "events": [
            {"at_ms": 1000, "crash": "L"},
            {"at_ms": 2000, "let": {"L": "leader"}},
            {"at_ms": 3000, "set_link": {"between": ["L", "Ghost"], "loss": 0.5}},
            {"at_ms": 4000, "heal": true, "wait": true}
        ]
    });
    let (_dir, file) = write("let-errors", &scenario);
    for command in ["run", "validate"] {
        let out = raftsim(&[command, &file]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(out.stdout.is_empty(), "{command}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        for expected in [
            file.as_str(),
            "events[0].crash: L is used before its let: events[1] binds it, later in the file",
            "events[2].set_link.between[0][1]: \"Ghost\" is not bound: no let event binds it",
            "events[3].wait: heal names no node, so there is nothing to wait for",
        ] {
            assert!(err.contains(expected), "{command}: {expected}\n{err}");
        }
    }
}

#[test]
fn flaky_link_hits_one_link_per_variant_from_the_command_line() {
    let out = raftsim(&["run", "flaky-link", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    for variant in results["variants"].as_array().unwrap() {
        let faults = variant["series"]["faults"].as_array().unwrap();
        let bound = &faults[0];
        assert_eq!(bound["kind"], "let");
        let (f, l) = (&bound["nodes"][0], &bound["nodes"][1]);
        assert_eq!(bound["description"], format!("let F={f}, L={l}"));
        let links: Vec<&Value> = faults[1..].iter().map(|r| &r["nodes"]).collect();
        assert_eq!(links.len(), 4);
        assert!(
            links.iter().all(|n| **n == json!([l, f])),
            "{}: {links:?}",
            variant["label"]
        );
    }
}

#[test]
fn schema_shows_let_and_wait() {
    let out = raftsim(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = schema.to_string();
    assert!(text.contains("\"let\"") && text.contains("\"wait\""));
}

/// Shrinks `scenario`'s failing seed 1 (which must succeed) and returns
/// the path of the shrunk file.
fn shrink_seed_1(name: &str, scenario: &Value) -> std::path::PathBuf {
    let (dir, file) = write(name, scenario);
    let out_file = dir.join("min.json");
    let out = raftsim(&[
        "shrink",
        &file,
        "--seed",
        "1",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    out_file
}

#[test]
fn shrink_reduces_a_one_node_chaos_run() {
    // Chaos isolations of the only node restore no links: the standalone
    // scenario leaves them out instead of failing to replay.
    let scenario = json!({
        "name": "one-node-chaos", "nodes": 1, "duration_ms": 30000,
        "chaos": {"isolate_per_min": 6, "crash_per_min": 6, "duration_ms": [500, 3000]},
        "expect": [{"metric": "leader_changes", "max": 1}]
    });
    let out_file = shrink_seed_1("shrink-one-node", &scenario);
    let replay = raftsim(&["run", out_file.to_str().unwrap(), "--seed", "1"]);
    assert_eq!(replay.status.code(), Some(1), "{}", text(&replay.stderr));
}

#[test]
fn shrink_writes_back_let_and_wait() {
    // Fails its expectation: the crash of the first leader raises the term.
    let scenario = json!({
        "name": "named-crash", "nodes": 5, "duration_ms": 20000,
        "events": [
            {"at_ms": 0, "let": {"First": "leader"}, "wait": true},
            {"at_ms": 3000, "set_network": {"loss": 0.01}},
            {"at_ms": 5000, "crash": "First"},
            {"at_ms": 9000, "reset_network": true},
            {"at_ms": 12000, "restart": "First"}
        ],
        "expect": [{"metric": "max_term", "max": 1}]
    });
    let out_file = shrink_seed_1("shrink-let", &scenario);
    let shrunk: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let events = shrunk["events"].as_array().unwrap();
    assert!(
        events.contains(&json!({"at_ms": 0, "let": {"First": "leader"}, "wait": true})),
        "{shrunk:#}"
    );
    assert!(events.iter().any(|e| e["crash"] == "First"), "{shrunk:#}");
    assert!(events.len() < 5, "{shrunk:#}");
    let replay = raftsim(&["run", out_file.to_str().unwrap(), "--seed", "1"]);
    assert_eq!(
        replay.status.code(),
        Some(1),
        "the shrunk scenario still fails"
    );
}
