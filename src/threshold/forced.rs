//! The first-crossing solver under sinusoidal injected current (PyNN's `ACSource`): the exact
//! first time `v(t) >= v_thresh` on a free interval whose trajectory is a base trajectory plus
//! the drive's response, `v(s) = base(s) + P(t0 + s)` (`model::ac_drive`), guaranteed not to
//! miss a crossing however brief. The base is any `model::ac_drive::ForcedBase`: for
//! `IF_curr_exp` (and `IF_curr_delta`, without currents)
//! `base(s) = v_inf + (v0 - v_inf) e^{-lm s} + sum_X (I_X0/cm) K_X(s)`, for `IF_curr_alpha`
//! `base(s) = v_inf + (v0 - v_inf) e^{-lm s} + sum_X (I0_X K1_X(s) + A0_X K2_X(s))/cm`. The
//! argument below uses only what the trait gives (values with rounding bounds, derivative
//! bounds on intervals, a supremum, a settling transient), each proved where it is
//! implemented.
//!
//! # The claim and its proof
//!
//! With a sine in it, `v'` can change sign any number of times, so the three-piece argument of
//! the exponential solver (`super`) does not apply. Instead the solver bounds the derivatives of
//! `v` on an interval `[a, b]` (`L = b - a`) in closed form ([`Forced::derivative_bounds`]:
//! `M2 >= |v''|`, `M3 >= |v'''|`, `M4 >= |v''''|` there) and uses the error bound of linear
//! interpolation, `|g(t) - (linear interpolant of g at a, b)(t)| <= sup|g''| L^2 / 8`, for
//! `g = v, v', v''`:
//!
//! ```text
//! v(t)   <= max(v(a), v(b))     + M2 L^2/8          (1: v stays below threshold)
//! v'(t)  >= min(v'(a), v'(b))   - M3 L^2/8          (2: v rises on [a, b]; symmetric: falls)
//! v''(t) <= max(v''(a), v''(b)) + M4 L^2/8          (3: v is concave; symmetric: convex)
//! ```
//!
//! each with the computed values' rounding bounds added on the unsafe side. Starting from
//! `v(a) < v_thresh`, an interval is decided when one of these holds:
//!
//! 1. `v < v_thresh` on all of it: no crossing there.
//! 2. `v` monotone on it: rising, the crossing exists iff `v(b) >= v_thresh` and is unique
//!    (bracketed search, as in `super`); falling, none.
//! 3. `v` concave: `v'` falls, so `v` has at most one critical point, a maximum `c`, found by a
//!    bracketed search on `v'`; the crossing is in `[a, c]` iff `v(c) >= v_thresh`, and `v` is
//!    monotone there. Convex: `v` has at most one minimum `c` and its maximum at an end, so a
//!    crossing exists iff `v(b) >= v_thresh`, in `[max(a, c), b]` where `v` rises.
//!
//! Otherwise the interval is halved and the halves decided left first, so the first crossing
//! found is the first crossing. Halving terminates: `L^2/8` shrinks to 0, so (1) eventually
//! holds near any point where `v < v_thresh` by more than rounding, (2) near any point where
//! `v' != 0`, (3) near any point where `v'' != 0`. The one point where none holds is one with
//! `v = v_thresh`, `v' = v'' = 0` at once; there, once an interval is a few floats wide, the
//! computed `v(b)` decides (a contact within the rounding of `v`, the same resolution as the
//! exponential solver's grazes).
//!
//! # Where to search
//!
//! With `R0 = sum_k R_k` (the response's amplitude bound), `v(s) <= sup base + R0`
//! (`ForcedBase::sup`; `P <= R0`; `IF_curr_exp` with `I_I0 <= 0`: `v_inf + max(0, v0 -
//! v_inf) + (I_E0/cm) Kmax_E`, the inhibitory term being `<= 0`; `IF_curr_alpha`: with the
//! kernels' suprema): below threshold, there is never a crossing ([`ForcedCrossing::Never`]).
//! If `v_inf + R0 < v_thresh`, the transient bound `U(s) >= base(s) - v_inf`
//! (`ForcedBase::transient`; `IF_curr_exp`: `|v0 - v_inf| e^{-lm s} + sum_X |I_X0/cm| s
//! e^{-min(lm, lX) s}`) falls below the gap after a settling time `T` (found by doubling from
//! `ForcedBase::settle_start`, past which `U` is falling): the search ends at
//! `min(horizon, T)`, and nothing found up to `T` means never. Otherwise a crossing may come
//! at any time, and the caller gives a finite horizon (the engine re-predicts at its end, as
//! for an alarm).
//!
//! # Tests
//!
//! `matches_a_fine_scan` (property: the found crossing agrees with a dense scan refined by
//! bisection, and nothing is missed), `brief_ac_excursion_found` (a peak 1e-9 mV above
//! threshold, lasting microseconds), `just_below_is_not_a_crossing` (1e-9 mV below),
//! `never_when_bounded_below`, `dc_limit` (a zero-amplitude sine gives the exponential
//! solver's answer), and `ac_grazes_found_and_near_misses_rejected` (property: random drives,
//! the threshold 1e-9..1e-3 mV below the highest peak found by a refined-peak oracle, or above
//! the supremum); `forced_never_hits_a_cap` (property: no search reaches a cap). On
//! `IF_curr_alpha` bases, with `tau_syn` equal to, within 1e-9 of, or far from `tau_m`:
//! `alpha_matches_a_fine_scan`, `alpha_ac_grazes_found_and_near_misses_rejected`,
//! `alpha_forced_never_hits_a_cap` (which also checks every `Never` against a 500 ms scan);
//! the bounds themselves: `model::ac_drive`'s `derivative_bounds_hold` and
//! `alpha_derivative_bounds_hold`.

use super::{newton_sign_change, solve_monotone_by, Pt, SolverStats};
use crate::model::ac_drive::{Forced, ForcedBase, ForcedEval};

/// The outcome of a forced search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ForcedCrossing {
    /// The first crossing, at this relative time (ms).
    At(f64),
    /// No crossing in `[0, horizon]`; one may come later.
    NotBefore(f64),
    /// No crossing, ever (while the drive lasts).
    Never,
}

/// Cap on the intervals one search decides: a bug trap (a search decides a few per period).
const MAX_INTERVALS: u32 = 1_000_000;

/// The first `s` in `[0, horizon]` with `v(s) >= v_thresh` for the forced trajectory `f`.
/// `sup` is what the base's supremum bound needs ([`ForcedBase::sup`]: `IF_curr_exp`'s
/// `Kmax_E`, `IF_curr_alpha`'s kernel suprema). `horizon` may be infinite only when the
/// trajectory settles below threshold (else the answer is sought up to a cap and counted as a
/// cap hit).
pub fn first_crossing_forced<B: ForcedBase>(
    f: &Forced<B>,
    v_thresh: f64,
    sup: B::Sup,
    horizon: f64,
    stats: &mut SolverStats,
) -> ForcedCrossing {
    let b = &f.base;
    let start = f.eval(0.0);
    if start.v >= v_thresh {
        return ForcedCrossing::At(0.0);
    }
    let r0 = f.drive.response_bounds(b.lm(), b.cm())[0];
    // v(s) - P(t0 + s) = base trajectory <= its supremum (IF_curr_exp: v_inf + max(0, v0' -
    // v_inf) + (I_E0/cm) Kmax_E; the base's v0' = v0 - P(t0) carries the drive's start value)
    let v_inf = b.v_inf();
    let margin = 64.0 * f64::EPSILON * (b.magnitude(sup) + r0) + 1e-300;
    if let Some(bound) = b.sup(sup) {
        if bound + r0 + margin < v_thresh {
            return ForcedCrossing::Never;
        }
    }
    stats.searches += 1;
    let gap = v_thresh - (v_inf + r0) - margin;
    let (end, never_after) = if gap > 0.0 {
        let t_settle = settling_time(f, gap, stats);
        if t_settle <= horizon {
            (t_settle, true)
        } else {
            (horizon, false)
        }
    } else if horizon.is_finite() {
        (horizon, false)
    } else {
        // a crossing may come at any time and no horizon was given: a caller's bug
        stats.cap_hits += 1;
        debug_assert!(false, "forced search without a horizon");
        return ForcedCrossing::NotBefore(0.0);
    };
    // first cut: intervals of at most a quarter of the shortest period and one slowest time
    // constant (halving would get there too, one level at a time)
    let chunk = (f.drive.shortest_period() / 4.0).min(b.time_scale());
    let mut search = Search {
        f,
        v_thresh,
        stats,
        intervals: 0,
    };
    let mut lo = Point { t: 0.0, e: start };
    while lo.t < end {
        let t = (lo.t + chunk).min(end);
        let hi = Point::eval(f, t);
        if let Some(tc) = search.decide(&lo, &hi) {
            return ForcedCrossing::At(tc);
        }
        if search.intervals >= MAX_INTERVALS {
            search.stats.cap_hits += 1;
            debug_assert!(false, "forced search interval cap");
            return ForcedCrossing::NotBefore(lo.t);
        }
        lo = hi;
    }
    if never_after {
        ForcedCrossing::Never
    } else {
        ForcedCrossing::NotBefore(end)
    }
}

/// A time `T` after which the transient of `f`'s base stays below `gap`:
/// [`ForcedBase::transient`] `<= gap` for all `s >= T` (it falls from
/// [`ForcedBase::settle_start`] on, where the doubling starts; `IF_curr_exp`:
/// `|v0' - v_inf| e^{-lm s} + sum_X |I_X0/cm| s e^{-min(lm, lX) s}`, falling once
/// `s >= 1/min(lm, lX)`).
fn settling_time<B: ForcedBase>(f: &Forced<B>, gap: f64, stats: &mut SolverStats) -> f64 {
    let b = &f.base;
    let mut t = b.settle_start();
    for _ in 0..super::MAX_DOUBLINGS {
        if b.transient(t) <= gap {
            return t;
        }
        t *= 2.0;
    }
    stats.cap_hits += 1;
    debug_assert!(false, "settling time cap");
    t
}

/// A point of the trajectory with `v`, `v'`, `v''` and their rounding bounds.
#[derive(Clone, Copy, Debug)]
struct Point {
    t: f64,
    e: ForcedEval,
}

impl Point {
    fn eval<B: ForcedBase>(f: &Forced<B>, t: f64) -> Point {
        Point { t, e: f.eval(t) }
    }

    /// As the exponential solver's point: `v'` set to 0 where its sign is not reliable.
    fn pt(&self) -> Pt {
        Pt {
            t: self.t,
            v: self.e.v,
            d: if self.e.dv.abs() <= self.e.err[1] {
                0.0
            } else {
                self.e.dv
            },
        }
    }
}

struct Search<'a, 'b, B> {
    f: &'a Forced<'b, B>,
    v_thresh: f64,
    stats: &'a mut SolverStats,
    intervals: u32,
}

impl<B: ForcedBase> Search<'_, '_, B> {
    /// The first crossing in `[a.t, b.t]`, given `v(a) < v_thresh` was computed (see the
    /// module doc for the cases).
    fn decide(&mut self, a: &Point, b: &Point) -> Option<f64> {
        let th = self.v_thresh;
        if a.e.v >= th {
            return Some(a.t);
        }
        self.intervals += 1;
        if self.intervals > MAX_INTERVALS {
            return None;
        }
        let len = b.t - a.t;
        if len <= 4.0 * f64::EPSILON * b.t.abs().max(f64::MIN_POSITIVE) {
            // a few floats wide: the computed value decides
            return (b.e.v >= th).then_some(b.t);
        }
        let [m2, m3, m4] = self.f.derivative_bounds(a.t, b.t);
        let q = len * len / 8.0;
        // (1) below threshold throughout
        if a.e.v.max(b.e.v) + m2 * q + a.e.err[0].max(b.e.err[0]) < th {
            return None;
        }
        // (2) monotone
        let d_err = a.e.err[1].max(b.e.err[1]);
        if a.e.dv.max(b.e.dv) + m3 * q + d_err <= 0.0 {
            return None;
        }
        if a.e.dv.min(b.e.dv) - m3 * q - d_err >= 0.0 {
            return (b.e.v >= th).then(|| self.solve(a, b));
        }
        // (3) concave or convex
        let d2_err = a.e.err[2].max(b.e.err[2]);
        if a.e.d2v.max(b.e.d2v) + m4 * q + d2_err < 0.0 {
            // v' falls: at most one maximum
            if a.pt().d <= 0.0 {
                return None;
            }
            if b.pt().d >= 0.0 {
                return (b.e.v >= th).then(|| self.solve(a, b));
            }
            let c = self.critical_point(a, b, 1);
            return (c.e.v >= th).then(|| self.solve(a, &c));
        }
        if a.e.d2v.min(b.e.d2v) - m4 * q - d2_err > 0.0 {
            // v' rises: at most one minimum, the maximum at an end
            if b.e.v < th {
                return None;
            }
            if a.pt().d >= 0.0 {
                return Some(self.solve(a, b));
            }
            let c = self.critical_point(a, b, -1);
            if c.e.v >= th {
                // (only by rounding: v(c) <= v(a) < v_thresh)
                return Some(c.t);
            }
            return Some(self.solve(&c, b));
        }
        // (4) halve, left first
        let m = Point::eval(self.f, a.t + 0.5 * len);
        self.decide(a, &m).or_else(|| self.decide(&m, b))
    }

    /// The crossing in `[a, b]`, where `v` rises, `v(a) < v_thresh <= v(b)`.
    fn solve(&mut self, a: &Point, b: &Point) -> f64 {
        let f = self.f;
        solve_monotone_by(|t| f.v_dv(t), self.v_thresh, &a.pt(), &b.pt(), self.stats)
    }

    /// The zero of `v'` in `(a, b]`, where `v'` is monotone and leaves the sign `sa` of
    /// `v'(a)` once (a `v'` within its rounding of 0 counts as having left it).
    fn critical_point(&mut self, a: &Point, b: &Point, sa: i8) -> Point {
        let f = self.f;
        let c = newton_sign_change(
            |t| {
                let e = f.eval(t);
                let d = if e.dv.abs() <= e.err[1] {
                    -f64::from(sa) * f64::MIN_POSITIVE
                } else {
                    e.dv
                };
                (d, e.d2v)
            },
            a.t,
            b.t,
            sa,
            self.stats,
        );
        Point::eval(f, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ac_drive::{Drive, Sine};
    use crate::model::if_curr_alpha::{
        Derived as AlphaDerived, Free as AlphaFree, Params as AlphaParams, State as AlphaState,
    };
    use crate::model::if_curr_exp::{Free, Params, Rates};
    use crate::threshold::oracle::{self, bisect, Critical};
    use crate::threshold::{first_crossing, Crossing};
    use proptest::prelude::*;

    fn free(p: &Params, v0: f64, ie0: f64, ii0: f64, i_dc: f64) -> Free {
        Free {
            v0,
            ie0,
            ii0,
            v_inf: p.v_inf(i_dc),
            cm: p.cm,
            rates: Rates::of(p),
        }
    }

    fn solve(p: &Params, f: &Forced, horizon: f64) -> (ForcedCrossing, SolverStats) {
        let mut stats = SolverStats::default();
        let c = first_crossing_forced(f, p.v_thresh, p.kmax_exc(), horizon, &mut stats);
        (c, stats)
    }

    /// The first crossing by a dense scan refined by bisection: an oracle independent of the
    /// solver's bounds (it can miss a crossing narrower than its step, so the cases below
    /// keep excursions wider than that or check them otherwise).
    fn scan<B: ForcedBase>(f: &Forced<B>, v_thresh: f64, horizon: f64, step: f64) -> Option<f64> {
        let n = (horizon / step).ceil() as usize;
        let mut lo = 0.0;
        for k in 1..=n {
            let t = (k as f64 * step).min(horizon);
            if f.eval(t).v >= v_thresh {
                let (mut a, mut b) = (lo, t);
                for _ in 0..200 {
                    let m = 0.5 * (a + b);
                    if f.eval(m).v >= v_thresh {
                        b = m;
                    } else {
                        a = m;
                    }
                }
                return Some(b);
            }
            lo = t;
        }
        None
    }

    /// A sine of zero amplitude changes nothing: the exponential solver's answer, to rounding.
    #[test]
    fn dc_limit() {
        let p = Params {
            v_thresh: -55.0,
            ..Params::default()
        };
        let drive = Drive {
            sines: vec![Sine::of_ac_source(0.0, 50.0, 0.0, 0.0)],
        };
        for (v0, ie, ii, dc) in [
            (-65.0, 3.0, 0.0, 0.0),
            (-60.0, 0.0, 0.0, 0.6),
            (-58.0, 5.0, -2.0, 0.2),
        ] {
            let fr = free(&p, v0, ie, ii, dc);
            let fo = Forced::new(fr, 10.0, &drive);
            let expo = first_crossing(
                &fr,
                p.v_thresh,
                p.kmax_exc(),
                200.0,
                &mut SolverStats::default(),
            );
            let (got, stats) = solve(&p, &fo, 200.0);
            assert_eq!(stats.cap_hits, 0);
            match (expo, got) {
                (Crossing::At(a), ForcedCrossing::At(b)) => {
                    assert!((a - b).abs() < 1e-12, "{a} vs {b}")
                }
                (Crossing::None, ForcedCrossing::Never | ForcedCrossing::NotBefore(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    }

    /// A drive whose peak stays below threshold never crosses, with no horizon needed.
    #[test]
    fn never_when_bounded_below() {
        let p = Params::default(); // v_thresh -50, v_rest -65
        let drive = Drive {
            sines: vec![Sine::of_ac_source(1.0, 10.0, 0.0, 0.0)],
        };
        let fo = Forced::new(free(&p, -65.0, 0.0, 0.0, 0.0), 0.0, &drive);
        let (got, stats) = solve(&p, &fo, f64::INFINITY);
        assert_eq!(got, ForcedCrossing::Never);
        assert_eq!(stats.cap_hits, 0);
        // a transient that could cross early: searched up to settling, then never
        let fo = Forced::new(free(&p, -52.0, 2.0, 0.0, 0.0), 0.0, &drive);
        let (got, stats) = solve(&p, &fo, f64::INFINITY);
        assert!(matches!(got, ForcedCrossing::At(_) | ForcedCrossing::Never));
        assert_eq!(stats.cap_hits, 0);
    }

    /// The drive's steady oscillation `v_inf + R sin(...)` tuned so that its peak is `delta`
    /// above (or below) threshold: the peak is found (a crossing lasting microseconds) or not.
    fn tuned(delta: f64) -> (Params, Drive, Free) {
        let p = Params::default();
        let amp = 0.5;
        let freq = 200.0; // 5 ms period, fast against tau_m = 20
        let drive = Drive {
            sines: vec![Sine::of_ac_source(amp, freq, 0.0, 0.0)],
        };
        let r = drive.response_bounds(1.0 / p.tau_m, p.cm)[0];
        // DC current placing v_inf at v_thresh - R + delta
        let v_inf = p.v_thresh - r + delta;
        let i_dc = (v_inf - p.v_rest) * p.cm / p.tau_m;
        let mut fr = free(&p, 0.0, 0.0, 0.0, i_dc);
        fr.v_inf = v_inf;
        // start exactly on the steady oscillation (no transient): v0 = v_inf + P(t0), so
        // that the base trajectory starts at v_inf
        let probe = Forced::new(Free { v0: v_inf, ..fr }, 100.0, &drive);
        let p_t0 = v_inf - probe.base.v0;
        let fr = Free {
            v0: v_inf + p_t0,
            ..fr
        };
        (p, drive, fr)
    }

    #[test]
    fn brief_ac_excursion_found() {
        for delta in [1e-9, 1e-7, 1e-4] {
            let (p, drive, fr) = tuned(delta);
            let fo = Forced::new(fr, 100.0, &drive);
            let (got, stats) = solve(&p, &fo, 20.0);
            assert_eq!(stats.cap_hits, 0);
            let ForcedCrossing::At(t) = got else {
                panic!("{delta}: missed, {got:?}")
            };
            assert!(fo.eval(t).v >= p.v_thresh, "{delta}");
            // before t, v is below threshold: the excursion lasts about 2 sqrt(2 delta/(R w^2))
            assert!(fo.eval(t * (1.0 - 1e-12) - 1e-9).v < p.v_thresh, "{delta}");
            // within the first period
            assert!(t < 5.0 + 1e-9, "{delta}: {t}");
        }
    }

    #[test]
    fn just_below_is_not_a_crossing() {
        for delta in [-1e-9, -1e-6] {
            let (p, drive, fr) = tuned(delta);
            let fo = Forced::new(fr, 100.0, &drive);
            let (got, stats) = solve(&p, &fo, 20.0);
            assert_eq!(stats.cap_hits, 0);
            assert!(
                matches!(got, ForcedCrossing::NotBefore(_) | ForcedCrossing::Never),
                "{delta}: {got:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Agreement with a dense scan refined by bisection (step 1e-3 ms): the same first
        /// crossing to 1e-9 ms, and no crossing found where the scan sees none... unless the
        /// scan's step skipped a brief excursion, in which case the found time must be a
        /// true crossing with v below threshold just before it.
        #[test]
        fn matches_a_fine_scan(
            v0 in -70.0f64..-50.5, ie in prop_oneof![Just(0.0), 0.0f64..3.0],
            ii in prop_oneof![Just(0.0), -3.0f64..0.0],
            tau_m in 5.0f64..30.0, tau_e in 0.5f64..10.0, tau_i in 0.5f64..10.0,
            dc in 0.0f64..1.2, amp in 0.0f64..1.5, freq in 2.0f64..300.0,
            phase in -180.0f64..180.0, t0 in 0.0f64..50.0,
        ) {
            let p = Params { tau_m, tau_syn_E: tau_e, tau_syn_I: tau_i, v_thresh: -50.0, ..Params::default() };
            let drive = Drive { sines: vec![Sine::of_ac_source(amp, freq, phase, 0.0)] };
            let fo = Forced::new(free(&p, v0, ie, ii, dc), t0, &drive);
            let horizon = 30.0;
            let (got, stats) = solve(&p, &fo, horizon);
            prop_assert_eq!(stats.cap_hits, 0);
            let oracle = scan(&fo, p.v_thresh, horizon, 1e-3);
            match (got, oracle) {
                (ForcedCrossing::At(t), Some(o)) => {
                    // the solver may find an excursion the scan stepped over, never later
                    prop_assert!(t <= o + 1e-9, "solver {} after scan {}", t, o);
                    if t < o - 1e-9 {
                        prop_assert!(fo.eval(t).v >= p.v_thresh);
                    }
                }
                (ForcedCrossing::At(t), None) => {
                    prop_assert!(fo.eval(t).v >= p.v_thresh - 1e-12);
                }
                (_, Some(o)) => prop_assert!(false, "missed the crossing at {}", o),
                (_, None) => {}
            }
        }
    }

    /// The sign of the computed `v'(s)` where it is beyond its rounding bound, else 0.
    fn dv_sign<B: ForcedBase>(f: &Forced<B>, s: f64) -> i8 {
        let e = f.eval(s);
        if e.dv > e.err[1] {
            1
        } else if e.dv < -e.err[1] {
            -1
        } else {
            0
        }
    }

    /// The refined-peak oracle, independent of the solver's derivative bounds: the critical
    /// points of `v` on `[0, horizon]`, in order. The sign of the closed form's `v'` is scanned
    /// with a step of 1/400 of the drive's period (at most 5e-3 ms) and each change between two
    /// reliable signs is bisected to adjacent floats, where `v` is evaluated.
    fn critical_points<B: ForcedBase>(f: &Forced<B>, horizon: f64) -> Vec<Critical> {
        let step = (f.drive.shortest_period() / 400.0).min(5e-3);
        let n = (horizon / step).ceil() as usize;
        oracle::critical_points(
            (0..=n).map(|k| (k as f64 * step).min(horizon)),
            |s| dv_sign(f, s),
            |s| f.eval(s).v,
        )
    }

    /// The first crossing of `thr` in `[0, horizon]` by the oracle: on the first rising piece
    /// whose end reaches `thr` (`oracle::crossing_up_to_last`), or on the last one, up to
    /// `horizon`.
    fn oracle_crossing<B: ForcedBase>(
        f: &Forced<B>,
        thr: f64,
        crit: &[Critical],
        horizon: f64,
    ) -> Option<f64> {
        let v = |t: f64| f.eval(t).v;
        match oracle::crossing_up_to_last(v, thr, crit) {
            Ok(t) => Some(t),
            Err(a) => (v(horizon) >= thr).then(|| bisect(a, horizon, |t| v(t) < thr)),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Grazes under a sine are decided right (the random version of
        /// `brief_ac_excursion_found` and `just_below_is_not_a_crossing`). For a random drive
        /// and start, the refined-peak oracle finds the highest maximum of `v` on `[0, 30]` ms;
        /// the threshold is put `delta` (log-uniform in 1e-9..1e-3 mV) below it, where the
        /// solver must find the oracle's first crossing (to the rounding of `v` over the slope
        /// there), no later than that maximum and with `v >= v_thresh` there; or `delta` above
        /// the oracle's supremum of `v` on `[0, 30]`, where it must find none. Trajectories
        /// whose maximum is at an end only get the threshold above.
        #[test]
        fn ac_grazes_found_and_near_misses_rejected(
            v0 in -70.0f64..-50.5, ie in prop_oneof![Just(0.0), 0.0f64..3.0],
            ii in prop_oneof![Just(0.0), -3.0f64..0.0],
            tau_m in 5.0f64..30.0, tau_e in 0.5f64..10.0, tau_i in 0.5f64..10.0,
            dc in 0.0f64..1.2, amp in 0.05f64..1.5, freq in 2.0f64..300.0,
            phase in -180.0f64..180.0, t0 in 0.0f64..50.0,
            log_delta in -9.0f64..-3.0, above in any::<bool>(),
        ) {
            let p = Params { tau_m, tau_syn_E: tau_e, tau_syn_I: tau_i, ..Params::default() };
            let drive = Drive { sines: vec![Sine::of_ac_source(amp, freq, phase, 0.0)] };
            let fo = Forced::new(free(&p, v0, ie, ii, dc), t0, &drive);
            let horizon = 30.0;
            let delta = 10f64.powf(log_delta);
            let crit = critical_points(&fo, horizon);
            let v = |t: f64| fo.eval(t).v;
            let sup = crit.iter().filter(|c| c.is_max).map(|c| c.v).fold(v(0.0).max(v(horizon)), f64::max);
            let rounding = fo.eval(0.0).err[0];
            let peak = crit.iter().filter(|c| c.is_max).max_by(|a, b| a.v.total_cmp(&b.v))
                .filter(|c| c.v - delta > v(0.0) + rounding);
            let thr = match peak {
                Some(c) if !above => c.v - delta,
                _ => sup + delta,
            };
            let expected = oracle_crossing(&fo, thr, &crit, horizon);
            prop_assert_eq!(expected.is_none(), thr > sup, "oracle: {:?} for {} vs sup {}", expected, thr, sup);
            let p = Params { v_thresh: thr, ..p };
            let (got, stats) = solve(&p, &fo, horizon);
            prop_assert_eq!(stats.cap_hits, 0);
            match (got, expected) {
                (ForcedCrossing::At(t), Some(o)) => {
                    let e = fo.eval(o);
                    let tol = 4.0 * e.err[0] / e.dv.max(1e-300) + 8.0 * f64::EPSILON * o;
                    prop_assert!(v(t) >= thr, "v({}) = {} < {}", t, v(t), thr);
                    prop_assert!((t - o).abs() <= tol, "solver {}, oracle {} (tolerance {})", t, o, tol);
                    if let (Some(c), false) = (peak, above) {
                        prop_assert!(t <= c.t * (1.0 + 4.0 * f64::EPSILON), "crossing {} after the peak {}", t, c.t);
                    }
                }
                (ForcedCrossing::NotBefore(_) | ForcedCrossing::Never, None) => {}
                (got, want) => prop_assert!(false, "solver {:?}, oracle {:?}, v_thresh = peak {} delta {}", got, want, if above { "+" } else { "-" }, delta),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// No forced search hits a cap (the caps are bug traps: `cap_hits` stays 0), over
        /// drives wider than the other properties': one to three sines of up to 5 nA and
        /// 0.1..2000 Hz, currents up to 50 nA, any threshold above `v0`, horizons up to 500 ms,
        /// and an infinite horizon where the caller may give one (the trajectory settles below
        /// threshold: `v_inf + R0 < v_thresh`).
        #[test]
        fn forced_never_hits_a_cap(
            sines in proptest::collection::vec((0.0f64..5.0, 0.1f64..2000.0, -180.0f64..180.0, -20.0f64..20.0), 1..=3),
            v0 in -80.0f64..-50.0, above_v0 in 1e-9f64..30.0,
            ie in prop_oneof![Just(0.0), 0.0f64..50.0], ii in prop_oneof![Just(0.0), -50.0f64..0.0],
            tau_m in 1.0f64..50.0, tau_e in 0.1f64..20.0, tau_i in 0.1f64..20.0,
            dc in -1.0f64..2.0, t0 in 0.0f64..100.0, horizon in 0.0f64..500.0, infinite in any::<bool>(),
        ) {
            let p = Params { tau_m, tau_syn_E: tau_e, tau_syn_I: tau_i, v_thresh: v0 + above_v0, ..Params::default() };
            let drive = Drive { sines: sines.iter().map(|&(a, f, ph, start)| Sine::of_ac_source(a, f, ph, start)).collect() };
            let fo = Forced::new(free(&p, v0, ie, ii, dc), t0, &drive);
            let r0 = drive.response_bounds(1.0 / tau_m, p.cm)[0];
            let settles = fo.base.v_inf + r0 < p.v_thresh - 1e-6;
            let horizon = if infinite && settles { f64::INFINITY } else { horizon };
            let (got, stats) = solve(&p, &fo, horizon);
            prop_assert_eq!(stats.cap_hits, 0, "{:?}", got);
        }
    }

    /// `IF_curr_alpha` bases (`ForcedBase for if_curr_alpha::Free`): a time constant from
    /// `kind`: equal to `tau_m`, within a relative 1e-9 of it on either side, or `other`.
    fn alpha_tau(tau_m: f64, kind: u8, other: f64) -> f64 {
        match kind {
            0 => tau_m,
            1 => tau_m * (1.0 + 1e-9),
            2 => tau_m * (1.0 - 1e-9),
            _ => other,
        }
    }

    /// An `IF_curr_alpha` cell's parameters, its [`AlphaDerived`] and the forced trajectory
    /// from state `(v0, I_E, I_E', I_I, I_I')` with DC `dc` under `drive` from `t0`.
    #[allow(clippy::too_many_arguments)]
    fn alpha_forced(
        tau_m: f64,
        tau_e: f64,
        tau_i: f64,
        v_thresh: f64,
        st: [f64; 5],
        dc: f64,
        drive: &Drive,
        t0: f64,
    ) -> (AlphaParams, AlphaDerived, Forced<'_, AlphaFree>) {
        let p = AlphaParams {
            tau_m,
            tau_syn_E: tau_e,
            tau_syn_I: tau_i,
            v_thresh,
            ..AlphaParams::default()
        };
        let d = AlphaDerived::of(&p);
        let s = AlphaState {
            v: st[0],
            isyn_exc: st[1],
            disyn_exc: st[2],
            isyn_inh: st[3],
            disyn_inh: st[4],
        };
        let f = AlphaFree::new(&p, &d, &s, dc);
        (p, d, Forced::new(f, t0, drive))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// `matches_a_fine_scan` for `IF_curr_alpha` bases, with `tau_syn` equal to, within
        /// 1e-9 of, or far from `tau_m`, and currents and their derivatives of both signs.
        #[test]
        fn alpha_matches_a_fine_scan(
            v0 in -70.0f64..-50.5, ie in prop_oneof![Just(0.0), 0.0f64..3.0],
            die in prop_oneof![Just(0.0), -3.0f64..5.0],
            ii in prop_oneof![Just(0.0), -3.0f64..0.0], dii in prop_oneof![Just(0.0), -5.0f64..3.0],
            tau_m in 5.0f64..30.0, ke in 0u8..5, ki in 0u8..5,
            tau_e in 0.5f64..10.0, tau_i in 0.5f64..10.0,
            dc in 0.0f64..1.2, amp in 0.0f64..1.5, freq in 2.0f64..300.0,
            phase in -180.0f64..180.0, t0 in 0.0f64..50.0,
        ) {
            let drive = Drive { sines: vec![Sine::of_ac_source(amp, freq, phase, 0.0)] };
            let (p, d, fo) = alpha_forced(
                tau_m, alpha_tau(tau_m, ke, tau_e), alpha_tau(tau_m, ki, tau_i), -50.0,
                [v0, ie, die, ii, dii], dc, &drive, t0,
            );
            let horizon = 30.0;
            let mut stats = SolverStats::default();
            let got = first_crossing_forced(&fo, p.v_thresh, d, horizon, &mut stats);
            prop_assert_eq!(stats.cap_hits, 0);
            let oracle = scan(&fo, p.v_thresh, horizon, 1e-3);
            match (got, oracle) {
                (ForcedCrossing::At(t), Some(o)) => {
                    prop_assert!(t <= o + 1e-9, "solver {} after scan {}", t, o);
                    if t < o - 1e-9 {
                        prop_assert!(fo.eval(t).v >= p.v_thresh);
                    }
                }
                (ForcedCrossing::At(t), None) => {
                    prop_assert!(fo.eval(t).v >= p.v_thresh - 1e-12);
                }
                (_, Some(o)) => prop_assert!(false, "missed the crossing at {}", o),
                (_, None) => {}
            }
        }

        /// `ac_grazes_found_and_near_misses_rejected` for `IF_curr_alpha` bases (the
        /// refined-peak oracle on the closed form's `v'` sign, the threshold 1e-9..1e-3 mV below
        /// the highest peak or above the supremum), incl. `tau_syn == tau_m` and
        /// `tau_m (1 +- 1e-9)`.
        #[test]
        fn alpha_ac_grazes_found_and_near_misses_rejected(
            v0 in -70.0f64..-50.5, ie in prop_oneof![Just(0.0), 0.0f64..3.0],
            die in prop_oneof![Just(0.0), -3.0f64..5.0],
            ii in prop_oneof![Just(0.0), -3.0f64..0.0], dii in prop_oneof![Just(0.0), -5.0f64..3.0],
            tau_m in 5.0f64..30.0, ke in 0u8..5, ki in 0u8..5,
            tau_e in 0.5f64..10.0, tau_i in 0.5f64..10.0,
            dc in 0.0f64..1.2, amp in 0.05f64..1.5, freq in 2.0f64..300.0,
            phase in -180.0f64..180.0, t0 in 0.0f64..50.0,
            log_delta in -9.0f64..-3.0, above in any::<bool>(),
        ) {
            let drive = Drive { sines: vec![Sine::of_ac_source(amp, freq, phase, 0.0)] };
            let (tau_e, tau_i) = (alpha_tau(tau_m, ke, tau_e), alpha_tau(tau_m, ki, tau_i));
            let st = [v0, ie, die, ii, dii];
            let (_, d, fo) = alpha_forced(tau_m, tau_e, tau_i, -50.0, st, dc, &drive, t0);
            let horizon = 30.0;
            let delta = 10f64.powf(log_delta);
            let crit = critical_points(&fo, horizon);
            let v = |t: f64| fo.eval(t).v;
            let sup = crit.iter().filter(|c| c.is_max).map(|c| c.v).fold(v(0.0).max(v(horizon)), f64::max);
            let rounding = fo.eval(0.0).err[0];
            let peak = crit.iter().filter(|c| c.is_max).max_by(|a, b| a.v.total_cmp(&b.v))
                .filter(|c| c.v - delta > v(0.0) + rounding);
            let thr = match peak {
                Some(c) if !above => c.v - delta,
                _ => sup + delta,
            };
            let expected = oracle_crossing(&fo, thr, &crit, horizon);
            prop_assert_eq!(expected.is_none(), thr > sup, "oracle: {:?} for {} vs sup {}", expected, thr, sup);
            let mut stats = SolverStats::default();
            let got = first_crossing_forced(&fo, thr, d, horizon, &mut stats);
            prop_assert_eq!(stats.cap_hits, 0);
            match (got, expected) {
                (ForcedCrossing::At(t), Some(o)) => {
                    let e = fo.eval(o);
                    let tol = 4.0 * e.err[0] / e.dv.max(1e-300) + 8.0 * f64::EPSILON * o;
                    prop_assert!(v(t) >= thr, "v({}) = {} < {}", t, v(t), thr);
                    prop_assert!((t - o).abs() <= tol, "solver {}, oracle {} (tolerance {})", t, o, tol);
                    if let (Some(c), false) = (peak, above) {
                        prop_assert!(t <= c.t * (1.0 + 4.0 * f64::EPSILON), "crossing {} after the peak {}", t, c.t);
                    }
                }
                (ForcedCrossing::NotBefore(_) | ForcedCrossing::Never, None) => {}
                (got, want) => prop_assert!(false, "solver {:?}, oracle {:?}, v_thresh = peak {} delta {}", got, want, if above { "+" } else { "-" }, delta),
            }
        }

        /// `forced_never_hits_a_cap` for `IF_curr_alpha` bases: wide drives and currents, any
        /// threshold above `v0`, and an infinite horizon where the trajectory settles below
        /// threshold; a `Never` (infinite horizon) is checked against a scan of 500 ms.
        #[test]
        fn alpha_forced_never_hits_a_cap(
            sines in proptest::collection::vec((0.0f64..5.0, 0.1f64..2000.0, -180.0f64..180.0, -20.0f64..20.0), 1..=3),
            v0 in -80.0f64..-50.0, above_v0 in 1e-9f64..30.0,
            ie in prop_oneof![Just(0.0), 0.0f64..50.0], die in -50.0f64..50.0,
            ii in prop_oneof![Just(0.0), -50.0f64..0.0], dii in -50.0f64..50.0,
            tau_m in 1.0f64..50.0, ke in 0u8..5, ki in 0u8..5,
            tau_e in 0.1f64..20.0, tau_i in 0.1f64..20.0,
            dc in -1.0f64..2.0, t0 in 0.0f64..100.0, horizon in 0.0f64..500.0, infinite in any::<bool>(),
        ) {
            let drive = Drive { sines: sines.iter().map(|&(a, f, ph, start)| Sine::of_ac_source(a, f, ph, start)).collect() };
            let (tau_e, tau_i) = (alpha_tau(tau_m, ke, tau_e), alpha_tau(tau_m, ki, tau_i));
            let (p, d, fo) = alpha_forced(tau_m, tau_e, tau_i, v0 + above_v0, [v0, ie, die, ii, dii], dc, &drive, t0);
            let r0 = drive.response_bounds(1.0 / tau_m, p.cm)[0];
            let settles = fo.base.v_inf + r0 < p.v_thresh - 1e-6;
            let horizon = if infinite && settles { f64::INFINITY } else { horizon };
            let mut stats = SolverStats::default();
            let got = first_crossing_forced(&fo, p.v_thresh, d, horizon, &mut stats);
            prop_assert_eq!(stats.cap_hits, 0, "{:?}", got);
            if got == ForcedCrossing::Never {
                let step = (drive.shortest_period() / 50.0).clamp(1e-4, 1e-2);
                prop_assert!(scan(&fo, p.v_thresh, 500.0, step).is_none(), "never, but the scan crosses");
            }
        }
    }
}
