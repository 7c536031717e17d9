"""Stability checks: core membership, individual rationality, least-core epsilon.

Conventions (both reported as a *violation* >= 0 when something is wrong):

* cost game: coalition S is unhappy when ``x(S) > c(S)`` (it would pay less alone);
* savings game: S is unhappy when ``x(S) < v(S)`` (it would gain more alone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nachtzorg.sharing.game import Game, incidence
from nachtzorg.sharing.rules import allocation_vector, least_core_value


def default_tolerance(game: Game) -> float:
    """1e-6 relative to the largest |coalition value| (and at least 1e-6 absolute)."""
    return 1e-6 * max(1.0, float(np.max(np.abs(game.values))))


@dataclass(frozen=True)
class CoreCheck:
    """Verdict of a core test for one allocation."""

    in_core: bool
    efficient: bool
    efficiency_gap: float
    """``x(N) - value(N)``; should be 0."""
    most_violated: frozenset[str] | None
    """Proper coalition with the largest violation (None when there is no proper coalition)."""
    violation: float
    """How much that coalition loses by staying (euros); <= tolerance means no violation."""
    tolerance: float

    def to_json(self, players: tuple[str, ...]) -> dict[str, object]:
        """JSON-ready dict; coalition as names in player order, None/0.0 when nothing is violated.

        ``max_excess`` is the signed largest excess (how close the tightest coalition is
        to leaving; negative means every coalition strictly gains).
        """
        coalition = (
            None if self.most_violated is None else [p for p in players if p in self.most_violated]
        )
        violated = not self.in_core and self.violation > self.tolerance
        return {
            "in_core": self.in_core,
            "most_violated_coalition": coalition if violated else None,
            "violation": _clean(self.violation) if violated else 0.0,
            "max_excess": _clean(self.violation),
            "efficient": self.efficient,
        }


@dataclass(frozen=True)
class RationalityCheck:
    """Verdict of the individual-rationality test (nobody worse off than alone)."""

    individually_rational: bool
    worst_player: str
    violation: float
    per_player: dict[str, float]
    """Per player: amount by which the player is worse off than alone (<= 0 is fine)."""


def _clean(x: float) -> float:
    """Round off float noise for reporting (and turn -0.0 into 0.0)."""
    return float(round(x, 9)) + 0.0


def violations(game: Game, allocation: Mapping[str, float]) -> np.ndarray:
    """Per bitmask: how much coalition S loses under ``allocation`` vs going alone."""
    x = allocation_vector(game, allocation)
    totals = incidence(game.n) @ x
    if game.kind == "cost":
        return totals - game.values
    return game.values - totals


def check_core(
    game: Game, allocation: Mapping[str, float], tol: float | None = None
) -> CoreCheck:
    """Whether ``allocation`` is in the core (within ``tol``) and which coalition objects most."""
    tol = default_tolerance(game) if tol is None else tol
    viol = violations(game, allocation)
    full = game.grand_mask
    gap = float(-viol[full]) if game.kind == "savings" else float(viol[full])
    efficient = abs(gap) <= tol
    if game.n == 1:
        return CoreCheck(efficient, efficient, gap, None, 0.0, tol)
    proper = viol[1:full]
    k = int(np.argmax(proper)) + 1
    worst = float(viol[k])
    return CoreCheck(
        in_core=efficient and worst <= tol,
        efficient=efficient,
        efficiency_gap=gap,
        most_violated=game.coalition(k),
        violation=worst,
        tolerance=tol,
    )


def check_individual_rationality(
    game: Game, allocation: Mapping[str, float], tol: float | None = None
) -> RationalityCheck:
    """Whether every player pays at most (gets at least) its stand-alone value."""
    tol = default_tolerance(game) if tol is None else tol
    viol = violations(game, allocation)
    per = {p: float(viol[1 << i]) for i, p in enumerate(game.players)}
    worst = max(per, key=lambda p: per[p])
    return RationalityCheck(per[worst] <= tol, worst, per[worst], per)


def least_core_epsilon(game: Game) -> float:
    """Smallest ``eps`` with a non-empty ``{x(S) <= c(S) + eps}`` core (savings: ``x(S) >= v(S) - eps``).

    Negative means the core is non-empty with room to spare, positive means it is empty
    and ``eps`` is the least uniform penalty every coalition must accept.
    """
    return _clean(least_core_value(game))


def core_is_empty(game: Game, tol: float | None = None) -> bool:
    """Whether the core is empty (least-core epsilon above ``tol``)."""
    tol = default_tolerance(game) if tol is None else tol
    return least_core_value(game) > tol
