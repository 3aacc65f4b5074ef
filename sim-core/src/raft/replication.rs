//! The shared core of a node, the same under both electors: its persistent
//! state (term, vote, log) and when it is written, its role and leader, and
//! log replication — AppendEntries on both sides, the leader's progress per
//! follower and the commit rule. The electors (`classic.rs`, `dledger.rs`)
//! change this state only through the methods here, which hold its
//! invariants: the term never falls, the commit index never falls and never
//! passes the log, a committed entry is never removed, a follower's match
//! index never passes the leader's log.

mod membership;
mod snapshot;

use super::message::{AppendEntries, AppendResponse, Message};
use super::node::Out;
use super::MAX_ENTRIES_PER_APPEND;
use crate::node::{
    Action, Entry, EntryData, HardState, Log, LogIndex, Membership, NodeId, NodeSet, PersistWrite,
    ProposalId, RaftConfig, Role, SendTiming, Sessions, Status, Term, WireMessage, MAX_NODES,
};

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
}

impl Core {
    /// A node's state after a (re)start from what its disk holds: a
    /// follower without a leader, nothing known committed.
    pub(super) fn new(
        id: NodeId,
        cluster_size: usize,
        config: RaftConfig,
        disk: HardState,
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
            membership,
            membership_index,
            transferring: false,
            sessions: Sessions::default(),
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

    // ----- reading ---------------------------------------------------

    pub(super) fn id(&self) -> NodeId {
        self.id
    }

    pub(super) fn config(&self) -> &RaftConfig {
        &self.config
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
        assert!(
            index > self.commit_index,
            "node {} asked to remove committed entry {index}",
            self.id
        );
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
    pub(super) fn on_persisted(&mut self, durable_last_index: LogIndex) {
        self.durable_index = durable_last_index.min(self.log.last_index());
        if self.role == Role::Leader {
            self.maybe_commit();
        }
    }

    // ----- the leader's side -----------------------------------------

    /// A client proposal: false (and nothing done) unless leading. A
    /// retry of a proposal the leader holds uncommitted is taken and not
    /// appended again (client sessions, Raft thesis §6.3).
    pub(super) fn propose<E: WireMessage>(&mut self, id: ProposalId, out: &mut Out<E>) -> bool {
        if self.role != Role::Leader || self.transferring {
            return false;
        }
        if !self
            .sessions
            .first_time(self.term, self.commit_index, self.log.view(), id)
        {
            return true;
        }
        let index = self.append(Entry {
            term: self.term,
            data: EntryData::Proposal(id),
        });
        debug_assert_eq!(index, self.log.last_index(), "a proposal goes last");
        for peer in self.peers() {
            if self.progress[peer.index()].next == index {
                self.send_append(peer, out);
            }
        }
        self.maybe_commit();
        self.flush(out);
        true
    }

    /// Sends every follower what it has not been sent yet (an empty append
    /// is a heartbeat).
    pub(super) fn send_append_to_all<E: WireMessage>(&mut self, out: &mut Out<E>) {
        for peer in self.peers() {
            self.send_append(peer, out);
        }
    }

    /// Resends to every follower that is behind, from its match index on
    /// (DLedger's leader retries on a timer rather than on refusals alone).
    pub(super) fn resend_to_lagging<E: WireMessage>(&mut self, out: &mut Out<E>) {
        let last_index = self.log.last_index();
        for peer in self.peers() {
            let progress = &mut self.progress[peer.index()];
            if progress.matched < last_index {
                progress.next = progress.matched + 1;
                self.send_append(peer, out);
            }
        }
    }

    fn send_append<E: WireMessage>(&mut self, to: NodeId, out: &mut Out<E>) {
        debug_assert_eq!(self.role, Role::Leader);
        if self.progress[to.index()].next <= self.log.snapshot_index() {
            self.send_snapshot(to, out);
            return;
        }
        let progress = &mut self.progress[to.index()];
        debug_assert!(progress.next >= 1 && progress.next <= self.log.last_index() + 1);
        let prev_log_index = progress.next - 1;
        let prev_log_term = self
            .log
            .term_at(prev_log_index)
            .expect("a leader's next index is within its log");
        debug_assert!(
            prev_log_term <= self.term,
            "the leader's log holds no later term"
        );
        let entries = self
            .log
            .slice_from(progress.next, MAX_ENTRIES_PER_APPEND)
            .to_vec();
        progress.next += entries.len() as LogIndex;
        debug_assert!(
            progress.next <= self.log.last_index() + 1,
            "follower {to}'s next index {} past the leader's log",
            progress.next
        );
        let msg = Message::AppendEntries(AppendEntries {
            term: self.term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
        });
        let timing = if self.leader_writes_in_parallel {
            SendTiming::Now
        } else {
            SendTiming::AfterWrites
        };
        self.send_timed(to, msg, timing, out);
    }

    /// A follower's answer. Returns whether it counted: only a leader counts
    /// answers, and only those of its own term.
    pub(super) fn on_append_response<E: WireMessage>(
        &mut self,
        from: NodeId,
        response: &AppendResponse,
        out: &mut Out<E>,
    ) -> bool {
        if self.role != Role::Leader || response.term != self.term {
            return false;
        }
        let last_index = self.log.last_index();
        let progress = &mut self.progress[from.index()];
        if response.success {
            progress.matched = progress.matched.max(response.index);
            progress.next = progress.next.max(response.index + 1);
            debug_assert!(
                progress.matched <= last_index,
                "follower {from} matched {} past the leader's last index {last_index}",
                progress.matched
            );
            let behind = progress.next <= last_index;
            self.maybe_commit();
            // A node the configuration in force leaves out gets nothing
            // more (thesis §4.2.2), not even in answer to its answers.
            if behind && self.membership.members().contains(from) {
                self.send_append(from, out);
            }
        } else if response.index >= progress.matched {
            // Back off to the follower's hint, never below what it matched.
            progress.next = (response.index + 1)
                .min(progress.next)
                .max(progress.matched + 1);
            debug_assert!(
                progress.matched < progress.next && progress.next <= last_index + 1,
                "follower {from} backed off to {} with {} matched",
                progress.next,
                progress.matched
            );
            if self.membership.members().contains(from) {
                self.send_append(from, out);
            }
        }
        true
    }

    /// Commits the highest index a majority holds, if it is of the current
    /// term (Raft §5.4.2: earlier terms commit only indirectly). The
    /// majority is of the configuration in force, of both voter sets during
    /// joint consensus; the leader counts itself only if it is a voter, and
    /// its own log only as far as it is durable.
    pub(super) fn maybe_commit(&mut self) {
        debug_assert_eq!(self.role, Role::Leader, "only a leader commits by counting");
        let own = self.durable_index.min(self.log.last_index());
        let Membership {
            voters, outgoing, ..
        } = self.membership;
        // Most calls (a heartbeat's reply, a follower catching up below the
        // commit index) change nothing: unless a majority holds an index
        // past the commit index, nothing can commit.
        if !self.majority_past_commit(voters, own) || !self.majority_past_commit(outgoing, own) {
            return;
        }
        let mut candidate = self.majority_holds(voters, own);
        if !outgoing.is_empty() {
            candidate = candidate.min(self.majority_holds(outgoing, own));
        }
        // Planted bug commit_previous_term_by_count (the thesis' Figure 3.7):
        // breaks leader completeness, as a later leader may lack the entry.
        let term_ok = self.config.bugs.commit_previous_term_by_count
            || self.log.term_at(candidate) == Some(self.term);
        if candidate > self.commit_index && term_ok {
            self.commit_to(candidate);
        }
    }

    /// How far node `n` is known to hold the leader's log.
    fn matched(&self, n: NodeId, own: LogIndex) -> LogIndex {
        if n == self.id {
            own
        } else {
            self.progress[n.index()].matched
        }
    }

    /// Whether a majority of `set` (trivially, of none) holds an entry past
    /// the commit index.
    fn majority_past_commit(&self, set: NodeSet, own: LogIndex) -> bool {
        let ahead = set
            .iter()
            .filter(|&n| self.matched(n, own) > self.commit_index)
            .count();
        set.is_empty() || 2 * ahead > set.len()
    }

    /// The highest index a majority of `set` holds.
    fn majority_holds(&mut self, set: NodeSet, own: LogIndex) -> LogIndex {
        debug_assert!(!set.is_empty(), "a majority of no one");
        self.match_scratch.clear();
        for n in set.iter() {
            let matched = self.matched(n, own);
            self.match_scratch.push(matched);
        }
        let majority = set.len() / 2 + 1;
        let (_, &mut held, _) = self
            .match_scratch
            .select_nth_unstable_by(majority - 1, |a, b| b.cmp(a));
        debug_assert!(
            held <= self.log.last_index(),
            "a majority holds {held}, past the leader's last index {}",
            self.log.last_index()
        );
        held
    }

    fn commit_to(&mut self, index: LogIndex) {
        debug_assert!(index > self.commit_index, "the commit index never falls");
        assert!(
            index <= self.log.last_index(),
            "node {}: commit index {index} past its last index {}",
            self.id,
            self.log.last_index()
        );
        self.commit_index = index;
    }

    // ----- the follower's side ---------------------------------------

    /// Tells a leader of an older term about the newer one.
    pub(super) fn refuse_stale_append<E>(&mut self, from: NodeId, out: &mut Out<E>) {
        let reply = Message::AppendResponse(AppendResponse {
            term: self.term,
            success: false,
            index: 0,
        });
        self.send(from, reply, out);
    }

    /// AppendEntries from the leader this node follows in the current term
    /// (Raft §5.3): refuse on a gap or a mismatch at `prev_log_index`, else
    /// overwrite conflicting entries, append new ones and commit what the
    /// leader committed, as far as this log matches the leader's.
    pub(super) fn accept_append<E>(
        &mut self,
        from: NodeId,
        append: &AppendEntries,
        out: &mut Out<E>,
    ) {
        debug_assert_eq!(append.term, self.term);
        debug_assert!(self.role == Role::Follower && self.leader == Some(from));
        let refusal = |index| AppendResponse {
            term: self.term,
            success: false,
            index,
        };
        let (prev, prev_term, entries) = self.past_snapshot(append);
        let reply = match self.log.term_at(prev) {
            None => refusal(self.log.last_index()),
            Some(t) if t != prev_term => refusal(self.conflict_hint(prev)),
            Some(_) => {
                let bugs = self.config.bugs;
                if bugs.ack_before_persist {
                    // What came before the entries (a new term) is written
                    // first; only the entries' own write is skipped below.
                    self.flush(out);
                }
                // Entries a snapshot already covered count as matched
                // only as far as the append reached.
                let sent_to = append.prev_log_index + append.entries.len() as LogIndex;
                let last_new = self.merge_entries(prev, entries).min(sent_to);
                // Planted bug trust_leader_commit: breaks state machine
                // safety, as entries past `last_new` may not be the leader's.
                let matched = if bugs.trust_leader_commit {
                    self.log.last_index()
                } else {
                    last_new
                };
                debug_assert!(
                    last_new >= append.prev_log_index && last_new <= self.log.last_index(),
                    "node {}: the append's last entry {last_new} outside {}..={}",
                    self.id,
                    append.prev_log_index,
                    self.log.last_index()
                );
                let commit = append.leader_commit.min(matched);
                if commit > self.commit_index {
                    self.commit_to(commit);
                }
                let reply = AppendResponse {
                    term: self.term,
                    success: true,
                    index: last_new,
                };
                if bugs.ack_before_persist {
                    // Planted bug: breaks leader completeness once a crash
                    // loses acknowledged entries. The ack goes out ahead of
                    // the write of its entries (flushed after this input),
                    // so the cluster does not hold it for that write.
                    out.push(Action::Send {
                        to: from,
                        msg: Message::AppendResponse(reply),
                        timing: SendTiming::AfterWrites,
                    });
                    return;
                }
                reply
            }
        };
        self.send(from, Message::AppendResponse(reply), out);
    }

    /// Puts `entries` after `prev`, cutting the log at the first entry whose
    /// term differs; returns the index of the last of them.
    fn merge_entries(&mut self, prev: LogIndex, entries: &[Entry]) -> LogIndex {
        for (offset, &entry) in entries.iter().enumerate() {
            let index = prev + 1 + offset as LogIndex;
            match self.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) if self.config.bugs.keep_conflicting_suffix => {
                    // Planted bug: breaks log matching, as the entries
                    // after `index` no longer follow the prefix they did.
                    self.replace(index, entry);
                }
                Some(_) => {
                    self.truncate_from(index);
                    self.append(entry);
                }
                None => {
                    self.append(entry);
                }
            }
        }
        let last_new = prev + entries.len() as LogIndex;
        // Log matching, this side: the log now holds every entry sent, at
        // its index, contiguous after `prev`.
        debug_assert!(
            entries
                .last()
                .is_none_or(|e| self.log.term_at(last_new) == Some(e.term)),
            "node {}: entry {last_new} is not the one just merged",
            self.id
        );
        last_new
    }

    /// On a mismatch at `index`, skip back over the whole run of the
    /// conflicting term (but never below the commit index), so a diverged
    /// follower is repaired in one round trip per term, not per entry.
    fn conflict_hint(&self, index: LogIndex) -> LogIndex {
        let conflict_term = self.log.term_at(index);
        let mut first = index;
        while first > self.commit_index + 1 && self.log.term_at(first - 1) == conflict_term {
            first -= 1;
        }
        debug_assert!(first >= 1 && first <= index, "a hint below the conflict");
        first - 1
    }
}
