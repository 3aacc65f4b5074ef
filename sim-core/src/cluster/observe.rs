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
use crate::network::NetworkCounters;
use crate::raft::{
    majority, LogIndex, Message, NodeId, Note, RaftNode, Role, Status, Term, VoteResult,
};
use crate::time::Instant;
use crate::trace::{TraceEvent, TraceHash, Tracer};

use super::ClusterConfig;

pub(super) struct Observers<'t> {
    pub(super) checker: Option<Checker>,
    pub(super) recorder: Option<Recorder>,
    hash: TraceHash,
    tracer: Option<&'t mut dyn Tracer>,
    trace_error: Option<String>,
}

/// The term a message grants a (real) vote in, if it does: what the
/// checker's one-vote-per-term rule watches.
fn granted_vote(msg: &Message) -> Option<Term> {
    match msg {
        Message::VoteResponse(response) => {
            (response.granted && !response.pre_vote).then_some(response.term)
        }
        Message::DlVoteReply(reply) => match reply.result {
            VoteResult::Accept => Some(reply.term),
            VoteResult::RejectAlreadyVoted
            | VoteResult::RejectAlreadyHasLeader
            | VoteResult::RejectExpiredVoteTerm
            | VoteResult::RejectTermSmallThanLedger
            | VoteResult::RejectExpiredLedgerTerm
            | VoteResult::RejectSmallLedgerEndIndex
            | VoteResult::RejectTermNotReady => None,
        },
        Message::RaftRs(msg) => msg.granted_vote(),
        Message::RequestVote(_)
        | Message::AppendEntries(_)
        | Message::AppendResponse(_)
        | Message::DlVote(_)
        | Message::DlHeartbeat(_)
        | Message::DlHeartbeatReply(_) => None,
    }
}

impl<'t> Observers<'t> {
    pub(super) fn new(cfg: &ClusterConfig, tracer: Option<&'t mut dyn Tracer>) -> Observers<'t> {
        Observers {
            checker: Some(Checker::new(cfg.nodes)),
            recorder: Some(Recorder::new(cfg.raft.heartbeat_us)),
            hash: TraceHash::default(),
            tracer,
            trace_error: None,
        }
    }

    /// Adds an event to the trace hash and, if there is one, the tracer.
    pub(super) fn record(&mut self, now: Instant, event: &TraceEvent<'_>) {
        self.hash.add(now, event);
        if let Some(tracer) = self.tracer.as_mut() {
            if self.trace_error.is_none() {
                if let Err(e) = tracer.record(now, event) {
                    self.trace_error = Some(e.to_string());
                }
            }
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
        self.record(
            now,
            &TraceEvent::State {
                node: id,
                term: status.term,
                role: status.role,
                leader: status.leader,
            },
        );
        log_check
    }

    pub(super) fn on_crash(&mut self, id: NodeId, durable_len: LogIndex) {
        if let Some(checker) = self.checker.as_mut() {
            checker.on_crash(id, durable_len);
        }
    }

    pub(super) fn on_durable(&mut self, id: NodeId, term: Term) {
        if let Some(checker) = self.checker.as_mut() {
            checker.on_durable(id, term);
        }
    }

    /// A message leaves `from` for `to`.
    pub(super) fn on_send(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: &Message,
    ) -> Result<(), Broken> {
        match (self.checker.as_mut(), granted_vote(msg)) {
            (Some(checker), Some(term)) => checker.on_vote_sent(from, term, to),
            _ => Ok(()),
        }
    }

    pub(super) fn on_note(
        &mut self,
        now: Instant,
        id: NodeId,
        cause: Option<NodeId>,
        note: Note,
        reaches_majority: bool,
    ) {
        let Some(recorder) = self.recorder.as_mut() else {
            return;
        };
        match note {
            Note::PreVoteStarted { .. } => recorder.pre_votes_started += 1,
            Note::CampaignStarted { .. } => recorder.elections_started += 1,
            Note::Deposed { by_term } => {
                if reaches_majority {
                    recorder.on_disruption(now, id, cause, by_term);
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
        node: &N,
        log_hint: Option<LogIndex>,
    ) -> Result<(), Broken> {
        let Some(checker) = self.checker.as_mut() else {
            return Ok(());
        };
        if log_hint.is_some()
            || (after.last_index, after.last_term) != (before.last_index, before.last_term)
        {
            checker.on_log(id, node.log(), log_hint)?;
        }
        checker.on_status(id, before, after)?;
        if after.commit_index > before.commit_index {
            checker.extend_committed(id, after.term, node.log());
        }
        Ok(())
    }

    pub(super) fn on_term(&mut self, now: Instant, id: NodeId, term: Term) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_term(now, id, term);
        }
    }

    pub(super) fn on_elected(&mut self, term: Term) {
        if let Some(recorder) = self.recorder.as_mut() {
            recorder.on_elected(term);
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

    /// Recomputes the effective leader: a live leader that a majority of
    /// live nodes (itself included) follow in its term.
    pub(super) fn update_effective_leader<N>(&mut self, now: Instant, slots: &[Slot<N>]) {
        let Some(recorder) = self.recorder.as_mut() else {
            return;
        };
        let quorum = majority(slots.len());
        let effective = slots.iter().enumerate().find_map(|(i, slot)| {
            if !slot.live || slot.status.role != Role::Leader {
                return None;
            }
            let leader = NodeId::from_index(i);
            let term = slot.status.term;
            let backing = slots
                .iter()
                .filter(|s| s.live && s.status.term == term && s.status.leader == Some(leader))
                .count();
            debug_assert!(backing <= slots.len());
            (backing >= quorum).then_some((leader, term))
        });
        recorder.on_effective_leader(now, effective);
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
    /// Stamps a broken property with the time and event number.
    pub(super) fn violation(&mut self, broken: Broken) {
        self.violations.push(Violation {
            property: broken.property,
            message: broken.message,
            at_ms: self.now.as_ms_f64(),
            event: self.events,
        });
    }

    /// After a node's step: checks it, moves the client's commits forward,
    /// and records term, role and leader changes.
    pub(super) fn after_step(&mut self, id: NodeId, before: Status, log_hint: Option<LogIndex>) {
        let Some(node) = self.slots[id.index()].node() else {
            return;
        };
        let after = node.status();
        if after == before && log_hint.is_none() {
            return;
        }
        if let Err(broken) = self
            .observers
            .check_step(id, &before, &after, node, log_hint)
        {
            self.violation(broken);
            return;
        }
        if after.commit_index > before.commit_index {
            self.on_node_commit(id, after.commit_index);
        }
        self.slots[id.index()].status = after;
        if (after.term, after.role, after.leader) != (before.term, before.role, before.leader) {
            self.record(TraceEvent::State {
                node: id,
                term: after.term,
                role: after.role,
                leader: after.leader,
            });
            if after.term != before.term {
                self.observers.on_term(self.now, id, after.term);
            }
            if after.role == Role::Leader
                && (before.role != Role::Leader || before.term != after.term)
            {
                self.observers.on_elected(after.term);
                self.leader_appeared = true;
            }
            self.observers
                .update_effective_leader(self.now, &self.slots);
        }
    }
}
