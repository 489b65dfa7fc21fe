//! Construction memory (issue 5): building the sparse benchmark network (`fixtures/sparse.toml`,
//! 110 000 cells, 11 000 000 synapses) keeps the peak resident memory of the whole process within
//! 24 bytes per synapse plus 200 bytes per cell, as `exactlif check` does (network and engine).
//!
//! The build runs in a child process (this test binary, re-run on this one test), so that the
//! other tests of this binary and the harness do not count.

use std::path::Path;
use std::process::Command;

/// Set in the child process: build the network and print the peak.
const CHILD: &str = "EXACTLIF_CONSTRUCTION_MEMORY_CHILD";

/// Peak resident memory of this process so far (kB): `VmHWM` of `/proc/self/status`.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(debug_assertions, ignore = "builds 11 M synapses: run with --release")]
fn sparse_network_builds_within_the_memory_budget() {
    if std::env::var_os(CHILD).is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sparse.toml");
        let prepared = exactlif::app::prepare(&path).unwrap();
        let net = prepared.sim.net();
        println!(
            "child: peak_rss_kb {} synapses {} cells {}",
            peak_rss_kb(),
            net.n_synapses(),
            net.n_cells()
        );
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "sparse_network_builds_within_the_memory_budget",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("child: ").map(|(_, report)| report))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [peak_kb, synapses, cells] = numbers[..] else {
        panic!("bad report: {line}")
    };
    assert_eq!((synapses, cells), (11_000_000, 110_000));
    let budget = 24 * synapses + 200 * cells;
    println!(
        "sparse.toml: peak RSS {:.1} MB, budget {:.1} MB",
        peak_kb as f64 * 1024.0 / 1e6,
        budget as f64 / 1e6
    );
    assert!(
        peak_kb * 1024 <= budget,
        "peak RSS {peak_kb} kB is over the budget of {budget} bytes"
    );
}
