//! The 64-bit trace hash: a word-wise mix over the ordered event stream,
//! written here so it never changes with a compiler or library version.
//! Every run has one; same scenario, seed and variant, same hash.

use super::{Envelope, TraceEvent};
use crate::network::Fate;
use crate::node::{Digest, NodeId, WireMessage};
use crate::time::Instant;

/// The 64-bit trace hash: a word-wise mix over the ordered event stream,
/// written here so it never changes with a compiler or library version.
#[derive(Clone, Copy, Debug)]
pub struct TraceHash(u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0x6a09_e667_f3bc_c908)
    }
}

impl Digest for TraceHash {
    #[inline(always)]
    fn word(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl TraceHash {
    fn node(&mut self, node: Option<NodeId>) {
        self.word(node.map_or(0, |n| u64::from(n.0)));
    }

    /// The sender, the receiver and the message. Inlined with `add`, into
    /// the sends, deliveries and drops.
    #[inline(always)]
    fn envelope<M: WireMessage>(&mut self, envelope: Envelope<'_, M>) {
        self.node(Some(envelope.from));
        self.node(Some(envelope.to));
        self.word(envelope.msg.term());
        envelope.msg.digest(self);
    }

    /// Always inlined: every call site builds one known variant, so the
    /// match and the `TraceEvent` itself fold away there (5.5% of the
    /// benchmark's wall time; docs/PERFORMANCE.md).
    #[inline(always)]
    pub fn add<M: WireMessage>(&mut self, at: Instant, event: &TraceEvent<'_, M>) {
        self.word(at.as_us());
        match *event {
            TraceEvent::Send { envelope, fate, .. } => {
                self.word(1);
                self.envelope(envelope);
                match fate {
                    Fate::Cut => self.word(1),
                    Fate::Lost => self.word(2),
                    Fate::Arrives { at, duplicate_at } => {
                        self.word(at.as_us());
                        self.word(duplicate_at.map_or(0, |t| t.as_us()));
                    }
                }
            }
            TraceEvent::Deliver { envelope, .. } => {
                self.word(2);
                self.envelope(envelope);
            }
            TraceEvent::Drop {
                envelope, reason, ..
            } => {
                self.word(3 + 16 * reason as u64);
                self.envelope(envelope);
            }
            TraceEvent::Timer { node, kind } => {
                self.word(4 + 16 * kind.index() as u64);
                self.node(Some(node));
            }
            TraceEvent::State { node, status } => {
                self.word(5 + 16 * status.role as u64);
                self.node(Some(node));
                self.word(status.term);
                self.node(status.leader);
            }
            TraceEvent::Crash { node } => {
                self.word(6);
                self.node(Some(node));
            }
            TraceEvent::Restart { node } => {
                self.word(7);
                self.node(Some(node));
            }
            TraceEvent::Fault { index, skipped, .. } => {
                self.word(8 + 16 * u64::from(skipped));
                self.word(index as u64);
            }
            TraceEvent::Propose { id, leader } => {
                self.word(9);
                self.word(id);
                self.node(leader);
            }
            TraceEvent::Commit { index } => {
                self.word(10);
                self.word(index);
            }
            TraceEvent::Config { index, config } => {
                self.word(12);
                self.word(index);
                self.word(config.voters.bits());
                self.word(config.outgoing.bits());
                self.word(config.learners.bits());
            }
            TraceEvent::Violation { property, node, .. } => {
                self.word(11 + 16 * property as u64);
                self.node(node);
            }
        }
    }

    pub fn value(&self) -> u64 {
        self.0
    }
}

/// Formats a trace hash as results and reports show it.
pub fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}
