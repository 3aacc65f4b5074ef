//! A tracer that keeps what happened inside a few windows of virtual time:
//! the messages sent in each window (with where and when each ended), the
//! nodes' term and role changes, crashes, restarts, faults and safety
//! violations, and every node's state as each window opened. What a message
//! diagram of the report draws (docs/CHARTS.md). Memory is bounded by the
//! windows, not by the run: outside them it keeps one state per node.

use std::collections::BTreeMap;
use std::io;

use super::{DropReason, Envelope, TraceEvent, Tracer};
use crate::network::Fate;
use crate::node::{MessageClass, NodeId, Role, Term};
use crate::time::Instant;

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
    pub fn contains(&self, at_us: u64) -> bool {
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

    fn send(&mut self, at_us: u64, envelope: Envelope<'_>, id: u64, fate: Fate) {
        let Envelope { from, to, msg } = envelope;
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
                    class: msg.class(),
                    granted: msg.answer(),
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
            TraceEvent::Send { envelope, id, fate } => self.send(at_us, envelope, id, fate),
            TraceEvent::Drop {
                id: Some(id),
                reason,
                ..
            } => self.dropped(at_us, id, reason),
            TraceEvent::State { node, status } => self.state(NodeMark {
                at_us,
                node,
                term: status.term,
                role: status.role,
                leader: status.leader,
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
            | TraceEvent::Commit { .. }
            | TraceEvent::Config { .. } => {}
        }
        Ok(())
    }
}
