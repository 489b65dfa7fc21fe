//! Network construction with PyNN's vocabulary: [`Population`], [`PopulationView`] (a
//! [`Selection`]), [`Projection`]s with connectors and [`StaticSynapse`], current sources, and
//! recording. A [`Network`] is a description; [`Network::build`] validates it, draws every
//! random value from its own stream and hands a flat, immutable network to the engine.
//!
//! ```
//! use exactlif::{Network, Setup, CellType, Var};
//! let mut net = Network::new(Setup { timestep: 0.1, seed: 1, min_delay: None, seeding: Default::default() });
//! let cells = net
//!     .create("cells", 2, CellType::IfCurrExp)
//!     .unwrap();
//! net.set(&cells, "i_offset", 1.1).unwrap();
//! net.record(&cells, &[Var::V, Var::Spikes]).unwrap();
//! let mut sim = net.build().unwrap();
//! sim.run(100.0);
//! let data = sim.get_data();
//! assert_eq!(data.populations[0].spiketrains.len(), 2);
//! ```

pub(crate) mod build;
pub(crate) mod connectors;
pub(crate) mod estimate;
pub(crate) mod partition;
pub(crate) mod random;

use serde::{Deserialize, Serialize};

pub use crate::recording::Var;
pub use estimate::{human_bytes, ResourceEstimate};
pub use random::RandomDistribution;

use crate::model::{if_curr_delta, if_curr_exp, ModelKind};

/// Simulation settings fixed when the network is created (PyNN's `setup`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// Recording grid and step of the step-based backends (ms), > 0.
    pub timestep: f64,
    /// Seed of every random choice (SPEC §2).
    pub seed: u64,
    /// Smallest allowed delay (ms); `None` means `timestep`.
    pub min_delay: Option<f64>,
    /// Which streams the connections, weights and delays draw from (SPEC §7).
    pub seeding: Seeding,
}

/// The seeding version: which random streams a projection's connections, weights and delays
/// draw from (SPEC §7; the model file's `[simulation] seeding`). Everything else (parameters,
/// initial values, Poisson sources) draws from the same streams under both.
///
/// ```
/// use exactlif::Seeding;
/// assert_eq!(Seeding::default(), Seeding::V2);
/// assert_eq!(Seeding::from_number(1), Some(Seeding::V1));
/// assert_eq!(Seeding::V2.number(), 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Seeding {
    /// Version 1: one stream per projection and purpose (`projection:{label}/connector`,
    /// `.../weight`, `.../delay`), drawn in connection order; the results of exactlif before
    /// seeding version 2.
    V1,
    /// Version 2 (the default): streams keyed by the target cell (the source cell for
    /// `FixedNumberPostConnector`), so that results do not depend on how cells are divided
    /// among threads or processes, and a process can draw only the synapses onto its own
    /// cells ([`Network::materialise_part`]). The labels are listed on
    /// `network::random::stream`.
    #[default]
    V2,
}

impl Seeding {
    /// The versions, as numbers (for error messages).
    pub const NUMBERS: [u32; 2] = [1, 2];

    /// The version's number (1 or 2), as in the model file.
    pub fn number(self) -> u32 {
        match self {
            Seeding::V1 => 1,
            Seeding::V2 => 2,
        }
    }

    /// The version with this number, if any.
    pub fn from_number(n: i64) -> Option<Seeding> {
        match n {
            1 => Some(Seeding::V1),
            2 => Some(Seeding::V2),
            _ => None,
        }
    }
}

impl Setup {
    /// `min_delay`, defaulting to the timestep.
    pub fn min_delay(&self) -> f64 {
        self.min_delay.unwrap_or(self.timestep)
    }

    /// The rule for a timestep or min_delay `x` (ms), the one place it is written: `x` finite
    /// and `x > 0`.
    pub(crate) fn check_step(x: f64) -> Result<(), String> {
        if x.is_finite() && x > 0.0 {
            Ok(())
        } else {
            Err(format!("must be a finite number > 0 ms, got {x}"))
        }
    }
}

/// A parameter or initial value: one number for every cell, one per cell, or random.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// The same value for every cell.
    Scalar(f64),
    /// One value per cell (length = population size).
    PerCell(Vec<f64>),
    /// Drawn per cell from a distribution, from the stream of this value (SPEC §2).
    Random(RandomDistribution),
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Scalar(x)
    }
}
impl From<Vec<f64>> for Value {
    fn from(x: Vec<f64>) -> Self {
        Value::PerCell(x)
    }
}
impl From<RandomDistribution> for Value {
    fn from(x: RandomDistribution) -> Self {
        Value::Random(x)
    }
}

/// Spike times of a `SpikeSourceArray` (ms), non-decreasing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SpikeTimes {
    /// One list for every cell.
    Same(Vec<f64>),
    /// One list per cell.
    PerCell(Vec<Vec<f64>>),
}

/// Cell types (PyNN's standard cell names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellType {
    /// `IF_curr_exp`: see `model::if_curr_exp`.
    IfCurrExp,
    /// `IF_curr_alpha` (SPEC §8): see `model::if_curr_alpha`.
    IfCurrAlpha,
    /// `IF_curr_delta` (SPEC §8): see `model::if_curr_delta`.
    IfCurrDelta,
    /// `SpikeSourceArray`: spikes at given times.
    SpikeSourceArray,
    /// `SpikeSourcePoisson`: Poisson spikes in continuous time (`rate` Hz, `start`, `duration` ms).
    SpikeSourcePoisson,
}

/// Parameters of `SpikeSourcePoisson` with PyNN's defaults (`duration` forever).
pub(crate) const POISSON_PARAMETERS: [(&str, f64, &str); 3] = [
    ("rate", 1.0, "Hz"),
    ("start", 0.0, "ms"),
    ("duration", f64::INFINITY, "ms"),
];

/// The rule for one value of a `SpikeSourcePoisson` parameter, the one place it is written:
/// `rate` (Hz) and `start` (ms) finite and >= 0; `duration` (ms) >= 0, infinite meaning
/// forever. The message gives the unit of [`POISSON_PARAMETERS`].
pub(crate) fn check_poisson_parameter(name: &str, x: f64) -> Result<(), String> {
    let ok = if name == "duration" {
        x >= 0.0 && !x.is_nan()
    } else {
        x.is_finite() && x >= 0.0
    };
    if ok {
        return Ok(());
    }
    let unit = POISSON_PARAMETERS
        .iter()
        .find(|p| p.0 == name)
        .map_or("", |p| p.2);
    Err(format!("must be >= 0 {unit}, got {x}"))
}

impl CellType {
    /// PyNN's name.
    pub fn name(&self) -> &'static str {
        match self {
            CellType::IfCurrExp => "IF_curr_exp",
            CellType::IfCurrAlpha => "IF_curr_alpha",
            CellType::IfCurrDelta => "IF_curr_delta",
            CellType::SpikeSourceArray => "SpikeSourceArray",
            CellType::SpikeSourcePoisson => "SpikeSourcePoisson",
        }
    }

    /// Parses PyNN's name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Every cell type.
    pub const ALL: [CellType; 5] = [
        CellType::IfCurrExp,
        CellType::IfCurrAlpha,
        CellType::IfCurrDelta,
        CellType::SpikeSourceArray,
        CellType::SpikeSourcePoisson,
    ];

    /// The neuron model of this cell type; `None` for spike sources.
    pub fn model(&self) -> Option<ModelKind> {
        match self {
            CellType::IfCurrExp => Some(ModelKind::Exp),
            CellType::IfCurrAlpha => Some(ModelKind::Alpha),
            CellType::IfCurrDelta => Some(ModelKind::Delta),
            CellType::SpikeSourceArray | CellType::SpikeSourcePoisson => None,
        }
    }

    /// Parameter names.
    pub fn parameter_names(&self) -> Vec<&'static str> {
        match (self, self.model()) {
            (_, Some(m)) => m.parameters().iter().map(|p| p.0).collect(),
            (CellType::SpikeSourceArray, _) => vec!["spike_times"],
            _ => POISSON_PARAMETERS.iter().map(|p| p.0).collect(),
        }
    }

    /// State variables that can be initialised (and, with spikes, recorded).
    pub fn state_variables(&self) -> Vec<&'static str> {
        self.model().map_or(vec![], |m| {
            m.state_variables().iter().map(|p| p.0).collect()
        })
    }

    /// PyNN's default of every numeric parameter and state variable, with its unit:
    /// `(name, default, unit)`, parameters first, in PyNN's order (`spike_times` has no
    /// numeric default and is left out). The one table front ends read defaults from.
    pub fn defaults(&self) -> Vec<(&'static str, f64, &'static str)> {
        match (self, self.model()) {
            (_, Some(m)) => m
                .parameters()
                .iter()
                .chain(m.state_variables())
                .copied()
                .collect(),
            (CellType::SpikeSourceArray, _) => vec![],
            _ => POISSON_PARAMETERS.to_vec(),
        }
    }

    /// True for spike sources, which cannot receive input.
    pub fn is_source(&self) -> bool {
        self.model().is_none()
    }
}

/// A handle to a population of a [`Network`] (cheap to copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Population {
    /// Index in creation order.
    pub index: usize,
    /// Number of cells.
    pub size: usize,
}

impl Population {
    /// A view of cells `range` (PyNN's `pop[a:b]`).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Selection {
        Selection {
            population: self.index,
            cells: Some(range.map(|i| i as u32).collect()),
        }
    }
    /// A view of the given cells (PyNN's `pop[[1, 5, 7]]`).
    pub fn view(&self, cells: &[usize]) -> Selection {
        Selection {
            population: self.index,
            cells: Some(cells.iter().map(|&i| i as u32).collect()),
        }
    }
}

/// A whole population or a view of some of its cells: PyNN's `PopulationView`, usable wherever
/// a population is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The population's index.
    pub population: usize,
    /// The chosen cells (indices in the population), or `None` for all.
    pub cells: Option<Vec<u32>>,
}

/// PyNN's name for a selection of cells.
pub type PopulationView = Selection;

impl From<&Population> for Selection {
    fn from(p: &Population) -> Self {
        Selection {
            population: p.index,
            cells: None,
        }
    }
}
impl From<Population> for Selection {
    fn from(p: Population) -> Self {
        Selection {
            population: p.index,
            cells: None,
        }
    }
}
impl From<&Selection> for Selection {
    fn from(s: &Selection) -> Self {
        s.clone()
    }
}

/// Which synaptic current an input goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Receptor {
    /// `isyn_exc`; weights >= 0.
    Excitatory,
    /// `isyn_inh`; weights <= 0 (PyNN's sign convention for current-based synapses).
    Inhibitory,
}

impl Receptor {
    /// The weight rule of SPEC §1 for this receptor (finite, within [-1e6, 1e6] nA, the
    /// validity domain; excitatory >= 0, inhibitory <= 0), with the message a build gives for
    /// a weight that breaks it.
    ///
    /// ```
    /// use exactlif::Receptor;
    /// assert!(Receptor::Excitatory.check_weight(0.5).is_ok());
    /// assert!(Receptor::Inhibitory.check_weight(0.5).unwrap_err().contains("write -0.5"));
    /// ```
    pub fn check_weight(self, w: f64) -> Result<(), String> {
        check_weight_sign(w, self)
    }
}

/// PyNN's connectors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Connector {
    /// Every pre to every post.
    AllToAll {
        /// Whether a cell may connect to itself (when pre and post are one population).
        allow_self_connections: bool,
    },
    /// Pre `i` to post `i` (sizes must match).
    OneToOne,
    /// Each (pre, post) pair independently with probability `p_connect`.
    FixedProbability {
        /// Probability in [0, 1].
        p_connect: f64,
        /// Whether a cell may connect to itself.
        allow_self_connections: bool,
    },
    /// Each post cell receives exactly `n` connections from randomly chosen pre cells.
    FixedNumberPre {
        /// Connections per post cell.
        n: usize,
        /// Whether a cell may connect to itself.
        allow_self_connections: bool,
        /// Whether the same pre may be chosen more than once.
        with_replacement: bool,
    },
    /// Each pre cell makes exactly `n` connections to randomly chosen post cells.
    FixedNumberPost {
        /// Connections per pre cell.
        n: usize,
        /// Whether a cell may connect to itself.
        allow_self_connections: bool,
        /// Whether the same post may be chosen more than once.
        with_replacement: bool,
    },
    /// Exactly `n` connections in all, between random pairs.
    FixedTotalNumber {
        /// Total number of connections.
        n: usize,
        /// Whether a cell may connect to itself.
        allow_self_connections: bool,
        /// Whether a pair may be chosen more than once.
        with_replacement: bool,
    },
    /// An explicit list of (pre, post, weight, delay); weight and delay override the synapse's.
    FromList {
        /// The connections, indices relative to the pre and post selections.
        conn_list: Vec<(u32, u32, Option<f64>, Option<f64>)>,
    },
}

/// PyNN's connector class names, each with the parameters it takes besides `type` (the model
/// file's connector table and the Python binding's connector dict take exactly these).
pub const CONNECTORS: [(&str, &[&str]); 7] = [
    ("AllToAllConnector", &["allow_self_connections"]),
    ("OneToOneConnector", &[]),
    (
        "FixedProbabilityConnector",
        &["p_connect", "allow_self_connections"],
    ),
    (
        "FixedNumberPreConnector",
        &["n", "allow_self_connections", "with_replacement"],
    ),
    (
        "FixedNumberPostConnector",
        &["n", "allow_self_connections", "with_replacement"],
    ),
    (
        "FixedTotalNumberConnector",
        &["n", "allow_self_connections", "with_replacement"],
    ),
    ("FromListConnector", &["conn_list"]),
];

/// The parameters of a rule connector as a front end has read them (`None`: not given).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ConnectorParams {
    /// `p_connect` of FixedProbabilityConnector.
    pub p_connect: Option<f64>,
    /// `n` of the FixedNumber connectors.
    pub n: Option<usize>,
    /// Default true (PyNN's).
    pub allow_self_connections: Option<bool>,
    /// Default false, but true for FixedTotalNumberConnector (PyNN's).
    pub with_replacement: Option<bool>,
}

impl Connector {
    /// The rule connector of PyNN's class `name` from `params`, with PyNN's defaults, checked
    /// (`p_connect` in [0, 1], `n` given). `FromListConnector` is not a rule: each front end
    /// reads its list its own way. `Err((key, message))` names the key, e.g.
    /// `connector.p_connect`; an unknown name gives key `connector.type`.
    ///
    /// ```
    /// use exactlif::{Connector, ConnectorParams};
    /// let c = Connector::from_params("FixedTotalNumberConnector",
    ///     ConnectorParams { n: Some(5), ..Default::default() }).unwrap();
    /// assert_eq!(c, Connector::FixedTotalNumber { n: 5, allow_self_connections: true, with_replacement: true });
    /// let (key, _) = Connector::from_params("FixedProbabilityConnector",
    ///     ConnectorParams { p_connect: Some(1.5), ..Default::default() }).unwrap_err();
    /// assert_eq!(key, "connector.p_connect");
    /// ```
    pub fn from_params(name: &str, params: ConnectorParams) -> Result<Connector, (String, String)> {
        let allow_self_connections = params.allow_self_connections.unwrap_or(true);
        let n = || {
            params.n.ok_or_else(|| {
                (
                    "connector.n".to_string(),
                    "missing: the number of connections `n`".to_string(),
                )
            })
        };
        Ok(match name {
            "AllToAllConnector" => Connector::AllToAll {
                allow_self_connections,
            },
            "OneToOneConnector" => Connector::OneToOne,
            "FixedProbabilityConnector" => {
                let key = "connector.p_connect".to_string();
                let p_connect = params.p_connect.ok_or_else(|| {
                    (
                        key.clone(),
                        "missing: the connection probability `p_connect`".to_string(),
                    )
                })?;
                if !(0.0..=1.0).contains(&p_connect) {
                    return Err((
                        key,
                        format!("is a probability and must be in [0, 1], got {p_connect}"),
                    ));
                }
                Connector::FixedProbability {
                    p_connect,
                    allow_self_connections,
                }
            }
            "FixedNumberPreConnector" => Connector::FixedNumberPre {
                n: n()?,
                allow_self_connections,
                with_replacement: params.with_replacement.unwrap_or(false),
            },
            "FixedNumberPostConnector" => Connector::FixedNumberPost {
                n: n()?,
                allow_self_connections,
                with_replacement: params.with_replacement.unwrap_or(false),
            },
            "FixedTotalNumberConnector" => Connector::FixedTotalNumber {
                n: n()?,
                allow_self_connections,
                with_replacement: params.with_replacement.unwrap_or(true),
            },
            other => {
                let names = CONNECTORS.map(|c| c.0);
                return Err((
                    "connector.type".to_string(),
                    format!(
                        "unknown connector {other:?}; the connectors are {}",
                        names.join(", ")
                    ),
                ));
            }
        })
    }

    /// PyNN's class name.
    pub fn name(&self) -> &'static str {
        match self {
            Connector::AllToAll { .. } => "AllToAllConnector",
            Connector::OneToOne => "OneToOneConnector",
            Connector::FixedProbability { .. } => "FixedProbabilityConnector",
            Connector::FixedNumberPre { .. } => "FixedNumberPreConnector",
            Connector::FixedNumberPost { .. } => "FixedNumberPostConnector",
            Connector::FixedTotalNumber { .. } => "FixedTotalNumberConnector",
            Connector::FromList { .. } => "FromListConnector",
        }
    }
}

/// PyNN's `StaticSynapse`: a fixed weight (nA) and delay (ms), each a number or distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaticSynapse {
    /// Weight (nA): >= 0 for excitatory, <= 0 for inhibitory receptors.
    pub weight: Value,
    /// Delay (ms): >= min_delay. Not rounded by the exact backend.
    pub delay: Value,
}

impl StaticSynapse {
    /// A synapse with a fixed weight and delay.
    pub fn new(weight: impl Into<Value>, delay: impl Into<Value>) -> Self {
        StaticSynapse {
            weight: weight.into(),
            delay: delay.into(),
        }
    }
}

/// A projection: connections from a pre to a post selection.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// Label; defaults to `"{pre}->{post}"`.
    pub label: String,
    /// Presynaptic cells.
    pub pre: Selection,
    /// Postsynaptic cells (must be `IF_curr_exp`).
    pub post: Selection,
    /// The connection rule.
    pub connector: Connector,
    /// Weight and delay.
    pub synapse: StaticSynapse,
    /// Receiving current.
    pub receptor: Receptor,
}

/// A current source injected into chosen cells (PyNN's `DCSource`, `StepCurrentSource`,
/// `ACSource`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CurrentSource {
    /// `amplitude` (nA) from `start` (ms) until `stop` (ms, may be infinite).
    Dc {
        /// Amplitude (nA).
        amplitude: f64,
        /// Switch-on time (ms).
        start: f64,
        /// Switch-off time (ms); `f64::INFINITY` for never.
        stop: f64,
    },
    /// `amplitudes[i]` from `times[i]` on; 0 before `times[0]`. Times strictly increasing.
    Step {
        /// Switch times (ms).
        times: Vec<f64>,
        /// Amplitudes (nA).
        amplitudes: Vec<f64>,
    },
    /// `offset + amplitude sin(2 pi frequency (t - start) / 1000 + phase)` from `start` (ms)
    /// until `stop` (ms, may be infinite): the phase (degrees) holds at `start`, as in PyNN.
    Ac {
        /// Sine amplitude (nA).
        amplitude: f64,
        /// Constant offset (nA).
        offset: f64,
        /// Frequency (Hz).
        frequency: f64,
        /// Phase at `start` (degrees).
        phase: f64,
        /// Switch-on time (ms).
        start: f64,
        /// Switch-off time (ms); `f64::INFINITY` for never.
        stop: f64,
    },
}

impl CurrentSource {
    /// The scalar parameters of PyNN's `DCSource` and `ACSource` in the order
    /// [`CurrentSource::from_scalars`] takes them, with their defaults (PyNN's, except `stop`:
    /// forever where PyNN says 1e12 ms); `None` for another class.
    pub fn scalar_parameters(kind: &str) -> Option<&'static [(&'static str, f64)]> {
        match kind {
            "DCSource" => Some(&[("amplitude", 1.0), ("start", 0.0), ("stop", f64::INFINITY)]),
            "ACSource" => Some(&[
                ("amplitude", 1.0),
                ("offset", 0.0),
                ("frequency", 10.0),
                ("phase", 0.0),
                ("start", 0.0),
                ("stop", f64::INFINITY),
            ]),
            _ => None,
        }
    }

    /// The `DCSource` or `ACSource` of the values of [`CurrentSource::scalar_parameters`], in
    /// its order.
    ///
    /// ```
    /// use exactlif::CurrentSource;
    /// let values: Vec<f64> = CurrentSource::scalar_parameters("DCSource").unwrap()
    ///     .iter().map(|&(_, default)| default).collect();
    /// assert_eq!(CurrentSource::from_scalars("DCSource", &values),
    ///     Some(CurrentSource::Dc { amplitude: 1.0, start: 0.0, stop: f64::INFINITY }));
    /// ```
    pub fn from_scalars(kind: &str, v: &[f64]) -> Option<CurrentSource> {
        match (kind, v) {
            ("DCSource", &[amplitude, start, stop]) => Some(CurrentSource::Dc {
                amplitude,
                start,
                stop,
            }),
            ("ACSource", &[amplitude, offset, frequency, phase, start, stop]) => {
                Some(CurrentSource::Ac {
                    amplitude,
                    offset,
                    frequency,
                    phase,
                    start,
                    stop,
                })
            }
            _ => None,
        }
    }

    /// PyNN's class name.
    pub fn name(&self) -> &'static str {
        match self {
            CurrentSource::Dc { .. } => "DCSource",
            CurrentSource::Step { .. } => "StepCurrentSource",
            CurrentSource::Ac { .. } => "ACSource",
        }
    }
}

/// Where a build error is: which population, projection or current source, and which key.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{item}: `{key}`: {message}{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
pub struct BuildError {
    /// The item, e.g. `population "exc"`, `projection "exc->inh"`, `current source 1`,
    /// `simulation`.
    pub item: String,
    /// The key (parameter or field name).
    pub key: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// A likely intended name for a misspelt one.
    pub suggestion: Option<String>,
}

impl BuildError {
    pub(crate) fn new(
        item: impl Into<String>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        BuildError {
            item: item.into(),
            key: key.into(),
            message: short_numbers(message.into()),
            suggestion: None,
        }
    }
}

/// `message` with every number written in more than 20 digits (Rust's `{}` writes `1e300` as
/// 301 digits and `1e-300` as 300 zeros and a 1) rewritten in exponent form (`1e300`), which
/// parses back to the same `f64`; shorter numbers, u64 seeds included, stay as they are.
///
/// ```ignore
/// assert_eq!(short_numbers(format!("got {}", 1e300)), "got 1e300");
/// ```
pub(crate) fn short_numbers(message: String) -> String {
    let is_num = |c: char| c.is_ascii_digit() || c == '.';
    if message.chars().filter(char::is_ascii_digit).count() <= 20 {
        return message;
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let end = rest[start..]
            .find(|c: char| !is_num(c))
            .map_or(rest.len(), |e| start + e);
        let token = rest[start..end].trim_end_matches('.');
        let end = start + token.len();
        out.push_str(&rest[..start]);
        let digits = token.chars().filter(char::is_ascii_digit).count();
        match token.parse::<f64>() {
            Ok(x) if digits > 20 => out.push_str(&format!("{x:e}")),
            _ => out.push_str(token),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The name in `candidates` a misspelt `name` most likely means, if any: the same name in
/// another case (`V`: `v`), the name another simulator uses for it (NEST's and Brian's `dt`:
/// `timestep`, `tstop`: `duration`), or the closest string if it is close enough.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // the same name in another case (`V` for `v`)
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(c.to_string());
    }
    // NEST's, Brian's and PyNN's other names for ours (`dt` is our `timestep`, not `duration`,
    // which it resembles more as a string)
    if let Some(&(_, ours)) = ALIASES
        .iter()
        .find(|(theirs, ours)| theirs.eq_ignore_ascii_case(name) && candidates.contains(ours))
    {
        return Some(ours.to_string());
    }
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(name, c);
        if score > best.map_or(0.0, |b| b.0) {
            best = Some((score, c));
        }
    }
    best.filter(|b| b.0 >= 0.7).map(|b| b.1.to_string())
}

/// Other simulators' (NEST, Brian 2) and PyNN's older names, with the name they mean here.
const ALIASES: [(&str, &str); 16] = [
    ("dt", "timestep"),
    ("resolution", "timestep"),
    ("time_step", "timestep"),
    ("tstop", "duration"),
    ("t_stop", "duration"),
    ("simtime", "duration"),
    ("runtime", "duration"),
    ("t_refrac", "tau_refrac"),
    ("t_ref", "tau_refrac"),
    ("V_m", "v"),
    ("V_th", "v_thresh"),
    ("V_reset", "v_reset"),
    ("E_L", "v_rest"),
    ("C_m", "cm"),
    ("I_e", "i_offset"),
    ("tau_syn_ex", "tau_syn_E"),
];

/// One population of a [`Network`] description.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationSpec {
    /// Unique label.
    pub label: String,
    /// Number of cells.
    pub size: usize,
    /// Cell type.
    pub cell_type: CellType,
    /// Parameters set by the user (the rest take PyNN's defaults), in the order set.
    pub parameters: Vec<(String, Value)>,
    /// Spike times of a `SpikeSourceArray`.
    pub spike_times: Option<SpikeTimes>,
    /// Initial values set by the user.
    pub initial_values: Vec<(String, Value)>,
    /// Recorded variables, each with the recorded cells (`None` = all).
    pub record: Vec<(Var, Option<Vec<u32>>)>,
}

/// A network description in PyNN's vocabulary; [`build`](Network::build) turns it into a
/// runnable [`crate::Simulation`].
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Settings.
    pub setup: Setup,
    /// Populations in creation order (this order is the "population order" of SPEC §4).
    pub populations: Vec<PopulationSpec>,
    /// Projections in creation order.
    pub projections: Vec<Projection>,
    /// Current sources with the cells they are injected into.
    pub current_sources: Vec<(CurrentSource, Selection)>,
}

impl Network {
    /// An empty network (PyNN's `setup`).
    pub fn new(setup: Setup) -> Self {
        Network {
            setup,
            populations: vec![],
            projections: vec![],
            current_sources: vec![],
        }
    }

    fn pop_item(&self, index: usize) -> String {
        format!("population \"{}\"", self.populations[index].label)
    }

    /// Index of the population with this label.
    pub fn population_index(&self, label: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.label == label)
    }

    /// Handle of the population with this label.
    pub fn population(&self, label: &str) -> Option<Population> {
        self.population_index(label).map(|i| Population {
            index: i,
            size: self.populations[i].size,
        })
    }

    /// Creates a population of `size` cells of `cell_type` with default parameters.
    pub fn create(
        &mut self,
        label: &str,
        size: usize,
        cell_type: CellType,
    ) -> Result<Population, BuildError> {
        let item = format!("population \"{label}\"");
        if self.population_index(label).is_some() {
            return Err(BuildError::new(
                item,
                "label",
                "another population has this label; labels must be unique",
            ));
        }
        if size == 0 {
            return Err(BuildError::new(item, "size", "must be at least 1"));
        }
        if size > u32::MAX as usize / 2 {
            return Err(BuildError::new(
                item,
                "size",
                format!("{size} cells is more than this build supports"),
            ));
        }
        self.populations.push(PopulationSpec {
            label: label.to_string(),
            size,
            cell_type,
            parameters: vec![],
            spike_times: None,
            initial_values: vec![],
            record: vec![],
        });
        Ok(Population {
            index: self.populations.len() - 1,
            size,
        })
    }

    fn check_value(&self, pop: usize, key: &str, value: &Value) -> Result<(), BuildError> {
        let p = &self.populations[pop];
        match value {
            Value::Scalar(x) if !x.is_finite() => Err(BuildError::new(
                self.pop_item(pop),
                key,
                format!("must be a finite number, got {x}"),
            )),
            Value::PerCell(xs) => {
                if xs.len() != p.size {
                    return Err(BuildError::new(
                        self.pop_item(pop),
                        key,
                        format!(
                            "a list gives one value per cell: expected {} values, got {}",
                            p.size,
                            xs.len()
                        ),
                    ));
                }
                if let Some((i, x)) = xs.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                    return Err(BuildError::new(
                        self.pop_item(pop),
                        key,
                        format!("value {i} must be a finite number, got {x}"),
                    ));
                }
                Ok(())
            }
            Value::Random(d) => d.validate().map_err(|(k, m)| {
                BuildError::new(
                    self.pop_item(pop),
                    key,
                    format!("{} distribution: `{k}` {m}", d.name()),
                )
            }),
            _ => Ok(()),
        }
    }

    /// Sets a parameter of every cell of a population (PyNN's `pop.set(name=value)`).
    pub fn set(
        &mut self,
        pop: &Population,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), BuildError> {
        let value = value.into();
        let ct = self.populations[pop.index].cell_type;
        let names = ct.parameter_names();
        if !names.contains(&name) {
            let message = match if_curr_delta::check_parameter_name(name) {
                // SPEC §8: a tau_syn given to IF_curr_delta is an error that says why
                Err(m) if ct == CellType::IfCurrDelta && name.starts_with("tau_syn") => m,
                _ => format!(
                    "{} has no parameter `{name}`; it has {}",
                    ct.name(),
                    names.join(", ")
                ),
            };
            let mut e = BuildError::new(self.pop_item(pop.index), name, message);
            e.suggestion = suggest(name, names.iter().copied());
            return Err(e);
        }
        if name == "spike_times" {
            return Err(BuildError::new(
                self.pop_item(pop.index),
                name,
                "use set_spike_times for spike_times",
            ));
        }
        self.check_value(pop.index, name, &value)?;
        let params = &mut self.populations[pop.index].parameters;
        params.retain(|(n, _)| n != name);
        params.push((name.to_string(), value));
        Ok(())
    }

    /// The values, one per cell, that [`Network::set`] (or, with `initial`,
    /// [`Network::initialize`]) of `name` to the distribution `d` draws at build: from the
    /// stream of the seed, the population's label and `name` (SPEC §2 seeding), as a model
    /// file's distribution table is drawn. A front end that must show the values before the
    /// build (PyNN's `get`) takes them from here, so what it shows is what is simulated.
    ///
    /// ```
    /// use exactlif::{CellType, Network, RandomDistribution, Setup, Value, Var};
    /// let mut net = Network::new(Setup { timestep: 0.1, seed: 5, min_delay: None, seeding: Default::default() });
    /// let cells = net.create("cells", 4, CellType::IfCurrExp)?;
    /// let d = RandomDistribution::Uniform { low: -65.0, high: -55.0 };
    /// let drawn = net.draw_values(&cells, "v", &d, true)?;
    /// net.initialize(&cells, "v", Value::Random(d))?;
    /// net.record(cells, &[Var::V])?;
    /// let mut sim = net.build()?;
    /// sim.run(0.0);
    /// let v = &sim.get_data().populations[0].signals[0];
    /// let v0: Vec<f64> = v.values.iter().map(|cell| cell[0]).collect();
    /// assert_eq!(v0, drawn);
    /// # Ok::<(), exactlif::BuildError>(())
    /// ```
    pub fn draw_values(
        &self,
        pop: &Population,
        name: &str,
        d: &RandomDistribution,
        initial: bool,
    ) -> Result<Vec<f64>, BuildError> {
        let spec = &self.populations[pop.index];
        let (kind, names) = if initial {
            ("initial", spec.cell_type.state_variables())
        } else {
            ("parameter", spec.cell_type.parameter_names())
        };
        if !names.contains(&name) {
            let mut e = BuildError::new(
                self.pop_item(pop.index),
                name,
                format!("{} has no {kind} `{name}`", spec.cell_type.name()),
            );
            e.suggestion = suggest(name, names.iter().copied());
            return Err(e);
        }
        let purpose = build::value_purpose(&spec.label, kind, name);
        Ok(d.sample_n(self.setup.seed, &purpose, spec.size))
    }

    /// Sets the spike times of a `SpikeSourceArray` population. Times must be finite, >= 0 and
    /// non-decreasing (PyNN rejects unsorted times too).
    pub fn set_spike_times(
        &mut self,
        pop: &Population,
        times: SpikeTimes,
    ) -> Result<(), BuildError> {
        let item = self.pop_item(pop.index);
        let p = &self.populations[pop.index];
        if p.cell_type != CellType::SpikeSourceArray {
            return Err(BuildError::new(
                item,
                "spike_times",
                format!("{} has no parameter `spike_times`", p.cell_type.name()),
            ));
        }
        let check = |ts: &[f64], which: String| -> Result<(), BuildError> {
            for (i, &t) in ts.iter().enumerate() {
                if !t.is_finite() || t < 0.0 {
                    return Err(BuildError::new(
                        &item,
                        "spike_times",
                        format!("{which}time {i} must be a finite number >= 0, got {t}"),
                    ));
                }
                if i > 0 && t < ts[i - 1] {
                    return Err(BuildError::new(
                        &item,
                        "spike_times",
                        format!("{which}times must be sorted: {t} after {} (at position {i}); sort the list", ts[i - 1]),
                    ));
                }
            }
            Ok(())
        };
        match &times {
            SpikeTimes::Same(ts) => check(ts, String::new())?,
            SpikeTimes::PerCell(lists) => {
                if lists.len() != p.size {
                    return Err(BuildError::new(
                        item,
                        "spike_times",
                        format!(
                            "a list of lists gives one list per cell: expected {} lists, got {}",
                            p.size,
                            lists.len()
                        ),
                    ));
                }
                for (c, ts) in lists.iter().enumerate() {
                    check(ts, format!("cell {c}: "))?;
                }
            }
        }
        self.populations[pop.index].spike_times = Some(times);
        Ok(())
    }

    /// Sets the initial value of a state variable (PyNN's `pop.initialize(v=...)`).
    pub fn initialize(
        &mut self,
        pop: &Population,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), BuildError> {
        let value = value.into();
        let ct = self.populations[pop.index].cell_type;
        let names = ct.state_variables();
        if !names.contains(&name) {
            let mut e = BuildError::new(
                self.pop_item(pop.index),
                name,
                if names.is_empty() {
                    format!("{} has no state variables to initialize", ct.name())
                } else {
                    format!(
                        "{} has no state variable `{name}`; it has {}",
                        ct.name(),
                        names.join(", ")
                    )
                },
            );
            e.suggestion = suggest(name, names.iter().copied());
            return Err(e);
        }
        self.check_value(pop.index, name, &value)?;
        let iv = &mut self.populations[pop.index].initial_values;
        iv.retain(|(n, _)| n != name);
        iv.push((name.to_string(), value));
        Ok(())
    }

    fn check_selection(&self, sel: &Selection, item: &str, key: &str) -> Result<(), BuildError> {
        let Some(p) = self.populations.get(sel.population) else {
            return Err(BuildError::new(item, key, "no such population"));
        };
        if let Some(cells) = &sel.cells {
            if let Some(&c) = cells.iter().find(|&&c| c as usize >= p.size) {
                return Err(BuildError::new(
                    item,
                    key,
                    format!(
                        "cell {c} is out of range: population \"{}\" has {} cells (0..{})",
                        p.label, p.size, p.size
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Records variables of a population or view (PyNN's `pop.record([...])`).
    pub fn record(&mut self, sel: impl Into<Selection>, vars: &[Var]) -> Result<(), BuildError> {
        let sel = sel.into();
        let item = self.pop_item(sel.population);
        self.check_selection(&sel, &item, "record")?;
        let p = &self.populations[sel.population];
        for v in vars {
            if *v != Var::Spikes && p.cell_type.is_source() {
                return Err(BuildError::new(
                    item,
                    "record",
                    format!(
                        "{} only records spikes, not `{}`",
                        p.cell_type.name(),
                        v.name()
                    ),
                ));
            }
            if *v != Var::Spikes && !p.cell_type.state_variables().contains(&v.name()) {
                // SPEC §8: IF_curr_delta has no synaptic current to record
                return Err(BuildError::new(
                    item,
                    "record",
                    format!(
                        "{} records {} and spikes, not `{}`: its inputs are jumps of v, \
                         with no synaptic current",
                        p.cell_type.name(),
                        p.cell_type.state_variables().join(", "),
                        v.name()
                    ),
                ));
            }
        }
        let p = &mut self.populations[sel.population];
        for v in vars {
            p.record.retain(|(x, _)| x != v);
            p.record.push((*v, sel.cells.clone()));
        }
        p.record.sort_by_key(|r| r.0);
        Ok(())
    }

    /// Connects `pre` to `post` (PyNN's `Projection(pre, post, connector, synapse,
    /// receptor_type)`). `label` defaults to `"{pre}->{post}"`.
    pub fn connect(
        &mut self,
        pre: impl Into<Selection>,
        post: impl Into<Selection>,
        connector: Connector,
        synapse: StaticSynapse,
        receptor: Receptor,
        label: Option<&str>,
    ) -> Result<(), BuildError> {
        let (pre, post) = (pre.into(), post.into());
        let label = match label {
            Some(l) => l.to_string(),
            None => {
                // PyNN allows several unlabelled projections between the same populations
                // (e.g. one excitatory, one inhibitory): number repeats as "pre->post#2", ...
                let base = format!(
                    "{}->{}",
                    self.populations
                        .get(pre.population)
                        .map_or("?", |p| &p.label),
                    self.populations
                        .get(post.population)
                        .map_or("?", |p| &p.label)
                );
                let mut label = base.clone();
                let mut k = 2;
                while self.projections.iter().any(|p| p.label == label) {
                    label = format!("{base}#{k}");
                    k += 1;
                }
                label
            }
        };
        let item = format!("projection \"{label}\"");
        self.check_selection(&pre, &item, "presynaptic")?;
        self.check_selection(&post, &item, "postsynaptic")?;
        if self.projections.iter().any(|p| p.label == label) {
            return Err(BuildError::new(
                item,
                "label",
                "another projection has this label; give this one a unique `label`",
            ));
        }
        let post_pop = &self.populations[post.population];
        if post_pop.cell_type.is_source() {
            return Err(BuildError::new(
                item,
                "postsynaptic",
                format!(
                    "population \"{}\" is a {} and cannot receive input",
                    post_pop.label,
                    post_pop.cell_type.name()
                ),
            ));
        }
        let n_pre = pre
            .cells
            .as_ref()
            .map_or(self.populations[pre.population].size, |c| c.len());
        let n_post = post.cells.as_ref().map_or(post_pop.size, |c| c.len());
        connectors::validate(&connector, n_pre, n_post, pre.population == post.population)
            .map_err(|(k, m)| BuildError::new(&item, k, m))?;
        for (key, v) in [("weight", &synapse.weight), ("delay", &synapse.delay)] {
            match v {
                Value::Scalar(x) if !x.is_finite() => {
                    return Err(BuildError::new(&item, key, format!("must be a finite number, got {x}")))
                }
                Value::PerCell(_) => {
                    return Err(BuildError::new(&item, key, "must be a number or a distribution (a per-connection list is given with FromListConnector)"))
                }
                Value::Random(d) => d.validate().map_err(|(k, m)| {
                    BuildError::new(&item, key, format!("{} distribution: `{k}` {m}", d.name()))
                })?,
                _ => {}
            }
        }
        if let Value::Scalar(d) = synapse.delay {
            check_delay(d, self.setup.min_delay())
                .map_err(|m| BuildError::new(&item, "delay", m))?;
        }
        if let Value::Scalar(w) = synapse.weight {
            check_weight_sign(w, receptor).map_err(|m| BuildError::new(&item, "weight", m))?;
        }
        self.projections.push(Projection {
            label,
            pre,
            post,
            connector,
            synapse,
            receptor,
        });
        Ok(())
    }

    /// Injects a current source into cells (PyNN's `source.inject_into(cells)`).
    pub fn inject(
        &mut self,
        source: CurrentSource,
        into: impl Into<Selection>,
    ) -> Result<(), BuildError> {
        let sel = into.into();
        let item = format!(
            "current source {} ({})",
            self.current_sources.len(),
            source.name()
        );
        self.check_selection(&sel, &item, "inject_into")?;
        let p = &self.populations[sel.population];
        if p.cell_type.is_source() {
            return Err(BuildError::new(
                item,
                "inject_into",
                format!(
                    "population \"{}\" is a {} and cannot receive current",
                    p.label,
                    p.cell_type.name()
                ),
            ));
        }
        match &source {
            CurrentSource::Dc {
                amplitude,
                start,
                stop,
            }
            | CurrentSource::Ac {
                amplitude,
                start,
                stop,
                ..
            } => {
                if_curr_exp::check_current(*amplitude)
                    .map_err(|m| BuildError::new(&item, "amplitude", m))?;
                if let CurrentSource::Ac {
                    offset,
                    frequency,
                    phase,
                    ..
                } = &source
                {
                    if_curr_exp::check_current(*offset)
                        .map_err(|m| BuildError::new(&item, "offset", m))?;
                    if !phase.is_finite() {
                        return Err(BuildError::new(
                            item,
                            "phase",
                            format!("must be a finite number, got {phase}"),
                        ));
                    }
                    // a period of at least 1e-6 ms, the shortest time constant of the validity
                    // domain: the solver's derivative bounds grow as frequency^4
                    if !frequency.is_finite() || *frequency < 0.0 || *frequency > AC_MAX_HZ {
                        return Err(BuildError::new(
                            item,
                            "frequency",
                            format!(
                                "must be in [0, 1e9] Hz (the range exactlif's solver covers), \
                                 got {}",
                                if_curr_exp::num(*frequency)
                            ),
                        ));
                    }
                }
                if !start.is_finite() || *start < 0.0 {
                    return Err(BuildError::new(
                        item,
                        "start",
                        format!("must be a finite number >= 0, got {start}"),
                    ));
                }
                if stop.is_nan() || stop < start {
                    return Err(BuildError::new(
                        item,
                        "stop",
                        format!("must be >= start ({start}), got {stop}"),
                    ));
                }
            }
            CurrentSource::Step { times, amplitudes } => {
                if times.len() != amplitudes.len() {
                    return Err(BuildError::new(
                        item,
                        "amplitudes",
                        format!(
                            "needs one amplitude per time: {} times, {} amplitudes",
                            times.len(),
                            amplitudes.len()
                        ),
                    ));
                }
                for (i, t) in times.iter().enumerate() {
                    if !t.is_finite() || *t < 0.0 {
                        return Err(BuildError::new(
                            item,
                            "times",
                            format!("time {i} must be a finite number >= 0, got {t}"),
                        ));
                    }
                    if i > 0 && *t <= times[i - 1] {
                        return Err(BuildError::new(
                            item,
                            "times",
                            format!(
                                "times must be strictly increasing: {t} after {} (at position {i})",
                                times[i - 1]
                            ),
                        ));
                    }
                }
                for (i, &a) in amplitudes.iter().enumerate() {
                    if_curr_exp::check_current(a).map_err(|m| {
                        BuildError::new(&item, "amplitudes", format!("amplitude {i} {m}"))
                    })?;
                }
            }
        }
        self.current_sources.push((source, sel));
        Ok(())
    }
}

/// Weight rule of SPEC §1 and §8 and of the validity domain: finite, within [-1e6, 1e6]
/// (`if_curr_exp::check_current`), excitatory >= 0, inhibitory <= 0; nA, or mV onto
/// IF_curr_delta cells (the message says both: the rule is the same).
pub(crate) fn check_weight_sign(w: f64, receptor: Receptor) -> Result<(), String> {
    if_curr_exp::check_current(w)?;
    match receptor {
        Receptor::Excitatory if w < 0.0 => Err(format!(
            "excitatory weights must be >= 0 (nA; mV onto IF_curr_delta), got {w}; use receptor_type = \"inhibitory\" for negative weights"
        )),
        Receptor::Inhibitory if w > 0.0 => Err(format!(
            "inhibitory weights must be <= 0 (nA; mV onto IF_curr_delta: PyNN's sign convention for current synapses), got {w}; write {}",
            -w
        )),
        _ => Ok(()),
    }
}

/// Highest `ACSource` frequency (Hz) of the validity domain: a period of at least 1e-6 ms,
/// the shortest time constant.
const AC_MAX_HZ: f64 = 1e9;

/// Delay rule of SPEC §1: a delay `d` (ms) is finite and >= min_delay (ms).
pub(crate) fn check_delay(d: f64, min_delay: f64) -> Result<(), String> {
    if !d.is_finite() {
        return Err(format!("must be a finite number, got {d}"));
    }
    if d < min_delay {
        return Err(format!(
            "{d} ms is below min_delay ({min_delay} ms); use delays >= {min_delay} or lower simulation.min_delay"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod message_tests {
    use super::short_numbers;

    /// Issue 14: a number printed as a number, not 300 digits.
    #[test]
    fn huge_and_tiny_numbers_are_short_in_messages() {
        assert_eq!(
            short_numbers(format!("must be < 1e6, got {}", 1e300)),
            "must be < 1e6, got 1e300"
        );
        assert_eq!(
            short_numbers(format!("got {} ms", -1e-300)),
            "got -1e-300 ms"
        );
        // ordinary numbers and a u64 seed are kept
        let s = format!("seed {} and {} and {}", u64::MAX, 0.1 + 0.2, 65.5);
        assert_eq!(short_numbers(s.clone()), s);
    }
}
