"""Our own construction: cheapest insertion that places two-nurse visits jointly.

OR-Tools' first-solution heuristics insert one node at a time and only see two-nurse
synchronisation as a generic constraint checked afterwards, so they tend to leave two-nurse
visits out. Here both copies are inserted in one step, on two different qualified nurses,
at one common start time; that start is then *pinned* (later insertions may not delay it).
Windows are treated as hard first; visits that do not fit then get a second pass that allows
lateness up to each visit's ``max_late`` (a late visit costs far less than one left out, and on
over-full nights the hard pass left up to 29 of 200 visits out). In that pass an insertion
pays the lateness of the inserted visit; lateness it pushes onto later visits (within their
``max_late``) is not priced here, but by the schedule that costs every candidate plan.

Hardest first: two-nurse visits, then single visits by priority and window width. Each
route keeps earliest starts and latest starts (backward slack), so a position is checked in
O(1) and a route is refreshed in O(length) after an insertion (vectorised with numpy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..problem import Problem
from ..schedule import first_start


@dataclass
class _Route:
    vehicle: int
    nodes: list[int] = field(default_factory=list)
    pinned: dict[int, int] = field(default_factory=dict)  # node -> fixed start (s)
    depart: int = 0
    # per insertion position k (before node k; k = len: before the end), set by _refresh:
    prev: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # node before
    nxt: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # node after
    prev_end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # s, service end before
    nxt_latest: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # s, latest start after
    arc_m: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # metres, prev -> nxt


class InsertionBuilder:
    """Builds routes for a :class:`Problem` by cheapest feasible insertion."""

    def __init__(self, problem: Problem, allow_late: bool = False):
        p = problem
        self.p = p
        L = p.lists
        self.lo = np.array([w[0][0] for w in L.hard_windows], dtype=np.int64)
        #: end of the last window (lateness is counted from here), and the latest start allowed
        self.due = np.array(L.due, dtype=np.int64)
        self.late = p.max_late.astype(np.int64) if allow_late else np.zeros_like(self.due)
        self.hi = self.due + self.late
        self.multi = np.array([len(w) > 1 for w in p.windows])
        #: per node (lo, hi) start intervals, the last one's hi extended by the allowed lateness
        self.windows = L.windows if allow_late else L.hard_windows
        self.routes = [_Route(v, depart=int(p.shift_start[v])) for v in range(p.n_vehicles)]
        for r in self.routes:
            self._refresh(r)

    # ---------------------------------------------------------------- timing
    def _window_hi(self, node: int, t: int) -> int:
        """Latest start in the window that contains start ``t`` of ``node`` (the last window
        extended by the allowed lateness)."""
        w = self.windows[node]
        for lo, hi in w[:-1]:
            if lo <= t <= hi:
                return hi
        return w[-1][1]

    def _earliest(self, node: int, t: int) -> int | None:
        return first_start(self.windows[node], t)

    def _refresh(self, r: _Route) -> bool:
        """Recompute earliest and latest starts; False if the route is infeasible."""
        L = self.p.lists
        duration, service, pinned, nodes = L.duration, L.service, r.pinned, r.nodes
        v = r.vehicle
        n = len(nodes)
        start = [0] * n
        ends = [0] * n  # end of each service (s)
        t = L.shift_start[v]
        prev = L.start_node[v]
        ok = True
        for k, node in enumerate(nodes):
            arr = t + duration[prev][node]
            if node in pinned:
                s = pinned[node]
                ok = ok and arr <= s
            else:
                s = self._earliest(node, arr)
                if s is None:
                    ok = False
                    s = arr
            start[k] = s
            t = ends[k] = s + service[node]
            prev = node
        end = L.end_node[v]
        if n:
            ok = ok and t + duration[prev][end] <= L.shift_end[v]
        latest = [0] * n
        nxt_latest = L.shift_end[v]
        nxt = end
        for k in range(n - 1, -1, -1):
            node = nodes[k]
            lim = nxt_latest - duration[node][nxt] - service[node]
            lat = pinned[node] if node in pinned else min(self._window_hi(node, start[k]), lim)
            latest[k] = lat
            nxt_latest, nxt = lat, node
        if n:
            r.depart = max(L.shift_start[v], start[0] - duration[L.start_node[v]][nodes[0]])
        # what every candidate position needs, whatever the visit (_positions)
        r.prev = np.array([L.start_node[v], *nodes], dtype=np.int64)
        r.nxt = np.array([*nodes, end], dtype=np.int64)
        r.prev_end = np.array([L.shift_start[v], *ends], dtype=np.int64)
        r.nxt_latest = np.array([*latest, L.shift_end[v]], dtype=np.int64)
        r.arc_m = self.p.distance[r.prev, r.nxt]
        return bool(ok)

    # ---------------------------------------------------------------- candidates
    def _positions(self, r: _Route, x: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For every position k (before route node k; k = len: before the end), the earliest
        start ``e``, latest start ``l`` of ``x`` there, and the extra cost; infeasible -> e > l."""
        p = self.p
        v = r.vehicle
        arr = r.prev_end + p.duration[r.prev, x]
        if self.multi[x]:
            e = np.array([1 << 40 if (s := self._earliest(x, int(a))) is None else s for a in arr], dtype=np.int64)
            whi = np.array([self._window_hi(x, int(t)) for t in e], dtype=np.int64)
        else:
            e = np.maximum(arr, self.lo[x])
            whi = self.hi[x]
        lat = np.minimum(whi, r.nxt_latest - p.duration[x, r.nxt] - int(p.service[x]))
        delta_m = p.distance[r.prev, x] + p.distance[x, r.nxt] - r.arc_m
        cost = delta_m * int(p.cost_per_m[v]) + (int(p.fixed_cost[v]) if not r.nodes else 0)
        return e, lat, cost, delta_m

    def _late_cost(self, x: int, start: np.ndarray) -> np.ndarray | int:
        """Lateness cost (units) of starting ``x`` at ``start`` (0 in the hard-window pass)."""
        if not self.late[x]:
            return 0
        return np.maximum(start - self.due[x], 0) * int(self.p.late_cost[x])

    def pinned_starts(self) -> dict[int, int]:
        """The fixed start (s) of every two-nurse copy on the routes."""
        return {n: t for r in self.routes for n, t in r.pinned.items()}

    def _insert(self, r: _Route, k: int, x: int, pin: int | None = None) -> None:
        r.nodes.insert(k, x)
        if pin is not None:
            r.pinned[x] = pin
        self._refresh(r)

    def insert_single(self, x: int, max_cost: int | None = None) -> bool:
        best = None
        for v in self.p.allowed_vehicles(x):
            r = self.routes[int(v)]
            e, lat, cost, _ = self._positions(r, x)
            ok = np.flatnonzero(e <= lat)
            if ok.size == 0:
                continue
            cost = cost + self._late_cost(x, e)
            # cheapest, ties broken by earlier start (keeps slack later in the night)
            k = ok[np.lexsort((e[ok], cost[ok]))[0]]
            key = (int(cost[k]), int(e[k]))
            if best is None or key < best[0]:
                best = (key, r, int(k))
        if best is None or (max_cost is not None and best[0][0] > max_cost):
            return False
        self._insert(best[1], best[2], x)
        return True

    def insert_pair(self, xa: int, xb: int, max_cost: int | None = None) -> bool:
        cands = []
        for v in self.p.allowed_vehicles(xa):
            r = self.routes[int(v)]
            e, lat, cost, _ = self._positions(r, xa)
            ok = np.flatnonzero(e <= lat)
            if ok.size:
                cands.append((r, e[ok], lat[ok], cost[ok], ok))
        best = None
        for i in range(len(cands)):
            ra, ea, la, ca, ka = cands[i]
            for j in range(len(cands)):
                if i == j:
                    continue
                rb, eb, lb, cb, kb = cands[j]
                t = np.maximum(ea[:, None], eb[None, :])
                feas = t <= np.minimum(la[:, None], lb[None, :])
                if not feas.any():
                    continue
                tot = ca[:, None] + cb[None, :] + self._late_cost(xa, t) + self._late_cost(xb, t)
                tot = np.where(feas, tot, np.iinfo(np.int64).max)
                a, b = np.unravel_index(int(tot.argmin()), tot.shape)
                key = (int(tot[a, b]), int(t[a, b]))
                if best is None or key < best[0]:
                    best = (key, ra, int(ka[a]), rb, int(kb[b]), int(t[a, b]))
        if best is None or (max_cost is not None and best[0][0] > max_cost):
            return False
        _, ra, ka, rb, kb, t = best
        self._insert(ra, ka, xa, pin=t)
        self._insert(rb, kb, xb, pin=t)
        return True

    def build(self, order: list[int] | None = None) -> list[list[int]]:
        """Insert all tasks (hardest first, or in ``order``); returns node lists per vehicle."""
        p = self.p
        if order is None:
            width = np.array([int(self.due[n[0]] - self.lo[n[0]]) for n in p.task_nodes])
            order = sorted(range(p.n_tasks), key=lambda t: (
                -len(p.task_nodes[t]), not p.task_mandatory[t], -int(p.task_penalty[t]), width[t], t))
        for t in order:
            nodes = p.task_nodes[t]
            limit = None if p.task_mandatory[t] else int(p.task_penalty[t])
            if len(nodes) == 2:
                self.insert_pair(nodes[0], nodes[1], limit)
            else:
                self.insert_single(nodes[0], limit)
        return [list(r.nodes) for r in self.routes]


def _fill(problem: Problem, routes: list[list[int]], starts: dict[int, int],
          allow_late: bool, only: list[int] | None = None) -> tuple[list[list[int]], dict[int, int]] | None:
    """``routes`` with still-unassigned tasks (``only`` these, if given) inserted where they fit
    (pairs keep their ``starts``): two-nurse visits first, then higher priority, then narrower
    windows; and the pinned starts of all pairs. ``None`` if the routes do not time as we do in
    this mode (e.g. a late visit in the hard-window pass)."""
    served = {int(problem.node_task[n]) for r in routes for n in r}
    missing = [t for t in (range(problem.n_tasks) if only is None else only) if t not in served]
    if not missing:
        return routes, starts
    b = InsertionBuilder(problem, allow_late)
    partner = {n for nodes in problem.task_nodes if len(nodes) == 2 for n in nodes}
    for r, nodes in zip(b.routes, routes):
        r.nodes = list(nodes)
        r.pinned = {n: starts[n] for n in nodes if n in partner}
        if not b._refresh(r):
            return None
    def key(t: int) -> tuple[int, bool, int, int, int]:
        n = problem.task_nodes[t][0]
        return (-len(problem.task_nodes[t]), not problem.task_mandatory[t], -int(problem.task_penalty[t]),
                int(b.due[n] - b.lo[n]), t)

    return b.build(sorted(missing, key=key)), b.pinned_starts()


def _late_pass(problem: Problem, routes: list[list[int]], starts: dict[int, int]) -> list[list[int]]:
    """``routes`` with what still fits when visits may be late (where any visit allows it)."""
    if not problem.max_late.any():
        return routes
    late = _fill(problem, routes, starts, allow_late=True)
    return routes if late is None else late[0]


def insertion_routes(problem: Problem) -> list[list[int]]:
    """Routes by joint cheapest insertion, hard windows first, then lateness where allowed
    (see module docstring)."""
    b = InsertionBuilder(problem)
    routes = b.build()
    return _late_pass(problem, routes, b.pinned_starts())


def repair_routes(problem: Problem, routes: list[list[int]], starts: dict[int, int], *,
                  only: list[int] | None = None) -> list[list[int]]:
    """Insert still-unassigned tasks (``only`` these, if given) into existing routes (pairs keep
    their ``starts``): hard windows first, then lateness where allowed. Routes that do not time
    as we do are left alone."""
    hard = _fill(problem, routes, starts, allow_late=False, only=only)
    if hard is not None:
        routes, starts = hard
    if not problem.max_late.any():
        return routes
    late = _fill(problem, routes, starts, allow_late=True, only=only)
    return routes if late is None else late[0]
