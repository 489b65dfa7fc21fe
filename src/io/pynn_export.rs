//! `exactlif export-pynn MODEL --out DIR`: the network exactlif simulates, fully materialised,
//! plus a standalone PyNN script that runs it on NEST, NEURON or Brian 2 and writes the results
//! in the layout of SPEC §4, so that `exactlif compare` can measure those simulators against
//! the exact reference.
//!
//! # What is written
//!
//! - `DIR/model.py`: the PyNN script (the same for every model; it reads the files below).
//!   `python DIR/model.py nest` (or `neuron`, `brian2`) writes `DIR/results_<simulator>/`.
//! - `DIR/network.json`: the simulation settings (with the seeding version the connections were
//!   drawn with); every population with its cell type (`cell_type`, and `pynn_cell_type`, the
//!   PyNN type the script creates: the neuron's own, `SpikeSourceArray` for spike sources) and
//!   every per-cell parameter and initial value of that cell type (`IF_curr_delta` has no
//!   `tau_syn_*` and no `isyn_*`) as drawn by exactlif (a number when all cells share it, else
//!   one value per cell); the spike times of every spike source, one list per cell, where every
//!   `SpikeSourcePoisson` is replaced by a `SpikeSourceArray` holding the very spikes exactlif's
//!   Poisson streams produce up to the model's duration (`poisson_times`); what each
//!   population records (`"all"` or a list of cells); the projections with the files of their
//!   connections; the injected currents as per-cell piecewise-constant step sources (cells with
//!   the same steps share one source).
//! - `DIR/projections/<i>.npy`: the connections of projection `i`, a NumPy array of `float64`
//!   with shape `(n, 4)` and columns `pre, post, weight, delay` (indices within the pre and post
//!   populations, weight in nA, or in mV onto `IF_curr_delta` cells, PyNN's unit for that cell
//!   type; delay in ms): the list `FromListConnector` takes as it is.
//!
//! # Projections
//!
//! The connections are taken from the built network (the engines' flat `NetData`), so they are exactly the
//! synapses exactlif simulates. They are grouped by (presynaptic population, postsynaptic
//! population, receptor type): a group is named after the model's projection(s) it comes from
//! (several model projections between the same populations and receptor are merged into one
//! PyNN projection, which simulates the same thing). Within a group connections are ordered by
//! presynaptic cell, then delay, then creation order; repeated (pre, post) pairs (multapses)
//! are kept.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rand_distr::{Distribution, Exp};
use serde::Serialize;

use crate::engine::{CellKind, NetData, PoissonCell, INHIBITORY_BIT};
use crate::io::atomic::AtomicFile;
use crate::io::model_file::Model;
use crate::io::output::OutputError;
use crate::model::if_curr_exp::{Params, State};
use crate::network::{Receptor, Var};

/// The PyNN script written as `model.py`.
pub const SCRIPT: &str = include_str!("pynn_model.py");

/// Name of the script in the export directory.
pub const SCRIPT_FILE: &str = "model.py";
/// Name of the network description in the export directory.
pub const NETWORK_FILE: &str = "network.json";
/// Folder of the connection files in the export directory.
pub const PROJECTIONS_DIR: &str = "projections";
/// Value of the `format` key of `network.json`.
pub const FORMAT: &str = "exactlif-pynn-export";
/// Version of the layout of `network.json` and the connection files.
pub const FORMAT_VERSION: u32 = 1;

/// The spike times that the exact engine emits for Poisson cell `p` in a run ending at `t_stop`
/// (ms): the same stream (`p.rng`, as at t = 0) and the same rule as the engine's scheduling —
/// exponential inter-spike intervals at `rate_hz / 1000` per ms, the first counted from
/// `start`, each next one from the previous spike; a spike at `t >= start + duration` ends the
/// train. Spikes at `t <= t_stop` are returned (the engine processes events at `t <= t_stop`).
pub(crate) fn poisson_times(p: &PoissonCell, t_stop: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if p.rate_hz.is_nan() || p.rate_hz <= 0.0 {
        return out;
    }
    let Ok(exp) = Exp::new(p.rate_hz / 1000.0) else {
        return out;
    };
    let mut rng = p.rng.clone();
    let end = p.start + p.duration;
    let mut from = p.start;
    loop {
        let t = from + exp.sample(&mut rng);
        if t >= end || t > t_stop {
            return out;
        }
        out.push(t);
        from = t;
    }
}

/// A per-cell value: one value for every cell (when all cells have the same, bit for bit), or
/// one per cell.
#[derive(Serialize)]
#[serde(untagged)]
enum Column<T = f64> {
    Same(T),
    PerCell(Vec<T>),
}

impl<T: Copy> Column<T> {
    fn of_by<K: PartialEq>(values: Vec<T>, key: impl Fn(T) -> K) -> Column<T> {
        match values.first() {
            Some(&x) if values.iter().all(|&y| key(y) == key(x)) => Column::Same(x),
            _ => Column::PerCell(values),
        }
    }
}

impl Column {
    fn of(values: Vec<f64>) -> Column {
        Column::of_by(values, f64::to_bits)
    }
}

/// Recorded cells: every cell, or a list.
#[derive(Serialize)]
#[serde(untagged)]
enum Cells {
    All(&'static str),
    List(Vec<u32>),
}

impl Cells {
    fn of(cells: &[u32], size: u32) -> Cells {
        if cells.len() == size as usize && cells.iter().enumerate().all(|(i, &c)| c == i as u32) {
            Cells::All("all")
        } else {
            Cells::List(cells.to_vec())
        }
    }
}

#[derive(Serialize)]
struct SimulationOut {
    timestep: f64,
    duration: f64,
    min_delay: f64,
    seed: u64,
    /// The seeding version the connections were drawn with (informative: they are written out).
    seeding: u32,
}

#[derive(Serialize)]
struct PoissonOut {
    rate: Column,
    start: Column,
    /// `null` for forever.
    duration: Column<Option<f64>>,
}

#[derive(Serialize)]
struct PopulationOut {
    label: String,
    size: u32,
    /// The cell type in the model file.
    cell_type: String,
    /// The PyNN cell type the script creates.
    pynn_cell_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<BTreeMap<&'static str, Column>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_values: Option<BTreeMap<&'static str, Column>>,
    /// One list of spike times (ms) per cell, for spike sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    spike_times: Option<Vec<Vec<f64>>>,
    /// The Poisson parameters the spike times were drawn with (for information).
    #[serde(skip_serializing_if = "Option::is_none")]
    poisson: Option<PoissonOut>,
    record: BTreeMap<&'static str, Cells>,
}

#[derive(Serialize)]
struct ProjectionOut {
    label: String,
    /// Labels of the model's projections merged into this one.
    model_projections: Vec<String>,
    presynaptic: String,
    postsynaptic: String,
    receptor_type: &'static str,
    connections: u64,
    file: String,
    columns: [&'static str; 4],
}

#[derive(Serialize)]
struct CurrentOut {
    population: String,
    cells: Vec<u32>,
    times: Vec<f64>,
    amplitudes: Vec<f64>,
}

/// One sine of an `ACSource` (the constant parts, offsets included, are in the
/// [`CurrentOut`] steps): `amplitude sin(2 pi frequency (t - start)/1000 + phase)` on
/// `[start, stop)`, phase in degrees at `start`.
#[derive(Serialize)]
struct AcOut {
    population: String,
    cells: Vec<u32>,
    amplitude: f64,
    frequency: f64,
    phase: f64,
    start: f64,
    stop: f64,
}

#[derive(Serialize)]
struct ExportOut {
    format: &'static str,
    format_version: u32,
    exactlif_version: &'static str,
    model_file: String,
    simulation: SimulationOut,
    populations: Vec<PopulationOut>,
    projections: Vec<ProjectionOut>,
    current_sources: Vec<CurrentOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ac_sources: Vec<AcOut>,
}

fn param(p: &Params, name: &str) -> f64 {
    match name {
        "cm" => p.cm,
        "tau_m" => p.tau_m,
        "tau_syn_E" => p.tau_syn_E,
        "tau_syn_I" => p.tau_syn_I,
        "tau_refrac" => p.tau_refrac,
        "v_rest" => p.v_rest,
        "v_reset" => p.v_reset,
        "v_thresh" => p.v_thresh,
        "i_offset" => p.i_offset,
        _ => unreachable!("unknown neuron parameter {name}"),
    }
}

fn state(s: &State, name: &str) -> f64 {
    match name {
        "v" => s.v,
        "isyn_exc" => s.isyn_exc,
        "isyn_inh" => s.isyn_inh,
        _ => unreachable!("unknown state variable {name}"),
    }
}

/// Population index and index within it of every global cell.
fn locate(net: &NetData, g: u32) -> (usize, u32) {
    let p = net.layout.partition_point(|l| l.offset <= g) - 1;
    (p, g - net.layout[p].offset)
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A file being written atomically ([`AtomicFile`]), with errors as [`OutputError`]s.
struct Atomic(AtomicFile);

impl Atomic {
    fn create(dir: &Path, name: &str) -> Result<Atomic, OutputError> {
        Ok(Atomic(AtomicFile::create(&dir.join(name), ".tmp")?))
    }

    fn writer(&self) -> BufWriter<&fs::File> {
        self.0.writer()
    }

    fn finish(self) -> Result<PathBuf, OutputError> {
        Ok(self.0.persist()?)
    }
}

/// The header of a version 1.0 `.npy` file holding a C-ordered little-endian `float64` array
/// of shape `(rows, cols)`: magic, version, header length, and the header dictionary padded
/// with spaces and a newline to a multiple of 64 bytes.
fn npy_header(rows: u64, cols: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let unpadded = 10 + dict.len() + 1;
    let total = unpadded.div_ceil(64) * 64;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// One group of synapses: (pre population, post population, inhibitory).
type GroupKey = (usize, usize, bool);

/// Every synapse of `net` as `(key, pre, post, weight, delay)`, in the network's order.
fn for_each_synapse(net: &NetData, mut f: impl FnMut(GroupKey, u32, u32, f64, f64)) {
    for g in 0..net.n_cells() {
        let (pre_pop, pre) = locate(net, g as u32);
        let groups = net.group_offsets[g] as usize..net.group_offsets[g + 1] as usize;
        for k in groups {
            let delay = net.group_delay[k];
            for s in net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize {
                let target = net.syn_target[s];
                let inh = target & INHIBITORY_BIT != 0;
                let (post_pop, post) = locate(net, target & !INHIBITORY_BIT);
                f(
                    (pre_pop, post_pop, inh),
                    pre,
                    post,
                    net.syn_weight[s],
                    delay,
                );
            }
        }
    }
}

fn populations(net: &NetData, duration: f64) -> Vec<PopulationOut> {
    let mut poisson_of = vec![usize::MAX; net.n_cells()];
    for (i, p) in net.poisson.iter().enumerate() {
        poisson_of[p.cell as usize] = i;
    }
    let mut out = Vec::with_capacity(net.layout.len());
    for l in &net.layout {
        let cells = l.offset as usize..(l.offset + l.size) as usize;
        let kind = net.kinds.get(l.offset as usize).copied();
        let mut record = BTreeMap::new();
        if !l.spikes.is_empty() {
            record.insert(Var::Spikes.name(), Cells::of(&l.spikes, l.size));
        }
        for (var, sel) in &l.signals {
            if !sel.is_empty() {
                record.insert(var.name(), Cells::of(sel, l.size));
            }
        }
        let mut pop = PopulationOut {
            label: l.label.clone(),
            size: l.size,
            cell_type: l.cell_type.clone(),
            pynn_cell_type: "SpikeSourceArray",
            parameters: None,
            initial_values: None,
            spike_times: None,
            poisson: None,
            record,
        };
        match kind {
            Some(CellKind::Neuron) => {
                // the model's own parameters and state variables, in PyNN's order
                // (IF_curr_delta: no tau_syn_*, no isyn_*)
                let model = net.models[l.offset as usize];
                pop.pynn_cell_type = model.name();
                let params = &net.params[cells.clone()];
                pop.parameters = Some(
                    model
                        .parameters()
                        .iter()
                        .map(|(name, _, _)| {
                            let col = params.iter().map(|p| param(p, name)).collect();
                            (*name, Column::of(col))
                        })
                        .collect(),
                );
                let init = &net.init[cells.clone()];
                pop.initial_values = Some(
                    model
                        .state_variables()
                        .iter()
                        .map(|(name, _, _)| {
                            let col = init.iter().map(|s| state(s, name)).collect();
                            (*name, Column::of(col))
                        })
                        .collect(),
                );
            }
            Some(CellKind::Array) => {
                pop.spike_times = Some(
                    cells
                        .map(|g| {
                            let (a, b) = net.array_ranges[g];
                            net.array_times[a as usize..b as usize].to_vec()
                        })
                        .collect(),
                );
            }
            Some(CellKind::Poisson) => {
                let sources: Vec<&PoissonCell> =
                    cells.map(|g| &net.poisson[poisson_of[g]]).collect();
                pop.spike_times =
                    Some(sources.iter().map(|p| poisson_times(p, duration)).collect());
                pop.poisson = Some(PoissonOut {
                    rate: Column::of(sources.iter().map(|p| p.rate_hz).collect()),
                    start: Column::of(sources.iter().map(|p| p.start).collect()),
                    duration: Column::of_by(
                        sources
                            .iter()
                            .map(|p| p.duration.is_finite().then_some(p.duration))
                            .collect(),
                        |d| d.map(f64::to_bits),
                    ),
                });
            }
            // an empty population
            None => pop.spike_times = Some(Vec::new()),
        }
        out.push(pop);
    }
    out
}

fn current_sources(net: &NetData) -> Vec<CurrentOut> {
    let mut per_cell: BTreeMap<u32, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for s in &net.current_switches {
        let e = per_cell.entry(s.cell).or_default();
        e.0.push(s.t);
        e.1.push(s.i_inj);
    }
    // cells of one population with the same steps share a source; sources in order of their
    // first cell
    let mut groups: BTreeMap<(usize, Vec<u64>, Vec<u64>), Vec<u32>> = BTreeMap::new();
    for (g, (times, amps)) in &per_cell {
        let (p, c) = locate(net, *g);
        let key = (
            p,
            times.iter().map(|x| x.to_bits()).collect(),
            amps.iter().map(|x| x.to_bits()).collect(),
        );
        groups.entry(key).or_default().push(c);
    }
    let mut out: Vec<CurrentOut> = groups
        .into_iter()
        .map(|((p, times, amps), cells)| CurrentOut {
            population: net.layout[p].label.clone(),
            cells,
            times: times.into_iter().map(f64::from_bits).collect(),
            amplitudes: amps.into_iter().map(f64::from_bits).collect(),
        })
        .collect();
    let pop_index = |label: &str| net.layout.iter().position(|l| l.label == label);
    out.sort_by_key(|c| (pop_index(&c.population), c.cells[0]));
    out
}

/// The sines of the network's drives as `ACSource`s: per cell, each sine from the switch
/// that starts it to the switch that ends it (a sine that goes on through a switch is one
/// source); cells of one population with the same sines share a source.
fn ac_sources(net: &NetData) -> Vec<AcOut> {
    use crate::engine::NO_DRIVE;
    use crate::model::ac_drive::Sine;
    // per cell: (sine, start, stop) in order of start
    let mut per_cell: BTreeMap<u32, Vec<(Sine, f64, f64)>> = BTreeMap::new();
    for s in &net.current_switches {
        let spans = per_cell.entry(s.cell).or_default();
        // the switch ends every open span whose sine it does not carry on
        let carried: Vec<Sine> = if s.drive == NO_DRIVE {
            Vec::new()
        } else {
            net.drives[s.drive as usize].sines.clone()
        };
        for span in spans.iter_mut().filter(|x| x.2 == f64::INFINITY) {
            if !carried.contains(&span.0) {
                span.2 = s.t;
            }
        }
        for sine in carried {
            if !spans.iter().any(|x| x.2 == f64::INFINITY && x.0 == sine) {
                spans.push((sine, s.t, f64::INFINITY));
            }
        }
    }
    let mut groups: BTreeMap<(usize, [u64; 5]), Vec<u32>> = BTreeMap::new();
    for (g, spans) in &per_cell {
        let (p, c) = locate(net, *g);
        for (sine, start, stop) in spans {
            // the phase at this span's start (degrees)
            let rad = sine.phase + sine.omega * (start - sine.t_ref);
            let phase = shortest_preimage(rad.to_degrees(), rad, f64::to_radians);
            let frequency = shortest_preimage(
                sine.omega * 1000.0 / (2.0 * std::f64::consts::PI),
                sine.omega,
                |f| 2.0 * std::f64::consts::PI * f / 1000.0,
            );
            let key = [sine.amplitude, frequency, phase, *start, *stop].map(f64::to_bits);
            groups.entry((p, key)).or_default().push(c);
        }
    }
    groups
        .into_iter()
        .map(|((p, key), cells)| {
            let [amplitude, frequency, phase, start, stop] = key.map(f64::from_bits);
            AcOut {
                population: net.layout[p].label.clone(),
                cells,
                amplitude,
                frequency,
                phase,
                start,
                // PyNN's "never"
                stop: if stop.is_finite() { stop } else { 1e12 },
            }
        })
        .collect()
}

/// The shortest decimal near `x` that `to` maps to `target` exactly (the frequency in Hz or
/// the phase in degrees the model file gave, rather than `x`, its image computed back with
/// rounding), or `x` if there is none.
fn shortest_preimage(x: f64, target: f64, to: impl Fn(f64) -> f64) -> f64 {
    (0..17)
        .filter_map(|digits| format!("{x:.digits$e}").parse::<f64>().ok())
        .find(|&c| to(c).to_bits() == target.to_bits())
        .unwrap_or(x)
}

/// Writes the export of `model`, whose built network is `net`, into `dir` (created if
/// needed): `model.py`, `network.json` and `projections/<i>.npy`. Every file is written
/// atomically. Returns the paths written.
pub fn export_pynn(model: &Model, net: &NetData, dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let proj_dir = dir.join(PROJECTIONS_DIR);
    fs::create_dir_all(&proj_dir).map_err(io_err(&proj_dir))?;
    let mut written = Vec::new();

    // Projection groups: counted first, then streamed to one file each.
    let mut counts: BTreeMap<GroupKey, u64> = BTreeMap::new();
    for_each_synapse(net, |key, _, _, _, _| *counts.entry(key).or_default() += 1);
    let mut order: Vec<(usize, GroupKey, Vec<String>)> = Vec::new();
    for &key in counts.keys() {
        let mut labels = Vec::new();
        let mut first = usize::MAX;
        for (i, pr) in model.network.projections.iter().enumerate() {
            let inh = pr.receptor == Receptor::Inhibitory;
            if (pr.pre.population, pr.post.population, inh) == key {
                first = first.min(i);
                labels.push(pr.label.clone());
            }
        }
        order.push((first, key, labels));
    }
    order.sort_by_key(|o| (o.0, o.1));
    let mut projections = Vec::with_capacity(order.len());
    let mut files: BTreeMap<GroupKey, Atomic> = BTreeMap::new();
    for (i, (_, key, labels)) in order.iter().enumerate() {
        let (pre, post, inh) = *key;
        let name = format!("{i}.npy");
        let file = Atomic::create(&proj_dir, &name)?;
        file.0
            .as_file()
            .write_all(&npy_header(counts[key], 4))
            .map_err(io_err(file.0.path()))?;
        let pre_label = &net.layout[pre].label;
        let post_label = &net.layout[post].label;
        let receptor = if inh { "inhibitory" } else { "excitatory" };
        projections.push(ProjectionOut {
            label: if labels.is_empty() {
                format!("{pre_label}->{post_label} ({receptor})")
            } else {
                labels.join(" + ")
            },
            model_projections: labels.clone(),
            presynaptic: pre_label.clone(),
            postsynaptic: post_label.clone(),
            receptor_type: receptor,
            connections: counts[key],
            file: format!("{PROJECTIONS_DIR}/{name}"),
            columns: ["pre", "post", "weight", "delay"],
        });
        files.insert(*key, file);
    }
    {
        let mut writers: BTreeMap<GroupKey, BufWriter<&fs::File>> =
            files.iter().map(|(k, f)| (*k, f.writer())).collect();
        let mut failure: Option<(GroupKey, io::Error)> = None;
        for_each_synapse(net, |key, pre, post, w, d| {
            if failure.is_some() {
                return;
            }
            let out = writers.get_mut(&key).expect("counted");
            let mut row = [0u8; 32];
            for (j, x) in [pre as f64, post as f64, w, d].into_iter().enumerate() {
                row[8 * j..8 * j + 8].copy_from_slice(&x.to_le_bytes());
            }
            if let Err(e) = out.write_all(&row) {
                failure = Some((key, e));
            }
        });
        if let Some((key, e)) = failure {
            return Err(io_err(files[&key].0.path())(e));
        }
        for (key, mut w) in writers {
            w.flush().map_err(io_err(files[&key].0.path()))?;
        }
    }
    for (_, file) in files {
        written.push(file.finish()?);
    }

    let export = ExportOut {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        exactlif_version: env!("CARGO_PKG_VERSION"),
        model_file: model.path.display().to_string(),
        simulation: SimulationOut {
            timestep: net.timestep,
            duration: model.duration,
            min_delay: net.min_delay,
            seed: net.seed,
            seeding: model.network.setup.seeding.number(),
        },
        populations: populations(net, model.duration),
        projections,
        current_sources: current_sources(net),
        ac_sources: ac_sources(net),
    };
    let json = Atomic::create(dir, NETWORK_FILE)?;
    {
        let mut w = json.writer();
        serde_json::to_writer(&mut w, &export).map_err(|source| OutputError::Json {
            path: json.0.path().to_path_buf(),
            source,
        })?;
        w.write_all(b"\n")
            .and_then(|_| w.flush())
            .map_err(io_err(json.0.path()))?;
    }
    written.push(json.finish()?);

    let script = Atomic::create(dir, SCRIPT_FILE)?;
    script
        .0
        .as_file()
        .write_all(SCRIPT.as_bytes())
        .map_err(io_err(script.0.path()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = script
            .0
            .as_file()
            .set_permissions(fs::Permissions::from_mode(0o755));
    }
    written.push(script.finish()?);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{CellType, Network, Setup};

    #[test]
    fn npy_header_is_aligned() {
        for rows in [0u64, 7, 12_345_678_901] {
            let h = npy_header(rows, 4);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(h.last(), Some(&b'\n'));
            let hlen = u16::from_le_bytes([h[8], h[9]]) as usize;
            assert_eq!(hlen + 10, h.len());
            let text = std::str::from_utf8(&h[10..]).unwrap();
            assert!(text.contains(&format!("'shape': ({rows}, 4)")), "{text}");
        }
    }

    /// The helper reproduces, spike for spike and bit for bit, what the exact engine emits for
    /// a recorded Poisson population (with a start, a finite duration and one silent cell).
    #[test]
    fn poisson_times_equal_the_exact_engines_spikes() {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 7,
            min_delay: None,
            seeding: Default::default(),
        });
        let noise = net
            .create("noise", 6, CellType::SpikeSourcePoisson)
            .unwrap();
        net.set(&noise, "rate", vec![50.0, 200.0, 0.0, 10.0, 1000.0, 80.0])
            .unwrap();
        net.set(&noise, "start", 5.0).unwrap();
        net.set(&noise, "duration", vec![1e9, 30.0, 10.0, 100.0, 2.0, 50.0])
            .unwrap();
        net.record(noise, &[Var::Spikes]).unwrap();
        // PyNN's default duration: forever
        let forever = net
            .create("forever", 2, CellType::SpikeSourcePoisson)
            .unwrap();
        net.set(&forever, "rate", 300.0).unwrap();
        net.record(forever, &[Var::Spikes]).unwrap();
        let mut sim = net.build().unwrap();
        let t_stop = 60.0;
        sim.run(t_stop);
        let data = sim.get_data();
        let trains: Vec<&Vec<f64>> = data
            .populations
            .iter()
            .flat_map(|p| p.spiketrains.iter().map(|t| &t.times_ms))
            .collect();
        let nd = sim.net();
        assert_eq!(nd.poisson.len(), 8);
        let mut total = 0;
        for (i, p) in nd.poisson.iter().enumerate() {
            let mine = poisson_times(p, t_stop);
            assert_eq!(&mine, trains[i], "cell {i}");
            total += mine.len();
        }
        assert!(total > 20, "too few spikes to test anything: {total}");
    }
}
