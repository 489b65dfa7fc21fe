//! The results directory is written as a whole (issue 14): a second run into the same `--out`
//! leaves none of the first run's files, a killed run leaves the old results or the new ones (or,
//! killed between the two renames that replace the directory, the old ones beside it) but never
//! a mix, and a bad `--out` is refused before any work.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn exactlif() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_exactlif"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn run(model: &Path, out: &Path) -> Output {
    exactlif()
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// Every file of a directory with its bytes (none for a missing directory).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The hidden staging and old directories a run leaves beside its target.
fn leftovers(parent: &Path) -> Vec<String> {
    fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn a_second_run_into_the_same_out_leaves_none_of_the_first_runs_files() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("results");
    assert!(run(&fixture("tutorial_firing.toml"), &out).status.success());
    assert!(out.join("v.csv").exists() && out.join("Population_1.png").exists());
    // a model that records spikes only, of another population
    let model = root.path().join("other.toml");
    fs::write(
        &model,
        "[simulation]\ntimestep = 0.1\nduration = 20.0\n\n[[populations]]\nlabel = \"other\"\n\
         size = 2\ncell_type = \"IF_curr_exp\"\nrecord = [\"spikes\"]\n\
         [populations.parameters]\ni_offset = 1.0\n",
    )
    .unwrap();
    let r = run(&model, &out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(
        names,
        ["data.bin", "other.png", "spikes.csv", "summary.json"],
        "only the second run's files"
    );
    assert!(
        leftovers(root.path()).is_empty(),
        "{:?}",
        leftovers(root.path())
    );
}

#[test]
fn a_bad_out_is_refused_before_any_work() {
    let root = tempfile::tempdir().unwrap();
    // a regular file
    let file = root.path().join("results");
    fs::write(&file, b"keep me").unwrap();
    let r = run(&fixture("tutorial_firing.toml"), &file);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("--out") && err.contains("not a directory"),
        "{err}"
    );
    assert!(
        r.stdout.is_empty(),
        "nothing simulated: {}",
        String::from_utf8_lossy(&r.stdout)
    );
    assert_eq!(fs::read(&file).unwrap(), b"keep me");
    // a directory that holds something else than results is not replaced
    let dir = root.path().join("mine");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("notes.txt"), b"mine").unwrap();
    let r = run(&fixture("tutorial_firing.toml"), &dir);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("notes.txt"), "{err}");
    assert_eq!(
        snapshot(&dir).into_keys().collect::<Vec<_>>(),
        ["notes.txt"]
    );
    assert_eq!(leftovers(root.path()), Vec::<String>::new());
}

#[test]
#[cfg(unix)]
#[cfg_attr(debug_assertions, ignore = "times a release run: run with --release")]
fn a_killed_run_leaves_the_old_results_or_the_new_ones_never_a_mix() {
    let root = tempfile::tempdir().unwrap();
    let (old_model, new_model) = (fixture("tutorial_firing.toml"), fixture("cuba.toml"));
    // what a complete new run writes (its spikes are deterministic)
    let reference = root.path().join("reference");
    assert!(run(&new_model, &reference).status.success());
    let new = snapshot(&reference);
    let out = root.path().join("results");
    let (mut saw_old, mut saw_new) = (0, 0);
    for delay_ms in [0, 5, 20, 50, 100, 150, 200, 250, 300, 400, 1000] {
        let _ = fs::remove_dir_all(&out);
        assert!(run(&old_model, &out).status.success());
        let old = snapshot(&out);
        let mut child = exactlif()
            .arg("run")
            .arg(&new_model)
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no cleanup runs
        let _ = child.wait();
        let now = snapshot(&out);
        if now == old {
            saw_old += 1;
        } else if now.is_empty() {
            // killed between the two renames of the commit: the old results are intact
            // beside the target, under `.results.old-*`
        } else {
            let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
            assert_eq!(
                names(&now),
                names(&new),
                "killed after {delay_ms} ms: a mix"
            );
            assert_eq!(now["spikes.csv"], new["spikes.csv"], "after {delay_ms} ms");
            saw_new += 1;
        }
        // what a killed run may leave beside the target: only hidden staging directories (or,
        // killed within the commit, the old results)
        for name in leftovers(root.path()) {
            assert!(
                name.starts_with(".results.staging-") || name.starts_with(".results.old-"),
                "{name}"
            );
            fs::remove_dir_all(root.path().join(name)).unwrap();
        }
    }
    assert!(saw_old > 0 && saw_new > 0, "old {saw_old}, new {saw_new}");
}

/// Issue 14: a crafted `data.bin` whose first length prefix claims a terabyte is a clear error
/// of `plot` and `compare`, in words, not an abort on a huge allocation.
#[test]
fn a_crafted_data_bin_is_an_error_not_an_abort() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("results");
    assert!(run(&fixture("tutorial.toml"), &out).status.success());
    let path = out.join("data.bin");
    let mut data = fs::read(&path).unwrap();
    // after the magic and the version (12 bytes), the first field, the backend's name, starts
    // with its length: 0xFD and a u64 is bincode's varint for a large number
    let mut crafted = vec![0xFD];
    crafted.extend_from_slice(&(1u64 << 40).to_le_bytes());
    data.splice(12..13, crafted);
    fs::write(&path, &data).unwrap();
    for args in [vec!["plot"], vec!["compare", out.to_str().unwrap()]] {
        let r = exactlif().args(&args).arg(&out).output().unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            r.status.code().is_some(),
            "{args:?}: killed by a signal: {err}"
        );
        assert_ne!(r.status.code(), Some(0), "{args:?}");
        assert!(
            err.contains("data.bin") && err.contains("larger than the file"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("LimitExceeded"), "{args:?}: {err}");
    }
}
