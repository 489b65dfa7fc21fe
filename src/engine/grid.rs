//! The step-based backends: `grid` (NEST `iaf_psc_exp`, `iaf_psc_alpha` and `iaf_psc_delta`
//! semantics for IF_curr_exp, IF_curr_alpha and IF_curr_delta: exact propagators on the time
//! grid) and `euler` (forward Euler on the same grid). Their one-step updates are in
//! [`super::propagators`]. One engine,
//! [`StepEngine`], runs both; the [`Scheme`] only decides the one-step propagators.
//!
//! # The grid
//!
//! `h = timestep`, grid points `t_k = k h` (computed as `k * h`, never accumulated). The state
//! `(v, isyn_exc, isyn_inh)` is known at grid points only; step `k` advances it from `t_{k-1}`
//! to `t_k`. Samples at `t_k` are the state after step `k` (right-continuous, as in SPEC §4: a
//! spike at `t_k` shows `v_reset`).
//!
//! # One step, `t_{k-1} -> t_k` (NEST's order in `iaf_psc_exp::update`)
//!
//! 1. `v` is advanced over `h` with the currents and injected current of `t_{k-1}` (the old
//!    ones), unless the cell is refractory, in which case `v` stays at `v_reset` and the
//!    refractory counter is decremented;
//! 2. the synaptic currents decay over `h`;
//! 3. the inputs due at `t_k` are added to the currents (in NEST an input arriving at the end
//!    of the step acts on the state at once);
//! 4. threshold check: if `v >= v_thresh`, the cell spikes at `t_k`, `v = v_reset`, and the
//!    refractory counter is set to `n_ref` (below);
//! 5. current switches due at `t_k` take effect (for step `k + 1` onwards);
//! 6. the state is sampled.
//!
//! Inputs do not change `v` in the step they arrive, so adding them after the threshold check
//! (which is what the code does, to fan out each delivery once) is the same as NEST's order.
//! Spike sources emit in step `k` after the neurons; what they emit arrives at `t_{k+d}`, `d >= 1`.
//!
//! At `t_0 = 0` there is no update, but the threshold is checked (step 0 = items 3–6): a cell whose
//! initial `v` is at or above threshold spikes at `t = 0`, as in the exact backend (SPEC §1).
//! NEST checks the threshold only after its first update, so there it would spike at `t = h`;
//! we keep the exact backend's rule so that the two agree before any divergence.
//!
//! # IF_curr_alpha (NEST `iaf_psc_alpha::update`)
//!
//! The same steps, with the pair `(I, dI/dt)` of each receptor for its current: `v` is
//! advanced with the old pairs (1), the pairs by their exact propagator over `h` (2; they go on
//! evolving while the cell is refractory), an input of weight `w` due at `t_k` adds
//! `w e / tau_syn` to `dI/dt` (3), then the threshold is tested (4). In the code the step's
//! new currents wait in `AlphaSide::ie_next`/`ii_next` while `ie`/`ii` collect the weights due
//! at `t_k` (the fan-out is one loop for every model), and the pass after the inputs
//! (`finish_inputs`) adds them to `dI/dt` and puts the currents back: `ie`/`ii` hold the
//! currents at every sample, as for IF_curr_exp.
//!
//! # IF_curr_delta (NEST `iaf_psc_delta::update`)
//!
//! `v` relaxes toward `v_inf` over `h` unless refractory (1); the weights due at `t_k` (mV) are
//! summed (collected in `ie`/`ii`, which hold no current for this model) and added to `v`,
//! unless the cell is still refractory at `t_k` (3); then the threshold is tested (4), in the
//! pass after the inputs: inputs at one time are summed before the test, and a jump that
//! reaches threshold fires at `t_k` (SPEC §8). Inputs arriving while refractory are
//! discarded, as in NEST (its `refractory_input` off). One difference at the boundary: NEST
//! discards the inputs of all `n_ref` steps after a spike at `t_s`, including the one at
//! `t_s + n_ref h`, where `v` is released; here that input is applied (`v = v_reset + w`),
//! which is SPEC §8's rule for an input at exactly `t_s + tau_refrac` and what the exact
//! backend does. The inputs at `t_{s+1} .. t_{s+n_ref-1}`, all before `t_s + tau_refrac`,
//! are discarded.
//!
//! # Mid-run changes
//!
//! New parameters keep the state (`v`, the currents, and IF_curr_alpha's `dI/dt`, which is
//! kept as is when its `tau_syn` changes). A new state sets `v` and the currents; IF_curr_alpha
//! keeps its `dI/dt`, and IF_curr_delta, which has no current, takes `v` only.
//!
//! # Propagators (computed once per distinct parameter set)
//!
//! ```text
//! v'   = v_inf + (v - v_inf) pm + isyn_exc pe + isyn_inh pi
//! isyn_X' = isyn_X dX
//! ```
//!
//! - `grid` ([`Propagators::exact`]): `pm = e^{-h/tau_m}`, `pX = K_X(h)/cm`, `dX = e^{-h/tau_X}`:
//!   the closed form of [`crate::model::if_curr_exp`] over one step, with
//!   [`crate::model::if_curr_exp::kernel`] (stable at `tau_syn == tau_m`). Between inputs on the grid this is exact: grid `v`
//!   equals the exact `v` at grid points up to rounding.
//! - `euler` ([`Propagators::euler`]): `pm = 1 - h/tau_m`, `pX = h/cm`, `dX = 1 - h/tau_X`:
//!   forward Euler for `v` and the currents.
//!
//! IF_curr_alpha's and IF_curr_delta's are in [`super::propagators`] (`AlphaPropagators`,
//! `delta_pm`).
//!
//! # Rounding times to the grid
//!
//! - **Delays** are rounded to the nearest whole number of steps, at least 1
//!   ([`delay_steps`]; NEST's `Time::delay_ms_to_steps`, `ld_round`). A spike emitted at `t_k`
//!   through a delay of `d` steps arrives at `t_{k+d}`.
//! - **Spike-source times** (SpikeSourceArray, and the Poisson times, which are drawn exactly as
//!   by the exact backend from the same streams) are moved to the first grid point at or after
//!   them ([`step_at_or_after`]): NEST's `spike_generator` with `allow_offgrid_times`, which
//!   rounds up to the end of the step. The spike is recorded at that grid time. A time within
//!   `1e-9` steps of a grid point counts as on it (floating-point noise in `t / h`, e.g.
//!   `0.3 / 0.1 = 2.9999999999999996`); NEST works in integer tics for the same reason.
//! - **Current switches** take effect at the first grid point at or after their time (SPEC §2),
//!   for the steps after it.
//! - **Refractoriness** lasts `n_ref = ceil(tau_refrac / h)` steps ([`refractory_steps`], same
//!   tolerance): `v` is clamped during the `n_ref` steps after the spike and integrates freely from
//!   `v_reset` from `t_{k + n_ref}` on. Ceil, because NEST computes its `RefractoryCounts` as
//!   `Time(ms(t_ref)).get_steps()`, which rounds up to whole steps; and because rounding up
//!   never shortens the refractory period below `tau_refrac`. When `tau_refrac` is a multiple of
//!   `h` (the usual case) ceil and round agree and the grid reproduces the exact refractory end.
//!
//! # Data layout and cost
//!
//! Per-cell state as structure of arrays; the constants of a step (propagators, threshold,
//! reset, refractory steps) are shared by the cells of one model with the same parameters,
//! and the neurons are updated in one flat loop per step, in runs of cells sharing their
//! constants (so of one model: the model is matched once per run and step, never per cell;
//! IF_curr_exp's loop is the one it always was). IF_curr_alpha's `dI/dt` live in side arrays
//! over the span of its cells only. Pending
//! inputs live in a ring buffer with one slot per step of delay (`max delay steps + 1` slots);
//! a slot holds the ids of the delay groups of [`NetData`] (one per spike and distinct delay)
//! that arrive in that step, and is fanned out to the targets when its step comes. Slots keep
//! their capacity when cleared, so the step loop does not allocate once the buffers have grown
//! to the network's activity.

use std::collections::HashMap;

pub(crate) use super::propagators::Scheme;
use super::propagators::{delta_pm, AlphaPropagators, Propagators};
use super::{CellChange, CellKind, NetData, PoissonStream, Switch, INHIBITORY_BIT, NO_DRIVE};
use crate::model::ac_drive::Drive;
use crate::model::if_curr_exp::State;
use crate::model::ModelKind;
use crate::recording::{EventCounts, Recorder};

/// Tolerance (in steps) within which `t / h` counts as a whole number of steps.
const ON_GRID_STEPS: f64 = 1e-9;

/// `x` if it is within [`ON_GRID_STEPS`] (relative, at least absolute) of an integer: that
/// integer; else `None`.
fn near_integer(x: f64) -> Option<f64> {
    let r = x.round();
    ((x - r).abs() <= ON_GRID_STEPS * r.abs().max(1.0)).then_some(r)
}

/// The index of the first grid point at or after `t` (ms): `ceil(t / h)`, with times within
/// `1e-9` steps of a grid point counted as on it. Negative times map to 0.
pub fn step_at_or_after(t: f64, h: f64) -> u64 {
    let x = t / h;
    if x <= 0.0 {
        return 0;
    }
    near_integer(x).unwrap_or_else(|| x.ceil()) as u64
}

/// A delay (ms) in whole steps: rounded to the nearest step, at least 1 (NEST's
/// `delay_ms_to_steps`).
pub(crate) fn delay_steps(delay: f64, h: f64) -> u64 {
    ((delay / h).round() as u64).max(1)
}

/// The refractory period in whole steps: `ceil(tau_refrac / h)` (NEST's `RefractoryCounts`),
/// with values within `1e-9` steps of an integer counted as that integer.
pub(crate) fn refractory_steps(tau_refrac: f64, h: f64) -> u32 {
    let x = tau_refrac / h;
    if x <= 0.0 {
        return 0;
    }
    near_integer(x)
        .unwrap_or_else(|| x.ceil())
        .min(u32::MAX as f64) as u32
}

/// The one-step propagators of a cell, by model.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Prop {
    /// IF_curr_exp.
    Exp(Propagators),
    /// IF_curr_alpha.
    Alpha(AlphaPropagators),
    /// IF_curr_delta: the factor of `v - v_inf`.
    Delta(f64),
}

/// What a step needs of a cell's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CellConsts {
    prop: Prop,
    v_thresh: f64,
    v_reset: f64,
    ref_steps: u32,
}

/// The pending inputs: a ring of `n` slots, slot `a % n` holding the delay groups that arrive
/// at step `a`.
#[derive(Clone, Debug)]
struct Ring {
    slots: Vec<Vec<u32>>,
}

impl Ring {
    #[inline]
    fn slot(&self, step: u64) -> usize {
        (step % self.slots.len() as u64) as usize
    }

    /// Schedules the delay groups of cell `g`, which spiked at step `k`.
    #[inline]
    fn push_spike(&mut self, net: &NetData, group_steps: &[u64], g: usize, k: u64) {
        for grp in net.group_offsets[g]..net.group_offsets[g + 1] {
            let s = self.slot(k + group_steps[grp as usize]);
            self.slots[s].push(grp);
        }
    }

    fn clear(&mut self) {
        self.slots.iter_mut().for_each(Vec::clear);
    }
}

/// The distinct per-cell constants of `net`'s neurons under `scheme` and step `h` (ms), and the
/// runs `(first, end, constants)` of contiguous neurons that share them.
fn cell_constants(
    net: &NetData,
    scheme: Scheme,
    h: f64,
) -> (Vec<CellConsts>, Vec<(u32, u32, u32)>) {
    // Constants shared by the cells of one model with the same (cm, tau_m, tau_syn_E,
    // tau_syn_I, tau_refrac, v_thresh, v_reset), keyed by the model and their bits.
    let mut consts: Vec<CellConsts> = Vec::new();
    let mut seen: HashMap<(ModelKind, [u64; 7]), u32> = HashMap::new();
    let cid: Vec<u32> = net
        .params
        .iter()
        .zip(&net.models)
        .map(|(p, &model)| {
            let key = (
                model,
                [
                    p.cm,
                    p.tau_m,
                    p.tau_syn_E,
                    p.tau_syn_I,
                    p.tau_refrac,
                    p.v_thresh,
                    p.v_reset,
                ]
                .map(f64::to_bits),
            );
            *seen.entry(key).or_insert_with(|| {
                consts.push(CellConsts {
                    prop: match model {
                        ModelKind::Exp => Prop::Exp(Propagators::of(scheme, p, h)),
                        ModelKind::Alpha => Prop::Alpha(AlphaPropagators::of(scheme, p, h)),
                        ModelKind::Delta => Prop::Delta(delta_pm(scheme, p, h)),
                    },
                    v_thresh: p.v_thresh,
                    v_reset: p.v_reset,
                    ref_steps: refractory_steps(p.tau_refrac, h),
                });
                consts.len() as u32 - 1
            })
        })
        .collect();
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    for (g, &c) in cid.iter().enumerate() {
        if net.kinds[g] == CellKind::Neuron {
            match runs.last_mut() {
                Some(r) if r.1 as usize == g && r.2 == c => r.1 += 1,
                _ => runs.push((g as u32, g as u32 + 1, c)),
            }
        }
    }
    (consts, runs)
}

/// The IF_curr_alpha cells' current derivatives and a step's scratch, indexed by `g - lo` over
/// the cells `lo..lo + len` from the first to the last IF_curr_alpha cell (empty without one).
#[derive(Clone, Debug, Default)]
struct AlphaSide {
    /// The first IF_curr_alpha cell.
    lo: usize,
    /// `dI_exc/dt` (nA/ms).
    de: Vec<f64>,
    /// `dI_inh/dt` (nA/ms).
    di: Vec<f64>,
    /// The currents at the end of the step being taken (nA), while `ie`/`ii` collect its
    /// inputs.
    ie_next: Vec<f64>,
    /// The same, inhibitory.
    ii_next: Vec<f64>,
}

impl AlphaSide {
    /// Room for the IF_curr_alpha neurons of `net`.
    fn of(net: &NetData) -> Self {
        let is_alpha =
            |&g: &usize| net.kinds[g] == CellKind::Neuron && net.models[g] == ModelKind::Alpha;
        let Some(lo) = (0..net.n_cells()).find(is_alpha) else {
            return AlphaSide::default();
        };
        let hi = (0..net.n_cells()).rfind(is_alpha).unwrap_or(lo);
        let len = hi + 1 - lo;
        AlphaSide {
            lo,
            de: vec![0.0; len],
            di: vec![0.0; len],
            ie_next: vec![0.0; len],
            ii_next: vec![0.0; len],
        }
    }
}

/// Whether any run of `runs` is of a model whose step ends after the inputs are added
/// (IF_curr_alpha, IF_curr_delta).
fn needs_finish_inputs(consts: &[CellConsts], runs: &[(u32, u32, u32)]) -> bool {
    runs.iter()
        .any(|r| !matches!(consts[r.2 as usize].prop, Prop::Exp(_)))
}

/// Every cell's injected current after `switches`: constant part (nA) and drive
/// (`(0, NO_DRIVE)` without a switch).
fn i_inj_after(n_cells: usize, switches: &[Switch]) -> Vec<(f64, u32)> {
    let mut i_inj = vec![(0.0, NO_DRIVE); n_cells];
    for s in switches {
        i_inj[s.cell as usize] = (s.i_inj, s.drive);
    }
    i_inj
}

/// The state of a step-based simulation of one network.
pub(crate) struct StepEngine {
    scheme: Scheme,
    h: f64,
    /// Index of the grid point the state is at (valid once started).
    k: u64,
    /// Time reached by the last `run_until` (ms).
    t: f64,
    started: bool,
    // per-cell state (structure of arrays)
    v: Vec<f64>,
    ie: Vec<f64>,
    ii: Vec<f64>,
    /// Remaining refractory steps.
    refr: Vec<u32>,
    /// `v_inf` with the current injected current.
    v_inf: Vec<f64>,
    /// The distinct per-cell constants (most populations share one set).
    consts: Vec<CellConsts>,
    /// Runs `(first, end, constants)` of contiguous neuron cells with the same constants.
    runs: Vec<(u32, u32, u32)>,
    /// Whether a run needs the pass after the inputs (IF_curr_alpha, IF_curr_delta).
    finish_inputs: bool,
    /// The IF_curr_alpha cells' derivatives.
    alpha: AlphaSide,
    /// Delay of each delay group, in steps.
    group_steps: Vec<u64>,
    ring: Ring,
    /// Grid step of each current switch.
    switch_steps: Vec<u64>,
    switch_cursor: usize,
    /// Each cell's constant injected current now (nA).
    i_inj: Vec<f64>,
    /// Each cell's sinusoidal drive now (index into `drives`), or [`NO_DRIVE`].
    drive_of: Vec<u32>,
    /// The cells with a drive now, increasing.
    forced: Vec<u32>,
    /// A copy of `net.drives`.
    drives: Vec<Drive>,
    // spike sources
    /// Global index of every source cell.
    sources: Vec<u32>,
    /// Step of each source's next spike (`u64::MAX`: none).
    src_next_step: Vec<u64>,
    /// Exact time of each source's next spike.
    src_next_t: Vec<f64>,
    /// Array cursor (index into `array_times`) or Poisson index of each source.
    src_cursor: Vec<u32>,
    poisson: Vec<PoissonStream>,
    /// Recorded data.
    pub recorder: Recorder,
    counts: EventCounts,
}

impl StepEngine {
    /// A new engine at t = 0 for `net`, integrating with `scheme` on the grid `net.timestep`.
    pub(crate) fn new(net: &NetData, scheme: Scheme) -> Self {
        let h = net.timestep;
        let n = net.n_cells();
        let sources: Vec<u32> = (0..n as u32)
            .filter(|&g| net.kinds[g as usize] != CellKind::Neuron)
            .collect();
        let group_steps: Vec<u64> = net.group_delay.iter().map(|&d| delay_steps(d, h)).collect();
        let max_delay = group_steps.iter().copied().max().unwrap_or(1);
        let mut poisson_index = vec![u32::MAX; n];
        for (i, p) in net.poisson.iter().enumerate() {
            poisson_index[p.cell as usize] = i as u32;
        }
        let src_cursor = sources
            .iter()
            .map(|&g| match net.kinds[g as usize] {
                CellKind::Array => net.array_ranges[g as usize].0,
                _ => poisson_index[g as usize],
            })
            .collect();
        let (consts, runs) = cell_constants(net, scheme, h);
        let mut e = StepEngine {
            scheme,
            h,
            k: 0,
            t: 0.0,
            started: false,
            v: vec![0.0; n],
            ie: vec![0.0; n],
            ii: vec![0.0; n],
            refr: vec![0; n],
            v_inf: vec![0.0; n],
            finish_inputs: needs_finish_inputs(&consts, &runs),
            consts,
            runs,
            alpha: AlphaSide::of(net),
            group_steps,
            ring: Ring {
                slots: vec![Vec::new(); max_delay as usize + 1],
            },
            switch_steps: net
                .current_switches
                .iter()
                .map(|s| step_at_or_after(s.t, h))
                .collect(),
            switch_cursor: 0,
            i_inj: vec![0.0; n],
            drive_of: vec![NO_DRIVE; n],
            forced: Vec::new(),
            drives: net.drives.clone(),
            src_next_step: vec![u64::MAX; sources.len()],
            src_next_t: vec![f64::INFINITY; sources.len()],
            src_cursor,
            sources,
            poisson: net.poisson.iter().map(PoissonStream::of).collect(),
            recorder: net.recorder(),
            counts: EventCounts::default(),
        };
        e.reset(net);
        e
    }

    /// Returns to t = 0 with the same network (and the same random streams).
    pub(crate) fn reset(&mut self, net: &NetData) {
        self.k = 0;
        self.t = 0.0;
        self.started = false;
        for (g, s) in net.init.iter().enumerate() {
            self.v[g] = s.v;
            self.ie[g] = s.isyn_exc;
            self.ii[g] = s.isyn_inh;
            self.v_inf[g] = net.params[g].v_inf(0.0);
            if net.models[g] == ModelKind::Delta {
                // no current: `ie`/`ii` collect the jumps of a step
                self.ie[g] = 0.0;
                self.ii[g] = 0.0;
            }
        }
        // IF_curr_alpha: dI/dt = 0 at t = 0
        self.alpha.de.fill(0.0);
        self.alpha.di.fill(0.0);
        self.refr.iter_mut().for_each(|r| *r = 0);
        self.ring.clear();
        self.switch_cursor = 0;
        self.i_inj.fill(0.0);
        self.drive_of.fill(NO_DRIVE);
        self.forced.clear();
        for (stream, p) in self.poisson.iter_mut().zip(&net.poisson) {
            *stream = PoissonStream::of(p);
        }
        for (i, &g) in self.sources.iter().enumerate() {
            if net.kinds[g as usize] == CellKind::Array {
                self.src_cursor[i] = net.array_ranges[g as usize].0;
            }
        }
        self.recorder.clear();
        self.counts = EventCounts::default();
    }

    /// Replaces the current switches at the current grid point: `net.current_switches` and
    /// `net.drives` are already the new ones. Once started, the switches due at or before the
    /// grid point are past, and a neuron whose injected current now differs takes the new one
    /// for the steps to come.
    pub(crate) fn replace_switches(&mut self, net: &NetData) {
        self.switch_steps = net
            .current_switches
            .iter()
            .map(|s| step_at_or_after(s.t, self.h))
            .collect();
        self.switch_cursor = if self.started {
            self.switch_steps.partition_point(|&k| k <= self.k)
        } else {
            0
        };
        self.drives = net.drives.clone();
        let after = i_inj_after(net.n_cells(), &net.current_switches[..self.switch_cursor]);
        for (g, (i_inj, drive)) in after.into_iter().enumerate() {
            self.i_inj[g] = i_inj;
            self.drive_of[g] = drive;
        }
        self.forced = (0..net.n_cells() as u32)
            .filter(|&g| self.drive_of[g as usize] != NO_DRIVE)
            .collect();
        let t_k = self.k as f64 * self.h;
        for g in 0..net.n_cells() {
            self.v_inf[g] = net.params[g].v_inf(self.injected(g, t_k));
        }
    }

    /// Cell `g`'s injected current over the step from `t_k` (nA): the constant part plus its
    /// drive's sines at `t_k` (held over the step, as NEST's `ac_generator` does).
    fn injected(&self, g: usize, t_k: f64) -> f64 {
        match self.drive_of[g] {
            NO_DRIVE => self.i_inj[g],
            d => self.i_inj[g] + self.drives[d as usize].current(t_k),
        }
    }

    /// Takes new spike times of the `SpikeSourceArray` cells (already in `net`) at the
    /// current grid point: once started, a time whose grid step is at or before it is past,
    /// and each cell's next spike becomes the first later one.
    pub(crate) fn replace_spike_arrays(&mut self, net: &NetData) {
        for (i, &g) in self.sources.iter().enumerate() {
            let g = g as usize;
            if net.kinds[g] != CellKind::Array {
                continue;
            }
            let (a, b) = net.array_ranges[g];
            self.src_cursor[i] = a;
            if !self.started {
                continue;
            }
            let times = &net.array_times[a as usize..b as usize];
            let k = self.k;
            let c = a + times.partition_point(|&x| step_at_or_after(x, self.h) <= k) as u32;
            self.src_cursor[i] = c;
            match net.array_times.get(c as usize).filter(|_| c < b) {
                Some(&ts) => {
                    self.src_next_t[i] = ts;
                    self.src_next_step[i] = step_at_or_after(ts, self.h);
                }
                None => {
                    self.src_next_t[i] = f64::INFINITY;
                    self.src_next_step[i] = u64::MAX;
                }
            }
        }
    }

    /// The state of neuron `g` now (at the last grid point reached).
    pub(crate) fn state_now(&self, g: u32) -> State {
        let g = g as usize;
        State {
            v: self.v[g],
            isyn_exc: self.ie[g],
            isyn_inh: self.ii[g],
        }
    }

    /// Changes neurons between runs, at the current grid point. `net.params` must already hold
    /// the new parameters: the shared constants are recomputed from it, and a changed cell's
    /// `v_inf` takes its injected current now (a refractory cell stays refractory for the
    /// steps it has left).
    pub(crate) fn change(&mut self, net: &NetData, changes: &[(u32, CellChange)]) {
        let mut params_changed = false;
        for &(g, change) in changes {
            let g = g as usize;
            match change {
                CellChange::Params(p) => {
                    params_changed = true;
                    self.v_inf[g] = p.v_inf(self.injected(g, self.k as f64 * self.h));
                }
                CellChange::State(s) => {
                    self.v[g] = s.v;
                    // IF_curr_alpha keeps its dI/dt; IF_curr_delta has no current
                    if net.models[g] != ModelKind::Delta {
                        self.ie[g] = s.isyn_exc;
                        self.ii[g] = s.isyn_inh;
                    }
                }
            }
        }
        if params_changed {
            (self.consts, self.runs) = cell_constants(net, self.scheme, self.h);
            self.finish_inputs = needs_finish_inputs(&self.consts, &self.runs);
        }
    }

    /// Current simulation time (ms): the `t_stop` of the last run.
    pub(crate) fn time(&self) -> f64 {
        self.t
    }

    /// Work counters so far (`predictions` and `solver_cap_hits` are always 0 here).
    pub(crate) fn counts(&self) -> EventCounts {
        self.counts
    }

    /// Runs until `t_stop` (ms): steps up to grid point `round(t_stop / timestep)`, sampling
    /// every tick.
    pub(crate) fn run_until(&mut self, net: &NetData, t_stop: f64) {
        if !self.started {
            self.start(net);
        }
        let last = net.last_tick(t_stop);
        while self.k < last {
            self.k += 1;
            self.step(net, self.k);
        }
        self.t = self.t.max(t_stop);
    }

    /// Step 0: no update; threshold check on the initial state, sources, switches, tick 0.
    fn start(&mut self, net: &NetData) {
        self.started = true;
        for i in 0..self.sources.len() {
            self.schedule_source(net, i, true);
        }
        self.k = 0;
        self.finish_step(net, 0, false);
    }

    /// Step `k >= 1`: from `t_{k-1}` to `t_k`.
    fn step(&mut self, net: &NetData, k: u64) {
        self.finish_step(net, k, true);
    }

    /// Everything of step `k` (see the module doc); `integrate` is false for step 0.
    fn finish_step(&mut self, net: &NetData, k: u64, integrate: bool) {
        let t_k = k as f64 * self.h;
        // Emits a spike of neuron `g` at `t_k`.
        macro_rules! fire {
            ($e:expr, $g:expr) => {{
                let g = $g;
                $e.counts.spikes += 1;
                $e.recorder.spike(g as u32, t_k);
                $e.ring.push_spike(net, &$e.group_steps, g, k);
            }};
        }
        // 1-2, 4: neurons, in runs of cells sharing their constants
        for ri in 0..self.runs.len() {
            let (lo, hi, ci) = self.runs[ri];
            let (lo, hi) = (lo as usize, hi as usize);
            let c = self.consts[ci as usize];
            let v = &mut self.v[lo..hi];
            let n = v.len();
            let ie = &mut self.ie[lo..lo + n];
            let ii = &mut self.ii[lo..lo + n];
            let vinf = &self.v_inf[lo..lo + n];
            let refr = &mut self.refr[lo..lo + n];
            match c.prop {
                Prop::Exp(p) => {
                    for j in 0..n {
                        if integrate {
                            let r = refr[j];
                            if r == 0 {
                                v[j] =
                                    vinf[j] + (v[j] - vinf[j]) * p.pm + ie[j] * p.pe + ii[j] * p.pi;
                            } else {
                                refr[j] = r - 1;
                            }
                            ie[j] *= p.de;
                            ii[j] *= p.di;
                        }
                        if v[j] >= c.v_thresh {
                            v[j] = c.v_reset;
                            refr[j] = c.ref_steps;
                            fire!(self, lo + j);
                        }
                    }
                }
                Prop::Alpha(p) => {
                    // the currents at t_k go to `ie_next`/`ii_next`, while `ie`/`ii` collect
                    // the inputs due at t_k (item 3); `finish_inputs` adds those to the
                    // derivatives and puts the currents back
                    let a = &mut self.alpha;
                    let at = lo - a.lo;
                    let de = &mut a.de[at..at + n];
                    let di = &mut a.di[at..at + n];
                    let ie_next = &mut a.ie_next[at..at + n];
                    let ii_next = &mut a.ii_next[at..at + n];
                    let (pe, pi) = (p.exc, p.inh);
                    for j in 0..n {
                        if integrate {
                            let (i_e, d_e, i_i, d_i) = (ie[j], de[j], ii[j], di[j]);
                            let r = refr[j];
                            if r == 0 {
                                v[j] = vinf[j]
                                    + (v[j] - vinf[j]) * p.pm
                                    + (i_e * pe.vi + d_e * pe.vd)
                                    + (i_i * pi.vi + d_i * pi.vd);
                            } else {
                                refr[j] = r - 1;
                            }
                            ie_next[j] = i_e * pe.ii + d_e * pe.id;
                            de[j] = i_e * pe.di + d_e * pe.dd;
                            ii_next[j] = i_i * pi.ii + d_i * pi.id;
                            di[j] = i_i * pi.di + d_i * pi.dd;
                        } else {
                            ie_next[j] = ie[j];
                            ii_next[j] = ii[j];
                        }
                        ie[j] = 0.0;
                        ii[j] = 0.0;
                        if v[j] >= c.v_thresh {
                            v[j] = c.v_reset;
                            refr[j] = c.ref_steps;
                            fire!(self, lo + j);
                        }
                    }
                }
                Prop::Delta(pm) => {
                    // the threshold is tested in `finish_inputs`, after the jumps due at t_k
                    if integrate {
                        for j in 0..n {
                            let r = refr[j];
                            if r == 0 {
                                v[j] = vinf[j] + (v[j] - vinf[j]) * pm;
                            } else {
                                refr[j] = r - 1;
                            }
                        }
                    }
                }
            }
        }
        // 3: inputs due at t_k
        let slot = self.ring.slot(k);
        let mut due = std::mem::take(&mut self.ring.slots[slot]);
        for &grp in &due {
            let grp = grp as usize;
            let (a, b) = (
                net.syn_offsets[grp] as usize,
                net.syn_offsets[grp + 1] as usize,
            );
            for s in a..b {
                let target = net.syn_target[s];
                let g = (target & !INHIBITORY_BIT) as usize;
                if target & INHIBITORY_BIT != 0 {
                    self.ii[g] += net.syn_weight[s];
                } else {
                    self.ie[g] += net.syn_weight[s];
                }
            }
            self.counts.synaptic_inputs += (b - a) as u64;
        }
        due.clear();
        self.ring.slots[slot] = due;
        // 3-4 of IF_curr_alpha and IF_curr_delta (`finish_inputs`)
        if self.finish_inputs {
            for ri in 0..self.runs.len() {
                let (lo, hi, ci) = self.runs[ri];
                let (lo, hi) = (lo as usize, hi as usize);
                let c = self.consts[ci as usize];
                match c.prop {
                    Prop::Exp(_) => {}
                    Prop::Alpha(p) => {
                        let a = &mut self.alpha;
                        for g in lo..hi {
                            let at = g - a.lo;
                            a.de[at] += self.ie[g] * p.exc.jump;
                            a.di[at] += self.ii[g] * p.inh.jump;
                            self.ie[g] = a.ie_next[at];
                            self.ii[g] = a.ii_next[at];
                        }
                    }
                    Prop::Delta(_) => {
                        for g in lo..hi {
                            // the jumps due at t_k, summed; discarded while refractory
                            let w = self.ie[g] + self.ii[g];
                            self.ie[g] = 0.0;
                            self.ii[g] = 0.0;
                            if self.refr[g] == 0 {
                                self.v[g] += w;
                            }
                            if self.v[g] >= c.v_thresh {
                                self.v[g] = c.v_reset;
                                self.refr[g] = c.ref_steps;
                                fire!(self, g);
                            }
                        }
                    }
                }
            }
        }
        // sources spiking in this step
        for i in 0..self.sources.len() {
            while self.src_next_step[i] == k {
                let g = self.sources[i] as usize;
                self.counts.spikes += 1;
                self.recorder.spike(g as u32, t_k);
                self.ring.push_spike(net, &self.group_steps, g, k);
                self.schedule_source(net, i, false);
            }
        }
        // 5: current switches due at t_k
        while self.switch_cursor < self.switch_steps.len()
            && self.switch_steps[self.switch_cursor] <= k
        {
            let sw = net.current_switches[self.switch_cursor];
            let g = sw.cell as usize;
            if (self.drive_of[g] == NO_DRIVE) != (sw.drive == NO_DRIVE) {
                // a drive began or ended
                if sw.drive == NO_DRIVE {
                    self.forced.retain(|&c| c as usize != g);
                } else {
                    let at = self.forced.partition_point(|&c| (c as usize) < g);
                    self.forced.insert(at, sw.cell);
                }
            }
            self.i_inj[g] = sw.i_inj;
            self.drive_of[g] = sw.drive;
            self.v_inf[g] = net.params[g].v_inf(sw.i_inj);
            self.switch_cursor += 1;
        }
        // the sines at t_k, held over the next step
        for i in 0..self.forced.len() {
            let g = self.forced[i] as usize;
            self.v_inf[g] = net.params[g].v_inf(self.injected(g, t_k));
        }
        // 6: sample
        if self.recorder.samples_anything() {
            let (v, ie, ii) = (&self.v, &self.ie, &self.ii);
            self.recorder.sample(|g| {
                let g = g as usize;
                State {
                    v: v[g],
                    isyn_exc: ie[g],
                    isyn_inh: ii[g],
                }
            });
        } else {
            self.recorder.skip_tick();
        }
    }

    /// Finds the next spike of source `i` (the first one if `first`): its exact time as the
    /// exact backend draws it, and the grid step it is emitted at.
    fn schedule_source(&mut self, net: &NetData, i: usize, first: bool) {
        let g = self.sources[i] as usize;
        let next = match net.kinds[g] {
            CellKind::Array => {
                if !first {
                    self.src_cursor[i] += 1;
                }
                let c = self.src_cursor[i];
                (c < net.array_ranges[g].1).then(|| net.array_times[c as usize])
            }
            CellKind::Poisson => {
                // The same draws, in the same order, as the exact engine's `schedule_source`:
                // exponential intervals from `start`, then from the previous (exact) spike time.
                let previous = (!first).then_some(self.src_next_t[i]);
                self.poisson[self.src_cursor[i] as usize].next(previous)
            }
            CellKind::Neuron => unreachable!("neurons are not sources"),
        };
        match next {
            Some(ts) => {
                self.src_next_t[i] = ts;
                self.src_next_step[i] = step_at_or_after(ts, self.h);
            }
            None => {
                self.src_next_t[i] = f64::INFINITY;
                self.src_next_step[i] = u64::MAX;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_rounding_rules() {
        let h = 0.1;
        assert_eq!(step_at_or_after(0.0, h), 0);
        assert_eq!(step_at_or_after(0.3, h), 3); // 0.3/0.1 = 2.9999999999999996
        assert_eq!(step_at_or_after(0.7, h), 7); // 0.7/0.1 = 6.999999999999999
        assert_eq!(step_at_or_after(0.31, h), 4);
        assert_eq!(step_at_or_after(0.30001, h), 4);
        assert_eq!(step_at_or_after(-1.0, h), 0);
        assert_eq!(delay_steps(1.0, h), 10);
        assert_eq!(delay_steps(0.14, h), 1);
        assert_eq!(delay_steps(0.16, h), 2);
        assert_eq!(delay_steps(0.01, h), 1); // at least one step
        assert_eq!(delay_steps(2.345, h), 23);
        assert_eq!(refractory_steps(0.0, h), 0);
        assert_eq!(refractory_steps(0.1, h), 1);
        assert_eq!(refractory_steps(1.0, h), 10);
        assert_eq!(refractory_steps(0.3, h), 3);
        assert_eq!(refractory_steps(0.25, h), 3); // ceil
        assert_eq!(refractory_steps(0.21, h), 3);
        assert_eq!(refractory_steps(6.0, h), 60);
    }
}

/// The step of IF_curr_alpha and IF_curr_delta cells, and their mid-run changes, against the
/// model's closed form (`crate::model::if_curr_alpha`) and the formula of a free IF_curr_delta
/// membrane. The flat networks are written out here, so these tests depend neither on the
/// network layer nor on `ModelKind::simulated`.
#[cfg(test)]
mod model_tests {
    use std::f64::consts::E;

    use super::*;
    use crate::model::if_curr_alpha::{self, propagate, Derived};
    use crate::model::if_curr_exp::Params;
    use crate::recording::{PopulationLayout, Var};

    const H: f64 = 0.1;

    /// One neuron of `model` with parameters `p` and initial `v0`, recording `v`, fed by one
    /// `SpikeSourceArray` cell per input `(spike time, weight, delay)` (ms, nA or mV, ms;
    /// `w < 0` inhibitory); the neuron is the last cell. Written out as the flat network
    /// (the network layer is above this one).
    fn one_cell(model: ModelKind, p: &Params, v0: f64, inputs: &[(f64, f64, f64)]) -> NetData {
        let n_src = inputs.len();
        let mut kinds = vec![CellKind::Array; n_src];
        kinds.push(CellKind::Neuron);
        let mut models = vec![ModelKind::Exp; n_src];
        models.push(model);
        let mut params = vec![Params::default(); n_src];
        params.push(*p);
        let mut init = vec![State::default(); n_src];
        init.push(State {
            v: v0,
            isyn_exc: 0.0,
            isyn_inh: 0.0,
        });
        let mut array_ranges: Vec<(u32, u32)> = (0..n_src as u32).map(|i| (i, i + 1)).collect();
        array_ranges.push((n_src as u32, n_src as u32));
        let target = |w: f64| n_src as u32 | if w < 0.0 { INHIBITORY_BIT } else { 0 };
        let layout = |label: &str, offset: usize, size: usize, signals| PopulationLayout {
            label: label.into(),
            cell_type: String::new(),
            offset: offset as u32,
            size: size as u32,
            spikes: (0..size as u32).collect(),
            signals,
        };
        NetData {
            timestep: H,
            min_delay: H,
            seed: 1,
            kinds,
            models,
            params,
            init,
            array_ranges,
            array_times: inputs.iter().map(|i| i.0).collect(),
            poisson: Vec::new(),
            current_switches: Vec::new(),
            drives: Vec::new(),
            group_offsets: (0..n_src as u32).chain([n_src as u32; 2]).collect(),
            group_delay: inputs.iter().map(|i| i.2).collect(),
            syn_offsets: (0..=n_src as u32).collect(),
            syn_target: inputs.iter().map(|i| target(i.1)).collect(),
            syn_weight: inputs.iter().map(|i| i.1).collect(),
            layout: vec![
                layout("src", 0, n_src, Vec::new()),
                layout("cell", n_src, 1, vec![(Var::V, vec![0])]),
            ],
            receives_input: vec![false, true],
        }
    }

    fn params() -> Params {
        Params {
            cm: 0.5,
            tau_m: 10.0,
            tau_syn_E: 2.0,
            tau_syn_I: 0.7,
            tau_refrac: 1.0,
            v_rest: -65.0,
            v_reset: -70.0,
            v_thresh: -20.0,
            i_offset: 0.1,
        }
    }

    fn alpha_params(p: &Params) -> if_curr_alpha::Params {
        if_curr_alpha::Params {
            cm: p.cm,
            tau_m: p.tau_m,
            tau_syn_E: p.tau_syn_E,
            tau_syn_I: p.tau_syn_I,
            tau_refrac: p.tau_refrac,
            v_rest: p.v_rest,
            v_reset: p.v_reset,
            v_thresh: p.v_thresh,
            i_offset: p.i_offset,
        }
    }

    /// The alpha state after the grid run from rest (v = `v0`) with one excitatory input of
    /// `w` at `t_in`, at `t > t_in`: the model's closed form over `[0, t_in]` and `[t_in, t]`.
    fn alpha_after(p: &Params, v0: f64, w: f64, t_in: f64, t: f64) -> if_curr_alpha::State {
        let q = alpha_params(p);
        let d = if_curr_alpha::Derived::of(&q);
        let s0 = if_curr_alpha::State {
            v: v0,
            ..Default::default()
        };
        let mut s = propagate(&q, &d, &s0, t_in, 0.0, false);
        s.disyn_exc += w * E / p.tau_syn_E;
        propagate(&q, &d, &s, t - t_in, 0.0, false)
    }

    fn close(a: f64, b: f64, what: &str) {
        assert!(
            (a - b).abs() <= 1e-12 * a.abs().max(1.0),
            "{what}: {a} vs {b}"
        );
    }

    /// Setting `v` and the currents of an IF_curr_alpha cell keeps its `dI/dt`: the run goes
    /// on from `(v, I)` as set and `dI/dt` as it was.
    #[test]
    fn alpha_state_change_keeps_the_derivative() {
        let p = params();
        let (w, t_in) = (1.5, 1.0);
        let net = one_cell(ModelKind::Alpha, &p, -65.0, &[(t_in - 0.5, w, 0.5)]);
        let g = net.n_cells() - 1;
        for scheme in [Scheme::Grid, Scheme::Euler] {
            let mut e = StepEngine::new(&net, scheme);
            e.run_until(&net, 2.5);
            let de = e.alpha.de[g - e.alpha.lo];
            if scheme == Scheme::Grid {
                // the derivative of w s/tau e^{1 - s/tau}, s = 1.5 ms after the input
                let (s, tau) = (2.5 - t_in, p.tau_syn_E);
                close(
                    de,
                    w / tau * (1.0 - s / tau) * (1.0 - s / tau).exp(),
                    "dI/dt",
                );
            }
            let set = State {
                v: -60.0,
                isyn_exc: 0.3,
                isyn_inh: -0.2,
            };
            e.change(&net, &[(g as u32, CellChange::State(set))]);
            assert_eq!(e.state_now(g as u32), set);
            assert_eq!(e.alpha.de[g - e.alpha.lo], de);
            assert_eq!(e.alpha.di[g - e.alpha.lo], 0.0);
            if scheme == Scheme::Euler {
                continue;
            }
            let q = alpha_params(&p);
            let from = if_curr_alpha::State {
                v: -60.0,
                isyn_exc: 0.3,
                disyn_exc: de,
                isyn_inh: -0.2,
                disyn_inh: 0.0,
            };
            for m in 1..=40 {
                e.run_until(&net, 2.5 + m as f64 * H);
                let want = propagate(&q, &Derived::of(&q), &from, m as f64 * H, 0.0, false);
                let got = e.state_now(g as u32);
                close(got.v, want.v, "v");
                close(got.isyn_exc, want.isyn_exc, "isyn_exc");
                close(got.isyn_inh, want.isyn_inh, "isyn_inh");
            }
        }
    }

    /// New parameters of an IF_curr_alpha cell keep its state `(v, I, dI/dt)`: the run goes on
    /// from it with the new time constants.
    #[test]
    fn alpha_params_change_keeps_the_state() {
        let p = params();
        let (w, t_in, t1) = (1.5, 1.0, 2.5);
        let mut net = one_cell(ModelKind::Alpha, &p, -65.0, &[(t_in - 0.5, w, 0.5)]);
        let g = net.n_cells() - 1;
        let mut e = StepEngine::new(&net, Scheme::Grid);
        e.run_until(&net, t1);
        let before = alpha_after(&p, -65.0, w, t_in, t1);
        close(e.state_now(g as u32).v, before.v, "v before");
        let p2 = Params {
            tau_syn_E: 3.0,
            tau_m: 15.0,
            ..p
        };
        net.params[g] = p2;
        e.change(&net, &[(g as u32, CellChange::Params(p2))]);
        let q = alpha_params(&p2);
        for m in 1..=40 {
            e.run_until(&net, t1 + m as f64 * H);
            let want = propagate(&q, &Derived::of(&q), &before, m as f64 * H, 0.0, false);
            let got = e.state_now(g as u32);
            close(got.v, want.v, "v");
            close(got.isyn_exc, want.isyn_exc, "isyn_exc");
        }
    }

    /// Setting the state of an IF_curr_delta cell sets `v` only (it has no current), and the
    /// next input jumps from there.
    #[test]
    fn delta_state_change_sets_v() {
        let p = params();
        let net = one_cell(ModelKind::Delta, &p, -65.0, &[(2.0, 1.25, 1.0)]);
        let g = net.n_cells() - 1;
        let mut e = StepEngine::new(&net, Scheme::Grid);
        e.run_until(&net, 1.0);
        e.change(
            &net,
            &[(
                g as u32,
                CellChange::State(State {
                    v: -60.0,
                    isyn_exc: 0.5,
                    isyn_inh: -0.5,
                }),
            )],
        );
        let v_inf = p.v_inf(0.0);
        let free = |t: f64| v_inf + (-60.0 - v_inf) * (-t / p.tau_m).exp();
        for m in 1..=30 {
            let t = 1.0 + m as f64 * H;
            e.run_until(&net, t);
            let s = e.state_now(g as u32);
            assert_eq!((s.isyn_exc, s.isyn_inh), (0.0, 0.0));
            // the input arrives at 3.0 ms: the jump at the grid point, then free from there
            let want = if m < 20 {
                free(t - 1.0)
            } else {
                let v3 = free(2.0) + 1.25;
                v_inf + (v3 - v_inf) * (-(t - 3.0) / p.tau_m).exp()
            };
            close(s.v, want, &format!("v at {t}"));
        }
    }
}
