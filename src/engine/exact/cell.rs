//! One cell's lazy state and the parameters its closed form needs.

use crate::model::if_curr_exp::{decay_with, Free, Params, Rates, State};

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
    /// `Kmax_E` of the solver's bounds (ms).
    pub kmax_e: f64,
    /// Rates (1/ms).
    pub rates: Rates,
}

impl CellParams {
    pub fn of(p: &Params) -> Self {
        CellParams {
            v_inf0: p.v_inf(0.0),
            r_m: p.tau_m / p.cm,
            cm: p.cm,
            v_reset: p.v_reset,
            v_thresh: p.v_thresh,
            tau_refrac: p.tau_refrac,
            kmax_e: p.kmax_exc(),
            rates: Rates::of(p),
        }
    }

    /// The bit pattern of every field: the key under which identical parameter sets share an
    /// entry (exact equality, so sharing changes no result).
    pub fn bits(&self) -> [u64; 10] {
        let r = self.rates;
        [
            self.v_inf0,
            self.r_m,
            self.cm,
            self.v_reset,
            self.v_thresh,
            self.tau_refrac,
            self.kmax_e,
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
}

impl Cell {
    pub fn new(s: &State, param: u32, p: &CellParams) -> Self {
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
        }
    }

    /// The free trajectory that starts at `max(t_last, refractory end)`, with that start time:
    /// the stored state, with `v = v_reset` and the currents decayed to the end of
    /// refractoriness if the cell is refractory.
    #[inline]
    pub fn free_start(&self, p: &CellParams) -> (f64, Free) {
        let r = p.rates;
        let (t0, ru) = (self.t_last, self.ref_until);
        let (start, v0, ie0, ii0) = if ru > t0 {
            let dt = ru - t0;
            let em = (-r.lm * dt).exp();
            (
                ru,
                p.v_reset,
                self.ie * decay_with(r.lm, r.le, dt, em),
                self.ii * decay_with(r.lm, r.li, dt, em),
            )
        } else {
            (t0, self.v, self.ie, self.ii)
        };
        (
            start,
            Free {
                v0,
                ie0,
                ii0,
                v_inf: self.v_inf,
                cm: p.cm,
                rates: r,
            },
        )
    }

    /// The state at time `t >= t_last`, from the closed form, without changing it. During
    /// refractoriness (`t <= refractory end`) `v = v_reset` while the currents decay.
    #[inline]
    pub fn state_at(&self, p: &CellParams, t: f64) -> State {
        if t <= self.ref_until {
            let r = p.rates;
            let dt = t - self.t_last;
            let em = (-r.lm * dt).exp();
            return State {
                v: p.v_reset,
                isyn_exc: self.ie * decay_with(r.lm, r.le, dt, em),
                isyn_inh: self.ii * decay_with(r.lm, r.li, dt, em),
            };
        }
        let (start, f) = self.free_start(p);
        f.state(t - start)
    }

    /// Moves the stored state to time `t`.
    #[inline]
    pub fn advance(&mut self, p: &CellParams, t: f64) {
        if t == self.t_last {
            return;
        }
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

    #[test]
    fn a_cell_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Cell>(), 64);
    }
}
