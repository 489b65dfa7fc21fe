//! Cell models: parameters, state and closed-form propagation. One file per cell type, and
//! the closed form under sinusoidal injected current (`ac_drive`).

pub(crate) mod ac_drive;
pub(crate) mod if_curr_exp;
