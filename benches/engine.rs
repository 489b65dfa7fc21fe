//! The event loop on a synthetic input stream: one population of 1000 `IF_curr_exp` cells (PyNN
//! defaults, tau_refrac 2 ms) driven only by `SpikeSourceArray` inputs built here through the
//! Network API, no recurrence. 200 excitatory and 50 inhibitory source cells, each with its own
//! seeded Poisson train at 50 Hz over 1 s; every neuron receives 20 excitatory and 5 inhibitory
//! sources (FixedNumberPreConnector), delay 1 ms: about 1.25 M synaptic inputs per run.
//!
//! - `subthreshold`: small weights; almost every input is dismissed by the rejection bound and
//!   the cells stay silent: the cost of delivery and of the cheap test.
//! - `firing`: weights 0.25 / -0.5 nA that make the cells fire at about 10-20 Hz; most inputs
//!   pass the bound and lead to a search.
//!
//! The network is built once; each iteration resets it (`Simulation::reset`) and times `run` of
//! the whole second. Throughput is `Elements(synaptic inputs per run)`: elem/s is synaptic
//! events per second.
//!
//! Run: `cargo bench --bench engine`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp};
use rand_pcg::Pcg64;

use exactlif::{
    CellType, Connector, Network, Receptor, Setup, Simulation, SpikeTimes, StaticSynapse, Var,
};

const N_CELLS: usize = 1000;
const N_EXC_SRC: usize = 200;
const N_INH_SRC: usize = 50;
const RATE_HZ: f64 = 50.0;
const DURATION_MS: f64 = 1000.0;

/// Per-cell Poisson spike trains (ms) on [0, DURATION_MS), seeded.
fn poisson_trains(n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let isi = Exp::new(RATE_HZ / 1000.0).expect("positive rate");
    (0..n)
        .map(|_| {
            let mut t = 0.0;
            let mut train = Vec::new();
            loop {
                t += isi.sample(&mut rng);
                if t >= DURATION_MS {
                    break train;
                }
                train.push(t);
            }
        })
        .collect()
}

/// The synthetic network with excitatory weight `w_exc` and inhibitory weight `w_inh` (nA).
fn network(w_exc: f64, w_inh: f64) -> Network {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 7,
        min_delay: Some(1.0),
        seeding: Default::default(),
    });
    let exc_src = net
        .create("exc_inputs", N_EXC_SRC, CellType::SpikeSourceArray)
        .unwrap();
    let inh_src = net
        .create("inh_inputs", N_INH_SRC, CellType::SpikeSourceArray)
        .unwrap();
    net.set_spike_times(&exc_src, SpikeTimes::PerCell(poisson_trains(N_EXC_SRC, 11)))
        .unwrap();
    net.set_spike_times(&inh_src, SpikeTimes::PerCell(poisson_trains(N_INH_SRC, 12)))
        .unwrap();
    let cells = net.create("cells", N_CELLS, CellType::IfCurrExp).unwrap();
    net.set(&cells, "tau_refrac", 2.0).unwrap();
    net.record(cells, &[Var::Spikes]).unwrap();
    for (src, n, w, receptor) in [
        (&exc_src, 20, w_exc, Receptor::Excitatory),
        (&inh_src, 5, w_inh, Receptor::Inhibitory),
    ] {
        net.connect(
            src,
            cells,
            Connector::FixedNumberPre {
                n,
                allow_self_connections: true,
                with_replacement: false,
            },
            StaticSynapse::new(w, 1.0),
            receptor,
            None,
        )
        .unwrap();
    }
    net
}

/// Runs one second from t = 0 and returns (synaptic inputs, neuron spikes, solver searches).
fn one_run(sim: &mut Simulation) -> (u64, u64, u64) {
    sim.reset();
    sim.run(DURATION_MS);
    let d = sim.get_data();
    let cell_spikes = d.populations[2].spike_count;
    (d.events.synaptic_inputs, cell_spikes, d.events.predictions)
}

fn bench_engine(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, w_exc, w_inh) in [("subthreshold", 0.05, -0.05), ("firing", 0.25, -0.5)] {
        let mut sim = network(w_exc, w_inh).build().unwrap();
        let (inputs, spikes, searches) = one_run(&mut sim);
        eprintln!(
            "engine/{name}: {inputs} synaptic inputs, {searches} solver searches, {spikes} spikes of {N_CELLS} cells ({:.2} Hz) per {DURATION_MS} ms run",
            spikes as f64 / N_CELLS as f64 / (DURATION_MS / 1000.0)
        );
        g.throughput(Throughput::Elements(inputs));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    sim.reset();
                    let t0 = Instant::now();
                    sim.run(DURATION_MS);
                    total += t0.elapsed();
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
