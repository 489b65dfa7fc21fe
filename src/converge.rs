//! `exactlif converge MODEL`: how fast the step-based backends (`grid`, `euler`) approach the
//! exact run as their step shrinks.
//!
//! # The study
//!
//! For every step `h` of the list (default [`DEFAULT_STEPS_MS`]), the model is run on the
//! `grid` and `euler` backends with its `timestep` set to `h`, and each run is compared with
//! an exact run by [`crate::compare::compare_runs`]. Everything else in the model (seed,
//! duration, every drawn value, every Poisson spike train) is the same in all runs.
//!
//! **The exact reference.** Exact spike times do not depend on the timestep, which only sets
//! the grid on which the exact state is sampled. So the exact backend runs once, with the
//! timestep set to the *smallest* step `h_min`: the sample times `k h` of any step that is a
//! whole multiple of `h_min` (to 1e-9 relative) are then among the exact run's sample times,
//! and `v` is compared at every sample of the step run. A step that is not a whole multiple of
//! `h_min` (e.g. 0.3 with 0.2) gets its own exact run at timestep `h`.
//!
//! **Spike matching.** One tolerance for all steps, so that the missed and extra counts of
//! different steps mean the same thing: `max(2 h_max, 1 ms)` with `h_max` the largest step
//! ([`MIN_TOLERANCE_MS`]), or the tolerance given. Twice the step is what a step-based scheme
//! needs at worst for an isolated spike (up to one step of lag, plus about one step from an
//! input moved to the grid); the 1 ms floor keeps a small phase drift of a regularly firing cell
//! counted as an error rather than as a missed plus an extra spike at fine steps.
//! The spike-time errors are those of the matched pairs (mean signed, mean absolute, maximum
//! absolute and RMS of `step - exact`); the spikes left unpaired are the missed (exact spikes
//! without a partner) and extra (step-run spikes without a partner).
//!
//! **Membrane potential.** The maximum and RMS of `v_step - v_exact` over every cell recording
//! `v` and every sample time common to both runs (`k h`, `k = 0 ..= round(duration / h)`).
//! Once a spike is late by a fraction of a step, `v` differs by about `v_thresh - v_reset` for
//! that fraction of a step, so the maximum `v` error does not shrink with the step on a spiking
//! cell; the RMS does.
//!
//! **Delays shorter than a step.** The step backends round every delay to a whole number of
//! steps, at least one (NEST semantics). A step larger than the shortest delay of the network
//! is run anyway: for those runs the delays below one step are lengthened to one step, which is
//! what NEST does when `min_delay` is raised to the resolution (NEST refuses a resolution
//! larger than `min_delay`). The model's `min_delay` is kept as is, so the model stays valid at
//! every step. Such rows are flagged (`delays_lengthened`), and a note is printed: part of
//! their error is the lengthened delays.
//!
//! **Fitted order.** For each backend and error measure, the least-squares slope of
//! `ln(error)` against `ln(step)` over the steps where the error is known and `> 0`
//! ([`fit_order`]); none with fewer than two such steps. An order `p` means `error ~ C h^p`.
//!
//! # Output
//!
//! `converge.csv` (one row per backend and step, [`Row`]), `converge.json` (the whole
//! [`Study`]), written by [`write_study`], and `converge.png`, drawn by `plot::converge`: log-log, the mean absolute spike-time
//! error against the step with the fitted orders in the legend, and the missed + extra spikes
//! against the step.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::compare::{compare_runs, num, CompareError, DataSource, Report, Run};
use crate::engine::Backend;
use crate::io::model_file::{Model, ModelError};
use crate::io::output::OutputError;
use crate::io::text::{count, number};
use crate::recording::DataBlock;

/// What went wrong in a convergence study.
#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    /// The list of steps is empty.
    #[error("no step given: the study needs at least one step (ms)")]
    NoSteps,
    /// A step is not a finite number > 0.
    #[error("every step must be a finite number > 0 ms, got {}", number(*.0))]
    InvalidStep(f64),
    /// A step is longer than the run.
    #[error(
        "the step {} ms is longer than the run ({} ms)",
        number(*step_ms),
        number(*duration_ms)
    )]
    StepLongerThanRun {
        /// The step (ms).
        step_ms: f64,
        /// The model's duration (ms).
        duration_ms: f64,
    },
    /// The spike-matching tolerance is negative, infinite or NaN.
    #[error("the spike-matching tolerance must be a finite number >= 0 ms, got {0}")]
    InvalidTolerance(f64),
    /// The model records nothing the study can compare.
    #[error("{0}")]
    Invalid(String),
    /// A step run could not be compared with its exact run.
    #[error("{0}")]
    Compare(#[from] CompareError),
    /// The model is invalid at one of the steps.
    #[error("{0}")]
    Model(Box<ModelError>),
    /// Writing the study failed.
    #[error("{0}")]
    Output(#[from] OutputError),
    /// A cell of the exact run fired without bound (an invalid model: exit status 2 on the
    /// command line).
    #[error("{0}")]
    Runaway(#[from] crate::Runaway),
}

impl From<ModelError> for ConvergeError {
    fn from(e: ModelError) -> Self {
        ConvergeError::Model(Box::new(e))
    }
}

/// The steps of the study when none are given (ms).
pub const DEFAULT_STEPS_MS: [f64; 6] = [1.0, 0.5, 0.25, 0.1, 0.05, 0.01];

/// The smallest default spike-matching tolerance (ms); see the module doc.
pub const MIN_TOLERANCE_MS: f64 = 1.0;

/// The backends measured, in table order.
pub const STEP_BACKENDS: [Backend; 2] = [Backend::Grid, Backend::Euler];

/// Relative tolerance of "a whole multiple of the smallest step" and of step comparisons.
const REL: f64 = 1e-9;

/// The files the study writes.
pub const CSV_FILE: &str = "converge.csv";
/// The JSON file.
pub const JSON_FILE: &str = "converge.json";
/// The figure (drawn by the `plot` module).
pub const PNG_FILE: &str = "converge.png";

/// One step-based run compared with the exact run.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `grid` or `euler`.
    pub backend: String,
    /// The step (ms).
    pub step_ms: f64,
    /// Timestep of the exact run it is compared with (ms).
    pub exact_timestep_ms: f64,
    /// Whether the step exceeds the network's shortest delay, so that the step backend ran
    /// with delays lengthened to one step (module doc).
    pub delays_lengthened: bool,
    /// Spikes of the exact run (recorded cells); null if no population records spikes.
    pub exact_spikes: Option<u64>,
    /// Spikes of the step run.
    pub step_spikes: Option<u64>,
    /// Matched pairs.
    pub matched: Option<u64>,
    /// Exact spikes without a partner.
    pub missed: Option<u64>,
    /// Step-run spikes without a partner.
    pub extra: Option<u64>,
    /// Mean of `step - exact` over the pairs (ms, positive = late).
    pub mean_error_ms: Option<f64>,
    /// Mean `|step - exact|` (ms).
    pub mean_abs_error_ms: Option<f64>,
    /// Largest `|step - exact|` (ms).
    pub max_abs_error_ms: Option<f64>,
    /// RMS of `step - exact` (ms).
    pub rms_error_ms: Option<f64>,
    /// Largest `|v_step - v_exact|` on the common sample times (mV); null if `v` is not
    /// recorded.
    pub v_max_abs_error_mv: Option<f64>,
    /// RMS of `v_step - v_exact` (mV).
    pub v_rms_error_mv: Option<f64>,
    /// Common sample times per cell.
    pub v_times: Option<usize>,
    /// Wall time of the step run's simulation (s).
    pub wall_time_s: f64,
}

/// A fitted order of convergence.
#[derive(Clone, Debug, Serialize)]
pub struct Fit {
    /// `grid` or `euler`.
    pub backend: String,
    /// The error measure: a [`Row`] field name (`mean_abs_error_ms`, `rms_error_ms`,
    /// `v_rms_error_mv`).
    pub error: String,
    /// The slope of `ln(error)` against `ln(step)`; null with fewer than two usable steps.
    pub order: Option<f64>,
    /// Steps used (error known and > 0).
    pub points: usize,
}

/// One exact run of the study.
#[derive(Clone, Debug, Serialize)]
pub struct ExactRun {
    /// Its timestep, i.e. its sampling grid (ms).
    pub timestep_ms: f64,
    /// Spikes of the recorded cells.
    pub spikes: u64,
    /// Wall time of the simulation (s).
    pub wall_time_s: f64,
}

/// The whole study, as written to `converge.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Study {
    /// The model file.
    pub model: String,
    /// Simulated time (ms).
    pub duration_ms: f64,
    /// The model's seed.
    pub seed: u64,
    /// The model's own timestep (ms); replaced by each step in the runs.
    pub model_timestep_ms: f64,
    /// The model's min_delay (ms), kept in every run.
    pub min_delay_ms: f64,
    /// The network's shortest synaptic delay (ms); null without synapses.
    pub shortest_delay_ms: Option<f64>,
    /// The steps, largest first (ms).
    pub steps_ms: Vec<f64>,
    /// Spike-matching tolerance, the same for every step (ms).
    pub tolerance_ms: f64,
    /// Whether the tolerance was given rather than the default.
    pub tolerance_given: bool,
    /// The exact runs (one, unless a step is not a multiple of the smallest).
    pub exact_runs: Vec<ExactRun>,
    /// One row per backend and step, backends in [`STEP_BACKENDS`] order, steps largest first.
    pub rows: Vec<Row>,
    /// Fitted orders per backend and error measure.
    pub fits: Vec<Fit>,
    /// Things worth knowing about this study (lengthened delays, extra exact runs).
    pub notes: Vec<String>,
}

/// The least-squares slope of `ln(error)` against `ln(step)` over the points `(step, error)`
/// with `step > 0` and `error > 0` (both finite); `None` with fewer than two such points or
/// all at one step.
///
/// ```
/// use exactlif::converge::fit_order;
/// let p = fit_order(&[(1.0, 2.0), (0.5, 0.5), (0.25, 0.125)]).unwrap();
/// assert!((p - 2.0).abs() < 1e-12);
/// assert_eq!(fit_order(&[(1.0, 1.0), (0.5, 0.0)]), None);
/// ```
pub fn fit_order(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(h, e)| h.is_finite() && *h > 0.0 && e.is_finite() && *e > 0.0)
        .map(|(h, e)| (h.ln(), e.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 1e-12).then(|| sxy / sxx)
}

/// Checks and orders the steps: every step finite and `> 0` and no longer than the run;
/// duplicates (to 1e-9 relative) dropped; largest first.
pub fn check_steps(steps: &[f64], duration_ms: f64) -> Result<Vec<f64>, ConvergeError> {
    if steps.is_empty() {
        return Err(ConvergeError::NoSteps);
    }
    for &h in steps {
        if !(h.is_finite() && h > 0.0) {
            return Err(ConvergeError::InvalidStep(h));
        }
        if h > duration_ms {
            return Err(ConvergeError::StepLongerThanRun {
                step_ms: h,
                duration_ms,
            });
        }
    }
    let mut out = steps.to_vec();
    out.sort_by(|a, b| b.total_cmp(a));
    out.dedup_by(|a, b| (*a - *b).abs() <= REL * b.abs());
    Ok(out)
}

/// Whether `h` is a whole multiple of `base` (to 1e-9 relative).
fn is_multiple(h: f64, base: f64) -> bool {
    let r = h / base;
    (r - r.round()).abs() <= REL * r.max(1.0)
}

/// The model run on `backend` with its timestep set to `h` (min_delay kept).
fn run_at(model: &Model, backend: Backend, h: f64) -> Result<DataBlock, ConvergeError> {
    let mut net = model.network.clone();
    net.setup.min_delay = Some(net.setup.min_delay());
    net.setup.timestep = h;
    let mut sim = net.build_with(backend).map_err(|e| model.build_error(e))?;
    sim.run_until(model.duration);
    if let Some(r) = sim.runaway() {
        return Err(r.clone().into());
    }
    Ok(sim.get_data())
}

/// Spikes of the recorded cells of a run.
fn recorded_spikes(d: &DataBlock) -> u64 {
    d.populations
        .iter()
        .filter(|p| p.records_spikes)
        .flat_map(|p| p.spiketrains.iter())
        .map(|t| t.times_ms.len() as u64)
        .sum()
}

fn in_memory(data: DataBlock, name: String) -> Run {
    Run {
        dir: PathBuf::from(name),
        data,
        source: DataSource::DataBin,
    }
}

fn row_of(report: &Report, backend: Backend, h: f64, exact_h: f64, lengthened: bool) -> Row {
    let s = &report.spikes;
    let has_spikes = s.cells > 0;
    let count = |x: u64| has_spikes.then_some(x);
    let v = report.variables.iter().find(|v| v.name == "v");
    Row {
        backend: backend.name().to_string(),
        step_ms: h,
        exact_timestep_ms: exact_h,
        delays_lengthened: lengthened,
        exact_spikes: count(s.reference_spikes),
        step_spikes: count(s.candidate_spikes),
        matched: count(s.matched),
        missed: count(s.missed),
        extra: count(s.extra),
        mean_error_ms: s.mean_error_ms,
        mean_abs_error_ms: s.mean_abs_error_ms,
        max_abs_error_ms: s.max_abs_error_ms,
        rms_error_ms: s.rms_error_ms,
        v_max_abs_error_mv: v.and_then(|v| v.max_abs_error),
        v_rms_error_mv: v.and_then(|v| v.rms_error),
        v_times: v.map(|v| v.times),
        wall_time_s: 0.0,
    }
}

/// Runs the study on a loaded model (module doc): the exact run(s), then `grid` and `euler` at
/// every step. `tolerance_ms` defaults to `max(2 h_max, 1 ms)`. `progress` receives a line per
/// finished run.
pub fn run_study(
    model: &Model,
    steps: &[f64],
    tolerance_ms: Option<f64>,
    progress: &mut dyn FnMut(&str),
) -> Result<Study, ConvergeError> {
    let steps = check_steps(steps, model.duration)?;
    if let Some(t) = tolerance_ms {
        if !(t.is_finite() && t >= 0.0) {
            return Err(ConvergeError::InvalidTolerance(t));
        }
    }
    // Validate once, and learn the shortest delay.
    let net = model
        .network
        .materialise()
        .map_err(|e| model.build_error(e))?;
    let shortest_delay_ms = net
        .group_delay
        .iter()
        .copied()
        .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.min(d))));
    drop(net);
    let h_max = steps[0];
    let h_min = *steps.last().expect("at least one step");
    let tolerance = tolerance_ms.unwrap_or((2.0 * h_max).max(MIN_TOLERANCE_MS));
    let mut notes = Vec::new();

    // Exact runs, by timestep.
    let mut exact: Vec<Run> = Vec::new();
    let mut exact_runs = Vec::new();
    let mut exact_for = Vec::new();
    for &h in &steps {
        let eh = if is_multiple(h, h_min) { h_min } else { h };
        if !exact
            .iter()
            .any(|r| (r.data.timestep_ms - eh).abs() <= REL * eh)
        {
            let data = run_at(model, Backend::Exact, eh)?;
            if data
                .populations
                .iter()
                .all(|p| !p.records_spikes && p.signal("v").is_none())
            {
                return Err(ConvergeError::Invalid(format!(
                    "{}: no population records spikes or v, so there is nothing to compare; add record = [\"spikes\", \"v\"] to a population",
                    model.file_name()
                )));
            }
            let spikes = recorded_spikes(&data);
            progress(&format!(
                "exact at timestep {} ms: {}, {:.3} s",
                number(eh),
                count(spikes, "spike"),
                data.wall_time_s
            ));
            exact_runs.push(ExactRun {
                timestep_ms: eh,
                spikes,
                wall_time_s: data.wall_time_s,
            });
            if eh != h_min {
                notes.push(format!(
                    "step {h} ms is not a whole multiple of the smallest step {} ms: it is compared with its own exact run at timestep {h} ms",
                    number(h_min),
                    h = number(h)
                ));
            }
            exact.push(in_memory(
                data,
                format!("exact run at timestep {} ms", number(eh)),
            ));
        }
        exact_for.push(eh);
    }
    for &h in &steps {
        if let Some(d) = shortest_delay_ms {
            if h > d * (1.0 + REL) {
                notes.push(format!(
                    "step {} ms exceeds the network's shortest delay ({} ms; min_delay {} ms): the step backends lengthen the delays below one step to one step (as NEST with min_delay raised to the resolution); rows flagged delays_lengthened",
                    number(h),
                    number(d),
                    number(model.network.setup.min_delay())
                ));
            }
        }
    }

    let mut rows = Vec::new();
    for backend in STEP_BACKENDS {
        for (&h, &eh) in steps.iter().zip(&exact_for) {
            let data = run_at(model, backend, h)?;
            let wall = data.wall_time_s;
            let reference = exact
                .iter()
                .find(|r| (r.data.timestep_ms - eh).abs() <= REL * eh)
                .expect("run above");
            let cand = in_memory(data, format!("{backend} run at step {} ms", number(h)));
            let report = compare_runs(reference, &cand, Some(tolerance))?;
            let lengthened = shortest_delay_ms.is_some_and(|d| h > d * (1.0 + REL));
            let mut row = row_of(&report, backend, h, eh, lengthened);
            row.wall_time_s = wall;
            progress(&format!(
                "{backend} at step {} ms: {} matched, {} missed, {} extra, {:.3} s",
                number(h),
                opt_u(row.matched),
                opt_u(row.missed),
                opt_u(row.extra),
                wall
            ));
            rows.push(row);
        }
    }
    let mut fits = Vec::new();
    for backend in STEP_BACKENDS {
        let mine: Vec<&Row> = rows
            .iter()
            .filter(|r| r.backend == backend.name())
            .collect();
        let quantities: [(&str, RowValue); 3] = [
            ("mean_abs_error_ms", |r| r.mean_abs_error_ms),
            ("rms_error_ms", |r| r.rms_error_ms),
            ("v_rms_error_mv", |r| r.v_rms_error_mv),
        ];
        for (name, get) in quantities {
            let pts: Vec<(f64, f64)> = mine
                .iter()
                .filter_map(|r| get(r).map(|e| (r.step_ms, e)))
                .collect();
            fits.push(Fit {
                backend: backend.name().to_string(),
                error: name.to_string(),
                order: fit_order(&pts),
                points: pts.iter().filter(|p| p.1 > 0.0 && p.1.is_finite()).count(),
            });
        }
    }
    Ok(Study {
        model: model.file_name(),
        duration_ms: model.duration,
        seed: model.network.setup.seed,
        model_timestep_ms: model.network.setup.timestep,
        min_delay_ms: model.network.setup.min_delay(),
        shortest_delay_ms,
        steps_ms: steps,
        tolerance_ms: tolerance,
        tolerance_given: tolerance_ms.is_some(),
        exact_runs,
        rows,
        fits,
        notes,
    })
}

fn opt_u(x: Option<u64>) -> String {
    x.map_or_else(|| "-".into(), |x| x.to_string())
}

/// A value for the CSV: empty for none, full precision otherwise.
fn csv_f(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| format!("{x}"))
}

fn csv_u<T: std::fmt::Display>(x: Option<T>) -> String {
    x.map_or_else(String::new, |x| x.to_string())
}

/// Reads one error measure of a row.
pub(crate) type RowValue = fn(&Row) -> Option<f64>;

/// The CSV columns, in order.
pub const CSV_HEADER: &str = "backend,step_ms,exact_timestep_ms,delays_lengthened,exact_spikes,step_spikes,matched,missed,extra,mean_error_ms,mean_abs_error_ms,max_abs_error_ms,rms_error_ms,v_max_abs_error_mv,v_rms_error_mv,v_times,wall_time_s";

impl Study {
    /// The fitted order of `backend` for the error measure `error` (a [`Fit::error`] name).
    pub fn order(&self, backend: &str, error: &str) -> Option<f64> {
        self.fits
            .iter()
            .find(|f| f.backend == backend && f.error == error)
            .and_then(|f| f.order)
    }

    /// The rows of one backend, largest step first.
    pub fn rows_of<'a>(&'a self, backend: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| r.backend == backend)
    }

    /// `converge.csv`: a header ([`CSV_HEADER`]) and one line per [`Row`]; empty fields for
    /// values that do not exist.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(CSV_HEADER);
        s.push('\n');
        for r in &self.rows {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.backend,
                r.step_ms,
                r.exact_timestep_ms,
                r.delays_lengthened,
                csv_u(r.exact_spikes),
                csv_u(r.step_spikes),
                csv_u(r.matched),
                csv_u(r.missed),
                csv_u(r.extra),
                csv_f(r.mean_error_ms),
                csv_f(r.mean_abs_error_ms),
                csv_f(r.max_abs_error_ms),
                csv_f(r.rms_error_ms),
                csv_f(r.v_max_abs_error_mv),
                csv_f(r.v_rms_error_mv),
                csv_u(r.v_times),
                r.wall_time_s,
            );
        }
        s
    }

    /// `converge.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a study always serializes")
    }

    /// The table printed by `exactlif converge`, with the fitted orders and the notes.
    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: {} ms, step backends against the exact run (exact timestep {}), spikes matched within {} ms",
            self.model,
            number(self.duration_ms),
            self.exact_runs
                .iter()
                .map(|e| format!("{} ms", number(e.timestep_ms)))
                .collect::<Vec<_>>()
                .join(", "),
            number(self.tolerance_ms)
        );
        let head = [
            "backend",
            "step ms",
            "matched",
            "missed",
            "extra",
            "mean err",
            "mean |err|",
            "max |err|",
            "RMS err",
            "v max",
            "v RMS",
        ];
        let mut lines: Vec<Vec<String>> = vec![head.iter().map(|h| h.to_string()).collect()];
        lines.push(
            ["", "", "", "", "", "ms", "ms", "ms", "ms", "mV", "mV"]
                .iter()
                .map(|h| h.to_string())
                .collect(),
        );
        for r in &self.rows {
            lines.push(vec![
                r.backend.clone(),
                format!(
                    "{}{}",
                    number(r.step_ms),
                    if r.delays_lengthened { "*" } else { "" }
                ),
                opt_u(r.matched),
                opt_u(r.missed),
                opt_u(r.extra),
                num(r.mean_error_ms),
                num(r.mean_abs_error_ms),
                num(r.max_abs_error_ms),
                num(r.rms_error_ms),
                num(r.v_max_abs_error_mv),
                num(r.v_rms_error_mv),
            ]);
        }
        let widths: Vec<usize> = (0..head.len())
            .map(|c| {
                lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for l in &lines {
            let mut line = String::from(" ");
            for (c, cell) in l.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                if c == 0 {
                    let _ = write!(line, " {cell}{}", " ".repeat(pad));
                } else {
                    let _ = write!(line, "  {}{cell}", " ".repeat(pad));
                }
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
        let _ = writeln!(
            s,
            "fitted order p (error ~ h^p; least-squares slope of log error against log step over the steps with error > 0):"
        );
        for b in STEP_BACKENDS {
            let f = |e: &str| {
                let fit = self
                    .fits
                    .iter()
                    .find(|f| f.backend == b.name() && f.error == e);
                match fit {
                    Some(Fit {
                        order: Some(p),
                        points,
                        ..
                    }) => format!("{p:.2} ({points} steps)"),
                    _ => "- (fewer than 2 steps with error > 0)".into(),
                }
            };
            let _ = writeln!(
                s,
                "  {:5}  spike-time mean |err| {}, RMS err {}; v RMS {}",
                b.name(),
                f("mean_abs_error_ms"),
                f("rms_error_ms"),
                f("v_rms_error_mv")
            );
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        if self.rows.iter().any(|r| r.delays_lengthened) {
            let _ = writeln!(
                s,
                "* step longer than the shortest delay: delays below one step lengthened to one step"
            );
        }
        s
    }
}

/// Writes `dir/name` atomically with `content`.
fn write_file(dir: &Path, name: &str, content: &str) -> Result<PathBuf, ConvergeError> {
    Ok(
        crate::io::atomic::write_bytes(&dir.join(name), content.as_bytes())
            .map_err(OutputError::from)?,
    )
}

/// Writes `converge.csv` and `converge.json` into `out` (created if needed); returns the paths.
/// The figure, `converge.png`, is drawn by `plot::converge::plot_study`.
pub fn write_study(study: &Study, out: &Path) -> Result<Vec<PathBuf>, ConvergeError> {
    std::fs::create_dir_all(out).map_err(|source| {
        ConvergeError::Output(OutputError::Io {
            path: out.to_path_buf(),
            source,
        })
    })?;
    let csv = write_file(out, CSV_FILE, &study.to_csv())?;
    let json = write_file(out, JSON_FILE, &(study.to_json() + "\n"))?;
    Ok(vec![csv, json])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_checked_and_sorted() {
        assert_eq!(
            check_steps(&[0.1, 1.0, 0.1, 0.5], 100.0).unwrap(),
            vec![1.0, 0.5, 0.1]
        );
        assert!(check_steps(&[], 100.0).is_err());
        assert!(check_steps(&[0.0], 100.0).is_err());
        assert!(check_steps(&[200.0], 100.0).is_err());
        assert!(is_multiple(0.25, 0.05));
        assert!(is_multiple(0.3, 0.1));
        assert!(!is_multiple(0.3, 0.2));
    }
}
