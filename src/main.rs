//! The `raftsim` command line. Argument parsing, file I/O and terminal
//! output live here; simulation lives in sim-core, drawing in reports.

// std's print macros panic when a write fails; these, visible in every
// module below, end the command with exit 2 instead, or ignore a failed
// write to stderr (cli/stdio.rs). Use them, not `eprint!` or `write!` to
// stdout.
macro_rules! print {
    ($($arg:tt)*) => { $crate::cli::stdio::out(format_args!($($arg)*)) };
}
macro_rules! println {
    () => { $crate::cli::stdio::out_line(format_args!("")) };
    ($($arg:tt)*) => { $crate::cli::stdio::out_line(format_args!($($arg)*)) };
}
macro_rules! eprintln {
    () => { $crate::cli::stdio::err_line(format_args!("")) };
    ($($arg:tt)*) => { $crate::cli::stdio::err_line(format_args!($($arg)*)) };
}

mod cli;

fn main() {
    restore_default_sigpipe();
    std::process::exit(cli::main());
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`raftsim list |
/// head`) would panic; with the default action the process ends quietly,
/// as command-line tools do.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default at start-up,
    // before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
