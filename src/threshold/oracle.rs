//! The refined-peak oracle of the solvers' property tests (`threshold::tests`, `alpha`,
//! `forced`): it shares nothing with the solvers but the closed form of `v` and the sign of
//! `v'`. The sign of `v'` is scanned at given points, each change between two reliable signs
//! is bisected to adjacent floats and `v` is evaluated there: at a maximum found so, `v` is
//! within `dv_err^2 / |v''|` of the true peak, far below `v`'s own rounding. Between
//! consecutive critical points `v` is monotone, so the first rising piece whose end reaches a
//! threshold holds the first crossing.

/// A critical point of `v`: time, `v` there, and whether it is a maximum (`v'` goes from + to
/// -) or a minimum.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Critical {
    pub t: f64,
    pub v: f64,
    pub is_max: bool,
}

/// Bisection to adjacent floats: the first point of `(a, b]` where `inside(t)` is false,
/// given `inside(a)` and not `inside(b)`.
pub(crate) fn bisect(mut a: f64, mut b: f64, inside: impl Fn(f64) -> bool) -> f64 {
    loop {
        let m = 0.5 * (a + b);
        if m <= a || m >= b {
            return b;
        }
        if inside(m) {
            a = m;
        } else {
            b = m;
        }
    }
}

/// The critical points of `v`, in order, from the sign of `v'` (`dv_sign`: 0 where it is
/// within its rounding) scanned at `points` (increasing, the first one the start).
pub(crate) fn critical_points(
    points: impl IntoIterator<Item = f64>,
    dv_sign: impl Fn(f64) -> i8,
    v: impl Fn(f64) -> f64,
) -> Vec<Critical> {
    let mut points = points.into_iter();
    let mut out = Vec::new();
    let Some(first) = points.next() else {
        return out;
    };
    let (mut a, mut sa) = (first, dv_sign(first));
    for t in points {
        let s = dv_sign(t);
        if s != 0 {
            if sa != 0 && s != sa {
                let c = bisect(a, t, |x| dv_sign(x) == sa);
                out.push(Critical {
                    t: c,
                    v: v(c),
                    is_max: sa > 0,
                });
            }
            (a, sa) = (t, s);
        }
    }
    out
}

/// 0, then a geometric grid from 1e-6 ms to 1e4 ms with ratio `growth`: where the free
/// trajectories' `v'` is scanned.
pub(crate) fn geometric_grid(growth: f64) -> impl Iterator<Item = f64> {
    std::iter::once(0.0).chain(
        std::iter::successors(Some(1e-6f64), move |t| Some(t * growth)).take_while(|&t| t <= 1e4),
    )
}

/// `sup v` over the start, the maxima `crit` and the limit: `max(start, limit, maxima)`.
pub(crate) fn sup(start: f64, limit: f64, crit: &[Critical]) -> f64 {
    crit.iter()
        .filter(|c| c.is_max)
        .map(|c| c.v)
        .fold(start.max(limit), f64::max)
}

/// The first crossing of `thr` up to the last critical point: `Ok(t)`, bisected on the computed
/// `v` on its rising piece; or `Err(a)`, the last critical point (0 if none), after which `v`
/// is monotone and the caller looks on.
pub(crate) fn crossing_up_to_last(
    v: impl Fn(f64) -> f64,
    thr: f64,
    crit: &[Critical],
) -> Result<f64, f64> {
    if v(0.0) >= thr {
        return Ok(0.0);
    }
    let mut a = 0.0;
    for c in crit {
        if c.is_max && c.v >= thr {
            return Ok(bisect(a, c.t, |t| v(t) < thr));
        }
        a = c.t;
    }
    Err(a)
}
