"""Standard synapse types of the exactlif backend: ``StaticSynapse`` only."""

from pyNN.standardmodels import build_translations, synapses
from pyNN.standardmodels.base import ModelNotAvailable

from ..errors import ModelNotAvailableError
from ..simulator import state

__all__ = ["StaticSynapse", "TsodyksMarkramSynapse", "STDPMechanism"]


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _get_minimum_delay(self):
        d = state.min_delay
        if d == "auto":
            d = state.dt
        return d


class _NotAvailable(ModelNotAvailable):
    def __init__(self, *args, **kwargs):
        raise ModelNotAvailableError(
            type(self).__name__,
            f"{type(self).__name__} is not available in exactlif, whose synapses are "
            "static (StaticSynapse)."
        )


class TsodyksMarkramSynapse(_NotAvailable, synapses.TsodyksMarkramSynapse):
    """Not available in exactlif."""


class STDPMechanism(_NotAvailable, synapses.STDPMechanism):
    """Not available in exactlif."""
