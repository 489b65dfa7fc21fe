"""Models exactlif lacks raise ModelNotAvailableError, a NotImplementedError naming the model.

A change exactlif cannot make during a run is a plain NotImplementedError, so the two
can be told apart (the scenario runner of tests/pynn_scenarios relies on it).
"""

import pytest

from exactlif.pynn.errors import ModelNotAvailableError


@pytest.mark.parametrize("make,model", [
    (lambda sim: sim.IF_cond_exp(tau_m=12.0), "IF_cond_exp"),
    (lambda sim: sim.IF_cond_alpha(), "IF_cond_alpha"),
    (lambda sim: sim.AdExp(tau_m=10.0), "AdExp"),
    (lambda sim: sim.LIF(tau_m=10.0), "LIF"),
    (lambda sim: sim.PointNeuron(), "PointNeuron"),
    (lambda sim: sim.CurrExpPostSynapticResponse(tau_syn=1.0), "CurrExpPostSynapticResponse"),
    (lambda sim: sim.AlphaPSR(tau_syn=1.0, e_syn=0.0), "CondAlphaPostSynapticResponse"),
    (lambda sim: sim.TsodyksMarkramSynapse(), "TsodyksMarkramSynapse"),
])
def test_missing_model_raises_model_not_available(sim, make, model):
    with pytest.raises(NotImplementedError, match="not .*available in exactlif") as info:
        make(sim)
    assert isinstance(info.value, ModelNotAvailableError)
    assert info.value.model == model
    assert model not in sim.list_standard_models()


def test_the_current_based_cells_are_available(sim):
    assert sim.list_standard_models() == ["IF_curr_exp", "IF_curr_alpha", "IF_curr_delta",
                                          "SpikeSourceArray", "SpikeSourcePoisson"]
    for name in ("IF_curr_exp", "IF_curr_alpha", "IF_curr_delta"):
        getattr(sim, name)()


def test_a_refused_mid_run_change_is_not_a_missing_model(sim):
    sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    sim.run(5.0)
    with pytest.raises(NotImplementedError, match="reset") as info:
        sim.Population(1, sim.IF_curr_exp())
    assert not isinstance(info.value, ModelNotAvailableError)
