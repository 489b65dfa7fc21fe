//! IF_curr_alpha and IF_curr_delta (SPEC §8) through the exact engine, against closed forms
//! written out here independently of the crate's kernels: the alpha PSP (its current and its
//! voltage, for tau_syn far from and equal to tau_m) and the delta jump. The 50-digit cases of
//! tests/reference/cases (alpha_*, delta_rules, mixed_network) cover grazes, excursions,
//! refractoriness and mixed networks; tests/lazy_predictions.rs the lazy rules of both models.

use exactlif::{CellType, Connector, Network, Receptor, Setup, SpikeTimes, StaticSynapse, Var};

/// One cell of `cell_type` with parameters `params`, receiving one input of weight `w` at
/// t = 2 ms (a spike at 1 ms, delay 1 ms), recording v (and the currents unless IF_curr_delta)
/// for 40 ms: the samples `(t, v, isyn_exc)`.
fn psp(cell_type: CellType, params: &[(&str, f64)], w: f64) -> Vec<(f64, f64, f64)> {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let src = net.create("src", 1, CellType::SpikeSourceArray).unwrap();
    net.set_spike_times(&src, SpikeTimes::Same(vec![1.0]))
        .unwrap();
    let cell = net.create("cell", 1, cell_type).unwrap();
    for (name, x) in params {
        net.set(&cell, name, *x).unwrap();
    }
    net.connect(
        src,
        cell,
        Connector::AllToAll {
            allow_self_connections: true,
        },
        StaticSynapse::new(w, 1.0),
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    let vars: &[Var] = if cell_type == CellType::IfCurrDelta {
        &[Var::V, Var::Spikes]
    } else {
        &[Var::V, Var::IsynExc, Var::Spikes]
    };
    net.record(cell, vars).unwrap();
    let mut sim = net.build().unwrap();
    sim.run(40.0);
    let data = sim.get_data();
    let pop = &data.populations[1];
    assert!(
        pop.spiketrains.iter().all(|s| s.times_ms.is_empty()),
        "no spike expected"
    );
    let v = &pop.signals[0];
    let ie = pop.signals.get(1);
    (0..v.times_ms.len())
        .map(|k| {
            (
                v.times_ms[k],
                v.values[0][k],
                ie.map_or(0.0, |s| s.values[0][k]),
            )
        })
        .collect()
}

/// The alpha PSP of weight `w` (nA) arriving at `t0` from rest, SPEC §8:
/// `I(s) = w (s/tau_s) e^{1 - s/tau_s}`, and `v = v_rest + (w e / (tau_s cm)) K2(s)` with
/// `K2(s) = int_0^s e^{-(s-u)/tau_m} u e^{-u/tau_s} du`, which is
/// `(e^{-lm s} - e^{-l s} - (l - lm) s e^{-l s}) / (l - lm)^2` for `l != lm` and
/// `s^2/2 e^{-lm s}` for `l == lm` (`l = 1/tau_s`, `lm = 1/tau_m`).
fn alpha_psp(t: f64, t0: f64, w: f64, tau_s: f64, tau_m: f64, cm: f64) -> (f64, f64) {
    let s = t - t0;
    if s <= 0.0 {
        return (-65.0, 0.0);
    }
    let e = std::f64::consts::E;
    let current = w * s / tau_s * (1.0 - s / tau_s).exp();
    let (l, lm) = (1.0 / tau_s, 1.0 / tau_m);
    let k2 = if tau_s == tau_m {
        s * s / 2.0 * (-lm * s).exp()
    } else {
        let d = l - lm;
        ((-lm * s).exp() - (-l * s).exp() - d * s * (-l * s).exp()) / (d * d)
    };
    (-65.0 + w * e / (tau_s * cm) * k2, current)
}

#[test]
fn an_alpha_psp_is_the_closed_form() {
    // PyNN's defaults (tau_syn 0.5, tau_m 20, cm 1), and a slower synapse on a smaller cell
    for (tau_s, tau_m, cm, w) in [(0.5, 20.0, 1.0, 2.0), (3.0, 10.0, 0.25, 0.7)] {
        let params = [
            ("tau_syn_E", tau_s),
            ("tau_m", tau_m),
            ("cm", cm),
            ("v_thresh", 0.0),
        ];
        let samples = psp(CellType::IfCurrAlpha, &params, w);
        let mut peak_i: f64 = 0.0;
        for (t, v, ie) in samples {
            let (v_want, i_want) = alpha_psp(t, 2.0, w, tau_s, tau_m, cm);
            assert!(
                (v - v_want).abs() < 1e-12,
                "tau_syn {tau_s}: v({t}) = {v}, closed form {v_want}"
            );
            assert!(
                (ie - i_want).abs() < 1e-12,
                "tau_syn {tau_s}: I({t}) = {ie}, closed form {i_want}"
            );
            peak_i = peak_i.max(ie);
        }
        // the current peaks at w, tau_syn after the input (on the grid here: 2 + tau_s)
        assert!(
            (peak_i - w).abs() < 1e-12,
            "peak current {peak_i}, weight {w}"
        );
    }
}

#[test]
fn an_alpha_psp_with_tau_syn_equal_to_tau_m_is_the_closed_form() {
    let (tau, cm, w) = (10.0, 0.5, 1.0);
    let params = [
        ("tau_syn_E", tau),
        ("tau_m", tau),
        ("cm", cm),
        ("v_thresh", 0.0),
    ];
    for (t, v, ie) in psp(CellType::IfCurrAlpha, &params, w) {
        let (v_want, i_want) = alpha_psp(t, 2.0, w, tau, tau, cm);
        assert!(
            (v - v_want).abs() < 1e-12,
            "v({t}) = {v}, closed form {v_want}"
        );
        assert!(
            (ie - i_want).abs() < 1e-12,
            "I({t}) = {ie}, closed form {i_want}"
        );
    }
}

#[test]
fn a_delta_input_is_a_jump_of_w_millivolts() {
    let (w, tau_m) = (3.5, 20.0);
    // cm does not enter the jump (SPEC §8)
    for cm in [1.0, 0.2] {
        let params = [("tau_m", tau_m), ("cm", cm)];
        for (t, v, _) in psp(CellType::IfCurrDelta, &params, w) {
            // the sample at the arrival (t = 2) is taken after the input
            let want = if t < 2.0 {
                -65.0
            } else {
                -65.0 + w * (-(t - 2.0) / tau_m).exp()
            };
            assert!(
                (v - want).abs() < 1e-12,
                "cm {cm}: v({t}) = {v}, want {want}"
            );
        }
    }
}

/// Changes between runs (`Simulation::set_parameter`, `initialize`) reach IF_curr_alpha and
/// IF_curr_delta cells exactly at the current time, and name what each model lacks.
#[test]
fn changes_between_runs_reach_alpha_and_delta_cells() {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let a = net.create("a", 1, CellType::IfCurrAlpha).unwrap();
    let d = net.create("d", 1, CellType::IfCurrDelta).unwrap();
    net.record(a, &[Var::V]).unwrap();
    net.record(d, &[Var::V]).unwrap();
    let mut sim = net.build().unwrap();
    sim.run(10.0);
    // from t = 10: v = -55 relaxing to v_rest = -65 (both), and for the alpha cell a current
    // i_offset = 0.25 nA (v_inf = -60)
    sim.initialize("a", Var::V, &[-55.0]).unwrap();
    sim.initialize("d", Var::V, &[-55.0]).unwrap();
    sim.set_parameter("a", "i_offset", &[0.25]).unwrap();
    sim.run(20.0);
    let data = sim.get_data();
    for (pop, v_inf) in [(0, -60.0), (1, -65.0)] {
        let v = &data.populations[pop].signals[0];
        for (k, &t) in v.times_ms.iter().enumerate() {
            // the sample at t = 10 was taken by the run that ended there
            let want = if t <= 10.0 {
                -65.0
            } else {
                v_inf + (-55.0 - v_inf) * (-(t - 10.0) / 20.0).exp()
            };
            assert!(
                (v.values[0][k] - want).abs() < 1e-12,
                "population {pop}: v({t}) = {}, want {want}",
                v.values[0][k]
            );
        }
    }
    // what IF_curr_delta does not have
    let e = sim.initialize("d", Var::IsynExc, &[0.1]).unwrap_err();
    assert!(
        e.to_string()
            .contains("not a state variable of IF_curr_delta (it has v)"),
        "{e}"
    );
    let e = sim.set_parameter("d", "tau_syn_E", &[2.0]).unwrap_err();
    assert!(
        e.to_string().contains("not a parameter of IF_curr_delta"),
        "{e}"
    );
    // IF_curr_alpha's tau_syn can change
    sim.set_parameter("a", "tau_syn_E", &[2.0]).unwrap();
}
