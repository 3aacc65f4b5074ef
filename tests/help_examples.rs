//! Every subcommand's `--help` ends with an example, and every example runs
//! as written (in an empty directory, with the real binary).

mod common;

use common::{command, raftsim, scratch, text};

/// The subcommands, as `raftsim --help` lists them.
fn subcommands() -> Vec<String> {
    let help = text(&raftsim(&["--help"]).stdout);
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A long description wraps onto lines indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The `raftsim ...` lines after `Example:` at the end of `--help`.
fn example(subcommand: &str) -> Vec<Vec<String>> {
    let help = text(&raftsim(&[subcommand, "--help"]).stdout);
    let (_, example) = help
        .rsplit_once("Example:\n")
        .unwrap_or_else(|| panic!("`raftsim {subcommand} --help` has no example:\n{help}"));
    example
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let words: Vec<String> = l.split_whitespace().map(str::to_string).collect();
            assert_eq!(words[0], "raftsim", "an example line is a command: {l}");
            words[1..].to_vec()
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "a bundled scenario it runs has raft-rs variants"
)]
fn every_subcommand_help_ends_with_an_example_that_runs() {
    let subcommands = subcommands();
    assert!(subcommands.len() >= 10, "{subcommands:?}");
    for subcommand in subcommands {
        let dir = scratch(&format!("example-{subcommand}"));
        for args in example(&subcommand) {
            let out = command()
                .current_dir(&dir)
                .args(&args)
                .output()
                .expect("raftsim runs");
            assert_eq!(
                out.status.code(),
                Some(0),
                "`raftsim {}` (the example of {subcommand}) failed:\n{}",
                args.join(" "),
                text(&out.stderr)
            );
        }
    }
}
