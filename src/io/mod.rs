//! Files: reading model files and writing the results directory (SPEC §4); `text`: numbers
//! and counts in messages.

pub(crate) mod atomic;
pub mod model_file;
pub mod output;
pub mod pynn_export;
pub mod text;
