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
use crate::model::if_curr_delta::Free;

/// The first time `t` in `[0, horizon]` (relative, ms) with `v(t) >= v_thresh` on the free
/// trajectory `f`: the closed form above, moved up by a few ulps if the computed `v` there is
/// still below threshold by rounding (so that `v >= v_thresh` holds where it is reported).
#[allow(dead_code)] // engine integration is pending
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
