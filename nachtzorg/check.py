"""Independent feasibility checker: a plan against its scenario, rule by rule.

Deliberately shares no code with the compiler, scheduler or solver: it reads the scenario
as written (windows, durations, qualifications, shifts), asks the travel provider for the
driving times between the plan's stops, recomputes every arrival from the previous stop's
end, and lists every rule the plan breaks. The solver is never trusted on its own word.
Times are compared in whole seconds; a plan's times are rounded to the second.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .model import LatLon, Scenario
from .plan import Plan
from .travel import TravelProvider, provider_for

#: Tolerance for distances recomputed from the plan, km (rounding of per-leg values).
KM_TOLERANCE = 0.05


@dataclass(frozen=True)
class Violation:
    rule: str
    shift_id: str | None
    visit_id: str | None
    message: str

    def __str__(self) -> str:
        where = "/".join(x for x in (self.shift_id, self.visit_id) if x)
        return f"[{self.rule}] {where}: {self.message}" if where else f"[{self.rule}] {self.message}"


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}

    def __str__(self) -> str:
        if self.ok:
            return "plan is feasible: every rule holds"
        return f"{len(self.violations)} violation(s):\n" + "\n".join(f"  {v}" for v in self.violations)


def check_plan(scenario: Scenario, plan: Plan, travel: TravelProvider | None = None) -> CheckReport:
    """Check every rule of ``scenario`` on ``plan``; returns all violations found."""
    travel = travel or provider_for(scenario.travel)
    clock = scenario.clock
    rep = CheckReport()

    def bad(rule: str, shift: str | None, visit: str | None, msg: str) -> None:
        rep.violations.append(Violation(rule, shift, visit, msg))

    def sec(dt) -> int:
        return clock.datetime_to_seconds(dt)

    visits = {v.id: v for v in scenario.visits}
    clients = {c.id: c for c in scenario.clients}
    shifts = {s.id: s for s in scenario.shifts}
    served: dict[str, list[tuple[str, int]]] = defaultdict(list)  # visit -> [(shift, start s)]
    total_km = 0.0
    cost = 0.0
    used = 0
    for route in plan.routes:
        sh = shifts.get(route.shift_id)
        if sh is None:
            bad("unknown_shift", route.shift_id, None, "shift is not in the scenario")
            continue
        stops = route.stops
        if len(stops) < 2 or stops[0].kind != "start" or stops[-1].kind != "end":
            bad("route_shape", sh.id, None, "a route must begin with its start and end with its end stop")
            continue
        if any(s.kind != "visit" for s in stops[1:-1]):
            bad("route_shape", sh.id, None, "start/end stops in the middle of a route")
            continue
        places = [(sh.start_location.lat, sh.start_location.lon)]
        for s in stops[1:-1]:
            c = clients.get(s.client_id or "")
            v = visits.get(s.visit_id or "")
            if v is None or c is None or v.client != c.id:
                bad("unknown_visit", sh.id, s.visit_id, "visit/client not in the scenario or not matching")
                places.append((s.lat, s.lon))
                continue
            places.append((c.location.lat, c.location.lon))
        places.append((sh.end_point.lat, sh.end_point.lon))
        mat = travel.matrix([LatLon(lat=a, lon=b) for a, b in places])
        shift_start, shift_end = clock.to_seconds(sh.start_time), clock.to_seconds(sh.end_time)
        if sec(stops[0].start) < shift_start:
            bad("shift_time", sh.id, None, f"leaves at {stops[0].start:%H:%M}, before the shift starts ({sh.start_time})")
        prev_end = sec(stops[0].end)
        km = 0.0
        for k in range(1, len(stops)):
            s = stops[k]
            drive = int(mat.duration_s[k - 1, k])
            km += int(mat.distance_m[k - 1, k]) / 1000
            arrival, start, end = sec(s.arrival), sec(s.start), sec(s.end)
            if arrival < prev_end + drive - 1:
                bad("travel_time", sh.id, s.visit_id,
                    f"arrives {arrival - prev_end} s after the previous stop ends, driving takes {drive} s")
            if start < arrival:
                bad("start_before_arrival", sh.id, s.visit_id, "care starts before the nurse arrives")
            if s.kind == "end":
                if arrival > shift_end:
                    bad("shift_time", sh.id, None, f"back at {s.arrival:%H:%M}, after the shift ends ({sh.end_time})")
                break
            v = visits.get(s.visit_id or "")
            if v is None:
                prev_end = end
                continue
            if end - start != round(v.duration_min * 60):
                bad("duration", sh.id, v.id, f"care lasts {(end - start) / 60:g} min, planned {v.duration_min:g} min")
            if sh.qualification < v.qualification:
                bad("qualification", sh.id, v.id,
                    f"needs level {v.qualification}, nurse has level {sh.qualification}")
            spans = [(clock.to_seconds(w.start), clock.to_seconds(w.end)) for w in v.windows]
            cap = round(v.max_lateness_min * 60)
            inside = any(a <= start <= b for a, b in spans) or spans[-1][1] < start <= spans[-1][1] + cap
            if not inside:
                bad("time_window", sh.id, v.id, f"starts at {s.start:%H:%M}, outside its windows"
                    + (f" and beyond the {v.max_lateness_min:g} min lateness allowed" if cap else ""))
            late = max(0, start - spans[-1][1])
            if abs(late / 60 - s.late_min) > 0.02:
                bad("lateness_report", sh.id, v.id, f"reports {s.late_min:g} min late, is {late / 60:g} min late")
            served[v.id].append((sh.id, start))
            prev_end = end
        if abs(km - route.distance_km) > KM_TOLERANCE:
            bad("distance_report", sh.id, None, f"reports {route.distance_km:.2f} km, recomputed {km:.2f} km")
        if len(stops) > 2:
            total_km += km
            used += 1
            cost += sh.cost_per_shift_eur + km * sh.cost_per_km_eur

    unassigned = {u.visit_id for u in plan.unassigned}
    for vid, v in visits.items():
        got = served.get(vid, [])
        if vid in unassigned:
            if got:
                bad("served_and_unassigned", None, vid, "is both in a route and listed as unassigned")
            continue
        if not got:
            bad("missing_visit", None, vid, "neither served nor listed as unassigned")
        elif len(got) != v.nurses:
            bad("nurse_count", None, vid, f"served by {len(got)} nurse(s), needs {v.nurses}")
        elif v.nurses == 2:
            (s1, t1), (s2, t2) = got
            if s1 == s2:
                bad("two_nurse_same_shift", s1, vid, "both places of a two-nurse visit are on one nurse's route")
            if t1 != t2:
                bad("two_nurse_sync", None, vid, f"the two nurses start {abs(t1 - t2) / 60:g} min apart")
    for u in plan.unassigned:
        if u.visit_id not in visits:
            bad("unknown_visit", None, u.visit_id, "unassigned visit is not in the scenario")
    if abs(total_km - plan.kpis.distance_km) > KM_TOLERANCE * max(1, len(plan.routes)):
        bad("kpi", None, None, f"KPI distance {plan.kpis.distance_km:.2f} km, recomputed {total_km:.2f} km")
    if used != plan.kpis.nurses_used:
        bad("kpi", None, None, f"KPI nurses used {plan.kpis.nurses_used}, routes use {used}")
    if abs(cost - plan.kpis.cost_eur) > 0.05 + 0.01 * len(plan.routes):
        bad("kpi", None, None, f"KPI cost EUR {plan.kpis.cost_eur:.2f}, recomputed EUR {cost:.2f}")
    return rep
