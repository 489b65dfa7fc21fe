//! # exactlif: exact event-driven simulation of PyNN's `IF_curr_exp` networks
//!
//! Each leaky integrate-and-fire neuron's trajectory is solved in closed form between events;
//! the exact time it will next reach threshold is found by a solver that cannot miss a crossing
//! (`threshold`), kept in a priority queue, and the engine jumps from event to event. State
//! variables are still recorded on the usual grid, by sampling the closed form.
//!
//! The vocabulary is PyNN's: [`Network`] (setup), populations of [`CellType`]s with parameters
//! given as numbers, per-cell lists or [`RandomDistribution`]s, [`Projection`]s with
//! [`Connector`]s and [`StaticSynapse`]s, [`CurrentSource`]s, `record` and `get_data`.

//!
//! # The API
//!
//! Build a [`Network`] (PyNN's `setup`, `Population`, `Projection`, `record`), then
//! [`Network::build`] it into a [`Simulation`] — the only way to get one, so every simulation
//! runs a validated network — and drive it: [`Simulation::run`], [`Simulation::run_until`],
//! [`Simulation::reset`], changes between runs ([`Simulation::set_parameter`],
//! [`Simulation::initialize`]), and [`Simulation::get_data`], whose [`DataBlock`] gives the
//! recordings as flat arrays ([`PopulationData::spikes_flat`],
//! [`AnalogSignal::values_time_major`]).
//!
//! ```
//! use exactlif::{CellType, Network, Setup, Var};
//!
//! let mut net = Network::new(Setup { timestep: 0.1, seed: 42, min_delay: None, seeding: Default::default() });
//! let cells = net.create("cells", 10, CellType::IfCurrExp)?;
//! net.set(&cells, "i_offset", 1.0)?; // v_inf = -65 + 1.0 * 20 / 1 = -45 mV > v_thresh
//! net.record(cells, &[Var::Spikes, Var::V])?;
//! let mut sim = net.build()?;
//! sim.run(100.0);
//! let data = sim.get_data();
//! let (cell, t_ms) = data.populations[0].spikes_flat();
//! // first spike: tau_m ln((v_inf - v_rest) / (v_inf - v_thresh)) = 20 ln 4 ms
//! assert!((t_ms[0] - 20.0 * 4f64.ln()).abs() < 1e-12 && cell[0] == 0);
//! sim.reset(); // back to t = 0, a new recording
//! sim.run_until(10.0);
//! assert_eq!(sim.get_data().populations[0].signals[0].times_ms.len(), 101);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Model files, results directories, comparison and convergence studies are in [`io`],
//! [`compare`] and [`converge`]; figures in `plot` (feature `plot`); the `exactlif` command line
//! (feature `cli`, default) is the binary standing on all of them.
//!
//! # Layers
//!
//! The modules depend one way, each only on those before it (checked by `tests/layering.rs`):
//!
//! ```text
//! model -> threshold -> recording -> engine -> network -> io -> compare -> converge -> plot
//! ```
//!
//! - `model`: the `IF_curr_exp` equations in closed form, its parameters and their rules;
//! - `threshold`: the first-crossing solver and its correctness argument;
//! - `recording`: what runs record ([`DataBlock`]);
//! - `engine`: the exact event-driven engine, the step-based `grid` and `euler` backends, and
//!   the run-time [`Simulation`] that holds one of them behind one small trait;
//! - `network`: the PyNN-style description and its construction into the engines' flat form;
//! - [`io`]: model files (TOML), results directories, the PyNN export;
//! - [`compare`], [`converge`]: measuring runs against each other;
//! - `plot`: figures.
//!
//! Each library module has its own error type; none knows the command line's flags, and the
//! binary maps errors to exit statuses.

#![deny(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(feature = "internals", deny(unreachable_pub))]

pub mod compare;
pub mod converge;
mod engine;
pub mod io;
mod model;
mod network;
#[cfg(feature = "plot")]
pub mod plot;
mod recording;
mod threshold;

#[cfg(feature = "mpi")]
pub use engine::comm::MpiComm;
pub use engine::comm::{launcher_size, Comm, Solo, ThreadRanks};
pub use engine::{Backend, RankBalance, Runaway, Simulation, StateError, BACKENDS};
pub use model::ModelKind;
/// The MPI library's bindings (rsmpi), for `mpi::initialize()` (feature `mpi`).
#[cfg(feature = "mpi")]
pub use mpi;
pub use network::build::Diagnostic;
pub use network::{
    human_bytes, suggest, BuildError, CellType, Connector, ConnectorParams, CurrentSource, Network,
    Population, PopulationView, Projection, RandomDistribution, Receptor, ResourceEstimate,
    Seeding, Selection, Setup, SpikeTimes, StaticSynapse, Value, Var, CONNECTORS,
};
pub use recording::{AnalogSignal, DataBlock, EventCounts, PopulationData, SpikeTrain};

/// Unstable: the engine's parts that the project's own tests and benchmarks measure one by one
/// (the solver, the engines, the flat network). Not part of the API; built only with the
/// `internals` feature, which the tests and benchmarks turn on.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::engine::exact::ExactEngine;
    pub use crate::engine::grid::step_at_or_after;
    pub use crate::engine::{CellKind, NetData, RunawaySpike, Switch, INHIBITORY_BIT, NO_DRIVE};
    pub use crate::model::ac_drive::{Drive, Forced, ForcedEval, Sine};
    pub use crate::model::if_curr_alpha::{
        input_jump as alpha_input_jump, Derived as AlphaDerived, Free as AlphaFree,
        Params as AlphaParams, State as AlphaState, Syn as AlphaSyn,
    };
    pub use crate::model::if_curr_exp::{Free, Params, Rates};
    pub use crate::threshold::alpha::first_crossing as first_crossing_alpha;
    pub use crate::threshold::{
        crossing_lower_bound, first_crossing, first_crossing_forced, Crossing, ForcedCrossing,
        SolverStats,
    };

    /// The flat network a simulation runs.
    pub fn net_of(sim: &crate::Simulation) -> &NetData {
        sim.net()
    }
}
