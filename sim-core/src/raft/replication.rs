//! The shared core of a node, the same under both electors: its persistent
//! state (term, vote, log) and when it is written, its role and leader, the
//! random stream the electors draw from, and log replication — the leader's side (its progress per follower, the
//! commit rule) in `leader.rs`, the follower's in `follower.rs`. The
//! electors (`classic.rs`, `dledger.rs`) change this state only through
//! the methods here and in those modules, which hold its
//! invariants: the term never falls, the commit index never falls and never
//! passes the log, a committed entry is never removed, a follower's match
//! index never passes the leader's log.

mod follower;
mod leader;
mod membership;
mod snapshot;

use super::message::Message;
use super::node::Out;
use crate::node::{
    Action, Bugs, Entry, EntryData, HardState, Log, LogIndex, Membership, NodeId, NodeSet,
    PersistWrite, RaftConfig, Role, SendTiming, Sessions, Status, Term, MAX_NODES,
};
use crate::rng::Stream;

/// The leader's view of one follower's log.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    /// Next index to send (optimistically advanced when entries are sent).
    next: LogIndex,
    /// Highest index known to be replicated on the follower.
    matched: LogIndex,
}

/// What changed since the last `Persist` was emitted.
#[derive(Clone, Copy, Debug, Default)]
struct Dirty {
    hard_state: bool,
    log_from: Option<LogIndex>,
    /// The log was compacted: the next write carries the snapshot.
    snapshot: bool,
}

pub struct Core {
    id: NodeId,
    cluster_size: usize,
    config: RaftConfig,
    // Persistent state.
    term: Term,
    voted_for: Option<NodeId>,
    log: Log,
    // Volatile state.
    role: Role,
    leader: Option<NodeId>,
    commit_index: LogIndex,
    /// How much of the log is known durable (the leader counts only that).
    durable_index: LogIndex,
    /// Per node, meaningful while leading.
    progress: Vec<Progress>,
    dirty: Dirty,
    /// Scratch space for `maybe_commit`, reused to avoid work per message.
    match_scratch: Vec<LogIndex>,
    /// A buffer for the next durable write's entries: the entries of the
    /// last AppendEntries received, once merged (a follower then
    /// allocates nothing for its writes).
    spare_entries: Vec<Entry>,
    /// Whether a leader's appends leave before its own write of them is
    /// durable (the elector's rule: `Elector::LEADER_WRITES_IN_PARALLEL`).
    leader_writes_in_parallel: bool,
    /// Whether the disk is known to hold the current term and vote: until
    /// then nothing of the node's term leaves ahead of its writes. Known
    /// once the write that carries them (number `term_write` of the writes
    /// issued since the (re)start) is reported durable, or once a peer
    /// answers a vote request of the term (which waited for that write).
    term_durable: bool,
    writes_issued: u64,
    writes_durable: u64,
    term_write: u64,
    /// The configuration in force: the latest in the log (or the
    /// snapshot's), and the index of its entry. Kept in step with every
    /// change of the log (`membership.rs`).
    membership: Membership,
    membership_index: LogIndex,
    /// A leader handing over its leadership takes no proposals.
    transferring: bool,
    /// While leading, the proposals in the log past the commit index: a
    /// client's retry of one is not appended again.
    sessions: Sessions,
    /// The node's own seeded stream, continued across restarts: the
    /// electors draw their timeouts from it (`rng`).
    rng: Stream,
}

impl Core {
    /// A node's state after a (re)start from what its disk holds: a
    /// follower without a leader, nothing known committed.
    pub(super) fn new(
        id: NodeId,
        cluster_size: usize,
        config: RaftConfig,
        disk: HardState,
        rng: Stream,
    ) -> Core {
        assert!(
            (1..=MAX_NODES).contains(&cluster_size) && id.index() < cluster_size,
            "node {id} of a {cluster_size}-node cluster"
        );
        let voted_for = if config.bugs.forget_vote_on_restart {
            // Planted bug: breaks vote once per term (the vote is durable).
            None
        } else {
            disk.voted_for
        };
        assert!(
            config.election_timeout_us.0 <= config.election_timeout_us.1 && config.heartbeat_us > 0,
            "validation admits ordered election timeouts and a positive heartbeat"
        );
        let log = Log::from_parts(disk.snapshot(), disk.log);
        let (membership_index, membership) = log.latest_config();
        let core = Core {
            id,
            cluster_size,
            config,
            term: disk.term,
            voted_for,
            durable_index: log.last_index(),
            // A snapshot holds only committed entries.
            commit_index: log.snapshot_index(),
            log,
            role: Role::Follower,
            leader: None,
            progress: vec![Progress::default(); cluster_size],
            dirty: Dirty::default(),
            match_scratch: Vec::with_capacity(cluster_size),
            spare_entries: Vec::new(),
            leader_writes_in_parallel: true,
            term_durable: true,
            writes_issued: 0,
            writes_durable: 0,
            term_write: 0,
            membership,
            membership_index,
            transferring: false,
            sessions: Sessions::default(),
            rng,
        };
        core.debug_check();
        core
    }

    /// The core's invariants, checked after every input (debug builds):
    /// the commit index lies between the snapshot and the end of the log,
    /// only a leader names
    /// itself leader or transfers, the configuration in force is the
    /// log's latest, and a leader's view of each follower lies within its
    /// own log (matched < next <= last + 1).
    pub(super) fn debug_check(&self) {
        if !cfg!(debug_assertions) {
            return;
        }
        let (snapshot, last) = (self.log.snapshot_index(), self.log.last_index());
        debug_assert!(
            snapshot <= self.commit_index && self.commit_index <= last,
            "node {}: commit index {} outside its snapshot {snapshot} and last index {last}",
            self.id,
            self.commit_index
        );
        debug_assert!(
            self.durable_index <= last,
            "node {}: durable index {} past its log's end {last}",
            self.id,
            self.durable_index
        );
        debug_assert_eq!(
            self.role == Role::Leader,
            self.leader == Some(self.id),
            "node {}: a leader, and only a leader, leads itself",
            self.id
        );
        debug_assert!(
            self.voted_for.is_none_or(|v| v.index() < self.cluster_size),
            "node {} voted for a node outside the cluster",
            self.id
        );
        debug_assert!(
            !self.transferring || self.role == Role::Leader,
            "only a leader transfers its leadership"
        );
        debug_assert!(
            self.membership.is_well_formed(),
            "node {} uses {}",
            self.id,
            self.membership
        );
        // Its entry may since have been compacted into the snapshot.
        debug_assert!(
            self.membership_index <= last,
            "node {}: its configuration's entry {} is past its log",
            self.id,
            self.membership_index
        );
        debug_assert!(
            self.membership_index <= snapshot
                || self.log.view().entry(self.membership_index).map(|e| e.data)
                    == Some(EntryData::Config(self.membership)),
            "node {}: entry {} does not hold the configuration in force",
            self.id,
            self.membership_index
        );
        if self.role == Role::Leader {
            for peer in self.peers() {
                let Progress { next, matched } = self.progress[peer.index()];
                debug_assert!(
                    matched < next && next <= last + 1,
                    "leader {}: follower {peer} matched {matched}, next {next}, log ends at {last}",
                    self.id
                );
            }
        }
    }

    pub(super) fn set_leader_writes_in_parallel(&mut self, parallel: bool) {
        self.leader_writes_in_parallel = parallel;
    }

    /// Whether the node's disk is known to hold its current term and vote.
    /// A leader elected by others' votes always knows it; one that counted
    /// only its own vote (the sole voter of its configuration) learns it
    /// when its write is reported durable.
    pub(super) fn term_is_durable(&self) -> bool {
        self.term_durable
    }

    /// A peer answered a vote request of the current term: the request
    /// left after the write of the term and vote, so that is durable.
    pub(super) fn vote_request_answered(&mut self) {
        debug_assert!(
            !self.dirty.hard_state,
            "node {}: a vote request left ahead of its term's write",
            self.id
        );
        self.term_durable = true;
    }

    // ----- reading ---------------------------------------------------

    pub(super) fn id(&self) -> NodeId {
        self.id
    }

    pub(super) fn config(&self) -> &RaftConfig {
        &self.config
    }

    /// The node's random stream, for the elector's draws.
    pub(super) fn rng(&mut self) -> &mut Stream {
        &mut self.rng
    }

    /// Ends this incarnation: the stream goes on in the next one.
    pub(super) fn into_rng(self) -> Stream {
        self.rng
    }

    pub(super) fn cluster_size(&self) -> usize {
        self.cluster_size
    }

    pub(super) fn term(&self) -> Term {
        self.term
    }

    pub(super) fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }

    pub(super) fn role(&self) -> Role {
        self.role
    }

    pub(super) fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    pub(super) fn log(&self) -> &Log {
        &self.log
    }

    pub(super) fn status(&self) -> Status {
        Status {
            term: self.term,
            role: self.role,
            leader: self.leader,
            voted_for: self.voted_for,
            commit_index: self.commit_index,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        }
    }

    /// Everyone this node replicates to as leader: every member of its
    /// configuration but itself (a node the configuration dropped gets
    /// nothing more, Raft thesis §4.2.2).
    pub(super) fn peers(&self) -> impl Iterator<Item = NodeId> + 'static {
        self.membership.members().without(self.id).iter()
    }

    /// Everyone whose vote this node asks for when it stands: the voters
    /// of its configuration but itself.
    pub(super) fn electors(&self) -> impl Iterator<Item = NodeId> + 'static {
        self.membership.all_voters().without(self.id).iter()
    }

    /// Whether `nodes` make a majority of this node's configuration (of
    /// both voter sets during joint consensus). Only voters count, this
    /// node's own bit included only if it is one.
    pub(super) fn is_majority(&self, nodes: NodeSet) -> bool {
        self.membership.has_majority(nodes)
    }

    /// How many answers make a majority where an elector counts them
    /// (DLedger's tallies, whose configuration never changes).
    pub(super) fn quorum(&self) -> usize {
        debug_assert!(!self.membership.is_joint(), "a count has no joint majority");
        self.membership.voters.len() / 2 + 1
    }

    // ----- term, vote and role ----------------------------------------

    /// Raises the term; the vote is cleared with it.
    pub(super) fn set_term(&mut self, term: Term) {
        assert!(
            term > self.term,
            "node {}: term {} would fall to {term}",
            self.id,
            self.term
        );
        self.term = term;
        self.voted_for = None;
        self.dirty.hard_state = true;
        self.term_durable = false;
    }

    pub(super) fn set_vote(&mut self, candidate: NodeId) {
        debug_assert!(
            self.voted_for.is_none_or(|v| v == candidate),
            "node {} votes for {candidate} after voting for {:?} in term {}",
            self.id,
            self.voted_for,
            self.term
        );
        debug_assert!(candidate.index() < self.cluster_size);
        self.voted_for = Some(candidate);
        self.dirty.hard_state = true;
        self.term_durable = false;
    }

    /// Any role but leader (`start_leading` makes a leader).
    pub(super) fn set_role(&mut self, role: Role, leader: Option<NodeId>) {
        debug_assert!(role != Role::Leader, "start_leading makes a leader");
        debug_assert!(leader != Some(self.id), "node {} follows itself", self.id);
        debug_assert!(
            leader.is_none() || role == Role::Follower,
            "only a follower knows a leader"
        );
        self.role = role;
        self.leader = leader;
    }

    /// Becomes leader of the current term: every follower's progress is
    /// reset to "next = my last + 1, nothing matched", and a no-op of the
    /// term is appended (commits count only entries of the current term,
    /// Raft §5.4.2). Sends nothing; the elector announces the leader.
    pub(super) fn start_leading(&mut self) {
        debug_assert_eq!(self.role, Role::Candidate, "only a candidate is elected");
        self.role = Role::Leader;
        self.leader = Some(self.id);
        let next = self.log.last_index() + 1;
        for progress in &mut self.progress {
            *progress = Progress { next, matched: 0 };
        }
        let noop = self.append(Entry {
            term: self.term,
            data: EntryData::Noop,
        });
        debug_assert_eq!(
            self.log.term_at(noop),
            Some(self.term),
            "a new leader's last entry is of its term"
        );
    }

    // ----- persistence and the outbox --------------------------------

    fn mark_log_dirty(&mut self, from: LogIndex) {
        debug_assert!(
            from > self.log.snapshot_index(),
            "node {} rewrites entry {from}, which its snapshot covers",
            self.id
        );
        self.dirty.log_from = Some(self.dirty.log_from.map_or(from, |f| f.min(from)));
    }

    fn append(&mut self, entry: Entry) -> LogIndex {
        debug_assert!(entry.term <= self.term, "an entry from a future term");
        debug_assert!(
            self.role != Role::Leader || entry.term == self.term,
            "a leader appends only entries of its own term"
        );
        let index = self.log.append(entry);
        self.mark_log_dirty(index);
        if let EntryData::Config(config) = entry.data {
            self.membership_appended(index, config);
        }
        index
    }

    fn truncate_from(&mut self, index: LogIndex) {
        if index <= self.commit_index {
            // Only a cluster whose safety is already broken gets here: a
            // planted bug made a leader that lacks an entry this node
            // committed. etcd panics; a simulator must report. The cut is
            // made and the node's commit index falls to what its log still
            // holds, so the checker sees the committed entry replaced as
            // soon as the new one commits (state_machine_safety).
            debug_assert!(
                self.config.bugs != Bugs::default(),
                "node {} asked to remove committed entry {index}",
                self.id
            );
            self.commit_index = index - 1;
        }
        debug_assert!(self.role != Role::Leader, "a leader never cuts its own log");
        self.log.truncate_from(index);
        self.durable_index = self.durable_index.min(index - 1);
        self.mark_log_dirty(index);
        if index <= self.membership_index {
            self.refresh_membership();
        }
        debug_assert!(
            self.membership_index < index,
            "the configuration in force is not a removed entry's"
        );
    }

    /// Overwrites the entry at `index` in place, keeping what follows
    /// (only `keep_conflicting_suffix` does this).
    fn replace(&mut self, index: LogIndex, entry: Entry) {
        assert!(
            index > self.commit_index,
            "node {} asked to overwrite committed entry {index}",
            self.id
        );
        debug_assert!(
            self.role != Role::Leader,
            "a leader never rewrites its own log"
        );
        self.log.replace(index, entry);
        self.durable_index = self.durable_index.min(index - 1);
        self.mark_log_dirty(index);
        self.refresh_membership();
    }

    /// Keeps a received append's entries buffer for the next write, if
    /// there is no spare one yet.
    pub(super) fn recycle(&mut self, entries: Vec<Entry>) {
        if self.spare_entries.capacity() == 0 {
            self.spare_entries = entries;
        }
    }

    /// Emits the pending write, if any. Called before every send, so a
    /// message never leaves ahead of the state it depends on; usually
    /// nothing is pending, so the check inlines and the write does not.
    #[inline]
    pub(super) fn flush<M>(&mut self, out: &mut Vec<Action<M>>) {
        if self.dirty.hard_state || self.dirty.log_from.is_some() {
            self.write_pending(out);
        }
    }

    #[inline(never)]
    fn write_pending<M>(&mut self, out: &mut Vec<Action<M>>) {
        let log_from = self
            .dirty
            .log_from
            .unwrap_or(self.log.last_index() + 1)
            .max(self.log.snapshot_index() + 1);
        let snapshot = self.dirty.snapshot.then(|| self.log.snapshot());
        let entries = {
            let mut entries = std::mem::take(&mut self.spare_entries);
            entries.clear();
            entries.extend_from_slice(self.log.slice_from(log_from, usize::MAX));
            entries
        };
        // Consumed by `HardState::apply`: the write holds the log from
        // `log_from` to its end, so the disk ends where the log does.
        debug_assert_eq!(
            log_from + entries.len() as LogIndex,
            self.log.last_index() + 1,
            "node {}: a write from {log_from} stops short of the log's end",
            self.id
        );
        self.writes_issued += 1;
        if self.dirty.hard_state {
            self.term_write = self.writes_issued;
        }
        out.push(Action::Persist(PersistWrite {
            commit: None,
            term: self.term,
            voted_for: self.voted_for,
            snapshot,
            log_from,
            entries,
        }));
        self.dirty = Dirty::default();
    }

    /// Sends `msg` once every earlier write is durable.
    pub(super) fn send<E>(&mut self, to: NodeId, msg: Message<E>, out: &mut Out<E>) {
        self.send_timed(to, msg, SendTiming::AfterWrites, out);
    }

    fn send_timed<E>(&mut self, to: NodeId, msg: Message<E>, timing: SendTiming, out: &mut Out<E>) {
        debug_assert!(to != self.id, "node {} sends to itself", self.id);
        debug_assert!(
            to.index() < self.cluster_size,
            "node {} sends to {to}, outside its cluster",
            self.id
        );
        debug_assert!(
            match &msg {
                Message::AppendEntries(m) => m.term == self.term,
                Message::InstallSnapshot(m) => m.term == self.term,
                Message::AppendResponse(m) => m.term == self.term,
                // The elector's own messages: a pre-vote may propose a
                // later term, checked where they are made.
                Message::Election(_) => true,
            },
            "node {}: a replication message carries the sender's term {}",
            self.id,
            self.term
        );
        self.flush(out);
        out.push(Action::Send { to, msg, timing });
    }

    /// The cluster reports that the disk now holds `durable_last_index`
    /// entries (writes complete in the order they were issued).
    pub(super) fn on_persisted<E>(&mut self, durable_last_index: LogIndex, out: &mut Out<E>) {
        let before = self.durable_index;
        self.durable_index = durable_last_index.min(self.log.last_index());
        // Writes complete in the order they were issued, one report each.
        self.writes_durable = (self.writes_durable + 1).min(self.writes_issued);
        if self.writes_durable >= self.term_write && !self.dirty.hard_state {
            self.term_durable = true;
        }
        if self.role != Role::Leader {
            return;
        }
        self.maybe_commit();
        // A leader that writes first sends its entries now.
        if self.config.leader_writes_first && self.durable_index > before {
            for peer in self.peers() {
                if self.progress[peer.index()].next <= self.durable_index {
                    self.send_append(peer, out);
                }
            }
        }
    }

    /// The last entry a leader may send: its whole log, or with
    /// `leader_writes_first` only what its own disk holds (hashicorp/raft's
    /// leader stores its log before it replicates; its heartbeats, which
    /// carry no entries, go on regardless).
    pub(super) fn sendable_index(&self) -> LogIndex {
        match self.config.leader_writes_first {
            true => self.durable_index.min(self.log.last_index()),
            false => self.log.last_index(),
        }
    }
}
