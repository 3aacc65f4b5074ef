//! Reading what a command is given: a size cap (reading `/dev/zero` as a
//! scenario stops at the cap instead of filling memory), a UTF-8
//! byte-order mark accepted, and every file read noted, so that no output
//! of the same command can replace it (`output`).

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The largest scenario file read: a shrunk scenario with the most events
/// a file may hold is a few MiB.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// The largest results file read (a long run's series).
pub const MAX_RESULTS_BYTES: u64 = 1 << 30;

/// Every file this process has read, canonicalized.
static INPUTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    TooLarge { limit: u64 },
    NotUtf8,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(err) => write!(f, "cannot read: {err}"),
            ReadError::TooLarge { limit } => write!(
                f,
                "larger than {} MiB, the most this command reads",
                limit >> 20
            ),
            ReadError::NotUtf8 => f.write_str("not UTF-8 text"),
        }
    }
}

/// Notes `path` as an input of this command.
pub fn note(path: &Path) {
    if let Ok(canonical) = std::fs::canonicalize(path) {
        let mut inputs = INPUTS.lock().unwrap_or_else(|p| p.into_inner());
        if !inputs.contains(&canonical) {
            inputs.push(canonical);
        }
    }
}

/// The inputs noted so far, canonicalized.
pub fn noted() -> Vec<PathBuf> {
    INPUTS.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Reads a text file of at most `limit` bytes, without a leading UTF-8
/// byte-order mark, and notes it as an input.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    note(path);
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let text = String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}
