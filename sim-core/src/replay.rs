//! Replaying a run to look inside it: the cluster at one instant
//! (`raftsim inspect`) and what happened inside a few windows of virtual
//! time (the report's message diagrams). A run is deterministic, so a
//! replay up to an instant passes through exactly the states the full run
//! did; each replay stops there, so looking costs at most one run.

use crate::cluster::Snapshot;
use crate::run::run_with;
use crate::scenario::{Scenario, Variant};
use crate::trace::window::{MessageWindow, WindowTracer};

/// Runs `variant` of `scenario` with `seed` up to the virtual instant
/// `at_us` (events at that instant included) and returns the cluster as it
/// is then. The same seed gives the same run, so this is the state the full
/// run passed through at that instant.
pub fn state_at(scenario: &Scenario, variant: &Variant, seed: u64, at_us: u64) -> Snapshot {
    let mut cfg = scenario.cluster_config(variant, seed);
    cfg.duration_us = cfg.duration_us.min(at_us);
    run_with(cfg, None).final_state
}

/// Replays `variant` of `scenario` with `seed` up to the last window's end
/// and returns what happened in each window (`(start_us, end_us)`), with
/// the cut links at its start and at each instant of `link_changes_us`
/// inside it (where a fault may have cut or healed links). The run is
/// deterministic, so this is exactly what the full run did in those
/// windows; each link check is one more replay, up to its instant.
pub fn record_windows(
    scenario: &Scenario,
    variant: &Variant,
    seed: u64,
    windows: &[(u64, u64)],
    link_changes_us: &[u64],
) -> Vec<MessageWindow> {
    let Some(last_end) = windows.iter().map(|w| w.1).max() else {
        return Vec::new();
    };
    let mut cfg = scenario.cluster_config(variant, seed);
    cfg.duration_us = cfg.duration_us.min(last_end);
    let mut tracer = WindowTracer::new(scenario.file.nodes as usize, windows);
    run_with(cfg, Some(&mut tracer));
    let mut recorded = tracer.into_windows();
    for window in &mut recorded {
        let mut instants = vec![window.start_us];
        instants.extend(link_changes_us.iter().filter(|&&at| window.contains(at)));
        instants.sort_unstable();
        instants.dedup();
        for at in instants {
            let cut = state_at(scenario, variant, seed, at).cut_links;
            if window.cut_links.last().is_none_or(|(_, last)| *last != cut) {
                window.cut_links.push((at, cut));
            }
        }
    }
    recorded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::NodeId;
    use crate::trace::window::{Happening, MessageEnd};
    use crate::trace::DropReason;

    /// Node 2 cut off from 1 s to 3 s of a 4 s run of 3 nodes.
    const CUT: &str = r#"{
      "name": "cut", "nodes": 3, "duration_ms": 4000, "seed": 1,
      "events": [ { "at_ms": 1000, "isolate": 2 }, { "at_ms": 3000, "heal": true } ],
      "variants": [ { "label": "raft" } ]
    }"#;

    #[test]
    fn keeps_only_the_windows_with_the_state_and_links_as_each_opens() {
        let scenario = crate::scenario::parse(CUT).expect("valid");
        let variant = &scenario.variants()[0];
        let windows = [(2_800_000, 3_200_000), (500_000, 600_000)];
        let recorded = record_windows(&scenario, variant, 1, &windows, &[1_000_000, 3_000_000]);
        assert_eq!(recorded.len(), 2);
        for (w, &(start, end)) in recorded.iter().zip(&windows) {
            assert_eq!((w.start_us, w.end_us), (start, end));
            assert!(!w.messages.is_empty());
            assert!(w
                .messages
                .iter()
                .all(|m| (start..=end).contains(&m.sent_us)));
            assert!(w.marks.iter().all(|m| (start..=end).contains(&m.at_us)));
            assert_eq!(w.initial.len(), 3);
            assert!(w.initial.iter().all(|(state, up)| state.is_some() && *up));
        }
        let (n1, n2) = (NodeId(1), NodeId(2));
        // Before the cut: every link up. Across the heal: node 2's four
        // directed links cut, then none; its sends die at the cut.
        assert_eq!(recorded[1].cut_links, vec![(500_000, vec![])]);
        let across = &recorded[0];
        assert_eq!(across.cut_links.len(), 2, "{:?}", across.cut_links);
        assert_eq!(across.cut_links[0].1.len(), 4);
        assert!(across.cut_links[0].1.contains(&(n2, n1)));
        assert_eq!(across.cut_links[1], (3_000_000, vec![]));
        assert!(across.messages.iter().any(|m| m.from == n2
            && m.end == MessageEnd::DroppedAtSend(DropReason::LinkCut)
            && m.sent_us < 3_000_000));
        assert!(across
            .happenings
            .iter()
            .any(|(at, h)| *at == 3_000_000 && matches!(h, Happening::Fault { .. })));
    }
}
