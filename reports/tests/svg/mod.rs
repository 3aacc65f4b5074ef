//! A small SVG reader for the rendering tests: every element with its
//! attributes and text, and helpers that find panels, colours and
//! overlapping labels. Shared by several test crates, each of which uses
//! only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;

use plotters::style::RGBColor;
use reports::charts::style;

#[derive(Debug)]
pub struct Element {
    pub tag: String,
    pub attrs: BTreeMap<String, String>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> &str {
        self.attrs.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn num(&self, name: &str) -> f64 {
        self.attr(name)
            .parse()
            .unwrap_or_else(|_| panic!("{} has no number {name}: {:?}", self.tag, self.attrs))
    }
    pub fn points(&self) -> Vec<(f64, f64)> {
        self.attr("points")
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }
}

pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every element of an SVG document with its attributes (and its text).
pub fn elements(svg: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("tag closes");
        let inside = &rest[..end];
        rest = &rest[end + 1..];
        if inside.starts_with('/') || inside.starts_with('?') || inside.starts_with('!') {
            continue;
        }
        let inside = inside.trim_end_matches('/');
        let (tag, mut attrs_text) = inside.split_once(' ').unwrap_or((inside, ""));
        let mut attrs = BTreeMap::new();
        while let Some(eq) = attrs_text.find("=\"") {
            let name = attrs_text[..eq].trim().to_string();
            let after = &attrs_text[eq + 2..];
            let close = after.find('"').expect("attribute closes");
            attrs.insert(name, unescape(&after[..close]));
            attrs_text = &after[close + 1..];
        }
        let text = if tag == "text" {
            unescape(rest[..rest.find("</text>").expect("text closes")].trim())
        } else {
            String::new()
        };
        out.push(Element {
            tag: tag.to_string(),
            attrs,
            text,
        });
    }
    out
}

pub fn hex(colour: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2)
}

/// The y of each panel title (a text equal to a variant label), in order,
/// and the end of the document: panel k spans titles[k]..titles[k + 1].
pub fn panel_bounds(els: &[Element], labels: &[&str], height: f64) -> Vec<(f64, f64)> {
    let mut tops: Vec<f64> = labels
        .iter()
        .map(|label| {
            let titles: Vec<&Element> = els
                .iter()
                .filter(|e| e.tag == "text" && e.text == *label)
                .collect();
            assert_eq!(titles.len(), 1, "one title for panel {label}");
            titles[0].num("y")
        })
        .collect();
    tops.push(height);
    tops.windows(2).map(|w| (w[0], w[1])).collect()
}

pub fn panel_of(bounds: &[(f64, f64)], y: f64) -> Option<usize> {
    bounds
        .iter()
        .position(|&(top, bottom)| y > top && y < bottom)
}

pub fn svg_height(els: &[Element]) -> f64 {
    els.iter()
        .find(|e| e.tag == "svg")
        .expect("svg root")
        .num("height")
}

pub fn opacity(e: &Element) -> f64 {
    e.attr("opacity").parse().unwrap_or(1.0)
}

/// Texts on one line (same y, same size) must not overlap, whatever the
/// chart: legends, fault chips in a lane, panel titles, bar labels.
pub fn assert_no_overlapping_text(svg: &str, what: &str) {
    let els = elements(svg);
    // (y, font-size) -> (left, right, text) of each text on that line.
    type Line<'a> = Vec<(f64, f64, &'a str)>;
    let mut rows: BTreeMap<(String, String), Line> = BTreeMap::new();
    for e in els
        .iter()
        .filter(|e| e.tag == "text" && !e.attrs.contains_key("transform"))
    {
        let size: f64 = e.num("font-size") * 1.24;
        let width = f64::from(style::text_width(&e.text, size));
        let x = e.num("x");
        let x0 = match e.attr("text-anchor") {
            "end" => x - width,
            "middle" => x - width / 2.0,
            _ => x,
        };
        rows.entry((e.attr("y").to_string(), e.attr("font-size").to_string()))
            .or_default()
            .push((x0, x0 + width, e.text.as_str()));
    }
    for ((y, _), mut texts) in rows {
        texts.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in texts.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0 + 0.5,
                "{what}: {:?} and {:?} overlap at y={y}",
                pair[0].2,
                pair[1].2
            );
        }
    }
}
