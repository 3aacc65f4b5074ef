//! The engine run end to end: determinism, liveness on a clean network, and
//! planted bugs caught by the safety checker.

use sim_core::cluster::{Cluster, ClusterConfig, RunOutput};
use sim_core::faults::{Fault, NodeRef, ScriptEvent};
use sim_core::invariants::Property;
use sim_core::node::{NodeId, Status};
use sim_core::raft::ClassicNode;
use sim_core::run::run;
use sim_core::time::Instant;
use sim_core::trace::{TraceEvent, Tracer};

fn at(ms: u64, fault: Fault) -> ScriptEvent {
    ScriptEvent::scripted(Instant::from_ms(ms), fault)
}

/// Five nodes, 20 proposals/s, a follower isolated from 5 s to 15 s.
fn isolate_rejoin(seed: u64) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(5, seed, 20_000_000);
    cfg.workload.proposals_per_sec = 20.0;
    cfg.network.loss = 0.01;
    cfg.script = vec![
        at(5_000, Fault::Isolate(NodeRef::Follower(2))),
        at(15_000, Fault::Heal),
    ];
    cfg
}

#[test]
fn same_seed_same_trace_hash_other_seed_other_hash() {
    let a = run(isolate_rejoin(7));
    let b = run(isolate_rejoin(7));
    let c = run(isolate_rejoin(8));
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.metrics, b.metrics);
    assert_eq!(a.series, b.series);
    assert_ne!(a.trace_hash, c.trace_hash);
}

#[test]
fn runs_on_other_threads_give_the_same_hash() {
    let here = run(isolate_rejoin(3)).trace_hash;
    let there: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| run(isolate_rejoin(3)).trace_hash))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(there, vec![here, here]);
}

#[test]
fn observers_only_watch_switching_them_off_keeps_the_trace_hash() {
    // Crashes, restarts and fsync latency exercise every path the checker
    // and the metrics see (votes, durable writes, commits, restarts).
    let mut cfg = isolate_rejoin(11);
    cfg.storage.persist_latency_us = (1_000, 5_000);
    cfg.script.extend([
        at(3_000, Fault::Crash(NodeRef::Leader)),
        at(4_000, Fault::Restart(NodeRef::Crashed)),
    ]);
    let watched = Cluster::<ClassicNode>::new(cfg.clone(), None).run();
    let unwatched = Cluster::<ClassicNode>::new(cfg, None)
        .without_safety_checks()
        .without_metrics()
        .run();
    assert!(watched.violations.is_empty());
    assert!(
        watched.metrics.proposals_committed > 300,
        "{:?}",
        watched.metrics
    );
    assert_eq!(unwatched.metrics.proposals_committed, 0, "metrics were off");
    assert_eq!(watched.trace_hash, unwatched.trace_hash);
    assert_eq!(watched.series.faults, unwatched.series.faults);
}

/// What the fault hook hears: when, the cut links, the paused nodes.
type AfterFault = (u64, Vec<(NodeId, NodeId)>, Vec<NodeId>);

/// Keeps what a tracer's status and fault hooks hear.
#[derive(Default)]
struct Hooks {
    statuses: Vec<(u64, NodeId, Status)>,
    faults: Vec<AfterFault>,
}

impl Tracer for Hooks {
    fn record(&mut self, _: Instant, _: &TraceEvent<'_>) -> std::io::Result<()> {
        Ok(())
    }
    fn status(&mut self, at: Instant, node: NodeId, status: &Status) {
        self.statuses.push((at.as_us(), node, *status));
    }
    fn after_fault(&mut self, at: Instant, cut: &[(NodeId, NodeId)], paused: &[NodeId]) {
        self.faults
            .push((at.as_us(), cut.to_vec(), paused.to_vec()));
    }
}

#[test]
fn the_status_and_fault_hooks_tell_the_state_of_any_instant() {
    let mut cfg = isolate_rejoin(5);
    cfg.storage.persist_latency_us = (1_000, 5_000);
    cfg.script.extend([
        at(3_000, Fault::Crash(NodeRef::Leader)),
        at(4_000, Fault::Restart(NodeRef::Crashed)),
        at(8_000, Fault::Let(vec![("P".to_string(), NodeRef::Leader)])),
        at(8_000, Fault::Pause(NodeRef::Name("P".to_string()))),
        at(9_000, Fault::Resume(NodeRef::Name("P".to_string()))),
    ]);
    let mut hooks = Hooks::default();
    let out = Cluster::<ClassicNode>::new(cfg.clone(), Some(&mut hooks)).run();
    assert_eq!(
        out.trace_hash,
        run(cfg.clone()).trace_hash,
        "hooks only watch"
    );
    assert_eq!(hooks.faults.len(), 7, "{:?}", hooks.faults);
    assert_eq!(hooks.faults[4].2.len(), 1, "one node paused at 8 s");
    assert!(hooks.faults[5].2.is_empty(), "and resumed at 9 s");
    for at_ms in [
        0, 1_000, 3_000, 3_500, 4_000, 5_000, 8_000, 8_500, 12_345, 15_000, 19_999,
    ] {
        let at_us = at_ms * 1_000;
        let mut upto = cfg.clone();
        upto.duration_us = at_us;
        let snapshot = run(upto).final_state;
        for state in &snapshot.nodes {
            let heard = hooks
                .statuses
                .iter()
                .rfind(|(t, n, _)| *t <= at_us && *n == state.node)
                .map(|(_, _, s)| *s);
            assert_eq!(
                heard,
                Some(state.status),
                "node {} at {at_ms} ms",
                state.node
            );
        }
        let cut = hooks
            .faults
            .iter()
            .rfind(|(t, _, _)| *t <= at_us)
            .map_or(Vec::new(), |(_, cut, _)| cut.clone());
        assert_eq!(cut, snapshot.cut_links, "at {at_ms} ms");
    }
}

fn first_leader_ms(out: &RunOutput) -> Option<f64> {
    out.series
        .leaders
        .iter()
        .find(|p| p.leader.is_some())
        .map(|p| p.at_ms)
}

#[test]
fn a_clean_cluster_elects_within_two_seconds_and_commits_every_proposal() {
    let mut late = Vec::new();
    for seed in 1..=100 {
        // The last proposal goes out at 10 s and has 10 ms to commit.
        let mut cfg = ClusterConfig::new(5, seed, 10_010_000);
        cfg.workload.proposals_per_sec = 20.0;
        let out = run(cfg);
        assert!(
            out.violations.is_empty(),
            "seed {seed}: {:?}",
            out.violations
        );
        match first_leader_ms(&out) {
            Some(ms) if ms <= 2_000.0 => {}
            other => late.push((seed, other)),
        }
        assert_eq!(out.metrics.proposals_submitted, 200, "seed {seed}");
        assert_eq!(
            out.metrics.proposals_committed, out.metrics.proposals_submitted,
            "seed {seed}: every proposal commits"
        );
    }
    assert!(late.len() <= 1, "no leader within 2 s: {late:?}");
}

#[test]
fn stale_node_wins_with_the_vote_log_check_removed() {
    let mut buggy = isolate_rejoin(1);
    buggy.raft.bugs.grant_vote_without_log_check = true;
    let out = run(buggy);
    let violation = out
        .violations
        .first()
        .expect("the checker catches the stale leader");
    assert_eq!(
        violation.property,
        Property::LeaderCompleteness,
        "{violation:?}"
    );
    assert!(
        violation.at_ms >= 15_000.0,
        "only after the rejoin: {violation:?}"
    );

    let out = run(isolate_rejoin(1));
    assert!(out.violations.is_empty(), "{:?}", out.violations);
}

/// Three nodes whose election timeouts nearly coincide, so two candidates
/// share a term; node 3 restarts every 3 ms (zero downtime), forgetting its
/// volatile state between the two requests.
fn restarting_voter(seed: u64, forget_vote: bool) -> ClusterConfig {
    let mut cfg = ClusterConfig::new(3, seed, 2_000_000);
    cfg.raft.election_timeout_us = (150_000, 152_000);
    cfg.raft.bugs.forget_vote_on_restart = forget_vote;
    for ms in (100..2_000).step_by(3) {
        cfg.script
            .push(at(ms, Fault::Crash(NodeRef::Id(NodeId(3)))));
        cfg.script
            .push(at(ms, Fault::Restart(NodeRef::Id(NodeId(3)))));
    }
    cfg
}

#[test]
fn a_vote_forgotten_on_restart_is_given_twice_in_one_term() {
    let mut caught = 0;
    for seed in 1..=10 {
        let out = run(restarting_voter(seed, true));
        if let Some(v) = out.violations.first() {
            assert_eq!(v.property, Property::VoteOncePerTerm, "seed {seed}: {v:?}");
            assert!(v.message.contains("node 3 voted for both"), "{v:?}");
            caught += 1;
        }
        let out = run(restarting_voter(seed, false));
        assert!(
            out.violations.is_empty(),
            "seed {seed} without the bug: {:?}",
            out.violations
        );
    }
    assert!(
        caught >= 3,
        "the double vote was caught in {caught} of 10 seeds"
    );
}

#[test]
fn a_partitioned_minority_never_elects_and_the_majority_carries_on() {
    let mut cfg = ClusterConfig::new(5, 4, 20_000_000);
    cfg.workload.proposals_per_sec = 10.0;
    cfg.script = vec![
        at(
            3_000,
            Fault::Partition(vec![
                vec![NodeId(1), NodeId(2)],
                vec![NodeId(3), NodeId(4), NodeId(5)],
            ]),
        ),
        at(12_000, Fault::Heal),
    ];
    let out = run(cfg);
    assert!(out.violations.is_empty(), "{:?}", out.violations);
    // Nothing is lost: every proposal sent before the last 100 ms commits.
    assert!(out.metrics.proposals_committed + 1 >= out.metrics.proposals_submitted);
    let faults = &out.series.faults;
    assert_eq!(faults[0].until_ms, Some(12_000.0), "{faults:?}");
}

/// A tracer hears only the kinds it asks for, and the run is the same.
#[test]
fn a_tracer_hears_only_the_kinds_it_asks_for() {
    use sim_core::run::run_with;
    use sim_core::trace::EventKind;

    /// Counts what it hears; hears faults and sends only, or everything.
    struct Picky {
        all: bool,
        heard: Vec<EventKind>,
    }
    impl Tracer for Picky {
        fn record(&mut self, _: Instant, event: &TraceEvent<'_>) -> std::io::Result<()> {
            self.heard.push(event.kind());
            Ok(())
        }
        fn hears(&self, kind: EventKind) -> bool {
            self.all || matches!(kind, EventKind::Fault | EventKind::Send)
        }
    }
    let mut picky = Picky {
        all: false,
        heard: Vec::new(),
    };
    let mut every = Picky {
        all: true,
        heard: Vec::new(),
    };
    let a = run_with(isolate_rejoin(3), Some(&mut picky));
    let b = run_with(isolate_rejoin(3), Some(&mut every));
    assert_eq!(a.trace_hash, b.trace_hash);
    let wanted = |k: &&EventKind| matches!(k, EventKind::Fault | EventKind::Send);
    assert!(picky.heard.iter().all(|k| wanted(&k)));
    assert_eq!(picky.heard.len(), every.heard.iter().filter(wanted).count());
    assert!(
        every.heard.len() > 2 * picky.heard.len(),
        "{}",
        every.heard.len()
    );
    assert_eq!(
        picky
            .heard
            .iter()
            .filter(|k| **k == EventKind::Fault)
            .count(),
        2
    );
}

#[test]
fn a_tracer_gets_exactly_the_sends_it_wants() {
    use sim_core::run::run_with;

    /// Wants messages in the first 100 ms of each second only: after each
    /// call, from now on if inside one, else from the next second. The
    /// reference asks for every message and applies the same rule itself.
    struct Spans {
        filter_itself: bool,
        from: Instant,
        sends: Vec<Instant>,
        others: usize,
    }
    impl Spans {
        fn new(filter_itself: bool) -> Spans {
            Spans {
                filter_itself,
                from: Instant::ZERO,
                sends: Vec::new(),
                others: 0,
            }
        }
    }
    impl Tracer for Spans {
        fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> std::io::Result<()> {
            match event {
                TraceEvent::Send { .. } if at >= self.from => self.sends.push(at),
                TraceEvent::Send { .. } => {
                    assert!(self.filter_itself, "a send at {at} before {}", self.from)
                }
                _ => self.others += 1,
            }
            let us = at.as_us();
            self.from = match us % 1_000_000 < 100_000 {
                true => at,
                false => Instant::from_us((us / 1_000_000 + 1) * 1_000_000),
            };
            Ok(())
        }
        fn sends_wanted_from(&self) -> Instant {
            match self.filter_itself {
                true => Instant::ZERO,
                false => self.from,
            }
        }
    }
    let mut spans = Spans::new(false);
    let mut reference = Spans::new(true);
    let plain = run_with(isolate_rejoin(3), None);
    let traced = run_with(isolate_rejoin(3), Some(&mut spans));
    let all = run_with(isolate_rejoin(3), Some(&mut reference));
    assert_eq!(plain.trace_hash, traced.trace_hash, "the run is the same");
    assert_eq!(plain.trace_hash, all.trace_hash);
    assert_eq!(spans.sends, reference.sends, "exactly the sends it wants");
    assert_eq!(spans.others, reference.others, "and every other record");
    let sent = plain.metrics.messages_sent as usize;
    assert!(
        spans.sends.len() > sent / 20 && spans.sends.len() < sent / 4,
        "{} of {sent}",
        spans.sends.len()
    );
}
