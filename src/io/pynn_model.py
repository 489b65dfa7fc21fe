#!/usr/bin/env python3
"""Runs a network exported by `exactlif export-pynn` on a PyNN simulator.

    python model.py nest        # or neuron, brian2 (any installed pyNN.<simulator> backend)
    python model.py nest --out DIR --spike-precision on_grid
    python model.py nest --nest-model iaf_psc_alpha_ps   # NEST's precise alpha neuron

The network is read from `network.json` and `projections/*.npy` beside this script: every
per-cell parameter and initial value as drawn by exactlif, every connection with its weight and
delay, every SpikeSourcePoisson replaced by a SpikeSourceArray holding the very spikes that
exactlif's Poisson streams produce, and the injected currents as per-cell step sources. Nothing
is random any more: the simulator sees exactly the network exactlif simulates.

The results go to `results_<simulator>/` beside this script (or `--out DIR`) in exactlif's
results layout: `spikes.csv`, `v.csv` / `isyn_exc.csv` / `isyn_inh.csv` for what is recorded
and can be recorded, and `summary.json` with backend `pynn-<simulator>`. Compare them with the
exact run:

    exactlif run MODEL.toml --out results/exact
    exactlif compare results/exact DIR/results_nest

Known semantic differences from the exact reference (they are what the comparison measures):

- Cell types. IF_curr_exp, IF_curr_alpha and IF_curr_delta become PyNN's cells of the same
  name. PyNN 0.13's NEST backend maps IF_curr_alpha to NEST's grid model `iaf_psc_alpha` for
  both spike precisions, and IF_curr_delta to `iaf_psc_delta_ps` (off_grid) or `iaf_psc_delta`
  (on_grid); `--nest-model NAME` (e.g. iaf_psc_alpha_ps) replaces the NEST model of every
  IF_curr_alpha / IF_curr_delta population (same parameter names). NEST's precise (`_ps`)
  models refuse a refractory period shorter than one step and round every other one up to a
  whole number of steps; tau_refrac < timestep is raised to timestep for them here (with a
  warning), IF_curr_exp's `iaf_psc_exp_ps` included. An IF_curr_alpha's initial isyn_exc / isyn_inh cannot be set on NEST (a warning).
- Time grid. NEST, NEURON and Brian 2 advance on the grid of `timestep`. PyNN's NEST backend
  uses `iaf_psc_exp_ps` (spike_precision "off_grid", PyNN's default): threshold crossings are
  located inside the step, but synaptic delays and current switches still sit on the grid.
  With `--spike-precision on_grid` it uses `iaf_psc_exp`: exact propagators per step, threshold
  tested at grid points only, so every spike is reported at the end of the step in which v
  crossed threshold (up to one step late) and a brief excursion above threshold inside one step
  is missed. Brian 2 and NEURON (fixed step) also test the threshold on the grid; Brian 2 stamps
  a spike with the start of the step in which v crossed (up to one step early) and counts the
  refractory period from that stamp, so interspike intervals drift by a fraction of a step.
- Delays. NEST rounds every delay to a whole number of steps (a 1.05 ms delay with a 0.1 ms step
  becomes 1.1 ms or 1.0 ms); exactlif uses the delay as given. Delays below
  max(min_delay, timestep) are raised to it here (with a warning), since PyNN rejects them.
- Inputs. In exactlif a spike arrives at exactly t_spike + delay; on a grid it is delivered at a
  grid point. Spike-source times are honoured exactly by NEST's precise spike generators only.
- Current sources. exactlif switches injected currents at the exact times; the simulators
  switch them on the grid (PyNN's NEST backend compensates its device delay).
- Recording. PyNN's IF_curr_exp records `spikes` and `v`; `isyn_exc` / `isyn_inh` are
  recorded only where the backend's cell type lists them (a warning otherwise). Samples are
  written at t_k = k * timestep, as exactlif does; NEST's values are those after the step.

Work-arounds applied here: an initial isyn_exc / isyn_inh is set natively on NEST (PyNN 0.13
passes nA where NEST expects pA) and NEURON (PyNN sets only v); on Brian 2, whose spike
generators refuse two spikes of one cell in one time step, such spikes are sent by extra source
populations with the same connections.

So expect spike-time differences of the order of the time step (smaller with NEST's off-grid
neurons), and, in recurrent networks, divergence once one spike has moved.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# The state variables in the order exactlif writes their files, with their units.
KNOWN_VARIABLES = [("v", "mV"), ("isyn_exc", "nA"), ("isyn_inh", "nA")]


# ---------------------------------------------------------------------------------------------
# Writing results in exactlif's layout (SPEC §4); usable without any simulator


def _csv_field(text):
    """A CSV field as exactlif writes it: quoted, inner quotes doubled, if it holds a comma,
    a quote or a line break."""
    text = str(text)
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _num(x):
    """The shortest text that reads back to the same float (Python's repr)."""
    return repr(float(x))


def _magnitudes(quantity, unit):
    """The values of a quantities/neo object in `unit` as a NumPy array (as is if it has no
    convertible unit)."""
    import numpy as np

    try:
        return np.asarray(quantity.rescale(unit).magnitude, dtype=float)
    except Exception:
        return np.asarray(getattr(quantity, "magnitude", quantity), dtype=float)


def _cell_index(obj, default):
    """The index in its population of the cell a spike train belongs to."""
    for key in ("source_index", "channel_index"):
        value = obj.annotations.get(key) if hasattr(obj, "annotations") else None
        if value is not None:
            return int(value)
    return default


def _channel_indices(signal):
    """The index in its population of each channel (column) of a signal."""
    n = signal.shape[1] if len(signal.shape) > 1 else 1
    arr = getattr(signal, "array_annotations", {}) or {}
    if "channel_index" in arr:
        return [int(i) for i in arr["channel_index"]]
    ann = getattr(signal, "annotations", {}) or {}
    if "channel_index" in ann:
        return [int(i) for i in ann["channel_index"]]
    return list(range(n))


def _segments(block):
    """The segments of a Neo block, of a list of blocks (all describing the same cells), or a
    segment itself."""
    if block is None:
        return []
    if isinstance(block, (list, tuple)):
        return [seg for b in block for seg in _segments(b)]
    return list(getattr(block, "segments", [block]))


def _grid_time(t, timestep):
    """A sample time as exactlif writes it: k * timestep when t is on the grid."""
    k = round(t / timestep)
    if abs(t - k * timestep) <= 1e-6 * timestep:
        return k, k * timestep
    return None, t


def write_results(populations, out_dir, timestep, duration, backend="pynn", seed=None,
                  wall_time_s=None, build_time_s=None, extra=None):
    """Writes a results directory in exactlif's layout from PyNN's Neo blocks.

    `populations`: one entry per population, in the model's population order, each a dict
    with `label`, `size`, `block` (the `neo.Block` of `population.get_data()`, a list of such
    blocks whose spikes and samples are merged, or None when it records nothing) and optionally `cell_type` and `records_spikes` (default: whether the
    block holds spike trains). Spike trains are identified by their `source_index` annotation,
    signal channels by the `channel_index` array annotation (PyNN's conventions).

    Writes `spikes.csv` (header population,neuron,time_ms; sorted by time, then population
    order, then neuron; spikes at t <= duration), `<var>.csv` for each recorded state variable
    (header population,neuron,time_ms,<var>; sorted by population, neuron, time; samples on the
    grid written as k * timestep, for 0 <= k <= round(duration / timestep)), and
    `summary.json`. Numbers are Python's repr of the float. Every file is written to a
    temporary name and renamed. Returns the paths written.
    """
    os.makedirs(out_dir, exist_ok=True)
    last_tick = round(duration / timestep)
    t_max = duration * (1 + 1e-12)
    spikes = []  # (time, population index, neuron)
    signals = {}  # variable -> {population index: {neuron: [(k or None, time, value)]}}
    order = [name for name, _ in KNOWN_VARIABLES]
    units = dict(KNOWN_VARIABLES)
    summary_pops = []
    for p, pop in enumerate(populations):
        label = pop["label"]
        has_trains = False
        n_spikes = 0
        variables = []
        for seg in _segments(pop.get("block")):
            for i, train in enumerate(getattr(seg, "spiketrains", [])):
                has_trains = True
                neuron = _cell_index(train, i)
                for t in _magnitudes(train, "ms").ravel():
                    if t <= t_max:
                        spikes.append((float(t), p, neuron))
                        n_spikes += 1
            sigs = list(getattr(seg, "analogsignals", []))
            sigs += list(getattr(seg, "irregularlysampledsignals", []))
            for sig in sigs:
                name = str(sig.name)
                if name not in order:
                    order.append(name)
                if name not in variables:
                    variables.append(name)
                times = _magnitudes(sig.times, "ms").ravel()
                values = _magnitudes(sig, units.get(name, "dimensionless"))
                if values.ndim == 1:
                    values = values.reshape(-1, 1)
                per_pop = signals.setdefault(name, {}).setdefault(p, {})
                for column, neuron in enumerate(_channel_indices(sig)):
                    rows = per_pop.setdefault(neuron, [])
                    for t, x in zip(times, values[:, column]):
                        k, t_out = _grid_time(float(t), timestep)
                        if k is not None and not 0 <= k <= last_tick:
                            continue
                        if k is None and not t <= t_max:
                            continue
                        rows.append((t_out, float(x)))
        records_spikes = pop.get("records_spikes", has_trains)
        size = int(pop["size"])
        rate = n_spikes / size / (duration / 1000.0) if size > 0 and duration > 0 else 0.0
        summary_pops.append({
            "label": label,
            "size": size,
            "cell_type": pop.get("cell_type", "unknown"),
            "spikes": n_spikes,
            "mean_rate_hz": rate,
            "records_spikes": bool(records_spikes),
            "recorded_variables": variables,
        })

    labels = [_csv_field(pop["label"]) for pop in populations]
    written = []

    def atomic(name, fill):
        path = os.path.join(out_dir, name)
        tmp = os.path.join(out_dir, "." + name + ".tmp")
        with open(tmp, "w", newline="\n") as f:
            fill(f)
        os.replace(tmp, path)
        written.append(path)

    def fill_spikes(f):
        f.write("population,neuron,time_ms\n")
        for t, p, neuron in sorted(spikes):
            f.write("%s,%d,%s\n" % (labels[p], neuron, _num(t)))

    atomic("spikes.csv", fill_spikes)
    for name in order:
        if name not in signals:
            continue

        def fill_signal(f, name=name):
            f.write("population,neuron,time_ms,%s\n" % _csv_field(name))
            for p in sorted(signals[name]):
                for neuron in sorted(signals[name][p]):
                    rows = sorted(signals[name][p][neuron], key=lambda r: r[0])
                    for t, x in rows:
                        f.write("%s,%d,%s,%s\n" % (labels[p], neuron, _num(t), _num(x)))

        atomic(name + ".csv", fill_signal)

    summary = {
        "backend": backend,
        "seed": seed,
        "duration_ms": float(duration),
        "timestep_ms": float(timestep),
        "wall_time_s": wall_time_s,
        "build_time_s": build_time_s,
        "populations": summary_pops,
        # Only recorded spikes are known here; synaptic inputs are not counted by PyNN.
        "events": {"synaptic_inputs": None, "spikes": len(spikes)},
    }
    if extra:
        summary.update(extra)

    def fill_summary(f):
        json.dump(summary, f, indent=2, allow_nan=False)
        f.write("\n")

    atomic("summary.json", fill_summary)
    return written


# ---------------------------------------------------------------------------------------------
# Building and running the network


def load_network(directory=HERE):
    """The exported network: `network.json` with each projection's connections loaded from its
    `.npy` file into `projection["conn_list"]` (an (n, 4) array: pre, post, weight, delay)."""
    import numpy as np

    with open(os.path.join(directory, "network.json")) as f:
        net = json.load(f)
    if net.get("format") != "exactlif-pynn-export":
        raise SystemExit("network.json was not written by exactlif export-pynn")
    for proj in net["projections"]:
        arr = np.load(os.path.join(directory, proj["file"]))
        proj["conn_list"] = arr.reshape(-1, 4)
    return net


def _per_cell(value):
    """A number stays a number; a list of per-cell values becomes an array."""
    import numpy as np

    if isinstance(value, list):
        return np.asarray(value, dtype=float)
    return float(value)


def _is_default(value, default):
    if isinstance(value, list):
        return all(v == default for v in value)
    return value == default


def _cells(pop, selection):
    """The population, or a view of the listed cells."""
    if selection == "all":
        return pop
    import numpy as np

    return pop[np.asarray(selection, dtype=int)]


# NEURON initialisation handlers, kept alive for the whole run.
_KEEP = []


def _fix_initial_current(sim, pop, name, value):
    """Makes an initial isyn_exc / isyn_inh take effect where PyNN (0.13) does not:

    - NEST: PyNN hands the value in nA to I_syn_ex / I_syn_in, which are in pA, without
      conversion (the current would start 1000 times too small); the native state is set here,
      in pA. NEST's grid-based iaf_psc_exp (spike_precision "on_grid") cannot set it at all:
      an error says so, and the caller warns.
    - NEURON: PyNN sets only v at initialisation (the synapses' INITIAL block sets their
      current to 0); a handler run after the INITIAL blocks sets the synapse's state `i`, whose
      sign is that of a membrane (outward) current: i = -isyn.
    """
    import numpy as np

    values = np.broadcast_to(np.asarray(value, dtype=float), (pop.size,))
    if sim.__name__.endswith(".nest"):
        native = pop.celltype.variable_map[name]
        status = pop.node_collection[0].get()
        if native not in status:
            raise RuntimeError("NEST's %s has no settable %s: %s starts at 0 instead"
                               % (status.get("model"), native, name))
        pop.node_collection.set({native: (values * 1000.0).tolist()})
    elif sim.__name__.endswith(".neuron"):
        from neuron import h

        attr = "esyn" if name == "isyn_exc" else "isyn"
        synapses = [(getattr(cell._cell, attr), float(x))
                    for cell, x in zip(pop.all_cells, values) if cell.local]

        def set_currents():
            for syn, x in synapses:
                syn.i = -x

        _KEEP.append(h.FInitializeHandler(1, set_currents))


def split_same_step(spike_times, timestep):
    """Splits per-cell spike times into layers in which no cell has two spikes in one time
    step, as Brian 2's SpikeGeneratorGroup requires (its bins: floor((t + dt/1000) / dt)).
    Returns a list of layers, each a list of per-cell lists; the first layer holds each cell's
    first spike of every step, the next the second, and so on. Nothing is lost or moved."""
    layers = []
    for cell, times in enumerate(spike_times):
        count = {}
        for t in times:
            b = int((t + 1e-3 * timestep) // timestep)
            j = count.get(b, 0)
            count[b] = j + 1
            while len(layers) <= j:
                layers.append([[] for _ in spike_times])
            layers[j][cell].append(t)
    return layers or [[list(t) for t in spike_times]]


# The cell types besides IF_curr_exp (SPEC section 8), built by _other_neuron; IF_curr_exp keeps
# its own code path in build().
OTHER_NEURONS = ("IF_curr_alpha", "IF_curr_delta")


def _pynn_type(spec):
    """The PyNN cell type of an exported population: `pynn_cell_type`, except that a population
    whose model-file `cell_type` is IF_curr_alpha or IF_curr_delta is always that cell (PyNN's
    name is the model file's)."""
    if spec.get("cell_type") in OTHER_NEURONS:
        return spec["cell_type"]
    return spec["pynn_cell_type"]


def _nest_model_of(sim, celltype_class, nest_model=None):
    """The NEST model that pyNN.nest creates for a standard cell type (None off NEST)."""
    if not sim.__name__.endswith(".nest"):
        return None
    if nest_model:
        return nest_model
    return celltype_class.nest_name[sim.simulator.state.spike_precision]


def _raise_short_refractory(params, base, size, timestep, native, label, warn):
    """NEST's precise models (`native` ending in `_ps`) refuse t_ref < 1 step ("Refractory time
    must be at least one time step") and round any other t_ref up to whole steps: a tau_refrac
    below the timestep is raised to one step in `params`, with a warning."""
    import numpy as np

    refrac = np.broadcast_to(np.asarray(params.get("tau_refrac", base.default_parameters[
        "tau_refrac"]), dtype=float), (size,))
    if native is not None and native.endswith("_ps") and (refrac < timestep).any():
        n_low = int((refrac < timestep).sum())
        params["tau_refrac"] = np.maximum(refrac, timestep)
        warn("population %r: tau_refrac below the timestep raised to %s ms for %d cell(s) "
             "(NEST's %s needs at least one step)" % (label, timestep, n_low, native))


def _other_neuron(sim, spec, size, timestep, nest_model, warn):
    """An IF_curr_alpha or IF_curr_delta population: PyNN's cell of that name with the exported
    parameters and initial values. On NEST, `nest_model` replaces the model PyNN would pick
    (pyNN.nest 0.13: iaf_psc_alpha for IF_curr_alpha at both precisions; iaf_psc_delta_ps
    off_grid and iaf_psc_delta on_grid for IF_curr_delta) by a subclass with that `nest_name`;
    the NEST model must take the same native parameters. The same subclass gives pyNN.nest's
    IF_curr_delta the map v -> V_m it lacks."""
    import numpy as np

    label = spec["label"]
    name = _pynn_type(spec)
    base = getattr(sim, name)
    celltype_class = base
    if sim.__name__.endswith(".nest"):
        attrs = {"__doc__": base.__doc__}
        if nest_model:
            attrs["nest_name"] = {"on_grid": nest_model, "off_grid": nest_model}
        if not hasattr(base, "variable_map"):
            # pyNN.nest 0.13's IF_curr_delta has no variable_map: PyNN then asks NEST for a
            # state "v" (its V_m), so v can be neither initialised ("NEST does not allow
            # setting an initial value for v") nor recorded ("unknown recordable v")
            attrs["variable_map"] = {"v": "V_m"}
            attrs["scale_factors"] = {"v": 1}
        if len(attrs) > 1:
            celltype_class = type(name, (base,), attrs)
    native = _nest_model_of(sim, celltype_class, nest_model)
    accepted = set(base.default_parameters)
    params = {}
    for key, value in spec["parameters"].items():
        if key in accepted:
            params[key] = _per_cell(value)
        else:  # e.g. a tau_syn written for an IF_curr_delta, which has none
            warn("population %r: %s has no parameter %s; ignored" % (label, name, key))
    _raise_short_refractory(params, base, size, timestep, native, label, warn)
    pop = sim.Population(size, celltype_class(**params), label=label)
    init = spec.get("initial_values") or {}
    if "v" in init:
        pop.initialize(v=_per_cell(init["v"]))
    variables = set(getattr(base, "default_initial_values", {}))
    for var in ("isyn_exc", "isyn_inh"):
        if var not in init or _is_default(init[var], 0.0):
            continue
        if var not in variables:
            warn("population %r: %s has no %s; initial value ignored" % (label, name, var))
            continue
        try:
            pop.initialize(**{var: _per_cell(init[var])})
            if native is not None:
                _fix_initial_current(sim, pop, var, init[var])
        except Exception as e:  # a backend that cannot set it
            warn("population %r: cannot set the initial %s on this simulator (%s)"
                 % (label, var, e))
    return pop


def build(sim, net, spike_precision=None, nest_model=None):
    """Creates the populations, projections, current sources and recordings. Returns the list of
    PyNN populations (model order), the extra populations that carry, on Brian 2, the spikes a
    source emits more than once in one time step (`{label: [population, ...]}`, connected like
    their source), and the warnings issued. `nest_model` (NEST only): the NEST model of the
    IF_curr_alpha / IF_curr_delta populations instead of PyNN's choice."""
    import numpy as np
    from pyNN.parameters import Sequence

    warnings = []
    brian2 = sim.__name__.endswith(".brian2")
    extra_layers = {}

    def warn(message):
        warnings.append(message)
        print("warning: " + message, file=sys.stderr)

    s = net["simulation"]
    timestep = float(s["timestep"])
    min_delay = max(float(s["min_delay"]), timestep)
    delays = [p["conn_list"][:, 3] for p in net["projections"] if len(p["conn_list"])]
    max_delay = max([float(d.max()) for d in delays] + [min_delay])
    extra = {"max_delay": max_delay}
    if spike_precision is not None:
        extra["spike_precision"] = spike_precision
    sim.setup(timestep=timestep, min_delay=min_delay, **extra)

    pops = []
    for spec in net["populations"]:
        size = int(spec["size"])
        if _pynn_type(spec) in OTHER_NEURONS:
            if spec["pynn_cell_type"] != _pynn_type(spec):
                warn("population %r: network.json says pynn_cell_type %s for cell_type %s; "
                     "%s is built" % (spec["label"], spec["pynn_cell_type"], spec["cell_type"],
                                      spec["cell_type"]))
            pop = _other_neuron(sim, spec, size, timestep, nest_model, warn)
        elif spec["pynn_cell_type"] == "IF_curr_exp":
            params = {k: _per_cell(v) for k, v in spec["parameters"].items()}
            _raise_short_refractory(params, sim.IF_curr_exp, size, timestep,
                                    _nest_model_of(sim, sim.IF_curr_exp), spec["label"], warn)
            pop = sim.Population(size, sim.IF_curr_exp(**params), label=spec["label"])
            init = spec["initial_values"]
            pop.initialize(v=_per_cell(init["v"]))
            for name in ("isyn_exc", "isyn_inh"):
                if _is_default(init[name], 0.0):
                    continue
                try:
                    pop.initialize(**{name: _per_cell(init[name])})
                    _fix_initial_current(sim, pop, name, init[name])
                except Exception as e:  # a backend that cannot set it
                    warn("population %r: cannot set the initial %s on this simulator (%s)"
                         % (spec["label"], name, e))
        else:
            layers = [spec["spike_times"]]
            if brian2:
                layers = split_same_step(spec["spike_times"], timestep)
            created = []
            for j, layer in enumerate(layers):
                times = [Sequence(np.asarray(t, dtype=float)) for t in layer]
                label = spec["label"] if j == 0 else "%s (same-step spikes %d)" % (
                    spec["label"], j)
                created.append(sim.Population(size, sim.SpikeSourceArray(spike_times=times),
                                              label=label))
            pop = created[0]
            if len(created) > 1:
                extra_layers[spec["label"]] = created[1:]
                warn("population %r: %d cell(s) spike more than once in a time step, which "
                     "Brian 2's spike generators refuse; those spikes are sent by %d extra "
                     "source population(s) with the same connections"
                     % (spec["label"], sum(1 for t in layers[1] if t), len(created) - 1))
        recordable = list(getattr(pop.celltype, "recordable", []))
        for variable, selection in sorted(spec["record"].items()):
            if variable not in recordable:
                warn("population %r: %s cannot be recorded from %s on this simulator "
                     "(recordable: %s); not recorded"
                     % (spec["label"], variable, type(pop.celltype).__name__,
                        ", ".join(recordable)))
                continue
            for p in [pop] + extra_layers.get(spec["label"], []):
                _cells(p, selection).record(variable)
        pops.append(pop)

    by_label = {p.label: p for p in pops}
    raised = 0
    for proj in net["projections"]:
        conns = np.array(proj["conn_list"], dtype=float)
        if len(conns) == 0:
            continue
        low = conns[:, 3] < min_delay
        if low.any():
            raised += int(low.sum())
            conns[low, 3] = min_delay
        pres = [by_label[proj["presynaptic"]]] + extra_layers.get(proj["presynaptic"], [])
        for j, pre in enumerate(pres):
            sim.Projection(
                pre, by_label[proj["postsynaptic"]],
                sim.FromListConnector(conns, column_names=["weight", "delay"]),
                synapse_type=sim.StaticSynapse(),
                receptor_type=proj["receptor_type"],
                label=proj["label"] if j == 0 else "%s (same-step spikes %d)" % (
                    proj["label"], j),
            )
    if raised:
        warn("%d connection delay(s) below %s ms raised to it (PyNN's min_delay)"
             % (raised, min_delay))

    for src in net["current_sources"]:
        pop = by_label[src["population"]]
        source = sim.StepCurrentSource(times=[float(t) for t in src["times"]],
                                       amplitudes=[float(a) for a in src["amplitudes"]])
        source.inject_into(pop[np.asarray(src["cells"], dtype=int)])
    # the sines of ACSources (their offsets are in the steps above)
    for src in net.get("ac_sources", []):
        pop = by_label[src["population"]]
        source = sim.ACSource(amplitude=src["amplitude"], offset=0.0,
                              frequency=src["frequency"], phase=src["phase"],
                              start=src["start"], stop=src["stop"])
        source.inject_into(pop[np.asarray(src["cells"], dtype=int)])
    return pops, extra_layers, warnings


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run the network exported by exactlif export-pynn on a PyNN simulator "
                    "and write exactlif's results layout.",
        epilog="example: python model.py nest && "
               "exactlif compare results/model results_nest")
    parser.add_argument("simulator", help="nest, neuron or brian2 (a pyNN.<simulator> backend)")
    parser.add_argument("--out", help="results directory [default: results_<simulator> beside "
                                      "this script]")
    parser.add_argument("--spike-precision", choices=["on_grid", "off_grid"],
                        help="NEST only: on_grid (iaf_psc_exp, spikes on the grid) or off_grid "
                             "(iaf_psc_exp_ps; PyNN's default)")
    parser.add_argument("--nest-model",
                        help="NEST only: the NEST model of the IF_curr_alpha / IF_curr_delta "
                             "populations instead of PyNN's (e.g. iaf_psc_alpha_ps, "
                             "iaf_psc_delta_ps); IF_curr_exp is not affected")
    args = parser.parse_args(argv)

    import importlib

    try:
        sim = importlib.import_module("pyNN." + args.simulator)
    except ImportError as e:
        raise SystemExit("cannot import pyNN.%s: %s (install PyNN and the simulator, e.g. "
                         "pip install PyNN nest-simulator)" % (args.simulator, e))
    net = load_network()
    s = net["simulation"]
    t0 = time.perf_counter()
    pops, extra_layers, warnings = build(sim, net, args.spike_precision, args.nest_model)
    t1 = time.perf_counter()
    sim.run(float(s["duration"]))
    t2 = time.perf_counter()
    populations = []
    for spec, pop in zip(net["populations"], pops):
        populations.append({
            "label": spec["label"],
            "size": spec["size"],
            "cell_type": spec["cell_type"],
            "records_spikes": "spikes" in spec["record"]
                              and "spikes" in getattr(pop.celltype, "recordable", []),
            "block": [p.get_data() for p in [pop] + extra_layers.get(spec["label"], [])]
                     if spec["record"] else None,
        })
    out = args.out or os.path.join(HERE, "results_" + args.simulator)
    extra = {"simulator": args.simulator, "model_file": net.get("model_file"),
             "warnings": warnings}
    try:
        import pyNN

        extra["pynn_version"] = pyNN.__version__
    except Exception:
        pass
    if args.simulator == "nest":
        state = getattr(getattr(sim, "simulator", None), "state", None)
        precision = getattr(state, "spike_precision", None)
        extra["spike_precision"] = precision
        extra["nest_model"] = {"on_grid": "iaf_psc_exp",
                               "off_grid": "iaf_psc_exp_ps"}.get(precision)
        others = [(spec, pop) for spec, pop in zip(net["populations"], pops)
                  if _pynn_type(spec) in OTHER_NEURONS]
        if others:
            # the NEST model of every neuron population, read from the nodes themselves
            import nest

            models = {}
            for spec, pop in zip(net["populations"], pops):
                if _pynn_type(spec) in OTHER_NEURONS + ("IF_curr_exp",) and pop.size:
                    found = sorted(set(nest.GetStatus(pop.node_collection, "model")))
                    models[spec["label"]] = found[0] if len(found) == 1 else found
            distinct = sorted({str(m) for m in models.values()})
            extra["nest_model"] = distinct[0] if len(distinct) == 1 else models
            extra["nest_models"] = models
    files = write_results(populations, out, float(s["timestep"]), float(s["duration"]),
                          backend="pynn-" + args.simulator, seed=s.get("seed"),
                          wall_time_s=t2 - t1, build_time_s=t1 - t0, extra=extra)
    sim.end()
    total = sum(p["spikes"] for p in json.load(open(os.path.join(out, "summary.json")))
                ["populations"])
    print("%s: %d populations, %s ms on pyNN.%s; %d recorded spikes; results in %s/ (%d files)"
          % (net.get("model_file"), len(pops), s["duration"], args.simulator, total, out,
             len(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
