//! `raftsim merge`: the output directories of sharded sweeps combined into
//! one, checked to belong together (same scenario content, same range) and
//! to cover every seed once, then aggregated exactly as one machine would.

use super::*;

/// "5..10, 12" for the seeds of `range` that no record has (at most a few ranges).
pub(super) fn missing_seeds(range: [u64; 2], records: &[SeedRecord]) -> String {
    let mut gaps = Vec::new();
    let mut next = range[0];
    for seed in records.iter().map(|r| r.seed).chain([range[1]]) {
        if seed > next {
            gaps.push(if seed - next == 1 {
                next.to_string()
            } else {
                format!("{next}..{seed}")
            });
        }
        next = next.max(seed.saturating_add(1));
    }
    let shown = gaps.len().min(5);
    let more = if gaps.len() > shown { ", ..." } else { "" };
    format!("{}{more}", gaps[..shown].join(", "))
}

/// `merge --out` must not name one of its inputs: it would replace a shard
/// it is reading.
fn refuse_input_as_output(out: &Path, inputs: &[PathBuf]) -> Result<(), Failure> {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let Some(out_path) = canonical(out) else {
        return Ok(()); // does not exist yet, so it is no input
    };
    match inputs
        .iter()
        .find(|dir| canonical(dir) == Some(out_path.clone()))
    {
        Some(dir) => Err(Failure::bad_input(format!(
            "--out {}: that is the input {}; write the merge somewhere else",
            out.display(),
            dir.display()
        ))),
        None => Ok(()),
    }
}

fn read_dir_records(dir: &Path) -> Result<(ShardInfo, Vec<SeedRecord>), Failure> {
    let bad = |what: String| Failure::bad_input(format!("{}: {what}", dir.display()));
    let info_path = dir.join("shard.json");
    crate::cli::input::note(&info_path);
    crate::cli::input::note(&dir.join("seeds.jsonl"));
    let text = std::fs::read_to_string(&info_path).map_err(|e| {
        bad(format!(
            "cannot read shard.json ({e}); is this a `raftsim sweep --out` directory?"
        ))
    })?;
    let info: ShardInfo = serde_json::from_str(&text)
        .map_err(|e| bad(format!("shard.json is not a sweep description: {e}")))?;
    let seeds_path = dir.join("seeds.jsonl");
    let file = std::fs::File::open(&seeds_path)
        .map_err(|e| bad(format!("cannot read seeds.jsonl: {e}")))?;
    let mut records = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| bad(format!("cannot read seeds.jsonl: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: SeedRecord = serde_json::from_str(&line).map_err(|e| {
            let hint = if e.to_string().contains("missing field") {
                " (written by an older raftsim? sweep that shard again)"
            } else {
                ""
            };
            bad(format!("seeds.jsonl line {}: {e}{hint}", i + 1))
        })?;
        records.push(record);
    }
    Ok((info, records))
}

pub fn merge(args: MergeArgs) -> CliResult {
    if let Some(out) = &args.out {
        refuse_input_as_output(out, &args.dirs)?;
    }
    let mut info: Option<ShardInfo> = None;
    let mut records: Vec<SeedRecord> = Vec::new();
    for dir in &args.dirs {
        let (this, mut these) = read_dir_records(dir)?;
        if let Some(first) = &info {
            // Shards belong together by the scenario's content, not by the
            // path it was run from.
            let same = (first.fingerprint.as_str(), first.seeds, &first.variants)
                == (this.fingerprint.as_str(), this.seeds, &this.variants);
            if !same {
                return Err(Failure::bad_input(format!(
                    "{}: this sweep is of another scenario (content) or seed range than {}",
                    dir.display(),
                    args.dirs[0].display()
                )));
            }
        }
        info.get_or_insert(this);
        records.append(&mut these);
    }
    let info = info.expect("at least one directory");
    records.sort_by_key(|r| r.seed);
    if let Some(pair) = records.windows(2).find(|w| w[0].seed == w[1].seed) {
        return Err(Failure::bad_input(format!(
            "seed {} appears in more than one directory: merge each shard once",
            pair[0].seed
        )));
    }
    let expected = info.seeds[1] - info.seeds[0];
    if records.len() as u64 != expected {
        let missing = missing_seeds(info.seeds, &records);
        let message = format!(
            "{} of the {expected} seeds of {}..{} are present; missing: {missing}",
            records.len(),
            info.seeds[0],
            info.seeds[1]
        );
        if !args.partial {
            return Err(Failure::bad_input(format!(
                "{message} (merge the other shards too, or pass --partial to aggregate only \
                 the seeds present)"
            )));
        }
        eprintln!("raftsim: warning: {message}; the aggregate covers only those (--partial)");
    }
    let merged = ShardInfo {
        shard: None,
        ..info
    };
    // The shards' own directories hold the viewers of their failing seeds.
    finish(
        &merged,
        merged.seeds,
        &records,
        args.out.as_deref(),
        args.json,
        None,
    )
}
