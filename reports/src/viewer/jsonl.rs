//! Reading a JSON Lines trace (`raftsim run --trace`, docs/TRACES.md) into
//! what the viewer shows of its run. A trace has a node's whole status only
//! in its `state` records (when its term, role or leader changes, and when
//! it starts), so the viewer shows each node as of its last state record,
//! as `raftsim inspect TRACE` does; it has no link cuts or pauses, so none
//! are shown. A `config` record (`voters`, `learners`, `description`), if a
//! trace has one, changes the configuration shown.

use serde::Deserialize;
use sim_core::node::Role;

use super::record::{Detail, Fate, Message, NodeView, Recorder, VariantReplay};

/// Why a trace cannot be read: the line (1-based) and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct TraceError {
    pub line: usize,
    pub reason: String,
}

/// The fields of any record that the viewer reads; the rest are ignored.
#[derive(Deserialize)]
struct Line {
    at_us: u64,
    kind: String,
    node: Option<u32>,
    from: Option<u32>,
    to: Option<u32>,
    msg: Option<String>,
    term: Option<u64>,
    fate: Option<String>,
    arrive_us: Option<u64>,
    duplicate_us: Option<u64>,
    reason: Option<String>,
    role: Option<String>,
    leader: Option<u32>,
    voted_for: Option<u32>,
    log_length: Option<u64>,
    commit_index: Option<u64>,
    description: Option<String>,
    skipped: Option<bool>,
    property: Option<String>,
    message: Option<String>,
    voters: Option<Vec<u32>>,
    learners: Option<Vec<u32>>,
}

/// What the first pass reads of a record: its node ids, and the instant
/// of a scripted event (whose window opens before it).
#[derive(Deserialize)]
struct Nodes {
    at_us: u64,
    kind: String,
    node: Option<u32>,
    from: Option<u32>,
    to: Option<u32>,
}

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
fn node_id(node: u32) -> u8 {
    node as u8
}

/// The lines that hold a record (a trace may end with a newline).
fn records(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim().is_empty())
}

/// Reads a whole trace as the run of one variant labelled `label`, kept
/// with `detail`.
pub fn from_jsonl(text: &str, label: &str, detail: Detail) -> Result<VariantReplay, TraceError> {
    let bad = |line: usize, reason: String| TraceError { line, reason };
    let mut nodes = 0;
    let mut planned = Vec::new();
    for (line, record) in records(text) {
        let ids: Nodes = serde_json::from_str(record)
            .map_err(|e| bad(line, format!("not a JSON Lines trace record: {e}")))?;
        if ids.kind == "fault" {
            planned.push(ids.at_us);
        }
        nodes = [ids.node, ids.from, ids.to, Some(nodes)]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0);
    }
    if nodes == 0 || nodes as usize > sim_core::node::MAX_NODES {
        return Err(bad(
            1,
            format!(
                "names {nodes} nodes; a trace of raftsim names 1 to {}",
                sim_core::node::MAX_NODES
            ),
        ));
    }
    let mut recorder = Recorder::new(label, nodes, detail, &planned);
    recorder.links_unknown();
    let mut end_us = 0;
    for (line, record) in records(text) {
        let r: Line = serde_json::from_str(record)
            .map_err(|e| bad(line, format!("not a JSON Lines trace record: {e}")))?;
        let missing = |field: &str| bad(line, format!("a {} record without `{field}`", r.kind));
        end_us = end_us.max(r.at_us);
        match r.kind.as_str() {
            "state" => {
                let node = r.node.ok_or_else(|| missing("node"))?;
                let name = r.role.as_deref().ok_or_else(|| missing("role"))?;
                let role = role(name).ok_or_else(|| bad(line, format!("unknown role {name:?}")))?;
                recorder.status(
                    r.at_us,
                    node,
                    NodeView {
                        role,
                        term: r.term.ok_or_else(|| missing("term"))?,
                        vote: r.voted_for.map(node_id),
                        leader: r.leader.map(node_id),
                        log: r.log_length.unwrap_or(0),
                        commit: r.commit_index.unwrap_or(0),
                    },
                );
            }
            "send" => {
                if !recorder.keeps_message(r.at_us) {
                    continue;
                }
                let kind = recorder.kind_index(r.msg.as_deref().ok_or_else(|| missing("msg"))?);
                let message = Message {
                    sent_us: r.at_us,
                    end_us: r.at_us,
                    term: Message::term_of(r.term.unwrap_or(0)),
                    from: node_id(r.from.ok_or_else(|| missing("from"))?),
                    to: node_id(r.to.ok_or_else(|| missing("to"))?),
                    kind,
                    fate: Fate::Delivered,
                };
                match r.fate.as_deref() {
                    Some("arrives") => {
                        let arrive = r.arrive_us.ok_or_else(|| missing("arrive_us"))?;
                        recorder.send(Message {
                            end_us: arrive.max(r.at_us),
                            ..message
                        });
                        if let Some(again) = r.duplicate_us {
                            recorder.send(Message {
                                end_us: again.max(r.at_us),
                                ..message
                            });
                        }
                    }
                    Some("lost") => recorder.send(Message {
                        fate: Fate::Lost,
                        ..message
                    }),
                    Some("link_cut") => recorder.send(Message {
                        fate: Fate::LinkCut,
                        ..message
                    }),
                    other => return Err(bad(line, format!("unknown fate {other:?}"))),
                }
            }
            "drop" => {
                let fate = match r.reason.as_deref() {
                    Some("cut_in_flight") => Some(Fate::CutInFlight),
                    Some("node_down") => Some(Fate::NodeDown),
                    _ => None,
                };
                if let (Some(fate), Some(from), Some(to)) = (fate, r.from, r.to) {
                    recorder.dropped(r.at_us, node_id(from), node_id(to), fate);
                }
            }
            "crash" => recorder.crash(r.at_us, r.node.ok_or_else(|| missing("node"))?),
            "restart" => recorder.restart(r.at_us, r.node.ok_or_else(|| missing("node"))?),
            "fault" => recorder.fault(
                r.at_us,
                r.description.as_deref().unwrap_or("fault"),
                r.skipped.unwrap_or(false),
            ),
            "violation" => {
                let on = r.node.map_or(String::new(), |n| format!(" (node {n})"));
                recorder.violation(
                    r.at_us,
                    format!(
                        "{}{on}: {}",
                        r.property.as_deref().unwrap_or("violation"),
                        r.message.as_deref().unwrap_or("")
                    ),
                );
            }
            "config" => {
                let voters = r.voters.unwrap_or_default();
                let learners = r.learners.unwrap_or_default();
                let text = r.description.unwrap_or_else(|| {
                    format!("configuration: voters {voters:?}, learners {learners:?}")
                });
                recorder.config(r.at_us, voters, learners, text);
            }
            // Timers, deliveries, proposals, commits, and kinds a later
            // raftsim may add: nothing the viewer draws.
            _ => {}
        }
    }
    Ok(recorder.finish(end_us, true))
}
