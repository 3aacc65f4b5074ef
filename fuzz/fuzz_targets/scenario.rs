//! The fuzz target: arbitrary bytes as a scenario file, checked by
//! `one_input` (docs/FUZZING.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "one_input.rs"]
mod one_input;

fuzz_target!(|data: &[u8]| {
    one_input::one_input(data);
});
