//! The scenario files shipped with raftsim, compiled into the binary so
//! `raftsim list` and `raftsim run NAME` work from any directory.

/// (file name, contents), in the order `raftsim list` shows them.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "isolate-rejoin.json",
        include_str!("../../scenarios/isolate-rejoin.json"),
    ),
    (
        "leader-isolated.json",
        include_str!("../../scenarios/leader-isolated.json"),
    ),
    (
        "lossy-network.json",
        include_str!("../../scenarios/lossy-network.json"),
    ),
    (
        "leader-crash.json",
        include_str!("../../scenarios/leader-crash.json"),
    ),
    (
        "leader-pause.json",
        include_str!("../../scenarios/leader-pause.json"),
    ),
    ("chained.json", include_str!("../../scenarios/chained.json")),
    (
        "flaky-link.json",
        include_str!("../../scenarios/flaky-link.json"),
    ),
    (
        "quorum-loss.json",
        include_str!("../../scenarios/quorum-loss.json"),
    ),
    (
        "minority-partition.json",
        include_str!("../../scenarios/minority-partition.json"),
    ),
    (
        "rolling-restart.json",
        include_str!("../../scenarios/rolling-restart.json"),
    ),
    (
        "seven-nodes.json",
        include_str!("../../scenarios/seven-nodes.json"),
    ),
    ("chaos.json", include_str!("../../scenarios/chaos.json")),
    (
        "chaos-bugs.json",
        include_str!("../../scenarios/chaos-bugs.json"),
    ),
    (
        "figure-3-7.json",
        include_str!("../../scenarios/figure-3-7.json"),
    ),
    (
        "election-timeouts.json",
        include_str!("../../scenarios/election-timeouts.json"),
    ),
    (
        "partial-partition-a.json",
        include_str!("../../scenarios/partial-partition-a.json"),
    ),
    (
        "partial-partition-b.json",
        include_str!("../../scenarios/partial-partition-b.json"),
    ),
    (
        "leader-link-cut.json",
        include_str!("../../scenarios/leader-link-cut.json"),
    ),
    (
        "omni-quorum-loss.json",
        include_str!("../../scenarios/omni-quorum-loss.json"),
    ),
    (
        "omni-constrained-election.json",
        include_str!("../../scenarios/omni-constrained-election.json"),
    ),
    (
        "removed-server.json",
        include_str!("../../scenarios/removed-server.json"),
    ),
    (
        "removed-server-idle.json",
        include_str!("../../scenarios/removed-server-idle.json"),
    ),
    (
        "leader-disk-hang.json",
        include_str!("../../scenarios/leader-disk-hang.json"),
    ),
    (
        "slow-fsync-elections.json",
        include_str!("../../scenarios/slow-fsync-elections.json"),
    ),
    (
        "remove-leader.json",
        include_str!("../../scenarios/remove-leader.json"),
    ),
    (
        "replace-node.json",
        include_str!("../../scenarios/replace-node.json"),
    ),
    (
        "two-node-removal.json",
        include_str!("../../scenarios/two-node-removal.json"),
    ),
    (
        "rolling-upgrade.json",
        include_str!("../../scenarios/rolling-upgrade.json"),
    ),
    (
        "add-voter-while-degraded.json",
        include_str!("../../scenarios/add-voter-while-degraded.json"),
    ),
    (
        "membership-churn.json",
        include_str!("../../scenarios/membership-churn.json"),
    ),
    ("bench.json", include_str!("../../scenarios/bench.json")),
];

/// A bundled scenario by file name, with or without `.json`, or by path
/// `scenarios/NAME.json`.
pub fn find(name: &str) -> Option<(&'static str, &'static str)> {
    let base = name.strip_prefix("scenarios/").unwrap_or(name);
    let base = base.strip_suffix(".json").unwrap_or(base);
    SCENARIOS
        .iter()
        .find(|(file, _)| file.strip_suffix(".json") == Some(base))
        .copied()
}
