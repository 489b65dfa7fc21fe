//! The exchange over MPI (feature `mpi`): one rank per process, through rsmpi (`mpi`) over the
//! system's MPI library (Debian's OpenMPI in CI).
//!
//! [`MpiComm`] keeps no MPI handle: each collective names the world communicator afresh
//! (`SimpleCommunicator::world()`, a constant), so the comm is `Send + Sync` without unsafe
//! code; only the thread that runs a rank's windows (the one that called `run_until`) calls it,
//! as MPI's default thread level (`MPI_THREAD_SINGLE` via `MPI_Init`) asks.

use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

use super::Comm;

/// The largest message part sent in one collective (bytes or words): MPI counts are C `int`s.
const MAX_COUNT: usize = 1 << 30;

/// This process's rank of `MPI_COMM_WORLD`. Create it after `mpi::initialize()` and keep the
/// returned `Universe` alive while it is used (dropping the universe finalizes MPI).
#[derive(Clone, Copy, Debug)]
pub struct MpiComm {
    rank: usize,
    size: usize,
}

impl MpiComm {
    /// The world communicator's rank and size, as MPI says them.
    pub fn world() -> MpiComm {
        let w = SimpleCommunicator::world();
        MpiComm {
            rank: w.rank() as usize,
            size: w.size() as usize,
        }
    }
}

/// Every rank's `mine` into `all`, in rank order: one `MPI_Allgatherv` of the lengths `lens`
/// (each at most [`MAX_COUNT`]), which every rank knows already.
fn all_gather_v<T: Equivalence + Copy + Default>(mine: &[T], all: &mut Vec<T>, lens: &[usize]) {
    let counts: Vec<Count> = lens.iter().map(|&c| c as Count).collect();
    let displs = displacements(&counts);
    all.clear();
    all.resize(lens.iter().sum(), T::default());
    let mut part = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
    SimpleCommunicator::world().all_gather_varcount_into(mine, &mut part);
}

/// Where each rank's part starts in the concatenation of parts of lengths `counts`.
fn displacements(counts: &[Count]) -> Vec<Count> {
    counts
        .iter()
        .scan(0, |acc, &c| {
            let d = *acc;
            *acc += c;
            Some(d)
        })
        .collect()
}

/// Every rank's length `n`, on every rank (one `MPI_Allgather`).
fn all_lengths(n: usize, size: usize) -> Vec<usize> {
    let mut totals = vec![0u64; size];
    SimpleCommunicator::world().all_gather_into(&(n as u64), &mut totals[..]);
    totals.into_iter().map(|t| t as usize).collect()
}

/// The lengths of round `r` of a message sent in rounds of at most [`MAX_COUNT`].
fn round_lengths(totals: &[usize], r: usize) -> Vec<usize> {
    totals
        .iter()
        .map(|&t| t.min((r + 1) * MAX_COUNT).saturating_sub(r * MAX_COUNT))
        .collect()
}

/// Round `r` of `mine`.
fn round_of<T>(mine: &[T], r: usize) -> &[T] {
    &mine[(r * MAX_COUNT).min(mine.len())..((r + 1) * MAX_COUNT).min(mine.len())]
}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather(&self, mine: &[u64], all: &mut Vec<u64>, lens: &mut Vec<usize>) {
        // the lengths, then the words: two collectives per window (more rounds only for a
        // message of more than MAX_COUNT words)
        let totals = all_lengths(mine.len(), self.size);
        if totals.iter().all(|&t| t <= MAX_COUNT) {
            all_gather_v(mine, all, &totals);
        } else {
            let rounds = totals
                .iter()
                .map(|t| t.div_ceil(MAX_COUNT))
                .max()
                .unwrap_or(0);
            let mut parts: Vec<Vec<u64>> = vec![Vec::new(); self.size];
            let mut chunk = Vec::new();
            for r in 0..rounds {
                let lens = round_lengths(&totals, r);
                all_gather_v(round_of(mine, r), &mut chunk, &lens);
                let mut at = 0;
                for (p, &len) in parts.iter_mut().zip(&lens) {
                    p.extend_from_slice(&chunk[at..at + len]);
                    at += len;
                }
            }
            all.clear();
            all.extend(parts.into_iter().flatten());
        }
        lens.clear();
        lens.extend_from_slice(&totals);
    }
    fn all_min(&self, x: f64) -> f64 {
        let mut m = f64::INFINITY;
        SimpleCommunicator::world().all_reduce_into(&x, &mut m, SystemOperation::min());
        m
    }
    fn gather_to_root(&self, mine: &[u8]) -> Option<Vec<Vec<u8>>> {
        let world = SimpleCommunicator::world();
        let root = world.process_at_rank(0);
        let totals = all_lengths(mine.len(), self.size);
        let rounds = totals
            .iter()
            .map(|t| t.div_ceil(MAX_COUNT))
            .max()
            .unwrap_or(0);
        let mut parts: Vec<Vec<u8>> = vec![Vec::new(); self.size];
        for r in 0..rounds {
            let piece = round_of(mine, r);
            if self.rank != 0 {
                root.gather_varcount_into(piece);
                continue;
            }
            let lens = round_lengths(&totals, r);
            let counts: Vec<Count> = lens.iter().map(|&c| c as Count).collect();
            let displs = displacements(&counts);
            let mut buf = vec![0u8; lens.iter().sum()];
            {
                let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                root.gather_varcount_into_root(piece, &mut part);
            }
            let mut at = 0;
            for (p, &len) in parts.iter_mut().zip(&lens) {
                p.extend_from_slice(&buf[at..at + len]);
                at += len;
            }
        }
        (self.rank == 0).then_some(parts)
    }
    fn kind(&self) -> &'static str {
        "MPI"
    }
}
