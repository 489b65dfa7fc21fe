//! The engine adds the inputs of a delivery in batches and makes their predictions after
//! (engine/exact/shard.rs, `Shard::deliver`). Each cell must see exactly what one input at a
//! time gives it. Reversing every delay group makes the groups unsorted, which sends every
//! input down the one-at-a-time path; where that reversal cannot change any cell's sequence of
//! operations (no cell targeted twice in a group with different weights), the two runs must
//! agree bit for bit.

mod common;

use common::{assert_identical, fixture, reversed_groups, run};
use exactlif::internals::NetData;
use exactlif::SpikeTimes;
use exactlif::{
    CellType, Connector, Network, RandomDistribution as RD, Receptor, Setup, StaticSynapse, Var,
};

fn assert_same(net: &NetData, t_stop: f64, what: &str) {
    let batched = run(net, 1, &[t_stop]);
    assert!(batched.events.spikes > 0, "{what}: the test needs activity");
    let one_by_one = run(&reversed_groups(net), 1, &[t_stop]);
    assert_identical(
        &batched,
        &one_by_one,
        &format!("{what}: batched vs one at a time"),
    );
}

#[test]
fn cuba_batched_equals_one_input_at_a_time() {
    assert_same(&fixture("cuba.toml", 200.0), 200.0, "cuba");
}

/// Groups with a cell targeted two and three times (equal weights, so the order of its inputs
/// is immaterial), excitatory and inhibitory, groups longer than a batch, simultaneous
/// deliveries, recorded v and currents.
#[test]
fn repeated_targets_batched_equals_one_input_at_a_time() {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 11,
        min_delay: Some(0.5),
        seeding: Default::default(),
    });
    let src = net.create("src", 4, CellType::SpikeSourceArray).unwrap();
    net.set_spike_times(
        &src,
        SpikeTimes::PerCell(
            (0..4)
                .map(|i| {
                    (0..30)
                        .map(|k| 1.0 + 4.0 * k as f64 + (i % 2) as f64)
                        .collect()
                })
                .collect(),
        ),
    )
    .unwrap();
    let cells = net.create("cells", 50, CellType::IfCurrExp).unwrap();
    net.set(&cells, "tau_refrac", 1.0).unwrap();
    net.initialize(
        &cells,
        "v",
        RD::Uniform {
            low: -65.0,
            high: -55.0,
        },
    )
    .unwrap();
    // every source onto every cell, cells 3k twice more: 50 + 34 synapses per group
    let exc_list = (0..4u32)
        .flat_map(|i| {
            (0..50u32).flat_map(move |j| vec![(i, j, None, None); 1 + 2 * (j % 3 == 0) as usize])
        })
        .collect();
    net.connect(
        src,
        cells,
        Connector::FromList {
            conn_list: exc_list,
        },
        StaticSynapse::new(0.9, 1.0),
        Receptor::Excitatory,
        Some("exc"),
    )
    .unwrap();
    let inh_list = (0..4u32)
        .flat_map(|i| {
            (0..50u32)
                .step_by(5)
                .flat_map(move |j| [(i, j, None, None); 2])
        })
        .collect();
    net.connect(
        src,
        cells,
        Connector::FromList {
            conn_list: inh_list,
        },
        StaticSynapse::new(-0.7, 2.5),
        Receptor::Inhibitory,
        Some("inh"),
    )
    .unwrap();
    net.connect(
        cells,
        cells,
        Connector::FixedProbability {
            p_connect: 0.1,
            allow_self_connections: false,
        },
        StaticSynapse::new(0.3, 0.5),
        Receptor::Excitatory,
        Some("rec"),
    )
    .unwrap();
    net.record(cells, &[Var::Spikes, Var::V, Var::IsynExc, Var::IsynInh])
        .unwrap();
    let data = net.materialise().unwrap();
    assert_same(&data, 150.0, "repeated targets");
}
