"""setup(), end(), run(), reset() and the state queries of the exactlif backend."""

import warnings
from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from . import simulator

#: ``setup()`` keys of other backends (mostly NEST) that exactlif accepts and ignores.
IGNORED_SETUP_KEYS = frozenset({
    "t_flush", "spike_precision", "verbosity", "recording_precision", "threads",
    "rng_seed", "grng_seed", "rng_seeds", "rng_seeds_seed", "rng_type",
    "default_maxdelay", "allow_offgrid_spikes", "use_cvode", "returns_to_grid",
})

#: ``setup()`` keys of exactlif itself.
EXACTLIF_SETUP_KEYS = frozenset({"seed", "seeding", "backend", "n_threads",
                                 "step_current_times", "max_delay", "rank", "num_processes"})


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new network (any existing one is forgotten); return the MPI rank (0).

    `timestep` (ms) is the recording grid; exactlif's event-driven engine has no
    integration step. `min_delay` (ms) is the smallest allowed delay ('auto': the
    time step). exactlif's own keys:

    - ``seed`` (int, default 0): seed of the core's random draws (Poisson streams);
    - ``seeding`` (1 or 2, default 2): the seeding version of the connections, weights and
      delays the core draws, the model file's ``[simulation] seeding``: 2 draws them from
      streams per target cell (results independent of how cells are divided among threads
      or processes), 1 from the per-projection streams of earlier versions (their results);
    - ``backend`` ("exact", default; or the core's step-based "grid" / "euler");
    - ``n_threads`` (int, default 1; 0 = one per core): results are identical for any value;
    - ``step_current_times`` ("grid", default, as PyNN's other backends: the times of
      ``StepCurrentSource`` are rounded to the time step; or "exact").

    NEST-only keys such as ``t_flush`` and ``spike_precision`` are accepted and ignored. A
    likely misspelling of a key of ``setup()`` or of exactlif (``time_stp``) is a
    ``TypeError`` naming the key meant; any other key is ignored with a ``UserWarning``, as
    PyNN's backends ignore the keys of others (PyNN's VAbenchmarks passes ``filename`` and
    ``label``).
    """
    unknown = set(extra_params) - IGNORED_SETUP_KEYS - EXACTLIF_SETUP_KEYS
    for name in sorted(unknown):
        from .errors import suggest
        hint = suggest(name, sorted(EXACTLIF_SETUP_KEYS | {"timestep", "min_delay"}))
        if hint:
            raise TypeError(f"setup() got an unknown keyword argument {name!r} "
                            f"(did you mean {hint!r}?)")
        warnings.warn(f"setup(): exactlif ignores the keyword argument {name!r}",
                      UserWarning, stacklevel=2)
    if extra_params.get("step_current_times", "grid") not in ("grid", "exact"):
        raise ValueError("step_current_times must be 'grid' or 'exact'")
    seeding = extra_params.get("seeding", 2)
    if isinstance(seeding, bool) or seeding not in (1, 2):
        raise ValueError(f"seeding must be 1 (the per-projection streams of earlier versions) "
                         f"or 2 (streams per target cell, the default), got {seeding!r}")
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    state.dt = float(timestep)
    state.min_delay = min_delay
    state.max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    state.seed = int(extra_params.get("seed", 0))
    state.seeding = int(seeding)
    state.backend = extra_params.get("backend", "exact")
    state.threads = int(extra_params.get("n_threads", 1))
    state.step_current_times = extra_params.get("step_current_times", "grid")
    return rank()


def end(compatible_output=True):
    """Write the data asked for with ``record(..., to_file=...)`` and end the simulation.

    The engine is released, but what was recorded stays readable: ``get_data()``
    after ``end()`` returns it, as on PyNN's other backends (PyNN's test_issue499).
    """
    state = simulator.state
    for (population, variables, filename) in state.write_on_end:
        population.write_data(get_io(filename), variables)
    state.write_on_end = []
    state.release()


run, run_until = common.build_run(simulator)
run_for = run

reset = common.build_reset(simulator)

initialize = common.initialize

get_current_time, get_time_step, _get_min_delay, _get_max_delay, \
    num_processes, rank = common.build_state_queries(simulator)


def get_min_delay():
    """Return the minimum allowed synaptic delay (ms); 'auto' means the time step."""
    d = simulator.state.min_delay
    return simulator.state.dt if d == "auto" else d


def get_max_delay():
    """Return the maximum allowed synaptic delay (ms); exactlif has no upper bound."""
    d = simulator.state.max_delay
    return float("inf") if d == "auto" else d
