"""Shared fixtures of the Python tests of the PyNN backend (`import pyNN.exactlif as sim`).

Needs exactlif installed (`pip install .`), PyNN 0.13, pytest and matplotlib (for the
plotting test).
"""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def sim():
    """pyNN.exactlif after a fresh setup(timestep=0.1); end() afterwards."""
    import pyNN.exactlif as sim
    sim.setup(timestep=0.1)
    yield sim
    sim.end()
