//! The membership events of a scenario file (`add_learner`, `add_voter`,
//! `promote`, `remove`, `change`, `transfer_leader`) and the initial
//! voters (`members`): checked into the engine's faults, and written back
//! (for `raftsim shrink`). Whether a leader accepts a change is decided
//! when it fires, never here: a file is refused only for what is wrong in
//! the file itself (a node that does not exist, a node listed twice).

use std::collections::BTreeSet;

use crate::faults::{Fault, NodeRef, Request};
use crate::node::{NodeId, NodeSet};

use super::validate::Check;
use super::write_back::ref_spec;
use super::{ChangeSpec, EventSpec, NodeRefSpec, ScenarioFile};

/// The membership actions an event names (each `None` when absent).
pub(super) struct Requests<'a> {
    pub(super) add_learner: Option<&'a NodeRefSpec>,
    pub(super) add_voter: Option<&'a NodeRefSpec>,
    pub(super) promote: Option<&'a NodeRefSpec>,
    pub(super) remove: Option<&'a NodeRefSpec>,
    pub(super) change: Option<&'a ChangeSpec>,
    pub(super) transfer_leader: Option<&'a NodeRefSpec>,
}

impl Check {
    /// Every membership action the event names, each checked.
    pub(super) fn requests(
        &mut self,
        path: &str,
        r: Requests<'_>,
        nodes: u64,
    ) -> Vec<Option<Fault>> {
        let mut actions = Vec::new();
        type Single<'a> = (&'a str, Option<&'a NodeRefSpec>, fn(NodeRef) -> Request);
        let singles: [Single<'_>; 5] = [
            ("add_learner", r.add_learner, Request::AddLearner),
            ("add_voter", r.add_voter, Request::AddVoter),
            ("promote", r.promote, Request::Promote),
            ("remove", r.remove, Request::Remove),
            (
                "transfer_leader",
                r.transfer_leader,
                Request::TransferLeader,
            ),
        ];
        for (key, spec, request) in singles {
            if let Some(spec) = spec {
                actions.push(
                    self.node_ref(&format!("{path}.{key}"), spec, nodes)
                        .map(|node| Fault::Request(request(node))),
                );
            }
        }
        if let Some(change) = r.change {
            actions.push(self.change(&format!("{path}.change"), change, nodes));
        }
        actions
    }

    /// A joint change: at least one node, each valid, none named twice
    /// (where the file names nodes by number).
    fn change(&mut self, path: &str, spec: &ChangeSpec, nodes: u64) -> Option<Fault> {
        let before = self.errors.len();
        if spec.add.is_empty() && spec.remove.is_empty() && spec.learners.is_empty() {
            self.fail(path, "changes nothing: give add, remove and/or learners");
            return None;
        }
        let mut seen = BTreeSet::new();
        let mut list = |check: &mut Check, key: &str, specs: &[NodeRefSpec]| -> Vec<NodeRef> {
            let mut out = Vec::new();
            for (i, spec) in specs.iter().enumerate() {
                let p = format!("{path}.{key}[{i}]");
                if let Some(node) = check.node_ref(&p, spec, nodes) {
                    if let NodeRef::Id(id) = node {
                        if !seen.insert(id) {
                            check.fail(
                                &p,
                                format!("node {id} is named twice: a node joins, leaves or learns, once"),
                            );
                        }
                    }
                    out.push(node);
                }
            }
            out
        };
        let add = list(self, "add", &spec.add);
        let remove = list(self, "remove", &spec.remove);
        let learners = list(self, "learners", &spec.learners);
        (self.errors.len() == before).then_some(Fault::Request(Request::Change {
            add,
            remove,
            learners,
        }))
    }

    /// `members`: the initial voters, some of nodes 1..=nodes, each once.
    pub(super) fn members(&mut self, file: &ScenarioFile) -> NodeSet {
        let all = NodeSet::first(file.nodes.clamp(1, crate::node::MAX_NODES as u64) as usize);
        let Some(members) = &file.members else {
            return all;
        };
        if members.is_empty() {
            self.fail(
                "members",
                "names no node: a cluster starts with at least one voter",
            );
            return all;
        }
        let mut set = NodeSet::EMPTY;
        for (i, &n) in members.iter().enumerate() {
            if !(1..=file.nodes).contains(&n) {
                self.fail(
                    format!("members[{i}]"),
                    format!(
                        "node {n} does not exist (the cluster has nodes 1..={})",
                        file.nodes
                    ),
                );
                continue;
            }
            let id = NodeId(n as u32);
            if set.contains(id) {
                self.fail(format!("members[{i}]"), format!("node {n} is listed twice"));
            }
            set = set.with(id);
        }
        if set.is_empty() {
            all
        } else {
            set
        }
    }
}

/// Writes a request back as the event field it came from.
pub(super) fn write_request(request: &Request, spec: &mut EventSpec) {
    let list = |refs: &[NodeRef]| refs.iter().map(ref_spec).collect::<Vec<_>>();
    match request {
        Request::AddLearner(n) => spec.add_learner = Some(ref_spec(n)),
        Request::AddVoter(n) => spec.add_voter = Some(ref_spec(n)),
        Request::Promote(n) => spec.promote = Some(ref_spec(n)),
        Request::Remove(n) => spec.remove = Some(ref_spec(n)),
        Request::TransferLeader(n) => spec.transfer_leader = Some(ref_spec(n)),
        Request::Change {
            add,
            remove,
            learners,
        } => {
            spec.change = Some(ChangeSpec {
                add: list(add),
                remove: list(remove),
                learners: list(learners),
            })
        }
    }
}
