//! TiKV's raft-rs (crate `raft`, pinned) behind [`RaftNode`]: the
//! production library makes every Raft decision, raftsim supplies time,
//! the network, storage latency and the faults. The guide to this adapter,
//! and to putting another sans-IO library behind the trait, is
//! docs/IMPLEMENTATIONS.md.
//!
//! - `message.rs`: the library's message as the network carries it, and
//!   what observers read of it.
//! - `node.rs`: [`RaftRsNode`]: ticks, steps, `Ready` turned into actions,
//!   durability reported back, the seeded election timeout.
//! - `convert.rs`: configuration, entries and durable state between the
//!   two vocabularies.
//! - `storage.rs`: the library's view of its log and hard state.
//!
//! [`RaftNode`]: crate::node::RaftNode

#[cfg(feature = "raft-rs")]
mod convert;
#[cfg(feature = "raft-rs")]
mod message;
#[cfg(feature = "raft-rs")]
mod node;
#[cfg(feature = "raft-rs")]
mod storage;
#[cfg(feature = "raft-rs")]
pub use message::RaftRsMessage;
#[cfg(feature = "raft-rs")]
pub use node::RaftRsNode;

use std::sync::atomic::{AtomicU64, Ordering};

/// Library-drawn election timeouts that were still in place at a node's
/// next tick, over every raft-rs run in this process. The adapter replaces
/// each one with a draw from the node's seeded stream, so this stays 0;
/// anything else means a run depended on the library's own random
/// generator and would not replay.
pub fn unreplaced_timeouts() -> u64 {
    UNREPLACED_TIMEOUTS.load(Ordering::Relaxed)
}

static UNREPLACED_TIMEOUTS: AtomicU64 = AtomicU64::new(0);

#[cfg(feature = "raft-rs")]
fn count_unreplaced_timeout() {
    UNREPLACED_TIMEOUTS.fetch_add(1, Ordering::Relaxed);
}
