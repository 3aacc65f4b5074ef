//! The replay viewer through the real binary: `run --out` writes it,
//! `view` writes it from a results file or a JSON Lines trace, `sweep
//! --out` writes one per failing seed it lists and names it, and bad
//! input exits 2 naming the path. (What the page shows is checked in
//! reports/tests/viewer.rs and, in a browser, in viewer_browser.rs.)

mod common;
use common::{raftsim, read, scratch, text};

fn page(dir: &std::path::Path, name: &str) -> String {
    text(&read(dir, name))
}

/// The JSON document a page holds.
fn data(page: &str) -> serde_json::Value {
    let start = page
        .find("<script id=\"viewer-data\" type=\"application/json\">")
        .expect("the data")
        + "<script id=\"viewer-data\" type=\"application/json\">".len();
    let end = start + page[start..].find("</script>").expect("its end");
    serde_json::from_str(&page[start..end]).expect("JSON")
}

#[test]
fn run_out_writes_the_viewer_and_view_writes_the_same_from_the_results() {
    let dir = scratch("run-and-view");
    let run_dir = dir.join("run");
    let out = raftsim(&[
        "run",
        "scenarios/leader-crash.json",
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = page(&run_dir, "viewer.html");
    let facts = data(&written);
    assert_eq!(facts["scenario"], "leader-crash");
    assert_eq!(facts["variants"].as_array().unwrap().len(), 5);
    assert_eq!(
        facts["command"],
        "raftsim run scenarios/leader-crash.json --seed 1"
    );
    assert!(page(&run_dir, "report.html").contains("<a href=\"viewer.html\">"));

    // `view` replays the results into the same page.
    let again = dir.join("again.html");
    let results = run_dir.join("results.json");
    let out = raftsim(&[
        "view",
        results.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("wrote {}", again.display())));
    assert_eq!(std::fs::read_to_string(&again).unwrap(), written);
    // Without --out: viewer.html beside the results; a directory names its results.
    let out = raftsim(&["view", run_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(page(&run_dir, "viewer.html"), written);
}

/// A trace of `run --trace` says what ran, so its viewer replays the run
/// and shows what the run's own viewer shows; a trace without that record
/// is read record by record (no links).
#[test]
fn view_reads_a_json_lines_trace() {
    let dir = scratch("trace");
    let trace = dir.join("crash.jsonl");
    let run_dir = dir.join("run");
    let out = raftsim(&[
        "run",
        "scenarios/leader-crash.json",
        "--variant",
        "raft",
        "--trace",
        trace.to_str().unwrap(),
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = raftsim(&["view", trace.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let replayed = data(&page(&dir, "crash.viewer.html"));
    let recorded = data(&page(&run_dir, "viewer.html"));
    assert_eq!(replayed["variants"], recorded["variants"]);
    assert_eq!(replayed["variants"][0]["label"], "raft");

    let whole = std::fs::read_to_string(&trace).unwrap();
    let (_, records) = whole.split_once('\n').unwrap();
    std::fs::write(&trace, records).unwrap();
    let out = raftsim(&["view", trace.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let facts = data(&page(&dir, "crash.viewer.html"));
    let variant = &facts["variants"][0];
    assert_eq!(variant["label"], "crash");
    assert_eq!(variant["links_known"], false);
    assert!(variant["markers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m[1] == "fault"));
}

#[test]
fn a_sweep_writes_a_viewer_for_each_failing_seed_and_names_it() {
    let dir = scratch("sweep");
    let out_dir = dir.join("sweep");
    let out = raftsim(&[
        "sweep",
        "scenarios/figure-3-7.json",
        "--seeds",
        "0..4",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let aggregate: serde_json::Value =
        serde_json::from_slice(&read(&out_dir, "sweep.json")).unwrap();
    let failures = aggregate["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    for f in failures {
        let seed = f["seed"].as_u64().unwrap();
        let name = format!("viewers/seed-{seed}.html");
        let shown = out_dir.join(&name);
        assert!(
            text(&out.stdout).contains(&format!("viewer: {}", shown.display())),
            "{}",
            text(&out.stdout)
        );
        let facts = data(&page(&out_dir, &name));
        assert_eq!(facts["seed"], seed);
        assert_eq!(facts["command"], f["command"]);
        // A seed with a violation opens at it.
        let violated = f["reasons"][0]
            .as_str()
            .unwrap()
            .contains("safety violation");
        assert_eq!(facts["start"]["variant"] == "planted", violated, "{f}");
    }
}

#[test]
fn bad_input_exits_2_naming_the_path() {
    let dir = scratch("bad");
    let missing = dir.join("missing.json");
    let out = raftsim(&["view", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(&format!("{}: no such file", missing.display())));

    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{\"not\": \"results\"}").unwrap();
    let out = raftsim(&["view", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(&format!(
        "{}: not a raftsim results file",
        garbage.display()
    )));

    let trace = dir.join("broken.jsonl");
    std::fs::write(
        &trace,
        "{\"seq\":0,\"at_us\":0,\"kind\":\"crash\",\"node\":1}\n{oops\n",
    )
    .unwrap();
    let out = raftsim(&["view", trace.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(&format!("{}: line 2:", trace.display())));

    let before = std::fs::read(&trace).unwrap();
    let same = trace.to_str().unwrap();
    let out = raftsim(&["view", same, "--out", same]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("that is the input"));
    assert_eq!(
        std::fs::read(&trace).unwrap(),
        before,
        "the input is left alone"
    );

    let out = raftsim(&[
        "view",
        garbage.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--out names a directory"));
    assert!(!dir.join("viewer.html").exists(), "nothing written");
}
