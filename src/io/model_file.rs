//! The model file (SPEC §2): a TOML description of a network, read into a [`Network`].
//!
//! ```toml
//! [simulation]
//! timestep = 0.1          # ms, > 0
//! duration = 100.0        # ms, finite, >= 0
//! seed = 42               # optional integer >= 0; default 0
//! min_delay = 0.1         # optional, > 0; default = timestep
//!
//! [[populations]]
//! label = "exc"
//! size = 100
//! cell_type = "IF_curr_exp"              # or SpikeSourceArray, SpikeSourcePoisson
//! record = ["v", "spikes"]               # optional: any of v, isyn_exc, isyn_inh, spikes
//! parameters = { tau_m = 10.0, v_rest = { distribution = "normal", mu = -65.0, sigma = 1.0 } }
//! initial_values = { v = -65.0 }
//!
//! [[projections]]
//! label = "exc->exc"                     # optional, default "PRE->POST"
//! presynaptic = "exc"
//! postsynaptic = "exc"
//! presynaptic_cells = [0, 1, 2]          # optional: a PopulationView of these cells
//! postsynaptic_cells = [3, 4]            # optional
//! receptor_type = "excitatory"           # optional, default excitatory
//! connector = { type = "FixedProbabilityConnector", p_connect = 0.1 }
//! synapse = { type = "StaticSynapse", weight = 0.5, delay = 1.0 }
//!
//! [[current_sources]]
//! type = "DCSource"                      # amplitude (default 1.0, as PyNN), start, stop
//! amplitude = 0.5
//! inject_into = "exc"
//! cells = [0, 3]                         # optional
//! ```
//!
//! Defaults where the file is silent, as in PyNN: `seed` 0; `min_delay` the timestep;
//! `record` nothing; parameters and initial values PyNN's; `receptor_type` excitatory;
//! `allow_self_connections` true; `with_replacement` false for FixedNumberPre/PostConnector and
//! true for FixedTotalNumberConnector; `synapse` a StaticSynapse with `weight` 0 and `delay`
//! min_delay (the synapse table and its `type` may be left out); DCSource `amplitude` 1 nA,
//! `start` 0, `stop` never.
//!
//! A parameter, initial value, weight or delay is a number, a list of numbers (one per cell;
//! parameters and initial values only) or a distribution table
//! `{ distribution = NAME, ... }` with PyNN's names: normal (mu, sigma), normal_clipped (mu,
//! sigma, low, high), uniform (low, high), lognormal (mu, sigma), exponential (beta),
//! gamma (k, theta).
//!
//! # Errors
//!
//! Every mistake is a [`ModelError`] naming the file, the line and column when known, the item
//! (`simulation`, `population "exc"`, `projection "exc->inh"`, `current source 0 (DCSource)`),
//! the key and what is wrong, with a suggestion for a misspelt name:
//!
//! ```text
//! net.toml:14:1: population "exc": `t_refrac`: IF_curr_exp has no parameter `t_refrac`; it has cm, ... (did you mean `tau_refrac`?)
//! ```
//!
//! Unknown keys are always errors, never ignored. NaN and infinite values (TOML's `nan`, `inf`)
//! are rejected everywhere.
//!
//! What the loader checks itself, besides the shape of the file: the `[simulation]` values;
//! labels of populations named by projections and current sources; `SpikeSourcePoisson`
//! `rate`, `start`, `duration` >= 0; `IF_curr_exp` values given as numbers or lists: `cm`,
//! `tau_m`, `tau_syn_E`, `tau_syn_I` > 0, `tau_refrac` >= 0, `v_reset` < `v_thresh`;
//! `p_connect` in [0, 1]; cell indices in range; `conn_list` rows (indices, weight signs,
//! delays >= min_delay). Everything else (list lengths, sorted spike and step times, weight
//! signs and delays of the synapse, spike sources receiving input, ...) is checked by the
//! [`Network`] builder methods, whose errors are reported here with the file and position.
//! Values drawn from distributions can only be checked by [`Network::build`]; wrap its errors
//! with [`Model::build_error`] (or [`from_build`]).

// A model is loaded once and an error ends the run: the size of `ModelError` (a few strings)
// costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::model::if_curr_exp;
use crate::network::{
    check_poisson_parameter, check_weight_sign, suggest, BuildError, CellType, Connector,
    CurrentSource, Network, Population, RandomDistribution, Receptor, Selection, Setup, SpikeTimes,
    StaticSynapse, Value, Var, POISSON_PARAMETERS,
};

/// A model read from a file: the network description and how long to simulate it.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The file it was read from (for [`parse_model`], the `file` name given).
    pub path: PathBuf,
    /// The network, ready for [`Network::build`]. Its `setup` holds the timestep, the seed
    /// (0 when the file gives none) and min_delay.
    pub network: Network,
    /// Simulated time (ms).
    pub duration: f64,
    /// Whether the file gave a seed (otherwise the seed is 0).
    pub seed_given: bool,
    /// Where each item and key is in the file, used by [`Model::build_error`].
    locations: HashMap<(String, String), Position>,
}

impl Model {
    /// The name of the file used in messages.
    pub fn file_name(&self) -> String {
        self.path.display().to_string()
    }

    /// Wraps an error of [`Network::build`] (a drawn value out of range, an impossible
    /// connector, ...) with the file name and, when the item and key are found in the file, the
    /// line and column.
    pub fn build_error(&self, e: BuildError) -> ModelError {
        let key = qualified_key(&e.key);
        let position = self
            .locations
            .get(&(e.item.clone(), key.clone()))
            .or_else(|| self.locations.get(&(e.item.clone(), e.key.clone())))
            .or_else(|| self.locations.get(&(e.item.clone(), String::new())))
            .copied();
        ModelError {
            file: self.file_name(),
            position,
            item: e.item,
            key,
            message: e.message,
            suggestion: e.suggestion,
        }
    }
}

/// A line and column in the model file, both 1-based; the column counts characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` of `text` (clamped to the text, and to a char boundary).
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// An invalid model file: where, what, and a likely intended name for a misspelt one.
///
/// Displayed on one line as `FILE:LINE:COL: ITEM: `KEY`: MESSAGE (did you mean `X`?)`; the
/// position, item, key and suggestion are left out when unknown or empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ModelError {
    /// The model file's name as given.
    pub file: String,
    /// Line and column, when known.
    pub position: Option<Position>,
    /// The item: `simulation`, `population "exc"`, `projection "exc->inh"`,
    /// `current source 0 (DCSource)`; empty for errors of the file as a whole.
    pub item: String,
    /// The key, e.g. `tau_refrac` or `connector.p_connect`; empty when none applies.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// A likely intended name for a misspelt one.
    pub suggestion: Option<String>,
}

impl ModelError {
    fn render(&self) -> String {
        let mut s = self.file.clone();
        if let Some(p) = self.position {
            s += &format!(":{}:{}", p.line, p.column);
        }
        s += ": ";
        if !self.item.is_empty() {
            s += &format!("{}: ", self.item);
        }
        if !self.key.is_empty() {
            s += &format!("`{}`: ", self.key);
        }
        s += &self.message;
        if let Some(x) = &self.suggestion {
            s += &format!(" (did you mean `{x}`?)");
        }
        s
    }
}

/// Wraps an error of the [`Network`] API (e.g. of [`Network::build`]) with the model file's
/// name; no position (see [`Model::build_error`] for one with the position).
pub fn from_build(file: &str, e: BuildError) -> ModelError {
    ModelError {
        file: file.to_string(),
        position: None,
        item: e.item,
        key: e.key,
        message: e.message,
        suggestion: e.suggestion,
    }
}

/// Reads and parses a model file. An unreadable file is a [`ModelError`] with an empty item.
pub fn load_model(path: &Path) -> Result<Model, ModelError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ModelError {
        file: file.clone(),
        position: None,
        item: String::new(),
        key: String::new(),
        message: format!("cannot read the model file: {e}"),
        suggestion: None,
    })?;
    let mut model = parse_model(&text, &file)?;
    model.path = path.to_path_buf();
    Ok(model)
}

/// Parses the text of a model file; `file` names it in messages (and becomes [`Model::path`]).
pub fn parse_model(text: &str, file: &str) -> Result<Model, ModelError> {
    let root = DeTable::parse(text).map_err(|e| ModelError {
        file: file.to_string(),
        position: e.span().map(|s| Position::of_offset(text, s.start)),
        item: String::new(),
        key: String::new(),
        message: toml_message(text, &e),
        suggestion: None,
    })?;
    let mut p = Parser {
        file,
        text,
        locations: HashMap::new(),
    };
    let span = root.span();
    let root = DeValue::Table(root.into_inner());
    let root = Tab::new(&root, span, String::new(), "").expect("the document is a table");
    let mut model = p.model(&root)?;
    model.locations = p.locations;
    Ok(model)
}

/// The TOML parser's message, with the offending text when the message does not show it
/// (e.g. which key is duplicated).
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let mut m = format!("invalid TOML: {}", e.message().trim_end());
    if let Some(snippet) = e.span().and_then(|s| text.get(s)) {
        if !snippet.is_empty()
            && snippet.len() <= 40
            && !snippet.contains('\n')
            && !m.contains(snippet)
        {
            m += &format!(": `{snippet}`");
        }
    }
    m
}

// ------------------------------------------------------------------------------------------
// Keys of each table.

const TOP_KEYS: [&str; 4] = [
    "simulation",
    "populations",
    "projections",
    "current_sources",
];
const SIMULATION_KEYS: [&str; 4] = ["timestep", "duration", "seed", "min_delay"];
const POPULATION_KEYS: [&str; 6] = [
    "label",
    "size",
    "cell_type",
    "record",
    "parameters",
    "initial_values",
];
const PROJECTION_KEYS: [&str; 9] = [
    "label",
    "presynaptic",
    "postsynaptic",
    "presynaptic_cells",
    "postsynaptic_cells",
    "receptor_type",
    "connector",
    "synapse",
    "synapse_type",
];
const CONNECTORS: [(&str, &[&str]); 7] = [
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
const CONNECTOR_PARAMETERS: [&str; 5] = [
    "p_connect",
    "n",
    "allow_self_connections",
    "with_replacement",
    "conn_list",
];
const SYNAPSE_KEYS: [&str; 3] = ["type", "weight", "delay"];
const CURRENT_SOURCES: [(&str, &[&str]); 2] = [
    (
        "DCSource",
        &["type", "amplitude", "start", "stop", "inject_into", "cells"],
    ),
    (
        "StepCurrentSource",
        &["type", "times", "amplitudes", "inject_into", "cells"],
    ),
];
const RECEPTORS: [&str; 2] = ["excitatory", "inhibitory"];

/// Where a key of a projection lives in the file: the `connector.` and `synapse.` tables.
fn qualified_key(key: &str) -> String {
    if CONNECTOR_PARAMETERS.contains(&key) {
        format!("connector.{key}")
    } else if key == "weight" || key == "delay" {
        format!("synapse.{key}")
    } else {
        key.to_string()
    }
}

fn distribution_parameters(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "normal" | "lognormal" => &["mu", "sigma"],
        "normal_clipped" => &["mu", "sigma", "low", "high"],
        "uniform" => &["low", "high"],
        "exponential" => &["beta"],
        "gamma" => &["k", "theta"],
        _ => return None,
    })
}

// ------------------------------------------------------------------------------------------
// Reading values.

type Val<'i> = Spanned<DeValue<'i>>;
type Res<T> = Result<T, ModelError>;

/// What a value is, for messages: `the string "abc"`, `a list`, ...
fn describe(v: &DeValue) -> String {
    match v {
        DeValue::String(s) => format!("the string {s:?}"),
        DeValue::Integer(_) => "an integer".into(),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the date {d}"),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

struct Parser<'a> {
    file: &'a str,
    text: &'a str,
    locations: HashMap<(String, String), Position>,
}

/// A table of the file being read: its entries in file order, the item it belongs to and the
/// prefix of its keys in messages (`connector.`, `v_rest.`).
struct Tab<'t, 'i> {
    entries: Vec<(&'t str, Range<usize>, &'t Val<'i>)>,
    span: Range<usize>,
    item: String,
    prefix: String,
}

impl<'t, 'i> Tab<'t, 'i> {
    /// `None` when `v` is not a table.
    fn new(v: &'t DeValue<'i>, span: Range<usize>, item: String, prefix: &str) -> Option<Self> {
        let DeValue::Table(t) = v else { return None };
        let mut entries: Vec<_> = t
            .iter()
            .map(|(k, v)| (k.get_ref().as_ref(), k.span(), v))
            .collect();
        entries.sort_by_key(|e| e.1.start);
        Some(Tab {
            entries,
            span,
            item,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    fn get(&self, k: &str) -> Option<&'t Val<'i>> {
        self.entries.iter().find(|e| e.0 == k).map(|e| e.2)
    }

    fn key_span(&self, k: &str) -> Range<usize> {
        self.entries
            .iter()
            .find(|e| e.0 == k)
            .map_or(self.span.clone(), |e| e.1.clone())
    }
}

impl Parser<'_> {
    fn err(
        &self,
        span: Range<usize>,
        item: &str,
        key: &str,
        message: impl Into<String>,
    ) -> ModelError {
        ModelError {
            file: self.file.to_string(),
            position: Some(Position::of_offset(self.text, span.start)),
            item: item.to_string(),
            key: key.to_string(),
            message: message.into(),
            suggestion: None,
        }
    }

    /// An error of the Network API, at `span`.
    fn wrap(&self, e: BuildError, span: Range<usize>) -> ModelError {
        ModelError {
            suggestion: e.suggestion,
            ..self.err(span, &e.item, &e.key, e.message)
        }
    }

    fn remember(&mut self, item: &str, key: &str, span: &Range<usize>) {
        let pos = Position::of_offset(self.text, span.start);
        self.locations
            .entry((item.to_string(), key.to_string()))
            .or_insert(pos);
    }

    fn remember_table(&mut self, t: &Tab) {
        self.remember(&t.item, "", &t.span);
        for (k, span, _) in &t.entries {
            self.remember(&t.item, &t.key(k), span);
        }
    }

    /// The first key of `t` not in `allowed`, as an error with a suggestion.
    fn check_keys(&self, t: &Tab, allowed: &[&str], what: &str) -> Res<()> {
        for (k, span, _) in &t.entries {
            if !allowed.contains(k) {
                let list = if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                };
                let mut e = self.err(
                    span.clone(),
                    &t.item,
                    &t.key(k),
                    format!("unknown key in {what}; the keys are: {list}"),
                );
                e.suggestion = suggest(k, allowed.iter().copied());
                return Err(e);
            }
        }
        Ok(())
    }

    fn required<'t, 'i>(&self, t: &Tab<'t, 'i>, k: &str, what: &str) -> Res<&'t Val<'i>> {
        t.get(k).ok_or_else(|| {
            self.err(
                t.span.clone(),
                &t.item,
                &t.key(k),
                format!("missing: {what} is required"),
            )
        })
    }

    fn number(&self, v: &Val, item: &str, key: &str) -> Res<f64> {
        let x = match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(i) => i as f64,
                Err(_) => {
                    return Err(self.err(
                        v.span(),
                        item,
                        key,
                        format!("the integer {i} is out of range"),
                    ))
                }
            },
            DeValue::Float(f) => f.as_str().parse::<f64>().map_err(|_| {
                self.err(
                    v.span(),
                    item,
                    key,
                    format!("cannot read the number {}", f.as_str()),
                )
            })?,
            other => {
                return Err(self.err(
                    v.span(),
                    item,
                    key,
                    format!("must be a number, got {}", describe(other)),
                ))
            }
        };
        if !x.is_finite() {
            return Err(self.err(
                v.span(),
                item,
                key,
                format!("must be a finite number, got {x}"),
            ));
        }
        Ok(x)
    }

    fn integer(&self, v: &Val, item: &str, key: &str) -> Res<i64> {
        match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).map_err(|_| {
                self.err(
                    v.span(),
                    item,
                    key,
                    format!("the integer {i} is out of range"),
                )
            }),
            other => Err(self.err(
                v.span(),
                item,
                key,
                format!(
                    "must be a whole number (an integer, written without a decimal point), got {}",
                    describe(other)
                ),
            )),
        }
    }

    /// A non-negative integer that fits `u32` (sizes, counts, cell indices).
    fn count(&self, v: &Val, item: &str, key: &str) -> Res<usize> {
        let i = self.integer(v, item, key)?;
        if i < 0 {
            return Err(self.err(v.span(), item, key, format!("must be >= 0, got {i}")));
        }
        if i > u32::MAX as i64 {
            return Err(self.err(v.span(), item, key, format!("{i} is too large")));
        }
        Ok(i as usize)
    }

    fn string<'v>(&self, v: &'v Val, item: &str, key: &str) -> Res<&'v str> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            other => Err(self.err(
                v.span(),
                item,
                key,
                format!("must be a string (in quotes), got {}", describe(other)),
            )),
        }
    }

    fn boolean(&self, v: &Val, item: &str, key: &str) -> Res<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            other => Err(self.err(
                v.span(),
                item,
                key,
                format!("must be true or false, got {}", describe(other)),
            )),
        }
    }

    fn array<'v, 'i>(
        &self,
        v: &'v Val<'i>,
        item: &str,
        key: &str,
        what: &str,
    ) -> Res<&'v [Val<'i>]> {
        match v.get_ref() {
            DeValue::Array(a) => Ok(a.as_ref()),
            other => Err(self.err(
                v.span(),
                item,
                key,
                format!("must be {what}, got {}", describe(other)),
            )),
        }
    }

    fn numbers(&self, v: &Val, item: &str, key: &str) -> Res<Vec<f64>> {
        let a = self.array(v, item, key, "a list of numbers")?;
        a.iter()
            .enumerate()
            .map(|(i, x)| {
                self.number(x, item, key).map_err(|e| ModelError {
                    message: format!("element {i}: {}", e.message),
                    ..e
                })
            })
            .collect()
    }

    fn table<'t, 'i>(&self, v: &'t Val<'i>, item: &str, key: &str, what: &str) -> Res<Tab<'t, 'i>> {
        Tab::new(v.get_ref(), v.span(), item.to_string(), &format!("{key}.")).ok_or_else(|| {
            self.err(
                v.span(),
                item,
                key,
                format!("must be {what}, got {}", describe(v.get_ref())),
            )
        })
    }

    /// A list of cell indices (a PopulationView), each < `size`.
    fn cells(
        &self,
        v: &Val,
        item: &str,
        key: &str,
        pop: &Population,
        label: &str,
    ) -> Res<Vec<usize>> {
        let a = self.array(v, item, key, "a list of cell indices")?;
        if a.is_empty() {
            return Err(self.err(
                v.span(),
                item,
                key,
                "selects no cells; leave it out to select every cell",
            ));
        }
        let mut cells = Vec::with_capacity(a.len());
        for x in a {
            let c = self.count(x, item, key)?;
            if c >= pop.size {
                return Err(self.err(
                    x.span(),
                    item,
                    key,
                    format!(
                        "cell {c} is out of range: population \"{label}\" has {} cells (0..{})",
                        pop.size, pop.size
                    ),
                ));
            }
            cells.push(c);
        }
        Ok(cells)
    }

    /// A number, a list of numbers or a distribution table.
    fn value(&self, v: &Val, item: &str, key: &str) -> Res<Value> {
        match v.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => Ok(Value::Scalar(self.number(v, item, key)?)),
            DeValue::Array(_) => Ok(Value::PerCell(self.numbers(v, item, key)?)),
            DeValue::Table(_) => Ok(Value::Random(self.distribution(v, item, key)?)),
            other => Err(self.err(
                v.span(),
                item,
                key,
                format!("must be a number, a list of numbers (one per cell) or a distribution table such as {{ distribution = \"normal\", mu = 0.0, sigma = 1.0 }}, got {}", describe(other)),
            )),
        }
    }

    fn distribution(&self, v: &Val, item: &str, key: &str) -> Res<RandomDistribution> {
        let t = self.table(v, item, key, "a distribution table")?;
        let Some(name_v) = t.get("distribution") else {
            return Err(self.err(
                v.span(),
                item,
                &t.key("distribution"),
                format!(
                    "missing: a distribution table needs `distribution = NAME`, NAME one of {}",
                    RandomDistribution::NAMES.join(", ")
                ),
            ));
        };
        let name = self.string(name_v, item, &t.key("distribution"))?;
        let Some(params) = distribution_parameters(name) else {
            let mut e = self.err(
                name_v.span(),
                item,
                &t.key("distribution"),
                format!(
                    "unknown distribution {name:?}; the distributions are {}",
                    RandomDistribution::NAMES.join(", ")
                ),
            );
            e.suggestion = suggest(name, RandomDistribution::NAMES);
            return Err(e);
        };
        let mut allowed = vec!["distribution"];
        allowed.extend_from_slice(params);
        self.check_keys(&t, &allowed, &format!("the {name} distribution"))?;
        let mut x = Vec::with_capacity(params.len());
        for p in params {
            let pv = self.required(
                &t,
                p,
                &format!("`{p}` of the {name} distribution ({})", params.join(", ")),
            )?;
            x.push(self.number(pv, item, &t.key(p))?);
        }
        Ok(match name {
            "normal" => RandomDistribution::Normal {
                mu: x[0],
                sigma: x[1],
            },
            "lognormal" => RandomDistribution::Lognormal {
                mu: x[0],
                sigma: x[1],
            },
            "normal_clipped" => RandomDistribution::NormalClipped {
                mu: x[0],
                sigma: x[1],
                low: x[2],
                high: x[3],
            },
            "uniform" => RandomDistribution::Uniform {
                low: x[0],
                high: x[1],
            },
            "exponential" => RandomDistribution::Exponential { beta: x[0] },
            _ => RandomDistribution::Gamma {
                k: x[0],
                theta: x[1],
            },
        })
    }

    /// The population with this label, or an error suggesting the closest label.
    fn population(
        &self,
        net: &Network,
        v: &Val,
        item: &str,
        key: &str,
    ) -> Res<(Population, String)> {
        let label = self.string(v, item, key)?;
        net.population(label)
            .map(|p| (p, label.to_string()))
            .ok_or_else(|| {
                let labels: Vec<&str> = net.populations.iter().map(|p| p.label.as_str()).collect();
                let known = if labels.is_empty() {
                    "there are no populations".to_string()
                } else {
                    format!(
                        "the populations are {}",
                        labels
                            .iter()
                            .map(|l| format!("{l:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let mut e = self.err(
                    v.span(),
                    item,
                    key,
                    format!("no population is labelled {label:?}; {known}"),
                );
                e.suggestion = suggest(label, labels);
                e
            })
    }

    // --------------------------------------------------------------------------------------
    // Sections.

    fn model(&mut self, root: &Tab) -> Res<Model> {
        self.check_keys(root, &TOP_KEYS, "the model file")?;
        let Some(sim) = root.get("simulation") else {
            return Err(self.err(
                0..0,
                "simulation",
                "",
                "missing: the model file needs a [simulation] table with timestep and duration",
            ));
        };
        let sim = self.table(sim, "simulation", "simulation", "a table ([simulation])")?;
        let sim = Tab {
            prefix: String::new(),
            ..sim
        };
        let (setup, duration, seed_given) = self.simulation(&sim)?;
        let mut net = Network::new(setup);

        let sections = [
            ("populations", "population"),
            ("projections", "projection"),
            ("current_sources", "current source"),
        ];
        let mut lists: Vec<&[Val]> = Vec::new();
        for (key, what) in sections {
            lists.push(match root.get(key) {
                None => &[],
                Some(v) => match v.get_ref() {
                    DeValue::Array(a) => a.as_ref(),
                    other => {
                        return Err(self.err(v.span(), "", key, format!("must be a list of tables, one per {what} (write [[{key}]] above each), got {}", describe(other))));
                    }
                },
            });
        }
        for (i, v) in lists[0].iter().enumerate() {
            self.population_section(&mut net, i, v)?;
        }
        for (i, v) in lists[1].iter().enumerate() {
            self.projection_section(&mut net, i, v)?;
        }
        for (i, v) in lists[2].iter().enumerate() {
            self.current_source_section(&mut net, i, v)?;
        }
        Ok(Model {
            path: PathBuf::from(self.file),
            network: net,
            duration,
            seed_given,
            locations: HashMap::new(),
        })
    }

    fn simulation(&mut self, t: &Tab) -> Res<(Setup, f64, bool)> {
        self.remember_table(t);
        self.check_keys(t, &SIMULATION_KEYS, "[simulation]")?;
        let item = "simulation";
        let v = self.required(t, "timestep", "the timestep (ms, > 0)")?;
        let timestep = self.number(v, item, "timestep")?;
        if timestep <= 0.0 {
            return Err(self.err(
                v.span(),
                item,
                "timestep",
                format!("must be > 0 ms, got {timestep}"),
            ));
        }
        let v = self.required(t, "duration", "the simulated time (ms, >= 0)")?;
        let duration = self.number(v, item, "duration")?;
        if duration < 0.0 {
            return Err(self.err(
                v.span(),
                item,
                "duration",
                format!("must be >= 0 ms, got {duration}"),
            ));
        }
        let seed = match t.get("seed") {
            None => 0,
            Some(v) => {
                let s = self.integer(v, item, "seed")?;
                if s < 0 {
                    return Err(self.err(
                        v.span(),
                        item,
                        "seed",
                        format!("must be an integer >= 0, got {s}"),
                    ));
                }
                s as u64
            }
        };
        let min_delay = match t.get("min_delay") {
            None => None,
            Some(v) => {
                let d = self.number(v, item, "min_delay")?;
                if d <= 0.0 {
                    return Err(self.err(
                        v.span(),
                        item,
                        "min_delay",
                        format!("must be > 0 ms, got {d}"),
                    ));
                }
                Some(d)
            }
        };
        Ok((
            Setup {
                timestep,
                seed,
                min_delay,
            },
            duration,
            t.get("seed").is_some(),
        ))
    }

    fn population_section(&mut self, net: &mut Network, index: usize, v: &Val) -> Res<()> {
        let fallback = format!("population {index}");
        let t = self.table(v, &fallback, "populations", "a table")?;
        let mut t = Tab {
            prefix: String::new(),
            ..t
        };
        // Name the item by its label as soon as it is known.
        if let Some(Ok(label)) = t.get("label").map(|l| self.string(l, &fallback, "label")) {
            t.item = format!("population \"{label}\"");
        }
        self.check_keys(&t, &POPULATION_KEYS, "a population")?;
        let item = t.item.clone();
        let label_v = self.required(&t, "label", "a label (a unique name)")?;
        let label = self.string(label_v, &item, "label")?;
        if label.is_empty() {
            return Err(self.err(label_v.span(), &item, "label", "must not be empty"));
        }
        let size_v = self.required(&t, "size", "the number of cells")?;
        let size = self.count(size_v, &item, "size")?;
        let ct_v = self.required(
            &t,
            "cell_type",
            "the cell type (IF_curr_exp, SpikeSourceArray or SpikeSourcePoisson)",
        )?;
        let ct_name = self.string(ct_v, &item, "cell_type")?;
        let names = CellType::ALL.map(|c| c.name());
        let cell_type = CellType::from_name(ct_name).ok_or_else(|| {
            let mut e = self.err(
                ct_v.span(),
                &item,
                "cell_type",
                format!(
                    "unknown cell type {ct_name:?}; the cell types are {}",
                    names.join(", ")
                ),
            );
            e.suggestion = suggest(ct_name, names);
            e
        })?;
        let pop = net.create(label, size, cell_type).map_err(|e| {
            let span = if e.key == "size" {
                size_v.span()
            } else {
                label_v.span()
            };
            self.wrap(e, span)
        })?;
        self.remember_table(&t);

        if let Some(pv) = t.get("parameters") {
            let pt = self.table(pv, &item, "parameters", "a table of parameter values")?;
            let pt = Tab {
                prefix: String::new(),
                ..pt
            };
            self.remember_table(&pt);
            for (name, kspan, val) in &pt.entries {
                self.parameter(net, &pop, cell_type, name, kspan, val, &item)?;
            }
            self.check_population_values(net, &pop, &pt)?;
        }
        if let Some(iv) = t.get("initial_values") {
            let it = self.table(iv, &item, "initial_values", "a table of initial values")?;
            let it = Tab {
                prefix: String::new(),
                ..it
            };
            self.remember_table(&it);
            for (name, kspan, val) in &it.entries {
                if !cell_type.state_variables().contains(name) {
                    // The unknown name, with Network::initialize's message and suggestion.
                    let e = net
                        .initialize(&pop, name, 0.0)
                        .expect_err("unknown state variable");
                    return Err(self.wrap(e, kspan.clone()));
                }
                let value = self.value(val, &item, name)?;
                net.initialize(&pop, name, value)
                    .map_err(|e| self.wrap(e, kspan.clone()))?;
            }
        }
        if let Some(rv) = t.get("record") {
            let list: Vec<&Val> = match rv.get_ref() {
                DeValue::String(_) => vec![rv],
                DeValue::Array(a) => a.iter().collect(),
                other => {
                    return Err(self.err(rv.span(), &item, "record", format!("must be a list of variable names (v, isyn_exc, isyn_inh, spikes), got {}", describe(other))));
                }
            };
            let var_names = Var::ALL.map(|v| v.name());
            let mut vars = Vec::new();
            for x in list {
                let name = self.string(x, &item, "record")?;
                let var = Var::from_name(name).ok_or_else(|| {
                    let mut e = self.err(
                        x.span(),
                        &item,
                        "record",
                        format!(
                            "unknown variable {name:?}; the recordable variables are {}",
                            var_names.join(", ")
                        ),
                    );
                    e.suggestion = suggest(name, var_names);
                    e
                })?;
                vars.push(var);
            }
            if !vars.is_empty() {
                net.record(pop, &vars)
                    .map_err(|e| self.wrap(e, rv.span()))?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn parameter(
        &self,
        net: &mut Network,
        pop: &Population,
        cell_type: CellType,
        name: &str,
        kspan: &Range<usize>,
        val: &Val,
        item: &str,
    ) -> Res<()> {
        if cell_type == CellType::SpikeSourceArray && name == "spike_times" {
            let times = self.spike_times(val, item)?;
            return net
                .set_spike_times(pop, times)
                .map_err(|e| self.wrap(e, val.span()));
        }
        if !cell_type.parameter_names().contains(&name) {
            // The unknown name, with Network::set's message and suggestion.
            let e = net.set(pop, name, 0.0).expect_err("unknown parameter");
            return Err(self.wrap(e, kspan.clone()));
        }
        let value = self.value(val, item, name)?;
        net.set(pop, name, value)
            .map_err(|e| self.wrap(e, kspan.clone()))
    }

    fn spike_times(&self, v: &Val, item: &str) -> Res<SpikeTimes> {
        let key = "spike_times";
        let what = "a list of times (ms) for every cell, or a list of such lists, one per cell";
        let a = self.array(v, item, key, what)?;
        if a.iter().any(|x| matches!(x.get_ref(), DeValue::Array(_))) {
            let mut lists = Vec::with_capacity(a.len());
            for (c, x) in a.iter().enumerate() {
                if !matches!(x.get_ref(), DeValue::Array(_)) {
                    return Err(self.err(x.span(), item, key, format!("mixes numbers and lists: element {c} must be a list of times like the others, got {}", describe(x.get_ref()))));
                }
                let ts = self.numbers(x, item, key).map_err(|e| ModelError {
                    message: format!("cell {c}: {}", e.message),
                    ..e
                })?;
                lists.push(ts);
            }
            Ok(SpikeTimes::PerCell(lists))
        } else {
            Ok(SpikeTimes::Same(self.numbers(v, item, key)?))
        }
    }

    /// The rules of the model ([`if_curr_exp::check_values`]) and of the network
    /// ([`check_poisson_parameter`]) on parameters given as numbers or lists, which
    /// `Network::set` leaves to `build`: applied here, cell by cell, to report a broken rule
    /// with its position, the cell of a list and which values are PyNN's defaults.
    fn check_population_values(&self, net: &Network, pop: &Population, pt: &Tab) -> Res<()> {
        let spec = &net.populations[pop.index];
        let item = format!("population \"{}\"", spec.label);
        let given = |name: &str| spec.parameters.iter().find(|p| p.0 == name).map(|p| &p.1);
        let per_cell = |name: &str| matches!(given(name), Some(Value::PerCell(_)));
        // Value of `name` for cell `i`: None when drawn at random.
        let at = |name: &str, default: f64, i: usize| -> Option<f64> {
            match given(name) {
                None => Some(default),
                Some(Value::Scalar(x)) => Some(*x),
                Some(Value::PerCell(xs)) => xs.get(i).copied(),
                Some(Value::Random(_)) => None,
            }
        };
        // The broken rule of `names` at cell `i` as an error at the key given in the file.
        let error = |names: &[&str], i: usize, message: String| {
            let key = names
                .iter()
                .copied()
                .find(|n| given(n).is_some())
                .unwrap_or(names[0]);
            let cell = if names.iter().any(|n| per_cell(n)) {
                format!(" (cell {i})")
            } else {
                String::new()
            };
            let defaults: String = names
                .iter()
                .filter(|n| given(n).is_none())
                .map(|n| format!("; {n} is PyNN's default"))
                .collect();
            self.err(
                pt.key_span(key),
                &item,
                key,
                format!("{message}{cell}{defaults}"),
            )
        };
        let cells = if spec.parameters.iter().any(|p| per_cell(&p.0)) {
            spec.size
        } else {
            1
        };
        for i in 0..cells {
            match spec.cell_type {
                CellType::IfCurrExp => {
                    let values = if_curr_exp::PARAMETERS.map(|(n, d, _)| at(n, d, i));
                    if let Err(e) = if_curr_exp::check_values(&values) {
                        let names: &[&str] = if e.name == "v_reset" {
                            &["v_reset", "v_thresh"]
                        } else {
                            &[e.name]
                        };
                        return Err(error(names, i, e.message));
                    }
                }
                CellType::SpikeSourcePoisson => {
                    for (name, default, _) in POISSON_PARAMETERS {
                        if let Some(x) = at(name, default, i) {
                            check_poisson_parameter(name, x).map_err(|m| error(&[name], i, m))?;
                        }
                    }
                }
                CellType::SpikeSourceArray => {}
            }
        }
        Ok(())
    }

    fn projection_section(&mut self, net: &mut Network, index: usize, v: &Val) -> Res<()> {
        let fallback = format!("projection {index}");
        let t = self.table(v, &fallback, "projections", "a table")?;
        let mut t = Tab {
            prefix: String::new(),
            ..t
        };
        let label_of = |k: &str| match t.get(k).map(|v| v.get_ref()) {
            Some(DeValue::String(s)) => Some(s.to_string()),
            _ => None,
        };
        let label = label_of("label").or_else(|| {
            Some(format!(
                "{}->{}",
                label_of("presynaptic")?,
                label_of("postsynaptic")?
            ))
        });
        if let Some(l) = &label {
            t.item = format!("projection \"{l}\"");
        }
        self.check_keys(&t, &PROJECTION_KEYS, "a projection")?;
        let item = t.item.clone();
        if let Some(sv) = t.get("synapse_type") {
            return Err(ModelError {
                suggestion: Some("synapse".into()),
                ..self.err(t.key_span("synapse_type"), &item, "synapse_type", format!("the synapse is given by `synapse = {{ type = \"StaticSynapse\", weight = ..., delay = ... }}`, got {}", describe(sv.get_ref())))
            });
        }
        let given_label = match t.get("label") {
            Some(l) => Some(self.string(l, &item, "label")?.to_string()),
            None => None,
        };
        let pre_v = self.required(&t, "presynaptic", "the presynaptic population's label")?;
        let post_v = self.required(&t, "postsynaptic", "the postsynaptic population's label")?;
        let (pre_pop, pre_label) = self.population(net, pre_v, &item, "presynaptic")?;
        let (post_pop, post_label) = self.population(net, post_v, &item, "postsynaptic")?;
        let pre: Selection = match t.get("presynaptic_cells") {
            Some(c) => {
                pre_pop.view(&self.cells(c, &item, "presynaptic_cells", &pre_pop, &pre_label)?)
            }
            None => pre_pop.into(),
        };
        let post: Selection = match t.get("postsynaptic_cells") {
            Some(c) => post_pop.view(&self.cells(
                c,
                &item,
                "postsynaptic_cells",
                &post_pop,
                &post_label,
            )?),
            None => post_pop.into(),
        };
        let receptor = match t.get("receptor_type") {
            None => Receptor::Excitatory,
            Some(r) => match self.string(r, &item, "receptor_type")? {
                "excitatory" => Receptor::Excitatory,
                "inhibitory" => Receptor::Inhibitory,
                other => {
                    let mut e = self.err(r.span(), &item, "receptor_type", format!("unknown receptor type {other:?}; IF_curr_exp has \"excitatory\" and \"inhibitory\""));
                    e.suggestion = suggest(other, RECEPTORS);
                    return Err(e);
                }
            },
        };
        let min_delay = net.setup.min_delay();
        let n_pre = pre.cells.as_ref().map_or(pre_pop.size, |c| c.len());
        let n_post = post.cells.as_ref().map_or(post_pop.size, |c| c.len());
        let cv = self.required(
            &t,
            "connector",
            "a connector table such as { type = \"AllToAllConnector\" }",
        )?;
        let ct = self.table(
            cv,
            &item,
            "connector",
            "a table such as { type = \"AllToAllConnector\" }",
        )?;
        let connector = self.connector(&ct, receptor, min_delay, n_pre, n_post)?;
        let synapse = match t.get("synapse") {
            None => StaticSynapse::new(0.0, min_delay),
            Some(sv) => {
                let st = self.table(
                    sv,
                    &item,
                    "synapse",
                    "a table such as { type = \"StaticSynapse\", weight = 0.5, delay = 1.0 }",
                )?;
                self.check_keys(&st, &SYNAPSE_KEYS, "a StaticSynapse")?;
                if let Some(tv) = st.get("type") {
                    let name = self.string(tv, &item, "synapse.type")?;
                    if name != "StaticSynapse" {
                        let mut e = self.err(tv.span(), &item, "synapse.type", format!("unknown synapse type {name:?}; the only synapse type is StaticSynapse"));
                        e.suggestion = suggest(name, ["StaticSynapse"]);
                        return Err(e);
                    }
                }
                let weight = match st.get("weight") {
                    None => Value::Scalar(0.0),
                    Some(w) => self.value(w, &item, "synapse.weight")?,
                };
                let delay = match st.get("delay") {
                    None => Value::Scalar(min_delay),
                    Some(d) => self.value(d, &item, "synapse.delay")?,
                };
                self.remember_table(&st);
                StaticSynapse { weight, delay }
            }
        };
        self.remember_table(&t);
        self.remember_table(&ct);
        net.connect(
            pre,
            post,
            connector,
            synapse,
            receptor,
            given_label.as_deref(),
        )
        .map_err(|e| {
            let key = qualified_key(&e.key);
            let span = match key.split_once('.') {
                Some(("connector", k)) => ct.key_span(k),
                Some(("synapse", k)) => match t
                    .get("synapse")
                    .and_then(|s| Tab::new(s.get_ref(), s.span(), String::new(), ""))
                {
                    Some(st) => st.key_span(k),
                    None => t.key_span("connector"),
                },
                _ => t.key_span(&key),
            };
            ModelError {
                key,
                ..self.wrap(e, span)
            }
        })
    }

    fn connector(
        &self,
        t: &Tab,
        receptor: Receptor,
        min_delay: f64,
        n_pre: usize,
        n_post: usize,
    ) -> Res<Connector> {
        let item = t.item.as_str();
        let type_v = self.required(
            t,
            "type",
            "the connector's class name, e.g. type = \"AllToAllConnector\"",
        )?;
        let name = self.string(type_v, item, "connector.type")?;
        let names = CONNECTORS.map(|c| c.0);
        let Some((_, params)) = CONNECTORS.iter().find(|c| c.0 == name) else {
            let mut e = self.err(
                type_v.span(),
                item,
                "connector.type",
                format!(
                    "unknown connector {name:?}; the connectors are {}",
                    names.join(", ")
                ),
            );
            e.suggestion = suggest(name, names);
            return Err(e);
        };
        let mut allowed = vec!["type"];
        allowed.extend_from_slice(params);
        self.check_keys(t, &allowed, name)?;
        let flag = |k: &str, default: bool| -> Res<bool> {
            match t.get(k) {
                None => Ok(default),
                Some(v) => self.boolean(v, item, &t.key(k)),
            }
        };
        let allow_self_connections = flag("allow_self_connections", true)?;
        let n = || -> Res<usize> {
            let v = self.required(t, "n", "the number of connections `n`")?;
            self.count(v, item, "connector.n")
        };
        Ok(match name {
            "AllToAllConnector" => Connector::AllToAll {
                allow_self_connections,
            },
            "OneToOneConnector" => Connector::OneToOne,
            "FixedProbabilityConnector" => {
                let v = self.required(t, "p_connect", "the connection probability `p_connect`")?;
                let p_connect = self.number(v, item, "connector.p_connect")?;
                if !(0.0..=1.0).contains(&p_connect) {
                    return Err(self.err(
                        v.span(),
                        item,
                        "connector.p_connect",
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
                with_replacement: flag("with_replacement", false)?,
            },
            "FixedNumberPostConnector" => Connector::FixedNumberPost {
                n: n()?,
                allow_self_connections,
                with_replacement: flag("with_replacement", false)?,
            },
            "FixedTotalNumberConnector" => Connector::FixedTotalNumber {
                n: n()?,
                allow_self_connections,
                with_replacement: flag("with_replacement", true)?,
            },
            _ => Connector::FromList {
                conn_list: self.conn_list(t, receptor, min_delay, n_pre, n_post)?,
            },
        })
    }

    #[allow(clippy::type_complexity)]
    fn conn_list(
        &self,
        t: &Tab,
        receptor: Receptor,
        min_delay: f64,
        n_pre: usize,
        n_post: usize,
    ) -> Res<Vec<(u32, u32, Option<f64>, Option<f64>)>> {
        let item = t.item.as_str();
        let key = "connector.conn_list";
        let what = "a list of [pre, post] or [pre, post, weight, delay] rows";
        let v = self.required(t, "conn_list", what)?;
        let rows = self.array(v, item, key, what)?;
        let mut out = Vec::with_capacity(rows.len());
        let mut width = None;
        for (r, row) in rows.iter().enumerate() {
            let row_err = |e: ModelError| ModelError {
                message: format!("row {r}: {}", e.message),
                ..e
            };
            let cols = self
                .array(
                    row,
                    item,
                    key,
                    "a row [pre, post] or [pre, post, weight, delay]",
                )
                .map_err(row_err)?;
            if cols.len() != 2 && cols.len() != 4 {
                return Err(row_err(self.err(
                    row.span(),
                    item,
                    key,
                    format!(
                        "must be [pre, post] or [pre, post, weight, delay], got {} values",
                        cols.len()
                    ),
                )));
            }
            match width {
                None => width = Some(cols.len()),
                Some(w) if w != cols.len() => {
                    return Err(row_err(self.err(
                        row.span(),
                        item,
                        key,
                        format!(
                            "has {} values but row 0 has {w}; every row must have the same columns",
                            cols.len()
                        ),
                    )));
                }
                _ => {}
            }
            let pre = self.count(&cols[0], item, key).map_err(row_err)?;
            let post = self.count(&cols[1], item, key).map_err(row_err)?;
            if pre >= n_pre {
                return Err(row_err(self.err(
                    cols[0].span(),
                    item,
                    key,
                    format!("presynaptic cell {pre} is out of range (0..{n_pre})"),
                )));
            }
            if post >= n_post {
                return Err(row_err(self.err(
                    cols[1].span(),
                    item,
                    key,
                    format!("postsynaptic cell {post} is out of range (0..{n_post})"),
                )));
            }
            let (mut weight, mut delay) = (None, None);
            if cols.len() == 4 {
                let w = self.number(&cols[2], item, key).map_err(row_err)?;
                check_weight_sign(w, receptor)
                    .map_err(|m| row_err(self.err(cols[2].span(), item, key, m.clone())))?;
                let d = self.number(&cols[3], item, key).map_err(row_err)?;
                if d < min_delay {
                    return Err(row_err(self.err(
                        cols[3].span(),
                        item,
                        key,
                        format!("delay {d} ms is below min_delay ({min_delay} ms)"),
                    )));
                }
                (weight, delay) = (Some(w), Some(d));
            }
            out.push((pre as u32, post as u32, weight, delay));
        }
        Ok(out)
    }

    fn current_source_section(&mut self, net: &mut Network, index: usize, v: &Val) -> Res<()> {
        let fallback = format!("current source {index}");
        let t = self.table(v, &fallback, "current_sources", "a table")?;
        let mut t = Tab {
            prefix: String::new(),
            ..t
        };
        let type_v = self.required(
            &t,
            "type",
            "the source's class name (DCSource or StepCurrentSource)",
        )?;
        let name = self.string(type_v, &fallback, "type")?;
        let names = CURRENT_SOURCES.map(|c| c.0);
        let Some((name, keys)) = CURRENT_SOURCES.iter().find(|c| c.0 == name) else {
            let mut e = self.err(
                type_v.span(),
                &fallback,
                "type",
                format!(
                    "unknown current source {name:?}; the current sources are {}",
                    names.join(", ")
                ),
            );
            e.suggestion = suggest(name, names);
            return Err(e);
        };
        t.item = format!("current source {index} ({name})");
        let item = t.item.clone();
        self.check_keys(&t, keys, name)?;
        self.remember_table(&t);
        let into_v = self.required(
            &t,
            "inject_into",
            "the label of the population to inject into",
        )?;
        let (pop, label) = self.population(net, into_v, &item, "inject_into")?;
        let sel: Selection = match t.get("cells") {
            Some(c) => pop.view(&self.cells(c, &item, "cells", &pop, &label)?),
            None => pop.into(),
        };
        let num = |k: &str, default: f64| -> Res<f64> {
            match t.get(k) {
                None => Ok(default),
                Some(v) => self.number(v, &item, k),
            }
        };
        let source = if *name == "DCSource" {
            CurrentSource::Dc {
                amplitude: num("amplitude", 1.0)?,
                start: num("start", 0.0)?,
                stop: num("stop", f64::INFINITY)?,
            }
        } else {
            let tv = self.required(&t, "times", "the switch times (ms)")?;
            let av = self.required(&t, "amplitudes", "the amplitudes (nA), one per time")?;
            CurrentSource::Step {
                times: self.numbers(tv, &item, "times")?,
                amplitudes: self.numbers(av, &item, "amplitudes")?,
            }
        };
        net.inject(source, sel).map_err(|e| {
            let span = t.key_span(&e.key);
            self.wrap(e, span)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\ncdé\nx";
        assert_eq!(
            Position::of_offset(text, 0),
            Position { line: 1, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 3),
            Position { line: 2, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 7),
            Position { line: 2, column: 4 }
        );
        assert_eq!(
            Position::of_offset(text, 8),
            Position { line: 3, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 100),
            Position { line: 3, column: 2 }
        );
    }

    #[test]
    fn display_leaves_out_what_is_unknown() {
        let mut e = ModelError {
            file: "m.toml".into(),
            position: None,
            item: "simulation".into(),
            key: "timestep".into(),
            message: "must be > 0 ms, got 0".into(),
            suggestion: None,
        };
        assert_eq!(
            e.to_string(),
            "m.toml: simulation: `timestep`: must be > 0 ms, got 0"
        );
        e.position = Some(Position {
            line: 3,
            column: 12,
        });
        e.suggestion = Some("x".into());
        assert_eq!(
            e.to_string(),
            "m.toml:3:12: simulation: `timestep`: must be > 0 ms, got 0 (did you mean `x`?)"
        );
    }
}
