//! From a [`Network`] description to a runnable [`Simulation`]: every value materialised per
//! cell and per connection (random values from their own streams, SPEC §2), validated once,
//! and laid out flat for the engines ([`NetData`]).

use std::convert::Infallible;
use std::time::Instant;

use super::connectors::{self, Connection, Connections};
use super::random::stream;
use super::{
    check_poisson_parameter, check_weight_sign, BuildError, CellType, Connector, CurrentSource,
    Network, Projection, Receptor, SpikeTimes, Value, Var,
};
use crate::engine::Simulation;
use crate::engine::{Backend, CellKind, NetData, PoissonCell, INHIBITORY_BIT};
use crate::model::if_curr_exp::{self, Params, State};
use crate::recording::PopulationLayout;

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

/// The weights or the delays of one projection's connections, one after another in connection
/// order: one number shared by all, or a value each, drawn from the stream of its purpose as it
/// is needed (nothing stored per connection). A fresh `PerConnection` gives the same values again.
enum PerConnection<'a> {
    Same(f64),
    Each(Box<dyn Iterator<Item = f64> + 'a>),
}

impl<'a> PerConnection<'a> {
    /// The values of `value` (random values from the stream `purpose`).
    fn new(value: &'a Value, seed: u64, purpose: &str) -> Self {
        match value {
            Value::Scalar(x) => PerConnection::Same(*x),
            // a per-cell list is rejected by Network::connect
            Value::PerCell(xs) => PerConnection::Each(Box::new(xs.iter().copied())),
            Value::Random(d) => PerConnection::Each(Box::new(d.samples(seed, purpose))),
        }
    }

    /// The value of the next connection.
    #[inline]
    fn next(&mut self) -> f64 {
        match self {
            PerConnection::Same(x) => *x,
            PerConnection::Each(xs) => xs.next().expect("a value for each connection"),
        }
    }
}

/// The synapses of a network, laid out as in [`NetData`], and whether each population receives
/// any.
struct Synapses {
    group_offsets: Vec<u32>,
    group_delay: Vec<f64>,
    syn_offsets: Vec<u32>,
    syn_target: Vec<u32>,
    syn_weight: Vec<f64>,
    receives_input: Vec<bool>,
}

/// One projection's connections, drawn and counted, waiting to be placed.
struct Drawn<'a> {
    proj: &'a Projection,
    conns: Connections,
    /// Global index of the first cell of the pre and of the post population.
    pre_off: u32,
    post_off: u32,
}

impl Drawn<'_> {
    /// The weight and delay of all synapses, when they share one (scalars, not overridden by a
    /// connection list).
    fn fixed(&self) -> Option<(f64, f64)> {
        match (
            &self.proj.synapse.weight,
            &self.proj.synapse.delay,
            &self.proj.connector,
        ) {
            (_, _, Connector::FromList { .. }) => None,
            (&Value::Scalar(w), &Value::Scalar(d), _) => Some((w, d)),
            _ => None,
        }
    }

    /// [`INHIBITORY_BIT`] for an inhibitory projection, else 0.
    fn inhibitory_bit(&self) -> u32 {
        match self.proj.receptor {
            Receptor::Inhibitory => INHIBITORY_BIT,
            Receptor::Excitatory => 0,
        }
    }

    /// The projection's synapses in connection order, as (global pre cell, delay, target with
    /// [`INHIBITORY_BIT`] for an inhibitory receptor, weight). Weights and delays come from
    /// fresh streams, so every call gives the same values.
    fn for_each_synapse<E>(
        &self,
        seed: u64,
        mut f: impl FnMut(Connection, u32, f64, u32, f64) -> Result<(), E>,
    ) -> Result<(), E> {
        let proj = self.proj;
        let purpose = |what: &str| format!("projection:{}/{what}", proj.label);
        let mut weights = PerConnection::new(&proj.synapse.weight, seed, &purpose("weight"));
        let mut delays = PerConnection::new(&proj.synapse.delay, seed, &purpose("delay"));
        let inh = self.inhibitory_bit();
        for c in self.conns.iter() {
            // every connection takes its draw, even where the list overrides it
            let (w, d) = (weights.next(), delays.next());
            let w = c.weight(&proj.connector).unwrap_or(w);
            let d = c.delay(&proj.connector).unwrap_or(d);
            f(
                c,
                self.pre_off + c.pre,
                d,
                (self.post_off + c.post) | inh,
                w,
            )?;
        }
        Ok(())
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
                        let cell = if pop.size > 1 {
                            format!("cell {i}: ")
                        } else {
                            String::new()
                        };
                        let p = Params::from_values(&std::array::from_fn(|k| columns[k][i]));
                        p.validate().map_err(|e| {
                            BuildError::new(&item, e.name, format!("{cell}{}", e.message))
                        })?;
                        let s = State {
                            v: state_columns[0][i],
                            isyn_exc: state_columns[1][i],
                            isyn_inh: state_columns[2][i],
                        };
                        s.validate().map_err(|e| {
                            BuildError::new(&item, e.name, format!("cell {i}: {}", e.message))
                        })?;
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
                        init.push(State::default());
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
                            check_poisson_parameter(name, x).map_err(|m| {
                                BuildError::new(&item, name, format!("cell {i}: {m}"))
                            })?;
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
                        init.push(State::default());
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

        let Synapses {
            group_offsets,
            group_delay,
            syn_offsets,
            syn_target,
            syn_weight,
            receives_input,
        } = self.synapses(&offsets, n_cells)?;

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
            syn_target,
            syn_weight,
            layout,
            receives_input,
        })
    }

    /// Draws, checks and lays out every synapse ([`NetData`]'s compressed rows by presynaptic
    /// cell, one group per delay, delays increasing) for a network of `n_cells` cells whose
    /// populations start at `offsets`. Fails on the first bad weight or delay, in projection and
    /// connection order.
    ///
    /// Each projection is drawn once and kept until placed as [`Connections`] (4 bytes a
    /// connection). Then the synapses of every (pre cell, delay) group are counted, the final
    /// arrays allocated at their exact size, each projection's synapses placed into their groups
    /// in projection order (weights and delays redrawn from their streams, cheaper than keeping
    /// them) and its connections freed, and last each group is sorted by target cell with a
    /// stable sort. So a group holds its synapses by target, ties in projection order then
    /// connection order; the peak is the final 12 bytes a synapse plus 4 per connection.
    fn synapses(&self, offsets: &[u32], n_cells: usize) -> Result<Synapses, BuildError> {
        let (seed, min_delay) = (self.setup.seed, self.setup.min_delay());
        let mut receives_input = vec![false; self.populations.len()];
        // Draw and check every projection; count the synapses of each (pre cell, delay) group
        // as (global pre cell, delay, count), a cell's entries possibly repeated.
        let mut drawn = Vec::with_capacity(self.projections.len());
        let mut counts: Vec<(u32, f64, u32)> = Vec::new();
        let mut delays: Vec<f64> = Vec::new();
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
            let purpose = format!("projection:{}/connector", proj.label);
            let mut rng = stream(seed, &purpose);
            let pending = Drawn {
                proj,
                conns: connectors::generate(
                    &proj.connector,
                    &pre_cells,
                    &post_cells,
                    same,
                    &mut rng,
                ),
                pre_off: offsets[proj.pre.population],
                post_off: offsets[proj.post.population],
            };
            let check = |c: Connection, delay: f64, w: f64| {
                check_weight_sign(w, proj.receptor).map_err(|m| {
                    BuildError::new(
                        &item,
                        "weight",
                        format!("connection {} -> {}: {m}", c.pre, c.post),
                    )
                })?;
                if !(delay.is_finite() && delay >= min_delay) {
                    return Err(BuildError::new(
                        &item,
                        "delay",
                        format!("connection {} -> {}: {delay} ms is below min_delay ({min_delay} ms); use delays >= {min_delay} or lower simulation.min_delay", c.pre, c.post),
                    ));
                }
                Ok(())
            };
            match pending.fixed() {
                // One weight and delay for all: checked once, one group per pre cell.
                Some((w, delay)) => {
                    if let Some(c) = pending.conns.iter().next() {
                        check(c, delay, w)?;
                    }
                    let rows = pending.conns.rows();
                    let pre_off = pending.pre_off;
                    counts
                        .extend(rows.map(|(pre, post)| (pre_off + pre, delay, post.len() as u32)));
                }
                // A value each: every synapse checked, one group per distinct delay of a cell.
                None => {
                    let mut cell = None;
                    pending.for_each_synapse(seed, |c, pre, delay, _, w| {
                        check(c, delay, w)?;
                        if cell != Some(pre) {
                            count_delays(&mut counts, cell, &mut delays);
                            cell = Some(pre);
                        }
                        delays.push(delay);
                        Ok(())
                    })?;
                    count_delays(&mut counts, cell, &mut delays);
                }
            }
            if pending.conns.len() > 0 {
                receives_input[proj.post.population] = true;
            }
            drawn.push(pending);
        }
        let n_syn: usize = drawn.iter().map(|p| p.conns.len()).sum();
        if n_syn >= u32::MAX as usize {
            return Err(BuildError::new(
                "simulation",
                "projections",
                format!("{n_syn} synapses is more than this build supports"),
            ));
        }

        // The groups: by cell, delays increasing; the synapses of group k are
        // syn_offsets[k]..syn_offsets[k + 1].
        counts.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let same_group = |a: &(u32, f64, u32), b: &(u32, f64, u32)| a.0 == b.0 && a.1 == b.1;
        let n_groups = counts.chunk_by(same_group).count();
        let mut group_offsets = vec![0u32; n_cells + 1];
        let mut group_delay = Vec::with_capacity(n_groups);
        let mut syn_offsets = Vec::with_capacity(n_groups + 1);
        let mut end = 0u32;
        for group in counts.chunk_by(same_group) {
            group_offsets[group[0].0 as usize + 1] += 1;
            group_delay.push(group[0].1);
            syn_offsets.push(end);
            end += group.iter().map(|g| g.2).sum::<u32>();
        }
        syn_offsets.push(end);
        drop(counts);
        for g in 0..n_cells {
            group_offsets[g + 1] += group_offsets[g];
        }

        // Place the synapses, projection by projection, each group filled in projection order
        // and connection order; a projection's connections are freed once placed.
        let mut syn_target = vec![0u32; n_syn];
        let mut syn_weight = vec![0.0f64; n_syn];
        let mut next = syn_offsets[..n_groups].to_vec();
        let group = |pre: u32, delay: f64| {
            let groups =
                group_offsets[pre as usize] as usize..group_offsets[pre as usize + 1] as usize;
            groups.start + group_delay[groups].partition_point(|&x| x < delay)
        };
        for pending in drawn {
            if let Some((w, delay)) = pending.fixed() {
                // a row at a time
                let (pre_off, post_off) = (pending.pre_off, pending.post_off);
                let inh = pending.inhibitory_bit();
                for (pre, post) in pending.conns.rows() {
                    let k = group(pre_off + pre, delay);
                    let start = next[k] as usize;
                    let row = start..start + post.len();
                    next[k] = row.end as u32;
                    for (t, &p) in syn_target[row.clone()].iter_mut().zip(post) {
                        *t = (post_off + p) | inh;
                    }
                    syn_weight[row].fill(w);
                }
            } else {
                let Ok(()) = pending.for_each_synapse(seed, |_, pre, delay, target, w| {
                    let k = group(pre, delay);
                    let s = next[k] as usize;
                    next[k] += 1;
                    syn_target[s] = target;
                    syn_weight[s] = w;
                    Ok::<(), Infallible>(())
                });
            }
        }
        debug_assert!((0..n_groups).all(|k| next[k] == syn_offsets[k + 1]));
        drop(next);

        // Each group by target cell, stably (most are already in order).
        let mut scratch: Vec<(u32, f64)> = Vec::new();
        for k in 0..n_groups {
            let range = syn_offsets[k] as usize..syn_offsets[k + 1] as usize;
            if syn_target[range.clone()].is_sorted_by_key(|&t| t & !INHIBITORY_BIT) {
                continue;
            }
            scratch.clear();
            scratch.extend(
                syn_target[range.clone()]
                    .iter()
                    .copied()
                    .zip(syn_weight[range.clone()].iter().copied()),
            );
            scratch.sort_by_key(|&(t, _)| t & !INHIBITORY_BIT);
            for (s, &(t, w)) in range.zip(&scratch) {
                syn_target[s] = t;
                syn_weight[s] = w;
            }
        }

        Ok(Synapses {
            group_offsets,
            group_delay,
            syn_offsets,
            syn_target,
            syn_weight,
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
        Ok(Simulation::new(net, backend, t0.elapsed().as_secs_f64()))
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

/// Adds to `counts` one `(cell, delay, number of synapses)` per distinct value of `delays`, the
/// delays of the synapses of `cell` (if any) in one projection, and empties `delays`.
fn count_delays(counts: &mut Vec<(u32, f64, u32)>, cell: Option<u32>, delays: &mut Vec<f64>) {
    if let Some(cell) = cell {
        delays.sort_unstable_by(f64::total_cmp);
        for run in delays.chunk_by(|a, b| a == b) {
            counts.push((cell, run[0], run.len() as u32));
        }
    }
    delays.clear();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Population, RandomDistribution, Selection, Setup, StaticSynapse};

    /// Each synapse of `net` as `(pre cell, delay, target, inhibitory, weight)`, in storage order.
    fn synapses(net: &NetData) -> Vec<(usize, f64, u32, bool, f64)> {
        let mut out = Vec::new();
        for g in 0..net.n_cells() {
            for k in net.group_offsets[g] as usize..net.group_offsets[g + 1] as usize {
                for s in net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize {
                    let t = net.syn_target[s];
                    out.push((
                        g,
                        net.group_delay[k],
                        t & !INHIBITORY_BIT,
                        t & INHIBITORY_BIT != 0,
                        net.syn_weight[s],
                    ));
                }
            }
        }
        out
    }

    /// The layout of [`NetData`]: offsets consistent and covering everything, no empty group,
    /// delays increasing within a cell, and every group sorted by target cell.
    fn assert_layout(net: &NetData) {
        assert_eq!(net.group_offsets.len(), net.n_cells() + 1);
        assert_eq!(net.group_offsets[0], 0);
        assert_eq!(
            *net.group_offsets.last().unwrap() as usize,
            net.group_delay.len()
        );
        assert_eq!(net.syn_offsets.len(), net.group_delay.len() + 1);
        assert_eq!(net.syn_offsets[0], 0);
        assert_eq!(*net.syn_offsets.last().unwrap() as usize, net.n_synapses());
        assert_eq!(net.syn_weight.len(), net.n_synapses());
        assert!(
            net.syn_offsets.windows(2).all(|w| w[0] < w[1]),
            "empty group"
        );
        for g in 0..net.n_cells() {
            let groups = net.group_offsets[g] as usize..net.group_offsets[g + 1] as usize;
            assert!(net.group_delay[groups].windows(2).all(|w| w[0] < w[1]));
        }
        for k in 0..net.group_delay.len() {
            let group =
                &net.syn_target[net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize];
            assert!(
                group.is_sorted_by_key(|&t| t & !INHIBITORY_BIT),
                "group {k} not sorted by target: {group:?}"
            );
        }
    }

    fn list(entries: &[(u32, u32, Option<f64>, Option<f64>)]) -> Connector {
        Connector::FromList {
            conn_list: entries.to_vec(),
        }
    }

    /// Two connection lists onto one population, pairs unsorted and repeated: each delay group
    /// holds its synapses by target cell, ties in projection order, then in list order.
    #[test]
    fn groups_sorted_by_target_ties_in_projection_then_list_order() {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 1,
            min_delay: None,
        });
        let src = net.create("src", 2, CellType::SpikeSourcePoisson).unwrap();
        let dst = net.create("dst", 4, CellType::IfCurrExp).unwrap();
        let exc = [
            (0, 3, Some(0.1), None),
            (0, 1, Some(0.2), None),
            (1, 0, Some(0.4), None),
            (0, 3, Some(0.3), None),
            (0, 1, Some(0.5), Some(2.0)),
            (0, 2, None, None),
        ];
        let inh = [
            (0, 3, Some(-0.8), None),
            (0, 1, Some(-0.6), None),
            (0, 0, Some(-0.7), None),
            (0, 1, Some(-0.9), Some(2.0)),
        ];
        let synapse = StaticSynapse::new(0.05, 1.0);
        net.connect(src, dst, list(&exc), synapse, Receptor::Excitatory, None)
            .unwrap();
        net.connect(
            src,
            dst,
            list(&inh),
            StaticSynapse::new(-0.05, 1.0),
            Receptor::Inhibitory,
            None,
        )
        .unwrap();
        let built = net.materialise().unwrap();
        assert_layout(&built);
        let (e, i) = (false, true);
        assert_eq!(
            synapses(&built),
            vec![
                (0, 1.0, 2, i, -0.7),
                (0, 1.0, 3, e, 0.2),
                (0, 1.0, 3, i, -0.6),
                (0, 1.0, 4, e, 0.05),
                (0, 1.0, 5, e, 0.1),
                (0, 1.0, 5, e, 0.3),
                (0, 1.0, 5, i, -0.8),
                (0, 2.0, 3, e, 0.5),
                (0, 2.0, 3, i, -0.9),
                (1, 1.0, 2, e, 0.4),
            ]
        );
    }

    /// The synapses of `net` by definition, in the order of [`synapses`]: each projection's
    /// connections with their weights and delays (values drawn from the streams of SPEC §2 in
    /// connection order), all of them sorted stably by (pre cell, delay, target cell).
    fn reference(net: &Network) -> Vec<(usize, f64, u32, bool, f64)> {
        let seed = net.setup.seed;
        let mut offsets = vec![0];
        for p in &net.populations {
            offsets.push(offsets.last().unwrap() + p.size as u32);
        }
        let mut all = Vec::new();
        for proj in &net.projections {
            let cells = |pop: usize, sel: &Option<Vec<u32>>| {
                sel.clone()
                    .unwrap_or_else(|| (0..net.populations[pop].size as u32).collect())
            };
            let (pre, post) = (proj.pre.population, proj.post.population);
            let purpose = |what: &str| format!("projection:{}/{what}", proj.label);
            let conns: Vec<Connection> = connectors::generate(
                &proj.connector,
                &cells(pre, &proj.pre.cells),
                &cells(post, &proj.post.cells),
                pre == post,
                &mut stream(seed, &purpose("connector")),
            )
            .iter()
            .collect();
            let values = |v: &Value, what: &str| match v {
                Value::Scalar(x) => vec![*x; conns.len()],
                Value::Random(d) => d.sample_n(seed, &purpose(what), conns.len()),
                Value::PerCell(xs) => xs.clone(),
            };
            let weights = values(&proj.synapse.weight, "weight");
            let delays = values(&proj.synapse.delay, "delay");
            for (i, c) in conns.iter().enumerate() {
                all.push((
                    (offsets[pre] + c.pre) as usize,
                    c.delay(&proj.connector).unwrap_or(delays[i]),
                    offsets[post] + c.post,
                    proj.receptor == Receptor::Inhibitory,
                    c.weight(&proj.connector).unwrap_or(weights[i]),
                ));
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        all
    }

    /// Random connectors, weights and delays, views in any order, several projections onto one
    /// population with a shared delay: the layout holds and the synapses are those of the
    /// definition ([`reference`]), in its order.
    #[test]
    fn random_networks_match_the_definition() {
        for seed in 0..4 {
            let mut net = Network::new(Setup {
                timestep: 0.1,
                seed,
                min_delay: Some(0.2),
            });
            let a = net.create("a", 60, CellType::IfCurrExp).unwrap();
            let b = net.create("b", 30, CellType::IfCurrExp).unwrap();
            let uniform = |low, high| RandomDistribution::Uniform { low, high };
            let exc = Receptor::Excitatory;
            let mut connect = |pre: Population, post: Selection, c, w: Value, d: Value, r| {
                net.connect(pre, post, c, StaticSynapse::new(w, d), r, None)
                    .unwrap();
            };
            connect(
                a,
                a.view(&[5, 1, 1, 40, 7]),
                Connector::FixedNumberPre {
                    n: 4,
                    allow_self_connections: false,
                    with_replacement: true,
                },
                uniform(0.0, 0.2).into(),
                0.4.into(),
                exc,
            );
            connect(
                a,
                a.into(),
                Connector::FixedProbability {
                    p_connect: 0.1,
                    allow_self_connections: false,
                },
                (-0.1).into(),
                0.4.into(),
                Receptor::Inhibitory,
            );
            connect(
                b,
                a.into(),
                Connector::FixedTotalNumber {
                    n: 300,
                    allow_self_connections: true,
                    with_replacement: true,
                },
                0.3.into(),
                RandomDistribution::NormalClipped {
                    mu: 1.0,
                    sigma: 0.5,
                    low: 0.2,
                    high: 2.0,
                }
                .into(),
                exc,
            );
            connect(
                a,
                b.into(),
                Connector::FixedNumberPost {
                    n: 5,
                    allow_self_connections: true,
                    with_replacement: false,
                },
                uniform(0.0, 0.1).into(),
                0.4.into(),
                exc,
            );
            connect(
                b,
                b.view(&[3, 9, 2]),
                Connector::AllToAll {
                    allow_self_connections: false,
                },
                0.2.into(),
                uniform(0.2, 0.5).into(),
                exc,
            );
            let built = net.materialise().unwrap();
            assert_layout(&built);
            assert_eq!(synapses(&built), reference(&net));
            assert!(synapses(&built).iter().filter(|s| s.3).count() > 0);
        }
    }

    /// The CUBA benchmark (four projections, two onto each population, one delay): the layout
    /// holds and the synapses are those of the definition, in its order.
    #[test]
    fn cuba_matches_the_definition() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cuba.toml");
        let model = crate::io::model_file::load_model(&path).unwrap();
        let built = model.network.materialise().unwrap();
        assert_layout(&built);
        assert!(built.n_synapses() > 300_000);
        assert_eq!(synapses(&built), reference(&model.network));
    }
}
