//! The sans-IO Raft node. It owns Raft's rules: elections (classic, PreVote,
//! leader lease, CheckQuorum, DLedger's elector) and log replication. It
//! reacts to an input (a message, a timer firing, a client proposal) at the
//! instant `now` it is given and pushes [`Action`]s for the world to carry
//! out. It never reads a clock, never touches the event queue or the network,
//! and never sees another node's state.
//!
//! A [`Node`] (`node.rs`) is the shared core (`replication.rs`: term, vote,
//! log, role, replication, the outbox) plus one elector, chosen by
//! [`ElectionKind`]: the classic one (`classic.rs`) or DLedger's
//! (`dledger.rs`). An elector changes the core only through the core's
//! methods, which hold its invariants. This file holds the vocabulary
//! (actions, timers, status, configuration); `message.rs` the messages;
//! `api.rs` the [`RaftNode`] trait through which the rest of sim-core sees
//! any node. The rules are tested by scripts (`testdata/*.txt`, run by
//! `script/`): each block drives one node and shows what it emits.
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
//!   offset: `log.rs`; the disk's: [`HardState::apply`].
//! - Classic election (timeout, campaign, granting and counting votes,
//!   stepping down on a higher term, heartbeats): `classic.rs`.
//! - The up-to-date log check (Raft §5.4.1): `log.rs`
//!   `candidate_is_up_to_date`, applied in `classic.rs` `on_vote_request`.
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

mod api;
mod classic;
mod dledger;
mod log;
mod message;
mod node;
mod replication;
#[cfg(test)]
mod script;

pub use self::log::{Log, LogView};
pub use api::RaftNode;
pub use dledger::{DLedgerState, ParseResult};
pub use message::{
    AppendEntries, AppendResponse, DlHeartbeat, DlHeartbeatReply, DlVote, DlVoteReply,
    HeartbeatCode, InstallSnapshot, Message, RaftRsFields, RaftRsMessage, RequestVote,
    VoteResponse, VoteResult,
};
pub use node::Node;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Instant;

/// The most nodes a cluster may have (vote sets are 64-bit masks).
pub const MAX_NODES: usize = 64;
/// The most entries one AppendEntries message carries.
pub const MAX_ENTRIES_PER_APPEND: usize = 64;

/// A node's id, 1-based as in scenario files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// 0-based position, for indexing per-node vectors.
    pub fn index(self) -> usize {
        self.0 as usize - 1
    }
    pub fn from_index(index: usize) -> NodeId {
        NodeId(index as u32 + 1)
    }
    fn bit(self) -> u64 {
        1u64 << self.index()
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

pub type Term = u64;
/// Log positions are 1-based; index 0 is the empty prefix (term 0).
pub type LogIndex = u64;
/// A client proposal's id, unique per run.
pub type ProposalId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryData {
    /// The entry a new leader appends to commit its term.
    Noop,
    Proposal(ProposalId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub term: Term,
    pub data: EntryData,
}

/// The timers a node can arm. One of each kind at most: arming a kind again
/// replaces its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// Follower/candidate election timeout (classic), follower heartbeat
    /// timeout (DLedger).
    Election,
    /// Leader heartbeat interval.
    Heartbeat,
    /// Leader's CheckQuorum period (classic).
    Quorum,
    /// DLedger candidate: the next vote round, or the end of the current one.
    VoteRound,
    /// DLedger leader: resend entries to followers that are behind.
    Replicate,
    /// A library driven by logical ticks (raft-rs): the next `tick()`.
    Tick,
}

impl TimerKind {
    pub const COUNT: usize = 6;
    pub const ALL: [TimerKind; TimerKind::COUNT] = [
        TimerKind::Election,
        TimerKind::Heartbeat,
        TimerKind::Quorum,
        TimerKind::VoteRound,
        TimerKind::Replicate,
        TimerKind::Tick,
    ];
    pub fn index(self) -> usize {
        match self {
            TimerKind::Election => 0,
            TimerKind::Heartbeat => 1,
            TimerKind::Quorum => 2,
            TimerKind::VoteRound => 3,
            TimerKind::Replicate => 4,
            TimerKind::Tick => 5,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::Election => "election",
            TimerKind::Heartbeat => "heartbeat",
            TimerKind::Quorum => "check_quorum",
            TimerKind::VoteRound => "vote_round",
            TimerKind::Replicate => "replicate",
            TimerKind::Tick => "tick",
        }
    }
}

/// A durable write of term, vote, a snapshot and the log suffix from
/// `log_from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistWrite {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    /// A newer snapshot (last included index and term), applied before the
    /// log suffix: the disk keeps its entries after that index if it holds
    /// that entry, else it drops its whole log (docs/SEMANTICS.md
    /// "Snapshots and log compaction").
    pub snapshot: Option<(LogIndex, Term)>,
    /// First log index this write rewrites (after the snapshot, if any);
    /// the durable log is cut before it, then `entries` are appended.
    pub log_from: LogIndex,
    pub entries: Vec<Entry>,
}

/// Things the node reports for observers; they change nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    PreVoteStarted {
        term: Term,
    },
    /// A real campaign: the node raised its term to stand (or, in DLedger,
    /// started a vote round).
    CampaignStarted {
        term: Term,
    },
    /// A leader stepped down because a message carried a higher term.
    Deposed {
        by_term: Term,
    },
}

/// What a node asks the world to do. The cluster executes actions in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Send {
        to: NodeId,
        msg: Message,
    },
    SetTimer {
        kind: TimerKind,
        at: Instant,
    },
    CancelTimer {
        kind: TimerKind,
    },
    /// Make this write durable before any `Send` that follows it.
    Persist(PersistWrite),
    Note(Note),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre_candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// What an observer may read of a node after each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub term: Term,
    pub role: Role,
    pub leader: Option<NodeId>,
    pub voted_for: Option<NodeId>,
    pub commit_index: LogIndex,
    pub last_index: LogIndex,
    pub last_term: Term,
}

/// `classic` (Raft, with the PreVote/lease/CheckQuorum switches) or
/// `dledger` (DLedger's elector).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ElectionKind {
    Classic,
    Dledger,
}

/// Bugs that can be planted to prove the safety checker catches them
/// (docs/SEMANTICS.md "Planted bugs"). Each is a classic Raft mistake and
/// lives next to the rule it breaks (see the module comment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Grant votes without the up-to-date log check (breaks leader completeness).
    pub grant_vote_without_log_check: bool,
    /// Lose `voted_for` on restart (allows two votes in one term).
    pub forget_vote_on_restart: bool,
    /// Commit an earlier term's entry by counting replicas, the thesis'
    /// Figure 3.7 (breaks leader completeness).
    pub commit_previous_term_by_count: bool,
    /// Overwrite a conflicting entry but keep the entries after it (breaks
    /// log matching).
    pub keep_conflicting_suffix: bool,
    /// Commit up to `leader_commit` beyond what matches this leader's log
    /// (breaks state machine safety).
    pub trust_leader_commit: bool,
    /// Acknowledge appended entries before they are durable (breaks leader
    /// completeness once a crash loses them).
    pub ack_before_persist: bool,
}

impl Bugs {
    pub const NAMES: [&'static str; 6] = [
        "grant_vote_without_log_check",
        "forget_vote_on_restart",
        "commit_previous_term_by_count",
        "keep_conflicting_suffix",
        "trust_leader_commit",
        "ack_before_persist",
    ];

    /// Plants the bug called `name`; false if there is no such bug.
    pub fn plant(&mut self, name: &str) -> bool {
        let flag = match name {
            "grant_vote_without_log_check" => &mut self.grant_vote_without_log_check,
            "forget_vote_on_restart" => &mut self.forget_vote_on_restart,
            "commit_previous_term_by_count" => &mut self.commit_previous_term_by_count,
            "keep_conflicting_suffix" => &mut self.keep_conflicting_suffix,
            "trust_leader_commit" => &mut self.trust_leader_commit,
            "ack_before_persist" => &mut self.ack_before_persist,
            _ => return false,
        };
        *flag = true;
        true
    }
}

/// DLedger's timing, in microseconds (docs/DLEDGER.md "Timing").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DLedgerTiming {
    pub heartbeat_us: u64,
    pub max_heartbeat_leak: u64,
    pub vote_interval_us: (u64, u64),
    pub vote_wait_us: (u64, u64),
    pub rpc_timeout_us: u64,
}

impl Default for DLedgerTiming {
    fn default() -> Self {
        DLedgerTiming {
            heartbeat_us: 2_000_000,
            max_heartbeat_leak: 3,
            vote_interval_us: (300_000, 1_000_000),
            vote_wait_us: (2_000_000, 3_000_000),
            rpc_timeout_us: 3_000_000,
        }
    }
}

/// Who makes the Raft decisions (docs/IMPLEMENTATIONS.md): raftsim's own
/// model, or TiKV's raft-rs behind the same trait.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum Implementation {
    #[default]
    #[serde(rename = "model")]
    Model,
    #[serde(rename = "raft-rs")]
    RaftRs,
}

impl Implementation {
    /// The name scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            Implementation::Model => "model",
            Implementation::RaftRs => "raft-rs",
        }
    }

    /// Whether this binary was built with it (raft-rs is a cargo feature).
    pub fn available(self) -> bool {
        match self {
            Implementation::Model => true,
            Implementation::RaftRs => cfg!(feature = "raft-rs"),
        }
    }
}

/// The default logical clock of tick-driven libraries: 10 ms, a divisor of
/// every timeout in the bundled scenarios and etcd's and TiKV's usual
/// granularity (docs/IMPLEMENTATIONS.md).
pub const DEFAULT_TICK_US: u64 = 10_000;

/// A node's resolved configuration (all times in microseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaftConfig {
    pub implementation: Implementation,
    /// The tick of a tick-driven library (raft-rs); the model ignores it.
    pub tick_us: u64,
    pub election: ElectionKind,
    pub pre_vote: bool,
    pub check_quorum: bool,
    pub leader_lease: bool,
    pub election_timeout_us: (u64, u64),
    pub heartbeat_us: u64,
    pub dledger: DLedgerTiming,
    pub snapshot: SnapshotConfig,
    pub bugs: Bugs,
}

/// Log compaction and InstallSnapshot (docs/SEMANTICS.md "Snapshots and
/// log compaction").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotConfig {
    /// Once a node's commit index is this many entries past its snapshot,
    /// it compacts its log up to half this many entries before its commit
    /// index.
    pub threshold_entries: u64,
    /// The size of one entry in a snapshot, for its transfer time.
    pub entry_bytes: u64,
    /// The bandwidth a snapshot is sent at, in megabits per second (one
    /// bit per microsecond).
    pub bandwidth_mbps: u64,
}

impl SnapshotConfig {
    /// How long a snapshot of `bytes` takes to transfer, on top of the
    /// link's latency.
    pub fn transfer_us(&self, bytes: u64) -> u64 {
        bytes.saturating_mul(8) / self.bandwidth_mbps.max(1)
    }

    /// The size of a snapshot up to entry `last_index`: the entries it
    /// covers at `entry_bytes` each.
    pub fn bytes(&self, last_index: LogIndex) -> u64 {
        last_index.saturating_mul(self.entry_bytes)
    }

    /// The compaction rule: once `commit` is `threshold_entries` past
    /// `snapshot`, the index to compact up to (`threshold_entries / 2`
    /// before `commit`, so a follower only slightly behind still catches
    /// up from entries); else none.
    pub fn compaction_point(&self, commit: LogIndex, snapshot: LogIndex) -> Option<LogIndex> {
        let threshold = self.threshold_entries.max(1);
        (commit.saturating_sub(snapshot) >= threshold).then(|| commit - threshold / 2)
    }
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        SnapshotConfig {
            threshold_entries: 10_000,
            entry_bytes: 128,
            bandwidth_mbps: 1_000,
        }
    }
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            implementation: Implementation::Model,
            tick_us: DEFAULT_TICK_US,
            election: ElectionKind::Classic,
            pre_vote: false,
            check_quorum: false,
            leader_lease: false,
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            dledger: DLedgerTiming::default(),
            snapshot: SnapshotConfig::default(),
            bugs: Bugs::default(),
        }
    }
}

/// What survives a crash: term, vote, the snapshot (its last included
/// index and term) and the log after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HardState {
    pub term: Term,
    pub voted_for: Option<NodeId>,
    pub snapshot_index: LogIndex,
    pub snapshot_term: Term,
    /// The entries after the snapshot: `log[0]` is `snapshot_index + 1`.
    pub log: Vec<Entry>,
}

impl HardState {
    /// The index of the last entry on disk.
    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index + self.log.len() as LogIndex
    }

    /// Applies a write, as a disk would.
    pub fn apply(&mut self, write: &PersistWrite) {
        self.term = write.term;
        self.voted_for = write.voted_for;
        if let Some((index, term)) = write.snapshot.filter(|s| s.0 > self.snapshot_index) {
            let covered = index - self.snapshot_index;
            let holds = self.log.get(covered as usize - 1).map(|e| e.term) == Some(term);
            if holds {
                self.log.drain(..covered as usize);
            } else {
                self.log.clear();
            }
            self.snapshot_index = index;
            self.snapshot_term = term;
        }
        let keep = write
            .log_from
            .saturating_sub(1)
            .saturating_sub(self.snapshot_index);
        self.log.truncate((keep as usize).min(self.log.len()));
        self.log.extend_from_slice(&write.entries);
    }
}

/// A majority of `n` nodes: n/2 + 1.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}
