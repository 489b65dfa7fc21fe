//! A simulation over several ranks writes the files one process writes, byte for byte: each
//! rank runs a contiguous range of cells and holds only the synapses onto them, the ranks
//! exchange their spikes after every min_delay window ([`exactlif::Comm`]), rank 0 records the
//! spikes and gathers the samples. Here the ranks are emulated by threads
//! ([`ThreadRanks`]), P = 1..4 ranks x 1..2 threads each; `.ci/run` runs the same over MPI.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{assert_identical, assert_no_cap_hits, every_event_kind};
use exactlif::io::model_file::load_model;
use exactlif::io::output::write_results;
use exactlif::{DataBlock, Network, RankBalance, ThreadRanks};

/// The network of `fixtures/{name}`, and its duration (ms).
fn fixture(name: &str) -> (Network, f64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let model = load_model(&path).unwrap();
    (model.network, model.duration)
}

/// `network` run for `stops` (each a `run_until`) over `ranks` ranks emulated by threads, each
/// on `threads` threads: rank 0's data, and the ranks' balance.
fn on_ranks(
    network: &Network,
    stops: &[f64],
    ranks: usize,
    threads: usize,
) -> (DataBlock, RankBalance) {
    let duration = *stops.last().unwrap();
    std::thread::scope(|s| {
        let runs: Vec<_> = ThreadRanks::new(ranks)
            .into_iter()
            .map(|comm| {
                s.spawn(move || {
                    let mut sim = network
                        .build_rank(Arc::new(comm), threads, duration)
                        .unwrap();
                    for &t in stops {
                        sim.run_until(t);
                    }
                    (sim.get_data(), sim.rank_balance().unwrap())
                })
            })
            .collect();
        let mut out: Vec<_> = runs.into_iter().map(|h| h.join().unwrap()).collect();
        // every rank agrees on the balance
        assert!(out.iter().all(|(_, b)| b == &out[0].1));
        out.swap_remove(0)
    })
}

/// The files of `block` (wall times set to 0), by name.
fn files(block: &DataBlock) -> Vec<(String, Vec<u8>)> {
    let mut block = block.clone();
    (block.wall_time_s, block.build_time_s) = (0.0, 0.0);
    let dir = tempfile::tempdir().unwrap();
    let mut out: Vec<_> = write_results(dir.path(), &block)
        .unwrap()
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every rank count 1..4 and thread count 1..2 gives one process's files, byte for byte.
fn check(network: &Network, stops: &[f64], what: &str) {
    let mut sim = network.build().unwrap();
    for &t in stops {
        sim.run_until(t);
    }
    let one = sim.get_data();
    assert_no_cap_hits(&one.events, what);
    assert!(one.events.spikes > 0, "{what}: the test needs activity");
    let want = files(&one);
    for ranks in 1..=4 {
        for threads in 1..=2 {
            let (got, balance) = on_ranks(network, stops, ranks, threads);
            let case = format!("{what}: {ranks} ranks x {threads} threads");
            assert_identical(&one, &got, &case);
            let got = files(&got);
            assert_eq!(
                want.iter().map(|f| &f.0).collect::<Vec<_>>(),
                got.iter().map(|f| &f.0).collect::<Vec<_>>(),
                "{case}: file names"
            );
            for ((name, a), (_, b)) in want.iter().zip(&got) {
                assert!(a == b, "{case}: {name} differs");
            }
            assert!(balance.windows > 0 && balance.imbalance() >= 1.0, "{case}");
        }
    }
}

#[test]
fn tutorial_firing_is_byte_identical_on_any_number_of_ranks() {
    let (net, duration) = fixture("tutorial_firing.toml");
    check(&net, &[duration], "tutorial_firing");
}

#[test]
fn small_network_is_byte_identical_on_any_number_of_ranks() {
    let (net, duration) = fixture("small_network.toml");
    check(&net, &[duration / 3.0, duration], "small_network");
}

#[test]
fn cuba_is_byte_identical_on_any_number_of_ranks() {
    let (net, _) = fixture("cuba.toml");
    check(&net, &[200.0], "cuba, 200 ms");
}

#[test]
fn sparse_is_byte_identical_on_any_number_of_ranks() {
    let (net, _) = fixture("sparse.toml");
    check(&net, &[200.0], "sparse, 200 ms");
}

/// IF_curr_exp, IF_curr_alpha and IF_curr_delta cells in one network: every shard runs one
/// model, so ranks and threads cut the cells at the model boundaries too.
#[test]
fn mixed_cell_types_are_byte_identical_on_any_number_of_ranks() {
    let (net, _) = fixture("mixed_cells.toml");
    check(&net, &[150.0, 300.0], "mixed cell types, 300 ms");
    // 9 cells, v and isyn recorded, ranks cutting inside and between the populations
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/cases/mixed_network/model.toml");
    let model = load_model(&path).unwrap();
    check(&model.network, &[40.0, model.duration], "mixed_network");
}

/// Sources, current sources, recorded v/isyn split across ranks, random weights and delays,
/// FromList, runs split into several calls.
#[test]
fn every_event_kind_is_byte_identical_on_any_number_of_ranks() {
    check(
        &every_event_kind(),
        &[50.0, 61.5, 200.0],
        "every event kind",
    );
}

/// A rank holds only the synapses onto its cells: the ranks' synapses add up to the
/// network's, and each holds about 1/P of them.
#[test]
fn each_rank_holds_only_the_synapses_onto_its_cells() {
    let (net, duration) = fixture("cuba.toml");
    let whole = net.build().unwrap().n_synapses();
    for ranks in 1..=4 {
        let counts: Vec<usize> = std::thread::scope(|s| {
            let runs: Vec<_> = ThreadRanks::new(ranks)
                .into_iter()
                .map(|comm| {
                    let net = &net;
                    s.spawn(move || {
                        net.build_rank(Arc::new(comm), 1, duration)
                            .unwrap()
                            .n_synapses()
                    })
                })
                .collect();
            runs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(counts.iter().sum::<usize>(), whole, "{ranks} ranks");
        for c in &counts {
            let share = *c as f64 / whole as f64;
            assert!(
                (share - 1.0 / ranks as f64).abs() < 0.05,
                "{ranks} ranks: {counts:?}"
            );
        }
    }
}

/// A runaway cell stops every rank at the same spike, named the same as in one process, and
/// what rank 0 recorded is one process's recording (but its work counters); also with more ranks than cells (some
/// ranks hold no cell). Cells 1 and 3 run away (cell 3 first), on different ranks.
#[test]
fn a_runaway_stops_every_rank_alike() {
    let net = common::two_runaway_cells(&[exactlif::Var::Spikes, exactlif::Var::V]);
    let mut sim = net.build().unwrap();
    sim.run(10.0);
    let want = sim.runaway().expect("a runaway").clone();
    assert_eq!(want.cell, 3);
    let one = sim.get_data();
    for ranks in [2, 3, 4, 6] {
        let reports: Vec<_> = std::thread::scope(|s| {
            let runs: Vec<_> = ThreadRanks::new(ranks)
                .into_iter()
                .map(|comm| {
                    let net = &net;
                    s.spawn(move || {
                        let mut sim = net.build_rank(Arc::new(comm), 1, 10.0).unwrap();
                        sim.run(10.0);
                        sim.run(5.0); // stopped: does nothing, on every rank
                        (sim.runaway().cloned(), sim.time(), sim.get_data())
                    })
                })
                .collect();
            runs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (r, (report, t, _)) in reports.iter().enumerate() {
            assert_eq!(report.as_ref(), Some(&want), "{ranks} ranks, rank {r}");
            assert_eq!(*t, sim.time(), "{ranks} ranks, rank {r}");
        }
        // (the work counters of the stopped window depend on how the cells are divided, as
        // they do on threads; nothing is written after a runaway)
        let mut got = reports[0].2.clone();
        got.events = one.events;
        assert_identical(&one, &got, &format!("{ranks} ranks"));
    }
}
