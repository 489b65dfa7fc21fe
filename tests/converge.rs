//! `exactlif converge`: the convergence study of the step-based backends against the exact run
//! (src/converge.rs), through the binary as a user runs it and through the library.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use exactlif::converge::{run_study, Study, CSV_HEADER};
use exactlif::io::model_file::load_model;

fn exactlif(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("spawn exactlif")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("converge.json")).expect("converge.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The rows of one backend, largest step first: (step, value of `field`).
fn column(study: &serde_json::Value, backend: &str, field: &str) -> Vec<(f64, Option<f64>)> {
    study["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["backend"] == backend)
        .map(|r| (r["step_ms"].as_f64().unwrap(), r[field].as_f64()))
        .collect()
}

fn order(study: &serde_json::Value, backend: &str, error: &str) -> Option<f64> {
    study["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["backend"] == backend && f["error"] == error)
        .and_then(|f| f["order"].as_f64())
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

/// The tutorial's firing cells at steps 0.4, 0.2, 0.1 and 0.05 ms: exit status 0, the three
/// files in the default directory `results/<stem>/converge`, a row per backend and step, the
/// printed table with the fitted orders. The grid spike-time error never grows as the step
/// shrinks, and Euler's RMS v error shrinks at every halving.
///
/// (On this model every cell is the same and every spike falls just before a grid point shared
/// by all of 0.2, 0.1 and 0.05 ms — the first at 23.979 ms, all three steps put it at 24.0 — so
/// the grid error is the same at those steps: first-order convergence is checked below on cells
/// whose spikes fall at spread phases of the grid.)
#[test]
fn tutorial_firing_study() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("tutorial_firing.toml");
    let o = exactlif(
        &[
            "converge",
            model.to_str().unwrap(),
            "--steps",
            "0.4,0.2,0.1,0.05",
        ],
        dir.path(),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("fitted order"), "{out}");
    assert!(out.contains("grid") && out.contains("euler"), "{out}");
    let res = dir.path().join("results/tutorial_firing/converge");
    for f in ["converge.csv", "converge.json", "converge.png"] {
        assert!(res.join(f).is_file(), "missing {f}");
    }
    assert!(is_png(&res.join("converge.png")));
    let csv = std::fs::read_to_string(res.join("converge.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(lines.len(), 1 + 2 * 4, "{csv}");

    let study = json(&res);
    assert_eq!(study["tolerance_ms"].as_f64(), Some(1.0)); // max(2 * 0.4, 1)
    assert_eq!(study["exact_runs"].as_array().unwrap().len(), 1);
    assert_eq!(study["exact_runs"][0]["timestep_ms"].as_f64(), Some(0.05));
    let grid = column(&study, "grid", "mean_abs_error_ms");
    assert_eq!(
        grid.iter().map(|r| r.0).collect::<Vec<_>>(),
        [0.4, 0.2, 0.1, 0.05]
    );
    for w in grid.windows(2) {
        let (a, b) = (w[0].1.unwrap(), w[1].1.unwrap());
        assert!(b <= a * (1.0 + 1e-12), "grid error grew: {grid:?}");
    }
    assert!(grid[3].1.unwrap() < grid[0].1.unwrap());
    // Every spike matched: 100 cells, 4 spikes each.
    for r in study["rows"].as_array().unwrap() {
        assert_eq!(r["matched"].as_u64(), Some(400), "{r}");
        assert_eq!(r["missed"].as_u64(), Some(0), "{r}");
        assert_eq!(r["extra"].as_u64(), Some(0), "{r}");
    }
    let euler_v = column(&study, "euler", "v_rms_error_mv");
    for w in euler_v.windows(2) {
        assert!(
            w[1].1.unwrap() < w[0].1.unwrap(),
            "Euler v error does not shrink: {euler_v:?}"
        );
    }
    let euler_t = column(&study, "euler", "mean_abs_error_ms");
    for w in euler_t.windows(2) {
        assert!(w[1].1.unwrap() < w[0].1.unwrap(), "{euler_t:?}");
    }
}

/// Cells with spread firing phases (the tutorial's cells with `i_offset` uniform in
/// [1.1, 1.5] nA, so that spikes fall anywhere inside a step): the grid backend is first
/// order — its spike-time error shrinks at every halving of the step and the fitted order is
/// about 1 — and so is Euler. A tolerance of 2 ms keeps the drift of these regularly firing
/// cells at 0.4 ms (up to a step per spike) counted as error rather than as missed spikes.
#[test]
fn spread_phases_converge_at_first_order() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("tutorial_firing.toml"))
        .unwrap()
        .replace(
            "i_offset = 1.1",
            "i_offset = { distribution = \"uniform\", low = 1.1, high = 1.5 }",
        );
    let model = dir.path().join("spread.toml");
    std::fs::write(&model, text).unwrap();
    let o = exactlif(
        &[
            "converge",
            model.to_str().unwrap(),
            "--steps",
            "0.05,0.1,0.2,0.4",
            "--tolerance-ms",
            "2",
            "--out",
            "study",
        ],
        dir.path(),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let study = json(&dir.path().join("study"));
    assert_eq!(study["tolerance_ms"].as_f64(), Some(2.0));
    for backend in ["grid", "euler"] {
        let e = column(&study, backend, "mean_abs_error_ms");
        for w in e.windows(2) {
            assert!(
                w[1].1.unwrap() < w[0].1.unwrap(),
                "{backend} error does not shrink: {e:?}"
            );
        }
        let p = order(&study, backend, "mean_abs_error_ms").unwrap();
        assert!((0.7..1.3).contains(&p), "{backend} order {p}\n{out}");
        let v = column(&study, backend, "v_rms_error_mv");
        assert!(v[3].1.unwrap() < v[0].1.unwrap(), "{v:?}");
    }
}

/// A step longer than the network's shortest delay is run, with the delays below one step
/// lengthened to one step, and flagged: a note on the output and `delays_lengthened` in the
/// table.
#[test]
fn step_longer_than_a_delay_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("chain.toml");
    std::fs::write(
        &model,
        r#"
[simulation]
timestep = 0.1
duration = 50.0
min_delay = 0.2

[[populations]]
label = "a"
size = 1
cell_type = "IF_curr_exp"
record = ["spikes", "v"]
parameters = { i_offset = 1.5, tau_m = 10.0, v_thresh = -55.0, tau_refrac = 1.0 }

[[populations]]
label = "b"
size = 1
cell_type = "IF_curr_exp"
record = ["spikes", "v"]

[[projections]]
presynaptic = "a"
postsynaptic = "b"
connector = { type = "AllToAllConnector" }
synapse = { weight = 5.0, delay = 0.2 }
"#,
    )
    .unwrap();
    let o = exactlif(
        &[
            "converge",
            model.to_str().unwrap(),
            "--steps",
            "0.5,0.1",
            "--out",
            "study",
        ],
        dir.path(),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("step 0.5 ms exceeds the network's shortest delay (0.2 ms"),
        "{out}"
    );
    let study = json(&dir.path().join("study"));
    for r in study["rows"].as_array().unwrap() {
        let long = r["step_ms"].as_f64().unwrap() > 0.2;
        assert_eq!(r["delays_lengthened"].as_bool(), Some(long), "{r}");
    }
}

/// Bad `--steps` and invalid models: exit status 2, a clear message, nothing written.
#[test]
fn bad_arguments_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("tutorial_firing.toml");
    let m = model.to_str().unwrap();
    for (steps, expect) in [
        ("0.1,0", "finite number > 0"),
        ("-0.1", "finite number > 0"),
        ("500", "longer than the run"),
        ("0.1,x", "invalid value"),
    ] {
        let o = exactlif(
            &["converge", m, "--steps", steps, "--out", "study"],
            dir.path(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "--steps {steps}: {err}");
        assert!(err.contains(expect), "--steps {steps}: {err}");
        assert!(!dir.path().join("study").exists());
    }
    let o = exactlif(
        &["converge", "no_such_model.toml", "--out", "study"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("study").exists());
}

/// The library: a step that is not a whole multiple of the smallest gets its own exact run,
/// and the exact spikes are the same whatever the exact run's timestep (only its sampling grid
/// differs), which is what lets the study sample the exact run at the smallest step.
#[test]
fn exact_runs_per_grid_agree() {
    let model = load_model(&fixture("tutorial_firing.toml")).unwrap();
    let mut lines = Vec::new();
    let study: Study = run_study(&model, &[0.3, 0.2], None, &mut |l| {
        lines.push(l.to_string())
    })
    .unwrap();
    assert_eq!(study.steps_ms, vec![0.3, 0.2]);
    let steps: Vec<f64> = study.exact_runs.iter().map(|e| e.timestep_ms).collect();
    assert_eq!(steps, vec![0.3, 0.2]);
    assert_eq!(study.exact_runs[0].spikes, study.exact_runs[1].spikes);
    assert!(study
        .notes
        .iter()
        .any(|n| n.contains("not a whole multiple")));
    assert_eq!(lines.len(), 2 + 4, "{lines:?}");
    let row = study.rows_of("grid").next().unwrap();
    assert_eq!(row.exact_timestep_ms, 0.3);
    // v compared at every sample of the 0.3-ms run: k * 0.3 for k = 0 ..= 333.
    assert_eq!(row.v_times, Some(334));

    // Exact spike trains at two timesteps are identical.
    let run = |h: f64| {
        let mut net = model.network.clone();
        net.setup.timestep = h;
        let mut sim = net.build().unwrap();
        sim.run_until(model.duration);
        common::data(&sim)
    };
    let (a, b) = (run(0.1), run(0.03));
    for (p, q) in a.populations.iter().zip(&b.populations) {
        for (s, t) in p.spiketrains.iter().zip(&q.spiketrains) {
            assert_eq!(s.times_ms, t.times_ms);
        }
    }
}
