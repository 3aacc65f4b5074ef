//! raftsim's reports: tables and charts made from results. Depends on
//! sim-core's results model only; never runs a simulation.

pub mod table;
