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
//! `tau_m`, `tau_syn_E`, `tau_syn_I` > 0 and in the validity domain (1e-6 to 1e6 ms or nF),
//! `tau_refrac` >= 0, potentials within 1e6 mV, `i_offset` within 1e6 nA and `v_inf` within
//! 1e6 mV, `v_reset` < `v_thresh` (`crate::model::if_curr_exp`'s rules);
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
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::network::{BuildError, Network};

mod parse;
mod sections;

use parse::{Parser, Tab};
use sections::qualified_key;

/// A model read from a file: the network description and how long to simulate it.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The file it was read from (for [`parse_model`], the `file` name given).
    pub path: PathBuf,
    /// The network, ready for [`Network::build`]. Its `setup` holds the timestep, the seed
    /// (0 when the file gives none), min_delay and the seeding version (2 when the file gives
    /// none).
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
