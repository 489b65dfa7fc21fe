//! Building the synapses onto a range of cells (SPEC §7, issue 15): for every fixture and
//! seeding version, `Network::materialise_part(r)` equals `materialise().part(r)` field by
//! field, for ranges that are empty, one cell, past the end, and divisions of all the cells
//! into 1 to 4 contiguous pieces; the pieces' synapses add up to the whole's (so each piece's
//! synapse arrays are its share, the memory of a process falling as 1/N).

use std::ops::Range;
use std::path::PathBuf;

use exactlif::internals::NetData;
use exactlif::io::model_file::load_model;
use exactlif::{Network, Seeding};

/// Every model file in `fixtures/`, by name.
fn fixtures() -> Vec<(String, Network)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, load_model(&p).unwrap().network)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 7, "only {} fixtures", out.len());
    out
}

/// Asserts that `part` equals `expected` field by field (floats bit for bit), naming the
/// field that differs.
fn assert_same(part: &NetData, expected: &NetData, what: &str) {
    let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        part.timestep.to_bits(),
        expected.timestep.to_bits(),
        "{what}"
    );
    assert_eq!(
        part.min_delay.to_bits(),
        expected.min_delay.to_bits(),
        "{what}"
    );
    assert_eq!(part.seed, expected.seed, "{what}");
    assert_eq!(part.kinds, expected.kinds, "{what}: kinds");
    assert_eq!(part.params, expected.params, "{what}: params");
    assert_eq!(part.init, expected.init, "{what}: init");
    assert_eq!(
        part.array_ranges, expected.array_ranges,
        "{what}: array_ranges"
    );
    assert_eq!(
        bits(&part.array_times),
        bits(&expected.array_times),
        "{what}: array_times"
    );
    assert_eq!(
        part.poisson.len(),
        expected.poisson.len(),
        "{what}: poisson"
    );
    for (a, b) in part.poisson.iter().zip(&expected.poisson) {
        assert_eq!(
            (a.cell, a.rate_hz, a.start, a.duration),
            (b.cell, b.rate_hz, b.start, b.duration),
            "{what}: poisson"
        );
        assert!(a.rng == b.rng, "{what}: poisson stream of cell {}", a.cell);
    }
    assert_eq!(
        part.current_switches, expected.current_switches,
        "{what}: current_switches"
    );
    assert_eq!(part.drives, expected.drives, "{what}: drives");
    assert_eq!(
        part.group_offsets, expected.group_offsets,
        "{what}: group_offsets"
    );
    assert_eq!(
        bits(&part.group_delay),
        bits(&expected.group_delay),
        "{what}: group_delay"
    );
    assert_eq!(
        part.syn_offsets, expected.syn_offsets,
        "{what}: syn_offsets"
    );
    assert_eq!(part.syn_target, expected.syn_target, "{what}: syn_target");
    assert_eq!(
        bits(&part.syn_weight),
        bits(&expected.syn_weight),
        "{what}: syn_weight"
    );
    assert_eq!(part.layout, expected.layout, "{what}: layout");
    assert_eq!(
        part.receives_input, expected.receives_input,
        "{what}: receives_input"
    );
}

/// The layout of a part: offsets consistent and covering its synapses, no empty group, every
/// target inside the part.
fn assert_layout(part: &NetData, cells: &Range<u32>, what: &str) {
    assert_eq!(part.group_offsets.len(), part.n_cells() + 1, "{what}");
    assert_eq!(
        *part.group_offsets.last().unwrap() as usize,
        part.group_delay.len(),
        "{what}"
    );
    assert_eq!(part.syn_offsets.len(), part.group_delay.len() + 1, "{what}");
    assert_eq!(
        *part.syn_offsets.last().unwrap() as usize,
        part.n_synapses(),
        "{what}"
    );
    assert!(
        part.syn_offsets.windows(2).all(|w| w[0] < w[1]),
        "{what}: an empty group"
    );
    let inhibitory = exactlif::internals::INHIBITORY_BIT;
    assert!(
        part.syn_target
            .iter()
            .all(|&t| cells.contains(&(t & !inhibitory))),
        "{what}: a target outside the part"
    );
}

/// The contiguous divisions of `0..n` into 1 to 4 pieces tested: equal pieces, and uneven ones.
fn divisions(n: u32) -> Vec<Vec<Range<u32>>> {
    let mut out = Vec::new();
    for pieces in 1..=4u32 {
        let equal: Vec<u32> = (0..=pieces).map(|k| k * n / pieces).collect();
        // uneven: the first piece small
        let uneven: Vec<u32> = (0..=pieces)
            .map(|k| {
                if k == 0 {
                    0
                } else {
                    n - (pieces - k) * n / (2 * pieces)
                }
            })
            .collect();
        for cuts in [equal, uneven] {
            out.push(cuts.windows(2).map(|w| w[0]..w[1]).collect());
        }
    }
    out
}

/// For every fixture, seeding 1 and 2: each part built alone is the whole's part, field by
/// field; the parts of every division add up to the whole's synapses (and delay groups, each
/// group being split among the parts that hold its targets).
#[test]
fn parts_are_the_whole_networks_parts() {
    for (name, mut net) in fixtures() {
        for seeding in [Seeding::V1, Seeding::V2] {
            net.setup.seeding = seeding;
            let whole = net.materialise().unwrap();
            let n = whole.n_cells() as u32;
            let mut ranges: Vec<Range<u32>> = vec![0..0, 0..1, n - 1..n, n / 2..n / 2 + 1];
            ranges.push(n..n + 5); // past the end: nothing
            ranges.push(0..u32::MAX);
            for range in ranges {
                let what = format!("{name}, seeding {}, cells {range:?}", seeding.number());
                let part = net.materialise_part(range.clone()).unwrap();
                assert_layout(&part, &range, &what);
                assert_same(&part, &whole.part(range), &what);
            }
            for pieces in divisions(n) {
                let what = format!("{name}, seeding {}, pieces {pieces:?}", seeding.number());
                let mut synapses = 0;
                let mut bytes = 0;
                for range in &pieces {
                    let part = net.materialise_part(range.clone()).unwrap();
                    assert_layout(&part, range, &what);
                    assert_same(&part, &whole.part(range.clone()), &what);
                    synapses += part.n_synapses();
                    bytes += part.syn_target.len() * 4 + part.syn_weight.len() * 8;
                }
                assert_eq!(synapses, whole.n_synapses(), "{what}");
                // the memory check: the parts' synapse arrays are the whole's, shared out
                assert_eq!(
                    bytes,
                    whole.syn_target.len() * 4 + whole.syn_weight.len() * 8,
                    "{what}"
                );
            }
        }
    }
}

/// A part of a big random network holds about its share of the synapses (the CUBA fixture,
/// 4000 cells, about 320 000 synapses, in 4 pieces: each between 20 % and 30 %).
#[test]
fn a_quarter_holds_a_quarter_of_the_synapses() {
    let (_, net) = fixtures()
        .into_iter()
        .find(|(name, _)| name == "cuba")
        .unwrap();
    assert_eq!(net.setup.seeding, Seeding::V2);
    let whole = net.materialise().unwrap().n_synapses();
    for k in 0..4 {
        let part = net.materialise_part(k * 1000..(k + 1) * 1000).unwrap();
        let share = part.n_synapses() as f64 / whole as f64;
        assert!((0.2..0.3).contains(&share), "piece {k}: {share}");
    }
}
