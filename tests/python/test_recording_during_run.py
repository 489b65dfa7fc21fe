"""Recording started or stopped during a run: samples from the next tick on, NaN before;
what was recorded stays; ``get_data(clear=True)`` and ``run_until`` around it."""

import numpy as np

import pyNN.exactlif as sim


def signal(population, name, **kw):
    seg = population.get_data(**kw).segments[-1]
    found = seg.filter(name=name)
    return found[0] if found else None


def test_record_v_from_the_middle_of_a_run():
    sim.setup(timestep=0.1, min_delay=0.1)
    cells = sim.Population(3, sim.IF_curr_exp(i_offset=[0.0, 0.5, 1.1]), label="cells")
    cells.record("spikes")
    sim.run(10.0)
    cells[1:].record("v")
    sim.run_until(25.0)
    v = signal(cells, "v")
    values = np.asarray(v.magnitude)
    assert values.shape == (251, 2)
    assert np.all(np.isnan(values[:101]))  # t <= 10 ms: sampled before recording began
    assert not np.any(np.isnan(values[101:]))
    # the values are those of a run that recorded v from the start
    sim.end()
    sim.setup(timestep=0.1, min_delay=0.1)
    cells = sim.Population(3, sim.IF_curr_exp(i_offset=[0.0, 0.5, 1.1]), label="cells")
    cells.record(["spikes", "v"])
    sim.run(25.0)
    whole = np.asarray(signal(cells, "v").magnitude)
    sim.end()
    assert np.array_equal(values[101:], whole[101:, 1:])


def test_spikes_recorded_from_now_and_stopped():
    sim.setup(timestep=0.1, min_delay=0.1)
    cells = sim.Population(1, sim.IF_curr_exp(i_offset=1.1, tau_refrac=2.0), label="cells")
    sim.run(50.0)  # fires at 23.98 (tau_m ln 11 + ...), not recorded
    cells.record("spikes")
    sim.run(100.0)
    trains = cells.get_data().segments[-1].spiketrains
    times = np.asarray(trains[0].magnitude)
    assert times.size > 0 and times.min() > 50.0
    # stopped: no spikes after now, and PyNN's record(None) forgets the variable
    cells.record(None)
    sim.run(50.0)
    block = cells.get_data()
    assert sum(st.size for st in block.segments[-1].spiketrains) == 0
    sim.end()


def test_get_data_right_after_record_has_nan_not_garbage():
    sim.setup(timestep=0.1, min_delay=0.1)
    cells = sim.Population(2, sim.IF_curr_exp(), label="cells")
    cells[0:1].record("v")
    sim.run(5.0)
    cells.record("v")  # now both; applied at the next run
    values = np.asarray(signal(cells, "v").magnitude)
    assert values.shape == (51, 2)
    assert not np.any(np.isnan(values[:, 0]))
    assert np.all(np.isnan(values[:, 1]))
    sim.run(5.0)
    values = np.asarray(signal(cells, "v").magnitude)
    assert values.shape == (101, 2)
    assert np.all(np.isnan(values[:51, 1])) and not np.any(np.isnan(values[51:, 1]))
    sim.end()


def test_clear_and_reset_after_a_change():
    sim.setup(timestep=0.1, min_delay=0.1)
    cells = sim.Population(1, sim.IF_curr_exp(i_offset=0.5), label="cells")
    sim.run(5.0)
    cells.record("v")
    sim.run(5.0)
    first = signal(cells, "v", clear=True)
    assert np.asarray(first.magnitude).shape[0] == 101
    sim.run(5.0)
    after = np.asarray(signal(cells, "v").magnitude)
    assert not np.any(np.isnan(after))  # after the clearing at 10 ms: recorded samples only
    sim.reset()
    sim.run(5.0)  # recorded from t = 0 in the new segment
    again = np.asarray(signal(cells, "v").magnitude)
    assert again.shape == (51, 1) and not np.any(np.isnan(again))
    sim.end()
