"""Current sources of the exactlif backend: ``DCSource``, ``StepCurrentSource``,
``ACSource`` and ``NoisyCurrentSource``.

A source is part of the network description: it is handed to the core when the
network is built, once per population it is injected into. ``source.record()``
and ``source.get_data()`` return the injected current on the recording grid,
computed from the source's parameters (the core applies exactly this
piecewise-constant current).

``StepCurrentSource`` times are rounded to the time step by default, as PyNN's
other backends do (PyNN's ``test_issue512``); ``setup(step_current_times="exact")``
keeps them as given.
"""

import copy

import numpy as np

from pyNN.common import Assembly, Population, PopulationView
from pyNN.models import BaseCurrentSource
from pyNN.parameters import ParameterSpace
from pyNN.standardmodels import build_translations, electrodes

from pyNN.errors import InvalidParameterValueError
from pyNN.random import NativeRNG

from ..errors import check_names
from ..simulator import as_f64, as_u32, state

__all__ = ["DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource"]


def _targets(cells):
    """(population, cell indices) pairs for a Population, view, Assembly or list of IDs."""
    if isinstance(cells, Assembly):
        pairs = []
        for p in cells.populations:
            pairs.extend(_targets(p))
        return pairs
    if isinstance(cells, PopulationView):
        return [(cells.grandparent, np.asarray(cells.index_in_grandparent(np.arange(cells.size))))]
    if isinstance(cells, Population):
        return [(cells, None)]
    parents, indices = [], []
    for cell in cells:
        parent = cell.parent
        for k, p in enumerate(parents):
            if p is parent:
                indices[k].append(parent.id_to_index(cell))
                break
        else:
            parents.append(parent)
            indices.append([parent.id_to_index(cell)])
    return [(p, np.unique(np.asarray(ix, dtype=np.int64))) for p, ix in zip(parents, indices)]


class ExactlifCurrentSource(BaseCurrentSource):
    """What DCSource and StepCurrentSource share: parameters, injection, recording."""

    def __init__(self, **parameters):
        check_names(parameters, self.default_parameters, type(self).__name__)
        state.changing_sources("the current sources")
        self.parameter_space = ParameterSpace(self.default_parameters, self.get_schema(),
                                              shape=(1,))
        if parameters:
            self.parameter_space.update(**parameters)
        self._targets = []
        self._recording = False
        self._check()
        state.current_sources.append(self)

    def _check(self):
        """Validate the parameters with the core (a scratch network with one cell).

        The values as given are checked (e.g. StepCurrentSource times must be >= 0 and
        strictly increasing before they are put on the grid), then the values applied.
        """
        from ..simulator import core, translate_build_error
        _core = core()
        for params in (self._given_params(), self._core_params()):
            net = _core.Network(float(state.dt))
            net.create("check", 1, "IF_curr_exp")
            try:
                net.inject(self.core_name, params, 0)
            except _core.BuildError as err:
                raise translate_build_error(err) from err

    def inject_into(self, cells):
        for p, _ in _targets(cells):
            if not p.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
            self._check_into(p)
        state.changing_sources("current-source injection")
        self._targets.extend(_targets(cells))

    def _check_into(self, population):
        """The core's check of this source injected into `population` (of another type than
        the IF_curr_exp cell `_check` used), now rather than at the build;
        InvalidParameterValueError with the core's sentence."""
        cell_type = population.celltype.core_name
        if cell_type == "IF_curr_exp" or not hasattr(type(self), "_core_params"):
            return
        from ..simulator import core
        _core = core()
        net = _core.Network(float(state.dt))
        net.create(getattr(population, "_core_label", population.label) or "target", 1,
                   cell_type)
        try:
            net.inject(self.core_name, self._core_params(), 0)
        except _core.BuildError as err:
            raise InvalidParameterValueError(
                f"{type(self).__name__}: {err.message}") from err

    def set_native_parameters(self, parameters):
        state.changing_sources("current-source parameters")
        old = self.parameter_space
        self.parameter_space = copy.deepcopy(old)
        self.parameter_space.update(**parameters)
        try:
            self._check()
        except ValueError:
            self.parameter_space = old
            raise

    def get_native_parameters(self):
        """The parameters as the core applies them (e.g. step times on the grid).

        Scalars are floats and array-valued parameters (``times``, ``amplitudes``)
        NumPy arrays of their own length: the space has no shape of its own, as on
        pyNN.nest and pyNN.brian2 (``source.times[0]``, ``len(source.times)``).
        """
        return ParameterSpace(self._core_params(), shape=None)

    def _values(self):
        """The parameters as given: floats, and float64 arrays for Sequence values."""
        out = {}
        for name, value in self.parameter_space.items():
            if hasattr(value, "evaluate"):  # a LazyArray of shape (1,)
                value = value.evaluate(simplify=True)
            if hasattr(value, "value"):  # a Sequence
                value = as_f64(value.value).ravel()
            out[name] = value
        return out

    def _given_params(self):
        """The parameters for the core, as given (before any mapping to the grid)."""
        return self._core_params()

    def _build_into(self, net):
        params = self._core_params()
        for population, cells in self._targets:
            net.inject(self.core_name, params, population._core_index, as_u32(cells))

    def record(self):
        """Record the injected current (read it with ``get_data()``)."""
        self._recording = True

    def _get_data(self):
        n = int(round(state.t / state.dt)) + 1
        t = np.arange(n) * state.dt
        return t, self._current_at(t)


class DCSource(ExactlifCurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    core_name = "DCSource"
    translations = build_translations(("amplitude", "amplitude"), ("start", "start"),
                                      ("stop", "stop"))

    def _core_params(self):
        v = self._values()
        return {"amplitude": float(v["amplitude"]), "start": float(v["start"]),
                "stop": float(v["stop"])}

    def _current_at(self, t):
        v = self._core_params()
        return np.where((t >= v["start"]) & (t < v["stop"]), v["amplitude"], 0.0)


class StepCurrentSource(ExactlifCurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    core_name = "StepCurrentSource"
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _given_params(self):
        v = self._values()
        return {"times": as_f64(v["times"]).ravel(),
                "amplitudes": as_f64(v["amplitudes"]).ravel()}

    def _core_params(self):
        v = self._given_params()
        times, amplitudes = v["times"], v["amplitudes"]
        if state.step_current_times == "grid" and times.size == amplitudes.size:
            times = np.rint(times / state.dt) * state.dt
            # two times rounded onto one grid point: the later amplitude holds
            keep = np.append(times[1:] != times[:-1], True) if times.size else times.astype(bool)
            times, amplitudes = times[keep], amplitudes[keep]
        return {"times": times, "amplitudes": amplitudes}

    def _current_at(self, t):
        v = self._core_params()
        if v["times"].size == 0:
            return np.zeros_like(t)
        i = np.searchsorted(v["times"], t + 1e-9 * state.dt, side="right") - 1
        return np.where(i >= 0, v["amplitudes"][np.maximum(i, 0)], 0.0)


class NoisyCurrentSource(ExactlifCurrentSource, electrodes.NoisyCurrentSource):
    """A Gaussian "white" noise current: a new amplitude, drawn from N(``mean``, ``stdev``)
    (nA), every ``dt`` ms from ``start`` on, and no current from ``stop`` on.

    Parameters: ``mean`` and ``stdev`` (nA), ``start`` and ``stop`` (ms; ``stop`` defaults
    to 1e12, i.e. never), ``dt`` (ms; defaults to the time step and must be a multiple of
    it, else ``InvalidParameterValueError``); optional ``rng``.

    As NEST's ``noise_generator`` (which pyNN.nest uses), every target cell gets its own,
    independent noise: on cell ``i`` the current is the piecewise-constant
    ``I(t) = mean + stdev * z_i[k]`` for ``start + k*dt <= t < start + (k+1)*dt``
    (``t < stop``), with independent standard normal ``z_i[k]``; exactlif integrates the
    membrane exactly under it (a step current per cell). With the default
    ``setup(step_current_times="grid")`` ``start`` and ``stop`` are rounded to the time
    step, as StepCurrentSource times are.

    The steps are drawn lazily, up to the end of each run, so ``stop = 1e12`` costs only
    the steps simulated. Cell ``i``'s draws ``z_i[0], z_i[1], ...`` come in order from a
    stream of its own, a NumPy ``Generator(PCG64(SeedSequence(...)))`` keyed by the seed,
    the index of the source (in creation order) and the cell's id: they do not depend on
    how a simulation is chopped into runs (``run(100)`` equals ``run(50); run(50)``,
    bit for bit), nor on the other cells or sources. The seed is the ``rng``'s when ``rng``
    is a ``NumpyRNG`` (or ``GSLRNG``) with a seed; an unseeded one gives a seed drawn from
    it once; ``rng=None`` or a ``NativeRNG`` use ``setup(seed=...)``.

    ``reset()`` replays the same noise (as for ``SpikeSourcePoisson``): the draws are part
    of the network's description, not of a run.

    ``record()`` / ``get_data()`` give the current injected into the first target cell (in
    the order of ``inject_into``) on the recording grid.
    """

    core_name = "StepCurrentSource"
    translations = build_translations(("mean", "mean"), ("stdev", "stdev"), ("start", "start"),
                                      ("stop", "stop"), ("dt", "dt"))

    #: Tags the noise streams in their SeedSequence (apart from other uses of a seed).
    _STREAM_TAG = 0x4E4F495359  # "NOISY"

    def __init__(self, rng=None, **parameters):
        if "dt" not in parameters:
            parameters["dt"] = float(state.dt)
        object.__setattr__(self, "_seed_key", _seed_key(rng))
        object.__setattr__(self, "_index", len(state.current_sources))
        object.__setattr__(self, "_streams", {})  # cell id -> [Generator, z (growable), n]
        object.__setattr__(self, "_n_steps", 0)   # steps drawn (for every target cell)
        super().__init__(**parameters)

    # --- parameters -----------------------------------------------------------

    def _check(self):
        """Validate the parameters (PyNN's InvalidParameterValueError)."""
        v = self._values()
        for name in ("mean", "stdev", "start", "stop", "dt"):
            x = v[name]
            if not np.isfinite(x):
                raise InvalidParameterValueError(
                    f"NoisyCurrentSource: {name} must be a finite number, got {x}")
        if v["stdev"] < 0:
            raise InvalidParameterValueError(
                f"NoisyCurrentSource: stdev must be >= 0 nA, got {v['stdev']}")
        if v["start"] < 0:
            raise InvalidParameterValueError(
                f"NoisyCurrentSource: start must be >= 0 ms, got {v['start']}")
        if v["stop"] < v["start"]:
            raise InvalidParameterValueError(
                f"NoisyCurrentSource: stop ({v['stop']} ms) must be >= start "
                f"({v['start']} ms)")
        _dt_steps(v["dt"])

    def _grid(self):
        """(t0, dt, stop) of the steps as applied: on the time grid in "grid" mode."""
        v = self._values()
        h = float(state.dt)
        if state.step_current_times == "grid":
            n0, m = int(np.rint(v["start"] / h)), _dt_steps(v["dt"])
            return n0, m, float(np.rint(v["stop"] / h) * h)
        return float(v["start"]), float(v["dt"]), float(v["stop"])

    def _times(self, n):
        """The times of steps 0..n-1."""
        t0, dt, _ = self._grid()
        k = np.arange(n, dtype=np.float64)
        if state.step_current_times == "grid":
            return (t0 + k * dt) * float(state.dt)  # integers (exact) times the time step
        return t0 + k * dt

    def _n_steps_until(self, t):
        """The number of steps that start at or before `t` and before `stop`."""
        t0, dt, stop = self._grid()
        if state.step_current_times == "grid":
            h = float(state.dt)
            start, step = t0 * h, dt * h
        else:
            start, step = t0, dt
        end = min(t, np.nextafter(stop, -np.inf))
        if end < start:
            return 0
        n = int(np.floor((end - start) / step)) + 1
        times = self._times(n + 1)  # the closed form may be off by one in floating point
        return int(np.count_nonzero((times <= t) & (times < stop)))

    def get_native_parameters(self):
        return ParameterSpace(self._values(), shape=None)

    # --- the steps -------------------------------------------------------------

    def _extend_to(self, t):
        """Draw the steps up to time `t` (those starting at or before it) for every target
        cell. True if the description changed (the simulator then hands it to the core)."""
        n = self._n_steps_until(t)
        if n <= self._n_steps:
            return False
        object.__setattr__(self, "_n_steps", n)
        return bool(self._targets)

    def _z(self, gid, n):
        """Cell `gid`'s first `n` standard normal draws (drawn in order, once)."""
        stream = self._streams.get(gid)
        if stream is None:
            seq = np.random.SeedSequence(
                [self._seed(), self._STREAM_TAG, self._index, int(gid)])
            stream = self._streams[gid] = [np.random.Generator(np.random.PCG64(seq)),
                                           np.empty(0), 0]
        gen, z, drawn = stream
        if n > drawn:
            if n > z.size:
                grown = np.empty(max(n, 2 * z.size))
                grown[:drawn] = z[:drawn]
                z = stream[1] = grown
            z[drawn:n] = gen.standard_normal(n - drawn)
            stream[2] = n
        return z[:n]

    def _seed(self):
        key = self._seed_key
        return int(state.seed) % 2**64 if key is None else key

    def _cell_steps(self, gid):
        """(times, amplitudes) of the step current of cell `gid`: the steps drawn so far,
        then 0 at ``stop``."""
        n = self._n_steps
        v = self._values()
        times = self._times(n)
        amplitudes = v["mean"] + v["stdev"] * self._z(gid, n)
        _, _, stop = self._grid()
        if n == 0 or stop > times[-1]:
            times = np.append(times, stop)
            amplitudes = np.append(amplitudes, 0.0)
        return times, amplitudes

    def _build_into(self, net):
        for population, cells in self._targets:
            indices = np.arange(population.size) if cells is None else cells
            for i in indices:
                times, amplitudes = self._cell_steps(population.all_cells[i])
                net.inject(self.core_name, {"times": times, "amplitudes": amplitudes},
                           population._core_index, as_u32([i]))

    def _unbounded_populations(self):
        """The core labels of the populations this source puts noise into (stdev > 0): the
        core's "can never fire" diagnostic, which sees only the steps drawn, is no proof
        for them."""
        if self._values()["stdev"] == 0:
            return []
        return [population._core_label for population, _ in self._targets]

    def _current_at(self, t):
        if not self._targets:
            return np.zeros_like(t)
        population, cells = self._targets[0]
        i = 0 if cells is None else cells[0]
        times, amplitudes = self._cell_steps(population.all_cells[i])
        k = np.searchsorted(times, t + 1e-9 * state.dt, side="right") - 1
        return np.where(k >= 0, amplitudes[np.maximum(k, 0)], 0.0)


def _dt_steps(dt):
    """The number of time steps in `dt`; InvalidParameterValueError unless a multiple."""
    h = float(state.dt)
    ratio = dt / h
    m = int(np.rint(ratio))
    if not (m >= 1 and abs(ratio - m) <= 1e-9 * m):
        raise InvalidParameterValueError(
            f"NoisyCurrentSource: dt ({dt} ms) must be a multiple of the time step ({h} ms)")
    return m


def _seed_key(rng):
    """The seed of the noise streams given by `rng` (None: the setup seed)."""
    if rng is None or isinstance(rng, NativeRNG):
        return None
    seed = getattr(rng, "seed", None)
    if seed is None:
        if hasattr(rng, "next"):  # an unseeded RNG: a seed drawn from it once
            return int(np.asarray(rng.next(1, "uniform_int", {"low": 0, "high": 2**31 - 1}))
                       .ravel()[0])
        raise TypeError(f"NoisyCurrentSource: rng must be a pyNN.random RNG, got {rng!r}")
    return int(seed) % 2**64


class ACSource(ExactlifCurrentSource, electrodes.ACSource):
    """A sinusoidal current ``offset + amplitude * sin(2 pi frequency (t - start) / 1000
    + phase)`` (nA; ``frequency`` in Hz, ``phase`` in degrees) for ``start <= t < stop``.

    The phase holds at ``start``, as on every PyNN backend (PyNN's issue 497). exactlif
    integrates the membrane exactly under the sine (no step-wise current) and finds every
    threshold crossing it causes, however brief (the core's forced threshold solver).
    ``start`` and ``stop`` are exact times, as for ``DCSource``.
    """

    core_name = "ACSource"
    translations = build_translations(("amplitude", "amplitude"), ("offset", "offset"),
                                      ("frequency", "frequency"), ("phase", "phase"),
                                      ("start", "start"), ("stop", "stop"))

    def _core_params(self):
        v = self._values()
        return {k: float(v[k]) for k in ("amplitude", "offset", "frequency", "phase", "start",
                                         "stop")}

    def _current_at(self, t):
        v = self._core_params()
        if v["frequency"] == 0.0:
            ac = v["offset"] + v["amplitude"] * np.sin(np.radians(v["phase"]))
        else:
            omega = 2.0 * np.pi * v["frequency"] / 1000.0
            ac = v["offset"] + v["amplitude"] * np.sin(
                omega * (t - v["start"]) + np.radians(v["phase"]))
        return np.where((t >= v["start"]) & (t < v["stop"]), ac, 0.0)
