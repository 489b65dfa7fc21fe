//! Sinusoidal injected current (PyNN's `ACSource`) and the closed form of the three cell models
//! under it ([`Forced`] over a [`ForcedBase`]: `IF_curr_exp`'s free trajectory, which
//! `IF_curr_delta` uses without currents, and `IF_curr_alpha`'s).
//!
//! Between two current switches a cell may receive, besides its constant injected current
//! (which `v_inf` holds), a sum of sines (nA; absolute time `t` in ms, `w` in rad/ms)
//!
//! ```text
//! I_ac(t) = sum_k A_k sin(theta_k(t)),   theta_k(t) = w_k (t - t_k) + phi_k
//! ```
//!
//! PyNN's `ACSource(amplitude, offset, frequency, phase, start, stop)` is one sine with
//! `A = amplitude`, `w = 2 pi frequency / 1000`, `t_k = start` and `phi = phase pi / 180` (its
//! phase holds at `start`, PyNN's issue 497), plus `offset` as constant current, on
//! `[start, stop)`.
//!
//! The membrane equation `v' = lm (v_inf - v) + (I_E + I_I + I_ac)/cm` is linear (for each
//! model: the currents evolve on their own, as SPEC §1 and §8 say), so its solution is the
//! model's free trajectory from a shifted start value plus a particular solution `P` of the
//! sine forcing alone (`P' = -lm P + I_ac/cm`):
//!
//! ```text
//! P(t) = sum_k c_k (lm sin theta_k - w_k cos theta_k),   c_k = (A_k/cm) / (lm^2 + w_k^2)
//! v(t0 + s) = Free { v0: v(t0) - P(t0), .. }.v(s) + P(t0 + s)
//! ```
//!
//! (check: `P_k' = c_k w_k (lm cos + w_k sin)` and `-lm P_k + (A_k/cm) sin = c_k (w_k^2 sin +
//! lm w_k cos)`). Each term is a sinusoid of amplitude `R_k = (|A_k|/cm)/sqrt(lm^2 + w_k^2)`,
//! so `|P^(n)| <= sum_k R_k w_k^n` for every derivative order `n`: the bounds the forced
//! threshold solver (`threshold::forced`) needs.

use super::if_curr_alpha::{
    kernel2_with, Derived as AlphaDerived, Free as AlphaFree, State as AlphaState,
};
use super::if_curr_exp::{decay_with, kernel_with, Free, State};

/// One sinusoidal current `amplitude sin(omega (t - t_ref) + phase)` (nA).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sine {
    /// Amplitude (nA).
    pub amplitude: f64,
    /// Angular frequency (rad/ms): `2 pi f / 1000` for `f` in Hz.
    pub omega: f64,
    /// Reference time (ms): the sine's phase is `phase` at `t_ref`.
    pub t_ref: f64,
    /// Phase at `t_ref` (rad).
    pub phase: f64,
}

impl Sine {
    /// PyNN's `ACSource` parameters: frequency in Hz, phase in degrees, valid at `start`.
    pub fn of_ac_source(amplitude: f64, frequency_hz: f64, phase_deg: f64, start: f64) -> Self {
        Sine {
            amplitude,
            omega: 2.0 * std::f64::consts::PI * frequency_hz / 1000.0,
            t_ref: start,
            phase: phase_deg.to_radians(),
        }
    }

    /// The angle `omega (t - t_ref) + phase` at absolute time `t` (rad).
    #[inline]
    fn theta(&self, t: f64) -> f64 {
        self.omega * (t - self.t_ref) + self.phase
    }

    /// The current at absolute time `t` (nA).
    #[inline]
    pub fn current(&self, t: f64) -> f64 {
        self.amplitude * self.theta(t).sin()
    }
}

/// The sinusoidal part of one cell's injected current between two switches: a sum of sines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drive {
    /// The sines, in source order.
    pub sines: Vec<Sine>,
}

impl Drive {
    /// `I_ac(t)` at absolute time `t` (nA).
    pub fn current(&self, t: f64) -> f64 {
        self.sines.iter().map(|s| s.current(t)).sum()
    }

    /// `sum_k R_k w_k^n` for `n = 0..=4`, `R_k = (|A_k|/cm)/sqrt(lm^2 + w_k^2)`: bounds on
    /// `|P^(n)|` (mV/ms^n) for a membrane of rate `lm` (1/ms) and capacitance `cm` (nF).
    pub fn response_bounds(&self, lm: f64, cm: f64) -> [f64; 5] {
        let mut out = [0.0; 5];
        for s in &self.sines {
            let r = s.amplitude.abs() / cm / lm.hypot(s.omega);
            let mut wn = 1.0;
            for o in &mut out {
                *o += r * wn;
                wn *= s.omega;
            }
        }
        out
    }

    /// The longest period of the sines (ms), 0 without sines.
    pub fn longest_period(&self) -> f64 {
        self.sines
            .iter()
            .filter(|s| s.omega > 0.0)
            .map(|s| 2.0 * std::f64::consts::PI / s.omega)
            .fold(0.0, f64::max)
    }

    /// The shortest period of the sines (ms), `inf` without sines.
    pub fn shortest_period(&self) -> f64 {
        self.sines
            .iter()
            .filter(|s| s.omega > 0.0)
            .map(|s| 2.0 * std::f64::consts::PI / s.omega)
            .fold(f64::INFINITY, f64::min)
    }

    /// `P, P', P'', P'''` at absolute time `t`, and a bound on the rounding of each
    /// (mV/ms^n): from the angle's rounding (`|theta|` ulps, times `R w^n`) and a few ulps of
    /// each term.
    #[inline]
    fn response(&self, lm: f64, cm: f64, t: f64) -> ([f64; 4], [f64; 4]) {
        let (mut p, mut err) = ([0.0; 4], [0.0; 4]);
        for s in &self.sines {
            let w = s.omega;
            let c = s.amplitude / cm / (lm * lm + w * w);
            let theta = s.theta(t);
            let (sin, cos) = theta.sin_cos();
            // P_k and P_k' (P_k'' = -w^2 P_k, P_k''' = -w^2 P_k')
            let p0 = c * (lm * sin - w * cos);
            let p1 = c * w * (lm * cos + w * sin);
            p[0] += p0;
            p[1] += p1;
            p[2] -= w * w * p0;
            p[3] -= w * w * p1;
            let r = s.amplitude.abs() / cm / lm.hypot(w);
            let rel = 8.0 * f64::EPSILON * (1.0 + theta.abs() + (w * (t - s.t_ref)).abs());
            let mut wn = r;
            for e in &mut err {
                *e += wn * rel;
                wn *= w;
            }
        }
        (p, err)
    }
}

/// The trajectory without the drive, which a [`Forced`] adds the drive's response to: a
/// model's free trajectory (`IF_curr_exp`'s [`Free`], which `IF_curr_delta` uses with zero
/// currents, and `IF_curr_alpha`'s [`AlphaFree`]), with what the forced solver
/// (`threshold::forced`, module doc) needs of it: `v, v', v''` with rounding bounds, bounds on
/// `|v''|, |v'''|, |v''''|` over an interval, a supremum over all times, and a transient that
/// settles.
///
/// Every trajectory here is `v(s) = v_inf + T(s)` with a transient `T` that tends to 0.
pub trait ForcedBase: Copy + std::fmt::Debug {
    /// The model's full state.
    type State;
    /// What [`ForcedBase::sup`] needs beside the trajectory (the suprema of the kernels).
    type Sup: Copy;

    /// `1/tau_m` (1/ms): the drive's response `P` depends on it.
    fn lm(&self) -> f64;
    /// Membrane capacitance (nF).
    fn cm(&self) -> f64;
    /// `v` at 0 (mV).
    fn v0(&self) -> f64;
    /// Asymptotic potential (mV).
    fn v_inf(&self) -> f64;
    /// The same trajectory from another `v0`.
    fn with_v0(&self, v0: f64) -> Self;
    /// The state at relative time `s`, with `dv` added to `v`.
    fn state_plus(&self, s: f64, dv: f64) -> Self::State;
    /// `[v, v', v'']` at relative time `s >= 0`, and their rounding scales: the rounding error
    /// of each value is at most `16 eps` times its scale.
    fn eval3(&self, s: f64) -> ([f64; 3], [f64; 3]);
    /// Bounds on `|v''|, |v'''|, |v''''|` over the relative interval `[a, b]`
    /// (`0 <= a <= b`), each with `extra[n]` added (the drive's part, in an order that keeps
    /// `IF_curr_exp`'s bits).
    fn derivative_bounds_with(&self, a: f64, b: f64, extra: [f64; 3]) -> [f64; 3];
    /// An upper bound of `v(s)` over all `s >= 0`, if there is one in closed form.
    fn sup(&self, k: Self::Sup) -> Option<f64>;
    /// The magnitudes making up `v` (mV), for the rounding margin of the bounds.
    fn magnitude(&self, k: Self::Sup) -> f64;
    /// A time from which [`ForcedBase::transient`] is non-increasing (ms).
    fn settle_start(&self) -> f64;
    /// `U(s) >= v(s) - v_inf` (mV), non-increasing for `s >= settle_start()`.
    fn transient(&self, s: f64) -> f64;
    /// The slowest time constant (ms): the solver's first cut of an interval.
    fn time_scale(&self) -> f64;
}

impl ForcedBase for Free {
    type State = State;
    /// `Kmax_E` (ms).
    type Sup = f64;

    #[inline]
    fn lm(&self) -> f64 {
        self.rates.lm
    }
    #[inline]
    fn cm(&self) -> f64 {
        self.cm
    }
    #[inline]
    fn v0(&self) -> f64 {
        self.v0
    }
    #[inline]
    fn v_inf(&self) -> f64 {
        self.v_inf
    }
    #[inline]
    fn with_v0(&self, v0: f64) -> Self {
        Free { v0, ..*self }
    }
    #[inline]
    fn state_plus(&self, s: f64, dv: f64) -> State {
        let mut st = self.state(s);
        st.v += dv;
        st
    }

    /// The closed form of [`Free::eval`] (`v'' = -lm v' - sum_X lX I_X(s)/cm`).
    fn eval3(&self, s: f64) -> ([f64; 3], [f64; 3]) {
        let f = self;
        let r = f.rates;
        let a = f.v0 - f.v_inf;
        let em = (-r.lm * s).exp();
        let mut v = f.v_inf + a * em;
        let mut dv = -r.lm * a * em;
        let mut scale = [f.v_inf.abs() + (a * em).abs(), dv.abs(), r.lm * dv.abs()];
        let mut i_rate = 0.0;
        for (i0, lx) in [(f.ie0, r.le), (f.ii0, r.li)] {
            if i0 != 0.0 {
                let ex = if s == 0.0 {
                    1.0
                } else {
                    decay_with(r.lm, lx, s, em)
                };
                let k = if s == 0.0 {
                    0.0
                } else {
                    kernel_with(r.lm, lx, s, em, ex)
                };
                let c = i0 / f.cm;
                v += c * k;
                dv += c * (ex - r.lm * k);
                i_rate += lx * c * ex;
                scale[0] += (c * k).abs();
                scale[1] += c.abs() * (ex + r.lm * k.abs());
                scale[2] += c.abs() * (lx * ex + r.lm * (ex + r.lm * k.abs()));
            }
        }
        let d2v = -r.lm * dv - i_rate;
        ([v, dv, d2v], scale)
    }

    /// Term by term:
    ///
    /// - `(v0 - v_inf) e^{-lm s}`: `|v0 - v_inf| lm^n e^{-lm a}`;
    /// - `(I_X0/cm) K_X(s)`: from `K' = e^{-lX s} - lm K`, by induction
    ///   `K^(n) = (-1)^(n-1) (sum_{j<n} lm^j lX^(n-1-j)) e^{-lX s} + (-lm)^n K`, and
    ///   `0 <= K(s) <= s e^{-min(lm, lX) s} <= b e^{-min(lm, lX) a}` (the integrand of
    ///   `K = int_0^s e^{-lm (s-u)} e^{-lX u} du` is at most `e^{-min(lm, lX) s}`).
    ///
    /// Enlarged by a relative `1e-12` for the rounding of the exponentials.
    fn derivative_bounds_with(&self, a: f64, b: f64, extra: [f64; 3]) -> [f64; 3] {
        let f = self;
        let r = f.rates;
        let mut out = [0.0; 3];
        let am = (f.v0 - f.v_inf).abs() * (-r.lm * a).exp();
        for (i, o) in out.iter_mut().enumerate() {
            let n = i as i32 + 2;
            *o = am * r.lm.powi(n) + extra[i];
        }
        for (i0, lx) in [(f.ie0, r.le), (f.ii0, r.li)] {
            if i0 == 0.0 {
                continue;
            }
            let c = (i0 / f.cm).abs();
            let ex = (-lx * a).exp();
            let kb = b * (-r.lm.min(lx) * a).exp();
            for (i, o) in out.iter_mut().enumerate() {
                let n = i as i32 + 2;
                let s: f64 = (0..n).map(|j| r.lm.powi(j) * lx.powi(n - 1 - j)).sum();
                *o += c * (s * ex + r.lm.powi(n) * kb);
            }
        }
        out.map(|x| x * (1.0 + 1e-12))
    }

    /// With inhibition only (`I_I0 <= 0`): `v_inf + max(0, v0 - v_inf) + (I_E0/cm) Kmax_E`
    /// (the inhibitory term is `<= 0`).
    #[inline]
    fn sup(&self, kmax_e: f64) -> Option<f64> {
        (self.ii0 <= 0.0).then(|| {
            self.v_inf + (self.v0 - self.v_inf).max(0.0) + self.ie0.max(0.0) / self.cm * kmax_e
        })
    }
    #[inline]
    fn magnitude(&self, _: f64) -> f64 {
        self.v_inf.abs() + (self.v0 - self.v_inf).abs()
    }
    /// Each term of [`ForcedBase::transient`] falls once `s >= 1/min(lm, lX)`.
    #[inline]
    fn settle_start(&self) -> f64 {
        self.rates.slowest_time_constant()
    }
    /// `|v0 - v_inf| e^{-lm s} + sum_X |I_X0/cm| s e^{-min(lm, lX) s}`.
    fn transient(&self, s: f64) -> f64 {
        let (b, r) = (self, self.rates);
        let mut x = (b.v0 - b.v_inf).abs() * (-r.lm * s).exp();
        for (i0, lx) in [(b.ie0, r.le), (b.ii0, r.li)] {
            if i0 != 0.0 {
                x += (i0 / b.cm).abs() * s * (-r.lm.min(lx) * s).exp();
            }
        }
        x
    }
    #[inline]
    fn time_scale(&self) -> f64 {
        self.rates.slowest_time_constant()
    }
}

/// `sup s^k e^{-c s}` over `[a, b]` (`k` = 1 or 2, `c > 0`): the function rises up to `k/c` and
/// falls after, so its supremum is at `k/c` clamped into `[a, b]`.
#[inline]
fn sup_power_exp(k: i32, c: f64, a: f64, b: f64) -> f64 {
    let s = (f64::from(k) / c).clamp(a, b);
    s.powi(k) * (-c * s).exp()
}

/// `IF_curr_alpha`'s free trajectory (`model::if_curr_alpha`, module doc)
///
/// ```text
/// v(s) = v_inf + a e^{-lm s} + sum_X (I0_X K1_X(s) + A0_X K2_X(s))/cm,    a = v0 - v_inf
/// ```
///
/// as the base of a forced trajectory. The bounds and their arguments:
///
/// - **Derivatives** ([`ForcedBase::derivative_bounds_with`]) on `[a, b]`, term by term.
///   `a e^{-lm s}`: `|a| lm^n e^{-lm a}`. `K1' = e^{-l s} - lm K1` gives, by induction,
///   `K1^(n) = sum_{j<n} (-lm)^(n-1-j) (-l)^j e^{-l s} + (-lm)^n K1`, so
///   `|K1^(n)| <= (sum_{j<n} lm^(n-1-j) l^j) e^{-l a} + lm^n sup K1`. `K2' = E - lm K2` with
///   `E(s) = s e^{-l s}` gives in the same way `K2^(n) = sum_{j<n} (-lm)^(n-1-j) E^(j) +
///   (-lm)^n K2`, and `E^(j)(s) = (-l)^j (s - j/l) e^{-l s}` (induction: the derivative of
///   `(s - j/l) e^{-l s}` is `-l (s - (j+1)/l) e^{-l s}`), so `|E^(j)| <= l^j s e^{-l s} + j
///   l^(j-1) e^{-l s} <= l^j sup_[a,b](s e^{-l s}) + j l^(j-1) e^{-l a}`. On `[a, b]`,
///   `0 <= K1(s) <= s e^{-lmin s}` and `0 <= K2(s) <= s^2/2 e^{-lmin s}` (`lmin = min(lm, l)`:
///   the integrands of `K1 = int_0^s e^{-lm (s-u)} e^{-l u} du` and of `K2 = int_0^s e^{-lm
///   (s-u)} u e^{-l u} du` are at most `e^{-lmin s}` and `u e^{-lmin s}`), whose suprema on
///   `[a, b]` are closed form ([`sup_power_exp`]). The bound is `|a| lm^n e^{-lm a} + sum_X
///   (|I0_X|/cm |K1^(n)|-bound + |A0_X|/cm |K2^(n)|-bound)`, for `n = 2, 3, 4`; nothing divides by
///   `l - lm`, so `tau_syn == tau_m` needs no special case. Enlarged by a relative `1e-12` for
///   the rounding of the exponentials (an argument `x = c s` rounded by `eps x` moves
///   `e^{-x}` by a relative `eps x`, below `1.6e-13` where `e^{-x}` is not subnormal).
/// - **Supremum** ([`ForcedBase::sup`]): `K1, K2 >= 0`, so `v(s) <= v_inf + max(0, a) +
///   sum_X (max(0, I0_X) K1max_X + max(0, A0_X) K2max_X)/cm`, with `K1max`, `K2max` the
///   kernels' suprema of `if_curr_alpha::Derived` (as `threshold::alpha`'s rejection bound).
/// - **Settling** ([`ForcedBase::transient`]): by the kernel bounds above, `v(s) - v_inf <=
///   U(s) = max(0, a) e^{-lm s} + sum_X (max(0, I0_X) s + max(0, A0_X) s^2/2) e^{-lmin_X s}/cm`;
///   `s e^{-c s}` falls for `s >= 1/c` and `s^2 e^{-c s}` for `s >= 2/c`, so `U` falls from
///   `2/lmin` on, `lmin` the smallest rate of `lm` and the receptors that carry current.
/// - **Rounding** ([`ForcedBase::eval3`]): the terms' magnitudes, the kernel terms' times
///   `8 (1 + x)` with `x = max(lm, l) s` (the argument rounding of the exponentials, as above;
///   and `K1`, `K2` lose up to a factor ~21 and ~10 to cancellation in their quotient
///   branches, `if_curr_alpha::kernel2_with`), so the `16 eps` of the trait covers
///   `128 eps (1 + x)` of them.
impl ForcedBase for AlphaFree {
    type State = AlphaState;
    /// The kernels' suprema (`k1max`, `k2max`).
    type Sup = AlphaDerived;

    #[inline]
    fn lm(&self) -> f64 {
        self.lm
    }
    #[inline]
    fn cm(&self) -> f64 {
        self.cm
    }
    #[inline]
    fn v0(&self) -> f64 {
        self.v0
    }
    #[inline]
    fn v_inf(&self) -> f64 {
        self.v_inf
    }
    #[inline]
    fn with_v0(&self, v0: f64) -> Self {
        AlphaFree { v0, ..*self }
    }
    #[inline]
    fn state_plus(&self, s: f64, dv: f64) -> AlphaState {
        let mut st = self.state(s);
        st.v += dv;
        st
    }

    /// The closed form of [`AlphaFree::eval`] (`v'' = -lm v' + sum_X (dI_X/dt)(s)/cm`, the same
    /// operations), with the scales of the impl's doc.
    fn eval3(&self, s: f64) -> ([f64; 3], [f64; 3]) {
        let lm = self.lm;
        let a = self.v0 - self.v_inf;
        let em = (-lm * s).exp();
        let mut v = self.v_inf + a * em;
        let mut dv = -lm * a * em;
        let xm = 8.0 * (1.0 + lm * s);
        let mut scale = [
            self.v_inf.abs() + xm * (a * em).abs(),
            xm * dv.abs(),
            xm * lm * dv.abs(),
        ];
        let mut di = 0.0;
        for syn in &self.syn {
            if syn.is_zero() {
                continue;
            }
            let ex = decay_with(lm, syn.l, s, em);
            let (ci, ca) = (syn.i0 / self.cm, syn.a0 / self.cm);
            let (k1, k2) = (
                kernel_with(lm, syn.l, s, em, ex),
                kernel2_with(lm, syn.l, s, em, ex),
            );
            let u = ci * k1 + ca * k2;
            let (i, j) = syn.at(s, ex);
            v += u;
            dv += i / self.cm - lm * u;
            di += j / self.cm;
            let x = 8.0 * (1.0 + lm.max(syn.l) * s);
            let ku = ci.abs() * k1 + ca.abs() * k2;
            let iu = (ci.abs() + (ca * s).abs()) * ex;
            scale[0] += x * ku;
            scale[1] += x * (iu + lm * ku);
            // |dI/dt|/cm = |A0 - l (I0 + A0 s)| e^{-l s}/cm <= |A0|/cm e^{-l s} + l iu
            scale[2] += x * (lm * (iu + lm * ku) + ca.abs() * ex + syn.l * iu);
        }
        let d2v = -lm * dv + di;
        ([v, dv, d2v], scale)
    }

    /// The impl's doc, "Derivatives".
    fn derivative_bounds_with(&self, a: f64, b: f64, extra: [f64; 3]) -> [f64; 3] {
        let lm = self.lm;
        let am = (self.v0 - self.v_inf).abs() * (-lm * a).exp();
        let mut out = [0.0; 3];
        for (i, o) in out.iter_mut().enumerate() {
            *o = am * lm.powi(i as i32 + 2) + extra[i];
        }
        for syn in &self.syn {
            if syn.is_zero() {
                continue;
            }
            let l = syn.l;
            let (ci, ca) = ((syn.i0 / self.cm).abs(), (syn.a0 / self.cm).abs());
            let lmin = lm.min(l);
            let ex = (-l * a).exp();
            let k1b = sup_power_exp(1, lmin, a, b);
            let k2b = 0.5 * sup_power_exp(2, lmin, a, b);
            let eb = sup_power_exp(1, l, a, b);
            for (i, o) in out.iter_mut().enumerate() {
                let n = i as i32 + 2;
                let mut s1 = 0.0;
                let mut s2 = 0.0;
                for j in 0..n {
                    let w = lm.powi(n - 1 - j);
                    s1 += w * l.powi(j);
                    s2 += w * (l.powi(j) * eb + f64::from(j) * l.powi(j - 1) * ex);
                }
                let lmn = lm.powi(n);
                *o += ci * (s1 * ex + lmn * k1b) + ca * (s2 + lmn * k2b);
            }
        }
        out.map(|x| x * (1.0 + 1e-12))
    }

    #[inline]
    fn sup(&self, d: AlphaDerived) -> Option<f64> {
        let mut e = 0.0;
        for (k, s) in self.syn.iter().enumerate() {
            e += (s.i0.max(0.0) * d.k1max[k] + s.a0.max(0.0) * d.k2max[k]) / self.cm;
        }
        Some(self.v_inf + (self.v0 - self.v_inf).max(0.0) + e)
    }
    #[inline]
    fn magnitude(&self, d: AlphaDerived) -> f64 {
        let mut m = self.v_inf.abs() + (self.v0 - self.v_inf).abs();
        for (k, s) in self.syn.iter().enumerate() {
            m += (s.i0.abs() * d.k1max[k] + s.a0.abs() * d.k2max[k]) / self.cm;
        }
        m
    }
    fn settle_start(&self) -> f64 {
        let mut slowest = self.lm;
        for s in &self.syn {
            if !s.is_zero() {
                slowest = slowest.min(s.l);
            }
        }
        2.0 / slowest
    }
    fn transient(&self, s: f64) -> f64 {
        let mut x = (self.v0 - self.v_inf).max(0.0) * (-self.lm * s).exp();
        for syn in &self.syn {
            if !syn.is_zero() {
                let p = syn.i0.max(0.0) * s + syn.a0.max(0.0) * 0.5 * s * s;
                x += p * (-self.lm.min(syn.l) * s).exp() / self.cm;
            }
        }
        x
    }
    #[inline]
    fn time_scale(&self) -> f64 {
        1.0 / self.lm.min(self.syn[0].l).min(self.syn[1].l)
    }
}

/// A free trajectory under a sinusoidal drive: `v(t0 + s)`, `s >= 0` relative (ms), is
/// `base.v(s) + P(t0 + s)` (see the module doc), where `base` is the trajectory without the
/// drive from `v0 - P(t0)`: `IF_curr_exp`'s [`Free`] by default, or any [`ForcedBase`].
#[derive(Clone, Copy, Debug)]
pub struct Forced<'a, B = Free> {
    /// The free trajectory with `v0` shifted by `-P(t0)`.
    pub base: B,
    /// Absolute start time (ms).
    pub t0: f64,
    /// The sines.
    pub drive: &'a Drive,
}

/// `v` and its first three derivatives at one time, with bounds on their rounding errors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForcedEval {
    /// `v` (mV).
    pub v: f64,
    /// `v'` (mV/ms).
    pub dv: f64,
    /// `v''` (mV/ms^2).
    pub d2v: f64,
    /// Bounds on the rounding errors of `v`, `v'` and `v''`.
    pub err: [f64; 3],
}

impl<'a, B: ForcedBase> Forced<'a, B> {
    /// The forced trajectory that starts at absolute time `t0` from the state of `free` (whose
    /// `v0` is the true `v(t0)`).
    pub fn new(free: B, t0: f64, drive: &'a Drive) -> Self {
        let (p, _) = drive.response(free.lm(), free.cm(), t0);
        Forced {
            base: free.with_v0(free.v0() - p[0]),
            t0,
            drive,
        }
    }

    /// The full state at relative time `s >= 0` (ms).
    #[inline]
    pub fn state(&self, s: f64) -> B::State {
        let (p, _) = self
            .drive
            .response(self.base.lm(), self.base.cm(), self.t0 + s);
        self.base.state_plus(s, p[0])
    }

    /// `v(s)` and `v'(s)` (mV, mV/ms).
    #[inline]
    pub fn v_dv(&self, s: f64) -> (f64, f64) {
        let e = self.eval(s);
        (e.v, e.dv)
    }

    /// `v`, `v'`, `v''` at relative time `s`, with rounding bounds: the base trajectory's
    /// ([`ForcedBase::eval3`]) plus the drive's response.
    pub fn eval(&self, s: f64) -> ForcedEval {
        let ([v, dv, d2v], scale) = self.base.eval3(s);
        let (p, perr) = self
            .drive
            .response(self.base.lm(), self.base.cm(), self.t0 + s);
        let tol = |scale: f64, e: f64| 16.0 * f64::EPSILON * scale + e + 1e-300;
        ForcedEval {
            v: v + p[0],
            dv: dv + p[1],
            d2v: d2v + p[2],
            err: [
                tol(scale[0] + p[0].abs(), perr[0]),
                tol(scale[1] + p[1].abs(), perr[1]),
                tol(scale[2] + p[2].abs(), perr[2]),
            ],
        }
    }

    /// Bounds on `|v''|`, `|v'''|` and `|v''''|` over the relative interval `[a, b]`
    /// (`0 <= a <= b`): the base trajectory's ([`ForcedBase::derivative_bounds_with`]) plus
    /// the drive's, `sum_k R_k w_k^n` ([`Drive::response_bounds`]).
    pub fn derivative_bounds(&self, a: f64, b: f64) -> [f64; 3] {
        let drive = self.drive.response_bounds(self.base.lm(), self.base.cm());
        self.base
            .derivative_bounds_with(a, b, [drive[2], drive[3], drive[4]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::if_curr_alpha::Params as AlphaParams;
    use crate::model::if_curr_exp::{Params, Rates};
    use proptest::prelude::*;

    fn free(p: &Params, v0: f64, ie0: f64, ii0: f64) -> Free {
        Free {
            v0,
            ie0,
            ii0,
            v_inf: p.v_inf(0.0),
            cm: p.cm,
            rates: Rates::of(p),
        }
    }

    /// The closed form solves the ODE: its `v'` equals `lm (v_inf - v) + (I_E + I_I + I_ac)/cm`,
    /// and a central difference of `v` agrees with `v'` (an independent check of the
    /// particular solution).
    #[test]
    fn closed_form_solves_the_ode() {
        let p = Params {
            tau_syn_I: 7.0,
            ..Params::default()
        };
        let drive = Drive {
            sines: vec![
                Sine::of_ac_source(0.5, 100.0, 30.0, 2.0),
                Sine::of_ac_source(0.2, 7.0, -90.0, 0.0),
            ],
        };
        let f = Forced::new(free(&p, -60.0, 1.5, -0.7), 3.25, &drive);
        for k in 0..200 {
            let s = k as f64 * 0.37;
            let e = f.eval(s);
            let st = f.state(s);
            assert_eq!(st.v, e.v);
            let i = st.isyn_exc + st.isyn_inh + drive.current(3.25 + s);
            let rhs = (f.base.v_inf - e.v) / p.tau_m + i / p.cm;
            assert!((e.dv - rhs).abs() < 1e-12, "{s}: {} vs {rhs}", e.dv);
            let h = 1e-5;
            let fd = (f.eval(s + h).v - f.eval((s - h).max(0.0)).v) / (s + h - (s - h).max(0.0));
            assert!((fd - e.dv).abs() < 1e-6, "{s}: {fd} vs {}", e.dv);
            let fd2 = (f.eval(s + h).dv - f.eval((s - h).max(0.0)).dv) / (s + h - (s - h).max(0.0));
            assert!((fd2 - e.d2v).abs() < 1e-5, "{s}: {fd2} vs {}", e.d2v);
        }
        // v at the start is the state it started from
        assert!((f.eval(0.0).v + 60.0).abs() < 1e-13);
    }

    /// PyNN's phase convention: the phase holds at `start` (issue 497).
    #[test]
    fn phase_holds_at_start() {
        let s = Sine::of_ac_source(1.0, 100.0, 90.0, 5.0);
        assert!((s.current(5.0) - 1.0).abs() < 1e-15);
        let s = Sine::of_ac_source(1.0, 100.0, 0.0, 10.0);
        assert!(s.current(10.0).abs() < 1e-15);
        // 100 Hz: a period of 10 ms
        assert!((s.current(12.5) - 1.0).abs() < 1e-14);
    }

    proptest! {
        /// The derivative bounds hold at every point of the interval (checked on a fine
        /// sample; `v'''` and `v''''` by differences of the closed form's `v''`).
        #[test]
        fn derivative_bounds_hold(
            v0 in -80.0f64..-40.0, ie in 0.0f64..5.0, ii in -5.0f64..0.0,
            tau_m in 2.0f64..40.0, tau_e in 0.2f64..40.0, tau_i in 0.2f64..40.0,
            amp in -2.0f64..2.0, freq in 1.0f64..500.0, phase in -180.0f64..180.0,
            a in 0.0f64..50.0, len in 0.01f64..20.0,
        ) {
            let p = Params { tau_m, tau_syn_E: tau_e, tau_syn_I: tau_i, ..Params::default() };
            let drive = Drive { sines: vec![Sine::of_ac_source(amp, freq, phase, 1.0)] };
            let f = Forced::new(free(&p, v0, ie, ii), 4.0, &drive);
            let b = a + len;
            let m = f.derivative_bounds(a, b);
            for k in 0..=200 {
                let s = a + len * k as f64 / 200.0;
                let e = f.eval(s);
                prop_assert!(e.d2v.abs() <= m[0] * (1.0 + 1e-9) + 1e-12, "v'' {} > {}", e.d2v, m[0]);
                // v''' = -lm v'' + sum lX^2 I_X/cm + P''' and so on: checked by differences
                let h = 1e-4 * len.min(1.0);
                if s + h <= b {
                    let d3 = (f.eval(s + h).d2v - e.d2v) / h;
                    prop_assert!(d3.abs() <= m[1] * (1.0 + 1e-6) + m[2] * h + 1e-6);
                }
            }
        }
    }

    /// An `IF_curr_alpha` time constant: equal to `tau_m`, within 1e-9 of it, or `other`.
    fn alpha_tau(tau_m: f64, kind: u8, other: f64) -> f64 {
        match kind {
            0 => tau_m,
            1 => tau_m * (1.0 + 1e-9),
            2 => tau_m * (1.0 - 1e-9),
            _ => other,
        }
    }

    /// The alpha base's forced trajectory from state `st = (v, I_E, I_E', I_I, I_I')`.
    fn alpha<'a>(
        p: &AlphaParams,
        st: [f64; 5],
        dc: f64,
        t0: f64,
        drive: &'a Drive,
    ) -> Forced<'a, AlphaFree> {
        let s = AlphaState {
            v: st[0],
            isyn_exc: st[1],
            disyn_exc: st[2],
            isyn_inh: st[3],
            disyn_inh: st[4],
        };
        let f = AlphaFree::new(p, &AlphaDerived::of(p), &s, dc);
        Forced::new(f, t0, drive)
    }

    /// The alpha base under a drive solves the ODE (`v'` is its right-hand side with the
    /// currents of the state, and central differences of `v` and `v'` agree with `v'` and
    /// `v''`); with a zero-amplitude sine it is `IF_curr_alpha`'s `Free::eval` bit for bit.
    #[test]
    fn alpha_closed_form_solves_the_ode() {
        let drive = Drive {
            sines: vec![
                Sine::of_ac_source(0.5, 100.0, 30.0, 2.0),
                Sine::of_ac_source(0.2, 7.0, -90.0, 0.0),
            ],
        };
        for (te, ti) in [(1.5, 4.0), (20.0, 20.0), (20.0 * (1.0 + 1e-9), 0.5)] {
            let p = AlphaParams {
                tau_syn_E: te,
                tau_syn_I: ti,
                i_offset: 0.3,
                ..AlphaParams::default()
            };
            let f = alpha(&p, [-60.0, 2.0, -1.0, -1.0, -0.5], 0.1, 3.25, &drive);
            for k in 0..200 {
                let s = k as f64 * 0.37;
                let e = f.eval(s);
                let st = f.state(s);
                assert_eq!(st.v, e.v);
                let i = st.isyn_exc + st.isyn_inh + drive.current(3.25 + s);
                let rhs = (f.base.v_inf - e.v) / p.tau_m + i / p.cm;
                assert!((e.dv - rhs).abs() < 1e-12, "{s}: {} vs {rhs}", e.dv);
                if s > 0.0 {
                    // central differences
                    let h = 1e-5;
                    let fd = (f.eval(s + h).v - f.eval(s - h).v) / (2.0 * h);
                    assert!((fd - e.dv).abs() < 1e-6, "{s}: {fd} vs {}", e.dv);
                    let fd2 = (f.eval(s + h).dv - f.eval(s - h).dv) / (2.0 * h);
                    assert!((fd2 - e.d2v).abs() < 1e-5, "{s}: {fd2} vs {}", e.d2v);
                }
            }
            assert!((f.eval(0.0).v + 60.0).abs() < 1e-13);
            let zero = Drive {
                sines: vec![Sine::of_ac_source(0.0, 50.0, 0.0, 0.0)],
            };
            let f0 = alpha(&p, [-60.0, 2.0, -1.0, -1.0, -0.5], 0.1, 3.25, &zero);
            for k in 0..50 {
                let s = k as f64 * 0.71;
                let (e, want) = (f0.eval(s), f0.base.eval(s));
                assert_eq!((e.v, e.dv, e.d2v), (want.v, want.dv, want.d2v), "{s}");
                assert!(e.err[1] >= want.dv_err, "{s}");
            }
        }
    }

    proptest! {
        /// The alpha base's derivative bounds hold at every point of a fine sample of the
        /// interval, against `v''`, `v'''`, `v''''` computed from the ODE with the currents'
        /// own derivatives (`I = (I0 + A0 s) e^{-l s}`: `I^(n) = (-l)^(n-1) (n A0 - l (I0 +
        /// A0 s)) e^{-l s}`; the drive: `I_ac^(n)` of `A sin`), which the bounds' argument does
        /// not use: `v^(n+1) = -lm v^(n) + (I_E^(n) + I_I^(n) + I_ac^(n))/cm`. `tau_syn` is
        /// equal to, within 1e-9 of, or far from `tau_m`.
        #[test]
        fn alpha_derivative_bounds_hold(
            v0 in -80.0f64..-40.0, ie in 0.0f64..5.0, die in -10.0f64..10.0,
            ii in -5.0f64..0.0, dii in -10.0f64..10.0,
            tau_m in 2.0f64..40.0, ke in 0u8..5, ki in 0u8..5,
            tau_e in 0.2f64..40.0, tau_i in 0.2f64..40.0,
            amp in -2.0f64..2.0, freq in 1.0f64..500.0, phase in -180.0f64..180.0,
            a in 0.0f64..50.0, len in 0.01f64..20.0,
        ) {
            let p = AlphaParams {
                tau_m, tau_syn_E: alpha_tau(tau_m, ke, tau_e), tau_syn_I: alpha_tau(tau_m, ki, tau_i),
                ..AlphaParams::default()
            };
            let sine = Sine::of_ac_source(amp, freq, phase, 1.0);
            let drive = Drive { sines: vec![sine] };
            let t0 = 4.0;
            let f = alpha(&p, [v0, ie, die, ii, dii], 0.0, t0, &drive);
            let b = a + len;
            let m = f.derivative_bounds(a, b);
            let lm = 1.0 / tau_m;
            for k in 0..=200 {
                let s = a + len * k as f64 / 200.0;
                let e = f.eval(s);
                // I^(n) of both receptors, n = 1..=3
                let mut isyn = [0.0; 4];
                for syn in &f.base.syn {
                    let (l, q) = (syn.l, syn.i0 + syn.a0 * s);
                    let ex = (-l * s).exp();
                    for (n, x) in isyn.iter_mut().enumerate().skip(1) {
                        *x += (-l).powi(n as i32 - 1) * (n as f64 * syn.a0 - l * q) * ex;
                    }
                }
                // I_ac^(n) = A w^n sin(theta + n pi/2)
                let th = sine.omega * (t0 + s - sine.t_ref) + sine.phase;
                let iac = |n: i32| {
                    sine.amplitude * sine.omega.powi(n) * (th + f64::from(n) * std::f64::consts::FRAC_PI_2).sin()
                };
                let d3 = -lm * e.d2v + (isyn[2] + iac(2)) / p.cm;
                let d4 = -lm * d3 + (isyn[3] + iac(3)) / p.cm;
                let slack = |x: f64| x * (1.0 + 1e-9) + 1e-9;
                prop_assert!(e.d2v.abs() <= slack(m[0]), "v'' {} > {} at {}", e.d2v, m[0], s);
                prop_assert!(d3.abs() <= slack(m[1]), "v''' {} > {} at {}", d3, m[1], s);
                prop_assert!(d4.abs() <= slack(m[2]), "v'''' {} > {} at {}", d4, m[2], s);
            }
        }
    }
}
