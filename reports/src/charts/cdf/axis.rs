//! The x axis of a distribution panel: linear from 0, or log(x + 1) when
//! the values span orders of magnitude; its ticks (the one 1-2-5 rule of
//! `ticks`), their labels and which of them fit side by side.

use super::super::{common, style, ticks};
use super::{XScale, LOG_X_ABOVE_RATIO};

/// What a panel's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unit {
    Milliseconds,
    Term,
}

/// Values beyond this are drawn at it, so that axis arithmetic stays finite.
const MAX_VALUE: f64 = 1e300;

/// A linear x axis has at most this many intervals (a panel is wide).
const LINEAR_INTERVALS: u32 = 8;

/// Least gap between two tick labels on x, in pixels.
const TICK_GAP_PX: i32 = 12;

/// Finite values, negatives (and -0) as 0, at most `MAX_VALUE`, sorted:
/// the CDF of a multiset, whatever order it came in.
pub(super) fn clean(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut out: Vec<f64> = values
        .filter(|v| v.is_finite())
        .map(|v| if v > 0.0 { v.min(MAX_VALUE) } else { 0.0 })
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// A tick label: "0", "2.5", "0.001"; from a million on "1e6", "1.5e19".
fn number_label(value: f64) -> String {
    if value.abs() < 1e6 {
        return common::seconds_label(&value);
    }
    let text = format!("{value:.2e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        None => text,
    }
}

/// A panel's x axis: the scale, the range of values it shows and its unit.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct XAxis {
    pub(super) log: bool,
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) unit: Unit,
    /// Milliseconds are labelled in seconds on long axes.
    pub(super) seconds: bool,
}

impl XAxis {
    /// The axis for `values` (each sorted, non-negative, finite).
    pub(super) fn new(values: &[Vec<f64>], unit: Unit, scale: XScale) -> XAxis {
        let max = values
            .iter()
            .filter_map(|v| v.last().copied())
            .fold(0.0, f64::max);
        let min = values
            .iter()
            .filter_map(|v| v.first().copied())
            .fold(f64::INFINITY, f64::min);
        let min_positive = values
            .iter()
            .filter_map(|v| v.iter().copied().find(|&x| x > 0.0))
            .fold(f64::INFINITY, f64::min);
        let log = match scale {
            XScale::Auto => min_positive.is_finite() && max / min_positive > LOG_X_ABOVE_RATIO,
            XScale::Linear => false,
            XScale::Log => true,
        };
        let (lo, hi) = if log {
            let candidates = ticks::log_candidates(max);
            let lo = if min.is_finite() {
                candidates
                    .iter()
                    .copied()
                    .filter(|&c| c <= min)
                    .fold(0.0, f64::max)
            } else {
                0.0
            };
            let hi = candidates
                .iter()
                .copied()
                .find(|&c| c >= max && c > lo)
                .unwrap_or(max);
            // Past the candidates (values near f64::MAX): a decade above.
            let hi = match (hi > lo, lo > 0.0) {
                (true, _) => hi,
                (false, true) => lo * 10.0,
                (false, false) => 1.0,
            };
            (lo, hi)
        } else {
            let step = ticks::linear_step(max, LINEAR_INTERVALS);
            (0.0, ((max / step).ceil() * step).max(step))
        };
        XAxis {
            log,
            lo,
            hi,
            unit,
            seconds: unit == Unit::Milliseconds && hi >= 5_000.0,
        }
    }

    /// Where a value sits on the axis (plot units).
    pub(super) fn t(&self, value: f64) -> f64 {
        if self.log {
            (value + 1.0).log10()
        } else {
            value
        }
    }

    /// The plotted x range: the values' range and a little room either side.
    pub(super) fn range(&self) -> std::ops::Range<f64> {
        let (a, b) = (self.t(self.lo), self.t(self.hi));
        let pad = (b - a) * 0.02;
        a - pad..b + pad
    }

    /// Tick values before thinning.
    pub(super) fn ticks(&self) -> Vec<f64> {
        if self.log {
            ticks::log_candidates(self.hi)
                .into_iter()
                .filter(|&c| c >= self.lo && c <= self.hi)
                .collect()
        } else {
            let step = ticks::linear_step(self.hi, LINEAR_INTERVALS);
            let n = (self.hi / step).round() as u64;
            (0..=n.min(100)).map(|k| k as f64 * step).collect()
        }
    }

    pub(super) fn label(&self, value: f64) -> String {
        if self.seconds {
            number_label(value / 1_000.0)
        } else {
            number_label(value)
        }
    }

    /// `what` (e.g. "max term per seed") with the unit and the scale.
    pub(super) fn description(&self, what: &str) -> String {
        let scale = match (self.log, self.unit) {
            (false, _) => "",
            (true, Unit::Milliseconds) => ", log scale",
            (true, Unit::Term) => ", log scale of term + 1",
        };
        let unit = match (self.unit, self.seconds) {
            (Unit::Milliseconds, true) => "s",
            (Unit::Milliseconds, false) => "ms",
            (Unit::Term, _) => "term",
        };
        format!("{what} ({unit}{scale})")
    }
}

/// Tick values whose labels fit side by side; on a crowded log axis only
/// 0 and the powers of ten.
pub(super) fn fitting_ticks(axis: &XAxis, x_px: &dyn Fn(f64) -> i32) -> Vec<f64> {
    let greedy = |ticks: &[f64]| -> (Vec<f64>, bool) {
        let mut kept = Vec::new();
        let mut right_px = i32::MIN;
        let mut dropped = false;
        for &tick in ticks {
            let width = style::text_width(&axis.label(tick), style::SMALL_SIZE);
            let x0 = x_px(tick) - width / 2;
            if right_px != i32::MIN && x0 < right_px + TICK_GAP_PX {
                dropped = true;
                continue;
            }
            right_px = x0 + width;
            kept.push(tick);
        }
        (kept, dropped)
    };
    let all = axis.ticks();
    let (kept, dropped) = greedy(&all);
    if !dropped || !axis.log {
        return kept;
    }
    let decades: Vec<f64> = all
        .into_iter()
        .filter(|&t| t == 0.0 || (t.log10() - t.log10().round()).abs() < 1e-9)
        .collect();
    greedy(&decades).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(values: &[&[f64]], unit: Unit, scale: XScale) -> XAxis {
        let values: Vec<Vec<f64>> = values.iter().map(|v| clean(v.iter().copied())).collect();
        XAxis::new(&values, unit, scale)
    }

    #[test]
    fn the_axis_turns_logarithmic_past_a_hundredfold_spread() {
        let prevote_apart = axis(
            &[&[125.0, 600.0], &[29_700.0, 29_850.0]],
            Unit::Milliseconds,
            XScale::Auto,
        );
        assert!(prevote_apart.log);
        assert_eq!((prevote_apart.lo, prevote_apart.hi), (100.0, 50_000.0));
        assert!(prevote_apart.seconds);
        let close = axis(&[&[273.0, 701.0]], Unit::Milliseconds, XScale::Auto);
        assert!(!close.log);
        assert_eq!((close.lo, close.hi), (0.0, 800.0));
        // Zeros do not count towards the spread, but have a place at 0.
        let zeros = axis(&[&[0.0, 0.0, 3.0, 900.0]], Unit::Term, XScale::Auto);
        assert!(zeros.log);
        assert_eq!((zeros.lo, zeros.hi), (0.0, 1000.0));
        assert_eq!(zeros.t(0.0), 0.0);
        assert!(!axis(&[&[0.0, 5.0]], Unit::Term, XScale::Auto).log);
    }

    #[test]
    fn degenerate_values_still_get_an_axis() {
        for (values, scale) in [
            (&[][..], XScale::Auto),
            (&[0.0, 0.0][..], XScale::Auto),
            (&[0.0][..], XScale::Log),
            (&[5.0, 5.0][..], XScale::Log),
            (&[5.0, 5.0][..], XScale::Linear),
            (&[f64::MAX][..], XScale::Auto),
            (&[1e300, 1.0][..], XScale::Auto),
        ] {
            let a = axis(&[values], Unit::Milliseconds, scale);
            assert!(a.hi > a.lo, "{values:?} {scale:?}: {a:?}");
            let r = a.range();
            assert!(r.start.is_finite() && r.end.is_finite() && r.end > r.start);
            assert!(!a.ticks().is_empty());
        }
    }

    #[test]
    fn linear_ticks_are_round() {
        let a = axis(&[&[3.0, 4.0]], Unit::Term, XScale::Auto);
        assert_eq!(a.ticks(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        let a = axis(&[&[650.0]], Unit::Milliseconds, XScale::Auto);
        assert_eq!(a.hi, 700.0);
        assert_eq!(a.ticks().len(), 8);
    }

    #[test]
    fn tick_labels_stay_short() {
        let labels: Vec<String> = [0.0, 2.5, 0.001, 250.0, 999_999.0, 1e6, 1.5e19, 5e300]
            .into_iter()
            .map(number_label)
            .collect();
        assert_eq!(
            labels,
            ["0", "2.5", "0.001", "250", "999999", "1e6", "1.5e19", "5e300"]
        );
    }

    #[test]
    fn dirty_values_are_cleaned_and_sorted() {
        assert_eq!(
            clean([3.0, f64::NAN, -0.0, -2.0, 1.0, f64::INFINITY].into_iter()),
            vec![0.0, 0.0, 1.0, 3.0]
        );
    }
}
