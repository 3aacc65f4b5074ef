//! The metrics of docs/METRICS.md, computed online from what the cluster observes:
//! O(1) work per event and O(1) memory apart from the series and the
//! latency samples. It observes; it never changes a run.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

mod failover;
mod membership;

use crate::faults::FaultRecord;
use crate::node::{LogIndex, Membership, NodeId, Term};
use crate::stats::{Histogram, Summary};
use crate::time::{Instant, US_PER_MS};
pub use failover::FailoverRecord;
use failover::Failovers;
use membership::MembershipRecorder;
pub use membership::{ConfigPoint, MembershipCounts};

/// Every sample behind a run's distributions, in microseconds, in the order
/// they occurred: what a sweep pools over seeds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    pub failover_us: Vec<u64>,
    pub election_us: Vec<u64>,
    /// Absent from sweeps saved before `settled_ms` existed.
    #[serde(default)]
    pub settled_us: Vec<u64>,
    /// Every commit's latency, as a histogram (exact below 256 µs, within
    /// 2^-8 above): a week of commits would not fit in memory otherwise.
    pub commit_latency: Histogram,
}

/// Per-variant metrics; the names are the results JSON keys
/// (docs/METRICS.md defines each).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metrics {
    pub max_term: Term,
    pub leader_terms: u64,
    pub term_inflation: u64,
    pub elections_started: u64,
    pub pre_votes_started: u64,
    pub leader_changes: u64,
    pub disruptions: u64,
    pub first_leader_ms: Option<f64>,
    pub leaderless_ms: f64,
    pub failover_ms: Summary,
    pub election_ms: Summary,
    pub settled_ms: Summary,
    pub failovers_unfinished: u64,
    pub commit_latency_ms: Summary,
    pub unavailable_ms: f64,
    pub messages_sent: u64,
    pub messages_dropped: u64,
    /// Messages sent, by the implementation's type name ("AppendEntries",
    /// "MsgAppend"); they add up to `messages_sent`. A type never sent is
    /// absent, and reads as 0 through [`Metrics::get`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages_by_type: BTreeMap<String, u64>,
    pub events: u64,
    // Counters beyond the headline metrics.
    pub messages_delivered: u64,
    pub messages_duplicated: u64,
    pub proposals_submitted: u64,
    pub proposals_committed: u64,
    pub proposals_uncommitted: u64,
    // Membership (docs/METRICS.md "Membership").
    pub membership_changes: MembershipCounts,
    pub reconfiguration_ms: Summary,
    pub removed_node_disruptions: u64,
    pub transfer_ms: Summary,
}

impl Metrics {
    /// A metric by its key; `failover_ms.p99` reaches into a distribution.
    /// None for an unknown key and for a metric without samples (null).
    pub fn get(&self, key: &str) -> Option<f64> {
        if let Some(kind) = Metrics::message_type(key) {
            return Some(self.messages_by_type.get(kind).copied().unwrap_or(0) as f64);
        }
        let value = serde_json::to_value(self).ok()?;
        let mut at = &value;
        for part in key.split('.') {
            at = at.get(part)?;
        }
        at.as_f64()
    }

    /// The type name in a `messages_by_type.TYPE` key.
    pub fn message_type(key: &str) -> Option<&str> {
        key.strip_prefix(MESSAGES_BY_TYPE)
            .filter(|kind| !kind.is_empty() && !kind.contains('.'))
    }

    /// Whether `get` accepts `key`: one of [`Metrics::keys`] or a
    /// `messages_by_type.TYPE`.
    pub fn is_key(key: &str) -> bool {
        Metrics::message_type(key).is_some() || Metrics::keys().iter().any(|k| k == key)
    }

    /// Every fixed key `get` accepts (besides `messages_by_type.TYPE`),
    /// for error messages and the schema.
    pub fn keys() -> Vec<String> {
        let value = serde_json::to_value(Metrics::default()).expect("metrics serialise");
        let mut keys = Vec::new();
        if let serde_json::Value::Object(map) = value {
            for (key, v) in map {
                match v {
                    serde_json::Value::Object(inner) => {
                        keys.extend(inner.keys().map(|k| format!("{key}.{k}")));
                    }
                    _ => keys.push(key),
                }
            }
        }
        keys
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TermPoint {
    pub at_ms: f64,
    pub node: NodeId,
    pub term: Term,
}

/// The effective leader changed (null: none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeaderPoint {
    pub at_ms: f64,
    pub leader: Option<NodeId>,
    pub term: Option<Term>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisruptionPoint {
    pub at_ms: f64,
    /// The leader that stepped down.
    pub node: NodeId,
    /// The node whose message carried the higher term.
    pub by: Option<NodeId>,
    /// The higher term.
    pub term: Term,
}

/// Time series for charts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub terms: Vec<TermPoint>,
    pub leaders: Vec<LeaderPoint>,
    pub disruptions: Vec<DisruptionPoint>,
    pub faults: Vec<FaultRecord>,
    #[serde(default)]
    pub failovers: Vec<FailoverRecord>,
    /// Every configuration the cluster committed, in order (none when the
    /// membership never changed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<ConfigPoint>,
    /// When `terms`, `leaders` and `disruptions` together reached
    /// `MAX_SERIES_POINTS`: they hold nothing after this instant (the
    /// metrics still count the whole run). Absent while they hold it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_at_ms: Option<f64>,
}

/// The most points `terms`, `leaders` and `disruptions` hold together: a
/// run whose cluster changes term millions of times (removed servers
/// standing every timeout for a virtual week) keeps its first million, so
/// that its memory does not grow with its length; what a chart draws
/// stops there, and the results say when (`limited_at_ms`).
pub const MAX_SERIES_POINTS: usize = 1_000_000;

impl Series {
    /// Whether one more point fits; the first that does not marks the
    /// instant the series stop.
    fn room(&mut self, at: Instant) -> bool {
        if self.limited_at_ms.is_some() {
            return false;
        }
        let held = self.terms.len() + self.leaders.len() + self.disruptions.len();
        if held < MAX_SERIES_POINTS {
            return true;
        }
        self.limited_at_ms = Some(at.as_ms_f64());
        false
    }
}

/// Accumulates metrics while a run goes.
pub struct Recorder {
    pub max_term: Term,
    leader_terms: BTreeSet<Term>,
    pub elections_started: u64,
    pub pre_votes_started: u64,
    leader_wins: u64,
    pub disruptions: u64,
    effective: Option<(NodeId, Term)>,
    /// When `effective` last changed (the run's start before any change).
    effective_since: Instant,
    first_effective_at: Option<Instant>,
    leaderless_us: u64,
    failovers: Failovers,
    commit_latencies: Histogram,
    commits: u64,
    pending: u64,
    stall_since: Option<Instant>,
    /// Stalls shorter than this are ordinary commit latency, not outages.
    stall_threshold_us: u64,
    unavailable_us: u64,
    pub proposals_submitted: u64,
    pub series: Series,
    membership: MembershipRecorder,
    sent_by_type: TypeCounts,
}

/// The key prefix of the per-type message counts.
const MESSAGES_BY_TYPE: &str = "messages_by_type.";

/// Counts by message type name. A run sends a handful of types, so a short
/// list beats a map: the type names are static strings, found by address
/// first.
#[derive(Default)]
struct TypeCounts(Vec<(&'static str, u64)>);

impl TypeCounts {
    #[inline]
    fn add(&mut self, kind: &'static str) {
        let found = self
            .0
            .iter_mut()
            .find(|(k, _)| std::ptr::eq(*k, kind) || *k == kind);
        match found {
            Some((_, count)) => *count += 1,
            None => self.0.push((kind, 1)),
        }
    }

    fn into_map(self) -> BTreeMap<String, u64> {
        let mut map = BTreeMap::new();
        for (kind, count) in self.0 {
            *map.entry(kind.to_string()).or_insert(0) += count;
        }
        map
    }
}

impl Recorder {
    /// The memory the recorder holds, about: its series (the run's
    /// history, kept whole for the results) and the leaders' terms.
    pub fn held_bytes(&self) -> u64 {
        fn bytes<T>(v: &Vec<T>) -> u64 {
            (v.capacity() * std::mem::size_of::<T>()) as u64
        }
        let series = &self.series;
        bytes(&series.terms)
            + bytes(&series.leaders)
            + bytes(&series.disruptions)
            + bytes(&series.failovers)
            + bytes(&series.configs)
            + self.leader_terms.len() as u64 * 40
    }

    /// `stall_threshold_us`: a stall (proposals pending, commit index not
    /// advancing) counts as unavailability only if it lasts this long.
    /// `fault_window_us`: how long before a leader is lost a fault can have
    /// caused it (the longest a follower waits for its leader).
    pub fn new(stall_threshold_us: u64, fault_window_us: u64) -> Recorder {
        Recorder {
            max_term: 0,
            leader_terms: BTreeSet::new(),
            elections_started: 0,
            pre_votes_started: 0,
            leader_wins: 0,
            disruptions: 0,
            effective: None,
            effective_since: Instant::ZERO,
            first_effective_at: None,
            leaderless_us: 0,
            failovers: Failovers::new(fault_window_us),
            commit_latencies: Histogram::default(),
            commits: 0,
            pending: 0,
            stall_since: None,
            stall_threshold_us,
            unavailable_us: 0,
            proposals_submitted: 0,
            series: Series::default(),
            membership: MembershipRecorder::default(),
            sent_by_type: TypeCounts::default(),
        }
    }

    /// Ends a stall at `at`; it counts if it lasted the threshold.
    fn end_stall(&mut self, at: Instant) {
        if let Some(since) = self.stall_since.take() {
            let stall_us = at.us_since(since);
            if stall_us >= self.stall_threshold_us {
                self.unavailable_us += stall_us;
            }
        }
    }

    /// A message of type `kind` was sent (whatever its fate).
    #[inline]
    pub fn on_sent(&mut self, kind: &'static str) {
        self.sent_by_type.add(kind);
    }

    pub fn on_term(&mut self, at: Instant, node: NodeId, term: Term) {
        self.max_term = self.max_term.max(term);
        if !self.series.room(at) {
            return;
        }
        self.series.terms.push(TermPoint {
            at_ms: at.as_ms_f64(),
            node,
            term,
        });
    }

    pub fn on_elected(&mut self, at: Instant, term: Term) {
        self.leader_terms.insert(term);
        self.leader_wins += 1;
        self.failovers.on_elected(at, term);
    }

    /// A leader that could reach a majority was deposed by `by`'s higher
    /// term; `outsider`: `by` is outside the leader's configuration. A
    /// leader deposed by the target of a transfer under way handed over as
    /// asked: not a disruption.
    pub fn on_disruption(
        &mut self,
        at: Instant,
        node: NodeId,
        by: Option<NodeId>,
        term: Term,
        outsider: bool,
    ) {
        debug_assert!(term > 0, "a leader is deposed only by a higher term");
        debug_assert!(by != Some(node), "a leader deposed by itself");
        if by.is_some_and(|by| self.membership.is_transfer_target(by)) {
            return;
        }
        self.disruptions += 1;
        if outsider {
            self.membership.removed_node_disruptions += 1;
        }
        if !self.series.room(at) {
            return;
        }
        self.series.disruptions.push(DisruptionPoint {
            at_ms: at.as_ms_f64(),
            node,
            by,
            term,
        });
    }

    /// A fault (index `index` in `series.faults`) was applied during engine
    /// event `event`.
    pub fn on_fault(&mut self, at: Instant, event: u64, index: usize) {
        self.failovers.on_fault(at, event, index);
    }

    pub fn effective_leader(&self) -> Option<(NodeId, Term)> {
        self.effective
    }

    /// A leader accepted a membership change; it is done once the cluster
    /// commits `done_when`.
    pub fn on_change_proposed(&mut self, at: Instant, done_when: Membership) {
        self.membership.on_proposed(at, done_when);
    }

    /// A leader refused a membership change.
    pub fn on_change_refused(&mut self) {
        self.membership.on_refused();
    }

    /// The cluster committed configuration `config` at `index`.
    pub fn on_config_committed(&mut self, at: Instant, index: LogIndex, config: Membership) {
        self.membership.on_committed(at, index, config);
    }

    /// A leader accepted a transfer of leadership to `target`.
    pub fn on_transfer(&mut self, at: Instant, target: NodeId) {
        self.membership.on_transfer(at, target);
    }

    /// Whether a loss of the effective leader has not settled yet: only
    /// then does `on_effective_leader` need to know whether it has.
    pub fn awaits_settling(&self) -> bool {
        self.failovers.awaits_settling()
    }

    /// The effective leader, re-evaluated at `at` during engine event
    /// `event`, is `now`; `settled` when every running voter follows it.
    pub fn on_effective_leader(
        &mut self,
        at: Instant,
        event: u64,
        now: Option<(NodeId, Term)>,
        settled: bool,
    ) {
        debug_assert!(!settled || now.is_some(), "settled on an effective leader");
        if now != self.effective {
            self.change_effective_leader(at, event, now);
        }
        // After a loss this step may have started: a hand-over that every
        // voter already follows settles at once.
        if settled {
            self.failovers.settle(at);
        }
    }

    fn change_effective_leader(&mut self, at: Instant, event: u64, now: Option<(NodeId, Term)>) {
        if let Some((leader, _)) = now {
            self.membership.on_effective_leader(at, leader);
        }
        match (self.effective, now) {
            (Some((_, lost)), None) => self.failovers.lose(at, event, lost),
            (None, Some((_, term))) => {
                self.leaderless_us += at.us_since(self.effective_since);
                match self.first_effective_at {
                    None => self.first_effective_at = Some(at),
                    Some(_) => self.failovers.regain(at, term),
                }
            }
            // Handed over within one step: a failover of no time.
            (Some((_, lost)), Some((_, term))) => {
                self.failovers.lose(at, event, lost);
                self.failovers.on_elected(at, term);
                self.failovers.regain(at, term);
            }
            (None, None) => {}
        }
        debug_assert!(
            at >= self.effective_since,
            "the effective leader changes in time order"
        );
        self.effective = now;
        self.effective_since = at;
        if !self.series.room(at) {
            return;
        }
        self.series.leaders.push(LeaderPoint {
            at_ms: at.as_ms_f64(),
            leader: now.map(|(n, _)| n),
            term: now.map(|(_, t)| t),
        });
    }

    pub fn on_submitted(&mut self, at: Instant) {
        self.proposals_submitted += 1;
        if self.pending == 0 {
            self.stall_since = Some(at);
        }
        self.pending += 1;
    }

    /// The cluster's commit index advanced; `latencies_us` are those of the
    /// proposals it committed.
    pub fn on_commit_advance(&mut self, at: Instant, latencies_us: &[u64]) {
        self.end_stall(at);
        debug_assert!(
            latencies_us.len() as u64 <= self.pending,
            "{} proposals committed of {} pending",
            latencies_us.len(),
            self.pending
        );
        self.pending -= latencies_us.len() as u64;
        for &latency in latencies_us {
            self.commit_latencies.add(latency);
        }
        self.commits += latencies_us.len() as u64;
        if self.pending > 0 {
            self.stall_since = Some(at);
        }
        debug_assert_eq!(
            self.commits + self.pending,
            self.proposals_submitted,
            "every proposal submitted is committed or pending"
        );
    }

    pub fn finish(
        mut self,
        end: Instant,
        network: crate::network::NetworkCounters,
        events: u64,
    ) -> (Metrics, Series, Samples) {
        if self.effective.is_none() {
            self.leaderless_us += end.us_since(self.effective_since);
        }
        self.end_stall(end);
        debug_assert!(
            self.leaderless_us <= end.as_us(),
            "leaderless within the run"
        );
        debug_assert!(
            self.unavailable_us <= end.as_us(),
            "unavailable within the run"
        );
        let committed = self.commits;
        debug_assert!(committed <= self.proposals_submitted);
        assert_eq!(
            self.commit_latencies.count(),
            committed,
            "one latency per committed proposal"
        );
        assert!(
            self.first_effective_at.is_none_or(|at| at <= end),
            "the first leader appeared within the run"
        );
        let leader_terms = self.leader_terms.len() as u64;
        // Terms 1..=max_term that elected nobody. (DLedger can elect a
        // leader in term 0, which burns nothing.)
        let leaders_after_term_0 = self.leader_terms.range(1..).count() as u64;
        let failovers = self.failovers;
        let metrics = Metrics {
            max_term: self.max_term,
            leader_terms,
            term_inflation: self.max_term.saturating_sub(leaders_after_term_0),
            elections_started: self.elections_started,
            pre_votes_started: self.pre_votes_started,
            leader_changes: self.leader_wins.saturating_sub(1),
            disruptions: self.disruptions,
            first_leader_ms: self.first_effective_at.map(Instant::as_ms_f64),
            leaderless_ms: self.leaderless_us as f64 / US_PER_MS as f64,
            failover_ms: Summary::of_us(failovers.failover_us.clone()),
            election_ms: Summary::of_us(failovers.election_us.clone()),
            settled_ms: Summary::of_us(failovers.settled_us.clone()),
            failovers_unfinished: failovers.unfinished(),
            commit_latency_ms: Summary::of_histogram(&self.commit_latencies),
            unavailable_ms: self.unavailable_us as f64 / US_PER_MS as f64,
            messages_sent: network.sent,
            messages_dropped: network.dropped,
            messages_by_type: self.sent_by_type.into_map(),
            messages_delivered: network.delivered,
            messages_duplicated: network.duplicated,
            events,
            proposals_submitted: self.proposals_submitted,
            proposals_committed: committed,
            proposals_uncommitted: self.proposals_submitted - committed,
            membership_changes: self.membership.counts,
            reconfiguration_ms: self.membership.reconfiguration_ms(),
            removed_node_disruptions: self.membership.removed_node_disruptions,
            transfer_ms: self.membership.transfer_ms(),
        };
        self.series.failovers = failovers.records;
        self.series.configs = std::mem::take(&mut self.membership.configs);
        let samples = Samples {
            failover_us: failovers.failover_us,
            election_us: failovers.election_us,
            settled_us: failovers.settled_us,
            commit_latency: self.commit_latencies,
        };
        (metrics, self.series, samples)
    }
}

#[cfg(test)]
mod tests;
