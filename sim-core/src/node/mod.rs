//! The contract between the engine and a Raft implementation: node ids,
//! terms and log positions, timers, the actions a node asks for, the
//! status observers read, the disk, the configuration, and the
//! [`RaftNode`] trait itself with the message traits of `message.rs`.
//! raftsim's own model (`crate::raft`) and TiKV's raft-rs
//! (`crate::raftrs`) both implement it; the cluster, the network, the
//! metrics, the safety checker and the traces see nodes only through it.
//!
//! A node never reads a clock, never touches the event queue or the network
//! and never sees another node: it gets `now` with every input and answers
//! with actions (send, set or cancel a timer, persist, note).

mod config;
mod disk;
mod log;
mod membership;
mod message;
mod sessions;

pub use config::{
    Bugs, DLedgerTiming, ElectionKind, Implementation, RaftConfig, SnapshotConfig, DEFAULT_TICK_US,
};
pub use disk::{Entry, EntryData, HardState, PersistWrite, SnapshotMeta};
pub use log::{Log, LogView};
pub use membership::{Membership, MembershipChange, NodeSet};
pub use message::{
    Digest, FieldValue, Fields, MessageClass, MessageView, WireMessage, MAX_FIELDS,
    RESERVED_FIELD_NAMES,
};
pub use sessions::Sessions;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rng::Stream;
use crate::time::Instant;

/// The most nodes a cluster may have (vote sets are 64-bit masks).
pub const MAX_NODES: usize = 64;

/// A node's id, 1-based as in scenario files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// 0-based position, for indexing per-node vectors.
    pub fn index(self) -> usize {
        debug_assert!(self.0 >= 1, "node ids are 1-based");
        self.0 as usize - 1
    }
    pub fn from_index(index: usize) -> NodeId {
        debug_assert!(
            index < MAX_NODES,
            "node index {index} past {MAX_NODES} nodes"
        );
        NodeId(index as u32 + 1)
    }
    /// This node's bit in a 64-bit set of nodes.
    pub fn bit(self) -> u64 {
        debug_assert!(self.index() < MAX_NODES, "node {self} has no bit");
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
    /// A leader transferring its leadership: when to give up.
    Transfer,
}

impl TimerKind {
    pub const COUNT: usize = 7;
    pub const ALL: [TimerKind; TimerKind::COUNT] = [
        TimerKind::Election,
        TimerKind::Heartbeat,
        TimerKind::Quorum,
        TimerKind::VoteRound,
        TimerKind::Replicate,
        TimerKind::Tick,
        TimerKind::Transfer,
    ];
    pub fn index(self) -> usize {
        let index = match self {
            TimerKind::Election => 0,
            TimerKind::Heartbeat => 1,
            TimerKind::Quorum => 2,
            TimerKind::VoteRound => 3,
            TimerKind::Replicate => 4,
            TimerKind::Tick => 5,
            TimerKind::Transfer => 6,
        };
        debug_assert!(
            TimerKind::ALL[index] == self,
            "TimerKind::ALL is in index order"
        );
        index
    }
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::Election => "election",
            TimerKind::Heartbeat => "heartbeat",
            TimerKind::Quorum => "check_quorum",
            TimerKind::VoteRound => "vote_round",
            TimerKind::Replicate => "replicate",
            TimerKind::Tick => "tick",
            TimerKind::Transfer => "transfer",
        }
    }
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

/// When a message may leave its sender. The node decides; the cluster
/// carries it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendTiming {
    /// Once every write the node issued before this send is durable: a
    /// vote, a vote request or an acknowledgement must not get ahead of the
    /// state it depends on.
    AfterWrites,
    /// At once, in parallel with the node's own writes (a leader's
    /// AppendEntries, thesis §10.2.1: the leader counts itself toward a
    /// commit only once its own write is durable).
    Now,
}

/// What a node asks the world to do. The cluster executes actions in
/// order. `M` is the implementation's message type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<M> {
    Send {
        to: NodeId,
        msg: M,
        timing: SendTiming,
    },
    SetTimer {
        kind: TimerKind,
        at: Instant,
    },
    CancelTimer {
        kind: TimerKind,
    },
    /// Make this write durable, after the node's earlier writes.
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

/// A majority of `n` nodes: n/2 + 1.
pub fn majority(n: usize) -> usize {
    debug_assert!(n >= 1, "a majority of no nodes");
    n / 2 + 1
}

/// What a node (re)starts from.
pub struct Boot<'a> {
    pub id: NodeId,
    /// Machines in the cluster, members or not: ids run 1..=cluster_size.
    pub cluster_size: usize,
    pub config: &'a RaftConfig,
    /// The node's own seeded stream, continued across restarts
    /// ([`RaftNode::into_rng`]): its only source of randomness.
    pub rng: Stream,
    /// What its disk holds.
    pub disk: HardState,
    pub now: Instant,
}

/// A Raft node as the engine drives it. `start` builds one from its disk;
/// each input returns actions in `out`; observers read `status` and `log`.
pub trait RaftNode: Sized {
    /// The messages nodes of this implementation exchange. The engine
    /// carries them untouched and reads them only through [`WireMessage`].
    type Message: WireMessage;

    /// Builds a node from its durable state ([`Boot`]): at the start of a
    /// run and at every restart.
    fn start(boot: Boot<'_>, out: &mut Vec<Action<Self::Message>>) -> Self;

    /// A message from `from` was delivered.
    fn on_message(
        &mut self,
        now: Instant,
        from: NodeId,
        msg: Self::Message,
        out: &mut Vec<Action<Self::Message>>,
    );

    /// The timer `kind`, set by an earlier `SetTimer`, fired.
    fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action<Self::Message>>);

    /// A client proposal. Returns whether the node accepted it (only a
    /// leader does); a refused proposal stays with the client.
    fn propose(
        &mut self,
        now: Instant,
        id: ProposalId,
        out: &mut Vec<Action<Self::Message>>,
    ) -> bool;

    /// The oldest write not yet reported durable is durable now (writes
    /// become durable in the order they were issued); the durable log has
    /// `durable_last_index` entries. A library that learns of durability
    /// asynchronously (raft-rs) may answer with actions.
    fn on_persisted(
        &mut self,
        now: Instant,
        durable_last_index: LogIndex,
        out: &mut Vec<Action<Self::Message>>,
    );

    /// Role, term, vote, leader, commit index and last log entry, for
    /// observers and for the cluster's routing of client proposals.
    fn status(&self) -> Status;

    /// The configuration the node uses now: for the model its latest,
    /// committed or not (Raft thesis §4.1); for a library, the one it
    /// acts on. Every majority the observers reckon is of this one.
    fn membership(&self) -> Membership;

    /// An operator asks this node, the leader, to change the cluster's
    /// membership. `Ok`: the change is under way (appended); `Err`: why the
    /// node refused it, in a phrase ("another change is not committed
    /// yet").
    fn change_membership(
        &mut self,
        now: Instant,
        change: MembershipChange,
        out: &mut Vec<Action<Self::Message>>,
    ) -> Result<(), String>;

    /// An operator asks this node, the leader, to hand its leadership to
    /// `target` (Raft thesis §3.10). `Ok`: the transfer is under way;
    /// `Err`: why the node refused it.
    fn transfer_leader(
        &mut self,
        now: Instant,
        target: NodeId,
        out: &mut Vec<Action<Self::Message>>,
    ) -> Result<(), String>;

    /// The node's log: its snapshot's last included index and term and the
    /// live entries after it, for the safety checker and for the cluster to
    /// see which proposals a commit covers. Entries up to the snapshot are
    /// committed ones the node no longer holds (docs/SEMANTICS.md
    /// "Snapshots and log compaction").
    fn log(&self) -> LogView<'_>;

    /// Ends this incarnation (a crash): gives back the random stream so the
    /// next incarnation continues it.
    fn into_rng(self) -> Stream;
}
