//! Whole networks from their model files: fixtures/cuba.toml and fixtures/sparse.toml.
//!
//! - `networks/<name>/run`: simulation only. The network is built once, outside the timing;
//!   every iteration resets it to t = 0 (`Simulation::reset`, not timed) and times `run` over
//!   the simulated span. The span is the fixture's duration (1 s for both), so the time per
//!   iteration is the wall time per simulated second; set `EXACTLIF_BENCH_MS` to simulate a
//!   shorter span while iterating on the engine. Throughput is `Elements(synaptic inputs in
//!   the span)`, so elem/s is synaptic events per second.
//! - `networks/<name>/run_2_threads`: the same on two threads (`Simulation::set_threads`),
//!   followed by the speedup over one thread (ratio of the median wall times of the two runs).
//! - `construction/<name>`: construction alone, `Network::build` of the already-parsed model
//!   (materialising every synapse and setting up the engine).
//!
//! Each group prints the span, the events and the rates it measured before timing, and after
//! timing the median wall and CPU time of the timed iterations: on a shared machine the CPU
//! time of the running thread (utime + stime from `/proc/thread-self/stat`, 10 ms ticks) shows
//! how much of the wall time was spent waiting for a core.
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

/// CPU time (s) of the calling thread so far, from `/proc/thread-self/stat` (utime + stime in
/// clock ticks, taken as 100 per second, Linux's USER_HZ); `None` where that file is missing.
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // fields after the command name `(...)`: state is field 3, utime 14, stime 15
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.is_empty() {
        f64::NAN
    } else if xs.len() % 2 == 1 {
        xs[m]
    } else {
        0.5 * (xs[m - 1] + xs[m])
    }
}

/// Times `f` once: (wall s, thread CPU s).
fn timed(f: impl FnOnce()) -> (Duration, Option<f64>) {
    let c0 = thread_cpu_s();
    let t0 = Instant::now();
    f();
    let wall = t0.elapsed();
    let cpu = thread_cpu_s().zip(c0).map(|(b, a)| b - a);
    (wall, cpu)
}

fn report(id: &str, samples: &[(f64, Option<f64>)]) {
    if samples.is_empty() {
        return;
    }
    let wall = median(samples.iter().map(|s| s.0).collect());
    let cpu: Vec<f64> = samples.iter().filter_map(|s| s.1).collect();
    let cpu = if cpu.len() == samples.len() {
        format!("{:.3} s", median(cpu))
    } else {
        "n/a".to_string()
    };
    eprintln!(
        "{id}: {} iterations (warm-up included): median wall {wall:.3} s, median thread CPU {cpu}",
        samples.len()
    );
}

/// Whether criterion's command-line filter (positional arguments, matched as substrings here)
/// can select a benchmark of network `name`; if not, its costly setup is skipped.
fn selected(name: &str) -> bool {
    let ids = [
        format!("networks/{name}/run"),
        format!("construction/{name}"),
    ];
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty()
        || filters
            .iter()
            .any(|f| ids.iter().any(|id| id.contains(f.as_str())))
}

fn bench_network(c: &mut Criterion, name: &str) {
    if !selected(name) {
        return;
    }
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
        sim.n_cells(),
        sim.n_synapses(),
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
    // one thread, then two (parallel min_delay windows; bit-identical results)
    let mut medians = Vec::new();
    for (id, threads) in [("run", 1), ("run_2_threads", 2)] {
        assert_eq!(sim.set_threads(threads), threads);
        let mut samples = Vec::new();
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    sim.reset();
                    let (wall, cpu) = timed(|| sim.run(span));
                    samples.push((wall.as_secs_f64(), cpu));
                    total += wall;
                }
                total
            })
        });
        report(&format!("networks/{name}/{id}"), &samples);
        medians.push(median(samples.iter().map(|s| s.0).collect()));
    }
    eprintln!(
        "networks/{name}: speedup on 2 threads {:.2}x (median wall, warm-up included)",
        medians[0] / medians[1]
    );
    drop(sim);
    g.finish();

    let mut g = c.benchmark_group("construction");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(3));
    let mut samples = Vec::new();
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut sim = None;
                let (wall, cpu) = timed(|| sim = Some(model.network.build().unwrap()));
                samples.push((wall.as_secs_f64(), cpu));
                total += wall;
                // dropping the network (freeing ~ 100 MB for sparse) is not construction
                drop(std::hint::black_box(sim));
            }
            total
        })
    });
    report(&format!("construction/{name}"), &samples);
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
