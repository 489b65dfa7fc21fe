//! The PyNN bridge (`exactlif export-pynn`): the exported files describe exactly the network
//! exactlif simulates, and the script's results writer turns Neo blocks into the results
//! layout of SPEC §4.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use exactlif::internals::{CellKind, NetData, INHIBITORY_BIT};
use exactlif::io::model_file::load_model;
use serde_json::Value;

/// A small network with every feature the export handles: a recorded Poisson source with a
/// start and a duration, a spike-source array with one list per cell (one empty), drawn
/// parameters and initial values (including a non-zero initial isyn_exc), random delays, two
/// model projections merged into one PyNN projection (same populations and receptor, with a
/// repeated pair), inhibition, a DC source on some cells and a step source on a population.
const MODEL: &str = r#"
[simulation]
timestep = 0.1
duration = 200.0
seed = 11
min_delay = 0.5

[[populations]]
label = "noise"
size = 20
cell_type = "SpikeSourcePoisson"
record = ["spikes"]
parameters = { rate = 40.0, start = 5.0, duration = 150.0 }

[[populations]]
label = "stim"
size = 3
cell_type = "SpikeSourceArray"
parameters = { spike_times = [[10.0, 20.5], [], [30.25]] }

[[populations]]
label = "exc"
size = 30
cell_type = "IF_curr_exp"
record = ["spikes", "v", "isyn_exc"]
parameters = { tau_m = 15.0, v_thresh = { distribution = "uniform", low = -56.0, high = -52.0 }, tau_refrac = 2.0, i_offset = 0.2 }
initial_values = { v = { distribution = "normal", mu = -60.0, sigma = 2.0 }, isyn_exc = 0.1 }

[[populations]]
label = "inh"
size = 10
cell_type = "IF_curr_exp"
record = ["spikes"]
parameters = { tau_syn_I = 8.0 }

[[projections]]
presynaptic = "noise"
postsynaptic = "exc"
connector = { type = "FixedProbabilityConnector", p_connect = 0.3 }
synapse = { weight = 0.6, delay = { distribution = "uniform", low = 0.5, high = 2.0 } }

[[projections]]
presynaptic = "stim"
postsynaptic = "exc"
connector = { type = "AllToAllConnector" }
synapse = { weight = 1.0, delay = 1.0 }

[[projections]]
label = "extra"
presynaptic = "stim"
postsynaptic = "exc"
connector = { type = "FromListConnector", conn_list = [[0, 1, 0.2, 0.6], [0, 1, 0.3, 0.6]] }

[[projections]]
presynaptic = "exc"
postsynaptic = "inh"
connector = { type = "FixedProbabilityConnector", p_connect = 0.2 }
synapse = { weight = 0.3, delay = 1.5 }

[[projections]]
presynaptic = "inh"
postsynaptic = "exc"
receptor_type = "inhibitory"
connector = { type = "FixedNumberPreConnector", n = 3 }
synapse = { weight = -0.8, delay = 0.7 }

[[projections]]
presynaptic = "noise"
postsynaptic = "inh"
connector = { type = "FixedProbabilityConnector", p_connect = 0.2 }
synapse = { weight = 0.5, delay = 1.0 }

[[current_sources]]
type = "DCSource"
amplitude = 0.3
start = 50.0
stop = 120.0
inject_into = "exc"
cells = [0, 1, 2]

[[current_sources]]
type = "StepCurrentSource"
times = [25.0, 75.5, 100.0]
amplitudes = [0.1, -0.1, 0.0]
inject_into = "inh"
"#;

fn write_model(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("model.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn export(model: &Path, out: &Path) -> Vec<PathBuf> {
    let model = exactlif::io::model_file::load_model(model).expect("valid model");
    let net = model.network.materialise().expect("valid network");
    exactlif::io::pynn_export::export_pynn(&model, &net, out).expect("export")
}

/// `x` as it reads back from JSON through `serde_json` (whose default number parser may be one
/// unit in the last place off; Python's `json` is exact). Numbers read from the export are
/// compared with `lossy(expected)`; the written text itself is checked where it matters.
fn lossy(x: f64) -> f64 {
    serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap()
}

fn lossy_all(xs: impl IntoIterator<Item = f64>) -> Vec<f64> {
    xs.into_iter().map(lossy).collect()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// A per-cell column as written: a number for every cell, or a list.
fn column(v: &Value, size: usize) -> Vec<f64> {
    match v.as_f64() {
        Some(x) => vec![x; size],
        None => {
            let xs = f64s(v);
            assert_eq!(xs.len(), size);
            xs
        }
    }
}

/// Reads a `.npy` file of float64 of shape (n, 4).
fn read_npy(path: &Path) -> Vec<[f64; 4]> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "{}", path.display());
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    assert!(header.contains("'descr': '<f8'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    assert_eq!((10 + hlen) % 64, 0);
    let shape = &header[header.find("'shape': (").unwrap() + 10..];
    let shape = &shape[..shape.find(')').unwrap()];
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(dims.len(), 2);
    assert_eq!(dims[1], 4);
    let data = &bytes[10 + hlen..];
    assert_eq!(data.len(), dims[0] * 32, "{}", path.display());
    data.chunks_exact(32)
        .map(|row| {
            std::array::from_fn(|j| f64::from_le_bytes(row[8 * j..8 * j + 8].try_into().unwrap()))
        })
        .collect()
}

/// A synapse as `(pre population, post population, inhibitory, pre, post, weight bits, delay
/// bits)`.
type Syn = (String, String, bool, u32, u32, u64, u64);

fn net_synapses(net: &NetData) -> Vec<Syn> {
    let locate = |g: u32| {
        let p = net.layout.iter().rposition(|l| l.offset <= g).unwrap();
        (net.layout[p].label.clone(), g - net.layout[p].offset)
    };
    let mut out = Vec::new();
    for g in 0..net.n_cells() {
        let (pre_pop, pre) = locate(g as u32);
        for k in net.group_offsets[g] as usize..net.group_offsets[g + 1] as usize {
            for s in net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize {
                let t = net.syn_target[s];
                let (post_pop, post) = locate(t & !INHIBITORY_BIT);
                out.push((
                    pre_pop.clone(),
                    post_pop,
                    t & INHIBITORY_BIT != 0,
                    pre,
                    post,
                    net.syn_weight[s].to_bits(),
                    net.group_delay[k].to_bits(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The export describes exactly the built network: populations, every per-cell parameter and
/// initial value, spike-source times (Poisson times equal to the spikes the exact engine
/// emits), recordings, every connection with its weight and delay, and the injected currents.
#[test]
fn export_round_trips_the_network() {
    let tmp = tempfile::tempdir().unwrap();
    let model_path = write_model(tmp.path(), MODEL);
    let out = tmp.path().join("pynn");
    let files = export(&model_path, &out);
    for f in &files {
        assert!(f.is_file(), "{}", f.display());
    }
    assert!(files.contains(&out.join("model.py")));
    assert!(files.contains(&out.join("network.json")));
    let script = std::fs::read_to_string(out.join("model.py")).unwrap();
    assert!(script.starts_with("#!/usr/bin/env python3"));
    assert!(script.contains("def write_results("));
    assert!(script.contains("if __name__ == \"__main__\":"));

    let model = load_model(&model_path).unwrap();
    let net = model.network.materialise().unwrap();
    let json_text = std::fs::read_to_string(out.join("network.json")).unwrap();
    let json: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(json["format"], "exactlif-pynn-export");
    assert_eq!(json["format_version"], 1);
    let sim = &json["simulation"];
    assert_eq!(sim["timestep"].as_f64(), Some(0.1));
    assert_eq!(sim["duration"].as_f64(), Some(200.0));
    assert_eq!(sim["min_delay"].as_f64(), Some(0.5));
    assert_eq!(sim["seed"].as_u64(), Some(11));

    // the exact run, for the Poisson spikes
    let model = exactlif::io::model_file::load_model(&model_path).unwrap();
    let mut sim = model.network.build().unwrap();
    sim.run_until(model.duration);
    let data = common::data(&sim);

    let pops = json["populations"].as_array().unwrap();
    assert_eq!(pops.len(), net.layout.len());
    let mut poisson_spikes = 0;
    for (pop, l) in pops.iter().zip(&net.layout) {
        let size = l.size as usize;
        let cells = l.offset as usize..l.offset as usize + size;
        assert_eq!(pop["label"], l.label.as_str());
        assert_eq!(pop["size"].as_u64(), Some(l.size as u64));
        assert_eq!(pop["cell_type"], l.cell_type.as_str());
        // recordings
        let rec = pop["record"].as_object().unwrap();
        let expected_spikes = !l.spikes.is_empty();
        assert_eq!(rec.contains_key("spikes"), expected_spikes, "{}", l.label);
        if expected_spikes {
            assert_eq!(rec["spikes"], "all");
        }
        for (var, sel) in &l.signals {
            assert_eq!(sel.len(), size);
            assert_eq!(rec[var.name()], "all", "{} {}", l.label, var.name());
        }
        assert_eq!(rec.len(), expected_spikes as usize + l.signals.len());
        match net.kinds[l.offset as usize] {
            CellKind::Neuron => {
                assert_eq!(pop["pynn_cell_type"], "IF_curr_exp");
                let params = &pop["parameters"];
                let get = |name: &str| column(&params[name], size);
                let p = &net.params[cells.clone()];
                assert_eq!(get("cm"), lossy_all(p.iter().map(|x| x.cm)));
                assert_eq!(get("tau_m"), lossy_all(p.iter().map(|x| x.tau_m)));
                assert_eq!(get("tau_syn_E"), lossy_all(p.iter().map(|x| x.tau_syn_E)));
                assert_eq!(get("tau_syn_I"), lossy_all(p.iter().map(|x| x.tau_syn_I)));
                assert_eq!(get("tau_refrac"), lossy_all(p.iter().map(|x| x.tau_refrac)));
                assert_eq!(get("v_rest"), lossy_all(p.iter().map(|x| x.v_rest)));
                assert_eq!(get("v_reset"), lossy_all(p.iter().map(|x| x.v_reset)));
                assert_eq!(get("v_thresh"), lossy_all(p.iter().map(|x| x.v_thresh)));
                assert_eq!(get("i_offset"), lossy_all(p.iter().map(|x| x.i_offset)));
                assert_eq!(params.as_object().unwrap().len(), 9);
                let init = &pop["initial_values"];
                let s = &net.init[cells.clone()];
                assert_eq!(column(&init["v"], size), lossy_all(s.iter().map(|x| x.v)));
                assert_eq!(
                    column(&init["isyn_exc"], size),
                    lossy_all(s.iter().map(|x| x.isyn_exc))
                );
                assert_eq!(
                    column(&init["isyn_inh"], size),
                    lossy_all(s.iter().map(|x| x.isyn_inh))
                );
            }
            CellKind::Array => {
                assert_eq!(pop["pynn_cell_type"], "SpikeSourceArray");
                let times = pop["spike_times"].as_array().unwrap();
                assert_eq!(times.len(), size);
                for (t, g) in times.iter().zip(cells.clone()) {
                    let (a, b) = net.array_ranges[g];
                    assert_eq!(
                        f64s(t),
                        lossy_all(net.array_times[a as usize..b as usize].iter().copied())
                    );
                }
                assert_eq!(f64s(&times[0]), [10.0, 20.5]);
                assert!(f64s(&times[1]).is_empty());
            }
            CellKind::Poisson => {
                assert_eq!(pop["pynn_cell_type"], "SpikeSourceArray");
                let times = pop["spike_times"].as_array().unwrap();
                assert_eq!(times.len(), size);
                let recorded = data.population(&l.label).unwrap();
                assert_eq!(recorded.spiketrains.len(), size);
                for (t, train) in times.iter().zip(&recorded.spiketrains) {
                    let t = f64s(t);
                    assert_eq!(
                        t,
                        lossy_all(train.times_ms.iter().copied()),
                        "{} neuron {}",
                        l.label,
                        train.neuron
                    );
                    assert!(t.iter().all(|&x| (5.0..155.0).contains(&x)));
                    poisson_spikes += t.len();
                }
                // bit for bit what the exact engine emitted: the written text is the shortest
                // form of the engine's spike times
                let engine: Vec<&Vec<f64>> =
                    recorded.spiketrains.iter().map(|t| &t.times_ms).collect();
                let text = format!(
                    "\"spike_times\":{}",
                    serde_json::to_string(&engine).unwrap()
                );
                assert!(json_text.contains(&text), "{} spike times differ", l.label);
                assert_eq!(pop["poisson"]["rate"].as_f64(), Some(40.0));
                assert_eq!(pop["poisson"]["start"].as_f64(), Some(5.0));
                assert_eq!(pop["poisson"]["duration"].as_f64(), Some(150.0));
            }
        }
    }
    assert!(poisson_spikes > 50, "{poisson_spikes} Poisson spikes");

    // connections
    let projs = json["projections"].as_array().unwrap();
    let mut exported: Vec<Syn> = Vec::new();
    let mut labels = Vec::new();
    for p in projs {
        let rows = read_npy(&out.join(p["file"].as_str().unwrap()));
        assert_eq!(p["connections"].as_u64(), Some(rows.len() as u64));
        assert_eq!(
            p["columns"],
            serde_json::json!(["pre", "post", "weight", "delay"])
        );
        let inh = match p["receptor_type"].as_str().unwrap() {
            "excitatory" => false,
            "inhibitory" => true,
            other => panic!("receptor {other}"),
        };
        let pre = p["presynaptic"].as_str().unwrap().to_string();
        let post = p["postsynaptic"].as_str().unwrap().to_string();
        for r in rows {
            assert_eq!(r[0].fract(), 0.0);
            assert_eq!(r[1].fract(), 0.0);
            exported.push((
                pre.clone(),
                post.clone(),
                inh,
                r[0] as u32,
                r[1] as u32,
                r[2].to_bits(),
                r[3].to_bits(),
            ));
        }
        labels.push(p["label"].as_str().unwrap().to_string());
    }
    exported.sort();
    let expected = net_synapses(&net);
    assert_eq!(expected.len(), net.n_synapses());
    assert_eq!(exported, expected);
    // one PyNN projection per (pre, post, receptor), in model order, the two stim->exc merged
    assert_eq!(
        labels,
        [
            "noise->exc",
            "stim->exc + extra",
            "exc->inh",
            "inh->exc",
            "noise->inh"
        ]
    );
    // the repeated pair of the FromListConnector is kept
    let repeated = exported
        .iter()
        .filter(|s| s.0 == "stim" && s.3 == 0 && s.4 == 1 && f64::from_bits(s.6) == 0.6)
        .count();
    assert_eq!(repeated, 2);

    // currents: per cell, the same switches as the network's
    let mut got: BTreeMap<(String, u32), Vec<(f64, f64)>> = BTreeMap::new();
    for c in json["current_sources"].as_array().unwrap() {
        let times = f64s(&c["times"]);
        let amps = f64s(&c["amplitudes"]);
        assert_eq!(times.len(), amps.len());
        for cell in c["cells"].as_array().unwrap() {
            let key = (
                c["population"].as_str().unwrap().to_string(),
                cell.as_u64().unwrap() as u32,
            );
            assert!(!got.contains_key(&key), "cell {key:?} has two sources");
            got.insert(
                key,
                times.iter().copied().zip(amps.iter().copied()).collect(),
            );
        }
    }
    let mut want: BTreeMap<(String, u32), Vec<(f64, f64)>> = BTreeMap::new();
    for s in &net.current_switches {
        let (t, g, i) = (s.t, s.cell, s.i_inj);
        let p = net.layout.iter().rposition(|l| l.offset <= g).unwrap();
        want.entry((net.layout[p].label.clone(), g - net.layout[p].offset))
            .or_default()
            .push((lossy(t), lossy(i)));
    }
    assert_eq!(got, want);
    assert_eq!(got.len(), 3 + 10);
    assert_eq!(got[&("exc".to_string(), 0)], [(50.0, 0.3), (120.0, 0.0)]);
    // cells with the same steps share one source
    assert_eq!(json["current_sources"].as_array().unwrap().len(), 2);
}

/// SPEC §8 cells: each population is exported as its own cell type with that type's
/// parameters and initial values (IF_curr_delta: no tau_syn_*, only `v`), and the weights onto
/// IF_curr_delta cells are written as given, in mV.
const MODEL_ALPHA_DELTA: &str = r#"
[simulation]
timestep = 0.1
duration = 50.0
seed = 3

[[populations]]
label = "stim"
size = 2
cell_type = "SpikeSourceArray"
parameters = { spike_times = [[5.0, 12.5], [7.0]] }

[[populations]]
label = "alpha"
size = 3
cell_type = "IF_curr_alpha"
record = ["spikes", "v", "isyn_exc", "isyn_inh"]
parameters = { tau_syn_E = 2.0, tau_m = 12.0, v_thresh = [-52.0, -51.0, -50.0] }
initial_values = { v = -60.0, isyn_inh = -0.1 }

[[populations]]
label = "delta"
size = 4
cell_type = "IF_curr_delta"
record = ["spikes", "v"]
parameters = { tau_refrac = 2.0, i_offset = 0.1 }
initial_values = { v = -58.0 }

[[projections]]
presynaptic = "stim"
postsynaptic = "alpha"
connector = { type = "AllToAllConnector" }
synapse = { weight = 0.7, delay = 1.0 }

[[projections]]
presynaptic = "stim"
postsynaptic = "delta"
connector = { type = "AllToAllConnector" }
synapse = { weight = 2.5, delay = 1.5 }

[[projections]]
presynaptic = "stim"
postsynaptic = "delta"
receptor_type = "inhibitory"
connector = { type = "FromListConnector", conn_list = [[0, 1], [1, 3]] }
synapse = { weight = -1.25, delay = 0.5 }
"#;

#[test]
fn export_writes_alpha_and_delta_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let model_path = write_model(tmp.path(), MODEL_ALPHA_DELTA);
    let out = tmp.path().join("pynn");
    export(&model_path, &out);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("network.json")).unwrap()).unwrap();
    let pops = json["populations"].as_array().unwrap();
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };

    let alpha = &pops[1];
    assert_eq!(alpha["cell_type"], "IF_curr_alpha");
    assert_eq!(alpha["pynn_cell_type"], "IF_curr_alpha");
    let p = &alpha["parameters"];
    assert_eq!(
        keys(p),
        [
            "cm",
            "i_offset",
            "tau_m",
            "tau_refrac",
            "tau_syn_E",
            "tau_syn_I",
            "v_reset",
            "v_rest",
            "v_thresh"
        ]
    );
    assert_eq!(p["tau_syn_E"].as_f64(), Some(2.0));
    // PyNN's IF_curr_alpha default, not IF_curr_exp's 5.0
    assert_eq!(p["tau_syn_I"].as_f64(), Some(0.5));
    assert_eq!(p["tau_m"].as_f64(), Some(12.0));
    assert_eq!(column(&p["v_thresh"], 3), [-52.0, -51.0, -50.0]);
    let init = &alpha["initial_values"];
    assert_eq!(keys(init), ["isyn_exc", "isyn_inh", "v"]);
    assert_eq!(init["v"].as_f64(), Some(-60.0));
    assert_eq!(init["isyn_inh"].as_f64(), Some(-0.1));
    assert_eq!(
        keys(&alpha["record"]),
        ["isyn_exc", "isyn_inh", "spikes", "v"]
    );

    let delta = &pops[2];
    assert_eq!(delta["cell_type"], "IF_curr_delta");
    assert_eq!(delta["pynn_cell_type"], "IF_curr_delta");
    let p = &delta["parameters"];
    assert_eq!(
        keys(p),
        [
            "cm",
            "i_offset",
            "tau_m",
            "tau_refrac",
            "v_reset",
            "v_rest",
            "v_thresh"
        ]
    );
    assert_eq!(p["tau_refrac"].as_f64(), Some(2.0));
    assert_eq!(p["i_offset"].as_f64(), Some(0.1));
    assert_eq!(keys(&delta["initial_values"]), ["v"]);
    assert_eq!(delta["initial_values"]["v"].as_f64(), Some(-58.0));
    assert_eq!(keys(&delta["record"]), ["spikes", "v"]);

    // the weights as given: nA onto IF_curr_alpha, mV onto IF_curr_delta
    let projections = json["projections"].as_array().unwrap();
    assert_eq!(projections.len(), 3);
    let mut seen = 0;
    for pr in projections {
        let rows = read_npy(&out.join(pr["file"].as_str().unwrap()));
        let expected = match (
            pr["postsynaptic"].as_str().unwrap(),
            pr["receptor_type"].as_str().unwrap(),
        ) {
            ("alpha", "excitatory") => (6, 0.7),
            ("delta", "excitatory") => (8, 2.5),
            ("delta", "inhibitory") => (2, -1.25),
            other => panic!("unexpected projection {other:?}"),
        };
        assert_eq!(rows.len(), expected.0, "{pr}");
        assert!(rows.iter().all(|r| r[2] == expected.1), "{pr}");
        seen += 1;
    }
    assert_eq!(seen, 3);
}

/// Exporting twice gives the same bytes (the export is a pure function of the model file).
#[test]
fn export_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let model_path = write_model(tmp.path(), MODEL);
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let fa = export(&model_path, &a);
    let fb = export(&model_path, &b);
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a).unwrap(), y.strip_prefix(&b).unwrap());
        assert_eq!(
            std::fs::read(x).unwrap(),
            std::fs::read(y).unwrap(),
            "{}",
            x.display()
        );
    }
}

/// The command line: `exactlif export-pynn MODEL --out DIR` writes the files and says how to
/// run them; an invalid model exits with status 2 and writes nothing.
#[test]
fn cli_export_pynn() {
    let tmp = tempfile::tempdir().unwrap();
    let model_path = write_model(tmp.path(), MODEL);
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(["export-pynn"])
        .arg(&model_path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("model.py nest"), "{stdout}");
    assert!(out.join("model.py").is_file());
    assert!(out.join("network.json").is_file());
    assert!(out.join("projections/0.npy").is_file());

    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, MODEL.replace("tau_refrac = 2.0", "t_refrac = 2.0")).unwrap();
    let bad_out = tmp.path().join("bad_out");
    let o = Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(["export-pynn"])
        .arg(&bad)
        .arg("--out")
        .arg(&bad_out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("tau_refrac"), "{stderr}");
    assert!(!bad_out.exists());

    let help = Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(["export-pynn", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Example:") && help.contains("model.py nest"),
        "{help}"
    );
}

/// Whether `python3` can import neo, quantities and numpy, installing neo and quantities with
/// pip if needed. `None` (with the reason) when that is impossible here.
fn python_with_neo() -> Result<(), String> {
    let imports = || {
        Command::new("python3")
            .args(["-c", "import neo, quantities, numpy"])
            .output()
    };
    match imports() {
        Err(e) => return Err(format!("python3 is not available ({e})")),
        Ok(o) if o.status.success() => return Ok(()),
        Ok(_) => {}
    }
    let pip = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "neo",
            "quantities",
        ])
        .output()
        .map_err(|e| format!("cannot run pip ({e})"))?;
    if !pip.status.success() {
        return Err(format!(
            "`python3 -m pip install neo quantities` failed (no pip or no network?): {}",
            String::from_utf8_lossy(&pip.stderr).trim()
        ));
    }
    match imports() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "neo installed but cannot be imported: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("python3 is not available ({e})")),
    }
}

/// Builds Neo blocks by hand (as PyNN's `get_data()` returns them: spike trains annotated with
/// `source_index`, one AnalogSignal per variable with a `channel_index` array annotation) and
/// calls the exported script's `write_results`.
const WRITER_SNIPPET: &str = r#"
import importlib.util, sys
import numpy as np
import quantities as pq
import neo

spec = importlib.util.spec_from_file_location("exported_model", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)

def train(times, index):
    return neo.SpikeTrain(np.array(times) * pq.ms, t_stop=2.0 * pq.ms, source_index=index,
                          source_population="x")

# population "a": 3 cells; spikes of cells 2 and 0 (given out of order); v of cells 2 and 0
# sampled every 0.1 ms from 0 to 1.1 ms (beyond the duration, 1.0 ms)
seg_a = neo.Segment()
seg_a.spiketrains.append(train([0.2, 0.5], 2))
seg_a.spiketrains.append(train([0.2, 0.7, 1.5], 0))
seg_a.spiketrains.append(train([], 1))
n = 12
v = np.column_stack([-60.0 - 0.5 * np.arange(n), -70.0 + 0.25 * np.arange(n)])
seg_a.analogsignals.append(neo.AnalogSignal(v, units="mV", t_start=0.0 * pq.ms,
    sampling_period=0.1 * pq.ms, name="v", array_annotations={"channel_index": np.array([2, 0])}))
block_a = neo.Block()
block_a.segments.append(seg_a)

# population "b, c": 2 cells; v in volts (rescaled to mV), isyn_exc in nA; one spike
seg_b = neo.Segment()
seg_b.spiketrains.append(train([0.2], 1))
seg_b.spiketrains.append(train([], 0))
vb = np.column_stack([np.full(11, -0.065), np.full(11, -0.0625)])
seg_b.analogsignals.append(neo.AnalogSignal(vb, units="V", t_start=0.0 * pq.ms,
    sampling_period=0.1 * pq.ms, name="v", array_annotations={"channel_index": np.array([0, 1])}))
ie = (0.001 * np.arange(11)).reshape(-1, 1)
seg_b.analogsignals.append(neo.AnalogSignal(ie, units="nA", t_start=0.0 * pq.ms,
    sampling_period=0.1 * pq.ms, name="isyn_exc", array_annotations={"channel_index": np.array([1])}))
block_b = neo.Block()
block_b.segments.append(seg_b)

files = m.write_results(
    [
        {"label": "a", "size": 3, "block": block_a, "cell_type": "IF_curr_exp"},
        {"label": "silent", "size": 4, "block": None, "cell_type": "IF_curr_exp"},
        {"label": "b, c", "size": 2, "block": block_b},
    ],
    sys.argv[2], 0.1, 1.0, backend="pynn-test", seed=3, wall_time_s=0.5, build_time_s=0.25)
print("\n".join(files))
"#;

/// The exported script's writer turns hand-made Neo blocks into the results layout: headers,
/// spikes sorted by time then population then neuron (and cut at the duration), signals by
/// population, neuron, time at t_k = k * timestep (cut at the duration), units converted,
/// labels quoted, numbers as Python's repr, and a summary naming the backend.
#[test]
fn script_writer_on_a_hand_made_neo_block() {
    if let Err(why) = python_with_neo() {
        eprintln!("SKIPPED script_writer_on_a_hand_made_neo_block: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let model_path = write_model(tmp.path(), MODEL);
    let out = tmp.path().join("pynn");
    export(&model_path, &out);
    let results = out.join("results_test");
    let snippet = tmp.path().join("snippet.py");
    std::fs::write(&snippet, WRITER_SNIPPET).unwrap();
    let o = Command::new("python3")
        .arg(&snippet)
        .arg(out.join("model.py"))
        .arg(&results)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "writer failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    let spikes = std::fs::read_to_string(results.join("spikes.csv")).unwrap();
    assert_eq!(
        spikes,
        "population,neuron,time_ms\n\
         a,0,0.2\n\
         a,2,0.2\n\
         \"b, c\",1,0.2\n\
         a,2,0.5\n\
         a,0,0.7\n"
    );

    let v = std::fs::read_to_string(results.join("v.csv")).unwrap();
    let mut lines = v.lines();
    assert_eq!(lines.next(), Some("population,neuron,time_ms,v"));
    let rows: Vec<Vec<String>> = lines
        .map(|l| {
            // the label may be quoted and hold a comma
            let (label, rest) = if let Some(r) = l.strip_prefix("\"b, c\",") {
                ("b, c".to_string(), r)
            } else {
                let (a, r) = l.split_once(',').unwrap();
                (a.to_string(), r)
            };
            let mut f = vec![label];
            f.extend(rest.split(',').map(str::to_string));
            f
        })
        .collect();
    assert_eq!(rows.len(), 2 * 11 + 2 * 11);
    let mut expected = Vec::new();
    for k in 0..=10u32 {
        expected.push(("a", 0, k, -70.0 + 0.25 * k as f64));
    }
    for k in 0..=10u32 {
        expected.push(("a", 2, k, -60.0 - 0.5 * k as f64));
    }
    for k in 0..=10u32 {
        expected.push(("b, c", 0, k, -65.0));
    }
    for k in 0..=10u32 {
        expected.push(("b, c", 1, k, -62.5));
    }
    for (row, (label, neuron, k, value)) in rows.iter().zip(expected) {
        assert_eq!(row[0], label);
        assert_eq!(row[1], neuron.to_string());
        // k * timestep, written as Python's repr (the same text as Rust's {:?})
        assert_eq!(row[2], format!("{:?}", k as f64 * 0.1), "{row:?}");
        let x: f64 = row[3].parse().unwrap();
        assert!((x - value).abs() < 1e-9, "{row:?} vs {value}");
    }

    let ie = std::fs::read_to_string(results.join("isyn_exc.csv")).unwrap();
    let ie: Vec<&str> = ie.lines().collect();
    assert_eq!(ie[0], "population,neuron,time_ms,isyn_exc");
    assert_eq!(ie.len(), 1 + 11);
    assert_eq!(ie[1], "\"b, c\",1,0.0,0.0");
    assert_eq!(ie[3], "\"b, c\",1,0.2,0.002");
    assert!(!results.join("isyn_inh.csv").exists());

    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["backend"], "pynn-test");
    assert_eq!(summary["seed"].as_u64(), Some(3));
    assert_eq!(summary["duration_ms"].as_f64(), Some(1.0));
    assert_eq!(summary["timestep_ms"].as_f64(), Some(0.1));
    assert_eq!(summary["wall_time_s"].as_f64(), Some(0.5));
    assert_eq!(summary["build_time_s"].as_f64(), Some(0.25));
    assert_eq!(summary["events"]["spikes"].as_u64(), Some(5));
    let pops = summary["populations"].as_array().unwrap();
    let labels: Vec<&str> = pops.iter().map(|p| p["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["a", "silent", "b, c"]);
    assert_eq!(pops[0]["size"].as_u64(), Some(3));
    assert_eq!(pops[0]["spikes"].as_u64(), Some(4));
    assert_eq!(pops[0]["records_spikes"], true);
    assert_eq!(pops[0]["cell_type"], "IF_curr_exp");
    assert_eq!(pops[1]["records_spikes"], false);
    assert_eq!(pops[1]["spikes"].as_u64(), Some(0));
    assert_eq!(pops[2]["spikes"].as_u64(), Some(1));
    assert_eq!(
        pops[2]["recorded_variables"],
        serde_json::json!(["v", "isyn_exc"])
    );
    // no temporary file is left behind
    let names: Vec<String> = std::fs::read_dir(&results)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

/// Parses a spikes.csv into (population, neuron) -> sorted times.
fn read_spikes(path: &Path) -> BTreeMap<(String, u32), Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out: BTreeMap<(String, u32), Vec<f64>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let (rest, t) = line.rsplit_once(',').unwrap();
        let (label, n) = rest.rsplit_once(',').unwrap();
        out.entry((label.trim_matches('"').to_string(), n.parse().unwrap()))
            .or_default()
            .push(t.parse().unwrap());
    }
    out
}

/// With a Python that has PyNN and NEST (`EXACTLIF_PYNN_PYTHON=/path/to/python`; skipped
/// otherwise): the exported network, with every delay and current switch on the grid, runs on
/// NEST's precise-timing neurons (PyNN's default, iaf_psc_exp_ps) and gives the exact spikes
/// to 1e-9 ms.
#[test]
fn runs_on_nest_when_available() {
    let Ok(python) = std::env::var("EXACTLIF_PYNN_PYTHON") else {
        eprintln!("SKIPPED runs_on_nest_when_available: set EXACTLIF_PYNN_PYTHON to a python with PyNN and NEST");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let on_grid = MODEL.replace(
        "delay = { distribution = \"uniform\", low = 0.5, high = 2.0 }",
        "delay = 1.2",
    );
    let model_path = write_model(tmp.path(), &on_grid);
    let out = tmp.path().join("pynn");
    export(&model_path, &out);
    let o = Command::new(&python)
        .arg(out.join("model.py"))
        .arg("nest")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "NEST run failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let model = exactlif::io::model_file::load_model(&model_path).unwrap();
    let mut sim = model.network.build().unwrap();
    sim.run_until(model.duration);
    let data = common::data(&sim);
    let exact_dir = tmp.path().join("exact");
    exactlif::io::output::write_results(&exact_dir, &data).unwrap();
    let exact = read_spikes(&exact_dir.join("spikes.csv"));
    let nest = read_spikes(&out.join("results_nest/spikes.csv"));
    assert_eq!(
        exact.keys().collect::<Vec<_>>(),
        nest.keys().collect::<Vec<_>>()
    );
    for (k, a) in &exact {
        let b = &nest[k];
        assert_eq!(a.len(), b.len(), "{k:?}: {a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-9, "{k:?}: {x} vs {y}");
        }
    }
}
