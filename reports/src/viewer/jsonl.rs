//! Reading a JSON Lines trace (`raftsim run --trace`, docs/TRACES.md) into
//! what the viewer shows of its run. A trace has a node's whole status only
//! in its `state` records (when its term, role or leader changes, and when
//! it starts), so the viewer shows each node as of its last state record,
//! as `raftsim inspect TRACE` does; it has no link cuts or pauses, so none
//! are shown. A `config` record (`voters`, `learners`, `description`), if a
//! trace has one, changes the configuration shown. It reads through
//! sim-core's typed trace reader ([`read_jsonl`]), as `raftsim inspect`
//! does, so both accept the same traces.

use sim_core::node::{NodeId, Role};
use sim_core::trace::{read_jsonl, DropReason, FateFields, Record, TraceError, TraceLine};

use super::record::{Detail, Fate, Message, NodeView, Recorder, VariantReplay};

fn role(name: &str) -> Option<Role> {
    match name {
        "follower" => Some(Role::Follower),
        "pre_candidate" => Some(Role::PreCandidate),
        "candidate" => Some(Role::Candidate),
        "leader" => Some(Role::Leader),
        _ => None,
    }
}

/// A node id already checked against `MAX_NODES` (at most 64).
fn node_id(node: NodeId) -> u8 {
    node.0 as u8
}

/// The nodes a record names (its node, or its sender and receiver).
fn named(record: &TraceLine) -> [Option<NodeId>; 2] {
    match &record.record {
        Record::Send { from, to, .. }
        | Record::Deliver { from, to, .. }
        | Record::Drop { from, to, .. } => [Some(*from), Some(*to)],
        Record::Timer { node, .. }
        | Record::State { node, .. }
        | Record::Crash { node }
        | Record::Restart { node } => [Some(*node), None],
        Record::Violation { node, .. } => [*node, None],
        Record::Run { .. }
        | Record::Fault { .. }
        | Record::Propose { .. }
        | Record::Commit { .. }
        | Record::Config { .. } => [None, None],
    }
}

/// Reads a whole trace as the run of one variant labelled `label`, kept
/// with `detail`.
pub fn from_jsonl(text: &str, label: &str, detail: Detail) -> Result<VariantReplay, TraceError> {
    from_lines(&read_jsonl(text)?, label, detail)
}

/// The run of one variant from the lines of its trace (see [`from_jsonl`]).
pub fn from_lines(
    lines: &[TraceLine],
    label: &str,
    detail: Detail,
) -> Result<VariantReplay, TraceError> {
    let nodes = lines
        .iter()
        .flat_map(named)
        .flatten()
        .map(|n| n.0)
        .max()
        .unwrap_or(0);
    if nodes == 0 || nodes as usize > sim_core::node::MAX_NODES {
        return Err(TraceError {
            line: 1,
            reason: format!(
                "names {nodes} nodes; a trace of raftsim names 1 to {}",
                sim_core::node::MAX_NODES
            ),
        });
    }
    let planned: Vec<u64> = lines
        .iter()
        .filter(|l| matches!(l.record, Record::Fault { .. }))
        .map(|l| l.at_us)
        .collect();
    let mut recorder = Recorder::new(label, nodes, detail, &planned);
    recorder.links_unknown();
    let mut end_us = 0;
    for (i, line) in lines.iter().enumerate() {
        let at_us = line.at_us;
        end_us = end_us.max(at_us);
        match &line.record {
            Record::State {
                node,
                term,
                role: name,
                leader,
                voted_for,
                log_length,
                commit_index,
            } => {
                let role = role(name).ok_or_else(|| TraceError {
                    line: i + 1,
                    reason: format!("unknown role {name:?}"),
                })?;
                let view = NodeView {
                    role,
                    term: *term,
                    vote: voted_for.map(node_id),
                    leader: leader.map(node_id),
                    log: *log_length,
                    commit: *commit_index,
                };
                recorder.status(at_us, node.0, view);
            }
            Record::Send {
                from,
                to,
                msg,
                term,
                fate,
                ..
            } => {
                if !recorder.keeps_message(at_us) {
                    continue;
                }
                let message = Message {
                    sent_us: at_us,
                    end_us: at_us,
                    term: Message::term_of(*term),
                    from: node_id(*from),
                    to: node_id(*to),
                    kind: recorder.kind_index(msg),
                    fate: Fate::Delivered,
                };
                match *fate {
                    FateFields::Arrives {
                        arrive_us,
                        duplicate_us,
                    } => {
                        recorder.send(Message {
                            end_us: arrive_us.max(at_us),
                            ..message
                        });
                        if let Some(again) = duplicate_us {
                            recorder.send(Message {
                                end_us: again.max(at_us),
                                ..message
                            });
                        }
                    }
                    FateFields::Lost => recorder.send(Message {
                        fate: Fate::Lost,
                        ..message
                    }),
                    FateFields::LinkCut => recorder.send(Message {
                        fate: Fate::LinkCut,
                        ..message
                    }),
                }
            }
            Record::Drop {
                from, to, reason, ..
            } => {
                let fate = match reason {
                    DropReason::CutInFlight => Some(Fate::CutInFlight),
                    DropReason::NodeDown => Some(Fate::NodeDown),
                    // Lost or cut when sent: the send's own fate shows it;
                    // a send that never left was never drawn.
                    DropReason::Loss | DropReason::LinkCut | DropReason::SenderCrashed => None,
                };
                if let Some(fate) = fate {
                    recorder.dropped(at_us, node_id(*from), node_id(*to), fate);
                }
            }
            Record::Crash { node } => recorder.crash(at_us, node.0),
            Record::Restart { node } => recorder.restart(at_us, node.0),
            Record::Fault {
                description,
                skipped,
                ..
            } => recorder.fault(at_us, description, *skipped),
            Record::Violation {
                property,
                message,
                node,
            } => {
                let on = node.map_or(String::new(), |n| format!(" (node {n})"));
                recorder.violation(at_us, format!("{property}{on}: {message}"));
            }
            Record::Config {
                voters, learners, ..
            } => {
                let voters: Vec<u32> = voters.iter().map(|n| n.0).collect();
                let learners: Vec<u32> = learners.iter().map(|n| n.0).collect();
                let text = format!("configuration: voters {voters:?}, learners {learners:?}");
                recorder.config(at_us, voters, learners, text);
            }
            // What ran, timers, deliveries, proposals, commits: nothing
            // the viewer draws.
            Record::Run { .. }
            | Record::Timer { .. }
            | Record::Deliver { .. }
            | Record::Propose { .. }
            | Record::Commit { .. } => {}
        }
    }
    Ok(recorder.finish(end_us, true))
}
