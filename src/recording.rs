//! Recording: spikes at their exact times, and state variables sampled from the closed form on
//! the grid `t_k = k * timestep` (right-continuous: the state after every event at exactly
//! `t_k`). [`DataBlock`] is what `get_data()` returns, in the spirit of a Neo block: per
//! population, spike trains and analog signals with times and units. It serializes with serde.

use serde::{Deserialize, Serialize};

/// A recordable variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Var {
    /// Spike times.
    Spikes,
    /// Membrane potential (mV).
    V,
    /// Excitatory synaptic current (nA).
    IsynExc,
    /// Inhibitory synaptic current (nA).
    IsynInh,
}

impl Var {
    /// The name used in model files and output files.
    pub fn name(&self) -> &'static str {
        match self {
            Var::Spikes => "spikes",
            Var::V => "v",
            Var::IsynExc => "isyn_exc",
            Var::IsynInh => "isyn_inh",
        }
    }
    /// Unit of the variable.
    pub fn unit(&self) -> &'static str {
        match self {
            Var::Spikes => "ms",
            Var::V => "mV",
            _ => "nA",
        }
    }
    /// Parses a name.
    pub fn from_name(s: &str) -> Option<Var> {
        Self::ALL.into_iter().find(|v| v.name() == s)
    }
    /// All variables, spikes first then the state variables in output order.
    pub const ALL: [Var; 4] = [Var::Spikes, Var::V, Var::IsynExc, Var::IsynInh];
}

/// Everything a run recorded, plus what is needed to interpret it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataBlock {
    /// Backend that produced the data: `exact`, `grid` or `euler`.
    pub backend: String,
    /// The model's seed.
    pub seed: u64,
    /// Recording grid (ms).
    pub timestep_ms: f64,
    /// Simulated time so far (ms).
    pub duration_ms: f64,
    /// One entry per population, in population order.
    pub populations: Vec<PopulationData>,
    /// Counts of what the engine did.
    pub events: EventCounts,
    /// Wall time of the simulation itself, construction excluded (s).
    pub wall_time_s: f64,
    /// Wall time of network construction (s).
    pub build_time_s: f64,
}

/// Counts of engine work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCounts {
    /// Synaptic inputs delivered to cells.
    pub synaptic_inputs: u64,
    /// Spikes emitted by cells (all populations, recorded or not, sources included).
    pub spikes: u64,
    /// Threshold predictions computed.
    pub predictions: u64,
    /// Root searches that hit the iteration cap (a bug trap; should stay 0).
    pub solver_cap_hits: u64,
}

/// What one population recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PopulationData {
    /// The population's label.
    pub label: String,
    /// Number of cells.
    pub size: usize,
    /// PyNN cell type name.
    pub cell_type: String,
    /// Total spikes of the population during the run (recorded or not).
    pub spike_count: u64,
    /// Whether spikes were recorded.
    pub records_spikes: bool,
    /// One spike train per recorded cell, in cell order (empty if spikes are not recorded).
    pub spiketrains: Vec<SpikeTrain>,
    /// One signal per recorded state variable, in the order v, isyn_exc, isyn_inh.
    pub signals: Vec<AnalogSignal>,
}

/// The spikes of one cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpikeTrain {
    /// Cell index in the population.
    pub neuron: u32,
    /// Spike times (ms), increasing.
    pub times_ms: Vec<f64>,
}

/// A sampled state variable of some cells of a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalogSignal {
    /// Variable name: `v`, `isyn_exc` or `isyn_inh`.
    pub name: String,
    /// Unit: `mV` or `nA`.
    pub units: String,
    /// Sampling period (ms).
    pub sampling_period_ms: f64,
    /// Sample times `k * timestep` (ms).
    pub times_ms: Vec<f64>,
    /// Recorded cells (indices in the population), in increasing order.
    pub neurons: Vec<u32>,
    /// `values[i][k]`: the variable of `neurons[i]` at `times_ms[k]`.
    pub values: Vec<Vec<f64>>,
}

impl AnalogSignal {
    /// The samples as one flat array in time-major order, Neo's `AnalogSignal` layout of shape
    /// `(times_ms.len(), neurons.len())`: the value of `neurons[i]` at `times_ms[k]` is at
    /// `k * neurons.len() + i` (see [`PopulationData::spikes_flat`] for an example).
    pub fn values_time_major(&self) -> Vec<f64> {
        let (n, k) = (self.neurons.len(), self.times_ms.len());
        let mut out = vec![0.0; n * k];
        for (i, row) in self.values.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                out[j * n + i] = x;
            }
        }
        out
    }
}

impl DataBlock {
    /// The population with this label.
    pub fn population(&self, label: &str) -> Option<&PopulationData> {
        self.populations.iter().find(|p| p.label == label)
    }
}

impl PopulationData {
    /// The signal of a variable, if recorded.
    pub fn signal(&self, name: &str) -> Option<&AnalogSignal> {
        self.signals.iter().find(|s| s.name == name)
    }
    /// The recorded spikes as two flat arrays of equal length, ordered by cell, then time: the
    /// cell (index in the population) and the time (ms) of every spike. These are what a
    /// binding hands over as arrays (e.g. to numpy) without a per-spike object.
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let cells = net.create("cells", 2, CellType::IfCurrExp)?;
    /// net.set(&cells, "i_offset", vec![0.0, 1.0])?; // only cell 1 reaches threshold
    /// net.record(cells, &[Var::Spikes, Var::V])?;
    /// let mut sim = net.build()?;
    /// sim.run(50.0);
    /// let data = sim.get_data();
    /// let (cell, t_ms) = data.populations[0].spikes_flat();
    /// assert!(!cell.is_empty() && cell.iter().all(|&c| c == 1));
    /// assert!(t_ms.windows(2).all(|w| w[0] < w[1]));
    /// let v = &data.populations[0].signals[0];
    /// let flat = v.values_time_major(); // shape (501 times, 2 cells)
    /// assert_eq!(flat.len(), 501 * 2);
    /// assert_eq!(flat[2 * 100 + 1], v.values[1][100]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spikes_flat(&self) -> (Vec<u32>, Vec<f64>) {
        let n = self.spiketrains.iter().map(|t| t.times_ms.len()).sum();
        let (mut cells, mut times) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for t in &self.spiketrains {
            cells.extend(std::iter::repeat_n(t.neuron, t.times_ms.len()));
            times.extend_from_slice(&t.times_ms);
        }
        (cells, times)
    }

    /// Mean firing rate over the population (Hz) for a run of `duration_ms`.
    pub fn mean_rate_hz(&self, duration_ms: f64) -> f64 {
        if duration_ms <= 0.0 {
            0.0
        } else {
            self.spike_count as f64 / self.size as f64 / (duration_ms / 1000.0)
        }
    }
}

/// Which cells of one population record what: the part of a network the recorder needs.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationLayout {
    /// Label.
    pub label: String,
    /// PyNN cell type name.
    pub cell_type: String,
    /// Index of the population's first cell in the engine's global numbering.
    pub offset: u32,
    /// Number of cells.
    pub size: u32,
    /// Cells (population indices, increasing) whose spikes are recorded; empty if none.
    pub spikes: Vec<u32>,
    /// Recorded state variables (`v`, `isyn_exc`, `isyn_inh` in that order) with their cells.
    pub signals: Vec<(Var, Vec<u32>)>,
}

/// Collects spikes and samples during a run; engines fill it, [`Recorder::data_block`] reads it.
#[derive(Clone, Debug)]
pub struct Recorder {
    layout: Vec<PopulationLayout>,
    timestep: f64,
    /// For each global cell, the slot of its spike train, or `u32::MAX` (read when the data
    /// block is made, not per spike).
    spike_slot: Vec<u32>,
    /// One bit per global cell: its spikes are recorded.
    records: Vec<u64>,
    /// The recorded spikes in the order they came: global cell and time (ms), one append to
    /// each per spike (12 bytes), grouped into trains only by [`Recorder::data_block`] (a
    /// train per cell cost a cache miss or two per spike in a large network).
    spike_cells: Vec<u32>,
    spike_times: Vec<f64>,
    /// Spike count per population (recorded or not).
    pop_spikes: Vec<u64>,
    /// `(first global cell, population index)` of every population, by first cell.
    pop_starts: Vec<(u32, u32)>,
    /// Per population, per recorded signal, per recorded cell: samples in time order.
    samples: Vec<Vec<Vec<Vec<f64>>>>,
    /// Number of ticks sampled so far (ticks k = 0 .. n_ticks-1).
    n_ticks: u64,
    /// What is recorded now. `layout` is the union of everything recorded since the start
    /// (they differ only after [`Recorder::replace_layout`]); a signal's cell not in `active`
    /// gets NaN samples.
    active: Vec<PopulationLayout>,
    /// Per population, per signal of `layout`, per cell: whether it is sampled now.
    sampled: Vec<Vec<Vec<bool>>>,
    /// The cells whose samples this recorder holds (every cell, unless it is one rank's of a
    /// simulation over several: [`Recorder::set_owned`]).
    owned: std::ops::Range<u32>,
}

impl Recorder {
    /// An empty recorder for `n_cells` cells laid out as `layout`.
    pub fn new(layout: Vec<PopulationLayout>, n_cells: usize, timestep: f64) -> Self {
        let mut spike_slot = vec![u32::MAX; n_cells];
        let mut records = vec![0u64; n_cells.div_ceil(64)];
        let mut trains = 0u32;
        for p in &layout {
            for c in &p.spikes {
                let g = (p.offset + c) as usize;
                spike_slot[g] = trains;
                records[g / 64] |= 1 << (g % 64);
                trains += 1;
            }
        }
        let mut pop_starts: Vec<(u32, u32)> = layout
            .iter()
            .enumerate()
            .map(|(pi, p)| (p.offset, pi as u32))
            .collect();
        pop_starts.sort_unstable();
        let samples = layout
            .iter()
            .map(|p| {
                p.signals
                    .iter()
                    .map(|(_, cells)| vec![Vec::new(); cells.len()])
                    .collect()
            })
            .collect();
        let sampled = layout
            .iter()
            .map(|p| {
                p.signals
                    .iter()
                    .map(|(_, cells)| vec![true; cells.len()])
                    .collect()
            })
            .collect();
        Recorder {
            pop_spikes: vec![0; layout.len()],
            active: layout.clone(),
            sampled,
            layout,
            timestep,
            spike_slot,
            records,
            spike_cells: Vec::new(),
            spike_times: Vec::new(),
            pop_starts,
            samples,
            n_ticks: 0,
            owned: 0..n_cells as u32,
        }
    }

    /// Holds the samples of the cells `owned` only (one rank's cells): the others' signals
    /// stay empty (in a data block, until [`Recorder::fill_samples`] fills them in).
    pub fn set_owned(&mut self, owned: std::ops::Range<u32>) {
        self.owned = owned;
    }

    /// The samples of the cells of `cells` (a subrange of the owned cells), in the order
    /// population, signal, cell, tick: what [`Recorder::fill_samples`] takes.
    pub fn samples_of(&self, cells: std::ops::Range<u32>) -> Vec<f64> {
        let mut out = Vec::new();
        for (pi, p) in self.layout.iter().enumerate() {
            for (si, (_, cs)) in p.signals.iter().enumerate() {
                for (ci, &c) in cs.iter().enumerate() {
                    if cells.contains(&(p.offset + c)) {
                        out.extend_from_slice(&self.samples[pi][si][ci]);
                    }
                }
            }
        }
        out
    }

    /// Fills into `block` (this recorder's [`Recorder::data_block`]) the samples of the cells
    /// `cells`, as [`Recorder::samples_of`] gave them on the recorder that held them (another
    /// rank's, with the same layout and ticks).
    pub fn fill_samples(&self, block: &mut DataBlock, cells: std::ops::Range<u32>, values: &[f64]) {
        let n = self.n_ticks as usize;
        let mut at = 0;
        for (p, data) in self.layout.iter().zip(&mut block.populations) {
            for ((_, cs), signal) in p.signals.iter().zip(&mut data.signals) {
                for (&c, v) in cs.iter().zip(&mut signal.values) {
                    if cells.contains(&(p.offset + c)) {
                        *v = values[at..at + n].to_vec();
                        at += n;
                    }
                }
            }
        }
        assert_eq!(at, values.len(), "samples of the same layout and ticks");
    }

    /// The population layout: everything recorded since the start.
    pub fn layout(&self) -> &[PopulationLayout] {
        &self.layout
    }

    /// What is recorded now.
    pub fn active_layout(&self) -> &[PopulationLayout] {
        &self.active
    }

    /// Changes what is recorded from the next tick and the next spike on (between runs, at
    /// the current time): `active` says what is recorded from now (the same populations).
    /// What was recorded stays; a cell's signal recorded from now only has NaN samples for
    /// the ticks before, and one no longer recorded has NaN samples from now on (and no more
    /// spikes). The data block then holds every cell recorded at some time.
    pub fn replace_layout(&mut self, active: Vec<PopulationLayout>) {
        assert_eq!(active.len(), self.layout.len(), "the same populations");
        let n = self.n_ticks as usize;
        let mut trains = 0u32;
        self.records.fill(0);
        self.spike_slot.fill(u32::MAX);
        for (pi, new) in active.iter().enumerate() {
            let old = &mut self.layout[pi];
            // spikes: the union of the cells; recorded from now: the new ones
            let mut cells: Vec<u32> = old.spikes.iter().chain(&new.spikes).copied().collect();
            cells.sort_unstable();
            cells.dedup();
            old.spikes = cells;
            for c in &old.spikes {
                let g = (old.offset + c) as usize;
                self.spike_slot[g] = trains;
                trains += 1;
            }
            for c in &new.spikes {
                let g = (old.offset + c) as usize;
                self.records[g / 64] |= 1 << (g % 64);
            }
            // signals: the union, in the order v, isyn_exc, isyn_inh
            let mut signals = Vec::new();
            let mut samples = Vec::new();
            let mut sampled = Vec::new();
            for var in [Var::V, Var::IsynExc, Var::IsynInh] {
                let before = old.signals.iter().position(|(v, _)| *v == var);
                let now = new.signals.iter().find(|(v, _)| *v == var).map(|(_, c)| c);
                if before.is_none() && now.is_none() {
                    continue;
                }
                let old_cells = before.map_or(&[][..], |i| &old.signals[i].1[..]);
                let mut cells: Vec<u32> = old_cells
                    .iter()
                    .chain(now.into_iter().flatten())
                    .copied()
                    .collect();
                cells.sort_unstable();
                cells.dedup();
                let mut values = Vec::with_capacity(cells.len());
                let mut on = Vec::with_capacity(cells.len());
                for c in &cells {
                    let kept = before.and_then(|i| {
                        let j = old_cells.iter().position(|x| x == c)?;
                        Some(std::mem::take(&mut self.samples[pi][i][j]))
                    });
                    let g = old.offset + c;
                    let fresh = if self.owned.contains(&g) { n } else { 0 };
                    values.push(kept.unwrap_or_else(|| vec![f64::NAN; fresh]));
                    on.push(now.is_some_and(|cs| cs.contains(c)));
                }
                signals.push((var, cells));
                samples.push(values);
                sampled.push(on);
            }
            old.signals = signals;
            self.samples[pi] = samples;
            self.sampled[pi] = sampled;
        }
        self.active = active;
    }

    /// The global indices of the cells whose state is sampled now, increasing, without
    /// repeats.
    pub fn sampled_cells(&self) -> Vec<u32> {
        let mut cells: Vec<u32> = self
            .active
            .iter()
            .flat_map(|p| {
                p.signals
                    .iter()
                    .flat_map(move |(_, cells)| cells.iter().map(move |c| p.offset + c))
            })
            .collect();
        cells.sort_unstable();
        cells.dedup();
        cells
    }

    /// Records a spike of global cell `cell` at `t` (ms).
    #[inline]
    pub fn spike(&mut self, cell: u32, t: f64) {
        // the population whose first cell is the last at or before `cell`
        let i = self.pop_starts.partition_point(|&(first, _)| first <= cell);
        self.pop_spikes[self.pop_starts[i - 1].1 as usize] += 1;
        let g = cell as usize;
        if self.records[g / 64] >> (g % 64) & 1 != 0 {
            self.spike_cells.push(cell);
            self.spike_times.push(t);
        }
    }

    /// The recorded spike trains, indexed by slot ([`Recorder::spike_slot`]), each in the
    /// order its spikes were recorded.
    fn trains(&self) -> Vec<Vec<f64>> {
        let n = self.spike_slot.iter().filter(|&&s| s != u32::MAX).count();
        let mut trains = vec![Vec::new(); n];
        for (&cell, &t) in self.spike_cells.iter().zip(&self.spike_times) {
            trains[self.spike_slot[cell as usize] as usize].push(t);
        }
        trains
    }

    /// Number of ticks sampled so far; the next tick is `k = n_ticks()`.
    pub fn n_ticks(&self) -> u64 {
        self.n_ticks
    }

    /// True if any state variable is recorded.
    pub fn samples_anything(&self) -> bool {
        self.layout.iter().any(|p| !p.signals.is_empty())
    }

    /// True if any state variable is sampled now.
    pub fn samples_now(&self) -> bool {
        self.active.iter().any(|p| !p.signals.is_empty())
    }

    /// Samples tick `k = n_ticks()`: `state(global_cell)` must return the state at `t_k`.
    pub fn sample(&mut self, mut state: impl FnMut(u32) -> crate::model::if_curr_exp::State) {
        for (pi, p) in self.layout.iter().enumerate() {
            for (si, (var, cells)) in p.signals.iter().enumerate() {
                for (ci, &c) in cells.iter().enumerate() {
                    if !self.owned.contains(&(p.offset + c)) {
                        continue;
                    }
                    if !self.sampled[pi][si][ci] {
                        self.samples[pi][si][ci].push(f64::NAN);
                        continue;
                    }
                    let s = state(p.offset + c);
                    let x = match var {
                        Var::V => s.v,
                        Var::IsynExc => s.isyn_exc,
                        _ => s.isyn_inh,
                    };
                    self.samples[pi][si][ci].push(x);
                }
            }
        }
        self.n_ticks += 1;
    }

    /// Counts an unsampled tick (nothing is recorded).
    pub fn skip_tick(&mut self) {
        self.n_ticks += 1;
    }

    /// Clears everything recorded (for `reset`).
    pub fn clear(&mut self) {
        let mut fresh = Recorder::new(
            std::mem::take(&mut self.active),
            self.spike_slot.len(),
            self.timestep,
        );
        fresh.owned = self.owned.clone();
        *self = fresh;
    }

    /// The recorded data as a [`DataBlock`].
    pub fn data_block(
        &self,
        backend: &str,
        seed: u64,
        duration_ms: f64,
        events: EventCounts,
        wall_time_s: f64,
        build_time_s: f64,
    ) -> DataBlock {
        let times: Vec<f64> = (0..self.n_ticks)
            .map(|k| k as f64 * self.timestep)
            .collect();
        let mut trains = self.trains();
        let mut populations = Vec::with_capacity(self.layout.len());
        for (pi, p) in self.layout.iter().enumerate() {
            let spiketrains = p
                .spikes
                .iter()
                .map(|&c| SpikeTrain {
                    neuron: c,
                    times_ms: std::mem::take(
                        &mut trains[self.spike_slot[(p.offset + c) as usize] as usize],
                    ),
                })
                .collect();
            let signals = p
                .signals
                .iter()
                .enumerate()
                .map(|(si, (var, cells))| AnalogSignal {
                    name: var.name().to_string(),
                    units: var.unit().to_string(),
                    sampling_period_ms: self.timestep,
                    times_ms: times.clone(),
                    neurons: cells.clone(),
                    values: self.samples[pi][si].clone(),
                })
                .collect();
            populations.push(PopulationData {
                label: p.label.clone(),
                size: p.size as usize,
                cell_type: p.cell_type.clone(),
                spike_count: self.pop_spikes[pi],
                records_spikes: !p.spikes.is_empty(),
                spiketrains,
                signals,
            });
        }
        DataBlock {
            backend: backend.to_string(),
            seed,
            timestep_ms: self.timestep,
            duration_ms,
            populations,
            events,
            wall_time_s,
            build_time_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(label: &str, offset: u32, size: u32, spikes: Vec<u32>) -> PopulationLayout {
        PopulationLayout {
            label: label.to_string(),
            cell_type: "IF_curr_exp".to_string(),
            offset,
            size,
            spikes,
            signals: Vec::new(),
        }
    }

    /// Spikes of several cells, interleaved: every recorded cell gets its own train in the
    /// order its spikes came, and every population counts all its spikes, recorded or not.
    #[test]
    fn spikes_are_grouped_into_trains_and_counted() {
        // population "b" comes first in the global numbering though it is declared second
        let mut r = Recorder::new(
            vec![layout("a", 3, 4, vec![0, 2]), layout("b", 0, 3, vec![1])],
            7,
            0.1,
        );
        let spikes = [
            (3, 0.5),
            (1, 0.7),
            (5, 0.7),
            (0, 1.0),
            (3, 1.2),
            (6, 2.0),
            (5, 2.5),
        ];
        for (g, t) in spikes {
            r.spike(g, t);
        }
        let d = r.data_block("exact", 1, 3.0, EventCounts::default(), 0.0, 0.0);
        let (a, b) = (&d.populations[0], &d.populations[1]);
        assert_eq!((a.spike_count, b.spike_count), (5, 2));
        let trains = |p: &PopulationData| -> Vec<(u32, Vec<f64>)> {
            p.spiketrains
                .iter()
                .map(|s| (s.neuron, s.times_ms.clone()))
                .collect()
        };
        assert_eq!(trains(a), vec![(0, vec![0.5, 1.2]), (2, vec![0.7, 2.5])]);
        assert_eq!(trains(b), vec![(1, vec![0.7])]);
    }
}
