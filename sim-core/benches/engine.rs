//! Micro-benchmarks of the engine's hot paths, so that a regression shows
//! up where it happens: the event queue, the network's per-message draw,
//! the follower's append path. `cargo bench -p sim-core`; the whole
//! engine's figure is `raftsim bench` (docs/PERFORMANCE.md).

use divan::{black_box, Bencher};
use sim_core::network::{Network, NetworkConfig};
use sim_core::node::{Boot, Entry, EntryData, HardState, NodeId, RaftConfig, RaftNode};
use sim_core::raft::{AppendEntries, ClassicNode, Message};
use sim_core::rng::{Purpose, Stream};
use sim_core::scheduler::Scheduler;
use sim_core::time::Instant;

fn main() {
    divan::main();
}

/// The queue at the bench workload's size (about 12 entries): pop the
/// earliest, push one a few milliseconds later.
#[divan::bench(args = [12, 64])]
fn queue_pop_push(bencher: Bencher, size: u64) {
    let mut queue = Scheduler::default();
    let mut draws = Stream::new(1, Purpose::Chaos, 0);
    for i in 0..size {
        queue.push(Instant::from_us(draws.below(5_000)), i);
    }
    bencher.bench_local(|| {
        let (at, event) = queue.pop().expect("never empty");
        queue.push(at.plus_us(1_000 + draws.below(4_000)), black_box(event));
    });
}

/// One message's fate on a lossy link: four draws and the link check.
#[divan::bench]
fn network_send(bencher: Bencher) {
    let config = NetworkConfig {
        loss: 0.01,
        ..NetworkConfig::default()
    };
    let mut network = Network::new(5, 1, config);
    bencher.bench_local(|| network.send(Instant::ZERO, NodeId(1), black_box(NodeId(2)), || false));
}

/// A follower accepting one AppendEntries of one entry after another, and
/// the durable write that follows.
#[divan::bench]
fn follower_append(bencher: Bencher) {
    let mut out = Vec::new();
    let config = RaftConfig::default();
    let boot = Boot {
        id: NodeId(2),
        cluster_size: 5,
        config: &config,
        rng: Stream::new(1, Purpose::NodeTimers, 2),
        disk: HardState::default(),
        now: Instant::ZERO,
    };
    let mut node = ClassicNode::start(boot, &mut out);
    let mut index = 0;
    let mut now = Instant::ZERO;
    bencher.bench_local(|| {
        out.clear();
        now = now.plus_us(1_000);
        let msg = Message::AppendEntries(AppendEntries {
            term: 1,
            prev_log_index: index,
            prev_log_term: u64::from(index > 0),
            entries: vec![Entry {
                term: 1,
                data: EntryData::Proposal(index),
            }],
            leader_commit: index,
        });
        node.on_message(now, NodeId(1), msg, &mut out);
        index += 1;
        RaftNode::on_persisted(&mut node, now, index, &mut out);
    });
}
