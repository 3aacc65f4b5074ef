//! raftsim's reports: tables, charts and the HTML report made from results,
//! and the distribution chart of a sweep made from its per-seed records.
//! Depends on sim-core's results and sweep models only; never runs a simulation, never
//! touches files or terminals (the CLI writes what these return).

pub mod artifacts;
pub mod charts;
pub mod html;
pub mod sweep_table;
pub mod table;
pub mod viewer;
