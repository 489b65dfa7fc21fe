//! `exactlif compare REF CAND`: how far a candidate run is from a reference run.
//!
//! # Input
//!
//! Each argument is a results directory (SPEC §4). If it holds `data.bin`, that is read
//! ([`crate::io::output::read_data_bin`]); otherwise, if it holds `summary.json` and `spikes.csv` (a run written
//! by another tool, e.g. the exported PyNN script on NEST), the CSV files are read instead:
//! `summary.json` gives the populations (`label`, `size`, optionally `cell_type`,
//! `records_spikes`, `spikes`) and `backend`, `duration_ms`, `timestep_ms`; `spikes.csv` the
//! spikes; `v.csv`, `isyn_exc.csv`, `isyn_inh.csv` the samples. In CSV-only runs a population
//! records spikes unless its `records_spikes` is `false`, and then all its cells count as
//! recorded. Anything else is not a results directory ([`CompareError::NotResults`]).
//!
//! The two runs must have the same populations (by label) with the same sizes; their order may
//! differ (the report follows the reference's). Timesteps and durations may differ: spikes are
//! compared up to the shorter duration, samples at the sample times the two runs share.
//!
//! # Spikes
//!
//! For every cell that records spikes in both runs, the two spike trains are matched
//! one-to-one: a reference spike `r` and a candidate spike `c` may be paired when
//! `|c - r| <= tolerance`. The matching is **optimal**: it has the largest possible number of
//! pairs and, among those, the smallest total `|c - r|` ([`match_spikes`]). Reference spikes
//! left unpaired are **missed**, candidate spikes left unpaired are **extra**. Errors `c - r` of
//! the pairs give the mean (signed: positive = candidate late), mean absolute, maximum absolute
//! and RMS spike-time error.
//!
//! *Algorithm.* Both trains are sorted, and some optimal matching never crosses (if `r1 <= r2`
//! and `c1 <= c2`, the pairs `(r1, c2), (r2, c1)` can be swapped for `(r1, c1), (r2, c2)`,
//! which are also within tolerance and whose total `|error|` is not larger). So the classic
//! dynamic programme over prefixes (`f(i, j)` = best (pairs, -total error) using the first `i`
//! reference and `j` candidate spikes; skip one, skip the other, or pair the last two) finds it.
//! Reference spike `i` can only be paired with a contiguous range of candidate spikes, and those
//! ranges move right with `i`; outside its range row `i` copies row `i - 1` (to the left) or its
//! own last in-range entry (to the right). So only the band is stored: the cost is
//! `O(n + m + sum of range lengths)` time and memory, linear for sensible tolerances.
//!
//! The default tolerance is **twice the larger of the two timesteps**: a step-based scheme puts
//! a spike up to one step after the true crossing, and an input moved to the grid can shift it
//! by about another step; a spike farther off than that is a different spike. (A small tolerance
//! is what makes a spike that a step-based run skips — e.g. a brief excursion above threshold
//! inside one step — show up as missed instead of being paired with some later spike. When a
//! regularly firing cell drifts in phase by more than the tolerance, its spikes show up as
//! missed/extra pairs; give a larger tolerance to measure the drift as an error.)
//!
//! *Spike-train distance.* The van Rossum distance with `tau = 10 ms` ([`van_rossum`]): each
//! train is convolved with the causal kernel `e^{-t/tau}`, and
//! `D^2 = (2/tau) ∫_0^∞ (f - g)^2 dt`, normalised so that one unmatched spike adds 1 to `D^2`
//! (two spikes `d` apart: `D^2 = 2 (1 - e^{-d/tau})`). It is computed exactly, in closed form
//! between consecutive spikes of either train (no time discretisation, no cancellation between
//! large sums). The integral runs to infinity, not to the end of the run. The report gives the
//! mean of `D` over the compared cells.
//!
//! # State variables
//!
//! For every variable recorded in both runs for a population: over the cells recorded in both
//! and the sample times common to both (equal to 1e-9 relative), the maximum absolute error
//! (with where it is) and the RMS error of `candidate - reference`.
//!
//! # Gate
//!
//! With a threshold of `T` ms ([`Report::apply_gate`]), the comparison *fails* when, over all
//! compared cells, any spike is missed or extra (at the matching tolerance), or a matched pair's
//! `|error|` exceeds `T` ms, or a variable's value is NaN. Otherwise it passes. (The command
//! line applies it with `--fail-over T` and exits with status 1 on a failure.)

mod load;
mod matching;
mod report;
mod table;

use std::path::PathBuf;

pub use load::{load_run, DataSource, Run};
pub use matching::{match_spikes, van_rossum};
pub use report::{
    compare_dirs, compare_runs, Gate, PopulationReport, Report, RunInfo, SampleLocation,
    SpikeLocation, SpikeStats, VarStats, VAN_ROSSUM_TAU_MS,
};
pub(crate) use table::num;
pub use table::TableNames;

/// Why two runs could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The path does not exist.
    #[error("{}: no such directory", .0.display())]
    NoSuchDirectory(PathBuf),
    /// The path is a file (or anything else that is not a directory).
    #[error("{} is not a results directory: it is a file, not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The directory holds neither `data.bin` nor `summary.json` + `spikes.csv`.
    #[error("{} is not a results directory: it has neither data.bin nor summary.json with spikes.csv", .0.display())]
    NotResults(PathBuf),
    /// A file of the directory is malformed.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The runs do not describe the same network.
    #[error("the runs cannot be compared: {0}")]
    Mismatch(String),
    /// The spike-matching tolerance is negative, infinite or NaN.
    #[error(
        "the spike-matching tolerance must be a finite number >= 0 ms, got {}",
        crate::io::text::number(*.0)
    )]
    InvalidTolerance(f64),
    /// No tolerance was given and neither run states its timestep, so there is no default.
    #[error("neither run says its timestep, so there is no default spike-matching tolerance")]
    NoDefaultTolerance,
}
