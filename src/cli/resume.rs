//! A sweep that survives a kill: while it runs, every finished seed is
//! appended (one flushed line each) to `DIR/seeds.jsonl.partial`, after a
//! header line naming the sweep; `sweep --resume` reads it back and runs
//! only the missing seeds. The published files are written at the end in
//! one step (`output`), so a kill never leaves them mixed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sim_core::sweep::SeedRecord;

use super::sweep::ShardInfo;
use super::Failure;

/// The file a running sweep appends each finished seed to, under `--out`.
pub(super) const PROGRESS_FILE: &str = "seeds.jsonl.partial";

/// The first line of the progress file: which sweep it belongs to.
#[derive(Serialize, Deserialize)]
struct ProgressHeader {
    sweep: ShardInfo,
}

/// Appends finished seeds to DIR/seeds.jsonl.partial, one flushed line each,
/// so a killed sweep loses nothing it finished.
pub(super) struct ProgressLog {
    pub(super) path: PathBuf,
    file: std::sync::Mutex<std::fs::File>,
}

impl ProgressLog {
    /// Starts a new log (`resume`: keeps the records already there).
    pub(super) fn open(dir: &Path, info: &ShardInfo, resume: bool) -> Result<ProgressLog, Failure> {
        use std::io::Write as _;
        let path = dir.join(PROGRESS_FILE);
        let fail = |e: std::io::Error| {
            Failure::bad_input(format!("{}: cannot write: {e}", path.display()))
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(resume)
            .write(true)
            .truncate(!resume)
            .open(&path)
            .map_err(fail)?;
        if !resume {
            let header = serde_json::to_string(&ProgressHeader {
                sweep: info.clone(),
            })
            .expect("header serialises");
            writeln!(file, "{header}").map_err(fail)?;
        }
        Ok(ProgressLog {
            path,
            file: std::sync::Mutex::new(file),
        })
    }

    pub(super) fn append(&self, record: &SeedRecord) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut line = serde_json::to_string(record).expect("record serialises");
        line.push('\n');
        let mut file = self.file.lock().expect("no writer panicked");
        file.write_all(line.as_bytes())
    }
}

/// The seeds a killed sweep already finished, from DIR/seeds.jsonl.partial.
/// A last line cut short by the kill is ignored.
pub(super) fn finished_seeds(dir: &Path, info: &ShardInfo) -> Result<Vec<SeedRecord>, Failure> {
    let path = dir.join(PROGRESS_FILE);
    let bad = |why: String| Failure::bad_input(format!("{}: {why}", path.display()));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(format!(
            "cannot read ({e}): there is no killed sweep to resume here"
        ))
    })?;
    // Only what ends in a newline was written whole.
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    let mut lines = complete.lines();
    let header: ProgressHeader = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| bad("the first line does not say which sweep this is".to_string()))?;
    let same = (
        &header.sweep.fingerprint,
        header.sweep.seeds,
        header.sweep.shard,
        &header.sweep.variants,
    ) == (&info.fingerprint, info.seeds, info.shard, &info.variants);
    if !same {
        return Err(bad(format!(
            "is the progress of another sweep ({} seeds {}..{}{}): resume it with the same \
             scenario, --seeds and --shard, or start afresh without --resume",
            header.sweep.scenario,
            header.sweep.seeds[0],
            header.sweep.seeds[1],
            header
                .sweep
                .shard
                .map_or(String::new(), |(k, n)| format!(", shard {k}/{n}"))
        )));
    }
    let mut records = Vec::new();
    for (i, line) in lines.enumerate() {
        let record: SeedRecord =
            serde_json::from_str(line).map_err(|e| bad(format!("line {}: {e}", i + 2)))?;
        records.push(record);
    }
    records.sort_by_key(|r| r.seed);
    records.dedup_by_key(|r| r.seed);
    Ok(records)
}
