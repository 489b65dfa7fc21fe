//! Numbers and counts in messages, summaries and figure titles: short and readable whatever
//! the value (issue 14).
//!
//! Rust's `{}` for `f64` never switches to exponent form, so a duration of `1e300` ms prints
//! as 301 digits and `1e-300` as 300 zeros; `{:.3}` does the same. [`number`] and [`fixed`]
//! keep the usual form for ordinary magnitudes and use an exponent outside them; [`count`]
//! pluralises a noun ("1 population", "2 populations"). The data files are not written with
//! these: they keep the shortest round-trip text of SPEC §4.

/// Below this magnitude (and above 0), [`number`] writes an exponent.
const SMALLEST_PLAIN: f64 = 1e-5;
/// From this magnitude on, [`number`] and [`fixed`] write an exponent.
const LARGEST_PLAIN: f64 = 1e16;

/// `x` as short text that parses back to the same `f64`: Rust's `{}` (`100`, `0.1`, `-64.5`)
/// for 0 and for `1e-5 <= |x| < 1e16`, otherwise the shortest exponent form (`1e300`,
/// `-2.5e-7`); `NaN`, `inf`, `-inf` for the non-finite values.
///
/// ```
/// use exactlif::io::text::number;
/// assert_eq!(number(100.0), "100");
/// assert_eq!(number(0.1), "0.1");
/// assert_eq!(number(1e300), "1e300");
/// assert_eq!(number(-2.5e-7), "-2.5e-7");
/// ```
pub fn number(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() || a == 0.0 || (SMALLEST_PLAIN..LARGEST_PLAIN).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `x` with `decimals` digits after the point, as `{:.N}` does (`18.070`), but with an
/// exponent (`1.000e303`) from `1e16` on, where `{:.N}` would print every digit.
///
/// ```
/// use exactlif::io::text::fixed;
/// assert_eq!(fixed(18.07, 3), "18.070");
/// assert_eq!(fixed(1e303, 3), "1.000e303");
/// ```
pub fn fixed(x: f64, decimals: usize) -> String {
    if x.is_finite() && x.abs() >= LARGEST_PLAIN {
        format!("{x:.decimals$e}")
    } else {
        format!("{x:.decimals$}")
    }
}

/// `n` and the noun, plural unless `n` is 1: `count(1, "population")` is `1 population`,
/// `count(0, "spike")` is `0 spikes`. Every noun the command line counts takes an `s`.
///
/// ```
/// use exactlif::io::text::count;
/// assert_eq!(count(1, "population"), "1 population");
/// assert_eq!(count(2, "population"), "2 populations");
/// ```
pub fn count(n: u64, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}

/// The noun alone, plural unless `n` is 1 (`cell` / `cells`).
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value prints in at most 24 characters and parses back to itself.
    #[test]
    fn numbers_are_short_and_exact() {
        for x in [
            0.0,
            -0.0,
            1.0,
            0.1,
            100.0,
            -65.0,
            23.978952727983707,
            1e-5,
            9.99e-6,
            1e15,
            1e16,
            1e300,
            -1e300,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1.2345678901234567e-7,
        ] {
            let s = number(x);
            assert!(s.len() <= 24, "{x:e}: {s}");
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
        }
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(1e-300), "1e-300");
        assert_eq!(number(0.0001), "0.0001");
        assert_eq!(number(123456.5), "123456.5");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn fixed_decimals_never_print_hundreds_of_digits() {
        assert_eq!(fixed(0.0, 3), "0.000");
        assert_eq!(fixed(5.78, 2), "5.78");
        assert_eq!(fixed(1e303, 3), "1.000e303");
        assert_eq!(fixed(-1e20, 1), "-1.0e20");
        assert_eq!(fixed(1e-300, 3), "0.000");
        assert_eq!(fixed(f64::INFINITY, 3), "inf");
    }

    #[test]
    fn counts_are_pluralised() {
        assert_eq!(count(0, "population"), "0 populations");
        assert_eq!(count(1, "population"), "1 population");
        assert_eq!(count(2, "cell"), "2 cells");
        assert_eq!(count(1, "synaptic input"), "1 synaptic input");
        assert_eq!(plural(3, "spike"), "spikes");
    }
}
