//! Scripted events: checking each `events[i]` of a file (node references,
//! link pairs, partitions, one action per event) into the engine's
//! [`ScriptEvent`]s; `write_back.rs` is the other direction. It never resolves a node reference against a running cluster ("leader"
//! stays a reference until the fault fires) and never reorders the script:
//! a fault record's `index` is its event's position in the file.

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::{MAX_DRIFT_PPB, PPB_PER_PPM};
use crate::faults::{After, Fault, NodeRef, ScriptEvent, RANKED_FOLLOWERS};
use crate::network::{LinkOverride, NetworkPatch};
use crate::node::{NodeId, MAX_NODES};
use crate::time::{Instant, US_PER_MS};

/// The longest `stall_disk`: one day.
const MAX_DISK_STALL_US: u64 = 86_400_000 * US_PER_MS;

use super::ms::{range_us, Ms};
use super::timing::{TimedEvent, MAX_FIRINGS, MAX_REPEAT_TIMES};
use super::validate::Check;
use super::{
    EventSpec, NetworkSpec, NodeRefSpec, ScenarioFile, SetClockSpec, SetLinkSpec, StallDiskSpec,
    MAX_EVENTS_IN_SCRIPT,
};

impl Check {
    /// The `events` section: its length, then each event in file order.
    /// Node references are only checked against a valid cluster size.
    pub(super) fn events(&mut self, file: &ScenarioFile) -> Vec<TimedEvent> {
        self.events_in("events", &file.events, file)
    }

    /// A list of events at `prefix` (the file's `events`, or a variant's
    /// own), checked as a script of its own: names bound in one list are
    /// unknown in another.
    pub(super) fn events_in(
        &mut self,
        prefix: &str,
        events: &[EventSpec],
        file: &ScenarioFile,
    ) -> Vec<TimedEvent> {
        self.names.clear();
        self.rebound.clear();
        if events.len() > MAX_EVENTS_IN_SCRIPT {
            self.fail(
                prefix,
                format!(
                    "{} events is more than the limit of {MAX_EVENTS_IN_SCRIPT}",
                    events.len()
                ),
            );
        }
        // Where each name is bound (its first `let`), to check every use;
        // a `let` timed from an earlier one binds that much after it.
        for (i, event) in events.iter().enumerate() {
            let base = event
                .after
                .as_ref()
                .and_then(|anchor| self.names.get(anchor))
                .filter(|(j, _)| *j < i)
                .map_or(Ms::default(), |&(_, bound_ms)| bound_ms);
            let bound_ms = Ms::from_us(base.us().saturating_add(event.at_ms.max().us()));
            for name in event.bind.iter().flat_map(|b| b.keys()) {
                self.names.entry(name.clone()).or_insert((i, bound_ms));
                if event.repeat.is_some_and(|r| r.times > 1) {
                    self.rebound.insert(name.clone());
                }
            }
        }
        let firings: u64 = events
            .iter()
            .map(|e| e.repeat.map_or(1, |r| r.times.min(MAX_REPEAT_TIMES)))
            .sum();
        if firings > MAX_FIRINGS {
            self.fail(
                prefix,
                format!("the events fire {firings} times in all (repetitions counted): the limit is {MAX_FIRINGS}"),
            );
        }
        let nodes_ok = (1..=MAX_NODES as u64).contains(&file.nodes);
        if nodes_ok {
            events
                .iter()
                .enumerate()
                .filter_map(|(i, e)| self.event(&format!("{prefix}[{i}]"), i, e, file))
                .collect()
        } else {
            Vec::new()
        }
    }

    fn event(
        &mut self,
        path: &str,
        i: usize,
        event: &EventSpec,
        file: &ScenarioFile,
    ) -> Option<TimedEvent> {
        let path = path.to_string();
        let nodes = file.nodes;
        let anchor = event
            .after
            .as_ref()
            .and_then(|name| self.anchor(&path, i, name, event));
        let base_ms = anchor.map_or(Ms::default(), |(_, bound_ms)| bound_ms);
        let (at_us, every_us, times) = self.timing(&path, event, file.duration_ms, base_ms.us());
        self.current = (i, Ms::from_us(base_ms.us() + event.at_ms.min().us()));
        let mut actions = self.actions(&path, event, nodes);
        let fault = match actions.len() {
            0 => {
                self.fail(
                    path,
                    "has no action: give one of isolate, partition, cut, cut_oneway, restore, heal, crash, restart, set_network, reset_network, set_link, let, pause, resume, set_clock, stall_disk, add_learner, add_voter, promote, remove, change, transfer_leader",
                );
                return None;
            }
            1 => actions.pop().flatten()?,
            n => {
                self.fail(
                    path,
                    format!("has {n} actions: an event does exactly one thing"),
                );
                return None;
            }
        };
        let scripted = ScriptEvent::scripted(Instant::from_us(at_us.0), fault);
        let scripted = self.waiting(&path, event, scripted, file.duration_ms)?;
        let scripted = match (&event.after, anchor) {
            (Some(name), Some(_)) => ScriptEvent {
                after: Some(After {
                    name: name.clone(),
                    offset_us: 0,
                }),
                ..scripted
            },
            (Some(_), None) => return None,
            (None, _) => scripted,
        };
        Some(TimedEvent {
            event: scripted,
            source: i,
            at_us,
            every_us,
            times,
            anchor: anchor.map(|(j, _)| j),
        })
    }

    /// `wait` and `wait_ms`: whether the event waits for its references,
    /// and how long at most.
    fn waiting(
        &mut self,
        path: &str,
        event: &EventSpec,
        scripted: ScriptEvent,
        duration_ms: u64,
    ) -> Option<ScriptEvent> {
        let waits = event.wait == Some(true) || event.wait_ms.is_some();
        if let (Some(false), Some(_)) = (event.wait, event.wait_ms) {
            self.fail(
                format!("{path}.wait_ms"),
                "says how long to wait, but wait is false: drop one of them",
            );
            return None;
        }
        if waits && scripted.fault.references().is_empty() {
            let field = match event.wait_ms {
                Some(_) => "wait_ms",
                None => "wait",
            };
            self.fail(
                format!("{path}.{field}"),
                format!(
                    "{} names no node, so there is nothing to wait for",
                    scripted.fault.kind()
                ),
            );
            return None;
        }
        let limit_us = match event.wait_ms {
            Some(ms) if ms.us() == 0 || ms.us() > duration_ms.saturating_mul(US_PER_MS) => {
                self.fail(
                    format!("{path}.wait_ms"),
                    format!(
                        "{ms} is out of range: must be in [0.001, {duration_ms}] (duration_ms)"
                    ),
                );
                return None;
            }
            limit => limit.map(Ms::us),
        };
        Some(match waits {
            true => ScriptEvent {
                wait_limit_us: limit_us,
                ..scripted.waiting()
            },
            false => scripted,
        })
    }

    /// `after`: the `let` event `i` is timed from, and the latest instant
    /// it may be due (None, with the error, if there is no such `let`).
    fn anchor(
        &mut self,
        path: &str,
        i: usize,
        name: &str,
        event: &EventSpec,
    ) -> Option<(usize, Ms)> {
        let p = format!("{path}.after");
        if event.repeat.is_some() {
            self.fail(
                format!("{path}.repeat"),
                "an event timed from a let (after) fires once: it cannot repeat",
            );
        }
        match self.names.get(name).copied() {
            None => self.fail(
                p,
                format!("{name:?} is not bound: no let event binds it (after names a name bound by an earlier let)"),
            ),
            Some((j, _)) if j == i => self.fail(
                p,
                format!("{name} is bound by this same event: an event cannot be timed from itself"),
            ),
            Some((j, _)) if j > i => self.fail(
                p,
                format!("{name} is bound later in the file, by events[{j}]: time an event from an earlier let"),
            ),
            Some((j, _)) if self.rebound.contains(name) => self.fail(
                p,
                format!("{name} is bound by events[{j}], which repeats: time an event from a let that fires once"),
            ),
            Some(bound) => return Some(bound),
        }
        None
    }

    /// Every action the event names, each checked (`None` where invalid),
    /// in a fixed order: errors are reported in it.
    /// The destructuring is exhaustive so a new action cannot be forgotten.
    fn actions(&mut self, path: &str, event: &EventSpec, nodes: u64) -> Vec<Option<Fault>> {
        let EventSpec {
            at_ms: _,
            repeat: _,
            isolate,
            partition,
            cut,
            cut_oneway,
            restore,
            heal,
            crash,
            restart,
            set_network,
            set_link,
            reset_network,
            bind,
            wait: _,
            wait_ms: _,
            after: _,
            pause,
            resume,
            set_clock,
            stall_disk,
            add_learner,
            add_voter,
            promote,
            remove,
            change,
            transfer_leader,
        } = event;
        let mut actions = Vec::new();
        if let Some(r) = isolate {
            actions.push(
                self.node_ref(&format!("{path}.isolate"), r, nodes)
                    .map(Fault::Isolate),
            );
        }
        if let Some(groups) = partition {
            actions.push(self.partition(&format!("{path}.partition"), groups, nodes));
        }
        if let Some(pairs) = cut {
            actions.push(
                self.pairs(&format!("{path}.cut"), pairs, nodes)
                    .map(Fault::Cut),
            );
        }
        if let Some(pairs) = cut_oneway {
            actions.push(
                self.pairs(&format!("{path}.cut_oneway"), pairs, nodes)
                    .map(Fault::CutOneway),
            );
        }
        if let Some(pairs) = restore {
            actions.push(
                self.pairs(&format!("{path}.restore"), pairs, nodes)
                    .map(Fault::Restore),
            );
        }
        if let Some(heal) = *heal {
            actions.push(self.flag(&format!("{path}.heal"), heal, Fault::Heal));
        }
        if let Some(r) = crash {
            actions.push(
                self.node_ref(&format!("{path}.crash"), r, nodes)
                    .map(Fault::Crash),
            );
        }
        if let Some(r) = restart {
            actions.push(
                self.node_ref(&format!("{path}.restart"), r, nodes)
                    .map(Fault::Restart),
            );
        }
        if let Some(net) = set_network {
            actions.push(self.set_network(&format!("{path}.set_network"), net));
        }
        if let Some(reset) = *reset_network {
            let p = format!("{path}.reset_network");
            actions.push(self.flag(&p, reset, Fault::ResetNetwork));
        }
        if let Some(link) = set_link {
            actions.push(self.set_link(&format!("{path}.set_link"), link, nodes));
        }
        if let Some(bindings) = bind {
            actions.push(self.bind(&format!("{path}.let"), bindings, nodes));
        }
        let process = (pause.as_ref(), resume.as_ref(), set_clock.as_ref());
        actions.extend(self.process_actions(path, process, nodes));
        if let Some(stall) = stall_disk {
            actions.push(self.stall_disk(&format!("{path}.stall_disk"), stall, nodes));
        }
        let requests = super::membership::Requests {
            add_learner: add_learner.as_ref(),
            add_voter: add_voter.as_ref(),
            promote: promote.as_ref(),
            remove: remove.as_ref(),
            change: change.as_ref(),
            transfer_leader: transfer_leader.as_ref(),
        };
        actions.extend(self.requests(path, requests, nodes));
        actions
    }

    /// The actions on a node's process: `pause`, `resume`, `set_clock`.
    fn process_actions(
        &mut self,
        path: &str,
        (pause, resume, set_clock): (
            Option<&NodeRefSpec>,
            Option<&NodeRefSpec>,
            Option<&SetClockSpec>,
        ),
        nodes: u64,
    ) -> Vec<Option<Fault>> {
        let mut actions = Vec::new();
        if let Some(r) = pause {
            let p = format!("{path}.pause");
            actions.push(self.node_ref(&p, r, nodes).map(Fault::Pause));
        }
        if let Some(r) = resume {
            let p = format!("{path}.resume");
            actions.push(self.node_ref(&p, r, nodes).map(Fault::Resume));
        }
        if let Some(clock) = set_clock {
            actions.push(self.set_clock(&format!("{path}.set_clock"), clock, nodes));
        }
        actions
    }

    /// A `let`: at least one name, each a capitalised identifier bound
    /// nowhere else, each to a valid node reference.
    fn bind(
        &mut self,
        path: &str,
        bindings: &BTreeMap<String, NodeRefSpec>,
        nodes: u64,
    ) -> Option<Fault> {
        if bindings.is_empty() {
            self.fail(
                path,
                "binds no names: give at least one, e.g. {\"L\": \"leader\"}",
            );
            return None;
        }
        let before = self.errors.len();
        let mut out = Vec::new();
        for (name, spec) in bindings {
            let p = format!("{path}.{name}");
            if !is_name(name) {
                self.fail(
                    &p,
                    format!("{name:?} is not a name: a name starts with a capital letter A-Z and has only letters, digits and _"),
                );
            } else if let Some(&(first, _)) =
                self.names.get(name).filter(|(j, _)| *j != self.current.0)
            {
                self.fail(
                    &p,
                    format!("{name} is already bound by events[{first}]: a name is bound once"),
                );
            }
            out.extend(self.node_ref(&p, spec, nodes).map(|r| (name.clone(), r)));
        }
        (self.errors.len() == before).then_some(Fault::Let(out))
    }

    /// A use of a name: bound by an earlier `let` in the file, at or
    /// before this event's instant.
    fn name_ref(&mut self, path: &str, name: &str) -> Option<NodeRef> {
        let (i, at_ms) = self.current;
        match self.names.get(name).copied() {
            None => self.fail(
                path,
                format!("{name:?} is not bound: no let event binds it (a name must be bound by an earlier let)"),
            ),
            Some((j, _)) if j == i => self.fail(
                path,
                format!("{name} is bound by this same event: use it in a later one"),
            ),
            Some((j, _)) if j > i => self.fail(
                path,
                format!("{name} is used before its let: events[{j}] binds it, later in the file"),
            ),
            Some((j, bound_ms)) if bound_ms > at_ms => self.fail(
                path,
                format!("{name} is used at {at_ms} ms, before events[{j}] binds it at {bound_ms} ms"),
            ),
            Some(_) => return Some(NodeRef::Name(name.to_string())),
        }
        None
    }

    fn set_clock(&mut self, path: &str, spec: &SetClockSpec, nodes: u64) -> Option<Fault> {
        let max_ppm = MAX_DRIFT_PPB as f64 / PPB_PER_PPM;
        let node = self.node_ref(&format!("{path}.node"), &spec.node, nodes);
        if !(-max_ppm..=max_ppm).contains(&spec.drift_ppm) {
            self.fail(
                format!("{path}.drift_ppm"),
                format!(
                    "{} is out of range: must be in [-{max_ppm}, {max_ppm}] ppm",
                    spec.drift_ppm
                ),
            );
            return None;
        }
        Some(Fault::SetClock {
            node: node?,
            drift_ppb: (spec.drift_ppm * PPB_PER_PPM).round() as i64,
        })
    }

    fn stall_disk(&mut self, path: &str, spec: &StallDiskSpec, nodes: u64) -> Option<Fault> {
        let node = self.node_ref(&format!("{path}.node"), &spec.node, nodes);
        if !(1..=MAX_DISK_STALL_US).contains(&spec.for_ms.us()) {
            self.fail(
                format!("{path}.for_ms"),
                format!(
                    "{} is out of range: must be from 0.001 ms to one day ({} ms)",
                    spec.for_ms,
                    MAX_DISK_STALL_US / US_PER_MS
                ),
            );
            return None;
        }
        Some(Fault::StallDisk {
            node: node?,
            for_us: spec.for_ms.us(),
        })
    }

    /// An action given as `true`; `false` is refused rather than ignored.
    fn flag(&mut self, path: &str, value: bool, fault: Fault) -> Option<Fault> {
        if !value {
            self.fail(path, "must be true (or leave the field out)");
        }
        value.then_some(fault)
    }

    fn set_network(&mut self, path: &str, net: &NetworkSpec) -> Option<Fault> {
        let before = self.errors.len();
        self.network(path, net);
        if net.latency_ms.is_none() && net.loss.is_none() && net.duplicate.is_none() {
            self.fail(
                path,
                "changes nothing: give latency_ms, loss and/or duplicate",
            );
        }
        (self.errors.len() == before).then(|| Fault::SetNetwork(network_patch(net)))
    }

    fn set_link(&mut self, p: &str, link: &SetLinkSpec, nodes: u64) -> Option<Fault> {
        let before = self.errors.len();
        self.probability(&format!("{p}.loss"), link.loss);
        self.range(&format!("{p}.latency_ms"), link.latency_ms, 0);
        if link.loss.is_none() && link.latency_ms.is_none() && link.drop_payloads.is_none() {
            self.fail(
                p,
                "changes nothing: give loss, latency_ms and/or drop_payloads",
            );
        }
        let pair = self.pairs(
            &format!("{p}.between"),
            std::slice::from_ref(&link.between),
            nodes,
        );
        let ok = self.errors.len() == before;
        let pair = pair.filter(|_| ok)?.into_iter().next()?;
        Some(Fault::SetLink {
            between: pair,
            link: LinkOverride {
                loss: link.loss,
                latency_us: link.latency_ms.map(range_us),
                drop_payloads: link.drop_payloads,
            },
        })
    }

    pub(super) fn node_ref(
        &mut self,
        path: &str,
        spec: &NodeRefSpec,
        nodes: u64,
    ) -> Option<NodeRef> {
        let node_range = format!("the cluster has nodes 1..={nodes}");
        match spec {
            NodeRefSpec::Id(id) if (1..=nodes).contains(id) => {
                Some(NodeRef::Id(NodeId(*id as u32)))
            }
            NodeRefSpec::Id(id) => {
                self.fail(path, format!("node {id} does not exist ({node_range})"));
                None
            }
            NodeRefSpec::Name(name) if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                self.name_ref(path, name)
            }
            NodeRefSpec::Name(name) => {
                if name == "leader" {
                    return Some(NodeRef::Leader);
                }
                if name == "crashed" {
                    return Some(NodeRef::Crashed);
                }
                for (prefix, make) in RANKED_FOLLOWERS {
                    let Some(k) = name.strip_prefix(prefix) else {
                        continue;
                    };
                    match k.parse::<u64>() {
                        Ok(k) if k >= 1 && k < nodes => return Some(make(k as usize)),
                        Ok(k) => {
                            self.fail(
                                path,
                                format!(
                                    "{prefix}{k} cannot exist: a {nodes}-node cluster has followers 1..={}",
                                    nodes.saturating_sub(1)
                                ),
                            );
                            return None;
                        }
                        Err(_) => {}
                    }
                }
                self.fail(
                    path,
                    format!(
                        "{name:?} is not a node reference: use a node number ({node_range}), \"leader\", \"follower:K\", \"freshest:K\", \"crashed\" or a name bound by let"
                    ),
                );
                None
            }
        }
    }

    fn pairs(
        &mut self,
        path: &str,
        pairs: &[[NodeRefSpec; 2]],
        nodes: u64,
    ) -> Option<Vec<(NodeRef, NodeRef)>> {
        if pairs.is_empty() {
            self.fail(path, "names no links: give at least one [a, b] pair");
            return None;
        }
        let mut out = Vec::new();
        for (i, [a, b]) in pairs.iter().enumerate() {
            let ra = self.node_ref(&format!("{path}[{i}][0]"), a, nodes);
            let rb = self.node_ref(&format!("{path}[{i}][1]"), b, nodes);
            if let (Some(NodeRef::Id(x)), Some(NodeRef::Id(y))) = (&ra, &rb) {
                if x == y {
                    self.fail(
                        format!("{path}[{i}]"),
                        format!("a link joins two different nodes, not {x} and {y}"),
                    );
                }
            }
            out.push((ra?, rb?));
        }
        Some(out)
    }

    fn partition(&mut self, path: &str, groups: &[Vec<u64>], nodes: u64) -> Option<Fault> {
        let before = self.errors.len();
        let mut seen = BTreeSet::new();
        for (g, group) in groups.iter().enumerate() {
            for (k, &node) in group.iter().enumerate() {
                if !(1..=nodes).contains(&node) {
                    self.fail(
                        format!("{path}[{g}][{k}]"),
                        format!("node {node} does not exist (the cluster has nodes 1..={nodes})"),
                    );
                } else if !seen.insert(node) {
                    self.fail(
                        format!("{path}[{g}][{k}]"),
                        format!("node {node} is listed twice: list every node once"),
                    );
                }
            }
        }
        let missing: Vec<String> = (1..=nodes)
            .filter(|n| !seen.contains(n))
            .map(|n| n.to_string())
            .collect();
        if !missing.is_empty() {
            self.fail(
                path,
                format!(
                    "nodes {} are in no group: list every node once",
                    missing.join(", ")
                ),
            );
        }
        (self.errors.len() == before).then(|| {
            Fault::Partition(
                groups
                    .iter()
                    .map(|g| g.iter().map(|&n| NodeId(n as u32)).collect())
                    .collect(),
            )
        })
    }
}

fn network_patch(spec: &NetworkSpec) -> NetworkPatch {
    NetworkPatch {
        latency_us: spec.latency_ms.map(range_us),
        loss: spec.loss,
        duplicate: spec.duplicate,
    }
}

/// A name as `let` binds it: a capital letter, then letters, digits, `_`.
fn is_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
