//! The simulated network. Owns links (a directed graph: an edge is a working
//! link), their latency/loss/duplication, and every network random draw.
//! It decides a message's fate when it is sent; the cluster checks the link
//! again when the message would be delivered.

use std::collections::hash_map::DefaultHasher;
use std::hash::BuildHasherDefault;

use petgraph::matrix_graph::{MatrixGraph, NodeIndex};

use crate::node::{NodeId, NodeSet};
use crate::rng::{Purpose, Stream};
use crate::time::Instant;

/// Network behaviour, resolved (times in microseconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetworkConfig {
    pub latency_us: (u64, u64),
    pub loss: f64,
    pub duplicate: f64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            latency_us: (1_000, 5_000),
            loss: 0.0,
            duplicate: 0.0,
        }
    }
}

/// A partial change to the network defaults (`set_network`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NetworkPatch {
    pub latency_us: Option<(u64, u64)>,
    pub loss: Option<f64>,
    pub duplicate: Option<f64>,
}

/// Per-link overrides (`set_link`), applied on top of the defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkOverride {
    pub latency_us: Option<(u64, u64)>,
    pub loss: Option<f64>,
    /// Whether the link loses every message that carries a payload (log
    /// entries or a snapshot) while the small ones pass: a path-MTU black
    /// hole.
    pub drop_payloads: Option<bool>,
}

/// What happens to one message the moment it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The link is cut: nothing goes on the wire.
    Cut,
    /// Lost to the link's loss probability.
    Lost,
    /// Arrives at `at` (if the link still works then), and a second copy at
    /// `duplicate_at` if the network duplicated it.
    Arrives {
        at: Instant,
        duplicate_at: Option<Instant>,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetworkCounters {
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub duplicated: u64,
}

type FixedHasher = BuildHasherDefault<DefaultHasher>;

pub struct Network {
    nodes: usize,
    links: MatrixGraph<(), (), FixedHasher>,
    defaults: NetworkConfig,
    overrides: Vec<LinkOverride>,
    streams: Vec<Stream>,
    pub counters: NetworkCounters,
}

fn ix(node: NodeId) -> NodeIndex {
    NodeIndex::new(node.index())
}

impl Network {
    /// A full mesh of `nodes` nodes, every link working.
    pub fn new(nodes: usize, seed: u64, defaults: NetworkConfig) -> Network {
        // Link streams are numbered from * MAX_NODES + to.
        assert!(
            nodes <= crate::node::MAX_NODES,
            "a network of {nodes} nodes, more than {}",
            crate::node::MAX_NODES
        );
        assert!(
            defaults.latency_us.0 <= defaults.latency_us.1,
            "validation orders latency ranges"
        );
        let mut links = MatrixGraph::with_capacity(nodes);
        for _ in 0..nodes {
            links.add_node(());
        }
        let mut streams = Vec::with_capacity(nodes * nodes);
        for from in 0..nodes {
            for to in 0..nodes {
                streams.push(Stream::new(
                    seed,
                    Purpose::Link,
                    (from * crate::node::MAX_NODES + to) as u64,
                ));
            }
        }
        let mut network = Network {
            nodes,
            links,
            defaults,
            overrides: vec![LinkOverride::default(); nodes * nodes],
            streams,
            counters: NetworkCounters::default(),
        };
        network.heal();
        assert_eq!(network.streams.len(), nodes * nodes);
        network
    }

    fn slot(&self, from: NodeId, to: NodeId) -> usize {
        debug_assert!(
            from.index() < self.nodes && to.index() < self.nodes,
            "link {from}->{to} outside a network of {} nodes",
            self.nodes
        );
        from.index() * self.nodes + to.index()
    }

    fn all_nodes(&self) -> impl Iterator<Item = NodeId> {
        (0..self.nodes).map(NodeId::from_index)
    }

    pub fn link_up(&self, from: NodeId, to: NodeId) -> bool {
        self.links.has_edge(ix(from), ix(to))
    }

    pub fn cut_oneway(&mut self, from: NodeId, to: NodeId) {
        if self.link_up(from, to) {
            self.links.remove_edge(ix(from), ix(to));
        }
        debug_assert!(!self.link_up(from, to), "link {from}->{to} cut");
    }

    pub fn restore_oneway(&mut self, from: NodeId, to: NodeId) {
        if from != to {
            self.links.update_edge(ix(from), ix(to), ());
        }
        debug_assert!(
            self.link_up(from, to) == (from != to),
            "link {from}->{to} restored (a node has no link to itself)"
        );
    }

    pub fn cut(&mut self, a: NodeId, b: NodeId) {
        self.cut_oneway(a, b);
        self.cut_oneway(b, a);
    }

    pub fn restore(&mut self, a: NodeId, b: NodeId) {
        self.restore_oneway(a, b);
        self.restore_oneway(b, a);
    }

    /// Cuts every link to and from `node`.
    pub fn isolate(&mut self, node: NodeId) {
        for other in self.all_nodes().collect::<Vec<_>>() {
            self.cut(node, other);
        }
    }

    /// Cuts every link between nodes of different groups.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        let mut group_of = vec![usize::MAX; self.nodes];
        for (g, group) in groups.iter().enumerate() {
            for node in group {
                debug_assert_eq!(
                    group_of[node.index()],
                    usize::MAX,
                    "node {node} in two groups (validation lists every node once)"
                );
                group_of[node.index()] = g;
            }
        }
        for a in 0..self.nodes {
            for b in 0..self.nodes {
                if group_of[a] != group_of[b] {
                    self.cut_oneway(NodeId::from_index(a), NodeId::from_index(b));
                }
            }
        }
        debug_assert!(
            groups.iter().all(|g| g.iter().all(|&a| self
                .all_nodes()
                .filter(|&b| !g.contains(&b))
                .all(|b| !self.link_up(a, b)))),
            "no link leaves a group"
        );
    }

    /// Every link works again.
    pub fn heal(&mut self) {
        for a in 0..self.nodes {
            for b in 0..self.nodes {
                self.restore_oneway(NodeId::from_index(a), NodeId::from_index(b));
            }
        }
    }

    /// Back to `defaults` (per-link overrides stay).
    pub fn reset(&mut self, defaults: NetworkConfig) {
        self.defaults = defaults;
    }

    pub fn apply_patch(&mut self, patch: NetworkPatch) {
        debug_assert!(patch.latency_us.is_none_or(|(min, max)| min <= max));
        debug_assert!(patch.loss.is_none_or(|p| (0.0..=1.0).contains(&p)));
        debug_assert!(patch.duplicate.is_none_or(|p| (0.0..=1.0).contains(&p)));
        if let Some(latency) = patch.latency_us {
            self.defaults.latency_us = latency;
        }
        if let Some(loss) = patch.loss {
            self.defaults.loss = loss;
        }
        if let Some(duplicate) = patch.duplicate {
            self.defaults.duplicate = duplicate;
        }
    }

    /// Overrides loss/latency of the links between `a` and `b`, both ways.
    pub fn set_link(&mut self, a: NodeId, b: NodeId, link: LinkOverride) {
        for (from, to) in [(a, b), (b, a)] {
            let slot = self.slot(from, to);
            let current = &mut self.overrides[slot];
            current.latency_us = link.latency_us.or(current.latency_us);
            current.loss = link.loss.or(current.loss);
            current.drop_payloads = link.drop_payloads.or(current.drop_payloads);
        }
    }

    /// Decides the fate of a message sent now; `carries_payload` says
    /// whether it carries log entries or a snapshot (asked only of a link
    /// that drops payloads). Always makes the same four draws from the
    /// link's stream, so that variants sending the same messages see the
    /// same network (common random numbers).
    ///
    /// Inlined into the cluster's one caller: a call per message cost
    /// 2.4% of the benchmark's wall time (docs/PERFORMANCE.md: the
    /// per-message calls).
    #[inline(always)]
    pub fn send(
        &mut self,
        now: Instant,
        from: NodeId,
        to: NodeId,
        carries_payload: impl FnOnce() -> bool,
    ) -> Fate {
        self.counters.sent += 1;
        let slot = self.slot(from, to);
        let link = self.overrides[slot];
        let (min, max) = link.latency_us.unwrap_or(self.defaults.latency_us);
        let loss = link.loss.unwrap_or(self.defaults.loss);
        let duplicate = self.defaults.duplicate;
        debug_assert!(from != to, "a node never sends to itself");
        debug_assert!(min <= max, "a latency range is ordered");
        debug_assert!((0.0..=1.0).contains(&loss) && (0.0..=1.0).contains(&duplicate));
        let stream = &mut self.streams[slot];
        let lost = stream.chance(loss);
        let latency = stream.between(min, max);
        let duplicated = stream.chance(duplicate);
        let duplicate_latency = stream.between(min, max);
        if !self.link_up(from, to) {
            self.counters.dropped += 1;
            return Fate::Cut;
        }
        if lost || (link.drop_payloads == Some(true) && carries_payload()) {
            self.counters.dropped += 1;
            return Fate::Lost;
        }
        let duplicate_at = duplicated.then(|| {
            self.counters.duplicated += 1;
            now.plus_us(duplicate_latency)
        });
        debug_assert!(
            self.counters.delivered + self.counters.dropped
                <= self.counters.sent + self.counters.duplicated,
            "no message arrives or is dropped that was not sent"
        );
        debug_assert!(
            (min..=max).contains(&latency) && (min..=max).contains(&duplicate_latency),
            "a latency drawn within the link's range"
        );
        Fate::Arrives {
            at: now.plus_us(latency),
            duplicate_at,
        }
    }

    /// The nodes of `live` that `node` has working links to both ways,
    /// itself included (if it is live): whom it can reach. Whether they are
    /// a majority is the configuration's business.
    pub fn reachable(&self, node: NodeId, live: NodeSet) -> NodeSet {
        let reachable = NodeSet::of(live.iter().filter(|&other| {
            other == node || (self.link_up(node, other) && self.link_up(other, node))
        }));
        debug_assert!(
            reachable.minus(live).is_empty() && reachable.contains(node) == live.contains(node),
            "only live nodes are reached, the node itself if it is live"
        );
        reachable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn isolate_partition_restore_heal() {
        let mut net = Network::new(5, 1, NetworkConfig::default());
        assert!(net.link_up(n(1), n(2)));
        net.isolate(n(3));
        assert!(!net.link_up(n(3), n(1)) && !net.link_up(n(1), n(3)));
        assert!(net.link_up(n(1), n(2)));
        net.restore(n(3), n(1));
        assert!(net.link_up(n(3), n(1)) && net.link_up(n(1), n(3)));
        assert!(!net.link_up(n(3), n(2)));
        net.heal();
        net.partition(&[vec![n(1), n(2)], vec![n(3), n(4), n(5)]]);
        assert!(net.link_up(n(1), n(2)) && net.link_up(n(4), n(5)));
        assert!(!net.link_up(n(2), n(3)) && !net.link_up(n(5), n(1)));
        net.heal();
        net.cut_oneway(n(1), n(2));
        assert!(!net.link_up(n(1), n(2)) && net.link_up(n(2), n(1)));
    }

    #[test]
    fn reachability_needs_both_directions_and_live_peers() {
        let mut net = Network::new(5, 1, NetworkConfig::default());
        let all = NodeSet::first(5);
        assert_eq!(net.reachable(n(1), all), all);
        net.cut_oneway(n(2), n(1));
        net.cut_oneway(n(1), n(3));
        // Node 1 still reaches 4 and 5 both ways.
        assert_eq!(net.reachable(n(1), all), NodeSet::of([n(1), n(4), n(5)]));
        assert_eq!(
            net.reachable(n(1), all.without(n(4))),
            NodeSet::of([n(1), n(5)])
        );
    }

    #[test]
    fn loss_and_cut_drop_and_draws_stay_aligned() {
        let cfg = NetworkConfig {
            latency_us: (1_000, 1_000),
            loss: 1.0,
            duplicate: 0.0,
        };
        let mut lossy = Network::new(3, 9, cfg);
        assert_eq!(lossy.send(Instant::ZERO, n(1), n(2), || false), Fate::Lost);
        lossy.cut(n(1), n(2));
        assert_eq!(lossy.send(Instant::ZERO, n(1), n(2), || false), Fate::Cut);
        assert_eq!(lossy.counters.dropped, 2);
        // The same link stream gives the same latencies whatever happened.
        let cfg = NetworkConfig {
            latency_us: (1_000, 9_000),
            loss: 0.0,
            duplicate: 0.0,
        };
        let mut a = Network::new(3, 4, cfg);
        let mut b = Network::new(3, 4, cfg);
        b.cut(n(1), n(2));
        let _ = b.send(Instant::ZERO, n(1), n(2), || false);
        let _ = a.send(Instant::ZERO, n(1), n(2), || false);
        b.heal();
        assert_eq!(
            a.send(Instant::ZERO, n(1), n(2), || false),
            b.send(Instant::ZERO, n(1), n(2), || false)
        );
    }

    #[test]
    fn a_link_that_drops_payloads_lets_small_messages_pass() {
        let mut net = Network::new(3, 1, NetworkConfig::default());
        let drop = |on| LinkOverride {
            drop_payloads: Some(on),
            ..LinkOverride::default()
        };
        net.set_link(n(1), n(2), drop(true));
        assert_eq!(net.send(Instant::ZERO, n(1), n(2), || true), Fate::Lost);
        assert_eq!(net.send(Instant::ZERO, n(2), n(1), || true), Fate::Lost);
        assert!(matches!(
            net.send(Instant::ZERO, n(1), n(2), || false),
            Fate::Arrives { .. }
        ));
        assert!(matches!(
            net.send(Instant::ZERO, n(1), n(3), || true),
            Fate::Arrives { .. }
        ));
        // A later override that leaves it out keeps it; `false` lifts it.
        net.set_link(
            n(1),
            n(2),
            LinkOverride {
                loss: Some(0.0),
                ..LinkOverride::default()
            },
        );
        assert_eq!(net.send(Instant::ZERO, n(1), n(2), || true), Fate::Lost);
        net.set_link(n(1), n(2), drop(false));
        assert!(matches!(
            net.send(Instant::ZERO, n(1), n(2), || true),
            Fate::Arrives { .. }
        ));
    }

    #[test]
    fn link_override_applies_both_ways() {
        let mut net = Network::new(3, 1, NetworkConfig::default());
        net.set_link(
            n(1),
            n(2),
            LinkOverride {
                loss: Some(1.0),
                ..LinkOverride::default()
            },
        );
        assert_eq!(net.send(Instant::ZERO, n(2), n(1), || false), Fate::Lost);
        assert!(matches!(
            net.send(Instant::ZERO, n(1), n(3), || false),
            Fate::Arrives { .. }
        ));
    }
}
