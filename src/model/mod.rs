//! Cell models: parameters, state and closed-form propagation. One file per cell type, and
//! the closed form under sinusoidal injected current (`ac_drive`).
//!
//! # Design: several cell models behind one trait (issue 16)
//!
//! Three models run: IF_curr_exp (SPEC §1), IF_curr_alpha and IF_curr_delta (SPEC §8). Each
//! has its closed form here, its solver in `crate::threshold`, and its record in the exact
//! engine (`engine::exact::cell`). This section is the design; "How it was built" at its end
//! says where each part lives.
//!
//! ## What a model supplies
//!
//! Each model is one file here that defines a zero-sized marker type (`IfCurrExp`,
//! `IfCurrAlpha`, `IfCurrDelta`) and implements [`CellModel`] for it:
//!
//! | item | IF_curr_exp | IF_curr_alpha | IF_curr_delta |
//! |---|---|---|---|
//! | `NAME`, `PARAMETERS` (PyNN names, defaults, units) | 9 | 9 | 7 (no tau_syn) |
//! | `STATE_VARIABLES` (initial values), `RECORDABLES` | v, isyn_exc, isyn_inh | same (+ dI/dt, not recordable) | v |
//! | `Params` (validated once, at the edge: STYLE §6.5) | | | |
//! | `Derived`: per parameter set (rates, `v_inf0`, rejection constants `Kmax`) | `kmax_e` | `k1max`, `k2max` | `lm` |
//! | `State` (what the user sets and what samples give) | `v, ie, ii` | `v, ie, die, ii, dii` | `v` |
//! | `Free`: the free trajectory from a state (no input, not refractory) | `Free` | `Free` | `Free` |
//! | `free(derived, state, v_inf)`, `Free::state(t)` (closed form) | | | |
//! | `refractory(derived, state, dt)`: `v` held at `v_reset`, currents evolve | decay | alpha decay | nothing |
//! | `input(state, receptor, w)` | `ie += w` | `die += w e / tau_syn` | `v += w` (mV), dropped if refractory |
//! | `JUMPS`: an input moves `v` itself, so a crossing can happen *at* an arrival | no | no | yes |
//! | `sample(state) -> [f64; RECORDABLES]` | | | |
//!
//! and, in the solver layer, implements `crate::threshold::Crossings` for the same marker:
//! `first_crossing(free, derived, v_thresh, horizon, stats) -> Crossing` (exact, with the
//! correctness argument in that file's doc), `crossing_lower_bound` (the cheap bound behind
//! the lazy alarms) and `no_crossing_before` (the log-free test on the excitatory hot path).
//!
//! **Why two traits, not one.** `tests/layering.rs` enforces `model -> threshold`: the closed
//! forms are tested without the solver, and the solvers (1,400 lines for IF_curr_exp, with its
//! proof) stay beside each other and their shared numerics (`Pt`, bracketed monotone search,
//! `SolverStats`). So "a fourth model is one new file" becomes: one file in `src/model/`, one
//! in `src/threshold/` if its crossing search is not trivial, and one variant of
//! [`ModelKind`]; the compiler then points at every `match` on [`ModelKind`] (there are few:
//! see "Dispatch"), and nothing in the engine, the step backends or the recorder changes.
//! The alternative (one trait, the solver inside each model file, with `threshold/` reduced to
//! generic numerics below `model`) is possible later by swapping two layers; it moves 3,000
//! lines and buys nothing for the engine, so it is not the first step.
//!
//! ## Dispatch: generic shards, one model per shard (not an enum per event)
//!
//! The exact engine's hot path is per cell and monomorphic today: a synaptic input is an
//! advance of a 64-byte record (`engine::exact::cell::Cell`, one cache line, one `exp`), an
//! add, and a log-free bound (`no_crossing_before`); the sparse benchmark is memory-bound on
//! those records. Two ways to add models:
//!
//! 1. **An enum `CellModel { Exp, Alpha, Delta }` matched per event.** The branch itself is
//!    cheap when a network is homogeneous (predicted, about 1 ns against 10-20 ns per input),
//!    but the records are not: IF_curr_alpha's state is `t_last, v, ie, die, ii, dii,
//!    ref_until, v_inf, queued` plus index and flags, 78 bytes, so one record type for all
//!    models is two cache lines for every cell (twice the memory traffic of the sparse
//!    benchmark), and a union of per-model side arrays adds an indirection per input. Every
//!    hot function (`advance`, `add_weight`, `predict_after_raise`) would also grow three
//!    arms, which changes what LLVM inlines into the delivery loop; the comments in
//!    `engine/exact/shard.rs` record 5 % swings on CUBA from one inlining decision.
//! 2. **`Shard<M: CellModel>`, monomorphised, one model per shard.** Populations are
//!    contiguous in the global numbering, so the cells of one model are a union of runs of
//!    indices. `shard_bounds` first cuts at every change of model (spike sources join the run
//!    before them: their records use only `queued`), then splits each run by load as now.
//!    The engine holds `enum AnyShard { Exp(Shard<IfCurrExp>), Alpha(..), Delta(..) }` and
//!    matches once per shard per window (a few per 0.1 ms window, not per event). For
//!    IF_curr_exp the compiled event loop is the same code as today: `Shard<IfCurrExp>`'s
//!    record is today's `Cell`, its bound is today's `no_crossing_before`.
//!
//! We take 2: IF_curr_exp's event loop stays the same code (checked: CUBA and sparse criterion
//! medians unchanged, window-loop instructions within 0.7 %, BENCHMARKS.md "Three cell
//! models"), each model its own record size, and the cost of a mixed network is a few more shards per window. Nothing else
//! changes in the windowing: a shard already finds its synapses in each delay group by binary
//! search over its index range, the hand-off already runs more shards than threads
//! (`Handoff::run_shards` claims them), and results are bit-identical for any shard count, so
//! cutting at model boundaries changes no output (golden digests stay).
//!
//! The per-model hooks the shard needs from `M` are: `M::Cell` (the record: `new`, `advance`,
//! `state_at`, `free_start`, `queued`/`alarm`/`param`/`ref_until` accessors),
//! `M::add_input(cell, receptor, w, t)`, and the solver trait. The lazy-prediction rules
//! (an excitatory input only moves the crossing earlier, an inhibitory one only later) hold
//! for all three models (each is linear in its inputs, with non-negative kernels), so
//! `predict`, `predict_after_raise` and `predict_after_lower` stay generic.
//!
//! **IF_curr_delta's event order.** SPEC §8 sums inputs that arrive at the same time before the
//! threshold test, and fires at exactly that time. Today own events (rank 0) come before
//! deliveries (rank 2) at equal times; a delta cell whose jump reaches threshold at `te` must
//! instead be tested after every delivery at `te`. So `Shard<IfCurrDelta>` marks such cells
//! "to test at `te`" while applying a delivery and tests them once the window's deliveries at
//! `te` are done (a rank 3 of its own, after rank 2); the refractory rule (discard while
//! `t < ref_until`, apply at `t == ref_until`) is `add_input`'s. Crossings by drift are
//! ordinary own events.
//!
//! ## Network description, step backends, recorder
//!
//! - `NetData`: `CellKind::Neuron` gains the model (`Neuron(ModelKind)`, or a parallel
//!   `models: Vec<ModelKind>`: the first is smaller, the second touches fewer matches);
//!   `params: Vec<Params>` and `init: Vec<State>` become `Vec<AnyParams>` / `Vec<AnyState>`
//!   (`enum AnyParams { Exp(..), Alpha(..), Delta(..) }`, the same for states), and
//!   `CellChange` carries them. The engine builds one table of `M::Derived` per model
//!   (cells with identical parameters share an entry, as `CellParams` today).
//! - Step backends (`engine::grid`): the same split, `GridRun<M>` per run of cells, each with
//!   `M::grid_step` (exact propagator over one step with inputs at step starts, NEST's
//!   `iaf_psc_*` scheme; default: the closed form over `h`) and `M::euler_step`. The existing
//!   IF_curr_exp propagator code stays as `IfCurrExp`'s override, so its numbers keep their
//!   bits.
//! - Recorder: it stores named signals per population already (`Vec<f64>` per signal per
//!   cell); a sample becomes `M::sample(state) -> [f64; N]` in `RECORDABLES` order instead of
//!   an IF_curr_exp `State`. Asking to record `isyn_*` of an IF_curr_delta population is a
//!   build error (SPEC §8), checked against `RECORDABLES`.
//! - Model file and network builder: `CellType::{IfCurrAlpha, IfCurrDelta}`, parameter names
//!   and defaults from `PARAMETERS`, checks from `Params::validate`; refused ("not simulated
//!   yet") until the engine, the grid backends and the tests of issue 16 are all in.
//!
//! ## How it was built (and where the plan above changed)
//!
//! 1. This trait and [`ModelKind`]; `IfCurrExp` implements it, delegating to the existing
//!    functions, with a test that it gives their bits. The solver trait
//!    `threshold::Crossings` beside it, with a contract test for all three.
//! 2. The exact engine generic over the model (`engine::exact`): `ExactModel` in `cell.rs`
//!    says how a model's state sits in the record `Cell<X>`: the fields every model has
//!    (`t_last`, `v`, `ie`, `ii`, `ref_until`, `v_inf`, `queued`, ...) plus `X`, `()` for
//!    IF_curr_exp and IF_curr_delta (whose currents stay 0) and `dI/dt` per receptor for
//!    IF_curr_alpha. One record type with an extra field, rather than one record type per
//!    model, kept every access in `shard.rs` unchanged; IF_curr_exp's record is the same 64
//!    bytes and its written-out `advance` the same code (CUBA: criterion medians unchanged, the
//!    window loop's instructions within 0.7 %: BENCHMARKS.md "Three cell models"). IF_curr_alpha and IF_curr_delta reach their records
//!    through this trait (`cell::Record`: load, store, the rest generic).
//! 3. `Shard<M>` and `AnyShard`, matched once per shard per call; `shard_bounds` cuts where the
//!    model changes, and threads no longer equal shards (a thread claims shards). Parameter
//!    tables per model (`cell::Tables`).
//! 4. `NetData::models` per cell. Not `AnyParams`: every model's parameters are a subset of
//!    IF_curr_exp's with the same meaning, so `NetData::params` keeps IF_curr_exp's struct
//!    (IF_curr_delta's `tau_syn_*` hold defaults, unused), and `State` stays `(v, isyn_exc,
//!    isyn_inh)`: what users set and what is sampled for all three (IF_curr_alpha's `dI/dt` is
//!    not user state; a state change keeps it).
//! 5. IF_curr_delta's rule order: in `Shard::run_window` a JUMPS model's own events rank
//!    after the deliveries at the same time, so simultaneous inputs are summed before the
//!    threshold test; a jump to threshold is an exact own event at the arrival; inputs while
//!    refractory are discarded in the record's `input`.
//! 6. Sinusoidal drives for all three: `ac_drive::Forced` is generic over its base trajectory
//!    (`ac_drive::ForcedBase`: IF_curr_exp's `Free`, which IF_curr_delta uses without
//!    currents, and IF_curr_alpha's `Free`, with its closed-form derivative, supremum and
//!    settling bounds), and `ExactModel`'s forced hooks come from `Record` for the others
//!    (`Record::Base`). (At first, `Network::inject` refused an `ACSource` into them.)
//! 7. The network layer (`CellType::{IfCurrAlpha, IfCurrDelta}`, parameters and errors of SPEC
//!    §8), the 50-digit cases (tests/reference/cases: `alpha_*`, `delta_rules`,
//!    `mixed_network`), the step backends (`engine::grid`), export-pynn and the PyNN types.

pub(crate) mod ac_drive;
pub(crate) mod if_curr_alpha;
pub(crate) mod if_curr_delta;
pub(crate) mod if_curr_exp;

use std::fmt::Debug;

use if_curr_exp::ParamError;

/// Which cell model a neuron runs: one variant per file of this module that implements
/// `CellModel`. Matching on it is how the engines choose a monomorphised code path (once per
/// shard or run of cells, never per event: see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelKind {
    /// `IF_curr_exp` (`model::if_curr_exp`).
    Exp,
    /// `IF_curr_alpha` (`model::if_curr_alpha`).
    Alpha,
    /// `IF_curr_delta` (`model::if_curr_delta`).
    Delta,
}

impl ModelKind {
    /// Every model, in the order of the enum.
    pub(crate) const ALL: [ModelKind; 3] = [ModelKind::Exp, ModelKind::Alpha, ModelKind::Delta];

    /// PyNN's name of the cell type (`cell_type` in the model file).
    pub(crate) fn name(self) -> &'static str {
        match self {
            ModelKind::Exp => if_curr_exp::IfCurrExp::NAME,
            ModelKind::Alpha => if_curr_alpha::IfCurrAlpha::NAME,
            ModelKind::Delta => if_curr_delta::IfCurrDelta::NAME,
        }
    }

    /// Its parameters: (PyNN name, PyNN default, unit), in PyNN's order.
    pub(crate) fn parameters(self) -> &'static [(&'static str, f64, &'static str)] {
        match self {
            ModelKind::Exp => &if_curr_exp::PARAMETERS,
            ModelKind::Alpha => &if_curr_alpha::PARAMETERS,
            ModelKind::Delta => &if_curr_delta::PARAMETERS,
        }
    }

    /// The state variables a user may set and record: (name, PyNN initial value, unit).
    pub(crate) fn state_variables(self) -> &'static [(&'static str, f64, &'static str)] {
        match self {
            ModelKind::Exp | ModelKind::Alpha => &if_curr_exp::STATE_VARIABLES,
            ModelKind::Delta => &if_curr_delta::STATE_VARIABLES,
        }
    }

    /// The model of PyNN name `name`, if any.
    pub(crate) fn of_name(name: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the engines run this model yet. Anything else is refused where a network is
    /// built, with SPEC §8's "not simulated yet" message: a model is switched on here only
    /// once the exact engine, the step backends and its tests (issue 16) are all in.
    pub(crate) fn simulated(self) -> bool {
        matches!(self, ModelKind::Exp | ModelKind::Alpha | ModelKind::Delta)
    }
}

/// The receptor an input arrives at: PyNN's `receptor_type` of a current-based synapse.
/// Excitatory weights are `>= 0`, inhibitory ones `<= 0` (validated when the network is
/// built), so an excitatory input can only raise `v` at every later time and an inhibitory
/// one only lower it, for each of the three models: the engine's lazy predictions rest on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Receptor {
    /// `"excitatory"`.
    Excitatory,
    /// `"inhibitory"`.
    Inhibitory,
}

/// One current-based cell model: what the engines, the solver and the step backends need of
/// it (module doc, "What a model supplies"). Implemented by a zero-sized marker per model file;
/// every method is a pure function of its arguments, so that each engine can keep the state in
/// its own layout (the exact engine's 64-byte record, the grid backend's arrays) and call these
/// where it needs the maths.
///
/// Contract, for every implementation (tested per model):
/// - `free_state(&free(p, d, s, v_inf), 0.0) == s` for a state `s` that is not refractory;
/// - the closed form is a flow: `free_state(f, a + b)` equals, to rounding, the state reached
///   by `free_state(f, a)` followed by `b` more from there;
/// - `add_input` with a [`Receptor::Excitatory`] weight `w >= 0` raises `v` at every later time
///   (never lowers), an inhibitory `w <= 0` lowers it: the engine's lazy predictions depend on it.
#[allow(dead_code)] // validation, initial state and samples: for the step backends and tests
pub(crate) trait CellModel: Copy + Debug + Send + Sync + 'static {
    /// Its [`ModelKind`].
    const KIND: ModelKind;
    /// PyNN's name of the cell type.
    const NAME: &'static str;
    /// Parameters: (PyNN name, PyNN default, unit), in the order of
    /// [`CellModel::params_from_values`].
    const PARAMETERS: &'static [(&'static str, f64, &'static str)];
    /// The state variables a user may set: (name, PyNN initial value, unit).
    const STATE_VARIABLES: &'static [(&'static str, f64, &'static str)];
    /// The analog signals it can record, in the order of [`CellModel::sample`] (`spikes` is
    /// recordable for every model and not listed).
    const RECORDABLES: &'static [&'static str];
    /// Whether an input moves `v` itself (IF_curr_delta): then a crossing can happen at an
    /// arrival, inputs at one time are summed before the threshold test, and inputs while
    /// refractory are discarded (SPEC §8). Otherwise inputs change currents only and `v` is
    /// continuous.
    const JUMPS: bool;

    /// Validated parameters (PyNN names; unit in each field's doc).
    type Params: Copy + Debug + PartialEq + Default + Send + Sync;
    /// The state at one time: what users set, what samples report.
    type State: Copy + Debug + PartialEq + Send + Sync;
    /// Constants derived once per parameter set (rates, bounds of the kernels).
    type Derived: Copy + Debug + PartialEq + Send + Sync;
    /// A free trajectory (no input, not refractory, constant injected current) from relative
    /// time 0: what the closed form and the solver work on.
    type Free: Copy + Debug;

    /// Parameters from values in the order of [`CellModel::PARAMETERS`] (not validated).
    fn params_from_values(values: &[f64]) -> Self::Params;
    /// Checks SPEC §5 and the model's validity domain, naming the parameter.
    fn validate_params(p: &Self::Params) -> Result<(), ParamError>;
    /// PyNN's initial values ([`CellModel::STATE_VARIABLES`]).
    fn initial_state() -> Self::State;
    /// Checks an initial state, naming the variable.
    fn validate_state(s: &Self::State) -> Result<(), ParamError>;
    /// The constants of a (valid) parameter set.
    fn derived(p: &Self::Params) -> Self::Derived;
    /// `v_inf = v_rest + (i_offset + i_inj) tau_m / cm` (mV) with injected current `i_inj` (nA).
    fn v_inf(p: &Self::Params, i_inj: f64) -> f64;
    /// The membrane potential of a state (mV).
    fn v(s: &Self::State) -> f64;
    /// The free trajectory from state `s` with asymptotic potential `v_inf` (mV; the engine
    /// computes it its own way from the injected current, so it is given, not derived).
    ///
    /// This and the methods below take the [`CellModel::Derived`] constants, never the
    /// `Params`: the engines keep one table of derived constants per parameter set (beside the
    /// constants every model has: `v_reset`, `v_thresh`, `tau_refrac`, `v_inf`), not the
    /// user's parameters, on their hot paths.
    fn free(d: &Self::Derived, s: &Self::State, v_inf: f64) -> Self::Free;
    /// The closed form: the state at relative time `t >= 0` (ms) of a free trajectory.
    fn free_state(f: &Self::Free, t: f64) -> Self::State;
    /// The state `dt >= 0` (ms) after `s` while refractory: `v` held at `v_reset` (mV), the
    /// synaptic currents (if any) evolving freely.
    fn refractory_state(d: &Self::Derived, s: &Self::State, dt: f64, v_reset: f64) -> Self::State;
    /// Applies one input of weight `w` at receptor `r` to the state at its arrival time (nA
    /// for current-based synapses, mV for IF_curr_delta). The refractory rule of
    /// [`CellModel::JUMPS`] models is the caller's (it knows the refractory period's end).
    fn add_input(d: &Self::Derived, s: &mut Self::State, r: Receptor, w: f64);
    /// The values of [`CellModel::RECORDABLES`] of a state, in that order, into `out`
    /// (`out.len() == RECORDABLES.len()`).
    fn sample(s: &Self::State, out: &mut [f64]);
}

#[cfg(test)]
mod tests {
    use super::*;

    use if_curr_alpha::IfCurrAlpha;
    use if_curr_delta::IfCurrDelta;
    use if_curr_exp::IfCurrExp;

    /// `|a - b|` within `1e-12` relative to the larger magnitude, plus `1e-12` absolute.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) + 1e-12
    }

    fn samples<M: CellModel>(s: &M::State) -> Vec<f64> {
        let mut out = vec![0.0; M::RECORDABLES.len()];
        M::sample(s, &mut out);
        out
    }

    /// The trait's contract for model `M` with parameters `values` (in `M::PARAMETERS`
    /// order): the defaults are PyNN's and valid; the initial state is valid; a free
    /// trajectory starts at its state and is a flow (the state after `a + b` is the state after
    /// `b` from the state after `a`); an excitatory input raises `v` at every later time and an
    /// inhibitory one lowers it; while refractory `v` is `v_reset`.
    fn contract<M: CellModel>(values: &[f64], v_reset: f64) {
        let defaults: Vec<f64> = M::PARAMETERS.iter().map(|p| p.1).collect();
        assert_eq!(M::params_from_values(&defaults), M::Params::default());
        M::validate_params(&M::Params::default()).unwrap();
        M::validate_state(&M::initial_state()).unwrap();
        let p = M::params_from_values(values);
        M::validate_params(&p).unwrap();
        let d = M::derived(&p);
        let v_inf = M::v_inf(&p, 0.3);
        let mut s = M::initial_state();
        M::add_input(&d, &mut s, Receptor::Excitatory, 2.0);
        M::add_input(&d, &mut s, Receptor::Inhibitory, -0.5);
        let f = M::free(&d, &s, v_inf);
        for (x, y) in samples::<M>(&M::free_state(&f, 0.0))
            .iter()
            .zip(samples::<M>(&s))
        {
            assert!(close(*x, y), "{}: {x} at 0, state {y}", M::NAME);
        }
        for (a, b) in [(0.3, 1.7), (2.0, 0.01), (5.0, 20.0)] {
            let direct = M::free_state(&f, a + b);
            let mid = M::free_state(&f, a);
            let two = M::free_state(&M::free(&d, &mid, v_inf), b);
            for (x, y) in samples::<M>(&direct).iter().zip(samples::<M>(&two)) {
                assert!(close(*x, y), "{}: {x} != {y} at {a} + {b}", M::NAME);
            }
        }
        for (r, w, sign) in [
            (Receptor::Excitatory, 1.0, 1.0),
            (Receptor::Inhibitory, -1.0, -1.0),
        ] {
            let mut s2 = s;
            M::add_input(&d, &mut s2, r, w);
            let f2 = M::free(&d, &s2, v_inf);
            for t in [0.0, 0.01, 0.5, 3.0, 30.0] {
                let dv = M::v(&M::free_state(&f2, t)) - M::v(&M::free_state(&f, t));
                assert!(
                    sign * dv >= -1e-12,
                    "{}: {r:?} input moves v by {dv} at {t}",
                    M::NAME
                );
            }
        }
        let r = M::refractory_state(&d, &s, 1.5, v_reset);
        assert_eq!(M::v(&r), v_reset);
        assert_eq!(samples::<M>(&r).len(), M::RECORDABLES.len());
    }

    #[test]
    fn every_model_keeps_the_contract() {
        let exp = [0.5, 12.0, 3.0, 7.0, 2.0, -60.0, -70.0, -52.0, 0.1];
        contract::<IfCurrExp>(&exp, -70.0);
        contract::<IfCurrAlpha>(&exp, -70.0);
        // tau_syn == tau_m: the t e^{-t/tau_m} and t^2 e^{-t/tau_m} terms
        let equal = [0.5, 12.0, 12.0, 12.0, 2.0, -60.0, -70.0, -52.0, 0.1];
        contract::<IfCurrExp>(&equal, -70.0);
        contract::<IfCurrAlpha>(&equal, -70.0);
        contract::<IfCurrDelta>(&[0.5, 12.0, 2.0, -60.0, -70.0, -52.0, 0.1], -70.0);
    }

    /// `IfCurrExp` through the trait gives the bits of the functions it delegates to.
    #[test]
    fn if_curr_exp_through_the_trait_is_the_closed_form() {
        let p = if_curr_exp::Params {
            tau_syn_I: 7.0,
            ..Default::default()
        };
        let s = if_curr_exp::State {
            v: -58.0,
            isyn_exc: 1.5,
            isyn_inh: -0.7,
        };
        let f = if_curr_exp::Free {
            v0: s.v,
            ie0: s.isyn_exc,
            ii0: s.isyn_inh,
            v_inf: p.v_inf(0.2),
            cm: p.cm,
            rates: if_curr_exp::Rates::of(&p),
        };
        let g = IfCurrExp::free(&IfCurrExp::derived(&p), &s, p.v_inf(0.2));
        assert_eq!(f, g);
        for t in [0.0, 0.1, 1.0, 17.0] {
            assert_eq!(IfCurrExp::free_state(&g, t), f.state(t));
        }
    }

    #[test]
    fn model_names_round_trip() {
        for k in ModelKind::ALL {
            assert_eq!(ModelKind::of_name(k.name()), Some(k));
        }
        assert_eq!(ModelKind::of_name("IF_cond_exp"), None);
        assert!(ModelKind::ALL.into_iter().all(ModelKind::simulated));
    }
}
