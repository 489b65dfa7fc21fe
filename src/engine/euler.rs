//! The `euler` backend: forward Euler for `v` and the synaptic currents on the time grid.
//!
//! Everything but the one-step update is the `grid` backend's ([`super::grid`]): inputs,
//! spikes and current switches on grid points, delays rounded to whole steps, the threshold
//! tested after each step, refractoriness in whole steps. One step of `h`:
//!
//! ```text
//! v'      = v + h ((v_inf - v)/tau_m + (isyn_exc + isyn_inh)/cm)
//!         = v_inf + (v - v_inf)(1 - h/tau_m) + isyn_exc h/cm + isyn_inh h/cm
//! isyn_X' = isyn_X (1 - h/tau_syn_X)
//! ```
//!
//! with the old currents in the `v` update (explicit). The global error is first order in `h`;
//! the scheme is unstable for `h > 2 tau` (the currents oscillate in sign), as forward Euler is.

use super::grid::Propagators;
use crate::model::if_curr_exp::Params;

impl Propagators {
    /// Forward-Euler propagators over a step `h` (ms): `pm = 1 - h/tau_m`, `pX = h/cm`,
    /// `dX = 1 - h/tau_syn_X`.
    pub fn euler(p: &Params, h: f64) -> Self {
        Propagators {
            pm: 1.0 - h / p.tau_m,
            pe: h / p.cm,
            pi: h / p.cm,
            de: 1.0 - h / p.tau_syn_E,
            di: 1.0 - h / p.tau_syn_I,
        }
    }
}
