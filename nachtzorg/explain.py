"""Why a visit is unassigned, in words a planner understands.

The checks go from the hard facts about the night to the search: nobody on shift is qualified;
nobody qualified can reach the client inside a window; nobody can start it in a window and
still be back before her shift ends (even with nothing else to do); for a two-nurse visit,
fewer than two such nurses; an optional visit that costs more to serve than to skip. What is
left was not placed by the search within the time it had: the night may be full, or a longer
search may place it, so the reason says exactly that (``not_placed``).
"""

from __future__ import annotations

import math

from .model import Scenario
from .nighttime import NightClock
from .plan import ReasonCode
from .problem import Problem
from .schedule import earliest_start


def _label(clock: NightClock | None, seconds: int, *, up: bool = False) -> str:
    """``HH:MM`` of ``seconds``; ``up`` rounds a partial minute up (an arrival at 23:15:30 is
    not "23:15", which would read as inside a window ending at 23:15)."""
    if up:
        seconds = int(math.ceil(seconds / 60) * 60)
    return clock.label(seconds) if clock else f"{seconds}s"


def reachable_vehicles(problem: Problem, node: int) -> list[int]:
    """Qualified vehicles that could serve ``node`` on an otherwise empty shift."""
    p = problem
    out = []
    for v in p.allowed_vehicles(node):
        s0, e0 = int(p.start_node[v]), int(p.end_node[v])
        arrive = int(p.shift_start[v]) + int(p.duration[s0, node])
        start = earliest_start(p, node, arrive)
        if start is None:
            continue
        if start + int(p.service[node]) + int(p.duration[node, e0]) <= int(p.shift_end[v]):
            out.append(int(v))
    return out


def _who_cannot(scenario: Scenario, task: int) -> tuple[ReasonCode, str]:
    """Why no nurse on shift may serve visit ``task``: level, skills, or the client's exclusions."""
    v = scenario.visits[task]
    client = next(c for c in scenario.clients if c.id == v.client)
    level = [sh for sh in scenario.shifts if sh.qualification >= v.qualification]
    if not level:
        return ("no_qualified_nurse", f"needs qualification level {v.qualification}; the highest on shift is "
                                      f"{max(sh.qualification for sh in scenario.shifts)}")
    skilled = [sh for sh in level if set(v.skills) <= set(sh.skills)]
    if not skilled:
        missing = sorted({s for sh in level for s in set(v.skills) - set(sh.skills)})
        return ("no_nurse_with_skills", f"no nurse with {' and '.join(missing)} (and level {v.qualification}) on shift")
    return ("excluded_nurses_only", f"the only nurses who could do it ({', '.join(sh.nurse_id for sh in skilled)}) "
                                    f"are ones client {client.id} does not want")


def _fits_between(p: Problem, v: int, node: int, span: tuple[int, int]) -> bool:
    """Whether vehicle ``v``, with nothing else to do, can start ``node`` within its windows and
    within ``span`` and be back before her shift ends."""
    s0, e0 = int(p.start_node[v]), int(p.end_node[v])
    start = earliest_start(p, node, max(int(p.shift_start[v]) + int(p.duration[s0, node]), span[0]))
    return start is not None and start <= span[1] and \
        start + int(p.service[node]) + int(p.duration[node, e0]) <= int(p.latest_back[v])


def explain_unassigned(problem: Problem, task: int, clock: NightClock | None = None, *,
                       search: str = "the time given", scenario: Scenario | None = None,
                       starts: dict[int, int] | None = None) -> tuple[ReasonCode, str]:
    """Reason code and sentence for an unassigned task (``search``: how long the search had,
    in words, for ``not_placed``; ``scenario``: to name skills and exclusions; ``starts``: the
    start of every served node, to judge visits that must follow or precede them)."""
    p = problem
    nodes = p.task_nodes[task]
    node = nodes[0]
    need = int(p.required_level[node])
    qualified = p.allowed_vehicles(node)
    windows = ", ".join(f"{_label(clock, int(a))}-{_label(clock, int(b))}" for a, b in p.windows[node])
    if len(qualified) == 0:
        if scenario is not None:
            return _who_cannot(scenario, task)
        return ("no_qualified_nurse",
                f"needs qualification level {need}; the highest on shift is {int(p.vehicle_level.max())}")
    if len(nodes) == 2 and len(qualified) < 2:
        return ("no_second_qualified_nurse",
                f"needs two nurses of level {need}; only {len(qualified)} on shift has it")
    reach = reachable_vehicles(p, node)
    if not reach:
        arrivals = {int(v): int(p.shift_start[v]) + int(p.duration[int(p.start_node[v]), node]) for v in qualified}
        in_window = [v for v, a in arrivals.items() if earliest_start(p, node, a) is not None]
        if in_window:  # she gets there in time but cannot finish and be back before her shift ends
            v = in_window[0]
            start = earliest_start(p, node, arrivals[v])
            back = start + int(p.service[node]) + int(p.duration[node, int(p.end_node[v])])
            return ("shift_ends_too_early",
                    f"a qualified nurse can start it within {windows}, but would be back at "
                    f"{_label(clock, back, up=True)}, after her shift ends ({_label(clock, int(p.shift_end[v]))})")
        best = min(arrivals.values())
        return ("window_unreachable",
                f"no qualified nurse can be there within {windows}: the earliest possible arrival is "
                f"{_label(clock, best, up=True)}")
    if len(nodes) == 2 and len(reach) < 2:
        return ("no_second_nurse_reachable",
                f"only one qualified nurse can reach the client within {windows} and be back in time")
    if not p.task_mandatory[task]:
        return ("optional_not_worth_it",
                "optional: serving it would cost more than its penalty, or the night has no room")
    for a, b, lo, hi, _rule in p.dependencies:  # a visit that must follow, or be followed by, a served one
        if node not in (a, b) or starts is None:
            continue
        other = b if node == a else a
        if other not in starts:
            continue
        t = starts[other]
        span = (t + lo, t + hi) if node == b else (t - hi, t - lo)
        ok = [v for v in reach if _fits_between(p, int(v), node, span)]
        what = p.task_ids[int(p.node_task[other])] if p.task_ids else f"node {other}"
        gap = f"{lo / 60:g}-{hi / 60:g} min" if hi < 7 * 24 * 3600 else f"at least {lo / 60:g} min"
        rel = f"{gap} after {what} (which starts at {_label(clock, t)})" if node == b else \
            f"{gap} before {what} (which starts at {_label(clock, t)})"
        if not ok:
            return ("dependency_unmet", f"cannot start {rel}: no qualified nurse can be there then")
        return ("not_placed", f"not placed within {search}: it must start {rel}, and the search found no room "
                              "then; a longer search, another nurse or a wider window may place it")
    two = "two qualified nurses, free at the same time, " if len(nodes) == 2 else "a qualified nurse "
    return ("not_placed",
            f"not placed within {search}: {two}could do it on an empty shift within {windows}, but the "
            "search found no room on the routes; a longer search, another nurse or a wider window may place it")
