//! Failovers (docs/METRICS.md "Failovers"): from losing the effective
//! leader to the next one, with the moment some node first became leader in
//! a higher term, and the fault that caused each, if any. The start-up
//! election is not a failover.

use serde::{Deserialize, Serialize};

use crate::node::Term;
use crate::time::Instant;

/// One failover, as `series.failovers` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailoverRecord {
    /// When the effective leader was lost.
    pub lost_at_ms: f64,
    /// When some node first became leader in a higher term than the lost
    /// leader's; when the lost leader's term became effective again before
    /// anyone won a higher term, when that happened. Null while unfinished.
    pub elected_at_ms: Option<f64>,
    /// When the next effective leader appeared (null while unfinished).
    pub effective_at_ms: Option<f64>,
    /// The new leader's term minus the lost leader's term: the terms the
    /// failover took (0 when the lost term came back). Null until a node
    /// wins a higher term.
    pub terms: Option<u64>,
    /// The index in `series.faults` of the fault that caused it.
    pub fault: Option<usize>,
}

/// A failover not finished yet.
#[derive(Clone, Copy, Debug)]
struct Open {
    record: usize,
    lost_at: Instant,
    lost_term: Term,
    /// The engine event during which the leader was lost.
    lost_event: u64,
    elected_at: Option<Instant>,
}

/// Tracks failovers and attributes each to a fault.
#[derive(Debug, Default)]
pub struct Failovers {
    /// How far back a fault can cause a loss: the longest a follower waits
    /// for its leader (the maximum election timeout).
    window_us: u64,
    pub records: Vec<FailoverRecord>,
    open: Option<Open>,
    /// The latest fault applied (not skipped): when, at which engine event,
    /// and its index in `series.faults`.
    last_fault: Option<(Instant, u64, usize)>,
    pub failover_us: Vec<u64>,
    pub election_us: Vec<u64>,
    /// Since when the cluster has not settled: from the first loss of the
    /// effective leader until every running voter follows one (through
    /// any further losses in between).
    unsettled_since: Option<Instant>,
    pub settled_us: Vec<u64>,
}

impl Failovers {
    pub fn new(window_us: u64) -> Failovers {
        Failovers {
            window_us,
            ..Failovers::default()
        }
    }

    /// Failovers still open.
    pub fn unfinished(&self) -> u64 {
        u64::from(self.open.is_some())
    }

    /// The effective leader of `term` was lost at `at`, during engine event
    /// `event`. The cause is the latest fault applied within the window
    /// before (a fault applied later in the same event takes its place,
    /// see `on_fault`).
    pub fn lose(&mut self, at: Instant, event: u64, term: Term) {
        debug_assert!(self.open.is_none(), "one failover at a time");
        debug_assert!(
            self.records
                .last()
                .is_none_or(|r| r.lost_at_ms <= at.as_ms_f64()),
            "failovers start in time order"
        );
        self.unsettled_since.get_or_insert(at);
        let fault = self
            .last_fault
            .filter(|&(fault_at, _, _)| at.us_since(fault_at) <= self.window_us)
            .map(|(_, _, index)| index);
        self.open = Some(Open {
            record: self.records.len(),
            lost_at: at,
            lost_term: term,
            lost_event: event,
            elected_at: None,
        });
        self.records.push(FailoverRecord {
            lost_at_ms: at.as_ms_f64(),
            elected_at_ms: None,
            effective_at_ms: None,
            terms: None,
            fault,
        });
    }

    /// A fault (index `index` in `series.faults`) was applied during engine
    /// event `event`. A loss in that same event is its doing.
    pub fn on_fault(&mut self, at: Instant, event: u64, index: usize) {
        debug_assert!(
            self.last_fault
                .is_none_or(|(last_at, last_event, _)| last_at <= at && last_event <= event),
            "faults come in time order"
        );
        self.last_fault = Some((at, event, index));
        if let Some(open) = self
            .open
            .filter(|o| o.lost_event == event && o.lost_at == at)
        {
            self.records[open.record].fault = Some(index);
        }
    }

    /// A node became leader in `term`.
    pub fn on_elected(&mut self, at: Instant, term: Term) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        if term > open.lost_term && open.elected_at.is_none() {
            open.elected_at = Some(at);
            let record = &mut self.records[open.record];
            record.elected_at_ms = Some(at.as_ms_f64());
            record.terms = Some(term - open.lost_term);
        }
    }

    /// Whether a loss has not settled yet.
    pub fn awaits_settling(&self) -> bool {
        self.unsettled_since.is_some()
    }

    /// Every running voter follows the effective leader: the cluster has
    /// settled, ending the time since the first loss not yet settled.
    pub fn settle(&mut self, at: Instant) {
        if let Some(since) = self.unsettled_since.take() {
            debug_assert!(self.open.is_none(), "settled with an effective leader");
            self.settled_us.push(at.us_since(since));
        }
    }

    /// An effective leader of `term` appeared: the open failover ends.
    pub fn regain(&mut self, at: Instant, term: Term) {
        let Some(open) = self.open.take() else {
            return;
        };
        let elected_at = open.elected_at.unwrap_or(at);
        // Lost, then elected, then effective.
        debug_assert!(
            open.lost_at <= elected_at && elected_at <= at,
            "a failover's instants out of order"
        );
        let record = &mut self.records[open.record];
        record.elected_at_ms = Some(elected_at.as_ms_f64());
        record.effective_at_ms = Some(at.as_ms_f64());
        record.terms = Some(term.saturating_sub(open.lost_term));
        self.failover_us.push(at.us_since(open.lost_at));
        self.election_us.push(elected_at.us_since(open.lost_at));
        debug_assert_eq!(
            self.failover_us.len(),
            self.election_us.len(),
            "each finished failover has both durations"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_in_the_losing_event_wins_over_an_earlier_one() {
        let t = Instant::from_ms;
        let mut f = Failovers::new(300_000);
        f.on_fault(t(100), 1, 0);
        f.lose(t(200), 2, 1);
        assert_eq!(f.records[0].fault, Some(0));
        f.on_fault(t(200), 2, 1);
        assert_eq!(f.records[0].fault, Some(1));
        f.on_elected(t(400), 2);
        f.on_elected(t(450), 3);
        f.regain(t(500), 3);
        let r = &f.records[0];
        assert_eq!(
            (r.elected_at_ms, r.effective_at_ms, r.terms),
            (Some(400.0), Some(500.0), Some(2))
        );
        assert_eq!(
            (f.failover_us.clone(), f.election_us.clone()),
            (vec![300_000], vec![200_000])
        );
        // Outside the window, and no fault in the losing event: no cause.
        f.lose(t(900), 5, 3);
        assert_eq!(f.records[1].fault, None);
        f.regain(t(950), 3);
        assert_eq!(f.records[1].terms, Some(0));
        assert_eq!(f.election_us[1], 50_000);
        assert_eq!(f.unfinished(), 0);
    }

    #[test]
    fn settling_spans_every_loss_until_all_follow() {
        let t = Instant::from_ms;
        let mut f = Failovers::new(300_000);
        // Lost at 100, a leader at 250 that is lost again at 260 (deposed
        // by a node that had not heard of it), then one that all follow
        // from 420.
        f.lose(t(100), 1, 1);
        f.regain(t(250), 2);
        f.lose(t(260), 2, 2);
        f.regain(t(400), 3);
        assert!(f.settled_us.is_empty(), "not settled before all follow");
        f.settle(t(420));
        f.settle(t(500));
        assert_eq!(f.settled_us, vec![320_000]);
        assert_eq!(f.failover_us, vec![150_000, 140_000]);
    }
}
