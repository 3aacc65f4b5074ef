//! The `raftsim` command line. Argument parsing, file I/O and terminal
//! output live here; simulation lives in sim-core, drawing in reports.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
