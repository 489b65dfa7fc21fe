//! Issue 14, "absurd magnitudes" and "tau_refrac = 0 fires without bound": the validity domain
//! of `src/model/if_curr_exp.rs` (every value the closed form and the solver cover) and the
//! exact engine's runaway rule (`engine::shortest_interval`). One test per defect, named after
//! it: each absurd model now ends in exit status 2 with one line naming the file, the item and
//! the key (with the allowed range) and writes nothing; a model at the edge of the domain runs
//! exactly; and no NaN or infinite value ever reaches a results file (`io::output`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use exactlif::{CellType, CurrentSource, Network, Setup, Var};

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

/// Issue 14: `i_offset` near 1e307 passed validation and gave exit status 0 with NaN rows
/// (`i_offset tau_m / cm` overflows). It is outside the currents of the domain, [-1e6, 1e6] nA.
#[test]
fn i_offset_1e307_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path(), "i_offset = 1e307", "");
    refused(
        dir.path(),
        &m,
        &[
            ":11:1: population \"p\": `i_offset`",
            "[-1e6, 1e6] nA",
            "1e307",
        ],
    );
}

/// An `i_offset` inside the current range can still take `v_inf = v_rest + i_offset tau_m /
/// cm` out of [-1e6, 1e6] mV: refused under `i_offset`, with the numbers.
#[test]
fn i_offset_with_v_inf_out_of_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path(), "i_offset = 1000.0\ncm = 0.001", "");
    refused(
        dir.path(),
        &m,
        &[
            "`i_offset`",
            "-65 + 1000*20/0.001 = 19999935 mV",
            "[-1e6, 1e6] mV",
        ],
    );
}

/// Issue 14: a DC amplitude near 1e307 gave exit status 0 with NaN rows. Refused at the
/// source's `amplitude`; and an amplitude inside the current range that takes a cell's `v_inf`
/// out of the domain is refused naming the source, the cell and the time it switches on.
#[test]
fn dc_amplitude_1e307_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dc = "[[current_sources]]\ntype = \"DCSource\"\namplitude = 1e307\ninject_into = \"p\"\n";
    let m = model(dir.path(), "", dc);
    refused(
        dir.path(),
        &m,
        &["current source 0 (DCSource): `amplitude`", "[-1e6, 1e6] nA"],
    );
    let dir = tempfile::tempdir().unwrap();
    let dc = "[[current_sources]]\ntype = \"DCSource\"\namplitude = 60000.0\nstart = 2.5\n\
              inject_into = \"p\"\ncells = [1]\n";
    let m = model(dir.path(), "", dc);
    refused(
        dir.path(),
        &m,
        &[
            "current source 0 (DCSource): `amplitude`",
            "cell 1 of population \"p\" from t = 2.5 ms",
            "= 1199935 mV",
            "[-1e6, 1e6] mV",
        ],
    );
}

/// Issue 14: `tau_syn_E >= 1e18` ms missed crossings (v samples stood 4 mV above threshold):
/// `Kmax_E` rounded to 0. Time constants are refused outside [1e-6, 1e6] ms.
#[test]
fn tau_syn_1e18_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path(), "tau_syn_E = 1e18", "");
    refused(
        dir.path(),
        &m,
        &["`tau_syn_E`", "[1e-6, 1e6] ms", "got 1e18"],
    );
    for (line, key) in [
        ("tau_m = 1e-7", "`tau_m`"),
        ("tau_syn_I = 2e6", "`tau_syn_I`"),
        ("cm = 1e-9", "`cm`"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let m = model(dir.path(), line, "");
        refused(dir.path(), &m, &[key]);
    }
}

/// The slow edge of the domain: `tau_syn_E = 1e6` ms (the current stays almost constant) with
/// `tau_m = 20` ms is simulated exactly. A 4 nA input at 2 ms holds `v_inf` near -65 + 4 * 20
/// = 15 mV, above threshold: the cell fires where the closed form first reaches -50 mV.
#[test]
fn slow_synapse_at_the_domain_edge_fires() {
    use exactlif::{Connector, Receptor, SpikeTimes, StaticSynapse};
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let src = net.create("src", 1, CellType::SpikeSourceArray).unwrap();
    net.set_spike_times(&src, SpikeTimes::Same(vec![1.0]))
        .unwrap();
    let cell = net.create("cell", 1, CellType::IfCurrExp).unwrap();
    net.set(&cell, "tau_syn_E", 1e6).unwrap();
    net.connect(
        src,
        cell,
        Connector::OneToOne,
        StaticSynapse::new(4.0, 1.0),
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    net.record(cell, &[Var::Spikes]).unwrap();
    let mut sim = net.build().unwrap();
    sim.run(50.0);
    let data = sim.get_data();
    let t = &data.populations[1].spiketrains[0].times_ms;
    // v(s) = -65 + 4 K(s), K(s) = (e^{-s/20} - e^{-s/1e6}) / (1/1e6 - 1/20), s after 2 ms
    let (lm, le) = (1.0 / 20.0, 1e-6);
    let v = |s: f64| -65.0 + 4.0 * ((-lm * s).exp() - (-le * s).exp()) / (le - lm);
    let (mut a, mut b) = (0.0, 20.0);
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if v(m) >= -50.0 {
            b = m
        } else {
            a = m
        }
    }
    assert!(!t.is_empty(), "the crossing is found");
    assert!((t[0] - (2.0 + b)).abs() < 1e-9, "{} vs {}", t[0], 2.0 + b);
}

/// Issue 14: v(0) was written as 0.0 when |v_rest| was near 1e308. Potentials are refused
/// outside [-1e6, 1e6] mV, initial values too.
#[test]
fn v_rest_1e308_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = model(dir.path(), "v_rest = -1e308\nv_reset = -1e308", "");
    refused(
        dir.path(),
        &m,
        &["`v_rest`", "[-1e6, 1e6] mV", "got -1e308"],
    );
    let dir = tempfile::tempdir().unwrap();
    let m = model(
        dir.path(),
        "",
        "[populations.initial_values]\nv = 2e6\nisyn_exc = 1e9\n",
    );
    refused(dir.path(), &m, &["`v`", "initial value", "got 2000000 mV"]);
}

/// A weight beyond the current range (1e307 nA gave NaN as `isyn_exc` overflowed `v`) is
/// refused at the projection's `weight`, as a wrong sign is.
#[test]
fn weight_1e307_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let proj = "[[populations]]\nlabel = \"src\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\n\
                [populations.parameters]\nspike_times = [1.0]\n\n[[projections]]\n\
                presynaptic = \"src\"\npostsynaptic = \"p\"\n\
                connector = { type = \"AllToAllConnector\" }\n\
                synapse = { type = \"StaticSynapse\", weight = 1e307, delay = 1.0 }\n";
    let m = model(dir.path(), "", proj);
    refused(
        dir.path(),
        &m,
        &["projection \"src->p\": `synapse.weight`", "[-1e6, 1e6] nA"],
    );
}

/// The library refuses the same values between runs: `set_parameter`, `initialize` and a
/// current source whose injection takes `v_inf` out of the domain; nothing changes.
#[test]
fn changes_between_runs_stay_in_the_domain() {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let cells = net.create("cells", 2, CellType::IfCurrExp).unwrap();
    net.record(cells, &[Var::V]).unwrap();
    net.inject(
        CurrentSource::Dc {
            amplitude: 10.0,
            start: 0.0,
            stop: f64::INFINITY,
        },
        cells.view(&[1]),
    )
    .unwrap();
    let mut sim = net.build().unwrap();
    sim.run(1.0);
    for (name, x) in [
        ("tau_syn_E", 1e18),
        ("v_rest", -1e308),
        ("i_offset", 1e307),
        ("cm", 1e-9),
    ] {
        let e = sim.set_parameter("cells", name, &[x]).unwrap_err();
        assert!(e.to_string().contains(name), "{e}");
    }
    // 10 nA injected into cell 1: cm = 1e-3 gives v_inf = -65 + 10 * 20 / 1e-3 = 199935 mV,
    // in range; cm = 1e-4 gives 1999935 mV with the DC, out of range (cell 0 alone would do)
    sim.set_parameter("cells", "cm", &[1e-3]).unwrap();
    let e = sim.set_parameter("cells", "cm", &[1e-4]).unwrap_err();
    assert!(
        e.to_string().contains("cell 1") && e.to_string().contains("injected"),
        "{e}"
    );
    let e = sim.initialize("cells", Var::V, &[-1e308]).unwrap_err();
    assert!(e.to_string().contains("[-1e6, 1e6] mV"), "{e}");
    let e = sim.initialize("cells", Var::IsynExc, &[1e300]).unwrap_err();
    assert!(e.to_string().contains("[-1e6, 1e6] nA"), "{e}");
    net.inject(
        CurrentSource::Dc {
            amplitude: 1e6,
            start: 0.0,
            stop: f64::INFINITY,
        },
        cells,
    )
    .unwrap();
    // cell 0 comes first, and its first (only) source is the new one
    let e = net.update_current_sources(&mut sim).unwrap_err();
    assert!(e.to_string().contains("current source 1"), "{e}");
    sim.run(1.0);
    let v = &sim.get_data().populations[0].signals[0];
    assert!(v.values.iter().flatten().all(|x| x.is_finite()));
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
        seeding: Default::default(),
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
    let net = common::two_runaway_cells(&[Var::Spikes]);
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

/// Issue 14: NaN rows reached the results files with exit status 0. The writer refuses any NaN
/// or infinite value and writes nothing. No valid model gives one on the exact backend; forward
/// Euler does, where the timestep (1 ms) is more than twice tau_syn_E (0.1 ms): `isyn_exc`
/// grows by -9 per step to infinity. Exit status 1 (not bad input: the scheme diverged), one
/// line naming the results directory, the value and the cause.
#[test]
fn nan_never_reaches_a_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = "[[populations]]\nlabel = \"src\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\n\
               [populations.parameters]\nspike_times = [1.0]\n\n[[projections]]\n\
               presynaptic = \"src\"\npostsynaptic = \"p\"\n\
               connector = { type = \"AllToAllConnector\" }\n\
               synapse = { type = \"StaticSynapse\", weight = 1.0, delay = 1.0 }\n";
    let m = model(dir.path(), "tau_syn_E = 0.1", src);
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replace(
            "timestep = 0.1\nduration = 10.0",
            "timestep = 1.0\nduration = 500.0",
        )
        .replace("record = [\"v\", ", "record = [\"v\", \"isyn_exc\", ");
    std::fs::write(&m, text).unwrap();
    let out = dir.path().join("out");
    let run = |backend: &str| {
        exactlif(
            &[
                "run",
                m.to_str().unwrap(),
                "--backend",
                backend,
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        )
    };
    let o = run("euler");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for part in [
        &format!("error: {}: forward Euler diverged", out.display()),
        "isyn_exc of population \"p\", cell 0, at t = ",
        "so nothing was written",
    ] {
        assert!(stderr.contains(part), "{part:?} not in {stderr}");
    }
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the model"
    );
    // the exact backend runs the same model to finite values
    let o = run("exact");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = std::fs::read_to_string(out.join("isyn_exc.csv")).unwrap();
    assert!(!v.contains("NaN") && !v.contains("inf"));
}
