//! What the engine, the observers and the traces need of a message. Each
//! Raft implementation owns its message type ([`RaftNode::Message`]) and
//! describes it through these traits: a type name, its term, the part it
//! plays, its named fields, a vote it grants, the bytes it carries and the
//! words it adds to the trace hash. Nothing outside an implementation looks
//! inside its messages.
//!
//! [`RaftNode::Message`]: super::RaftNode::Message

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{SnapshotConfig, Term};

/// What part a message plays, which decides how a diagram draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageClass {
    /// A vote or pre-vote request.
    VoteRequest,
    /// An answer to one.
    VoteReply,
    /// Replication and heartbeats (appends, heartbeats, snapshots).
    Append,
    /// An answer to one.
    AppendReply,
    /// Anything else (a leadership transfer's TimeoutNow, say).
    Other,
}

/// One named field of a message, as traces write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValue {
    Number(u64),
    Flag(bool),
    Text(&'static str),
}

/// Keys a trace record of a sent message has besides the message's own
/// fields, which therefore no message field may be called.
pub const RESERVED_FIELD_NAMES: [&str; 11] = [
    "seq",
    "at_us",
    "kind",
    "from",
    "to",
    "id",
    "msg",
    "term",
    "fate",
    "arrive_us",
    "duplicate_us",
];

/// The most fields a message shows beyond its kind and term.
pub const MAX_FIELDS: usize = 6;

/// A message's named fields beyond its kind and term, in the order traces
/// write them. Fixed-size: describing a message allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    len: usize,
    items: [(&'static str, FieldValue); MAX_FIELDS],
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            len: 0,
            items: [("", FieldValue::Flag(false)); MAX_FIELDS],
        }
    }
}

impl Fields {
    /// Adds a field; `name` must be new and there must be room.
    pub fn with(mut self, name: &'static str, value: FieldValue) -> Fields {
        assert!(
            self.len < MAX_FIELDS,
            "a message shows at most {MAX_FIELDS} fields"
        );
        debug_assert!(
            self.iter().all(|(n, _)| n != name),
            "field {name} shown twice"
        );
        self.items[self.len] = (name, value);
        self.len += 1;
        self
    }

    pub fn number(self, name: &'static str, value: u64) -> Fields {
        self.with(name, FieldValue::Number(value))
    }

    pub fn flag(self, name: &'static str, value: bool) -> Fields {
        self.with(name, FieldValue::Flag(value))
    }

    pub fn text(self, name: &'static str, value: &'static str) -> Fields {
        self.with(name, FieldValue::Text(value))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, FieldValue)> + '_ {
        self.items[..self.len].iter().copied()
    }

    /// The field called `name`, if the message has one.
    pub fn get(&self, name: &str) -> Option<FieldValue> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            FieldValue::Number(n) => serializer.serialize_u64(n),
            FieldValue::Flag(b) => serializer.serialize_bool(b),
            FieldValue::Text(s) => serializer.serialize_str(s),
        }
    }
}

/// A map of the fields (flattened into trace records).
impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

/// Receives the words of the trace hash.
pub trait Digest {
    fn word(&mut self, word: u64);
}

/// What observers and trace writers read of a message. Object-safe: a
/// tracer sees any implementation's messages as `&dyn MessageView`.
pub trait MessageView {
    /// The sender's term.
    fn term(&self) -> Term;
    /// A short stable type name ("AppendEntries", "MsgAppend"), for traces,
    /// metrics and diagrams.
    fn kind(&self) -> &'static str;
    fn class(&self) -> MessageClass;
    /// For an answer, whether it said yes (a vote granted, an append
    /// accepted); `None` for a request.
    fn answer(&self) -> Option<bool>;
    /// The fields a trace shows beyond kind and term.
    fn fields(&self) -> Fields;
}

/// A message as the simulated network carries it between two nodes of one
/// implementation.
pub trait WireMessage: MessageView + Clone + fmt::Debug + 'static {
    /// The term in which this message grants a real (not a pre-) vote, if
    /// it does: what the safety checker's one-vote-per-term rule watches.
    fn granted_vote(&self) -> Option<Term>;

    /// The bytes of a snapshot this message carries, whose transfer time
    /// the network adds to the link's latency; `None` for other messages.
    fn snapshot_bytes(&self, config: &SnapshotConfig) -> Option<u64>;

    /// The memory the message owns beyond its own size (the entries an
    /// append carries): what the run's memory budget counts for it.
    fn held_bytes(&self) -> u64;

    /// Feeds the trace hash everything that identifies the message beyond
    /// its term. The words are part of every golden trace hash: change
    /// them only on purpose.
    fn digest(&self, digest: &mut impl Digest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_order_and_serialise_as_a_map() {
        let fields = Fields::default()
            .number("index", 7)
            .flag("reject", true)
            .text("result", "Accept");
        let json = serde_json::to_string(&fields).expect("serialisable");
        assert_eq!(json, r#"{"index":7,"reject":true,"result":"Accept"}"#);
        assert_eq!(fields.get("reject"), Some(FieldValue::Flag(true)));
        assert_eq!(fields.get("commit"), None);
    }

    #[test]
    #[should_panic(expected = "at most")]
    fn a_message_cannot_show_more_fields_than_there_is_room_for() {
        let mut fields = Fields::default();
        for name in ["a", "b", "c", "d", "e", "f", "g"] {
            fields = fields.number(name, 1);
        }
    }
}
