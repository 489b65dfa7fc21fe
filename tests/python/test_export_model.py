"""``sim.export_model(path)``: the model file of a PyNN session gives, run by the `exactlif`
command line, exactly the spikes the script gives."""

import csv
import pathlib
import subprocess
import tomllib

import numpy as np
import pytest

import pyNN.exactlif as sim
from pyNN.random import NumpyRNG, RandomDistribution

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "exactlif"


def build_and_run():
    """A small network with both projection paths and two current sources, run 200 ms.
    Returns the populations (for their spikes)."""
    sim.setup(timestep=0.1, seed=23, min_delay=0.5)
    rng = NumpyRNG(seed=4242)
    noise = sim.Population(15, sim.SpikeSourcePoisson(rate=60.0, start=3.0), label="noise")
    stim = sim.Population(3, sim.SpikeSourceArray(spike_times=[[5.0, 20.25], [], [41.3]]),
                          label="stim")
    exc = sim.Population(
        20, sim.IF_curr_exp(tau_m=RandomDistribution("uniform", low=12.0, high=18.0, rng=rng),
                            v_thresh=RandomDistribution("normal", mu=-53.0, sigma=0.7, rng=rng),
                            tau_refrac=2.0, i_offset=0.3),
        label="exc")
    exc.initialize(v=RandomDistribution("uniform", low=-65.0, high=-55.0, rng=rng))
    inh = sim.Population(8, sim.IF_curr_exp(tau_syn_I=7.0), label="inh")
    inh.set(cm=RandomDistribution("uniform", low=0.8, high=1.2, rng=rng))
    for p in (noise, exc, inh):
        p.record("spikes")
    exc.record("v")
    # the native path: the core's own rule, drawn from its streams
    drive = sim.Projection(
        noise, exc, sim.FixedProbabilityConnector(0.4, rng=sim.NativeRNG()),
        sim.StaticSynapse(weight=RandomDistribution("uniform", low=0.5, high=1.5,
                                                    rng=sim.NativeRNG()), delay=1.25),
        receptor_type="excitatory", label="drive")
    # the list path: drawn by PyNN from a seeded NumpyRNG
    e2i = sim.Projection(
        exc, inh, sim.FixedProbabilityConnector(0.5, rng=rng),
        sim.StaticSynapse(weight=RandomDistribution("uniform", low=0.5, high=2.0, rng=rng),
                          delay=RandomDistribution("uniform", low=0.5, high=3.0, rng=rng)),
        receptor_type="excitatory", label="e2i")
    i2e = sim.Projection(inh, exc[5:15], sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=-0.8, delay=0.7), receptor_type="inhibitory")
    sim.Projection(stim, inh[0:3], sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=5.0, delay=0.5))
    assert drive._rule is not None
    assert e2i._rule is None and i2e._rule is not None  # a view takes the native path too
    dc = sim.DCSource(amplitude=0.4, start=30.0, stop=120.0)
    dc.inject_into(exc[::3])
    step = sim.StepCurrentSource(times=[50.0, 80.04, 150.0], amplitudes=[1.2, 0.0, 0.9])
    step.inject_into(inh[2:6])
    sim.run(200.0)
    return [noise, stim, exc, inh]


def script_spikes(populations):
    spikes = []
    for p in populations:
        if "spikes" not in [v.name for v in p.recorder.recorded if p.recorder.recorded[v]]:
            continue
        for st in p.get_data("spikes").segments[-1].spiketrains:
            cell = int(st.annotations["source_index"])
            spikes += [(p._core_label, cell, float(t)) for t in st.magnitude]
    return sorted(spikes)


def file_spikes(out):
    with open(out / "spikes.csv", newline="") as f:
        return sorted((row["population"], int(row["neuron"]), float(row["time_ms"]))
                      for row in csv.DictReader(f))


def test_export_model_round_trip(tmp_path):
    populations = build_and_run()
    try:
        spikes = script_spikes(populations)
        model = tmp_path / "model.toml"
        sim.export_model(model)
        text = model.read_bytes()
        again = tmp_path / "again.toml"
        sim.export_model(again)
        assert again.read_bytes() == text
        exc = populations[2]
        with open(model, "rb") as f:
            parsed = tomllib.load(f)
        assert parsed["simulation"] == {"timestep": 0.1, "duration": 200.0, "seed": 23,
                                        "seeding": 2, "min_delay": 0.5}
        pops = {p["label"]: p for p in parsed["populations"]}
        assert pops["exc"]["parameters"]["tau_m"] == list(exc._parameters["tau_m"])
        assert pops["exc"]["parameters"]["i_offset"] == 0.3
        assert pops["exc"]["initial_values"]["v"] == list(exc._initial_values["v"])
        assert pops["stim"]["parameters"]["spike_times"] == [[5.0, 20.25], [], [41.3]]
        kinds = [p["connector"]["type"] for p in parsed["projections"]]
        # the seeded NumpyRNG projection is a list; the views with fixed values are rules
        assert kinds == ["FixedProbabilityConnector", "FromListConnector",
                         "AllToAllConnector", "OneToOneConnector"]
        assert [s["type"] for s in parsed["current_sources"]] == ["DCSource",
                                                                  "StepCurrentSource"]
        assert parsed["current_sources"][0]["cells"] == [0, 3, 6, 9, 12, 15, 18]
        assert len(spikes) > 50
    finally:
        sim.end()
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is missing: build it with `cargo build --release`")
    out = tmp_path / "out"
    subprocess.run([str(BINARY), "run", str(model), "--out", str(out)], check=True,
                   capture_output=True)
    assert file_spikes(out) == spikes


@pytest.mark.filterwarnings("ignore:population \"p\"")
def test_export_model_duration_argument(sim, tmp_path):
    p = sim.Population(2, sim.IF_curr_exp(i_offset=[0.0, 1.0]), label="p")
    p.record("spikes")
    sim.run(10.0)
    sim.export_model(tmp_path / "m.toml", duration=55.5)
    with open(tmp_path / "m.toml", "rb") as f:
        parsed = tomllib.load(f)
    assert parsed["simulation"]["duration"] == 55.5
    assert parsed["populations"][0]["parameters"]["i_offset"] == [0.0, 1.0]
    assert parsed["populations"][0]["record"] == ["spikes"]


def test_export_model_refuses_what_a_file_cannot_say(sim, tmp_path):
    p = sim.Population(3, sim.IF_curr_exp(), label="p")
    noise = sim.NoisyCurrentSource(mean=0.1, stdev=0.2)
    noise.inject_into(p)
    with pytest.raises(ValueError, match="NoisyCurrentSource"):
        sim.export_model(tmp_path / "m.toml")
    assert not (tmp_path / "m.toml").exists()
    noise.set_parameters(stop=50.0)
    p[0:1].record("spikes")
    with pytest.raises(ValueError, match="records spikes of 1"):
        sim.export_model(tmp_path / "m.toml")


def test_export_model_noisy_current_source(tmp_path):
    sim.setup(timestep=0.1, seed=5)
    try:
        p = sim.Population(3, sim.IF_curr_exp(tau_refrac=1.0), label="p")
        p.record("spikes")
        noise = sim.NoisyCurrentSource(mean=1.0, stdev=1.5, start=2.0, stop=90.0, dt=0.5)
        noise.inject_into(p)
        sim.run(100.0)
        spikes = script_spikes([p])
        assert spikes
        sim.export_model(tmp_path / "m.toml")
    finally:
        sim.end()
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is missing: build it with `cargo build --release`")
    out = tmp_path / "out"
    subprocess.run([str(BINARY), "run", str(tmp_path / "m.toml"), "--out", str(out)],
                   check=True, capture_output=True)
    assert file_spikes(out) == spikes


def test_setup_seeding_is_exported_and_checked(tmp_path):
    # setup(seeding=1) keeps the per-projection streams: the native connections drawn differ
    # from version 2's, and the exported file says which version drew them
    drawn = {}
    for seeding in (1, 2):
        sim.setup(timestep=0.1, seed=9, seeding=seeding)
        try:
            a = sim.Population(40, sim.IF_curr_exp(), label="a")
            prj = sim.Projection(a, a, sim.FixedProbabilityConnector(0.2, rng=sim.NativeRNG()),
                                 sim.StaticSynapse(weight=0.1, delay=1.0), label="aa")
            drawn[seeding] = sorted((int(c[0]), int(c[1])) for c in prj.get("weight", format="list"))
            sim.export_model(tmp_path / f"s{seeding}.toml")
        finally:
            sim.end()
        with open(tmp_path / f"s{seeding}.toml", "rb") as f:
            assert tomllib.load(f)["simulation"]["seeding"] == seeding
    assert drawn[1] != drawn[2]
    for bad in (0, 3, "2", True):
        with pytest.raises(ValueError, match="seeding must be 1 .* or 2"):
            sim.setup(timestep=0.1, seeding=bad)
    from exactlif import _core
    assert _core.Network(0.1, seed=1, seeding=1).seeding == 1
    assert _core.Network(0.1).seeding == 2
    with pytest.raises(_core.BuildError, match="seeding"):
        _core.Network(0.1, seeding=3)
