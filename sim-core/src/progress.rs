//! How far the runs of this process have got, for a progress bar: engine
//! events executed, virtual time simulated and runs finished, summed over
//! every run on every thread. `Cluster::run` adds to it every
//! `REPORT_EVERY_EVENTS` events and when a run ends; nothing in a run ever
//! reads it, so it cannot change what a run computes.

use std::sync::atomic::{AtomicU64, Ordering};

/// A run adds its progress after this many events (and at its end): one
/// comparison per event, an atomic add every 2^16 events.
pub const REPORT_EVERY_EVENTS: u64 = 1 << 16;

static EVENTS: AtomicU64 = AtomicU64::new(0);
static VIRTUAL_US: AtomicU64 = AtomicU64::new(0);
static RUNS: AtomicU64 = AtomicU64::new(0);

/// The totals so far; a progress bar shows the change since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub events: u64,
    pub virtual_us: u64,
    pub runs: u64,
}

/// The totals of every run so far.
pub fn totals() -> Totals {
    Totals {
        events: EVENTS.load(Ordering::Relaxed),
        virtual_us: VIRTUAL_US.load(Ordering::Relaxed),
        runs: RUNS.load(Ordering::Relaxed),
    }
}

/// A run executed `events` more events and advanced `virtual_us` more
/// microseconds of virtual time.
pub(crate) fn add(events: u64, virtual_us: u64) {
    EVENTS.fetch_add(events, Ordering::Relaxed);
    VIRTUAL_US.fetch_add(virtual_us, Ordering::Relaxed);
}

/// A run ended.
pub(crate) fn run_finished() {
    RUNS.fetch_add(1, Ordering::Relaxed);
}
