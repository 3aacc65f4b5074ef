//! The fault script during a run: resolves the node references of an event
//! when it fires, applies the fault to the network or the nodes, records
//! what it did (`series.faults`), and marks when each lasting fault ended.
//! Keeps what each `let` bound, and the `wait` events that are due but
//! cannot resolve yet: they are tried again after every fault and every
//! step in which a leader appeared (the only changes that can make a
//! reference resolve), never by polling.

use std::collections::{BTreeMap, BTreeSet};

use super::membership::NotDone;
use super::{Cluster, Event};
use crate::chaos::{ChaosDraw, NAME_PREFIX as CHAOS_NAME_PREFIX};
use crate::faults::{Fault, FaultRecord, NodeRef, ScriptEvent};
use crate::network::{LinkOverride, NetworkPatch};
use crate::node::{NodeId, RaftNode};
use crate::trace::TraceEvent;

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

/// What a fault does to a node's process.
#[derive(Clone, Copy)]
enum Process {
    Pause,
    Resume,
    /// The clock's new drift, parts per billion.
    SetClock(i64),
}

/// What applying a fault did: its description, the nodes it named and what
/// keeps it in effect (nothing for an instant fault).
struct Applied {
    description: String,
    nodes: Vec<NodeId>,
    open: Option<OpenFault>,
}

impl Applied {
    fn instant(description: String, nodes: Vec<NodeId>) -> Applied {
        Applied {
            description,
            nodes,
            open: None,
        }
    }

    fn lasting(description: String, nodes: Vec<NodeId>, open: OpenFault) -> Applied {
        Applied {
            description,
            nodes,
            open: Some(open),
        }
    }
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
            + self.bindings.len() as u64 * 2 * TEXT
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
            due: 0,
            chaos_names_own: !cfg.script.iter().any(|e| match &e.fault {
                Fault::Let(bindings) => bindings
                    .iter()
                    .any(|(name, _)| name.starts_with(CHAOS_NAME_PREFIX)),
                _ => false,
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

fn pairs_text(pairs: &[(NodeId, NodeId)], separator: &str) -> String {
    pairs
        .iter()
        .map(|(a, b)| format!("{a}{separator}{b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pair_nodes(pairs: &[(NodeId, NodeId)]) -> Vec<NodeId> {
    pairs.iter().flat_map(|&(a, b)| [a, b]).collect()
}

/// "latency 1–5 ms, loss 10%": the settings a patch or link override sets.
fn settings_text(
    latency_us: Option<(u64, u64)>,
    loss: Option<f64>,
    duplicate: Option<f64>,
    loss_first: bool,
) -> String {
    let latency = latency_us.map(|(min, max)| format!("latency {}–{} ms", min / 1000, max / 1000));
    let loss = loss.map(|p| format!("loss {}%", p * 100.0));
    let duplicate = duplicate.map(|p| format!("duplicate {}%", p * 100.0));
    let ordered = if loss_first {
        [loss, latency, duplicate]
    } else {
        [latency, loss, duplicate]
    };
    ordered.into_iter().flatten().collect::<Vec<_>>().join(", ")
}

/// Why a node reference does not resolve now. Built without text: the
/// waiting events are tried after every fault, and only a record of one
/// that never fired says why.
enum Unresolved<'a> {
    NoLeader,
    NoFollowers,
    FollowerMissing { k: usize, live: usize },
    NoneDown,
    Skipped { name: &'a str, reason: &'a str },
    Waiting { name: &'a str },
}

impl std::fmt::Display for Unresolved<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unresolved::NoLeader => f.write_str("there is no leader"),
            Unresolved::NoFollowers => f.write_str("there is no leader, so no followers"),
            Unresolved::FollowerMissing { k, live } => {
                write!(
                    f,
                    "follower:{k} asked for, but there are {live} live followers"
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
                let leader = self.current_leader().ok_or(Unresolved::NoFollowers)?;
                // The live voters of the leader's configuration, in order.
                let voters = self
                    .membership_of(leader)
                    .expect("the leader is up")
                    .all_voters();
                let followers = voters.intersection(self.live_set()).without(leader);
                followers
                    .iter()
                    .nth(k - 1)
                    .ok_or(Unresolved::FollowerMissing {
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

    /// Whether every reference of the fault resolves now, and a request
    /// for the leader has one (else why not).
    fn resolvable<'a>(&'a self, fault: &'a Fault) -> Result<(), Unresolved<'a>> {
        if fault.needs_leader() && self.current_leader().is_none() {
            return Err(Unresolved::NoLeader);
        }
        fault
            .references()
            .into_iter()
            .try_for_each(|node| self.locate(node).map(drop))
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
    }

    /// A script event is due: fires it, or keeps it waiting if it says
    /// `wait` and cannot resolve yet; then retries the waiting ones.
    pub(super) fn fault_due(&mut self, index: usize) {
        if index >= self.cfg.script.len() {
            self.queue_next_chaos();
        }
        let event = self.script_event(index);
        if event.wait && self.resolvable(&event.fault).is_err() {
            let entry = (self.script.due, index);
            self.script.due += 1;
            match self.never_resolves(index) {
                true => self.bury(entry),
                false => self.script.waiting.push(entry),
            }
            return;
        }
        self.apply_fault(index);
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
            if self.resolvable(&self.script_event(index).fault).is_ok() {
                self.script.waiting.remove(i);
                self.events += 1;
                self.apply_fault(index);
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
        event.fault.references().into_iter().any(|node| match node {
            NodeRef::Name(name) if name.starts_with(CHAOS_NAME_PREFIX) => {
                match self.script.bindings.get(name) {
                    Some(Err(_)) => true,
                    Some(Ok(_)) => false,
                    None => self.script.dead_names.contains(name),
                }
            }
            _ => false,
        })
    }

    /// Sets aside a waiting event that can never resolve; the names a dead
    /// `let` would have bound are dead too.
    fn bury(&mut self, entry: (u64, usize)) {
        if let Fault::Let(bindings) = &self.script_event(entry.1).fault {
            let names: Vec<String> = bindings.iter().map(|(name, _)| name.clone()).collect();
            self.script.dead_names.extend(names);
        }
        self.script.dead.push(entry);
    }

    /// At the end of the run, one record per `wait` event that was due
    /// but never resolved: at the instant it was due, skipped with
    /// "never resolved: <why>".
    pub(super) fn record_never_fired(&mut self) {
        let mut never = std::mem::take(&mut self.script.waiting);
        never.append(&mut self.script.dead);
        never.sort_unstable();
        for (_, index) in never {
            let event = self.script_event(index);
            let reason = self
                .resolvable(&event.fault)
                .err()
                .map(|why| why.to_string())
                .unwrap_or_default();
            let kind = event.fault.kind();
            self.script.records.push(FaultRecord {
                index: event.source.unwrap_or(index),
                at_ms: event.at.as_ms_f64(),
                kind,
                description: format!("{kind} (never fired)"),
                nodes: Vec::new(),
                skipped: Some(format!("never resolved: {reason}")),
                due_ms: None,
                until_ms: None,
                chaos: event.chaos,
                refused: None,
            });
            self.forget_event(index);
        }
    }

    fn resolve_pairs(&self, pairs: &[(NodeRef, NodeRef)]) -> Result<Vec<(NodeId, NodeId)>, String> {
        pairs
            .iter()
            .map(|(a, b)| Ok((self.resolve(a)?, self.resolve(b)?)))
            .collect()
    }

    /// Fires script event `index`: applies it (or records why it was
    /// skipped) and closes the faults it ends.
    pub(super) fn apply_fault(&mut self, index: usize) {
        let event = self.script_event(index);
        let (fault, due, source, chaos) = (
            event.fault.clone(),
            event.at,
            event.source.unwrap_or(index),
            event.chaos,
        );
        let outcome = match &fault {
            Fault::Request(request) => self
                .apply_request(request)
                .map(|(description, nodes)| Applied::instant(description, nodes)),
            other => self.apply(other).map_err(NotDone::Skipped),
        };
        let (applied, skipped, refused) = match outcome {
            Ok(applied) => (applied, None, None),
            Err(NotDone::Skipped(reason)) => (
                Applied::instant(format!("{} (skipped)", fault.kind()), Vec::new()),
                Some(reason),
                None,
            ),
            Err(NotDone::Refused { leader, reason }) => (
                Applied::instant(
                    format!("{} (refused by {leader})", fault.kind()),
                    Vec::new(),
                ),
                Some(format!("leader {leader} refused it: {reason}")),
                Some(reason),
            ),
        };
        self.record(TraceEvent::Fault {
            index,
            description: &applied.description,
            skipped: skipped.is_some(),
        });
        let record = self.script.records.len();
        self.script.records.push(FaultRecord {
            index: source,
            at_ms: self.now.as_ms_f64(),
            kind: fault.kind(),
            description: applied.description,
            nodes: applied.nodes,
            skipped,
            due_ms: (due != self.now).then(|| due.as_ms_f64()),
            until_ms: None,
            chaos,
            refused,
        });
        self.close_ended_faults(&fault);
        if let Some(open) = applied.open {
            self.script.open.push((record, open));
        }
        self.after_fault(record);
    }

    /// Applies a fault, or says why it cannot be applied now.
    fn apply(&mut self, fault: &Fault) -> Result<Applied, String> {
        Ok(match fault {
            Fault::Isolate(node) => self.isolate(self.resolve(node)?),
            Fault::Partition(groups) => self.partition(groups),
            Fault::Cut(pairs) => self.cut(self.resolve_pairs(pairs)?),
            Fault::CutOneway(pairs) => {
                let pairs = self.resolve_pairs(pairs)?;
                for &(a, b) in &pairs {
                    self.network.cut_oneway(a, b);
                }
                let text = format!("cut {}", pairs_text(&pairs, "→"));
                Applied::lasting(text, pair_nodes(&pairs), OpenFault::Links(pairs))
            }
            Fault::Restore(pairs) => {
                let pairs = self.resolve_pairs(pairs)?;
                for &(a, b) in &pairs {
                    self.network.restore(a, b);
                }
                let text = format!("restore {}", pairs_text(&pairs, "-"));
                Applied::instant(text, pair_nodes(&pairs))
            }
            Fault::Heal => {
                self.network.heal();
                Applied::instant("heal".to_string(), Vec::new())
            }
            Fault::Crash(node) => {
                let node = self.resolve(node)?;
                if !self.slots[node.index()].live {
                    return Err(format!("node {node} is already down"));
                }
                self.crash(node);
                Applied::lasting(format!("crash {node}"), vec![node], OpenFault::Crash(node))
            }
            Fault::Restart(node) => {
                let node = self.resolve(node)?;
                if self.slots[node.index()].live {
                    return Err(format!("node {node} is not down"));
                }
                self.restart(node);
                Applied::instant(format!("restart {node}"), vec![node])
            }
            Fault::ResetNetwork => {
                self.network.reset(self.cfg.network);
                Applied::instant("network reset".to_string(), Vec::new())
            }
            Fault::SetNetwork(patch) => {
                self.network.apply_patch(*patch);
                let text = settings_text(patch.latency_us, patch.loss, patch.duplicate, false);
                Applied::lasting(
                    format!("network {text}"),
                    Vec::new(),
                    OpenFault::SetNetwork(*patch),
                )
            }
            Fault::SetLink { between, link } => {
                let (a, b) = (self.resolve(&between.0)?, self.resolve(&between.1)?);
                self.set_link(a, b, *link)
            }
            Fault::Let(bindings) => self.bind(bindings)?,
            Fault::Pause(node) => self.apply_to_process(node, Process::Pause)?,
            Fault::Resume(node) => self.apply_to_process(node, Process::Resume)?,
            Fault::SetClock { node, drift_ppb } => {
                self.apply_to_process(node, Process::SetClock(*drift_ppb))?
            }
            Fault::Request(_) => unreachable!("requests go to apply_request"),
        })
    }

    /// `pause`, `resume` and `set_clock`: faults of a node's process.
    fn apply_to_process(&mut self, node: &NodeRef, action: Process) -> Result<Applied, String> {
        let node = self.resolve(node)?;
        Ok(match action {
            Process::Pause => {
                let text = self.pause(node)?;
                Applied::lasting(text, vec![node], OpenFault::Pause(node))
            }
            Process::Resume => Applied::instant(self.resume(node)?, vec![node]),
            Process::SetClock(drift_ppb) => {
                self.slots[node.index()].clock.set_drift_ppb(drift_ppb);
                let ppm = drift_ppb as f64 / crate::cluster::PPB_PER_PPM;
                Applied::instant(format!("clock {node} drift {ppm} ppm"), vec![node])
            }
        })
    }

    /// A `let`: every reference resolved at this instant, or none bound
    /// (each name then records why, for the events that use it).
    fn bind(&mut self, bindings: &[(String, NodeRef)]) -> Result<Applied, String> {
        let resolved: Result<Vec<NodeId>, String> = bindings
            .iter()
            .map(|(_, node)| self.resolve(node))
            .collect();
        match resolved {
            Ok(nodes) => {
                let text = bindings
                    .iter()
                    .zip(&nodes)
                    .map(|((name, _), node)| format!("{name}={node}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                for ((name, _), &node) in bindings.iter().zip(&nodes) {
                    self.script.bindings.insert(name.clone(), Ok(node));
                }
                Ok(Applied::instant(format!("let {text}"), nodes))
            }
            Err(reason) => {
                for (name, _) in bindings {
                    self.script
                        .bindings
                        .insert(name.clone(), Err(reason.clone()));
                }
                Err(reason)
            }
        }
    }

    fn isolate(&mut self, node: NodeId) -> Applied {
        self.network.isolate(node);
        let links = (0..self.cfg.nodes)
            .map(NodeId::from_index)
            .filter(|&other| other != node)
            .flat_map(|other| [(node, other), (other, node)])
            .collect();
        Applied::lasting(
            format!("isolate {node}"),
            vec![node],
            OpenFault::Links(links),
        )
    }

    fn partition(&mut self, groups: &[Vec<NodeId>]) -> Applied {
        self.network.partition(groups);
        let group_of = |n: NodeId| groups.iter().position(|g| g.contains(&n));
        let all: Vec<NodeId> = (0..self.cfg.nodes).map(NodeId::from_index).collect();
        let links: Vec<(NodeId, NodeId)> = all
            .iter()
            .flat_map(|&a| all.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| group_of(a) != group_of(b))
            .collect();
        let text = groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(NodeId::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join(" | ");
        let description = format!("partition {text}");
        // One group cuts nothing, so nothing stays open.
        match links.is_empty() {
            true => Applied::instant(description, groups.concat()),
            false => Applied::lasting(description, groups.concat(), OpenFault::Links(links)),
        }
    }

    fn cut(&mut self, pairs: Vec<(NodeId, NodeId)>) -> Applied {
        let mut links = Vec::new();
        for &(a, b) in &pairs {
            self.network.cut(a, b);
            links.extend([(a, b), (b, a)]);
        }
        let text = format!("cut {}", pairs_text(&pairs, "-"));
        Applied::lasting(text, pair_nodes(&pairs), OpenFault::Links(links))
    }

    fn set_link(&mut self, a: NodeId, b: NodeId, link: LinkOverride) -> Applied {
        self.network.set_link(a, b, link);
        let mut text = settings_text(link.latency_us, link.loss, None, true);
        if let Some(on) = link.drop_payloads {
            let filter = if on {
                "drops payloads"
            } else {
                "passes payloads"
            };
            text = [text.as_str(), filter]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
        }
        Applied::lasting(
            format!("link {a}-{b} {text}"),
            vec![a, b],
            OpenFault::SetLink(a, b),
        )
    }

    /// Marks the end of every open fault that is no longer in effect.
    fn close_ended_faults(&mut self, latest: &Fault) {
        let at_ms = self.now.as_ms_f64();
        let latest_record = self.script.records.len() - 1;
        let latest_nodes = self.script.records[latest_record].nodes.clone();
        let network = &self.network;
        let slots = &self.slots;
        let records = &mut self.script.records;
        self.script.open.retain_mut(|(record, open)| {
            let ended = match open {
                OpenFault::Links(links) => links.iter().all(|&(a, b)| network.link_up(a, b)),
                OpenFault::Crash(node) => slots[node.index()].live,
                OpenFault::Pause(node) => !slots[node.index()].paused,
                OpenFault::SetNetwork(open) => match latest {
                    Fault::ResetNetwork => true,
                    Fault::SetNetwork(later) => {
                        // What the later patch sets again is no longer ours.
                        open.latency_us = open.latency_us.filter(|_| later.latency_us.is_none());
                        open.loss = open.loss.filter(|_| later.loss.is_none());
                        open.duplicate = open.duplicate.filter(|_| later.duplicate.is_none());
                        *open == NetworkPatch::default()
                    }
                    Fault::Isolate(_)
                    | Fault::Partition(_)
                    | Fault::Cut(_)
                    | Fault::CutOneway(_)
                    | Fault::Restore(_)
                    | Fault::Heal
                    | Fault::Crash(_)
                    | Fault::Restart(_)
                    | Fault::SetLink { .. }
                    | Fault::Let(_)
                    | Fault::Pause(_)
                    | Fault::Resume(_)
                    | Fault::SetClock { .. }
                    | Fault::Request(_) => false,
                },
                OpenFault::SetLink(a, b) => {
                    matches!(latest, Fault::SetLink { .. })
                        && (latest_nodes == [*a, *b] || latest_nodes == [*b, *a])
                }
            };
            if ended {
                records[*record].until_ms = Some(at_ms);
            }
            !ended
        });
    }
}
