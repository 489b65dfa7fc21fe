"""pyNN.exactlif against pyNN.nest on the same script (issue 13, "Against pyNN.nest").

1. The tutorial with a firing bias: PyNN's tutorial cells (v_rest = v_reset = -65 mV,
   v_thresh = -55 mV, tau_m = 10 ms, cm = 1 nF, tau_refrac = 1 ms) driven by
   i_offset = 1.1 nA for 100 ms. With R = tau_m / cm = 10 MOhm the free trajectory from
   v(0) = v_reset is v(t) = v_inf - (v_inf - v_reset) e^(-t/tau_m), v_inf = -65 + 11 = -54 mV;
   it reaches -55 mV when 11 e^(-t/10) = 1, i.e. after T = 10 ln 11 ms (23.979 ms). After a
   spike the cell is clamped at v_reset for tau_refrac = 1 ms and then repeats the same
   trajectory, so the k-th spike (k = 0, 1, ...) is at

       t_k = T + k (T + 1) ms,   T = 10 ln 11,

   four spikes in 100 ms (23.979, 48.958, 73.937, 98.916 ms). There is no synaptic current,
   so nothing else enters. pyNN.nest runs with setup(timestep=0.1, spike_precision="off_grid"),
   which makes it use NEST's precise model iaf_psc_exp_ps (checked on the nodes and the
   kernel). The issue asks the two to agree to 1e-12 ms; both are also checked against t_k.

2. PyNN's examples/VAbenchmarks.py CUBA with a seeded NumpyRNG: the network it builds
   (same parameters, same creation order, same NumpyRNG(seed=98765, parallel_safe=True)
   shared by the initial values and the four FixedProbabilityConnector projections) has
   the same connection list and the same initial membrane potentials on both backends.
   PyNN draws the connectivity itself for a NumpyRNG (Connector._standard_connect; with
   parallel_safe=True it iterates over every post-synaptic cell and, in one process, every
   cell is local), so both backends see the same draws in the same order.

Skipped when NEST is not installed (`pip install nest-simulator==3.10.*`).
"""

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("nest", reason="NEST is not installed (pip install nest-simulator)")
pytest.importorskip("pyNN.nest", reason="pyNN.nest cannot be imported (NEST missing or broken)")

TUTORIAL = dict(v_rest=-65.0, v_thresh=-55.0, v_reset=-65.0, tau_refrac=1.0, tau_m=10.0,
                cm=1.0, i_offset=1.1)
T_STOP = 100.0
#: The agreement the issue asks for, in ms.
TOLERANCE_MS = 1e-12


def _backend(name):
    import importlib
    return importlib.import_module(f"pyNN.{name}")


def closed_form_spike_times(t_stop=T_STOP):
    """t_k = T + k (T + tau_refrac), T = tau_m ln((v_inf - v_reset) / (v_inf - v_thresh))."""
    p = TUTORIAL
    r = p["tau_m"] / p["cm"]                     # MOhm
    v_inf = p["v_rest"] + r * p["i_offset"]      # mV
    first = p["tau_m"] * math.log((v_inf - p["v_reset"]) / (v_inf - p["v_thresh"]))
    period = first + p["tau_refrac"]
    n = int(math.floor((t_stop - first) / period)) + 1
    return np.array([first + k * period for k in range(n)])


def tutorial_spike_times(name):
    """Spike times, shape (100, n_spikes), of the biased tutorial on pyNN.<name>."""
    sim = _backend(name)
    kwargs = {"spike_precision": "off_grid"} if name == "nest" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim.setup(timestep=0.1, **kwargs)
        try:
            population = sim.Population(100, sim.IF_curr_exp(**TUTORIAL), label="Population 1")
            population.record("spikes")
            sim.run(T_STOP)
            if name == "nest":
                import nest
                models = set(nest.GetStatus(population.node_collection, "model"))
                assert models == {"iaf_psc_exp_ps"}, models
                assert nest.GetKernelStatus("off_grid_spiking") is True
            trains = population.get_data("spikes").segments[0].spiketrains
            assert all(str(train.units.dimensionality) == "ms" for train in trains)
            counts = {len(train) for train in trains}
            assert len(counts) == 1, counts
            return np.array([np.asarray(train.magnitude, dtype=float) for train in trains])
        finally:
            sim.end()


def test_closed_form_has_four_spikes():
    t = closed_form_spike_times()
    assert len(t) == 4
    assert t[0] == pytest.approx(10 * math.log(11), abs=1e-14)
    assert np.diff(t) == pytest.approx(10 * math.log(11) + 1, abs=1e-13)


def test_biased_tutorial_spike_times_agree_with_nest_precise_model():
    expected = closed_form_spike_times()
    ours = tutorial_spike_times("exactlif")
    theirs = tutorial_spike_times("nest")
    assert ours.shape == theirs.shape == (100, len(expected))
    diff_nest = np.abs(ours - theirs).max()
    diff_ours_closed = np.abs(ours - expected).max()
    diff_nest_closed = np.abs(theirs - expected).max()
    print(f"max |exactlif - nest| = {diff_nest:.3e} ms; "
          f"max |exactlif - closed form| = {diff_ours_closed:.3e} ms; "
          f"max |nest - closed form| = {diff_nest_closed:.3e} ms")
    assert diff_ours_closed <= TOLERANCE_MS
    assert diff_nest_closed <= TOLERANCE_MS
    assert diff_nest <= TOLERANCE_MS


# --- VAbenchmarks CUBA -----------------------------------------------------------------

def build_cuba(sim, n=4000, seed=98765):
    """The CUBA network of PyNN's examples/VAbenchmarks.py (its parameters and call order).

    Returns (populations, projections) after sim.setup(); the caller calls sim.end().
    """
    from pyNN.random import NumpyRNG, RandomDistribution
    dt, delay = 0.1, 0.2
    area = 20000.0 * 1e-8                       # cm^2
    cm = 1.0 * area * 1000                      # nF
    v_reset, v_thresh, v_mean = -60.0, -50.0, -60.0
    w_exc = 1e-3 * 0.27 * (0.0 - v_mean)        # nA
    w_inh = 1e-3 * 4.5 * (-80.0 - v_mean)       # nA
    n_exc = int(round(n * 4.0 / 5.0))
    n_inh = n - n_exc
    sim.setup(timestep=dt, min_delay=delay, max_delay=1.0)
    celltype = sim.IF_curr_exp(tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=-49.0,
                               v_reset=v_reset, v_thresh=v_thresh, cm=cm, tau_refrac=5.0)
    exc = sim.Population(n_exc, celltype, label="Excitatory_Cells")
    inh = sim.Population(n_inh, celltype, label="Inhibitory_Cells")
    rng = NumpyRNG(seed=seed, parallel_safe=True)
    uniform = RandomDistribution("uniform", low=v_reset, high=v_thresh, rng=rng)
    exc.initialize(v=uniform)
    inh.initialize(v=uniform)
    connector = sim.FixedProbabilityConnector(0.02, rng=rng)
    exc_syn = sim.StaticSynapse(weight=w_exc, delay=delay)
    inh_syn = sim.StaticSynapse(weight=w_inh, delay=delay)
    projections = {
        "e2e": sim.Projection(exc, exc, connector, exc_syn, receptor_type="excitatory"),
        "e2i": sim.Projection(exc, inh, connector, exc_syn, receptor_type="excitatory"),
        "i2e": sim.Projection(inh, exc, connector, inh_syn, receptor_type="inhibitory"),
        "i2i": sim.Projection(inh, inh, connector, inh_syn, receptor_type="inhibitory"),
    }
    return (exc, inh), projections


def cuba_network(name):
    """{projection: sorted (n, 4) array of (i, j, weight, delay)}, {population: initial v}."""
    sim = _backend(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            populations, projections = build_cuba(sim)
            connections = {}
            for label, projection in projections.items():
                rows = np.array(projection.get(["weight", "delay"], format="list"), dtype=float)
                order = np.lexsort((rows[:, 0], rows[:, 1]))   # by post, then pre
                connections[label] = rows[order]
            initial_v = {p.label: np.asarray(p.initial_values["v"][:], dtype=float)
                         for p in populations}
            return connections, initial_v
        finally:
            sim.end()


def test_vabenchmarks_cuba_builds_the_same_connection_list_as_nest():
    ours, our_v = cuba_network("exactlif")
    theirs, their_v = cuba_network("nest")
    assert ours.keys() == theirs.keys()
    for label in ours:
        a, b = ours[label], theirs[label]
        assert a.shape == b.shape, (label, a.shape, b.shape)
        assert len(a) > 0
        np.testing.assert_array_equal(a[:, :2], b[:, :2], err_msg=label)
        # NEST stores weights in pA and PyNN converts back: equal to rounding.
        np.testing.assert_allclose(a[:, 2], b[:, 2], rtol=1e-12, atol=0, err_msg=label)
        np.testing.assert_allclose(a[:, 3], b[:, 3], rtol=1e-12, atol=0, err_msg=label)
    for label in our_v:
        np.testing.assert_allclose(our_v[label], their_v[label], rtol=1e-12, atol=0,
                                   err_msg=label)
