"""exactlif's standard models: cell types, synapse types and current sources."""

from .cells import *       # noqa: F401,F403
from .synapses import *    # noqa: F401,F403
from .electrodes import *  # noqa: F401,F403
