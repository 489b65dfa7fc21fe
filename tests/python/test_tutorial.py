"""PyNN's tutorial "Building and simulating a simple model" on exactlif (issue 13, done-when 1).

The tutorial with its import changed and `t_refrac` corrected to `tau_refrac`: 100 cells,
v_rest = v_reset = -65 mV, v_thresh = -55 mV, tau_m = 10 ms, cm = 1 nF, i_offset = 0.1 nA.
From v(0) = -65 mV the cells relax to v_inf = -64 mV: v(t) = -64 - exp(-t/10) mV, no spike.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import quantities as pq
from pyNN.errors import NonExistentParameterError
from pyNN.random import RandomDistribution

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PARAMETERS = dict(v_rest=-65, v_thresh=-55, v_reset=-65, tau_refrac=1, tau_m=10, cm=1,
                  i_offset=0.1)


def run_tutorial(sim):
    population1 = sim.Population(100, sim.IF_curr_exp(**PARAMETERS), label="Population 1")
    population1.record("v")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(100.0)
    return population1, caught


def test_the_unedited_line_raises_non_existent_parameter_error(sim):
    with pytest.raises(NonExistentParameterError) as info:
        sim.IF_curr_exp(v_rest=-65, v_thresh=-55, v_reset=-65, t_refrac=1, tau_m=10, cm=1,
                        i_offset=0.1)
    assert info.value.parameter_name == "t_refrac"
    assert "did you mean `tau_refrac`?" in str(info.value)


def test_v_is_the_closed_form_and_nothing_fires(sim):
    population1, caught = run_tutorial(sim)
    block = population1.get_data()
    assert len(block.segments) == 1
    v = block.segments[0].filter(name="v")[0]
    assert v.shape == (1001, 100)
    assert v.units == pq.mV
    assert v.sampling_period == 0.1 * pq.ms
    assert v.t_start == 0 * pq.ms
    t = v.times.rescale(pq.ms).magnitude
    expected = -64.0 - np.exp(-t / 10.0)
    assert np.max(np.abs(v.magnitude - expected[:, None])) < 1e-12
    # no spikes
    assert all(n == 0 for n in population1.get_spike_counts().values())
    # and exactlif says why, as a UserWarning (never an error)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any("can ever fire" in m for m in messages), messages


def test_spikes_recorded_but_none(sim):
    population1 = sim.Population(100, sim.IF_curr_exp(**PARAMETERS), label="Population 1")
    population1.record(["v", "spikes"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.run(100.0)
    trains = population1.get_data().segments[0].spiketrains
    assert len(trains) == 100
    assert all(len(st) == 0 for st in trains)
    assert all(st.t_stop == 100.0 * pq.ms for st in trains)


def test_figure_panel_save_writes_a_png(sim, tmp_path):
    pytest.importorskip("matplotlib")
    from pyNN.utility.plotting import Figure, Panel
    population1, _ = run_tutorial(sim)
    data_v = population1.get_data().segments[0].filter(name="v")[0]
    path = tmp_path / "simulation_results.png"
    Figure(Panel(data_v[:, ::10], xlabel="Time (ms)", xticks=True,
                 ylabel="Membrane potential (mV)", ylim=(-66, -48)),
           title="Current injection", annotations="Simulated with exactlif").save(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gaussian_step_gives_a_second_segment(sim):
    population1, _ = run_tutorial(sim)
    sim.reset()
    population1.set(v_rest=RandomDistribution("normal", mu=-65.0, sigma=1.0))
    population1.set(v_thresh=RandomDistribution("normal", mu=-55.0, sigma=1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.run(100.0)
    block = population1.get_data()
    assert len(block.segments) == 2
    v0 = block.segments[0].filter(name="v")[0]
    v1 = block.segments[1].filter(name="v")[0]
    assert v0.shape == v1.shape == (1001, 100)
    # the first segment is unchanged by the second run
    t = v0.times.rescale(pq.ms).magnitude
    assert np.max(np.abs(v0.magnitude - (-64.0 - np.exp(-t / 10.0))[:, None])) < 1e-12
    # the second: v(t) = v_rest_i + 1 - (v_rest_i + 1 + 65) exp(-t/10), per cell
    v_rest = population1.get("v_rest")
    assert np.std(v_rest) > 0.5 and abs(np.mean(v_rest) + 65.0) < 0.5
    v_inf = v_rest + 1.0
    expected = v_inf[None, :] - (v_inf[None, :] + 65.0) * np.exp(-t / 10.0)[:, None]
    assert np.max(np.abs(v1.magnitude - expected)) < 1e-11
    assert v1[0, 0] == -65.0 * pq.mV


def test_examples_tutorial_runs(tmp_path):
    pytest.importorskip("matplotlib")
    script = os.path.join(ROOT, "examples", "tutorial.py")
    result = subprocess.run([sys.executable, script, str(tmp_path)], capture_output=True,
                            text=True, env=dict(os.environ, MPLBACKEND="Agg"))
    assert result.returncode == 0, result.stderr
    assert "can ever fire" in result.stderr
    for name in ("simulation_results.png", "simulation_results_gaussian.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
