//! Scaling of `exactlif run` over MPI on paper: a cost model fitted to this machine's
//! measurements (BENCHMARKS.md, "Several processes"), projected to the sparse fixture grown
//! 10x, 100x and 1000x, for the all-gather exchange exactlif uses and for NEST's directed one.
//!
//! Per simulated second, on P ranks of one thread each:
//!
//! ```text
//! T(P) = imbalance * E / (P r)                    compute: E synaptic inputs at r per core
//!      + W (alpha0 + alpha1 log2 P)               one all-gather (and all-min) per window
//!      + S (16 beta + gamma)                      every rank receives every spike (16 bytes)
//!                                                 and merges it (gamma)
//! ```
//!
//! with `W` windows (1000 / min_delay), `S` spikes of all cells. Directed exchange (each spike
//! sent only to the ranks holding its targets, `MPI_Alltoall`): the latency grows as
//! `alpha0 P` (a message per peer), the volume falls to `S (1 - (1 - 1/P)^K)` for `K` targets
//! per spike on random ranks.
//!
//! ```text
//! cargo run --release --example scaling_projection -- --plot scaling.png
//! ```
//! The defaults are the measured values; `--r`, `--alpha0`, `--alpha1`, `--beta`, `--gamma`,
//! `--imbalance` set others (seconds, per event/byte/spike).

use plotters::prelude::*;

/// The model's parameters.
#[derive(Clone, Copy)]
struct Costs {
    /// Synaptic inputs per second on one core.
    r: f64,
    /// All-gather latency: `alpha0 + alpha1 log2 P` (s).
    alpha0: f64,
    alpha1: f64,
    /// Seconds per byte received.
    beta: f64,
    /// Seconds per spike merged on every rank.
    gamma: f64,
    /// Slowest over mean rank.
    imbalance: f64,
}

/// The sparse fixture grown `k` times, per simulated second: synaptic inputs, spikes, windows,
/// targets per spike.
struct Load {
    inputs: f64,
    spikes: f64,
    windows: f64,
    fan_out: f64,
}

fn sparse(k: f64) -> Load {
    // measured (summary.json of `exactlif run fixtures/sparse.toml`): 20.6 M inputs, 1.06 Hz
    // of 100 000 neurons and 10 Hz of 10 000 Poisson sources; min_delay 1 ms; 100 targets per
    // neuron spike, 1000 per Poisson spike (100 000 x 10 / 10 000)
    Load {
        inputs: 20.6e6 * k,
        spikes: (1.06 * 1e5 + 10.0 * 1e4) * k,
        windows: 1000.0,
        fan_out: 100.0,
    }
}

/// Seconds per simulated second: (all-gather, directed).
fn time(c: &Costs, l: &Load, p: f64) -> (f64, f64) {
    let compute = c.imbalance * l.inputs / (p * c.r);
    let gather =
        l.windows * (c.alpha0 + c.alpha1 * p.log2()) + l.spikes * (16.0 * c.beta + c.gamma);
    let reach = 1.0 - (1.0 - 1.0 / p).powf(l.fan_out);
    let directed = l.windows * c.alpha0 * p.max(1.0) + l.spikes * reach * (16.0 * c.beta + c.gamma);
    (compute + gather, compute + directed.min(gather))
}

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let c = Costs {
        r: arg("--r", 18.9e6),
        alpha0: arg("--alpha0", 0.5e-6),
        alpha1: arg("--alpha1", 0.5e-6),
        beta: arg("--beta", 0.25e-9),
        gamma: arg("--gamma", 18e-9),
        imbalance: arg("--imbalance", 1.1),
    };
    let ps: Vec<f64> = (0..=14).map(|e| 2f64.powi(e)).collect();
    println!("# strong scaling: seconds per simulated second (all-gather / directed), speedup");
    for k in [10.0, 100.0, 1000.0] {
        let l = sparse(k);
        let t1 = time(&c, &l, 1.0).0;
        for &p in &ps {
            let (g, d) = time(&c, &l, p);
            println!(
                "strong k={k} P={p} gather={g:.4} directed={d:.4} speedup={:.1}",
                t1 / g
            );
        }
    }
    println!("# weak scaling: the sparse fixture (k = 1) per rank, k = P");
    for &p in &ps {
        let (g, d) = time(&c, &sparse(p), p);
        println!("weak P={p} gather={g:.4} directed={d:.4}");
    }
    let crossover = ps
        .iter()
        .find(|&&p| {
            let (g, d) = time(&c, &sparse(p), p);
            d < 0.95 * g
        })
        .copied();
    println!("# weak scaling: directed exchange 5 % faster from P = {crossover:?}");

    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--plot") {
        plot(&args[i + 1], &c, &ps)?;
    }
    Ok(())
}

fn plot(path: &str, c: &Costs, ps: &[f64]) -> Result<(), Box<dyn std::error::Error>> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        include_bytes!("../assets/DejaVuSans.ttf"),
    )
    .map_err(|_| "cannot register the font")?;
    let root = BitMapBackend::new(path, (1400, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(700);
    let pmax = *ps.last().unwrap();
    let colours = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
    ];
    let mut s = ChartBuilder::on(&left)
        .caption("Strong scaling (sparse grown k times)", ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((1.0..pmax).log_scale(), (1e-3..1e4).log_scale())?;
    s.configure_mesh()
        .x_desc("ranks P (one core each)")
        .y_desc("wall s per simulated s")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()?;
    for (i, k) in [10.0, 100.0, 1000.0].into_iter().enumerate() {
        let l = sparse(k);
        let col = colours[i];
        s.draw_series(LineSeries::new(
            ps.iter().map(|&p| (p, time(c, &l, p).0)),
            col.stroke_width(3),
        ))?
        .label(format!("k = {k}, all-gather"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(3)));
        s.draw_series(LineSeries::new(
            ps.iter().map(|&p| (p, time(c, &l, p).1)),
            col.stroke_width(1),
        ))?
        .label(format!("k = {k}, directed"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(1)));
    }
    s.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    let mut w = ChartBuilder::on(&right)
        .caption("Weak scaling (sparse per rank)", ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((1.0..pmax).log_scale(), (0.1..1e3).log_scale())?;
    w.configure_mesh()
        .x_desc("ranks P (network = P x sparse)")
        .y_desc("wall s per simulated s")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    for (j, name) in ["all-gather", "directed"].into_iter().enumerate() {
        let col = colours[j];
        w.draw_series(LineSeries::new(
            ps.iter().map(|&p| {
                let t = time(c, &sparse(p), p);
                (p, if j == 0 { t.0 } else { t.1 })
            }),
            col.stroke_width(3),
        ))?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(3)));
    }
    w.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    root.present()?;
    Ok(())
}
