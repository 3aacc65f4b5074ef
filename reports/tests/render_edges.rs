//! Rendering at the edges: PNGs decode to the size promised, SVG output is
//! deterministic, results that do not fit are errors and extreme ones
//! still draw, and the report is one self-contained page. Drawn from the
//! same hand-made results as render.rs.

use reports::charts::{Chart, ChartError, ChartOptions, YScale};
use serde_json::json;
use sim_core::faults::FaultKind;
use sim_core::node::NodeId;
use sim_core::results::Results;

mod fixture;
mod svg;

use fixture::{fault, fixture, SIX};
use svg::assert_no_overlapping_text;

#[test]
fn pngs_decode_to_the_promised_size() {
    let small = fixture(5, &SIX[..2], 30);
    let large = fixture(9, &SIX, 30);
    for chart in Chart::ALL {
        let mut heights = Vec::new();
        for results in [&small, &large] {
            let png_bytes = chart.png(results, ChartOptions::default()).expect("draws");
            let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
            let reader = decoder.read_info().expect("a PNG");
            let info = reader.info();
            let data = reports::charts::prepare(results).expect("valid");
            assert_eq!(
                (info.width, info.height),
                chart.size(&data),
                "{}",
                chart.stem()
            );
            assert!(
                info.width >= 1200 && info.height >= 700,
                "{}: {}x{}",
                chart.stem(),
                info.width,
                info.height
            );
            heights.push(info.height);
        }
        if chart != Chart::Comparison {
            assert!(
                heights[1] > heights[0],
                "{}: more panels, taller image",
                chart.stem()
            );
        }
    }
}

#[test]
fn svg_output_is_deterministic() {
    let results = fixture(9, &SIX, 40);
    for chart in Chart::ALL {
        let a = chart.svg(&results, ChartOptions::default()).expect("draws");
        let b = chart
            .svg(&results.clone(), ChartOptions::default())
            .expect("draws");
        assert_eq!(a, b, "{}", chart.stem());
        assert!(!a.contains(" id="), "no generated ids");
    }
}

#[test]
fn results_that_do_not_fit_are_errors_not_panics() {
    let invalid = |results: &Results| -> String {
        for chart in Chart::ALL {
            assert!(chart.png(results, ChartOptions::default()).is_err());
        }
        match Chart::TermGrowth.svg(results, ChartOptions::default()) {
            Err(ChartError::Invalid { path, reason }) => format!("{path}: {reason}"),
            other => panic!("expected an invalid-input error, got {other:?}"),
        }
    };
    let good = fixture(5, &SIX[..2], 5);

    let mut r = good.clone();
    r.variants[1].series.terms[3].node = NodeId(0);
    assert_eq!(
        invalid(&r),
        "variants[1].series.terms[3].node: node 0 does not exist (the cluster has nodes 1..=5)"
    );

    let mut r = good.clone();
    r.variants[0].series.leaders[0].leader = Some(NodeId(6));
    assert!(invalid(&r).starts_with("variants[0].series.leaders[0].leader: node 6"));

    let mut r = good.clone();
    r.variants[0].series.disruptions[0].at_ms = -1.0;
    assert!(invalid(&r)
        .starts_with("variants[0].series.disruptions[0].at_ms: -1 ms is outside the run"));

    let mut r = good.clone();
    r.variants[0].series.faults[0].until_ms = Some(5_000.0);
    assert!(invalid(&r).starts_with("variants[0].series.faults[0].until_ms"));

    let mut r = good.clone();
    r.variants.clear();
    assert_eq!(invalid(&r), "variants: no variants to chart");

    let mut r = good.clone();
    r.duration_ms = 0;
    assert!(invalid(&r).starts_with("duration_ms"));

    let mut r = good.clone();
    r.nodes = 0;
    assert!(invalid(&r).starts_with("nodes"));

    let mut r = good;
    r.variants[0].series.terms.swap(0, 12);
    assert!(invalid(&r).contains("goes back in time"));
}

#[test]
fn extreme_but_valid_results_still_draw() {
    // 64 nodes, terms near u64::MAX, 300 overlapping faults with long
    // descriptions, thousands of term changes and 40 leaderless gaps.
    let mut results = fixture(64, &SIX[..2], 2_000);
    for v in &mut results.variants {
        v.series.terms.push(
            serde_json::from_value(json!({"at_ms": 59_999.0, "node": 64, "term": u64::MAX - 1}))
                .expect("a term point"),
        );
        v.series.faults = (0..300)
            .map(|i| {
                fault(
                    i,
                    100.0 * i as f64,
                    if i % 2 == 0 { "partition" } else { "set_link" },
                    &format!("partition {}", "1,2,3,4,5,6,7,8 | ".repeat(20)),
                    Some(100.0 * i as f64 + 20_000.0),
                )
            })
            .collect();
        v.series.leaders = (0..80u32)
            .map(|i| {
                let leader = (i % 2 == 0).then_some(1 + i % 64);
                let term = leader.map(|_| i);
                let point =
                    json!({"at_ms": 500.0 * f64::from(i) + 1.0, "leader": leader, "term": term});
                serde_json::from_value(point).expect("a leader point")
            })
            .collect();
    }
    for chart in Chart::ALL {
        for y_scale in [YScale::Auto, YScale::Linear] {
            let options = ChartOptions { y_scale };
            let svg = chart.svg(&results, options).expect("draws");
            assert!(svg.ends_with("</svg>\n") || svg.ends_with("</svg>"));
            let data = reports::charts::prepare(&results).expect("valid");
            let (width, height) = chart.size(&data);
            assert!(
                width == 1200 && height < 4_000,
                "{}: {width}x{height}",
                chart.stem()
            );
        }
        assert!(chart.png(&results, ChartOptions::default()).is_ok());
    }
    let svg = Chart::TermGrowth
        .svg(&results, ChartOptions::default())
        .expect("draws");
    assert_no_overlapping_text(&svg, "term-growth with 300 faults");
}

#[test]
fn a_fault_kind_from_another_version_draws_as_an_instant() {
    let mut results = fixture(5, &SIX[..1], 3);
    let unknown = fault(4, 45_000.0, "teleport", "teleport 2", Some(50_000.0));
    assert_eq!(unknown.kind, FaultKind::Other);
    results.variants[0].series.faults.push(unknown);
    let data = reports::charts::prepare(&results).expect("valid");
    let span = data.variants[0]
        .faults
        .iter()
        .find(|f| f.description == "teleport 2")
        .expect("kept");
    assert_eq!(span.to_ms, None, "not shaded");
    assert!(Chart::TermGrowth
        .svg(&results, ChartOptions::default())
        .is_ok());
}

// ---- the HTML report ------------------------------------------------------

#[test]
fn report_is_one_self_contained_page() {
    let mut results = fixture(5, &SIX[..4], 30);
    results.variants[2].safety = serde_json::from_value(json!({
        "ok": false,
        "violations": [{
            "property": "election_safety",
            "message": "two leaders in term 3",
            "at_ms": 1234.0,
            "event": 99,
        }],
    }))
    .expect("a safety verdict");
    let artifacts = reports::artifacts::render(
        &results,
        ChartOptions::default(),
        &Default::default(),
        &mut |_| {},
    )
    .expect("renders");
    let names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "term-growth.svg",
            "term-growth.png",
            "leader-timeline.svg",
            "leader-timeline.png",
            "comparison.svg",
            "comparison.png",
            "report.html"
        ]
    );
    let html = String::from_utf8(artifacts[6].bytes.clone()).expect("UTF-8");
    assert_eq!(html.matches("<svg").count(), 3, "the three charts inline");
    assert!(!html.contains("<?xml"));
    for forbidden in ["<script", "<link", " src=", "url(", "@import", "https:"] {
        assert!(!html.contains(forbidden), "{forbidden} in the report");
    }
    // The only http: is the SVG namespace, which is a name, not a fetch.
    assert_eq!(
        html.matches("http:").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(html.contains("<h1>fixture</h1>"));
    assert!(html.contains("A &lt;b&gt;hand-made&lt;/b&gt; run &amp; its faults."));
    assert!(html.contains("<pre><code>raftsim run fixture.json --seed 7</code></pre>"));
    assert!(html.contains("<dt>seed</dt><dd>7</dd>"));
    assert!(html.contains("✓ pass"));
    assert!(html.contains("election_safety"));
    assert!(html.contains("raftsim run fixture.json --seed 7 --variant checkquorum"));
    assert!(html.contains("failed: checkquorum"));
    // The metrics table has a column per variant.
    assert!(html.contains("<th>prevote+checkquorum</th>"));
    // The SVGs in the page are the SVG files, byte for byte.
    for (svg, name) in [
        (0, "term-growth"),
        (2, "leader-timeline"),
        (4, "comparison"),
    ] {
        let text = String::from_utf8(artifacts[svg].bytes.clone()).expect("UTF-8");
        let start = text.find("<svg").expect("svg");
        assert!(html.contains(text[start..].trim_end()), "{name} inline");
    }
}
