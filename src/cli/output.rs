//! Writing an output directory all at once: files are staged in a sibling
//! directory and moved into place only when every one was written, so a
//! failure never leaves a half-written `--out`.

use std::path::{Path, PathBuf};

use super::Failure;

/// Writes `files` (name, bytes) into `dir`, creating it if needed.
pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
    let fail = |what: &str, path: &Path, err: std::io::Error| {
        Failure::failed(format!("{}: cannot {what}: {err}", path.display()))
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    std::fs::create_dir_all(&staging).map_err(|e| fail("create", &staging, e))?;
    let written = (|| {
        for (file, bytes) in files {
            let path = staging.join(file);
            std::fs::write(&path, bytes).map_err(|e| fail("write", &path, e))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| fail("create", dir, e))?;
        for (file, _) in files {
            let to = dir.join(file);
            std::fs::rename(staging.join(file), &to).map_err(|e| fail("write", &to, e))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    written
}
