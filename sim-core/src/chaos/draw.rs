//! Drawing a chaos schedule as the run goes: each kind's slots are drawn
//! only once the run reaches them, merged into one stream in the order a
//! whole schedule sorted by time would have.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::episodes::Episode;
use super::{blind, draw_ms, BlindShape, ChaosConfig, Kind, Out, SLOT_US};
use crate::faults::ScriptEvent;
use crate::node::NodeSet;
use crate::rng::{Purpose, Stream};
use crate::time::{Instant, US_PER_MS};

/// A run's chaos: the section's settings and the seed, drawn by the
/// engine as the run goes ([`ChaosDraw`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosPlan {
    pub config: ChaosConfig,
    pub seed: u64,
    /// The number the first chaos event has in fault records (after the
    /// scenario file's own events).
    pub first_source: usize,
}

impl ChaosPlan {
    /// The plan's events for a cluster of `nodes` whose voters start as
    /// `members`, numbered from `first_source` on.
    pub fn draw(&self, nodes: usize, members: NodeSet) -> ChaosDraw {
        ChaosDraw {
            first_source: Some(self.first_source),
            ..ChaosDraw::new(&self.config, nodes, members, self.seed)
        }
    }
}

/// Draws the whole chaos schedule of one seed at once: each fault and the
/// events that end it, sorted by time (stably: an episode's events of one
/// instant keep their order). `members` are the nodes that start as
/// voters (the others are spare machines). A run draws the same events as
/// it goes ([`ChaosDraw`]); this is for writing a schedule out (`shrink`)
/// and for tests.
pub fn chaos_schedule(
    chaos: &ChaosConfig,
    nodes: usize,
    members: NodeSet,
    seed: u64,
) -> Vec<ScriptEvent> {
    ChaosDraw::new(chaos, nodes, members, seed).collect()
}

/// The chaos schedule of one seed, drawn as the run goes: each kind's
/// slots are drawn only once the run reaches them, so its memory is the
/// episodes in flight, whatever the run's length. Yields the events
/// [`chaos_schedule`] returns, in its order: by time, then kind (in the
/// order of [`KINDS`]), then the order the episode wrote them.
pub struct ChaosDraw {
    kinds: Vec<KindDraw>,
    /// With a swarm mix per period: which period the kinds' rates are of.
    periods: Option<Periods>,
    end: Instant,
    duration_us: (u64, u64),
    spike_loss: (f64, f64),
    episodes_wait: bool,
    nodes: usize,
    members: NodeSet,
    /// Drawn, not yet yielded, earliest first.
    pending: BinaryHeap<Reverse<Pending>>,
    drawn: u64,
    /// Reused by each slot's draw.
    scratch: Vec<ScriptEvent>,
    /// Numbers the events yielded from here on ([`ScriptEvent::source`]).
    first_source: Option<usize>,
    yielded: usize,
}

/// An event drawn and not yet yielded, ordered by its key alone: (time,
/// the kind's position, the order it was drawn in).
struct Pending {
    key: (Instant, usize, u64),
    event: ScriptEvent,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// The swarm's periods: each draws its own mix ([`ChaosConfig::rates`]).
struct Periods {
    config: ChaosConfig,
    seed: u64,
    start_us: u64,
    period_us: u64,
    /// The period whose rates the kinds hold.
    current: u64,
}

/// One kind's draw: its stream and the next slot it draws.
struct KindDraw {
    kind: Kind,
    /// The probability of an episode per slot.
    p: f64,
    rng: Stream,
    /// The start of the next slot to draw (µs), and its number.
    slot: u64,
    index: u64,
}

impl ChaosDraw {
    pub fn new(chaos: &ChaosConfig, nodes: usize, members: NodeSet, seed: u64) -> ChaosDraw {
        let periods = chaos.swarm.and_then(|s| s.period_us);
        // With a mix per period a kind off in the first may be on later:
        // every kind configured on keeps its stream.
        let kinds = chaos
            .rates(seed, 0)
            .into_iter()
            .filter(|&(kind, per_min)| match periods {
                None => per_min > 0.0,
                Some(_) => chaos.rate(kind) > 0.0,
            })
            .map(|(kind, per_min)| KindDraw {
                kind,
                p: (per_min / 60.0).min(1.0),
                rng: Stream::new(seed, Purpose::Chaos, kind.stream()),
                slot: chaos.start.as_us(),
                index: 0,
            })
            .collect();
        ChaosDraw {
            kinds,
            periods: periods.map(|period_us| Periods {
                config: chaos.clone(),
                seed,
                start_us: chaos.start.as_us(),
                period_us,
                current: 0,
            }),
            end: chaos.end,
            duration_us: chaos.duration_us,
            spike_loss: chaos.spike_loss,
            episodes_wait: chaos.episodes_wait,
            nodes,
            members,
            pending: BinaryHeap::new(),
            drawn: 0,
            scratch: Vec::new(),
            first_source: None,
            yielded: 0,
        }
    }

    /// How many events have been yielded so far.
    pub fn yielded(&self) -> usize {
        self.yielded
    }

    /// The kind whose next slot starts first (the first in order on a tie),
    /// with that slot's start; None once every kind has drawn its last.
    fn next_slot(&self) -> Option<(usize, u64)> {
        let end = self.end.as_us();
        let mut next: Option<(usize, u64)> = None;
        for (position, kind) in self.kinds.iter().enumerate() {
            if kind.slot < end && next.is_none_or(|(_, slot)| kind.slot < slot) {
                next = Some((position, kind.slot));
            }
        }
        next
    }

    /// Gives every kind the rate of the swarm period `slot` starts in (a
    /// pure function of the seed and the period, so the order kinds draw
    /// their slots in never matters).
    fn enter_period(&mut self, slot: u64) {
        let Some(periods) = &mut self.periods else {
            return;
        };
        let period = (slot - periods.start_us) / periods.period_us;
        if period == periods.current {
            return;
        }
        periods.current = period;
        let rates = periods.config.rates(periods.seed, period);
        for draw in &mut self.kinds {
            let (_, per_min) = rates
                .iter()
                .find(|(kind, _)| *kind == draw.kind)
                .expect("every kind has a rate");
            draw.p = (per_min / 60.0).min(1.0);
        }
    }

    /// Draws one slot of the kind at `position` into `pending`.
    fn draw_slot(&mut self, position: usize) {
        self.enter_period(self.kinds[position].slot);
        let mut events = std::mem::take(&mut self.scratch);
        let draw = &mut self.kinds[position];
        let slot = draw.slot;
        let mut out = Out {
            events: &mut events,
            end: self.end,
            stream: draw.kind.stream(),
            index: draw.index,
            opening: None,
            episodes_wait: self.episodes_wait,
        };
        match draw.kind {
            Kind::Blind(kind) => {
                let shape = BlindShape {
                    duration_us: self.duration_us,
                    spike_loss: self.spike_loss,
                };
                blind(
                    &shape,
                    kind,
                    self.nodes,
                    slot,
                    draw.p,
                    &mut draw.rng,
                    &mut out,
                );
            }
            Kind::Targeted(kind) => {
                let hit = draw.rng.chance(draw.p);
                let at = slot + draw.rng.below(SLOT_US / US_PER_MS) * US_PER_MS;
                let episode = Episode {
                    at,
                    duration: draw_ms(&mut draw.rng, self.duration_us),
                    nodes: self.nodes,
                    members: self.members,
                };
                if hit && at < self.end.as_us() {
                    episode.draw(kind, &mut draw.rng, &mut out);
                }
            }
        }
        draw.slot += SLOT_US;
        draw.index += 1;
        for event in events.drain(..) {
            debug_assert!(event.at.as_us() >= slot, "an episode starts in its slot");
            self.pending.push(Reverse(Pending {
                key: (event.at, position, self.drawn),
                event,
            }));
            self.drawn += 1;
        }
        self.scratch = events;
    }
}

impl Iterator for ChaosDraw {
    type Item = ScriptEvent;

    /// The next event: the earliest drawn one, once every kind has drawn
    /// the slots that could still yield an event before it or with it.
    fn next(&mut self) -> Option<ScriptEvent> {
        loop {
            let earliest = self.pending.peek().map(|Reverse(p)| p.key.0);
            match (earliest, self.next_slot()) {
                (Some(at), Some((_, slot))) if at.as_us() < slot => break,
                (_, Some((position, _))) => self.draw_slot(position),
                (Some(_), None) => break,
                (None, None) => return None,
            }
        }
        let Reverse(Pending { mut event, .. }) = self.pending.pop().expect("peeked");
        if let Some(first) = self.first_source {
            event.source = Some(first + self.yielded);
        }
        self.yielded += 1;
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::Swarm;
    use crate::faults::{Fault, NodeRef};

    /// The schedule as earlier versions drew it: every slot of every kind,
    /// kind after kind, then sorted by time, stably.
    fn drawn_whole(
        chaos: &ChaosConfig,
        nodes: usize,
        members: NodeSet,
        seed: u64,
    ) -> Vec<ScriptEvent> {
        let mut draw = ChaosDraw::new(chaos, nodes, members, seed);
        for position in 0..draw.kinds.len() {
            while draw.kinds[position].slot < chaos.end.as_us() {
                draw.draw_slot(position);
            }
        }
        let mut pending = std::mem::take(&mut draw.pending).into_vec();
        pending.sort_by_key(|p| p.0.key.2);
        let mut events: Vec<ScriptEvent> = pending.into_iter().map(|p| p.0.event).collect();
        events.sort_by_key(|e| e.at);
        events
    }

    #[test]
    fn drawn_as_the_run_goes_is_the_whole_schedule_in_its_order() {
        let every_kind = ChaosConfig {
            start: Instant::from_ms(1_000),
            end: Instant::from_ms(240_000),
            isolate_per_min: 3.0,
            partition_per_min: 2.0,
            cut_per_min: 4.0,
            crash_per_min: 3.0,
            loss_spike_per_min: 2.0,
            leader_crash_per_min: 2.0,
            stale_rejoin_per_min: 1.0,
            split_vote_per_min: 1.0,
            stale_leader_per_min: 1.0,
            power_failure_per_min: 1.0,
            restart_storm_per_min: 1.0,
            membership_per_min: 2.0,
            duration_us: (500_000, 8_000_000),
            spike_loss: (0.2, 0.6),
            episodes_wait: false,
            swarm: None,
        };
        let waiting = ChaosConfig {
            episodes_wait: true,
            ..every_kind.clone()
        };
        let swarm = ChaosConfig {
            swarm: Some(Swarm {
                off: 0.3,
                scale: (0.5, 2.0),
                period_us: None,
            }),
            ..every_kind.clone()
        };
        let periods = ChaosConfig {
            swarm: Some(Swarm {
                period_us: Some(20_000_000),
                ..swarm.swarm.expect("a swarm")
            }),
            ..swarm.clone()
        };
        let mut compared = 0;
        for chaos in [every_kind, waiting, swarm, periods] {
            for (nodes, members) in [
                (5, NodeSet::first(5)),
                (7, NodeSet::first(5)),
                (3, NodeSet::first(3)),
            ] {
                for seed in 0..6 {
                    let whole = drawn_whole(&chaos, nodes, members, seed);
                    let lazy: Vec<ScriptEvent> =
                        ChaosDraw::new(&chaos, nodes, members, seed).collect();
                    assert_eq!(lazy, whole, "{nodes} nodes, seed {seed}");
                    compared += whole.len();
                }
            }
        }
        assert!(compared > 10_000, "only {compared} events compared");
    }

    /// A mix per period: one period as long as the window is the mix drawn
    /// once; shorter periods switch kinds on and off within one seed.
    #[test]
    fn a_swarm_period_draws_a_mix_per_period() {
        let once = ChaosConfig {
            end: Instant::from_ms(240_000),
            crash_per_min: 40.0,
            cut_per_min: 20.0,
            leader_crash_per_min: 20.0,
            duration_us: (500_000, 1_000_000),
            swarm: Some(Swarm {
                off: 0.5,
                scale: (1.0, 1.0),
                period_us: None,
            }),
            ..ChaosConfig::default()
        };
        let with_period = |period_us| ChaosConfig {
            swarm: Some(Swarm {
                period_us: Some(period_us),
                ..once.swarm.expect("a swarm")
            }),
            ..once.clone()
        };
        let members = NodeSet::first(5);
        for seed in 0..20 {
            assert_eq!(
                chaos_schedule(&with_period(240_000_000), 5, members, seed),
                chaos_schedule(&once, 5, members, seed),
                "seed {seed}: one period of the whole window"
            );
        }
        // With 10-second periods a kind is on in some periods and off in
        // others (on, 40 crashes a minute leave a period without one in
        // 0.002% of periods); drawn once, it is on or off for the whole
        // run.
        let mixed = |chaos: &ChaosConfig| {
            (0..20)
                .filter(|&seed| {
                    let schedule = chaos_schedule(chaos, 5, members, seed);
                    let crashes: Vec<usize> = (0..24)
                        .map(|period| {
                            schedule
                                .iter()
                                .filter(|e| e.at.as_us() / 10_000_000 == period)
                                .filter(|e| matches!(e.fault, Fault::Crash(NodeRef::Id(_))))
                                .count()
                        })
                        .collect();
                    crashes.contains(&0) && crashes.iter().any(|&n| n > 0)
                })
                .count()
        };
        assert!(
            mixed(&with_period(10_000_000)) >= 15,
            "periods switch kinds on and off"
        );
        assert!(mixed(&once) <= 5, "a mix drawn once holds for the run");
    }

    #[test]
    fn a_long_draw_holds_only_the_episodes_in_flight() {
        let chaos = ChaosConfig {
            end: Instant::from_ms(7 * 24 * 3_600_000),
            crash_per_min: 30.0,
            leader_crash_per_min: 30.0,
            duration_us: (500_000, 8_000_000),
            ..ChaosConfig::default()
        };
        let mut draw = ChaosDraw::new(&chaos, 5, NodeSet::first(5), 1);
        let (mut yielded, mut most_held) = (0u64, 0);
        let mut last = Instant::ZERO;
        while let Some(event) = draw.next() {
            assert!(event.at >= last, "events come in time order");
            last = event.at;
            yielded += 1;
            most_held = most_held.max(draw.pending.len());
            if yielded == 200_000 {
                break;
            }
        }
        // 200,000 events are about 28 virtual hours of faults; episodes
        // last at most 8 s and start at most twice a second: a few dozen
        // are in flight at any time.
        assert_eq!(yielded, 200_000);
        assert!(most_held < 100, "{most_held} events held");
    }
}
