"""The independent checker: it accepts a correct plan and catches every planted rule break.

A correct plan of the bundled Assen night is mutated one way at a time (a mutation harness);
each mutation that breaks a rule must be reported under the named rule, and nothing may raise.
Hand-made nights cover the judgement of unassigned visits and the shape of an unused route.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import math
import random
import re
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nachtzorg
from nachtzorg import (
    LatLon,
    Plan,
    Scenario,
    SolveParams,
    Unassigned,
    check_plan,
    plan_night,
)
from nachtzorg.check import _Checker, _Leg
from nachtzorg.travel import provider_for

from .conftest import ASSEN, DETERMINISTIC, client, night, nurse, visit

GIETEN = {"lat": 53.005, "lon": 6.764}
ASSEN_CENTRE = {"lat": 52.993, "lon": 6.562}


@pytest.fixture(scope="module")
def assen_plan() -> tuple[Scenario, Plan]:
    scenario = Scenario.load(ASSEN)
    return scenario, plan_night(scenario, SolveParams(time_limit_s=None, solution_limit=30))


# ---------------------------------------------------------------- helpers on plan dicts
Data = dict[str, Any]


def _visit_stops(d: Data) -> list[tuple[int, int]]:
    """(route index, stop index) of every visit stop."""
    return [(i, j) for i, r in enumerate(d["routes"]) for j, s in enumerate(r["stops"]) if s["kind"] == "visit"]


def _stop(d: Data, s: Scenario, *, nurses: int = 1, level: int | None = None, nth: int = 0) -> tuple[int, int]:
    """The nth visit stop of a visit with ``nurses`` nurses (and qualification ``level``)."""
    visits = {v.id: v for v in s.visits}
    found = [(i, j) for i, j in _visit_stops(d)
             if visits[d["routes"][i]["stops"][j]["visit_id"]].nurses == nurses
             and (level is None or visits[d["routes"][i]["stops"][j]["visit_id"]].qualification == level)]
    return found[nth]


def _shift_times(stop: Data, minutes: float, *names: str) -> None:
    for name in names or ("arrival", "start", "end"):
        stop[name] = stop[name] + dt.timedelta(minutes=minutes)


def _unassign(d: Data, stop: Data, reason: str, *, mandatory: bool = True) -> None:
    """List the visit of ``stop`` as unassigned (the KPIs are left as they were). Built without
    validation, so that any reason code can be planted."""
    d["unassigned"].append(Unassigned.model_construct(
        visit_id=stop["visit_id"], client_id=stop["client_id"], organisation=stop["organisation"],
        mandatory=mandatory, reason=reason, detail="mutated"))


def _drop(d: Data, s: Scenario, reason: str, **kw: Any) -> Data:
    """Take a one-nurse visit out of its route and list it unassigned for ``reason``."""
    i, j = _stop(d, s, nth=3)
    _unassign(d, d["routes"][i]["stops"].pop(j), reason, **kw)
    return d


def _unused(scenario: Scenario, shift_id: str, template: Data) -> Data:
    """The accepted route of an unused nurse: start and end at her start place and start time, 0 km."""
    sh = next(sh for sh in scenario.shifts if sh.id == shift_id)
    t = scenario.clock.to_datetime(scenario.clock.to_seconds(sh.start_time))
    end = dict(template, kind="end", lat=sh.start_location.lat, lon=sh.start_location.lon, arrival=t, start=t,
               end=t, travel_min=0.0, distance_km=0.0, wait_min=0.0, late_min=0.0)
    return {"shift_id": shift_id, "stops": [dict(end, kind="start"), end], "distance_km": 0.0,
            "driving_min": 0.0, "care_min": 0.0, "waiting_min": 0.0, "cost_eur": 0.0}


def _empty_night(d: Data, s: Scenario, reason: str) -> Data:
    """Issue 24 item 4: every route emptied, every visit listed unassigned for ``reason``."""
    d["routes"] = [_unused(s, r["shift_id"], d["routes"][0]["stops"][0]) for r in d["routes"]]
    clients = {c.id: c for c in s.clients}
    d["unassigned"] = [{"visit_id": v.id, "client_id": v.client, "organisation": clients[v.client].organisation,
                        "mandatory": not v.optional, "reason": reason, "detail": "x"} for v in s.visits]
    d["kpis"].update(visits_served=0, unassigned=len(s.visits), unassigned_mandatory=len(s.visits), nurses_used=0,
                     distance_km=0, driving_min=0, waiting_min=0, care_min=0, shift_cost_eur=0, km_cost_eur=0,
                     cost_eur=0, late_visits=0, lateness_min=0, lateness_cost_eur=0, overtime_min=0,
                     overtime_cost_eur=0, max_lateness_min=0, max_lateness_cost_eur=0, preference_cost_eur=0)
    return d


def _to_unqualified(d: Data, s: Scenario) -> Data:
    low = min(s.shifts, key=lambda sh: sh.qualification)
    i, j = _stop(d, s, level=low.qualification + 1)
    stop = d["routes"][i]["stops"].pop(j)
    target = next(r for r in d["routes"] if r["shift_id"] == low.id)
    target["stops"].insert(len(target["stops"]) - 1, stop)
    return d


def _swap_adjacent(d: Data) -> Data:
    r = next(r for r in d["routes"] if len(r["stops"]) > 4)
    r["stops"][1], r["stops"][2] = r["stops"][2], r["stops"][1]
    return d


def _at(d: Data, s: Scenario, **kw: Any) -> Data:
    """The first one-nurse visit stop (for mutations written as lambdas)."""
    i, j = _stop(d, s, **kw)
    return d["routes"][i]["stops"][j]


def _pair(d: Data, s: Scenario) -> tuple[Data, Data, Data]:
    """Both stops of the first two-nurse visit, and the route of the second."""
    a = _at(d, s, nurses=2)
    route, b = next((r, x) for r in d["routes"] for x in r["stops"] if x["visit_id"] == a["visit_id"] and x is not a)
    return a, b, route


def _split_pair(d: Data, s: Scenario) -> None:
    """A two-nurse visit served by one nurse only."""
    _, b, route = _pair(d, s)
    route["stops"].remove(b)


def _pair_on_one_route(d: Data, s: Scenario) -> None:
    """Both places of a two-nurse visit on one route, right after each other."""
    a, b, route = _pair(d, s)
    route["stops"].remove(b)
    stops = next(r["stops"] for r in d["routes"] if any(x is a for x in r["stops"]))
    stops.insert(next(k for k, x in enumerate(stops) if x is a) + 1, b)


def _drop_stop(d: Data, s: Scenario) -> None:
    i, j = _stop(d, s)
    d["routes"][i]["stops"].pop(j)


def _drop_twice(d: Data, s: Scenario) -> None:
    _drop(d, s, "capacity_exhausted")
    d["unassigned"].append(d["unassigned"][-1])


Mutation = Callable[[Data, Scenario], Any]
KPI_FIELDS = ["distance_km", "driving_min", "waiting_min", "care_min", "nurses_used", "nurses_on_shift",
              "shift_cost_eur", "km_cost_eur", "cost_eur", "late_visits", "lateness_min", "lateness_cost_eur",
              "visits_total", "visits_served", "unassigned", "unassigned_mandatory"]

#: name -> (mutation of the plan dict, rules of which at least one must be reported)
MUTATIONS: dict[str, tuple[Mutation, set[str]]] = {
    "stop 30 min earlier": (lambda d, s: _shift_times(_at(d, s, nth=2), -30), {"travel_time", "time_window"}),
    "stop 3 h later": (lambda d, s: _shift_times(_at(d, s, nth=2), 180), {"time_window", "travel_time"}),
    "care 5 min longer": (lambda d, s: _shift_times(_at(d, s), 5, "end"), {"duration"}),
    "care starts before arrival": (lambda d, s: _shift_times(_at(d, s), 1, "arrival"), {"start_before_arrival"}),
    "swap adjacent stops": (lambda d, s: _swap_adjacent(d), {"travel_time"}),
    "drop a stop": (_drop_stop, {"missing_visit"}),
    "duplicate a stop": (lambda d, s: d["routes"][0]["stops"].insert(2, copy.deepcopy(d["routes"][0]["stops"][1])),
                         {"nurse_count"}),
    "unknown shift id": (lambda d, s: d["routes"][0].update(shift_id="nurse-x"), {"unknown_shift"}),
    "duplicate route": (lambda d, s: d["routes"].append(copy.deepcopy(d["routes"][0])), {"duplicate_route"}),
    "unknown visit id": (lambda d, s: _at(d, s).update(visit_id="v-999"), {"unknown_visit"}),
    "visit stop 111 km north": (lambda d, s: _at(d, s).update(lat=_at(d, s)["lat"] + 1), {"stop_location"}),
    "visit stop 11 m east": (lambda d, s: _at(d, s).update(lon=_at(d, s)["lon"] + 0.00016), {"stop_location"}),
    "start stop moved": (lambda d, s: d["routes"][0]["stops"][0].update(lat=53.5), {"stop_location"}),
    "end stop moved": (lambda d, s: d["routes"][0]["stops"][-1].update(lon=6.0), {"stop_location"}),
    "leaves before the shift": (lambda d, s: _shift_times(d["routes"][0]["stops"][0], -60), {"shift_time"}),
    "back after the shift": (lambda d, s: _shift_times(d["routes"][0]["stops"][-1], 600), {"shift_time", "overtime"}),
    "start stop times differ": (lambda d, s: _shift_times(d["routes"][0]["stops"][0], -5, "arrival"), {"stop_times"}),
    "visit stop kind start": (lambda d, s: _at(d, s).update(kind="start"), {"route_shape"}),
    "start stop with a visit": (lambda d, s: d["routes"][0]["stops"][0].update(visit_id="v-001"), {"route_shape"}),
    "no stops at all": (lambda d, s: d["routes"][0].update(stops=[]), {"route_shape"}),
    "wrong organisation": (lambda d, s: _at(d, s).update(organisation="org-x"), {"stop_fields"}),
    "wrong windows label": (lambda d, s: _at(d, s).update(windows=["00:00-06:00"]), {"stop_fields"}),
    "wrong partner": (lambda d, s: _at(d, s).update(partner_shift=d["routes"][1]["shift_id"]), {"stop_fields"}),
    "wrong late_min": (lambda d, s: _at(d, s).update(late_min=3.0), {"lateness_report"}),
    "wrong travel_min": (lambda d, s: _at(d, s).update(travel_min=_at(d, s)["travel_min"] + 1), {"stop_report"}),
    "wrong stop km": (lambda d, s: _at(d, s).update(distance_km=_at(d, s)["distance_km"] + 1), {"stop_report"}),
    "wrong wait_min": (lambda d, s: _at(d, s).update(wait_min=_at(d, s)["wait_min"] + 1), {"stop_report"}),
    "NaN travel_min": (lambda d, s: _at(d, s).update(travel_min=math.nan), {"bad_number"}),
    "negative route cost": (lambda d, s: d["routes"][0].update(cost_eur=-1.0), {"bad_number"}),
    "infinite KPI": (lambda d, s: d["kpis"].update(distance_km=math.inf), {"bad_number"}),
    "route km": (lambda d, s: d["routes"][0].update(distance_km=d["routes"][0]["distance_km"] + 1),
                 {"distance_report"}),
    "route care": (lambda d, s: d["routes"][0].update(care_min=d["routes"][0]["care_min"] + 1), {"route_report"}),
    "route cost": (lambda d, s: d["routes"][0].update(cost_eur=d["routes"][0]["cost_eur"] - 100), {"route_report"}),
    "served visit also unassigned": (lambda d, s: _unassign(d, _at(d, s), "capacity_exhausted"),
                                     {"served_and_unassigned"}),
    "dropped for capacity though it fits": (lambda d, s: _drop(d, s, "capacity_exhausted"), {"unserved_but_fits"}),
    "dropped as not worth it though mandatory": (lambda d, s: _drop(d, s, "optional_not_worth_it"),
                                                 {"unassigned_reason"}),
    "dropped, marked optional": (lambda d, s: _drop(d, s, "capacity_exhausted", mandatory=False),
                                 {"unassigned_fields"}),
    "dropped: no qualified nurse": (lambda d, s: _drop(d, s, "no_qualified_nurse"), {"unassigned_reason"}),
    "dropped: no second qualified nurse": (lambda d, s: _drop(d, s, "no_second_qualified_nurse"),
                                           {"unassigned_reason"}),
    "dropped: window unreachable": (lambda d, s: _drop(d, s, "window_unreachable"), {"unassigned_reason"}),
    "dropped: shift ends too early": (lambda d, s: _drop(d, s, "shift_ends_too_early"), {"unassigned_reason"}),
    "dropped: no second nurse reachable": (lambda d, s: _drop(d, s, "no_second_nurse_reachable"),
                                           {"unassigned_reason"}),
    "dropped, listed twice": (_drop_twice, {"duplicate_unassigned"}),
    "empty night, false reason": (lambda d, s: _empty_night(d, s, "no_qualified_nurse"), {"unassigned_reason"}),
    "empty night, capacity": (lambda d, s: _empty_night(d, s, "capacity_exhausted"), {"unserved_but_fits"}),
    "stop without UTC offset": (lambda d, s: _at(d, s).update(start=_at(d, s)["start"].replace(tzinfo=None)),
                                {"stop_time"}),
    "stop written at +05:00": (lambda d, s: _at(d, s).update(start=_at(d, s)["start"].astimezone(
        dt.timezone(dt.timedelta(hours=5)))), {"stop_time"}),
    "stop in year 1 at +14:00": (lambda d, s: _at(d, s).update(end=dt.datetime(
        1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))), {"stop_time"}),
    "plan date": (lambda d, s: d.update(date=d["date"] + dt.timedelta(days=1)), {"plan_date"}),
    "plan timezone": (lambda d, s: d.update(timezone="Europe/London"), {"plan_timezone"}),
    "two-nurse visit with one nurse": (_split_pair, {"nurse_count"}),
    "two-nurse visit out of sync": (lambda d, s: _shift_times(_pair(d, s)[1], 5, "start", "end"),
                                    {"two_nurse_sync"}),
    "two-nurse visit on one route": (_pair_on_one_route, {"two_nurse_same_shift"}),
    "visit given to an unqualified nurse": (_to_unqualified, {"qualification"}),
    **{f"KPI {name}": ((lambda name: lambda d, s: d["kpis"].update({name: d["kpis"][name] + 1}))(name), {"kpi"})
       for name in KPI_FIELDS},
}


def _mutated(plan: Plan, scenario: Scenario, mutate: Mutation) -> Plan:
    data = plan.model_dump(mode="python")
    mutate(data, scenario)
    return Plan.model_validate(data)


# ---------------------------------------------------------------- home-care rules (issue 29)
def _served(d: Data) -> dict[str, tuple[Data, Data]]:
    """visit id -> (its route, its stop), first copy."""
    out: dict[str, tuple[Data, Data]] = {}
    for r in d["routes"]:
        for x in r["stops"]:
            if x["kind"] == "visit":
                out.setdefault(x["visit_id"], (r, x))
    return out


def _move_to(d: Data, vid: str, shift_id: str) -> None:
    """Move the stop of ``vid`` to the end of ``shift_id``'s route (times left as they were)."""
    route, stop = _served(d)[vid]
    route["stops"].remove(stop)
    target = next(r for r in d["routes"] if r["shift_id"] == shift_id)
    target["stops"].insert(len(target["stops"]) - 1, stop)


def _to_nurse_without_skill(d: Data, s: Scenario) -> None:
    """A visit needing a skill goes to a nurse of its level who lacks that skill."""
    served = _served(d)
    for v in s.visits:
        if v.id not in served or not v.skills:
            continue
        other = next((sh for sh in s.shifts if sh.qualification >= v.qualification and not set(v.skills) <= set(sh.skills)
                      and sh.id != served[v.id][0]["shift_id"]), None)
        if other is not None:
            return _move_to(d, v.id, other.id)
    raise AssertionError("no visit to move")


def _to_excluded_nurse(d: Data, s: Scenario) -> None:
    served, by_nurse = _served(d), {sh.nurse_id: sh.id for sh in s.shifts}
    c = next(c for c in s.clients if c.excluded_nurses)
    v = next(v for v in s.visits if v.client == c.id and v.id in served)
    _move_to(d, v.id, by_nurse[c.excluded_nurses[0]])


def _second_check_at(d: Data, s: Scenario, minutes_after: float) -> None:
    """The first dependent visit starts ``minutes_after`` its predecessor's start."""
    served = _served(d)
    v = next(v for v in s.visits if v.after and v.id in served and v.after[0].visit in served)
    before, stop = served[v.after[0].visit][1], served[v.id][1]
    length = stop["end"] - stop["start"]
    t = before["start"] + dt.timedelta(minutes=minutes_after)
    stop.update(arrival=t, start=t, end=t + length)


def _breaks(d: Data) -> list[Data]:
    return [x for r in d["routes"] for x in r["stops"] if x["kind"] == "break"]


def _drop_break(d: Data, s: Scenario) -> None:
    b = _breaks(d)[0]
    next(r for r in d["routes"] if any(x is b for x in r["stops"]))["stops"].remove(b)


def _back_too_late(d: Data, s: Scenario) -> None:
    """The first route's end a minute past her shift's end and overtime."""
    route = d["routes"][0]
    sh = next(sh for sh in s.shifts if sh.id == route["shift_id"])
    t = s.clock.to_datetime(s.clock.to_seconds(sh.end_time) + round(sh.overtime_max_min * 60) + 60)
    route["stops"][-1].update(arrival=t, start=t, end=t)


RULE_MUTATIONS: dict[str, tuple[Mutation, set[str]]] = {
    "a break left out": (_drop_break, {"break"}),
    "a break 5 min short": (lambda d, s: _shift_times(_breaks(d)[0], -5, "end"), {"break"}),
    "a break outside its window": (lambda d, s: _shift_times(_breaks(d)[-1], 120), {"break"}),
    "a break taken elsewhere": (lambda d, s: _breaks(d)[0].update(lat=_breaks(d)[0]["lat"] + 0.05), {"break"}),
    "a visit given to a nurse without its skill": (_to_nurse_without_skill, {"skills"}),
    "a visit given to a nurse the client excludes": (_to_excluded_nurse, {"excluded_nurse"}),
    "a second check 30 min after its round": (lambda d, s: _second_check_at(d, s, 30), {"dependency_gap"}),
    "a second check before its round": (lambda d, s: _second_check_at(d, s, -20), {"dependency_gap"}),
    "a second check 3 h after its round": (lambda d, s: _second_check_at(d, s, 180), {"dependency_gap"}),
    "back beyond the overtime allowed": (_back_too_late, {"overtime"}),
    **{f"KPI {name}": ((lambda name: lambda d, s: d["kpis"].update({name: d["kpis"][name] + 1}))(name), {"kpi"})
       for name in ("overtime_min", "overtime_cost_eur", "max_lateness_min", "max_lateness_cost_eur",
                    "preference_cost_eur")},
}


@pytest.mark.parametrize("name", list(RULE_MUTATIONS))
def test_rule_mutation_is_caught(assen_plan, name):
    """Each planted break of a home-care rule (breaks, skills, exclusions, dependencies, overtime and
    their KPIs) is reported under its rule."""
    scenario, plan = assen_plan
    mutate, rules = RULE_MUTATIONS[name]
    report = check_plan(scenario, _mutated(plan, scenario, mutate))
    assert not report.ok
    assert report.rules() & rules, f"{name}: expected one of {rules}, got {report}"


def test_unmutated_plan_passes(assen_plan):
    """The deterministic plan of the Assen night breaks no rule, and its unserved count matches its KPIs."""
    scenario, plan = assen_plan
    report = check_plan(scenario, plan)
    assert report.ok, str(report)
    assert report.unserved_mandatory == plan.kpis.unassigned_mandatory


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_is_caught(assen_plan, name):
    """Each planted rule break is reported under its rule (and checking never raises)."""
    scenario, plan = assen_plan
    mutate, rules = MUTATIONS[name]
    report = check_plan(scenario, _mutated(plan, scenario, mutate))
    assert not report.ok
    assert report.rules() & rules, f"{name}: expected one of {rules}, got {report}"


def test_empty_night_with_false_reasons_is_not_feasible(assen_plan):
    """Issue 24 item 4: empty routes and every visit 'without a qualified nurse' are caught and counted."""
    scenario, plan = assen_plan
    report = check_plan(scenario, _mutated(plan, scenario, lambda d, s: _empty_night(d, s, "no_qualified_nurse")))
    assert report.unserved_mandatory == len(scenario.visits)
    assert sum(v.rule == "unassigned_reason" for v in report.violations) == len(scenario.visits)
    n = len(scenario.visits)
    assert f"{n} mandatory visit(s) unserved" in str(report) and "feasible" not in str(report)
    assert report.as_dict()["unserved_mandatory"] == n and report.as_dict()["ok"] is False


def test_naive_stop_time_from_json_is_a_violation_not_a_traceback(assen_plan):
    """Issue 24 item 5: a stop time without an offset, read from JSON, gives a clear violation."""
    scenario, plan = assen_plan
    text = plan.to_json().replace(plan.routes[0].stops[1].start.isoformat(),
                                  plan.routes[0].stops[1].start.replace(tzinfo=None).isoformat(), 1)
    report = check_plan(scenario, Plan.from_json(text))
    assert "stop_time" in report.rules()
    assert "has no UTC offset" in str(report)


def test_report_json_keeps_its_keys(assen_plan):
    """`as_dict` keeps ok/violations (rule, shift_id, visit_id, message) and adds unserved_mandatory."""
    scenario, plan = assen_plan
    d = check_plan(scenario, _mutated(plan, scenario, MUTATIONS["plan date"][0])).as_dict()
    assert set(d) == {"ok", "violations", "unserved_mandatory"}
    assert set(d["violations"][0]) == {"rule", "shift_id", "visit_id", "message"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stop=st.integers(0, 200), field=st.sampled_from(["arrival", "start", "end"]),
       seconds=st.integers(-6 * 3600, 6 * 3600).filter(bool), dlat=st.floats(-1e-3, 1e-3),
       kpi=st.sampled_from(KPI_FIELDS), dk=st.integers(-1000, 1000).filter(bool))
def test_random_edits_are_judged_without_raising(assen_plan, stop, field, seconds, dlat, kpi, dk):
    """Random time, coordinate and KPI edits: no exception, and each edit that must break a rule is caught."""
    scenario, plan = assen_plan
    assert "kpi" in check_plan(scenario, _mutated(plan, scenario, lambda d, s: d["kpis"].update(
        {kpi: d["kpis"][kpi] + dk}))).rules()
    data = plan.model_dump(mode="python")
    i, j = _visit_stops(data)[stop % len(_visit_stops(data))]
    s = data["routes"][i]["stops"][j]
    s[field] += dt.timedelta(seconds=seconds)
    s["lat"] += dlat
    rules = check_plan(scenario, Plan.model_validate(data)).rules()
    if abs(dlat) > 1e-5:  # > 1.1 m
        assert "stop_location" in rules
    if s["arrival"] > s["start"]:
        assert "start_before_arrival" in rules
    if field != "arrival":
        assert "duration" in rules


def _drop_visit(plan: Plan, visit_id: str, reason: str = "capacity_exhausted") -> Data:
    """The plan with every stop of a visit taken out and the visit listed unassigned for ``reason``."""
    d = plan.model_dump(mode="python")
    stops = [x for r in d["routes"] for x in r["stops"] if x["visit_id"] == visit_id]
    for r in d["routes"]:
        r["stops"] = [x for x in r["stops"] if x["visit_id"] != visit_id]
    _unassign(d, stops[0], reason)
    return d


def _insert_and_time(scenario: Scenario, d: Data, visit_id: str, places: list[tuple[str, int]]) -> Plan:
    """Put the visit on each ``(shift, k)`` as visit k and time those routes again (test-side arithmetic:
    earliest start inside the windows; two-nurse visits, visits in a dependency and breaks keep their
    time, the new one starts together)."""
    clock, v = scenario.clock, next(v for v in scenario.visits if v.id == visit_id)
    c = next(c for c in scenario.clients if c.id == v.client)
    travel = provider_for(scenario.travel)
    sec = clock.datetime_to_seconds
    linked = {w.id for w in scenario.visits if w.after} | {a.visit for w in scenario.visits for a in w.after}
    own = [(clock.to_seconds(w.start), clock.to_seconds(w.end)) for w in v.windows]
    own[-1] = (own[-1][0], own[-1][1] + round(v.max_lateness_min * 60))
    starts = {x["visit_id"]: sec(x["start"]) for r in d["routes"] for x in r["stops"] if x["kind"] == "visit"}
    spans = [(starts[a.visit] + a.min_gap_min * 60, starts[a.visit] + (a.max_gap_min or 1e9) * 60)
             for a in v.after if a.visit in starts]  # the dependencies' gaps, both ways
    spans += [(starts[w.id] - (a.max_gap_min or 1e9) * 60, starts[w.id] - a.min_gap_min * 60)
              for w in scenario.visits for a in w.after if a.visit == v.id and w.id in starts]
    for lo, hi in spans:
        own = [(max(a, math.ceil(lo)), min(b, math.floor(hi))) for a, b in own if max(a, lo) <= min(b, hi)]
    routes = {r["shift_id"]: r for r in d["routes"]}
    template = next(x for r in d["routes"] for x in r["stops"] if x["kind"] == "visit")
    for sid, k in places:
        partner = next((o for o, _ in places if o != sid), None)
        routes[sid]["stops"].insert(k + 1, dict(
            template, visit_id=v.id, client_id=c.id, organisation=c.organisation, care=v.care, nurses=v.nurses,
            partner_shift=partner, lat=c.location.lat, lon=c.location.lon,
            windows=[f"{clock.label(clock.to_seconds(w.start))}-{clock.label(clock.to_seconds(w.end))}"
                     for w in v.windows]))

    def earliest(sid: str, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """(arrival, start) of each stop after the start stop, seconds; the new visit within ``windows``."""
        stops = routes[sid]["stops"]
        m = travel.matrix([LatLon(lat=x["lat"], lon=x["lon"]) for x in stops]).duration_s
        t, out = shift_start[sid], []  # she may leave as early as her shift starts
        for j in range(1, len(stops)):
            x, arrival = stops[j], t + int(m[j - 1, j])
            if x["visit_id"] == v.id:
                start = next(max(arrival, a) for a, b in windows if arrival <= b)
            elif x["kind"] == "break" or (x["kind"] == "visit" and (x["nurses"] == 2 or x["visit_id"] in linked)):
                start = sec(x["start"])  # the partner's route is not changed, a dependency's gap is kept
            elif x["kind"] == "visit":
                w = next(w for w in scenario.visits if w.id == x["visit_id"]).windows
                spans = [(clock.to_seconds(y.start), clock.to_seconds(y.end)) for y in w]
                spans[-1] = (spans[-1][0], spans[-1][1] + 10**6)  # the checker judges the cap
                start = next(max(arrival, a) for a, b in spans if arrival <= b)
            else:
                start = arrival
            out.append((arrival, start))
            t = start + (sec(x["end"]) - sec(x["start"]) if x["visit_id"] != v.id else round(v.duration_min * 60))
        return out

    shift_start = {sh.id: clock.to_seconds(sh.start_time) for sh in scenario.shifts}
    together = max(dict(zip([x["visit_id"] for x in routes[sid]["stops"][1:]], earliest(sid, own)))[v.id][1]
                   for sid, _ in places)  # a two-nurse visit starts when the later of the two can
    for sid, _ in places:
        stops = routes[sid]["stops"]
        m = travel.matrix([LatLon(lat=x["lat"], lon=x["lon"]) for x in stops])
        t0 = clock.to_datetime(shift_start[sid])
        stops[0].update(arrival=t0, start=t0, end=t0)
        for j, (arrival, start) in enumerate(earliest(sid, [(together, together)]), 1):
            x = stops[j]
            dur = sec(x["end"]) - sec(x["start"]) if x["visit_id"] != v.id else round(v.duration_min * 60)
            x.update(arrival=clock.to_datetime(arrival), start=clock.to_datetime(start),
                     end=clock.to_datetime(start + (dur if x["kind"] in ("visit", "break") else 0)),
                     travel_min=int(m.duration_s[j - 1, j]) / 60, distance_km=int(m.distance_m[j - 1, j]) / 1000,
                     wait_min=(start - arrival) / 60)
            if x["kind"] == "visit":
                due = next(clock.to_seconds(w.windows[-1].end) for w in scenario.visits if w.id == x["visit_id"])
                x["late_min"] = max(0, start - due) / 60
    d["unassigned"] = [u for u in d["unassigned"] if dict(u)["visit_id"] != v.id]
    return Plan.model_validate(d)


#: What a re-timed plan may still get wrong: the totals it reports (not re-added by the test).
TOTALS = {"kpi", "route_report", "distance_report"}


def test_every_dropped_visit_is_found_to_fit_and_the_fit_is_real(assen_plan):
    """Each visit of a correct plan, taken out 'for capacity', is found to fit (its own place is free),
    and putting it where the checker says, at the time it names, gives a plan that breaks no rule."""
    scenario, plan = assen_plan
    # a visit at whose door a break is taken is left alone: without it the break would be nowhere
    at_door = {b.visit_id for r in plan.routes for a, b in zip(r.stops, r.stops[1:])
               if a.kind == "break" and b.kind == "visit" and (a.lat, a.lon) == (b.lat, b.lon)}
    for vid in sorted({s.visit_id for r in plan.routes for s in r.visits} - at_door):
        report = check_plan(scenario, Plan.model_validate(_drop_visit(plan, vid)))
        (fit,) = [v for v in report.violations if v.rule == "unserved_but_fits" and v.visit_id == vid]
        places = [(sid, int(k) - 1) for sid, k in re.findall(r"on (\S+)'s route as visit (\d+) of", fit.message)]
        fixed = check_plan(scenario, _insert_and_time(scenario, _drop_visit(plan, vid), vid, places))
        wrong = {v.rule for v in fixed.violations if v.rule not in TOTALS
                 and not (v.rule == "stop_report" and v.shift_id not in dict(places))}  # the stop after the gap
        assert not wrong, f"{vid}: {fit.message}\n{fixed}"
        assert fixed.unserved_mandatory == report.unserved_mandatory - 1


def test_insertion_positions_match_a_plain_simulation(assen_plan):
    """The positions where the checker says a visit fits are exactly those where timing the longer
    route visit by visit from the shift start keeps every window and the shift end with its overtime
    (routes thinned at random so that many positions fit; two-nurse visits, visits in a dependency and
    breaks keep their time)."""
    scenario, plan = assen_plan
    checker = _Checker(scenario, plan, provider_for(scenario.travel))
    checker.run()
    clock, drive, rng = scenario.clock, checker.drive, random.Random(0)

    def feasible(sh: Any, legs: list[_Leg]) -> bool:
        t, prev = clock.to_seconds(sh.start_time), checker.at_start[sh.id]
        for g in legs:
            arrival = t + drive[prev][g.point]
            start = next((max(arrival, lo) for lo, hi in g.windows if arrival <= hi), None)
            if start is None:
                return False
            t, prev = start + g.duration, g.point
        return t + drive[prev][checker.at_end[sh.id]] <= clock.to_seconds(sh.end_time) + round(sh.overtime_max_min * 60)

    positives = 0
    for v in scenario.visits:
        spans = [(clock.to_seconds(w.start), clock.to_seconds(w.end)) for w in v.windows]
        spans[-1] = (spans[-1][0], spans[-1][1] + round(v.max_lateness_min * 60))
        x = _Leg(checker.at_client[v.client], round(v.duration_min * 60), spans)
        for sh in scenario.shifts:
            legs = [g for g in checker.legs[sh.id] if rng.random() < 0.6]
            brute = {k for k in range(len(legs) + 1) if feasible(sh, legs[:k] + [x] + legs[k:])
                     and not (k and legs[k - 1].at_door)}  # nothing between a break at a door and that door
            assert {k for k, _, _ in checker.insertions(sh.id, v, legs)} == brute, (v.id, sh.id)
            positives += len(brute)
    assert positives > 100


# ---------------------------------------------------------------- unassigned visits on hand-made nights
def _plan(data: Data) -> tuple[Scenario, Plan]:
    scenario = Scenario.model_validate(copy.deepcopy(data))
    return scenario, plan_night(scenario, DETERMINISTIC)


def _add_unserved(data: Data, plan: Plan, new_visit: Data, reason: str, **client_kw: Any) -> tuple[Scenario, Plan]:
    """The scenario plus a visit (at a new client) that ``plan`` lists as unassigned for ``reason``."""
    data = copy.deepcopy(data)
    data["clients"].append(client("cx", **client_kw) | {"organisation": "org-a"})
    data["visits"].append(new_visit)
    d = plan.model_dump(mode="python")
    _unassign(d, {"visit_id": new_visit["id"], "client_id": "cx", "organisation": "org-a"}, reason)
    for k in ("visits_total", "unassigned", "unassigned_mandatory"):
        d["kpis"][k] += 1
    return Scenario.model_validate(data), Plan.model_validate(d)


def test_true_reasons_are_accepted_and_counted():
    """Reasons the scenario confirms pass; the unserved mandatory visits are counted in the text."""
    data = night([client("a", 1, 0), client("b", 2, 0), client("c", 150, 0), client("d", 3, 0)],
                 [visit("needs5", "a", qualification=5), visit("pair4", "b", nurses=2, qualification=4),
                  visit("far", "c", "23:00", "23:10"), visit("ok", "d")],
                 shifts=[nurse("n1", level=4), nurse("n2", level=3)])
    scenario, plan = _plan(data)
    report = check_plan(scenario, plan)
    assert report.ok and report.unserved_mandatory == 3
    assert "3 mandatory visit(s) unserved" in str(report)


def test_unreachable_and_shift_too_short_are_told_apart():
    """A nurse who gets there within the window but cannot be back before her shift ends makes
    'shift_ends_too_early' true and 'window_unreachable' false; a later window, the other way round."""
    data = night([client("c1", 1, 0)], [visit("v1", "c1")], shifts=[nurse("n1", t1="00:30")])
    _, plan = _plan(data)
    # 40 km: about 72 min's drive, so she is there at about 23:57 and back at about 02:10
    for window, true, false in ((("23:00", "23:59"), "shift_ends_too_early", "window_unreachable"),
                                (("22:45", "23:30"), "window_unreachable", "shift_ends_too_early")):
        far = visit("far", "cx", *window, 60)
        scenario, told = _add_unserved(data, plan, far, true, dlat_km=40)
        assert check_plan(scenario, told).ok, str(check_plan(scenario, told))
        scenario, told = _add_unserved(data, plan, far, false, dlat_km=40)
        assert check_plan(scenario, told).rules() == {"unassigned_reason"}


def test_unknown_reason_code_gets_the_insertion_test(assen_plan):
    """A reason code the checker does not know (e.g. a future 'not_placed') on a visit that fits is caught."""
    scenario, plan = assen_plan
    d = _drop_visit(plan, plan.routes[0].visits[2].visit_id, "some_new_code")
    assert "unserved_but_fits" in check_plan(scenario, Plan.model_validate(d)).rules()


def test_two_nurse_reasons_need_a_common_start():
    """Two nurses who can each reach a visit but never at the same time: 'no second nurse reachable' is
    true, and 'no second nurse free' is not disproved by an insertion."""
    data = night([client("c1", 1, 0)], [visit("v1", "c1")],
                 shifts=[nurse("early", t0="22:00", t1="01:00"), nurse("late", t0="02:00", t1="07:00")])
    _, plan = _plan(data)
    hoist = visit("hoist", "cx", "23:00", "06:00", 30, nurses=2)
    for reason in ("no_second_nurse_reachable", "no_second_nurse_free"):
        scenario, broken = _add_unserved(data, plan, hoist, reason, dlat_km=2)
        assert check_plan(scenario, broken).ok, reason
    scenario, broken = _add_unserved(data, plan, hoist, "window_unreachable", dlat_km=2)
    assert "unassigned_reason" in check_plan(scenario, broken).rules()


def test_two_nurse_visit_that_fits_two_free_nurses_is_caught():
    """A two-nurse visit left out 'for lack of a free second nurse' while two nurses are free is caught."""
    data = night([client("c1", 1, 0)], [visit("v1", "c1", "23:00", "23:30")], shifts=[nurse("n1"), nurse("n2")])
    _, plan = _plan(data)
    scenario, broken = _add_unserved(data, plan, visit("hoist", "cx", "03:00", "04:00", 30, nurses=2),
                                     "no_second_nurse_free", dlat_km=2)
    (v,) = [v for v in check_plan(scenario, broken).violations if v.rule == "unserved_but_fits"]
    assert "n1" in v.message and "n2" in v.message and "03:00" in v.message


def _just_before(plan: Plan, minutes: int = 20) -> Data:
    """A level-5 visit whose window closes 10 min before the plan's first visit starts."""
    t = plan.routes[0].visits[0].start
    lo, hi = (t - dt.timedelta(minutes=15)).strftime("%H:%M"), (t - dt.timedelta(minutes=10)).strftime("%H:%M")
    return visit("x", "cx", lo, hi, minutes, qualification=5)


def test_insertion_keeps_two_nurse_partners_in_step():
    """A visit that fits only by pushing a two-nurse visit (whose partner would not move) is not said to
    fit; pushing a one-nurse visit the same way is allowed, so there it fits."""
    pair = night([client("c1", 1, 0)], [visit("hoist", "c1", "23:00", "06:00", 30, nurses=2, qualification=5)],
                 shifts=[nurse("n1", level=5), nurse("n2", level=5)])
    _, plan = _plan(pair)
    scenario, broken = _add_unserved(pair, plan, _just_before(plan), "capacity_exhausted", dlat_km=1.1)
    assert check_plan(scenario, broken).ok, str(check_plan(scenario, broken))
    single = night([client("c1", 1, 0)], [visit("solo", "c1", "23:00", "06:00", 30, qualification=5)],
                   shifts=[nurse("n1", level=5)])
    _, plan = _plan(single)
    scenario, broken = _add_unserved(single, plan, _just_before(plan), "capacity_exhausted", dlat_km=1.1)
    (v,) = check_plan(scenario, broken).violations
    assert v.rule == "unserved_but_fits" and "visit 1 of 2" in v.message


def test_optional_visit_reason_only_checked_for_lies():
    """An optional visit skipped as 'not worth it' is accepted though it fits; a false 'no qualified
    nurse' on it is not."""
    data = night([client("c1", 1, 0), client("c2", 2, 0)],
                 [visit("v1", "c1"), visit("opt", "c2", optional=True, penalty_eur=0.01)], shifts=[nurse("n1")])
    scenario, plan = _plan(data)
    assert [u.reason for u in plan.unassigned] == ["optional_not_worth_it"]
    assert check_plan(scenario, plan).ok
    d = plan.model_dump(mode="python")
    d["unassigned"][0]["reason"] = "no_qualified_nurse"
    assert check_plan(scenario, Plan.model_validate(d)).rules() == {"unassigned_reason"}


# ---------------------------------------------------------------- an unused nurse (issue 24 item 6)
def _gieten_night() -> tuple[Data, Scenario, Plan]:
    """A night one Assen nurse serves; the Gieten nurse (home in Gieten, shift ends in Assen) is unused."""
    data = night([client("c1", 1, 0), client("c2", 2, 1)], [visit("v1", "c1"), visit("v2", "c2")],
                 shifts=[nurse("n1"), nurse("gieten", start=dict(GIETEN), end_location=dict(ASSEN_CENTRE))])
    scenario, plan = _plan(data)
    assert [r.shift_id for r in plan.routes if r.used] == ["n1"]
    return data, scenario, plan


def _with_gieten_route(plan: Plan, route: Data | None) -> Plan:
    d = plan.model_dump(mode="python")
    d["routes"] = [r for r in d["routes"] if r["shift_id"] != "gieten"] + ([route] if route else [])
    return Plan.model_validate(d)


def test_unused_nurse_accepted_shapes():
    """An unused nurse has no route entry, or start and end at her start place at her start time, 0 km."""
    data, scenario, plan = _gieten_night()
    template = plan.model_dump(mode="python")["routes"][0]["stops"][0]
    assert check_plan(scenario, _with_gieten_route(plan, None)).ok
    accepted = _unused(scenario, "gieten", template)
    assert check_plan(scenario, _with_gieten_route(plan, accepted)).ok


def test_unused_nurse_teleported_to_her_end_place_is_rejected():
    """Issue 24 item 6: start in Gieten, end in Assen at the same second with 0 km is rejected, and so
    is any other shape of an unused route (driving home to Assen, a later time, some km)."""
    data, scenario, plan = _gieten_night()
    accepted = _unused(scenario, "gieten", plan.model_dump(mode="python")["routes"][0]["stops"][0])
    teleport = copy.deepcopy(accepted)
    teleport["stops"][1].update(ASSEN_CENTRE)
    driven = copy.deepcopy(teleport)
    driven["stops"][1]["travel_min"] = 20.0
    _shift_times(driven["stops"][1], 20)
    later = copy.deepcopy(accepted)
    for s in later["stops"]:
        _shift_times(s, 60)
    with_km = copy.deepcopy(accepted)
    with_km["distance_km"] = 1.0
    for route in (teleport, driven, later, with_km):
        assert "unused_route" in check_plan(scenario, _with_gieten_route(plan, route)).rules()


# ---------------------------------------------------------------- independence
def test_checker_imports_only_the_data_models():
    """check.py imports no timing, problem, solver or explanation code (its independence is the point)."""
    tree = ast.parse(Path(nachtzorg.check.__file__).read_text())
    local = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level}
    absolute = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    absolute |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
    assert local <= {"model", "plan", "nighttime", "travel", "exceptions"}, local
    assert not {m for m in absolute if m.startswith("nachtzorg")}, absolute
