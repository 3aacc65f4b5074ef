//! Writes that fail and outputs that would replace an input, through the
//! real binary: exit 2 naming the path (or "stdout"), never a panic or an
//! abort, and the input left as it was.

mod common;

use std::fs::File;
use std::process::Stdio;

use common::{command, raftsim, scratch, text};

/// stdout on a full disk: every command that prints says so and exits 2.
#[test]
fn stdout_on_a_full_disk_is_exit_2_naming_stdout() {
    if !std::path::Path::new("/dev/full").exists() {
        return; // not Linux
    }
    for args in [
        &["list"][..],
        &["schema"],
        &["--help"],
        &["run", "leader-crash", "--variant", "raft"],
        &["run", "leader-crash", "--variant", "raft", "--json"],
        &["validate", "leader-crash"],
        &["sweep", "leader-crash", "--seeds", "0..2", "--jobs", "1"],
    ] {
        let full = File::options().write(true).open("/dev/full").unwrap();
        let out = command()
            .args(args)
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("error: stdout: cannot write: No space left on device"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A full stderr is no reason to stop: the results still come out.
#[test]
fn stderr_on_a_full_disk_is_ignored() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let full = File::options().write(true).open("/dev/full").unwrap();
    let out = command()
        .args(["run", "leader-crash", "--variant", "raft"])
        .stderr(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("max term"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_trace_on_a_full_disk_is_exit_2_naming_the_file() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let out = raftsim(&[
        "run",
        "leader-crash",
        "--variant",
        "raft",
        "--trace",
        "/dev/full",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("error: /dev/full: cannot write the trace"),
        "{}",
        text(&out.stderr)
    );
}

/// `shrink --out /dev/stdout` writes into the pipe, never replaces it.
#[test]
fn shrink_out_to_a_device_writes_into_it() {
    let dir = scratch("shrink-device");
    let out = command()
        .current_dir(&dir)
        .args([
            "shrink",
            &common::repo("scenarios/figure-3-7.json"),
            "--variant",
            "planted",
            "--out",
            "/dev/stdout",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.starts_with("{\n  \"name\": \"figure-3-7-min\""),
        "{shown}"
    );
}
