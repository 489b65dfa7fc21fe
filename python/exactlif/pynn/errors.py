"""PyNN's exceptions, with exactlif's did-you-mean suggestions for misspelt names."""

from pyNN import errors


def suggest(name, candidates):
    """The candidate a misspelt `name` most likely means, or None: the core's one rule
    (``exactlif._core.suggest``: another case, another simulator's name, or the closest
    string)."""
    from .simulator import core
    return core().suggest(name, list(candidates))


def why_not(name, model_name):
    """The reason cell type `model_name` lacks `name`, when there is one to give, else None.

    SPEC §8: IF_curr_delta has no synaptic current, so no ``tau_syn_E``/``tau_syn_I`` to
    give and no ``isyn_exc``/``isyn_inh`` to set or record; the sentence is the core's.
    """
    if model_name == "IF_curr_delta" and name.startswith(("tau_syn", "isyn")):
        return (f"IF_curr_delta has no {name}: its inputs are instant jumps of v (mV), "
                "with no synaptic current")
    return None


class NonExistentParameterError(errors.NonExistentParameterError):
    """PyNN's ``NonExistentParameterError`` with a did-you-mean suggestion, or the reason the
    model lacks the name (:func:`why_not`).

    It is a subclass of ``pyNN.errors.NonExistentParameterError``, so
    ``except pyNN.errors.NonExistentParameterError`` catches it.
    """

    def __init__(self, parameter_name, model_name, valid_parameter_names=("unknown",)):
        super().__init__(parameter_name, model_name, list(valid_parameter_names))
        self.reason = why_not(parameter_name, model_name)
        self.suggestion = (None if self.reason else
                           suggest(parameter_name, self.valid_parameter_names))

    def __str__(self):
        text = super().__str__()
        if self.reason:
            text = f"{self.reason} ({text})"
        if self.suggestion:
            text += f" (did you mean `{self.suggestion}`?)"
        return text


class RecordingError(errors.RecordingError):
    """PyNN's ``RecordingError``, saying why the variable cannot be recorded when there is a
    reason to give (:func:`why_not`: IF_curr_delta has no synaptic current)."""

    def __str__(self):
        reason = why_not(getattr(self.variable, "name", str(self.variable)),
                         type(self.cell_type).__name__)
        if reason is None:
            return super().__str__()
        return f"{reason}. Available variables are {', '.join(self.cell_type.recordable)}"


def check_names(names, valid, model_name):
    """Raise :class:`NonExistentParameterError` for the first name not in `valid`."""
    for name in names:
        if name not in valid:
            raise NonExistentParameterError(name, model_name, valid)


class ModelNotAvailableError(NotImplementedError):
    """A PyNN model that exactlif does not simulate was asked for.

    A subclass of ``NotImplementedError``, as PyNN's ``ModelNotAvailable`` models raise
    on other backends; ``model`` is the model's name. It tells a model exactlif lacks
    apart from a change exactlif cannot yet make during a run (a plain
    ``NotImplementedError``).
    """

    def __init__(self, model, message):
        super().__init__(message)
        self.model = model
