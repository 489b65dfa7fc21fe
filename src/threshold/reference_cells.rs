//! The closed forms and first-crossing solvers of `IF_curr_alpha` and `IF_curr_delta` against
//! our independent 50-digit reference (`tests/reference/ref_sim.py`), single cell by single
//! cell, without the engine (`tests/reference_cases.rs` runs the same cases through the
//! binary).
//!
//! Every `tests/reference/cases/<name>/model.toml` whose population "cell" is of one of these
//! cell types holds one population of one of these cell
//! types driven only by `SpikeSourceArray`s (`FromListConnector`, `AllToAllConnector`); each cell is run by a
//! small event loop of the SPEC §8 rules built from this crate's closed form (`propagate`,
//! `Free`) and solver (`threshold::alpha`, `threshold::delta`), and its spike times and samples
//! are compared with `expected/` within 1e-9 ms and 1e-9 mV (nA).

use std::path::{Path, PathBuf};

use crate::model::if_curr_alpha::{self as alpha, input_jump, propagate, Derived, Free, State};
use crate::model::if_curr_delta as delta;
use crate::threshold::delta::rule_tests;
use crate::threshold::{alpha::first_crossing, Crossing, SolverStats};

const TOL: f64 = 1e-9;

/// One input to one cell: arrival time (the f64 sum `s + delay`), excitatory, weight.
type Input = (f64, bool, f64);

/// What one cell's run gives: spike times and, per sample, `(v, isyn_exc, isyn_inh)`.
type Run = (Vec<f64>, Vec<[f64; 3]>);

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/cases");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            // single-cell-type cases only (a population "cell"; mixed_network, a recurrent
            // network of the three types, is tests/reference_cases.rs's alone)
            std::fs::read_to_string(p.join("model.toml")).is_ok_and(|t| {
                (t.contains("cell_type = \"IF_curr_alpha\"")
                    || t.contains("cell_type = \"IF_curr_delta\""))
                    && t.contains("label = \"cell\"")
            })
        })
        .collect();
    out.sort();
    out
}

fn f(v: &toml::Value) -> f64 {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .unwrap()
}

/// `table[name]` for cell `i` (a scalar or a per-cell list), or `default`.
fn per_cell(table: Option<&toml::Value>, name: &str, i: usize, default: f64) -> f64 {
    match table.and_then(|t| t.get(name)) {
        None => default,
        Some(toml::Value::Array(a)) => f(&a[i]),
        Some(x) => f(x),
    }
}

/// The model's cells (population "cell"), their inputs, and the run's sampling.
struct Case {
    cell_type: String,
    params: Vec<[f64; 9]>, // if_curr_alpha::PARAMETERS order (delta: tau_syn unused)
    init: Vec<[f64; 3]>,   // v, isyn_exc, isyn_inh
    inputs: Vec<Vec<Input>>,
    dt: f64,
    duration: f64,
}

fn load(path: &Path) -> Case {
    let text = std::fs::read_to_string(path.join("model.toml")).unwrap();
    let m: toml::Value = toml::from_str(&text).unwrap();
    let sim = &m["simulation"];
    let pops = m["populations"].as_array().unwrap();
    let cell = pops
        .iter()
        .find(|p| p["label"].as_str() == Some("cell"))
        .unwrap();
    let n = cell["size"].as_integer().unwrap() as usize;
    let par = cell.get("parameters");
    let ini = cell.get("initial_values");
    let params = (0..n)
        .map(|i| alpha::PARAMETERS.map(|(name, d, _)| per_cell(par, name, i, d)))
        .collect();
    let init = (0..n)
        .map(|i| {
            [("v", -65.0), ("isyn_exc", 0.0), ("isyn_inh", 0.0)]
                .map(|(name, d)| per_cell(ini, name, i, d))
        })
        .collect();
    let mut inputs = vec![Vec::new(); n];
    for pr in m["projections"].as_array().unwrap() {
        assert_eq!(pr["postsynaptic"].as_str(), Some("cell"));
        let exc = pr["receptor_type"].as_str() == Some("excitatory");
        let src = pops
            .iter()
            .find(|p| p["label"] == pr["presynaptic"])
            .unwrap();
        assert_eq!(src["cell_type"].as_str(), Some("SpikeSourceArray"));
        let times = src["parameters"]["spike_times"].as_array().unwrap();
        let times_of = |k: usize| -> Vec<f64> {
            match times.first() {
                Some(toml::Value::Array(_)) => times[k].as_array().unwrap().iter().map(f).collect(),
                _ => times.iter().map(f).collect(),
            }
        };
        let conn = &pr["connector"];
        // (pre, post, weight, delay) of each connection
        let edges: Vec<(usize, usize, f64, f64)> = match conn["type"].as_str() {
            Some("FromListConnector") => conn["conn_list"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let e = e.as_array().unwrap();
                    (f(&e[0]) as usize, f(&e[1]) as usize, f(&e[2]), f(&e[3]))
                })
                .collect(),
            Some("AllToAllConnector") => {
                let syn = &pr["synapse"];
                let (w, d) = (f(&syn["weight"]), f(&syn["delay"]));
                let n_pre = src["size"].as_integer().unwrap() as usize;
                (0..n_pre)
                    .flat_map(|a| (0..n).map(move |b| (a, b, w, d)))
                    .collect()
            }
            other => panic!("connector {other:?}"),
        };
        for (pre, post, w, d) in edges {
            for s in times_of(pre) {
                inputs[post].push((s + d, exc, w));
            }
        }
    }
    for x in &mut inputs {
        x.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Case {
        cell_type: cell["cell_type"].as_str().unwrap().to_string(),
        params,
        init,
        inputs,
        dt: f(&sim["timestep"]),
        duration: f(&sim["duration"]),
    }
}

/// One `IF_curr_alpha` cell by the SPEC §8 rules: between events the closed form, a crossing
/// (searched up to the next event) first at equal times, inputs next, the sample last (from
/// the closed form, which restarts only at inputs and refractory ends);
/// refractory: `v` held at `v_reset`, the currents evolving and receiving input.
#[allow(non_snake_case)]
fn run_alpha(
    values: &[f64; 9],
    init: &[f64; 3],
    inputs: &[Input],
    samples: &[f64],
    t_end: f64,
) -> Run {
    let [cm, tau_m, tau_syn_E, tau_syn_I, tau_refrac, v_rest, v_reset, v_thresh, i_offset] =
        *values;
    let p = alpha::Params {
        cm,
        tau_m,
        tau_syn_E,
        tau_syn_I,
        tau_refrac,
        v_rest,
        v_reset,
        v_thresh,
        i_offset,
    };
    p.validate().unwrap();
    let d = Derived::of(&p);
    let mut s = State {
        v: init[0],
        isyn_exc: init[1],
        isyn_inh: init[2],
        ..State::default()
    };
    let (mut t, mut refr): (f64, Option<f64>) = (0.0, None);
    let (mut spikes, mut out) = (Vec::new(), Vec::new());
    let (mut k, mut j) = (0, 0);
    let mut stats = SolverStats::default();
    if s.v >= v_thresh {
        spikes.push(0.0);
        s.v = v_reset;
        refr = (tau_refrac > 0.0).then_some(tau_refrac);
    }
    loop {
        let next = inputs
            .get(k)
            .map_or(f64::INFINITY, |x| x.0)
            .min(samples.get(j).copied().unwrap_or(f64::INFINITY))
            .min(refr.unwrap_or(f64::INFINITY));
        let last = next > t_end;
        let next = next.min(t_end);
        if refr.is_none() {
            let free = Free::new(&p, &d, &s, 0.0);
            if let Crossing::At(tc) = first_crossing(&free, &d, v_thresh, next - t, &mut stats) {
                s = free.state(tc);
                t += tc;
                spikes.push(t);
                s.v = v_reset;
                refr = (tau_refrac > 0.0).then_some(t + tau_refrac);
                continue;
            }
        }
        if last {
            assert_eq!(stats.cap_hits, 0);
            return (spikes, out);
        }
        // the state at `next`; the trajectory restarts only at a refractory end or an input,
        // not at a sample (as in the engine, which samples the closed form)
        let at_next = propagate(&p, &d, &s, next - t, 0.0, refr.is_some());
        let restart = refr == Some(next) || inputs.get(k).is_some_and(|x| x.0 == next);
        if restart {
            (t, s) = (next, at_next);
            if refr == Some(t) {
                refr = None;
            }
            while k < inputs.len() && inputs[k].0 == t {
                let (_, exc, w) = inputs[k];
                if exc {
                    s.disyn_exc += input_jump(w, tau_syn_E);
                } else {
                    s.disyn_inh += input_jump(w, tau_syn_I);
                }
                k += 1;
            }
        }
        while j < samples.len() && samples[j] == next {
            let x = if restart { s } else { at_next };
            out.push([x.v, x.isyn_exc, x.isyn_inh]);
            j += 1;
        }
    }
}

/// One `IF_curr_delta` cell: the event-list stepper of `if_curr_delta`'s tests.
fn run_delta(
    values: &[f64; 9],
    init: &[f64; 3],
    inputs: &[Input],
    samples: &[f64],
    t_end: f64,
) -> Run {
    let p = delta::Params {
        cm: values[0],
        tau_m: values[1],
        tau_refrac: values[4],
        v_rest: values[5],
        v_reset: values[6],
        v_thresh: values[7],
        i_offset: values[8],
    };
    p.validate().unwrap();
    let ins: Vec<(f64, f64)> = inputs.iter().map(|&(t, _, w)| (t, w)).collect();
    let (spikes, vs) = rule_tests::simulate(&p, init[0], &ins, samples, t_end);
    (spikes, vs.iter().map(|&v| [v, 0.0, 0.0]).collect())
}

/// `(neuron, time, value)` rows of an expected CSV.
fn rows(path: &Path) -> Vec<(usize, f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let last = c.len() - 1;
            (
                c[1].parse().unwrap(),
                c[2].parse().unwrap(),
                c[last].parse().unwrap(),
            )
        })
        .collect()
}

/// Every cell of every IF_curr_alpha / IF_curr_delta case: the same spikes within 1e-9 ms, the same samples of
/// `v` (and for alpha, of both currents) within 1e-9; all problems listed together.
#[test]
fn reference_cells() {
    let mut problems = Vec::new();
    let all = cases();
    assert!(
        all.len() >= 4,
        "the alpha and delta cases are missing: {all:?}"
    );
    for dir in &all {
        let case = load(dir);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let n_samples = (case.duration / case.dt).round() as usize + 1;
        let samples: Vec<f64> = (0..n_samples).map(|k| k as f64 * case.dt).collect();
        let exp = dir.join("expected");
        let spikes = rows(&exp.join("spikes.csv"));
        let mut vars = vec![("v", 0)];
        if case.cell_type == "IF_curr_alpha" {
            vars.extend([("isyn_exc", 1), ("isyn_inh", 2)]);
        }
        let expected_vars: Vec<_> = vars
            .iter()
            .map(|(v, k)| (*v, *k, rows(&exp.join(format!("{v}.csv")))))
            .collect();
        for (i, (values, init)) in case.params.iter().zip(&case.init).enumerate() {
            let run = match case.cell_type.as_str() {
                "IF_curr_alpha" => run_alpha,
                "IF_curr_delta" => run_delta,
                other => panic!("{name}: cell type {other}"),
            };
            let (got, samples_got) = run(values, init, &case.inputs[i], &samples, case.duration);
            let want: Vec<f64> = spikes.iter().filter(|r| r.0 == i).map(|r| r.2).collect();
            if got.len() != want.len() {
                problems.push(format!(
                    "{name} cell {i}: spikes {got:?}, expected {want:?}"
                ));
            } else if let Some((a, b)) = got.iter().zip(&want).find(|(a, b)| (*a - *b).abs() > TOL)
            {
                problems.push(format!("{name} cell {i}: spike at {a}, expected {b}"));
            }
            for (var, k, rows) in &expected_vars {
                let want: Vec<&(usize, f64, f64)> = rows.iter().filter(|r| r.0 == i).collect();
                assert_eq!(
                    want.len(),
                    samples_got.len(),
                    "{name} cell {i} {var}: sample count"
                );
                let bad = want
                    .iter()
                    .zip(&samples_got)
                    .filter(|(r, g)| (r.2 - g[*k]).abs() > TOL)
                    .map(|(r, g)| format!("t {} {} vs {}", r.1, g[*k], r.2))
                    .collect::<Vec<_>>();
                if !bad.is_empty() {
                    problems.push(format!(
                        "{name} cell {i} {var}: {} off, first {}",
                        bad.len(),
                        bad[0]
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
