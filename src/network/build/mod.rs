//! From a [`Network`] description to a runnable [`Simulation`]: every value materialised per
//! cell and per connection (random values from their own streams, SPEC §2), validated once,
//! and laid out flat for the engines ([`NetData`]).
//!
//! - `cells`: per-cell parameters, initial values, spike sources, recording layout and
//!   injected currents;
//! - `synapses`: connectors drawn into compressed rows of synapses;
//! - `diagnostics`: warnings about a valid network (populations that can never fire).

use std::ops::Range;
use std::time::Instant;

use super::{BuildError, CellType, Network, Seeding, Setup};
use crate::engine::comm::Comm;
use crate::engine::Simulation;
use crate::engine::{Backend, NetData, INHIBITORY_BIT};

mod cells;
mod diagnostics;
mod synapses;

pub(crate) use cells::{recording_layout, value_purpose};
pub use diagnostics::Diagnostic;

impl Network {
    /// Validates the description, draws every random value and builds the flat network the
    /// engines run. Fails with the first problem found, naming the item and key: the
    /// simulation settings, then the cells population by population, then the synapses
    /// projection by projection.
    pub fn materialise(&self) -> Result<NetData, BuildError> {
        self.materialise_cells(None)
    }

    /// The part of the network that a process owning the global cells `cells` needs (SPEC §7):
    /// the same `NetData` as [`materialise`](Self::materialise), except that only the synapses
    /// whose target lies in `cells` are kept, and the delay groups left without a synapse are
    /// dropped. Everything per cell (parameters, initial values, kinds, spike sources, current
    /// switches, recording layout) and `receives_input` stay the whole network's; `cells` may
    /// be empty or reach past the last cell.
    ///
    /// With seeding version 2 (the default) only what those targets need is drawn, from their
    /// own streams, so the parts of any division of the cells hold exactly the whole network's
    /// synapses, and each part's synapse arrays only its own share (memory per process falls
    /// as 1/N). Two connectors still draw for every target on every part, keeping only the
    /// local connections: `FixedNumberPostConnector`, which draws per source (O(n_pre · n)
    /// work, replicated), and `FixedTotalNumberConnector`, a global draw of its `n` pairs. With
    /// seeding version 1 the whole network is built, then filtered.
    ///
    /// Weights and delays are checked only for the part's synapses: a part may build where
    /// another part, or the whole network, fails on a bad random weight; and the error of a
    /// part names its own first bad connection. A caller running parts in several processes
    /// must fail when any part fails.
    ///
    /// ```
    /// use exactlif::{CellType, Connector, Network, Receptor, Setup, StaticSynapse};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 3, min_delay: None, seeding: Default::default() });
    /// let a = net.create("a", 50, CellType::IfCurrExp)?;
    /// let rule = Connector::FixedProbability { p_connect: 0.2, allow_self_connections: false };
    /// net.connect(a, a, rule, StaticSynapse::new(0.1, 1.0), Receptor::Excitatory, None)?;
    /// let whole = net.materialise()?;
    /// let (left, right) = (net.materialise_part(0..20)?, net.materialise_part(20..50)?);
    /// assert_eq!(left.n_synapses() + right.n_synapses(), whole.n_synapses());
    /// assert_eq!(left.syn_target, whole.part(0..20).syn_target);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn materialise_part(&self, cells: Range<u32>) -> Result<NetData, BuildError> {
        match self.setup.seeding {
            Seeding::V1 => Ok(self.materialise()?.part(cells)),
            Seeding::V2 => self.materialise_cells(Some(cells)),
        }
    }

    /// [`materialise`](Self::materialise), or with `part` (seeding version 2 only)
    /// [`materialise_part`](Self::materialise_part).
    fn materialise_cells(&self, part: Option<Range<u32>>) -> Result<NetData, BuildError> {
        let min_delay = self.check_setup()?;
        let n_cells = self.n_cells()?;
        // the per-cell arrays, allocated fallibly: a network too large for the machine is a
        // BuildError, not an abort
        // (the largest first, and nothing written before all are had)
        let params = try_vec(n_cells)?;
        let init = try_vec(n_cells)?;
        let mut array_ranges = try_vec(n_cells)?;
        let kinds = try_vec(n_cells)?;
        let models = try_vec(n_cells)?;
        array_ranges.resize(n_cells, (0, 0));
        let mut net = NetData {
            timestep: self.setup.timestep,
            min_delay,
            seed: self.setup.seed,
            kinds,
            models,
            params,
            init,
            array_ranges,
            array_times: Vec::new(),
            poisson: Vec::new(),
            current_switches: Vec::new(),
            drives: Vec::new(),
            group_offsets: Vec::new(),
            group_delay: Vec::new(),
            syn_offsets: Vec::new(),
            syn_target: Vec::new(),
            syn_weight: Vec::new(),
            layout: Vec::with_capacity(self.populations.len()),
            receives_input: Vec::new(),
        };
        let offsets = self.cells(&mut net)?;
        self.synapses(&offsets, &mut net, part)?;
        (net.current_switches, net.drives) = self.current_switches(&offsets, &net.params)?;
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

    /// Applies the network's current sources, as described now, to `sim` (built from this
    /// network) from its current time on: PyNN's changes to a current source between runs
    /// (an amplitude, a start or stop time, a new source). What happened before now stays; a
    /// cell whose injected current now differs takes the new one at once, exactly, and the
    /// later switches follow. Populations must be as they were at the build. A current that
    /// takes a cell's `v_inf` out of the validity domain changes nothing and is an error.
    ///
    /// ```
    /// use exactlif::{CellType, CurrentSource, Network, Setup, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let cells = net.create("cells", 1, CellType::IfCurrExp)?;
    /// net.record(cells, &[Var::Spikes])?;
    /// let mut sim = net.build()?;
    /// sim.run(10.0); // silent: no input
    /// // from t = 10 ms, 1 nA: v_inf = -65 + 1 * 20 / 1 = -45 mV, above threshold
    /// net.inject(CurrentSource::Dc { amplitude: 1.0, start: 0.0, stop: f64::INFINITY }, cells)?;
    /// net.update_current_sources(&mut sim)?;
    /// sim.run(40.0);
    /// let t = sim.get_data().populations[0].spiketrains[0].times_ms[0];
    /// assert!((t - (10.0 + 20.0 * 4f64.ln())).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_current_sources(&self, sim: &mut Simulation) -> Result<(), BuildError> {
        let offsets = self.offsets_of(sim)?;
        let (switches, drives) = self.current_switches(&offsets, &sim.net().params)?;
        sim.replace_current_switches(switches, drives);
        Ok(())
    }

    /// Applies the spike times of the network's `SpikeSourceArray` populations, as described
    /// now, to `sim` (built from this network) from its current time on: PyNN's change of
    /// `spike_times` between runs. Times at or before now are past (on a step backend: at or
    /// before the current grid point); each cell's next spike is its first later time.
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup, SpikeTimes, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let src = net.create("src", 1, CellType::SpikeSourceArray)?;
    /// net.set_spike_times(&src, SpikeTimes::Same(vec![2.0, 8.0]))?;
    /// net.record(src, &[Var::Spikes])?;
    /// let mut sim = net.build()?;
    /// sim.run(5.0);
    /// net.set_spike_times(&src, SpikeTimes::Same(vec![1.0, 12.5, 20.0]))?; // 1.0 is past
    /// net.update_spike_times(&mut sim)?;
    /// sim.run(20.0);
    /// let t = &sim.get_data().populations[0].spiketrains[0].times_ms;
    /// assert_eq!(t, &[2.0, 12.5, 20.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_spike_times(&self, sim: &mut Simulation) -> Result<(), BuildError> {
        let offsets = self.offsets_of(sim)?;
        let mut ranges = vec![(0, 0); sim.n_cells()];
        let mut times = Vec::new();
        for (pop, &offset) in self.populations.iter().zip(&offsets) {
            if pop.cell_type != CellType::SpikeSourceArray {
                continue;
            }
            for i in 0..pop.size {
                let start = times.len() as u32;
                times.extend_from_slice(pop.spike_times_of(i));
                ranges[offset as usize + i] = (start, times.len() as u32);
            }
        }
        sim.replace_spike_arrays(ranges, times);
        Ok(())
    }

    /// Applies the synaptic weights of the network's projections, as described now, to `sim`
    /// (built from this network) from its current time on: PyNN's `Projection.set(weight=...)`
    /// between runs. Every input arriving after now has its new weight; an input already
    /// delivered keeps the old one. The connections and delays must be those `sim` was built
    /// with (the synapse tables are drawn again and compared): changing them during a run is
    /// refused, since spikes in flight would need the old delays.
    ///
    /// ```
    /// use exactlif::{CellType, Connector, Network, Receptor, Setup, SpikeTimes, StaticSynapse, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let src = net.create("src", 1, CellType::SpikeSourceArray)?;
    /// net.set_spike_times(&src, SpikeTimes::Same(vec![5.0, 25.0]))?;
    /// let cell = net.create("cell", 1, CellType::IfCurrExp)?;
    /// let one_to_one = Connector::OneToOne;
    /// net.connect(src, cell, one_to_one.clone(), StaticSynapse::new(1.0, 1.0), Receptor::Excitatory, Some("in"))?;
    /// net.record(cell, &[Var::Spikes])?;
    /// let mut sim = net.build()?;
    /// sim.run(20.0); // the input at 6 ms does not make it fire
    /// // a weight of 30 nA from now on: the input at 26 ms does
    /// let mut stronger = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let src = stronger.create("src", 1, CellType::SpikeSourceArray)?;
    /// stronger.set_spike_times(&src, SpikeTimes::Same(vec![5.0, 25.0]))?;
    /// let cell = stronger.create("cell", 1, CellType::IfCurrExp)?;
    /// stronger.connect(src, cell, one_to_one, StaticSynapse::new(30.0, 1.0), Receptor::Excitatory, Some("in"))?;
    /// stronger.update_weights(&mut sim)?;
    /// sim.run(20.0);
    /// let t = &sim.get_data().populations[1].spiketrains[0].times_ms;
    /// assert!(!t.is_empty() && t[0] > 26.0 && t[0] < 30.0);
    /// # Ok::<(), exactlif::BuildError>(())
    /// ```
    pub fn update_weights(&self, sim: &mut Simulation) -> Result<(), BuildError> {
        self.offsets_of(sim)?;
        let net = self.materialise()?;
        let old = sim.net();
        if net.group_offsets != old.group_offsets
            || net.syn_offsets != old.syn_offsets
            || net.syn_target != old.syn_target
            || net
                .group_delay
                .iter()
                .zip(&old.group_delay)
                .any(|(a, b)| a.to_bits() != b.to_bits())
        {
            return Err(BuildError::new(
                "simulation",
                "projections",
                "only weights can change during a run: the connections or delays differ from \
                 the simulation's (spikes in flight keep their delays); call reset() first, or \
                 build the network again",
            ));
        }
        sim.replace_weights(net.syn_weight);
        Ok(())
    }

    /// Applies what the network's populations record, as described now, to `sim` (built from
    /// this network) from its current time on: PyNN's `record()` (or `record(None)`) between
    /// runs. What was recorded stays in the data; a cell's signal recorded from now has NaN
    /// samples up to now (the sample at now was taken by the run that ended there), one no
    /// longer recorded has NaN samples after now and no more spikes.
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let cells = net.create("cells", 2, CellType::IfCurrExp)?;
    /// net.record(cells, &[Var::V])?;
    /// let mut sim = net.build()?;
    /// sim.run(1.0);
    /// net.record(cells.view(&[1]), &[Var::IsynExc])?; // from now on
    /// net.update_recording(&mut sim)?;
    /// sim.run(1.0);
    /// let data = sim.get_data();
    /// let isyn = data.populations[0].signal("isyn_exc").unwrap();
    /// assert_eq!(isyn.neurons, [1]);
    /// // ticks 0..=10 (t = 0 .. 1 ms) were sampled by the first run
    /// assert!(isyn.values[0][..11].iter().all(|x| x.is_nan()));
    /// assert!(isyn.values[0][11..].iter().all(|&x| x == 0.0));
    /// # Ok::<(), exactlif::BuildError>(())
    /// ```
    pub fn update_recording(&self, sim: &mut Simulation) -> Result<(), BuildError> {
        let offsets = self.offsets_of(sim)?;
        let layout = self
            .populations
            .iter()
            .zip(&offsets)
            .map(|(pop, &offset)| recording_layout(pop, offset))
            .collect();
        sim.replace_recording(layout);
        Ok(())
    }

    /// The first global cell of every population, checked against the populations `sim` was
    /// built with.
    fn offsets_of(&self, sim: &Simulation) -> Result<Vec<u32>, BuildError> {
        let mut offsets = Vec::with_capacity(self.populations.len());
        let mut n = 0u32;
        for p in &self.populations {
            offsets.push(n);
            n += p.size as u32;
        }
        if n as usize != sim.n_cells() || self.populations.len() != sim.n_populations() {
            return Err(BuildError::new(
                "simulation",
                "populations",
                "the populations differ from the simulation's: build the network again",
            ));
        }
        Ok(offsets)
    }

    /// Builds the network and returns a simulation at t = 0 on the exact backend.
    pub fn build(&self) -> Result<Simulation, BuildError> {
        self.build_with(Backend::Exact)
    }

    /// Builds rank `comm.rank()` of a simulation over `comm.size()` ranks on the exact
    /// backend, its windows on `threads` threads (`0`: one per core): the rank runs the cells
    /// [`Network::partition`] gives it for a run of `duration_ms` (which only weighs the
    /// division), and holds only the synapses onto them. Every rank of `comm` must build the
    /// same network and then make the same calls; the results are those of one process, bit
    /// for bit, for any number of ranks and threads.
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup, ThreadRanks, Var};
    ///
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
    /// let cells = net.create("cells", 10, CellType::IfCurrExp)?;
    /// net.set(&cells, "i_offset", 1.0)?;
    /// net.record(cells, &[Var::Spikes, Var::V])?;
    /// let whole = { let mut sim = net.build()?; sim.run(50.0); sim.get_data() };
    /// let ranks = ThreadRanks::new(3);
    /// let blocks: Vec<_> = std::thread::scope(|s| {
    ///     let runs: Vec<_> = ranks.into_iter().map(|comm| {
    ///         let net = &net;
    ///         s.spawn(move || {
    ///             let mut sim = net.build_rank(std::sync::Arc::new(comm), 1, 50.0).unwrap();
    ///             sim.run(50.0);
    ///             sim.get_data()
    ///         })
    ///     }).collect();
    ///     runs.into_iter().map(|h| h.join().unwrap()).collect()
    /// });
    /// assert_eq!(blocks[0].populations, whole.populations); // rank 0 has everything
    /// # Ok::<(), exactlif::BuildError>(())
    /// ```
    pub fn build_rank(
        &self,
        comm: std::sync::Arc<dyn Comm>,
        threads: usize,
        duration_ms: f64,
    ) -> Result<Simulation, BuildError> {
        let t0 = Instant::now();
        let bounds = self.partition(comm.size(), duration_ms);
        let r = comm.rank();
        let cells = bounds[r]..bounds[r + 1];
        // a part checks only its own synapses' random weights and delays: the ranks agree
        // that every one built before any of them runs (a rank that failed says why)
        let built = self.materialise_part(cells.clone());
        if comm.all_min(if built.is_ok() { 1.0 } else { 0.0 }) < 1.0 {
            return Err(built.err().unwrap_or_else(|| {
                BuildError::new(
                    "simulation",
                    "ranks",
                    "another rank refused the network (its error says why)",
                )
            }));
        }
        let net = built?;
        let build_time_s = t0.elapsed().as_secs_f64();
        Ok(Simulation::for_rank(
            net,
            cells,
            threads,
            comm,
            build_time_s,
        ))
    }

    /// Builds the network and returns a simulation at t = 0 on `backend`.
    pub fn build_with(&self, backend: Backend) -> Result<Simulation, BuildError> {
        let t0 = Instant::now();
        let net = self.materialise()?;
        Ok(Simulation::new(net, backend, t0.elapsed().as_secs_f64()))
    }
}

/// An empty vector with room for `n` items, or a [`BuildError`] saying the network does not
/// fit in memory (instead of the allocator's abort).
fn try_vec<T>(n: usize) -> Result<Vec<T>, BuildError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        BuildError::new(
            "simulation",
            "populations",
            format!(
                "{n} cells do not fit in memory ({} for one per-cell array); use smaller populations",
                crate::network::human_bytes((n * std::mem::size_of::<T>()) as f64)
            ),
        )
    })?;
    Ok(v)
}
