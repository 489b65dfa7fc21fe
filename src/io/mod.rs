//! Files: reading model files and writing the results directory (SPEC §4); `text`: numbers
//! and counts in messages.

pub(crate) mod atomic;
pub mod model_file;
pub mod output;
pub mod pynn_export;
pub mod text;

/// The machine's memory (bytes): `MemTotal` of `/proc/meminfo`, or unlimited where that
/// cannot be read (the default limit of [`crate::ResourceEstimate::check`] for front ends).
pub fn machine_memory() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024.0)
        })
        .unwrap_or(f64::INFINITY)
}
