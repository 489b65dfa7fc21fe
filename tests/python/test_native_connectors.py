"""The native path: standard connectors with exactlif's NativeRNG (or unseeded) become the
core's own rules, and a PyNN script gives exactly the spikes of the model file describing the
same network (run by the `exactlif` command line)."""

import pathlib
import subprocess

import numpy as np
import pytest

import pyNN.exactlif as sim
from pyNN.random import NumpyRNG, RandomDistribution

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "exactlif"

MODEL = """
[simulation]
timestep = 0.1
duration = 200.0
seed = 11

[[populations]]
label = "noise"
size = 20
cell_type = "SpikeSourcePoisson"
[populations.parameters]
rate = 50.0

[[populations]]
label = "exc"
size = 30
cell_type = "IF_curr_exp"
record = ["spikes"]

[[projections]]
label = "drive"
presynaptic = "noise"
postsynaptic = "exc"
receptor_type = "excitatory"
connector = { type = "FixedProbabilityConnector", p_connect = 0.3, allow_self_connections = true }
synapse = { type = "StaticSynapse", weight = 2.5, delay = 1.0 }

[[projections]]
label = "recurrent"
presynaptic = "exc"
postsynaptic = "exc"
receptor_type = "excitatory"
connector = { type = "FixedNumberPreConnector", n = 3, allow_self_connections = false, with_replacement = false }
synapse = { type = "StaticSynapse", weight = { distribution = "normal", mu = 0.5, sigma = 0.1 }, delay = 1.5 }
"""


def script(rng):
    sim.setup(timestep=0.1, seed=11)
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="noise")
    exc = sim.Population(30, sim.IF_curr_exp(), label="exc")
    exc.record("spikes")
    drive = sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
                           sim.StaticSynapse(weight=2.5, delay=1.0), label="drive")
    weight = RandomDistribution("normal", mu=0.5, sigma=0.1, rng=rng)
    recurrent = sim.Projection(
        exc, exc, sim.FixedNumberPreConnector(3, allow_self_connections=False, rng=rng),
        sim.StaticSynapse(weight=weight, delay=1.5), label="recurrent")
    sim.run(200.0)
    trains = exc.get_data().segments[-1].spiketrains
    spikes = sorted((float(t), int(st.annotations["source_index"])) for st in trains
                    for t in st.magnitude)
    sim.end()
    return drive, recurrent, spikes


@pytest.mark.parametrize("rng", [sim.NativeRNG(), None], ids=["NativeRNG", "unseeded"])
def test_native_connectors_are_the_core_rules(rng):
    drive, recurrent, spikes = script(rng)
    assert drive._rule is not None and recurrent._rule is not None
    assert len(recurrent) == 30 * 3
    weights = np.array(recurrent.get("weight", format="list", with_address=False))
    assert abs(weights.mean() - 0.5) < 0.05 and weights.std() > 0.05
    posts = np.array([c[1] for c in recurrent.get("weight", format="list")])
    assert np.all(np.bincount(posts, minlength=30) == 3)
    assert len(spikes) > 10


@pytest.mark.skipif(not BINARY.exists(), reason="needs target/release/exactlif (cargo build --release)")
def test_a_script_and_a_model_file_give_the_same_spikes(tmp_path):
    model = tmp_path / "model.toml"
    model.write_text(MODEL)
    out = tmp_path / "out"
    subprocess.run([str(BINARY), "run", str(model), "--out", str(out)], check=True,
                   capture_output=True)
    rows = (out / "spikes.csv").read_text().splitlines()[1:]
    from_file = sorted((float(t), int(n)) for p, n, t in (r.split(",") for r in rows)
                       if p == "exc")
    _, _, from_script = script(sim.NativeRNG())
    assert len(from_file) > 10
    assert from_script == from_file


def test_a_seeded_numpy_rng_is_drawn_by_pynn():
    drive, _, _ = script(NumpyRNG(seed=5))
    assert drive._rule is None


VIEW_MODEL = """
[simulation]
timestep = 0.1
duration = 200.0
seed = 11

[[populations]]
label = "noise"
size = 30
cell_type = "SpikeSourcePoisson"
[populations.parameters]
rate = 40.0

[[populations]]
label = "cells"
size = 20
cell_type = "IF_curr_exp"
record = ["spikes"]

[[projections]]
presynaptic = "noise"
presynaptic_cells = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
postsynaptic = "cells"
postsynaptic_cells = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
receptor_type = "excitatory"
connector = { type = "FixedProbabilityConnector", p_connect = 0.5 }
synapse = { type = "StaticSynapse", weight = 1.5, delay = 1.0 }

[[projections]]
label = "recurrent"
presynaptic = "cells"
presynaptic_cells = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
postsynaptic = "cells"
postsynaptic_cells = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
receptor_type = "excitatory"
connector = { type = "FixedNumberPreConnector", n = 3, allow_self_connections = false }
synapse = { type = "StaticSynapse", weight = 0.5, delay = 1.0 }
"""


def test_views_take_the_native_path_as_the_model_file_does(tmp_path):
    """PopulationViews (presynaptic_cells / postsynaptic_cells in a model file) with
    NativeRNG: the core's rule on the views; the script's spikes are the model file's."""
    sim.setup(timestep=0.1, min_delay=0.1, seed=11)
    noise = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="noise")
    cells = sim.Population(20, sim.IF_curr_exp(), label="cells")
    cells.record("spikes")
    p = sim.Projection(noise[5:25], cells[::2],
                       sim.FixedProbabilityConnector(0.5, rng=sim.NativeRNG()),
                       sim.StaticSynapse(weight=1.5, delay=1.0), receptor_type="excitatory")
    q = sim.Projection(cells[0:10], cells[5:15],
                       sim.FixedNumberPreConnector(3, allow_self_connections=False,
                                                   rng=sim.NativeRNG()),
                       sim.StaticSynapse(weight=0.5, delay=1.0), receptor_type="excitatory",
                       label="recurrent")
    assert p._rule is not None and q._rule is not None
    # positions in the views, as PyNN's
    pre, post = np.asarray(q.get("weight", format="list"))[:, :2].T.astype(int)
    assert pre.max() < 10 and post.max() < 10
    assert not np.any(pre + 0 == post + 5)  # no self-connection: pre cell i is cell i
    sim.run(200.0)
    script = cells.get_data().segments[0].spiketrains
    sim.end()
    model = tmp_path / "views.toml"
    model.write_text(VIEW_MODEL)
    out = tmp_path / "out"
    subprocess.run([str(BINARY), "run", str(model), "--out", str(out)], check=True,
                   capture_output=True)
    rows = [line.split(",") for line in (out / "spikes.csv").read_text().splitlines()[1:]]
    cli = sorted((int(r[1]), float(r[2])) for r in rows if r[0] == "cells")
    mine = sorted((i, float(t)) for i, st in enumerate(script) for t in st.magnitude)
    assert len(mine) > 0 and cli == mine


def test_native_rng_where_the_core_has_no_rule_draws_as_a_numpy_rng():
    """Between Assemblies PyNN's connector draws; a NativeRNG then serves numbers (it used
    to fail inside PyNN: no parallel_safe), and successive calls go on drawing."""
    sim.setup(timestep=0.1, min_delay=0.1, seed=5)
    a = sim.Population(10, sim.IF_curr_exp(), label="a")
    b = sim.Population(10, sim.IF_curr_exp(), label="b")
    rng = sim.NativeRNG()
    prj = sim.Projection(a + b, a + b, sim.FixedProbabilityConnector(0.3, rng=rng),
                         sim.StaticSynapse(weight=0.1, delay=1.0), receptor_type="excitatory")
    assert prj._rule is None and 0 < len(prj) < 400
    x, y = rng.next(5), rng.next(5)
    assert not np.array_equal(x, y)
    sim.end()
