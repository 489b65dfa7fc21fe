//! Issue 14, "tau_refrac = 0 fires without bound": the exact engine's runaway rule
//! (`engine::shortest_interval`). One test per defect, named after it: a model that fires
//! without bound now ends in exit status 2 with one line naming the file, the population, the
//! cell and the fix, and writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use exactlif::{CellType, Network, Setup, Var};

fn exactlif(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("spawn exactlif")
}

/// A model of one `IF_curr_exp` population "p" of two cells recording v and spikes, with the
/// given `[populations.parameters]` lines and extra TOML after it, for 10 ms.
fn model(dir: &Path, parameters: &str, extra: &str) -> PathBuf {
    let toml = format!(
        "[simulation]\ntimestep = 0.1\nduration = 10.0\n\n[[populations]]\nlabel = \"p\"\n\
         size = 2\ncell_type = \"IF_curr_exp\"\nrecord = [\"v\", \"spikes\"]\n\
         [populations.parameters]\n{parameters}\n{extra}"
    );
    let path = dir.join("model.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Runs `model` into `dir/out` and checks the refusal: exit status 2, one line on stderr
/// starting with the file name (and the position, where the key is in the file) and holding
/// every one of `parts`, and nothing written (no `out`, no staging directory beside it).
fn refused(dir: &Path, model: &Path, parts: &[&str]) -> String {
    let out = dir.join("out");
    let o = exactlif(
        &[
            "run",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir,
    );
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with(&format!("error: {}", model.display())),
        "{stderr}"
    );
    for p in parts {
        assert!(stderr.contains(p), "{p:?} not in: {stderr}");
    }
    assert!(!out.exists(), "{stderr}");
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["model.toml"], "nothing else written");
    stderr
}

/// A model whose cell 1 has no refractory period, a reset 1 nV below threshold and
/// `v_inf` = -65 + 1000 * 20 = 19935 mV: intervals of about 1e-9 ms, far below timestep/1024.
/// Cell 0 is PyNN's cell with v_inf = -43 mV (first spike after 10 ms).
fn runaway_model(dir: &Path) -> PathBuf {
    model(
        dir,
        "tau_refrac = [0.1, 0.0]\ni_offset = [1.1, 1000.0]\nv_reset = [-65.0, -50.000001]",
        "",
    )
}

/// Issue 14: `tau_refrac = 0` with strong drive fired without bound: the run hung, or aborted
/// without a word, down to intervals below one ulp. The exact engine stops at the cell's
/// first spike within timestep/1024 of its previous one: exit status 2, one line naming the
/// population, the cell, its v_inf, the cause and the fix, and nothing written; the same with
/// two threads.
#[test]
fn runaway_firing_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let m = runaway_model(dir.path());
    let parts = [
        "population \"p\", cell 1 fires without bound",
        "v_inf = 19935 mV is above v_thresh = -50 mV",
        "tau_refrac = 0 ms does not bound its rate",
        "Give it tau_refrac >= 0.00009765625 ms",
    ];
    let one = refused(dir.path(), &m, &parts);
    let o = exactlif(
        &[
            "run",
            m.to_str().unwrap(),
            "--out",
            dir.path().join("out").to_str().unwrap(),
            "--threads",
            "2",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let two = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        two.lines().last(),
        one.lines().last(),
        "the same cell and time with 2 threads"
    );
    assert!(!dir.path().join("out").exists());
}

/// A runaway leaves an earlier run's results as they were (the staged directory is removed).
#[test]
fn runaway_leaves_old_results_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let good = model(dir.path(), "i_offset = 1.0", "");
    let o = exactlif(
        &[
            "run",
            good.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success());
    let before = std::fs::read(out.join("spikes.csv")).unwrap();
    let bad = runaway_model(dir.path());
    let o = exactlif(
        &["run", bad.to_str().unwrap(), "--out", out.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(out.join("spikes.csv")).unwrap(), before);
    let hidden = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(hidden, 0, "no staging directory left");
}

/// Runaway by synaptic input: `v_inf` below threshold, but a 1e5 nA excitatory input drives
/// a cell without refractory period over it again and again. The message says so.
#[test]
fn runaway_by_synaptic_input_names_the_current() {
    let dir = tempfile::tempdir().unwrap();
    let proj = "[[populations]]\nlabel = \"src\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\n\
                [populations.parameters]\nspike_times = [1.0]\n\n[[projections]]\n\
                presynaptic = \"src\"\npostsynaptic = \"p\"\n\
                connector = { type = \"AllToAllConnector\" }\n\
                synapse = { type = \"StaticSynapse\", weight = 100000.0, delay = 1.0 }\n";
    let m = model(dir.path(), "tau_refrac = 0.0\nv_reset = -50.001", proj);
    refused(
        dir.path(),
        &m,
        &[
            "population \"p\", cell 0 fires without bound",
            "its synaptic current isyn_exc = ",
            "(v_inf = -65 mV)",
        ],
    );
}

/// The library: the run stops at the runaway spike, [`exactlif::Simulation::runaway`] names
/// the cell, further runs do nothing, and `reset` clears it (the same stop again).
#[test]
fn runaway_stops_the_simulation_until_reset() {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
    });
    let cells = net.create("cells", 3, CellType::IfCurrExp).unwrap();
    net.set(&cells, "tau_refrac", 0.0).unwrap();
    net.set(&cells, "i_offset", vec![1.1, 1.1, 1000.0]).unwrap();
    net.set(&cells, "v_reset", vec![-65.0, -65.0, -50.000001])
        .unwrap();
    net.record(cells, &[Var::Spikes, Var::V]).unwrap();
    let mut sim = net.build().unwrap();
    sim.run(100.0);
    let r = sim.runaway().expect("cell 2 runs away").clone();
    assert_eq!((r.population.as_str(), r.cell), ("cells", 2));
    assert!(r.interval_ms < r.min_interval_ms && r.min_interval_ms == 0.1 / 1024.0);
    assert_eq!(r.tau_refrac_ms, 0.0);
    assert!((r.v_inf - 19935.0).abs() < 1e-9);
    assert_eq!(sim.time(), r.t_ms);
    sim.run(10.0);
    assert_eq!(sim.time(), r.t_ms, "stopped until reset");
    let data = sim.get_data();
    assert!(data.populations[0].signals[0]
        .values
        .iter()
        .flatten()
        .all(|x| x.is_finite()));
    sim.reset();
    assert!(sim.runaway().is_none());
    sim.run(100.0);
    assert_eq!(sim.runaway(), Some(&r));
    // with cell 2 like cells 0 and 1 (v_inf = -43 mV, v_reset = -65 mV, tau_refrac = 0) all
    // fire regularly, every 20 ln((v_inf - v_reset)/(v_inf - v_thresh)) = 20 ln(22/7) ms
    sim.set_parameter("cells", "i_offset", &[1.1]).unwrap();
    sim.set_parameter("cells", "v_reset", &[-65.0]).unwrap();
    sim.reset();
    sim.run(100.0);
    assert!(sim.runaway().is_none());
    let spikes = sim.get_data().populations[0].spike_count;
    let isi = 20.0 * (22.0f64 / 7.0).ln();
    assert_eq!(spikes, 3 * (100.0 / isi) as u64);
}

/// The grid backend cannot run away: it tests the threshold once per step (as NEST's
/// `iaf_psc_exp` and Brian 2), so the same model fires cell 1 once per step.
#[test]
fn grid_backend_fires_once_per_step_with_tau_refrac_zero() {
    let dir = tempfile::tempdir().unwrap();
    let m = runaway_model(dir.path());
    let out = dir.path().join("grid");
    let o = exactlif(
        &[
            "run",
            m.to_str().unwrap(),
            "--backend",
            "grid",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let spikes = std::fs::read_to_string(out.join("spikes.csv")).unwrap();
    let cell1 = spikes.lines().filter(|l| l.starts_with("p,1,")).count();
    assert_eq!(cell1, 100, "one spike per step from t = 0.1 to 10 ms");
}

/// Of several runaway cells, the first in the order of events (time, then cell) is named, on
/// one thread as on two (cells 1 and 3 run away in different shards; cell 3 first).
#[test]
fn runaway_is_the_same_on_any_number_of_threads() {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
    });
    let cells = net.create("cells", 4, CellType::IfCurrExp).unwrap();
    net.set(&cells, "tau_refrac", 0.0).unwrap();
    net.set(&cells, "i_offset", vec![1.1, 1000.0, 1.1, 2000.0])
        .unwrap();
    net.set(
        &cells,
        "v_reset",
        vec![-65.0, -50.000001, -65.0, -50.000001],
    )
    .unwrap();
    net.record(cells, &[Var::Spikes]).unwrap();
    let mut reports = Vec::new();
    for threads in [1, 2, 4] {
        let mut sim = net.build().unwrap();
        assert_eq!(sim.set_threads(threads), threads);
        sim.run(10.0);
        reports.push(sim.runaway().expect("a runaway").clone());
    }
    assert_eq!(reports[0].cell, 3, "{}", reports[0]);
    assert!(reports.iter().all(|r| *r == reports[0]), "{reports:?}");
}
