//! The fault script through the real engine: `let` names, `wait` events
//! (with and without `wait_ms`), events timed from a `let` (`after`), and
//! the same faults for every variant of every bundled scenario.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use sim_core::faults::{FaultKind, FaultRecord};
use sim_core::node::NodeId;
use sim_core::results::run_variant;
use sim_core::scenario::{parse, Scenario};

/// The words a bundled scenario's description must contain for its
/// variants to get faults that differ by more than a renaming of nodes
/// (docs/SCENARIOS.md, "The same faults for every variant").
const PER_VARIANT_MARKER: &str = "per variant";

fn scenario(value: Value) -> Scenario {
    parse(&value.to_string()).unwrap_or_else(|e| panic!("{e}\n{value:#}"))
}

/// The fault records of every variant of `scenario` with `seed`, and the
/// virtual time (ms) of the violation that stopped it, if one did.
fn faults(scenario: &Scenario, seed: u64) -> Vec<(String, Vec<FaultRecord>, Option<f64>)> {
    scenario
        .variants()
        .iter()
        .map(|v| {
            let result = run_variant(scenario, v, seed, None);
            let stop = result.safety.violations.first().map(|v| v.at_ms);
            (v.label.clone(), result.series.faults, stop)
        })
        .collect()
}

/// The only variant's fault records.
fn only_faults(value: Value, seed: u64) -> Vec<FaultRecord> {
    faults(&scenario(value), seed).remove(0).1
}

/// A fault schedule with its nodes renamed a, b, c, ... in order of first
/// appearance: two variants get the same faults when their schedules are
/// equal up to which node is which (a variant may elect another node).
fn canonical(records: &[FaultRecord]) -> Vec<String> {
    let mut names: BTreeMap<NodeId, char> = BTreeMap::new();
    for node in records.iter().flat_map(|r| r.nodes.iter()) {
        let next = (b'a' + names.len() as u8) as char;
        names.entry(*node).or_insert(next);
    }
    records
        .iter()
        .map(|r| {
            let rename = |text: &str| rename_nodes(text, &names);
            // Which node led when a request was handed over is the
            // variant's own election, not the script.
            let description = match r.description.find(" (leader ") {
                Some(at) => r.description[..at].to_string(),
                None => r.description.clone(),
            };
            format!(
                "#{} {} ms {}: {} [{}] {}",
                r.index,
                r.at_ms,
                r.kind,
                rename(&description),
                r.nodes.iter().map(|n| names[n]).collect::<String>(),
                r.skipped.as_deref().map(rename).unwrap_or_default()
            )
        })
        .collect()
}

/// Replaces each node number of a description ("link 3-1 loss 30%",
/// "let F=1, L=3", "partition 1,2 | 3") by its canonical letter; numbers
/// that are settings ("30%", "1–5 ms") stay.
fn rename_nodes(text: &str, names: &BTreeMap<NodeId, char>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        let before_ok = start == 0 || " -→,=|".contains(chars[start - 1]);
        let after_ok = i == chars.len() || " -→,|)".contains(chars[i]);
        let node = digits.parse::<u32>().ok().map(NodeId);
        match node.and_then(|n| names.get(&n)) {
            Some(&letter) if before_ok && after_ok => out.push(letter),
            _ => out.push_str(&digits),
        }
    }
    out
}

fn bundled() -> Vec<(String, Scenario)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the bundled scenarios are found");
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let scenario = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, scenario)
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn every_bundled_scenario_gives_every_variant_the_same_faults() {
    for (name, scenario) in bundled() {
        let per_variant = scenario.file.description.contains(PER_VARIANT_MARKER);
        // Variants with scripts of their own are stories told side by side
        // (with and without a transfer, say): their faults differ by design,
        // and the description must say so.
        if scenario.file.variants.iter().any(|v| v.events.is_some()) {
            assert!(
                per_variant,
                "{name}: variants run their own events {PER_VARIANT_MARKER}: say so"
            );
            continue;
        }
        for seed in [1, 2] {
            let runs = faults(&scenario, seed);
            // A variant stopped by a violation (a planted bug) got only the
            // faults before it: the others are compared up to there.
            let stop = runs
                .iter()
                .filter_map(|run| run.2)
                .fold(f64::INFINITY, f64::min);
            let runs: Vec<(String, Vec<FaultRecord>)> = runs
                .into_iter()
                .map(|(label, records, _)| {
                    let before = records.into_iter().filter(|r| r.at_ms <= stop).collect();
                    (label, before)
                })
                .collect();
            let (first_label, first) = &runs[0];
            for (label, records) in &runs[1..] {
                if per_variant {
                    // Still one record per event, of the same kind (in
                    // index order: a `wait` event may fire at another
                    // instant in another variant).
                    let kinds = |r: &[FaultRecord]| -> Vec<(usize, FaultKind)> {
                        let mut kinds: Vec<_> = r.iter().map(|f| (f.index, f.kind)).collect();
                        kinds.sort_by_key(|&(index, _)| index);
                        kinds
                    };
                    assert_eq!(kinds(records), kinds(first), "{name} seed {seed} {label}");
                } else {
                    assert_eq!(
                        canonical(records),
                        canonical(first),
                        "{name} seed {seed}: {label} got other faults than {first_label}; \
                         bind the nodes with let, or say in the description why the faults \
                         differ {PER_VARIANT_MARKER}"
                    );
                }
            }
        }
    }
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn flaky_link_degrades_and_heals_one_link_in_every_variant() {
    let (_, scenario) = bundled()
        .into_iter()
        .find(|(name, _)| name == "flaky-link")
        .expect("flaky-link is bundled");
    for (label, records, _) in faults(&scenario, 1) {
        let links: Vec<&[NodeId]> = records
            .iter()
            .filter(|r| r.kind == FaultKind::SetLink)
            .map(|r| r.nodes.as_slice())
            .collect();
        assert_eq!(links.len(), 4, "{label}: {records:?}");
        assert!(links.iter().all(|l| *l == links[0]), "{label}: {links:?}");
        // The link bound at 10 s is the leader's link to its first follower.
        assert_eq!(records[0].kind, FaultKind::Let);
        assert_eq!(records[0].nodes.len(), 2, "{label}");
        assert!(records.iter().all(|r| r.skipped.is_none()), "{label}");
    }
}

/// A 5-node cluster of 20 s with the given events.
fn five_nodes(events: Value) -> Value {
    json!({ "name": "t", "nodes": 5, "duration_ms": 20000, "events": events })
}

#[test]
fn a_name_keeps_its_node_after_the_leader_changed() {
    let records = only_faults(
        five_nodes(json!([
            {"at_ms": 2000, "let": {"L": "leader", "F": "follower:1"}},
            {"at_ms": 3000, "crash": "L"},
            {"at_ms": 6000, "restart": "L"},
            {"at_ms": 8000, "let": {"M": "leader"}},
            {"at_ms": 9000, "set_link": {"between": ["L", "F"], "loss": 0.5}},
        ])),
        1,
    );
    let kinds: Vec<FaultKind> = records.iter().map(|r| r.kind).collect();
    use FaultKind::{Crash, Let, Restart, SetLink};
    assert_eq!(kinds, [Let, Crash, Restart, Let, SetLink]);
    let (f, l) = (records[0].nodes[0], records[0].nodes[1]);
    assert_eq!(records[0].description, format!("let F={f}, L={l}"));
    assert_eq!(records[1].nodes, [l]);
    assert_eq!(records[2].nodes, [l]);
    let m = records[3].nodes[0];
    assert_ne!(m, l, "a new leader was elected after L crashed");
    assert_eq!(records[4].nodes, [l, f], "L is still the node bound at 2 s");
    assert!(records.iter().all(|r| r.skipped.is_none()), "{records:?}");
}

#[test]
fn a_let_that_cannot_resolve_skips_every_event_that_uses_its_names() {
    let records = only_faults(
        five_nodes(json!([
            {"at_ms": 0, "let": {"L": "leader", "X": 2}},
            {"at_ms": 5000, "crash": "L"},
            {"at_ms": 6000, "cut": [["X", 3]]},
            {"at_ms": 7000, "crash": "leader"},
        ])),
        1,
    );
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].skipped.as_deref(), Some("there is no leader"));
    assert_eq!(records[0].description, "let (skipped)");
    for r in &records[1..3] {
        let reason = r.skipped.as_deref().unwrap_or_default();
        assert!(
            reason.contains("is not bound: its let was skipped (there is no leader)"),
            "{r:?}"
        );
    }
    assert!(records[3].skipped.is_none(), "events without names go on");
}

#[test]
fn a_wait_event_fires_at_the_first_instant_it_resolves() {
    let events = |wait: bool| {
        five_nodes(json!([
            {"at_ms": 0, "crash": "leader", "wait": wait},
            {"at_ms": 0, "let": {"L": "leader"}, "wait": wait},
            {"at_ms": 10000, "restart": "L"},
        ]))
    };
    let plain = only_faults(events(false), 1);
    assert!(plain.iter().all(|r| r.skipped.is_some()), "{plain:?}");
    let waited = only_faults(events(true), 1);
    assert_eq!(waited.len(), 3, "{waited:?}");
    let (crash, bind, restart) = (&waited[0], &waited[1], &waited[2]);
    assert_eq!((crash.kind, bind.kind), (FaultKind::Crash, FaultKind::Let));
    // Both fired when the first leader was elected, after one election
    // timeout at least, and recorded when they were due.
    assert!(crash.at_ms >= 150.0 && crash.at_ms < 2000.0, "{crash:?}");
    assert_eq!(crash.due_ms, Some(0.0));
    assert!(crash.skipped.is_none());
    // The crash left no leader: the let waited for the next one.
    assert!(bind.at_ms > crash.at_ms, "{bind:?}");
    assert_eq!(bind.due_ms, Some(0.0));
    assert_ne!(bind.nodes, crash.nodes);
    // L is the second leader: up, so its restart is skipped.
    assert_eq!(restart.at_ms, 10000.0);
    assert_eq!(restart.due_ms, None);
    let reason = restart.skipped.as_deref().unwrap_or_default();
    assert!(reason.contains("is not down"), "{restart:?}");
    // Same scenario, same seed: the same schedule.
    assert_eq!(only_faults(events(true), 1), waited);
}

#[test]
fn a_wait_event_that_never_resolves_is_recorded_as_never_fired() {
    let mut file = five_nodes(json!([
        {"at_ms": 1000, "isolate": "leader", "wait": true},
        {"at_ms": 2000, "heal": true},
    ]));
    file["network"] = json!({"loss": 1.0});
    let records = only_faults(file, 1);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0].kind, FaultKind::Heal);
    let never = &records[1];
    assert_eq!(never.index, 0);
    assert_eq!(never.kind, FaultKind::Isolate);
    assert_eq!(never.at_ms, 1000.0, "recorded at the instant it was due");
    assert_eq!(never.description, "isolate (never fired)");
    assert_eq!(
        never.skipped.as_deref(),
        Some("never resolved: there is no leader")
    );
}

#[test]
fn waiting_events_count_toward_the_event_limit() {
    let mut file = five_nodes(json!([
        {"at_ms": 0, "crash": "leader", "wait": true},
    ]));
    file["max_events"] = json!(3);
    let scenario = scenario(file);
    let result = run_variant(&scenario, &scenario.variants()[0], 1, None);
    assert!(result.limit_reached.is_some());
    let never = &result.series.faults[0];
    assert_eq!(
        never.skipped.as_deref(),
        Some("never resolved: there is no leader")
    );
}

/// The first validation error of a scenario with these events, as
/// `path: reason`.
fn error_of(events: Value) -> String {
    let text = five_nodes(events).to_string();
    match parse(&text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(errors) => errors.0[0].to_string(),
    }
}

#[test]
fn names_are_checked_where_they_are_used() {
    let cases = [
        (
            json!([{"at_ms": 1000, "crash": "L"}, {"at_ms": 2000, "let": {"L": "leader"}}]),
            "events[0].crash: L is used before its let: events[1] binds it, later in the file",
        ),
        (
            json!([{"at_ms": 2000, "let": {"L": "leader"}}, {"at_ms": 1000, "crash": "L"}]),
            "events[1].crash: L is used at 1000 ms, before events[0] binds it at 2000 ms",
        ),
        (
            json!([{"at_ms": 1000, "cut": [["leader", "Nobody"]]}]),
            "events[0].cut[0][1]: \"Nobody\" is not bound: no let event binds it",
        ),
        (
            json!([{"at_ms": 1000, "let": {"L": "leader"}}, {"at_ms": 2000, "let": {"L": 1}}]),
            "events[1].let.L: L is already bound by events[0]: a name is bound once",
        ),
        (
            json!([{"at_ms": 1000, "let": {"l": "leader"}}]),
            "events[0].let.l: \"l\" is not a name: a name starts with a capital letter",
        ),
        (
            json!([{"at_ms": 1000, "let": {"L": "L"}}]),
            "events[0].let.L: L is bound by this same event: use it in a later one",
        ),
        (
            json!([{"at_ms": 1000, "let": {"L": "follower:5"}}]),
            "events[0].let.L: follower:5 cannot exist",
        ),
        (
            json!([{"at_ms": 1000, "let": {"L": "freshest:0"}}]),
            "events[0].let.L: freshest:0 cannot exist",
        ),
        (
            json!([{"at_ms": 1000, "let": {}}]),
            "events[0].let: binds no names",
        ),
        (
            json!([{"at_ms": 1000, "heal": true, "wait": true}]),
            "events[0].wait: heal names no node, so there is nothing to wait for",
        ),
        (
            json!([{"at_ms": 1000, "let": {"L": "leader"}, "crash": "L"}]),
            "events[0].crash: L is bound by this same event",
        ),
    ];
    for (events, expected) in cases {
        let error = error_of(events);
        assert!(
            error.starts_with(expected),
            "{error}\n  expected: {expected}"
        );
    }
}

#[test]
fn let_and_wait_are_in_the_schema() {
    let schema = sim_core::scenario::json_schema().to_string();
    for field in [
        "\"let\"",
        "\"wait\"",
        "\"wait_ms\"",
        "\"after\"",
        "capital letter",
    ] {
        assert!(schema.contains(field), "{field}");
    }
}

/// Whether two instants in milliseconds are the same microsecond.
fn same_instant(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.000_5
}

#[test]
fn events_after_a_let_that_waited_move_with_it() {
    let records = only_faults(
        five_nodes(json!([
            {"at_ms": 0, "let": {"L": "leader"}, "wait": true},
            {"at_ms": 0, "isolate": "L", "after": "L"},
            {"at_ms": 150, "crash": "L", "after": "L"},
            {"at_ms": 1000, "restart": "L", "after": "L"},
        ])),
        1,
    );
    assert_eq!(records.len(), 4, "{records:?}");
    let bind = &records[0];
    // No leader at 0: the let waited for the first election.
    assert_eq!(bind.kind, FaultKind::Let);
    assert!(bind.at_ms >= 150.0, "{bind:?}");
    assert_eq!(bind.due_ms, Some(0.0));
    let kinds = [FaultKind::Isolate, FaultKind::Crash, FaultKind::Restart];
    for ((record, offset), kind) in records[1..].iter().zip([0.0, 150.0, 1000.0]).zip(kinds) {
        assert_eq!(record.kind, kind);
        assert!(
            same_instant(record.at_ms, bind.at_ms + offset),
            "{offset} ms after the let: {record:?}"
        );
        assert_eq!(record.due_ms, None, "due when it fired: {record:?}");
        assert!(record.skipped.is_none(), "{record:?}");
        assert_eq!(record.nodes, bind.nodes);
    }
}

#[test]
fn after_a_let_that_fires_when_due_is_the_same_run_as_without() {
    let run = |events: Value| {
        let scenario = scenario(five_nodes(events));
        run_variant(&scenario, &scenario.variants()[0], 3, None)
    };
    let timed = run(json!([
        {"at_ms": 5000, "let": {"L": "leader"}},
        {"at_ms": 100, "crash": "L", "after": "L"},
        {"at_ms": 2500, "restart": "L", "after": "L"},
    ]));
    let absolute = run(json!([
        {"at_ms": 5000, "let": {"L": "leader"}},
        {"at_ms": 5100, "crash": "L"},
        {"at_ms": 7500, "restart": "L"},
    ]));
    assert_eq!(timed.series.faults, absolute.series.faults);
    assert_eq!(timed.trace_hash, absolute.trace_hash);
}

#[test]
fn events_after_a_skipped_let_are_skipped_whatever_they_name() {
    let records = only_faults(
        five_nodes(json!([
            {"at_ms": 0, "let": {"L": "leader"}},
            {"at_ms": 10, "crash": 2, "after": "L"},
        ])),
        1,
    );
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[1].at_ms, 10.0);
    let reason = records[1].skipped.as_deref().unwrap_or_default();
    assert!(
        reason.contains("L is not bound: its let was skipped (there is no leader)"),
        "{reason}"
    );
}

#[test]
fn a_let_that_waits_past_its_wait_ms_is_skipped_with_its_events() {
    let records = only_faults(
        five_nodes(json!([
            {"at_ms": 0, "let": {"L": "leader"}, "wait_ms": 50},
            {"at_ms": 10, "crash": 2, "after": "L"},
        ])),
        1,
    );
    assert_eq!(records.len(), 2, "{records:?}");
    // No leader within 50 ms of the start (an election timeout is 150 ms
    // at least): skipped at its deadline.
    let bind = &records[0];
    assert_eq!((bind.at_ms, bind.due_ms), (50.0, Some(0.0)));
    assert_eq!(
        bind.skipped.as_deref(),
        Some("waited 50 ms in vain: there is no leader")
    );
    let crash = &records[1];
    assert_eq!(crash.at_ms, 60.0, "10 ms after its let, skipped at 50 ms");
    let reason = crash.skipped.as_deref().unwrap_or_default();
    assert!(
        reason.contains("its let was skipped (waited 50 ms"),
        "{reason}"
    );
    // With time enough, the same let binds the first leader.
    let records = only_faults(
        five_nodes(json!([{"at_ms": 0, "let": {"L": "leader"}, "wait_ms": 5000}])),
        1,
    );
    assert!(
        records[0].skipped.is_none() && records[0].at_ms >= 150.0,
        "{records:?}"
    );
}

#[test]
fn events_after_a_let_that_never_fired_are_recorded_as_never_fired() {
    let mut file = five_nodes(json!([
        {"at_ms": 1000, "let": {"L": "leader"}, "wait": true},
        {"at_ms": 10, "crash": 2, "after": "L"},
    ]));
    file["network"] = json!({"loss": 1.0});
    let records = only_faults(file, 1);
    assert_eq!(records.len(), 2, "{records:?}");
    let never = &records[1];
    assert_eq!((never.index, never.at_ms), (1, 1010.0));
    assert_eq!(never.description, "crash (never fired)");
    assert_eq!(
        never.skipped.as_deref(),
        Some("never resolved: L is not bound yet: its let is still waiting")
    );
}

#[test]
fn after_and_wait_ms_are_checked() {
    let cases = [
        (
            json!([{"at_ms": 0, "crash": 1, "after": "L"}]),
            "events[0].after: \"L\" is not bound: no let event binds it",
        ),
        (
            json!([{"at_ms": 0, "crash": 1, "after": "L"}, {"at_ms": 0, "let": {"L": "leader"}}]),
            "events[0].after: L is bound later in the file, by events[1]",
        ),
        (
            json!([{"at_ms": 0, "let": {"L": "leader"}, "after": "L"}]),
            "events[0].after: L is bound by this same event",
        ),
        (
            json!([
                {"at_ms": 0, "let": {"L": "leader"}},
                {"at_ms": 0, "crash": "L", "after": "L", "repeat": {"every_ms": 10, "times": 2}},
            ]),
            "events[1].repeat: an event timed from a let (after) fires once",
        ),
        (
            json!([
                {"at_ms": 0, "let": {"L": "leader"}, "repeat": {"every_ms": 10, "times": 2}},
                {"at_ms": 0, "crash": "L", "after": "L"},
            ]),
            "events[1].after: L is bound by events[0], which repeats",
        ),
        (
            json!([
                {"at_ms": 19000, "let": {"L": "leader"}},
                {"at_ms": 2000, "crash": "L", "after": "L"},
            ]),
            "events[1].at_ms: 21000 ms is past the end of the run (duration_ms is 20000): 2000 ms after its let",
        ),
        (
            json!([{"at_ms": 0, "crash": "leader", "wait": false, "wait_ms": 10}]),
            "events[0].wait_ms: says how long to wait, but wait is false",
        ),
        (
            json!([{"at_ms": 0, "crash": "leader", "wait_ms": 0}]),
            "events[0].wait_ms: 0 is out of range",
        ),
        (
            json!([{"at_ms": 0, "heal": true, "wait_ms": 10}]),
            "events[0].wait_ms: heal names no node, so there is nothing to wait for",
        ),
    ];
    for (events, expected) in cases {
        let error = error_of(events);
        assert!(
            error.starts_with(expected),
            "{error}\n  expected: {expected}"
        );
    }
}

/// `freshest:K` ranks the live followers by how up to date their logs
/// are: a follower that was down while the client wrote is last, whatever
/// its id, and `freshest:1` is never it.
#[test]
fn freshest_ranks_the_followers_by_their_logs() {
    let mut file = five_nodes(json!([
        {"at_ms": 2000, "let": {"L": "leader", "S": "follower:1"}},
        {"at_ms": 2000, "crash": "S"},
        {"at_ms": 6000, "restart": "S"},
        {"at_ms": 6000, "let": {"F": "freshest:1", "G": "freshest:4"}},
    ]));
    file["workload"] = json!({"proposals_per_sec": 50});
    let records = only_faults(file, 1);
    assert!(records.iter().all(|r| r.skipped.is_none()), "{records:?}");
    let (leader, stale) = (records[0].nodes[0], records[0].nodes[1]);
    let (freshest, last) = (records[3].nodes[0], records[3].nodes[1]);
    assert_eq!(last, stale, "the node that missed 4 s of writes is last");
    assert_ne!(freshest, stale);
    assert_ne!(freshest, leader, "the leader is nobody's follower");
}

/// A `let` timed from another binds its names that long after the first:
/// an event timed from the second may use the first's names.
#[test]
fn events_timed_from_a_let_timed_from_a_let_use_both_lets_names() {
    let records = only_faults(
        five_nodes(json!([
            {"at_ms": 1000, "let": {"L": "leader"}, "wait": true},
            {"at_ms": 5, "after": "L", "let": {"M": "follower:1"}},
            {"at_ms": 10, "after": "M", "cut": [["L", "M"]]},
        ])),
        1,
    );
    assert!(records.iter().all(|r| r.skipped.is_none()), "{records:?}");
    assert!(
        same_instant(records[2].at_ms, records[0].at_ms + 15.0),
        "{records:?}"
    );
    assert_eq!(records[2].nodes, [records[0].nodes[0], records[1].nodes[0]]);
}
