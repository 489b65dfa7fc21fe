//! Cell models: parameters, state and closed-form propagation. One file per cell type.

pub(crate) mod if_curr_exp;
