"""PyNN's post-synaptic response types, for composed neurons (``PointNeuron``).

exactlif has no composed neurons yet, so each of these raises
:class:`exactlif.pynn.errors.ModelNotAvailableError` (a ``NotImplementedError``) when
instantiated, as PyNN's ``ModelNotAvailable`` models do. ``IF_curr_exp``,
``IF_curr_alpha`` and ``IF_curr_delta`` have current-based exponential, alpha and delta
synapses (receptor types ``excitatory`` and ``inhibitory``).
"""

from pyNN.standardmodels import receptors
from pyNN.standardmodels.base import ModelNotAvailable

from ..errors import ModelNotAvailableError

__all__ = ["CurrExpPostSynapticResponse", "CondExpPostSynapticResponse",
           "CondAlphaPostSynapticResponse", "CondBetaPostSynapticResponse",
           "ExpPSR", "AlphaPSR", "BetaPSR"]


class _NotAvailable(ModelNotAvailable):
    def __init__(self, *args, **kwargs):
        raise ModelNotAvailableError(
            type(self).__name__,
            f"{type(self).__name__} is not available in exactlif, which has no composed "
            "neurons (PointNeuron) yet; IF_curr_exp, IF_curr_alpha and IF_curr_delta have "
            "current-based exponential, alpha and delta synapses (receptor_type 'excitatory' "
            "or 'inhibitory').")


def _not_available(name):
    base = getattr(receptors, name)
    return type(name, (_NotAvailable, base), {"__doc__": f"Not available in exactlif: {name}."})


CurrExpPostSynapticResponse = _not_available("CurrExpPostSynapticResponse")
CondExpPostSynapticResponse = _not_available("CondExpPostSynapticResponse")
CondAlphaPostSynapticResponse = _not_available("CondAlphaPostSynapticResponse")
CondBetaPostSynapticResponse = _not_available("CondBetaPostSynapticResponse")
# the short names pyNN.nest gives them
ExpPSR = CondExpPostSynapticResponse
AlphaPSR = CondAlphaPostSynapticResponse
BetaPSR = CondBetaPostSynapticResponse
