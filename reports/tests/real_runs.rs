//! Charts and reports of real runs of the bundled scenarios, through the
//! engine: what a panel's header says agrees with what its chart draws,
//! and the report states what the checker verified.

mod common;

use reports::charts::{prepare, Chart, ChartOptions};
use sim_core::invariants::Property;
use sim_core::results::{self, Results};

fn run(name: &str, seed: u64) -> Results {
    let scenario = common::scenario(name);
    let variants = scenario
        .variants()
        .iter()
        .map(|v| results::run_variant(&scenario, v, seed, None))
        .collect();
    results::assemble(&scenario, seed, variants)
}

/// The leader timeline's "no leader" stretches add up to the leaderless
/// time its panel header states, in every variant of every bundled
/// scenario (seed 1), stopped runs included.
#[test]
fn the_no_leader_bars_add_up_to_the_leaderless_header() {
    let names = common::bundled();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let results = run(&name, 1);
        let data = prepare(&results).expect("charts draw");
        for v in &data.variants {
            let drawn: f64 = v
                .leaders
                .iter()
                .filter(|s| s.leader.is_none())
                .map(|s| s.to_ms - s.from_ms)
                .sum();
            let header = v.result.metrics.leaderless_ms;
            assert!(
                (drawn - header).abs() < 0.01,
                "{name} {}: bars {drawn} ms, header {header} ms",
                v.result.label
            );
            let end = v.leaders.last().map_or(0.0, |s| s.to_ms);
            assert_eq!(end, v.end_ms, "{name} {}", v.result.label);
        }
    }
}

/// The case the issue met: isolate-rejoin's prevote panel.
#[test]
fn isolate_rejoin_prevote_header_and_bar_agree() {
    let results = run("isolate-rejoin", 1);
    let svg = Chart::LeaderTimeline
        .svg(&results, ChartOptions::default())
        .expect("draws");
    let prevote = results
        .variants
        .iter()
        .find(|v| v.label == "prevote")
        .expect("a prevote variant");
    let ms = reports::table::duration_ms(prevote.metrics.leaderless_ms);
    assert!(ms != "0 ms", "prevote has a leaderless start");
    assert!(svg.contains(&format!("leaderless {ms}")), "{ms}");
    assert!(svg.contains(&format!("no leader {ms}")), "{ms}");
}

#[test]
fn the_report_lists_every_property_the_checker_verifies() {
    let results = run("isolate-rejoin", 1);
    let page = reports::html::report(&results, &[]);
    assert_eq!(Property::ALL.len(), 8);
    for property in Property::ALL {
        assert!(page.contains(property.name()), "{property}");
    }
}

#[test]
fn a_stopped_run_draws_nothing_after_it_stopped() {
    let results = run("figure-3-7", 1);
    let data = prepare(&results).expect("charts draw");
    let planted = &data.variants[0];
    assert_eq!(planted.result.label, "planted");
    let at = planted.result.safety.violations[0].at_ms;
    assert_eq!(planted.end_ms, at);
    assert!(at < data.duration_ms);
    assert!(planted
        .faults
        .iter()
        .all(|f| f.from_ms <= at && f.to_ms.is_none_or(|to| to <= at)));
    let correct = &data.variants[1];
    assert_eq!(correct.end_ms, data.duration_ms, "the other variant ran on");
}

/// The charts mark each configuration the cluster committed and each
/// request a leader refused, with its reason.
#[test]
fn configuration_changes_and_refusals_are_marked() {
    let results = run("remove-leader", 1);
    let svg = Chart::LeaderTimeline
        .svg(&results, ChartOptions::default())
        .expect("drawn");
    // The model removes leader 3 and commits the four others.
    assert!(svg.contains("committed: voters=(1,2,4,5)"), "{svg}");
    // raft-rs refuses to remove its own leader.
    if sim_core::node::Implementation::RaftRs.available() {
        assert!(
            svg.contains("remove refused: raft-rs cannot remove"),
            "{svg}"
        );
    }
}

/// A node is drawn as outside the configuration exactly while it is: the
/// spare until the change that adds it commits, the replaced node from the
/// commit that removes it to the end; the others never.
#[test]
fn nodes_outside_the_configuration_are_drawn_as_such() {
    let results = run("replace-node", 1);
    assert_eq!(
        results.members.map(|m| m.len()),
        Some(5),
        "node 6 is a spare"
    );
    let data = prepare(&results).expect("charts draw");
    let replaced = &data.variants[0];
    let configs = &replaced.result.series.configs;
    let (added_ms, removed_ms) = (configs[0].committed_at_ms, configs[2].committed_at_ms);
    assert_eq!(replaced.outside[5], vec![(0.0, added_ms)], "node 6");
    assert_eq!(
        replaced.outside[4],
        vec![(removed_ms, replaced.end_ms)],
        "node 5"
    );
    assert!(replaced.outside[..4].iter().all(Vec::is_empty));
    let kept = data.variants.last().expect("the variant without changes");
    assert_eq!(
        kept.outside[5],
        vec![(0.0, kept.end_ms)],
        "a spare never added"
    );
    let svg = Chart::TermGrowth
        .svg(&results, ChartOptions::default())
        .expect("drawn");
    assert!(svg.contains("dashed: outside the configuration"), "{svg}");
}
