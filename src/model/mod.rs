//! Cell models: parameters, state and closed-form propagation. One file per cell type, and
//! the closed form under sinusoidal injected current (`ac_drive`).

pub(crate) mod ac_drive;
// IF_curr_alpha and IF_curr_delta: maths and solvers only; the engine integration is pending.
pub(crate) mod if_curr_alpha;
pub(crate) mod if_curr_delta;
pub(crate) mod if_curr_exp;
