"""Granular arc sets: each visit keeps only the arcs to and from its nearest visits.

OR-Tools' own granular neighbourhoods (``ls_operator_neighbors_ratio``) are broken in
9.12-9.15 (``benchmarks/README.md``), so its local search scans every neighbour of every visit.
Removing the other arcs from the next-variable domains restricts the whole search instead:
the first solution, the ruin-and-recreate and the local search only ever link a visit to one of
its nearest visits (Toth & Vigo's granular idea, as PyVRP's neighbour lists). Arcs from and to
the depot, and the arcs of routes handed in as a start, always stay.

Nearness of ``j`` after ``i`` (PyVRP's proximity): distance plus ``wait_weight`` times the wait
at ``j`` when ``i`` is left as late as its window allows, the wait converted from seconds to
distance units by the mean distance per mean travel time. Arcs that no plan can use (``j``
cannot start in time even when ``i`` starts as early as possible, or the two loads exceed the
largest capacity) are never kept.

Measured (``benchmarks/README.md``, eighth round): on Solomon instances at 1 s, 25 neighbours
take the mean gap from 5.0 to 4.0 % (18 instances, 9 seeds); at 10 s equal; on generated
nights fewer visits served, so the solve applies it to plain VRPTW problems only
(:func:`~nachtzorg.solve.construct.is_plain`).
"""

from __future__ import annotations

import numpy as np

from ..problem import Problem

#: Nearest visits kept per visit, as successors and as predecessors (screened 20-50: 25 and 30 best at 1 s, 30 equal at 10 s).
GRANULAR_NEIGHBOURS = 30
#: Weight of waiting time (converted to distance units) in the nearness of two visits.
WAIT_WEIGHT = 0.2


def nearest_arcs(problem: Problem, k: int, *, wait_weight: float = WAIT_WEIGHT,
                 keep: list[list[int]] | None = None) -> np.ndarray:
    """``(n, n)`` booleans over nodes: may arc ``i -> j`` be used?

    ``j`` may follow ``i`` when ``j`` is one of the ``k`` nearest feasible successors of ``i`` or
    ``i`` one of the ``k`` nearest feasible predecessors of ``j``; every arc from or to a start or
    end node, ``i -> i`` (OR-Tools' "not visited") and the consecutive visits of ``keep`` (routes
    as node lists, e.g. a warm start) may always be used.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    p = problem
    n = p.n_nodes
    ok = np.ones((n, n), dtype=bool)
    depot = np.zeros(n, dtype=bool)
    depot[np.asarray(p.start_node, dtype=np.int64)] = True
    depot[np.asarray(p.end_node, dtype=np.int64)] = True
    cust = np.flatnonzero(~depot)
    if cust.size < 2:
        return ok
    first = np.array([int(p.windows[c][0, 0]) for c in cust], dtype=np.int64)
    last = np.array([int(p.windows[c][-1, 1]) for c in cust], dtype=np.int64) + p.max_late[cust]
    service = p.service[cust].astype(np.int64)
    travel = p.duration[np.ix_(cust, cust)].astype(np.int64)
    dist = p.distance[np.ix_(cust, cust)].astype(np.float64)
    leave_early = (first + service)[:, None] + travel
    infeasible = leave_early > last[None, :]
    if p.capacity.size and p.capacity.max() > 0:
        dem = p.demand[cust].astype(np.int64)
        infeasible |= dem[:, None] + dem[None, :] > int(p.capacity.max())
    wait = np.maximum(first[None, :] - ((last + service)[:, None] + travel), 0)
    scale = float(dist.mean()) / max(float(travel.mean()), 1.0)
    near = dist + wait_weight * scale * wait
    near[infeasible] = np.inf
    np.fill_diagonal(near, np.inf)
    kk = min(k, cust.size - 1)
    rows = np.arange(cust.size)
    sub = np.zeros((cust.size, cust.size), dtype=bool)
    sub[rows[:, None], np.argsort(near, axis=1, kind="stable")[:, :kk]] = True
    sub[np.argsort(near, axis=0, kind="stable")[:kk, :], rows[None, :]] = True
    sub &= np.isfinite(near)
    np.fill_diagonal(sub, True)
    ok[np.ix_(cust, cust)] = sub
    for route in keep or ():
        if len(route) > 1:
            ok[np.asarray(route[:-1]), np.asarray(route[1:])] = True
    return ok
