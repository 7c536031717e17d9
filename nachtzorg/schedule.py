"""Timing of routes: the one place that computes arrival, start, wait and end of every stop.

Given routes (node lists per vehicle), each visit starts as early as its windows allow; the
two copies of a two-nurse visit start together (the later arrival waits for the earlier),
which may push later stops of the other nurse, so the forward pass repeats until no start
moves. A nurse leaves her start place as late as she can without delaying her first visit
(no pointless waiting at a client's door), but never before her shift starts.
All times are integer seconds of the problem's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .problem import Problem


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


@dataclass
class Schedule:
    """Stop times per vehicle, plus the problems found while timing (empty when feasible)."""

    stops: list[list[StopTime]]  # per vehicle, visited nodes only
    depart: list[int]  # per vehicle, leaving the start node (s)
    back: list[int]  # per vehicle, arriving at the end node (s)
    back_travel_s: list[int]
    back_distance_m: list[int]
    issues: list[str] = field(default_factory=list)

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


def first_start(windows: tuple[tuple[int, int], ...], t: int) -> int | None:
    """Earliest start >= ``t`` inside one of ``windows`` (``(lo, hi)`` pairs, in order), or None."""
    for lo, hi in windows:
        if t <= hi:
            return t if t > lo else lo
    return None


def earliest_start(problem: Problem, node: int, t: int) -> int | None:
    """Earliest start >= ``t`` inside a window of ``node`` (lateness allowed on the last)."""
    return first_start(problem.lists.windows[node], t)


def schedule_routes(problem: Problem, routes: list[list[int]], *, max_rounds: int | None = None) -> Schedule:
    """Earliest-start timing of ``routes`` (one list of visited nodes per vehicle)."""
    L = problem.lists
    duration, distance, service, windows = L.duration, L.distance, L.service, L.windows
    partner = L.partner
    lower: dict[int, int] = {}
    rounds = max_rounds or (2 * len(partner) + 2)
    for _ in range(rounds):
        issues: list[str] = []
        start: dict[int, int] = {}
        all_stops: list[list[StopTime]] = []
        depart, back, back_t, back_d = [], [], [], []
        for v, route in enumerate(routes):
            prev = L.start_node[v]
            t = shift_start = L.shift_start[v]
            stops: list[StopTime] = []
            first = True
            for node in route:
                travel = duration[prev][node]
                arrival = t + travel
                e = lower.get(node, arrival)
                t0 = arrival if arrival > e else e
                s = None
                for lo, hi in windows[node]:  # first_start, inlined: this loop is hot
                    if t0 <= hi:
                        s = t0 if t0 > lo else lo
                        break
                if s is None:
                    issues.append(f"vehicle {v}: node {node} reached at {arrival}, after its last window")
                    s = t0
                if first:  # leave as late as possible without delaying the first start
                    t = max(shift_start, s - travel)
                    arrival = t + travel
                    depart.append(t)
                    first = False
                t = s + service[node]
                stops.append(StopTime(node, arrival, s, t, travel, distance[prev][node]))
                start[node] = s
                prev = node
            if first:
                depart.append(shift_start)
            end = L.end_node[v]
            bt = duration[prev][end] if route else 0
            bd = distance[prev][end] if route else 0
            back.append(t + bt if route else shift_start)
            back_t.append(bt)
            back_d.append(bd)
            if route and t + bt > L.shift_end[v]:
                issues.append(f"vehicle {v}: back at {t + bt}, after shift end {L.shift_end[v]}")
            all_stops.append(stops)
        moved = False
        for a, b in partner.items():
            if a in start and b in start and start[a] != start[b]:
                hi = max(start[a], start[b])
                if lower.get(a, -1) < hi or lower.get(b, -1) < hi:
                    lower[a] = lower[b] = hi
                    moved = True
        if not moved:
            break
    else:
        issues.append("two-nurse visits could not be synchronised (routes wait for each other)")
    for a, b in partner.items():
        if (a in start) != (b in start):
            issues.append(f"two-nurse node {a} is served without its partner {b}")
    return Schedule(all_stops, depart, back, back_t, back_d, issues)


def service_cost(problem: Problem, routes: list[list[int]], schedule: Schedule | None = None) -> int:
    """Cost units of serving ``routes``: fixed + distance cost of used vehicles plus lateness cost."""
    p = problem
    schedule = schedule or schedule_routes(p, routes)
    cost = sum(p.route_cost(v, r) for v, r in enumerate(routes))
    late_cost = p.lists.late_cost
    cost += sum(late * late_cost[node] for node, late in schedule.lateness(p).items())
    return int(cost)


def total_cost(problem: Problem, routes: list[list[int]], schedule: Schedule | None = None) -> int:
    """Objective in cost units: :func:`service_cost` plus the penalties of unserved tasks."""
    p = problem
    served = {int(p.node_task[n]) for r in routes for n in r}
    penalties = sum(int(p.task_penalty[t]) for t in range(p.n_tasks) if t not in served)
    return service_cost(p, routes, schedule) + int(penalties)
