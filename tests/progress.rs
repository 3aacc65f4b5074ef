//! Progress on long work: shown on stderr when it is a terminal (here a
//! pseudo-terminal from util-linux's `script`), with virtual time, events
//! per second and an ETA; nothing at all when stderr is not a terminal.

mod common;

use std::process::Command;

use common::{raftsim, repo, text};

/// Runs `raftsim ARGS` with stdout to /dev/null and stderr on a pseudo
/// terminal; what the terminal showed, without escape sequences. None
/// where `script` is missing.
fn on_a_terminal(args: &str) -> Option<String> {
    let binary = env!("CARGO_BIN_EXE_raftsim");
    let out = Command::new("script")
        .current_dir(repo("."))
        .args(["-qec", &format!("{binary} {args} > /dev/null"), "/dev/null"])
        .env_remove("RAFTSIM_SEED")
        .output()
        .ok()?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    let mut plain = String::new();
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-letter.
            if chars.peek() == Some(&'[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(if c == '\r' { '\n' } else { c });
    }
    Some(plain)
}

/// The last state of the progress line that says `what`.
fn last_line_with<'a>(shown: &'a str, what: &str) -> &'a str {
    shown
        .lines()
        .rfind(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no progress line with {what:?} in {shown:?}"))
}

#[test]
fn a_long_run_shows_virtual_time_events_per_second_and_an_eta() {
    let Some(shown) = on_a_terminal("run chaos-bugs --variant raft --set duration_ms=480000")
    else {
        return;
    };
    let line = last_line_with(&shown, "running 1 variant");
    assert!(line.contains("of 8 min 0 s virtual"), "{line}");
    assert!(line.contains(" events/s"), "{line}");
    assert!(line.contains("ETA"), "{line}");
}

#[test]
fn a_sweep_shows_seeds_done_and_events_per_second() {
    let Some(shown) = on_a_terminal("sweep leader-crash --seeds 0..40 --jobs 1") else {
        return;
    };
    let line = last_line_with(&shown, "/40 seeds");
    assert!(line.contains("failing"), "{line}");
    assert!(line.contains("events/s"), "{line}");
}

#[test]
fn nothing_when_stderr_is_not_a_terminal() {
    let out = raftsim(&[
        "run",
        "chaos-bugs",
        "--variant",
        "raft",
        "--set",
        "duration_ms=480000",
    ]);
    let err = text(&out.stderr);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(!err.contains("events/s"), "{err}");
    let out = raftsim(&["sweep", "leader-crash", "--seeds", "0..4"]);
    let err = text(&out.stderr);
    assert!(!err.contains('\u{1b}') && !err.contains("seeds ·"), "{err}");
}
