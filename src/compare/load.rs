//! Reading a results directory back ([`load_run`]): `data.bin` if present, else
//! `summary.json` and the CSV files (see the module doc of [`crate::compare`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::CompareError;
use crate::io::output::{read_data_bin, OutputError, DATA_FILE, SPIKES_FILE, SUMMARY_FILE};
use crate::recording::{AnalogSignal, DataBlock, EventCounts, PopulationData, SpikeTrain};

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
    if !dir.exists() {
        return Err(CompareError::NoSuchDirectory(dir.to_path_buf()));
    }
    if !dir.is_dir() {
        return Err(CompareError::NotADirectory(dir.to_path_buf()));
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
                    "line {line}: neuron {n} out of range for population \"{label}\" of {}",
                    crate::io::text::count(sizes[p] as u64, "cell")
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
