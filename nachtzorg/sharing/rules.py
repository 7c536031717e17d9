"""Allocation rules for TU games: Shapley, (pre)nucleolus, per-capita nucleolus, EPM,
least core and proportional rules.

Every rule returns ``{player: share}`` in the game's own kind: cost shares summing to
``c(N)`` for a cost game, payoffs summing to ``v(N)`` for a savings game.

Internally all LP rules work in the *value* convention: a cost game ``c`` becomes the
value game ``w = -c`` with payoffs ``y = -x``.  The excess of a coalition is then
``e(S, y) = w(S) - y(S)`` (= ``x(S) - c(S)`` for costs: how much ``S`` overpays compared
with going alone) and the core is ``{y : e(S, y) <= 0, y(N) = w(N)}``.  The sign flip
maps every solution concept here onto itself, so the results are exact in both kinds.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import linprog

from nachtzorg.sharing.game import (
    STANDALONE_ATTRIBUTE,
    EmptyCoreError,
    Game,
    GameError,
    MethodNotApplicableError,
    incidence,
    popcounts,
)

Allocation = dict[str, float]
Rule = Callable[[Game], Allocation]

_DUAL_TOL = 1e-9
_FEAS_TOL = 1e-9


# ---------------------------------------------------------------- helpers
def _value_form(game: Game) -> tuple[np.ndarray, float]:
    """(w, sign) with ``w = sign * values`` a value game; ``sign`` is -1 for cost games."""
    sign = 1.0 if game.kind == "savings" else -1.0
    return sign * game.values, sign


def _as_allocation(game: Game, x: np.ndarray) -> Allocation:
    """Player-keyed dict; tiny float noise (|x| < 1e-12 * scale) is cleaned to 0."""
    scale = max(1.0, float(np.max(np.abs(game.values))))
    clean = np.where(np.abs(x) < 1e-12 * scale, 0.0, x)
    return {p: float(v) for p, v in zip(game.players, clean)}


def _scale(w: np.ndarray) -> float:
    """Normalisation factor for LPs (largest |value|, at least 1e-12)."""
    return max(float(np.max(np.abs(w))), 1e-12)


# ---------------------------------------------------------------- Shapley
def shapley(game: Game) -> Allocation:
    """Exact Shapley value by the subset formula over bitmasks.

    ``phi_i = sum_{S not containing i} |S|!(n-|S|-1)!/n! (v(S+i) - v(S))``, vectorised
    with numpy: O(n 2^n) time and O(2^n) memory.  Fast up to ~20 players (2^20 masks);
    beyond ~24 the dense value table itself no longer fits sensibly in memory, use
    :func:`shapley_sampled` with a value oracle instead.
    """
    n = game.n
    v = game.values
    sizes = popcounts(n)
    weights = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    masks = np.arange(1 << n, dtype=np.int64)
    phi = np.empty(n)
    for i in range(n):
        bit = 1 << i
        without = masks[(masks & bit) == 0]
        phi[i] = float(np.sum(weights[sizes[without]] * (v[without | bit] - v[without])))
    return _as_allocation(game, phi)


@dataclass(frozen=True)
class SampledShapley:
    """Monte-Carlo Shapley estimate with per-player confidence half-widths."""

    estimates: dict[str, float]
    half_widths: dict[str, float]
    n_permutations: int
    confidence: float
    seed: int | None


def shapley_sampled(
    game: Game,
    n_permutations: int = 2000,
    seed: int | None = 0,
    confidence: float = 0.95,
) -> SampledShapley:
    """Shapley value by permutation sampling with antithetic pairs (seeded, reproducible).

    Each random permutation is paired with its reverse; the average of the pair's
    marginal contributions is one i.i.d. sample, which cancels much of the variance
    (a player early in one order is late in the other).  The half-width is the normal
    approximation ``z * sd / sqrt(pairs)``.  ``n_permutations`` is rounded up to even.
    """
    if n_permutations < 4:
        raise GameError("n_permutations must be at least 4")
    if not 0.0 < confidence < 1.0:
        raise GameError(f"confidence must be in (0, 1), got {confidence}")
    n = game.n
    pairs = (n_permutations + 1) // 2
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((pairs, n)), axis=1)
    v = game.values

    def marginals(order: np.ndarray) -> np.ndarray:
        """Marginal contribution of every player for each permutation (rows)."""
        bits = np.left_shift(np.int64(1), order.astype(np.int64))
        prefix = np.cumsum(bits, axis=1)
        before = prefix - bits
        contrib = v[prefix] - v[before]
        out = np.empty_like(contrib)
        np.put_along_axis(out, order, contrib, axis=1)
        return out

    samples = 0.5 * (marginals(perms) + marginals(perms[:, ::-1]))
    mean = samples.mean(axis=0)
    sd = samples.std(axis=0, ddof=1) if pairs > 1 else np.zeros(n)
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    half = z * sd / math.sqrt(pairs)
    return SampledShapley(
        estimates=_as_allocation(game, mean),
        half_widths={p: float(h) for p, h in zip(game.players, half)},
        n_permutations=2 * pairs,
        confidence=confidence,
        seed=seed,
    )


# ---------------------------------------------------------------- LP core
def _solve(
    c: np.ndarray,
    a_ub: np.ndarray | None,
    b_ub: np.ndarray | None,
    a_eq: np.ndarray | None,
    b_eq: np.ndarray | None,
    bounds: Sequence[tuple[float | None, float | None]],
) -> object:
    """One HiGHS LP; returns the scipy result (status checked by the caller)."""
    return linprog(
        c,
        A_ub=a_ub if a_ub is not None and len(a_ub) else None,
        b_ub=b_ub if b_ub is not None and len(b_ub) else None,
        A_eq=a_eq if a_eq is not None and len(a_eq) else None,
        b_eq=b_eq if b_eq is not None and len(b_eq) else None,
        bounds=bounds,
        method="highs",
    )


def _min_max_excess(
    w: np.ndarray,
    n: int,
    divisors: np.ndarray,
    lower: np.ndarray | None = None,
    hard_ub: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, np.ndarray]:
    """Stage one: ``min t`` s.t. ``(w(S) - y(S)) / d_S <= t`` for proper S, ``y(N) = w(N)``.

    Returns ``(t*, y)``; raises EmptyCoreError if the hard constraints are infeasible.
    """
    t, y, _ = _lexicographic(w, n, divisors, lower, hard_ub, stages=1)
    return t, y


def _lexicographic(
    w: np.ndarray,
    n: int,
    divisors: np.ndarray,
    lower: np.ndarray | None = None,
    hard_ub: tuple[np.ndarray, np.ndarray] | None = None,
    stages: int | None = None,
) -> tuple[float, np.ndarray, int]:
    """Lexicographic minimisation of the sorted (weighted) excess vector (value form).

    Standard sequence of LPs (Maschler, Peleg & Shapley 1979): minimise the largest
    excess ``t`` over the still-free coalitions; every coalition with a strictly
    positive dual is tight in *every* optimum (complementary slackness), so it is fixed
    at ``t*`` as an equality; coalitions whose membership vector lies in the span of the
    fixed ones are dropped (their excess is determined).  Repeat until the fixed vectors
    span R^n, which pins down the point.  If no dual is positive (numerical
    degeneracy), each near-tight coalition is checked with its own LP instead.

    ``lower`` are optional payoff lower bounds (individual rationality), ``hard_ub`` is
    an optional ``(A, b)`` with extra hard constraints ``A y <= b``.  Returns
    ``(first-stage t*, y, number of stages)``; all in the unscaled units of ``w``.
    """
    scale = _scale(w)
    ws = w / scale
    full = (1 << n) - 1
    inc = incidence(n)
    bounds: list[tuple[float | None, float | None]] = [
        (None if lower is None else float(lower[i] / scale), None) for i in range(n)
    ] + [(None, None)]
    hard_a = np.zeros((0, n + 1))
    hard_b = np.zeros(0)
    if hard_ub is not None:
        a, b = hard_ub
        hard_a = np.hstack([a, np.zeros((a.shape[0], 1))])
        hard_b = b / scale
    eq_rows: list[np.ndarray] = [inc[full]]
    eq_rhs: list[float] = [float(ws[full])]
    active = list(range(1, full))
    objective = np.zeros(n + 1)
    objective[-1] = 1.0
    first_t: float | None = None
    y = np.zeros(n)
    stage = 0
    if n == 1:
        return 0.0, np.array([w[full]]), 0
    while active:
        stage += 1
        rows = np.hstack([-inc[active], -divisors[active][:, None]])
        a_ub = np.vstack([rows, hard_a])
        b_ub = np.concatenate([-ws[active], hard_b])
        a_eq = np.hstack([np.array(eq_rows), np.zeros((len(eq_rows), 1))])
        res = _solve(objective, a_ub, b_ub, a_eq, np.array(eq_rhs), bounds)
        if res.status == 2:  # type: ignore[attr-defined]
            raise EmptyCoreError("the constraints are infeasible (empty feasible set)")
        if res.status != 0:  # type: ignore[attr-defined]
            raise GameError(f"LP solver failed: {res.message}")  # type: ignore[attr-defined]
        t_star = float(res.x[-1])  # type: ignore[attr-defined]
        y = np.asarray(res.x[:n], dtype=float)  # type: ignore[attr-defined]
        if first_t is None:
            first_t = t_star
        if stages is not None and stage >= stages:
            break
        duals = np.asarray(res.ineqlin.marginals[: len(active)])  # type: ignore[attr-defined]
        tight = [s for s, d in zip(active, duals) if d < -_DUAL_TOL]
        if not tight:
            tight = _tight_by_check(
                active, a_ub, b_ub, a_eq, np.array(eq_rhs), bounds, t_star, n, ws, divisors, inc
            )
        for s in tight:
            eq_rows.append(inc[s])
            eq_rhs.append(float(ws[s] - divisors[s] * t_star))
        basis = np.array(eq_rows)
        rank = np.linalg.matrix_rank(basis)
        if rank >= n:
            break
        tight_set = set(tight)
        active = [s for s in active if s not in tight_set and not _in_span(basis, inc[s], rank)]
    assert first_t is not None
    if len(eq_rows) and np.linalg.matrix_rank(np.array(eq_rows)) >= n:
        y = np.linalg.lstsq(np.array(eq_rows), np.array(eq_rhs), rcond=None)[0]
    return first_t * scale, y * scale, stage


def _in_span(basis: np.ndarray, vec: np.ndarray, rank: int) -> bool:
    """Whether ``vec`` lies in the row span of ``basis`` (of known rank)."""
    return bool(np.linalg.matrix_rank(np.vstack([basis, vec])) == rank)


def _tight_by_check(
    active: list[int],
    a_ub: np.ndarray,
    b_ub: np.ndarray,
    a_eq: np.ndarray,
    b_eq: np.ndarray,
    bounds: Sequence[tuple[float | None, float | None]],
    t_star: float,
    n: int,
    ws: np.ndarray,
    divisors: np.ndarray,
    inc: np.ndarray,
) -> list[int]:
    """Coalitions whose excess equals ``t*`` in every optimum (one LP per coalition)."""
    fixed_bounds = list(bounds[:n]) + [(t_star, t_star)]
    out: list[int] = []
    for s in active:
        # excess(S) = ws[S] - y(S) <= d_S t*.  S is tight in every optimum iff even the
        # optimum maximising y(S) (minimising the excess) keeps y(S) = ws[S] - d_S t*.
        obj = np.concatenate([-inc[s], [0.0]])
        res = _solve(obj, a_ub, b_ub, a_eq, b_eq, fixed_bounds)
        if res.status == 0:  # type: ignore[attr-defined]
            max_ys = -float(res.fun)  # type: ignore[attr-defined]
            if max_ys <= ws[s] - divisors[s] * t_star + 1e-7:
                out.append(s)
    if not out:
        raise GameError("nucleolus LP sequence made no progress (numerical trouble)")
    return out


def _nucleolus_family(game: Game, *, per_capita: bool, rational: bool) -> Allocation:
    """Shared driver for nucleolus, prenucleolus and per-capita nucleolus."""
    w, sign = _value_form(game)
    n = game.n
    divisors = popcounts(n).astype(float) if per_capita else np.ones(1 << n)
    lower = None
    if rational:
        lower = np.array([w[1 << i] for i in range(n)])
        if lower.sum() > w[(1 << n) - 1] + _FEAS_TOL * _scale(w):
            raise MethodNotApplicableError(
                "the imputation set is empty (stand-alone values exceed the grand coalition's); "
                "the nucleolus is undefined, use the prenucleolus"
            )
    _, y, _ = _lexicographic(w, n, divisors, lower)
    return _as_allocation(game, sign * y)


def nucleolus(game: Game) -> Allocation:
    """Nucleolus (Schmeidler 1969): lexicographically minimal excesses over imputations.

    Imputations are individually rational: no player pays more than (cost) / gets less
    than (savings) its stand-alone value.  Lies in the core whenever the core is non-empty.
    """
    return _nucleolus_family(game, per_capita=False, rational=True)


def prenucleolus(game: Game) -> Allocation:
    """Prenucleolus: like the nucleolus but over all efficient allocations (no IR bound)."""
    return _nucleolus_family(game, per_capita=False, rational=False)


def per_capita_nucleolus(game: Game) -> Allocation:
    """Per-capita nucleolus (Grotte 1970): excesses divided by |S|, over imputations."""
    return _nucleolus_family(game, per_capita=True, rational=True)


def least_core(game: Game) -> Allocation:
    """A least-core allocation, made unique by taking the nucleolus *within* the least core.

    The least core is ``{x efficient : x(S) <= c(S) + eps* for all proper S}`` with the
    smallest ``eps*`` (savings: ``x(S) >= v(S) - eps*``).  It is a set; continuing the
    lexicographic LP sequence inside it picks the unique point whose remaining excesses
    are lexicographically smallest.  That point is, by construction, the prenucleolus
    (whose first LP stage *is* the least core), so the two rules agree; ``least_core``
    is kept as a separate name because coordinators know the concept under that name
    and because its first stage also yields :func:`nachtzorg.sharing.stability.least_core_epsilon`.
    """
    return prenucleolus(game)


def least_core_value(game: Game) -> float:
    """``eps*``: the smallest uniform subsidy/penalty making the relaxed core non-empty.

    In cost terms ``min_x max_{S proper} x(S) - c(S)`` over efficient ``x``; the core is
    non-empty iff ``eps* <= 0``.  Defined as 0 for one-player games (no proper coalitions).
    """
    w, _ = _value_form(game)
    if game.n == 1:
        return 0.0
    t, _ = _min_max_excess(w, game.n, np.ones(1 << game.n))
    return t


# ---------------------------------------------------------------- EPM
def _relative_rows(costs: np.ndarray) -> np.ndarray:
    """Rows ``e_i/c_i - e_j/c_j`` for all ordered pairs i != j."""
    n = len(costs)
    rows = []
    for i in range(n):
        for j in range(n):
            if i != j:
                r = np.zeros(n)
                r[i] = 1.0 / costs[i]
                r[j] = -1.0 / costs[j]
                rows.append(r)
    return np.array(rows).reshape(-1, n)


def epm(
    game: Game, on_empty_core: Literal["raise", "least_core"] = "raise"
) -> Allocation:
    """Equal Profit Method (Frisk, Göthe-Lundgren, Jörnsten & Rönnqvist 2010, EJOR 205).

    Minimises ``f`` = the largest difference between two players' relative cost shares
    ``x_i / c({i})`` (equivalently relative savings) subject to the core constraints,
    so every partner saves as nearly the same percentage as the core allows.

    * Empty core: ``on_empty_core="raise"`` (default) raises :class:`EmptyCoreError`;
      ``"least_core"`` replaces the core by the least core ``x(S) <= c(S) + eps*`` and
      says so in nothing but this docstring, so use it deliberately.
    * Uniqueness: the EPM optimum can be a set; the fixed tie-break is the nucleolus of
      that set (lexicographic excess minimisation with ``f <= f*`` and the core as hard
      constraints).
    * Savings games need stand-alone costs (attribute ``standalone_cost``, set by
      :meth:`Game.to_savings`); stand-alone costs must be positive.
    """
    cost_game = game if game.kind == "cost" else game.to_cost()
    costs = cost_game.singleton_values()
    if np.any(costs <= 0):
        raise MethodNotApplicableError("epm needs positive stand-alone costs for every player")
    n = cost_game.n
    if n == 1:
        return _as_allocation(game, np.array([game.grand_value]))
    c = cost_game.values
    scale = _scale(c)
    full = (1 << n) - 1
    inc = incidence(n)
    proper = np.arange(1, full)
    eps = 0.0
    lc = least_core_value(cost_game)
    if lc > _core_tol(cost_game):
        if on_empty_core == "raise":
            raise EmptyCoreError(
                f"epm is defined on the core, and the core is empty (least-core epsilon {lc:.6g}); "
                "use least_core or nucleolus"
            )
        eps = lc
    # Stage 1 in cost form, variables (x, f): min f.  The relative-difference rows are
    # multiplied by ``scale`` so that, with x scaled by 1/scale, f is the true ratio.
    rel = _relative_rows(costs) * scale
    a_core = np.hstack([inc[proper], np.zeros((len(proper), 1))])
    b_core = (c[proper] + eps) / scale + 1e-9
    a_rel = np.hstack([rel, -np.ones((rel.shape[0], 1))])
    res = _solve(
        np.concatenate([np.zeros(n), [1.0]]),
        np.vstack([a_core, a_rel]),
        np.concatenate([b_core, np.zeros(rel.shape[0])]),
        np.concatenate([inc[full], [0.0]])[None, :],
        np.array([c[full] / scale]),
        [(None, None)] * (n + 1),
    )
    if res.status != 0:  # type: ignore[attr-defined]
        raise EmptyCoreError(f"epm LP infeasible: {res.message}")  # type: ignore[attr-defined]
    f_star = float(res.x[-1])  # type: ignore[attr-defined]
    # Stage 2: nucleolus of {relaxed core} ∩ {relative differences <= f*}, value form y = -x:
    # x(S) <= c(S) + eps  <=>  -y(S) <= c(S) + eps;  rel x <= f*  <=>  -rel y <= f*.
    hard_a = np.vstack([-inc[proper], -rel])
    hard_b = np.concatenate([c[proper] + eps, np.full(rel.shape[0], f_star * scale)]) + 1e-9 * scale
    _, y, _ = _lexicographic(-c, n, np.ones(1 << n), None, (hard_a, hard_b))
    x = -y
    if game.kind == "cost":
        return _as_allocation(game, x)
    return _as_allocation(game, costs - x)


def _core_tol(game: Game) -> float:
    """Absolute tolerance for core tests: 1e-7 relative to the largest |value|."""
    return 1e-7 * max(1.0, float(np.max(np.abs(game.values))))


# ---------------------------------------------------------------- proportional
def _proportional(game: Game, weights: np.ndarray, label: str) -> Allocation:
    """Split the grand-coalition value in proportion to ``weights``."""
    total = float(np.sum(weights))
    if not total > 0:
        raise MethodNotApplicableError(f"{label}: the weights sum to {total:g}; need a positive total")
    return _as_allocation(game, game.grand_value * weights / total)


def proportional_visits(game: Game) -> Allocation:
    """Grand-coalition value split in proportion to each organisation's number of visits."""
    return _proportional(game, game.attribute("visits"), "proportional_visits")


def proportional_minutes(game: Game) -> Allocation:
    """Grand-coalition value split in proportion to each organisation's care minutes."""
    return _proportional(game, game.attribute("care_minutes"), "proportional_minutes")


def proportional_standalone(game: Game) -> Allocation:
    """Grand-coalition value split in proportion to stand-alone cost.

    Cost game: ``c({i})``.  Savings game: the ``standalone_cost`` attribute when present
    (then every partner saves the same percentage), otherwise the stand-alone worth
    ``v({i})`` (for claims games this is the classical proportional rule).
    """
    if game.kind == "cost" or game.has_attribute(STANDALONE_ATTRIBUTE):
        weights = game.standalone_costs()
    else:
        weights = game.singleton_values()
    return _proportional(game, weights, "proportional_standalone")


# ---------------------------------------------------------------- registry
METHODS: dict[str, Rule] = {
    "shapley": shapley,
    "nucleolus": nucleolus,
    "prenucleolus": prenucleolus,
    "per_capita_nucleolus": per_capita_nucleolus,
    "epm": epm,
    "least_core": least_core,
    "proportional_visits": proportional_visits,
    "proportional_minutes": proportional_minutes,
    "proportional_standalone": proportional_standalone,
}
"""Rule name (contract) -> function of the game returning ``{player: share}``."""


def allocate(game: Game, method: str) -> Allocation:
    """Apply the rule called ``method``; unknown names raise GameError listing the valid ones."""
    try:
        rule = METHODS[method]
    except KeyError:
        raise GameError(
            f"unknown method {method!r} (choose from: {', '.join(METHODS)})"
        ) from None
    return rule(game)


def allocate_all(
    game: Game, methods: Sequence[str] | None = None, *, strict: bool = False
) -> tuple[dict[str, Allocation], dict[str, str]]:
    """Apply several rules (default: all); rules not applicable to this game are skipped with
    the reason, or, with ``strict`` (rules a user asked for by name), raise :class:`GameError`.

    Returns ``(allocations, skipped)``; other errors propagate.
    """
    out: dict[str, Allocation] = {}
    skipped: dict[str, str] = {}
    for name in methods or list(METHODS):
        try:
            out[name] = allocate(game, name)
        except MethodNotApplicableError as exc:
            if strict:
                raise GameError(f"method {name!r} does not apply to this game: {exc}") from None
            skipped[name] = str(exc)
    return out, skipped


def allocation_vector(game: Game, allocation: Mapping[str, float]) -> np.ndarray:
    """Allocation as an array in player order; missing/unknown players raise GameError."""
    unknown = [p for p in allocation if p not in game.players]
    if unknown:
        raise GameError(f"allocation names unknown player {unknown[0]!r}")
    missing = [p for p in game.players if p not in allocation]
    if missing:
        raise GameError(f"allocation lacks player {missing[0]!r}")
    return np.array([float(allocation[p]) for p in game.players])
