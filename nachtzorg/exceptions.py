"""Exceptions of nachtzorg; each subclasses the matching builtin so callers may catch either."""


class NachtzorgError(Exception):
    """Base class of nachtzorg's own errors."""


class InputError(NachtzorgError, ValueError):
    """Input that cannot be used (the message names the field and the value)."""


class TravelError(InputError):
    """A travel matrix cannot be computed for these points.

    ``points`` holds the indices (into the list given to the provider) of the points the
    problem is about, so a caller can name them by what they are (a client, a nurse's base).
    """

    def __init__(self, message: str, points: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.points = tuple(points)


class AcuteInputError(InputError):
    """An acute call, event or time that cannot be used (the message names it)."""


class PlanMismatchError(InputError):
    """A plan that does not belong to the scenario it is checked against."""


class SolverError(NachtzorgError, RuntimeError):
    """The routing solver failed in a way that is not the input's fault."""
