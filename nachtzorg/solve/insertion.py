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

from ..problem import DIFFERENT, SAME, Problem
from ..schedule import first_start, plan_cost, time_route


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
    # per route node, set by _refresh, for the cost of delaying them (_extra):
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # s, start of care
    waited: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # s, waits up to here, summed
    late: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # s, lateness now
    back: int = 0  # s, back at the end place (the shift start while unused)


#: Positions tried per pair of nurses for a two-nurse or linked pair when breaks may forbid the
#: cheapest (the check with breaks times the route; the cheaper positions come first).
PAIR_TRIES = 8


class InsertionBuilder:
    """Builds routes for a :class:`Problem` by cheapest feasible insertion."""

    def __init__(self, problem: Problem, allow_late: bool = False, price_delays: bool | None = None):
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
        #: node -> [(other node, lowest gap, highest gap of this node's start minus the other's, rule)]
        self.links: dict[int, list[tuple[int, int, int, int]]] = {}
        for a, b, lo, hi, rule in p.dependencies:
            self.links.setdefault(b, []).append((a, lo, hi, rule))
            self.links.setdefault(a, []).append((b, -hi, -lo, rule))
        self.breaks = p.breaks or ((),) * p.n_vehicles
        #: cost units per second of the plan's largest lateness
        self.max_late_cost = int(p.max_late_cost)
        #: whether a position is priced with the lateness and overtime its delay pushes onto
        #: the later visits, and the largest lateness (else the detour and its own lateness)
        self.price_delays = _prices_delays(p) if price_delays is None else price_delays
        for r in self.routes:
            self._refresh(r)

    # ---------------------------------------------------------------- timing
    def _fits_breaks(self, r: _Route, nodes: list[int], pins: dict[int, int]) -> bool:
        """Whether the route ``nodes`` of ``r``'s vehicle still times with her breaks, every
        pinned start (``pins``) kept exactly. The positions above ignore breaks (they are rare
        to bind), so a chosen position is checked here before it is taken."""
        if not self.breaks[r.vehicle]:
            return True
        issues: list[str] = []
        time_route(self.p.lists, r.vehicle, nodes, pins, self.breaks[r.vehicle], issues, exact=True)
        return not issues
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
            ok = ok and t + duration[prev][end] <= L.latest_back[v]
        latest = [0] * n
        nxt_latest = L.latest_back[v]
        nxt = end
        for k in range(n - 1, -1, -1):
            node = nodes[k]
            lim = nxt_latest - duration[node][nxt] - service[node]
            lat = pinned[node] if node in pinned else min(self._window_hi(node, start[k]), lim)
            latest[k] = lat
            nxt_latest, nxt = lat, node
        if n:
            r.depart = max(L.shift_start[v], start[0] - duration[L.start_node[v]][nodes[0]])
        # what delaying a node costs (_extra): its start, the waits a delay is absorbed by, lateness
        arrive = [L.shift_start[v] + duration[L.start_node[v]][nodes[0]]] if n else []
        arrive += [ends[k - 1] + duration[nodes[k - 1]][nodes[k]] for k in range(1, n)]
        r.start = np.array(start, dtype=np.int64)
        r.waited = np.cumsum(np.maximum(r.start - np.array(arrive, dtype=np.int64), 0))
        r.late = np.maximum(r.start - self.due[nodes], 0) if n else np.zeros(0, dtype=np.int64)
        r.back = t + duration[prev][end] if n else L.shift_start[v]
        # what every candidate position needs, whatever the visit (_positions)
        r.prev = np.array([L.start_node[v], *nodes], dtype=np.int64)
        r.nxt = np.array([*nodes, end], dtype=np.int64)
        r.prev_end = np.array([L.shift_start[v], *ends], dtype=np.int64)
        r.nxt_latest = np.array([*latest, L.latest_back[v]], dtype=np.int64)
        r.arc_m = self.p.distance[r.prev, r.nxt]
        return bool(ok)

    # ---------------------------------------------------------------- candidates
    def _positions(self, r: _Route, x: int, span: tuple[int, int] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For every position k (before route node k; k = len: before the end), the earliest
        start ``e``, latest start ``l`` of ``x`` there, and the extra cost; infeasible -> e > l.
        ``span``: the start must also lie in ``[lo, hi]`` (the gap to a linked visit)."""
        p = self.p
        v = r.vehicle
        arr = r.prev_end + p.duration[r.prev, x]
        if span is not None:
            arr = np.maximum(arr, span[0])
        if self.multi[x]:
            e = np.array([1 << 40 if (s := self._earliest(x, int(a))) is None else s for a in arr], dtype=np.int64)
            whi = np.array([self._window_hi(x, int(t)) for t in e], dtype=np.int64)
        else:
            e = np.maximum(arr, self.lo[x])
            whi = self.hi[x]
        lat = np.minimum(whi, r.nxt_latest - p.duration[x, r.nxt] - int(p.service[x]))
        if span is not None:
            lat = np.minimum(lat, span[1])
        delta_m = p.distance[r.prev, x] + p.distance[x, r.nxt] - r.arc_m
        cost = delta_m * int(p.cost_per_m[v]) + (int(p.fixed_cost[v]) if not r.nodes else 0)
        if p.node_vehicle_cost is not None:
            cost = cost + int(p.node_vehicle_cost[x, v])
        return e, lat, cost, delta_m

    def _linked(self, x: int) -> tuple[tuple[int, int] | None, set[int] | None, set[int]]:
        """For a linked visit ``x``: the span its start must lie in given the linked visits
        already on the routes, the vehicles it must use (None: any) and those it must not."""
        links = self.links.get(x)
        if not links:
            return None, None, set()
        where = {n: (r.vehicle, r.pinned[n]) for r in self.routes for n in r.pinned}
        lo, hi = -(1 << 40), 1 << 40
        only: set[int] | None = None
        never: set[int] = set()
        for other, glo, ghi, rule in links:
            if other not in where:
                continue
            veh, start = where[other]
            lo, hi = max(lo, start + glo), min(hi, start + ghi)
            if rule == SAME:
                only = {veh} if only is None else only & {veh}
            elif rule == DIFFERENT:
                never.add(veh)
        return (lo, hi), only, never

    def _extra(self, r: _Route, x: int, k: np.ndarray, t: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """What inserting ``x`` at positions ``k`` of ``r``, starting at ``t`` (arrays of one
        shape, or broadcastable), costs beyond the detour: its own lateness, the lateness its
        delay pushes onto the later visits of the route (a delay is absorbed by the waits
        before them), and overtime; and the route's largest lateness (s) afterwards. Breaks and
        later windows of multi-window visits are left out of this price; the schedule costs
        every candidate plan exactly."""
        p = self.p
        k, t = np.broadcast_arrays(np.asarray(k, dtype=np.int64), np.asarray(t, dtype=np.int64))
        own = np.maximum(t - self.due[x], 0)
        cost = own * int(p.late_cost[x])
        if not self.price_delays:
            return cost, np.zeros_like(own)
        m = len(r.nodes)
        arrive = t + int(p.service[x]) + p.duration[x, r.nxt[k]]  # at the node after x (or the end)
        if m:
            kk = np.minimum(k, m - 1)
            pushed = np.where(k < m, np.maximum(arrive - r.start[kk], 0), 0)
            # a delay P at node k reaches node j >= k as max(0, P - waits from k+1 to j)
            absorbed = r.waited[None, :] - r.waited[kk.ravel()][:, None]
            delay = np.maximum(pushed.ravel()[:, None] - absorbed, 0)
            delay[np.arange(m)[None, :] < k.ravel()[:, None]] = 0
            late = np.maximum(r.late + delay, r.start + delay - self.due[r.nodes])
            cost = cost + ((late - r.late) * p.late_cost[r.nodes]).sum(axis=1).reshape(k.shape)
            worst = np.maximum(late.max(axis=1).reshape(k.shape), own)
            end_delay = np.where(k < m, delay[:, -1].reshape(k.shape), np.maximum(arrive - r.back, 0))
        else:
            worst = own
            end_delay = arrive - r.back
        oc = p.overtime_cost
        if oc is not None and oc[r.vehicle]:
            over = int(p.shift_end[r.vehicle])
            cost = cost + (np.maximum(r.back + end_delay - over, 0) - max(r.back - over, 0)) * int(oc[r.vehicle])
        return cost, worst

    def _worst_late(self) -> int:
        """The largest lateness on the routes now (s)."""
        return max((int(r.late.max()) for r in self.routes if r.nodes), default=0)

    def pinned_starts(self) -> dict[int, int]:
        """The fixed start (s) of every two-nurse copy and linked visit on the routes."""
        return {n: t for r in self.routes for n, t in r.pinned.items()}

    def _insert(self, r: _Route, k: int, x: int, pin: int | None = None) -> None:
        r.nodes.insert(k, x)
        if pin is not None:
            r.pinned[x] = pin
        self._refresh(r)

    def insert_single(self, x: int, max_cost: int | None = None) -> bool:
        cands = []
        span, only, never = self._linked(x)
        worst_now = self._worst_late()
        for v in self.p.allowed_vehicles(x):
            if (only is not None and int(v) not in only) or int(v) in never:
                continue
            r = self.routes[int(v)]
            if self._over_capacity(r, x):
                continue
            e, lat, cost, _ = self._positions(r, x, span)
            ok = np.flatnonzero(e <= lat)
            if ok.size == 0:
                continue
            extra, worst = self._extra(r, x, ok, e[ok])
            price = np.asarray(cost + np.zeros_like(e))
            price[ok] += extra + np.maximum(worst - worst_now, 0) * self.max_late_cost
            # the detour and its own lateness decide whether a visit that may be left out is worth it
            own = np.asarray(cost + np.maximum(e - self.due[x], 0) * int(self.p.late_cost[x]))
            # cheapest, ties broken by earlier start (keeps slack later in the night)
            order = ok[np.lexsort((e[ok], price[ok]))]
            if not self.breaks[r.vehicle]:
                order = order[:1]
            cands += [((int(price[k]), int(e[k])), r, int(k), int(own[k])) for k in order]
        cands.sort(key=lambda c: (c[0], c[1].vehicle, c[2]))
        pins = self.pinned_starts()
        for key, r, k, own_cost in cands:
            if max_cost is not None and own_cost > max_cost:
                return False
            pin = key[1] if x in self.links else None
            if self._fits_breaks(r, [*r.nodes[:k], x, *r.nodes[k:]], {**pins, x: key[1]} if pin else pins):
                self._insert(r, k, x, pin=pin)
                return True
        return False

    def _over_capacity(self, r: _Route, x: int) -> bool:
        """Whether ``x`` on ``r`` would exceed her load capacity (benchmark instances only:
        night visits carry no load)."""
        p = self.p
        return bool(p.demand[x]) and int(p.demand[r.nodes].sum()) + int(p.demand[x]) > int(p.capacity[r.vehicle])

    def _candidates(self, x: int, span: tuple[int, int] | None) -> dict[int, tuple]:
        out = {}
        for v in self.p.allowed_vehicles(x):
            r = self.routes[int(v)]
            if self._over_capacity(r, x):
                continue
            e, lat, cost, _ = self._positions(r, x, span)
            ok = np.flatnonzero(e <= lat)
            if ok.size:
                out[int(v)] = (r, e[ok], lat[ok], cost[ok], ok)
        return out

    def insert_pair(self, xa: int, xb: int, max_cost: int | None = None, *, gap: tuple[int, int] = (0, 0)) -> bool:
        """Insert ``xa`` and ``xb`` in one step on two different vehicles, ``xb`` starting
        ``gap[0]``-``gap[1]`` s after ``xa`` (a two-nurse visit: 0-0); both starts are pinned."""
        lo, hi = gap
        span, _, _ = self._linked(xa)
        cands_a = self._candidates(xa, span)
        cands_b = self._candidates(xb, None if span is None else (span[0] + lo, span[1] + hi))
        worst_now = self._worst_late()
        best: list[tuple] = []
        for va, (ra, ea, la, ca, ka) in cands_a.items():
            for vb, (rb, eb, lb, cb, kb) in cands_b.items():
                if va == vb:
                    continue
                ta = np.maximum(ea[:, None], eb[None, :] - hi)  # the earliest pair of starts
                tb = np.maximum(eb[None, :], ta + lo)
                feas = (ta <= la[:, None]) & (tb <= lb[None, :])
                if not feas.any():
                    continue
                extra_a, worst_a = self._extra(ra, xa, ka[:, None], ta)
                extra_b, worst_b = self._extra(rb, xb, kb[None, :], tb)
                worst = np.maximum(np.maximum(worst_a, worst_b), worst_now)
                own = (ca[:, None] + cb[None, :] + np.maximum(ta - self.due[xa], 0) * int(self.p.late_cost[xa])
                       + np.maximum(tb - self.due[xb], 0) * int(self.p.late_cost[xb]))
                tot = ca[:, None] + cb[None, :] + extra_a + extra_b + (worst - worst_now) * self.max_late_cost
                tot = np.where(feas, tot, np.iinfo(np.int64).max)
                breaks = bool(self.breaks[va] or self.breaks[vb])
                # with breaks, a few more per pair of nurses, in case the cheapest breaks a break
                for flat in np.argsort(tot, axis=None)[:PAIR_TRIES if breaks else 1]:
                    a, b = np.unravel_index(int(flat), tot.shape)
                    if not feas[a, b]:
                        break
                    best.append(((int(tot[a, b]), int(ta[a, b])), ra, int(ka[a]), rb, int(kb[b]), int(ta[a, b]),
                                 int(tb[a, b]), int(own[a, b])))
        best.sort(key=lambda c: (c[0], c[1].vehicle, c[3].vehicle, c[2], c[4]))
        pinned = self.pinned_starts()
        for key, ra, ka, rb, kb, t_a, t_b, own_cost in best:
            if max_cost is not None and own_cost > max_cost:
                return False
            na, nb = [*ra.nodes[:ka], xa, *ra.nodes[ka:]], [*rb.nodes[:kb], xb, *rb.nodes[kb:]]
            if self.breaks[ra.vehicle] or self.breaks[rb.vehicle]:
                later = self._pair_with_breaks(ra, na, xa, rb, nb, xb, t_a, t_b, gap, pinned)
                if later is None:
                    continue
                t_a, t_b = later
            self._insert(ra, ka, xa, pin=t_a)
            self._insert(rb, kb, xb, pin=t_b)
            return True
        return False

    def _pair_with_breaks(self, ra: _Route, na: list[int], xa: int, rb: _Route, nb: list[int], xb: int,
                          t_a: int, t_b: int, gap: tuple[int, int], pinned: dict[int, int]) -> tuple[int, int] | None:
        """The starts of a pair placed on ``na`` and ``nb`` once breaks are timed: the positions
        above ignore breaks, which may put off the earliest start of either copy; both then start
        that much later (within their windows), or ``None`` if they cannot."""
        lo, hi = gap
        L = self.p.lists
        for _ in range(3):
            pins = {**pinned, xa: t_a, xb: t_b}
            if self._fits_breaks(ra, na, pins) and self._fits_breaks(rb, nb, pins):
                return t_a, t_b
            starts = []
            for r, nodes, x, t in ((ra, na, xa, t_a), (rb, nb, xb, t_b)):
                issues: list[str] = []
                stops = time_route(L, r.vehicle, nodes, {**pinned, x: t}, self.breaks[r.vehicle], issues)[0]
                starts.append(next(st.start for st in stops if st.node == x))
            new_a = max(starts[0], starts[1] - hi)
            new_b = max(starts[1], new_a + lo)
            if (new_a, new_b) == (t_a, t_b) or self._earliest(xa, new_a) != new_a \
                    or self._earliest(xb, new_b) != new_b:
                return None
            t_a, t_b = new_a, new_b
        return None

    def _joint(self, t: int, waiting: set[int]) -> tuple[int, int, int, int] | None:
        """A dependency from single-nurse task ``t`` to a single-nurse task still ``waiting``
        whose two visits may go to two different nurses: ``(node a, node b, lo, hi)``."""
        p = self.p
        if len(p.task_nodes[t]) != 1:
            return None
        for a, b, lo, hi, rule in p.dependencies:
            u = int(p.node_task[b])
            if int(p.node_task[a]) == t and u in waiting and len(p.task_nodes[u]) == 1 and rule != SAME:
                return a, b, lo, hi
        return None

    def build(self, order: list[int] | None = None) -> list[list[int]]:
        """Insert all tasks (hardest first, or in ``order``); returns node lists per vehicle."""
        p = self.p
        if order is None:
            width = np.array([int(self.due[n[0]] - self.lo[n[0]]) for n in p.task_nodes])
            order = sorted(range(p.n_tasks), key=lambda t: (
                -len(p.task_nodes[t]), not p.task_mandatory[t], -int(p.task_penalty[t]), width[t], t))
        order = _dependency_order(p, list(order))
        waiting = set(order)
        for t in order:
            if t not in waiting:
                continue
            waiting.discard(t)
            nodes = p.task_nodes[t]
            limit = None if p.task_mandatory[t] else int(p.task_penalty[t])
            joint = self._joint(t, waiting)
            if joint is not None:  # a visit and the one that follows it, placed together
                a, b, lo, hi = joint
                u = int(p.node_task[b])
                both = None if limit is None or not p.task_mandatory[u] else limit + int(p.task_penalty[u])
                if self.insert_pair(a, b, both, gap=(lo, hi)):
                    waiting.discard(u)
                    continue
            if len(nodes) == 2:
                self.insert_pair(nodes[0], nodes[1], limit)
            else:
                self.insert_single(nodes[0], limit)
        return [list(r.nodes) for r in self.routes]


def _dependency_order(problem: Problem, order: list[int]) -> list[int]:
    """``order`` with every task moved after the tasks it depends on (when they are in it)."""
    before: dict[int, list[int]] = {}
    for a, b, *_ in problem.dependencies:
        before.setdefault(int(problem.node_task[b]), []).append(int(problem.node_task[a]))
    if not before:
        return order
    wanted, out, seen = set(order), [], set()

    def visit(t: int) -> None:
        if t in seen:
            return
        seen.add(t)
        for first in before.get(t, ()):
            if first in wanted:
                visit(first)
        out.append(t)

    for t in order:
        visit(t)
    return out


def _fill(problem: Problem, routes: list[list[int]], starts: dict[int, int],
          allow_late: bool, only: list[int] | None = None,
          price_delays: bool | None = None) -> tuple[list[list[int]], dict[int, int]] | None:
    """``routes`` with still-unassigned tasks (``only`` these, if given) inserted where they fit
    (pairs keep their ``starts``): two-nurse visits first, then higher priority, then narrower
    windows; and the pinned starts of all pairs. ``None`` if the routes do not time as we do in
    this mode (e.g. a late visit in the hard-window pass)."""
    served = {int(problem.node_task[n]) for r in routes for n in r}
    missing = [t for t in (range(problem.n_tasks) if only is None else only) if t not in served]
    if not missing:
        return routes, starts
    b = InsertionBuilder(problem, allow_late, price_delays)
    partner = {n for nodes in problem.task_nodes if len(nodes) == 2 for n in nodes}
    partner |= {x for a, b, *_ in problem.dependencies for x in (a, b)}
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


def _late_pass(problem: Problem, routes: list[list[int]], starts: dict[int, int],
               only: list[int] | None = None, price_delays: bool | None = None) -> list[list[int]]:
    """``routes`` with what still fits when visits may be late (where any visit allows it). A
    left-out visit linked to a served one (a dependency) may not fit against that one's fixed
    start: then both are also tried again together, and the plan that serves more (then costs
    less) is kept."""
    if not problem.max_late.any():
        return routes
    late = _fill(problem, routes, starts, allow_late=True, only=only, price_delays=price_delays)
    out = routes if late is None else late[0]
    p = problem
    served = {int(p.node_task[n]) for r in out for n in r}
    release = {b if int(p.node_task[a]) not in served else a for a, b, *_ in p.dependencies
               if (int(p.node_task[a]) in served) != (int(p.node_task[b]) in served)}
    release = {n for n in release if len(p.task_nodes[int(p.node_task[n])]) == 1}
    if not release:
        return out
    freed = [[n for n in r if n not in release] for r in out]
    keep = {n: t for n, t in (late[1] if late else starts).items() if n not in release}
    again = _fill(p, freed, keep, allow_late=True,
                  only=None if only is None else list(set(only) | {int(p.node_task[n]) for n in release}),
                  price_delays=price_delays)
    if again is None:
        return out

    def key(rs: list[list[int]]) -> tuple[int, int]:
        return (-sum(len(r) for r in rs), plan_cost(p, rs))

    return min((out, again[0]), key=key)


def _prices_delays(problem: Problem) -> bool:
    """Whether positions are priced by the delays they push on, by default: on problems that cost
    the largest lateness, where the detour alone piles lateness up (the home-care benchmark).
    Elsewhere the detour prices them, as before: on a fuzzed night the priced repair left out a
    visit that fitted (the independent checker caught it)."""
    return bool(problem.max_late_cost)


def _priced(problem: Problem) -> bool:
    """Whether delaying a visit can cost anything: lateness or overtime with a cost."""
    p = problem
    return bool(((p.max_late > 0) & (p.late_cost > 0)).any()) or (
        p.overtime_cost is not None and bool(p.overtime_cost.any()))


def insertion_routes(problem: Problem) -> list[list[int]]:
    """Routes by joint cheapest insertion, hard windows first, then lateness where allowed
    (see module docstring). Where delays cost (lateness, overtime), built twice, with positions
    priced by what their delay pushes onto later visits and by detour alone; the plan that
    serves more visits, then costs less by our own costing, is kept (each is better on some
    nights; figures in ``benchmarks/README.md``)."""
    plans = []
    default = _prices_delays(problem)
    for price in (True, False) if _priced(problem) and default else (default,):
        b = InsertionBuilder(problem, price_delays=price)
        routes = b.build()
        plans.append(_late_pass(problem, routes, b.pinned_starts(), price_delays=price))
    if len(plans) == 1:
        return plans[0]

    def key(rs: list[list[int]]) -> tuple[int, int]:
        return (-sum(len(r) for r in rs), plan_cost(problem, rs))

    return min(plans, key=key)


def repair_routes(problem: Problem, routes: list[list[int]], starts: dict[int, int], *,
                  only: list[int] | None = None) -> list[list[int]]:
    """Insert still-unassigned tasks (``only`` these, if given) into existing routes (pairs keep
    their ``starts``): hard windows first, then lateness where allowed. Routes that do not time
    as we do are left alone."""
    hard = _fill(problem, routes, starts, allow_late=False, only=only)
    if hard is not None:
        routes, starts = hard
    return _late_pass(problem, routes, starts, only)
