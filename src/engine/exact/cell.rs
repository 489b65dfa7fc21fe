//! One cell's lazy state and the parameters its closed form needs.

use crate::model::ac_drive::{Drive, Forced};
use crate::model::if_curr_exp::{
    decay_power, decay_with, em_power, kernel_with, Derived, Free, Params, State,
};
use crate::model::CellModel;

/// The cell model of this engine's records and shards. Only `IF_curr_exp` runs today; this
/// alias marks where `Shard<M: CellModel>` takes its parameter (`crate::model`, module doc:
/// "Dispatch", "Steps").
pub(super) type Model = crate::model::if_curr_exp::IfCurrExp;

/// The per-parameter-set constants of the closed form. Cells with identical parameters share
/// one entry (most networks have a handful), so the hot per-cell record stays one cache line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct CellParams {
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
    /// The model's constants ([`CellModel::derived`]): rates (1/ms) and `Kmax_E` of the
    /// solver's bounds (ms).
    pub model: Derived,
    /// [`decay_power`] of `lE`: `k` with `e^{-lE t} = (e^{-lm t})^k` (1, 2 or 4), or 0 (a
    /// separate exponential: [`Cell::advance`] takes its general path).
    pub pow_e: u8,
    /// The same for `lI`.
    pub pow_i: u8,
}

impl CellParams {
    pub(super) fn of(p: &Params) -> Self {
        let model = Model::derived(p);
        let rates = model.rates;
        CellParams {
            v_inf0: p.v_inf(0.0),
            r_m: p.tau_m / p.cm,
            cm: p.cm,
            v_reset: p.v_reset,
            v_thresh: p.v_thresh,
            tau_refrac: p.tau_refrac,
            model,
            pow_e: decay_power(rates.lm, rates.le),
            pow_i: decay_power(rates.lm, rates.li),
        }
    }

    /// The bit pattern of every field: the key under which identical parameter sets share an
    /// entry (exact equality, so sharing changes no result).
    pub(super) fn bits(&self) -> [u64; 10] {
        let r = self.model.rates;
        [
            self.v_inf0,
            self.r_m,
            self.cm,
            self.v_reset,
            self.v_thresh,
            self.tau_refrac,
            self.model.kmax_e,
            r.lm,
            r.le,
            r.li,
        ]
        .map(f64::to_bits)
    }
}

/// Everything the event loop changes for one cell, in one cache line: the lazy state at
/// `t_last` and the cell's queue entry. A synaptic input touches this record and nothing else
/// per cell (the sparse benchmark is memory-bound).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub(super) struct Cell {
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
}

impl Cell {
    pub(super) fn new(s: &State, param: u32, p: &CellParams) -> Self {
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
        }
    }

    /// The free trajectory that starts at `max(t_last, refractory end)`, with that start time:
    /// the stored state, with `v = v_reset` and the currents decayed to the end of
    /// refractoriness if the cell is refractory.
    #[inline]
    pub(super) fn free_start(&self, p: &CellParams) -> (f64, Free) {
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
    pub(super) fn free_here(&self, p: &CellParams) -> Free {
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
    pub(super) fn forced_start<'a>(&self, p: &CellParams, drive: &'a Drive) -> (f64, Forced<'a>) {
        let (start, f) = self.free_start(p);
        (start, Forced::new(f, start, drive))
    }

    /// [`Cell::state_at`] of a `forced` cell under `drive`.
    pub(super) fn state_at_forced(&self, p: &CellParams, drive: &Drive, t: f64) -> State {
        if t <= self.ref_until {
            return self.refractory_state(p, t);
        }
        let (start, f) = self.forced_start(p, drive);
        f.state(t - start)
    }

    /// [`Cell::advance`] of a `forced` cell under `drive`.
    pub(super) fn advance_forced(&mut self, p: &CellParams, drive: &Drive, t: f64) {
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
    fn refractory_state(&self, p: &CellParams, t: f64) -> State {
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
    pub(super) fn state_at(&self, p: &CellParams, t: f64) -> State {
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
    pub(super) fn advance(&mut self, p: &CellParams, t: f64) {
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
    fn advance_general(&mut self, p: &CellParams, t: f64) {
        let s = self.state_at(p, t);
        self.v = s.v;
        self.ie = s.isyn_exc;
        self.ii = s.isyn_inh;
        self.t_last = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let p = CellParams::of(&params);
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
            let p = CellParams::of(&params);
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
