//! The membership episodes of the chaos generator
//! (`chaos.membership_per_min`): servers removed and added back, replaced
//! by spares, leadership transferred, and changes racing a leader change.

use super::episodes::{Episode, RACE_AFTER_US};
use super::{Out, MEMBERSHIP_STEP_US};
use crate::faults::{Fault, NodeRef, Request};
use crate::node::{NodeId, NodeSet};
use crate::rng::Stream;
use crate::time::US_PER_MS;

impl Episode {
    /// A membership episode, one of five shapes (drawn): a follower
    /// removed and added back as a learner then promoted; removed and
    /// added back by joint consensus; leadership transferred to a follower;
    /// the race below; and, where the cluster has spare machines, a
    /// follower replaced by a spare and back. Without spares the race is
    /// drawn half the time and the others a sixth each; with spares, a
    /// quarter of the episodes are replacements. Removals are drawn only
    /// with four voters or more, so the cluster never drops below three (a
    /// transfer otherwise; a replacement keeps the count). The requests
    /// that re-add a node wait for a leader, and the node comes back even
    /// when a leader refused the removal (it is then refused as a member
    /// already).
    pub(super) fn membership(&self, rng: &mut Stream, out: &mut Out<'_>) {
        let voters = self.members.len();
        let spares = NodeSet::first(self.nodes).minus(self.members);
        // 0-2: the three plain shapes; 3-5: the race; 6-7: a replacement.
        let shape = match spares.is_empty() {
            true => rng.below(6).min(3),
            false => rng.below(8),
        };
        let k = 1 + rng.below(voters.saturating_sub(1).max(1) as u64) as usize;
        let gap = self.duration.max(4 * MEMBERSHIP_STEP_US) / 4;
        if shape >= 6 {
            let nth = rng.below(spares.len() as u64) as usize;
            let spare = spares.iter().nth(nth).expect("drawn below the count");
            self.replacement(spare, k, gap, out);
            return;
        }
        let shape = shape.min(3);
        if voters < 4 || shape == 2 {
            let target = NodeRef::Follower(k.min(self.nodes.saturating_sub(1)).max(1));
            out.push_waiting_up_to(self.at, self.duration, Request::TransferLeader(target));
            return;
        }
        let v = out.name("V");
        out.open(
            self.at,
            self.duration,
            vec![(v.clone(), NodeRef::Follower(k))],
        );
        let node = || NodeRef::Name(v.clone());
        match shape {
            0 => {
                out.push(self.at, Request::Remove(node()));
                out.push_waiting(self.at + gap, Request::AddLearner(node()));
                out.push_waiting(self.at + 2 * gap, Request::Promote(node()));
                out.readd(self.at + 3 * gap, &v);
            }
            1 => {
                let change = |add: Vec<NodeRef>, remove: Vec<NodeRef>| Request::Change {
                    add,
                    remove,
                    learners: Vec::new(),
                };
                out.push(self.at, change(Vec::new(), vec![node()]));
                out.push_waiting(self.at + gap, change(vec![node()], Vec::new()));
                out.readd(self.at + 2 * gap, &v);
            }
            _ => self.membership_race(&v, k, gap, out),
        }
    }

    /// A follower replaced by the spare machine `spare`, as an operator
    /// replaces a failing one: the spare joins as a learner and catches up,
    /// one joint change swaps it in and the follower out; later the swap is
    /// undone the same way (the follower as a learner first) and the spare
    /// removed.
    fn replacement(&self, spare: NodeId, k: usize, gap: u64, out: &mut Out<'_>) {
        let v = out.name("V");
        out.open(
            self.at,
            self.duration,
            vec![(v.clone(), NodeRef::Follower(k))],
        );
        let node = || NodeRef::Name(v.clone());
        let swap = |add: NodeRef, remove: NodeRef| Request::Change {
            add: vec![add],
            remove: vec![remove],
            learners: Vec::new(),
        };
        out.push_waiting(self.at, Request::AddLearner(NodeRef::Id(spare)));
        out.push_waiting(self.at + gap, swap(NodeRef::Id(spare), node()));
        out.push_waiting(self.at + 2 * gap, Request::AddLearner(node()));
        out.push_waiting(self.at + 3 * gap, swap(node(), NodeRef::Id(spare)));
        out.push_waiting(self.at + 4 * gap, Request::Remove(NodeRef::Id(spare)));
        out.readd(self.at + 4 * gap + MEMBERSHIP_STEP_US / 2, &v);
    }

    /// Changes that race each other and a leader change, where Raft's two
    /// rules for single-server changes matter: a second removal a
    /// millisecond after the first (one uncommitted change at a time), and,
    /// with the removed node added back by a leader cut off from everyone
    /// that then crashes, a removal asked of the next leader the moment it
    /// is elected (not before its term has a committed entry). A correct
    /// leader refuses both; everything is undone afterwards.
    fn membership_race(&self, v: &str, k: usize, gap: u64, out: &mut Out<'_>) {
        let u = out.name("U");
        let other = if k == 1 { 2 } else { k - 1 };
        out.push(
            self.at,
            Fault::Let(vec![(u.clone(), NodeRef::Follower(other))]),
        );
        out.push(self.at, Request::Remove(NodeRef::Name(v.to_string())));
        out.push(
            self.at + US_PER_MS,
            Request::Remove(NodeRef::Name(u.clone())),
        );
        // The node comes back by a leader no one hears, which then crashes:
        // only its disk holds that change.
        // Before the removed node's first election timeout, while the
        // leader it left is still in office (classic Raft's removed node
        // deposes it as soon as it times out).
        let race = self.at + RACE_AFTER_US;
        let leader = out.name("L");
        let links = self.links_of(&leader);
        out.push(race, Fault::Let(vec![(leader.clone(), NodeRef::Leader)]));
        out.push(race, Fault::Isolate(NodeRef::Name(leader.clone())));
        out.push(race, Request::AddVoter(NodeRef::Name(v.to_string())));
        // Its write of the change durable first (fsyncs take milliseconds).
        out.push(
            race + 20 * US_PER_MS,
            Fault::Crash(NodeRef::Name(leader.clone())),
        );
        // Waits for the next leader, and is handed to it as it is elected:
        // the removal of one of its followers.
        let w = out.name("W");
        out.push_waiting(
            race + 21 * US_PER_MS,
            Fault::Let(vec![(w.clone(), NodeRef::Follower(1))]),
        );
        out.push_waiting(
            race + 21 * US_PER_MS,
            Request::Remove(NodeRef::Name(w.clone())),
        );
        // Undone: the leader back, then both nodes voters again.
        let end = race + gap;
        out.push(end, Fault::Restore(links));
        out.push(end, Fault::Restart(NodeRef::Name(leader)));
        out.readd(end + gap, &u);
        out.readd(end + gap + MEMBERSHIP_STEP_US / 3, v);
        out.readd(end + gap + 2 * MEMBERSHIP_STEP_US / 3, &w);
    }
}
