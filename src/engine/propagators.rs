//! One-step propagators of the step-based backends ([`super::grid`]): exact ones for `grid`,
//! forward Euler for `euler`, for each cell model.
//!
//! # The `euler` backend
//!
//! Everything but the one-step update is the `grid` backend's: inputs,
//! spikes and current switches on grid points, delays rounded to whole steps, the threshold
//! tested after each step, refractoriness in whole steps. One step of `h`, IF_curr_exp:
//!
//! ```text
//! v'      = v + h ((v_inf - v)/tau_m + (isyn_exc + isyn_inh)/cm)
//!         = v_inf + (v - v_inf)(1 - h/tau_m) + isyn_exc h/cm + isyn_inh h/cm
//! isyn_X' = isyn_X (1 - h/tau_syn_X)
//! ```
//!
//! with the old currents in the `v` update (explicit). IF_curr_alpha, with `l = 1/tau_syn_X`
//! and `D_X = dI_X/dt`, the second-order current equation as the first-order system
//! `I' = D`, `D' = -2 l D - l^2 I` ([`crate::model::if_curr_alpha`]):
//!
//! ```text
//! v'   = v_inf + (v - v_inf)(1 - h/tau_m) + I_exc h/cm + I_inh h/cm
//! I_X' = I_X + h D_X
//! D_X' = D_X (1 - 2 l h) - l^2 h I_X
//! ```
//!
//! IF_curr_delta: `v' = v_inf + (v - v_inf)(1 - h/tau_m)` (its inputs are jumps of `v`, the
//! same in both backends). The global error is first order in `h`; the scheme is unstable for
//! `h > 2 tau` (the currents oscillate in sign), as forward Euler is.
//!
//! # IF_curr_alpha's exact propagator
//!
//! Over one step `h` without input (NEST `iaf_psc_alpha`, written for the pair `(I, dI/dt)`
//! that SPEC §8 names; NEST keeps `(I, dI/dt + I/tau_syn)`, the same propagator in another
//! basis), from the closed form of [`crate::model::if_curr_alpha`] with `A = D + l I`:
//!
//! ```text
//! I(h) = (I + (D + l I) h) e^{-l h}            = I e^{-lh} (1 + l h)  + D h e^{-lh}
//! D(h) = ((D + l I)(1 - l h) - l I) e^{-l h}   = -I l^2 h e^{-lh}     + D e^{-lh} (1 - l h)
//! v(h) = v_inf + (v - v_inf) e^{-h/tau_m} + sum_X (I_X (K1 + l K2) + D_X K2) / cm
//! ```
//!
//! with `K1(h)`, `K2(h)` of [`crate::model::if_curr_alpha`] ([`kernel_with`],
//! [`kernel2_with`]: no division by `l - 1/tau_m`, exact at `tau_syn == tau_m`).

use crate::model::if_curr_alpha::kernel2_with;
use crate::model::if_curr_exp::{kernel, kernel_with, Params, Rates};

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

/// One-step propagators of one receptor of an IF_curr_alpha cell, for its state
/// `(I, D = dI/dt)` (module doc): `I' = I ii + D id`, `D' = I di + D dd`, and its share of
/// `v'`, `I vi + D vd`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct AlphaReceptor {
    /// `I -> I` (1).
    pub ii: f64,
    /// `D -> I` (ms).
    pub id: f64,
    /// `I -> D` (1/ms).
    pub di: f64,
    /// `D -> D` (1).
    pub dd: f64,
    /// `I -> v` (mV/nA).
    pub vi: f64,
    /// `D -> v` (mV ms/nA).
    pub vd: f64,
    /// What an input of weight 1 nA adds to `D`: `e / tau_syn` (1/ms).
    pub jump: f64,
}

/// One-step propagators of an IF_curr_alpha cell: `v' = v_inf + (v - v_inf) pm + (the
/// receptors' shares)`, each receptor by its [`AlphaReceptor`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct AlphaPropagators {
    /// Factor of `v - v_inf` (1).
    pub pm: f64,
    /// The excitatory receptor.
    pub exc: AlphaReceptor,
    /// The inhibitory receptor.
    pub inh: AlphaReceptor,
}

impl AlphaPropagators {
    /// Exact propagators over a step `h` (ms), from the closed form (module doc).
    pub(super) fn exact(p: &Params, h: f64) -> Self {
        let lm = 1.0 / p.tau_m;
        let em = (-lm * h).exp();
        let receptor = |tau_syn: f64| {
            let l = 1.0 / tau_syn;
            let ex = (-l * h).exp();
            let (k1, k2) = (
                kernel_with(lm, l, h, em, ex),
                kernel2_with(lm, l, h, em, ex),
            );
            AlphaReceptor {
                ii: ex * (1.0 + l * h),
                id: h * ex,
                di: -l * l * h * ex,
                dd: ex * (1.0 - l * h),
                vi: (k1 + l * k2) / p.cm,
                vd: k2 / p.cm,
                jump: std::f64::consts::E / tau_syn,
            }
        };
        AlphaPropagators {
            pm: em,
            exc: receptor(p.tau_syn_E),
            inh: receptor(p.tau_syn_I),
        }
    }

    /// Forward-Euler propagators over a step `h` (ms) (module doc).
    pub(super) fn euler(p: &Params, h: f64) -> Self {
        let receptor = |tau_syn: f64| {
            let l = 1.0 / tau_syn;
            AlphaReceptor {
                ii: 1.0,
                id: h,
                di: -l * l * h,
                dd: 1.0 - 2.0 * l * h,
                vi: h / p.cm,
                vd: 0.0,
                jump: std::f64::consts::E / tau_syn,
            }
        };
        AlphaPropagators {
            pm: 1.0 - h / p.tau_m,
            exc: receptor(p.tau_syn_E),
            inh: receptor(p.tau_syn_I),
        }
    }

    /// The propagators of `scheme` for a cell with parameters `p` and a step `h` (ms).
    pub(super) fn of(scheme: Scheme, p: &Params, h: f64) -> Self {
        match scheme {
            Scheme::Grid => AlphaPropagators::exact(p, h),
            Scheme::Euler => AlphaPropagators::euler(p, h),
        }
    }
}

/// The factor of `v - v_inf` over a step `h` (ms) of an IF_curr_delta cell: `e^{-h/tau_m}`
/// (`grid`, exact) or `1 - h/tau_m` (`euler`). Its inputs are jumps of `v`, applied at grid
/// points by the engine.
pub(super) fn delta_pm(scheme: Scheme, p: &Params, h: f64) -> f64 {
    match scheme {
        Scheme::Grid => (-(1.0 / p.tau_m) * h).exp(),
        Scheme::Euler => 1.0 - h / p.tau_m,
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

    /// The exact IF_curr_alpha propagators compose to the model's closed form
    /// (`if_curr_alpha::propagate`): n steps of h equal one interval n h, with `tau_syn` far
    /// from, equal to and within 1e-9 of `tau_m` (no division by their difference).
    #[test]
    fn alpha_propagators_compose_to_the_closed_form() {
        use crate::model::if_curr_alpha::{self, propagate};
        for (te, ti) in [
            (0.5, 0.5),
            (20.0, 20.0),
            (3.0, 8.0),
            (20.0 * (1.0 + 1e-9), 0.05),
        ] {
            let p = Params {
                tau_m: 20.0,
                tau_syn_E: te,
                tau_syn_I: ti,
                i_offset: 0.3,
                cm: 0.7,
                ..Params::default()
            };
            let q = if_curr_alpha::Params {
                cm: p.cm,
                tau_m: p.tau_m,
                tau_syn_E: te,
                tau_syn_I: ti,
                i_offset: p.i_offset,
                ..if_curr_alpha::Params::default()
            };
            let d = if_curr_alpha::Derived::of(&q);
            let h = 0.1;
            let pr = AlphaPropagators::exact(&p, h);
            let s0 = if_curr_alpha::State {
                v: -60.0,
                isyn_exc: 0.2,
                disyn_exc: 0.15,
                isyn_inh: -0.15,
                disyn_inh: 0.04,
            };
            let vi = p.v_inf(0.0);
            let (mut v, mut ie, mut de, mut ii, mut di) =
                (s0.v, s0.isyn_exc, s0.disyn_exc, s0.isyn_inh, s0.disyn_inh);
            for k in 1..=500 {
                let (a, b) = (pr.exc, pr.inh);
                v = vi + (v - vi) * pr.pm + ie * a.vi + de * a.vd + ii * b.vi + di * b.vd;
                (ie, de) = (ie * a.ii + de * a.id, ie * a.di + de * a.dd);
                (ii, di) = (ii * b.ii + di * b.id, ii * b.di + di * b.dd);
                let s = propagate(&q, &d, &s0, k as f64 * h, 0.0, false);
                // v to 1e-11 mV, as IF_curr_exp above (500 products of propagators that are
                // each a few ulps off drift by ~1e-12), the currents and derivatives to 1e-13
                // relative
                assert!((v - s.v).abs() < 1e-11, "{te} {ti} {k}: {v} vs {}", s.v);
                for (x, y) in [
                    (ie, s.isyn_exc),
                    (de, s.disyn_exc),
                    (ii, s.isyn_inh),
                    (di, s.disyn_inh),
                ] {
                    assert!(
                        (x - y).abs() <= 1e-13 * y.abs().max(1.0),
                        "{te} {ti} {k}: {x} vs {y}"
                    );
                }
            }
            assert_eq!(pr.exc.jump, std::f64::consts::E / te);
        }
    }

    /// Forward Euler is the first-order Taylor expansion of the exact propagators, for
    /// IF_curr_alpha and IF_curr_delta.
    #[test]
    fn alpha_and_delta_euler_are_first_order_taylor() {
        let p = Params {
            tau_syn_E: 0.5,
            tau_syn_I: 3.0,
            ..Params::default()
        };
        let h = 1e-4;
        let (a, b) = (
            AlphaPropagators::exact(&p, h),
            AlphaPropagators::euler(&p, h),
        );
        assert!((a.pm - b.pm).abs() < h * h);
        for (x, y) in [(a.exc, b.exc), (a.inh, b.inh)] {
            // the second-order terms carry l^2 h^2 (l up to 2/ms here)
            for (u, w) in [
                (x.ii, y.ii),
                (x.id, y.id),
                (x.di, y.di),
                (x.dd, y.dd),
                (x.vi, y.vi),
                (x.vd, y.vd),
            ] {
                assert!((u - w).abs() < 10.0 * h * h, "{u} {w}");
            }
            assert_eq!(x.jump, y.jump);
        }
        let (dg, de) = (
            delta_pm(Scheme::Grid, &p, h),
            delta_pm(Scheme::Euler, &p, h),
        );
        assert!((dg - de).abs() < h * h && dg == (-h / 20.0f64).exp());
    }
}
