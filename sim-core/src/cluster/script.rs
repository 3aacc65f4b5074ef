//! The fault script during a run: resolves the node references of an event
//! when it fires; `script/apply.rs` applies the fault to the network or the
//! nodes, records what it did (`series.faults`), and marks when each
//! lasting fault ended.
//! Keeps what each `let` bound, and the `wait` events that are due but
//! cannot resolve yet: they are tried again after every fault and every
//! step in which a leader appeared (the only changes that can make a
//! reference resolve), never by polling. An event timed from a `let`
//! (`after`) that comes due before its `let` has fired is held until it
//! fires, then queued as long after it as it says; one whose `let` fired
//! late is queued again as much later.

mod apply;

use std::collections::{BTreeMap, BTreeSet};

use super::{Cluster, Event};
use crate::chaos::{ChaosDraw, NAME_PREFIX as CHAOS_NAME_PREFIX};
use crate::faults::{Fault, FaultRecord, NodeRef, ScriptEvent};
use crate::network::NetworkPatch;
use crate::node::{LogIndex, NodeId, NodeSet, RaftNode, Term};
use crate::time::Instant;

/// Why a fault stays in effect, to find when it ends.
enum OpenFault {
    Links(Vec<(NodeId, NodeId)>),
    Crash(NodeId),
    Pause(NodeId),
    /// A `set_network` patch: the settings it changed that no later patch
    /// has changed again.
    SetNetwork(NetworkPatch),
    SetLink(NodeId, NodeId),
}

pub(super) struct Script {
    /// One record per event fired, in firing order.
    pub(super) records: Vec<FaultRecord>,
    /// Faults still in effect: (record index, what keeps it open).
    open: Vec<(usize, OpenFault)>,
    /// Nodes that are down, in crash order (`"crashed"` is the last).
    pub(super) crashed: Vec<NodeId>,
    /// What each `let` that fired bound a name to, or why it was skipped.
    bindings: BTreeMap<String, Result<NodeId, String>>,
    /// `wait` events that are due but cannot resolve yet, in due order:
    /// (their place in that order, index).
    waiting: Vec<(u64, usize)>,
    /// Waiting chaos events that can never resolve (`never_resolves`):
    /// no longer tried, recorded at the end with the others.
    dead: Vec<(u64, usize)>,
    /// The names bound only by a chaos `let` that can never fire.
    dead_names: BTreeSet<String>,
    /// When the `let` binding each name fired (bound or skipped).
    fired_at: BTreeMap<String, Instant>,
    /// Events timed from a `let` that has not fired yet, by its name:
    /// (their place in the order events became due, index).
    held: BTreeMap<String, Vec<(u64, usize)>>,
    /// When an event timed from a `let` that fired late is due instead.
    moved: BTreeMap<usize, Instant>,
    /// Waiting events (`wait_ms`) whose deadline is queued: when it comes,
    /// one still waiting is skipped.
    deadlines: BTreeSet<usize>,
    /// How many events have become due while waiting.
    due: u64,
    /// No event of the file binds a name of the chaos form, so each chaos
    /// name is bound by its episode's `let` alone.
    chaos_names_own: bool,
    /// The chaos still to draw: one chaos event is queued at a time, the
    /// next drawn when it fires (so a week of chaos costs what one episode
    /// does).
    draw: Option<ChaosDraw>,
    /// The chaos events queued or waiting, by their number in the script
    /// (after the file's events).
    chaos: BTreeMap<usize, ScriptEvent>,
    /// The first of the queue sequences set aside for the chaos events:
    /// each runs where it would have, had every chaos event been queued as
    /// the run started.
    first_seq: u64,
}

/// The most chaos events of one run (each one counts against the event
/// limit long before).
const MAX_CHAOS_EVENTS_PER_RUN: u64 = 1 << 48;

impl Script {
    /// The memory the script holds, about: the fault records (each with
    /// its description), the names bound and the chaos events queued.
    pub(super) fn held_bytes(&self) -> u64 {
        const TEXT: u64 = 64;
        let record = std::mem::size_of::<FaultRecord>() as u64 + TEXT;
        let event = std::mem::size_of::<ScriptEvent>() as u64 + TEXT;
        self.records.capacity() as u64 * record
            + self.bindings.len() as u64 * 3 * TEXT
            + self.chaos.len() as u64 * event
    }

    pub(super) fn new(cfg: &super::ClusterConfig) -> Script {
        Script {
            records: Vec::new(),
            open: Vec::new(),
            crashed: Vec::new(),
            bindings: BTreeMap::new(),
            waiting: Vec::new(),
            dead: Vec::new(),
            dead_names: BTreeSet::new(),
            fired_at: BTreeMap::new(),
            held: BTreeMap::new(),
            moved: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            due: 0,
            chaos_names_own: !cfg.script.iter().any(|e| {
                let Fault::Let(bindings) = &e.fault else {
                    return false;
                };
                bindings
                    .iter()
                    .any(|(name, _)| name.starts_with(CHAOS_NAME_PREFIX))
            }),
            draw: cfg
                .chaos
                .as_ref()
                .map(|plan| plan.draw(cfg.nodes, cfg.members)),
            chaos: BTreeMap::new(),
            first_seq: 0,
        }
    }
}

/// Why a node reference does not resolve now. Built without text: the
/// waiting events are tried after every fault, and only a record of one
/// that never fired says why.
enum Unresolved<'a> {
    NoLeader,
    NoFollowers,
    FollowerMissing {
        what: &'static str,
        k: usize,
        live: usize,
    },
    NoneDown,
    Skipped {
        name: &'a str,
        reason: &'a str,
    },
    Waiting {
        name: &'a str,
    },
}

impl std::fmt::Display for Unresolved<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unresolved::NoLeader => f.write_str("there is no leader"),
            Unresolved::NoFollowers => f.write_str("there is no leader, so no followers"),
            Unresolved::FollowerMissing { what, k, live } => {
                write!(
                    f,
                    "{what}:{k} asked for, but there are {live} live followers"
                )
            }
            Unresolved::NoneDown => f.write_str("no node is down"),
            Unresolved::Skipped { name, reason } => {
                write!(f, "{name} is not bound: its let was skipped ({reason})")
            }
            Unresolved::Waiting { name } => {
                write!(f, "{name} is not bound yet: its let is still waiting")
            }
        }
    }
}

impl<N: RaftNode> Cluster<'_, N> {
    pub(super) fn resolve(&self, node: &NodeRef) -> Result<NodeId, String> {
        self.locate(node).map_err(|why| why.to_string())
    }

    /// The node a reference names now, or why none.
    fn locate<'a>(&'a self, node: &'a NodeRef) -> Result<NodeId, Unresolved<'a>> {
        match node {
            NodeRef::Id(id) => Ok(*id),
            NodeRef::Leader => self.current_leader().ok_or(Unresolved::NoLeader),
            NodeRef::Follower(k) => {
                let followers = self.live_followers()?;
                followers
                    .iter()
                    .nth(k - 1)
                    .ok_or(Unresolved::FollowerMissing {
                        what: "follower",
                        k: *k,
                        live: followers.len(),
                    })
            }
            NodeRef::Freshest(k) => {
                let followers = self.live_followers()?;
                let mut ranked: Vec<(Term, LogIndex, NodeId)> = followers
                    .iter()
                    .filter_map(|id| {
                        let status = self.slots[id.index()].node()?.status();
                        Some((status.last_term, status.last_index, id))
                    })
                    .collect();
                // Most up to date first; ties by id.
                ranked.sort_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)).then(a.2.cmp(&b.2)));
                ranked
                    .get(k - 1)
                    .map(|&(_, _, id)| id)
                    .ok_or(Unresolved::FollowerMissing {
                        what: "freshest",
                        k: *k,
                        live: followers.len(),
                    })
            }
            NodeRef::Crashed => self
                .script
                .crashed
                .last()
                .copied()
                .ok_or(Unresolved::NoneDown),
            NodeRef::Name(name) => match self.script.bindings.get(name) {
                Some(Ok(id)) => Ok(*id),
                Some(Err(reason)) => Err(Unresolved::Skipped { name, reason }),
                None => Err(Unresolved::Waiting { name }),
            },
        }
    }

    /// The live voters of the leader's configuration other than the
    /// leader, in order: the nodes `follower:K` and `freshest:K` count.
    fn live_followers<'a>(&self) -> Result<NodeSet, Unresolved<'a>> {
        let leader = self.current_leader().ok_or(Unresolved::NoFollowers)?;
        let voters = self
            .membership_of(leader)
            .expect("the leader is up")
            .all_voters();
        Ok(voters.intersection(self.live_set()).without(leader))
    }

    /// Whether every reference of the event resolves now, its anchor's
    /// `let` bound its names, and a request for the leader has one (else
    /// why not).
    fn resolvable<'a>(&'a self, event: &'a ScriptEvent) -> Result<(), Unresolved<'a>> {
        if event.fault.needs_leader() && self.current_leader().is_none() {
            return Err(Unresolved::NoLeader);
        }
        self.anchor_bound(event)?;
        event
            .fault
            .references()
            .into_iter()
            .try_for_each(|node| self.locate(node).map(drop))
    }

    /// Whether the `let` an event is timed from bound its names (else why
    /// not: it was skipped).
    fn anchor_bound<'a>(&'a self, event: &'a ScriptEvent) -> Result<(), Unresolved<'a>> {
        match &event.after {
            None => Ok(()),
            Some(after) => match self.script.bindings.get(&after.name) {
                Some(Err(reason)) => Err(Unresolved::Skipped {
                    name: &after.name,
                    reason,
                }),
                Some(Ok(_)) | None => Ok(()),
            },
        }
    }

    /// Script event `index`: one of the file's, or a chaos event drawn.
    fn script_event(&self, index: usize) -> &ScriptEvent {
        match self.cfg.script.get(index) {
            Some(event) => event,
            None => &self.script.chaos[&index],
        }
    }

    /// The run starts: queues the first chaos event.
    pub(super) fn start_chaos(&mut self) {
        self.script.first_seq = self.queue.reserve(MAX_CHAOS_EVENTS_PER_RUN);
        self.queue_next_chaos();
    }

    /// Draws the next chaos event, if any, and queues it.
    fn queue_next_chaos(&mut self) {
        let Some(draw) = self.script.draw.as_mut() else {
            return;
        };
        // The event's number among the chaos events, before it is drawn.
        let k = draw.yielded();
        let Some(event) = draw.next() else {
            return;
        };
        let drawn = u64::try_from(k).expect("a chaos event's number fits");
        assert!(drawn < MAX_CHAOS_EVENTS_PER_RUN, "chaos events to spare");
        let index = self.cfg.script.len() + k;
        self.queue
            .push_reserved(event.at, self.script.first_seq + drawn, Event::Fault(index));
        self.script.chaos.insert(index, event);
    }

    /// Done with script event `index` (fired, or never to fire).
    fn forget_event(&mut self, index: usize) {
        if index >= self.cfg.script.len() {
            self.script.chaos.remove(&index);
        }
        self.script.moved.remove(&index);
    }

    /// Queues event `index`, timed from a `let` that fired late, at `due`.
    fn move_to(&mut self, index: usize, due: Instant) {
        debug_assert!(due >= self.now, "an event is moved later, never earlier");
        self.script.moved.insert(index, due);
        self.queue.push(due, Event::Fault(index));
    }

    /// When event `index` is due: when its file or the chaos says, or
    /// later if it is timed from a `let` that fired late.
    fn due_at(&self, index: usize) -> Instant {
        self.script
            .moved
            .get(&index)
            .copied()
            .unwrap_or_else(|| self.script_event(index).at)
    }

    /// The `let` binding these names fired now: the events held for it
    /// are queued as long after now as each says.
    fn anchors_fired(&mut self, bindings: &[(String, NodeRef)]) {
        for (name, _) in bindings {
            self.script.fired_at.insert(name.clone(), self.now);
            for (_, index) in self.script.held.remove(name).unwrap_or_default() {
                let offset = self
                    .script_event(index)
                    .after
                    .as_ref()
                    .map_or(0, |after| after.offset_us);
                self.move_to(index, self.now.plus_us(offset));
            }
        }
    }

    /// A script event is due: fires it, or keeps it waiting if it says
    /// `wait` and cannot resolve yet; then retries the waiting ones. One
    /// timed from a `let` that has not fired yet is held for it, and one
    /// whose `let` fired late is queued again as much later.
    pub(super) fn fault_due(&mut self, index: usize) {
        if self.script.deadlines.remove(&index) {
            self.wait_over(index);
            return;
        }
        // A chaos event's first time due draws the next one.
        if index >= self.cfg.script.len() && !self.script.moved.contains_key(&index) {
            self.queue_next_chaos();
        }
        let event = self.script_event(index);
        if let Some(after) = &event.after {
            match self.script.fired_at.get(&after.name) {
                None => {
                    let name = after.name.clone();
                    let entry = (self.script.due, index);
                    self.script.due += 1;
                    self.script.held.entry(name).or_default().push(entry);
                    return;
                }
                Some(&fired) => {
                    let due = fired.plus_us(after.offset_us);
                    if due > self.now {
                        self.move_to(index, due);
                        return;
                    }
                }
            }
        }
        let event = self.script_event(index);
        if event.wait && self.resolvable(event).is_err() {
            let limit = event.wait_limit_us;
            let entry = (self.script.due, index);
            self.script.due += 1;
            match self.never_resolves(index) {
                true => self.bury(entry),
                false => {
                    self.script.waiting.push(entry);
                    if let Some(limit_us) = limit {
                        self.script.deadlines.insert(index);
                        self.queue
                            .push(self.now.plus_us(limit_us), Event::Fault(index));
                    }
                }
            }
            return;
        }
        self.apply_fault(index, None);
        self.forget_event(index);
        self.retry_waiting_faults();
    }

    /// The deadline of event `index` (`wait_ms`) came: if it is still
    /// waiting, it is skipped now, saying why it could not fire (a `let`
    /// skipped so leaves its names unbound, and the events timed from it
    /// are skipped in turn).
    fn wait_over(&mut self, index: usize) {
        let Some(position) = self.script.waiting.iter().position(|&(_, i)| i == index) else {
            return;
        };
        self.script.waiting.remove(position);
        let event = self.script_event(index);
        let why = self
            .resolvable(event)
            .err()
            .map(|why| why.to_string())
            .unwrap_or_default();
        let waited_ms = self.now.us_since(self.due_at(index)) as f64 / 1000.0;
        self.apply_fault(index, Some(format!("waited {waited_ms} ms in vain: {why}")));
        self.forget_event(index);
        self.retry_waiting_faults();
    }

    /// Fires every waiting event that resolves now, in due order, until
    /// none does (a `let` or a crash fired may let another resolve). Each
    /// counts as an engine event, and none fires past the event limit.
    pub(super) fn retry_waiting_faults(&mut self) {
        let mut i = 0;
        while i < self.script.waiting.len() && !self.events_spent() {
            let (_, index) = self.script.waiting[i];
            if self.resolvable(self.script_event(index)).is_ok() {
                self.script.waiting.remove(i);
                self.events += 1;
                self.apply_fault(index, None);
                self.forget_event(index);
                i = 0;
            } else if self.never_resolves(index) {
                let entry = self.script.waiting.remove(i);
                self.bury(entry);
            } else {
                i += 1;
            }
        }
    }

    /// Whether waiting chaos event `index` can never resolve: it names a
    /// chaos name whose `let` was skipped, or that only a `let` that can
    /// never fire binds. Each chaos name is bound by its episode's `let`
    /// alone (unless the file binds names of that form: then none is
    /// declared dead), so such an event would wait to the end of the run;
    /// it is no longer tried after every fault, and a week of chaos does
    /// not try ever more of them.
    fn never_resolves(&self, index: usize) -> bool {
        let event = self.script_event(index);
        if !event.chaos || !self.script.chaos_names_own {
            return false;
        }
        event
            .needs_bound()
            .filter(|name| name.starts_with(CHAOS_NAME_PREFIX))
            .any(|name| match self.script.bindings.get(name) {
                Some(Err(_)) => true,
                Some(Ok(_)) => false,
                None => self.script.dead_names.contains(name),
            })
    }

    /// Sets aside a waiting event that can never resolve; the names a dead
    /// `let` would have bound are dead too, and the events timed from it
    /// are queued now, to be skipped in turn rather than held to the end.
    fn bury(&mut self, entry: (u64, usize)) {
        if let Fault::Let(bindings) = &self.script_event(entry.1).fault {
            let bindings = bindings.clone();
            let names = bindings.iter().map(|(name, _)| name.clone());
            self.script.dead_names.extend(names);
            self.settle_let(&bindings, Err("its let can never fire"));
        }
        self.script.dead.push(entry);
    }

    /// At the end of the run, one record per `wait` event that was due
    /// but never resolved: at the instant it was due, skipped with
    /// "never resolved: <why>".
    pub(super) fn record_never_fired(&mut self) {
        let mut never = std::mem::take(&mut self.script.waiting);
        never.append(&mut self.script.dead);
        // And those held for a `let` that never fired.
        never.extend(
            std::mem::take(&mut self.script.held)
                .into_values()
                .flatten(),
        );
        never.sort_unstable();
        for (_, index) in never {
            let event = self.script_event(index);
            let reason = match &event.after {
                Some(after) if !self.script.fired_at.contains_key(&after.name) => {
                    Err(Unresolved::Waiting { name: &after.name })
                }
                Some(_) | None => self.resolvable(event),
            };
            let reason = reason.err().map(|why| why.to_string()).unwrap_or_default();
            self.record_never(index, format!("never resolved: {reason}"));
        }
        // Moved by a `let` that fired late to after the run stopped.
        let mut late: Vec<(Instant, usize)> = self
            .script
            .moved
            .iter()
            .map(|(&index, &due)| (due, index))
            .collect();
        late.sort_unstable();
        for (due, index) in late {
            let reason = format!(
                "never fired: its let fired late, so it came due at {} ms, after the run stopped",
                due.as_ms_f64()
            );
            self.record_never(index, reason);
        }
    }

    /// The record of event `index`, which never fired, at the instant it
    /// was first due.
    fn record_never(&mut self, index: usize, reason: String) {
        let event = self.script_event(index);
        let kind = event.fault.kind();
        self.script.records.push(FaultRecord {
            index: event.source.unwrap_or(index),
            at_ms: event.at.as_ms_f64(),
            kind,
            description: format!("{kind} (never fired)"),
            nodes: Vec::new(),
            skipped: Some(reason),
            due_ms: None,
            until_ms: None,
            chaos: event.chaos,
            refused: None,
        });
        self.forget_event(index);
    }

    fn resolve_pairs(&self, pairs: &[(NodeRef, NodeRef)]) -> Result<Vec<(NodeId, NodeId)>, String> {
        pairs
            .iter()
            .map(|(a, b)| Ok((self.resolve(a)?, self.resolve(b)?)))
            .collect()
    }
}
