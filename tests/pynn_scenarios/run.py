#!/usr/bin/env python3
"""Run PyNN 0.13's own system scenarios against pyNN.exactlif.

PyNN is CeCILL-licensed, so its tests are not part of this repository: this script
downloads the PyNN 0.13.0 sdist from the package registry (``pip download``) into a
cache directory outside the repository, unpacks it, imports the scenario modules of
``test/system/scenarios/`` listed in SCENARIO_FILES and calls each scenario function
(those PyNN's own pytest run collects: named ``test*`` and parametrized over ``sim``)
with ``sim=pyNN.exactlif``.

Each scenario runs alone in a child process forked from this one (a fresh simulator
state; files the scenarios write go to a temporary working directory). Outcomes:

- ``passed``;
- ``skipped``: the scenario needs a model exactlif lacks (our backend raised
  ``exactlif.pynn.errors.ModelNotAvailableError``), or called ``pytest.skip`` itself
  (e.g. when scipy is missing);
- ``failed``: anything else, with the exception as the reason.

The exit status is 0 when every failure is listed in ``expected_failures.txt`` (beside
this file; one ``module::function  reason`` per line) and every listed scenario still
fails; 1 when a scenario fails unexpectedly or a listed one no longer fails (so the
list stays honest); 3 when the sdist cannot be had (the registry is unreachable).

Usage::

    python tests/pynn_scenarios/run.py [--cache DIR] [-k SUBSTRING] [--timeout S] [-v]

The cache directory is ``$EXACTLIF_PYNN_CACHE`` or ``~/.cache/exactlif/pynn``.
"""

import argparse
import hashlib
import importlib.util
import multiprocessing
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback

PYNN_VERSION = "0.13.0"
SDIST = f"pynn-{PYNN_VERSION}.tar.gz"
SDIST_SHA256 = "da2821e45055a88de6cf34896067eaaebcabbfdfb7883dd147353e7b78617815"

#: The scenario files of issue 13: simulation control, cell types, connection handling,
#: electrodes, parameter handling, recording and scenario2.
SCENARIO_FILES = (
    "test__simulation_control.py",
    "test_cell_types.py",
    "test_connection_handling.py",
    "test_electrodes.py",
    "test_parameter_handling.py",
    "test_recording.py",
    "test_scenario2.py",
)

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_FAILURES = os.path.join(HERE, "expected_failures.txt")

EXIT_OK, EXIT_FAILED, EXIT_NO_SDIST = 0, 1, 3


class SdistUnavailable(Exception):
    """The PyNN sdist could not be downloaded (e.g. the registry is unreachable)."""


# --- the sdist ---------------------------------------------------------------------


def default_cache():
    return os.environ.get("EXACTLIF_PYNN_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "exactlif", "pynn")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_sdist(cache):
    """The path of the PyNN 0.13.0 sdist in `cache`, downloaded if not there yet."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, SDIST)
    if not (os.path.exists(path) and sha256(path) == SDIST_SHA256):
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--no-binary", ":all:", f"PyNN=={PYNN_VERSION}", "-d", cache]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not os.path.exists(path):
            raise SdistUnavailable(
                f"could not download PyNN {PYNN_VERSION} ({' '.join(cmd)}):\n"
                + (result.stderr or result.stdout).strip()[-2000:])
        if sha256(path) != SDIST_SHA256:
            raise SystemExit(f"{path}: unexpected sha256 {sha256(path)} (want {SDIST_SHA256})")
    return path


def unpack(sdist, cache):
    """The `test/system/scenarios` directory of the unpacked sdist."""
    root = os.path.join(cache, f"pynn-{PYNN_VERSION}")
    scenarios = os.path.join(root, "test", "system", "scenarios")
    if not os.path.isdir(scenarios):
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers()
                       if m.name.startswith(f"pynn-{PYNN_VERSION}/test/")]
            tar.extractall(cache, members=members, filter="data") \
                if hasattr(tarfile, "data_filter") else tar.extractall(cache, members=members)
    for name in SCENARIO_FILES:
        if not os.path.exists(os.path.join(scenarios, name)):
            raise SystemExit(f"{name} is not in {scenarios}: the sdist's layout changed")
    return scenarios


# --- the scenarios -----------------------------------------------------------------

PACKAGE = "_pynn_system_scenarios"


def import_scenarios(directory):
    """Import the scenario files as modules of a private package; yield (name, function)."""
    spec = importlib.util.spec_from_file_location(
        PACKAGE, os.path.join(directory, "__init__.py"), submodule_search_locations=[directory])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    for filename in SCENARIO_FILES:
        stem = filename[:-3]
        module = importlib.import_module(f"{PACKAGE}.{stem}")
        for name, obj in vars(module).items():
            if name.startswith("test") and callable(obj) and _parametrized_over_sim(obj) \
                    and getattr(obj, "__module__", None) == module.__name__:
                yield f"{stem}::{name}", obj


def _parametrized_over_sim(function):
    return any(mark.name == "parametrize" and mark.args and mark.args[0] == "sim"
               for mark in getattr(function, "pytestmark", []))


def _classify(exc):
    """('skipped' | 'failed', reason) for an exception a scenario raised."""
    import pytest
    from exactlif.pynn.errors import ModelNotAvailableError
    seen = exc
    while seen is not None:
        if isinstance(seen, ModelNotAvailableError):
            return "skipped", f"needs {seen.model}, a model exactlif lacks"
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, pytest.skip.Exception):
        return "skipped", f"pytest.skip: {exc.msg}"
    text = str(exc).strip().splitlines()
    return "failed", f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


def _child(function, conn, workdir, verbose):
    """Run one scenario (in a forked child) and send (outcome, reason, traceback).

    What the scenario prints goes to ``output.txt`` in `workdir` (shown with -v).
    """
    import warnings
    os.chdir(workdir)
    sys.stdout.flush()
    sys.stderr.flush()
    log = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    warnings.simplefilter("ignore")
    try:
        import pyNN.exactlif as sim
        function(sim)
        result = ("passed", "", "")
    except BaseException as exc:  # noqa: BLE001 - every outcome is reported
        outcome, reason = _classify(exc)
        result = (outcome, reason, traceback.format_exc() if verbose else "")
    conn.send(result)
    conn.close()


def run_one(function, timeout, verbose):
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    with tempfile.TemporaryDirectory(prefix="exactlif-scenario-") as workdir:
        process = ctx.Process(target=_child, args=(function, child, workdir, verbose))
        process.start()
        child.close()
        if parent.poll(timeout):
            try:
                result = parent.recv()
            except EOFError:
                result = None
        else:
            process.kill()
            result = ("failed", f"timed out after {timeout:g} s", "")
        process.join()
        if result is None:
            result = ("failed", f"the child process died (exit code {process.exitcode})", "")
        if verbose and result[0] != "passed":
            with open(os.path.join(workdir, "output.txt"), errors="replace") as f:
                output = f.read()[-4000:]
            if output.strip():
                result = result[:2] + (result[2] + "output:\n" + output,)
    return result


def read_expected(path=EXPECTED_FAILURES):
    """{scenario: reason} from expected_failures.txt ('#' starts a comment)."""
    expected = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    name, _, reason = line.partition(" ")
                    expected[name] = reason.strip()
    return expected


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", default=default_cache(),
                        help="where the sdist is downloaded and unpacked (default: %(default)s)")
    parser.add_argument("-k", dest="select", default="",
                        help="run only the scenarios whose name contains this")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds allowed per scenario (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the traceback of each failure")
    args = parser.parse_args(argv)

    import pyNN
    if not pyNN.__version__.startswith("0.13"):
        print(f"PyNN {pyNN.__version__} is installed; these are PyNN 0.13's scenarios",
              file=sys.stderr)
        return EXIT_FAILED
    import pyNN.exactlif  # noqa: F401 - fail here, not in every scenario, if it is missing

    try:
        sdist = fetch_sdist(os.path.abspath(args.cache))
    except SdistUnavailable as err:
        print(f"PyNN {PYNN_VERSION} sdist unavailable: {err}", file=sys.stderr)
        return EXIT_NO_SDIST
    directory = unpack(sdist, os.path.abspath(args.cache))
    scenarios = [(n, f) for n, f in import_scenarios(directory) if args.select in n]
    expected = read_expected()

    problems = []
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    width = max((len(n) for n, _ in scenarios), default=10)
    print(f"PyNN {PYNN_VERSION} system scenarios on pyNN.exactlif ({directory})")
    for name, function in scenarios:
        start = time.perf_counter()
        outcome, reason, tb = run_one(function, args.timeout, args.verbose)
        seconds = time.perf_counter() - start
        counts[outcome] += 1
        note = ""
        if outcome == "failed" and name not in expected:
            problems.append(f"{name} failed unexpectedly: {reason}")
            note = "  <-- unexpected"
        elif outcome == "failed":
            note = "  (expected)"
        elif name in expected:
            problems.append(f"{name} is listed in expected_failures.txt but {outcome}: "
                            "remove it from the list")
            note = "  <-- listed as an expected failure"
        shown = outcome + (f" ({reason})" if reason else "")
        print(f"{name:<{width}}  {shown}  [{seconds:.1f} s]{note}", flush=True)
        if tb:
            print("    " + tb.rstrip().replace("\n", "\n    "))
    if not args.select:
        for name in sorted(set(expected) - {n for n, _ in scenarios}):
            problems.append(f"{name} is listed in expected_failures.txt but is no scenario")
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    for problem in problems:
        print("ERROR: " + problem)
    return EXIT_FAILED if problems else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
