"""IF_curr_alpha and IF_curr_delta on pyNN.exactlif (SPEC §8): PyNN's standard types (names,
defaults, units, recordables), parameters read back, closed-form dynamics, the refusals that
say why, and the model file of ``sim.export_model``.

The expected dynamics are computed here from the definitions (SPEC §8), independently of the
engine: an alpha input of weight w (nA) at t0 is the current w (t - t0)/tau_syn
exp(1 - (t - t0)/tau_syn), which peaks at w at t0 + tau_syn; a delta input of weight w is a jump
of v by exactly w mV.
"""

import math
import pathlib
import subprocess
import tomllib
import warnings

import numpy as np
import pytest
import quantities as pq
from pyNN import errors
from pyNN.standardmodels import cells as pynn_cells

NEW_TYPES = ("IF_curr_alpha", "IF_curr_delta")
ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "release" / "exactlif"


def quiet_run(sim, t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "can never fire" diagnostics
        sim.run(t)


def signal(population, name, segment=-1):
    return population.get_data().segments[segment].filter(name=name)[0]


def times_ms(sig):
    return sig.times.rescale(pq.ms).magnitude


# --- the standard types ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NEW_TYPES)
def test_standard_type_is_pynns(sim, name):
    ours, pynn = getattr(sim, name), getattr(pynn_cells, name)
    assert issubclass(ours, pynn)
    assert name in sim.list_standard_models()
    assert ours.default_parameters == pynn.default_parameters
    assert ours.default_initial_values == pynn.default_initial_values
    assert ours.units == pynn.units
    assert ours.receptor_types == ("excitatory", "inhibitory")
    assert ours.conductance_based is False
    # a new cell reads back PyNN's defaults, every one
    cells = sim.Population(2, ours())
    for parameter, default in pynn.default_parameters.items():
        assert cells.get(parameter) == default, parameter
    for variable, default in pynn.default_initial_values.items():
        assert cells.initial_values[variable].evaluate(simplify=True) == default


def test_recordables(sim):
    assert set(sim.IF_curr_alpha.recordable) == {"spikes", "v", "isyn_exc", "isyn_inh"}
    assert set(sim.IF_curr_delta.recordable) == {"spikes", "v"}
    assert sim.IF_curr_delta.voltage_based_synapses is True
    assert "tau_syn_E" not in sim.IF_curr_delta.default_parameters
    assert set(sim.IF_curr_delta.default_initial_values) == {"v"}


@pytest.mark.parametrize("name", NEW_TYPES)
def test_parameters_round_trip_through_get(sim, name):
    celltype = getattr(sim, name)
    given = {"cm": 0.75, "tau_m": 12.5, "tau_refrac": 2.0, "v_rest": -61.0, "v_reset": -70.0,
             "v_thresh": -48.5, "i_offset": 0.125}
    if name == "IF_curr_alpha":
        given.update(tau_syn_E=1.5, tau_syn_I=3.25)
    cells = sim.Population(4, celltype(**given))
    assert cells.get(list(given)) == list(given.values())
    # per cell, and on a view
    cells.set(tau_m=[10.0, 11.0, 12.0, 13.0])
    cells[1:3].set(v_thresh=-45.0)
    assert list(cells.get("tau_m")) == [10.0, 11.0, 12.0, 13.0]
    assert list(cells.get("v_thresh")) == [-48.5, -45.0, -45.0, -48.5]
    cells.initialize(v=[-60.0, -61.0, -62.0, -63.0])
    assert list(cells.initial_values["v"]) == [-60.0, -61.0, -62.0, -63.0]
    # the core takes them (it builds and runs)
    cells.record("v")
    quiet_run(sim, 1.0)
    assert list(signal(cells, "v").magnitude[0]) == [-60.0, -61.0, -62.0, -63.0]


@pytest.mark.parametrize("name", NEW_TYPES)
def test_set_and_initialize_between_runs(sim, name):
    cells = sim.Population(2, getattr(sim, name)(tau_m=10.0))
    cells.record("v")
    quiet_run(sim, 5.0)
    # while running: applied exactly at the current time (t = 5)
    cells.set(tau_m=12.0, i_offset=0.5)
    cells.initialize(v=-60.0)
    assert cells.get("tau_m") == 12.0
    quiet_run(sim, 5.0)
    v = signal(cells, "v")
    t = times_ms(v)
    # no input: v relaxes to v_inf = -65 + 0.5 * 12 / 1 = -59 from -60 from t = 5 on (the
    # sample at 5 was taken by the first run)
    later = t > 5.0
    expected = -59.0 - 1.0 * np.exp(-(t[later] - 5.0) / 12.0)
    assert np.max(np.abs(v.magnitude[later, 0] - expected)) < 1e-12
    assert np.all(v.magnitude[t <= 5.0, 0] == -65.0)
    # at t = 0 after reset(): the values set are the initial ones
    sim.reset()
    quiet_run(sim, 5.0)
    v = signal(cells, "v")
    t = times_ms(v)
    expected = -59.0 - 1.0 * np.exp(-t / 12.0)
    assert np.max(np.abs(v.magnitude[:, 0] - expected)) < 1e-12


# --- dynamics ---------------------------------------------------------------------------------


def alpha_kernel(s, tau_syn, tau_m):
    """int_0^s exp(-(s - u)/tau_m) u exp(-u/tau_syn) du for s >= 0 (0 before)."""
    s = np.asarray(s, dtype=float)
    a = 1.0 / tau_syn - 1.0 / tau_m
    sp = np.maximum(s, 0.0)
    if a == 0.0:
        k = sp ** 2 / 2.0 * np.exp(-sp / tau_m)
    else:
        k = np.exp(-sp / tau_m) * (1.0 - np.exp(-a * sp) * (1.0 + a * sp)) / a ** 2
    return np.where(s >= 0.0, k, 0.0)


def test_alpha_psp_current_peaks_at_w_at_t0_plus_tau_syn(sim):
    """Excitatory tau_syn_E = 2 ms != tau_m, inhibitory tau_syn_I == tau_m (the t^2 exp term)."""
    tau_m, cm, v_rest = 10.0, 0.5, -65.0
    tau_e, tau_i = 2.0, tau_m
    w_e, w_i = 0.6, -0.8
    source = sim.Population(2, sim.SpikeSourceArray(spike_times=[[10.0], [40.0]]))
    cell = sim.Population(1, sim.IF_curr_alpha(
        tau_m=tau_m, cm=cm, v_rest=v_rest, v_reset=-70.0, v_thresh=-40.0, tau_refrac=1.0,
        tau_syn_E=tau_e, tau_syn_I=tau_i))
    sim.Projection(source[0:1], cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_e, delay=1.0), receptor_type="excitatory")
    sim.Projection(source[1:2], cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_i, delay=1.0), receptor_type="inhibitory")
    cell.record(["v", "isyn_exc", "isyn_inh", "spikes"])
    quiet_run(sim, 100.0)
    t = times_ms(signal(cell, "v"))
    v = signal(cell, "v").magnitude[:, 0]
    ie = signal(cell, "isyn_exc").magnitude[:, 0]
    ii = signal(cell, "isyn_inh").magnitude[:, 0]
    assert signal(cell, "isyn_exc").units == pq.nA
    t0_e, t0_i = 11.0, 41.0
    s_e, s_i = t - t0_e, t - t0_i

    def current(w, s, tau):
        return np.where(s >= 0, w * s / tau * np.exp(1.0 - np.maximum(s, 0) / tau), 0.0)

    assert np.max(np.abs(ie - current(w_e, s_e, tau_e))) < 1e-12
    assert np.max(np.abs(ii - current(w_i, s_i, tau_i))) < 1e-12
    # the peaks: w, at t0 + tau_syn (both on the sampling grid)
    k_e, k_i = int(round((t0_e + tau_e) / 0.1)), int(round((t0_i + tau_i) / 0.1))
    assert abs(ie[k_e] - w_e) < 1e-14 and np.argmax(ie) == k_e
    assert abs(ii[k_i] - w_i) < 1e-14 and np.argmin(ii) == k_i
    # v from the closed form: (w e / tau_syn / cm) * int_0^s e^{-(s-u)/tau_m} u e^{-u/tau_syn} du
    expected = (v_rest
                + w_e * math.e / tau_e / cm * alpha_kernel(s_e, tau_e, tau_m)
                + w_i * math.e / tau_i / cm * alpha_kernel(s_i, tau_i, tau_m))
    assert np.max(np.abs(v - expected)) < 1e-11
    assert len(cell.get_data().segments[0].spiketrains[0]) == 0


def test_delta_input_jumps_v_by_exactly_w_mv(sim):
    """Weights in mV, independent of cm; inputs at one time summed; v relaxes between them."""
    tau_m, v_rest = 20.0, -65.0
    source = sim.Population(3, sim.SpikeSourceArray(spike_times=[[20.0], [30.0], [30.0]]))
    cell = sim.Population(1, sim.IF_curr_delta(tau_m=tau_m, cm=2.5, v_rest=v_rest,
                                               v_reset=v_rest, v_thresh=-50.0))
    sim.Projection(source[0:2], cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=4.0, delay=1.0), receptor_type="excitatory")
    sim.Projection(source[2:3], cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=-1.5, delay=1.0), receptor_type="inhibitory")
    cell.record(["v", "spikes"])
    quiet_run(sim, 60.0)
    v_sig = signal(cell, "v")
    assert v_sig.units == pq.mV
    t, v = times_ms(v_sig), v_sig.magnitude[:, 0]
    k21, k31 = 210, 310
    assert t[k21] == pytest.approx(21.0) and t[k31] == pytest.approx(31.0)
    assert np.all(v[:k21] == v_rest)
    # right-continuous samples: the value at the arrival is after the jump, exactly w
    assert v[k21] - v[k21 - 1] == 4.0
    assert v[k21] == v_rest + 4.0
    expected = np.where(t >= 21.0, 4.0 * np.exp(-(t - 21.0) / tau_m), 0.0)
    expected += np.where(t >= 31.0, 2.5 * np.exp(-(t - 31.0) / tau_m), 0.0)
    assert np.max(np.abs(v - (v_rest + expected))) < 1e-12
    assert len(cell.get_data().segments[0].spiketrains[0]) == 0


def test_delta_jump_to_threshold_fires_at_the_arrival_time(sim):
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0]))
    cell = sim.Population(1, sim.IF_curr_delta(v_thresh=-50.0, v_reset=-70.0, tau_refrac=2.0))
    sim.Projection(source, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=15.0, delay=1.5))
    cell.record(["spikes", "v"])
    quiet_run(sim, 30.0)
    train = cell.get_data().segments[0].spiketrains[0]
    assert list(train.rescale(pq.ms).magnitude) == [21.5]
    v = signal(cell, "v").magnitude[:, 0]
    assert v[215] == -70.0


def test_pynn_if_curr_delta_voltage_step(sim):
    """PyNN's own ``test_IF_curr_delta_voltage_step`` (test/system/scenarios/test_cell_types.py
    since PyNN commit f0fc047, after 0.13.0, so not among the scenarios of the 0.13.0 sdist
    that tests/pynn_scenarios/run.py runs), restated: one input of 5 mV steps v by 5 mV,
    to within 1e-12."""
    v_rest, weight = -65.0, 5.0
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0]))
    cell = sim.Population(1, sim.IF_curr_delta(v_rest=v_rest, v_reset=v_rest, v_thresh=-40.0,
                                               tau_m=20.0, cm=1.0, tau_refrac=0.1),
                          initial_values={"v": v_rest})
    sim.Projection(source, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=weight, delay=1.0), receptor_type="excitatory")
    cell.record("v")
    sim.run(60.0)
    v = cell.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    assert abs(v.max() - v_rest - weight) < 1e-12


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Passing celltype class:DeprecationWarning")
@pytest.mark.parametrize("name", ["tau_syn_E", "tau_syn_I"])
def test_tau_syn_on_delta_is_refused_saying_why(sim, name):
    with pytest.raises(errors.NonExistentParameterError, match="no synaptic current") as info:
        sim.IF_curr_delta(**{name: 2.0})
    assert name in str(info.value) and "IF_curr_delta" in str(info.value)
    cells = sim.Population(2, sim.IF_curr_delta())
    with pytest.raises(errors.NonExistentParameterError, match="no synaptic current"):
        cells.set(**{name: 2.0})
    with pytest.raises(errors.NonExistentParameterError, match="no synaptic current"):
        sim.Population(2, sim.IF_curr_delta, cellparams={name: 1.0})


@pytest.mark.parametrize("variable", ["isyn_exc", "isyn_inh"])
def test_recording_isyn_of_delta_is_refused_saying_why(sim, variable):
    cells = sim.Population(2, sim.IF_curr_delta())
    with pytest.raises(errors.RecordingError, match="no synaptic current") as info:
        cells.record(["v", variable])
    assert "spikes, v" in str(info.value)
    with pytest.raises(errors.RecordingError, match="no synaptic current"):
        cells[0:1].record(variable)
    with pytest.raises(errors.NonExistentParameterError, match="no synaptic current"):
        cells.initialize(**{variable: 0.1})
    cells.record(["v", "spikes"])  # these are fine
    quiet_run(sim, 1.0)


@pytest.mark.parametrize("name", NEW_TYPES)
def test_ac_source_is_integrated_exactly(sim, name):
    """An ACSource into IF_curr_alpha / IF_curr_delta (a cell without synaptic input, below
    threshold): v on the grid is the ODE's solution from rest, computed here from its
    definition, v = v_rest + P(t) - P(start) e^{-(t - start)/tau_m} from start on, with the
    particular solution P(t) = A/cm (lm sin(theta) - w cos(theta))/(lm^2 + w^2) of
    P' = -lm P + A sin(theta)/cm (theta = w (t - start) + phase)."""
    amplitude, frequency, phase, start = 0.5, 10.0, 30.0, 5.0
    tau_m, cm = 15.0, 0.8
    cells = sim.Population(2, getattr(sim, name)(tau_m=tau_m, cm=cm), label="target")
    sim.ACSource(amplitude=amplitude, offset=0.0, frequency=frequency, phase=phase,
                 start=start).inject_into(cells)
    # the other sources are accepted as before
    sim.DCSource(amplitude=0.5, start=1.0, stop=2.0).inject_into(cells[1:2])
    sim.StepCurrentSource(times=[1.0], amplitudes=[0.2]).inject_into(cells[1:2])
    cells.record("v")
    quiet_run(sim, 100.0)
    v = signal(cells, "v")
    t = times_ms(v)
    got = np.asarray(v.magnitude)[:, 0]
    lm, w = 1.0 / tau_m, 2 * np.pi * frequency / 1000
    theta = w * (t - start) + np.radians(phase)
    c = amplitude / cm / (lm ** 2 + w ** 2)
    p = c * (lm * np.sin(theta) - w * np.cos(theta))
    p0 = c * (lm * np.sin(np.radians(phase)) - w * np.cos(np.radians(phase)))
    want = np.where(t < start, -65.0, -65.0 + p - p0 * np.exp(-(t - start) * lm))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert np.ptp(got) > 1.0  # the sine moves v


def test_core_messages_name_the_cell_type():
    from exactlif import _core
    net = _core.Network(0.1)
    src = net.create("src", 1, "SpikeSourceArray")
    dst = net.create("d", 2, "IF_curr_delta")
    with pytest.raises(_core.BuildError, match='IF_curr_delta has "excitatory"') as info:
        net.connect(src, dst, [0], [0], [1.0], [1.0], "excitatroy")
    assert info.value.suggestion == "excitatory"
    net.record(dst, ["v"])
    sim = net.build()
    with pytest.raises(_core.BuildError,
                       match=r"`isyn_exc` is not a state variable of IF_curr_delta \(it has v\)"):
        sim.initialize("d", "isyn_exc", [0.0])


def test_core_set_of_some_cells_keeps_the_cell_types_defaults():
    """`Network.set(..., cells=...)` of an IF_curr_alpha population leaves the other cells at
    IF_curr_alpha's default tau_syn_E (0.5 ms, not IF_curr_exp's 5 ms)."""
    from exactlif import _core
    net = _core.Network(0.1)
    src = net.create("src", 1, "SpikeSourceArray")
    net.set_spike_times(src, [np.array([1.0])])
    a = net.create("a", 2, "IF_curr_alpha")
    net.set(a, "tau_syn_E", [2.0], cells=np.array([1], dtype=np.uint32))
    net.connect(src, a, [0, 0], [0, 1], [0.5], [1.0], "excitatory")
    net.record(a, ["isyn_exc"])
    sim = net.build()
    sim.run_until(10.0)
    signal = sim.get_data()[a]["signals"]["isyn_exc"]
    t, values = signal["times"], signal["values"]
    s = np.maximum(t - 2.0, 0.0)
    for cell, tau in ((0, 0.5), (1, 2.0)):
        expected = np.where(t >= 2.0, 0.5 * s / tau * np.exp(1.0 - s / tau), 0.0)
        assert np.max(np.abs(values[:, cell] - expected)) < 1e-12, cell


# --- the model file ---------------------------------------------------------------------------


def build_alpha_delta(sim):
    sim.setup(timestep=0.1, seed=5)
    stim = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 30.0, 31.0], [12.0]]),
                          label="stim")
    alpha = sim.Population(3, sim.IF_curr_alpha(tau_syn_E=1.5, tau_m=15.0, v_thresh=-55.0),
                           label="alpha")
    delta = sim.Population(3, sim.IF_curr_delta(tau_refrac=2.0, v_thresh=-55.0),
                           label="delta")
    delta.initialize(v=[-60.0, -58.0, -56.5])
    sim.Projection(stim[0:1], alpha, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=4.0, delay=1.0), label="to_alpha")
    sim.Projection(stim[0:1], delta, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=5.0, delay=1.0), label="to_delta")
    sim.Projection(stim[1:2], delta, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=-2.0, delay=0.5), receptor_type="inhibitory",
                   label="inh_delta")
    sim.Projection(delta, alpha, sim.FromListConnector([(0, 1, 2.0, 1.0)]),
                   label="delta_alpha")
    alpha.record(["spikes", "v", "isyn_exc"])
    delta.record(["spikes", "v"])
    quiet_run(sim, 60.0)
    return alpha, delta


def test_export_model_writes_alpha_and_delta_cells(tmp_path):
    import pyNN.exactlif as sim
    try:
        alpha, delta = build_alpha_delta(sim)
        spikes = sorted((p.label, int(st.annotations["source_index"]), float(t))
                        for p in (alpha, delta)
                        for st in p.get_data("spikes").segments[-1].spiketrains
                        for t in st.magnitude)
        model = tmp_path / "model.toml"
        sim.export_model(model)
    finally:
        sim.end()
    with open(model, "rb") as f:
        parsed = tomllib.load(f)
    pops = {p["label"]: p for p in parsed["populations"]}
    assert pops["alpha"]["cell_type"] == "IF_curr_alpha"
    assert pops["delta"]["cell_type"] == "IF_curr_delta"
    assert pops["alpha"]["parameters"]["tau_syn_E"] == 1.5
    assert pops["alpha"]["parameters"]["tau_syn_I"] == 0.5  # PyNN's IF_curr_alpha default
    assert set(pops["delta"]["parameters"]) == set(pynn_cells.IF_curr_delta.default_parameters)
    assert set(pops["delta"].get("initial_values", {})) <= {"v"}
    assert pops["delta"]["initial_values"]["v"] == [-60.0, -58.0, -56.5]
    assert set(pops["delta"]["record"]) == {"spikes", "v"}
    projections = {p["label"]: p for p in parsed["projections"]}
    # IF_curr_delta weights as given, in mV
    assert projections["to_delta"]["synapse"]["weight"] == 5.0
    assert projections["inh_delta"]["synapse"]["weight"] == -2.0
    assert projections["to_alpha"]["synapse"]["weight"] == 4.0
    assert len(spikes) > 0
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is missing: build it with `cargo build --release`")
    out = tmp_path / "out"
    subprocess.run([str(BINARY), "run", str(model), "--out", str(out)], check=True,
                   capture_output=True)
    import csv
    with open(out / "spikes.csv", newline="") as f:
        written = sorted((r["population"], int(r["neuron"]), float(r["time_ms"]))
                         for r in csv.DictReader(f))
    assert written == spikes
