//! PyNN's tutorial "Building and simulating a simple model", in Rust, on the exact engine.
//!
//! 100 IF_curr_exp cells with a bias current, membrane potential recorded, 100 ms; then the
//! same with v_rest and v_thresh drawn from normal distributions. Along the way it says what
//! the tutorial does not: with i_offset = 0.1 nA the cells settle at
//! v_inf = v_rest + i_offset * tau_m / cm = -64 mV, below the -55 mV threshold, so nothing fires;
//! a variant with i_offset = 1.1 nA (v_inf = -54 mV) does fire.
//!
//! Run it with `cargo run --release --example tutorial`.

use exactlif::{CellType, Network, RandomDistribution, Setup, Var};

/// The tutorial's cell parameters, with a chosen bias current.
fn tutorial_network(i_offset: f64, heterogeneous: bool) -> Result<Network, exactlif::BuildError> {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 42,
        min_delay: None,
        seeding: Default::default(),
    });
    let cells = net.create("Population 1", 100, CellType::IfCurrExp)?;
    for (name, value) in [
        ("v_rest", -65.0),
        ("v_thresh", -55.0),
        ("v_reset", -65.0),
        ("tau_refrac", 1.0),
        ("tau_m", 10.0),
        ("cm", 1.0),
        ("i_offset", i_offset),
    ] {
        net.set(&cells, name, value)?;
    }
    if heterogeneous {
        net.set(
            &cells,
            "v_rest",
            RandomDistribution::Normal {
                mu: -65.0,
                sigma: 1.0,
            },
        )?;
        net.set(
            &cells,
            "v_thresh",
            RandomDistribution::Normal {
                mu: -55.0,
                sigma: 1.0,
            },
        )?;
    }
    net.record(cells, &[Var::V, Var::Spikes])?;
    Ok(net)
}

fn summarise(title: &str, net: &Network) -> Result<(), exactlif::BuildError> {
    let mut sim = net.build()?;
    for d in net.diagnostics(&sim) {
        println!("  warning: {d}");
    }
    sim.run(100.0);
    let data = sim.get_data();
    let pop = &data.populations[0];
    let v = pop.signal("v").expect("v is recorded");
    let trace0 = &v.values[0];
    let spikes: usize = pop.spiketrains.iter().map(|s| s.times_ms.len()).sum();
    println!("{title}");
    println!(
        "  neuron 0: {} samples over {} ms; v starts at {:.4} mV, ends at {:.4} mV (min {:.4}, max {:.4})",
        trace0.len(),
        data.duration_ms,
        trace0[0],
        trace0[trace0.len() - 1],
        trace0.iter().cloned().fold(f64::INFINITY, f64::min),
        trace0.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
    );
    let finals: Vec<f64> = v.values.iter().map(|tr| tr[tr.len() - 1]).collect();
    let lo = finals.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = finals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    println!(
        "  v at 100 ms across the 100 cells: {lo:.4} .. {hi:.4} mV (spread {:.4} mV)",
        hi - lo
    );
    println!(
        "  spikes: {spikes} ({:.1} Hz mean rate); first: {}",
        pop.mean_rate_hz(data.duration_ms),
        pop.spiketrains
            .iter()
            .filter_map(|s| s.times_ms.first().map(|t| (s.neuron, *t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or("none".to_string(), |(n, t)| format!(
                "neuron {n} at {t:.6} ms"
            ))
    );
    Ok(())
}

fn main() -> Result<(), exactlif::BuildError> {
    summarise(
        "1. The tutorial as written (i_offset = 0.1 nA):",
        &tutorial_network(0.1, false)?,
    )?;
    summarise(
        "2. v_rest ~ normal(-65, 1), v_thresh ~ normal(-55, 1):",
        &tutorial_network(0.1, true)?,
    )?;
    summarise(
        "3. A bias that reaches threshold (i_offset = 1.1 nA, v_inf = -54 mV):",
        &tutorial_network(1.1, false)?,
    )?;
    let expected_isi = 1.0 + 10.0 * (11.0f64).ln();
    println!(
        "   (closed form: first spike at 10 ln(11) = {:.6} ms, then every {expected_isi:.6} ms)",
        10.0 * (11.0f64).ln()
    );
    summarise(
        "4. Both: heterogeneous cells with i_offset = 1.1 nA:",
        &tutorial_network(1.1, true)?,
    )?;
    Ok(())
}
