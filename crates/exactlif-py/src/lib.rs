//! `exactlif._core`: the Python binding of exactlif, built by maturin (see `pyproject.toml`).
//!
//! A thin layer over the core's public API: [`Network`] (PyNN's `setup`, `Population`,
//! `Projection`, `record`, current sources) and [`Simulation`] (`run_until`, `reset`, changes
//! between runs, `get_data`). Arrays cross the boundary as numpy arrays, never as one Python
//! object per element. Every error of the core becomes a Python `BuildError` (a `ValueError`)
//! carrying the core's message; the binding checks population indices and argument shapes
//! itself, so no call reaches a panic of the core. `build` and `run_until` release the GIL.
//!
//! The PyNN backend (`exactlif.pynn`) is written in Python on top of this module.

use std::sync::{Arc, Mutex};

use exactlif::{
    suggest, Backend, CellType, Connector, ConnectorParams, CurrentSource, Population,
    RandomDistribution, Receptor, Selection, SpikeTimes, StateError, StaticSynapse, Value, Var,
    BACKENDS, CONNECTORS,
};
use numpy::ndarray::Array2;
use numpy::{AllowTypeChange, IntoPyArray, PyArrayLike1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

create_exception!(
    exactlif._core,
    BuildError,
    PyValueError,
    "An invalid network, value or change, refused by exactlif; nothing was changed.\n\n\
     Attributes: `item` (where: e.g. 'population \"exc\"', 'projection \"exc->inh\"'), `key` (the \
     parameter or field), `message` (what is wrong), `suggestion` (a likely intended name for a \
     misspelt one, or None). str(e) is exactlif's one-line message."
);

/// PyNN's default of a parameter or state variable of cell type `cell_type`, from the core's
/// table (`CellType::defaults`): the value of the cells a `set` or `initialize` of some cells
/// leaves alone when the parameter was never set (`tau_syn_E` is 5 ms on IF_curr_exp, 0.5 ms
/// on IF_curr_alpha). `None` for a name the cell type does not have.
fn default_of(cell_type: CellType, name: &str) -> Option<f64> {
    cell_type
        .defaults()
        .into_iter()
        .find(|d| d.0 == name)
        .map(|d| d.1)
}

/// A `BuildError` with its attributes.
fn build_error(
    py: Python<'_>,
    display: String,
    item: &str,
    key: &str,
    message: &str,
    suggestion: Option<&str>,
) -> PyErr {
    let err = BuildError::new_err(display);
    let value = err.value(py);
    // Setting attributes of a fresh exception instance cannot fail (it has a __dict__).
    let _ = value.setattr("item", item);
    let _ = value.setattr("key", key);
    let _ = value.setattr("message", message);
    let _ = value.setattr("suggestion", suggestion);
    err
}

/// A `BuildError` from the core's.
fn from_build(py: Python<'_>, e: exactlif::BuildError) -> PyErr {
    build_error(
        py,
        e.to_string(),
        &e.item,
        &e.key,
        &e.message,
        e.suggestion.as_deref(),
    )
}

/// A `BuildError` from a refused change between runs.
fn from_state(py: Python<'_>, e: StateError) -> PyErr {
    let display = e.to_string();
    let (item, key, suggestion) = match &e {
        StateError::NoPopulation(label) => (format!("population \"{label}\""), "population", None),
        StateError::NotNeurons {
            population, name, ..
        } => (format!("population \"{population}\""), name.as_str(), None),
        StateError::UnknownName {
            population,
            name,
            known,
            ..
        } => (
            format!("population \"{population}\""),
            name.as_str(),
            suggest(name, known.split(", ")),
        ),
        StateError::Length { population, .. } => {
            (format!("population \"{population}\""), "values", None)
        }
        StateError::Invalid { population, .. } | StateError::NotFinite { population, .. } => {
            (format!("population \"{population}\""), "values", None)
        }
    };
    build_error(
        py,
        display.clone(),
        &item,
        key,
        &display,
        suggestion.as_deref(),
    )
}

/// A `BuildError` raised by the binding itself.
fn error(py: Python<'_>, item: &str, key: &str, message: impl Into<String>) -> PyErr {
    let message = message.into();
    build_error(
        py,
        format!("{item}: `{key}`: {message}"),
        item,
        key,
        &message,
        None,
    )
}

/// A number or a 1-D array-like of numbers, as a vector (a scalar gives one value).
fn floats(py: Python<'_>, v: &Bound<'_, PyAny>, item: &str, key: &str) -> PyResult<Vec<f64>> {
    // The array first: a 1-element array is no number to numpy (a deprecated conversion).
    match v.extract::<PyArrayLike1<'_, f64, AllowTypeChange>>() {
        Ok(a) => Ok(a.as_array().iter().copied().collect()),
        Err(e) => match v.extract::<f64>() {
            Ok(x) => Ok(vec![x]),
            Err(_) => Err(error(
                py,
                item,
                key,
                format!("must be a number or a 1-D array of numbers ({e})"),
            )),
        },
    }
}

/// True for a list, a tuple or a numpy array of at least one dimension.
fn is_sequence(v: &Bound<'_, PyAny>) -> bool {
    v.cast::<PyList>().is_ok()
        || v.cast::<PyTuple>().is_ok()
        || v.cast::<PyUntypedArray>().is_ok_and(|a| a.ndim() >= 1)
}

/// An optional 1-D array-like of cell indices.
fn cell_list(
    py: Python<'_>,
    v: Option<&Bound<'_, PyAny>>,
    item: &str,
    key: &str,
) -> PyResult<Option<Vec<u32>>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    match v.extract::<PyArrayLike1<'_, i64, AllowTypeChange>>() {
        Ok(a) => a
            .as_array()
            .iter()
            .map(|&c| {
                u32::try_from(c)
                    .map_err(|_| error(py, item, key, format!("cell index {c} is out of range")))
            })
            .collect::<PyResult<Vec<u32>>>()
            .map(Some),
        Err(e) => Err(error(
            py,
            item,
            key,
            format!("must be a 1-D array of cell indices ({e})"),
        )),
    }
}

/// A Python scalar of a parameter dict as JSON, for serde.
fn json_of(v: &Bound<'_, PyAny>) -> Option<serde_json::Value> {
    if let Ok(b) = v.extract::<bool>() {
        return Some(serde_json::Value::Bool(b));
    }
    if let Ok(s) = v.extract::<String>() {
        return Some(serde_json::Value::String(s));
    }
    let x = v.extract::<f64>().ok()?;
    serde_json::Number::from_f64(x).map(serde_json::Value::Number)
}

/// A `RandomDistribution` from `{"distribution": NAME, PARAM: number, ...}` (the model file's
/// distribution tables, PyNN's parameter names).
fn distribution(
    py: Python<'_>,
    d: &Bound<'_, PyDict>,
    item: &str,
    key: &str,
) -> PyResult<RandomDistribution> {
    let mut map = serde_json::Map::new();
    for (k, v) in d.iter() {
        let k: String = k
            .extract()
            .map_err(|_| error(py, item, key, "distribution keys must be strings"))?;
        let v = json_of(&v).ok_or_else(|| {
            error(
                py,
                item,
                key,
                format!("distribution parameter `{k}` must be a finite number"),
            )
        })?;
        map.insert(k, v);
    }
    let Some(name) = map
        .get("distribution")
        .and_then(|n| n.as_str())
        .map(str::to_string)
    else {
        return Err(error(
            py,
            item,
            key,
            format!(
                "a distribution needs \"distribution\": NAME, NAME one of {}",
                RandomDistribution::NAMES.join(", ")
            ),
        ));
    };
    let name = name.as_str();
    if !RandomDistribution::NAMES.contains(&name) {
        let message = format!(
            "unknown distribution {name:?}; the distributions are {}",
            RandomDistribution::NAMES.join(", ")
        );
        let s = suggest(name, RandomDistribution::NAMES);
        return Err(build_error(
            py,
            format!("{item}: `{key}`: {message}"),
            item,
            key,
            &message,
            s.as_deref(),
        ));
    }
    let rd: RandomDistribution = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| error(py, item, key, format!("{name} distribution: {e}")))?;
    rd.validate().map_err(|(k, m)| {
        error(
            py,
            item,
            key,
            format!("{} distribution: `{k}` {m}", rd.name()),
        )
    })?;
    Ok(rd)
}

/// A value: a number, a 1-D array (one per cell) or a distribution dict.
fn value(py: Python<'_>, v: &Bound<'_, PyAny>, item: &str, key: &str) -> PyResult<Value> {
    if let Ok(d) = v.cast::<PyDict>() {
        return Ok(Value::Random(distribution(py, d, item, key)?));
    }
    let xs = floats(py, v, item, key)?;
    Ok(if xs.len() == 1 {
        Value::Scalar(xs[0])
    } else {
        Value::PerCell(xs)
    })
}

/// An exactlif network description under construction (PyNN's `setup`, `Population`,
/// `Projection`, `record`, current sources). Populations are referred to by the index `create`
/// returns; cells by their index in the population.
#[pyclass(module = "exactlif._core")]
struct Network {
    /// The description; shared with the simulations built from it (copied on the next change).
    net: Arc<exactlif::Network>,
}

impl Network {
    fn net_mut(&mut self) -> &mut exactlif::Network {
        Arc::make_mut(&mut self.net)
    }

    /// The population `index`, or a `BuildError`.
    fn pop(&self, py: Python<'_>, index: usize, key: &str) -> PyResult<Population> {
        match self.net.populations.get(index) {
            Some(p) => Ok(Population {
                index,
                size: p.size,
            }),
            None => Err(error(
                py,
                &format!("population {index}"),
                key,
                format!(
                    "no such population: the network has {} populations",
                    self.net.populations.len()
                ),
            )),
        }
    }

    fn item(&self, index: usize) -> String {
        format!("population \"{}\"", self.net.populations[index].label)
    }

    fn cell_type(&self, index: usize) -> CellType {
        self.net.populations[index].cell_type
    }

    /// The value of `name` for each cell of population `pop` before a change of some cells;
    /// `None` when its cell type has no `name` (the core reports it, with its suggestion).
    fn current_values(
        &self,
        py: Python<'_>,
        pop: usize,
        name: &str,
        state: bool,
    ) -> PyResult<Option<Vec<f64>>> {
        let p = &self.net.populations[pop];
        let given = if state {
            &p.initial_values
        } else {
            &p.parameters
        };
        match given.iter().find(|(n, _)| n == name).map(|(_, v)| v) {
            Some(Value::Scalar(x)) => Ok(Some(vec![*x; p.size])),
            Some(Value::PerCell(xs)) => Ok(Some(xs.clone())),
            Some(Value::Random(_)) => Err(error(
                py,
                &self.item(pop),
                name,
                "is drawn from a distribution; set it for all cells at once, not for some",
            )),
            None => Ok(default_of(p.cell_type, name).map(|x| vec![x; p.size])),
        }
    }

    /// The value to give `Network::set`/`initialize`: `values` for all cells, or merged into the
    /// current values of `cells`.
    fn merged(
        &self,
        py: Python<'_>,
        pop: usize,
        name: &str,
        values: &Bound<'_, PyAny>,
        cells: Option<&Bound<'_, PyAny>>,
        state: bool,
    ) -> PyResult<Value> {
        let item = self.item(pop);
        let Some(cells) = cell_list(py, cells, &item, "cells")? else {
            return value(py, values, &item, name);
        };
        let size = self.net.populations[pop].size;
        if let Some(&c) = cells.iter().find(|&&c| c as usize >= size) {
            return Err(error(
                py,
                &item,
                "cells",
                format!("cell {c} is out of range: the population has {size} cells"),
            ));
        }
        if values.cast::<PyDict>().is_ok() {
            return Err(error(
                py,
                &item,
                name,
                "a distribution is given for all cells at once (cells=None)",
            ));
        }
        let xs = floats(py, values, &item, name)?;
        if xs.len() != 1 && xs.len() != cells.len() {
            return Err(error(
                py,
                &item,
                name,
                format!(
                    "{} values for {} cells; give 1 or {}",
                    xs.len(),
                    cells.len(),
                    cells.len()
                ),
            ));
        }
        // An unknown name is reported by the core, with its suggestion.
        let Some(mut all) = self.current_values(py, pop, name, state)? else {
            return Ok(Value::Scalar(xs[0]));
        };
        for (i, &c) in cells.iter().enumerate() {
            all[c as usize] = xs[if xs.len() == 1 { 0 } else { i }];
        }
        Ok(Value::PerCell(all))
    }

    fn selection(
        &self,
        py: Python<'_>,
        pop: usize,
        cells: Option<&Bound<'_, PyAny>>,
        key: &str,
    ) -> PyResult<Selection> {
        let cells = cell_list(py, cells, &self.item(pop), key)?;
        Ok(Selection {
            population: pop,
            cells,
        })
    }

    /// The receptor named `receptor` of a projection `item` onto cells of type `cell_type`
    /// (`None`: not known here).
    fn receptor(
        py: Python<'_>,
        item: &str,
        cell_type: Option<CellType>,
        receptor: &str,
    ) -> PyResult<Receptor> {
        match receptor {
            "excitatory" => Ok(Receptor::Excitatory),
            "inhibitory" => Ok(Receptor::Inhibitory),
            other => {
                let who = cell_type.map_or("every exactlif neuron", |c| c.name());
                let message = format!(
                    "unknown receptor type {other:?}; {who} has \"excitatory\" and \"inhibitory\""
                );
                let s = suggest(other, ["excitatory", "inhibitory"]);
                Err(build_error(
                    py,
                    format!("{item}: `receptor_type`: {message}"),
                    item,
                    "receptor_type",
                    &message,
                    s.as_deref(),
                ))
            }
        }
    }

    /// The label a projection will get (the core's default when `label` is None).
    fn projection_item(&self, pre: usize, post: usize, label: Option<&str>) -> String {
        match label {
            Some(l) => format!("projection \"{l}\""),
            None => format!(
                "projection \"{}->{}\"",
                self.net.populations[pre].label, self.net.populations[post].label
            ),
        }
    }
}

/// Looks up `key` in a parameter dict.
fn get<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}

/// Refuses keys of `d` outside `allowed`, with a suggestion.
fn check_keys(
    py: Python<'_>,
    d: &Bound<'_, PyDict>,
    allowed: &[&str],
    item: &str,
    what: &str,
) -> PyResult<()> {
    for k in d.keys() {
        let k: String = k.extract()?;
        if !allowed.contains(&k.as_str()) {
            let message = format!(
                "{what} has no parameter `{k}`; it has {}",
                allowed.join(", ")
            );
            let s = suggest(&k, allowed.iter().copied());
            return Err(build_error(
                py,
                format!("{item}: `{k}`: {message}"),
                item,
                &k,
                &message,
                s.as_deref(),
            ));
        }
    }
    Ok(())
}

/// A `Connector` from a dict like the model file's connector table: the names, keys, defaults
/// and checks are the core's ([`exactlif::CONNECTORS`], [`Connector::from_params`]); here only
/// the values are read from Python.
fn connector(py: Python<'_>, d: &Bound<'_, PyDict>, item: &str) -> PyResult<Connector> {
    let name: String = match get(d, "type")? {
        Some(t) => t.extract()?,
        None => {
            return Err(error(
                py,
                item,
                "connector.type",
                "the connector dict needs \"type\", e.g. {\"type\": \"AllToAllConnector\"}",
            ))
        }
    };
    let rules: Vec<&str> = CONNECTORS
        .iter()
        .map(|c| c.0)
        .filter(|&n| n != "FromListConnector")
        .collect();
    let Some((_, keys)) = CONNECTORS
        .iter()
        .find(|c| c.0 == name && c.0 != "FromListConnector")
    else {
        let message = if name == "FromListConnector" {
            "a connection list is given with Network.connect, from arrays".to_string()
        } else {
            format!(
                "unknown connector {name:?}; the connectors are {}",
                rules.join(", ")
            )
        };
        let s = suggest(&name, rules.iter().copied());
        return Err(build_error(
            py,
            format!("{item}: `connector.type`: {message}"),
            item,
            "connector.type",
            &message,
            s.as_deref(),
        ));
    };
    let mut allowed = vec!["type"];
    allowed.extend_from_slice(keys);
    check_keys(py, d, &allowed, item, &name)?;
    let flag = |k: &str| -> PyResult<Option<bool>> {
        get(d, k)?
            .map(|v| {
                v.extract::<bool>().map_err(|_| {
                    error(py, item, &format!("connector.{k}"), "must be True or False")
                })
            })
            .transpose()
    };
    let params = ConnectorParams {
        p_connect: get(d, "p_connect")?
            .map(|v| {
                v.extract::<f64>().map_err(|_| {
                    error(
                        py,
                        item,
                        "connector.p_connect",
                        "must be a number in [0, 1]",
                    )
                })
            })
            .transpose()?,
        n: get(d, "n")?
            .map(|v| {
                v.extract::<usize>()
                    .map_err(|_| error(py, item, "connector.n", "must be a whole number >= 0"))
            })
            .transpose()?,
        allow_self_connections: flag("allow_self_connections")?,
        with_replacement: flag("with_replacement")?,
    };
    Connector::from_params(&name, params).map_err(|(key, message)| error(py, item, &key, message))
}

#[pymethods]
impl Network {
    /// Network(timestep, seed=0, min_delay=None, seeding=2)
    ///
    /// An empty network (PyNN's `setup`): `timestep` (ms) is the recording grid and the step of
    /// the step-based backends; `seed` seeds every random choice (each from its own stream,
    /// named by population and projection labels, so a script and a model file describing the
    /// same network draw the same values); `min_delay` (ms) defaults to `timestep`; `seeding`
    /// is the seeding version of the connections, weights and delays (the model file's
    /// `[simulation] seeding`): 2, streams per target cell, or 1, the per-projection streams of
    /// earlier versions.
    #[new]
    #[pyo3(signature = (timestep, seed = 0, min_delay = None, seeding = 2))]
    fn new(
        py: Python<'_>,
        timestep: f64,
        seed: u64,
        min_delay: Option<f64>,
        seeding: i64,
    ) -> PyResult<Self> {
        let seeding = exactlif::Seeding::from_number(seeding).ok_or_else(|| {
            error(
                py,
                "simulation",
                "seeding",
                format!(
                    "must be 1 (the per-projection streams of earlier versions) or 2 (streams \
                     per target cell, the default), got {seeding}"
                ),
            )
        })?;
        for (key, x) in [("timestep", Some(timestep)), ("min_delay", min_delay)] {
            if let Some(x) = x {
                if !(x.is_finite() && x > 0.0) {
                    return Err(error(
                        py,
                        "simulation",
                        key,
                        format!("must be a finite number > 0 ms, got {x}"),
                    ));
                }
            }
        }
        Ok(Network {
            net: Arc::new(exactlif::Network::new(exactlif::Setup {
                timestep,
                seed,
                min_delay,
                seeding,
            })),
        })
    }

    /// The recording grid (ms).
    #[getter]
    fn timestep(&self) -> f64 {
        self.net.setup.timestep
    }

    /// The smallest allowed delay (ms).
    #[getter]
    fn min_delay(&self) -> f64 {
        self.net.setup.min_delay()
    }

    /// The seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.net.setup.seed
    }

    /// The seeding version (1 or 2).
    #[getter]
    fn seeding(&self) -> u32 {
        self.net.setup.seeding.number()
    }

    /// The number of populations created.
    #[getter]
    fn n_populations(&self) -> usize {
        self.net.populations.len()
    }

    /// create(label, size, cell_type) -> int
    ///
    /// Creates a population of `size` cells of `cell_type` ("IF_curr_exp", "IF_curr_alpha",
    /// "IF_curr_delta", "SpikeSourceArray" or "SpikeSourcePoisson"; `CELL_TYPES`) with PyNN's
    /// default parameters, and returns its index (creation
    /// order). Labels must be unique.
    fn create(
        &mut self,
        py: Python<'_>,
        label: &str,
        size: usize,
        cell_type: &str,
    ) -> PyResult<usize> {
        let Some(ct) = CellType::from_name(cell_type) else {
            let names = CellType::ALL.map(|c| c.name());
            let message = format!(
                "unknown cell type {cell_type:?}; exactlif has {}",
                names.join(", ")
            );
            let s = suggest(cell_type, names);
            let item = format!("population \"{label}\"");
            return Err(build_error(
                py,
                format!("{item}: `cell_type`: {message}"),
                &item,
                "cell_type",
                &message,
                s.as_deref(),
            ));
        };
        self.net_mut()
            .create(label, size, ct)
            .map(|p| p.index)
            .map_err(|e| from_build(py, e))
    }

    /// set(population, name, values, cells=None)
    ///
    /// Sets the parameter `name` of population `population` (PyNN's `pop.set(name=...)`).
    /// `values`: a number or a float64 array of length 1 or the population's size; or a
    /// distribution dict such as {"distribution": "normal", "mu": -65.0, "sigma": 1.0}, drawn at
    /// build from the stream of this population and parameter. With `cells` (uint32 array of
    /// indices), only those cells change: `values` then has length 1 or len(cells).
    #[pyo3(signature = (population, name, values, cells = None))]
    fn set(
        &mut self,
        py: Python<'_>,
        population: usize,
        name: &str,
        values: &Bound<'_, PyAny>,
        cells: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let pop = self.pop(py, population, name)?;
        let v = self.merged(py, population, name, values, cells, false)?;
        self.net_mut()
            .set(&pop, name, v)
            .map_err(|e| from_build(py, e))
    }

    /// initialize(population, name, values, cells=None)
    ///
    /// Sets the initial value of the state variable `name` of population `population`
    /// ("v", "isyn_exc", "isyn_inh"; only "v" for IF_curr_delta) (PyNN's
    /// `pop.initialize(v=...)`); `values` and `cells` as in `set`.
    #[pyo3(signature = (population, name, values, cells = None))]
    fn initialize(
        &mut self,
        py: Python<'_>,
        population: usize,
        name: &str,
        values: &Bound<'_, PyAny>,
        cells: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let pop = self.pop(py, population, name)?;
        let v = self.merged(py, population, name, values, cells, true)?;
        self.net_mut()
            .initialize(&pop, name, v)
            .map_err(|e| from_build(py, e))
    }

    /// draw(population, name, distribution, initial=False) -> float64 array
    ///
    /// The values, one per cell, that `set(population, name, distribution)` (or `initialize`
    /// with `initial`) draws at build: from the stream of the seed, the population's label
    /// and `name`, as a model file's distribution table is drawn. The PyNN backend keeps them
    /// as the population's values, so what a script reads back is what is simulated.
    #[pyo3(signature = (population, name, distribution, initial = false))]
    fn draw<'py>(
        &self,
        py: Python<'py>,
        population: usize,
        name: &str,
        distribution: &Bound<'_, PyDict>,
        initial: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let pop = self.pop(py, population, name)?;
        let item = self.item(population);
        let d = self::distribution(py, distribution, &item, name)?;
        let values = self
            .net
            .draw_values(&pop, name, &d, initial)
            .map_err(|e| from_build(py, e))?;
        Ok(values.into_pyarray(py).into_any())
    }

    /// set_spike_times(population, times)
    ///
    /// Sets the spike times (ms, sorted) of a SpikeSourceArray population: `times` is a list of
    /// float64 arrays, one per cell; or one array (or a list of one array) for every cell.
    fn set_spike_times(
        &mut self,
        py: Python<'_>,
        population: usize,
        times: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let pop = self.pop(py, population, "spike_times")?;
        let item = self.item(population);
        // A list (or tuple) of sequences: one per cell, or one for all; else one sequence
        // (array or list of numbers) for all.
        let nested = if times.cast::<PyList>().is_ok() || times.cast::<PyTuple>().is_ok() {
            let ts = times.try_iter()?.collect::<PyResult<Vec<_>>>()?;
            (!ts.is_empty() && ts.iter().all(is_sequence)).then_some(ts)
        } else {
            None
        };
        let st = match nested {
            Some(ts) => {
                let lists = ts
                    .iter()
                    .map(|t| floats_or_empty(py, t, &item))
                    .collect::<PyResult<Vec<_>>>()?;
                if lists.len() == 1 {
                    SpikeTimes::Same(lists.into_iter().next().unwrap_or_default())
                } else {
                    SpikeTimes::PerCell(lists)
                }
            }
            None => SpikeTimes::Same(floats_or_empty(py, times, &item)?),
        };
        self.net_mut()
            .set_spike_times(&pop, st)
            .map_err(|e| from_build(py, e))
    }

    /// record(population, variables, cells=None)
    ///
    /// Records `variables` ("spikes", "v", "isyn_exc", "isyn_inh") of the population, or of
    /// `cells` (uint32 array) only; replaces an earlier record of the same variable.
    #[pyo3(signature = (population, variables, cells = None))]
    fn record(
        &mut self,
        py: Python<'_>,
        population: usize,
        variables: Vec<String>,
        cells: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.pop(py, population, "record")?;
        let item = self.item(population);
        let mut vars = Vec::with_capacity(variables.len());
        for v in &variables {
            match Var::from_name(v) {
                Some(x) => vars.push(x),
                None => {
                    let names = Var::ALL.map(|x| x.name());
                    let message = format!(
                        "cannot record {v:?}; the recordable variables are {}",
                        names.join(", ")
                    );
                    let s = suggest(v, names);
                    return Err(build_error(
                        py,
                        format!("{item}: `record`: {message}"),
                        &item,
                        "record",
                        &message,
                        s.as_deref(),
                    ));
                }
            }
        }
        let sel = self.selection(py, population, cells, "record")?;
        self.net_mut()
            .record(sel, &vars)
            .map_err(|e| from_build(py, e))
    }

    /// connect(pre, post, pre_idx, post_idx, weights, delays, receptor, label=None)
    ///
    /// Adds a projection from explicit connections, in one call (a FromListConnector
    /// underneath): connection k goes from cell `pre_idx[k]` of population `pre` to cell
    /// `post_idx[k]` of population `post` (uint32 arrays), with weight `weights[k]` (nA; mV
    /// onto IF_curr_delta) and delay `delays[k]` (ms) (float64 arrays, each of the same length
    /// or of length 1).
    /// `receptor`: "excitatory" (weights >= 0) or "inhibitory" (weights <= 0). `label` defaults
    /// to "pre->post" (numbered "#2", ... when repeated).
    #[pyo3(signature = (pre, post, pre_idx, post_idx, weights, delays, receptor, label = None))]
    #[allow(clippy::too_many_arguments)]
    fn connect(
        &mut self,
        py: Python<'_>,
        pre: usize,
        post: usize,
        pre_idx: PyArrayLike1<'_, u32, AllowTypeChange>,
        post_idx: PyArrayLike1<'_, u32, AllowTypeChange>,
        weights: PyArrayLike1<'_, f64, AllowTypeChange>,
        delays: PyArrayLike1<'_, f64, AllowTypeChange>,
        receptor: &str,
        label: Option<&str>,
    ) -> PyResult<()> {
        self.pop(py, pre, "presynaptic")?;
        self.pop(py, post, "postsynaptic")?;
        let item = self.projection_item(pre, post, label);
        let receptor = Self::receptor(py, &item, Some(self.cell_type(post)), receptor)?;
        let (pi, qi, w, d) = (
            pre_idx.as_array(),
            post_idx.as_array(),
            weights.as_array(),
            delays.as_array(),
        );
        let n = pi.len();
        if qi.len() != n {
            return Err(error(
                py,
                &item,
                "post_idx",
                format!("{} postsynaptic indices for {n} presynaptic ones", qi.len()),
            ));
        }
        for (key, len) in [("weights", w.len()), ("delays", d.len())] {
            if len != n && len != 1 {
                return Err(error(
                    py,
                    &item,
                    key,
                    format!("{len} values for {n} connections; give 1 or {n}"),
                ));
            }
        }
        let at = |a: &numpy::ndarray::ArrayView1<'_, f64>, k: usize| {
            if a.len() == 1 {
                a[0]
            } else {
                a[k]
            }
        };
        let conn_list: Vec<(u32, u32, Option<f64>, Option<f64>)> = (0..n)
            .map(|k| (pi[k], qi[k], Some(at(&w, k)), Some(at(&d, k))))
            .collect();
        let min_delay = self.net.setup.min_delay();
        self.net_mut()
            .connect(
                Selection {
                    population: pre,
                    cells: None,
                },
                Selection {
                    population: post,
                    cells: None,
                },
                Connector::FromList { conn_list },
                StaticSynapse::new(0.0, min_delay),
                receptor,
                label,
            )
            .map_err(|e| from_build(py, e))
    }

    /// connect_rule(pre, post, connector, weight, delay, receptor, label=None, pre_cells=None,
    /// post_cells=None)
    ///
    /// Adds a projection drawn by exactlif's own connector from the projection's stream:
    /// `connector` is a dict like the model file's connector table, e.g. {"type":
    /// "FixedProbabilityConnector", "p_connect": 0.1, "allow_self_connections": False}
    /// (AllToAllConnector, OneToOneConnector, FixedProbabilityConnector,
    /// FixedNumberPreConnector, FixedNumberPostConnector, FixedTotalNumberConnector).
    /// `weight` (nA; mV onto IF_curr_delta) and `delay` (ms): a number or a distribution dict such as
    /// {"distribution": "normal", "mu": 0.1, "sigma": 0.01}. `pre_cells`/`post_cells` (uint32
    /// arrays) make the projection's ends views of their populations.
    #[pyo3(signature = (pre, post, connector, weight, delay, receptor, label = None, pre_cells = None, post_cells = None))]
    #[allow(clippy::too_many_arguments)]
    fn connect_rule(
        &mut self,
        py: Python<'_>,
        pre: usize,
        post: usize,
        connector: &Bound<'_, PyDict>,
        weight: &Bound<'_, PyAny>,
        delay: &Bound<'_, PyAny>,
        receptor: &str,
        label: Option<&str>,
        pre_cells: Option<&Bound<'_, PyAny>>,
        post_cells: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.pop(py, pre, "presynaptic")?;
        self.pop(py, post, "postsynaptic")?;
        let item = self.projection_item(pre, post, label);
        let receptor = Self::receptor(py, &item, Some(self.cell_type(post)), receptor)?;
        let c = self::connector(py, connector, &item)?;
        let mut syn = [Value::Scalar(0.0), Value::Scalar(0.0)];
        for (slot, (key, v)) in syn.iter_mut().zip([("weight", weight), ("delay", delay)]) {
            *slot = if let Ok(d) = v.cast::<PyDict>() {
                Value::Random(distribution(py, d, &item, key)?)
            } else {
                Value::Scalar(v.extract::<f64>().map_err(|_| {
                    error(py, &item, key, "must be a number or a distribution dict")
                })?)
            };
        }
        let [w, d] = syn;
        let pre_sel = self.selection(py, pre, pre_cells, "presynaptic_cells")?;
        let post_sel = self.selection(py, post, post_cells, "postsynaptic_cells")?;
        self.net_mut()
            .connect(
                pre_sel,
                post_sel,
                c,
                StaticSynapse {
                    weight: w,
                    delay: d,
                },
                receptor,
                label,
            )
            .map_err(|e| from_build(py, e))
    }

    /// connections(projection) -> (pre, post, weights, delays)
    ///
    /// The connections of projection `projection` (the index in the order of `connect` and
    /// `connect_rule` calls) as the build draws them, in connection order: uint32 arrays of
    /// the pre and post cells (indices in their populations) and float64 arrays of weights
    /// (nA; mV onto IF_curr_delta) and delays (ms). Drawn from the same streams as the build,
    /// without building.
    fn connections<'py>(
        &self,
        py: Python<'py>,
        projection: usize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let net = Arc::clone(&self.net);
        let conns = py
            .detach(|| net.connections(projection))
            .map_err(|e| from_build(py, e))?;
        let n = conns.len();
        let (mut pre, mut post) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut w, mut d) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (a, b, x, y) in conns {
            pre.push(a);
            post.push(b);
            w.push(x);
            d.push(y);
        }
        PyTuple::new(
            py,
            [
                pre.into_pyarray(py).into_any(),
                post.into_pyarray(py).into_any(),
                w.into_pyarray(py).into_any(),
                d.into_pyarray(py).into_any(),
            ],
        )
    }

    /// inject(kind, params, population, cells=None)
    ///
    /// Injects a current source into the population (or `cells` of it): kind "DCSource" with
    /// params {"amplitude" (nA, default 1), "start" (ms, default 0), "stop" (ms, default
    /// never)}, "StepCurrentSource" with {"times" (ms, strictly increasing), "amplitudes"
    /// (nA)}, or "ACSource" with {"amplitude" (nA, default 1), "offset" (nA, default 0),
    /// "frequency" (Hz, default 10), "phase" (degrees at `start`, default 0), "start", "stop"}.
    #[pyo3(signature = (kind, params, population, cells = None))]
    fn inject(
        &mut self,
        py: Python<'_>,
        kind: &str,
        params: &Bound<'_, PyDict>,
        population: usize,
        cells: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.pop(py, population, "inject_into")?;
        let item = format!("current source {} ({kind})", self.net.current_sources.len());
        let source = current_source(py, kind, params, &item)?;
        let sel = self.selection(py, population, cells, "cells")?;
        self.net_mut()
            .inject(source, sel)
            .map_err(|e| from_build(py, e))
    }

    /// Replaces current source `index` (in the order of `inject`) by a source of `kind` with
    /// `params`, injected into the same cells: PyNN's change of an amplitude or a time. A
    /// running simulation takes it with `Simulation.update_current_sources(network)`.
    fn replace_current_source(
        &mut self,
        py: Python<'_>,
        index: usize,
        kind: &str,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<()> {
        let item = format!("current source {index} ({kind})");
        if index >= self.net.current_sources.len() {
            return Err(error(
                py,
                &item,
                "index",
                format!(
                    "there are {} current sources",
                    self.net.current_sources.len()
                ),
            ));
        }
        let source = current_source(py, kind, params, &item)?;
        self.net_mut().current_sources[index].0 = source;
        Ok(())
    }

    /// check_memory()
    ///
    /// Refuses (BuildError, with the numbers) a network the machine cannot hold: cells and
    /// expected synapses (`exactlif::Network::estimate`; the recordings depend on the run).
    /// Called before anything large is drawn or built.
    fn check_memory(&self, py: Python<'_>) -> PyResult<()> {
        self.net
            .estimate(0.0)
            .check(exactlif::io::machine_memory(), "the machine's memory")
            .map_err(|m| error(py, "simulation", "populations", m))
    }

    /// build(backend="exact", threads=1) -> Simulation
    ///
    /// Validates the network, draws every random value and returns a simulation at t = 0 on
    /// `backend` ("exact", "grid" or "euler"); `threads` runs the exact backend on that many
    /// threads (0: one per core), with bit-identical results. The GIL is released meanwhile.
    /// The network can still be changed and built again afterwards.
    #[pyo3(signature = (backend = "exact", threads = 1))]
    fn build(&self, py: Python<'_>, backend: &str, threads: usize) -> PyResult<Simulation> {
        let Some(b) = Backend::from_name(backend) else {
            let message = format!(
                "unknown backend {backend:?}; the backends are {}",
                BACKENDS.join(", ")
            );
            let s = suggest(backend, BACKENDS);
            return Err(build_error(
                py,
                format!("simulation: `backend`: {message}"),
                "simulation",
                "backend",
                &message,
                s.as_deref(),
            ));
        };
        self.check_memory(py)?;
        let net = Arc::clone(&self.net);
        let sim = py
            .detach(|| {
                let mut sim = net.build_with(b)?;
                if threads != 1 {
                    sim.set_threads(threads);
                }
                Ok::<_, exactlif::BuildError>(sim)
            })
            .map_err(|e| from_build(py, e))?;
        Ok(Simulation {
            sim: Mutex::new(sim),
            net,
        })
    }
}

/// A current source of `kind` ("DCSource", "StepCurrentSource" or "ACSource") from its PyNN
/// parameters.
fn current_source(
    py: Python<'_>,
    kind: &str,
    params: &Bound<'_, PyDict>,
    item: &str,
) -> PyResult<CurrentSource> {
    let num = |k: &str, default: f64| -> PyResult<f64> {
        match get(params, k)? {
            None => Ok(default),
            Some(v) => v
                .extract::<f64>()
                .map_err(|_| error(py, item, k, "must be a number")),
        }
    };
    if let Some(scalars) = CurrentSource::scalar_parameters(kind) {
        let keys: Vec<&str> = scalars.iter().map(|&(k, _)| k).collect();
        check_keys(py, params, &keys, item, kind)?;
        let values = scalars
            .iter()
            .map(|&(k, default)| num(k, default))
            .collect::<PyResult<Vec<f64>>>()?;
        // (the values are those of its class's parameters: from_scalars takes them)
        return CurrentSource::from_scalars(kind, &values)
            .ok_or_else(|| error(py, item, "type", "internal: parameters of another class"));
    }
    let source = match kind {
        "StepCurrentSource" => {
            check_keys(py, params, &["times", "amplitudes"], item, kind)?;
            let list = |k: &str| -> PyResult<Vec<f64>> {
                match get(params, k)? {
                    None => Ok(vec![]),
                    Some(v) => floats_or_empty(py, &v, item),
                }
            };
            CurrentSource::Step {
                times: list("times")?,
                amplitudes: list("amplitudes")?,
            }
        }
        other => {
            let names = ["DCSource", "StepCurrentSource", "ACSource"];
            let message = format!(
                "unknown current source {other:?}; the current sources are {}",
                names.join(", ")
            );
            let s = suggest(other, names);
            return Err(build_error(
                py,
                format!("{item}: `type`: {message}"),
                item,
                "type",
                &message,
                s.as_deref(),
            ));
        }
    };
    Ok(source)
}

/// A number list from a number, a sequence or an array (an empty list allowed).
fn floats_or_empty(py: Python<'_>, v: &Bound<'_, PyAny>, item: &str) -> PyResult<Vec<f64>> {
    if let Ok(l) = v.cast::<PyList>() {
        if l.is_empty() {
            return Ok(vec![]);
        }
    }
    floats(py, v, item, "times")
}

/// A built network with its engine (PyNN's `run`, `reset`, `get_data` and changes between
/// runs). Populations are named by label here.
#[pyclass(module = "exactlif._core")]
struct Simulation {
    sim: Mutex<exactlif::Simulation>,
    /// The description it was built from, for `diagnostics`.
    net: Arc<exactlif::Network>,
}

impl Simulation {
    fn sim(&mut self) -> &mut exactlif::Simulation {
        // No lock is ever taken (every method has `&mut self`), so nothing can poison it.
        self.sim.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl Simulation {
    /// Applies `network`'s current sources, as described now, from the current time on
    /// (exactly: what is past stays, a cell whose injected current now differs takes the new
    /// one at once, later switches follow). `network` must have the populations this
    /// simulation was built from.
    fn update_current_sources(&mut self, py: Python<'_>, network: &Network) -> PyResult<()> {
        let net = Arc::clone(&network.net);
        net.update_current_sources(self.sim())
            .map_err(|e| from_build(py, e))?;
        self.net = net;
        Ok(())
    }

    /// Applies the spike times of `network`'s SpikeSourceArray populations, as described
    /// now, from the current time on: times at or before now are past, each cell's next
    /// spike is its first later time. `network` must have the populations this simulation
    /// was built from.
    fn update_spike_times(&mut self, py: Python<'_>, network: &Network) -> PyResult<()> {
        let net = Arc::clone(&network.net);
        net.update_spike_times(self.sim())
            .map_err(|e| from_build(py, e))?;
        self.net = net;
        Ok(())
    }

    /// Records what `network`'s populations record, as described now, from the current time
    /// on: a signal recorded from now has NaN samples up to now; one no longer recorded has
    /// NaN samples after now (and no more spikes).
    fn update_recording(&mut self, py: Python<'_>, network: &Network) -> PyResult<()> {
        let net = Arc::clone(&network.net);
        net.update_recording(self.sim())
            .map_err(|e| from_build(py, e))?;
        self.net = net;
        Ok(())
    }

    /// Applies the synaptic weights of `network`'s projections, as described now, from the
    /// current time on: every input arriving after now has its new weight. The connections
    /// and delays must be the simulation's (else BuildError: only weights can change during a
    /// run).
    fn update_weights(&mut self, py: Python<'_>, network: &Network) -> PyResult<()> {
        let net = Arc::clone(&network.net);
        net.update_weights(self.sim())
            .map_err(|e| from_build(py, e))?;
        self.net = net;
        Ok(())
    }

    /// The current time (ms).
    #[getter]
    fn t(&mut self) -> f64 {
        self.sim().time()
    }

    /// The recording grid (ms).
    #[getter]
    fn timestep(&mut self) -> f64 {
        self.sim().timestep()
    }

    /// The backend's name.
    #[getter]
    fn backend(&mut self) -> &'static str {
        self.sim().backend().name()
    }

    /// The number of cells, spike sources included.
    #[getter]
    fn n_cells(&mut self) -> usize {
        self.sim().n_cells()
    }

    /// The number of synapses.
    #[getter]
    fn n_synapses(&mut self) -> usize {
        self.sim().n_synapses()
    }

    /// run_until(t_stop)
    ///
    /// Runs until the absolute time `t_stop` (ms): every event at t <= t_stop is processed
    /// and the grid sampled up to round(t_stop / timestep). A time before now does nothing.
    /// The GIL is released meanwhile.
    fn run_until(&mut self, py: Python<'_>, t_stop: f64) -> PyResult<()> {
        if t_stop.is_nan() || t_stop == f64::INFINITY {
            return Err(error(
                py,
                "simulation",
                "t_stop",
                format!("must be a finite number of ms, got {t_stop}"),
            ));
        }
        let sim = self.sim();
        py.detach(|| sim.run_until(t_stop));
        // a cell that fires without bound stopped the run (RuntimeError naming the cell and
        // the fix); the simulation does nothing more until reset()
        match sim.runaway() {
            Some(r) => Err(pyo3::exceptions::PyRuntimeError::new_err(r.to_string())),
            None => Ok(()),
        }
    }

    /// reset()
    ///
    /// Returns to t = 0 with the same network (and the values set and initialized since),
    /// clearing the recordings (PyNN's `reset`).
    fn reset(&mut self, py: Python<'_>) {
        let sim = self.sim();
        py.detach(|| sim.reset());
    }

    /// set_parameter(population_label, name, values)
    ///
    /// Sets the parameter `name` of every cell of the neuron population, now and exactly
    /// (each cell continues from its state under the new value); `values`: a number or a
    /// float64 array of length 1 or the population's size. An invalid value changes nothing.
    fn set_parameter(
        &mut self,
        py: Python<'_>,
        population_label: &str,
        name: &str,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let item = format!("population \"{population_label}\"");
        let xs = floats(py, values, &item, name)?;
        self.sim()
            .set_parameter(population_label, name, &xs)
            .map_err(|e| from_state(py, e))
    }

    /// initialize(population_label, name, values)
    ///
    /// Sets the state variable `name` of every cell of the population (IF_curr_exp and
    /// IF_curr_alpha: "v", "isyn_exc", "isyn_inh"; IF_curr_delta: "v"), now and as the value
    /// `reset` returns to; `values` as in `set_parameter`.
    fn initialize(
        &mut self,
        py: Python<'_>,
        population_label: &str,
        name: &str,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let item = format!("population \"{population_label}\"");
        // the population's own state variables (an unknown label or a spike source: the core
        // says so)
        let neuron = self
            .net
            .populations
            .iter()
            .find(|p| p.label == population_label)
            .map(|p| p.cell_type)
            .filter(|c| !c.is_source());
        let names = neuron.map_or(vec!["v", "isyn_exc", "isyn_inh"], |c| c.state_variables());
        let var = match Var::from_name(name) {
            Some(v) if v != Var::Spikes && names.contains(&name) => v,
            _ => {
                let who = neuron.map_or("an exactlif neuron", |c| c.name());
                let message = format!(
                    "`{name}` is not a state variable of {who} (it has {})",
                    names.join(", ")
                );
                let s = suggest(name, names.iter().copied());
                return Err(build_error(
                    py,
                    format!("{item}: {message}"),
                    &item,
                    name,
                    &message,
                    s.as_deref(),
                ));
            }
        };
        let xs = floats(py, values, &item, name)?;
        self.sim()
            .initialize(population_label, var, &xs)
            .map_err(|e| from_state(py, e))
    }

    /// diagnostics() -> list[str]
    ///
    /// Warnings about the network as it is now: each population of which some cells can never
    /// fire (no synaptic input, below threshold, v_inf <= v_thresh), one sentence each with
    /// the numbers. Never an error.
    fn diagnostics(&mut self) -> Vec<String> {
        let net = Arc::clone(&self.net);
        net.diagnostics(self.sim())
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    /// get_data() -> list[dict]
    ///
    /// Everything recorded since t = 0 (or the last `reset`), one dict per population in
    /// creation order: {"label", "size", "cell_type", "spike_count", "records_spikes",
    /// "spikes": (cells uint32 array, times float64 array) ordered by cell then time,
    /// "signals": {name: {"times": float64 array (ms), "neurons": uint32 array, "values":
    /// float64 array of shape (len(times), len(neurons)), "units": str, "sampling_period":
    /// float (ms)}}}.
    fn get_data<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let data = self.sim().get_data();
        let out = PyList::empty(py);
        for p in &data.populations {
            let d = PyDict::new(py);
            d.set_item("label", &p.label)?;
            d.set_item("size", p.size)?;
            d.set_item("cell_type", &p.cell_type)?;
            d.set_item("spike_count", p.spike_count)?;
            d.set_item("records_spikes", p.records_spikes)?;
            let (cells, times) = p.spikes_flat();
            d.set_item("spikes", (cells.into_pyarray(py), times.into_pyarray(py)))?;
            let signals = PyDict::new(py);
            for s in &p.signals {
                let sd = PyDict::new(py);
                let shape = (s.times_ms.len(), s.neurons.len());
                let values = Array2::from_shape_vec(shape, s.values_time_major())
                    .map_err(|e| error(py, "get_data", &s.name, e.to_string()))?;
                sd.set_item("times", s.times_ms.clone().into_pyarray(py))?;
                sd.set_item("neurons", s.neurons.clone().into_pyarray(py))?;
                sd.set_item("values", values.into_pyarray(py))?;
                sd.set_item("units", &s.units)?;
                sd.set_item("sampling_period", s.sampling_period_ms)?;
                signals.set_item(&s.name, sd)?;
            }
            d.set_item("signals", signals)?;
            out.append(d)?;
        }
        Ok(out)
    }
}

/// The module `exactlif._core`.
/// suggest(name, candidates) -> str | None
///
/// The candidate a misspelt `name` most likely means, by exactlif's one rule: the same name
/// in another case, another simulator's name for it (`dt`: `timestep`), or the closest string
/// if close enough; None otherwise.
#[pyfunction(name = "suggest")]
fn py_suggest(name: &str, candidates: Vec<String>) -> Option<String> {
    suggest(name, candidates.iter().map(String::as_str))
}

/// check_weights(weights, receptor_type, item, cell_type=None)
///
/// Checks weights by the build's rule (finite; excitatory >= 0, inhibitory <= 0) before
/// they are kept: BuildError (key "weight") naming the first bad one, by its index.
/// `cell_type`: PyNN's name of the postsynaptic cell type, for the messages.
#[pyfunction]
#[pyo3(signature = (weights, receptor_type, item, cell_type = None))]
fn check_weights(
    py: Python<'_>,
    weights: PyArrayLike1<'_, f64, AllowTypeChange>,
    receptor_type: &str,
    item: &str,
    cell_type: Option<&str>,
) -> PyResult<()> {
    let cell_type = cell_type.and_then(CellType::from_name);
    let receptor = Network::receptor(py, item, cell_type, receptor_type)?;
    let weights = weights.as_array();
    for (i, &w) in weights.iter().enumerate() {
        receptor
            .check_weight(w)
            .map_err(|m| error(py, item, "weight", format!("connection {i}: {m}")))?;
    }
    Ok(())
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(py_suggest, m)?)?;
    m.add_function(wrap_pyfunction!(check_weights, m)?)?;
    m.add("BuildError", m.py().get_type::<BuildError>())?;
    m.add_class::<Network>()?;
    m.add_class::<Simulation>()?;
    m.add("CELL_TYPES", CellType::ALL.map(|c| c.name()).to_vec())?;
    m.add("BACKENDS", BACKENDS.to_vec())?;
    Ok(())
}
