"""Plan a night: Scenario -> Problem -> OR-Tools routes -> schedule -> Plan.

This is the one data flow every feature reuses; :func:`build_plan` turns routes from any
source (OR-Tools, an acute re-plan, a coalition's routes) into a :class:`~nachtzorg.plan.Plan`.
"""

from __future__ import annotations

import logging

from .bounds import nurses_lower_bound
from .exceptions import SolverError
from .explain import explain_unassigned
from .model import Scenario
from .plan import KPIs, Plan, Route, Stop, Unassigned
from .problem import CompiledNight, compile_scenario, units_to_eur
from .schedule import schedule_routes
from .solve import SolveParams, solve
from .travel import TravelProvider

log = logging.getLogger(__name__)


def plan_night(scenario: Scenario, params: SolveParams | None = None, *,
               travel: TravelProvider | None = None) -> Plan:
    """Plan the night of ``scenario`` (see :class:`SolveParams` for time and determinism)."""
    params = params or SolveParams()
    compiled = compile_scenario(scenario, travel)
    p = compiled.problem
    log.info("planning %d visits (%d nodes) with %d nurses", p.n_tasks, p.n_nodes, p.n_vehicles)
    result = solve(p, params)
    log.info("solver %s in %.2f s (model %.2f s), objective %d", result.status, result.wall_s,
             result.build_s, result.objective)
    info = {"status": result.status, "wall_s": round(result.wall_s, 3), "build_s": round(result.build_s, 3),
            "objective_units": result.objective, "seed": params.seed,
            "time_limit_s": params.time_limit_s or 0, "solution_limit": params.solution_limit or 0,
            "workers": params.workers}
    return build_plan(scenario, compiled, result.routes, info)


def build_plan(scenario: Scenario, compiled: CompiledNight, routes: list[list[int]],
               solver_info: dict | None = None) -> Plan:
    """Time ``routes`` (node lists per shift) and describe them as a :class:`Plan`."""
    p = compiled.problem
    clock = scenario.clock
    sched = schedule_routes(p, routes)
    if not sched.feasible:
        raise SolverError("routes cannot be timed: " + "; ".join(sched.issues[:5]))
    visits = scenario.visits
    clients = {c.id: c for c in scenario.clients}
    shifts = scenario.shifts
    node_vehicle = {n: v for v, r in enumerate(routes) for n in r}

    def window_labels(node: int) -> list[str]:
        return [f"{clock.label(int(a))}-{clock.label(int(b))}" for a, b in p.windows[node]]

    follows: dict[str, list[str]] = {}
    for v_ in visits:
        for d in v_.after:
            gap = f"+{d.min_gap_min:g}" + (f"-{d.max_gap_min:g}" if d.max_gap_min is not None else "") + " min"
            who = {"same": ", same nurse", "different": ", another nurse"}.get(d.nurse, "")
            follows.setdefault(v_.id, []).append(f"{d.visit} {gap}{who}")

    def break_stop(b, lat: float, lon: float, arrival: int | None = None, travel_s: int = 0,
                   metres: int = 0) -> Stop:
        """A break where she is, or (``arrival``) at the next door, reached after ``travel_s``."""
        arrival = b.start if arrival is None else arrival
        return Stop(kind="break", lat=lat, lon=lon, arrival=clock.to_datetime(arrival),
                    start=clock.to_datetime(b.start), end=clock.to_datetime(b.end), care="break",
                    travel_min=travel_s / 60, distance_km=metres / 1000, wait_min=(b.start - arrival) / 60)

    out_routes: list[Route] = []
    total_km = total_drive = total_wait = total_care = 0.0
    shift_cost = km_cost = late_cost = late_min = pref_cost = 0.0
    late_visits = 0
    for v, route in enumerate(routes):
        sh = shifts[v]
        stops: list[Stop] = []
        depart = sched.depart[v]
        stops.append(Stop(kind="start", lat=sh.start_location.lat, lon=sh.start_location.lon,
                          arrival=clock.to_datetime(depart), start=clock.to_datetime(depart),
                          end=clock.to_datetime(depart)))
        metres = 0
        drive_s = 0
        wait_s = 0
        care_s = 0
        breaks = list(sched.breaks[v]) if sched.breaks else []
        here = (sh.start_location.lat, sh.start_location.lon)
        for k, st in enumerate(sched.stops[v]):
            t = int(p.node_task[st.node])
            visit = visits[t]
            client = clients[visit.client]
            arrival, travel_s, leg_m = st.arrival, st.travel_s, st.distance_m
            while breaks and breaks[0].after == k:
                b = breaks.pop(0)
                if b.at_next:  # at this client's door: the drive is the break stop's, none after it
                    stops.append(break_stop(b, client.location.lat, client.location.lon, arrival, travel_s, leg_m))
                    wait_s += b.start - arrival
                    arrival, travel_s, leg_m = b.end, 0, 0
                else:
                    stops.append(break_stop(b, *here))
            nodes = p.task_nodes[t]
            partner = None
            if len(nodes) == 2:
                other = nodes[1] if nodes[0] == st.node else nodes[0]
                partner = shifts[node_vehicle[other]].id if other in node_vehicle else None
            late = max(0, st.start - int(p.windows[st.node][-1, 1]))
            if late:
                late_visits += 1
                late_min += late / 60
                late_cost += units_to_eur(late * int(p.late_cost[st.node]))
            stops.append(Stop(
                kind="visit", visit_id=visit.id, client_id=client.id, organisation=client.organisation,
                care=visit.care, nurses=visit.nurses, partner_shift=partner,
                lat=client.location.lat, lon=client.location.lon,
                arrival=clock.to_datetime(arrival), start=clock.to_datetime(st.start),
                end=clock.to_datetime(st.end), travel_min=travel_s / 60, distance_km=leg_m / 1000,
                wait_min=(st.start - arrival) / 60, late_min=late / 60, windows=window_labels(st.node),
                follows=follows.get(visit.id, []),
            ))
            here = (client.location.lat, client.location.lon)
            metres += st.distance_m
            drive_s += st.travel_s
            wait_s += st.start - arrival
            care_s += int(p.service[st.node])
        # An unused nurse does not drive: her route is her start place at her start time, twice.
        end_loc = sh.end_point if route else sh.start_location
        back = sched.back[v]
        back_s, back_m = sched.back_travel_s[v], sched.back_distance_m[v]
        for b in breaks:  # taken before driving back, or back at her end place
            if b.at_next:
                reached = clock.datetime_to_seconds(stops[-1].end) + back_s
                stops.append(break_stop(b, end_loc.lat, end_loc.lon, reached, back_s, back_m))
                wait_s += b.start - reached
                back_s, back_m = 0, 0
            else:
                stops.append(break_stop(b, *here))
        stops.append(Stop(kind="end", lat=end_loc.lat, lon=end_loc.lon,
                          arrival=clock.to_datetime(back), start=clock.to_datetime(back),
                          end=clock.to_datetime(back), travel_min=back_s / 60,
                          distance_km=back_m / 1000))
        metres += sched.back_distance_m[v]
        drive_s += sched.back_travel_s[v]
        cost = units_to_eur(int(p.fixed_cost[v]) + metres * int(p.cost_per_m[v])) if route else 0.0
        if route:
            shift_cost += sh.cost_per_shift_eur
            km_cost += cost - sh.cost_per_shift_eur
            if p.node_vehicle_cost is not None:
                pref_cost += units_to_eur(int(p.node_vehicle_cost[route, v].sum()))
        out_routes.append(Route(shift_id=sh.id, stops=stops, distance_km=metres / 1000,
                                driving_min=drive_s / 60, care_min=care_s / 60,
                                waiting_min=wait_s / 60, cost_eur=cost))
        total_km += metres / 1000
        total_drive += drive_s / 60
        total_wait += wait_s / 60
        total_care += care_s / 60

    served = {int(p.node_task[n]) for r in routes for n in r}
    unassigned = []
    info = solver_info or {}
    search = (f"{info['time_limit_s']:g} s of search" if info.get("time_limit_s")
              else f"{info['solution_limit']} improving solutions" if info.get("solution_limit") else "the time given")
    for t, visit in enumerate(visits):
        if t in served:
            continue
        code, detail = explain_unassigned(p, t, clock, search=search, scenario=scenario, starts=sched.start_of())
        client = clients[visit.client]
        unassigned.append(Unassigned(visit_id=visit.id, client_id=client.id, organisation=client.organisation,
                                     mandatory=not visit.optional, reason=code, detail=detail))
    bound = nurses_lower_bound(p, clock.label)
    kpis = KPIs(
        distance_km=round(total_km, 3), driving_min=round(total_drive, 2), waiting_min=round(total_wait, 2),
        care_min=round(total_care, 2), nurses_used=sum(1 for r in routes if r), nurses_on_shift=len(shifts),
        shift_cost_eur=round(shift_cost, 2), km_cost_eur=round(km_cost, 2),
        cost_eur=round(shift_cost + km_cost, 2), late_visits=late_visits, lateness_min=round(late_min, 2),
        lateness_cost_eur=round(late_cost, 2), visits_total=len(visits), visits_served=len(served),
        unassigned=len(unassigned), unassigned_mandatory=sum(1 for u in unassigned if u.mandatory),
        **_rule_kpis(p, sched), preference_cost_eur=round(pref_cost, 2),
        nurses_lower_bound=bound.nurses, nurses_bound_reason=bound.reason,
    )
    return Plan(scenario=scenario.name, date=scenario.date, timezone=scenario.timezone,
                routes=out_routes, unassigned=unassigned, kpis=kpis, solver=solver_info or {},
                warnings=scenario.warnings())


def _rule_kpis(p, sched) -> dict[str, float]:
    """Overtime and the largest lateness, in minutes and euros."""
    ot = sched.overtime(p)
    late = sched.lateness(p)
    biggest = max(late.values(), default=0)
    return {
        "overtime_min": round(sum(ot) / 60, 2),
        "overtime_cost_eur": round(units_to_eur(sum(s * int(c) for s, c in zip(ot, p.overtime_cost))), 2)
        if p.overtime_cost is not None else 0.0,
        "max_lateness_min": round(biggest / 60, 2),
        "max_lateness_cost_eur": round(units_to_eur(biggest * p.max_late_cost), 2),
    }
