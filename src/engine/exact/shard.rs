//! A shard: the cells of one contiguous range of global indices, with their own event queue,
//! processed one min_delay window at a time. Within a window a shard needs nothing from any
//! other shard (every delivery landing in the window is known when it starts), so shards run
//! the window on different threads and produce exactly what one shard holding every cell would.

use super::cell::{Cell, CellParams, ExactModel, Tables};
use super::memory;
use super::queue::EventQueue;
use crate::engine::{
    CellKind, NetData, PoissonStream, RunawaySpike, Switch, INHIBITORY_BIT, NO_DRIVE,
    RUNAWAY_RELATIVE, RUNAWAY_SPIKES_PER_STEP,
};
use crate::model::ac_drive::Drive;
use crate::model::if_curr_alpha::IfCurrAlpha;
use crate::model::if_curr_delta::IfCurrDelta;
use crate::model::if_curr_exp::{IfCurrExp, State};
use crate::model::ModelKind;
use crate::recording::EventCounts;
use crate::threshold::{Crossing, SolverStats};

/// A delivery: at time `t`, the synapses of delay group `k` of presynaptic cell `pre`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Delivery {
    pub t: f64,
    pub pre: u32,
    pub k: u32,
}

/// An alarm closer than this (ms) is not armed: the crossing is searched at once. Alarms are
/// cheap (a bound and a queue update, under 0.1 µs) but a stream of ever-closer alarms is not;
/// a search costs 0.4–0.9 µs in the solver bench (BENCHMARKS.md), about ten alarms.
const NEAR_MS: f64 = 0.5;

/// Inputs added before their predictions are made (see [`Shard::deliver`]); 16 ran fastest of
/// 8, 16 and 32 on the sparse fixture.
const BATCH: usize = 16;

/// What one window asks of a shard.
pub(super) struct Window<'a> {
    /// The deliveries with `t` in the window, in order of `(t, pre, k)`.
    pub deliveries: &'a [Delivery],
    /// End of the window (ms).
    pub end: f64,
    /// Whether events at `t == end` belong to the window (the last window of a run).
    pub closed: bool,
    /// Index of the first tick not yet sampled.
    pub tick0: u64,
    /// Index of the last tick of the run.
    pub last_tick: u64,
}

impl Window<'_> {
    #[inline]
    fn contains(&self, t: f64) -> bool {
        t < self.end || (self.closed && t <= self.end)
    }
}

/// One Poisson cell of a shard: its generator and where it came from (a spike costs one
/// look-up into this array).
struct ShardPoisson {
    /// Index of the cell in `net.poisson`.
    index: u32,
    stream: PoissonStream,
}

/// The cells `lo..hi` and their events.
pub(super) struct Shard<M: ExactModel> {
    /// First global cell index owned.
    pub lo: u32,
    /// One past the last.
    pub hi: u32,
    cells: Vec<Cell<M::Extra>>,
    /// Each cell's next own event (by local index `g - lo`).
    own: EventQueue,
    /// Current switches of the shard's cells, sorted by `(t, cell)`.
    switches: Vec<Switch>,
    switch_cursor: usize,
    /// The sinusoidal drives the switches refer to (a copy of `net.drives`).
    drives: Vec<Drive>,
    /// Per cell (by local index): its drive now, or [`NO_DRIVE`] (then `Cell::forced` is
    /// false).
    drive_of: Vec<u32>,
    /// Per cell: next index into `net.array_times` (spike-source arrays only).
    array_cursor: Vec<u32>,
    /// Per cell: index into `poisson`, or `u32::MAX`.
    poisson_index: Vec<u32>,
    /// The Poisson cells of the shard.
    poisson: Vec<ShardPoisson>,
    lazy: bool,
    /// Whether the synapses of every delay group are sorted by target (then a shard finds its
    /// own by binary search).
    sorted_targets: bool,
    /// Global indices of the cells whose state is sampled, increasing.
    sampled: Vec<u32>,
    /// Spikes emitted in the current window `(t, cell)`, in order.
    pub spikes: Vec<(f64, u32)>,
    /// Samples taken in the current window: tick-major, `sampled.len()` states per tick.
    pub samples: Vec<State>,
    /// Ticks sampled in the current window.
    pub ticks: u64,
    pub counts: EventCounts,
    pub solver: SolverStats,
    /// `timestep / RUNAWAY_SPIKES_PER_STEP` (ms): with `t * RUNAWAY_RELATIVE`, the shortest
    /// interval between two spikes of a cell ([`crate::engine::shortest_interval`]).
    min_interval: f64,
    /// The first cell of the current window that fired again within the shortest interval:
    /// the shard stopped there, and the window is not to be collected.
    pub runaway: Option<RunawaySpike>,
}

impl<M: ExactModel> Shard<M> {
    /// The shard of cells `lo..hi`, at t = 0. `param_of[g]` is cell `g`'s entry in the
    /// engine's parameter table; `sampled` lists the cells whose state is recorded.
    pub(super) fn new(
        net: &NetData,
        (lo, hi): (u32, u32),
        (tables, param_of): (&Tables, &[u32]),
        sampled: &[u32],
        sorted_targets: bool,
    ) -> Self {
        let params = M::table(tables);
        let range = lo as usize..hi as usize;
        let mut poisson_index = vec![u32::MAX; range.len()];
        let mut poisson = Vec::new();
        for (i, p) in net.poisson.iter().enumerate() {
            if range.contains(&(p.cell as usize)) {
                poisson_index[p.cell as usize - range.start] = poisson.len() as u32;
                poisson.push(ShardPoisson {
                    index: i as u32,
                    stream: PoissonStream::of(p),
                });
            }
        }
        let mut cells = Vec::with_capacity(range.len());
        memory::advise_huge_pages(&mut cells);
        cells.extend(
            range
                .clone()
                .map(|g| Cell::new(&net.init[g], param_of[g], &params[param_of[g] as usize])),
        );
        let mut s = Shard {
            lo,
            hi,
            cells,
            own: EventQueue::new(range.len()),
            switches: net
                .current_switches
                .iter()
                .filter(|s| range.contains(&(s.cell as usize)))
                .copied()
                .collect(),
            switch_cursor: 0,
            drives: net.drives.clone(),
            drive_of: vec![NO_DRIVE; range.len()],
            array_cursor: net.array_ranges[range.clone()]
                .iter()
                .map(|r| r.0)
                .collect(),
            poisson_index,
            poisson,
            lazy: true,
            sorted_targets,
            sampled: sampled
                .iter()
                .copied()
                .filter(|&g| range.contains(&(g as usize)))
                .collect(),
            spikes: Vec::new(),
            samples: Vec::new(),
            ticks: 0,
            counts: EventCounts::default(),
            solver: SolverStats::default(),
            min_interval: net.timestep / RUNAWAY_SPIKES_PER_STEP,
            runaway: None,
        };
        s.reset(net, tables);
        s
    }

    /// Back to t = 0: initial state, the random streams as at t = 0, nothing queued.
    pub(super) fn reset(&mut self, net: &NetData, tables: &Tables) {
        let params = M::table(tables);
        let lo = self.lo as usize;
        for (i, c) in self.cells.iter_mut().enumerate() {
            *c = Cell::new(&net.init[lo + i], c.param, &params[c.param as usize]);
        }
        self.own.clear();
        self.switch_cursor = 0;
        self.drive_of.fill(NO_DRIVE);
        for (i, c) in self.array_cursor.iter_mut().enumerate() {
            *c = net.array_ranges[lo + i].0;
        }
        for p in self.poisson.iter_mut() {
            p.stream = PoissonStream::of(&net.poisson[p.index as usize]);
        }
        self.spikes.clear();
        self.samples.clear();
        self.ticks = 0;
        self.counts = EventCounts::default();
        self.solver = SolverStats::default();
        self.runaway = None;
    }

    #[cfg(feature = "internals")]
    pub(super) fn set_lazy_predictions(&mut self, lazy: bool) {
        self.lazy = lazy;
    }

    /// Samples the cells of `sampled` (global, increasing) that this shard owns, from the next
    /// tick on.
    pub(super) fn set_sampled(&mut self, sampled: &[u32]) {
        let (lo, hi) = (self.lo, self.hi);
        self.sampled = sampled
            .iter()
            .copied()
            .filter(|g| (lo..hi).contains(g))
            .collect();
    }

    /// Global indices of the sampled cells of this shard.
    pub(super) fn sampled(&self) -> &[u32] {
        &self.sampled
    }

    /// The state of cell `g` (owned by this shard) at `t`, not before its last event.
    pub(super) fn state_at(&self, tables: &Tables, g: u32, t: f64) -> State {
        let params = M::table(tables);
        self.cell_state(params, (g - self.lo) as usize, t)
    }

    /// The state of the cell of local index `i` at `t`, not before its last event.
    #[inline]
    fn cell_state(&self, params: &[CellParams<M>], i: usize, t: f64) -> State {
        let c = &self.cells[i];
        let p = &params[c.param as usize];
        if c.forced {
            M::state_at_forced(c, p, &self.drives[self.drive_of[i] as usize], t)
        } else {
            M::state_at(c, p, t)
        }
    }

    /// Moves cell `g`'s stored state to `t` (under its drive, if forced).
    #[inline]
    fn advance(&mut self, params: &[CellParams<M>], g: u32, t: f64) {
        let i = (g - self.lo) as usize;
        let c = &mut self.cells[i];
        let p = &params[c.param as usize];
        if c.forced {
            M::advance_forced(c, p, &self.drives[self.drive_of[i] as usize], t);
        } else {
            M::advance(c, p, t);
        }
    }

    /// Gives cell `g` (already advanced to the switch time) the injected current of `sw`:
    /// `v_inf = v_inf0 + i_inj r_m` and the drive. Returns whether `v_inf` rose or stayed, and
    /// whether the cell is or was forced (then its prediction must be made afresh).
    fn take_switch(
        &mut self,
        params: &[CellParams<M>],
        g: u32,
        i_inj: f64,
        drive: u32,
    ) -> (bool, bool) {
        let i = (g - self.lo) as usize;
        let c = &mut self.cells[i];
        let p = &params[c.param as usize];
        let v_inf = if i_inj == 0.0 {
            p.v_inf0
        } else {
            p.v_inf0 + i_inj * p.r_m
        };
        let raised = v_inf >= c.v_inf;
        let forced = c.forced || drive != NO_DRIVE;
        c.v_inf = v_inf;
        c.forced = drive != NO_DRIVE;
        self.drive_of[i] = drive;
        (raised, forced)
    }

    /// Changes neuron `g` (owned by this shard) at time `t` (ms), between runs: its state is
    /// advanced to `t` in closed form, given the parameter set `param` and/or the state `state`
    /// (a refractory cell stays refractory: its `v` is held at `v_reset` to the end), and, once
    /// the run has started (`predict`), its crossing is predicted afresh and exactly.
    pub(super) fn change(
        &mut self,
        tables: &Tables,
        g: u32,
        t: f64,
        (param, state): (Option<u32>, Option<State>),
        predict: bool,
    ) {
        let params = M::table(tables);
        // the injected current now: the last switch of `g` that has taken effect
        let i_inj = self.switches[..self.switch_cursor]
            .iter()
            .rev()
            .find(|s| s.cell == g)
            .map_or(0.0, |s| s.i_inj);
        self.advance(params, g, t);
        let c = self.cell(g);
        if let Some(k) = param {
            c.param = k;
            let p = &params[k as usize];
            // as at a current switch: v_inf = v_inf0 + i_inj * r_m
            c.v_inf = if i_inj == 0.0 {
                p.v_inf0
            } else {
                p.v_inf0 + i_inj * p.r_m
            };
        }
        if let Some(s) = state {
            M::set_state(c, &s);
        }
        if predict {
            self.predict_exact(params, g);
        }
    }

    /// Replaces the shard's current switches by those of `net` (every cell's, sorted by
    /// `(t, cell)`) at time `t` (ms), between runs. Once the run has started (`started`),
    /// switches at or before `t` are past: a neuron whose injected current (constant or
    /// sinusoidal) now differs takes the new one at `t`, exactly (advanced to `t` under the old
    /// one, `v_inf` and drive changed, predicted afresh); the later ones come as events.
    /// Before the start every switch is still to come.
    pub(super) fn replace_switches(
        &mut self,
        tables: &Tables,
        net: &NetData,
        t: f64,
        started: bool,
    ) {
        let params = M::table(tables);
        let (lo, hi) = (self.lo, self.hi);
        let mine: Vec<Switch> = net
            .current_switches
            .iter()
            .filter(|s| (lo..hi).contains(&s.cell))
            .copied()
            .collect();
        let cursor = if started {
            mine.partition_point(|s| s.t <= t)
        } else {
            0
        };
        // every cell's injected current now, after the new switches: (i_inj, drive)
        let mut after = vec![(0.0, NO_DRIVE); (hi - lo) as usize];
        for s in &mine[..cursor] {
            after[(s.cell - lo) as usize] = (s.i_inj, s.drive);
        }
        let mut i_before = vec![0.0; (hi - lo) as usize];
        for s in &self.switches[..self.switch_cursor] {
            i_before[(s.cell - lo) as usize] = s.i_inj;
        }
        let mut changed = Vec::new();
        for (i, (&old, &(new, drive))) in i_before.iter().zip(&after).enumerate() {
            let old_drive = self.drive_of[i];
            let same_drive = match (old_drive, drive) {
                (NO_DRIVE, NO_DRIVE) => true,
                (NO_DRIVE, _) | (_, NO_DRIVE) => false,
                (a, b) => self.drives[a as usize] == net.drives[b as usize],
            };
            let g = lo + i as u32;
            if old.to_bits() != new.to_bits() || !same_drive {
                // advanced under the old drive (the old table), then given the new current
                self.advance(params, g, t);
                self.take_switch(params, g, new, drive);
                changed.push(g);
            } else {
                // the same current: only the drive's index in the new table may differ
                self.drive_of[i] = drive;
            }
        }
        self.switches = mine;
        self.switch_cursor = cursor;
        self.drives = net.drives.clone();
        if started {
            for g in changed {
                self.predict_exact(params, g);
            }
        }
    }

    /// Takes new spike times of the shard's `SpikeSourceArray` cells (already in
    /// `net.array_ranges`/`net.array_times`) at time `t` (ms), between runs: once started,
    /// times at or before `t` are past, and each cell's next spike becomes its first new time
    /// after `t`; before the start every time is still to come.
    pub(super) fn replace_spike_arrays(&mut self, net: &NetData, t: f64, started: bool) {
        for g in self.lo..self.hi {
            if net.kinds[g as usize] != CellKind::Array {
                continue;
            }
            let (a, b) = net.array_ranges[g as usize];
            let times = &net.array_times[a as usize..b as usize];
            let first = if started {
                a + times.partition_point(|&x| x <= t) as u32
            } else {
                a
            };
            self.array_cursor[(g - self.lo) as usize] = first;
            if started {
                let next = (first < b).then(|| net.array_times[first as usize]);
                self.set_entry(g, next.unwrap_or(f64::INFINITY), false);
            }
        }
    }

    /// Queues every cell's first event (t = 0).
    pub(super) fn start(&mut self, net: &NetData, tables: &Tables) {
        let params = M::table(tables);
        for g in self.lo..self.hi {
            match net.kinds[g as usize] {
                CellKind::Neuron => self.predict(params, g),
                CellKind::Array | CellKind::Poisson => self.schedule_source(net, g, 0.0, true),
            }
        }
    }

    /// Time of the shard's next own event (a crossing, source spike or alarm, or a current
    /// switch), if any.
    pub(super) fn next_time(&self) -> Option<f64> {
        let own = self.own.peek().map(|(t, _)| t);
        let sw = self.switches.get(self.switch_cursor).map(|s| s.t);
        match (own, sw) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    #[inline]
    fn cell(&mut self, g: u32) -> &mut Cell<M::Extra> {
        &mut self.cells[(g - self.lo) as usize]
    }

    /// Sets cell `g`'s queue entry to `t` (`+inf`: none), flagged as an alarm or not. The
    /// cell's `queued` mirrors the queue, so the queue is only touched when something changes.
    #[inline]
    fn set_entry(&mut self, g: u32, t: f64, alarm: bool) {
        let i = g - self.lo;
        let c = &mut self.cells[i as usize];
        let had = c.queued.is_finite();
        c.alarm = alarm;
        if t.is_finite() {
            c.queued = t;
            self.own.set(i, t);
        } else {
            c.queued = f64::INFINITY;
            if had {
                self.own.remove(i);
            }
        }
    }

    /// Keeps cell `g`'s entry but flags it as an alarm (an exact crossing that may have moved
    /// later, or a lower bound that is still one).
    #[inline]
    fn demote(&mut self, g: u32) {
        let c = self.cell(g);
        c.alarm = c.queued.is_finite();
    }

    /// The crossing of `f` (from `start`) searched up to `horizon` (relative): found, the
    /// entry becomes it, exact.
    fn search(&mut self, g: u32, p: &CellParams<M>, start: f64, f: &M::Free, horizon: f64) -> bool {
        match M::first_crossing(f, &p.model, p.v_thresh, horizon, &mut self.solver) {
            Crossing::At(dt) => {
                self.set_entry(g, start + dt, false);
                true
            }
            Crossing::None => false,
        }
    }

    /// Exact prediction from the stored state, no horizon.
    fn predict_exact(&mut self, params: &[CellParams<M>], g: u32) {
        let c = *self.cell(g);
        if c.forced {
            return self.predict_forced(params, g);
        }
        let p = &params[c.param as usize];
        let (start, f) = M::free_start(&c, p);
        if !self.search(g, p, start, &f, f64::INFINITY) {
            self.set_entry(g, f64::INFINITY, false);
        }
    }

    /// The prediction of a `forced` cell (always exact: `ExactModel::predict_forced`).
    fn predict_forced(&mut self, params: &[CellParams<M>], g: u32) {
        let i = (g - self.lo) as usize;
        let c = self.cells[i];
        let p = &params[c.param as usize];
        let drive = &self.drives[self.drive_of[i] as usize];
        let (t, alarm) = M::predict_forced(&c, p, drive, &mut self.solver);
        self.set_entry(g, t, alarm);
    }

    /// The lazy rules of [`Shard::predict`] (`after_raise` false) and
    /// [`Shard::predict_after_raise`] (true) for a `forced` cell, on a free trajectory that
    /// bounds the driven one from above (`ExactModel::forced_bound`), so that
    /// [`Crossings::crossing_lower_bound`] and [`Crossings::no_crossing_before`] apply
    /// unchanged. An input still moves the crossing only one way (the equation is linear), so
    /// the alarms' argument holds; a search, when needed, is [`Shard::predict_forced`]'s.
    #[inline(never)]
    fn predict_forced_lazy(&mut self, params: &[CellParams<M>], g: u32, after_raise: bool) {
        if !self.lazy {
            return self.predict_forced(params, g);
        }
        let i = (g - self.lo) as usize;
        let c = self.cells[i];
        let p = &params[c.param as usize];
        let drive = &self.drives[self.drive_of[i] as usize];
        let (start, bound) = M::forced_bound(&c, p, drive);
        let q = c.queued;
        if after_raise && M::no_crossing_before(&bound, &p.model, p.v_thresh, q - start) {
            return self.demote(g);
        }
        let lb = M::crossing_lower_bound(&bound, &p.model, p.v_thresh);
        if lb == f64::INFINITY {
            return self.set_entry(g, f64::INFINITY, false);
        }
        if after_raise && start + lb >= q {
            return self.demote(g);
        }
        if lb >= NEAR_MS {
            return self.set_entry(g, start + lb, true);
        }
        self.predict_forced(params, g);
    }

    /// Cell `g`'s parameters, queued time and free trajectory (with its start) for a lazy
    /// prediction; or `None` once the prediction has been made exactly at once: with the lazy
    /// rules off, or without synaptic current, where the closed form is as cheap as the bound
    /// and an alarm would only add the rounding of one more state advance.
    // inlined: returned through memory, the trajectory cost CUBA ~5 % (interleaved runs)
    #[inline(always)]
    fn lazy_start<'a>(
        &mut self,
        params: &'a [CellParams<M>],
        g: u32,
    ) -> Option<(&'a CellParams<M>, f64, f64, M::Free)> {
        let c = *self.cell(g);
        if c.forced {
            self.predict_forced(params, g);
            return None;
        }
        let p = &params[c.param as usize];
        let (start, f) = M::free_start(&c, p);
        if !self.lazy || !M::free_has_current(&f) {
            self.predict_exact(params, g);
            return None;
        }
        Some((p, c.queued, start, f))
    }

    /// A fresh prediction from the stored state (at the start, after a spike, when an alarm
    /// comes due). Lazy: if the crossing lower bound ([`Crossings::crossing_lower_bound`]) is
    /// at least [`NEAR_MS`] away, arm an alarm there instead of searching (see
    /// [`Shard::lazy_start`] for when the crossing is computed at once).
    fn predict(&mut self, params: &[CellParams<M>], g: u32) {
        if self.cells[(g - self.lo) as usize].forced {
            return self.predict_forced_lazy(params, g, false);
        }
        let Some((p, _, start, f)) = self.lazy_start(params, g) else {
            return;
        };
        let lb = M::crossing_lower_bound(&f, &p.model, p.v_thresh);
        if lb == f64::INFINITY {
            self.set_entry(g, f64::INFINITY, false);
        } else if lb >= NEAR_MS {
            self.set_entry(g, start + lb, true);
        } else {
            self.search_window(g, p, start, &f);
        }
    }

    /// Searches the crossing of `f` (from `start`) with nothing to aim at. If `v_inf` is above
    /// threshold (a crossing always comes, perhaps far out: CUBA's cells), only over one slowest
    /// time constant: a bounded search costs a fraction of an unbounded one (no bracket
    /// expansion toward infinity); not found, nothing crosses before the end of the span, which
    /// becomes an alarm. Otherwise (`v` settles below threshold) the search is unbounded, so
    /// that a cell with no crossing ahead leaves nothing in the queue.
    fn search_window(&mut self, g: u32, p: &CellParams<M>, start: f64, f: &M::Free) {
        if M::free_v_inf(f) < p.v_thresh {
            if !self.search(g, p, start, f, f64::INFINITY) {
                self.set_entry(g, f64::INFINITY, false);
            }
            return;
        }
        let span = M::span(p);
        if !self.search(g, p, start, f, span) {
            self.set_entry(g, start + span, true);
        }
    }

    /// After a change that can only raise `v` at every later time (an excitatory input, a
    /// larger injected current) the crossing can only move earlier.
    ///
    /// - The new crossing lower bound `L` is at or after the queued time (asked first without
    ///   a logarithm, [`Crossings::no_crossing_before`]): the entry stays, as an alarm (it is
    ///   still at or before the crossing).
    /// - `L` is at least [`NEAR_MS`] ahead: the entry moves to `L`, as an alarm.
    /// - Otherwise search, only up to the queued time (the old crossing, or a lower bound of
    ///   it): found, it is exact; not found, the entry stays as an alarm. With no entry,
    ///   [`Shard::search_window`].
    #[inline]
    fn predict_after_raise(&mut self, params: &[CellParams<M>], g: u32) {
        // The quick test first, from the cell record in place (most excitatory inputs end
        // here); the general path runs it only where it was not run here (a refractory cell,
        // no synaptic current, or the lazy rules off).
        let lazy = self.lazy;
        let c = self.cell(g);
        let tested = lazy && !c.forced && c.ref_until <= c.t_last && M::has_current(c);
        if tested {
            let p = &params[c.param as usize];
            if M::no_crossing_before(
                &M::free_here(c, p),
                &p.model,
                p.v_thresh,
                c.queued - c.t_last,
            ) {
                c.alarm = c.queued.is_finite();
                return;
            }
        }
        self.predict_after_raise_general(params, g, tested);
    }

    /// [`Shard::predict_after_raise`] after its quick test, if `tested` (it failed).
    #[inline(never)]
    fn predict_after_raise_general(&mut self, params: &[CellParams<M>], g: u32, tested: bool) {
        if self.cells[(g - self.lo) as usize].forced {
            return self.predict_forced_lazy(params, g, true);
        }
        let Some((p, q, start, f)) = self.lazy_start(params, g) else {
            return;
        };
        if !tested && M::no_crossing_before(&f, &p.model, p.v_thresh, q - start) {
            // (also when the bound is infinite: no crossing at all, the entry is harmless)
            return self.demote(g);
        }
        let lb = M::crossing_lower_bound(&f, &p.model, p.v_thresh);
        if start + lb >= q {
            return self.demote(g);
        }
        if lb >= NEAR_MS {
            return self.set_entry(g, start + lb, true);
        }
        if q == f64::INFINITY {
            return self.search_window(g, p, start, &f);
        }
        if !self.search(g, p, start, &f, q - start) {
            self.demote(g);
        }
    }

    /// After a change that can only lower `v` at every later time (an inhibitory input, a
    /// smaller injected current) the crossing can only move later: no search. The entry, if
    /// any, becomes an alarm, re-checked when it comes due.
    #[inline]
    fn predict_after_lower(&mut self, params: &[CellParams<M>], g: u32) {
        if !self.lazy {
            return self.predict_exact(params, g);
        }
        self.demote(g);
    }

    /// Schedules the next spike of source `g` after time `t` (at or after `t` if `first`).
    fn schedule_source(&mut self, net: &NetData, g: u32, t: f64, first: bool) {
        let i = (g - self.lo) as usize;
        let next = match net.kinds[g as usize] {
            CellKind::Array => {
                let c = self.array_cursor[i];
                (c < net.array_ranges[g as usize].1).then(|| net.array_times[c as usize])
            }
            CellKind::Poisson => {
                let p = &mut self.poisson[self.poisson_index[i] as usize];
                p.stream.next((!first).then_some(t))
            }
            CellKind::Neuron => unreachable!("neurons are predicted, not scheduled"),
        };
        self.set_entry(g, next.unwrap_or(f64::INFINITY), false);
    }

    /// Samples every tick `k <= last_tick` with `t_k < before` (`<=` if `inclusive`).
    fn sample_ticks(
        &mut self,
        params: &[CellParams<M>],
        net: &NetData,
        w: &Window,
        before: f64,
        inclusive: bool,
    ) {
        loop {
            let k = w.tick0 + self.ticks;
            let tk = k as f64 * net.timestep;
            if k > w.last_tick || tk > before || (tk == before && !inclusive) {
                return;
            }
            for &g in &self.sampled {
                let state = self.cell_state(params, (g - self.lo) as usize, tk);
                self.samples.push(state);
            }
            self.ticks += 1;
        }
    }

    /// Processes every event of the shard in the window, in order: by time, then threshold
    /// crossings and source spikes (by cell), current switches, deliveries (by presynaptic
    /// cell and delay group). Spikes go to [`Shard::spikes`], samples of the ticks in the
    /// window to [`Shard::samples`].
    pub(super) fn run_window(&mut self, net: &NetData, tables: &Tables, w: &Window) {
        let params = M::table(tables);
        self.spikes.clear();
        self.samples.clear();
        self.ticks = 0;
        let mut next_delivery = 0;
        loop {
            // the next event as (time, kind rank); at equal times the lower rank comes first
            let own = self.own.peek().map(|(t, _)| t);
            let sw = self.switches.get(self.switch_cursor).map(|s| s.t);
            let del = w.deliveries.get(next_delivery).map(|d| d.t);
            let mut best: Option<(f64, u8)> = None;
            // IF_curr_delta (`JUMPS`): a cell's own events come after the deliveries at the
            // same time, so that simultaneous inputs are summed before the threshold test
            // (SPEC §8); a jump to threshold is an own event at the arrival time
            let own_rank = if M::JUMPS { 3 } else { 0 };
            for (t, rank) in [(own, own_rank), (sw, 1), (del, 2)] {
                if let Some(t) = t {
                    if best.is_none_or(|(bt, br)| t < bt || (t == bt && rank < br)) {
                        best = Some((t, rank));
                    }
                }
            }
            let Some((te, rank)) = best.filter(|&(t, _)| w.contains(t)) else {
                break;
            };
            self.sample_ticks(params, net, w, te, false);
            match rank {
                0 | 3 => {
                    self.own_event(net, params, te);
                    if self.runaway.is_some() {
                        return;
                    }
                }
                1 => {
                    let sw = self.switches[self.switch_cursor];
                    self.switch_cursor += 1;
                    let g = sw.cell;
                    self.advance(params, g, te);
                    let (raised, forced) = self.take_switch(params, g, sw.i_inj, sw.drive);
                    if forced {
                        // a sine began, ended or changed: neither raises nor lowers v
                        // everywhere after, so the prediction is made afresh
                        self.predict(params, g);
                    } else if raised {
                        self.predict_after_raise(params, g);
                    } else {
                        self.predict_after_lower(params, g);
                    }
                }
                _ => {
                    let d = w.deliveries[next_delivery];
                    next_delivery += 1;
                    let next = w.deliveries.get(next_delivery).map(|d| d.k);
                    // Two deliveries ahead, the synapse lists are fetched (the next one's
                    // targets are read, to prefetch their cells, while this one is worked
                    // on: in cache by then); three ahead, where its list starts.
                    if let Some(d2) = w.deliveries.get(next_delivery + 1) {
                        let k = d2.k as usize;
                        let range = net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize;
                        memory::prefetch_all(&net.syn_target[range.clone()]);
                        memory::prefetch_all(&net.syn_weight[range]);
                    }
                    if let Some(d3) = w.deliveries.get(next_delivery + 2) {
                        memory::prefetch(&net.syn_offsets[d3.k as usize]);
                    }
                    self.deliver(net, params, d, next);
                }
            }
        }
        self.sample_ticks(params, net, w, w.end, w.closed);
    }

    /// The cell at the top of the queue: a crossing, an alarm come due, or a source spike.
    ///
    /// The entry is not popped: whatever comes next for the cell (its next prediction or
    /// source spike, or nothing) replaces it in place, which saves the queue a removal and an
    /// insertion for every alarm that is re-armed.
    ///
    /// A neuron that crosses again less than [`crate::engine::shortest_interval`] after its
    /// previous spike runs away: the spike is not emitted, [`Shard::runaway`] says where, and
    /// the shard stops. Its previous spike is `ref_until - tau_refrac` (`-inf` before the
    /// first), so the test costs a subtraction and a compare per spike.
    fn own_event(&mut self, net: &NetData, params: &[CellParams<M>], te: f64) {
        let (_, i) = self.own.peek().expect("peeked");
        let g = self.lo + i;
        let gi = g as usize;
        let c = self.cell(g);
        if net.kinds[gi] != CellKind::Neuron {
            if net.kinds[gi] == CellKind::Array {
                self.array_cursor[(g - self.lo) as usize] += 1;
            }
            self.spikes.push((te, g));
            self.counts.spikes += 1;
            return self.schedule_source(net, g, te, false);
        }
        let p = &params[c.param as usize];
        self.advance(params, g, te);
        let c = self.cell(g);
        if c.alarm {
            // An alarm: re-check from here. The true crossing is at or after te; spike only
            // if it is at te.
            self.predict(params, g);
            let c = *self.cell(g);
            if c.alarm || c.queued > te {
                return;
            }
        }
        let min_interval = self.min_interval;
        let c = self.cell(g);
        let interval = te - (c.ref_until - p.tau_refrac);
        if interval < min_interval.max(te * RUNAWAY_RELATIVE) {
            self.runaway = Some(RunawaySpike {
                cell: g,
                t: te,
                interval,
                v_inf: c.v_inf,
                isyn_exc: c.ie,
            });
            return;
        }
        c.v = p.v_reset;
        c.ref_until = te + p.tau_refrac;
        self.spikes.push((te, g));
        self.counts.spikes += 1;
        self.predict(params, g);
    }

    /// Applies delivery `d` to the synapses of its group that target this shard's cells
    /// (a contiguous run: synapses are sorted by target within a group). `next` is the delay
    /// group of the window's next delivery, whose targets are prefetched meanwhile.
    fn deliver(&mut self, net: &NetData, params: &[CellParams<M>], d: Delivery, next: Option<u32>) {
        let k = d.k as usize;
        let group = net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize;
        let targets = &net.syn_target[group.clone()];
        let (lo, hi) = (self.lo, self.hi);
        let whole = lo == 0 && hi as usize == net.n_cells();
        if !self.sorted_targets {
            // a hand-built NetData whose groups are not sorted by target: pick out this
            // shard's synapses one by one, in order
            for s in group {
                let g = net.syn_target[s] & !INHIBITORY_BIT;
                if (lo..hi).contains(&g) {
                    self.input(net, params, s, d.t);
                }
            }
            return;
        }
        let (from, to) = if whole {
            (0, targets.len())
        } else {
            let from = targets.partition_point(|&t| (t & !INHIBITORY_BIT) < lo);
            (
                from,
                from + targets[from..].partition_point(|&t| (t & !INHIBITORY_BIT) < hi),
            )
        };
        let te = d.t;
        let (first, end) = (group.start + from, group.start + to);
        // The targets' cell records are scattered over memory. Touching them all first, in a
        // loop of independent loads, lets the CPU overlap their cache misses (about 100 at a
        // time on the sparse fixture) instead of taking them one after another below.
        let mut touched = 0u32;
        for &target in &net.syn_target[first..end] {
            touched ^= self.cells[((target & !INHIBITORY_BIT) - self.lo) as usize].param;
        }
        std::hint::black_box(touched);
        // The next delivery's targets, prefetched two per input here, arrive in cache while
        // this delivery is worked on (the touch loop above then finds them there).
        let ahead = next.map_or(&[][..], |k| {
            let k = k as usize;
            &net.syn_target[net.syn_offsets[k] as usize..net.syn_offsets[k + 1] as usize]
        });
        let mut ahead = ahead.iter();
        // In batches: first every input of the batch is added (closed-form advances of
        // different cells, independent chains the CPU overlaps), then the predictions are
        // made. Each cell sees what one input at a time would give it (advance, add, predict):
        // a second synapse onto the same cell (adjacent, the group being sorted) ends a batch.
        let targets = &net.syn_target[first..end];
        let weights = &net.syn_weight[first..end];
        self.counts.synaptic_inputs += targets.len() as u64;
        let mut s = 0;
        while s < targets.len() {
            let stop = (s + BATCH).min(targets.len());
            let mut k = s;
            let mut prev = u32::MAX;
            while k < stop {
                for &t in ahead.by_ref().take(2) {
                    let i = (t & !INHIBITORY_BIT).wrapping_sub(lo) as usize;
                    if let Some(c) = self.cells.get(i) {
                        memory::prefetch(c);
                    }
                }
                let target = targets[k];
                let g = target & !INHIBITORY_BIT;
                if g == prev {
                    break;
                }
                prev = g;
                self.add_weight(params, target, weights[k], te);
                k += 1;
            }
            for &target in &targets[s..k] {
                self.react(params, target);
            }
            s = k;
        }
    }

    /// Synapse `s` delivers its weight at `te` (its target is in this shard).
    fn input(&mut self, net: &NetData, params: &[CellParams<M>], s: usize, te: f64) {
        self.counts.synaptic_inputs += 1;
        let target = net.syn_target[s];
        self.add_weight(params, target, net.syn_weight[s], te);
        self.react(params, target);
    }

    /// The state of the cell `target` (with the synapse's [`INHIBITORY_BIT`]) moved to `te`
    /// and `weight` added to the synapse's current.
    #[inline]
    fn add_weight(&mut self, params: &[CellParams<M>], target: u32, weight: f64, te: f64) {
        let i = ((target & !INHIBITORY_BIT) - self.lo) as usize;
        let c = &mut self.cells[i];
        let p = &params[c.param as usize];
        if c.forced {
            M::advance_forced(c, p, &self.drives[self.drive_of[i] as usize], te);
        } else {
            M::advance(c, p, te);
        }
        M::input(c, p, target & INHIBITORY_BIT != 0, weight, te);
    }

    /// The prediction of the cell `target` after its input ([`Shard::add_weight`]).
    #[inline]
    fn react(&mut self, params: &[CellParams<M>], target: u32) {
        let g = target & !INHIBITORY_BIT;
        if target & INHIBITORY_BIT != 0 {
            self.predict_after_lower(params, g);
        } else {
            self.predict_after_raise(params, g);
        }
    }
}

/// A shard of any model: the engine's shards, one model each (`crate::model`, module doc:
/// "Dispatch"). Matched once per shard per call, never per event.
pub(super) enum AnyShard {
    Exp(Shard<IfCurrExp>),
    Alpha(Shard<IfCurrAlpha>),
    Delta(Shard<IfCurrDelta>),
}

/// `$body` with `$s` bound to the shard of whichever model.
macro_rules! each {
    ($shard:expr, $s:ident => $body:expr) => {
        match $shard {
            AnyShard::Exp($s) => $body,
            AnyShard::Alpha($s) => $body,
            AnyShard::Delta($s) => $body,
        }
    };
}

impl AnyShard {
    /// The shard of cells `lo..hi`, all of model `model` (or spike sources), at t = 0
    /// ([`Shard::new`]).
    pub(super) fn new(
        model: ModelKind,
        net: &NetData,
        bounds: (u32, u32),
        params: (&Tables, &[u32]),
        sampled: &[u32],
        sorted_targets: bool,
    ) -> Self {
        fn make<M: ExactModel>(
            net: &NetData,
            bounds: (u32, u32),
            params: (&Tables, &[u32]),
            sampled: &[u32],
            sorted_targets: bool,
        ) -> AnyShard {
            M::wrap(Shard::<M>::new(
                net,
                bounds,
                params,
                sampled,
                sorted_targets,
            ))
        }
        match model {
            ModelKind::Exp => make::<IfCurrExp>(net, bounds, params, sampled, sorted_targets),
            ModelKind::Alpha => make::<IfCurrAlpha>(net, bounds, params, sampled, sorted_targets),
            ModelKind::Delta => make::<IfCurrDelta>(net, bounds, params, sampled, sorted_targets),
        }
    }
    /// The model of its cells.
    pub(super) fn model(&self) -> ModelKind {
        match self {
            AnyShard::Exp(_) => ModelKind::Exp,
            AnyShard::Alpha(_) => ModelKind::Alpha,
            AnyShard::Delta(_) => ModelKind::Delta,
        }
    }
    pub(super) fn hi(&self) -> u32 {
        each!(self, s => s.hi)
    }
    pub(super) fn spikes(&self) -> &[(f64, u32)] {
        each!(self, s => &s.spikes)
    }
    pub(super) fn samples(&self) -> &[State] {
        each!(self, s => &s.samples)
    }
    pub(super) fn ticks(&self) -> u64 {
        each!(self, s => s.ticks)
    }
    pub(super) fn counts(&self) -> EventCounts {
        each!(self, s => s.counts)
    }
    pub(super) fn solver(&self) -> SolverStats {
        each!(self, s => s.solver)
    }
    pub(super) fn runaway(&self) -> Option<RunawaySpike> {
        each!(self, s => s.runaway)
    }
    pub(super) fn reset(&mut self, net: &NetData, tables: &Tables) {
        each!(self, s => s.reset(net, tables))
    }
    #[cfg(feature = "internals")]
    pub(super) fn set_lazy_predictions(&mut self, lazy: bool) {
        each!(self, s => s.set_lazy_predictions(lazy))
    }
    pub(super) fn set_sampled(&mut self, sampled: &[u32]) {
        each!(self, s => s.set_sampled(sampled))
    }
    pub(super) fn sampled(&self) -> &[u32] {
        each!(self, s => s.sampled())
    }
    pub(super) fn state_at(&self, tables: &Tables, g: u32, t: f64) -> State {
        each!(self, s => s.state_at(tables, g, t))
    }
    pub(super) fn change(
        &mut self,
        tables: &Tables,
        g: u32,
        t: f64,
        change: (Option<u32>, Option<State>),
        predict: bool,
    ) {
        each!(self, s => s.change(tables, g, t, change, predict))
    }
    pub(super) fn replace_switches(
        &mut self,
        tables: &Tables,
        net: &NetData,
        t: f64,
        started: bool,
    ) {
        each!(self, s => s.replace_switches(tables, net, t, started))
    }
    pub(super) fn replace_spike_arrays(&mut self, net: &NetData, t: f64, started: bool) {
        each!(self, s => s.replace_spike_arrays(net, t, started))
    }
    pub(super) fn start(&mut self, net: &NetData, tables: &Tables) {
        each!(self, s => s.start(net, tables))
    }
    pub(super) fn next_time(&self) -> Option<f64> {
        each!(self, s => s.next_time())
    }
    pub(super) fn run_window(&mut self, net: &NetData, tables: &Tables, w: &Window) {
        each!(self, s => s.run_window(net, tables, w))
    }
}
