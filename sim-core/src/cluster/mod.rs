//! One run of one variant. The cluster wires N nodes (anything that
//! implements [`RaftNode`]), the simulated network, the client workload and
//! the fault script to the event queue, carries out every action a node asks
//! for, and shows every step to the observers. It owns the run loop; it
//! never decides Raft behaviour itself.
//!
//! - `mod.rs` (here): the run loop and event dispatch; `config.rs` what a
//!   run is configured with.
//! - `nodes.rs`: the node slots: start, crash, restart; executing a node's
//!   actions (sends held until durable, timers, persists).
//! - `client.rs`: the client workload: proposals, resends, and the
//!   cluster's own record of what is committed.
//! - `script.rs`: the fault script: resolving node references, applying a
//!   fault to the network or the nodes, describing it, closing it.
//! - `observe.rs`: the observers (safety checker, metrics recorder, trace
//!   hash and tracer). They only watch: a run with the checker and the
//!   metrics switched off has the same trace hash.

mod client;
mod clock;
mod config;
mod limits;
mod membership;
mod nodes;
mod observe;
mod pause;
mod script;

use crate::invariants::Violation;
use crate::metrics::{Metrics, Samples, Series};
use crate::network::Network;
use crate::node::{
    Action, HardState, LogIndex, Membership, NodeId, NodeSet, PersistWrite, ProposalId, RaftNode,
    Status, TimerKind, MAX_NODES,
};
use crate::progress;
use crate::scheduler::Scheduler;
use crate::time::Instant;
use crate::trace::{DropReason, Envelope, TraceEvent, Tracer};

pub use clock::{ClockConfig, MAX_DRIFT_PPB, PPB_PER_PPM};
pub use config::{ClusterConfig, LatencyBucket, StorageConfig, WorkloadConfig};
pub use limits::{
    DEFAULT_MAX_EVENTS, DEFAULT_MAX_EVENTS_PER_SEC, DEFAULT_MAX_MEMORY_MB, MAX_PENDING_PROPOSALS,
    MAX_QUEUED_EVENTS,
};

use client::Client;
use nodes::Slot;
use observe::Observers;
use script::Script;

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
    /// Every sample behind the distributions of `metrics`.
    pub samples: Samples,
    /// The cluster as the run ended.
    pub final_state: Snapshot,
    /// How many entries the safety checker held as the run ended (0
    /// without it): bounded whatever the duration (docs/SEMANTICS.md
    /// "Snapshots and log compaction").
    pub checker_retained_entries: usize,
}

/// The cluster at one instant: every node's status and the links that are down.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub at_us: u64,
    pub nodes: Vec<NodeState>,
    /// Directed links (from, to) that are cut.
    pub cut_links: Vec<(NodeId, NodeId)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeState {
    pub node: NodeId,
    /// False while crashed.
    pub live: bool,
    /// Role, term, vote, leader, commit index and last log entry (the last
    /// status seen while it was up).
    pub status: Status,
    /// The log entries it holds past its snapshot (its disk's while down).
    pub retained_entries: u64,
    /// The configuration it uses (the model: its log's latest; a library:
    /// the last it applied); while down, its disk's latest.
    pub config: Membership,
}

/// What the queue holds; `M` is the implementation's message type.
enum Event<M> {
    Deliver {
        from: NodeId,
        to: NodeId,
        /// The message's number in send order (a duplicate shares it).
        id: u64,
        msg: M,
    },
    /// A message waiting for its sender's writes to become durable.
    Depart {
        from: NodeId,
        incarnation: u32,
        to: NodeId,
        msg: M,
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

enum Input<M> {
    Message(NodeId, M),
    Timer(TimerKind),
    Propose(ProposalId),
    Persisted(LogIndex),
}

/// One run in progress over nodes of type `N`: any Raft implementation
/// behind [`RaftNode`] (`crate::run` picks the one a variant names).
pub struct Cluster<'t, N: RaftNode> {
    cfg: ClusterConfig,
    end: Instant,
    now: Instant,
    queue: Scheduler<Event<N::Message>>,
    slots: Vec<Slot<N>>,
    network: Network,
    /// A reused buffer for the actions of one step.
    actions: Vec<Action<N::Message>>,
    client: Client,
    script: Script,
    observers: Observers<'t>,
    /// Engine events executed so far (the event limit counts these).
    events: u64,
    /// The events of the current second of virtual time.
    window: limits::Window,
    violations: Vec<Violation>,
    /// The node whose step broke each violation's property, if known.
    violation_nodes: Vec<Option<NodeId>>,
    /// The sender of the message being handled (for disruption reports).
    cause: Option<NodeId>,
    /// A node became leader during this step: waiting proposals can go.
    leader_appeared: bool,
    /// The event count when the run last counted what it holds.
    memory_checked_at: u64,
}

impl<'t, N: RaftNode> Cluster<'t, N> {
    /// A run of nodes of type `N`.
    pub fn new(cfg: ClusterConfig, tracer: Option<&'t mut dyn Tracer>) -> Cluster<'t, N> {
        assert!(
            (1..=MAX_NODES).contains(&cfg.nodes),
            "a cluster has 1..={MAX_NODES} nodes"
        );
        assert!(
            !cfg.members.is_empty() && cfg.members.minus(NodeSet::first(cfg.nodes)).is_empty(),
            "the initial voters {} are some of nodes 1..={}",
            cfg.members,
            cfg.nodes
        );
        assert!(
            cfg.storage.persist_latency_us.0 <= cfg.storage.persist_latency_us.1,
            "validation orders the persist latency range"
        );
        let bootstrap = Membership::of_voters(cfg.members);
        let slots = (0..cfg.nodes)
            .map(|i| {
                let id = NodeId::from_index(i);
                // A member's disk holds the initial configuration; a spare
                // machine's holds none, but knows it.
                let disk = match cfg.members.contains(id) {
                    true => HardState::bootstrap(bootstrap),
                    false => HardState::spare(bootstrap),
                };
                Slot::new(cfg.seed, id, &cfg.clock, disk)
            })
            .collect();
        Cluster {
            end: Instant::from_us(cfg.duration_us),
            now: Instant::ZERO,
            queue: Scheduler::default(),
            slots,
            network: Network::new(cfg.nodes, cfg.seed, cfg.network),
            actions: Vec::with_capacity(64),
            client: Client::default(),
            script: Script::new(&cfg),
            observers: Observers::new(&cfg, tracer),
            events: 0,
            window: limits::Window::default(),
            violations: Vec::new(),
            violation_nodes: Vec::new(),
            cause: None,
            leader_appeared: false,
            memory_checked_at: 0,
            cfg,
        }
    }

    /// Switches the safety checker off: the run is the same, unchecked.
    pub fn without_safety_checks(mut self) -> Self {
        self.observers.checker = None;
        self
    }

    /// Switches the metrics recorder off: the run is the same, the metrics
    /// and series of its output empty.
    pub fn without_metrics(mut self) -> Self {
        self.observers.recorder = None;
        self
    }

    /// Runs to the end of the scenario (or the first safety violation, or
    /// the event limit).
    pub fn run(mut self) -> RunOutput {
        for i in 0..self.cfg.nodes {
            let id = NodeId::from_index(i);
            self.observers.on_initial_term(id);
            self.start_node(id);
        }
        for (index, event) in self.cfg.script.iter().enumerate() {
            self.queue.push(event.at, Event::Fault(index));
        }
        self.start_chaos();
        if let Some(interval) = self.client.proposal_interval_us(&self.cfg.workload) {
            self.queue.push(Instant::from_us(interval), Event::Propose);
        }
        let mut limit_reached = None;
        // What this run last added to the process's progress.
        let (mut reported_events, mut reported_us) = (0, 0);
        while let Some((at, event)) = self.queue.pop() {
            if at > self.end {
                break;
            }
            if self.events >= reported_events + progress::REPORT_EVERY_EVENTS {
                progress::add(self.events - reported_events, at.as_us() - reported_us);
                (reported_events, reported_us) = (self.events, at.as_us());
            }
            debug_assert!(at >= self.now, "the queue never goes back in time");
            self.now = at;
            self.enter_window(at);
            self.dispatch(event);
            if !self.violations.is_empty() {
                // The trace ends with the offending step.
                self.record_violations();
                break;
            }
            if self.leader_appeared {
                self.leader_appeared = false;
                self.flush_waiting_proposals();
                self.retry_waiting_faults();
            }
            limit_reached = self.limit_reached();
            if limit_reached.is_some() {
                break;
            }
        }
        self.record_never_fired();
        assert!(
            self.violations.is_empty() || limit_reached.is_none(),
            "a run stops at its first violation or at a limit, not both"
        );
        assert_eq!(
            self.violations.len(),
            self.violation_nodes.len(),
            "each violation knows its node, if any"
        );
        assert!(self.now <= self.end, "no event ran past the end of the run");
        let end = if self.violations.is_empty() && limit_reached.is_none() {
            self.end
        } else {
            self.now
        };
        progress::add(
            self.events - reported_events,
            end.as_us().saturating_sub(reported_us),
        );
        progress::run_finished();
        let final_state = self.snapshot();
        let checker_retained_entries = self.observers.checker_retained_entries();
        let (metrics, series, samples, trace_hash, trace_error) =
            self.observers
                .finish(end, self.network.counters, self.events, self.script.records);
        RunOutput {
            metrics,
            series,
            violations: self.violations,
            trace_hash,
            limit_reached,
            trace_error,
            samples,
            final_state,
            checker_retained_entries,
        }
    }

    /// Every node's state and the links that are down, as the run ended
    /// (what `raftsim inspect` shows for an instant).
    fn snapshot(&self) -> Snapshot {
        let snapshot = Snapshot {
            at_us: self.now.as_us(),
            nodes: self
                .slots
                .iter()
                .enumerate()
                .map(|(i, slot)| NodeState {
                    node: NodeId::from_index(i),
                    live: slot.live,
                    status: slot.status,
                    retained_entries: slot.retained_entries(),
                    config: slot.config(),
                })
                .collect(),
            cut_links: self.cut_links(),
        };
        assert_eq!(snapshot.nodes.len(), self.cfg.nodes);
        snapshot
    }

    /// The directed links (from, to) that are down now.
    fn cut_links(&self) -> Vec<(NodeId, NodeId)> {
        let ids = || (0..self.cfg.nodes).map(NodeId::from_index);
        ids()
            .flat_map(|a| ids().map(move |b| (a, b)))
            .filter(|&(a, b)| a != b && !self.network.link_up(a, b))
            .collect()
    }

    /// Whether every node `event` names is one of the cluster's machines.
    fn nodes_exist(&self, event: &Event<N::Message>) -> bool {
        let exists = |n: &NodeId| n.index() < self.slots.len();
        match event {
            Event::Deliver { from, to, .. } | Event::Depart { from, to, .. } => {
                exists(from) && exists(to)
            }
            Event::Timer { node, .. } | Event::Durable { node, .. } => exists(node),
            Event::Fault(_) | Event::Propose | Event::ClientRetry => true,
        }
    }

    fn record(&mut self, event: TraceEvent<'_, N::Message>) {
        self.observers.record(self.now, &event);
    }

    fn dispatch(&mut self, event: Event<N::Message>) {
        debug_assert!(
            self.nodes_exist(&event),
            "an event names a node outside the cluster of {}",
            self.slots.len()
        );
        match event {
            Event::Timer { node, kind } => self.on_timer_event(node, kind),
            Event::Deliver { from, to, id, msg } => {
                debug_assert!(from != to, "node {from} delivers to itself");
                debug_assert!(
                    (1..=self.network.counters.sent).contains(&id),
                    "message {id} delivered before it was sent"
                );
                self.deliver(from, to, id, msg)
            }
            Event::Depart {
                from,
                incarnation,
                to,
                msg,
            } => {
                let slot = &mut self.slots[from.index()];
                if slot.incarnation == incarnation && slot.disk_stalled_until > self.now {
                    // The write it waits for is held by a stalled disk.
                    let until = slot.disk_stalled_until;
                    let event = Event::Depart {
                        from,
                        incarnation,
                        to,
                        msg,
                    };
                    self.queue.push(until, event);
                    return;
                }
                self.events += 1;
                if slot.incarnation == incarnation && slot.paused {
                    slot.pending.push(pause::Pending::Depart(to, msg));
                } else if slot.incarnation == incarnation {
                    self.transmit(from, to, msg);
                } else {
                    self.network.counters.sent += 1;
                    self.network.counters.dropped += 1;
                    self.observers.on_sent(&msg);
                    self.record(TraceEvent::Drop {
                        envelope: Envelope {
                            from,
                            to,
                            msg: &msg,
                        },
                        id: None,
                        reason: DropReason::SenderCrashed,
                    });
                }
            }
            Event::Durable {
                node,
                incarnation,
                write,
            } => {
                let slot = &self.slots[node.index()];
                if slot.incarnation != incarnation {
                    return; // lost in a crash
                }
                if slot.disk_stalled_until > self.now {
                    let until = slot.disk_stalled_until;
                    let event = Event::Durable {
                        node,
                        incarnation,
                        write,
                    };
                    self.queue.push(until, event);
                    return;
                }
                self.events += 1;
                let durable = self.make_durable(node, &write);
                self.step(node, Input::Persisted(durable));
                if self.cfg.storage.blocking {
                    self.unblock(node);
                }
            }
            Event::Fault(index) => {
                self.events += 1;
                self.fault_due(index);
            }
            Event::Propose => {
                self.events += 1;
                self.new_proposal();
                if let Some(interval) = self.client.proposal_interval_us(&self.cfg.workload) {
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

    /// A timer wake-up: fires the timer if it is still due now, re-queues
    /// it if it was re-armed later, ignores it if superseded.
    fn on_timer_event(&mut self, node: NodeId, kind: TimerKind) {
        let timer = &mut self.slots[node.index()].timers[kind.index()];
        if timer.queued != Some(self.now) {
            // Superseded by an earlier wake-up, which is queued at or
            // after now (or has fired and left nothing queued).
            debug_assert!(timer.queued.is_none_or(|queued| queued > self.now));
            return;
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
                debug_assert!(deadline > self.now, "a timer deadline never passes unfired");
                timer.queued = Some(deadline);
                self.queue.push(deadline, Event::Timer { node, kind });
            }
            None => {}
        }
    }

    /// A message arrives: dropped if its link was cut meanwhile or its
    /// receiver is down, else handed to the receiver.
    fn deliver(&mut self, from: NodeId, to: NodeId, id: u64, msg: N::Message) {
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
                envelope: Envelope {
                    from,
                    to,
                    msg: &msg,
                },
                id: Some(id),
                reason,
            });
            return;
        }
        self.network.counters.delivered += 1;
        self.record(TraceEvent::Deliver {
            envelope: Envelope {
                from,
                to,
                msg: &msg,
            },
            id,
        });
        self.step(to, Input::Message(from, msg));
    }
}
