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
//! # Lazy predictions
//!
//! An inhibitory input (or a smaller injected current) lowers `v` at every later time, so the
//! next crossing can only move later: the queued prediction is kept, flagged as an *alarm* (a
//! lower bound), and nothing is searched. An excitatory input (or a larger injected current)
//! raises `v` at every later time, so the crossing can only move earlier: the solver searches
//! only up to the queued prediction; if it finds nothing there the entry stays, as an alarm.
//! When an alarm pops, the cell is re-predicted from that time, and spikes only if the crossing
//! is exactly there. Every queued time is therefore at or before the true next crossing, and
//! exact when not flagged. `tests/lazy_predictions.rs` checks these rules against exhaustive
//! prediction after every change ([`ExactEngine::set_lazy_predictions`]).
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
//! evolution depends only on its own events — the unit of exact parallelism. (The windows are
//! still processed on one thread; running them across threads is the next step.)

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

/// Everything the event loop touches for one cell, packed into two cache lines: the lazy state
/// at `t_last` and the parameters the closed form needs. A synaptic input then costs one or two
/// cache misses instead of one per array (the sparse benchmark is memory-bound).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct Cell {
    /// Time of the stored state (ms).
    t_last: f64,
    /// `v` at `t_last` (mV).
    v: f64,
    /// `isyn_exc` at `t_last` (nA).
    ie: f64,
    /// `isyn_inh` at `t_last` (nA).
    ii: f64,
    /// End of the refractory period (ms); `-inf` if never refractory.
    ref_until: f64,
    /// Injected current from current sources (nA).
    i_inj: f64,
    /// `v_rest + i_offset * tau_m / cm` (mV): `v_inf` without injected current.
    v_inf0: f64,
    /// `tau_m / cm` (MOhm): `v_inf = v_inf0 + i_inj * r_m`.
    r_m: f64,
    /// Membrane capacitance (nF).
    cm: f64,
    /// Reset potential (mV).
    v_reset: f64,
    /// Threshold (mV).
    v_thresh: f64,
    /// Refractory period (ms).
    tau_refrac: f64,
    /// `Kmax_E` of the rejection bound (ms).
    kmax_e: f64,
    /// Rates (1/ms).
    rates: Rates,
}

impl Cell {
    fn new(p: &crate::model::if_curr_exp::Params, s: &State) -> Self {
        Cell {
            t_last: 0.0,
            v: s.v,
            ie: s.isyn_exc,
            ii: s.isyn_inh,
            ref_until: f64::NEG_INFINITY,
            i_inj: 0.0,
            v_inf0: p.v_inf(0.0),
            r_m: p.tau_m / p.cm,
            cm: p.cm,
            v_reset: p.v_reset,
            v_thresh: p.v_thresh,
            tau_refrac: p.tau_refrac,
            kmax_e: p.kmax_exc(),
            rates: Rates::of(p),
        }
    }

    /// The free trajectory that starts at `max(t_last, refractory end)`, with that start time:
    /// the stored state, with `v = v_reset` and the currents decayed to the end of
    /// refractoriness if the cell is refractory.
    #[inline]
    fn free_start(&self) -> (f64, Free) {
        let r = self.rates;
        let (t0, ru) = (self.t_last, self.ref_until);
        let (start, v0, ie0, ii0) = if ru > t0 {
            let dt = ru - t0;
            (
                ru,
                self.v_reset,
                self.ie * (-r.le * dt).exp(),
                self.ii * (-r.li * dt).exp(),
            )
        } else {
            (t0, self.v, self.ie, self.ii)
        };
        let v_inf = if self.i_inj == 0.0 {
            self.v_inf0
        } else {
            self.v_inf0 + self.i_inj * self.r_m
        };
        (
            start,
            Free {
                v0,
                ie0,
                ii0,
                v_inf,
                cm: self.cm,
                rates: r,
            },
        )
    }

    /// The state at time `t >= t_last`, from the closed form, without changing it. During
    /// refractoriness (`t <= refractory end`) `v = v_reset` while the currents decay.
    #[inline]
    fn state_at(&self, t: f64) -> State {
        if t <= self.ref_until {
            let r = self.rates;
            let dt = t - self.t_last;
            return State {
                v: self.v_reset,
                isyn_exc: self.ie * (-r.le * dt).exp(),
                isyn_inh: self.ii * (-r.li * dt).exp(),
            };
        }
        let (start, f) = self.free_start();
        f.state(t - start)
    }

    /// Moves the stored state to time `t`.
    #[inline]
    fn advance(&mut self, t: f64) {
        if t == self.t_last {
            return;
        }
        let s = self.state_at(t);
        self.v = s.v;
        self.ie = s.isyn_exc;
        self.ii = s.isyn_inh;
        self.t_last = t;
    }
}

/// The exact engine's mutable state for one network.
pub struct ExactEngine {
    /// Current time (ms): everything up to and including it has been processed.
    t: f64,
    cells: Vec<Cell>,
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
            cells: net
                .params
                .iter()
                .zip(&net.init)
                .map(|(p, s)| Cell::new(p, s))
                .collect(),
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
        for (c, (p, s)) in self.cells.iter_mut().zip(net.params.iter().zip(&net.init)) {
            *c = Cell::new(p, s);
        }
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
                CellKind::Neuron => self.predict(g),
                CellKind::Array | CellKind::Poisson => self.schedule_source(net, g, 0.0, true),
            }
        }
    }

    /// Recomputes cell `g`'s predicted crossing from its stored state (at `t_last[g]`), with
    /// no horizon: the result is exact.
    fn predict(&mut self, g: u32) {
        let gi = g as usize;
        let (start, f) = self.cells[gi].free_start();
        let crossing = first_crossing(
            &f,
            self.cells[gi].v_thresh,
            self.cells[gi].kmax_e,
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
    fn predict_after_raise(&mut self, g: u32) {
        if !self.lazy {
            return self.predict(g);
        }
        let gi = g as usize;
        let Some(&Reverse((OrderedFloat(p), _))) = self.own.get_priority(&g) else {
            return self.predict(g);
        };
        let (start, f) = self.cells[gi].free_start();
        let horizon = p - start;
        match first_crossing(
            &f,
            self.cells[gi].v_thresh,
            self.cells[gi].kmax_e,
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
    fn predict_after_lower(&mut self, g: u32) {
        if !self.lazy {
            return self.predict(g);
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
            self.sample_tick(tk);
        }
    }

    fn sample_tick(&mut self, tk: f64) {
        if self.recorder.samples_anything() {
            let cells = &self.cells;
            self.recorder.sample(|g| cells[g as usize].state_at(tk));
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
            window_start = match self.next_event(net).map(|e| e.0) {
                Some(te) if te > window_end => te.min(t_stop),
                _ => window_end,
            };
        }
        while self.recorder.n_ticks() <= last {
            let tk = self.recorder.n_ticks() as f64 * net.timestep;
            self.sample_tick(tk);
        }
        self.t = t_stop;
    }

    /// The next event as (time, kind rank): 0 a threshold crossing or source spike, 1 a
    /// current switch, 2 a delivery; at equal times the lower rank comes first.
    fn next_event(&self, net: &NetData) -> Option<(f64, u8)> {
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
        best
    }

    /// Processes every event with `t <= window_end`, in order.
    fn run_window(&mut self, net: &NetData, window_end: f64, last: u64) {
        loop {
            let Some((te, rank)) = self.next_event(net) else {
                return;
            };
            if te > window_end {
                return;
            }
            self.sample_ticks_before(net, te, last);
            match rank {
                0 => {
                    let (g, _) = self.own.pop().expect("peeked");
                    let gi = g as usize;
                    if net.kinds[gi] == CellKind::Neuron {
                        self.cells[gi].advance(te);
                        if self.alarm[gi] {
                            // A stale prediction: re-check from here. The true crossing is at
                            // or after te; spike only if it is at te.
                            self.predict(g);
                            let now = matches!(self.own.get_priority(&g), Some(&Reverse((OrderedFloat(t), _))) if t <= te);
                            if !now {
                                continue;
                            }
                            self.own.remove(&g);
                        }
                        let c = &mut self.cells[gi];
                        c.v = c.v_reset;
                        c.ref_until = te + c.tau_refrac;
                        self.emit(net, g, te);
                        self.predict(g);
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
                    self.cells[gi].advance(te);
                    let raised = i_inj >= self.cells[gi].i_inj;
                    self.cells[gi].i_inj = i_inj;
                    if raised {
                        self.predict_after_raise(g);
                    } else {
                        self.predict_after_lower(g);
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
                        self.cells[gi].advance(te);
                        self.counts.synaptic_inputs += 1;
                        if target & INHIBITORY_BIT != 0 {
                            self.cells[gi].ii += net.syn_weight[s];
                            self.predict_after_lower(g);
                        } else {
                            self.cells[gi].ie += net.syn_weight[s];
                            self.predict_after_raise(g);
                        }
                    }
                }
            }
        }
    }
}
