//! The real thing (feature `mpi`, run by `.ci/run`): `mpirun -np N exactlif run MODEL` for
//! N = 1..4 (oversubscribed on CI's 2 cores) x `--threads 1, 2` writes exactly the files one
//! process writes; `summary.json` says the world size every rank saw (each rank refuses to run
//! when MPI's world size is not the launcher's). `tests/ranks.rs` checks the same with ranks
//! emulated by threads in the default `cargo test`.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn exactlif() -> &'static str {
    env!("CARGO_BIN_EXE_exactlif")
}

/// `mpirun -np {np} --oversubscribe exactlif run {model} --out {out} --threads {threads}`.
fn mpirun(np: usize, model: &Path, out: &Path, threads: usize) -> Output {
    Command::new("mpirun")
        .args(["-np", &np.to_string(), "--oversubscribe", exactlif(), "run"])
        .arg(model)
        .arg("--out")
        .arg(out)
        .args(["--threads", &threads.to_string()])
        // OpenMPI refuses root without these; CI runs as root
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .output()
        .expect("mpirun (OpenMPI) on PATH: .ci/run installs it")
}

/// The files of a results directory, by name: `summary.json` without the fields that say how
/// the run went (wall times, processes, threads, imbalance), `data.bin` without its last 16
/// bytes (the wall times), every other file as it is.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let mut bytes = std::fs::read(&p).unwrap();
            if name == "summary.json" {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let o = v.as_object_mut().unwrap();
                for k in [
                    "wall_time_s",
                    "build_time_s",
                    "processes",
                    "threads",
                    "rank_imbalance",
                    "rank_windows",
                ] {
                    o.remove(k);
                }
                bytes = serde_json::to_vec(&v).unwrap();
            } else if name == "data.bin" {
                bytes.truncate(bytes.len() - 16);
            }
            (name, bytes)
        })
        .collect();
    out.sort();
    out
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// `model` with its duration set to `duration` ms, written into `dir`.
fn shortened(model: &str, duration: f64, dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(model);
    let text = std::fs::read_to_string(&src).unwrap();
    let text = text.replace("duration = 1000.0", &format!("duration = {duration:?}"));
    let path = dir.join(src.file_name().unwrap());
    std::fs::write(&path, text).unwrap();
    path
}

fn check(model: &Path, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let o = Command::new(exactlif())
        .arg("run")
        .arg(model)
        .arg("--out")
        .arg(&one)
        .output()
        .unwrap();
    assert!(o.status.success(), "{what}: {o:?}");
    let want = files(&one);
    assert!(want.len() >= 4, "{what}: {want:?}");
    for np in 1..=4 {
        for threads in [1, 2] {
            let out = dir.path().join(format!("np{np}_t{threads}"));
            let o = mpirun(np, model, &out, threads);
            let case = format!("{what}: mpirun -np {np} --threads {threads}");
            assert!(
                o.status.success(),
                "{case}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            // one rank reports: the summary lines are printed once
            let stdout = String::from_utf8_lossy(&o.stdout);
            assert_eq!(stdout.matches("results in").count(), 1, "{case}: {stdout}");
            let s = summary(&out);
            assert_eq!(s["processes"], np, "{case}: the world size the ranks saw");
            assert_eq!(s["threads"], threads, "{case}");
            assert_eq!(s["rank_imbalance"].is_f64(), np > 1, "{case}");
            assert_eq!(
                s["rank_windows"].as_u64().is_some_and(|w| w > 0),
                np > 1,
                "{case}"
            );
            let got = files(&out);
            let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
            assert_eq!(names(&want), names(&got), "{case}: file names");
            for ((name, a), (_, b)) in want.iter().zip(&got) {
                assert!(a == b, "{case}: {name} differs from one process's");
            }
        }
    }
}

#[test]
fn tutorial_firing_over_mpi_writes_one_process_files() {
    let m = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tutorial_firing.toml");
    check(&m, "tutorial_firing");
}

#[test]
fn small_network_over_mpi_writes_one_process_files() {
    let m = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/small_network.toml");
    check(&m, "small_network");
}

#[test]
fn cuba_and_sparse_over_mpi_write_one_process_files() {
    let dir = tempfile::tempdir().unwrap();
    check(
        &shortened("fixtures/cuba.toml", 200.0, dir.path()),
        "cuba, 200 ms",
    );
    check(
        &shortened("fixtures/sparse.toml", 200.0, dir.path()),
        "sparse, 200 ms",
    );
}

/// Sources, current sources, v/isyn recorded on cells split across ranks, random weights and
/// delays, FromList.
#[test]
fn a_mixed_model_over_mpi_writes_one_process_files() {
    let m = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mpi/mixed.toml");
    check(&m, "mixed");
}

/// A process that a launcher started as one of several but that MPI sees alone (linked to
/// another MPI library than the launcher's: here MPICH's `PMI_SIZE` without MPICH) refuses to
/// run the whole model by itself: exit status 2, one line, nothing written.
#[test]
fn a_foreign_launcher_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let m = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tutorial.toml");
    let o = Command::new(exactlif())
        .arg("run")
        .arg(&m)
        .arg("--out")
        .arg(&out)
        .env("PMI_SIZE", "3")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("PMI_SIZE=3") && err.contains("MPI sees a world of 1"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Runs that stop alike on every rank: a cell that runs away is reported once, by rank 0, and
/// nothing is written; a bad `--out` is refused before any work, once.
#[test]
fn errors_over_mpi_are_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("runaway.toml");
    std::fs::write(
        &model,
        "[simulation]\ntimestep = 0.1\nduration = 20.0\n\n[[populations]]\nlabel = \"p\"\n\
         size = 4\ncell_type = \"IF_curr_exp\"\nrecord = [\"spikes\"]\n[populations.parameters]\n\
         tau_refrac = 0.0\ni_offset = [1.1, 1000.0, 1.1, 2000.0]\n\
         v_reset = [-65.0, -50.000001, -65.0, -50.000001]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = mpirun(3, &model, &out, 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code().map(|c| c != 0), Some(true), "{err}");
    assert_eq!(err.matches("fires without bound").count(), 1, "{err}");
    assert!(err.contains("cell 3"), "{err}");
    assert!(!out.exists());
    let file = dir.path().join("a_file");
    std::fs::write(&file, "x").unwrap();
    let o = mpirun(2, &model, &file, 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}
