//! The Chrome trace-event writer. Owns the mapping from trace events to the
//! JSON Object format that Perfetto's UI and chrome://tracing open: one
//! track per node with its role spans, message arrows from send to delivery,
//! the term as a counter per node, and faults, proposals and commits on
//! tracks of their own. It streams: events are written as they come, and
//! only a few fields per node are kept. It observes; it never changes a run.
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
//! - timers, leader changes, faults, proposals and commits are instants.

use std::io::{self, Write};

use crate::network::Fate;
use crate::raft::{Message, NodeId, Role, Term, MAX_NODES};
use crate::time::Instant;
use crate::trace::{TraceEvent, Tracer};

/// The one process every track belongs to.
const PID: u32 = 1;
/// The track of scripted faults (node tracks use the node id as tid).
pub const FAULTS_TID: u32 = 1_000;
/// The track of the client: proposals, commits and the commit index.
pub const CLIENT_TID: u32 = 1_001;

const _: () = assert!(
    MAX_NODES < FAULTS_TID as usize,
    "node tids must not collide"
);

/// A node's role span: the slice that is open on its track.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    term: Term,
    role: Role,
}

impl Span {
    fn name(self) -> String {
        format!("{} t{}", self.role.name(), self.term)
    }
}

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
        }
    }

    /// Gives back the writer (after `finish`, the complete JSON document).
    pub fn into_inner(self) -> W {
        self.out
    }

    fn separator(&mut self) -> io::Result<()> {
        if self.empty {
            self.empty = false;
            self.out.write_all(b"\n")
        } else {
            self.out.write_all(b",\n")
        }
    }

    /// Opens one event object with the fields every event has; the caller
    /// writes its other fields and the closing brace.
    fn open(&mut self, ph: &str, name: &str, cat: &str, ts_us: u64, tid: u32) -> io::Result<()> {
        self.separator()?;
        write!(
            self.out,
            "{{\"ph\":\"{ph}\",\"name\":{},\"cat\":\"{cat}\",\"ts\":{ts_us},\"pid\":{PID},\"tid\":{tid}",
            json_str(name)?
        )
    }

    fn metadata(&mut self, name: &str, tid: Option<u32>, args: &str) -> io::Result<()> {
        self.separator()?;
        write!(
            self.out,
            "{{\"ph\":\"M\",\"name\":\"{name}\",\"ts\":0,\"pid\":{PID}"
        )?;
        if let Some(tid) = tid {
            write!(self.out, ",\"tid\":{tid}")?;
        }
        write!(self.out, ",\"args\":{args}}}")
    }

    fn track(&mut self, tid: u32, name: &str, sort_index: u64) -> io::Result<()> {
        let name = json_str(name)?;
        self.metadata("thread_name", Some(tid), &format!("{{\"name\":{name}}}"))?;
        self.metadata(
            "thread_sort_index",
            Some(tid),
            &format!("{{\"sort_index\":{sort_index}}}"),
        )
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
        self.metadata("process_name", None, "{\"name\":\"raftsim\"}")?;
        self.track(FAULTS_TID, "faults", 0)?;
        for i in 0..self.nodes.len() {
            let id = NodeId::from_index(i);
            self.track(tid(id), &format!("node {id}"), u64::from(id.0))?;
        }
        self.track(CLIENT_TID, "client", u64::from(CLIENT_TID))
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

    fn end_span(&mut self, at_us: u64, id: NodeId, span: Span) -> io::Result<()> {
        self.open("E", &span.name(), "role", at_us, tid(id))?;
        self.out.write_all(b"}")
    }

    fn begin_down(&mut self, at_us: u64, id: NodeId) -> io::Result<()> {
        self.open("B", "down", "down", at_us, tid(id))?;
        self.out.write_all(b"}")
    }

    fn end_down(&mut self, at_us: u64, id: NodeId) -> io::Result<()> {
        self.open("E", "down", "down", at_us, tid(id))?;
        self.out.write_all(b"}")
    }

    fn instant(
        &mut self,
        at_us: u64,
        tid: u32,
        name: &str,
        cat: &str,
        args: &str,
    ) -> io::Result<()> {
        self.open("i", name, cat, at_us, tid)?;
        write!(self.out, ",\"s\":\"t\",\"args\":{{{args}}}}}")
    }

    /// A zero-length slice, so that a flow event at the same instant has a
    /// slice to bind to.
    fn mark(&mut self, at_us: u64, tid: u32, name: &str, cat: &str, args: &str) -> io::Result<()> {
        self.open("X", name, cat, at_us, tid)?;
        write!(self.out, ",\"dur\":0,\"args\":{{{args}}}}}")
    }

    /// One end of a message's arrow; `s` and `f` share name, cat and id.
    fn flow(&mut self, ph: &str, at_us: u64, tid: u32, msg: &Message, id: u64) -> io::Result<()> {
        self.open(ph, msg.kind(), "msg", at_us, tid)?;
        if ph == "f" {
            self.out.write_all(b",\"bp\":\"e\"")?;
        }
        write!(self.out, ",\"id\":{id}}}")
    }

    fn counter(&mut self, at_us: u64, tid: u32, name: &str, value: u64) -> io::Result<()> {
        self.open("C", name, "counter", at_us, tid)?;
        write!(self.out, ",\"args\":{{\"value\":{value}}}}}")
    }

    fn state(
        &mut self,
        at_us: u64,
        id: NodeId,
        term: Term,
        role: Role,
        leader: Option<NodeId>,
    ) -> io::Result<()> {
        let before = *self.node(id)?;
        if before.down {
            self.end_down(at_us, id)?;
        }
        if before.term != Some(term) {
            self.counter(at_us, tid(id), &format!("term n{id}"), term)?;
        }
        let span = Span { term, role };
        if before.span != Some(span) {
            if let Some(old) = before.span {
                self.end_span(at_us, id, old)?;
            }
            self.open("B", &span.name(), "role", at_us, tid(id))?;
            write!(
                self.out,
                ",\"args\":{{\"role\":\"{}\",\"term\":{term},\"leader\":{}}}}}",
                role.name(),
                opt_node(leader)
            )?;
        } else if before.leader != leader {
            let name = match leader {
                Some(l) => format!("leader n{l}"),
                None => "no leader".to_string(),
            };
            self.instant(
                at_us,
                tid(id),
                &name,
                "leader",
                &format!("\"leader\":{}", opt_node(leader)),
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
            TraceEvent::Send {
                from,
                to,
                id,
                msg,
                fate,
            } => {
                self.node(from)?;
                self.node(to)?;
                let fate_args = match fate {
                    Fate::Cut => "\"fate\":\"link_cut\"".to_string(),
                    Fate::Lost => "\"fate\":\"lost\"".to_string(),
                    Fate::Arrives { at, duplicate_at } => {
                        let mut s = format!("\"fate\":\"arrives\",\"arrive_us\":{}", at.as_us());
                        if let Some(dup) = duplicate_at {
                            s.push_str(&format!(",\"duplicate_us\":{}", dup.as_us()));
                        }
                        s
                    }
                };
                self.mark(
                    at_us,
                    tid(from),
                    msg.kind(),
                    "send",
                    &format!(
                        "\"to\":{to},\"id\":{id},\"term\":{},{fate_args}",
                        msg.term()
                    ),
                )?;
                if let Fate::Arrives { .. } = fate {
                    self.flow("s", at_us, tid(from), msg, id)?;
                }
            }
            TraceEvent::Deliver { from, to, id, msg } => {
                self.node(from)?;
                self.node(to)?;
                self.mark(
                    at_us,
                    tid(to),
                    msg.kind(),
                    "deliver",
                    &format!("\"from\":{from},\"id\":{id},\"term\":{}", msg.term()),
                )?;
                self.flow("f", at_us, tid(to), msg, id)?;
            }
            TraceEvent::Drop {
                from,
                to,
                id,
                msg,
                reason,
            } => {
                self.node(from)?;
                self.node(to)?;
                let name = format!("drop {}", msg.kind());
                match id {
                    // It reached the receiver's side: the arrow ends there.
                    Some(id) => {
                        self.mark(
                            at_us,
                            tid(to),
                            &name,
                            "drop",
                            &format!(
                                "\"from\":{from},\"id\":{id},\"term\":{},\"reason\":\"{}\"",
                                msg.term(),
                                reason.name()
                            ),
                        )?;
                        self.flow("f", at_us, tid(to), msg, id)?;
                    }
                    // It never left its sender.
                    None => self.mark(
                        at_us,
                        tid(from),
                        &name,
                        "drop",
                        &format!(
                            "\"to\":{to},\"id\":null,\"term\":{},\"reason\":\"{}\"",
                            msg.term(),
                            reason.name()
                        ),
                    )?,
                }
            }
            TraceEvent::Timer { node, kind } => {
                self.node(node)?;
                self.instant(
                    at_us,
                    tid(node),
                    &format!("{} timer", kind.name()),
                    "timer",
                    &format!("\"timer\":\"{}\"", kind.name()),
                )?;
            }
            TraceEvent::State {
                node,
                term,
                role,
                leader,
            } => self.state(at_us, node, term, role, leader)?,
            TraceEvent::Crash { node } => self.crash(at_us, node)?,
            TraceEvent::Restart { node } => self.restart(at_us, node)?,
            TraceEvent::Fault {
                index,
                description,
                skipped,
            } => self.instant(
                at_us,
                FAULTS_TID,
                description,
                "fault",
                &format!("\"index\":{index},\"skipped\":{skipped}"),
            )?,
            TraceEvent::Propose { id, leader } => self.instant(
                at_us,
                CLIENT_TID,
                &format!("propose {id}"),
                "client",
                &format!("\"proposal\":{id},\"leader\":{}", opt_node(leader)),
            )?,
            TraceEvent::Commit { index } => {
                self.instant(
                    at_us,
                    CLIENT_TID,
                    &format!("commit {index}"),
                    "client",
                    &format!("\"index\":{index}"),
                )?;
                self.counter(at_us, CLIENT_TID, "commit index", index)?;
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

fn opt_node(node: Option<NodeId>) -> String {
    node.map_or_else(|| "null".to_string(), |n| n.to_string())
}

/// A JSON string literal, escaped by serde_json.
fn json_str(s: &str) -> io::Result<String> {
    serde_json::to_string(s).map_err(io::Error::other)
}
