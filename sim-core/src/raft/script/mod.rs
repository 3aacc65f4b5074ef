//! Raft's rules as scripts, in the style of etcd-io/raft's datadriven
//! `testdata/*.txt`. Each file in `raft/testdata/` is a list of blocks: a
//! `#` comment stating a rule, one command that drives a single node through
//! its public API, `----`, and the output the command must produce (up to
//! the next blank line). `RAFTSIM_REWRITE=1 cargo test -p sim-core script`
//! rewrites the outputs in place; without it a difference fails the test
//! with the file, the line and a diff. A malformed line fails loudly with
//! its file and line, so a typo can never pass vacuously.
//!
//! Commands (times are virtual milliseconds: `10ms`, `2.5ms`; `at=` defaults
//! to the node's current time, and time never goes backwards):
//!
//! ```text
//! node 1 [n=3] [dledger] [pre_vote] [check_quorum] [leader_lease] [bug=NAME,..]
//!        [term=0] [vote=none] [log=[1,1,2]] [at=0ms]   start node 1 from this disk
//! deliver 1 from=2 [at=T] <message>                    the node receives a message
//! fire 1 <timer>|next [at=T]                           a timer fires (by default at
//!                                                      its armed deadline; `next`:
//!                                                      the earliest armed timer)
//! propose 1 id=7                                       a client proposal
//! persisted 1 index=2                                  the disk holds 2 entries
//! crash 1 / restart 1 [at=T] [bug=NAME,..]             lose volatile state / start
//!                                                      again from the durable state
//! state 1 / timers 1 / disk 1                          print without driving
//! ```
//!
//! A command that drives the node prints the actions it emitted, one a line
//! (their text form is in `text.rs`), then the node's state:
//! `state 1 follower term=3 vote=2 leader=none commit=0 log=[1,1,2]`.
//! Log entries print as their term, with `:pN` for client proposal N.
//!
//! The harness' disk applies every `persist` as it is issued, and a node
//! restarted after `crash` continues its timer stream, as in the cluster.
//! Timers are drawn from the node's own seeded stream, so deadlines are
//! exact and the same on every run.

mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use self::text::{format_action, parse_message};
use super::{
    Action, Bugs, ElectionKind, Entry, EntryData, HardState, LogIndex, Node, NodeId, RaftConfig,
    TimerKind, MAX_NODES,
};
use crate::rng::{Purpose, Stream};
use crate::time::{Instant, US_PER_MS};

/// The seed of every node's timer stream in scripts.
const SCRIPT_SEED: u64 = 7;
/// The environment variable that turns on rewrite mode.
const REWRITE_VAR: &str = "RAFTSIM_REWRITE";

// ----- key=value fields --------------------------------------------------

/// The `key=value` and bare `flag` words of a command or a message. Every
/// word must be consumed, so a misspelt key is an error, never ignored.
pub(super) struct Fields {
    words: BTreeMap<String, Option<String>>,
}

impl Fields {
    pub(super) fn parse<'a>(words: impl Iterator<Item = &'a str>) -> Result<Fields, String> {
        let mut map = BTreeMap::new();
        for word in words {
            let (key, value) = match word.split_once('=') {
                Some((key, value)) => (key, Some(value.to_string())),
                None => (word, None),
            };
            if key.is_empty() {
                return Err(format!("`{word}` has no key"));
            }
            if map.insert(key.to_string(), value).is_some() {
                return Err(format!("`{key}` is given twice"));
            }
        }
        Ok(Fields { words: map })
    }

    fn take(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.words.remove(key) {
            None => Ok(None),
            Some(None) => Err(format!("`{key}` needs a value: {key}=...")),
            Some(Some(value)) => Ok(Some(value)),
        }
    }

    fn required(&mut self, key: &str) -> Result<String, String> {
        self.take(key)?.ok_or_else(|| format!("missing `{key}=`"))
    }

    pub(super) fn u64(&mut self, key: &str) -> Result<u64, String> {
        let value = self.required(key)?;
        parse_u64(key, &value)
    }

    fn opt_u64(&mut self, key: &str) -> Result<Option<u64>, String> {
        self.take(key)?.map(|v| parse_u64(key, &v)).transpose()
    }

    pub(super) fn bool(&mut self, key: &str) -> Result<bool, String> {
        match self.required(key)?.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(format!("`{key}={other}`: expected true or false")),
        }
    }

    pub(super) fn entries(&mut self, key: &str) -> Result<Vec<Entry>, String> {
        let value = self.required(key)?;
        parse_entries(&value).map_err(|why| format!("`{key}={value}`: {why}"))
    }

    pub(super) fn named<T: Copy>(&mut self, key: &str, names: &[(T, &str)]) -> Result<T, String> {
        let value = self.required(key)?;
        names
            .iter()
            .find(|(_, name)| *name == value)
            .map(|(v, _)| *v)
            .ok_or_else(|| {
                let all: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
                format!("`{key}={value}`: expected one of {}", all.join(", "))
            })
    }

    fn flag(&mut self, key: &str) -> Result<bool, String> {
        match self.words.remove(key) {
            None => Ok(false),
            Some(None) => Ok(true),
            Some(Some(value)) => Err(format!(
                "`{key}` is a flag and takes no value (got `{value}`)"
            )),
        }
    }

    fn instant(&mut self, key: &str) -> Result<Option<Instant>, String> {
        self.take(key)?.map(|v| parse_instant(&v)).transpose()
    }

    /// Fails if a word was not consumed.
    pub(super) fn finish(self) -> Result<(), String> {
        match self.words.keys().next() {
            None => Ok(()),
            Some(_) => {
                let left: Vec<&str> = self.words.keys().map(String::as_str).collect();
                Err(format!("unknown key(s): {}", left.join(", ")))
            }
        }
    }
}

fn parse_u64(key: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("`{key}={value}`: expected a whole number"))
}

fn parse_node_id(word: Option<&str>) -> Result<NodeId, String> {
    let word = word.ok_or("missing the node id")?;
    match word.parse::<u32>() {
        Ok(id) if (1..=MAX_NODES as u32).contains(&id) => Ok(NodeId(id)),
        _ => Err(format!("`{word}` is not a node id (1..={MAX_NODES})")),
    }
}

/// `[1,1,2:p7]`: entry terms, `:pN` for client proposal N, else a no-op.
fn parse_entries(text: &str) -> Result<Vec<Entry>, String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or("expected a list of entry terms like [1,1,2]")?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|item| {
            let (term, data) = match item.split_once(":p") {
                Some((term, id)) => (term, EntryData::Proposal(parse_u64("proposal", id)?)),
                None => (item, EntryData::Noop),
            };
            Ok(Entry {
                term: parse_u64("term", term)?,
                data,
            })
        })
        .collect()
}

pub(super) fn format_entries(entries: &[Entry]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|e| match e.data {
            EntryData::Noop => e.term.to_string(),
            EntryData::Proposal(id) => format!("{}:p{id}", e.term),
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// `150ms` or `150.5ms` (microsecond precision).
fn parse_instant(text: &str) -> Result<Instant, String> {
    let bad = || format!("`{text}` is not a time: expected milliseconds like 150ms or 2.5ms");
    let number = text.strip_suffix("ms").ok_or_else(bad)?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if fraction.len() > 3 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let ms: u64 = whole.parse().map_err(|_| bad())?;
    let us: u64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<3}").parse().map_err(|_| bad())?
    };
    Ok(Instant::from_us(ms * US_PER_MS + us))
}

pub(super) fn format_instant(at: Instant) -> String {
    let (ms, us) = (at.as_us() / US_PER_MS, at.as_us() % US_PER_MS);
    if us == 0 {
        format!("{ms}ms")
    } else {
        format!("{}ms", format!("{ms}.{us:03}").trim_end_matches('0'))
    }
}

fn format_node(id: Option<NodeId>) -> String {
    id.map_or_else(|| "none".to_string(), |id| id.to_string())
}

fn timer_by_name(name: &str) -> Result<TimerKind, String> {
    TimerKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| {
            let all: Vec<&str> = TimerKind::ALL.iter().map(|k| k.name()).collect();
            format!(
                "unknown timer `{name}` (expected {} or next)",
                all.join(", ")
            )
        })
}

fn plant_bugs(bugs: &mut Bugs, list: Option<String>) -> Result<(), String> {
    for name in list.iter().flat_map(|l| l.split(',')) {
        if !bugs.plant(name) {
            return Err(format!(
                "unknown bug `{name}` (expected {})",
                Bugs::NAMES.join(", ")
            ));
        }
    }
    Ok(())
}

// ----- one node and its world ------------------------------------------

/// A node under test, with the disk, clock and timers the cluster would keep.
struct Harness {
    id: NodeId,
    cluster_size: usize,
    config: RaftConfig,
    /// None while crashed.
    node: Option<Node>,
    /// The timer stream, kept across a crash.
    rng: Option<Stream>,
    disk: HardState,
    now: Instant,
    armed: BTreeMap<TimerKind, Instant>,
}

impl Harness {
    fn node(&mut self) -> Result<&mut Node, String> {
        let id = self.id;
        self.node
            .as_mut()
            .ok_or_else(|| format!("node {id} is crashed (use `restart {id}`)"))
    }

    /// Moves the clock to `at` (or keeps it), refusing to go backwards.
    fn advance(&mut self, at: Option<Instant>) -> Result<Instant, String> {
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

    fn start(&mut self, out: &mut Vec<Action>) {
        let rng = self.rng.take().expect("a stopped node left its stream");
        self.armed.clear();
        self.node = Some(Node::start(
            self.id,
            self.cluster_size,
            self.config.clone(),
            rng,
            self.disk.clone(),
            self.now,
            out,
        ));
    }

    /// Does what the world would do with `out`, and prints it with the state.
    fn report(&mut self, out: &[Action]) -> String {
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

    fn state_line(&self) -> String {
        let Some(node) = &self.node else {
            return format!("state {} crashed", self.id);
        };
        let s = node.status();
        format!(
            "state {} {} term={} vote={} leader={} commit={} log={}",
            self.id,
            s.role.name(),
            s.term,
            format_node(s.voted_for),
            format_node(s.leader),
            s.commit_index,
            format_entries(node.log().entries())
        )
    }

    fn disk_line(&self) -> String {
        format!(
            "disk {} term={} vote={} log={}",
            self.id,
            self.disk.term,
            format_node(self.disk.voted_for),
            format_entries(&self.disk.log)
        )
    }

    fn timers_line(&self) -> String {
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

// ----- the interpreter -------------------------------------------------

#[derive(Default)]
struct Interpreter {
    nodes: BTreeMap<NodeId, Harness>,
}

impl Interpreter {
    fn harness(&mut self, id: NodeId) -> Result<&mut Harness, String> {
        self.nodes
            .get_mut(&id)
            .ok_or_else(|| format!("node {id} was not created (use `node {id} ...`)"))
    }

    /// Runs one command line and returns its output.
    fn run(&mut self, line: &str) -> Result<String, String> {
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
            "deliver" => {
                let mut f = Fields::parse(words)?;
                let from = parse_node_id(Some(&f.required("from")?))
                    .map_err(|why| format!("from=: {why}"))?;
                let at = f.instant("at")?;
                f.finish()?;
                let msg = parse_message(message.ok_or("deliver needs a message: Kind{...}")?)?;
                let h = self.harness(id)?;
                let now = h.advance(at)?;
                let mut out = Vec::new();
                h.node()?.on_message(now, from, msg, &mut out);
                Ok(h.report(&out))
            }
            "fire" => {
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
            "propose" => {
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
            "persisted" => {
                let mut f = Fields::parse(words)?;
                let index: LogIndex = f.u64("index")?;
                f.finish()?;
                let h = self.harness(id)?;
                h.node()?.on_persisted(index);
                Ok(h.state_line())
            }
            "crash" => {
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
            "restart" => {
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

    fn create<'a>(
        &mut self,
        id: NodeId,
        words: impl Iterator<Item = &'a str>,
    ) -> Result<String, String> {
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
        let vote = match f.take("vote")?.as_deref() {
            None | Some("none") => None,
            Some(v) => Some(parse_node_id(Some(v)).map_err(|why| format!("vote=: {why}"))?),
        };
        let disk = HardState {
            term: f.opt_u64("term")?.unwrap_or(0),
            voted_for: vote,
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

// ----- script files ----------------------------------------------------

/// One command and the output expected of it.
struct Block {
    /// 0-based line of the command.
    command_at: usize,
    /// 0-based lines `[from, to)` of the expected output.
    expected: (usize, usize),
}

/// Splits a script into its blocks; a malformed layout is an error.
fn parse_blocks(name: &str, lines: &[&str]) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() || line.starts_with('#') {
            i += 1;
            continue;
        }
        if line == "----" {
            return Err(format!(
                "{name}:{}: `----` without a command above it",
                i + 1
            ));
        }
        let command_at = i;
        if lines.get(i + 1).map(|l| l.trim()) != Some("----") {
            return Err(format!(
                "{name}:{}: a command must be followed by a `----` line and its output \
                 (is a command split over two lines?)",
                i + 1
            ));
        }
        let from = i + 2;
        let mut to = from;
        while to < lines.len() && !lines[to].trim().is_empty() {
            to += 1;
        }
        blocks.push(Block {
            command_at,
            expected: (from, to),
        });
        i = to;
    }
    Ok(blocks)
}

/// What running a script found.
struct Outcome {
    /// The script with every expected output replaced by the actual one.
    rewritten: String,
    /// One readable report per block whose output differs.
    mismatches: Vec<String>,
}

/// Runs the script `text` (named `name` in messages).
fn run_script(name: &str, text: &str) -> Result<Outcome, String> {
    let lines: Vec<&str> = text.lines().collect();
    let blocks = parse_blocks(name, &lines)?;
    if blocks.is_empty() {
        return Err(format!(
            "{name}: no commands: an empty script tests nothing"
        ));
    }
    let mut interpreter = Interpreter::default();
    let mut rewritten = String::new();
    let mut mismatches = Vec::new();
    let mut copied = 0;
    for block in &blocks {
        let command = lines[block.command_at].trim();
        let actual = interpreter
            .run(command)
            .map_err(|why| format!("{name}:{}: {why}\n    {command}", block.command_at + 1))?;
        let actual: Vec<&str> = actual.lines().collect();
        let (from, to) = block.expected;
        let expected = &lines[from..to];
        if expected != actual.as_slice() {
            mismatches.push(format!(
                "{name}:{}: `{command}` printed something else (- expected, + actual):\n{}",
                block.command_at + 1,
                diff(expected, &actual)
            ));
        }
        for line in &lines[copied..from] {
            rewritten.push_str(line);
            rewritten.push('\n');
        }
        for line in &actual {
            rewritten.push_str(line);
            rewritten.push('\n');
        }
        copied = to;
    }
    for line in &lines[copied..] {
        rewritten.push_str(line);
        rewritten.push('\n');
    }
    Ok(Outcome {
        rewritten,
        mismatches,
    })
}

/// A line diff (longest common subsequence): `-` expected, `+` actual.
fn diff(expected: &[&str], actual: &[&str]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut text) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            text += &format!("      {}\n", expected[i]);
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            text += &format!("    - {}\n", expected[i]);
            i += 1;
        } else {
            text += &format!("    + {}\n", actual[j]);
            j += 1;
        }
    }
    text
}

fn testdata_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/raft/testdata")
}

/// Runs `testdata/<file>`: rewrites it under `RAFTSIM_REWRITE=1`, else fails
/// on any difference.
fn run_file(file: &str) {
    let path = testdata_dir().join(file);
    let name = format!("sim-core/src/raft/testdata/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    let outcome = run_script(&name, &text).unwrap_or_else(|why| panic!("error: {why}"));
    let rewrite = std::env::var(REWRITE_VAR).is_ok_and(|v| !v.is_empty() && v != "0");
    if rewrite {
        if outcome.rewritten != text {
            std::fs::write(&path, &outcome.rewritten)
                .unwrap_or_else(|e| panic!("cannot rewrite {name}: {e}"));
        }
    } else if !outcome.mismatches.is_empty() {
        panic!(
            "{} block(s) differ; if the new behaviour is intended, run\n    \
             {REWRITE_VAR}=1 cargo test -p sim-core script\nand review the diff.\n\n{}",
            outcome.mismatches.len(),
            outcome.mismatches.join("\n")
        );
    }
}

// ----- the scripts -------------------------------------------------------

/// Every script, one test each.
const SCRIPTS: [&str; 9] = [
    "up_to_date.txt",
    "vote.txt",
    "pre_vote.txt",
    "leader_lease.txt",
    "check_quorum.txt",
    "replication.txt",
    "dledger_voter.txt",
    "dledger_round.txt",
    "dledger_heartbeat.txt",
];

macro_rules! script_tests {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_file($file);
            }
        )*
    };
}

script_tests! {
    up_to_date => "up_to_date.txt",
    vote => "vote.txt",
    pre_vote => "pre_vote.txt",
    leader_lease => "leader_lease.txt",
    check_quorum => "check_quorum.txt",
    replication => "replication.txt",
    dledger_voter => "dledger_voter.txt",
    dledger_round => "dledger_round.txt",
    dledger_heartbeat => "dledger_heartbeat.txt",
}

#[test]
fn every_script_in_testdata_is_run() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(testdata_dir())
        .expect("testdata exists")
        .map(|entry| {
            entry
                .expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".txt"))
        .collect();
    let listed: BTreeSet<String> = SCRIPTS.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "add new scripts to SCRIPTS and script_tests!"
    );
}

// ----- the interpreter's own checks -------------------------------------

/// The error a one-block script fails with.
fn script_error(command: &str) -> String {
    let text = format!("# a rule\n{command}\n----\nok\n");
    match run_script("t.txt", &format!("node 1 term=1\n----\nok\n\n{text}")) {
        Ok(_) => panic!("`{command}` was accepted"),
        Err(why) => why,
    }
}

#[test]
fn malformed_lines_fail_with_file_line_and_reason() {
    let cases = [
        (
            "deliver 1 form=2 VoteResponse{term=1 granted=true}",
            "missing `from=`",
        ),
        (
            "deliver 1 from=2 to=3 VoteResponse{term=1 granted=true}",
            "unknown key(s): to",
        ),
        (
            "deliver 1 from=2 VoteResponse{term=1 grnted=true}",
            "missing `granted=`",
        ),
        (
            "deliver 1 from=2 VoteResponse{term=1 granted=yes}",
            "expected true or false",
        ),
        (
            "deliver 1 from=2 VoteReponse{term=1 granted=true}",
            "unknown message kind",
        ),
        (
            "deliver 1 from=2 VoteResponse{term=1 granted=true",
            "does not end with",
        ),
        (
            "deliver 1 from=2 at=5 VoteResponse{term=1 granted=true}",
            "is not a time",
        ),
        ("fire 1 electoin", "unknown timer `electoin`"),
        ("fire 1 heartbeat", "no heartbeat timer armed"),
        ("node 4 term=1", "node 4 of an 3-node cluster"),
        ("node 1 prevote", "unknown key(s): prevote"),
        ("node 1 bug=forget_votes", "unknown bug"),
        ("node 1 log=1,2", "expected a list of entry terms"),
        ("state 2", "node 2 was not created"),
        ("propse 1 id=1", "unknown command `propse`"),
        ("propose 1 id=1 id=2", "`id` is given twice"),
        ("restart 1", "node 1 is running"),
        (
            "deliver 1 from=2 at=0ms DlHeartbeat{term=1 round=1 round=2}",
            "given twice",
        ),
    ];
    for (command, reason) in cases {
        let why = script_error(command);
        assert!(why.starts_with("t.txt:6: "), "{command}: {why}");
        assert!(why.contains(reason), "{command}: {why}");
    }
    // Time never goes backwards.
    let text = "node 1 at=10ms\n----\n\nstate 1\n----\n\ndeliver 1 from=2 at=5ms \
                VoteResponse{term=1 granted=true}\n----\n";
    let why = run_script("t.txt", text).err().expect("refused");
    assert!(why.contains("t.txt:7: time goes backwards"), "{why}");
}

#[test]
fn a_command_without_its_separator_is_an_error() {
    let why = run_script("t.txt", "# rule\nnode 1\nstate 1\n----\n")
        .err()
        .expect("refused");
    assert!(
        why.starts_with("t.txt:2: a command must be followed"),
        "{why}"
    );
    let why = run_script("t.txt", "----\nok\n").err().expect("refused");
    assert!(
        why.starts_with("t.txt:1: `----` without a command"),
        "{why}"
    );
}

#[test]
fn a_wrong_output_is_reported_with_a_diff_and_rewritten() {
    let text = "# rule\nnode 1 term=2\n----\nset-timer election at=1ms\nstate 1 leader\n";
    let outcome = run_script("t.txt", text).expect("well formed");
    assert_eq!(outcome.mismatches.len(), 1);
    let report = &outcome.mismatches[0];
    assert!(report.starts_with("t.txt:2: `node 1 term=2`"), "{report}");
    assert!(report.contains("    - state 1 leader\n"), "{report}");
    assert!(report.contains("    + state 1 follower term=2"), "{report}");
    let again = run_script("t.txt", &outcome.rewritten).expect("well formed");
    assert!(
        again.mismatches.is_empty(),
        "{}",
        again.mismatches.join("\n")
    );
    assert!(outcome
        .rewritten
        .starts_with("# rule\nnode 1 term=2\n----\nset-timer election at="));
}

#[test]
fn messages_print_as_they_parse() {
    let texts = [
        "RequestVote{term=5 last_index=7 last_term=4}",
        "PreVote{term=5 last_index=7 last_term=4}",
        "VoteResponse{term=5 granted=true}",
        "PreVoteResponse{term=5 granted=false}",
        "AppendEntries{term=4 prev_index=2 prev_term=1 entries=[4,4:p7] commit=2}",
        "AppendEntries{term=4 prev_index=2 prev_term=1 entries=[] commit=2}",
        "AppendResponse{term=4 success=true index=4}",
        "DlVote{term=3 end_term=2 end_index=2 round=1}",
        "DlVoteReply{term=3 result=REJECT_TERM_SMALL_THAN_LEDGER round=1}",
        "DlHeartbeat{term=3 round=1}",
        "DlHeartbeatReply{term=3 code=INCONSISTENT_LEADER round=1}",
    ];
    for text in texts {
        let msg = parse_message(text).unwrap_or_else(|why| panic!("{text}: {why}"));
        assert_eq!(text::format_message(&msg), text);
    }
    assert_eq!(parse_instant("2.5ms"), Ok(Instant::from_us(2_500)));
    assert_eq!(format_instant(Instant::from_us(2_500)), "2.5ms");
    assert_eq!(format_instant(Instant::from_us(234_567)), "234.567ms");
}
