//! Each node's clock: a rate that drifts from virtual time by a few parts
//! per million, and timers that fire a little late. A node asks for a
//! timer `d` microseconds ahead on its own clock; the cluster turns that
//! into virtual time here (docs/SEMANTICS.md "Clocks and timers").
//!
//! Owns two random streams per node, each with its own purpose label: the
//! drift (drawn once per run) and the lateness of each timer. With no
//! drift and no jitter it draws nothing and changes nothing, so a run
//! without clock effects is exactly the run of an ideal clock.

use crate::rng::{Purpose, Stream};

/// Parts per billion in one part per million.
pub const PPB_PER_PPM: f64 = 1_000.0;
/// The largest drift a clock may have: 1% (10,000 ppm).
pub const MAX_DRIFT_PPB: u64 = 10_000_000;
const BILLION: i128 = 1_000_000_000;

/// Clock behaviour, resolved (the scenario's `clock` section).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockConfig {
    /// Each node's drift is drawn uniformly from [-max, +max] ppb.
    pub max_drift_ppb: u64,
    /// How late a timer fires, drawn per timer from this range.
    pub timer_jitter_us: (u64, u64),
}

impl ClockConfig {
    /// An ideal clock: no drift, no jitter.
    pub const IDEAL: ClockConfig = ClockConfig {
        max_drift_ppb: 0,
        timer_jitter_us: (0, 0),
    };
}

impl Default for ClockConfig {
    /// The documented defaults (docs/SEMANTICS.md "Clocks and timers"):
    /// 50 ppm of drift, timers late by 0–100 µs.
    fn default() -> ClockConfig {
        ClockConfig {
            max_drift_ppb: 50_000,
            timer_jitter_us: (0, 100),
        }
    }
}

/// One node's clock: its drift and its jitter stream (both survive a
/// crash: the hardware and the OS stay).
pub(super) struct NodeClock {
    /// The clock runs at rate 1 + drift_ppb / 10^9.
    drift_ppb: i64,
    jitter_us: (u64, u64),
    jitter: Stream,
}

impl NodeClock {
    pub(super) fn new(seed: u64, node: u64, config: &ClockConfig) -> NodeClock {
        let max = config.max_drift_ppb.min(MAX_DRIFT_PPB);
        let drift_ppb = if max == 0 {
            0
        } else {
            let drawn = Stream::new(seed, Purpose::ClockDrift, node).between(0, 2 * max);
            drawn as i64 - max as i64
        };
        NodeClock {
            drift_ppb,
            jitter_us: config.timer_jitter_us,
            jitter: Stream::new(seed, Purpose::TimerJitter, node),
        }
    }

    #[cfg(test)]
    pub(super) fn drift_ppb(&self) -> i64 {
        self.drift_ppb
    }

    /// `set_clock`: the clock's rate from now on (timers already armed
    /// keep their deadlines).
    pub(super) fn set_drift_ppb(&mut self, drift_ppb: i64) {
        self.drift_ppb = drift_ppb;
    }

    /// The virtual microseconds until a timer set `local_us` ahead on
    /// this clock fires: the local duration at the clock's rate, rounded
    /// to the nearest microsecond, plus the timer's drawn lateness.
    pub(super) fn timer_delay_us(&mut self, local_us: u64) -> u64 {
        let scaled = if self.drift_ppb == 0 {
            local_us
        } else {
            let rate = BILLION + i128::from(self.drift_ppb);
            let us = (i128::from(local_us) * BILLION + rate / 2) / rate;
            u64::try_from(us).unwrap_or(u64::MAX)
        };
        let (min, max) = self.jitter_us;
        let late = if max == 0 {
            0
        } else {
            self.jitter.between(min, max)
        };
        scaled.saturating_add(late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ideal_clock_changes_nothing() {
        let mut clock = NodeClock::new(1, 1, &ClockConfig::IDEAL);
        assert_eq!(clock.timer_delay_us(150_000), 150_000);
    }

    #[test]
    fn a_fast_clock_fires_early_and_jitter_only_late() {
        let mut clock = NodeClock::new(1, 1, &ClockConfig::IDEAL);
        clock.set_drift_ppb(100_000); // +100 ppm: 1 s of local time is 0.9999 s
        assert_eq!(clock.timer_delay_us(1_000_000), 999_900);
        clock.set_drift_ppb(-100_000);
        assert_eq!(clock.timer_delay_us(1_000_000), 1_000_100);
        let config = ClockConfig {
            max_drift_ppb: 0,
            timer_jitter_us: (10, 20),
        };
        let mut jittery = NodeClock::new(1, 1, &config);
        for _ in 0..100 {
            assert!((1_010..=1_020).contains(&jittery.timer_delay_us(1_000)));
        }
    }

    #[test]
    fn drift_is_drawn_within_its_bound_per_node() {
        let config = ClockConfig::default();
        let drifts: Vec<i64> = (1..=5)
            .map(|n| NodeClock::new(7, n, &config).drift_ppb())
            .collect();
        assert!(drifts.iter().all(|d| d.abs() <= 50_000));
        assert!(drifts.windows(2).any(|w| w[0] != w[1]));
    }
}
