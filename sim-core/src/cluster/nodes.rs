//! The node slots of a run: one per node, alive or crashed, with what
//! survives a crash (the disk, the random stream) and what does not (the
//! node, its timers, its writes in flight). Runs one input through a node
//! and carries out the actions it returns, in order.
//!
//! Carries out each send as the node timed it ([`SendTiming`]): at once,
//! or only after every write the node issued before it is durable. Owns
//! the rule that a crash loses pending writes and the messages waiting for
//! them.

use super::clock::{ClockConfig, NodeClock};
use super::pause::Pending;
use super::{Cluster, Event, Input};
use crate::network::Fate;
use crate::node::{
    Action, Boot, HardState, LogIndex, Membership, MessageClass, MessageView, NodeId, Note,
    PersistWrite, RaftNode, Role, SendTiming, Status, TimerKind, WireMessage,
};
use crate::rng::{Purpose, Stream};
use crate::time::Instant;
use crate::trace::{Envelope, TraceEvent};

/// One armed timer. `queued` is the earliest wake-up in the queue for it:
/// re-arming a timer later does not touch the queue; the wake-up re-queues
/// itself at the new deadline. That keeps one heap entry per timeout, not
/// one per heartbeat.
#[derive(Clone, Copy, Default)]
pub(super) struct TimerSlot {
    pub(super) deadline: Option<Instant>,
    pub(super) queued: Option<Instant>,
}

pub(super) struct Slot<N: RaftNode> {
    node: Option<N>,
    /// A crashed node's timer stream, continued on restart.
    parked_rng: Option<Stream>,
    pub(super) disk: HardState,
    pub(super) incarnation: u32,
    /// When the last write issued by this incarnation becomes durable.
    writes_done_at: Instant,
    /// `stall_disk`: the disk completes no write before this instant (it
    /// outlives a crash: the disk is the machine's, not the process's).
    pub(super) disk_stalled_until: Instant,
    storage_rng: Stream,
    pub(super) timers: [TimerSlot; TimerKind::COUNT],
    /// The node's clock: every timer it sets runs on it.
    pub(super) clock: NodeClock,
    /// The node's status after its last step (kept while it is down).
    pub(super) status: Status,
    pub(super) live: bool,
    /// Stalled by `pause`: inputs queue in `pending` until `resume`.
    pub(super) paused: bool,
    pub(super) pending: Vec<Pending<N::Message>>,
}

impl<N: RaftNode> Slot<N> {
    /// The configuration the node uses; while it is down, its disk's
    /// latest.
    pub(super) fn config(&self) -> Membership {
        match &self.node {
            Some(node) => node.membership(),
            None => self.disk.latest_config(),
        }
    }

    pub(super) fn new(seed: u64, id: NodeId, clock: &ClockConfig, disk: HardState) -> Slot<N> {
        let stream = u64::from(id.0);
        Slot {
            node: None,
            parked_rng: Some(Stream::new(seed, Purpose::NodeTimers, stream)),
            disk,
            incarnation: 0,
            writes_done_at: Instant::ZERO,
            disk_stalled_until: Instant::ZERO,
            storage_rng: Stream::new(seed, Purpose::Storage, stream),
            timers: [TimerSlot::default(); TimerKind::COUNT],
            clock: NodeClock::new(seed, stream, clock),
            status: Status {
                term: 0,
                role: Role::Follower,
                leader: None,
                voted_for: None,
                commit_index: 0,
                last_index: 0,
                last_term: 0,
            },
            live: false,
            paused: false,
            pending: Vec::new(),
        }
    }

    /// Alive and not paused: able to act.
    pub(super) fn running(&self) -> bool {
        self.live && !self.paused
    }

    pub(super) fn node(&self) -> Option<&N> {
        self.node.as_ref()
    }

    pub(super) fn node_mut(&mut self) -> Option<&mut N> {
        self.node.as_mut()
    }
}

impl<N: RaftNode> Slot<N> {
    /// The log entries the node holds past its snapshot (its disk's while
    /// it is down).
    pub(super) fn retained_entries(&self) -> u64 {
        self.node
            .as_ref()
            .map_or(self.disk.log.len() as u64, |node| {
                node.log().entries.len() as u64
            })
    }
}

impl<N: RaftNode> Cluster<'_, N> {
    /// Starts (or restarts) a node from its disk.
    pub(super) fn start_node(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.index()];
        debug_assert!(
            !slot.live && slot.node.is_none() && !slot.paused,
            "node {id} starts only while down"
        );
        let rng = slot
            .parked_rng
            .take()
            .expect("a down node keeps its stream");
        let mut actions = std::mem::take(&mut self.actions);
        let boot = Boot {
            id,
            cluster_size: self.cfg.nodes,
            config: &self.cfg.raft,
            rng,
            disk: slot.disk.clone(),
            now: self.now,
        };
        let node = N::start(boot, &mut actions);
        let status = node.status();
        slot.node = Some(node);
        slot.live = true;
        slot.writes_done_at = self.now.max(slot.disk_stalled_until);
        let before = slot.status;
        slot.status = status;
        self.observers.on_status(self.now, id, &status);
        if let Err(broken) = self.observers.on_restart(id, status.term) {
            self.violation(broken, Some(id));
        }
        let hint = self.execute(id, &mut actions);
        self.return_actions(actions);
        debug_assert!(
            self.slots[id.index()].live,
            "a node's first actions never crash it"
        );
        let node = self.slots[id.index()].node.as_ref().expect("just started");
        let log_check = self.observers.on_started(self.now, id, &before, node, hint);
        if let Err(broken) = log_check {
            self.violation(broken, Some(id));
        }
    }

    pub(super) fn crash(&mut self, id: NodeId) {
        let slot = &mut self.slots[id.index()];
        debug_assert!(slot.live, "crash a live node");
        let node = slot.node.take().expect("crash a live node");
        slot.parked_rng = Some(node.into_rng());
        slot.live = false;
        slot.paused = false;
        slot.pending.clear();
        slot.incarnation += 1;
        slot.writes_done_at = self.now;
        for timer in &mut slot.timers {
            timer.deadline = None;
        }
        let durable_last = slot.disk.last_index();
        let durable_snapshot = slot.disk.snapshot_index;
        debug_assert!(durable_snapshot <= durable_last);
        debug_assert!(
            !self.script.crashed.contains(&id),
            "node {id} crashed twice without a restart"
        );
        self.script.crashed.push(id);
        self.observers.on_crash(id, durable_last, durable_snapshot);
        self.record(TraceEvent::Crash { node: id });
        self.update_effective_leader();
    }

    pub(super) fn restart(&mut self, id: NodeId) {
        debug_assert!(!self.slots[id.index()].live, "restart a crashed node");
        self.script.crashed.retain(|&n| n != id);
        self.record(TraceEvent::Restart { node: id });
        self.start_node(id);
        self.update_effective_leader();
    }

    /// The leader of the highest term among live nodes, if any (the lowest
    /// id among equals).
    pub(super) fn current_leader(&self) -> Option<NodeId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.live && s.status.role == Role::Leader)
            .max_by_key(|(i, s)| (s.status.term, std::cmp::Reverse(*i)))
            .map(|(i, _)| NodeId::from_index(i))
    }

    /// Runs one input through a node, executes its actions and observes it.
    pub(super) fn step(&mut self, id: NodeId, input: Input<N::Message>) {
        let now = self.now;
        let slot = &mut self.slots[id.index()];
        // `storage.blocking`: a node whose write is in flight handles
        // nothing but that write's completion.
        let blocked = self.cfg.storage.blocking
            && slot.writes_done_at > now
            && !matches!(input, Input::Persisted(_));
        if slot.paused || blocked {
            slot.pending.push(Pending::Input(input));
            return;
        }
        let Some(node) = slot.node.as_mut() else {
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
                node.propose(now, proposal, &mut actions);
            }
            Input::Persisted(durable) => node.on_persisted(now, durable, &mut actions),
        }
        let hint = self.execute(id, &mut actions);
        self.return_actions(actions);
        self.after_step(id, before, hint);
    }

    /// `storage.blocking`: once a node's writes are all durable, it handles
    /// what queued up meanwhile, until a write blocks it again.
    pub(super) fn unblock(&mut self, id: NodeId) {
        let slot = &self.slots[id.index()];
        if !slot.paused && slot.writes_done_at <= self.now && !slot.pending.is_empty() {
            self.handle_queue(id);
        }
    }

    /// Puts the action buffer back for the next step. What it replaces is
    /// the empty `Vec` that `mem::take` left, which owns no memory: it is
    /// forgotten rather than dropped, saving a call to the drop glue on
    /// every step (anything else is dropped as usual).
    pub(super) fn return_actions(&mut self, actions: Vec<Action<N::Message>>) {
        let left = std::mem::replace(&mut self.actions, actions);
        if left.capacity() == 0 {
            std::mem::forget(left);
        }
    }

    /// Carries out a node's actions in order, leaving `actions` empty (its
    /// memory kept for the next step). Returns the lowest log index the
    /// node rewrote, if any.
    ///
    /// Each action is taken out of the buffer in place of one that owns
    /// nothing, and the buffer is cleared at the end: a `drain(..)` would
    /// do the same with a call to its drop glue on every step (18
    /// instructions per event).
    pub(super) fn execute(
        &mut self,
        id: NodeId,
        actions: &mut Vec<Action<N::Message>>,
    ) -> Option<LogIndex> {
        let mut log_hint: Option<LogIndex> = None;
        for slot in actions.iter_mut() {
            let taken = Action::CancelTimer {
                kind: TimerKind::Election,
            };
            match std::mem::replace(slot, taken) {
                Action::Send { to, msg, timing } => {
                    debug_assert!(
                        to != id && to.index() < self.cfg.nodes,
                        "node {id} sends to {to}"
                    );
                    // A message carries its sender's term; a (pre-)vote
                    // request or answer may carry the term it proposes.
                    debug_assert!(
                        matches!(
                            msg.class(),
                            MessageClass::VoteRequest | MessageClass::VoteReply
                        ) || self.slots[id.index()]
                            .node()
                            .is_none_or(|n| msg.term() <= n.status().term),
                        "node {id} sends a {} of term {} ahead of its own",
                        msg.kind(),
                        msg.term()
                    );
                    self.send(id, to, msg, timing)
                }
                Action::SetTimer { kind, at } => self.set_timer(id, kind, at),
                Action::CancelTimer { kind } => {
                    self.slots[id.index()].timers[kind.index()].deadline = None;
                }
                Action::Persist(write) => {
                    let mut from = write.log_from;
                    if let Some(nested) = self.persist(id, write) {
                        from = from.min(nested);
                    }
                    log_hint = Some(log_hint.map_or(from, |h| h.min(from)));
                }
                Action::Note(note) => {
                    // Whether a deposed leader could still reach a majority
                    // of its configuration (a disruption) depends on links
                    // and live nodes; whether the node that deposed it was
                    // outside that configuration, on the configuration.
                    let (reaches_majority, outsider) = match note {
                        Note::Deposed { .. } => {
                            let membership = self.membership_of(id).unwrap_or_default();
                            let reachable = self.network.reachable(id, self.live_set());
                            let outsider = self
                                .cause
                                .is_some_and(|c| !membership.members().contains(c));
                            (membership.has_majority(reachable), outsider)
                        }
                        Note::PreVoteStarted { .. } | Note::CampaignStarted { .. } => {
                            (false, false)
                        }
                    };
                    self.observers.on_note(
                        self.now,
                        id,
                        self.cause,
                        note,
                        reaches_majority,
                        outsider,
                    );
                }
            }
        }
        actions.clear();
        log_hint
    }

    /// A send leaves now, or, as the node asked, once every earlier write
    /// of the sender is durable (which messages may go ahead of a write is
    /// the implementation's rule, not the cluster's).
    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Message, timing: SendTiming) {
        let slot = &self.slots[from.index()];
        debug_assert!(slot.live, "a down node sends nothing");
        let waits = match timing {
            SendTiming::AfterWrites => true,
            SendTiming::Now => false,
        };
        if waits && slot.writes_done_at > self.now {
            let event = Event::Depart {
                from,
                incarnation: slot.incarnation,
                to,
                msg,
            };
            self.queue.push(slot.writes_done_at, event);
        } else {
            self.transmit(from, to, msg);
        }
    }

    /// Starts a write: durable at once without storage latency, else after
    /// a drawn latency and never before the node's earlier writes. Returns
    /// the log hint of the actions the node answered a durable write with.
    fn persist(&mut self, id: NodeId, write: PersistWrite) -> Option<LogIndex> {
        let has_latency = self.cfg.storage.has_latency();
        let stalled = self.slots[id.index()].disk_stalled_until > self.now;
        if !has_latency && !stalled {
            let durable = self.make_durable(id, &write);
            if let Some(node) = self.slots[id.index()].node.as_mut() {
                let mut more = Vec::new();
                node.on_persisted(self.now, durable, &mut more);
                // The model answers nothing; a library may (raft-rs).
                if !more.is_empty() {
                    return self.execute(id, &mut more);
                }
            }
            return None;
        }
        let slot = &mut self.slots[id.index()];
        let latency = match has_latency {
            true => self.cfg.storage.draw_us(&mut slot.storage_rng),
            false => 0,
        };
        let done = slot
            .writes_done_at
            .max(self.now.plus_us(latency))
            .max(slot.disk_stalled_until);
        // Writes become durable in the order they were issued.
        debug_assert!(done >= slot.writes_done_at && done >= self.now);
        slot.writes_done_at = done;
        let event = Event::Durable {
            node: id,
            incarnation: slot.incarnation,
            write,
        };
        self.queue.push(done, event);
        None
    }

    /// `stall_disk`: the node's disk completes no write before `until`.
    /// Writes in flight wait (their completions and the sends waiting on
    /// them are put off when they come due), and so do new ones.
    pub(super) fn stall_disk(&mut self, id: NodeId, until: Instant) {
        let slot = &mut self.slots[id.index()];
        slot.disk_stalled_until = slot.disk_stalled_until.max(until);
        if slot.live {
            slot.writes_done_at = slot.writes_done_at.max(until);
        }
    }

    /// Applies a write to the node's disk; returns the disk's last index.
    pub(super) fn make_durable(&mut self, id: NodeId, write: &PersistWrite) -> LogIndex {
        let slot = &mut self.slots[id.index()];
        slot.disk.apply(write);
        self.observers
            .on_durable(id, write.term, slot.disk.snapshot_index);
        slot.disk.last_index()
    }

    /// Arms a timer the node set `at - now` ahead on its own clock: it
    /// fires after that long at the clock's rate, plus its drawn lateness.
    fn set_timer(&mut self, id: NodeId, kind: TimerKind, at: Instant) {
        debug_assert!(at >= self.now, "a timer is never set in the past");
        let slot = &mut self.slots[id.index()];
        let at = self
            .now
            .plus_us(slot.clock.timer_delay_us(at.us_since(self.now)));
        let timer = &mut slot.timers[kind.index()];
        timer.deadline = Some(at);
        if timer.queued.is_none_or(|queued| at < queued) {
            timer.queued = Some(at);
            self.queue.push(at, Event::Timer { node: id, kind });
        }
        // A wake-up is queued no later than the deadline: the timer fires
        // on time (a later wake-up re-queues itself until the deadline).
        debug_assert!(
            timer
                .queued
                .is_some_and(|queued| queued <= at && queued >= self.now),
            "node {id}'s {} timer has no wake-up by its deadline {at}",
            kind.name()
        );
    }

    /// Puts a message on the network now.
    pub(super) fn transmit(&mut self, from: NodeId, to: NodeId, msg: N::Message) {
        if let Err(broken) = self.observers.on_send(from, to, &msg) {
            self.violation(broken, Some(from));
        }
        let snapshot = self.cfg.raft.snapshot;
        let fate = self.network.send(self.now, from, to, || {
            msg.held_bytes() > 0 || msg.snapshot_bytes(&snapshot).is_some()
        });
        let id = self.network.counters.sent;
        self.record(TraceEvent::Send {
            envelope: Envelope {
                from,
                to,
                msg: &msg,
            },
            id,
            fate,
        });
        if let Fate::Arrives { at, duplicate_at } = fate {
            debug_assert!(
                at >= self.now && duplicate_at.is_none_or(|d| d >= self.now),
                "a message never arrives before it leaves"
            );
            // A snapshot takes its transfer time on top of the latency.
            let transfer_us = msg
                .snapshot_bytes(&snapshot)
                .map_or(0, |bytes| snapshot.transfer_us(bytes));
            let at = at.plus_us(transfer_us);
            let duplicate_at = duplicate_at.map(|dup_at| dup_at.plus_us(transfer_us));
            if let Some(dup_at) = duplicate_at {
                let msg = msg.clone();
                self.queue
                    .push(dup_at, Event::Deliver { from, to, id, msg });
            }
            self.queue.push(at, Event::Deliver { from, to, id, msg });
        }
    }
}
