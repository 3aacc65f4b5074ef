//! The `chaos` section: checking its rates, durations and window, and
//! turning it into the engine's [`ChaosConfig`] with its defaults filled in.
//! The drawing itself is `crate::chaos::chaos_schedule`'s: this module never
//! draws a random number, so the schedule depends only on the seed and the
//! section, the same for every variant.

use crate::chaos::{ChaosConfig, Swarm, MAX_CHAOS_EVENTS};
use crate::node::MAX_NODES;
use crate::time::Instant;

use super::ms::{range_us, Ms, RangeMs};
use super::validate::Check;
use super::{ChaosSpec, MAX_CHAOS_PER_MIN, MAX_DURATION_MS};

/// How long each fault lasts when `duration_ms` is absent.
const DEFAULT_DURATION_MS: RangeMs = [Ms::from_ms(1_000), Ms::from_ms(10_000)];
/// The loss probability range of a spike when `spike_loss` is absent.
const DEFAULT_SPIKE_LOSS: [f64; 2] = [0.2, 0.6];
/// With `swarm`: how likely a kind is off for a seed, when `swarm_off` is
/// absent.
const DEFAULT_SWARM_OFF: f64 = 0.25;
/// With `swarm`: the range of a rate's factor when `swarm_scale` is absent.
const DEFAULT_SWARM_SCALE: [f64; 2] = [0.25, 2.0];
/// The largest factor `swarm_scale` may give.
const MAX_SWARM_SCALE: f64 = 10.0;

impl Check {
    pub(super) fn chaos(&mut self, spec: &ChaosSpec, duration_ms: u64, nodes: u64) {
        let rates = [
            ("isolate_per_min", spec.isolate_per_min),
            ("partition_per_min", spec.partition_per_min),
            ("cut_per_min", spec.cut_per_min),
            ("crash_per_min", spec.crash_per_min),
            ("loss_spike_per_min", spec.loss_spike_per_min),
            ("leader_crash_per_min", spec.leader_crash_per_min),
            ("stale_rejoin_per_min", spec.stale_rejoin_per_min),
            ("split_vote_per_min", spec.split_vote_per_min),
            ("stale_leader_per_min", spec.stale_leader_per_min),
            ("power_failure_per_min", spec.power_failure_per_min),
            ("restart_storm_per_min", spec.restart_storm_per_min),
            ("membership_per_min", spec.membership_per_min),
        ];
        for (name, rate) in rates {
            if let Some(rate) = rate {
                if !(0.0..=MAX_CHAOS_PER_MIN).contains(&rate) {
                    self.fail(
                        format!("chaos.{name}"),
                        format!("{rate} is out of range: must be in [0, {MAX_CHAOS_PER_MIN}] per minute"),
                    );
                }
            }
        }
        self.range("chaos.duration_ms", spec.duration_ms, 1);
        self.probability("chaos.swarm_off", spec.swarm_off);
        if let Some([min, max]) = spec.swarm_scale {
            if !(0.0..=MAX_SWARM_SCALE).contains(&min) || !(0.0..=MAX_SWARM_SCALE).contains(&max) {
                self.fail(
                    "chaos.swarm_scale",
                    format!(
                        "[{min}, {max}] is out of range: factors must be in [0, {MAX_SWARM_SCALE}]"
                    ),
                );
            } else if min > max {
                self.fail(
                    "chaos.swarm_scale",
                    format!("empty range [{min}, {max}]: min must be <= max"),
                );
            }
        }
        if let Some(period) = spec.swarm_period_ms {
            if spec.swarm != Some(true) {
                self.fail(
                    "chaos.swarm_period_ms",
                    "needs \"swarm\": true (it is how often the swarm's mix is drawn)",
                );
            } else if period == 0 || period % 1_000 != 0 || period > MAX_DURATION_MS {
                self.fail(
                    "chaos.swarm_period_ms",
                    format!(
                        "{period} ms: the mix changes at slot boundaries, so whole seconds \
                         from 1000 to {MAX_DURATION_MS} ms"
                    ),
                );
            }
        }
        if let Some([min, max]) = spec.spike_loss {
            self.probability("chaos.spike_loss[0]", Some(min));
            self.probability("chaos.spike_loss[1]", Some(max));
            if min > max {
                self.fail(
                    "chaos.spike_loss",
                    format!("empty range [{min}, {max}]: min must be <= max"),
                );
            }
        }
        let start = spec.start_ms.unwrap_or_default();
        let end = spec.end_ms.unwrap_or(Ms::from_ms(duration_ms));
        if end > Ms::from_ms(duration_ms) {
            self.fail(
                "chaos.end_ms",
                format!("{end} ms is past the end of the run (duration_ms is {duration_ms})"),
            );
        } else if start >= end {
            self.fail(
                "chaos.start_ms",
                format!("{start} ms is not before the end of the chaos window ({end} ms)"),
            );
        }
        // The schedule is drawn whole before the run starts: a window and
        // rates that would draw more than the limit are refused here, not
        // found out by exhausting memory.
        // Only for a file valid so far: the estimate reads the run's
        // duration and node count, checked before this section.
        if self.errors.is_empty() {
            let nodes = nodes.clamp(1, MAX_NODES as u64) as usize;
            let expected = config(spec, duration_ms).expected_events(nodes);
            if expected > MAX_CHAOS_EVENTS {
                self.fail(
                    "chaos",
                    format!(
                        "would draw about {expected} fault events over its window \
                         ({start} to {end} ms), more than the limit of {MAX_CHAOS_EVENTS} \
                         (each leaves a fault record in the results): shorten the window \
                         (duration_ms, chaos.end_ms) or lower the rates"
                    ),
                );
            }
        }
    }
}

/// The engine's chaos configuration of a (validated) section, for a run of
/// `duration_ms`.
pub(super) fn config(spec: &ChaosSpec, duration_ms: u64) -> ChaosConfig {
    let [loss_min, loss_max] = spec.spike_loss.unwrap_or(DEFAULT_SPIKE_LOSS);
    ChaosConfig {
        start: Instant::from_us(spec.start_ms.unwrap_or_default().us()),
        end: Instant::from_us(spec.end_ms.map_or(duration_ms * 1_000, Ms::us)),
        isolate_per_min: spec.isolate_per_min.unwrap_or(0.0),
        partition_per_min: spec.partition_per_min.unwrap_or(0.0),
        cut_per_min: spec.cut_per_min.unwrap_or(0.0),
        crash_per_min: spec.crash_per_min.unwrap_or(0.0),
        loss_spike_per_min: spec.loss_spike_per_min.unwrap_or(0.0),
        leader_crash_per_min: spec.leader_crash_per_min.unwrap_or(0.0),
        stale_rejoin_per_min: spec.stale_rejoin_per_min.unwrap_or(0.0),
        split_vote_per_min: spec.split_vote_per_min.unwrap_or(0.0),
        stale_leader_per_min: spec.stale_leader_per_min.unwrap_or(0.0),
        power_failure_per_min: spec.power_failure_per_min.unwrap_or(0.0),
        restart_storm_per_min: spec.restart_storm_per_min.unwrap_or(0.0),
        membership_per_min: spec.membership_per_min.unwrap_or(0.0),
        duration_us: range_us(spec.duration_ms.unwrap_or(DEFAULT_DURATION_MS)),
        spike_loss: (loss_min, loss_max),
        episodes_wait: spec.episodes_wait.unwrap_or(false),
        swarm: spec.swarm.unwrap_or(false).then(|| {
            let [min, max] = spec.swarm_scale.unwrap_or(DEFAULT_SWARM_SCALE);
            Swarm {
                off: spec.swarm_off.unwrap_or(DEFAULT_SWARM_OFF),
                scale: (min, max),
                period_us: spec.swarm_period_ms.map(|ms| ms * 1_000),
            }
        }),
    }
}
