//! Timing fidelity through the real engine: clocks with drift and timer
//! jitter, the leader's write in parallel with replication, pauses, and
//! drawn or repeated event times (docs/SEMANTICS.md "Clocks and timers",
//! "Pauses", docs/SCENARIOS.md "Event timing").

use std::io;

use serde_json::{json, Value};
use sim_core::results::{run_variant, VariantResult};
use sim_core::scenario::{parse, Scenario};
use sim_core::time::Instant;
use sim_core::trace::{TraceEvent, Tracer};

fn scenario(value: Value) -> Scenario {
    parse(&value.to_string()).expect("valid scenario")
}

fn run(value: Value, seed: u64) -> VariantResult {
    let s = scenario(value);
    run_variant(&s, &s.variants()[0], seed, None)
}

/// Five nodes with equal election timeouts on a fast LAN with SSDs: the
/// followers' timers expire within microseconds of each other.
fn equal_timeouts(clock: Value) -> Value {
    json!({"name": "equal", "nodes": 5, "duration_ms": 60_000,
        "raft": {"election_timeout_ms": [150, 150], "heartbeat_ms": 75},
        "network": {"latency_ms": [0.1, 0.3]},
        "storage": {"persist_latency_ms": [0.2, 1]},
        "clock": clock})
}

#[test]
fn equal_timeouts_split_forever_on_ideal_clocks_but_elect_with_the_default_jitter() {
    let ideal = run(
        equal_timeouts(json!({"drift_ppm": 0, "timer_jitter_ms": [0, 0]})),
        1,
    );
    assert_eq!(ideal.metrics.first_leader_ms, None, "lockstep timers");
    assert!(ideal.metrics.max_term > 100, "{}", ideal.metrics.max_term);
    let real = run(equal_timeouts(json!({})), 1);
    let first = real.metrics.first_leader_ms.expect("elected");
    assert!(first > 1_000.0, "not at once: {first} ms");
}

#[test]
fn an_ideal_clock_changes_nothing_and_the_defaults_change_the_run() {
    let base = |clock: Value| {
        json!({"name": "c", "nodes": 3, "duration_ms": 5_000, "clock": clock,
            "workload": {"proposals_per_sec": 10}})
    };
    let ideal = run(base(json!({"drift_ppm": 0, "timer_jitter_ms": [0, 0]})), 4);
    let defaults = run(base(json!({})), 4);
    let again = run(base(json!({})), 4);
    assert_ne!(ideal.trace_hash, defaults.trace_hash);
    assert_eq!(defaults.trace_hash, again.trace_hash, "deterministic");
    assert_eq!(
        defaults.config["clock"],
        json!({"drift_ppm": 50.0, "timer_jitter_ms": [0, 0.1]})
    );
}

#[test]
fn a_leader_replicates_while_its_own_write_is_in_flight() {
    // Every write takes 10 ms. Waiting for its own write before sending
    // would put a commit at >= 20 ms (leader's write, then follower's);
    // in parallel it takes one write plus a round trip.
    let r = run(
        json!({"name": "w", "nodes": 3, "duration_ms": 10_000,
            "network": {"latency_ms": [0.5, 0.5]},
            "storage": {"persist_latency_ms": [10, 10]},
            "workload": {"proposals_per_sec": 10}}),
        1,
    );
    let p50 = r.metrics.commit_latency_ms.p50.expect("commits");
    assert!((11.0..15.0).contains(&p50), "p50 {p50} ms");
}

/// Records who sent what when.
#[derive(Default)]
struct Sends(Vec<(Instant, u32)>);

impl Tracer for Sends {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        if let TraceEvent::Send { envelope, .. } = event {
            self.0.push((at, envelope.from.0));
        }
        Ok(())
    }
}

#[test]
fn a_paused_leader_sends_nothing_loses_its_leadership_and_acts_on_its_queue_on_resume() {
    let s = scenario(json!({"name": "p", "nodes": 5, "duration_ms": 4_000,
        "workload": {"proposals_per_sec": 20},
        "events": [
            {"at_ms": 1_000, "let": {"L": "leader"}},
            {"at_ms": 1_000, "pause": "L"},
            {"at_ms": 2_000, "resume": "L"}]}));
    let mut sends = Sends::default();
    let r = run_variant(&s, &s.variants()[0], 1, Some(&mut sends));
    let faults = &r.series.faults;
    let leader = faults[0].nodes[0].0;
    assert_eq!(faults[1].until_ms, Some(2_000.0), "{faults:?}");
    assert_eq!(faults[2].description, format!("resume {leader}"));
    let (during, at_resume): (Vec<_>, Vec<_>) = sends
        .0
        .iter()
        .filter(|&&(at, from)| from == leader && at > Instant::from_ms(1_000))
        .partition(|&&(at, _)| at < Instant::from_ms(2_000));
    assert!(during.is_empty(), "sent while paused: {during:?}");
    assert!(
        at_resume
            .iter()
            .any(|&&(at, _)| at == Instant::from_ms(2_000)),
        "acts on its queue at once"
    );
    // Someone else took over during the pause, in under a second.
    assert_eq!(r.metrics.failover_ms.count, 1);
    assert!(r.metrics.failover_ms.max.unwrap() < 1_000.0);
    assert!(r.safety.ok);
}

#[test]
fn a_ranged_repeated_event_fires_each_time_within_its_window_and_draws_per_seed() {
    let file = json!({"name": "r", "nodes": 3, "duration_ms": 20_000,
        "events": [
            {"at_ms": [1_000, 1_100.5], "repeat": {"every_ms": 5_000, "times": 3},
             "crash": "leader", "wait": true},
            {"at_ms": 3_000, "repeat": {"every_ms": 5_000, "times": 3}, "restart": "crashed"}]});
    let s = scenario(file);
    let instants = |seed| -> Vec<u64> {
        s.script(seed)
            .iter()
            .filter(|e| e.source == Some(0))
            .map(|e| e.at.as_us())
            .collect()
    };
    let drawn = instants(1);
    assert_eq!(drawn.len(), 3);
    for (r, at) in drawn.iter().enumerate() {
        let start = 1_000_000 + 5_000_000 * r as u64;
        assert!((start..=start + 100_500).contains(at), "{at}");
    }
    assert_eq!(drawn, instants(1), "one seed, one schedule");
    assert_ne!(drawn, instants(2), "another seed, other instants");
    let r = run_variant(&s, &s.variants()[0], 1, None);
    let crashes: Vec<_> = r.series.faults.iter().filter(|f| f.index == 0).collect();
    assert_eq!(crashes.len(), 3);
    assert!(crashes.iter().all(|f| f.skipped.is_none()), "{crashes:?}");
    assert_eq!(r.metrics.failover_ms.count, 3);
}

#[test]
fn set_clock_changes_one_nodes_rate_from_then_on() {
    let file = |drift: f64| {
        json!({"name": "s", "nodes": 3, "duration_ms": 5_000,
            "clock": {"drift_ppm": 0, "timer_jitter_ms": [0, 0]},
            "events": [{"at_ms": 1_000, "set_clock": {"node": "leader", "drift_ppm": drift}}]})
    };
    let fast = run(file(5_000.0), 1);
    assert!(
        fast.series.faults[0]
            .description
            .ends_with("drift 5000 ppm"),
        "{:?}",
        fast.series.faults[0]
    );
    assert_ne!(fast.trace_hash, run(file(0.0), 1).trace_hash);
}
