//! Scenario files: the serde model of DESIGN §3, validation with precise
//! errors (JSON path and reason), and the translation of each variant into
//! a [`ClusterConfig`]. Knows nothing of files: callers hand it text.

use std::collections::BTreeSet;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cluster::{ClusterConfig, StorageConfig, WorkloadConfig, DEFAULT_MAX_EVENTS};
use crate::faults::{chaos_schedule, ChaosConfig, Fault, NodeRef, ScriptEvent};
use crate::metrics::Metrics;
use crate::network::{LinkOverride, NetworkConfig, NetworkPatch};
use crate::raft::{Bugs, DLedgerTiming, ElectionKind, NodeId, RaftConfig, MAX_NODES};
use crate::time::{Instant, US_PER_MS};

/// The longest virtual duration a scenario may ask for: 7 days.
pub const MAX_DURATION_MS: u64 = 7 * 24 * 3_600 * 1_000;
/// The most scripted events in one scenario.
pub const MAX_EVENTS_IN_SCRIPT: usize = 100_000;
/// The most variants in one scenario.
pub const MAX_VARIANTS: usize = 64;
/// The highest proposal rate.
pub const MAX_PROPOSALS_PER_SEC: f64 = 100_000.0;

/// A `[min, max]` range of milliseconds.
pub type RangeMs = [u64; 2];

/// A scenario file (DESIGN §3).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Short name, used in reports.
    pub name: String,
    /// What the scenario shows.
    #[serde(default)]
    pub description: String,
    /// Cluster size, 1..=64.
    pub nodes: u64,
    /// Virtual duration of the run.
    pub duration_ms: u64,
    /// Default seed (overridden by `--seed` or `RAFTSIM_SEED`).
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub raft: RaftSpec,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default)]
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub storage: StorageSpec,
    /// The fault script, one action per event.
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Variants of the configuration, each run with the same seed and script.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
    /// Expectations that make the scenario self-checking.
    #[serde(default)]
    pub expect: Vec<ExpectSpec>,
    /// Stop a run with an error past this many engine events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u64>,
    /// Random faults drawn from the seed, on top of `events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos: Option<ChaosSpec>,
}

/// Random faults drawn from the seed (the same schedule for every variant).
/// Rates are per minute of virtual time; each fault lasts `duration_ms`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChaosSpec {
    /// Faults start no earlier than this (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    /// Faults end no later than this (default: the end of the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    /// A random node loses every link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate_per_min: Option<f64>,
    /// A random minority is cut off from the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_per_min: Option<f64>,
    /// The link between two random nodes fails both ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_per_min: Option<f64>,
    /// A random node crashes, and restarts when the fault ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash_per_min: Option<f64>,
    /// The whole network loses `spike_loss` of its messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_spike_per_min: Option<f64>,
    /// How long each fault lasts (default [1000, 10000]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<RangeMs>,
    /// Loss probability range during a spike (default [0.2, 0.6]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike_loss: Option<[f64; 2]>,
}

/// The most random faults of one kind per minute (one per second).
pub const MAX_CHAOS_PER_MIN: f64 = 60.0;

fn default_seed() -> u64 {
    1
}

/// Raft settings; every field optional (defaults in DESIGN §4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaftSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election: Option<ElectionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_vote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_quorum: Option<bool>,
    /// Default: on when pre_vote or check_quorum is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_lease: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_timeout_ms: Option<RangeMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<u64>,
    /// Planted bugs: "grant_vote_without_log_check", "forget_vote_on_restart".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bugs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dledger: Option<DLedgerSpec>,
}

/// DLedger's timing (DLEDGER.md); every field optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DLedgerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_heartbeat_leak: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_interval_ms: Option<RangeMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote_wait_ms: Option<RangeMs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_timeout_ms: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency, drawn uniformly per message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<RangeMs>,
    /// Probability in [0, 1] that a message is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Probability in [0, 1] that a message is delivered twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Client proposals per second of virtual time, evenly spaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposals_per_sec: Option<f64>,
    /// Resend a proposal not committed within this time (default: the
    /// maximum election timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_ms: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageSpec {
    /// Time to make a write of term, vote or log durable, drawn per write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persist_latency_ms: Option<RangeMs>,
}

/// A node reference: a number, "leader", "follower:K" or "crashed".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NodeRefSpec {
    Id(u64),
    Name(String),
}

/// `set_link`: loss and/or latency of the links between two nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLinkSpec {
    pub between: [NodeRefSpec; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<RangeMs>,
}

/// One scripted event: `at_ms` and exactly one action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate: Option<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Vec<Vec<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut: Option<Vec<[NodeRefSpec; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_oneway: Option<Vec<[NodeRefSpec; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<Vec<[NodeRefSpec; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heal: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<NodeRefSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_network: Option<NetworkSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_link: Option<SetLinkSpec>,
    /// Back to the variant's configured network (ends a `set_network`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_network: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raft: Option<RaftSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
}

/// `min` and/or `max` bounds on one metric of one variant (or of every
/// variant when `variant` is absent).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// A metric key; `failover_ms.p99` reaches into a distribution.
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// One thing wrong with a scenario: where (a JSON path) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// `events[3].isolate`; empty for the document itself.
    pub path: String,
    pub message: String,
    /// For malformed JSON: 1-based line and column.
    pub line_column: Option<(usize, usize)>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line_column, self.path.is_empty()) {
            (Some((line, column)), true) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some((line, column)), false) => {
                write!(
                    f,
                    "{} (line {line}, column {column}): {}",
                    self.path, self.message
                )
            }
            (None, true) => write!(f, "{}", self.message),
            (None, false) => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Every problem found in a scenario (at least one).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub file: ScenarioFile,
    variants: Vec<Variant>,
    script: Vec<ScriptEvent>,
}

/// One variant, resolved against the file's base settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub label: String,
    pub raft: RaftConfig,
    pub network: NetworkConfig,
    pub workload: WorkloadConfig,
    pub storage: StorageConfig,
    /// The resolved settings in the file's own units, for results.
    pub config_json: serde_json::Value,
}

/// Parses and validates scenario text.
pub fn parse(text: &str) -> Result<Scenario, ScenarioErrors> {
    let mut de = serde_json::Deserializer::from_str(text);
    let file: ScenarioFile = match serde_path_to_error::deserialize(&mut de) {
        Ok(file) => file,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let path = if path == "." { String::new() } else { path };
            let message = inner.to_string();
            // serde_json appends " at line L column C"; we report it apart.
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            };
            return Err(ScenarioErrors(vec![ScenarioError {
                path,
                message,
                line_column: Some((inner.line(), inner.column())),
            }]));
        }
    };
    if let Err(e) = de.end() {
        return Err(ScenarioErrors(vec![ScenarioError {
            path: String::new(),
            message: "unexpected text after the scenario object".into(),
            line_column: Some((e.line(), e.column())),
        }]));
    }
    Scenario::from_file(file)
}

/// The JSON Schema of scenario files.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ScenarioFile)).expect("schema serialises")
}

/// Collects validation errors with their paths.
struct Check {
    errors: Vec<ScenarioError>,
}

impl Check {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ScenarioError {
            path: path.into(),
            message: message.into(),
            line_column: None,
        });
    }

    fn range(&mut self, path: &str, range: Option<RangeMs>, min_allowed: u64) {
        if let Some([min, max]) = range {
            if min > max {
                self.fail(
                    path,
                    format!("empty range [{min}, {max}]: min must be <= max"),
                );
            } else if min < min_allowed {
                self.fail(
                    path,
                    format!("{min} is too small: must be at least {min_allowed}"),
                );
            } else if max > MAX_DURATION_MS {
                self.fail(
                    path,
                    format!("{max} ms is more than the limit of {MAX_DURATION_MS} ms"),
                );
            }
        }
    }

    fn probability(&mut self, path: &str, p: Option<f64>) {
        if let Some(p) = p {
            if !(0.0..=1.0).contains(&p) {
                self.fail(path, format!("{p} is not a probability: must be in [0, 1]"));
            }
        }
    }

    fn positive(&mut self, path: &str, value: Option<u64>) {
        if value == Some(0) {
            self.fail(path, "must be at least 1");
        }
    }

    fn raft(&mut self, path: &str, spec: &RaftSpec) {
        self.range(
            &format!("{path}.election_timeout_ms"),
            spec.election_timeout_ms,
            1,
        );
        self.positive(&format!("{path}.heartbeat_ms"), spec.heartbeat_ms);
        for (i, bug) in spec.bugs.iter().flatten().enumerate() {
            if !Bugs::default().plant(bug) {
                self.fail(
                    format!("{path}.bugs[{i}]"),
                    format!(
                        "unknown bug {bug:?}: known bugs are {}",
                        Bugs::NAMES.join(", ")
                    ),
                );
            }
        }
        if let Some(dl) = &spec.dledger {
            let path = format!("{path}.dledger");
            self.positive(&format!("{path}.heartbeat_ms"), dl.heartbeat_ms);
            self.positive(&format!("{path}.max_heartbeat_leak"), dl.max_heartbeat_leak);
            self.positive(&format!("{path}.rpc_timeout_ms"), dl.rpc_timeout_ms);
            self.range(&format!("{path}.vote_interval_ms"), dl.vote_interval_ms, 0);
            self.range(&format!("{path}.vote_wait_ms"), dl.vote_wait_ms, 1);
        }
    }

    fn network(&mut self, path: &str, spec: &NetworkSpec) {
        self.range(&format!("{path}.latency_ms"), spec.latency_ms, 0);
        self.probability(&format!("{path}.loss"), spec.loss);
        self.probability(&format!("{path}.duplicate"), spec.duplicate);
    }

    fn workload(&mut self, path: &str, spec: &WorkloadSpec) {
        if let Some(rate) = spec.proposals_per_sec {
            if !(0.0..=MAX_PROPOSALS_PER_SEC).contains(&rate) {
                self.fail(
                    format!("{path}.proposals_per_sec"),
                    format!("{rate} is out of range: must be in [0, {MAX_PROPOSALS_PER_SEC}]"),
                );
            }
        }
        self.positive(&format!("{path}.retry_ms"), spec.retry_ms);
    }

    fn chaos(&mut self, spec: &ChaosSpec, duration_ms: u64) {
        let rates = [
            ("isolate_per_min", spec.isolate_per_min),
            ("partition_per_min", spec.partition_per_min),
            ("cut_per_min", spec.cut_per_min),
            ("crash_per_min", spec.crash_per_min),
            ("loss_spike_per_min", spec.loss_spike_per_min),
        ];
        for (name, rate) in rates {
            if let Some(rate) = rate {
                if !(0.0..=MAX_CHAOS_PER_MIN).contains(&rate) {
                    self.fail(
                        format!("chaos.{name}"),
                        format!("{rate} is out of range: must be in [0, {MAX_CHAOS_PER_MIN}] per minute"),
                    );
                }
            }
        }
        self.range("chaos.duration_ms", spec.duration_ms, 1);
        if let Some([min, max]) = spec.spike_loss {
            self.probability("chaos.spike_loss[0]", Some(min));
            self.probability("chaos.spike_loss[1]", Some(max));
            if min > max {
                self.fail(
                    "chaos.spike_loss",
                    format!("empty range [{min}, {max}]: min must be <= max"),
                );
            }
        }
        let start = spec.start_ms.unwrap_or(0);
        let end = spec.end_ms.unwrap_or(duration_ms);
        if end > duration_ms {
            self.fail(
                "chaos.end_ms",
                format!("{end} ms is past the end of the run (duration_ms is {duration_ms})"),
            );
        } else if start >= end {
            self.fail(
                "chaos.start_ms",
                format!("{start} ms is not before the end of the chaos window ({end} ms)"),
            );
        }
    }

    fn storage(&mut self, path: &str, spec: &StorageSpec) {
        self.range(
            &format!("{path}.persist_latency_ms"),
            spec.persist_latency_ms,
            0,
        );
    }

    fn node_ref(&mut self, path: &str, spec: &NodeRefSpec, nodes: u64) -> Option<NodeRef> {
        let node_range = format!("the cluster has nodes 1..={nodes}");
        match spec {
            NodeRefSpec::Id(id) if (1..=nodes).contains(id) => {
                Some(NodeRef::Id(NodeId(*id as u32)))
            }
            NodeRefSpec::Id(id) => {
                self.fail(path, format!("node {id} does not exist ({node_range})"));
                None
            }
            NodeRefSpec::Name(name) => {
                if name == "leader" {
                    return Some(NodeRef::Leader);
                }
                if name == "crashed" {
                    return Some(NodeRef::Crashed);
                }
                if let Some(k) = name.strip_prefix("follower:") {
                    match k.parse::<u64>() {
                        Ok(k) if k >= 1 && k < nodes => return Some(NodeRef::Follower(k as usize)),
                        Ok(k) => {
                            self.fail(
                                path,
                                format!(
                                    "follower:{k} cannot exist: a {nodes}-node cluster has followers 1..={}",
                                    nodes.saturating_sub(1)
                                ),
                            );
                            return None;
                        }
                        Err(_) => {}
                    }
                }
                self.fail(
                    path,
                    format!(
                        "{name:?} is not a node reference: use a node number ({node_range}), \"leader\", \"follower:K\" or \"crashed\""
                    ),
                );
                None
            }
        }
    }

    fn pairs(
        &mut self,
        path: &str,
        pairs: &[[NodeRefSpec; 2]],
        nodes: u64,
    ) -> Option<Vec<(NodeRef, NodeRef)>> {
        if pairs.is_empty() {
            self.fail(path, "names no links: give at least one [a, b] pair");
            return None;
        }
        let mut out = Vec::new();
        for (i, [a, b]) in pairs.iter().enumerate() {
            let ra = self.node_ref(&format!("{path}[{i}][0]"), a, nodes);
            let rb = self.node_ref(&format!("{path}[{i}][1]"), b, nodes);
            if let (Some(NodeRef::Id(x)), Some(NodeRef::Id(y))) = (ra, rb) {
                if x == y {
                    self.fail(
                        format!("{path}[{i}]"),
                        format!("a link joins two different nodes, not {x} and {y}"),
                    );
                }
            }
            out.push((ra?, rb?));
        }
        Some(out)
    }

    fn event(&mut self, i: usize, event: &EventSpec, file: &ScenarioFile) -> Option<ScriptEvent> {
        let path = format!("events[{i}]");
        let nodes = file.nodes;
        if event.at_ms > file.duration_ms {
            self.fail(
                format!("{path}.at_ms"),
                format!(
                    "{} ms is past the end of the run (duration_ms is {})",
                    event.at_ms, file.duration_ms
                ),
            );
        }
        let mut actions = Vec::new();
        if let Some(r) = &event.isolate {
            actions.push(
                self.node_ref(&format!("{path}.isolate"), r, nodes)
                    .map(Fault::Isolate),
            );
        }
        if let Some(groups) = &event.partition {
            actions.push(self.partition(&format!("{path}.partition"), groups, nodes));
        }
        if let Some(pairs) = &event.cut {
            actions.push(
                self.pairs(&format!("{path}.cut"), pairs, nodes)
                    .map(Fault::Cut),
            );
        }
        if let Some(pairs) = &event.cut_oneway {
            actions.push(
                self.pairs(&format!("{path}.cut_oneway"), pairs, nodes)
                    .map(Fault::CutOneway),
            );
        }
        if let Some(pairs) = &event.restore {
            actions.push(
                self.pairs(&format!("{path}.restore"), pairs, nodes)
                    .map(Fault::Restore),
            );
        }
        if let Some(heal) = event.heal {
            if heal {
                actions.push(Some(Fault::Heal));
            } else {
                self.fail(
                    format!("{path}.heal"),
                    "must be true (or leave the field out)",
                );
                actions.push(None);
            }
        }
        if let Some(r) = &event.crash {
            actions.push(
                self.node_ref(&format!("{path}.crash"), r, nodes)
                    .map(Fault::Crash),
            );
        }
        if let Some(r) = &event.restart {
            actions.push(
                self.node_ref(&format!("{path}.restart"), r, nodes)
                    .map(Fault::Restart),
            );
        }
        if let Some(net) = &event.set_network {
            let p = format!("{path}.set_network");
            let before = self.errors.len();
            self.network(&p, net);
            if net.latency_ms.is_none() && net.loss.is_none() && net.duplicate.is_none() {
                self.fail(
                    &p,
                    "changes nothing: give latency_ms, loss and/or duplicate",
                );
            }
            actions
                .push((self.errors.len() == before).then(|| Fault::SetNetwork(network_patch(net))));
        }
        if let Some(reset) = event.reset_network {
            if reset {
                actions.push(Some(Fault::ResetNetwork));
            } else {
                self.fail(
                    format!("{path}.reset_network"),
                    "must be true (or leave the field out)",
                );
                actions.push(None);
            }
        }
        if let Some(link) = &event.set_link {
            let p = format!("{path}.set_link");
            let before = self.errors.len();
            self.probability(&format!("{p}.loss"), link.loss);
            self.range(&format!("{p}.latency_ms"), link.latency_ms, 0);
            if link.loss.is_none() && link.latency_ms.is_none() {
                self.fail(&p, "changes nothing: give loss and/or latency_ms");
            }
            let pair = self.pairs(
                &format!("{p}.between"),
                std::slice::from_ref(&link.between),
                nodes,
            );
            let ok = self.errors.len() == before;
            actions.push(pair.filter(|_| ok).map(|pair| Fault::SetLink {
                between: pair[0],
                link: LinkOverride {
                    loss: link.loss,
                    latency_us: link.latency_ms.map(range_us),
                },
            }));
        }
        match actions.len() {
            0 => {
                self.fail(
                    path,
                    "has no action: give one of isolate, partition, cut, cut_oneway, restore, heal, crash, restart, set_network, reset_network, set_link",
                );
                None
            }
            1 => actions
                .pop()
                .flatten()
                .map(|fault| ScriptEvent::scripted(Instant::from_ms(event.at_ms), fault)),
            n => {
                self.fail(
                    path,
                    format!("has {n} actions: an event does exactly one thing"),
                );
                None
            }
        }
    }

    fn partition(&mut self, path: &str, groups: &[Vec<u64>], nodes: u64) -> Option<Fault> {
        let before = self.errors.len();
        let mut seen = BTreeSet::new();
        for (g, group) in groups.iter().enumerate() {
            for (k, &node) in group.iter().enumerate() {
                if !(1..=nodes).contains(&node) {
                    self.fail(
                        format!("{path}[{g}][{k}]"),
                        format!("node {node} does not exist (the cluster has nodes 1..={nodes})"),
                    );
                } else if !seen.insert(node) {
                    self.fail(
                        format!("{path}[{g}][{k}]"),
                        format!("node {node} is listed twice: list every node once"),
                    );
                }
            }
        }
        let missing: Vec<String> = (1..=nodes)
            .filter(|n| !seen.contains(n))
            .map(|n| n.to_string())
            .collect();
        if !missing.is_empty() {
            self.fail(
                path,
                format!(
                    "nodes {} are in no group: list every node once",
                    missing.join(", ")
                ),
            );
        }
        (self.errors.len() == before).then(|| {
            Fault::Partition(
                groups
                    .iter()
                    .map(|g| g.iter().map(|&n| NodeId(n as u32)).collect())
                    .collect(),
            )
        })
    }
}

fn range_us([min, max]: RangeMs) -> (u64, u64) {
    (min * US_PER_MS, max * US_PER_MS)
}

fn network_patch(spec: &NetworkSpec) -> NetworkPatch {
    NetworkPatch {
        latency_us: spec.latency_ms.map(range_us),
        loss: spec.loss,
        duplicate: spec.duplicate,
    }
}

fn merge_raft(base: &RaftSpec, over: Option<&RaftSpec>) -> RaftSpec {
    let Some(over) = over else {
        return base.clone();
    };
    let dledger = match (&base.dledger, &over.dledger) {
        (Some(b), Some(o)) => Some(DLedgerSpec {
            heartbeat_ms: o.heartbeat_ms.or(b.heartbeat_ms),
            max_heartbeat_leak: o.max_heartbeat_leak.or(b.max_heartbeat_leak),
            vote_interval_ms: o.vote_interval_ms.or(b.vote_interval_ms),
            vote_wait_ms: o.vote_wait_ms.or(b.vote_wait_ms),
            rpc_timeout_ms: o.rpc_timeout_ms.or(b.rpc_timeout_ms),
        }),
        (b, o) => o.clone().or_else(|| b.clone()),
    };
    RaftSpec {
        election: over.election.or(base.election),
        pre_vote: over.pre_vote.or(base.pre_vote),
        check_quorum: over.check_quorum.or(base.check_quorum),
        leader_lease: over.leader_lease.or(base.leader_lease),
        election_timeout_ms: over.election_timeout_ms.or(base.election_timeout_ms),
        heartbeat_ms: over.heartbeat_ms.or(base.heartbeat_ms),
        bugs: over.bugs.clone().or_else(|| base.bugs.clone()),
        dledger,
    }
}

fn merge_network(base: &NetworkSpec, over: Option<&NetworkSpec>) -> NetworkSpec {
    let Some(over) = over else {
        return base.clone();
    };
    NetworkSpec {
        latency_ms: over.latency_ms.or(base.latency_ms),
        loss: over.loss.or(base.loss),
        duplicate: over.duplicate.or(base.duplicate),
    }
}

fn merge_workload(base: &WorkloadSpec, over: Option<&WorkloadSpec>) -> WorkloadSpec {
    let Some(over) = over else {
        return base.clone();
    };
    WorkloadSpec {
        proposals_per_sec: over.proposals_per_sec.or(base.proposals_per_sec),
        retry_ms: over.retry_ms.or(base.retry_ms),
    }
}

fn merge_storage(base: &StorageSpec, over: Option<&StorageSpec>) -> StorageSpec {
    StorageSpec {
        persist_latency_ms: over
            .and_then(|o| o.persist_latency_ms)
            .or(base.persist_latency_ms),
    }
}

/// Fills every default into a merged variant and builds its configs.
fn resolve_variant(
    label: &str,
    raft: RaftSpec,
    network: NetworkSpec,
    workload: WorkloadSpec,
    storage: StorageSpec,
) -> Variant {
    let defaults = RaftConfig::default();
    let dl_defaults = DLedgerTiming::default();
    let ms = |us: u64| us / US_PER_MS;
    let pre_vote = raft.pre_vote.unwrap_or(false);
    let check_quorum = raft.check_quorum.unwrap_or(false);
    let timeout = raft.election_timeout_ms.unwrap_or([
        ms(defaults.election_timeout_us.0),
        ms(defaults.election_timeout_us.1),
    ]);
    let dl = raft.dledger.clone().unwrap_or_default();
    let dledger = DLedgerSpec {
        heartbeat_ms: Some(dl.heartbeat_ms.unwrap_or(ms(dl_defaults.heartbeat_us))),
        max_heartbeat_leak: Some(
            dl.max_heartbeat_leak
                .unwrap_or(dl_defaults.max_heartbeat_leak),
        ),
        vote_interval_ms: Some(dl.vote_interval_ms.unwrap_or([
            ms(dl_defaults.vote_interval_us.0),
            ms(dl_defaults.vote_interval_us.1),
        ])),
        vote_wait_ms: Some(dl.vote_wait_ms.unwrap_or([
            ms(dl_defaults.vote_wait_us.0),
            ms(dl_defaults.vote_wait_us.1),
        ])),
        rpc_timeout_ms: Some(dl.rpc_timeout_ms.unwrap_or(ms(dl_defaults.rpc_timeout_us))),
    };
    let raft = RaftSpec {
        election: Some(raft.election.unwrap_or(ElectionKind::Classic)),
        pre_vote: Some(pre_vote),
        check_quorum: Some(check_quorum),
        leader_lease: Some(raft.leader_lease.unwrap_or(pre_vote || check_quorum)),
        election_timeout_ms: Some(timeout),
        heartbeat_ms: Some(raft.heartbeat_ms.unwrap_or(ms(defaults.heartbeat_us))),
        bugs: Some(raft.bugs.unwrap_or_default()),
        dledger: Some(dledger),
    };
    let net_defaults = NetworkConfig::default();
    let network = NetworkSpec {
        latency_ms: Some(
            network
                .latency_ms
                .unwrap_or([ms(net_defaults.latency_us.0), ms(net_defaults.latency_us.1)]),
        ),
        loss: Some(network.loss.unwrap_or(net_defaults.loss)),
        duplicate: Some(network.duplicate.unwrap_or(net_defaults.duplicate)),
    };
    let workload = WorkloadSpec {
        proposals_per_sec: Some(workload.proposals_per_sec.unwrap_or(0.0)),
        retry_ms: Some(workload.retry_ms.unwrap_or(timeout[1])),
    };
    let storage = StorageSpec {
        persist_latency_ms: Some(storage.persist_latency_ms.unwrap_or([0, 0])),
    };
    let config_json = serde_json::json!({
        "raft": raft, "network": network, "workload": workload, "storage": storage,
    });
    let dl = raft.dledger.as_ref().expect("filled above");
    let mut bugs = Bugs::default();
    for bug in raft.bugs.iter().flatten() {
        bugs.plant(bug);
    }
    Variant {
        label: label.to_string(),
        raft: RaftConfig {
            election: raft.election.expect("filled"),
            pre_vote,
            check_quorum,
            leader_lease: raft.leader_lease.expect("filled"),
            election_timeout_us: range_us(timeout),
            heartbeat_us: raft.heartbeat_ms.expect("filled") * US_PER_MS,
            dledger: DLedgerTiming {
                heartbeat_us: dl.heartbeat_ms.expect("filled") * US_PER_MS,
                max_heartbeat_leak: dl.max_heartbeat_leak.expect("filled"),
                vote_interval_us: range_us(dl.vote_interval_ms.expect("filled")),
                vote_wait_us: range_us(dl.vote_wait_ms.expect("filled")),
                rpc_timeout_us: dl.rpc_timeout_ms.expect("filled") * US_PER_MS,
            },
            bugs,
        },
        network: NetworkConfig {
            latency_us: range_us(network.latency_ms.expect("filled")),
            loss: network.loss.expect("filled"),
            duplicate: network.duplicate.expect("filled"),
        },
        workload: WorkloadConfig {
            proposals_per_sec: workload.proposals_per_sec.expect("filled"),
            retry_us: workload.retry_ms.expect("filled") * US_PER_MS,
        },
        storage: StorageConfig {
            persist_latency_us: range_us(storage.persist_latency_ms.expect("filled")),
        },
        config_json,
    }
}

impl Scenario {
    /// Validates a parsed file, reporting every problem with its path.
    pub fn from_file(file: ScenarioFile) -> Result<Scenario, ScenarioErrors> {
        let mut check = Check { errors: Vec::new() };
        if file.name.trim().is_empty() {
            check.fail("name", "must not be empty");
        }
        if !(1..=MAX_NODES as u64).contains(&file.nodes) {
            check.fail(
                "nodes",
                format!(
                    "{} nodes is out of range: must be 1..={MAX_NODES}",
                    file.nodes
                ),
            );
        }
        if !(1..=MAX_DURATION_MS).contains(&file.duration_ms) {
            check.fail(
                "duration_ms",
                format!(
                    "{} is out of range: must be 1..={MAX_DURATION_MS} (7 days)",
                    file.duration_ms
                ),
            );
        }
        if file.max_events == Some(0) {
            check.fail("max_events", "must be at least 1");
        }
        check.raft("raft", &file.raft);
        check.network("network", &file.network);
        check.workload("workload", &file.workload);
        check.storage("storage", &file.storage);
        if let Some(chaos) = &file.chaos {
            check.chaos(chaos, file.duration_ms);
        }
        if file.events.len() > MAX_EVENTS_IN_SCRIPT {
            check.fail(
                "events",
                format!(
                    "{} events is more than the limit of {MAX_EVENTS_IN_SCRIPT}",
                    file.events.len()
                ),
            );
        }
        let nodes_ok = (1..=MAX_NODES as u64).contains(&file.nodes);
        let script: Vec<ScriptEvent> = if nodes_ok {
            file.events
                .iter()
                .enumerate()
                .filter_map(|(i, e)| check.event(i, e, &file))
                .collect()
        } else {
            Vec::new()
        };
        if file.variants.len() > MAX_VARIANTS {
            check.fail(
                "variants",
                format!(
                    "{} variants is more than the limit of {MAX_VARIANTS}",
                    file.variants.len()
                ),
            );
        }
        let mut labels = BTreeSet::new();
        for (i, v) in file.variants.iter().enumerate() {
            let path = format!("variants[{i}]");
            if v.label.trim().is_empty() {
                check.fail(format!("{path}.label"), "must not be empty");
            } else if !labels.insert(v.label.as_str()) {
                check.fail(
                    format!("{path}.label"),
                    format!("{:?} is used twice: labels must be unique", v.label),
                );
            }
            if let Some(r) = &v.raft {
                check.raft(&format!("{path}.raft"), r);
            }
            if let Some(n) = &v.network {
                check.network(&format!("{path}.network"), n);
            }
            if let Some(w) = &v.workload {
                check.workload(&format!("{path}.workload"), w);
            }
            if let Some(s) = &v.storage {
                check.storage(&format!("{path}.storage"), s);
            }
        }
        let known_labels: Vec<&str> = if file.variants.is_empty() {
            vec!["default"]
        } else {
            file.variants.iter().map(|v| v.label.as_str()).collect()
        };
        let metric_keys = Metrics::keys();
        for (i, e) in file.expect.iter().enumerate() {
            let path = format!("expect[{i}]");
            if let Some(variant) = &e.variant {
                if !known_labels.contains(&variant.as_str()) {
                    check.fail(
                        format!("{path}.variant"),
                        format!(
                            "no variant is labelled {variant:?}: the variants are {}",
                            known_labels.join(", ")
                        ),
                    );
                }
            }
            if !metric_keys.contains(&e.metric) {
                check.fail(
                    format!("{path}.metric"),
                    format!(
                        "unknown metric {:?}: known metrics are {}",
                        e.metric,
                        metric_keys.join(", ")
                    ),
                );
            }
            match (e.min, e.max) {
                (None, None) => check.fail(path, "gives neither min nor max"),
                (Some(min), Some(max)) if min > max => {
                    check.fail(path, format!("min {min} is greater than max {max}"))
                }
                _ => {}
            }
        }
        if !check.errors.is_empty() {
            return Err(ScenarioErrors(check.errors));
        }
        let variants = if file.variants.is_empty() {
            vec![resolve_variant(
                "default",
                file.raft.clone(),
                file.network.clone(),
                file.workload.clone(),
                file.storage.clone(),
            )]
        } else {
            file.variants
                .iter()
                .map(|v| {
                    resolve_variant(
                        &v.label,
                        merge_raft(&file.raft, v.raft.as_ref()),
                        merge_network(&file.network, v.network.as_ref()),
                        merge_workload(&file.workload, v.workload.as_ref()),
                        merge_storage(&file.storage, v.storage.as_ref()),
                    )
                })
                .collect()
        };
        Ok(Scenario {
            file,
            variants,
            script,
        })
    }

    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// A hash of the scenario's canonical JSON: two sweeps with the same
    /// fingerprint ran the same scenario.
    pub fn fingerprint(&self) -> String {
        let text = serde_json::to_string(&self.file).expect("scenario serialises");
        format!("{:016x}", crate::rng::fnv1a(text.as_bytes()))
    }

    pub fn variants(&self) -> &[Variant] {
        &self.variants
    }

    pub fn variant(&self, label: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.label == label)
    }

    /// The random faults the `chaos` section draws for `seed` (none
    /// without one), already resolved into script events.
    pub fn chaos_events(&self, seed: u64) -> Vec<ScriptEvent> {
        let Some(spec) = &self.file.chaos else {
            return Vec::new();
        };
        let [min, max] = spec.duration_ms.unwrap_or([1_000, 10_000]);
        let [loss_min, loss_max] = spec.spike_loss.unwrap_or([0.2, 0.6]);
        let config = ChaosConfig {
            start: Instant::from_ms(spec.start_ms.unwrap_or(0)),
            end: Instant::from_ms(spec.end_ms.unwrap_or(self.file.duration_ms)),
            isolate_per_min: spec.isolate_per_min.unwrap_or(0.0),
            partition_per_min: spec.partition_per_min.unwrap_or(0.0),
            cut_per_min: spec.cut_per_min.unwrap_or(0.0),
            crash_per_min: spec.crash_per_min.unwrap_or(0.0),
            loss_spike_per_min: spec.loss_spike_per_min.unwrap_or(0.0),
            duration_us: range_us([min, max]),
            spike_loss: (loss_min, loss_max),
        };
        chaos_schedule(&config, self.file.nodes as usize, seed)
    }

    /// The scripted events (in file order, so a fault record's `index` is
    /// its position in `events`) followed by the chaos events of `seed`.
    /// The queue orders them by time; at one instant, scripted ones first.
    pub fn script(&self, seed: u64) -> Vec<ScriptEvent> {
        let mut script = self.script.clone();
        script.extend(self.chaos_events(seed));
        script
    }

    /// The engine configuration of one variant with one seed.
    pub fn cluster_config(&self, variant: &Variant, seed: u64) -> ClusterConfig {
        ClusterConfig {
            nodes: self.file.nodes as usize,
            seed,
            duration_us: self.file.duration_ms * US_PER_MS,
            raft: variant.raft.clone(),
            network: variant.network,
            workload: variant.workload,
            storage: variant.storage,
            script: self.script(seed),
            max_events: self.file.max_events.unwrap_or(DEFAULT_MAX_EVENTS),
        }
    }
}

fn ref_spec(node: NodeRef) -> NodeRefSpec {
    match node {
        NodeRef::Id(id) => NodeRefSpec::Id(u64::from(id.0)),
        NodeRef::Leader => NodeRefSpec::Name("leader".into()),
        NodeRef::Follower(k) => NodeRefSpec::Name(format!("follower:{k}")),
        NodeRef::Crashed => NodeRefSpec::Name("crashed".into()),
    }
}

fn pair_specs(pairs: &[(NodeRef, NodeRef)]) -> Vec<[NodeRefSpec; 2]> {
    pairs
        .iter()
        .map(|&(a, b)| [ref_spec(a), ref_spec(b)])
        .collect()
}

fn range_ms((min, max): (u64, u64)) -> RangeMs {
    [min / US_PER_MS, max / US_PER_MS]
}

/// Writes a script event back in the file's own terms, so drawn chaos can
/// be written out as plain `events` (by `raftsim shrink`).
pub fn event_spec(event: &ScriptEvent) -> EventSpec {
    let mut spec = EventSpec {
        at_ms: event.at.as_us() / US_PER_MS,
        ..EventSpec::default()
    };
    match &event.fault {
        Fault::Isolate(node) => spec.isolate = Some(ref_spec(*node)),
        Fault::Partition(groups) => {
            spec.partition = Some(
                groups
                    .iter()
                    .map(|g| g.iter().map(|n| u64::from(n.0)).collect())
                    .collect(),
            )
        }
        Fault::Cut(pairs) => spec.cut = Some(pair_specs(pairs)),
        Fault::CutOneway(pairs) => spec.cut_oneway = Some(pair_specs(pairs)),
        Fault::Restore(pairs) => spec.restore = Some(pair_specs(pairs)),
        Fault::Heal => spec.heal = Some(true),
        Fault::Crash(node) => spec.crash = Some(ref_spec(*node)),
        Fault::Restart(node) => spec.restart = Some(ref_spec(*node)),
        Fault::SetNetwork(patch) => {
            spec.set_network = Some(NetworkSpec {
                latency_ms: patch.latency_us.map(range_ms),
                loss: patch.loss,
                duplicate: patch.duplicate,
            })
        }
        Fault::ResetNetwork => spec.reset_network = Some(true),
        Fault::SetLink { between, link } => {
            spec.set_link = Some(SetLinkSpec {
                between: [ref_spec(between.0), ref_spec(between.1)],
                loss: link.loss,
                latency_ms: link.latency_us.map(range_ms),
            })
        }
    }
    spec
}
