//! The configuration every Raft implementation is started with: the
//! scenario's `raft` section, resolved (all times in microseconds). Each
//! implementation reads what it supports; scenario validation refuses a
//! setting an implementation has no equivalent for.

use serde::{Deserialize, Serialize};

use super::LogIndex;

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
    /// Change membership before the leader has committed an entry of its
    /// own term: the single-server bug of 2015 (two configurations with
    /// disjoint majorities can then both be in force).
    pub change_before_term_commit: bool,
    /// Accept a second single-server change while the first is uncommitted
    /// (the same, by another road).
    pub multiple_changes_at_once: bool,
}

impl Bugs {
    pub const NAMES: [&'static str; 8] = [
        "grant_vote_without_log_check",
        "forget_vote_on_restart",
        "commit_previous_term_by_count",
        "keep_conflicting_suffix",
        "trust_leader_commit",
        "ack_before_persist",
        "change_before_term_commit",
        "multiple_changes_at_once",
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
            "change_before_term_commit" => &mut self.change_before_term_commit,
            "multiple_changes_at_once" => &mut self.multiple_changes_at_once,
            _ => return false,
        };
        debug_assert!(
            Self::NAMES.contains(&name),
            "bug {name} is missing from NAMES"
        );
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
    /// Whether a classic node that adopts a higher term from a message
    /// that names no leader (a vote request or an answer) restarts its
    /// election timer, as etcd and raft-rs do; `false` keeps it running,
    /// as the thesis' Figure 3.1 and LogCabin do (docs/SEMANTICS.md
    /// "Election timer").
    pub reset_timer_on_new_term: bool,
    /// Whether a classic leader sends entries only once its own disk
    /// holds them, as hashicorp/raft's leader does (false: in parallel
    /// with its own write, thesis §10.2.1, as etcd and raft-rs do);
    /// heartbeats go on either way (docs/SEMANTICS.md "Leader writes").
    pub leader_writes_first: bool,
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
        let point = (commit.saturating_sub(snapshot) >= threshold).then(|| commit - threshold / 2);
        // A snapshot only moves forward and only ever covers committed
        // entries.
        debug_assert!(
            point.is_none_or(|p| p > snapshot && p <= commit),
            "compaction point {point:?} outside ({snapshot}, {commit}]"
        );
        point
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
            reset_timer_on_new_term: true,
            leader_writes_first: false,
            dledger: DLedgerTiming::default(),
            snapshot: SnapshotConfig::default(),
            bugs: Bugs::default(),
        }
    }
}
