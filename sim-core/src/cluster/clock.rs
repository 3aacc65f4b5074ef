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
const BILLION: u64 = 1_000_000_000;

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
    /// The clock's rate in parts per billion (10^9 + drift: it runs at
    /// rate / 10^9) and `u64::MAX / rate`: dividing by the rate is then a multiplication
    /// and a correction, not a 128-bit division on every timer.
    rate: u64,
    inverse: u64,
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
        assert!(
            config.timer_jitter_us.0 <= config.timer_jitter_us.1,
            "validation orders the timer jitter range"
        );
        let mut clock = NodeClock {
            rate: BILLION,
            inverse: u64::MAX / BILLION,
            jitter_us: config.timer_jitter_us,
            jitter: Stream::new(seed, Purpose::TimerJitter, node),
        };
        clock.set_drift_ppb(drift_ppb);
        assert!(
            drift_ppb.unsigned_abs() <= max,
            "drift {drift_ppb} ppb drawn beyond {max}"
        );
        clock
    }

    #[cfg(test)]
    pub(super) fn drift_ppb(&self) -> i64 {
        self.rate as i64 - BILLION as i64
    }

    /// `set_clock`: the clock's rate from now on (timers already armed
    /// keep their deadlines).
    pub(super) fn set_drift_ppb(&mut self, drift_ppb: i64) {
        debug_assert!(drift_ppb.unsigned_abs() <= MAX_DRIFT_PPB);
        self.rate = BILLION.saturating_add_signed(drift_ppb);
        self.inverse = u64::MAX / self.rate;
        debug_assert!(self.rate > 0 && self.inverse > 0);
    }

    /// `local_us` at the clock's rate: local_us · 10^9 / rate, rounded to
    /// the nearest microsecond (exactly, for any `local_us`).
    fn scale(&self, local_us: u64) -> u64 {
        let rate = u128::from(self.rate);
        let n = u128::from(local_us) * u128::from(BILLION) + rate / 2;
        let Ok(small) = u64::try_from(n) else {
            return u64::try_from(n / rate).unwrap_or(u64::MAX);
        };
        // inverse = ⌊(2^64 - 1) / rate⌋, so the estimate ⌊n · inverse / 2^64⌋
        // is at most the quotient and at most 2 below it; the loop adds
        // what is missing.
        let mut quotient = ((u128::from(small) * u128::from(self.inverse)) >> 64) as u64;
        while u128::from(quotient + 1) * rate <= n {
            quotient += 1;
        }
        debug_assert!(
            u128::from(quotient) * rate <= n && n < u128::from(quotient + 1) * rate,
            "the rounded quotient of {local_us} at rate {rate}"
        );
        quotient
    }

    /// The virtual microseconds until a timer set `local_us` ahead on
    /// this clock fires: the local duration at the clock's rate, rounded
    /// to the nearest microsecond, plus the timer's drawn lateness.
    pub(super) fn timer_delay_us(&mut self, local_us: u64) -> u64 {
        let scaled = if self.rate == BILLION {
            local_us
        } else {
            self.scale(local_us)
        };
        let (min, max) = self.jitter_us;
        let late = if max == 0 {
            0
        } else {
            self.jitter.between(min, max)
        };
        // Jitter only ever makes a timer late.
        debug_assert!(late <= max, "timer lateness {late} beyond {max}");
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

    proptest::proptest! {
        /// The division by the rate is exact: what the plain 128-bit
        /// division gives, for any duration and any drift in bounds.
        #[test]
        fn scaling_is_the_exact_rounded_quotient(
            local_us in proptest::prop_oneof![0u64..10_000_000, proptest::num::u64::ANY],
            drift_ppb in -(MAX_DRIFT_PPB as i64)..=MAX_DRIFT_PPB as i64,
        ) {
            let mut clock = NodeClock::new(1, 1, &ClockConfig::IDEAL);
            clock.set_drift_ppb(drift_ppb);
            let rate = 1_000_000_000i128 + i128::from(drift_ppb);
            let plain = (i128::from(local_us) * 1_000_000_000 + rate / 2) / rate;
            let plain = u64::try_from(plain).unwrap_or(u64::MAX);
            proptest::prop_assert_eq!(clock.scale(local_us), plain);
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
