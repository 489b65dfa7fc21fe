//! The forced first-crossing solver (`ACSource`: a sine in the closed form) alone, in
//! predictions per second, on seeded batches of CUBA cells under a 10 Hz sine of 0.01 nA (the
//! drive of `benchmarks/models/cuba_ac.toml`; v_inf above threshold, so every one crosses)
//! and, with v_rest = -55 mV, under a 40 Hz sine of 0.2 nA that carries some over threshold
//! and not others; each searched over the engine's span (max(slowest time constant, one
//! period)).
//!
//! Run: `cargo bench --bench forced`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use exactlif::internals::{
    first_crossing_forced, Drive, Forced, ForcedCrossing, Free, Params, Rates, Sine, SolverStats,
};

const BATCH: usize = 1024;

/// The CUBA cell (fixtures/cuba.toml).
fn cuba() -> Params {
    Params {
        cm: 0.2,
        tau_m: 20.0,
        tau_syn_E: 5.0,
        tau_syn_I: 10.0,
        tau_refrac: 5.0,
        v_rest: -49.0,
        v_reset: -60.0,
        v_thresh: -50.0,
        i_offset: 0.0,
    }
}

fn bench_forced(c: &mut Criterion) {
    let p = cuba();
    let mut group = c.benchmark_group("forced");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.measurement_time(Duration::from_secs(3));
    for (name, amplitude, frequency, v_rest) in [
        ("cuba_ac_weak_sine", 0.01, 10.0, -49.0),
        ("strong_sine_below_rest", 0.2, 40.0, -55.0),
    ] {
        let drive = Drive {
            sines: vec![Sine::of_ac_source(amplitude, frequency, 0.0, 0.0)],
        };
        let p = Params { v_rest, ..p };
        let mut rng = Pcg64::seed_from_u64(7);
        let queries: Vec<(Free, f64)> = (0..BATCH)
            .map(|_| {
                let f = Free {
                    v0: rng.random_range(-60.0..-50.5),
                    ie0: rng.random_range(0.0..0.3),
                    ii0: -rng.random_range(0.0..0.5),
                    v_inf: p.v_inf(0.0),
                    cm: p.cm,
                    rates: Rates::of(&p),
                };
                (f, rng.random_range(0.0..1000.0))
            })
            .collect();
        let span = p.tau_syn_I.max(p.tau_m).max(1000.0 / frequency);
        // how many cross within the span (CUBA's cells, with v_inf above threshold, all do)
        let found = queries
            .iter()
            .filter(|(f, t0)| {
                let fo = Forced::new(*f, *t0, &drive);
                let mut s = SolverStats::default();
                matches!(
                    first_crossing_forced(&fo, p.v_thresh, p.kmax_exc(), span, &mut s),
                    ForcedCrossing::At(_)
                )
            })
            .count();
        eprintln!("forced/{name}: {found} of {BATCH} queries cross within {span} ms");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut stats = SolverStats::default();
                for (f, t0) in &queries {
                    let fo = Forced::new(*f, *t0, &drive);
                    black_box(first_crossing_forced(
                        &fo,
                        p.v_thresh,
                        p.kmax_exc(),
                        span,
                        &mut stats,
                    ));
                }
                assert_eq!(stats.cap_hits, 0);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_forced);
criterion_main!(benches);
