//! The limits that stop a runaway run (docs/SEMANTICS.md "Limits of a
//! run"): the total number of engine events, the events in one second of
//! virtual time, the proposals the client holds, the events queued and the
//! memory the run holds. A run that reaches one stops at that instant, cut
//! short (exit 1), instead of exhausting memory or running for hours.

use std::mem::size_of;

use super::pause::Pending;
use super::{Cluster, Event};
use crate::node::{Entry, RaftNode, WireMessage};
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

/// The default memory budget of a run (`max_memory_mb`, `--max-memory`).
pub const DEFAULT_MAX_MEMORY_MB: u64 = 1_024;
/// The run counts what it holds once every so many events: memory grows
/// by a few entries per event at most, so it cannot run far past the
/// budget in between, and counting costs nothing per event.
const MEMORY_CHECK_EVERY: u64 = 16_384;
const BYTES_PER_MB: u64 = 1 << 20;

impl<M: WireMessage> Event<M> {
    /// The memory the event holds beyond its slot in the queue.
    fn held_bytes(&self) -> u64 {
        match self {
            Event::Deliver { msg, .. } | Event::Depart { msg, .. } => msg.held_bytes(),
            Event::Durable { write, .. } => size_of_val(write.entries.as_slice()) as u64,
            Event::Timer { .. } | Event::Fault(_) | Event::Propose | Event::ClientRetry => 0,
        }
    }
}

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

    /// What the run holds, counted (not asked of the allocator): every
    /// node's log and durable copy, the inputs a paused node holds, the
    /// queued events with the messages and writes they carry, the client's
    /// proposals, the checker's and the recorder's state and the fault
    /// records. An estimate from the sizes of what is held, within a small
    /// factor of the process's resident memory.
    pub(super) fn held_bytes(&self) -> u64 {
        let entry = size_of::<Entry>() as u64;
        let nodes: u64 = self
            .slots
            .iter()
            .map(|slot| {
                // The node's log (twice: an implementation keeps a copy
                // for its storage, as raft-rs does) and its disk's.
                let entries = 2 * slot.retained_entries() + slot.disk.log.len() as u64;
                let pending = slot.pending.len() as u64 * size_of::<Pending<N::Message>>() as u64;
                entries * entry + pending
            })
            .sum();
        let event = size_of::<Event<N::Message>>() as u64;
        let queue: u64 = self.queue.iter().map(|e| event + e.held_bytes()).sum();
        nodes
            + queue
            + self.client.held_bytes()
            + self.observers.held_bytes()
            + self.script.held_bytes()
    }

    /// Why the run must stop now, if it must.
    pub(super) fn limit_reached(&mut self) -> Option<String> {
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
        if self.events >= self.memory_checked_at + MEMORY_CHECK_EVERY {
            self.memory_checked_at = self.events;
            let held = self.held_bytes();
            let budget = self.cfg.max_memory_mb.saturating_mul(BYTES_PER_MB);
            if held > budget {
                return Some(format!(
                    "stopped at {at}: the run holds about {:.1} MiB, past its memory budget of \
                     {} MiB (raise it with --max-memory, or max_memory_mb in the scenario)",
                    held as f64 / BYTES_PER_MB as f64,
                    self.cfg.max_memory_mb
                ));
            }
        }
        None
    }
}
