"""Compare travel-time sources on one night: how routes and acute response times change.

A planner switching from straight-line times to a road network wants to know two things: what
the old plan would have looked like on the real roads (late visits nobody saw coming), and how
far the response times the dispatcher promised were off. :func:`drive_plan` re-times a plan's
routes, in their order, on other travel times; :func:`compare_travel` plans the same night with
each travel source, drives every plan on the reference (the roads), and dispatches the same
random acute calls with each.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import TypeAdapter

from .acute import dispatch, initial_state
from .model import LatLon, Scenario, TravelSettings
from .plan import Plan
from .planner import plan_night
from .solve import SolveParams
from .travel import TravelProvider, provider_for

if TYPE_CHECKING:
    import pandas as pd


def drive_plan(plan: Plan, scenario: Scenario, travel: TravelProvider | None = None) -> pd.DataFrame:
    """Drive each route of ``plan`` in its planned order on ``travel`` (default: the scenario's
    own travel settings) and return a row per visit: planned and driven start, and minutes late
    past the visit's last window when driven. A nurse waits for a window to open as planned.

    Two-nurse visits are timed per nurse (the partner is not waited for), so lateness at those
    visits is a lower bound.
    """
    import pandas as pd

    travel = travel or provider_for(scenario.travel)
    clock = scenario.clock
    visits = {v.id: v for v in scenario.visits}
    rows: list[dict[str, Any]] = []
    for route in plan.routes:
        stops = route.stops
        if len(stops) <= 2:
            continue
        m = travel.matrix([LatLon(lat=s.lat, lon=s.lon) for s in stops])
        t = clock.to_seconds(stops[0].start.isoformat())
        metres = 0
        for k in range(1, len(stops)):
            s = stops[k]
            t += int(m.duration_s[k - 1, k])
            metres += int(m.distance_m[k - 1, k])
            if s.kind != "visit" or s.visit_id is None:
                continue
            v = visits[s.visit_id]
            windows = [clock.window_seconds(w.start, w.end) for w in v.windows]
            start = t
            for a, b in windows:
                if t <= b:
                    start = max(t, a)
                    break
            late = max(0, start - windows[-1][1])
            rows.append({"shift": route.shift_id, "visit_id": s.visit_id,
                         "planned_start": s.start.strftime("%H:%M"), "driven_start": clock.label(start),
                         "late_min": round(late / 60, 1), "driven_km_so_far": round(metres / 1000, 2)})
            t = start + int(round(v.duration_min * 60))
    return pd.DataFrame(rows, columns=["shift", "visit_id", "planned_start", "driven_start", "late_min",
                                       "driven_km_so_far"])


@dataclass
class TravelComparison:
    """Plans and acute responses of one night under several travel-time sources."""

    reference: str
    plans: pd.DataFrame
    responses: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """A row per travel source: the plan, the plan driven on the reference, and responses."""
        r = self.responses.groupby("travel")["response_min"]
        out = self.plans.set_index("travel").copy()
        out["response_p50_min"] = r.median().round(1)
        out["response_p90_min"] = r.quantile(0.9).round(1)
        out["norm_met_share"] = self.responses.groupby("travel")["norm_met"].mean().round(3)
        return out

    def _repr_html_(self) -> str:
        return (f"<p>Each plan driven on <b>{self.reference}</b> travel times; responses are the "
                f"dispatcher's answer under each source.</p>" + self.summary().to_html())


def compare_travel(scenario: Scenario, sources: Mapping[str, Any], reference: str, *,
                   params: Any = None, n_calls: int = 30, seed: int = 0) -> TravelComparison:
    """Plan ``scenario`` once per travel source (``{label: TravelSettings}``), drive each plan on
    the ``reference`` source, and dispatch the same ``n_calls`` random acute calls (at random
    clients' homes between 23:00 and 06:00) under each source with the ``nearest`` policy.
    """
    import pandas as pd

    if reference not in sources:
        raise ValueError(f"reference {reference!r} is not one of the sources {sorted(sources)}")
    params = params or SolveParams(time_limit_s=2.0)
    sources = {k: TypeAdapter(TravelSettings).validate_python(v) for k, v in sources.items()}
    real = provider_for(sources[reference])
    rng = np.random.default_rng(seed)
    clients = scenario.clients
    calls = []
    for k in range(n_calls):
        c = clients[int(rng.integers(len(clients)))]
        minute = int(rng.integers(0, 7 * 60))  # 23:00 .. 06:00
        now = (_dt.datetime(2000, 1, 1, 23, 0) + _dt.timedelta(minutes=minute)).strftime("%H:%M")
        calls.append(({"id": f"call-{k + 1:03d}", "location": c.location.model_dump(), "urgency": "fall",
                       "duration_min": 20, "qualification": 3, "client": c.id}, now))
    plan_rows, response_rows = [], []
    for label, settings in sources.items():
        sc = scenario.model_copy(update={"travel": settings})
        plan = plan_night(sc, params)
        driven = drive_plan(plan, sc, real)
        k = plan.kpis
        plan_rows.append({"travel": label, "served": k.visits_served, "nurses": k.nurses_used,
                          "planned_km": round(k.distance_km, 1),
                          f"late_visits_on_{reference}": int((driven["late_min"] > 0).sum()),
                          f"late_min_on_{reference}": round(float(driven["late_min"].sum()), 1)})
        state = initial_state(sc, plan)
        for call, now in calls:
            d = dispatch(state, call, now, policy="nearest")
            o = d.chosen
            response_rows.append({"travel": label, "call": call["id"], "now": now,
                                  "nurse": ",".join(o.shifts) if o else None,
                                  "response_min": o.response_min if o else np.nan,
                                  "norm_met": bool(o.norm_met) if o else False})
    return TravelComparison(reference, pd.DataFrame(plan_rows), pd.DataFrame(response_rows))
