"""``Projection.set(weight=...)`` during a run: every input arriving after the current time
has its new weight; delays may change only at t = 0 (spikes in flight keep theirs)."""

import numpy as np
import pytest

import pyNN.exactlif as sim
from pyNN import errors


def spikes_and_v(population):
    block = population.get_data()
    seg = block.segments[-1]
    return ([np.asarray(st.magnitude) for st in seg.spiketrains],
            np.asarray(seg.filter(name="v")[0].magnitude))


def test_new_weight_applies_to_inputs_after_now():
    sim.setup(timestep=0.1, min_delay=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 25.0, 45.0]), label="src")
    cell = sim.Population(1, sim.IF_curr_exp(), label="cell")
    cell.record(["spikes", "v"])
    proj = sim.Projection(src, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0,
                          delay=1.0), receptor_type="excitatory")
    sim.run(20.0)
    proj.set(weight=30.0)
    assert proj.get("weight", format="list")[0][2] == 30.0
    sim.run(40.0)
    changed = spikes_and_v(cell)
    sim.end()

    # the same inputs as two projections: weight 1 for the first spike, 30 for the others
    sim.setup(timestep=0.1, min_delay=0.1)
    early = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]), label="early")
    late = sim.Population(1, sim.SpikeSourceArray(spike_times=[25.0, 45.0]), label="late")
    cell = sim.Population(1, sim.IF_curr_exp(), label="cell")
    cell.record(["spikes", "v"])
    sim.Projection(early, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0,
                   delay=1.0), receptor_type="excitatory")
    sim.Projection(late, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=30.0,
                   delay=1.0), receptor_type="excitatory")
    sim.run(60.0)
    whole = spikes_and_v(cell)
    sim.end()
    assert changed[0][0].size > 0 and changed[0][0][0] > 26.0
    assert np.array_equal(changed[0][0], whole[0][0])  # bit for bit
    assert np.array_equal(changed[1], whole[1])


def test_native_rule_weights_change_during_a_run():
    """A native FixedProbabilityConnector: set() makes the connections a list, the same
    synapses, so the running simulation takes the new weights."""
    sim.setup(timestep=0.1, min_delay=0.5, seed=4)
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="noise")
    cells = sim.Population(10, sim.IF_curr_exp(), label="cells")
    cells.record("spikes")
    proj = sim.Projection(noise, cells,
                          sim.FixedProbabilityConnector(0.5, rng=sim.NativeRNG()),
                          sim.StaticSynapse(weight=0.1, delay=1.0), receptor_type="excitatory")
    sim.run(100.0)
    quiet = cells.get_data().segments[0].spiketrains
    assert sum(st.size for st in quiet) == 0
    proj.set(weight=2.0)
    sim.run(100.0)
    loud = cells.get_data().segments[0].spiketrains
    times = np.concatenate([np.asarray(st.magnitude) for st in loud])
    assert times.size > 0 and times.min() > 100.0
    sim.end()


def test_delays_during_a_run_are_refused_before_anything_changes():
    sim.setup(timestep=0.1, min_delay=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    proj = sim.Projection(src, cell, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=1.0, delay=1.0))
    sim.run(10.0)
    with pytest.raises(NotImplementedError, match="reset"):
        proj.set(delay=2.0)
    assert proj.get("delay", format="list")[0][2] == 1.0
    sim.reset()
    proj.set(delay=2.0)  # at t = 0 it is a change of the description
    sim.run(10.0)
    sim.end()


def test_a_bad_weight_during_a_run_is_a_connection_error():
    sim.setup(timestep=0.1, min_delay=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    proj = sim.Projection(src, cell, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=1.0, delay=1.0), receptor_type="excitatory")
    sim.run(10.0)
    with pytest.raises(errors.ConnectionError, match="excitatory weights must be >= 0"):
        proj.set(weight=-1.0)
    assert proj.get("weight", format="list")[0][2] == 1.0  # nothing changed
    sim.run(10.0)  # and the simulation goes on
    sim.end()
