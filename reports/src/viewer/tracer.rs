//! The viewer's tracer: hears a run as it goes and hands what it hears to
//! a [`Recorder`]. Of a message it reads only its kind and term (and the
//! event's sender, receiver and fate), so it works for any Raft
//! implementation's messages. Cheap on purpose: it runs inside the run it
//! watches, and most events (timers, deliveries, proposals, commits) it
//! ignores at once.

use std::io;

use sim_core::network::Fate as NetworkFate;
use sim_core::node::{NodeId, NodeSet, Status};
use sim_core::time::Instant;
use sim_core::trace::{DropReason, Envelope, EventKind, TraceEvent, Tracer};

use super::record::{Detail, Fate, Message, NodeView, Recorder, VariantReplay};

/// A [`Tracer`] that records what the viewer shows of one variant's run.
pub struct ViewerTracer {
    recorder: Recorder,
    /// The kinds seen so far, by the address of their name: a message's
    /// kind is a static string, so this finds it without comparing text.
    kinds: Vec<(&'static str, u8)>,
}

impl ViewerTracer {
    /// `planned_us`: the instants of the run's scripted events (its
    /// script, known before it runs), whose windows open before them.
    pub fn new(label: &str, nodes: u32, detail: Detail, planned_us: &[u64]) -> ViewerTracer {
        ViewerTracer {
            recorder: Recorder::new(label, nodes, detail, planned_us),
            kinds: Vec::new(),
        }
    }

    /// The cluster starts with `voters` only (the scenario's `members`):
    /// the other nodes are spares, outside the configuration until a change
    /// adds them.
    pub fn initial_voters(&mut self, voters: NodeSet) {
        self.recorder
            .initial_config(voters.iter().map(|n| n.0).collect());
    }

    #[inline]
    fn kind(&mut self, kind: &'static str) -> u8 {
        for &(known, index) in &self.kinds {
            if std::ptr::eq(known, kind) {
                return index;
            }
        }
        let index = self.recorder.kind_index(kind);
        self.kinds.push((kind, index));
        index
    }

    /// A record the page shows (a message only if inside a window:
    /// `record` asked).
    #[inline(never)]
    fn keep(&mut self, at: Instant, event: &TraceEvent<'_>) {
        let at_us = at.as_us();
        match *event {
            TraceEvent::Send {
                envelope: Envelope { from, to, msg },
                fate,
                ..
            } => {
                let kind = self.kind(msg.kind());
                let message = Message {
                    sent_us: at_us,
                    end_us: at_us,
                    term: Message::term_of(msg.term()),
                    from: from.0 as u8,
                    to: to.0 as u8,
                    kind,
                    fate: Fate::Delivered,
                };
                match fate {
                    NetworkFate::Arrives { at, duplicate_at } => {
                        self.recorder.send(Message {
                            end_us: at.as_us(),
                            ..message
                        });
                        if let Some(again) = duplicate_at {
                            self.recorder.send(Message {
                                end_us: again.as_us(),
                                ..message
                            });
                        }
                    }
                    NetworkFate::Lost => self.recorder.send(Message {
                        fate: Fate::Lost,
                        ..message
                    }),
                    NetworkFate::Cut => self.recorder.send(Message {
                        fate: Fate::LinkCut,
                        ..message
                    }),
                }
            }
            TraceEvent::Drop {
                envelope: Envelope { from, to, .. },
                id: Some(_),
                reason,
            } => {
                let fate = match reason {
                    DropReason::CutInFlight => Fate::CutInFlight,
                    DropReason::NodeDown => Fate::NodeDown,
                    // Reported as the send's fate, or never left.
                    DropReason::Loss | DropReason::LinkCut | DropReason::SenderCrashed => return,
                };
                self.recorder.dropped(at_us, from.0 as u8, to.0 as u8, fate);
            }
            TraceEvent::Crash { node } => self.recorder.crash(at_us, node.0),
            TraceEvent::Restart { node } => self.recorder.restart(at_us, node.0),
            TraceEvent::Fault {
                description,
                skipped,
                ..
            } => self.recorder.fault(at_us, description, skipped),
            TraceEvent::Violation {
                property,
                message,
                node,
            } => {
                let on = node.map_or(String::new(), |n| format!(" (node {n})"));
                self.recorder
                    .violation(at_us, format!("{}{on}: {message}", property.name()));
            }
            TraceEvent::Config { index, config } => {
                let ids = |set: sim_core::node::NodeSet| set.iter().map(|n| n.0).collect();
                self.recorder.config(
                    at_us,
                    ids(config.all_voters()),
                    ids(config.learners),
                    format!("configuration {config} committed (entry {index})"),
                );
            }
            // The status hook carries all of a state record, and more.
            TraceEvent::State { .. }
            | TraceEvent::Drop { id: None, .. }
            | TraceEvent::Deliver { .. }
            | TraceEvent::Timer { .. }
            | TraceEvent::Propose { .. }
            | TraceEvent::Commit { .. } => {}
        }
    }

    /// The record of the run, which ended at `end_us`, with the leaders
    /// its metrics counted as disrupted.
    pub fn finish(
        mut self,
        end_us: u64,
        disruptions: &[sim_core::metrics::DisruptionPoint],
    ) -> VariantReplay {
        self.recorder.disruptions(disruptions);
        self.recorder.finish(end_us, false)
    }
}

impl Tracer for ViewerTracer {
    /// What the page shows: messages and their fates, crashes, restarts,
    /// faults, configurations and violations; node state comes through
    /// `status`.
    fn hears(&self, kind: EventKind) -> bool {
        match kind {
            EventKind::Send
            | EventKind::Drop
            | EventKind::Crash
            | EventKind::Restart
            | EventKind::Fault
            | EventKind::Config
            | EventKind::Violation => true,
            EventKind::Deliver
            | EventKind::Timer
            | EventKind::State
            | EventKind::Propose
            | EventKind::Commit => false,
        }
    }

    /// No message before the next window: none is kept outside them.
    fn sends_wanted_from(&self) -> Instant {
        Instant::from_us(self.recorder.quiet_until())
    }

    /// Most records are messages sent outside every window: this turns
    /// them away before anything else is looked at.
    #[inline]
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        if matches!(event, TraceEvent::Send { .. }) && !self.recorder.keeps_message(at.as_us()) {
            return Ok(());
        }
        self.keep(at, event);
        Ok(())
    }

    #[inline]
    fn status(&mut self, at: Instant, node: NodeId, status: &Status) {
        self.recorder.status(
            at.as_us(),
            node.0,
            NodeView {
                role: status.role,
                term: status.term,
                vote: status.voted_for.map(|v| v.0 as u8),
                leader: status.leader.map(|l| l.0 as u8),
                log: status.last_index,
                commit: status.commit_index,
            },
        );
    }

    fn after_fault(&mut self, at: Instant, cut_links: &[(NodeId, NodeId)], paused: &[NodeId]) {
        let cut: Vec<(u32, u32)> = cut_links.iter().map(|(a, b)| (a.0, b.0)).collect();
        let paused: Vec<u32> = paused.iter().map(|n| n.0).collect();
        self.recorder.after_fault(at.as_us(), &cut, &paused);
    }
}
