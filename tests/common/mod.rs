//! Helpers shared by the integration tests: the engine's equivalence tests (`parallel.rs`,
//! `batched_delivery.rs`), and the check that no run of the suite hits a solver iteration cap
//! ([`data`], [`assert_no_cap_hits`], [`assert_summaries_no_cap_hits`]; issue 14).
#![allow(dead_code)]

use std::path::Path;

use exactlif::internals::ExactEngine;
use exactlif::internals::NetData;
use exactlif::io::model_file::load_model;
use exactlif::{
    CellType, Connector, CurrentSource, DataBlock, EventCounts, Network, RandomDistribution as RD,
    Receptor, Setup, Simulation, SpikeTimes, StaticSynapse, Var,
};

/// The solver's iteration caps are bug traps (a `debug_assert`, compiled out in release, plus a
/// counter): every run of the test suite asserts that its counter stayed 0.
pub fn assert_no_cap_hits(events: &EventCounts, what: &str) {
    assert_eq!(
        events.solver_cap_hits, 0,
        "{what}: the threshold solver hit an iteration cap ({events:?})"
    );
}

/// `sim.get_data()`, after asserting that no search of the run hit a solver iteration cap.
pub fn data(sim: &Simulation) -> DataBlock {
    let d = sim.get_data();
    assert_no_cap_hits(&d.events, "get_data");
    d
}

/// Asserts `events.solver_cap_hits == 0` in every `summary.json` under `dir` (the command
/// line's runs), and returns how many summaries it read.
pub fn assert_summaries_no_cap_hits(dir: &Path) -> usize {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += assert_summaries_no_cap_hits(&path);
        } else if path.file_name().is_some_and(|f| f == "summary.json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
            let hits = summary["events"]["solver_cap_hits"].as_u64();
            assert_eq!(
                hits,
                Some(0),
                "{}: the threshold solver hit an iteration cap (or the counter is missing)",
                path.display()
            );
            n += 1;
        }
    }
    n
}

/// Runs `net` on `threads` threads up to each of `stops` in turn.
pub fn run(net: &NetData, threads: usize, stops: &[f64]) -> DataBlock {
    let mut e = ExactEngine::with_threads(net, threads);
    assert_eq!(e.threads(), threads.min(net.n_cells()));
    for &t in stops {
        e.run_until(net, t).expect("no runaway");
    }
    assert_no_cap_hits(&e.counts(), "common::run");
    e.recorder().data_block(
        "exact",
        net.seed,
        *stops.last().unwrap(),
        e.counts(),
        0.0,
        0.0,
    )
}

/// Every spike time and sample, as bits, and the event counts.
pub fn assert_identical(a: &DataBlock, b: &DataBlock, what: &str) {
    assert_eq!(a.events, b.events, "{what}: event counts");
    for (pa, pb) in a.populations.iter().zip(&b.populations) {
        assert_eq!(pa.spike_count, pb.spike_count, "{what}: {}", pa.label);
        for (sa, sb) in pa.spiketrains.iter().zip(&pb.spiketrains) {
            let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&sa.times_ms),
                bits(&sb.times_ms),
                "{what}: {} neuron {}",
                pa.label,
                sa.neuron
            );
        }
        for (ga, gb) in pa.signals.iter().zip(&pb.signals) {
            assert_eq!(ga.values.len(), gb.values.len());
            for (va, vb) in ga.values.iter().zip(&gb.values) {
                assert!(
                    va.iter().zip(vb).all(|(x, y)| x.to_bits() == y.to_bits())
                        && va.len() == vb.len(),
                    "{what}: {} {} differs",
                    pa.label,
                    ga.name
                );
            }
        }
    }
}

/// A fixture of `fixtures/`, its duration set to `duration` (ms), materialised.
pub fn fixture(name: &str, duration: f64) -> NetData {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let mut model = load_model(&path).unwrap();
    model.duration = duration;
    model.network.materialise().unwrap()
}

/// `net` with every delay group reversed: unsorted by target, so the engine takes its
/// one-synapse-at-a-time path.
pub fn reversed_groups(net: &NetData) -> NetData {
    let mut r = net.clone();
    for k in 0..r.syn_offsets.len() - 1 {
        let g = r.syn_offsets[k] as usize..r.syn_offsets[k + 1] as usize;
        r.syn_target[g.clone()].reverse();
        r.syn_weight[g].reverse();
    }
    r
}

/// A network with every event kind at once: spike-source arrays with simultaneous spikes,
/// Poisson sources, a step current and a DC source switching mid-run, random off-grid delays
/// and weights, a FromListConnector with duplicate pairs, recorded v, isyn_exc and isyn_inh.
pub fn every_event_kind() -> Network {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 7,
        min_delay: Some(0.5),
        seeding: Default::default(),
    });
    let arr = net.create("arr", 6, CellType::SpikeSourceArray).unwrap();
    net.set_spike_times(
        &arr,
        SpikeTimes::PerCell(
            (0..6)
                .map(|i| {
                    (0..40)
                        .map(|k| 2.0 + 5.0 * k as f64 + (i % 2) as f64 * 0.5)
                        .collect()
                })
                .collect(),
        ),
    )
    .unwrap();
    let noise = net
        .create("noise", 20, CellType::SpikeSourcePoisson)
        .unwrap();
    net.set(&noise, "rate", 50.0).unwrap();
    let cells = net.create("cells", 60, CellType::IfCurrExp).unwrap();
    net.set(&cells, "tau_syn_I", 8.0).unwrap();
    net.set(&cells, "tau_refrac", 1.5).unwrap();
    net.set(
        &cells,
        "tau_m",
        RD::Uniform {
            low: 8.0,
            high: 25.0,
        },
    )
    .unwrap();
    net.initialize(
        &cells,
        "v",
        RD::Uniform {
            low: -65.0,
            high: -52.0,
        },
    )
    .unwrap();
    let delay = RD::Uniform {
        low: 0.5,
        high: 3.0,
    };
    let exc = |net: &mut Network, pre, w: f64, label| {
        net.connect(
            pre,
            cells,
            Connector::FixedProbability {
                p_connect: 0.3,
                allow_self_connections: false,
            },
            StaticSynapse::new(
                RD::Uniform {
                    low: 0.5 * w,
                    high: w,
                },
                delay.clone(),
            ),
            Receptor::Excitatory,
            Some(label),
        )
        .unwrap();
    };
    exc(&mut net, &noise, 0.6, "noise");
    exc(&mut net, &arr, 0.8, "arr");
    exc(&mut net, &cells, 0.3, "rec_e");
    net.connect(
        cells.slice(40..60),
        cells,
        Connector::FromList {
            conn_list: (0..20u32)
                .flat_map(|i| {
                    [
                        (i, (i * 7) % 60, None, None),
                        (i, (i * 7) % 60, Some(-0.4), Some(0.75)),
                    ]
                })
                .collect(),
        },
        StaticSynapse::new(-0.8, 0.5),
        Receptor::Inhibitory,
        Some("rec_i"),
    )
    .unwrap();
    net.inject(
        CurrentSource::Step {
            times: vec![20.0, 60.0, 61.5, 150.0],
            amplitudes: vec![0.6, 0.1, 0.9, 0.0],
        },
        cells.slice(0..30),
    )
    .unwrap();
    net.inject(
        CurrentSource::Dc {
            amplitude: 0.4,
            start: 33.3,
            stop: 120.0,
        },
        cells.slice(25..60),
    )
    .unwrap();
    net.record(cells, &[Var::Spikes, Var::V, Var::IsynExc, Var::IsynInh])
        .unwrap();
    net.record(arr, &[Var::Spikes]).unwrap();
    net
}

/// Four cells `"cells"` without refractory period, of which cells 1 and 3 run away (v_inf far
/// above threshold, reset 1 nV below it; cell 3 first), recording `vars`.
pub fn two_runaway_cells(vars: &[Var]) -> Network {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 1,
        min_delay: None,
        seeding: Default::default(),
    });
    let cells = net.create("cells", 4, CellType::IfCurrExp).unwrap();
    net.set(&cells, "tau_refrac", 0.0).unwrap();
    net.set(&cells, "i_offset", vec![1.1, 1000.0, 1.1, 2000.0])
        .unwrap();
    net.set(
        &cells,
        "v_reset",
        vec![-65.0, -50.000001, -65.0, -50.000001],
    )
    .unwrap();
    net.record(cells, vars).unwrap();
    net
}
