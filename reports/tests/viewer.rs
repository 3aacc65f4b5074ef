//! The replay viewer's data, from real runs of the bundled scenarios: what
//! the page shows of a node at an instant is what `replay::state_at` (the
//! replay `raftsim inspect` prints) reports, exactly inside the detail
//! windows and for role, term, vote and leader everywhere; every bundled
//! scenario's page keeps to its size budget and fetches nothing.

mod common;

use reports::viewer::{self, Page, VariantReplay, ViewerTracer};
use sim_core::cluster::Snapshot;
use sim_core::scenario::{Scenario, Variant};

use common::scenario as bundled;

/// One variant run under the viewer's tracer, as `raftsim run --out`
/// records it, and fitted into its share of the page as the page holds it.
fn record(scenario: &Scenario, variant: &Variant, seed: u64) -> VariantReplay {
    let cfg = scenario.cluster_config(variant, seed);
    let mut planned: Vec<u64> = cfg.script.iter().map(|e| e.at.as_us()).collect();
    planned.extend(scenario.chaos_events(seed).iter().map(|e| e.at.as_us()));
    let share = viewer::share_bytes(cfg.duration_us, scenario.variants().len());
    let mut tracer = ViewerTracer::new(
        &variant.label,
        scenario.file.nodes as u32,
        viewer::detail_for(&variant.raft, cfg.duration_us).within(cfg.duration_us, share),
        &planned,
    );
    let end_us = cfg.duration_us;
    let out = sim_core::run::run_with(cfg, Some(&mut tracer));
    let end_us = out
        .violations
        .first()
        .map_or(end_us, |v| (v.at_ms * 1000.0).round() as u64);
    let replay = tracer.finish(end_us, &out.series.disruptions);
    viewer::fitted(&replay, share)
}

/// Compares the viewer's state at `at_us` with the replay's; `exact`:
/// log and commit too.
fn check(replay: &VariantReplay, truth: &Snapshot, at_us: u64, what: &str) {
    let shown = replay.state_at(at_us);
    for (node, state) in truth.nodes.iter().zip(&shown) {
        let state = state.unwrap_or_else(|| panic!("{what}: node {} has no state", node.node));
        let status = node.status;
        let place = format!("{what}, node {} at {at_us} µs", node.node);
        assert_eq!(state.up, node.live, "{place}: up");
        assert_eq!(state.view.role, status.role, "{place}: role");
        assert_eq!(state.view.term, status.term, "{place}: term");
        assert_eq!(
            state.view.vote.map(u32::from),
            status.voted_for.map(|v| v.0),
            "{place}: vote"
        );
        assert_eq!(
            state.view.leader.map(u32::from),
            status.leader.map(|l| l.0),
            "{place}: leader"
        );
        if state.exact {
            assert_eq!(state.view.log, status.last_index, "{place}: log");
            assert_eq!(state.view.commit, status.commit_index, "{place}: commit");
        }
    }
}

/// Instants around every fault (a millisecond before, at, a millisecond
/// and 40 ms after), and a few others spread over the run.
fn instants(replay: &VariantReplay, end_us: u64) -> Vec<u64> {
    let mut at: Vec<u64> = replay
        .markers
        .iter()
        .filter(|m| m.kind == viewer::record::MarkerKind::Fault)
        .flat_map(|m| {
            [
                m.at_us.saturating_sub(1_000),
                m.at_us,
                m.at_us + 1_000,
                m.at_us + 40_000,
            ]
        })
        .chain((1..8).map(|k| end_us / 8 * k + 777))
        .filter(|&t| t <= end_us)
        .collect();
    at.sort_unstable();
    at.dedup();
    at
}

fn consistent_with_the_replay(name: &str, labels: &[&str], faults_at_most: usize) {
    consistent(&bundled(name), name, labels, faults_at_most);
}

fn consistent(scenario: &Scenario, name: &str, labels: &[&str], faults_at_most: usize) {
    let seed = scenario.file.seed;
    for variant in scenario
        .variants()
        .iter()
        .collect::<Vec<_>>()
        .into_iter()
        .filter(|v| labels.contains(&v.label.as_str()))
    {
        let replay = record(scenario, variant, seed);
        let mut checked_exact = 0;
        let all = instants(&replay, replay.end_us);
        for &at_us in all.iter().take(4 * faults_at_most + 7) {
            let truth = sim_core::replay::state_at(scenario, variant, seed, at_us);
            check(&replay, &truth, at_us, &format!("{name}/{}", variant.label));
            checked_exact += usize::from(replay.state_at(at_us)[0].is_some_and(|s| s.exact));
        }
        let faults = replay
            .markers
            .iter()
            .filter(|m| m.kind == viewer::record::MarkerKind::Fault)
            .count();
        assert!(
            faults == 0 || checked_exact >= 3 * faults.min(faults_at_most),
            "{name}/{}: around each fault the viewer has full detail ({checked_exact} exact)",
            variant.label
        );
    }
}

#[test]
fn a_crash_and_a_restart_show_as_the_replay_has_them() {
    consistent_with_the_replay("leader-crash", &["raft", "prevote", "dledger"], 10);
}

#[test]
fn a_paused_leader_shows_as_the_replay_has_it() {
    consistent_with_the_replay("leader-pause", &["raft", "prevote+checkquorum"], 10);
}

#[test]
fn an_isolated_node_campaigning_shows_as_the_replay_has_it() {
    consistent_with_the_replay("isolate-rejoin", &["raft", "prevote"], 10);
}

#[test]
fn seven_nodes_show_as_the_replay_has_them() {
    consistent_with_the_replay("seven-nodes", &["raft"], 10);
}

#[test]
fn random_faults_show_as_the_replay_has_them_with_either_implementation() {
    // The general chaos's blind kinds only, a few a minute, under 20
    // proposals/s, for two virtual minutes: a run whose page holds full detail around every fault
    // (the whole generator's thousands of faults are the next test's case).
    let blind = common::scenario_edited("chaos", |file| {
        file["chaos"] = serde_json::json!({"isolate_per_min": 2, "partition_per_min": 1,
            "cut_per_min": 2, "crash_per_min": 2, "loss_spike_per_min": 1,
            "duration_ms": [500, 8000]});
        file["workload"]["proposals_per_sec"] = serde_json::json!(20);
        file["duration_ms"] = serde_json::json!(120_000);
    });
    consistent(&blind, "chaos", &["raft", "raft-rs"], 12);
}

/// chaos-bugs: thousands of faults in two minutes, far more detail than
/// its page holds. It is recorded at the page's pace: whole windows around
/// some moments, spread over the run, messages in them; and what the page
/// shows is still the replay's, exactly inside the windows.
#[test]
fn a_run_full_of_faults_keeps_whole_windows_spread_over_it() {
    let scenario = bundled("chaos-bugs");
    let seed = scenario.file.seed;
    let variant = &scenario.variants()[0];
    let replay = record(&scenario, variant, seed);
    let faults = replay.markers.len();
    assert!(replay.messages.len() > 1_000, "{}", replay.messages.len());
    let whole = replay
        .windows
        .iter()
        .filter(|w| w.1 - w.0 >= replay.window_us)
        .count();
    // Its failure-detection windows of 300 ms halved at most three times
    // (the page's first steps), not yet spaced out or stripped of messages.
    assert!(
        (300_000 >> 3..=300_000).contains(&replay.window_us),
        "windows of {} µs",
        replay.window_us
    );
    assert!(whole >= 5, "{whole} whole windows for {faults} markers");
    let end_us = replay.end_us;
    let quarters = (0..4)
        .filter(|quarter| {
            let (from, to) = (end_us / 4 * quarter, end_us / 4 * (quarter + 1));
            replay.windows.iter().any(|w| from <= w.0 && w.0 < to)
        })
        .count();
    assert!(quarters >= 3, "windows in {quarters} quarters of the run");
    let inside: Vec<u64> = replay
        .windows
        .iter()
        .step_by(replay.windows.len() / 3)
        .map(|w| (w.0 + w.1) / 2)
        .collect();
    for at_us in inside
        .into_iter()
        .chain([end_us / 3 + 777, end_us / 2 + 777])
    {
        let truth = sim_core::replay::state_at(&scenario, variant, seed, at_us);
        check(&replay, &truth, at_us, "chaos-bugs");
    }
}

#[test]
fn a_pause_and_its_resume_are_node_events() {
    let scenario = bundled("leader-pause");
    let variant = &scenario.variants()[0];
    let replay = record(&scenario, variant, scenario.file.seed);
    let kinds: Vec<_> = replay.node_events.iter().map(|e| e.kind).collect();
    use viewer::record::NodeEventKind::{Pause, Resume};
    assert!(
        kinds.contains(&Pause) && kinds.contains(&Resume),
        "{kinds:?}"
    );
    let paused_at = replay
        .node_events
        .iter()
        .find(|e| e.kind == Pause)
        .expect("a pause");
    let state = replay.state_at(paused_at.at_us + 1_000);
    assert!(state[paused_at.node as usize - 1].expect("a state").paused);
}

#[test]
fn an_isolation_shows_as_cut_links_both_ways() {
    let scenario = bundled("isolate-rejoin");
    let variant = &scenario.variants()[0];
    let replay = record(&scenario, variant, scenario.file.seed);
    let first = replay.links.first().expect("links change");
    assert_eq!(first.cut.len(), 2 * (scenario.file.nodes as usize - 1));
    let truth = sim_core::replay::state_at(&scenario, variant, scenario.file.seed, first.at_us);
    let cut: Vec<(u32, u32)> = truth.cut_links.iter().map(|(a, b)| (a.0, b.0)).collect();
    assert_eq!(first.cut, cut);
    assert!(replay.links.last().expect("healed").cut.is_empty());
}

/// The page of every runnable variant of a bundled scenario.
fn page(name: &str) -> String {
    let scenario = bundled(name);
    let seed = scenario.file.seed;
    let variants = scenario.variants().iter().collect::<Vec<_>>();
    let duration_us = scenario.file.duration_ms * 1000;
    let data: Vec<String> = variants
        .iter()
        .map(|v| {
            let cfg = scenario.cluster_config(v, seed);
            let planned: Vec<u64> = cfg.script.iter().map(|e| e.at.as_us()).collect();
            let mut tracer = ViewerTracer::new(
                &v.label,
                scenario.file.nodes as u32,
                viewer::detail_for(&v.raft, duration_us),
                &planned,
            );
            let out = sim_core::run::run_with(cfg, Some(&mut tracer));
            let replay = tracer.finish(duration_us, &out.series.disruptions);
            viewer::encode(&replay, viewer::share_bytes(duration_us, variants.len()))
        })
        .collect();
    viewer::html(&Page {
        scenario: name,
        description: &scenario.file.description,
        seed,
        nodes: scenario.file.nodes as u32,
        duration_us,
        source: "a test",
        command: None,
        start: None,
        variants: &data,
    })
}

#[test]
fn every_bundled_scenario_keeps_to_its_budget_and_fetches_nothing() {
    let names = common::bundled();
    assert!(names.len() >= 10, "{names:?}");
    let sizes: Vec<(String, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .chunks(names.len().div_ceil(2))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|name| {
                            let html = page(name);
                            self_contained(name, &html);
                            (name.clone(), html.len())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    for (name, bytes) in &sizes {
        let duration_us = bundled(name).file.duration_ms * 1000;
        let budget = viewer::budget_bytes(duration_us);
        assert!(
            *bytes <= budget,
            "{name}: {bytes} bytes, over its budget of {budget}"
        );
        assert!(
            *bytes <= 2_000_000 || duration_us >= 3_600_000_000,
            "{name}"
        );
    }
}

/// Nothing in the page loads anything: no address, no external script,
/// style, font or image.
fn self_contained(name: &str, html: &str) {
    for forbidden in [
        "http://",
        "https://",
        "src=",
        "<link",
        "@import",
        "url(",
        "@font-face",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(
            !html.contains(forbidden),
            "{name}: the page holds {forbidden:?}"
        );
    }
    assert_eq!(
        html.matches("<script").count(),
        2,
        "{name}: the data and the script"
    );
    assert!(html.contains("<script id=\"viewer-data\" type=\"application/json\">"));
}

#[test]
fn a_json_lines_trace_shows_each_node_as_of_its_last_state_record() {
    let scenario = bundled("leader-crash");
    let variant = &scenario.variants()[0];
    let cfg = scenario.cluster_config(variant, scenario.file.seed);
    let mut text = Vec::new();
    sim_core::run::run_with(
        cfg,
        Some(&mut sim_core::trace::JsonLinesTracer::new(&mut text)),
    );
    let text = String::from_utf8(text).expect("UTF-8");
    let replay =
        viewer::from_jsonl(&text, "trace", viewer::Detail::new(300_000, 250_000)).expect("a trace");
    assert!(!replay.links_known);
    assert!(replay
        .markers
        .iter()
        .any(|m| m.kind == viewer::record::MarkerKind::Fault));
    // Each node as of its last state record at or before the instant, down
    // after a crash: what `raftsim inspect TRACE` prints.
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    for at_us in [500_000, 10_000_000, 20_000_500, 30_000_000, 45_000_000] {
        let shown = replay.state_at(at_us);
        for (i, state) in shown.iter().enumerate() {
            let node = i as u64 + 1;
            let last = records
                .iter()
                .rfind(|r| {
                    r["at_us"].as_u64() <= Some(at_us) && r["node"] == node && r["kind"] == "state"
                })
                .expect("a state record");
            let state = state.expect("a state");
            assert_eq!(
                state.view.term,
                last["term"].as_u64().unwrap(),
                "{node} at {at_us}"
            );
            assert_eq!(state.view.log, last["log_length"].as_u64().unwrap());
            assert_eq!(state.view.commit, last["commit_index"].as_u64().unwrap());
            assert_eq!(state.view.role.name(), last["role"].as_str().unwrap());
        }
    }
}

#[test]
fn a_trace_that_is_not_one_names_its_line() {
    let err = viewer::from_jsonl(
        "{\"seq\":0,\"at_us\":0,\"kind\":\"crash\",\"node\":1}\nnot json\n",
        "t",
        viewer::Detail::new(1, 1),
    )
    .expect_err("bad");
    assert_eq!(err.line, 2, "{err}");
    let err = viewer::from_jsonl(
        "{\"seq\":0,\"at_us\":0,\"kind\":\"crash\"}\n",
        "t",
        viewer::Detail::new(1, 1),
    )
    .expect_err("no node");
    assert_eq!(err.line, 1, "{err}");
}

#[test]
fn a_violation_ends_the_record_in_full_detail() {
    consistent_with_the_replay("figure-3-7", &["planted", "correct"], 10);
    let scenario = bundled("figure-3-7");
    let planted = scenario.variant("planted").expect("planted");
    let replay = record(&scenario, planted, scenario.file.seed);
    let violation = replay
        .markers
        .iter()
        .find(|m| m.kind == viewer::record::MarkerKind::Violation)
        .expect("the planted bug is caught");
    assert_eq!(replay.end_us, violation.at_us, "the run stops at it");
    let state = replay.state_at(violation.at_us);
    assert!(state.iter().all(|s| s.is_some_and(|s| s.exact)));
}
