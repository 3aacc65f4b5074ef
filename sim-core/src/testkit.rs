//! Test support shared by sim-core's script tests (compiled for tests
//! only): the data-driven file format of etcd-io/raft's `testdata/*.txt`.
//!
//! A script is a list of blocks: `#` comments, one command line, a `----`
//! line, and the output the command must print, up to the next blank line.
//! Where a script runs against several implementations and one prints
//! something else, the block holds one section per implementation instead,
//! each headed `---- NAME`:
//!
//! ```text
//! stabilize
//! ---- model
//! 1->2 RequestVote term=1 last_log_index=0 last_log_term=0
//! ---- raft-rs
//! 1->2 MsgRequestVote term=1 index=0 log_term=0 entries=0 commit=0 reject=false
//! ```
//!
//! `RAFTSIM_REWRITE=1` rewrites the outputs in place (one plain `----`
//! section when every implementation printed the same); without it a
//! difference fails the test with the file, the line and a diff. A
//! malformed layout fails loudly, so a typo can never pass vacuously.

use std::collections::BTreeMap;
use std::path::Path;

/// The environment variable that turns on rewrite mode.
pub const REWRITE_VAR: &str = "RAFTSIM_REWRITE";

/// One command and the output expected of it.
struct Block {
    /// 0-based line of the command.
    command_at: usize,
    /// Expected outputs: `None` for the plain `----` section (every
    /// implementation), else the implementation's name; each with its
    /// 0-based lines `[from, to)`.
    sections: Vec<(Option<String>, (usize, usize))>,
    /// One past the block's last line.
    end: usize,
}

/// A section header: `----` (None) or `---- NAME`.
fn section_header(line: &str) -> Option<Option<String>> {
    let rest = line.trim().strip_prefix("----")?;
    let name = rest.trim();
    Some((!name.is_empty()).then(|| name.to_string()))
}

/// Splits a script into its blocks; a malformed layout is an error.
fn parse_blocks(name: &str, lines: &[&str]) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() || line.starts_with('#') {
            i += 1;
            continue;
        }
        if section_header(line).is_some() {
            return Err(format!(
                "{name}:{}: `----` without a command above it",
                i + 1
            ));
        }
        let command_at = i;
        if lines.get(i + 1).and_then(|l| section_header(l)).is_none() {
            return Err(format!(
                "{name}:{}: a command must be followed by a `----` line and its output \
                 (is a command split over two lines?)",
                i + 1
            ));
        }
        let mut sections = Vec::new();
        let mut at = i + 1;
        while let Some(label) = lines.get(at).and_then(|l| section_header(l)) {
            let from = at + 1;
            let mut to = from;
            while to < lines.len()
                && !lines[to].trim().is_empty()
                && section_header(lines[to]).is_none()
            {
                to += 1;
            }
            if sections.iter().any(|(l, _)| *l == label) {
                return Err(format!(
                    "{name}:{}: a second `----` section for the same implementation",
                    at + 1
                ));
            }
            sections.push((label, (from, to)));
            at = to;
        }
        let plain = sections.iter().any(|(label, _)| label.is_none());
        if plain && sections.len() > 1 {
            return Err(format!(
                "{name}:{}: a block has either one `----` section or one `---- NAME` per \
                 implementation, not both",
                command_at + 1
            ));
        }
        blocks.push(Block {
            command_at,
            sections,
            end: at,
        });
        i = at;
    }
    Ok(blocks)
}

/// What running a script found.
pub struct Outcome {
    /// The script with every expected output replaced by the actual one.
    pub rewritten: String,
    /// One readable report per section whose output differs.
    pub mismatches: Vec<String>,
}

/// Something that runs one script's commands: one per implementation.
pub type Interpreter<'a> = (&'a str, Box<dyn FnMut(&str) -> Result<String, String> + 'a>);

/// Runs the script `text` (named `name` in messages) through every
/// interpreter, each under its implementation's name. With one
/// interpreter the name is only used for `---- NAME` sections.
pub fn run_script(
    name: &str,
    text: &str,
    interpreters: &mut [Interpreter<'_>],
) -> Result<Outcome, String> {
    assert!(!interpreters.is_empty(), "a script runs against something");
    let lines: Vec<&str> = text.lines().collect();
    let blocks = parse_blocks(name, &lines)?;
    if blocks.is_empty() {
        return Err(format!(
            "{name}: no commands: an empty script tests nothing"
        ));
    }
    let mut rewritten = String::new();
    let mut mismatches = Vec::new();
    let mut copied = 0;
    for block in &blocks {
        let command = lines[block.command_at].trim();
        let mut actual: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut order = Vec::new();
        let several = interpreters.len() > 1;
        for (label, run) in interpreters.iter_mut() {
            let output = run(command).map_err(|why| {
                let shown = if several {
                    format!(" ({label})")
                } else {
                    String::new()
                };
                format!(
                    "{name}:{}{shown}: {why}\n    {command}",
                    block.command_at + 1
                )
            })?;
            actual.insert(label, output.lines().map(str::to_string).collect());
            order.push(*label);
        }
        for label in &order {
            let expected = block
                .sections
                .iter()
                .find(|(l, _)| l.as_deref() == Some(label))
                .or_else(|| block.sections.iter().find(|(l, _)| l.is_none()));
            let got: Vec<&str> = actual[label].iter().map(String::as_str).collect();
            let (from, to) = expected.map_or((block.end, block.end), |(_, range)| *range);
            let want = &lines[from..to];
            if expected.is_none() || want != got.as_slice() {
                let shown = if order.len() > 1 {
                    format!(" ({label})")
                } else {
                    String::new()
                };
                mismatches.push(format!(
                    "{name}:{}{shown}: `{command}` printed something else (- expected, + actual):\n{}",
                    block.command_at + 1,
                    diff(want, &got)
                ));
            }
        }
        for line in &lines[copied..=block.command_at] {
            rewritten.push_str(line);
            rewritten.push('\n');
        }
        let first = &actual[order[0]];
        if order.iter().all(|label| actual[label] == *first) {
            rewritten.push_str("----\n");
            for line in first {
                rewritten.push_str(line);
                rewritten.push('\n');
            }
        } else {
            for label in &order {
                rewritten.push_str(&format!("---- {label}\n"));
                for line in &actual[label] {
                    rewritten.push_str(line);
                    rewritten.push('\n');
                }
            }
        }
        copied = block.end;
    }
    for line in &lines[copied..] {
        rewritten.push_str(line);
        rewritten.push('\n');
    }
    Ok(Outcome {
        rewritten,
        mismatches,
    })
}

/// A line diff (longest common subsequence): `-` expected, `+` actual.
fn diff(expected: &[&str], actual: &[&str]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut text) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            text += &format!("      {}\n", expected[i]);
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            text += &format!("    - {}\n", expected[i]);
            i += 1;
        } else {
            text += &format!("    + {}\n", actual[j]);
            j += 1;
        }
    }
    text
}

/// Runs the script at `path` (shown as `name`): rewrites it under
/// `RAFTSIM_REWRITE=1`, else fails on any difference. `complete` says
/// whether every implementation the script is written for is present (a
/// build without raft-rs checks the model's sections only, and must not
/// rewrite).
pub fn run_file(path: &Path, name: &str, complete: bool, interpreters: &mut [Interpreter<'_>]) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    let outcome =
        run_script(name, &text, interpreters).unwrap_or_else(|why| panic!("error: {why}"));
    let rewrite = std::env::var(REWRITE_VAR).is_ok_and(|v| !v.is_empty() && v != "0");
    if rewrite {
        assert!(
            complete,
            "{name}: rewriting needs every implementation (build with raft-rs)"
        );
        if outcome.rewritten != text {
            std::fs::write(path, &outcome.rewritten)
                .unwrap_or_else(|e| panic!("cannot rewrite {name}: {e}"));
        }
    } else if !outcome.mismatches.is_empty() {
        panic!(
            "{} section(s) differ; if the new behaviour is intended, run\n    \
             {REWRITE_VAR}=1 cargo test -p sim-core script\nand review the diff.\n\n{}",
            outcome.mismatches.len(),
            outcome.mismatches.join("\n")
        );
    }
}

/// Fails unless the `.txt` scripts in `dir` are exactly `listed`, so that
/// a script added to a testdata directory cannot go unrun; `hint` says
/// where to list it.
pub fn assert_every_script_is_listed(dir: &Path, listed: &[&str], hint: &str) {
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("testdata exists")
        .map(|entry| {
            entry
                .expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".txt"))
        .collect();
    on_disk.sort();
    let mut listed = listed.to_vec();
    listed.sort_unstable();
    assert_eq!(on_disk, listed, "{hint}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo<'a>(label: &'a str, prefix: &'a str) -> Interpreter<'a> {
        (
            label,
            Box::new(move |command: &str| Ok(format!("{prefix}{command}"))),
        )
    }

    #[test]
    fn one_section_for_all_or_one_per_implementation() {
        let same = "# a rule\nping\n----\nping\n";
        let outcome = run_script("t", same, &mut [echo("a", ""), echo("b", "")]).unwrap();
        assert!(outcome.mismatches.is_empty(), "{:?}", outcome.mismatches);
        assert_eq!(outcome.rewritten, same);
        // They differ: the plain section fails for b, and a rewrite splits it.
        let outcome = run_script("t", same, &mut [echo("a", ""), echo("b", "b:")]).unwrap();
        assert_eq!(outcome.mismatches.len(), 1);
        assert!(
            outcome.mismatches[0].starts_with("t:2 (b):"),
            "{}",
            outcome.mismatches[0]
        );
        assert_eq!(
            outcome.rewritten,
            "# a rule\nping\n---- a\nping\n---- b\nb:ping\n"
        );
        let split = outcome.rewritten;
        let outcome = run_script("t", &split, &mut [echo("a", ""), echo("b", "b:")]).unwrap();
        assert!(outcome.mismatches.is_empty());
        assert_eq!(outcome.rewritten, split);
        // Only one implementation present: its own section is checked.
        let outcome = run_script("t", &split, &mut [echo("b", "b:")]).unwrap();
        assert!(outcome.mismatches.is_empty());
    }

    #[test]
    fn a_malformed_layout_is_an_error() {
        let run = |text: &str| run_script("t", text, &mut [echo("a", "")]).err();
        assert!(run("ping\nnot a separator\n")
            .unwrap()
            .contains("followed by a `----`"));
        assert!(run("----\nx\n").unwrap().contains("without a command"));
        assert!(run("ping\n----\nping\n---- a\nping\n")
            .unwrap()
            .contains("not both"));
        assert!(run("# only a comment\n").unwrap().contains("no commands"));
    }
}
