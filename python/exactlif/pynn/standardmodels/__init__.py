"""exactlif's standard models: cell types, synapse types, current sources (and receptors)."""

from .cells import *       # noqa: F401,F403
from .synapses import *    # noqa: F401,F403
from .electrodes import *  # noqa: F401,F403
from .receptors import *   # noqa: F401,F403
