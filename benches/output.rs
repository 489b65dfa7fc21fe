//! Writing a results directory: `output/small_network`, `io::output::write_results` of the
//! data of fixtures/small_network.toml (a 10.7 MB `v.csv`, 17 kB `spikes.csv`, `summary.json`,
//! 2.4 MB `data.bin`) into a temporary directory. The simulation runs once, outside the timing.
//! Made for issue 12, to decide whether the float formatting's fast path pays (BENCHMARKS.md,
//! "Float formatting (issue 12)").
//!
//! Run: `cargo bench --bench output`.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use exactlif::io::model_file::load_model;
use exactlif::io::output::write_results;

fn bench_output(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/small_network.toml");
    let model = load_model(&path).expect("fixture loads");
    let mut sim = model.network.build().expect("fixture builds");
    sim.run_until(model.duration);
    let data = sim.get_data();
    drop(sim);
    let dir = tempfile::tempdir().expect("temporary directory");
    let bytes: u64 = write_results(dir.path(), &data)
        .expect("writes")
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let mut g = c.benchmark_group("output");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Bytes(bytes));
    g.bench_function("small_network", |b| {
        b.iter(|| write_results(dir.path(), &data).expect("writes"))
    });
    g.finish();
}

criterion_group!(benches, bench_output);
criterion_main!(benches);
