//! Figures of a run, in the spirit of `pyNN.utility.plotting`: one PNG per population, with a
//! panel per recorded state variable above a spike raster, all on one time axis from 0 to the
//! run's duration, named as PyNN's figures name them ("Membrane potential (mV)", "Neuron
//! index", "Time (ms)" under every panel).
//!
//! - **Traces:** the first [`DEFAULT_TRACES`] recorded cells by default, or as many as
//!   [`PlotOptions::traces`] asks ([`Traces`]); anti-aliased, and a trace of a single sample
//!   (or a sample between two non-finite ones) is drawn as a dot.
//! - **Raster:** every spike of every recorded cell, always with the same mark (a small
//!   translucent dot), whatever the number of cells or spikes, so that the figures of one run
//!   can be read side by side.
//! - **File names:** see [`figure_names`]: the label made safe and short, and unique within the
//!   run.
//!
//! Text is drawn with an embedded font (DejaVu Sans, see `assets/DejaVuSans-LICENSE.txt`), so
//! no system font library is needed. Every PNG is written atomically: rendered to a temporary
//! file in the destination directory, then renamed.

use std::cell::RefCell;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use plotters::style::{register_font, FontStyle};

pub mod converge;

use crate::io::atomic::{AtomicError, AtomicFile};
use crate::io::text::{count, fixed, number};
use crate::recording::{AnalogSignal, DataBlock, PopulationData};

/// Why a figure could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A file or directory could not be created, written or renamed.
    #[error("cannot write figure {}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The plotting library failed to draw or to encode the PNG.
    #[error("cannot draw figure {}: {message}", path.display())]
    Draw {
        /// The figure being drawn.
        path: PathBuf,
        /// What the plotting library reported.
        message: String,
    },
    /// The embedded font was rejected by the text renderer (a build defect).
    #[error("the embedded font could not be registered")]
    Font,
    /// The population records neither spikes nor any state variable, so it has no figure.
    #[error("population '{label}' records nothing: there is nothing to plot")]
    NothingRecorded {
        /// The population's label.
        label: String,
    },
}

/// Width of every figure (px).
const WIDTH: u32 = 1200;
/// Height of the title band (px).
const TITLE_HEIGHT: u32 = 56;
/// Height of the band under each panel's tick labels holding the time-axis name (px).
const AXIS_NAME_HEIGHT: u32 = 28;
/// Height of one state-variable panel, its time axis and the axis name included (px).
const TRACE_HEIGHT: u32 = 300 + AXIS_NAME_HEIGHT;
/// Height of the raster panel, its time axis and the axis name included (px).
const RASTER_HEIGHT: u32 = 340 + AXIS_NAME_HEIGHT;
/// Height of the band holding a panel's caption (px).
const CAPTION_HEIGHT: u32 = 32;
/// Height of the tick-label area under each panel (px).
const TICK_LABEL_AREA: u32 = 30;
/// Width of the y-axis label area, the same on every panel so that time axes line up (px).
const Y_LABEL_AREA: u32 = 90;
/// The number of traces drawn per panel by default: those of the first 5 recorded cells.
pub const DEFAULT_TRACES: usize = 5;
/// The longest file stem made from a label (characters), before any disambiguating index.
pub const MAX_STEM_CHARS: usize = 48;
/// Half the width of a trace (px).
const TRACE_HALF_WIDTH: f64 = 0.7;
/// Radius of the dot that draws an isolated sample of a trace (px).
const SAMPLE_DOT_RADIUS: f64 = 2.5;
/// How far beyond the plotting area a dot may reach (px): its largest radius, rounded up.
const DOT_MARGIN: i32 = 3;
/// Radius of the raster's dot, the one mark of every raster (px).
const RASTER_DOT_RADIUS: f64 = 1.8;
/// Opacity of one raster dot: dots that overlap look darker, so density shows.
const RASTER_DOT_OPACITY: f32 = 0.7;
/// Colour of the raster's marks.
const RASTER_COLOR: RGBColor = RGBColor(20, 50, 140);
/// Trace colours, cycled (the usual ten-colour qualitative palette: distinct, and all dark
/// enough to read on white).
const TRACE_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
/// Font family name the embedded font is registered under (plotters' default family).
const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the embedded font with plotters, once per process.
pub(crate) fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Whether a population records anything that can be plotted.
fn records_anything(pop: &PopulationData) -> bool {
    pop.records_spikes || !pop.signals.is_empty()
}

/// Which recorded cells' traces a state-variable panel draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traces {
    /// The first `n` recorded cells (all of them if fewer are recorded); `n` >= 1.
    First(usize),
    /// Every recorded cell.
    All,
}

impl Default for Traces {
    /// The first [`DEFAULT_TRACES`] recorded cells.
    fn default() -> Self {
        Traces::First(DEFAULT_TRACES)
    }
}

impl Traces {
    /// The positions, among `recorded` recorded cells, of those whose traces are drawn.
    ///
    /// ```
    /// use exactlif::plot::Traces;
    /// assert_eq!(Traces::default().indices(100), 0..5);
    /// assert_eq!(Traces::First(5).indices(3), 0..3);
    /// assert_eq!(Traces::All.indices(100), 0..100);
    /// ```
    pub fn indices(self, recorded: usize) -> Range<usize> {
        match self {
            Traces::First(n) => 0..n.min(recorded),
            Traces::All => 0..recorded,
        }
    }
}

impl std::fmt::Display for Traces {
    /// The form [`Traces::from_str`](std::str::FromStr::from_str) reads: `5`, `all`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Traces::First(n) => write!(f, "{n}"),
            Traces::All => f.write_str("all"),
        }
    }
}

impl std::str::FromStr for Traces {
    type Err = String;

    /// `all`, or a whole number >= 1.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("all") {
            return Ok(Traces::All);
        }
        match s.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Traces::First(n)),
            _ => Err(format!(
                "`{s}` is neither a number of traces (a whole number >= 1) nor `all`"
            )),
        }
    }
}

/// How the figures are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlotOptions {
    /// Which recorded cells' traces each state-variable panel draws (default: the first
    /// [`DEFAULT_TRACES`]).
    pub traces: Traces,
}

/// Turns a label into a file stem: characters outside `[A-Za-z0-9_-]` become `_`, and the
/// stem is cut to [`MAX_STEM_CHARS`] characters.
fn sanitise(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = if s.is_empty() { "_".to_string() } else { s };
    s.chars().take(MAX_STEM_CHARS).collect()
}

/// The figure file of each population that records anything, in population order: its index
/// in `block.populations` (the model file's order, from 0) and its file name.
///
/// The name is the label made safe: characters other than `A-Z a-z 0-9 _ -` become `_`, and
/// the result is cut to [`MAX_STEM_CHARS`] characters (`Population 1` -> `Population_1.png`).
/// Where two populations' names would then be equal, ignoring case (so that they also differ
/// on file systems that ignore case), each of them gets its population index after a dot:
/// labels `a/b` (index 0) and `a b` (index 2) give `a_b.0.png` and `a_b.2.png`. A made-safe
/// label never contains a dot, so these names can equal neither a plain name nor each other:
/// the names are unique, and each depends only on the labels.
///
/// ```
/// # use exactlif::{DataBlock, EventCounts, PopulationData};
/// let pop = |label: &str| PopulationData {
///     label: label.into(), size: 1, cell_type: "IF_curr_exp".into(), spike_count: 0,
///     records_spikes: true, spiketrains: vec![], signals: vec![],
/// };
/// let block = DataBlock {
///     backend: "exact".into(), seed: 0, timestep_ms: 0.1, duration_ms: 1.0,
///     populations: vec![pop("a/b"), pop("exc"), pop("a b")],
///     events: EventCounts::default(), wall_time_s: 0.0, build_time_s: 0.0,
/// };
/// let names = exactlif::plot::figure_names(&block);
/// assert_eq!(
///     names,
///     [(0, "a_b.0.png".to_string()), (1, "exc.png".into()), (2, "a_b.2.png".into())]
/// );
/// ```
pub fn figure_names(block: &DataBlock) -> Vec<(usize, String)> {
    let stems: Vec<(usize, String)> = block
        .populations
        .iter()
        .enumerate()
        .filter(|(_, p)| records_anything(p))
        .map(|(i, p)| (i, sanitise(&p.label)))
        .collect();
    let mut uses = std::collections::HashMap::new();
    for (_, stem) in &stems {
        *uses.entry(stem.to_lowercase()).or_insert(0usize) += 1;
    }
    stems
        .iter()
        .map(|(i, stem)| {
            let name = if uses[&stem.to_lowercase()] > 1 {
                format!("{stem}.{i}.png")
            } else {
                format!("{stem}.png")
            };
            (*i, name)
        })
        .collect()
}

/// Draws one figure per population that records anything into `dir` (created if needed), with
/// the default [`PlotOptions`], under the names of [`figure_names`]. Returns the paths
/// written, in population order.
pub fn plot_block(block: &DataBlock, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    plot_block_with(block, dir, &PlotOptions::default())
}

/// [`plot_block`] with the given options.
pub fn plot_block_with(
    block: &DataBlock,
    dir: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::new();
    for (i, name) in figure_names(block) {
        let path = dir.join(name);
        plot_population(block, &block.populations[i], &path, options)?;
        paths.push(path);
    }
    Ok(paths)
}

/// Draws the figure of one population of `block` to the PNG file `path` (written atomically):
/// a panel per recorded state variable, then the spike raster if spikes are recorded.
///
/// Returns [`PlotError::NothingRecorded`] if the population records nothing.
pub fn plot_population(
    block: &DataBlock,
    pop: &PopulationData,
    path: &Path,
    options: &PlotOptions,
) -> Result<(), PlotError> {
    if !records_anything(pop) {
        return Err(PlotError::NothingRecorded {
            label: pop.label.clone(),
        });
    }
    write_png(path, figure_size(pop), |root| {
        draw_figure(root, block, pop, options)
    })
}

/// The size of a population's figure (px).
fn figure_size(pop: &PopulationData) -> (u32, u32) {
    let height = TITLE_HEIGHT
        + TRACE_HEIGHT * pop.signals.len() as u32
        + if pop.records_spikes { RASTER_HEIGHT } else { 0 };
    (WIDTH, height)
}

/// Renders a PNG of `size` pixels with `draw` and writes it to `path` atomically (a temporary
/// file in the same directory, then a rename), registering the embedded font first.
pub(crate) fn write_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), String>,
) -> Result<(), PlotError> {
    ensure_font()?;
    let io_err = |e: AtomicError| PlotError::Io {
        path: e.path,
        source: e.source,
    };
    // The suffix tells the encoder to write PNG.
    let file = AtomicFile::create(path, ".png").map_err(io_err)?;
    {
        let root = BitMapBackend::new(file.temp_path(), size).into_drawing_area();
        draw(&root).map_err(|message| PlotError::Draw {
            path: path.to_path_buf(),
            message,
        })?;
        root.present().map_err(|e| PlotError::Draw {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    file.persist().map_err(io_err)?;
    Ok(())
}

/// Converts a plotters error to its message.
fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The figure's drawing surface.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// The embedded font, parsed once.
fn font() -> Result<&'static FontRef<'static>, String> {
    static PARSED: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    PARSED
        .get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
        .ok_or_else(|| "the embedded font cannot be parsed".to_string())
}

/// Where a piece of text goes: its anchor point (absolute pixels), the side of the text the
/// anchor is on, and whether it reads bottom to top (a y-axis name).
#[derive(Clone, Copy)]
pub(crate) struct Place {
    pub(crate) x: i32,
    pub(crate) y: i32,
    pub(crate) h: HPos,
    pub(crate) vertical: bool,
}

/// Lays `text` out with `font` at `size` px on a baseline at y = ascent, x from 0: the glyphs,
/// the width and the height of the line (px).
fn layout(font: &FontRef<'_>, text: &str, size: f32) -> (Vec<ab_glyph::Glyph>, f32, f32) {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut glyphs = Vec::new();
    let mut pen = 0.0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(size, point(pen, scaled.ascent())));
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    (glyphs, pen, scaled.ascent() - scaled.descent())
}

/// The width of `text` drawn by [`draw_text`] at `size` px.
fn text_width(text: &str, size: f32) -> Result<f32, String> {
    Ok(layout(font()?, text, size).1)
}

/// `text` cut to at most `max_chars` characters, an ellipsis marking the cut.
fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    }
}

/// Draws `text` with the embedded font, vertically centred on the anchor.
///
/// Titles, captions and axis names are drawn here rather than through plotters' text path,
/// which ignores each glyph's left side bearing and so spaces letters unevenly ("m V").
pub(crate) fn draw_text(
    root: &Area<'_>,
    text: &str,
    size: f32,
    place: Place,
    color: RGBColor,
) -> Result<(), String> {
    let font = font()?;
    let (glyphs, width, height) = layout(font, text, size);
    let dx0 = match place.h {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    }
    .round() as i32;
    let dy0 = (-height / 2.0).round() as i32;
    let mut result = Ok(());
    for glyph in glyphs {
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        // Glyph bounds are whole pixels; the anchor offset is rounded once for the whole
        // text, so that every glyph shares one baseline.
        let ox = bounds.min.x as i32 + dx0;
        let oy = bounds.min.y as i32 + dy0;
        outline.draw(|gx, gy, coverage| {
            if coverage < 0.02 || result.is_err() {
                return;
            }
            // Offset of this pixel from the anchor, in the text's own frame.
            let dx = ox + gx as i32;
            let dy = oy + gy as i32;
            let (px, py) = if place.vertical {
                // Rotated a quarter turn anticlockwise: the text reads upwards.
                (place.x + dy, place.y - dx)
            } else {
                (place.x + dx, place.y + dy)
            };
            let c = color.mix(f64::from(coverage.min(1.0)));
            if let Err(e) = root.draw_pixel((px, py), &c) {
                result = Err(e.to_string());
            }
        });
    }
    result
}

/// The absolute pixel position of an area's top-left corner and its size.
pub(crate) fn frame(area: &Area<'_>) -> ((i32, i32), (i32, i32)) {
    let (w, h) = area.dim_in_pixel();
    (area.get_base_pixel(), (w as i32, h as i32))
}

/// Splits a panel into its caption band and the chart below it, and draws the caption.
fn captioned<'a>(root: &Area<'_>, panel: &Area<'a>, caption: &str) -> Result<Area<'a>, String> {
    let (band, chart) = panel.split_vertically(CAPTION_HEIGHT);
    let ((x0, y0), (w, h)) = frame(&band);
    let place = Place {
        x: x0 + w / 2,
        y: y0 + h / 2 + 2,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, caption, 20.0, place, BLACK)?;
    Ok(chart)
}

/// Names the axes of a chart whose plotting area spans `px` (absolute pixels): the y-axis
/// name at the left edge of the panel (`panel_x`), and "Time (ms)" under the tick labels, on
/// every panel as in PyNN's figures.
fn axis_names(
    root: &Area<'_>,
    px: (Range<i32>, Range<i32>),
    panel_x: i32,
    y_name: &str,
) -> Result<(), String> {
    let (xs, ys) = px;
    let left = Place {
        x: panel_x + 24,
        y: (ys.start + ys.end) / 2,
        h: HPos::Center,
        vertical: true,
    };
    draw_text(root, y_name, 17.0, left, BLACK)?;
    let below = Place {
        x: (xs.start + xs.end) / 2,
        y: ys.end + TICK_LABEL_AREA as i32 + 12,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, TIME_AXIS_NAME, 17.0, below, BLACK)
}

/// The name of every time axis (PyNN's).
const TIME_AXIS_NAME: &str = "Time (ms)";
/// The name of the raster's y-axis (PyNN's).
const RASTER_AXIS_NAME: &str = "Neuron index";

/// The name of a state variable's axis: PyNN's "Membrane potential (mV)" for `v`, otherwise
/// the name and the unit as PyNN's automatic labels give them (`isyn_exc (nA)`).
fn signal_axis_name(sig: &AnalogSignal) -> String {
    if sig.name == "v" {
        format!("Membrane potential ({})", sig.units)
    } else {
        format!("{} ({})", sig.name, sig.units)
    }
}

/// A chart with a time axis and a numeric y-axis.
type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws the chart's axes, grid and tick marks with plotters, and the tick labels with
/// [`draw_text`]: plotters is asked for labels only to learn where its ticks are. About
/// `y_ticks` y ticks; with `integer_y`, only whole y values are labelled (neuron indices).
fn draw_mesh(
    root: &Area<'_>,
    chart: &mut Chart<'_, '_>,
    y_ticks: usize,
    integer_y: bool,
) -> Result<(), String> {
    let xs = RefCell::new(Vec::new());
    let ys = RefCell::new(Vec::new());
    let record_x = |x: &f64| {
        xs.borrow_mut().push(*x);
        String::new()
    };
    let record_y = |y: &f64| {
        ys.borrow_mut().push(*y);
        String::new()
    };
    chart
        .configure_mesh()
        .label_style((FONT, 15))
        .x_labels(11)
        .y_labels(y_ticks)
        .x_label_formatter(&record_x)
        .y_label_formatter(&record_y)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(msg)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    let (mut xs, mut ys) = (xs.into_inner(), ys.into_inner());
    for v in [&mut xs, &mut ys] {
        v.sort_by(f64::total_cmp);
        v.dedup();
    }
    if integer_y {
        ys.retain(|y| (y - y.round()).abs() < 1e-9);
    }
    let y0 = chart.y_range().start;
    for (x, text) in xs.iter().zip(tick_labels(&xs)) {
        let (cx, _) = chart.backend_coord(&(*x, y0));
        if px.contains(&cx) || cx == px.end {
            let place = Place {
                x: cx,
                y: py.end + 16,
                h: HPos::Center,
                vertical: false,
            };
            draw_text(root, &text, 15.0, place, BLACK)?;
        }
    }
    let x0 = chart.x_range().start;
    for (y, text) in ys.iter().zip(tick_labels(&ys)) {
        let (_, cy) = chart.backend_coord(&(x0, *y));
        if py.contains(&cy) || cy == py.end {
            let place = Place {
                x: px.start - 10,
                y: cy,
                h: HPos::Right,
                vertical: false,
            };
            draw_text(root, &text, 15.0, place, BLACK)?;
        }
    }
    Ok(())
}

/// Labels for increasing tick values, all with the same number of decimals, the fewest that
/// show every tick exactly (`0`, `0.05`, `-64.2`); in exponent form (`2.5e-6`) when that would
/// take more than five decimals or the values reach a million.
fn tick_labels(ticks: &[f64]) -> Vec<String> {
    let exact_with = |d: usize| {
        let scale = 10f64.powi(d as i32);
        ticks
            .iter()
            .all(|v| ((v * scale) - (v * scale).round()).abs() < 1e-6 * scale.max(1.0))
    };
    let biggest = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let step = ticks
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let is_zero = |v: f64| step.is_finite() && v.abs() < 1e-9 * step;
    match (0..=5).find(|&d| exact_with(d)) {
        Some(d) if biggest < 1e6 => ticks
            .iter()
            .map(|&v| {
                if is_zero(v) {
                    format!("{:.*}", d, 0.0)
                } else {
                    format!("{v:.d$}")
                }
            })
            .collect(),
        _ => {
            // The fewest mantissa digits that show every tick exactly.
            let tolerance = if step.is_finite() { 1e-6 * step } else { 0.0 };
            let p = (0..=12)
                .find(|&p| {
                    ticks.iter().all(|&v| {
                        is_zero(v)
                            || format!("{v:.p$e}").parse::<f64>().is_ok_and(|back| {
                                (back - v).abs() <= tolerance.max(1e-12 * v.abs())
                            })
                    })
                })
                .unwrap_or(12);
            ticks
                .iter()
                .map(|&v| {
                    if is_zero(v) {
                        "0".to_string()
                    } else {
                        format!("{v:.p$e}")
                    }
                })
                .collect()
        }
    }
}

/// The figure's title: the label, shortened with an ellipsis if the whole title would not fit
/// the figure's width, then what the population is and how it ran.
fn figure_title(block: &DataBlock, pop: &PopulationData) -> Result<String, String> {
    let rest = format!(
        " — {}, {} ({} backend, {} ms)",
        pop.cell_type,
        count(pop.size as u64, "cell"),
        block.backend,
        number(block.duration_ms),
    );
    let room = WIDTH as f32 - 40.0;
    let mut keep = pop.label.chars().count();
    loop {
        let title = format!("{}{rest}", shorten(&pop.label, keep));
        if keep <= 8 || text_width(&title, TITLE_SIZE)? <= room {
            return Ok(title);
        }
        keep -= 1;
    }
}

/// Font size of the title (px).
const TITLE_SIZE: f32 = 26.0;

/// Draws the whole figure on `root`.
fn draw_figure(
    root: &Area<'_>,
    block: &DataBlock,
    pop: &PopulationData,
    options: &PlotOptions,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(msg)?;
    let (title_area, body) = root.split_vertically(TITLE_HEIGHT);
    let title = figure_title(block, pop)?;
    let ((x0, y0), (w, h)) = frame(&title_area);
    let place = Place {
        x: x0 + w / 2,
        y: y0 + h / 2,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, &title, TITLE_SIZE, place, BLACK)?;

    let t_range = time_range(block.duration_ms);
    let mut rest = body;
    for sig in &pop.signals {
        let (panel, below) = rest.split_vertically(TRACE_HEIGHT);
        draw_signal(root, &panel, sig, t_range.clone(), options.traces)?;
        rest = below;
    }
    if pop.records_spikes {
        draw_raster(root, &rest, pop, block.duration_ms, t_range)?;
    }
    Ok(())
}

/// The time axis, 0 to the duration (1 ms if the run is empty).
fn time_range(duration_ms: f64) -> Range<f64> {
    if duration_ms.is_finite() && duration_ms > 0.0 {
        0.0..duration_ms
    } else {
        0.0..1.0
    }
}

/// The y-range of a trace panel: min..max of the finite data plus a 5% margin, or a band
/// around the value when it is constant.
fn value_range<'a>(values: impl Iterator<Item = &'a Vec<f64>>) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for row in values {
        for &v in row.iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        return -1.0..1.0;
    }
    let span = hi - lo;
    if span <= 1e-9 * lo.abs().max(hi.abs()) || span == 0.0 {
        let c = 0.5 * (lo + hi);
        let half = if c == 0.0 { 1.0 } else { 0.05 * c.abs() };
        return (c - half)..(c + half);
    }
    (lo - 0.05 * span)..(hi + 0.05 * span)
}

/// Reduces a trace to at most four points per pixel column (first, min, max, last, in time
/// order), which draws the same picture as the full trace. Traces short enough are kept whole.
fn decimate(times: &[f64], values: &[f64], t: &Range<f64>, columns: usize) -> Vec<(f64, f64)> {
    let n = times.len().min(values.len());
    if n <= 4 * columns || columns == 0 {
        return (0..n).map(|k| (times[k], values[k])).collect();
    }
    let scale = columns as f64 / (t.end - t.start);
    let column = |x: f64| ((x - t.start) * scale).floor() as i64;
    let mut out = Vec::with_capacity(4 * columns + 4);
    let mut k = 0;
    while k < n {
        let col = column(times[k]);
        let start = k;
        let (mut kmin, mut kmax) = (k, k);
        while k < n && column(times[k]) == col {
            if values[k] < values[kmin] {
                kmin = k;
            }
            if values[k] > values[kmax] {
                kmax = k;
            }
            k += 1;
        }
        let mut picks = [start, kmin, kmax, k - 1];
        picks.sort_unstable();
        let mut prev = usize::MAX;
        for &p in &picks {
            if p != prev {
                out.push((times[p], values[p]));
                prev = p;
            }
        }
    }
    out
}

/// The caption of a trace panel, e.g. `v, first 5 of 100 recorded cells`.
fn signal_caption(sig: &AnalogSignal, shown: usize) -> String {
    let n = sig.neurons.len().min(sig.values.len());
    if shown < n {
        format!("{}, first {shown} of {n} recorded cells", sig.name)
    } else if n == 1 {
        format!("{}, 1 recorded cell", sig.name)
    } else {
        format!("{}, all {n} recorded cells", sig.name)
    }
}

/// The coverage of a chart's plotting area by one series of marks, each pixel from 0 to 1,
/// drawn in pixel coordinates with sub-pixel precision (anti-aliased) and then blended onto
/// the figure in one pass: the pieces of one trace never darken each other where they meet.
///
/// Coordinates are absolute pixels of the figure as `f64`: pixel `(i, j)` covers
/// `[i, i + 1) x [j, j + 1)`. Lines are clipped to the plotting area; dots may reach
/// [`DOT_MARGIN`] pixels beyond it, so that a sample or a spike on the edge (at t = 0, say)
/// shows whole.
struct Coverage {
    /// The pixels dots may cover: `x0 ..= x0 + w - 1`, `y0 ..= y0 + h - 1`.
    x0: i32,
    y0: i32,
    w: i32,
    h: i32,
    /// The pixels lines may cover (the plotting area): `[x_lo, x_hi, y_lo, y_hi]`, inclusive.
    area: [i32; 4],
    /// Coverage per pixel, row-major.
    cov: Vec<f32>,
    /// The pixels with coverage > 0, to blend and to clear.
    touched: Vec<usize>,
}

impl Coverage {
    /// An empty coverage of the plotting area `px` (absolute pixels; the end pixels included,
    /// where plotters draws the axes' far ends).
    fn new(px: &(Range<i32>, Range<i32>)) -> Self {
        let area = [
            px.0.start,
            px.0.end.max(px.0.start),
            px.1.start,
            px.1.end.max(px.1.start),
        ];
        let (w, h) = (
            area[1] - area[0] + 1 + 2 * DOT_MARGIN,
            area[3] - area[2] + 1 + 2 * DOT_MARGIN,
        );
        Coverage {
            x0: area[0] - DOT_MARGIN,
            y0: area[2] - DOT_MARGIN,
            w,
            h,
            area,
            cov: vec![0.0; (w * h) as usize],
            touched: Vec::new(),
        }
    }

    /// The pixels dots may cover, as `[x_lo, x_hi, y_lo, y_hi]`, inclusive.
    fn dot_area(&self) -> [i32; 4] {
        [self.x0, self.x0 + self.w - 1, self.y0, self.y0 + self.h - 1]
    }

    /// Index of pixel `(x, y)`, if it is in the area.
    fn index(&self, x: i32, y: i32) -> Option<usize> {
        let (i, j) = (x - self.x0, y - self.y0);
        if (0..self.w).contains(&i) && (0..self.h).contains(&j) {
            Some((j * self.w + i) as usize)
        } else {
            None
        }
    }

    /// Raises pixel `(x, y)` to coverage `c` (a mark drawn over itself does not darken).
    fn raise(&mut self, x: i32, y: i32, c: f32) {
        if let Some(k) = self.index(x, y) {
            if self.cov[k] == 0.0 {
                self.touched.push(k);
            }
            self.cov[k] = self.cov[k].max(c);
        }
    }

    /// Lays coverage `c` over pixel `(x, y)` as a translucent mark: `1 - (1 - old)(1 - c)`, so
    /// that overlapping marks darken.
    fn lay(&mut self, x: i32, y: i32, c: f32) {
        if let Some(k) = self.index(x, y) {
            if self.cov[k] == 0.0 {
                self.touched.push(k);
            }
            self.cov[k] = 1.0 - (1.0 - self.cov[k]) * (1.0 - c);
        }
    }

    /// The coverage of pixel `(x, y)` by a round-capped stroke of half-width `r` from `a` to
    /// `b` (a disc of radius `r` when `a == b`): 1 within `r - 1/2` of the segment, 0 beyond
    /// `r + 1/2`, linear between.
    fn stroke_cover(x: i32, y: i32, a: (f64, f64), b: (f64, f64), r: f64) -> f32 {
        let c = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((c.0 - a.0) * dx + (c.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = (c.0 - a.0 - t * dx).hypot(c.1 - a.1 - t * dy);
        (r + 0.5 - d).clamp(0.0, 1.0) as f32
    }

    /// Visits every pixel of `clip` (`[x_lo, x_hi, y_lo, y_hi]`, inclusive) near the stroke
    /// from `a` to `b` of half-width `r` with its coverage; the cost is proportional to the
    /// stroke's length times its width.
    fn stroke(
        a: (f64, f64),
        b: (f64, f64),
        r: f64,
        clip: [i32; 4],
        mut visit: impl FnMut(i32, i32, f32),
    ) {
        let reach = r + 1.0;
        let steep = (b.1 - a.1).abs() > (b.0 - a.0).abs();
        // Walk the major axis pixel by pixel; scan across it the band the stroke can touch.
        let ((ma, na), (mb, nb)) = (major_minor(a, steep), major_minor(b, steep));
        let (m_lo, m_hi) = (ma.min(mb), ma.max(mb));
        let ((m_first, m_last), (n_first, n_last)) = if steep {
            ((clip[2], clip[3]), (clip[0], clip[1]))
        } else {
            ((clip[0], clip[1]), (clip[2], clip[3]))
        };
        let minor_at = |m: f64| {
            if mb == ma {
                na
            } else {
                na + (m.clamp(m_lo, m_hi) - ma) * (nb - na) / (mb - ma)
            }
        };
        let from = ((m_lo - reach).floor() as i64).max(i64::from(m_first));
        let to = ((m_hi + reach).floor() as i64).min(i64::from(m_last));
        for m in from..=to {
            let m = m as i32;
            let centre = f64::from(m) + 0.5;
            let (p, q) = (minor_at(centre - reach), minor_at(centre + reach));
            let lo = ((p.min(q) - reach).floor() as i64).max(i64::from(n_first));
            let hi = ((p.max(q) + reach).floor() as i64).min(i64::from(n_last));
            for n in lo..=hi {
                let (x, y) = if steep { (n as i32, m) } else { (m, n as i32) };
                let c = Self::stroke_cover(x, y, a, b, r);
                if c > 0.0 {
                    visit(x, y, c);
                }
            }
        }
    }

    /// Draws a polyline of half-width `r` (each point in pixel coordinates).
    fn polyline(&mut self, points: &[(f64, f64)], r: f64) {
        let area = self.area;
        for w in points.windows(2) {
            Self::stroke(w[0], w[1], r, area, |x, y, c| self.raise(x, y, c));
        }
    }

    /// Draws a disc of radius `r` centred on `p`, raised to the coverage (opaque) or laid
    /// over what is there with `opacity` (translucent).
    fn disc(&mut self, p: (f64, f64), r: f64, opacity: Option<f32>) {
        let area = self.dot_area();
        Self::stroke(p, p, r, area, |x, y, c| match opacity {
            None => self.raise(x, y, c),
            Some(o) => self.lay(x, y, c * o),
        });
    }

    /// Blends `color` onto the figure with each touched pixel's coverage times `opacity`, and
    /// clears the coverage.
    fn flush(&mut self, root: &Area<'_>, color: RGBColor, opacity: f64) -> Result<(), String> {
        let mut touched = std::mem::take(&mut self.touched);
        for &k in &touched {
            let c = std::mem::replace(&mut self.cov[k], 0.0);
            let (x, y) = (self.x0 + k as i32 % self.w, self.y0 + k as i32 / self.w);
            root.draw_pixel((x, y), &color.mix(opacity * f64::from(c)))
                .map_err(msg)?;
        }
        touched.clear();
        self.touched = touched;
        Ok(())
    }
}

/// `p` as (major, minor) coordinates: (y, x) for a steep stroke, else (x, y).
fn major_minor(p: (f64, f64), steep: bool) -> (f64, f64) {
    if steep {
        (p.1, p.0)
    } else {
        p
    }
}

/// Maps chart values to pixel coordinates with sub-pixel precision, on the same affine map as
/// plotters' integer one (which puts a value in the pixel this map's value falls in).
struct PixelMap {
    x: (f64, f64, f64, f64),
    y: (f64, f64, f64, f64),
}

impl PixelMap {
    fn of(chart: &Chart<'_, '_>) -> Self {
        let (xr, yr) = (chart.x_range(), chart.y_range());
        let (x0, y0) = chart.backend_coord(&(xr.start, yr.start));
        let (x1, y1) = chart.backend_coord(&(xr.end, yr.end));
        PixelMap {
            x: (xr.start, xr.end, f64::from(x0), f64::from(x1)),
            y: (yr.start, yr.end, f64::from(y0), f64::from(y1)),
        }
    }

    fn at(&self, (t, v): (f64, f64)) -> (f64, f64) {
        let map = |(l0, l1, p0, p1): (f64, f64, f64, f64), u: f64| {
            // the centre of the pixel plotters would choose
            p0 + 0.5 + (u - l0) / (l1 - l0) * (p1 - p0)
        };
        (map(self.x, t), map(self.y, v))
    }
}

/// A sample of a trace in chart values: (time in ms, value).
type Point = (f64, f64);

/// The pieces a trace is drawn as, in chart values: the runs of consecutive finite samples of
/// two or more points, drawn as lines, and the samples standing alone (a one-sample trace, or
/// a sample between non-finite ones), drawn as dots.
fn trace_pieces(points: &[Point]) -> (Vec<&[Point]>, Vec<Point>) {
    let (mut lines, mut dots) = (Vec::new(), Vec::new());
    for run in points
        .split(|(t, v)| !(t.is_finite() && v.is_finite()))
        .filter(|r| !r.is_empty())
    {
        if run.len() == 1 {
            dots.push(run[0]);
        } else {
            lines.push(run);
        }
    }
    (lines, dots)
}

/// Draws one state-variable panel: the traces `traces` chooses, anti-aliased.
fn draw_signal(
    root: &Area<'_>,
    panel: &Area<'_>,
    sig: &AnalogSignal,
    t_range: Range<f64>,
    traces: Traces,
) -> Result<(), String> {
    let n = sig.neurons.len().min(sig.values.len());
    let shown = traces.indices(n);
    let y_range = value_range(sig.values[shown.clone()].iter());
    let area = captioned(root, panel, &signal_caption(sig, shown.len()))?;
    let mut chart = ChartBuilder::on(&area)
        .margin_left(10)
        .margin_right(30)
        .x_label_area_size(TICK_LABEL_AREA + AXIS_NAME_HEIGHT)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(t_range.clone(), y_range)
        .map_err(msg)?;
    draw_mesh(root, &mut chart, 11, false)?;

    let px = chart.plotting_area().get_pixel_range();
    let map = PixelMap::of(&chart);
    let columns = chart.plotting_area().dim_in_pixel().0 as usize;
    let mut cover = Coverage::new(&px);
    for (j, i) in shown.enumerate() {
        let points = decimate(&sig.times_ms, &sig.values[i], &t_range, columns);
        let (lines, dots) = trace_pieces(&points);
        for line in lines {
            let line: Vec<(f64, f64)> = line.iter().map(|&p| map.at(p)).collect();
            cover.polyline(&line, TRACE_HALF_WIDTH);
        }
        for p in dots {
            cover.disc(map.at(p), SAMPLE_DOT_RADIUS, None);
        }
        cover.flush(root, TRACE_COLORS[j % TRACE_COLORS.len()], 0.9)?;
    }
    axis_names(root, px, frame(panel).0 .0, &signal_axis_name(sig))
}

/// Draws the spike raster panel: a translucent dot per spike, the same for every raster.
fn draw_raster(
    root: &Area<'_>,
    panel: &Area<'_>,
    pop: &PopulationData,
    duration_ms: f64,
    t_range: Range<f64>,
) -> Result<(), String> {
    let n_spikes: usize = pop.spiketrains.iter().map(|s| s.times_ms.len()).sum();
    let top_neuron = pop
        .spiketrains
        .iter()
        .map(|s| s.neuron as usize)
        .max()
        .unwrap_or(0)
        .max(pop.size.saturating_sub(1));
    let rows = top_neuron + 1;
    let cells = pop.spiketrains.len();
    let rate = if duration_ms > 0.0 && cells > 0 {
        n_spikes as f64 / cells as f64 / (duration_ms / 1000.0)
    } else {
        0.0
    };
    let caption = format!(
        "spikes: {} from {} (mean rate {} Hz)",
        n_spikes,
        count(cells as u64, "recorded cell"),
        fixed(rate, 2)
    );
    let area = captioned(root, panel, &caption)?;
    let y_range = -0.5..(top_neuron as f64 + 0.5);
    let mut chart = ChartBuilder::on(&area)
        .margin_left(10)
        .margin_right(30)
        .x_label_area_size(TICK_LABEL_AREA + AXIS_NAME_HEIGHT)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(t_range.clone(), y_range.clone())
        .map_err(msg)?;
    // Neuron indices are whole numbers: no label between rows.
    draw_mesh(root, &mut chart, rows.clamp(2, 11), true)?;
    let px = chart.plotting_area().get_pixel_range();
    axis_names(root, px.clone(), frame(panel).0 .0, RASTER_AXIS_NAME)?;

    if n_spikes == 0 {
        let centre = Place {
            x: (px.0.start + px.0.end) / 2,
            y: (px.1.start + px.1.end) / 2,
            h: HPos::Center,
            vertical: false,
        };
        return draw_text(root, "no spikes", 26.0, centre, RGBColor(110, 110, 110));
    }

    let map = PixelMap::of(&chart);
    let mut cover = Coverage::new(&px);
    for s in &pop.spiketrains {
        for &t in &s.times_ms {
            let p = map.at((t, f64::from(s.neuron)));
            cover.disc(p, RASTER_DOT_RADIUS, Some(RASTER_DOT_OPACITY));
        }
    }
    cover.flush(root, RASTER_COLOR, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::{EventCounts, SpikeTrain};

    /// `n` cells whose v rises from -65 toward -64 mV as v(t) = -64 - exp(-t/10), each shifted a
    /// little so the traces are distinguishable.
    fn v_signal(n: usize, steps: usize, dt: f64) -> AnalogSignal {
        let times: Vec<f64> = (0..=steps).map(|k| k as f64 * dt).collect();
        AnalogSignal {
            name: "v".into(),
            units: "mV".into(),
            sampling_period_ms: dt,
            neurons: (0..n as u32).collect(),
            values: (0..n)
                .map(|i| {
                    times
                        .iter()
                        .map(|t| -64.0 - (-t / (10.0 + i as f64 * 0.1)).exp())
                        .collect()
                })
                .collect(),
            times_ms: times,
        }
    }

    fn isyn_signal(n: usize, steps: usize, dt: f64) -> AnalogSignal {
        let times: Vec<f64> = (0..=steps).map(|k| k as f64 * dt).collect();
        AnalogSignal {
            name: "isyn_exc".into(),
            units: "nA".into(),
            sampling_period_ms: dt,
            neurons: (0..n as u32).collect(),
            values: (0..n)
                .map(|i| {
                    times
                        .iter()
                        .map(|t| {
                            let s = (t - 10.0 * i as f64).max(0.0);
                            if t >= &(10.0 * i as f64) {
                                0.5 * (-s / 5.0).exp()
                            } else {
                                0.0
                            }
                        })
                        .collect()
                })
                .collect(),
            times_ms: times,
        }
    }

    fn block() -> DataBlock {
        let dt = 0.1;
        let steps = 1000;
        let traces = PopulationData {
            label: "exc cells".into(),
            size: 100,
            cell_type: "IF_curr_exp".into(),
            spike_count: 0,
            records_spikes: true,
            spiketrains: (0..100)
                .map(|n| SpikeTrain {
                    neuron: n,
                    times_ms: vec![],
                })
                .collect(),
            signals: vec![v_signal(100, steps, dt), isyn_signal(5, steps, dt)],
        };
        let spiking = PopulationData {
            label: "inputs".into(),
            size: 30,
            cell_type: "SpikeSourceArray".into(),
            spike_count: 90,
            records_spikes: true,
            spiketrains: (0..30)
                .map(|n| SpikeTrain {
                    neuron: n,
                    times_ms: (0..3).map(|k| 5.0 + 30.0 * k as f64 + n as f64).collect(),
                })
                .collect(),
            signals: vec![],
        };
        let silent = PopulationData {
            label: "unrecorded".into(),
            size: 10,
            cell_type: "IF_curr_exp".into(),
            spike_count: 0,
            records_spikes: false,
            spiketrains: vec![],
            signals: vec![],
        };
        let big = PopulationData {
            label: "big/pop".into(),
            size: 4000,
            cell_type: "IF_curr_exp".into(),
            spike_count: 8000,
            records_spikes: true,
            spiketrains: (0..4000)
                .map(|n| SpikeTrain {
                    neuron: n,
                    times_ms: vec![(n as f64 * 7.3) % 100.0, (n as f64 * 3.1 + 50.0) % 100.0],
                })
                .collect(),
            signals: vec![v_signal(150, steps, dt)],
        };
        DataBlock {
            backend: "exact".into(),
            seed: 1,
            timestep_ms: dt,
            duration_ms: steps as f64 * dt,
            populations: vec![traces, spiking, silent, big],
            events: EventCounts::default(),
            wall_time_s: 0.0,
            build_time_s: 0.0,
        }
    }

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            &bytes[..8],
            b"\x89PNG\r\n\x1a\n",
            "{} is not a PNG",
            path.display()
        );
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        (w, h)
    }

    #[test]
    fn one_png_per_recording_population_with_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        let b = block();
        let paths = plot_block(&b, dir.path()).unwrap();
        let names: Vec<_> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["exc_cells.png", "inputs.png", "big_pop.png"]);
        // Two trace panels and a raster.
        assert_eq!(
            png_size(&paths[0]),
            (WIDTH, TITLE_HEIGHT + 2 * TRACE_HEIGHT + RASTER_HEIGHT)
        );
        // Only the raster.
        assert_eq!(png_size(&paths[1]), (WIDTH, TITLE_HEIGHT + RASTER_HEIGHT));
        // No temporary file is left behind.
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count();
        assert_eq!(leftovers, 0);
        // To look at the figures: EXACTLIF_PLOT_DIR=/tmp/plots cargo test --lib plot::
        if let Ok(out) = std::env::var("EXACTLIF_PLOT_DIR") {
            plot_block(&b, Path::new(&out)).unwrap();
        }
    }

    #[test]
    fn population_recording_nothing_has_no_figure() {
        let b = block();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        let err =
            plot_population(&b, &b.populations[2], &path, &PlotOptions::default()).unwrap_err();
        assert!(matches!(err, PlotError::NothingRecorded { .. }), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn labels_are_sanitised() {
        assert_eq!(sanitise("exc cells/1.α"), "exc_cells_1__");
        assert_eq!(sanitise("a-b_C9"), "a-b_C9");
        assert_eq!(sanitise(""), "_");
    }

    /// A block of populations with these labels, each recording spikes (none fired).
    fn labelled(labels: &[&str]) -> DataBlock {
        let mut b = block();
        b.populations = labels
            .iter()
            .map(|l| PopulationData {
                label: l.to_string(),
                size: 1,
                cell_type: "IF_curr_exp".into(),
                spike_count: 0,
                records_spikes: true,
                spiketrains: vec![SpikeTrain {
                    neuron: 0,
                    times_ms: vec![],
                }],
                signals: vec![],
            })
            .collect();
        b
    }

    /// Issue 14: "a/b", "a_b", "a b" and "a:b" all became `a_b.png` (and two non-Latin labels
    /// of equal length one `__.png`), each figure overwriting the last. Names are now unique,
    /// also ignoring case, and a label whose name is not shared keeps its plain name.
    #[test]
    fn figure_names_never_collide() {
        let labels = [
            "a/b", "a_b", "a b", "a:b", "αβ", "γδ", "exc", "A_B", "a_b.1", "x", "X",
        ];
        let names: Vec<String> = figure_names(&labelled(&labels))
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(
            names,
            [
                "a_b.0.png",
                "a_b.1.png",
                "a_b.2.png",
                "a_b.3.png",
                "__.4.png",
                "__.5.png",
                "exc.png",
                "A_B.7.png",
                "a_b_1.png",
                "x.9.png",
                "X.10.png"
            ]
        );
        let distinct: std::collections::HashSet<String> =
            names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(distinct.len(), names.len());
        // The figures are all written: as many files as names.
        let dir = tempfile::tempdir().unwrap();
        let paths = plot_block(&labelled(&labels), dir.path()).unwrap();
        assert_eq!(paths.len(), labels.len());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), labels.len());
    }

    /// Issue 14: a long label made a file name of any length and a title wider than the figure.
    #[test]
    fn long_labels_are_shortened() {
        let long = "a population with a very long label, ".repeat(6);
        let b = labelled(&[&long, &format!("{long}, the second")]);
        let names = figure_names(&b);
        for (_, n) in &names {
            assert!(n.chars().count() <= MAX_STEM_CHARS + ".1.png".len(), "{n}");
        }
        // Equal once cut: told apart by their indices.
        assert_ne!(names[0].1, names[1].1);
        let title = figure_title(&b, &b.populations[0]).unwrap();
        assert!(title.contains('…'), "{title}");
        assert!(text_width(&title, TITLE_SIZE).unwrap() <= WIDTH as f32 - 40.0);
        assert!(
            title.ends_with("— IF_curr_exp, 1 cell (exact backend, 100 ms)"),
            "{title}"
        );
        // A short label is kept whole.
        let b = labelled(&["exc"]);
        assert_eq!(
            figure_title(&b, &b.populations[0]).unwrap(),
            "exc — IF_curr_exp, 1 cell (exact backend, 100 ms)"
        );
    }

    #[test]
    fn ranges_and_subsets() {
        assert_eq!(value_range([vec![-65.0, -65.0]].iter()), -68.25..-61.75);
        assert_eq!(value_range([vec![0.0]].iter()), -1.0..1.0);
        assert_eq!(value_range([vec![f64::NAN]].iter()), -1.0..1.0);
        let r = value_range([vec![0.0, 10.0]].iter());
        assert_eq!(r, -0.5..10.5);
    }

    /// Issue 14: up to 100 traces were drawn, an unreadable tangle; now the first
    /// [`DEFAULT_TRACES`] recorded cells by default, or as many as asked.
    #[test]
    fn at_most_a_handful_of_traces_by_default() {
        assert_eq!(Traces::default(), Traces::First(5));
        assert_eq!(Traces::default().indices(4000), 0..5);
        assert_eq!(Traces::default().indices(3), 0..3);
        assert_eq!(Traces::First(20).indices(100), 0..20);
        assert_eq!(Traces::All.indices(4000), 0..4000);
        assert_eq!("all".parse::<Traces>(), Ok(Traces::All));
        assert_eq!("ALL".parse::<Traces>(), Ok(Traces::All));
        assert_eq!("12".parse::<Traces>(), Ok(Traces::First(12)));
        for bad in ["0", "-1", "five", ""] {
            assert!(bad.parse::<Traces>().is_err(), "{bad}");
        }
        assert_eq!(Traces::default().to_string(), "5");
        let sig = v_signal(100, 10, 0.1);
        assert_eq!(signal_caption(&sig, 5), "v, first 5 of 100 recorded cells");
        assert_eq!(signal_caption(&sig, 100), "v, all 100 recorded cells");
    }

    /// The figure of `pop` drawn into memory: RGB bytes and width.
    fn render(block: &DataBlock, pop: &PopulationData, options: &PlotOptions) -> (Vec<u8>, u32) {
        ensure_font().unwrap();
        let (w, h) = figure_size(pop);
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            draw_figure(&root, block, pop, options).unwrap();
            root.present().unwrap();
        }
        (buf, w)
    }

    fn rgb(buf: &[u8], w: u32, x: i32, y: i32) -> [u8; 3] {
        let k = 3 * (y as usize * w as usize + x as usize);
        [buf[k], buf[k + 1], buf[k + 2]]
    }

    /// Whether a pixel is coloured (not grey: neither the white ground, the grid, the axes
    /// nor the text).
    fn coloured(p: [u8; 3]) -> bool {
        let (lo, hi) = (p.iter().min().unwrap(), p.iter().max().unwrap());
        hi - lo > 40
    }

    /// A population of one cell recording v (these samples) and spikes (none).
    fn one_trace_population(times: Vec<f64>, values: Vec<f64>) -> PopulationData {
        PopulationData {
            label: "c".into(),
            size: 1,
            cell_type: "IF_curr_exp".into(),
            spike_count: 0,
            records_spikes: true,
            spiketrains: vec![SpikeTrain {
                neuron: 0,
                times_ms: vec![],
            }],
            signals: vec![AnalogSignal {
                name: "v".into(),
                units: "mV".into(),
                sampling_period_ms: 0.1,
                times_ms: times,
                neurons: vec![0],
                values: vec![values],
            }],
        }
    }

    /// Issue 14: a trace of one sample (a run of duration 0) was a line of one point, which
    /// draws nothing: the panel was empty. It is now a dot.
    #[test]
    fn one_sample_trace_is_drawn() {
        let mut b = block();
        b.duration_ms = 0.0;
        let pop = one_trace_population(vec![0.0], vec![-65.0]);
        let (buf, w) = render(&b, &pop, &PlotOptions::default());
        let panel = (TITLE_HEIGHT as i32)..(TITLE_HEIGHT + TRACE_HEIGHT) as i32;
        let dots = panel
            .flat_map(|y| (0..w as i32).map(move |x| (x, y)))
            .filter(|&(x, y)| coloured(rgb(&buf, w, x, y)))
            .count();
        assert!(dots >= 12, "{dots} coloured pixels");
        // A sample standing between non-finite ones too.
        let (lines, dots) = trace_pieces(&[
            (0.0, 1.0),
            (1.0, f64::NAN),
            (2.0, 3.0),
            (3.0, f64::INFINITY),
        ]);
        assert!(lines.is_empty());
        assert_eq!(dots, [(0.0, 1.0), (2.0, 3.0)]);
    }

    /// Issue 14: traces were drawn through whole pixels, so a slow ramp was a staircase. The
    /// coverage of each pixel now follows the exact position: a line a quarter pixel lower
    /// covers the pixels differently, with partial coverage at its edges.
    #[test]
    fn traces_are_anti_aliased() {
        let px = (0..40, 0..40);
        let column = |y: f64| {
            let mut c = Coverage::new(&px);
            c.polyline(&[(2.0, y), (30.0, y)], TRACE_HALF_WIDTH);
            (15..25)
                .map(|j| c.cov[c.index(10, j).unwrap()])
                .collect::<Vec<f32>>()
        };
        let (a, b) = (column(20.0), column(20.25));
        assert_ne!(a, b);
        for col in [&a, &b] {
            assert!(col.iter().any(|&c| c > 0.0 && c < 1.0), "{col:?}");
            let total: f32 = col.iter().sum();
            assert!(
                (total - 2.0 * TRACE_HALF_WIDTH as f32).abs() < 0.05,
                "{col:?}"
            );
        }
        // In a figure: a ramp leaves blended pixels along it, not only full colour.
        let times: Vec<f64> = (0..=1000).map(|k| k as f64 * 0.1).collect();
        let values: Vec<f64> = times.iter().map(|t| -65.0 + 0.01 * t).collect();
        let pop = one_trace_population(times, values);
        let (buf, w) = render(&block(), &pop, &PlotOptions::default());
        let shades: std::collections::HashSet<[u8; 3]> = (TITLE_HEIGHT as i32
            ..(TITLE_HEIGHT + TRACE_HEIGHT) as i32)
            .flat_map(|y| (0..w as i32).map(move |x| (x, y)))
            .map(|(x, y)| rgb(&buf, w, x, y))
            .filter(|&p| coloured(p))
            .collect();
        assert!(shades.len() >= 10, "{} shades of the trace", shades.len());
    }

    /// Issue 14: the raster's mark changed with density (ticks up to 60 rows, then dots of
    /// two sizes, then single translucent pixels above 20 000 spikes), so the figures of one
    /// run disagreed. A lone spike now looks the same in a sparse and a dense raster.
    #[test]
    fn raster_marker_does_not_change_with_density() {
        let lone = |pop: &PopulationData| {
            let (buf, w) = render(&block(), pop, &PlotOptions::default());
            // The lone spike is at 80 ms, alone in the right part of the raster.
            let x_from = (w as f64 * 0.70) as i32;
            let top = TITLE_HEIGHT as i32;
            let pixels: Vec<[u8; 3]> = (top..top + RASTER_HEIGHT as i32)
                .flat_map(|y| (x_from..w as i32).map(move |x| (x, y)))
                .map(|(x, y)| rgb(&buf, w, x, y))
                .filter(|&p| coloured(p))
                .collect();
            let darkest = pixels
                .iter()
                .map(|p| p.iter().map(|&c| u32::from(c)).sum::<u32>())
                .min()
                .unwrap();
            (pixels.len(), darkest)
        };
        let raster = |size: usize, dense: usize| PopulationData {
            label: "r".into(),
            size,
            cell_type: "SpikeSourceArray".into(),
            spike_count: 0,
            records_spikes: true,
            spiketrains: (0..size as u32)
                .map(|n| SpikeTrain {
                    neuron: n,
                    times_ms: if n as usize == size / 2 {
                        vec![80.0]
                    } else if (n as usize) < dense {
                        vec![5.0 + (n as f64 * 0.37) % 50.0]
                    } else {
                        vec![]
                    },
                })
                .collect(),
            signals: vec![],
        };
        let sparse = lone(&raster(10, 0));
        let dense = lone(&raster(100_000, 40_000));
        assert!((6..=20).contains(&sparse.0), "{sparse:?}");
        assert!(sparse.0.abs_diff(dense.0) <= 4, "{sparse:?} vs {dense:?}");
        assert!(sparse.1.abs_diff(dense.1) <= 60, "{sparse:?} vs {dense:?}");
    }

    /// Issue 14: only the bottom panel named its time axis, and the v axis was "v (mV)".
    /// Every panel now has PyNN's "Time (ms)" under it; v is "Membrane potential (mV)".
    #[test]
    fn every_panel_names_its_time_axis_as_pynn_does() {
        let b = block();
        let pop = &b.populations[0]; // v, isyn_exc and spikes
        let (buf, w) = render(&b, pop, &PlotOptions::default());
        let mut bottom = TITLE_HEIGHT as i32;
        for height in [TRACE_HEIGHT, TRACE_HEIGHT, RASTER_HEIGHT] {
            bottom += height as i32;
            let centre = w as i32 / 2 + 35;
            let ink = (bottom - AXIS_NAME_HEIGHT as i32..bottom)
                .flat_map(|y| (centre - 60..centre + 60).map(move |x| (x, y)))
                .filter(|&(x, y)| rgb(&buf, w, x, y).iter().all(|&c| c < 100))
                .count();
            assert!(
                ink > 50,
                "no axis name above y = {bottom}: {ink} dark pixels"
            );
        }
        assert_eq!(signal_axis_name(&pop.signals[0]), "Membrane potential (mV)");
        assert_eq!(signal_axis_name(&pop.signals[1]), "isyn_exc (nA)");
        assert_eq!(
            (TIME_AXIS_NAME, RASTER_AXIS_NAME),
            ("Time (ms)", "Neuron index")
        );
    }

    #[test]
    fn tick_labels_are_short_and_uniform() {
        assert_eq!(tick_labels(&[0.0, 200.0, 400.0]), ["0", "200", "400"]);
        assert_eq!(
            tick_labels(&[-64.4, -64.2, -64.0]),
            ["-64.4", "-64.2", "-64.0"]
        );
        assert_eq!(tick_labels(&[0.0, 0.05, 0.1]), ["0.00", "0.05", "0.10"]);
        assert_eq!(
            tick_labels(&[-1e-17, 2.5e-6, 5e-6]),
            ["0", "2.5e-6", "5.0e-6"]
        );
        assert_eq!(tick_labels(&[0.0, 1e6, 2e6]), ["0", "1e6", "2e6"]);
        assert_eq!(tick_labels(&[3.0]), ["3"]);
    }

    #[test]
    fn decimation_keeps_extremes() {
        let times: Vec<f64> = (0..10_000).map(|k| k as f64 * 0.01).collect();
        let mut values = vec![0.0; 10_000];
        values[5_003] = 7.0;
        values[7_001] = -3.0;
        let d = decimate(&times, &values, &(0.0..100.0), 100);
        assert!(d.len() <= 400);
        assert!(d.contains(&(times[5_003], 7.0)));
        assert!(d.contains(&(times[7_001], -3.0)));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
