"""Closed-form checks of pyNN.exactlif: a firing bias, a PSP, current sources, set() between runs."""

import math
import warnings

import numpy as np
import pytest
import quantities as pq

TAU_M, CM, V_REST = 10.0, 1.0, -65.0
CELL = dict(v_rest=V_REST, v_thresh=-55.0, v_reset=-65.0, tau_refrac=1.0, tau_m=TAU_M,
            cm=CM, i_offset=0.0)


def quiet_run(sim, t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.run(t)


def signal(population, name, segment=-1):
    return population.get_data().segments[segment].filter(name=name)[0]


def test_firing_bias_first_spike_at_10_ln_11(sim):
    # v_inf = -65 + 1.1 * 10 / 1 = -54 mV: v = -54 - 11 exp(-t/10) reaches -55 at 10 ln 11;
    # after 1 ms refractory at -65 mV the same again
    cells = sim.Population(3, sim.IF_curr_exp(**dict(CELL, i_offset=1.1)))
    cells.record("spikes")
    sim.run(100.0)
    trains = cells.get_data().segments[0].spiketrains
    period = 10.0 * np.log(11.0) + 1.0
    expected = 10.0 * np.log(11.0) + period * np.arange(4)
    for st in trains:
        times = st.rescale(pq.ms).magnitude
        assert times.size == 4
        assert np.max(np.abs(times - expected)) < 1e-12
    assert cells.get_spike_counts() == {int(i): 4 for i in cells.all_cells}


def test_spike_source_array_psp_peaks_at_the_closed_form_time(sim):
    t_spike, delay, w, tau_s = 10.0, 1.0, 0.5, 5.0
    # two cells: PyNN 0.13's OneToOneConnector fails on 1-cell populations with NumPy 2
    source = sim.Population(2, sim.SpikeSourceArray(spike_times=[t_spike]))
    cell = sim.Population(2, sim.IF_curr_exp(**dict(CELL, tau_syn_E=tau_s)))
    prj = sim.Projection(source, cell, sim.OneToOneConnector(),
                         sim.StaticSynapse(weight=w, delay=delay))
    assert prj.receptor_type == "excitatory"
    assert prj.get(["weight", "delay"], format="list") == [(0, 0, w, delay), (1, 1, w, delay)]
    cell.record(["v", "isyn_exc"])
    quiet_run(sim, 40.0)
    v = signal(cell, "v")
    isyn = signal(cell, "isyn_exc")
    assert isyn.units == pq.nA
    t = v.times.rescale(pq.ms).magnitude
    s = t - t_spike - delay
    k = w / CM * TAU_M * tau_s / (TAU_M - tau_s)
    u = np.where(s >= 0, k * (np.exp(-s / TAU_M) - np.exp(-s / tau_s)), 0.0)
    assert np.max(np.abs(v.magnitude[:, 0] - (V_REST + u))) < 1e-12
    i = np.where(s >= 0, w * np.exp(-s / tau_s), 0.0)
    assert np.max(np.abs(isyn.magnitude[:, 0] - i)) < 1e-12
    # the peak: at s* = ln(tau_m/tau_s) tau_m tau_s / (tau_m - tau_s) = 10 ln 2 ms
    s_peak = np.log(TAU_M / tau_s) * TAU_M * tau_s / (TAU_M - tau_s)
    t_peak = t_spike + delay + s_peak
    assert abs(t[np.argmax(v.magnitude[:, 0])] - t_peak) <= 0.05 + 1e-9
    assert np.max(v.magnitude) <= V_REST + 2.5 * w + 1e-12  # the peak value, 2.5 w mV


def test_inhibitory_projection(sim):
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_exp(**CELL))
    prj = sim.Projection(source, cell, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=-0.4, delay=0.5), receptor_type="inhibitory")
    assert len(prj) == 1
    cell.record(["v", "isyn_inh"])
    quiet_run(sim, 20.0)
    v = signal(cell, "v").magnitude[:, 0]
    assert v.min() < V_REST and v[:55].max() == V_REST


def test_dc_source(sim):
    cell = sim.Population(2, sim.IF_curr_exp(**CELL))
    dc = sim.DCSource(amplitude=0.5, start=20.0, stop=80.0)
    cell[1:2].inject(dc)
    dc.record()
    cell.record("v")
    quiet_run(sim, 100.0)
    v = signal(cell, "v")
    t = v.times.rescale(pq.ms).magnitude
    on = np.clip(t, 20.0, 80.0) - 20.0
    expected = V_REST + 5.0 * (1.0 - np.exp(-on / TAU_M)) * np.exp(-np.clip(t - 80.0, 0, None) / TAU_M)
    assert np.all(v.magnitude[:, 0] == V_REST)
    assert np.max(np.abs(v.magnitude[:, 1] - expected)) < 1e-12
    current = dc.get_data()
    assert current.units == pq.nA
    i = current.magnitude.ravel()
    assert i[199] == 0.0 and i[200] == 0.5 and i[799] == 0.5 and i[800] == 0.0


@pytest.mark.parametrize("mode,onset", [("grid", 10.0), ("exact", 10.04)])
def test_step_current_source_times(mode, onset):
    import pyNN.exactlif as sim
    sim.setup(timestep=0.1, step_current_times=mode)
    cell = sim.Population(1, sim.IF_curr_exp(**CELL))
    step = sim.StepCurrentSource(times=[10.04, 50.0], amplitudes=[0.3, 0.0])
    cell.inject(step)
    cell.record("v")
    quiet_run(sim, 80.0)
    v = signal(cell, "v")
    t = v.times.rescale(pq.ms).magnitude
    on = np.clip(t, onset, 50.0) - onset
    expected = V_REST + 3.0 * (1 - np.exp(-on / TAU_M)) * np.exp(-np.clip(t - 50.0, 0, None) / TAU_M)
    assert np.max(np.abs(v.magnitude[:, 0] - expected)) < 1e-12
    sim.end()


def test_set_between_runs_is_exact(sim):
    cells = sim.Population(2, sim.IF_curr_exp(**CELL))
    cells.record(["v", "spikes"])
    quiet_run(sim, 50.0)
    cells.set(i_offset=1.1)  # from t = 50: v = -54 - 11 exp(-(t - 50)/10)
    quiet_run(sim, 30.0)
    v = signal(cell := cells, "v")
    t = v.times.rescale(pq.ms).magnitude
    assert v.shape == (801, 2)
    first = 50.0 + 10.0 * np.log(11.0)
    before = t <= first
    expected = np.where(t <= 50.0, V_REST, -54.0 - 11.0 * np.exp(-(t - 50.0) / TAU_M))
    assert np.max(np.abs(v.magnitude[before, 0] - expected[before])) < 1e-12
    st = cell.get_data().segments[0].spiketrains[0].rescale(pq.ms).magnitude
    assert abs(st[0] - first) < 1e-12
    assert cells.get("i_offset") == pytest.approx(1.1)


def test_initialize_between_runs(sim):
    cells = sim.Population(1, sim.IF_curr_exp(**CELL))
    cells.record("v")
    quiet_run(sim, 10.0)
    cells.initialize(v=-70.0)  # now, and the value reset() returns to
    quiet_run(sim, 10.0)
    v = signal(cells, "v").magnitude[:, 0]
    t = np.arange(v.size) * 0.1
    expected = np.where(t < 10.0, V_REST, V_REST - 5.0 * np.exp(-(t - 10.0) / TAU_M))
    assert np.max(np.abs(v[101:] - expected[101:])) < 1e-12
    sim.reset()
    quiet_run(sim, 1.0)
    assert signal(cells, "v").magnitude[0, 0] == -70.0


def test_changes_the_core_cannot_take_mid_run_raise(sim):
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    cells = sim.Population(1, sim.IF_curr_exp(**CELL))
    prj = sim.Projection(source, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    quiet_run(sim, 5.0)
    with pytest.raises(NotImplementedError, match="reset"):
        prj.set(delay=0.2)
    with pytest.raises(NotImplementedError, match="reset"):
        sim.Population(1, sim.IF_curr_exp())
    # after reset() the same changes apply from t = 0
    sim.reset()
    source.set(spike_times=[2.0, 3.0])
    prj.set(weight=0.2)
    source.record("spikes")
    quiet_run(sim, 5.0)
    st = source.get_data().segments[-1].spiketrains[0]
    assert list(st.magnitude) == [2.0, 3.0]
    assert prj.get("weight", format="list", with_address=False) == [0.2]


def test_current_sources_changed_mid_run_act_at_once_exactly(sim):
    # one cell at rest (PyNN defaults: tau_m 20 ms, v_rest -65, v_thresh -50 mV, cm 1 nF); a
    # DCSource of 0.5 nA (v_inf = -55 mV: silent); at t = 30 ms its amplitude becomes 1.5 nA
    # (v_inf = -35 mV), and a second source injected at t = 30 adds 0.25 nA from t = 50 ms
    cells = sim.Population(1, sim.IF_curr_exp())
    cells.record(["spikes", "v"])
    dc = sim.DCSource(amplitude=0.5, start=0.0)
    dc.inject_into(cells)
    quiet_run(sim, 30.0)
    dc.amplitude = 1.5
    late = sim.DCSource(amplitude=0.25, start=50.0)
    late.inject_into(cells)
    quiet_run(sim, 70.0)
    v30 = -55.0 - 10.0 * math.exp(-30.0 / 20.0)
    first = 30.0 + 20.0 * math.log((-35.0 - v30) / (-35.0 - (-50.0)))
    spikes = cells.get_data().segments[-1].spiketrains[0].magnitude
    assert abs(spikes[0] - first) < 1e-12
    assert first < 50.0 < spikes[1]
    # the same changes made before the run, as a step current, give the same spikes
    sim.setup(timestep=0.1)
    cells = sim.Population(1, sim.IF_curr_exp())
    cells.record("spikes")
    sim.StepCurrentSource(times=[0.0, 30.0, 50.0],
                          amplitudes=[0.5, 1.5, 1.75]).inject_into(cells)
    quiet_run(sim, 100.0)
    again = cells.get_data().segments[-1].spiketrains[0].magnitude
    assert np.allclose(again, spikes, rtol=0, atol=1e-9)


def test_spike_times_changed_mid_run_equal_the_times_built_in(sim):
    def network(times):
        source = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
        cells = sim.Population(1, sim.IF_curr_exp(**CELL))
        sim.Projection(source, cells, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.5, delay=1.0))
        source.record("spikes")
        cells.record("v")
        return source, cells

    source, cells = network([1.0, 6.0])
    quiet_run(sim, 5.0)
    source.set(spike_times=[0.5, 7.25, 9.0])  # 0.5 is past; 6.0 is dropped
    quiet_run(sim, 15.0)
    spikes = source.get_data().segments[-1].spiketrains[0].magnitude
    assert list(spikes) == [1.0, 7.25, 9.0]
    v = cells.get_data().segments[-1].analogsignals[0].magnitude
    sim.setup(timestep=0.1)
    _, built = network([1.0, 7.25, 9.0])
    quiet_run(sim, 20.0)
    assert np.array_equal(built.get_data().segments[-1].analogsignals[0].magnitude, v)


def test_poisson_source_is_replayed_after_reset(sim):
    poisson = sim.Population(5, sim.SpikeSourcePoisson(rate=100.0))
    poisson.record("spikes")
    sim.run(100.0)
    sim.reset()
    sim.run(100.0)
    first, second = poisson.get_data().segments
    assert sum(len(st) for st in first.spiketrains) > 0
    for a, b in zip(first.spiketrains, second.spiketrains):
        assert np.array_equal(a.magnitude, b.magnitude)
