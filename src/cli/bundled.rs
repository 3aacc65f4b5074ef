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
