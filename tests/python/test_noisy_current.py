"""NoisyCurrentSource: a Gaussian amplitude drawn anew every dt, per target cell.

The expected values are worked out here independently of the backend: between two grid
points the injected current I is constant, so a passive IF_curr_exp cell (no synaptic
input, threshold out of reach) follows the closed form

    v(t + h) = v_inf + (v(t) - v_inf) * exp(-h / tau_m),   v_inf = v_rest + I * tau_m / cm,

which also gives back the current from two consecutive samples of v.
"""

import math
import warnings

import numpy as np
import pytest
from pyNN.errors import InvalidParameterValueError

H = 0.1          # time step (ms)
TAU_M = 20.0     # ms
CM = 1.0         # nF
V_REST = -65.0   # mV
PASSIVE = dict(cm=CM, tau_m=TAU_M, v_rest=V_REST, v_reset=V_REST, v_thresh=1e6, i_offset=0.0)


def passive_cells(sim, n):
    cells = sim.Population(n, sim.IF_curr_exp(**PASSIVE))
    cells.initialize(v=V_REST)
    cells.record("v")
    return cells


def run(sim, t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sim.run(t)


def v_of(cells, segment=-1):
    return cells.get_data().segments[segment].filter(name="v")[0].magnitude


def currents_from_v(v):
    """The current (nA) on each time step [t_j, t_j + h), from v at t_j and t_j + h."""
    a = math.exp(-H / TAU_M)
    return ((v[1:] - V_REST) - (v[:-1] - V_REST) * a) / ((1.0 - a) * TAU_M / CM)


def test_amplitudes_have_the_requested_mean_and_stdev(sim):
    # 40 cells x 1000 steps of 0.1 ms: 40000 independent N(0.3, 0.2) amplitudes; the sample
    # mean has a standard error of 0.2/sqrt(40000) = 0.001 nA, the sample stdev about
    # 0.2/sqrt(2*40000) = 0.0007 nA: both within 5 standard errors
    mean, stdev = 0.3, 0.2
    cells = passive_cells(sim, 40)
    sim.NoisyCurrentSource(mean=mean, stdev=stdev).inject_into(cells)
    run(sim, 100.0)
    i = currents_from_v(v_of(cells))
    assert i.shape == (1000, 40)
    assert abs(i.mean() - mean) < 5 * 0.001
    assert abs(i.std() - stdev) < 5 * 0.0007
    # standardised, the amplitudes look Gaussian: ~68.3 % within one stdev, ~95.4 % in two
    z = np.abs(i - mean) / stdev
    assert abs(np.mean(z < 1.0) - 0.6827) < 0.01
    assert abs(np.mean(z < 2.0) - 0.9545) < 0.006


def test_v_is_the_closed_form_of_the_recorded_piecewise_constant_current(sim):
    # steps every dt = 0.5 ms from 2 ms, no current from 40 ms on; the recorded current is 0
    # before start and after stop and changes only at start + k*dt; v follows it exactly
    cells = passive_cells(sim, 1)
    noise = sim.NoisyCurrentSource(mean=0.4, stdev=0.3, start=2.0, stop=40.0, dt=0.5)
    noise.inject_into(cells)
    noise.record()
    run(sim, 60.0)
    signal = noise.get_data()
    i = signal.magnitude.ravel()
    t = signal.times.magnitude
    assert i.shape == (601,) and abs(signal.sampling_period.magnitude - H) < 1e-12
    assert np.all(i[t < 2.0 - 1e-9] == 0.0) and np.all(i[t > 40.0 - 1e-9] == 0.0)
    on = i[(t > 2.0 - 1e-9) & (t < 40.0 - 1e-9)]
    assert on.size == 380
    blocks = on.reshape(76, 5)  # constant over each 0.5 ms
    assert np.all(blocks == blocks[:, :1])
    assert np.all(np.diff(blocks[:, 0]) != 0.0)
    v = v_of(cells)[:, 0]
    expected = np.empty_like(v)
    expected[0] = V_REST
    a = math.exp(-H / TAU_M)
    for j in range(600):
        v_inf = V_REST + i[j] * TAU_M / CM
        expected[j + 1] = v_inf + (expected[j] - v_inf) * a
    assert np.max(np.abs(v - expected)) < 1e-10


def firing_network(sim):
    cells = sim.Population(3, sim.IF_curr_exp(tau_refrac=2.0))
    cells.record(["spikes", "v"])
    noise = sim.NoisyCurrentSource(mean=1.5, stdev=0.6, start=5.0, dt=0.3)
    noise.inject_into(cells)
    return cells


def spikes_and_v(cells, segment=-1):
    seg = cells.get_data().segments[segment]
    return ([st.magnitude.copy() for st in seg.spiketrains],
            seg.filter(name="v")[0].magnitude.copy())


def test_the_draws_do_not_depend_on_how_the_run_is_chopped(sim):
    cells = firing_network(sim)
    sim.run(100.0)
    spikes, v = spikes_and_v(cells)
    assert all(len(st) > 2 for st in spikes)
    for chops in ([50.0, 50.0], [0.05, 33.3, 16.65, 50.0], [99.95, 0.05]):
        sim.setup(timestep=H)
        cells = firing_network(sim)
        for t in chops:
            sim.run(t)
        assert abs(sim.get_current_time() - 100.0) < 1e-9
        again, v_again = spikes_and_v(cells)
        assert all(np.array_equal(a, b) for a, b in zip(again, spikes)), chops
        assert np.array_equal(v_again, v), chops


def test_reset_replays_the_same_noise(sim):
    cells = firing_network(sim)
    sim.run(40.0)
    sim.run(20.0)
    first, v_first = spikes_and_v(cells)
    sim.reset()
    sim.run(60.0)  # the description drawn before covers it: the same network replayed
    second, v_second = spikes_and_v(cells)
    sim.reset()
    sim.run(80.0)  # longer: the same steps, then more
    third, v_third = spikes_and_v(cells)
    assert len(cells.get_data().segments) == 3
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert np.array_equal(v_first, v_second)
    assert np.array_equal(v_third[:601], v_first)
    assert all(np.array_equal(c[c <= 60.0], a) for a, c in zip(first, third))


def test_each_cell_and_each_source_gets_independent_noise(sim):
    cells = passive_cells(sim, 4)
    sim.NoisyCurrentSource(mean=0.0, stdev=0.5).inject_into(cells[0:3])
    sim.NoisyCurrentSource(mean=0.0, stdev=0.5).inject_into(cells[3:4])
    run(sim, 200.0)
    i = currents_from_v(v_of(cells))
    r = np.corrcoef(i.T)
    # 2000 steps: independent series correlate by about 1/sqrt(2000) = 0.022
    off = r[~np.eye(4, dtype=bool)]
    assert np.all(np.abs(off) < 5 / math.sqrt(2000))


def noise_of(sim, seed=None, **kwargs):
    sim.setup(timestep=H, **({} if seed is None else {"seed": seed}))
    cells = passive_cells(sim, 2)
    sim.NoisyCurrentSource(mean=0.0, stdev=1.0, **kwargs).inject_into(cells)
    run(sim, 10.0)
    return currents_from_v(v_of(cells))


def test_seeds(sim):
    from pyNN.random import NativeRNG, NumpyRNG
    # a seeded NumpyRNG: reproducible, whatever the setup seed; another seed, other noise
    a = noise_of(sim, rng=NumpyRNG(seed=42))
    assert np.array_equal(a, noise_of(sim, seed=7, rng=NumpyRNG(seed=42)))
    assert not np.allclose(a, noise_of(sim, rng=NumpyRNG(seed=43)))
    # no rng or a NativeRNG: the setup seed
    b = noise_of(sim, seed=3)
    assert np.array_equal(b, noise_of(sim, seed=3, rng=NativeRNG()))
    assert not np.allclose(b, noise_of(sim, seed=4))


def test_dt_defaults_to_the_time_step_and_must_be_a_multiple_of_it(sim):
    noise = sim.NoisyCurrentSource(mean=0.1, stdev=0.1)
    assert noise.get_parameters()["dt"] == H
    for dt in (0.15, 0.05, 0.0, -0.1):
        with pytest.raises(InvalidParameterValueError, match="multiple of the time step"):
            sim.NoisyCurrentSource(mean=0.1, dt=dt)
    ok = sim.NoisyCurrentSource(mean=0.1, dt=0.3)
    with pytest.raises(InvalidParameterValueError):
        ok.dt = 0.25
    assert ok.get_parameters()["dt"] == 0.3  # a refused value changes nothing
    with pytest.raises(InvalidParameterValueError, match="stdev"):
        sim.NoisyCurrentSource(stdev=-1.0)
    sim.setup(timestep=0.25)
    assert sim.NoisyCurrentSource().get_parameters()["dt"] == 0.25


def test_only_the_steps_simulated_are_drawn(sim):
    # stop defaults to 1e12 ms: the steps are drawn up to the end of each run
    cells = passive_cells(sim, 1)
    noise = sim.NoisyCurrentSource(mean=0.5, stdev=0.1)
    noise.inject_into(cells)
    assert noise.get_parameters()["stop"] == 1e12
    run(sim, 10.0)
    assert noise._n_steps <= 102
    run(sim, 10.0)
    assert noise._n_steps <= 202
    i = currents_from_v(v_of(cells))[:, 0]
    assert i.shape == (200,) and np.all(np.abs(i - 0.5) < 1.0)


def test_noise_injected_during_a_run_starts_at_once(sim):
    # a source made and injected at t = 20 ms, with start = 0: its current is the one drawn
    # for the step that covers t = 20 on, and the noise before it was never injected
    cells = passive_cells(sim, 1)
    run(sim, 20.0)
    noise = sim.NoisyCurrentSource(mean=0.5, stdev=0.2, dt=1.0)
    noise.inject_into(cells)
    noise.record()
    run(sim, 10.0)
    i = currents_from_v(v_of(cells))[:, 0]
    recorded = noise.get_data().magnitude.ravel()
    assert np.all(np.abs(i[:200]) < 1e-9)
    assert np.max(np.abs(i[200:] - recorded[200:300])) < 1e-9
    assert len(set(np.round(i[200:], 12))) == 10


@pytest.mark.parametrize("n, start", [(1, 0.0), (3, 0.0), (3, 50.0)])
def test_no_never_fire_warning_under_noise(sim, n, start):
    # the steps drawn so far may stay below threshold (or not have started), but Gaussian
    # noise is unbounded; without noise (stdev 0) the diagnostic stands
    cells = sim.Population(n, sim.IF_curr_exp(v_thresh=-50.0))
    sim.NoisyCurrentSource(mean=0.0, stdev=0.01, start=start).inject_into(cells)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        sim.run(10.0)
    sim.setup(timestep=H)
    cells = sim.Population(n, sim.IF_curr_exp(v_thresh=-50.0))
    sim.NoisyCurrentSource(mean=0.0, stdev=0.0, start=start).inject_into(cells)
    with pytest.warns(UserWarning, match="ever fire"):
        sim.run(10.0)
