//! Scenario files, the format `docs/SCENARIOS.md` documents: parsing text
//! into the serde model, validating it with precise errors (a JSON path and
//! a reason, every problem at once), and turning each variant into a
//! [`ClusterConfig`]. This is the public API; the work is split by job:
//!
//! - `model`: the serde model of the file (what `raftsim schema` prints);
//! - `validate`: the checks, section by section, producing `path: reason`;
//! - `events`: scripted events, checked into [`ScriptEvent`]s and written back;
//! - `timing`: when they fire: ranged `at_ms`, `repeat`, drawn per seed;
//! - `ms`: milliseconds with microsecond resolution, as files write them;
//! - `chaos`: the `chaos` section's checks and its engine configuration;
//! - `resolve`: variants merged over the base, defaults filled, units converted.
//!
//! Knows nothing of files: callers hand it text. It never simulates.

mod chaos;
mod events;
mod expect;
mod membership;
mod model;
mod ms;
mod resolve;
mod timing;
mod validate;
mod warnings;
mod write_back;

use std::fmt;

use crate::chaos::{chaos_schedule, ChaosPlan};
use crate::cluster::{
    ClockConfig, ClusterConfig, StorageConfig, WorkloadConfig, DEFAULT_MAX_EVENTS,
    DEFAULT_MAX_EVENTS_PER_SEC, DEFAULT_MAX_MEMORY_MB, MAX_QUEUED_EVENTS,
};
use crate::faults::ScriptEvent;
use crate::network::NetworkConfig;
use crate::node::{NodeId, NodeSet, RaftConfig};
use crate::time::US_PER_MS;

pub use model::{
    AtMs, ChangeSpec, ChaosSpec, ClockSpec, DLedgerSpec, EventSpec, ExpectSpec, LatencyBucketSpec,
    Ms, NetworkSpec, NodeRefSpec, PublishedPointSpec, PublishedQuantiles, PublishedSpec, RaftSpec,
    RangeMs, RepeatSpec, ScenarioFile, SetClockSpec, SetLinkSpec, SnapshotSpec, StallDiskSpec,
    StorageSpec, VariantSpec, WorkloadSpec,
};
pub use timing::{MAX_FIRINGS, MAX_REPEAT_TIMES};
pub use validate::{MAX_EVENT_LIMIT, MAX_HEARTBEAT_LEAK, MAX_TICK_MS, MAX_TIMER_JITTER_MS};
pub use write_back::event_spec;

/// The longest virtual duration a scenario may ask for: 7 days.
pub const MAX_DURATION_MS: u64 = 7 * 24 * 3_600 * 1_000;
/// The most scripted events in one scenario.
pub const MAX_EVENTS_IN_SCRIPT: usize = 100_000;
/// The most variants in one scenario.
pub const MAX_VARIANTS: usize = 64;
/// The highest proposal rate.
pub const MAX_PROPOSALS_PER_SEC: f64 = 100_000.0;

/// The most random faults of one kind per minute (one per second).
pub const MAX_CHAOS_PER_MIN: f64 = crate::chaos::MAX_PER_MIN;

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
    script: Vec<timing::TimedEvent>,
    /// Each variant's own script, by position (`None`: the file's).
    variant_scripts: Vec<Option<Vec<timing::TimedEvent>>>,
}

/// One variant, resolved against the file's base settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub label: String,
    pub raft: RaftConfig,
    pub network: NetworkConfig,
    pub workload: WorkloadConfig,
    pub storage: StorageConfig,
    pub clock: ClockConfig,
    /// The resolved settings in the file's own units, for results.
    pub config_json: serde_json::Value,
}

/// Parses and validates scenario text.
pub fn parse(text: &str) -> Result<Scenario, ScenarioErrors> {
    if let Some(found) = not_an_object(text) {
        return Err(ScenarioErrors(vec![ScenarioError {
            path: String::new(),
            message: format!("a scenario file is a JSON object ({{...}}), found {found}"),
            line_column: None,
        }]));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let file: ScenarioFile = match serde_path_to_error::deserialize(&mut de) {
        Ok(file) => file,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let ends_early = inner.classify() == serde_json::error::Category::Eof;
            // "?" is serde_path_to_error's "somewhere unknown": no path.
            let path = if path == "." || path == "?" || ends_early {
                String::new()
            } else {
                path
            };
            let message = if ends_early {
                "the file ends early, before the scenario is complete (truncated, or a \
                 missing `}` or `]`?)"
                    .to_string()
            } else {
                let message = inner.to_string();
                // serde_json appends " at line L column C"; we report it apart.
                match message.rfind(" at line ") {
                    Some(cut) => message[..cut].to_string(),
                    None => message,
                }
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

/// What a valid JSON document that is not an object is ("an array"), so
/// that `[]` is not answered with serde's "invalid length 0, expected
/// struct ScenarioFile".
fn not_an_object(text: &str) -> Option<&'static str> {
    let found = match serde_json::from_str::<serde_json::Value>(text).ok()? {
        serde_json::Value::Object(_) => return None,
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    };
    Some(found)
}

/// The JSON Schema of scenario files.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ScenarioFile)).expect("schema serialises")
}

impl Scenario {
    /// Validates a parsed file, reporting every problem with its path.
    pub fn from_file(file: ScenarioFile) -> Result<Scenario, ScenarioErrors> {
        let (script, variant_scripts) = validate::check(&file)?;
        let variants = resolve::variants(&file);
        Ok(Scenario {
            file,
            variants,
            script,
            variant_scripts,
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
        let config = chaos::config(spec, self.file.duration_ms);
        chaos_schedule(&config, self.file.nodes as usize, self.members(), seed)
    }

    /// About how many events the `chaos` section draws per seed (0
    /// without one): what validation holds to `MAX_CHAOS_EVENTS`.
    pub fn chaos_expected_events(&self) -> u64 {
        self.file.chaos.as_ref().map_or(0, |spec| {
            chaos::config(spec, self.file.duration_ms).expected_events(self.file.nodes as usize)
        })
    }

    /// The scripted events of `seed` (in file order, each repetition in
    /// order, ranged instants drawn; a fault record's `index` is its
    /// event's position in `events`) followed by the chaos events of
    /// `seed` (numbered after the file's events). The queue orders them by
    /// time; at one instant, scripted ones first.
    pub fn script(&self, seed: u64) -> Vec<ScriptEvent> {
        self.script_of(&self.script, seed)
    }

    /// The script `variant` runs with `seed`: its own events if it has
    /// them, else the file's; the chaos drawn the same for every variant.
    pub fn variant_script(&self, variant: &Variant, seed: u64) -> Vec<ScriptEvent> {
        self.script_of(self.timed_events(variant), seed)
    }

    /// The scripted events `variant` runs with `seed`, without the chaos:
    /// its own events if it has them, else the file's.
    pub fn variant_scripted(&self, variant: &Variant, seed: u64) -> Vec<ScriptEvent> {
        timing::expand(self.timed_events(variant), seed)
    }

    /// The variant's own timed events, or the file's.
    fn timed_events(&self, variant: &Variant) -> &[timing::TimedEvent] {
        let own = self
            .variants
            .iter()
            .position(|v| v.label == variant.label)
            .and_then(|i| self.variant_scripts.get(i))
            .and_then(Option::as_ref);
        own.unwrap_or(&self.script)
    }

    /// The chaos of a run with `seed` that runs the events `timed`, for
    /// the engine to draw as it goes (None without a `chaos` section).
    fn chaos_plan(&self, timed: &[timing::TimedEvent], seed: u64) -> Option<ChaosPlan> {
        let spec = self.file.chaos.as_ref()?;
        Some(ChaosPlan {
            config: chaos::config(spec, self.file.duration_ms),
            seed,
            first_source: timed.iter().map(|t| t.source + 1).max().unwrap_or(0),
        })
    }

    /// The events a variant's fault records number: its own or the file's.
    pub fn variant_events(&self, label: &str) -> &[EventSpec] {
        self.file
            .variants
            .iter()
            .find(|v| v.label == label)
            .and_then(|v| v.events.as_deref())
            .unwrap_or(&self.file.events)
    }

    fn script_of(&self, timed: &[timing::TimedEvent], seed: u64) -> Vec<ScriptEvent> {
        let mut script = timing::expand(timed, seed);
        if let Some(plan) = self.chaos_plan(timed, seed) {
            script.extend(plan.draw(self.file.nodes as usize, self.members()));
        }
        script
    }

    /// The initial voters: `members`, or every node.
    pub fn members(&self) -> NodeSet {
        let all = NodeSet::first(self.file.nodes as usize);
        self.file.members.as_ref().map_or(all, |members| {
            NodeSet::of(members.iter().map(|&n| NodeId(n as u32)))
        })
    }

    /// The engine configuration of one variant with one seed.
    pub fn cluster_config(&self, variant: &Variant, seed: u64) -> ClusterConfig {
        ClusterConfig {
            nodes: self.file.nodes as usize,
            members: self.members(),
            seed,
            duration_us: self.file.duration_ms * US_PER_MS,
            raft: variant.raft.clone(),
            network: variant.network,
            workload: variant.workload,
            storage: variant.storage.clone(),
            clock: variant.clock,
            // The file's events; the chaos drawn as the run goes, the same
            // events `variant_script` lists after them.
            script: timing::expand(self.timed_events(variant), seed),
            chaos: self.chaos_plan(self.timed_events(variant), seed),
            max_events: self.file.max_events.unwrap_or(DEFAULT_MAX_EVENTS),
            max_events_per_sec: self
                .file
                .max_events_per_sec
                .unwrap_or(DEFAULT_MAX_EVENTS_PER_SEC),
            max_queued_events: MAX_QUEUED_EVENTS,
            max_memory_mb: self.file.max_memory_mb.unwrap_or(DEFAULT_MAX_MEMORY_MB),
        }
    }
}
