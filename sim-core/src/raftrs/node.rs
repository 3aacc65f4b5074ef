//! [`RaftRsNode`]: one raft-rs `RawNode` driven sans-IO. Every input runs
//! the same way: feed the library (`tick`, `step`, `propose`, or
//! `on_persist_ready` when a write became durable), replace a timeout the
//! library drew by itself with a seeded one, note role changes for the
//! metrics, then turn every pending `Ready` into actions:
//!
//! 1. the messages a leader may send at once (`messages`),
//! 2. one `Persist` of term, vote and new entries, if any changed (the
//!    cluster applies storage latency and holds every later send until it
//!    is durable),
//! 3. the messages that had to wait for that write (`persisted_messages`).
//!
//! The `Ready` is then advanced asynchronously; the library learns that
//! its write is durable only when the cluster says so, so a leader counts
//! its own log toward a commit only as far as it is durable, as the model
//! does.

use std::collections::VecDeque;

use raft::eraftpb::Message as PbMessage;
use raft::{RawNode, StateRole, Storage};

use super::convert::{
    conf_change, conf_state, decode_conf_change, durable_commit, from_library, library_config,
    membership_of, storage, timeout_ticks,
};
use super::storage::SimStorage;
use super::RaftRsMessage;

use raft::eraftpb::EntryType;

use crate::node::{
    Action, Boot, Log, LogIndex, LogView, Membership, MembershipChange, NodeId, Note, PersistWrite,
    ProposalId, RaftNode, Role, SendTiming, Sessions, SnapshotConfig, SnapshotMeta, Status,
    TimerKind,
};

/// The actions of a raft-rs node.
type Actions = Vec<Action<RaftRsMessage>>;
use crate::rng::Stream;
use crate::time::Instant;

pub struct RaftRsNode {
    raw: RawNode<SimStorage>,
    /// The library's log in raftsim's terms, kept in step with every
    /// `Ready` and compaction: what observers and the client read.
    log: Log,
    /// The latest configuration in `log` (the one the next mirrored
    /// configuration change applies to).
    log_config: Membership,
    /// The configuration the library acts on (the last it applied), kept
    /// here: reading it from the library builds a `ConfState`, an
    /// allocation the observers would pay on every step.
    applied_config: Membership,
    /// A snapshot the disk has not been told of yet: it goes with the next
    /// write.
    unwritten_snapshot: Option<SnapshotMeta>,
    /// `raft.snapshot`: when to compact (see `maybe_compact`).
    snapshot: SnapshotConfig,
    /// The node's seeded stream: election timeouts and the tick phase.
    rng: Stream,
    /// The election timeout range in ticks, both ends included.
    timeout_ticks: (u64, u64),
    /// The randomized election timeout this adapter last set.
    timeout_set: usize,
    /// Term and role when the timeout was last checked.
    seen: (u64, StateRole),
    tick_us: u64,
    /// `Ready` numbers of the writes not yet durable, oldest first.
    writes: VecDeque<u64>,
    /// Term and vote as last written.
    written: (u64, u64),
    /// While leading, the proposals in the log past the commit index: a
    /// client's retry of one is not proposed again (client sessions, as
    /// an application on raft-rs keeps them).
    sessions: Sessions,
}

impl RaftRsNode {
    /// After any input: if the library reset its election timer (a new
    /// term, or a role other than pre-candidate: its `reset()`), or its
    /// timeout is not the one set here, draw a new timeout from the seeded
    /// stream. The library's own draw (`thread_rng`) never survives.
    fn replace_timeout(&mut self) {
        let raft = &self.raw.raft;
        debug_assert!(
            raft.term >= self.seen.0,
            "node {}: the library's term fell from {} to {}",
            raft.id,
            self.seen.0,
            raft.term
        );
        let reset = raft.term != self.seen.0
            || (raft.state != self.seen.1 && raft.state != StateRole::PreCandidate);
        if reset || raft.randomized_election_timeout() != self.timeout_set {
            let (lo, hi) = self.timeout_ticks;
            let ticks = self.rng.between(lo, hi) as usize;
            self.raw.raft.set_randomized_election_timeout(ticks);
            self.timeout_set = ticks;
        }
        self.seen = (self.raw.raft.term, self.raw.raft.state);
    }

    /// Notes for the metrics: a campaign (the term rose and the node voted
    /// for itself), a leader deposed by a higher term. Pre-vote rounds are
    /// noted by the tick that starts them.
    fn note_changes(&self, before: (u64, StateRole), out: &mut Actions) {
        let raft = &self.raw.raft;
        if raft.term > before.0 {
            if before.1 == StateRole::Leader {
                out.push(Action::Note(Note::Deposed { by_term: raft.term }));
            }
            if raft.vote == raft.id {
                out.push(Action::Note(Note::CampaignStarted { term: raft.term }));
            }
        }
    }

    /// Runs one input through the library, then settles: timeout, notes,
    /// every pending `Ready`.
    fn input(&mut self, out: &mut Actions, feed: impl FnOnce(&mut RawNode<SimStorage>)) {
        self.maybe_compact();
        let before = (self.raw.raft.term, self.raw.raft.state);
        feed(&mut self.raw);
        self.replace_timeout();
        self.note_changes(before, out);
        self.handle_ready(out);
    }

    /// The model's compaction rule (`SnapshotConfig::compaction_point`),
    /// counted from the library's applied index rather than its commit
    /// index (raft-rs hands out committed entries only once they are
    /// persisted, and reads them from storage then: compacting past
    /// `applied` made it abort with `Compacted`), and never past what the
    /// library's storage holds: the log up to that point becomes the
    /// snapshot, in the library's storage and here; the disk follows with
    /// the next write. Run before each input, so the client and the checker
    /// have seen every committed entry before it goes.
    fn maybe_compact(&mut self) {
        let committed = self.raw.raft.raft_log.committed;
        let applied = self.raw.raft.raft_log.applied;
        debug_assert!(
            applied <= committed,
            "applied {applied} past commit {committed}"
        );
        let snapshot = self.log.snapshot_index();
        let Some(point) = self.snapshot.compaction_point(applied, snapshot) else {
            return;
        };
        let stored = self.raw.store().last_index().unwrap_or(snapshot);
        let index = point.min(stored);
        if index <= snapshot {
            return;
        }
        debug_assert!(
            index <= committed,
            "a snapshot covers only committed entries"
        );
        self.log.compact_to(index);
        let snapshot = self.log.snapshot();
        self.raw
            .mut_store()
            .compact(index, conf_state(&snapshot.config));
        self.unwritten_snapshot = Some(snapshot);
    }

    fn handle_ready(&mut self, out: &mut Actions) {
        while self.raw.has_ready() {
            let mut ready = self.raw.ready();
            // raft-rs files a leader's messages under `messages`, to be
            // sent while it writes (thesis §10.2.1). They wait for the
            // node's earlier writes here: sent at once, 3 seeds of the
            // first 280 of the general chaos broke state machine safety
            // (105, 125, 266), not yet explained (docs/IMPLEMENTATIONS.md).
            for msg in ready.take_messages() {
                send(msg, SendTiming::AfterWrites, out);
            }
            if !ready.snapshot().is_empty() {
                // The leader's snapshot: this log did not hold its last
                // entry (else raft-rs would only have moved its commit).
                let store = self.raw.mut_store();
                store.apply_snapshot(ready.snapshot());
                let meta = ready.snapshot().get_metadata();
                let snapshot = SnapshotMeta {
                    index: meta.index,
                    term: meta.term,
                    config: membership_of(meta.get_conf_state()),
                };
                let kept = self.log.install(snapshot);
                debug_assert!(
                    !kept,
                    "raft-rs hands over a snapshot only when the log lacks its last entry"
                );
                self.log_config = self.log.latest_config().1;
                self.applied_config = snapshot.config;
                self.unwritten_snapshot = Some(snapshot);
            }
            let entries = ready.take_entries();
            let state = (self.raw.raft.term, self.raw.raft.vote);
            if !entries.is_empty() || state != self.written || self.unwritten_snapshot.is_some() {
                self.write(&entries, state, out);
                self.writes.push_back(ready.number());
            }
            for msg in ready.take_persisted_messages() {
                send(msg, SendTiming::AfterWrites, out);
            }
            // Committed entries need no applying (the cluster reads the
            // commit index and the log), but for configuration changes,
            // which the library acts on only once applied.
            let committed = ready.take_committed_entries();
            for entry in &committed {
                if entry.get_entry_type() == EntryType::EntryConfChangeV2 {
                    let applied = self
                        .raw
                        .apply_conf_change(&decode_conf_change(entry))
                        .expect("the adapter proposes only changes the library accepts");
                    self.applied_config = membership_of(&applied);
                    self.step_down_if_removed(&applied);
                }
            }
            if let Some(last) = committed.last() {
                let config = self.applied_config;
                self.raw
                    .mut_store()
                    .set_applied(last.index, last.term, config);
            }
            self.raw.advance_append_async(ready);
            // raft-rs counts an installed snapshot as applied, but refuses
            // to apply past what is durable: wait for the snapshot's write.
            let installed = self.raw.store().snapshot_point().0;
            if self.raw.raft.raft_log.persisted >= installed {
                self.raw.advance_apply();
            }
        }
        // The snapshot's write may become durable with no Ready to follow
        // (`on_persist_ready` alone): it is applied then. Left behind, the
        // library's applied index sat below the storage's first entry, and
        // its next campaign, which reads the entries after `applied`,
        // aborted with Compacted (found by the general chaos, seed 11).
        let installed = self.raw.store().snapshot_point().0;
        let log = &self.raw.raft.raft_log;
        if log.applied < installed && log.persisted >= installed {
            self.raw.advance_apply_to(installed);
        }
    }

    /// A leader that has just applied its own removal, proposed by an
    /// earlier leader, steps down. raft-rs 0.7 leaves it in office without
    /// a progress of its own and panics on its next commit (an unwrap in
    /// `maybe_commit`; the library's comment marks the branch untested);
    /// etcd's server stops a removed member. A follower again, it never
    /// stands: it is no longer promotable.
    fn step_down_if_removed(&mut self, applied: &raft::eraftpb::ConfState) {
        let raft = &mut self.raw.raft;
        let voter = applied.voters.contains(&raft.id) || applied.voters_outgoing.contains(&raft.id);
        if raft.state == raft::StateRole::Leader && !voter {
            let term = raft.term;
            raft.become_follower(term, raft::INVALID_ID);
            debug_assert!(!raft.promotable(), "a removed node is not promotable");
            // The step down drew a library timeout: replaced by a seeded one.
            self.replace_timeout();
        }
    }

    /// Stores a `Ready`'s entries and hard state where the library reads
    /// them, mirrors the entries, and asks the cluster to make them (and a
    /// snapshot not yet written) durable.
    fn write(&mut self, entries: &[raft::eraftpb::Entry], state: (u64, u64), out: &mut Actions) {
        let log_from = entries
            .first()
            .map_or(self.log.last_index() + 1, |e| e.index);
        let hard_state = self.raw.raft.hard_state();
        let store = self.raw.mut_store();
        store.append(entries);
        store.set_hard_state(hard_state);
        if log_from <= self.log.last_index() {
            self.log.truncate_from(log_from);
            self.log_config = self.log.latest_config().1;
        }
        for entry in entries {
            let mirrored = from_library(entry, &self.log_config);
            if let crate::node::EntryData::Config(config) = mirrored.data {
                self.log_config = config;
            }
            self.log.append(mirrored);
        }
        self.written = state;
        // The mirror stays in step with the library's storage.
        debug_assert_eq!(
            Ok(self.log.last_index()),
            self.raw.store().last_index(),
            "the mirrored log and the library's storage end together"
        );
        debug_assert!(log_from >= 1 && log_from <= self.log.last_index() + 1);
        out.push(Action::Persist(PersistWrite {
            commit: Some(self.raw.raft.raft_log.committed),
            term: state.0,
            voted_for: node_id(state.1),
            snapshot: self.unwritten_snapshot.take(),
            log_from,
            entries: self.log.slice_from(log_from, usize::MAX).to_vec(),
        }));
    }

    fn arm_tick(&self, now: Instant, out: &mut Actions) {
        out.push(Action::SetTimer {
            kind: TimerKind::Tick,
            at: now.plus_us(self.tick_us),
        });
    }
}

/// Every message the library hands over leaves once the node's earlier
/// writes are durable: those of a `Ready`'s `persisted_messages` depend on
/// the write before them, and the ones it may send at once are held only
/// by writes of earlier `Ready`s.
fn send(msg: PbMessage, timing: SendTiming, out: &mut Actions) {
    out.push(Action::Send {
        to: NodeId(msg.to as u32),
        msg: RaftRsMessage(Box::new(msg)),
        timing,
    });
}

fn node_id(id: u64) -> Option<NodeId> {
    (id != 0).then_some(NodeId(id as u32))
}

/// raft-rs writes nothing anywhere: its logger discards.
fn discard_logger() -> slog::Logger {
    slog::Logger::root(slog::Discard, slog::o!())
}

impl RaftNode for RaftRsNode {
    type Message = RaftRsMessage;

    fn start(boot: Boot<'_>, out: &mut Actions) -> Self {
        let Boot {
            id,
            cluster_size,
            config,
            mut rng,
            disk,
            now,
        } = boot;
        debug_assert!(id.index() < cluster_size, "node {id} of {cluster_size}");
        let store = storage(&disk);
        let applied = durable_commit(&disk);
        let raw = RawNode::new(
            &library_config(id, config, applied),
            store,
            &discard_logger(),
        )
        .expect("scenario validation admits only configurations raft-rs accepts");
        // Nodes tick out of phase, as real processes do: the first tick
        // comes after a drawn fraction of a tick.
        let phase = rng.between(1, config.tick_us);
        let applied_config = membership_of(&raw.raft.prs().conf().to_conf_state());
        let mut node = RaftRsNode {
            applied_config,
            seen: (raw.raft.term, raw.raft.state),
            raw,
            log_config: Log::from_parts(disk.replay_base(), disk.log.clone())
                .latest_config()
                .1,
            log: Log::from_parts(disk.replay_base(), disk.log.clone()),
            unwritten_snapshot: None,
            snapshot: config.snapshot,
            rng,
            timeout_ticks: timeout_ticks(config),
            timeout_set: 0,
            tick_us: config.tick_us,
            writes: VecDeque::new(),
            written: (disk.term, disk.voted_for.map_or(0, |n| u64::from(n.0))),
            sessions: Sessions::default(),
        };
        debug_assert_eq!(node.raw.raft.raft_log.last_index(), node.log.last_index());
        // `RawNode::new` drew a timeout with the library's generator.
        node.replace_timeout();
        node.handle_ready(out);
        out.push(Action::SetTimer {
            kind: TimerKind::Tick,
            at: now.plus_us(phase),
        });
        node
    }

    fn on_message(&mut self, _now: Instant, _from: NodeId, msg: RaftRsMessage, out: &mut Actions) {
        self.input(out, |raw| {
            // A refusal (an unknown peer, a local message type) is the
            // library's decision to ignore the message.
            let _ = raw.step(*msg.0);
        });
    }

    fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Actions) {
        match kind {
            TimerKind::Tick => {
                if self.raw.raft.randomized_election_timeout() != self.timeout_set {
                    super::count_unreplaced_timeout();
                }
                self.input(out, |raw| {
                    raw.tick();
                });
                // A tick that leaves a fresh pre-candidate (elapsed reset
                // to 0 by the timeout) started a pre-vote round.
                let raft = &self.raw.raft;
                if raft.state == StateRole::PreCandidate && raft.election_elapsed == 0 {
                    let term = raft.term + 1;
                    out.push(Action::Note(Note::PreVoteStarted { term }));
                }
                self.arm_tick(now, out);
            }
            TimerKind::Election
            | TimerKind::Heartbeat
            | TimerKind::Quorum
            | TimerKind::VoteRound
            | TimerKind::Replicate
            | TimerKind::Transfer => {}
        }
    }

    fn propose(&mut self, _now: Instant, id: ProposalId, out: &mut Actions) -> bool {
        let raft = &self.raw.raft;
        if raft.state != StateRole::Leader {
            return false;
        }
        let commit = raft.raft_log.committed.min(self.log.last_index());
        if !self
            .sessions
            .first_time(raft.term, commit, self.log.view(), id)
        {
            return true;
        }
        let mut accepted = false;
        self.input(out, |raw| {
            accepted = raw.propose(Vec::new(), id.to_le_bytes().to_vec()).is_ok();
        });
        if !accepted {
            // Refused (a transfer under way): not held, so a retry is new.
            self.sessions.forget(id);
        }
        accepted
    }

    fn on_persisted(&mut self, _now: Instant, _durable: LogIndex, out: &mut Actions) {
        let number = self
            .writes
            .pop_front()
            .expect("a durable write was issued by this incarnation");
        debug_assert!(
            self.writes.front().is_none_or(|&next| next > number),
            "writes become durable in the order they were issued"
        );
        self.input(out, |raw| raw.on_persist_ready(number));
    }

    fn status(&self) -> Status {
        let raft = &self.raw.raft;
        Status {
            term: raft.term,
            role: match raft.state {
                StateRole::Follower => Role::Follower,
                StateRole::PreCandidate => Role::PreCandidate,
                StateRole::Candidate => Role::Candidate,
                StateRole::Leader => Role::Leader,
            },
            leader: node_id(raft.leader_id),
            voted_for: node_id(raft.vote),
            commit_index: raft.raft_log.committed,
            last_index: raft.raft_log.last_index(),
            last_term: raft.raft_log.last_term(),
        }
    }

    fn log(&self) -> LogView<'_> {
        self.log.view()
    }

    /// The configuration the library acts on: the last one it applied.
    fn membership(&self) -> Membership {
        debug_assert_eq!(
            self.applied_config,
            membership_of(&self.raw.raft.prs().conf().to_conf_state()),
            "the kept configuration is the library's"
        );
        self.applied_config
    }

    fn change_membership(
        &mut self,
        _now: Instant,
        change: MembershipChange,
        out: &mut Actions,
    ) -> Result<(), String> {
        let raft = &self.raw.raft;
        if raft.state != StateRole::Leader {
            return Err("not the leader".to_string());
        }
        if raft.lead_transferee.is_some() {
            return Err("a leadership transfer is under way".to_string());
        }
        // The library's rule: no change while one in the log is not yet
        // applied (a new leader counts everything past its applied index
        // as pending). It would drop the change silently, so it is refused
        // here. Unlike the model, raft-rs does not wait for an entry of the
        // leader's own term: a new leader whose log is all applied accepts
        // a change at once (safe in raft-rs, which uses a configuration
        // only once committed).
        if raft.has_pending_conf() {
            return Err("an earlier change is not applied yet".to_string());
        }
        let before = self.membership();
        let after = before.apply(&change)?;
        // raft-rs 0.7 panics (an unwrap in `maybe_commit`) when a leader
        // that is no longer a voter commits: refused, as an operator of
        // raft-rs must transfer leadership before removing the leader.
        // A joint change that leaves it only among the outgoing voters would
        // do the same once it leaves the joint configuration.
        let me = NodeId(raft.id as u32);
        if !after.voters.contains(me) {
            return Err(format!(
                "raft-rs cannot remove or demote its own leader (node {me}): transfer \
                 leadership first"
            ));
        }
        let change = conf_change(&change, &before);
        let mut result = Ok(());
        self.input(out, |raw| {
            result = raw
                .propose_conf_change(Vec::new(), change)
                .map_err(|e| format!("raft-rs refused it: {e}"));
        });
        result
    }

    fn transfer_leader(
        &mut self,
        _now: Instant,
        target: NodeId,
        out: &mut Actions,
    ) -> Result<(), String> {
        let raft = &self.raw.raft;
        if raft.state != StateRole::Leader {
            return Err("not the leader".to_string());
        }
        if u64::from(target.0) == raft.id {
            return Err(format!("node {target} is the leader already"));
        }
        let membership = self.membership();
        if membership.is_learner(target) {
            return Err(format!("node {target} is a learner"));
        }
        if !membership.is_voter(target) {
            return Err(format!("node {target} is not a voter"));
        }
        if let Some(other) = raft.lead_transferee {
            return Err(format!("a transfer to node {other} is under way"));
        }
        self.input(out, |raw| raw.transfer_leader(u64::from(target.0)));
        Ok(())
    }

    fn into_rng(self) -> Stream {
        self.rng
    }
}
