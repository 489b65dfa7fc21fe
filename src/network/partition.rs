//! How the cells of a network are divided among the ranks of a simulation over several
//! processes: contiguous ranges of global cells of about equal expected work, computed from
//! the description alone (nothing drawn), the same on every rank.
//!
//! The division changes nothing in the results (every cell sees the same events in the same
//! order on any number of ranks); it only decides how long the ranks wait for each other
//! ([`crate::RankBalance`] measures that).

use super::estimate::mean_parameter;
use super::{CellType, Network, SpikeTimes};

/// The firing rate assumed for a neuron when weighing its outgoing spikes (Hz): rates cannot
/// be known before the run; cortical models such as CUBA run at 5-20 Hz.
const NEURON_RATE_HZ: f64 = 10.0;

impl Network {
    /// The expected work of every cell (global order) over a run of `duration_ms`: one for
    /// the cell, plus its own spikes, plus the synaptic inputs it will receive (expected
    /// in-degree of each projection onto it times the presynaptic population's rate: a
    /// Poisson source's rate, a spike array's mean rate, 10 Hz for neurons: rates cannot be
    /// known before the run).
    pub fn expected_work(&self, duration_ms: f64) -> Vec<f64> {
        let offsets: Vec<usize> = self
            .populations
            .iter()
            .scan(0, |acc, p| {
                let o = *acc;
                *acc += p.size;
                Some(o)
            })
            .collect();
        let n: usize = self.populations.iter().map(|p| p.size).sum();
        let seconds = duration_ms.max(0.0) / 1000.0;
        let rates: Vec<f64> = self
            .populations
            .iter()
            .map(|p| match p.cell_type {
                CellType::SpikeSourcePoisson => {
                    mean_parameter(p, "rate", 1.0).unwrap_or(1.0).max(0.0)
                }
                CellType::SpikeSourceArray => {
                    let spikes = match &p.spike_times {
                        Some(SpikeTimes::Same(ts)) => ts.len() * p.size,
                        Some(SpikeTimes::PerCell(ts)) => ts.iter().map(Vec::len).sum(),
                        None => 0,
                    };
                    spikes as f64 / (p.size.max(1) as f64 * seconds.max(1e-3))
                }
                _ => NEURON_RATE_HZ,
            })
            .collect();
        let mut work = vec![1.0; n];
        for (pi, p) in self.populations.iter().enumerate() {
            let own = rates[pi] * seconds;
            work[offsets[pi]..offsets[pi] + p.size]
                .iter_mut()
                .for_each(|w| *w += own);
        }
        for proj in &self.projections {
            let synapses = self.expected_synapses(proj);
            let n_post = self.selection_size(&proj.post);
            let inputs = synapses / n_post.max(1.0) * rates[proj.pre.population] * seconds;
            let o = offsets[proj.post.population];
            match &proj.post.cells {
                Some(cells) => cells.iter().for_each(|&c| work[o + c as usize] += inputs),
                None => {
                    let size = self.populations[proj.post.population].size;
                    work[o..o + size].iter_mut().for_each(|w| *w += inputs);
                }
            }
        }
        work
    }

    /// The cells of `ranks` ranks: `ranks + 1` increasing bounds, rank `r` running the global
    /// cells `bounds[r] .. bounds[r + 1]`, of about equal [`Network::expected_work`] over a
    /// run of `duration_ms` (a rank may get no cell when there are more ranks than cells).
    pub fn partition(&self, ranks: usize, duration_ms: f64) -> Vec<u32> {
        let ranks = ranks.max(1);
        let work = self.expected_work(duration_ms);
        let total: f64 = work.iter().sum();
        let mut bounds = vec![0u32];
        let mut acc = 0.0;
        for (g, w) in work.iter().enumerate() {
            acc += w;
            // cut after cell g when the work so far reaches the next rank's share
            while bounds.len() < ranks && acc >= total * bounds.len() as f64 / ranks as f64 {
                bounds.push(g as u32 + 1);
            }
        }
        while bounds.len() <= ranks {
            bounds.push(work.len() as u32);
        }
        bounds
    }
}

#[cfg(test)]
mod tests {
    use crate::network::{Receptor, Setup, StaticSynapse};
    use crate::{CellType, Connector, Network, Value};

    /// A population receiving input weighs more than one without: the cut moves into it;
    /// bounds always cover every cell once, also with more ranks than cells.
    #[test]
    fn ranges_follow_the_expected_work() {
        let mut net = Network::new(Setup {
            timestep: 0.1,
            seed: 1,
            min_delay: None,
            seeding: Default::default(),
        });
        net.create("quiet", 100, CellType::IfCurrExp).unwrap();
        let busy = net.create("busy", 100, CellType::IfCurrExp).unwrap();
        let noise = net
            .create("noise", 10, CellType::SpikeSourcePoisson)
            .unwrap();
        net.set(&noise, "rate", Value::Scalar(100.0)).unwrap();
        let all = Connector::AllToAll {
            allow_self_connections: true,
        };
        let syn = StaticSynapse::new(0.1, 1.0);
        net.connect(noise, busy, all, syn, Receptor::Excitatory, None)
            .unwrap();
        let b = net.partition(2, 1000.0);
        assert_eq!((b[0], b[2]), (0, 210));
        // busy cells: 1 + 10 + 10 * 100 inputs each, quiet ones 11, sources 101: the work
        // is nearly all in "busy", so the cut falls in its middle (cell 150), not at half the
        // cells (105)
        assert!((148..=152).contains(&b[1]), "{b:?}");
        for ranks in [1, 3, 7, 300] {
            let b = net.partition(ranks, 1000.0);
            assert_eq!(b.len(), ranks + 1);
            assert!(
                b.windows(2).all(|w| w[0] <= w[1]) && b[ranks] == 210,
                "{b:?}"
            );
        }
    }
}
