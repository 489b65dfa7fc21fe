//! The comparison of two runs ([`compare_runs`]), its [`Report`] and the report's gate
//! ([`Report::apply_gate`]).

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::load::{load_run, DataSource, Run};
use super::matching::{match_spikes, van_rossum};
use super::CompareError;
use crate::io::text::{count, number};
use crate::recording::{AnalogSignal, DataBlock, SpikeTrain};

/// Time constant of the van Rossum kernel (ms).
pub const VAN_ROSSUM_TAU_MS: f64 = 10.0;

/// Relative tolerance within which two sample times count as the same.
const SAME_TIME_REL: f64 = 1e-9;

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

/// The outcome of the gate ([`Report::apply_gate`]).
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
    /// Whether the tolerance was given or the default.
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
    /// The gate, if one was applied.
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
                "population \"{}\" has {} in the reference but {} in the candidate",
                p.label,
                count(p.size as u64, "cell"),
                q.size
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
        Some(t) => return Err(CompareError::InvalidTolerance(t)),
        None => {
            let h = [r.timestep_ms, c.timestep_ms]
                .into_iter()
                .filter(|x| x.is_finite() && *x > 0.0)
                .fold(f64::NAN, f64::max);
            if h.is_nan() {
                return Err(CompareError::NoDefaultTolerance);
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

impl Report {
    /// Applies the gate (module doc) and records it in the report; returns
    /// whether it passed.
    pub fn apply_gate(&mut self, fail_over_ms: f64) -> bool {
        let s = &self.spikes;
        let mut reasons = Vec::new();
        if s.missed > 0 {
            reasons.push(format!(
                "{} (no candidate spike within {} ms)",
                count(s.missed, "missed spike"),
                number(self.tolerance_ms)
            ));
        }
        if s.extra > 0 {
            reasons.push(format!(
                "{} (no reference spike within {} ms)",
                count(s.extra, "extra spike"),
                number(self.tolerance_ms)
            ));
        }
        if let Some(m) = s.max_abs_error_ms {
            if m.is_nan() || m > fail_over_ms {
                let w = s.worst.as_ref().expect("pairs exist");
                reasons.push(format!(
                    "largest spike-time error {} ms > {} ms (population \"{}\", neuron {}, reference {} ms, candidate {} ms)",
                    number(m),
                    number(fail_over_ms),
                    w.population,
                    w.neuron,
                    number(w.reference_ms),
                    number(w.candidate_ms)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_times_merge() {
        let a: Vec<f64> = (0..=10).map(|k| k as f64 * 0.1).collect();
        let b: Vec<f64> = (0..=40).map(|k| k as f64 * 0.025).collect();
        let c = common_times(&a, &b);
        assert_eq!(c.len(), 11);
        assert!(c.iter().all(|&(i, j)| j == 4 * i));
    }
}
