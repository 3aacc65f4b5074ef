//! Message diagrams: for each disruption (a healthy leader deposed by a
//! higher term) and each safety violation of a run, a space-time diagram of
//! the messages in the window before it, one lane per node (docs/CHARTS.md).
//! `plan` picks the moments and their windows from the results; whoever can
//! simulate (the CLI) replays those windows with
//! `sim_core::replay::record_windows`; `svg` draws one. Drawing is
//! plain SVG text written here (arrows, crosses and labels are easier by
//! hand than through plotters), byte-for-byte deterministic.

mod draw;
mod lanes;

use sim_core::faults::FaultKind;
use sim_core::metrics::DisruptionPoint;
use sim_core::results::{Results, VariantResult};
use sim_core::trace::window::MessageWindow;

pub use draw::svg;

/// How much of the run before a moment a diagram shows.
pub const BEFORE_US: u64 = 300_000;
/// And after it.
pub const AFTER_US: u64 = 100_000;
/// At most this many diagrams per variant (the first ones); the report
/// says how many more there were.
pub const PER_VARIANT: usize = 3;

/// The moment a diagram explains.
#[derive(Clone, Debug, PartialEq)]
pub enum Focus {
    /// A leader deposed by a higher term.
    Disruption(DisruptionPoint),
    /// A safety property broke (the run stopped there).
    Violation {
        at_us: u64,
        property: String,
        message: String,
    },
}

impl Focus {
    pub fn at_us(&self) -> u64 {
        match self {
            Focus::Disruption(d) => ms_to_us(d.at_ms),
            Focus::Violation { at_us, .. } => *at_us,
        }
    }
}

fn ms_to_us(ms: f64) -> u64 {
    (ms * 1000.0).round().max(0.0) as u64
}

/// One diagram to draw: the variant, its number within the variant (from
/// 1), the moment and the window `(start_us, end_us)` around it.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub variant: String,
    pub k: usize,
    pub focus: Focus,
    pub window: (u64, u64),
}

/// Every diagram of a run, and per variant how many moments were left out
/// by the cap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub diagrams: Vec<Planned>,
    pub omitted: Vec<(String, usize)>,
}

impl Plan {
    /// The diagrams of one variant, with their windows, for a replay.
    pub fn windows_of(&self, variant: &str) -> Vec<(u64, u64)> {
        self.diagrams
            .iter()
            .filter(|p| p.variant == variant)
            .map(|p| p.window)
            .collect()
    }

    /// The variants with at least one diagram, in order.
    pub fn variants(&self) -> Vec<&str> {
        let mut labels: Vec<&str> = Vec::new();
        for p in &self.diagrams {
            if labels.last() != Some(&p.variant.as_str()) {
                labels.push(&p.variant);
            }
        }
        labels
    }
}

/// The moments of one variant: its violations (the run stops at the first)
/// and its disruptions, in time order.
fn moments(v: &VariantResult) -> Vec<Focus> {
    let mut all: Vec<Focus> = v
        .series
        .disruptions
        .iter()
        .map(|d| Focus::Disruption(d.clone()))
        .collect();
    all.extend(
        v.safety
            .violations
            .iter()
            .map(|violation| Focus::Violation {
                at_us: ms_to_us(violation.at_ms),
                property: violation.property.name().to_string(),
                message: violation.message.clone(),
            }),
    );
    all.sort_by_key(Focus::at_us);
    all
}

/// The diagrams a run's report shows: per variant the first
/// `PER_VARIANT` moments, each with `BEFORE_US` before and `AFTER_US`
/// after it (within the run).
pub fn plan(results: &Results) -> Plan {
    let mut plan = Plan::default();
    for v in &results.variants {
        // A run stopped by a violation ends there.
        let end_us = v
            .safety
            .violations
            .first()
            .map_or(results.duration_ms.saturating_mul(1000), |violation| {
                ms_to_us(violation.at_ms)
            });
        let moments = moments(v);
        if moments.len() > PER_VARIANT {
            plan.omitted
                .push((v.label.clone(), moments.len() - PER_VARIANT));
        }
        for (i, focus) in moments.into_iter().take(PER_VARIANT).enumerate() {
            let at = focus.at_us();
            plan.diagrams.push(Planned {
                variant: v.label.clone(),
                k: i + 1,
                window: (
                    at.saturating_sub(BEFORE_US),
                    (at + AFTER_US).min(end_us.max(at)),
                ),
                focus,
            });
        }
    }
    plan
}

/// The instants where a fault of `v` may have changed which links are cut
/// (a cut, isolation or partition starting or ending, a heal or restore):
/// where a replay checks the links.
pub fn link_changes_us(v: &VariantResult) -> Vec<u64> {
    let mut out = Vec::new();
    for f in v.series.faults.iter().filter(|f| f.skipped.is_none()) {
        let links = match f.kind {
            FaultKind::Isolate
            | FaultKind::Partition
            | FaultKind::Cut
            | FaultKind::CutOneway
            | FaultKind::Restore
            | FaultKind::Heal => true,
            FaultKind::Crash
            | FaultKind::Restart
            | FaultKind::SetNetwork
            | FaultKind::ResetNetwork
            | FaultKind::SetLink
            | FaultKind::Let
            | FaultKind::Pause
            | FaultKind::Resume
            | FaultKind::SetClock
            | FaultKind::StallDisk
            | FaultKind::AddLearner
            | FaultKind::AddVoter
            | FaultKind::Promote
            | FaultKind::Remove
            | FaultKind::Change
            | FaultKind::TransferLeader => false,
            // Another version's kind: check, to be safe.
            FaultKind::Other => true,
        };
        if links {
            out.push(ms_to_us(f.at_ms));
            out.extend(f.until_ms.map(ms_to_us));
        }
    }
    out
}

/// A planned diagram with what the replay recorded in its window.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    pub planned: Planned,
    pub window: MessageWindow,
    pub nodes: u32,
}

/// Where a diagram's file goes under `--out`: `messages/LABEL-K.svg`, the
/// label made file-safe as for traces.
pub fn file_name(variant: &str, k: usize) -> String {
    format!("messages/{}-{k}.svg", crate::artifacts::file_safe(variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_numbered() {
        assert_eq!(
            file_name("prevote+checkquorum", 2),
            "messages/prevote_2bcheckquorum-2.svg"
        );
        assert_eq!(
            file_name("raft-rs prevote", 1),
            "messages/raft-rs_20prevote-1.svg"
        );
    }
}
