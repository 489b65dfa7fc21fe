//! `IF_curr_delta`: PyNN's leaky integrate-and-fire cell whose synaptic inputs are instant
//! jumps of the membrane potential (NEST `iaf_psc_delta_ps` semantics; SPEC §8).
//!
//! # Dynamics
//!
//! ```text
//! dv/dt = (v_rest - v)/tau_m + (i_offset + i_inj)/cm           between inputs
//! v    -> v + sum of the weights w (mV) of the inputs arriving at t     at an input time t
//! ```
//!
//! There is no synaptic current and no `tau_syn` (giving one is an error:
//! [`check_parameter_name`]). A weight is in mV, independent of `cm`; inhibitory weights are
//! `<= 0`.
//!
//! # Closed form between inputs
//!
//! `v(t) = v_inf + (v0 - v_inf) e^{-t/tau_m}`, `v_inf = v_rest + (i_offset + i_inj) tau_m / cm`:
//! `v` moves monotonically toward `v_inf`, so it crosses `v_thresh` at most once, and only if
//! `v_inf > v_thresh` (`threshold::delta`).
//!
//! # Input, spike and refractoriness rules
//!
//! - Inputs arriving at the same time are summed before the threshold test ([`jump`]); a jump
//!   that reaches `v >= v_thresh` fires at exactly the arrival time.
//! - After a spike at `t_s`, `v = v_reset` is held, and inputs arriving at
//!   `t_s <= t < t_s + tau_refrac` are discarded; an input at exactly `t_s + tau_refrac` is
//!   applied, after the refractory period has ended ([`input_applies`]).
//! - A cell whose initial `v >= v_thresh` fires at `t = 0`.
//!
//! # Parameters (PyNN names, units and defaults)
//!
//! | name | default | unit | meaning |
//! |---|---|---|---|
//! | cm | 1.0 | nF | membrane capacitance |
//! | tau_m | 20.0 | ms | membrane time constant |
//! | tau_refrac | 0.1 | ms | refractory period |
//! | v_rest | -65.0 | mV | resting potential |
//! | v_reset | -65.0 | mV | reset potential |
//! | v_thresh | -50.0 | mV | spike threshold |
//! | i_offset | 0.0 | nA | constant injected current |
//!
//! State: `v` (mV, initially -65). Recordable: `v`, spikes. The validity domain is
//! `IF_curr_exp`'s for the parameters it shares.

use super::if_curr_exp::{check_values, ParamError};

/// Parameter names in PyNN's order, with defaults and units (SPEC §8).
#[allow(dead_code)] // engine integration (model files, the model trait) is pending
pub(crate) const PARAMETERS: [(&str, f64, &str); 7] = [
    ("cm", 1.0, "nF"),
    ("tau_m", 20.0, "ms"),
    ("tau_refrac", 0.1, "ms"),
    ("v_rest", -65.0, "mV"),
    ("v_reset", -65.0, "mV"),
    ("v_thresh", -50.0, "mV"),
    ("i_offset", 0.0, "nA"),
];

/// Validated parameters of one `IF_curr_delta` cell (PyNN names; units in each field's doc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Params {
    /// Membrane capacitance (nF).
    pub cm: f64,
    /// Membrane time constant (ms).
    pub tau_m: f64,
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
    fn default() -> Self {
        let [cm, tau_m, tau_refrac, v_rest, v_reset, v_thresh, i_offset] =
            PARAMETERS.map(|(_, d, _)| d);
        Params {
            cm,
            tau_m,
            tau_refrac,
            v_rest,
            v_reset,
            v_thresh,
            i_offset,
        }
    }
}

#[allow(dead_code)] // engine integration is pending
impl Params {
    /// Checks SPEC §5 and the validity domain: `IF_curr_exp`'s rules for the shared
    /// parameters (`if_curr_exp::check_values`, with the synaptic time constants left out).
    pub(crate) fn validate(&self) -> Result<(), ParamError> {
        check_values(&[
            Some(self.cm),
            Some(self.tau_m),
            None,
            None,
            Some(self.tau_refrac),
            Some(self.v_rest),
            Some(self.v_reset),
            Some(self.v_thresh),
            Some(self.i_offset),
        ])
    }

    /// Asymptotic potential `v_inf = v_rest + (i_offset + i_inj) tau_m / cm` (mV) for an
    /// injected current `i_inj` (nA).
    #[inline]
    pub(crate) fn v_inf(&self, i_inj: f64) -> f64 {
        self.v_rest + (self.i_offset + i_inj) * self.tau_m / self.cm
    }
}

/// Whether `name` is a parameter of `IF_curr_delta`; `tau_syn_E` and `tau_syn_I` are refused
/// with a sentence saying why (SPEC §8: giving one is an error).
#[allow(dead_code)] // engine integration is pending
pub(crate) fn check_parameter_name(name: &str) -> Result<(), String> {
    if PARAMETERS.iter().any(|p| p.0 == name) {
        Ok(())
    } else if name.starts_with("tau_syn") {
        Err(format!(
            "IF_curr_delta has no {name}: its inputs are instant jumps of v (mV), with no \
             synaptic current"
        ))
    } else {
        Err(format!("IF_curr_delta has no parameter {name}"))
    }
}

/// A free (non-refractory, input-free) trajectory from relative time 0 (mV, 1/ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Free {
    /// `v` at 0 (mV).
    pub v0: f64,
    /// Asymptotic potential (mV).
    pub v_inf: f64,
    /// `1/tau_m` (1/ms).
    pub lm: f64,
}

#[allow(dead_code)] // engine integration is pending
impl Free {
    /// The free trajectory from `v0` with injected current `i_inj` (nA).
    pub(crate) fn new(p: &Params, v0: f64, i_inj: f64) -> Self {
        Free {
            v0,
            v_inf: p.v_inf(i_inj),
            lm: 1.0 / p.tau_m,
        }
    }

    /// `v(t) = v_inf + (v0 - v_inf) e^{-lm t}` (mV) at relative time `t >= 0` (ms).
    #[inline]
    pub(crate) fn v(&self, t: f64) -> f64 {
        self.v_inf + (self.v0 - self.v_inf) * (-self.lm * t).exp()
    }
}

/// Whether an input arriving at `t` (ms) is applied, given the last spike time `last_spike`
/// (ms) and `tau_refrac` (ms): discarded while refractory, `t_s <= t < t_s + tau_refrac`;
/// applied from `t_s + tau_refrac` on (exactly then included).
#[allow(dead_code)] // engine integration is pending
#[inline]
pub(crate) fn input_applies(t: f64, last_spike: Option<f64>, tau_refrac: f64) -> bool {
    match last_spike {
        None => true,
        Some(ts) => t >= ts + tau_refrac,
    }
}

/// The jump at one arrival time: `v` (mV) plus the sum of the applied weights arriving then
/// (mV), and whether the result fires (`>= v_thresh`), at exactly that time.
#[allow(dead_code)] // engine integration is pending
#[inline]
pub(crate) fn jump(v: f64, weights: &[f64], v_thresh: f64) -> (f64, bool) {
    let v = v + weights.iter().sum::<f64>();
    (v, v >= v_thresh)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::threshold::delta::first_crossing;
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
