//! Changes between runs (`Simulation::set_parameter`, `Simulation::initialize`), checked against
//! closed-form values computed here, not by the engine: a cell at rest whose bias current is
//! switched on at `t1` follows `v(t) = v_inf + (v(t1) - v_inf) e^{-(t - t1)/tau_m}` and first
//! reaches threshold at `t1 + tau_m ln((v_inf - v(t1)) / (v_inf - v_thresh))`.

mod common;

use exactlif::{
    Backend, CellType, Connector, CurrentSource, Network, Receptor, Setup, Simulation, SpikeTimes,
    StateError, StaticSynapse, Var,
};

const TAU_M: f64 = 20.0;
const V_REST: f64 = -65.0;
const V_THRESH: f64 = -50.0;

/// `n` PyNN-default IF_curr_exp cells (tau_m 20 ms, v_rest -65 mV, v_thresh -50 mV, cm 1 nF),
/// v and spikes recorded.
fn cells(n: usize, backend: Backend) -> Simulation {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 3,
        min_delay: None,
        seeding: Default::default(),
    });
    let p = net.create("cells", n, CellType::IfCurrExp).unwrap();
    net.record(p, &[Var::V, Var::Spikes]).unwrap();
    net.build_with(backend).unwrap()
}

fn spikes(sim: &Simulation) -> Vec<Vec<f64>> {
    common::data(sim).populations[0]
        .spiketrains
        .iter()
        .map(|t| t.times_ms.clone())
        .collect()
}

#[test]
fn a_bias_switched_on_between_runs_fires_at_the_closed_form_time() {
    let mut sim = cells(1, Backend::Exact);
    sim.run(10.0);
    let i = 1.0; // nA: v_inf = -65 + 1 * 20 / 1 = -45 mV
    sim.set_parameter("cells", "i_offset", &[i]).unwrap();
    sim.run(30.0);
    let v_inf = V_REST + i * TAU_M;
    let first = 10.0 + TAU_M * ((v_inf - V_REST) / (v_inf - V_THRESH)).ln();
    let got = spikes(&sim)[0][0];
    assert!((got - first).abs() < 1e-12, "{got} vs {first}");
    // v on the grid before the first spike
    let data = common::data(&sim);
    let v = &data.populations[0].signals[0];
    for (k, &t) in v
        .times_ms
        .iter()
        .enumerate()
        .take_while(|(_, &t)| t < first)
    {
        let want = if t <= 10.0 {
            V_REST
        } else {
            v_inf + (V_REST - v_inf) * (-(t - 10.0) / TAU_M).exp()
        };
        assert!((v.values[0][k] - want).abs() < 1e-12, "t = {t}");
    }
}

#[test]
fn initialize_between_runs_sets_v_now_and_for_reset() {
    for backend in [Backend::Exact, Backend::Grid] {
        let mut sim = cells(2, backend);
        sim.run(5.0);
        sim.initialize("cells", Var::V, &[-52.0, -60.0]).unwrap();
        sim.run(10.0);
        let data = common::data(&sim);
        let v = &data.populations[0].signals[0];
        assert_eq!(v.times_ms.len(), 151);
        for (k, &t) in v.times_ms.iter().enumerate() {
            for (cell, v0) in [(0, -52.0), (1, -60.0)] {
                // the sample at t = 5 ms was taken by the first run, before the change
                let want = if k <= 50 {
                    V_REST
                } else {
                    V_REST + (v0 - V_REST) * (-(t - 5.0) / TAU_M).exp()
                };
                let tol = if backend == Backend::Exact {
                    1e-12
                } else {
                    1e-11
                };
                assert!(
                    (v.values[cell][k] - want).abs() < tol,
                    "{backend} cell {cell} t = {t}: {} vs {want}",
                    v.values[cell][k]
                );
            }
        }
        // reset returns to the initialized values
        sim.reset();
        sim.run(0.0);
        let v = &common::data(&sim).populations[0].signals[0];
        assert_eq!((v.values[0][0], v.values[1][0]), (-52.0, -60.0));
    }
}

#[test]
fn a_parameter_change_holds_after_reset_and_equals_a_network_built_with_it() {
    let mut changed = cells(3, Backend::Exact);
    changed
        .set_parameter("cells", "i_offset", &[0.8, 0.9, 1.0])
        .unwrap();
    changed.run(100.0);
    let first = spikes(&changed);
    changed.reset();
    changed.run(100.0);
    assert_eq!(spikes(&changed), first, "the change holds after reset");

    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 3,
        min_delay: None,
        seeding: Default::default(),
    });
    let p = net.create("cells", 3, CellType::IfCurrExp).unwrap();
    net.set(&p, "i_offset", vec![0.8, 0.9, 1.0]).unwrap();
    net.record(p, &[Var::V, Var::Spikes]).unwrap();
    let mut built = net.build().unwrap();
    built.run(100.0);
    assert_eq!(
        spikes(&built),
        first,
        "bit-identical to the network built with it"
    );
    assert!(first.iter().all(|t| !t.is_empty()));
}

#[test]
fn the_grid_backend_takes_a_change_between_runs() {
    let mut sim = cells(1, Backend::Grid);
    sim.run(10.0);
    sim.set_parameter("cells", "tau_m", &[10.0]).unwrap();
    sim.set_parameter("cells", "i_offset", &[2.0]).unwrap();
    sim.run(20.0);
    // v_inf = -65 + 2 * 10 / 1 = -45 mV; on the grid v is the closed form at grid points, and
    // the spike is at the first grid point at or after the exact crossing
    let exact = 10.0 + 10.0 * ((20.0f64) / 5.0).ln();
    let got = spikes(&sim)[0][0];
    assert!(got >= exact && got < exact + 0.1 + 1e-9, "{got} vs {exact}");
}

#[test]
fn invalid_changes_change_nothing() {
    let mut sim = cells(2, Backend::Exact);
    sim.run(5.0);
    // the second cell's v_thresh would fall below v_reset: refused, the first cell unchanged too
    let e = sim
        .set_parameter("cells", "v_thresh", &[-55.0, -70.0])
        .unwrap_err();
    assert!(matches!(e, StateError::Invalid { cell: 1, .. }), "{e}");
    assert!(e.to_string().contains("v_reset"), "{e}");
    let e = sim.set_parameter("cells", "t_refrac", &[1.0]).unwrap_err();
    assert!(e.to_string().contains("tau_refrac"), "{e}");
    let e = sim.set_parameter("nobody", "cm", &[1.0]).unwrap_err();
    assert_eq!(e, StateError::NoPopulation("nobody".into()));
    let e = sim
        .initialize("cells", Var::V, &[1.0, 2.0, 3.0])
        .unwrap_err();
    assert!(matches!(
        e,
        StateError::Length {
            given: 3,
            size: 2,
            ..
        }
    ));
    let e = sim.initialize("cells", Var::V, &[f64::NAN]).unwrap_err();
    assert!(matches!(e, StateError::NotFinite { .. }), "{e}");
    sim.run(5.0);
    let untouched = {
        let mut s = cells(2, Backend::Exact);
        s.run(10.0);
        common::data(&s).populations[0].signals[0].values.clone()
    };
    assert_eq!(
        common::data(&sim).populations[0].signals[0].values,
        untouched
    );
}

#[test]
fn changes_are_bit_identical_on_any_number_of_threads() {
    let run = |threads: usize| {
        let mut sim = cells(8, Backend::Exact);
        sim.set_threads(threads);
        sim.run(7.3);
        sim.set_parameter(
            "cells",
            "i_offset",
            &[0.5, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0],
        )
        .unwrap();
        sim.run(20.0);
        sim.initialize("cells", Var::V, &[-51.0]).unwrap();
        sim.run(30.0);
        (
            spikes(&sim),
            common::data(&sim).populations[0].signals[0].values.clone(),
        )
    };
    let one = run(1);
    assert!(one.0.iter().flatten().count() > 8);
    assert_eq!(run(2), one);
    assert_eq!(run(3), one);
}

/// One cell with a DC source of `amplitude` nA from t = 0, spikes recorded.
fn with_dc(amplitude: f64) -> (Network, exactlif::Population) {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 3,
        min_delay: None,
        seeding: Default::default(),
    });
    let p = net.create("cells", 1, CellType::IfCurrExp).unwrap();
    net.record(p, &[Var::V, Var::Spikes]).unwrap();
    net.inject(
        CurrentSource::Dc {
            amplitude,
            start: 0.0,
            stop: f64::INFINITY,
        },
        p,
    )
    .unwrap();
    (net, p)
}

#[test]
fn a_current_amplitude_changed_between_runs_acts_at_once_exactly() {
    let (mut net, _) = with_dc(0.5);
    let mut sim = net.build().unwrap();
    sim.run(30.0);
    // v_inf = -65 + 0.5 * 20 = -55 mV: no spike; then 1.5 nA: v_inf = -35 mV
    net.current_sources[0].0 = CurrentSource::Dc {
        amplitude: 1.5,
        start: 0.0,
        stop: f64::INFINITY,
    };
    net.update_current_sources(&mut sim).unwrap();
    sim.run(30.0);
    let v30 = -55.0 - 10.0 * (-30.0f64 / TAU_M).exp();
    let first = 30.0 + TAU_M * ((-35.0 - v30) / (-35.0 - V_THRESH)).ln();
    let got = spikes(&sim)[0][0];
    assert!((got - first).abs() < 1e-12, "{got} vs {first}");
}

#[test]
fn a_source_added_between_runs_equals_one_built_in() {
    let step = CurrentSource::Step {
        times: vec![40.0, 60.25],
        amplitudes: vec![1.5, 0.0],
    };
    for backend in [Backend::Exact, Backend::Grid] {
        let (mut net, p) = with_dc(0.2);
        let mut late = net.build_with(backend).unwrap();
        late.run(20.0);
        net.inject(step.clone(), p).unwrap();
        net.update_current_sources(&mut late).unwrap();
        late.run(80.0);
        let mut built = net.build_with(backend).unwrap();
        built.run(100.0);
        assert!(!spikes(&built)[0].is_empty());
        assert_eq!(spikes(&late), spikes(&built), "{backend}");
        assert_eq!(
            common::data(&late).populations[0].signals[0].values,
            common::data(&built).populations[0].signals[0].values,
            "{backend}"
        );
    }
}

#[test]
fn current_changes_are_bit_identical_on_any_number_of_threads() {
    let run = |threads: usize| {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 3,
            min_delay: None,
            seeding: Default::default(),
        });
        let p = net.create("cells", 6, CellType::IfCurrExp).unwrap();
        net.record(p, &[Var::Spikes]).unwrap();
        let mut sim = net.build().unwrap();
        sim.set_threads(threads);
        sim.run(12.5);
        net.inject(
            CurrentSource::Step {
                times: vec![5.0, 30.0, 55.5],
                amplitudes: vec![1.0, 2.0, 0.9],
            },
            p.slice(1..5),
        )
        .unwrap();
        net.update_current_sources(&mut sim).unwrap();
        sim.run(70.0);
        spikes(&sim)
    };
    let one = run(1);
    assert!(one.iter().flatten().count() > 10);
    assert_eq!(run(2), one);
}

/// A spike source driving one cell (weight 2 nA, delay 1 ms), both recorded.
fn driven(times: &[f64]) -> (Network, exactlif::Population) {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 3,
        min_delay: None,
        seeding: Default::default(),
    });
    let src = net.create("src", 1, CellType::SpikeSourceArray).unwrap();
    net.set_spike_times(&src, SpikeTimes::Same(times.to_vec()))
        .unwrap();
    let cell = net.create("cell", 1, CellType::IfCurrExp).unwrap();
    net.record(src, &[Var::Spikes]).unwrap();
    net.record(cell, &[Var::V]).unwrap();
    net.connect(
        src,
        cell,
        Connector::AllToAll {
            allow_self_connections: true,
        },
        StaticSynapse::new(2.0, 1.0),
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    (net, src)
}

#[test]
fn spike_times_changed_between_runs_equal_a_network_built_with_the_times_to_come() {
    for backend in [Backend::Exact, Backend::Grid] {
        let (mut net, src) = driven(&[2.0, 8.0]);
        let mut sim = net.build_with(backend).unwrap();
        sim.run(5.0);
        // 1.0 is past and 8.0 is dropped: what comes is 12.5 and 20
        net.set_spike_times(&src, SpikeTimes::Same(vec![1.0, 12.5, 20.0]))
            .unwrap();
        net.update_spike_times(&mut sim).unwrap();
        sim.run(25.0);
        let (built_net, _) = driven(&[2.0, 12.5, 20.0]);
        let mut built = built_net.build_with(backend).unwrap();
        built.run(30.0);
        let (a, b) = (common::data(&sim), common::data(&built));
        assert_eq!(
            a.populations[0].spiketrains[0].times_ms,
            [2.0, 12.5, 20.0],
            "{backend}"
        );
        assert_eq!(a.populations[0].spiketrains, b.populations[0].spiketrains);
        assert_eq!(
            a.populations[1].signals, b.populations[1].signals,
            "{backend}"
        );
    }
}

/// Recording changed between runs (`Network::update_recording`): on 1 and 3 threads and on
/// the grid backend, the samples after the change are those of a run that recorded from the
/// start, bit for bit, and the ones before are NaN; spikes are recorded from the change on.
#[test]
fn recording_started_between_runs_samples_from_then_on() {
    let build = |record_from_start: bool| {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 3,
            min_delay: None,
            seeding: Default::default(),
        });
        let p = net.create("cells", 6, CellType::IfCurrExp).unwrap();
        net.set(&p, "i_offset", vec![0.2, 0.9, 1.1, 1.3, 0.0, 2.0])
            .unwrap();
        if record_from_start {
            net.record(p.view(&[1, 3, 5]), &[Var::V, Var::Spikes])
                .unwrap();
        }
        (net, p)
    };
    for backend in [Backend::Exact, Backend::Grid] {
        for threads in [1, 3] {
            let (mut net, p) = build(false);
            let mut sim = net.build_with(backend).unwrap();
            sim.set_threads(threads);
            sim.run(20.0);
            net.record(p.view(&[1, 3, 5]), &[Var::V, Var::Spikes])
                .unwrap();
            net.update_recording(&mut sim).unwrap();
            sim.run(30.0);
            let got = sim.get_data();

            let (whole_net, _) = build(true);
            let mut whole = whole_net.build_with(backend).unwrap();
            whole.run(50.0);
            let want = whole.get_data();

            let (g, w) = (&got.populations[0], &want.populations[0]);
            let (gv, wv) = (g.signal("v").unwrap(), w.signal("v").unwrap());
            assert_eq!(gv.neurons, [1, 3, 5]);
            assert_eq!(gv.times_ms.len(), 501);
            for (a, b) in gv.values.iter().zip(&wv.values) {
                assert!(a[..201].iter().all(|x| x.is_nan()), "{backend:?} {threads}");
                let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&a[201..]), bits(&b[201..]), "{backend:?} {threads}");
            }
            for (a, b) in g.spiketrains.iter().zip(&w.spiketrains) {
                let after: Vec<f64> = b.times_ms.iter().copied().filter(|&t| t > 20.0).collect();
                assert_eq!(a.times_ms, after, "{backend:?} {threads}");
            }
            assert!(g.spiketrains.iter().any(|s| !s.times_ms.is_empty()));
        }
    }
}
