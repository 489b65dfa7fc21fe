//! Optimal one-to-one spike matching ([`match_spikes`]) and the van Rossum distance
//! ([`van_rossum`]); the algorithms are described in the module doc of [`crate::compare`].

/// A (pairs, total |error|) objective value: more pairs first, then less error.
#[derive(Clone, Copy, Debug, Default)]
struct Score {
    pairs: u32,
    cost: f64,
}

impl Score {
    #[inline]
    fn better_than(self, o: Score) -> bool {
        self.pairs > o.pairs || (self.pairs == o.pairs && self.cost < o.cost)
    }
}

/// An optimal one-to-one matching of two sorted spike trains (ms): the pairs `(i, j)` of
/// `reference[i]` and `candidate[j]` with `|candidate[j] - reference[i]| <= tolerance`, as many
/// as possible, and among those the ones with the least total `|error|`. Pairs are returned in
/// increasing order (the matching never crosses). See the module doc for the algorithm.
///
/// ```
/// use exactlif::compare::match_spikes;
/// // A greedy matcher pairs 1.0 with 1.6 (the closer one) and loses 2.5.
/// let pairs = match_spikes(&[1.0, 2.5], &[0.2, 1.6], 1.0);
/// assert_eq!(pairs, vec![(0, 0), (1, 1)]);
/// ```
pub fn match_spikes(reference: &[f64], candidate: &[f64], tolerance: f64) -> Vec<(usize, usize)> {
    // Row i (a reference spike with candidates in range [lo, hi]) stores f(i, j) for
    // j = lo ..= hi + 1 (j = number of candidates considered) and the choice made there.
    struct Row {
        i: usize,
        lo: usize,
        hi: usize,
        off: usize,
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut val: Vec<Score> = Vec::new();
    let mut choice: Vec<u8> = Vec::new(); // 0 up (skip reference), 1 left (skip candidate), 2 pair
    let mut lo = 0usize;
    for (i, &r) in reference.iter().enumerate() {
        while lo < candidate.len() && candidate[lo] < r - tolerance {
            lo += 1;
        }
        let mut hi = lo;
        while hi < candidate.len() && candidate[hi] <= r + tolerance {
            hi += 1;
        }
        if hi == lo {
            continue; // no candidate in range: never paired
        }
        let hi = hi - 1;
        // f(prev, j), for j >= prev.lo (guaranteed: ranges move right)
        let prev = |j: usize, rows: &[Row], val: &[Score]| -> Score {
            match rows.last() {
                None => Score::default(),
                Some(p) => val[p.off + j.min(p.hi + 1) - p.lo],
            }
        };
        let off = val.len();
        // j = lo: no candidate of the range yet, f(i, lo) = f(i - 1, lo)
        val.push(prev(lo, &rows, &val));
        choice.push(0);
        for j in lo + 1..=hi + 1 {
            let mut best = prev(j, &rows, &val);
            let mut how = 0u8;
            let left = val[off + j - 1 - lo];
            if left.better_than(best) {
                best = left;
                how = 1;
            }
            let e = (candidate[j - 1] - r).abs();
            if e <= tolerance {
                let d = prev(j - 1, &rows, &val);
                let pair = Score {
                    pairs: d.pairs + 1,
                    cost: d.cost + e,
                };
                if pair.better_than(best) {
                    best = pair;
                    how = 2;
                }
            }
            val.push(best);
            choice.push(how);
        }
        rows.push(Row { i, lo, hi, off });
    }
    // backtrack from (last row, all candidates)
    let mut pairs = Vec::new();
    let mut j = candidate.len();
    let mut ri = rows.len();
    while ri > 0 && j > 0 {
        let row = &rows[ri - 1];
        if j > row.hi + 1 {
            j = row.hi + 1;
        }
        if j <= row.lo {
            ri -= 1;
            continue;
        }
        match choice[row.off + j - row.lo] {
            0 => ri -= 1,
            1 => j -= 1,
            _ => {
                pairs.push((row.i, j - 1));
                j -= 1;
                ri -= 1;
            }
        }
    }
    pairs.reverse();
    pairs
}

/// The van Rossum distance between two sorted spike trains (ms) with kernel time constant
/// `tau` (ms): `D = sqrt((2/tau) ∫_0^∞ (f - g)^2 dt)` with `f = sum_i e^{-(t - a_i)/tau} H(t - a_i)`
/// and `g` likewise, so that one unmatched spike gives `D = 1`.
///
/// Computed exactly: between consecutive spikes of either train `f - g = c e^{-(t - t0)/tau}`,
/// whose square integrates to `c^2 (tau/2)(1 - e^{-2 dt/tau})`; after the last spike to
/// `c^2 tau/2`. Identical trains give exactly 0.
///
/// ```
/// use exactlif::compare::van_rossum;
/// assert_eq!(van_rossum(&[1.0], &[], 10.0), 1.0);
/// let d = van_rossum(&[1.0], &[2.0], 10.0);
/// assert!((d * d - 2.0 * (1.0 - (-0.1f64).exp())).abs() < 1e-15);
/// ```
pub fn van_rossum(a: &[f64], b: &[f64], tau: f64) -> f64 {
    let (mut i, mut j) = (0, 0);
    let mut c = 0.0f64; // f - g just after the last event
    let mut t_last = f64::NAN;
    let mut d2 = 0.0f64;
    while i < a.len() || j < b.len() {
        let (t, s) = if j >= b.len() || (i < a.len() && a[i] <= b[j]) {
            i += 1;
            (a[i - 1], 1.0)
        } else {
            j += 1;
            (b[j - 1], -1.0)
        };
        if !t_last.is_nan() {
            let dt = t - t_last;
            d2 += c * c * -(-2.0 * dt / tau).exp_m1();
            c *= (-dt / tau).exp();
        }
        c += s;
        t_last = t;
    }
    d2 += c * c;
    d2.max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all matchings of small trains: the best (pairs, -cost).
    fn brute(r: &[f64], c: &[f64], tol: f64) -> (usize, f64) {
        fn go(i: usize, r: &[f64], c: &[f64], used: &mut Vec<bool>, tol: f64) -> (usize, f64) {
            if i == r.len() {
                return (0, 0.0);
            }
            let mut best = go(i + 1, r, c, used, tol);
            for j in 0..c.len() {
                let e = (c[j] - r[i]).abs();
                if !used[j] && e <= tol {
                    used[j] = true;
                    let (n, s) = go(i + 1, r, c, used, tol);
                    used[j] = false;
                    let cand = (n + 1, s + e);
                    if cand.0 > best.0 || (cand.0 == best.0 && cand.1 < best.1 - 1e-12) {
                        best = cand;
                    }
                }
            }
            best
        }
        go(0, r, c, &mut vec![false; c.len()], tol)
    }

    #[test]
    fn matching_is_optimal_against_brute_force() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        for _ in 0..2000 {
            let n = rng.random_range(0..6);
            let m = rng.random_range(0..6);
            let mut r: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..5.0)).collect();
            let mut c: Vec<f64> = (0..m).map(|_| rng.random_range(0.0..5.0)).collect();
            r.sort_by(f64::total_cmp);
            c.sort_by(f64::total_cmp);
            let tol = rng.random_range(0.1..2.0);
            let pairs = match_spikes(&r, &c, tol);
            let cost: f64 = pairs.iter().map(|&(i, j)| (c[j] - r[i]).abs()).sum();
            let (bn, bc) = brute(&r, &c, tol);
            assert_eq!(pairs.len(), bn, "{r:?} {c:?} {tol}");
            assert!(
                (cost - bc).abs() < 1e-9,
                "{r:?} {c:?} {tol}: {cost} vs {bc}"
            );
            // one-to-one, increasing, within tolerance
            for w in pairs.windows(2) {
                assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1);
            }
            assert!(pairs.iter().all(|&(i, j)| (c[j] - r[i]).abs() <= tol));
        }
    }

    #[test]
    fn matching_edge_cases() {
        assert!(match_spikes(&[], &[1.0], 1.0).is_empty());
        assert!(match_spikes(&[1.0], &[], 1.0).is_empty());
        assert_eq!(match_spikes(&[1.0], &[2.0], 1.0), vec![(0, 0)]); // boundary included
        assert!(match_spikes(&[1.0], &[2.0 + 1e-12], 1.0).is_empty());
        // least total error among maximal matchings
        assert_eq!(match_spikes(&[1.0], &[0.5, 1.1], 1.0), vec![(0, 1)]);
        let t: Vec<f64> = (0..1000).map(|k| k as f64 * 0.7).collect();
        let u: Vec<f64> = t.iter().map(|x| x + 0.05).collect();
        let p = match_spikes(&t, &u, 0.2);
        assert_eq!(p.len(), 1000);
        assert!(p.iter().all(|&(i, j)| i == j));
    }

    #[test]
    fn van_rossum_closed_forms() {
        let tau = 10.0;
        assert_eq!(van_rossum(&[], &[], tau), 0.0);
        assert_eq!(van_rossum(&[1.0, 5.0, 9.0], &[1.0, 5.0, 9.0], tau), 0.0);
        assert_eq!(van_rossum(&[3.0], &[], tau), 1.0);
        assert_eq!(van_rossum(&[], &[3.0], tau), 1.0);
        // symmetric
        let a = [1.0, 4.0, 4.5];
        let b = [1.2, 7.0];
        assert!((van_rossum(&a, &b, tau) - van_rossum(&b, &a, tau)).abs() < 1e-14);
        // against the double sum D^2 = sum e^{-|ai-aj|/tau} + sum e^{-|bi-bj|/tau} - 2 sum e^{-|ai-bj|/tau}
        let s = |x: &[f64], y: &[f64]| -> f64 {
            x.iter()
                .flat_map(|p| y.iter().map(move |q| (-(p - q).abs() / tau).exp()))
                .sum()
        };
        let d2 = s(&a, &a) + s(&b, &b) - 2.0 * s(&a, &b);
        assert!((van_rossum(&a, &b, tau).powi(2) - d2).abs() < 1e-12);
        // two spikes far apart: D^2 -> 2
        assert!((van_rossum(&[0.0], &[1e4], tau).powi(2) - 2.0).abs() < 1e-12);
        // tiny shifts are resolved without cancellation
        let d = (1.0 + 1e-9) - 1.0; // the shift as represented
        let exact = (2.0 * -(-d / tau).exp_m1()).sqrt();
        assert!((van_rossum(&[1.0], &[1.0 + d], tau) - exact).abs() < 1e-9 * exact);
    }
}
