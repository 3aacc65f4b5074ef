//! The [`Recorder`]: hears one run as it goes and keeps what the viewer
//! shows of it, by the rule in `record.rs`'s module comment.

use super::*;

/// Keeps what the viewer shows of one run, as it goes (module comment).
pub struct Recorder {
    detail: Detail,
    replay: VariantReplay,
    /// The instants of the scripted events, known before the run
    /// (sorted): each one's window opens `window_us` before it. The first
    /// whose window has not been reached yet, and where that window opens.
    planned: Vec<u64>,
    next_planned: usize,
    next_planned_start: u64,
    /// The end of the windows opened by the planned instants reached so
    /// far, and by the latest moment of the run.
    planned_until: Option<u64>,
    open_until: Option<u64>,
    /// About what the data kept so far weighs, in bytes.
    kept_bytes: usize,
    /// What it knows of each node, by index.
    tracks: Vec<Track>,
    /// The sample period of the latest change heard (its number, and
    /// where it ends).
    period: u64,
    period_end_us: u64,
    /// Until when the recorder is known to stay outside every window and
    /// in the same period (no moment since a status change found it so):
    /// before then, a change of log or commit alone only replaces the
    /// node's change not kept yet of this period. 0 when not known.
    coalescing_until: u64,
    paused: Vec<u32>,
    /// The time of the latest record heard.
    now_us: u64,
    /// The longest flight of a message kept: how far back a drop looks
    /// for the message it drops.
    longest_flight_us: u64,
}

/// What the recorder knows of one node.
#[derive(Clone, Copy, Default)]
struct Track {
    /// Its last status.
    last: Option<NodeView>,
    /// When its last change fell outside the windows and is not kept yet:
    /// its instant and sample period (it is kept if it is the last of its
    /// period, or the state a window opens with).
    pending: Option<(u64, u64)>,
    /// Until when a campaign of its own is no moment.
    quiet_until: u64,
}

/// About what one message and one status change weigh in the page's data
/// (base64 of a few one-byte varints, `encode`).
const MESSAGE_BYTES: usize = 8;
const STATUS_BYTES: usize = 7;
/// The part of its budget a recorder paces itself to: the rest is for the
/// markers and what the estimate misses.
const PACED_SHARE: f64 = 0.7;

impl Recorder {
    /// `planned_us`: the instants of the scripted events, known before the
    /// run: their windows open `window_us` before them.
    pub fn new(label: &str, nodes: u32, detail: Detail, planned_us: &[u64]) -> Recorder {
        let mut planned = planned_us.to_vec();
        planned.sort_unstable();
        planned.dedup();
        let next_planned_start = planned
            .first()
            .map_or(u64::MAX, |at| at.saturating_sub(detail.window_us));
        // With a budget, room for what it holds is made at once (address
        // space only until used): no copying as the lists grow.
        let paced = detail
            .budget
            .map_or(0, |b| (b.bytes as f64 * PACED_SHARE) as usize);
        let statuses_each = paced / STATUS_BYTES / (nodes.max(1) as usize);
        Recorder {
            detail,
            replay: VariantReplay {
                label: label.to_string(),
                nodes,
                coarse_us: detail.coarse_us,
                window_us: detail.window_us,
                links_known: true,
                statuses: (0..nodes)
                    .map(|_| Vec::with_capacity(statuses_each))
                    .collect(),
                messages: Vec::with_capacity(paced / MESSAGE_BYTES),
                ..VariantReplay::default()
            },
            planned,
            next_planned: 0,
            next_planned_start,
            planned_until: None,
            open_until: None,
            kept_bytes: 0,
            tracks: vec![Track::default(); nodes as usize],
            period: 0,
            period_end_us: detail.coarse_us,
            coalescing_until: 0,
            paused: Vec::new(),
            now_us: 0,
            longest_flight_us: 0,
        }
    }

    /// Whether `at_us` (never earlier than the last instant asked about)
    /// is inside a window. On reaching a planned window that opens, each
    /// node's last change is kept: the state it opens with.
    #[inline]
    fn inside(&mut self, at_us: u64) -> bool {
        self.now_us = at_us;
        if self.next_planned_start <= at_us {
            self.reach_planned(at_us);
        }
        self.open_until.is_some_and(|until| at_us <= until)
            || self.planned_until.is_some_and(|until| at_us <= until)
    }

    /// The planned instants whose windows open at or before `at_us`: each
    /// opens its window if the pace allows.
    #[cold]
    fn reach_planned(&mut self, at_us: u64) {
        let window_us = self.detail.window_us;
        while let Some(&at) = self.planned.get(self.next_planned) {
            let start = at.saturating_sub(window_us);
            if start > at_us {
                break;
            }
            self.next_planned += 1;
            if self.opens(start, false) {
                self.keep_pending();
                self.replay.moments.push((at, true));
                let end = at.saturating_add(window_us);
                self.planned_until = Some(self.planned_until.map_or(end, |until| until.max(end)));
            }
        }
        self.next_planned_start = self
            .planned
            .get(self.next_planned)
            .map_or(u64::MAX, |at| at.saturating_sub(window_us));
    }

    /// Whether a window may open (or the one open be drawn out) at
    /// `at_us` (module comment in `record.rs`): always without a budget,
    /// or when `forced` (a violation); else while what is kept is within
    /// its pace.
    /// A 32nd of the share may go before the pace binds. More would let a
    /// dense run spend its share at its start (chaos-bugs: a quarter or
    /// an eighth leave it two whole windows); less refuses a window or two
    /// early in a run that is busy at its start but within its share as a
    /// whole (lossy-network's dledger variant: 9 of 12,709 messages).
    fn opens(&self, at_us: u64, forced: bool) -> bool {
        let Some(budget) = self.detail.budget else {
            return true;
        };
        let run_so_far = (at_us as f64 / budget.duration_us as f64).clamp(1.0 / 32.0, 1.0);
        forced || self.kept_bytes as f64 <= budget.bytes as f64 * PACED_SHARE * run_so_far
    }

    /// Keeps a status change of the node at `index`.
    #[inline]
    fn keep_status(&mut self, index: usize, change: StatusChange) {
        self.kept_bytes += STATUS_BYTES;
        self.replay.statuses[index].push(change);
    }

    /// Each node's last change not kept yet is kept: the state of the
    /// window about to open.
    fn keep_pending(&mut self) {
        for index in 0..self.tracks.len() {
            let track = &mut self.tracks[index];
            if let (Some((at_us, _)), Some(view)) = (track.pending.take(), track.last) {
                let node = index as u32 + 1;
                self.keep_status(index, StatusChange { at_us, node, view });
            }
        }
    }

    /// Something worth seeing in full happened at `at_us`: a window from
    /// it for `window_us`, if the pace allows (`forced`: always).
    fn moment(&mut self, at_us: u64, forced: bool) {
        self.coalescing_until = 0;
        let inside = self.inside(at_us);
        if !self.opens(at_us, forced) {
            return;
        }
        if !inside {
            self.keep_pending();
        }
        if self.replay.moments.last() != Some(&(at_us, false)) {
            self.replay.moments.push((at_us, false));
        }
        let end = at_us + self.detail.window_us;
        self.open_until = Some(self.open_until.map_or(end, |until| until.max(end)));
    }

    /// Whether a change of role, term, vote or leader is a moment: always
    /// when a leader comes or goes or a node's known leader changes; a
    /// node's campaign (a new term or vote without a leader) only if that
    /// node started none in the last four windows, so that a node cut off
    /// and campaigning again and again does not keep every message of the
    /// cluster.
    fn is_moment(
        &mut self,
        index: usize,
        at_us: u64,
        before: Option<NodeView>,
        view: &NodeView,
    ) -> bool {
        let Some(before) = before else {
            return true;
        };
        if view.role == Role::Leader || before.role == Role::Leader || view.leader != before.leader
        {
            return true;
        }
        if at_us < self.tracks[index].quiet_until {
            return false;
        }
        self.tracks[index].quiet_until = at_us + 4 * self.detail.window_us;
        true
    }

    /// A node's status changed (or it started) at `at_us`.
    #[inline]
    pub fn status(&mut self, at_us: u64, node: u32, view: NodeView) {
        let index = node as usize - 1;
        let (period, coalescing_until) = (self.period, self.coalescing_until);
        let Some(track) = self.tracks.get_mut(index) else {
            return;
        };
        // Most changes: a log or commit moving between windows, in the
        // period of the node's change not kept yet, which it replaces.
        if at_us < coalescing_until && matches!(track.pending, Some((_, p)) if p == period) {
            if let Some(last) = track.last.as_mut().filter(|l| !l.differs_in_state(&view)) {
                (last.log, last.commit) = (view.log, view.commit);
                track.pending = Some((at_us, period));
                self.now_us = at_us;
                return;
            }
        }
        self.status_at_length(index, at_us, node, view);
    }

    /// A status change that does more than replace the node's change
    /// not kept yet.
    #[inline(never)]
    fn status_at_length(&mut self, index: usize, at_us: u64, node: u32, view: NodeView) {
        let before = self.tracks[index].last;
        let state_changed = before.is_none_or(|last| last.differs_in_state(&view));
        if state_changed && self.is_moment(index, at_us, before, &view) {
            self.moment(at_us, false);
        }
        if self.inside(at_us) {
            self.tracks[index].pending = None;
            self.keep_status(index, StatusChange { at_us, node, view });
        } else {
            if at_us >= self.period_end_us {
                self.period = at_us / self.detail.coarse_us;
                self.period_end_us = (self.period + 1) * self.detail.coarse_us;
            }
            let period = self.period;
            if let (Some((last_us, last_period)), Some(last)) = (self.tracks[index].pending, before)
            {
                if last_period != period || state_changed {
                    let change = StatusChange {
                        at_us: last_us,
                        node,
                        view: last,
                    };
                    self.keep_status(index, change);
                }
            }
            if state_changed {
                // Kept always, even outside the windows.
                self.tracks[index].pending = None;
                self.keep_status(index, StatusChange { at_us, node, view });
            } else {
                self.tracks[index].pending = Some((at_us, period));
            }
            self.coalescing_until = self.period_end_us.min(self.next_planned_start);
        }
        self.tracks[index].last = Some(view);
    }

    /// The index of a message kind, added on first sight (past 255 kinds,
    /// which no implementation has, the rest share the last).
    pub fn kind_index(&mut self, kind: &str) -> u8 {
        if let Some(i) = self.replay.kinds.iter().position(|k| k == kind) {
            return i as u8;
        }
        if self.replay.kinds.len() == usize::from(u8::MAX) {
            self.replay.kinds.push("(other kinds)".to_string());
        }
        if self.replay.kinds.len() > usize::from(u8::MAX) {
            return u8::MAX;
        }
        self.replay.kinds.push(kind.to_string());
        (self.replay.kinds.len() - 1) as u8
    }

    /// Until when no message is kept: while outside every window, until
    /// the next planned one opens (only a moment can open another, and
    /// every moment comes through a call that asks again); inside one, 0.
    pub fn quiet_until(&self) -> u64 {
        let now = self.now_us;
        let inside = self.open_until.is_some_and(|until| now <= until)
            || self.planned_until.is_some_and(|until| now <= until);
        if inside {
            0
        } else {
            self.next_planned_start
        }
    }

    /// Whether a message sent at `at_us` is kept: asked first, so that
    /// one outside the windows costs nothing more.
    #[inline]
    pub fn keeps_message(&mut self, at_us: u64) -> bool {
        self.inside(at_us)
    }

    /// A message left (or was lost at once, `end_us == sent_us`), inside
    /// a window ([`Recorder::keeps_message`]).
    #[inline]
    pub fn send(&mut self, message: Message) {
        self.longest_flight_us = self.longest_flight_us.max(message.end_us - message.sent_us);
        self.kept_bytes += MESSAGE_BYTES;
        self.replay.messages.push(message);
    }

    /// The message from `from` to `to` arriving at `at_us` was dropped
    /// on arrival (its link cut in flight, or its receiver down), if it
    /// was kept.
    pub fn dropped(&mut self, at_us: u64, from: u8, to: u8, fate: Fate) {
        // Messages are kept in send order: the one dropped now left at
        // most the longest flight ago.
        let horizon = at_us.saturating_sub(self.longest_flight_us);
        for m in self.replay.messages.iter_mut().rev() {
            if m.sent_us < horizon {
                break;
            }
            if m.from == from && m.to == to && m.end_us == at_us && m.fate == Fate::Delivered {
                m.fate = fate;
                return;
            }
        }
    }

    pub fn crash(&mut self, at_us: u64, node: u32) {
        self.node_event(at_us, node, NodeEventKind::Crash);
        self.paused.retain(|&n| n != node);
    }

    pub fn restart(&mut self, at_us: u64, node: u32) {
        self.node_event(at_us, node, NodeEventKind::Restart);
    }

    fn node_event(&mut self, at_us: u64, node: u32, kind: NodeEventKind) {
        self.moment(at_us, false);
        self.replay
            .node_events
            .push(NodeEvent { at_us, node, kind });
    }

    /// A scripted event fired (or was skipped).
    pub fn fault(&mut self, at_us: u64, description: &str, skipped: bool) {
        if !skipped {
            self.moment(at_us, false);
        }
        let text = match skipped {
            true if description.ends_with("(skipped)") => description.to_string(),
            true => format!("{description} (skipped)"),
            false => description.to_string(),
        };
        self.marker(at_us, MarkerKind::Fault, text);
    }

    /// The links cut and the nodes paused after a fault.
    pub fn after_fault(&mut self, at_us: u64, cut: &[(u32, u32)], paused: &[u32]) {
        let unchanged = match self.replay.links.last() {
            Some(last) => last.cut == cut,
            None => cut.is_empty(),
        };
        if !unchanged {
            self.moment(at_us, false);
            self.replay.links.push(LinkState {
                at_us,
                cut: cut.to_vec(),
            });
        }
        for &node in paused {
            if !self.paused.contains(&node) {
                self.node_event(at_us, node, NodeEventKind::Pause);
            }
        }
        for node in self.paused.clone() {
            if !paused.contains(&node) {
                self.node_event(at_us, node, NodeEventKind::Resume);
            }
        }
        self.paused = paused.to_vec();
    }

    /// The configuration the cluster starts with, when not every node is
    /// in it (no marker: nothing happened).
    pub fn initial_config(&mut self, voters: Vec<u32>) {
        debug_assert!(
            self.replay.configs.is_empty(),
            "the initial configuration comes first"
        );
        self.replay.configs.push(ConfigState {
            at_us: 0,
            voters,
            learners: Vec::new(),
        });
    }

    /// The configuration changed: `voters` and `learners` from now on.
    pub fn config(&mut self, at_us: u64, voters: Vec<u32>, learners: Vec<u32>, text: String) {
        self.moment(at_us, false);
        self.replay.configs.push(ConfigState {
            at_us,
            voters,
            learners,
        });
        self.marker(at_us, MarkerKind::Config, text);
    }

    pub fn violation(&mut self, at_us: u64, text: String) {
        self.moment(at_us, true);
        self.marker(at_us, MarkerKind::Violation, text);
    }

    fn marker(&mut self, at_us: u64, kind: MarkerKind, text: String) {
        self.replay.markers.push(Marker { at_us, kind, text });
    }

    /// The leaders the run's metrics counted as disrupted.
    pub fn disruptions(&mut self, disruptions: &[DisruptionPoint]) {
        for d in disruptions {
            let by = d.by.map_or(String::new(), |by| format!(" by node {by}"));
            self.marker(
                (d.at_ms * 1000.0).round() as u64,
                MarkerKind::Disruption,
                format!("leader {} deposed{by} (term {})", d.node, d.term),
            );
        }
    }

    /// Marks, from the statuses kept, each node that became leader, and
    /// (when `step_downs`: a trace holds no disruption series) each leader
    /// that stepped down on a higher term.
    fn derive_markers(&mut self, step_downs: bool) {
        let mut found = Vec::new();
        for (index, changes) in self.replay.statuses.iter().enumerate() {
            let node = index + 1;
            let mut before: Option<NodeView> = None;
            for s in changes {
                let was_leader = before.filter(|b| b.role == Role::Leader);
                if s.view.role == Role::Leader && was_leader.is_none_or(|b| b.term != s.view.term) {
                    found.push(Marker {
                        at_us: s.at_us,
                        kind: MarkerKind::Election,
                        text: format!("node {node} leads term {}", s.view.term),
                    });
                }
                if let Some(b) = was_leader.filter(|b| step_downs && s.view.term > b.term) {
                    found.push(Marker {
                        at_us: s.at_us,
                        kind: MarkerKind::Disruption,
                        text: format!(
                            "leader {node} of term {} stepped down (term {})",
                            b.term, s.view.term
                        ),
                    });
                }
                before = Some(s.view);
            }
        }
        self.replay.markers.extend(found);
    }

    /// Ends the record at `end_us` (where the run ended): each node's last
    /// change is kept.
    pub fn finish(mut self, end_us: u64, step_downs: bool) -> VariantReplay {
        self.keep_pending();
        self.replay.end_us = end_us.max(self.now_us);
        self.replay.windows = windows(
            &self.replay.moments,
            self.detail.window_us,
            self.replay.end_us,
        );
        self.derive_markers(step_downs);
        self.replay.markers.sort_by_key(|m| (m.at_us, m.kind));
        self.replay
    }

    /// Records a trace without the links and pauses (a JSON Lines trace).
    pub fn links_unknown(&mut self) {
        self.replay.links_known = false;
    }
}

#[cfg(test)]
mod tests;
