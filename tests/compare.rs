//! `exactlif compare`: the optimal spike matching, the report of a step backend's missed spike,
//! the CSV fallback, the gate, and the command line's exit statuses.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use exactlif::compare::{compare_dirs, load_run, match_spikes, DataSource};
use exactlif::io::output::write_results;
use exactlif::Backend;
use exactlif::{AnalogSignal, EventCounts, PopulationData, SpikeTrain};
use exactlif::{
    CellType, Connector, DataBlock, Network, Receptor, Setup, SpikeTimes, StaticSynapse, Var,
};

fn exactlif(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(args)
        .output()
        .expect("spawn exactlif")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A data block with one population per `(label, spike trains)`, each cell recording spikes and
/// a `v` trace that is `offset` everywhere.
fn block(backend: &str, timestep: f64, pops: &[(&str, Vec<Vec<f64>>)], offset: f64) -> DataBlock {
    let n_ticks = 11;
    DataBlock {
        backend: backend.into(),
        seed: 1,
        timestep_ms: timestep,
        duration_ms: 10.0,
        populations: pops
            .iter()
            .map(|(label, trains)| PopulationData {
                label: label.to_string(),
                size: trains.len(),
                cell_type: "IF_curr_exp".into(),
                spike_count: trains.iter().map(|t| t.len() as u64).sum(),
                records_spikes: true,
                spiketrains: trains
                    .iter()
                    .enumerate()
                    .map(|(i, t)| SpikeTrain {
                        neuron: i as u32,
                        times_ms: t.clone(),
                    })
                    .collect(),
                signals: vec![AnalogSignal {
                    name: "v".into(),
                    units: "mV".into(),
                    sampling_period_ms: timestep,
                    times_ms: (0..n_ticks).map(|k| k as f64 * timestep).collect(),
                    neurons: (0..trains.len() as u32).collect(),
                    values: vec![vec![-65.0 + offset; n_ticks]; trains.len()],
                }],
            })
            .collect(),
        events: EventCounts::default(),
        wall_time_s: 0.0,
        build_time_s: 0.0,
    }
}

/// A greedy matcher as people write it: reference spikes in time order, each taking the
/// nearest candidate spike still free within the tolerance.
fn greedy(r: &[f64], c: &[f64], tol: f64) -> Vec<(usize, usize)> {
    let mut used = vec![false; c.len()];
    let mut out = Vec::new();
    for (i, &t) in r.iter().enumerate() {
        let best = (0..c.len())
            .filter(|&j| !used[j] && (c[j] - t).abs() <= tol)
            .min_by(|&a, &b| (c[a] - t).abs().total_cmp(&(c[b] - t).abs()));
        if let Some(j) = best {
            used[j] = true;
            out.push((i, j));
        }
    }
    out
}

/// On reference [1.0, 2.5] and candidate [0.2, 1.6] with tolerance 1 ms, greedy pairs 1.0 with
/// the nearer 1.6 and leaves 2.5 and 0.2 unpaired (1 missed, 1 extra); the optimal matching
/// pairs both (1.0–0.2, 2.5–1.6), and compare reports no missed or extra spike.
#[test]
fn optimal_matching_beats_greedy() {
    let (r, c) = ([1.0, 2.5], [0.2, 1.6]);
    assert_eq!(greedy(&r, &c, 1.0).len(), 1);
    assert_eq!(match_spikes(&r, &c, 1.0), vec![(0, 0), (1, 1)]);

    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("ref"), dir.path().join("cand"));
    write_results(&a, &block("exact", 0.1, &[("p", vec![r.to_vec()])], 0.0)).unwrap();
    write_results(&b, &block("grid", 0.1, &[("p", vec![c.to_vec()])], 0.5)).unwrap();
    let rep = compare_dirs(&a, &b, Some(1.0)).unwrap();
    assert_eq!(
        (rep.spikes.matched, rep.spikes.missed, rep.spikes.extra),
        (2, 0, 0)
    );
    assert!((rep.spikes.max_abs_error_ms.unwrap() - 0.9).abs() < 1e-12);
    assert!((rep.spikes.mean_error_ms.unwrap() - (-0.8 - 0.9) / 2.0).abs() < 1e-12);
    // the v traces differ by 0.5 mV everywhere
    let v = &rep.variables[0];
    assert_eq!((v.name.as_str(), v.cells, v.times), ("v", 1, 11));
    assert!((v.max_abs_error.unwrap() - 0.5).abs() < 1e-12);
    assert!((v.rms_error.unwrap() - 0.5).abs() < 1e-12);
    // default tolerance: 2 x the larger timestep = 0.2 ms: nothing pairs
    let rep = compare_dirs(&a, &b, None).unwrap();
    assert_eq!(rep.tolerance_ms, 0.2);
    assert_eq!(
        (rep.spikes.matched, rep.spikes.missed, rep.spikes.extra),
        (0, 2, 2)
    );
}

/// A single cell with fast time constants (tau_m = 0.2 ms, tau_syn_E = 0.1 ms) receives one
/// strong input at t = 1.1 ms: its PSP peaks 0.139 ms later, just above threshold, and is back
/// below threshold at the next grid point. The exact run spikes; the grid run, which tests the
/// threshold at t = 1.2 and 1.3 ms only, does not — compare reports it as one missed spike.
fn excursion_network() -> Network {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let src = net.create("src", 1, CellType::SpikeSourceArray).unwrap();
    net.set_spike_times(&src, SpikeTimes::Same(vec![1.0]))
        .unwrap();
    let c = net.create("cell", 1, CellType::IfCurrExp).unwrap();
    net.set(&c, "tau_m", 0.2).unwrap();
    net.set(&c, "tau_syn_E", 0.1).unwrap();
    net.set(&c, "v_thresh", -55.0).unwrap();
    net.record(c, &[Var::V, Var::Spikes]).unwrap();
    // K_E peaks at ln(2)/5 ms with 0.05 ms; K_E(0.1) = 0.0477, K_E(0.2) = 0.0465:
    // 204 nA gives a peak of 10.2 mV above rest, and 9.74 / 9.49 mV at the grid points.
    net.connect(
        src,
        c,
        Connector::OneToOne,
        StaticSynapse::new(204.0, 0.1),
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    net
}

#[test]
fn brief_excursion_is_a_missed_spike_of_the_grid_run() {
    let net = excursion_network();
    let dir = tempfile::tempdir().unwrap();
    for b in [Backend::Exact, Backend::Grid] {
        let mut sim = net.build_with(b).unwrap();
        sim.run(5.0);
        write_results(&dir.path().join(b.name()), &common::data(&sim)).unwrap();
    }
    let (e, g) = (dir.path().join("exact"), dir.path().join("grid"));
    let o = exactlif(&["compare", s(&e), s(&g), "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cell = j["populations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == "cell")
        .unwrap();
    assert_eq!(cell["spikes"]["reference_spikes"], 1);
    assert_eq!(cell["spikes"]["candidate_spikes"], 0);
    assert_eq!(cell["spikes"]["missed"], 1);
    assert_eq!(cell["spikes"]["extra"], 0);
    assert_eq!(j["spikes"]["missed"], 1);
    assert_eq!(j["candidate"]["backend"], "grid");
    // the table says so too, and the gate fails on it
    let o = exactlif(&["compare", s(&e), s(&g), "--fail-over", "1"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("missed") && out.contains("1 missed spike"),
        "{out}"
    );
    // the exact run against itself: nothing missed, zero errors, the gate passes
    let o = exactlif(&["compare", s(&e), s(&e), "--json", "--fail-over", "0"]);
    assert_eq!(o.status.code(), Some(0));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["spikes"]["missed"], 0);
    assert_eq!(j["spikes"]["max_abs_error_ms"], 0.0);
    assert_eq!(j["gate"]["passed"], true);
}

/// A results directory without data.bin (e.g. written by the exported PyNN script) is read
/// from summary.json and the CSV files, with the same result as from data.bin.
#[test]
fn csv_only_directories_compare_like_data_bin() {
    let dir = tempfile::tempdir().unwrap();
    let model = exactlif::io::model_file::load_model(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tutorial_firing.toml"),
    )
    .unwrap();
    for b in [Backend::Exact, Backend::Grid] {
        let mut sim = model.network.build_with(b).unwrap();
        sim.run(model.duration);
        write_results(&dir.path().join(b.name()), &common::data(&sim)).unwrap();
    }
    let (e, g) = (dir.path().join("exact"), dir.path().join("grid"));
    let with_bin = compare_dirs(&e, &g, None).unwrap();
    std::fs::remove_file(g.join("data.bin")).unwrap();
    let with_csv = compare_dirs(&e, &g, None).unwrap();
    assert_eq!(
        serde_json::to_value(&with_bin.spikes).unwrap(),
        serde_json::to_value(&with_csv.spikes).unwrap()
    );
    assert_eq!(
        serde_json::to_value(&with_bin.variables).unwrap(),
        serde_json::to_value(&with_csv.variables).unwrap()
    );
    assert_eq!(with_csv.candidate.timestep_ms, Some(0.1));
    assert_eq!(with_bin.spikes.missed, 0);
}

/// Errors are usage errors (exit status 2) with a message naming the directory or the
/// mismatch: a missing directory, a directory that is not a results directory, a corrupt
/// data.bin, populations or sizes that differ, bad option values.
#[test]
fn cli_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    write_results(
        &d("a"),
        &block("exact", 0.1, &[("p", vec![vec![1.0]; 2])], 0.0),
    )
    .unwrap();
    write_results(
        &d("b"),
        &block("grid", 0.1, &[("q", vec![vec![1.0]; 2])], 0.0),
    )
    .unwrap();
    write_results(
        &d("c"),
        &block("grid", 0.1, &[("p", vec![vec![1.0]; 3])], 0.0),
    )
    .unwrap();
    std::fs::create_dir_all(d("empty")).unwrap();
    std::fs::create_dir_all(d("corrupt")).unwrap();
    std::fs::write(d("corrupt").join("data.bin"), b"\xff\xff\xff\xff").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![s(&d("a")).into(), s(&d("nope")).into()],
            "no such directory",
        ),
        (
            vec![s(&d("empty")).into(), s(&d("a")).into()],
            "not a results directory",
        ),
        (vec![s(&d("a")).into(), s(&d("corrupt")).into()], "data.bin"),
        (
            vec![s(&d("a")).into(), s(&d("b")).into()],
            "only in the reference",
        ),
        (
            vec![s(&d("a")).into(), s(&d("c")).into()],
            "2 cells in the reference but 3",
        ),
        (
            vec![
                s(&d("a")).into(),
                s(&d("a")).into(),
                "--tolerance-ms".into(),
                "-1".into(),
            ],
            "--tolerance-ms",
        ),
        (
            vec![
                s(&d("a")).into(),
                s(&d("a")).into(),
                "--fail-over".into(),
                "nan".into(),
            ],
            "--fail-over",
        ),
    ];
    for (args, msg) in cases {
        let mut all = vec!["compare".to_string()];
        all.extend(args.iter().cloned());
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let o = exactlif(&refs);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // and a run that works exits 0 with a table naming the population
    let o = exactlif(&["compare", s(&d("a")), s(&d("a"))]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\np "));
}

/// A population label with a comma, a quote and a line break is quoted by the results writer
/// and read back whole by compare's CSV loader (no `data.bin`), spikes and samples included.
#[test]
fn awkward_labels_round_trip_through_the_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    let label = "exc, \"big\"\nlayer";
    let data = block(
        "exact",
        0.1,
        &[
            (label, vec![vec![1.0, 2.5], vec![0.30000000000000004]]),
            ("b", vec![vec![]]),
        ],
        0.0,
    );
    write_results(dir.path(), &data).unwrap();
    std::fs::remove_file(dir.path().join("data.bin")).unwrap();
    let run = load_run(dir.path()).unwrap();
    assert_eq!(run.source, DataSource::Csv);
    let pop = run
        .data
        .population(label)
        .expect("the label is read back whole");
    let times: Vec<Vec<f64>> = pop.spiketrains.iter().map(|t| t.times_ms.clone()).collect();
    assert_eq!(times, vec![vec![1.0, 2.5], vec![0.30000000000000004]]);
    let v = pop.signal("v").unwrap();
    assert_eq!(v.neurons, vec![0, 1]);
    assert_eq!(v.values, data.populations[0].signals[0].values);
    assert_eq!(run.data.populations.len(), 2);
}
