"""exactlif's ``NativeRNG``.

A projection whose connector's rng (and whose random weights' and delays' rng) is this
``NativeRNG`` — or no rng at all — is drawn by the core itself, from its own streams, as
the same network in a model file is (see ``projections``). PyNN sometimes asks the rng for
numbers before the backend sees the projection (e.g. to guess a receptor type from the sign
of random weights); those few numbers come from a NumPy generator seeded with the
``setup(seed=...)`` seed and are not the network's.
"""

from pyNN import random

from .simulator import state


class NativeRNG(random.NativeRNG):
    """The core's own random streams (``sim.NativeRNG()``)."""

    def next(self, n=None, distribution=None, parameters=None, mask=None):
        return random.NumpyRNG(seed=int(state.seed)).next(n, distribution, parameters, mask)
