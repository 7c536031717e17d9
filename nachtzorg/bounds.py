"""How many nurses a night needs at least, with the reason in a planner's words.

Three bounds on serving every mandatory visit of a :class:`~nachtzorg.problem.Problem`; the larger
one is the night's:

* **work**: each mandatory visit's care (a two-nurse visit twice), plus the least time that must
  pass before it: after a visit she could have done just before it, the drive or the wait for its
  window after that visit's latest end, whichever is longer; as her first visit, the drive from
  her start place or the time from her shift's start to its window. Against the working time of the
  nurses who have the most of it (shift plus allowed overtime; breaks can fall in waiting time):
  at least ``k`` nurses.
* **span**: the visits that must start and end within one stretch of the night (their windows
  lie in it) need their care and drives within it: at least their hours over the stretch's length
  (each nurse's first drive may fall before the stretch, so the longest one is given to each).
* **overlap**: visits that no one nurse can combine, two by two (neither can follow the other in
  time, no nurse may serve both, or they are the two places of one two-nurse visit): at least as
  many nurses as such visits. Any such set is a bound; a greedy search from every visit keeps the
  largest it finds.

Both ignore waiting, so the real need can be higher: a plan that meets the bound uses the fewest
nurses there are; a plan above it may or may not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .problem import Problem


@dataclass(frozen=True)
class NurseBound:
    """At least ``nurses`` nurses are needed; ``kind`` is ``work``, ``span``, ``overlap`` or ``none`` (no
    mandatory visit); ``reason`` says why in a planner's words."""

    nurses: int
    kind: str
    reason: str


def _spans(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """Earliest and latest start of every node (the last window with its allowed lateness), s."""
    lo = np.array([int(w[0, 0]) for w in p.windows], dtype=np.int64)
    hi = np.array([int(w[-1, 1]) for w in p.windows], dtype=np.int64) + p.max_late.astype(np.int64)
    return lo, hi


def _mandatory_nodes(p: Problem) -> np.ndarray:
    return np.array(sorted(n for t, nodes in enumerate(p.task_nodes) if p.task_mandatory[t] for n in nodes),
                    dtype=np.int64)


def _can_follow(p: Problem, nodes: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``ok[a, b]``: one nurse can serve ``nodes[b]`` right after ``nodes[a]`` in time, and some
    nurse may serve both; never a node after itself or after the other place of its visit."""
    d = p.duration[np.ix_(nodes, nodes)].astype(np.int64)
    ok = (lo[nodes][:, None] + p.service[nodes].astype(np.int64)[:, None] + d) <= hi[nodes][None, :]
    allowed = p.allowed[nodes].astype(np.int64)
    ok &= (allowed @ allowed.T) > 0
    task = p.node_task[nodes]
    ok &= task[:, None] != task[None, :]
    return ok


def _work_bound(p: Problem, nodes: np.ndarray, ok: np.ndarray) -> tuple[int, float, np.ndarray]:
    """(nurses, hours of work, the least time before each node) of the work bound."""
    d = p.duration.astype(np.int64)
    starts = p.start_node.astype(np.int64)
    lo, hi = _spans(p)
    inf = np.iinfo(np.int64).max

    def gap(prev: np.ndarray) -> np.ndarray:
        """Least time from the end of each of ``prev`` to the start of each node: the drive, or
        the wait for the node's window after the latest end of ``prev``."""
        latest_end = hi[prev] + p.service[prev].astype(np.int64)
        return np.maximum(d[np.ix_(prev, nodes)], lo[nodes][None, :] - latest_end[:, None])

    into = np.where(ok, gap(nodes), inf).min(axis=0)  # after another mandatory visit
    mine = set(nodes.tolist())
    others = np.array([n for n in range(p.n_nodes) if p.node_task[n] >= 0 and n not in mine], dtype=np.int64)
    if others.size:  # optional visits may also come before one
        fits = (lo[others][:, None] + p.service[others].astype(np.int64)[:, None]
                + d[np.ix_(others, nodes)]) <= hi[nodes][None, :]
        into = np.minimum(into, np.where(fits, gap(others), inf).min(axis=0))
    # as her first visit: the drive from her start place, or her shift's start to the window
    first = np.maximum(d[np.ix_(starts, nodes)], lo[nodes][None, :] - p.shift_start.astype(np.int64)[:, None])
    into = np.minimum(into, np.where(p.allowed[nodes].T, first, inf).min(axis=0))
    into = np.where(into == inf, 0, into)
    between = np.where(ok, gap(nodes), inf)
    work = int(p.service[nodes].astype(np.int64).sum() + max(int(into.sum()), _chained(between, first, p, nodes)))
    # breaks are not taken off: a nurse may take them while she waits
    capacity = np.maximum(0, p.latest_back.astype(np.int64) - p.shift_start.astype(np.int64))
    cum = np.cumsum(np.sort(capacity)[::-1])
    k = int(np.searchsorted(cum, work) + 1) if work > 0 else 0
    return k, work / 3600, into


def _chained(between: np.ndarray, first: np.ndarray, p: Problem, nodes: np.ndarray) -> int:
    """Least total time before the visits when each visit comes after at most one other and each
    nurse's start leads to at most one (an assignment of predecessors, solved exactly by OR-Tools'
    linear sum assignment), s; 0 if it cannot be solved. ``between[a, b]``: least time from
    ``nodes[a]`` to ``nodes[b]`` (int64 max where b cannot follow a); ``first[v, b]``: from
    vehicle v's start."""
    from ortools.graph.python import linear_sum_assignment

    n, m = len(nodes), p.n_vehicles
    inf = np.iinfo(np.int64).max
    first = np.where(p.allowed[nodes].T, first, inf)
    rows, cols = np.nonzero(between < inf)
    costs = [between[rows, cols]]
    srows, scols = np.nonzero(first < inf)
    costs.append(first[srows, scols])
    # left: n visits then m starts, each leads to one visit or to one of m route ends (free);
    # right: n visits (each led to once) then the m ends
    ends_l = np.repeat(np.arange(n + m), m)
    ends_r = n + np.tile(np.arange(m), n + m)
    left = np.concatenate([rows, srows + n, ends_l])
    right = np.concatenate([cols, scols, ends_r])
    costs.append(np.zeros(ends_l.size, dtype=np.int64))
    a = linear_sum_assignment.SimpleLinearSumAssignment()
    a.add_arcs_with_cost(left.astype(np.int64), right.astype(np.int64), np.concatenate(costs).astype(np.int64))
    if a.solve() != a.OPTIMAL:
        return 0
    return int(a.optimal_cost())


def _interval_bound(p: Problem, nodes: np.ndarray, into: np.ndarray) -> tuple[int, int, int, float]:
    """(nurses, from, to, hours): the visits that must start and end between ``from`` and ``to``
    (s) need care and drives that ``nurses`` nurses working that whole span can just hold (the
    first drive of each nurse may lie before the span, so it counts the longest such drive once
    per nurse in her favour)."""
    lo, hi = _spans(p)
    service = p.service[nodes].astype(np.int64)
    a = lo[nodes]
    b = hi[nodes] + service
    work = (service + into).astype(np.float64)
    starts, ends = np.unique(a), np.unique(b)
    inside = (a[None, :] >= starts[:, None]).astype(np.float64)  # (starts, nodes)
    before = (b[:, None] <= ends[None, :]).astype(np.float64)  # (nodes, ends)
    total = (inside * work[None, :]) @ before  # work of the visits within [start, end]
    longest = np.zeros_like(total)
    for i, t0 in enumerate(starts):  # the longest drive into a visit within the span
        sel = a >= t0
        if sel.any():
            order = np.argsort(b[sel])
            run = np.maximum.accumulate(into[sel][order])
            k = np.searchsorted(b[sel][order], ends, side="right")
            longest[i] = np.where(k > 0, run[np.maximum(k - 1, 0)], 0)
    span = ends[None, :] - starts[:, None]
    need = np.where(span > 0, np.ceil(total / np.maximum(span + longest, 1)), 0)
    i, j = np.unravel_index(int(np.argmax(need)), need.shape)
    return int(need[i, j]), int(starts[i]), int(ends[j]), float(total[i, j]) / 3600


def _overlap_bound(p: Problem, nodes: np.ndarray, ok: np.ndarray) -> list[int]:
    """The largest set found of ``nodes`` no one nurse can combine (indices into ``nodes``)."""
    apart = ~(ok | ok.T)
    np.fill_diagonal(apart, False)
    lo, hi = _spans(p)
    order = np.argsort(hi[nodes] - lo[nodes], kind="stable")  # the tightest first
    best: list[int] = []
    for seed in order:
        clique = [int(seed)]
        cand = apart[seed].copy()
        for j in order:
            if cand[j]:
                clique.append(int(j))
                cand &= apart[j]
        if len(clique) > len(best):
            best = clique
    return best


def nurses_lower_bound(problem: Problem, label: Callable[[int], str] = str) -> NurseBound:
    """The largest of the work, the span and the overlap bound on the nurses that serve every
    mandatory visit of ``problem`` (module docstring); ``label`` writes a second of the night
    (``HH:MM``) in reasons."""
    p = problem
    nodes = _mandatory_nodes(p)
    if nodes.size == 0:
        return NurseBound(0, "none", "no mandatory visit")
    lo, hi = _spans(p)
    ok = _can_follow(p, nodes, lo, hi)
    work, hours, into = _work_bound(p, nodes, ok)
    clique = _overlap_bound(p, nodes, ok)
    busy, t0, t1, busy_h = _interval_bound(p, nodes, into)
    if busy > max(work, len(clique)):
        return NurseBound(busy, "span", f"the visits between {label(t0)} and {label(t1)} take {busy_h:.1f} h of "
                                        f"care, driving and waiting, more than {busy - 1} nurse{'s' if busy > 2 else ''} "
                                        "can do in that time")
    if len(clique) > work:
        names = sorted({p.task_ids[int(p.node_task[nodes[i]])] if p.task_ids else str(int(p.node_task[nodes[i]]))
                        for i in clique})
        two = len(names) < len(clique)
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        return NurseBound(len(clique), "overlap",
                          f"{len(clique)} visits no one nurse can combine in time ({shown}"
                          + (", two-nurse visits counted twice" if two else "") + ")")
    m = p.n_vehicles
    if work > m:
        return NurseBound(work, "work", f"care, driving and waiting take at least {hours:.1f} h, more than all "
                                        f"{m} shifts hold")
    if work <= 1:
        return NurseBound(1, "work", f"care, driving and waiting take at least {hours:.1f} h: one shift can hold that")
    return NurseBound(work, "work", f"care, driving and waiting take at least {hours:.1f} h, more than "
                                    f"{work - 1} shift{'s' if work > 2 else ''} can hold")
