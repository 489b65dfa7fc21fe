//! Helpers shared by the integration tests: the engine's equivalence tests (`parallel.rs`,
//! `batched_delivery.rs`), and the check that no run of the suite hits a solver iteration cap
//! ([`data`], [`assert_no_cap_hits`], [`assert_summaries_no_cap_hits`]; issue 14).
#![allow(dead_code)]

use std::path::Path;

use exactlif::internals::ExactEngine;
use exactlif::internals::NetData;
use exactlif::io::model_file::load_model;
use exactlif::{DataBlock, EventCounts, Simulation};

/// The solver's iteration caps are bug traps (a `debug_assert`, compiled out in release, plus a
/// counter): every run of the test suite asserts that its counter stayed 0.
pub fn assert_no_cap_hits(events: &EventCounts, what: &str) {
    assert_eq!(
        events.solver_cap_hits, 0,
        "{what}: the threshold solver hit an iteration cap ({events:?})"
    );
}

/// `sim.get_data()`, after asserting that no search of the run hit a solver iteration cap.
pub fn data(sim: &Simulation) -> DataBlock {
    let d = sim.get_data();
    assert_no_cap_hits(&d.events, "get_data");
    d
}

/// Asserts `events.solver_cap_hits == 0` in every `summary.json` under `dir` (the command
/// line's runs), and returns how many summaries it read.
pub fn assert_summaries_no_cap_hits(dir: &Path) -> usize {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += assert_summaries_no_cap_hits(&path);
        } else if path.file_name().is_some_and(|f| f == "summary.json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
            let hits = summary["events"]["solver_cap_hits"].as_u64();
            assert_eq!(
                hits,
                Some(0),
                "{}: the threshold solver hit an iteration cap (or the counter is missing)",
                path.display()
            );
            n += 1;
        }
    }
    n
}

/// Runs `net` on `threads` threads up to each of `stops` in turn.
pub fn run(net: &NetData, threads: usize, stops: &[f64]) -> DataBlock {
    let mut e = ExactEngine::with_threads(net, threads);
    assert_eq!(e.threads(), threads.min(net.n_cells()));
    for &t in stops {
        e.run_until(net, t).expect("no runaway");
    }
    assert_no_cap_hits(&e.counts(), "common::run");
    e.recorder().data_block(
        "exact",
        net.seed,
        *stops.last().unwrap(),
        e.counts(),
        0.0,
        0.0,
    )
}

/// Every spike time and sample, as bits, and the event counts.
pub fn assert_identical(a: &DataBlock, b: &DataBlock, what: &str) {
    assert_eq!(a.events, b.events, "{what}: event counts");
    for (pa, pb) in a.populations.iter().zip(&b.populations) {
        assert_eq!(pa.spike_count, pb.spike_count, "{what}: {}", pa.label);
        for (sa, sb) in pa.spiketrains.iter().zip(&pb.spiketrains) {
            let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&sa.times_ms),
                bits(&sb.times_ms),
                "{what}: {} neuron {}",
                pa.label,
                sa.neuron
            );
        }
        for (ga, gb) in pa.signals.iter().zip(&pb.signals) {
            assert_eq!(ga.values.len(), gb.values.len());
            for (va, vb) in ga.values.iter().zip(&gb.values) {
                assert!(
                    va.iter().zip(vb).all(|(x, y)| x.to_bits() == y.to_bits())
                        && va.len() == vb.len(),
                    "{what}: {} {} differs",
                    pa.label,
                    ga.name
                );
            }
        }
    }
}

/// A fixture of `fixtures/`, its duration set to `duration` (ms), materialised.
pub fn fixture(name: &str, duration: f64) -> NetData {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let mut model = load_model(&path).unwrap();
    model.duration = duration;
    model.network.materialise().unwrap()
}

/// `net` with every delay group reversed: unsorted by target, so the engine takes its
/// one-synapse-at-a-time path.
pub fn reversed_groups(net: &NetData) -> NetData {
    let mut r = net.clone();
    for k in 0..r.syn_offsets.len() - 1 {
        let g = r.syn_offsets[k] as usize..r.syn_offsets[k + 1] as usize;
        r.syn_target[g.clone()].reverse();
        r.syn_weight[g].reverse();
    }
    r
}
