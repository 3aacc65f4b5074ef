//! Whole clusters in scripts, in the style of etcd-io/raft's
//! InteractionEnv (compiled for tests only). Each file in
//! `interaction/testdata/` drives a cluster, one command a block, and runs
//! against raftsim's model and against raft-rs: where the two are meant to
//! agree the block has one expected output; where they differ, one section
//! per implementation (`---- model`, `---- raft-rs`) shows how (the format:
//! `crate::testkit`). `RAFTSIM_REWRITE=1 cargo test -p sim-core
//! interaction` rewrites the outputs.
//!
//! Commands (node ids are 1-based; nothing moves unless a command moves
//! it):
//!
//! ```text
//! add-nodes N [voters=K] [snapshot=S] [pre_vote] [check_quorum] [async-storage]
//!                                         N nodes from empty disks: 1..=K (all
//!                                         by default) hold the configuration
//!                                         voters=(1..K), the others none (spare
//!                                         machines a leader may add); with
//!                                         snapshot=S a node compacts its log
//!                                         once S entries past its snapshot are
//!                                         committed (to S/2 behind the commit);
//!                                         the lease is on with CheckQuorum
//!                                         (etcd's rule, which raft-rs follows);
//!                                         with async-storage a write is
//!                                         durable only at `process-ready`
//!                                         (else at once), and a send the
//!                                         node timed after its writes waits
//!                                         for them
//! campaign N                              fire N's timers until it stands
//! heartbeat N                             fire N's timers until it sends
//! step-down N                             fire N's timers until its role changes
//! elapse N MS                             fire N's timers due in the next MS
//!                                         milliseconds (whatever they do)
//! stabilize                               deliver every message in flight, and
//!                                         what they cause, until none is left
//!                                         (and, with async-storage, process
//!                                         every ready queue whenever none is)
//! process-ready [N ...]                   make N's waiting writes durable, in
//!                                         order, and send what waited for
//!                                         them (every node's, if none given)
//! deliver-msgs [from=N] [to=N]           deliver what is in flight now (from/to N)
//! drop-msgs [from=N] [to=N]               drop what is in flight (from/to N)
//! propose N                               a client proposal to N
//! cut A B / isolate N / heal              links down (both ways) / all up
//! crash N / restart N                     lose volatile state / start from disk
//! advance MS                              let MS milliseconds pass, firing nothing
//! status [N ...] / log N                  print the status and configuration
//!                                         of N (of every node, if none given)
//!                                         / N's log
//! add-voter L N / add-learner L N         ask leader L to change the membership:
//! promote L N / remove L N                one node at a time, or by joint
//! change L [add=N,..] [remove=N,..] [learners=N,..]
//!                                         consensus (left automatically)
//! transfer-leader L N                     ask leader L to hand over to N
//! reset                                   discard the cluster: a script may
//!                                         go on with another `add-nodes`
//! ```
//!
//! A membership or transfer request prints what the node sent and changed,
//! then `refused: <reason>` if it refused.
//!
//! Time moves forward only, to the deadline of each timer a command fires;
//! a node's timers fire only when a command fires them. So a node that no
//! command has fired stays where it was: raft-rs, which counts its lease
//! and CheckQuorum in its own ticks, still holds the lease there, while
//! the model measures both in virtual time. Scripts say where that shows.
//!
//! Output: a message as `1->2 Kind term=T field=value ...` (its
//! implementation's own kind and fields), indented beneath the delivery
//! that caused it; a status line `1: leader term=2 vote=1 leader=1
//! commit=3 last=3` whenever a node's role, term, leader or commit index
//! changes; `1: config=voters=(1,2,3) learners=(4)` whenever the
//! configuration it uses changes (the model's on append, raft-rs's on
//! apply); in `log N` a configuration entry shows its configuration,
//! `2[voters=(1,2,3)]`.

mod env;
mod format;

use std::path::Path;

use env::{Env, Until};

use crate::node::{MembershipChange, NodeId, NodeSet, RaftConfig, RaftNode};
use crate::raft::ClassicNode;
use crate::testkit::{self, Interpreter};

/// One implementation's cluster, driven by a script's commands.
struct Session<N: RaftNode> {
    env: Option<Env<N>>,
    implementation: crate::node::Implementation,
}

impl<N: RaftNode> Session<N> {
    fn new(implementation: crate::node::Implementation) -> Self {
        Session {
            env: None,
            implementation,
        }
    }

    fn env(&mut self) -> Result<&mut Env<N>, String> {
        self.env
            .as_mut()
            .ok_or_else(|| "no cluster yet: start with `add-nodes N`".to_string())
    }

    fn node(&mut self, word: Option<&str>) -> Result<NodeId, String> {
        let word = word.ok_or("which node?")?;
        let id: u32 = word
            .parse()
            .map_err(|_| format!("`{word}` is not a node id"))?;
        let id = NodeId(id);
        self.env()?.check(id)?;
        Ok(id)
    }

    /// The rest of the words, each a node id.
    fn nodes<'a>(&mut self, words: impl Iterator<Item = &'a str>) -> Result<Vec<NodeId>, String> {
        words.map(|word| self.node(Some(word))).collect()
    }

    /// `key=N` words, by key; anything else is an error.
    fn options<'a>(
        &mut self,
        words: impl Iterator<Item = &'a str>,
        keys: &[&str],
    ) -> Result<Vec<Option<NodeId>>, String> {
        let mut found = vec![None; keys.len()];
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("`{word}`: expected key=value"))?;
            let slot = keys
                .iter()
                .position(|k| *k == key)
                .ok_or_else(|| format!("unknown key `{key}` (expected {})", keys.join(", ")))?;
            found[slot] = Some(self.node(Some(value))?);
        }
        Ok(found)
    }

    /// `key=N,M,...` words, by key, as sets of nodes (empty if absent);
    /// anything else is an error.
    fn sets<'a>(
        &mut self,
        words: impl Iterator<Item = &'a str>,
        keys: &[&str],
    ) -> Result<Vec<NodeSet>, String> {
        let mut found = vec![NodeSet::EMPTY; keys.len()];
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("`{word}`: expected key=N,M,..."))?;
            let slot = keys
                .iter()
                .position(|k| *k == key)
                .ok_or_else(|| format!("unknown key `{key}` (expected {})", keys.join(", ")))?;
            for id in value.split(',').filter(|v| !v.is_empty()) {
                found[slot] = found[slot].with(self.node(Some(id))?);
            }
        }
        Ok(found)
    }

    fn run(&mut self, line: &str) -> Result<String, String> {
        let mut words = line.split_whitespace();
        let command = words.next().ok_or("empty command")?;
        let out = match command {
            "add-nodes" => {
                if self.env.is_some() {
                    return Err("the cluster exists already (`reset` first)".to_string());
                }
                let n: usize = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .filter(|n| (1..=crate::node::MAX_NODES).contains(n))
                    .ok_or("add-nodes needs a node count")?;
                let mut config = RaftConfig {
                    implementation: self.implementation,
                    ..RaftConfig::default()
                };
                let mut voters = n;
                let mut async_storage = false;
                for flag in words.by_ref() {
                    match flag.split_once('=') {
                        Some(("voters", k)) => {
                            voters = k
                                .parse()
                                .ok()
                                .filter(|k| (1..=n).contains(k))
                                .ok_or_else(|| format!("`{flag}`: voters=K with K in 1..={n}"))?;
                        }
                        Some(("snapshot", k)) => {
                            config.snapshot.threshold_entries = k
                                .parse()
                                .ok()
                                .filter(|k| *k >= 2)
                                .ok_or_else(|| format!("`{flag}`: snapshot=K with K >= 2"))?;
                        }
                        _ => match flag {
                            "pre_vote" => config.pre_vote = true,
                            "check_quorum" => config.check_quorum = true,
                            "async-storage" => async_storage = true,
                            other => return Err(format!("unknown flag `{other}`")),
                        },
                    }
                }
                config.leader_lease = config.check_quorum;
                let (env, out) = Env::new(n, config, NodeSet::first(voters), async_storage);
                self.env = Some(env);
                out
            }
            "campaign" | "heartbeat" | "step-down" => {
                let id = self.node(words.next())?;
                let until = match command {
                    "campaign" => Until::Campaign,
                    "heartbeat" => Until::Sends,
                    _ => Until::RoleChange,
                };
                self.env()?.elapse(id, until)?
            }
            "elapse" => {
                let id = self.node(words.next())?;
                let ms: u64 = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .ok_or("elapse needs whole milliseconds")?;
                self.env()?.elapse_for(id, ms * 1_000)?
            }
            "reset" => {
                self.env = None;
                String::new()
            }
            "stabilize" => self.env()?.stabilize()?,
            "deliver-msgs" => {
                let [from, to] = self.options(words.by_ref(), &["from", "to"])?[..] else {
                    unreachable!("two keys")
                };
                self.env()?.deliver_msgs(from, to)
            }
            "drop-msgs" => {
                let [from, to] = self.options(words.by_ref(), &["from", "to"])?[..] else {
                    unreachable!("two keys")
                };
                self.env()?.drop_msgs(from, to)
            }
            "propose" => {
                let id = self.node(words.next())?;
                self.env()?.propose(id)?
            }
            "cut" => {
                let a = self.node(words.next())?;
                let b = self.node(words.next())?;
                self.env()?.cut(a, b);
                String::new()
            }
            "isolate" => {
                let id = self.node(words.next())?;
                self.env()?.isolate(id);
                String::new()
            }
            "heal" => {
                self.env()?.heal();
                String::new()
            }
            "crash" => {
                let id = self.node(words.next())?;
                self.env()?.crash(id)?
            }
            "restart" => {
                let id = self.node(words.next())?;
                self.env()?.restart(id)?
            }
            "advance" => {
                let ms: u64 = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .ok_or("advance needs whole milliseconds")?;
                self.env()?.advance(ms * 1_000);
                String::new()
            }
            "status" => {
                let ids = self.nodes(words.by_ref())?;
                self.env()?.status_lines(&ids)
            }
            "process-ready" => {
                let ids = self.nodes(words.by_ref())?;
                self.env()?.process_ready_of(&ids)
            }
            "log" => {
                let id = self.node(words.next())?;
                self.env()?.log_line(id)
            }
            "add-voter" | "add-learner" | "promote" | "remove" => {
                let leader = self.node(words.next())?;
                let target = self.node(words.next())?;
                let change = match command {
                    "add-voter" => MembershipChange::AddVoter(target),
                    "add-learner" => MembershipChange::AddLearner(target),
                    "promote" => MembershipChange::Promote(target),
                    _ => MembershipChange::Remove(target),
                };
                self.env()?.change(leader, change)?
            }
            "change" => {
                let leader = self.node(words.next())?;
                let [add, remove, learners] =
                    self.sets(words.by_ref(), &["add", "remove", "learners"])?[..]
                else {
                    unreachable!("three keys")
                };
                let change = MembershipChange::Joint {
                    add,
                    remove,
                    learners,
                };
                self.env()?.change(leader, change)?
            }
            "transfer-leader" => {
                let leader = self.node(words.next())?;
                let target = self.node(words.next())?;
                self.env()?.transfer(leader, target)?
            }
            other => {
                return Err(format!(
                    "unknown command `{other}` (expected add-nodes, campaign, heartbeat, \
                     step-down, stabilize, deliver-msgs, drop-msgs, propose, cut, isolate, heal, crash, \
                     restart, advance, elapse, status, log, add-voter, add-learner, promote, \
                     remove, change, transfer-leader or reset)"
                ))
            }
        };
        if let Some(extra) = words.next() {
            return Err(format!("`{command}`: unexpected `{extra}`"));
        }
        Ok(if out.is_empty() {
            "ok".to_string()
        } else {
            out
        })
    }
}

/// Every implementation a script runs against in this build, by name.
fn interpreters() -> Vec<Interpreter<'static>> {
    let mut model = Session::<ClassicNode>::new(crate::node::Implementation::Model);
    let model: Interpreter<'static> = ("model", Box::new(move |line: &str| model.run(line)));
    #[cfg(feature = "raft-rs")]
    {
        let mut library =
            Session::<crate::raftrs::RaftRsNode>::new(crate::node::Implementation::RaftRs);
        let library: Interpreter<'static> =
            ("raft-rs", Box::new(move |line: &str| library.run(line)));
        vec![model, library]
    }
    #[cfg(not(feature = "raft-rs"))]
    vec![model]
}

fn run_file(file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/interaction/testdata")
        .join(file);
    let name = format!("sim-core/src/interaction/testdata/{file}");
    let complete = cfg!(feature = "raft-rs");
    testkit::run_file(&path, &name, complete, &mut interpreters());
}

macro_rules! interaction_tests {
    ($($test:ident => $file:literal,)*) => {
        /// Every script, one test each.
        const SCRIPTS: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                run_file($file);
            }
        )*
    };
}

interaction_tests! {
    election => "election.txt",
    pre_vote => "pre_vote.txt",
    check_quorum => "check_quorum.txt",
    partition => "partition.txt",
    replication => "replication.txt",
    membership => "membership.txt",
    removed_server => "removed_server.txt",
    removed_server_late_reply => "removed_server_late_reply.txt",
    remove_leader => "remove_leader.txt",
    transfer => "transfer.txt",
    async_storage => "async_storage.txt",
}

#[test]
fn every_script_in_testdata_is_run() {
    testkit::assert_every_script_is_listed(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/interaction/testdata"),
        SCRIPTS,
        "add new scripts to interaction_tests!",
    );
}

#[test]
fn a_bad_command_fails_with_its_reason() {
    let mut session = Session::<ClassicNode>::new(crate::node::Implementation::Model);
    assert!(session.run("status").unwrap_err().contains("add-nodes"));
    session.run("add-nodes 3").unwrap();
    assert!(session
        .run("campaign 4")
        .unwrap_err()
        .contains("does not exist"));
    assert!(session
        .run("deliver-msgs by=1")
        .unwrap_err()
        .contains("unknown key"));
    assert!(session
        .run("status extra")
        .unwrap_err()
        .contains("not a node id"));
    assert!(session
        .run("fly 1")
        .unwrap_err()
        .contains("unknown command"));
    assert!(session
        .run("change 1 join=2")
        .unwrap_err()
        .contains("unknown key"));
    assert!(session
        .run("add-voter 1 9")
        .unwrap_err()
        .contains("does not exist"));
    assert!(session
        .run("add-nodes 3")
        .unwrap_err()
        .contains("exists already"));
    session.run("reset").unwrap();
    assert!(session
        .run("add-nodes 3 voters=4")
        .unwrap_err()
        .contains("voters=K"));
    session.run("add-nodes 3 voters=2").unwrap();
    assert_eq!(
        session.run("remove 1 2").unwrap(),
        "refused: not the leader\n"
    );
}
