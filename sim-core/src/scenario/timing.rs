//! When scripted events fire: a ranged `at_ms` and `repeat`, checked
//! (`Check::timing`) and expanded into the script one seed fires
//! (`expand`), each ranged event drawing from its own random stream.

use std::collections::BTreeMap;

use crate::faults::ScriptEvent;
use crate::rng::{Purpose, Stream};
use crate::time::Instant;

use super::ms::Ms;
use super::validate::Check;
use super::{EventSpec, RepeatSpec, MAX_DURATION_MS};

/// The most times one event may repeat.
pub const MAX_REPEAT_TIMES: u64 = 100_000;
/// The most events a script may fire in all, repetitions counted.
pub const MAX_FIRINGS: u64 = 1_000_000;

/// A checked event with its timing: when it may fire and how often.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct TimedEvent {
    pub(super) event: ScriptEvent,
    /// Its position in the file's `events`.
    pub(super) source: usize,
    /// `at_ms` in microseconds (min = max unless ranged).
    pub(super) at_us: (u64, u64),
    /// `repeat.every_ms` in microseconds (0 without `repeat`).
    pub(super) every_us: u64,
    pub(super) times: u64,
    /// `after`: the position of the `let` it is timed from, whose first
    /// firing its `at_ms` counts from.
    pub(super) anchor: Option<usize>,
}

/// The script one seed fires: every event in file order, each repetition
/// in order, a ranged `at_ms` drawn afresh per repetition from the
/// event's own stream (so one event's draws never shift another's). An
/// event timed from a `let` is due that long after the `let` is due
/// (the engine moves it if the `let` fires later).
pub(super) fn expand(timed: &[TimedEvent], seed: u64) -> Vec<ScriptEvent> {
    let mut script = Vec::with_capacity(timed.len());
    // When each event's first firing is due, by its position in the file.
    let mut first_due: BTreeMap<usize, Instant> = BTreeMap::new();
    for t in timed {
        let (min, max) = t.at_us;
        let mut rng = (min < max).then(|| Stream::new(seed, Purpose::EventTimes, t.source as u64));
        for r in 0..t.times {
            let offset = rng.as_mut().map_or(min, |rng| rng.between(min, max));
            let at_us = r * t.every_us + offset;
            let mut event = t.event.clone();
            let anchor_due = t.anchor.and_then(|j| first_due.get(&j).copied());
            event.at = match (event.after.as_mut(), anchor_due) {
                (Some(after), Some(due)) => {
                    after.offset_us = at_us;
                    due.plus_us(at_us)
                }
                (Some(_), None) | (None, _) => Instant::from_us(at_us),
            };
            event.source = Some(t.source);
            first_due.entry(t.source).or_insert(event.at);
            script.push(event);
        }
    }
    script
}

impl Check {
    /// `at_ms` and `repeat`: a non-empty range, every firing within the run.
    /// Returns the timing in microseconds: (min, max), every, times.
    /// `base_us` is when the `let` an event is timed from may fire at the
    /// latest (0 for an event timed from the start).
    pub(super) fn timing(
        &mut self,
        path: &str,
        event: &EventSpec,
        duration_ms: u64,
        base_us: u64,
    ) -> ((u64, u64), u64, u64) {
        let (min, max) = (event.at_ms.min().us(), event.at_ms.max().us());
        if min > max {
            self.fail(
                format!("{path}.at_ms"),
                format!("empty range {}: min must be <= max", event.at_ms),
            );
        }
        let (every, times) = match event.repeat {
            None => (0, 1),
            Some(RepeatSpec { every_ms, times }) => {
                if every_ms.us() == 0 || every_ms.us() > MAX_DURATION_MS * 1_000 {
                    self.fail(
                        format!("{path}.repeat.every_ms"),
                        format!(
                            "{every_ms} is out of range: must be in [0.001, {MAX_DURATION_MS}]"
                        ),
                    );
                }
                if !(1..=MAX_REPEAT_TIMES).contains(&times) {
                    self.fail(
                        format!("{path}.repeat.times"),
                        format!("{times} is out of range: must be 1..={MAX_REPEAT_TIMES}"),
                    );
                }
                (every_ms.us(), times.clamp(1, MAX_REPEAT_TIMES))
            }
        };
        let last = base_us
            .saturating_add(max)
            .saturating_add(every.saturating_mul(times - 1));
        if last > duration_ms.saturating_mul(1_000) {
            let last = Ms::from_us(last);
            let message = if base_us > 0 {
                format!(
                    "{last} ms is past the end of the run (duration_ms is {duration_ms}): {} ms after its let, which may fire at {} ms",
                    Ms::from_us(max),
                    Ms::from_us(base_us)
                )
            } else if times > 1 {
                format!("its last repetition may fire at {last} ms, past the end of the run (duration_ms is {duration_ms})")
            } else {
                format!("{last} ms is past the end of the run (duration_ms is {duration_ms})")
            };
            self.fail(format!("{path}.at_ms"), message);
        }
        ((min, max), every, times)
    }
}
