//! The `exactlif` command line: parse, call one library function per subcommand, print.
//! Exit status: 0 success, 2 invalid model or arguments, 1 anything else.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use std::sync::Arc;

use clap::{Parser, Subcommand};
mod app;
mod ranks;

use app::AppError;
use exactlif::io::output::RunInfo;
use exactlif::io::text::{count, fixed, number};
use exactlif::plot::{PlotOptions, Traces};

/// The help of `--traces`, the same for `run` and `plot`.
const TRACES_HELP: &str =
    "Traces drawn per state-variable panel of each figure: the first N recorded cells, or \
`all` [default: 5]. The spike raster always shows every recorded cell.";

#[derive(Parser)]
#[command(
    name = "exactlif",
    version,
    about = "Exact event-driven simulation of PyNN IF_curr_exp networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a model file and write a results directory (CSV, JSON, bincode, figures).
    #[command(
        after_help = "Figures: one <label>.png per population that records anything (the label with characters\n\
other than A-Z a-z 0-9 _ - replaced by _, at most 48 characters; where two names would be\n\
equal, ignoring case, each gets the population's index: a_b.0.png, a_b.2.png).\n\n\
Example:\n  exactlif run fixtures/tutorial.toml --out results/tutorial\n  exactlif run fixtures/sparse.toml --threads 2\n  exactlif run fixtures/small_network.toml --traces all"
    )]
    Run {
        /// The model file (TOML).
        model: PathBuf,
        /// Results directory [default: results/<model stem>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Backend: exact (event-driven reference), grid or euler (step-based).
        #[arg(long, default_value = "exact")]
        backend: String,
        /// Threads for the exact backend's min_delay windows (0: one per core). Results are
        /// bit-identical for any number; grid and euler use one.
        #[arg(long, default_value_t = 1, value_name = "N")]
        threads: usize,
        #[arg(long, value_name = "N|all", default_value_t = Traces::default(), hide_default_value = true, allow_negative_numbers = true, help = TRACES_HELP)]
        traces: Traces,
        /// Refuse a model whose estimated memory (cells, synapses, recordings) exceeds this
        /// (e.g. 8G, 512M) [default: the machine's memory].
        #[arg(long, value_name = "SIZE", value_parser = app::parse_memory)]
        max_memory: Option<f64>,
    },
    /// Validate a model file and print diagnostics; simulates nothing, writes nothing.
    #[command(after_help = "Example:\n  exactlif check fixtures/tutorial.toml")]
    Check {
        /// The model file (TOML).
        model: PathBuf,
        /// Refuse a model whose estimated memory exceeds this (e.g. 8G) [default: the
        /// machine's memory].
        #[arg(long, value_name = "SIZE", value_parser = app::parse_memory)]
        max_memory: Option<f64>,
    },
    /// Compare a run against a reference run: spike matching, spike-time errors, missed and
    /// extra spikes, van Rossum distance, state-variable errors.
    #[command(
        after_help = "Spikes are matched one-to-one per cell by an optimal matching (most pairs within the\n\
tolerance, then least total |error|). Exit status: 0 when the comparison ran (whatever it\n\
found); with --fail-over T, 1 if any spike is missed or extra or a matched spike is more\n\
than T ms off; 2 for directories that are not results or do not match.\n\n\
Example:\n  exactlif run model.toml --out results/exact\n  exactlif run model.toml --backend grid --out results/grid\n  exactlif compare results/exact results/grid --fail-over 0.1"
    )]
    Compare {
        /// The reference results directory (e.g. an exact run).
        reference: PathBuf,
        /// The candidate results directory.
        candidate: PathBuf,
        /// Largest |candidate - reference| for two spikes to be paired (ms) [default: 2 x the
        /// larger of the two timesteps].
        #[arg(long, value_name = "T", allow_negative_numbers = true)]
        tolerance_ms: Option<f64>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Fail (exit status 1) if any spike is missed or extra, or a matched spike's error
        /// exceeds T ms.
        #[arg(long, value_name = "T", allow_negative_numbers = true)]
        fail_over: Option<f64>,
    },
    /// Redraw the figures of a finished run from its data.bin.
    #[command(
        after_help = "Exit status: 0 when the figures are written; 2 for a directory that is not a results\n\
directory (missing, a file, no data.bin, or a data.bin that does not decode), as `compare`\n\
says for the same directory; 1 when a file cannot be read or written.\n\n\
Example:\n  exactlif plot results/tutorial\n  exactlif plot results/tutorial --traces 20"
    )]
    Plot {
        /// A results directory written by `exactlif run`.
        dir: PathBuf,
        #[arg(long, value_name = "N|all", default_value_t = Traces::default(), hide_default_value = true, allow_negative_numbers = true, help = TRACES_HELP)]
        traces: Traces,
    },
    /// Convergence study: the grid and euler backends at each step against the exact run;
    /// writes a table (CSV, JSON) and a log-log figure of error against step.
    #[command(
        after_help = "The exact backend runs once, sampled at the smallest step; grid and euler run at\n\
every step (the model's timestep replaced by the step). Spikes are matched within one\n\
tolerance for all steps, max(2 x largest step, 1 ms) unless --tolerance-ms is given. Writes\n\
converge.csv, converge.json and converge.png, and prints the table and the fitted orders.\n\n\
Example:\n  exactlif converge fixtures/tutorial_firing.toml --steps 0.4,0.2,0.1,0.05"
    )]
    Converge {
        /// The model file (TOML).
        model: PathBuf,
        /// Steps to run the step backends at (ms), comma-separated.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "1,0.5,0.25,0.1,0.05,0.01",
            allow_negative_numbers = true
        )]
        steps: Vec<f64>,
        /// Output directory [default: results/<model stem>/converge].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Spike-matching tolerance for every step (ms) [default: max(2 x largest step, 1)].
        #[arg(long, value_name = "T", allow_negative_numbers = true)]
        tolerance_ms: Option<f64>,
    },
    /// Write a standalone PyNN script plus the network materialised (every per-cell value,
    /// every connection, Poisson sources as explicit spike times) to run the same network on
    /// NEST, NEURON or Brian 2.
    #[command(
        after_help = "Writes DIR/model.py, DIR/network.json and DIR/projections/*.npy. Then\n\
`python DIR/model.py nest` (or neuron, brian2) writes DIR/results_nest/ in the results layout.\n\n\
Example:\n  exactlif export-pynn fixtures/tutorial_firing.toml --out results/tutorial_firing/pynn\n  \
python results/tutorial_firing/pynn/model.py nest\n  exactlif run fixtures/tutorial_firing.toml\n  \
exactlif compare results/tutorial_firing results/tutorial_firing/pynn/results_nest"
    )]
    ExportPynn {
        /// The model file (TOML).
        model: PathBuf,
        /// Directory to write the script and the network into.
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(AppError::ReportedElsewhere) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn warn_all(p: &app::Prepared) {
    for d in &p.diagnostics {
        eprintln!("warning: {d}");
    }
}

fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Command::Run {
            model,
            out,
            backend,
            threads,
            traces,
            max_memory,
        } => {
            let backend = app::check_backend(&backend)?;
            let ranks = ranks::ranks(backend)?;
            let comm = ranks.comm.clone();
            let root = comm.as_ref().is_none_or(|c| c.rank() == 0);
            let mut p = match &comm {
                Some(c) => app::prepare_rank(&model, max_memory, Arc::clone(c))?,
                None => app::prepare_with(&model, backend, max_memory)?,
            };
            let mut used = 1;
            if threads != 1 {
                used = p.sim.set_threads(threads);
                if backend == exactlif::Backend::Exact && root {
                    eprintln!(
                        "running the exact backend on {}{}",
                        count(used as u64, "thread"),
                        comm.as_ref()
                            .map(|c| format!(" in each of {} processes", c.size()))
                            .unwrap_or_default()
                    );
                }
            }
            if root {
                warn_all(&p);
            }
            let out = out.unwrap_or_else(|| app::default_out_dir(&model));
            // before any work: the results directory can be written, and is written as a whole
            // (by rank 0 alone, when several processes run the simulation)
            let staged = root.then(|| {
                exactlif::io::output::stage_results(&out).map_err(|e| match e {
                    exactlif::io::output::OutputError::Io { path, source } if path == out => {
                        AppError::Usage(format!("--out {}: {source}", out.display()))
                    }
                    e => AppError::Usage(format!("--out {}: {e}", out.display())),
                })
            });
            if let Some(c) = &comm {
                let ok = staged.as_ref().is_none_or(|s| s.is_ok());
                if c.all_min(if ok { 1.0 } else { 0.0 }) < 1.0 && !root {
                    return Err(AppError::ReportedElsewhere);
                }
            }
            let staged = staged.transpose()?;
            let bar = progress_bar().filter(|_| root);
            let started = Instant::now();
            let data = app::simulate(&mut p, &mut |t, t_stop| {
                if let Some(bar) = &bar {
                    if started.elapsed() > Duration::from_millis(500) {
                        bar.set_length((t_stop * 1000.0) as u64);
                        bar.set_position((t * 1000.0) as u64);
                        bar.set_message(format!(
                            "{} / {} ms simulated",
                            fixed(t, 1),
                            number(t_stop)
                        ));
                    }
                }
            });
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let run = RunInfo {
                processes: comm.as_ref().map_or(1, |c| c.size()),
                threads: used,
                rank_imbalance: p.sim.rank_balance().map(|b| b.imbalance()),
                rank_windows: p.sim.rank_balance().map(|b| b.windows),
            };
            let Some(staged) = staged else {
                // another rank than 0: rank 0 writes the results, and reports a runaway
                return match p.sim.runaway() {
                    Some(_) => Err(AppError::ReportedElsewhere),
                    None => Ok(()),
                };
            };
            let files = app::finish(p, staged, &data, &PlotOptions { traces }, &run)?;
            println!(
                "{}: {}, {} ms",
                model.display(),
                count(data.populations.len() as u64, "population"),
                number(data.duration_ms)
            );
            for line in app::summary_lines(&data) {
                println!("{line}");
            }
            let figures: Vec<String> = files
                .iter()
                .filter(|f| f.extension().is_some_and(|e| e == "png"))
                .map(|f| f.display().to_string())
                .collect();
            println!(
                "results in {}/ ({}); figures: {}",
                out.display(),
                count(files.len() as u64, "file"),
                if figures.is_empty() {
                    "none".into()
                } else {
                    figures.join(", ")
                }
            );
        }
        Command::Check { model, max_memory } => {
            let p = app::prepare(&model, max_memory)?;
            warn_all(&p);
            let sim = &p.sim;
            println!(
                "{}: valid: {}, {}, {}, {} ms at timestep {} ms{}",
                model.display(),
                count(sim.n_populations() as u64, "population"),
                count(sim.n_cells() as u64, "cell"),
                count(sim.n_synapses() as u64, "synapse"),
                number(p.model.duration),
                number(sim.timestep()),
                if p.diagnostics.is_empty() {
                    String::new()
                } else {
                    format!("; {}", count(p.diagnostics.len() as u64, "warning"))
                }
            );
        }
        Command::Compare {
            reference,
            candidate,
            tolerance_ms,
            json,
            fail_over,
        } => {
            let report = app::compare(&reference, &candidate, tolerance_ms, fail_over)?;
            if json {
                println!("{}", report.to_json());
            } else {
                print!(
                    "{}",
                    report.to_table_named(exactlif::compare::TableNames {
                        tolerance: "--tolerance-ms",
                        gate: "--fail-over",
                    })
                );
            }
            if report.gate.as_ref().is_some_and(|g| !g.passed) {
                return Err(AppError::GateFailed);
            }
        }
        Command::Plot { dir, traces } => {
            for f in app::replot(&dir, &PlotOptions { traces })? {
                println!("{}", f.display());
            }
        }
        Command::Converge {
            model,
            steps,
            out,
            tolerance_ms,
        } => {
            let (study, files) = app::converge(
                &model,
                Some(&steps),
                tolerance_ms,
                out.as_deref(),
                &mut |line| eprintln!("  {line}"),
            )?;
            print!("{}", study.to_table());
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            println!("wrote {}", names.join(", "));
        }
        Command::ExportPynn { model, out } => {
            let files = app::export_pynn(&model, &out)?;
            println!(
                "{}: exported for PyNN to {}/ ({}); run it with: python {} nest",
                model.display(),
                out.display(),
                count(files.len() as u64, "file"),
                out.join("model.py").display()
            );
        }
    }
    Ok(())
}

/// A progress bar over simulated time, only when stderr is a terminal; it stays hidden until a
/// run has taken half a second.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(1);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {msg}, {elapsed} elapsed, ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}
