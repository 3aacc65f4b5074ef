//! Between raftsim's vocabulary and raft-rs's: the library's `Config` from
//! a [`RaftConfig`], log entries both ways (a proposal's id is the entry's
//! data, eight bytes little-endian; an empty entry is a leader's no-op),
//! and the library's storage rebuilt from a node's durable [`HardState`].

use raft::eraftpb::{ConfState, Entry as PbEntry, EntryType, HardState as PbHardState};

use super::storage::SimStorage;
use crate::node::{Entry, EntryData, HardState, LogIndex, NodeId, RaftConfig};

/// Byte budget of one append message: about 64 of our entries, the
/// model's own limit per AppendEntries.
const MAX_SIZE_PER_MSG: u64 = 64 * 16;
/// Appends in flight per follower before the leader waits for answers
/// (the library's default).
const MAX_INFLIGHT_MSGS: usize = 256;

/// The election timeout range in ticks, both ends included.
pub(super) fn timeout_ticks(config: &RaftConfig) -> (u64, u64) {
    let (lo, hi) = config.election_timeout_us;
    (lo / config.tick_us, hi / config.tick_us)
}

/// The library's configuration. Scenario validation has made every
/// timeout a whole number of ticks and the election timeout longer than
/// the heartbeat, so the library's own validation passes.
pub(super) fn library_config(id: NodeId, config: &RaftConfig) -> raft::Config {
    let (lo, hi) = timeout_ticks(config);
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
        applied: 0,
        ..raft::Config::default()
    }
}

/// The library's storage holding a node's durable state: every node of
/// the cluster a voter, the durable snapshot and log, term and vote. The
/// commit index is not durable in raftsim (as in the model): a restarted
/// node learns it again from the leader, beyond its snapshot.
pub(super) fn storage(cluster_size: usize, disk: &HardState) -> SimStorage {
    let voters: Vec<u64> = (1..=cluster_size as u64).collect();
    let entries: Vec<PbEntry> = disk
        .log
        .iter()
        .enumerate()
        .map(|(i, entry)| to_library(disk.snapshot_index + i as LogIndex + 1, entry))
        .collect();
    let state = PbHardState {
        term: disk.term,
        vote: disk.voted_for.map_or(0, |n| u64::from(n.0)),
        // What a snapshot covers is committed; raft-rs refuses a hard
        // state committing less than its first index implies.
        commit: disk.snapshot_index,
        ..PbHardState::default()
    };
    let snapshot = (disk.snapshot_index, disk.snapshot_term);
    SimStorage::new(ConfState::from((voters, vec![])), state, snapshot, entries)
}

pub(super) fn to_library(index: LogIndex, entry: &Entry) -> PbEntry {
    let mut pb = PbEntry::default();
    pb.set_entry_type(EntryType::EntryNormal);
    pb.term = entry.term;
    pb.index = index;
    if let EntryData::Proposal(id) = entry.data {
        pb.data = id.to_le_bytes().to_vec().into();
    }
    pb
}

pub(super) fn from_library(pb: &PbEntry) -> Entry {
    let data = match <[u8; 8]>::try_from(&pb.data[..]) {
        Ok(bytes) => EntryData::Proposal(u64::from_le_bytes(bytes)),
        Err(_) => {
            debug_assert!(
                pb.data.is_empty(),
                "raftsim proposes eight bytes or nothing"
            );
            EntryData::Noop
        }
    };
    Entry {
        term: pb.term,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::DEFAULT_TICK_US;

    #[test]
    fn entries_survive_the_round_trip() {
        for data in [
            EntryData::Noop,
            EntryData::Proposal(0),
            EntryData::Proposal(u64::MAX),
        ] {
            let entry = Entry { term: 3, data };
            let pb = to_library(9, &entry);
            assert_eq!((pb.index, pb.term), (9, 3));
            assert_eq!(from_library(&pb), entry);
        }
    }

    #[test]
    fn timeouts_become_ticks_with_the_upper_end_included() {
        let config = RaftConfig {
            tick_us: DEFAULT_TICK_US,
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            ..RaftConfig::default()
        };
        let library = library_config(NodeId(2), &config);
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
