//! sim-core's modules form layers, and a module uses only modules of the
//! layers below it (rust-analyzer's tidy tests, for modules). The layers
//! are the picture in ARCHITECTURE.md, read from there, so the picture and
//! this test are the same fact: a `use crate::x` that points up or
//! sideways fails with its file and line, and so does a module missing
//! from the picture.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers drawn in ARCHITECTURE.md's `text` block after the line
/// `<!-- layers: top first -->`, bottom first.
fn layers() -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md");
    let text = fs::read_to_string(&path).expect("ARCHITECTURE.md is readable");
    let after = text
        .split_once("<!-- layers: top first -->")
        .expect("ARCHITECTURE.md draws the layers after `<!-- layers: top first -->`")
        .1;
    let block = after
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the layers are a ```text block")
        .0;
    let mut layers: Vec<Vec<String>> = block
        .lines()
        .map(|line| {
            // `name  name  ... │ what the layer is for` or plain names.
            let names = line.split('│').next().unwrap_or("");
            names.split_whitespace().map(str::to_string).collect()
        })
        .filter(|names: &Vec<String>| !names.is_empty())
        .collect();
    layers.reverse();
    layers
}

/// Every top-level module of sim-core with its source files.
fn modules() -> BTreeMap<String, Vec<PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in fs::read_dir(&src).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a file name")
            .to_string();
        if name == "lib" {
            continue;
        }
        let files = modules.entry(name).or_default();
        if path.is_dir() {
            collect_rs(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    modules
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a line without its `//` comment (string literals kept).
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string => escaped = !escaped,
            '"' if !escaped => in_string = !in_string,
            '/' if !in_string && line[i + 1..].starts_with('/') => return &line[..i],
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    line
}

/// The top-level modules `code` names through `crate::`, with the byte
/// offset of each: `crate::x::y`, and each item of a `crate::{a, b::{c}}`
/// group, over as many lines as the group takes.
fn named_modules(code: &str) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        let after = &code[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if depth == 0 && item_start => {
                        item_start = false;
                        let name = ident(&group[i..]);
                        if !name.is_empty() && name != "self" {
                            names.push((at, name));
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(after);
            if !name.is_empty() {
                names.push((at, name));
            }
        }
        from = at + "crate::".len();
    }
    names
}

/// A file's code without comments, lines kept where they were.
fn code_without_comments(text: &str) -> String {
    text.lines().map(code_of).collect::<Vec<_>>().join("\n")
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let layers = layers();
    let layer_of: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (n.as_str(), i)))
        .collect();
    let modules = modules();
    let mut problems = Vec::new();
    for name in modules.keys() {
        if !layer_of.contains_key(name.as_str()) {
            problems.push(format!(
                "module `{name}` is not in ARCHITECTURE.md's layers: place it in one"
            ));
        }
    }
    for name in layer_of.keys() {
        if !modules.contains_key(*name) {
            problems.push(format!(
                "ARCHITECTURE.md's layers name `{name}`, which is not a module of sim-core"
            ));
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, files) in &modules {
        let Some(&own) = layer_of.get(name.as_str()) else {
            continue;
        };
        for file in files {
            let text = fs::read_to_string(file).expect("a readable source file");
            let code = code_without_comments(&text);
            let lines: Vec<&str> = text.lines().collect();
            {
                for (at, used) in named_modules(&code) {
                    if used == *name {
                        continue;
                    }
                    let number = code[..at].matches('\n').count();
                    let line = lines[number];
                    let Some(&theirs) = layer_of.get(used.as_str()) else {
                        continue; // not a module (a macro, say), or reported above
                    };
                    if theirs >= own {
                        let shown = file.strip_prefix(src).unwrap_or(file).display();
                        problems.push(format!(
                            "{shown}:{}: `{name}` (layer {own}) uses `{used}` (layer {theirs}), \
                             which is not below it:\n    {}",
                            number + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_parser_sees_groups_and_skips_comments() {
    let names =
        |code: &str| -> Vec<String> { named_modules(code).into_iter().map(|(_, n)| n).collect() };
    assert_eq!(
        names("use crate::{node::{Action, NodeId}, rng::Stream};"),
        vec!["node", "rng"]
    );
    assert_eq!(
        names(
            "use crate::{\n    node::{\n        Action,\n    },\n    self,\n    time::Instant,\n};"
        ),
        vec!["node", "time"]
    );
    assert_eq!(names("let x = crate::time::Instant::ZERO;"), vec!["time"]);
    assert_eq!(code_of("use a; // see crate::cluster"), "use a; ");
    assert_eq!(
        code_of(r#"let s = "a // b"; // crate::x"#),
        r#"let s = "a // b"; "#
    );
    let layers = layers();
    assert!(layers.len() >= 5, "the picture has layers: {layers:?}");
    assert!(
        layers[0].contains(&"time".to_string()),
        "time is at the bottom"
    );
}
