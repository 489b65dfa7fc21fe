//! The cells of a network: per-cell parameters and initial values (drawn and validated),
//! spike-array times, Poisson sources, the recording layout and the injected currents.

use super::super::random::stream;
use super::super::{
    check_poisson_parameter, BuildError, CellType, CurrentSource, Network, PopulationSpec,
    SpikeTimes, Value, Var, POISSON_PARAMETERS,
};
use crate::engine::{CellKind, NetData, PoissonCell, Switch, NO_DRIVE};
use crate::model::ac_drive::{Drive, Sine};
use crate::model::if_curr_exp::{self, Params, State};
use crate::model::ModelKind;
use crate::recording::PopulationLayout;

/// Per-cell values of `value` for a population of `size` cells; random values come from the
/// stream `purpose`.
fn per_cell(value: &Value, size: usize, seed: u64, purpose: &str) -> Vec<f64> {
    match value {
        Value::Scalar(x) => vec![*x; size],
        Value::PerCell(xs) => xs.clone(),
        Value::Random(d) => d.sample_n(seed, purpose, size),
    }
}

/// One population being read: its description, item name (for errors), first global cell and
/// the seed of the streams its random values come from.
struct Pop<'a> {
    spec: &'a PopulationSpec,
    item: String,
    offset: u32,
    seed: u64,
}

impl Pop<'_> {
    /// The per-cell values of parameter `name` (`default` when not given), random ones from
    /// the stream `population:{label}/parameter:{name}`.
    fn parameter(&self, name: &str, default: f64) -> Vec<f64> {
        let given = self.spec.parameters.iter().find(|(n, _)| n == name);
        let value = given.map_or(Value::Scalar(default), |(_, v)| v.clone());
        self.values(&value, "parameter", name)
    }

    /// The per-cell initial values of state variable `name`, random ones from the stream
    /// `population:{label}/initial:{name}`.
    fn initial(&self, name: &str, default: f64) -> Vec<f64> {
        let given = self.spec.initial_values.iter().find(|(n, _)| n == name);
        let value = given.map_or(Value::Scalar(default), |(_, v)| v.clone());
        self.values(&value, "initial", name)
    }

    /// The per-cell values of `value`, random ones from `population:{label}/{kind}:{name}`.
    fn values(&self, value: &Value, kind: &str, name: &str) -> Vec<f64> {
        per_cell(
            value,
            self.spec.size,
            self.seed,
            &value_purpose(&self.spec.label, kind, name),
        )
    }
}

/// The purpose of the stream of a population's random parameter (`kind` "parameter") or
/// initial value ("initial") `name`: `population:{label}/{kind}:{name}`.
pub(crate) fn value_purpose(label: &str, kind: &str, name: &str) -> String {
    format!("population:{label}/{kind}:{name}")
}

impl PopulationSpec {
    /// The spike times of cell `i` of a `SpikeSourceArray` population (none if not given).
    pub(super) fn spike_times_of(&self, i: usize) -> &[f64] {
        match &self.spike_times {
            None => &[],
            Some(SpikeTimes::Same(ts)) => ts,
            Some(SpikeTimes::PerCell(lists)) => &lists[i],
        }
    }
}

/// The cell values of [`NetData`] being filled, population by population.
struct Cells<'n>(&'n mut NetData);

impl Cells<'_> {
    /// Appends one cell.
    fn push(&mut self, kind: CellKind, model: ModelKind, params: Params, init: State) {
        self.0.kinds.push(kind);
        self.0.models.push(model);
        self.0.params.push(params);
        self.0.init.push(init);
    }

    /// The neurons of model `model` of `pop`, every parameter set and initial state
    /// validated. Every model's parameters are a subset of IF_curr_exp's, with the same
    /// meaning and validity domain; those a model lacks keep IF_curr_exp's defaults, unused
    /// (`NetData::params`).
    fn neurons(&mut self, pop: &Pop, model: ModelKind) -> Result<(), BuildError> {
        if !model.simulated() {
            return Err(BuildError::new(
                &pop.item,
                "cell_type",
                format!(
                    "{} (SPEC §8) is not simulated yet by this version of exactlif",
                    model.name()
                ),
            ));
        }
        let defaults = model.parameters();
        let columns = if_curr_exp::PARAMETERS.map(|(name, default, _)| {
            match defaults.iter().find(|d| d.0 == name) {
                Some(d) => pop.parameter(name, d.1),
                None => vec![default; pop.spec.size],
            }
        });
        let settable = model.state_variables();
        let state = if_curr_exp::STATE_VARIABLES.map(|(name, default, _)| {
            if settable.iter().any(|d| d.0 == name) {
                pop.initial(name, default)
            } else {
                vec![default; pop.spec.size]
            }
        });
        for i in 0..pop.spec.size {
            let cell = if pop.spec.size > 1 {
                format!("cell {i}: ")
            } else {
                String::new()
            };
            let p = Params::from_values(&std::array::from_fn(|k| columns[k][i]));
            p.validate()
                .map_err(|e| BuildError::new(&pop.item, e.name, format!("{cell}{}", e.message)))?;
            let s = State {
                v: state[0][i],
                isyn_exc: state[1][i],
                isyn_inh: state[2][i],
            };
            s.validate().map_err(|e| {
                BuildError::new(&pop.item, e.name, format!("cell {i}: {}", e.message))
            })?;
            self.push(CellKind::Neuron, model, p, s);
        }
        Ok(())
    }

    /// The `SpikeSourceArray` cells of `pop`: their spike times, one range of `array_times`
    /// each.
    fn spike_arrays(&mut self, pop: &Pop) {
        for i in 0..pop.spec.size {
            let times = pop.spec.spike_times_of(i);
            let net = &mut *self.0;
            let start = net.array_times.len() as u32;
            net.array_times.extend_from_slice(times);
            net.array_ranges[pop.offset as usize + i] = (start, net.array_times.len() as u32);
            self.push(
                CellKind::Array,
                ModelKind::Exp,
                Params::default(),
                State::default(),
            );
        }
    }

    /// The `SpikeSourcePoisson` cells of `pop`, each with its own stream
    /// `population:{label}/poisson:{cell}`; every value checked.
    fn poisson_sources(&mut self, pop: &Pop) -> Result<(), BuildError> {
        let mut columns = Vec::with_capacity(POISSON_PARAMETERS.len());
        for (name, default, _) in POISSON_PARAMETERS {
            let xs = pop.parameter(name, default);
            for (i, &x) in xs.iter().enumerate() {
                check_poisson_parameter(name, x)
                    .map_err(|m| BuildError::new(&pop.item, name, format!("cell {i}: {m}")))?;
            }
            columns.push(xs);
        }
        let [rates, starts, durations] = [&columns[0], &columns[1], &columns[2]];
        for (i, ((&rate_hz, &start), &duration)) in
            rates.iter().zip(starts).zip(durations).enumerate()
        {
            let label = &pop.spec.label;
            self.0.poisson.push(PoissonCell {
                cell: pop.offset + i as u32,
                rate_hz,
                start,
                duration,
                rng: stream(pop.seed, &format!("population:{label}/poisson:{i}")),
            });
            self.push(
                CellKind::Poisson,
                ModelKind::Exp,
                Params::default(),
                State::default(),
            );
        }
        Ok(())
    }
}

/// What is recorded of `pop`, whose first cell is `offset`: the spiking cells and each signal's
/// cells, sorted and without repeats, signals in [`Var`] order.
pub(crate) fn recording_layout(pop: &PopulationSpec, offset: u32) -> PopulationLayout {
    let cells_of = |sel: &Option<Vec<u32>>| -> Vec<u32> {
        let mut c = sel
            .clone()
            .unwrap_or_else(|| (0..pop.size as u32).collect());
        c.sort_unstable();
        c.dedup();
        c
    };
    let mut spikes = Vec::new();
    let mut signals = Vec::new();
    for (var, sel) in &pop.record {
        if *var == Var::Spikes {
            spikes = cells_of(sel);
        } else {
            signals.push((*var, cells_of(sel)));
        }
    }
    signals.sort_by_key(|s| s.0);
    PopulationLayout {
        label: pop.label.clone(),
        cell_type: pop.cell_type.name().to_string(),
        offset,
        size: pop.size as u32,
        spikes,
        signals,
    }
}

impl Network {
    /// Draws and checks the values of the cells of `net` (which has none yet: `array_ranges`
    /// holds an empty range for each cell, the other cell fields are empty), population by
    /// population in creation order, and returns the global index of each population's first
    /// cell. Fails on the first bad value.
    pub(super) fn cells(&self, net: &mut NetData) -> Result<Vec<u32>, BuildError> {
        let mut offsets = Vec::with_capacity(self.populations.len());
        let mut cells = Cells(net);
        for spec in &self.populations {
            let pop = Pop {
                spec,
                item: format!("population \"{}\"", spec.label),
                offset: cells.0.kinds.len() as u32,
                seed: self.setup.seed,
            };
            offsets.push(pop.offset);
            match spec.cell_type {
                CellType::SpikeSourceArray => cells.spike_arrays(&pop),
                CellType::SpikeSourcePoisson => cells.poisson_sources(&pop)?,
                neuron => cells.neurons(&pop, neuron.model().expect("a neuron"))?,
            }
            cells.0.layout.push(recording_layout(spec, pop.offset));
        }
        Ok(offsets)
    }

    /// The switches of every cell that receives a current source, sorted by (t, cell), and
    /// the sinusoidal drives they refer to. At each breakpoint the constant current is
    /// recomputed as the sum, in source order, of the amplitudes (and `ACSource` offsets)
    /// active there, so no rounding accumulates; the `ACSource`s active there make the drive
    /// (identical drives are stored once).
    ///
    /// `params` holds every cell's parameters: each switch's `v_inf` (with the sines'
    /// amplitudes) must stay in the validity domain ([`if_curr_exp::check_v_inf`]); the first
    /// that does not is an error naming the first source injected into the cell.
    pub(crate) fn current_switches(
        &self,
        offsets: &[u32],
        params: &[Params],
    ) -> Result<(Vec<Switch>, Vec<Drive>), BuildError> {
        use std::collections::BTreeMap;
        let mut per_cell: BTreeMap<u32, Vec<(usize, &CurrentSource)>> = BTreeMap::new();
        for (k, (src, sel)) in self.current_sources.iter().enumerate() {
            let size = self.populations[sel.population].size as u32;
            let cells = sel.cells.clone().unwrap_or_else(|| (0..size).collect());
            for c in cells {
                per_cell
                    .entry(offsets[sel.population] + c)
                    .or_default()
                    .push((k, src));
            }
        }
        let mut out = Vec::new();
        let mut drives: Vec<Drive> = Vec::new();
        let mut drive_index: BTreeMap<Vec<[u64; 4]>, u32> = BTreeMap::new();
        for (cell, indexed) in per_cell {
            let first_source = indexed[0].0;
            let sources: Vec<&CurrentSource> = indexed.into_iter().map(|(_, s)| s).collect();
            let mut times: Vec<f64> = Vec::new();
            for s in &sources {
                match s {
                    CurrentSource::Dc { start, stop, .. }
                    | CurrentSource::Ac { start, stop, .. } => {
                        times.push(*start);
                        if stop.is_finite() {
                            times.push(*stop);
                        }
                    }
                    CurrentSource::Step { times: ts, .. } => times.extend_from_slice(ts),
                }
            }
            times.sort_by(f64::total_cmp);
            times.dedup();
            for t in times {
                let i_inj: f64 = sources.iter().map(|s| amplitude_at(s, t)).sum();
                let sines: Vec<Sine> = sources.iter().filter_map(|s| sine_at(s, t)).collect();
                let p = &params[cell as usize];
                let ac: f64 = sines.iter().map(|s| s.amplitude.abs()).sum();
                if_curr_exp::check_v_inf(p, p.i_offset + i_inj, ac)
                    .map_err(|m| self.injection_error(first_source, offsets, cell, t, m))?;
                let drive = if sines.is_empty() {
                    NO_DRIVE
                } else {
                    let key: Vec<[u64; 4]> = sines
                        .iter()
                        .map(|s| [s.amplitude, s.omega, s.t_ref, s.phase].map(f64::to_bits))
                        .collect();
                    *drive_index.entry(key).or_insert_with(|| {
                        drives.push(Drive { sines });
                        drives.len() as u32 - 1
                    })
                };
                out.push(Switch {
                    t,
                    cell,
                    i_inj,
                    drive,
                });
            }
        }
        out.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.cell.cmp(&b.cell)));
        Ok((out, drives))
    }

    /// The error of a `v_inf` out of the validity domain at time `t` in global cell `cell`,
    /// named after current source `source` (the first one injected into the cell) and its
    /// amplitude.
    fn injection_error(
        &self,
        source: usize,
        offsets: &[u32],
        cell: u32,
        t: f64,
        message: String,
    ) -> BuildError {
        let (src, _) = &self.current_sources[source];
        let pop = offsets.partition_point(|&o| o <= cell) - 1;
        let key = match src {
            CurrentSource::Step { .. } => "amplitudes",
            _ => "amplitude",
        };
        BuildError::new(
            format!("current source {source} ({})", src.name()),
            key,
            format!(
                "in cell {} of population \"{}\" from t = {} ms, with every current injected \
                 there: {message}",
                cell - offsets[pop],
                self.populations[pop].label,
                if_curr_exp::num(t)
            ),
        )
    }
}

/// The sine of an `ACSource` active at time `t` (right-continuous), if any: not for a
/// frequency of 0, whose constant value [`amplitude_at`] counts.
fn sine_at(s: &CurrentSource, t: f64) -> Option<Sine> {
    match *s {
        CurrentSource::Ac {
            amplitude,
            frequency,
            phase,
            start,
            stop,
            ..
        } if t >= start && t < stop && frequency > 0.0 && amplitude != 0.0 => {
            Some(Sine::of_ac_source(amplitude, frequency, phase, start))
        }
        _ => None,
    }
}

/// The constant part of a current source at time `t` (right-continuous).
fn amplitude_at(s: &CurrentSource, t: f64) -> f64 {
    match s {
        CurrentSource::Dc {
            amplitude,
            start,
            stop,
        } => {
            if t >= *start && t < *stop {
                *amplitude
            } else {
                0.0
            }
        }
        // times strictly increasing (checked by Network::inject): the last one <= t, found by
        // bisection (a linear search made a source of K steps cost K^2)
        CurrentSource::Step { times, amplitudes } => match times.partition_point(|&x| x <= t) {
            0 => 0.0,
            i => amplitudes[i - 1],
        },
        // the offset; at a frequency of 0 the sine is the constant `amplitude sin(phase)`
        CurrentSource::Ac {
            amplitude,
            offset,
            frequency,
            phase,
            start,
            stop,
        } => {
            if t >= *start && t < *stop {
                if *frequency == 0.0 {
                    offset + amplitude * phase.to_radians().sin()
                } else {
                    *offset
                }
            } else {
                0.0
            }
        }
    }
}
