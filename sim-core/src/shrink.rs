//! Shrinking a failing run: given a scenario, a variant and a seed that
//! fails (a safety violation, a run cut short, or a failed expectation),
//! find a smaller scenario that still fails the same way with the same
//! seed — fewer events (scripted and drawn chaos alike), a shorter run,
//! fewer nodes, simpler settings — re-running the real engine to verify
//! every step. Pure: no files, no clock.

use crate::faults::{Fault, Request, RANKED_FOLLOWERS};
use crate::invariants::Property;
use crate::results::{assemble, run_variant};
use crate::scenario::{
    event_spec, EventSpec, ExpectSpec, Ms, NodeRefSpec, Scenario, ScenarioFile, VariantSpec,
    MAX_EVENTS_IN_SCRIPT,
};

/// A drawn link fault over no links changes nothing, and a scenario file
/// cannot say it (a `cut` or `restore` names at least one pair): in a
/// one-node cluster every isolation draws one.
fn names_no_links(fault: &Fault) -> bool {
    match fault {
        Fault::Cut(pairs) | Fault::CutOneway(pairs) | Fault::Restore(pairs) => pairs.is_empty(),
        // A drawn joint change over no nodes cannot be written either.
        Fault::Request(Request::Change {
            add,
            remove,
            learners,
        }) => add.is_empty() && remove.is_empty() && learners.is_empty(),
        Fault::Isolate(_)
        | Fault::Partition(_)
        | Fault::Heal
        | Fault::Crash(_)
        | Fault::Restart(_)
        | Fault::SetNetwork(_)
        | Fault::ResetNetwork
        | Fault::SetLink { .. }
        | Fault::Pause(_)
        | Fault::Resume(_)
        | Fault::SetClock { .. }
        | Fault::StallDisk { .. }
        | Fault::Let(_)
        | Fault::Request(
            Request::AddLearner(_)
            | Request::AddVoter(_)
            | Request::Promote(_)
            | Request::Remove(_)
            | Request::TransferLeader(_),
        ) => false,
    }
}

/// How a run fails; a shrunk scenario must fail the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    Safety { property: Property },
    LimitReached,
    Expectation { metric: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Safety { property } => write!(f, "safety violation ({property})"),
            Failure::LimitReached => write!(f, "event limit reached"),
            Failure::Expectation { metric } => write!(f, "failed expectation on {metric}"),
        }
    }
}

/// The result of shrinking.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub file: ScenarioFile,
    pub failure: Failure,
    pub variant: String,
    /// Runs of the engine it took.
    pub runs: u64,
}

/// How `variant` of `scenario` fails with `seed`, if it does.
pub fn failure_of(scenario: &Scenario, variant: &str, seed: u64) -> Option<Failure> {
    run_failure(scenario, variant, seed).map(|(failure, _)| failure)
}

/// How the run fails, and the instant (microseconds) at which a safety
/// violation stopped it: nothing due after that instant took part.
fn run_failure(scenario: &Scenario, variant: &str, seed: u64) -> Option<(Failure, Option<u64>)> {
    let v = scenario.variant(variant)?;
    let result = run_variant(scenario, v, seed, None);
    if let Some(violation) = result.safety.violations.first() {
        let stopped_us = (violation.at_ms * 1_000.0).round() as u64;
        return Some((
            Failure::Safety {
                property: violation.property,
            },
            Some(stopped_us),
        ));
    }
    if result.limit_reached.is_some() {
        return Some((Failure::LimitReached, None));
    }
    let results = assemble(scenario, seed, vec![result]);
    results.expectations.iter().find(|e| !e.ok).map(|e| {
        let failure = Failure::Expectation {
            metric: e.metric.clone(),
        };
        (failure, None)
    })
}

struct Shrinker {
    seed: u64,
    variant: String,
    target: Failure,
    runs: u64,
}

impl Shrinker {
    fn still_fails(&mut self, file: &ScenarioFile) -> bool {
        let Ok(scenario) = Scenario::from_file(file.clone()) else {
            return false;
        };
        self.runs += 1;
        failure_of(&scenario, &self.variant, self.seed).as_ref() == Some(&self.target)
    }

    /// Delta debugging over the event list: remove chunks, halving the
    /// chunk size down to single events.
    fn shrink_events(&mut self, file: &mut ScenarioFile) -> bool {
        let mut progress = false;
        let mut chunk = file.events.len().div_ceil(2).max(1);
        while chunk >= 1 && !file.events.is_empty() {
            let mut start = 0;
            while start < file.events.len() {
                let mut candidate = file.clone();
                let end = (start + chunk).min(candidate.events.len());
                candidate.events.drain(start..end);
                debug_assert!(
                    candidate.events.len() < file.events.len(),
                    "a chunk removes at least one event"
                );
                if self.still_fails(&candidate) {
                    *file = candidate;
                    progress = true;
                } else {
                    start += chunk;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
        progress
    }

    /// Shortens the run: binary search on the duration (events past the new
    /// end are dropped).
    fn shrink_duration(&mut self, file: &mut ScenarioFile) -> bool {
        let mut low = 1;
        let mut high = file.duration_ms;
        let original = file.duration_ms;
        while low < high {
            let mid = low + (high - low) / 2;
            let candidate = with_duration(file, mid);
            if self.still_fails(&candidate) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        debug_assert!(
            low == high && high <= original,
            "the search ends within the run"
        );
        if high < original {
            *file = with_duration(file, high);
            true
        } else {
            false
        }
    }

    /// Moves the whole script earlier (a different run, so it may or may
    /// not still fail): the first event at 1 s, 2 s, 5 s, ... if earlier.
    fn shift_earlier(&mut self, file: &mut ScenarioFile) -> bool {
        // An event timed from a `let` moves with it: its `at_ms` is not an
        // instant of the run.
        let from_start = |e: &&EventSpec| e.after.is_none();
        let Some(first) = file
            .events
            .iter()
            .filter(from_start)
            .map(|e| e.at_ms.min().us())
            .min()
        else {
            return false;
        };
        for target in [
            1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000, 50_000_000,
        ] {
            if target >= first {
                break;
            }
            // Whole milliseconds, so the duration stays whole.
            let shift_ms = (first - target) / 1_000;
            let mut candidate = file.clone();
            for e in candidate.events.iter_mut().filter(|e| e.after.is_none()) {
                e.at_ms = e.at_ms.earlier_by_us(shift_ms * 1_000);
            }
            candidate.duration_ms -= shift_ms;
            debug_assert!(
                shift_ms > 0 && candidate.duration_ms > 0,
                "a shift moves the script earlier and leaves a run"
            );
            if self.still_fails(&candidate) {
                *file = candidate;
                return true;
            }
        }
        false
    }

    fn shrink_nodes(&mut self, file: &mut ScenarioFile) -> bool {
        let mut progress = false;
        while file.nodes > 1 {
            let candidate = with_nodes(file, file.nodes - 1);
            debug_assert_eq!(candidate.nodes, file.nodes - 1, "one node fewer");
            if !self.still_fails(&candidate) {
                break;
            }
            *file = candidate;
            progress = true;
        }
        progress
    }

    /// Tries each simplification of the settings on its own.
    fn simplify(&mut self, file: &mut ScenarioFile) -> bool {
        let mut progress = false;
        let edits: [fn(&mut ScenarioFile) -> bool; 4] = [
            |f| replace(&mut f.workload.proposals_per_sec, Some(0.0)),
            |f| replace(&mut f.network.loss, Some(0.0)),
            |f| replace(&mut f.network.duplicate, Some(0.0)),
            |f| replace(&mut f.storage.persist_latency_ms, Some([Ms::default(); 2])),
        ];
        for edit in edits {
            let mut candidate = file.clone();
            if edit(&mut candidate) && self.still_fails(&candidate) {
                *file = candidate;
                progress = true;
            }
        }
        progress
    }
}

/// Sets `slot` to `value`; false if it already was.
fn replace<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        return false;
    }
    *slot = value;
    true
}

fn with_duration(file: &ScenarioFile, duration_ms: u64) -> ScenarioFile {
    debug_assert!(
        duration_ms >= 1 && duration_ms <= file.duration_ms,
        "a run is only ever shortened"
    );
    let mut out = file.clone();
    out.duration_ms = duration_ms;
    out.events.retain(|e| {
        let repeats = e
            .repeat
            .map_or(0, |r| r.every_ms.us() * r.times.saturating_sub(1));
        e.at_ms.max().us() + repeats <= duration_ms * 1_000
    });
    out
}

/// Every node reference of an event (a `let`'s values included).
fn references(e: &EventSpec) -> Vec<&NodeRefSpec> {
    let pairs = [&e.cut, &e.cut_oneway, &e.restore]
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|[a, b]| [a, b]);
    [&e.isolate, &e.crash, &e.restart]
        .into_iter()
        .flatten()
        .chain(pairs)
        .chain(e.set_link.iter().flat_map(|l| l.between.iter()))
        .chain(e.bind.iter().flat_map(|b| b.values()))
        .collect()
}

/// The scenario with nodes above `nodes` gone: events naming them dropped
/// (with the events that use a name a dropped `let` bound), partitions
/// without them.
fn with_nodes(file: &ScenarioFile, nodes: u64) -> ScenarioFile {
    let fits = |r: &NodeRefSpec| match r {
        NodeRefSpec::Id(id) => *id <= nodes,
        NodeRefSpec::Name(name) => match RANKED_FOLLOWERS
            .iter()
            .find_map(|(prefix, _)| name.strip_prefix(prefix))
        {
            Some(k) => k.parse::<u64>().is_ok_and(|k| k < nodes),
            None => true,
        },
    };
    let mut dropped_names: Vec<String> = Vec::new();
    let mut out = file.clone();
    out.nodes = nodes;
    out.events = file
        .events
        .iter()
        .filter_map(|e| {
            let mut e = e.clone();
            if let Some(groups) = &mut e.partition {
                for g in groups.iter_mut() {
                    g.retain(|&n| n <= nodes);
                }
                groups.retain(|g| !g.is_empty());
                if groups.len() < 2 {
                    return None;
                }
            }
            let refs = references(&e);
            let uses_dropped = refs
                .iter()
                .any(|r| matches!(r, NodeRefSpec::Name(n) if dropped_names.contains(n)));
            if uses_dropped || !refs.into_iter().all(fits) {
                dropped_names.extend(e.bind.iter().flat_map(|b| b.keys().cloned()));
                return None;
            }
            Some(e)
        })
        .collect();
    out
}

/// Why a run cannot be shrunk.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    #[error("no variant is labelled {0:?}")]
    NoSuchVariant(String),
    #[error("the run fails ({0}), but not once written out as a standalone scenario; please report this")]
    NotReproducible(Failure),
    #[error("the failing run draws {events} chaos and scripted events, more than the {MAX_EVENTS_IN_SCRIPT} a scenario file may hold; shrink a shorter run (e.g. --set duration_ms=...)")]
    TooManyEvents { events: usize },
    #[error("seed {seed} does not fail{}: nothing to shrink", variant.as_ref().map(|v| format!(" in variant {v:?}")).unwrap_or_default())]
    DoesNotFail { seed: u64, variant: Option<String> },
}

/// The failing run of `label` with `seed` as a standalone file: the
/// variant's resolved settings at the top, the drawn chaos written out as
/// events, only the expectation that fails. It replays the run exactly:
///
/// - the file's own events stay first and in their order: a ranged `at_ms`
///   draws from a stream keyed by the event's position in `events`, and at
///   one instant the engine fires scripted events before chaos ones, in
///   script order (sorting by time would change both);
/// - the chaos events follow in the order they were drawn, each at its
///   instant (whole milliseconds), its roles bound by its own `let`;
/// - a run a violation stopped at `stopped_us` keeps only the chaos events
///   due by then: the others never fired, and a restart storm draws
///   thousands of events a second, more than a file may hold.
fn standalone(
    scenario: &Scenario,
    label: &str,
    seed: u64,
    target: &Failure,
    stopped_us: Option<u64>,
) -> Result<ScenarioFile, ShrinkError> {
    let v = scenario.variant(label).expect("a variant of the scenario");
    let config = &v.config_json;
    let mut file = scenario.file.clone();
    file.seed = seed;
    file.raft = serde_json::from_value(config["raft"].clone()).expect("resolved raft settings");
    file.network = serde_json::from_value(config["network"].clone()).expect("resolved network");
    file.workload = serde_json::from_value(config["workload"].clone()).expect("resolved workload");
    file.storage = serde_json::from_value(config["storage"].clone()).expect("resolved storage");
    // A variant with its own events runs them, not the file's.
    file.events = scenario.variant_events(label).to_vec();
    file.variants = vec![VariantSpec {
        label: label.to_string(),
        ..VariantSpec::default()
    }];
    let drawn = scenario.chaos_events(seed);
    let due = drawn
        .iter()
        .filter(|e| stopped_us.is_none_or(|stop| e.at.as_us() <= stop))
        .filter(|e| !names_no_links(&e.fault));
    file.events.extend(due.map(event_spec));
    if file.events.len() > MAX_EVENTS_IN_SCRIPT {
        return Err(ShrinkError::TooManyEvents {
            events: file.events.len(),
        });
    }
    file.clock = serde_json::from_value(config["clock"].clone()).expect("resolved clock");
    file.chaos = None;
    file.expect = match target {
        Failure::Expectation { metric } => scenario
            .file
            .expect
            .iter()
            .filter(|e| e.metric == *metric && e.variant.as_deref().is_none_or(|l| l == label))
            .take(1)
            .map(|e| ExpectSpec {
                variant: Some(label.to_string()),
                ..e.clone()
            })
            .collect(),
        Failure::Safety { .. } | Failure::LimitReached => Vec::new(),
    };
    Ok(file)
}

/// Shrinks the failure of `variant` (or the first failing variant) with `seed`.
pub fn shrink(
    scenario: &Scenario,
    variant: Option<&str>,
    seed: u64,
) -> Result<Shrunk, ShrinkError> {
    let candidates: Vec<&str> = match variant {
        Some(label) => {
            scenario
                .variant(label)
                .ok_or_else(|| ShrinkError::NoSuchVariant(label.to_string()))?;
            vec![label]
        }
        None => scenario
            .variants()
            .iter()
            .map(|v| v.label.as_str())
            .collect(),
    };
    let (label, (target, stopped_us)) = candidates
        .iter()
        .find_map(|&label| run_failure(scenario, label, seed).map(|f| (label, f)))
        .ok_or(ShrinkError::DoesNotFail {
            seed,
            variant: variant.map(str::to_string),
        })?;
    let mut file = standalone(scenario, label, seed, &target, stopped_us)?;
    let mut shrinker = Shrinker {
        seed,
        variant: label.to_string(),
        target: target.clone(),
        runs: 0,
    };
    if !shrinker.still_fails(&file) {
        return Err(ShrinkError::NotReproducible(target));
    }
    loop {
        let mut progress = shrinker.shrink_events(&mut file);
        progress |= shrinker.shrink_duration(&mut file);
        progress |= shrinker.shift_earlier(&mut file);
        progress |= shrinker.shrink_nodes(&mut file);
        progress |= shrinker.simplify(&mut file);
        if !progress {
            break;
        }
    }
    Ok(Shrunk {
        file,
        failure: target,
        variant: label.to_string(),
        runs: shrinker.runs,
    })
}
