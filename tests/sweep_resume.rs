//! Sweeps that survive a kill, and merges that refuse what they cannot
//! merge exactly; through the real binary.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{command, raftsim, read, repo, scratch, text};

const SCENARIO: &str = "leader-crash";

fn sweep_out(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sweep", SCENARIO, "--seeds", "0..12", "--jobs", "1"];
    let out = dir.to_string_lossy().into_owned();
    args.extend(["--out", &out]);
    args.extend(extra);
    raftsim(&args)
}

fn assert_same_sweep(a: &Path, b: &Path) {
    for file in [
        "seeds.jsonl",
        "sweep.json",
        "shard.json",
        "distributions.svg",
    ] {
        assert!(read(a, file) == read(b, file), "{file} differs");
    }
    assert!(
        !b.join("seeds.jsonl.partial").exists(),
        "the progress file is gone"
    );
}

#[test]
fn a_resumed_sweep_ends_exactly_as_an_uninterrupted_one() {
    let root = scratch("resume");
    let whole = root.join("whole");
    assert!(sweep_out(&whole, &[]).status.success());

    // What a kill leaves: the header and some finished seeds, in any
    // order, the last line cut in the middle.
    let resumed = root.join("resumed");
    std::fs::create_dir_all(&resumed).unwrap();
    let first = sweep_out(&resumed, &[]);
    assert!(first.status.success());
    let header = {
        // Rebuild the progress file from the finished sweep's records.
        let shard = std::fs::read_to_string(resumed.join("shard.json")).unwrap();
        let info: serde_json::Value = serde_json::from_str(&shard).unwrap();
        serde_json::json!({ "sweep": info }).to_string()
    };
    let records = std::fs::read_to_string(resumed.join("seeds.jsonl")).unwrap();
    let lines: Vec<&str> = records.lines().collect();
    let progress = format!(
        "{header}\n{}\n{}\n{}\n{}",
        lines[7],
        lines[2],
        lines[5],
        &lines[9][..40]
    );
    std::fs::remove_dir_all(&resumed).unwrap();
    std::fs::create_dir_all(&resumed).unwrap();
    std::fs::write(resumed.join("seeds.jsonl.partial"), progress).unwrap();

    let out = sweep_out(&resumed, &["--resume"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("3 seeds already done"),
        "{}",
        text(&out.stderr)
    );
    assert_same_sweep(&whole, &resumed);

    // Resuming another sweep's progress is refused.
    std::fs::write(
        resumed.join("seeds.jsonl.partial"),
        format!("{header}\n").replace("leader-crash", "other"),
    )
    .unwrap();
    let other = raftsim(&[
        "sweep",
        SCENARIO,
        "--seeds",
        "0..20",
        "--jobs",
        "1",
        "--out",
        &resumed.to_string_lossy(),
        "--resume",
    ]);
    assert_eq!(other.status.code(), Some(2), "{}", text(&other.stderr));
    assert!(text(&other.stderr).contains("is the progress of another sweep"));
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn a_sweep_killed_mid_way_leaves_no_published_files_and_resumes() {
    let root = scratch("kill");
    let whole = root.join("whole");
    let slow = ["--seeds", "0..40"];
    let run = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["sweep", "isolate-rejoin", "--jobs", "1"];
        args.extend(slow);
        let out = dir.to_string_lossy().into_owned();
        args.extend(["--out", &out]);
        args.extend(extra);
        raftsim(&args)
    };
    assert!(run(&whole, &[]).status.success());

    let killed = root.join("killed");
    let mut child = command()
        .args([
            "sweep",
            "isolate-rejoin",
            "--jobs",
            "1",
            "--seeds",
            "0..40",
            "--out",
        ])
        .arg(&killed)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let progress = killed.join("seeds.jsonl.partial");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let lines = std::fs::read_to_string(&progress).map_or(0, |t| t.lines().count());
        if lines >= 4 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    if status.success() {
        return; // finished before the kill (a very fast machine): nothing to test
    }
    for published in ["seeds.jsonl", "sweep.json", "shard.json"] {
        assert!(
            !killed.join(published).exists(),
            "{published} was published by a killed sweep"
        );
    }
    let out = run(&killed, &["--resume"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_same_sweep(&whole, &killed);
}

#[test]
fn merge_refuses_missing_seeds_unless_partial_and_never_overwrites_an_input() {
    let root = scratch("merge");
    let shard = |k: u32, file: &str| {
        let dir = root.join(format!("shard-{k}"));
        let out = raftsim(&[
            "sweep",
            file,
            "--seeds",
            "0..9",
            "--shard",
            &format!("{k}/3"),
            "--out",
            &dir.to_string_lossy(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        dir.to_string_lossy().into_owned()
    };
    // The same scenario run from two paths: one scenario by its content.
    let copy = root.join("copy-of-leader-crash.json");
    std::fs::copy(repo("scenarios/leader-crash.json"), &copy).unwrap();
    let (a, b, c) = (
        shard(1, SCENARIO),
        shard(2, &copy.to_string_lossy()),
        shard(3, SCENARIO),
    );

    let out = raftsim(&["merge", &a, &c]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("6 of the 9 seeds") && err.contains("missing: 3..6"),
        "{err}"
    );

    let out = raftsim(&["merge", &a, &c, "--partial", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--partial"));

    let out = raftsim(&["merge", &a, &b, &c, "--out", &b]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("that is the input"),
        "{}",
        text(&out.stderr)
    );

    let out = raftsim(&["merge", &a, &b, &c, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn extreme_seed_ranges_are_errors_not_panics() {
    for range in [
        "18446744073709551615..0",
        "18446744073709551615..18446744073709551615",
        "0..18446744073709551615",
    ] {
        let out = raftsim(&["sweep", SCENARIO, "--seeds", range]);
        assert_eq!(out.status.code(), Some(2), "{range}: {}", text(&out.stderr));
    }
}
