//! The `IF_curr_alpha` first-crossing solver alone, in predictions per second, next to the
//! `IF_curr_exp` solver on comparable batches (seeded, drawn once, checked by path):
//!
//! - `alpha/rejected`: one input from near rest whose PSP stays below threshold (the rejection
//!   bound, no search);
//! - `alpha/crossing`: mixed currents (an alpha PSP rising over slower inhibition, PyNN
//!   defaults but `tau_syn_I` 2 ms) that cross: the full Rolle chain and the crossing;
//! - `alpha/searched_none`: the same, below threshold: the chain with no crossing at the end;
//! - `exp/crossing`, `exp/searched_none`: `IF_curr_exp` (5 / 10 ms synapses) on the analogous
//!   batches.
//!
//! Each is searched with an infinite horizon. Throughput is `Elements(batch)`.
//!
//! Run: `cargo bench --bench alpha`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use exactlif::internals::{
    alpha_input_jump, first_crossing, first_crossing_alpha, AlphaDerived, AlphaFree, AlphaParams,
    AlphaState, Crossing, Free, Params, Rates, SolverStats,
};

const BATCH: usize = 1024;

/// `BATCH` alpha trajectories drawn by `draw` whose solver result satisfies `keep`.
fn alpha_batch(
    p: &AlphaParams,
    keep: impl Fn(Crossing) -> bool,
    draw: impl Fn(&mut Pcg64) -> AlphaState,
) -> Vec<AlphaFree> {
    let d = AlphaDerived::of(p);
    let mut rng = Pcg64::seed_from_u64(16);
    let mut out = Vec::new();
    while out.len() < BATCH {
        let f = AlphaFree::new(p, &d, &draw(&mut rng), 0.0);
        let c = first_crossing_alpha(
            &f,
            &d,
            p.v_thresh,
            f64::INFINITY,
            &mut SolverStats::default(),
        );
        if keep(c) {
            out.push(f);
        }
    }
    out
}

fn exp_batch(p: &Params, keep: impl Fn(Crossing) -> bool) -> Vec<Free> {
    let mut rng = Pcg64::seed_from_u64(16);
    let mut out = Vec::new();
    while out.len() < BATCH {
        let f = Free {
            v0: rng.random_range(-60.0..-52.0),
            ie0: rng.random_range(0.5..8.0),
            ii0: -rng.random_range(0.0..3.0),
            v_inf: p.v_inf(0.0),
            cm: p.cm,
            rates: Rates::of(p),
        };
        let c = first_crossing(
            &f,
            p.v_thresh,
            p.kmax_exc(),
            f64::INFINITY,
            &mut SolverStats::default(),
        );
        if keep(c) {
            out.push(f);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("first_crossing");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.measurement_time(Duration::from_secs(3));
    let crosses = |c: Crossing| matches!(c, Crossing::At(t) if t > 0.0);
    let none = |c: Crossing| c == Crossing::None;

    let p = AlphaParams {
        tau_syn_I: 2.0,
        ..AlphaParams::default()
    };
    let d = AlphaDerived::of(&p);
    let single = |rng: &mut Pcg64| AlphaState {
        v: rng.random_range(-66.0..-60.0),
        disyn_exc: alpha_input_jump(rng.random_range(0.1..5.0), p.tau_syn_E),
        ..AlphaState::initial()
    };
    let mixed = |rng: &mut Pcg64| {
        let ie = rng.random_range(0.0..10.0);
        AlphaState {
            v: rng.random_range(-60.0..-52.0),
            isyn_exc: ie,
            disyn_exc: rng.random_range(0.0..60.0) - ie / p.tau_syn_E,
            isyn_inh: -rng.random_range(0.0..4.0),
            disyn_inh: 0.0,
        }
    };
    for (name, batch) in [
        ("alpha/rejected", alpha_batch(&p, none, single)),
        ("alpha/crossing", alpha_batch(&p, crosses, mixed)),
        ("alpha/searched_none", alpha_batch(&p, none, mixed)),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut stats = SolverStats::default();
                for f in &batch {
                    black_box(first_crossing_alpha(
                        black_box(f),
                        &d,
                        p.v_thresh,
                        f64::INFINITY,
                        &mut stats,
                    ));
                }
                stats
            })
        });
    }
    let q = Params {
        tau_syn_I: 10.0,
        ..Params::default()
    };
    let kmax = q.kmax_exc();
    for (name, batch) in [
        ("exp/crossing", exp_batch(&q, crosses)),
        ("exp/searched_none", exp_batch(&q, none)),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut stats = SolverStats::default();
                for f in &batch {
                    black_box(first_crossing(
                        black_box(f),
                        q.v_thresh,
                        kmax,
                        f64::INFINITY,
                        &mut stats,
                    ));
                }
                stats
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
