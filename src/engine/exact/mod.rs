//! The exact event-driven engine.
//!
//! # State
//!
//! Neuron state is kept lazily: `(t_last, v, isyn_exc, isyn_inh, refractory_until, i_inj)` at
//! the time `t_last` of the neuron's last event, in one 64-byte record per cell
//! (`cell.rs`) beside its queue entry; parameters live in a table shared by cells with
//! identical parameters. A neuron is advanced in closed form only when something happens to it,
//! and sampled (without being changed) at recording ticks.
//!
//! # Queues
//!
//! - per shard, an indexed min-heap (`queue.rs`) with at most one entry per cell: the predicted
//!   threshold crossing of a neuron (or an alarm, below), or the next spike of a source, keyed
//!   by `(time, cell)`; an entry moves in place in O(log n).
//! - `deliveries`: a binary heap with one entry per (spike, distinct delay): when it comes due,
//!   the synapses of that delay group are fanned out to their targets.
//! - current switches: a sorted list per shard with a cursor.
//!
//! # Lazy predictions
//!
//! Every queued time is at or before the cell's true next crossing, and is the crossing when
//! not flagged as an *alarm*. When an alarm comes due the cell is re-predicted from that time,
//! and spikes only if the crossing is exactly there.
//!
//! - An inhibitory input (or a smaller injected current) lowers `v` at every later time, so the
//!   crossing can only move later: the queued time is kept, as an alarm; nothing is searched.
//! - An excitatory input (or a larger injected current) raises `v` at every later time, so the
//!   crossing can only move earlier. The cheap lower bound
//!   [`crate::threshold::crossing_lower_bound`] decides: if it is at or after the queued time,
//!   nothing changes; if it is comfortably ahead, it becomes the new alarm; only when it is
//!   close is the solver run, and only up to the queued time.
//! - A fresh prediction (start, after a spike, an alarm come due) likewise arms the lower
//!   bound as an alarm unless it is close. Then the solver searches; where `v_inf` is above
//!   threshold only over one slowest time constant, leaving an alarm at its end if nothing
//!   crosses there (an unbounded search costs several bounded ones).
//!
//! So the solver runs a few times per spike, not once per input (CUBA: 93 k searches for 23 k
//! spikes and 1.84 M inputs per simulated second). `tests/lazy_predictions.rs`
//! checks these rules against exhaustive prediction after every change
//! (`ExactEngine::set_lazy_predictions`, built with the `internals` feature).
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
//! # Windows and threads
//!
//! Every delay is `>= min_delay`, so a spike emitted at `t >= T` arrives at `t + delay >=
//! T + min_delay` (also in f64: rounding is monotone). [`ExactEngine::run_until`] processes time
//! in half-open windows `[T, T + min_delay)` (the last one closed at `t_stop`): when a window
//! starts, every delivery landing in it is already known, and within it each neuron's evolution
//! depends only on its own events. The cells are split into contiguous shards (`shard.rs`), each
//! with its own queue; a window runs on every shard (in parallel with more than one thread),
//! then the shards' spikes are merged in `(t, cell)` order — the order one shard would have
//! emitted them — recorded, and turned into deliveries. Each cell sees the same events in the
//! same order whatever the number of shards, so results are bit-identical for any thread count
//! (`tests/parallel.rs`).

mod cell;
mod memory;
mod queue;
mod shard;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};

use ordered_float::OrderedFloat;

use self::cell::CellParams;
use self::shard::{Delivery, Shard, Window};
use super::{CellChange, NetData, RunawaySpike};
use crate::model::if_curr_exp::State;
use crate::recording::{EventCounts, Recorder};

/// The exact engine's mutable state for one network.
pub struct ExactEngine {
    /// Current time (ms): everything up to and including it has been processed.
    t: f64,
    /// Parameter sets, shared by the cells with identical parameters.
    params: Vec<CellParams>,
    /// The shards; with more than one, each runs on its own thread during a run (shard 0 on
    /// the calling thread).
    shards: Vec<Mutex<Shard>>,
    /// The window being processed, published to the shards' threads.
    spec: RwLock<WindowSpec>,
    /// Everything else the coordinating thread keeps between windows.
    exchange: Exchange,
    started: bool,
    /// The cell that ran away, if one did: the engine stopped there ([`ExactEngine::run_until`]).
    halted: Option<RunawaySpike>,
}

/// A window as the coordinating thread publishes it.
#[derive(Default)]
struct WindowSpec {
    /// The deliveries landing in the window, in order (the buffer is reused).
    deliveries: Vec<Delivery>,
    end: f64,
    closed: bool,
    tick0: u64,
    last_tick: u64,
}

impl WindowSpec {
    fn window(&self) -> Window<'_> {
        Window {
            deliveries: &self.deliveries,
            end: self.end,
            closed: self.closed,
            tick0: self.tick0,
            last_tick: self.last_tick,
        }
    }
}

/// The coordinating thread's side: pending deliveries and the recorder.
struct Exchange {
    deliveries: BinaryHeap<Reverse<(OrderedFloat<f64>, u32, u32)>>,
    /// Spikes of the current window from all shards (reused).
    merged: Vec<(f64, u32)>,
    /// Per cell (global index): its shard and its position among the shard's sampled cells
    /// (`(u32::MAX, _)` for cells not sampled; empty if nothing is sampled).
    sample_slot: Vec<(u32, u32)>,
    recorder: Recorder,
}

/// Locks a shard. Only one thread ever works on a shard at a time, so this never waits; a
/// poisoned lock means a shard's thread panicked, which `run_until` propagates.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

impl Exchange {
    /// Sets up the next window in `spec` (the deliveries falling in it taken from the heap):
    /// it starts at the next event (empty stretches are skipped) and ends `min_delay` later,
    /// or at `t_stop`, inclusive. `None` when nothing happens up to `t_stop`.
    fn next_window(
        &mut self,
        shards: &[Mutex<Shard>],
        spec: &mut WindowSpec,
        net: &NetData,
        t_stop: f64,
        last_tick: u64,
    ) -> Option<()> {
        let del = self.deliveries.peek().map(|d| d.0 .0 .0);
        let start = shards
            .iter()
            .filter_map(|s| lock(s).next_time())
            .chain(del)
            .min_by(f64::total_cmp)
            .filter(|&t| t <= t_stop)?;
        let end = start + net.min_delay;
        let (end, closed) = if end > t_stop {
            (t_stop, true)
        } else {
            (end, false)
        };
        spec.deliveries.clear();
        while let Some(&Reverse((OrderedFloat(t), pre, k))) = self.deliveries.peek() {
            if t < end || (closed && t <= end) {
                spec.deliveries.push(Delivery { t, pre, k });
                self.deliveries.pop();
            } else {
                break;
            }
        }
        (spec.end, spec.closed) = (end, closed);
        spec.tick0 = self.recorder.n_ticks();
        spec.last_tick = last_tick;
        Some(())
    }

    /// After a window: records the samples of its ticks and its spikes (merged across shards
    /// in `(t, cell)` order) and queues the deliveries of those spikes.
    fn collect(&mut self, shards: &[Mutex<Shard>], net: &NetData) {
        let ticks = lock(&shards[0]).ticks;
        debug_assert!(shards.iter().all(|s| lock(s).ticks == ticks));
        if self.recorder.samples_anything() {
            // (the only allocation per window, and only when state variables are recorded)
            let guards: Vec<MutexGuard<'_, Shard>> = shards.iter().map(lock).collect();
            for j in 0..ticks as usize {
                let slot = &self.sample_slot;
                self.recorder.sample(|g| {
                    let (si, i) = slot[g as usize];
                    let s = &guards[si as usize];
                    s.samples[j * s.sampled().len() + i as usize]
                });
            }
        } else {
            (0..ticks).for_each(|_| self.recorder.skip_tick());
        }
        self.merged.clear();
        for s in shards {
            self.merged.extend_from_slice(&lock(s).spikes);
        }
        if shards.len() > 1 {
            self.merged
                .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        // The spiking cells' delay groups are scattered over memory: their first offsets and
        // delays are read in one loop of independent loads first, so that the cache misses
        // overlap instead of coming one after another below (cf. `Shard::deliver`).
        let mut touched = 0u64;
        for &(_, g) in &self.merged {
            let k = net.group_offsets[g as usize] as usize;
            touched ^= net.group_delay.get(k).map_or(0, |d| d.to_bits());
        }
        std::hint::black_box(touched);
        for &(t, g) in &self.merged {
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
    }
}

/// The hand-off between the coordinating thread and the shards' threads: a window starts
/// when `epoch` moves on, and is done when `done` counts every worker. Windows are short (a
/// few microseconds of work on CUBA), so both sides spin briefly before yielding rather than
/// sleeping on a condition variable, whose wake-up would cost more than the window. With more
/// threads than cores a spinning thread would hold a core another thread needs, so then they
/// yield at once.
#[derive(Default)]
struct Handoff {
    epoch: AtomicU64,
    done: AtomicUsize,
    stop: AtomicBool,
    /// Spins before yielding.
    spins: u32,
}

impl Handoff {
    /// Spins until `ready()` (at most `spins` times), then yields the core between tries.
    fn wait_until(&self, ready: impl Fn() -> bool) {
        let mut spins = 0u32;
        while !ready() {
            if spins < self.spins {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// A worker thread: runs its shard on every window published until told to stop.
fn worker(
    shard: &Mutex<Shard>,
    params: &[CellParams],
    spec: &RwLock<WindowSpec>,
    net: &NetData,
    handoff: &Handoff,
) {
    let mut seen = 0;
    loop {
        handoff.wait_until(|| {
            handoff.epoch.load(Ordering::Acquire) != seen || handoff.stop.load(Ordering::Acquire)
        });
        if handoff.stop.load(Ordering::Acquire) {
            return;
        }
        seen = handoff.epoch.load(Ordering::Acquire);
        {
            let spec = spec.read().unwrap_or_else(|e| e.into_inner());
            lock(shard).run_window(net, params, &spec.window());
        }
        handoff.done.fetch_add(1, Ordering::AcqRel);
    }
}

impl ExactEngine {
    /// A new engine at t = 0 for `net`, running on the calling thread.
    pub fn new(net: &NetData) -> Self {
        Self::with_threads(net, 1)
    }

    /// A new engine at t = 0 for `net` whose windows run on `threads` threads (`0`: one per
    /// core), with the cells split into that many shards of about equal synaptic input. The
    /// results do not depend on the number of threads.
    pub fn with_threads(net: &NetData, threads: usize) -> Self {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let n = net.n_cells();
        let mut params = Vec::new();
        let mut index: HashMap<[u64; 10], u32> = HashMap::new();
        let param_of: Vec<u32> = net
            .params
            .iter()
            .map(|p| {
                let cp = CellParams::of(p);
                *index.entry(cp.bits()).or_insert_with(|| {
                    params.push(cp);
                    (params.len() - 1) as u32
                })
            })
            .collect();
        let mut sampled: Vec<u32> = net
            .layout
            .iter()
            .flat_map(|p| {
                p.signals
                    .iter()
                    .flat_map(move |(_, cells)| cells.iter().map(move |c| p.offset + c))
            })
            .collect();
        sampled.sort_unstable();
        sampled.dedup();
        let bounds = shard_bounds(net, threads.min(n.max(1)));
        let sorted = targets_sorted(net);
        let shards: Vec<Shard> = bounds
            .windows(2)
            .map(|b| Shard::new(net, (b[0], b[1]), (&params, &param_of), &sampled, sorted))
            .collect();
        let mut sample_slot = vec![(u32::MAX, 0); if sampled.is_empty() { 0 } else { n }];
        for (si, s) in shards.iter().enumerate() {
            for (i, &g) in s.sampled().iter().enumerate() {
                sample_slot[g as usize] = (si as u32, i as u32);
            }
        }
        ExactEngine {
            t: 0.0,
            params,
            shards: shards.into_iter().map(Mutex::new).collect(),
            spec: RwLock::new(WindowSpec::default()),
            exchange: Exchange {
                deliveries: BinaryHeap::new(),
                merged: Vec::new(),
                sample_slot,
                recorder: net.recorder(),
            },
            started: false,
            halted: None,
        }
    }

    /// Number of shards (= threads) the windows run on.
    pub fn threads(&self) -> usize {
        self.shards.len()
    }

    /// The recorded data.
    pub fn recorder(&self) -> &Recorder {
        &self.exchange.recorder
    }

    /// Returns to t = 0 with the same network (and the same random streams).
    pub fn reset(&mut self, net: &NetData) {
        self.t = 0.0;
        for s in &mut self.shards {
            s.get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .reset(net, &self.params);
        }
        self.exchange.deliveries.clear();
        self.exchange.recorder.clear();
        self.started = false;
        self.halted = None;
    }

    /// Records what `net.layout` says from the current time on
    /// ([`Recorder::replace_layout`]): the shards sample the cells recorded now.
    pub(crate) fn replace_recording(&mut self, net: &NetData) {
        let rec = &mut self.exchange.recorder;
        rec.replace_layout(net.layout.clone());
        let sampled = rec.sampled_cells();
        let n = net.n_cells();
        let mut sample_slot = vec![(u32::MAX, 0); if sampled.is_empty() { 0 } else { n }];
        for (si, s) in self.shards.iter().enumerate() {
            let mut s = lock(s);
            s.set_sampled(&sampled);
            for (i, &g) in s.sampled().iter().enumerate() {
                sample_slot[g as usize] = (si as u32, i as u32);
            }
        }
        self.exchange.sample_slot = sample_slot;
    }

    /// Replaces the current switches at the current time ([`Shard::replace_switches`]).
    pub(crate) fn replace_switches(&mut self, net: &NetData) {
        for s in &self.shards {
            lock(s).replace_switches(&self.params, net, self.t, self.started);
        }
    }

    /// Takes new spike times of the `SpikeSourceArray` cells at the current time
    /// ([`Shard::replace_spike_arrays`]).
    pub(crate) fn replace_spike_arrays(&mut self, net: &NetData) {
        for s in &self.shards {
            lock(s).replace_spike_arrays(net, self.t, self.started);
        }
    }

    /// The shard that owns cell `g`.
    fn shard_of(&self, g: u32) -> &Mutex<Shard> {
        let i = self.shards.partition_point(|s| lock(s).hi <= g);
        &self.shards[i]
    }

    /// The state of neuron `g` now.
    pub(crate) fn state_now(&self, g: u32) -> State {
        lock(self.shard_of(g)).state_at(&self.params, g, self.t)
    }

    /// Changes neurons between runs, at the current time ([`Shard::change`]); new parameter
    /// sets join the shared table (identical sets share an entry, as at construction).
    pub(crate) fn change(&mut self, changes: &[(u32, CellChange)]) {
        for &(g, change) in changes {
            let (param, state) = match change {
                CellChange::Params(p) => {
                    let cp = CellParams::of(&p);
                    let k = match self.params.iter().position(|q| q.bits() == cp.bits()) {
                        Some(k) => k,
                        None => {
                            self.params.push(cp);
                            self.params.len() - 1
                        }
                    };
                    (Some(k as u32), None)
                }
                CellChange::State(s) => (None, Some(s)),
            };
            let (t, started) = (self.t, self.started);
            lock(self.shard_of(g)).change(&self.params, g, t, (param, state), started);
        }
    }

    #[cfg(feature = "internals")]
    /// With `lazy = false`, every state change is followed by a full, unbounded prediction
    /// (no alarms, no horizons): slower, and the reference against which the lazy rules are
    /// tested. Default: lazy.
    pub fn set_lazy_predictions(&mut self, lazy: bool) {
        for s in &self.shards {
            lock(s).set_lazy_predictions(lazy);
        }
    }

    /// Current simulation time (ms).
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Work counters so far.
    pub fn counts(&self) -> EventCounts {
        let mut c = EventCounts::default();
        for s in &self.shards {
            let s = lock(s);
            c.spikes += s.counts.spikes;
            c.synaptic_inputs += s.counts.synaptic_inputs;
            c.predictions += s.solver.searches;
            c.solver_cap_hits += s.solver.cap_hits;
        }
        c
    }

    /// Runs until `t_stop` (ms): processes every event with `t <= t_stop`, in min_delay
    /// windows, and samples every tick up to `round(t_stop / timestep)`.
    ///
    /// A cell that fires again within [`crate::engine::shortest_interval`] of its previous
    /// spike stops the run: the error names it, the engine's time is the runaway spike's, and
    /// what was recorded ends before the window holding it (at most min_delay earlier). The
    /// engine then stays stopped (every later call gives the same error) until
    /// [`ExactEngine::reset`]. Of several runaway cells in one window, the first in the
    /// order of events (time, then cell) is named, whatever the number of threads.
    pub fn run_until(&mut self, net: &NetData, t_stop: f64) -> Result<(), RunawaySpike> {
        if let Some(r) = self.halted {
            return Err(r);
        }
        if !self.started {
            self.started = true;
            for s in &self.shards {
                lock(s).start(net, &self.params);
            }
        }
        let last_tick = net.last_tick(t_stop);
        let (shards, params, spec, ex) =
            (&self.shards, &self.params, &self.spec, &mut self.exchange);
        let halted = if shards.len() == 1 {
            loop {
                let mut w = spec.write().unwrap_or_else(|e| e.into_inner());
                if ex
                    .next_window(shards, &mut w, net, t_stop, last_tick)
                    .is_none()
                {
                    break None;
                }
                lock(&shards[0]).run_window(net, params, &w.window());
                if let Some(r) = first_runaway(shards) {
                    break Some(r);
                }
                ex.collect(shards, net);
                if w.closed {
                    break None;
                }
            }
        } else {
            run_threaded(shards, params, spec, ex, net, (t_stop, last_tick))
        };
        if let Some(r) = halted {
            self.halted = Some(r);
            self.t = r.t;
            return Err(r);
        }
        // the ticks after the last event, up to the last one of the run
        let rec = &mut self.exchange.recorder;
        while rec.n_ticks() <= last_tick {
            let tk = rec.n_ticks() as f64 * net.timestep;
            if rec.samples_anything() {
                let guards: Vec<MutexGuard<'_, Shard>> = self.shards.iter().map(lock).collect();
                let slot = &self.exchange.sample_slot;
                rec.sample(|g| {
                    let (si, _) = slot[g as usize];
                    guards[si as usize].state_at(&self.params, g, tk)
                });
            } else {
                rec.skip_tick();
            }
        }
        self.t = t_stop;
        Ok(())
    }
}

/// The runaway cell of the window just run, if any: the first by (time, cell) over the shards,
/// the one a single shard would have stopped at (within a window the shards are independent).
fn first_runaway(shards: &[Mutex<Shard>]) -> Option<RunawaySpike> {
    shards
        .iter()
        .filter_map(|s| lock(s).runaway)
        .min_by(|a, b| a.t.total_cmp(&b.t).then(a.cell.cmp(&b.cell)))
}

/// The window loop with shard 0 on the calling thread and every other shard on a thread of
/// its own (scoped to this call). Returns the runaway cell that stopped it, if one did.
fn run_threaded(
    shards: &[Mutex<Shard>],
    params: &[CellParams],
    spec: &RwLock<WindowSpec>,
    ex: &mut Exchange,
    net: &NetData,
    (t_stop, last_tick): (f64, u64),
) -> Option<RunawaySpike> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let handoff = Handoff {
        spins: if shards.len() <= cores { 2000 } else { 0 },
        ..Handoff::default()
    };
    let workers = shards.len() - 1;
    std::thread::scope(|scope| {
        // tells the workers to stop when this closure ends, also by a panic (the scope waits
        // for them before it re-raises)
        let _stop = StopOnDrop(&handoff);
        let handles: Vec<_> = shards[1..]
            .iter()
            .enumerate()
            .map(|(i, shard)| {
                let handoff = &handoff;
                std::thread::Builder::new()
                    .name(format!("exactlif-shard-{}", i + 1))
                    .spawn_scoped(scope, move || worker(shard, params, spec, net, handoff))
                    .expect("a shard thread")
            })
            .collect();
        loop {
            let closed = {
                let mut w = spec.write().unwrap_or_else(|e| e.into_inner());
                if ex
                    .next_window(shards, &mut w, net, t_stop, last_tick)
                    .is_none()
                {
                    break None;
                }
                w.closed
            };
            handoff.done.store(0, Ordering::Release);
            handoff.epoch.fetch_add(1, Ordering::AcqRel);
            {
                let w = spec.read().unwrap_or_else(|e| e.into_inner());
                lock(&shards[0]).run_window(net, params, &w.window());
            }
            handoff.wait_until(|| {
                handoff.done.load(Ordering::Acquire) == workers
                    || handles.iter().any(|h| h.is_finished())
            });
            if handoff.done.load(Ordering::Acquire) != workers {
                break None; // a shard thread panicked: the scope re-raises it
            }
            if let Some(r) = first_runaway(shards) {
                break Some(r);
            }
            ex.collect(shards, net);
            if closed {
                break None;
            }
        }
    })
}

/// Sets [`Handoff::stop`] when dropped.
struct StopOnDrop<'a>(&'a Handoff);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
    }
}

/// Splits the cells into `n` contiguous ranges of about equal work, the work of a cell being
/// its synaptic in-degree plus one. Returns the boundaries (`n + 1` of them unless cells are
/// fewer than shards).
fn shard_bounds(net: &NetData, n: usize) -> Vec<u32> {
    let cells = net.n_cells();
    if n <= 1 {
        return vec![0, cells as u32];
    }
    let mut work = vec![1u64; cells];
    for &t in &net.syn_target {
        work[(t & !super::INHIBITORY_BIT) as usize] += 1;
    }
    let total: u64 = work.iter().sum();
    let mut bounds = vec![0u32];
    let mut acc = 0u64;
    for (g, w) in work.iter().enumerate() {
        acc += w;
        let next = bounds.len() as u64;
        if next < n as u64 && acc * n as u64 >= total * next {
            bounds.push(g as u32 + 1);
        }
    }
    bounds.push(cells as u32);
    bounds.dedup();
    bounds
}

/// Whether the synapses of every delay group are sorted by target cell (as
/// [`crate::network`] builds them).
fn targets_sorted(net: &NetData) -> bool {
    net.syn_offsets.windows(2).all(|k| {
        net.syn_target[k[0] as usize..k[1] as usize]
            .windows(2)
            .all(|t| (t[0] & !super::INHIBITORY_BIT) <= (t[1] & !super::INHIBITORY_BIT))
    })
}
