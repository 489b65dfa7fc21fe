"""The Recorder of the exactlif backend.

What is recorded is part of the network description and handed to the core at
build (``Network.record``). The data come from ``Simulation.get_data()``, read
once per run and shared by every population. PyNN's ``recording.Recorder``
turns them into Neo Blocks: one Segment per ``reset()``. ``get_data(clear=True)``
is done here: data before the time of the clearing are dropped.
"""

import numpy as np

from pyNN import recording

from . import simulator
from .errors import RecordingError
from .simulator import state


class Recorder(recording.Recorder):
    _simulator = simulator

    def record(self, variables, ids, sampling_interval=None, locations=None):
        # PyNN's check first, with exactlif's reason (recording isyn_exc of IF_curr_delta)
        for variable in self._localize_variables(variables, locations):
            if not self.population.can_record(variable.name, variable.location):
                raise RecordingError(variable, self.population.celltype)
        super().record(variables, ids, sampling_interval, locations)

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None:
            ratio = sampling_interval / state.dt
            if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
                raise ValueError(
                    f"sampling_interval ({sampling_interval} ms) must be a multiple of the "
                    f"time step ({state.dt} ms)")
            self.sampling_interval = sampling_interval
        if new_ids:
            state.changing_recording("what is recorded")

    def _reset(self):
        # record(None): stop recording everything
        state.changing_recording("what is recorded")

    def _core_selection(self):
        """(variable name, recorded cell indices or None for all) for the core."""
        population = self.population
        out = []
        for variable, ids in self.recorded.items():
            if not ids:
                continue
            if len(ids) == population.size:
                cells = None
            else:
                cells = np.sort(population.id_to_index(np.fromiter(ids, dtype=int)))
            out.append((variable.name, cells))
        return out

    # --- data ---------------------------------------------------------------

    def _data(self):
        return state.data(self.population)

    def _get_spiketimes(self, ids, clear=False):
        """(ids, times) of the spikes of the cells `ids`, from the clearing time on."""
        data = self._data()
        ids = np.asarray(ids, dtype=int)
        if ids.size == 0:
            return {}
        if data is None:
            return np.zeros(0, dtype=int), np.zeros(0)
        cells, times = data["spikes"]
        cells = np.asarray(cells, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        keep = times >= state.clear_time(self.population)
        wanted = np.isin(cells, self.population.id_to_index(ids))
        keep &= wanted
        cells, times = cells[keep], times[keep]
        return self.population.all_cells[cells].astype(int), times.copy()

    def _get_all_signals(self, variable, ids, clear=False):
        """A (n_times, len(ids)) array of `variable` for the cells `ids`."""
        n_ids = len(ids)
        data = self._data()
        if data is None or n_ids == 0:
            return np.zeros((0, n_ids)), None
        signal = data["signals"].get(variable.name)
        if signal is None:
            # recorded since the last run: no sample yet (NaN up to now)
            n = int(round(state.t / state.dt)) + 1
            signal = {"times": np.arange(n) * state.dt, "values": np.full((n, 0), np.nan),
                      "neurons": np.zeros(0, dtype=np.int64)}
        times = np.asarray(signal["times"], dtype=np.float64)
        values = np.asarray(signal["values"], dtype=np.float64)
        neurons = np.asarray(signal["neurons"], dtype=np.int64)
        column = np.full(self.population.size, -1, dtype=np.int64)
        column[neurons] = np.arange(neurons.size)
        columns = column[self.population.id_to_index(np.asarray(ids, dtype=int))]
        rows = times >= state.clear_time(self.population) - 1e-9 * state.dt
        step = int(round(self.sampling_interval / state.dt))
        if step > 1:
            rows &= np.isclose(np.mod(np.rint(times / state.dt), step), 0)
        # a cell recorded since the last run has no column yet: NaN, as before it was recorded
        padded = np.concatenate([values, np.full((values.shape[0], 1), np.nan)], axis=1)
        columns = np.where(columns < 0, values.shape[1], columns)
        return padded[np.ix_(rows, columns)], None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        counts = {int(i): 0 for i in ids}
        if ids:
            id_array, _ = self._get_spiketimes(ids)
            found, n = np.unique(id_array, return_counts=True)
            counts.update({int(i): int(c) for i, c in zip(found, n)})
        return counts

    def _clear_simulator(self):
        state.clear_data(self.population)
