//! Writing an output directory as one step. The new files are written into
//! a staging directory beside it, together with hard links to the files of
//! the old directory that are kept; then the staging directory and the old
//! one trade places in one atomic rename (Linux `renameat2` with
//! `RENAME_EXCHANGE`), and the old one is removed. A kill at any instant
//! leaves `--out` as it was or complete, never a mix. Staging directories
//! left by a killed process are removed by the next write beside them.
//!
//! A file name may name a subdirectory (`messages/raft-1.svg`): such a
//! subdirectory is written whole, so it replaces the old one in the swap.
//! Where the swap cannot be atomic (another OS, or an output directory that
//! holds other subdirectories, which are never moved), files are moved in
//! one by one, each atomically, and a warning says so.
//!
//! Errors name the directory or file the user asked for, never a staging
//! path, and exit 2.

use std::io;
use std::path::{Path, PathBuf};

use super::{input, Failure};

/// Where `target` is or would be, canonicalized: None when its directory
/// does not exist either (then it is no input).
fn canonical_target(target: &Path) -> Option<PathBuf> {
    if let Ok(path) = std::fs::canonicalize(target) {
        return Some(path);
    }
    let (parent, _) = split(target);
    Some(
        std::fs::canonicalize(parent)
            .ok()?
            .join(target.file_name()?),
    )
}

/// Refuses to write `target` when it is one of this command's inputs
/// (the same path, or the same file by another name), or when `whole` and
/// an input lies inside it (a directory replaced whole).
fn refuse_input(target: &Path, whole: bool) -> Result<(), Failure> {
    let Some(canonical) = canonical_target(target) else {
        return Ok(());
    };
    let same_file = |input: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            if let (Ok(a), Ok(b)) = (std::fs::metadata(input), std::fs::metadata(target)) {
                return a.dev() == b.dev() && a.ino() == b.ino();
            }
        }
        input == canonical
    };
    match input::noted()
        .into_iter()
        .find(|i| same_file(i) || (whole && i.starts_with(&canonical)))
    {
        Some(found) => Err(Failure::bad_input(format!(
            "{}: that would replace the input {}; write somewhere else (nothing was written)",
            target.display(),
            found.display()
        ))),
        None => Ok(()),
    }
}

/// Refuses, before any work, an output file that is one of the inputs.
pub fn refuse_input_file(path: &Path) -> Result<(), Failure> {
    refuse_input(path, false)
}

/// Refuses an output directory that would replace an input: one of the
/// `names` it writes (a name with a `/` replaces its subdirectory whole).
pub fn refuse_inputs_in(dir: &Path, names: &[&str]) -> Result<(), Failure> {
    for name in names {
        match name.split_once('/') {
            Some((subdirectory, _)) => refuse_input(&dir.join(subdirectory), true)?,
            None => refuse_input(&dir.join(name), false)?,
        }
    }
    Ok(())
}

/// The prefix and suffix of a staging directory's name: `.NAME.partial-PID`.
fn staging_name(name: &str, pid: u32) -> String {
    format!(".{name}.partial-{pid}")
}

/// Writes `files` (name, bytes) into `dir`, creating it if needed; other
/// files already in `dir` are kept.
pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
    write_all_owning(dir, files, &[])
}

/// [`write_all`], where each subdirectory in `owned` belongs to this
/// output whole: replaced by the files written under it, or removed when
/// none is (no stale message diagram stays in a reused `--out`).
pub fn write_all_owning(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    owned: &[&str],
) -> Result<(), Failure> {
    let mut names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
    names.extend(owned.iter().map(|sub| format!("{sub}/")));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    refuse_inputs_in(dir, &names)?;
    let fail = |what: &str, path: &Path, err: io::Error| {
        Failure::bad_input(format!("{}: cannot {what}: {err}", path.display()))
    };
    let (parent, name) = split(dir);
    remove_stale_staging(&parent, &name);
    let staging = parent.join(staging_name(&name, std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| fail("create", dir, e))?;
    let published = (|| {
        for (file, bytes) in files {
            let path = staging.join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| fail("create", dir, e))?;
            }
            write_durably(&path, bytes).map_err(|e| fail("write", &dir.join(file), e))?;
        }
        publish(dir, &staging, files, owned).map_err(|e| fail("write", dir, e))
    })();
    let _ = std::fs::remove_dir_all(&staging);
    published
}

/// Writes one file in one step: a temporary file beside it, made durable,
/// then renamed over it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    refuse_input_file(path)?;
    let fail = |e: io::Error| Failure::bad_input(format!("{}: cannot write: {e}", path.display()));
    // A device or a pipe (`/dev/stdout`) is written into, never replaced.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut file| io::Write::write_all(&mut file, bytes))
            .map_err(fail);
    }
    let (parent, name) = split(path);
    let temporary = parent.join(staging_name(&name, std::process::id()));
    let written = write_durably(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(fail)
}

/// The parent to stage in and the directory's own name.
fn split(dir: &Path) -> (PathBuf, String) {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    (parent, name)
}

fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Puts the staged files in place: a whole-directory swap where possible.
fn publish(
    dir: &Path,
    staging: &Path,
    files: &[(String, Vec<u8>)],
    owned: &[&str],
) -> io::Result<()> {
    if !dir.exists() {
        return std::fs::rename(staging, dir);
    }
    let mut has_subdirectories = false;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        if entry.file_type()?.is_dir() {
            // A subdirectory we write into (`messages/`), or own, is
            // replaced whole.
            if !replaced_whole(&file_name.to_string_lossy(), files, owned) {
                has_subdirectories = true;
            }
            continue;
        }
        if files
            .iter()
            .any(|(f, _)| file_name.to_string_lossy() == f.as_str())
        {
            continue; // replaced
        }
        // Kept: the same file under the staging directory too.
        let kept = staging.join(&file_name);
        if std::fs::hard_link(entry.path(), &kept).is_err() {
            std::fs::copy(entry.path(), &kept)?;
        }
    }
    if !has_subdirectories && exchange(staging, dir)? {
        return Ok(());
    }
    eprintln!(
        "warning: {}: files are replaced one by one (not as one step){}",
        dir.display(),
        if has_subdirectories {
            ": the directory holds subdirectories"
        } else {
            ""
        }
    );
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() && replaced_whole(&name, files, owned) {
            std::fs::remove_dir_all(entry.path())?;
        }
    }
    for (file, _) in files {
        if let Some(parent) = dir.join(file).parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(staging.join(file), dir.join(file))?;
    }
    Ok(())
}

/// Whether subdirectory `name` of the output is replaced whole: written
/// into, or owned.
fn replaced_whole(name: &str, files: &[(String, Vec<u8>)], owned: &[&str]) -> bool {
    let prefix = format!("{name}/");
    owned.contains(&name) || files.iter().any(|(f, _)| f.starts_with(&prefix))
}

/// Swaps two directories atomically. Ok(false) where the platform cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt as _;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in a path"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let done = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if done == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // Not supported by this kernel or file system: fall back.
        Some(libc::ENOSYS) | Some(libc::EINVAL) => Ok(false),
        _ => Err(err),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Removes `.NAME.partial-PID` directories beside `NAME` whose process is
/// gone (a killed run). Where that cannot be told, they are left.
fn remove_stale_staging(parent: &Path, name: &str) {
    let prefix = format!(".{name}.partial-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name
            .strip_prefix(&prefix)
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && process_is_gone(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(target_os = "linux")]
fn process_is_gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_is_gone(_pid: u32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("raftsim-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_second_write_replaces_its_files_and_keeps_the_others() {
        let root = scratch("replace");
        let out = root.join("out");
        write_all(&out, &files(&[("a.json", "1"), ("b.svg", "1")])).unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        write_all(&out, &files(&[("a.json", "2")])).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.json")).unwrap(), "2");
        assert_eq!(std::fs::read_to_string(out.join("b.svg")).unwrap(), "1");
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).unwrap(),
            "mine"
        );
        // No staging directory is left behind.
        let left: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["out".to_string()]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_subdirectory_written_is_replaced_whole() {
        let root = scratch("subdirectory");
        let out = root.join("out");
        let svg = |k: u32| format!("messages/raft-{k}.svg");
        write_all(
            &out,
            &files(&[("a.json", "1"), (&svg(1), "1"), (&svg(2), "1")]),
        )
        .unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        write_all(&out, &files(&[("a.json", "2"), (&svg(1), "2")])).unwrap();
        assert_eq!(std::fs::read_to_string(out.join(svg(1))).unwrap(), "2");
        assert!(!out.join(svg(2)).exists(), "a stale diagram is gone");
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).unwrap(),
            "mine"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn an_owned_subdirectory_not_written_again_is_removed() {
        let root = scratch("owned");
        let out = root.join("out");
        write_all_owning(
            &out,
            &files(&[("a.json", "1"), ("messages/raft-1.svg", "1")]),
            &["messages"],
        )
        .unwrap();
        std::fs::create_dir_all(out.join("mine")).unwrap();
        std::fs::write(out.join("mine/notes.txt"), "mine").unwrap();
        write_all_owning(&out, &files(&[("a.json", "2")]), &["messages"]).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.json")).unwrap(), "2");
        assert!(!out.join("messages").exists(), "stale diagrams are gone");
        assert_eq!(
            std::fs::read_to_string(out.join("mine/notes.txt")).unwrap(),
            "mine"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_killed_writer_leaves_the_old_directory_and_its_staging_is_removed_later() {
        let root = scratch("killed");
        let out = root.join("out");
        write_all(&out, &files(&[("a.json", "old")])).unwrap();
        // What a kill before the swap leaves: a staging directory of a
        // process that no longer exists, and the old output untouched.
        let stale = root.join(staging_name("out", u32::MAX - 7));
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("a.json"), "new, half done").unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.json")).unwrap(), "old");
        write_all(&out, &files(&[("a.json", "new")])).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.json")).unwrap(), "new");
        if cfg!(target_os = "linux") {
            assert!(!stale.exists(), "the stale staging directory is gone");
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn an_unwritable_place_is_an_error_naming_the_directory_asked_for() {
        let root = scratch("unwritable");
        let blocker = root.join("file");
        std::fs::write(&blocker, "not a directory").unwrap();
        let out = blocker.join("out");
        let failure = write_all(&out, &files(&[("a.json", "1")])).unwrap_err();
        assert_eq!(failure.code, super::super::EXIT_BAD_INPUT);
        assert!(
            failure.message.starts_with(&out.display().to_string()),
            "{}",
            failure.message
        );
        assert!(!failure.message.contains("partial"), "{}", failure.message);
        let _ = std::fs::remove_dir_all(&root);
    }
}
