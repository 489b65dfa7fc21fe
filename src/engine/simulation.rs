//! The run-time [`Simulation`]: a validated network ([`NetData`]) with the engine of its
//! [`Backend`] behind one small trait, [`Engine`]. PyNN's `run`, `run_until`, `reset` and
//! `get_data` are its methods; every front end (the command line, the PyNN backend, an MPI
//! rank) drives a simulation through them.

use std::time::Instant;

use super::comm::Comm;
use super::exact::{ExactEngine, GatheredSamples, RankBalance};
use super::grid::{Scheme, StepEngine};
use super::{shortest_interval, Backend, CellChange, NetData, RunawaySpike, Switch};
use crate::model::ac_drive::Drive;
use crate::model::if_curr_exp::{
    self, check_current, num, ParamError, Params, State, PARAMETERS, V_MAX,
};
use crate::model::ModelKind;
use crate::recording::{DataBlock, EventCounts, PopulationLayout, Recorder, Var};

/// Why a change between runs was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StateError {
    /// No population has this label.
    #[error("no population is labelled \"{0}\"")]
    NoPopulation(String),
    /// The population is not made of neurons (it is a spike source).
    #[error("population \"{population}\" is a {cell_type}: only neurons (IF_curr_exp, IF_curr_alpha, IF_curr_delta) have `{name}`")]
    NotNeurons {
        /// The population's label.
        population: String,
        /// Its cell type.
        cell_type: String,
        /// The parameter or state variable asked for.
        name: String,
    },
    /// Not a parameter (or state variable) of the population's cell type.
    #[error("population \"{population}\": `{name}` is not {what} of {cell_type} (it has {known})")]
    UnknownName {
        /// The population's label.
        population: String,
        /// Its cell type.
        cell_type: &'static str,
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

/// A cell that fired again sooner than the exact backend follows ([`Simulation::runaway`]):
/// `tau_refrac` below `timestep / 1024` with a drive that fires it faster than that. The run
/// stopped at its spike.
///
/// NEST's precise `iaf_psc_exp_ps` refuses a `t_ref` below one time step, and NEST's grid
/// models and Brian 2 fire at most once per step; the exact backend follows up to 1024 spikes
/// of a cell per timestep, at their exact times, and stops with this error beyond that
/// (README, "Runaway firing").
#[derive(Clone, Debug, PartialEq)]
pub struct Runaway {
    /// The population's label.
    pub population: String,
    /// The cell (index in the population).
    pub cell: usize,
    /// The time of the spike at which the run stopped (ms); it was not emitted.
    pub t_ms: f64,
    /// The interval since the cell's previous spike (ms).
    pub interval_ms: f64,
    /// The shortest interval the exact backend follows there (ms): `timestep / 1024`, or
    /// `2^-42 t_ms` (1024 to 2048 ulps of it) if that is longer.
    pub min_interval_ms: f64,
    /// The cell's `v_inf = v_rest + (i_offset + injected) tau_m / cm` then (mV).
    pub v_inf: f64,
    /// Its excitatory synaptic current then (nA).
    pub isyn_exc: f64,
    /// Its threshold (mV).
    pub v_thresh: f64,
    /// Its reset potential (mV).
    pub v_reset: f64,
    /// Its refractory period (ms).
    pub tau_refrac_ms: f64,
}

/// One line: the cell, the interval, the cause and the fix.
impl std::fmt::Display for Runaway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let min = num(self.min_interval_ms);
        write!(
            f,
            "population \"{}\", cell {} fires without bound: at t = {} ms it fired again {} ms \
             after its previous spike, sooner than {min} ms, the shortest interval the exact \
             backend follows (timestep/1024, or 2^-42 t if longer); {}, and tau_refrac = {} ms \
             does not bound its \
             rate (v_reset = {} mV). Give it tau_refrac >= {min} ms (PyNN's default is 0.1 \
             ms) or less drive",
            self.population,
            self.cell,
            num(self.t_ms),
            num(self.interval_ms),
            self.cause(),
            num(self.tau_refrac_ms),
            num(self.v_reset),
        )
    }
}

impl std::error::Error for Runaway {}

impl Runaway {
    /// What drives the cell: `v_inf` above threshold, or its synaptic input.
    fn cause(&self) -> String {
        if self.v_inf >= self.v_thresh {
            format!(
                "its v_inf = {} mV is above v_thresh = {} mV",
                num(self.v_inf),
                num(self.v_thresh)
            )
        } else {
            format!(
                "its synaptic current isyn_exc = {} nA drives it above v_thresh = {} mV \
                 (v_inf = {} mV)",
                num(self.isyn_exc),
                num(self.v_thresh),
                num(self.v_inf)
            )
        }
    }
}

/// What every backend does: advance to a time, return to t = 0, and hand over what it
/// recorded. The engines keep no copy of the network; the simulation passes it in.
pub(crate) trait Engine: Send {
    /// Processes every event with `t <= t_stop` (ms) and samples every tick up to
    /// `round(t_stop / timestep)`; stops at a runaway cell (only the exact engine has them:
    /// the step-based ones fire a cell at most once per step).
    fn run_until(&mut self, net: &NetData, t_stop: f64) -> Result<(), RunawaySpike>;
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
    /// With several ranks, brings the recordings to rank 0 (every rank must call it).
    fn gather(&self) -> Gathered {
        Gathered::Alone
    }
    /// With several ranks, how evenly their work was spread.
    fn rank_balance(&self) -> Option<RankBalance> {
        None
    }
}

/// What [`Engine::gather`] gives.
pub(crate) enum Gathered {
    /// One rank: its own recorder is everything.
    Alone,
    /// Rank 0 of several: the other ranks' samples and the whole network's counters.
    Root(GatheredSamples),
    /// Another rank: rank 0 has everything.
    Other,
}

impl Engine for ExactEngine {
    fn run_until(&mut self, net: &NetData, t_stop: f64) -> Result<(), RunawaySpike> {
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
        *self = self.rebuilt(net, threads);
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
    fn gather(&self) -> Gathered {
        if self.rank_balance().is_none() {
            return Gathered::Alone;
        }
        match ExactEngine::gather(self) {
            Some(g) => Gathered::Root(g),
            None => Gathered::Other,
        }
    }
    fn rank_balance(&self) -> Option<RankBalance> {
        ExactEngine::rank_balance(self)
    }
}

impl Engine for StepEngine {
    fn run_until(&mut self, net: &NetData, t_stop: f64) -> Result<(), RunawaySpike> {
        StepEngine::run_until(self, net, t_stop);
        Ok(())
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
    /// The cell that ran away, if one did: the run stopped there, until a reset.
    runaway: Option<Runaway>,
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
            runaway: None,
        }
    }

    /// Runs for `ms` more milliseconds (PyNN's `run`): events at `t <= time() + ms` are
    /// processed and the ticks up to `round((time() + ms)/timestep)` sampled. A cell that
    /// runs away stops the run ([`Simulation::runaway`]).
    pub fn run(&mut self, ms: f64) {
        let t_stop = self.time() + ms;
        self.run_until(t_stop);
    }

    /// Runs until the absolute time `t_stop` (ms).
    ///
    /// On the exact backend a cell that fires again less than `timestep / 1024` after its
    /// previous spike (`tau_refrac = 0` with a strong drive can make the interval shrink
    /// below the resolution of `t`, so that the cell would fire forever at one instant) stops
    /// the run at that spike: [`Simulation::runaway`] then names the cell, [`Simulation::time`]
    /// is the time of the spike, the recordings end before it (at most `min_delay` before),
    /// and further runs do nothing until [`Simulation::reset`].
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let cells = net.create("cells", 1, CellType::IfCurrExp)?;
    /// // v_inf = -65 + 1000 * 20 / 1 mV, 1 nV of reset below threshold, no refractoriness:
    /// // an interval of about 1e-11 ms
    /// net.set(&cells, "i_offset", 1000.0)?;
    /// net.set(&cells, "tau_refrac", 0.0)?;
    /// net.set(&cells, "v_reset", -50.000001)?;
    /// let mut sim = net.build()?;
    /// sim.run(10.0);
    /// let r = sim.runaway().expect("it runs away");
    /// assert_eq!((r.population.as_str(), r.cell), ("cells", 0));
    /// assert!(sim.time() < 1.0 && r.to_string().contains("tau_refrac >= 0.00009765625 ms"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_until(&mut self, t_stop: f64) {
        if self.runaway.is_some() {
            return;
        }
        let t0 = Instant::now();
        if t_stop >= self.time() {
            if let Err(r) = self.engine.run_until(&self.net, t_stop) {
                self.runaway = Some(self.runaway_of(&r));
            }
        }
        self.wall_time_s += t0.elapsed().as_secs_f64();
    }

    /// The cell that ran away and stopped the run, if one did (see
    /// [`Simulation::run_until`]); `None` again after [`Simulation::reset`].
    pub fn runaway(&self) -> Option<&Runaway> {
        self.runaway.as_ref()
    }

    /// The engine's report of a runaway, in the network's terms.
    fn runaway_of(&self, r: &RunawaySpike) -> Runaway {
        let pop = self
            .net
            .layout
            .iter()
            .rfind(|l| l.offset <= r.cell)
            .expect("a cell belongs to a population");
        let p = &self.net.params[r.cell as usize];
        Runaway {
            population: pop.label.clone(),
            cell: (r.cell - pop.offset) as usize,
            t_ms: r.t,
            interval_ms: r.interval,
            min_interval_ms: shortest_interval(self.net.timestep, r.t),
            v_inf: r.v_inf,
            isyn_exc: r.isyn_exc,
            v_thresh: p.v_thresh,
            v_reset: p.v_reset,
            tau_refrac_ms: p.tau_refrac,
        }
    }

    /// Returns to t = 0 with the same network, clearing recordings (PyNN's `reset`) and a
    /// runaway.
    pub fn reset(&mut self) {
        self.engine.reset(&self.net);
        self.wall_time_s = 0.0;
        self.runaway = None;
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
        self.runaway = None;
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
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
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
        let (offset, size, model) = self.neurons_of(population, name)?;
        // every model's parameters are IF_curr_exp's, with the same meaning (`NetData::params`)
        let index = model
            .parameters()
            .iter()
            .find(|p| p.0 == name)
            .and_then(|p| PARAMETERS.iter().position(|q| q.0 == p.0));
        let Some(index) = index else {
            return Err(StateError::UnknownName {
                population: population.into(),
                cell_type: model.name(),
                name: name.into(),
                what: "a parameter",
                known: model
                    .parameters()
                    .iter()
                    .map(|p| p.0)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let values = per_cell(population, values, size)?;
        let injected = self.injected_currents(offset..offset + size);
        let mut changes = Vec::with_capacity(size);
        for (cell, &x) in values.iter().enumerate() {
            let g = offset + cell;
            let mut all = self.net.params[g].values();
            all[index] = x;
            let p = Params::from_values(&all);
            let invalid = |source| StateError::Invalid {
                population: population.into(),
                cell,
                source,
            };
            p.validate().map_err(invalid)?;
            for &(i_inj, ac) in &injected[cell] {
                if_curr_exp::check_v_inf(&p, p.i_offset + i_inj, ac).map_err(|message| {
                    invalid(ParamError {
                        name: PARAMETERS[index].0,
                        message: format!("with the current injected into it: {message}"),
                    })
                })?;
            }
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
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
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
        let (offset, size, model) = self.neurons_of(population, var.name())?;
        let settable = model.state_variables();
        if !settable.iter().any(|p| p.0 == var.name()) {
            return Err(StateError::UnknownName {
                population: population.into(),
                cell_type: model.name(),
                name: var.name().into(),
                what: "a state variable",
                known: settable.iter().map(|p| p.0).collect::<Vec<_>>().join(", "),
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
        // the validity domain of the state (`State::validate`)
        for (cell, &x) in values.iter().enumerate() {
            let message = if var == Var::V {
                (x.abs() > V_MAX).then(|| {
                    format!(
                        "must be within [-1e6, 1e6] mV (the range exactlif's solver covers), \
                         got {} mV",
                        num(x)
                    )
                })
            } else {
                check_current(x).err()
            };
            if let Some(message) = message {
                return Err(StateError::Invalid {
                    population: population.into(),
                    cell,
                    source: ParamError {
                        name: var.name(),
                        message,
                    },
                });
            }
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

    /// For each cell of `cells` (global indices), the injected currents it receives at its
    /// switches: `(constant current nA, total amplitude of the sines nA)`.
    fn injected_currents(&self, cells: std::ops::Range<usize>) -> Vec<Vec<(f64, f64)>> {
        let mut out = vec![Vec::new(); cells.len()];
        for s in &self.net.current_switches {
            if cells.contains(&(s.cell as usize)) {
                let ac = self
                    .net
                    .drives
                    .get(s.drive as usize)
                    .map_or(0.0, |d| d.sines.iter().map(|s| s.amplitude.abs()).sum());
                out[s.cell as usize - cells.start].push((s.i_inj, ac));
            }
        }
        out
    }

    /// The first global cell, the size and the cell model of the population of neurons `label`.
    fn neurons_of(&self, label: &str, name: &str) -> Result<(usize, usize, ModelKind), StateError> {
        let l = self
            .net
            .layout
            .iter()
            .find(|l| l.label == label)
            .ok_or_else(|| StateError::NoPopulation(label.into()))?;
        let Some(model) = ModelKind::of_name(&l.cell_type) else {
            return Err(StateError::NotNeurons {
                population: label.into(),
                cell_type: l.cell_type.clone(),
                name: name.into(),
            });
        };
        Ok((l.offset as usize, l.size as usize, model))
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
    ///
    /// On a rank of a simulation over several ([`crate::Network::build_rank`]) every rank must
    /// call it: rank 0 gets the whole network's data, the other ranks their own cells' samples
    /// only (rank 0 records the spikes).
    pub fn get_data(&self) -> DataBlock {
        let block = |rec: &Recorder, counts| {
            rec.data_block(
                self.backend.name(),
                self.net.seed,
                self.time(),
                counts,
                self.wall_time_s,
                self.build_time_s,
            )
        };
        match self.engine.gather() {
            Gathered::Root((samples, counts)) => {
                let rec = self.engine.recorder();
                let mut data = block(rec, counts);
                for (cells, values) in samples {
                    rec.fill_samples(&mut data, cells, &values);
                }
                data
            }
            Gathered::Alone | Gathered::Other => {
                block(self.engine.recorder(), self.engine.counts())
            }
        }
    }

    /// On a rank of a simulation over several, how evenly the ranks' work was spread so far
    /// (the same on every rank); `None` otherwise.
    pub fn rank_balance(&self) -> Option<RankBalance> {
        self.engine.rank_balance()
    }

    /// The rank of a simulation over several: this rank's simulation at t = 0 of `net` (which
    /// holds at least the synapses onto `cells`), running the cells `cells` on `threads`
    /// threads and exchanging spikes through `comm` ([`ExactEngine::for_rank`]).
    pub(crate) fn for_rank(
        net: NetData,
        cells: std::ops::Range<u32>,
        threads: usize,
        comm: std::sync::Arc<dyn Comm>,
        build_time_s: f64,
    ) -> Self {
        let engine = ExactEngine::for_rank(&net, cells, threads, comm);
        Simulation {
            net,
            engine: Box::new(engine),
            backend: Backend::Exact,
            build_time_s,
            wall_time_s: 0.0,
            runaway: None,
        }
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
