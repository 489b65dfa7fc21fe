#!/usr/bin/env python3
"""PyNN's examples/VAbenchmarks.py CUBA on pyNN.exactlif and pyNN.nest, alternating.

Issue 13's target: VAbenchmarks CUBA, build plus simulate, at least 5x faster on
pyNN.exactlif than on pyNN.nest on the same machine, measured in one run.

PyNN is CeCILL-licensed, so VAbenchmarks.py is not part of this repository: it is taken
from the PyNN 0.13.0 sdist, downloaded from the package registry by
tests/pynn_scenarios/run.py's fetch_sdist into its cache (``$EXACTLIF_PYNN_CACHE`` or
``~/.cache/exactlif/pynn``), or from ``--example PATH``.

Each run is ``python VAbenchmarks.py <backend> CUBA`` in a fresh child process, in a
temporary working directory (the script writes Results/). The script's own timers are
used: "Build time" (setup to recording set up, after the network is built) and
"Simulation time" (``sim.run(1000)``). The runs alternate exactlif, nest, exactlif, ...;
the medians over the runs and their ratio are printed.

Usage::

    python benchmarks/python/vabenchmarks.py [--runs 3] [--example PATH] [--backends exactlif nest]
"""

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = "examples/VAbenchmarks.py"


def _scenario_runner():
    path = os.path.join(ROOT, "tests", "pynn_scenarios", "run.py")
    spec = importlib.util.spec_from_file_location("_pynn_scenarios_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def locate_example(cache=None):
    """The path of VAbenchmarks.py from the PyNN 0.13.0 sdist (downloaded if needed)."""
    run = _scenario_runner()
    cache = cache or run.default_cache()
    root = os.path.join(cache, f"pynn-{run.PYNN_VERSION}")
    path = os.path.join(root, EXAMPLE)
    if not os.path.exists(path):
        sdist = run.fetch_sdist(cache)
        member = f"pynn-{run.PYNN_VERSION}/{EXAMPLE}"
        with tarfile.open(sdist) as tar:
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(cache, members=[tar.getmember(member)], **kwargs)
    return path


PATTERNS = {
    "build": re.compile(r"^Build time\s*:\s*([0-9.eE+-]+) s", re.M),
    "simulate": re.compile(r"^Simulation time\s*:\s*([0-9.eE+-]+) s", re.M),
    "write": re.compile(r"^Writing time\s*:\s*([0-9.eE+-]+) s", re.M),
    "exc_rate": re.compile(r"^Excitatory rate\s*:\s*([0-9.eE+-]+) Hz", re.M),
    "synapses": re.compile(r"^Number of Synapses\s*:\s*(.*)$", re.M),
}


def run_once(example, backend, workdir):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, example, backend, "CUBA"], cwd=workdir,
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{backend}: exit {result.returncode}\n{result.stderr[-3000:]}")
    out = {"wall": wall}
    for key, pattern in PATTERNS.items():
        match = pattern.search(result.stdout)
        if match is None:
            raise SystemExit(f"{backend}: no '{key}' in the output:\n{result.stdout[-3000:]}")
        out[key] = match.group(1) if key == "synapses" else float(match.group(1))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--example", help="path of VAbenchmarks.py (default: from the sdist)")
    parser.add_argument("--cache", help="sdist cache directory")
    parser.add_argument("--backends", nargs="+", default=["exactlif", "nest"])
    args = parser.parse_args()
    example = os.path.abspath(args.example or locate_example(args.cache))
    print(f"# {example}")
    results = {b: [] for b in args.backends}
    with tempfile.TemporaryDirectory(prefix="vabench-") as workdir:
        for i in range(args.runs):
            for backend in args.backends:
                r = run_once(example, backend, workdir)
                results[backend].append(r)
                print(f"run {i + 1} {backend:9s} build {r['build']:.3f} s  simulate "
                      f"{r['simulate']:.3f} s  build+simulate {r['build'] + r['simulate']:.3f} s"
                      f"  write {r['write']:.3f} s  wall {r['wall']:.2f} s  "
                      f"exc rate {r['exc_rate']:g} Hz  synapses {r['synapses']}", flush=True)
    print("\nmedians over", args.runs, "runs:")
    medians = {}
    for backend, runs in results.items():
        m = {k: statistics.median(r[k] for r in runs)
             for k in ("build", "simulate", "write", "wall")}
        m["total"] = statistics.median(r["build"] + r["simulate"] for r in runs)
        medians[backend] = m
        print(f"  {backend:9s} build {m['build']:.3f} s  simulate {m['simulate']:.3f} s  "
              f"build+simulate {m['total']:.3f} s  wall {m['wall']:.2f} s")
    if "exactlif" in medians and "nest" in medians:
        for key in ("build", "simulate", "total", "wall"):
            ratio = medians["nest"][key] / medians["exactlif"][key]
            print(f"  nest / exactlif {key:8s}: {ratio:.2f}x")
        ratio = medians["nest"]["total"] / medians["exactlif"]["total"]
        print(f"target (build+simulate >= 5x faster than pyNN.nest): "
              f"{'met' if ratio >= 5 else 'NOT met'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
