//! The step-based backends: `grid` (NEST `iaf_psc_exp` semantics: exact propagators on the time
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
//! reset, refractory steps) are shared by the cells with the same parameters, and the neurons
//! are updated in one flat loop per step, in runs of cells sharing their constants. Pending
//! inputs live in a ring buffer with one slot per step of delay (`max delay steps + 1` slots);
//! a slot holds the ids of the delay groups of [`NetData`] (one per spike and distinct delay)
//! that arrive in that step, and is fanned out to the targets when its step comes. Slots keep
//! their capacity when cleared, so the step loop does not allocate once the buffers have grown
//! to the network's activity.

use std::collections::HashMap;

use super::propagators::Propagators;
pub(crate) use super::propagators::Scheme;
use super::{CellChange, CellKind, NetData, PoissonStream, Switch, INHIBITORY_BIT, NO_DRIVE};
use crate::model::ac_drive::Drive;
use crate::model::if_curr_exp::State;
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

/// What a step needs of a cell's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CellConsts {
    prop: Propagators,
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
    // Constants shared by the cells with the same (cm, tau_m, tau_syn_E, tau_syn_I,
    // tau_refrac, v_thresh, v_reset), keyed by their bits.
    let mut consts: Vec<CellConsts> = Vec::new();
    let mut seen: HashMap<[u64; 7], u32> = HashMap::new();
    let cid: Vec<u32> = net
        .params
        .iter()
        .map(|p| {
            let key = [
                p.cm,
                p.tau_m,
                p.tau_syn_E,
                p.tau_syn_I,
                p.tau_refrac,
                p.v_thresh,
                p.v_reset,
            ]
            .map(f64::to_bits);
            *seen.entry(key).or_insert_with(|| {
                consts.push(CellConsts {
                    prop: Propagators::of(scheme, p, h),
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
            consts,
            runs,
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
        }
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
                    self.ie[g] = s.isyn_exc;
                    self.ii[g] = s.isyn_inh;
                }
            }
        }
        if params_changed {
            (self.consts, self.runs) = cell_constants(net, self.scheme, self.h);
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
        // 1-2, 4: neurons, in runs of cells sharing their constants
        for ri in 0..self.runs.len() {
            let (lo, hi, ci) = self.runs[ri];
            let (lo, hi) = (lo as usize, hi as usize);
            let c = self.consts[ci as usize];
            let p = c.prop;
            let v = &mut self.v[lo..hi];
            let n = v.len();
            let ie = &mut self.ie[lo..lo + n];
            let ii = &mut self.ii[lo..lo + n];
            let vinf = &self.v_inf[lo..lo + n];
            let refr = &mut self.refr[lo..lo + n];
            for j in 0..n {
                if integrate {
                    let r = refr[j];
                    if r == 0 {
                        v[j] = vinf[j] + (v[j] - vinf[j]) * p.pm + ie[j] * p.pe + ii[j] * p.pi;
                    } else {
                        refr[j] = r - 1;
                    }
                    ie[j] *= p.de;
                    ii[j] *= p.di;
                }
                if v[j] >= c.v_thresh {
                    v[j] = c.v_reset;
                    refr[j] = c.ref_steps;
                    let g = lo + j;
                    self.counts.spikes += 1;
                    self.recorder.spike(g as u32, t_k);
                    self.ring.push_spike(net, &self.group_steps, g, k);
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
