//! `--set PATH=VALUE` on run, sweep and compare, through the real binary.

mod common;

use common::{raftsim, text};

#[test]
fn set_changes_a_field_and_is_recorded_with_the_replay_command() {
    let out = raftsim(&[
        "run",
        "leader-crash",
        "--variant",
        "raft",
        "--json",
        "--set",
        "nodes=7",
        "--set",
        "raft.heartbeat_ms=40",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results["nodes"], 7);
    assert_eq!(results["variants"][0]["config"]["raft"]["heartbeat_ms"], 40);
    assert_eq!(
        results["overrides"],
        serde_json::json!(["nodes=7", "raft.heartbeat_ms=40"])
    );
    let command = results["command"].as_str().unwrap();
    assert!(
        command.contains("--set nodes=7 --set raft.heartbeat_ms=40"),
        "{command}"
    );
    // Without --set the results say nothing of overrides.
    let plain = raftsim(&["run", "leader-crash", "--variant", "raft", "--json"]);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(plain.get("overrides").is_none());
    assert_ne!(
        plain["variants"][0]["trace_hash"],
        results["variants"][0]["trace_hash"]
    );
}

#[test]
fn a_bad_override_is_a_validation_error_naming_the_path() {
    let out = raftsim(&["run", "leader-crash", "--set", "raft.pre_vot=true"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("(with --set raft.pre_vot=true)"), "{err}");
    assert!(err.contains("pre_vot"), "{err}");
    let out = raftsim(&["run", "leader-crash", "--set", "nodes=1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nodes"), "{}", text(&out.stderr));
    let out = raftsim(&["run", "leader-crash", "--set", "nodes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("PATH=VALUE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sweep_and_compare_take_overrides_and_replay_them() {
    // An expectation that every seed fails, added on the command line.
    let expect = r#"expect=[{"variant":"raft","metric":"max_term","max":0}]"#;
    let out = raftsim(&["sweep", "leader-crash", "--seeds", "0..2", "--set", expect]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("raftsim run leader-crash --set 'expect="),
        "the replay command repeats the override:\n{shown}"
    );
    let out = raftsim(&["compare", "leader-crash", "--set", "raft.pre_vote=true"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // With PreVote everywhere, classic Raft's column shows pre-votes' quiet.
    assert!(text(&out.stdout).contains("| leader-crash |"));
}
