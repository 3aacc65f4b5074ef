//! `raftsim shrink` through the real binary: a failing chaos seed always
//! shrinks to a standalone scenario that fails the same way.

mod common;

use common::{raftsim, scratch, text};
use serde_json::Value;

/// chaos-bugs with `forget_vote_on_restart` planted: seeds 0, 2 and 3 draw
/// more chaos events (restart storms) than a scenario file may hold, but the
/// run stops at the violation within the first second.
#[test]
fn chaos_bugs_forget_vote_seeds_shrink_to_scenarios_that_fail_alike() {
    let dir = scratch("chaos-bugs");
    for seed in ["0", "2", "3"] {
        let out_file = dir.join(format!("seed-{seed}.json"));
        let out = raftsim(&[
            "shrink",
            "scenarios/chaos-bugs.json",
            "--set",
            r#"raft.bugs=["forget_vote_on_restart"]"#,
            "--seed",
            seed,
            "--out",
            out_file.to_str().unwrap(),
        ]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed}: {}{stdout}",
            text(&out.stderr)
        );
        assert!(
            stdout.starts_with("safety violation (vote_once_per_term)"),
            "{stdout}"
        );
        let shrunk: Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
        assert!(shrunk.get("chaos").is_none());
        assert!(shrunk["description"]
            .as_str()
            .unwrap()
            .contains("--set 'raft.bugs=[\"forget_vote_on_restart\"]'"));
        let replay = raftsim(&["run", out_file.to_str().unwrap(), "--seed", seed]);
        assert_eq!(replay.status.code(), Some(1), "seed {seed}");
        assert!(
            text(&replay.stderr).contains("safety violation: vote_once_per_term"),
            "seed {seed}: {}",
            text(&replay.stderr)
        );
    }
}
