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
//! (`tests/parallel.rs`). Nor do they depend on which thread runs a shard: a thread runs any
//! shard no other has claimed yet, so a thread that has lost its core holds no window up;
//! a thread with nothing to do spins briefly, then parks ([`Handoff`]); and when threads cost
//! more than they save (other processes hold the cores), the windows run on the calling
//! thread alone for a while ([`Pacing`]).

mod cell;
mod memory;
mod queue;
mod shard;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use ordered_float::OrderedFloat;

use self::cell::Tables;
use self::shard::{AnyShard, Delivery, Window};
use super::comm::Comm;
use super::{CellChange, NetData, RunawaySpike};
use crate::model::if_curr_exp::State;
use crate::model::ModelKind;
use crate::recording::{EventCounts, Recorder};

/// The exact engine's mutable state for one network.
pub struct ExactEngine {
    /// Current time (ms): everything up to and including it has been processed.
    t: f64,
    /// Parameter sets per model, shared by the cells with identical parameters.
    params: Tables,
    /// The shards: the cells split into about equal work for the threads, and cut where the
    /// cell model changes (one model per shard). With several threads, each thread runs the
    /// shards it claims ([`Handoff`]).
    shards: Vec<Mutex<AnyShard>>,
    /// The threads a run uses (the calling thread and `threads - 1` others).
    threads: usize,
    /// The window being processed, published to the shards' threads.
    spec: RwLock<WindowSpec>,
    /// Everything else the coordinating thread keeps between windows.
    exchange: Exchange,
    started: bool,
    /// The cell that ran away, if one did: the engine stopped there ([`ExactEngine::run_until`]).
    halted: Option<RunawaySpike>,
    /// Whether the windows run on threads now ([`Pacing`]).
    pacing: Pacing,
    /// The machine's cores (asked once: the answer takes tens of microseconds on Linux, which
    /// reads it from the cgroup files).
    cores: usize,
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
    /// With several ranks, this rank's side of the exchange ([`ExactEngine::for_rank`]).
    rank: Option<RankPart>,
}

/// One rank's part of a simulation over several ranks: its cells, and how it talks to the
/// others ([`Comm`]).
struct RankPart {
    comm: Arc<dyn Comm>,
    /// This rank's cells.
    cells: Range<u32>,
    /// Scratch of the exchange: this rank's message, everyone's, and their lengths.
    mine: Vec<u64>,
    all: Vec<u64>,
    lens: Vec<usize>,
    /// When this rank's current window began (after the window's start was agreed).
    window_began: Option<Instant>,
    /// The load balance so far ([`RankBalance`]).
    balance: RankBalance,
}

/// What [`ExactEngine::gather`] brings to rank 0: the other ranks' cells with their samples
/// ([`Recorder::samples_of`]), and the whole network's work counters.
pub(crate) type GatheredSamples = (Vec<(Range<u32>, Vec<f64>)>, EventCounts);

/// How evenly the ranks' work was spread, over the windows so far: each window, every rank
/// reports the time it spent running its shards (from the window's start to the exchange);
/// the slowest rank sets the pace, so `sum over windows of the slowest rank's time` against
/// `sum of the mean rank's time` is the imbalance (1: perfect; 1.25: a quarter of the time the
/// ranks wait for the slowest). Every rank holds the same figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RankBalance {
    /// Windows exchanged.
    pub windows: u64,
    /// Sum over windows of the slowest rank's compute time (s).
    pub slowest_s: f64,
    /// Sum over windows of the mean rank's compute time (s).
    pub mean_s: f64,
}

impl RankBalance {
    /// `slowest_s / mean_s` (1 with no windows).
    pub fn imbalance(&self) -> f64 {
        if self.mean_s > 0.0 {
            self.slowest_s / self.mean_s
        } else {
            1.0
        }
    }
}

/// A rank's message after a window: `[compute time (ns), spike count, runaway flag, runaway
/// (5 words, if the flag is 1), spikes (time bits, cell) ...]`, the spikes of its shards in
/// shard order.
fn encode_window(
    shards: &[Mutex<AnyShard>],
    compute_ns: u64,
    runaway: Option<RunawaySpike>,
    out: &mut Vec<u64>,
) {
    out.clear();
    out.extend_from_slice(&[compute_ns, 0]);
    match runaway {
        Some(r) => out.extend_from_slice(&[
            1,
            r.cell as u64,
            r.t.to_bits(),
            r.interval.to_bits(),
            r.v_inf.to_bits(),
            r.isyn_exc.to_bits(),
        ]),
        None => out.push(0),
    }
    let mut n = 0;
    for s in shards {
        let s = lock(s);
        n += s.spikes().len();
        for &(t, g) in s.spikes() {
            out.extend_from_slice(&[t.to_bits(), g as u64]);
        }
    }
    out[1] = n as u64;
}

/// The ranks' messages of [`encode_window`], concatenated (`lens`: each one's length): their
/// spikes, appended to `spikes`, and the first of their runaway cells by `(t, cell)`; their
/// compute times are added to `balance`.
fn decode_windows(
    all: &[u64],
    lens: &[usize],
    spikes: &mut Vec<(f64, u32)>,
    balance: &mut RankBalance,
) -> Option<RunawaySpike> {
    let mut runaway: Option<RunawaySpike> = None;
    let mut at = 0;
    let (mut slowest, mut sum) = (0u64, 0u64);
    for &len in lens {
        let m = &all[at..at + len];
        at += len;
        slowest = slowest.max(m[0]);
        sum += m[0];
        let m = &m[1..];
        let n = m[0] as usize;
        let mut i = 2;
        if m[1] == 1 {
            let r = RunawaySpike {
                cell: m[2] as u32,
                t: f64::from_bits(m[3]),
                interval: f64::from_bits(m[4]),
                v_inf: f64::from_bits(m[5]),
                isyn_exc: f64::from_bits(m[6]),
            };
            if runaway.is_none_or(|q| r.t.total_cmp(&q.t).then(r.cell.cmp(&q.cell)).is_lt()) {
                runaway = Some(r);
            }
            i = 7;
        }
        debug_assert_eq!(m.len(), i + 2 * n);
        spikes.extend(
            m[i..]
                .chunks_exact(2)
                .map(|w| (f64::from_bits(w[0]), w[1] as u32)),
        );
    }
    balance.windows += 1;
    balance.slowest_s += slowest as f64 * 1e-9;
    balance.mean_s += sum as f64 * 1e-9 / lens.len() as f64;
    runaway
}

/// Locks a shard. Only one thread ever works on a shard at a time, so this never waits; a
/// poisoned lock means a shard's thread panicked, which `run_until` propagates.
fn lock(shard: &Mutex<AnyShard>) -> MutexGuard<'_, AnyShard> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

impl Exchange {
    /// Sets up the next window in `spec` (the deliveries falling in it taken from the heap):
    /// it starts at the next event (empty stretches are skipped) and ends `min_delay` later,
    /// or at `t_stop`, inclusive. `None` when nothing happens up to `t_stop`.
    fn next_window(
        &mut self,
        shards: &[Mutex<AnyShard>],
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
            .min_by(f64::total_cmp);
        // with several ranks, every rank starts the window at the earliest of them all
        let start = match &mut self.rank {
            Some(r) => {
                let start = r.comm.all_min(start.unwrap_or(f64::INFINITY));
                r.window_began = Some(Instant::now());
                Some(start)
            }
            None => start,
        }
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

    /// After a window: the runaway cell that stops the run, if any (the first by `(t, cell)`
    /// over the shards, and over the ranks); otherwise records the samples of the window's
    /// ticks and its spikes (merged across shards and ranks in `(t, cell)` order) and queues
    /// the deliveries of those spikes.
    fn finish_window(&mut self, shards: &[Mutex<AnyShard>], net: &NetData) -> Option<RunawaySpike> {
        let runaway = first_runaway(shards);
        self.merged.clear();
        let mut sort = shards.len() > 1;
        if let Some(r) = &mut self.rank {
            let compute = r
                .window_began
                .take()
                .map_or(0, |t| t.elapsed().as_nanos() as u64);
            encode_window(shards, compute, runaway, &mut r.mine);
            r.comm.all_gather(&r.mine, &mut r.all, &mut r.lens);
            let runaway = decode_windows(&r.all, &r.lens, &mut self.merged, &mut r.balance);
            if let Some(runaway) = runaway {
                return Some(runaway);
            }
            sort |= r.lens.len() > 1;
        } else {
            if runaway.is_some() {
                return runaway;
            }
            for s in shards {
                self.merged.extend_from_slice(lock(s).spikes());
            }
        }
        let ticks = lock(&shards[0]).ticks();
        debug_assert!(shards.iter().all(|s| lock(s).ticks() == ticks));
        if self.recorder.samples_anything() {
            // (the only allocation per window, and only when state variables are recorded)
            let guards: Vec<MutexGuard<'_, AnyShard>> = shards.iter().map(lock).collect();
            for j in 0..ticks as usize {
                let slot = &self.sample_slot;
                self.recorder.sample(|g| {
                    let (si, i) = slot[g as usize];
                    let s = &guards[si as usize];
                    s.samples()[j * s.sampled().len() + i as usize]
                });
            }
        } else {
            (0..ticks).for_each(|_| self.recorder.skip_tick());
        }
        if sort {
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
        // with several ranks, every rank has every spike; rank 0 records them
        let records = self.rank.as_ref().is_none_or(|r| r.comm.rank() == 0);
        for &(t, g) in &self.merged {
            if records {
                self.recorder.spike(g, t);
            }
            let gi = g as usize;
            for k in net.group_offsets[gi]..net.group_offsets[gi + 1] {
                self.deliveries.push(Reverse((
                    OrderedFloat(t + net.group_delay[k as usize]),
                    g,
                    k,
                )));
            }
        }
        None
    }
}

/// The hand-off between the threads of a run, once per window.
///
/// The coordinating thread publishes a window by moving `epoch` on; then every thread claims
/// shards, its own first, and runs them; the window is done when `done` counts every shard.
/// A shard is claimed by raising its entry in `claimed` to the window's epoch, so each runs
/// exactly once per window, on whichever thread claims it first: a thread that has lost its
/// core to another process holds nobody up, the others run its shard. Which thread runs a
/// shard changes nothing in the results (a shard's window depends only on the shard and the
/// window).
///
/// A thread with nothing left to claim waits for the others ([`Waiter`]): it spins for a
/// bounded time (windows are short, a few microseconds of work on CUBA, and waking a sleeping
/// thread costs more), then parks, giving its core away, until the thread it waits for
/// unparks it: the coordinating thread after publishing a window, the thread that finishes a
/// window's last shard.
struct Handoff {
    /// The window being run; moved on by the coordinating thread when it publishes one.
    epoch: AtomicU64,
    /// Per shard, the last epoch in which a thread claimed it.
    claimed: Vec<AtomicU64>,
    /// Shards finished in the current window.
    done: AtomicUsize,
    /// Nanoseconds the workers have spent running shards (for [`Pacing`]).
    helped_ns: AtomicU64,
    /// Set when the run ends (also by a panic): the workers return.
    stop: AtomicBool,
    /// Set by a worker that panics: the coordinating thread stops waiting for it.
    failed: AtomicBool,
    /// The coordinating thread (shard 0's).
    coordinator: Thread,
    /// The longest spin of a waiting thread ([`Waiter`]).
    spin: Duration,
}

/// What every thread of a run needs to run a shard's window.
type Ctx<'a> = (
    &'a [Mutex<AnyShard>],
    &'a Tables,
    &'a RwLock<WindowSpec>,
    &'a NetData,
);

impl Handoff {
    /// The hand-off of `shards` shards run by `threads` threads on a machine of `cores`
    /// cores, coordinated by the calling thread.
    fn new(shards: usize, threads: usize, cores: usize) -> Self {
        Handoff {
            epoch: AtomicU64::new(0),
            claimed: (0..shards).map(|_| AtomicU64::new(0)).collect(),
            done: AtomicUsize::new(0),
            helped_ns: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            coordinator: std::thread::current(),
            spin: if threads <= cores {
                Waiter::SPIN
            } else {
                Duration::ZERO
            },
        }
    }

    /// Claims and runs the shards of window `epoch` that no thread has claimed yet, shard
    /// `own` first, then the following ones cyclically; unparks the coordinating thread if
    /// one of them was the window's last. Returns the number run. A stale `epoch` (the
    /// window is over) claims nothing: every shard has been claimed in it.
    fn run_shards(&self, own: usize, epoch: u64, (shards, params, spec, net): Ctx) -> usize {
        let n = shards.len();
        let mut ran = 0;
        for i in (own..n).chain(0..own) {
            if self.claimed[i].fetch_max(epoch, Ordering::AcqRel) >= epoch {
                continue;
            }
            {
                let spec = spec.read().unwrap_or_else(|e| e.into_inner());
                lock(&shards[i]).run_window(net, params, &spec.window());
            }
            ran += 1;
            if self.done.fetch_add(1, Ordering::AcqRel) + 1 == n && own != 0 {
                self.coordinator.unpark();
            }
        }
        ran
    }
}

/// A thread's way of waiting: spin, then park.
///
/// It spins for at most [`Waiter::SPIN`] (about as long as the hand-off spun before it
/// learnt to park), then parks. Each wait that ends parked halves the spin of the next, and a
/// wait that ends while spinning restores it: when other processes hold the cores, the thread
/// waited for has usually lost its own, and spinning would only take the core from a thread
/// that has work (BENCHMARKS.md, "Threads under load", measures this). With more shards than
/// cores a spinning thread would hold a core one of its own run needs, so then it parks at
/// once (after a few spins).
struct Waiter {
    /// Spin at most this long before parking.
    spin: Duration,
    /// The longest spin: [`Waiter::SPIN`], or zero with more shards than cores.
    max: Duration,
}

impl Waiter {
    const SPIN: Duration = Duration::from_micros(50);

    /// A waiter for one of the threads of `handoff`.
    fn new(handoff: &Handoff) -> Self {
        Waiter {
            spin: handoff.spin,
            max: handoff.spin,
        }
    }

    /// Returns once `ready()`, checking it while spinning, then at every wake-up from
    /// parking (the thread that makes it true unparks this one). Returns how long it waited.
    fn wait_until(&mut self, ready: impl Fn() -> bool) -> Duration {
        if ready() {
            return Duration::ZERO;
        }
        let start = Instant::now();
        loop {
            for _ in 0..32 {
                std::hint::spin_loop();
                if ready() {
                    self.spin = self.max;
                    return start.elapsed();
                }
            }
            if start.elapsed() >= self.spin {
                break;
            }
        }
        self.spin /= 2;
        while !ready() {
            std::thread::park();
        }
        start.elapsed()
    }
}

/// A worker thread: runs shard `own` (and any other shard nobody has claimed yet) on every
/// window published, until told to stop.
fn worker(own: usize, ctx: Ctx, handoff: &Handoff) {
    // tells the coordinating thread when this thread panics, so that it stops waiting
    struct Failed<'a>(&'a Handoff);
    impl Drop for Failed<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.failed.store(true, Ordering::Release);
                self.0.coordinator.unpark();
            }
        }
    }
    let _failed = Failed(handoff);
    let mut waiter = Waiter::new(handoff);
    let mut seen = 0;
    loop {
        waiter.wait_until(|| {
            handoff.epoch.load(Ordering::Acquire) != seen || handoff.stop.load(Ordering::Acquire)
        });
        if handoff.stop.load(Ordering::Acquire) {
            return;
        }
        seen = handoff.epoch.load(Ordering::Acquire);
        let t = Instant::now();
        if handoff.run_shards(own, seen, ctx) > 0 {
            let ns = t.elapsed().as_nanos() as u64;
            handoff.helped_ns.fetch_add(ns, Ordering::Relaxed);
        }
    }
}

/// Whether threads pay off on this machine now, judged from the last threaded `run_until`.
///
/// Each call starts its threads and stops them (they are scoped to the call). On an idle
/// machine that costs tens of microseconds; when other processes hold the cores, a new thread
/// may wait milliseconds for one, and so does the call that stops it, which made CUBA in the
/// 200 calls of `exactlif run` slower on two threads than on one (BENCHMARKS.md, "Threads
/// under load"). So a threaded call counts what the threads cost the calling thread (starting
/// them, waiting for a shard one of them is running, stopping them) against what they saved
/// it (their time running shards). When the cost is larger, the windows run on the calling
/// thread alone for [`Pacing::PENALTY`] times the time lost (at most [`Pacing::MAX_BACKOFF`]),
/// then threads are tried again, within a call too: trying costs 2-3 % of the time, and a
/// try that lost by chance on an idle machine (a thread slow to start: tens of microseconds)
/// gives up threads for a few milliseconds only. Within a call threads cost little even under
/// load, as no thread waits for a shard nobody has started ([`Handoff`]). The results do not
/// depend on any of this.
#[derive(Default)]
struct Pacing {
    /// Until then, windows run on the calling thread alone.
    serial_until: Option<Instant>,
}

impl Pacing {
    /// After a loss, the windows run serially for this many times the time lost ...
    const PENALTY: u32 = 50;
    /// ... but at most this long.
    const MAX_BACKOFF: Duration = Duration::from_secs(1);

    /// Whether windows run on threads at `now`.
    fn threads_at(&self, now: Instant) -> bool {
        self.serial_until.is_none_or(|t| now >= t)
    }

    /// Judges a threaded call at its end, `now`: `cost` is what its threads cost the calling
    /// thread, `saved` what they saved it.
    fn judge(&mut self, now: Instant, cost: Duration, saved: Duration) {
        self.serial_until =
            (cost > saved).then(|| now + ((cost - saved) * Self::PENALTY).min(Self::MAX_BACKOFF));
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
        Self::build(net, 0..net.n_cells() as u32, threads, None)
    }

    /// A new engine at t = 0 for rank `comm.rank()` of a simulation over `comm.size()` ranks,
    /// which runs the cells `cells` (a contiguous range; the ranks' ranges, in rank order, cover
    /// every cell) on `threads` threads (`0`: one per core). `net` needs to hold only the
    /// synapses onto `cells` (`NetData::part`); everything per cell must be the whole network's.
    ///
    /// Every rank must make the same calls (`run_until` with the same times, `reset`); each
    /// call exchanges with the other ranks. Rank 0 records every spike; each rank samples its
    /// own cells ([`ExactEngine::gather`] brings the samples to rank 0). The results are those
    /// of one engine over the whole network, bit for bit, for any number of ranks and threads.
    pub fn for_rank(net: &NetData, cells: Range<u32>, threads: usize, comm: Arc<dyn Comm>) -> Self {
        Self::build(net, cells, threads, Some(comm))
    }

    /// A new engine at t = 0 like this one (the same rank of the same ranks, if it is one),
    /// on `threads` threads.
    pub fn rebuilt(&self, net: &NetData, threads: usize) -> Self {
        match &self.exchange.rank {
            Some(r) => Self::build(net, r.cells.clone(), threads, Some(Arc::clone(&r.comm))),
            None => Self::with_threads(net, threads),
        }
    }

    fn build(
        net: &NetData,
        cells: Range<u32>,
        threads: usize,
        comm: Option<Arc<dyn Comm>>,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = if threads == 0 { cores } else { threads };
        let n = net.n_cells();
        let mut params = Tables::default();
        let param_of: Vec<u32> = net
            .params
            .iter()
            .zip(&net.models)
            .map(|(p, m)| params.entry_of(*m, p))
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
        let own = cells.len();
        let pieces = threads.min(own.max(1));
        let bounds = shard_bounds(net, cells.clone(), pieces);
        let sorted = targets_sorted(net);
        let shards: Vec<AnyShard> = bounds
            .windows(2)
            .map(|b| {
                let model = shard_model(net, b[0]..b[1]);
                AnyShard::new(
                    model,
                    net,
                    (b[0], b[1]),
                    (&params, &param_of),
                    &sampled,
                    sorted,
                )
            })
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
            threads: pieces.min(shards.len()),
            shards: shards.into_iter().map(Mutex::new).collect(),
            spec: RwLock::new(WindowSpec::default()),
            exchange: Exchange {
                deliveries: BinaryHeap::new(),
                merged: Vec::new(),
                sample_slot,
                recorder: {
                    let mut rec = net.recorder();
                    rec.set_owned(cells.clone());
                    rec
                },
                rank: comm.map(|comm| RankPart {
                    comm,
                    cells,
                    mine: Vec::new(),
                    all: Vec::new(),
                    lens: Vec::new(),
                    window_began: None,
                    balance: RankBalance::default(),
                }),
            },
            started: false,
            halted: None,
            pacing: Pacing::default(),
            cores,
        }
    }

    /// Number of shards (= threads) the windows run on.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The recorded data (with several ranks, this rank's: see [`ExactEngine::gather`]).
    pub fn recorder(&self) -> &Recorder {
        &self.exchange.recorder
    }

    /// With several ranks ([`ExactEngine::for_rank`]), brings the other ranks' samples and
    /// every rank's work counters to rank 0: `Some` samples of the other ranks (their cells and
    /// values, for [`Recorder::fill_samples`]) and the whole network's counters there, `None`
    /// on the other ranks. Every rank must call it. With one rank, `Some` nothing and its own
    /// counters. Nothing is copied on rank 0: its recorder holds its own samples and every
    /// spike.
    pub(crate) fn gather(&self) -> Option<GatheredSamples> {
        let counts = self.counts();
        let Some(r) = &self.exchange.rank else {
            return Some((Vec::new(), counts));
        };
        // [4 counters, cells.start, cells.end, samples (f64 bits) ...], little-endian u64s;
        // rank 0 sends only the header
        let mut words = vec![
            counts.synaptic_inputs,
            counts.spikes,
            counts.predictions,
            counts.solver_cap_hits,
            r.cells.start as u64,
            r.cells.end as u64,
        ];
        if r.comm.rank() != 0 {
            let samples = self.exchange.recorder.samples_of(r.cells.clone());
            words.extend(samples.iter().map(|x| x.to_bits()));
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        drop(words);
        let parts = r.comm.gather_to_root(&bytes)?;
        let mut samples = Vec::new();
        let mut total = EventCounts::default();
        for (rank, part) in parts.iter().enumerate() {
            let w: Vec<u64> = part
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect();
            total.synaptic_inputs += w[0];
            total.spikes += w[1];
            total.predictions += w[2];
            total.solver_cap_hits += w[3];
            if rank != 0 {
                let values: Vec<f64> = w[6..].iter().map(|&b| f64::from_bits(b)).collect();
                samples.push((w[4] as u32..w[5] as u32, values));
            }
        }
        Some((samples, total))
    }

    /// With several ranks, how evenly their work was spread so far ([`RankBalance`]; the same
    /// on every rank); `None` with one.
    pub fn rank_balance(&self) -> Option<RankBalance> {
        self.exchange.rank.as_ref().map(|r| r.balance)
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
    fn shard_of(&self, g: u32) -> &Mutex<AnyShard> {
        let i = self.shards.partition_point(|s| lock(s).hi() <= g);
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
                    let model = lock(self.shard_of(g)).model();
                    (Some(self.params.entry_of(model, &p)), None)
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
            let (counts, solver) = (s.counts(), s.solver());
            c.spikes += counts.spikes;
            c.synaptic_inputs += counts.synaptic_inputs;
            c.predictions += solver.searches;
            c.solver_cap_hits += solver.cap_hits;
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
        let ctx: Ctx = (shards, params, spec, net);
        let halted = if self.threads == 1 {
            run_serial(ctx, ex, (t_stop, last_tick))
        } else {
            let pacing = (&mut self.pacing, self.cores);
            run_threaded(ctx, ex, pacing, (self.threads, t_stop, last_tick))
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
                let guards: Vec<MutexGuard<'_, AnyShard>> = self.shards.iter().map(lock).collect();
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
fn first_runaway(shards: &[Mutex<AnyShard>]) -> Option<RunawaySpike> {
    shards
        .iter()
        .filter_map(|s| lock(s).runaway())
        .min_by(|a, b| a.t.total_cmp(&b.t).then(a.cell.cmp(&b.cell)))
}

/// The window loop with every shard on the calling thread. Returns the runaway cell that
/// stopped it, if one did.
fn run_serial(
    (shards, params, spec, net): Ctx,
    ex: &mut Exchange,
    (t_stop, last_tick): (f64, u64),
) -> Option<RunawaySpike> {
    loop {
        let mut w = spec.write().unwrap_or_else(|e| e.into_inner());
        if ex
            .next_window(shards, &mut w, net, t_stop, last_tick)
            .is_none()
        {
            break None;
        }
        for s in shards {
            lock(s).run_window(net, params, &w.window());
        }
        if let Some(r) = ex.finish_window(shards, net) {
            break Some(r);
        }
        if w.closed {
            break None;
        }
    }
}

/// The window loop on `threads_wanted` threads: the calling thread and others scoped to this
/// call, which claim the shards as [`Handoff`] says, once [`Pacing`] says threads pay off;
/// until then the calling thread runs every shard. Returns the runaway cell
/// that stopped it, if one did.
fn run_threaded(
    ctx: Ctx,
    ex: &mut Exchange,
    (pacing, cores): (&mut Pacing, usize),
    (threads_wanted, t_stop, last_tick): (usize, f64, u64),
) -> Option<RunawaySpike> {
    let (shards, params, spec, net) = ctx;
    let n = shards.len();
    let handoff = Handoff::new(n, threads_wanted, cores);
    let mut waiter = Waiter::new(&handoff);
    // what the threads have cost this thread; unparking them is not counted: when the
    // woken thread takes this thread's core, it runs its shard meanwhile
    let mut cost = Duration::ZERO;
    let mut threads = false;
    let mut loop_end = None;
    let mut halted = None;
    std::thread::scope(|scope| {
        // tells the workers to stop when this closure ends, also by a panic (the scope waits
        // for them before it re-raises)
        let mut stop = StopOnDrop {
            handoff: &handoff,
            workers: Vec::new(),
        };
        loop {
            if !threads && pacing.threads_at(Instant::now()) {
                let t = Instant::now();
                for own in 1..threads_wanted {
                    let handoff = &handoff;
                    let handle = std::thread::Builder::new()
                        .name(format!("exactlif-shard-{own}"))
                        .spawn_scoped(scope, move || worker(own, ctx, handoff))
                        .expect("a shard thread");
                    stop.workers.push(handle.thread().clone());
                }
                threads = true;
                cost += t.elapsed();
            }
            let mut w = spec.write().unwrap_or_else(|e| e.into_inner());
            if ex
                .next_window(shards, &mut w, net, t_stop, last_tick)
                .is_none()
            {
                break;
            }
            let closed = w.closed;
            if threads {
                drop(w);
                // no worker touches `done` before it claims a shard of the new epoch
                handoff.done.store(0, Ordering::Relaxed);
                let epoch = handoff.epoch.fetch_add(1, Ordering::AcqRel) + 1;
                stop.workers.iter().for_each(Thread::unpark);
                handoff.run_shards(0, epoch, ctx);
                cost += waiter.wait_until(|| {
                    handoff.done.load(Ordering::Acquire) == n
                        || handoff.failed.load(Ordering::Acquire)
                });
                if handoff.failed.load(Ordering::Acquire) {
                    break; // a shard thread panicked: the scope re-raises it
                }
            } else {
                for s in shards {
                    lock(s).run_window(net, params, &w.window());
                }
            }
            if let Some(r) = ex.finish_window(shards, net) {
                halted = Some(r);
                break;
            }
            if closed {
                break;
            }
        }
        loop_end = Some(Instant::now());
    });
    if let (true, Some(end)) = (threads, loop_end) {
        // stopping the workers counts too
        let now = Instant::now();
        cost += now - end;
        let saved = Duration::from_nanos(handoff.helped_ns.load(Ordering::Relaxed));
        pacing.judge(now, cost, saved);
    }
    halted
}

/// Sets [`Handoff::stop`] and wakes the workers when dropped.
struct StopOnDrop<'a> {
    handoff: &'a Handoff,
    workers: Vec<Thread>,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.handoff.stop.store(true, Ordering::Release);
        self.workers.iter().for_each(Thread::unpark);
    }
}

/// Splits the cells into `n` contiguous ranges of about equal work, the work of a cell being
/// its synaptic in-degree plus one. Returns the boundaries (`n + 1` of them unless cells are
/// fewer than shards).
fn shard_bounds(net: &NetData, cells: Range<u32>, n: usize) -> Vec<u32> {
    let lo = cells.start;
    let mut bounds = vec![lo];
    if n <= 1 {
        bounds.push(cells.end);
        return cut_at_models(net, cells, bounds);
    }
    let mut work = vec![1u64; cells.len()];
    for &t in &net.syn_target {
        let g = t & !super::INHIBITORY_BIT;
        if cells.contains(&g) {
            work[(g - lo) as usize] += 1;
        }
    }
    let total: u64 = work.iter().sum();
    let mut acc = 0u64;
    for (i, w) in work.iter().enumerate() {
        acc += w;
        let next = bounds.len() as u64;
        if next < n as u64 && acc * n as u64 >= total * next {
            bounds.push(lo + i as u32 + 1);
        }
    }
    bounds.push(cells.end);
    cut_at_models(net, cells, bounds)
}

/// `bounds` with a cut wherever the model of the neurons changes: every shard runs one model
/// (`crate::model`, module doc: "Dispatch"); spike sources belong to the run they are in.
fn cut_at_models(net: &NetData, cells: Range<u32>, mut bounds: Vec<u32>) -> Vec<u32> {
    // every shard runs one model (`crate::model`, module doc: "Dispatch"): cut where the
    // model of the neurons changes (spike sources belong to the run they are in)
    let mut last = None;
    for g in cells.clone() {
        if net.kinds[g as usize] != super::CellKind::Neuron {
            continue;
        }
        let m = net.models[g as usize];
        if last.is_some_and(|l| l != m) {
            bounds.push(g);
        }
        last = Some(m);
    }
    bounds.sort_unstable();
    bounds.dedup();
    bounds
}

/// The model of the neurons of `cells` (one model: [`shard_bounds`]); IF_curr_exp if there are
/// none (a shard of spike sources).
fn shard_model(net: &NetData, cells: Range<u32>) -> ModelKind {
    cells
        .map(|g| g as usize)
        .find(|&g| net.kinds[g] == super::CellKind::Neuron)
        .map_or(ModelKind::Exp, |g| net.models[g])
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
