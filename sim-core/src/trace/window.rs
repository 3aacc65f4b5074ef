//! A tracer that keeps what happened inside a few windows of virtual time:
//! the messages sent in each window (with where and when each ended), the
//! nodes' term and role changes, crashes, restarts, faults and safety
//! violations, and every node's state as each window opened. What a message
//! diagram of the report draws (docs/CHARTS.md). Memory is bounded by the
//! windows, not by the run: outside them it keeps one state per node.

use std::collections::BTreeMap;
use std::io;

use super::{DropReason, TraceEvent, Tracer};
use crate::cluster;
use crate::network::Fate;
use crate::raft::{
    AppendResponse, DlHeartbeatReply, DlVoteReply, HeartbeatCode, Message, NodeId, Role, Term,
    VoteResponse, VoteResult,
};
use crate::results;
use crate::scenario::{Scenario, Variant};
use crate::time::Instant;

/// What part a message plays, which decides how a diagram shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageClass {
    /// A vote or pre-vote request (RequestVote, PreVote, DlVote, raft-rs's).
    VoteRequest,
    /// An answer to one.
    VoteReply,
    /// Replication and heartbeats: AppendEntries, DlHeartbeat, MsgAppend,
    /// MsgHeartbeat, MsgSnapshot.
    Append,
    /// An answer to one.
    AppendReply,
    /// Anything else (raft-rs's MsgTimeoutNow, say).
    Other,
}

impl MessageClass {
    fn of(msg: &Message) -> MessageClass {
        match msg {
            Message::RequestVote(_) | Message::DlVote(_) => MessageClass::VoteRequest,
            Message::VoteResponse(_) | Message::DlVoteReply(_) => MessageClass::VoteReply,
            Message::AppendEntries(_) | Message::DlHeartbeat(_) | Message::InstallSnapshot(_) => {
                MessageClass::Append
            }
            Message::AppendResponse(_) | Message::DlHeartbeatReply(_) => MessageClass::AppendReply,
            Message::RaftRs(_) => MessageClass::of_raft_rs(msg.kind()),
        }
    }

    fn of_raft_rs(kind: &str) -> MessageClass {
        let reply = kind.ends_with("Response") || kind.ends_with("Resp");
        if kind.contains("Vote") {
            if reply {
                MessageClass::VoteReply
            } else {
                MessageClass::VoteRequest
            }
        } else if kind.contains("Append") || kind.contains("Heartbeat") || kind == "MsgSnapshot" {
            if reply {
                MessageClass::AppendReply
            } else {
                MessageClass::Append
            }
        } else {
            MessageClass::Other
        }
    }
}

/// Whether an answer said yes (a vote granted, an append accepted); `None`
/// for a request.
fn answer(msg: &Message) -> Option<bool> {
    match msg {
        Message::VoteResponse(VoteResponse { granted, .. }) => Some(*granted),
        Message::AppendResponse(AppendResponse { success, .. }) => Some(*success),
        Message::DlVoteReply(DlVoteReply { result, .. }) => Some(*result == VoteResult::Accept),
        Message::DlHeartbeatReply(DlHeartbeatReply { code, .. }) => {
            Some(*code == HeartbeatCode::Success)
        }
        Message::RaftRs(m) => match MessageClass::of_raft_rs(m.kind()) {
            MessageClass::VoteReply | MessageClass::AppendReply => Some(!m.fields().reject),
            MessageClass::VoteRequest | MessageClass::Append | MessageClass::Other => None,
        },
        Message::RequestVote(_)
        | Message::AppendEntries(_)
        | Message::DlVote(_)
        | Message::InstallSnapshot(_) => None,
        Message::DlHeartbeat(_) => None,
    }
}

/// Where a message sent inside a window ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageEnd {
    /// Delivered at this instant (perhaps after the window).
    Delivered(u64),
    /// Never left: the link was cut or the message was lost when sent.
    DroppedAtSend(DropReason),
    /// Dropped at this instant: cut in flight, or its receiver was down.
    Dropped(u64, DropReason),
}

/// One message sent inside a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowMessage {
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub sent_us: u64,
    pub kind: &'static str,
    pub term: Term,
    pub class: MessageClass,
    /// For an answer: whether it said yes.
    pub granted: Option<bool>,
    pub end: MessageEnd,
}

/// A node's term, role or known leader as of an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeMark {
    pub at_us: u64,
    pub node: NodeId,
    pub term: Term,
    pub role: Role,
    pub leader: Option<NodeId>,
}

/// Something else that happened on a lane, or to the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    /// A scripted fault fired (or was skipped), described as in the trace.
    Fault {
        description: String,
        skipped: bool,
    },
    /// A safety property broke.
    Violation {
        property: &'static str,
        node: Option<NodeId>,
    },
}

/// What happened inside one window `[start_us, end_us]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageWindow {
    pub start_us: u64,
    pub end_us: u64,
    /// Every node's last state before the window (`None`: no state yet)
    /// and whether it was up, in node order.
    pub initial: Vec<(Option<NodeMark>, bool)>,
    /// In send order.
    pub messages: Vec<WindowMessage>,
    /// Term, role and leader changes, in order.
    pub marks: Vec<NodeMark>,
    pub happenings: Vec<(u64, Happening)>,
    /// The directed links (from, to) cut at the window's start, then every
    /// change inside it: (instant, links cut from then on). Filled by
    /// whoever replays the links; the tracer cannot see the network.
    pub cut_links: Vec<(u64, Vec<(NodeId, NodeId)>)>,
}

impl MessageWindow {
    fn contains(&self, at_us: u64) -> bool {
        (self.start_us..=self.end_us).contains(&at_us)
    }
}

/// Records the windows given to `new` (each `(start_us, end_us)`).
pub struct WindowTracer {
    windows: Vec<MessageWindow>,
    opened: Vec<bool>,
    /// Each node's last state and whether it is up.
    now: Vec<(Option<NodeMark>, bool)>,
    /// Message id → (window, position) of every message recorded.
    sent: BTreeMap<u64, Vec<(usize, usize)>>,
}

impl WindowTracer {
    pub fn new(nodes: usize, windows: &[(u64, u64)]) -> WindowTracer {
        WindowTracer {
            windows: windows
                .iter()
                .map(|&(start_us, end_us)| MessageWindow {
                    start_us,
                    end_us,
                    ..MessageWindow::default()
                })
                .collect(),
            opened: vec![false; windows.len()],
            now: vec![(None, true); nodes],
            sent: BTreeMap::new(),
        }
    }

    /// The recorded windows, in the order given.
    pub fn into_windows(mut self) -> Vec<MessageWindow> {
        self.open_until(u64::MAX);
        self.windows
    }

    /// Opens (takes the nodes' states for) every window starting at or
    /// before `at_us`.
    fn open_until(&mut self, at_us: u64) {
        for (w, opened) in self.windows.iter_mut().zip(&mut self.opened) {
            if !*opened && w.start_us <= at_us {
                w.initial = self.now.clone();
                *opened = true;
            }
        }
    }

    fn send(&mut self, at_us: u64, from: NodeId, to: NodeId, id: u64, msg: &Message, fate: Fate) {
        let end = match fate {
            Fate::Arrives { at, .. } => MessageEnd::Delivered(at.as_us()),
            Fate::Lost => MessageEnd::DroppedAtSend(DropReason::Loss),
            Fate::Cut => MessageEnd::DroppedAtSend(DropReason::LinkCut),
        };
        for (w, window) in self.windows.iter_mut().enumerate() {
            if window.contains(at_us) {
                self.sent
                    .entry(id)
                    .or_default()
                    .push((w, window.messages.len()));
                window.messages.push(WindowMessage {
                    id,
                    from,
                    to,
                    sent_us: at_us,
                    kind: msg.kind(),
                    term: msg.term(),
                    class: MessageClass::of(msg),
                    granted: answer(msg),
                    end,
                });
            }
        }
    }

    fn dropped(&mut self, at_us: u64, id: u64, reason: DropReason) {
        for &(w, i) in self.sent.get(&id).into_iter().flatten() {
            self.windows[w].messages[i].end = MessageEnd::Dropped(at_us, reason);
        }
    }

    fn state(&mut self, mark: NodeMark) {
        let slot = &mut self.now[mark.node.index()];
        let changed = slot
            .0
            .is_none_or(|o| (o.term, o.role, o.leader) != (mark.term, mark.role, mark.leader));
        slot.0 = Some(mark);
        if changed {
            for window in self.windows.iter_mut().filter(|w| w.contains(mark.at_us)) {
                window.marks.push(mark);
            }
        }
    }

    fn happened(&mut self, at_us: u64, happening: Happening) {
        for window in self.windows.iter_mut().filter(|w| w.contains(at_us)) {
            window.happenings.push((at_us, happening.clone()));
        }
    }
}

impl Tracer for WindowTracer {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        let at_us = at.as_us();
        self.open_until(at_us);
        match *event {
            TraceEvent::Send {
                from,
                to,
                id,
                msg,
                fate,
            } => self.send(at_us, from, to, id, msg, fate),
            TraceEvent::Drop {
                id: Some(id),
                reason,
                ..
            } => self.dropped(at_us, id, reason),
            TraceEvent::State {
                node,
                term,
                role,
                leader,
                ..
            } => self.state(NodeMark {
                at_us,
                node,
                term,
                role,
                leader,
            }),
            TraceEvent::Crash { node } => {
                self.now[node.index()].1 = false;
                self.happened(at_us, Happening::Crash { node });
            }
            TraceEvent::Restart { node } => {
                self.now[node.index()].1 = true;
                self.happened(at_us, Happening::Restart { node });
            }
            TraceEvent::Fault {
                description,
                skipped,
                ..
            } => self.happened(
                at_us,
                Happening::Fault {
                    description: description.to_string(),
                    skipped,
                },
            ),
            TraceEvent::Violation { property, node, .. } => self.happened(
                at_us,
                Happening::Violation {
                    property: property.name(),
                    node,
                },
            ),
            TraceEvent::Drop { id: None, .. }
            | TraceEvent::Deliver { .. }
            | TraceEvent::Timer { .. }
            | TraceEvent::Propose { .. }
            | TraceEvent::Commit { .. } => {}
        }
        Ok(())
    }
}

/// Replays `variant` of `scenario` with `seed` up to the last window's end
/// and returns what happened in each window (`(start_us, end_us)`), with
/// the cut links at its start and at each instant of `link_changes_us`
/// inside it (where a fault may have cut or healed links). The run is
/// deterministic, so this is exactly what the full run did in those
/// windows; each link check is one more replay, up to its instant.
pub fn record_windows(
    scenario: &Scenario,
    variant: &Variant,
    seed: u64,
    windows: &[(u64, u64)],
    link_changes_us: &[u64],
) -> Vec<MessageWindow> {
    let Some(last_end) = windows.iter().map(|w| w.1).max() else {
        return Vec::new();
    };
    let mut cfg = scenario.cluster_config(variant, seed);
    cfg.duration_us = cfg.duration_us.min(last_end);
    let mut tracer = WindowTracer::new(scenario.file.nodes as usize, windows);
    cluster::run_with(cfg, Some(&mut tracer));
    let mut recorded = tracer.into_windows();
    for window in &mut recorded {
        let mut instants = vec![window.start_us];
        instants.extend(link_changes_us.iter().filter(|&&at| window.contains(at)));
        instants.sort_unstable();
        instants.dedup();
        for at in instants {
            let cut = results::state_at(scenario, variant, seed, at).cut_links;
            if window.cut_links.last().is_none_or(|(_, last)| *last != cut) {
                window.cut_links.push((at, cut));
            }
        }
    }
    recorded
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Node 2 cut off from 1 s to 3 s of a 4 s run of 3 nodes.
    const CUT: &str = r#"{
      "name": "cut", "nodes": 3, "duration_ms": 4000, "seed": 1,
      "events": [ { "at_ms": 1000, "isolate": 2 }, { "at_ms": 3000, "heal": true } ],
      "variants": [ { "label": "raft" } ]
    }"#;

    #[test]
    fn keeps_only_the_windows_with_the_state_and_links_as_each_opens() {
        let scenario = crate::scenario::parse(CUT).expect("valid");
        let variant = &scenario.variants()[0];
        let windows = [(2_800_000, 3_200_000), (500_000, 600_000)];
        let recorded = record_windows(&scenario, variant, 1, &windows, &[1_000_000, 3_000_000]);
        assert_eq!(recorded.len(), 2);
        for (w, &(start, end)) in recorded.iter().zip(&windows) {
            assert_eq!((w.start_us, w.end_us), (start, end));
            assert!(!w.messages.is_empty());
            assert!(w
                .messages
                .iter()
                .all(|m| (start..=end).contains(&m.sent_us)));
            assert!(w.marks.iter().all(|m| (start..=end).contains(&m.at_us)));
            assert_eq!(w.initial.len(), 3);
            assert!(w.initial.iter().all(|(state, up)| state.is_some() && *up));
        }
        let (n1, n2) = (NodeId(1), NodeId(2));
        // Before the cut: every link up. Across the heal: node 2's four
        // directed links cut, then none; its sends die at the cut.
        assert_eq!(recorded[1].cut_links, vec![(500_000, vec![])]);
        let across = &recorded[0];
        assert_eq!(across.cut_links.len(), 2, "{:?}", across.cut_links);
        assert_eq!(across.cut_links[0].1.len(), 4);
        assert!(across.cut_links[0].1.contains(&(n2, n1)));
        assert_eq!(across.cut_links[1], (3_000_000, vec![]));
        assert!(across.messages.iter().any(|m| m.from == n2
            && m.end == MessageEnd::DroppedAtSend(DropReason::LinkCut)
            && m.sent_us < 3_000_000));
        assert!(across
            .happenings
            .iter()
            .any(|(at, h)| *at == 3_000_000 && matches!(h, Happening::Fault { .. })));
    }
}
