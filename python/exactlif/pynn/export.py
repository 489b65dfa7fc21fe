"""``sim.export_model(path)``: the network of the current PyNN session as a model file.

The file (TOML, SPEC §2) describes the network as the backend hands it to the core, so
``exactlif run`` on it gives exactly the spikes the script gives:

- populations in creation order, under their core labels, with every parameter and
  initial value as the core gets it (one number when all cells share it, else one per
  cell; ``SpikeSourceArray`` times one list per cell), and what is recorded;
- projections in creation order: on the native path (``Projection._rule``) the core's
  rule with the projection's label (the label keys the core's draws), the weight and
  delay a number or a distribution table; otherwise the collected connections as a
  ``FromListConnector`` with ``[pre, post, weight, delay]`` rows, one table per pair of
  populations when ``pre`` or ``post`` is an Assembly (as ``Projection._build_into``);
- current sources in creation order, one ``[[current_sources]]`` per target population
  (``cells`` when a view or a list of cells); a ``NoisyCurrentSource`` becomes one
  ``StepCurrentSource`` per cell with its drawn steps up to ``stop``.

Numbers are written as ``repr(float)``, the shortest text that parses back to the same
float, so no value changes on the way. What a model file cannot say raises ValueError:
recording part of a population, a ``NoisyCurrentSource`` that never stops (or has more
than ``MAX_NOISE_STEPS`` steps per cell), a cell type or source without a model-file form.

The file is the network as it is described now: parameters, spike times or current
sources changed during a simulation (t > 0) are written with their new values, from
t = 0 on.
"""

import json
import math
import os

import numpy as np

from .simulator import state

#: The most steps per cell a NoisyCurrentSource may have to be written out.
MAX_NOISE_STEPS = 1_000_000


def export_model(path, duration=None):
    """Write the network of the current session to `path` as an exactlif model file.

    `duration` (ms) is the ``[simulation]`` duration; by default the time simulated so
    far (``get_current_time()``). Returns the path. Raises ValueError for what a model
    file cannot describe (nothing is written then).
    """
    text = model_text(duration)
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def model_text(duration=None):
    """The model file of the current session, as text (see :func:`export_model`)."""
    duration = float(state.t if duration is None else duration)
    if not (math.isfinite(duration) and duration >= 0):
        raise ValueError(f"export_model: duration must be a finite number >= 0 ms, "
                         f"got {duration}")
    out = ["# written by pyNN.exactlif.export_model", "", "[simulation]",
           f"timestep = {_float(state.dt)}", f"duration = {_float(duration)}",
           f"seed = {int(state.seed)}", f"seeding = {int(state.seeding)}"]
    if state.min_delay != "auto":
        out.append(f"min_delay = {_float(state.min_delay)}")
    for population in state.populations:
        out += [""] + _population(population)
    for projection in state.projections:
        for table in _projection(projection):
            out += [""] + table
    for source in state.current_sources:
        for table in _current_source(source):
            out += [""] + table
    return "\n".join(out) + "\n"


# --- TOML values ---------------------------------------------------------------------------

def _float(x):
    """`x` as a TOML float whose text parses back to the same float64."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    return repr(x)  # 'inf' and '-inf' are TOML too


def _string(s):
    return json.dumps(str(s), ensure_ascii=False)


def _value(x):
    """A TOML value: bool, int, float, str, list or dict (an inline table)."""
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return _float(x)
    if isinstance(x, str):
        return _string(x)
    if isinstance(x, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in x.items()) + " }"
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in x) + "]"
    raise TypeError(f"export_model: no TOML form for {x!r}")


def _key(k):
    k = str(k)
    if k and all(c.isalnum() or c in "_-" for c in k) and k.isascii():
        return k
    return _string(k)


def _per_cell(values):
    """One float when all cells share it, else a list of floats."""
    values = np.ascontiguousarray(values, dtype=np.float64).ravel()
    if values.size > 0 and np.all(values == values[0]) and \
            np.all(np.signbit(values) == np.signbit(values[0])):
        return float(values[0])
    return [float(v) for v in values]


# --- sections ----------------------------------------------------------------------------

def _population(population):
    from .populations import _spike_lists
    label = population._core_label
    core_name = population.celltype.core_name
    lines = ["[[populations]]", f"label = {_string(label)}", f"size = {int(population.size)}",
             f"cell_type = {_string(core_name)}"]
    record = []
    for variable, cells in population.recorder._core_selection():
        if cells is not None:
            raise ValueError(
                f"export_model: population {label!r} records {variable} of {len(cells)} of "
                f"its {population.size} cells; a model file records whole populations "
                f"(record {variable} of the whole population, or of none of it)")
        record.append(variable)
    if record:
        lines.append(f"record = {_value(record)}")
    lines.append("[populations.parameters]")
    for name, values in population._parameters.items():
        if name == "spike_times":
            lists = [[float(t) for t in s] for s in _spike_lists(values)]
            lines.append(f"spike_times = {_value(lists)}")
        else:
            lines.append(f"{_key(name)} = {_value(_per_cell(values))}")
    if population._initial_values:
        lines.append("[populations.initial_values]")
        for name, values in population._initial_values.items():
            lines.append(f"{_key(name)} = {_value(_per_cell(values))}")
    return lines


def _projection(projection):
    """The [[projections]] tables of one projection (several for an Assembly)."""
    receptor = projection.receptor_type
    if receptor not in ("excitatory", "inhibitory"):
        raise ValueError(f"export_model: projection {projection.label!r}: receptor type "
                         f"{receptor!r} has no model-file form")
    if projection._rule is not None:
        from .projections import _selection
        rule, weight, delay = projection._rule
        (pre_pop, pre_cells), (post_pop, post_cells) = _selection(projection.pre), \
            _selection(projection.post)
        table = ["[[projections]]", f"label = {_string(projection._core_label)}",
                 f"presynaptic = {_string(pre_pop._core_label)}",
                 f"postsynaptic = {_string(post_pop._core_label)}"]
        for key, cells in (("presynaptic_cells", pre_cells), ("postsynaptic_cells", post_cells)):
            if cells is not None:
                table.append(f"{key} = {_value([int(c) for c in cells])}")
        table += [f"receptor_type = {_string(receptor)}",
                  f"connector = {_value(dict(rule))}",
                  "synapse = " + _value({"type": "StaticSynapse", "weight": weight,
                                         "delay": delay})]
        return [table]
    tables = []
    for pre_pop, post_pop, pre, post, w, d, label in projection._list_parts():
        w = np.asarray(w, dtype=np.float64)
        d = np.asarray(d, dtype=np.float64)
        rows = ", ".join(f"[{int(p)}, {int(q)}, {_float(x)}, {_float(y)}]"
                         for p, q, x, y in zip(pre, post, w, d))
        tables.append(["[[projections]]", f"label = {_string(label)}",
                       f"presynaptic = {_string(pre_pop._core_label)}",
                       f"postsynaptic = {_string(post_pop._core_label)}",
                       f"receptor_type = {_string(receptor)}",
                       f'connector = {{ type = "FromListConnector", conn_list = [{rows}] }}',
                       'synapse = { type = "StaticSynapse" }'])
    return tables


def _source_table(kind, params, population, cells):
    lines = ["[[current_sources]]", f"type = {_string(kind)}"]
    for name, value in params.items():
        if isinstance(value, np.ndarray):
            value = [float(v) for v in value.ravel()]
        else:
            value = float(value)
        lines.append(f"{_key(name)} = {_value(value)}")
    lines.append(f"inject_into = {_string(population._core_label)}")
    if cells is not None:
        lines.append(f"cells = {_value([int(c) for c in np.asarray(cells).ravel()])}")
    return lines


def _current_source(source):
    """The [[current_sources]] tables of one source: one per target population (one per
    cell for a NoisyCurrentSource)."""
    kind = type(source).__name__
    if kind == "NoisyCurrentSource":
        return _noisy_source(source)
    if kind not in ("DCSource", "StepCurrentSource", "ACSource") or source.core_name != kind:
        raise ValueError(f"export_model: a {kind} has no model-file form (DCSource, "
                         "StepCurrentSource, ACSource and NoisyCurrentSource have)")
    params = source._core_params()
    return [_source_table(kind, params, population, cells)
            for population, cells in source._targets]


def _noisy_source(source):
    """A NoisyCurrentSource as one StepCurrentSource per cell: its steps, drawn up to
    ``stop`` (the draws the simulation makes, in the same order), then 0 from ``stop``."""
    _, _, stop = source._grid()
    if not source._targets:
        return []
    if not math.isfinite(stop) or stop >= 1e11:
        raise ValueError(
            "export_model: a NoisyCurrentSource without a finite stop (stop = "
            f"{stop:g} ms) draws steps for ever; a model file lists every step: give the "
            "source a stop")
    n = source._n_steps_until(stop)
    if n > MAX_NOISE_STEPS:
        raise ValueError(
            f"export_model: a NoisyCurrentSource with {n} steps per cell (up to stop = "
            f"{stop:g} ms) is too long to write out (at most {MAX_NOISE_STEPS})")
    v = source._values()
    times = source._times(n)
    tables = []
    for population, cells in source._targets:
        indices = np.arange(population.size) if cells is None else cells
        for i in indices:
            amplitudes = v["mean"] + v["stdev"] * source._z(population.all_cells[i], n)
            t, amp = times, amplitudes
            if n == 0 or stop > times[-1]:
                t, amp = np.append(times, stop), np.append(amplitudes, 0.0)
            tables.append(_source_table("StepCurrentSource", {"times": t, "amplitudes": amp},
                                        population, [int(i)]))
    return tables

