//! Connectors.
use super::Connector;
pub(crate) fn validate(_c: &Connector, _n_pre: usize, _n_post: usize, _same: bool) -> Result<(), (&'static str, String)> { Ok(()) }
