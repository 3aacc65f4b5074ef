//! Every validation rule as a user meets it: a bad scenario file is
//! refused with the file, the JSON path and the reason, exit code 2, and
//! nothing written; usage errors exit 2 too.

use serde_json::{json, Value};

mod common;
use common::{raftsim, repo, scratch, text};

/// Writes `scenario` to a file, runs `raftsim run` on it with `--out`, and
/// returns (exit code, stderr); checks nothing was written.
fn run_bad(name: &str, scenario: &str) -> (Option<i32>, String) {
    let dir = scratch(name);
    let path = dir.join("bad.json");
    std::fs::write(&path, scenario).expect("a scratch file");
    let file = path.to_string_lossy().into_owned();
    let out_dir = dir.join("out");
    let out = raftsim(&["run", &file, "--out", out_dir.to_str().unwrap()]);
    assert!(!out_dir.exists(), "{name}: --out written despite the error");
    assert!(out.stdout.is_empty(), "{name}: {}", text(&out.stdout));
    let err = text(&out.stderr);
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
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = raftsim(&["validate", &file, "/no/such.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/no/such.json: no such file"));
}
