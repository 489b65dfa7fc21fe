//! `ACSource` (sinusoidal injected current) on the exact backend: spike times against an
//! independent integration of the ODE (classical Runge-Kutta at 2.5e-4 ms, crossings refined by
//! bisection on a cubic Hermite interpolant), the limits where it must equal a DC source bit for
//! bit, determinism over threads and runs, and the model file's errors.

mod common;

use std::process::Command;

use exactlif::{
    Backend, CellType, Connector, CurrentSource, DataBlock, Network, Receptor, Setup, Simulation,
    SpikeTimes, StaticSynapse, Var,
};

const TAU_M: f64 = 20.0;
const TAU_SYN: f64 = 5.0;
const V_REST: f64 = -65.0;
const V_THRESH: f64 = -50.0;
const T_REF: f64 = 2.0;
const CM: f64 = 1.0;

/// The drive of the tests: 0.1 + 0.7 sin(2 pi 25 (t - 10)/1000 + 45 deg) nA on [10, 180).
fn ac() -> CurrentSource {
    CurrentSource::Ac {
        amplitude: 0.7,
        offset: 0.1,
        frequency: 25.0,
        phase: 45.0,
        start: 10.0,
        stop: 180.0,
    }
}

fn i_ac(t: f64) -> f64 {
    if (10.0..180.0).contains(&t) {
        0.1 + 0.7
            * (2.0 * std::f64::consts::PI * 25.0 * (t - 10.0) / 1000.0 + 45f64.to_radians()).sin()
    } else {
        0.0
    }
}

/// Input spike times (ms) of the one SpikeSourceArray cell, delay 1 ms, weight 0.4 nA
/// excitatory onto every neuron.
const INPUT: [f64; 6] = [15.0, 33.3, 34.0, 71.25, 120.5, 150.0];
const WEIGHT: f64 = 0.4;
const DELAY: f64 = 1.0;
const I_OFFSET: [f64; 3] = [0.2, 0.45, 0.6];

/// Three PyNN-default cells (tau_refrac 2 ms) with biases `I_OFFSET`, the drive, and
/// excitatory input from a spike array.
fn network() -> (Network, exactlif::Population) {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 9,
        min_delay: None,
        seeding: Default::default(),
    });
    let cells = net.create("cells", 3, CellType::IfCurrExp).unwrap();
    net.set(&cells, "tau_refrac", T_REF).unwrap();
    net.set(&cells, "i_offset", I_OFFSET.to_vec()).unwrap();
    let input = net.create("input", 1, CellType::SpikeSourceArray).unwrap();
    net.set_spike_times(&input, SpikeTimes::Same(INPUT.to_vec()))
        .unwrap();
    net.connect(
        input,
        cells,
        Connector::AllToAll {
            allow_self_connections: true,
        },
        StaticSynapse::new(WEIGHT, DELAY),
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    net.inject(ac(), cells).unwrap();
    net.record(cells, &[Var::Spikes, Var::V]).unwrap();
    (net, cells)
}

fn spikes(sim: &Simulation) -> Vec<Vec<f64>> {
    common::data(sim).populations[0]
        .spiketrains
        .iter()
        .map(|t| t.times_ms.clone())
        .collect()
}

/// The reference: RK4 on (v, I_E) with step `h`, the inputs added at their arrival times,
/// `v` held at v_rest (= v_reset) for `T_REF` after a spike; a crossing inside a step is
/// located by bisection on the cubic Hermite interpolant of the step's ends (error O(h^4)).
fn reference(i_offset: f64, t_stop: f64, h: f64) -> Vec<f64> {
    let deriv =
        |t: f64, v: f64, ie: f64| -> f64 { (V_REST - v) / TAU_M + (ie + i_offset + i_ac(t)) / CM };
    let arrivals: Vec<f64> = INPUT.iter().map(|t| t + DELAY).collect();
    let mut breaks: Vec<f64> = arrivals.clone();
    breaks.extend([10.0, 180.0, t_stop]);
    breaks.sort_by(f64::total_cmp);
    let (mut t, mut v, mut ie) = (0.0f64, V_REST, 0.0f64);
    let mut ref_until = f64::NEG_INFINITY;
    let mut out = Vec::new();
    while t < t_stop - 1e-12 {
        // steps of h accumulate rounding: a time within 1e-9 ms of a break is on it (else a
        // step would straddle the drive's switch-on, an error of order h)
        if let Some(&b) = breaks.iter().find(|&&b| (b - t).abs() < 1e-9) {
            t = b;
        }
        for &a in &arrivals {
            if (a - t).abs() < 1e-9 {
                ie += WEIGHT;
            }
        }
        let next_break = breaks
            .iter()
            .copied()
            .find(|&b| b > t + 1e-9)
            .unwrap_or(t_stop);
        if next_break <= t {
            break;
        }
        let step = h.min(next_break - t);
        if t < ref_until - 1e-12 {
            // refractory: v held, the current decays (exactly)
            let dt = step.min(ref_until - t);
            ie *= (-dt / TAU_SYN).exp();
            t += dt;
            continue;
        }
        // RK4 over [t, t + step]; ie decays exactly (it is linear and uncoupled)
        let ie_at = |s: f64| ie * (-(s - t) / TAU_SYN).exp();
        let k1 = deriv(t, v, ie_at(t));
        let k2 = deriv(t + step / 2.0, v + step / 2.0 * k1, ie_at(t + step / 2.0));
        let k3 = deriv(t + step / 2.0, v + step / 2.0 * k2, ie_at(t + step / 2.0));
        let k4 = deriv(t + step, v + step * k3, ie_at(t + step));
        let v1 = v + step / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        let d1 = deriv(t + step, v1, ie_at(t + step));
        // the maximum of the Hermite cubic on the step: a crossing inside?
        let hermite = |s: f64| {
            let x = s / step;
            let (h00, h10, h01, h11) = (
                2.0 * x * x * x - 3.0 * x * x + 1.0,
                x * x * x - 2.0 * x * x + x,
                -2.0 * x * x * x + 3.0 * x * x,
                x * x * x - x * x,
            );
            h00 * v + h10 * step * k1 + h01 * v1 + h11 * step * d1
        };
        let n = 16;
        if let Some(j) = (1..=n).find(|&j| hermite(step * j as f64 / n as f64) >= V_THRESH) {
            let (mut a, mut b) = (step * (j - 1) as f64 / n as f64, step * j as f64 / n as f64);
            for _ in 0..60 {
                let m = 0.5 * (a + b);
                if hermite(m) >= V_THRESH {
                    b = m;
                } else {
                    a = m;
                }
            }
            let ts = t + b;
            out.push(ts);
            ie = ie_at(ts);
            v = V_REST;
            t = ts;
            ref_until = ts + T_REF;
            continue;
        }
        ie = ie_at(t + step);
        v = v1;
        t += step;
    }
    out
}

/// Seven spikes over three cells, one of them (cell 1's first) a near-graze, all within
/// 1e-8 ms of the reference (they agree to about 4e-10 ms).
#[test]
fn spike_times_match_an_independent_runge_kutta_integration() {
    let (net, _) = network();
    let mut sim = net.build().unwrap();
    sim.run(200.0);
    let got = spikes(&sim);
    let mut n = 0;
    for (i, &i_offset) in I_OFFSET.iter().enumerate() {
        let want = reference(i_offset, 200.0, 2.5e-4);
        assert_eq!(
            got[i].len(),
            want.len(),
            "cell {i}: {:?} vs {want:?}",
            got[i]
        );
        for (a, b) in got[i].iter().zip(&want) {
            assert!((a - b).abs() < 1e-8, "cell {i}: {a} vs {b}");
        }
        n += want.len();
    }
    assert_eq!(n, 7, "the drive and the input make 7 spikes");
}

fn single(source: CurrentSource, backend: Backend) -> DataBlock {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let cells = net.create("cells", 2, CellType::IfCurrExp).unwrap();
    net.set(&cells, "i_offset", vec![0.3, 0.8]).unwrap();
    net.inject(source, cells).unwrap();
    net.record(cells, &[Var::Spikes, Var::V]).unwrap();
    let mut sim = net.build_with(backend).unwrap();
    sim.run(150.0);
    common::data(&sim)
}

fn same_bits(a: &DataBlock, b: &DataBlock) -> bool {
    let (pa, pb) = (&a.populations[0], &b.populations[0]);
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    pa.spiketrains
        .iter()
        .zip(&pb.spiketrains)
        .all(|(s, t)| bits(&s.times_ms) == bits(&t.times_ms))
        && pa.signals[0]
            .values
            .iter()
            .zip(&pb.signals[0].values)
            .all(|(s, t)| bits(s) == bits(t))
}

#[test]
fn zero_amplitude_or_frequency_is_a_dc_source_bit_for_bit() {
    for backend in [Backend::Exact, Backend::Grid] {
        let dc = |amplitude| CurrentSource::Dc {
            amplitude,
            start: 20.0,
            stop: 100.0,
        };
        let ac = |amplitude, frequency, phase| CurrentSource::Ac {
            amplitude,
            offset: 0.5,
            frequency,
            phase,
            start: 20.0,
            stop: 100.0,
        };
        let want = single(dc(0.5), backend);
        assert!(want.populations[0].spike_count > 0);
        assert!(same_bits(&single(ac(0.0, 30.0, 10.0), backend), &want));
        // frequency 0: the constant amplitude sin(phase), here 0.4 sin(0) = 0
        assert!(same_bits(&single(ac(0.4, 0.0, 0.0), backend), &want));
        let with = single(ac(0.4, 0.0, 90.0), backend);
        assert!(same_bits(&with, &single(dc(0.5 + 0.4), backend)));
    }
}

#[test]
fn threads_and_chopped_runs_give_the_same_bits() {
    let (net, _) = network();
    let run = |threads: usize, stops: &[f64]| {
        let mut sim = net.build().unwrap();
        sim.set_threads(threads);
        for &t in stops {
            sim.run_until(t);
        }
        common::data(&sim)
    };
    let one = run(1, &[200.0]);
    assert!(same_bits(&one, &run(2, &[200.0])));
    assert!(same_bits(&one, &run(3, &[33.35, 100.0, 137.0, 200.0])));
    // and a reset replays it
    let mut sim = net.build().unwrap();
    sim.run(200.0);
    sim.reset();
    sim.run(200.0);
    let data = common::data(&sim);
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for (a, b) in data.populations[0]
        .spiketrains
        .iter()
        .zip(&one.populations[0].spiketrains)
    {
        assert_eq!(bits(&a.times_ms), bits(&b.times_ms));
    }
}

#[test]
fn the_grid_backend_converges_to_the_exact_spikes() {
    let exact = single(ac(), Backend::Exact);
    let mut errors = Vec::new();
    for dt in [0.1, 0.01] {
        let mut net = Network::new(Setup {
            timestep: dt,
            seed: 1,
            min_delay: Some(0.1),
            seeding: Default::default(),
        });
        let cells = net.create("cells", 2, CellType::IfCurrExp).unwrap();
        net.set(&cells, "i_offset", vec![0.3, 0.8]).unwrap();
        net.inject(ac(), cells).unwrap();
        net.record(cells, &[Var::Spikes]).unwrap();
        let mut sim = net.build_with(Backend::Grid).unwrap();
        sim.run(150.0);
        let got = common::data(&sim);
        let (a, b) = (&exact.populations[0], &got.populations[0]);
        assert_eq!(a.spike_count, b.spike_count, "dt {dt}");
        let err = a
            .spiketrains
            .iter()
            .zip(&b.spiketrains)
            .flat_map(|(s, t)| {
                s.times_ms
                    .iter()
                    .zip(&t.times_ms)
                    .map(|(x, y)| (x - y).abs())
            })
            .fold(0.0, f64::max);
        errors.push(err);
    }
    assert!(exact.populations[0].spike_count > 0);
    assert!(errors[1] < errors[0] / 3.0, "{errors:?}");
}

#[test]
fn model_file_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_exactlif");
    for (line, key) in [
        ("frequency = -5.0", "frequency"),
        ("phase = nan", "phase"),
        ("frequncy = 5.0", "frequency"),
    ] {
        let model = dir.path().join("m.toml");
        std::fs::write(
            &model,
            format!(
                "[simulation]\ntimestep = 0.1\nduration = 10.0\n\n[[populations]]\nlabel = \"p\"\nsize = 1\ncell_type = \"IF_curr_exp\"\n\n[[current_sources]]\ntype = \"ACSource\"\n{line}\ninject_into = \"p\"\n"
            ),
        )
        .unwrap();
        let out = Command::new(bin)
            .args(["check", model.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{line}: {err}");
        assert!(err.contains("m.toml:12"), "{line}: {err}");
        assert!(err.contains(key), "{line}: {err}");
    }
}

/// `export-pynn` writes each sine as an `ACSource` with the model file's frequency and phase
/// (not their images computed back with rounding), and the offset among the steps.
#[test]
fn export_pynn_writes_the_sines() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("ac.toml");
    std::fs::write(
        &model,
        "[simulation]\ntimestep = 0.1\nduration = 50.0\n\n[[populations]]\nlabel = \"p\"\nsize = 3\ncell_type = \"IF_curr_exp\"\nrecord = [\"spikes\"]\n\n[[current_sources]]\ntype = \"ACSource\"\namplitude = 0.8\noffset = 0.2\nfrequency = 40.0\nphase = 30.0\nstart = 20.0\nstop = 40.0\ninject_into = \"p\"\ncells = [0, 2]\n",
    )
    .unwrap();
    let out = dir.path().join("export");
    let status = Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .args(["export-pynn", model.to_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("network.json")).unwrap()).unwrap();
    let ac = &json["ac_sources"];
    assert_eq!(ac.as_array().unwrap().len(), 1, "{ac}");
    let s = &ac[0];
    assert_eq!(s["cells"], serde_json::json!([0, 2]));
    for (key, value) in [
        ("amplitude", 0.8),
        ("frequency", 40.0),
        ("phase", 30.0),
        ("start", 20.0),
        ("stop", 40.0),
    ] {
        assert_eq!(s[key].as_f64(), Some(value), "{key}: {s}");
    }
    let steps = &json["current_sources"][0];
    assert_eq!(steps["times"], serde_json::json!([20.0, 40.0]));
    assert_eq!(steps["amplitudes"], serde_json::json!([0.2, 0.0]));
}

/// The cells of [`alpha_and_delta_cells_match_runge_kutta`]: IF_curr_alpha with `tau_syn_E`
/// (ms), or IF_curr_delta (weights in mV).
#[derive(Clone, Copy, Debug)]
enum Kind {
    Alpha(f64),
    Delta,
}

/// Inputs of the alpha and delta networks (ms, delay [`DELAY`]) and their weights: nA onto
/// IF_curr_alpha, mV onto IF_curr_delta (the second fires every cell at its arrival, so the
/// third, 0.7 ms later, is discarded; the fourth fires some).
const INPUT2: [f64; 7] = [15.0, 33.3, 34.0, 71.25, 98.0, 120.5, 150.0];
const W_ALPHA: f64 = 0.5;
const W_DELTA: [f64; 7] = [3.0, 12.0, 2.5, 9.0, 4.0, 1.5, 3.0];

/// The reference for IF_curr_alpha / IF_curr_delta under [`ac`]: RK4 on `(v, I, dI/dt)`
/// (`I'' = -2/tau I' - I/tau^2`, an input adding `w e/tau` to `I'`; IF_curr_delta: no current,
/// an input adding `w` to `v`, simultaneous inputs summed and a cell at or above threshold
/// after them firing at the arrival, inputs while refractory `[t_s, t_s + tau_refrac)`
/// discarded), `v` held at v_reset while refractory; a crossing inside a step by bisection on
/// the cubic Hermite interpolant of `v` over the step (as [`reference`]).
fn reference_model(kind: Kind, i_offset: f64, t_stop: f64, h: f64) -> Vec<f64> {
    let tau = match kind {
        Kind::Alpha(tau) => tau,
        Kind::Delta => 1.0,
    };
    // the drive on a step is the one of its interior (steps end at 10 and 180, so that the
    // value at a step's end is its limit from inside the step)
    let rhs = |t: f64, y: [f64; 3], on: f64| -> [f64; 3] {
        let drive = 0.1
            + 0.7
                * (2.0 * std::f64::consts::PI * 25.0 * (t - 10.0) / 1000.0 + 45f64.to_radians())
                    .sin();
        [
            (V_REST - y[0]) / TAU_M + (y[1] + i_offset + on * drive) / CM,
            y[2],
            -2.0 / tau * y[2] - y[1] / (tau * tau),
        ]
    };
    let on = |t: f64, dt: f64| {
        if (10.0..180.0).contains(&(t + 0.5 * dt)) {
            1.0
        } else {
            0.0
        }
    };
    let rk4 = |t: f64, y: [f64; 3], dt: f64| -> [f64; 3] {
        let add = |y: [f64; 3], k: [f64; 3], c: f64| std::array::from_fn(|i| y[i] + c * k[i]);
        let on = on(t, dt);
        let k1 = rhs(t, y, on);
        let k2 = rhs(t + dt / 2.0, add(y, k1, dt / 2.0), on);
        let k3 = rhs(t + dt / 2.0, add(y, k2, dt / 2.0), on);
        let k4 = rhs(t + dt, add(y, k3, dt), on);
        std::array::from_fn(|i| y[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
    };
    let arrivals: Vec<(f64, f64)> = INPUT2
        .iter()
        .zip(W_DELTA)
        .map(|(t, wd)| {
            let w = match kind {
                Kind::Alpha(tau) => W_ALPHA * std::f64::consts::E / tau,
                Kind::Delta => wd,
            };
            (t + DELAY, w)
        })
        .collect();
    let mut breaks: Vec<f64> = arrivals.iter().map(|a| a.0).collect();
    breaks.extend([10.0, 180.0, t_stop]);
    breaks.sort_by(f64::total_cmp);
    let mut t = 0.0f64;
    let mut y = [V_REST, 0.0, 0.0];
    let mut ref_until = f64::NEG_INFINITY;
    let mut out = Vec::new();
    while t < t_stop - 1e-12 {
        if let Some(&b) = breaks.iter().find(|&&b| (b - t).abs() < 1e-9) {
            t = b;
        }
        let mut jumped = false;
        for &(a, w) in &arrivals {
            if (a - t).abs() < 1e-9 {
                match kind {
                    Kind::Alpha(_) => y[2] += w,
                    Kind::Delta if t >= ref_until - 1e-9 => {
                        y[0] += w;
                        jumped = true;
                    }
                    Kind::Delta => {}
                }
            }
        }
        if jumped && y[0] >= V_THRESH {
            out.push(t);
            y[0] = V_REST;
            ref_until = t + T_REF;
        }
        let next_break = breaks
            .iter()
            .copied()
            .find(|&b| b > t + 1e-9)
            .unwrap_or(t_stop);
        if next_break <= t {
            break;
        }
        let step = h.min(next_break - t);
        if t < ref_until - 1e-12 {
            // refractory: v held, the currents evolve
            let dt = step.min(ref_until - t);
            y = rk4(t, y, dt);
            y[0] = V_REST;
            t += dt;
            continue;
        }
        let y1 = rk4(t, y, step);
        let o = on(t, step);
        let (d0, d1) = (rhs(t, y, o)[0], rhs(t + step, y1, o)[0]);
        let hermite = |s: f64| {
            let x = s / step;
            let (h00, h10, h01, h11) = (
                2.0 * x * x * x - 3.0 * x * x + 1.0,
                x * x * x - 2.0 * x * x + x,
                -2.0 * x * x * x + 3.0 * x * x,
                x * x * x - x * x,
            );
            h00 * y[0] + h10 * step * d0 + h01 * y1[0] + h11 * step * d1
        };
        let n = 16;
        if let Some(j) = (1..=n).find(|&j| hermite(step * j as f64 / n as f64) >= V_THRESH) {
            let (mut a, mut b) = (step * (j - 1) as f64 / n as f64, step * j as f64 / n as f64);
            for _ in 0..60 {
                let m = 0.5 * (a + b);
                if hermite(m) >= V_THRESH {
                    b = m;
                } else {
                    a = m;
                }
            }
            // the currents to the spike time, v reset
            y = rk4(t, y, b);
            y[0] = V_REST;
            t += b;
            out.push(t);
            ref_until = t + T_REF;
            continue;
        }
        y = y1;
        t += step;
    }
    out
}

/// The network of [`network`] with cells of `kind` (three cells, biases [`I_OFFSET`]).
fn network_of_kind(kind: Kind) -> Network {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 9,
        min_delay: None,
        seeding: Default::default(),
    });
    let cell_type = match kind {
        Kind::Alpha(_) => CellType::IfCurrAlpha,
        Kind::Delta => CellType::IfCurrDelta,
    };
    let cells = net.create("cells", 3, cell_type).unwrap();
    net.set(&cells, "tau_refrac", T_REF).unwrap();
    net.set(&cells, "i_offset", I_OFFSET.to_vec()).unwrap();
    if let Kind::Alpha(tau) = kind {
        net.set(&cells, "tau_syn_E", tau).unwrap();
    }
    for (k, &t) in INPUT2.iter().enumerate() {
        // one connection per input time, for the delta weights
        let src = net
            .create(&format!("in{k}"), 1, CellType::SpikeSourceArray)
            .unwrap();
        net.set_spike_times(&src, SpikeTimes::Same(vec![t]))
            .unwrap();
        let w = match kind {
            Kind::Alpha(_) => W_ALPHA,
            Kind::Delta => W_DELTA[k],
        };
        net.connect(
            src,
            cells,
            Connector::AllToAll {
                allow_self_connections: true,
            },
            StaticSynapse::new(w, DELAY),
            Receptor::Excitatory,
            None,
        )
        .unwrap();
    }
    net.inject(ac(), cells).unwrap();
    net.record(cells, &[Var::Spikes, Var::V]).unwrap();
    net
}

/// IF_curr_alpha (`tau_syn_E` 5 ms, and equal to `tau_m`) and IF_curr_delta cells under the
/// sine, with synaptic input (a delta input firing a cell at its arrival, another discarded
/// while refractory): every spike within 1e-8 ms of the independent RK4 integration
/// [`reference_model`] (2.5e-4 ms), over one run and over a run chopped into pieces.
#[test]
fn alpha_and_delta_cells_match_runge_kutta() {
    for kind in [Kind::Alpha(5.0), Kind::Alpha(TAU_M), Kind::Delta] {
        let net = network_of_kind(kind);
        let mut sim = net.build().unwrap();
        sim.run(200.0);
        let got = spikes(&sim);
        let mut chopped = net.build().unwrap();
        for t in [33.35, 71.0, 137.0, 200.0] {
            chopped.run_until(t);
        }
        assert_eq!(spikes(&chopped), got, "{kind:?}: chopped");
        let mut n = 0;
        for (i, &i_offset) in I_OFFSET.iter().enumerate() {
            let want = reference_model(kind, i_offset, 200.0, 2.5e-4);
            assert_eq!(
                got[i].len(),
                want.len(),
                "{kind:?} cell {i}: {:?} vs {want:?}",
                got[i]
            );
            for (a, b) in got[i].iter().zip(&want) {
                assert!((a - b).abs() < 1e-8, "{kind:?} cell {i}: {a} vs {b}");
            }
            n += want.len();
        }
        eprintln!("{kind:?}: {n} spikes, {got:?}");
        assert!(n >= 5, "{kind:?}: {n} spikes");
    }
}
