//! The script commands: each drives (or prints) one node of the script and
//! returns its output text.

use std::collections::BTreeMap;

use super::fields::{
    format_instant, parse_entries, parse_node_id, parse_snapshot, plant_bugs, timer_by_name, Fields,
};
use super::harness::Harness;
use super::text::parse_message;
use super::SCRIPT_SEED;
use crate::raft::{ElectionKind, HardState, LogIndex, NodeId, RaftConfig, MAX_NODES};
use crate::rng::{Purpose, Stream};
use crate::time::Instant;

/// The words of a command after its node id.
type Words<'a> = std::str::SplitWhitespace<'a>;

#[derive(Default)]
pub(super) struct Interpreter {
    nodes: BTreeMap<NodeId, Harness>,
}

impl Interpreter {
    fn harness(&mut self, id: NodeId) -> Result<&mut Harness, String> {
        self.nodes
            .get_mut(&id)
            .ok_or_else(|| format!("node {id} was not created (use `node {id} ...`)"))
    }

    /// Runs one command line and returns its output.
    pub(super) fn run(&mut self, line: &str) -> Result<String, String> {
        // A message, if any, is the rest of the line from its `Kind{`.
        let (args, message) = match line.find('{') {
            Some(brace) => {
                let start = line[..brace].rfind(' ').map_or(0, |space| space + 1);
                (&line[..start], Some(line[start..].trim_end()))
            }
            None => (line, None),
        };
        let mut words = args.split_whitespace();
        let command = words.next().ok_or("empty command")?;
        if command != "deliver" {
            if let Some(message) = message {
                return Err(format!("`{command}` takes no message (got `{message}`)"));
            }
        }
        let id = parse_node_id(words.next())?;
        match command {
            "node" => self.create(id, words),
            "deliver" => self.deliver(id, words, message),
            "fire" => self.fire(id, words),
            "propose" => self.propose(id, words),
            "persisted" => self.persisted(id, words),
            "crash" => self.crash(id, words),
            "restart" => self.restart(id, words),
            "state" | "timers" | "disk" => {
                Fields::parse(words)?.finish()?;
                let h = self.harness(id)?;
                Ok(match command {
                    "state" => h.state_line(),
                    "timers" => h.timers_line(),
                    _ => h.disk_line(),
                })
            }
            other => Err(format!(
                "unknown command `{other}` (expected node, deliver, fire, propose, persisted, \
                 crash, restart, state, timers or disk)"
            )),
        }
    }

    fn deliver(
        &mut self,
        id: NodeId,
        words: Words<'_>,
        message: Option<&str>,
    ) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let from =
            parse_node_id(Some(&f.required("from")?)).map_err(|why| format!("from=: {why}"))?;
        let at = f.instant("at")?;
        f.finish()?;
        let msg = parse_message(message.ok_or("deliver needs a message: Kind{...}")?)?;
        let h = self.harness(id)?;
        let now = h.advance(at)?;
        let mut out = Vec::new();
        h.node()?.on_message(now, from, msg, &mut out);
        Ok(h.report(&out))
    }

    fn fire(&mut self, id: NodeId, mut words: Words<'_>) -> Result<String, String> {
        let timer = words.next().ok_or("fire needs a timer name or `next`")?;
        let mut f = Fields::parse(words)?;
        let at = f.instant("at")?;
        f.finish()?;
        let h = self.harness(id)?;
        h.node()?;
        let kind = if timer == "next" {
            let (kind, _) = h
                .armed
                .iter()
                .min_by_key(|(_, at)| **at)
                .ok_or_else(|| format!("node {id} has no timer armed"))?;
            *kind
        } else {
            timer_by_name(timer)?
        };
        let deadline = match (at, h.armed.get(&kind)) {
            (Some(at), _) => at,
            (None, Some(&deadline)) => deadline,
            (None, None) => {
                return Err(format!(
                    "node {id} has no {} timer armed; give `at=` to fire it anyway",
                    kind.name()
                ))
            }
        };
        let now = h.advance(Some(deadline))?;
        h.armed.remove(&kind);
        let mut out = Vec::new();
        h.node()?.on_timer(now, kind, &mut out);
        Ok(format!("fired {} at={}\n", kind.name(), format_instant(now)) + &h.report(&out))
    }

    fn propose(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let proposal = f.u64("id")?;
        f.finish()?;
        let h = self.harness(id)?;
        let mut out = Vec::new();
        if h.node()?.propose(proposal, &mut out) {
            Ok(h.report(&out))
        } else {
            debug_assert!(out.is_empty(), "a refused proposal does nothing");
            Ok(format!(
                "refused: node {id} is not the leader\n{}",
                h.state_line()
            ))
        }
    }

    fn persisted(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let index: LogIndex = f.u64("index")?;
        f.finish()?;
        let h = self.harness(id)?;
        h.node()?.on_persisted(index);
        Ok(h.state_line())
    }

    fn crash(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        Fields::parse(words)?.finish()?;
        let h = self.harness(id)?;
        let node = h
            .node
            .take()
            .ok_or(format!("node {id} is already crashed"))?;
        h.rng = Some(node.into_rng());
        h.armed.clear();
        Ok(h.disk_line() + "\n" + &h.state_line())
    }

    fn restart(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let at = f.instant("at")?;
        let bugs = f.take("bug")?;
        f.finish()?;
        let h = self.harness(id)?;
        if h.node.is_some() {
            return Err(format!("node {id} is running: `crash {id}` first"));
        }
        plant_bugs(&mut h.config.bugs, bugs)?;
        h.advance(at)?;
        let mut out = Vec::new();
        h.start(&mut out);
        Ok(h.report(&out))
    }

    fn create(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let cluster_size = f.opt_u64("n")?.unwrap_or(3) as usize;
        if !(1..=MAX_NODES).contains(&cluster_size) || id.index() >= cluster_size {
            return Err(format!(
                "node {id} of an {cluster_size}-node cluster (node ids are 1..=n, n <= {MAX_NODES})"
            ));
        }
        let mut config = RaftConfig {
            pre_vote: f.flag("pre_vote")?,
            check_quorum: f.flag("check_quorum")?,
            leader_lease: f.flag("leader_lease")?,
            ..RaftConfig::default()
        };
        if f.flag("dledger")? {
            config.election = ElectionKind::Dledger;
        }
        plant_bugs(&mut config.bugs, f.take("bug")?)?;
        if let Some(threshold) = f.opt_u64("compact")? {
            config.snapshot.threshold_entries = threshold;
        }
        let (snapshot_index, snapshot_term) = match f.take("snapshot")? {
            Some(text) => parse_snapshot(&text)?,
            None => (0, 0),
        };
        let vote = match f.take("vote")?.as_deref() {
            None | Some("none") => None,
            Some(v) => Some(parse_node_id(Some(v)).map_err(|why| format!("vote=: {why}"))?),
        };
        let disk = HardState {
            term: f.opt_u64("term")?.unwrap_or(0),
            voted_for: vote,
            snapshot_index,
            snapshot_term,
            log: match f.take("log")? {
                Some(log) => parse_entries(&log).map_err(|why| format!("`log={log}`: {why}"))?,
                None => Vec::new(),
            },
        };
        let now = f.instant("at")?.unwrap_or(Instant::ZERO);
        f.finish()?;
        let mut harness = Harness {
            id,
            cluster_size,
            config,
            node: None,
            rng: Some(Stream::new(
                SCRIPT_SEED,
                Purpose::NodeTimers,
                u64::from(id.0),
            )),
            disk,
            now,
            armed: BTreeMap::new(),
        };
        let mut out = Vec::new();
        harness.start(&mut out);
        let text = harness.report(&out);
        self.nodes.insert(id, harness);
        Ok(text)
    }
}
