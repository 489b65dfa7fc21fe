//! From a [`Network`] description to a runnable [`Simulation`]: every value materialised per
//! cell and per connection (random values from their own streams, SPEC §2), validated once,
//! and laid out flat for the engines ([`NetData`]).
//!
//! - `cells`: per-cell parameters, initial values, spike sources, recording layout and
//!   injected currents;
//! - `synapses`: connectors drawn into compressed rows of synapses;
//! - `diagnostics`: warnings about a valid network (populations that can never fire).

use std::time::Instant;

use super::{BuildError, Network, Setup};
use crate::engine::Simulation;
use crate::engine::{Backend, NetData, INHIBITORY_BIT};

mod cells;
mod diagnostics;
mod synapses;

pub use diagnostics::Diagnostic;

impl Network {
    /// Validates the description, draws every random value and builds the flat network the
    /// engines run. Fails with the first problem found, naming the item and key: the
    /// simulation settings, then the cells population by population, then the synapses
    /// projection by projection.
    pub fn materialise(&self) -> Result<NetData, BuildError> {
        let min_delay = self.check_setup()?;
        let n_cells = self.n_cells()?;
        let mut net = NetData {
            timestep: self.setup.timestep,
            min_delay,
            seed: self.setup.seed,
            kinds: Vec::with_capacity(n_cells),
            params: Vec::with_capacity(n_cells),
            init: Vec::with_capacity(n_cells),
            array_ranges: vec![(0, 0); n_cells],
            array_times: Vec::new(),
            poisson: Vec::new(),
            current_switches: Vec::new(),
            group_offsets: Vec::new(),
            group_delay: Vec::new(),
            syn_offsets: Vec::new(),
            syn_target: Vec::new(),
            syn_weight: Vec::new(),
            layout: Vec::with_capacity(self.populations.len()),
            receives_input: Vec::new(),
        };
        let offsets = self.cells(&mut net)?;
        self.synapses(&offsets, &mut net)?;
        net.current_switches = self.current_switches(&offsets);
        Ok(net)
    }

    /// Checks the timestep and min_delay (finite, > 0 ms); returns min_delay (ms).
    fn check_setup(&self) -> Result<f64, BuildError> {
        let min_delay = self.setup.min_delay();
        for (key, x) in [("timestep", self.setup.timestep), ("min_delay", min_delay)] {
            Setup::check_step(x).map_err(|m| BuildError::new("simulation", key, m))?;
        }
        Ok(min_delay)
    }

    /// The number of cells in all, which must leave [`INHIBITORY_BIT`] free.
    fn n_cells(&self) -> Result<usize, BuildError> {
        let n_cells: usize = self.populations.iter().map(|p| p.size).sum();
        if n_cells >= INHIBITORY_BIT as usize {
            return Err(BuildError::new(
                "simulation",
                "size",
                format!("{n_cells} cells in all is more than this build supports"),
            ));
        }
        Ok(n_cells)
    }

    /// Builds the network and returns a simulation at t = 0 on the exact backend.
    pub fn build(&self) -> Result<Simulation, BuildError> {
        self.build_with(Backend::Exact)
    }

    /// Builds the network and returns a simulation at t = 0 on `backend`.
    pub fn build_with(&self, backend: Backend) -> Result<Simulation, BuildError> {
        let t0 = Instant::now();
        let net = self.materialise()?;
        Ok(Simulation::new(net, backend, t0.elapsed().as_secs_f64()))
    }
}
