//! What the fuzzer checks of one input, kept apart from libFuzzer so that
//! the test suite compiles and runs it too (sim-core/tests/fuzz_input.rs):
//! arbitrary bytes as a scenario file; parsing and validation must never
//! panic, and a valid scenario must run to a bounded end. Each run is cut
//! to a short stretch of virtual time and a few thousand events so that
//! every input is fast (docs/FUZZING.md).

use sim_core::run::run;
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

/// Checks one input; returns how many variants ran (0: not a valid file).
pub fn one_input(data: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(data) else {
        return 0;
    };
    let Ok(scenario) = scenario::parse(text) else {
        return 0;
    };
    let _ = scenario.warnings();
    let _ = scenario.fingerprint();
    let seed = scenario.file.seed;
    let mut ran = 0;
    for variant in scenario.variants().iter().take(MAX_RUN_VARIANTS) {
        let mut config = scenario.cluster_config(variant, seed);
        config.duration_us = config.duration_us.min(MAX_RUN_US);
        config.max_events = config.max_events.min(MAX_RUN_EVENTS);
        config.max_memory_mb = config.max_memory_mb.min(MAX_RUN_MEMORY_MB);
        let output = run(config);
        assert!(output.final_state.at_us <= MAX_RUN_US);
        ran += 1;
    }
    ran
}
