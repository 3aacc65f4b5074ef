//! raftsim's reports: tables, charts and the HTML report made from results.
//! Depends on sim-core's results model only; never runs a simulation, never
//! touches files or terminals (the CLI writes what these return).

pub mod artifacts;
pub mod charts;
pub mod html;
pub mod table;
