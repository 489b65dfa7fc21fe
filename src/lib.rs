//! # exactlif: exact event-driven simulation of PyNN's `IF_curr_exp` networks
//!
//! Each leaky integrate-and-fire neuron's trajectory is solved in closed form between events;
//! the exact time it will next reach threshold is found by a solver that cannot miss a crossing
//! ([`threshold`]), kept in a priority queue, and the engine jumps from event to event. State
//! variables are still recorded on the usual grid, by sampling the closed form.
//!
//! The vocabulary is PyNN's: [`Network`] (setup), populations of [`CellType`]s with parameters
//! given as numbers, per-cell lists or [`RandomDistribution`]s, [`Projection`]s with
//! [`Connector`]s and [`StaticSynapse`]s, [`CurrentSource`]s, `record` and `get_data`.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod compare;
pub mod converge;
pub mod engine;
pub mod io;
pub mod model;
pub mod network;
#[cfg(feature = "plot")]
pub mod plot;
pub mod recording;
pub mod threshold;

pub use engine::{Backend, Simulation, StateError};
pub use network::{
    BuildError, CellType, Connector, CurrentSource, Network, Population, PopulationView,
    Projection, RandomDistribution, Receptor, Selection, Setup, SpikeTimes, StaticSynapse, Value,
    Var,
};
pub use recording::DataBlock;
