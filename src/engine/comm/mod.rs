//! How the ranks of one simulation talk: the small interface behind which the exact engine
//! exchanges spikes between processes, and its implementations.
//!
//! A simulation over `P` ranks divides the cells into `P` contiguous ranges, one per rank
//! ([`crate::engine::exact::ExactEngine::for_rank`]). Every rank runs the same sequence of
//! min_delay windows (their starts agreed by [`Comm::all_min`]); after each window every rank
//! sends the spikes of its cells to every other ([`Comm::all_gather`]), and each rank merges
//! them in `(t, cell)` order — the order one process would have emitted them — and delivers
//! those with targets among its cells. So every cell sees the same events in the same order on
//! any number of ranks, and the results are byte-identical (`tests/ranks.rs`).
//!
//! The exchange is NEST's first one (`nestkernel/event_delivery_manager.cpp`, `gather_spike_data`:
//! an all-to-all of every rank's spikes, each rank keeping those its cells need). Its cost per
//! window is one collective's latency (`~log P` message rounds) plus the whole network's spikes
//! of the window, received by every rank. NEST later sends each spike only to the ranks that
//! hold its targets (`MPI_Alltoall` with per-rank buffers): received volume falls from all
//! spikes to those with local targets, at the price of a second count exchange and per-rank
//! buffers. BENCHMARKS.md ("Several processes") estimates where that crosses over.
//!
//! Implementations:
//! - [`Solo`]: one process, one rank (collectives are copies);
//! - [`ThreadRanks`]: `P` ranks emulated by threads of one process, so that the default
//!   `cargo test` checks rank-count independence without MPI;
//! - MPI (`MpiComm`, feature `mpi`), one rank per process.

use std::sync::{Arc, Barrier, Mutex};

#[cfg(feature = "mpi")]
mod mpi;
#[cfg(feature = "mpi")]
pub use self::mpi::MpiComm;

/// The number of processes an MPI launcher started this one among, as it says in the
/// environment (`OMPI_COMM_WORLD_SIZE` from OpenMPI's `mpirun`, `PMI_SIZE` from MPICH's and
/// Intel's `mpiexec`, `PMIX_SIZE`... ; `SLURM_NTASKS` under `srun`), if any.
///
/// A program linked to one MPI library but launched by another's `mpirun` (or built without
/// MPI at all) initializes as a world of one: each of the N processes would then run the whole
/// simulation alone. Comparing this number with the world's size tells them apart.
pub fn launcher_size() -> Option<(usize, &'static str)> {
    [
        "OMPI_COMM_WORLD_SIZE",
        "PMI_SIZE",
        "PMIX_SIZE",
        "MPI_LOCALNRANKS",
        "SLURM_NTASKS",
    ]
    .into_iter()
    .find_map(|var| {
        let n = std::env::var(var).ok()?.trim().parse::<usize>().ok()?;
        Some((n, var))
    })
}

/// The collectives a rank of a simulation uses. Every rank of the simulation must call the
/// same collectives in the same order (each call blocks until every rank has made it).
pub trait Comm: Send + Sync {
    /// This rank, `0 .. size()`.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn size(&self) -> usize;

    /// Every rank's `mine`, concatenated in rank order, into `all`, and each rank's length
    /// into `lens` (so `all` splits back into the ranks' parts): the same on every rank.
    fn all_gather(&self, mine: &[u64], all: &mut Vec<u64>, lens: &mut Vec<usize>);

    /// The smallest of every rank's `x` (`f64::total_cmp`; no rank passes NaN), on every rank.
    fn all_min(&self, x: f64) -> f64;

    /// Every rank's `mine`, in rank order, at rank 0 (`None` on the other ranks).
    fn gather_to_root(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>>;

    /// A name for reports ("one process", "threads", "MPI").
    fn kind(&self) -> &'static str;
}

/// One rank alone: the collectives are copies.
#[derive(Clone, Copy, Debug, Default)]
pub struct Solo;

impl Comm for Solo {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_gather(&self, mine: &[u64], all: &mut Vec<u64>, lens: &mut Vec<usize>) {
        all.clear();
        all.extend_from_slice(mine);
        lens.clear();
        lens.push(mine.len());
    }
    fn all_min(&self, x: f64) -> f64 {
        x
    }
    fn gather_to_root(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        Some(vec![mine.to_vec()])
    }
    fn kind(&self) -> &'static str {
        "one process"
    }
}

/// `P` ranks emulated by threads of one process: each rank's engine runs on a thread of its
/// own and holds one of the [`ThreadRanks::new`] handles. Collectives meet at a barrier
/// (which blocks, so more ranks than cores work, slowly), with one slot per rank.
pub struct ThreadRanks {
    rank: usize,
    shared: Arc<Shared>,
}

struct Shared {
    size: usize,
    barrier: Barrier,
    words: Mutex<Vec<Vec<u64>>>,
    bytes: Mutex<Vec<Vec<u8>>>,
    mins: Mutex<Vec<f64>>,
}

impl ThreadRanks {
    /// The handles of `size` ranks (`size >= 1`), rank `r` at index `r`.
    pub fn new(size: usize) -> Vec<ThreadRanks> {
        assert!(size >= 1, "at least one rank");
        let shared = Arc::new(Shared {
            size,
            barrier: Barrier::new(size),
            words: Mutex::new(vec![Vec::new(); size]),
            bytes: Mutex::new(vec![Vec::new(); size]),
            mins: Mutex::new(vec![0.0; size]),
        });
        (0..size)
            .map(|rank| ThreadRanks {
                rank,
                shared: Arc::clone(&shared),
            })
            .collect()
    }
}

/// Locks a slot table; a poisoned lock (a rank panicked) is taken over, as the panic is
/// reported by the thread that runs that rank.
fn slots<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Comm for ThreadRanks {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.shared.size
    }
    fn all_gather(&self, mine: &[u64], all: &mut Vec<u64>, lens: &mut Vec<usize>) {
        let s = &self.shared;
        {
            let mut w = slots(&s.words);
            w[self.rank].clear();
            w[self.rank].extend_from_slice(mine);
        }
        s.barrier.wait();
        {
            let w = slots(&s.words);
            all.clear();
            lens.clear();
            for part in w.iter() {
                all.extend_from_slice(part);
                lens.push(part.len());
            }
        }
        // nobody writes its slot again before every rank has read them all
        s.barrier.wait();
    }
    fn all_min(&self, x: f64) -> f64 {
        let s = &self.shared;
        slots(&s.mins)[self.rank] = x;
        s.barrier.wait();
        let m = slots(&s.mins)
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .expect("at least one rank");
        s.barrier.wait();
        m
    }
    fn gather_to_root(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        let s = &self.shared;
        slots(&s.bytes)[self.rank] = mine.to_vec();
        s.barrier.wait();
        let out = (self.rank == 0).then(|| std::mem::take(&mut *slots(&s.bytes)));
        if self.rank == 0 {
            slots(&s.bytes).resize(s.size, Vec::new());
        }
        s.barrier.wait();
        out
    }
    fn kind(&self) -> &'static str {
        "threads"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four emulated ranks: every rank sees every rank's words in rank order, the minimum,
    /// and rank 0 alone gets the gathered bytes; repeated calls do not mix up rounds.
    #[test]
    fn thread_ranks_gather_in_rank_order() {
        let ranks = ThreadRanks::new(4);
        std::thread::scope(|s| {
            for c in &ranks {
                s.spawn(move || {
                    for round in 0..50u64 {
                        let r = c.rank() as u64;
                        let mine: Vec<u64> = (0..r).map(|i| 100 * round + 10 * r + i).collect();
                        let (mut all, mut lens) = (Vec::new(), Vec::new());
                        c.all_gather(&mine, &mut all, &mut lens);
                        assert_eq!(lens, vec![0, 1, 2, 3]);
                        let want: Vec<u64> = (0..4u64)
                            .flat_map(|r| (0..r).map(move |i| 100 * round + 10 * r + i))
                            .collect();
                        assert_eq!(all, want);
                        let m = c.all_min(round as f64 + 4.0 - r as f64);
                        assert_eq!(m, round as f64 + 1.0);
                        let got = c.gather_to_root(&[r as u8; 3]);
                        if r == 0 {
                            let got = got.expect("rank 0 gathers");
                            assert_eq!(got, (0..4u8).map(|r| vec![r; 3]).collect::<Vec<_>>());
                        } else {
                            assert!(got.is_none());
                        }
                    }
                });
            }
        });
    }

    #[test]
    fn solo_is_a_copy() {
        let (mut all, mut lens) = (Vec::new(), Vec::new());
        Solo.all_gather(&[1, 2], &mut all, &mut lens);
        assert_eq!((all, lens), (vec![1, 2], vec![2]));
        assert_eq!(Solo.all_min(3.5), 3.5);
        assert_eq!(Solo.gather_to_root(b"x"), Some(vec![b"x".to_vec()]));
    }
}
