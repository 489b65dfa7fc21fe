"""The simulator state of the exactlif PyNN backend.

:class:`State` keeps the Python description of the network (populations,
projections, current sources, in creation order) and the Rust simulation built
from it. The Rust network is built at the first ``run()`` and rebuilt at the
next ``run()`` after ``reset()`` if the description changed in between.
Everything that touches ``exactlif._core`` goes through this module and the
``_build_into`` methods of the objects it holds.
"""

import warnings

import numpy as np

from pyNN import common, errors

name = "exactlif"

#: The cell types whose parameters and initial values a built simulation takes while it runs
#: (``Simulation.set_parameter`` / ``initialize``: exact, at the current time). A change of
#: another cell type is a change of the description: kept at t = 0 (the network is rebuilt at
#: the next run), refused while t > 0 (call ``reset()`` first).
LIVE_CELL_TYPES = ("IF_curr_exp", "IF_curr_alpha", "IF_curr_delta")


def core():
    """The compiled ``exactlif._core`` module (imported when first needed)."""
    from exactlif import _core
    return _core


class ID(int, common.IDMixin):
    """A cell's global id (an int), with PyNN's per-cell accessors."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """The single simulator state of the backend (``simulator.state``)."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = "auto"
        self.max_delay = "auto"
        self.seed = 0
        self.seeding = 2
        self.backend = "exact"
        self.threads = 1
        self.step_current_times = "grid"
        self.clear()

    # --- description --------------------------------------------------------

    def clear(self):
        """Forget the whole network (``setup()``)."""
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.current_sources = []
        self.id_counter = 0
        self.segment_counter = -1
        self.sim = None
        self._warned = set()      # diagnostics already given as warnings
        self._diagnose = False    # parameters changed since the last diagnostics
        self._version = 0         # bumped at every change of the description
        self._built_version = -1  # the version the simulation was built from
        self._sources_changed = False  # current sources changed while running
        self._spikes_changed = False   # spike times changed while running
        self._weights_changed = False  # synaptic weights changed while running
        self._recording_changed = False  # what is recorded changed while running
        self.reset()

    @property
    def built(self):
        """True when a simulation exists and reflects the current description."""
        return self.sim is not None and self._built_version == self._version

    def changing(self, what):
        """Announce a change of the description that only a (re)build applies.

        Before the first run, or at t = 0 after ``reset()``, the change is kept and
        the network is rebuilt at the next run. While t > 0 the Rust simulation
        cannot take it, so this raises ``NotImplementedError`` before anything is
        changed.
        """
        self.check_change(what)
        self._version += 1

    def changing_sources(self, what):
        """Announce a change of the current sources (a new source, an injection, new
        amplitudes or times).

        While running (t > 0) the Rust simulation takes it exactly at the current time at
        the next run (``Simulation.update_current_sources``): what was injected before
        stays, a cell whose injected current now differs takes the new one at once, and
        the later switches follow. Before the first run, or at t = 0, it is kept for the
        next build like any change.
        """
        if self.sim is not None and self.t > 0:
            self._sources_changed = True
        else:
            self._version += 1

    def changing_spike_times(self, what):
        """Announce new ``spike_times`` of a SpikeSourceArray population.

        While running (t > 0) the Rust simulation takes them at the next run
        (``Simulation.update_spike_times``): times at or before the current time are past,
        each cell's next spike is its first later time. Before the first run, or at t = 0,
        they are kept for the next build like any change.
        """
        if self.sim is not None and self.t > 0:
            self._spikes_changed = True
        else:
            self._version += 1

    def changing_weights(self, what):
        """Announce new synaptic weights (``Projection.set(weight=...)``).

        While running (t > 0) the Rust simulation takes them at the next run
        (``Simulation.update_weights``): every input arriving after the current time has
        its new weight. Before the first run, or at t = 0, they are kept for the next build
        like any change.
        """
        if self.sim is not None and self.t > 0:
            self._weights_changed = True
        else:
            self._version += 1

    def changing_recording(self, what):
        """Announce a change of what is recorded (``record()``, ``record(None)``).

        While running (t > 0) the Rust simulation takes it at the next run
        (``Simulation.update_recording``): a signal recorded from now has NaN samples up to
        now, the data recorded so far stay. Before the first run, or at t = 0, it is kept
        for the next build like any change.
        """
        if self.sim is not None and self.t > 0:
            self._recording_changed = True
        else:
            self._version += 1

    def new_core_network(self):
        """An empty core network with this setup's time step, seed, min_delay and seeding."""
        min_delay = None if self.min_delay == "auto" else float(self.min_delay)
        return core().Network(float(self.dt), seed=int(self.seed), min_delay=min_delay,
                              seeding=int(self.seeding))

    def apply_changes(self):
        """Hand the current sources and spike times changed while running, as described
        now, to the running simulation (a description of the populations and current
        sources is enough: the core checks it has the simulation's populations)."""
        _core = core()
        net = self.new_core_network()
        try:
            for population in self.populations:
                population._build_into(net)
            for source in self.current_sources:
                source._build_into(net)
            if self._weights_changed:
                for projection in self.projections:
                    projection._build_into(net)
                self.sim.update_weights(net)
            if self._recording_changed:
                self.sim.update_recording(net)
            if self._sources_changed:
                self.sim.update_current_sources(net)
            if self._spikes_changed:
                self.sim.update_spike_times(net)
        except _core.BuildError as err:
            raise translate_build_error(err) from err
        self._sources_changed = False
        self._spikes_changed = False
        self._weights_changed = False
        self._recording_changed = False

    def check_change(self, what):
        """Raise NotImplementedError if `what` cannot change now (see :meth:`changing`)."""
        if self.sim is not None and self.t > 0:
            raise NotImplementedError(
                f"exactlif cannot yet change {what} during a simulation (t = {self.t:g} ms). "
                "Call sim.reset() first: the change then applies from t = 0."
            )

    def core_label(self, population):
        """A unique label for `population` in the Rust network."""
        labels = {p._core_label for p in self.populations if hasattr(p, "_core_label")}
        label = population.label
        n = 1
        while label in labels:
            n += 1
            label = f"{population.label}#{n}"
        return label

    def projection_label(self, projection, label):
        """A unique label for `projection` in the Rust network (it keys the core's draws).

        `label` is the one the script gave, or None. An unlabelled projection between
        populations (or views of them) gets the core's own default, "<pre>-><post>", the
        label of the same unlabelled projection in a model file (PyNN's is "<pre>→<post>"),
        so that both draw the same connections. A label taken already gets "#2", "#3", ...,
        as the core numbers unlabelled repeats (PyNN allows repeated labels, the core does
        not).
        """
        if label is None:
            ends = [getattr(p, "grandparent", p) for p in (projection.pre, projection.post)]
            if all(hasattr(p, "_core_label") for p in ends):
                label = f"{ends[0]._core_label}->{ends[1]._core_label}"
            else:  # an Assembly
                label = projection.label
        labels = {p._core_label for p in self.projections}
        unique, n = label, 1
        while unique in labels:
            n += 1
            unique = f"{label}#{n}"
        return unique

    # --- building -----------------------------------------------------------

    def build(self):
        """Build the Rust network from the description; warn about its diagnostics."""
        _core = core()
        net = self.new_core_network()
        try:
            for population in self.populations:
                population._build_into(net)
            for projection in self.projections:
                projection._build_into(net)
            for source in self.current_sources:
                source._build_into(net)
            sim = net.build(backend=self.backend, threads=int(self.threads))
        except _core.BuildError as err:
            raise translate_build_error(err) from err
        self.sim = sim
        self._built_version = self._version
        self.diagnose()

    def diagnose(self):
        """Warn (UserWarning) about the core's diagnostics not warned about yet.

        Called at every build and at the run after a change of parameters or initial
        values, e.g. "none of its cells can ever fire".
        """
        self._diagnose = False
        # a Gaussian noise current is unbounded: a cell under it may fire at some time even
        # if the steps drawn so far (up to the end of the run) keep it below threshold
        noisy = set()
        for source in self.current_sources:
            if hasattr(type(source), "_unbounded_populations"):
                noisy.update(source._unbounded_populations())
        for message in self.sim.diagnostics():
            if any(message.startswith(f'population "{label}":') and "ever fire" in message
                   for label in noisy):
                continue
            if message not in self._warned:
                self._warned.add(message)
                warnings.warn(message, UserWarning, stacklevel=_user_stacklevel())

    def ensure_built(self):
        if self.sim is None and self.t > 0:
            raise RuntimeError("the simulation was ended by end() at t = "
                               f"{self.t:g} ms: call setup() (or reset()) to run again")
        if not self.built:
            if self.sim is not None and self.t > 0:  # changing() prevents this
                raise RuntimeError("the network changed during a simulation")
            self.build()

    # --- control ------------------------------------------------------------

    def run_until(self, tstop):
        self.extend_sources(float(tstop))
        self.ensure_built()
        if (self._sources_changed or self._spikes_changed or self._weights_changed
                or self._recording_changed):
            self.apply_changes()
        if self._diagnose:
            self.diagnose()
        self.sim.run_until(float(tstop))
        self.t = float(self.sim.t)
        self.running = True
        self._data = None

    def extend_sources(self, tstop):
        """Let the current sources drawn lazily (NoisyCurrentSource) describe themselves up
        to `tstop`; the core takes the longer description like any change of the sources
        (at the build at t = 0, through ``update_current_sources`` while running)."""
        for source in self.current_sources:
            # (on the class: a current source's __getattr__ looks up its parameters)
            if hasattr(type(source), "_extend_to") and source._extend_to(tstop):
                self.changing_sources("the steps of a NoisyCurrentSource")

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def reset(self):
        """Return to t = 0 (the network and its parameters are kept)."""
        if self.sim is not None:
            self.sim.reset()
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self._data = None
        self._clear_times = {}

    # --- data ---------------------------------------------------------------

    def data(self, population):
        """The core's data dict of `population` for the current segment, or None."""
        if not self.running:
            return None
        if self._data is None:
            if self.sim is None:
                return None
            self._data = self.sim.get_data()
        return self._data[population._core_index]

    def release(self):
        """Drop the Rust simulation (``end()``), keeping the current segment's data."""
        if self.sim is not None and self.running and self._data is None:
            self._data = self.sim.get_data()
        self.sim = None

    def clear_time(self, population):
        """Data before this time was cleared by ``get_data(clear=True)``."""
        return self._clear_times.get(id(population), 0.0)

    def clear_data(self, population):
        self._clear_times[id(population)] = self.t


def _user_stacklevel():
    """The stacklevel of the first caller outside PyNN and exactlif (the user's run())."""
    import os
    import sys
    import pyNN
    skip = (os.path.dirname(pyNN.__file__), os.path.dirname(os.path.dirname(__file__)))
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(skip):
        frame, level = frame.f_back, level + 1
    return level


def translate_build_error(err):
    """The PyNN exception for a ``exactlif._core.BuildError``, keeping its message."""
    item = getattr(err, "item", "") or ""
    cls = errors.ConnectionError if item.startswith("projection") else \
        errors.InvalidParameterValueError
    return cls(str(err))


def as_f64(values):
    """`values` as a contiguous float64 array."""
    return np.ascontiguousarray(values, dtype=np.float64)


def as_u32(values):
    """`values` as a contiguous uint32 array (None stays None)."""
    if values is None:
        return None
    return np.ascontiguousarray(values, dtype=np.uint32)


state = State()
