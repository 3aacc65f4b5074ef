//! The [`Recorder`]: hears one run as it goes and keeps what the viewer
//! shows of it, by the rule in `record.rs`'s module comment.

use super::*;

/// Keeps what the viewer shows of one run, as it goes (module comment).
pub struct Recorder {
    detail: Detail,
    replay: VariantReplay,
    /// The windows around the scripted events, known before the run
    /// (sorted, merged), and the first that has not ended yet.
    planned: Vec<(u64, u64)>,
    next_planned: usize,
    /// How many planned windows have been reached (their opening state
    /// kept).
    planned_entered: usize,
    /// The end of the window opened by the latest moment of the run.
    open_until: Option<u64>,
    /// Per node: its last status; and when that last change fell outside
    /// the windows and is not kept yet, its instant and sample period (it
    /// is kept if it is the last of its period, or the state a window
    /// opens with).
    last: Vec<Option<NodeView>>,
    pending: Vec<Option<(u64, u64)>>,
    /// Per node: until when a campaign of its own is no moment.
    quiet_until: Vec<u64>,
    /// The sample period of the latest change heard (its number, and
    /// where it ends).
    period: u64,
    period_end_us: u64,
    paused: Vec<u32>,
    /// The time of the latest record heard.
    now_us: u64,
    /// The longest flight of a message kept: how far back a drop looks
    /// for the message it drops.
    longest_flight_us: u64,
}

impl Recorder {
    /// `planned_us`: the instants of the scripted events, known before the
    /// run: their windows open `window_us` before them.
    pub fn new(label: &str, nodes: u32, detail: Detail, planned_us: &[u64]) -> Recorder {
        let planned = merged(
            planned_us
                .iter()
                .map(|&at| (at.saturating_sub(detail.window_us), at + detail.window_us))
                .collect(),
        );
        Recorder {
            detail,
            replay: VariantReplay {
                label: label.to_string(),
                nodes,
                coarse_us: detail.coarse_us,
                window_us: detail.window_us,
                links_known: true,
                statuses: vec![Vec::new(); nodes as usize],
                moments: planned_us.iter().map(|&at| (at, true)).collect(),
                ..VariantReplay::default()
            },
            planned,
            next_planned: 0,
            planned_entered: 0,
            open_until: None,
            last: vec![None; nodes as usize],
            pending: vec![None; nodes as usize],
            quiet_until: vec![0; nodes as usize],
            period: 0,
            period_end_us: detail.coarse_us,
            paused: Vec::new(),
            now_us: 0,
            longest_flight_us: 0,
        }
    }

    /// Whether `at_us` (never earlier than the last instant asked about)
    /// is inside a window. On reaching a planned window, each node's last
    /// change is kept: the state it opens with.
    #[inline]
    fn inside(&mut self, at_us: u64) -> bool {
        self.now_us = at_us;
        if self.open_until.is_some_and(|until| at_us <= until) {
            return true;
        }
        match self.planned.get(self.next_planned) {
            Some(&(start, end)) if start <= at_us => {
                if self.next_planned < self.planned_entered || at_us > end {
                    return self.reach_planned(at_us);
                }
                at_us <= end
            }
            _ => false,
        }
    }

    /// The planned windows that start at or before `at_us`: each one
    /// reached keeps the state it opens with; whether `at_us` is in one.
    #[cold]
    fn reach_planned(&mut self, at_us: u64) -> bool {
        while let Some(&(start, end)) = self.planned.get(self.next_planned) {
            if start > at_us {
                return false;
            }
            if self.planned_entered <= self.next_planned {
                self.keep_pending();
                self.planned_entered = self.next_planned + 1;
            }
            if at_us <= end {
                return true;
            }
            self.next_planned += 1;
        }
        false
    }

    /// Each node's last change not kept yet is kept: the state of the
    /// window about to open.
    fn keep_pending(&mut self) {
        for (index, slot) in self.pending.iter_mut().enumerate() {
            if let (Some((at_us, _)), Some(view)) = (slot.take(), self.last[index]) {
                self.replay.statuses[index].push(StatusChange {
                    at_us,
                    node: index as u32 + 1,
                    view,
                });
            }
        }
    }

    /// Something worth seeing in full happened at `at_us`: a window from
    /// it for `window_us`.
    fn moment(&mut self, at_us: u64) {
        if !self.inside(at_us) {
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
        if at_us < self.quiet_until[index] {
            return false;
        }
        self.quiet_until[index] = at_us + 4 * self.detail.window_us;
        true
    }

    /// A node's status changed (or it started) at `at_us`.
    #[inline]
    pub fn status(&mut self, at_us: u64, node: u32, view: NodeView) {
        let index = node as usize - 1;
        let Some(&before) = self.last.get(index) else {
            return;
        };
        let state_changed = before.is_none_or(|last| last.differs_in_state(&view));
        if state_changed && self.is_moment(index, at_us, before, &view) {
            self.moment(at_us);
        }
        if self.inside(at_us) {
            self.pending[index] = None;
            self.replay.statuses[index].push(StatusChange { at_us, node, view });
        } else {
            if at_us >= self.period_end_us {
                self.period = at_us / self.detail.coarse_us;
                self.period_end_us = (self.period + 1) * self.detail.coarse_us;
            }
            let period = self.period;
            if let (Some((last_us, last_period)), Some(last)) = (self.pending[index], before) {
                if last_period != period || state_changed {
                    self.replay.statuses[index].push(StatusChange {
                        at_us: last_us,
                        node,
                        view: last,
                    });
                }
            }
            if state_changed {
                // Kept always, even outside the windows.
                self.pending[index] = None;
                self.replay.statuses[index].push(StatusChange { at_us, node, view });
            } else {
                self.pending[index] = Some((at_us, period));
            }
        }
        self.last[index] = Some(view);
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
        self.moment(at_us);
        self.replay
            .node_events
            .push(NodeEvent { at_us, node, kind });
    }

    /// A scripted event fired (or was skipped).
    pub fn fault(&mut self, at_us: u64, description: &str, skipped: bool) {
        if !skipped {
            self.moment(at_us);
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
            self.moment(at_us);
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
        self.moment(at_us);
        self.replay.configs.push(ConfigState {
            at_us,
            voters,
            learners,
        });
        self.marker(at_us, MarkerKind::Config, text);
    }

    pub fn violation(&mut self, at_us: u64, text: String) {
        self.moment(at_us);
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
