"""Standard cell types of the exactlif backend.

exactlif simulates ``IF_curr_exp``, ``IF_curr_alpha`` and ``IF_curr_delta`` neurons and the
``SpikeSourceArray`` and ``SpikeSourcePoisson`` spike sources, exactly. Every other PyNN cell
type is present, so scripts that name it fail with a clear message, and raises
``NotImplementedError`` when instantiated (PyNN's ``ModelNotAvailable``; exactly,
:class:`exactlif.pynn.errors.ModelNotAvailableError`). So do PyNN's composed neurons
(``PointNeuron``, ``LIF``, ``AdExp``) and their post-synaptic responses
(:mod:`.receptors`).
"""

from pyNN.standardmodels import build_translations, cells
from pyNN.standardmodels.base import ModelNotAvailable

from ..errors import ModelNotAvailableError, check_names

__all__ = ["IF_curr_exp", "IF_curr_alpha", "IF_curr_delta", "SpikeSourceArray",
           "SpikeSourcePoisson"]


class _CheckedNames:
    """Unknown parameter names raise NonExistentParameterError with a did-you-mean."""

    def __init__(self, **parameters):
        check_names(parameters, self.default_parameters, type(self).__name__)
        super().__init__(**parameters)


def _identity(*names):
    return build_translations(*[(n, n) for n in names])


class IF_curr_exp(_CheckedNames, cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__ + """
    On exactlif the membrane potential is integrated in closed form between
    events and spike times are exact (first threshold crossing). Recordable:
    ``spikes``, ``v`` (mV), ``isyn_exc`` and ``isyn_inh`` (nA).
    """
    core_name = "IF_curr_exp"
    recordable = ["spikes", "v", "isyn_exc", "isyn_inh"]
    translations = _identity(*cells.IF_curr_exp.default_parameters)


class IF_curr_alpha(_CheckedNames, cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__ + """
    On exactlif (NEST's ``iaf_psc_alpha`` semantics, as pyNN.nest): an input of weight ``w``
    (nA) arriving at ``t0`` adds the current ``w (t - t0)/tau_syn exp(1 - (t - t0)/tau_syn)``,
    which peaks at ``w`` at ``t0 + tau_syn``. While refractory, ``v`` is held at ``v_reset``
    and the synaptic currents go on evolving and receiving input. The membrane potential is
    integrated in closed form between events (``tau_syn == tau_m`` included) and spike times
    are exact (first threshold crossing). Recordable: ``spikes``, ``v`` (mV), ``isyn_exc``
    and ``isyn_inh`` (nA).
    """
    core_name = "IF_curr_alpha"
    recordable = ["spikes", "v", "isyn_exc", "isyn_inh"]
    translations = _identity(*cells.IF_curr_alpha.default_parameters)


class IF_curr_delta(_CheckedNames, cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__ + """
    On exactlif (NEST's ``iaf_psc_delta_ps`` semantics): an input of weight ``w`` is an
    instant jump of ``v`` by ``w`` **mV** (PyNN's unit for this cell type, independent of
    ``cm``); inhibitory weights are <= 0. Inputs arriving at the same time are summed before
    the threshold test, and a jump that reaches ``v_thresh`` fires at exactly the arrival
    time. Inputs arriving while refractory (``t_s <= t < t_s + tau_refrac``) are discarded;
    one at exactly ``t_s + tau_refrac`` is applied. There is no synaptic current: giving a
    ``tau_syn_E``/``tau_syn_I`` or recording ``isyn_exc``/``isyn_inh`` is an error.
    Recordable: ``spikes``, ``v`` (mV).
    """
    core_name = "IF_curr_delta"
    recordable = ["spikes", "v"]
    translations = _identity(*cells.IF_curr_delta.default_parameters)


class SpikeSourceArray(_CheckedNames, cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    core_name = "SpikeSourceArray"
    translations = _identity("spike_times")


class SpikeSourcePoisson(_CheckedNames, cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__ + """
    On exactlif the Poisson streams are drawn by the core from the seed given to
    ``setup(seed=...)`` (default 0); ``reset()`` replays the same streams.
    """
    core_name = "SpikeSourcePoisson"
    translations = _identity(*cells.SpikeSourcePoisson.default_parameters)


class _NotAvailable(ModelNotAvailable):
    def __init__(self, *args, **kwargs):
        raise ModelNotAvailableError(
            type(self).__name__,
            f"The {type(self).__name__} model is not available in exactlif, which simulates "
            "IF_curr_exp, IF_curr_alpha, IF_curr_delta, SpikeSourceArray and "
            "SpikeSourcePoisson (exactly). "
            "Use another PyNN backend, e.g. pyNN.nest, for this model."
        )


def _not_available(name):
    base = getattr(cells, name)
    return type(name, (_NotAvailable, base), {"__doc__": f"Not available in exactlif: {name}."})


for _name in ("IF_cond_alpha", "IF_cond_exp",
              "IF_cond_exp_gsfa_grr", "IF_facets_hardware1", "HH_cond_exp",
              "EIF_cond_alpha_isfa_ista", "EIF_cond_exp_isfa_ista", "Izhikevich",
              "GIF_cond_exp", "SpikeSourcePoissonRefractory", "SpikeSourceGamma",
              "SpikeSourceInhGamma",
              # PyNN's composed neurons: PointNeuron(LIF(...), AMPA=CurrExpPostSynapticResponse(...))
              "PointNeuron", "LIF", "AdExp"):
    globals()[_name] = _not_available(_name)
    __all__.append(_name)
