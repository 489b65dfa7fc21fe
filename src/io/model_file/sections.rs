//! The sections of the model file: `[simulation]`, `[[populations]]`, `[[projections]]` and
//! `[[current_sources]]`, read into a [`Network`] through its builder methods.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use toml::de::DeValue;

use super::parse::{describe, Parser, Res, Tab, Val};
use super::{Model, ModelError};
use crate::model::{if_curr_exp, ModelKind};
use crate::network::{
    check_delay, check_poisson_parameter, check_weight_sign, suggest, CellType, Connector,
    ConnectorParams, CurrentSource, Network, Population, Receptor, Seeding, Selection, Setup,
    SpikeTimes, StaticSynapse, Value, Var, CONNECTORS, POISSON_PARAMETERS,
};

// Keys of each table.

const TOP_KEYS: [&str; 4] = [
    "simulation",
    "populations",
    "projections",
    "current_sources",
];
const SIMULATION_KEYS: [&str; 5] = ["timestep", "duration", "seed", "min_delay", "seeding"];
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
const CONNECTOR_PARAMETERS: [&str; 5] = [
    "p_connect",
    "n",
    "allow_self_connections",
    "with_replacement",
    "conn_list",
];
const SYNAPSE_KEYS: [&str; 3] = ["type", "weight", "delay"];
const CURRENT_SOURCES: [(&str, &[&str]); 3] = [
    (
        "DCSource",
        &["type", "amplitude", "start", "stop", "inject_into", "cells"],
    ),
    (
        "StepCurrentSource",
        &["type", "times", "amplitudes", "inject_into", "cells"],
    ),
    (
        "ACSource",
        &[
            "type",
            "amplitude",
            "offset",
            "frequency",
            "phase",
            "start",
            "stop",
            "inject_into",
            "cells",
        ],
    ),
];
const RECEPTORS: [&str; 2] = ["excitatory", "inhibitory"];

/// Where a key of a projection lives in the file: the `connector.` and `synapse.` tables.
pub(super) fn qualified_key(key: &str) -> String {
    if CONNECTOR_PARAMETERS.contains(&key) {
        format!("connector.{key}")
    } else if key == "weight" || key == "delay" {
        format!("synapse.{key}")
    } else {
        key.to_string()
    }
}

impl Parser<'_> {
    /// The whole file: `[simulation]`, then the populations, projections and current
    /// sources in file order.
    pub(super) fn model(&mut self, root: &Tab) -> Res<Model> {
        self.check_keys(root, &TOP_KEYS, "the model file")?;
        let Some(sim) = root.get("simulation") else {
            return Err(self.err(
                0..0,
                "simulation",
                "",
                "missing: the model file needs a [simulation] table with timestep and duration",
            ));
        };
        let sim = self.section(sim, "simulation", "simulation", "a table ([simulation])")?;
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

    /// `[simulation]`: the setup, the duration (ms) and whether a seed was given.
    fn simulation(&mut self, t: &Tab) -> Res<(Setup, f64, bool)> {
        self.remember_table(t);
        self.check_keys(t, &SIMULATION_KEYS, "[simulation]")?;
        let item = "simulation";
        let v = self.required(t, "timestep", "the timestep (ms, > 0)")?;
        let timestep = self.number(v, item, "timestep")?;
        Setup::check_step(timestep).map_err(|m| self.err(v.span(), item, "timestep", m))?;
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
        // a run shorter than one step would record its first sample only, and the step-based
        // backends would simulate nothing (0 stays valid: the state at t = 0)
        if duration > 0.0 && duration < timestep {
            return Err(self.err(
                v.span(),
                item,
                "duration",
                format!(
                    "{duration} ms is shorter than one timestep ({timestep} ms): make the \
                     duration at least the timestep, or the timestep at most the duration"
                ),
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
                Setup::check_step(d).map_err(|m| self.err(v.span(), item, "min_delay", m))?;
                Some(d)
            }
        };
        let seeding = match t.get("seeding") {
            None => Seeding::default(),
            Some(v) => {
                let n = self.integer(v, item, "seeding")?;
                Seeding::from_number(n).ok_or_else(|| {
                    self.err(
                        v.span(),
                        item,
                        "seeding",
                        format!(
                            "must be 1 (the per-projection streams of earlier versions) or 2 \
                             (streams per target cell, the default), got {n}"
                        ),
                    )
                })?
            }
        };
        Ok((
            Setup {
                timestep,
                seed,
                min_delay,
                seeding,
            },
            duration,
            t.get("seed").is_some(),
        ))
    }

    /// One `[[populations]]` table (number `index`), created in `net`.
    fn population_section(&mut self, net: &mut Network, index: usize, v: &Val) -> Res<()> {
        let fallback = format!("population {index}");
        let mut t = self.section(v, &fallback, "populations", "a table")?;
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
        let simulated = |c: &CellType| c.model().is_none_or(|m| m.simulated());
        let names: Vec<&str> = CellType::ALL
            .into_iter()
            .filter(simulated)
            .map(|c| c.name())
            .collect();
        let cell_type = CellType::from_name(ct_name)
            .filter(simulated)
            .ok_or_else(|| {
                // SPEC §8's cells: named (crate::model::ModelKind), but not simulated yet
                if ModelKind::of_name(ct_name).is_some_and(|k| !k.simulated()) {
                    return self.err(
                        ct_v.span(),
                        &item,
                        "cell_type",
                        format!(
                            "{ct_name} (SPEC §8) is not simulated yet by this version of exactlif \
                         (its exact solver exists, the engine does not run it yet); the cell \
                         types are {}",
                            names.join(", ")
                        ),
                    );
                }
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
            let pt = self.section(pv, &item, "parameters", "a table of parameter values")?;
            self.remember_table(&pt);
            for (name, kspan, val) in &pt.entries {
                self.parameter(net, &pop, cell_type, name, kspan, val, &item)?;
            }
            self.check_population_values(net, &pop, &pt)?;
        }
        if let Some(iv) = t.get("initial_values") {
            let it = self.section(iv, &item, "initial_values", "a table of initial values")?;
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

    /// Parameter `name` of `pop`, set in `net`.
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

    /// `spike_times`: one list for every cell, or a list of lists, one per cell.
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
                CellType::IfCurrExp | CellType::IfCurrAlpha | CellType::IfCurrDelta => {
                    // IF_curr_exp's rules, on the parameters the model has (with its defaults)
                    let model = spec.cell_type.model().expect("a neuron").parameters();
                    let values = if_curr_exp::PARAMETERS.map(|(n, _, _)| {
                        let d = model.iter().find(|p| p.0 == n)?;
                        at(n, d.1, i)
                    });
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

    /// One `[[projections]]` table (number `index`), connected in `net`.
    fn projection_section(&mut self, net: &mut Network, index: usize, v: &Val) -> Res<()> {
        let fallback = format!("projection {index}");
        let mut t = self.section(v, &fallback, "projections", "a table")?;
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

    /// The `connector` table of a projection.
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
        let Some((_, keys)) = CONNECTORS.iter().find(|c| c.0 == name) else {
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
        allowed.extend_from_slice(keys);
        self.check_keys(t, &allowed, name)?;
        if name == "FromListConnector" {
            return Ok(Connector::FromList {
                conn_list: self.conn_list(t, receptor, min_delay, n_pre, n_post)?,
            });
        }
        // the required keys and the values' types here, with their place in the file; the
        // defaults and the rule's checks are the core's (Connector::from_params)
        if name == "FixedProbabilityConnector" {
            self.required(t, "p_connect", "the connection probability `p_connect`")?;
        }
        if keys.contains(&"n") {
            self.required(t, "n", "the number of connections `n`")?;
        }
        let flag = |k: &str| -> Res<Option<bool>> {
            t.get(k)
                .map(|v| self.boolean(v, item, &t.key(k)))
                .transpose()
        };
        let params = ConnectorParams {
            p_connect: t
                .get("p_connect")
                .map(|v| self.number(v, item, "connector.p_connect"))
                .transpose()?,
            n: t.get("n")
                .map(|v| self.count(v, item, "connector.n"))
                .transpose()?,
            allow_self_connections: flag("allow_self_connections")?,
            with_replacement: flag("with_replacement")?,
        };
        Connector::from_params(name, params).map_err(|(key, message)| {
            let at = key.trim_start_matches("connector.");
            let span = t.get(at).map_or_else(|| type_v.span(), |v| v.span());
            self.err(span, item, &key, message)
        })
    }

    /// The `conn_list` of a FromListConnector.
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
                check_delay(d, min_delay).map_err(|m| {
                    row_err(self.err(cols[3].span(), item, key, format!("delay {m}")))
                })?;
                (weight, delay) = (Some(w), Some(d));
            }
            out.push((pre as u32, post as u32, weight, delay));
        }
        Ok(out)
    }

    /// One `[[current_sources]]` table (number `index`), injected in `net`.
    fn current_source_section(&mut self, net: &mut Network, index: usize, v: &Val) -> Res<()> {
        let fallback = format!("current source {index}");
        let mut t = self.section(v, &fallback, "current_sources", "a table")?;
        let type_v = self.required(
            &t,
            "type",
            "the source's class name (DCSource, StepCurrentSource or ACSource)",
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
        let source = if let Some(scalars) = CurrentSource::scalar_parameters(name) {
            let values = scalars
                .iter()
                .map(|&(k, default)| num(k, default))
                .collect::<Res<Vec<f64>>>()?;
            // (the values are those of its class's parameters: from_scalars takes them)
            CurrentSource::from_scalars(name, &values).ok_or_else(|| {
                self.err(
                    type_v.span(),
                    &item,
                    "type",
                    "internal: parameters of another class",
                )
            })?
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
