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
//! ([`MIN_TOLERANCE_MS`]), or `--tolerance-ms`. Twice the step is what a step-based scheme
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
//! [`Study`]) and `converge.png` ([`plot_study`]): log-log, the mean absolute spike-time
//! error against the step with the fitted orders in the legend, and the missed + extra spikes
//! against the step.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use serde::Serialize;

use crate::compare::{compare_runs, num, DataSource, Report, Run};
use crate::engine::Backend;
use crate::io::model_file::{Model, ModelError};
use crate::io::output::OutputError;
use crate::plot::{draw_text, frame, Area, Place, PlotError};
use crate::recording::DataBlock;

/// What went wrong in a convergence study.
#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    /// The steps or the tolerance are invalid.
    #[error("{0}")]
    Invalid(String),
    /// The model is invalid at one of the steps.
    #[error("{0}")]
    Model(Box<ModelError>),
    /// Writing the study failed.
    #[error("{0}")]
    Output(#[from] OutputError),
    /// Drawing its figure failed.
    #[error("{0}")]
    Plot(#[from] PlotError),
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
/// The figure.
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
    /// Whether the tolerance was given (`--tolerance-ms`) rather than the default.
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
        return Err(ConvergeError::Invalid(
            "--steps: give at least one step (ms)".into(),
        ));
    }
    for &h in steps {
        if !(h.is_finite() && h > 0.0) {
            return Err(ConvergeError::Invalid(format!(
                "--steps: every step must be a finite number > 0 ms, got {h}"
            )));
        }
        if h > duration_ms {
            return Err(ConvergeError::Invalid(format!(
                "--steps: the step {h} ms is longer than the run ({duration_ms} ms)"
            )));
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
            return Err(ConvergeError::Invalid(format!(
                "--tolerance-ms must be a finite number >= 0, got {t}"
            )));
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
                "exact at timestep {eh} ms: {spikes} spikes, {:.3} s",
                data.wall_time_s
            ));
            exact_runs.push(ExactRun {
                timestep_ms: eh,
                spikes,
                wall_time_s: data.wall_time_s,
            });
            if eh != h_min {
                notes.push(format!(
                    "step {h} ms is not a whole multiple of the smallest step {h_min} ms: it is compared with its own exact run at timestep {h} ms"
                ));
            }
            exact.push(in_memory(data, format!("exact run at timestep {eh} ms")));
        }
        exact_for.push(eh);
    }
    for &h in &steps {
        if let Some(d) = shortest_delay_ms {
            if h > d * (1.0 + REL) {
                notes.push(format!(
                    "step {h} ms exceeds the network's shortest delay ({d} ms; min_delay {} ms): the step backends lengthen the delays below one step to one step (as NEST with min_delay raised to the resolution); rows flagged delays_lengthened",
                    model.network.setup.min_delay()
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
            let cand = in_memory(data, format!("{backend} run at step {h} ms"));
            let report = compare_runs(reference, &cand, Some(tolerance))
                .map_err(|e| ConvergeError::Invalid(e.to_string()))?;
            let lengthened = shortest_delay_ms.is_some_and(|d| h > d * (1.0 + REL));
            let mut row = row_of(&report, backend, h, eh, lengthened);
            row.wall_time_s = wall;
            progress(&format!(
                "{backend} at step {h} ms: {} matched, {} missed, {} extra, {:.3} s",
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
type RowValue = fn(&Row) -> Option<f64>;

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
            self.duration_ms,
            self.exact_runs
                .iter()
                .map(|e| format!("{} ms", e.timestep_ms))
                .collect::<Vec<_>>()
                .join(", "),
            self.tolerance_ms
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
                    r.step_ms,
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

/// Writes `converge.csv`, `converge.json` and `converge.png` into `out` (created if needed);
/// returns the paths.
pub fn write_study(study: &Study, out: &Path) -> Result<Vec<PathBuf>, ConvergeError> {
    std::fs::create_dir_all(out).map_err(|source| {
        ConvergeError::Output(OutputError::Io {
            path: out.to_path_buf(),
            source,
        })
    })?;
    let csv = write_file(out, CSV_FILE, &study.to_csv())?;
    let json = write_file(out, JSON_FILE, &(study.to_json() + "\n"))?;
    let png = out.join(PNG_FILE);
    plot_study(study, &png)?;
    Ok(vec![csv, json, png])
}

// ---------------------------------------------------------------------------------------------
// Figure

/// Figure width (px).
const FIG_WIDTH: u32 = 1400;
/// Figure height (px).
const FIG_HEIGHT: u32 = 640;
/// Height of the title band (px).
const FIG_TITLE: u32 = 64;
/// Margins of each chart inside its panel (px): left (tick labels and axis name), right,
/// top (caption), bottom (tick labels and axis name).
const MARGIN: (u32, u32, u32, u32) = (100, 30, 44, 76);

/// Colour and marker of a backend.
fn style_of(backend: &str) -> (RGBColor, bool) {
    match backend {
        "grid" => (RGBColor(31, 119, 180), true),
        _ => (RGBColor(214, 39, 40), false),
    }
}

/// Decade-based ticks for a log10 axis over `range` (log10 units): labelled ticks (at
/// 1, 2 and 5 times powers of ten when the axis spans less than two and a half decades, at 1
/// and 3 times powers of ten below five decades, else at powers of ten) and unlabelled minor
/// ticks (every other integer times a power of ten).
fn log_ticks(range: &Range<f64>) -> (Vec<f64>, Vec<f64>) {
    let span = range.end - range.start;
    let mantissas: &[f64] = if span < 2.5 {
        &[1.0, 2.0, 5.0]
    } else if span < 5.0 {
        &[1.0, 3.0]
    } else {
        &[1.0]
    };
    let (mut major, mut minor) = (Vec::new(), Vec::new());
    for k in (range.start.floor() as i32 - 1)..=(range.end.ceil() as i32) {
        for m in 1..10 {
            let x = (m as f64).log10() + k as f64;
            if x < range.start - 1e-9 || x > range.end + 1e-9 {
                continue;
            }
            if mantissas.contains(&(m as f64)) {
                major.push(x);
            } else {
                minor.push(x);
            }
        }
    }
    (major, minor)
}

/// The label of a tick at `10^x` with `x = log10(m) + k`: plain (`0.05`, `2`, `100`) from 1e-3
/// to 1e4, `me-k` outside.
fn log_label(x: f64) -> String {
    let k = x.floor();
    let m = 10f64.powf(x - k).round() as i64;
    let k = k as i32;
    if (-3..=4).contains(&k) {
        if k >= 0 {
            format!("{}", m * 10i64.pow(k as u32))
        } else {
            format!("{:.*}", (-k) as usize, m as f64 * 10f64.powi(k))
        }
    } else {
        format!("{m}e{k}")
    }
}

/// A log10 range holding `lo ..= hi` (positive values) with some room, at least one decade.
fn log_range(lo: f64, hi: f64) -> Range<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    let pad = 0.12 * (b - a).max(0.5);
    let (mut a, mut b) = (a - pad, b + pad);
    if b - a < 1.0 {
        let mid = (a + b) / 2.0;
        a = mid - 0.5;
        b = mid + 0.5;
    }
    a..b
}

type LogChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One panel's chart with a log-log frame: grid lines, frame, tick labels (y labels given by
/// `y_label`, `None` for an unlabelled tick), axis names and caption. Coordinates are log10.
#[allow(clippy::too_many_arguments)]
fn log_panel<'a, 'b>(
    root: &Area<'_>,
    panel: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    caption: &str,
    x: Range<f64>,
    y: Range<f64>,
    y_ticks: &[(f64, String)],
    y_minor: &[f64],
    y_name: &str,
) -> Result<LogChart<'a, 'b>, String> {
    let msg = |e: &dyn std::fmt::Display| e.to_string();
    let ((px0, py0), (pw, _)) = frame(panel);
    let chart = ChartBuilder::on(panel)
        .margin_left(MARGIN.0)
        .margin_right(MARGIN.1)
        .margin_top(MARGIN.2)
        .margin_bottom(MARGIN.3)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(|e| msg(&e))?;
    let (xmaj, xmin) = log_ticks(&x);
    let light = BLACK.mix(0.07);
    let bold = BLACK.mix(0.18);
    let area = chart.plotting_area().clone();
    for &t in &xmin {
        area.draw(&PathElement::new(vec![(t, y.start), (t, y.end)], light))
            .map_err(|e| msg(&e))?;
    }
    for &t in y_minor {
        area.draw(&PathElement::new(vec![(x.start, t), (x.end, t)], light))
            .map_err(|e| msg(&e))?;
    }
    for &t in &xmaj {
        area.draw(&PathElement::new(vec![(t, y.start), (t, y.end)], bold))
            .map_err(|e| msg(&e))?;
    }
    for (t, _) in y_ticks {
        area.draw(&PathElement::new(vec![(x.start, *t), (x.end, *t)], bold))
            .map_err(|e| msg(&e))?;
    }
    area.draw(&Rectangle::new(
        [(x.start, y.start), (x.end, y.end)],
        BLACK.stroke_width(1),
    ))
    .map_err(|e| msg(&e))?;
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    for &t in &xmaj {
        let (cx, _) = chart.backend_coord(&(t, y.start));
        let place = Place {
            x: cx,
            y: ys.end + 16,
            h: HPos::Center,
            vertical: false,
        };
        draw_text(root, &log_label(t), 16.0, place, BLACK)?;
    }
    for (t, label) in y_ticks {
        let (_, cy) = chart.backend_coord(&(x.start, *t));
        let place = Place {
            x: xs.start - 10,
            y: cy,
            h: HPos::Right,
            vertical: false,
        };
        draw_text(root, label, 16.0, place, BLACK)?;
    }
    let below = Place {
        x: (xs.start + xs.end) / 2,
        y: ys.end + 48,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, "step h (ms)", 18.0, below, BLACK)?;
    let left = Place {
        x: px0 + 22,
        y: (ys.start + ys.end) / 2,
        h: HPos::Center,
        vertical: true,
    };
    draw_text(root, y_name, 18.0, left, BLACK)?;
    let top = Place {
        x: px0 + pw / 2 + (MARGIN.0 as i32 - MARGIN.1 as i32) / 2,
        y: py0 + MARGIN.2 as i32 / 2,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, caption, 20.0, top, BLACK)?;
    Ok(chart)
}

/// Draws a backend's series: a line through the points (log10 coordinates) and a marker at
/// each (filled circle for grid, filled triangle for euler).
fn draw_series(
    root: &Area<'_>,
    chart: &LogChart<'_, '_>,
    backend: &str,
    pts: &[(f64, f64)],
) -> Result<(), String> {
    let (color, circle) = style_of(backend);
    chart
        .plotting_area()
        .draw(&PathElement::new(pts.to_vec(), color.stroke_width(2)))
        .map_err(|e| e.to_string())?;
    for p in pts {
        marker(root, chart.backend_coord(p), color, circle)?;
    }
    Ok(())
}

/// A marker centred on the absolute pixel `m`.
fn marker(root: &Area<'_>, m: (i32, i32), color: RGBColor, circle: bool) -> Result<(), String> {
    // The circle is larger than the triangle, so that a grid point under a euler point
    // still shows.
    if circle {
        root.draw(&Circle::new(m, 8, color.filled()))
            .map_err(|e| e.to_string())
    } else {
        root.draw(&Polygon::new(
            vec![(m.0, m.1 - 6), (m.0 - 6, m.1 + 4), (m.0 + 6, m.1 + 4)],
            color.filled(),
        ))
        .map_err(|e| e.to_string())
    }
}

/// A legend box at the top-left corner of the chart's plotting area: one entry per
/// `(backend or "" for a dashed guide, text)`.
fn legend(
    root: &Area<'_>,
    chart: &LogChart<'_, '_>,
    entries: &[(String, String)],
) -> Result<(), String> {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let font_px = 16.0;
    let row_h = 24;
    let width = entries
        .iter()
        .map(|(_, t)| t.chars().count() as i32 * 9 + 60)
        .max()
        .unwrap_or(100);
    let (x0, y0) = (xs.start + 12, ys.start + 12);
    let h = row_h * entries.len() as i32 + 10;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + width, y0 + h)],
        WHITE.mix(0.9).filled(),
    ))
    .map_err(|e| e.to_string())?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + width, y0 + h)],
        BLACK.mix(0.3).stroke_width(1),
    ))
    .map_err(|e| e.to_string())?;
    for (i, (backend, text)) in entries.iter().enumerate() {
        let cy = y0 + 5 + row_h * i as i32 + row_h / 2;
        let (lx0, lx1) = (x0 + 10, x0 + 44);
        if backend.is_empty() {
            dashed(root, (lx0, cy), (lx1, cy), RGBColor(110, 110, 110))?;
        } else {
            let (color, circle) = style_of(backend);
            root.draw(&PathElement::new(
                vec![(lx0, cy), (lx1, cy)],
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
            marker(root, ((lx0 + lx1) / 2, cy), color, circle)?;
        }
        let place = Place {
            x: lx1 + 10,
            y: cy,
            h: HPos::Left,
            vertical: false,
        };
        draw_text(root, text, font_px, place, BLACK)?;
    }
    Ok(())
}

/// A dashed line between two absolute pixels.
fn dashed(root: &Area<'_>, a: (i32, i32), b: (i32, i32), color: RGBColor) -> Result<(), String> {
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let len = (dx * dx + dy * dy).sqrt();
    let (dash, gap) = (8.0, 6.0);
    let mut s = 0.0;
    while s < len {
        let e = (s + dash).min(len);
        let p = |u: f64| {
            (
                a.0 + (dx * u / len).round() as i32,
                a.1 + (dy * u / len).round() as i32,
            )
        };
        root.draw(&PathElement::new(vec![p(s), p(e)], color.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        s += dash + gap;
    }
    Ok(())
}

/// Draws `converge.png` (written atomically): left, the mean absolute spike-time error against
/// the step, log-log, per backend, with the fitted order in the legend and a dashed slope-1
/// guide; right, missed + extra spikes against the step (log y, zero on its own row below 1).
pub fn plot_study(study: &Study, path: &Path) -> Result<(), PlotError> {
    crate::plot::write_png(path, (FIG_WIDTH, FIG_HEIGHT), |root| {
        draw_study(root, study)
    })
}

fn draw_study(root: &Area<'_>, study: &Study) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (title_area, body) = root.split_vertically(FIG_TITLE);
    let ((tx, ty), (tw, th)) = frame(&title_area);
    let stem = Path::new(&study.model)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| study.model.clone());
    let title = format!(
        "{stem}: step-based backends against the exact run ({} ms, spikes matched within {} ms)",
        study.duration_ms, study.tolerance_ms
    );
    let place = Place {
        x: tx + tw / 2,
        y: ty + th / 2,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, &title, 24.0, place, BLACK)?;
    let (left, right) = body.split_horizontally(FIG_WIDTH / 2);

    let h_lo = study.steps_ms.last().copied().unwrap_or(0.1);
    let h_hi = study.steps_ms.first().copied().unwrap_or(1.0);
    let x = log_range(h_lo, h_hi);

    // Left: spike-time error.
    let series = |get: RowValue| -> Vec<(String, Vec<(f64, f64)>)> {
        STEP_BACKENDS
            .iter()
            .map(|b| {
                let pts = study
                    .rows_of(b.name())
                    .filter_map(|r| get(r).filter(|e| *e > 0.0).map(|e| (r.step_ms, e)))
                    .collect();
                (b.name().to_string(), pts)
            })
            .collect()
    };
    let errs = series(|r| r.mean_abs_error_ms);
    let all: Vec<f64> = errs
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .collect();
    let (lo, hi) = if all.is_empty() {
        (0.01, 1.0)
    } else {
        (
            all.iter().copied().fold(f64::INFINITY, f64::min),
            all.iter().copied().fold(0.0, f64::max),
        )
    };
    let mut y = log_range(lo, hi);
    // Room for the legend at the top.
    y.end += 0.3 * (y.end - y.start);
    let (ymaj, ymin) = log_ticks(&y);
    let yt: Vec<(f64, String)> = ymaj.iter().map(|&t| (t, log_label(t))).collect();
    let chart = log_panel(
        root,
        &left,
        "spike-time error",
        x.clone(),
        y.clone(),
        &yt,
        &ymin,
        "mean |t_step - t_exact| (ms)",
    )?;
    // Slope-1 guide through the middle of the data, half a decade below it.
    if !all.is_empty() {
        let (x0, x1) = (h_lo.log10(), h_hi.log10());
        let ymid = (lo.log10() + hi.log10()) / 2.0 - 0.35;
        let xm = (x0 + x1) / 2.0;
        // y = ymid + (x - xm), clipped to the chart.
        let xa = x0.max(y.start - ymid + xm);
        let xb = x1.min(y.end - ymid + xm);
        if xa < xb {
            let a = chart.backend_coord(&(xa, ymid + (xa - xm)));
            let b = chart.backend_coord(&(xb, ymid + (xb - xm)));
            dashed(root, a, b, RGBColor(110, 110, 110))?;
        }
    }
    let mut entries = Vec::new();
    for (b, pts) in &errs {
        let log_pts: Vec<(f64, f64)> = pts.iter().map(|(h, e)| (h.log10(), e.log10())).collect();
        draw_series(root, &chart, b, &log_pts)?;
        let order = study
            .order(b, "mean_abs_error_ms")
            .map_or_else(|| "no fit".to_string(), |p| format!("fitted order {p:.2}"));
        entries.push((b.clone(), format!("{b}: {order}")));
    }
    entries.push((String::new(), "slope 1 (first order)".into()));
    legend(root, &chart, &entries)?;

    // Right: missed + extra.
    let counts: Vec<(String, Vec<(f64, u64)>)> = STEP_BACKENDS
        .iter()
        .map(|b| {
            let pts = study
                .rows_of(b.name())
                .filter_map(|r| match (r.missed, r.extra) {
                    (Some(m), Some(e)) => Some((r.step_ms, m + e)),
                    _ => None,
                })
                .collect();
            (b.name().to_string(), pts)
        })
        .collect();
    let cmax = counts
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .max()
        .unwrap_or(0)
        .max(10);
    // log10(count) for count >= 1; zero on its own row half a decade below 1.
    let zero_row = -0.6;
    let yc = zero_row - 0.25..(cmax as f64).log10() * 1.25 + 0.2;
    let (cmaj, cmin) = log_ticks(&(0.0..yc.end));
    let mut ct: Vec<(f64, String)> = vec![(zero_row, "0".into())];
    ct.extend(cmaj.iter().map(|&t| (t, log_label(t))));
    let chart = log_panel(
        root,
        &right,
        "spikes that do not match",
        x.clone(),
        yc.clone(),
        &ct,
        &cmin,
        "missed + extra spikes",
    )?;
    // The break between the zero row and 1.
    let a = chart.backend_coord(&(x.start, zero_row / 2.0));
    let b = chart.backend_coord(&(x.end, zero_row / 2.0));
    dashed(root, a, b, RGBColor(170, 170, 170))?;
    let mut entries = Vec::new();
    for (b, pts) in &counts {
        let log_pts: Vec<(f64, f64)> = pts
            .iter()
            .map(|&(h, c)| {
                (
                    h.log10(),
                    if c == 0 { zero_row } else { (c as f64).log10() },
                )
            })
            .collect();
        draw_series(root, &chart, b, &log_pts)?;
        entries.push((b.clone(), b.clone()));
    }
    legend(root, &chart, &entries)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_ticks() {
        assert_eq!(log_label(0.0), "1");
        assert_eq!(log_label(2f64.log10() - 2.0), "0.02");
        assert_eq!(log_label(5f64.log10() + 1.0), "50");
        assert_eq!(log_label(-6.0), "1e-6");
        let (major, minor) = log_ticks(&(-2.0..0.0));
        assert_eq!(major.len(), 7); // 0.01 0.02 0.05 0.1 0.2 0.5 1
        assert_eq!(minor.len(), 12);
    }

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
