//! Rendering tests: charts drawn from a hand-made results model and read
//! back by parsing the SVG (elements, colours, positions), never by
//! comparing pixels; PNGs are decoded for their size.

use std::collections::BTreeMap;

use reports::charts::style::{self, fault_style, node_colour, variant_colour};
use reports::charts::{Chart, ChartError, ChartOptions, YScale};
use serde_json::{json, Value};
use sim_core::faults::{FaultKind, FaultRecord};
use sim_core::metrics::Metrics;
use sim_core::node::NodeId;
use sim_core::results::Results;

mod svg;

use svg::{
    assert_no_overlapping_text, elements, hex, opacity, panel_bounds, panel_of, svg_height, Element,
};

const DURATION_MS: u64 = 60_000;

// The fixture is built as JSON and read back, as `raftsim chart` reads a
// results file, so that fields added to the results model later (with
// serde defaults) do not break these tests.

fn fault(
    index: usize,
    at_ms: f64,
    kind: &str,
    description: &str,
    until_ms: Option<f64>,
) -> FaultRecord {
    let mut record = json!({
        "index": index, "at_ms": at_ms, "kind": kind,
        "description": description, "nodes": [],
    });
    if let Some(until_ms) = until_ms {
        record["until_ms"] = json!(until_ms);
    }
    serde_json::from_value(record).expect("a fault record")
}

/// A run of `nodes` nodes and one variant per label: node 3 is isolated
/// from 10 s to 40 s and campaigns `climb` times; link 1-2 is cut from
/// 20 s to 30 s; the heal at 40 s ends the isolation; node 4 crashes at
/// 50 s for good. Node 1 leads in term 1 until node 3's return deposes it
/// at 40 s; node 2 leads from 40.3 s.
fn fixture(nodes: u32, labels: &[&str], climb: u64) -> Results {
    let variants: Vec<Value> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let mut terms = Vec::new();
            for node in 1..=nodes {
                terms.push(json!({"at_ms": 0.0, "node": node, "term": 0}));
            }
            for node in 1..=nodes {
                terms.push(json!({"at_ms": 1000.0, "node": node, "term": 1}));
            }
            for k in 1..=climb {
                terms.push(json!({
                    "at_ms": 10_000.0 + k as f64 * 29_000.0 / climb as f64,
                    "node": 3,
                    "term": 1 + k,
                }));
            }
            let top = 1 + climb;
            for node in (1..=nodes).filter(|&n| n != 3) {
                terms.push(json!({"at_ms": 40_000.0 + f64::from(node), "node": node, "term": top}));
            }
            let metrics = Metrics {
                max_term: top,
                term_inflation: top - 2,
                disruptions: 1,
                leader_changes: 1 + i as u64,
                elections_started: top + i as u64,
                leaderless_ms: 300.0 + i as f64,
                unavailable_ms: 400.0 + i as f64,
                ..Metrics::default()
            };
            let faults = vec![
                fault(0, 10_000.0, "isolate", "isolate 3", Some(40_000.0)),
                fault(1, 20_000.0, "cut", "cut 1-2", Some(30_000.0)),
                fault(2, 40_000.0, "heal", "heal", None),
                fault(3, 50_000.0, "crash", "crash 4", None),
            ];
            json!({
                "label": label,
                "config": {},
                "metrics": metrics,
                "safety": {"ok": true, "violations": []},
                "trace_hash": format!("{i:016x}"),
                "series": {
                    "terms": terms,
                    "leaders": [
                        {"at_ms": 1000.0, "leader": 1, "term": 1},
                        {"at_ms": 40_000.0, "leader": null, "term": null},
                        {"at_ms": 40_300.0, "leader": 2, "term": top},
                    ],
                    "disruptions": [{"at_ms": 40_001.0, "node": 1, "by": 3, "term": top}],
                    "faults": faults,
                },
            })
        })
        .collect();
    serde_json::from_value(json!({
        "scenario": "fixture",
        "description": "A <b>hand-made</b> run & its faults.",
        "seed": 7,
        "nodes": nodes,
        "duration_ms": DURATION_MS,
        "variants": variants,
        "expectations": [{
            "variant": labels[0], "metric": "disruptions",
            "min": 1.0, "actual": 1.0, "ok": true,
        }],
        "command": "raftsim run fixture.json --seed 7",
    }))
    .expect("a results model")
}

const SIX: [&str; 6] = [
    "raft",
    "prevote",
    "checkquorum",
    "prevote+checkquorum",
    "prevote-nolease",
    "dledger",
];

// ---- term growth ----------------------------------------------------------

#[test]
fn term_growth_draws_one_step_line_per_node_in_every_panel() {
    let results = fixture(9, &SIX, 30);
    let svg = Chart::TermGrowth
        .svg(&results, ChartOptions::default())
        .expect("draws");
    let els = elements(&svg);
    let bounds = panel_bounds(&els, &SIX, svg_height(&els));
    let mut lines: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for e in els
        .iter()
        .filter(|e| e.tag == "polyline" && e.attr("stroke-width") == "2")
    {
        let first = e.points()[0];
        let panel = panel_of(&bounds, first.1).expect("a data line lies in a panel");
        *lines
            .entry((panel, e.attr("stroke").to_string()))
            .or_default() += 1;
    }
    for (panel, label) in SIX.iter().enumerate() {
        for node in 1..=9 {
            assert_eq!(
                lines.get(&(panel, hex(node_colour(node)))),
                Some(&1),
                "panel {label} node {node}"
            );
        }
    }
    assert_eq!(lines.len(), 6 * 9, "no other data lines");

    // A step line: node 3's line has a vertical step for each campaign.
    let node3: Vec<&Element> = els
        .iter()
        .filter(|e| {
            e.tag == "polyline"
                && e.attr("stroke") == hex(node_colour(3))
                && e.attr("stroke-width") == "2"
        })
        .collect();
    let points = node3[0].points();
    for pair in points.windows(2) {
        assert!(
            pair[0].0 == pair[1].0 || pair[0].1 == pair[1].1,
            "steps are horizontal or vertical: {pair:?}"
        );
    }
    // The legend names every node.
    for node in 1..=9 {
        assert!(els
            .iter()
            .any(|e| e.tag == "text" && e.text == format!("node {node}")));
    }
}

#[test]
fn term_growth_shades_fault_intervals_and_labels_them() {
    let results = fixture(5, &SIX[..4], 30);
    let svg = Chart::TermGrowth
        .svg(&results, ChartOptions::default())
        .expect("draws");
    let els = elements(&svg);
    let bounds = panel_bounds(&els, &SIX[..4], svg_height(&els));

    let shades = |kind: FaultKind| -> Vec<Vec<&Element>> {
        let colour = hex(fault_style(kind).colour);
        let mut per_panel = vec![Vec::new(); bounds.len()];
        for e in els.iter().filter(|e| {
            e.tag == "rect"
                && e.attr("fill") == colour
                && (opacity(e) - style::SHADE_OPACITY).abs() < 1e-9
        }) {
            let panel = panel_of(&bounds, e.num("y")).expect("a shade lies in a panel");
            per_panel[panel].push(e);
        }
        per_panel
    };
    let (isolate, cut, crash) = (
        shades(FaultKind::Isolate),
        shades(FaultKind::Cut),
        shades(FaultKind::Crash),
    );
    for panel in 0..bounds.len() {
        assert_eq!(
            isolate[panel].len(),
            1,
            "isolate shaded once in panel {panel}"
        );
        assert_eq!(cut[panel].len(), 1, "cut shaded once in panel {panel}");
        assert_eq!(crash[panel].len(), 1, "crash shaded once in panel {panel}");
        // Time maps linearly: take the isolation (10 s..40 s) as the ruler.
        let iso = isolate[panel][0];
        let px_per_ms = iso.num("width") / 30_000.0;
        let x_at = |ms: f64| iso.num("x") + (ms - 10_000.0) * px_per_ms;
        let c = cut[panel][0];
        assert!(
            (c.num("x") - x_at(20_000.0)).abs() <= 1.5,
            "cut starts at 20 s"
        );
        assert!(
            (c.num("x") + c.num("width") - x_at(30_000.0)).abs() <= 1.5,
            "cut ends at 30 s"
        );
        let k = crash[panel][0];
        assert!(
            (k.num("x") - x_at(50_000.0)).abs() <= 1.5,
            "crash starts at 50 s"
        );
        assert!(
            (k.num("x") + k.num("width") - x_at(60_000.0)).abs() <= 1.5,
            "the crash lasts to the end of the run"
        );
        // All shades span the same plot height.
        assert_eq!(iso.num("height"), k.num("height"));
    }
    for label in ["isolate 3", "cut 1-2", "crash 4"] {
        let texts: Vec<&Element> = els
            .iter()
            .filter(|e| e.tag == "text" && e.text == label)
            .collect();
        assert_eq!(texts.len(), 4, "{label} labelled once per panel");
        for (panel, t) in texts.iter().enumerate() {
            assert_eq!(panel_of(&bounds, t.num("y")), Some(panel));
        }
    }
    // The heal ended the isolation: its end is the shade's edge, no label.
    assert!(!els.iter().any(|e| e.tag == "text" && e.text == "heal"));
    // Legend entries for the fault kinds.
    for legend in ["node isolated", "links cut", "node crashed"] {
        assert!(
            els.iter().any(|e| e.tag == "text" && e.text == legend),
            "{legend}"
        );
    }
}

#[test]
fn term_growth_rings_each_disruption() {
    let results = fixture(5, &SIX[..3], 10);
    let svg = Chart::TermGrowth
        .svg(&results, ChartOptions::default())
        .expect("draws");
    let els = elements(&svg);
    let bounds = panel_bounds(&els, &SIX[..3], svg_height(&els));
    let rings: Vec<&Element> = els
        .iter()
        .filter(|e| e.tag == "circle" && e.attr("stroke") == hex(style::DISRUPTION))
        .collect();
    // One in the legend, one per panel.
    assert_eq!(rings.len(), 1 + 3);
    for panel in 0..3 {
        assert_eq!(
            rings
                .iter()
                .filter(|r| panel_of(&bounds, r.num("cy")) == Some(panel))
                .count(),
            1
        );
    }
}

#[test]
fn y_axis_turns_logarithmic_when_terms_explode() {
    let desc = |results: &Results, y_scale: YScale| {
        let svg = Chart::TermGrowth
            .svg(results, ChartOptions { y_scale })
            .expect("draws");
        let els = elements(&svg);
        let log = els
            .iter()
            .any(|e| e.tag == "text" && e.text == "term (log scale)");
        let linear = els.iter().any(|e| e.tag == "text" && e.text == "term");
        assert!(log != linear);
        if log {
            "log"
        } else {
            "linear"
        }
    };
    let calm = fixture(5, &SIX[..2], 20); // max term 21
    let wild = fixture(5, &SIX[..2], 200); // max term 201
    assert_eq!(desc(&calm, YScale::Auto), "linear");
    assert_eq!(desc(&wild, YScale::Auto), "log");
    assert_eq!(desc(&wild, YScale::Linear), "linear");
    assert_eq!(desc(&calm, YScale::Log), "log");
    // Log ticks 1-2-5: the axis reaches 500 for a max term of 201.
    let svg = Chart::TermGrowth
        .svg(&wild, ChartOptions::default())
        .expect("draws");
    let ticks: Vec<String> = elements(&svg)
        .into_iter()
        .filter(|e| e.tag == "text" && e.attr("text-anchor") == "end")
        .map(|e| e.text)
        .collect();
    for tick in ["0", "1", "10", "100", "500"] {
        assert!(ticks.iter().any(|t| t == tick), "tick {tick} in {ticks:?}");
    }
}

// ---- leader timeline ------------------------------------------------------

#[test]
fn leader_timeline_shows_leaders_and_leaderless_gaps() {
    let labels = &SIX[..4];
    let results = fixture(5, labels, 30);
    let svg = Chart::LeaderTimeline
        .svg(&results, ChartOptions::default())
        .expect("draws");
    let els = elements(&svg);
    let bounds = panel_bounds(&els, labels, svg_height(&els));
    for panel in 0..labels.len() {
        let in_panel = |e: &&Element| panel_of(&bounds, e.num("y")) == Some(panel);
        let band = |node: u32| {
            els.iter()
                .filter(|e| {
                    e.tag == "rect" && e.attr("fill") == hex(node_colour(node)) && opacity(e) == 1.0
                })
                .filter(in_panel)
                .count()
        };
        assert_eq!(band(1), 1, "node 1 leads once");
        assert_eq!(band(2), 1, "node 2 leads once");
        assert_eq!(band(3), 0);
        // The gap before the first leader and the 300 ms after the deposition.
        let gaps: Vec<&Element> = els
            .iter()
            .filter(|e| e.tag == "rect" && e.attr("stroke") == hex(style::NO_LEADER))
            .filter(in_panel)
            .collect();
        assert_eq!(gaps.len(), 2, "two leaderless stretches in panel {panel}");
        assert!(
            gaps.iter().all(|g| g.num("width") >= 2.0),
            "gaps stay visible"
        );
        let labels_in_panel: Vec<&str> = els
            .iter()
            .filter(|e| e.tag == "text")
            .filter(in_panel)
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            labels_in_panel.contains(&"no leader 300 ms"),
            "{labels_in_panel:?}"
        );
        assert!(labels_in_panel.contains(&"node 1 · term 1"));
        assert!(labels_in_panel.contains(&"isolate 3"));
    }
}

// ---- comparison -----------------------------------------------------------

#[test]
fn comparison_has_a_bar_per_variant_per_metric() {
    let results = fixture(5, &SIX, 30);
    let svg = Chart::Comparison
        .svg(&results, ChartOptions::default())
        .expect("draws");
    let els = elements(&svg);
    for (i, label) in SIX.iter().enumerate() {
        let bars = els
            .iter()
            .filter(|e| e.tag == "rect" && e.attr("fill") == hex(variant_colour(i)))
            .count();
        // Six metric panels and the legend.
        assert_eq!(bars, 6 + 1, "bars of {label}");
        // Its name beside each bar and in the legend.
        assert_eq!(
            els.iter()
                .filter(|e| e.tag == "text" && e.text == *label)
                .count(),
            6 + 1
        );
    }
    for title in [
        "term inflation (terms)",
        "disruptions (count)",
        "leaderless time (virtual time)",
    ] {
        assert!(
            els.iter().any(|e| e.tag == "text" && e.text == title),
            "{title}"
        );
    }
}

/// The bundled chaos scenario compares nine variants, and a scenario may
/// have 64: no two look alike. The first ten differ by colour; after them
/// a colour comes back hatched (bars) or dashed (lines).
#[test]
fn every_variant_has_its_own_look() {
    let looks: Vec<_> = (0..64).map(style::variant_style).collect();
    for (i, a) in looks.iter().enumerate() {
        for (j, b) in looks.iter().enumerate().skip(i + 1) {
            assert_ne!(a, b, "variants {i} and {j}");
        }
    }
    let nine: Vec<_> = looks[..9].iter().map(|l| l.colour).collect();
    for (i, colour) in nine.iter().enumerate() {
        assert!(!nine[i + 1..].contains(colour), "chaos: variant {i}");
    }
}

#[test]
fn comparison_bars_past_the_tenth_variant_are_hatched_and_so_is_their_legend() {
    let labels: Vec<String> = (0..12).map(|i| format!("v{i}")).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let results = fixture(3, &labels, 30);
    let svg = Chart::Comparison
        .svg(&results, ChartOptions::default())
        .expect("draws");
    let els = elements(&svg);
    let filled = |colour| {
        els.iter()
            .filter(|e| e.tag == "rect" && e.attr("fill") == hex(colour))
            .count()
    };
    let outlined = |colour| {
        els.iter()
            .filter(|e| e.tag == "rect" && e.attr("stroke") == hex(colour))
            .count()
    };
    // Variant 0 and variant 10 share a colour: 0 is filled (six panels and
    // its legend sample), 10 outlined and hatched, legend included.
    assert_eq!(filled(variant_colour(0)), 6 + 1);
    assert_eq!(outlined(variant_colour(10)), 6 + 1);
    assert_eq!(outlined(variant_colour(11)), 6 + 1);
    let hatching = els
        .iter()
        .filter(|e| e.tag == "polyline" && e.attr("stroke") == hex(variant_colour(10)))
        .count();
    assert!(hatching > 7, "{hatching} hatching lines");
    for i in 1..10 {
        assert_eq!(filled(variant_colour(i)), 6 + 1, "variant {i}");
    }
}

// ---- all charts -----------------------------------------------------------

#[test]
fn no_text_overlaps_with_nine_nodes_and_six_variants() {
    let mut results = fixture(9, &SIX, 60);
    // Crowd the fault strip: faults close together need several lanes.
    for v in &mut results.variants {
        v.series.faults = vec![
            fault(0, 10_000.0, "isolate", "isolate 3", Some(40_000.0)),
            fault(1, 10_500.0, "cut", "cut 1-2, 3-4, 5-6", Some(11_000.0)),
            fault(
                2,
                11_200.0,
                "partition",
                "partition 1,2,3,4 | 5,6,7,8,9",
                Some(12_000.0),
            ),
            fault(3, 12_500.0, "crash", "crash 7", Some(13_000.0)),
            fault(4, 40_000.0, "heal", "heal", None),
            fault(
                5,
                45_000.0,
                "set_network",
                "network loss 20%",
                Some(59_000.0),
            ),
            fault(6, 59_500.0, "crash", "crash 9", None),
        ];
    }
    for chart in Chart::ALL {
        let svg = chart.svg(&results, ChartOptions::default()).expect("draws");
        assert_no_overlapping_text(&svg, chart.stem());
    }
}

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
