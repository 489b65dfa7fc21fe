//! The first-crossing solver alone, in predictions per second, path by path.
//!
//! Each group runs `first_crossing` over a fixed, seeded batch of free trajectories that all
//! take the same path, checked when the batch is drawn:
//!
//! - `rejected`: the cheap rejection bound is below threshold (no search; the common case in
//!   sparse activity);
//! - `rejected_at_peak`: the cheap bound passes, but the closed-form peak of the trajectory
//!   without inhibition is below threshold (no search: a PSP that falls short);
//! - `crossing/psp`: the bound passes and a crossing exists, reached on the rising flank of a
//!   PSP (v_inf below threshold: the excitatory current carries v over);
//! - `crossing/drift`: CUBA's regime: v_inf = -49 mV is above threshold, so every trajectory
//!   crosses, mixed excitatory and inhibitory currents (this is the engine's every-input path in
//!   fixtures/cuba.toml);
//! - `searched_none`: the bound passes but v never reaches threshold (root-finding work with no
//!   crossing at the end).
//!
//! - `lower_bound`: [`crossing_lower_bound`] alone on the `crossing/drift` batch: what the
//!   engine computes on an excitatory input instead of a search.
//!
//! Throughput is `Elements(batch)`: criterion's elem/s is predictions per second.
//!
//! Run: `cargo bench --bench threshold`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use exactlif::internals::{crossing_lower_bound, first_crossing, Crossing, SolverStats};
use exactlif::internals::{Free, Params, Rates};

/// Trajectories per batch.
const BATCH: usize = 4096;

/// One prepared query: a free trajectory with its cell's threshold and `Kmax_E`.
#[derive(Clone, Copy)]
struct Query {
    f: Free,
    v_thresh: f64,
    kmax_e: f64,
}

/// What a query did: rejected by the bound, searched with a crossing, searched without.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Path {
    Rejected,
    RejectedAtPeak,
    Crossing,
    SearchedNone,
}

fn path_of(q: &Query) -> Path {
    let mut stats = SolverStats::default();
    let c = first_crossing(&q.f, q.v_thresh, q.kmax_e, f64::INFINITY, &mut stats);
    let f = &q.f;
    let bound = f.v_inf + (f.v0 - f.v_inf).max(0.0) + f.ie0.max(0.0) / f.cm * q.kmax_e;
    match (c, stats.searches) {
        (Crossing::None, 0) if bound < q.v_thresh => Path::Rejected,
        (Crossing::None, 0) => Path::RejectedAtPeak,
        (Crossing::At(_), _) => Path::Crossing,
        (Crossing::None, _) => Path::SearchedNone,
    }
}

/// The CUBA cell (fixtures/cuba.toml).
fn cuba_params() -> Params {
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

/// The sparse fixture's cell (PyNN defaults, tau_refrac 2 ms).
fn sparse_params() -> Params {
    Params {
        tau_refrac: 2.0,
        ..Params::default()
    }
}

fn query(p: &Params, v0: f64, ie0: f64, ii0: f64) -> Query {
    Query {
        f: Free {
            v0,
            ie0,
            ii0,
            v_inf: p.v_inf(0.0),
            cm: p.cm,
            rates: Rates::of(p),
        },
        v_thresh: p.v_thresh,
        kmax_e: p.kmax_exc(),
    }
}

/// Draws `BATCH` queries from `draw` that take path `want` (rejection sampling, seeded).
fn batch(seed: u64, want: Path, mut draw: impl FnMut(&mut Pcg64) -> Query) -> Vec<Query> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut out = Vec::with_capacity(BATCH);
    let mut tries = 0usize;
    while out.len() < BATCH {
        tries += 1;
        assert!(tries < 1000 * BATCH, "cannot draw {want:?} queries");
        let q = draw(&mut rng);
        if path_of(&q) == want {
            out.push(q);
        }
    }
    out
}

fn bench_threshold(c: &mut Criterion) {
    let sp = sparse_params();
    let cuba = cuba_params();
    let sets: [(&str, Vec<Query>); 5] = [
        (
            "rejected",
            batch(1, Path::Rejected, |r| {
                query(
                    &sp,
                    r.random_range(-65.0..-52.0),
                    r.random_range(0.0..0.5),
                    r.random_range(-1.0..0.0),
                )
            }),
        ),
        (
            "rejected_at_peak",
            batch(5, Path::RejectedAtPeak, |r| {
                query(
                    &sp,
                    r.random_range(-58.0..-52.0),
                    r.random_range(1.0..4.0),
                    r.random_range(-1.0..0.0),
                )
            }),
        ),
        (
            "crossing/psp",
            batch(2, Path::Crossing, |r| {
                query(
                    &sp,
                    r.random_range(-56.0..-50.5),
                    r.random_range(1.0..4.0),
                    r.random_range(-1.0..0.0),
                )
            }),
        ),
        (
            "crossing/drift",
            batch(3, Path::Crossing, |r| {
                query(
                    &cuba,
                    r.random_range(-60.0..-50.0),
                    r.random_range(0.0..0.1),
                    r.random_range(-0.6..0.0),
                )
            }),
        ),
        (
            "searched_none",
            batch(4, Path::SearchedNone, |r| {
                query(
                    &sp,
                    r.random_range(-62.0..-52.0),
                    r.random_range(1.0..4.0),
                    r.random_range(-4.0..0.0),
                )
            }),
        ),
    ];

    let mut g = c.benchmark_group("threshold");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(BATCH as u64));
    for (name, qs) in &sets {
        g.bench_function(*name, |b| {
            let mut stats = SolverStats::default();
            b.iter(|| {
                let mut acc = 0.0;
                for q in qs {
                    if let Crossing::At(t) = first_crossing(
                        black_box(&q.f),
                        q.v_thresh,
                        q.kmax_e,
                        f64::INFINITY,
                        &mut stats,
                    ) {
                        acc += t;
                    }
                }
                black_box(acc)
            });
        });
    }
    let drift = &sets[3].1;
    g.bench_function("lower_bound", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for q in drift {
                acc += crossing_lower_bound(black_box(&q.f), q.v_thresh, q.kmax_e);
            }
            black_box(acc)
        });
    });
    g.finish();
}

criterion_group!(benches, bench_threshold);
criterion_main!(benches);
