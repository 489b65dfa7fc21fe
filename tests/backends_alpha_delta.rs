//! The step-based backends (`grid`, `euler`) on IF_curr_alpha and IF_curr_delta cells (SPEC §8),
//! run as users run them (`Network::build_with`), against values computed here independently:
//! the alpha PSP and the free membrane by direct formulas, a fine RK4 where the formula would
//! cancel, and the first threshold crossing by bisection on the formula.

use std::f64::consts::E;
use std::process::Command;

use exactlif::compare::{compare_runs, load_run};
use exactlif::{
    Backend, CellType, Connector, DataBlock, Network, Receptor, Setup, SpikeTimes, StaticSynapse,
    Var,
};

/// An input: arrival time (ms, on the grid) and weight (nA for IF_curr_alpha, mV for
/// IF_curr_delta; < 0 inhibitory).
type Input = (f64, f64);

/// The delay of every input (ms): each comes from its own `SpikeSourceArray` cell that fires
/// `DELAY` before the arrival.
const DELAY: f64 = 1.0;

/// One population "cells" of `n` cells of `cell_type` with `params` (a value per cell each),
/// initial `v0`, recording `record`, and every input of `inputs` into every cell; run for
/// `duration` ms on `backend` with timestep `h`.
#[allow(clippy::too_many_arguments)]
fn run(
    backend: Backend,
    h: f64,
    cell_type: CellType,
    n: usize,
    params: &[(&str, Vec<f64>)],
    v0: f64,
    inputs: &[Input],
    record: &[Var],
    duration: f64,
) -> DataBlock {
    let mut net = Network::new(Setup {
        timestep: h,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let cells = net.create("cells", n, cell_type).unwrap();
    for (name, values) in params {
        net.set(&cells, name, exactlif::Value::PerCell(values.clone()))
            .unwrap();
    }
    net.initialize(&cells, "v", v0).unwrap();
    net.record(cells, record).unwrap();
    if !inputs.is_empty() {
        let src = net
            .create("src", inputs.len(), CellType::SpikeSourceArray)
            .unwrap();
        net.set_spike_times(
            &src,
            SpikeTimes::PerCell(inputs.iter().map(|i| vec![i.0 - DELAY]).collect()),
        )
        .unwrap();
        for (i, &(_, w)) in inputs.iter().enumerate() {
            let receptor = if w < 0.0 {
                Receptor::Inhibitory
            } else {
                Receptor::Excitatory
            };
            net.connect(
                src.view(&[i]),
                cells,
                Connector::AllToAll {
                    allow_self_connections: true,
                },
                StaticSynapse::new(w, DELAY),
                receptor,
                None,
            )
            .unwrap();
        }
    }
    let mut sim = net.build_with(backend).unwrap();
    sim.run(duration);
    let d = sim.get_data();
    assert_eq!(d.backend, backend.name());
    d
}

/// The same value for each of `n` cells.
fn same(params: &[(&'static str, f64)], n: usize) -> Vec<(&'static str, Vec<f64>)> {
    params.iter().map(|&(k, x)| (k, vec![x; n])).collect()
}

/// Samples of `var` of cell `i`, with their times.
fn signal<'a>(d: &'a DataBlock, var: &str, i: usize) -> (&'a [f64], &'a [f64]) {
    let s = d.population("cells").unwrap().signal(var).unwrap();
    (&s.times_ms, &s.values[i])
}

fn spikes(d: &DataBlock, i: usize) -> Vec<f64> {
    d.population("cells").unwrap().spiketrains[i]
        .times_ms
        .clone()
}

/// `K2(s) = int_0^s e^{-lm (s-u)} u e^{-l u} du` (ms^2) by its quotient, for `l != lm` (accurate
/// to ~1e-15 ms^2 absolute when `(l - lm)^2` is not small).
fn k2(lm: f64, l: f64, s: f64) -> f64 {
    let d = l - lm;
    ((-lm * s).exp() - (-l * s).exp() - d * s * (-l * s).exp()) / (d * d)
}

/// `K1(s) = int_0^s e^{-lm (s-u)} e^{-l u} du` (ms), for `l != lm`.
fn k1(lm: f64, l: f64, s: f64) -> f64 {
    ((-lm * s).exp() - (-l * s).exp()) / (l - lm)
}

/// The alpha current of one input of weight `w` (nA), `s` ms after its arrival.
fn alpha_current(w: f64, tau: f64, s: f64) -> f64 {
    if s < 0.0 {
        0.0
    } else {
        w * s / tau * (1.0 - s / tau).exp()
    }
}

/// The alpha cell of tests (a) and (c): far below threshold, one excitatory and one inhibitory
/// input.
const ALPHA: [(&str, f64); 6] = [
    ("cm", 0.5),
    ("tau_m", 20.0),
    ("tau_syn_E", 2.0),
    ("tau_syn_I", 0.5),
    ("v_rest", -65.0),
    ("v_thresh", -20.0),
];
const ALPHA_INPUTS: [Input; 2] = [(2.0, 1.5), (7.3, -0.8)];

/// `v` of the cell of [`ALPHA`] at `t` (ms): `v_rest` plus, per input, its PSP
/// `(w e / (tau_syn cm)) K2(t - t_in)` (the response of `v` to `dI/dt += w e/tau_syn`).
fn alpha_v(t: f64) -> f64 {
    let (cm, lm) = (0.5, 1.0 / 20.0);
    let mut v = -65.0;
    for &(t_in, w) in &ALPHA_INPUTS {
        let tau = if w > 0.0 { 2.0 } else { 0.5 };
        if t >= t_in {
            v += w * E / (tau * cm) * k2(lm, 1.0 / tau, t - t_in);
        }
    }
    v
}

/// (a) One alpha PSP (an excitatory and a later inhibitory input) sampled on the grid: `grid`
/// equals the closed form at every grid point to 1e-12 mV and 1e-13 nA (the exact propagator;
/// inputs on grid points), and `euler`'s error is first order in `h`.
#[test]
fn alpha_psp_on_the_grid_is_the_closed_form() {
    let record = [Var::V, Var::IsynExc, Var::IsynInh, Var::Spikes];
    let params = same(&ALPHA, 1);
    let d = run(
        Backend::Grid,
        0.1,
        CellType::IfCurrAlpha,
        1,
        &params,
        -65.0,
        &ALPHA_INPUTS,
        &record,
        30.0,
    );
    assert!(spikes(&d, 0).is_empty());
    let (times, v) = signal(&d, "v", 0);
    let (_, ie) = signal(&d, "isyn_exc", 0);
    let (_, ii) = signal(&d, "isyn_inh", 0);
    assert_eq!(times.len(), 301);
    let mut worst: f64 = 0.0;
    for (k, &t) in times.iter().enumerate() {
        let want = alpha_v(t);
        worst = worst.max((v[k] - want).abs());
        assert!((v[k] - want).abs() <= 1e-12, "t = {t}: {} vs {want}", v[k]);
        let (we, wi) = (
            alpha_current(1.5, 2.0, t - 2.0),
            alpha_current(-0.8, 0.5, t - 7.3),
        );
        assert!((ie[k] - we).abs() <= 1e-13, "t = {t}: {} vs {we}", ie[k]);
        assert!((ii[k] - wi).abs() <= 1e-13, "t = {t}: {} vs {wi}", ii[k]);
    }
    // the PSP is there: peak of the excitatory one well above rest
    assert!(v.iter().cloned().fold(f64::MIN, f64::max) > -60.0);
    eprintln!("grid alpha PSP: max |v - closed form| = {worst:e} mV");

    // Euler: the maximum error over the run halves with the step (first order)
    let errors: Vec<f64> = [0.1, 0.05, 0.025]
        .iter()
        .map(|&h| {
            let d = run(
                Backend::Euler,
                h,
                CellType::IfCurrAlpha,
                1,
                &params,
                -65.0,
                &ALPHA_INPUTS,
                &record,
                30.0,
            );
            let (times, v) = signal(&d, "v", 0);
            times
                .iter()
                .zip(v)
                .map(|(&t, &x)| (x - alpha_v(t)).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    eprintln!("euler alpha PSP: max |v error| at h = 0.1, 0.05, 0.025: {errors:?}");
    assert!(errors[0] < 0.5 && errors[0] > 1e-3, "{errors:?}");
    for w in errors.windows(2) {
        let ratio = w[0] / w[1];
        assert!((1.8..=2.2).contains(&ratio), "{errors:?}");
    }
}

/// An alpha cell that fires: `v` is held at `v_reset` for the refractory period (in whole
/// steps) while the currents go on evolving and receiving input, then evolves freely from
/// `v_reset` with the currents it has then.
#[test]
fn alpha_refractory_currents_evolve() {
    let (tau_m, tau_s, cm, v_reset, tau_ref) = (10.0, 1.0, 0.25, -70.0, 2.0);
    let params = same(
        &[
            ("cm", cm),
            ("tau_m", tau_m),
            ("tau_syn_E", tau_s),
            ("tau_syn_I", tau_s),
            ("v_rest", -65.0),
            ("v_reset", v_reset),
            ("v_thresh", -55.0),
            ("tau_refrac", tau_ref),
        ],
        1,
    );
    // a strong input that fires the cell, and one while it is refractory
    let inputs = [(1.0, 3.0), (4.0, 0.5)];
    let d = run(
        Backend::Grid,
        0.1,
        CellType::IfCurrAlpha,
        1,
        &params,
        -65.0,
        &inputs,
        &[Var::V, Var::IsynExc, Var::Spikes],
        15.0,
    );
    let s = spikes(&d, 0);
    assert_eq!(s.len(), 1, "{s:?}");
    let ts = s[0];
    // the first grid point at which the closed form is above threshold
    let lm = 1.0 / tau_m;
    let psp = |t: f64| -65.0 + 3.0 * E / (tau_s * cm) * k2(lm, 1.0 / tau_s, t - 1.0);
    let first = (11..100)
        .map(|k| k as f64 * 0.1)
        .find(|&t| psp(t) >= -55.0)
        .unwrap();
    assert!((ts - first).abs() < 1e-9, "{ts} vs {first}");
    let (times, v) = signal(&d, "v", 0);
    let (_, ie) = signal(&d, "isyn_exc", 0);
    let current = |t: f64| alpha_current(3.0, tau_s, t - 1.0) + alpha_current(0.5, tau_s, t - 4.0);
    let t_free = ts + tau_ref;
    // the second input comes while the cell is refractory (it fires at 2.2 ms)
    assert!(ts < 4.0 && 4.0 < t_free, "{ts}");
    for (k, &t) in times.iter().enumerate() {
        assert!((ie[k] - current(t)).abs() <= 1e-13, "t = {t}: {}", ie[k]);
        if t >= ts - 1e-9 && t <= t_free + 1e-9 {
            assert_eq!(v[k], v_reset, "t = {t}");
        }
    }
    // after the refractory period: free from v_reset with (I, A = dI/dt + I/tau) of then;
    // each input's A is w e/tau e^{-s/tau}
    let l = 1.0 / tau_s;
    let a_of = |t: f64| {
        [(1.0, 3.0), (4.0, 0.5)]
            .iter()
            .map(|&(t_in, w)| w * E * l * (-(t - t_in) * l).exp())
            .sum::<f64>()
    };
    let (i_r, a_r) = (current(t_free), a_of(t_free));
    for (k, &t) in times.iter().enumerate() {
        if t > t_free + 1e-9 {
            let s = t - t_free;
            let want = -65.0
                + (v_reset + 65.0) * (-lm * s).exp()
                + (i_r * k1(lm, l, s) + a_r * k2(lm, l, s)) / cm;
            assert!((v[k] - want).abs() <= 1e-12, "t = {t}: {} vs {want}", v[k]);
        }
    }
}

/// (c) `tau_syn == tau_m`: the propagator has no `1/(tau_syn - tau_m)`. The PSP is
/// `(w e/(tau cm)) s^2/2 e^{-s/tau}` on `grid`; with `tau_syn` 1e-9 away from `tau_m` it is
/// the RK4 solution of the ODEs; `euler` stays finite and first-order close.
#[test]
fn alpha_tau_syn_equal_to_tau_m() {
    let (tau, cm, w) = (10.0, 0.5, 1.2);
    for (tau_syn, rk4) in [(tau, false), (tau * (1.0 + 1e-9), true)] {
        let params = same(
            &[
                ("cm", cm),
                ("tau_m", tau),
                ("tau_syn_E", tau_syn),
                ("v_rest", -65.0),
                ("v_thresh", -20.0),
            ],
            1,
        );
        let d = run(
            Backend::Grid,
            0.1,
            CellType::IfCurrAlpha,
            1,
            &params,
            -65.0,
            &[(2.0, w)],
            &[Var::V],
            40.0,
        );
        let (times, v) = signal(&d, "v", 0);
        // u = v - v_rest, I, D = dI/dt from the arrival, RK4 with 0.002 ms steps (its error
        // is ~1e-13 mV here: checked against the formula at tau_syn == tau_m below)
        let (lm, l) = (1.0 / tau, 1.0 / tau_syn);
        let f = |y: [f64; 3]| [-lm * y[0] + y[1] / cm, y[2], -2.0 * l * y[2] - l * l * y[1]];
        let mut y = [0.0, 0.0, w * E * l];
        let mut by_rk4 = vec![-65.0; 21];
        for _ in 21..times.len() {
            for _ in 0..50 {
                let dt = 0.002;
                let add = |y: [f64; 3], k: [f64; 3], c: f64| {
                    [y[0] + c * k[0], y[1] + c * k[1], y[2] + c * k[2]]
                };
                let k1 = f(y);
                let k2 = f(add(y, k1, dt / 2.0));
                let k3 = f(add(y, k2, dt / 2.0));
                let k4 = f(add(y, k3, dt));
                for i in 0..3 {
                    y[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                }
            }
            by_rk4.push(-65.0 + y[0]);
        }
        let want: Vec<f64> = if rk4 {
            by_rk4
        } else {
            let formula: Vec<f64> = times
                .iter()
                .map(|&t| {
                    let s = (t - 2.0).max(0.0);
                    -65.0 + w * E / (tau * cm) * s * s / 2.0 * (-s / tau).exp()
                })
                .collect();
            for (a, b) in formula.iter().zip(&by_rk4) {
                assert!((a - b).abs() <= 5e-13, "the RK4 reference: {a} vs {b}");
            }
            formula
        };
        for (k, &t) in times.iter().enumerate() {
            assert!(v[k].is_finite());
            assert!(
                (v[k] - want[k]).abs() <= 1e-12,
                "tau_syn {tau_syn}, t = {t}: {} vs {}",
                v[k],
                want[k]
            );
        }
        let e = run(
            Backend::Euler,
            0.1,
            CellType::IfCurrAlpha,
            1,
            &params,
            -65.0,
            &[(2.0, w)],
            &[Var::V],
            40.0,
        );
        let (_, ve) = signal(&e, "v", 0);
        let err = ve
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        // the PSP peaks at 17.6 mV; first order: about h/tau of it
        assert!(err.is_finite() && err < 0.2, "euler error {err}");
    }
}

/// The delta cell of (b): `v_rest` -65, threshold -50, reset -70, refractory 2 ms, no bias.
fn delta_params(n: usize) -> Vec<(&'static str, Vec<f64>)> {
    same(
        &[
            ("tau_m", 10.0),
            ("v_rest", -65.0),
            ("v_reset", -70.0),
            ("v_thresh", -50.0),
            ("tau_refrac", 2.0),
        ],
        n,
    )
}

/// (b) IF_curr_delta: a jump of `w` mV at a grid point moves `v` by exactly `w` there (on both
/// step backends), and `v` then relaxes by the closed form (`grid`).
#[test]
fn delta_jump_is_exactly_w() {
    for backend in [Backend::Grid, Backend::Euler] {
        let d = run(
            backend,
            0.1,
            CellType::IfCurrDelta,
            1,
            &delta_params(1),
            -65.0,
            &[(2.0, 1.5), (5.0, -0.75)],
            &[Var::V, Var::Spikes],
            10.0,
        );
        let (times, v) = signal(&d, "v", 0);
        assert!(spikes(&d, 0).is_empty());
        // at rest until the first jump, which is exact
        for k in 0..20 {
            assert_eq!(v[k], -65.0, "{backend}, t = {}", times[k]);
        }
        assert_eq!(v[20], -63.5, "{backend}");
        // the second jump: the difference to the same run without it is exactly -0.75 at 5.0
        let without = run(
            backend,
            0.1,
            CellType::IfCurrDelta,
            1,
            &delta_params(1),
            -65.0,
            &[(2.0, 1.5)],
            &[Var::V],
            10.0,
        );
        let (_, v0) = signal(&without, "v", 0);
        assert_eq!(&v[..50], &v0[..50]);
        assert_eq!(v[50], v0[50] + (-0.75), "{backend}");
        if backend == Backend::Grid {
            for (k, &t) in times.iter().enumerate().skip(20) {
                let mut want = -65.0 + 1.5 * (-(t - 2.0) / 10.0).exp();
                if t >= 5.0 - 1e-9 {
                    want -= 0.75 * (-(t - 5.0) / 10.0).exp();
                }
                assert!((v[k] - want).abs() <= 1e-13, "t = {t}: {} vs {want}", v[k]);
            }
        }
    }
}

/// (b) IF_curr_delta's refractoriness: a jump to threshold fires at its arrival; inputs while
/// refractory are discarded (`v` stays `v_reset`), the last one a step before the end
/// included; an input at exactly `t_s + tau_refrac` is applied (SPEC §8).
#[test]
fn delta_inputs_while_refractory_are_discarded() {
    for backend in [Backend::Grid, Backend::Euler] {
        let inputs = [(2.0, 20.0), (3.0, 3.0), (3.9, 4.0), (4.0, 2.0)];
        let d = run(
            backend,
            0.1,
            CellType::IfCurrDelta,
            1,
            &delta_params(1),
            -65.0,
            &inputs,
            &[Var::V, Var::Spikes],
            8.0,
        );
        assert_eq!(spikes(&d, 0), vec![2.0], "{backend}");
        let (times, v) = signal(&d, "v", 0);
        for k in 20..40 {
            assert_eq!(v[k], -70.0, "{backend}, t = {}", times[k]);
        }
        assert_eq!(v[40], -68.0, "{backend}: the input at t_s + tau_refrac");
        if backend == Backend::Grid {
            for (k, &t) in times.iter().enumerate().skip(40) {
                let want = -65.0 - 3.0 * (-(t - 4.0) / 10.0).exp();
                assert!((v[k] - want).abs() <= 1e-13, "t = {t}: {} vs {want}", v[k]);
            }
        }
    }
}

/// (b) Inputs at the same grid point are summed before the threshold test: two jumps that
/// each stay below threshold fire together, at their arrival; an excitatory jump that alone
/// would fire does not when an inhibitory one arrives with it.
#[test]
fn delta_simultaneous_inputs_are_summed_before_the_threshold() {
    for backend in [Backend::Grid, Backend::Euler] {
        // cell 0: 8 + 8 mV from -65 reaches -49 >= -50 at 2.0 ms; cell 1 gets only the first
        // of them. Then at 8.0 ms cell 0 gets +20 mV, which alone would fire it from about
        // -68 mV, and -5 mV with it.
        let inputs = [(2.0, 8.0), (2.0, 8.0), (8.0, 20.0), (8.0, -5.0)];
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 1,
            min_delay: None,
            seeding: Default::default(),
        });
        let cells = net.create("cells", 2, CellType::IfCurrDelta).unwrap();
        for (name, values) in delta_params(2) {
            net.set(&cells, name, exactlif::Value::PerCell(values))
                .unwrap();
        }
        net.set(&cells, "tau_refrac", 0.5).unwrap();
        net.record(cells, &[Var::V, Var::Spikes]).unwrap();
        let src = net
            .create("src", inputs.len(), CellType::SpikeSourceArray)
            .unwrap();
        net.set_spike_times(
            &src,
            SpikeTimes::PerCell(inputs.iter().map(|i| vec![i.0 - DELAY]).collect()),
        )
        .unwrap();
        for (i, &(_, w)) in inputs.iter().enumerate() {
            let receptor = if w < 0.0 {
                Receptor::Inhibitory
            } else {
                Receptor::Excitatory
            };
            let posts: &[usize] = if i == 0 { &[0, 1] } else { &[0] };
            net.connect(
                src.view(&[i]),
                cells.view(posts),
                Connector::AllToAll {
                    allow_self_connections: true,
                },
                StaticSynapse::new(w, DELAY),
                receptor,
                None,
            )
            .unwrap();
        }
        let mut sim = net.build_with(backend).unwrap();
        sim.run(10.0);
        let d = sim.get_data();
        assert_eq!(spikes(&d, 0), vec![2.0], "{backend}");
        assert_eq!(spikes(&d, 1), Vec::<f64>::new(), "{backend}");
        let (_, v1) = signal(&d, "v", 1);
        assert_eq!(v1[20], -57.0);
        // cell 0 at 8.0: from v_reset (refractory 0.5 ms ended at 2.5) relaxing toward -65
        // mV, +20 - 5 mV: below threshold, no spike
        let (_, v0) = signal(&d, "v", 0);
        assert_eq!(v0[20], -70.0);
        assert!(v0[79] < -67.0 && v0[79] + 20.0 >= -50.0, "{}", v0[79]);
        assert!(v0[80] < -50.0 && v0[80] > -55.0, "{}", v0[80]);
    }
}

/// (d) Convergence of `euler` on alpha cells driven above threshold (`v_inf` 1 to 8 mV above
/// it, plus an alpha input while they rise): the error of `v` before the first spike halves
/// with the step, and so does, on average over the cells, the error of the first spike time
/// (against the first crossing of the closed form, found by bisection here); `grid` fires at
/// the first grid point at or after it.
#[test]
fn euler_converges_linearly_on_driven_alpha_cells() {
    let n = 8;
    let (cm, tau_m, tau_s, v_rest, th) = (0.5, 15.0, 1.5, -65.0, -50.0);
    let i_offset: Vec<f64> = (0..n)
        .map(|i| (th - v_rest + 1.0 + i as f64) * cm / tau_m)
        .collect();
    let mut params = same(
        &[
            ("cm", cm),
            ("tau_m", tau_m),
            ("tau_syn_E", tau_s),
            ("v_rest", v_rest),
            ("v_reset", -70.0),
            ("v_thresh", th),
            ("tau_refrac", 2.0),
        ],
        n,
    );
    params.push(("i_offset", i_offset.clone()));
    let (w, t_in) = (0.4, 5.0);
    let (lm, l) = (1.0 / tau_m, 1.0 / tau_s);
    let v_of = |i: usize, t: f64| {
        let v_inf = v_rest + i_offset[i] * tau_m / cm;
        let mut v = v_inf + (v_rest - v_inf) * (-lm * t).exp();
        if t > t_in {
            v += w * E * l / cm * k2(lm, l, t - t_in);
        }
        v
    };
    // first crossings: v rises monotonically (a relaxation toward v_inf > th plus a PSP)
    let crossing: Vec<f64> = (0..n)
        .map(|i| {
            let (mut a, mut b) = (0.0, 200.0);
            assert!(v_of(i, b) >= th);
            for _ in 0..200 {
                let m = 0.5 * (a + b);
                if v_of(i, m) >= th {
                    b = m;
                } else {
                    a = m;
                }
            }
            b
        })
        .collect();
    let steps = [0.1, 0.05, 0.025, 0.0125];
    let mut v_err = Vec::new();
    let mut t_err = Vec::new();
    for &h in &steps {
        let record = [Var::V, Var::Spikes];
        let d = run(
            Backend::Euler,
            h,
            CellType::IfCurrAlpha,
            n,
            &params,
            v_rest,
            &[(t_in, w)],
            &record,
            60.0,
        );
        let mut ve: f64 = 0.0;
        let mut te = 0.0;
        for (i, &tc) in crossing.iter().enumerate() {
            let first = spikes(&d, i)[0];
            te += (first - tc).abs() / n as f64;
            let (times, v) = signal(&d, "v", i);
            for (k, &t) in times.iter().enumerate() {
                if t >= first.min(tc) - h {
                    break;
                }
                ve = ve.max((v[k] - v_of(i, t)).abs());
            }
        }
        v_err.push(ve);
        t_err.push(te);
        let g = run(
            Backend::Grid,
            h,
            CellType::IfCurrAlpha,
            n,
            &params,
            v_rest,
            &[(t_in, w)],
            &record,
            60.0,
        );
        for (i, &tc) in crossing.iter().enumerate() {
            let first = spikes(&g, i)[0];
            assert!(
                first >= tc - 1e-9 && first < tc + h + 1e-9,
                "grid h = {h}, cell {i}: {first} vs crossing {tc}"
            );
        }
    }
    eprintln!("euler, h = {steps:?}: max v error {v_err:?}, mean |first spike error| {t_err:?}");
    for k in 1..steps.len() {
        let rv = v_err[k - 1] / v_err[k];
        assert!((1.8..=2.2).contains(&rv), "v errors {v_err:?}");
    }
    // least-squares slope of ln(error) against ln(h)
    let xs: Vec<f64> = steps.iter().map(|h| h.ln()).collect();
    let ys: Vec<f64> = t_err.iter().map(|e| e.ln()).collect();
    let (mx, my) = (
        xs.iter().sum::<f64>() / xs.len() as f64,
        ys.iter().sum::<f64>() / ys.len() as f64,
    );
    let slope = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>();
    assert!((0.8..=1.2).contains(&slope), "order {slope}: {t_err:?}");
}

/// A Poisson source driving an IF_curr_alpha population (nA) and an IF_curr_delta one (mV),
/// the alpha cells exciting the delta ones; v and spikes recorded, the currents of the alpha
/// cells too.
const MIXED: &str = r#"
[simulation]
timestep = 0.1
duration = 50.0
seed = 3

[[populations]]
label = "noise"
size = 20
cell_type = "SpikeSourcePoisson"
[populations.parameters]
rate = 200.0

[[populations]]
label = "alpha"
size = 5
cell_type = "IF_curr_alpha"
record = ["v", "isyn_exc", "isyn_inh", "spikes"]
[populations.parameters]
i_offset = 0.6

[[populations]]
label = "delta"
size = 5
cell_type = "IF_curr_delta"
record = ["v", "spikes"]
[populations.parameters]
i_offset = 0.6

[[projections]]
presynaptic = "noise"
postsynaptic = "alpha"
receptor_type = "excitatory"
connector = { type = "FixedProbabilityConnector", p_connect = 0.5 }
synapse = { type = "StaticSynapse", weight = 0.5, delay = 1.0 }

[[projections]]
presynaptic = "noise"
postsynaptic = "delta"
receptor_type = "inhibitory"
connector = { type = "FixedProbabilityConnector", p_connect = 0.5 }
synapse = { type = "StaticSynapse", weight = -1.0, delay = 1.0 }

[[projections]]
presynaptic = "alpha"
postsynaptic = "delta"
receptor_type = "excitatory"
connector = { type = "AllToAllConnector" }
synapse = { type = "StaticSynapse", weight = 2.0, delay = 0.5 }
"#;

/// A model file with an IF_curr_alpha and an IF_curr_delta population runs on both step
/// backends through the command line; the delta population writes no `isyn` (it records v
/// and spikes), and `exactlif compare` of the two runs works.
#[test]
fn cli_runs_and_compares_alpha_and_delta() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.toml");
    std::fs::write(&model, MIXED).unwrap();
    let exe = env!("CARGO_BIN_EXE_exactlif");
    for backend in ["grid", "euler"] {
        let out = dir.path().join(backend);
        let o = Command::new(exe)
            .args([
                "run",
                model.to_str().unwrap(),
                "--backend",
                backend,
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        for f in ["spikes.csv", "v.csv", "isyn_exc.csv", "summary.json"] {
            assert!(out.join(f).is_file(), "{backend}: {f}");
        }
        let isyn = std::fs::read_to_string(out.join("isyn_exc.csv")).unwrap();
        assert!(isyn.lines().skip(1).all(|l| l.starts_with("alpha,")));
        let v = std::fs::read_to_string(out.join("v.csv")).unwrap();
        assert!(v.lines().any(|l| l.starts_with("delta,")));
    }
    let o = Command::new(exe)
        .args(["compare"])
        .arg(dir.path().join("grid"))
        .arg(dir.path().join("euler"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = report["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["v", "isyn_exc", "isyn_inh"]);

    // the same comparison through the library, with both populations' spikes
    let load = |b: &str| load_run(&dir.path().join(b)).unwrap();
    let rep = compare_runs(&load("grid"), &load("euler"), None).unwrap();
    assert!(rep.spikes.matched > 0, "{:?}", rep.spikes);
}

/// `converge` runs on a network of IF_curr_alpha and IF_curr_delta cells: a row per step
/// backend and step, with spike and `v` errors, and no `isyn` asked of the delta cells.
/// (The values are the exact engine's business: only the study's shape is checked here.)
#[test]
fn converge_study_runs_on_alpha_and_delta() {
    let model = exactlif::io::model_file::parse_model(MIXED, "mixed.toml").unwrap();
    let steps = [0.2, 0.1];
    let study = exactlif::converge::run_study(&model, &steps, None, &mut |_| {}).unwrap();
    assert_eq!(study.rows.len(), 4);
    for row in &study.rows {
        assert!(row.step_spikes.is_some_and(|n| n > 0), "{row:?}");
        assert!(row.v_times.is_some_and(|n| n > 0), "{row:?}");
        assert!(
            row.v_max_abs_error_mv.is_some_and(f64::is_finite),
            "{row:?}"
        );
    }
}
