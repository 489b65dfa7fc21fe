"""Issue 14 from Python: a network the machine cannot hold is refused at the build with the
numbers (PyNN's InvalidParameterValueError), not an abort of the interpreter."""

import pytest
from pyNN.errors import InvalidParameterValueError

import pyNN.exactlif as sim


def test_a_network_too_large_for_memory_is_refused_with_numbers():
    sim.setup(timestep=0.1)
    a = sim.Population(200_000, sim.IF_curr_exp(), label="a")
    # 4e10 expected synapses: about 2 TB
    # the native path draws the connections at the Projection: refused before drawing them
    with pytest.raises(InvalidParameterValueError, match="synapses"):
        sim.Projection(a, a, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.1, delay=1.0), receptor_type="excitatory")
    sim.end()


def test_runaway_firing_is_an_error_not_a_hang():
    """tau_refrac = 0 and a drive that refires the cell within 1e-5 ms: a RuntimeError naming
    the cell and the fix (the core stops the run), not a hang."""
    sim.setup(timestep=0.1)
    cells = sim.Population(2, sim.IF_curr_exp(tau_m=1.0, tau_refrac=0.0, i_offset=[0.0, 4e5]),
                           label="fast")
    with pytest.raises(RuntimeError, match='population "fast", cell 1 fires without bound'):
        sim.run(10.0)
    sim.end()
