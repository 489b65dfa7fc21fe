//! One cell's lazy state and the parameters its closed form needs, for each cell model
//! ([`ExactModel`]).

use std::fmt::Debug;

use crate::model::ac_drive::{Drive, Forced, ForcedBase};
use crate::model::if_curr_alpha::{self, IfCurrAlpha};
use crate::model::if_curr_delta::{self, IfCurrDelta};
use crate::model::if_curr_exp::{
    decay_power, decay_with, em_power, kernel_with, Free, IfCurrExp, Params, Rates, State,
    PARAMETERS as EXP_PARAMETERS,
};
use crate::model::{CellModel, Receptor};
use crate::threshold::{first_crossing_forced, Crossings, ForcedCrossing, SolverStats};

/// The per-parameter-set constants of the closed form of model `M`. Cells with identical
/// parameters share one entry (most networks have a handful), so the hot per-cell record stays
/// small (one cache line for IF_curr_exp).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct CellParams<M: CellModel> {
    /// `v_rest + i_offset * tau_m / cm` (mV): `v_inf` without injected current.
    pub v_inf0: f64,
    /// `tau_m / cm` (MOhm): `v_inf = v_inf0 + i_inj * r_m`.
    pub r_m: f64,
    /// Membrane capacitance (nF).
    pub cm: f64,
    /// Reset potential (mV).
    pub v_reset: f64,
    /// Threshold (mV).
    pub v_thresh: f64,
    /// Refractory period (ms).
    pub tau_refrac: f64,
    /// The model's constants ([`CellModel::derived`]): for IF_curr_exp its rates (1/ms) and
    /// `Kmax_E` of the solver's bounds (ms).
    pub model: M::Derived,
    /// IF_curr_exp: [`decay_power`] of `lE`: `k` with `e^{-lE t} = (e^{-lm t})^k` (1, 2 or
    /// 4), or 0 (a separate exponential: [`Cell::advance`] takes its general path). Unused by
    /// the other models.
    pub pow_e: u8,
    /// The same for `lI`.
    pub pow_i: u8,
}

impl<M: CellModel> CellParams<M> {
    /// The constants of the (valid) parameters `p`: IF_curr_exp's parameter struct, which
    /// holds every model's parameters (`NetData::params`).
    pub(super) fn of(p: &Params) -> Self {
        let all = p.values();
        let values: Vec<f64> = M::PARAMETERS
            .iter()
            .map(|(name, _, _)| {
                let k = EXP_PARAMETERS.iter().position(|q| q.0 == *name);
                all[k.expect("every model's parameters are IF_curr_exp's")]
            })
            .collect();
        let (pow_e, pow_i) = {
            let (lm, le, li) = (1.0 / p.tau_m, 1.0 / p.tau_syn_E, 1.0 / p.tau_syn_I);
            (decay_power(lm, le), decay_power(lm, li))
        };
        CellParams {
            v_inf0: p.v_inf(0.0),
            r_m: p.tau_m / p.cm,
            cm: p.cm,
            v_reset: p.v_reset,
            v_thresh: p.v_thresh,
            tau_refrac: p.tau_refrac,
            model: M::derived(&M::params_from_values(&values)),
            pow_e,
            pow_i,
        }
    }
}

/// The parameter tables of the engine, one per model (`param` of a cell indexes its model's).
#[derive(Clone, Debug, Default)]
pub(super) struct Tables {
    pub exp: Vec<CellParams<IfCurrExp>>,
    pub alpha: Vec<CellParams<IfCurrAlpha>>,
    pub delta: Vec<CellParams<IfCurrDelta>>,
    /// Per table, the index of each parameter set by its bits (IF_curr_exp's 9 values).
    index: [std::collections::HashMap<[u64; 9], u32>; 3],
}

impl Tables {
    /// [`Tables::entry`] in the table of model `model`.
    pub(super) fn entry_of(&mut self, model: crate::model::ModelKind, p: &Params) -> u32 {
        use crate::model::ModelKind;
        match model {
            ModelKind::Exp => self.entry::<IfCurrExp>(p),
            ModelKind::Alpha => self.entry::<IfCurrAlpha>(p),
            ModelKind::Delta => self.entry::<IfCurrDelta>(p),
        }
    }

    /// The entry of parameters `p` in model `M`'s table, added if new (identical sets share
    /// an entry: exact equality, so sharing changes no result).
    pub(super) fn entry<M: ExactModel>(&mut self, p: &Params) -> u32 {
        let key = p.values().map(f64::to_bits);
        let k = M::KIND as usize;
        if let Some(&i) = self.index[k].get(&key) {
            return i;
        }
        let table = M::table_mut(self);
        table.push(CellParams::of(p));
        let i = (table.len() - 1) as u32;
        self.index[k].insert(key, i);
        i
    }
}

/// What the exact engine needs of a cell model, beside its maths ([`CellModel`]) and its solver
/// ([`Crossings`]): how its state sits in the per-cell record [`Cell`] (the common fields,
/// plus [`ExactModel::Extra`]), and its parameter table. `Shard<M>` is monomorphised per model
/// (`crate::model`, module doc: "Dispatch").
///
/// Every model has `v`, `isyn_exc` (`ie`) and `isyn_inh` (`ii`) in the record (IF_curr_delta:
/// the currents stay 0) and reports a [`State`] of those three (what is sampled and set).
pub(super) trait ExactModel: Crossings {
    /// Per-cell state beyond the common fields (`()` for IF_curr_exp and IF_curr_delta).
    type Extra: Copy + Debug + Default + Send + Sync + 'static;

    /// The free trajectory that starts at `max(t_last, refractory end)`, with that start time.
    fn free_start(c: &Cell<Self::Extra>, p: &CellParams<Self>) -> (f64, Self::Free);
    /// The free trajectory from the stored state at `t_last` (when `ref_until <= t_last`).
    fn free_here(c: &Cell<Self::Extra>, p: &CellParams<Self>) -> Self::Free;
    /// The state at time `t >= t_last`, without changing it; `v = v_reset` while refractory.
    fn state_at(c: &Cell<Self::Extra>, p: &CellParams<Self>, t: f64) -> State;
    /// Moves the stored state to time `t`.
    fn advance(c: &mut Cell<Self::Extra>, p: &CellParams<Self>, t: f64);
    /// Applies an input of weight `w` (at receptor `inhibitory` or not) to a cell already
    /// advanced to its arrival time `te`.
    fn input(c: &mut Cell<Self::Extra>, p: &CellParams<Self>, inhibitory: bool, w: f64, te: f64);
    /// Whether the stored state carries synaptic current (else the lazy rules gain nothing).
    fn has_current(c: &Cell<Self::Extra>) -> bool;
    /// The same of a free trajectory.
    fn free_has_current(f: &Self::Free) -> bool;
    /// The asymptotic potential of a free trajectory (mV).
    fn free_v_inf(f: &Self::Free) -> f64;
    /// A span (ms) over which a search for a crossing that must come is bounded
    /// (`Shard::search_window`): the slowest time constant.
    fn span(p: &CellParams<Self>) -> f64;
    /// Sets the user-settable state (between runs); what the model does not let users set
    /// (IF_curr_alpha's current derivatives) is kept.
    fn set_state(c: &mut Cell<Self::Extra>, s: &State);
    /// The model's parameter table.
    fn table(t: &Tables) -> &[CellParams<Self>];
    /// The same, to add to.
    fn table_mut(t: &mut Tables) -> &mut Vec<CellParams<Self>>;

    /// [`ExactModel::state_at`] under a sinusoidal drive (a `forced` cell).
    fn state_at_forced(c: &Cell<Self::Extra>, p: &CellParams<Self>, d: &Drive, t: f64) -> State;
    /// [`ExactModel::advance`] under a sinusoidal drive.
    fn advance_forced(c: &mut Cell<Self::Extra>, p: &CellParams<Self>, d: &Drive, t: f64);
    /// The exact prediction under a drive: `(time, alarm)`.
    fn predict_forced(
        c: &Cell<Self::Extra>,
        p: &CellParams<Self>,
        d: &Drive,
        solver: &mut SolverStats,
    ) -> (f64, bool);
    /// The free trajectory that bounds a driven cell's from above, with its start
    /// (`Shard::predict_forced_lazy`).
    fn forced_bound(c: &Cell<Self::Extra>, p: &CellParams<Self>, d: &Drive) -> (f64, Self::Free);
}

/// Everything the event loop changes for one cell, in one cache line: the lazy state at
/// `t_last` and the cell's queue entry. A synaptic input touches this record and nothing else
/// per cell (the sparse benchmark is memory-bound).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub(super) struct Cell<X = ()> {
    /// Time of the stored state (ms).
    pub t_last: f64,
    /// `v` at `t_last` (mV).
    pub v: f64,
    /// `isyn_exc` at `t_last` (nA).
    pub ie: f64,
    /// `isyn_inh` at `t_last` (nA).
    pub ii: f64,
    /// End of the refractory period (ms); `-inf` if never refractory.
    pub ref_until: f64,
    /// `v_inf` with the injected current of current sources (mV).
    pub v_inf: f64,
    /// Time of the cell's entry in its shard's queue (ms); `+inf` if it has none.
    pub queued: f64,
    /// Index of the cell's [`CellParams`].
    pub param: u32,
    /// The queued time is an alarm (a lower bound on the next crossing), not the crossing.
    pub alarm: bool,
    /// The cell receives a sinusoidal drive now (its shard knows which): its closed form is
    /// [`Forced`], and every method here without `forced` in its name must not be used.
    pub forced: bool,
    /// The model's further state ([`ExactModel::Extra`]).
    pub x: X,
}

impl<X: Default> Cell<X> {
    /// A cell in state `s` at t = 0, with parameter set `param` (`p`), not refractory.
    pub(super) fn new<M: CellModel>(s: &State, param: u32, p: &CellParams<M>) -> Self {
        Cell {
            t_last: 0.0,
            v: s.v,
            ie: s.isyn_exc,
            ii: s.isyn_inh,
            ref_until: f64::NEG_INFINITY,
            v_inf: p.v_inf0,
            queued: f64::INFINITY,
            param,
            alarm: false,
            forced: false,
            x: X::default(),
        }
    }
}

/// IF_curr_exp's record methods: the engine's original fast paths.
impl Cell {
    /// The free trajectory that starts at `max(t_last, refractory end)`, with that start time:
    /// the stored state, with `v = v_reset` and the currents decayed to the end of
    /// refractoriness if the cell is refractory.
    #[inline]
    pub(super) fn free_start(&self, p: &CellParams<IfCurrExp>) -> (f64, Free) {
        let r = p.model.rates;
        let (t0, ru) = (self.t_last, self.ref_until);
        if ru <= t0 {
            return (t0, self.free_here(p));
        }
        let dt = ru - t0;
        let em = (-r.lm * dt).exp();
        (
            ru,
            Free {
                v0: p.v_reset,
                ie0: self.ie * decay_with(r.lm, r.le, dt, em),
                ii0: self.ii * decay_with(r.lm, r.li, dt, em),
                v_inf: self.v_inf,
                cm: p.cm,
                rates: r,
            },
        )
    }

    /// The free trajectory from the stored state at `t_last`: [`Cell::free_start`] when the
    /// cell is not refractory after `t_last` (`ref_until <= t_last`).
    #[inline(always)]
    pub(super) fn free_here(&self, p: &CellParams<IfCurrExp>) -> Free {
        Free {
            v0: self.v,
            ie0: self.ie,
            ii0: self.ii,
            v_inf: self.v_inf,
            cm: p.cm,
            rates: p.model.rates,
        }
    }

    /// [`Cell::free_start`] under the sinusoidal drive `drive` (for a `forced` cell): the
    /// trajectory from `max(t_last, refractory end)`, with that start time.
    #[inline]
    pub(super) fn forced_start<'a>(
        &self,
        p: &CellParams<IfCurrExp>,
        drive: &'a Drive,
    ) -> (f64, Forced<'a>) {
        let (start, f) = self.free_start(p);
        (start, Forced::new(f, start, drive))
    }

    /// [`Cell::state_at`] of a `forced` cell under `drive`.
    pub(super) fn state_at_forced(
        &self,
        p: &CellParams<IfCurrExp>,
        drive: &Drive,
        t: f64,
    ) -> State {
        if t <= self.ref_until {
            return self.refractory_state(p, t);
        }
        let (start, f) = self.forced_start(p, drive);
        f.state(t - start)
    }

    /// [`Cell::advance`] of a `forced` cell under `drive`.
    pub(super) fn advance_forced(&mut self, p: &CellParams<IfCurrExp>, drive: &Drive, t: f64) {
        if t == self.t_last {
            return;
        }
        let s = self.state_at_forced(p, drive, t);
        self.v = s.v;
        self.ie = s.isyn_exc;
        self.ii = s.isyn_inh;
        self.t_last = t;
    }

    /// The state at `t` during refractoriness (`t <= refractory end`): `v = v_reset` while
    /// the currents decay.
    #[inline]
    fn refractory_state(&self, p: &CellParams<IfCurrExp>, t: f64) -> State {
        let r = p.model.rates;
        let dt = t - self.t_last;
        let em = (-r.lm * dt).exp();
        State {
            v: p.v_reset,
            isyn_exc: self.ie * decay_with(r.lm, r.le, dt, em),
            isyn_inh: self.ii * decay_with(r.lm, r.li, dt, em),
        }
    }

    /// The state at time `t >= t_last`, from the closed form, without changing it. During
    /// refractoriness (`t <= refractory end`) `v = v_reset` while the currents decay.
    #[inline]
    pub(super) fn state_at(&self, p: &CellParams<IfCurrExp>, t: f64) -> State {
        debug_assert!(!self.forced, "a forced cell's state needs its drive");
        if t <= self.ref_until {
            return self.refractory_state(p, t);
        }
        let (start, f) = self.free_start(p);
        f.state(t - start)
    }

    /// Moves the stored state to time `t`.
    ///
    /// The common case (not refractory since `t_last`, synaptic decays that are powers of the
    /// membrane's, as with PyNN's defaults) is written out here: the expressions of
    /// [`Free::state`] with [`decay_with`]'s choice made once per parameter set, so that the
    /// only call is the one `exp` and few values live across it. Every other case takes
    /// [`Cell::state_at`]; both give the same bits (`advance_is_state_at`).
    #[inline]
    pub(super) fn advance(&mut self, p: &CellParams<IfCurrExp>, t: f64) {
        debug_assert!(!self.forced, "a forced cell's state needs its drive");
        if t == self.t_last {
            return;
        }
        if self.ref_until > self.t_last || p.pow_e == 0 || p.pow_i == 0 {
            return self.advance_general(p, t);
        }
        let r = &p.model.rates;
        let dt = t - self.t_last;
        let em = (-r.lm * dt).exp();
        let ee = em_power(em, p.pow_e);
        let ei = em_power(em, p.pow_i);
        let mut v = self.v_inf + (self.v - self.v_inf) * em;
        if self.ie != 0.0 || self.ii != 0.0 {
            let ke = kernel_with(r.lm, r.le, dt, em, ee);
            // one kernel when tau_syn_E == tau_syn_I (equal powers: equal rates)
            let ki = if p.pow_i == p.pow_e {
                ke
            } else {
                kernel_with(r.lm, r.li, dt, em, ei)
            };
            if self.ie != 0.0 {
                v += self.ie / p.cm * ke;
            }
            if self.ii != 0.0 {
                v += self.ii / p.cm * ki;
            }
        }
        self.v = v;
        self.ie *= ee;
        self.ii *= ei;
        self.t_last = t;
    }

    #[inline(never)]
    fn advance_general(&mut self, p: &CellParams<IfCurrExp>, t: f64) {
        let s = self.state_at(p, t);
        self.v = s.v;
        self.ie = s.isyn_exc;
        self.ii = s.isyn_inh;
        self.t_last = t;
    }
}

impl ExactModel for IfCurrExp {
    type Extra = ();

    #[inline]
    fn free_start(c: &Cell, p: &CellParams<Self>) -> (f64, Free) {
        c.free_start(p)
    }
    #[inline(always)]
    fn free_here(c: &Cell, p: &CellParams<Self>) -> Free {
        c.free_here(p)
    }
    #[inline]
    fn state_at(c: &Cell, p: &CellParams<Self>, t: f64) -> State {
        c.state_at(p, t)
    }
    #[inline]
    fn advance(c: &mut Cell, p: &CellParams<Self>, t: f64) {
        c.advance(p, t)
    }
    #[inline]
    fn input(c: &mut Cell, _: &CellParams<Self>, inhibitory: bool, w: f64, _: f64) {
        if inhibitory {
            c.ii += w;
        } else {
            c.ie += w;
        }
    }
    #[inline]
    fn has_current(c: &Cell) -> bool {
        c.ie != 0.0 || c.ii != 0.0
    }
    #[inline]
    fn free_has_current(f: &Free) -> bool {
        f.ie0 != 0.0 || f.ii0 != 0.0
    }
    #[inline]
    fn free_v_inf(f: &Free) -> f64 {
        f.v_inf
    }
    #[inline]
    fn span(p: &CellParams<Self>) -> f64 {
        p.model.rates.slowest_time_constant()
    }
    fn set_state(c: &mut Cell, s: &State) {
        c.v = s.v;
        c.ie = s.isyn_exc;
        c.ii = s.isyn_inh;
    }
    fn table(t: &Tables) -> &[CellParams<Self>] {
        &t.exp
    }
    fn table_mut(t: &mut Tables) -> &mut Vec<CellParams<Self>> {
        &mut t.exp
    }

    fn state_at_forced(c: &Cell, p: &CellParams<Self>, d: &Drive, t: f64) -> State {
        c.state_at_forced(p, d, t)
    }
    fn advance_forced(c: &mut Cell, p: &CellParams<Self>, d: &Drive, t: f64) {
        c.advance_forced(p, d, t)
    }
    /// Searched over one span of `max(slowest time constant, longest period)`. Found, the
    /// entry is the crossing; ruled out for good, no entry; otherwise an alarm at the span's
    /// end, where the search goes on from the state then.
    fn predict_forced(
        c: &Cell,
        p: &CellParams<Self>,
        drive: &Drive,
        solver: &mut SolverStats,
    ) -> (f64, bool) {
        let (start, f) = c.forced_start(p, drive);
        let span = p
            .model
            .rates
            .slowest_time_constant()
            .max(drive.longest_period());
        match first_crossing_forced(&f, p.v_thresh, p.model.kmax_e, span, solver) {
            ForcedCrossing::At(dt) => (start + dt, false),
            ForcedCrossing::NotBefore(h) => (start + h.max(span), true),
            ForcedCrossing::Never => (f64::INFINITY, false),
        }
    }
    /// The crossing lower bound of the trajectory shifted up by the drive's response
    /// amplitude `R0`: `v = base + P`, `P <= R0`, and the bound of the base trajectory
    /// (`v_inf + (v0 - v_inf) e^{-lm t} + E`) with `v_inf` and `v0` raised by `R0` is a bound of
    /// the same form, so the solver's bounds apply unchanged.
    fn forced_bound(c: &Cell, p: &CellParams<Self>, drive: &Drive) -> (f64, Free) {
        let (start, f) = c.forced_start(p, drive);
        // R0, enlarged for the rounding of P(t0) and of R0 itself
        let r0 = drive.response_bounds(p.model.rates.lm, p.cm)[0] * (1.0 + 1e-9) + 1e-12;
        let bound = Free {
            v0: f.base.v0 + r0,
            v_inf: f.base.v_inf + r0,
            ..f.base
        };
        (start, bound)
    }
}

/// The record of a model read through [`CellModel`] (IF_curr_alpha, IF_curr_delta): its state
/// loaded from the record and stored back, the [`State`] it reports, and the little that
/// differs between such models. [`ExactModel`] follows for each.
pub(super) trait Record: Crossings {
    /// [`ExactModel::Extra`].
    type X: Copy + Debug + Default + Send + Sync + 'static;
    fn load(c: &Cell<Self::X>) -> Self::State;
    fn store(c: &mut Cell<Self::X>, s: &Self::State);
    /// The common [`State`] of a model state.
    fn report(s: &Self::State) -> State;
    /// A model state with the user-settable values of `s` (the rest of `m` kept).
    fn set_reported(m: &mut Self::State, s: &State);
    /// [`ExactModel::has_current`].
    fn has_current(c: &Cell<Self::X>) -> bool;
    /// Whether an input arriving at `te` at a cell advanced there takes effect.
    fn applies(c: &Cell<Self::X>, te: f64) -> bool;
    /// [`ExactModel::free_has_current`].
    fn free_has_current(f: &Self::Free) -> bool;
    /// [`ExactModel::free_v_inf`].
    fn free_v_inf(f: &Self::Free) -> f64;
    /// [`ExactModel::span`].
    fn span(p: &CellParams<Self>) -> f64;
    /// [`ExactModel::table`].
    fn table(t: &Tables) -> &[CellParams<Self>];
    /// [`ExactModel::table_mut`].
    fn table_mut(t: &mut Tables) -> &mut Vec<CellParams<Self>>;
    /// The trajectory a sinusoidal drive's response is added to ([`Forced`]'s base).
    type Base: ForcedBase;
    /// The base of the free trajectory `f` of a cell with parameters `p`.
    fn forced_base(f: &Self::Free, p: &CellParams<Self>) -> Self::Base;
    /// The model state of a base state.
    fn from_base(s: <Self::Base as ForcedBase>::State) -> Self::State;
    /// What the base's supremum bound needs ([`ForcedBase::sup`]).
    fn base_sup(p: &CellParams<Self>) -> <Self::Base as ForcedBase>::Sup;
    /// The free trajectory `base + r0`: `v0` and `v_inf` raised by `r0` (mV), which bounds
    /// `base + P` from above when `P <= r0`. Of the same form as any free trajectory, so the
    /// model's crossing bounds ([`Crossings`]) apply to it unchanged.
    fn raised(base: &Self::Base, r0: f64) -> Self::Free;
}

impl Record for IfCurrAlpha {
    /// `dI/dt` of the excitatory and the inhibitory current (nA/ms).
    type X = [f64; 2];
    #[inline]
    fn load(c: &Cell<[f64; 2]>) -> if_curr_alpha::State {
        if_curr_alpha::State {
            v: c.v,
            isyn_exc: c.ie,
            disyn_exc: c.x[0],
            isyn_inh: c.ii,
            disyn_inh: c.x[1],
        }
    }
    #[inline]
    fn store(c: &mut Cell<[f64; 2]>, s: &if_curr_alpha::State) {
        c.v = s.v;
        c.ie = s.isyn_exc;
        c.ii = s.isyn_inh;
        c.x = [s.disyn_exc, s.disyn_inh];
    }
    #[inline]
    fn report(s: &if_curr_alpha::State) -> State {
        State {
            v: s.v,
            isyn_exc: s.isyn_exc,
            isyn_inh: s.isyn_inh,
        }
    }
    fn set_reported(m: &mut if_curr_alpha::State, s: &State) {
        m.v = s.v;
        m.isyn_exc = s.isyn_exc;
        m.isyn_inh = s.isyn_inh;
    }
    /// Always (SPEC §8: while refractory the currents go on receiving input).
    #[inline]
    fn applies(_: &Cell<[f64; 2]>, _: f64) -> bool {
        true
    }
    #[inline]
    fn has_current(c: &Cell<[f64; 2]>) -> bool {
        c.ie != 0.0 || c.ii != 0.0 || c.x != [0.0; 2]
    }
    #[inline]
    fn free_has_current(f: &if_curr_alpha::Free) -> bool {
        !(f.syn[0].is_zero() && f.syn[1].is_zero())
    }
    #[inline]
    fn free_v_inf(f: &if_curr_alpha::Free) -> f64 {
        f.v_inf
    }
    /// `tau_m`, or twice the longer `tau_syn` if that is longer (a search bound only: past it
    /// an alarm takes over).
    fn span(p: &CellParams<Self>) -> f64 {
        let [le, li] = p.model.l;
        (1.0 / p.model.lm).max(2.0 / le.min(li))
    }
    fn table(t: &Tables) -> &[CellParams<Self>] {
        &t.alpha
    }
    fn table_mut(t: &mut Tables) -> &mut Vec<CellParams<Self>> {
        &mut t.alpha
    }
    /// The free trajectory itself (`model::ac_drive`: [`ForcedBase`] for `IF_curr_alpha`).
    type Base = if_curr_alpha::Free;
    #[inline]
    fn forced_base(f: &if_curr_alpha::Free, _: &CellParams<Self>) -> if_curr_alpha::Free {
        *f
    }
    #[inline]
    fn from_base(s: if_curr_alpha::State) -> if_curr_alpha::State {
        s
    }
    #[inline]
    fn base_sup(p: &CellParams<Self>) -> if_curr_alpha::Derived {
        p.model
    }
    #[inline]
    fn raised(base: &if_curr_alpha::Free, r0: f64) -> if_curr_alpha::Free {
        if_curr_alpha::Free {
            v0: base.v0 + r0,
            v_inf: base.v_inf + r0,
            ..*base
        }
    }
}

impl Record for IfCurrDelta {
    type X = ();
    #[inline]
    fn load(c: &Cell) -> if_curr_delta::State {
        if_curr_delta::State { v: c.v }
    }
    #[inline]
    fn store(c: &mut Cell, s: &if_curr_delta::State) {
        c.v = s.v;
    }
    #[inline]
    fn report(s: &if_curr_delta::State) -> State {
        State {
            v: s.v,
            isyn_exc: 0.0,
            isyn_inh: 0.0,
        }
    }
    fn set_reported(m: &mut if_curr_delta::State, s: &State) {
        m.v = s.v;
    }
    /// SPEC §8: an input arriving while refractory, `t_s <= te < t_s + tau_refrac`, is
    /// discarded; one at exactly `t_s + tau_refrac` (`ref_until`) is applied.
    #[inline]
    fn applies(c: &Cell, te: f64) -> bool {
        te >= c.ref_until
    }
    #[inline]
    fn has_current(_: &Cell) -> bool {
        false
    }
    #[inline]
    fn free_has_current(_: &if_curr_delta::Free) -> bool {
        false
    }
    #[inline]
    fn free_v_inf(f: &if_curr_delta::Free) -> f64 {
        f.v_inf
    }
    fn span(p: &CellParams<Self>) -> f64 {
        1.0 / p.model
    }
    fn table(t: &Tables) -> &[CellParams<Self>] {
        &t.delta
    }
    fn table_mut(t: &mut Tables) -> &mut Vec<CellParams<Self>> {
        &mut t.delta
    }
    /// `v_inf + (v0 - v_inf) e^{-lm s}` is IF_curr_exp's free trajectory without currents (a
    /// jump is an input: the forced trajectory is rebuilt from the state after it).
    type Base = Free;
    #[inline]
    fn forced_base(f: &if_curr_delta::Free, p: &CellParams<Self>) -> Free {
        Free {
            v0: f.v0,
            ie0: 0.0,
            ii0: 0.0,
            v_inf: f.v_inf,
            cm: p.cm,
            rates: Rates {
                lm: f.lm,
                le: f.lm,
                li: f.lm,
            },
        }
    }
    #[inline]
    fn from_base(s: State) -> if_curr_delta::State {
        if_curr_delta::State { v: s.v }
    }
    /// `Kmax_E`, which multiplies an excitatory current of 0.
    #[inline]
    fn base_sup(_: &CellParams<Self>) -> f64 {
        0.0
    }
    #[inline]
    fn raised(base: &Free, r0: f64) -> if_curr_delta::Free {
        if_curr_delta::Free {
            v0: base.v0 + r0,
            v_inf: base.v_inf + r0,
            lm: base.rates.lm,
        }
    }
}

/// The forced trajectory of a [`Record`] model from `max(t_last, refractory end)`, with its
/// start.
#[inline]
fn record_forced_start<'a, M: Record>(
    c: &Cell<M::X>,
    p: &CellParams<M>,
    drive: &'a Drive,
) -> (f64, Forced<'a, M::Base>) {
    let (start, f) = record_free_start(c, p);
    (start, Forced::new(M::forced_base(&f, p), start, drive))
}

/// [`record_state_at`] of a `forced` cell under `drive`.
#[inline]
fn record_state_at_forced<M: Record>(
    c: &Cell<M::X>,
    p: &CellParams<M>,
    drive: &Drive,
    t: f64,
) -> M::State {
    if t <= c.ref_until {
        return M::refractory_state(&p.model, &M::load(c), t - c.t_last, p.v_reset);
    }
    let (start, f) = record_forced_start(c, p, drive);
    M::from_base(f.state(t - start))
}

/// The free trajectory from `max(t_last, refractory end)` of a [`Record`] model, with its start:
/// while refractory `v` is held at `v_reset` and the rest evolves (`refractory_state`).
#[inline]
fn record_free_start<M: Record>(c: &Cell<M::X>, p: &CellParams<M>) -> (f64, M::Free) {
    let s = M::load(c);
    if c.ref_until <= c.t_last {
        return (c.t_last, M::free(&p.model, &s, c.v_inf));
    }
    let end = M::refractory_state(&p.model, &s, c.ref_until - c.t_last, p.v_reset);
    (c.ref_until, M::free(&p.model, &end, c.v_inf))
}

/// The model's state at `t >= t_last` of a [`Record`] model.
#[inline]
fn record_state_at<M: Record>(c: &Cell<M::X>, p: &CellParams<M>, t: f64) -> M::State {
    if t <= c.ref_until {
        return M::refractory_state(&p.model, &M::load(c), t - c.t_last, p.v_reset);
    }
    let (start, f) = record_free_start(c, p);
    M::free_state(&f, t - start)
}

impl<M: Record> ExactModel for M {
    type Extra = M::X;

    #[inline]
    fn free_start(c: &Cell<M::X>, p: &CellParams<M>) -> (f64, M::Free) {
        record_free_start(c, p)
    }
    #[inline]
    fn free_here(c: &Cell<M::X>, p: &CellParams<M>) -> M::Free {
        M::free(&p.model, &M::load(c), c.v_inf)
    }
    #[inline]
    fn state_at(c: &Cell<M::X>, p: &CellParams<M>, t: f64) -> State {
        M::report(&record_state_at(c, p, t))
    }
    #[inline]
    fn advance(c: &mut Cell<M::X>, p: &CellParams<M>, t: f64) {
        if t == c.t_last {
            return;
        }
        let s = record_state_at(c, p, t);
        M::store(c, &s);
        c.t_last = t;
    }
    #[inline]
    fn input(c: &mut Cell<M::X>, p: &CellParams<M>, inhibitory: bool, w: f64, te: f64) {
        if !M::applies(c, te) {
            return;
        }
        let r = if inhibitory {
            Receptor::Inhibitory
        } else {
            Receptor::Excitatory
        };
        let mut s = M::load(c);
        <M as CellModel>::add_input(&p.model, &mut s, r, w);
        M::store(c, &s);
    }
    #[inline]
    fn has_current(c: &Cell<M::X>) -> bool {
        <M as Record>::has_current(c)
    }
    #[inline]
    fn free_has_current(f: &M::Free) -> bool {
        <M as Record>::free_has_current(f)
    }
    #[inline]
    fn free_v_inf(f: &M::Free) -> f64 {
        <M as Record>::free_v_inf(f)
    }
    #[inline]
    fn span(p: &CellParams<M>) -> f64 {
        <M as Record>::span(p)
    }
    fn set_state(c: &mut Cell<M::X>, s: &State) {
        let mut m = M::load(c);
        M::set_reported(&mut m, s);
        M::store(c, &m);
    }
    fn table(t: &Tables) -> &[CellParams<M>] {
        <M as Record>::table(t)
    }
    fn table_mut(t: &mut Tables) -> &mut Vec<CellParams<M>> {
        <M as Record>::table_mut(t)
    }
    fn state_at_forced(c: &Cell<M::X>, p: &CellParams<M>, d: &Drive, t: f64) -> State {
        M::report(&record_state_at_forced(c, p, d, t))
    }
    fn advance_forced(c: &mut Cell<M::X>, p: &CellParams<M>, d: &Drive, t: f64) {
        if t == c.t_last {
            return;
        }
        let s = record_state_at_forced(c, p, d, t);
        M::store(c, &s);
        c.t_last = t;
    }
    /// As IF_curr_exp's: searched over one span of `max(span, longest period)`; found, the
    /// entry is the crossing; ruled out for good, no entry; otherwise an alarm at the span's
    /// end.
    fn predict_forced(
        c: &Cell<M::X>,
        p: &CellParams<M>,
        drive: &Drive,
        solver: &mut SolverStats,
    ) -> (f64, bool) {
        let (start, f) = record_forced_start(c, p, drive);
        let span = <M as Record>::span(p).max(drive.longest_period());
        match first_crossing_forced(&f, p.v_thresh, M::base_sup(p), span, solver) {
            ForcedCrossing::At(dt) => (start + dt, false),
            ForcedCrossing::NotBefore(h) => (start + h.max(span), true),
            ForcedCrossing::Never => (f64::INFINITY, false),
        }
    }
    /// As IF_curr_exp's: the base trajectory raised by the drive's response amplitude `R0`
    /// ([`Record::raised`]), since `v = base + P` and `P <= R0`.
    fn forced_bound(c: &Cell<M::X>, p: &CellParams<M>, drive: &Drive) -> (f64, M::Free) {
        let (start, f) = record_forced_start(c, p, drive);
        // R0, enlarged for the rounding of P(t0) and of R0 itself
        let r0 = drive.response_bounds(f.base.lm(), f.base.cm())[0] * (1.0 + 1e-9) + 1e-12;
        (start, M::raised(&f.base, r0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Model = IfCurrExp;

    use proptest::prelude::*;

    #[test]
    fn a_cell_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Cell>(), 64);
    }

    /// Synaptic time constants for a membrane time constant `tau_m`: equal to it, a half, a
    /// quarter (the powers [`Cell::advance`] writes out) or anything else (its general path).
    fn tau_syn(tau_m: f64, kind: u8, other: f64) -> f64 {
        match kind {
            0 => tau_m,
            1 => tau_m / 2.0,
            2 => tau_m / 4.0,
            _ => other,
        }
    }

    proptest! {
        /// [`Cell::advance`]'s written-out common case gives the bits of the general closed
        /// form ([`Cell::state_at`]), refractory or not.
        #[test]
        fn advance_is_state_at(
            tau_m in 1.0f64..50.0, ke in 0u8..4, ki in 0u8..4, other in 0.5f64..20.0,
            v in -80.0f64..-50.0, ie in prop_oneof![Just(0.0), 0.0f64..5.0],
            ii in prop_oneof![Just(0.0), -5.0f64..0.0],
            t_last in 0.0f64..100.0, ref_from in -5.0f64..2.0, dt in prop_oneof![1e-9f64..0.1, 0.0f64..60.0],
        ) {
            let params = Params {
                tau_m,
                tau_syn_E: tau_syn(tau_m, ke, other),
                tau_syn_I: tau_syn(tau_m, ki, other),
                ..Params::default()
            };
            let p = CellParams::<IfCurrExp>::of(&params);
            let mut c = Cell::new(&State { v, isyn_exc: ie, isyn_inh: ii }, 0, &p);
            c.t_last = t_last;
            // refractory until before, at or after t_last
            c.ref_until = t_last + ref_from;
            let t = t_last + dt;
            let expected = c.state_at(&p, t);
            c.advance(&p, t);
            prop_assert_eq!(c.v.to_bits(), expected.v.to_bits());
            prop_assert_eq!(c.ie.to_bits(), expected.isyn_exc.to_bits());
            prop_assert_eq!(c.ii.to_bits(), expected.isyn_inh.to_bits());
            prop_assert_eq!(c.t_last, t);
        }

        /// The model's closed form through [`CellModel`] (`free` and `free_state`, or
        /// `refractory_state` while refractory) gives the bits of the record's
        /// [`Cell::state_at`]: the record can be moved behind the trait (`crate::model`, "Steps")
        /// without changing a result.
        #[test]
        fn the_trait_gives_the_records_bits(
            tau_m in 1.0f64..50.0, ke in 0u8..4, ki in 0u8..4, other in 0.5f64..20.0,
            v in -80.0f64..-50.0, ie in prop_oneof![Just(0.0), 0.0f64..5.0],
            ii in prop_oneof![Just(0.0), -5.0f64..0.0],
            ref_for in prop_oneof![Just(-1.0), 0.0f64..3.0], dt in 0.0f64..10.0,
        ) {
            let params = Params {
                tau_m,
                tau_syn_E: tau_syn(tau_m, ke, other),
                tau_syn_I: tau_syn(tau_m, ki, other),
                ..Params::default()
            };
            let p = CellParams::<IfCurrExp>::of(&params);
            let s = State { v, isyn_exc: ie, isyn_inh: ii };
            let mut c = Cell::new(&s, 0, &p);
            c.ref_until = ref_for;
            let expected = if dt <= ref_for {
                Model::refractory_state(&p.model, &s, dt, p.v_reset)
            } else if ref_for > 0.0 {
                let at_end = Model::refractory_state(&p.model, &s, ref_for, p.v_reset);
                Model::free_state(&Model::free(&p.model, &at_end, c.v_inf), dt - ref_for)
            } else {
                Model::free_state(&Model::free(&p.model, &s, c.v_inf), dt)
            };
            prop_assert_eq!(c.state_at(&p, dt), expected);
        }
    }
}
