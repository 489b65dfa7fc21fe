"""exactlif: exact event-driven simulation of networks of PyNN's IF_curr_exp, IF_curr_alpha
and IF_curr_delta cells.

``exactlif._core`` is the compiled Rust core (Network, Simulation, BuildError); the PyNN
backend is ``exactlif.pynn``, also reachable as ``import pyNN.exactlif as sim``.
"""

from exactlif import _core  # noqa: F401
