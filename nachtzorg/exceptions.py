"""Exceptions of nachtzorg; each subclasses the matching builtin so callers may catch either."""


class NachtzorgError(Exception):
    """Base class of nachtzorg's own errors."""


class InputError(NachtzorgError, ValueError):
    """Input that cannot be used (the message names the field and the value)."""


class TravelError(InputError):
    """A travel matrix cannot be computed for these points."""


class PlanMismatchError(InputError):
    """A plan that does not belong to the scenario it is checked against."""


class SolverError(NachtzorgError, RuntimeError):
    """The routing solver failed in a way that is not the input's fault."""
