"""Why a visit is unassigned, in words a planner understands.

The checks go from the hard facts to the soft one: nobody on shift is qualified; nobody
qualified can reach the client inside a window and still be back before her shift ends
(even with nothing else to do); for a two-nurse visit, fewer than two such nurses; an
optional visit that costs more to serve than to skip; and otherwise the night is full.
"""

from __future__ import annotations

from .nighttime import NightClock
from .plan import ReasonCode
from .problem import Problem
from .schedule import earliest_start


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


def explain_unassigned(problem: Problem, task: int, clock: NightClock | None = None) -> tuple[ReasonCode, str]:
    """Reason code and sentence for an unassigned task."""
    p = problem
    nodes = p.task_nodes[task]
    node = nodes[0]
    need = int(p.required_level[node])
    qualified = p.allowed_vehicles(node)
    label = clock.label if clock else (lambda s: f"{s}s")
    w = p.windows[node]
    windows = ", ".join(f"{label(int(a))}-{label(int(b))}" for a, b in w)
    if len(qualified) == 0:
        return ("no_qualified_nurse",
                f"needs qualification level {need}; the highest on shift is {int(p.vehicle_level.max())}")
    if len(nodes) == 2 and len(qualified) < 2:
        return ("no_second_qualified_nurse",
                f"needs two nurses of level {need}; only one on shift has it")
    reach = reachable_vehicles(p, node)
    if not reach:
        best = min(int(p.shift_start[v]) + int(p.duration[int(p.start_node[v]), node]) for v in qualified)
        return ("window_unreachable",
                f"no qualified nurse can start it within {windows} and be back before her shift ends "
                f"(earliest possible arrival {label(best)})")
    if len(nodes) == 2 and len(reach) < 2:
        return ("no_second_nurse_reachable",
                f"only one qualified nurse can reach the client within {windows}")
    if not p.task_mandatory[task]:
        return ("optional_not_worth_it",
                "optional: serving it would cost more than its penalty, or the night has no room")
    if len(nodes) == 2:
        return ("no_second_nurse_free",
                f"two qualified nurses can reach it, but not both free at the same time within {windows}")
    return ("capacity_exhausted",
            f"the qualified nurses' routes have no room for it within {windows}; "
            "another nurse or a wider window would be needed")
