//! The results directory (SPEC §4): `spikes.csv`, one `<var>.csv` per recorded state variable,
//! `summary.json` and `data.bin` (the whole [`DataBlock`] in bincode). The figures of the
//! directory are drawn by the `plot` module, not here.
//!
//! Every file is written atomically: streamed through a buffer into a temporary file in the
//! same directory, then renamed over its final name, so an interrupted run never leaves a
//! half-written file. Numbers are written with Rust's `{:?}` for `f64` (the shortest text that
//! parses back to the same value, e.g. `-65.0`, `0.30000000000000004`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::io::atomic::StagedDir;
use crate::io::atomic::{self, AtomicError};
use crate::recording::{DataBlock, EventCounts, PopulationData};

/// Name of the spike file.
pub const SPIKES_FILE: &str = "spikes.csv";
/// Name of the summary file.
pub const SUMMARY_FILE: &str = "summary.json";
/// Name of the binary file holding the whole [`DataBlock`].
pub const DATA_FILE: &str = "data.bin";

/// The state variables in the order their files are written; others follow in order of first
/// appearance.
const KNOWN_VARS: [&str; 3] = ["v", "isyn_exc", "isyn_inh"];

/// Why the results directory could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or directory could not be created, written, renamed or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The directory has no `data.bin`, so it is not a results directory.
    #[error("{} is not a results directory: {} is missing", dir.display(), missing.display())]
    NotAResultsDirectory {
        /// The directory given.
        dir: PathBuf,
        /// The file that should be there.
        missing: PathBuf,
    },
    /// The data block could not be encoded.
    #[error("{}: cannot encode the data: {source}", path.display())]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// The encoder's error.
        source: bincode::error::EncodeError,
    },
    /// The data file does not start with exactlif's magic and a format version this build
    /// reads.
    #[error("{}: {reason}", path.display())]
    NotADataFile {
        /// The file being read.
        path: PathBuf,
        /// What is wrong, in words.
        reason: String,
    },
    /// The data file exists but does not decode to a data block (corrupt, or another format).
    #[error(
        "{}: not a data file this version of exactlif can read (corrupt, truncated or of \
         another format): {}",
        path.display(),
        decode_reason(source)
    )]
    Decode {
        /// The file being read.
        path: PathBuf,
        /// The decoder's error.
        source: bincode::error::DecodeError,
    },
    /// The summary could not be serialized.
    #[error("{}: cannot write the summary: {source}", path.display())]
    Json {
        /// The file being written.
        path: PathBuf,
        /// The serializer's error.
        source: serde_json::Error,
    },
    /// The data hold a NaN or infinite value, which no results file may hold. On the exact
    /// and grid backends a valid model never gives one (an internal error, or a signal
    /// recorded over only part of a run); forward Euler diverges where the timestep is more
    /// than twice a time constant. Nothing was written.
    #[error(
        "{}: {cause}: {what} is {value}; a results file never holds a NaN or infinite value, \
         so nothing was written",
        dir.display()
    )]
    NotFinite {
        /// The results directory.
        dir: PathBuf,
        /// Which value: population, cell, variable and time.
        what: String,
        /// The value (`NaN`, `inf` or `-inf`).
        value: f64,
        /// "internal error", or on the euler backend what diverged.
        cause: &'static str,
    },
}

impl From<AtomicError> for OutputError {
    fn from(e: AtomicError) -> Self {
        OutputError::Io {
            path: e.path,
            source: e.source,
        }
    }
}

/// Writes `dir/name` atomically ([`atomic::write_with`]): `fill` streams the content, and is
/// given the final path for its errors.
fn write_atomic<F>(dir: &Path, name: &str, fill: F) -> Result<PathBuf, OutputError>
where
    F: FnOnce(&mut BufWriter<&File>, &Path) -> Result<(), OutputError>,
{
    let path = dir.join(name);
    atomic::write_with(&path, |w| fill(w, &path))
}

/// Writes the data files of the results directory of SPEC §4 into `dir` (created if needed):
/// `spikes.csv`, a `<var>.csv` per state variable recorded by any population, `summary.json`
/// and `data.bin`. Returns the paths written. The figures are drawn by `plot::plot_block`.
///
/// Every number is checked first: a NaN or infinite value (a spike time, a sample, a time of
/// the grid, the duration) is [`OutputError::NotFinite`], and nothing is written. The
/// validity domain of the model keeps every value of an exact or grid run finite; forward
/// Euler can diverge; a signal recorded over only part of a run (PyNN's `record()` between
/// runs) has NaN samples, and is not written to files.
pub fn write_results(dir: &Path, block: &DataBlock) -> Result<Vec<PathBuf>, OutputError> {
    write_results_with(dir, block, &RunInfo::default())
}

/// How a run was spread over processes and threads, for `summary.json` (SPEC §7).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunInfo {
    /// Processes (MPI ranks) that ran the simulation.
    pub processes: usize,
    /// Threads each process ran the exact engine's windows on.
    pub threads: usize,
    /// With several processes, the ranks' load imbalance (`exactlif::RankBalance`).
    pub rank_imbalance: Option<f64>,
    /// With several processes, the min_delay windows whose spikes they exchanged.
    pub rank_windows: Option<u64>,
}

impl Default for RunInfo {
    /// One process on one thread.
    fn default() -> Self {
        RunInfo {
            processes: 1,
            threads: 1,
            rank_imbalance: None,
            rank_windows: None,
        }
    }
}

/// [`write_results`], with `summary.json` saying how the run was spread ([`RunInfo`]).
pub fn write_results_with(
    dir: &Path,
    block: &DataBlock,
    run: &RunInfo,
) -> Result<Vec<PathBuf>, OutputError> {
    if let Some((what, value)) = first_non_finite(block) {
        return Err(OutputError::NotFinite {
            dir: dir.to_path_buf(),
            what,
            value,
            cause: if block.backend == "euler" {
                "forward Euler diverged (the euler backend is unstable where the timestep is \
                 more than twice a time constant)"
            } else {
                "internal error"
            },
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    written.push(write_atomic(dir, SPIKES_FILE, |w, path| {
        write_spikes(w, block).map_err(|source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        })
    })?);
    for var in recorded_vars(block) {
        let name = format!("{var}.csv");
        written.push(write_atomic(dir, &name, |w, path| {
            write_signal(w, block, &var).map_err(|source| OutputError::Io {
                path: path.to_path_buf(),
                source,
            })
        })?);
    }
    written.push(write_atomic(dir, SUMMARY_FILE, |w, path| {
        serde_json::to_writer_pretty(&mut *w, &Summary::of(block, run)).map_err(|source| {
            OutputError::Json {
                path: path.to_path_buf(),
                source,
            }
        })?;
        w.write_all(b"\n").map_err(|source| OutputError::Io {
            path: path.to_path_buf(),
            source,
        })
    })?);
    written.push(write_atomic(dir, DATA_FILE, |w, path| {
        w.write_all(&DATA_MAGIC)
            .and_then(|_| w.write_all(&DATA_FORMAT_VERSION.to_le_bytes()))
            .map_err(|source| OutputError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        // Then the same bytes as `bincode::serde::encode_to_vec`, streamed instead of built in
        // memory.
        bincode::serde::encode_into_std_write(block, w, bincode::config::standard())
            .map(|_| ())
            .map_err(|source| OutputError::Encode {
                path: path.to_path_buf(),
                source,
            })
    })?);
    Ok(written)
}

/// The first NaN or infinite number of `block` that a results file would hold, and where it
/// is: the run's numbers, then every population's spike times, then its signals (sample
/// times, then values cell by cell).
fn first_non_finite(block: &DataBlock) -> Option<(String, f64)> {
    for (name, x) in [
        ("duration_ms", block.duration_ms),
        ("timestep_ms", block.timestep_ms),
        ("wall_time_s", block.wall_time_s),
        ("build_time_s", block.build_time_s),
    ] {
        if !x.is_finite() {
            return Some((format!("the run's {name}"), x));
        }
    }
    for pop in &block.populations {
        for train in &pop.spiketrains {
            if let Some(&t) = train.times_ms.iter().find(|t| !t.is_finite()) {
                return Some((
                    format!(
                        "a spike time of population \"{}\", cell {}",
                        pop.label, train.neuron
                    ),
                    t,
                ));
            }
        }
        for sig in &pop.signals {
            if let Some(&t) = sig.times_ms.iter().find(|t| !t.is_finite()) {
                return Some((
                    format!(
                        "a sample time of {} of population \"{}\"",
                        sig.name, pop.label
                    ),
                    t,
                ));
            }
            for (i, values) in sig.values.iter().enumerate() {
                if let Some(k) = values.iter().position(|x| !x.is_finite()) {
                    let cell = sig.neurons.get(i).map_or(i as u32, |&n| n);
                    let t = sig.times_ms.get(k).copied().unwrap_or(f64::NAN);
                    return Some((
                        format!(
                            "{} of population \"{}\", cell {cell}, at t = {} ms",
                            sig.name,
                            pop.label,
                            crate::io::text::number(t)
                        ),
                        values[k],
                    ));
                }
            }
        }
    }
    None
}

/// Whether a file of an existing results directory may be replaced by a new run: the files
/// `exactlif run` and `plot` write (`*.csv`, `*.png`, `summary.json`, `data.bin`).
pub fn is_results_file(name: &str) -> bool {
    name == SUMMARY_FILE || name == DATA_FILE || name.ends_with(".csv") || name.ends_with(".png")
}

/// Prepares to write the results directory `dir` as a whole ([`StagedDir`]): checks before
/// any work that `dir` can be written and holds nothing but results, which the new ones
/// replace entirely once written.
pub fn stage_results(dir: &Path) -> Result<StagedDir, OutputError> {
    StagedDir::new(dir, is_results_file).map_err(|e| OutputError::Io {
        path: e.path,
        source: e.source,
    })
}

/// The first 8 bytes of every `data.bin`.
pub const DATA_MAGIC: [u8; 8] = *b"EXLIFDAT";
/// The format version after the magic (u32, little-endian): the bincode (standard
/// configuration) encoding of [`DataBlock`] as this version defines it. A change of
/// `DataBlock` that changes its encoding takes the next version.
pub const DATA_FORMAT_VERSION: u32 = 1;

/// Reads back the [`DataBlock`] stored in `dir/data.bin`: its magic and format version first
/// ([`DATA_MAGIC`], [`DATA_FORMAT_VERSION`]), then the block, decoded with a size limit.
pub fn read_data_bin(dir: &Path) -> Result<DataBlock, OutputError> {
    let path = dir.join(DATA_FILE);
    let file = File::open(&path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            OutputError::NotAResultsDirectory {
                dir: dir.to_path_buf(),
                missing: path.clone(),
            }
        } else {
            OutputError::Io {
                path: path.clone(),
                source,
            }
        }
    })?;
    // A valid file never claims more bytes than it holds, so the decoder may claim (for
    // strings and sequences, before allocating them) at most twice the file's length, rounded
    // up to a power of 2: a crafted length prefix is an error, not a huge allocation. The
    // limit is a type parameter of bincode's configuration, hence the few fixed tiers.
    let len = file
        .metadata()
        .map_err(|source| OutputError::Io {
            path: path.clone(),
            source,
        })?
        .len();
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut head = [0u8; 12];
    let not_data = |reason: String| OutputError::NotADataFile {
        path: path.clone(),
        reason,
    };
    if len < head.len() as u64 || reader.read_exact(&mut head).is_err() || head[..8] != DATA_MAGIC {
        return Err(not_data(
            "not an exactlif data file (it does not start with exactlif's data.bin magic; an \
             exactlif older than format version 1 wrote none): run the model again"
                .into(),
        ));
    }
    let version = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    if version != DATA_FORMAT_VERSION {
        return Err(not_data(format!(
            "data format version {version}, but this exactlif reads version \
             {DATA_FORMAT_VERSION}: read it with the exactlif that wrote it, or run the model \
             again"
        )));
    }
    let decoded = if len <= 0x100_0000 {
        decode_limited::<0x200_0000>(&mut reader) // files up to 16 MiB
    } else if len <= 0x4000_0000 {
        decode_limited::<0x8000_0000>(&mut reader) // up to 1 GiB
    } else if len <= 0x4_0000_0000 {
        decode_limited::<0x8_0000_0000>(&mut reader) // up to 16 GiB
    } else {
        decode_limited::<0x100_0000_0000>(&mut reader)
    };
    decoded.map_err(|source| OutputError::Decode { path, source })
}

/// A decoding error in words (bincode's own text is its `Debug` form).
fn decode_reason(e: &bincode::error::DecodeError) -> String {
    use bincode::error::DecodeError as E;
    match e {
        E::UnexpectedEnd { .. } => "it ends too early".into(),
        E::LimitExceeded => "a length in it is larger than the file".into(),
        E::Utf8 { .. } => "a label in it is not UTF-8 text".into(),
        E::Io { inner, .. } => format!("reading it failed: {inner}"),
        other => format!("{other:?}"),
    }
}

/// A data block decoded from `reader`, the decoder claiming at most `LIMIT` bytes.
fn decode_limited<const LIMIT: usize>(
    reader: &mut BufReader<File>,
) -> Result<DataBlock, bincode::error::DecodeError> {
    let config = bincode::config::standard().with_limit::<LIMIT>();
    bincode::serde::decode_from_std_read(reader, config)
}

/// The state variables recorded by any population: `v`, `isyn_exc`, `isyn_inh` first, then
/// any others in order of first appearance.
fn recorded_vars(block: &DataBlock) -> Vec<String> {
    let mut vars: Vec<String> = Vec::new();
    let present = |name: &str| {
        block
            .populations
            .iter()
            .any(|p| p.signals.iter().any(|s| s.name == name))
    };
    for known in KNOWN_VARS {
        if present(known) {
            vars.push(known.to_string());
        }
    }
    for pop in &block.populations {
        for sig in &pop.signals {
            if !vars.contains(&sig.name) {
                vars.push(sig.name.clone());
            }
        }
    }
    vars
}

/// A CSV writer over `w`: comma-separated, `\n`-terminated, fields quoted (inner quotes
/// doubled) only when they hold a comma, a quote or a line break.
fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(w)
}

/// Writes `x` exactly as `format!("{x:?}")` would, faster.
///
/// Both the standard library and `zmij` (already a dependency of `serde_json`) print the
/// shortest digits that read back to `x`, the closest to `x` when several are that short, in
/// plain decimal form for `1e-4 <= |x| < 1e16`. They differ only (a) outside that range, where
/// the standard library switches to exponent form (`1e-5`, `1e16`), and (b) on exact ties, when
/// `x` lies exactly halfway between the two closest shortest candidates: the standard library
/// then rounds up (`65.00003051757813` for 65 + 2^-15), `zmij` to even (`...812`). A tie needs
/// the exact decimal expansion of `x` to end in that halfway `5`, within 18 significant digits.
/// If `x` has `f > 0` fractional bits its expansion has exactly `f` fractional digits, hence at
/// least `f - 3` significant ones when `|x| >= 1e-4`; and an integer below 1e14 is its own
/// shortest form (its spacing is below 1/64). So `zmij` is used for integers and for values with
/// more than 21 fractional bits within `1e-4 <= |x| < 1e14`, and `{:?}` itself for the rest.
struct F64Text {
    fast: zmij::Buffer,
    slow: String,
}

impl F64Text {
    fn new() -> Self {
        F64Text {
            fast: zmij::Buffer::new(),
            slow: String::new(),
        }
    }

    /// Whether `zmij` prints the same text as `{:?}` for `x` (see the type's documentation).
    fn fast_path_agrees(x: f64) -> bool {
        if !(1e-4..1e14).contains(&x.abs()) {
            return false;
        }
        // In this range x is normal: x = m * 2^e with the implicit bit in m.
        let bits = x.to_bits();
        let m = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
        let e = ((bits >> 52) & 0x7ff) as i32 - 1075;
        let fractional_bits = -(e + m.trailing_zeros() as i32);
        fractional_bits <= 0 || fractional_bits > 21
    }

    /// The text of `x`, as `format!("{x:?}")` gives it.
    fn format(&mut self, x: f64) -> &str {
        if Self::fast_path_agrees(x) {
            self.fast.format_finite(x)
        } else {
            self.slow.clear();
            let _ = write!(self.slow, "{x:?}");
            &self.slow
        }
    }
}

/// Writes `spikes.csv`: every spike of every population that records spikes, sorted by time,
/// then population order, then neuron.
fn write_spikes<W: io::Write>(w: W, block: &DataBlock) -> io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(["population", "neuron", "time_ms"])?;
    let mut spikes: Vec<(f64, usize, u32)> = Vec::new();
    for (p, pop) in block.populations.iter().enumerate() {
        if !pop.records_spikes {
            continue;
        }
        for train in &pop.spiketrains {
            spikes.extend(train.times_ms.iter().map(|&t| (t, p, train.neuron)));
        }
    }
    spikes.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut f64_text = F64Text::new();
    let mut neuron_text = String::new();
    for (t, p, neuron) in spikes {
        neuron_text.clear();
        let _ = write!(neuron_text, "{neuron}");
        csv.write_record([
            block.populations[p].label.as_bytes(),
            neuron_text.as_bytes(),
            f64_text.format(t).as_bytes(),
        ])?;
    }
    csv.flush()
}

/// Writes `<var>.csv`: the samples of `var` of every population recording it, sorted by
/// population order, neuron, time.
fn write_signal<W: io::Write>(w: W, block: &DataBlock, var: &str) -> io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(["population", "neuron", "time_ms", var])?;
    for pop in &block.populations {
        let Some(sig) = pop.signal(var) else {
            continue;
        };
        // Sample times are the same for every cell: format them once.
        let times: Vec<String> = sig.times_ms.iter().map(|t| format!("{t:?}")).collect();
        let mut f64_text = F64Text::new();
        let rows = sig.neurons.len().min(sig.values.len());
        let mut order: Vec<usize> = (0..rows).collect();
        order.sort_by_key(|&i| sig.neurons[i]);
        for i in order {
            let neuron = sig.neurons[i].to_string();
            for (t, &v) in times.iter().zip(&sig.values[i]) {
                csv.write_record([
                    pop.label.as_bytes(),
                    neuron.as_bytes(),
                    t.as_bytes(),
                    f64_text.format(v).as_bytes(),
                ])?;
            }
        }
    }
    csv.flush()
}

/// The content of `summary.json`.
#[derive(Serialize)]
struct Summary<'a> {
    backend: &'a str,
    seed: u64,
    duration_ms: f64,
    timestep_ms: f64,
    wall_time_s: f64,
    build_time_s: f64,
    processes: usize,
    threads: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    rank_imbalance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rank_windows: Option<u64>,
    populations: Vec<PopulationSummary<'a>>,
    events: EventCounts,
}

/// One population in `summary.json`.
#[derive(Serialize)]
struct PopulationSummary<'a> {
    label: &'a str,
    size: usize,
    cell_type: &'a str,
    spikes: u64,
    mean_rate_hz: f64,
    records_spikes: bool,
    recorded_variables: Vec<&'a str>,
}

impl<'a> Summary<'a> {
    fn of(block: &'a DataBlock, run: &RunInfo) -> Self {
        Summary {
            backend: &block.backend,
            seed: block.seed,
            duration_ms: block.duration_ms,
            timestep_ms: block.timestep_ms,
            wall_time_s: block.wall_time_s,
            build_time_s: block.build_time_s,
            processes: run.processes,
            threads: run.threads,
            rank_imbalance: run.rank_imbalance,
            rank_windows: run.rank_windows,
            populations: block
                .populations
                .iter()
                .map(|p| PopulationSummary::of(p, block.duration_ms))
                .collect(),
            events: block.events,
        }
    }
}

impl<'a> PopulationSummary<'a> {
    fn of(pop: &'a PopulationData, duration_ms: f64) -> Self {
        PopulationSummary {
            label: &pop.label,
            size: pop.size,
            cell_type: &pop.cell_type,
            spikes: pop.spike_count,
            mean_rate_hz: pop.mean_rate_hz(duration_ms),
            records_spikes: pop.records_spikes,
            recorded_variables: pop.signals.iter().map(|s| s.name.as_str()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::{AnalogSignal, SpikeTrain};

    fn signal(name: &str, units: &str, neurons: Vec<u32>, values: Vec<Vec<f64>>) -> AnalogSignal {
        let n = values.first().map_or(0, Vec::len);
        AnalogSignal {
            name: name.into(),
            units: units.into(),
            sampling_period_ms: 0.1,
            times_ms: (0..n).map(|k| k as f64 * 0.1).collect(),
            neurons,
            values,
        }
    }

    fn pop(label: &str, size: usize) -> PopulationData {
        PopulationData {
            label: label.into(),
            size,
            cell_type: "IF_curr_exp".into(),
            spike_count: 0,
            records_spikes: false,
            spiketrains: vec![],
            signals: vec![],
        }
    }

    /// Two recorded populations and one that records nothing.
    fn tiny() -> DataBlock {
        let mut a = pop("a", 3);
        a.records_spikes = true;
        a.spike_count = 4;
        a.spiketrains = vec![
            SpikeTrain {
                neuron: 0,
                times_ms: vec![0.2, 1.0],
            },
            SpikeTrain {
                neuron: 2,
                times_ms: vec![0.2],
            },
            SpikeTrain {
                neuron: 1,
                times_ms: vec![0.30000000000000004],
            },
        ];
        // Neurons deliberately listed out of order, to check the sort.
        a.signals = vec![signal(
            "v",
            "mV",
            vec![2, 0],
            vec![vec![-65.0, -64.5, -60.25], vec![-70.0, -65.0, 1e-7]],
        )];
        let mut b = pop("b", 2);
        b.cell_type = "SpikeSourceArray".into();
        b.records_spikes = true;
        b.spike_count = 2;
        b.spiketrains = vec![
            SpikeTrain {
                neuron: 0,
                times_ms: vec![0.2],
            },
            SpikeTrain {
                neuron: 1,
                times_ms: vec![0.1],
            },
        ];
        let mut c = pop("c", 1);
        c.signals = vec![
            signal("v", "mV", vec![0], vec![vec![-65.0, -65.0, -65.0]]),
            signal("isyn_exc", "nA", vec![0], vec![vec![0.0, 0.5, 0.25]]),
        ];
        DataBlock {
            backend: "exact".into(),
            seed: 42,
            timestep_ms: 0.1,
            duration_ms: 0.2,
            populations: vec![a, b, c, pop("d", 5)],
            events: EventCounts {
                synaptic_inputs: 7,
                spikes: 6,
                predictions: 9,
                solver_cap_hits: 0,
            },
            wall_time_s: 0.5,
            build_time_s: 0.25,
        }
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn fast_float_text_is_debug_text() {
        let mut f = F64Text::new();
        let mut check = |x: f64| {
            assert_eq!(f.format(x), format!("{x:?}"), "{x:e}");
        };
        for x in [
            0.0,
            -0.0,
            -65.0,
            1e-4,
            -1e-4,
            9.999999999999999e-5,
            1e-5,
            1e14,
            99999999999999.98,
            1e16,
            0.30000000000000004,
            804018944501901.0 + 0.25,
            29134292009810.0 + 0.3125,
            65.0 + 1.0 / 32768.0,
            -64.5,
            0.1,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
        ] {
            check(x);
        }
        // Every decade in and around the fast range, with awkward mantissas.
        for e in -8..18 {
            for m in [
                1.0,
                1.5,
                2.0 / 3.0,
                9.999,
                std::f64::consts::PI,
                7.000000000000001,
            ] {
                let x = m * 10f64.powi(e);
                check(x);
                check(-x);
                check(f64::from_bits(x.to_bits() + 1));
            }
        }
        // Pseudo-random doubles of every magnitude the recorder produces.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let decade = (state % 22) as i32 - 6;
            check((unit - 0.5) * 10f64.powi(decade));
        }
    }

    #[test]
    fn csv_files_have_exact_text() {
        let dir = tempfile::tempdir().unwrap();
        let block = tiny();
        let written = write_results(dir.path(), &block).unwrap();
        let names: Vec<_> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "spikes.csv",
                "v.csv",
                "isyn_exc.csv",
                "summary.json",
                "data.bin"
            ]
        );
        // By time, then population order, then neuron.
        assert_eq!(
            read(&dir.path().join("spikes.csv")),
            "population,neuron,time_ms\n\
             b,1,0.1\n\
             a,0,0.2\n\
             a,2,0.2\n\
             b,0,0.2\n\
             a,1,0.30000000000000004\n\
             a,0,1.0\n"
        );
        // By population order, neuron, time; `{:?}` formatting.
        assert_eq!(
            read(&dir.path().join("v.csv")),
            "population,neuron,time_ms,v\n\
             a,0,0.0,-70.0\n\
             a,0,0.1,-65.0\n\
             a,0,0.2,1e-7\n\
             a,2,0.0,-65.0\n\
             a,2,0.1,-64.5\n\
             a,2,0.2,-60.25\n\
             c,0,0.0,-65.0\n\
             c,0,0.1,-65.0\n\
             c,0,0.2,-65.0\n"
        );
        assert_eq!(
            read(&dir.path().join("isyn_exc.csv")),
            "population,neuron,time_ms,isyn_exc\n\
             c,0,0.0,0.0\n\
             c,0,0.1,0.5\n\
             c,0,0.2,0.25\n"
        );
        assert!(!dir.path().join("isyn_inh.csv").exists());
    }

    #[test]
    fn files_without_rows_keep_their_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut block = tiny();
        for p in &mut block.populations {
            for t in &mut p.spiketrains {
                t.times_ms.clear();
            }
            for s in &mut p.signals {
                s.neurons.clear();
                s.values.clear();
            }
        }
        write_results(dir.path(), &block).unwrap();
        assert_eq!(
            read(&dir.path().join("spikes.csv")),
            "population,neuron,time_ms\n"
        );
        assert_eq!(
            read(&dir.path().join("v.csv")),
            "population,neuron,time_ms,v\n"
        );
    }

    #[test]
    fn labels_with_commas_are_quoted() {
        let mut block = tiny();
        block.populations[1].label = "b,\"x\"".into();
        let mut out = Vec::new();
        write_spikes(&mut out, &block).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\n\"b,\"\"x\"\"\",1,0.1\n"), "{text}");
    }

    #[test]
    fn summary_has_the_documented_keys() {
        let dir = tempfile::tempdir().unwrap();
        write_results(dir.path(), &tiny()).unwrap();
        let s: serde_json::Value =
            serde_json::from_str(&read(&dir.path().join("summary.json"))).unwrap();
        assert_eq!(s["backend"], "exact");
        assert_eq!(s["seed"], 42);
        assert_eq!(s["duration_ms"], 0.2);
        assert_eq!(s["timestep_ms"], 0.1);
        assert_eq!(s["wall_time_s"], 0.5);
        assert_eq!(s["build_time_s"], 0.25);
        assert_eq!(s["events"]["synaptic_inputs"], 7);
        assert_eq!(s["events"]["spikes"], 6);
        assert_eq!(s["events"]["predictions"], 9);
        assert_eq!(s["events"]["solver_cap_hits"], 0);
        let a = &s["populations"][0];
        assert_eq!(a["label"], "a");
        assert_eq!(a["size"], 3);
        assert_eq!(a["cell_type"], "IF_curr_exp");
        assert_eq!(a["spikes"], 4);
        // 4 spikes / 3 cells / 0.2 ms.
        let rate = a["mean_rate_hz"].as_f64().unwrap();
        assert!((rate - 4.0 / 3.0 / 0.0002).abs() < 1e-6, "{rate}");
        assert_eq!(s["populations"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn data_bin_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut block = tiny();
        block.populations[0].signals[0].values[0][1] = 0.1 + 0.2;
        write_results(dir.path(), &block).unwrap();
        assert_eq!(read_data_bin(dir.path()).unwrap(), block);
        // The magic, the version, then the same bytes as `encode_to_vec`.
        let bytes = std::fs::read(dir.path().join(DATA_FILE)).unwrap();
        assert_eq!(&bytes[..8], b"EXLIFDAT");
        assert_eq!(bytes[8..12], 1u32.to_le_bytes());
        assert_eq!(
            bytes[12..],
            bincode::serde::encode_to_vec(&block, bincode::config::standard()).unwrap()
        );
    }

    #[test]
    fn reading_a_directory_without_data_names_the_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_data_bin(dir.path()).unwrap_err();
        assert!(matches!(err, OutputError::NotAResultsDirectory { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("data.bin") && msg.contains("not a results directory"),
            "{msg}"
        );
        std::fs::write(dir.path().join(DATA_FILE), b"\xff\xff\xff").unwrap();
        let err = read_data_bin(dir.path()).unwrap_err();
        assert!(matches!(err, OutputError::NotADataFile { .. }), "{err}");
        // the magic and version, then garbage: a decode error in words
        let mut bytes = DATA_MAGIC.to_vec();
        bytes.extend(DATA_FORMAT_VERSION.to_le_bytes());
        bytes.extend(b"\xff\xff\xff");
        std::fs::write(dir.path().join(DATA_FILE), bytes).unwrap();
        let err = read_data_bin(dir.path()).unwrap_err();
        assert!(matches!(err, OutputError::Decode { .. }), "{err}");
    }

    /// Issue 14: data.bin carries a magic number and a format version; a file of another
    /// version (or an old file without them) is refused in words.
    #[test]
    fn data_bin_has_a_magic_and_a_version() {
        let dir = tempfile::tempdir().unwrap();
        write_results(dir.path(), &tiny()).unwrap();
        let path = dir.path().join(DATA_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        // an old file: the block alone, without the header
        std::fs::write(&path, &bytes[12..]).unwrap();
        let err = read_data_bin(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("not an exactlif data file") && err.contains("run the model again"),
            "{err}"
        );
        // a later version
        bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let err = read_data_bin(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("data format version 2") && err.contains("reads version 1"),
            "{err}"
        );
    }

    /// Issue 14: NaN samples (from i_offset = 1e307) were written as thousands of `NaN` rows,
    /// exit status 0. The writer refuses any NaN or infinite value, names it, and writes no
    /// file at all.
    #[test]
    fn nan_or_inf_never_reaches_a_results_file() {
        let mut cases: Vec<(DataBlock, &str)> = Vec::new();
        let mut b = tiny();
        b.populations[0].signals[0].values[1][2] = f64::NAN;
        cases.push((b, "v of population \"a\", cell 0, at t = 0.2 ms is NaN"));
        let mut b = tiny();
        b.populations[2].signals[1].values[0][0] = f64::NEG_INFINITY;
        cases.push((
            b,
            "isyn_exc of population \"c\", cell 0, at t = 0 ms is -inf",
        ));
        let mut b = tiny();
        b.populations[1].spiketrains[1].times_ms[0] = f64::INFINITY;
        cases.push((b, "a spike time of population \"b\", cell 1 is inf"));
        let mut b = tiny();
        b.duration_ms = f64::NAN;
        cases.push((b, "the run's duration_ms is NaN"));
        for (block, what) in cases {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("out");
            let err = write_results(&out, &block).unwrap_err();
            assert!(matches!(err, OutputError::NotFinite { .. }), "{err}");
            let msg = err.to_string();
            assert!(
                msg.contains(what) && msg.contains("internal error"),
                "{msg}"
            );
            assert!(!msg.contains('\n'), "one line: {msg}");
            assert!(!out.exists(), "nothing written for: {what}");
        }
    }

    #[test]
    fn a_failed_write_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        // The results "directory" is a file.
        let file = dir.path().join("not_a_dir");
        std::fs::write(&file, "keep me").unwrap();
        let err = write_results(&file, &tiny()).unwrap_err();
        assert!(err.to_string().contains("not_a_dir"), "{err}");
        assert_eq!(read(&file), "keep me");

        // A directory sits where `v.csv` should go: the rename fails, and the temporary file
        // is removed; the files written before it are complete.
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("v.csv")).unwrap();
        let err = write_results(&out, &tiny()).unwrap_err();
        assert!(matches!(err, OutputError::Io { .. }), "{err}");
        assert!(err.to_string().contains("v.csv"), "{err}");
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["spikes.csv", "v.csv"]);
        assert!(out.join("v.csv").is_dir());
        assert!(read(&out.join("spikes.csv")).ends_with("a,0,1.0\n"));
    }
}
