//! The `raftsim` command line. Argument parsing, file I/O and terminal
//! output live here; simulation lives in sim-core, drawing in reports.

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
