//! Subcommands and the rules every one of them follows: errors name the file
//! and the JSON path, bad input exits 2, a failed check exits 1, and nothing
//! is written unless everything before it succeeded.

mod bench;
mod bench_table;
mod bundled;
mod catch;
mod chart;
mod compare;
mod diff;
mod input;
mod inspect;
mod output;
mod overrides;
mod progress;
mod resume;
mod run;
mod shrink;
pub mod stdio;
mod sweep;
mod view;

use std::fmt;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use input::ReadError;
use sim_core::scenario::{self, Scenario};

/// Exit codes (docs/SCENARIOS.md, "Errors and exit codes").
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

/// An error that ends a command with an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }
    pub fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&compact_numbers(&self.message))
    }
}

/// A number of more than 21 digits (a field given `1e300` is quoted back
/// with 301) written compactly: `1e300`. Shorter ones, every u64 included,
/// stay exact.
fn compact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let number = &rest[start..];
        let end = number
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(number.len());
        // A sentence's full stop is not part of the number.
        let run = number[..end].trim_end_matches('.');
        let digits = run.chars().filter(char::is_ascii_digit).count();
        match run.parse::<f64>() {
            Ok(value) if digits > 21 => out.push_str(&format!("{value:e}")),
            _ => out.push_str(run),
        }
        rest = &number[run.len()..];
    }
    out.push_str(rest);
    out
}

pub type CliResult = Result<i32, Failure>;

#[derive(Parser)]
#[command(
    name = "raftsim",
    version,
    about = "Deterministic simulator of Raft clusters: term inflation and leader disruptions per election policy",
    after_help = "Exit codes:\n  0  ok\n  1  a safety violation, a failed expectation or a run cut short by a limit\n  2  bad input or usage, or a file (or stdout) that cannot be read or written"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every variant of a scenario and print them side by side.
    Run(run::RunArgs),
    /// Regenerate the charts and report.html from a saved results file.
    Chart(chart::ChartArgs),
    /// Check scenario files without running them.
    #[command(after_help = "Example:\n  raftsim validate leader-crash chained")]
    Validate {
        /// Scenario files (or names of bundled scenarios).
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Print the JSON Schema of scenario files.
    #[command(after_help = "Example:\n  raftsim schema")]
    Schema,
    /// List the bundled scenarios: each name with one line about it.
    #[command(after_help = "Example:\n  raftsim list\n  raftsim list --long")]
    List {
        /// Each scenario's whole description and its file.
        #[arg(long)]
        long: bool,
    },
    /// Run several scenarios and print one Markdown table: rows scenarios,
    /// columns policies.
    Compare(compare::CompareArgs),
    /// Run a scenario over many seeds in parallel: distributions per variant
    /// and every failing seed with the command that reproduces it.
    Sweep(sweep::SweepArgs),
    /// Compare two results (or two sweeps) per variant and metric: what got
    /// worse, what got better.
    Diff(diff::DiffArgs),
    /// Show every node's role, term, vote, log, commit index and links at
    /// one virtual instant of a saved run.
    Inspect(inspect::InspectArgs),
    /// Write the replay viewer (one HTML file) of a saved run or a trace.
    View(view::ViewArgs),
    /// Combine the output directories of sharded sweeps.
    Merge(sweep::MergeArgs),
    /// Shrink a failing run to the smallest scenario that still fails with its seed.
    Shrink(shrink::ShrinkArgs),
    /// Plant each bug in every variant it applies to and run many seeds:
    /// how often the checker catches it, per setting, bug and variant.
    Catch(catch::CatchArgs),
    /// Measure the engine's speed (events/s, virtual-to-wall speed-up).
    Bench(bench::BenchArgs),
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            if let Err(err) = e.print() {
                eprintln!("error: stdout: cannot write: {err}");
                return EXIT_BAD_INPUT;
            }
            return code;
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Chart(args) => chart::chart(args),
        Command::Validate { files } => validate(&files),
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&scenario::json_schema()).expect("schema serialises")
            );
            Ok(EXIT_OK)
        }
        Command::List { long } => {
            list(long);
            Ok(EXIT_OK)
        }
        Command::Bench(args) => bench::bench(args),
        Command::Catch(args) => catch::catch(args),
        Command::Compare(args) => compare::compare(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Diff(args) => diff::diff(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::View(args) => view::view(args),
        Command::Shrink(args) => shrink::shrink(args),
    };
    stdio::flush();
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {failure}");
            failure.code
        }
    }
}

/// A scenario loaded from a file (or the bundled copy), with the name to
/// show in messages and commands.
pub struct Loaded {
    pub scenario: Scenario,
    /// The argument as given, for reproduce commands.
    pub shown_as: String,
    /// The `--set PATH=VALUE` overrides applied, in order.
    pub overrides: Vec<String>,
}

/// Reads and validates a scenario. A path that does not exist, or is a
/// directory, but names a bundled scenario (`isolate-rejoin`) loads the
/// bundled copy; a file that exists but cannot be read is an error.
pub fn load(arg: &str) -> Result<Loaded, Failure> {
    load_with(arg, &[])
}

/// [`load`] with `--set` overrides applied before validation.
pub fn load_with(arg: &str, sets: &[String]) -> Result<Loaded, Failure> {
    let path = PathBuf::from(arg);
    let not_found = |err: &ReadError| matches!(err, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound);
    let text = match (
        input::read_text(&path, input::MAX_SCENARIO_BYTES),
        bundled::find(arg),
    ) {
        (Ok(text), _) => text,
        (Err(err), Some((_, text))) if not_found(&err) || path.is_dir() => text.to_string(),
        (Err(err), _) if not_found(&err) => {
            return Err(Failure::bad_input(format!(
                "{arg}: no such file (and no bundled scenario of that name; see `raftsim list`)"
            )))
        }
        (Err(err), _) => return Err(Failure::bad_input(format!("{arg}: {err}"))),
    };
    let (text, shown) = if sets.is_empty() {
        (text, arg.to_string())
    } else {
        match overrides::apply_all(&text, sets) {
            Ok(changed) => (
                changed,
                format!("{arg} (with --set {})", sets.join(" --set ")),
            ),
            // Not JSON at all: the parser below says where.
            Err(_) if serde_json::from_str::<serde_json::Value>(&text).is_err() => {
                (text, arg.to_string())
            }
            Err(why) => return Err(Failure::bad_input(format!("{arg}: {why}"))),
        }
    };
    let scenario = scenario::parse(&text).map_err(|errors| {
        Failure::bad_input(
            errors
                .0
                .iter()
                .map(|e| format!("{shown}: {e}"))
                .collect::<Vec<_>>()
                .join("\nerror: "),
        )
    })?;
    for warning in scenario.warnings() {
        eprintln!("warning: {shown}: {warning}");
    }
    Ok(Loaded {
        scenario,
        shown_as: arg.to_string(),
        overrides: sets.to_vec(),
    })
}

fn validate(files: &[String]) -> CliResult {
    let mut bad = false;
    for file in files {
        match load(file) {
            Ok(loaded) => {
                let s = &loaded.scenario;
                println!(
                    "ok {file}: {} ({}, {}, {}, {})",
                    s.name(),
                    plural(s.file.nodes as usize, "node"),
                    plural(s.variants().len(), "variant"),
                    plural(s.file.events.len(), "event"),
                    plural(s.file.expect.len(), "expectation")
                );
            }
            Err(failure) => {
                eprintln!("error: {failure}");
                bad = true;
            }
        }
    }
    Ok(if bad { EXIT_BAD_INPUT } else { EXIT_OK })
}

/// "1 variant", "2 variants".
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The width `list` fits its lines into.
const LIST_WIDTH: usize = 80;
/// The widest name column `list` aligns to: a longer name takes its own
/// width, and its line less of the description.
const LIST_NAME_WIDTH: usize = 18;

fn list(long: bool) {
    let name_width = bundled::SCENARIOS
        .iter()
        .map(|(file, _)| file.trim_end_matches(".json").len())
        .max()
        .unwrap_or(0)
        .min(LIST_NAME_WIDTH);
    for (file, text) in bundled::SCENARIOS {
        // Read as JSON, not validated: a build without raft-rs still lists
        // the scenarios whose variants need it.
        let json: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let description = json["description"].as_str().unwrap_or_default();
        let name = file.strip_suffix(".json").unwrap_or(file);
        if !long {
            let room = LIST_WIDTH.saturating_sub(name.len().max(name_width) + 2);
            println!("{name:<name_width$}  {}", first_sentence(description, room));
            continue;
        }
        println!("{name}  (raftsim run {name}; the file: scenarios/{file})");
        let mut line = String::from("   ");
        for word in description.split_whitespace() {
            if line.len() + word.len() > 78 {
                println!("{line}");
                line = String::from("   ");
            }
            line.push(' ');
            line.push_str(word);
        }
        println!("{line}\n");
    }
    if !long {
        println!("\nraftsim list --long: every description in full, with its file");
    }
}

/// The first sentence of `text`, cut to `room` characters with "…".
fn first_sentence(text: &str, room: usize) -> String {
    let sentence = match text.find(". ") {
        Some(end) => &text[..=end],
        None => text.trim_end(),
    };
    if sentence.chars().count() <= room {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(room.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > room / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

/// Reads `--seed`: clap's own parser would answer `--seed -1` with a tip
/// (`-- -1`) that does not work; this says what a seed is.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("a seed is a whole number from 0 to {}", u64::MAX))
}

/// The seed to use: `--seed`, else `RAFTSIM_SEED`, else the file's.
pub fn choose_seed(flag: Option<u64>, file_seed: u64) -> Result<u64, Failure> {
    if let Some(seed) = flag {
        return Ok(seed);
    }
    match std::env::var("RAFTSIM_SEED") {
        Ok(text) => parse_seed(&text)
            .map_err(|why| Failure::bad_input(format!("RAFTSIM_SEED={text:?}: {why}"))),
        Err(_) => Ok(file_seed),
    }
}

#[cfg(test)]
mod tests {
    use super::compact_numbers;

    #[test]
    fn long_numbers_in_messages_are_compact() {
        let huge = format!("{} is not a probability", 1e300);
        assert_eq!(compact_numbers(&huge), "1e300 is not a probability");
        let tiny = format!("{} ms.", 1.5e-300);
        assert_eq!(compact_numbers(&tiny), "1.5e-300 ms.");
        let exact = "seed 18446744073709551615, events[3].at_ms: 0.25 ms";
        assert_eq!(compact_numbers(exact), exact);
    }
}
