//! The script commands: each drives (or prints) one node of the script and
//! returns its output text.

use std::collections::BTreeMap;

use super::fields::{
    format_instant, parse_entries, parse_node_id, parse_snapshot, plant_bugs, timer_by_name, Fields,
};
use super::harness::Harness;
use super::text::{parse_message, ScriptMessage};
use super::SCRIPT_SEED;
use crate::node::{
    ElectionKind, HardState, LogIndex, Membership, NodeId, NodeSet, RaftConfig, RaftNode, MAX_NODES,
};
use crate::raft::{ClassicNode, DLedgerNode};
use crate::rng::{Purpose, Stream};
use crate::time::Instant;

/// The words of a command after its node id.
type Words<'a> = std::str::SplitWhitespace<'a>;

/// A node under test of either elector (one script may hold both).
enum AnyHarness {
    Classic(Harness<ClassicNode>),
    Dledger(Harness<DLedgerNode>),
}

/// Runs `$body` with `$h` bound to the harness, whichever its node type.
macro_rules! with_harness {
    ($any:expr, $h:ident => $body:expr) => {
        match $any {
            AnyHarness::Classic($h) => $body,
            AnyHarness::Dledger($h) => $body,
        }
    };
}

#[derive(Default)]
pub(super) struct Interpreter {
    nodes: BTreeMap<NodeId, AnyHarness>,
}

impl Interpreter {
    fn harness(&mut self, id: NodeId) -> Result<&mut AnyHarness, String> {
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
                Ok(with_harness!(self.harness(id)?, h => match command {
                    "state" => h.state_line(),
                    "timers" => h.timers_line(),
                    _ => h.disk_line(),
                }))
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
        let message = message.ok_or("deliver needs a message: Kind{...}")?;
        with_harness!(self.harness(id)?, h => deliver(h, from, at, message))
    }

    fn fire(&mut self, id: NodeId, mut words: Words<'_>) -> Result<String, String> {
        let timer = words.next().ok_or("fire needs a timer name or `next`")?;
        let mut f = Fields::parse(words)?;
        let at = f.instant("at")?;
        f.finish()?;
        with_harness!(self.harness(id)?, h => fire(h, timer, at))
    }

    fn propose(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let proposal = f.u64("id")?;
        f.finish()?;
        with_harness!(self.harness(id)?, h => propose(h, proposal))
    }

    fn persisted(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let index: LogIndex = f.u64("index")?;
        f.finish()?;
        with_harness!(self.harness(id)?, h => persisted(h, index))
    }

    fn crash(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        Fields::parse(words)?.finish()?;
        with_harness!(self.harness(id)?, h => crash(h))
    }

    fn restart(&mut self, id: NodeId, words: Words<'_>) -> Result<String, String> {
        let mut f = Fields::parse(words)?;
        let at = f.instant("at")?;
        let bugs = f.take("bug")?;
        f.finish()?;
        with_harness!(self.harness(id)?, h => restart(h, at, bugs))
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
        let dledger = f.flag("dledger")?;
        if dledger {
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
            // Every node of the script's cluster is a voter from the start.
            snapshot_config: Membership::of_voters(NodeSet::first(cluster_size)),
            log: match f.take("log")? {
                Some(log) => parse_entries(&log).map_err(|why| format!("`log={log}`: {why}"))?,
                None => Vec::new(),
            },
            commit: 0,
            initial_config: Membership::of_voters(NodeSet::first(cluster_size)),
        };
        let now = f.instant("at")?.unwrap_or(Instant::ZERO);
        f.finish()?;
        let (text, harness) = if dledger {
            let (text, h) = create(id, cluster_size, config, disk, now);
            (text, AnyHarness::Dledger(h))
        } else {
            let (text, h) = create(id, cluster_size, config, disk, now);
            (text, AnyHarness::Classic(h))
        };
        self.nodes.insert(id, harness);
        Ok(text)
    }
}

/// A new node from this disk, and what it printed starting.
fn create<N: RaftNode>(
    id: NodeId,
    cluster_size: usize,
    config: RaftConfig,
    disk: HardState,
    now: Instant,
) -> (String, Harness<N>)
where
    N::Message: ScriptMessage,
{
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
    (harness.report(&out), harness)
}

fn deliver<N: RaftNode>(
    h: &mut Harness<N>,
    from: NodeId,
    at: Option<Instant>,
    message: &str,
) -> Result<String, String>
where
    N::Message: ScriptMessage,
{
    let msg = parse_message(message)?;
    let now = h.advance(at)?;
    let mut out = Vec::new();
    h.node()?.on_message(now, from, msg, &mut out);
    Ok(h.report(&out))
}

fn fire<N: RaftNode>(h: &mut Harness<N>, timer: &str, at: Option<Instant>) -> Result<String, String>
where
    N::Message: ScriptMessage,
{
    let id = h.id;
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

fn propose<N: RaftNode>(h: &mut Harness<N>, proposal: u64) -> Result<String, String>
where
    N::Message: ScriptMessage,
{
    let id = h.id;
    let now = h.now;
    let mut out = Vec::new();
    if h.node()?.propose(now, proposal, &mut out) {
        Ok(h.report(&out))
    } else {
        assert!(out.is_empty(), "a refused proposal does nothing");
        Ok(format!(
            "refused: node {id} is not the leader\n{}",
            h.state_line()
        ))
    }
}

fn persisted<N: RaftNode>(h: &mut Harness<N>, index: LogIndex) -> Result<String, String>
where
    N::Message: ScriptMessage,
{
    let now = h.now;
    let mut out = Vec::new();
    h.node()?.on_persisted(now, index, &mut out);
    Ok(h.report(&out))
}

fn crash<N: RaftNode>(h: &mut Harness<N>) -> Result<String, String>
where
    N::Message: ScriptMessage,
{
    let id = h.id;
    let node = h
        .node
        .take()
        .ok_or(format!("node {id} is already crashed"))?;
    h.rng = Some(node.into_rng());
    h.armed.clear();
    Ok(h.disk_line() + "\n" + &h.state_line())
}

fn restart<N: RaftNode>(
    h: &mut Harness<N>,
    at: Option<Instant>,
    bugs: Option<String>,
) -> Result<String, String>
where
    N::Message: ScriptMessage,
{
    let id = h.id;
    if h.node.is_some() {
        return Err(format!("node {id} is running: `crash {id}` first"));
    }
    plant_bugs(&mut h.config.bugs, bugs)?;
    h.advance(at)?;
    let mut out = Vec::new();
    h.start(&mut out);
    Ok(h.report(&out))
}
