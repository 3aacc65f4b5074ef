//! The sans-IO Raft node. It owns Raft's rules: elections (classic, PreVote,
//! leader lease, CheckQuorum, DLedger's elector) and log replication. It
//! reacts to an input (a message, a timer firing, a client proposal) at the
//! instant `now` it is given and pushes [`Action`]s for the world to carry
//! out. It never reads a clock, never touches the event queue or the network,
//! and never sees another node's state.
//!
//! A [`Node`] (`node.rs`) is the shared core (`replication.rs`: term, vote,
//! log, role, replication, the outbox) plus one elector, chosen by its
//! type: [`ClassicNode`] (`classic.rs`) or [`DLedgerNode`] (`dledger.rs`).
//! An elector changes the core only through the core's methods, which hold
//! its invariants. `message.rs` holds the messages: the shared replication
//! ones and each elector's own, so a classic node can never be handed a
//! DLedger message. The vocabulary shared with the engine (actions,
//! timers, status, configuration, the [`RaftNode`] trait) is
//! `crate::node`'s. The rules are tested by scripts (`testdata/*.txt`, run
//! by `script/`): each block drives one node and shows what it emits.
//!
//! [`RaftNode`]: crate::node::RaftNode
//!
//! Where each rule lives:
//!
//! - Persistence: a message never leaves ahead of the state it depends on:
//!   `replication.rs` `flush` (called by `send` and after every input).
//! - Terms only rise, and a new term clears the vote: `replication.rs`
//!   `set_term`.
//! - AppendEntries, follower side (consistency check, overwrite conflicts,
//!   commit what the leader committed): `replication.rs` `accept_append`;
//!   the conflict hint that skips a whole term: `conflict_hint`.
//! - AppendEntries, leader side (progress per follower, back-off on a
//!   refusal): `replication.rs` `send_append`, `on_append_response`.
//! - Commit only entries of the current term, counting the leader's own log
//!   only as far as it is durable: `replication.rs` `maybe_commit`.
//! - A new leader appends a no-op of its term: `replication.rs`
//!   `start_leading`.
//! - Snapshots and log compaction (docs/SEMANTICS.md): compacting behind
//!   the commit index, a leader sending InstallSnapshot to a follower behind
//!   its snapshot, the follower installing it: `replication/snapshot.rs`;
//!   skipping what a snapshot covers in AppendEntries: `replication.rs`
//!   `accept_append`; the log's
//!   offset: `crate::node::Log`; the disk's: `crate::node::HardState::apply`.
//! - Classic election (timeout, campaign, granting and counting votes,
//!   stepping down on a higher term, heartbeats): `classic.rs`.
//! - The up-to-date log check (Raft §5.4.1): `classic.rs`
//!   `candidate_is_up_to_date`, applied in `on_vote_request`.
//! - PreVote: `classic/pre_vote.rs` — starting a round, granting, which
//!   answers count, and that pre-vote messages never change a term.
//! - Leader lease: `classic/lease.rs` — recording contact with the leader,
//!   ignoring vote requests of higher terms while it holds.
//! - CheckQuorum: `classic/check_quorum.rs` — the period timer, who counts
//!   as heard from, stepping down without a majority.
//! - DLedger (docs/DLEDGER.md): `dledger.rs` — its state, `next_term()` (the
//!   only place its term rises), role changes, which appends a follower
//!   takes; `dledger/vote.rs` — the candidate round, the tally, outcomes 1–7
//!   and voter checks 1–7; `dledger/heartbeat.rs` — both sides of
//!   heartbeats and DLedger's own CheckQuorum.
//! - Planted bugs ([`Bugs`], docs/SEMANTICS.md), each behind its flag next
//!   to the rule it breaks: `forget_vote_on_restart` in `replication.rs`
//!   `Core::new`; `grant_vote_without_log_check` in `classic.rs`
//!   `on_vote_request` (classic and PreVote) and `dledger/vote.rs`
//!   `judge_vote` (checks 1 and 2); `commit_previous_term_by_count` in
//!   `replication.rs` `maybe_commit`; `keep_conflicting_suffix` in
//!   `replication.rs` `merge_entries`; `trust_leader_commit` and
//!   `ack_before_persist` in `replication.rs` `accept_append`. Everything
//!   in `replication.rs` is shared, so those bugs apply to both electors.

mod classic;
mod dledger;
mod message;
mod node;
mod replication;
#[cfg(test)]
mod script;

pub use dledger::{DLedgerState, ParseResult};
pub use message::{
    AppendEntries, AppendResponse, ClassicMessage, DLedgerMessage, DlElection, DlHeartbeat,
    DlHeartbeatReply, DlVote, DlVoteReply, HeartbeatCode, InstallSnapshot, Message, RequestVote,
    TimeoutNow, Vote, VoteResponse, VoteResult,
};
pub use node::{ClassicNode, DLedgerNode, Node};

/// The most entries one AppendEntries message carries.
pub const MAX_ENTRIES_PER_APPEND: usize = 64;
