//! Cost model: wall time against events processed, over firing rate and network size, for the
//! exact event-driven engine and the grid backend.
//!
//! The network is fixtures/sparse.toml scaled to `N` cells (0.8 N excitatory, 0.2 N
//! inhibitory; every cell receives 80 excitatory and 20 inhibitory recurrent inputs, and 10
//! inputs from a pool of N/10 Poisson sources; same cell parameters and weights). The firing
//! rate is swept through the Poisson background rate: 10 inputs at `bg` Hz each (the fixture
//! itself has bg = 10 Hz, about 1 Hz output).
//!
//! A grid backend's cost is about `a N T/dt + b E` (every cell every step, plus events); an
//! event-driven one's about `c E` (plus `d` per search). So the exact engine wins below some
//! rate; the table gives the measured crossover for each size.
//!
//! Output: CSV on stdout (one row per backend x size x rate), then `#` comment lines with the
//! crossovers. Progress goes to stderr. With `--plot FILE.png`, also a figure: wall time
//! against events processed (log-log) and the exact/grid wall-time ratio against output rate.
//!
//! ```text
//! cargo run --release --example cost_model
//! cargo run --release --example cost_model -- --sizes 1000,4000 --rates 2.5,5,10,20 \
//!     --duration 200 --backends exact,grid --reps 3 --plot cost_model.png
//! ```

use std::path::PathBuf;
use std::time::Instant;

use plotters::prelude::*;

use exactlif::Backend;
use exactlif::{
    CellType, Connector, Network, RandomDistribution, Receptor, Setup, StaticSynapse, Var,
};

struct Args {
    sizes: Vec<usize>,
    rates: Vec<f64>,
    duration: f64,
    backends: Vec<Backend>,
    reps: usize,
    plot: Option<PathBuf>,
}

fn parse_list<T: std::str::FromStr>(s: &str, what: &str) -> Vec<T> {
    s.split(',')
        .map(|x| {
            x.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{what}: cannot parse {x:?}"))
        })
        .collect()
}

fn args() -> Args {
    let mut a = Args {
        sizes: vec![1000, 4000, 16000],
        rates: vec![2.5, 5.0, 10.0, 15.0, 20.0],
        duration: 200.0,
        backends: vec![Backend::Exact, Backend::Grid],
        reps: 1,
        plot: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let val = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--sizes" => a.sizes = parse_list(&val, "--sizes"),
            "--rates" => a.rates = parse_list(&val, "--rates"),
            "--duration" => a.duration = val.parse().expect("--duration: a number (ms)"),
            "--reps" => a.reps = val.parse().expect("--reps: an integer"),
            "--plot" => a.plot = Some(PathBuf::from(val)),
            "--backends" => {
                a.backends = val
                    .split(',')
                    .map(|b| {
                        Backend::from_name(b.trim())
                            .unwrap_or_else(|| panic!("unknown backend {b:?}"))
                    })
                    .collect()
            }
            other => panic!(
                "unknown option {other}; options: --sizes, --rates, --duration, --backends, --reps, --plot"
            ),
        }
    }
    a
}

/// fixtures/sparse.toml at `n` cells with background rate `bg` Hz.
fn network(n: usize, bg: f64) -> Result<Network, exactlif::BuildError> {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 20260101,
        min_delay: Some(1.0),
        seeding: Default::default(),
    });
    let n_exc = n * 4 / 5;
    let n_inh = n - n_exc;
    let background = net.create("background", (n / 10).max(10), CellType::SpikeSourcePoisson)?;
    net.set(&background, "rate", bg)?;
    let exc = net.create("exc", n_exc, CellType::IfCurrExp)?;
    let inh = net.create("inh", n_inh, CellType::IfCurrExp)?;
    for p in [&exc, &inh] {
        net.set(p, "tau_refrac", 2.0)?;
        net.initialize(
            p,
            "v",
            RandomDistribution::Uniform {
                low: -65.0,
                high: -55.0,
            },
        )?;
        net.record(p, &[Var::Spikes])?;
    }
    let fixed = |n: usize, allow_self: bool| Connector::FixedNumberPre {
        n,
        allow_self_connections: allow_self,
        with_replacement: false,
    };
    for post in [&exc, &inh] {
        net.connect(
            background,
            post,
            fixed(10, true),
            StaticSynapse::new(0.7, 1.0),
            Receptor::Excitatory,
            None,
        )?;
        net.connect(
            exc,
            post,
            fixed(80, post != &exc),
            StaticSynapse::new(0.1, 1.5),
            Receptor::Excitatory,
            None,
        )?;
        net.connect(
            inh,
            post,
            fixed(20, post != &inh),
            StaticSynapse::new(-0.5, 1.5),
            Receptor::Inhibitory,
            None,
        )?;
    }
    Ok(net)
}

struct Row {
    backend: Backend,
    n: usize,
    bg: f64,
    out_rate: f64,
    events: u64,
    spikes: u64,
    build_s: f64,
    wall_s: f64,
}

/// Exact/grid wall-time ratios by output rate (of the exact run) for size `n`.
fn ratios(rows: &[Row], rates: &[f64], n: usize) -> Vec<(f64, f64)> {
    rates
        .iter()
        .filter_map(|&bg| {
            let find = |b: Backend| {
                rows.iter()
                    .find(|r| r.n == n && r.bg == bg && r.backend == b)
            };
            let (e, g) = (find(Backend::Exact)?, find(Backend::Grid)?);
            Some((e.out_rate, e.wall_s / g.wall_s))
        })
        .collect()
}

const COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Left: wall time against synaptic events (log-log), one line per backend and size (solid
/// exact, thin grid). Right: exact/grid wall-time ratio against output rate, with the line 1.
fn plot(path: &std::path::Path, a: &Args, rows: &[Row]) -> DrawResult {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        include_bytes!("../assets/DejaVuSans.ttf"),
    )
    .map_err(|_| "cannot register the font")?;
    let root = BitMapBackend::new(path, (1400, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(720);
    let pos = |xs: Vec<f64>| {
        let xs: Vec<f64> = xs.into_iter().filter(|x| *x > 0.0).collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(0.0, f64::max);
        (lo / 1.5)..(hi * 1.5)
    };
    let xr = pos(rows.iter().map(|r| r.events as f64).collect());
    let yr = pos(rows.iter().map(|r| r.wall_s).collect());
    let mut c = ChartBuilder::on(&left)
        .caption(
            format!("Wall time against events ({} ms simulated)", a.duration),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(xr.log_scale(), yr.log_scale())?;
    c.configure_mesh()
        .x_desc("synaptic events processed")
        .y_desc("wall time (s)")
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()?;
    for (i, &n) in a.sizes.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        for &backend in &a.backends {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.n == n && r.backend == backend && r.events > 0)
                .map(|r| (r.events as f64, r.wall_s))
                .collect();
            let exact = backend == Backend::Exact;
            let style = colour.stroke_width(if exact { 3 } else { 1 });
            c.draw_series(LineSeries::new(pts.clone(), style))?
                .label(format!("{} N={n}", backend.name()))
                .legend(move |(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + 20, y)],
                        colour.stroke_width(if exact { 3 } else { 1 }),
                    )
                });
            if exact {
                c.draw_series(pts.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
            } else {
                c.draw_series(
                    pts.iter()
                        .map(|&p| TriangleMarker::new(p, 5, colour.stroke_width(1))),
                )?;
            }
        }
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;

    if a.backends.contains(&Backend::Exact) && a.backends.contains(&Backend::Grid) {
        let all: Vec<(usize, Vec<(f64, f64)>)> = a
            .sizes
            .iter()
            .map(|&n| (n, ratios(rows, &a.rates, n)))
            .collect();
        let rmax = all
            .iter()
            .flat_map(|(_, v)| v.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        let qs: Vec<f64> = all
            .iter()
            .flat_map(|(_, v)| v.iter().map(|p| p.1))
            .collect();
        let qlo = qs.iter().copied().fold(1.0, f64::min) / 1.5;
        let qhi = qs.iter().copied().fold(1.0, f64::max) * 1.5;
        let mut c = ChartBuilder::on(&right)
            .caption("exact / grid wall time", ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..rmax * 1.05, (qlo..qhi).log_scale())?;
        c.configure_mesh()
            .x_desc("output rate of the exact run (Hz)")
            .y_desc("wall-time ratio exact / grid")
            .draw()?;
        c.draw_series(LineSeries::new(
            vec![(0.0, 1.0), (rmax * 1.05, 1.0)],
            BLACK.stroke_width(1),
        ))?;
        for (i, (n, pts)) in all.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            c.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(3)))?
                .label(format!("N={n}"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
            c.draw_series(pts.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        0.5 * (xs[m - 1] + xs[m])
    }
}

fn main() -> Result<(), exactlif::BuildError> {
    let a = args();
    println!(
        "backend,n_cells,bg_rate_hz,out_rate_hz,synaptic_events,spikes,build_s,wall_s,events_per_s,ns_per_event,wall_s_per_sim_s"
    );
    let mut rows = Vec::new();
    for &n in &a.sizes {
        for &bg in &a.rates {
            let net = network(n, bg)?;
            for &backend in &a.backends {
                let t0 = Instant::now();
                let mut sim = net.build_with(backend)?;
                let build_s = t0.elapsed().as_secs_f64();
                let mut walls = Vec::new();
                let mut last = None;
                for rep in 0..a.reps.max(1) {
                    if rep > 0 {
                        sim.reset();
                    }
                    let t = Instant::now();
                    sim.run(a.duration);
                    walls.push(t.elapsed().as_secs_f64());
                    last = Some(sim.get_data());
                }
                let d = last.expect("at least one run");
                let neurons: u64 = d.populations[1..].iter().map(|p| p.spike_count).sum();
                let row = Row {
                    backend,
                    n,
                    bg,
                    out_rate: neurons as f64 / n as f64 / (a.duration / 1000.0),
                    events: d.events.synaptic_inputs,
                    spikes: neurons,
                    build_s,
                    wall_s: median(walls),
                };
                println!(
                    "{},{},{},{:.4},{},{},{:.4},{:.4},{:.4e},{:.1},{:.4}",
                    row.backend.name(),
                    row.n,
                    row.bg,
                    row.out_rate,
                    row.events,
                    row.spikes,
                    row.build_s,
                    row.wall_s,
                    row.events as f64 / row.wall_s,
                    row.wall_s * 1e9 / row.events.max(1) as f64,
                    row.wall_s / (a.duration / 1000.0)
                );
                eprintln!(
                    "  {} N={n} bg={bg} Hz: {:.2} Hz out, {} events, {:.3} s",
                    backend.name(),
                    row.out_rate,
                    row.events,
                    row.wall_s
                );
                rows.push(row);
            }
        }
    }
    // Crossover: for each size, the output rates between which the exact engine stops being
    // faster than the grid backend (linear interpolation of the wall-time ratio in rate).
    if a.backends.contains(&Backend::Exact) && a.backends.contains(&Backend::Grid) {
        for &n in &a.sizes {
            let pairs = ratios(&rows, &a.rates, n);
            let ratios: Vec<String> = pairs
                .iter()
                .map(|(r, q)| format!("{r:.2} Hz: {q:.3}"))
                .collect();
            println!(
                "# N={n}: exact/grid wall-time ratio by output rate: {}",
                ratios.join(", ")
            );
            let cross = pairs.windows(2).find_map(|w| {
                let ((r0, q0), (r1, q1)) = (w[0], w[1]);
                ((q0 - 1.0) * (q1 - 1.0) <= 0.0 && q0 != q1)
                    .then(|| r0 + (1.0 - q0) * (r1 - r0) / (q1 - q0))
            });
            match cross {
                Some(r) => {
                    println!("# N={n}: crossover (exact = grid) at about {r:.2} Hz output rate")
                }
                None => {
                    let all_faster = pairs.iter().all(|p| p.1 < 1.0);
                    println!(
                        "# N={n}: no crossover in the swept range: exact is {} throughout",
                        if all_faster { "faster" } else { "slower" }
                    )
                }
            }
        }
    }
    if let Some(path) = &a.plot {
        match plot(path, &a, &rows) {
            Ok(()) => eprintln!("figure: {}", path.display()),
            Err(e) => eprintln!("cannot draw {}: {e}", path.display()),
        }
    }
    Ok(())
}
