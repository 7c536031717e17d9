"""The settlement's rules: the sharing package's rules plus proportional keys of the period, and
how much a sampled period's allocation could move.

Keys (``proportional_<key>``): the grand coalition's yearly cost split by clients, planned
visits, care minutes, acute calls or inhabitants (the period's figures, see
:meth:`~nachtzorg.settle.game.PeriodGame.attributes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..sharing import METHODS, Game, GameError, MethodNotApplicableError, allocate

#: Proportional keys of the settlement: rule name -> game attribute.
KEYS: dict[str, str] = {
    "proportional_clients": "clients",
    "proportional_visits": "visits",
    "proportional_minutes": "care_minutes",
    "proportional_calls": "calls",
    "proportional_inhabitants": "inhabitants",
}

#: Rules computed when ``--method`` is not given.
DEFAULT_RULES: tuple[str, ...] = ("shapley", "nucleolus", "epm", *KEYS)

#: Every rule name ``settle --method`` accepts.
RULES: tuple[str, ...] = tuple(dict.fromkeys([*DEFAULT_RULES, *METHODS]))


def _by_key(attribute: str) -> Callable[[Game], dict[str, float]]:
    def rule(game: Game) -> dict[str, float]:
        weights = game.attribute(attribute)
        total = float(weights.sum())
        if not total > 0:
            raise MethodNotApplicableError(f"the organisations' {attribute} add up to {total:g}")
        return {p: game.grand_value * float(w) / total for p, w in zip(game.players, weights)}
    return rule


def settle_allocate(game: Game, rule: str) -> dict[str, float]:
    """One rule's allocation (euros per organisation)."""
    if rule in KEYS:
        if not game.has_attribute(KEYS[rule]):
            raise MethodNotApplicableError(f"the period file gives no {KEYS[rule]} for every organisation")
        return _by_key(KEYS[rule])(game)
    if rule not in METHODS:
        raise GameError(f"unknown method {rule!r} (choose from: {', '.join(RULES)})")
    return allocate(game, rule)


def settle_allocate_all(game: Game, rules: Sequence[str] | None = None, *,
                        strict: bool = False) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Several rules (default :data:`DEFAULT_RULES`); a rule that does not apply is skipped with
    the reason, or, with ``strict`` (rules asked for by name), a :class:`GameError`."""
    out: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    for rule in rules or DEFAULT_RULES:
        try:
            out[rule] = settle_allocate(game, rule)
        except MethodNotApplicableError as exc:
            if strict:
                raise GameError(f"method {rule!r} does not apply to this period: {exc}") from None
            skipped[rule] = str(exc)
    return out, skipped


def bootstrap_moves(games: Sequence[Game], point: dict[str, dict[str, float]],
                    confidence: float = 0.95) -> dict[str, dict[str, float]]:
    """Per rule and organisation: half the width of the central ``confidence`` interval of its
    allocation over resampled periods (``games``), relative to ``point`` (0.01 = 1 %)."""
    lo_q, hi_q = 50 * (1 - confidence), 50 * (1 + confidence)
    out: dict[str, dict[str, float]] = {}
    for rule, alloc in point.items():
        draws: list[list[float]] = []
        for g in games:
            try:
                a = settle_allocate(g, rule)
            except MethodNotApplicableError:
                continue
            draws.append([a[p] for p in alloc])
        if len(draws) < 2:
            continue
        arr = np.array(draws)
        lo, hi = np.percentile(arr, lo_q, axis=0), np.percentile(arr, hi_q, axis=0)
        out[rule] = {p: float((h - low) / 2 / abs(alloc[p])) if alloc[p] else 0.0
                     for p, low, h in zip(alloc, lo, hi)}
    return out
