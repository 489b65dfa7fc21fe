"""Tests of exactlif._core, the compiled binding (no PyNN involved)."""

import math

import numpy as np
import pytest

from exactlif import _core


def one_cell(i_offset=1.0, record=("spikes", "v")):
    net = _core.Network(0.1, seed=1)
    p = net.create("cells", 1, "IF_curr_exp")
    net.set(p, "i_offset", np.array([i_offset]))
    net.record(p, list(record))
    return net, p


def test_first_spike_is_exact():
    # v_inf = -65 + 1 * 20 / 1 = -45 mV; from v = -65 the first crossing of -50 mV is at
    # tau_m ln((v_inf - v_rest) / (v_inf - v_thresh)) = 20 ln 4 ms
    net, _ = one_cell()
    sim = net.build()
    sim.run_until(100.0)
    assert sim.t == 100.0
    cells, times = sim.get_data()[0]["spikes"]
    assert cells.dtype == np.uint32 and times.dtype == np.float64
    assert abs(times[0] - 20.0 * math.log(4.0)) < 1e-12
    assert (cells == 0).all() and len(times) == 3


def test_get_data_shapes():
    net = _core.Network(0.1, seed=3)
    p = net.create("exc", 5, "IF_curr_exp")
    src = net.create("src", 2, "SpikeSourceArray")
    net.set_spike_times(src, [np.array([1.0, 2.0]), np.array([3.0])])
    net.connect(src, p, np.array([0, 1], np.uint32), np.array([0, 4], np.uint32),
                np.array([0.5]), np.array([1.0, 1.5]), "excitatory")
    net.record(p, ["spikes", "v", "isyn_exc"], cells=np.array([0, 4], np.uint32))
    net.record(src, ["spikes"])
    sim = net.build()
    sim.run_until(10.0)
    data = sim.get_data()
    assert [d["label"] for d in data] == ["exc", "src"]
    assert data[0]["size"] == 5 and data[0]["cell_type"] == "IF_curr_exp"
    v = data[0]["signals"]["v"]
    assert v["values"].shape == (101, 2) and v["units"] == "mV"
    assert v["times"].shape == (101,) and list(v["neurons"]) == [0, 4]
    assert v["values"][0, 0] == -65.0
    isyn = data[0]["signals"]["isyn_exc"]["values"]
    assert isyn[19, 0] == 0.0 and isyn[20, 0] == 0.5  # spike at 1 ms, delay 1 ms
    cells, times = data[1]["spikes"]
    assert list(cells) == [0, 0, 1] and list(times) == [1.0, 2.0, 3.0]
    assert data[1]["spike_count"] == 3


def test_spike_times_forms():
    net = _core.Network(0.1)
    per_cell = net.create("per_cell", 2, "SpikeSourceArray")
    net.set_spike_times(per_cell, [np.array([1.0]), np.array([3.0])])  # one spike per cell
    same = net.create("same", 2, "SpikeSourceArray")
    net.set_spike_times(same, np.array([1.0, 2.0]))  # one list for every cell
    for p in (per_cell, same):
        net.record(p, ["spikes"])
    sim = net.build()
    sim.run_until(5.0)
    a, b = sim.get_data()
    assert list(a["spikes"][0]) == [0, 1] and list(a["spikes"][1]) == [1.0, 3.0]
    assert list(b["spikes"][0]) == [0, 0, 1, 1]
    with pytest.raises(_core.BuildError):
        net.set_spike_times(same, np.array([2.0, 1.0]))  # unsorted


def test_bad_parameter_name_suggests():
    net, p = one_cell()
    with pytest.raises(_core.BuildError) as e:
        net.set(p, "t_refrac", np.array([1.0]))
    assert isinstance(e.value, ValueError)
    assert e.value.suggestion == "tau_refrac"
    assert e.value.key == "t_refrac" and e.value.item == 'population "cells"'
    assert "did you mean `tau_refrac`" in str(e.value)


def test_errors_never_panic():
    net, p = one_cell()
    with pytest.raises(_core.BuildError):
        net.set(7, "i_offset", 1.0)  # no such population
    with pytest.raises(_core.BuildError):
        net.create("x", 1, "IF_cond_exp")
    with pytest.raises(_core.BuildError):
        net.set(p, "tau_m", -1.0)
        net.build()
    with pytest.raises(_core.BuildError) as e:
        net.record(p, ["spike"])
    assert e.value.suggestion == "spikes"
    with pytest.raises(_core.BuildError):
        net.build(backend="exakt")


def test_set_parameter_between_runs():
    net, _ = one_cell(i_offset=0.0)
    sim = net.build()
    sim.run_until(10.0)
    assert sim.get_data()[0]["spike_count"] == 0
    sim.set_parameter("cells", "i_offset", np.array([1.0]))
    sim.run_until(100.0)
    _, times = sim.get_data()[0]["spikes"]
    # from rest at t = 10 ms, the same first crossing, 20 ln 4 ms later
    assert abs(times[0] - (10.0 + 20.0 * math.log(4.0))) < 1e-12
    with pytest.raises(_core.BuildError) as e:
        sim.set_parameter("cells", "t_refrac", 1.0)
    assert e.value.suggestion == "tau_refrac"
    with pytest.raises(_core.BuildError):
        sim.set_parameter("nope", "i_offset", 1.0)


def test_initialize_reset_and_diagnostics():
    net = _core.Network(0.1)
    p = net.create("cells", 3, "IF_curr_exp")
    net.set(p, "i_offset", 0.1)
    net.initialize(p, "v", np.array([-60.0]), cells=np.array([1], np.uint32))
    net.record(p, ["v"])
    sim = net.build()
    (warning,) = sim.diagnostics()
    assert "can ever fire" in warning
    sim.run_until(1.0)
    v = sim.get_data()[0]["signals"]["v"]["values"]
    assert list(v[0]) == [-65.0, -60.0, -65.0]
    sim.initialize("cells", "v", np.array([-70.0]))
    sim.reset()
    assert sim.t == 0.0
    sim.run_until(1.0)
    v = sim.get_data()[0]["signals"]["v"]["values"]
    assert v.shape == (11, 3) and list(v[0]) == [-70.0, -70.0, -70.0]


def test_native_connector_and_distributions():
    net = _core.Network(0.1, seed=42)
    exc = net.create("exc", 50, "IF_curr_exp")
    net.set(exc, "v_rest", {"distribution": "normal", "mu": -65.0, "sigma": 1.0})
    noise = net.create("noise", 20, "SpikeSourcePoisson")
    net.set(noise, "rate", 100.0)
    net.connect_rule(noise, exc, {"type": "FixedProbabilityConnector", "p_connect": 0.5},
                     {"distribution": "uniform", "low": 0.5, "high": 1.0}, 1.0, "excitatory")
    net.connect_rule(exc, exc, {"type": "AllToAllConnector", "allow_self_connections": False},
                     -0.01, 1.0, "inhibitory", label="inh")
    net.inject("StepCurrentSource", {"times": [10.0, 20.0], "amplitudes": [0.5, 0.0]}, exc)
    net.record(exc, ["spikes"])
    a = net.build()
    b = net.build(threads=2)
    assert a.n_synapses == b.n_synapses > 50 * 49
    for s in (a, b):
        s.run_until(50.0)
    sa, sb = a.get_data()[0], b.get_data()[0]
    assert sa["spike_count"] > 0
    assert np.array_equal(sa["spikes"][1], sb["spikes"][1])
    with pytest.raises(_core.BuildError) as e:
        net.connect_rule(exc, exc, {"type": "FixedProbabilityConector", "p_connect": 0.1},
                         0.1, 1.0, "excitatory")
    assert e.value.suggestion == "FixedProbabilityConnector"
    with pytest.raises(_core.BuildError) as e:
        net.set(exc, "v_rest", {"distribution": "normall", "mu": 0.0, "sigma": 1.0})
    assert e.value.suggestion == "normal"


def test_current_sources_changed_between_runs():
    # one silent cell (v_rest = -65 mV); from t = 10 ms a DC source of 1 nA: v_inf = -45 mV, so
    # the first crossing of -50 mV is at 10 + 20 ln 4 = 37.7 ms; changed to 0.5 nA at t = 40 ms
    # (v_inf = -55 mV, below threshold), the cell fires no more
    net, p = one_cell(i_offset=0.0)
    sim = net.build()
    sim.run_until(10.0)
    net.inject("DCSource", {"amplitude": 1.0, "start": 0.0}, p)
    sim.update_current_sources(net)
    sim.run_until(40.0)
    net.replace_current_source(0, "DCSource", {"amplitude": 0.5, "start": 0.0})
    sim.update_current_sources(net)
    sim.run_until(100.0)
    cells, times = sim.get_data()[0]["spikes"]
    assert len(times) == 1
    assert abs(times[0] - (10.0 + 20.0 * math.log(4.0))) < 1e-12
    with pytest.raises(_core.BuildError, match="current sources"):
        net.replace_current_source(3, "DCSource", {"amplitude": 0.5})
