//! Recording: spikes at their exact times, and state variables sampled from the closed form on
//! the grid `t_k = k * timestep` (right-continuous: the state after every event at exactly
//! `t_k`). [`DataBlock`] is what `get_data()` returns, in the spirit of a Neo block: per
//! population, spike trains and analog signals with times and units. It serializes with serde.

use serde::{Deserialize, Serialize};

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
    /// Mean firing rate over the population (Hz) for a run of `duration_ms`.
    pub fn mean_rate_hz(&self, duration_ms: f64) -> f64 {
        if duration_ms <= 0.0 {
            0.0
        } else {
            self.spike_count as f64 / self.size as f64 / (duration_ms / 1000.0)
        }
    }
}
