//! The sweep's distribution chart (empirical CDFs over seeds), read back by
//! parsing the SVG: one step line per variant per panel, rising from 0% to
//! 100% left to right, the log axis when values spread, the same bytes for
//! the same seeds in any order, and no panic on degenerate sweeps.

mod svg;

use std::collections::BTreeMap;

use reports::charts::cdf::{self, CdfOptions, SweepSamples, VariantSamples, XScale};
use reports::charts::style::{self, variant_colour};
use reports::charts::ChartError;
use sim_core::metrics::Metrics;
use sim_core::stats::Summary;
use sim_core::sweep::{SeedRecord, SeedSamples, SeedVariant};
use svg::{assert_no_overlapping_text, elements, hex, panel_bounds, panel_of, svg_height, Element};

const PANELS: [&str; 4] = [
    "time to settle",
    "leaderless time",
    "failover time",
    "max term",
];

const FIVE: [&str; 5] = [
    "raft",
    "prevote",
    "checkquorum",
    "prevote+checkquorum",
    "dledger",
];

/// A deterministic spread of `n` values around `centre` (no randomness:
/// k-th value = centre × (0.6 + 0.8 k / n), shuffled by a stride).
fn spread(n: usize, centre: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (i * 7) % n)
        .map(|k| centre * (0.6 + 0.8 * k as f64 / n as f64))
        .collect()
}

/// `n` seeds of five variants; variant i centres on (i + 1) × 100 ms and
/// term i + 2. With `prevote_stuck`, prevote sits at about 30 s.
fn samples(n: usize, prevote_stuck: bool) -> SweepSamples {
    let variants = FIVE
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let centre = if prevote_stuck && *label == "prevote" {
                30_000.0
            } else {
                (i as f64 + 1.0) * 100.0
            };
            VariantSamples {
                label: label.to_string(),
                leaderless_ms: spread(n, centre),
                failover_ms: spread(n, centre / 2.0),
                max_term: spread(n, i as f64 + 2.0)
                    .into_iter()
                    .map(|t| t.round() as u64)
                    .collect(),
                settled_ms: spread(n * 3, centre / 2.0),
            }
        })
        .collect();
    SweepSamples {
        scenario: "fixture".into(),
        seeds: [0, n as u64],
        variants,
        published: None,
    }
}

/// The data lines (stroke width 2; legend samples are 3) per (panel, colour).
fn lines(els: &[Element]) -> BTreeMap<(usize, String), Vec<&Element>> {
    let bounds = panel_bounds(els, &PANELS, svg_height(els));
    let mut out: BTreeMap<(usize, String), Vec<&Element>> = BTreeMap::new();
    for e in els
        .iter()
        .filter(|e| e.tag == "polyline" && e.attr("stroke-width") == "2")
    {
        let first = e.points()[0];
        let panel = panel_of(&bounds, first.1).expect("a data line lies in a panel");
        out.entry((panel, e.attr("stroke").to_string()))
            .or_default()
            .push(e);
    }
    out
}

/// The y of each panel's tick label `text` ("0%", "100%"), in panel order.
fn tick_ys(els: &[Element], text: &str) -> Vec<f64> {
    els.iter()
        .filter(|e| e.tag == "text" && e.text == text)
        .map(|e| e.num("y"))
        .collect()
}

/// Every horizontal text lies on the canvas (rotated axis titles aside).
fn assert_texts_inside(svg: &str, what: &str) {
    let els = elements(svg);
    let width = els
        .iter()
        .find(|e| e.tag == "svg")
        .expect("svg root")
        .num("width");
    for e in els
        .iter()
        .filter(|e| e.tag == "text" && !e.attrs.contains_key("transform"))
    {
        let text_px = f64::from(style::text_width(&e.text, e.num("font-size") * 1.24));
        let x0 = match e.attr("text-anchor") {
            "end" => e.num("x") - text_px,
            "middle" => e.num("x") - text_px / 2.0,
            _ => e.num("x"),
        };
        assert!(
            x0 >= 0.0 && x0 + text_px <= width,
            "{what}: {:?} runs off the canvas",
            e.text
        );
    }
}

fn has_text(els: &[Element], pred: impl Fn(&str) -> bool) -> bool {
    els.iter().any(|e| e.tag == "text" && pred(&e.text))
}

#[test]
fn one_rising_step_line_per_variant_in_every_panel() {
    let svg = cdf::svg(&samples(40, false), CdfOptions::default()).expect("draws");
    let els = elements(&svg);
    let lines = lines(&els);
    assert_eq!(
        lines.len(),
        PANELS.len() * FIVE.len(),
        "no other data lines"
    );
    let (zero, hundred) = (tick_ys(&els, "0%"), tick_ys(&els, "100%"));
    assert_eq!((zero.len(), hundred.len()), (4, 4), "a y axis per panel");
    for panel in 0..PANELS.len() {
        for (i, label) in FIVE.iter().enumerate() {
            let found = &lines[&(panel, hex(variant_colour(i)))];
            assert_eq!(found.len(), 1, "panel {} {label}", PANELS[panel]);
            let points = found[0].points();
            for pair in points.windows(2) {
                let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
                assert!(x1 >= x0, "{label}: x goes back: {pair:?}");
                assert!(y1 <= y0, "{label}: the share of seeds falls: {pair:?}");
                assert!(x0 == x1 || y0 == y1, "{label}: a step: {pair:?}");
            }
            // From 0% to 100%, a pixel or two apart from the other variants.
            let (first, last) = (points[0], points[points.len() - 1]);
            assert!((first.1 - zero[panel]).abs() <= 3.0, "{label} starts at 0%");
            assert!(
                (last.1 - hundred[panel]).abs() <= 3.0,
                "{label} ends at 100%"
            );
        }
    }
    // Variant i centres on (i + 1) × 100 ms: the lines sit left to right.
    let starts: Vec<f64> = (0..FIVE.len())
        .map(|i| lines[&(0, hex(variant_colour(i)))][0].points()[0].0)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    for label in FIVE {
        assert!(has_text(&els, |t| t == label), "legend names {label}");
    }
    assert!(has_text(&els, |t| t == "Distributions over seeds — fixture"));
    assert!(has_text(&els, |t| t.contains("seeds 0..40 (40 seeds)")
        && t.contains("failover_ms.max")));
    assert!(has_text(&els, |t| t == "leaderless time per seed (ms)"));
    assert!(has_text(&els, |t| t == "seeds at or below (%)"));
}

#[test]
fn the_x_axis_turns_logarithmic_when_values_spread_a_hundredfold() {
    let stuck = samples(30, true);
    let svg = cdf::svg(&stuck, CdfOptions::default()).expect("draws");
    let els = elements(&svg);
    assert!(has_text(&els, |t| t == "leaderless time per seed (s, log scale)"));
    assert!(has_text(&els, |t| t == "worst failover per seed (s, log scale)"));
    assert!(has_text(&els, |t| t == "max term per seed (term)"));
    for tick in ["0.1", "1", "10"] {
        assert!(has_text(&els, |t| t == tick), "log tick {tick}");
    }
    // Forced either way.
    let linear = cdf::svg(
        &stuck,
        CdfOptions {
            x_scale: XScale::Linear,
        },
    )
    .expect("draws");
    assert!(!linear.contains("log scale"));
    let log = cdf::svg(
        &samples(30, false),
        CdfOptions {
            x_scale: XScale::Log,
        },
    )
    .expect("draws");
    assert!(elements(&log)
        .iter()
        .any(|e| e.text == "max term per seed (term, log scale of term + 1)"));
    // Calm values stay linear.
    let calm = cdf::svg(&samples(30, false), CdfOptions::default()).expect("draws");
    assert!(!calm.contains("log scale"));
}

#[test]
fn zeros_sit_at_the_left_of_a_log_axis() {
    let mut s = samples(20, false);
    s.variants.truncate(1);
    // Half the seeds at term 0, the others from 1 to 500: log(term + 1).
    s.variants[0].max_term = vec![0; 10];
    s.variants[0]
        .max_term
        .extend([1, 2, 5, 10, 20, 50, 100, 200, 300, 500]);
    let svg = cdf::svg(&s, CdfOptions::default()).expect("draws");
    let els = elements(&svg);
    assert!(has_text(&els, |t| t
        .starts_with("max term per seed (term, log scale")));
    let line = &lines(&els)[&(3, hex(variant_colour(0)))][0];
    let points = line.points();
    // The "0" tick of the max-term panel's x axis, and the jump to 50% there.
    let bounds = panel_bounds(&els, &PANELS, svg_height(&els));
    let zero_tick = els
        .iter()
        .find(|e| e.tag == "text" && e.text == "0" && panel_of(&bounds, e.num("y")) == Some(3))
        .expect("a 0 tick");
    assert!((points[0].0 - zero_tick.num("x")).abs() <= 1.0);
    let fifty = tick_ys(&els, "50%")[3];
    assert!((points[1].1 - fifty).abs() <= 2.0, "half the seeds at 0");
}

#[test]
fn failover_panel_leaves_out_seeds_without_a_failover() {
    let mut s = samples(10, false);
    s.variants[1].failover_ms.clear(); // prevote: never a completed failover
    s.variants[2].failover_ms.truncate(7); // checkquorum: 3 seeds without
    let svg = cdf::svg(&s, CdfOptions::default()).expect("draws");
    let els = elements(&svg);
    let lines = lines(&els);
    assert!(!lines.contains_key(&(2, hex(variant_colour(1)))));
    assert!(lines.contains_key(&(1, hex(variant_colour(1)))));
    assert!(lines.contains_key(&(2, hex(variant_colour(2)))));
    assert!(has_text(&els, |t| t.contains(
        "seeds without a completed failover left out: prevote 10, checkquorum 3"
    )));

    for v in &mut s.variants {
        v.failover_ms.clear();
    }
    let svg = cdf::svg(&s, CdfOptions::default()).expect("draws");
    let els = elements(&svg);
    assert!(has_text(&els, |t| t == "no seed had a completed failover"));
    assert!(!self::lines(&els).keys().any(|(panel, _)| *panel == 2));
}

fn record(seed: u64, leaderless_ms: f64, failovers: u64, max_term: u64) -> SeedRecord {
    let variant = |label: &str, extra_ms: f64| SeedVariant {
        label: label.to_string(),
        metrics: Metrics {
            leaderless_ms: leaderless_ms + extra_ms,
            failover_ms: Summary {
                count: failovers,
                p50: (failovers > 0).then_some(1.0),
                p99: (failovers > 0).then_some(2.0),
                max: (failovers > 0).then_some(leaderless_ms / 2.0 + extra_ms),
                ..Summary::default()
            },
            max_term,
            ..Metrics::default()
        },
        violations: vec![],
        limit_reached: None,
        failed_expectations: vec![],
        trace_hash: format!("{seed:016x}"),
        samples: SeedSamples::default(),
    };
    SeedRecord {
        seed,
        variants: vec![variant("raft", 0.0), variant("prevote", 50.0)],
    }
}

#[test]
fn the_same_seeds_in_any_order_give_the_same_bytes() {
    let records: Vec<SeedRecord> = (0..12)
        .map(|seed| {
            record(
                seed,
                200.0 + (seed * 37 % 11) as f64 * 10.0,
                seed % 3,
                2 + seed % 4,
            )
        })
        .collect();
    let labels = vec!["raft".to_string(), "prevote".to_string()];
    let forwards = SweepSamples::from_records("fixture", [0, 12], &labels, &records);
    // Two shards read back in the other order, each reversed.
    let mut shuffled: Vec<SeedRecord> = records[6..].iter().rev().cloned().collect();
    shuffled.extend(records[..6].iter().rev().cloned());
    let backwards = SweepSamples::from_records("fixture", [0, 12], &labels, &shuffled);
    let options = CdfOptions::default();
    assert_eq!(
        cdf::svg(&forwards, options).expect("draws"),
        cdf::svg(&backwards, options).expect("draws")
    );
    assert_eq!(
        cdf::png(&forwards, options).expect("draws"),
        cdf::png(&backwards, options).expect("draws")
    );
    // Seeds without a failover (count 0) are left out of that panel only.
    assert_eq!(forwards.variants[0].leaderless_ms.len(), 12);
    assert_eq!(forwards.variants[0].failover_ms.len(), 8);
    assert_eq!(
        forwards.variants[1].failover_ms[0],
        120.0 + 50.0,
        "seed 1's worst"
    );
    let svg = cdf::svg(&forwards, options).expect("draws");
    assert!(!svg.contains(" id="), "no generated ids");
}

#[test]
fn records_missing_a_variant_do_not_panic() {
    let mut records: Vec<SeedRecord> = (0..4).map(|seed| record(seed, 300.0, 1, 3)).collect();
    records[1].variants.remove(0);
    records[2].variants.reverse();
    records[3].variants.clear();
    let labels = vec![
        "raft".to_string(),
        "prevote".to_string(),
        "ghost".to_string(),
    ];
    let s = SweepSamples::from_records("fixture", [0, 4], &labels, &records);
    assert_eq!(s.variants[0].leaderless_ms.len(), 2);
    assert_eq!(s.variants[1].leaderless_ms.len(), 3);
    assert!(s.variants[2].leaderless_ms.is_empty());
    let svg = cdf::svg(&s, CdfOptions::default()).expect("draws");
    assert!(elements(&svg)
        .iter()
        .any(|e| e.tag == "text" && e.text.contains("3 of the 4 seeds 0..4")));
}

#[test]
fn degenerate_sweeps_still_draw() {
    let one =
        |label: &str, leaderless_ms: f64, failover_ms: Option<f64>, max_term: u64| VariantSamples {
            label: label.to_string(),
            leaderless_ms: vec![leaderless_ms],
            failover_ms: failover_ms.into_iter().collect(),
            max_term: vec![max_term],
            settled_ms: failover_ms.into_iter().collect(),
        };
    let sweep = |variants: Vec<VariantSamples>| SweepSamples {
        scenario: "edge".into(),
        seeds: [7, 8],
        variants,
        published: None,
    };
    let equal = |n: usize, value: f64| VariantSamples {
        label: "same".into(),
        leaderless_ms: vec![value; n],
        failover_ms: vec![value; n],
        max_term: vec![value as u64; n],
        settled_ms: vec![value; n],
    };
    let cases: Vec<(&str, SweepSamples)> = vec![
        (
            "one seed",
            sweep(vec![
                one("raft", 312.0, Some(160.0), 3),
                one("prevote", 300.0, None, 2),
            ]),
        ),
        ("all equal", sweep(vec![equal(50, 250.0), equal(50, 250.0)])),
        ("all zero", sweep(vec![equal(50, 0.0)])),
        ("no seeds", sweep(vec![equal(0, 0.0), equal(0, 0.0)])),
        ("no variants", sweep(vec![])),
        (
            "extremes",
            sweep(vec![
                one("huge", 1e300, Some(f64::MAX), u64::MAX),
                one("tiny", 1e-9, Some(0.0), 0),
                VariantSamples {
                    label: "dirty".into(),
                    leaderless_ms: vec![f64::NAN, -5.0, f64::INFINITY, 3.0],
                    failover_ms: vec![f64::NEG_INFINITY],
                    max_term: vec![],
                    settled_ms: vec![f64::NAN, 2.0],
                },
            ]),
        ),
        (
            "the most variants, long labels",
            sweep(
                (0..cdf::MAX_VARIANTS)
                    .map(|i| {
                        one(
                            &format!("variant {i} with a rather long label"),
                            100.0 * i as f64,
                            Some(i as f64),
                            i as u64,
                        )
                    })
                    .collect(),
            ),
        ),
    ];
    for (what, s) in &cases {
        for x_scale in [XScale::Auto, XScale::Linear, XScale::Log] {
            let options = CdfOptions { x_scale };
            let svg = cdf::svg(s, options).unwrap_or_else(|e| panic!("{what}: {e}"));
            let png = cdf::png(s, options).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(!png.is_empty());
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{what}");
            assert_no_overlapping_text(&svg, what);
            assert_texts_inside(&svg, what);
        }
    }
    // A single seed is a vertical jump from 0% to 100%.
    let svg = cdf::svg(&cases[0].1, CdfOptions::default()).expect("draws");
    let els = elements(&svg);
    let raft = &lines(&els)[&(0, hex(variant_colour(0)))][0].points();
    assert_eq!(raft.len(), 2);
    assert_eq!(raft[0].0, raft[1].0);
    assert!(has_text(&els, |t| t.contains("seeds 7..8 (1 seed)")));
    let none = cdf::svg(&cases[3].1, CdfOptions::default()).expect("draws");
    assert!(elements(&none)
        .iter()
        .any(|e| e.tag == "text" && e.text == "no seeds"));

    let mut too_many = cases[6].1.clone();
    too_many.variants.push(equal(1, 1.0));
    assert!(matches!(
        cdf::svg(&too_many, CdfOptions::default()),
        Err(ChartError::Invalid { .. })
    ));
}

#[test]
fn pngs_decode_to_the_promised_size() {
    for s in [samples(1, false), samples(200, true)] {
        let png_bytes = cdf::png(&s, CdfOptions::default()).expect("draws");
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let reader = decoder.read_info().expect("a PNG");
        let info = reader.info();
        assert_eq!((info.width, info.height), cdf::size(&s));
        assert!(info.width >= 1200 && info.height >= 700);
        // The SVG has the same size.
        let svg = cdf::svg(&s, CdfOptions::default()).expect("draws");
        let els = elements(&svg);
        let root = els.iter().find(|e| e.tag == "svg").expect("svg root");
        assert_eq!(
            (root.num("width") as u32, root.num("height") as u32),
            (info.width, info.height)
        );
    }
}

#[test]
fn no_text_overlaps_in_a_crowded_chart() {
    let mut s = samples(100, true);
    for (i, v) in s.variants.iter_mut().enumerate() {
        v.label = format!("{} with a long descriptive label {i}", v.label);
    }
    s.variants.extend(samples(100, false).variants);
    s.variants[6].failover_ms.truncate(3);
    let svg = cdf::svg(&s, CdfOptions::default()).expect("draws");
    assert_no_overlapping_text(&svg, "distributions");
    assert_texts_inside(&svg, "distributions");
}

/// Eleven variants: the eleventh has the first one's colour, so its lines
/// (and its legend sample) are dashed: many short segments where the first
/// variant's are one line.
#[test]
fn the_eleventh_variant_is_dashed_in_its_lines_and_its_legend() {
    let mut s = samples(20, false);
    let first = s.variants[0].clone();
    for k in 5..11 {
        s.variants.push(VariantSamples {
            label: format!("v{k}"),
            ..first.clone()
        });
    }
    assert_eq!(style::variant_style(10).colour, variant_colour(0));
    assert!(style::variant_style(10).dash().is_some());
    let svg = cdf::svg(&s, CdfOptions::default()).expect("draws");
    let els = elements(&svg);
    let strokes = |width: &str| {
        els.iter()
            .filter(|e| {
                e.tag == "polyline"
                    && e.attr("stroke") == hex(variant_colour(0))
                    && e.attr("stroke-width") == width
            })
            .count()
    };
    // Solid: one line per panel, one legend sample. Dashed: many pieces.
    assert!(strokes("2") > 4 * 4, "{} data pieces", strokes("2"));
    assert!(strokes("3") > 2, "{} legend pieces", strokes("3"));
    assert!(els.iter().any(|e| e.tag == "text" && e.text == "v10"));
}
