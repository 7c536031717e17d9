"""Independent feasibility checker: a plan against its scenario, rule by rule.

Deliberately shares no code with the compiler, scheduler, solver or explainer: it reads the
scenario as written (windows, durations, qualifications, shifts), asks the travel provider for
the driving times between the scenario's places, recomputes every arrival from the previous
stop's end, and lists every rule the plan breaks. The solver is never trusted on its own word.
Times are compared in whole seconds (a plan's times are rounded to the second).

Rules (``Violation.rule``):

- the plan: ``plan_date``, ``plan_timezone``, ``bad_number`` (NaN, infinite or negative);
- routes: ``unknown_shift``, ``duplicate_route``, ``route_shape`` (start, visits and breaks, end;
  other stops carry no visit, client, care, windows or lateness), ``unused_route`` (see below),
  ``break`` (a used nurse takes each of her breaks, in order: its duration, starting within its
  window, where she is, overlapping no care), ``overtime`` (back after her shift's end plus the
  overtime it allows),
  ``stop_time`` (no UTC offset, an offset other than the time zone's, or not a time of this
  night), ``stop_times`` (a start/end stop has one time), ``stop_location``
  (more than :data:`LOCATION_TOLERANCE_M` from the client's or shift's place), ``stop_fields``
  (organisation, care, nurses, partner or windows differ from the scenario),
  ``shift_time``, ``travel_time``, ``start_before_arrival``, ``duration``, ``qualification``
  (level), ``skills`` (every skill the visit needs), ``excluded_nurse`` (the client excludes her),
  ``time_window``, ``lateness_report``, ``stop_report``, ``distance_report``, ``route_report``;
- visits: ``unknown_visit``, ``missing_visit``, ``served_and_unassigned``, ``nurse_count``,
  ``two_nurse_same_shift``, ``two_nurse_sync``, ``dependency_gap`` and ``dependency_nurse`` (a
  visit that follows another, both served: its gap, and the same or a different nurse),
  ``duplicate_unassigned``, ``unassigned_fields``,
  ``unassigned_reason`` (a reason the scenario disproves: no qualified nurse, no second one,
  no qualified nurse there within a window, back after the shift ends, no two nurses there at
  one time, optional though mandatory), ``unserved_but_fits`` (a mandatory visit left out for
  another reason, e.g. the search, that fits into the plan as it stands);
- ``kpi``: a plan KPI that differs from what the routes show.

An unused nurse has no route entry, or exactly: a start and an end stop, both at her shift's
start place and start time, with every distance, time and cost 0 (she never leaves home).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np

from .model import LatLon, Scenario, Shift, Visit
from .plan import Plan, Route, Stop
from .travel import TravelProvider, haversine_m, provider_for

#: Tolerance of a stop's coordinates against the scenario's place, metres.
LOCATION_TOLERANCE_M = 1.0
#: Tolerance of reported distances, km; of reported durations, minutes; of money, euros (per route).
KM_TOLERANCE = 0.05
MIN_TOLERANCE = 0.02
EUR_TOLERANCE = 0.05

Windows = list[tuple[int, int]]  # allowed start intervals, seconds, in time order


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
    unserved_mandatory: int = 0  # mandatory visits no route serves (counted from the scenario)

    @property
    def ok(self) -> bool:
        return not self.violations

    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}

    def as_dict(self) -> dict:
        """The JSON of ``check --json``: ``ok``, ``unserved_mandatory``, ``violations``."""
        return {"ok": self.ok, "unserved_mandatory": self.unserved_mandatory,
                "violations": [asdict(v) for v in self.violations]}

    def __str__(self) -> str:
        unserved = f"{self.unserved_mandatory} mandatory visit(s) unserved"
        if self.ok:
            if self.unserved_mandatory:
                return f"every rule holds, but {unserved} (their reasons check out)"
            return "plan is feasible: every rule holds"
        return (f"{len(self.violations)} violation(s), {unserved}:\n"
                + "\n".join(f"  {v}" for v in self.violations))


def check_plan(scenario: Scenario, plan: Plan, travel: TravelProvider | None = None) -> CheckReport:
    """Check every rule of ``scenario`` on ``plan``; returns all violations found."""
    return _Checker(scenario, plan, travel or provider_for(scenario.travel)).run()


def _first_start(windows: Windows, t: int) -> int | None:
    """Earliest start >= ``t`` inside ``windows``, or None."""
    for lo, hi in windows:
        if t <= hi:
            return max(t, lo)
    return None


def _last_start(windows: Windows, t: int) -> int | None:
    """Latest start <= ``t`` inside ``windows``, or None."""
    for lo, hi in reversed(windows):
        if t >= lo:
            return min(t, hi)
    return None


def _off(reported: float, true: float, tol: float) -> bool:
    """True when a reported number is not within ``tol`` of the true one (NaN is always off)."""
    return not abs(reported - true) <= tol


def _metres(s: Stop, place: LatLon) -> float:
    """Great-circle distance of a stop from a place, metres (NaN for NaN coordinates)."""
    with np.errstate(invalid="ignore"):
        return float(haversine_m(np.array([s.lat, place.lat]), np.array([s.lon, place.lon]))[0, 1])


def _can_serve(sh: Shift, v: Visit, excluded: list[str]) -> bool:
    """Level, every skill, and not a nurse the client excludes."""
    return sh.qualification >= v.qualification and set(v.skills) <= set(sh.skills) and sh.nurse_id not in excluded


@dataclass(frozen=True)
class _Leg:
    """A visit (or a break) on a route, for insertion tests: place, seconds it lasts, allowed
    starts, and whether it is a break at the next stop's door (nothing may come between)."""

    point: int
    duration: int
    windows: Windows
    at_door: bool = False


def _together(v: Visit, starts: dict[str, list[tuple[int, int, int]]]):
    """For a two-nurse visit: ``((shift, k), (other shift, k), second)`` where two different shifts
    can start it together, from per-shift ``(k, lo, hi)`` start intervals; else None."""
    if v.nurses != 2:
        return None
    flat = [(sid, *iv) for sid, ivs in starts.items() for iv in ivs]
    for i, (s1, k1, a1, b1) in enumerate(flat):
        for s2, k2, a2, b2 in flat[i + 1:]:
            if s1 != s2 and max(a1, a2) <= min(b1, b2):
                return (s1, k1), (s2, k2), max(a1, a2)
    return None


class _Checker:
    def __init__(self, scenario: Scenario, plan: Plan, travel: TravelProvider) -> None:
        self.s, self.plan, self.clock = scenario, plan, scenario.clock
        self.rep = CheckReport()
        self.visits = {v.id: v for v in scenario.visits}
        self.clients = {c.id: c for c in scenario.clients}
        #: visits in a dependency (either side): kept at their planned start when testing insertions
        self.linked = {v.id for v in scenario.visits if v.after} | {d.visit for v in scenario.visits for d in v.after}
        self.shifts = {sh.id: sh for sh in scenario.shifts}
        # one travel matrix over the scenario's places: clients, then each shift's start and end
        places = [c.location for c in scenario.clients]
        self.at_client = {c.id: i for i, c in enumerate(scenario.clients)}
        self.at_start, self.at_end = {}, {}
        for sh in scenario.shifts:
            self.at_start[sh.id] = len(places)
            self.at_end[sh.id] = len(places) + 1
            places += [sh.start_location, sh.end_point]
        mat = travel.matrix(places)
        self.drive, self.metres = mat.duration_s.tolist(), mat.distance_m.tolist()
        self.windows: dict[str, Windows] = {}  # last window extended by the lateness cap
        self.due: dict[str, int] = {}  # end of the last window: lateness counts from here
        for v in scenario.visits:
            w = [self.clock.window_seconds(x.start, x.end) for x in v.windows]
            self.due[v.id] = w[-1][1]
            w[-1] = (w[-1][0], w[-1][1] + round(v.max_lateness_min * 60))
            self.windows[v.id] = w
        self.served: dict[str, list[tuple[str, int | None, Stop]]] = defaultdict(list)
        self.legs: dict[str, list[_Leg]] = {sh.id: [] for sh in scenario.shifts}  # routes to insert into
        self.totals: dict[str, float] = defaultdict(float)
        self.timed = True  # every route could be timed (else time KPIs are not compared)

    def bad(self, rule: str, shift: str | None, visit: str | None, msg: str) -> None:
        self.rep.violations.append(Violation(rule, shift, visit, msg))

    def label(self, t: int) -> str:
        try:
            return self.clock.label(t)
        except (OverflowError, ValueError):
            return f"{t} s after noon"

    def shift_span(self, sh: Shift) -> tuple[int, int]:
        return self.clock.to_seconds(sh.start_time), self.clock.to_seconds(sh.end_time)

    def run(self) -> CheckReport:
        if self.plan.date != self.s.date:
            self.bad("plan_date", None, None, f"plan is for {self.plan.date}, the scenario for {self.s.date}")
        if self.plan.timezone != self.s.timezone:
            self.bad("plan_timezone", None, None,
                     f"plan is in time zone {self.plan.timezone!r}, the scenario in {self.s.timezone!r}")
        self.check_numbers()
        seen: set[str] = set()
        for route in self.plan.routes:
            if route.shift_id not in self.shifts:
                self.bad("unknown_shift", route.shift_id, None, "shift is not in the scenario")
            elif route.shift_id in seen:
                self.bad("duplicate_route", route.shift_id, None, "the shift has more than one route")
                self.legs.pop(route.shift_id, None)
            else:
                seen.add(route.shift_id)
                self.check_route(self.shifts[route.shift_id], route)
        self.check_coverage()
        self.check_unassigned()
        self.check_kpis()
        return self.rep

    # ------------------------------------------------------------------ routes
    def check_numbers(self) -> None:
        """Every reported number is finite, and not negative (coordinates aside)."""
        p = self.plan
        items = [(None, None, "KPI", p.kpis)]
        for r in p.routes:
            items.append((r.shift_id, None, "route", r))
            items += [(r.shift_id, s.visit_id, f"{s.kind} stop", s) for s in r.stops]
        for shift, visit, what, obj in items:
            for name, value in obj:
                if isinstance(value, (int, float)) and not isinstance(value, bool) and not (
                        math.isfinite(value) and (value >= 0 or name in ("lat", "lon"))):
                    self.bad("bad_number", shift, visit, f"{what} {name} is {value}")

    def seconds(self, route: Route) -> list[tuple[int, int, int]] | None:
        """Every stop's (arrival, start, end) in seconds of the night, or None (and a violation)."""
        out = []
        for k, s in enumerate(route.stops):
            times = []
            for name in ("arrival", "start", "end"):
                dt: datetime = getattr(s, name)
                if dt.tzinfo is None or dt.utcoffset() is None:
                    self.bad("stop_time", route.shift_id, s.visit_id,
                             f"stop {k} {name} {dt.isoformat()} has no UTC offset (write e.g. +01:00)")
                    return None
                try:
                    times.append(self.clock.datetime_to_seconds(dt))
                    local = dt.astimezone(self.clock.tz)
                except (OverflowError, ValueError):
                    self.bad("stop_time", route.shift_id, s.visit_id,
                             f"stop {k} {name} {dt.isoformat()} is not a time of this night")
                    return None
                if dt.utcoffset() != local.utcoffset():  # route sheets print the wall time as written
                    self.bad("stop_time", route.shift_id, s.visit_id, f"stop {k} {name} {dt.isoformat()} is "
                             f"{local:%H:%M%z} in {self.clock.tz_name}: write it with that offset")
            out.append(tuple(times))
        return out

    def check_location(self, sh: Shift, s: Stop, place: LatLon, what: str) -> None:
        d = _metres(s, place)
        if not d <= LOCATION_TOLERANCE_M:
            self.bad("stop_location", sh.id, s.visit_id,
                     f"{s.kind} stop at ({s.lat}, {s.lon}) is {d:.0f} m from {what} ({place.lat}, {place.lon})")

    def check_route(self, sh: Shift, route: Route) -> None:
        stops = route.stops
        shaped = len(stops) >= 2 and stops[0].kind == "start" and stops[-1].kind == "end" \
            and all(s.kind in ("visit", "break") for s in stops[1:-1])
        if not shaped:
            self.bad("route_shape", sh.id, None, "a route is its start stop, its visits and breaks, then its end stop")
        for s in stops:
            extra = [name for name in ("visit_id", "client_id", "organisation", "partner_shift", "windows",
                                       "late_min") if getattr(s, name)] + (["nurses"] if s.nurses != 1 else [])
            extra += ["care"] if s.care and not (s.kind == "break" and s.care == "break") else []
            if s.kind != "visit" and extra:
                self.bad("route_shape", sh.id, s.visit_id, f"the {s.kind} stop carries {', '.join(extra)}")
        known = True
        for s in stops:
            v, c = self.visits.get(s.visit_id or ""), self.clients.get(s.client_id or "")
            if s.kind == "visit" and (v is None or c is None or v.client != c.id):
                self.bad("unknown_visit", sh.id, s.visit_id, "visit/client not in the scenario or not matching")
                known = False
        times = self.seconds(route)
        if not (shaped and known and times):
            self.timed = False
            self.legs.pop(sh.id, None)  # not sure what this route is: never insert into it
            for s in stops:
                if s.kind == "visit" and s.visit_id in self.visits:
                    self.served[s.visit_id].append((sh.id, None, s))
        elif not any(s.kind == "visit" for s in stops):
            self.check_unused(sh, route, times)
        else:
            self.check_used(sh, route, times)

    def check_unused(self, sh: Shift, route: Route, times: list[tuple[int, int, int]]) -> None:
        """The one accepted shape of an unused nurse's route (see the module docstring)."""
        t0 = self.shift_span(sh)[0]
        near = all(_metres(s, sh.start_location) <= LOCATION_TOLERANCE_M for s in route.stops)
        zero = all(x == 0 for s in route.stops for x in (s.travel_min, s.distance_km, s.wait_min, s.late_min)) \
            and all(x == 0 for x in (route.distance_km, route.driving_min, route.care_min,
                                     route.waiting_min, route.cost_eur))
        if not (len(route.stops) == 2 and near and zero and all(t == t0 for ts in times for t in ts)):
            self.bad("unused_route", sh.id, None,
                     f"an unused nurse's route is start and end at her start place at {self.label(t0)} "
                     "with 0 km, no driving and no cost (or no route entry at all)")

    def check_used(self, sh: Shift, route: Route, times: list[tuple[int, int, int]]) -> None:
        bad, stops = self.bad, route.stops
        shift_start, shift_end = self.shift_span(sh)
        points = [self.at_start[sh.id]]
        for j, s in enumerate(stops[1:-1], start=1):  # a break is taken where she is or at the next door
            if s.kind == "visit":
                points.append(self.at_client[s.client_id])
                continue
            nxt = next((x for x in stops[j + 1:] if x.kind != "break"), stops[-1])
            if nxt.kind == "visit":
                c = self.clients.get(nxt.client_id or "")
                place, where = self.at_client.get(nxt.client_id or ""), c.location if c else None
            else:
                place, where = self.at_end[sh.id], sh.end_point
            at_door = place is not None and where is not None and _metres(s, where) <= LOCATION_TOLERANCE_M
            points.append(place if at_door else points[-1])
        points.append(self.at_end[sh.id])
        for k in (0, -1):
            if len(set(times[k])) != 1:
                bad("stop_times", sh.id, None, f"the {stops[k].kind} stop's arrival, start and end differ")
        if stops[0].travel_min or stops[0].distance_km or stops[0].wait_min:
            bad("stop_report", sh.id, None, "the start stop reports driving or waiting before it")
        self.check_location(sh, stops[0], sh.start_location, "the shift's start place")
        self.check_location(sh, stops[-1], sh.end_point, "the shift's end place")
        if times[0][2] < shift_start:
            bad("shift_time", sh.id, None,
                f"leaves at {self.label(times[0][2])}, before the shift starts ({sh.start_time})")
        if times[-1][0] > shift_end + round(sh.overtime_max_min * 60):
            bad("overtime" if sh.overtime_max_min else "shift_time", sh.id, None,
                f"back at {self.label(times[-1][0])}, after the shift ends ({sh.end_time})"
                + (f" and the {sh.overtime_max_min:g} min of overtime it allows" if sh.overtime_max_min else ""))
        overtime = max(0, times[-1][0] - shift_end)
        self.totals["overtime_min"] += overtime / 60
        self.totals["overtime_cost_eur"] += overtime / 60 * sh.overtime_cost_per_min_eur
        self.check_breaks(sh, route, times, points)
        prev_end = times[0][2]
        km = drive_min = wait_min = care_min = 0.0
        legs: list[_Leg] = []
        for k in range(1, len(stops)):
            s, (arrival, start, end) = stops[k], times[k]
            drive, metres = self.drive[points[k - 1]][points[k]], self.metres[points[k - 1]][points[k]]
            km, drive_min = km + metres / 1000, drive_min + drive / 60
            if arrival < prev_end + drive - 1:
                bad("travel_time", sh.id, s.visit_id,
                    f"arrives {arrival - prev_end} s after the previous stop ends, driving takes {drive} s")
            if start < arrival:
                bad("start_before_arrival", sh.id, s.visit_id, "care starts before the nurse arrives")
            if _off(s.travel_min, drive / 60, MIN_TOLERANCE) or _off(s.distance_km, metres / 1000, KM_TOLERANCE) \
                    or _off(s.wait_min, (start - arrival) / 60, MIN_TOLERANCE):
                bad("stop_report", sh.id, s.visit_id, f"reports {s.travel_min:g} min / {s.distance_km:g} km "
                    f"driving and {s.wait_min:g} min waiting; recomputed {drive / 60:g} min / {metres / 1000:g} km "
                    f"and {(start - arrival) / 60:g} min")
            prev_end = end
            if s.kind == "end":
                break
            if s.kind == "break":
                wait_min += (start - arrival) / 60
                legs.append(_Leg(points[k], end - start, [(start, start)], points[k] != points[k - 1]))
                continue
            v, c = self.visits[s.visit_id], self.clients[s.client_id]
            wait_min, care_min = wait_min + (start - arrival) / 60, care_min + v.duration_min
            self.check_location(sh, s, c.location, f"client {c.id}'s home")
            self.check_visit_stop(sh, v, s, start, end)
            self.served[v.id].append((sh.id, start, s))
            # a partner waits for her, and a dependent visit's gap holds only at the planned times
            fixed = [(start, start)] if v.nurses == 2 or v.id in self.linked else self.windows[v.id]
            legs.append(_Leg(points[k], round(v.duration_min * 60), fixed))
        self.legs[sh.id] = legs
        cost = sh.cost_per_shift_eur + km * sh.cost_per_km_eur
        if _off(route.distance_km, km, KM_TOLERANCE):
            bad("distance_report", sh.id, None, f"reports {route.distance_km:.2f} km, recomputed {km:.2f} km")
        for name, true, tol in (("driving_min", drive_min, MIN_TOLERANCE), ("waiting_min", wait_min, MIN_TOLERANCE),
                                ("care_min", care_min, MIN_TOLERANCE), ("cost_eur", cost, EUR_TOLERANCE)):
            if _off(getattr(route, name), true, tol):
                bad("route_report", sh.id, None, f"reports {name} {getattr(route, name):g}, recomputed {true:g}")
        for name, value in (("distance_km", km), ("driving_min", drive_min), ("waiting_min", wait_min),
                            ("care_min", care_min), ("shift_cost_eur", sh.cost_per_shift_eur),
                            ("km_cost_eur", km * sh.cost_per_km_eur), ("nurses_used", 1)):
            self.totals[name] += value

    def check_breaks(self, sh: Shift, route: Route, times: list[tuple[int, int, int]], points: list[int]) -> None:
        """Each of a used nurse's breaks, in order of earliest start, is one break stop: at the
        place before it, of its duration, starting within its window, with no time to itself
        but its own (the checks of travel and arrival cover the rest)."""
        want = sorted(((self.clock.to_seconds(b.earliest_start), self.clock.to_seconds(b.latest_start),
                        round(b.duration_min * 60)) for b in sh.breaks))
        got = [(k, t) for k, (s, t) in enumerate(zip(route.stops, times)) if s.kind == "break"]
        if len(got) != len(want):
            self.bad("break", sh.id, None, f"takes {len(got)} break(s), her shift has {len(want)}")
            return
        for (k, (arrival, start, end)), (lo, hi, d) in zip(got, want):
            if not (arrival <= start and end - start == d and lo <= start <= hi):
                self.bad("break", sh.id, None, f"break at {self.label(start)}-{self.label(end)} is not "
                         f"{d / 60:g} min starting between {self.label(lo)} and {self.label(hi)}")
            if points[k] == points[k - 1] and _metres(route.stops[k], route.stops[k - 1]) > LOCATION_TOLERANCE_M:
                self.bad("break", sh.id, None, "a break is taken where the nurse is or at the next stop's door, "
                         "not elsewhere")

    def check_visit_stop(self, sh: Shift, v: Visit, s: Stop, start: int, end: int) -> None:
        bad = self.bad
        if end - start != round(v.duration_min * 60):
            bad("duration", sh.id, v.id, f"care lasts {(end - start) / 60:g} min, planned {v.duration_min:g} min")
        if sh.qualification < v.qualification:
            bad("qualification", sh.id, v.id, f"needs level {v.qualification}, nurse has level {sh.qualification}")
        missing = sorted(set(v.skills) - set(sh.skills))
        if missing:
            bad("skills", sh.id, v.id, f"needs {', '.join(missing)}, which the nurse does not have")
        c = self.clients[v.client]
        if sh.nurse_id in c.excluded_nurses:
            bad("excluded_nurse", sh.id, v.id, f"client {c.id} does not want nurse {sh.nurse_id}")
        if c.preferred_nurses and sh.nurse_id not in c.preferred_nurses:
            self.totals["preference_cost_eur"] += c.preference_cost_eur
        if _first_start(self.windows[v.id], start) != start:
            bad("time_window", sh.id, v.id, f"starts at {self.label(start)}, outside its windows"
                + (f" and beyond the {v.max_lateness_min:g} min lateness allowed" if v.max_lateness_min else ""))
        late = max(0, start - self.due[v.id])
        self.totals["max_lateness_min"] = max(self.totals["max_lateness_min"], late / 60)
        if _off(s.late_min, late / 60, MIN_TOLERANCE):
            bad("lateness_report", sh.id, v.id, f"reports {s.late_min:g} min late, is {late / 60:g} min late")
        if late:
            rate = v.lateness_cost_per_min_eur
            rate = self.s.lateness_cost_per_min_eur if rate is None else rate
            self.totals["late_visits"] += 1
            self.totals["lateness_min"] += late / 60
            self.totals["lateness_cost_eur"] += late / 60 * rate
        c = self.clients[v.client]
        labels = [f"{self.clock.label(a)}-{self.clock.label(b)}"
                  for a, b in (self.clock.window_seconds(w.start, w.end) for w in v.windows)]
        wrong = [name for name, got, want in (("organisation", s.organisation, c.organisation),
                                             ("care", s.care, v.care), ("nurses", s.nurses, v.nurses),
                                             ("windows", s.windows, labels)) if got != want]
        if wrong:
            bad("stop_fields", sh.id, v.id, f"{', '.join(wrong)} differ from the scenario")

    # ------------------------------------------------------------------ visits
    def check_coverage(self) -> None:
        bad = self.bad
        unassigned = {u.visit_id for u in self.plan.unassigned}
        for vid, v in self.visits.items():
            got = self.served.get(vid, [])
            if vid in unassigned:
                if got:
                    bad("served_and_unassigned", None, vid, "is both in a route and listed as unassigned")
            elif not got:
                bad("missing_visit", None, vid, "neither served nor listed as unassigned")
            if not got:
                self.rep.unserved_mandatory += not v.optional
                continue
            self.totals["visits_served"] += 1
            if len(got) != v.nurses:
                bad("nurse_count", None, vid, f"served by {len(got)} nurse(s), needs {v.nurses}")
            elif v.nurses == 2:
                (s1, t1, a), (s2, t2, b) = got
                if s1 == s2:
                    bad("two_nurse_same_shift", s1, vid, "both places of a two-nurse visit are on one nurse's route")
                if t1 is not None and t2 is not None and t1 != t2:
                    bad("two_nurse_sync", None, vid, f"the two nurses start {abs(t1 - t2) / 60:g} min apart")
                if (a.partner_shift, b.partner_shift) != (s2, s1):
                    bad("stop_fields", s1, vid, "partner_shift does not name the other nurse")
            elif got[0][2].partner_shift is not None:
                bad("stop_fields", got[0][0], vid, "a one-nurse visit names a partner_shift")
        for v in self.visits.values():
            for d in v.after:
                first, then = self.served.get(d.visit), self.served.get(v.id)
                if not first or not then or first[0][1] is None or then[0][1] is None:
                    continue
                gap = then[0][1] - first[0][1]
                hi = math.inf if d.max_gap_min is None else round(d.max_gap_min * 60)
                if not round(d.min_gap_min * 60) <= gap <= hi:
                    bad("dependency_gap", then[0][0], v.id, f"starts {gap / 60:g} min after {d.visit}, not "
                        f"{d.min_gap_min:g}-{'' if d.max_gap_min is None else f'{d.max_gap_min:g}'} min")
                a, b = {x[0] for x in first}, {x[0] for x in then}
                if (d.nurse == "same" and not a & b) or (d.nurse == "different" and a & b):
                    bad("dependency_nurse", then[0][0], v.id, f"must be served by {d.nurse} nurse(s) as {d.visit}")

    def check_unassigned(self) -> None:
        bad, seen = self.bad, set()
        for u in self.plan.unassigned:
            v = self.visits.get(u.visit_id)
            if v is None:
                bad("unknown_visit", None, u.visit_id, "unassigned visit is not in the scenario")
                continue
            if u.visit_id in seen:
                bad("duplicate_unassigned", None, v.id, "listed as unassigned more than once")
                continue
            seen.add(v.id)
            c = self.clients[v.client]
            if (u.client_id, u.organisation, u.mandatory) != (c.id, c.organisation, not v.optional):
                bad("unassigned_fields", None, v.id, "client, organisation or mandatory differ from the scenario")
            if self.served.get(v.id):
                continue
            self.judge_reason(v, u.reason)

    def insertions(self, sid: str, v: Visit, legs: list[_Leg]) -> list[tuple[int, int, int]]:
        """``(k, lo, hi)``: ``v`` can start at any second of ``[lo, hi]`` as visit k of shift ``sid``
        on a route of ``legs``, every later visit pushed but still inside its windows and the shift
        (and the overtime it allows)."""
        t0, t1 = self.shift_span(self.shifts[sid])
        t1 += round(self.shifts[sid].overtime_max_min * 60)  # back within the overtime she may work
        x, dur, drive = self.at_client[v.client], round(v.duration_min * 60), self.drive
        points = [self.at_start[sid]] + [g.point for g in legs] + [self.at_end[sid]]
        ends = [t0]  # earliest end of the first k visits (k = 0: leaving the start place)
        for k, g in enumerate(legs):
            start = _first_start(g.windows, ends[-1] + drive[points[k]][g.point])
            if start is None:
                break
            ends.append(start + g.duration)
        latest: list[int | None] = [None] * len(legs) + [t1]  # latest start of visit k (k = n: back)
        for k in reversed(range(len(legs))):
            g, nxt = legs[k], latest[k + 1]
            if nxt is not None:
                latest[k] = _last_start(g.windows, nxt - drive[g.point][points[k + 2]] - g.duration)
        out = []
        for k, end in enumerate(ends):
            if latest[k] is not None and not (k and legs[k - 1].at_door):
                lo, hi = end + drive[points[k]][x], latest[k] - drive[x][points[k + 1]] - dur
                out += [(k, max(a, lo), min(b, hi)) for a, b in self.windows[v.id] if max(a, lo) <= min(b, hi)]
        return out

    def dependency_span(self, v: Visit) -> tuple[float, float, dict]:
        """The span a left-out visit must start in given the served visits it is linked to, and
        the shifts it must (``only``) or must not (``not``) go to."""
        lo, hi, who = -math.inf, math.inf, {}
        links = [(d, d.visit, +1) for d in v.after]
        links += [(d, w.id, -1) for w in self.visits.values() for d in w.after if d.visit == v.id]
        for d, other, sign in links:
            got = self.served.get(other)
            if not got or got[0][1] is None:
                continue
            t = got[0][1]
            gmin, gmax = round(d.min_gap_min * 60), math.inf if d.max_gap_min is None else round(d.max_gap_min * 60)
            a, b = (t + gmin, t + gmax) if sign > 0 else (t - gmax, t - gmin)
            lo, hi = max(lo, a), min(hi, b)
            shifts = {x[0] for x in got}
            if d.nurse == "same":
                who["only"] = shifts if who.get("only") is None else who["only"] & shifts
            elif d.nurse == "different":
                who.setdefault("not", set()).update(shifts)
        return lo, hi, who

    def judge_reason(self, v: Visit, reason: str) -> None:
        """Confirm a reason from the scenario alone, or show that the visit fits into the plan."""
        excluded = self.clients[v.client].excluded_nurses
        qualified = [sid for sid, sh in self.shifts.items() if _can_serve(sh, v, excluded)]
        there = {sid: _first_start(self.windows[v.id], self.shift_span(self.shifts[sid])[0]
                                   + self.drive[self.at_start[sid]][self.at_client[v.client]]) for sid in qualified}
        in_time = [sid for sid in qualified if there[sid] is not None]  # can be there within a window
        alone = {sid: self.insertions(sid, v, []) for sid in qualified}  # ... and be back before her shift ends
        reach = [sid for sid in qualified if alone[sid]]
        pair = _together(v, alone)
        one = "it needs one nurse"
        levels = f"{', '.join(qualified)} can serve it (level, skills, not excluded)"
        can = f"{reach[0]} can start it at {self.label(alone[reach[0]][0][1])} and be back before her shift ends, " \
              "with nothing else to do" if reach else None
        false = {  # reason -> why the scenario disproves it, or None when it confirms it
            "no_qualified_nurse": levels if qualified else None,
            "no_nurse_with_skills": levels if qualified else None,
            "excluded_nurses_only": levels if qualified else None,
            "no_second_qualified_nurse": one if v.nurses == 1 else levels if len(qualified) > 1 else None,
            "window_unreachable": f"{in_time[0]} can be there to start it at {self.label(there[in_time[0]])}"
                                  if in_time else None,
            "shift_ends_too_early": can if in_time else "no qualified nurse can be there within its windows",
            "no_second_nurse_reachable": one if v.nurses == 1 else None if pair is None else
            f"{pair[0][0]} and {pair[1][0]} can both start it at {self.label(pair[2])}, with nothing else to do",
        }
        if reason in false:
            if false[reason]:
                self.bad("unassigned_reason", None, v.id, f"reason {reason!r} is false: {false[reason]}")
            return
        if reason == "optional_not_worth_it" and not v.optional:
            self.bad("unassigned_reason", None, v.id, "reason 'optional_not_worth_it' but the visit is mandatory")
        if v.optional:
            return
        fits = {sid: self.insertions(sid, v, self.legs[sid]) for sid in qualified if sid in self.legs}
        for sid, spans in fits.items():  # a visit that must follow or precede a served one
            lo, hi, who = self.dependency_span(v)
            fits[sid] = [(k, max(a, lo), min(b, hi)) for k, a, b in spans
                         if max(a, lo) <= min(b, hi) and sid not in who.get("not", ()) and
                         (who.get("only") is None or sid in who["only"])]

        def where(sid: str, k: int) -> str:
            return f"on {sid}'s route as visit {k + 1} of {len(self.legs[sid]) + 1}"

        if v.nurses == 1:
            sid = next((sid for sid in fits if fits[sid]), None)
            if sid is not None:
                k, lo, _ = fits[sid][0]
                self.bad("unserved_but_fits", sid, v.id,
                         f"left out ({reason}) but fits: {where(sid, k)}, starting {self.label(lo)}")
        elif (found := _together(v, fits)) is not None:
            (s1, k1), (s2, k2), t = found
            self.bad("unserved_but_fits", s1, v.id, f"left out ({reason}) but fits: {where(s1, k1)} and "
                     f"{where(s2, k2)}, both starting {self.label(t)}")

    # ------------------------------------------------------------------ KPIs
    def check_kpis(self) -> None:
        k, t, n = self.plan.kpis, self.totals, len(self.plan.routes)
        served = int(t["visits_served"])
        unserved = len(self.visits) - served
        want = [("visits_total", len(self.visits), 0), ("visits_served", served, 0), ("unassigned", unserved, 0),
                ("unassigned_mandatory", self.rep.unserved_mandatory, 0), ("nurses_on_shift", len(self.shifts), 0)]
        if self.timed:
            want += [("nurses_used", t["nurses_used"], 0), ("late_visits", t["late_visits"], 0),
                     ("distance_km", t["distance_km"], KM_TOLERANCE * max(1, n)),
                     ("driving_min", t["driving_min"], MIN_TOLERANCE * max(1, n)),
                     ("waiting_min", t["waiting_min"], MIN_TOLERANCE * max(1, n)),
                     ("care_min", t["care_min"], MIN_TOLERANCE * max(1, n)),
                     ("lateness_min", t["lateness_min"], MIN_TOLERANCE * (1 + t["late_visits"])),
                     ("shift_cost_eur", t["shift_cost_eur"], EUR_TOLERANCE),
                     ("km_cost_eur", t["km_cost_eur"], EUR_TOLERANCE * max(1, n)),
                     ("cost_eur", t["shift_cost_eur"] + t["km_cost_eur"], EUR_TOLERANCE * max(1, n)),
                     ("lateness_cost_eur", t["lateness_cost_eur"], EUR_TOLERANCE * (1 + t["late_visits"])),
                     ("overtime_min", t["overtime_min"], MIN_TOLERANCE * max(1, n)),
                     ("overtime_cost_eur", t["overtime_cost_eur"], EUR_TOLERANCE * max(1, n)),
                     ("max_lateness_min", t["max_lateness_min"], MIN_TOLERANCE),
                     ("max_lateness_cost_eur", t["max_lateness_min"] * self.s.max_lateness_cost_per_min_eur,
                      EUR_TOLERANCE),
                     ("preference_cost_eur", t["preference_cost_eur"], EUR_TOLERANCE)]
        for name, true, tol in want:
            if _off(getattr(k, name), true, tol):
                self.bad("kpi", None, None, f"KPI {name} is {getattr(k, name):g}, the routes show {true:g}")
