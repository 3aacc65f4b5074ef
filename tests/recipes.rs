//! The cluster recipes of docs/CLUSTERS.md, run on this machine: each
//! recipe's shard command with the environment variables its engine sets
//! (GNU parallel's `{}`, Slurm's `SLURM_ARRAY_TASK_ID`, Kubernetes'
//! `JOB_COMPLETION_INDEX`), the built binary on PATH, then its merge; the
//! merged directory must equal a single-machine sweep byte for byte. Also:
//! the page shows the recipe files as they are, and the Dockerfile names
//! the binary, paths and image the rest use (no container engine here).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{raftsim, repo, scratch, text};

const SCENARIO: &str = "leader-crash";
const SEEDS: &str = "0..12";

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// PATH with the built binary's directory first.
fn path_with_raftsim() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_raftsim")).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs `program args` in `dir` with `env`, the scenario and seeds of the
/// test, and the binary on PATH; it must succeed.
fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, String)]) {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .args(args)
        .env("PATH", path_with_raftsim())
        .env("SCENARIO", SCENARIO)
        .env("SEEDS", SEEDS)
        .env_remove("SLURM_CPUS_PER_TASK")
        .env_remove("RAFTSIM_SEED");
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("the shell runs");
    assert!(
        out.status.success(),
        "{program} {args:?} {env:?}: {}",
        text(&out.stderr)
    );
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

/// The single-machine sweep the recipes must reproduce.
fn single(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let out = dir.join("single");
    let output = raftsim(&[
        "sweep",
        SCENARIO,
        "--seeds",
        SEEDS,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    files(&out)
}

fn assert_same(merged: &Path, single: &BTreeMap<PathBuf, Vec<u8>>) {
    let merged = files(merged);
    assert_eq!(
        merged.keys().collect::<Vec<_>>(),
        single.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in single {
        assert!(merged[name] == *bytes, "{} differs", name.display());
    }
}

#[test]
fn the_page_shows_the_recipe_files_as_they_are() {
    let page = read("docs/CLUSTERS.md");
    for (path, lang) in [
        ("deploy/parallel/sweep.sh", "bash"),
        ("deploy/slurm/sweep.sh", "bash"),
        ("deploy/slurm/merge.sh", "bash"),
        ("deploy/kubernetes/sweep-job.yaml", "yaml"),
        ("deploy/kubernetes/merge-job.yaml", "yaml"),
    ] {
        let shown = format!("`{path}`:\n\n```{lang}\n{}```\n", read(path));
        assert!(
            page.contains(&shown),
            "docs/CLUSTERS.md does not show {path} as it is"
        );
    }
}

/// A Slurm array of 3 tasks, without `--cpus-per-task` (so Slurm leaves
/// SLURM_CPUS_PER_TASK unset), then the merge job.
#[test]
fn the_slurm_array_merges_to_the_single_machine_sweep() {
    let dir = scratch("slurm");
    let single = single(&dir);
    let out = dir.join("out").to_string_lossy().into_owned();
    for task in 1..=3 {
        run_in(
            &dir,
            "bash",
            &[&repo("deploy/slurm/sweep.sh")],
            &[
                ("SLURM_ARRAY_TASK_ID", task.to_string()),
                ("SLURM_ARRAY_TASK_COUNT", "3".to_string()),
                ("OUT", out.clone()),
            ],
        );
    }
    run_in(
        &dir,
        "bash",
        &[&repo("deploy/slurm/merge.sh")],
        &[("OUT", out.clone())],
    );
    assert_same(&dir.join("out/merged"), &single);
}

/// The value of `key: VALUE` (first occurrence) in a manifest.
fn yaml_value<'a>(yaml: &'a str, key: &str) -> &'a str {
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in the manifest"))
        .trim()
        .trim_matches('"')
}

/// An env entry's value: the `value:` line after `- name: NAME`.
fn yaml_env<'a>(yaml: &'a str, name: &str) -> &'a str {
    let after = yaml
        .split(&format!("- name: {name}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no env {name}"));
    yaml_value(after, "value")
}

/// The shell command of a container: `args: ['...']`.
fn yaml_args(yaml: &str) -> &str {
    yaml_value(yaml, "args")
        .strip_prefix("['")
        .and_then(|a| a.strip_suffix("']"))
        .expect("args: ['one shell command']")
}

/// Every pod of the Indexed Job, with its JOB_COMPLETION_INDEX, then the
/// merge job, both with `sh -c` as in the manifests.
#[test]
fn the_kubernetes_indexed_job_merges_to_the_single_machine_sweep() {
    let dir = scratch("kubernetes");
    let single = single(&dir);
    let sweep = read("deploy/kubernetes/sweep-job.yaml");
    let merge = read("deploy/kubernetes/merge-job.yaml");
    assert_eq!(yaml_value(&sweep, "completionMode"), "Indexed");
    let completions: u32 = yaml_value(&sweep, "completions").parse().unwrap();
    assert_eq!(
        yaml_env(&sweep, "SHARDS"),
        completions.to_string(),
        "completions must equal SHARDS"
    );
    assert_eq!(
        yaml_value(&sweep, "claimName"),
        yaml_value(&merge, "claimName")
    );
    assert_eq!(yaml_env(&sweep, "RESULTS"), yaml_env(&merge, "RESULTS"));
    let results = dir.join("results").to_string_lossy().into_owned();
    for index in 0..completions {
        run_in(
            &dir,
            "sh",
            &["-c", yaml_args(&sweep)],
            &[
                ("JOB_COMPLETION_INDEX", index.to_string()),
                ("SHARDS", yaml_env(&sweep, "SHARDS").to_string()),
                ("JOBS", yaml_env(&sweep, "JOBS").to_string()),
                ("RESULTS", results.clone()),
            ],
        );
    }
    run_in(
        &dir,
        "sh",
        &["-c", yaml_args(&merge)],
        &[("RESULTS", results.clone())],
    );
    assert_same(&dir.join("results/merged"), &single);
}

/// GNU parallel's command line, `{}` replaced by each shard number as
/// parallel does, then the script's merge line.
#[test]
fn the_gnu_parallel_recipe_merges_to_the_single_machine_sweep() {
    let dir = scratch("parallel");
    let single = single(&dir);
    let script = read("deploy/parallel/sweep.sh");
    let line = script
        .lines()
        .find(|l| l.starts_with("parallel "))
        .expect("a parallel line");
    let (command, inputs) = line
        .strip_prefix("parallel ")
        .unwrap()
        .split_once(" ::: ")
        .unwrap();
    assert_eq!(inputs, "$(seq 1 \"$SHARDS\")");
    let merge = script
        .lines()
        .find(|l| l.starts_with("raftsim merge "))
        .expect("a merge line");
    let out = dir.join("out").to_string_lossy().into_owned();
    let env = [("SHARDS", "4".to_string()), ("OUT", out)];
    for shard in 1..=4 {
        let shard_command = command.replace("{}", &shard.to_string());
        run_in(&dir, "bash", &["-c", &shard_command], &env);
    }
    run_in(&dir, "bash", &["-c", merge], &env);
    assert_same(&dir.join("out/merged"), &single);
}

/// The Dockerfile builds the binary Cargo.toml names and copies it and the
/// scenarios where the image's commands expect them; every `docker run`
/// command in the docs runs with that binary from a directory laid out as
/// the image's working directory; the manifests use the image the docs
/// build.
#[test]
#[cfg_attr(
    not(feature = "raft-rs"),
    ignore = "the docs' commands run isolate-rejoin, which has raft-rs variants"
)]
fn the_dockerfile_agrees_with_the_binary_the_docs_and_the_manifests() {
    let dockerfile = read("Dockerfile");
    let cargo = read("Cargo.toml");
    assert!(cargo.contains("[[bin]]\nname = \"raftsim\""));
    assert!(dockerfile.contains("cargo build --release --locked --bin raftsim"));
    assert!(
        dockerfile.contains("COPY --from=build /src/target/release/raftsim /usr/local/bin/raftsim")
    );
    assert!(dockerfile.contains("COPY scenarios /raftsim/scenarios"));
    assert!(dockerfile.contains("WORKDIR /raftsim"));
    assert!(dockerfile.contains("ENTRYPOINT [\"raftsim\"]"));
    assert!(Path::new(&repo("scenarios/isolate-rejoin.json")).is_file());
    for manifest in [
        "deploy/kubernetes/sweep-job.yaml",
        "deploy/kubernetes/merge-job.yaml",
    ] {
        assert_eq!(
            yaml_value(&read(manifest), "image"),
            "raftsim:latest",
            "{manifest}"
        );
    }
    // The image's working directory: the scenarios, and an out/ a volume
    // would provide.
    let image = scratch("image");
    std::fs::create_dir_all(image.join("scenarios")).unwrap();
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            image.join("scenarios").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    std::fs::create_dir_all(image.join("out")).unwrap();
    let mut commands = Vec::new();
    for page in ["README.md", "docs/CLUSTERS.md", "Dockerfile"] {
        let docs = read(page);
        assert!(
            page == "README.md" && !docs.contains("docker run")
                || docs.contains("docker build -t raftsim ."),
            "{page} builds the image as `docker build -t raftsim .`"
        );
        for line in docs.lines() {
            let line = line.trim_start_matches(['#', ' ']);
            if let Some(rest) = line.strip_prefix("docker run --rm ") {
                let rest = match rest.strip_prefix("-v \"$PWD/out:/raftsim/out\" ") {
                    Some(after_volume) => after_volume,
                    None => rest,
                };
                let args = rest.strip_prefix("raftsim ").expect("the image raftsim");
                commands.push(args.to_string());
            }
        }
    }
    assert!(commands.len() >= 3, "{commands:?}");
    for args in commands {
        let args: Vec<&str> = args.split_whitespace().collect();
        let out = Command::new(env!("CARGO_BIN_EXE_raftsim"))
            .current_dir(&image)
            .args(&args)
            .env_remove("RAFTSIM_SEED")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}
