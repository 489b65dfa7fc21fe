#!/usr/bin/env python3
"""Python-side performance of the PyNN backend on CUBA (issue 13's performance targets).

The network is the CUBA benchmark of PyNN's examples/VAbenchmarks.py: 3200 excitatory and
800 inhibitory IF_curr_exp cells, initial v uniform in [-60, -50] mV, four
FixedProbabilityConnector(0.02) projections with weights 0.0162 / -0.09 nA and delay
0.2 ms, spikes recorded, 1000 ms. Measured (wall clock, time.perf_counter), each the
median of --reps repetitions in this process:

1. **build, NumpyRNG path** (target < 2 s): setup() through Population, initialize,
   Projection (a NumpyRNG(seed=98765, parallel_safe=True), as VAbenchmarks.py) and record,
   plus the build of the Rust network, which pyNN.exactlif does at the first run()
   (here forced with the backend's ``simulator.state.ensure_built()``). The two parts are
   printed separately too.
2. **build, native path** (target < 0.5 s): (a) the same script with ``sim.NativeRNG()``
   for the connector and the initial v, which pyNN.exactlif maps onto the core's own
   FixedProbabilityConnector rule (exactlif draws the connectivity, so the connections
   differ from the NumpyRNG ones), plus the Rust build; (b) as a lower bound, the same
   network through ``_core.Network`` directly (``connect_rule``, ``Network.build()``).
3. **Python overhead of run()** (target < 5 % of the engine time): on the network PyNN
   built, alternately ``sim.reset(); sim.run(1000)`` (PyNN) and ``sim.reset()``, then the
   core's ``Simulation.run_until(1000)`` on the same Simulation object; overhead =
   (median PyNN - median core) / median core. The median of the paired differences is
   printed too. Since run-to-run noise is larger than the overhead, the overhead is also
   measured within each PyNN run: the core Simulation is wrapped in a proxy that times its
   ``run_until`` call inside ``sim.run``; overhead = sim.run time - that inner time.
4. **get_data() of CUBA's spikes** (target < 50 ms): after a run(1000),
   ``exc.get_data("spikes")`` plus ``inh.get_data("spikes")`` (Neo Blocks; the backend
   fetches the core's data once per run, included), and the core's ``get_data()`` alone.

Usage::

    python benchmarks/python/perf.py [--reps 5]
"""

import argparse
import gc
import statistics
import time
import warnings

import numpy as np

SEED = 98765
N, N_EXC = 4000, 3200
P_CONNECT = 0.02
DELAY = 0.2
AREA = 20000.0 * 1e-8
CELL = dict(tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=-49.0, v_reset=-60.0,
            v_thresh=-50.0, cm=1.0 * AREA * 1000, tau_refrac=5.0)
W_EXC = 1e-3 * 0.27 * (0.0 - -60.0)
W_INH = 1e-3 * 4.5 * (-80.0 - -60.0)
T_STOP = 1000.0


def median(xs):
    return statistics.median(xs)


# --- PyNN (NumpyRNG) ----------------------------------------------------------------

def pynn_build(sim, native=False):
    """Build CUBA on pyNN.exactlif (with a seeded NumpyRNG, or sim.NativeRNG() if `native`);
    return (exc, inh, t_description, t_core_build)."""
    from pyNN.random import NumpyRNG, RandomDistribution
    t0 = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=DELAY, max_delay=1.0, seed=SEED)
    celltype = sim.IF_curr_exp(**CELL)
    exc = sim.Population(N_EXC, celltype, label="Excitatory_Cells")
    inh = sim.Population(N - N_EXC, celltype, label="Inhibitory_Cells")
    rng = sim.NativeRNG() if native else NumpyRNG(seed=SEED, parallel_safe=True)
    uniform = RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng)
    exc.initialize(v=uniform)
    inh.initialize(v=uniform)
    connector = sim.FixedProbabilityConnector(P_CONNECT, rng=rng)
    exc_syn = sim.StaticSynapse(weight=W_EXC, delay=DELAY)
    inh_syn = sim.StaticSynapse(weight=W_INH, delay=DELAY)
    sim.Projection(exc, exc, connector, exc_syn, receptor_type="excitatory")
    sim.Projection(exc, inh, connector, exc_syn, receptor_type="excitatory")
    sim.Projection(inh, exc, connector, inh_syn, receptor_type="inhibitory")
    sim.Projection(inh, inh, connector, inh_syn, receptor_type="inhibitory")
    exc.record("spikes")
    inh.record("spikes")
    t1 = time.perf_counter()
    sim.simulator.state.ensure_built()
    t2 = time.perf_counter()
    return exc, inh, t1 - t0, t2 - t1


# --- exactlif._core (native connector) ----------------------------------------------

def core_build():
    from exactlif import _core
    t0 = time.perf_counter()
    net = _core.Network(0.1, seed=SEED, min_delay=DELAY)
    pops = [net.create("Excitatory_Cells", N_EXC, "IF_curr_exp"),
            net.create("Inhibitory_Cells", N - N_EXC, "IF_curr_exp")]
    for p in pops:
        for name, value in CELL.items():
            net.set(p, name, value)
        net.initialize(p, "v", {"distribution": "uniform", "low": -60.0, "high": -50.0})
    rule = {"type": "FixedProbabilityConnector", "p_connect": P_CONNECT}
    for pre, w, receptor in ((pops[0], W_EXC, "excitatory"), (pops[1], W_INH, "inhibitory")):
        for post in pops:
            net.connect_rule(pre, post, rule, w, DELAY, receptor)
    for p in pops:
        net.record(p, ["spikes"])
    simulation = net.build()
    t1 = time.perf_counter()
    return simulation, t1 - t0


class _TimedSimulation:
    """Delegates to the core Simulation, timing run_until (the engine time inside sim.run)."""

    def __init__(self, simulation):
        self._simulation = simulation
        self.inner = []

    def run_until(self, t_stop):
        t0 = time.perf_counter()
        self._simulation.run_until(t_stop)
        self.inner.append(time.perf_counter() - t0)

    def __getattr__(self, name):
        return getattr(self._simulation, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import pyNN.exactlif as sim
    from exactlif import _core  # noqa: F401  (import outside the timings)

    # 1. NumpyRNG path
    desc, core, n_syn = [], [], None
    for _ in range(args.reps):
        gc.collect()
        exc, inh, t_desc, t_core = pynn_build(sim)
        desc.append(t_desc)
        core.append(t_core)
        n_syn = sim.simulator.state.sim.n_synapses
        sim.end()
    total = [a + b for a, b in zip(desc, core)]
    print(f"1. CUBA built from PyNN, NumpyRNG path ({n_syn} synapses), median of {args.reps}:")
    print(f"   PyNN description {median(desc):.3f} s + Rust network build {median(core):.3f} s"
          f" = {median(total):.3f} s  (runs: {', '.join(f'{t:.3f}' for t in total)})")
    print(f"   target < 2 s: {'met' if median(total) < 2 else 'NOT met'}")

    # 2. native path: (a) from PyNN with NativeRNG, (b) through _core directly
    desc, core = [], []
    for _ in range(args.reps):
        gc.collect()
        exc, inh, t_desc, t_core = pynn_build(sim, native=True)
        desc.append(t_desc)
        core.append(t_core)
        n_pynn_native = sim.simulator.state.sim.n_synapses
        assert all(p._rule is not None for p in sim.simulator.state.projections)
        sim.end()
    total = [a + b for a, b in zip(desc, core)]
    print(f"2a. CUBA built from PyNN with NativeRNG: the core's rules ({n_pynn_native} "
          f"synapses), median of {args.reps}: PyNN description {median(desc):.3f} s + Rust "
          f"network build {median(core):.3f} s = {median(total):.3f} s  "
          f"(runs: {', '.join(f'{t:.3f}' for t in total)})")
    print(f"   target < 0.5 s: {'met' if median(total) < 0.5 else 'NOT met'}")
    native = []
    for _ in range(args.reps):
        gc.collect()
        simulation, t = core_build()
        native.append(t)
        n_native = simulation.n_synapses
        del simulation
    print(f"2b. CUBA built through exactlif._core with connect_rule FixedProbabilityConnector "
          f"({n_native} synapses), median of {args.reps}: {median(native):.3f} s  "
          f"(runs: {', '.join(f'{t:.3f}' for t in native)})")
    print(f"   (a lower bound of 2a: no PyNN layer)")

    # 3. run() overhead and 4. get_data()
    exc, inh, _, _ = pynn_build(sim)
    state = sim.simulator.state
    pynn_runs, core_runs, get_data, core_get_data, n_spikes = [], [], [], [], None
    inner_overhead = []
    for _ in range(args.reps):
        sim.reset()
        gc.collect()
        timed = state.sim = _TimedSimulation(state.sim)
        t0 = time.perf_counter()
        sim.run(T_STOP)
        pynn_runs.append(time.perf_counter() - t0)
        state.sim = timed._simulation
        assert len(timed.inner) == 1
        inner_overhead.append(pynn_runs[-1] - timed.inner[0])
        gc.collect()
        t0 = time.perf_counter()
        blocks = [exc.get_data("spikes"), inh.get_data("spikes")]
        get_data.append(time.perf_counter() - t0)
        n_spikes = sum(len(st) for b in blocks for st in b.segments[-1].spiketrains)
        sim.reset()
        state.ensure_built()
        gc.collect()
        t0 = time.perf_counter()
        state.sim.run_until(T_STOP)
        core_runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        state.sim.get_data()
        core_get_data.append(time.perf_counter() - t0)
    sim.end()
    diffs = [a - b for a, b in zip(pynn_runs, core_runs)]
    overhead = (median(pynn_runs) - median(core_runs)) / median(core_runs)
    print(f"3. run(1000): PyNN sim.run {median(pynn_runs) * 1e3:.1f} ms, core "
          f"Simulation.run_until {median(core_runs) * 1e3:.1f} ms (median of {args.reps}); "
          f"overhead {overhead * 100:+.2f} % of the engine time; median paired difference "
          f"{median(diffs) * 1e3:+.2f} ms ({median(diffs) / median(core_runs) * 100:+.2f} %)")
    print(f"   PyNN runs: {', '.join(f'{t * 1e3:.1f}' for t in pynn_runs)} ms; core runs: "
          f"{', '.join(f'{t * 1e3:.1f}' for t in core_runs)} ms")
    inner = median(inner_overhead)
    print(f"   within each sim.run: sim.run - core run_until inside it = {inner * 1e3:.3f} ms "
          f"(median; runs: {', '.join(f'{t * 1e3:.3f}' for t in inner_overhead)} ms) = "
          f"{inner / median(core_runs) * 100:.3f} % of the median engine time")
    print(f"   target < 5 % (judged on the within-run overhead; the difference of medians "
          f"above is dominated by run-to-run noise): "
          f"{'met' if inner / median(core_runs) < 0.05 else 'NOT met'}")
    print(f"4. get_data('spikes') of both populations ({n_spikes} spikes): "
          f"{median(get_data) * 1e3:.1f} ms (median of {args.reps}; runs: "
          f"{', '.join(f'{t * 1e3:.1f}' for t in get_data)} ms); core get_data() alone "
          f"{median(core_get_data) * 1e3:.2f} ms")
    print(f"   target < 50 ms: {'met' if median(get_data) < 0.05 else 'NOT met'}")


if __name__ == "__main__":
    main()
