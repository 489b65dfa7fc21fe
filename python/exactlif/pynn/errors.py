"""PyNN's exceptions, with exactlif's did-you-mean suggestions for misspelt names."""

from pyNN import errors


def jaro_winkler(a, b):
    """The Jaro-Winkler similarity of two strings (1 = equal), as exactlif's core uses."""
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if la == 0 or lb == 0:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    matched_a = [False] * la
    matched_b = [False] * lb
    matches = 0
    for i, ca in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not matched_b[j] and b[j] == ca:
                matched_a[i] = matched_b[j] = True
                matches += 1
                break
    if matches == 0:
        return 0.0
    sa = [c for c, m in zip(a, matched_a) if m]
    sb = [c for c, m in zip(b, matched_b) if m]
    transpositions = sum(x != y for x, y in zip(sa, sb)) / 2
    jaro = (matches / la + matches / lb + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def suggest(name, candidates):
    """The closest candidate to a misspelt `name`, if close enough (score >= 0.7)."""
    best = max(candidates, key=lambda c: jaro_winkler(name, c), default=None)
    if best is not None and jaro_winkler(name, best) >= 0.7:
        return best
    return None


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
