//! Small things a new user meets first, each through the real binary.

mod common;

use common::{raftsim, scenario_file, scratch, text};

/// `raftsim bench ARGS --json`, which must succeed: its JSON.
fn bench_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = raftsim(&all);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("bench JSON")
}

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
    let out = raftsim(&["list", "--long"]);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(
        shown.contains("isolate-rejoin  (raftsim run isolate-rejoin;"),
        "{shown}"
    );
    // Without --long: a name and one line each, fitting 80 columns.
    let out = raftsim(&["list"]);
    let shown = text(&out.stdout);
    let entries: Vec<&str> = shown.lines().take_while(|l| !l.is_empty()).collect();
    assert!(entries.len() >= 10, "{shown}");
    for line in &entries {
        assert!(line.chars().count() <= 80, "{line}");
    }
    assert!(
        entries.iter().any(|l| l.starts_with("isolate-rejoin ")
            && l.ends_with("A follower is cut off from everybody for 60 s, then rejoins.")),
        "{shown}"
    );
    assert!(shown.contains("raftsim list --long"), "{shown}");
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

/// `scenarios/bench.json` is `raftsim bench`'s workload: timed with
/// `--scenario`, each variant runs the very same events (same trace hash)
/// as the built-in benchmark. Named `bench`, it loads the bundled copy
/// although the repository root has a `bench/` directory.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the scenario has a raft-rs variant"
)]
fn the_bench_scenario_file_is_the_built_in_workload() {
    let json = |args: &[&str]| -> serde_json::Value {
        let out = raftsim(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let built_in = json(&["bench", "--repeat", "1", "--json"]);
    for file in ["scenarios/bench.json", "bench"] {
        let timed = json(&["bench", "--scenario", file, "--repeat", "1", "--json"]);
        assert_eq!(timed["seed"], 1);
        let variants = timed["variants"].as_array().unwrap();
        let labels: Vec<&str> = variants
            .iter()
            .map(|v| v["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["raft", "raft-rs"]);
        for (variant, reference) in variants.iter().zip([&built_in, &built_in["raft_rs"]]) {
            assert_eq!(variant["trace_hash"], reference["trace_hash"], "{file}");
            assert_eq!(variant["events"], reference["events"], "{file}");
        }
    }
}

/// `bench --viewer` times the viewer against plain runs and against all of
/// `run --out`: the rest of that command (results, charts, report) is
/// timed too, and the two shares are the same cost over two bases.
#[test]
fn bench_viewer_gives_its_cost_against_the_runs_and_against_run_out() {
    let json = bench_json(&["--scenario", "leader-pause", "--viewer", "--repeat", "1"]);
    let viewer = &json["viewer"];
    let get = |key: &str| {
        viewer[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {viewer}"))
    };
    let (plain, traced, page, rest) = (
        get("plain_s"),
        get("traced_s"),
        get("page_s"),
        get("rest_s"),
    );
    assert!(plain > 0.0 && traced > 0.0 && rest > 0.0, "{viewer}");
    let cost = traced + page - plain;
    assert!((get("overhead") - cost / plain).abs() < 1e-9, "{viewer}");
    assert!(
        (get("share_of_run_out") - cost / (plain + rest)).abs() < 1e-9,
        "{viewer}"
    );
    let bytes = get("bytes");
    assert!(bytes > 10_000.0 && bytes <= 2e6, "{bytes} bytes");
    let text_out = raftsim(&[
        "bench",
        "--scenario",
        "leader-pause",
        "--viewer",
        "--repeat",
        "1",
    ]);
    assert!(
        text(&text_out.stdout).contains("against all `run --out` does without it"),
        "{}",
        text(&text_out.stdout)
    );
}

/// What `bench --scenario` refuses (exit 2) and what it will not call a
/// measurement (exit 1).
#[test]
fn bench_scenario_refuses_nonsense_and_runs_cut_short() {
    let out = raftsim(&["bench", "--scenario", "bench", "--hours", "2"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--hours conflicts with --scenario"
    );
    let out = raftsim(&["bench", "--scenario", "no-such-scenario"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no-such-scenario: no such file"));
    let dir = scratch("bench-scenario");
    let only_raft_rs = dir.join("only-raft-rs.json");
    let scenario = r#"{"name": "t", "nodes": 3, "duration_ms": 1000,
        "variants": [{"label": "lib", "raft": {"implementation": "raft-rs"}}]}"#;
    std::fs::write(&only_raft_rs, scenario).unwrap();
    let file = only_raft_rs.to_str().unwrap();
    let out = raftsim(&["bench", "--scenario", file, "--model-only"]);
    assert_eq!(out.status.code(), Some(2));
    // Without raft-rs, validation refuses the file before bench sees it.
    let why = if cfg!(feature = "raft-rs") {
        "no variant to time (lib: --model-only)"
    } else {
        "built without the cargo feature `raft-rs`"
    };
    assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
    let cut_short = dir.join("cut-short.json");
    let scenario = r#"{"name": "t", "nodes": 3, "duration_ms": 60000, "max_events": 500}"#;
    std::fs::write(&cut_short, scenario).unwrap();
    let out = raftsim(&[
        "bench",
        "--scenario",
        cut_short.to_str().unwrap(),
        "--repeat",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("a run cut short is not a measurement"),
        "{}",
        text(&out.stderr)
    );
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

/// `--jobs 100000` used to start 100,000 threads and fail after 18 s.
#[test]
fn sweep_jobs_are_capped_at_the_seeds_and_the_machine() {
    let started = std::time::Instant::now();
    let out = raftsim(&[
        "sweep",
        "leader-crash",
        "--seeds",
        "0..3",
        "--jobs",
        "100000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("--jobs 100000 capped at "), "{err}");
    assert!(err.contains("(3 seeds to run, "), "{err}");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let capped = threads.min(3);
    assert!(err.contains(&format!("with {capped} job")), "{err}");
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn an_error_quotes_a_huge_number_compactly() {
    let path = scenario_file(
        "huge-number",
        r#"{"name": "x", "nodes": 3, "duration_ms": 1000, "network": {"loss": 1e300}}"#,
    );
    let out = raftsim(&["validate", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("network.loss: 1e300 is not a probability"),
        "{err}"
    );
    assert!(err.len() < 200, "{err}");
}

#[test]
fn the_top_level_help_gives_every_exit_code() {
    let out = raftsim(&["--help"]);
    // Whatever the terminal's width wraps.
    let help = text(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for phrase in [
        "0 ok",
        "1 a safety violation, a failed expectation or a run cut short by a limit",
        "2 bad input or usage, or a file (or stdout) that cannot be read or written",
    ] {
        assert!(help.contains(phrase), "{phrase}: {help}");
    }
}

/// DLedger's elector has no pre-vote: the setting is not silently ignored.
#[test]
fn pre_vote_with_dledger_is_a_warning() {
    let path = scenario_file(
        "dledger-pre-vote",
        r#"{"name": "d", "nodes": 3, "duration_ms": 1000,
            "raft": {"pre_vote": true},
            "variants": [{"label": "raft"}, {"label": "dledger", "raft": {"election": "dledger"}}]}"#,
    );
    let out = raftsim(&["validate", &path]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            r#"variant "dledger": raft.pre_vote has no effect with raft.election "dledger""#
        ),
        "{err}"
    );
    assert!(!err.contains(r#"variant "raft""#), "{err}");
}

/// A reused `--out` keeps no message diagram of the run before.
#[test]
fn a_reused_out_keeps_no_stale_message_diagrams() {
    let dir = scratch("stale-diagrams");
    let out_dir = dir.join("out");
    let out = out_dir.to_str().unwrap();
    let first = raftsim(&["run", "flaky-link", "--variant", "raft", "--out", out]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(out_dir.join("messages/raft-1.svg").exists());
    let second = raftsim(&["run", "flaky-link", "--variant", "prevote", "--out", out]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert!(
        !out_dir.join("messages/raft-1.svg").exists(),
        "the diagram of the first run is gone"
    );
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(!report.contains("messages/raft-1.svg"));
}

/// `bench --table` measures every size and implementation in a process of
/// its own; `--implementation` times one, with its sweep, on `--nodes`.
#[test]
fn bench_table_has_a_row_per_size_and_implementation() {
    let out = raftsim(&["bench", "--table", "--hours", "0.0003", "--repeat", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    let rows: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| nodes"))
        .collect();
    let implementations: &[&str] = match sim_core::node::Implementation::RaftRs.available() {
        true => &["model", "raft-rs"],
        false => &["model"],
    };
    assert_eq!(rows.len(), 5 * implementations.len(), "{shown}");
    for (row, (nodes, implementation)) in rows.iter().zip(
        [3, 5, 7, 16, 64]
            .iter()
            .flat_map(|n| implementations.iter().map(move |i| (n, i))),
    ) {
        assert!(
            row.starts_with(&format!("| {nodes} | {implementation} | ")),
            "{row}"
        );
        assert!(row.contains(" M | ") && row.contains(" MiB | "), "{row}");
    }
    let json = bench_json(&[
        "--nodes",
        "7",
        "--implementation",
        "model",
        "--sweep",
        "3",
        "--hours",
        "0.0003",
        "--repeat",
        "1",
    ]);
    assert_eq!(json["nodes"], 7);
    assert_eq!(json["implementation"], "model");
    assert_eq!(json["sweep"]["seeds"], 3);
    assert!(json["sweep"]["events"].as_u64().unwrap() > json["events"].as_u64().unwrap());
    for bad in [["--nodes", "65"], ["--nodes", "0"]] {
        let out = raftsim(&["bench", "--implementation", "model", bad[0], bad[1]]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
