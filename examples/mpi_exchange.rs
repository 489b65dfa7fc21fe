//! The cost of one window's exchange over MPI, measured: `rounds` windows of `all_min` (the
//! window start) and `all_gather` (the spikes) with `spikes` spikes per rank per window, as the
//! exact engine makes them, then the received spikes decoded and sorted by `(t, cell)` as the
//! engine merges them; timed on rank 0. Prints one line per spike count.
//!
//!     cargo build --release --features mpi --example mpi_exchange
//!     mpirun -np 2 --oversubscribe target/release/examples/mpi_exchange
//!
//! (BENCHMARKS.md, "Several processes", fits the latency and the cost per byte from it.)

use exactlif::{Comm, MpiComm};
use std::time::Instant;

/// A spike time in a 1 ms window, spread like a rank's (deterministic).
fn r_time(rank: u64, i: u64) -> f64 {
    ((rank * 7919 + i * 104_729) % 1000) as f64 * 1e-3
}

fn main() {
    let _universe = exactlif::mpi::initialize().expect("MPI initializes once");
    let comm = MpiComm::world();
    let rounds = 20_000usize;
    let (mut all, mut lens) = (Vec::new(), Vec::new());
    for spikes in [0usize, 10, 100, 1000, 10_000] {
        let rounds = (rounds / (1 + spikes / 100)).max(200);
        // a window's message: compute time, spike count, runaway flag, 2 words per spike
        let mut mine: Vec<u64> = vec![0, spikes as u64, 0];
        for i in 0..spikes as u64 {
            let t = r_time(comm.rank() as u64, i);
            mine.extend_from_slice(&[t.to_bits(), i * comm.size() as u64 + comm.rank() as u64]);
        }
        let mut merged: Vec<(f64, u32)> = Vec::new();
        let mut times = Vec::with_capacity(rounds);
        for r in 0..rounds {
            let t = Instant::now();
            let _start = comm.all_min(r as f64);
            comm.all_gather(&mine, &mut all, &mut lens);
            merged.clear();
            let mut at = 0;
            for &len in &lens {
                let m = &all[at + 3..at + len];
                merged.extend(
                    m.chunks_exact(2)
                        .map(|w| (f64::from_bits(w[0]), w[1] as u32)),
                );
                at += len;
            }
            merged.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        if comm.rank() == 0 {
            println!(
                "ranks {} spikes/rank {:>5} bytes/rank {:>6}: median {:.2} us, q1 {:.2}, q3 {:.2} ({} windows)",
                comm.size(),
                spikes,
                8 * mine.len(),
                times[rounds / 2] * 1e6,
                times[rounds / 4] * 1e6,
                times[3 * rounds / 4] * 1e6,
                rounds
            );
        }
    }
}
