//! Small things a new user meets first, each through the real binary.

mod common;

use common::{raftsim, text};

#[test]
fn a_negative_seed_says_what_a_seed_is() {
    for command in [
        &["run", "leader-crash"][..],
        &["shrink", "leader-crash"],
        &["compare"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--seed", "-1"]);
        let out = raftsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("a seed is a whole number from 0 to"), "{err}");
        assert!(!err.contains("-- -1"), "no tip that does not work: {err}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn list_names_bundled_scenarios_as_they_run() {
    let out = raftsim(&["list"]);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(
        shown.contains("isolate-rejoin  (raftsim run isolate-rejoin;"),
        "{shown}"
    );
    let out = raftsim(&["validate", "leader-crash"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("5 variants"), "{shown}");
    assert!(!shown.contains("1 variants"), "{shown}");
}

#[test]
fn bench_takes_a_fraction_of_an_hour_and_refuses_nonsense() {
    let out = raftsim(&["bench", "--hours", "0.001", "--repeat", "1", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["virtual_s"], 3.6);
    for hours in ["0", "-1", "169", "NaN"] {
        let out = raftsim(&["bench", "--hours", hours, "--repeat", "1"]);
        assert_eq!(out.status.code(), Some(2), "--hours {hours}");
    }
}

#[test]
fn compare_prints_its_seed_first() {
    let out = raftsim(&["compare", "leader-crash", "--seed", "4"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).starts_with("raftsim: seed 4"),
        "{}",
        text(&out.stderr)
    );
}
