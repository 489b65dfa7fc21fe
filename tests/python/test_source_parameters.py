"""Array-valued current-source parameters (StepCurrentSource times and amplitudes) and data after end().

A StepCurrentSource's ``times`` and ``amplitudes`` are arrays of their own length: they
read back as such (PyNN's lazy arrays: ``step.times[0]``, ``step.times.evaluate()``), as
the values the core applies (times on the grid by default), and the injected current
follows them exactly.
"""

import warnings

import numpy as np
import pytest
import quantities as pq
from pyNN import errors

TAU_M, CM, V_REST = 10.0, 1.0, -65.0
CELL = dict(v_rest=V_REST, v_thresh=-40.0, v_reset=-65.0, tau_refrac=1.0, tau_m=TAU_M,
            cm=CM, i_offset=0.0)


def test_step_source_with_three_times_reads_back_its_arrays(sim):
    step = sim.StepCurrentSource(times=[10.0, 30.0, 60.0], amplitudes=[0.4, -0.2, 0.0])
    assert step.times.evaluate().shape == (3,) and step.amplitudes.evaluate().shape == (3,)
    assert [step.times[i] for i in range(3)] == pytest.approx([10.0, 30.0, 60.0], abs=1e-12)
    assert [step.amplitudes[i] for i in range(3)] == [0.4, -0.2, 0.0]
    params = step.get_parameters()
    assert set(params.keys()) == {"times", "amplitudes"}
    dc = sim.DCSource(amplitude=0.25, start=5.0, stop=15.0)
    assert (dc.amplitude, dc.start, dc.stop) == (0.25, 5.0, 15.0)


def test_step_source_times_are_put_on_the_grid_and_later_amplitudes_win(sim):
    # 0.41 and 0.42 both go to 0.4 ms: the later amplitude (-0.5) holds from there
    step = sim.StepCurrentSource(times=[0.41, 0.42, 0.86], amplitudes=[0.5, -0.5, 0.5])
    assert step.times.evaluate().shape == (2,) and step.amplitudes.evaluate().shape == (2,)
    assert step.times[0] == pytest.approx(0.4, abs=1e-12)
    assert step.times[1] == pytest.approx(0.9, abs=1e-12)
    assert (step.amplitudes[0], step.amplitudes[1]) == (-0.5, 0.5)


def test_step_source_times_are_kept_with_exact_times():
    import pyNN.exactlif as sim
    sim.setup(timestep=0.1, step_current_times="exact")
    step = sim.StepCurrentSource(times=[0.41, 0.42, 0.86], amplitudes=[0.5, -0.5, 0.5])
    assert [step.times[i] for i in range(3)] == [0.41, 0.42, 0.86]
    sim.end()


@pytest.mark.parametrize("times", [[0.4, -0.6, 0.8], [0.4, 0.2, 0.8], [0.5, 0.4999, 0.8]])
def test_bad_times_are_refused_as_given_even_if_the_grid_would_hide_them(times):
    # [0.5, 0.4999] decreases, although both map to 0.5 ms on a 0.01 ms grid
    import pyNN.exactlif as sim
    sim.setup(timestep=0.01)
    with pytest.raises(errors.InvalidParameterValueError, match="times") as info:
        sim.StepCurrentSource(times=times, amplitudes=[0.5, -0.5, 0.5])
    assert isinstance(info.value, ValueError)  # what PyNN's test_issue512 expects
    assert sim.simulator.state.current_sources == []  # nothing half-made is left behind
    sim.end()


def test_set_parameters_with_lists_before_the_run(sim):
    step = sim.StepCurrentSource(times=[10.0], amplitudes=[0.1])
    step.set_parameters(times=[5.0, 15.0, 25.0], amplitudes=[0.1, 0.2, 0.3])
    assert [step.times[i] for i in range(3)] == pytest.approx([5.0, 15.0, 25.0], abs=1e-12)
    step.amplitudes = [0.3, 0.2, 0.1]
    assert [step.amplitudes[i] for i in range(3)] == [0.3, 0.2, 0.1]


def test_three_step_current_gives_the_closed_form_membrane_potential(sim):
    times, amplitudes = [10.0, 30.0, 60.0], [0.4, -0.2, 0.0]
    cell = sim.Population(1, sim.IF_curr_exp(**CELL))  # v stays below threshold: a warning
    step = sim.StepCurrentSource(times=times, amplitudes=amplitudes)
    cell.inject(step)
    step.record()
    cell.record("v")
    with pytest.warns(UserWarning, match="fire"):
        sim.run(100.0)
    v = cell.get_data().segments[0].filter(name="v")[0]
    t = v.times.rescale(pq.ms).magnitude
    # v relaxes towards V_REST + I tau_m / cm on each piece, continuous at the steps
    expected = np.full_like(t, V_REST)
    v0, edges = V_REST, times + [np.inf]
    for k, (start, amp) in enumerate(zip(times, amplitudes)):
        v_inf = V_REST + amp * TAU_M / CM
        piece = (t >= start) & (t < edges[k + 1])
        expected[piece] = v_inf + (v0 - v_inf) * np.exp(-(t[piece] - start) / TAU_M)
        end = min(edges[k + 1], 1e9)
        v0 = v_inf + (v0 - v_inf) * np.exp(-(end - start) / TAU_M)
    assert np.max(np.abs(v.magnitude[:, 0] - expected)) < 1e-12
    current = step.get_data().magnitude.ravel()
    assert current[99] == 0.0 and current[100] == 0.4
    assert current[299] == 0.4 and current[300] == -0.2 and current[600] == 0.0


def test_recorded_data_survive_end(sim):
    cells = sim.Population(1, sim.IF_curr_exp(**CELL))
    cells[0].inject(sim.DCSource(amplitude=0.5, start=20.0, stop=80.0))
    cells.record(["v", "spikes"])
    with pytest.warns(UserWarning, match="fire"):
        sim.run(50.0)
    before = cells.get_data().segments[0].filter(name="v")[0].magnitude.copy()
    sim.end()
    after = cells.get_data().segments[0].filter(name="v")[0]
    assert after.shape == (501, 1)
    assert np.array_equal(after.magnitude, before)
    assert after.magnitude[-1, 0] == pytest.approx(V_REST + 5.0 * (1 - np.exp(-3.0)), abs=1e-12)
    with pytest.raises(RuntimeError, match="end()"):
        sim.run(10.0)
    sim.setup(timestep=0.1)  # a new simulation starts as usual
    fresh = sim.Population(1, sim.IF_curr_exp(**CELL))
    fresh.record("v")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.run(1.0)
    assert fresh.get_data().segments[0].filter(name="v")[0].shape == (11, 1)
