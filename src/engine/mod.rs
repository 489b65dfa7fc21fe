//! Engines: the event-driven exact engine ([`exact`]) and, beside it, the step-based backends.
//! All of them run the same flat, validated network description, [`NetData`], built by
//! [`crate::network`], and fill the same [`Recorder`].

pub(crate) mod comm;
pub(crate) mod exact;
pub(crate) mod grid;
mod propagators;
mod simulation;

pub use exact::RankBalance;
pub use simulation::{Runaway, Simulation, StateError};

use rand_distr::{Distribution, Exp};
use rand_pcg::Pcg64;

use crate::model::ac_drive::Drive;
use crate::model::if_curr_exp::{Params, State};
use crate::model::ModelKind;
use crate::recording::{PopulationLayout, Recorder};

/// What kind of cell a global cell index is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// An `IF_curr_exp` neuron.
    Neuron,
    /// A `SpikeSourceArray` cell.
    Array,
    /// A `SpikeSourcePoisson` cell.
    Poisson,
}

/// Poisson source parameters of one cell: spikes at rate `rate_hz` in `[start, start + duration)`.
#[derive(Clone, Debug)]
pub struct PoissonCell {
    /// Global cell index.
    pub cell: u32,
    /// Rate (Hz), >= 0.
    pub rate_hz: f64,
    /// Start (ms).
    pub start: f64,
    /// Duration (ms), may be infinite.
    pub duration: f64,
    /// The cell's own random stream, as at t = 0.
    pub rng: Pcg64,
}

/// A change to one neuron between runs, made at the current time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CellChange {
    /// New (validated) parameters.
    Params(Params),
    /// A new state.
    State(State),
}

/// The spike generator of one Poisson cell, the one rule every engine draws from: exponential
/// inter-spike intervals at `rate_hz`, the first from `start`, each next one from the previous
/// spike, up to `start + duration` (exclusive); nothing at rate 0. The draws come from the
/// cell's own stream, so they are the same on every backend and thread count.
#[derive(Clone, Debug)]
pub(crate) struct PoissonStream {
    /// The inter-spike interval distribution (rate in 1/ms), or `None` at rate 0.
    isi: Option<Exp<f64>>,
    /// Start of activity (ms).
    start: f64,
    /// End of activity, `start + duration` (ms).
    end: f64,
    /// The cell's random stream.
    rng: Pcg64,
}

impl PoissonStream {
    /// The generator of `p`, at t = 0.
    pub(crate) fn of(p: &PoissonCell) -> Self {
        PoissonStream {
            isi: (p.rate_hz > 0.0).then(|| Exp::new(p.rate_hz / 1000.0).expect("validated rate")),
            start: p.start,
            end: p.start + p.duration,
            rng: p.rng.clone(),
        }
    }

    /// The next spike time (ms) after the spike at `previous` (`None`: the first spike).
    #[inline]
    pub(crate) fn next(&mut self, previous: Option<f64>) -> Option<f64> {
        let isi = self.isi?;
        let from = previous.map_or(self.start, |t| t.max(self.start));
        let ts = from + isi.sample(&mut self.rng);
        (ts < self.end).then_some(ts)
    }
}

/// The most spikes of one cell per timestep the exact engine follows: a cell that fires again
/// less than `timestep / RUNAWAY_SPIKES_PER_STEP` after its previous spike runs away
/// ([`shortest_interval`]).
pub(crate) const RUNAWAY_SPIKES_PER_STEP: f64 = 1024.0;

/// The shortest interval (ms) between two spikes of one cell that the exact engine follows,
/// for a spike at `t` (ms) with a recording grid of `timestep` (ms): `timestep / 1024`, and
/// at least `2^-42 t` (1024 to 2048 ulps of `t`: below that, the few ulps by which each spike
/// time is rounded are more than 0.1 % of the interval, which f64 times no longer resolve).
///
/// NEST's precise models refuse a `t_ref` shorter than one step ("Refractory time must be at
/// least one time step", `models/iaf_psc_exp_ps.cpp`, nest/nest-simulator; tested by
/// `testsuite/pytests/sli2py_regressions/test_ticket_638.py`), and its grid `iaf_psc_exp`,
/// like Brian 2 (`docs_sphinx/user/refractoriness.rst`, brian-team/brian2: the threshold is
/// tested once per time step, refractoriness counted in steps), fires at most once per step.
/// The exact engine keeps `tau_refrac = 0` (SPEC §1: `tau_refrac >= 0`) and exact spike times
/// within a step, and stops a cell that fires faster than this instead of following it
/// without bound: with `tau_refrac = 0` and `v_inf` far above `v_thresh` the interval
/// `tau_m ln(1 + (v_thresh - v_reset)/(v_inf - v_thresh))` falls to any size, below one ulp of
/// `t`, where the next spike would come at the same `t` forever.
#[inline]
pub(crate) fn shortest_interval(timestep: f64, t: f64) -> f64 {
    (timestep / RUNAWAY_SPIKES_PER_STEP).max(t * RUNAWAY_RELATIVE)
}

/// `2^-42`: see [`shortest_interval`].
pub(crate) const RUNAWAY_RELATIVE: f64 = 1.0 / 4_398_046_511_104.0;

/// A cell that fired again within [`shortest_interval`] of its previous spike: where the exact
/// engine stopped, and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunawaySpike {
    /// Global cell index.
    pub cell: u32,
    /// The spike time (ms) at which it was stopped (the spike is not emitted).
    pub t: f64,
    /// The interval since its previous spike (ms).
    pub interval: f64,
    /// Its `v_inf` then, with the injected current (mV).
    pub v_inf: f64,
    /// Its excitatory synaptic current then (nA).
    pub isyn_exc: f64,
}

/// High bit of a synapse target: set for inhibitory synapses.
pub const INHIBITORY_BIT: u32 = 1 << 31;

/// No sinusoidal drive ([`Switch::drive`]).
pub const NO_DRIVE: u32 = u32::MAX;

/// A change of one cell's injected current at time `t`: from `t` on (until its next switch) the
/// cell receives `i_inj` (nA, constant) plus the sines of `drives[drive]` (none if
/// [`NO_DRIVE`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Switch {
    /// Time (ms).
    pub t: f64,
    /// Global cell index.
    pub cell: u32,
    /// Constant injected current after `t` (nA).
    pub i_inj: f64,
    /// Index into [`NetData::drives`], or [`NO_DRIVE`].
    pub drive: u32,
}

/// The network as the engines see it: global cell numbering (populations contiguous, in
/// population order), per-cell parameters and initial state, spike sources, current-switch
/// events and synapses in compressed rows by presynaptic cell, grouped by delay.
#[derive(Clone, Debug)]
pub struct NetData {
    /// Recording grid and step of step-based backends (ms).
    pub timestep: f64,
    /// Smallest delay (ms).
    pub min_delay: f64,
    /// The model's seed.
    pub seed: u64,
    /// Kind of every cell.
    pub kinds: Vec<CellKind>,
    /// The cell model of every neuron (IF_curr_exp for spike sources, unused). Populations
    /// are contiguous, so the cells of one model are runs of indices.
    pub models: Vec<ModelKind>,
    /// Parameters of every cell (PyNN defaults for spike sources, unused). IF_curr_alpha uses
    /// every field, with the same meaning; IF_curr_delta has no `tau_syn_E`/`tau_syn_I`
    /// (they hold IF_curr_exp's defaults, unused).
    pub params: Vec<Params>,
    /// Initial state of every cell (IF_curr_delta: `isyn_exc = isyn_inh = 0`; IF_curr_alpha's
    /// current derivatives start at 0).
    pub init: Vec<State>,
    /// Spike times of `SpikeSourceArray` cells: cell `g`'s times are
    /// `array_times[array_ranges[g].0 .. array_ranges[g].1]` (empty for other cells).
    pub array_ranges: Vec<(u32, u32)>,
    /// Concatenated spike times (ms), non-decreasing per cell.
    pub array_times: Vec<f64>,
    /// Poisson cells.
    pub poisson: Vec<PoissonCell>,
    /// Injected-current switches, sorted by (t, cell).
    pub current_switches: Vec<Switch>,
    /// The sinusoidal drives the switches refer to ([`Switch::drive`]).
    pub drives: Vec<Drive>,
    /// Delay groups of cell `g`: `group_offsets[g] .. group_offsets[g + 1]`.
    pub group_offsets: Vec<u32>,
    /// Delay of each group (ms), increasing within a cell.
    pub group_delay: Vec<f64>,
    /// Synapses of group `k`: `syn_offsets[k] .. syn_offsets[k + 1]`.
    pub syn_offsets: Vec<u32>,
    /// Target cell of each synapse; [`INHIBITORY_BIT`] set for inhibitory synapses. Within a
    /// group the synapses are sorted by target cell (`target & !INHIBITORY_BIT`) ascending, ties
    /// in projection order, then connection order (list order for repeated pairs), so
    /// `partition_point` finds the synapses of a range of cells.
    pub syn_target: Vec<u32>,
    /// Weight of each synapse (nA).
    pub syn_weight: Vec<f64>,
    /// Which cells record what.
    pub layout: Vec<PopulationLayout>,
    /// Whether each population receives synaptic input (for diagnostics).
    pub receives_input: Vec<bool>,
}

impl NetData {
    /// Number of cells.
    pub fn n_cells(&self) -> usize {
        self.kinds.len()
    }
    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.syn_target.len()
    }
    /// A fresh recorder for this network.
    pub fn recorder(&self) -> Recorder {
        Recorder::new(self.layout.clone(), self.n_cells(), self.timestep)
    }
    /// Index of the last tick of a run ending at `t_stop`: `round(t_stop / timestep)`.
    pub fn last_tick(&self, t_stop: f64) -> u64 {
        (t_stop / self.timestep).round() as u64
    }

    /// The part of this network that a process owning the global cells `cells` needs
    /// (SPEC §7): the same network, except that only the synapses whose target lies in
    /// `cells` are kept and the delay groups left without a synapse are dropped (every group
    /// stays non-empty, the offsets consistent, and each group keeps its order). Everything
    /// per cell, and `receives_input`, stays as it is. `Network::materialise_part` builds the
    /// same part without building the whole.
    pub fn part(&self, cells: std::ops::Range<u32>) -> NetData {
        let n = self.n_cells();
        let mut group_offsets = Vec::with_capacity(n + 1);
        let (mut group_delay, mut syn_offsets) = (Vec::new(), vec![0u32]);
        let (mut syn_target, mut syn_weight) = (Vec::new(), Vec::new());
        group_offsets.push(0u32);
        for g in 0..n {
            for k in self.group_offsets[g] as usize..self.group_offsets[g + 1] as usize {
                let before = syn_target.len();
                for s in self.syn_offsets[k] as usize..self.syn_offsets[k + 1] as usize {
                    let t = self.syn_target[s];
                    if cells.contains(&(t & !INHIBITORY_BIT)) {
                        syn_target.push(t);
                        syn_weight.push(self.syn_weight[s]);
                    }
                }
                if syn_target.len() > before {
                    group_delay.push(self.group_delay[k]);
                    syn_offsets.push(syn_target.len() as u32);
                }
            }
            group_offsets.push(group_delay.len() as u32);
        }
        NetData {
            group_offsets,
            group_delay,
            syn_offsets,
            syn_target,
            syn_weight,
            ..self.clone_cells()
        }
    }

    /// Everything per cell, without synapses.
    fn clone_cells(&self) -> NetData {
        NetData {
            timestep: self.timestep,
            min_delay: self.min_delay,
            seed: self.seed,
            kinds: self.kinds.clone(),
            models: self.models.clone(),
            params: self.params.clone(),
            init: self.init.clone(),
            array_ranges: self.array_ranges.clone(),
            array_times: self.array_times.clone(),
            poisson: self.poisson.clone(),
            current_switches: self.current_switches.clone(),
            drives: self.drives.clone(),
            group_offsets: Vec::new(),
            group_delay: Vec::new(),
            syn_offsets: Vec::new(),
            syn_target: Vec::new(),
            syn_weight: Vec::new(),
            layout: self.layout.clone(),
            receives_input: self.receives_input.clone(),
        }
    }
}

/// Names of the available backends.
pub const BACKENDS: [&str; 3] = ["exact", "grid", "euler"];

/// A simulation backend (SPEC §3): the exact event-driven engine or a step-based scheme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The exact event-driven reference (`engine::exact`).
    #[default]
    Exact,
    /// Exact propagators on the time grid, NEST `iaf_psc_exp` semantics (`engine::grid`).
    Grid,
    /// Forward Euler on the time grid (`engine::propagators`).
    Euler,
}

impl Backend {
    /// The backend's name, as in `summary.json` (and the command line).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Exact => "exact",
            Backend::Grid => "grid",
            Backend::Euler => "euler",
        }
    }

    /// The backend called `name` (one of [`BACKENDS`]).
    pub fn from_name(name: &str) -> Option<Backend> {
        match name {
            "exact" => Some(Backend::Exact),
            "grid" => Some(Backend::Grid),
            "euler" => Some(Backend::Euler),
            _ => None,
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runaway interval is timestep/1024, and 1024 to 2048 ulps of `t` where that is longer
    /// (from `t = 2^32 timestep` on).
    #[test]
    fn shortest_interval_is_a_1024th_step_or_1024_ulps() {
        assert_eq!(shortest_interval(0.1, 0.0), 0.1 / 1024.0);
        assert_eq!(shortest_interval(0.1, 1e4), 0.1 / 1024.0);
        let t: f64 = 1e12;
        let ulp = f64::from_bits(t.to_bits() + 1) - t;
        let s = shortest_interval(0.1, t);
        assert!(
            s > 0.1 / 1024.0 && s >= 1024.0 * ulp && s < 2048.0 * ulp,
            "{s} {ulp}"
        );
    }
}
