//! Reading the model file's TOML: positions of values in the text, typed readers that name
//! the item and key of a bad value, did-you-mean suggestions and the errors they make.

use std::collections::HashMap;
use std::ops::Range;

use toml::de::DeValue;
use toml::Spanned;

use super::{ModelError, Position};
use crate::network::{suggest, BuildError, Network, Population, RandomDistribution, Value};

pub(super) type Val<'i> = Spanned<DeValue<'i>>;
pub(super) type Res<T> = Result<T, ModelError>;

/// What a value is, for messages: `the string "abc"`, `a list`, ...
pub(super) fn describe(v: &DeValue) -> String {
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

pub(super) struct Parser<'a> {
    /// The file's name, for messages.
    pub file: &'a str,
    /// The file's text.
    pub text: &'a str,
    /// Where each (item, key) was first seen, for [`super::Model::build_error`].
    pub locations: HashMap<(String, String), Position>,
}

/// A table of the file being read: its entries in file order, the item it belongs to and the
/// prefix of its keys in messages (`connector.`, `v_rest.`).
pub(super) struct Tab<'t, 'i> {
    /// (key, its span, its value), in file order.
    pub entries: Vec<(&'t str, Range<usize>, &'t Val<'i>)>,
    /// The span of the whole table.
    pub span: Range<usize>,
    /// The item, e.g. `population "exc"`.
    pub item: String,
    /// The prefix of its keys in messages.
    pub prefix: String,
}

impl<'t, 'i> Tab<'t, 'i> {
    /// `None` when `v` is not a table.
    pub(super) fn new(
        v: &'t DeValue<'i>,
        span: Range<usize>,
        item: String,
        prefix: &str,
    ) -> Option<Self> {
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

    /// `k` as messages name it: with the table's prefix.
    pub(super) fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    /// The value of key `k`, if given.
    pub(super) fn get(&self, k: &str) -> Option<&'t Val<'i>> {
        self.entries.iter().find(|e| e.0 == k).map(|e| e.2)
    }

    /// Where key `k` is in the file (the table's span when it is absent).
    pub(super) fn key_span(&self, k: &str) -> Range<usize> {
        self.entries
            .iter()
            .find(|e| e.0 == k)
            .map_or(self.span.clone(), |e| e.1.clone())
    }
}

impl Parser<'_> {
    /// An error at `span` about `key` of `item`.
    pub(super) fn err(
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
            message: crate::network::short_numbers(message.into()),
            suggestion: None,
        }
    }

    /// An error of the Network API, at `span`.
    pub(super) fn wrap(&self, e: BuildError, span: Range<usize>) -> ModelError {
        ModelError {
            suggestion: e.suggestion,
            ..self.err(span, &e.item, &e.key, e.message)
        }
    }

    /// Notes where `key` of `item` is, the first time it is seen.
    fn remember(&mut self, item: &str, key: &str, span: &Range<usize>) {
        let pos = Position::of_offset(self.text, span.start);
        self.locations
            .entry((item.to_string(), key.to_string()))
            .or_insert(pos);
    }

    /// Notes where table `t` and each of its keys are.
    pub(super) fn remember_table(&mut self, t: &Tab) {
        self.remember(&t.item, "", &t.span);
        for (k, span, _) in &t.entries {
            self.remember(&t.item, &t.key(k), span);
        }
    }

    /// The first key of `t` not in `allowed`, as an error with a suggestion.
    pub(super) fn check_keys(&self, t: &Tab, allowed: &[&str], what: &str) -> Res<()> {
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

    /// The value of key `k` of `t`, or an error saying `what` is missing.
    pub(super) fn required<'t, 'i>(
        &self,
        t: &Tab<'t, 'i>,
        k: &str,
        what: &str,
    ) -> Res<&'t Val<'i>> {
        t.get(k).ok_or_else(|| {
            self.err(
                t.span.clone(),
                &t.item,
                &t.key(k),
                format!("missing: {what} is required"),
            )
        })
    }

    /// A finite number (an integer or a float).
    pub(super) fn number(&self, v: &Val, item: &str, key: &str) -> Res<f64> {
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

    /// An integer (written without a decimal point).
    pub(super) fn integer(&self, v: &Val, item: &str, key: &str) -> Res<i64> {
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
    pub(super) fn count(&self, v: &Val, item: &str, key: &str) -> Res<usize> {
        let i = self.integer(v, item, key)?;
        if i < 0 {
            return Err(self.err(v.span(), item, key, format!("must be >= 0, got {i}")));
        }
        if i > u32::MAX as i64 {
            return Err(self.err(v.span(), item, key, format!("{i} is too large")));
        }
        Ok(i as usize)
    }

    /// A string.
    pub(super) fn string<'v>(&self, v: &'v Val, item: &str, key: &str) -> Res<&'v str> {
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

    /// `true` or `false`.
    pub(super) fn boolean(&self, v: &Val, item: &str, key: &str) -> Res<bool> {
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

    /// A list, or an error saying it must be `what`.
    pub(super) fn array<'v, 'i>(
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

    /// A list of finite numbers.
    pub(super) fn numbers(&self, v: &Val, item: &str, key: &str) -> Res<Vec<f64>> {
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

    /// A table, its keys named `key.name` in messages.
    pub(super) fn table<'t, 'i>(
        &self,
        v: &'t Val<'i>,
        item: &str,
        key: &str,
        what: &str,
    ) -> Res<Tab<'t, 'i>> {
        Tab::new(v.get_ref(), v.span(), item.to_string(), &format!("{key}.")).ok_or_else(|| {
            self.err(
                v.span(),
                item,
                key,
                format!("must be {what}, got {}", describe(v.get_ref())),
            )
        })
    }

    /// A table whose keys are named alone in messages (a section, `parameters`,
    /// `initial_values`), not as `key.name`.
    pub(super) fn section<'t, 'i>(
        &self,
        v: &'t Val<'i>,
        item: &str,
        key: &str,
        what: &str,
    ) -> Res<Tab<'t, 'i>> {
        let t = self.table(v, item, key, what)?;
        Ok(Tab {
            prefix: String::new(),
            ..t
        })
    }

    /// A list of cell indices (a PopulationView), each < `size`.
    pub(super) fn cells(
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
    pub(super) fn value(&self, v: &Val, item: &str, key: &str) -> Res<Value> {
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

    /// A distribution table `{ distribution = NAME, ... }` with PyNN's parameter names.
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
    pub(super) fn population(
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
}

/// The parameters of the distribution PyNN calls `name`, in the order of its variant.
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
