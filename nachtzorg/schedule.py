"""Timing of routes: the one place that computes arrival, start, wait and end of every stop.

Given routes (node lists per vehicle), each visit starts as early as its windows allow.
Linked visits hold their gap: the two copies of a two-nurse visit start together, and a visit
that depends on another starts between its minimum and maximum gap after it (the later one
waits, or the earlier one is pushed), which may push later stops of other nurses, so the
forward pass repeats until no start moves. A nurse leaves her start place as late as she can
without delaying her first visit (no pointless waiting at a client's door), but never before
her shift starts.

Breaks (a used nurse's only) are placed in the same pass, each at the first gap between stops
where it costs no delay (taken while she would wait anyway), else at the last gap where it can
still start in time; they are taken anywhere (in the car or at a door), never during care.
All times are integer seconds of the problem's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .problem import DIFFERENT, SAME, Problem


class StopTime(NamedTuple):
    """Times of one stop, seconds: ``arrival <= start``, ``end = start + service``. (A named
    tuple: timing builds one per stop of every candidate plan, three times faster than a frozen
    dataclass.)"""

    node: int
    arrival: int
    start: int
    end: int
    travel_s: int  # from the previous stop
    distance_m: int  # from the previous stop

    @property
    def wait(self) -> int:
        return self.start - self.arrival


class BreakTime(NamedTuple):
    """A break taken on a route, seconds: in the gap before stop ``after`` (0: before the first,
    the number of stops: before the end place), at that stop's door (``at_next``: she drove
    first) or where she was."""

    after: int
    start: int
    end: int
    at_next: bool = False


@dataclass
class Schedule:
    """Stop times per vehicle, plus the problems found while timing (empty when feasible)."""

    stops: list[list[StopTime]]  # per vehicle, visited nodes only
    depart: list[int]  # per vehicle, leaving the start node (s)
    back: list[int]  # per vehicle, arriving at the end node (s)
    back_travel_s: list[int]
    back_distance_m: list[int]
    issues: list[str] = field(default_factory=list)
    breaks: list[list[BreakTime]] = field(default_factory=list)  # per vehicle

    @property
    def feasible(self) -> bool:
        return not self.issues

    def start_of(self) -> dict[int, int]:
        return {s.node: s.start for route in self.stops for s in route}

    def lateness(self, problem: Problem) -> dict[int, int]:
        """Seconds past the last window end, per visited node (only late ones)."""
        due = problem.lists.due
        out = {}
        for route in self.stops:
            for s in route:
                late = s.start - due[s.node]
                if late > 0:
                    out[s.node] = late
        return out

    def overtime(self, problem: Problem) -> list[int]:
        """Seconds past her shift end, per vehicle (0 for unused vehicles)."""
        ends = problem.lists.shift_end
        return [max(0, b - ends[v]) if self.stops[v] else 0 for v, b in enumerate(self.back)]


def first_start(windows: tuple[tuple[int, int], ...], t: int) -> int | None:
    """Earliest start >= ``t`` inside one of ``windows`` (``(lo, hi)`` pairs, in order), or None."""
    for lo, hi in windows:
        if t <= hi:
            return t if t > lo else lo
    return None


def earliest_start(problem: Problem, node: int, t: int) -> int | None:
    """Earliest start >= ``t`` inside a window of ``node`` (lateness allowed on the last)."""
    return first_start(problem.lists.windows[node], t)


def time_route(L, v: int, route: list[int], lower: dict[int, int], breaks: tuple[tuple[int, int, int], ...],
               issues: list[str], *, exact: bool = False) -> tuple[list[StopTime], int, int, int, int, list[BreakTime]]:
    """One vehicle's stops, departure, return, last leg and breaks (see module docstring);
    ``lower``: earliest starts of linked nodes (s), with ``exact`` the starts they must have;
    problems found are added to ``issues``. ``L`` is the problem's
    :class:`~nachtzorg.problem.ProblemLists`. When the breaks' placement makes the route fail,
    every placement of them over the gaps is tried, earliest first."""
    mine: list[str] = []
    out = _time_route(L, v, route, lower, breaks, mine, None)
    if exact:
        _check_exact(out[0], lower, mine)
    if mine and breaks and route:
        for gaps in _placements(len(route), len(breaks)):
            trial: list[str] = []
            alt = _time_route(L, v, route, lower, breaks, trial, gaps)
            if exact and not trial:
                _check_exact(alt[0], lower, trial)
            if not trial:
                return alt
    issues += mine
    return out


def _check_exact(stops: list[StopTime], starts: dict[int, int], issues: list[str]) -> None:
    for st in stops:
        if st.node in starts and st.start != starts[st.node]:
            issues.append(f"node {st.node} starts at {st.start}, not at {starts[st.node]}")


def _placements(n_stops: int, n_breaks: int):
    """Gap indices (0..n_stops, non-decreasing) for ``n_breaks`` breaks, earliest first."""
    from itertools import combinations_with_replacement

    return combinations_with_replacement(range(n_stops + 1), n_breaks)


def _least_delay_gap(L, v: int, route: list[int], k0: int, t: int, tl: int, lower: dict[int, int],
                     brk: tuple[int, int, int]) -> int:
    """The gap, from ``k0`` on, where the break ``brk = (duration, earliest, latest start)`` delays
    the start of the stop after it least, the last such gap on a tie, timing the route on without
    it. She is free at ``t`` with ``tl`` of the drive of gap ``k0`` still to do. Every later stop
    is then delayed by at most that much and no earlier stop at all, so the largest delay any stop
    suffers is least and as few stops as possible suffer it: a two-nurse partner or dependent visit
    on another route waits for it no longer than it must."""
    duration, service, windows = L.duration, L.service, L.windows
    d, eb, lb = brk
    n = len(route)
    prev = route[k0 - 1] if k0 else L.start_node[v]
    best, best_k = None, k0
    for k in range(k0, n + 1):
        node = route[k] if k < n else L.end_node[v]
        travel = tl if k == k0 else duration[prev][node]
        b_door, b_prev = max(t + travel, eb), max(t, eb)
        if b_prev > lb and (b_door > lb or travel):
            break  # too late from here on
        ready = b_door + d if b_door <= lb else b_prev + d + travel
        if k == n:
            delay, s = ready - (t + travel), None
        else:
            e = lower.get(node, t + travel)
            s = first_start(windows[node], max(t + travel, e))
            if s is None:
                break  # the route fails here anyway
            late = first_start(windows[node], max(ready, e))
            delay = late - s if late is not None else 1 << 40
        if best is None or delay <= best:
            best, best_k = delay, k
        if s is None:
            break
        t, prev = s + service[node], node
    return best_k


def _time_route(L, v: int, route: list[int], lower: dict[int, int], breaks: tuple[tuple[int, int, int], ...],
                issues: list[str], gaps: tuple[int, ...] | None) -> tuple[list[StopTime], int, int, int, int,
                                                                           list[BreakTime]]:
    """:func:`time_route` with the breaks at the greedy gaps (``gaps`` None) or at ``gaps``.

    A break in the gap before stop ``k`` (``k == len(route)``: before the end place) is taken at
    the door of that stop when it can start there in time (she drives first; waiting for the
    window becomes break time), else where she is, before driving."""
    duration, distance, service, windows = L.duration, L.distance, L.service, L.windows
    prev = L.start_node[v]
    t = shift_start = L.shift_start[v]
    stops: list[StopTime] = []
    taken: list[BreakTime] = []
    pending = sorted(breaks, key=lambda b: b[1]) if route else []
    depart = shift_start
    n = len(route)
    target: int | None = None  # the gap chosen for the next break
    for k in range(n + 1):
        node = route[k] if k < n else L.end_node[v]
        travel = duration[prev][node] if route else 0
        door = None  # arrival at ``node``'s door when a break was taken there
        tl = travel  # driving still to do
        while pending:  # breaks at this gap
            d, eb, lb = pending[0]
            b_door = max(t + tl, eb)
            b_prev = max(t, eb) if tl else None
            at_door = b_door <= lb
            b = b_door if at_door else b_prev
            if gaps is not None:
                if gaps[len(taken)] != k:
                    break
                if b is None or b > lb:
                    issues.append(f"vehicle {v}: break of {d} s cannot start by {lb}")
                    b, at_door = b_door, True
            elif b is None or b > lb:
                break
            else:  # at the gap where it delays the next stop least
                if target is None:
                    target = _least_delay_gap(L, v, route, k, t, tl, lower, pending[0])
                if target != k:
                    break
            if at_door and door is None:  # at the first gap she leaves in time to start the break on arrival
                door = b if k == 0 else t + tl
                tl = 0
            taken.append(BreakTime(k, b, b + d, at_door))
            t = b + d
            pending.pop(0)
            target = None
        if k == n:
            break
        if k == 0 and door is None:  # leave as late as possible without delaying the first start
            e = lower.get(node, t + travel)
            s0 = first_start(windows[node], max(t + travel, e))
            s0 = max(t + travel, e) if s0 is None else s0
            depart = t = max(t, s0 - travel)
        elif k == 0:
            depart = door - travel
        arrival = t + tl if door is None else door
        ready = t + tl
        e = lower.get(node, ready)
        t0 = ready if ready > e else e
        s = first_start(windows[node], t0)
        if s is None:
            issues.append(f"vehicle {v}: node {node} reached at {ready}, after its last window")
            s = t0
        t = s + service[node]
        stops.append(StopTime(node, arrival, s, t, travel, distance[prev][node]))
        prev = node
    for d, eb, lb in pending:  # what could not be placed
        issues.append(f"vehicle {v}: break of {d} s cannot start by {lb}")
    end = L.end_node[v]
    bt = duration[prev][end] if route else 0
    bd = distance[prev][end] if route else 0
    at_end_door = [b for b in taken if b.after == n and b.at_next]
    if not route:
        back = shift_start
    elif at_end_door:
        back = t  # the last break ends at her end place
    else:
        back = t + bt
    if route and back > L.latest_back[v]:
        issues.append(f"vehicle {v}: back at {back}, after shift end {L.latest_back[v]}")
    return stops, depart, back, bt, bd, taken


def schedule_routes(problem: Problem, routes: list[list[int]], *, max_rounds: int | None = None) -> Schedule:
    """Earliest-start timing of ``routes`` (one list of visited nodes per vehicle)."""
    L = problem.lists
    links = L.links
    breaks = problem.breaks or ((),) * len(routes)
    lower: dict[int, int] = {}
    rounds = max_rounds or (4 * len(links) + 2)
    vehicle_of = {n: v for v, r in enumerate(routes) for n in r}
    for _ in range(rounds):
        issues: list[str] = []
        start: dict[int, int] = {}
        all_stops, depart, back, back_t, back_d, all_breaks = [], [], [], [], [], []
        for v, route in enumerate(routes):
            stops, dep, bk, bt, bd, taken = time_route(L, v, route, lower, breaks[v], issues)
            for st in stops:
                start[st.node] = st.start
            all_stops.append(stops)
            depart.append(dep)
            back.append(bk)
            back_t.append(bt)
            back_d.append(bd)
            all_breaks.append(taken)
        moved = False
        for a, b, lo, hi, _rule in links:
            if a in start and b in start:
                if start[b] < start[a] + lo and lower.get(b, -1) < start[a] + lo:
                    lower[b] = start[a] + lo
                    moved = True
                elif start[b] > start[a] + hi and lower.get(a, -1) < start[b] - hi:
                    lower[a] = start[b] - hi
                    moved = True
        if not moved:
            break
    else:
        issues.append("linked visits could not be timed together (routes wait for each other)")
    for a, b in L.partner.items():
        if (a in start) != (b in start):
            issues.append(f"two-nurse node {a} is served without its partner {b}")
    if problem.demand.any():  # load capacity (benchmark instances; night visits carry no load)
        for v, route in enumerate(routes):
            load = int(problem.demand[route].sum()) if route else 0
            if load > int(problem.capacity[v]):
                issues.append(f"vehicle {v}: load {load} exceeds capacity {int(problem.capacity[v])}")
    for a, b, lo, hi, rule in links:
        if a in start and b in start:
            if not lo <= start[b] - start[a] <= hi:
                issues.append(f"node {b} starts {start[b] - start[a]} s after node {a}, not {lo}-{hi} s")
            if rule == SAME and vehicle_of[a] != vehicle_of[b]:
                issues.append(f"nodes {a} and {b} must be served by the same vehicle")
            if rule == DIFFERENT and vehicle_of[a] == vehicle_of[b]:
                issues.append(f"nodes {a} and {b} must be served by different vehicles")
    return Schedule(all_stops, depart, back, back_t, back_d, issues, all_breaks)


def service_cost(problem: Problem, routes: list[list[int]], schedule: Schedule | None = None) -> int:
    """Cost units of serving ``routes``: fixed, distance and preference cost of the used
    vehicles, lateness, overtime, and the cost of the largest lateness."""
    p = problem
    schedule = schedule or schedule_routes(p, routes)
    cost = sum(p.route_cost(v, r) for v, r in enumerate(routes))
    late_cost = p.lists.late_cost
    late = schedule.lateness(p)
    cost += sum(s * late_cost[node] for node, s in late.items())
    if p.overtime_cost is not None:
        cost += sum(s * int(c) for s, c in zip(schedule.overtime(p), p.overtime_cost))
    if p.max_late_cost and late:
        cost += max(late.values()) * p.max_late_cost
    return int(cost)


#: The cost of routes that cannot be timed: above any plan's.
INFEASIBLE = 1 << 62


def plan_cost(problem: Problem, routes: list[list[int]]) -> int:
    """:func:`total_cost` of routes that can be timed, :data:`INFEASIBLE` for those that cannot
    (what a strategy compares plans by)."""
    sched = schedule_routes(problem, routes)
    return total_cost(problem, routes, sched) if sched.feasible else INFEASIBLE


def total_cost(problem: Problem, routes: list[list[int]], schedule: Schedule | None = None) -> int:
    """Objective in cost units: :func:`service_cost` plus the penalties of unserved tasks."""
    p = problem
    served = {int(p.node_task[n]) for r in routes for n in r}
    penalties = sum(int(p.task_penalty[t]) for t in range(p.n_tasks) if t not in served)
    return service_cost(p, routes, schedule) + int(penalties)
