//! The JSON Lines trace (docs/TRACES.md): one record a line, written by
//! [`JsonLinesTracer`] and read back by [`read_jsonl`], both through the
//! one [`Record`] type, so a field can never be written one way and read
//! another.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::{DropReason, Envelope, FateFields, TraceEvent, Tracer};
use crate::node::{Fields, LogIndex, NodeId, NodeSet, ProposalId, Term};
use crate::time::Instant;

/// One line of a JSON Lines trace: `seq`, `at_us`, then the record's
/// `kind` and fields (docs/TRACES.md). `F` is a sent message's fields:
/// [`Fields`] when writing, a map when reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line<'a, F> {
    pub seq: u64,
    pub at_us: u64,
    #[serde(flatten)]
    pub record: Record<'a, F>,
}

/// A trace line as read back from a file: owned, the message fields as a
/// map from name to value.
pub type TraceLine = Line<'static, BTreeMap<String, serde_json::Value>>;

/// One record of a trace, the one shape both the writer and the reader
/// use. Text is borrowed when writing and owned when reading.
// A record lives on the stack for the one line it writes; boxing the
// message fields of `Send` would allocate per line instead.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record<'a, F> {
    /// The first record of a trace `raftsim run --trace` writes: what ran
    /// (the scenario file with any overrides applied, the seed, the
    /// variant), so that the trace alone replays any instant of the run.
    Run {
        scenario: serde_json::Value,
        seed: u64,
        variant: Cow<'a, str>,
    },
    Send {
        from: NodeId,
        to: NodeId,
        id: u64,
        msg: Cow<'a, str>,
        term: Term,
        #[serde(flatten)]
        fields: F,
        #[serde(flatten)]
        fate: FateFields,
    },
    Deliver {
        from: NodeId,
        to: NodeId,
        id: u64,
        msg: Cow<'a, str>,
        term: Term,
    },
    Drop {
        from: NodeId,
        to: NodeId,
        id: Option<u64>,
        msg: Cow<'a, str>,
        term: Term,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        timer: Cow<'a, str>,
    },
    State {
        node: NodeId,
        term: Term,
        role: Cow<'a, str>,
        leader: Option<NodeId>,
        voted_for: Option<NodeId>,
        log_length: LogIndex,
        commit_index: LogIndex,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    Fault {
        index: usize,
        description: Cow<'a, str>,
        skipped: bool,
    },
    Propose {
        proposal: ProposalId,
        leader: Option<NodeId>,
    },
    Commit {
        index: LogIndex,
    },
    Config {
        index: LogIndex,
        voters: NodeSet,
        #[serde(default, skip_serializing_if = "NodeSet::is_empty_set")]
        outgoing: NodeSet,
        #[serde(default, skip_serializing_if = "NodeSet::is_empty_set")]
        learners: NodeSet,
    },
    Violation {
        property: Cow<'a, str>,
        message: Cow<'a, str>,
        node: Option<NodeId>,
    },
}

impl<'a> Record<'a, Fields> {
    /// The record of an event as the writer writes it.
    pub fn of(event: &TraceEvent<'a>) -> Record<'a, Fields> {
        match *event {
            TraceEvent::Send {
                envelope: Envelope { from, to, msg },
                id,
                fate,
            } => Record::Send {
                from,
                to,
                id,
                msg: Cow::Borrowed(msg.kind()),
                term: msg.term(),
                fields: msg.fields(),
                fate: fate.into(),
            },
            TraceEvent::Deliver {
                envelope: Envelope { from, to, msg },
                id,
            } => Record::Deliver {
                from,
                to,
                id,
                msg: Cow::Borrowed(msg.kind()),
                term: msg.term(),
            },
            TraceEvent::Drop {
                envelope: Envelope { from, to, msg },
                id,
                reason,
            } => Record::Drop {
                from,
                to,
                id,
                msg: Cow::Borrowed(msg.kind()),
                term: msg.term(),
                reason,
            },
            TraceEvent::Timer { node, kind } => Record::Timer {
                node,
                timer: Cow::Borrowed(kind.name()),
            },
            TraceEvent::State { node, status } => Record::State {
                node,
                term: status.term,
                role: Cow::Borrowed(status.role.name()),
                leader: status.leader,
                voted_for: status.voted_for,
                log_length: status.last_index,
                commit_index: status.commit_index,
            },
            TraceEvent::Crash { node } => Record::Crash { node },
            TraceEvent::Restart { node } => Record::Restart { node },
            TraceEvent::Fault {
                index,
                description,
                skipped,
            } => Record::Fault {
                index,
                description: Cow::Borrowed(description),
                skipped,
            },
            TraceEvent::Propose { id, leader } => Record::Propose {
                proposal: id,
                leader,
            },
            TraceEvent::Commit { index } => Record::Commit { index },
            TraceEvent::Config { index, config } => Record::Config {
                index,
                voters: config.voters,
                outgoing: config.outgoing,
                learners: config.learners,
            },
            TraceEvent::Violation {
                property,
                message,
                node,
            } => Record::Violation {
                property: Cow::Borrowed(property.name()),
                message: Cow::Borrowed(message),
                node,
            },
        }
    }
}

/// Writes one JSON object per line for every trace event.
pub struct JsonLinesTracer<W: Write> {
    out: W,
    seq: u64,
}

impl<W: Write> JsonLinesTracer<W> {
    pub fn new(out: W) -> Self {
        JsonLinesTracer { out, seq: 0 }
    }

    /// A tracer whose first record says what runs: `scenario` (the file
    /// as it runs), `seed` and `variant`.
    pub fn with_run(
        out: W,
        scenario: serde_json::Value,
        seed: u64,
        variant: &str,
    ) -> io::Result<Self> {
        let mut tracer = JsonLinesTracer::new(out);
        let record: Record<'_, Fields> = Record::Run {
            scenario,
            seed,
            variant: Cow::Borrowed(variant),
        };
        tracer.write(Instant::ZERO, record)?;
        Ok(tracer)
    }

    fn write(&mut self, at: Instant, record: Record<'_, Fields>) -> io::Result<()> {
        let line: Line<'_, Fields> = Line {
            seq: self.seq,
            at_us: at.as_us(),
            record,
        };
        self.seq += 1;
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write> Tracer for JsonLinesTracer<W> {
    fn record(&mut self, at: Instant, event: &TraceEvent<'_>) -> io::Result<()> {
        self.write(at, Record::of(event))
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Why a trace cannot be read: the line (1-based) and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct TraceError {
    pub line: usize,
    pub reason: String,
}

/// Reads a JSON Lines trace: the one typed reader of traces (`inspect`
/// and the replay viewer read through it). An error names the line
/// (1-based) and what is wrong with it.
pub fn read_jsonl(text: &str) -> Result<Vec<TraceLine>, TraceError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<TraceLine>(line)
                .map(TraceLine::without_fate_keys)
                .map_err(|e| TraceError {
                    line: i + 1,
                    reason: format!("not a raftsim trace record: {e}"),
                })
        })
        .collect()
}

impl TraceLine {
    /// A sent message's fields without the fate's keys (both are
    /// flattened into one object; the reader hands each all of it).
    fn without_fate_keys(mut self) -> TraceLine {
        if let Record::Send { fields, .. } = &mut self.record {
            fields.retain(|name, _| !FATE_KEYS.contains(&name.as_str()));
        }
        self
    }
}

/// The keys of a send's fate, which no message field may use.
const FATE_KEYS: [&str; 3] = ["fate", "arrive_us", "duplicate_us"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Fate;
    use crate::node::{MessageClass, MessageView, Role, Status};

    #[test]
    fn what_the_writer_writes_the_reader_reads() {
        let mut out = Vec::new();
        let mut tracer = JsonLinesTracer::new(&mut out);
        let status = Status {
            term: 3,
            role: Role::Leader,
            leader: Some(NodeId(2)),
            voted_for: Some(NodeId(2)),
            commit_index: 5,
            last_index: 7,
            last_term: 3,
        };
        let state: TraceEvent<'_> = TraceEvent::State {
            node: NodeId(2),
            status,
        };
        tracer.record(Instant::from_us(1_500), &state).unwrap();
        let fault: TraceEvent<'_> = TraceEvent::Fault {
            index: 0,
            description: "isolate 3",
            skipped: false,
        };
        tracer.record(Instant::from_us(2_000), &fault).unwrap();
        tracer.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines = read_jsonl(&text).expect("a trace reads back");
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].seq, lines[0].at_us), (0, 1_500));
        match &lines[0].record {
            Record::State {
                node,
                role,
                log_length,
                commit_index,
                ..
            } => {
                assert_eq!((*node, role.as_ref()), (NodeId(2), "leader"));
                assert_eq!((*log_length, *commit_index), (7, 5));
            }
            other => panic!("not a state record: {other:?}"),
        }
        assert!(
            matches!(&lines[1].record, Record::Fault { description, .. } if description == "isolate 3")
        );
        let err = read_jsonl("{\"seq\":0}\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(
            err.to_string()
                .starts_with("line 1: not a raftsim trace record"),
            "{err}"
        );
    }

    /// A message of no implementation: just what a trace shows.
    struct Probe;

    impl MessageView for Probe {
        fn term(&self) -> Term {
            4
        }
        fn kind(&self) -> &'static str {
            "Probe"
        }
        fn class(&self) -> MessageClass {
            MessageClass::Other
        }
        fn answer(&self) -> Option<bool> {
            None
        }
        fn fields(&self) -> Fields {
            Fields::default().number("index", 9).flag("reject", false)
        }
    }

    #[test]
    fn a_sent_message_reads_back_with_its_fields_and_its_fate() {
        let mut out = Vec::new();
        let mut tracer = JsonLinesTracer::new(&mut out);
        let fate = Fate::Arrives {
            at: Instant::from_us(3_000),
            duplicate_at: None,
        };
        let send: TraceEvent<'_> = TraceEvent::Send {
            envelope: Envelope {
                from: NodeId(1),
                to: NodeId(2),
                msg: &Probe,
            },
            id: 1,
            fate,
        };
        tracer.record(Instant::from_us(1_000), &send).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.trim_end(),
            r#"{"seq":0,"at_us":1000,"kind":"send","from":1,"to":2,"id":1,"msg":"Probe","term":4,"index":9,"reject":false,"fate":"arrives","arrive_us":3000}"#
        );
        let lines = read_jsonl(&text).expect("a trace reads back");
        let Record::Send {
            msg, fields, fate, ..
        } = &lines[0].record
        else {
            panic!("not a send: {:?}", lines[0]);
        };
        assert_eq!(msg, "Probe");
        assert_eq!(
            *fate,
            FateFields::Arrives {
                arrive_us: 3_000,
                duplicate_us: None
            }
        );
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["index", "reject"],
            "the fate is not a message field"
        );
    }
}
