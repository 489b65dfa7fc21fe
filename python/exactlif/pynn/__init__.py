"""exactlif as a PyNN backend: ``import pyNN.exactlif as sim`` (or ``exactlif.pynn``).

A PyNN script runs on exactlif's exact event-driven engine with only its import
changed. Supported: ``IF_curr_exp`` and ``IF_curr_alpha`` cells (record
``spikes``, ``v``, ``isyn_exc``, ``isyn_inh``), ``IF_curr_delta`` cells (weights
in mV; record ``spikes``, ``v``), ``SpikeSourceArray``, ``SpikeSourcePoisson``,
``StaticSynapse`` with every connector of ``pyNN.connectors``, ``DCSource``,
``StepCurrentSource`` and ``NoisyCurrentSource``. Other PyNN models raise
``ModelNotAvailableError`` (a ``NotImplementedError``) when created.

Design
------
- **Python keeps the description.** Populations, projections, current sources
  and what is recorded live in Python (parameters as NumPy arrays, one value
  per cell; PyNN's random distributions are drawn here, so a seeded
  ``NumpyRNG`` gives the same values as on pyNN.nest). The Rust network
  (``exactlif._core.Network``) is built from it at the first ``run()``, and
  rebuilt at the next ``run()`` after ``reset()`` if the description changed.
- **Changes between runs.** Once built, ``set()`` and ``initialize()`` of
  neurons (``simulator.LIVE_CELL_TYPES``: ``IF_curr_exp``, ``IF_curr_alpha``,
  ``IF_curr_delta``) go to the simulation (``Simulation.set_parameter`` /
  ``initialize``): exact, at the current time; they still hold after
  ``reset()``. Current sources (amplitudes, times, new sources and
  injections), ``SpikeSourceArray`` spike times, synaptic weights and what is recorded,
  changed while running, are handed over at the next run
  (``update_current_sources``, ``update_spike_times``, ``update_weights``,
  ``update_recording``), also exactly at the current time (a signal recorded
  from now has NaN samples before). Changes that the core cannot yet apply
  while t > 0 (Poisson parameters, delays, new populations or projections)
  raise ``NotImplementedError`` saying to call ``reset()`` first;
  they are never silently ignored. At t = 0 they are kept and the network is
  rebuilt at the next run.
- **Projections** collect the connections PyNN's connectors hand over per
  post-synaptic cell into NumPy arrays and give them to the core in one
  ``Network.connect`` call per pair of populations. The native path: between
  two Populations (or PopulationViews of them), a standard connector whose rng is ``NativeRNG`` or unseeded,
  with numbers or such distributions as weights and delays, becomes the core's
  own rule (``connect_rule``), drawn as a model file of the same network draws
  it (see ``projections``).
- **Recording**: ``get_data()`` returns Neo Blocks with one Segment per
  ``reset()``; signals are ``AnalogSignal`` of shape (n_times, n_cells) in
  mV / nA sampled every time step (or ``sampling_interval``), spike trains
  end at the current time. ``get_data(clear=True)`` drops what was returned.
- **Errors**: unknown names raise PyNN's ``NonExistentParameterError`` (a
  subclass that adds exactlif's did-you-mean, e.g. ``t_refrac`` ->
  ``tau_refrac``); invalid values ``InvalidParameterValueError`` and invalid
  connections ``ConnectionError``, with the core's message. The core's
  diagnostics ("can never fire") are ``UserWarning``s at the build.
- **Randomness**: ``setup(seed=...)`` seeds the core's draws (Poisson
  streams, native connectors, and parameters and initial values from a
  ``RandomDistribution`` with ``NativeRNG`` or no rng, as a model file draws
  them); ``reset()`` replays the same Poisson streams. ``setup(seeding=1)``
  draws native connections, weights and delays from the per-projection
  streams of earlier versions (a model file's ``seeding = 1``) instead of
  the default version 2's streams per target cell.
  ``NoisyCurrentSource`` draws from its rng's seed, or the setup seed for
  ``NativeRNG``/no rng, one stream per target cell; ``reset()`` replays it.
- ``setup()`` accepts and ignores NEST-only keys (``t_flush``,
  ``spike_precision``, ...). See :func:`setup` for exactlif's own keys.
"""

from pyNN import errors, random, space                           # noqa: F401
from pyNN.connectors import *                                    # noqa: F401,F403
from pyNN.network import Network                                 # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from .native_rng import NativeRNG  # noqa: F401
from pyNN.recording import *                                     # noqa: F401,F403
from pyNN.space import Space                                     # noqa: F401
from pyNN.standardmodels import StandardCellType
from pyNN.standardmodels.base import ModelNotAvailable

from .control import (                                           # noqa: F401
    end, get_current_time, get_max_delay, get_min_delay, get_time_step, initialize,
    num_processes, rank, reset, run, run_for, run_until, setup,
)
from .export import export_model                                 # noqa: F401
from .populations import Assembly, Population, PopulationView   # noqa: F401
from .procedural_api import connect, create, record, record_v    # noqa: F401
from .projections import Projection                              # noqa: F401
from .standardmodels import *                                    # noqa: F401,F403


def list_standard_models():
    """The names of the StandardCellType classes this backend simulates."""
    return [obj.__name__ for obj in globals().values()
            if isinstance(obj, type) and issubclass(obj, StandardCellType)
            and obj is not StandardCellType
            and not issubclass(obj, ModelNotAvailable)]
