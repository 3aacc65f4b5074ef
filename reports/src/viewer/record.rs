//! What one run leaves for the viewer, and the rule that keeps it small.
//!
//! The [`Recorder`] hears a run as it goes (node statuses, messages, crashes,
//! faults, cut links, pauses, violations) and keeps:
//!
//! - every change of a node's role, term, vote or leader, every crash,
//!   restart, pause, resume, fault, change of links or of the
//!   configuration, and every violation: always;
//! - everything else (each message, each change of a log length or a
//!   commit index) in full inside the *detail windows*: `window_us` from
//!   each of those *moments* on, and for a scripted event (whose instant is
//!   known before the run) `window_us` before it too. A leader elected or
//!   deposed, a known leader changing, a fault, a crash or restart, a pause
//!   or resume, a change of links or configuration, a violation: each is a
//!   moment. A campaign (a node's new term or vote) is one unless the same
//!   node started another in the last four windows: a node cut off and
//!   campaigning again and again opens a window now and then, not always;
//! - between windows, no messages, and per node only the last change of
//!   its log and commit in each period of `coarse_us` (and the last before
//!   each window, the state it opens with).
//!
//! So inside a window the state of every node at any instant is exactly the
//! run's, and outside one its role, term, vote and leader are, its log and
//! commit at most one period old.
//!
//! It decides as it hears, holding nothing back: a message outside the
//! windows costs one comparison, a status change outside them a few. Its
//! memory is what it keeps, bounded by the windows and the periods.
//!
//! Given a [`Budget`], it also keeps to a pace: a moment opens a window,
//! or draws out the one open, only while what it has kept is within its
//! share of the bytes pro rata to the run so far (a violation always
//! does). A moment that opens no
//! window is no moment, though its marker, and every change of role, term,
//! vote or leader, is still kept. So a run full of faults (thousands of
//! restarts in two minutes) keeps whole windows around some of them,
//! spread evenly over the run, in about the memory and time its page can
//! show, instead of keeping everything and thinning most of it away
//! afterwards; a run within its budget keeps a window around every moment.

mod recorder;

pub use recorder::Recorder;

use sim_core::metrics::DisruptionPoint;
use sim_core::node::Role;

/// A node's Raft state as the viewer shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub role: Role,
    pub term: u64,
    pub vote: Option<u8>,
    pub leader: Option<u8>,
    /// Log length: the index of its last entry.
    pub log: u64,
    pub commit: u64,
}

impl NodeView {
    /// Whether `other` differs in role, term, vote or leader: a change
    /// that is always kept (and a moment around which detail is kept).
    pub(super) fn differs_in_state(&self, other: &NodeView) -> bool {
        (self.role, self.term, self.vote, self.leader)
            != (other.role, other.term, other.vote, other.leader)
    }
}

/// A node's status from `at_us` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub at_us: u64,
    /// 1-based.
    pub node: u32,
    pub view: NodeView,
}

/// What happened to a node's process or membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeEventKind {
    Crash,
    Restart,
    Pause,
    Resume,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    pub at_us: u64,
    pub node: u32,
    pub kind: NodeEventKind,
}

/// How a message ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fate {
    Delivered,
    /// Lost to the link's loss probability when sent.
    Lost,
    /// Its link was cut when it was sent.
    LinkCut,
    /// Its link was cut while it was in flight.
    CutInFlight,
    /// Its receiver was down when it arrived.
    NodeDown,
}

impl Fate {
    pub const ALL: [Fate; 5] = [
        Fate::Delivered,
        Fate::Lost,
        Fate::LinkCut,
        Fate::CutInFlight,
        Fate::NodeDown,
    ];

    pub fn code(self) -> u8 {
        match self {
            Fate::Delivered => 0,
            Fate::Lost => 1,
            Fate::LinkCut => 2,
            Fate::CutInFlight => 3,
            Fate::NodeDown => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::Lost => "lost",
            Fate::LinkCut => "link_cut",
            Fate::CutInFlight => "cut_in_flight",
            Fate::NodeDown => "node_down",
        }
    }
}

/// One message (a duplicated one is two). Small: a run keeps many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pub sent_us: u64,
    /// When it arrived or was dropped on arrival; `sent_us` when it never
    /// left (lost, or its link was cut).
    pub end_us: u64,
    /// Its term (past 2^32 - 1, which no run reaches, that).
    pub term: u32,
    /// 1-based, like `to`.
    pub from: u8,
    pub to: u8,
    /// Index into the variant's `kinds`.
    pub kind: u8,
    pub fate: Fate,
}

impl Message {
    /// A term as a message holds it.
    pub fn term_of(term: u64) -> u32 {
        u32::try_from(term).unwrap_or(u32::MAX)
    }
}

/// What a marker on the timeline stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    /// A scripted (or chaos) event fired or was skipped.
    Fault,
    /// A node became leader.
    Election,
    /// A leader stepped down on a higher term.
    Disruption,
    /// The configuration changed.
    Config,
    /// A safety property broke.
    Violation,
}

impl MarkerKind {
    pub const ALL: [MarkerKind; 5] = [
        MarkerKind::Fault,
        MarkerKind::Election,
        MarkerKind::Disruption,
        MarkerKind::Config,
        MarkerKind::Violation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MarkerKind::Fault => "fault",
            MarkerKind::Election => "election",
            MarkerKind::Disruption => "disruption",
            MarkerKind::Config => "config",
            MarkerKind::Violation => "violation",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub at_us: u64,
    pub kind: MarkerKind,
    pub text: String,
}

/// The directed links (from, to) cut from `at_us` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkState {
    pub at_us: u64,
    pub cut: Vec<(u32, u32)>,
}

/// The cluster's configuration from `at_us` on: its voters and learners;
/// a node in neither is outside it (removed, or a spare never added).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigState {
    pub at_us: u64,
    pub voters: Vec<u32>,
    pub learners: Vec<u32>,
}

/// What the viewer knows of one variant's run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VariantReplay {
    pub label: String,
    pub nodes: u32,
    /// Where the run ended (earlier than the scenario's end when a
    /// violation or a limit stopped it).
    pub end_us: u64,
    /// Message kinds, as the messages index them.
    pub kinds: Vec<String>,
    /// Each node's status changes (index 0 is node 1), in time order.
    pub statuses: Vec<Vec<StatusChange>>,
    pub node_events: Vec<NodeEvent>,
    /// In send order.
    pub messages: Vec<Message>,
    pub markers: Vec<Marker>,
    /// Each change of the set of cut links, in time order.
    pub links: Vec<LinkState>,
    /// Each change of configuration (none until the run has one).
    pub configs: Vec<ConfigState>,
    /// The instants around which detail is kept (see the module comment):
    /// each with whether its window opens before it (a scripted event,
    /// known before the run) or at it (anything else); how far.
    pub moments: Vec<(u64, bool)>,
    pub window_us: u64,
    /// The detail windows `[start, end]`, in time order, disjoint.
    pub windows: Vec<(u64, u64)>,
    /// The period of the log and commit samples between windows.
    pub coarse_us: u64,
    /// Whether the run's link cuts and pauses are known (a JSON Lines
    /// trace does not carry them).
    pub links_known: bool,
}

/// How much detail to keep (see the module comment): windows of
/// `window_us` on either side of each moment; between them a sample per
/// node each `coarse_us`; and, with a `budget`, no more than it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detail {
    pub window_us: u64,
    pub coarse_us: u64,
    pub budget: Option<Budget>,
}

/// What a record may weigh: about `bytes` of data for a run of
/// `duration_us`. The recorder keeps to its pace as the run goes (see
/// `Recorder`), so that a run far denser than its page's share is not
/// recorded whole and thinned afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub duration_us: u64,
    pub bytes: usize,
}

impl Detail {
    pub fn new(window_us: u64, coarse_us: u64) -> Detail {
        Detail {
            window_us,
            coarse_us: coarse_us.max(1),
            budget: None,
        }
    }

    /// This detail, kept within about `bytes` over a run of `duration_us`.
    pub fn within(self, duration_us: u64, bytes: usize) -> Detail {
        Detail {
            budget: Some(Budget {
                duration_us: duration_us.max(1),
                bytes,
            }),
            ..self
        }
    }
}

/// The windows of `window_us` after each moment (and before one known in
/// advance), merged, within `[0, end_us]`.
pub(super) fn windows(moments: &[(u64, bool)], window_us: u64, end_us: u64) -> Vec<(u64, u64)> {
    merged(
        moments
            .iter()
            .map(|&(at, before)| {
                let start = if before {
                    at.saturating_sub(window_us)
                } else {
                    at
                };
                (start, (at + window_us).min(end_us))
            })
            // A scripted event after a run stopped early opens nothing.
            .filter(|(start, end)| start <= end)
            .collect(),
    )
}

/// Spans `[start, end]`, sorted and merged where they touch or overlap.
pub(super) fn merged(mut spans: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    spans.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// One node's Raft state as the viewer computes it for an instant: the
/// state as of its last status change at or before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeAt {
    pub node: u32,
    pub up: bool,
    pub paused: bool,
    pub view: NodeView,
    /// Inside a detail window: log and commit are exact.
    pub exact: bool,
}

impl VariantReplay {
    /// Every node's state at `at_us` (records at that instant included), by
    /// the same rule as the page's script: a node's last status change at
    /// or before the instant, whether it is down or paused by its last
    /// crash, restart, pause or resume. `None` for a node with no status
    /// yet.
    pub fn state_at(&self, at_us: u64) -> Vec<Option<NodeAt>> {
        let exact = self
            .windows
            .iter()
            .any(|&(start, end)| (start..=end).contains(&at_us));
        self.statuses
            .iter()
            .enumerate()
            .map(|(index, changes)| {
                let node = index as u32 + 1;
                let upto = changes.partition_point(|s| s.at_us <= at_us);
                let view = changes[..upto].last()?.view;
                let mut up = true;
                let mut paused = false;
                for e in self
                    .node_events
                    .iter()
                    .filter(|e| e.node == node && e.at_us <= at_us)
                {
                    match e.kind {
                        NodeEventKind::Crash => (up, paused) = (false, false),
                        NodeEventKind::Restart => up = true,
                        NodeEventKind::Pause => paused = true,
                        NodeEventKind::Resume => paused = false,
                    }
                }
                Some(NodeAt {
                    node,
                    up,
                    paused,
                    view,
                    exact,
                })
            })
            .collect()
    }
}
