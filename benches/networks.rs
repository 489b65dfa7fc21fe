//! Whole networks from their model files: fixtures/cuba.toml and fixtures/sparse.toml.
//!
//! - `networks/<name>/run`: simulation only. The network is built once, outside the timing;
//!   every iteration resets it to t = 0 (`Simulation::reset`, not timed) and times `run` over
//!   the simulated span. The span is the fixture's duration (1 s for both), so the time per
//!   iteration is the wall time per simulated second; set `EXACTLIF_BENCH_MS` to simulate a
//!   shorter span while iterating on the engine. Throughput is `Elements(synaptic inputs in
//!   the span)`, so elem/s is synaptic events per second.
//! - `construction/<name>`: construction alone, `Network::build` of the already-parsed model
//!   (materialising every synapse and setting up the engine).
//!
//! Each group prints the span, the events and the rates it measured before timing.
//!
//! Run: `cargo bench --bench networks` (or `-- cuba` for one network).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use exactlif::io::model_file::load_model;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(format!("{name}.toml"))
}

fn bench_network(c: &mut Criterion, name: &str) {
    let model = load_model(&fixture(name)).unwrap_or_else(|e| panic!("{e}"));
    let span = std::env::var("EXACTLIF_BENCH_MS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(model.duration)
        .min(model.duration);

    let mut sim = model.network.build().unwrap_or_else(|e| panic!("{e}"));
    sim.run(span);
    let d = sim.get_data();
    let inputs = d.events.synaptic_inputs;
    let rates: Vec<String> = d
        .populations
        .iter()
        .map(|p| format!("{} {:.3} Hz", p.label, p.mean_rate_hz(d.duration_ms)))
        .collect();
    eprintln!(
        "networks/{name}: {} cells, {} synapses; span {span} ms: {inputs} synaptic inputs, {} solver searches, {} spikes ({}); first run {:.3} s",
        sim.net().n_cells(),
        sim.net().n_synapses(),
        d.events.predictions,
        d.events.spikes,
        rates.join(", "),
        d.wall_time_s
    );

    let mut g = c.benchmark_group(format!("networks/{name}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(inputs));
    g.bench_function("run", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                sim.reset();
                let t0 = Instant::now();
                sim.run(span);
                total += t0.elapsed();
            }
            total
        })
    });
    drop(sim);
    g.finish();

    let mut g = c.benchmark_group("construction");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(3));
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t0 = Instant::now();
                let sim = model.network.build().unwrap();
                total += t0.elapsed();
                // dropping the network (freeing ~ 100 MB for sparse) is not construction
                drop(std::hint::black_box(sim));
            }
            total
        })
    });
    g.finish();
}

fn bench_cuba(c: &mut Criterion) {
    bench_network(c, "cuba");
}

fn bench_sparse(c: &mut Criterion) {
    bench_network(c, "sparse");
}

criterion_group!(benches, bench_cuba, bench_sparse);
criterion_main!(benches);
