//! Message diagrams through the real binary (docs/CHARTS.md): `run --out`
//! writes one SVG per disruption under `messages/` and inlines each in
//! report.html below the term-growth chart; what the isolate-rejoin
//! diagram of seed 1 shows; every lane at 9 nodes; `chart` regenerates
//! them byte for byte.

mod common;
use common::{raftsim, read, repo, scratch, text};

/// `raftsim run SCENARIO --seed 1 --out DIR ARGS...`, which must exit 0.
fn run_out(name: &str, extra: &[&str]) -> std::path::PathBuf {
    let dir = scratch(name).join("out");
    let file = repo("scenarios/isolate-rejoin.json");
    let out = dir.to_str().unwrap();
    let mut args = vec!["run", file.as_str(), "--seed", "1", "--out", out];
    args.extend_from_slice(extra);
    let output = raftsim(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    dir
}

/// The opening tags of the elements with `class`, in order.
fn elements<'a>(svg: &'a str, class: &str) -> Vec<&'a str> {
    let needle = format!("class=\"{class}\"");
    svg.match_indices(&needle)
        .map(|(at, _)| {
            let end = svg[at..].find('>').map_or(svg.len(), |e| at + e);
            &svg[at..end]
        })
        .collect()
}

fn attr(tag: &str, name: &str) -> String {
    let key = format!("{name}=\"");
    let start = tag.find(&key).expect(name) + key.len();
    tag[start..].split('"').next().unwrap().to_string()
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn isolate_rejoin_shows_the_rejoining_vote_request_and_the_step_down() {
    let dir = run_out("messages-rejoin", &["--variant", "raft"]);
    let svg = text(&read(&dir, "messages/raft-1.svg"));
    // The disruption: leader 3 deposed by node 4's term 270 at 80.006 s.
    let deposing = elements(&svg, "msg disrupting");
    assert_eq!(deposing.len(), 1, "one deposing message");
    assert_eq!(attr(deposing[0], "data-from"), "4");
    assert_eq!(attr(deposing[0], "data-to"), "3");
    assert_eq!(attr(deposing[0], "data-term"), "270");
    let step_down = elements(&svg, "mark step-down");
    assert_eq!(step_down.len(), 1, "the leader's step-down is marked");
    assert_eq!(attr(step_down[0], "data-node"), "3");
    assert_eq!(attr(step_down[0], "data-role"), "follower");
    assert!(svg.contains("steps down: T270 follower"), "labelled");
    // The rejoining node's vote request with its inflated term, delivered.
    let votes: Vec<&str> = elements(&svg, "msg")
        .into_iter()
        .filter(|m| attr(m, "data-kind") == "RequestVote" && attr(m, "data-from") == "4")
        .collect();
    assert!(
        votes
            .iter()
            .any(|m| attr(m, "data-term") == "271" && attr(m, "data-fate") == "delivered"),
        "{votes:?}"
    );
    assert!(
        svg.contains(">RequestVote T271<"),
        "the request is labelled"
    );
    // While cut off, its requests die at the cut: drawn with a cross.
    assert!(
        votes.iter().any(|m| attr(m, "data-fate") == "link cut"),
        "{votes:?}"
    );
    assert!(
        svg.contains("class=\"drop\""),
        "a cross for a dropped message"
    );
    // Its lane is shaded as cut off until the heal, which is marked.
    assert!(svg.contains("class=\"cut\" data-node=\"4\""));
    assert!(svg.contains(">heal<"));
    assert!(svg.contains("class=\"leading\" data-node=\"3\""));
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn run_out_writes_every_diagram_and_the_report_inlines_them_after_the_term_chart() {
    let dir = run_out("messages-report", &[]);
    let report = text(&read(&dir, "report.html"));
    // isolate-rejoin's seed 1 has one disruption in raft, checkquorum and raft-rs.
    for (label, file) in [
        ("raft", "messages/raft-1.svg"),
        ("checkquorum", "messages/checkquorum-1.svg"),
        ("raft-rs", "messages/raft-rs-1.svg"),
    ] {
        let svg = text(&read(&dir, file));
        assert!(svg.starts_with("<svg"), "{file}");
        let heading = format!("<h3>Messages: {label}, disruption (1)</h3>");
        let at = report.find(&heading).unwrap_or_else(|| panic!("{heading}"));
        assert!(report[at..].contains(svg.trim_end()), "{file} inlined");
        let term_chart = report.find("<h3>Term growth").expect("term chart");
        let timeline = report.find("<h3>Leader timeline").expect("timeline");
        assert!(
            term_chart < at && at < timeline,
            "{label}: below the term chart"
        );
    }
    assert!(
        !dir.join("messages/prevote-1.svg").exists(),
        "no disruption, no diagram"
    );
    // `chart` replays the same windows: the same bytes.
    let again = scratch("messages-report-again");
    let results = dir.join("results.json");
    let output = raftsim(&[
        "chart",
        results.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for file in ["messages/raft-1.svg", "report.html"] {
        assert_eq!(read(&dir, file), read(&again, file), "{file}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn nine_nodes_get_nine_lanes() {
    let dir = run_out("messages-nine", &["--variant", "raft", "--set", "nodes=9"]);
    let svg = text(&read(&dir, "messages/raft-1.svg"));
    for n in 1..=9 {
        assert!(svg.contains(&format!(">node {n}</text>")), "lane {n}");
    }
    assert!(!svg.contains(">node 10<"));
    let receivers: std::collections::BTreeSet<String> = elements(&svg, "msg")
        .iter()
        .map(|m| attr(m, "data-to"))
        .collect();
    assert_eq!(
        receivers.len(),
        9,
        "messages reach every lane: {receivers:?}"
    );
    assert_eq!(elements(&svg, "msg disrupting").len(), 1);
}

#[test]
fn a_safety_violation_gets_a_diagram_ending_at_it() {
    let dir = scratch("messages-violation");
    let scenario = dir.join("buggy.json");
    std::fs::write(&scenario, common::BUGGY_REJOIN).unwrap();
    let out = dir.join("out");
    let output = raftsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    // Its first moment is the disruption the stale node caused; then the violation.
    assert!(text(&read(&out, "messages/buggy-1.svg")).contains("class=\"msg disrupting\""));
    let svg = text(&read(&out, "messages/buggy-2.svg"));
    assert!(
        svg.contains("safety violation (leader_completeness)"),
        "titled by the property"
    );
    assert!(
        svg.contains(">violation: leader_completeness<"),
        "the moment is marked"
    );
    // The stale node's winning election is on its lane: a candidate, then leader.
    let marks = elements(&svg, "mark");
    assert!(
        marks.iter().any(|m| attr(m, "data-role") == "leader"),
        "{marks:?}"
    );
    let granted_votes = elements(&svg, "msg")
        .into_iter()
        .filter(|m| attr(m, "data-kind") == "VoteResponse")
        .count();
    assert!(granted_votes >= 2, "the votes that elected it are drawn");
    let report = text(&read(&out, "report.html"));
    assert!(report.contains("<h3>Messages: buggy, safety violation (2)</h3>"));
    let at = svg
        .split("safety violation (leader_completeness) at ")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the title says when");
    assert!(
        svg.contains(&format!("to {at})")),
        "the window ends where the run stopped, at {at}"
    );
}
