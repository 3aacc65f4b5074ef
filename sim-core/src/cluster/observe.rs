//! The observers of a run: the safety checker, the metrics recorder, the
//! trace hash and the optional tracer. They only watch: nothing here
//! decides what happens next in the run (which proposals are committed and
//! when to resend is the client's own record), so switching the checker or
//! the metrics off leaves the trace hash unchanged.

use super::nodes::Slot;
use super::Cluster;
use crate::faults::FaultRecord;
use crate::invariants::{Broken, Checker, Violation};
use crate::metrics::{Metrics, Recorder, Samples, Series};
use crate::network::{Network, NetworkCounters};
use crate::node::{
    ElectionKind, LogIndex, Membership, NodeId, NodeSet, Note, RaftNode, Role, Status, Term,
    WireMessage,
};
use crate::time::Instant;
use crate::trace::{EventKind, TraceEvent, TraceHash, Tracer};

use super::ClusterConfig;

pub(super) struct Observers<'t> {
    pub(super) checker: Option<Checker>,
    pub(super) recorder: Option<Recorder>,
    hash: TraceHash,
    tracer: Option<&'t mut dyn Tracer>,
    /// The kinds of event the tracer hears ([`EventKind::bit`]); none
    /// without a tracer.
    heard: u16,
    /// The tracer wants no `Send` record before this instant
    /// ([`Tracer::sends_wanted_from`], asked after each call into it).
    sends_from: Instant,
    trace_error: Option<String>,
}

/// How long before a leader is lost a fault can have caused it: the
/// longest a follower waits for its leader before it moves on.
fn fault_window_us(cfg: &ClusterConfig) -> u64 {
    match cfg.raft.election {
        ElectionKind::Classic => cfg.raft.election_timeout_us.1,
        ElectionKind::Dledger => {
            cfg.raft.dledger.max_heartbeat_leak * cfg.raft.dledger.heartbeat_us
        }
    }
}

impl<'t> Observers<'t> {
    pub(super) fn new(cfg: &ClusterConfig, tracer: Option<&'t mut dyn Tracer>) -> Observers<'t> {
        Observers {
            checker: Some(Checker::new(cfg.nodes, Membership::of_voters(cfg.members))),
            recorder: Some(Recorder::new(cfg.raft.heartbeat_us, fault_window_us(cfg))),
            hash: TraceHash::default(),
            heard: tracer.as_ref().map_or(0, |tracer| {
                EventKind::ALL
                    .iter()
                    .filter(|&&kind| tracer.hears(kind))
                    .fold(0, |set, kind| set | kind.bit())
            }),
            sends_from: tracer
                .as_ref()
                .map_or(Instant::ZERO, |tracer| tracer.sends_wanted_from()),
            tracer,
            trace_error: None,
        }
    }

    /// Adds an event to the trace hash and, if there is one, the tracer
    /// (unless it is a message sent before the tracer wants them).
    /// Inlined, like `TraceHash::add`: without a tracer the event is never
    /// built.
    #[inline(always)]
    pub(super) fn record<M: WireMessage>(&mut self, now: Instant, event: &TraceEvent<'_, M>) {
        self.hash.add(now, event);
        let kind = event.kind();
        if self.heard & kind.bit() == 0 {
            return;
        }
        if kind == EventKind::Send && now < self.sends_from {
            return;
        }
        if let Some(tracer) = self.tracer.as_mut() {
            if self.trace_error.is_none() {
                if let Err(e) = tracer.record(now, &event.erased()) {
                    self.trace_error = Some(e.to_string());
                }
                self.sends_from = tracer.sends_wanted_from();
            }
        }
    }

    /// A node's status as the cluster keeps it changed (or it started):
    /// the tracer hears of it, if there is one.
    pub(super) fn on_status(&mut self, now: Instant, id: NodeId, status: &Status) {
        if let Some(tracer) = self.tracer.as_mut() {
            tracer.status(now, id, status);
            self.sends_from = tracer.sends_wanted_from();
        }
    }

    /// Whether a tracer watches (the cut links and pauses it hears of
    /// after each fault are only gathered for one).
    pub(super) fn traced(&self) -> bool {
        self.tracer.is_some()
    }

    /// A scripted event fired: the tracer, if there is one, hears which
    /// links are cut and which nodes paused.
    pub(super) fn after_fault(
        &mut self,
        now: Instant,
        cut_links: &[(NodeId, NodeId)],
        paused: &[NodeId],
    ) {
        if let Some(tracer) = self.tracer.as_mut() {
            tracer.after_fault(now, cut_links, paused);
            self.sends_from = tracer.sends_wanted_from();
        }
    }

    pub(super) fn on_initial_term(&mut self, id: NodeId) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_term(Instant::ZERO, id, 0);
        }
    }

    /// A node (re)starts at `term`, before it acts.
    pub(super) fn on_restart(&mut self, id: NodeId, term: Term) -> Result<(), Broken> {
        match self.checker.as_mut() {
            Some(checker) => checker.on_restart(id, term),
            None => Ok(()),
        }
    }

    /// A node has (re)started and carried out its first actions.
    pub(super) fn on_started<N: RaftNode>(
        &mut self,
        now: Instant,
        id: NodeId,
        before: &Status,
        node: &N,
        hint: Option<LogIndex>,
    ) -> Result<(), Broken> {
        let status = node.status();
        let log_check = match self.checker.as_mut() {
            Some(checker) => checker.on_log(id, node.log(), hint),
            None => Ok(()),
        };
        if status.term != before.term {
            self.on_term(now, id, status.term);
        }
        let event: TraceEvent<'_, N::Message> = TraceEvent::State { node: id, status };
        self.record(now, &event);
        log_check
    }

    /// A node crashed; its disk holds a snapshot up to `durable_snapshot`
    /// and entries up to `durable_last`.
    pub(super) fn on_crash(
        &mut self,
        id: NodeId,
        durable_last: LogIndex,
        durable_snapshot: LogIndex,
    ) {
        if let Some(checker) = self.checker.as_mut() {
            checker.on_crash(id, durable_last, durable_snapshot);
        }
    }

    pub(super) fn on_durable(&mut self, id: NodeId, term: Term, snapshot_index: LogIndex) {
        if let Some(checker) = self.checker.as_mut() {
            checker.on_durable(id, term, snapshot_index);
        }
    }

    /// The memory the checker and the recorder hold, about.
    pub(super) fn held_bytes(&self) -> u64 {
        self.checker.as_ref().map_or(0, Checker::held_bytes)
            + self.recorder.as_ref().map_or(0, Recorder::held_bytes)
    }

    /// How many entries the safety checker holds (0 without it).
    pub(super) fn checker_retained_entries(&self) -> usize {
        self.checker.as_ref().map_or(0, Checker::retained_entries)
    }

    /// A message is sent, whether or not it leaves (its sender may have
    /// crashed since it was handed over).
    #[inline(always)]
    pub(super) fn on_sent<M: WireMessage>(&mut self, msg: &M) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_sent(msg.kind());
        }
    }

    /// A message leaves `from` for `to`. Inlined into `transmit`, where
    /// almost every message passes the vote check in a branch or two.
    #[inline(always)]
    pub(super) fn on_send<M: WireMessage>(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: &M,
    ) -> Result<(), Broken> {
        self.on_sent(msg);
        let Some(term) = msg.granted_vote() else {
            return Ok(());
        };
        match self.checker.as_mut() {
            Some(checker) => checker.on_vote_sent(from, term, to),
            None => Ok(()),
        }
    }

    pub(super) fn on_note(
        &mut self,
        now: Instant,
        id: NodeId,
        cause: Option<NodeId>,
        note: Note,
        reaches_majority: bool,
        outsider: bool,
    ) {
        let Some(recorder) = self.recorder.as_mut() else {
            return;
        };
        match note {
            Note::PreVoteStarted { .. } => recorder.pre_votes_started += 1,
            Note::CampaignStarted { .. } => recorder.elections_started += 1,
            Note::Deposed { by_term } => {
                if reaches_majority {
                    recorder.on_disruption(now, id, cause, by_term, outsider);
                }
            }
        }
    }

    /// Checks a node's step: its log, then its status (terms, leaders,
    /// commits).
    pub(super) fn check_step<N: RaftNode>(
        &mut self,
        id: NodeId,
        before: &Status,
        after: &Status,
        slots: &[Slot<N>],
        log_hint: Option<LogIndex>,
    ) -> Result<(), Broken> {
        let Some(checker) = self.checker.as_mut() else {
            return Ok(());
        };
        let node = slots[id.index()].node().expect("a node that stepped is up");
        debug_assert!(
            log_hint.is_none_or(|hint| hint >= 1),
            "log positions are 1-based"
        );
        if log_hint.is_some()
            || (after.last_index, after.last_term) != (before.last_index, before.last_term)
        {
            checker.on_log(id, node.log(), log_hint)?;
        }
        checker.on_status(id, before, after)?;
        // The committed prefix first: a leader that commits C_old,new and
        // appends C_new in one step (the automatic leave) is checked against
        // the configuration it just committed, and only nodes that hold it
        // may still decide.
        if after.commit_index > before.commit_index {
            let extended = checker.extend_committed(id, after.term);
            if !extended.is_empty() {
                checker.on_committed_prefix(node.log(), extended);
            }
        }
        if after.role == Role::Leader {
            let durably_holds = |n: NodeId, index: LogIndex, term: Term| {
                let disk = &slots[n.index()].disk;
                index <= disk.snapshot_index
                    || disk
                        .log
                        .get((index - disk.snapshot_index - 1) as usize)
                        .is_some_and(|e| e.term == term)
            };
            checker.on_decisions(
                id,
                before,
                after,
                node.membership(),
                node.log(),
                &durably_holds,
            )?;
        }
        // The configuration it uses changes only with its log or as it
        // commits (a library applies a change once committed). After the
        // leader's decisions: a change it had no right to make is named as
        // that, not as the clash it causes.
        if log_hint.is_some()
            || after.last_index != before.last_index
            || after.commit_index != before.commit_index
        {
            checker.on_config_used(id, node.membership())?;
        }
        Ok(())
    }

    pub(super) fn on_term(&mut self, now: Instant, id: NodeId, term: Term) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_term(now, id, term);
        }
    }

    pub(super) fn on_elected(&mut self, now: Instant, term: Term) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_elected(now, term);
        }
    }

    pub(super) fn on_submitted(&mut self, now: Instant) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_submitted(now);
        }
    }

    pub(super) fn on_commit_advance(&mut self, now: Instant, latencies_us: &[u64]) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_commit_advance(now, latencies_us);
        }
    }

    /// Recomputes the effective leader (docs/METRICS.md): a running (live,
    /// not paused) leader that a majority of nodes (itself included)
    /// follow in its term, running and joined to it by working links both
    /// ways.
    fn update_effective_leader<N: RaftNode>(
        &mut self,
        now: Instant,
        event: u64,
        slots: &[Slot<N>],
        network: &Network,
    ) {
        let Some(recorder) = self.recorder.as_mut() else {
            return;
        };
        let awaits_settling = recorder.awaits_settling();
        let current = recorder.effective_leader();
        let mut settled = false;
        let effective = slots.iter().enumerate().find_map(|(i, slot)| {
            if !slot.running() || slot.status.role != Role::Leader {
                return None;
            }
            let leader = NodeId::from_index(i);
            let term = slot.status.term;
            let membership = slot.node().map(N::membership)?;
            // Running nodes that follow `leader` in its term, itself included.
            let following = NodeSet::of(
                slots
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| {
                        s.running() && s.status.term == term && s.status.leader == Some(leader)
                    })
                    .map(|(j, _)| NodeId::from_index(j)),
            );
            let backing = NodeSet::of(following.iter().filter(|&node| {
                node == leader || (network.link_up(leader, node) && network.link_up(node, leader))
            }));
            debug_assert!(backing.contains(leader), "a running leader backs itself");
            if !membership.has_majority(backing) {
                return None;
            }
            // Settled (the Raft thesis' end of a failover): every running
            // voter follows it. Asked only while a loss awaits it, or when
            // this very step hands leadership over (a loss that may settle
            // at once).
            settled = (awaits_settling || current != Some((leader, term)))
                && membership
                    .all_voters()
                    .minus(following)
                    .iter()
                    .all(|node| !slots[node.index()].running());
            Some((leader, term))
        });
        recorder.on_effective_leader(now, event, effective, settled);
    }

    /// Closes the trace and computes the metrics.
    pub(super) fn finish(
        mut self,
        end: Instant,
        counters: NetworkCounters,
        events: u64,
        faults: Vec<FaultRecord>,
    ) -> (Metrics, Series, Samples, u64, Option<String>) {
        if let Some(tracer) = self.tracer.as_mut() {
            if let Err(e) = tracer.finish() {
                self.trace_error.get_or_insert(e.to_string());
            }
        }
        assert!(
            counters.delivered + counters.dropped <= counters.sent + counters.duplicated,
            "the network delivered or dropped more than was sent: {counters:?}"
        );
        let (metrics, mut series, samples) = match self.recorder {
            Some(recorder) => recorder.finish(end, counters, events),
            None => Default::default(),
        };
        series.faults = faults;
        (
            metrics,
            series,
            samples,
            self.hash.value(),
            self.trace_error,
        )
    }
}

impl<N: RaftNode> Cluster<'_, N> {
    /// Stamps a broken property with the time and event number; `node` is
    /// the node whose step broke it, if known.
    pub(super) fn violation(&mut self, broken: Broken, node: Option<NodeId>) {
        self.violations.push(Violation {
            property: broken.property,
            message: broken.message,
            at_ms: self.now.as_ms_f64(),
            event: self.events,
        });
        self.violation_nodes.push(node);
    }

    /// Ends the trace of a run stopped by a violation: one `violation`
    /// record per broken property, after the step that broke it.
    pub(super) fn record_violations(&mut self) {
        for (violation, &node) in self.violations.iter().zip(&self.violation_nodes) {
            let event: TraceEvent<'_, N::Message> = TraceEvent::Violation {
                property: violation.property,
                message: &violation.message,
                node,
            };
            self.observers.record(self.now, &event);
        }
    }

    /// Re-evaluates the effective leader: after a node's state changed, a
    /// node crashed or restarted, or a fault changed the links.
    pub(super) fn update_effective_leader(&mut self) {
        self.observers
            .update_effective_leader(self.now, self.events, &self.slots, &self.network);
    }

    /// Fault `record` (its index in `series.faults`) has fired: the
    /// observers learn of it (unless it was skipped), and the effective
    /// leader is re-evaluated under the new links.
    pub(super) fn after_fault(&mut self, record: usize) {
        if self.script.records[record].skipped.is_none() {
            if let Some(recorder) = self.observers.recorder.as_mut() {
                recorder.on_fault(self.now, self.events, record);
            }
        }
        self.update_effective_leader();
        if self.observers.traced() {
            let cut = self.cut_links();
            let paused: Vec<NodeId> = (0..self.cfg.nodes)
                .map(NodeId::from_index)
                .filter(|n| self.slots[n.index()].paused)
                .collect();
            self.observers.after_fault(self.now, &cut, &paused);
        }
    }

    /// After a node's step: checks it, moves the client's commits forward,
    /// and records term, role and leader changes. A violation found here
    /// is recorded, and the step is still traced to its end (the run stops
    /// after it).
    pub(super) fn after_step(&mut self, id: NodeId, before: Status, log_hint: Option<LogIndex>) {
        let Some(node) = self.slots[id.index()].node() else {
            return;
        };
        let after = node.status();
        // What observers read of a node agrees with itself: its status
        // and its log describe the same last entry.
        debug_assert_eq!(
            (after.last_index, Some(after.last_term)),
            (
                node.log().last_index(),
                node.log().term_at(node.log().last_index())
            ),
            "node {id}'s status and log disagree on its last entry"
        );
        if after == before && log_hint.is_none() {
            return;
        }
        if let Err(broken) = self
            .observers
            .check_step(id, &before, &after, &self.slots, log_hint)
        {
            self.violation(broken, Some(id));
        }
        if after.commit_index > before.commit_index {
            self.on_node_commit(id, after.commit_index);
        }
        self.slots[id.index()].status = after;
        self.observers.on_status(self.now, id, &after);
        if (after.term, after.role, after.leader) != (before.term, before.role, before.leader) {
            self.record(TraceEvent::State {
                node: id,
                status: after,
            });
            if after.term != before.term {
                self.observers.on_term(self.now, id, after.term);
            }
            if after.role == Role::Leader
                && (before.role != Role::Leader || before.term != after.term)
            {
                self.observers.on_elected(self.now, after.term);
                self.leader_appeared = true;
            }
            self.update_effective_leader();
        }
    }
}
