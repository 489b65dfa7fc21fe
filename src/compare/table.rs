//! The report as a text table ([`Report::to_table`]) and the number format of the crate's text
//! tables ([`num`]).

use super::load::DataSource;
use super::report::{Report, RunInfo, SpikeStats, VarStats};
use crate::io::text::number;

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

/// What a report's text calls the tolerance and the gate it was given: parameter names by
/// default ([`Report::to_table`]); a front end passes its own (the command line its flags).
#[derive(Clone, Copy, Debug)]
pub struct TableNames<'a> {
    /// The name of a given matching tolerance (default `tolerance_ms`).
    pub tolerance: &'a str,
    /// The name of the gate's threshold (default `fail_over_ms`).
    pub gate: &'a str,
}

impl Default for TableNames<'_> {
    fn default() -> Self {
        TableNames {
            tolerance: "tolerance_ms",
            gate: "fail_over_ms",
        }
    }
}

impl Report {
    /// The report as a human-readable table.
    pub fn to_table(&self) -> String {
        self.to_table_named(TableNames::default())
    }

    /// [`Report::to_table`] with the tolerance and the gate called by `names`.
    pub fn to_table_named(&self, names: TableNames) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let run = |w: &mut String, name: &str, r: &RunInfo| {
            let _ = writeln!(
                w,
                "{name}: {} (backend {}, timestep {} ms, {} ms, from {})",
                r.dir,
                r.backend,
                r.timestep_ms.map_or("?".to_string(), number),
                number(r.duration_ms),
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
            number(self.compared_until_ms),
            number(self.tolerance_ms),
            if self.tolerance_given { names.tolerance } else { "default: 2 x the larger timestep" }
        );
        let _ = writeln!(
            o,
            "van Rossum distance D: tau = {} ms, one unmatched spike = 1; mean and max over cells\n",
            number(self.van_rossum_tau_ms)
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
                wst.population,
                wst.neuron,
                number(wst.reference_ms),
                number(wst.candidate_ms)
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
                        x.population,
                        x.neuron,
                        number(x.time_ms),
                        number(x.reference),
                        number(x.candidate)
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
                    "\ngate {} {} ms: passed (no missed or extra spike, every matched error <= {} ms)",
                    names.gate,
                    number(g.fail_over_ms),
                    number(g.fail_over_ms)
                );
            } else {
                let _ = writeln!(
                    o,
                    "\ngate {} {} ms: FAILED",
                    names.gate,
                    number(g.fail_over_ms)
                );
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

    #[test]
    fn numbers_in_the_table() {
        assert_eq!(num(None), "-");
        assert_eq!(num(Some(0.0)), "0");
        assert_eq!(num(Some(0.05)), "0.05000");
        assert_eq!(num(Some(12.5)), "12.50");
        assert_eq!(num(Some(1e-12)), "1.000e-12");
    }
}
