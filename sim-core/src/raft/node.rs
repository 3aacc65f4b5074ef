//! One Raft node: state, the classic/PreVote/CheckQuorum election and log
//! replication. DLedger's elector lives in `dledger.rs` and shares the log
//! replication here. The node only learns time from its inputs.

use super::dledger::DLedgerState;
use super::log::Log;
use super::{
    majority, Action, AppendEntries, AppendResponse, ElectionKind, Entry, EntryData, HardState,
    LogIndex, Message, NodeId, Note, PersistWrite, ProposalId, RaftConfig, RequestVote, Role,
    Status, Term, TimerKind, VoteResponse, MAX_ENTRIES_PER_APPEND, MAX_NODES,
};
use crate::rng::Stream;
use crate::time::Instant;

/// The leader's view of one follower's log.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Progress {
    /// Next index to send (optimistically advanced when entries are sent).
    pub next: LogIndex,
    /// Highest index known to be replicated on the follower.
    pub matched: LogIndex,
}

/// What changed since the last `Persist` was emitted.
#[derive(Clone, Copy, Debug, Default)]
struct Dirty {
    hard_state: bool,
    log_from: Option<LogIndex>,
}

pub struct Node {
    pub(super) id: NodeId,
    pub(super) cluster_size: usize,
    pub(super) config: RaftConfig,
    pub(super) rng: Stream,
    // Persistent state.
    pub(super) term: Term,
    pub(super) voted_for: Option<NodeId>,
    pub(super) log: Log,
    // Volatile state.
    pub(super) role: Role,
    pub(super) leader: Option<NodeId>,
    commit_index: LogIndex,
    /// How much of the log is known durable (the leader counts only that).
    durable_index: LogIndex,
    /// When a leader of the current term was last heard from.
    leader_contact_at: Option<Instant>,
    pub(super) votes_granted: u64,
    votes_refused: u64,
    pub(super) progress: Vec<Progress>,
    /// Peers heard from since the last CheckQuorum (bit per node).
    heard_from: u64,
    dirty: Dirty,
    /// Scratch space for `maybe_commit`, reused to avoid work per message.
    match_scratch: Vec<LogIndex>,
    pub(super) dl: DLedgerState,
}

impl Node {
    /// Starts (or restarts) node `id` from what its disk holds, as a follower.
    pub fn start(
        id: NodeId,
        cluster_size: usize,
        config: RaftConfig,
        rng: Stream,
        disk: HardState,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Node {
        assert!(
            (1..=MAX_NODES).contains(&cluster_size) && id.index() < cluster_size,
            "node {id} of a {cluster_size}-node cluster"
        );
        let voted_for = if config.bugs.forget_vote_on_restart {
            None
        } else {
            disk.voted_for
        };
        let log = Log::from_entries(disk.log);
        let mut node = Node {
            id,
            cluster_size,
            rng,
            term: disk.term,
            voted_for,
            durable_index: log.last_index(),
            log,
            role: Role::Follower,
            leader: None,
            commit_index: 0,
            leader_contact_at: None,
            votes_granted: 0,
            votes_refused: 0,
            progress: vec![Progress::default(); cluster_size],
            heard_from: 0,
            dirty: Dirty::default(),
            match_scratch: Vec::with_capacity(cluster_size),
            dl: DLedgerState::new(),
            config,
        };
        match node.config.election {
            ElectionKind::Classic => node.reset_election_timer(now, out),
            ElectionKind::Dledger => node.dl_start(now, out),
        }
        node
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    pub fn status(&self) -> Status {
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

    /// Hands the node's timer stream back, so a restarted node continues it.
    pub fn into_rng(self) -> Stream {
        self.rng
    }

    pub fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        match self.config.election {
            ElectionKind::Classic => self.classic_on_timer(now, kind, out),
            ElectionKind::Dledger => self.dl_on_timer(now, kind, out),
        }
        self.flush(out);
    }

    pub fn on_message(&mut self, now: Instant, from: NodeId, msg: Message, out: &mut Vec<Action>) {
        match self.config.election {
            ElectionKind::Classic => self.classic_on_message(now, from, msg, out),
            ElectionKind::Dledger => self.dl_on_message(now, from, msg, out),
        }
        self.flush(out);
    }

    /// A client proposal. Returns false (and does nothing) unless this node
    /// is the leader.
    pub fn propose(&mut self, id: ProposalId, out: &mut Vec<Action>) -> bool {
        if self.role != Role::Leader {
            return false;
        }
        let index = self.append(Entry {
            term: self.term,
            data: EntryData::Proposal(id),
        });
        for peer in self.peers() {
            if self.progress[peer.index()].next == index {
                self.send_append(peer, out);
            }
        }
        self.maybe_commit();
        self.flush(out);
        true
    }

    /// The cluster reports that the disk now holds `durable_last_index`
    /// entries (writes complete in the order they were issued).
    pub fn on_persisted(&mut self, durable_last_index: LogIndex) {
        self.durable_index = durable_last_index.min(self.log.last_index());
        if self.role == Role::Leader {
            self.maybe_commit();
        }
    }

    // ----- persistence -------------------------------------------------

    pub(super) fn set_term(&mut self, term: Term) {
        debug_assert!(term > self.term, "terms only rise");
        self.term = term;
        self.voted_for = None;
        self.dirty.hard_state = true;
    }

    pub(super) fn set_vote(&mut self, candidate: NodeId) {
        self.voted_for = Some(candidate);
        self.dirty.hard_state = true;
    }

    fn mark_log_dirty(&mut self, from: LogIndex) {
        self.dirty.log_from = Some(self.dirty.log_from.map_or(from, |f| f.min(from)));
    }

    pub(super) fn append(&mut self, entry: Entry) -> LogIndex {
        let index = self.log.append(entry);
        self.mark_log_dirty(index);
        index
    }

    fn truncate_from(&mut self, index: LogIndex) {
        assert!(
            index > self.commit_index,
            "node {} asked to remove committed entry {index}",
            self.id
        );
        self.log.truncate_from(index);
        self.durable_index = self.durable_index.min(index - 1);
        self.mark_log_dirty(index);
    }

    /// Emits the pending write, if any. Called before every send, so a
    /// message never leaves ahead of the state it depends on.
    pub(super) fn flush(&mut self, out: &mut Vec<Action>) {
        if !self.dirty.hard_state && self.dirty.log_from.is_none() {
            return;
        }
        let log_from = self.dirty.log_from.unwrap_or(self.log.last_index() + 1);
        out.push(Action::Persist(PersistWrite {
            term: self.term,
            voted_for: self.voted_for,
            log_from,
            entries: self.log.slice_from(log_from, usize::MAX).to_vec(),
        }));
        self.dirty = Dirty::default();
    }

    pub(super) fn send(&mut self, to: NodeId, msg: Message, out: &mut Vec<Action>) {
        self.flush(out);
        out.push(Action::Send { to, msg });
    }

    pub(super) fn peers(&self) -> impl Iterator<Item = NodeId> + 'static {
        let me = self.id;
        (0..self.cluster_size)
            .map(NodeId::from_index)
            .filter(move |&n| n != me)
    }

    pub(super) fn quorum(&self) -> usize {
        majority(self.cluster_size)
    }

    // ----- classic election ------------------------------------------

    fn reset_election_timer(&mut self, now: Instant, out: &mut Vec<Action>) {
        let (min, max) = self.config.election_timeout_us;
        let at = now.plus_us(self.rng.between(min, max));
        out.push(Action::SetTimer {
            kind: TimerKind::Election,
            at,
        });
    }

    /// Has this node heard from a live leader within the minimum election
    /// timeout? A leader counts as hearing from itself.
    fn in_lease(&self, now: Instant) -> bool {
        self.role == Role::Leader
            || (self.leader.is_some()
                && self
                    .leader_contact_at
                    .is_some_and(|at| now.us_since(at) < self.config.election_timeout_us.0))
    }

    fn classic_on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        match kind {
            TimerKind::Election => {
                if self.role == Role::Leader {
                    return;
                }
                if self.config.pre_vote {
                    self.start_pre_vote(now, out);
                } else {
                    self.campaign(now, out);
                }
            }
            TimerKind::Heartbeat => {
                if self.role != Role::Leader {
                    return;
                }
                for peer in self.peers() {
                    self.send_append(peer, out);
                }
                out.push(Action::SetTimer {
                    kind: TimerKind::Heartbeat,
                    at: now.plus_us(self.config.heartbeat_us),
                });
            }
            TimerKind::Quorum => {
                if self.role != Role::Leader {
                    return;
                }
                let heard = 1 + self.heard_from.count_ones() as usize;
                self.heard_from = 0;
                if heard < self.quorum() {
                    self.step_down_same_term(now, out);
                } else {
                    out.push(Action::SetTimer {
                        kind: TimerKind::Quorum,
                        at: now.plus_us(self.config.election_timeout_us.0),
                    });
                }
            }
            TimerKind::VoteRound | TimerKind::Replicate => {}
        }
    }

    fn start_pre_vote(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes_granted = self.id.bit();
        self.votes_refused = 0;
        out.push(Action::Note(Note::PreVoteStarted {
            term: self.term + 1,
        }));
        self.reset_election_timer(now, out);
        let (last_log_index, last_log_term) = (self.log.last_index(), self.log.last_term());
        for peer in self.peers() {
            let msg = Message::RequestVote(RequestVote {
                term: self.term + 1,
                last_log_index,
                last_log_term,
                pre_vote: true,
            });
            self.send(peer, msg, out);
        }
        if self.votes_granted.count_ones() as usize >= self.quorum() {
            self.campaign(now, out);
        }
    }

    fn campaign(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.set_term(self.term + 1);
        self.set_vote(self.id);
        self.role = Role::Candidate;
        self.leader = None;
        self.votes_granted = self.id.bit();
        self.votes_refused = 0;
        out.push(Action::Note(Note::CampaignStarted { term: self.term }));
        self.reset_election_timer(now, out);
        let (last_log_index, last_log_term) = (self.log.last_index(), self.log.last_term());
        for peer in self.peers() {
            let msg = Message::RequestVote(RequestVote {
                term: self.term,
                last_log_index,
                last_log_term,
                pre_vote: false,
            });
            self.send(peer, msg, out);
        }
        if self.votes_granted.count_ones() as usize >= self.quorum() {
            self.become_leader(now, out);
        }
    }

    pub(super) fn become_follower(
        &mut self,
        now: Instant,
        term: Term,
        leader: Option<NodeId>,
        out: &mut Vec<Action>,
    ) {
        if term > self.term {
            if self.role == Role::Leader {
                out.push(Action::Note(Note::Deposed { by_term: term }));
            }
            self.set_term(term);
        }
        if self.role == Role::Leader {
            out.push(Action::CancelTimer {
                kind: TimerKind::Heartbeat,
            });
            out.push(Action::CancelTimer {
                kind: TimerKind::Quorum,
            });
        }
        self.role = Role::Follower;
        self.leader = leader;
        if leader.is_some() {
            self.leader_contact_at = Some(now);
        }
        self.reset_election_timer(now, out);
    }

    fn step_down_same_term(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.become_follower(now, self.term, None, out);
    }

    fn become_leader(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.heard_from = 0;
        let next = self.log.last_index() + 1;
        for progress in &mut self.progress {
            *progress = Progress { next, matched: 0 };
        }
        out.push(Action::CancelTimer {
            kind: TimerKind::Election,
        });
        self.append(Entry {
            term: self.term,
            data: EntryData::Noop,
        });
        for peer in self.peers() {
            self.send_append(peer, out);
        }
        out.push(Action::SetTimer {
            kind: TimerKind::Heartbeat,
            at: now.plus_us(self.config.heartbeat_us),
        });
        if self.config.check_quorum {
            out.push(Action::SetTimer {
                kind: TimerKind::Quorum,
                at: now.plus_us(self.config.election_timeout_us.0),
            });
        }
        self.maybe_commit();
    }

    fn classic_on_message(
        &mut self,
        now: Instant,
        from: NodeId,
        msg: Message,
        out: &mut Vec<Action>,
    ) {
        let msg_term = msg.term();
        if msg_term > self.term {
            match msg {
                Message::RequestVote(_) if self.config.leader_lease && self.in_lease(now) => {
                    // Leader stickiness: a live leader is known; ignore the
                    // request and do not adopt its term.
                    return;
                }
                // A pre-vote never changes the receiver's term; a granted
                // pre-vote carries the proposed term, not the voter's.
                Message::RequestVote(RequestVote { pre_vote: true, .. })
                | Message::VoteResponse(VoteResponse {
                    pre_vote: true,
                    granted: true,
                    ..
                }) => {}
                Message::AppendEntries(_) => self.become_follower(now, msg_term, Some(from), out),
                _ => self.become_follower(now, msg_term, None, out),
            }
        }
        match msg {
            Message::RequestVote(RequestVote {
                term,
                last_log_index,
                last_log_term,
                pre_vote,
            }) => self.on_vote_request(
                now,
                from,
                term,
                last_log_index,
                last_log_term,
                pre_vote,
                out,
            ),
            Message::VoteResponse(VoteResponse {
                term,
                granted,
                pre_vote,
            }) => self.on_vote_response(now, from, term, granted, pre_vote, out),
            Message::AppendEntries(AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            }) => self.on_append(
                now,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                out,
            ),
            Message::AppendResponse(AppendResponse {
                term,
                success,
                index,
            }) => self.on_append_response(from, term, success, index, out),
            Message::DlVote(_)
            | Message::DlVoteReply(_)
            | Message::DlHeartbeat(_)
            | Message::DlHeartbeatReply(_) => {
                debug_assert!(false, "DLedger message to a classic node");
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_vote_request(
        &mut self,
        now: Instant,
        from: NodeId,
        term: Term,
        last_log_index: LogIndex,
        last_log_term: Term,
        pre_vote: bool,
        out: &mut Vec<Action>,
    ) {
        let refuse = Message::VoteResponse(VoteResponse {
            term: self.term,
            granted: false,
            pre_vote,
        });
        if term < self.term {
            self.send(from, refuse, out);
            return;
        }
        let log_ok = self.config.bugs.grant_vote_without_log_check
            || self
                .log
                .candidate_is_up_to_date(last_log_index, last_log_term);
        // Could this node vote for `from` in `term`? (etcd's rule: not after
        // voting for another, nor while following a leader of this term.)
        let free_to_vote =
            self.voted_for == Some(from) || (self.voted_for.is_none() && self.leader.is_none());
        if pre_vote {
            let granted = log_ok && (term > self.term || free_to_vote);
            let reply = if granted {
                Message::VoteResponse(VoteResponse {
                    term,
                    granted: true,
                    pre_vote: true,
                })
            } else {
                refuse
            };
            self.send(from, reply, out);
            return;
        }
        debug_assert_eq!(term, self.term, "a higher term was adopted above");
        if log_ok && free_to_vote {
            self.set_vote(from);
            self.reset_election_timer(now, out);
            let grant = Message::VoteResponse(VoteResponse {
                term,
                granted: true,
                pre_vote: false,
            });
            self.send(from, grant, out);
        } else {
            self.send(from, refuse, out);
        }
    }

    fn on_vote_response(
        &mut self,
        now: Instant,
        from: NodeId,
        term: Term,
        granted: bool,
        pre_vote: bool,
        out: &mut Vec<Action>,
    ) {
        let expected = match (pre_vote, self.role) {
            (true, Role::PreCandidate) if !granted || term == self.term + 1 => true,
            (false, Role::Candidate) => term == self.term,
            _ => false,
        };
        if !expected {
            return;
        }
        if granted {
            self.votes_granted |= from.bit();
        } else {
            self.votes_refused |= from.bit();
        }
        if self.votes_granted.count_ones() as usize >= self.quorum() {
            if pre_vote {
                self.campaign(now, out);
            } else {
                self.become_leader(now, out);
            }
        } else if self.votes_refused.count_ones() as usize >= self.quorum() {
            // Lost: wait as a follower for the next timeout.
            self.role = Role::Follower;
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append(
        &mut self,
        now: Instant,
        from: NodeId,
        term: Term,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: LogIndex,
        out: &mut Vec<Action>,
    ) {
        if term < self.term {
            // Tell the stale leader about the newer term.
            let reply = Message::AppendResponse(AppendResponse {
                term: self.term,
                success: false,
                index: 0,
            });
            self.send(from, reply, out);
            return;
        }
        debug_assert!(
            self.role != Role::Leader || self.config.election == ElectionKind::Dledger,
            "two leaders in term {term}"
        );
        if self.config.election == ElectionKind::Classic {
            if self.role != Role::Follower || self.leader != Some(from) {
                self.become_follower(now, term, Some(from), out);
            } else {
                self.leader_contact_at = Some(now);
                self.reset_election_timer(now, out);
            }
        }
        let reply = match self.log.term_at(prev_log_index) {
            None => Message::AppendResponse(AppendResponse {
                term: self.term,
                success: false,
                index: self.log.last_index(),
            }),
            Some(t) if t != prev_log_term => Message::AppendResponse(AppendResponse {
                term: self.term,
                success: false,
                index: self.conflict_hint(prev_log_index),
            }),
            Some(_) => {
                let last_new = prev_log_index + entries.len() as LogIndex;
                for (offset, entry) in entries.into_iter().enumerate() {
                    let index = prev_log_index + 1 + offset as LogIndex;
                    match self.log.term_at(index) {
                        Some(t) if t == entry.term => continue,
                        Some(_) => {
                            self.truncate_from(index);
                            self.append(entry);
                        }
                        None => {
                            self.append(entry);
                        }
                    }
                }
                let commit = leader_commit.min(last_new);
                if commit > self.commit_index {
                    self.commit_index = commit;
                }
                Message::AppendResponse(AppendResponse {
                    term: self.term,
                    success: true,
                    index: last_new,
                })
            }
        };
        self.send(from, reply, out);
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
        first - 1
    }

    pub(super) fn on_append_response(
        &mut self,
        from: NodeId,
        term: Term,
        success: bool,
        index: LogIndex,
        out: &mut Vec<Action>,
    ) {
        if self.role != Role::Leader || term != self.term {
            return;
        }
        self.heard_from |= from.bit();
        let last_index = self.log.last_index();
        let progress = &mut self.progress[from.index()];
        if success {
            progress.matched = progress.matched.max(index);
            progress.next = progress.next.max(index + 1);
            let behind = progress.next <= last_index;
            self.maybe_commit();
            if behind {
                self.send_append(from, out);
            }
        } else if index >= progress.matched {
            progress.next = (index + 1).min(progress.next).max(progress.matched + 1);
            self.send_append(from, out);
        }
    }

    pub(super) fn send_append(&mut self, to: NodeId, out: &mut Vec<Action>) {
        let progress = &mut self.progress[to.index()];
        let prev_log_index = progress.next - 1;
        let prev_log_term = self
            .log
            .term_at(prev_log_index)
            .expect("a leader's next index is within its log");
        let entries = self
            .log
            .slice_from(progress.next, MAX_ENTRIES_PER_APPEND)
            .to_vec();
        progress.next += entries.len() as LogIndex;
        let msg = Message::AppendEntries(AppendEntries {
            term: self.term,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
        });
        self.send(to, msg, out);
    }

    /// Commits the highest index a majority holds, if it is of the current
    /// term (Raft §5.4.2: earlier terms commit only indirectly).
    pub(super) fn maybe_commit(&mut self) {
        let own = self.durable_index.min(self.log.last_index());
        let me = self.id.index();
        self.match_scratch.clear();
        self.match_scratch
            .extend(
                self.progress
                    .iter()
                    .enumerate()
                    .map(|(i, p)| if i == me { own } else { p.matched }),
            );
        let quorum = self.quorum();
        // The quorum-th highest match index is held by a majority.
        let (_, &mut candidate, _) = self
            .match_scratch
            .select_nth_unstable_by(quorum - 1, |a, b| b.cmp(a));
        if candidate > self.commit_index && self.log.term_at(candidate) == Some(self.term) {
            self.commit_index = candidate;
        }
    }
}
