//! Generated scenario files (random fields, in range and far out of it,
//! random events): loading never panics, and a file either fails
//! validation with at least one error or runs to a bounded end. The
//! coverage-guided fuzzer (`fuzz/`, docs/FUZZING.md) does the same on
//! arbitrary bytes; this runs in the normal test suite.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use sim_core::run::run;
use sim_core::scenario::parse;

/// The longest stretch of virtual time one generated file runs.
const RUN_US: u64 = 300_000;
/// The most engine events one generated file runs.
const RUN_EVENTS: u64 = 20_000;

/// A number as a file may write it at its worst: at the edges, or absurd
/// (negative, fractional, beyond every limit).
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (0u64..=10).prop_map(Value::from),
        4 => (0u64..=5_000).prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => Just(json!(604_800_001u64)),
        1 => Just(json!(1_000_000_000_001u64)),
        1 => Just(json!(2_305_843_009_213_693_952u64)),
        2 => (-2.0f64..2.0).prop_map(Value::from),
        1 => (-1e300f64..1e300).prop_map(Value::from),
        1 => (0u64..=5_000).prop_map(|v| json!(v as f64 / 1000.0)),
    ]
}

/// Mostly a plausible value, sometimes an absurd one.
fn mostly(plausible: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![9 => plausible, 1 => number()].boxed()
}

fn ms() -> BoxedStrategy<Value> {
    mostly((1u64..=400).prop_map(Value::from))
}

fn range() -> BoxedStrategy<Value> {
    mostly((0u64..=200, 0u64..=200).prop_map(|(a, b)| json!([a.min(b), a.max(b)])))
}

fn probability() -> BoxedStrategy<Value> {
    mostly((0.0f64..=1.0).prop_map(Value::from))
}

fn count(max: u64) -> BoxedStrategy<Value> {
    mostly((1u64..=max).prop_map(Value::from))
}

fn node_ref() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => (1u64..=5).prop_map(Value::from),
        2 => Just(json!("leader")),
        2 => Just(json!("follower:1")),
        1 => Just(json!("follower:7")),
        1 => Just(json!("crashed")),
        1 => Just(json!("L")),
        1 => number(),
    ]
}

/// An object with each of `fields` present or not.
fn section(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> impl Strategy<Value = Value> {
    let present: Vec<_> = fields
        .into_iter()
        .map(|(name, value)| proptest::option::weighted(0.3, value.prop_map(move |v| (name, v))))
        .collect();
    present.prop_map(|pairs| {
        let map: Map<String, Value> = pairs
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Value::Object(map)
    })
}

fn network() -> impl Strategy<Value = Value> {
    section(vec![
        ("latency_ms", range()),
        ("loss", probability()),
        ("duplicate", probability()),
    ])
}

fn event() -> impl Strategy<Value = Value> {
    let action = prop_oneof![
        node_ref().prop_map(|n| ("crash", n)),
        node_ref().prop_map(|n| ("restart", n)),
        node_ref().prop_map(|n| ("isolate", n)),
        node_ref().prop_map(|n| ("pause", n)),
        node_ref().prop_map(|n| ("resume", n)),
        Just(("heal", json!(true))),
        Just(("reset_network", json!(true))),
        (node_ref(), node_ref()).prop_map(|(a, b)| ("cut", json!([[a, b]]))),
        (node_ref(), mostly((-100i64..=100).prop_map(Value::from)))
            .prop_map(|(n, d)| ("set_clock", json!({"node": n, "drift_ppm": d}))),
        (node_ref(), mostly((0u64..=100_000).prop_map(Value::from)))
            .prop_map(|(n, d)| ("stall_disk", json!({"node": n, "for_ms": d}))),
        (node_ref(), node_ref(), probability())
            .prop_map(|(a, b, p)| ("set_link", json!({"between": [a, b], "loss": p}))),
        network().prop_map(|n| ("set_network", n)),
        node_ref().prop_map(|n| ("let", json!({"L": n}))),
    ];
    let repeat = proptest::option::weighted(0.2, (ms(), count(20)));
    (range(), action, repeat, proptest::bool::weighted(0.2)).prop_map(
        |(at, (name, value), repeat, wait)| {
            let mut event = json!({"at_ms": at, name: value});
            if let Some((every, times)) = repeat {
                event["repeat"] = json!({"every_ms": every, "times": times});
            }
            if wait {
                event["wait"] = json!(true);
            }
            event
        },
    )
}

fn raft() -> impl Strategy<Value = Value> {
    let dledger = section(vec![
        ("heartbeat_ms", ms()),
        ("max_heartbeat_leak", count(5)),
        ("vote_interval_ms", range()),
        ("vote_wait_ms", range()),
        ("rpc_timeout_ms", ms()),
    ]);
    (
        section(vec![
            ("heartbeat_ms", ms()),
            ("election_timeout_ms", range()),
            ("tick_ms", count(10)),
            ("pre_vote", any::<bool>().prop_map(Value::from).boxed()),
        ]),
        dledger,
    )
        .prop_map(|(mut raft, dledger)| {
            raft["dledger"] = dledger;
            raft
        })
}

fn chaos() -> impl Strategy<Value = Value> {
    let rate = || mostly((0u64..=60).prop_map(Value::from));
    section(vec![
        ("crash_per_min", rate()),
        ("leader_crash_per_min", rate()),
        ("restart_storm_per_min", rate()),
        ("split_vote_per_min", rate()),
        ("duration_ms", range()),
        ("swarm", any::<bool>().prop_map(Value::from).boxed()),
        ("swarm_off", probability()),
        (
            "swarm_period_ms",
            prop_oneof![Just(Value::from(1_000)), Just(Value::from(10_000)), ms()].boxed(),
        ),
        ("membership_per_min", rate()),
        ("end_ms", ms()),
    ])
}

fn scenario() -> impl Strategy<Value = Value> {
    let workload = section(vec![
        (
            "proposals_per_sec",
            mostly((0u64..=2_000).prop_map(Value::from)),
        ),
        ("retry_ms", ms()),
    ]);
    let clock = section(vec![
        ("drift_ppm", count(10_000)),
        ("timer_jitter_ms", range()),
    ]);
    let top = (
        mostly((1u64..=7).prop_map(Value::from)),
        mostly((1u64..=3_000).prop_map(Value::from)),
        proptest::option::weighted(0.2, count(100_000)),
    );
    let sections = (
        raft(),
        network(),
        workload,
        clock,
        proptest::option::weighted(0.3, chaos()),
    );
    let events = proptest::collection::vec(event(), 0..5);
    (top, sections, events).prop_map(|((nodes, duration, per_sec), sections, events)| {
        let (raft, network, workload, clock, chaos) = sections;
        let mut file = json!({
            "name": "generated", "nodes": nodes, "duration_ms": duration,
            "raft": raft, "network": network, "workload": workload,
            "clock": clock, "events": events,
            "variants": [{"label": "raft"}, {"label": "dledger", "raft": {"election": "dledger"}}],
        });
        if let Some(chaos) = chaos {
            file["chaos"] = chaos;
        }
        if let Some(per_sec) = per_sec {
            file["max_events_per_sec"] = per_sec;
        }
        file
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn a_generated_file_is_refused_or_runs_to_a_bounded_end(file in scenario()) {
        match parse(&file.to_string()) {
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                prop_assert!(errors.0.iter().all(|e| !e.message.is_empty()));
            }
            Ok(scenario) => {
                let _ = scenario.warnings();
                for variant in scenario.variants() {
                    let mut config = scenario.cluster_config(variant, 1);
                    config.duration_us = config.duration_us.min(RUN_US);
                    config.max_events = config.max_events.min(RUN_EVENTS);
                    let output = run(config);
                    prop_assert!(output.final_state.at_us <= RUN_US);
                }
            }
        }
    }
}

/// Found by the property above: with latencies longer than the election
/// timeout, a voter granted a candidate's second campaign and then refused
/// its first, delivered late, with the same (current) term; the candidate
/// counted that voter both ways and a debug assertion fired. Debug builds
/// run the whole engine's assertions, so this run must end cleanly.
#[test]
fn a_late_refusal_after_a_grant_is_not_counted_twice() {
    let file = r#"{"name":"generated","nodes":6,"duration_ms":283,"seed":1,
        "raft":{"election_timeout_ms":[24,123],"dledger":{}},
        "network":{"latency_ms":[2,130]},"events":[],
        "variants":[{"label":"raft"}]}"#;
    let scenario = parse(file).expect("a valid scenario");
    let variant = &scenario.variants()[0];
    let output = run(scenario.cluster_config(variant, 1));
    assert!(output.final_state.at_us <= 283_000);
}
