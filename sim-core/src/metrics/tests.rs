//! The recorder's unit tests: percentiles, leaderless time, failovers,
//! unavailability, term inflation, metric lookup.

use super::*;

fn recorder() -> Recorder {
    Recorder::new(0, 300_000)
}

#[test]
fn nearest_rank_percentiles_and_none_without_samples() {
    let d = Summary::of_us((1..=100).map(|ms| ms * 1000).collect());
    assert_eq!(
        (d.count, d.p10, d.p50, d.p90, d.p99, d.max),
        (
            100,
            Some(10.0),
            Some(50.0),
            Some(90.0),
            Some(99.0),
            Some(100.0)
        )
    );
    let none = Summary::of_us(vec![]);
    assert_eq!((none.count, none.p99, none.max), (0, None, None));
    let json = serde_json::to_value(&none).unwrap();
    assert!(json["p50"].is_null(), "{json}");
}

#[test]
fn leaderless_time_covers_the_whole_run() {
    let mut r = recorder();
    let t = Instant::from_ms;
    r.on_effective_leader(t(500), 1, Some((NodeId(1), 1)), true);
    r.on_effective_leader(t(1000), 2, None, false);
    r.on_elected(t(1200), 2);
    r.on_effective_leader(t(1300), 3, Some((NodeId(2), 2)), true);
    r.on_effective_leader(t(2000), 4, None, false);
    let (m, s, samples) = r.finish(t(2500), Default::default(), 0);
    // start-up 500 + failover 300 + unfinished 500
    assert_eq!(m.leaderless_ms, 1300.0);
    assert_eq!(m.first_leader_ms, Some(500.0));
    assert_eq!((m.failover_ms.count, m.failover_ms.max), (1, Some(300.0)));
    assert_eq!(m.election_ms.max, Some(200.0));
    assert_eq!(m.failovers_unfinished, 1);
    assert_eq!(samples.election_us, vec![200_000]);
    assert_eq!(s.leaders.len(), 4);
    assert_eq!(s.failovers.len(), 2);
    assert_eq!(s.failovers[1].effective_at_ms, None);
}

#[test]
fn a_leader_handing_over_to_its_transfer_target_is_not_disrupted() {
    let mut r = recorder();
    let t = Instant::from_ms;
    r.on_transfer(t(100), NodeId(2));
    r.on_disruption(t(110), NodeId(1), Some(NodeId(2)), 3, false);
    assert_eq!(r.disruptions, 0, "the target's campaign was asked for");
    r.on_disruption(t(120), NodeId(1), Some(NodeId(3)), 4, true);
    assert_eq!(r.disruptions, 1, "another node's campaign disrupts");
    let (m, s, _) = r.finish(t(200), Default::default(), 0);
    assert_eq!((m.disruptions, m.removed_node_disruptions), (1, 1));
    assert_eq!(s.disruptions.len(), 1);
}

#[test]
fn a_run_without_a_leader_is_leaderless_throughout() {
    let (m, s, _) = recorder().finish(Instant::from_ms(10_000), Default::default(), 0);
    assert_eq!((m.leaderless_ms, m.first_leader_ms), (10_000.0, None));
    assert!(s.failovers.is_empty());
    assert_eq!(m.get("failover_ms.p99"), None);
}

#[test]
fn unavailable_time_is_pending_without_commit_progress() {
    let mut r = Recorder::new(50_000, 300_000);
    let t = Instant::from_ms;
    r.on_submitted(t(10));
    r.on_effective_leader(t(90), 1, Some((NodeId(1), 1)), true);
    r.on_commit_advance(t(100), &[90_000]); // start-up: 90 ms, counted
    r.on_submitted(t(100));
    r.on_commit_advance(t(103), &[3000]);
    r.on_commit_advance(t(200), &[]); // a no-op commits, nothing pending
    r.on_submitted(t(300));
    r.on_submitted(t(350));
    r.on_commit_advance(t(400), &[100_000]);
    let (m, _, _) = r.finish(t(1000), Default::default(), 0);
    // 3 ms is ordinary latency (under 50 ms); 10..100, 300..400 and
    // 400..1000 (the second proposal never commits) are outages.
    assert_eq!(m.unavailable_ms, 790.0);
    assert_eq!(m.commit_latency_ms.count, 3);
    assert_eq!(m.proposals_submitted, 4);
    assert_eq!(m.proposals_uncommitted, 1);
}

#[test]
fn term_inflation_counts_terms_that_elected_nobody() {
    let mut r = recorder();
    r.on_term(Instant::ZERO, NodeId(1), 9);
    r.on_elected(Instant::ZERO, 3);
    r.on_elected(Instant::ZERO, 9);
    let (m, _, _) = r.finish(Instant::ZERO, Default::default(), 0);
    assert_eq!((m.max_term, m.leader_terms, m.term_inflation), (9, 2, 7));
    // A DLedger leader of term 0 does not make a burnt term disappear.
    let mut r = recorder();
    r.on_term(Instant::ZERO, NodeId(1), 2);
    r.on_elected(Instant::ZERO, 0);
    r.on_elected(Instant::ZERO, 2);
    let (m, _, _) = r.finish(Instant::ZERO, Default::default(), 0);
    assert_eq!((m.leader_terms, m.term_inflation), (2, 1));
}

#[test]
fn metric_lookup_by_key() {
    let m = Metrics {
        max_term: 7,
        failover_ms: Summary::of_us(vec![3000]),
        ..Metrics::default()
    };
    assert_eq!(m.get("max_term"), Some(7.0));
    assert_eq!(m.get("failover_ms.p99"), Some(3.0));
    assert_eq!(m.get("commit_latency_ms.p99"), None);
    assert_eq!(m.get("first_leader_ms"), None);
    assert_eq!(m.get("nope"), None);
    let keys = Metrics::keys();
    for key in [
        "commit_latency_ms.p50",
        "election_ms.p10",
        "first_leader_ms",
    ] {
        assert!(keys.contains(&key.to_string()), "{key}");
    }
}

/// A run that changes term millions of times keeps its first million
/// points and says when its series stop; the metrics count on.
#[test]
fn the_series_stop_at_their_limit_and_say_when() {
    let mut r = recorder();
    let points = MAX_SERIES_POINTS as u64;
    for term in 1..=points {
        r.on_term(Instant::from_us(term), NodeId(1), term);
    }
    assert_eq!(r.series.limited_at_ms, None, "a million points fit");
    r.on_term(Instant::from_us(points + 1), NodeId(2), points + 1);
    r.on_effective_leader(
        Instant::from_us(points + 2),
        1,
        Some((NodeId(2), points + 1)),
        true,
    );
    let (m, s, _) = r.finish(Instant::from_us(points + 3), Default::default(), 0);
    assert_eq!(s.terms.len(), MAX_SERIES_POINTS);
    assert!(s.leaders.is_empty());
    assert_eq!(s.limited_at_ms, Some((points + 1) as f64 / 1000.0));
    assert_eq!(m.max_term, points + 1, "the metrics count past the limit");
    let json = serde_json::to_value(Series::default()).unwrap();
    assert!(
        json.get("limited_at_ms").is_none(),
        "absent while whole: {json}"
    );
}
