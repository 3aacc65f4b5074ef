//! Writes that fail and outputs that would replace an input, through the
//! real binary: exit 2 naming the path (or "stdout"), never a panic or an
//! abort, and the input left as it was.

mod common;

use std::fs::File;
use std::process::Stdio;

use common::{command, raftsim, raftsim_ok, scratch, text};

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

/// A copy of leader-crash in `dir`, returned with its bytes.
fn scenario_in(dir: &std::path::Path, name: &str) -> (String, Vec<u8>) {
    copy_in(dir, name, "leader-crash")
}

fn copy_in(dir: &std::path::Path, name: &str, bundled: &str) -> (String, Vec<u8>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let bytes = std::fs::read(common::repo(&format!("scenarios/{bundled}.json"))).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    (path.to_string_lossy().into_owned(), bytes)
}

fn assert_refused(args: &[&str], input: &str, bytes: &[u8]) {
    let out = raftsim(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains("would replace the input"), "{args:?}: {err}");
    assert_eq!(std::fs::read(input).unwrap(), bytes, "{args:?}: input kept");
}

#[test]
fn no_command_writes_over_its_own_input() {
    let dir = scratch("own-input");
    let (file, bytes) = scenario_in(&dir, "s.json");
    // The trace of one variant, named like the scenario.
    assert_refused(
        &["run", &file, "--variant", "raft", "--trace", &file],
        &file,
        &bytes,
    );
    // The same file by another name: a hard link.
    let link = dir.join("link.json");
    std::fs::hard_link(&file, &link).unwrap();
    assert_refused(
        &[
            "run",
            &file,
            "--variant",
            "raft",
            "--trace",
            link.to_str().unwrap(),
        ],
        &file,
        &bytes,
    );
    // shrink's output.
    let (planted, planted_bytes) = copy_in(&dir, "planted.json", "figure-3-7");
    assert_refused(
        &["shrink", &planted, "--out", &planted],
        &planted,
        &planted_bytes,
    );
    // An --out directory where the input is one of the files it writes,
    // or inside a subdirectory it replaces whole.
    for (command, input, out) in [
        ("run", "out/results.json", "out"),
        ("run", "out2/messages/s.json", "out2"),
        ("sweep", "sweep/sweep.json", "sweep"),
    ] {
        let (input, bytes) = scenario_in(&dir, input);
        let out = dir.join(out);
        let mut args = vec![command, input.as_str(), "--out", out.to_str().unwrap()];
        match command {
            "run" => args.extend(["--variant", "raft"]),
            _ => args.extend(["--seeds", "0..2"]),
        }
        assert_refused(&args, &input, &bytes);
    }
    // But a scenario beside its --out files is fine: nothing replaces it.
    let (beside, _) = scenario_in(&dir, "out3/my-scenario.json");
    let out3 = dir.join("out3");
    raftsim_ok(&[
        "run",
        &beside,
        "--variant",
        "raft",
        "--out",
        out3.to_str().unwrap(),
    ]);
}

/// `chart` finds the clash only once it knows what it draws: a results file
/// named like the report it writes beside it.
#[test]
fn chart_refuses_to_replace_the_results_it_reads() {
    let dir = scratch("chart-input");
    let run = dir.join("run");
    raftsim_ok(&[
        "run",
        "leader-crash",
        "--variant",
        "raft",
        "--out",
        run.to_str().unwrap(),
    ]);
    let results = dir.join("report.html");
    std::fs::copy(dir.join("run/results.json"), &results).unwrap();
    let bytes = std::fs::read(&results).unwrap();
    assert_refused(
        &["chart", results.to_str().unwrap()],
        results.to_str().unwrap(),
        &bytes,
    );
}

#[test]
fn a_scenario_with_a_byte_order_mark_is_read() {
    let dir = scratch("bom");
    let path = dir.join("bom.json");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(common::repo("scenarios/leader-crash.json")).unwrap());
    std::fs::write(&path, bytes).unwrap();
    let out = raftsim(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// `/dev/zero` never ends: reading stops at the cap, at once.
#[test]
fn an_endless_input_stops_at_the_size_cap() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let started = std::time::Instant::now();
    let out = raftsim(&["validate", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/dev/zero: larger than 16 MiB"),
        "{}",
        text(&out.stderr)
    );
    assert!(started.elapsed().as_secs() < 20);
    let out = raftsim(&["chart", "/dev/null"]);
    assert_eq!(out.status.code(), Some(2));
}
