//! The engine's lazy prediction rules (an inhibitory input keeps the old prediction as an
//! early alarm; an excitatory input searches only up to the old prediction) change nothing:
//! on random small networks with mixed excitation and inhibition, random time constants,
//! weights and off-grid delays, the lazy engine emits the same spikes as the exhaustive one
//! (a full unbounded prediction after every state change), to within 1e-9 ms (the acceptance
//! tolerance: the two paths locate the same root from different starting points, and a crossing
//! with a small slope v' is only determined to ~1e-14 mV / v' in f64).

mod common;

use exactlif::internals::ExactEngine;
use exactlif::{
    CellType, Connector, CurrentSource, Network, RandomDistribution as RD, Receptor, Setup,
    StaticSynapse, Var,
};
use proptest::prelude::*;

fn network(seed: u64, n: usize, p_inh: f64, tau_e: f64, tau_i: f64, w_e: f64, w_i: f64) -> Network {
    network_of(
        CellType::IfCurrExp,
        seed,
        n,
        p_inh,
        (tau_e, tau_i),
        (w_e, w_i),
    )
}

/// [`network`] of cells of type `cell_type` (IF_curr_delta: no tau_syn, weights in mV).
fn network_of(
    cell_type: CellType,
    seed: u64,
    n: usize,
    p_inh: f64,
    (tau_e, tau_i): (f64, f64),
    (w_e, w_i): (f64, f64),
) -> Network {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed,
        min_delay: Some(0.3),
        seeding: Default::default(),
    });
    let noise = net
        .create("noise", 10, CellType::SpikeSourcePoisson)
        .unwrap();
    net.set(&noise, "rate", 40.0).unwrap();
    let cells = net.create("cells", n, cell_type).unwrap();
    if cell_type != CellType::IfCurrDelta {
        net.set(&cells, "tau_syn_E", tau_e).unwrap();
        net.set(&cells, "tau_syn_I", tau_i).unwrap();
    }
    net.set(
        &cells,
        "tau_m",
        RD::Uniform {
            low: 5.0,
            high: 25.0,
        },
    )
    .unwrap();
    net.set(
        &cells,
        "i_offset",
        RD::Uniform {
            low: 0.0,
            high: 0.9,
        },
    )
    .unwrap();
    net.set(
        &cells,
        "tau_refrac",
        RD::Uniform {
            low: 0.0,
            high: 3.0,
        },
    )
    .unwrap();
    net.initialize(
        &cells,
        "v",
        RD::Uniform {
            low: -65.0,
            high: -51.0,
        },
    )
    .unwrap();
    let delay = RD::Uniform {
        low: 0.3,
        high: 4.0,
    };
    net.connect(
        noise,
        cells,
        Connector::FixedProbability {
            p_connect: 0.5,
            allow_self_connections: true,
        },
        StaticSynapse::new(w_e, delay.clone()),
        Receptor::Excitatory,
        None,
    )
    .unwrap();
    net.connect(
        cells,
        cells,
        Connector::FixedProbability {
            p_connect: 0.3,
            allow_self_connections: true,
        },
        StaticSynapse::new(w_e, delay.clone()),
        Receptor::Excitatory,
        Some("exc"),
    )
    .unwrap();
    net.connect(
        cells,
        cells,
        Connector::FixedProbability {
            p_connect: p_inh,
            allow_self_connections: true,
        },
        StaticSynapse::new(-w_i, delay),
        Receptor::Inhibitory,
        Some("inh"),
    )
    .unwrap();
    net.record(cells, &[Var::Spikes]).unwrap();
    net
}

fn spikes(net: &Network, lazy: bool) -> Vec<(u32, Vec<f64>)> {
    let data = net.materialise().unwrap();
    let mut e = ExactEngine::new(&data);
    e.set_lazy_predictions(lazy);
    e.run_until(&data, 300.0).expect("no runaway");
    common::assert_no_cap_hits(&e.counts(), "lazy_predictions");
    let block = e
        .recorder()
        .data_block("exact", 0, 300.0, Default::default(), 0.0, 0.0);
    block.populations[1]
        .spiketrains
        .iter()
        .map(|s| (s.neuron, s.times_ms.clone()))
        .collect()
}

/// The lazy engine's spikes against the exhaustive one's on `net`: the same count per neuron,
/// each within 1e-9 ms.
fn lazy_equals_exhaustive_on(net: &Network) -> Result<(), TestCaseError> {
    let a = spikes(net, true);
    let b = spikes(net, false);
    for ((na, ta), (_, tb)) in a.iter().zip(&b) {
        prop_assert_eq!(ta.len(), tb.len(), "neuron {}: {:?} vs {:?}", na, ta, tb);
        for (x, y) in ta.iter().zip(tb) {
            prop_assert!((x - y).abs() < 1e-9, "neuron {}: {} vs {}", na, x, y);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("EXACTLIF_PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(24)))]

    /// Lazy and exhaustive predictions give the same spikes.
    #[test]
    fn lazy_equals_exhaustive(seed in 0u64..1000, n in 2usize..12, p_inh in 0.0f64..0.6,
                              tau_e in 0.5f64..20.0, tau_i in 0.5f64..20.0, w_e in 0.1f64..4.0, w_i in 0.1f64..6.0) {
        let net = network(seed, n, p_inh, tau_e, tau_i, w_e, w_i);
        lazy_equals_exhaustive_on(&net)?;
    }

    /// The same for IF_curr_alpha cells (SPEC §8), with time constants from far from to equal
    /// to the membrane's (tau_m is drawn from 5..25 ms).
    #[test]
    fn lazy_equals_exhaustive_alpha(seed in 0u64..1000, n in 2usize..12, p_inh in 0.0f64..0.6,
                              tau_e in 0.1f64..20.0, tau_i in 0.1f64..20.0, w_e in 0.1f64..4.0, w_i in 0.1f64..6.0) {
        let net = network_of(CellType::IfCurrAlpha, seed, n, p_inh, (tau_e, tau_i), (w_e, w_i));
        lazy_equals_exhaustive_on(&net)?;
    }

    /// The same for IF_curr_delta cells (weights: jumps of v in mV).
    #[test]
    fn lazy_equals_exhaustive_delta(seed in 0u64..1000, n in 2usize..12, p_inh in 0.0f64..0.6,
                              w_e in 0.1f64..8.0, w_i in 0.1f64..8.0) {
        let net = network_of(CellType::IfCurrDelta, seed, n, p_inh, (0.0, 0.0), (w_e, w_i));
        lazy_equals_exhaustive_on(&net)?;
    }

    /// The same with an ACSource on every cell (the forced solver, with its lazy bound
    /// shifted by the drive's amplitude), switched on and off during the run.
    #[test]
    fn lazy_equals_exhaustive_under_a_sine(seed in 0u64..1000, n in 2usize..10, p_inh in 0.0f64..0.6,
                              tau_e in 0.5f64..20.0, w_e in 0.1f64..3.0, w_i in 0.1f64..5.0,
                              amplitude in 0.0f64..1.0, frequency in 1.0f64..200.0, phase in -180.0f64..180.0) {
        let mut net = network(seed, n, p_inh, tau_e, 5.0, w_e, w_i);
        let cells = net.population("cells").unwrap();
        net.inject(CurrentSource::Ac { amplitude, offset: 0.0, frequency, phase, start: 20.0, stop: 250.0 }, cells).unwrap();
        lazy_equals_exhaustive_on(&net)?;
    }

    /// The same under a sine for IF_curr_alpha cells (the forced solver on the alpha base;
    /// its lazy bound the alpha trajectory with `v0` and `v_inf` raised by the drive's
    /// amplitude).
    #[test]
    fn lazy_equals_exhaustive_under_a_sine_alpha(seed in 0u64..1000, n in 2usize..10, p_inh in 0.0f64..0.6,
                              tau_e in 0.1f64..20.0, tau_i in 0.1f64..20.0, w_e in 0.1f64..3.0, w_i in 0.1f64..5.0,
                              amplitude in 0.0f64..1.0, frequency in 1.0f64..200.0, phase in -180.0f64..180.0) {
        let mut net = network_of(CellType::IfCurrAlpha, seed, n, p_inh, (tau_e, tau_i), (w_e, w_i));
        let cells = net.population("cells").unwrap();
        net.inject(CurrentSource::Ac { amplitude, offset: 0.0, frequency, phase, start: 20.0, stop: 250.0 }, cells).unwrap();
        lazy_equals_exhaustive_on(&net)?;
    }

    /// The same under a sine for IF_curr_delta cells (IF_curr_exp's forced solver without
    /// currents, rebuilt after every jump).
    #[test]
    fn lazy_equals_exhaustive_under_a_sine_delta(seed in 0u64..1000, n in 2usize..10, p_inh in 0.0f64..0.6,
                              w_e in 0.1f64..8.0, w_i in 0.1f64..8.0,
                              amplitude in 0.0f64..1.0, frequency in 1.0f64..200.0, phase in -180.0f64..180.0) {
        let mut net = network_of(CellType::IfCurrDelta, seed, n, p_inh, (0.0, 0.0), (w_e, w_i));
        let cells = net.population("cells").unwrap();
        net.inject(CurrentSource::Ac { amplitude, offset: 0.0, frequency, phase, start: 20.0, stop: 250.0 }, cells).unwrap();
        lazy_equals_exhaustive_on(&net)?;
    }
}
