//! The fuzz target's check of one input (fuzz/fuzz_targets/one_input.rs),
//! compiled and run by the test suite so that it cannot rot unseen where
//! only the nightly fuzzer builds it: every bundled scenario runs through
//! it, and so do cut and mangled copies of them, which must never panic.

#[path = "../../fuzz/fuzz_targets/one_input.rs"]
mod one_input;

use std::fs;
use std::path::Path;

fn bundled() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("scenarios/ is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).expect("a readable scenario"))
        })
        .collect()
}

#[test]
fn every_bundled_scenario_is_a_valid_input_that_runs() {
    for (name, bytes) in bundled() {
        let ran = one_input::one_input(&bytes);
        // Without raft-rs a file naming it is refused, which the fuzzer
        // takes as an input that does not validate.
        if cfg!(feature = "raft-rs") || !String::from_utf8_lossy(&bytes).contains("raft-rs") {
            assert!(ran >= 1, "{name}: no variant ran");
        }
    }
}

#[test]
fn cut_and_mangled_scenarios_never_panic() {
    for (_, bytes) in bundled() {
        for cut in [1, 7, bytes.len() / 2, bytes.len() - 1] {
            one_input::one_input(&bytes[..cut.min(bytes.len())]);
        }
        // Every digit turned into a 9: huge numbers in every field.
        let nines: Vec<u8> = bytes
            .iter()
            .map(|&b| if b.is_ascii_digit() { b'9' } else { b })
            .collect();
        one_input::one_input(&nines);
        // Every digit turned into a 0: zeros in every field.
        let zeros: Vec<u8> = bytes
            .iter()
            .map(|&b| if b.is_ascii_digit() { b'0' } else { b })
            .collect();
        one_input::one_input(&zeros);
    }
}
