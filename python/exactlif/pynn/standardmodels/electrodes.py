"""Current sources of the exactlif backend: ``DCSource`` and ``StepCurrentSource``.

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

from ..errors import ModelNotAvailableError, check_names
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
        state.changing_sources("current-source injection")
        self._targets.extend(_targets(cells))

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


class _NotAvailable(electrodes.StandardCurrentSource):
    def __init__(self, *args, **kwargs):
        raise ModelNotAvailableError(
            type(self).__name__,
            f"{type(self).__name__} is not yet available in exactlif; DCSource and "
            "StepCurrentSource are."
        )


class ACSource(_NotAvailable, electrodes.ACSource):
    """Not yet available in exactlif (needs the sinusoidal closed form in the core)."""


class NoisyCurrentSource(_NotAvailable, electrodes.NoisyCurrentSource):
    """Not yet available in exactlif."""
