"""PyNN's tutorial "Building and simulating a simple model", on exactlif.

The tutorial's script with two edits: the import (``pyNN.nest`` -> ``pyNN.exactlif``)
and ``t_refrac`` (a misspelling in the tutorial, which every PyNN backend rejects with
NonExistentParameterError) corrected to ``tau_refrac``.

With i_offset = 0.1 nA the cells settle at v_rest + i_offset * tau_m / cm = -64 mV,
below the -55 mV threshold: nothing fires, and exactlif warns about it.

Run it with ``python examples/tutorial.py [OUTPUT_DIR]`` (default: the current directory);
it writes simulation_results.png and simulation_results_gaussian.png.
"""

import os
import sys

import matplotlib.pyplot as plt
import pyNN.exactlif as sim
from pyNN.random import RandomDistribution
from pyNN.utility.plotting import Figure, Panel

out_dir = sys.argv[1] if len(sys.argv) > 1 else "."

sim.setup(timestep=0.1)

cell_type = sim.IF_curr_exp(v_rest=-65, v_thresh=-55, v_reset=-65, tau_refrac=1,
                            tau_m=10, cm=1, i_offset=0.1)
population1 = sim.Population(100, cell_type, label="Population 1")
population1.record("v")

sim.run(100.0)

data_v = population1.get_data().segments[0].filter(name="v")[0]
Figure(
    Panel(data_v[:, ::10], xlabel="Time (ms)", xticks=True,
          ylabel="Membrane potential (mV)", ylim=(-66, -48)),
    title="Current injection",
    annotations="Simulated with exactlif",
).save(os.path.join(out_dir, "simulation_results.png"))

# the second part: heterogeneous resting potentials and thresholds
plt.close("all")  # not in the tutorial: pyNN's Figure would draw into the first figure again
sim.reset()
population1.set(v_rest=RandomDistribution("normal", mu=-65.0, sigma=1.0))
population1.set(v_thresh=RandomDistribution("normal", mu=-55.0, sigma=1.0))
sim.run(100.0)

data_v = population1.get_data().segments[1].filter(name="v")[0]
Figure(
    Panel(data_v[:, ::10], xlabel="Time (ms)", xticks=True,
          ylabel="Membrane potential (mV)", ylim=(-68, -48)),
    title="Current injection, heterogeneous v_rest and v_thresh",
    annotations="Simulated with exactlif",
).save(os.path.join(out_dir, "simulation_results_gaussian.png"))

sim.end()
