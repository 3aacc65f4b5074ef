//! A whole cluster under a script's control (etcd-io/raft's
//! InteractionEnv): nodes of any [`RaftNode`] implementation, a queue of
//! messages in flight that moves only when a command delivers it, timers
//! that fire only when a command fires them, links a command can cut, and
//! disks that make every write durable at once, or, with `async-storage`,
//! only when `process-ready` says so: then a node's writes and the sends it
//! timed after them (`SendTiming::AfterWrites`) wait in its ready queue,
//! and a crash loses them. Each command prints what happened: messages
//! sent (`1->2 Kind term=T field=value ...`), status changes (`1: leader
//! term=2 ...`), writes made durable, drops.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use crate::node::{
    Action, Boot, EntryData, HardState, Membership, MembershipChange, NodeId, NodeSet, Note,
    PersistWrite, ProposalId, RaftConfig, RaftNode, Role, SendTiming, Status, TimerKind,
};
use crate::rng::{Purpose, Stream};
use crate::time::Instant;

/// The seed of every node's timer stream in these scripts.
const SEED: u64 = 11;
/// The most deliveries one `stabilize` makes: a script that never settles
/// fails instead of hanging.
const MAX_DELIVERIES: usize = 10_000;
/// The most timer firings one `campaign` or `heartbeat` makes.
const MAX_FIRINGS: usize = 10_000;

struct Member<N: RaftNode> {
    /// None while crashed.
    node: Option<N>,
    disk: HardState,
    /// The timer stream, kept across a crash.
    rng: Option<Stream>,
    armed: BTreeMap<TimerKind, Instant>,
    /// With `async-storage`: the writes not yet durable and the sends
    /// waiting for them, in the order the node asked.
    ready: VecDeque<Held<N::Message>>,
}

/// What waits in a node's ready queue.
enum Held<M> {
    Write(PersistWrite),
    Send { to: NodeId, msg: M },
}

struct InFlight<M> {
    from: NodeId,
    to: NodeId,
    msg: M,
}

/// What a command waits for while it fires a node's timers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Until {
    /// The node stands: it starts a campaign or a pre-vote round.
    Campaign,
    /// The node sends something.
    Sends,
    /// The node's role changes (a leader stepping down, say).
    RoleChange,
}

pub(super) struct Env<N: RaftNode> {
    config: RaftConfig,
    now: Instant,
    members: Vec<Member<N>>,
    inflight: VecDeque<InFlight<N::Message>>,
    /// Campaigns and pre-vote rounds the nodes reported, in all.
    rounds: u64,
    /// Directed links (from, to) that are down.
    cut: BTreeSet<(NodeId, NodeId)>,
    next_proposal: ProposalId,
    /// Writes wait for `process-ready` instead of being durable at once.
    async_storage: bool,
}

use super::format::{format_message, format_node, format_status};

impl<N: RaftNode> Env<N> {
    /// `n` nodes, all started at time 0; `voters` start as the cluster
    /// (their disks hold that configuration), the others as spare
    /// machines with no configuration at all.
    pub(super) fn new(
        n: usize,
        config: RaftConfig,
        voters: NodeSet,
        async_storage: bool,
    ) -> (Env<N>, String) {
        let bootstrap = Membership::of_voters(voters);
        let mut env = Env {
            config,
            now: Instant::ZERO,
            members: (1..=n)
                .map(|id| Member {
                    node: None,
                    disk: match voters.contains(NodeId(id as u32)) {
                        true => HardState::bootstrap(bootstrap),
                        false => HardState::spare(bootstrap),
                    },
                    rng: Some(Stream::new(SEED, Purpose::NodeTimers, id as u64)),
                    armed: BTreeMap::new(),
                    ready: VecDeque::new(),
                })
                .collect(),
            inflight: VecDeque::new(),
            rounds: 0,
            cut: BTreeSet::new(),
            next_proposal: 1,
            async_storage,
        };
        let mut out = String::new();
        for i in 0..n {
            env.start(NodeId::from_index(i), &mut out);
        }
        (env, out)
    }

    pub(super) fn check(&self, id: NodeId) -> Result<(), String> {
        if (1..=self.members.len()).contains(&(id.0 as usize)) {
            Ok(())
        } else {
            Err(format!(
                "node {id} does not exist (the cluster has nodes 1..={})",
                self.members.len()
            ))
        }
    }

    fn start(&mut self, id: NodeId, out: &mut String) {
        let size = self.members.len();
        let member = &mut self.members[id.index()];
        assert!(member.node.is_none(), "node {id} is already running");
        let rng = member.rng.take().expect("a stopped node left its stream");
        member.armed.clear();
        let mut actions = Vec::new();
        let boot = Boot {
            id,
            cluster_size: size,
            config: &self.config,
            rng,
            disk: member.disk.clone(),
            now: self.now,
        };
        let node = N::start(boot, &mut actions);
        self.members[id.index()].node = Some(node);
        self.carry_out(id, actions, out, "");
        let status = self.status(id).expect("just started");
        writeln!(out, "{}", format_status(id, &status)).expect("writing to a String");
    }

    fn status(&self, id: NodeId) -> Option<Status> {
        self.members[id.index()].node.as_ref().map(N::status)
    }

    /// Runs one input through node `id` and carries out its actions,
    /// printing sends and a changed status with `indent`. Returns how many
    /// messages it sent.
    fn step(
        &mut self,
        id: NodeId,
        out: &mut String,
        indent: &str,
        input: impl FnOnce(&mut N, Instant, &mut Vec<Action<N::Message>>),
    ) -> usize {
        let now = self.now;
        let Some(node) = self.members[id.index()].node.as_mut() else {
            return 0;
        };
        let before = node.status();
        let config_before = node.membership();
        let mut actions = Vec::new();
        input(node, now, &mut actions);
        let queued = self.inflight.len();
        self.carry_out(id, actions, out, indent);
        let sent = self.inflight.len() - queued;
        let node = self.members[id.index()]
            .node
            .as_ref()
            .expect("a step does not crash a node");
        let after = node.status();
        let config_after = node.membership();
        if (after.role, after.term, after.leader, after.commit_index)
            != (before.role, before.term, before.leader, before.commit_index)
        {
            writeln!(out, "{indent}{}", format_status(id, &after)).expect("writing to a String");
        }
        if config_after != config_before {
            writeln!(out, "{indent}{id}: config={config_after}").expect("writing to a String");
        }
        sent
    }

    /// What the world does with a node's actions: sends queue in flight,
    /// timers are armed, writes are durable at once (and the node told);
    /// with `async-storage`, writes and the sends timed after them wait in
    /// the node's ready queue.
    fn carry_out(
        &mut self,
        id: NodeId,
        actions: Vec<Action<N::Message>>,
        out: &mut String,
        indent: &str,
    ) {
        for action in actions {
            match action {
                Action::Send { to, msg, timing } => {
                    let ready = &mut self.members[id.index()].ready;
                    let waits = timing == SendTiming::AfterWrites
                        && ready.iter().any(|h| matches!(h, Held::Write(_)));
                    if waits {
                        ready.push_back(Held::Send { to, msg });
                    } else {
                        self.send(id, to, msg, out, indent);
                    }
                }
                Action::SetTimer { kind, at } => {
                    assert!(at >= self.now, "node {id} set a timer in the past");
                    self.members[id.index()].armed.insert(kind, at);
                }
                Action::CancelTimer { kind } => {
                    self.members[id.index()].armed.remove(&kind);
                }
                Action::Persist(write) if self.async_storage => {
                    self.members[id.index()].ready.push_back(Held::Write(write));
                }
                Action::Persist(write) => {
                    let member = &mut self.members[id.index()];
                    member.disk.apply(&write);
                    let durable = member.disk.last_index();
                    let now = self.now;
                    let mut more = Vec::new();
                    if let Some(node) = member.node.as_mut() {
                        node.on_persisted(now, durable, &mut more);
                    }
                    self.carry_out(id, more, out, indent);
                }
                Action::Note(Note::PreVoteStarted { .. } | Note::CampaignStarted { .. }) => {
                    self.rounds += 1;
                }
                Action::Note(Note::Deposed { .. }) => {}
            }
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Message, out: &mut String, indent: &str) {
        writeln!(out, "{indent}{}", format_message(from, to, &msg)).expect("writing to a String");
        self.inflight.push_back(InFlight { from, to, msg });
    }

    /// With `async-storage`: makes node `id`'s waiting writes durable, in
    /// order, telling the node after each, and sends what waited for them.
    /// What that causes waits for the next `process-ready`.
    pub(super) fn process_ready(&mut self, id: NodeId, out: &mut String) {
        let held = std::mem::take(&mut self.members[id.index()].ready);
        for item in held {
            match item {
                Held::Write(write) => {
                    let disk = &mut self.members[id.index()].disk;
                    disk.apply(&write);
                    let durable = disk.last_index();
                    writeln!(
                        out,
                        "{id}: durable term={} vote={} last={durable}",
                        disk.term,
                        format_node(disk.voted_for)
                    )
                    .expect("writing to a String");
                    self.step(id, out, "  ", |node, now, actions| {
                        node.on_persisted(now, durable, actions)
                    });
                }
                Held::Send { to, msg } => self.send(id, to, msg, out, "  "),
            }
        }
    }

    /// Whether any node has writes or sends waiting.
    fn anything_ready(&self) -> bool {
        self.members.iter().any(|m| !m.ready.is_empty())
    }

    /// `ids`, or every node in id order if none is given.
    fn or_every_node(&self, ids: &[NodeId]) -> Vec<NodeId> {
        match ids.is_empty() {
            true => (0..self.members.len()).map(NodeId::from_index).collect(),
            false => ids.to_vec(),
        }
    }

    /// `process-ready` for `ids` (every node, if none is given).
    pub(super) fn process_ready_of(&mut self, ids: &[NodeId]) -> String {
        let mut out = String::new();
        for id in self.or_every_node(ids) {
            self.process_ready(id, &mut out);
        }
        out
    }

    /// Fires node `id`'s timers, earliest first, until it does what
    /// `until` waits for. The clock moves to each deadline (never back).
    pub(super) fn elapse(&mut self, id: NodeId, until: Until) -> Result<String, String> {
        let mut out = String::new();
        let start = self.status(id).ok_or(format!("node {id} is crashed"))?;
        for _ in 0..MAX_FIRINGS {
            let member = &mut self.members[id.index()];
            let (kind, at) = member
                .armed
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(kind, at)| (*kind, *at))
                .ok_or(format!("node {id} has no timer armed"))?;
            member.armed.remove(&kind);
            self.now = self.now.max(at);
            let rounds = self.rounds;
            let sent = self.step(id, &mut out, "", |node, now, actions| {
                node.on_timer(now, kind, actions)
            });
            let now = self.status(id).expect("still running");
            let done = match until {
                Until::Campaign => self.rounds > rounds,
                Until::Sends => sent > 0,
                Until::RoleChange => now.role != start.role,
            };
            if done {
                return Ok(out);
            }
        }
        Err(format!(
            "node {id} did nothing in {MAX_FIRINGS} timer firings"
        ))
    }

    /// Lets `us` pass for node `id`: fires each of its timers that falls
    /// due by then, earliest first (a timer it arms meanwhile too), and
    /// leaves the clock at the end of the span.
    pub(super) fn elapse_for(&mut self, id: NodeId, us: u64) -> Result<String, String> {
        let mut out = String::new();
        if self.status(id).is_none() {
            return Err(format!("node {id} is crashed"));
        }
        let deadline = self.now.plus_us(us);
        for _ in 0..MAX_FIRINGS {
            let member = &mut self.members[id.index()];
            let Some((kind, at)) = member
                .armed
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(kind, at)| (*kind, *at))
                .filter(|(_, at)| *at <= deadline)
            else {
                self.now = self.now.max(deadline);
                return Ok(out);
            };
            member.armed.remove(&kind);
            self.now = self.now.max(at);
            self.step(id, &mut out, "", |node, now, actions| {
                node.on_timer(now, kind, actions)
            });
        }
        Err(format!(
            "node {id} fired {MAX_FIRINGS} timers in {} ms",
            us / 1_000
        ))
    }

    /// Delivers one message: dropped if its link is cut or its receiver is
    /// down, else handed over and its effects printed beneath it.
    fn deliver(&mut self, message: InFlight<N::Message>, out: &mut String) {
        let InFlight { from, to, msg } = message;
        let line = format_message(from, to, &msg);
        if self.cut.contains(&(from, to)) {
            writeln!(out, "{line} dropped (link cut)").expect("writing to a String");
            return;
        }
        if self.members[to.index()].node.is_none() {
            writeln!(out, "{line} dropped (node down)").expect("writing to a String");
            return;
        }
        writeln!(out, "{line}").expect("writing to a String");
        self.step(to, out, "  ", |node, now, actions| {
            node.on_message(now, from, msg, actions)
        });
    }

    /// Delivers every message in flight, and what they cause, until none
    /// is left; with `async-storage`, whenever nothing is in flight, every
    /// node's ready queue is processed, until that too is empty.
    pub(super) fn stabilize(&mut self) -> Result<String, String> {
        let mut out = String::new();
        for _ in 0..MAX_DELIVERIES {
            if let Some(message) = self.inflight.pop_front() {
                self.deliver(message, &mut out);
            } else if self.anything_ready() {
                out.push_str(&self.process_ready_of(&[]));
            } else {
                return Ok(out);
            }
        }
        Err(format!(
            "still not stable after {MAX_DELIVERIES} deliveries"
        ))
    }

    /// Delivers the messages in flight now (from `from` and to `to` only,
    /// each if given); what they cause stays in flight.
    pub(super) fn deliver_msgs(&mut self, from: Option<NodeId>, to: Option<NodeId>) -> String {
        let mut out = String::new();
        let now: Vec<InFlight<N::Message>> = self.inflight.drain(..).collect();
        let (deliver, keep): (Vec<_>, Vec<_>) = now
            .into_iter()
            .partition(|m| from.is_none_or(|f| m.from == f) && to.is_none_or(|t| m.to == t));
        // What stays goes back first, ahead of what the deliveries send.
        self.inflight.extend(keep);
        for message in deliver {
            self.deliver(message, &mut out);
        }
        out
    }

    /// Drops the messages in flight from `from` and to `to` (each if given).
    pub(super) fn drop_msgs(&mut self, from: Option<NodeId>, to: Option<NodeId>) -> String {
        let mut out = String::new();
        self.inflight.retain(|m| {
            let drop = from.is_none_or(|f| m.from == f) && to.is_none_or(|t| m.to == t);
            if drop {
                writeln!(out, "{} dropped", format_message(m.from, m.to, &m.msg))
                    .expect("writing to a String");
            }
            !drop
        });
        out
    }

    pub(super) fn cut(&mut self, a: NodeId, b: NodeId) {
        self.cut.insert((a, b));
        self.cut.insert((b, a));
    }

    pub(super) fn isolate(&mut self, id: NodeId) {
        for i in 0..self.members.len() {
            let other = NodeId::from_index(i);
            if other != id {
                self.cut(id, other);
            }
        }
    }

    pub(super) fn heal(&mut self) {
        self.cut.clear();
    }

    pub(super) fn crash(&mut self, id: NodeId) -> Result<String, String> {
        let member = &mut self.members[id.index()];
        let node = member
            .node
            .take()
            .ok_or(format!("node {id} is already crashed"))?;
        member.rng = Some(node.into_rng());
        member.armed.clear();
        let lost = std::mem::take(&mut member.ready);
        let writes = lost.iter().filter(|h| matches!(h, Held::Write(_))).count();
        Ok(match (writes, lost.len() - writes) {
            (0, 0) => format!("{id}: crashed\n"),
            (w, m) => format!("{id}: crashed, losing {w} write(s) and {m} message(s) waiting\n"),
        })
    }

    pub(super) fn restart(&mut self, id: NodeId) -> Result<String, String> {
        if self.members[id.index()].node.is_some() {
            return Err(format!("node {id} is running: `crash {id}` first"));
        }
        let mut out = String::new();
        self.start(id, &mut out);
        Ok(out)
    }

    /// A client proposal handed to node `id`.
    pub(super) fn propose(&mut self, id: NodeId) -> Result<String, String> {
        if self.members[id.index()].node.is_none() {
            return Err(format!("node {id} is crashed"));
        }
        let proposal = self.next_proposal;
        self.next_proposal += 1;
        let mut out = String::new();
        let mut accepted = false;
        self.step(id, &mut out, "", |node, now, actions| {
            accepted = node.propose(now, proposal, actions);
        });
        if !accepted {
            assert!(out.is_empty(), "a refused proposal does nothing");
            let why = match self.status(id).map(|s| s.role) {
                Some(Role::Leader) => "the leader refused it",
                _ => "not the leader",
            };
            return Ok(format!("{id}: refused proposal {proposal} ({why})\n"));
        }
        Ok(out)
    }

    /// An operator's membership change handed to node `id`: what it sent
    /// and changed, or `refused: <reason>`.
    pub(super) fn change(
        &mut self,
        id: NodeId,
        change: MembershipChange,
    ) -> Result<String, String> {
        self.operate(id, |node, now, actions| {
            node.change_membership(now, change, actions)
        })
    }

    /// An operator asks node `id` to hand its leadership to `target`.
    pub(super) fn transfer(&mut self, id: NodeId, target: NodeId) -> Result<String, String> {
        self.operate(id, |node, now, actions| {
            node.transfer_leader(now, target, actions)
        })
    }

    /// Runs an operator's request through node `id`: its effects, then
    /// `refused: <reason>` if it refused.
    fn operate(
        &mut self,
        id: NodeId,
        request: impl FnOnce(&mut N, Instant, &mut Vec<Action<N::Message>>) -> Result<(), String>,
    ) -> Result<String, String> {
        if self.members[id.index()].node.is_none() {
            return Err(format!("node {id} is crashed"));
        }
        let mut out = String::new();
        let mut result = Ok(());
        self.step(id, &mut out, "", |node, now, actions| {
            result = request(node, now, actions);
        });
        if let Err(why) = result {
            writeln!(out, "refused: {why}").expect("writing to a String");
        }
        Ok(out)
    }

    /// Moves the clock forward by `us` without firing anything.
    pub(super) fn advance(&mut self, us: u64) {
        self.now = self.now.plus_us(us);
    }

    /// The status and configuration of `ids` (every node, if none is
    /// given), in the order given.
    pub(super) fn status_lines(&self, ids: &[NodeId]) -> String {
        let mut out = String::new();
        for id in self.or_every_node(ids) {
            match self.members[id.index()].node.as_ref() {
                Some(node) => writeln!(
                    out,
                    "{} config={}",
                    format_status(id, &node.status()),
                    node.membership()
                ),
                None => writeln!(out, "{id}: crashed"),
            }
            .expect("writing to a String");
        }
        out
    }

    /// Node `id`'s log: the snapshot, if any, then each entry's term (a
    /// configuration entry with its configuration: `2[voters=(1,2,3)]`).
    pub(super) fn log_line(&self, id: NodeId) -> String {
        let member = &self.members[id.index()];
        let Some(node) = member.node.as_ref() else {
            return format!("{id}: crashed\n");
        };
        let log = node.log();
        let terms: Vec<String> = log
            .entries
            .iter()
            .map(|e| match e.data {
                EntryData::Config(config) => format!("{}[{config}]", e.term),
                EntryData::Noop | EntryData::Proposal(_) => e.term.to_string(),
            })
            .collect();
        let snapshot = if log.snapshot_index > 0 {
            format!(" snapshot={}:{}", log.snapshot_index, log.snapshot_term)
        } else {
            String::new()
        };
        format!("{id}:{snapshot} log=[{}]\n", terms.join(","))
    }
}
