//! The replay viewer in a real browser: headless Chromium opens viewers of
//! bundled scenarios at instants around every fault, and every node the
//! page draws shows exactly the role, term, commit index and log length
//! that `raftsim inspect RESULTS.json --at T --variant L` prints.
//!
//! Without a browser the tests say that they skipped, unless `CI` or
//! `RAFTSIM_REQUIRE_BROWSER` is set (`.ci/run` sets it and installs
//! Chromium): then they fail. `RAFTSIM_CHROMIUM` names the browser when it
//! is not `chromium` (or `chromium-browser`, `google-chrome`) on the PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{raftsim, scratch, text};

/// The browser, if there is one; with none, skipping is said aloud, and
/// where a browser is required it is a failure.
fn browser() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RAFTSIM_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).find_map(|dir| {
            [
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ]
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
        })
    });
    if found.is_none() {
        let required = ["CI", "RAFTSIM_REQUIRE_BROWSER"]
            .iter()
            .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()));
        assert!(
            !required,
            "no headless Chromium (chromium on the PATH, or RAFTSIM_CHROMIUM), and CI or \
             RAFTSIM_REQUIRE_BROWSER requires one: apt-get install -y chromium"
        );
        // Straight to stderr, past the test harness's capture: seen in a
        // plain `cargo test`.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"SKIPPED: the viewer's browser test needs headless Chromium (apt-get install -y \
              chromium, or RAFTSIM_CHROMIUM=/path/to/chrome); none found\n",
        );
    }
    found
}

/// Runs bundled scenario `name` with `--out DIR/run` (it must pass); that
/// directory.
fn run_out(dir: &Path, name: &str) -> PathBuf {
    run_out_with(dir, name, &[])
}

/// The general chaos with its blind kinds only, a few a minute, under 20
/// proposals/s, for two virtual minutes: random faults whose page holds
/// full detail around each (the whole generator's thousands of faults a
/// run are recorded at the page's pace instead).
const BLIND_CHAOS: [&str; 3] = [
    r#"chaos={"isolate_per_min": 2, "partition_per_min": 1, "cut_per_min": 2, "crash_per_min": 2, "loss_spike_per_min": 1, "duration_ms": [500, 8000]}"#,
    "workload.proposals_per_sec=20",
    "duration_ms=120000",
];

/// `raftsim run NAME --out` with `--set` overrides.
fn run_out_with(dir: &Path, name: &str, sets: &[&str]) -> PathBuf {
    let run_dir = dir.join("run");
    let scenario = format!("scenarios/{name}.json");
    let mut args = vec!["run", &scenario, "--out", run_dir.to_str().unwrap()];
    for set in sets {
        args.extend(["--set", set]);
    }
    let out = raftsim(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    run_dir
}

/// Chromium's flags for a quiet, offline, throwaway headless run.
fn chromium(browser: &Path, profile: &Path) -> Command {
    let mut command = Command::new(browser);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=20000",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// The page's DOM after its script ran, at `address` (a file URL).
fn dump_dom(browser: &Path, dir: &Path, address: &str) -> String {
    static PROFILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = PROFILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = dir.join(format!("profile-{k}"));
    let _ = std::fs::remove_dir_all(&profile);
    let mut child = chromium(browser, &profile)
        .arg("--dump-dom")
        .arg(address)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the browser starts");
    let mut stdout = child.stdout.take().expect("its output");
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut dom).expect("UTF-8");
        dom
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().expect("the browser runs").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the browser did not finish within 3 minutes: {address}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&profile);
    reader.join().expect("read")
}

fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// A label as part of the page's address.
fn encode(label: &str) -> String {
    label
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn file_url(path: &Path) -> String {
    format!(
        "file://{}",
        path.canonicalize().expect("the page").display()
    )
}

/// What `raftsim inspect` prints of every node of `label` at `at_ms`:
/// (role, term, commit, log) by node.
fn inspect(results: &Path, label: &str, at_ms: f64) -> Vec<(String, u64, u64, u64)> {
    let out = raftsim(&[
        "inspect",
        results.to_str().unwrap(),
        "--at",
        &format!("{at_ms}ms"),
        "--variant",
        label,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let states: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    states[0]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["role"].as_str().unwrap().to_string(),
                n["term"].as_u64().unwrap(),
                n["commit_index"].as_u64().unwrap(),
                n["log_length"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Inspect's role for the viewer's: `crashed` is inspect's `down`; a
/// paused node is shown as paused, a node outside the committed
/// configuration as removed and a learner as learner, and inspect prints
/// the role it holds.
fn inspect_role(node: &Value) -> String {
    match node["role"].as_str().unwrap() {
        "crashed" => "down".to_string(),
        "paused" | "removed" | "learner" => {
            inspect_role(&serde_json::json!({ "role": node["raft_role"] }))
        }
        "precandidate" => "pre-candidate".to_string(),
        role => role.to_string(),
    }
}

/// Where `node` stands at `at_ms` in the configuration the cluster had
/// committed then (results' `members` and `series.configs`), as the
/// viewer names it: `removed` (outside), `learner`, or None (a voter).
fn committed_place(results: &Value, label: &str, at_ms: f64, node: u64) -> Option<&'static str> {
    let variant = results["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"] == label)
        .expect("the variant");
    let has = |set: &Value| {
        set.as_array()
            .is_some_and(|s| s.iter().any(|n| n.as_u64() == Some(node)))
    };
    let configs = variant["series"]["configs"].as_array();
    let last = configs.and_then(|c| {
        c.iter()
            .rev()
            .find(|c| c["committed_at_ms"].as_f64().unwrap() <= at_ms)
    });
    match last {
        Some(c) if has(&c["learners"]) => Some("learner"),
        Some(c) if has(&c["voters"]) || has(&c["outgoing"]) => None,
        Some(_) => Some("removed"),
        None if results["members"].is_null() || has(&results["members"]) => None,
        None => Some("removed"),
    }
}

/// Instants around every fault of `label` (in ms): one millisecond before
/// (when it fired when due), at, one and 20 milliseconds after.
fn around_faults(results: &Value, label: &str) -> Vec<f64> {
    let variant = results["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"] == label)
        .expect("the variant");
    let end_ms = results["duration_ms"].as_f64().unwrap();
    let mut at: Vec<f64> = Vec::new();
    for fault in variant["series"]["faults"].as_array().unwrap() {
        if fault["skipped"].is_string() {
            continue;
        }
        let t = fault["at_ms"].as_f64().unwrap();
        if fault["due_ms"].is_null() {
            at.push(t - 1.0);
        }
        at.extend([t, t + 1.0, t + 20.0]);
    }
    at.retain(|&t| (0.0..=end_ms).contains(&t));
    at.sort_by(f64::total_cmp);
    at.dedup();
    at
}

/// Runs `scenario`, writes its viewer, and for each of `labels` opens the
/// page in the browser at every instant around every fault: each node
/// drawn carries what inspect prints.
fn shows_what_inspect_prints(name: &str, labels: &[&str]) {
    shows_what_inspect_prints_with(name, &[], labels);
}

fn shows_what_inspect_prints_with(name: &str, sets: &[&str], labels: &[&str]) {
    let Some(browser) = browser() else {
        return;
    };
    let dir = scratch(&format!("browser-{name}"));
    let run_dir = dir.join("run");
    let scenario = format!("scenarios/{name}.json");
    let mut args = vec![
        "run",
        &scenario,
        "--json",
        "--out",
        run_dir.to_str().unwrap(),
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    let out = raftsim(&args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    let results_path = run_dir.join("results.json");
    let results: Value = serde_json::from_slice(&out.stdout).expect("results");
    let page = file_url(&run_dir.join("viewer.html"));
    let nodes = results["nodes"].as_u64().unwrap() as usize;
    for &label in labels {
        let instants = around_faults(&results, label);
        assert!(!instants.is_empty(), "{name}/{label} has faults");
        let list: Vec<String> = instants.iter().map(|t| format!("{t}")).collect();
        let address = format!(
            "{page}#t=0&variant={}&compare=none&probe={}",
            encode(label),
            list.join(",")
        );
        let dom = dump_dom(&browser, &dir, &address);
        let start = dom
            .find("<pre id=\"probe-result\" hidden=\"\">")
            .unwrap_or_else(|| {
                panic!(
                    "{name}/{label}: the page ran its script:\n{}",
                    &dom[..dom.len().min(3000)]
                )
            });
        let json = &dom[start + "<pre id=\"probe-result\" hidden=\"\">".len()..];
        let json = unescape(&json[..json.find("</pre>").expect("its end")]);
        let shown: Vec<Value> = serde_json::from_str(&json).expect("the probe's JSON");
        assert_eq!(
            shown.len(),
            instants.len() * nodes,
            "{name}/{label}: a node each"
        );
        let expected: Vec<Vec<(String, u64, u64, u64)>> = std::thread::scope(|s| {
            let results_path = &results_path;
            let handles: Vec<_> = instants
                .chunks(instants.len().div_ceil(2))
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|&t| inspect(results_path, label, t))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("inspect"))
                .collect()
        });
        for ((t, printed), drawn) in instants.iter().zip(&expected).zip(shown.chunks(nodes)) {
            for (node, (role, term, commit, log)) in printed.iter().enumerate() {
                let d = &drawn[node];
                let place = format!("{name}/{label}, node {} at {t} ms", node + 1);
                assert_eq!(d["variant"], label, "{place}");
                assert_eq!(d["node"], node as u64 + 1, "{place}");
                assert_eq!(d["t_us"].as_f64(), Some((t * 1000.0).round()), "{place}");
                assert_eq!(d["exact"], true, "{place}: full detail around a fault");
                assert_eq!(&inspect_role(d), role, "{place}: role {d}");
                if role != "down" && d["role"] != "paused" {
                    let place_in_config = committed_place(&results, label, *t, node as u64 + 1);
                    let shown = d["role"].as_str().unwrap();
                    let expected = place_in_config.unwrap_or(d["raft_role"].as_str().unwrap());
                    assert_eq!(shown, expected, "{place}: in the committed configuration");
                }
                assert_eq!(d["term"].as_u64(), Some(*term), "{place}: term");
                assert_eq!(d["commit"].as_u64(), Some(*commit), "{place}: commit");
                assert_eq!(d["log"].as_u64(), Some(*log), "{place}: log");
            }
        }
    }
}

#[test]
fn a_leader_crash_shows_what_inspect_prints() {
    shows_what_inspect_prints("leader-crash", &["raft", "dledger"]);
}

#[test]
fn a_paused_leader_shows_what_inspect_prints() {
    shows_what_inspect_prints("leader-pause", &["raft", "prevote+checkquorum"]);
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled isolate-rejoin scenario has raft-rs variants"
)]
fn an_isolated_node_shows_what_inspect_prints() {
    shows_what_inspect_prints("isolate-rejoin", &["raft", "prevote"]);
}

/// A spare outside the configuration until it is added, a replaced node
/// outside it after its removal.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled replace-node scenario has raft-rs variants"
)]
fn a_replacement_shows_what_inspect_prints() {
    shows_what_inspect_prints("replace-node", &["raft", "raft-rs"]);
}

#[test]
fn seven_nodes_show_what_inspect_prints() {
    shows_what_inspect_prints("seven-nodes", &["raft"]);
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled chaos scenario has raft-rs variants"
)]
fn random_faults_show_what_inspect_prints_with_either_implementation() {
    shows_what_inspect_prints_with("chaos", &BLIND_CHAOS, &["raft", "raft-rs"]);
}

/// The address alone opens the page at its instant with its two variants:
/// `#t=MS&variant=LABEL&compare=LABEL`.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled chaos scenario has raft-rs variants"
)]
fn the_address_opens_the_page_at_its_instant_and_variants() {
    let Some(browser) = browser() else {
        return;
    };
    let dir = scratch("browser-address");
    let run_dir = run_out_with(&dir, "chaos", &BLIND_CHAOS);
    let page = file_url(&run_dir.join("viewer.html"));
    let address = format!(
        "{page}#t=21401.5&variant={}&compare={}",
        encode("prevote+checkquorum"),
        encode("raft-rs prevote")
    );
    let dom = dump_dom(&browser, &dir, &address);
    let panels: Vec<&str> = dom
        .split("<section class=\"panel\"")
        .skip(1)
        .map(|p| &p[..p.find("</section>").expect("its end")])
        .collect();
    assert_eq!(panels.len(), 2, "two variants side by side");
    assert!(panels[0].starts_with(" data-variant=\"prevote+checkquorum\" data-t-us=\"21401500\""));
    assert!(panels[1].starts_with(" data-variant=\"raft-rs prevote\" data-t-us=\"21401500\""));
    for panel in &panels {
        assert_eq!(panel.matches("class=\"node\" data-node=").count(), 5);
        for attribute in ["data-role=", "data-term=", "data-commit=", "data-log="] {
            assert_eq!(panel.matches(attribute).count(), 5, "{attribute}");
        }
    }
    // The picker lists all nine variants, and the timeline has a row each.
    assert_eq!(dom.matches("<div class=\"trow").count(), 9 + 1);
    let printed = inspect(
        &run_dir.join("results.json"),
        "prevote+checkquorum",
        21401.5,
    );
    for (node, (role, term, commit, log)) in printed.iter().enumerate() {
        let at = panels[0]
            .find(&format!("data-node=\"{}\"", node + 1))
            .expect("the node");
        let attrs = &panels[0][at..at + panels[0][at..].find('>').unwrap()];
        let value = |name: &str| {
            let start = attrs.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
            attrs[start..start + attrs[start..].find('"').unwrap()].to_string()
        };
        let shown =
            serde_json::json!({ "role": value("data-role"), "raft_role": value("data-raft-role") });
        assert_eq!(&inspect_role(&shown), role, "node {}", node + 1);
        assert_eq!(value("data-term"), term.to_string());
        assert_eq!(value("data-commit"), commit.to_string());
        assert_eq!(value("data-log"), log.to_string());
    }
}

/// The screenshot in README.md and docs/VIEWER.md, taken here: the page of
/// isolate-rejoin at the instant the isolated node returns, classic Raft
/// beside PreVote. The test checks that the browser paints the page at the
/// size asked; `RAFTSIM_UPDATE_SCREENSHOT=1` also writes it to
/// docs/viewer.png.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the bundled isolate-rejoin scenario has raft-rs variants"
)]
fn the_readme_screenshot_is_taken_by_the_browser() {
    let Some(browser) = browser() else {
        return;
    };
    let dir = scratch("browser-screenshot");
    let run_dir = run_out(&dir, "isolate-rejoin");
    let shot = dir.join("viewer.png");
    let address = format!(
        "{}#t=80004&variant=raft&compare=prevote",
        file_url(&run_dir.join("viewer.html"))
    );
    let status = chromium(&browser, &dir.join("profile"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,900")
        .arg("--hide-scrollbars")
        .arg(&address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the browser starts");
    assert!(status.success());
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let size = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((size(16), size(20)), (1280, 900), "width and height");
    assert!(png.len() > 50_000, "a painted page, not a blank one");
    if std::env::var_os("RAFTSIM_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/viewer.png");
        std::fs::write(docs, &png).expect("docs/viewer.png");
    }
}
