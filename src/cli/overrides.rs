//! `--set PATH=VALUE`: one scenario field changed on the command line
//! without editing the file (`--set nodes=7`, `--set raft.pre_vote=true`,
//! `--set network.latency_ms=[2,8]`, `--set variants[1].raft.check_quorum=true`).
//! The overrides are applied to the file's JSON before it is validated, so a
//! bad value gets the same error as in the file; they are recorded in the
//! results and repeated in every replay command.

use serde_json::{Map, Value};

/// The overrides of every command that runs a scenario: `--set` and the
/// memory budget.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Overrides {
    /// Override one scenario field without editing the file, e.g.
    /// `--set nodes=7`, `--set raft.pre_vote=true`,
    /// `--set network.latency_ms=[2,8]` (repeatable; VALUE is JSON).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// The memory budget of each run, e.g. `256MiB` or `2GiB` (default: the
    /// scenario's max_memory_mb, else 1GiB). A run that holds more (logs,
    /// messages in flight, queued events, proposals, checker state) stops
    /// there, cut short. The same as `--set max_memory_mb=N`.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<u64>,
}

impl Overrides {
    /// The `--set` overrides, the memory budget last as one of them (so
    /// it is recorded and repeated in replay commands like the others).
    pub fn sets(&self) -> Vec<String> {
        let mut sets = self.set.clone();
        sets.extend(self.max_memory.map(|mb| format!("max_memory_mb={mb}")));
        sets
    }
}

/// A memory size in MiB: `512MiB`, `2GiB`, `1.5GiB`, `512M`, `2G`, or a
/// plain number of MiB; from 1 MiB to 1 TiB.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (number, unit) = match lower.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => lower.split_at(i),
        None => (lower.as_str(), "mib"),
    };
    let scale = match unit.trim() {
        "m" | "mb" | "mib" => 1.0,
        "g" | "gb" | "gib" => 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit `{other}`: use MiB or GiB, e.g. 512MiB or 2GiB"
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size, e.g. 512MiB or 2GiB"))?;
    let mb = (value * scale).round();
    if !(1.0..=1_048_576.0).contains(&mb) {
        return Err(format!("`{text}` is out of range: from 1MiB to 1TiB"));
    }
    Ok(mb as u64)
}

/// The most `--set` flags one command takes, and the longest path.
const MAX_OVERRIDES: usize = 64;
const MAX_PATH_STEPS: usize = 16;

/// One step of a path: a member of an object, or an element of an array.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `a.b[2].c` → Key(a), Key(b), Index(2), Key(c).
fn steps(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(format!("`{path}`: an empty field name"));
        }
        steps.push(Step::Key(key));
        while let Some(inner) = rest.strip_prefix('[') {
            let (index, after) = inner
                .split_once(']')
                .ok_or_else(|| format!("`{path}`: a `[` without its `]`"))?;
            let index = index
                .parse()
                .map_err(|_| format!("`{path}`: `[{index}]` is not an index"))?;
            steps.push(Step::Index(index));
            rest = after;
        }
        if !rest.is_empty() {
            return Err(format!("`{path}`: unexpected `{rest}`"));
        }
    }
    if steps.len() > MAX_PATH_STEPS {
        return Err(format!("`{path}`: more than {MAX_PATH_STEPS} steps"));
    }
    Ok(steps)
}

/// The value of `--set`: JSON, or else the text itself as a string (so
/// `--set name=other` works without quotes).
fn value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Applies one `PATH=VALUE` to the document. Objects on the way are created
/// when missing (`raft.pre_vote` in a file without `raft`); array elements
/// must exist.
pub fn apply(doc: &mut Value, set: &str) -> Result<(), String> {
    let (path, text) = set
        .split_once('=')
        .ok_or_else(|| format!("`{set}`: write PATH=VALUE, e.g. raft.pre_vote=true"))?;
    let steps = steps(path.trim())?;
    let (last, walk) = steps.split_last().expect("a path has a step");
    let mut target = doc;
    for (i, step) in walk.iter().enumerate() {
        let next_is_index = matches!(steps[i + 1], Step::Index(_));
        target = descend(target, step, next_is_index, path)?;
    }
    match (last, target) {
        (Step::Key(key), Value::Object(members)) => {
            members.insert((*key).to_string(), value(text));
            Ok(())
        }
        (Step::Index(index), Value::Array(items)) => {
            let len = items.len();
            let item = items.get_mut(*index).ok_or_else(|| {
                format!("`{path}`: index {index} is past the end ({len} elements)")
            })?;
            *item = value(text);
            Ok(())
        }
        (Step::Key(_), _) => Err(format!(
            "`{path}`: the field before `.{last:?}` is not an object"
        )),
        (Step::Index(_), _) => Err(format!("`{path}`: the field before `[..]` is not an array")),
    }
}

fn descend<'v>(
    target: &'v mut Value,
    step: &Step<'_>,
    next_is_index: bool,
    path: &str,
) -> Result<&'v mut Value, String> {
    match step {
        Step::Key(key) => {
            let Value::Object(members) = target else {
                return Err(format!(
                    "`{path}`: `{key}` is inside something that is not an object"
                ));
            };
            let fresh = if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            };
            Ok(members.entry(key.to_string()).or_insert(fresh))
        }
        Step::Index(index) => {
            let Value::Array(items) = target else {
                return Err(format!(
                    "`{path}`: `[{index}]` of something that is not an array"
                ));
            };
            let len = items.len();
            items
                .get_mut(*index)
                .ok_or_else(|| format!("`{path}`: index {index} is past the end ({len} elements)"))
        }
    }
}

/// Applies every override, in order, to a scenario file's text.
pub fn apply_all(text: &str, sets: &[String]) -> Result<String, String> {
    if sets.len() > MAX_OVERRIDES {
        return Err(format!("more than {MAX_OVERRIDES} --set flags"));
    }
    let mut doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    for set in sets {
        apply(&mut doc, set).map_err(|why| format!("--set {why}"))?;
    }
    Ok(serde_json::to_string_pretty(&doc).expect("a JSON value serialises"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_read_in_mib() {
        assert_eq!(parse_memory("512MiB"), Ok(512));
        assert_eq!(parse_memory("2GiB"), Ok(2048));
        assert_eq!(parse_memory("1.5G"), Ok(1536));
        assert_eq!(parse_memory("300"), Ok(300));
        assert_eq!(parse_memory("1TiB"), Ok(1_048_576));
        assert!(parse_memory("0").is_err());
        assert!(parse_memory("2TiB").is_err());
        assert!(parse_memory("12 parsecs").is_err());
        assert!(parse_memory("GiB").is_err());
        let budget = Overrides {
            set: vec!["nodes=7".into()],
            max_memory: Some(256),
        };
        assert_eq!(budget.sets(), ["nodes=7", "max_memory_mb=256"]);
    }
    use serde_json::json;

    fn set(doc: &mut Value, s: &str) -> Result<(), String> {
        apply(doc, s)
    }

    #[test]
    fn paths_reach_members_and_elements_and_create_objects() {
        let mut doc = json!({"nodes": 5, "variants": [{"label": "a"}, {"label": "b"}]});
        set(&mut doc, "nodes=7").unwrap();
        set(&mut doc, "raft.pre_vote=true").unwrap();
        set(&mut doc, "network.latency_ms=[2,8]").unwrap();
        set(&mut doc, "variants[1].raft.check_quorum=true").unwrap();
        set(&mut doc, "name=other").unwrap();
        assert_eq!(
            doc,
            json!({"nodes": 7, "name": "other",
                   "raft": {"pre_vote": true}, "network": {"latency_ms": [2, 8]},
                   "variants": [{"label": "a"}, {"label": "b", "raft": {"check_quorum": true}}]})
        );
    }

    #[test]
    fn malformed_overrides_are_errors() {
        let mut doc = json!({"nodes": 5, "variants": [{}]});
        for bad in [
            "nodes",
            "=3",
            "a..b=1",
            "variants[3].x=1",
            "variants[x]=1",
            "nodes.x=1",
            "variants[0=1",
        ] {
            assert!(set(&mut doc, bad).is_err(), "{bad} was accepted");
        }
    }
}
