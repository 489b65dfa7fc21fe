//! From a [`Network`] description to a runnable [`Simulation`]: every value materialised per
//! cell and per connection (random values from their own streams, SPEC §2), validated once,
//! and laid out flat for the engines ([`NetData`]).

use std::time::Instant;

use super::connectors::{self, Connection};
use super::random::stream;
use super::{
    check_weight_sign, BuildError, CellType, CurrentSource, Network, Receptor, SpikeTimes, Value,
    Var,
};
use crate::engine::exact::ExactEngine;
use crate::engine::grid::{Scheme, StepEngine};
use crate::engine::{Backend, CellKind, NetData, PoissonCell, INHIBITORY_BIT};
use crate::model::if_curr_exp::{self, Params, State};
use crate::recording::{DataBlock, PopulationLayout};

/// A warning about a valid model: something the user probably did not intend.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The population concerned.
    pub population: String,
    /// One or two plain sentences, with the numbers.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "population \"{}\": {}", self.population, self.message)
    }
}

/// Per-cell values of `value` for a population of `size` cells; random values come from the
/// stream `purpose`.
fn materialise(value: &Value, size: usize, seed: u64, purpose: &str) -> Vec<f64> {
    match value {
        Value::Scalar(x) => vec![*x; size],
        Value::PerCell(xs) => xs.clone(),
        Value::Random(d) => d.sample_n(seed, purpose, size),
    }
}

/// A weight or delay for each connection of a projection: one number shared by all (nothing
/// materialised per connection), or one drawn value each.
enum PerConnection {
    Same(f64),
    Each(Vec<f64>),
}

impl PerConnection {
    /// Draws one value per connection for a weight or delay (random values from `purpose`).
    fn new(value: &Value, n: usize, seed: u64, purpose: &str) -> Self {
        match value {
            Value::Scalar(x) => PerConnection::Same(*x),
            // a per-cell list is rejected by Network::connect
            Value::PerCell(xs) => PerConnection::Each(xs.clone()),
            Value::Random(d) => PerConnection::Each(d.sample_n(seed, purpose, n)),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> f64 {
        match self {
            PerConnection::Same(x) => *x,
            PerConnection::Each(xs) => xs[i],
        }
    }
}

impl Network {
    /// Validates the description, draws every random value and builds the flat network the
    /// engines run. Fails with the first problem found, naming the item and key.
    pub fn materialise(&self) -> Result<NetData, BuildError> {
        let setup = self.setup;
        if !(setup.timestep.is_finite() && setup.timestep > 0.0) {
            return Err(BuildError::new(
                "simulation",
                "timestep",
                format!("must be a finite number > 0 ms, got {}", setup.timestep),
            ));
        }
        let min_delay = setup.min_delay();
        if !(min_delay.is_finite() && min_delay > 0.0) {
            return Err(BuildError::new(
                "simulation",
                "min_delay",
                format!("must be a finite number > 0 ms, got {min_delay}"),
            ));
        }
        let seed = setup.seed;
        let n_cells: usize = self.populations.iter().map(|p| p.size).sum();
        if n_cells >= INHIBITORY_BIT as usize {
            return Err(BuildError::new(
                "simulation",
                "size",
                format!("{n_cells} cells in all is more than this build supports"),
            ));
        }
        let mut offsets = Vec::with_capacity(self.populations.len());
        let mut kinds = Vec::with_capacity(n_cells);
        let mut params = Vec::with_capacity(n_cells);
        let mut init = Vec::with_capacity(n_cells);
        let mut array_ranges = vec![(0u32, 0u32); n_cells];
        let mut array_times = Vec::new();
        let mut poisson = Vec::new();
        let mut layout = Vec::with_capacity(self.populations.len());

        for pop in &self.populations {
            let offset = kinds.len() as u32;
            offsets.push(offset);
            let item = format!("population \"{}\"", pop.label);
            let given = |name: &str| {
                pop.parameters
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v)
            };
            let purpose =
                |kind: &str, name: &str| format!("population:{}/{kind}:{name}", pop.label);
            match pop.cell_type {
                CellType::IfCurrExp => {
                    let mut columns = Vec::with_capacity(9);
                    for (name, default, _) in if_curr_exp::PARAMETERS {
                        let v = given(name).cloned().unwrap_or(Value::Scalar(default));
                        columns.push(materialise(&v, pop.size, seed, &purpose("parameter", name)));
                    }
                    let mut state_columns = Vec::with_capacity(3);
                    for (name, default, _) in if_curr_exp::STATE_VARIABLES {
                        let v = pop
                            .initial_values
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, v)| v.clone());
                        state_columns.push(materialise(
                            &v.unwrap_or(Value::Scalar(default)),
                            pop.size,
                            seed,
                            &purpose("initial", name),
                        ));
                    }
                    for i in 0..pop.size {
                        let p = Params::from_values(&std::array::from_fn(|k| columns[k][i]));
                        p.validate().map_err(|e| {
                            let cell = if pop.size > 1 {
                                format!("cell {i}: ")
                            } else {
                                String::new()
                            };
                            BuildError::new(&item, e.name, format!("{cell}{}", e.message))
                        })?;
                        let s = State {
                            v: state_columns[0][i],
                            isyn_exc: state_columns[1][i],
                            isyn_inh: state_columns[2][i],
                        };
                        for (key, x) in [
                            ("v", s.v),
                            ("isyn_exc", s.isyn_exc),
                            ("isyn_inh", s.isyn_inh),
                        ] {
                            if !x.is_finite() {
                                return Err(BuildError::new(
                                    &item,
                                    key,
                                    format!("cell {i}: initial value must be finite, got {x}"),
                                ));
                            }
                        }
                        if s.isyn_exc < 0.0 {
                            return Err(BuildError::new(
                                &item,
                                "isyn_exc",
                                format!(
                                    "cell {i}: initial excitatory current must be >= 0 nA, got {}",
                                    s.isyn_exc
                                ),
                            ));
                        }
                        if s.isyn_inh > 0.0 {
                            return Err(BuildError::new(
                                &item,
                                "isyn_inh",
                                format!(
                                    "cell {i}: initial inhibitory current must be <= 0 nA, got {}",
                                    s.isyn_inh
                                ),
                            ));
                        }
                        kinds.push(CellKind::Neuron);
                        params.push(p);
                        init.push(s);
                    }
                }
                CellType::SpikeSourceArray => {
                    for i in 0..pop.size {
                        let times: &[f64] = match &pop.spike_times {
                            None => &[],
                            Some(SpikeTimes::Same(ts)) => ts,
                            Some(SpikeTimes::PerCell(lists)) => &lists[i],
                        };
                        let start = array_times.len() as u32;
                        array_times.extend_from_slice(times);
                        array_ranges[offset as usize + i] = (start, array_times.len() as u32);
                        kinds.push(CellKind::Array);
                        params.push(Params::default());
                        init.push(State {
                            v: -65.0,
                            isyn_exc: 0.0,
                            isyn_inh: 0.0,
                        });
                    }
                }
                CellType::SpikeSourcePoisson => {
                    let mut cols = Vec::with_capacity(3);
                    for (name, default, _) in super::POISSON_PARAMETERS {
                        let v = given(name).cloned().unwrap_or(Value::Scalar(default));
                        let xs = match &v {
                            Value::Scalar(x) if x.is_infinite() && name == "duration" => {
                                vec![*x; pop.size]
                            }
                            _ => materialise(&v, pop.size, seed, &purpose("parameter", name)),
                        };
                        for (i, &x) in xs.iter().enumerate() {
                            let ok = if name == "duration" {
                                x >= 0.0 && !x.is_nan()
                            } else {
                                x.is_finite() && x >= 0.0
                            };
                            if !ok {
                                let unit = if name == "rate" { "Hz" } else { "ms" };
                                return Err(BuildError::new(
                                    &item,
                                    name,
                                    format!("cell {i}: must be >= 0 {unit}, got {x}"),
                                ));
                            }
                        }
                        cols.push(xs);
                    }
                    let [rates, starts, durations] = [&cols[0], &cols[1], &cols[2]];
                    for (i, ((&rate_hz, &start), &duration)) in
                        rates.iter().zip(starts).zip(durations).enumerate()
                    {
                        let cell = offset + i as u32;
                        poisson.push(PoissonCell {
                            cell,
                            rate_hz,
                            start,
                            duration,
                            rng: stream(seed, &format!("population:{}/poisson:{i}", pop.label)),
                        });
                        kinds.push(CellKind::Poisson);
                        params.push(Params::default());
                        init.push(State {
                            v: -65.0,
                            isyn_exc: 0.0,
                            isyn_inh: 0.0,
                        });
                    }
                }
            }
            // recording layout
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
            layout.push(PopulationLayout {
                label: pop.label.clone(),
                cell_type: pop.cell_type.name().to_string(),
                offset,
                size: pop.size as u32,
                spikes,
                signals,
            });
        }

        // Synapses: (pre, delay, creation order) -> CSR by pre, grouped by delay.
        let mut receives_input = vec![false; self.populations.len()];
        let mut syn_pre: Vec<u32> = Vec::new();
        let mut syn_delay: Vec<f64> = Vec::new();
        let mut syn_target: Vec<u32> = Vec::new();
        let mut syn_weight: Vec<f64> = Vec::new();
        for proj in &self.projections {
            let item = format!("projection \"{}\"", proj.label);
            let pre_pop = &self.populations[proj.pre.population];
            let post_pop = &self.populations[proj.post.population];
            let all = |n: usize| (0..n as u32).collect::<Vec<_>>();
            let pre_cells = proj.pre.cells.clone().unwrap_or_else(|| all(pre_pop.size));
            let post_cells = proj
                .post
                .cells
                .clone()
                .unwrap_or_else(|| all(post_pop.size));
            let same = proj.pre.population == proj.post.population;
            let purpose = |what: &str| format!("projection:{}/{what}", proj.label);
            let mut rng = stream(seed, &purpose("connector"));
            let conns: Vec<Connection> =
                connectors::generate(&proj.connector, &pre_cells, &post_cells, same, &mut rng);
            let n = conns.len();
            let weights = PerConnection::new(&proj.synapse.weight, n, seed, &purpose("weight"));
            let delays = PerConnection::new(&proj.synapse.delay, n, seed, &purpose("delay"));
            let (pre_off, post_off) = (offsets[proj.pre.population], offsets[proj.post.population]);
            for (i, c) in conns.iter().enumerate() {
                let w = c.weight(&proj.connector).unwrap_or_else(|| weights.get(i));
                let d = c.delay(&proj.connector).unwrap_or_else(|| delays.get(i));
                check_weight_sign(w, proj.receptor).map_err(|m| {
                    BuildError::new(
                        &item,
                        "weight",
                        format!("connection {} -> {}: {m}", c.pre, c.post),
                    )
                })?;
                if !(d.is_finite() && d >= min_delay) {
                    return Err(BuildError::new(
                        &item,
                        "delay",
                        format!("connection {} -> {}: {d} ms is below min_delay ({min_delay} ms); use delays >= {min_delay} or lower simulation.min_delay", c.pre, c.post),
                    ));
                }
                syn_pre.push(pre_off + c.pre);
                syn_delay.push(d);
                let inh = if proj.receptor == Receptor::Inhibitory {
                    INHIBITORY_BIT
                } else {
                    0
                };
                syn_target.push((post_off + c.post) | inh);
                syn_weight.push(w);
            }
            if n > 0 {
                receives_input[proj.post.population] = true;
            }
        }
        let n_syn = syn_pre.len();
        if n_syn >= u32::MAX as usize {
            return Err(BuildError::new(
                "simulation",
                "projections",
                format!("{n_syn} synapses is more than this build supports"),
            ));
        }
        // Order: by presynaptic cell (a stable counting sort, O(n)), then by delay within each
        // cell (a stable sort of that cell's few synapses); ties keep creation order.
        let mut starts = vec![0u32; n_cells + 1];
        for &pre in &syn_pre {
            starts[pre as usize + 1] += 1;
        }
        for g in 0..n_cells {
            starts[g + 1] += starts[g];
        }
        let mut order = vec![0u32; n_syn];
        let mut next = starts.clone();
        for (s, &pre) in syn_pre.iter().enumerate() {
            order[next[pre as usize] as usize] = s as u32;
            next[pre as usize] += 1;
        }
        drop(next);
        for g in 0..n_cells {
            order[starts[g] as usize..starts[g + 1] as usize]
                .sort_by(|&a, &b| syn_delay[a as usize].total_cmp(&syn_delay[b as usize]));
        }
        let mut group_offsets = Vec::with_capacity(n_cells + 1);
        let mut group_delay = Vec::new();
        let mut syn_offsets = Vec::new();
        let mut targets = Vec::with_capacity(n_syn);
        let mut weights = Vec::with_capacity(n_syn);
        let mut it = order.iter().peekable();
        for g in 0..n_cells as u32 {
            group_offsets.push(group_delay.len() as u32);
            while let Some(&&s) = it.peek() {
                let s = s as usize;
                if syn_pre[s] != g {
                    break;
                }
                if group_delay.len() as u32 == *group_offsets.last().unwrap()
                    || *group_delay.last().unwrap() != syn_delay[s]
                {
                    group_delay.push(syn_delay[s]);
                    syn_offsets.push(targets.len() as u32);
                }
                targets.push(syn_target[s]);
                weights.push(syn_weight[s]);
                it.next();
            }
        }
        group_offsets.push(group_delay.len() as u32);
        syn_offsets.push(targets.len() as u32);

        // Current sources: per cell, the piecewise-constant total injected current.
        let current_switches = self.current_switches(&offsets);

        Ok(NetData {
            timestep: setup.timestep,
            min_delay,
            seed,
            kinds,
            params,
            init,
            array_ranges,
            array_times,
            poisson,
            current_switches,
            group_offsets,
            group_delay,
            syn_offsets,
            syn_target: targets,
            syn_weight: weights,
            layout,
            receives_input,
        })
    }

    /// The switches `(t, cell, total injected current after t)` of every cell that receives a
    /// current source, sorted by (t, cell). The total is recomputed at each breakpoint as the
    /// sum, in source order, of the amplitudes active there, so no rounding accumulates.
    fn current_switches(&self, offsets: &[u32]) -> Vec<(f64, u32, f64)> {
        use std::collections::BTreeMap;
        let mut per_cell: BTreeMap<u32, Vec<&CurrentSource>> = BTreeMap::new();
        for (src, sel) in &self.current_sources {
            let size = self.populations[sel.population].size as u32;
            let cells = sel.cells.clone().unwrap_or_else(|| (0..size).collect());
            for c in cells {
                per_cell
                    .entry(offsets[sel.population] + c)
                    .or_default()
                    .push(src);
            }
        }
        let mut out = Vec::new();
        for (cell, sources) in per_cell {
            let mut times: Vec<f64> = Vec::new();
            for s in &sources {
                match s {
                    CurrentSource::Dc { start, stop, .. } => {
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
                let total: f64 = sources.iter().map(|s| amplitude_at(s, t)).sum();
                out.push((t, cell, total));
            }
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        out
    }

    /// Builds the network and returns a simulation at t = 0 on the exact backend.
    pub fn build(&self) -> Result<Simulation, BuildError> {
        self.build_with(Backend::Exact)
    }

    /// Builds the network and returns a simulation at t = 0 on `backend`.
    pub fn build_with(&self, backend: Backend) -> Result<Simulation, BuildError> {
        let t0 = Instant::now();
        let net = self.materialise()?;
        let engine = match backend {
            Backend::Exact => Engine::Exact(Box::new(ExactEngine::new(&net))),
            Backend::Grid => Engine::Step(Box::new(StepEngine::new(&net, Scheme::Grid))),
            Backend::Euler => Engine::Step(Box::new(StepEngine::new(&net, Scheme::Euler))),
        };
        let build_time_s = t0.elapsed().as_secs_f64();
        Ok(Simulation {
            net,
            engine,
            backend,
            build_time_s,
            wall_time_s: 0.0,
        })
    }

    /// Warnings about the (valid) network: populations that can never fire. A population
    /// that receives no synaptic input, starts below threshold with no excitatory current,
    /// and whose `v_inf = v_rest + (i_offset + i_inj) * tau_m / cm` stays at or below
    /// `v_thresh` even with its injected currents at their largest, never fires.
    pub fn diagnostics(&self, net: &NetData) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut max_inj = vec![0.0f64; net.n_cells()];
        for &(_, g, i) in &net.current_switches {
            max_inj[g as usize] = max_inj[g as usize].max(i);
        }
        for (pi, pop) in self.populations.iter().enumerate() {
            if pop.cell_type != CellType::IfCurrExp || net.receives_input[pi] {
                continue;
            }
            let off = net.layout[pi].offset as usize;
            let cells = off..off + pop.size;
            let silent: Vec<usize> = cells
                .clone()
                .filter(|&g| {
                    let p = &net.params[g];
                    let s = &net.init[g];
                    s.v < p.v_thresh && s.isyn_exc == 0.0 && p.v_inf(max_inj[g]) <= p.v_thresh
                })
                .collect();
            if silent.is_empty() {
                continue;
            }
            let g = silent[0];
            let p = &net.params[g];
            let n = fmt_num;
            let detail = if max_inj[g] != 0.0 {
                format!(
                    "v_inf = v_rest + (i_offset + i_inj)*tau_m/cm = {} + ({} + {})*{}/{} = {} mV, below v_thresh = {} mV, with the injected current i_inj at its largest",
                    n(p.v_rest), n(p.i_offset), n(max_inj[g]), n(p.tau_m), n(p.cm), n(p.v_inf(max_inj[g])), n(p.v_thresh)
                )
            } else {
                format!(
                    "v_inf = v_rest + i_offset*tau_m/cm = {} + {}*{}/{} = {} mV, below v_thresh = {} mV",
                    n(p.v_rest), n(p.i_offset), n(p.tau_m), n(p.cm), n(p.v_inf(0.0)), n(p.v_thresh)
                )
            };
            let message = if silent.len() == pop.size {
                let which = if pop.size > 1 {
                    format!("none of its {} cells", pop.size)
                } else {
                    "its cell".to_string()
                };
                let cell = if pop.size > 1 {
                    format!("e.g. cell {}: ", g - off)
                } else {
                    String::new()
                };
                format!(
                    "{which} can ever fire: it receives no synaptic input and starts below threshold, and {cell}{detail}. To fire, raise i_offset above (v_thresh - v_rest)*cm/tau_m = {} nA or add input",
                    n((p.v_thresh - p.v_rest) * p.cm / p.tau_m - max_inj[g])
                )
            } else {
                format!(
                    "{} of {} cells can never fire: no synaptic input, and their v_inf stays below v_thresh (e.g. cell {}: {detail})",
                    silent.len(),
                    pop.size,
                    g - off
                )
            };
            out.push(Diagnostic {
                population: pop.label.clone(),
                message,
            });
        }
        out
    }
}

/// A number for a message: at most 10 significant digits, so -64.00000000000001 shows as -64
/// and a drawn -66.21427137631144 as -66.21427138.
fn fmt_num(x: f64) -> String {
    let r: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    format!("{r}")
}

/// The amplitude of a current source at time `t` (right-continuous).
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
        CurrentSource::Step { times, amplitudes } => match times.iter().rposition(|&x| x <= t) {
            Some(i) => amplitudes[i],
            None => 0.0,
        },
    }
}

/// The engine of a [`Simulation`].
enum Engine {
    Exact(Box<ExactEngine>),
    Step(Box<StepEngine>),
}

/// A built network with its engine: PyNN's `run`, `reset` and `get_data`.
pub struct Simulation {
    net: NetData,
    engine: Engine,
    backend: Backend,
    build_time_s: f64,
    wall_time_s: f64,
}

impl Simulation {
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
            match &mut self.engine {
                Engine::Exact(e) => e.run_until(&self.net, t_stop),
                Engine::Step(e) => e.run_until(&self.net, t_stop),
            }
        }
        self.wall_time_s += t0.elapsed().as_secs_f64();
    }

    /// Returns to t = 0 with the same network, clearing recordings (PyNN's `reset`).
    pub fn reset(&mut self) {
        match &mut self.engine {
            Engine::Exact(e) => e.reset(&self.net),
            Engine::Step(e) => e.reset(&self.net),
        }
        self.wall_time_s = 0.0;
    }

    /// Current time (ms).
    pub fn time(&self) -> f64 {
        match &self.engine {
            Engine::Exact(e) => e.time(),
            Engine::Step(e) => e.time(),
        }
    }

    /// Runs the exact backend's min_delay windows on `threads` threads (`0`: one per core;
    /// default 1), the cells split into as many shards. Results are bit-identical for any
    /// number of threads. Returns the simulation to t = 0, like [`Simulation::reset`]. The
    /// step-based backends run on one thread whatever is asked. Returns the number of threads
    /// the simulation now uses.
    pub fn set_threads(&mut self, threads: usize) -> usize {
        match &mut self.engine {
            Engine::Exact(e) => {
                **e = ExactEngine::with_threads(&self.net, threads);
                self.wall_time_s = 0.0;
                e.threads()
            }
            Engine::Step(e) => {
                e.reset(&self.net);
                self.wall_time_s = 0.0;
                1
            }
        }
    }

    /// The backend this simulation runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The flat network.
    pub fn net(&self) -> &NetData {
        &self.net
    }

    /// Everything recorded so far (PyNN's `get_data`); `backend` names the backend.
    pub fn get_data(&self) -> DataBlock {
        let (recorder, counts) = match &self.engine {
            Engine::Exact(e) => (&e.recorder, e.counts()),
            Engine::Step(e) => (&e.recorder, e.counts()),
        };
        recorder.data_block(
            self.backend.name(),
            self.net.seed,
            self.time(),
            counts,
            self.wall_time_s,
            self.build_time_s,
        )
    }
}
