//! Memory budget (issue 5): 24 bytes per synapse plus 200 bytes per cell.
//!
//! - Building the sparse benchmark network (`fixtures/sparse.toml`, 110 000 cells, 11 000 000
//!   synapses) keeps the peak resident memory of the whole process within the budget, as
//!   `exactlif check` does (network and engine).
//! - A whole run of the CUBA benchmark (`fixtures/cuba.toml`, 4000 cells, ~320 000 synapses) as
//!   `exactlif run` does it (build, simulate 1 s, write the results directory with its figures)
//!   stays within the budget above the memory the process held before it began (the program
//!   and its libraries, about 3 MB, which a network this small would otherwise be charged).
//!
//! Each measurement runs in a child process (this test binary, re-run on that one test), so
//! that the other tests of this binary and the harness do not count.

mod common;

use std::path::Path;
use std::process::Command;

/// Set in the child process: do the work and print the peak.
const CHILD: &str = "EXACTLIF_CONSTRUCTION_MEMORY_CHILD";

/// Peak resident memory of this process so far (kB): `VmHWM` of `/proc/self/status`.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Re-runs this test binary on test `name` with [`CHILD`] set and returns the numbers of the
/// line the child printed after `child: `.
fn child_report(name: &str) -> Vec<u64> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("child: ").map(|(_, report)| report))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"));
    line.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(debug_assertions, ignore = "builds 11 M synapses: run with --release")]
fn sparse_network_builds_within_the_memory_budget() {
    if std::env::var_os(CHILD).is_some() {
        let model = exactlif::io::model_file::load_model(&fixture("sparse.toml")).unwrap();
        let sim = model.network.build().unwrap();
        let net = exactlif::internals::net_of(&sim);
        println!(
            "child: peak_rss_kb {} synapses {} cells {}",
            peak_rss_kb(),
            net.n_synapses(),
            net.n_cells()
        );
        return;
    }
    let numbers = child_report("sparse_network_builds_within_the_memory_budget");
    let [peak_kb, synapses, cells] = numbers[..] else {
        panic!("bad report: {numbers:?}")
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

#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(
    debug_assertions,
    ignore = "simulates CUBA for 1 s: run with --release"
)]
fn cuba_run_stays_within_the_memory_budget() {
    if std::env::var_os(CHILD).is_some() {
        let baseline_kb = peak_rss_kb();
        let out = std::env::temp_dir().join(format!("exactlif_cuba_memory_{}", std::process::id()));
        let model = exactlif::io::model_file::load_model(&fixture("cuba.toml")).unwrap();
        let mut sim = model.network.build().unwrap();
        let (synapses, cells) = (sim.n_synapses(), sim.n_cells());
        // as `exactlif run` does it: the network is freed before the figures are drawn
        sim.run_until(model.duration);
        let data = common::data(&sim);
        drop(sim);
        let mut files = exactlif::io::output::write_results(&out, &data).unwrap();
        files.extend(exactlif::plot::plot_block(&data, &out).unwrap());
        assert!(files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "png")));
        std::fs::remove_dir_all(&out).unwrap();
        println!(
            "child: baseline_kb {baseline_kb} peak_rss_kb {} synapses {synapses} cells {cells}",
            peak_rss_kb()
        );
        return;
    }
    let numbers = child_report("cuba_run_stays_within_the_memory_budget");
    let [baseline_kb, peak_kb, synapses, cells] = numbers[..] else {
        panic!("bad report: {numbers:?}")
    };
    assert_eq!(cells, 4000);
    let budget = 24 * synapses + 200 * cells;
    let used = (peak_kb - baseline_kb) * 1024;
    println!(
        "cuba.toml run: peak RSS {:.1} MB, {:.1} MB above the {:.1} MB held before, budget {:.1} MB",
        peak_kb as f64 * 1024.0 / 1e6,
        used as f64 / 1e6,
        baseline_kb as f64 * 1024.0 / 1e6,
        budget as f64 / 1e6
    );
    assert!(
        used <= budget,
        "the run took {used} bytes above the baseline, over the budget of {budget} bytes"
    );
}
