//! What a network will need before it is built: memory for cells, synapses and recordings, and
//! the number of Poisson input spikes, from the description alone (nothing is drawn or
//! allocated), so that a model too large for the machine is refused with numbers instead of
//! aborting on a failed allocation.
//!
//! The figures are estimates of the peak: synapses by their expected count (exact for every
//! connector but `FixedProbabilityConnector`, whose count is `p n_pre n_post` on average), at the
//! bytes the build holds per synapse while it places them; recordings by the samples of a run
//! of `duration` and the spikes of recorded Poisson sources at their mean rate (the spikes of
//! neurons cannot be known in advance and are not counted).

use super::{CellType, Connector, Network, Value, Var};

/// Bytes per cell: parameters (72), initial state (24), kind, spike-source ranges, the engine's
/// 64-byte cell line, its queue entry and per-cell indices (measured by
/// `tests/construction_memory.rs`-style accounting, rounded up).
const BYTES_PER_CELL: f64 = 256.0;
/// Bytes per synapse at the peak of the build: the drawn connection (pre, post, weight, delay:
/// 24 bytes) and its placed copy (target 4 + weight 8), plus slack for the group tables.
const BYTES_PER_SYNAPSE: f64 = 48.0;
/// Bytes per recorded sample (f64), and per recorded spike (time 8 + cell 4).
const BYTES_PER_SAMPLE: f64 = 8.0;
const BYTES_PER_SPIKE: f64 = 12.0;
/// Poisson spikes beyond which a run is refused: at the engine's 1e7 to 1e8 events per second
/// (BENCHMARKS.md), 1e11 spikes is hours before counting their synaptic deliveries.
const MAX_POISSON_SPIKES: f64 = 1e11;

/// The estimate of [`Network::estimate`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ResourceEstimate {
    /// Cells.
    pub cells: f64,
    /// Expected synapses.
    pub synapses: f64,
    /// Recorded samples (ticks times recorded cells and variables).
    pub samples: f64,
    /// Expected spikes of all Poisson sources over the run (recorded or not).
    pub poisson_spikes: f64,
    /// Bytes: cells.
    pub cell_bytes: f64,
    /// Bytes: synapses.
    pub synapse_bytes: f64,
    /// Bytes: recorded samples and recorded Poisson spikes.
    pub recording_bytes: f64,
}

impl ResourceEstimate {
    /// The estimate for one rank of a simulation over `ranks` processes: a rank holds the
    /// synapses onto its own cells (about `1/ranks` of them), everything per cell, and (rank
    /// 0, which gathers them) every recording.
    pub fn per_rank(mut self, ranks: usize) -> Self {
        let r = ranks.max(1) as f64;
        self.synapses /= r;
        self.synapse_bytes /= r;
        self
    }

    /// The total memory estimate (bytes).
    pub fn bytes(&self) -> f64 {
        self.cell_bytes + self.synapse_bytes + self.recording_bytes
    }

    /// `Err` with the numbers and the fix when the estimate exceeds `limit` bytes, which the
    /// message calls `limit_name` (e.g. "--max-memory").
    pub fn check(&self, limit: f64, limit_name: &str) -> Result<(), String> {
        if self.poisson_spikes > MAX_POISSON_SPIKES {
            return Err(format!(
                "the Poisson sources would make about {} spikes (rate x cells x duration), more \
                 than the {} a run can take in hours (the engine handles some 1e7 events per \
                 second); lower the rate, the number of sources or the duration",
                human_count(self.poisson_spikes),
                human_count(MAX_POISSON_SPIKES)
            ));
        }
        if self.bytes() <= limit {
            return Ok(());
        }
        let mut fixes = Vec::new();
        if self.recording_bytes >= self.bytes() / 3.0 {
            fixes.push("record fewer cells or variables, or a coarser timestep");
        }
        if self.synapse_bytes >= self.bytes() / 3.0 {
            fixes.push("use fewer or sparser projections");
        }
        if self.cell_bytes >= self.bytes() / 3.0 {
            fixes.push("use smaller populations");
        }
        Err(format!(
            "the model needs about {} of memory ({} cells: {}, {} synapses: {}, {} recorded \
             samples and Poisson spikes: {}), more than the {} allowed ({limit_name}); {}",
            human_bytes(self.bytes()),
            human_count(self.cells),
            human_bytes(self.cell_bytes),
            human_count(self.synapses),
            human_bytes(self.synapse_bytes),
            human_count(self.samples),
            human_bytes(self.recording_bytes),
            human_bytes(limit),
            fixes.join(", or ")
        ))
    }
}

/// `1.5 GB`, `512 MB`, `12 kB`, `3 B` (decimal units).
pub fn human_bytes(b: f64) -> String {
    for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] {
        if b >= size {
            return format!("{:.3} {unit}", b / size)
                .replace(".000 ", " ")
                .to_string();
        }
    }
    format!("{b:.0} B")
}

fn human_count(x: f64) -> String {
    if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.3e}")
    }
}

/// The mean of a value over its cells where it can be known without drawing: a number, or
/// the mean of a list. `None` for a distribution.
fn mean_of(v: &Value) -> Option<f64> {
    match v {
        Value::Scalar(x) => Some(*x),
        Value::PerCell(xs) if !xs.is_empty() => Some(xs.iter().sum::<f64>() / xs.len() as f64),
        _ => None,
    }
}

/// The mean of parameter `name` of `p` (`default` if not given; `None` for a distribution).
pub(super) fn mean_parameter(p: &super::PopulationSpec, name: &str, default: f64) -> Option<f64> {
    p.parameters
        .iter()
        .find(|(n, _)| n == name)
        .map_or(Some(default), |(_, v)| mean_of(v))
}

impl Network {
    /// The number of cells of a selection.
    pub(super) fn selection_size(&self, sel: &super::Selection) -> f64 {
        sel.cells
            .as_ref()
            .map_or(self.populations[sel.population].size, Vec::len) as f64
    }

    /// The expected number of synapses of `proj` (exact for every connector but
    /// `FixedProbabilityConnector`, whose count is `p n_pre n_post` on average).
    pub(super) fn expected_synapses(&self, proj: &super::Projection) -> f64 {
        let (n_pre, n_post) = (
            self.selection_size(&proj.pre),
            self.selection_size(&proj.post),
        );
        match &proj.connector {
            Connector::AllToAll { .. } => n_pre * n_post,
            Connector::OneToOne => n_pre.min(n_post),
            Connector::FixedProbability { p_connect, .. } => p_connect * n_pre * n_post,
            Connector::FixedNumberPre { n, .. } => *n as f64 * n_post,
            Connector::FixedNumberPost { n, .. } => *n as f64 * n_pre,
            Connector::FixedTotalNumber { n, .. } => *n as f64,
            Connector::FromList { conn_list } => conn_list.len() as f64,
        }
    }

    /// The memory a run of `duration_ms` will need and the Poisson spikes it will make,
    /// estimated from the description (see the module doc). Cheap: nothing is drawn.
    ///
    /// ```
    /// use exactlif::{CellType, Network, Setup, Var};
    /// let mut net = Network::new(Setup { timestep: 1e-6, seed: 1, min_delay: None, seeding: Default::default() });
    /// let cells = net.create("cells", 1000, CellType::IfCurrExp)?;
    /// net.record(cells, &[Var::V])?;
    /// let e = net.estimate(1000.0); // 1e9 ticks of 1000 cells: 8 TB of samples
    /// assert!(e.check(8e9, "--max-memory").unwrap_err().contains("a coarser timestep"));
    /// # Ok::<(), exactlif::BuildError>(())
    /// ```
    pub fn estimate(&self, duration_ms: f64) -> ResourceEstimate {
        let mut e = ResourceEstimate::default();
        let ticks = (duration_ms / self.setup.timestep).floor().max(0.0) + 1.0;
        for p in &self.populations {
            let size = p.size as f64;
            e.cells += size;
            let param = |name: &str, default: f64| mean_parameter(p, name, default);
            let mut spikes = 0.0;
            if p.cell_type == CellType::SpikeSourcePoisson {
                // PyNN's defaults: rate 1 Hz, start 0, duration 1e10 ms
                let rate = param("rate", 1.0).unwrap_or(0.0).max(0.0);
                let start = param("start", 0.0).unwrap_or(0.0);
                let dur = param("duration", 1e10).unwrap_or(1e10);
                let active = (duration_ms.min(start + dur) - start).max(0.0);
                spikes = size * rate * active / 1000.0;
                e.poisson_spikes += spikes;
            }
            for (var, cells) in &p.record {
                let n = cells.as_ref().map_or(size, |c| c.len() as f64);
                if *var == Var::Spikes {
                    e.recording_bytes += BYTES_PER_SPIKE * spikes * n / size.max(1.0);
                } else {
                    e.samples += n * ticks;
                }
            }
        }
        e.recording_bytes += BYTES_PER_SAMPLE * e.samples;
        for proj in &self.projections {
            e.synapses += self.expected_synapses(proj);
        }
        e.cell_bytes = BYTES_PER_CELL * e.cells;
        e.synapse_bytes = BYTES_PER_SYNAPSE * e.synapses;
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Receptor, Setup, StaticSynapse};

    #[test]
    fn counts_what_the_description_fixes() {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 1,
            min_delay: None,
            seeding: Default::default(),
        });
        let a = net.create("a", 100, CellType::IfCurrExp).unwrap();
        let src = net.create("src", 10, CellType::SpikeSourcePoisson).unwrap();
        net.set(&src, "rate", 50.0).unwrap();
        net.record(src, &[Var::Spikes]).unwrap();
        net.record(a.view(&[0, 1]), &[Var::V, Var::IsynExc])
            .unwrap();
        net.connect(
            src,
            a,
            Connector::FixedProbability {
                p_connect: 0.5,
                allow_self_connections: true,
            },
            StaticSynapse::new(0.1, 1.0),
            Receptor::Excitatory,
            None,
        )
        .unwrap();
        let e = net.estimate(1000.0);
        assert_eq!(e.cells, 110.0);
        assert_eq!(e.synapses, 500.0);
        assert_eq!(e.samples, 2.0 * 2.0 * 10001.0);
        assert_eq!(e.poisson_spikes, 500.0);
        assert_eq!(e.recording_bytes, 8.0 * 2.0 * 2.0 * 10001.0 + 12.0 * 500.0);
        assert!(e.check(1e9, "--max-memory").is_ok());
        assert!(e
            .check(1e3, "--max-memory")
            .unwrap_err()
            .contains("1 kB allowed (--max-memory)"));
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(1.5e9), "1.500 GB");
        assert_eq!(human_bytes(8e9), "8 GB");
        assert_eq!(human_bytes(12.0), "12 B");
    }
}
