"""exactlif: exact event-driven simulation of PyNN's IF_curr_exp networks.

``exactlif._core`` is the compiled Rust core (Network, Simulation, BuildError); the PyNN
backend is ``exactlif.pynn``, also reachable as ``import pyNN.exactlif as sim``.
"""

from exactlif import _core  # noqa: F401
