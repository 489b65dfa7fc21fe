"""Recording on pyNN.exactlif: segments per reset(), clear=True, views, assemblies, errors."""

import warnings

import numpy as np
import pytest
import quantities as pq
from pyNN import errors

BIAS = dict(v_rest=-65.0, v_thresh=-55.0, v_reset=-65.0, tau_refrac=1.0, tau_m=10.0, cm=1.0,
            i_offset=1.1)
FIRST = 10.0 * np.log(11.0)


@pytest.fixture(autouse=True)
def no_warnings_shown():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_one_segment_per_reset(sim):
    cells = sim.Population(2, sim.IF_curr_exp(**BIAS), label="cells")
    cells.record(["spikes", "v"])
    sim.run(50.0)
    sim.reset()
    sim.run(30.0)
    block = cells.get_data()
    assert [s.name for s in block.segments] == ["segment000", "segment001"]
    v0, v1 = (s.filter(name="v")[0] for s in block.segments)
    assert v0.shape == (501, 2) and v1.shape == (301, 2)
    assert np.array_equal(v0.magnitude[:301], v1.magnitude)
    for seg, t_stop in zip(block.segments, (50.0, 30.0)):
        for st in seg.spiketrains:
            assert st.t_stop == t_stop * pq.ms
            assert abs(st.magnitude[0] - FIRST) < 1e-12
    assert block.annotations["simulator"] == "exactlif"


def test_get_data_clear(sim):
    cells = sim.Population(1, sim.IF_curr_exp(**BIAS))
    cells.record(["spikes", "v"])
    sim.run(30.0)  # spikes at 10 ln 11 and 2 (10 ln 11) + 1 = 48.96 ms
    first = cells.get_data(clear=True).segments[0]
    assert len(first.spiketrains[0]) == 1
    sim.run(30.0)
    second = cells.get_data().segments
    assert len(second) == 1
    v = second[0].filter(name="v")[0]
    assert v.t_start == 30.0 * pq.ms
    assert v.shape == (301, 1)
    times = second[0].spiketrains[0].magnitude
    assert np.all(times >= 30.0) and len(times) == 1


def test_population_view_record(sim):
    cells = sim.Population(10, sim.IF_curr_exp(**BIAS))
    cells.set(i_offset=np.linspace(1.1, 2.0, 10))
    view = cells[2:5]
    view.record("v")
    cells[[7]].record("spikes")
    sim.run(30.0)
    seg = cells.get_data().segments[0]
    v = seg.filter(name="v")[0]
    assert v.shape == (301, 3)
    assert list(v.array_annotations["channel_index"]) == [2, 3, 4]
    assert len(seg.spiketrains) == 1 and seg.spiketrains[0].annotations["source_index"] == 7
    assert view.get_data().segments[0].filter(name="v")[0].shape == (301, 3)


def test_population_view_set_and_initialize(sim):
    cells = sim.Population(4, sim.IF_curr_exp())
    cells[1:3].set(tau_m=5.0)
    cells[[0]].initialize(v=-70.0)
    assert list(cells.get("tau_m")) == [20.0, 5.0, 5.0, 20.0]
    cells.record("v")
    sim.run(1.0)
    v = cells.get_data().segments[0].filter(name="v")[0].magnitude
    assert list(v[0]) == [-70.0, -65.0, -65.0, -65.0]


def test_assembly_record(sim):
    a = sim.Population(2, sim.IF_curr_exp(**BIAS), label="a")
    b = sim.Population(3, sim.SpikeSourceArray(spike_times=[1.0, 2.0]), label="b")
    assembly = a + b
    assembly.record("spikes")
    sim.run(30.0)
    seg = assembly.get_data().segments[0]
    assert len(seg.spiketrains) == 5
    counts = assembly.get_spike_counts()
    assert sorted(counts.values()) == [1, 1, 2, 2, 2]


def test_projection_between_views_and_save(sim, tmp_path):
    pre = sim.Population(4, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(3, sim.IF_curr_exp())
    prj = sim.Projection(pre[1:3], post[[0, 2]], sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.2, delay=0.5))
    assert len(prj) == 4
    w = prj.get("weight", format="array")
    assert w.shape == (2, 2) and np.all(w == 0.2)
    path = tmp_path / "conn.txt"
    prj.save("all", str(path))
    assert path.read_text().count("\n") >= 4
    post.record("isyn_exc")
    sim.run(5.0)
    i = post.get_data().segments[0].filter(name="isyn_exc")[0].magnitude
    assert i[-1, 1] == 0.0 and i[-1, 0] > 0.0 and i[-1, 0] == i[-1, 2]


def test_fixed_probability_with_numpy_rng_is_reproducible(sim):
    def build(seed):
        sim.setup(timestep=0.1)
        p = sim.Population(50, sim.IF_curr_exp())
        rng = sim.NumpyRNG(seed=seed)
        return sim.Projection(p, p, sim.FixedProbabilityConnector(0.2, rng=rng),
                              sim.StaticSynapse(weight=sim.RandomDistribution(
                                  "uniform", (0.0, 0.1), rng=rng)))
    a = build(7).get(["weight"], format="list")
    b = build(7).get(["weight"], format="list")
    assert a == b and 300 < len(a) < 700


def test_errors(sim):
    with pytest.raises(errors.NonExistentParameterError, match="did you mean `tau_refrac`"):
        sim.Population(1, sim.IF_curr_exp()).set(t_refrac=2.0)
    cells = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError):
        cells.set(tau_m=-1.0)
    assert cells.get("tau_m") == 20.0  # nothing changed
    with pytest.raises(NotImplementedError, match="not available in exactlif"):
        sim.IF_cond_exp()
    with pytest.raises(errors.ConnectionError):
        sim.Projection(cells, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.1),
                       receptor_type="excitatory")
    with pytest.raises(errors.RecordingError):
        sim.Population(1, sim.SpikeSourcePoisson()).record("v")


def test_setup_ignores_nest_keys_and_state_queries(sim):
    sim.setup(timestep=0.1, min_delay=0.5, t_flush=10.0, spike_precision="off_grid")
    assert sim.get_time_step() == 0.1
    assert sim.get_min_delay() == 0.5
    assert sim.get_current_time() == 0.0
    assert sim.num_processes() == 1 and sim.rank() == 0
    sim.run_until(12.5)
    assert sim.get_current_time() == 12.5
    with pytest.raises(TypeError, match="time_stp.*timestep"):
        sim.setup(time_stp=0.1)
    # other backends' keys (PyNN's VAbenchmarks passes these) are ignored, with a warning
    with pytest.warns(UserWarning, match="filename"):
        sim.setup(timestep=0.1, filename="va_CUBA.xml", label="VA")


def test_procedural_api(sim):
    cells = sim.create(sim.IF_curr_exp(**BIAS), n=3)
    src = sim.create(sim.SpikeSourceArray(spike_times=[1.0]), n=3)
    prj = sim.connect(src, cells, weight=0.1, delay=1.0, p=1.0)
    assert len(prj) == 9
    sim.record("spikes", cells, None)
    sim.initialize(cells, v=-60.0)
    sim.run(20.0)
    assert all(n >= 1 for n in cells.get_spike_counts().values())


def test_a_list_projection_between_assemblies_builds_and_connects_every_pair(sim):
    # two populations on each side: four pairs, each its own list in the core, with its own
    # label (the core's labels are unique)
    a, b = (sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]), label=x) for x in "ab")
    c, d = (sim.Population(2, sim.IF_curr_exp(), label=x) for x in "cd")
    prj = sim.Projection(a + b, c + d, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.5, delay=1.0), receptor_type="excitatory",
                         label="all")
    (c + d).record("v")
    sim.run(5.0)
    assert len(prj) == 16
    assert sim.simulator.state.sim.n_synapses == 16
    for pop in (c, d):
        v = pop.get_data().segments[-1].analogsignals[0].magnitude
        assert (v[-1] > v[0]).all()  # every cell got its four inputs
