//! The exact backend against our own independent 50-digit reference (tests/reference/).
//!
//! For every directory `tests/reference/cases/<name>/` this runs the built binary
//! (`exactlif run model.toml --out <tempdir>`) and compares every CSV of `expected/` with the
//! candidate's: the same rows in the same order, spike times within 1e-9 ms, state values within
//! 1e-9 (mV / nA), sample times within 1e-9 ms, no missed or extra spike.  All failures of all
//! cases are collected first and reported together.  The expected files are committed data,
//! produced by `python3 tests/reference/make_cases.py` (see tests/reference/README.md); no Python
//! is needed here.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const SPIKE_TOL_MS: f64 = 1e-9;
const STATE_TOL: f64 = 1e-9;
const TIME_TOL_MS: f64 = 1e-9;
/// Failing rows reported per file (the count of all of them is reported too).
const MAX_DETAILS: usize = 8;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/cases")
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_table(path: &Path) -> Result<Table, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = match lines.next() {
        Some(h) => h.split(',').map(|s| s.trim().to_string()).collect(),
        None => return Err(format!("{}: empty file (no header)", path.display())),
    };
    let rows = lines
        .map(|l| l.split(',').map(|s| s.trim().to_string()).collect())
        .collect();
    Ok(Table { header, rows })
}

fn num(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

/// Compares one CSV file; pushes human-readable problems.
fn compare_file(file: &str, exp: &Table, cand: &Table, spike_tol: f64, problems: &mut Vec<String>) {
    if exp.header != cand.header {
        problems.push(format!(
            "{file}: header {:?}, expected {:?}",
            cand.header.join(","),
            exp.header.join(",")
        ));
        return;
    }
    let is_spikes = file == "spikes.csv";
    let tol = if is_spikes { spike_tol } else { STATE_TOL };
    let unit = match file {
        "spikes.csv" => "ms",
        "v.csv" => "mV",
        _ => "nA",
    };
    if exp.rows.len() != cand.rows.len() {
        let mut msg = format!(
            "{file}: {} rows, expected {}",
            cand.rows.len(),
            exp.rows.len()
        );
        if is_spikes {
            // say which cells have missed / extra spikes
            let count = |t: &Table| {
                let mut m = std::collections::BTreeMap::<(String, String), usize>::new();
                for r in &t.rows {
                    if r.len() >= 2 {
                        *m.entry((r[0].clone(), r[1].clone())).or_default() += 1;
                    }
                }
                m
            };
            let (ce, cc) = (count(exp), count(cand));
            let keys: std::collections::BTreeSet<_> = ce.keys().chain(cc.keys()).cloned().collect();
            for k in keys {
                let (a, b) = (
                    ce.get(&k).copied().unwrap_or(0),
                    cc.get(&k).copied().unwrap_or(0),
                );
                if a != b {
                    let _ = write!(msg, "; {}[{}]: {b} spikes, expected {a}", k.0, k.1);
                }
            }
            // and the first spike where the two lists part
            let n = exp.rows.len().min(cand.rows.len());
            let mut parted = false;
            for (i, (re, rc)) in exp.rows.iter().zip(&cand.rows).enumerate() {
                let same = re.len() == 3
                    && rc.len() == 3
                    && re[0] == rc[0]
                    && re[1] == rc[1]
                    && matches!((num(&re[2]), num(&rc[2])), (Some(a), Some(b)) if (a - b).abs() <= tol);
                if !same {
                    let _ = write!(
                        msg,
                        "; first difference at row {}: got {:?}, expected {:?}",
                        i + 2,
                        rc.join(","),
                        re.join(",")
                    );
                    parted = true;
                    break;
                }
            }
            if !parted {
                match (exp.rows.get(n), cand.rows.get(n)) {
                    (Some(re), _) => {
                        let _ = write!(
                            msg,
                            "; first missed spike (row {}): {:?}",
                            n + 2,
                            re.join(",")
                        );
                    }
                    (None, Some(rc)) => {
                        let _ = write!(
                            msg,
                            "; first extra spike (row {}): {:?}",
                            n + 2,
                            rc.join(",")
                        );
                    }
                    _ => {}
                }
            }
        }
        problems.push(msg);
        return;
    }
    let ncol = exp.header.len();
    let mut bad = 0usize;
    let mut max_err = 0.0f64;
    let mut details = Vec::new();
    for (i, (re, rc)) in exp.rows.iter().zip(&cand.rows).enumerate() {
        let line = i + 2;
        let mut why = None;
        if re.len() != ncol || rc.len() != ncol {
            why = Some(format!("{} fields", rc.len()));
        } else if re[0] != rc[0] || num(&re[1]) != num(&rc[1]) {
            why = Some("a different cell".to_string());
        } else if !is_spikes {
            match (num(&re[2]), num(&rc[2])) {
                (Some(a), Some(b)) if (a - b).abs() <= TIME_TOL_MS => {}
                _ => why = Some("a different sample time".to_string()),
            }
        }
        if why.is_none() {
            let col = ncol - 1;
            match (num(&re[col]), num(&rc[col])) {
                (Some(a), Some(b)) if b.is_finite() => {
                    let e = (a - b).abs();
                    max_err = max_err.max(e);
                    if e > tol {
                        why = Some(format!("error {e:.3e} {unit}"));
                    }
                }
                _ => why = Some("not a finite number".to_string()),
            }
        }
        if let Some(w) = why {
            bad += 1;
            if details.len() < MAX_DETAILS {
                details.push(format!(
                    "    line {line}: got {:?}, expected {:?} ({w})",
                    rc.join(","),
                    re.join(",")
                ));
            }
        }
    }
    if bad > 0 {
        problems.push(format!(
            "{file}: {bad} of {} rows differ (max error {max_err:.3e} {unit}, tolerance {tol:e}):\n{}{}",
            exp.rows.len(),
            details.join("\n"),
            if bad > details.len() { format!("\n    ... {} more", bad - details.len()) } else { String::new() }
        ));
    }
}

/// The spike-time tolerance of a case: [`SPIKE_TOL_MS`], unless the case carries a file
/// `spike_tol_ms.txt` whose first line is a number (and whose other lines say why). Only a case
/// whose crossing is too shallow for f64 may do so: with a slope v' (mV/ms) at the crossing, one
/// rounding of v near threshold (~3.6e-15 mV) moves the spike by 3.6e-15/v' ms.
fn spike_tolerance(dir: &Path) -> f64 {
    fs::read_to_string(dir.join("spike_tol_ms.txt"))
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(SPIKE_TOL_MS)
}

fn run_case(dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let out = tempfile::tempdir().expect("temporary directory");
    let model = dir.join("model.toml");
    let res = Command::new(env!("CARGO_BIN_EXE_exactlif"))
        .arg("run")
        .arg(&model)
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("cannot start the exactlif binary");
    if !res.status.success() {
        problems.push(format!(
            "`exactlif run {}` failed with {}: {}",
            model.display(),
            res.status,
            String::from_utf8_lossy(&res.stderr).trim()
        ));
        return problems;
    }
    assert_eq!(common::assert_summaries_no_cap_hits(out.path()), 1);
    let exp_dir = dir.join("expected");
    let mut files: Vec<_> = fs::read_dir(&exp_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", exp_dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    files.sort();
    for f in files {
        let exp = match read_table(&exp_dir.join(&f)) {
            Ok(t) => t,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        match read_table(&out.path().join(&f)) {
            Ok(cand) => compare_file(&f, &exp, &cand, spike_tolerance(dir), &mut problems),
            Err(e) => problems.push(format!("{f}: missing from the output ({e})")),
        }
    }
    problems
}

#[test]
fn exact_backend_matches_the_50_digit_reference() {
    let mut dirs: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("tests/reference/cases")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("model.toml").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases under {}", cases_dir().display());
    let mut failures = Vec::new();
    let mut passed = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let problems = run_case(dir);
        if problems.is_empty() {
            passed.push(name);
        } else {
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    eprintln!(
        "reference cases passed ({}): {}",
        passed.len(),
        passed.join(", ")
    );
    assert!(
        failures.is_empty(),
        "{} of {} reference cases FAIL (tolerances: spikes {SPIKE_TOL_MS:e} ms, states {STATE_TOL:e}):\n\n{}\n",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
