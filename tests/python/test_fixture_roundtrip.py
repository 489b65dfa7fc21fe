"""The round trip of every model file (SPEC §6, issue 13 item 4): the same network described
by a PyNN script and by a model file gives byte-identical results.

For each model file of the project (``fixtures/*.toml``, ``tests/reference/cases/*/model.toml``
and the public reference models ``../shared/reference/models/*.toml``):

1. ``build_from_model`` writes "a PyNN script of the file": ``setup()`` with its time step,
   min_delay, seed and seeding version; the populations in file order under the same labels; numbers as
   numbers, lists as arrays, distribution tables as ``RandomDistribution(...,
   rng=sim.NativeRNG())``; the projections in file order with PyNN's connector of the same
   name and parameters (``rng=sim.NativeRNG()``), ``StaticSynapse`` with the same weight and
   delay, receptor type and label (an unlabelled projection stays unlabelled); the current
   sources injected into the same cells. StepCurrentSource times off the time grid need
   ``setup(step_current_times="exact")`` (by default the backend rounds them to the grid, as
   PyNN's other backends do); on-grid files keep the default.
2. The script, run for the file's duration, gives bit for bit the spikes and recorded signals
   that ``exactlif run`` writes for the file (its CSVs print every float in a form that parses
   back to the same f64, SPEC §4, so they are compared as float64 bits).
3. ``sim.export_model(path)`` of the script, run by ``exactlif run``, writes byte-identical
   ``spikes.csv`` and ``<var>.csv`` files, and the same ``summary.json`` but for its wall times
   (``data.bin`` holds the wall times too, and says nothing the CSVs do not).

The shared reference folder is skipped when it is missing, except under CI (``CI=true``), where
its absence fails, as in ``tests/reference_public.rs``. A model written here,
``EVERY_FEATURE``, takes the same round trip with what the project's files do not use.
"""

import csv
import json
import os
import pathlib
import subprocess
import tomllib
import warnings

import numpy as np
import pytest

import pyNN.exactlif as sim
from pyNN.parameters import Sequence
from pyNN.random import RandomDistribution

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "exactlif"
SHARED_MODELS = ROOT.parent / "shared" / "reference" / "models"

#: The connectors that draw at random: they get ``rng=sim.NativeRNG()``.
RANDOM_CONNECTORS = {"FixedProbabilityConnector", "FixedNumberPreConnector",
                     "FixedNumberPostConnector", "FixedTotalNumberConnector"}

#: The summary keys that differ between two runs of the same model.
WALL_TIMES = ("wall_time_s", "build_time_s")


def model_files():
    """Every model file, as pytest parameters named `<folder>/<name>`."""
    params = [pytest.param(p, id=f"fixtures/{p.stem}")
              for p in sorted((ROOT / "fixtures").glob("*.toml"))]
    params += [pytest.param(p, id=f"cases/{p.parent.name}")
               for p in sorted((ROOT / "tests" / "reference" / "cases").glob("*/model.toml"))]
    if SHARED_MODELS.is_dir():
        params += [pytest.param(p, id=f"shared/{p.stem}")
                   for p in sorted(SHARED_MODELS.glob("*.toml"))]
    else:
        params.append(pytest.param(None, id="shared/missing"))
    return params


# --- the PyNN script of a model file ---------------------------------------------------------

def value(x):
    """A model-file value as a PyNN script gives it: a number, an array (one per cell) or a
    RandomDistribution drawn natively."""
    if isinstance(x, dict):
        params = {k: v for k, v in x.items() if k != "distribution"}
        return RandomDistribution(x["distribution"], rng=sim.NativeRNG(), **params)
    if isinstance(x, list):
        return np.array(x, dtype=float)
    return x


def cell_parameters(parameters):
    """The cell type's parameters: spike times as one Sequence for all cells, or one per
    cell."""
    out = {}
    for name, x in parameters.items():
        if name == "spike_times":
            out[name] = [Sequence(t) for t in x] if x and isinstance(x[0], list) \
                else Sequence(x)
        else:
            out[name] = value(x)
    return out


def connector(table):
    kind = table["type"]
    params = {k: v for k, v in table.items() if k != "type"}
    if kind in RANDOM_CONNECTORS:
        params["rng"] = sim.NativeRNG()
    return getattr(sim, kind)(**params)


def off_grid_step_times(model):
    """Whether a StepCurrentSource time of `model` changes when put on the time grid."""
    dt = model["simulation"]["timestep"]
    for source in model.get("current_sources", []):
        if source["type"] == "StepCurrentSource":
            times = np.array(source["times"], dtype=float)
            if np.any(np.rint(times / dt) * dt != times):
                return True
    return False


def build_from_model(model):
    """The network of the parsed model file `model`, built with PyNN calls (after a
    ``setup()``). Returns the populations in file order with what each records."""
    simulation = model["simulation"]
    options = {k: simulation[k] for k in ("seed", "min_delay", "seeding") if k in simulation}
    if off_grid_step_times(model):
        options["step_current_times"] = "exact"
    sim.setup(timestep=simulation["timestep"], **options)
    populations = {}
    for p in model["populations"]:
        cell_type = getattr(sim, p["cell_type"])
        population = sim.Population(
            p["size"], cell_type(**cell_parameters(p.get("parameters", {}))),
            label=p["label"])
        initial = p.get("initial_values", {})
        if initial:
            population.initialize(**{k: value(x) for k, x in initial.items()})
        if p.get("record"):
            population.record(p["record"])
        populations[p["label"]] = (population, p.get("record", []))
    for p in model.get("projections", []):
        pre = populations[p["presynaptic"]][0]
        post = populations[p["postsynaptic"]][0]
        if "presynaptic_cells" in p:
            pre = pre[p["presynaptic_cells"]]
        if "postsynaptic_cells" in p:
            post = post[p["postsynaptic_cells"]]
        synapse = {k: value(x) for k, x in p.get("synapse", {}).items() if k != "type"}
        sim.Projection(pre, post, connector(p["connector"]), sim.StaticSynapse(**synapse),
                       receptor_type=p.get("receptor_type"), label=p.get("label"))
    for s in model.get("current_sources", []):
        params = {k: x for k, x in s.items() if k not in ("type", "inject_into", "cells")}
        source = getattr(sim, s["type"])(**params)
        target = populations[s["inject_into"]][0]
        source.inject_into(target[s["cells"]] if "cells" in s else target)
    return list(populations.values())


def script_results(populations):
    """What the script recorded: spikes as (time, population index, neuron) sorted as
    ``spikes.csv`` is, and for each variable {(population index, neuron): values}."""
    spikes, signals = [], {}
    for k, (population, record) in enumerate(populations):
        if not record:
            continue
        segment = population.get_data().segments[-1]
        if "spikes" in record:
            # the (cell id, time) arrays: one SpikeTrain object per cell would take half a
            # minute for the 100 000 cells of fixtures/sparse.toml
            ids, times = segment.spiketrains.multiplexed
            if len(ids):
                neurons = population.id_to_index(np.asarray(ids, dtype=int))
                spikes += [(t, k, int(i)) for t, i in zip(times.magnitude.tolist(), neurons)]
        for signal in segment.analogsignals:
            values = np.asarray(signal.magnitude, dtype=np.float64)
            for column, neuron in enumerate(signal.array_annotations["channel_index"]):
                signals.setdefault(signal.name, {})[(k, int(neuron))] = values[:, column]
    spikes.sort()
    return spikes, signals


# --- the command line's results --------------------------------------------------------------

def run_cli(model, out):
    run = subprocess.run([str(BINARY), "run", str(model), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, f"exactlif run {model} failed:\n{run.stderr}"
    return out


def file_spikes(out, index):
    with open(out / "spikes.csv", newline="") as f:
        return [(float(r["time_ms"]), index[r["population"]], int(r["neuron"]))
                for r in csv.DictReader(f)]


def file_signal(out, var, index):
    """{(population index, neuron): (times, values)} of `<var>.csv`."""
    rows = {}
    with open(out / f"{var}.csv", newline="") as f:
        for r in csv.DictReader(f):
            key = (index[r["population"]], int(r["neuron"]))
            rows.setdefault(key, []).append((float(r["time_ms"]), float(r[var])))
    return {key: tuple(np.array(c, dtype=np.float64) for c in zip(*v))
            for key, v in rows.items()}


def bits(x):
    return np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)


def first_difference(a, b):
    """The first index where the float64 arrays `a` and `b` differ in their bits."""
    n = min(a.size, b.size)
    diff = np.flatnonzero(bits(a[:n]) != bits(b[:n]))
    return int(diff[0]) if diff.size else n


def assert_same_spikes(script, file):
    if script == file:
        return
    for i, (a, b) in enumerate(zip(script, file)):
        if a != b:
            break
    else:
        i = min(len(script), len(file))
    assert False, (f"{len(script)} spikes from the script, {len(file)} from the file; first "
                   f"difference at row {i}: script {script[i:i + 1]} (hex "
                   f"{[t.hex() for t, _, _ in script[i:i + 1]]}), file {file[i:i + 1]} (hex "
                   f"{[t.hex() for t, _, _ in file[i:i + 1]]})")


def assert_same_signals(script, file, dt, var):
    assert set(script) == set(file), f"{var}: cells recorded differ"
    for key, (times, values) in file.items():
        k = np.arange(times.size, dtype=np.float64)
        assert np.array_equal(bits(times), bits(k * dt)), f"{var} {key}: times are not k*dt"
        ours = script[key]
        i = first_difference(ours, values)
        assert ours.size == values.size and i == values.size, (
            f"{var} of population {key[0]}, cell {key[1]}: {ours.size} samples from the "
            f"script, {values.size} from the file; first difference at sample {i}: "
            f"{ours[i:i + 1]} vs {values[i:i + 1]}")


def data_files(out):
    return sorted(p.name for p in out.iterdir() if p.suffix == ".csv")


def summary(out):
    s = json.loads((out / "summary.json").read_text())
    for key in WALL_TIMES:
        s.pop(key)
    return s


# --- the tests -------------------------------------------------------------------------------

def round_trip(path, tmp_path):
    """Runs the model file `path` by the command line, by its PyNN script and by the command
    line again on the script's ``export_model``; asserts that all three agree bit for bit."""
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is missing: build it with `cargo build --release`")
    with open(path, "rb") as f:
        model = tomllib.load(f)
    from_file = run_cli(path, tmp_path / "file")

    exported = tmp_path / "exported.toml"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "... can never fire"
            populations = build_from_model(model)
            sim.run(model["simulation"]["duration"])
        spikes, signals = script_results(populations)
        sim.export_model(exported)
    finally:
        sim.end()

    index = {p["label"]: k for k, p in enumerate(model["populations"])}
    assert_same_spikes(spikes, file_spikes(from_file, index))
    variables = [name[:-4] for name in data_files(from_file) if name != "spikes.csv"]
    assert sorted(variables) == sorted(signals)
    for var in variables:
        assert_same_signals(signals[var], file_signal(from_file, var, index),
                            model["simulation"]["timestep"], var)

    from_export = run_cli(exported, tmp_path / "export")
    assert data_files(from_export) == data_files(from_file)
    for name in data_files(from_file):
        assert (from_export / name).read_bytes() == (from_file / name).read_bytes(), (
            f"{name} of the exported model differs from the file's")
    assert summary(from_export) == summary(from_file)
    return spikes, signals


@pytest.mark.parametrize("path", model_files())
def test_model_file_round_trips_through_a_pynn_script(path, tmp_path):
    if path is None:
        assert os.environ.get("CI") != "true", (
            f"{SHARED_MODELS} is missing under CI: the public reference models must run")
        pytest.skip(f"{SHARED_MODELS} is missing")
    round_trip(path, tmp_path)


#: What the project's model files do not use: every distribution, connector and default of
#: SPEC §2, random Poisson rates, unlabelled repeats of a pair, a view, lists of two and four
#: columns, several synapses of one pair (in more rows than numpy sorts stably), step times on
#: the grid (the backend's default rounding), sources without start or stop.
EVERY_FEATURE = """
[simulation]
timestep = 0.1
duration = 200.0
seed = 314
min_delay = 0.5

[[populations]]
label = "noise"
size = 30
cell_type = "SpikeSourcePoisson"
record = ["spikes"]
[populations.parameters]
rate = { distribution = "uniform", low = 20.0, high = 60.0 }
start = 5.0
duration = 150.0

[[populations]]
label = "stim"
size = 2
cell_type = "SpikeSourceArray"
record = ["spikes"]
[populations.parameters]
spike_times = [[10.0, 50.3], [20.7]]

[[populations]]
label = "exc"
size = 40
cell_type = "IF_curr_exp"
record = ["spikes", "v", "isyn_exc", "isyn_inh"]
[populations.parameters]
tau_m = { distribution = "normal_clipped", mu = 15.0, sigma = 3.0, low = 8.0, high = 25.0 }
cm = { distribution = "lognormal", mu = 0.0, sigma = 0.1 }
tau_syn_E = { distribution = "gamma", k = 20.0, theta = 0.25 }
tau_syn_I = { distribution = "exponential", beta = 5.0 }
tau_refrac = 2.0
v_thresh = { distribution = "normal", mu = -52.0, sigma = 1.0 }
i_offset = { distribution = "uniform", low = 0.0, high = 0.4 }
[populations.initial_values]
v = { distribution = "uniform", low = -65.0, high = -55.0 }
isyn_exc = 0.3
isyn_inh = { distribution = "uniform", low = -0.5, high = 0.0 }

[[populations]]
label = "inh"
size = 10
cell_type = "IF_curr_exp"
record = ["spikes"]
[populations.parameters]
tau_refrac = [1.0, 1.5, 2.0, 2.5, 3.0, 1.0, 1.5, 2.0, 2.5, 3.0]
i_offset = 0.5

[[projections]]
presynaptic = "noise"
postsynaptic = "exc"
connector = { type = "FixedProbabilityConnector", p_connect = 0.3 }
synapse = { type = "StaticSynapse", weight = { distribution = "uniform", low = 0.5, high = 1.5 }, delay = { distribution = "uniform", low = 0.5, high = 2.0 } }

[[projections]]
presynaptic = "noise"
postsynaptic = "exc"
connector = { type = "FixedNumberPreConnector", n = 2, with_replacement = true }
synapse = { type = "StaticSynapse", weight = 0.4, delay = 1.0 }

[[projections]]
label = "e2i"
presynaptic = "exc"
postsynaptic = "inh"
connector = { type = "FixedNumberPostConnector", n = 3, with_replacement = true }
synapse = { type = "StaticSynapse", weight = { distribution = "uniform", low = 0.2, high = 0.6 }, delay = 1.25 }

[[projections]]
label = "i2e"
presynaptic = "inh"
postsynaptic = "exc"
receptor_type = "inhibitory"
connector = { type = "FixedTotalNumberConnector", n = 100 }
synapse = { type = "StaticSynapse", weight = { distribution = "uniform", low = -1.0, high = -0.2 }, delay = 0.75 }

[[projections]]
label = "e2e"
presynaptic = "exc"
postsynaptic = "exc"
connector = { type = "AllToAllConnector", allow_self_connections = false }
synapse = { type = "StaticSynapse", weight = 0.01, delay = 1.5 }

[[projections]]
presynaptic = "stim"
postsynaptic = "inh"
postsynaptic_cells = [3, 7]
connector = { type = "OneToOneConnector" }
synapse = { type = "StaticSynapse", weight = 3.0, delay = 0.5 }

[[projections]]
presynaptic = "stim"
postsynaptic = "exc"
connector = { type = "FromListConnector", conn_list = [[0, 1], [1, 2], [0, 5]] }
synapse = { type = "StaticSynapse", weight = 2.0, delay = 0.6 }

[[projections]]
label = "multapses"
presynaptic = "stim"
postsynaptic = "exc"
connector = { type = "FromListConnector", conn_list = [%s] }

[[projections]]
presynaptic = "inh"
postsynaptic = "inh"
receptor_type = "inhibitory"
connector = { type = "FromListConnector", conn_list = [[0, 1], [1, 0]] }

[[current_sources]]
type = "DCSource"
amplitude = 0.3
start = 20.0
inject_into = "exc"
cells = [0, 5, 9]

[[current_sources]]
type = "DCSource"
amplitude = 0.2
inject_into = "inh"

[[current_sources]]
type = "StepCurrentSource"
times = [30.0, 60.0, 90.0]
amplitudes = [0.5, -0.2, 0.0]
inject_into = "exc"
"""


@pytest.mark.parametrize("seeding", [None, 1, 2], ids=["default", "seeding1", "seeding2"])
def test_every_feature_of_the_model_file_round_trips(tmp_path, seeding):
    # 40 synapses of cell 0 of stim onto cells 0..3 of exc, weights all different: the sum of
    # the inputs one spike brings at once depends on their order in the last bit
    rng = np.random.default_rng(7)
    rows = ", ".join(f"[0, {int(post)}, {float(w)!r}, 1.0]"
                     for post, w in zip(rng.integers(0, 4, 40), rng.uniform(0.5, 1.0, 40)))
    path = tmp_path / "every_feature.toml"
    text = EVERY_FEATURE % rows
    if seeding is not None:
        text = text.replace("min_delay = 0.5\n", f"min_delay = 0.5\nseeding = {seeding}\n", 1)
    path.write_text(text)
    spikes, signals = round_trip(path, tmp_path)
    populations = {k for _, k, _ in spikes}
    assert populations == {0, 1, 2, 3}, "every population fires"
    assert sorted(signals) == ["isyn_exc", "isyn_inh", "v"]
