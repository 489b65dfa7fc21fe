"""Projection of the exactlif backend.

PyNN's connectors hand the connections to the backend one post-synaptic cell at
a time (``_convergent_connect``). They are collected as NumPy arrays (no Python
object per synapse) and given to the core in one ``Network.connect`` call per
pair of populations at build. ``pre`` and ``post`` may be populations, views or
assemblies: indices are mapped to (population, cell) pairs.

The native path: between two Populations (or views of them), a standard connector whose rng is exactlif's
``NativeRNG`` or unseeded (a ``NumpyRNG`` without a seed, PyNN's default), with weights
and delays that are numbers or such random distributions, is not drawn by PyNN at all.
The projection becomes one of the core's own rules (``Network.connect_rule``), drawn from
the core's streams (the seed of ``setup(seed=...)`` and the projection's label), exactly
as a model file with the same network draws it; its connections are read back from the
core (``Network.connections``) for ``len()``, ``get()`` and ``save()``. An unlabelled
projection is labelled in the core as in a model file, ``"<pre>-><post>"`` (then ``#2``,
``#3``, ... for repeats; ``State.projection_label``).
"""

import numpy as np

from pyNN import common, errors
from pyNN.space import Space

from . import simulator
from .simulator import as_f64, as_u32, state
from .standardmodels.synapses import StaticSynapse

#: PyNN connector class -> the core's rule and the connector attributes it takes.
_NATIVE_CONNECTORS = {
    "AllToAllConnector": ("allow_self_connections",),
    "OneToOneConnector": (),
    "FixedProbabilityConnector": ("p_connect", "allow_self_connections"),
    "FixedNumberPreConnector": ("n", "allow_self_connections", "with_replacement"),
    "FixedNumberPostConnector": ("n", "allow_self_connections", "with_replacement"),
    "FixedTotalNumberConnector": ("n", "allow_self_connections", "with_replacement"),
}

#: The random distributions the core draws itself, with their parameter names.
_NATIVE_DISTRIBUTIONS = {
    "normal": ("mu", "sigma"), "normal_clipped": ("mu", "sigma", "low", "high"),
    "uniform": ("low", "high"), "lognormal": ("mu", "sigma"), "exponential": ("beta",),
    "gamma": ("k", "theta"),
}


def _native_rng(rng):
    """Whether draws from `rng` may come from the core's streams instead: exactlif's (PyNN's)
    ``NativeRNG``, no rng, a ``NumpyRNG`` without a seed, or the ``NumpyRNG`` PyNN's
    connectors put in place of a missing rng (``pyNN.connectors._get_rng(None)``, whose seed
    is fixed: a connector created without ``rng=``)."""
    from pyNN.connectors import _get_rng
    from pyNN.random import NativeRNG, NumpyRNG
    if rng is None or isinstance(rng, NativeRNG):
        return True
    if type(rng) is NumpyRNG:
        return rng.seed is None or rng.seed == _get_rng(None).seed
    return False


def _native_value(value):
    """A weight or delay for the core (a number or a distribution dict), or None."""
    base = getattr(value, "base_value", value)
    if isinstance(base, (int, float, np.integer, np.floating)) and not isinstance(base, bool):
        return float(base)
    from pyNN.random import RandomDistribution
    if isinstance(base, RandomDistribution) and _native_rng(base.rng):
        names = _NATIVE_DISTRIBUTIONS.get(base.name)
        if names is not None and set(base.parameters) == set(names):
            out = {"distribution": base.name}
            out.update({k: float(v) for k, v in base.parameters.items()})
            return out
    return None


def _native_rule(projection, connector):
    """The core's rule for `connector` between the projection's populations, or None."""
    kind = type(connector).__name__
    keys = _NATIVE_CONNECTORS.get(kind)
    if keys is None or type(connector).__module__ != "pyNN.connectors":
        return None
    if _selection(projection.pre) is None or _selection(projection.post) is None:
        return None
    if getattr(connector, "location_selector", None) is not None:
        return None
    if not _native_rng(getattr(connector, "rng", None)):
        return None
    rule = {"type": kind}
    for key in keys:
        value = getattr(connector, key)
        if key == "n":
            if not isinstance(value, (int, np.integer)):
                return None  # a random number of connections: PyNN draws it
            value = int(value)
        elif key == "p_connect":
            value = float(value)
        else:
            value = bool(value)
        rule[key] = value
    space = projection.synapse_type.parameter_space
    weight = _native_value(space["weight"])
    delay_param = space["delay"]
    delay = _native_value(delay_param) if delay_param.base_value is not None \
        else float(state.min_delay if state.min_delay != "auto" else state.dt)
    if weight is None or delay is None:
        return None
    return rule, weight, delay


def _selection(neurons):
    """(population, its cells in the order of the view, or None for all of them) for a
    Population or a PopulationView of one listing each cell once: what the core's rules
    connect. None for anything else (an Assembly, a view listing a cell twice)."""
    if isinstance(neurons, common.Population):
        return neurons, None
    if isinstance(neurons, common.PopulationView) and isinstance(neurons.grandparent,
                                                                 common.Population):
        cells = np.asarray(neurons.index_in_grandparent(np.arange(neurons.size)),
                           dtype=np.int64)
        if np.unique(cells).size == cells.size:
            return neurons.grandparent, cells
    return None


def _positions(cells, indices):
    """The positions in the view of `cells` of the population indices `indices`."""
    if cells is None:
        return np.asarray(indices, dtype=np.int64)
    where = np.empty(int(cells.max()) + 1 if cells.size else 0, dtype=np.int64)
    where[cells] = np.arange(cells.size)
    return where[np.asarray(indices, dtype=np.int64)]


def _cells_kw(pre_cells, post_cells):
    """The ``pre_cells``/``post_cells`` arguments of ``Network.connect_rule`` for views."""
    kw = {}
    if pre_cells is not None:
        kw["pre_cells"] = as_u32(pre_cells)
    if post_cells is not None:
        kw["post_cells"] = as_u32(post_cells)
    return kw


def _list_rows(connector):
    """A copy of the rows of a FromListConnector (its ``connect`` sorts them in place), or
    None for another connector or an empty list."""
    from pyNN.connectors import FromListConnector
    if type(connector) is FromListConnector and connector.conn_list.size:
        return connector.conn_list.copy()
    return None


def _cells_of(neurons):
    """For each index of a Population, view or Assembly: (its population, its cell index)."""
    if isinstance(neurons, common.Assembly):
        parts = [_cells_of(p) for p in neurons.populations]
        pops = [pop for part in parts for pop in part[0]]
        offsets = np.cumsum([0] + [len(part[0]) for part in parts[:-1]])
        which = np.concatenate([part[1] + off for part, off in zip(parts, offsets)])
        cells = np.concatenate([part[2] for part in parts])
        return pops, which, cells
    if isinstance(neurons, common.PopulationView):
        cells = np.asarray(neurons.index_in_grandparent(np.arange(neurons.size)), dtype=np.int64)
        return [neurons.grandparent], np.zeros(neurons.size, dtype=np.int64), cells
    return [neurons], np.zeros(neurons.size, dtype=np.int64), np.arange(neurons.size)


class Connection(common.Connection):
    """One connection of a projection (``projection[i]``), read-only."""

    def __init__(self, projection, i):
        self.projection = projection
        self.presynaptic_index = int(projection._pre_idx[i])
        self.postsynaptic_index = int(projection._post_idx[i])
        self.weight = float(projection._weights[i])
        self.delay = float(projection._delays[i])

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population,
                 connector, synapse_type=None, source=None, receptor_type=None,
                 space=Space(), label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type,
                                   space, label)
        if not isinstance(self.synapse_type, StaticSynapse):
            raise NotImplementedError(
                f"exactlif has static synapses only, not {type(self.synapse_type).__name__}")
        state.changing("the projections (a new projection)")
        self._core_label = state.projection_label(self, label)
        self._chunks = []
        self._arrays = None
        self._rule = _native_rule(self, connector)
        if self._rule is None:
            rows = _list_rows(connector)
            connector.connect(self)
            self._finish()
            if rows is not None:
                self._keep_list_order(rows, connector.column_names)
        else:
            self._draw_native()
        state.projections.append(self)

    def _draw_native(self):
        """The connections the core's rule draws, read back from a network holding the two
        populations and this projection (the draws depend on the seed, the label, the rule
        and the populations' sizes only)."""
        from .simulator import core, translate_build_error
        _core = core()
        net = state.new_core_network()
        rule, weight, delay = self._rule
        (pre_pop, pre_cells), (post_pop, post_cells) = _selection(self.pre), \
            _selection(self.post)
        try:
            pre = net.create("pre", pre_pop.size, pre_pop.celltype.core_name)
            post = pre if pre_pop is post_pop else \
                net.create("post", post_pop.size, post_pop.celltype.core_name)
            net.connect_rule(pre, post, rule, weight, delay, self.receptor_type,
                             label=self._core_label, **_cells_kw(pre_cells, post_cells))
            net.check_memory()  # before drawing the connections
            pre_idx, post_idx, w, d = net.connections(0)
        except _core.BuildError as err:
            raise translate_build_error(err) from err
        # the core gives population indices; a projection's are positions in its pre and post
        self._pre_idx = _positions(pre_cells, pre_idx)
        self._post_idx = _positions(post_cells, post_idx)
        self._weights, self._delays = w, d

    # --- collecting connections ---------------------------------------------

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("exactlif has point neurons only (no location_selector)")
        pre = np.asarray(presynaptic_indices, dtype=np.int64).ravel()
        n = pre.size
        if n == 0:
            return
        weight = np.broadcast_to(as_f64(connection_parameters.get("weight", 0.0)), (n,))
        delay = np.broadcast_to(as_f64(connection_parameters.get("delay", state.dt)), (n,))
        self._chunks.append((pre, np.full(n, int(postsynaptic_index), dtype=np.int64),
                             weight.copy(), delay.copy()))

    def _keep_list_order(self, rows, column_names):
        """Put the connections of a FromListConnector in the order of its list.

        PyNN's ``FromListConnector.connect`` hands the rows over by target, in the order of an
        unstable ``np.argsort`` of the targets, which may swap the rows of one pair of cells
        (several synapses, e.g. with different weights). The core keeps a pair's synapses in
        the order given, and the inputs of one spike that arrive together are summed in that
        order, so a script and the model file with the same list would differ in the last
        bit. This undoes that argsort; should the connections not be the list's rows then
        (another PyNN), PyNN's order is kept. A pair's swapped synapses differ in weight or
        delay (else their order does not matter), so the check below sees a wrong order.
        """
        # FromListConnector.connect's sort, on the same array (every cell is local here)
        order = np.argsort(rows[:, 1])
        if order.size != len(self):
            return
        back = np.empty_like(order)
        back[order] = np.arange(order.size)
        arrays = [np.asarray(a)[back] for a in
                  (self._pre_idx, self._post_idx, self._weights, self._delays)]
        columns = {"weight": 2, "delay": 3}
        checks = [(arrays[0], rows[:, 0]), (arrays[1], rows[:, 1])]
        checks += [(arrays[columns[name]], rows[:, col])
                   for col, name in enumerate(column_names, 2) if name in columns]
        if all(np.array_equal(a, b) for a, b in checks):
            self._pre_idx, self._post_idx, self._weights, self._delays = arrays

    def _finish(self):
        """Concatenate the collected chunks into the projection's arrays."""
        if self._chunks:
            pre, post, w, d = (np.concatenate(c) for c in zip(*self._chunks))
        else:
            pre = post = np.zeros(0, dtype=np.int64)
            w = d = np.zeros(0)
        self._chunks = []
        self._pre_idx, self._post_idx, self._weights, self._delays = pre, post, w, d

    def _build_into(self, net):
        """Add the connections to the core network: the core's own rule on the native path,
        else one list per pair of populations."""
        if self._rule is not None:
            rule, weight, delay = self._rule
            (pre_pop, pre_cells), (post_pop, post_cells) = _selection(self.pre), \
                _selection(self.post)
            net.connect_rule(pre_pop._core_index, post_pop._core_index, rule, weight, delay,
                             self.receptor_type, label=self._core_label,
                             **_cells_kw(pre_cells, post_cells))
            return
        for pre_pop, post_pop, pre, post, w, d, label in self._list_parts():
            net.connect(pre_pop._core_index, post_pop._core_index, as_u32(pre), as_u32(post),
                        as_f64(w), as_f64(d), self.receptor_type, label=label)

    def _list_parts(self):
        """The connections as lists, one per pair of populations the projection joins:
        (pre population, post population, pre cells, post cells, weights, delays, label).
        A projection between Assemblies (several pairs) labels each part
        ``"<label> (<pre>-><post>)"``, so that labels stay unique in the core."""
        pre_pops, pre_which, pre_cells = _cells_of(self.pre)
        post_pops, post_which, post_cells = _cells_of(self.post)
        a = pre_which[self._pre_idx]
        b = post_which[self._post_idx]
        several = len(pre_pops) * len(post_pops) > 1
        for i, pre_pop in enumerate(pre_pops):
            for j, post_pop in enumerate(post_pops):
                sel = (a == i) & (b == j)
                if several and not sel.any():
                    continue
                label = (f"{self._core_label} ({pre_pop._core_label}->{post_pop._core_label})"
                         if several else self._core_label)
                yield (pre_pop, post_pop, pre_cells[self._pre_idx[sel]],
                       post_cells[self._post_idx[sel]], np.asarray(self._weights)[sel],
                       np.asarray(self._delays)[sel], label)

    # --- access ---------------------------------------------------------------

    def __len__(self):
        return int(self._pre_idx.size)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            if not -len(self) <= i < len(self):
                raise IndexError(f"projection has {len(self)} connections, no connection {i}")
            return Connection(self, int(i) % len(self))
        return [self[j] for j in range(len(self))[i]]

    def _columns(self, name):
        columns = {
            "presynaptic_index": self._pre_idx,
            "postsynaptic_index": self._post_idx,
            "weight": self._weights, "weights": self._weights,
            "delay": self._delays, "delays": self._delays,
        }
        if name not in columns:
            raise errors.NonExistentParameterError(name, "StaticSynapse", ["weight", "delay"])
        return columns[name]

    def _get_attributes_as_list(self, names):
        columns = [self._columns(name) for name in names]
        types = [int if name.endswith("index") else float for name in names]
        return list(zip(*[[t(x) for x in c] for c, t in zip(columns, types)]))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        out = []
        for name in names:
            values = np.full((self.pre.size, self.post.size), np.nan)
            column = self._columns(name)
            if multiple_synapses == "last":
                values[self._pre_idx, self._post_idx] = column
            else:
                order = np.arange(len(self))
                if multiple_synapses == "first":
                    order = order[::-1]
                    values[self._pre_idx[order], self._post_idx[order]] = column[order]
                else:
                    op = {"sum": np.add, "min": np.fmin, "max": np.fmax}[multiple_synapses]
                    filled = np.zeros_like(values, dtype=bool)
                    filled[self._pre_idx, self._post_idx] = True
                    acc = np.full_like(values, 0.0 if multiple_synapses == "sum" else np.nan)
                    op.at(acc, (self._pre_idx, self._post_idx), column)
                    values[filled] = acc[filled]
            out.append(values)
        return out

    def _set_attributes(self, parameter_space):
        """Projection.set(weight=..., delay=...).

        Weights may change at any time: during a run every input arriving after the
        current time has its new weight (``Simulation.update_weights``). Delays only before
        the first run or after ``reset()`` (spikes in flight would need their old delays).
        """
        changes_delays = "delay" in parameter_space.keys()
        if changes_delays:
            state.check_change("synaptic delays")
        parameter_space.evaluate(mask=(self._pre_idx, self._post_idx))
        new = {}
        for name, value in parameter_space.items():
            new[name] = np.broadcast_to(as_f64(value), (len(self),)).copy()
        if "weight" in new:
            # checked now, by the build's rule, so a bad weight changes nothing
            from .simulator import core, translate_build_error
            try:
                core().check_weights(new["weight"], self.receptor_type,
                                     f'projection "{self.label}"',
                                     getattr(getattr(self.post, "celltype", None),
                                             "core_name", None))
            except core().BuildError as err:
                raise translate_build_error(err) from err
        if changes_delays:
            state.changing("synaptic delays")
        else:
            state.changing_weights("synaptic weights")
        self._rule = None  # the connections are a list from now on
        if "weight" in new:
            self._weights = new["weight"]
        if "delay" in new:
            self._delays = new["delay"]
