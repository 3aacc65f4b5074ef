//! Virtual time. Owns the `Instant` type: integer microseconds since the start
//! of a run. Nothing here may read a wall clock.

use std::fmt;

/// Microseconds in one millisecond.
pub const US_PER_MS: u64 = 1_000;

/// A point in virtual time, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    pub const ZERO: Instant = Instant(0);
    /// Later than any instant a run can reach: "never".
    pub const NEVER: Instant = Instant(u64::MAX);

    pub const fn from_us(us: u64) -> Instant {
        Instant(us)
    }

    pub const fn from_ms(ms: u64) -> Instant {
        Instant(ms.saturating_mul(US_PER_MS))
    }

    pub const fn as_us(self) -> u64 {
        self.0
    }

    /// Milliseconds as a float, for reports (microsecond precision survives).
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / US_PER_MS as f64
    }

    pub const fn plus_us(self, us: u64) -> Instant {
        Instant(self.0.saturating_add(us))
    }

    /// Microseconds from `earlier` to `self`, zero if `earlier` is later.
    pub const fn us_since(self, earlier: Instant) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 / US_PER_MS;
        let us = self.0 % US_PER_MS;
        if us == 0 {
            write!(f, "{ms} ms")
        } else {
            write!(f, "{ms}.{us:03} ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_displays() {
        assert_eq!(Instant::from_ms(3).as_us(), 3_000);
        assert_eq!(Instant::from_us(1_500).to_string(), "1.500 ms");
        assert_eq!(Instant::from_ms(20).to_string(), "20 ms");
        assert_eq!(Instant::from_ms(5).us_since(Instant::from_ms(7)), 0);
        assert_eq!(Instant::NEVER.plus_us(1), Instant::NEVER);
    }
}
