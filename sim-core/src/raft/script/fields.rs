//! The words of a script line: `key=value` fields and bare flags (every one
//! must be consumed, so a misspelt key is an error), node ids, times, log
//! entries, timer and bug names.

use std::collections::BTreeMap;

use crate::node::{
    Bugs, Entry, EntryData, LogIndex, Membership, NodeId, NodeSet, Term, TimerKind, MAX_NODES,
};
use crate::time::{Instant, US_PER_MS};

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

    pub(super) fn take(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.words.remove(key) {
            None => Ok(None),
            Some(None) => Err(format!("`{key}` needs a value: {key}=...")),
            Some(Some(value)) => Ok(Some(value)),
        }
    }

    pub(super) fn required(&mut self, key: &str) -> Result<String, String> {
        self.take(key)?.ok_or_else(|| format!("missing `{key}=`"))
    }

    pub(super) fn u64(&mut self, key: &str) -> Result<u64, String> {
        let value = self.required(key)?;
        parse_u64(key, &value)
    }

    pub(super) fn opt_u64(&mut self, key: &str) -> Result<Option<u64>, String> {
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

    pub(super) fn flag(&mut self, key: &str) -> Result<bool, String> {
        match self.words.remove(key) {
            None => Ok(false),
            Some(None) => Ok(true),
            Some(Some(value)) => Err(format!(
                "`{key}` is a flag and takes no value (got `{value}`)"
            )),
        }
    }

    pub(super) fn instant(&mut self, key: &str) -> Result<Option<Instant>, String> {
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

pub(super) fn parse_u64(key: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("`{key}={value}`: expected a whole number"))
}

pub(super) fn parse_node_id(word: Option<&str>) -> Result<NodeId, String> {
    let word = word.ok_or("missing the node id")?;
    match word.parse::<u32>() {
        Ok(id) if (1..=MAX_NODES as u32).contains(&id) => Ok(NodeId(id)),
        _ => Err(format!("`{word}` is not a node id (1..={MAX_NODES})")),
    }
}

/// A node set in an entry: `1+2+4`.
fn parse_set(text: &str) -> Result<NodeSet, String> {
    if text.is_empty() {
        return Ok(NodeSet::EMPTY);
    }
    text.split('+')
        .map(|n| parse_node_id(Some(n)))
        .collect::<Result<Vec<_>, _>>()
        .map(NodeSet::of)
}

fn format_set(set: NodeSet) -> String {
    set.iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("+")
}

/// A configuration entry's data: `c1+2+3`, with `/o1+2` for the outgoing
/// voters of a joint configuration and `/l4` for learners.
fn parse_config(text: &str) -> Result<Membership, String> {
    let mut parts = text.split('/');
    let mut config = Membership::of_voters(parse_set(parts.next().unwrap_or(""))?);
    for part in parts {
        match part.split_at_checked(1) {
            Some(("o", set)) => config.outgoing = parse_set(set)?,
            Some(("l", set)) => config.learners = parse_set(set)?,
            _ => return Err(format!("`{part}`: expected o<voters> or l<learners>")),
        }
    }
    Ok(config)
}

fn format_config(config: &Membership) -> String {
    let mut text = format!("c{}", format_set(config.voters));
    if config.is_joint() {
        text += &format!("/o{}", format_set(config.outgoing));
    }
    if !config.learners.is_empty() {
        text += &format!("/l{}", format_set(config.learners));
    }
    text
}

/// `[1,1,2:p7,2:c1+2+4]`: entry terms, `:pN` for client proposal N, `:c`
/// for a configuration (voters joined by `+`; `/o` the outgoing voters of
/// a joint one, `/l` the learners), else a no-op.
pub(super) fn parse_entries(text: &str) -> Result<Vec<Entry>, String> {
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
            let (term, data) = match (item.split_once(":p"), item.split_once(":c")) {
                (Some((term, id)), _) => (term, EntryData::Proposal(parse_u64("proposal", id)?)),
                (None, Some((term, config))) => (term, EntryData::Config(parse_config(config)?)),
                (None, None) => (item, EntryData::Noop),
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
            EntryData::Config(config) => format!("{}:{}", e.term, format_config(&config)),
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// ` snapshot=INDEX:TERM`, or nothing for the empty snapshot (so scripts
/// without compaction read as before).
pub(super) fn format_snapshot(index: LogIndex, term: Term) -> String {
    if index == 0 {
        return String::new();
    }
    format!(" snapshot={index}:{term}")
}

/// `INDEX:TERM`, a snapshot's last included entry.
pub(super) fn parse_snapshot(text: &str) -> Result<(LogIndex, Term), String> {
    let (index, term) = text
        .split_once(':')
        .ok_or_else(|| format!("snapshot `{text}`: expected INDEX:TERM"))?;
    Ok((parse_u64("snapshot", index)?, parse_u64("snapshot", term)?))
}

/// `150ms` or `150.5ms` (microsecond precision).
pub(super) fn parse_instant(text: &str) -> Result<Instant, String> {
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

pub(super) fn format_node(id: Option<NodeId>) -> String {
    id.map_or_else(|| "none".to_string(), |id| id.to_string())
}

pub(super) fn timer_by_name(name: &str) -> Result<TimerKind, String> {
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

pub(super) fn plant_bugs(bugs: &mut Bugs, list: Option<String>) -> Result<(), String> {
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
