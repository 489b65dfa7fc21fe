//! The run-time [`Simulation`]: a validated network ([`NetData`]) with the engine of its
//! [`Backend`] behind one small trait, [`Engine`]. PyNN's `run`, `run_until`, `reset` and
//! `get_data` are its methods; every front end (the command line, the PyNN backend, an MPI
//! rank) drives a simulation through them.

use std::time::Instant;

use super::exact::ExactEngine;
use super::grid::{Scheme, StepEngine};
use super::{Backend, CellChange, NetData, Switch};
use crate::model::ac_drive::Drive;
use crate::model::if_curr_exp::{ParamError, Params, State, PARAMETERS};
use crate::recording::{DataBlock, EventCounts, PopulationLayout, Recorder, Var};

/// Why a change between runs was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StateError {
    /// No population has this label.
    #[error("no population is labelled \"{0}\"")]
    NoPopulation(String),
    /// The population is not made of `IF_curr_exp` neurons.
    #[error("population \"{population}\" is a {cell_type}: only IF_curr_exp cells have `{name}`")]
    NotNeurons {
        /// The population's label.
        population: String,
        /// Its cell type.
        cell_type: String,
        /// The parameter or state variable asked for.
        name: String,
    },
    /// Not a parameter (or state variable) of `IF_curr_exp`.
    #[error("population \"{population}\": `{name}` is not {what} of IF_curr_exp (it has {known})")]
    UnknownName {
        /// The population's label.
        population: String,
        /// The name given.
        name: String,
        /// "a parameter" or "a state variable".
        what: &'static str,
        /// The names it has.
        known: String,
    },
    /// Neither one value nor one per cell.
    #[error("population \"{population}\": {given} values for {size} cells; give 1 or {size}")]
    Length {
        /// The population's label.
        population: String,
        /// Values given.
        given: usize,
        /// Cells in the population.
        size: usize,
    },
    /// The new value makes a cell's parameters invalid.
    #[error("population \"{population}\", cell {cell}: {source}")]
    Invalid {
        /// The population's label.
        population: String,
        /// The cell (index in the population).
        cell: usize,
        /// What is wrong.
        source: ParamError,
    },
    /// A state value that is not a finite number.
    #[error(
        "population \"{population}\", cell {cell}: {name} must be a finite number, got {value}"
    )]
    NotFinite {
        /// The population's label.
        population: String,
        /// The cell (index in the population).
        cell: usize,
        /// The state variable.
        name: &'static str,
        /// The value given.
        value: f64,
    },
}

/// What every backend does: advance to a time, return to t = 0, and hand over what it
/// recorded. The engines keep no copy of the network; the simulation passes it in.
pub(crate) trait Engine: Send {
    /// Processes every event with `t <= t_stop` (ms) and samples every tick up to
    /// `round(t_stop / timestep)`.
    fn run_until(&mut self, net: &NetData, t_stop: f64);
    /// Returns to t = 0 with the same network and the same random streams.
    fn reset(&mut self, net: &NetData);
    /// Current simulation time (ms).
    fn time(&self) -> f64;
    /// What was recorded so far.
    fn recorder(&self) -> &Recorder;
    /// Work counters so far.
    fn counts(&self) -> EventCounts;
    /// Runs on `threads` threads (0: one per core) from t = 0; returns the number used.
    fn set_threads(&mut self, net: &NetData, threads: usize) -> usize;
    /// The state of neuron `g` now.
    fn state_now(&self, g: u32) -> State;
    /// Changes neurons at the current time; `net` already holds their new parameters.
    fn change(&mut self, net: &NetData, changes: &[(u32, CellChange)]);
    /// Replaces the current switches at the current time; `net` already holds the new list
    /// and drives.
    fn replace_switches(&mut self, net: &NetData);
    /// Takes new spike times of the `SpikeSourceArray` cells (already in `net`) at the
    /// current time.
    fn replace_spike_arrays(&mut self, net: &NetData);
    /// Records what `net.layout` says from the current time on.
    fn replace_recording(&mut self, net: &NetData);
}

impl Engine for ExactEngine {
    fn run_until(&mut self, net: &NetData, t_stop: f64) {
        ExactEngine::run_until(self, net, t_stop)
    }
    fn reset(&mut self, net: &NetData) {
        ExactEngine::reset(self, net)
    }
    fn time(&self) -> f64 {
        ExactEngine::time(self)
    }
    fn recorder(&self) -> &Recorder {
        ExactEngine::recorder(self)
    }
    fn counts(&self) -> EventCounts {
        ExactEngine::counts(self)
    }
    fn set_threads(&mut self, net: &NetData, threads: usize) -> usize {
        *self = ExactEngine::with_threads(net, threads);
        self.threads()
    }
    fn state_now(&self, g: u32) -> State {
        ExactEngine::state_now(self, g)
    }
    fn change(&mut self, _net: &NetData, changes: &[(u32, CellChange)]) {
        ExactEngine::change(self, changes)
    }
    fn replace_switches(&mut self, net: &NetData) {
        ExactEngine::replace_switches(self, net)
    }
    fn replace_spike_arrays(&mut self, net: &NetData) {
        ExactEngine::replace_spike_arrays(self, net)
    }
    fn replace_recording(&mut self, net: &NetData) {
        ExactEngine::replace_recording(self, net)
    }
}

impl Engine for StepEngine {
    fn run_until(&mut self, net: &NetData, t_stop: f64) {
        StepEngine::run_until(self, net, t_stop)
    }
    fn reset(&mut self, net: &NetData) {
        StepEngine::reset(self, net)
    }
    fn time(&self) -> f64 {
        StepEngine::time(self)
    }
    fn recorder(&self) -> &Recorder {
        &self.recorder
    }
    fn counts(&self) -> EventCounts {
        StepEngine::counts(self)
    }
    /// The step-based backends run on one thread whatever is asked.
    fn set_threads(&mut self, net: &NetData, _threads: usize) -> usize {
        StepEngine::reset(self, net);
        1
    }
    fn state_now(&self, g: u32) -> State {
        StepEngine::state_now(self, g)
    }
    fn change(&mut self, net: &NetData, changes: &[(u32, CellChange)]) {
        StepEngine::change(self, net, changes)
    }
    fn replace_switches(&mut self, net: &NetData) {
        StepEngine::replace_switches(self, net)
    }
    fn replace_spike_arrays(&mut self, net: &NetData) {
        StepEngine::replace_spike_arrays(self, net)
    }
    fn replace_recording(&mut self, net: &NetData) {
        self.recorder.replace_layout(net.layout.clone())
    }
}

/// A built network with its engine: PyNN's `run`, `reset` and `get_data`.
pub struct Simulation {
    net: NetData,
    engine: Box<dyn Engine>,
    backend: Backend,
    build_time_s: f64,
    wall_time_s: f64,
}

impl Simulation {
    /// A simulation at t = 0 of a validated network on `backend`; `build_time_s` is the wall
    /// time its construction took (s), reported in the data blocks.
    pub(crate) fn new(net: NetData, backend: Backend, build_time_s: f64) -> Self {
        let engine: Box<dyn Engine> = match backend {
            Backend::Exact => Box::new(ExactEngine::new(&net)),
            Backend::Grid => Box::new(StepEngine::new(&net, Scheme::Grid)),
            Backend::Euler => Box::new(StepEngine::new(&net, Scheme::Euler)),
        };
        Simulation {
            net,
            engine,
            backend,
            build_time_s,
            wall_time_s: 0.0,
        }
    }

    /// Runs for `ms` more milliseconds (PyNN's `run`): events at `t <= time() + ms` are
    /// processed and the ticks up to `round((time() + ms)/timestep)` sampled.
    pub fn run(&mut self, ms: f64) {
        let t_stop = self.time() + ms;
        self.run_until(t_stop);
    }

    /// Runs until the absolute time `t_stop` (ms).
    pub fn run_until(&mut self, t_stop: f64) {
        let t0 = Instant::now();
        if t_stop >= self.time() {
            self.engine.run_until(&self.net, t_stop);
        }
        self.wall_time_s += t0.elapsed().as_secs_f64();
    }

    /// Returns to t = 0 with the same network, clearing recordings (PyNN's `reset`).
    pub fn reset(&mut self) {
        self.engine.reset(&self.net);
        self.wall_time_s = 0.0;
    }

    /// Current time (ms).
    pub fn time(&self) -> f64 {
        self.engine.time()
    }

    /// Runs the exact backend's min_delay windows on `threads` threads (`0`: one per core;
    /// default 1), the cells split into as many shards. Results are bit-identical for any
    /// number of threads. Returns the simulation to t = 0, like [`Simulation::reset`]. The
    /// step-based backends run on one thread whatever is asked. Returns the number of threads
    /// the simulation now uses.
    pub fn set_threads(&mut self, threads: usize) -> usize {
        self.wall_time_s = 0.0;
        self.engine.set_threads(&self.net, threads)
    }

    /// Sets the parameter `name` (one of PyNN's `IF_curr_exp` parameters: `cm`, `tau_m`, …,
    /// `i_offset`) of every cell of the population labelled `population` to `values` (one
    /// value for all cells, or one per cell), at the current time (PyNN's `set`). The change
    /// is exact: each cell is advanced to now under its old parameters, and continues under
    /// the new ones (a new `tau_refrac` applies from the next spike). It also holds after
    /// [`Simulation::reset`]. Every cell is checked first, so an invalid value changes nothing.
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None });
    /// let cells = net.create("cells", 2, CellType::IfCurrExp)?;
    /// net.record(cells, &[Var::Spikes])?;
    /// let mut sim = net.build()?;
    /// sim.run(10.0);
    /// assert_eq!(sim.get_data().populations[0].spike_count, 0); // v stays at v_rest
    /// // from t = 10 ms on, v relaxes toward v_rest + i_offset * tau_m / cm = -65 + 1 * 20 / 1
    /// // = -45 mV, above v_thresh = -50 mV: both cells fire
    /// sim.set_parameter("cells", "i_offset", &[1.0])?;
    /// sim.run(40.0);
    /// assert!(sim.get_data().populations[0].spike_count >= 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_parameter(
        &mut self,
        population: &str,
        name: &str,
        values: &[f64],
    ) -> Result<(), StateError> {
        let (offset, size) = self.neurons_of(population, name)?;
        let Some(index) = PARAMETERS.iter().position(|p| p.0 == name) else {
            return Err(StateError::UnknownName {
                population: population.into(),
                name: name.into(),
                what: "a parameter",
                known: PARAMETERS.map(|p| p.0).join(", "),
            });
        };
        let values = per_cell(population, values, size)?;
        let mut changes = Vec::with_capacity(size);
        for (cell, &x) in values.iter().enumerate() {
            let g = offset + cell;
            let mut all = self.net.params[g].values();
            all[index] = x;
            let p = Params::from_values(&all);
            p.validate().map_err(|source| StateError::Invalid {
                population: population.into(),
                cell,
                source,
            })?;
            changes.push((g as u32, CellChange::Params(p)));
        }
        for (g, change) in &changes {
            if let CellChange::Params(p) = change {
                self.net.params[*g as usize] = *p;
            }
        }
        self.engine.change(&self.net, &changes);
        Ok(())
    }

    /// Sets the state variable `var` (`Var::V`, `Var::IsynExc` or `Var::IsynInh`) of every
    /// cell of `population` to `values` (one for all, or one per cell), now and as the
    /// initial value that [`Simulation::reset`] returns to (PyNN's `initialize`). A refractory
    /// cell stays refractory: its `v` is held at `v_reset` to the end of the period.
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None });
    /// let cells = net.create("cells", 3, CellType::IfCurrExp)?;
    /// net.record(cells, &[Var::V])?;
    /// let mut sim = net.build()?;
    /// sim.initialize("cells", Var::V, &[-70.0, -60.0, -55.0])?;
    /// sim.run(1.0);
    /// let v = &sim.get_data().populations[0].signals[0];
    /// assert_eq!(v.values[1][0], -60.0); // cell 1 at t = 0
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn initialize(
        &mut self,
        population: &str,
        var: Var,
        values: &[f64],
    ) -> Result<(), StateError> {
        let (offset, size) = self.neurons_of(population, var.name())?;
        if var == Var::Spikes {
            return Err(StateError::UnknownName {
                population: population.into(),
                name: var.name().into(),
                what: "a state variable",
                known: "v, isyn_exc, isyn_inh".into(),
            });
        }
        let values = per_cell(population, values, size)?;
        if let Some((cell, &value)) = values.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(StateError::NotFinite {
                population: population.into(),
                cell,
                name: var.name(),
                value,
            });
        }
        let mut changes = Vec::with_capacity(size);
        for (cell, &x) in values.iter().enumerate() {
            let g = offset + cell;
            let mut now = self.engine.state_now(g as u32);
            let init = &mut self.net.init[g];
            match var {
                Var::V => (now.v, init.v) = (x, x),
                Var::IsynExc => (now.isyn_exc, init.isyn_exc) = (x, x),
                Var::IsynInh => (now.isyn_inh, init.isyn_inh) = (x, x),
                Var::Spikes => unreachable!("refused above"),
            }
            changes.push((g as u32, CellChange::State(now)));
        }
        self.engine.change(&self.net, &changes);
        Ok(())
    }

    /// Replaces the injected-current switches (sorted by `(t, cell)`) and their drives at the
    /// current time: what is past stays, a cell whose injected current now differs takes the
    /// new one now, and the later switches come as events. Used by
    /// `Network::update_current_sources`, which computes the list from the description.
    pub(crate) fn replace_current_switches(&mut self, switches: Vec<Switch>, drives: Vec<Drive>) {
        self.net.current_switches = switches;
        self.net.drives = drives;
        self.engine.replace_switches(&self.net);
    }

    /// Replaces what is recorded, from the current time on ([`Recorder::replace_layout`]).
    /// Used by `Network::update_recording`.
    pub(crate) fn replace_recording(&mut self, layout: Vec<PopulationLayout>) {
        self.net.layout = layout;
        self.engine.replace_recording(&self.net);
    }

    /// Replaces the synaptic weights (nA, in the order of `net.syn_weight`) at the current
    /// time: the engines read a synapse's weight when its input arrives, so every input after
    /// now has the new one. Used by `Network::update_weights`, which checks that the synapses
    /// are otherwise the same.
    pub(crate) fn replace_weights(&mut self, weights: Vec<f64>) {
        debug_assert_eq!(weights.len(), self.net.syn_weight.len());
        self.net.syn_weight = weights;
    }

    /// Replaces the spike times of the `SpikeSourceArray` cells (`ranges[g]`: cell `g`'s
    /// times in `times`, non-decreasing) at the current time: times at or before now are past
    /// (a step backend: at or before the current grid point), each cell's next spike is its
    /// first later time. Used by `Network::update_spike_times`.
    pub(crate) fn replace_spike_arrays(&mut self, ranges: Vec<(u32, u32)>, times: Vec<f64>) {
        self.net.array_ranges = ranges;
        self.net.array_times = times;
        self.engine.replace_spike_arrays(&self.net);
    }

    /// The first global cell and the size of the `IF_curr_exp` population `label`.
    fn neurons_of(&self, label: &str, name: &str) -> Result<(usize, usize), StateError> {
        let l = self
            .net
            .layout
            .iter()
            .find(|l| l.label == label)
            .ok_or_else(|| StateError::NoPopulation(label.into()))?;
        if l.cell_type != "IF_curr_exp" {
            return Err(StateError::NotNeurons {
                population: label.into(),
                cell_type: l.cell_type.clone(),
                name: name.into(),
            });
        }
        Ok((l.offset as usize, l.size as usize))
    }

    /// The backend this simulation runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The flat network.
    pub(crate) fn net(&self) -> &NetData {
        &self.net
    }

    /// Number of cells, spike sources included.
    pub fn n_cells(&self) -> usize {
        self.net.n_cells()
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.net.n_synapses()
    }

    /// Number of populations.
    pub fn n_populations(&self) -> usize {
        self.net.layout.len()
    }

    /// The recording grid, and step of the step-based backends (ms).
    pub fn timestep(&self) -> f64 {
        self.net.timestep
    }

    /// Everything recorded so far (PyNN's `get_data`); `backend` names the backend.
    pub fn get_data(&self) -> DataBlock {
        self.engine.recorder().data_block(
            self.backend.name(),
            self.net.seed,
            self.time(),
            self.engine.counts(),
            self.wall_time_s,
            self.build_time_s,
        )
    }
}

/// `values` as one value per cell: a single value is repeated.
fn per_cell(population: &str, values: &[f64], size: usize) -> Result<Vec<f64>, StateError> {
    match values.len() {
        1 => Ok(vec![values[0]; size]),
        n if n == size => Ok(values.to_vec()),
        given => Err(StateError::Length {
            population: population.into(),
            given,
            size,
        }),
    }
}
