//! The exact event-driven engine.
//!
//! # State
//!
//! Neuron state is kept lazily, as structure-of-arrays: `(t_last, v, isyn_exc, isyn_inh,
//! refractory_until, i_inj)` at the time `t_last` of the neuron's last event. A neuron is
//! advanced in closed form only when something happens to it, and sampled (without being
//! changed) at recording ticks.
//!
//! # Queues
//!
//! - `own`: an indexed priority queue (`priority-queue`) with at most one entry per cell: the
//!   predicted threshold crossing of a neuron, or the next spike of a source.
//!   `change_priority` moves a prediction in O(log n).
//! - `deliveries`: a binary heap with one entry per (spike, distinct delay): when it pops, the
//!   synapses of that delay group are fanned out to their targets.
//! - current switches: a sorted list with a cursor.
//!
//! # Order of events (deterministic)
//!
//! Events are processed by time (`f64::total_cmp`); at equal times by kind: first threshold
//! crossings and source spikes (the crossing is a property of the trajectory before `t`, and
//! inputs at `t` only change its future), then current switches, then synaptic deliveries; within
//! a kind by global cell index (population order, then neuron), and deliveries by
//! (presynaptic cell, delay group). Recording ticks at `t_k` come after every event at `t_k`
//! (right-continuous sampling). Nothing depends on insertion or hash order.
//!
//! # Windows
//!
//! Every delay is `>= min_delay`, so a spike emitted in `[T, T + min_delay)` cannot arrive inside
//! that window. [`ExactEngine::run_until`] processes time in such windows: at the start of a
//! window, the deliveries falling inside it are all already known, and within it each neuron's
//! evolution depends only on its own events — the unit of exact parallelism.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ordered_float::OrderedFloat;
use priority_queue::PriorityQueue;
use rand_distr::{Distribution, Exp};
use rand_pcg::Pcg64;

use super::{CellKind, NetData, INHIBITORY_BIT};
use crate::model::if_curr_exp::{Free, Rates, State};
use crate::recording::{EventCounts, Recorder};
use crate::threshold::{first_crossing, Crossing, SolverStats};

type Key = Reverse<(OrderedFloat<f64>, u32)>;
/// Identity-like fast hashing of cell indices (the queue's keys are small integers).
type Queue = PriorityQueue<u32, Key, rustc_hash::FxBuildHasher>;

/// Lazy per-cell state, structure of arrays: the state at `t_last` of each cell.
struct Cells {
    t_last: Vec<f64>,
    v: Vec<f64>,
    ie: Vec<f64>,
    ii: Vec<f64>,
    ref_until: Vec<f64>,
    i_inj: Vec<f64>,
    rates: Vec<Rates>,
    kmax_e: Vec<f64>,
}

impl Cells {
    /// The free trajectory of cell `g` that starts at `max(t_last, refractory end)`, with that
    /// start time: the stored state, with `v = v_reset` and the currents decayed to the end of
    /// refractoriness if the cell is refractory.
    #[inline]
    fn free_start(&self, net: &NetData, g: usize) -> (f64, Free) {
        let p = &net.params[g];
        let r = self.rates[g];
        let (t0, ru) = (self.t_last[g], self.ref_until[g]);
        let (start, v0, ie0, ii0) = if ru > t0 {
            let dt = ru - t0;
            (
                ru,
                p.v_reset,
                self.ie[g] * (-r.le * dt).exp(),
                self.ii[g] * (-r.li * dt).exp(),
            )
        } else {
            (t0, self.v[g], self.ie[g], self.ii[g])
        };
        (
            start,
            Free {
                v0,
                ie0,
                ii0,
                v_inf: p.v_inf(self.i_inj[g]),
                cm: p.cm,
                rates: r,
            },
        )
    }

    /// State of cell `g` at time `t >= t_last[g]`, from the closed form, without changing it.
    /// During refractoriness (`t <= refractory end`) `v = v_reset` while the currents decay.
    #[inline]
    fn state_at(&self, net: &NetData, g: usize, t: f64) -> State {
        if t <= self.ref_until[g] {
            let r = self.rates[g];
            let dt = t - self.t_last[g];
            return State {
                v: net.params[g].v_reset,
                isyn_exc: self.ie[g] * (-r.le * dt).exp(),
                isyn_inh: self.ii[g] * (-r.li * dt).exp(),
            };
        }
        let (start, f) = self.free_start(net, g);
        f.state(t - start)
    }

    /// Moves cell `g`'s stored state to time `t`.
    #[inline]
    fn advance(&mut self, net: &NetData, g: usize, t: f64) {
        if t == self.t_last[g] {
            return;
        }
        let s = self.state_at(net, g, t);
        self.v[g] = s.v;
        self.ie[g] = s.isyn_exc;
        self.ii[g] = s.isyn_inh;
        self.t_last[g] = t;
    }
}

/// The exact engine's mutable state for one network.
pub struct ExactEngine {
    /// Current time (ms): everything up to and including it has been processed.
    t: f64,
    cells: Cells,
    own: Queue,
    /// Per cell: the queued prediction is an early alarm (a lower bound), not exact.
    alarm: Vec<bool>,
    /// Whether inputs use the lazy rules (alarms, bounded searches); see
    /// [`ExactEngine::set_lazy_predictions`].
    lazy: bool,
    deliveries: BinaryHeap<Reverse<(OrderedFloat<f64>, u32, u32)>>,
    switch_cursor: usize,
    array_cursor: Vec<u32>,
    poisson_rng: Vec<Pcg64>,
    /// Poisson index of each cell (u32::MAX for others).
    poisson_index: Vec<u32>,
    /// Recorded data.
    pub recorder: Recorder,
    counts: EventCounts,
    solver: SolverStats,
    started: bool,
}

impl ExactEngine {
    /// A new engine at t = 0 for `net`.
    pub fn new(net: &NetData) -> Self {
        let n = net.n_cells();
        let mut poisson_index = vec![u32::MAX; n];
        for (i, p) in net.poisson.iter().enumerate() {
            poisson_index[p.cell as usize] = i as u32;
        }
        let mut e = ExactEngine {
            t: 0.0,
            cells: Cells {
                t_last: vec![0.0; n],
                v: vec![0.0; n],
                ie: vec![0.0; n],
                ii: vec![0.0; n],
                ref_until: vec![f64::NEG_INFINITY; n],
                i_inj: vec![0.0; n],
                rates: net.params.iter().map(Rates::of).collect(),
                kmax_e: net.params.iter().map(|p| p.kmax_exc()).collect(),
            },
            own: Queue::with_capacity_and_hasher(n, Default::default()),
            alarm: vec![false; n],
            lazy: true,
            deliveries: BinaryHeap::new(),
            switch_cursor: 0,
            array_cursor: net.array_ranges.iter().map(|r| r.0).collect(),
            poisson_rng: net.poisson.iter().map(|p| p.rng.clone()).collect(),
            poisson_index,
            recorder: net.recorder(),
            counts: EventCounts::default(),
            solver: SolverStats::default(),
            started: false,
        };
        e.reset(net);
        e
    }

    /// Returns to t = 0 with the same network (and the same random streams).
    pub fn reset(&mut self, net: &NetData) {
        self.t = 0.0;
        let c = &mut self.cells;
        c.t_last.iter_mut().for_each(|x| *x = 0.0);
        for (g, s) in net.init.iter().enumerate() {
            c.v[g] = s.v;
            c.ie[g] = s.isyn_exc;
            c.ii[g] = s.isyn_inh;
        }
        c.ref_until.iter_mut().for_each(|x| *x = f64::NEG_INFINITY);
        c.i_inj.iter_mut().for_each(|x| *x = 0.0);
        self.own.clear();
        self.alarm.iter_mut().for_each(|a| *a = false);
        self.deliveries.clear();
        self.switch_cursor = 0;
        for (c, r) in self.array_cursor.iter_mut().zip(&net.array_ranges) {
            *c = r.0;
        }
        for (rng, p) in self.poisson_rng.iter_mut().zip(&net.poisson) {
            *rng = p.rng.clone();
        }
        self.recorder.clear();
        self.counts = EventCounts::default();
        self.solver = SolverStats::default();
        self.started = false;
    }

    /// With `lazy = false`, every state change is followed by a full, unbounded prediction
    /// (no alarms, no horizons): slower, and the reference against which the lazy rules are
    /// tested. Default: lazy.
    pub fn set_lazy_predictions(&mut self, lazy: bool) {
        self.lazy = lazy;
    }

    /// Current simulation time (ms).
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Work counters so far.
    pub fn counts(&self) -> EventCounts {
        EventCounts {
            predictions: self.solver.searches,
            solver_cap_hits: self.solver.cap_hits,
            ..self.counts
        }
    }

    fn start(&mut self, net: &NetData) {
        self.started = true;
        for g in 0..net.n_cells() as u32 {
            match net.kinds[g as usize] {
                CellKind::Neuron => self.predict(net, g),
                CellKind::Array | CellKind::Poisson => self.schedule_source(net, g, 0.0, true),
            }
        }
    }

    /// Recomputes cell `g`'s predicted crossing from its stored state (at `t_last[g]`), with
    /// no horizon: the result is exact.
    fn predict(&mut self, net: &NetData, g: u32) {
        let gi = g as usize;
        let (start, f) = self.cells.free_start(net, gi);
        let crossing = first_crossing(
            &f,
            net.params[gi].v_thresh,
            self.cells.kmax_e[gi],
            f64::INFINITY,
            &mut self.solver,
        );
        self.alarm[gi] = false;
        match crossing {
            Crossing::At(dt) => {
                self.own.push(g, Reverse((OrderedFloat(start + dt), g)));
            }
            Crossing::None => {
                self.own.remove(&g);
            }
        }
    }

    /// After a change that can only raise `v` at every later time (an excitatory input, a
    /// larger injected current), the crossing can only move earlier: search only up to the
    /// current prediction, if there is one. Found: the new crossing is exact. Not found: the
    /// old entry stays, as an alarm (no crossing can come before it).
    fn predict_after_raise(&mut self, net: &NetData, g: u32) {
        if !self.lazy {
            return self.predict(net, g);
        }
        let gi = g as usize;
        let Some(&Reverse((OrderedFloat(p), _))) = self.own.get_priority(&g) else {
            return self.predict(net, g);
        };
        let (start, f) = self.cells.free_start(net, gi);
        let horizon = p - start;
        match first_crossing(
            &f,
            net.params[gi].v_thresh,
            self.cells.kmax_e[gi],
            horizon,
            &mut self.solver,
        ) {
            Crossing::At(dt) => {
                self.alarm[gi] = false;
                self.own
                    .change_priority(&g, Reverse((OrderedFloat(start + dt), g)));
            }
            Crossing::None => self.alarm[gi] = true,
        }
    }

    /// After a change that can only lower `v` at every later time (an inhibitory input, a
    /// smaller injected current), the crossing can only move later: no search. The current
    /// prediction becomes an alarm, re-checked when it pops; no prediction stays none.
    fn predict_after_lower(&mut self, net: &NetData, g: u32) {
        if !self.lazy {
            return self.predict(net, g);
        }
        if self.own.get_priority(&g).is_some() {
            self.alarm[g as usize] = true;
        }
    }

    /// Schedules the next spike of source `g` after time `t` (at or after `t` if `first`).
    fn schedule_source(&mut self, net: &NetData, g: u32, t: f64, first: bool) {
        let gi = g as usize;
        let next = match net.kinds[gi] {
            CellKind::Array => {
                let c = self.array_cursor[gi];
                (c < net.array_ranges[gi].1).then(|| net.array_times[c as usize])
            }
            CellKind::Poisson => {
                let pi = self.poisson_index[gi] as usize;
                let p = &net.poisson[pi];
                if p.rate_hz <= 0.0 {
                    None
                } else {
                    let from = if first { p.start } else { t.max(p.start) };
                    let isi = Exp::new(p.rate_hz / 1000.0)
                        .expect("validated rate")
                        .sample(&mut self.poisson_rng[pi]);
                    let ts = from + isi;
                    (ts < p.start + p.duration).then_some(ts)
                }
            }
            CellKind::Neuron => unreachable!("neurons are predicted, not scheduled"),
        };
        match next {
            Some(ts) => {
                self.own.push(g, Reverse((OrderedFloat(ts), g)));
            }
            None => {
                self.own.remove(&g);
            }
        }
    }

    fn emit(&mut self, net: &NetData, g: u32, t: f64) {
        self.counts.spikes += 1;
        self.recorder.spike(g, t);
        let gi = g as usize;
        for k in net.group_offsets[gi]..net.group_offsets[gi + 1] {
            self.deliveries.push(Reverse((
                OrderedFloat(t + net.group_delay[k as usize]),
                g,
                k,
            )));
        }
    }

    /// Samples the recording ticks `k <= last` with `t_k = k * timestep < before`.
    fn sample_ticks_before(&mut self, net: &NetData, before: f64, last: u64) {
        loop {
            let k = self.recorder.n_ticks();
            let tk = k as f64 * net.timestep;
            if k > last || tk >= before {
                return;
            }
            self.sample_tick(net, tk);
        }
    }

    fn sample_tick(&mut self, net: &NetData, tk: f64) {
        if self.recorder.samples_anything() {
            let cells = &self.cells;
            self.recorder
                .sample(|g| cells.state_at(net, g as usize, tk));
        } else {
            self.recorder.skip_tick();
        }
    }

    /// Runs until `t_stop` (ms): processes every event with `t <= t_stop`, in min_delay
    /// windows, and samples every tick up to `round(t_stop / timestep)`.
    pub fn run_until(&mut self, net: &NetData, t_stop: f64) {
        if !self.started {
            self.start(net);
        }
        let last = net.last_tick(t_stop);
        let mut window_start = self.t;
        loop {
            let window_end = (window_start + net.min_delay).min(t_stop);
            self.run_window(net, window_end, last);
            if window_end >= t_stop {
                break;
            }
            // jump over empty stretches: the next window starts at the next event
            window_start = match self.next_event_time(net) {
                Some(te) if te > window_end => te.min(t_stop),
                _ => window_end,
            };
        }
        while self.recorder.n_ticks() <= last {
            let tk = self.recorder.n_ticks() as f64 * net.timestep;
            self.sample_tick(net, tk);
        }
        self.t = t_stop;
    }

    fn next_event_time(&self, net: &NetData) -> Option<f64> {
        let a = self.own.peek().map(|(_, k)| k.0 .0 .0);
        let b = net.current_switches.get(self.switch_cursor).map(|s| s.0);
        let c = self.deliveries.peek().map(|d| d.0 .0 .0);
        [a, b, c].into_iter().flatten().min_by(f64::total_cmp)
    }

    /// Processes every event with `t <= window_end`, in order.
    fn run_window(&mut self, net: &NetData, window_end: f64, last: u64) {
        loop {
            // the next event: (time, kind rank)
            let own = self.own.peek().map(|(_, k)| k.0 .0 .0);
            let sw = net.current_switches.get(self.switch_cursor).map(|s| s.0);
            let del = self.deliveries.peek().map(|d| d.0 .0 .0);
            let mut best: Option<(f64, u8)> = None;
            for (t, rank) in [(own, 0u8), (sw, 1), (del, 2)] {
                if let Some(t) = t {
                    if best.is_none_or(|(bt, br)| t < bt || (t == bt && rank < br)) {
                        best = Some((t, rank));
                    }
                }
            }
            let Some((te, rank)) = best else { return };
            if te > window_end {
                return;
            }
            self.sample_ticks_before(net, te, last);
            match rank {
                0 => {
                    let (g, _) = self.own.pop().expect("peeked");
                    let gi = g as usize;
                    if net.kinds[gi] == CellKind::Neuron {
                        self.cells.advance(net, gi, te);
                        if self.alarm[gi] {
                            // A stale prediction: re-check from here. The true crossing is at
                            // or after te; spike only if it is at te.
                            self.predict(net, g);
                            let now = matches!(self.own.get_priority(&g), Some(&Reverse((OrderedFloat(t), _))) if t <= te);
                            if !now {
                                continue;
                            }
                            self.own.remove(&g);
                        }
                        self.cells.v[gi] = net.params[gi].v_reset;
                        self.cells.ref_until[gi] = te + net.params[gi].tau_refrac;
                        self.emit(net, g, te);
                        self.predict(net, g);
                    } else {
                        if net.kinds[gi] == CellKind::Array {
                            self.array_cursor[gi] += 1;
                        }
                        self.emit(net, g, te);
                        self.schedule_source(net, g, te, false);
                    }
                }
                1 => {
                    let (_, g, i_inj) = net.current_switches[self.switch_cursor];
                    self.switch_cursor += 1;
                    let gi = g as usize;
                    self.cells.advance(net, gi, te);
                    let raised = i_inj >= self.cells.i_inj[gi];
                    self.cells.i_inj[gi] = i_inj;
                    if raised {
                        self.predict_after_raise(net, g);
                    } else {
                        self.predict_after_lower(net, g);
                    }
                }
                _ => {
                    let Reverse((_, _pre, k)) = self.deliveries.pop().expect("peeked");
                    let k = k as usize;
                    for s in net.syn_offsets[k]..net.syn_offsets[k + 1] {
                        let s = s as usize;
                        let target = net.syn_target[s];
                        let g = target & !INHIBITORY_BIT;
                        let gi = g as usize;
                        self.cells.advance(net, gi, te);
                        self.counts.synaptic_inputs += 1;
                        if target & INHIBITORY_BIT != 0 {
                            self.cells.ii[gi] += net.syn_weight[s];
                            self.predict_after_lower(net, g);
                        } else {
                            self.cells.ie[gi] += net.syn_weight[s];
                            self.predict_after_raise(net, g);
                        }
                    }
                }
            }
        }
    }
}
