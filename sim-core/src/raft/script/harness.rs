//! One node under test with the world the cluster would give it: a disk
//! that applies every persist as it is issued, a clock that never goes
//! back, the timers it armed, and its timer stream kept across a crash.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::fields::{format_entries, format_instant, format_node, format_snapshot};
use super::text::{format_action, ScriptMessage};
use crate::node::{Action, Boot, HardState, NodeId, RaftConfig, RaftNode, TimerKind};
use crate::rng::Stream;
use crate::time::Instant;

/// A node under test, with the disk, clock and timers the cluster would keep.
pub(super) struct Harness<N> {
    pub(super) id: NodeId,
    pub(super) cluster_size: usize,
    pub(super) config: RaftConfig,
    /// None while crashed.
    pub(super) node: Option<N>,
    /// The timer stream, kept across a crash.
    pub(super) rng: Option<Stream>,
    pub(super) disk: HardState,
    pub(super) now: Instant,
    pub(super) armed: BTreeMap<TimerKind, Instant>,
}

impl<N: RaftNode> Harness<N>
where
    N::Message: ScriptMessage,
{
    pub(super) fn node(&mut self) -> Result<&mut N, String> {
        let id = self.id;
        self.node
            .as_mut()
            .ok_or_else(|| format!("node {id} is crashed (use `restart {id}`)"))
    }

    /// Moves the clock to `at` (or keeps it), refusing to go backwards.
    pub(super) fn advance(&mut self, at: Option<Instant>) -> Result<Instant, String> {
        let at = at.unwrap_or(self.now);
        if at < self.now {
            return Err(format!(
                "time goes backwards: node {} is at {}, asked for {}",
                self.id,
                format_instant(self.now),
                format_instant(at)
            ));
        }
        self.now = at;
        Ok(at)
    }

    pub(super) fn start(&mut self, out: &mut Vec<Action<N::Message>>) {
        let rng = self.rng.take().expect("a stopped node left its stream");
        self.armed.clear();
        let boot = Boot {
            id: self.id,
            cluster_size: self.cluster_size,
            config: &self.config,
            rng,
            disk: self.disk.clone(),
            now: self.now,
        };
        self.node = Some(N::start(boot, out));
    }

    /// Does what the world would do with `out`, and prints it with the state.
    pub(super) fn report(&mut self, out: &[Action<N::Message>]) -> String {
        let mut text = String::new();
        for action in out {
            match action {
                Action::Persist(write) => self.disk.apply(write),
                Action::SetTimer { kind, at } => {
                    self.armed.insert(*kind, *at);
                }
                Action::CancelTimer { kind } => {
                    self.armed.remove(kind);
                }
                Action::Send { .. } | Action::Note(_) => {}
            }
            writeln!(text, "{}", format_action(action)).expect("writing to a String");
        }
        text + &self.state_line()
    }

    pub(super) fn state_line(&self) -> String {
        let Some(node) = &self.node else {
            return format!("state {} crashed", self.id);
        };
        let s = node.status();
        format!(
            "state {} {} term={} vote={} leader={} commit={}{} log={}",
            self.id,
            s.role.name(),
            s.term,
            format_node(s.voted_for),
            format_node(s.leader),
            s.commit_index,
            format_snapshot(node.log().snapshot_index, node.log().snapshot_term),
            format_entries(node.log().entries)
        )
    }

    pub(super) fn disk_line(&self) -> String {
        format!(
            "disk {} term={} vote={}{} log={}",
            self.id,
            self.disk.term,
            format_node(self.disk.voted_for),
            format_snapshot(self.disk.snapshot_index, self.disk.snapshot_term),
            format_entries(&self.disk.log)
        )
    }

    pub(super) fn timers_line(&self) -> String {
        let mut line = format!("timers {}", self.id);
        if self.armed.is_empty() {
            line.push_str(" none");
        }
        for (kind, at) in &self.armed {
            write!(line, " {}={}", kind.name(), format_instant(*at)).expect("writing to a String");
        }
        line
    }
}
