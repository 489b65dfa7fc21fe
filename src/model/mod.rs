//! Cell models: parameters, state and closed-form propagation. One file per cell type.

pub mod if_curr_exp;
