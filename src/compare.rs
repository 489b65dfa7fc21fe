//! `exactlif compare REF CAND`: how far a candidate run is from a reference run.
//!
//! # Input
//!
//! Each argument is a results directory (SPEC §4). If it holds `data.bin`, that is read
//! ([`read_data_bin`]); otherwise, if it holds `summary.json` and `spikes.csv` (a run written
//! by another tool, e.g. the exported PyNN script on NEST), the CSV files are read instead:
//! `summary.json` gives the populations (`label`, `size`, optionally `cell_type`,
//! `records_spikes`, `spikes`) and `backend`, `duration_ms`, `timestep_ms`; `spikes.csv` the
//! spikes; `v.csv`, `isyn_exc.csv`, `isyn_inh.csv` the samples. In CSV-only runs a population
//! records spikes unless its `records_spikes` is `false`, and then all its cells count as
//! recorded. Anything else is not a results directory (an error, exit status 2).
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
//! missed/extra pairs; give a larger `--tolerance-ms` to measure the drift as an error.)
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
//! With `--fail-over T` ([`Report::apply_gate`]), the comparison *fails* (exit status 1) when,
//! over all compared cells, any spike is missed or extra (at the matching tolerance), or a
//! matched pair's `|error|` exceeds `T` ms, or a variable's value is NaN. Otherwise it passes
//! (exit status 0). Without the option the exit status is 0 whenever the comparison ran.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::io::output::{read_data_bin, OutputError, DATA_FILE, SPIKES_FILE, SUMMARY_FILE};
use crate::recording::{AnalogSignal, DataBlock, EventCounts, PopulationData, SpikeTrain};

/// Time constant of the van Rossum kernel (ms).
pub const VAN_ROSSUM_TAU_MS: f64 = 10.0;

/// Relative tolerance within which two sample times count as the same.
const SAME_TIME_REL: f64 = 1e-9;

/// Why two runs could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The path does not exist or is not a directory.
    #[error("{}: no such directory", .0.display())]
    NoSuchDirectory(PathBuf),
    /// The directory holds neither `data.bin` nor `summary.json` + `spikes.csv`.
    #[error("{} is not a results directory: it has neither data.bin nor summary.json with spikes.csv (write one with `exactlif run`)", .0.display())]
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
    /// A bad option value.
    #[error("{0}")]
    BadOption(String),
}

impl CompareError {
    /// 1 for read failures of existing files, 2 for everything else (bad arguments).
    pub fn exit_code(&self) -> u8 {
        match self {
            CompareError::Io { .. } => 1,
            _ => 2,
        }
    }
}

/// Where a run's data came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// `data.bin`.
    DataBin,
    /// `summary.json` and the CSV files.
    Csv,
}

/// A results directory read back.
#[derive(Clone, Debug)]
pub struct Run {
    /// The directory.
    pub dir: PathBuf,
    /// The data (for CSV-only runs, `timestep_ms` may be NaN when it cannot be known).
    pub data: DataBlock,
    /// Where it came from.
    pub source: DataSource,
}

/// Reads a results directory: `data.bin` if present, else `summary.json` + CSV files.
pub fn load_run(dir: &Path) -> Result<Run, CompareError> {
    if !dir.is_dir() {
        return Err(CompareError::NoSuchDirectory(dir.to_path_buf()));
    }
    if dir.join(DATA_FILE).is_file() {
        let data = read_data_bin(dir).map_err(|e| match e {
            OutputError::Io { path, source } => CompareError::Io { path, source },
            other => CompareError::Malformed {
                path: dir.join(DATA_FILE),
                message: format!("not a results file: {other}"),
            },
        })?;
        return Ok(Run {
            dir: dir.to_path_buf(),
            data,
            source: DataSource::DataBin,
        });
    }
    if dir.join(SUMMARY_FILE).is_file() && dir.join(SPIKES_FILE).is_file() {
        return Ok(Run {
            dir: dir.to_path_buf(),
            data: read_csv_run(dir)?,
            source: DataSource::Csv,
        });
    }
    Err(CompareError::NotResults(dir.to_path_buf()))
}

fn read_text(path: &Path) -> Result<String, CompareError> {
    std::fs::read_to_string(path).map_err(|source| CompareError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The data rows of a CSV file (RFC 4180) with the given header, as fields, each with the
/// line it starts on (for errors); blank lines are skipped.
fn csv_rows(path: &Path, header: &[&str]) -> Result<Vec<(usize, Vec<String>)>, CompareError> {
    let file = std::fs::File::open(path).map_err(|source| CompareError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |message: String| CompareError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let read_err = |e: csv::Error| {
        if !e.is_io_error() {
            return bad(e.to_string());
        }
        match e.into_kind() {
            csv::ErrorKind::Io(source) => CompareError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => bad(format!("{other:?}")),
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let mut records = reader.records();
    let first = match records.next() {
        None => return Err(bad("empty file; expected a header".into())),
        Some(r) => r.map_err(read_err)?,
    };
    if first.iter().ne(header.iter().copied()) {
        return Err(bad(format!(
            "header is `{}`, expected `{}`",
            first.iter().collect::<Vec<_>>().join(","),
            header.join(",")
        )));
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(read_err)?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != header.len() {
            return Err(bad(format!(
                "line {line}: {} fields, expected {}",
                record.len(),
                header.len()
            )));
        }
        rows.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

/// One cell's samples read from a CSV file: times and values.
type Samples = (Vec<f64>, Vec<f64>);

/// Reads a CSV-only results directory into a [`DataBlock`].
fn read_csv_run(dir: &Path) -> Result<DataBlock, CompareError> {
    let spath = dir.join(SUMMARY_FILE);
    let bad = |path: &Path, message: String| CompareError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let summary: serde_json::Value = serde_json::from_str(&read_text(&spath)?)
        .map_err(|e| bad(&spath, format!("not JSON: {e}")))?;
    let pops = summary["populations"]
        .as_array()
        .ok_or_else(|| bad(&spath, "no `populations` list".into()))?;
    let mut populations = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, p) in pops.iter().enumerate() {
        let label = p["label"]
            .as_str()
            .ok_or_else(|| bad(&spath, format!("population {i} has no `label`")))?;
        let size = p["size"].as_u64().ok_or_else(|| {
            bad(
                &spath,
                format!("population \"{label}\" has no integer `size`"),
            )
        })? as usize;
        index.insert(label.to_string(), i);
        populations.push(PopulationData {
            label: label.to_string(),
            size,
            cell_type: p["cell_type"].as_str().unwrap_or("unknown").to_string(),
            spike_count: p["spikes"].as_u64().unwrap_or(0),
            records_spikes: p["records_spikes"].as_bool().unwrap_or(true),
            spiketrains: Vec::new(),
            signals: Vec::new(),
        });
    }
    let sizes: Vec<usize> = populations.iter().map(|p| p.size).collect();
    let lookup = |path: &Path, line: usize, label: &str, neuron: &str| {
        let &p = index.get(label).ok_or_else(|| {
            bad(
                path,
                format!("line {line}: population \"{label}\" is not in summary.json"),
            )
        })?;
        let n: u32 = neuron
            .parse()
            .map_err(|_| bad(path, format!("line {line}: bad neuron index `{neuron}`")))?;
        if n as usize >= sizes[p] {
            return Err(bad(
                path,
                format!(
                    "line {line}: neuron {n} out of range for population \"{label}\" of {} cells",
                    sizes[p]
                ),
            ));
        }
        Ok((p, n))
    };
    let number = |path: &Path, line: usize, s: &str| -> Result<f64, CompareError> {
        s.trim()
            .parse::<f64>()
            .map_err(|_| bad(path, format!("line {line}: `{s}` is not a number")))
    };
    // spikes
    let path = dir.join(SPIKES_FILE);
    let mut trains: Vec<BTreeMap<u32, Vec<f64>>> = vec![BTreeMap::new(); populations.len()];
    let mut max_time = 0.0f64;
    for (line, f) in csv_rows(&path, &["population", "neuron", "time_ms"])? {
        let (p, n) = lookup(&path, line, &f[0], &f[1])?;
        let t = number(&path, line, &f[2])?;
        max_time = max_time.max(t);
        trains[p].entry(n).or_default().push(t);
    }
    for (pop, mut tr) in populations.iter_mut().zip(trains) {
        if !tr.is_empty() {
            pop.records_spikes = true;
        }
        if pop.records_spikes {
            pop.spiketrains = (0..pop.size as u32)
                .map(|n| {
                    let mut times_ms = tr.remove(&n).unwrap_or_default();
                    times_ms.sort_by(f64::total_cmp);
                    SpikeTrain {
                        neuron: n,
                        times_ms,
                    }
                })
                .collect();
            let recorded: u64 = pop
                .spiketrains
                .iter()
                .map(|t| t.times_ms.len() as u64)
                .sum();
            pop.spike_count = pop.spike_count.max(recorded);
        }
    }
    // signals
    let mut inferred_dt = f64::INFINITY;
    for (var, unit) in [("v", "mV"), ("isyn_exc", "nA"), ("isyn_inh", "nA")] {
        let path = dir.join(format!("{var}.csv"));
        if !path.is_file() {
            continue;
        }
        let mut per: Vec<BTreeMap<u32, Samples>> = vec![BTreeMap::new(); populations.len()];
        for (line, f) in csv_rows(&path, &["population", "neuron", "time_ms", var])? {
            let (p, n) = lookup(&path, line, &f[0], &f[1])?;
            let t = number(&path, line, &f[2])?;
            let x = number(&path, line, &f[3])?;
            max_time = max_time.max(t);
            let e = per[p].entry(n).or_default();
            e.0.push(t);
            e.1.push(x);
        }
        for (pop, cells) in populations.iter_mut().zip(per) {
            let Some((_, (times, _))) = cells.iter().next() else {
                continue;
            };
            let times = times.clone();
            for w in times.windows(2) {
                if w[1] > w[0] {
                    inferred_dt = inferred_dt.min(w[1] - w[0]);
                }
            }
            let mut neurons = Vec::new();
            let mut values = Vec::new();
            for (n, (t, x)) in cells {
                if t != times {
                    return Err(bad(
                        &path,
                        format!(
                            "population \"{}\": neuron {n} has other sample times than neuron {}",
                            pop.label,
                            neurons.first().copied().unwrap_or(n)
                        ),
                    ));
                }
                neurons.push(n);
                values.push(x);
            }
            pop.signals.push(AnalogSignal {
                name: var.to_string(),
                units: unit.to_string(),
                sampling_period_ms: f64::NAN,
                times_ms: times,
                neurons,
                values,
            });
        }
    }
    let timestep_ms = summary["timestep_ms"]
        .as_f64()
        .unwrap_or(if inferred_dt.is_finite() {
            inferred_dt
        } else {
            f64::NAN
        });
    for pop in &mut populations {
        for s in &mut pop.signals {
            s.sampling_period_ms = timestep_ms;
        }
    }
    Ok(DataBlock {
        backend: summary["backend"].as_str().unwrap_or("unknown").to_string(),
        seed: summary["seed"].as_u64().unwrap_or(0),
        timestep_ms,
        duration_ms: summary["duration_ms"].as_f64().unwrap_or(max_time),
        populations,
        events: EventCounts::default(),
        wall_time_s: summary["wall_time_s"].as_f64().unwrap_or(f64::NAN),
        build_time_s: summary["build_time_s"].as_f64().unwrap_or(f64::NAN),
    })
}

// ---------------------------------------------------------------------------------------------
// Matching

/// A (pairs, total |error|) objective value: more pairs first, then less error.
#[derive(Clone, Copy, Debug, Default)]
struct Score {
    pairs: u32,
    cost: f64,
}

impl Score {
    #[inline]
    fn better_than(self, o: Score) -> bool {
        self.pairs > o.pairs || (self.pairs == o.pairs && self.cost < o.cost)
    }
}

/// An optimal one-to-one matching of two sorted spike trains (ms): the pairs `(i, j)` of
/// `reference[i]` and `candidate[j]` with `|candidate[j] - reference[i]| <= tolerance`, as many
/// as possible, and among those the ones with the least total `|error|`. Pairs are returned in
/// increasing order (the matching never crosses). See the module doc for the algorithm.
///
/// ```
/// use exactlif::compare::match_spikes;
/// // A greedy matcher pairs 1.0 with 1.6 (the closer one) and loses 2.5.
/// let pairs = match_spikes(&[1.0, 2.5], &[0.2, 1.6], 1.0);
/// assert_eq!(pairs, vec![(0, 0), (1, 1)]);
/// ```
pub fn match_spikes(reference: &[f64], candidate: &[f64], tolerance: f64) -> Vec<(usize, usize)> {
    // Row i (a reference spike with candidates in range [lo, hi]) stores f(i, j) for
    // j = lo ..= hi + 1 (j = number of candidates considered) and the choice made there.
    struct Row {
        i: usize,
        lo: usize,
        hi: usize,
        off: usize,
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut val: Vec<Score> = Vec::new();
    let mut choice: Vec<u8> = Vec::new(); // 0 up (skip reference), 1 left (skip candidate), 2 pair
    let mut lo = 0usize;
    for (i, &r) in reference.iter().enumerate() {
        while lo < candidate.len() && candidate[lo] < r - tolerance {
            lo += 1;
        }
        let mut hi = lo;
        while hi < candidate.len() && candidate[hi] <= r + tolerance {
            hi += 1;
        }
        if hi == lo {
            continue; // no candidate in range: never paired
        }
        let hi = hi - 1;
        // f(prev, j), for j >= prev.lo (guaranteed: ranges move right)
        let prev = |j: usize, rows: &[Row], val: &[Score]| -> Score {
            match rows.last() {
                None => Score::default(),
                Some(p) => val[p.off + j.min(p.hi + 1) - p.lo],
            }
        };
        let off = val.len();
        // j = lo: no candidate of the range yet, f(i, lo) = f(i - 1, lo)
        val.push(prev(lo, &rows, &val));
        choice.push(0);
        for j in lo + 1..=hi + 1 {
            let mut best = prev(j, &rows, &val);
            let mut how = 0u8;
            let left = val[off + j - 1 - lo];
            if left.better_than(best) {
                best = left;
                how = 1;
            }
            let e = (candidate[j - 1] - r).abs();
            if e <= tolerance {
                let d = prev(j - 1, &rows, &val);
                let pair = Score {
                    pairs: d.pairs + 1,
                    cost: d.cost + e,
                };
                if pair.better_than(best) {
                    best = pair;
                    how = 2;
                }
            }
            val.push(best);
            choice.push(how);
        }
        rows.push(Row { i, lo, hi, off });
    }
    // backtrack from (last row, all candidates)
    let mut pairs = Vec::new();
    let mut j = candidate.len();
    let mut ri = rows.len();
    while ri > 0 && j > 0 {
        let row = &rows[ri - 1];
        if j > row.hi + 1 {
            j = row.hi + 1;
        }
        if j <= row.lo {
            ri -= 1;
            continue;
        }
        match choice[row.off + j - row.lo] {
            0 => ri -= 1,
            1 => j -= 1,
            _ => {
                pairs.push((row.i, j - 1));
                j -= 1;
                ri -= 1;
            }
        }
    }
    pairs.reverse();
    pairs
}

/// The van Rossum distance between two sorted spike trains (ms) with kernel time constant
/// `tau` (ms): `D = sqrt((2/tau) ∫_0^∞ (f - g)^2 dt)` with `f = sum_i e^{-(t - a_i)/tau} H(t - a_i)`
/// and `g` likewise, so that one unmatched spike gives `D = 1`.
///
/// Computed exactly: between consecutive spikes of either train `f - g = c e^{-(t - t0)/tau}`,
/// whose square integrates to `c^2 (tau/2)(1 - e^{-2 dt/tau})`; after the last spike to
/// `c^2 tau/2`. Identical trains give exactly 0.
///
/// ```
/// use exactlif::compare::van_rossum;
/// assert_eq!(van_rossum(&[1.0], &[], 10.0), 1.0);
/// let d = van_rossum(&[1.0], &[2.0], 10.0);
/// assert!((d * d - 2.0 * (1.0 - (-0.1f64).exp())).abs() < 1e-15);
/// ```
pub fn van_rossum(a: &[f64], b: &[f64], tau: f64) -> f64 {
    let (mut i, mut j) = (0, 0);
    let mut c = 0.0f64; // f - g just after the last event
    let mut t_last = f64::NAN;
    let mut d2 = 0.0f64;
    while i < a.len() || j < b.len() {
        let (t, s) = if j >= b.len() || (i < a.len() && a[i] <= b[j]) {
            i += 1;
            (a[i - 1], 1.0)
        } else {
            j += 1;
            (b[j - 1], -1.0)
        };
        if !t_last.is_nan() {
            let dt = t - t_last;
            d2 += c * c * -(-2.0 * dt / tau).exp_m1();
            c *= (-dt / tau).exp();
        }
        c += s;
        t_last = t;
    }
    d2 += c * c;
    d2.max(0.0).sqrt()
}

// ---------------------------------------------------------------------------------------------
// Report

/// One run in the report.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    /// The directory.
    pub dir: String,
    /// Backend recorded in the run.
    pub backend: String,
    /// Timestep (ms); null when unknown.
    pub timestep_ms: Option<f64>,
    /// Duration (ms).
    pub duration_ms: f64,
    /// Where the data came from.
    pub source: DataSource,
}

/// Where the largest spike-time error is.
#[derive(Clone, Debug, Serialize)]
pub struct SpikeLocation {
    /// Population label.
    pub population: String,
    /// Cell index in the population.
    pub neuron: u32,
    /// Reference spike time (ms).
    pub reference_ms: f64,
    /// Candidate spike time (ms).
    pub candidate_ms: f64,
}

/// Spike statistics of a population or of all of them.
#[derive(Clone, Debug, Serialize)]
pub struct SpikeStats {
    /// Cells compared (recording spikes in both runs).
    pub cells: usize,
    /// Reference spikes.
    pub reference_spikes: u64,
    /// Candidate spikes.
    pub candidate_spikes: u64,
    /// Matched pairs.
    pub matched: u64,
    /// Reference spikes without a partner.
    pub missed: u64,
    /// Candidate spikes without a partner.
    pub extra: u64,
    /// Mean of `candidate - reference` over pairs (ms); null without pairs.
    pub mean_error_ms: Option<f64>,
    /// Mean of `|candidate - reference|` (ms).
    pub mean_abs_error_ms: Option<f64>,
    /// Largest `|candidate - reference|` (ms).
    pub max_abs_error_ms: Option<f64>,
    /// RMS of `candidate - reference` (ms).
    pub rms_error_ms: Option<f64>,
    /// Where the largest error is.
    pub worst: Option<SpikeLocation>,
    /// Mean over the compared cells of the van Rossum distance (tau = 10 ms); null without cells.
    pub van_rossum_mean: Option<f64>,
    /// Largest van Rossum distance of a cell.
    pub van_rossum_max: Option<f64>,
}

/// Where the largest error of a variable is.
#[derive(Clone, Debug, Serialize)]
pub struct SampleLocation {
    /// Population label.
    pub population: String,
    /// Cell index in the population.
    pub neuron: u32,
    /// Sample time (ms).
    pub time_ms: f64,
    /// Reference value.
    pub reference: f64,
    /// Candidate value.
    pub candidate: f64,
}

/// Errors of one recorded variable.
#[derive(Clone, Debug, Serialize)]
pub struct VarStats {
    /// Variable name (`v`, `isyn_exc`, `isyn_inh`).
    pub name: String,
    /// Unit.
    pub units: String,
    /// Cells compared.
    pub cells: usize,
    /// Sample times compared (per cell).
    pub times: usize,
    /// Largest `|candidate - reference|`; null without samples, NaN shown as null too.
    pub max_abs_error: Option<f64>,
    /// RMS of `candidate - reference`.
    pub rms_error: Option<f64>,
    /// Where the largest error is.
    pub worst: Option<SampleLocation>,
    /// True if a compared value is NaN in either run.
    pub has_nan: bool,
}

/// The comparison of one population.
#[derive(Clone, Debug, Serialize)]
pub struct PopulationReport {
    /// Label.
    pub label: String,
    /// Number of cells.
    pub size: usize,
    /// Spike statistics, if both runs record spikes of this population.
    pub spikes: Option<SpikeStats>,
    /// One entry per variable recorded in both runs.
    pub variables: Vec<VarStats>,
    /// What could not be compared, and why.
    pub notes: Vec<String>,
}

/// The outcome of `--fail-over`.
#[derive(Clone, Debug, Serialize)]
pub struct Gate {
    /// The threshold (ms).
    pub fail_over_ms: f64,
    /// Whether the comparison passed.
    pub passed: bool,
    /// Why it failed (empty if it passed).
    pub reasons: Vec<String>,
}

/// Everything `compare` found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The reference run.
    pub reference: RunInfo,
    /// The candidate run.
    pub candidate: RunInfo,
    /// Matching tolerance (ms).
    pub tolerance_ms: f64,
    /// Whether the tolerance was given (`--tolerance-ms`) or the default.
    pub tolerance_given: bool,
    /// The matching rule.
    pub matching: String,
    /// van Rossum time constant (ms).
    pub van_rossum_tau_ms: f64,
    /// Spikes are compared at times `<=` this (ms): the shorter duration.
    pub compared_until_ms: f64,
    /// Per population, in the reference's order.
    pub populations: Vec<PopulationReport>,
    /// Spike statistics over all compared populations.
    pub spikes: SpikeStats,
    /// Per variable, over all populations.
    pub variables: Vec<VarStats>,
    /// The gate, if `--fail-over` was given.
    pub gate: Option<Gate>,
}

#[derive(Clone, Debug, Default)]
struct SpikeAcc {
    cells: usize,
    nref: u64,
    ncand: u64,
    matched: u64,
    sum: f64,
    sum_abs: f64,
    sum_sq: f64,
    max_abs: f64,
    worst: Option<SpikeLocation>,
    vr_sum: f64,
    vr_max: f64,
}

impl SpikeAcc {
    fn add_cell(&mut self, pop: &str, neuron: u32, r: &[f64], c: &[f64], tol: f64) {
        self.cells += 1;
        self.nref += r.len() as u64;
        self.ncand += c.len() as u64;
        for (i, j) in match_spikes(r, c, tol) {
            let e = c[j] - r[i];
            self.matched += 1;
            self.sum += e;
            self.sum_abs += e.abs();
            self.sum_sq += e * e;
            if self.worst.is_none() || e.abs() > self.max_abs {
                self.max_abs = e.abs();
                self.worst = Some(SpikeLocation {
                    population: pop.to_string(),
                    neuron,
                    reference_ms: r[i],
                    candidate_ms: c[j],
                });
            }
        }
        let vr = van_rossum(r, c, VAN_ROSSUM_TAU_MS);
        self.vr_sum += vr;
        self.vr_max = self.vr_max.max(vr);
    }

    fn merge(&mut self, o: &SpikeAcc) {
        self.cells += o.cells;
        self.nref += o.nref;
        self.ncand += o.ncand;
        self.matched += o.matched;
        self.sum += o.sum;
        self.sum_abs += o.sum_abs;
        self.sum_sq += o.sum_sq;
        if o.worst.is_some() && (self.worst.is_none() || o.max_abs > self.max_abs) {
            self.max_abs = o.max_abs;
            self.worst = o.worst.clone();
        }
        self.vr_sum += o.vr_sum;
        self.vr_max = self.vr_max.max(o.vr_max);
    }

    fn stats(&self) -> SpikeStats {
        let m = self.matched as f64;
        let per_pair = |x: f64| (self.matched > 0).then_some(x / m);
        SpikeStats {
            cells: self.cells,
            reference_spikes: self.nref,
            candidate_spikes: self.ncand,
            matched: self.matched,
            missed: self.nref - self.matched,
            extra: self.ncand - self.matched,
            mean_error_ms: per_pair(self.sum),
            mean_abs_error_ms: per_pair(self.sum_abs),
            max_abs_error_ms: (self.matched > 0).then_some(self.max_abs),
            rms_error_ms: per_pair(self.sum_sq).map(f64::sqrt),
            worst: self.worst.clone(),
            van_rossum_mean: (self.cells > 0).then(|| self.vr_sum / self.cells as f64),
            van_rossum_max: (self.cells > 0).then_some(self.vr_max),
        }
    }
}

#[derive(Clone, Debug)]
struct VarAcc {
    name: String,
    units: String,
    cells: usize,
    times: usize,
    n: u64,
    sum_sq: f64,
    max_abs: f64,
    worst: Option<SampleLocation>,
    has_nan: bool,
}

impl VarAcc {
    fn new(name: &str, units: &str) -> Self {
        VarAcc {
            name: name.to_string(),
            units: units.to_string(),
            cells: 0,
            times: 0,
            n: 0,
            sum_sq: 0.0,
            max_abs: 0.0,
            worst: None,
            has_nan: false,
        }
    }

    fn merge(&mut self, o: &VarAcc) {
        self.cells += o.cells;
        self.times = self.times.max(o.times);
        self.n += o.n;
        self.sum_sq += o.sum_sq;
        self.has_nan |= o.has_nan;
        if o.worst.is_some() && (self.worst.is_none() || o.max_abs > self.max_abs) {
            self.max_abs = o.max_abs;
            self.worst = o.worst.clone();
        }
    }

    fn stats(&self) -> VarStats {
        let some = self.n > 0;
        VarStats {
            name: self.name.clone(),
            units: self.units.clone(),
            cells: self.cells,
            times: self.times,
            max_abs_error: (some && !self.has_nan).then_some(self.max_abs),
            rms_error: (some && !self.has_nan).then(|| (self.sum_sq / self.n as f64).sqrt()),
            worst: self.worst.clone(),
            has_nan: self.has_nan,
        }
    }
}

/// Index pairs of the sample times two sorted time lists share (equal to 1e-9 relative).
fn common_times(a: &[f64], b: &[f64]) -> Vec<(usize, usize)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let tol = SAME_TIME_REL * a[i].abs().max(b[j].abs()).max(1.0);
        if (a[i] - b[j]).abs() <= tol {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if a[i] < b[j] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn compare_signal(pop: &str, r: &AnalogSignal, c: &AnalogSignal) -> VarAcc {
    let mut acc = VarAcc::new(&r.name, &r.units);
    let times = common_times(&r.times_ms, &c.times_ms);
    acc.times = times.len();
    let cpos: HashMap<u32, usize> = c.neurons.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut rows: Vec<(u32, usize, usize)> = r
        .neurons
        .iter()
        .enumerate()
        .filter_map(|(i, n)| cpos.get(n).map(|&j| (*n, i, j)))
        .collect();
    rows.sort_unstable();
    for (n, ri, ci) in rows {
        let (Some(rv), Some(cv)) = (r.values.get(ri), c.values.get(ci)) else {
            continue;
        };
        acc.cells += 1;
        for &(ti, tj) in &times {
            let (Some(&x), Some(&y)) = (rv.get(ti), cv.get(tj)) else {
                continue;
            };
            let d = y - x;
            acc.n += 1;
            if d.is_nan() {
                acc.has_nan = true;
                continue;
            }
            acc.sum_sq += d * d;
            if acc.worst.is_none() || d.abs() > acc.max_abs {
                acc.max_abs = d.abs();
                acc.worst = Some(SampleLocation {
                    population: pop.to_string(),
                    neuron: n,
                    time_ms: r.times_ms[ti],
                    reference: x,
                    candidate: y,
                });
            }
        }
    }
    acc
}

fn run_info(run: &Run) -> RunInfo {
    RunInfo {
        dir: run.dir.display().to_string(),
        backend: run.data.backend.clone(),
        timestep_ms: run
            .data
            .timestep_ms
            .is_finite()
            .then_some(run.data.timestep_ms),
        duration_ms: run.data.duration_ms,
        source: run.source.clone(),
    }
}

/// Checks that two runs have the same populations (labels and sizes).
fn check_same_network(r: &DataBlock, c: &DataBlock) -> Result<(), CompareError> {
    let mut problems = Vec::new();
    for p in &r.populations {
        match c.population(&p.label) {
            None => problems.push(format!(
                "population \"{}\" is only in the reference",
                p.label
            )),
            Some(q) if q.size != p.size => problems.push(format!(
                "population \"{}\" has {} cells in the reference but {} in the candidate",
                p.label, p.size, q.size
            )),
            _ => {}
        }
    }
    for q in &c.populations {
        if r.population(&q.label).is_none() {
            problems.push(format!(
                "population \"{}\" is only in the candidate",
                q.label
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CompareError::Mismatch(problems.join("; ")))
    }
}

/// Compares two runs. `tolerance_ms` defaults to twice the larger timestep.
pub fn compare_runs(
    reference: &Run,
    candidate: &Run,
    tolerance_ms: Option<f64>,
) -> Result<Report, CompareError> {
    let (r, c) = (&reference.data, &candidate.data);
    check_same_network(r, c)?;
    let tolerance = match tolerance_ms {
        Some(t) if t.is_finite() && t >= 0.0 => t,
        Some(t) => {
            return Err(CompareError::BadOption(format!(
                "--tolerance-ms must be a finite number >= 0, got {t}"
            )))
        }
        None => {
            let h = [r.timestep_ms, c.timestep_ms]
                .into_iter()
                .filter(|x| x.is_finite() && *x > 0.0)
                .fold(f64::NAN, f64::max);
            if h.is_nan() {
                return Err(CompareError::BadOption(
                    "neither run says its timestep, so there is no default tolerance; give --tolerance-ms".into(),
                ));
            }
            2.0 * h
        }
    };
    let until = r.duration_ms.min(c.duration_ms);
    let mut populations = Vec::new();
    let mut all_spikes = SpikeAcc::default();
    let mut all_vars: Vec<VarAcc> = Vec::new();
    for rp in &r.populations {
        let cp = c.population(&rp.label).expect("checked");
        let mut notes = Vec::new();
        let spikes = match (rp.records_spikes, cp.records_spikes) {
            (true, true) => {
                let ctrains: HashMap<u32, &SpikeTrain> =
                    cp.spiketrains.iter().map(|t| (t.neuron, t)).collect();
                let mut cells: Vec<(&SpikeTrain, &SpikeTrain)> = rp
                    .spiketrains
                    .iter()
                    .filter_map(|t| ctrains.get(&t.neuron).map(|u| (t, *u)))
                    .collect();
                cells.sort_by_key(|(t, _)| t.neuron);
                let mut acc = SpikeAcc::default();
                let cut = |ts: &[f64]| -> Vec<f64> {
                    let mut v: Vec<f64> = ts.iter().copied().filter(|&t| t <= until).collect();
                    v.sort_by(f64::total_cmp);
                    v
                };
                for (rt, ct) in cells {
                    acc.add_cell(
                        &rp.label,
                        rt.neuron,
                        &cut(&rt.times_ms),
                        &cut(&ct.times_ms),
                        tolerance,
                    );
                }
                all_spikes.merge(&acc);
                Some(acc.stats())
            }
            (false, false) => None,
            (a, _) => {
                notes.push(format!(
                    "spikes are recorded only in the {}",
                    if a { "reference" } else { "candidate" }
                ));
                None
            }
        };
        let mut variables = Vec::new();
        for rs in &rp.signals {
            match cp.signal(&rs.name) {
                Some(cs) => {
                    let acc = compare_signal(&rp.label, rs, cs);
                    match all_vars.iter_mut().find(|v| v.name == acc.name) {
                        Some(v) => v.merge(&acc),
                        None => {
                            let mut v = VarAcc::new(&acc.name, &acc.units);
                            v.merge(&acc);
                            all_vars.push(v);
                        }
                    }
                    variables.push(acc.stats());
                }
                None => notes.push(format!("`{}` is recorded only in the reference", rs.name)),
            }
        }
        for cs in &cp.signals {
            if rp.signal(&cs.name).is_none() {
                notes.push(format!("`{}` is recorded only in the candidate", cs.name));
            }
        }
        populations.push(PopulationReport {
            label: rp.label.clone(),
            size: rp.size,
            spikes,
            variables,
            notes,
        });
    }
    Ok(Report {
        reference: run_info(reference),
        candidate: run_info(candidate),
        tolerance_ms: tolerance,
        tolerance_given: tolerance_ms.is_some(),
        matching:
            "optimal one-to-one per cell: most pairs within the tolerance, then least total |error|"
                .into(),
        van_rossum_tau_ms: VAN_ROSSUM_TAU_MS,
        compared_until_ms: until,
        populations,
        spikes: all_spikes.stats(),
        variables: all_vars.iter().map(VarAcc::stats).collect(),
        gate: None,
    })
}

/// Reads two results directories and compares them (see the module doc).
pub fn compare_dirs(
    reference: &Path,
    candidate: &Path,
    tolerance_ms: Option<f64>,
) -> Result<Report, CompareError> {
    let r = load_run(reference)?;
    let c = load_run(candidate)?;
    compare_runs(&r, &c, tolerance_ms)
}

/// A number for a text table (compare's and converge's): `-` for none, `NaN`, `0`, 4
/// significant digits within `1e-3 <= |x| < 1e5`, else scientific with 4 significant digits.
pub(crate) fn num(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(x) if x.is_nan() => "NaN".into(),
        Some(0.0) => "0".into(),
        Some(x) if (1e-3..1e5).contains(&x.abs()) => {
            let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
            format!("{x:.digits$}")
        }
        Some(x) => format!("{x:.3e}"),
    }
}

impl Report {
    /// Applies the `--fail-over` gate (module doc) and records it in the report; returns
    /// whether it passed.
    pub fn apply_gate(&mut self, fail_over_ms: f64) -> bool {
        let s = &self.spikes;
        let mut reasons = Vec::new();
        if s.missed > 0 {
            reasons.push(format!(
                "{} missed spike(s) (no candidate spike within {} ms)",
                s.missed, self.tolerance_ms
            ));
        }
        if s.extra > 0 {
            reasons.push(format!(
                "{} extra spike(s) (no reference spike within {} ms)",
                s.extra, self.tolerance_ms
            ));
        }
        if let Some(m) = s.max_abs_error_ms {
            if m.is_nan() || m > fail_over_ms {
                let w = s.worst.as_ref().expect("pairs exist");
                reasons.push(format!(
                    "largest spike-time error {m} ms > {fail_over_ms} ms (population \"{}\", neuron {}, reference {} ms, candidate {} ms)",
                    w.population, w.neuron, w.reference_ms, w.candidate_ms
                ));
            }
        }
        for v in &self.variables {
            if v.has_nan {
                reasons.push(format!("`{}` has NaN values", v.name));
            }
        }
        let passed = reasons.is_empty();
        self.gate = Some(Gate {
            fail_over_ms,
            passed,
            reasons,
        });
        passed
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// The report as a human-readable table.
    pub fn to_table(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let run = |w: &mut String, name: &str, r: &RunInfo| {
            let _ = writeln!(
                w,
                "{name}: {} (backend {}, timestep {} ms, {} ms, from {})",
                r.dir,
                r.backend,
                r.timestep_ms.map_or("?".to_string(), |x| x.to_string()),
                r.duration_ms,
                match r.source {
                    DataSource::DataBin => "data.bin",
                    DataSource::Csv => "CSV files",
                }
            );
        };
        run(&mut o, "reference", &self.reference);
        run(&mut o, "candidate", &self.candidate);
        let _ = writeln!(
            o,
            "spikes up to {} ms matched one-to-one per cell within {} ms ({}); optimal matching: most pairs, then least total |error|; errors are candidate - reference",
            self.compared_until_ms,
            self.tolerance_ms,
            if self.tolerance_given { "--tolerance-ms" } else { "default: 2 x the larger timestep" }
        );
        let _ = writeln!(
            o,
            "van Rossum distance D: tau = {} ms, one unmatched spike = 1; mean and max over cells\n",
            self.van_rossum_tau_ms
        );
        let w = self
            .populations
            .iter()
            .map(|p| p.label.chars().count())
            .max()
            .unwrap_or(0)
            .max(10);
        let _ = writeln!(
            o,
            "{:w$}  {:>6} {:>9} {:>9} {:>9} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}",
            "population",
            "cells",
            "ref",
            "cand",
            "matched",
            "missed",
            "extra",
            "mean ms",
            "mean|e| ms",
            "max|e| ms",
            "rms ms",
            "vR mean",
            "vR max"
        );
        let srow = |o: &mut String, label: &str, s: &SpikeStats| {
            let _ = writeln!(
                o,
                "{:w$}  {:>6} {:>9} {:>9} {:>9} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}",
                label,
                s.cells,
                s.reference_spikes,
                s.candidate_spikes,
                s.matched,
                s.missed,
                s.extra,
                num(s.mean_error_ms),
                num(s.mean_abs_error_ms),
                num(s.max_abs_error_ms),
                num(s.rms_error_ms),
                num(s.van_rossum_mean),
                num(s.van_rossum_max),
            );
        };
        for p in &self.populations {
            match &p.spikes {
                Some(s) => srow(&mut o, &p.label, s),
                None => {
                    let _ = writeln!(o, "{:w$}  (spikes not compared)", p.label);
                }
            }
        }
        srow(&mut o, "all", &self.spikes);
        if let Some(wst) = &self.spikes.worst {
            let _ = writeln!(
                o,
                "largest spike error: population \"{}\", neuron {}: reference {} ms, candidate {} ms",
                wst.population, wst.neuron, wst.reference_ms, wst.candidate_ms
            );
        }
        if !self.variables.is_empty() {
            let _ = writeln!(
                o,
                "\n{:8}  {:w$}  {:>6} {:>8} {:>11} {:>11} {:>4}  largest error at",
                "variable", "population", "cells", "times", "max|err|", "rms err", "unit"
            );
            let vrow = |o: &mut String, label: &str, v: &VarStats| {
                let at = v.worst.as_ref().map_or(String::new(), |x| {
                    format!(
                        "{} neuron {}, t = {} ms ({} vs {})",
                        x.population, x.neuron, x.time_ms, x.reference, x.candidate
                    )
                });
                let _ = writeln!(
                    o,
                    "{:8}  {:w$}  {:>6} {:>8} {:>11} {:>11} {:>4}  {}{}",
                    v.name,
                    label,
                    v.cells,
                    v.times,
                    num(v.max_abs_error),
                    num(v.rms_error),
                    v.units,
                    at,
                    if v.has_nan { " [NaN values]" } else { "" }
                );
            };
            for var in &self.variables {
                for p in &self.populations {
                    if let Some(v) = p.variables.iter().find(|v| v.name == var.name) {
                        vrow(&mut o, &p.label, v);
                    }
                }
                vrow(&mut o, "all", var);
            }
        }
        let notes: Vec<String> = self
            .populations
            .iter()
            .flat_map(|p| p.notes.iter().map(move |n| format!("{}: {n}", p.label)))
            .collect();
        if !notes.is_empty() {
            let _ = writeln!(o, "\nnot compared:");
            for n in notes {
                let _ = writeln!(o, "  {n}");
            }
        }
        if let Some(g) = &self.gate {
            if g.passed {
                let _ = writeln!(
                    o,
                    "\ngate --fail-over {} ms: passed (no missed or extra spike, every matched error <= {} ms)",
                    g.fail_over_ms, g.fail_over_ms
                );
            } else {
                let _ = writeln!(o, "\ngate --fail-over {} ms: FAILED", g.fail_over_ms);
                for r in &g.reasons {
                    let _ = writeln!(o, "  {r}");
                }
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all matchings of small trains: the best (pairs, -cost).
    fn brute(r: &[f64], c: &[f64], tol: f64) -> (usize, f64) {
        fn go(i: usize, r: &[f64], c: &[f64], used: &mut Vec<bool>, tol: f64) -> (usize, f64) {
            if i == r.len() {
                return (0, 0.0);
            }
            let mut best = go(i + 1, r, c, used, tol);
            for j in 0..c.len() {
                let e = (c[j] - r[i]).abs();
                if !used[j] && e <= tol {
                    used[j] = true;
                    let (n, s) = go(i + 1, r, c, used, tol);
                    used[j] = false;
                    let cand = (n + 1, s + e);
                    if cand.0 > best.0 || (cand.0 == best.0 && cand.1 < best.1 - 1e-12) {
                        best = cand;
                    }
                }
            }
            best
        }
        go(0, r, c, &mut vec![false; c.len()], tol)
    }

    #[test]
    fn matching_is_optimal_against_brute_force() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        for _ in 0..2000 {
            let n = rng.random_range(0..6);
            let m = rng.random_range(0..6);
            let mut r: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..5.0)).collect();
            let mut c: Vec<f64> = (0..m).map(|_| rng.random_range(0.0..5.0)).collect();
            r.sort_by(f64::total_cmp);
            c.sort_by(f64::total_cmp);
            let tol = rng.random_range(0.1..2.0);
            let pairs = match_spikes(&r, &c, tol);
            let cost: f64 = pairs.iter().map(|&(i, j)| (c[j] - r[i]).abs()).sum();
            let (bn, bc) = brute(&r, &c, tol);
            assert_eq!(pairs.len(), bn, "{r:?} {c:?} {tol}");
            assert!(
                (cost - bc).abs() < 1e-9,
                "{r:?} {c:?} {tol}: {cost} vs {bc}"
            );
            // one-to-one, increasing, within tolerance
            for w in pairs.windows(2) {
                assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1);
            }
            assert!(pairs.iter().all(|&(i, j)| (c[j] - r[i]).abs() <= tol));
        }
    }

    #[test]
    fn matching_edge_cases() {
        assert!(match_spikes(&[], &[1.0], 1.0).is_empty());
        assert!(match_spikes(&[1.0], &[], 1.0).is_empty());
        assert_eq!(match_spikes(&[1.0], &[2.0], 1.0), vec![(0, 0)]); // boundary included
        assert!(match_spikes(&[1.0], &[2.0 + 1e-12], 1.0).is_empty());
        // least total error among maximal matchings
        assert_eq!(match_spikes(&[1.0], &[0.5, 1.1], 1.0), vec![(0, 1)]);
        let t: Vec<f64> = (0..1000).map(|k| k as f64 * 0.7).collect();
        let u: Vec<f64> = t.iter().map(|x| x + 0.05).collect();
        let p = match_spikes(&t, &u, 0.2);
        assert_eq!(p.len(), 1000);
        assert!(p.iter().all(|&(i, j)| i == j));
    }

    #[test]
    fn van_rossum_closed_forms() {
        let tau = 10.0;
        assert_eq!(van_rossum(&[], &[], tau), 0.0);
        assert_eq!(van_rossum(&[1.0, 5.0, 9.0], &[1.0, 5.0, 9.0], tau), 0.0);
        assert_eq!(van_rossum(&[3.0], &[], tau), 1.0);
        assert_eq!(van_rossum(&[], &[3.0], tau), 1.0);
        // symmetric
        let a = [1.0, 4.0, 4.5];
        let b = [1.2, 7.0];
        assert!((van_rossum(&a, &b, tau) - van_rossum(&b, &a, tau)).abs() < 1e-14);
        // against the double sum D^2 = sum e^{-|ai-aj|/tau} + sum e^{-|bi-bj|/tau} - 2 sum e^{-|ai-bj|/tau}
        let s = |x: &[f64], y: &[f64]| -> f64 {
            x.iter()
                .flat_map(|p| y.iter().map(move |q| (-(p - q).abs() / tau).exp()))
                .sum()
        };
        let d2 = s(&a, &a) + s(&b, &b) - 2.0 * s(&a, &b);
        assert!((van_rossum(&a, &b, tau).powi(2) - d2).abs() < 1e-12);
        // two spikes far apart: D^2 -> 2
        assert!((van_rossum(&[0.0], &[1e4], tau).powi(2) - 2.0).abs() < 1e-12);
        // tiny shifts are resolved without cancellation
        let d = (1.0 + 1e-9) - 1.0; // the shift as represented
        let exact = (2.0 * -(-d / tau).exp_m1()).sqrt();
        assert!((van_rossum(&[1.0], &[1.0 + d], tau) - exact).abs() < 1e-9 * exact);
    }

    #[test]
    fn csv_rows_handle_quotes_and_name_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        let head = ["population", "neuron", "time_ms"];
        std::fs::write(
            &path,
            "population,neuron,time_ms\na,1,2.5\n\"b,\"\"x\"\"\n\",1,0.1\n",
        )
        .unwrap();
        let rows = csv_rows(&path, &head).unwrap();
        assert_eq!(rows[0], (2, vec!["a".into(), "1".into(), "2.5".into()]));
        assert_eq!(
            rows[1],
            (3, vec!["b,\"x\"\n".into(), "1".into(), "0.1".into()])
        );
        std::fs::write(&path, "population,neuron,time_ms\na,1\n").unwrap();
        let err = csv_rows(&path, &head).unwrap_err().to_string();
        assert!(err.contains("line 2: 2 fields, expected 3"), "{err}");
        std::fs::write(&path, "population,time_ms\n").unwrap();
        let err = csv_rows(&path, &head).unwrap_err().to_string();
        assert!(err.contains("header is `population,time_ms`"), "{err}");
    }

    #[test]
    fn common_times_merge() {
        let a: Vec<f64> = (0..=10).map(|k| k as f64 * 0.1).collect();
        let b: Vec<f64> = (0..=40).map(|k| k as f64 * 0.025).collect();
        let c = common_times(&a, &b);
        assert_eq!(c.len(), 11);
        assert!(c.iter().all(|&(i, j)| j == 4 * i));
    }

    #[test]
    fn numbers_in_the_table() {
        assert_eq!(num(None), "-");
        assert_eq!(num(Some(0.0)), "0");
        assert_eq!(num(Some(0.05)), "0.05000");
        assert_eq!(num(Some(12.5)), "12.50");
        assert_eq!(num(Some(1e-12)), "1.000e-12");
    }
}
