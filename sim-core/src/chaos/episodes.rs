//! The targeted episodes: each aims at a role and a moment (the leader of
//! the moment, a node just restarted with a stale log, the voters of a
//! split vote, a stale leader, the whole cluster with writes in flight),
//! binding the nodes it acts on with a `let` when it starts. With
//! `episodes_wait` that opening `let` waits, up to the episode's duration,
//! for its roles (a cluster without a leader elects one first), and the
//! episode's other events are timed from it (`Out::open`). The membership
//! episodes are in `membership.rs`.

use super::{draw_ms, Out, Targeted};
use crate::faults::{Fault, NodeRef};
use crate::node::{NodeId, NodeSet};
use crate::rng::Stream;
use crate::time::US_PER_MS;

/// A targeted episode starting at `at` (µs) and lasting `duration` (µs).
pub(super) struct Episode {
    pub(super) at: u64,
    pub(super) duration: u64,
    pub(super) nodes: usize,
    /// The nodes that start as voters.
    pub(super) members: NodeSet,
}

/// The shapes of the targeted episodes, in milliseconds.
const STALE_LEADER_CRASH_MS: (u64, u64) = (50, 300);
const STALE_LEADER_DOWN_MS: (u64, u64) = (100, 1_000);
pub(super) const FLAP_PERIOD_MS: (u64, u64) = (10, 40);
const POWER_DOWN_MS: (u64, u64) = (1, 100);
/// How long after a split vote's winner crashed it comes back: longer than
/// any message it sent as it won takes to arrive (dropped on arrival).
const ROUND_RESTORE_US: u64 = 20 * US_PER_MS;
/// A split vote episode has a round for every this much of its duration
/// (an election takes at least a minimum timeout, 150 ms by default).
const ROUND_US: u64 = 200 * US_PER_MS;
/// The most rounds of one split vote episode.
const MAX_ROUNDS: u64 = 4;
/// When a race episode's leader is cut off, after its first removal.
pub(super) const RACE_AFTER_US: u64 = 50 * US_PER_MS;

fn ms(range: (u64, u64)) -> (u64, u64) {
    (range.0 * US_PER_MS, range.1 * US_PER_MS)
}

impl Episode {
    pub(super) fn draw(&self, kind: Targeted, rng: &mut Stream, out: &mut Out<'_>) {
        debug_assert!(
            !self.members.is_empty() && self.members.minus(NodeSet::first(self.nodes)).is_empty(),
            "an episode's voters are machines of the cluster: {:?} of {}",
            self.members,
            self.nodes
        );
        match kind {
            Targeted::LeaderCrash => self.leader_crash(out),
            Targeted::StaleRejoin => self.stale_rejoin(rng, out),
            Targeted::SplitVote => self.split_vote(rng, out),
            Targeted::StaleLeader => self.stale_leader(rng, out),
            Targeted::PowerFailure => self.power_failure(rng, out),
            Targeted::RestartStorm => self.restart_storm(out),
            Targeted::Membership => self.membership(rng, out),
        }
    }

    /// The leader of the moment crashes; it restarts when the fault ends.
    fn leader_crash(&self, out: &mut Out<'_>) {
        let leader = out.name("L");
        out.open(
            self.at,
            self.duration,
            vec![(leader.clone(), NodeRef::Leader)],
        );
        out.push(self.at, Fault::Crash(NodeRef::Name(leader.clone())));
        out.push(
            self.at + self.duration,
            Fault::Restart(NodeRef::Name(leader)),
        );
    }

    /// A follower is down for the fault's duration (its log falls behind).
    /// As it restarts, the leader crashes and the other followers are cut
    /// from each other, so the stale node is the only one that can gather
    /// a majority; all ends one more duration later.
    fn stale_rejoin(&self, rng: &mut Stream, out: &mut Out<'_>) {
        let k = 1 + rng.below(self.nodes.saturating_sub(1).max(1) as u64) as usize;
        if self.nodes < 3 {
            return;
        }
        let stale = out.name("S");
        let leader = out.name("L");
        let followers: Vec<String> = (1..=self.nodes - 2)
            .map(|i| out.name(&format!("F{i}")))
            .collect();
        let mut bind: Vec<(String, NodeRef)> = followers
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), NodeRef::Follower(i + 1)))
            .collect();
        bind.push((leader.clone(), NodeRef::Leader));
        let pairs: Vec<(NodeRef, NodeRef)> = followers
            .iter()
            .enumerate()
            .flat_map(|(i, a)| {
                followers[i + 1..]
                    .iter()
                    .map(move |b| (NodeRef::Name(a.clone()), NodeRef::Name(b.clone())))
            })
            .collect();
        let rejoin = self.at + self.duration;
        out.open(
            self.at,
            self.duration,
            vec![(stale.clone(), NodeRef::Follower(k))],
        );
        out.push(self.at, Fault::Crash(NodeRef::Name(stale.clone())));
        out.push(rejoin, Fault::Let(bind));
        if !pairs.is_empty() {
            out.push(rejoin, Fault::Cut(pairs.clone()));
        }
        out.push(rejoin, Fault::Restart(NodeRef::Name(stale)));
        out.push(rejoin, Fault::Crash(NodeRef::Name(leader.clone())));
        let end = rejoin + self.duration;
        if !pairs.is_empty() {
            out.push(end, Fault::Restore(pairs));
        }
        out.push(end, Fault::Restart(NodeRef::Name(leader)));
    }

    /// The leader crashes and followers 1 and 2 are cut from each other, so
    /// each can campaign in a term the other never hears of; every other
    /// follower crashes and restarts every few milliseconds (forgetting
    /// what it did not persist) until the fault ends, when the links and
    /// the leader come back. With three nodes there is no other follower:
    /// the crashed leader is the voter, restarting one period after its
    /// crash and then crashing and restarting at once every period, so it
    /// is up for every request of both candidates.
    fn split_vote(&self, rng: &mut Stream, out: &mut Out<'_>) {
        let period = draw_ms(rng, ms(FLAP_PERIOD_MS));
        if self.nodes < 3 {
            return;
        }
        let leader = out.name("L");
        let (a, b) = (out.name("A"), out.name("B"));
        let voters: Vec<String> = (3..self.nodes)
            .map(|i| out.name(&format!("V{i}")))
            .collect();
        // Waiting episodes pick the two most up-to-date followers, which
        // can both win; the others the first two by id, as they always did.
        let freshest = out.episodes_wait;
        let candidate = |k| match freshest {
            true => NodeRef::Freshest(k),
            false => NodeRef::Follower(k),
        };
        out.open(
            self.at,
            self.duration,
            vec![
                (leader.clone(), NodeRef::Leader),
                (a.clone(), candidate(1)),
                (b.clone(), candidate(2)),
            ],
        );
        if freshest {
            // Every node that is down comes back first: with a voter down,
            // neither candidate can gather a majority without the other,
            // and under PreVote neither even starts its campaign.
            for i in 0..self.nodes {
                out.push(self.at, Fault::Restart(NodeRef::Id(NodeId::from_index(i))));
            }
        }
        // One let each: a voter that is down is left out.
        for (i, v) in voters.iter().enumerate() {
            out.push(self.at, Fault::Let(vec![(v.clone(), candidate(i + 3))]));
        }
        out.push(self.at, Fault::Crash(NodeRef::Name(leader.clone())));
        let pair = vec![(NodeRef::Name(a.clone()), NodeRef::Name(b))];
        out.push(self.at, Fault::Cut(pair.clone()));
        // The first leader after the crash is cut off and crashes as it is
        // elected, before its first entry is durable: what it sent as it won
        // is dropped on arrival, so the voters' logs stay as they were and
        // the other candidate's log is still as up to date as theirs.
        // Its let names A too, so it waits only if the setup fired.
        let winner = out.name("W");
        let elected = self.at + US_PER_MS;
        let end = self.at + self.duration;
        if out.episodes_wait {
            self.split_vote_rounds(&a, &pair, out);
        } else {
            let bind = vec![
                (winner.clone(), NodeRef::Leader),
                (out.name("WA"), NodeRef::Name(a)),
            ];
            out.push_waiting(elected, Fault::Let(bind));
            out.push_waiting(elected, Fault::Isolate(NodeRef::Name(winner.clone())));
            out.push_waiting(elected, Fault::Crash(NodeRef::Name(winner.clone())));
        }
        // The first restart at once, with the leader's crash: the voters
        // lose their writes in flight, so their logs are no longer than
        // the candidates'.
        let mut t = self.at;
        while t < end {
            for v in &voters {
                out.push(t, Fault::Crash(NodeRef::Name(v.clone())));
                out.push(t, Fault::Restart(NodeRef::Name(v.clone())));
            }
            if voters.is_empty() && t > self.at {
                if t > self.at + period {
                    out.push(t, Fault::Crash(NodeRef::Name(leader.clone())));
                }
                out.push(t, Fault::Restart(NodeRef::Name(leader.clone())));
            }
            t += period;
        }
        out.push(end, Fault::Restore(pair));
        out.push(end, Fault::Restart(NodeRef::Name(leader)));
        if !out.episodes_wait {
            // A winner elected after the end gets its links back and
            // restarts as it crashes.
            out.push_waiting(end, Fault::Restore(self.links_of(&winner)));
            out.push_waiting(end, Fault::Restart(NodeRef::Name(winner)));
        }
    }

    /// The split vote's rounds, when episodes wait: each leader elected
    /// during the episode is cut off and crashes as it is elected (as the
    /// first one is), and comes back `ROUND_RESTORE_US` later with its
    /// links (the two candidates still cut from each other), so the next
    /// election is split again between candidates that never hear each
    /// other, over voters that keep forgetting what they did not persist.
    /// One round left the outcome to how far apart the two candidates'
    /// timeouts fell; each round is another draw.
    ///
    /// Round k waits for a name the restore of round k-1 binds (`Rk`), so
    /// it binds the leader elected after that restore; every round's `let`
    /// is timed from the opening and gives up `ROUND_RESTORE_US` before
    /// the episode ends, so every restore (which cuts the candidates again)
    /// comes before the end restores their link. A round whose `let` gave
    /// up ends the chain: the later ones name its winner, never bound.
    fn split_vote_rounds(&self, a: &str, pair: &[(NodeRef, NodeRef)], out: &mut Out<'_>) {
        // The episode ends early if the chaos window does (its events are
        // clamped to the window's end).
        let duration = self.duration.min(out.end.as_us().saturating_sub(self.at));
        let rounds = (duration / ROUND_US).clamp(1, MAX_ROUNDS);
        let mut ready = NodeRef::Name(a.to_string());
        for round in 0..rounds {
            // Round 0 keeps the single round's names; it names A, so it
            // waits only if the setup fired.
            let (winner, check) = match round {
                0 => (out.name("W"), out.name("WA")),
                k => (out.name(&format!("W{k}")), out.name(&format!("WR{k}"))),
            };
            // The earliest the round can start, from the opening.
            let offset = US_PER_MS + round * (ROUND_RESTORE_US + US_PER_MS);
            let Some(wait) = duration
                .checked_sub(offset + ROUND_RESTORE_US + US_PER_MS)
                .filter(|&wait| wait > 0)
            else {
                break;
            };
            let due = self.at + offset;
            let bind = vec![(winner.clone(), NodeRef::Leader), (check, ready)];
            out.push_waiting_up_to(due, wait, Fault::Let(bind));
            out.push_waiting(due, Fault::Isolate(NodeRef::Name(winner.clone())));
            out.push_waiting(due, Fault::Crash(NodeRef::Name(winner.clone())));
            let back = (winner.as_str(), ROUND_RESTORE_US);
            let at = due + ROUND_RESTORE_US;
            out.push_after(at, back, Fault::Restart(NodeRef::Name(winner.clone())));
            out.push_after(at, back, Fault::Restore(self.links_of(&winner)));
            out.push_after(at, back, Fault::Cut(pair.to_vec()));
            let next = out.name(&format!("R{}", round + 1));
            if round + 1 < rounds {
                let binds = vec![(next.clone(), NodeRef::Name(winner.clone()))];
                out.push_after(at, back, Fault::Let(binds));
            }
            ready = NodeRef::Name(next);
        }
    }

    /// Every link between the node bound to `name` and each node: what
    /// `restore` re-opens when an episode that isolated it ends.
    pub(super) fn links_of(&self, name: &str) -> Vec<(NodeRef, NodeRef)> {
        (0..self.nodes)
            .map(|i| {
                (
                    NodeRef::Name(name.to_string()),
                    NodeRef::Id(NodeId::from_index(i)),
                )
            })
            .collect()
    }

    /// The leader is isolated (it keeps appending what the client sends it
    /// until a new leader appears), crashes soon after (losing its volatile
    /// commit index), restarts, and its links come back when the fault ends.
    fn stale_leader(&self, rng: &mut Stream, out: &mut Out<'_>) {
        let crash = draw_ms(rng, ms(STALE_LEADER_CRASH_MS));
        let down = draw_ms(rng, ms(STALE_LEADER_DOWN_MS));
        let leader = out.name("L");
        let links = self.links_of(&leader);
        out.open(
            self.at,
            self.duration,
            vec![(leader.clone(), NodeRef::Leader)],
        );
        out.push(self.at, Fault::Isolate(NodeRef::Name(leader.clone())));
        out.push(self.at + crash, Fault::Crash(NodeRef::Name(leader.clone())));
        out.push(
            self.at + crash + down,
            Fault::Restart(NodeRef::Name(leader)),
        );
        let end = (self.at + self.duration).max(self.at + crash + down);
        out.push(end, Fault::Restore(links));
    }

    /// The leader is cut off and every follower crashes at once, losing
    /// the writes in flight; they restart 1-100 ms later (and elect one of
    /// themselves), and the leader's links come back when the fault ends.
    fn power_failure(&self, rng: &mut Stream, out: &mut Out<'_>) {
        let down = draw_ms(rng, ms(POWER_DOWN_MS));
        let leader = out.name("L");
        let links = self.links_of(&leader);
        let followers: Vec<String> = (1..self.nodes)
            .map(|k| out.name(&format!("F{k}")))
            .collect();
        // The leader's let opens the episode; without waiting episodes it
        // comes after the followers', as it always did (the same schedule).
        let opening = vec![(leader.clone(), NodeRef::Leader)];
        if out.episodes_wait {
            out.open(self.at, self.duration, opening.clone());
        }
        // One let each: a follower that is already down is left out.
        for (k, name) in followers.iter().enumerate() {
            out.push(
                self.at,
                Fault::Let(vec![(name.clone(), NodeRef::Follower(k + 1))]),
            );
        }
        if !out.episodes_wait {
            out.open(self.at, self.duration, opening);
        }
        out.push(self.at, Fault::Isolate(NodeRef::Name(leader)));
        for name in &followers {
            out.push(self.at, Fault::Crash(NodeRef::Name(name.clone())));
        }
        for name in &followers {
            out.push(self.at + down, Fault::Restart(NodeRef::Name(name.clone())));
        }
        out.push(self.at + self.duration.max(down), Fault::Restore(links));
    }

    /// For the fault's duration, node `t mod n` crashes and
    /// restarts at every millisecond `t`: every node keeps forgetting
    /// what it did not persist, between two messages of one election.
    fn restart_storm(&self, out: &mut Out<'_>) {
        let end = self.at + self.duration;
        for t in (self.at..end).step_by(US_PER_MS as usize) {
            let node = NodeRef::Id(NodeId::from_index((t / US_PER_MS) as usize % self.nodes));
            out.push(t, Fault::Crash(node.clone()));
            out.push(t, Fault::Restart(node));
        }
    }
}
