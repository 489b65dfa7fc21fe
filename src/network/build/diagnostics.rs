//! Warnings about a valid network: populations that can never fire.

use super::super::{CellType, Network};
use crate::engine::Simulation;

/// A warning about a valid model: something the user probably did not intend.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The population concerned.
    pub population: String,
    /// One or two plain sentences, with the numbers.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "population \"{}\": {}", self.population, self.message)
    }
}

impl Network {
    /// Warnings about the (valid) network: populations that can never fire. A population
    /// that receives no synaptic input, starts below threshold with no excitatory current,
    /// and whose `v_inf = v_rest + (i_offset + i_inj) * tau_m / cm` stays at or below
    /// `v_thresh` even with its injected currents at their largest, never fires.
    pub fn diagnostics(&self, sim: &Simulation) -> Vec<Diagnostic> {
        let net = sim.net();
        let mut out = Vec::new();
        let mut max_inj = vec![0.0f64; net.n_cells()];
        for s in &net.current_switches {
            // a sine adds at most its amplitude (its effect on v is at most |A| tau_m/cm)
            let sines: f64 = net
                .drives
                .get(s.drive as usize)
                .map_or(0.0, |d| d.sines.iter().map(|s| s.amplitude.abs()).sum());
            let g = s.cell as usize;
            max_inj[g] = max_inj[g].max(s.i_inj + sines);
        }
        for (pi, pop) in self.populations.iter().enumerate() {
            if pop.cell_type != CellType::IfCurrExp || net.receives_input[pi] {
                continue;
            }
            let off = net.layout[pi].offset as usize;
            let cells = off..off + pop.size;
            let silent: Vec<usize> = cells
                .clone()
                .filter(|&g| {
                    let p = &net.params[g];
                    let s = &net.init[g];
                    s.v < p.v_thresh && s.isyn_exc == 0.0 && p.v_inf(max_inj[g]) <= p.v_thresh
                })
                .collect();
            if silent.is_empty() {
                continue;
            }
            let g = silent[0];
            let p = &net.params[g];
            let n = fmt_num;
            let detail = if max_inj[g] != 0.0 {
                format!(
                    "v_inf = v_rest + (i_offset + i_inj)*tau_m/cm = {} + ({} + {})*{}/{} = {} mV, below v_thresh = {} mV, with the injected current i_inj at its largest",
                    n(p.v_rest), n(p.i_offset), n(max_inj[g]), n(p.tau_m), n(p.cm), n(p.v_inf(max_inj[g])), n(p.v_thresh)
                )
            } else {
                format!(
                    "v_inf = v_rest + i_offset*tau_m/cm = {} + {}*{}/{} = {} mV, below v_thresh = {} mV",
                    n(p.v_rest), n(p.i_offset), n(p.tau_m), n(p.cm), n(p.v_inf(0.0)), n(p.v_thresh)
                )
            };
            let message = if silent.len() == pop.size {
                let which = if pop.size > 1 {
                    format!("none of its {} cells can ever fire", pop.size)
                } else {
                    "its cell can never fire".to_string()
                };
                let cell = if pop.size > 1 {
                    format!("e.g. cell {}: ", g - off)
                } else {
                    String::new()
                };
                format!(
                    "{which}: it receives no synaptic input and starts below threshold, and {cell}{detail}. To fire, raise i_offset above (v_thresh - v_rest)*cm/tau_m = {} nA or add input",
                    n((p.v_thresh - p.v_rest) * p.cm / p.tau_m - max_inj[g])
                )
            } else {
                format!(
                    "{} of {} cells can never fire: no synaptic input, and their v_inf stays below v_thresh (e.g. cell {}: {detail})",
                    silent.len(),
                    pop.size,
                    g - off
                )
            };
            out.push(Diagnostic {
                population: pop.label.clone(),
                message,
            });
        }
        out
    }
}

/// A number for a message: at most 10 significant digits, so -64.00000000000001 shows as -64
/// and a drawn -66.21427137631144 as -66.21427138.
fn fmt_num(x: f64) -> String {
    let r: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    format!("{r}")
}
