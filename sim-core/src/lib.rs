//! raftsim's engine: a deterministic discrete-event simulation of a Raft
//! cluster. This crate knows nothing of files, terminals or pictures.

pub mod chaos;
pub mod cluster;
pub mod faults;
#[cfg(test)]
mod interaction;
pub mod invariants;
pub mod metrics;
pub mod network;
pub mod node;
pub mod progress;
pub mod raft;
pub mod raftrs;
pub mod replay;
pub mod results;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod scheduler;
pub mod shrink;
pub mod stats;
pub mod sweep;
#[cfg(test)]
mod testkit;
pub mod time;
pub mod trace;
