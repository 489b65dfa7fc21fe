//! The run-time [`Simulation`]: a validated network ([`NetData`]) with the engine of its
//! [`Backend`] behind one small trait, [`Engine`]. PyNN's `run`, `run_until`, `reset` and
//! `get_data` are its methods; every front end (the command line, the PyNN backend, an MPI
//! rank) drives a simulation through them.

use std::time::Instant;

use super::exact::ExactEngine;
use super::grid::{Scheme, StepEngine};
use super::{Backend, NetData};
use crate::recording::{DataBlock, EventCounts, Recorder};

/// What every backend does: advance to a time, return to t = 0, and hand over what it
/// recorded. The engines keep no copy of the network; the simulation passes it in.
pub(crate) trait Engine: Send {
    /// Processes every event with `t <= t_stop` (ms) and samples every tick up to
    /// `round(t_stop / timestep)`.
    fn run_until(&mut self, net: &NetData, t_stop: f64);
    /// Returns to t = 0 with the same network and the same random streams.
    fn reset(&mut self, net: &NetData);
    /// Current simulation time (ms).
    fn time(&self) -> f64;
    /// What was recorded so far.
    fn recorder(&self) -> &Recorder;
    /// Work counters so far.
    fn counts(&self) -> EventCounts;
    /// Runs on `threads` threads (0: one per core) from t = 0; returns the number used.
    fn set_threads(&mut self, net: &NetData, threads: usize) -> usize;
}

impl Engine for ExactEngine {
    fn run_until(&mut self, net: &NetData, t_stop: f64) {
        ExactEngine::run_until(self, net, t_stop)
    }
    fn reset(&mut self, net: &NetData) {
        ExactEngine::reset(self, net)
    }
    fn time(&self) -> f64 {
        ExactEngine::time(self)
    }
    fn recorder(&self) -> &Recorder {
        ExactEngine::recorder(self)
    }
    fn counts(&self) -> EventCounts {
        ExactEngine::counts(self)
    }
    fn set_threads(&mut self, net: &NetData, threads: usize) -> usize {
        *self = ExactEngine::with_threads(net, threads);
        self.threads()
    }
}

impl Engine for StepEngine {
    fn run_until(&mut self, net: &NetData, t_stop: f64) {
        StepEngine::run_until(self, net, t_stop)
    }
    fn reset(&mut self, net: &NetData) {
        StepEngine::reset(self, net)
    }
    fn time(&self) -> f64 {
        StepEngine::time(self)
    }
    fn recorder(&self) -> &Recorder {
        &self.recorder
    }
    fn counts(&self) -> EventCounts {
        StepEngine::counts(self)
    }
    /// The step-based backends run on one thread whatever is asked.
    fn set_threads(&mut self, net: &NetData, _threads: usize) -> usize {
        StepEngine::reset(self, net);
        1
    }
}

/// A built network with its engine: PyNN's `run`, `reset` and `get_data`.
pub struct Simulation {
    net: NetData,
    engine: Box<dyn Engine>,
    backend: Backend,
    build_time_s: f64,
    wall_time_s: f64,
}

impl Simulation {
    /// A simulation at t = 0 of a validated network on `backend`; `build_time_s` is the wall
    /// time its construction took (s), reported in the data blocks.
    pub(crate) fn new(net: NetData, backend: Backend, build_time_s: f64) -> Self {
        let engine: Box<dyn Engine> = match backend {
            Backend::Exact => Box::new(ExactEngine::new(&net)),
            Backend::Grid => Box::new(StepEngine::new(&net, Scheme::Grid)),
            Backend::Euler => Box::new(StepEngine::new(&net, Scheme::Euler)),
        };
        Simulation {
            net,
            engine,
            backend,
            build_time_s,
            wall_time_s: 0.0,
        }
    }

    /// Runs for `ms` more milliseconds (PyNN's `run`): events at `t <= time() + ms` are
    /// processed and the ticks up to `round((time() + ms)/timestep)` sampled.
    pub fn run(&mut self, ms: f64) {
        let t_stop = self.time() + ms;
        self.run_until(t_stop);
    }

    /// Runs until the absolute time `t_stop` (ms).
    pub fn run_until(&mut self, t_stop: f64) {
        let t0 = Instant::now();
        if t_stop >= self.time() {
            self.engine.run_until(&self.net, t_stop);
        }
        self.wall_time_s += t0.elapsed().as_secs_f64();
    }

    /// Returns to t = 0 with the same network, clearing recordings (PyNN's `reset`).
    pub fn reset(&mut self) {
        self.engine.reset(&self.net);
        self.wall_time_s = 0.0;
    }

    /// Current time (ms).
    pub fn time(&self) -> f64 {
        self.engine.time()
    }

    /// Runs the exact backend's min_delay windows on `threads` threads (`0`: one per core;
    /// default 1), the cells split into as many shards. Results are bit-identical for any
    /// number of threads. Returns the simulation to t = 0, like [`Simulation::reset`]. The
    /// step-based backends run on one thread whatever is asked. Returns the number of threads
    /// the simulation now uses.
    pub fn set_threads(&mut self, threads: usize) -> usize {
        self.wall_time_s = 0.0;
        self.engine.set_threads(&self.net, threads)
    }

    /// The backend this simulation runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The flat network.
    pub fn net(&self) -> &NetData {
        &self.net
    }

    /// Everything recorded so far (PyNN's `get_data`); `backend` names the backend.
    pub fn get_data(&self) -> DataBlock {
        self.engine.recorder().data_block(
            self.backend.name(),
            self.net.seed,
            self.time(),
            self.engine.counts(),
            self.wall_time_s,
            self.build_time_s,
        )
    }
}
