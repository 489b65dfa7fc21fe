"""exactlif's ``NativeRNG``.

A projection whose connector's rng (and whose random weights' and delays' rng) is this
``NativeRNG`` — or no rng at all — is drawn by the core itself, from its own streams, as
the same network in a model file is (see ``projections``). PyNN sometimes asks the rng for
numbers before the backend sees the projection (e.g. to guess a receptor type from the sign
of random weights); those few numbers come from a NumPy generator seeded with the
``setup(seed=...)`` seed and are not the network's.

Where the core has no rule for a projection (between Assemblies, views listing a cell twice,
a random number of connections, a connector of its own), PyNN's connector draws, and a
``NativeRNG`` then serves as a ``NumpyRNG`` seeded with ``setup(seed=...)``: one generator
per ``NativeRNG`` object, so its draws go on from one call to the next.
"""

from pyNN import random

from .simulator import state


class NativeRNG(random.NativeRNG):
    """The core's own random streams (``sim.NativeRNG()``)."""

    #: PyNN's connectors ask; draws do not depend on how cells are spread over processes.
    parallel_safe = True

    def next(self, n=None, distribution=None, parameters=None, mask=None):
        numpy = getattr(self, "_numpy", None)
        if numpy is None:
            numpy = self._numpy = random.NumpyRNG(seed=int(state.seed))
        return numpy.next(n, distribution, parameters, mask)
