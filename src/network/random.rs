//! Random distributions with PyNN's names and parameters, and the seeding scheme of SPEC §2.
//!
//! Every random choice of a model draws from its own stream, derived from the model's seed and
//! a purpose label by [`stream`]; so adding a population or reordering the model file leaves the
//! other draws unchanged, and two parameters never share samples.

use std::hash::Hasher;

use rand::{Rng, RngCore, SeedableRng};
use rand_distr::{self as rd, Distribution};
use rand_pcg::Pcg64;
use rand_seeder::SipHasher;
use serde::{Deserialize, Serialize};

/// The generator behind every stream: PCG64 (`rand_pcg::Pcg64`), a named generator whose output
/// is fixed across platforms and versions of `rand_pcg` (unlike `StdRng`).
pub(crate) type StreamRng = Pcg64;

/// The random stream for one purpose of one model (SPEC §2, seeding).
///
/// The stream is a function of the bytes of the key `"{seed}/{purpose}"` (the seed in decimal),
/// e.g. `"42/population:exc/parameter:v_rest"`, and of nothing else:
///
/// 1. SipHash-2-4 with keys (0, 0) (`rand_seeder::SipHasher::new()`) absorbs the key's UTF-8
///    bytes, then one byte `0xff`;
/// 2. the hasher's state becomes a generator (`SipHasher::into_rng`, a `SipRng`), which fills
///    the 32-byte seed of [`StreamRng`] (`fill_bytes`);
/// 3. the stream is `Pcg64::from_seed` of that seed.
///
/// This is exactly what `rand_seeder::Seeder::from(key).into_rng()` did before (issue 14):
/// that went through std's `Hash for str`, which today writes the bytes and then `0xff` but is
/// not promised to stay so; the bytes are now written here, so only the named algorithms of
/// `rand_seeder` and `rand_pcg` decide the streams. `stream_value_stability` pins first draws.
///
/// Purpose labels are built by the network module:
///
/// - `population:{label}/parameter:{name}` and `population:{label}/initial:{name}`
/// - `population:{label}/poisson:{cell}` for one Poisson source cell
/// - seeding version 1 (`[simulation] seeding = 1`): `projection:{label}/connector`,
///   `.../weight`, `.../delay` (label defaults to `pre->post`), one stream per projection and
///   purpose, drawn in connection order;
/// - seeding version 2 (the default, SPEC §7): one stream per projection, purpose and cell,
///   `projection:{label}/connector/post:{j}`, `projection:{label}/weight/post:{j}` and
///   `projection:{label}/delay/post:{j}`, where `j` is the target cell's index in the post
///   *population* (not its position in a view), e.g. `"42/projection:e2i/weight/post:17"`;
///   `FixedNumberPostConnector`, which draws per source, uses `.../pre:{i}` instead, `i` the
///   source's index in the pre population, for its connections and for their weights and
///   delays. `FixedTotalNumberConnector` draws its `n` pairs from the one stream
///   `projection:{label}/connector` (a global draw), its weights and delays per target. What is
///   drawn from each stream, in which order, is written in `network::connectors` (the
///   connections) and `network::build::synapses` (weights and delays). [`CellStreams`] makes
///   these streams without building the label each time.
pub(crate) fn stream(seed: u64, purpose: &str) -> StreamRng {
    from_key(&format!("{seed}/{purpose}"))
}

/// The stream of the key `"{seed}/{purpose}"` (see [`stream`]).
fn from_key(key: &str) -> StreamRng {
    let mut hasher = SipHasher::new();
    hasher.write(key.as_bytes());
    hasher.write_u8(0xff);
    let mut seed_bytes = <StreamRng as SeedableRng>::Seed::default();
    hasher.into_rng().fill_bytes(&mut seed_bytes);
    StreamRng::from_seed(seed_bytes)
}

/// Which cell of a connection keys a seeding-version-2 stream: the target (`post`), or the
/// source (`pre`, for `FixedNumberPostConnector`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Keyed by the presynaptic cell: `.../pre:{i}`.
    Pre,
    /// Keyed by the postsynaptic cell: `.../post:{j}`.
    Post,
}

/// The streams `{purpose}/{side}:{cell}` of one purpose, one per cell (seeding version 2, see
/// [`stream`]): `CellStreams::new(seed, purpose, side).of(cell)` is
/// `stream(seed, &format!("{purpose}/{side}:{cell}"))`, with the key's prefix formatted once
/// (a stream then costs one SipHash of a short key and no allocation).
pub(crate) struct CellStreams {
    /// `"{seed}/{purpose}/{side}:"`, then the cell of the last stream made.
    key: String,
    /// Length of the prefix.
    prefix: usize,
}

impl CellStreams {
    /// The streams of `purpose` keyed by cells of `side`.
    pub(crate) fn new(seed: u64, purpose: &str, side: Side) -> Self {
        let side = match side {
            Side::Pre => "pre",
            Side::Post => "post",
        };
        let key = format!("{seed}/{purpose}/{side}:");
        let prefix = key.len();
        CellStreams { key, prefix }
    }

    /// The stream of `cell` (an index in its population).
    pub(crate) fn of(&mut self, cell: u32) -> StreamRng {
        use std::fmt::Write;
        self.key.truncate(self.prefix);
        write!(self.key, "{cell}").expect("writing to a String");
        from_key(&self.key)
    }
}

/// A random distribution, with PyNN's `RandomDistribution` names and parameters.
///
/// ```
/// use exactlif::RandomDistribution;
/// let d = RandomDistribution::Normal { mu: -65.0, sigma: 1.0 };
/// assert!(d.validate().is_ok());
/// assert_eq!(d.name(), "normal");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case", deny_unknown_fields)]
pub enum RandomDistribution {
    /// Normal with mean `mu` and standard deviation `sigma` (>= 0).
    Normal {
        /// Mean.
        mu: f64,
        /// Standard deviation, >= 0.
        sigma: f64,
    },
    /// Normal with mean `mu`, standard deviation `sigma`, redrawn until inside `[low, high]`
    /// (PyNN's `normal_clipped`).
    NormalClipped {
        /// Mean.
        mu: f64,
        /// Standard deviation, >= 0.
        sigma: f64,
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Uniform on `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound, > low.
        high: f64,
    },
    /// Log-normal: `exp(N(mu, sigma))`.
    Lognormal {
        /// Mean of the underlying normal.
        mu: f64,
        /// Standard deviation of the underlying normal, >= 0.
        sigma: f64,
    },
    /// Exponential with mean `beta` (PyNN / NumPy's scale parameter), > 0.
    Exponential {
        /// Mean (scale), > 0.
        beta: f64,
    },
    /// Gamma with shape `k` and scale `theta`, both > 0.
    Gamma {
        /// Shape.
        k: f64,
        /// Scale.
        theta: f64,
    },
}

impl RandomDistribution {
    /// PyNN's name of the distribution.
    pub fn name(&self) -> &'static str {
        match self {
            RandomDistribution::Normal { .. } => "normal",
            RandomDistribution::NormalClipped { .. } => "normal_clipped",
            RandomDistribution::Uniform { .. } => "uniform",
            RandomDistribution::Lognormal { .. } => "lognormal",
            RandomDistribution::Exponential { .. } => "exponential",
            RandomDistribution::Gamma { .. } => "gamma",
        }
    }

    /// The names PyNN accepts, for error messages.
    pub const NAMES: [&'static str; 6] = [
        "normal",
        "normal_clipped",
        "uniform",
        "lognormal",
        "exponential",
        "gamma",
    ];

    /// Checks the parameters: finite, and each constraint of its doc. Returns the parameter
    /// name and a message on failure.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        use RandomDistribution::*;
        let params: Vec<(&'static str, f64)> = match *self {
            Normal { mu, sigma } | Lognormal { mu, sigma } => vec![("mu", mu), ("sigma", sigma)],
            NormalClipped {
                mu,
                sigma,
                low,
                high,
            } => {
                vec![("mu", mu), ("sigma", sigma), ("low", low), ("high", high)]
            }
            Uniform { low, high } => vec![("low", low), ("high", high)],
            Exponential { beta } => vec![("beta", beta)],
            Gamma { k, theta } => vec![("k", k), ("theta", theta)],
        };
        for (n, x) in &params {
            if !x.is_finite() {
                return Err((n, format!("must be a finite number, got {x}")));
            }
        }
        match *self {
            Normal { sigma, .. } | Lognormal { sigma, .. } | NormalClipped { sigma, .. }
                if sigma < 0.0 =>
            {
                Err(("sigma", format!("must be >= 0, got {sigma}")))
            }
            NormalClipped {
                mu,
                sigma,
                low,
                high,
            } => {
                if low >= high {
                    return Err(("high", format!("must be > low ({low}), got {high}")));
                }
                // Rejection sampling must terminate: the interval needs real probability mass.
                if sigma == 0.0 && !(low..=high).contains(&mu) {
                    return Err((
                        "mu",
                        "with sigma = 0, mu must lie in [low, high]".to_string(),
                    ));
                }
                if sigma > 0.0 && ((low - mu) / sigma > 30.0 || (mu - high) / sigma > 30.0) {
                    return Err(("low", "the interval [low, high] lies more than 30 sigma from mu; nothing can be drawn".into()));
                }
                Ok(())
            }
            Uniform { low, high } if low >= high => {
                Err(("high", format!("must be > low ({low}), got {high}")))
            }
            Exponential { beta } if beta <= 0.0 => {
                Err(("beta", format!("must be > 0, got {beta}")))
            }
            Gamma { k, .. } if k <= 0.0 => Err(("k", format!("must be > 0, got {k}"))),
            Gamma { theta, .. } if theta <= 0.0 => {
                Err(("theta", format!("must be > 0, got {theta}")))
            }
            _ => Ok(()),
        }
    }

    /// Draws one value. The distribution must be valid ([`validate`](Self::validate)).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        use RandomDistribution::*;
        match *self {
            Normal { mu, sigma } => rd::Normal::new(mu, sigma).expect("validated").sample(rng),
            NormalClipped {
                mu,
                sigma,
                low,
                high,
            } => {
                let d = rd::Normal::new(mu, sigma).expect("validated");
                loop {
                    let x = d.sample(rng);
                    if (low..=high).contains(&x) {
                        return x;
                    }
                }
            }
            Uniform { low, high } => rd::Uniform::new(low, high).expect("validated").sample(rng),
            Lognormal { mu, sigma } => rd::LogNormal::new(mu, sigma)
                .expect("validated")
                .sample(rng),
            Exponential { beta } => rd::Exp::new(1.0 / beta).expect("validated").sample(rng),
            Gamma { k, theta } => rd::Gamma::new(k, theta).expect("validated").sample(rng),
        }
    }

    /// Draws `n` values from the stream of `purpose` (see `network::random::stream`).
    pub fn sample_n(&self, seed: u64, purpose: &str, n: usize) -> Vec<f64> {
        self.samples(seed, purpose).take(n).collect()
    }

    /// The values drawn one after another from the stream of `purpose` (see `network::random::stream`), without
    /// end: the first `n` are [`sample_n`](Self::sample_n)`(seed, purpose, n)`, but nothing is
    /// stored, so a million connections can take their weights from it one at a time.
    pub fn samples(&self, seed: u64, purpose: &str) -> impl Iterator<Item = f64> + '_ {
        let mut rng = stream(seed, purpose);
        std::iter::repeat_with(move || self.sample(&mut rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    /// Value stability (a regression pin): the first draws of a few streams, through the code
    /// that draws them (raw `u64`s, a normal parameter, a uniform initial value, a Poisson
    /// source's spike times; two connectors' choices are pinned in `tests/value_stability.rs`,
    /// as `network::connectors` uses this module), equal literal values recorded from this
    /// code (rand 0.9, rand_distr 0.5, rand_pcg 0.9, rand_seeder 0.4). A change of the seed
    /// derivation ([`stream`]) or of those crates' algorithms changes every user's results and
    /// fails here, loudly. Floats are written as Rust prints them (`{:?}`, the shortest string
    /// that reads back to the same bits) and compared bit for bit.
    #[test]
    fn stream_value_stability() {
        use crate::engine::{PoissonCell, PoissonStream};
        let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();

        let mut r = stream(42, "population:exc/parameter:v_rest");
        assert_eq!(
            [r.next_u64(), r.next_u64()],
            [0x7086_2295_7622_46a0, 0x350e_a089_7151_4ffd]
        );
        // the same purpose and seed give the same stream; another purpose or seed another one
        assert_eq!(
            stream(42, "population:exc/parameter:v_rest").next_u64(),
            0x7086_2295_7622_46a0
        );
        assert_ne!(
            stream(42, "population:exc/parameter:v_thresh").next_u64(),
            0x7086_2295_7622_46a0
        );
        assert_ne!(
            stream(43, "population:exc/parameter:v_rest").next_u64(),
            0x7086_2295_7622_46a0
        );

        let normal = RandomDistribution::Normal {
            mu: -65.0,
            sigma: 2.0,
        };
        assert_eq!(
            bits(&normal.sample_n(42, "population:exc/parameter:v_rest", 3)),
            bits(&[-65.3193457956347, -65.39314266985689, -66.67748320365699])
        );
        let uniform = RandomDistribution::Uniform {
            low: -55.0,
            high: -50.0,
        };
        assert_eq!(
            bits(&uniform.sample_n(42, "population:exc/initial:v", 3)),
            bits(&[-52.18329905879309, -50.637671797208576, -54.590345513946716])
        );

        // a 20 Hz SpikeSourcePoisson cell: exponential intervals from its own stream
        let mut poisson = PoissonStream::of(&PoissonCell {
            cell: 0,
            rate_hz: 20.0,
            start: 0.0,
            duration: f64::INFINITY,
            rng: stream(42, "population:noise/poisson:0"),
        });
        let mut spikes = vec![];
        let mut t = None;
        for _ in 0..3 {
            t = poisson.next(t);
            spikes.push(t.expect("infinite duration"));
        }
        assert_eq!(
            bits(&spikes),
            bits(&[5.844037800701048, 12.856819864202262, 76.90116111707246])
        );
    }

    /// [`CellStreams`] gives the streams of [`stream`] with the documented labels.
    #[test]
    fn cell_streams_are_the_labelled_streams() {
        let mut post = CellStreams::new(42, "projection:e2i/weight", Side::Post);
        let mut pre = CellStreams::new(7, "projection:a->b/connector", Side::Pre);
        for cell in [0, 1, 17, 9999, u32::MAX] {
            assert_eq!(
                post.of(cell).next_u64(),
                stream(42, &format!("projection:e2i/weight/post:{cell}")).next_u64()
            );
            assert_eq!(
                pre.of(cell).next_u64(),
                stream(7, &format!("projection:a->b/connector/pre:{cell}")).next_u64()
            );
        }
    }

    /// The derivation of [`stream`] gives, key for key, the streams of the former
    /// `rand_seeder::Seeder::from(key: &str)` (through std's `Hash for str`), for keys of every
    /// length modulo 8 (SipHash's tail), empty and non-ASCII purposes. Should this fail after a
    /// toolchain update while `stream_value_stability` passes, std's `Hash for str` changed and
    /// our streams did not: the comparison can then go.
    #[test]
    fn derivation_matches_the_former_seeder() {
        let label = "population:exc/parameter:v_rest";
        let mut purposes: Vec<String> = (0..=17).map(|n| label[..n].to_string()).collect();
        purposes.push("projection:exc->inh/connector".into());
        purposes.push("population:Äöü 神经元/poisson:17".into());
        purposes.push("x".repeat(1000));
        for seed in [0, 1, 42, u64::MAX] {
            for p in &purposes {
                let key = format!("{seed}/{p}");
                let mut former: StreamRng = rand_seeder::Seeder::from(key.as_str()).into_rng();
                let mut ours = stream(seed, p);
                for _ in 0..4 {
                    assert_eq!(ours.next_u64(), former.next_u64(), "{key}");
                }
            }
        }
    }

    #[test]
    fn validation_names_the_parameter() {
        assert_eq!(
            RandomDistribution::Uniform {
                low: 1.0,
                high: 0.0
            }
            .validate()
            .unwrap_err()
            .0,
            "high"
        );
        assert_eq!(
            RandomDistribution::Exponential { beta: 0.0 }
                .validate()
                .unwrap_err()
                .0,
            "beta"
        );
        assert_eq!(
            RandomDistribution::Normal {
                mu: f64::NAN,
                sigma: 1.0
            }
            .validate()
            .unwrap_err()
            .0,
            "mu"
        );
        assert_eq!(
            RandomDistribution::Gamma {
                k: 1.0,
                theta: -1.0
            }
            .validate()
            .unwrap_err()
            .0,
            "theta"
        );
    }

    /// Sample means within 5 standard errors of the analytic mean.
    #[test]
    fn sample_means() {
        let n = 20000;
        let cases = [
            (
                RandomDistribution::Normal {
                    mu: -65.0,
                    sigma: 2.0,
                },
                -65.0,
                2.0,
            ),
            (
                RandomDistribution::Uniform {
                    low: 1.0,
                    high: 3.0,
                },
                2.0,
                (4.0f64 / 12.0).sqrt(),
            ),
            (RandomDistribution::Exponential { beta: 2.0 }, 2.0, 2.0),
            (
                RandomDistribution::Gamma { k: 2.0, theta: 3.0 },
                6.0,
                (18.0f64).sqrt(),
            ),
            (
                RandomDistribution::Lognormal {
                    mu: 0.0,
                    sigma: 0.5,
                },
                (0.125f64).exp(),
                (((0.25f64).exp() - 1.0) * (0.25f64).exp()).sqrt(),
            ),
        ];
        for (d, mean, sd) in cases {
            let xs = d.sample_n(1, "test", n);
            let m = xs.iter().sum::<f64>() / n as f64;
            assert!(
                (m - mean).abs() < 5.0 * sd / (n as f64).sqrt(),
                "{d:?}: {m}"
            );
        }
        let clipped = RandomDistribution::NormalClipped {
            mu: 0.0,
            sigma: 1.0,
            low: -0.5,
            high: 2.0,
        };
        assert!(clipped
            .sample_n(3, "c", 1000)
            .iter()
            .all(|x| (-0.5..=2.0).contains(x)));
    }
}
