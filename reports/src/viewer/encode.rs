//! The viewer's data as one JSON document for the page. The two long
//! lists, status changes and messages, are byte streams of unsigned LEB128
//! integers (small deltas, mostly one byte each) in base64, a third of the
//! size of the same numbers as JSON text; everything else is plain JSON.
//! The page's script (`viewer.js`, `decodeStatuses` and `decodeMessages`)
//! reads exactly this layout.
//!
//! Status streams, one per node, one record per change, in time order: the
//! time since the node's previous record (µs), the bit set of the fields
//! that differ from that record (1 role, 2 term, 4 vote, 8 leader, 16 log,
//! 32 commit; the first record has them all), then those fields in that
//! order: the role (0 follower, 1 pre-candidate, 2
//! candidate, 3 leader), the term, the vote and the leader (0 for none,
//! else the node), and the log and commit as zigzag deltas.
//!
//! Window stream: per detail window, the time from the previous window's
//! end (or 0) to its start, and its length (µs).
//!
//! Node event stream (crashes, restarts, pauses, resumes), in time order:
//! the time since the previous event (µs), node + nodes × what (0 crash, 1
//! restart, 2 pause, 3 resume).
//!
//! Message stream, in send order: the time since the previous send (µs),
//! from × nodes + to (0-based), kind × 8 + fate, the flight time (µs, 0
//! for a message that never left), the term as a zigzag delta from the
//! previous message's.

use serde_json::{json, Value};
use sim_core::node::Role;

use super::record::{
    Fate, Marker, MarkerKind, NodeEventKind, NodeView, StatusChange, VariantReplay,
};

/// A byte stream of varints, with room made for it up front (a record's
/// most bytes times the records).
struct Stream {
    bytes: Vec<u8>,
}

impl Stream {
    fn with_room(records: usize, most_per_record: usize) -> Stream {
        Stream {
            bytes: Vec::with_capacity(records * most_per_record),
        }
    }

    /// Unsigned LEB128.
    #[inline]
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    /// A signed delta, zigzag-folded into an unsigned one.
    #[inline]
    fn zigzag(&mut self, delta: i64) {
        self.varint(((delta << 1) ^ (delta >> 63)) as u64);
    }

    fn base64(&self) -> String {
        base64(&self.bytes)
    }
}

/// The most bytes a varint takes.
const VARINT: usize = 10;

fn delta(now: u64, before: u64) -> i64 {
    (now as i64).wrapping_sub(before as i64)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The two characters of every 12 bits: three bytes become two lookups.
static PAIRS: [[u8; 2]; 4096] = {
    let mut pairs = [[0; 2]; 4096];
    let mut n = 0;
    while n < 4096 {
        pairs[n] = [ALPHABET[n >> 6], ALPHABET[n & 63]];
        n += 1;
    }
    pairs
};

/// Standard base64 with padding, as `atob` reads it.
fn base64(bytes: &[u8]) -> String {
    let sextet = |n: u32, shift: u32| ALPHABET[(n >> shift) as usize & 63];
    let mut out = vec![b'='; bytes.len().div_ceil(3) * 4];
    let whole = bytes.chunks_exact(3);
    let rest = whole.remainder();
    let mut to = out.chunks_exact_mut(4);
    for (chunk, slot) in whole.zip(&mut to) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        let (high, low) = (PAIRS[(n >> 12) as usize], PAIRS[(n & 0xfff) as usize]);
        slot.copy_from_slice(&[high[0], high[1], low[0], low[1]]);
    }
    if let (Some(slot), Some(&first)) = (to.next(), rest.first()) {
        let n = (u32::from(first) << 16) | (u32::from(rest.get(1).copied().unwrap_or(0)) << 8);
        slot[0] = sextet(n, 18);
        slot[1] = sextet(n, 12);
        if rest.len() == 2 {
            slot[2] = sextet(n, 6);
        }
    }
    String::from_utf8(out).expect("base64 is ASCII")
}

pub fn role_code(role: Role) -> u64 {
    match role {
        Role::Follower => 0,
        Role::PreCandidate => 1,
        Role::Candidate => 2,
        Role::Leader => 3,
    }
}

/// One node's status stream.
fn statuses(changes: &[StatusChange]) -> String {
    // Time, flags, role, term, vote, leader, log, commit.
    let mut out = Stream::with_room(changes.len(), 6 * VARINT + 3);
    let mut before: Option<NodeView> = None;
    let mut at = 0;
    for s in changes {
        let v = s.view;
        let flags = match before {
            None => 63,
            Some(b) => {
                u64::from(b.role != v.role)
                    | u64::from(b.term != v.term) << 1
                    | u64::from(b.vote != v.vote) << 2
                    | u64::from(b.leader != v.leader) << 3
                    | u64::from(b.log != v.log) << 4
                    | u64::from(b.commit != v.commit) << 5
            }
        };
        let (log_before, commit_before) = before.map_or((0, 0), |b| (b.log, b.commit));
        before = Some(v);
        out.varint(s.at_us - at);
        at = s.at_us;
        out.varint(flags);
        if flags & 1 != 0 {
            out.varint(role_code(v.role));
        }
        if flags & 2 != 0 {
            out.varint(v.term);
        }
        if flags & 4 != 0 {
            out.varint(v.vote.map_or(0, u64::from));
        }
        if flags & 8 != 0 {
            out.varint(v.leader.map_or(0, u64::from));
        }
        if flags & 16 != 0 {
            out.zigzag(delta(v.log, log_before));
        }
        if flags & 32 != 0 {
            out.zigzag(delta(v.commit, commit_before));
        }
    }
    out.base64()
}

fn messages(replay: &VariantReplay) -> String {
    let mut out = Stream::with_room(replay.messages.len(), 5 * VARINT);
    let (mut sent, mut term) = (0, 0);
    let nodes = u64::from(replay.nodes);
    for m in &replay.messages {
        out.varint(m.sent_us - sent);
        sent = m.sent_us;
        out.varint(u64::from(m.from - 1) * nodes + u64::from(m.to - 1));
        out.varint(u64::from(m.kind) * 8 + u64::from(m.fate.code()));
        out.varint(m.end_us - m.sent_us);
        out.zigzag(delta(u64::from(m.term), term));
        term = u64::from(m.term);
    }
    out.base64()
}

/// What part a message of this kind plays, from its name alone (the
/// model's, DLedger's and raft-rs's names): the colour of its arrow.
pub fn message_class(kind: &str) -> &'static str {
    let reply = ["Response", "Resp", "Reply"]
        .iter()
        .any(|end| kind.ends_with(end));
    if kind.contains("PreVote") {
        if reply {
            "vote-reply"
        } else {
            "prevote"
        }
    } else if kind.contains("Vote") {
        if reply {
            "vote-reply"
        } else {
            "vote"
        }
    } else if kind.contains("Snapshot") {
        "snapshot"
    } else if kind.contains("Append") || kind.contains("Heartbeat") {
        if reply {
            "append-reply"
        } else {
            "append"
        }
    } else {
        "other"
    }
}

fn windows(replay: &VariantReplay) -> String {
    let mut out = Stream::with_room(replay.windows.len(), 2 * VARINT);
    let mut at = 0;
    for &(start, end) in &replay.windows {
        out.varint(start - at);
        out.varint(end - start);
        at = end;
    }
    out.base64()
}

fn node_event_code(kind: NodeEventKind) -> u64 {
    match kind {
        NodeEventKind::Crash => 0,
        NodeEventKind::Restart => 1,
        NodeEventKind::Pause => 2,
        NodeEventKind::Resume => 3,
    }
}

fn node_events(replay: &VariantReplay) -> String {
    let mut out = Stream::with_room(replay.node_events.len(), 2 * VARINT);
    let mut at = 0;
    for e in &replay.node_events {
        out.varint(e.at_us - at);
        at = e.at_us;
        out.varint(u64::from(e.node - 1) + u64::from(replay.nodes) * node_event_code(e.kind));
    }
    out.base64()
}

/// Markers as the page reads them: `[at_us, kind, text]`.
pub fn markers(markers: &[Marker]) -> Value {
    markers
        .iter()
        .map(|m| json!([m.at_us, m.kind.name(), m.text]))
        .collect()
}

/// JSON text that can sit inside a `<script>` element: nothing in it
/// looks like a closing tag or a comment (`<` only occurs inside strings,
/// where `\u003c` is the same character).
pub fn script_safe(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// One variant as the page reads it, as JSON text.
pub fn variant(replay: &VariantReplay) -> String {
    variant_sized(replay).json
}

/// A variant's data and what its messages and its status changes take
/// of it (their streams): how thinning weighs them.
pub struct Encoded {
    pub json: String,
    pub messages_bytes: usize,
    pub statuses_bytes: usize,
}

pub fn variant_sized(replay: &VariantReplay) -> Encoded {
    let facts = json!({
        "label": replay.label,
        "end_us": replay.end_us,
        "coarse_us": replay.coarse_us,
        "links_known": replay.links_known,
        "kinds": replay.kinds,
        "classes": replay.kinds.iter().map(|k| message_class(k)).collect::<Vec<_>>(),
        "markers": markers(&replay.markers),
        "links": replay.links.iter().map(|l| {
            json!([l.at_us, l.cut.iter().flat_map(|&(a, b)| [a, b]).collect::<Vec<_>>()])
        }).collect::<Vec<_>>(),
        "configs": replay.configs.iter().map(|c| json!([c.at_us, c.voters, c.learners])).collect::<Vec<_>>(),
        "window_count": replay.windows.len(),
        "node_event_count": replay.node_events.len(),
        "status_counts": replay.statuses.iter().map(Vec::len).collect::<Vec<_>>(),
        "message_count": replay.messages.len(),
    });
    let messages = messages(replay);
    let messages_bytes = messages.len();
    let streams = [
        ("windows", windows(replay)),
        ("node_events", node_events(replay)),
        ("messages", messages),
    ];
    // Its closing brace off: the streams go in before it. Base64 needs no
    // escaping: they are written as they are.
    let mut out = script_safe(&facts);
    out.pop();
    out.push_str(",\"statuses\":[");
    let mut statuses_bytes = 0;
    for (i, changes) in replay.statuses.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let stream = statuses(changes);
        statuses_bytes += stream.len();
        out.push('"');
        out.push_str(&stream);
        out.push('"');
    }
    out.push(']');
    for (key, base64) in streams {
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":\"");
        out.push_str(&base64);
        out.push('"');
    }
    out.push('}');
    Encoded {
        json: out,
        messages_bytes,
        statuses_bytes,
    }
}

/// The names the page gives fates and marker kinds, in code order.
pub fn vocabulary() -> Value {
    json!({
        "fates": Fate::ALL.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "markers": MarkerKind::ALL.iter().map(|m| m.name()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn varints_are_leb128_and_zigzag_folds_signs() {
        let mut out = Stream::with_room(4, VARINT);
        out.varint(0);
        out.varint(127);
        out.varint(128);
        out.varint(300);
        assert_eq!(out.bytes, [0, 127, 0x80, 1, 0xac, 2]);
        let mut out = Stream::with_room(4, VARINT);
        for d in [0, -1, 1, -2] {
            out.zigzag(d);
        }
        assert_eq!(out.bytes, [0, 1, 2, 3]);
    }

    #[test]
    fn message_kinds_of_every_implementation_get_a_class() {
        for (kind, class) in [
            ("RequestVote", "vote"),
            ("PreVote", "prevote"),
            ("VoteResponse", "vote-reply"),
            ("PreVoteResponse", "vote-reply"),
            ("AppendEntries", "append"),
            ("AppendResponse", "append-reply"),
            ("InstallSnapshot", "snapshot"),
            ("DlVote", "vote"),
            ("DlVoteReply", "vote-reply"),
            ("DlHeartbeat", "append"),
            ("DlHeartbeatReply", "append-reply"),
            ("MsgRequestPreVote", "prevote"),
            ("MsgRequestVoteResponse", "vote-reply"),
            ("MsgHeartbeatResponse", "append-reply"),
            ("MsgSnapshot", "snapshot"),
            ("MsgTimeoutNow", "other"),
        ] {
            assert_eq!(message_class(kind), class, "{kind}");
        }
    }
}
