//! The first-crossing solver of `IF_curr_delta` between inputs: `v(t) = v_inf + (v0 - v_inf)
//! e^{-t/tau_m}` is monotone, so it crosses `v_thresh` at most once, in closed form.
//!
//! If `v0 >= v_thresh` the crossing is at 0. Otherwise `v` rises to `v_inf` only if `v_inf >
//! v0`, and reaches `v_thresh` iff `v_inf > v_thresh`, at
//!
//! ```text
//! t = tau_m ln((v_inf - v0)/(v_inf - v_thresh)) = tau_m ln_1p((v_thresh - v0)/(v_inf - v_thresh))
//! ```
//!
//! written with `ln_1p` so that a crossing close to `v0` (small argument) keeps full relative
//! precision; both differences are of the given numbers, and exact when they are close
//! (Sterbenz). `v_inf == v_thresh` is approached, never reached: no crossing. Jumps (inputs)
//! are the caller's: `model::if_curr_delta::jump` decides a crossing at an arrival time.

use super::Crossing;
use crate::model::if_curr_delta::{Free, IfCurrDelta};

/// The first time `t` in `[0, horizon]` (relative, ms) with `v(t) >= v_thresh` on the free
/// trajectory `f`: the closed form above, moved up by a few ulps if the computed `v` there is
/// still below threshold by rounding (so that `v >= v_thresh` holds where it is reported).
pub(crate) fn first_crossing(f: &Free, v_thresh: f64, horizon: f64) -> Crossing {
    if f.v0 >= v_thresh {
        return Crossing::At(0.0);
    }
    if f.v_inf <= v_thresh || horizon <= 0.0 {
        return Crossing::None;
    }
    let mut t = ((v_thresh - f.v0) / (f.v_inf - v_thresh)).ln_1p() / f.lm;
    for _ in 0..8 {
        if f.v(t) >= v_thresh {
            break;
        }
        t += 2.0 * f64::EPSILON * t;
    }
    if t <= horizon {
        Crossing::At(t)
    } else {
        Crossing::None
    }
}

/// The rules of `model::if_curr_delta` (jumps, refractoriness, drift crossings) run by an
/// event-list reference stepper; they live here, beside the drift solver they call, as the
/// model layer does not see the solver layer.
/// The crossing is in closed form, so the bound is the crossing itself, shrunk by a relative
/// `1e-12` (below the few ulps by which [`first_crossing`] may move it up).
impl super::Crossings for IfCurrDelta {
    fn first_crossing(
        f: &Free,
        _: &f64,
        v_thresh: f64,
        horizon: f64,
        _: &mut super::SolverStats,
    ) -> Crossing {
        first_crossing(f, v_thresh, horizon)
    }
    fn crossing_lower_bound(f: &Free, _: &f64, v_thresh: f64) -> f64 {
        match first_crossing(f, v_thresh, f64::INFINITY) {
            Crossing::At(t) => t * (1.0 - 1e-12),
            Crossing::None => f64::INFINITY,
        }
    }
}

#[cfg(test)]
pub(crate) mod rule_tests {
    use super::first_crossing;
    use crate::model::if_curr_delta::*;
    use crate::threshold::Crossing;

    /// An event-list reference stepper of the rules of the module doc, for one cell: inputs
    /// `(arrival time, weight mV)` in any order; returns the spike times up to `t_end` and `v`
    /// sampled at `samples` (taken after every event at the same time). Between inputs `v`
    /// follows the closed form from the last input or reset (samples do not restart it); a drift crossing is found by [`first_crossing`].
    pub(crate) fn simulate(
        p: &Params,
        v_init: f64,
        inputs: &[(f64, f64)],
        samples: &[f64],
        t_end: f64,
    ) -> (Vec<f64>, Vec<f64>) {
        let mut inputs = inputs.to_vec();
        inputs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut t, mut v) = (0.0, v_init);
        let mut last: Option<f64> = None;
        let mut refractory_until: Option<f64> = None;
        let (mut spikes, mut vs) = (Vec::new(), Vec::new());
        let (mut k, mut s) = (0, 0);
        let fire = |t: f64, v: &mut f64, spikes: &mut Vec<f64>| {
            spikes.push(t);
            *v = p.v_reset;
            (Some(t), (p.tau_refrac > 0.0).then_some(t + p.tau_refrac))
        };
        if v >= p.v_thresh {
            (last, refractory_until) = fire(0.0, &mut v, &mut spikes);
        }
        loop {
            let next_in = inputs.get(k).map_or(f64::INFINITY, |x| x.0);
            let next_s = samples.get(s).copied().unwrap_or(f64::INFINITY);
            let next_r = refractory_until.unwrap_or(f64::INFINITY);
            let next = next_in.min(next_s).min(next_r);
            let last_stretch = next > t_end;
            let next = next.min(t_end);
            if refractory_until.is_none() {
                let f = Free::new(p, v, 0.0);
                if let Crossing::At(tc) = first_crossing(&f, p.v_thresh, next - t) {
                    // a drift crossing comes before the events at its time
                    if t + tc < next || last_stretch {
                        t += tc;
                        (last, refractory_until) = fire(t, &mut v, &mut spikes);
                        continue;
                    }
                }
            }
            if last_stretch {
                return (spikes, vs);
            }
            // v at `next`; the trajectory's start (t, v) moves only at a refractory end or an
            // input, not at a sample (as in the engine, which samples the closed form)
            let v_next = if refractory_until.is_none() {
                Free::new(p, v, 0.0).v(next - t)
            } else {
                v
            };
            if next == next_in || next == next_r {
                (t, v) = (next, v_next);
                if refractory_until == Some(t) {
                    refractory_until = None;
                    v = p.v_reset;
                }
                let mut ws = Vec::new();
                while k < inputs.len() && inputs[k].0 == t {
                    if input_applies(t, last, p.tau_refrac) && refractory_until.is_none() {
                        ws.push(inputs[k].1);
                    }
                    k += 1;
                }
                if !ws.is_empty() {
                    let (nv, fires) = jump(v, &ws, p.v_thresh);
                    v = nv;
                    if fires {
                        (last, refractory_until) = fire(t, &mut v, &mut spikes);
                    }
                }
            }
            while s < samples.len() && samples[s] == next {
                vs.push(if t == next { v } else { v_next });
                s += 1;
            }
        }
    }

    #[test]
    fn defaults_validation_and_no_tau_syn() {
        let p = Params::default();
        assert_eq!(
            (
                p.cm,
                p.tau_m,
                p.tau_refrac,
                p.v_rest,
                p.v_reset,
                p.v_thresh,
                p.i_offset
            ),
            (1.0, 20.0, 0.1, -65.0, -65.0, -50.0, 0.0)
        );
        assert!(p.validate().is_ok());
        assert_eq!(
            Params { tau_m: 0.0, ..p }.validate().unwrap_err().name,
            "tau_m"
        );
        assert_eq!(
            Params {
                v_reset: -49.0,
                ..p
            }
            .validate()
            .unwrap_err()
            .name,
            "v_reset"
        );
        assert!(check_parameter_name("tau_refrac").is_ok());
        let e = check_parameter_name("tau_syn_E").unwrap_err();
        assert!(e.contains("no tau_syn_E"), "{e}");
        assert!(check_parameter_name("tau_syn_I").is_err());
    }

    /// Simultaneous inputs are summed before the test: two 8 mV inputs at 5 ms from rest reach
    /// -49 mV and fire at exactly 5; one alone (-57 mV) does not, nor do two with a -2 mV input at the same time.
    #[test]
    fn simultaneous_inputs_summed_before_the_test() {
        let p = Params::default();
        let (sp, _) = simulate(&p, -65.0, &[(5.0, 8.0), (5.0, 8.0)], &[], 20.0);
        assert_eq!(sp, vec![5.0]);
        let (sp, vs) = simulate(&p, -65.0, &[(5.0, 8.0)], &[5.0], 20.0);
        assert!(sp.is_empty());
        assert_eq!(vs, vec![-57.0]);
        let (sp, _) = simulate(&p, -65.0, &[(5.0, 8.0), (5.0, 8.0), (5.0, -2.0)], &[], 20.0);
        assert!(
            sp.is_empty(),
            "the inhibitory input counts in the sum: -49 - 2 < -50"
        );
        let (sp, _) = simulate(&p, -50.0, &[], &[], 20.0);
        assert_eq!(sp, vec![0.0], "initial v at threshold fires at 0");
    }

    /// Inputs while refractory are discarded, the one at exactly `t_s + tau_refrac` applied:
    /// a spike at 10 (20 mV), `tau_refrac` 2; 20 mV at 11 and at 11.999 are lost, 20 mV at
    /// exactly 12 fires at 12; after that spike, the input at 14 (exactly its end) fires too.
    #[test]
    fn refractory_inputs_discarded_but_at_the_end_applied() {
        let p = Params {
            tau_refrac: 2.0,
            ..Params::default()
        };
        let ins = [
            (10.0, 20.0),
            (11.0, 20.0),
            (11.999, 20.0),
            (12.0, 20.0),
            (14.0, 20.0),
        ];
        let (sp, vs) = simulate(&p, -65.0, &ins, &[11.5, 12.0], 30.0);
        assert_eq!(sp, vec![10.0, 12.0, 14.0]);
        assert_eq!(vs, vec![-65.0, -65.0], "held at v_reset; reset again at 12");
        assert!(input_applies(12.0, Some(10.0), 2.0) && !input_applies(11.999, Some(10.0), 2.0));
        assert!(
            input_applies(10.0, Some(10.0), 0.0),
            "no refractory period: applied"
        );
    }

    /// The drift crossing is the closed form `tau_m ln((v_inf - v0)/(v_inf - v_thresh))`
    /// (checked against a bisection on `v`), none when `v_inf <= v_thresh`; with a constant
    /// drive the cell fires periodically with period `tau_refrac` + that time from `v_reset`.
    #[test]
    fn drift_crossing_and_periodic_firing() {
        let p = Params {
            i_offset: 0.9,
            tau_refrac: 2.0,
            ..Params::default()
        }; // v_inf = -47
        let f = Free::new(&p, -60.0, 0.0);
        let Crossing::At(t) = first_crossing(&f, p.v_thresh, f64::INFINITY) else {
            panic!("no drift crossing")
        };
        let (mut a, mut b) = (0.0, 200.0);
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if f.v(m) < p.v_thresh {
                a = m
            } else {
                b = m
            }
        }
        assert!((t - b).abs() < 1e-12, "{t} vs bisection {b}");
        assert!((t - 20.0 * (13.0f64 / 3.0).ln()).abs() < 1e-12);
        assert!(f.v(t) >= p.v_thresh);
        assert_eq!(first_crossing(&f, p.v_thresh, t * 0.99), Crossing::None);
        for i_offset in [0.75, 0.5] {
            // v_inf = -50 (exactly at threshold) and below it: never
            let q = Params { i_offset, ..p };
            assert_eq!(
                first_crossing(&Free::new(&q, -60.0, 0.0), q.v_thresh, f64::INFINITY),
                Crossing::None
            );
        }
        let (sp, _) = simulate(&p, -65.0, &[], &[], 100.0);
        let period = 2.0 + 20.0 * (18.0f64 / 3.0).ln();
        let first = 20.0 * (18.0f64 / 3.0).ln();
        assert_eq!(sp.len(), ((100.0 - first) / period) as usize + 1);
        for (k, s) in sp.iter().enumerate() {
            assert!((s - first - k as f64 * period).abs() < 1e-11, "{k}: {s}");
        }
    }
}

#[cfg(test)]
mod solver_properties {
    use super::*;
    use crate::threshold::Crossings;
    use proptest::prelude::*;

    /// The first `t` with `v(t) >= v_thresh` found by bisection on the closed form alone (`v`
    /// is monotone between inputs), to the last float: the oracle.
    fn bisect(f: &Free, v_thresh: f64) -> f64 {
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        while f.v(hi) < v_thresh {
            hi *= 2.0;
        }
        while hi - lo > f64::EPSILON * hi {
            let mid = 0.5 * (lo + hi);
            if f.v(mid) >= v_thresh {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    proptest! {
        /// The drift crossing is the bisection oracle's to 1e-12 relative (plus what the rounding
        /// of `v` allows at a shallow crossing), `v` is at or above
        /// threshold there, the lower bound is at or before it; with `v_inf <= v_thresh` there
        /// is none (a threshold up to 1e-6 mV above or below `v_inf` included).
        #[test]
        fn drift_crossing_is_the_oracles(
            v0 in -80.0f64..-50.0, tau_m in 0.5f64..100.0, v_thresh in -55.0f64..-45.0,
            gap in prop_oneof![-1e-6f64..1e-6, -20.0f64..20.0],
        ) {
            let v_inf = v_thresh + gap;
            let f = Free { v0, v_inf, lm: 1.0 / tau_m };
            let found = first_crossing(&f, v_thresh, f64::INFINITY);
            if v0 >= v_thresh {
                prop_assert_eq!(found, Crossing::At(0.0));
            } else if v_inf <= v_thresh {
                prop_assert_eq!(found, Crossing::None);
            } else {
                let Crossing::At(t) = found else {
                    return Err(TestCaseError::fail(format!("none found, v_inf {v_inf}")));
                };
                let want = bisect(&f, v_thresh);
                // a few roundings of v (mV) over the slope there, lm (v_inf - v_thresh):
                // near v_inf = v_thresh the crossing is only that well determined in f64
                let slope = f.lm * (v_inf - v_thresh);
                let tol = 1e-12 * want + 8.0 * f64::EPSILON * (v_thresh.abs() + v_inf.abs()) / slope;
                prop_assert!((t - want).abs() <= tol, "{t} vs oracle {want} (tolerance {tol})");
                prop_assert!(f.v(t) >= v_thresh);
                let lb = <crate::model::if_curr_delta::IfCurrDelta as Crossings>::crossing_lower_bound(&f, &f.lm, v_thresh);
                prop_assert!(lb <= t);
            }
        }
    }
}
