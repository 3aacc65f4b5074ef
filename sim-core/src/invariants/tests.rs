//! The checker's unit tests: each property caught on hand-made logs.

use super::*;

fn entries(terms: &[Term]) -> Vec<Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(i, &term)| Entry {
            term,
            data: EntryData::Proposal(i as u64),
        })
        .collect()
}

fn status(term: Term, role: Role, commit_index: LogIndex, last_index: LogIndex) -> Status {
    Status {
        term,
        role,
        leader: None,
        voted_for: None,
        commit_index,
        last_index,
        last_term: term,
    }
}

#[test]
fn log_matching_catches_same_entry_different_prefix() {
    let mut checker = Checker::new(2, Membership::of_voters(NodeSet::first(2)));
    checker
        .on_log(NodeId(1), LogView::of_entries(&entries(&[1, 1, 2])), None)
        .unwrap();
    let mut other = entries(&[1, 1, 2]);
    other[1].data = EntryData::Noop; // same (index, term) at 3, other history
    let broken = checker
        .on_log(NodeId(2), LogView::of_entries(&other), None)
        .unwrap_err();
    assert_eq!(broken.property, Property::LogMatching);
}

#[test]
fn two_leaders_in_one_term_break_election_safety() {
    let mut checker = Checker::new(3, Membership::of_voters(NodeSet::first(3)));
    let follower = status(2, Role::Candidate, 0, 0);
    checker
        .on_status(NodeId(1), &follower, &status(2, Role::Leader, 0, 0))
        .unwrap();
    let broken = checker
        .on_status(NodeId(2), &follower, &status(2, Role::Leader, 0, 0))
        .unwrap_err();
    assert_eq!(broken.property, Property::ElectionSafety);
}

#[test]
fn committed_entries_must_agree_and_leaders_must_hold_them() {
    let mut checker = Checker::new(3, Membership::of_voters(NodeSet::first(3)));
    let log = entries(&[1, 1]);
    checker
        .on_log(NodeId(1), LogView::of_entries(&log), None)
        .unwrap();
    let idle = status(1, Role::Leader, 0, 2);
    checker
        .on_status(NodeId(1), &idle, &status(1, Role::Leader, 2, 2))
        .unwrap();
    assert_eq!(checker.extend_committed(NodeId(1), 1), 1..3);
    // Node 2 has a different entry 2 (of another term) and commits it.
    let diverged = entries(&[1, 3]);
    checker
        .on_log(NodeId(2), LogView::of_entries(&diverged), None)
        .unwrap();
    let broken = checker
        .on_status(
            NodeId(2),
            &status(3, Role::Follower, 0, 2),
            &status(3, Role::Follower, 2, 2),
        )
        .unwrap_err();
    assert_eq!(broken.property, Property::StateMachineSafety);
    // Node 3 has only entry 1 and becomes leader.
    checker
        .on_log(NodeId(3), LogView::of_entries(&entries(&[1])), None)
        .unwrap();
    let broken = checker
        .on_status(
            NodeId(3),
            &status(4, Role::Candidate, 0, 1),
            &status(4, Role::Leader, 0, 1),
        )
        .unwrap_err();
    assert_eq!(broken.property, Property::LeaderCompleteness);
}

#[test]
fn a_leader_of_an_earlier_term_need_not_hold_what_a_later_term_committed() {
    let mut checker = Checker::new(3, Membership::of_voters(NodeSet::first(3)));
    let log = entries(&[1, 3]);
    checker
        .on_log(NodeId(2), LogView::of_entries(&log), None)
        .unwrap();
    checker
        .on_status(
            NodeId(2),
            &status(3, Role::Candidate, 0, 2),
            &status(3, Role::Leader, 2, 2),
        )
        .unwrap();
    checker.extend_committed(NodeId(2), 3);
    // Late grants make node 1 leader of term 2 with entry 1 only: legal,
    // entry 2 was committed in term 3.
    checker
        .on_log(NodeId(1), LogView::of_entries(&entries(&[1])), None)
        .unwrap();
    checker
        .on_status(
            NodeId(1),
            &status(2, Role::Candidate, 0, 1),
            &status(2, Role::Leader, 0, 1),
        )
        .unwrap();
    // A leader of term 4 must hold both.
    let broken = checker
        .on_status(
            NodeId(1),
            &status(4, Role::Candidate, 0, 1),
            &status(4, Role::Leader, 0, 1),
        )
        .unwrap_err();
    assert_eq!(broken.property, Property::LeaderCompleteness);
}

#[test]
fn entries_lost_in_a_crash_before_they_were_durable_are_forgotten() {
    let mut checker = Checker::new(2, Membership::of_voters(NodeSet::first(2)));
    let mut log = entries(&[1, 1]);
    checker
        .on_log(NodeId(1), LogView::of_entries(&log), None)
        .unwrap();
    // Crash with one entry durable; the same leader, same term, writes
    // another entry 2.
    checker.on_crash(NodeId(1), 1, 0);
    log[1].data = EntryData::Noop;
    checker
        .on_log(NodeId(1), LogView::of_entries(&log), None)
        .unwrap();
    // Had node 2 held the lost entry, the new one would break log matching.
    let mut checker = Checker::new(2, Membership::of_voters(NodeSet::first(2)));
    let mut log = entries(&[1, 1]);
    checker
        .on_log(NodeId(1), LogView::of_entries(&log), None)
        .unwrap();
    checker
        .on_log(NodeId(2), LogView::of_entries(&log), None)
        .unwrap();
    checker.on_crash(NodeId(1), 1, 0);
    log[1].data = EntryData::Noop;
    assert_eq!(
        checker
            .on_log(NodeId(1), LogView::of_entries(&log), None)
            .unwrap_err()
            .property,
        Property::LogMatching
    );
}

#[test]
fn terms_never_decrease_and_votes_are_unique() {
    let mut checker = Checker::new(2, Membership::of_voters(NodeSet::first(2)));
    let broken = checker
        .on_status(
            NodeId(1),
            &status(5, Role::Follower, 0, 0),
            &status(4, Role::Follower, 0, 0),
        )
        .unwrap_err();
    assert_eq!(broken.property, Property::MonotonicTerms);
    checker.on_durable(NodeId(2), 7, 0);
    assert_eq!(
        checker.on_restart(NodeId(2), 6).unwrap_err().property,
        Property::MonotonicTerms
    );
    checker.on_vote_sent(NodeId(1), 3, NodeId(2)).unwrap();
    checker.on_vote_sent(NodeId(1), 3, NodeId(2)).unwrap();
    assert_eq!(
        checker
            .on_vote_sent(NodeId(1), 3, NodeId(1))
            .unwrap_err()
            .property,
        Property::VoteOncePerTerm
    );
}

/// A stale leader is legal: node 3 wins term 94 with the votes of 2 and 4
/// after node 1 already won term 95 with the same voters' later votes (the
/// votes for 3 were on their way). Found on lossy-network, seed 39: the
/// checker had dropped term 94's votes when term 95 elected its leader.
#[test]
fn a_leader_of_an_older_term_elected_after_a_newer_one_is_no_violation() {
    let mut checker = Checker::new(5, Membership::of_voters(NodeSet::first(5)));
    let config = Membership::of_voters(NodeSet::first(5));
    for voter in [2, 4] {
        checker.on_vote_sent(NodeId(voter), 94, NodeId(3)).unwrap();
        checker.on_vote_sent(NodeId(voter), 95, NodeId(1)).unwrap();
    }
    let log = entries(&[1]);
    let elect = |checker: &mut Checker, node: u32, term: Term| {
        let after = Status {
            voted_for: Some(NodeId(node)),
            ..status(term, Role::Leader, 0, 1)
        };
        checker.on_decisions(
            NodeId(node),
            &status(term, Role::Candidate, 0, 1),
            &after,
            config,
            LogView::of_entries(&log),
            &|_, _, _| true,
        )
    };
    elect(&mut checker, 1, 95).unwrap();
    elect(&mut checker, 3, 94).unwrap();
    // A leader without a majority is still caught.
    checker.on_vote_sent(NodeId(2), 96, NodeId(5)).unwrap();
    let broken = elect(&mut checker, 5, 96).unwrap_err();
    assert_eq!(broken.property, Property::QuorumDecision);
}

#[test]
fn a_node_down_while_the_window_passes_it_is_still_checked_when_it_returns() {
    let mut checker = Checker::new(3, Membership::of_voters(NodeSet::first(3)));
    // Node 3 holds entry 3 of term 2 durably, which nobody else got, and
    // crashes.
    let stale = entries(&[1, 1, 2]);
    checker
        .on_log(NodeId(3), LogView::of_entries(&stale), None)
        .unwrap();
    checker.on_crash(NodeId(3), 3, 0);
    // Nodes 1 and 2 go on: node 1 leads term 3 and commits 5 entries.
    let log = entries(&[1, 1, 3, 3, 3]);
    for node in [NodeId(1), NodeId(2)] {
        checker
            .on_log(node, LogView::of_entries(&log), None)
            .unwrap();
    }
    let leader = status(3, Role::Leader, 0, 5);
    checker
        .on_status(NodeId(1), &status(3, Role::Candidate, 0, 5), &leader)
        .unwrap();
    checker
        .on_status(NodeId(1), &leader, &status(3, Role::Leader, 5, 5))
        .unwrap();
    assert_eq!(checker.extend_committed(NodeId(1), 3), 1..6);
    // Both running nodes make a snapshot up to 4 durable: the window moves
    // past node 3's whole log although node 3 never wrote a snapshot.
    for node in [NodeId(1), NodeId(2)] {
        let compacted = LogView {
            snapshot_index: 4,
            snapshot_term: 3,
            snapshot_config: Membership::of_voters(NodeSet::first(3)),
            entries: &log[4..],
        };
        checker.on_log(node, compacted, None).unwrap();
        checker.on_durable(node, 3, 4);
    }
    assert_eq!(checker.low, 4);
    assert_eq!(checker.nodes[2].agrees_to, 2);
    // Back up, node 3 may commit what agrees with the cluster, not its own
    // entry 3, nor make a snapshot of it.
    checker.on_restart(NodeId(3), 2).unwrap();
    checker
        .on_log(NodeId(3), LogView::of_entries(&stale), None)
        .unwrap();
    let follower = |commit| status(3, Role::Follower, commit, 3);
    checker
        .on_status(NodeId(3), &follower(0), &follower(2))
        .unwrap();
    let broken = checker
        .on_status(NodeId(3), &follower(2), &follower(3))
        .unwrap_err();
    assert_eq!(broken.property, Property::StateMachineSafety);
    let snapshot_of = |index: LogIndex, term| LogView {
        snapshot_index: index,
        snapshot_term: term,
        snapshot_config: Membership::of_voters(NodeSet::first(3)),
        entries: &stale[index as usize..],
    };
    checker.on_log(NodeId(3), snapshot_of(2, 1), None).unwrap();
    let broken = checker
        .on_log(NodeId(3), snapshot_of(3, 2), None)
        .unwrap_err();
    assert_eq!(broken.property, Property::StateMachineSafety);
}

/// A stale leader may use a configuration two changes from the committed
/// one. Term 13 committed C_old + 5 while node 4, cut off and still leader
/// of term 12, removed node 1 from C_old: its majority {3, 4} shares no node
/// with {1, 2, 5}, yet every majority of its configuration holds a node of
/// term 13, which refuses it. Found on chaos, PreVote, seed 982. A leader
/// of term 13 or later using it is caught.
#[test]
fn a_stale_leader_two_changes_from_the_committed_configuration_is_no_violation() {
    let voters = |ids: &[u32]| Membership::of_voters(NodeSet::of(ids.iter().map(|&i| NodeId(i))));
    let old = voters(&[1, 2, 3, 4]);
    let grown = voters(&[1, 2, 3, 4, 5]);
    let shrunk = voters(&[2, 3, 4]);
    assert!(grown.has_disjoint_majorities(&shrunk));
    let mut checker = Checker::new(5, old);
    let mut log = entries(&[12, 12]);
    log.push(Entry {
        term: 13,
        data: EntryData::Config(grown),
    });
    checker.on_committed_prefix(LogView::of_entries(&log), 1..4);
    // Node 4 commits entry 2, of its own term.
    let commit = |checker: &mut Checker, term: Term| {
        checker.on_decisions(
            NodeId(4),
            &status(term, Role::Leader, 1, 2),
            &status(term, Role::Leader, 2, 2),
            shrunk,
            LogView::of_entries(&entries(&[12, term])),
            &|_, _, _| true,
        )
    };
    commit(&mut checker, 12).unwrap();
    let broken = commit(&mut checker, 13).unwrap_err();
    assert_eq!(broken.property, Property::ConfigurationSafety);
}

/// Two nodes down while the window passes them: node 2 comes back with
/// its snapshot up to 4, below the window, and sends it to node 3, whose
/// own log ends at 2. The snapshot is the committed prefix: node 2's was
/// checked when node 2 made it. Found on chaos, classic Raft, seed 951.
#[test]
fn a_snapshot_below_the_window_from_a_node_that_holds_it_is_no_violation() {
    let config = Membership::of_voters(NodeSet::first(3));
    let mut checker = Checker::new(3, config);
    let log = entries(&[1, 1, 1, 1, 1, 1]);
    let snapshot_of = |index: LogIndex, term| LogView {
        snapshot_index: index,
        snapshot_term: term,
        snapshot_config: config,
        entries: &log[index as usize..],
    };
    checker
        .on_log(NodeId(3), LogView::of_entries(&log[..2]), None)
        .unwrap();
    checker.on_crash(NodeId(3), 2, 0);
    for node in [NodeId(1), NodeId(2)] {
        checker
            .on_log(node, LogView::of_entries(&log), None)
            .unwrap();
    }
    let leader = status(1, Role::Leader, 0, 6);
    checker
        .on_status(NodeId(1), &status(1, Role::Candidate, 0, 6), &leader)
        .unwrap();
    checker
        .on_status(NodeId(1), &leader, &status(1, Role::Leader, 6, 6))
        .unwrap();
    assert_eq!(checker.extend_committed(NodeId(1), 1), 1..7);
    checker.on_log(NodeId(2), snapshot_of(4, 1), None).unwrap();
    checker.on_durable(NodeId(2), 1, 4);
    checker.on_crash(NodeId(2), 6, 4);
    checker.on_log(NodeId(1), snapshot_of(5, 1), None).unwrap();
    checker.on_durable(NodeId(1), 1, 5);
    assert_eq!(checker.low, 5, "the window passed both nodes that are down");
    for node in [NodeId(2), NodeId(3)] {
        checker.on_restart(node, 1).unwrap();
    }
    checker.on_log(NodeId(2), snapshot_of(4, 1), None).unwrap();
    checker
        .on_log(NodeId(3), LogView::of_entries(&log[..2]), None)
        .unwrap();
    // A snapshot no node holds, of a term never committed there, is caught.
    let broken = checker
        .on_log(
            NodeId(3),
            LogView {
                snapshot_term: 2,
                ..snapshot_of(4, 1)
            },
            None,
        )
        .unwrap_err();
    assert_eq!(broken.property, Property::StateMachineSafety);
    checker.on_log(NodeId(3), snapshot_of(4, 1), None).unwrap();
}

/// Node 3 is down while the window passes it; nodes 1 and 2 compact to 5,
/// past the snapshot up to 4 that a leader sent node 3 before it did.
/// Node 3 restarts and installs it: no log holds entry 4 any more and no
/// node's snapshot ends there, but the kept hashes below the window, with
/// their terms, say it is the committed prefix. A snapshot of another term
/// there is caught. Found on chaos, classic Raft, seed 862, where the
/// leader still held that snapshot but had restarted with it, so the
/// checker no longer knew its term: no witness either way.
#[test]
fn a_snapshot_below_the_window_that_only_the_kept_hashes_witness_is_checked_with_them() {
    let config = Membership::of_voters(NodeSet::first(3));
    let log = entries(&[1, 1, 1, 1, 1, 1]);
    let mut checker = six_committed_node_3_behind(config, &log);
    let snapshot_of = |index: LogIndex, term| LogView {
        snapshot_index: index,
        snapshot_term: term,
        snapshot_config: config,
        entries: &log[index as usize..],
    };
    checker.on_crash(NodeId(3), 2, 0);
    for node in [NodeId(1), NodeId(2)] {
        checker.on_log(node, snapshot_of(5, 1), None).unwrap();
        checker.on_durable(node, 1, 5);
    }
    assert_eq!(checker.low, 5, "the window passed node 3, which is down");
    checker.on_restart(NodeId(3), 1).unwrap();
    checker
        .on_log(NodeId(3), LogView::of_entries(&log[..2]), None)
        .unwrap();
    let broken = checker
        .on_log(NodeId(3), snapshot_of(4, 2), None)
        .unwrap_err();
    assert_eq!(broken.property, Property::StateMachineSafety);
    checker.on_log(NodeId(3), snapshot_of(4, 1), None).unwrap();
}

/// Three nodes: 1 and 2 hold `log` (six entries), 3 only its first two;
/// node 1 leads term 1 and commits all six.
fn six_committed_node_3_behind(config: Membership, log: &[Entry]) -> Checker {
    let mut checker = Checker::new(3, config);
    for node in [NodeId(1), NodeId(2)] {
        checker
            .on_log(node, LogView::of_entries(log), None)
            .unwrap();
    }
    checker
        .on_log(NodeId(3), LogView::of_entries(&log[..2]), None)
        .unwrap();
    let leader = status(1, Role::Leader, 0, 6);
    checker
        .on_status(NodeId(1), &status(1, Role::Candidate, 0, 6), &leader)
        .unwrap();
    checker
        .on_status(NodeId(1), &leader, &status(1, Role::Leader, 6, 6))
        .unwrap();
    let extended = checker.extend_committed(NodeId(1), 1);
    assert_eq!(extended, 1..7);
    checker.on_committed_prefix(LogView::of_entries(log), extended);
    checker
}

/// Two nodes down while the window passes them: node 2 comes back with
/// its whole log, node 3 with entries 1-2 only, and node 2's entries 3-4
/// reach node 3, which commits them. They are committed ones, below the
/// window, and only node 2's log witnesses that. Found on chaos with
/// episodes that wait, classic Raft, seed 565.
#[test]
fn entries_below_the_window_from_a_node_that_holds_them_are_no_violation() {
    let config = Membership::of_voters(NodeSet::first(3));
    let log = entries(&[1, 1, 1, 1, 1, 1]);
    let setup = || {
        let mut checker = six_committed_node_3_behind(config, &log);
        checker.on_crash(NodeId(3), 2, 0);
        checker.on_crash(NodeId(2), 6, 0);
        let compacted = LogView {
            snapshot_index: 5,
            snapshot_term: 1,
            snapshot_config: config,
            entries: &log[5..],
        };
        checker.on_log(NodeId(1), compacted, None).unwrap();
        checker.on_durable(NodeId(1), 1, 5);
        assert_eq!(checker.low, 5, "the window passed both nodes that are down");
        for node in [NodeId(2), NodeId(3)] {
            checker.on_restart(node, 1).unwrap();
        }
        checker
            .on_log(NodeId(2), LogView::of_entries(&log), None)
            .unwrap();
        checker
    };
    let mut checker = setup();
    checker
        .on_log(NodeId(3), LogView::of_entries(&log[..4]), None)
        .unwrap();
    assert_eq!(checker.nodes[2].agrees_to, 2, "arrival proves nothing");
    node_3_commits_four(setup(), &log[..4]).unwrap();
    // Entries that no agreeing log holds are still caught.
    let broken = node_3_commits_four(setup(), &entry_3_changed(&log[..4])).unwrap_err();
    assert_eq!(broken.property, Property::StateMachineSafety);
}

/// Node 3 gets these four entries and commits them.
fn node_3_commits_four(mut checker: Checker, log: &[Entry]) -> Result<(), Broken> {
    let follower = |commit| status(1, Role::Follower, commit, 4);
    checker
        .on_log(NodeId(3), LogView::of_entries(log), None)
        .unwrap();
    checker
        .on_status(NodeId(3), &follower(0), &follower(4))
        .map(drop)
}

/// The same entries with entry 3 another.
fn entry_3_changed(log: &[Entry]) -> Vec<Entry> {
    let mut other = log.to_vec();
    other[2].data = EntryData::Noop;
    other
}

/// A node comes back below the window and commits entries that no log
/// holds any more (every running node compacted past them). The checker
/// keeps the committed prefix's hashes just below the window, so the
/// right entries pass and a wrong one is caught at the commit. raft-rs
/// under chaos with split-vote rounds (seeds 11, 91, 210, 277) had such
/// commits reported as violations when only logs could witness them.
#[test]
fn a_commit_below_the_window_that_no_log_holds_is_compared_with_the_kept_hashes() {
    let config = Membership::of_voters(NodeSet::first(3));
    let log = entries(&[1, 1, 1, 1, 1, 1]);
    let snapshot = |index: usize| LogView {
        snapshot_index: index as LogIndex,
        snapshot_term: 1,
        snapshot_config: config,
        entries: &log[index..],
    };
    let setup = || {
        let mut checker = six_committed_node_3_behind(config, &log);
        checker.on_crash(NodeId(3), 2, 0);
        checker.on_crash(NodeId(2), 6, 0);
        checker.on_log(NodeId(1), snapshot(5), None).unwrap();
        checker.on_durable(NodeId(1), 1, 5);
        for node in [NodeId(2), NodeId(3)] {
            checker.on_restart(node, 1).unwrap();
        }
        checker.on_log(NodeId(2), snapshot(5), None).unwrap();
        assert_eq!(checker.low, 5);
        checker
    };
    node_3_commits_four(setup(), &log[..4]).unwrap();
    let broken = node_3_commits_four(setup(), &entry_3_changed(&log[..4])).unwrap_err();
    assert_eq!(broken.property, Property::StateMachineSafety);
}

/// A node below the window takes a snapshot, then installs a newer one
/// before the first one's write is reported durable; when it is, no log
/// holds that index any more. The checker keeps the hash it took with the
/// snapshot, so a crash back to it restarts from a known prefix (it used
/// to abort the run: chaos with split-vote rounds, classic Raft, seed 214).
#[test]
fn a_snapshot_made_durable_after_a_newer_one_arrived_keeps_its_hash() {
    let config = Membership::of_voters(NodeSet::first(3));
    let log = entries(&[1, 1, 1, 1, 1, 1]);
    let mut checker = six_committed_node_3_behind(config, &log);
    checker.on_crash(NodeId(3), 2, 0);
    checker.on_crash(NodeId(2), 6, 0);
    let snapshot = |index: usize| LogView {
        snapshot_index: index as LogIndex,
        snapshot_term: 1,
        snapshot_config: config,
        entries: &log[index.min(log.len())..],
    };
    checker.on_log(NodeId(1), snapshot(5), None).unwrap();
    checker.on_durable(NodeId(1), 1, 5);
    for node in [NodeId(2), NodeId(3)] {
        checker.on_restart(node, 1).unwrap();
    }
    checker
        .on_log(NodeId(2), LogView::of_entries(&log), None)
        .unwrap();
    let follower = |commit| status(1, Role::Follower, commit, 4);
    checker
        .on_log(NodeId(3), LogView::of_entries(&log[..4]), None)
        .unwrap();
    checker
        .on_status(NodeId(3), &follower(0), &follower(4))
        .unwrap();
    // Node 3 compacts to 3 (its write in flight), then installs 6.
    let to_3 = LogView {
        entries: &log[3..4],
        ..snapshot(3)
    };
    checker.on_log(NodeId(3), to_3, None).unwrap();
    checker.on_log(NodeId(3), snapshot(6), None).unwrap();
    // Node 2 compacts past 3 too: no log holds entry 3 now.
    checker.on_log(NodeId(2), snapshot(6), None).unwrap();
    assert!(checker.low > 3, "the window passed index 3");
    checker.on_durable(NodeId(3), 1, 3);
    checker.on_crash(NodeId(3), 4, 3);
    assert_eq!(checker.nodes[2].base, 3, "back to its durable snapshot");
    checker.on_restart(NodeId(3), 1).unwrap();
    checker
        .on_log(
            NodeId(3),
            LogView {
                entries: &log[3..4],
                ..snapshot(3)
            },
            None,
        )
        .unwrap();
}

#[test]
fn a_leader_committing_an_earlier_terms_entry_by_count_is_caught() {
    // The thesis' Figure 3.7 (c): node 1 leads term 4 with entry 2 of
    // term 2 on a majority durably and its own entry 3 of term 4 on no
    // one else yet.
    let config = Membership::of_voters(NodeSet::first(5));
    let log = entries(&[1, 2, 4]);
    let commit = |checker: &mut Checker, to: LogIndex| {
        checker.on_decisions(
            NodeId(1),
            &status(4, Role::Leader, 1, 3),
            &status(4, Role::Leader, to, 3),
            config,
            LogView::of_entries(&log),
            &|_, _, _| true,
        )
    };
    let mut checker = Checker::new(5, config);
    let broken = commit(&mut checker, 2).unwrap_err();
    assert_eq!(broken.property, Property::QuorumDecision);
    assert!(
        broken.message.contains("entry 2 of term 2"),
        "{}",
        broken.message
    );
    // Beneath an entry of its own term, the same entry commits.
    let mut checker = Checker::new(5, config);
    commit(&mut checker, 3).unwrap();
}

/// Leader 1 of term 2 with five voters, whose log is `terms` followed by
/// the configurations `changes`: the step in which it appended the last
/// one and put it in force, with `commit` its commit index.
fn append_change(
    checker: &mut Checker,
    terms: &[Term],
    changes: &[Membership],
    commit: LogIndex,
) -> Result<(), Broken> {
    let mut log = entries(terms);
    log.extend(changes.iter().map(|&config| Entry {
        term: 2,
        data: EntryData::Config(config),
    }));
    let last = log.len() as LogIndex;
    let membership = *changes.last().expect("a change appended");
    checker.on_decisions(
        NodeId(1),
        &status(2, Role::Leader, commit, last - 1),
        &status(2, Role::Leader, commit, last),
        membership,
        LogView {
            snapshot_config: voters(&[1, 2, 3, 4, 5]),
            ..LogView::of_entries(&log)
        },
        &|_, _, _| true,
    )
}

fn voters(ids: &[u32]) -> Membership {
    Membership::of_voters(NodeSet::of(ids.iter().map(|&i| NodeId(i))))
}

#[test]
fn a_leader_putting_a_second_change_in_force_before_the_first_commits_is_caught() {
    let all = voters(&[1, 2, 3, 4, 5]);
    let without_5 = voters(&[1, 2, 3, 4]);
    let without_4_5 = voters(&[1, 2, 3]);
    let mut checker = Checker::new(5, all);
    // Entry 2, of its term, committed: the first removal is by the rules.
    append_change(&mut checker, &[1, 2], &[without_5], 2).unwrap();
    // The second, while entry 3 is not committed, is not.
    let broken = append_change(&mut checker, &[1, 2], &[without_5, without_4_5], 2).unwrap_err();
    assert_eq!(broken.property, Property::ConfigurationSafety);
    assert!(
        broken.message.contains("at index 3 was not committed"),
        "{}",
        broken.message
    );
    // Once entry 3 is committed, the same change is by the rules.
    let mut checker = Checker::new(5, all);
    append_change(&mut checker, &[1, 2], &[without_5], 2).unwrap();
    append_change(&mut checker, &[1, 2], &[without_5, without_4_5], 3).unwrap();
}

#[test]
fn a_leader_changing_one_voter_before_its_term_has_a_committed_entry_is_caught() {
    let all = voters(&[1, 2, 3, 4, 5]);
    let without_5 = voters(&[1, 2, 3, 4]);
    // Committed up to entry 2, of term 1: leader 1 of term 2 has not
    // committed its own no-op (entry 3) yet.
    let mut checker = Checker::new(5, all);
    let broken = append_change(&mut checker, &[1, 1, 2], &[without_5], 2).unwrap_err();
    assert_eq!(broken.property, Property::ConfigurationSafety);
    assert!(
        broken
            .message
            .contains("before any entry of its term was committed"),
        "{}",
        broken.message
    );
    // Joint consensus needs no entry of the term first (both majorities
    // decide while it is in force).
    let joint = Membership {
        outgoing: all.voters,
        ..without_5
    };
    let mut checker = Checker::new(5, all);
    append_change(&mut checker, &[1, 1, 2], &[joint], 2).unwrap();
    // A library that puts a change in force once it is committed is not
    // asked: the entry is committed in the step it is used.
    let mut checker = Checker::new(5, all);
    append_change(&mut checker, &[1, 1, 2], &[without_5], 4).unwrap();
}
