//! The limits that stop a runaway run (docs/SEMANTICS.md "Limits of a
//! run"): the total number of engine events, the events in one second of
//! virtual time, the proposals the client holds and the events queued. A
//! run that reaches one stops at that instant, cut short (exit 1), instead
//! of exhausting memory or running for hours.

use super::Cluster;
use crate::node::RaftNode;
use crate::time::Instant;

/// The default limit on events in one run.
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;
/// The default limit on events in one second of virtual time: a 5-node
/// cluster at 20 proposals/s runs about 360, at 100 000 proposals/s about
/// 510 000 (64 nodes at that rate: 22 million, past the limit); a run
/// stalled at one instant reaches it in about 2 s of wall time.
pub const DEFAULT_MAX_EVENTS_PER_SEC: u64 = 10_000_000;
/// The most proposals the client may hold uncommitted. An uncommitted
/// proposal costs far more than its client record (an entry in every log
/// and durable copy, in the checker's window and in appends in flight: about
/// 1.7 KB in all, measured), so this bounds an overloaded run's memory at
/// a couple of hundred MiB; a cluster that keeps up holds a few dozen.
pub const MAX_PENDING_PROPOSALS: usize = 100_000;
/// The most events the queue may hold (a scenario file's runs; the
/// library may lower it in `ClusterConfig::max_queued_events`).
pub const MAX_QUEUED_EVENTS: usize = 4_000_000;

const US_PER_SEC: u64 = 1_000_000;

/// The events counted in the current second of virtual time.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Window {
    /// Where the second being counted ends (µs of virtual time).
    ends_us: u64,
    /// The run's event count when it began.
    events_before: u64,
}

impl<N: RaftNode> Cluster<'_, N> {
    /// Moves the window to the second of `now` (before an event runs): one
    /// comparison per event, a division only when a second is over.
    pub(super) fn enter_window(&mut self, now: Instant) {
        let now_us = now.as_us();
        if now_us >= self.window.ends_us {
            self.window = Window {
                ends_us: (now_us / US_PER_SEC)
                    .saturating_add(1)
                    .saturating_mul(US_PER_SEC),
                events_before: self.events,
            };
        }
        debug_assert!(
            now_us < self.window.ends_us || self.window.ends_us == u64::MAX,
            "the window holds the current instant"
        );
        debug_assert!(self.window.events_before <= self.events);
    }

    /// True when the run has spent its events, in all or in this second:
    /// every loop of the engine stops there.
    pub(super) fn events_spent(&self) -> bool {
        self.events >= self.cfg.max_events
            || self.events - self.window.events_before >= self.cfg.max_events_per_sec
    }

    /// Why the run must stop now, if it must.
    pub(super) fn limit_reached(&self) -> Option<String> {
        let at = self.now;
        if self.events >= self.cfg.max_events {
            return Some(format!(
                "stopped at {at} after the event limit of {} events (max_events)",
                self.cfg.max_events
            ));
        }
        if self.events - self.window.events_before >= self.cfg.max_events_per_sec {
            return Some(format!(
                "stopped at {at}: {} events in one second of virtual time, the limit \
                 (max_events_per_sec); the run is running away",
                self.cfg.max_events_per_sec
            ));
        }
        let pending = self.client.pending_count();
        if pending > MAX_PENDING_PROPOSALS {
            return Some(format!(
                "stopped at {at}: the client holds {pending} uncommitted proposals, more \
                 than the limit of {MAX_PENDING_PROPOSALS}"
            ));
        }
        let queued = self.queue.len();
        if queued > self.cfg.max_queued_events {
            return Some(format!(
                "stopped at {at}: {queued} events are queued, more than the limit of {}",
                self.cfg.max_queued_events
            ));
        }
        None
    }
}
