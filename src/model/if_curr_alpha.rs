//! `IF_curr_alpha`: PyNN's leaky integrate-and-fire cell with alpha-shaped, current-based
//! synapses (NEST `iaf_psc_alpha` semantics, which pyNN.nest uses; SPEC §8).
//!
//! # Dynamics
//!
//! ```text
//! dv/dt        = (v_rest - v)/tau_m + (isyn_exc + isyn_inh + i_offset + i_inj)/cm
//! d2I_X/dt2    = -2/tau_X dI_X/dt - I_X/tau_X^2          X in {exc, inh}, tau_X = tau_syn_X
//! ```
//!
//! Each receptor's state is the pair `(I_X, dI_X/dt)` (nA, nA/ms). An input of weight `w` (nA)
//! at `t0` adds `w e / tau_X` to `dI_X/dt`, which from rest gives the alpha current
//! `w (t - t0)/tau_X exp(1 - (t - t0)/tau_X)`, peaking at `w` at `t0 + tau_X`.
//!
//! # Closed form over an interval of length `t` with constant injected current
//!
//! With the rate `l = 1/tau_X`, write `A = dI/dt + l I` (nA/ms; an input adds `w e l` to it,
//! and `A` decays as `A(t) = A0 e^{-l t}`). Then
//!
//! ```text
//! I(t)     = (I0 + A0 t) e^{-l t}
//! dI/dt(t) = (A0 - l (I0 + A0 t)) e^{-l t}
//! v(t)     = v_inf + (v0 - v_inf) e^{-t/tau_m} + sum_X (I0_X K1_X(t) + A0_X K2_X(t)) / cm
//! K1(t)    = int_0^t e^{-lm (t-s)} e^{-l s} ds   = (e^{-lm t} - e^{-l t}) / (l - lm)
//! K2(t)    = int_0^t e^{-lm (t-s)} s e^{-l s} ds = (e^{-lm t} - e^{-l t} - (l - lm) t e^{-l t}) / (l - lm)^2
//! ```
//!
//! with `lm = 1/tau_m` and `v_inf = v_rest + (i_offset + i_inj) tau_m / cm`. `K1` is
//! [`kernel_with`] of `IF_curr_exp` (the same function). `K2` is evaluated by [`kernel2_with`]
//! without cancellation: factoring the slower exponential out of the integral,
//!
//! ```text
//! K2(t) = t^2 e^{-lm t} psi(y)   (l >= lm),     K2(t) = t^2 e^{-l t} chi(y)   (l < lm),     y = |l - lm| t
//! psi(y) = int_0^1 u e^{-y u} du,               chi(y) = int_0^1 (1 - u) e^{-y u} du
//! ```
//!
//! both in `(0, 1/2]`, summed from their Taylor series for `y <= 1/2` and from the quotient
//! above otherwise (where it loses at most a factor ~10 to cancellation). At `tau_X == tau_m`
//! this is `K1 = t e^{-t/tau_m}`, `K2 = t^2/2 e^{-t/tau_m}` with no special case, and near it
//! nothing is divided by `l - lm` (tests: `kernels_continuous_through_the_singularity`).
//!
//! # Spike and refractoriness
//!
//! A spike happens at the first time `v(t) >= v_thresh` (found exactly by
//! `threshold::alpha`). Then `v = v_reset` is held for `tau_refrac` while both currents keep
//! evolving by the closed form above and keep receiving input ([`propagate`] with
//! `refractory`); at the end `v` evolves freely from `v_reset`.
//!
//! # Parameters (PyNN names, units and defaults)
//!
//! | name | default | unit | meaning |
//! |---|---|---|---|
//! | cm | 1.0 | nF | membrane capacitance |
//! | tau_m | 20.0 | ms | membrane time constant |
//! | tau_syn_E | 0.5 | ms | rise time of the excitatory alpha current |
//! | tau_syn_I | 0.5 | ms | rise time of the inhibitory alpha current |
//! | tau_refrac | 0.1 | ms | refractory period |
//! | v_rest | -65.0 | mV | resting potential |
//! | v_reset | -65.0 | mV | reset potential |
//! | v_thresh | -50.0 | mV | spike threshold |
//! | i_offset | 0.0 | nA | constant injected current |
//!
//! State: `v` (mV, initially -65), `isyn_exc`, `isyn_inh` (nA, initially 0) and their time
//! derivatives (nA/ms, initially 0; not user-set). The validity domain is `IF_curr_exp`'s
//! (same ranges, same checks: [`Params::validate`]).

use super::if_curr_exp::{
    check_current, check_values, decay_with, kernel_with, num, Eval, ParamError, V_MAX,
};

/// Parameter names in PyNN's order, with defaults and units (SPEC §8).
pub(crate) const PARAMETERS: [(&str, f64, &str); 9] = [
    ("cm", 1.0, "nF"),
    ("tau_m", 20.0, "ms"),
    ("tau_syn_E", 0.5, "ms"),
    ("tau_syn_I", 0.5, "ms"),
    ("tau_refrac", 0.1, "ms"),
    ("v_rest", -65.0, "mV"),
    ("v_reset", -65.0, "mV"),
    ("v_thresh", -50.0, "mV"),
    ("i_offset", 0.0, "nA"),
];

/// Validated parameters of one `IF_curr_alpha` cell (PyNN names; units in each field's doc).
/// The same fields and validity domain as `IF_curr_exp`'s, with PyNN's alpha defaults.
#[allow(non_snake_case)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Membrane capacitance (nF).
    pub cm: f64,
    /// Membrane time constant (ms).
    pub tau_m: f64,
    /// Rise time of the excitatory alpha current (ms): its peak comes `tau_syn_E` after input.
    pub tau_syn_E: f64,
    /// Rise time of the inhibitory alpha current (ms).
    pub tau_syn_I: f64,
    /// Refractory period (ms), >= 0.
    pub tau_refrac: f64,
    /// Resting potential (mV).
    pub v_rest: f64,
    /// Reset potential after a spike (mV), < v_thresh.
    pub v_reset: f64,
    /// Spike threshold (mV).
    pub v_thresh: f64,
    /// Constant injected current (nA).
    pub i_offset: f64,
}

impl Default for Params {
    /// PyNN's defaults ([`PARAMETERS`]).
    #[allow(non_snake_case)]
    fn default() -> Self {
        let [cm, tau_m, tau_syn_E, tau_syn_I, tau_refrac, v_rest, v_reset, v_thresh, i_offset] =
            PARAMETERS.map(|(_, d, _)| d);
        Params {
            cm,
            tau_m,
            tau_syn_E,
            tau_syn_I,
            tau_refrac,
            v_rest,
            v_reset,
            v_thresh,
            i_offset,
        }
    }
}

impl Params {
    /// The values in the order of [`PARAMETERS`].
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
    pub fn values(&self) -> [f64; 9] {
        [
            self.cm,
            self.tau_m,
            self.tau_syn_E,
            self.tau_syn_I,
            self.tau_refrac,
            self.v_rest,
            self.v_reset,
            self.v_thresh,
            self.i_offset,
        ]
    }

    /// Checks SPEC §5 and the validity domain: the rules of `IF_curr_exp`
    /// (`if_curr_exp::check_values`: same names, same order, same ranges), all or nothing.
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
    pub fn validate(&self) -> Result<(), ParamError> {
        check_values(&self.values().map(Some))
    }

    /// Asymptotic potential `v_inf = v_rest + (i_offset + i_inj) tau_m / cm` (mV) for an
    /// injected current `i_inj` (nA).
    #[inline]
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
    pub fn v_inf(&self, i_inj: f64) -> f64 {
        self.v_rest + (self.i_offset + i_inj) * self.tau_m / self.cm
    }
}

/// What an input of weight `w` (nA) adds to `dI/dt` of a receptor with time constant `tau_syn`
/// (ms): `w e / tau_syn` (nA/ms), so that the current from rest peaks at `w` after `tau_syn`.
#[inline]
pub fn input_jump(w: f64, tau_syn: f64) -> f64 {
    w * std::f64::consts::E / tau_syn
}

/// The dynamic state of one cell at a time `t` (not stored here).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct State {
    /// Membrane potential (mV).
    pub v: f64,
    /// Excitatory current (nA).
    pub isyn_exc: f64,
    /// Its time derivative (nA/ms).
    pub disyn_exc: f64,
    /// Inhibitory current (nA).
    pub isyn_inh: f64,
    /// Its time derivative (nA/ms).
    pub disyn_inh: f64,
}

impl State {
    /// PyNN's initial values: `v = -65` mV, no current.
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
    pub fn initial() -> Self {
        State {
            v: -65.0,
            ..State::default()
        }
    }

    /// Checks an initial state: finite values, `v` within `V_MAX`, the currents within
    /// `I_MAX`, `isyn_exc >= 0`, `isyn_inh <= 0` (as `IF_curr_exp`'s).
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
    pub fn validate(&self) -> Result<(), ParamError> {
        let err = |name, message| Err(ParamError { name, message });
        for (name, x) in [
            ("v", self.v),
            ("isyn_exc", self.isyn_exc),
            ("isyn_inh", self.isyn_inh),
            ("disyn_exc", self.disyn_exc),
            ("disyn_inh", self.disyn_inh),
        ] {
            if !x.is_finite() {
                return err(name, format!("initial value must be finite, got {x}"));
            }
        }
        if self.v.abs() > V_MAX {
            return err(
                "v",
                format!(
                    "initial value must be within [-1e6, 1e6] mV (the range exactlif's solver \
                     covers), got {} mV",
                    num(self.v)
                ),
            );
        }
        for (name, x) in [("isyn_exc", self.isyn_exc), ("isyn_inh", self.isyn_inh)] {
            if let Err(m) = check_current(x) {
                return err(name, format!("initial value {m}"));
            }
        }
        if self.isyn_exc < 0.0 {
            return err(
                "isyn_exc",
                format!("must be >= 0 nA, got {}", self.isyn_exc),
            );
        }
        if self.isyn_inh > 0.0 {
            return err(
                "isyn_inh",
                format!("must be <= 0 nA, got {}", self.isyn_inh),
            );
        }
        Ok(())
    }
}

/// Quantities derived once per parameter set: the rates (1/ms) and the suprema of the two
/// kernels per receptor (ms, ms^2), for the solver's rejection bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Derived {
    /// `lm = 1/tau_m` (1/ms).
    pub lm: f64,
    /// `[1/tau_syn_E, 1/tau_syn_I]` (1/ms).
    pub l: [f64; 2],
    /// `sup_t K1` per receptor (ms), slightly rounded up.
    pub k1max: [f64; 2],
    /// `sup_t K2` per receptor (ms^2), slightly rounded up.
    pub k2max: [f64; 2],
    /// Membrane capacitance (nF).
    pub cm: f64,
    /// `[tau_syn_E, tau_syn_I]` (ms), for [`input_jump`].
    pub tau_syn: [f64; 2],
}

impl Derived {
    /// The derived quantities of a (valid) parameter set.
    pub fn of(p: &Params) -> Self {
        let lm = 1.0 / p.tau_m;
        let l = [1.0 / p.tau_syn_E, 1.0 / p.tau_syn_I];
        Derived {
            lm,
            l,
            k1max: l.map(|lx| k1_max(lm, lx)),
            k2max: l.map(|lx| k2_max(lm, lx)),
            cm: p.cm,
            tau_syn: [p.tau_syn_E, p.tau_syn_I],
        }
    }
}

/// `sup_t K1(t)` (ms), rounded up by a relative 1e-12: `K1' = e^{-l t} - lm K1` vanishes once,
/// at `t = ln(l/lm)/(l - lm)` (`tau_m` at `l == lm`), written with `ln_1p` near `l == lm`.
fn k1_max(lm: f64, lx: f64) -> f64 {
    let d = lx - lm;
    let t = if d == 0.0 {
        1.0 / lm
    } else {
        (d / lm).ln_1p() / d
    };
    kernel_with(lm, lx, t, (-lm * t).exp(), (-lx * t).exp()) * (1.0 + 1e-12)
}

/// `sup_t K2(t)` (ms^2), rounded up by a relative 1e-12.
///
/// `K2' = t e^{-l t} - lm K2`, and `(e^{lm t} K2')' = (1 - l t) e^{-(l - lm) t}` changes sign
/// once, at `1/l`: so `e^{lm t} K2'` rises from 0 and then falls, `K2'` changes sign once, and
/// `K2` has a single maximum, found by bisection on the sign of `K2'` (the value at the maximum
/// is flat in `t`, so the bisection's last bits do not matter).
fn k2_max(lm: f64, lx: f64) -> f64 {
    let dk2 = |t: f64| {
        let (em, ex) = ((-lm * t).exp(), (-lx * t).exp());
        t * ex - lm * kernel2_with(lm, lx, t, em, ex)
    };
    let (mut a, mut b) = (0.0, 1.0 / lx.min(lm));
    while dk2(b) > 0.0 {
        (a, b) = (b, 2.0 * b);
    }
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if m <= a || m >= b {
            break;
        }
        if dk2(m) > 0.0 {
            a = m;
        } else {
            b = m;
        }
    }
    let k = |t: f64| kernel2_with(lm, lx, t, (-lm * t).exp(), (-lx * t).exp());
    k(a).max(k(b)) * (1.0 + 1e-12)
}

/// `K1(t) = (e^{-lm t} - e^{-lx t}) / (lx - lm)` (ms), without cancellation.
#[inline]
#[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
pub(crate) fn kernel1(lm: f64, lx: f64, t: f64) -> f64 {
    kernel_with(lm, lx, t, (-lm * t).exp(), (-lx * t).exp())
}

/// `K2(t) = int_0^t e^{-lm (t-s)} s e^{-lx s} ds` (ms^2), without cancellation (module doc).
#[inline]
#[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
pub(crate) fn kernel2(lm: f64, lx: f64, t: f64) -> f64 {
    kernel2_with(lm, lx, t, (-lm * t).exp(), (-lx * t).exp())
}

/// [`kernel2`] given `em = e^{-lm t}` and `ex = e^{-lx t}`.
///
/// With `d = lx - lm` and `y = |d| t`: for `y > 1/2` the quotient
/// `K2 = (em - ex - d t ex) / d^2`, whose numerator is `y^2 psi(y)` (or `y^2 chi(y)`) times the
/// slower exponential, at least `0.09` of it at `y = 1/2`: a relative error below `~12 eps`;
/// for `y <= 1/2`, `t^2 e_slow psi(y)` (`lx >= lm`) or `t^2 e_slow chi(y)` (`lx < lm`) with the
/// series of [`psi_small`], [`chi_small`] (no transcendental call, as accurate as the inputs).
#[inline]
pub(crate) fn kernel2_with(lm: f64, lx: f64, t: f64, em: f64, ex: f64) -> f64 {
    let d = lx - lm;
    let y = d.abs() * t;
    if y > 0.5 {
        // (em - ex - d t ex) / d^2
        (em - ex - d * t * ex) / (d * d)
    } else if d >= 0.0 {
        // t^2 e^{-lm t} psi(y)
        t * t * em * psi_small(y)
    } else {
        // t^2 e^{-lx t} chi(y)
        t * t * ex * chi_small(y)
    }
}

/// Taylor coefficients: `psi(y) = sum_k (-1)^k y^k / (k! (k + 2))` and
/// `chi(y) = sum_k (-1)^k y^k / (k + 2)!`, to `k = 15` (remainders below `0.5^16/16!/18 < 5e-20`
/// for `y <= 1/2`).
const fn series() -> ([f64; 16], [f64; 16]) {
    let (mut psi, mut chi) = ([0.0; 16], [0.0; 16]);
    let mut fact = 1.0; // k!
    let mut k = 0;
    while k < 16 {
        if k > 0 {
            fact *= k as f64;
        }
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        psi[k] = sign / (fact * (k as f64 + 2.0));
        chi[k] = sign / (fact * (k as f64 + 1.0) * (k as f64 + 2.0));
        k += 1;
    }
    (psi, chi)
}
const SERIES: ([f64; 16], [f64; 16]) = series();

/// `psi(y) = int_0^1 u e^{-y u} du = (1 - e^{-y} (1 + y)) / y^2` for `0 <= y <= 1/2`.
#[inline]
fn psi_small(y: f64) -> f64 {
    SERIES.0.iter().rev().fold(0.0, |acc, &c| acc * y + c)
}

/// `chi(y) = int_0^1 (1 - u) e^{-y u} du = (y - 1 + e^{-y}) / y^2` for `0 <= y <= 1/2`.
#[inline]
fn chi_small(y: f64) -> f64 {
    SERIES.1.iter().rev().fold(0.0, |acc, &c| acc * y + c)
}

/// One receptor of a free trajectory: rate `l` (1/ms), current `i0` (nA) and `a0 = dI/dt + l I`
/// (nA/ms) at relative time 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Syn {
    /// `1/tau_syn` (1/ms).
    pub l: f64,
    /// `I` at 0 (nA).
    pub i0: f64,
    /// `A = dI/dt + l I` at 0 (nA/ms).
    pub a0: f64,
}

impl Syn {
    /// The receptor in state `(i, di)` (nA, nA/ms) with rate `l`.
    #[inline]
    pub fn of(l: f64, i: f64, di: f64) -> Self {
        Syn {
            l,
            i0: i,
            a0: di + l * i,
        }
    }

    /// Whether it carries no current at all (then it plays no part).
    #[inline]
    pub fn is_zero(&self) -> bool {
        self.i0 == 0.0 && self.a0 == 0.0
    }

    /// `(I(t), dI/dt(t))` (nA, nA/ms) given `ex = e^{-l t}`:
    /// `I = (I0 + A0 t) e^{-l t}`, `dI/dt = (A0 - l (I0 + A0 t)) e^{-l t}`.
    #[inline]
    pub fn at(&self, t: f64, ex: f64) -> (f64, f64) {
        let p = self.i0 + self.a0 * t;
        (p * ex, (self.a0 - self.l * p) * ex)
    }
}

/// A free (non-refractory, input-free) `IF_curr_alpha` trajectory from relative time 0, with
/// constant injected current (in `v_inf`). Units: mV, nA, nF, 1/ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Free {
    /// `v` at 0 (mV).
    pub v0: f64,
    /// Asymptotic potential (mV).
    pub v_inf: f64,
    /// Membrane capacitance (nF).
    pub cm: f64,
    /// `1/tau_m` (1/ms).
    pub lm: f64,
    /// The excitatory and the inhibitory receptor.
    pub syn: [Syn; 2],
}

impl Free {
    /// The free trajectory from state `s` with injected current `i_inj` (nA).
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
    pub fn new(p: &Params, d: &Derived, s: &State, i_inj: f64) -> Self {
        Free {
            v0: s.v,
            v_inf: p.v_inf(i_inj),
            cm: p.cm,
            lm: d.lm,
            syn: [
                Syn::of(d.l[0], s.isyn_exc, s.disyn_exc),
                Syn::of(d.l[1], s.isyn_inh, s.disyn_inh),
            ],
        }
    }

    /// `v(t)` (mV).
    #[inline]
    pub fn v(&self, t: f64) -> f64 {
        self.eval(t).v
    }

    /// `(v(t), v'(t))` (mV, mV/ms).
    #[inline]
    pub fn v_dv(&self, t: f64) -> (f64, f64) {
        let e = self.eval(t);
        (e.v, e.dv)
    }

    /// `v`, `v'`, `v''` at relative time `t >= 0` and a bound on the rounding of `v'`
    /// (`8 eps` times the sum of the magnitudes of its terms, plus `1e-300`).
    ///
    /// ```text
    /// v   = v_inf + a e^{-lm t} + sum_X u_X,        a = v0 - v_inf,  u_X = (I0 K1 + A0 K2)/cm
    /// v'  = -lm a e^{-lm t} + sum_X (I_X(t)/cm - lm u_X)      (K1' = e^{-l t} - lm K1, K2' = t e^{-l t} - lm K2)
    /// v'' = -lm v' + sum_X (dI_X/dt)(t)/cm                    (the ODE, differentiated)
    /// ```
    #[inline]
    pub fn eval(&self, t: f64) -> Eval {
        let lm = self.lm;
        let a = self.v0 - self.v_inf;
        let em = (-lm * t).exp();
        let mut v = self.v_inf + a * em;
        let mut dv = -lm * a * em;
        let mut scale = dv.abs();
        let mut di = 0.0;
        for s in &self.syn {
            if s.is_zero() {
                continue;
            }
            let ex = decay_with(lm, s.l, t, em);
            let (ci, ca) = (s.i0 / self.cm, s.a0 / self.cm);
            let (k1, k2) = (
                kernel_with(lm, s.l, t, em, ex),
                kernel2_with(lm, s.l, t, em, ex),
            );
            let u = ci * k1 + ca * k2;
            let (i, j) = s.at(t, ex);
            v += u;
            dv += i / self.cm - lm * u;
            scale += (ci.abs() + (ca * t).abs()) * ex + lm * (ci.abs() * k1 + ca.abs() * k2);
            di += j / self.cm;
        }
        Eval {
            v,
            dv,
            d2v: -lm * dv + di,
            dv_err: 8.0 * f64::EPSILON * scale + 1e-300,
        }
    }

    /// The full state at relative time `t` (free: `v` by the closed form).
    pub fn state(&self, t: f64) -> State {
        let mut s = currents_at(&self.syn, self.lm, t);
        s.v = self.v(t);
        s
    }
}

/// The currents `(I, dI/dt)` of both receptors at relative time `t`, `v` left at 0.
fn currents_at(syn: &[Syn; 2], lm: f64, t: f64) -> State {
    let em = (-lm * t).exp();
    let [(ie, die), (ii, dii)] = syn.map(|s| s.at(t, decay_with(lm, s.l, t, em)));
    State {
        v: 0.0,
        isyn_exc: ie,
        disyn_exc: die,
        isyn_inh: ii,
        disyn_inh: dii,
    }
}

/// The exact state after a time `h` (ms) without input from state `s`, with injected current
/// `i_inj` (nA). Free: the closed form of the module doc. `refractory`: `v` stays at
/// `p.v_reset` while the currents evolve (NEST `iaf_psc_alpha`).
#[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
pub(crate) fn propagate(
    p: &Params,
    d: &Derived,
    s: &State,
    h: f64,
    i_inj: f64,
    refractory: bool,
) -> State {
    let f = Free::new(p, d, s, i_inj);
    if refractory {
        State {
            v: p.v_reset,
            ..currents_at(&f.syn, f.lm, h)
        }
    } else {
        f.state(h)
    }
}

/// The `IF_curr_alpha` model as a [`CellModel`](super::CellModel) (module doc of
/// [`crate::model`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IfCurrAlpha;

impl super::CellModel for IfCurrAlpha {
    const KIND: super::ModelKind = super::ModelKind::Alpha;
    const NAME: &'static str = "IF_curr_alpha";
    const PARAMETERS: &'static [(&'static str, f64, &'static str)] = &PARAMETERS;
    /// As `IF_curr_exp`'s: the derivatives `disyn_*` start at 0 and are not set by users.
    const STATE_VARIABLES: &'static [(&'static str, f64, &'static str)] =
        &super::if_curr_exp::STATE_VARIABLES;
    const RECORDABLES: &'static [&'static str] = &["v", "isyn_exc", "isyn_inh"];
    const JUMPS: bool = false;

    type Params = Params;
    type State = State;
    type Derived = Derived;
    type Free = Free;

    fn params_from_values(values: &[f64]) -> Params {
        let v: [f64; 9] = values.try_into().expect("IF_curr_alpha has 9 parameters");
        Params {
            cm: v[0],
            tau_m: v[1],
            tau_syn_E: v[2],
            tau_syn_I: v[3],
            tau_refrac: v[4],
            v_rest: v[5],
            v_reset: v[6],
            v_thresh: v[7],
            i_offset: v[8],
        }
    }
    fn validate_params(p: &Params) -> Result<(), ParamError> {
        p.validate()
    }
    fn initial_state() -> State {
        State::initial()
    }
    fn validate_state(s: &State) -> Result<(), ParamError> {
        s.validate()
    }
    fn derived(p: &Params) -> Derived {
        Derived::of(p)
    }
    fn v_inf(p: &Params, i_inj: f64) -> f64 {
        p.v_inf(i_inj)
    }
    fn v(s: &State) -> f64 {
        s.v
    }
    fn free(d: &Derived, s: &State, v_inf: f64) -> Free {
        Free {
            v0: s.v,
            v_inf,
            cm: d.cm,
            lm: d.lm,
            syn: [
                Syn::of(d.l[0], s.isyn_exc, s.disyn_exc),
                Syn::of(d.l[1], s.isyn_inh, s.disyn_inh),
            ],
        }
    }
    fn free_state(f: &Free, t: f64) -> State {
        f.state(t)
    }
    fn refractory_state(d: &Derived, s: &State, dt: f64, v_reset: f64) -> State {
        let syn = [
            Syn::of(d.l[0], s.isyn_exc, s.disyn_exc),
            Syn::of(d.l[1], s.isyn_inh, s.disyn_inh),
        ];
        State {
            v: v_reset,
            ..currents_at(&syn, d.lm, dt)
        }
    }
    fn add_input(d: &Derived, s: &mut State, r: super::Receptor, w: f64) {
        match r {
            super::Receptor::Excitatory => s.disyn_exc += input_jump(w, d.tau_syn[0]),
            super::Receptor::Inhibitory => s.disyn_inh += input_jump(w, d.tau_syn[1]),
        }
    }
    fn sample(s: &State, out: &mut [f64]) {
        out.copy_from_slice(&[s.v, s.isyn_exc, s.isyn_inh]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::E;

    /// The ODE of the module doc as a first-order system `y = (v, I_E, J_E, I_I, J_I)`.
    fn rhs(p: &Params, i_inj: f64, y: [f64; 5]) -> [f64; 5] {
        let (le, li) = (1.0 / p.tau_syn_E, 1.0 / p.tau_syn_I);
        [
            (p.v_inf(i_inj) - y[0]) / p.tau_m + (y[1] + y[3]) / p.cm,
            y[2],
            -2.0 * le * y[2] - le * le * y[1],
            y[4],
            -2.0 * li * y[4] - li * li * y[3],
        ]
    }

    /// Classical RK4 with `n` steps over `h`: an independent numerical reference (error
    /// `~(h/n)^4`, with `h/n = 1e-4` ms well below 1e-12 relative).
    fn rk4(p: &Params, i_inj: f64, s: &State, h: f64, n: usize) -> State {
        let mut y = [s.v, s.isyn_exc, s.disyn_exc, s.isyn_inh, s.disyn_inh];
        let dt = h / n as f64;
        let add = |y: [f64; 5], k: [f64; 5], c: f64| std::array::from_fn(|i| y[i] + c * k[i]);
        for _ in 0..n {
            let k1 = rhs(p, i_inj, y);
            let k2 = rhs(p, i_inj, add(y, k1, dt / 2.0));
            let k3 = rhs(p, i_inj, add(y, k2, dt / 2.0));
            let k4 = rhs(p, i_inj, add(y, k3, dt));
            y = std::array::from_fn(|i| {
                y[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            });
        }
        State {
            v: y[0],
            isyn_exc: y[1],
            disyn_exc: y[2],
            isyn_inh: y[3],
            disyn_inh: y[4],
        }
    }

    fn close(a: &State, b: &State, tol: f64) -> bool {
        (a.v - b.v).abs() <= tol
            && (a.isyn_exc - b.isyn_exc).abs() <= tol
            && (a.isyn_inh - b.isyn_inh).abs() <= tol
            && (a.disyn_exc - b.disyn_exc).abs() <= tol * 10.0
            && (a.disyn_inh - b.disyn_inh).abs() <= tol * 10.0
    }

    #[test]
    fn defaults_are_pynn() {
        let p = Params::default();
        assert_eq!(
            (p.cm, p.tau_m, p.tau_syn_E, p.tau_syn_I, p.tau_refrac),
            (1.0, 20.0, 0.5, 0.5, 0.1)
        );
        assert_eq!(
            (p.v_rest, p.v_reset, p.v_thresh, p.i_offset),
            (-65.0, -65.0, -50.0, 0.0)
        );
        assert!(p.validate().is_ok());
        let bad = |q: Params| q.validate().unwrap_err().name;
        assert_eq!(
            bad(Params {
                tau_syn_E: 0.0,
                ..p
            }),
            "tau_syn_E"
        );
        assert_eq!(bad(Params { cm: -1.0, ..p }), "cm");
        assert_eq!(
            bad(Params {
                v_reset: -50.0,
                ..p
            }),
            "v_reset"
        );
        assert_eq!(
            bad(Params {
                tau_refrac: -0.1,
                ..p
            }),
            "tau_refrac"
        );
        assert_eq!(bad(Params { i_offset: 6e4, ..p }), "i_offset");
        let s = State::initial();
        assert!(s.validate().is_ok());
        assert_eq!(
            State {
                isyn_exc: -1.0,
                ..s
            }
            .validate()
            .unwrap_err()
            .name,
            "isyn_exc"
        );
        assert_eq!(
            State { isyn_inh: 1.0, ..s }.validate().unwrap_err().name,
            "isyn_inh"
        );
        assert_eq!(
            State {
                disyn_exc: f64::NAN,
                ..s
            }
            .validate()
            .unwrap_err()
            .name,
            "disyn_exc"
        );
    }

    /// The alpha kernel: from rest, an input of weight `w` gives
    /// `I(t) = w t/tau e^{1 - t/tau}`, `dI/dt = w/tau (1 - t/tau) e^{1 - t/tau}`; peak `w` at
    /// `tau`, where `dI/dt = 0`.
    #[test]
    fn alpha_current_closed_form() {
        let (w, tau) = (2.5, 0.7);
        let s = Syn::of(1.0 / tau, 0.0, input_jump(w, tau));
        for k in 0..400 {
            let t = k as f64 * 0.01;
            let (i, di) = s.at(t, (-t / tau).exp());
            let want = w * t / tau * (1.0 - t / tau).exp();
            let dwant = w / tau * (1.0 - t / tau) * (1.0 - t / tau).exp();
            assert!((i - want).abs() <= 1e-14 * w, "{t}: {i} vs {want}");
            assert!(
                (di - dwant).abs() <= 1e-13 * w / tau,
                "{t}: {di} vs {dwant}"
            );
        }
        let (peak, dpeak) = s.at(tau, (-1.0f64).exp());
        assert!((peak - w).abs() <= 4.0 * f64::EPSILON * w && dpeak.abs() <= 1e-15 * w);
    }

    /// `psi` and `chi` from their series agree with their closed forms where those are
    /// accurate (`y` in [0.05, 0.5], relative loss below `2/y`), and with the integral's
    /// value `1/2` at 0; the quotient branch of [`kernel2_with`] is continuous at `y = 1/2`.
    #[test]
    fn psi_chi_series_match_closed_forms() {
        for k in 0..=450 {
            let y = 0.05 + k as f64 * 1e-3;
            let psi = (-(-y).exp_m1() - y * (-y).exp()) / (y * y);
            let chi = (y + (-y).exp_m1()) / (y * y);
            assert!(
                (psi_small(y) - psi).abs() <= 100.0 * f64::EPSILON * psi,
                "{y}"
            );
            assert!(
                (chi_small(y) - chi).abs() <= 100.0 * f64::EPSILON * chi,
                "{y}"
            );
        }
        assert_eq!((psi_small(0.0), chi_small(0.0)), (0.5, 0.5));
        for (lm, lx) in [(0.05f64, 2.0f64), (2.0, 0.05)] {
            let t = 0.5 / (lx - lm).abs();
            let a = kernel2(lm, lx, t * (1.0 - 1e-15));
            let b = kernel2(lm, lx, t * (1.0 + 1e-15));
            assert!((a - b).abs() <= 1e-13 * a, "{a} {b}");
        }
    }

    /// `K2` against a direct quadrature of its integral (composite Simpson, 200000 panels),
    /// far from and at `tau_syn == tau_m`, on both sides.
    #[test]
    fn kernel2_matches_quadrature() {
        for &(tm, tx) in &[
            (20.0, 0.5),
            (20.0, 5.0),
            (10.0, 10.0),
            (3.0, 8.0),
            (0.5, 20.0),
        ] {
            let (lm, lx) = (1.0 / tm, 1.0 / tx);
            for &t in &[0.01, 0.3, 1.0, 4.0, 17.0, 60.0] {
                let n = 200_000;
                let h = t / n as f64;
                let g = |s: f64| (-lm * (t - s)).exp() * s * (-lx * s).exp();
                let mut q = g(0.0) + g(t);
                for k in 1..n {
                    q += g(k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
                }
                q *= h / 3.0;
                let k2 = kernel2(lm, lx, t);
                assert!((k2 - q).abs() <= 1e-11 * q, "{tm} {tx} {t}: {k2} vs {q}");
            }
        }
    }

    /// Sweeps `tau_syn - tau_m` over ±1e-10 … 1e-1 and 0: `K1` and `K2` approach their limits
    /// `t e^{-t/tau_m}` and `t^2/2 e^{-t/tau_m}` with an error of the size of the first-order
    /// term (`|l - lm| t^2`, `|l - lm| t^3`), never NaN, and equal them at 0.
    #[test]
    fn kernels_continuous_through_the_singularity() {
        let tm = 10.0;
        let lm = 1.0 / tm;
        for k in 1..=10 {
            let dtau = 10f64.powi(-k);
            for sign in [-1.0, 1.0] {
                let lx = 1.0 / (tm + sign * dtau);
                let d = (lx - lm).abs();
                for j in 0..200 {
                    let t = j as f64 * 0.5;
                    let em = (-lm * t).exp();
                    let (k1, k2) = (kernel1(lm, lx, t), kernel2(lm, lx, t));
                    assert!(k1.is_finite() && k2.is_finite());
                    assert!((k1 - t * em).abs() <= d * t * t + 1e-14 * t * em + 1e-300);
                    assert!(
                        (k2 - 0.5 * t * t * em).abs()
                            <= d * t * t * t + 1e-14 * t * t * em + 1e-300,
                        "dtau {dtau} t {t}: {k2} vs {}",
                        0.5 * t * t * em
                    );
                }
            }
        }
        assert_eq!(kernel2(lm, lm, 10.0), 50.0 * (-1.0f64).exp());
    }

    /// The closed-form propagation against RK4 (1e-4 ms steps) from mixed states, with
    /// injected current, `tau_syn` far from, equal to and within 1e-9 of `tau_m`, over one long
    /// step and as a chain of short steps (which must agree with the long step: the semigroup
    /// property of an exact propagator).
    #[test]
    fn propagation_matches_rk4() {
        let s0 = State {
            v: -58.0,
            isyn_exc: 1.3,
            disyn_exc: 4.0,
            isyn_inh: -0.8,
            disyn_inh: 0.6,
        };
        for (te, ti, tm) in [
            (0.5, 0.5, 20.0),
            (2.0, 7.0, 10.0),
            (10.0, 3.0, 10.0),
            (20.0 * (1.0 + 1e-9), 20.0 * (1.0 - 1e-9), 20.0),
            (30.0, 0.2, 5.0),
        ] {
            let p = Params {
                tau_syn_E: te,
                tau_syn_I: ti,
                tau_m: tm,
                cm: 0.7,
                i_offset: 0.2,
                ..Params::default()
            };
            let d = Derived::of(&p);
            let h = 7.3;
            let exact = propagate(&p, &d, &s0, h, 0.1, false);
            let num = rk4(&p, 0.1, &s0, h, 73_000);
            assert!(
                close(&exact, &num, 1e-10),
                "{te} {ti} {tm}: {exact:?} vs {num:?}"
            );
            let mut s = s0;
            for _ in 0..73 {
                s = propagate(&p, &d, &s, 0.1, 0.1, false);
            }
            assert!(
                close(&exact, &s, 1e-11),
                "{te} {ti} {tm}: {exact:?} vs {s:?}"
            );
            // refractory: v held, currents as free
            let r = propagate(&p, &d, &s0, h, 0.1, true);
            assert_eq!(r.v, p.v_reset);
            assert_eq!((r.isyn_exc, r.disyn_inh), (exact.isyn_exc, exact.disyn_inh));
        }
    }

    /// The PSP of one input from rest is `(w e l / cm) K2(t)`; at `tau_syn == tau_m` its peak is
    /// `(w e l/cm) 2 tau_m^2 e^{-2}` at `t = 2 tau_m` (`K2 = t^2/2 e^{-t/tau_m}`), and
    /// `Derived::k2max` is that supremum (a dense scan never exceeds it).
    #[test]
    fn psp_peak_and_kernel_maxima() {
        let p = Params {
            tau_m: 8.0,
            tau_syn_E: 8.0,
            ..Params::default()
        };
        let d = Derived::of(&p);
        assert!((d.k2max[0] - 2.0 * 64.0 * (-2.0f64).exp()).abs() <= 1e-11 * d.k2max[0]);
        let w = 1.5;
        let s = State {
            disyn_exc: input_jump(w, 8.0),
            ..State::initial()
        };
        let f = Free::new(&p, &d, &s, 0.0);
        let peak = -65.0 + w * E / 8.0 * 2.0 * 64.0 * (-2.0f64).exp();
        assert!((f.v(16.0) - peak).abs() < 1e-13);
        assert!(f.eval(16.0).dv.abs() < 1e-15);
        for &(tm, tx) in &[
            (20.0, 0.5),
            (20.0, 5.0),
            (10.0, 10.0),
            (0.5, 20.0),
            (1e-6, 1e6),
        ] {
            let (lm, lx) = (1.0 / tm, 1.0 / tx);
            let km = k2_max(lm, lx);
            let (lo, hi) = (tm.min(tx), tm.max(tx));
            let scan = (0..=20_000)
                .map(|k| kernel2(lm, lx, lo * 1e-2 * (hi * 1e3 / lo).powf(k as f64 / 2e4)))
                .fold(0.0, f64::max);
            assert!(
                scan <= km && scan >= km * (1.0 - 1e-4),
                "{tm} {tx}: {scan} vs {km}"
            );
            let k1m = k1_max(lm, lx);
            let scan1 = (0..=20_000)
                .map(|k| kernel1(lm, lx, lo * 1e-2 * (hi * 1e3 / lo).powf(k as f64 / 2e4)))
                .fold(0.0, f64::max);
            assert!(scan1 <= k1m && scan1 >= k1m * (1.0 - 1e-4), "{tm} {tx}");
        }
    }

    /// `v'` and `v''` from [`Free::eval`] are the ODE's right-hand side and its derivative
    /// (central difference of `v'`), at many times.
    #[test]
    fn derivatives_are_the_ode() {
        let p = Params {
            tau_syn_E: 1.5,
            tau_syn_I: 4.0,
            i_offset: 0.3,
            ..Params::default()
        };
        let d = Derived::of(&p);
        let s = State {
            v: -60.0,
            isyn_exc: 2.0,
            disyn_exc: -1.0,
            isyn_inh: -1.0,
            disyn_inh: -0.5,
        };
        let f = Free::new(&p, &d, &s, 0.0);
        for j in 1..100 {
            let t = j as f64 * 0.3;
            let st = f.state(t);
            let rhs = (f.v_inf - st.v) / p.tau_m + (st.isyn_exc + st.isyn_inh) / p.cm;
            let e = f.eval(t);
            assert!((e.dv - rhs).abs() < 1e-12, "{t}");
            let hd = 1e-5;
            let fd =
                (f.eval(t + hd).dv - f.eval((t - hd).max(0.0)).dv) / (t + hd - (t - hd).max(0.0));
            assert!((e.d2v - fd).abs() < 1e-6, "{t}: {} vs {fd}", e.d2v);
        }
    }
}
