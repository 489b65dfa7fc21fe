//! The figure of a convergence study, `converge.png` ([`plot_study`]): log-log, the mean
//! absolute spike-time error against the step with the fitted orders in the legend, and the
//! missed + extra spikes against the step.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::{draw_text, frame, Area, Place, PlotError};
use crate::converge::{RowValue, Study, STEP_BACKENDS};
use crate::io::text::number;

/// Figure width (px).
const FIG_WIDTH: u32 = 1400;
/// Figure height (px).
const FIG_HEIGHT: u32 = 640;
/// Height of the title band (px).
const FIG_TITLE: u32 = 64;
/// Margins of each chart inside its panel (px): left (tick labels and axis name), right,
/// top (caption), bottom (tick labels and axis name).
const MARGIN: (u32, u32, u32, u32) = (100, 30, 44, 76);

/// Colour and marker of a backend.
fn style_of(backend: &str) -> (RGBColor, bool) {
    match backend {
        "grid" => (RGBColor(31, 119, 180), true),
        _ => (RGBColor(214, 39, 40), false),
    }
}

/// Decade-based ticks for a log10 axis over `range` (log10 units): labelled ticks (at
/// 1, 2 and 5 times powers of ten when the axis spans less than two and a half decades, at 1
/// and 3 times powers of ten below five decades, else at powers of ten) and unlabelled minor
/// ticks (every other integer times a power of ten).
fn log_ticks(range: &Range<f64>) -> (Vec<f64>, Vec<f64>) {
    let span = range.end - range.start;
    let mantissas: &[f64] = if span < 2.5 {
        &[1.0, 2.0, 5.0]
    } else if span < 5.0 {
        &[1.0, 3.0]
    } else {
        &[1.0]
    };
    let (mut major, mut minor) = (Vec::new(), Vec::new());
    for k in (range.start.floor() as i32 - 1)..=(range.end.ceil() as i32) {
        for m in 1..10 {
            let x = (m as f64).log10() + k as f64;
            if x < range.start - 1e-9 || x > range.end + 1e-9 {
                continue;
            }
            if mantissas.contains(&(m as f64)) {
                major.push(x);
            } else {
                minor.push(x);
            }
        }
    }
    (major, minor)
}

/// The label of a tick at `10^x` with `x = log10(m) + k`: plain (`0.05`, `2`, `100`) from 1e-3
/// to 1e4, `me-k` outside.
fn log_label(x: f64) -> String {
    let k = x.floor();
    let m = 10f64.powf(x - k).round() as i64;
    let k = k as i32;
    if (-3..=4).contains(&k) {
        if k >= 0 {
            format!("{}", m * 10i64.pow(k as u32))
        } else {
            format!("{:.*}", (-k) as usize, m as f64 * 10f64.powi(k))
        }
    } else {
        format!("{m}e{k}")
    }
}

/// A log10 range holding `lo ..= hi` (positive values) with some room, at least one decade.
fn log_range(lo: f64, hi: f64) -> Range<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    let pad = 0.12 * (b - a).max(0.5);
    let (mut a, mut b) = (a - pad, b + pad);
    if b - a < 1.0 {
        let mid = (a + b) / 2.0;
        a = mid - 0.5;
        b = mid + 0.5;
    }
    a..b
}

type LogChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One panel's chart with a log-log frame: grid lines, frame, tick labels (y labels given by
/// `y_label`, `None` for an unlabelled tick), axis names and caption. Coordinates are log10.
#[allow(clippy::too_many_arguments)]
fn log_panel<'a, 'b>(
    root: &Area<'_>,
    panel: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    caption: &str,
    x: Range<f64>,
    y: Range<f64>,
    y_ticks: &[(f64, String)],
    y_minor: &[f64],
    y_name: &str,
) -> Result<LogChart<'a, 'b>, String> {
    let msg = |e: &dyn std::fmt::Display| e.to_string();
    let ((px0, py0), (pw, _)) = frame(panel);
    let chart = ChartBuilder::on(panel)
        .margin_left(MARGIN.0)
        .margin_right(MARGIN.1)
        .margin_top(MARGIN.2)
        .margin_bottom(MARGIN.3)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(|e| msg(&e))?;
    let (xmaj, xmin) = log_ticks(&x);
    let light = BLACK.mix(0.07);
    let bold = BLACK.mix(0.18);
    let area = chart.plotting_area().clone();
    for &t in &xmin {
        area.draw(&PathElement::new(vec![(t, y.start), (t, y.end)], light))
            .map_err(|e| msg(&e))?;
    }
    for &t in y_minor {
        area.draw(&PathElement::new(vec![(x.start, t), (x.end, t)], light))
            .map_err(|e| msg(&e))?;
    }
    for &t in &xmaj {
        area.draw(&PathElement::new(vec![(t, y.start), (t, y.end)], bold))
            .map_err(|e| msg(&e))?;
    }
    for (t, _) in y_ticks {
        area.draw(&PathElement::new(vec![(x.start, *t), (x.end, *t)], bold))
            .map_err(|e| msg(&e))?;
    }
    area.draw(&Rectangle::new(
        [(x.start, y.start), (x.end, y.end)],
        BLACK.stroke_width(1),
    ))
    .map_err(|e| msg(&e))?;
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    for &t in &xmaj {
        let (cx, _) = chart.backend_coord(&(t, y.start));
        let place = Place {
            x: cx,
            y: ys.end + 16,
            h: HPos::Center,
            vertical: false,
        };
        draw_text(root, &log_label(t), 16.0, place, BLACK)?;
    }
    for (t, label) in y_ticks {
        let (_, cy) = chart.backend_coord(&(x.start, *t));
        let place = Place {
            x: xs.start - 10,
            y: cy,
            h: HPos::Right,
            vertical: false,
        };
        draw_text(root, label, 16.0, place, BLACK)?;
    }
    let below = Place {
        x: (xs.start + xs.end) / 2,
        y: ys.end + 48,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, "step h (ms)", 18.0, below, BLACK)?;
    let left = Place {
        x: px0 + 22,
        y: (ys.start + ys.end) / 2,
        h: HPos::Center,
        vertical: true,
    };
    draw_text(root, y_name, 18.0, left, BLACK)?;
    let top = Place {
        x: px0 + pw / 2 + (MARGIN.0 as i32 - MARGIN.1 as i32) / 2,
        y: py0 + MARGIN.2 as i32 / 2,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, caption, 20.0, top, BLACK)?;
    Ok(chart)
}

/// Draws a backend's series: a line through the points (log10 coordinates) and a marker at
/// each (filled circle for grid, filled triangle for euler).
fn draw_series(
    root: &Area<'_>,
    chart: &LogChart<'_, '_>,
    backend: &str,
    pts: &[(f64, f64)],
) -> Result<(), String> {
    let (color, circle) = style_of(backend);
    chart
        .plotting_area()
        .draw(&PathElement::new(pts.to_vec(), color.stroke_width(2)))
        .map_err(|e| e.to_string())?;
    for p in pts {
        marker(root, chart.backend_coord(p), color, circle)?;
    }
    Ok(())
}

/// A marker centred on the absolute pixel `m`.
fn marker(root: &Area<'_>, m: (i32, i32), color: RGBColor, circle: bool) -> Result<(), String> {
    // The circle is larger than the triangle, so that a grid point under a euler point
    // still shows.
    if circle {
        root.draw(&Circle::new(m, 8, color.filled()))
            .map_err(|e| e.to_string())
    } else {
        root.draw(&Polygon::new(
            vec![(m.0, m.1 - 6), (m.0 - 6, m.1 + 4), (m.0 + 6, m.1 + 4)],
            color.filled(),
        ))
        .map_err(|e| e.to_string())
    }
}

/// A legend box at the top-left corner of the chart's plotting area: one entry per
/// `(backend or "" for a dashed guide, text)`.
fn legend(
    root: &Area<'_>,
    chart: &LogChart<'_, '_>,
    entries: &[(String, String)],
) -> Result<(), String> {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let font_px = 16.0;
    let row_h = 24;
    let width = entries
        .iter()
        .map(|(_, t)| t.chars().count() as i32 * 9 + 60)
        .max()
        .unwrap_or(100);
    let (x0, y0) = (xs.start + 12, ys.start + 12);
    let h = row_h * entries.len() as i32 + 10;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + width, y0 + h)],
        WHITE.mix(0.9).filled(),
    ))
    .map_err(|e| e.to_string())?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + width, y0 + h)],
        BLACK.mix(0.3).stroke_width(1),
    ))
    .map_err(|e| e.to_string())?;
    for (i, (backend, text)) in entries.iter().enumerate() {
        let cy = y0 + 5 + row_h * i as i32 + row_h / 2;
        let (lx0, lx1) = (x0 + 10, x0 + 44);
        if backend.is_empty() {
            dashed(root, (lx0, cy), (lx1, cy), RGBColor(110, 110, 110))?;
        } else {
            let (color, circle) = style_of(backend);
            root.draw(&PathElement::new(
                vec![(lx0, cy), (lx1, cy)],
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
            marker(root, ((lx0 + lx1) / 2, cy), color, circle)?;
        }
        let place = Place {
            x: lx1 + 10,
            y: cy,
            h: HPos::Left,
            vertical: false,
        };
        draw_text(root, text, font_px, place, BLACK)?;
    }
    Ok(())
}

/// A dashed line between two absolute pixels.
fn dashed(root: &Area<'_>, a: (i32, i32), b: (i32, i32), color: RGBColor) -> Result<(), String> {
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let len = (dx * dx + dy * dy).sqrt();
    let (dash, gap) = (8.0, 6.0);
    let mut s = 0.0;
    while s < len {
        let e = (s + dash).min(len);
        let p = |u: f64| {
            (
                a.0 + (dx * u / len).round() as i32,
                a.1 + (dy * u / len).round() as i32,
            )
        };
        root.draw(&PathElement::new(vec![p(s), p(e)], color.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        s += dash + gap;
    }
    Ok(())
}

/// Draws `converge.png` (written atomically): left, the mean absolute spike-time error against
/// the step, log-log, per backend, with the fitted order in the legend and a dashed slope-1
/// guide; right, missed + extra spikes against the step (log y, zero on its own row below 1).
pub fn plot_study(study: &Study, path: &Path) -> Result<(), PlotError> {
    super::write_png(path, (FIG_WIDTH, FIG_HEIGHT), |root| {
        draw_study(root, study)
    })
}

fn draw_study(root: &Area<'_>, study: &Study) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (title_area, body) = root.split_vertically(FIG_TITLE);
    let ((tx, ty), (tw, th)) = frame(&title_area);
    let stem = Path::new(&study.model)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| study.model.clone());
    let title = format!(
        "{stem}: step-based backends against the exact run ({} ms, spikes matched within {} ms)",
        number(study.duration_ms),
        number(study.tolerance_ms)
    );
    let place = Place {
        x: tx + tw / 2,
        y: ty + th / 2,
        h: HPos::Center,
        vertical: false,
    };
    draw_text(root, &title, 24.0, place, BLACK)?;
    let (left, right) = body.split_horizontally(FIG_WIDTH / 2);

    let h_lo = study.steps_ms.last().copied().unwrap_or(0.1);
    let h_hi = study.steps_ms.first().copied().unwrap_or(1.0);
    let x = log_range(h_lo, h_hi);

    // Left: spike-time error.
    let series = |get: RowValue| -> Vec<(String, Vec<(f64, f64)>)> {
        STEP_BACKENDS
            .iter()
            .map(|b| {
                let pts = study
                    .rows_of(b.name())
                    .filter_map(|r| get(r).filter(|e| *e > 0.0).map(|e| (r.step_ms, e)))
                    .collect();
                (b.name().to_string(), pts)
            })
            .collect()
    };
    let errs = series(|r| r.mean_abs_error_ms);
    let all: Vec<f64> = errs
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .collect();
    let (lo, hi) = if all.is_empty() {
        (0.01, 1.0)
    } else {
        (
            all.iter().copied().fold(f64::INFINITY, f64::min),
            all.iter().copied().fold(0.0, f64::max),
        )
    };
    let mut y = log_range(lo, hi);
    // Room for the legend at the top.
    y.end += 0.3 * (y.end - y.start);
    let (ymaj, ymin) = log_ticks(&y);
    let yt: Vec<(f64, String)> = ymaj.iter().map(|&t| (t, log_label(t))).collect();
    let chart = log_panel(
        root,
        &left,
        "spike-time error",
        x.clone(),
        y.clone(),
        &yt,
        &ymin,
        "mean |t_step - t_exact| (ms)",
    )?;
    // Slope-1 guide through the middle of the data, half a decade below it.
    if !all.is_empty() {
        let (x0, x1) = (h_lo.log10(), h_hi.log10());
        let ymid = (lo.log10() + hi.log10()) / 2.0 - 0.35;
        let xm = (x0 + x1) / 2.0;
        // y = ymid + (x - xm), clipped to the chart.
        let xa = x0.max(y.start - ymid + xm);
        let xb = x1.min(y.end - ymid + xm);
        if xa < xb {
            let a = chart.backend_coord(&(xa, ymid + (xa - xm)));
            let b = chart.backend_coord(&(xb, ymid + (xb - xm)));
            dashed(root, a, b, RGBColor(110, 110, 110))?;
        }
    }
    let mut entries = Vec::new();
    for (b, pts) in &errs {
        let log_pts: Vec<(f64, f64)> = pts.iter().map(|(h, e)| (h.log10(), e.log10())).collect();
        draw_series(root, &chart, b, &log_pts)?;
        let order = study
            .order(b, "mean_abs_error_ms")
            .map_or_else(|| "no fit".to_string(), |p| format!("fitted order {p:.2}"));
        entries.push((b.clone(), format!("{b}: {order}")));
    }
    entries.push((String::new(), "slope 1 (first order)".into()));
    legend(root, &chart, &entries)?;

    // Right: missed + extra.
    let counts: Vec<(String, Vec<(f64, u64)>)> = STEP_BACKENDS
        .iter()
        .map(|b| {
            let pts = study
                .rows_of(b.name())
                .filter_map(|r| match (r.missed, r.extra) {
                    (Some(m), Some(e)) => Some((r.step_ms, m + e)),
                    _ => None,
                })
                .collect();
            (b.name().to_string(), pts)
        })
        .collect();
    let cmax = counts
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .max()
        .unwrap_or(0)
        .max(10);
    // log10(count) for count >= 1; zero on its own row half a decade below 1.
    let zero_row = -0.6;
    let yc = zero_row - 0.25..(cmax as f64).log10() * 1.25 + 0.2;
    let (cmaj, cmin) = log_ticks(&(0.0..yc.end));
    let mut ct: Vec<(f64, String)> = vec![(zero_row, "0".into())];
    ct.extend(cmaj.iter().map(|&t| (t, log_label(t))));
    let chart = log_panel(
        root,
        &right,
        "spikes that do not match",
        x.clone(),
        yc.clone(),
        &ct,
        &cmin,
        "missed + extra spikes",
    )?;
    // The break between the zero row and 1.
    let a = chart.backend_coord(&(x.start, zero_row / 2.0));
    let b = chart.backend_coord(&(x.end, zero_row / 2.0));
    dashed(root, a, b, RGBColor(170, 170, 170))?;
    let mut entries = Vec::new();
    for (b, pts) in &counts {
        let log_pts: Vec<(f64, f64)> = pts
            .iter()
            .map(|&(h, c)| {
                (
                    h.log10(),
                    if c == 0 { zero_row } else { (c as f64).log10() },
                )
            })
            .collect();
        draw_series(root, &chart, b, &log_pts)?;
        entries.push((b.clone(), b.clone()));
    }
    legend(root, &chart, &entries)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_ticks() {
        assert_eq!(log_label(0.0), "1");
        assert_eq!(log_label(2f64.log10() - 2.0), "0.02");
        assert_eq!(log_label(5f64.log10() + 1.0), "50");
        assert_eq!(log_label(-6.0), "1e-6");
        let (major, minor) = log_ticks(&(-2.0..0.0));
        assert_eq!(major.len(), 7); // 0.01 0.02 0.05 0.1 0.2 0.5 1
        assert_eq!(minor.len(), 12);
    }
}
