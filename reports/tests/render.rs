//! Rendering tests: charts drawn from a hand-made results model and read
//! back by parsing the SVG (elements, colours, positions), never by
//! comparing pixels. The edges (PNG sizes, determinism, results that do
//! not fit, the report page) are in render_edges.rs.

use std::collections::BTreeMap;

use reports::charts::style::{self, fault_style, node_colour, variant_colour};
use reports::charts::{Chart, ChartOptions, YScale};
use sim_core::faults::FaultKind;
use sim_core::results::Results;

mod fixture;
mod svg;

use fixture::{fault, fixture, SIX};
use svg::{
    assert_no_overlapping_text, elements, hex, opacity, panel_bounds, panel_of, svg_height, Element,
};

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
