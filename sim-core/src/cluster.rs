//! One run of one variant: wires the nodes, the network, the client workload
//! and the fault script to the event queue, executes every action a node
//! asks for, and feeds every step to the observers (safety checker, metrics,
//! trace). Owns the run loop; never decides Raft behaviour itself.

use std::collections::{BTreeMap, VecDeque};

use crate::faults::{Fault, FaultRecord, NodeRef, ScriptEvent};
use crate::invariants::{Broken, Checker, Violation};
use crate::metrics::{Metrics, Recorder, Series};
use crate::network::{Fate, Network, NetworkConfig, NetworkPatch};
use crate::raft::{
    majority, Action, EntryData, HardState, LogIndex, Message, Node, NodeId, Note, PersistWrite,
    ProposalId, RaftConfig, Role, Status, TimerKind, VoteResult, MAX_NODES,
};
use crate::rng::{Purpose, Stream};
use crate::time::Instant;
use crate::trace::{DropReason, TraceEvent, TraceHash, Tracer};

/// The client workload, resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkloadConfig {
    /// Proposals per second of virtual time, evenly spaced (0: none).
    pub proposals_per_sec: f64,
    /// A proposal not committed this long after it was sent is sent again.
    pub retry_us: u64,
}

/// Storage behaviour, resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageConfig {
    pub persist_latency_us: (u64, u64),
}

/// Everything one run needs. Built from a scenario variant.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    pub nodes: usize,
    pub seed: u64,
    pub duration_us: u64,
    pub raft: RaftConfig,
    pub network: NetworkConfig,
    pub workload: WorkloadConfig,
    pub storage: StorageConfig,
    pub script: Vec<ScriptEvent>,
    /// The run stops with an error past this many events.
    pub max_events: u64,
}

impl ClusterConfig {
    /// A fault-free cluster of `nodes` nodes with default settings.
    pub fn new(nodes: usize, seed: u64, duration_us: u64) -> ClusterConfig {
        let raft = RaftConfig::default();
        ClusterConfig {
            nodes,
            seed,
            duration_us,
            workload: WorkloadConfig {
                proposals_per_sec: 0.0,
                retry_us: raft.election_timeout_us.1,
            },
            raft,
            network: NetworkConfig::default(),
            storage: StorageConfig::default(),
            script: Vec::new(),
            max_events: DEFAULT_MAX_EVENTS,
        }
    }
}

/// The default limit on events in one run.
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub metrics: Metrics,
    pub series: Series,
    pub violations: Vec<Violation>,
    pub trace_hash: u64,
    /// Set when the run hit its event limit before the end.
    pub limit_reached: Option<String>,
    /// Set when the tracer failed to write.
    pub trace_error: Option<String>,
}

enum Event {
    Deliver {
        from: NodeId,
        to: NodeId,
        /// The message's number in send order (a duplicate shares it).
        id: u64,
        msg: Message,
    },
    /// A message waiting for its sender's writes to become durable.
    Depart {
        from: NodeId,
        incarnation: u32,
        to: NodeId,
        msg: Message,
    },
    Timer {
        node: NodeId,
        kind: TimerKind,
    },
    Durable {
        node: NodeId,
        incarnation: u32,
        write: PersistWrite,
    },
    Fault(usize),
    Propose,
    ClientRetry,
}

enum Input {
    Message(NodeId, Message),
    Timer(TimerKind),
    Propose(ProposalId),
    Persisted(LogIndex),
}

/// One armed timer. `queued` is the earliest wake-up in the queue for it:
/// re-arming a timer later does not touch the queue; the wake-up re-queues
/// itself at the new deadline. That keeps one heap entry per timeout, not
/// one per heartbeat.
#[derive(Clone, Copy, Default)]
struct TimerSlot {
    deadline: Option<Instant>,
    queued: Option<Instant>,
}

struct Slot {
    node: Option<Node>,
    /// A crashed node's timer stream, continued on restart.
    parked_rng: Option<Stream>,
    disk: HardState,
    incarnation: u32,
    /// When the last write issued by this incarnation becomes durable.
    writes_done_at: Instant,
    storage_rng: Stream,
    timers: [TimerSlot; TimerKind::COUNT],
    status: Status,
    live: bool,
}

struct Pending {
    first_sent_at: Instant,
}

/// The client: submits proposals to the leader of the highest term.
#[derive(Default)]
struct Client {
    next_id: ProposalId,
    pending: BTreeMap<ProposalId, Pending>,
    /// Proposals waiting for a leader.
    waiting: VecDeque<ProposalId>,
    /// (resend deadline, proposal), in deadline order.
    retries: VecDeque<(Instant, ProposalId)>,
    /// The earliest queued `ClientRetry` event, if any.
    retry_armed_at: Option<Instant>,
}

/// Why a fault stays in effect, to find when it ends.
enum OpenFault {
    Links(Vec<(NodeId, NodeId)>),
    Crash(NodeId),
    /// A `set_network` patch: the settings it changed that no later patch
    /// has changed again.
    SetNetwork(NetworkPatch),
    SetLink(NodeId, NodeId),
}

pub struct Cluster<'t> {
    cfg: ClusterConfig,
    end: Instant,
    now: Instant,
    queue: crate::scheduler::Scheduler<Event>,
    slots: Vec<Slot>,
    network: Network,
    actions: Vec<Action>,
    client: Client,
    recorder: Recorder,
    checker: Checker,
    hash: TraceHash,
    tracer: Option<&'t mut dyn Tracer>,
    trace_error: Option<String>,
    faults: Vec<FaultRecord>,
    open_faults: Vec<(usize, OpenFault)>,
    crashed: Vec<NodeId>,
    events: u64,
    violations: Vec<Violation>,
    /// The sender of the message being handled (for disruption reports).
    cause: Option<NodeId>,
    leader_appeared: bool,
    latencies: Vec<u64>,
}

impl<'t> Cluster<'t> {
    pub fn new(cfg: ClusterConfig, tracer: Option<&'t mut dyn Tracer>) -> Cluster<'t> {
        assert!(
            (1..=MAX_NODES).contains(&cfg.nodes),
            "a cluster has 1..={MAX_NODES} nodes"
        );
        let initial = Status {
            term: 0,
            role: Role::Follower,
            leader: None,
            voted_for: None,
            commit_index: 0,
            last_index: 0,
            last_term: 0,
        };
        let slots = (0..cfg.nodes)
            .map(|i| Slot {
                node: None,
                parked_rng: Some(Stream::new(cfg.seed, Purpose::NodeTimers, i as u64 + 1)),
                disk: HardState::default(),
                incarnation: 0,
                writes_done_at: Instant::ZERO,
                storage_rng: Stream::new(cfg.seed, Purpose::Storage, i as u64 + 1),
                timers: [TimerSlot::default(); TimerKind::COUNT],
                status: initial,
                live: false,
            })
            .collect();
        Cluster {
            end: Instant::from_us(cfg.duration_us),
            now: Instant::ZERO,
            queue: Default::default(),
            slots,
            network: Network::new(cfg.nodes, cfg.seed, cfg.network),
            actions: Vec::with_capacity(64),
            client: Client::default(),
            recorder: Recorder::new(cfg.raft.heartbeat_us),
            checker: Checker::new(cfg.nodes),
            hash: TraceHash::default(),
            tracer,
            trace_error: None,
            faults: Vec::new(),
            open_faults: Vec::new(),
            crashed: Vec::new(),
            events: 0,
            violations: Vec::new(),
            cause: None,
            leader_appeared: false,
            latencies: Vec::new(),
            cfg,
        }
    }

    /// Runs to the end of the scenario (or the first safety violation).
    pub fn run(mut self) -> RunOutput {
        for i in 0..self.cfg.nodes {
            self.recorder
                .on_term(Instant::ZERO, NodeId::from_index(i), 0);
            self.start_node(NodeId::from_index(i));
        }
        for (index, event) in self.cfg.script.iter().enumerate() {
            self.queue.push(event.at, Event::Fault(index));
        }
        if let Some(interval) = self.proposal_interval_us() {
            self.queue.push(Instant::from_us(interval), Event::Propose);
        }
        let mut limit_reached = None;
        while let Some((at, event)) = self.queue.pop() {
            if at > self.end {
                break;
            }
            self.now = at;
            self.dispatch(event);
            if self.leader_appeared {
                self.leader_appeared = false;
                self.flush_waiting_proposals();
            }
            if !self.violations.is_empty() {
                break;
            }
            if self.events >= self.cfg.max_events {
                limit_reached = Some(format!(
                    "stopped at {} after the event limit of {} events",
                    self.now, self.cfg.max_events
                ));
                break;
            }
        }
        let end = if self.violations.is_empty() && limit_reached.is_none() {
            self.end
        } else {
            self.now
        };
        if let Some(tracer) = self.tracer.as_mut() {
            if let Err(e) = tracer.finish() {
                self.trace_error.get_or_insert(e.to_string());
            }
        }
        let (metrics, mut series) = self
            .recorder
            .finish(end, self.network.counters, self.events);
        series.faults = self.faults;
        RunOutput {
            metrics,
            series,
            violations: self.violations,
            trace_hash: self.hash.value(),
            limit_reached,
            trace_error: self.trace_error,
        }
    }

    fn proposal_interval_us(&self) -> Option<u64> {
        let rate = self.cfg.workload.proposals_per_sec;
        (rate > 0.0).then(|| ((1_000_000.0 / rate).round() as u64).max(1))
    }

    fn record(&mut self, event: TraceEvent<'_>) {
        self.hash.add(self.now, &event);
        if let Some(tracer) = self.tracer.as_mut() {
            if self.trace_error.is_none() {
                if let Err(e) = tracer.record(self.now, &event) {
                    self.trace_error = Some(e.to_string());
                }
            }
        }
    }

    fn violation(&mut self, broken: Broken) {
        let (property, message) = broken;
        self.violations.push(Violation {
            property: property.to_string(),
            message,
            at_ms: self.now.as_ms_f64(),
            event: self.events,
        });
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Timer { node, kind } => {
                let timer = &mut self.slots[node.index()].timers[kind.index()];
                if timer.queued != Some(self.now) {
                    return; // superseded by an earlier wake-up
                }
                timer.queued = None;
                match timer.deadline {
                    Some(deadline) if deadline == self.now => {
                        timer.deadline = None;
                        self.events += 1;
                        self.record(TraceEvent::Timer { node, kind });
                        self.step(node, Input::Timer(kind));
                    }
                    Some(deadline) => {
                        timer.queued = Some(deadline);
                        self.queue.push(deadline, Event::Timer { node, kind });
                    }
                    None => {}
                }
            }
            Event::Deliver { from, to, id, msg } => {
                self.events += 1;
                let reason = if !self.network.link_up(from, to) {
                    Some(DropReason::CutInFlight)
                } else if !self.slots[to.index()].live {
                    Some(DropReason::NodeDown)
                } else {
                    None
                };
                if let Some(reason) = reason {
                    self.network.counters.dropped += 1;
                    self.record(TraceEvent::Drop {
                        from,
                        to,
                        id: Some(id),
                        msg: &msg,
                        reason,
                    });
                    return;
                }
                self.network.counters.delivered += 1;
                self.record(TraceEvent::Deliver {
                    from,
                    to,
                    id,
                    msg: &msg,
                });
                self.step(to, Input::Message(from, msg));
            }
            Event::Depart {
                from,
                incarnation,
                to,
                msg,
            } => {
                self.events += 1;
                if self.slots[from.index()].incarnation == incarnation {
                    self.transmit(from, to, msg);
                } else {
                    self.network.counters.sent += 1;
                    self.network.counters.dropped += 1;
                    self.record(TraceEvent::Drop {
                        from,
                        to,
                        id: None,
                        msg: &msg,
                        reason: DropReason::SenderCrashed,
                    });
                }
            }
            Event::Durable {
                node,
                incarnation,
                write,
            } => {
                let slot = &mut self.slots[node.index()];
                if slot.incarnation != incarnation {
                    return; // lost in a crash
                }
                self.events += 1;
                let durable = self.make_durable(node, &write);
                self.step(node, Input::Persisted(durable));
            }
            Event::Fault(index) => {
                self.events += 1;
                self.apply_fault(index);
            }
            Event::Propose => {
                self.events += 1;
                self.new_proposal();
                if let Some(interval) = self.proposal_interval_us() {
                    self.queue.push(self.now.plus_us(interval), Event::Propose);
                }
            }
            Event::ClientRetry => {
                if self.client.retry_armed_at == Some(self.now) {
                    self.client.retry_armed_at = None;
                }
                self.retry_proposals();
            }
        }
    }

    /// Runs one input through a node, executes its actions and observes it.
    fn step(&mut self, id: NodeId, input: Input) {
        let now = self.now;
        let Some(node) = self.slots[id.index()].node.as_mut() else {
            return;
        };
        let before = node.status();
        let mut actions = std::mem::take(&mut self.actions);
        self.cause = None;
        match input {
            Input::Message(from, msg) => {
                self.cause = Some(from);
                node.on_message(now, from, msg, &mut actions);
            }
            Input::Timer(kind) => node.on_timer(now, kind, &mut actions),
            Input::Propose(proposal) => {
                node.propose(proposal, &mut actions);
            }
            Input::Persisted(durable) => node.on_persisted(durable),
        }
        let hint = self.execute(id, &mut actions);
        self.actions = actions;
        self.observe(id, before, hint);
    }

    /// Carries out a node's actions in order. Returns the lowest log index
    /// the node rewrote, if any.
    fn execute(&mut self, id: NodeId, actions: &mut Vec<Action>) -> Option<LogIndex> {
        let mut log_hint: Option<LogIndex> = None;
        for action in actions.drain(..) {
            match action {
                Action::Send { to, msg } => {
                    let slot = &self.slots[id.index()];
                    if slot.writes_done_at > self.now {
                        let event = Event::Depart {
                            from: id,
                            incarnation: slot.incarnation,
                            to,
                            msg,
                        };
                        self.queue.push(slot.writes_done_at, event);
                    } else {
                        self.transmit(id, to, msg);
                    }
                }
                Action::SetTimer { kind, at } => self.set_timer(id, kind, at),
                Action::CancelTimer { kind } => {
                    self.slots[id.index()].timers[kind.index()].deadline = None;
                }
                Action::Persist(write) => {
                    log_hint = Some(log_hint.map_or(write.log_from, |h| h.min(write.log_from)));
                    let slot = &mut self.slots[id.index()];
                    let (min, max) = self.cfg.storage.persist_latency_us;
                    if max == 0 {
                        let durable = self.make_durable(id, &write);
                        if let Some(node) = self.slots[id.index()].node.as_mut() {
                            node.on_persisted(durable);
                        }
                    } else {
                        let latency = slot.storage_rng.between(min, max);
                        let done = slot.writes_done_at.max(self.now.plus_us(latency));
                        slot.writes_done_at = done;
                        let event = Event::Durable {
                            node: id,
                            incarnation: slot.incarnation,
                            write,
                        };
                        self.queue.push(done, event);
                    }
                }
                Action::Note(note) => self.on_note(id, note),
            }
        }
        log_hint
    }

    /// Applies a write to the node's disk; returns the disk's log length.
    fn make_durable(&mut self, id: NodeId, write: &PersistWrite) -> LogIndex {
        let slot = &mut self.slots[id.index()];
        slot.disk.apply(write);
        self.checker.on_durable(id, write.term);
        slot.disk.log.len() as LogIndex
    }

    fn on_note(&mut self, id: NodeId, note: Note) {
        match note {
            Note::PreVoteStarted { .. } => self.recorder.pre_votes_started += 1,
            Note::CampaignStarted { .. } => self.recorder.elections_started += 1,
            Note::Deposed { by_term } => {
                let live: Vec<bool> = self.slots.iter().map(|s| s.live).collect();
                if self.network.can_reach_majority(id, &live) {
                    self.recorder
                        .on_disruption(self.now, id, self.cause, by_term);
                }
            }
        }
    }

    fn set_timer(&mut self, id: NodeId, kind: TimerKind, at: Instant) {
        let timer = &mut self.slots[id.index()].timers[kind.index()];
        timer.deadline = Some(at);
        if timer.queued.is_none_or(|queued| at < queued) {
            timer.queued = Some(at);
            self.queue.push(at, Event::Timer { node: id, kind });
        }
    }

    /// Puts a message on the network now.
    fn transmit(&mut self, from: NodeId, to: NodeId, msg: Message) {
        let granted_vote = match msg {
            Message::VoteResponse {
                term,
                granted: true,
                pre_vote: false,
            } => Some(term),
            Message::DlVoteReply {
                term,
                result: VoteResult::Accept,
                ..
            } => Some(term),
            _ => None,
        };
        if let Some(term) = granted_vote {
            if let Err(broken) = self.checker.on_vote_sent(from, term, to) {
                self.violation(broken);
            }
        }
        let fate = self.network.send(self.now, from, to);
        let id = self.network.counters.sent;
        self.record(TraceEvent::Send {
            from,
            to,
            id,
            msg: &msg,
            fate,
        });
        if let Fate::Arrives { at, duplicate_at } = fate {
            if let Some(dup_at) = duplicate_at {
                let msg = msg.clone();
                self.queue
                    .push(dup_at, Event::Deliver { from, to, id, msg });
            }
            self.queue.push(at, Event::Deliver { from, to, id, msg });
        }
    }

    /// Feeds a node's change to the safety checker, metrics and trace.
    fn observe(&mut self, id: NodeId, before: Status, log_hint: Option<LogIndex>) {
        let Some(node) = self.slots[id.index()].node.as_ref() else {
            return;
        };
        let after = node.status();
        if after == before && log_hint.is_none() {
            return;
        }
        if log_hint.is_some()
            || (after.last_index, after.last_term) != (before.last_index, before.last_term)
        {
            if let Err(broken) = self.checker.on_log(id, node.log().entries(), log_hint) {
                self.violation(broken);
                return;
            }
        }
        if let Err(broken) = self.checker.on_status(id, &before, &after) {
            self.violation(broken);
            return;
        }
        if after.commit_index > before.commit_index {
            let committed = self
                .checker
                .extend_committed(id, after.term, node.log().entries());
            if !committed.is_empty() {
                self.on_cluster_commit(committed);
            }
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
                self.recorder.on_term(self.now, id, after.term);
            }
            if after.role == Role::Leader
                && (before.role != Role::Leader || before.term != after.term)
            {
                self.recorder.on_elected(after.term);
                self.leader_appeared = true;
            }
            self.update_effective_leader();
        }
    }

    fn on_cluster_commit(&mut self, committed: std::ops::Range<LogIndex>) {
        self.latencies.clear();
        for index in committed.clone() {
            if let EntryData::Proposal(id) = self.checker.committed_entry(index).data {
                if let Some(pending) = self.client.pending.remove(&id) {
                    self.latencies
                        .push(self.now.us_since(pending.first_sent_at));
                }
            }
        }
        self.recorder.on_commit_advance(self.now, &self.latencies);
        self.record(TraceEvent::Commit {
            index: committed.end - 1,
        });
    }

    fn update_effective_leader(&mut self) {
        let quorum = majority(self.cfg.nodes);
        let effective = self.slots.iter().enumerate().find_map(|(i, slot)| {
            if !slot.live || slot.status.role != Role::Leader {
                return None;
            }
            let leader = NodeId::from_index(i);
            let term = slot.status.term;
            let backing = self
                .slots
                .iter()
                .filter(|s| s.live && s.status.term == term && s.status.leader == Some(leader))
                .count();
            (backing >= quorum).then_some((leader, term))
        });
        self.recorder.on_effective_leader(self.now, effective);
    }

    /// The leader of the highest term among live nodes, if any.
    fn current_leader(&self) -> Option<NodeId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.live && s.status.role == Role::Leader)
            .max_by_key(|(i, s)| (s.status.term, std::cmp::Reverse(*i)))
            .map(|(i, _)| NodeId::from_index(i))
    }

    // ----- nodes: start, crash, restart --------------------------------

    fn start_node(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.index()];
        let rng = slot
            .parked_rng
            .take()
            .expect("a down node keeps its stream");
        let mut actions = std::mem::take(&mut self.actions);
        let node = Node::start(
            id,
            self.cfg.nodes,
            self.cfg.raft.clone(),
            rng,
            slot.disk.clone(),
            self.now,
            &mut actions,
        );
        let status = node.status();
        slot.node = Some(node);
        slot.live = true;
        slot.writes_done_at = self.now;
        let before = slot.status;
        slot.status = status;
        if let Err(broken) = self.checker.on_restart(id, status.term) {
            self.violation(broken);
        }
        let hint = self.execute(id, &mut actions);
        self.actions = actions;
        let log = self.slots[id.index()]
            .node
            .as_ref()
            .expect("just started")
            .log();
        if let Err(broken) = self.checker.on_log(id, log.entries(), hint) {
            self.violation(broken);
        }
        if status.term != before.term {
            self.recorder.on_term(self.now, id, status.term);
        }
        self.record(TraceEvent::State {
            node: id,
            term: status.term,
            role: status.role,
            leader: status.leader,
        });
    }

    fn crash(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.index()];
        let node = slot.node.take().expect("crash a live node");
        slot.parked_rng = Some(node.into_rng());
        self.checker.on_crash(id, slot.disk.log.len() as LogIndex);
        slot.live = false;
        slot.incarnation += 1;
        slot.writes_done_at = self.now;
        for timer in &mut slot.timers {
            timer.deadline = None;
        }
        self.crashed.push(id);
        self.record(TraceEvent::Crash { node: id });
        self.update_effective_leader();
    }

    fn restart(&mut self, id: NodeId) {
        self.crashed.retain(|&n| n != id);
        self.record(TraceEvent::Restart { node: id });
        self.start_node(id);
        self.update_effective_leader();
    }

    // ----- client workload --------------------------------------------

    fn new_proposal(&mut self) {
        let id = self.client.next_id;
        self.client.next_id += 1;
        self.client.pending.insert(
            id,
            Pending {
                first_sent_at: self.now,
            },
        );
        self.recorder.on_submitted(self.now);
        self.submit(id);
    }

    fn submit(&mut self, id: ProposalId) {
        let leader = self.current_leader();
        self.record(TraceEvent::Propose { id, leader });
        let Some(leader) = leader else {
            self.client.waiting.push_back(id);
            return;
        };
        self.step(leader, Input::Propose(id));
        let deadline = self.now.plus_us(self.cfg.workload.retry_us);
        self.client.retries.push_back((deadline, id));
        self.arm_retry();
    }

    /// Makes sure a `ClientRetry` is queued no later than the earliest
    /// resend deadline.
    fn arm_retry(&mut self) {
        if let Some(&(front, _)) = self.client.retries.front() {
            if self.client.retry_armed_at.is_none_or(|at| front < at) {
                self.client.retry_armed_at = Some(front);
                self.queue.push(front, Event::ClientRetry);
            }
        }
    }

    fn flush_waiting_proposals(&mut self) {
        while self.current_leader().is_some() {
            let Some(id) = self.client.waiting.pop_front() else {
                break;
            };
            if self.client.pending.contains_key(&id) {
                self.submit(id);
            }
        }
    }

    fn retry_proposals(&mut self) {
        while let Some(&(deadline, id)) = self.client.retries.front() {
            if deadline > self.now {
                break;
            }
            self.client.retries.pop_front();
            if self.client.pending.contains_key(&id) {
                self.events += 1;
                self.submit(id);
            }
        }
        self.arm_retry();
    }

    // ----- faults -------------------------------------------------------

    fn resolve(&self, node: NodeRef) -> Result<NodeId, String> {
        match node {
            NodeRef::Id(id) => Ok(id),
            NodeRef::Leader => self
                .current_leader()
                .ok_or_else(|| "there is no leader".to_string()),
            NodeRef::Follower(k) => {
                let leader = self
                    .current_leader()
                    .ok_or_else(|| "there is no leader, so no followers".to_string())?;
                let followers: Vec<NodeId> = (0..self.cfg.nodes)
                    .map(NodeId::from_index)
                    .filter(|&n| n != leader && self.slots[n.index()].live)
                    .collect();
                followers.get(k - 1).copied().ok_or_else(|| {
                    format!(
                        "follower:{k} asked for, but there are {} live followers",
                        followers.len()
                    )
                })
            }
            NodeRef::Crashed => self
                .crashed
                .last()
                .copied()
                .ok_or_else(|| "no node is down".to_string()),
        }
    }

    fn resolve_pairs(&self, pairs: &[(NodeRef, NodeRef)]) -> Result<Vec<(NodeId, NodeId)>, String> {
        pairs
            .iter()
            .map(|&(a, b)| Ok((self.resolve(a)?, self.resolve(b)?)))
            .collect()
    }

    fn apply_fault(&mut self, index: usize) {
        let fault = self.cfg.script[index].fault.clone();
        let outcome = self.apply_resolved(&fault);
        let (description, nodes, skipped, open) = match outcome {
            Ok((description, nodes, open)) => (description, nodes, None, open),
            Err(reason) => (
                format!("{} (skipped)", fault.kind()),
                Vec::new(),
                Some(reason),
                None,
            ),
        };
        self.record(TraceEvent::Fault {
            index,
            description: &description,
            skipped: skipped.is_some(),
        });
        let record = self.faults.len();
        self.faults.push(FaultRecord {
            index,
            at_ms: self.now.as_ms_f64(),
            kind: fault.kind(),
            description,
            nodes,
            skipped,
            until_ms: None,
            chaos: self.cfg.script[index].chaos,
        });
        self.close_ended_faults(&fault);
        if let Some(open) = open {
            self.open_faults.push((record, open));
        }
    }

    /// Applies a fault. Returns its description, the nodes it named and
    /// what keeps it open, or why it was skipped.
    #[allow(clippy::type_complexity)]
    fn apply_resolved(
        &mut self,
        fault: &Fault,
    ) -> Result<(String, Vec<NodeId>, Option<OpenFault>), String> {
        let all: Vec<NodeId> = (0..self.cfg.nodes).map(NodeId::from_index).collect();
        let pairs_text = |pairs: &[(NodeId, NodeId)], sep: &str| {
            pairs
                .iter()
                .map(|(a, b)| format!("{a}{sep}{b}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let flatten =
            |pairs: &[(NodeId, NodeId)]| pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
        Ok(match fault {
            Fault::Isolate(r) => {
                let node = self.resolve(*r)?;
                self.network.isolate(node);
                let links = all
                    .iter()
                    .filter(|&&o| o != node)
                    .flat_map(|&o| [(node, o), (o, node)])
                    .collect();
                (
                    format!("isolate {node}"),
                    vec![node],
                    Some(OpenFault::Links(links)),
                )
            }
            Fault::Partition(groups) => {
                self.network.partition(groups);
                let mut links = Vec::new();
                for &a in &all {
                    for &b in &all {
                        let ga = groups.iter().position(|g| g.contains(&a));
                        let gb = groups.iter().position(|g| g.contains(&b));
                        if ga != gb {
                            links.push((a, b));
                        }
                    }
                }
                let text = groups
                    .iter()
                    .map(|g| {
                        g.iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .collect::<Vec<_>>()
                    .join(" | ");
                (
                    format!("partition {text}"),
                    groups.concat(),
                    // One group cuts nothing, so nothing stays open.
                    (!links.is_empty()).then_some(OpenFault::Links(links)),
                )
            }
            Fault::Cut(pairs) => {
                let pairs = self.resolve_pairs(pairs)?;
                let mut links = Vec::new();
                for &(a, b) in &pairs {
                    self.network.cut(a, b);
                    links.extend([(a, b), (b, a)]);
                }
                (
                    format!("cut {}", pairs_text(&pairs, "-")),
                    flatten(&pairs),
                    Some(OpenFault::Links(links)),
                )
            }
            Fault::CutOneway(pairs) => {
                let pairs = self.resolve_pairs(pairs)?;
                for &(a, b) in &pairs {
                    self.network.cut_oneway(a, b);
                }
                let text = format!("cut {}", pairs_text(&pairs, "→"));
                (text, flatten(&pairs), Some(OpenFault::Links(pairs)))
            }
            Fault::Restore(pairs) => {
                let pairs = self.resolve_pairs(pairs)?;
                for &(a, b) in &pairs {
                    self.network.restore(a, b);
                }
                (
                    format!("restore {}", pairs_text(&pairs, "-")),
                    flatten(&pairs),
                    None,
                )
            }
            Fault::Heal => {
                self.network.heal();
                ("heal".to_string(), Vec::new(), None)
            }
            Fault::Crash(r) => {
                let node = self.resolve(*r)?;
                if !self.slots[node.index()].live {
                    return Err(format!("node {node} is already down"));
                }
                self.crash(node);
                (
                    format!("crash {node}"),
                    vec![node],
                    Some(OpenFault::Crash(node)),
                )
            }
            Fault::Restart(r) => {
                let node = self.resolve(*r)?;
                if self.slots[node.index()].live {
                    return Err(format!("node {node} is not down"));
                }
                self.restart(node);
                (format!("restart {node}"), vec![node], None)
            }
            Fault::ResetNetwork => {
                self.network.reset(self.cfg.network);
                ("network reset".to_string(), Vec::new(), None)
            }
            Fault::SetNetwork(patch) => {
                self.network.apply_patch(*patch);
                let mut parts = Vec::new();
                if let Some((min, max)) = patch.latency_us {
                    parts.push(format!("latency {}–{} ms", min / 1000, max / 1000));
                }
                if let Some(loss) = patch.loss {
                    parts.push(format!("loss {}%", loss * 100.0));
                }
                if let Some(dup) = patch.duplicate {
                    parts.push(format!("duplicate {}%", dup * 100.0));
                }
                (
                    format!("network {}", parts.join(", ")),
                    Vec::new(),
                    Some(OpenFault::SetNetwork(*patch)),
                )
            }
            Fault::SetLink { between, link } => {
                let (a, b) = (self.resolve(between.0)?, self.resolve(between.1)?);
                self.network.set_link(a, b, *link);
                let mut parts = Vec::new();
                if let Some(loss) = link.loss {
                    parts.push(format!("loss {}%", loss * 100.0));
                }
                if let Some((min, max)) = link.latency_us {
                    parts.push(format!("latency {}–{} ms", min / 1000, max / 1000));
                }
                (
                    format!("link {a}-{b} {}", parts.join(", ")),
                    vec![a, b],
                    Some(OpenFault::SetLink(a, b)),
                )
            }
        })
    }

    /// Marks the end of every open fault that is no longer in effect.
    fn close_ended_faults(&mut self, latest: &Fault) {
        let at_ms = self.now.as_ms_f64();
        let latest_record = self.faults.len() - 1;
        let latest_nodes = self.faults[latest_record].nodes.clone();
        let network = &self.network;
        let slots = &self.slots;
        let faults = &mut self.faults;
        self.open_faults.retain_mut(|(record, open)| {
            let ended = match open {
                OpenFault::Links(links) => links.iter().all(|&(a, b)| network.link_up(a, b)),
                OpenFault::Crash(node) => slots[node.index()].live,
                OpenFault::SetNetwork(open) => match latest {
                    Fault::ResetNetwork => true,
                    Fault::SetNetwork(later) => {
                        // What the later patch sets again is no longer ours.
                        open.latency_us = open.latency_us.filter(|_| later.latency_us.is_none());
                        open.loss = open.loss.filter(|_| later.loss.is_none());
                        open.duplicate = open.duplicate.filter(|_| later.duplicate.is_none());
                        *open == NetworkPatch::default()
                    }
                    _ => false,
                },
                OpenFault::SetLink(a, b) => {
                    matches!(latest, Fault::SetLink { .. })
                        && (latest_nodes == [*a, *b] || latest_nodes == [*b, *a])
                }
            };
            if ended {
                faults[*record].until_ms = Some(at_ms);
            }
            !ended
        });
    }
}

/// Runs a configuration to its end without a tracer.
pub fn run(cfg: ClusterConfig) -> RunOutput {
    Cluster::new(cfg, None).run()
}
