//! Applying one scripted or chaos event to the cluster: what each fault
//! does to links, processes and names, the record it leaves, and which
//! earlier faults it ends. Which event is due, and whether its references
//! resolve, is `script.rs`'s.

use super::OpenFault;
use crate::cluster::membership::NotDone;
use crate::cluster::Cluster;
use crate::faults::{Fault, FaultRecord, NodeRef};
use crate::network::{LinkOverride, NetworkPatch};
use crate::node::{NodeId, RaftNode};
use crate::time::Instant;
use crate::trace::TraceEvent;

/// What a fault does to a node's process.
#[derive(Clone, Copy)]
enum Process {
    Pause,
    Resume,
    /// The clock's new drift, parts per billion.
    SetClock(i64),
    /// The disk completes no write for this many microseconds.
    StallDisk(u64),
}

/// What applying a fault did: its description, the nodes it named and what
/// keeps it in effect (nothing for an instant fault).
struct Applied {
    description: String,
    nodes: Vec<NodeId>,
    open: Option<OpenFault>,
    /// The end of a fault that ends by itself (`stall_disk`).
    until: Option<Instant>,
}

impl Applied {
    fn instant(description: String, nodes: Vec<NodeId>) -> Applied {
        Applied {
            description,
            nodes,
            open: None,
            until: None,
        }
    }

    fn for_a_while(description: String, nodes: Vec<NodeId>, until: Instant) -> Applied {
        Applied {
            description,
            nodes,
            open: None,
            until: Some(until),
        }
    }

    fn lasting(description: String, nodes: Vec<NodeId>, open: OpenFault) -> Applied {
        Applied {
            description,
            nodes,
            open: Some(open),
            until: None,
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

impl<N: RaftNode> Cluster<'_, N> {
    /// Fires script event `index`: applies it (or records why it was
    /// skipped, `skip` if given) and closes the faults it ends.
    pub(in crate::cluster) fn apply_fault(&mut self, index: usize, skip: Option<String>) {
        let event = self.script_event(index);
        let anchor = match skip {
            Some(reason) => {
                if let Fault::Let(bindings) = &event.fault {
                    let bindings = bindings.clone();
                    self.settle_let(&bindings, Err(&reason));
                }
                Err(reason)
            }
            None => self.anchor_bound(event).map_err(|why| why.to_string()),
        };
        let event = self.script_event(index);
        let (fault, source, chaos) = (
            event.fault.clone(),
            event.source.unwrap_or(index),
            event.chaos,
        );
        let due = self.due_at(index);
        let outcome = match anchor {
            Ok(()) => self.apply(&fault),
            Err(reason) => Err(NotDone::Skipped(reason)),
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
            until_ms: applied.until.map(Instant::as_ms_f64),
            chaos,
            refused,
        });
        self.close_ended_faults(&fault);
        if let Some(open) = applied.open {
            self.script.open.push((record, open));
        }
        self.after_fault(record);
    }

    /// Applies a fault, or says why it was skipped or refused.
    fn apply(&mut self, fault: &Fault) -> Result<Applied, NotDone> {
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
                    return Err(NotDone::Skipped(format!("node {node} is already down")));
                }
                self.crash(node);
                Applied::lasting(format!("crash {node}"), vec![node], OpenFault::Crash(node))
            }
            Fault::Restart(node) => {
                let node = self.resolve(node)?;
                if self.slots[node.index()].live {
                    return Err(NotDone::Skipped(format!("node {node} is not down")));
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
            Fault::StallDisk { node, for_us } => {
                self.apply_to_process(node, Process::StallDisk(*for_us))?
            }
            Fault::Request(request) => {
                let (description, nodes) = self.apply_request(request)?;
                Applied::instant(description, nodes)
            }
        })
    }

    /// `pause`, `resume`, `set_clock` and `stall_disk`: faults of a node's
    /// process and its disk.
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
            Process::StallDisk(for_us) => {
                let until = self.now.plus_us(for_us);
                self.stall_disk(node, until);
                let ms = Instant::from_us(for_us).as_ms_f64();
                let text = format!("disk of {node} stalls for {ms} ms");
                Applied::for_a_while(text, vec![node], until)
            }
        })
    }

    /// A `let`: every reference resolved at this instant, or none bound
    /// (each name then records why, for the events that use it).
    /// A `let`: binds its names (or marks them skipped, with the reason),
    /// and the events timed from it are queued.
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
                self.settle_let(bindings, Ok(&nodes));
                Ok(Applied::instant(format!("let {text}"), nodes))
            }
            Err(reason) => {
                self.settle_let(bindings, Err(&reason));
                Err(reason)
            }
        }
    }

    /// A `let` fired now: its names are bound to `nodes`, or stay unbound
    /// for the reason it was skipped; the events timed from it are queued.
    pub(super) fn settle_let(
        &mut self,
        bindings: &[(String, NodeRef)],
        nodes: Result<&[NodeId], &str>,
    ) {
        for (i, (name, _)) in bindings.iter().enumerate() {
            let bound = match nodes {
                Ok(nodes) => Ok(nodes[i]),
                Err(reason) => Err(reason.to_string()),
            };
            self.script.bindings.insert(name.clone(), bound);
        }
        self.anchors_fired(bindings);
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
                    | Fault::StallDisk { .. }
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
