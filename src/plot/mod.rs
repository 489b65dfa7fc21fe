//! Figures of a run, in the spirit of `pyNN.utility.plotting`: one PNG per population, with a
//! panel per recorded state variable (every recorded cell's trace, or a readable subset) above
//! a spike raster, all on one time axis from 0 to the run's duration.
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
/// Height of one state-variable panel (px).
const TRACE_HEIGHT: u32 = 300;
/// Height of the raster panel (px).
const RASTER_HEIGHT: u32 = 340;
/// Extra height under the bottom panel for the time-axis name (px).
const BOTTOM_EXTRA: u32 = 28;
/// Height of the band holding a panel's caption (px).
const CAPTION_HEIGHT: u32 = 32;
/// Height of the tick-label area under each panel (px).
const TICK_LABEL_AREA: u32 = 30;
/// Width of the y-axis label area, the same on every panel so that time axes line up (px).
const Y_LABEL_AREA: u32 = 90;
/// Above this many recorded cells, only a subset of traces is drawn.
const MAX_TRACES_ALL: usize = 100;
/// Number of traces drawn when only a subset is shown.
const SUBSET_TRACES: usize = 20;
/// Above this many spikes, the raster draws a pixel per spike rather than a dot.
const DOTS_MAX_SPIKES: usize = 20_000;
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

/// Turns a label into a file stem: characters outside `[A-Za-z0-9_-]` become `_`.
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
    if s.is_empty() {
        "_".to_string()
    } else {
        s
    }
}

/// Draws one figure per population that records anything into `dir` (created if needed), as
/// `<label>.png` with the label sanitised to `[A-Za-z0-9_-]`. Returns the paths written, in
/// population order.
pub fn plot_block(block: &DataBlock, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths = Vec::new();
    for pop in block.populations.iter().filter(|p| records_anything(p)) {
        let path = dir.join(format!("{}.png", sanitise(&pop.label)));
        plot_population(block, pop, &path)?;
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
) -> Result<(), PlotError> {
    if !records_anything(pop) {
        return Err(PlotError::NothingRecorded {
            label: pop.label.clone(),
        });
    }
    let n_panels = pop.signals.len() + usize::from(pop.records_spikes);
    let height = TITLE_HEIGHT
        + TRACE_HEIGHT * pop.signals.len() as u32
        + if pop.records_spikes { RASTER_HEIGHT } else { 0 }
        + BOTTOM_EXTRA;
    write_png(path, (WIDTH, height), |root| {
        draw_figure(root, block, pop, n_panels)
    })
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
    let scaled = font.as_scaled(PxScale::from(size));
    // Lay the glyphs out on a baseline at y = ascent, x from 0.
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
    let width = pen;
    let height = scaled.ascent() - scaled.descent();
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
/// name at the left edge of the panel (`panel_x`), the time axis below if `time_axis`.
fn axis_names(
    root: &Area<'_>,
    px: (Range<i32>, Range<i32>),
    panel_x: i32,
    y_name: &str,
    time_axis: bool,
) -> Result<(), String> {
    let (xs, ys) = px;
    let left = Place {
        x: panel_x + 24,
        y: (ys.start + ys.end) / 2,
        h: HPos::Center,
        vertical: true,
    };
    draw_text(root, y_name, 17.0, left, BLACK)?;
    if time_axis {
        let below = Place {
            x: (xs.start + xs.end) / 2,
            y: ys.end + TICK_LABEL_AREA as i32 + 12,
            h: HPos::Center,
            vertical: false,
        };
        draw_text(root, "time (ms)", 17.0, below, BLACK)?;
    }
    Ok(())
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

/// Draws the whole figure on `root`.
fn draw_figure(
    root: &Area<'_>,
    block: &DataBlock,
    pop: &PopulationData,
    n_panels: usize,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(msg)?;
    let (title_area, body) = root.split_vertically(TITLE_HEIGHT);
    let title = format!(
        "{} — {}, {} cell{} ({} backend, {} ms)",
        pop.label,
        pop.cell_type,
        pop.size,
        if pop.size == 1 { "" } else { "s" },
        block.backend,
        fmt_num(block.duration_ms),
    );
    let ((x0, y0), (w, h)) = frame(&title_area);
    let place = Place {
        x: x0 + w / 2,
        y: y0 + h / 2,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, &title, 26.0, place, BLACK)?;

    let t_range = time_range(block.duration_ms);
    let mut rest = body;
    for (i, sig) in pop.signals.iter().enumerate() {
        let last = i + 1 == n_panels;
        let h = TRACE_HEIGHT + if last { BOTTOM_EXTRA } else { 0 };
        let (panel, below) = rest.split_vertically(h);
        draw_signal(root, &panel, sig, t_range.clone(), last)?;
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

/// A number in its shortest plain form (`100`, `2.5`).
fn fmt_num(x: f64) -> String {
    format!("{x}")
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

/// Indices of the cells whose traces are drawn: all up to [`MAX_TRACES_ALL`], otherwise
/// [`SUBSET_TRACES`] evenly spread over the recorded cells (first and last included).
fn trace_subset(n: usize) -> Vec<usize> {
    if n <= MAX_TRACES_ALL {
        (0..n).collect()
    } else {
        let k = SUBSET_TRACES;
        (0..k).map(|j| j * (n - 1) / (k - 1)).collect()
    }
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

/// The caption of a trace panel, e.g. `v (mV), 20 of 4000 cells shown`.
fn signal_caption(sig: &AnalogSignal, shown: usize) -> String {
    let n = sig.neurons.len().min(sig.values.len());
    let what = format!("{} ({})", sig.name, sig.units);
    if shown < n {
        format!("{what}, {shown} of {n} cells shown")
    } else if n == 1 {
        format!("{what}, 1 cell")
    } else {
        format!("{what}, all {n} cells")
    }
}

/// Draws one state-variable panel.
fn draw_signal(
    root: &Area<'_>,
    panel: &Area<'_>,
    sig: &AnalogSignal,
    t_range: Range<f64>,
    bottom: bool,
) -> Result<(), String> {
    let n = sig.neurons.len().min(sig.values.len());
    let subset = trace_subset(n);
    let y_range = value_range(subset.iter().map(|&i| &sig.values[i]));
    let area = captioned(root, panel, &signal_caption(sig, subset.len()))?;
    let mut chart = ChartBuilder::on(&area)
        .margin_left(10)
        .margin_right(30)
        .x_label_area_size(TICK_LABEL_AREA + if bottom { BOTTOM_EXTRA } else { 0 })
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(t_range.clone(), y_range)
        .map_err(msg)?;
    draw_mesh(root, &mut chart, 11, false)?;

    let columns = chart.plotting_area().dim_in_pixel().0 as usize;
    for (j, &i) in subset.iter().enumerate() {
        let color = TRACE_COLORS[j % TRACE_COLORS.len()].mix(0.9);
        let mut points = decimate(&sig.times_ms, &sig.values[i], &t_range, columns);
        points.retain(|(_, v)| v.is_finite());
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(1)))
            .map_err(msg)?;
    }
    let y_name = format!("{} ({})", sig.name, sig.units);
    axis_names(
        root,
        chart.plotting_area().get_pixel_range(),
        frame(panel).0 .0,
        &y_name,
        bottom,
    )
}

/// Draws the spike raster panel (always the bottom one).
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
        "spikes: {} from {} recorded cell{} (mean rate {:.2} Hz)",
        n_spikes,
        cells,
        if cells == 1 { "" } else { "s" },
        rate
    );
    let area = captioned(root, panel, &caption)?;
    let y_range = -0.5..(top_neuron as f64 + 0.5);
    let mut chart = ChartBuilder::on(&area)
        .margin_left(10)
        .margin_right(30)
        .x_label_area_size(TICK_LABEL_AREA + BOTTOM_EXTRA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(t_range.clone(), y_range.clone())
        .map_err(msg)?;
    // Neuron indices are whole numbers: no label between rows.
    draw_mesh(root, &mut chart, rows.clamp(2, 11), true)?;
    let px = chart.plotting_area().get_pixel_range();
    axis_names(root, px.clone(), frame(panel).0 .0, "neuron index", true)?;

    if n_spikes == 0 {
        let centre = Place {
            x: (px.0.start + px.0.end) / 2,
            y: (px.1.start + px.1.end) / 2,
            h: HPos::Center,
            vertical: false,
        };
        return draw_text(root, "no spikes", 26.0, centre, RGBColor(110, 110, 110));
    }

    let color = RASTER_COLOR;
    let spikes = pop
        .spiketrains
        .iter()
        .flat_map(|s| s.times_ms.iter().map(move |&t| (t, s.neuron as f64)));
    if rows <= 60 {
        // Few rows: a vertical tick per spike, like a classic raster.
        chart
            .draw_series(
                spikes.map(|(t, y)| PathElement::new(vec![(t, y - 0.35), (t, y + 0.35)], color)),
            )
            .map_err(msg)?;
    } else if n_spikes <= DOTS_MAX_SPIKES {
        // Many rows: a small dot per spike.
        let r = if rows <= 400 { 2 } else { 1 };
        chart
            .draw_series(spikes.map(|p| Circle::new(p, r, color.filled())))
            .map_err(msg)?;
    } else {
        // Very many spikes: one translucent pixel each, so that density still shows.
        chart
            .draw_series(spikes.map(|p| Pixel::new(p, color.mix(0.45))))
            .map_err(msg)?;
    }
    Ok(())
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
            (
                WIDTH,
                TITLE_HEIGHT + 2 * TRACE_HEIGHT + RASTER_HEIGHT + BOTTOM_EXTRA
            )
        );
        // Only the raster.
        assert_eq!(
            png_size(&paths[1]),
            (WIDTH, TITLE_HEIGHT + RASTER_HEIGHT + BOTTOM_EXTRA)
        );
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
        let err = plot_population(&b, &b.populations[2], &path).unwrap_err();
        assert!(matches!(err, PlotError::NothingRecorded { .. }), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn labels_are_sanitised() {
        assert_eq!(sanitise("exc cells/1.α"), "exc_cells_1__");
        assert_eq!(sanitise("a-b_C9"), "a-b_C9");
        assert_eq!(sanitise(""), "_");
    }

    #[test]
    fn ranges_and_subsets() {
        assert_eq!(value_range([vec![-65.0, -65.0]].iter()), -68.25..-61.75);
        assert_eq!(value_range([vec![0.0]].iter()), -1.0..1.0);
        assert_eq!(value_range([vec![f64::NAN]].iter()), -1.0..1.0);
        let r = value_range([vec![0.0, 10.0]].iter());
        assert_eq!(r, -0.5..10.5);
        assert_eq!(trace_subset(3), vec![0, 1, 2]);
        let s = trace_subset(4000);
        assert_eq!(s.len(), SUBSET_TRACES);
        assert_eq!((s[0], s[SUBSET_TRACES - 1]), (0, 3999));
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
