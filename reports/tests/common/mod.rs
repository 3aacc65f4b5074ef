//! What the tests of real runs share: the bundled scenarios, as this build
//! can run them.

use serde_json::Value;
use sim_core::node::Implementation;
use sim_core::scenario::{self, Scenario};

/// A bundled scenario (`scenarios/NAME.json`), as this build runs it.
pub fn scenario(name: &str) -> Scenario {
    let path = format!("{}/../scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("a bundled scenario");
    scenario::parse(&without_missing_implementations(&text)).expect("it parses")
}

/// A bundled scenario with its JSON edited first.
#[allow(dead_code)] // each test file uses its own subset
pub fn scenario_edited(name: &str, edit: impl FnOnce(&mut Value)) -> Scenario {
    let path = format!("{}/../scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("a bundled scenario");
    let mut file: Value = serde_json::from_str(&text).expect("JSON");
    edit(&mut file);
    scenario::parse(&without_missing_implementations(&file.to_string())).expect("it parses")
}

/// The scenario without the variants (and their expectations) of an
/// implementation this build lacks: `--no-default-features` leaves raft-rs
/// out, and these tests are not about raft-rs.
fn without_missing_implementations(text: &str) -> String {
    if Implementation::RaftRs.available() {
        return text.to_string();
    }
    let mut file: Value = serde_json::from_str(text).expect("JSON");
    let mut dropped = Vec::new();
    if let Some(variants) = file["variants"].as_array_mut() {
        variants.retain(|v| {
            let raft_rs = v["raft"]["implementation"] == "raft-rs";
            if raft_rs {
                dropped.push(v["label"].clone());
            }
            !raft_rs
        });
    }
    if let Some(expect) = file["expect"].as_array_mut() {
        expect.retain(|e| !dropped.contains(&e["variant"]));
    }
    file.to_string()
}

/// The names of the bundled scenarios, in order.
pub fn bundled() -> Vec<String> {
    let dir = format!("{}/../scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            p.file_stem()
                .expect("a stem")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
