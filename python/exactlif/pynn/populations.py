"""Population, PopulationView and Assembly of the exactlif backend.

A population keeps its parameters and initial values as NumPy arrays, one value
per cell (PyNN's random distributions and functions are evaluated here, in
Python; a distribution drawn natively, with exactlif's ``NativeRNG`` or unseeded,
takes the values the core draws from its streams, as a model file's distribution
table does). They are handed to the core when the network is built. Once it is
built, ``set()`` and ``initialize()`` of cells of ``simulator.LIVE_CELL_TYPES``
(``IF_curr_exp``) go straight to the running simulation (exact, at the current
time); other changes while t > 0 raise ``NotImplementedError`` (call ``reset()``
first), and at t = 0 they are kept and the network is rebuilt at the next run.
"""

import numpy as np

from pyNN import common, errors
from pyNN.parameters import ParameterSpace, Sequence, simplify
from pyNN.random import RandomDistribution

from . import simulator
from .errors import check_names
from .projections import _native_value
from .recording import Recorder
from .simulator import as_f64, as_u32, state


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator


def _evaluate(parameter_space, size, population=None, mask=None):
    """The values of a native ParameterSpace, as arrays of `size` (Sequence arrays stay).

    With `population`, a random distribution drawn natively (see :func:`_native_distribution`)
    takes the values the core draws for the whole population (:func:`_draw`), the cells
    `mask` of them for a view.
    """
    parameter_space.shape = (size,)
    drawn = {}
    if population is not None:
        for name, value in parameter_space.items():
            distribution = _native_distribution(value)
            if distribution is not None:
                values = _draw(population, name, distribution)
                drawn[name] = values if mask is None else values[mask]
    parameter_space.evaluate(simplify=False)
    out = {}
    for name, value in parameter_space.items():
        if isinstance(value, Sequence):  # one cell: lazyarray gives the Sequence itself
            sequence, value = value, np.empty(size, dtype=object)
            for i in range(size):
                value[i] = sequence
        out[name] = drawn.get(name, value)
    return out


def _native_distribution(value):
    """The distribution dict of the core for `value` (a LazyArray or a number), when it is a
    RandomDistribution drawn natively: its rng is exactlif's ``NativeRNG`` or unseeded, and the
    core has the distribution. Else None: PyNN draws it (a seeded rng keeps pyNN.nest's
    values)."""
    if getattr(value, "operations", None):  # e.g. RandomDistribution(...) * 2
        return None
    base = getattr(value, "base_value", value)
    if not isinstance(base, RandomDistribution):
        return None
    native = _native_value(base)
    return native if isinstance(native, dict) else None


def _draw(population, name, distribution, initial=False):
    """The values of parameter (or initial value) `name` of `population` that the core
    draws from `distribution` at build: from the stream of the setup seed, the population's
    label and the name, as a model file with the same distribution table draws them."""
    net = state.new_core_network()
    index = net.create(population._core_label, population.size, population.celltype.core_name)
    return net.draw(index, name, distribution, initial=initial)


def _check_values(population, values):
    """Validate new parameter values with the core, before anything is changed.

    The population with its new values is built alone in a scratch network, so the
    values are judged by the same rules as at build (each value, and the cell's
    parameters together); a bad value raises InvalidParameterValueError.
    """
    core = simulator.core()
    net = core.Network(float(state.dt))
    index = net.create(population._core_label, population.size, population.celltype.core_name)
    try:
        for name, value in dict(population._parameters, **values).items():
            if name == "spike_times":
                net.set_spike_times(index, _spike_lists(value))
            else:
                net.set(index, name, _compact(value))
        net.build()
    except core.BuildError as err:
        raise simulator.translate_build_error(err) from err


def _spike_lists(values):
    """Per-cell spike times (an array of Sequence) as a list of float64 arrays."""
    return [as_f64(s.value if isinstance(s, Sequence) else s).ravel() for s in values]


class _ParameterHooks:
    """The parameter and initial-value hooks shared by Population and PopulationView.

    Both work on the parent population's arrays through ``_parent_and_mask()``.
    """

    def set(self, **parameters):
        check_names(parameters, self.celltype.default_parameters, type(self.celltype).__name__)
        super().set(**parameters)

    set.__doc__ = common.Population.set.__doc__

    def _get_parameters(self, *names):
        names = self.celltype.get_native_names(*names)
        return self.celltype.reverse_translate(self._get_native_parameters(*names))

    def _get_native_parameters(self, *names):
        parent, mask = self._parent_and_mask()
        values = {}
        for name in names:
            value = parent._parameters[name]
            values[name] = simplify(value if mask is None else value[mask])
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        """parameter_space holds native names (identical to PyNN's on exactlif)."""
        parent, mask = self._parent_and_mask()
        new = _evaluate(parameter_space, self.size, parent, mask)
        full = {}
        for name, value in new.items():
            current = parent._parameters[name].copy()
            if mask is None:
                current[:] = value
            else:
                current[mask] = value
            full[name] = current
        _check_values(parent, full)
        cell_type = parent.celltype.core_name
        if cell_type in simulator.LIVE_CELL_TYPES and state.built:
            # exact, at the current time; it also holds after reset()
            for name, values in full.items():
                try:
                    state.sim.set_parameter(parent._core_label, name, as_f64(values))
                except ValueError as err:
                    raise errors.InvalidParameterValueError(str(err)) from err
            state._diagnose = True
        elif cell_type == "SpikeSourceArray":
            # while running: the new times to come, exactly, at the next run
            state.changing_spike_times("spike times")
        else:
            state.changing(f"{cell_type} parameters")
        parent._parameters.update(full)

    def _set_initial_value_array(self, variable, initial_values):
        parent, mask = self._parent_and_mask()
        check_names([variable], parent.celltype.default_initial_values,
                    type(parent.celltype).__name__)
        current = parent._initial_values[variable].copy()
        distribution = _native_distribution(initial_values)
        if distribution is not None:
            value = _draw(parent, variable, distribution, initial=True)
            value = value if mask is None else value[mask]
        elif hasattr(initial_values, "evaluate"):
            value = initial_values.evaluate(simplify=False)
        else:
            value = np.broadcast_to(initial_values, (self.size,))
        if mask is None:
            current[:] = value
        else:
            current[mask] = value
        if not np.all(np.isfinite(current)):
            raise errors.InvalidParameterValueError(
                f"initial values of {variable} must be finite numbers")
        if state.built and parent.celltype.core_name in simulator.LIVE_CELL_TYPES:
            try:
                state.sim.initialize(parent._core_label, variable, as_f64(current))
            except ValueError as err:
                raise errors.InvalidParameterValueError(str(err)) from err
            state._diagnose = True
        elif state.sim is not None:
            state.changing("initial values")
        parent._initial_values[variable] = current


class PopulationView(_ParameterHooks, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _simulator = simulator
    _assembly_class = Assembly

    def _parent_and_mask(self):
        return self.grandparent, np.asarray(self.index_in_grandparent(np.arange(self.size)))

    @property
    def initial_values(self):
        """The initial values of the view's cells (a new dict of arrays)."""
        parent, mask = self._parent_and_mask()
        return {name: values[mask] for name, values in parent._initial_values.items()}

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_ParameterHooks, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None,
                 initial_values={}, label=None):
        # refuse before PyNN registers anything (e.g. the recorder)
        state.check_change("the populations (a new population)")
        common.Population.__init__(self, size, cellclass, cellparams, structure,
                                   initial_values, label)

    def _parent_and_mask(self):
        return self, None

    def _create_cells(self):
        if not hasattr(self.celltype, "core_name"):
            raise errors.InvalidModelError(
                f"{type(self.celltype).__name__} is not an exactlif cell type: use the cell "
                "types of pyNN.exactlif (IF_curr_exp, IF_curr_alpha, IF_curr_delta, "
                "SpikeSourceArray, SpikeSourcePoisson)")
        state.changing("the populations (a new population)")
        self.all_cells = np.array(
            [simulator.ID(i) for i in range(state.id_counter, state.id_counter + self.size)],
            dtype=simulator.ID)
        self._mask_local = np.ones((self.size,), dtype=bool)
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        self._core_label = state.core_label(self)  # keys the core's draws
        self._parameters = _evaluate(self.celltype.native_parameters, self.size, self)
        self._initial_values = {
            name: np.full(self.size, float(value))
            for name, value in self.celltype.default_initial_values.items()
        }
        _check_values(self, {})  # e.g. unsorted spike times: InvalidParameterValueError
        self._core_index = len(state.populations)
        state.populations.append(self)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _build_into(self, net):
        """Add this population to the core network `net` (at build)."""
        index = net.create(self._core_label, self.size, self.celltype.core_name)
        assert index == self._core_index
        for name, values in self._parameters.items():
            if name == "spike_times":
                net.set_spike_times(index, _spike_lists(values))
            else:
                net.set(index, name, _compact(values))
        for name, values in self._initial_values.items():
            net.initialize(index, name, _compact(values))
        for variable, cells in self.recorder._core_selection():
            net.record(index, [variable], as_u32(cells))


def _compact(values):
    """One value when all cells share it, else one per cell (float64)."""
    values = as_f64(values)
    if values.size > 0 and np.all(values == values[0]):
        return values[:1].copy()
    return values
