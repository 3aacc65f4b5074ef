//! Between raftsim's vocabulary and raft-rs's: the library's `Config` from
//! a [`RaftConfig`], log entries both ways (a proposal's id is the entry's
//! data, eight bytes little-endian; an empty entry is a leader's no-op),
//! and the library's storage rebuilt from a node's durable [`HardState`].

use protobuf::Message as _;
use raft::eraftpb::{
    ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfChangeV2, ConfState,
    Entry as PbEntry, EntryType, HardState as PbHardState,
};

use super::storage::SimStorage;
use crate::node::{
    Entry, EntryData, HardState, LogIndex, Membership, MembershipChange, NodeId, NodeSet,
    RaftConfig,
};

/// Byte budget of one append message: about 64 of our entries, the
/// model's own limit per AppendEntries.
const MAX_SIZE_PER_MSG: u64 = 64 * 16;
/// Appends in flight per follower before the leader waits for answers
/// (the library's default).
const MAX_INFLIGHT_MSGS: usize = 256;

/// The election timeout range in ticks, both ends included.
pub(super) fn timeout_ticks(config: &RaftConfig) -> (u64, u64) {
    let (lo, hi) = config.election_timeout_us;
    let ticks = (lo / config.tick_us, hi / config.tick_us);
    debug_assert!(
        ticks.0 <= ticks.1,
        "an ordered election timeout stays ordered in ticks"
    );
    ticks
}

/// The library's configuration. Scenario validation has made every
/// timeout a whole number of ticks and the election timeout longer than
/// the heartbeat, so the library's own validation passes.
/// `applied`: how far the node had applied (the commit index it wrote).
pub(super) fn library_config(id: NodeId, config: &RaftConfig, applied: LogIndex) -> raft::Config {
    let (lo, hi) = timeout_ticks(config);
    debug_assert!(
        config.heartbeat_us >= config.tick_us && lo > config.heartbeat_us / config.tick_us,
        "validation: a heartbeat of whole ticks, shorter than the election timeout"
    );
    raft::Config {
        id: u64::from(id.0),
        election_tick: lo as usize,
        heartbeat_tick: (config.heartbeat_us / config.tick_us) as usize,
        min_election_tick: lo as usize,
        // The library's range excludes its upper end; ours includes it.
        max_election_tick: hi as usize + 1,
        pre_vote: config.pre_vote,
        check_quorum: config.check_quorum,
        max_size_per_msg: MAX_SIZE_PER_MSG,
        max_inflight_msgs: MAX_INFLIGHT_MSGS,
        applied,
        ..raft::Config::default()
    }
}

/// The library's storage holding a node's durable state: the snapshot and
/// log, term, vote and commit index, and the configuration applied up to
/// that commit index, where the restarted application stands (the
/// library's `applied`).
pub(super) fn storage(disk: &HardState) -> SimStorage {
    let base = disk.replay_base();
    let mut config = base.config;
    let entries: Vec<PbEntry> = disk
        .log
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let pb = to_library(disk.snapshot_index + i as LogIndex + 1, entry, &config);
            if let EntryData::Config(next) = entry.data {
                config = next;
            }
            pb
        })
        .collect();
    let state = PbHardState {
        term: disk.term,
        vote: disk.voted_for.map_or(0, |n| u64::from(n.0)),
        commit: durable_commit(disk),
        ..PbHardState::default()
    };
    let snapshot = (disk.snapshot_index, disk.snapshot_term);
    // The configuration applied as far as the node had committed, as an
    // application restarting raft-rs gives it back its applied ConfState.
    let log = crate::node::Log::from_parts(base, disk.log.clone());
    let commit = durable_commit(disk);
    let applied = log.config_at(commit).1;
    debug_assert_eq!(
        entries.len(),
        disk.log.len(),
        "every durable entry is stored"
    );
    let mut store = SimStorage::new(conf_state(&applied), state, snapshot, entries);
    // A snapshot asked for before the next apply is taken at that point,
    // with that configuration: the compacted snapshot's point with it
    // claimed a later configuration for an earlier index, and a follower
    // that installed it read every change after it from the wrong one
    // (general chaos, raft-rs checkquorum, seeds 554 and 573).
    if commit > disk.snapshot_index {
        let term = log
            .term_at(commit)
            .expect("the commit index is within the log");
        store.set_applied(commit, term, applied);
    }
    store
}

/// The commit index on disk, within the durable log: what a snapshot
/// covers is committed (raft-rs refuses a hard state committing less than
/// its first index implies), and a commit written past the entries made
/// durable by then stops at them.
pub(super) fn durable_commit(disk: &HardState) -> LogIndex {
    disk.commit.clamp(disk.snapshot_index, disk.last_index())
}

/// An entry of raftsim's log as the library writes it; a configuration
/// becomes the change from `before`, the configuration in force before it.
pub(super) fn to_library(index: LogIndex, entry: &Entry, before: &Membership) -> PbEntry {
    let mut pb = PbEntry {
        term: entry.term,
        index,
        ..PbEntry::default()
    };
    match entry.data {
        EntryData::Noop => pb.set_entry_type(EntryType::EntryNormal),
        EntryData::Proposal(id) => {
            pb.set_entry_type(EntryType::EntryNormal);
            pb.data = id.to_le_bytes().to_vec().into();
        }
        EntryData::Config(after) => {
            pb.set_entry_type(EntryType::EntryConfChangeV2);
            let change = conf_change_between(before, &after);
            // The library's own leave-joint entry has no data at all.
            if !change.get_changes().is_empty() {
                pb.data = change.write_to_bytes().expect("encodes").into();
            }
        }
    }
    pb
}

/// An entry of the library's log in raftsim's terms; a configuration
/// change becomes the configuration it leads to from `before`.
pub(super) fn from_library(pb: &PbEntry, before: &Membership) -> Entry {
    let data = match pb.get_entry_type() {
        EntryType::EntryNormal => match <[u8; 8]>::try_from(&pb.data[..]) {
            Ok(bytes) => EntryData::Proposal(u64::from_le_bytes(bytes)),
            Err(_) => {
                debug_assert!(
                    pb.data.is_empty(),
                    "raftsim proposes eight bytes or nothing"
                );
                EntryData::Noop
            }
        },
        EntryType::EntryConfChangeV2 => {
            EntryData::Config(apply_conf_change(before, &decode_conf_change(pb)))
        }
        EntryType::EntryConfChange => {
            unreachable!("raftsim proposes every change as a ConfChangeV2")
        }
    };
    Entry {
        term: pb.term,
        data,
    }
}

/// The change a configuration-change entry carries (none: leave joint).
pub(super) fn decode_conf_change(pb: &PbEntry) -> ConfChangeV2 {
    let mut change = ConfChangeV2::default();
    change
        .merge_from_bytes(&pb.data)
        .expect("the library's own encoding decodes");
    change
}

/// The library's ConfState of a configuration.
pub(super) fn conf_state(config: &Membership) -> ConfState {
    let ids = |set: NodeSet| -> Vec<u64> { set.iter().map(|n| u64::from(n.0)).collect() };
    // A voter on its way to being a learner is an outgoing voter and a
    // learner "next" for the library.
    let state = ConfState {
        voters: ids(config.voters),
        voters_outgoing: ids(config.outgoing),
        learners: ids(config.learners.minus(config.outgoing)),
        learners_next: ids(config.learners.intersection(config.outgoing)),
        auto_leave: config.is_joint(),
        ..ConfState::default()
    };
    // Paired with `membership_of`: the two are inverses.
    debug_assert_eq!(
        membership_of(&state),
        *config,
        "a configuration survives the library's ConfState"
    );
    state
}

/// A configuration as raftsim states it, from the library's ConfState.
pub(super) fn membership_of(state: &ConfState) -> Membership {
    let set = |ids: &[u64]| NodeSet::of(ids.iter().map(|&id| NodeId(id as u32)));
    let membership = Membership {
        voters: set(&state.voters),
        outgoing: set(&state.voters_outgoing),
        learners: set(&state.learners).union(set(&state.learners_next)),
    };
    debug_assert!(
        membership.is_well_formed(),
        "the library's configuration {membership}"
    );
    membership
}

fn single(kind: ConfChangeType, node: NodeId) -> ConfChangeSingle {
    let mut change = ConfChangeSingle::default();
    change.set_change_type(kind);
    change.node_id = u64::from(node.0);
    change
}

/// The library's change for an operator's request.
pub(super) fn conf_change(change: &MembershipChange, before: &Membership) -> ConfChangeV2 {
    let after = before
        .apply(change)
        .expect("the adapter proposes only changes it has checked");
    conf_change_between(before, &after)
}

/// The ConfChangeV2 that takes the library from `before` to `after`:
/// leaving joint consensus (no changes), entering it (implicit transition:
/// the leader leaves it on its own once it is applied), or one change.
pub(super) fn conf_change_between(before: &Membership, after: &Membership) -> ConfChangeV2 {
    let mut change = ConfChangeV2::default();
    if before.is_joint() && !after.is_joint() {
        return change;
    }
    let mut changes = Vec::new();
    for n in after.voters.minus(before.voters).iter() {
        changes.push(single(ConfChangeType::AddNode, n));
    }
    for n in after.learners.minus(before.learners).iter() {
        changes.push(single(ConfChangeType::AddLearnerNode, n));
    }
    let gone = before.members().minus(after.voters).minus(after.learners);
    for n in gone.iter() {
        changes.push(single(ConfChangeType::RemoveNode, n));
    }
    if after.is_joint() {
        change.set_transition(ConfChangeTransition::Implicit);
    }
    change.set_changes(changes.into());
    // Paired with `apply_conf_change`: the change leads where it was made
    // to lead.
    debug_assert_eq!(
        apply_conf_change(before, &change),
        *after,
        "the change from {before} to {after}"
    );
    change
}

/// What a ConfChangeV2 does to `before`, as the library applies it.
pub(super) fn apply_conf_change(before: &Membership, change: &ConfChangeV2) -> Membership {
    if change.get_changes().is_empty() {
        return before.leave_joint();
    }
    let mut after = *before;
    let joint =
        change.get_transition() != ConfChangeTransition::Auto || change.get_changes().len() > 1;
    if joint {
        after.outgoing = before.voters;
    }
    for single in change.get_changes() {
        let n = NodeId(single.node_id as u32);
        match single.get_change_type() {
            ConfChangeType::AddNode => {
                after.voters = after.voters.with(n);
                after.learners = after.learners.without(n);
            }
            ConfChangeType::AddLearnerNode => {
                after.voters = after.voters.without(n);
                after.learners = after.learners.with(n);
            }
            ConfChangeType::RemoveNode => {
                after.voters = after.voters.without(n);
                after.learners = after.learners.without(n);
            }
        }
    }
    debug_assert!(after.is_well_formed(), "{before} changes to {after}");
    after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::DEFAULT_TICK_US;

    #[test]
    fn entries_survive_the_round_trip() {
        let set = |ids: &[u32]| NodeSet::of(ids.iter().map(|&i| NodeId(i)));
        let before = Membership::of_voters(set(&[1, 2, 3]));
        let changes = [
            MembershipChange::AddLearner(NodeId(4)),
            MembershipChange::AddVoter(NodeId(4)),
            MembershipChange::Remove(NodeId(2)),
            MembershipChange::Joint {
                add: set(&[4, 5]),
                remove: set(&[1]),
                learners: set(&[2]),
            },
        ];
        let mut data = vec![
            EntryData::Noop,
            EntryData::Proposal(0),
            EntryData::Proposal(u64::MAX),
        ];
        for change in &changes {
            data.push(EntryData::Config(before.apply(change).unwrap()));
        }
        for data in data {
            let entry = Entry { term: 3, data };
            let pb = to_library(9, &entry, &before);
            assert_eq!((pb.index, pb.term), (9, 3));
            assert_eq!(from_library(&pb, &before), entry, "{data:?}");
        }
        // Leaving joint consensus: the library's own empty change.
        let joint = before.apply(&changes[3]).unwrap();
        let left = Entry {
            term: 3,
            data: EntryData::Config(joint.leave_joint()),
        };
        let pb = to_library(10, &left, &joint);
        assert!(pb.data.is_empty());
        assert_eq!(from_library(&pb, &joint), left);
        assert_eq!(membership_of(&conf_state(&joint)), joint);
    }

    #[test]
    fn timeouts_become_ticks_with_the_upper_end_included() {
        let config = RaftConfig {
            tick_us: DEFAULT_TICK_US,
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            ..RaftConfig::default()
        };
        let library = library_config(NodeId(2), &config, 0);
        assert_eq!(library.id, 2);
        assert_eq!(library.heartbeat_tick, 5);
        assert_eq!(library.election_tick, 15);
        assert_eq!(
            (library.min_election_tick, library.max_election_tick),
            (15, 31)
        );
        library.validate().expect("raft-rs accepts it");
    }
}
