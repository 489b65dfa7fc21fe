//! Building and running.
use crate::recording::DataBlock;
/// A built network, ready to run.
pub struct Simulation { data: DataBlock }
impl Simulation {
    /// Runs for `ms` more milliseconds.
    pub fn run(&mut self, _ms: f64) {}
    /// Returns to t = 0.
    pub fn reset(&mut self) {}
    /// The recorded data.
    pub fn get_data(&self) -> DataBlock { self.data.clone() }
}
impl super::Network {
    /// Builds.
    pub fn build(&self) -> Result<Simulation, super::BuildError> { Err(super::BuildError::new("simulation", "x", "not yet")) }
}
