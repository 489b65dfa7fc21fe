"""``ACSource``: the membrane integrated exactly under a sinusoidal current.

The reference is independent of the core's closed form: the membrane ODE integrated by
scipy's DOP853 (rtol 1e-13) with event location, restarted at each refractory end.
"""

import pathlib
import subprocess

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import pyNN.exactlif as sim

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "exactlif"

TAU_M, CM, V_REST, V_THRESH, T_REF = 20.0, 1.0, -65.0, -50.0, 2.0
AC = dict(amplitude=0.8, offset=0.2, frequency=40.0, phase=30.0, start=20.0, stop=150.0)
I_OFFSET = [0.0, 0.3, 0.6, 0.45]


def ac_current(t):
    if AC["start"] <= t < AC["stop"]:
        return AC["offset"] + AC["amplitude"] * np.sin(
            2 * np.pi * AC["frequency"] * (t - AC["start"]) / 1000 + np.radians(AC["phase"]))
    return 0.0


def reference_spikes(i_offset, t_stop):
    """Spike times by DOP853 on dv/dt = (v_rest - v)/tau_m + (i_offset + I_ac(t))/cm."""
    t, v, spikes = 0.0, V_REST, []
    breaks = [AC["start"], AC["stop"], t_stop]
    while t < t_stop:
        end = min(b for b in breaks if b > t + 1e-12)

        def crossing(_, y):
            return y[0] - V_THRESH
        crossing.terminal, crossing.direction = True, 1
        sol = solve_ivp(lambda tt, y: [(V_REST - y[0]) / TAU_M + (i_offset + ac_current(tt)) / CM],
                        (t, end), [v], method="DOP853", rtol=1e-13, atol=1e-12,
                        events=crossing)
        if sol.t_events[0].size:
            ts = float(sol.t_events[0][0])
            spikes.append(ts)
            t, v = ts + T_REF, V_REST
        else:
            t, v = end, float(sol.y[0, -1])
    return spikes


def build(**setup):
    sim.setup(timestep=0.1, min_delay=0.1, **setup)
    cells = sim.Population(len(I_OFFSET), sim.IF_curr_exp(tau_refrac=T_REF, i_offset=I_OFFSET),
                           label="cells")
    source = sim.ACSource(**AC)
    cells.inject(source)
    source.record()
    cells.record(["v", "spikes"])
    return cells, source


def test_spike_times_match_an_independent_integration():
    cells, _ = build()
    sim.run(200.0)
    trains = cells.get_data().segments[0].spiketrains
    sim.end()
    n = 0
    for i, i_offset in enumerate(I_OFFSET):
        got = np.asarray(trains[i].magnitude)
        want = np.asarray(reference_spikes(i_offset, 200.0))
        assert got.shape == want.shape, (i, got, want)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
        n += got.size
    assert n >= 3  # the drive makes some cells fire, not all


def test_recorded_current_is_the_sine_with_its_phase_at_start():
    _, source = build()
    sim.run(200.0)
    i = source.get_data()
    sim.end()
    t = np.asarray(i.times.magnitude)
    values = np.asarray(i.magnitude).ravel()
    assert values.shape == (2001,)
    want = np.array([ac_current(x) for x in t])
    np.testing.assert_allclose(values, want, rtol=0, atol=1e-12)
    # the phase holds at start: 0.2 + 0.8 sin(30 deg) = 0.6 nA at t = 20 ms
    assert abs(values[200] - 0.6) < 1e-12
    assert values[199] == 0.0 and values[1500] == 0.0


def test_v_matches_the_independent_integration_below_threshold():
    """v of a cell that never fires, on the grid, against DOP853's dense output."""
    cells, _ = build()
    sim.run(200.0)
    v = cells.get_data().segments[0].filter(name="v")[0]
    sim.end()
    got = np.asarray(v.magnitude)[:, 0]
    assert reference_spikes(0.0, 200.0) == []
    sol = solve_ivp(lambda tt, y: [(V_REST - y[0]) / TAU_M + ac_current(tt) / CM],
                    (0.0, 200.0), [V_REST], method="DOP853", rtol=1e-13, atol=1e-12,
                    dense_output=True, max_step=0.05)
    want = sol.sol(np.arange(2001) * 0.1)[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8)


def brief_excursion(delta):
    """The first spike of a cell on a steady oscillation whose peaks pass threshold by
    `delta` mV (negative: stay below it), and the time of the first peak."""
    freq = 200.0
    omega = 2 * np.pi * freq / 1000
    lm = 1 / TAU_M
    amplitude = 0.5
    r = amplitude / CM / np.hypot(lm, omega)  # the response's amplitude (mV)
    v_inf = V_THRESH - r + delta
    i_offset = (v_inf - V_REST) * CM / TAU_M
    # start on the steady oscillation v_inf + P(t), P = c (lm sin wt - w cos wt), so
    # v0 = v_inf + P(0) = v_inf - c w; P = r sin(wt - psi), psi = atan2(w, lm)
    c = amplitude / CM / (lm ** 2 + omega ** 2)
    t_peak = (np.pi / 2 + np.arctan2(omega, lm)) / omega
    sim.setup(timestep=0.1, min_delay=0.1)
    cell = sim.Population(1, sim.IF_curr_exp(i_offset=i_offset, tau_refrac=T_REF))
    cell.initialize(v=v_inf - c * omega)
    cell.inject(sim.ACSource(amplitude=amplitude, offset=0.0, frequency=freq, phase=0.0))
    cell.record(["spikes", "v"])
    sim.run(10.0)
    block = cell.get_data()
    spikes = np.asarray(block.segments[0].spiketrains[0].magnitude)
    v = np.asarray(block.segments[0].filter(name="v")[0].magnitude)[:, 0]
    sim.end()
    return spikes, v, t_peak


def test_a_brief_excursion_is_found():
    """Peaks 1e-6 mV above threshold, for about 4 us each (2 sqrt(2 delta/(r w^2))), between
    the samples: the exact backend fires just before the first peak."""
    spikes, v, t_peak = brief_excursion(1e-6)
    assert np.all(v[: int(t_peak / 0.1)] < V_THRESH)  # no sample before it shows it
    assert spikes.size >= 1
    assert t_peak - 3e-3 < spikes[0] < t_peak, (spikes[0], t_peak)


def test_just_below_threshold_never_fires():
    spikes, v, _ = brief_excursion(-1e-6)
    assert spikes.size == 0
    assert np.all(v < V_THRESH)


def test_grid_backend_converges_to_the_exact_spikes():
    errors = []
    exact = None
    for backend, dt in (("exact", 0.1), ("grid", 0.1), ("grid", 0.01)):
        sim.setup(timestep=dt, min_delay=0.1, backend=backend)
        cell = sim.Population(1, sim.IF_curr_exp(i_offset=0.6, tau_refrac=T_REF))
        cell.inject(sim.ACSource(**AC))
        cell.record("spikes")
        sim.run(200.0)
        t = np.asarray(cell.get_data().segments[0].spiketrains[0].magnitude)
        sim.end()
        if exact is None:
            exact = t
        else:
            assert t.size == exact.size
            errors.append(np.max(np.abs(t - exact)))
    assert errors[1] < errors[0] / 3, errors


def test_source_change_between_runs_takes_effect_at_once():
    """A new amplitude set at t = 100 ms: the run equals one with the sine's amplitude
    switched at 100 ms, i.e. two sources (old until 100, new from 100 with the phase it
    has there)."""
    sim.setup(timestep=0.1, min_delay=0.1)
    cells = sim.Population(1, sim.IF_curr_exp(i_offset=0.6, tau_refrac=T_REF))
    source = sim.ACSource(amplitude=0.5, offset=0.0, frequency=40.0, phase=0.0, start=0.0)
    cells.inject(source)
    cells.record(["spikes", "v"])
    sim.run(100.0)
    source.amplitude = 1.0
    sim.run(100.0)
    block = cells.get_data()
    chopped = np.asarray(block.segments[0].spiketrains[0].magnitude)
    v_chopped = np.asarray(block.segments[0].filter(name="v")[0].magnitude)[:, 0]
    sim.end()

    sim.setup(timestep=0.1, min_delay=0.1)
    cells = sim.Population(1, sim.IF_curr_exp(i_offset=0.6, tau_refrac=T_REF))
    # 40 Hz: 4 whole periods in 100 ms, so the phase at 100 ms is 0 again
    cells.inject(sim.ACSource(amplitude=0.5, offset=0.0, frequency=40.0, phase=0.0, start=0.0,
                              stop=100.0))
    cells.inject(sim.ACSource(amplitude=1.0, offset=0.0, frequency=40.0, phase=0.0,
                              start=100.0))
    cells.record(["spikes", "v"])
    sim.run(200.0)
    block = cells.get_data()
    whole = np.asarray(block.segments[0].spiketrains[0].magnitude)
    v_whole = np.asarray(block.segments[0].filter(name="v")[0].magnitude)[:, 0]
    sim.end()
    assert chopped.size > 0 and chopped.size == whole.size
    np.testing.assert_allclose(chopped, whole, rtol=0, atol=1e-9)
    np.testing.assert_allclose(v_chopped, v_whole, rtol=0, atol=1e-9)
    # and no spike before 100 ms differs from the first run's
    assert np.all(chopped[chopped < 100.0] == whole[whole < 100.0])


def test_export_model_round_trip(tmp_path):
    cells, _ = build()
    sim.run(200.0)
    script = np.asarray(cells.get_data().segments[0].spiketrains[2].magnitude)
    path = sim.export_model(tmp_path / "ac.toml")
    sim.end()
    text = pathlib.Path(path).read_text()
    assert 'type = "ACSource"' in text and "frequency = 40.0" in text
    out = tmp_path / "out"
    subprocess.run([str(BINARY), "run", str(path), "--out", str(out)], check=True,
                   capture_output=True)
    rows = [line.split(",") for line in (out / "spikes.csv").read_text().splitlines()[1:]]
    cli = np.array([float(r[2]) for r in rows if r[1] == "2"])
    assert cli.size == script.size > 0
    assert np.all(cli == script)  # bit for bit


@pytest.mark.parametrize("bad, key", [
    (dict(frequency=-1.0), "frequency"),
    (dict(frequency=float("nan")), "frequency"),
    (dict(phase=float("inf")), "phase"),
    (dict(start=-1.0), "start"),
    (dict(stop=5.0, start=10.0), "stop"),
])
def test_bad_parameters_raise_invalid_parameter_value(bad, key):
    from pyNN.errors import InvalidParameterValueError
    sim.setup(timestep=0.1)
    with pytest.raises(InvalidParameterValueError, match=key):
        sim.ACSource(**bad)
    sim.end()
