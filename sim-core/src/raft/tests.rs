//! Unit tests that drive one node by hand: feed it messages and timer
//! firings, then inspect the actions it emits and its status. One test (or
//! one table) per rule of DESIGN.md §4 and shared/DLEDGER.md.

use super::*;
use crate::rng::{Purpose, Stream};
use crate::time::Instant;

const N1: NodeId = NodeId(1);
const N2: NodeId = NodeId(2);
const N3: NodeId = NodeId(3);
const N4: NodeId = NodeId(4);
const N5: NodeId = NodeId(5);

/// Default election timeout range is 150..=300 ms.
const MIN_TIMEOUT_MS: u64 = 150;

// ----- helpers ---------------------------------------------------------

fn ms(t: u64) -> Instant {
    Instant::from_ms(t)
}

fn entries(terms: &[Term]) -> Vec<Entry> {
    terms
        .iter()
        .map(|&term| Entry {
            term,
            data: EntryData::Noop,
        })
        .collect()
}

fn hard(term: Term, voted_for: Option<NodeId>, log_terms: &[Term]) -> HardState {
    HardState {
        term,
        voted_for,
        log: entries(log_terms),
    }
}

fn classic(pre_vote: bool, leader_lease: bool, check_quorum: bool) -> RaftConfig {
    RaftConfig {
        pre_vote,
        leader_lease,
        check_quorum,
        ..RaftConfig::default()
    }
}

fn dledger() -> RaftConfig {
    RaftConfig {
        election: ElectionKind::Dledger,
        ..RaftConfig::default()
    }
}

fn start_out(
    id: NodeId,
    n: usize,
    config: RaftConfig,
    disk: HardState,
    now: Instant,
) -> (Node, Vec<Action>) {
    let mut out = Vec::new();
    let rng = Stream::new(7, Purpose::NodeTimers, u64::from(id.0));
    let node = Node::start(id, n, config, rng, disk, now, &mut out);
    (node, out)
}

fn start(id: NodeId, n: usize, config: RaftConfig, disk: HardState, now: Instant) -> Node {
    start_out(id, n, config, disk, now).0
}

fn deliver(node: &mut Node, now: Instant, from: NodeId, msg: Message) -> Vec<Action> {
    let mut out = Vec::new();
    node.on_message(now, from, msg, &mut out);
    out
}

fn fire(node: &mut Node, now: Instant, kind: TimerKind) -> Vec<Action> {
    let mut out = Vec::new();
    node.on_timer(now, kind, &mut out);
    out
}

fn sends(out: &[Action]) -> Vec<(NodeId, Message)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

fn sent_to(out: &[Action], to: NodeId) -> Vec<Message> {
    sends(out)
        .into_iter()
        .filter(|(t, _)| *t == to)
        .map(|(_, m)| m)
        .collect()
}

/// The one message sent to `to`; fails if there is none or more than one.
fn reply_to(out: &[Action], to: NodeId) -> Message {
    let mut msgs = sent_to(out, to);
    assert_eq!(
        msgs.len(),
        1,
        "expected exactly one message to {to}: {out:?}"
    );
    msgs.pop().unwrap()
}

fn notes(out: &[Action]) -> Vec<Note> {
    out.iter()
        .filter_map(|a| match a {
            Action::Note(n) => Some(*n),
            _ => None,
        })
        .collect()
}

fn persists(out: &[Action]) -> Vec<PersistWrite> {
    out.iter()
        .filter_map(|a| match a {
            Action::Persist(w) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

/// The deadline of the last `SetTimer` of `kind`, if any.
fn timer_set(out: &[Action], kind: TimerKind) -> Option<Instant> {
    out.iter().rev().find_map(|a| match a {
        Action::SetTimer { kind: k, at } if *k == kind => Some(*at),
        _ => None,
    })
}

fn cancelled(out: &[Action], kind: TimerKind) -> bool {
    out.iter()
        .any(|a| matches!(a, Action::CancelTimer { kind: k } if *k == kind))
}

fn any_timer_action(out: &[Action]) -> bool {
    out.iter()
        .any(|a| matches!(a, Action::SetTimer { .. } | Action::CancelTimer { .. }))
}

fn log_terms(node: &Node) -> Vec<Term> {
    node.log().entries().iter().map(|e| e.term).collect()
}

fn vote_req(term: Term, last_log_index: LogIndex, last_log_term: Term) -> Message {
    Message::RequestVote(RequestVote {
        term,
        last_log_index,
        last_log_term,
        pre_vote: false,
    })
}

fn pre_vote_req(term: Term, last_log_index: LogIndex, last_log_term: Term) -> Message {
    Message::RequestVote(RequestVote {
        term,
        last_log_index,
        last_log_term,
        pre_vote: true,
    })
}

fn vote_resp(term: Term, granted: bool, pre_vote: bool) -> Message {
    Message::VoteResponse(VoteResponse {
        term,
        granted,
        pre_vote,
    })
}

fn append(
    term: Term,
    prev_log_index: LogIndex,
    prev_log_term: Term,
    entry_terms: &[Term],
    leader_commit: LogIndex,
) -> Message {
    Message::AppendEntries(AppendEntries {
        term,
        prev_log_index,
        prev_log_term,
        entries: entries(entry_terms),
        leader_commit,
    })
}

fn append_resp(term: Term, success: bool, index: LogIndex) -> Message {
    Message::AppendResponse(AppendResponse {
        term,
        success,
        index,
    })
}

/// Makes a classic node leader at `now`: fires its election timer and feeds
/// it granted (pre-)votes from its peers. Returns every action emitted.
fn elect(node: &mut Node, now: Instant) -> Vec<Action> {
    let mut out = fire(node, now, TimerKind::Election);
    let peers: Vec<NodeId> = node.peers().collect();
    if node.status().role == Role::PreCandidate {
        let term = node.status().term + 1;
        for &p in &peers {
            if node.status().role != Role::PreCandidate {
                break;
            }
            out.extend(deliver(node, now, p, vote_resp(term, true, true)));
        }
    }
    let term = node.status().term;
    for &p in &peers {
        if node.status().role != Role::Candidate {
            break;
        }
        out.extend(deliver(node, now, p, vote_resp(term, true, false)));
    }
    assert_eq!(node.status().role, Role::Leader, "{out:?}");
    out
}

// ----- 1. the up-to-date log check ------------------------------------

#[test]
fn vote_needs_an_up_to_date_log_unless_the_bug_is_planted() {
    // The voter: term 2, log terms [1, 1, 2] (last index 3, last term 2).
    // (candidate last index, candidate last term, up to date?)
    let table = [
        (3, 2, true),  // identical
        (4, 2, true),  // longer, same last term
        (2, 2, false), // shorter, same last term
        (1, 3, true),  // higher last term, even if shorter
        (9, 1, false), // lower last term, even if longer
        (0, 0, false), // empty log
    ];
    for bug in [false, true] {
        for (index, last_term, up_to_date) in table {
            let mut config = classic(false, false, false);
            config.bugs.grant_vote_without_log_check = bug;
            let mut node = start(N1, 3, config, hard(2, None, &[1, 1, 2]), ms(0));
            let out = deliver(&mut node, ms(10), N2, vote_req(3, index, last_term));
            let granted = up_to_date || bug;
            let case = format!("bug {bug}, candidate last ({index}, {last_term})");
            assert_eq!(reply_to(&out, N2), vote_resp(3, granted, false), "{case}");
            let status = node.status();
            assert_eq!(
                status.term, 3,
                "a higher term is adopted either way: {case}"
            );
            assert_eq!(status.voted_for, granted.then_some(N2), "{case}");
        }
    }
}

// ----- 2. one vote per term, persisted --------------------------------

#[test]
fn one_vote_per_term_is_persisted_and_survives_a_restart() {
    let config = classic(false, false, false);
    let mut disk = hard(4, None, &[1, 2]);
    let mut node = start(N1, 3, config.clone(), disk.clone(), ms(0));

    let out = deliver(&mut node, ms(10), N2, vote_req(5, 2, 2));
    assert_eq!(reply_to(&out, N2), vote_resp(5, true, false));
    // The vote is written before the grant leaves.
    let persist_at = out
        .iter()
        .position(|a| matches!(a, Action::Persist(w) if w.term == 5 && w.voted_for == Some(N2)))
        .expect("the vote is persisted");
    let send_at = out
        .iter()
        .position(|a| matches!(a, Action::Send { .. }))
        .unwrap();
    assert!(persist_at < send_at, "{out:?}");
    for write in persists(&out) {
        disk.apply(&write);
    }
    assert_eq!((disk.term, disk.voted_for), (5, Some(N2)));

    // Another candidate of the same term is refused; the first one may ask again.
    let out = deliver(&mut node, ms(20), N3, vote_req(5, 2, 2));
    assert_eq!(reply_to(&out, N3), vote_resp(5, false, false));
    assert!(persists(&out).is_empty());
    let out = deliver(&mut node, ms(30), N2, vote_req(5, 2, 2));
    assert_eq!(reply_to(&out, N2), vote_resp(5, true, false));
    assert_eq!(node.status().voted_for, Some(N2));

    // Restart from the disk: the vote is remembered, unless the bug is planted.
    for (forget, grants_b) in [(false, false), (true, true)] {
        let mut config = config.clone();
        config.bugs.forget_vote_on_restart = forget;
        let mut node = start(N1, 3, config, disk.clone(), ms(100));
        assert_eq!(node.status().term, 5);
        let out = deliver(&mut node, ms(110), N3, vote_req(5, 2, 2));
        assert_eq!(
            reply_to(&out, N3),
            vote_resp(5, grants_b, false),
            "forget_vote_on_restart = {forget}"
        );
        let expected_vote = if grants_b { N3 } else { N2 };
        assert_eq!(node.status().voted_for, Some(expected_vote));
    }
}

// ----- 3. a pre-vote changes nothing ----------------------------------

#[test]
fn pre_vote_never_changes_the_receivers_term_or_vote() {
    // Requests from node 2, as (term asked for, last index, last term).
    let up = (10, 5); // at least as up to date as any voter below
    let stale = (1, 1);
    let requests = [(6, up), (6, stale), (5, up), (4, up), (9, up)];
    // Voters in term 5 (lease off), and which of the requests each grants.
    struct Voter {
        name: &'static str,
        make: fn() -> Node,
        grants: [bool; 5],
    }
    fn config() -> RaftConfig {
        classic(false, false, false)
    }
    let voters = [
        Voter {
            name: "follower, no vote, no leader",
            make: || start(N1, 3, config(), hard(5, None, &[1, 5]), ms(0)),
            grants: [true, false, true, false, true],
        },
        Voter {
            name: "follower that voted for 3",
            make: || start(N1, 3, config(), hard(5, Some(N3), &[1, 5]), ms(0)),
            grants: [true, false, false, false, true],
        },
        Voter {
            name: "leader",
            make: || {
                let mut node = start(N1, 3, config(), hard(4, None, &[1, 4]), ms(0));
                elect(&mut node, ms(0));
                node
            },
            grants: [true, false, false, false, true],
        },
        Voter {
            name: "follower of leader 3",
            make: || {
                let mut node = start(N1, 3, config(), hard(5, None, &[1, 5]), ms(0));
                deliver(&mut node, ms(0), N3, append(5, 2, 5, &[], 0));
                assert_eq!(node.status().leader, Some(N3));
                node
            },
            grants: [true, false, false, false, true],
        },
    ];
    for voter in &voters {
        for (i, &(term, (index, last_term))) in requests.iter().enumerate() {
            let mut node = (voter.make)();
            let before = node.status();
            assert_eq!(before.term, 5);
            let out = deliver(&mut node, ms(10), N2, pre_vote_req(term, index, last_term));
            let case = format!("{}: pre-vote {term} ({index}, {last_term})", voter.name);
            let after = node.status();
            assert_eq!(after.term, before.term, "{case}");
            assert_eq!(after.voted_for, before.voted_for, "{case}");
            assert_eq!(after.role, before.role, "{case}");
            assert!(persists(&out).is_empty(), "{case}: {out:?}");
            let expected = if voter.grants[i] {
                vote_resp(term, true, true)
            } else {
                vote_resp(5, false, true)
            };
            assert_eq!(reply_to(&out, N2), expected, "{case}");
        }
    }
}

// ----- 4. the leader lease --------------------------------------------

#[test]
fn leader_lease_ignores_higher_term_requests_while_a_leader_is_fresh() {
    // A follower that heard its leader (node 3) at 100 ms.
    let follower = |lease: bool| {
        let mut node = start(
            N1,
            3,
            classic(true, lease, false),
            hard(5, None, &[1, 5]),
            ms(0),
        );
        deliver(&mut node, ms(100), N3, append(5, 2, 5, &[], 0));
        assert_eq!(node.status().leader, Some(N3));
        node
    };

    // Lease on, within the minimum election timeout: no reply at all, no
    // term change, the leader is still known.
    for msg in [pre_vote_req(6, 10, 5), vote_req(6, 10, 5)] {
        let mut node = follower(true);
        let before = node.status();
        let out = deliver(&mut node, ms(100 + MIN_TIMEOUT_MS - 1), N2, msg.clone());
        assert!(sends(&out).is_empty(), "{msg:?}: {out:?}");
        assert!(persists(&out).is_empty(), "{msg:?}: {out:?}");
        assert_eq!(node.status(), before, "{msg:?}");
    }

    // Lease on, but the leader was last heard a minimum timeout ago: the
    // requests are answered (the real vote adopts the term).
    let mut node = follower(true);
    let out = deliver(
        &mut node,
        ms(100 + MIN_TIMEOUT_MS),
        N2,
        pre_vote_req(6, 10, 5),
    );
    assert_eq!(reply_to(&out, N2), vote_resp(6, true, true));
    assert_eq!(node.status().term, 5);
    let out = deliver(&mut node, ms(100 + MIN_TIMEOUT_MS), N2, vote_req(6, 10, 5));
    assert_eq!(reply_to(&out, N2), vote_resp(6, true, false));
    assert_eq!(node.status().term, 6);

    // Lease on: the leader itself counts as fresh and ignores them too.
    for msg in [pre_vote_req(7, 10, 6), vote_req(7, 10, 6)] {
        let mut leader = start(
            N1,
            3,
            classic(true, true, false),
            hard(5, None, &[1, 5]),
            ms(0),
        );
        elect(&mut leader, ms(0));
        let before = leader.status();
        assert_eq!(before.term, 6);
        let out = deliver(&mut leader, ms(1), N2, msg.clone());
        assert!(sends(&out).is_empty(), "{msg:?}: {out:?}");
        assert_eq!(leader.status(), before, "{msg:?}");
    }

    // Lease off: an up-to-date pre-vote is granted by a follower with a
    // fresh leader, and by the leader itself; neither changes its term.
    let mut node = follower(false);
    let out = deliver(&mut node, ms(101), N2, pre_vote_req(6, 10, 5));
    assert_eq!(reply_to(&out, N2), vote_resp(6, true, true));
    assert_eq!(node.status().term, 5);
    assert_eq!(node.status().leader, Some(N3));

    let mut leader = start(
        N1,
        3,
        classic(true, false, false),
        hard(5, None, &[1, 5]),
        ms(0),
    );
    elect(&mut leader, ms(0));
    let out = deliver(&mut leader, ms(1), N2, pre_vote_req(7, 10, 6));
    assert_eq!(reply_to(&out, N2), vote_resp(7, true, true));
    assert_eq!(leader.status().term, 6);
    assert_eq!(leader.status().role, Role::Leader);
}

// ----- 5. the pre-vote round ------------------------------------------

#[test]
fn pre_candidate_campaigns_after_a_majority_of_pre_votes() {
    let mut node = start(
        N1,
        5,
        classic(true, true, false),
        hard(3, None, &[1, 3]),
        ms(0),
    );
    let mut all = fire(&mut node, ms(200), TimerKind::Election);
    let status = node.status();
    assert_eq!(
        (status.role, status.term, status.voted_for),
        (Role::PreCandidate, 3, None)
    );
    assert!(persists(&all).is_empty(), "a pre-vote writes nothing");
    for peer in [N2, N3, N4, N5] {
        assert_eq!(reply_to(&all, peer), pre_vote_req(4, 2, 3));
    }

    // Below a majority (itself + 2, once, counted once; 3 refuses): no change.
    for (from, msg) in [
        (N2, vote_resp(4, true, true)),
        (N2, vote_resp(4, true, true)),
        (N3, vote_resp(3, false, true)),
    ] {
        let out = deliver(&mut node, ms(210), from, msg);
        assert!(sends(&out).is_empty(), "{out:?}");
        all.extend(out);
        let status = node.status();
        assert_eq!((status.role, status.term), (Role::PreCandidate, 3));
    }

    // The third grant is a majority of 5: term + 1, real vote requests.
    let out = deliver(&mut node, ms(220), N4, vote_resp(4, true, true));
    let status = node.status();
    assert_eq!(
        (status.role, status.term, status.voted_for),
        (Role::Candidate, 4, Some(N1))
    );
    for peer in [N2, N3, N4, N5] {
        assert_eq!(reply_to(&out, peer), vote_req(4, 2, 3));
    }
    let first_send = out
        .iter()
        .position(|a| matches!(a, Action::Send { .. }))
        .unwrap();
    assert!(
        matches!(&out[..first_send], [.., Action::Persist(w)] if w.term == 4 && w.voted_for == Some(N1)),
        "term and vote are written before the requests leave: {out:?}"
    );
    all.extend(out);
    assert_eq!(
        notes(&all),
        [
            Note::PreVoteStarted { term: 4 },
            Note::CampaignStarted { term: 4 }
        ]
    );
}

#[test]
fn pre_candidate_that_loses_stays_at_its_term_or_adopts_a_higher_one() {
    // A majority of refusals: back to follower at the same term.
    let mut node = start(
        N1,
        3,
        classic(true, true, false),
        hard(3, None, &[1, 3]),
        ms(0),
    );
    fire(&mut node, ms(200), TimerKind::Election);
    deliver(&mut node, ms(210), N2, vote_resp(3, false, true));
    deliver(&mut node, ms(210), N3, vote_resp(3, false, true));
    let status = node.status();
    assert_eq!((status.role, status.term), (Role::Follower, 3));

    // A refusal carrying a higher term is adopted.
    let mut node = start(
        N1,
        3,
        classic(true, true, false),
        hard(3, None, &[1, 3]),
        ms(0),
    );
    fire(&mut node, ms(200), TimerKind::Election);
    deliver(&mut node, ms(210), N2, vote_resp(8, false, true));
    let status = node.status();
    assert_eq!((status.role, status.term), (Role::Follower, 8));
}

// ----- 6. CheckQuorum -------------------------------------------------

#[test]
fn check_quorum_steps_a_leader_down_without_a_majority() {
    // 5 nodes: the leader needs 2 peers besides itself.
    let table: [(&[NodeId], bool); 5] = [
        (&[], false),
        (&[N2], false),
        (&[N2, N2], false), // one peer heard twice is still one
        (&[N2, N3], true),
        (&[N2, N3, N4, N5], true),
    ];
    for (heard, stays) in table {
        let mut node = start(
            N1,
            5,
            classic(false, true, true),
            hard(1, None, &[1]),
            ms(0),
        );
        let out = elect(&mut node, ms(0));
        let deadline = timer_set(&out, TimerKind::Quorum).expect("check-quorum timer");
        assert_eq!(deadline, ms(MIN_TIMEOUT_MS));
        for &peer in heard {
            deliver(&mut node, ms(10), peer, append_resp(2, true, 2));
        }
        let out = fire(&mut node, deadline, TimerKind::Quorum);
        let status = node.status();
        assert_eq!(status.term, 2, "heard from {heard:?}");
        if stays {
            assert_eq!(status.role, Role::Leader, "heard from {heard:?}");
            assert_eq!(
                timer_set(&out, TimerKind::Quorum),
                Some(ms(2 * MIN_TIMEOUT_MS))
            );
            // The next period starts from nothing heard.
            fire(&mut node, ms(2 * MIN_TIMEOUT_MS), TimerKind::Quorum);
            assert_eq!(node.status().role, Role::Follower);
            assert_eq!(node.status().term, 2);
        } else {
            assert_eq!(status.role, Role::Follower, "heard from {heard:?}");
            assert_eq!(status.leader, None);
            assert!(cancelled(&out, TimerKind::Heartbeat), "{out:?}");
            assert!(cancelled(&out, TimerKind::Quorum), "{out:?}");
            assert!(notes(&out).is_empty(), "not a deposition: {out:?}");
        }
    }

    // Without check_quorum there is no such timer.
    let mut node = start(
        N1,
        5,
        classic(false, false, false),
        hard(1, None, &[1]),
        ms(0),
    );
    let out = elect(&mut node, ms(0));
    assert_eq!(timer_set(&out, TimerKind::Quorum), None);
}

// ----- 7. a stale AppendEntries deposes its sender --------------------

#[test]
fn stale_append_is_answered_with_the_higher_term_which_deposes_the_leader() {
    let mut follower = start(
        N2,
        3,
        classic(false, false, false),
        hard(7, None, &[1]),
        ms(0),
    );
    let before = follower.status();
    let out = deliver(&mut follower, ms(10), N1, append(5, 1, 1, &[5], 1));
    assert_eq!(reply_to(&out, N1), append_resp(7, false, 0));
    assert_eq!(follower.status(), before, "a stale append changes nothing");
    assert_eq!(log_terms(&follower), [1]);

    let mut leader = start(
        N1,
        3,
        classic(false, false, false),
        hard(4, None, &[1]),
        ms(0),
    );
    elect(&mut leader, ms(0));
    assert_eq!(leader.status().term, 5);
    let out = deliver(&mut leader, ms(20), N2, append_resp(7, false, 0));
    let status = leader.status();
    assert_eq!(
        (status.role, status.term, status.leader, status.voted_for),
        (Role::Follower, 7, None, None)
    );
    assert_eq!(notes(&out), [Note::Deposed { by_term: 7 }]);
    assert!(cancelled(&out, TimerKind::Heartbeat));
    assert!(persists(&out).iter().any(|w| w.term == 7), "{out:?}");
}

// ----- 8. commit by counting only in the current term -----------------

#[test]
fn leader_commits_an_old_entry_only_through_one_of_its_own_term() {
    // Index 1 is of term 1; the node becomes leader of term 2 and appends
    // its no-op at index 2.
    let mut leader = start(
        N1,
        3,
        classic(false, false, false),
        hard(1, None, &[1]),
        ms(0),
    );
    elect(&mut leader, ms(0));
    assert_eq!(leader.status().term, 2);
    assert_eq!(log_terms(&leader), [1, 2]);

    // Index 1 is on every node: not committed, it is of an older term.
    deliver(&mut leader, ms(10), N2, append_resp(2, true, 1));
    deliver(&mut leader, ms(10), N3, append_resp(2, true, 1));
    assert_eq!(leader.status().commit_index, 0);

    // The no-op is durable on the leader only: one of three.
    leader.on_persisted(2);
    assert_eq!(leader.status().commit_index, 0);

    // The no-op reaches a majority: both entries commit.
    deliver(&mut leader, ms(20), N2, append_resp(2, true, 2));
    assert_eq!(leader.status().commit_index, 2);
}

// ----- 9. the AppendEntries consistency check -------------------------

#[test]
fn append_entries_consistency_check_truncation_and_commit() {
    // Follower: term 3, log terms [1, 1, 2, 3]; a leader of term 4 sends.
    struct Case {
        name: &'static str,
        prev: (LogIndex, Term),
        entries: &'static [Term],
        leader_commit: LogIndex,
        success: bool,
        index: LogIndex,
        log: &'static [Term],
        commit: LogIndex,
        /// (log_from, entry terms) of the write, if any.
        write: Option<(LogIndex, &'static [Term])>,
    }
    let cases = [
        Case {
            name: "prev past the end",
            prev: (5, 3),
            entries: &[4],
            leader_commit: 4,
            success: false,
            index: 4,
            log: &[1, 1, 2, 3],
            commit: 0,
            write: None,
        },
        Case {
            name: "prev_log_term mismatch",
            prev: (4, 2),
            entries: &[4],
            leader_commit: 4,
            success: false,
            index: 3,
            log: &[1, 1, 2, 3],
            commit: 0,
            write: None,
        },
        Case {
            name: "conflict at the last entry",
            prev: (2, 1),
            entries: &[2, 2],
            leader_commit: 0,
            success: true,
            index: 4,
            log: &[1, 1, 2, 2],
            commit: 0,
            write: Some((4, &[2])),
        },
        Case {
            name: "conflict truncates everything after it",
            prev: (1, 1),
            entries: &[4],
            leader_commit: 9,
            success: true,
            index: 2,
            log: &[1, 4],
            commit: 2,
            write: Some((2, &[4])),
        },
        Case {
            name: "append at the end, commit capped by the last new entry",
            prev: (4, 3),
            entries: &[4, 4],
            leader_commit: 10,
            success: true,
            index: 6,
            log: &[1, 1, 2, 3, 4, 4],
            commit: 6,
            write: Some((5, &[4, 4])),
        },
        Case {
            name: "heartbeat: commit capped by prev, nothing removed",
            prev: (2, 1),
            entries: &[],
            leader_commit: 4,
            success: true,
            index: 2,
            log: &[1, 1, 2, 3],
            commit: 2,
            write: None,
        },
        Case {
            name: "entries already present: nothing removed",
            prev: (1, 1),
            entries: &[1, 2],
            leader_commit: 3,
            success: true,
            index: 3,
            log: &[1, 1, 2, 3],
            commit: 3,
            write: None,
        },
        Case {
            name: "commit below the last new entry",
            prev: (4, 3),
            entries: &[4],
            leader_commit: 1,
            success: true,
            index: 5,
            log: &[1, 1, 2, 3, 4],
            commit: 1,
            write: Some((5, &[4])),
        },
        Case {
            name: "from the empty prefix",
            prev: (0, 0),
            entries: &[4],
            leader_commit: 1,
            success: true,
            index: 1,
            log: &[4],
            commit: 1,
            write: Some((1, &[4])),
        },
    ];
    for case in cases {
        let mut node = start(
            N2,
            3,
            classic(false, false, false),
            hard(3, None, &[1, 1, 2, 3]),
            ms(0),
        );
        let msg = append(
            4,
            case.prev.0,
            case.prev.1,
            case.entries,
            case.leader_commit,
        );
        let out = deliver(&mut node, ms(10), N1, msg);
        let name = case.name;
        assert_eq!(
            reply_to(&out, N1),
            append_resp(4, case.success, case.index),
            "{name}"
        );
        assert_eq!(log_terms(&node), case.log, "{name}");
        let status = node.status();
        assert_eq!(status.commit_index, case.commit, "{name}");
        assert_eq!((status.term, status.leader), (4, Some(N1)), "{name}");
        // Writes that touch the log (log_from 5 with no entries only
        // records the new term).
        let log_writes: Vec<(LogIndex, Vec<Term>)> = persists(&out)
            .iter()
            .filter(|w| !(w.log_from == 5 && w.entries.is_empty()))
            .map(|w| (w.log_from, w.entries.iter().map(|e| e.term).collect()))
            .collect();
        let expected: Vec<(LogIndex, Vec<Term>)> = case
            .write
            .map(|(from, terms)| (from, terms.to_vec()))
            .into_iter()
            .collect();
        assert_eq!(log_writes, expected, "{name}");
    }
}

// ----- 10. DLedger's voter --------------------------------------------

fn dl_vote(term: Term, ledger_end_term: Term, ledger_end_index: LogIndex, round: u64) -> Message {
    Message::DlVote(DlVote {
        term,
        ledger_end_term,
        ledger_end_index,
        round,
    })
}

fn dl_vote_reply(term: Term, result: VoteResult, round: u64) -> Message {
    Message::DlVoteReply(DlVoteReply {
        term,
        result,
        round,
    })
}

fn dl_heartbeat(term: Term, round: u64) -> Message {
    Message::DlHeartbeat(DlHeartbeat { term, round })
}

fn dl_heartbeat_reply(term: Term, code: HeartbeatCode, round: u64) -> Message {
    Message::DlHeartbeatReply(DlHeartbeatReply { term, code, round })
}

#[test]
fn dledger_voter_checks_in_order() {
    struct Case {
        name: &'static str,
        // The voter (node 1 of 3): term, vote, leader (installed by a
        // heartbeat) and log.
        term: Term,
        voted_for: Option<NodeId>,
        leader: Option<NodeId>,
        log: &'static [Term],
        // The request from node 2: (term, ledger end term, ledger end index).
        request: (Term, Term, LogIndex),
        result: VoteResult,
        reply_term: Term,
    }
    let log: &[Term] = &[1, 3, 3]; // ledger end (term 3, index 3)
    let cases = [
        Case {
            name: "1. lower ledger end term, higher request term",
            term: 5,
            voted_for: None,
            leader: Some(N3),
            log,
            request: (9, 2, 9),
            result: VoteResult::RejectExpiredLedgerTerm,
            reply_term: 5,
        },
        Case {
            name: "2. same ledger end term, smaller index, higher request term",
            term: 5,
            voted_for: None,
            leader: Some(N3),
            log,
            request: (9, 3, 2),
            result: VoteResult::RejectSmallLedgerEndIndex,
            reply_term: 5,
        },
        Case {
            name: "3. lower request term",
            term: 5,
            voted_for: None,
            leader: None,
            log,
            request: (4, 3, 3),
            result: VoteResult::RejectExpiredVoteTerm,
            reply_term: 5,
        },
        Case {
            name: "4. voted for another, has a leader",
            term: 5,
            voted_for: Some(N3),
            leader: Some(N3),
            log,
            request: (5, 3, 3),
            result: VoteResult::RejectAlreadyHasLeader,
            reply_term: 5,
        },
        Case {
            name: "4. voted for another, no leader",
            term: 5,
            voted_for: Some(N3),
            leader: None,
            log,
            request: (5, 3, 3),
            result: VoteResult::RejectAlreadyVoted,
            reply_term: 5,
        },
        Case {
            name: "4. already voted for this candidate",
            term: 5,
            voted_for: Some(N2),
            leader: None,
            log,
            request: (5, 3, 3),
            result: VoteResult::Accept,
            reply_term: 5,
        },
        Case {
            name: "5. higher request term",
            term: 5,
            voted_for: None,
            leader: Some(N3),
            log,
            request: (7, 3, 3),
            result: VoteResult::RejectTermNotReady,
            reply_term: 5,
        },
        Case {
            name: "6. request term below my ledger end term",
            term: 2,
            voted_for: None,
            leader: None,
            log,
            request: (2, 3, 3),
            result: VoteResult::RejectTermSmallThanLedger,
            reply_term: 3,
        },
        Case {
            name: "7. accept (a follower without a vote in this term)",
            term: 5,
            voted_for: None,
            leader: Some(N3),
            log,
            request: (5, 4, 1),
            result: VoteResult::Accept,
            reply_term: 5,
        },
    ];
    for case in cases {
        let name = case.name;
        let mut node = start(
            N1,
            3,
            dledger(),
            hard(case.term, case.voted_for, case.log),
            ms(0),
        );
        if let Some(leader) = case.leader {
            deliver(&mut node, ms(1), leader, dl_heartbeat(case.term, 1));
            assert_eq!(node.status().leader, Some(leader), "{name}");
        }
        let before = node.status();
        let known_before = dl(&node).known_max_term();
        let (term, end_term, end_index) = case.request;
        let out = deliver(
            &mut node,
            ms(10),
            N2,
            dl_vote(term, end_term, end_index, 42),
        );
        assert_eq!(
            reply_to(&out, N2),
            dl_vote_reply(case.reply_term, case.result, 42),
            "{name}"
        );
        let after = node.status();
        assert_eq!(
            after.term, before.term,
            "the voter never changes its term: {name}"
        );
        match case.result {
            VoteResult::Accept => {
                assert_eq!(after.voted_for, Some(N2), "{name}");
                assert_eq!(
                    (after.role, after.leader),
                    (before.role, before.leader),
                    "{name}"
                );
                assert!(!any_timer_action(&out), "timers untouched: {name}: {out:?}");
                if before.voted_for != Some(N2) {
                    assert!(
                        persists(&out).iter().any(|w| w.voted_for == Some(N2)),
                        "{name}: {out:?}"
                    );
                }
            }
            VoteResult::RejectTermNotReady => {
                assert_eq!(after.voted_for, before.voted_for, "{name}");
                assert_eq!(
                    (after.role, after.leader),
                    (Role::Candidate, None),
                    "{name}"
                );
                assert!(dl(&node).need_increase_term_immediately, "{name}");
                assert_eq!(dl(&node).known_max_term(), 7, "{name}");
                assert_eq!(
                    timer_set(&out, TimerKind::VoteRound),
                    Some(ms(10)),
                    "{name}"
                );
            }
            _ => {
                // A refusal changes nothing: in particular a stale candidate
                // with a higher term pushes neither term nor known max term.
                assert_eq!(after, before, "{name}");
                assert_eq!(dl(&node).known_max_term(), known_before, "{name}");
                assert!(!dl(&node).need_increase_term_immediately, "{name}");
                assert!(persists(&out).is_empty(), "{name}: {out:?}");
            }
        }
    }
}

// ----- 11. DLedger's candidate round ----------------------------------

/// Node 1 of 3, term 3, log terms [1, 2], starts a vote round at 0 ms.
/// Returns the node, the round number and the round's deadline.
fn dl_candidate() -> (Node, u64, Instant) {
    let (mut node, out) = start_out(N1, 3, dledger(), hard(3, None, &[1, 2]), ms(0));
    assert_eq!(node.status().role, Role::Candidate);
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(ms(0)));
    let out = fire(&mut node, ms(0), TimerKind::VoteRound);
    assert_eq!(notes(&out), [Note::CampaignStarted { term: 3 }]);
    let round = match reply_to(&out, N2) {
        Message::DlVote(DlVote {
            term: 3,
            ledger_end_term: 2,
            ledger_end_index: 2,
            round,
        }) => round,
        other => panic!("expected a DlVote: {other:?}"),
    };
    assert_eq!(reply_to(&out, N3), dl_vote(3, 2, 2, round));
    let deadline = timer_set(&out, TimerKind::VoteRound).expect("round deadline");
    assert!(deadline >= ms(2000) && deadline < ms(3000), "{deadline}");
    assert_eq!(node.status().voted_for, Some(N1), "votes for itself");
    (node, round, deadline)
}

/// The term of the DlVotes in `out`, if it starts a round.
fn dl_vote_term(out: &[Action]) -> Option<Term> {
    sends(out).into_iter().find_map(|(_, m)| match m {
        Message::DlVote(DlVote { term, .. }) => Some(term),
        _ => None,
    })
}

fn in_range(at: Instant, from_ms: u64, to_ms: u64) -> bool {
    at >= ms(from_ms) && at < ms(to_ms)
}

#[test]
fn dledger_round_row1_higher_known_term_wins_over_a_quorum() {
    let (mut node, round, _) = dl_candidate();
    deliver(
        &mut node,
        ms(5),
        N2,
        dl_vote_reply(9, VoteResult::RejectExpiredVoteTerm, round),
    );
    assert!(
        dl(&node).vote_round.is_some(),
        "one reply of two: the round goes on"
    );
    // An accept makes a quorum, but row 1 comes first.
    let out = deliver(
        &mut node,
        ms(6),
        N3,
        dl_vote_reply(3, VoteResult::Accept, round),
    );
    assert_eq!(dl(&node).last_parse_result(), ParseResult::WaitToVoteNext);
    assert_eq!(node.status().role, Role::Candidate);
    assert_eq!(dl(&node).known_max_term(), 9);
    let next = dl(&node).next_vote_at;
    assert!(in_range(next, 6 + 300, 6 + 1000), "{next}");
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(next));
    // The next round jumps straight to the known max term.
    let out = fire(&mut node, next, TimerKind::VoteRound);
    assert_eq!(dl_vote_term(&out), Some(9));
    assert_eq!(node.status().term, 9);
}

#[test]
fn dledger_round_row2_a_voter_with_a_leader_ends_the_round() {
    let (mut node, round, _) = dl_candidate();
    let out = deliver(
        &mut node,
        ms(5),
        N2,
        dl_vote_reply(3, VoteResult::RejectAlreadyHasLeader, round),
    );
    assert!(
        dl(&node).vote_round.is_none(),
        "has_leader ends the round early"
    );
    assert_eq!(dl(&node).last_parse_result(), ParseResult::WaitToRevote);
    assert_eq!(node.status().role, Role::Candidate);
    let next = dl(&node).next_vote_at;
    assert!(in_range(next, 5 + 300 + 6000, 5 + 1000 + 6000), "{next}");
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(next));
}

#[test]
fn dledger_round_row3_no_quorum_of_replies_revotes_in_the_same_term() {
    let (mut node, _, deadline) = dl_candidate();
    let out = fire(&mut node, deadline, TimerKind::VoteRound);
    assert_eq!(dl(&node).last_parse_result(), ParseResult::WaitToRevote);
    let next = dl(&node).next_vote_at;
    let d = deadline.as_us() / 1000;
    assert!(in_range(next, d + 300, d + 1000), "{next}");
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(next));
    // An isolated node re-votes in the same term, forever.
    let mut at = next;
    for _ in 0..5 {
        let out = fire(&mut node, at, TimerKind::VoteRound);
        assert_eq!(dl_vote_term(&out), Some(3));
        let deadline = timer_set(&out, TimerKind::VoteRound).unwrap();
        fire(&mut node, deadline, TimerKind::VoteRound);
        at = dl(&node).next_vote_at;
    }
    assert_eq!(node.status().term, 3);
}

#[test]
fn dledger_round_row4_bigger_ledgers_wait_longer() {
    let (mut node, round, _) = dl_candidate();
    deliver(
        &mut node,
        ms(5),
        N2,
        dl_vote_reply(3, VoteResult::RejectExpiredLedgerTerm, round),
    );
    let out = deliver(
        &mut node,
        ms(6),
        N3,
        dl_vote_reply(3, VoteResult::RejectSmallLedgerEndIndex, round),
    );
    assert!(dl(&node).vote_round.is_none(), "every peer answered");
    assert_eq!(dl(&node).last_parse_result(), ParseResult::WaitToRevote);
    let next = dl(&node).next_vote_at;
    assert!(in_range(next, 6 + 300 + 1000, 6 + 1000 + 1000), "{next}");
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(next));
    assert_eq!(node.status().term, 3);
}

#[test]
fn dledger_round_row5_a_quorum_of_accepts_elects() {
    let (mut node, round, _) = dl_candidate();
    let out = deliver(
        &mut node,
        ms(5),
        N2,
        dl_vote_reply(3, VoteResult::Accept, round),
    );
    assert_eq!(dl(&node).last_parse_result(), ParseResult::Passed);
    let status = node.status();
    assert_eq!(
        (status.role, status.term, status.leader),
        (Role::Leader, 3, Some(N1))
    );
    assert!(cancelled(&out, TimerKind::VoteRound));
    assert!(matches!(
        reply_to_kind(&out, N2, "DlHeartbeat"),
        Message::DlHeartbeat(DlHeartbeat { term: 3, .. })
    ));
    assert!(matches!(
        reply_to_kind(&out, N3, "DlHeartbeat"),
        Message::DlHeartbeat(DlHeartbeat { term: 3, .. })
    ));
    assert_eq!(timer_set(&out, TimerKind::Heartbeat), Some(ms(5 + 2000)));
}

/// The one message of `kind` sent to `to`.
fn reply_to_kind(out: &[Action], to: NodeId, kind: &str) -> Message {
    let mut msgs: Vec<Message> = sent_to(out, to)
        .into_iter()
        .filter(|m| m.kind() == kind)
        .collect();
    assert_eq!(msgs.len(), 1, "expected one {kind} to {to}: {out:?}");
    msgs.pop().unwrap()
}

#[test]
fn dledger_round_row6_not_ready_voters_are_asked_again_at_once() {
    let (mut node, round, _) = dl_candidate();
    let out = deliver(
        &mut node,
        ms(5),
        N2,
        dl_vote_reply(3, VoteResult::RejectTermNotReady, round),
    );
    assert_eq!(
        dl(&node).last_parse_result(),
        ParseResult::RevoteImmediately
    );
    assert_eq!(dl(&node).next_vote_at, ms(5));
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(ms(5)));
    // The next round is in the same term, with a new round number.
    let out = fire(&mut node, ms(5), TimerKind::VoteRound);
    assert_eq!(dl_vote_term(&out), Some(3));
    let next_round = dl(&node).round_seq;
    assert!(next_round > round);
    assert!(notes(&out).is_empty(), "the same campaign goes on");
    // A late reply from the first round is not counted in this one.
    deliver(
        &mut node,
        ms(6),
        N3,
        dl_vote_reply(3, VoteResult::Accept, round),
    );
    assert_eq!(node.status().role, Role::Candidate);
    deliver(
        &mut node,
        ms(7),
        N3,
        dl_vote_reply(3, VoteResult::Accept, next_round),
    );
    assert_eq!(node.status().role, Role::Leader);
}

#[test]
fn dledger_round_row7_a_lost_round_votes_next_in_a_higher_term() {
    let (mut node, round, _) = dl_candidate();
    deliver(
        &mut node,
        ms(5),
        N2,
        dl_vote_reply(3, VoteResult::RejectAlreadyVoted, round),
    );
    let out = deliver(
        &mut node,
        ms(6),
        N3,
        dl_vote_reply(3, VoteResult::RejectAlreadyVoted, round),
    );
    assert_eq!(dl(&node).last_parse_result(), ParseResult::WaitToVoteNext);
    assert_eq!(node.status().role, Role::Candidate);
    let next = dl(&node).next_vote_at;
    assert!(in_range(next, 6 + 300, 6 + 1000), "{next}");
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(next));
    assert_eq!(node.status().term, 3);
    // Too early: nothing happens but re-arming.
    let out = fire(&mut node, ms(6), TimerKind::VoteRound);
    assert_eq!(dl_vote_term(&out), None);
    let out = fire(&mut node, next, TimerKind::VoteRound);
    assert_eq!(dl_vote_term(&out), Some(4));
    assert_eq!(notes(&out), [Note::CampaignStarted { term: 4 }]);
}

// ----- 12. DLedger's heartbeats ---------------------------------------

#[test]
fn dledger_follower_timer_resets_only_on_heartbeats() {
    let mut node = start(N2, 3, dledger(), hard(3, None, &[1]), ms(0));
    let out = deliver(&mut node, ms(10), N1, dl_heartbeat(3, 1));
    assert_eq!(
        reply_to(&out, N1),
        dl_heartbeat_reply(3, HeartbeatCode::Success, 1)
    );
    assert_eq!(
        (node.status().role, node.status().leader),
        (Role::Follower, Some(N1))
    );
    assert_eq!(timer_set(&out, TimerKind::Election), Some(ms(10 + 6000)));

    // Log replication does not keep the follower following.
    let out = deliver(&mut node, ms(1000), N1, append(3, 1, 1, &[3], 0));
    assert_eq!(reply_to(&out, N1), append_resp(3, true, 2));
    assert!(!any_timer_action(&out), "{out:?}");

    let out = deliver(&mut node, ms(2000), N1, dl_heartbeat(3, 2));
    assert_eq!(
        reply_to(&out, N1),
        dl_heartbeat_reply(3, HeartbeatCode::Success, 2)
    );
    assert_eq!(timer_set(&out, TimerKind::Election), Some(ms(2000 + 6000)));

    // Timeout: a candidate in the same term, voting at once.
    let out = fire(&mut node, ms(8000), TimerKind::Election);
    assert_eq!(
        (node.status().role, node.status().term),
        (Role::Candidate, 3)
    );
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(ms(8000)));
    let out = fire(&mut node, ms(8000), TimerKind::VoteRound);
    assert_eq!(dl_vote_term(&out), Some(3));
}

#[test]
fn dledger_follower_timeout_votes_in_the_same_term_after_a_lost_round() {
    // A candidate loses a round (WAIT_TO_VOTE_NEXT), then follows the
    // winner of that term. When the winner goes quiet it must stand in the
    // same term (DLEDGER.md "Follower"; DLedger's changeRoleToFollower
    // resets lastParseResult to WAIT_TO_REVOTE).
    let (mut node, round, _) = dl_candidate();
    deliver(
        &mut node,
        ms(5),
        N2,
        dl_vote_reply(3, VoteResult::RejectAlreadyVoted, round),
    );
    deliver(
        &mut node,
        ms(6),
        N3,
        dl_vote_reply(3, VoteResult::RejectAlreadyVoted, round),
    );
    assert_eq!(dl(&node).last_parse_result(), ParseResult::WaitToVoteNext);
    deliver(&mut node, ms(10), N2, dl_heartbeat(3, 1));
    assert_eq!(
        (node.status().role, node.status().leader),
        (Role::Follower, Some(N2))
    );

    fire(&mut node, ms(6010), TimerKind::Election);
    assert_eq!(node.status().role, Role::Candidate);
    let out = fire(&mut node, ms(6010), TimerKind::VoteRound);
    assert_eq!(dl_vote_term(&out), Some(3), "{out:?}");
    assert_eq!(node.status().term, 3);
}

#[test]
fn dledger_heartbeat_receiver_codes() {
    // A follower of node 1 in term 5.
    let follower = || {
        let mut node = start(N2, 3, dledger(), hard(5, None, &[1]), ms(0));
        deliver(&mut node, ms(1), N1, dl_heartbeat(5, 1));
        node
    };

    // Lower term: EXPIRED_TERM with my term, nothing changes.
    let mut node = follower();
    let before = node.status();
    let out = deliver(&mut node, ms(10), N3, dl_heartbeat(4, 7));
    assert_eq!(
        reply_to(&out, N3),
        dl_heartbeat_reply(5, HeartbeatCode::ExpiredTerm, 7)
    );
    assert_eq!(node.status(), before);

    // Same term, another leader: INCONSISTENT_LEADER, nothing changes.
    let out = deliver(&mut node, ms(10), N3, dl_heartbeat(5, 7));
    assert_eq!(
        reply_to(&out, N3),
        dl_heartbeat_reply(5, HeartbeatCode::InconsistentLeader, 7)
    );
    assert_eq!(node.status(), before);
    assert!(!any_timer_action(&out), "{out:?}");

    // Higher term: candidate, term not yet adopted, TERM_NOT_READY.
    let mut node = follower();
    let out = deliver(&mut node, ms(10), N3, dl_heartbeat(8, 7));
    assert_eq!(
        reply_to(&out, N3),
        dl_heartbeat_reply(5, HeartbeatCode::TermNotReady, 7)
    );
    let status = node.status();
    assert_eq!(
        (status.role, status.term, status.leader),
        (Role::Candidate, 5, None)
    );
    assert!(dl(&node).need_increase_term_immediately);
    assert_eq!(dl(&node).known_max_term(), 8);
    assert!(cancelled(&out, TimerKind::Election));
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(ms(10)));
    // The next tick only adopts the term; the vote comes later.
    let out = fire(&mut node, ms(10), TimerKind::VoteRound);
    assert_eq!(node.status().term, 8);
    assert_eq!(dl_vote_term(&out), None);
    assert!(!dl(&node).need_increase_term_immediately);
    let next = dl(&node).next_vote_at;
    assert!(in_range(next, 10 + 300, 10 + 1000), "{next}");
    assert_eq!(timer_set(&out, TimerKind::VoteRound), Some(next));
    let out = fire(&mut node, next, TimerKind::VoteRound);
    assert_eq!(dl_vote_term(&out), Some(8));
}

/// A DLedger leader (node 1 of 3, term 3) elected at 0 ms, and what it
/// emitted when elected (its first heartbeats).
fn dl_leader() -> (Node, Vec<Action>) {
    let (mut node, round, _) = dl_candidate();
    let out = deliver(
        &mut node,
        ms(0),
        N2,
        dl_vote_reply(3, VoteResult::Accept, round),
    );
    assert_eq!(node.status().role, Role::Leader);
    (node, out)
}

/// The round number of the heartbeats in `out`.
fn heartbeat_round(out: &[Action]) -> u64 {
    match reply_to_kind(out, N2, "DlHeartbeat") {
        Message::DlHeartbeat(DlHeartbeat { round, .. }) => round,
        _ => unreachable!(),
    }
}

#[test]
fn dledger_leader_without_a_quorum_steps_down_after_the_leak() {
    // No heartbeat replies: still leader at 2, 4 and 6 s (6 s is not *more*
    // than 3 x 2 s), candidate in the same term at 8 s.
    let (mut node, _) = dl_leader();
    for t in [2000, 4000, 6000] {
        let out = fire(&mut node, ms(t), TimerKind::Heartbeat);
        assert_eq!(node.status().role, Role::Leader, "at {t} ms");
        assert_eq!(timer_set(&out, TimerKind::Heartbeat), Some(ms(t + 2000)));
    }
    let out = fire(&mut node, ms(8000), TimerKind::Heartbeat);
    let status = node.status();
    assert_eq!(
        (status.role, status.term, status.leader),
        (Role::Candidate, 3, None)
    );
    assert!(cancelled(&out, TimerKind::Heartbeat));
    assert!(cancelled(&out, TimerKind::Replicate));
    assert!(notes(&out).is_empty(), "not a deposition: {out:?}");
    assert!(timer_set(&out, TimerKind::VoteRound).is_some());

    // With one success per round (a quorum of 3 with itself) it stays.
    let (mut node, mut out) = dl_leader();
    for t in [2000, 4000, 6000, 8000, 10000] {
        let round = heartbeat_round(&out);
        deliver(
            &mut node,
            ms(t - 1990),
            N2,
            dl_heartbeat_reply(3, HeartbeatCode::Success, round),
        );
        out = fire(&mut node, ms(t), TimerKind::Heartbeat);
        assert_eq!(node.status().role, Role::Leader, "at {t} ms");
    }
}

#[test]
fn dledger_leader_seeing_a_higher_term_steps_down_with_it_known() {
    let (mut node, _) = dl_leader();
    let out = fire(&mut node, ms(2000), TimerKind::Heartbeat);
    let round = heartbeat_round(&out);
    deliver(
        &mut node,
        ms(2001),
        N2,
        dl_heartbeat_reply(9, HeartbeatCode::ExpiredTerm, round),
    );
    let out = deliver(
        &mut node,
        ms(2002),
        N3,
        dl_heartbeat_reply(3, HeartbeatCode::Success, round),
    );
    let status = node.status();
    assert_eq!((status.role, status.term), (Role::Candidate, 3));
    assert_eq!(dl(&node).known_max_term(), 9);
    assert_eq!(notes(&out), [Note::Deposed { by_term: 9 }]);
}

fn dl(node: &Node) -> &DLedgerState {
    node.dledger().expect("a DLedger node")
}
