"""PyNN's name for the exactlif backend: ``import pyNN.exactlif as sim``.

Installed into PyNN's package by exactlif's wheel (as ``pyNN.spiNNaker`` reaches sPyNNaker);
everything is defined in ``exactlif.pynn``.
"""

from exactlif.pynn import *  # noqa
