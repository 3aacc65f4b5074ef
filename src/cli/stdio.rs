//! Standard output and standard error that never panic. `println!` and
//! `eprintln!` panic when a write fails (stdout to `/dev/full`, a full
//! disk), and the release profile turns a panic into an abort; `main.rs`
//! shadows the four print macros with these functions for the whole
//! binary. A failed write to stdout ends the command with exit 2 and
//! "stdout: cannot write: REASON" on stderr, before anything else is
//! written: every file a command writes comes after its printing, or is
//! published in one step (`output`). A failed write to stderr is ignored:
//! there is nowhere left to say it. A closed pipe still ends the process
//! quietly (SIGPIPE, `main.rs`).

use std::fmt::Arguments;
use std::io::Write as _;

use super::EXIT_BAD_INPUT;

/// Writes to stdout, or ends the process with exit 2.
pub fn out(args: Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_fmt(args) {
        stdout_failed(&err);
    }
}

/// A line to stdout, in one piece, or ends the process with exit 2.
pub fn out_line(args: Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"))
    {
        stdout_failed(&err);
    }
}

/// Flushes stdout (at the end of a command), or ends the process with exit 2.
pub fn flush() {
    if let Err(err) = std::io::stdout().lock().flush() {
        stdout_failed(&err);
    }
}

fn stdout_failed(err: &std::io::Error) -> ! {
    err_line(format_args!("error: stdout: cannot write: {err}"));
    std::process::exit(EXIT_BAD_INPUT);
}

/// A line to stderr, in one piece; a failure is ignored.
pub fn err_line(args: Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(args);
    let _ = stderr.write_all(b"\n");
}
