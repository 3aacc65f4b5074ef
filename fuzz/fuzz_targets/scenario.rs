//! Arbitrary bytes as a scenario file: parsing and validation must never
//! panic, and a valid scenario must run to a bounded end. Each run is cut
//! to a short stretch of virtual time and a few thousand events so that
//! every input is fast (docs/FUZZING.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim_core::cluster;
use sim_core::scenario;

/// The longest stretch of virtual time one input runs: 300 ms.
const MAX_RUN_US: u64 = 300_000;
/// The most engine events one input runs.
const MAX_RUN_EVENTS: u64 = 20_000;
/// The memory budget of one input's run, MiB: the fuzzer's own budget
/// (`-rss_limit_mb`, 2048 by default) stays far away.
const MAX_RUN_MEMORY_MB: u64 = 256;
/// The most variants of one input that run.
const MAX_RUN_VARIANTS: usize = 2;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = scenario::parse(text) else {
        return;
    };
    let _ = scenario.warnings();
    let _ = scenario.fingerprint();
    let seed = scenario.file.seed;
    for variant in scenario.variants().iter().take(MAX_RUN_VARIANTS) {
        let mut config = scenario.cluster_config(variant, seed);
        config.duration_us = config.duration_us.min(MAX_RUN_US);
        config.max_events = config.max_events.min(MAX_RUN_EVENTS);
        config.max_memory_mb = config.max_memory_mb.min(MAX_RUN_MEMORY_MB);
        let output = cluster::run(config);
        assert!(output.final_state.at_us <= MAX_RUN_US);
    }
});
