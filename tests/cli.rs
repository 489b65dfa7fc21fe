//! The `exactlif` binary as a user runs it: valid runs write the SPEC §4 layout, `check` and
//! `run` warn about populations that can never fire, and every bad-input rule of SPEC §5 exits
//! with status 2, names the file, item and key (with a suggestion where one is obvious), and
//! writes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn exactlif(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("spawn exactlif")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The tutorial as a new user runs it: the never-fires warning with the numbers, the layout of
/// SPEC §4, a figure, and a summary line per population.
#[test]
fn tutorial_run_warns_and_writes_results() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("tutorial.toml");
    let o = exactlif(&["run", model.to_str().unwrap()], dir.path());
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: population \"Population 1\""),
        "{err}"
    );
    assert!(
        err.contains("-64 mV") && err.contains("v_thresh = -55 mV"),
        "{err}"
    );
    assert!(
        out.contains("Population 1") && out.contains("0 spikes"),
        "{out}"
    );
    let res = dir.path().join("results/tutorial");
    for f in [
        "spikes.csv",
        "v.csv",
        "summary.json",
        "data.bin",
        "Population_1.png",
    ] {
        assert!(res.join(f).is_file(), "missing {f}");
    }
    let v = std::fs::read_to_string(res.join("v.csv")).unwrap();
    let mut lines = v.lines();
    assert_eq!(lines.next(), Some("population,neuron,time_ms,v"));
    assert_eq!(lines.next(), Some("Population 1,0,0.0,-65.0"));
    assert_eq!(v.lines().count(), 1 + 100 * 1001);
    assert_eq!(
        std::fs::read_to_string(res.join("spikes.csv")).unwrap(),
        "population,neuron,time_ms\n"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["backend"], "exact");
    assert_eq!(summary["populations"][0]["spikes"], 0);
    for key in ["seed", "duration_ms", "wall_time_s", "build_time_s"] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert!(summary["events"].get("synaptic_inputs").is_some());
}

/// The firing variant: first spikes at tau_m ln(11), written with shortest round-trip floats,
/// and `plot` redraws the figure from data.bin.
#[test]
fn firing_tutorial_and_replot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = exactlif(
        &[
            "run",
            fixture("tutorial_firing.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(
        !text(&o).1.contains("warning"),
        "no warning for a firing population"
    );
    let spikes = std::fs::read_to_string(out.join("spikes.csv")).unwrap();
    let first: Vec<&str> = spikes.lines().nth(1).unwrap().split(',').collect();
    let t: f64 = first[2].parse().unwrap();
    assert!((t - 10.0 * 11f64.ln()).abs() < 1e-12, "{t}");
    assert_eq!(first[..2], ["Population 1", "0"]);
    std::fs::remove_file(out.join("Population_1.png")).unwrap();
    let o = exactlif(&["plot", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(out.join("Population_1.png").is_file());
}

#[test]
fn check_validates_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let o = exactlif(
        &[
            "check",
            fixture("tutorial_heterogeneous.toml").to_str().unwrap(),
        ],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("valid"), "{out}");
    assert!(
        err.contains("can ever fire") || err.contains("can never fire"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "check wrote something"
    );
}

#[test]
fn help_on_every_command_has_an_example() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["run", "check", "plot", "compare", "converge", "export-pynn"] {
        let o = exactlif(&[cmd, "--help"], dir.path());
        let (out, _) = text(&o);
        assert!(o.status.success());
        assert!(
            out.contains("Example"),
            "{cmd} --help lacks an example:\n{out}"
        );
    }
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("tutorial.toml");
    let o = exactlif(
        &[
            "run",
            model.to_str().unwrap(),
            "--backend",
            "rk4",
            "--out",
            "x",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("rk4"));
    assert!(!dir.path().join("x").exists());
    let o = exactlif(&["run", "does_not_exist.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("does_not_exist.toml"));
    let o = exactlif(&["plot", dir.path().to_str().unwrap()], dir.path());
    assert_eq!(
        o.status.code(),
        Some(2),
        "a directory without data.bin is not a results directory (bad input, as for compare)"
    );
}

const HEAD: &str = "[simulation]\ntimestep = 0.1\nduration = 10.0\n\n";
const CELLS: &str = "[[populations]]\nlabel = \"cells\"\nsize = 3\ncell_type = \"IF_curr_exp\"\nrecord = [\"v\", \"spikes\"]\n";
const SRC: &str = "[[populations]]\nlabel = \"src\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\n[populations.parameters]\nspike_times = [1.0, 2.0]\n";

fn proj(extra: &str) -> String {
    format!("{HEAD}{SRC}{CELLS}[[projections]]\npresynaptic = \"src\"\npostsynaptic = \"cells\"\n{extra}")
}

/// Every SPEC §5 rule: exit status 2, a message with the file name and each expected fragment
/// (item, key, suggestion), and no output directory.
#[test]
fn bad_input_exits_2_names_the_problem_and_writes_nothing() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("misspelt parameter", format!("{HEAD}{CELLS}[populations.parameters]\nt_refrac = 2.0\n"), vec!["population \"cells\"", "t_refrac", "tau_refrac"]),
        ("unknown key in simulation", "[simulation]\ntimestep = 0.1\nduraton = 10.0\n".to_string(), vec!["duraton", "duration"]),
        ("unknown cell type", format!("{HEAD}[[populations]]\nlabel = \"x\"\nsize = 1\ncell_type = \"IF_cur_exp\"\n"), vec!["cell_type", "IF_curr_exp"]),
        ("wrong type", format!("{HEAD}{CELLS}[populations.parameters]\ntau_m = \"fast\"\n"), vec!["cells", "tau_m"]),
        ("list of wrong length", format!("{HEAD}{CELLS}[populations.parameters]\ni_offset = [0.1, 0.2]\n"), vec!["cells", "i_offset", "3"]),
        ("cm <= 0", format!("{HEAD}{CELLS}[populations.parameters]\ncm = 0.0\n"), vec!["cells", "cm"]),
        ("tau_m <= 0", format!("{HEAD}{CELLS}[populations.parameters]\ntau_m = -1.0\n"), vec!["cells", "tau_m"]),
        ("tau_syn_E <= 0", format!("{HEAD}{CELLS}[populations.parameters]\ntau_syn_E = 0.0\n"), vec!["cells", "tau_syn_E"]),
        ("tau_refrac < 0", format!("{HEAD}{CELLS}[populations.parameters]\ntau_refrac = -0.5\n"), vec!["cells", "tau_refrac"]),
        ("v_reset >= v_thresh", format!("{HEAD}{CELLS}[populations.parameters]\nv_reset = -50.0\n"), vec!["cells", "v_reset"]),
        ("drawn v_reset >= v_thresh", format!("{HEAD}{CELLS}[populations.parameters]\nv_reset = {{ distribution = \"uniform\", low = -49.0, high = -48.0 }}\n"), vec!["cells", "v_reset"]),
        ("negative rate", format!("{HEAD}[[populations]]\nlabel = \"noise\"\nsize = 2\ncell_type = \"SpikeSourcePoisson\"\n[populations.parameters]\nrate = -5.0\n"), vec!["noise", "rate"]),
        ("unsorted spike_times", format!("{HEAD}[[populations]]\nlabel = \"src\"\nsize = 1\ncell_type = \"SpikeSourceArray\"\n[populations.parameters]\nspike_times = [3.0, 1.0]\n"), vec!["src", "spike_times", "sort"]),
        ("unsorted step times", format!("{HEAD}{CELLS}[[current_sources]]\ntype = \"StepCurrentSource\"\ntimes = [5.0, 2.0]\namplitudes = [0.1, 0.2]\ninject_into = \"cells\"\n"), vec!["current source", "times"]),
        ("delay < min_delay", proj("connector = { type = \"AllToAllConnector\" }\nsynapse = { type = \"StaticSynapse\", weight = 1.0, delay = 0.05 }\n"), vec!["src->cells", "delay", "min_delay"]),
        ("timestep <= 0", "[simulation]\ntimestep = 0.0\nduration = 10.0\n".to_string(), vec!["simulation", "timestep"]),
        ("negative excitatory weight", proj("connector = { type = \"AllToAllConnector\" }\nsynapse = { type = \"StaticSynapse\", weight = -1.0, delay = 1.0 }\n"), vec!["src->cells", "weight"]),
        ("positive inhibitory weight", proj("receptor_type = \"inhibitory\"\nconnector = { type = \"AllToAllConnector\" }\nsynapse = { type = \"StaticSynapse\", weight = 1.0, delay = 1.0 }\n"), vec!["src->cells", "weight"]),
        ("drawn negative excitatory weight", proj("connector = { type = \"AllToAllConnector\" }\nsynapse = { type = \"StaticSynapse\", weight = { distribution = \"normal\", mu = 0.0, sigma = 1.0 }, delay = 1.0 }\n"), vec!["src->cells", "weight"]),
        ("missing population", format!("{HEAD}{SRC}{CELLS}[[projections]]\npresynaptic = \"src\"\npostsynaptic = \"cels\"\nconnector = {{ type = \"AllToAllConnector\" }}\n"), vec!["postsynaptic", "cels", "cells"]),
        ("input into a spike source", format!("{HEAD}{SRC}{CELLS}[[projections]]\npresynaptic = \"cells\"\npostsynaptic = \"src\"\nconnector = {{ type = \"AllToAllConnector\" }}\n"), vec!["postsynaptic", "src"]),
        ("p_connect > 1", proj("connector = { type = \"FixedProbabilityConnector\", p_connect = 1.5 }\n"), vec!["src->cells", "p_connect"]),
        ("n too large without replacement", proj("connector = { type = \"FixedNumberPreConnector\", n = 5 }\n"), vec!["src->cells", "n"]),
        ("misspelt connector", proj("connector = { type = \"FixedProbabilityConector\", p_connect = 0.5 }\n"), vec!["connector", "FixedProbabilityConnector"]),
        ("nan value", format!("{HEAD}{CELLS}[populations.parameters]\nv_rest = nan\n"), vec!["cells", "v_rest"]),
        ("infinite value", format!("{HEAD}{CELLS}[populations.initial_values]\nv = -inf\n"), vec!["cells", "v"]),
        ("malformed TOML", format!("{HEAD}[[populations]]\nlabel = \"x\nsize = 1\n"), vec![":6:11:", "invalid TOML"]),
        ("unknown key in projection", proj("connector = { type = \"AllToAllConnector\" }\nweigth = 1.0\n"), vec!["weigth"]),
        ("unknown recorded variable", format!("{HEAD}[[populations]]\nlabel = \"c\"\nsize = 1\ncell_type = \"IF_curr_exp\"\nrecord = [\"vm\"]\n"), vec!["record", "vm"]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (name, toml, fragments) in &cases {
        let model = dir.path().join("bad_model.toml");
        std::fs::write(&model, toml).unwrap();
        let out = dir.path().join("out");
        let o = exactlif(
            &[
                "run",
                model.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        let (_, err) = text(&o);
        let mut problems = Vec::new();
        if o.status.code() != Some(2) {
            problems.push(format!("exit status {:?}", o.status.code()));
        }
        if !err.contains("bad_model.toml") {
            problems.push("message does not name the file".into());
        }
        for f in fragments {
            if !err.contains(f) {
                problems.push(format!("message lacks `{f}`"));
            }
        }
        if err.contains("panicked") {
            problems.push("panic".into());
        }
        if err.trim().lines().count() != 1 {
            problems.push("not one line".into());
        }
        if out.exists() {
            problems.push("wrote an output directory".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name}: {}\n    stderr: {}",
                problems.join("; "),
                err.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Determinism is tested, not promised: each fixture with random values runs twice and the
/// CSV files match byte for byte.
#[test]
fn fixtures_are_bit_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["tutorial_heterogeneous.toml", "small_network.toml"] {
        let mut outputs = Vec::new();
        for k in 0..2 {
            let out = dir.path().join(format!("{name}-{k}"));
            let o = exactlif(
                &[
                    "run",
                    fixture(name).to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                ],
                dir.path(),
            );
            assert!(o.status.success(), "{name}: {}", text(&o).1);
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "csv"))
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect();
            files.sort();
            assert!(!files.is_empty());
            outputs.push(files);
        }
        assert!(outputs[0] == outputs[1], "{name}: two runs differ");
    }
}

/// Issue 15: a build without MPI started by `mpirun -np 2` (which sets `OMPI_COMM_WORLD_SIZE`)
/// would run the whole model in each process; it refuses, exit status 2, one line with the
/// fix, nothing written.
#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_under_mpirun_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .arg("run")
        .arg(fixture("tutorial.toml"))
        .arg("--out")
        .arg(&out)
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("built without MPI") && err.contains("--features mpi"),
        "{err}"
    );
    assert!(!out.exists());
}
