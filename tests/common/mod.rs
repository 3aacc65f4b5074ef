//! Helpers shared by the integration tests that run the real binary.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `raftsim` binary, run from the repository root, without RAFTSIM_SEED.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_raftsim"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RAFTSIM_SEED");
    command
}

pub fn raftsim(args: &[&str]) -> Output {
    command().args(args).output().expect("raftsim runs")
}

/// `raftsim ARGS`, which must exit 0; its output.
pub fn raftsim_ok(args: &[&str]) -> Output {
    let out = raftsim(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh, empty directory for one test (named after the test file too).
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}", env!("CARGO_CRATE_NAME")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// `json` written as NAME.json in a fresh scratch directory; its path.
pub fn scenario_file(name: &str, json: &str) -> String {
    let path = scratch(name).join(format!("{name}.json"));
    std::fs::write(&path, json).expect("a scratch file");
    path.to_string_lossy().into_owned()
}

pub fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// A path inside the repository.
pub fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// A follower cut off for 10 s while the leader commits; with the vote's
/// log check removed, it wins an election on its stale log after the heal.
pub const BUGGY_REJOIN: &str = r#"{
  "name": "buggy-rejoin", "nodes": 5, "duration_ms": 20000, "seed": 1,
  "network": { "loss": 0.01 },
  "workload": { "proposals_per_sec": 20 },
  "raft": { "bugs": ["grant_vote_without_log_check"] },
  "events": [ { "at_ms": 5000, "isolate": "follower:2" }, { "at_ms": 15000, "heal": true } ],
  "variants": [ { "label": "buggy" } ]
}"#;
