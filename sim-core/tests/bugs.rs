//! The planted bugs (docs/SEMANTICS.md "Planted bugs") caught by the safety
//! checker in real runs: for each bug and each policy it applies to, a
//! scenario with scripted faults in which the buggy variant breaks the
//! bug's property, and the same scenario without the bug runs clean. Seeds
//! are pinned; where a trigger depends on a race (which node times out
//! first), a test asks for a share of the seeds, never for all of them.

use serde_json::{json, Value};
use sim_core::invariants::Property;
use sim_core::results::run_variant;
use sim_core::scenario::parse;

/// DLedger's timing scaled to the classic one, as in the bundled scenarios.
fn dledger() -> Value {
    json!({"election": "dledger", "dledger": {"heartbeat_ms": 50, "max_heartbeat_leak": 3,
        "vote_interval_ms": [10, 25], "vote_wait_ms": [50, 75], "rpc_timeout_ms": 75}})
}

/// Every policy: (label, the variant's `raft` settings).
fn policies() -> Vec<(&'static str, Value)> {
    let mut all = classic_policies();
    all.push(("dledger", dledger()));
    all
}

/// The classic policies.
fn classic_policies() -> Vec<(&'static str, Value)> {
    vec![
        ("raft", json!({})),
        ("prevote", json!({"pre_vote": true})),
        ("checkquorum", json!({"check_quorum": true})),
        (
            "prevote+checkquorum",
            json!({"pre_vote": true, "check_quorum": true}),
        ),
    ]
}

/// What the buggy and the correct variant of one policy did over the seeds.
#[derive(Debug, Default)]
struct Tally {
    /// Seeds in which the buggy variant broke the expected property.
    caught: Vec<u64>,
}

/// Runs `base` (a scenario without variants) for every policy, once with
/// `bug` planted and once without, over `seeds`. Every violation of the
/// buggy variant must be of `property`; the correct one must run clean.
fn run_bug(
    base: Value,
    bug: &str,
    property: Property,
    seeds: &[u64],
    policies: Vec<(&'static str, Value)>,
) -> Vec<(&'static str, Tally)> {
    let mut tallies = Vec::new();
    for (policy, raft) in policies {
        let mut buggy = raft.clone();
        buggy["bugs"] = json!([bug]);
        let mut file = base.clone();
        file["variants"] = json!([
            {"label": policy, "raft": raft},
            {"label": format!("{policy}+bug"), "raft": buggy},
        ]);
        let scenario = parse(&file.to_string()).expect("a valid scenario");
        let [correct, planted] = scenario.variants() else {
            panic!("two variants");
        };
        let mut tally = Tally::default();
        for &seed in seeds {
            let clean = run_variant(&scenario, correct, seed, None);
            assert!(
                clean.safety.ok,
                "{policy}, seed {seed}, without {bug}: {:?}",
                clean.safety.violations
            );
            let out = run_variant(&scenario, planted, seed, None);
            if let Some(v) = out.safety.violations.first() {
                assert_eq!(v.property, property, "{policy}, seed {seed}: {v:?}");
                tally.caught.push(seed);
            }
        }
        tallies.push((policy, tally));
    }
    tallies
}

/// Every policy caught the bug in at least `min` of the seeds.
fn assert_caught(tallies: &[(&str, Tally)], min: usize) {
    for (policy, tally) in tallies {
        assert!(
            tally.caught.len() >= min,
            "{policy}: caught only in seeds {:?} (all: {tallies:?})",
            tally.caught
        );
    }
}

/// A follower is down for 3 s (its log falls behind). Then the links
/// between the three other followers are cut, it restarts and the leader
/// crashes: the stale node is the only one that can reach a majority, and a
/// voter without the log check elects it. Four rounds in 20 s; a heal and
/// the leader's restart end each.
fn stale_node_is_the_only_one_with_a_majority() -> Value {
    let mut events = Vec::new();
    for round in 0..4u64 {
        let t = 1_000 + 5_000 * round;
        events.extend([
            json!({"at_ms": t, "crash": "follower:1"}),
            json!({"at_ms": t + 3_000, "cut": [["follower:1", "follower:2"],
                ["follower:1", "follower:3"], ["follower:2", "follower:3"]]}),
            json!({"at_ms": t + 3_000, "restart": "crashed"}),
            json!({"at_ms": t + 3_000, "crash": "leader"}),
            json!({"at_ms": t + 4_000, "heal": true}),
            json!({"at_ms": t + 4_000, "restart": "crashed"}),
        ]);
    }
    json!({"name": "stale-restart", "nodes": 5, "duration_ms": 20_000,
        "workload": {"proposals_per_sec": 20}, "events": events})
}

#[test]
fn grant_vote_without_log_check_elects_a_stale_node_in_every_policy() {
    let tallies = run_bug(
        stale_node_is_the_only_one_with_a_majority(),
        "grant_vote_without_log_check",
        Property::LeaderCompleteness,
        &[1, 2, 3, 4],
        policies(),
    );
    assert_caught(&tallies, 4);
}

/// Three nodes; node 3 crashes and restarts every 3 ms (no downtime), so it
/// forgets its volatile state between two vote requests of one term. The
/// classic election timeouts nearly coincide, so two candidates share a
/// term.
fn restarting_voter() -> Value {
    let mut events = Vec::new();
    for ms in (100..2_000u64).step_by(3) {
        events.push(json!({"at_ms": ms, "crash": 3}));
        events.push(json!({"at_ms": ms, "restart": 3}));
    }
    json!({"name": "restarting-voter", "nodes": 3, "duration_ms": 2_000,
        "raft": {"election_timeout_ms": [150, 152]}, "events": events})
}

/// Five DLedger nodes, one restarting every millisecond in turn. A
/// restarted DLedger node stands at once and votes for itself, so its
/// forgotten vote shows when it adopts a higher term from a request and
/// grants it, then restarts and grants another candidate in that term.
fn restarting_voters() -> Value {
    let mut events = Vec::new();
    for ms in 100..3_000u64 {
        let node = 1 + ms % 5;
        events.push(json!({"at_ms": ms, "crash": node}));
        events.push(json!({"at_ms": ms, "restart": node}));
    }
    json!({"name": "restarting-voters", "nodes": 5, "duration_ms": 3_000, "events": events})
}

#[test]
fn forget_vote_on_restart_gives_two_votes_in_one_term_in_every_policy() {
    let seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let bug = "forget_vote_on_restart";
    let property = Property::VoteOncePerTerm;
    let classic = run_bug(
        restarting_voter(),
        bug,
        property,
        &seeds,
        classic_policies(),
    );
    assert_caught(&classic, 2);
    let dledger = run_bug(
        restarting_voters(),
        bug,
        property,
        &seeds,
        vec![("dledger", dledger())],
    );
    assert_caught(&dledger, 5);
}

/// The leader is cut off at 1 s under 1000 proposals/s: until the others
/// elect a new leader (150 ms or more) it appends proposals nobody else
/// gets, more than one append carries (64). It crashes at 1.1 s (its commit
/// index is volatile, so after the restart its conflict hint reaches back
/// over its whole term), restarts at 1.5 s and rejoins at 2 s, when the new
/// leader repairs its log in batches of 64.
fn stale_leader_rejoins() -> Value {
    json!({"name": "stale-leader", "nodes": 5, "duration_ms": 3_000,
    "workload": {"proposals_per_sec": 1000},
    "events": [
        {"at_ms": 1_000, "isolate": "leader"},
        {"at_ms": 1_100, "crash": "leader"},
        {"at_ms": 1_500, "restart": "crashed"},
        {"at_ms": 2_000, "heal": true}
    ]})
}

#[test]
fn keep_conflicting_suffix_breaks_log_matching_in_every_policy() {
    let tallies = run_bug(
        stale_leader_rejoins(),
        "keep_conflicting_suffix",
        Property::LogMatching,
        &[1, 2, 3],
        policies(),
    );
    assert_caught(&tallies, 3);
}

#[test]
fn trust_leader_commit_commits_entries_the_leader_never_had_in_every_policy() {
    let tallies = run_bug(
        stale_leader_rejoins(),
        "trust_leader_commit",
        Property::StateMachineSafety,
        &[1, 2, 3],
        policies(),
    );
    assert_caught(&tallies, 3);
}

/// Three nodes with slow disks (5-20 ms a write) under 200 proposals/s. At
/// 2 s the leader is cut off and both followers crash, losing what they
/// had not yet written; they restart 1 ms later and elect one of
/// themselves. Three rounds.
fn followers_crash_with_writes_in_flight() -> Value {
    let mut events = Vec::new();
    for round in 0..3u64 {
        let t = 2_000 + 3_000 * round;
        events.extend([
            json!({"at_ms": t, "isolate": "leader"}),
            json!({"at_ms": t, "crash": "follower:1"}),
            json!({"at_ms": t, "crash": "follower:1"}),
            json!({"at_ms": t + 1, "restart": "crashed"}),
            json!({"at_ms": t + 1, "restart": "crashed"}),
            json!({"at_ms": t + 2_000, "heal": true}),
        ]);
    }
    json!({"name": "ack-before-persist", "nodes": 3, "duration_ms": 10_000,
        "workload": {"proposals_per_sec": 200},
        "storage": {"persist_latency_ms": [5, 20]}, "events": events})
}

#[test]
/// The checker catches the commit itself: a leader counting acks that are
/// not durable commits without a durable majority (before any crash can
/// lose the entries).
fn ack_before_persist_commits_without_a_durable_majority_in_every_policy() {
    let tallies = run_bug(
        followers_crash_with_writes_in_flight(),
        "ack_before_persist",
        Property::QuorumDecision,
        &[1, 2, 3, 4],
        policies(),
    );
    assert_caught(&tallies, 2);
}

/// The bundled Figure 3.7 scenario: with the bug, the checker reports
/// node 3's commit of term-1 entries by count, before node 4's election
/// would overwrite them; the correct variant runs clean.
#[test]
fn commit_previous_term_by_count_is_caught_in_the_figure_3_7_scenario() {
    let text = include_str!("../../scenarios/figure-3-7.json");
    let scenario = parse(text).expect("the bundled scenario is valid");
    let planted = scenario.variant("planted").expect("variant planted");
    let out = run_variant(&scenario, planted, 1, None);
    let violation = out.safety.violations.first().expect("caught");
    assert_eq!(
        violation.property,
        Property::QuorumDecision,
        "{violation:?}"
    );
    assert!(
        violation
            .message
            .contains("leader 3 of term 3 committed entry 364 of term 1"),
        "{violation:?}"
    );
    let correct = scenario.variant("correct").expect("variant correct");
    let out = run_variant(&scenario, correct, 1, None);
    assert!(out.safety.ok, "{:?}", out.safety.violations);
}

// ----- the bundled chaos-bugs scenario ------------------------------------

const CHAOS_BUGS: &str = include_str!("../../scenarios/chaos-bugs.json");

/// For each planted bug that chaos must find and each policy, a seed in
/// which the bundled chaos-bugs scenario's faults (docs/SCENARIOS.md,
/// "Targeted faults") lead the buggy node to a violation within seconds,
/// and the property broken: (bug, policy, seed, property). A generator or
/// checker that stopped reaching the trigger fails here.
const CAUGHT_BY_CHAOS: &[(&str, &str, u64, Property)] = &[
    (
        "ack_before_persist",
        "checkquorum",
        48,
        Property::QuorumDecision,
    ),
    (
        "ack_before_persist",
        "dledger",
        41,
        Property::QuorumDecision,
    ),
    (
        "ack_before_persist",
        "prevote",
        48,
        Property::QuorumDecision,
    ),
    (
        "ack_before_persist",
        "prevote+checkquorum",
        48,
        Property::QuorumDecision,
    ),
    ("ack_before_persist", "raft", 48, Property::QuorumDecision),
    (
        "forget_vote_on_restart",
        "checkquorum",
        0,
        Property::VoteOncePerTerm,
    ),
    (
        "forget_vote_on_restart",
        "dledger",
        12,
        Property::VoteOncePerTerm,
    ),
    (
        "forget_vote_on_restart",
        "prevote",
        1,
        Property::VoteOncePerTerm,
    ),
    (
        "forget_vote_on_restart",
        "prevote+checkquorum",
        1,
        Property::VoteOncePerTerm,
    ),
    (
        "forget_vote_on_restart",
        "raft",
        0,
        Property::VoteOncePerTerm,
    ),
    (
        "trust_leader_commit",
        "checkquorum",
        0,
        Property::StateMachineSafety,
    ),
    (
        "trust_leader_commit",
        "dledger",
        4,
        Property::StateMachineSafety,
    ),
    (
        "trust_leader_commit",
        "prevote",
        31,
        Property::StateMachineSafety,
    ),
    (
        "trust_leader_commit",
        "prevote+checkquorum",
        31,
        Property::StateMachineSafety,
    ),
    (
        "trust_leader_commit",
        "raft",
        31,
        Property::StateMachineSafety,
    ),
    (
        "grant_vote_without_log_check",
        "checkquorum",
        25,
        Property::LeaderCompleteness,
    ),
    (
        "grant_vote_without_log_check",
        "dledger",
        9,
        Property::LeaderCompleteness,
    ),
    (
        "grant_vote_without_log_check",
        "prevote",
        2,
        Property::LeaderCompleteness,
    ),
    (
        "grant_vote_without_log_check",
        "prevote+checkquorum",
        2,
        Property::LeaderCompleteness,
    ),
    (
        "grant_vote_without_log_check",
        "raft",
        25,
        Property::LeaderCompleteness,
    ),
    (
        "keep_conflicting_suffix",
        "checkquorum",
        31,
        Property::LogMatching,
    ),
    (
        "keep_conflicting_suffix",
        "dledger",
        20,
        Property::LogMatching,
    ),
    (
        "keep_conflicting_suffix",
        "prevote",
        1,
        Property::LogMatching,
    ),
    (
        "keep_conflicting_suffix",
        "prevote+checkquorum",
        1,
        Property::LogMatching,
    ),
    ("keep_conflicting_suffix", "raft", 31, Property::LogMatching),
];

/// The bundled chaos-bugs scenario with `bug` planted in every variant.
fn chaos_bugs_with(bug: Option<&str>) -> sim_core::scenario::Scenario {
    let mut file: Value = serde_json::from_str(CHAOS_BUGS).expect("the bundled scenario is JSON");
    if let Some(bug) = bug {
        for variant in file["variants"].as_array_mut().expect("variants") {
            variant["raft"]["bugs"] = json!([bug]);
        }
    }
    parse(&file.to_string()).expect("a valid scenario")
}

#[test]
fn chaos_bugs_catches_every_bug_on_its_pinned_seeds() {
    let policies: Vec<&str> = policies().iter().map(|(label, _)| *label).collect();
    for bug in [
        "grant_vote_without_log_check",
        "forget_vote_on_restart",
        "keep_conflicting_suffix",
        "trust_leader_commit",
        "ack_before_persist",
    ] {
        let scenario = chaos_bugs_with(Some(bug));
        for &policy in &policies {
            let &(_, _, seed, property) = CAUGHT_BY_CHAOS
                .iter()
                .find(|(b, p, _, _)| *b == bug && *p == policy)
                .unwrap_or_else(|| panic!("no pinned seed for {bug} in {policy}"));
            let variant = scenario.variant(policy).expect("a policy of chaos-bugs");
            let out = run_variant(&scenario, variant, seed, None);
            let violation = out.safety.violations.first();
            assert_eq!(
                violation.map(|v| v.property),
                Some(property),
                "{bug} in {policy}, seed {seed}: {violation:?}"
            );
        }
    }
}

/// Without a bug, the same seeds run clean in every policy.
#[test]
fn chaos_bugs_without_a_bug_runs_clean_on_the_pinned_seeds() {
    let scenario = chaos_bugs_with(None);
    let mut seeds: Vec<u64> = CAUGHT_BY_CHAOS.iter().map(|&(_, _, s, _)| s).collect();
    seeds.sort_unstable();
    seeds.dedup();
    for variant in scenario.variants() {
        for &seed in seeds.iter().take(2) {
            let out = run_variant(&scenario, variant, seed, None);
            assert!(
                out.safety.ok,
                "{}, seed {seed}: {:?}",
                variant.label, out.safety.violations
            );
        }
    }
}
