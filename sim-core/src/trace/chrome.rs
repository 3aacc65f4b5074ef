//! The Chrome trace-event writer. Owns the mapping from trace events to the
//! JSON Object format that Perfetto's UI and chrome://tracing open: one
//! track per node with its role spans, message arrows from send to delivery,
//! the term as a counter per node, and faults, proposals and commits on
//! tracks of their own. It streams: events are written as they come (each
//! an `Event` serialised by serde; only the array around them is written
//! by hand), and only a few fields per node are kept. It observes; it never
//! changes a run.
//!
//! Every event is written in execution order, so timestamps in the file
//! never decrease (metadata first, at ts 0). Viewers that sort by timestamp
//! then keep the file's order for equal timestamps, which is what makes the
//! nesting below hold:
//!
//! - a role span ("leader t7") is a B/E pair on the node's track; it ends
//!   when the node's role or term changes, when the node crashes (a "down"
//!   span covers the time until its restart) and at the end of the trace;
//! - each send, delivery and drop is a zero-length "X" slice on the node's
//!   track, named by the message kind; the flow event that follows it at
//!   the same instant ("s" at the sender, "f" with "bp":"e" at the receiver,
//!   both keyed by the message id) binds to that slice;
//! - timers, leader changes, faults, proposals and commits are instants;
//! - a safety violation, the last event of a run it stopped, is an instant
//!   on a "violations" track, named (by metadata at that point) only in a
//!   trace that has one.

use std::io::{self, Write};

mod event;
use event::{Args, Event, Name, Span};

use crate::network::Fate;
use crate::node::{MessageView, NodeId, Status, Term, MAX_NODES};
use crate::time::Instant;
use crate::trace::{Envelope, TraceEvent, Tracer};

/// The one process every track belongs to.
const PID: u32 = 1;
/// The track of scripted faults (node tracks use the node id as tid).
pub const FAULTS_TID: u32 = 1_000;
/// The track of the client: proposals, commits and the commit index.
pub const CLIENT_TID: u32 = 1_001;
/// The track of safety violations, named only in a trace that has one.
pub const VIOLATIONS_TID: u32 = 1_002;

const _: () = assert!(
    MAX_NODES < FAULTS_TID as usize,
    "node tids must not collide"
);

/// What the writer remembers of one node between events.
#[derive(Clone, Copy, Debug, Default)]
struct NodeTrack {
    span: Option<Span>,
    /// The "down" span is open: the node crashed and has not restarted.
    down: bool,
    leader: Option<NodeId>,
    /// The last value written to the node's term counter.
    term: Option<Term>,
}

/// Writes Chrome trace-event JSON (`{"traceEvents":[...],"displayTimeUnit":"ms"}`),
/// The two shapes of a point in time on a track.
#[derive(Clone, Copy)]
enum Point {
    /// A thread-scoped instant.
    Instant,
    /// A zero-length slice.
    Mark,
}

/// `ts` in microseconds of virtual time.
pub struct ChromeTracer<W: Write> {
    out: W,
    nodes: Vec<NodeTrack>,
    started: bool,
    finished: bool,
    /// No event has been written into the array yet.
    empty: bool,
    /// The latest instant recorded: where open spans end.
    last_us: u64,
    /// The violations track has been named.
    violations_named: bool,
}

impl<W: Write> ChromeTracer<W> {
    /// A writer for a cluster of `nodes` nodes (ids 1..=nodes). Nothing is
    /// written before the first event (or `finish`).
    pub fn new(out: W, nodes: usize) -> Self {
        assert!(
            (1..=MAX_NODES).contains(&nodes),
            "a cluster has 1..={MAX_NODES} nodes"
        );
        ChromeTracer {
            out,
            nodes: vec![NodeTrack::default(); nodes],
            started: false,
            finished: false,
            empty: true,
            last_us: 0,
            violations_named: false,
        }
    }

    /// Gives back the writer (after `finish`, the complete JSON document).
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes one object into the array.
    fn write(&mut self, event: &Event) -> io::Result<()> {
        if self.empty {
            self.empty = false;
            self.out.write_all(b"\n")?;
        } else {
            self.out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut self.out, event)?;
        Ok(())
    }

    fn track(&mut self, tid: u32, name: Name, sort_index: u64) -> io::Result<()> {
        self.write(&Event::metadata(
            "thread_name",
            Some(tid),
            Args::Name { name },
        ))?;
        self.write(&Event::metadata(
            "thread_sort_index",
            Some(tid),
            Args::SortIndex { sort_index },
        ))
    }

    /// The header and one named track per node, plus the faults and client
    /// tracks, before the first event.
    fn start(&mut self) -> io::Result<()> {
        if self.finished {
            return Err(io::Error::other("chrome trace: event after finish"));
        }
        if self.started {
            return Ok(());
        }
        self.started = true;
        self.out.write_all(b"{\"traceEvents\":[")?;
        self.write(&Event::metadata(
            "process_name",
            None,
            Args::Name {
                name: Name::Text("raftsim"),
            },
        ))?;
        self.track(FAULTS_TID, Name::Text("faults"), 0)?;
        for i in 0..self.nodes.len() {
            let id = NodeId::from_index(i);
            self.track(tid(id), Name::Node(id), u64::from(id.0))?;
        }
        self.track(CLIENT_TID, Name::Text("client"), u64::from(CLIENT_TID))
    }

    fn node(&mut self, id: NodeId) -> io::Result<&mut NodeTrack> {
        let count = self.nodes.len();
        let slot = (id.0 as usize).checked_sub(1);
        slot.and_then(|i| self.nodes.get_mut(i)).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "chrome trace: node {id} does not exist (the cluster has nodes 1..={count})"
                ),
            )
        })
    }

    /// A message event's envelope, once both its nodes are known to exist.
    fn known<'m>(&mut self, envelope: Envelope<'m>) -> io::Result<Envelope<'m>> {
        self.node(envelope.from)?;
        self.node(envelope.to)?;
        Ok(envelope)
    }

    fn end_span(&mut self, at_us: u64, id: NodeId, span: Span) -> io::Result<()> {
        self.write(&Event::on("E", Name::Span(span), "role", at_us, tid(id)))
    }

    fn begin_down(&mut self, at_us: u64, id: NodeId) -> io::Result<()> {
        self.write(&Event::on("B", Name::Text("down"), "down", at_us, tid(id)))
    }

    fn end_down(&mut self, at_us: u64, id: NodeId) -> io::Result<()> {
        self.write(&Event::on("E", Name::Text("down"), "down", at_us, tid(id)))
    }

    /// A point event: an instant (`i`), or a zero-length slice (`X`) so
    /// that a flow event at the same instant has a slice to bind to.
    fn point(
        &mut self,
        shape: Point,
        at_us: u64,
        tid: u32,
        name: Name,
        cat: &'static str,
        args: Args,
    ) -> io::Result<()> {
        let (ph, s, dur) = match shape {
            Point::Instant => ("i", Some("t"), None),
            Point::Mark => ("X", None, Some(0)),
        };
        self.write(&Event {
            s,
            dur,
            args: Some(args),
            ..Event::on(ph, name, cat, at_us, tid)
        })
    }

    /// One end of a message's arrow: `s` at the sender, `f` at the
    /// receiver; both share name, cat and id.
    fn flow(
        &mut self,
        ph: &'static str,
        at_us: u64,
        tid: u32,
        msg: &dyn MessageView,
        id: u64,
    ) -> io::Result<()> {
        self.write(&Event {
            bp: (ph == "f").then_some("e"),
            id: Some(id),
            ..Event::on(ph, Name::Text(msg.kind()), "msg", at_us, tid)
        })
    }

    fn counter(&mut self, at_us: u64, tid: u32, name: Name, value: u64) -> io::Result<()> {
        self.write(&Event {
            args: Some(Args::Counter { value }),
            ..Event::on("C", name, "counter", at_us, tid)
        })
    }

    fn state(&mut self, at_us: u64, id: NodeId, status: &Status) -> io::Result<()> {
        let Status {
            term, role, leader, ..
        } = *status;
        let before = *self.node(id)?;
        if before.down {
            self.end_down(at_us, id)?;
        }
        if before.term != Some(term) {
            self.counter(at_us, tid(id), Name::Term(id), term)?;
        }
        let span = Span { term, role };
        if before.span != Some(span) {
            if let Some(old) = before.span {
                self.end_span(at_us, id, old)?;
            }
            self.write(&Event {
                args: Some(Args::Role {
                    role: role.name(),
                    term,
                    leader,
                }),
                ..Event::on("B", Name::Span(span), "role", at_us, tid(id))
            })?;
        } else if before.leader != leader {
            self.point(
                Point::Instant,
                at_us,
                tid(id),
                Name::Leader(leader),
                "leader",
                Args::Leader { leader },
            )?;
        }
        *self.node(id)? = NodeTrack {
            span: Some(span),
            down: false,
            leader,
            term: Some(term),
        };
        Ok(())
    }

    fn crash(&mut self, at_us: u64, id: NodeId) -> io::Result<()> {
        let before = *self.node(id)?;
        if let Some(span) = before.span {
            self.end_span(at_us, id, span)?;
        }
        if !before.down {
            self.begin_down(at_us, id)?;
        }
        let track = self.node(id)?;
        track.span = None;
        track.down = true;
        track.leader = None;
        Ok(())
    }

    fn restart(&mut self, at_us: u64, id: NodeId) -> io::Result<()> {
        if self.node(id)?.down {
            self.end_down(at_us, id)?;
            self.node(id)?.down = false;
        }
        Ok(())
    }
}

impl<W: Write> Tracer for ChromeTracer<W> {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        self.start()?;
        let at_us = at.as_us();
        debug_assert!(at_us >= self.last_us, "trace events come in time order");
        self.last_us = self.last_us.max(at_us);
        match *event {
            TraceEvent::Send { envelope, id, fate } => {
                let Envelope { from, to, msg } = self.known(envelope)?;
                let args = Args::Sent {
                    to,
                    id,
                    term: msg.term(),
                    fate: fate.into(),
                };
                self.point(
                    Point::Mark,
                    at_us,
                    tid(from),
                    Name::Text(msg.kind()),
                    "send",
                    args,
                )?;
                if let Fate::Arrives { .. } = fate {
                    self.flow("s", at_us, tid(from), msg, id)?;
                }
            }
            TraceEvent::Deliver { envelope, id } => {
                let Envelope { from, to, msg } = self.known(envelope)?;
                let args = Args::Received {
                    from,
                    id,
                    term: msg.term(),
                };
                self.point(
                    Point::Mark,
                    at_us,
                    tid(to),
                    Name::Text(msg.kind()),
                    "deliver",
                    args,
                )?;
                self.flow("f", at_us, tid(to), msg, id)?;
            }
            TraceEvent::Drop {
                envelope,
                id,
                reason,
            } => {
                let Envelope { from, to, msg } = self.known(envelope)?;
                let name = Name::Drop(msg.kind());
                let term = msg.term();
                match id {
                    // It reached the receiver's side: the arrow ends there.
                    Some(id) => {
                        let args = Args::DroppedAt {
                            from,
                            id,
                            term,
                            reason,
                        };
                        self.point(Point::Mark, at_us, tid(to), name, "drop", args)?;
                        self.flow("f", at_us, tid(to), msg, id)?;
                    }
                    // It never left its sender.
                    None => {
                        let args = Args::NeverSent {
                            to,
                            id: None,
                            term,
                            reason,
                        };
                        self.point(Point::Mark, at_us, tid(from), name, "drop", args)?;
                    }
                }
            }
            TraceEvent::Timer { node, kind } => {
                self.node(node)?;
                let args = Args::Timer { timer: kind.name() };
                self.point(
                    Point::Instant,
                    at_us,
                    tid(node),
                    Name::Timer(kind),
                    "timer",
                    args,
                )?;
            }
            TraceEvent::State { node, status } => self.state(at_us, node, &status)?,
            TraceEvent::Crash { node } => self.crash(at_us, node)?,
            TraceEvent::Restart { node } => self.restart(at_us, node)?,
            TraceEvent::Fault {
                index,
                description,
                skipped,
            } => self.point(
                Point::Instant,
                at_us,
                FAULTS_TID,
                Name::Text(description),
                "fault",
                Args::Fault { index, skipped },
            )?,
            TraceEvent::Propose { id, leader } => self.point(
                Point::Instant,
                at_us,
                CLIENT_TID,
                Name::Propose(id),
                "client",
                Args::Propose {
                    proposal: id,
                    leader,
                },
            )?,
            TraceEvent::Violation {
                property,
                message,
                node,
            } => {
                // Named here, not in the header: traces without a
                // violation stay as they were.
                if !self.violations_named {
                    self.violations_named = true;
                    let name = Name::Text("violations");
                    self.track(VIOLATIONS_TID, name, u64::from(VIOLATIONS_TID))?;
                }
                let args = Args::Violation {
                    property: property.name(),
                    message,
                    node,
                };
                let name = Name::Text(property.name());
                self.point(
                    Point::Instant,
                    at_us,
                    VIOLATIONS_TID,
                    name,
                    "violation",
                    args,
                )?;
            }
            TraceEvent::Commit { index } => {
                self.point(
                    Point::Instant,
                    at_us,
                    CLIENT_TID,
                    Name::Commit(index),
                    "client",
                    Args::Commit { index },
                )?;
                self.counter(at_us, CLIENT_TID, Name::Text("commit index"), index)?;
            }
            TraceEvent::Config { index, config } => {
                let text = config.to_string();
                self.point(
                    Point::Instant,
                    at_us,
                    CLIENT_TID,
                    Name::Text("configuration committed"),
                    "client",
                    Args::Config {
                        index,
                        config: &text,
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Ends every open span at the last recorded instant and closes the
    /// JSON document. A second call does nothing.
    fn finish(&mut self) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.start()?;
        let at_us = self.last_us;
        for i in 0..self.nodes.len() {
            let id = NodeId::from_index(i);
            let track = self.nodes[i];
            if let Some(span) = track.span {
                self.end_span(at_us, id, span)?;
            }
            if track.down {
                self.end_down(at_us, id)?;
            }
            self.nodes[i] = NodeTrack {
                span: None,
                down: false,
                ..track
            };
        }
        self.out.write_all(b"\n],\n\"displayTimeUnit\":\"ms\"}\n")?;
        self.finished = true;
        self.out.flush()
    }
}

/// A node's track: its id.
fn tid(id: NodeId) -> u32 {
    id.0
}
