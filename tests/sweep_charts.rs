//! The distribution chart and the report a sweep directory gets, through
//! the real binary: written by `sweep --out` and by `merge --out`, and byte
//! for byte the same whether the seeds ran on one machine or as merged
//! shards.

use std::path::Path;
use std::process::Output;

const FILES: [&str; 3] = ["distributions.svg", "distributions.png", "report.html"];

mod common;
use common::{read, scratch};

/// Runs raftsim and requires success.
fn raftsim(args: &[&str]) -> Output {
    let output = common::raftsim(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "raftsim {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn path(dir: &Path) -> &str {
    dir.to_str().expect("a UTF-8 path")
}

#[test]
fn a_sweep_and_its_merged_shards_draw_the_same_charts() {
    let dir = scratch("sweep-charts");
    let (whole, s1, s2, merged) = (
        dir.join("whole"),
        dir.join("s1"),
        dir.join("s2"),
        dir.join("merged"),
    );
    let scenario = "scenarios/leader-crash.json";
    raftsim(&["sweep", scenario, "--seeds", "0..6", "--out", path(&whole)]);
    raftsim(&[
        "sweep",
        scenario,
        "--seeds",
        "0..6",
        "--shard",
        "1/2",
        "--out",
        path(&s1),
    ]);
    raftsim(&[
        "sweep",
        scenario,
        "--seeds",
        "0..6",
        "--shard",
        "2/2",
        "--out",
        path(&s2),
    ]);
    // Shards given in the other order: the records arrive seeds 3..6 first.
    raftsim(&["merge", path(&s2), path(&s1), "--out", path(&merged)]);

    for file in FILES {
        let one_machine = read(&whole, file);
        assert!(!one_machine.is_empty(), "{file}");
        assert!(
            one_machine == read(&merged, file),
            "{file} differs between the sweep and the merged shards"
        );
        // Each shard charts its own slice.
        assert!(!read(&s1, file).is_empty() && !read(&s2, file).is_empty());
        assert!(
            read(&s1, file) != one_machine,
            "{file}: the shard has 3 seeds"
        );
    }

    let svg = String::from_utf8(read(&whole, "distributions.svg")).expect("UTF-8");
    assert!(svg.contains("Distributions over seeds — leader-crash"));
    assert!(svg.contains("seeds 0..6 (6 seeds)"));
    for label in [
        "raft",
        "prevote",
        "checkquorum",
        "prevote+checkquorum",
        "dledger",
    ] {
        assert!(
            svg.contains(&format!(">\n{label}\n</text>")),
            "legend names {label}"
        );
    }
    let page = String::from_utf8(read(&whole, "report.html")).expect("UTF-8");
    assert!(page.contains(
        "<pre><code>raftsim sweep scenarios/leader-crash.json --seeds 0..6</code></pre>"
    ));
    let shard = String::from_utf8(read(&s1, "report.html")).expect("UTF-8");
    assert!(
        shard.contains("--seeds 0..6 --shard 1/2</code>"),
        "a shard's page reproduces the shard"
    );
    let png = read(&whole, "distributions.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    assert!(width >= 1200 && height >= 700, "{width}x{height}");
}

#[test]
fn a_sweep_without_out_writes_no_charts() {
    let dir = scratch("sweep-no-out");
    let output = common::command()
        .current_dir(&dir)
        .args([
            "sweep",
            concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/leader-crash.json"),
            "--seeds",
            "0..1",
        ])
        .output()
        .expect("raftsim runs");
    assert_eq!(output.status.code(), Some(0));
    let left: Vec<_> = std::fs::read_dir(&dir).expect("readable").collect();
    assert!(left.is_empty(), "nothing written without --out: {left:?}");
}

#[test]
fn the_sweep_report_shows_variants_chart_and_every_failing_seed() {
    let dir = scratch("sweep-report").join("out");
    // The planted bug breaks safety on some seeds, the correct variant
    // misses its expectation on others: both kinds of failure.
    let output = common::raftsim(&[
        "sweep",
        "scenarios/figure-3-7.json",
        "--seeds",
        "0..4",
        "--out",
        path(&dir),
    ]);
    assert_eq!(output.status.code(), Some(1), "failing seeds exit 1");
    let page = String::from_utf8(read(&dir, "report.html")).expect("UTF-8");
    let aggregate: serde_json::Value =
        serde_json::from_slice(&read(&dir, "sweep.json")).expect("sweep.json parses");
    for v in aggregate["variants"].as_array().expect("variants") {
        let label = v["label"].as_str().expect("a label");
        assert!(page.contains(&format!("<h3>{label}</h3>")), "names {label}");
    }
    let failures = aggregate["failures"].as_array().expect("failures");
    assert!(!failures.is_empty(), "figure-3-7 fails on some of 0..4");
    for f in failures {
        let command = f["command"].as_str().expect("a command");
        assert!(
            page.contains(&format!("replay: <code>{command}</code>")),
            "the page replays seed {}: {command}",
            f["seed"]
        );
    }
    assert!(page.contains("<table class=\"sweep-stats\">"));
    assert!(page.contains("<table class=\"sweep-pooled\">"));
    assert!(page.contains("<td>failover_ms.max</td>"));
    assert!(page.contains("<svg"), "the chart is inlined");
    assert!(page.contains("Distributions over seeds — figure-3-7"));
    assert!(page.contains("0..4 (4 seeds)"));
    assert!(
        !page.contains("src=") && !page.contains("href="),
        "self-contained: nothing fetched"
    );
}

/// A scenario's `published` percentiles are drawn as rings in each
/// variant's colour on the pooled panel, by `sweep --out` and by `merge`
/// alike; a section that names an unknown variant, metric or percentile
/// is refused with its JSON path.
#[test]
fn published_percentiles_are_drawn_as_rings_and_checked() {
    let dir = scratch("sweep-published");
    let text = std::fs::read(common::repo("scenarios/leader-crash.json")).unwrap();
    let mut scenario: serde_json::Value = serde_json::from_slice(&text).unwrap();
    scenario["published"] = serde_json::json!({
        "source": "a test's own numbers",
        "metric": "settled_ms",
        "points": [
            {"variant": "raft", "quantiles": {"p50": 400, "p99": 900}},
            {"variant": "prevote", "quantiles": {"p90": 700}}
        ]
    });
    let file = dir.join("published.json");
    std::fs::write(&file, scenario.to_string()).unwrap();
    let out = dir.join("out");
    raftsim(&["sweep", path(&file), "--seeds", "0..4", "--out", path(&out)]);
    let svg = String::from_utf8(read(&out, "distributions.svg")).unwrap();
    assert!(svg.contains("rings: a test"), "the panel names the source");
    let rings = svg.matches("<circle").count();
    // Each ring is a white disc under a coloured circle.
    assert_eq!(rings, 2 * 3, "{rings} circles for three published points");
    let (s1, s2, merged) = (dir.join("s1"), dir.join("s2"), dir.join("merged"));
    for (shard, shard_dir) in [("1/2", &s1), ("2/2", &s2)] {
        raftsim(&[
            "sweep",
            path(&file),
            "--seeds",
            "0..4",
            "--shard",
            shard,
            "--out",
            path(shard_dir),
        ]);
    }
    raftsim(&["merge", path(&s1), path(&s2), "--out", path(&merged)]);
    assert_eq!(
        read(&merged, "distributions.svg"),
        svg.as_bytes(),
        "merge draws the rings too"
    );

    let cases = [
        (
            serde_json::json!({"source": "x", "metric": "failover_ms", "points": [{"variant": "raft", "quantiles": {"p50": 1}}]}),
            "published.metric: \"failover_ms\": only \"settled_ms\"",
        ),
        (
            serde_json::json!({"source": "x", "metric": "settled_ms", "points": [{"variant": "nope", "quantiles": {"p50": 1}}]}),
            "published.points[0].variant: no variant is labelled \"nope\"",
        ),
        (
            serde_json::json!({"source": "x", "metric": "settled_ms", "points": [{"variant": "raft", "quantiles": {"p42": 1}}]}),
            "published.points[0].quantiles",
        ),
        (
            serde_json::json!({"source": "x", "metric": "settled_ms", "points": [{"variant": "raft", "quantiles": {"p50": 0}}]}),
            "published.points[0].quantiles.p50: 0 ms: must be more than 0",
        ),
        (
            serde_json::json!({"source": "", "metric": "settled_ms", "points": []}),
            "published.points: must hold 1 to 64 entries",
        ),
    ];
    for (i, (published, expected)) in cases.into_iter().enumerate() {
        scenario["published"] = published;
        let bad = dir.join(format!("bad-{i}.json"));
        std::fs::write(&bad, scenario.to_string()).unwrap();
        let output = common::raftsim(&["validate", path(&bad)]);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "case {i}: {err}");
    }
}
