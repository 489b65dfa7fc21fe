#!/usr/bin/env bash
# The one test command: the Rust tests of the core (`cargo test --release`, no Python needed),
# then the Python package built by maturin and installed (`pip install .`) into a virtual
# environment, and the Python tests (`pytest tests/python`).
#
# The environment is target/venv-test (set EXACTLIF_TEST_VENV to use another); pip brings
# maturin, pytest and the package's dependencies (PyNN, numpy, neo, quantities) from the
# package registry into it the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release

venv=${EXACTLIF_TEST_VENV:-target/venv-test}
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "maturin>=1.9,<2" pytest scipy "nest-simulator==3.10.*"
# --no-build-isolation: build with the maturin just installed, not a fresh copy each time.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation .
# both import names of the backend
"$venv/bin/python" -c "import exactlif._core, exactlif.pynn, pyNN.exactlif"

# pytest exits 5 when it collects no test: a failure only if there are test files to run.
if compgen -G "tests/python/test_*.py" >/dev/null; then
    "$venv/bin/python" -m pytest tests/python -q
else
    echo "tests/python holds no test file: no Python test to run"
fi
