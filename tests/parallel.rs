//! Parallel min_delay windows change nothing: the exact engine run on 2, 3 or 4 threads (the
//! cells split into as many shards) records bit-for-bit the same spikes and samples as on one
//! thread, also when the run is split into several `run_until` calls.

mod common;

use common::{assert_identical, fixture, reversed_groups, run};
use exactlif::internals::NetData;
use exactlif::{
    CellType, Connector, Network, RandomDistribution as RD, Receptor, Setup, StaticSynapse, Var,
};
use exactlif::{CurrentSource, SpikeTimes};

fn check(net: &NetData, stops: &[f64], what: &str) {
    let one = run(net, 1, stops);
    assert!(one.events.spikes > 0, "{what}: the test needs activity");
    for threads in [2, 3, 4] {
        assert_identical(
            &one,
            &run(net, threads, stops),
            &format!("{what}, {threads} threads"),
        );
    }
    // split runs: the same as one run, on any number of threads
    let whole = run(net, 1, &stops[stops.len() - 1..]);
    assert_identical(&one, &whole, &format!("{what}, split vs whole"));
}

#[test]
fn cuba_is_bit_identical_on_any_number_of_threads() {
    let net = fixture("cuba.toml", 200.0);
    check(&net, &[200.0], "cuba");
}

#[test]
fn small_network_with_recorded_v_is_bit_identical() {
    let net = fixture("small_network.toml", 300.0);
    check(&net, &[73.25, 150.0, 300.0], "small_network");
}

/// Every event kind at once: spike-source arrays with simultaneous spikes, Poisson sources,
/// a step current and a DC source switching mid-run, random off-grid delays and weights, a
/// FromListConnector with duplicate pairs, recorded v, isyn_exc and isyn_inh.
#[test]
fn every_event_kind_is_bit_identical() {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 7,
        min_delay: Some(0.5),
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
    let data = net.materialise().unwrap();
    check(&data, &[50.0, 61.5, 200.0], "every event kind");
}

/// A hand-built network whose delay groups are not sorted by target (every group reversed)
/// takes the engine's slower path, with the same guarantee.
#[test]
fn unsorted_groups_are_bit_identical_too() {
    let net = reversed_groups(&fixture("small_network.toml", 300.0));
    check(&net, &[120.0, 300.0], "reversed groups");
}
