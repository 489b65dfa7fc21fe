//! The command-line tool's operations, one function per subcommand, so that the binary only
//! parses arguments, calls one of these and prints.

use std::path::{Path, PathBuf};

use exactlif::compare::CompareError;
use exactlif::io::model_file::{load_model, Model, ModelError};
use exactlif::io::output::{read_data_bin, write_results_with, OutputError, RunInfo, StagedDir};
use exactlif::io::text::{count, fixed, number, plural};
use exactlif::plot::{plot_block_with, PlotError, PlotOptions};
use exactlif::DataBlock;
use exactlif::Diagnostic;
use exactlif::{Backend, BACKENDS};

/// What went wrong in a command; [`AppError::exit_code`] maps it to the exit status of SPEC §3.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The model is invalid (exit status 2).
    #[error("{0}")]
    Invalid(Box<ModelError>),
    /// The arguments are invalid (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// Writing or reading results failed (exit status 1).
    #[error("{0}")]
    Output(#[from] OutputError),
    /// A directory given to `plot` is not a results directory it can read: missing, not a
    /// directory, without `data.bin`, or with a `data.bin` that does not decode (exit status
    /// 2, as `compare` for the same directory).
    #[error("{0}")]
    NotResults(String),
    /// Drawing a figure failed (exit status 1).
    #[error("{0}")]
    Plot(#[from] PlotError),
    /// Two runs could not be compared: unreadable files (exit status 1), anything else (2).
    #[error("{0}")]
    Compare(#[from] CompareError),
    /// `compare --fail-over T`: the candidate fails the gate (exit status 1; the report is
    /// printed first).
    #[error("the candidate fails the --fail-over gate")]
    GateFailed,
    /// On a rank of a simulation over several processes: an error that another rank reports
    /// (rank 0 for what every rank has alike: the model, the results directory, a runaway
    /// cell; the rank whose part of the network was refused). This rank prints nothing and
    /// ends with exit status 0: `mpirun` aborts the whole job at the first non-zero exit,
    /// which could kill the reporting rank before it has printed; the job's status is the
    /// reporting rank's.
    #[error("(reported by another rank)")]
    ReportedElsewhere,
    /// A cell fired without bound and stopped the run: an invalid model (exit status 2),
    /// nothing is written.
    #[error("{}: {runaway}", model.display())]
    Runaway {
        /// The model file.
        model: PathBuf,
        /// The cell and why.
        runaway: Box<exactlif::Runaway>,
    },
}

impl From<exactlif::converge::ConvergeError> for AppError {
    fn from(e: exactlif::converge::ConvergeError) -> Self {
        use exactlif::converge::ConvergeError as E;
        match e {
            E::Model(m) => AppError::Invalid(m),
            E::Output(o) => AppError::Output(o),
            E::Compare(c) => AppError::Compare(c),
            other => AppError::Usage(other.to_string()),
        }
    }
}

impl From<ModelError> for AppError {
    fn from(e: ModelError) -> Self {
        AppError::Invalid(Box::new(e))
    }
}

impl AppError {
    /// 2 for invalid models or arguments (bad input: a model, a model whose cells fire without
    /// bound, an option, a directory that is not a results directory, from any command), 1
    /// for everything else (a file that cannot
    /// be read or written, a figure that cannot be drawn, a failed `--fail-over` gate).
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Invalid(_)
            | AppError::Usage(_)
            | AppError::NotResults(_)
            | AppError::Runaway { .. } => 2,
            AppError::ReportedElsewhere => 0,
            AppError::Compare(CompareError::Io { .. }) => 1,
            AppError::Compare(_) => 2,
            _ => 1,
        }
    }
}

/// A model file loaded, validated and built, ready to run.
pub struct Prepared {
    /// The parsed model.
    pub model: Model,
    /// The built simulation at t = 0.
    pub sim: exactlif::Simulation,
    /// Warnings about the model.
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads, validates and builds a model file on the exact backend; nothing is written.
pub fn prepare(path: &Path, max_memory: Option<f64>) -> Result<Prepared, AppError> {
    prepare_with(path, Backend::Exact, max_memory)
}

/// Loads, validates and builds a model file on `backend`; nothing is written.
pub fn prepare_with(
    path: &Path,
    backend: Backend,
    max_memory: Option<f64>,
) -> Result<Prepared, AppError> {
    let model = load_model(path)?;
    check_memory(path, &model, max_memory, 1)?;
    let sim = model
        .network
        .build_with(backend)
        .map_err(|e| model.build_error(e))?;
    let diagnostics = model.network.diagnostics(&sim);
    Ok(Prepared {
        model,
        sim,
        diagnostics,
    })
}

/// Loads and validates a model file and builds rank `comm.rank()` of a simulation of it over
/// `comm.size()` processes, on `threads` threads (exact backend). Every rank loads the same
/// file, so a bad model is refused alike by all; only rank 0's error is printed.
pub fn prepare_rank(
    path: &Path,
    max_memory: Option<f64>,
    comm: std::sync::Arc<dyn exactlif::Comm>,
) -> Result<Prepared, AppError> {
    let root = comm.rank() == 0;
    let quiet = |e: AppError| {
        if root {
            e
        } else {
            AppError::ReportedElsewhere
        }
    };
    let model = load_model(path).map_err(|e| quiet(e.into()))?;
    check_memory(path, &model, max_memory, comm.size()).map_err(quiet)?;
    let sim = model
        .network
        .build_rank(comm, 1, model.duration)
        .map_err(|e| {
            // another rank's refusal: that rank prints why
            if e.key == "ranks" {
                AppError::ReportedElsewhere
            } else {
                model.build_error(e).into()
            }
        })?;
    let diagnostics = model.network.diagnostics(&sim);
    Ok(Prepared {
        model,
        sim,
        diagnostics,
    })
}

/// Refuses, before anything is allocated, a model whose estimated memory
/// ([`exactlif::Network::estimate`]) exceeds `max_memory` (bytes; default the machine's).
pub fn check_memory(
    path: &Path,
    model: &Model,
    max_memory: Option<f64>,
    ranks: usize,
) -> Result<(), AppError> {
    let (limit, name) = match max_memory {
        Some(m) => (m, "--max-memory"),
        None => (
            exactlif::io::machine_memory(),
            "the machine's memory; --max-memory sets another limit",
        ),
    };
    model
        .network
        .estimate(model.duration)
        .per_rank(ranks)
        .check(limit, name)
        .map_err(|m| AppError::Usage(format!("{}: {m}", path.display())))
}

/// A memory size for `--max-memory`: bytes, or a number with a unit `k`, `M`, `G`, `T`
/// (decimal; `KB`, `MB`, `GB`, `TB`, `KiB`, `MiB`, `GiB`, `TiB` also accepted).
pub fn parse_memory(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a memory size (e.g. 8G, 512M, 2000000000)"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        u => return Err(format!("unknown unit {u:?} in {s:?} (use k, M, G or T)")),
    };
    if !(x.is_finite() && x > 0.0) {
        return Err(format!("{s:?}: the size must be a number > 0"));
    }
    Ok(x * scale)
}

/// The default results directory of a model: `results/<model file stem>`.
pub fn default_out_dir(model: &Path) -> PathBuf {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    PathBuf::from("results").join(stem)
}

/// Checks a backend name (`exact`, `grid` or `euler`) and returns the backend.
pub fn check_backend(name: &str) -> Result<Backend, AppError> {
    Backend::from_name(name).ok_or_else(|| {
        let hint = exactlif::suggest(name, BACKENDS)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        AppError::Usage(format!(
            "--backend {name}: unknown backend; choose exact, grid or euler{hint}"
        ))
    })
}

/// Runs a prepared model for its duration, calling `progress(t, t_stop)` between chunks of
/// simulated time, and returns the recorded data. A cell that runs away stops the run
/// ([`exactlif::Simulation::runaway`]); [`finish`] then refuses to write.
///
/// Chunk boundaries are recording ticks `k * timestep`, so chunking changes nothing in the
/// results (the engine continues exactly where it stopped).
pub fn simulate(p: &mut Prepared, progress: &mut dyn FnMut(f64, f64)) -> DataBlock {
    let duration = p.model.duration;
    let dt = p.sim.timestep();
    let last = (duration / dt).round() as u64;
    let chunks = 200u64.min(last.max(1));
    for c in 1..chunks {
        let t = (c * last / chunks) as f64 * dt;
        if t < duration && p.sim.runaway().is_none() {
            p.sim.run_until(t);
            progress(t, duration);
        }
    }
    p.sim.run_until(duration);
    progress(duration, duration);
    p.sim.get_data()
}

/// Writes a run's results directory (SPEC §4): the data files, then the figures drawn with
/// `plot`; returns the files written.
pub fn write(
    out: &Path,
    data: &DataBlock,
    plot: &PlotOptions,
    run: &RunInfo,
) -> Result<Vec<PathBuf>, AppError> {
    let mut files = write_results_with(out, data, run)?;
    files.extend(plot_block_with(data, out, plot)?);
    Ok(files)
}

/// [`write()`] at the end of a run, into a staged results directory that then replaces the
/// old one as a whole; returns the files at their final paths. The network is freed first
/// (only `data` is needed from here on), so that the peak memory of a run is the larger of the
/// simulation's and the figures', not their sum (CUBA: 13.0 -> 10.3 MB,
/// `tests/construction_memory.rs`). A run stopped by a runaway cell writes nothing
/// ([`AppError::Runaway`]; the staged directory is removed, the old one stays).
pub fn finish(
    p: Prepared,
    staged: StagedDir,
    data: &DataBlock,
    plot: &PlotOptions,
    run: &RunInfo,
) -> Result<Vec<PathBuf>, AppError> {
    if let Some(r) = p.sim.runaway() {
        return Err(AppError::Runaway {
            model: p.model.path.clone(),
            runaway: Box::new(r.clone()),
        });
    }
    drop(p);
    // an error names the results directory, not the staging directory it would go through
    let files = write(staged.path(), data, plot, run).map_err(|e| match e {
        AppError::Output(OutputError::NotFinite {
            what, value, cause, ..
        }) => AppError::Output(OutputError::NotFinite {
            dir: staged.target().to_path_buf(),
            what,
            value,
            cause,
        }),
        e => e,
    })?;
    let staging = staged.path().to_path_buf();
    let out = staged.commit().map_err(|e| OutputError::Io {
        path: e.path,
        source: e.source,
    })?;
    Ok(files
        .into_iter()
        .map(|f| out.join(f.strip_prefix(&staging).unwrap_or(&f)))
        .collect())
}

/// Redraws the figures of a finished run from its `data.bin`; returns the figure files.
///
/// A directory that does not exist, a file, a directory without `data.bin` and a `data.bin`
/// that does not decode are [`AppError::NotResults`] (exit status 2, as `compare` gives for
/// the same directory); a `data.bin` that cannot be read is an [`AppError::Output`] (1).
pub fn replot(dir: &Path, plot: &PlotOptions) -> Result<Vec<PathBuf>, AppError> {
    if !dir.exists() {
        return Err(AppError::NotResults(format!(
            "{}: no such directory",
            dir.display()
        )));
    }
    if !dir.is_dir() {
        return Err(AppError::NotResults(format!(
            "{} is not a results directory: it is a file, not a directory",
            dir.display()
        )));
    }
    let data = read_data_bin(dir).map_err(|e| match e {
        OutputError::NotAResultsDirectory { .. } => AppError::NotResults(format!(
            "{e} (`exactlif plot` redraws the figures from the data.bin that `exactlif run` writes)"
        )),
        OutputError::Decode { .. } | OutputError::NotADataFile { .. } => {
            AppError::NotResults(e.to_string())
        }
        e => AppError::Output(e),
    })?;
    Ok(plot_block_with(&data, dir, plot)?)
}

/// The one-line-per-population summary printed at the end of a run, plus a totals line.
/// Counts are pluralised ("1 cell", "2 cells") and numbers short whatever their size
/// ([`exactlif::io::text`]).
pub fn summary_lines(data: &DataBlock) -> Vec<String> {
    let mut out = Vec::new();
    let width = data
        .populations
        .iter()
        .map(|p| p.label.chars().count())
        .max()
        .unwrap_or(0);
    for p in &data.populations {
        let size = p.size as u64;
        out.push(format!(
            "  {:width$}  {:>6} {:<5}  {:>9} {:<6}  {:>9} Hz mean rate",
            p.label,
            size,
            plural(size, "cell"),
            p.spike_count,
            plural(p.spike_count, "spike"),
            fixed(p.mean_rate_hz(data.duration_ms), 3),
        ));
    }
    out.push(format!(
        "  simulated {} ms on the {} backend in {} s wall time (build {} s); {}, {}",
        number(data.duration_ms),
        data.backend,
        fixed(data.wall_time_s, 3),
        fixed(data.build_time_s, 3),
        count(data.events.spikes, "spike"),
        count(data.events.synaptic_inputs, "synaptic input")
    ));
    out
}

/// Compares two results directories (`exactlif compare`, see [`exactlif::compare`]):
/// `tolerance_ms` defaults to twice the larger timestep; with `fail_over_ms` the report carries
/// the gate's verdict ([`exactlif::compare::Report::apply_gate`]). Errors: not a results directory,
/// different populations or sizes, bad options (exit status 2); unreadable files (1).
pub fn compare(
    reference: &Path,
    candidate: &Path,
    tolerance_ms: Option<f64>,
    fail_over_ms: Option<f64>,
) -> Result<exactlif::compare::Report, AppError> {
    if let Some(t) = tolerance_ms {
        if !(t.is_finite() && t >= 0.0) {
            return Err(AppError::Usage(format!(
                "--tolerance-ms must be a finite number >= 0, got {}",
                number(t)
            )));
        }
    }
    if let Some(t) = fail_over_ms {
        if !(t.is_finite() && t >= 0.0) {
            return Err(AppError::Usage(format!(
                "--fail-over must be a finite number >= 0 (ms), got {}",
                number(t)
            )));
        }
    }
    let mut report = exactlif::compare::compare_dirs(reference, candidate, tolerance_ms).map_err(
        |e| match e {
            CompareError::NoDefaultTolerance => {
                AppError::Usage(format!("{e}; give --tolerance-ms"))
            }
            other => AppError::Compare(other),
        },
    )?;
    if let Some(t) = fail_over_ms {
        report.apply_gate(t);
    }
    Ok(report)
}

/// Exports a model for PyNN (`exactlif export-pynn`, see [`exactlif::io::pynn_export`]): loads,
/// validates and materialises it (every random value drawn as `run` draws it), then writes
/// `out/model.py`, `out/network.json` and `out/projections/*.npy`. Returns the files written.
/// An invalid model writes nothing (exit status 2).
pub fn export_pynn(path: &Path, out: &Path) -> Result<Vec<PathBuf>, AppError> {
    let model = load_model(path)?;
    check_memory(path, &model, None, 1)?;
    let net = model
        .network
        .materialise()
        .map_err(|e| model.build_error(e))?;
    Ok(exactlif::io::pynn_export::export_pynn(&model, &net, out)?)
}

/// Runs the convergence study (`exactlif converge`, see [`exactlif::converge`]): the model on the
/// exact backend and on `grid` and `euler` at every step of `steps` (default
/// [`exactlif::converge::DEFAULT_STEPS_MS`]), each step run compared with the exact run, spikes
/// matched within `tolerance_ms` (default `max(2 h_max, 1 ms)`). Writes `converge.csv`,
/// `converge.json` and `converge.png` into `out` (default `results/<model stem>/converge`) and
/// returns the study and the files written. `progress` receives a line per finished run.
pub fn converge(
    model: &Path,
    steps: Option<&[f64]>,
    tolerance_ms: Option<f64>,
    out: Option<&Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<(exactlif::converge::Study, Vec<PathBuf>), AppError> {
    use exactlif::converge::ConvergeError as E;
    let m = load_model(model)?;
    let steps = steps.unwrap_or(&exactlif::converge::DEFAULT_STEPS_MS);
    exactlif::converge::check_steps(steps, m.duration).map_err(|e| {
        AppError::Usage(match e {
            E::NoSteps => "--steps: give at least one step (ms)".into(),
            E::InvalidStep(h) => {
                format!(
                    "--steps: every step must be a finite number > 0 ms, got {}",
                    number(h)
                )
            }
            E::StepLongerThanRun {
                step_ms,
                duration_ms,
            } => {
                format!(
                    "--steps: the step {} ms is longer than the run ({} ms)",
                    number(step_ms),
                    number(duration_ms)
                )
            }
            other => other.to_string(),
        })
    })?;
    if let Some(t) = tolerance_ms {
        if !(t.is_finite() && t >= 0.0) {
            return Err(AppError::Usage(format!(
                "--tolerance-ms must be a finite number >= 0, got {}",
                number(t)
            )));
        }
    }
    let study = exactlif::converge::run_study(&m, steps, tolerance_ms, progress)?;
    let out = out.map_or_else(
        || default_out_dir(model).join("converge"),
        Path::to_path_buf,
    );
    let mut files = exactlif::converge::write_study(&study, &out)?;
    let png = out.join(exactlif::converge::PNG_FILE);
    exactlif::plot::converge::plot_study(&study, &png)?;
    files.push(png);
    Ok((study, files))
}
