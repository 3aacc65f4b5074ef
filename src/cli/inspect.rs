//! `raftsim inspect RESULTS.json|TRACE --at T`: every node's role, term,
//! vote, log length, commit index and links at one virtual instant of a
//! saved run. The results file holds the scenario that ran and its seed;
//! the run is deterministic, so replaying it up to T gives exactly the state
//! the saved run passed through at T. A JSON Lines trace of `run --trace`
//! starts with the same (scenario, seed, variant), so it replays the same
//! way and shows the same state. A trace without that record (written by
//! hand, or by an older raftsim) shows each node's last state record at or
//! before T (log length and commit index as of that record), and no links.

use std::path::PathBuf;

use serde::Serialize;
use sim_core::cluster::Snapshot;
use sim_core::node::Role;
use sim_core::results::Results;
use sim_core::scenario::{self, Scenario};
use sim_core::trace::{read_jsonl, Record};

use super::{CliResult, Failure, EXIT_OK};

#[derive(clap::Args)]
#[command(after_help = "Example:\n  raftsim run isolate-rejoin --out rejoin\n  \
    raftsim inspect rejoin/results.json --at 80s --variant raft")]
pub struct InspectArgs {
    /// A results file of `raftsim run --out DIR` (DIR/results.json, or DIR)
    /// or `raftsim run --json`; or a JSON Lines trace of `raftsim run --trace`.
    results: PathBuf,
    /// The virtual instant: `80s`, `80000ms`, `1.5s`, or milliseconds.
    #[arg(long, value_parser = parse_instant, value_name = "T")]
    at: u64,
    /// Only this variant (default: every variant of the run).
    #[arg(long)]
    variant: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// `80s`, `250ms`, `1.5s` or a bare number of milliseconds → microseconds.
fn parse_instant(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit_us) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1_000.0)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1_000_000.0)
    } else {
        (text, 1_000.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a time: write 80s, 250ms or 1.5s"))?;
    let us = value * unit_us;
    if !(0.0..=1e15).contains(&us) {
        return Err(format!("{text:?} is not a time within a run"));
    }
    Ok(us.round() as u64)
}

#[derive(Serialize)]
struct NodeRow {
    node: u32,
    up: bool,
    role: &'static str,
    /// Its place in the configuration it uses: voter, learner, or outside
    /// it (a removed node, or a spare machine not yet added). None: not
    /// known (a trace does not hold it).
    member: Option<&'static str>,
    term: u64,
    voted_for: Option<u32>,
    leader: Option<u32>,
    log_length: u64,
    last_log_term: u64,
    commit_index: u64,
    /// Peers this node cannot send to (None: not known, from a trace).
    cannot_send_to: Option<Vec<u32>>,
    /// Peers this node cannot hear from.
    cannot_hear_from: Option<Vec<u32>>,
}

#[derive(Serialize)]
struct VariantState {
    variant: String,
    at_ms: f64,
    /// The configuration the leader (or, without one, most nodes) uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    configuration: Option<String>,
    nodes: Vec<NodeRow>,
}

/// The configuration a cluster works by at an instant: the leader of the
/// highest term's, or without a leader the one most live nodes use.
fn configuration(snapshot: &Snapshot) -> Option<String> {
    let leader = snapshot
        .nodes
        .iter()
        .filter(|n| n.live && n.status.role == Role::Leader)
        .max_by_key(|n| n.status.term);
    if let Some(leader) = leader {
        return Some(format!("{} (leader {}'s)", leader.config, leader.node));
    }
    let live: Vec<_> = snapshot.nodes.iter().filter(|n| n.live).collect();
    live.iter()
        .max_by_key(|n| live.iter().filter(|m| m.config == n.config).count())
        .map(|n| format!("{} (most live nodes'; no leader)", n.config))
}

fn member(config: &sim_core::node::Membership, id: sim_core::node::NodeId) -> &'static str {
    if config.is_voter(id) {
        "voter"
    } else if config.is_learner(id) {
        "learner"
    } else {
        "outside"
    }
}

fn rows(snapshot: &Snapshot) -> Vec<NodeRow> {
    snapshot
        .nodes
        .iter()
        .map(|n| {
            let id = n.node;
            let peers = |keep: &dyn Fn(
                &(sim_core::node::NodeId, sim_core::node::NodeId),
            ) -> bool,
                         pick: &dyn Fn(
                &(sim_core::node::NodeId, sim_core::node::NodeId),
            ) -> u32| {
                snapshot
                    .cut_links
                    .iter()
                    .filter(|l| keep(l))
                    .map(pick)
                    .collect()
            };
            NodeRow {
                node: id.0,
                up: n.live,
                role: if n.live {
                    role_name(n.status.role)
                } else {
                    "down"
                },
                member: Some(member(&n.config, id)),
                term: n.status.term,
                voted_for: n.status.voted_for.map(|v| v.0),
                leader: n.status.leader.map(|l| l.0),
                log_length: n.status.last_index,
                last_log_term: n.status.last_term,
                commit_index: n.status.commit_index,
                cannot_send_to: Some(peers(&|l| l.0 == id, &|l| l.1 .0)),
                cannot_hear_from: Some(peers(&|l| l.1 == id, &|l| l.0 .0)),
            }
        })
        .collect()
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Follower => "follower",
        Role::PreCandidate => "pre-candidate",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    }
}

fn list(nodes: &Option<Vec<u32>>) -> String {
    let Some(nodes) = nodes else {
        return "?".to_string();
    };
    match nodes.as_slice() {
        [] => "—".to_string(),
        _ => nodes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

fn table(state: &VariantState) -> String {
    let dash = |v: Option<u32>| v.map_or("—".to_string(), |v| v.to_string());
    let mut text = format!("{} at {:.3} s\n", state.variant, state.at_ms / 1000.0);
    if let Some(config) = &state.configuration {
        text.push_str(&format!("  configuration {config}\n"));
    }
    text.push_str(
        "  node  role           member    term  vote  leader      log  commit  cannot send to  \
         cannot hear from\n",
    );
    for row in &state.nodes {
        text.push_str(&format!(
            "  {:>4}  {:<13}  {:<8} {:>5}  {:>4}  {:>6}  {:>7}  {:>6}  {:<14}  {}\n",
            row.node,
            row.role,
            row.member.unwrap_or("?"),
            row.term,
            dash(row.voted_for),
            dash(row.leader),
            row.log_length,
            row.commit_index,
            list(&row.cannot_send_to),
            list(&row.cannot_hear_from)
        ));
    }
    text
}

/// The state of every node at `at_us` from a JSON Lines trace: each node's
/// last state record at or before it, crashes and restarts.
fn from_trace(text: &str, shown: &str, at_us: u64) -> Result<VariantState, Failure> {
    let lines = read_jsonl(text).map_err(|why| Failure::bad_input(format!("{shown}: {why}")))?;
    let mut nodes: std::collections::BTreeMap<u32, NodeRow> = std::collections::BTreeMap::new();
    for line in lines.iter().take_while(|line| line.at_us <= at_us) {
        match &line.record {
            Record::State {
                node,
                term,
                role,
                leader,
                voted_for,
                log_length,
                commit_index,
            } => {
                nodes.insert(
                    node.0,
                    NodeRow {
                        node: node.0,
                        up: true,
                        role: match role.as_ref() {
                            "leader" => "leader",
                            "candidate" => "candidate",
                            "pre_candidate" => "pre-candidate",
                            _ => "follower",
                        },
                        member: None,
                        term: *term,
                        voted_for: voted_for.map(|n| n.0),
                        leader: leader.map(|n| n.0),
                        log_length: *log_length,
                        last_log_term: 0,
                        commit_index: *commit_index,
                        cannot_send_to: None,
                        cannot_hear_from: None,
                    },
                );
            }
            Record::Crash { node } => {
                if let Some(row) = nodes.get_mut(&node.0) {
                    row.up = false;
                    row.role = "down";
                }
            }
            Record::Run { .. }
            | Record::Send { .. }
            | Record::Deliver { .. }
            | Record::Drop { .. }
            | Record::Timer { .. }
            | Record::Restart { .. }
            | Record::Fault { .. }
            | Record::Propose { .. }
            | Record::Commit { .. }
            | Record::Config { .. }
            | Record::Violation { .. } => {}
        }
    }
    Ok(VariantState {
        variant: "(trace)".to_string(),
        at_ms: at_us as f64 / 1000.0,
        configuration: None,
        nodes: nodes.into_values().collect(),
    })
}

/// The scenario a results file holds (overrides applied), to replay it;
/// `shown` names the file in errors.
pub fn recorded_scenario(results: &Results, shown: &str) -> Result<Scenario, Failure> {
    let file = results.scenario_file.as_ref().ok_or_else(|| {
        Failure::bad_input(format!(
            "{shown}: holds no scenario to replay (written by an older raftsim? run it again)"
        ))
    })?;
    scenario::parse(&file.to_string()).map_err(|e| {
        Failure::bad_input(format!(
            "{shown}: its scenario does not validate: {}",
            e.0[0]
        ))
    })
}

/// What a trace's first record says ran, if it says: the scenario, the
/// seed and the variant's label.
pub fn recorded_run(text: &str, shown: &str) -> Result<Option<(Scenario, u64, String)>, Failure> {
    let first = text.lines().find(|line| !line.trim().is_empty());
    let Some(line) = first.and_then(|line| read_jsonl(line).ok()?.pop()) else {
        return Ok(None);
    };
    let Record::Run {
        scenario,
        seed,
        variant,
    } = line.record
    else {
        return Ok(None);
    };
    let scenario = scenario::parse(&scenario.to_string()).map_err(|e| {
        Failure::bad_input(format!(
            "{shown}: the scenario its first record holds does not validate: {}",
            e.0[0]
        ))
    })?;
    Ok(Some((scenario, seed, variant.into_owned())))
}

/// A JSON Lines trace starts with a record that has a `seq`; a results
/// file does not.
pub fn looks_like_trace(text: &str) -> bool {
    text.lines()
        .next()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .is_some_and(|first| first.get("seq").is_some())
}

pub fn inspect(args: InspectArgs) -> CliResult {
    let path = if args.results.is_dir() {
        args.results.join("results.json")
    } else {
        args.results.clone()
    };
    let shown = path.display();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::bad_input(format!("{shown}: cannot read: {e}")))?;
    let trace = looks_like_trace(&text);
    if trace {
        if let Some((scenario, seed, label)) = recorded_run(&text, &shown.to_string())? {
            if args.variant.as_ref().is_some_and(|v| *v != label) {
                return Err(Failure::bad_input(format!(
                    "{shown}: a trace of variant {label:?}, not {:?}",
                    args.variant.as_deref().unwrap_or_default()
                )));
            }
            return replay(&args, &shown.to_string(), &scenario, seed, &[label]);
        }
        let state = from_trace(&text, &shown.to_string(), args.at)?;
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&[&state]).expect("serialises")
            );
        } else {
            println!(
                "{shown} at {:.3} s virtual (from a trace: log and commit as of each node's \
                 last state record; links are not in a trace, replay results.json for them)\n",
                args.at as f64 / 1e6
            );
            println!("{}", table(&state));
        }
        return Ok(EXIT_OK);
    }
    let results: Results = serde_json::from_str(&text).map_err(|e| {
        Failure::bad_input(format!("{shown}: not the results of `raftsim run`: {e}"))
    })?;
    let scenario = recorded_scenario(&results, &shown.to_string())?;
    let labels: Vec<String> = match &args.variant {
        Some(label) => vec![label.clone()],
        None => results.variants.iter().map(|v| v.label.clone()).collect(),
    };
    replay(&args, &shown.to_string(), &scenario, results.seed, &labels)
}

/// Replays `scenario` with `seed` up to `--at` and prints the state of
/// each variant of `labels`.
fn replay(
    args: &InspectArgs,
    shown: &str,
    scenario: &Scenario,
    seed: u64,
    labels: &[String],
) -> CliResult {
    let end_us = scenario.file.duration_ms.saturating_mul(1_000);
    if args.at > end_us {
        return Err(Failure::bad_input(format!(
            "--at {:.3} s is after the end of the run ({:.3} s)",
            args.at as f64 / 1e6,
            end_us as f64 / 1e6
        )));
    }
    let mut states = Vec::new();
    for label in labels {
        let variant = scenario.variant(label).ok_or_else(|| {
            Failure::bad_input(format!(
                "{shown}: no variant is labelled {label:?}: the variants are {}",
                scenario
                    .variants()
                    .iter()
                    .map(|v| v.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let snapshot = sim_core::replay::state_at(scenario, variant, seed, args.at);
        states.push(VariantState {
            variant: label.to_string(),
            at_ms: args.at as f64 / 1000.0,
            configuration: configuration(&snapshot),
            nodes: rows(&snapshot),
        });
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&states).expect("states serialise")
        );
    } else {
        println!(
            "{} — seed {seed}, at {:.3} s virtual\n",
            scenario.file.name,
            args.at as f64 / 1e6
        );
        for state in &states {
            println!("{}", table(state));
        }
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::parse_instant;

    #[test]
    fn instants_take_units() {
        assert_eq!(parse_instant("80s"), Ok(80_000_000));
        assert_eq!(parse_instant("250ms"), Ok(250_000));
        assert_eq!(parse_instant("1.5s"), Ok(1_500_000));
        assert_eq!(parse_instant("12"), Ok(12_000));
        assert!(parse_instant("-1s").is_err());
        assert!(parse_instant("soon").is_err());
    }
}
