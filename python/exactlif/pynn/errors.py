"""PyNN's exceptions, with exactlif's did-you-mean suggestions for misspelt names."""

from pyNN import errors


def suggest(name, candidates):
    """The candidate a misspelt `name` most likely means, or None: the core's one rule
    (``exactlif._core.suggest``: another case, another simulator's name, or the closest
    string)."""
    from .simulator import core
    return core().suggest(name, list(candidates))


class NonExistentParameterError(errors.NonExistentParameterError):
    """PyNN's ``NonExistentParameterError`` with a did-you-mean suggestion.

    It is a subclass of ``pyNN.errors.NonExistentParameterError``, so
    ``except pyNN.errors.NonExistentParameterError`` catches it.
    """

    def __init__(self, parameter_name, model_name, valid_parameter_names=("unknown",)):
        super().__init__(parameter_name, model_name, list(valid_parameter_names))
        self.suggestion = suggest(parameter_name, self.valid_parameter_names)

    def __str__(self):
        text = super().__str__()
        if self.suggestion:
            text += f" (did you mean `{self.suggestion}`?)"
        return text


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
