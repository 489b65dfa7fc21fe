//! One-step propagators of the step-based backends ([`super::grid`]): exact ones for `grid`,
//! forward Euler for `euler`.
//!
//! # The `euler` backend
//!
//! Everything but the one-step update is the `grid` backend's: inputs,
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

use crate::model::if_curr_exp::{kernel, Params, Rates};

/// Which one-step integration a [`super::grid::StepEngine`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Exact propagators on the grid (backend `grid`, NEST `iaf_psc_exp`).
    Grid,
    /// Forward Euler on the grid (backend `euler`).
    Euler,
}

/// One-step propagators of one cell (see the module doc): `v' = v_inf + (v - v_inf) pm +
/// isyn_exc pe + isyn_inh pi`, `isyn_X' = isyn_X dX`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Propagators {
    /// Factor of `v - v_inf` (1).
    pub pm: f64,
    /// Contribution of `isyn_exc` to `v` (mV/nA).
    pub pe: f64,
    /// Contribution of `isyn_inh` to `v` (mV/nA).
    pub pi: f64,
    /// Decay factor of `isyn_exc` (1).
    pub de: f64,
    /// Decay factor of `isyn_inh` (1).
    pub di: f64,
}

impl Propagators {
    /// Exact propagators over a step `h` (ms): the closed form of
    /// [`crate::model::if_curr_exp`], `pm = e^{-h/tau_m}`, `pX = K_X(h)/cm`,
    /// `dX = e^{-h/tau_X}`, with [`kernel`] (accurate at and near `tau_syn == tau_m`).
    pub(super) fn exact(p: &Params, h: f64) -> Self {
        let r = Rates::of(p);
        Propagators {
            pm: (-r.lm * h).exp(),
            pe: kernel(r.lm, r.le, h) / p.cm,
            pi: kernel(r.lm, r.li, h) / p.cm,
            de: (-r.le * h).exp(),
            di: (-r.li * h).exp(),
        }
    }

    /// Forward-Euler propagators over a step `h` (ms): `pm = 1 - h/tau_m`, `pX = h/cm`,
    /// `dX = 1 - h/tau_syn_X`.
    pub(super) fn euler(p: &Params, h: f64) -> Self {
        Propagators {
            pm: 1.0 - h / p.tau_m,
            pe: h / p.cm,
            pi: h / p.cm,
            de: 1.0 - h / p.tau_syn_E,
            di: 1.0 - h / p.tau_syn_I,
        }
    }

    /// The propagators of `scheme` for a cell with parameters `p` and a step `h` (ms).
    pub(super) fn of(scheme: Scheme, p: &Params, h: f64) -> Self {
        match scheme {
            Scheme::Grid => Propagators::exact(p, h),
            Scheme::Euler => Propagators::euler(p, h),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact propagators compose to the closed form: n steps of h equal one interval n h.
    #[test]
    fn exact_propagators_compose_to_the_closed_form() {
        use crate::model::if_curr_exp::Free;
        for (te, ti) in [(5.0, 5.0), (20.0, 20.0), (3.0, 8.0), (19.999999, 2.0)] {
            let p = Params {
                tau_m: 20.0,
                tau_syn_E: te,
                tau_syn_I: ti,
                i_offset: 0.3,
                cm: 0.7,
                ..Params::default()
            };
            let h = 0.1;
            let pr = Propagators::exact(&p, h);
            let vi = p.v_inf(0.0);
            let (mut v, mut ie, mut ii) = (-60.0, 2.0, -1.5);
            let f = Free {
                v0: v,
                ie0: ie,
                ii0: ii,
                v_inf: vi,
                cm: p.cm,
                rates: Rates::of(&p),
            };
            for k in 1..=500 {
                v = vi + (v - vi) * pr.pm + ie * pr.pe + ii * pr.pi;
                ie *= pr.de;
                ii *= pr.di;
                let s = f.state(k as f64 * h);
                assert!((v - s.v).abs() < 1e-11, "{te} {ti} {k}: {v} {}", s.v);
                assert!((ie - s.isyn_exc).abs() < 1e-13);
                assert!((ii - s.isyn_inh).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn euler_propagators_are_first_order_taylor() {
        let p = Params::default();
        let h = 1e-4;
        let a = Propagators::exact(&p, h);
        let b = Propagators::euler(&p, h);
        assert!((a.pm - b.pm).abs() < h * h);
        assert!((a.pe - b.pe).abs() < h * h);
        assert!((a.de - b.de).abs() < h * h);
    }
}
