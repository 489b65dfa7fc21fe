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

impl Params {
    /// Checks SPEC §5 and the validity domain: `IF_curr_exp`'s rules for the shared
    /// parameters (`if_curr_exp::check_values`, with the synaptic time constants left out).
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
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
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
    pub(crate) fn v_inf(&self, i_inj: f64) -> f64 {
        self.v_rest + (self.i_offset + i_inj) * self.tau_m / self.cm
    }
}

/// Whether `name` is a parameter of `IF_curr_delta`; `tau_syn_E` and `tau_syn_I` are refused
/// with a sentence saying why (SPEC §8: giving one is an error).
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

impl Free {
    /// The free trajectory from `v0` with injected current `i_inj` (nA).
    #[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
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
#[inline]
#[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
pub(crate) fn input_applies(t: f64, last_spike: Option<f64>, tau_refrac: f64) -> bool {
    match last_spike {
        None => true,
        Some(ts) => t >= ts + tau_refrac,
    }
}

/// The jump at one arrival time: `v` (mV) plus the sum of the applied weights arriving then
/// (mV), and whether the result fires (`>= v_thresh`), at exactly that time.
#[inline]
#[cfg_attr(not(test), allow(dead_code))] // the tests' and reference checks' way in; the engines use the trait
pub(crate) fn jump(v: f64, weights: &[f64], v_thresh: f64) -> (f64, bool) {
    let v = v + weights.iter().sum::<f64>();
    (v, v >= v_thresh)
}

/// The `IF_curr_delta` model as a [`CellModel`](super::CellModel) (module doc of
/// [`crate::model`]). Its state is `v` alone, its derived constant `1/tau_m` (1/ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IfCurrDelta;

/// The state of an `IF_curr_delta` cell: its membrane potential (mV).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct State {
    /// Membrane potential (mV).
    pub v: f64,
}

/// The state variables a user may set, with PyNN's initial value and unit.
pub(crate) const STATE_VARIABLES: [(&str, f64, &str); 1] = [("v", -65.0, "mV")];

impl super::CellModel for IfCurrDelta {
    const KIND: super::ModelKind = super::ModelKind::Delta;
    const NAME: &'static str = "IF_curr_delta";
    const PARAMETERS: &'static [(&'static str, f64, &'static str)] = &PARAMETERS;
    const STATE_VARIABLES: &'static [(&'static str, f64, &'static str)] = &STATE_VARIABLES;
    /// SPEC §8: recording `isyn_*` is an error.
    const RECORDABLES: &'static [&'static str] = &["v"];
    const JUMPS: bool = true;

    type Params = Params;
    type State = State;
    type Derived = f64;
    type Free = Free;

    fn params_from_values(values: &[f64]) -> Params {
        let [cm, tau_m, tau_refrac, v_rest, v_reset, v_thresh, i_offset]: [f64; 7] =
            values.try_into().expect("IF_curr_delta has 7 parameters");
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
    fn validate_params(p: &Params) -> Result<(), ParamError> {
        p.validate()
    }
    fn initial_state() -> State {
        State {
            v: STATE_VARIABLES[0].1,
        }
    }
    fn validate_state(s: &State) -> Result<(), ParamError> {
        // IF_curr_exp's rule for v (finite, within V_MAX), with currents of zero
        super::if_curr_exp::State {
            v: s.v,
            isyn_exc: 0.0,
            isyn_inh: 0.0,
        }
        .validate()
    }
    fn derived(p: &Params) -> f64 {
        1.0 / p.tau_m
    }
    fn v_inf(p: &Params, i_inj: f64) -> f64 {
        p.v_inf(i_inj)
    }
    fn v(s: &State) -> f64 {
        s.v
    }
    fn free(lm: &f64, s: &State, v_inf: f64) -> Free {
        Free {
            v0: s.v,
            v_inf,
            lm: *lm,
        }
    }
    fn free_state(f: &Free, t: f64) -> State {
        State { v: f.v(t) }
    }
    fn refractory_state(_: &f64, _: &State, _: f64, v_reset: f64) -> State {
        State { v: v_reset }
    }
    fn add_input(_: &f64, s: &mut State, _: super::Receptor, w: f64) {
        s.v += w;
    }
    fn sample(s: &State, out: &mut [f64]) {
        out[0] = s.v;
    }
}
