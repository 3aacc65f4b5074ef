//! The Chrome trace of a real run, read back as a viewer would: valid JSON,
//! one track per node, role spans that nest and close, arrows that start
//! before they end, a term counter per node, and the same bytes every time.

use std::collections::BTreeMap;

use serde_json::Value;
use sim_core::cluster::{Cluster, ClusterConfig};
use sim_core::faults::{Fault, NodeRef, ScriptEvent};
use sim_core::raft::ClassicNode;
use sim_core::time::Instant;
use sim_core::trace::{ChromeTracer, Tracer};

const NODES: usize = 3;

/// Three nodes, 20 proposals/s; the leader crashes at 2 s and restarts at 3 s.
fn crash_restart(seed: u64) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(NODES, seed, 5_000_000);
    cfg.workload.proposals_per_sec = 20.0;
    cfg.script = vec![
        ScriptEvent::scripted(Instant::from_ms(2_000), Fault::Crash(NodeRef::Leader)),
        ScriptEvent::scripted(Instant::from_ms(3_000), Fault::Restart(NodeRef::Crashed)),
    ];
    cfg
}

fn chrome_trace(seed: u64) -> Vec<u8> {
    let mut tracer = ChromeTracer::new(Vec::new(), NODES);
    let out =
        Cluster::<ClassicNode>::new(crash_restart(seed), Some(&mut tracer as &mut dyn Tracer))
            .run();
    assert!(out.violations.is_empty(), "{:?}", out.violations);
    assert_eq!(out.trace_error, None);
    tracer.into_inner()
}

fn events(bytes: &[u8]) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(bytes).expect("the Chrome trace is valid JSON");
    assert_eq!(doc["displayTimeUnit"], "ms");
    doc["traceEvents"]
        .as_array()
        .expect("traceEvents is an array")
        .clone()
}

fn str_of<'a>(event: &'a Value, key: &str) -> &'a str {
    event[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {event}"))
}

fn u64_of(event: &Value, key: &str) -> u64 {
    event[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {event}"))
}

#[test]
fn the_same_run_writes_the_same_bytes() {
    let a = chrome_trace(3);
    let b = chrome_trace(3);
    assert!(!a.is_empty());
    assert!(a == b, "two runs of seed 3 wrote different Chrome traces");
}

#[test]
fn a_chrome_trace_has_one_track_per_node_and_spans_that_nest_and_close() {
    let events = events(&chrome_trace(3));

    // One named track per node, tid = node id.
    let mut node_tracks = BTreeMap::new();
    for e in events.iter().filter(|e| e["name"] == "thread_name") {
        let name = str_of(&e["args"], "name");
        if let Some(id) = name.strip_prefix("node ") {
            *node_tracks.entry(u64_of(e, "tid")).or_insert(0) += 1;
            assert_eq!(id, u64_of(e, "tid").to_string(), "{e}");
        }
    }
    let expected: BTreeMap<u64, i32> = (1..=NODES as u64).map(|id| (id, 1)).collect();
    assert_eq!(node_tracks, expected);

    // Timestamps never go back, so viewers keep the file's order.
    let timed: Vec<&Value> = events.iter().filter(|e| e["ph"] != "M").collect();
    assert!(timed
        .windows(2)
        .all(|w| u64_of(w[0], "ts") <= u64_of(w[1], "ts")));

    // B/E pairs nest per track and all close; a role span never encloses a
    // "down" span or another role span.
    let mut stacks: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut roles_per_node: BTreeMap<u64, usize> = BTreeMap::new();
    let mut downs = 0;
    for e in &timed {
        let tid = u64_of(e, "tid");
        let name = str_of(e, "name").to_string();
        match str_of(e, "ph") {
            "B" => {
                let stack = stacks.entry(tid).or_default();
                assert!(stack.is_empty(), "{e} opens inside {stack:?}");
                if e["cat"] == "role" {
                    let (role, term) = name.split_once(" t").expect("role spans read \"ROLE tN\"");
                    assert!(
                        ["follower", "pre_candidate", "candidate", "leader"].contains(&role),
                        "{e}"
                    );
                    assert_eq!(term.parse::<u64>().ok(), e["args"]["term"].as_u64(), "{e}");
                    *roles_per_node.entry(tid).or_default() += 1;
                } else {
                    assert_eq!(name, "down", "{e}");
                    downs += 1;
                }
                stack.push(name);
            }
            "E" => {
                let top = stacks.entry(tid).or_default().pop();
                assert_eq!(
                    top.as_deref(),
                    Some(name.as_str()),
                    "{e} closes the wrong span"
                );
            }
            _ => {}
        }
    }
    assert!(stacks.values().all(Vec::is_empty), "unclosed: {stacks:?}");
    assert_eq!(downs, 1, "one crash, one down span");
    assert_eq!(roles_per_node.len(), NODES);
    assert!(events
        .iter()
        .any(|e| e["ph"] == "B" && str_of(e, "name").starts_with("leader t")));
}

#[test]
fn every_arrow_ends_after_it_starts_and_binds_to_a_slice() {
    let events = events(&chrome_trace(3));
    let mut started = BTreeMap::new();
    let (mut starts, mut ends) = (0, 0);
    // The last zero-length slice per track: what a flow event binds to.
    let mut last_mark: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &events {
        let tid = e["tid"].as_u64().unwrap_or(0);
        match e["ph"].as_str() {
            Some("X") => {
                assert_eq!(u64_of(e, "dur"), 0, "{e}");
                last_mark.insert(tid, u64_of(e, "ts"));
            }
            Some("s") => {
                assert_eq!(last_mark.get(&tid), Some(&u64_of(e, "ts")), "unbound {e}");
                let id = u64_of(e, "id");
                let key = (str_of(e, "name").to_string(), str_of(e, "cat").to_string());
                assert!(started.insert(id, key).is_none(), "id {id} starts twice");
                starts += 1;
            }
            Some("f") => {
                assert_eq!(e["bp"], "e", "{e}");
                assert_eq!(last_mark.get(&tid), Some(&u64_of(e, "ts")), "unbound {e}");
                let id = u64_of(e, "id");
                let key = (str_of(e, "name").to_string(), str_of(e, "cat").to_string());
                assert_eq!(
                    started.get(&id),
                    Some(&key),
                    "{e} ends an arrow never started"
                );
                ends += 1;
            }
            _ => {}
        }
    }
    assert!(starts > 100, "{starts} arrows");
    assert!(ends > 100, "{ends} arrow ends");
}

#[test]
fn each_node_has_a_term_counter_and_commits_are_counted() {
    let events = events(&chrome_trace(3));
    let mut terms: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "C") {
        terms
            .entry(str_of(e, "name").to_string())
            .or_default()
            .push(u64_of(&e["args"], "value"));
    }
    for id in 1..=NODES {
        let values = terms
            .get(&format!("term n{id}"))
            .unwrap_or_else(|| panic!("no term counter for node {id}: {terms:?}"));
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "node {id}: {values:?}"
        );
        assert!(
            *values.last().unwrap() >= 2,
            "a crash forces a second election"
        );
    }
    assert!(terms["commit index"].len() > 10);
    let faults: Vec<&str> = events
        .iter()
        .filter(|e| e["cat"] == "fault")
        .map(|e| str_of(e, "name"))
        .collect();
    assert_eq!(faults.len(), 2, "{faults:?}");
}

#[test]
fn an_empty_run_is_still_a_valid_document() {
    let mut tracer = ChromeTracer::new(Vec::new(), 2);
    tracer.finish().unwrap();
    tracer.finish().unwrap();
    let events = events(&tracer.into_inner());
    assert!(events.iter().all(|e| e["ph"] == "M"));
}
