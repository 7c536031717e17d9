"""Inputs of the fuzz campaign (``benchmarks/fuzz.py``): hypothesis strategies, valid seeds, a
mutation engine, planted key-safe codes, and the case builder that turns them into files + argv.

A *case* is one call of the command line as a user makes it: a few input files (scenario, plan,
acute call, events, night state, game) and an argument list, all relative to the case's own
directory. Every client of every scenario in a case carries a fake key-safe code
``KSC-<n>-SECRET`` (some also typed into its access note or another free-text field); the runner
greps every output for them.

Only the public API is used: the command line, ``nachtzorg.synthetic.generate_night``,
``nachtzorg.Scenario``, ``nachtzorg.plan_night`` and ``nachtzorg.SolveParams`` (for seed plans).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import math
import random
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
ASSEN_SCENARIO = ROOT / "examples" / "assen" / "scenario.json"
ASSEN_CALL = ROOT / "examples" / "assen" / "call.json"
GAMES_DIR = ROOT / "tests" / "data" / "games"

#: Solver budget of every planning case: a few improving solutions, no wall clock.
SOLUTION_LIMIT = 5
AMS = "Europe/Amsterdam"
BASE = (52.993, 6.562)  # Assen
#: Nights the clocks change in Europe/Amsterdam (evening dates): spring forward, fall back.
DST_SPRING = dt.date(2026, 3, 28)
DST_AUTUMN = dt.date(2026, 10, 24)

COMMANDS = ("validate", "plan", "check", "dispatch", "simulate", "share")
COMMAND_WEIGHTS = (0.18, 0.22, 0.15, 0.22, 0.08, 0.15)
HUGE = 5_000_000  # characters of a huge string
DEEP = 1000  # nesting levels


# ---------------------------------------------------------------------------------------------
# planted codes


class Planter:
    """Hands out unique fake key-safe codes and remembers where each was planted."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.codes: dict[str, list[str]] = {}

    def new(self, where: str) -> str:
        while True:
            code = f"KSC-{self.rng.randrange(10**6, 10**7)}-SECRET"
            if code not in self.codes:
                self.codes[code] = [where]
                return code

    def number(self, where: str) -> int:
        """A numeric code (a key-safe code typed as a number): 9 digits, searched as a whole number."""
        while True:
            n = self.rng.randrange(7 * 10**8, 8 * 10**8)
            if str(n) not in self.codes:
                self.codes[str(n)] = [where]
                return n

    def also(self, code: str, where: str) -> None:
        self.codes.setdefault(code, []).append(where)


def plant_scenario(sc: dict[str, Any], planter: Planter, rng: random.Random, prefix: str = "") -> dict[str, str]:
    """Give every client a ``key_safe_code``; type some codes into notes and other free text.

    Returns client id -> code. ``prefix`` names the document (``state.scenario.``)."""
    out: dict[str, str] = {}
    clients = sc.get("clients") if isinstance(sc, dict) else None
    if not isinstance(clients, list):
        return out
    in_notes = rng.random() < 0.4
    in_care = rng.random() < 0.1
    in_names = rng.random() < 0.05
    for i, c in enumerate(clients):
        if not isinstance(c, dict):
            continue
        code = planter.new(f"{prefix}clients[{i}].key_safe_code")
        c["key_safe_code"] = code
        out[str(c.get("id"))] = code
        if in_notes and rng.random() < 0.4:
            note = rng.choice(["key safe {c}, ring twice", "code {c}", "{c} (back door)", "kluis: {c}"])
            c["access_note"] = note.format(c=code)
            planter.also(code, f"{prefix}clients[{i}].access_note")
    visits = sc.get("visits")
    if in_care and isinstance(visits, list):
        for i, v in enumerate(visits):
            if isinstance(v, dict) and str(v.get("client")) in out and rng.random() < 0.3:
                code = out[str(v.get("client"))]
                v["care"] = f"insulin, safe {code}"
                planter.also(code, f"{prefix}visits[{i}].care")
    if in_names and out:
        code = next(iter(out.values()))
        sc["name"] = f"night (safe {code})"
        planter.also(code, f"{prefix}name")
    return out


# ---------------------------------------------------------------------------------------------
# hypothesis strategies


def hhmm(minutes_after_22: int) -> str:
    """``HH:MM`` of a number of minutes after 22:00 (wraps past midnight)."""
    m = (22 * 60 + minutes_after_22) % (24 * 60)
    return f"{m // 60:02d}:{m % 60:02d}"


def iso_local(date: dt.date, minutes_after_22: int, tz: str = AMS) -> str:
    """ISO datetime with offset of a time of the night of ``date`` (real elapsed minutes after 22:00)."""
    start = dt.datetime.combine(date, dt.time(22, 0), tzinfo=ZoneInfo(tz))
    t = (start.astimezone(dt.timezone.utc) + dt.timedelta(minutes=minutes_after_22)).astimezone(ZoneInfo(tz))
    return t.isoformat()


def night_dates() -> st.SearchStrategy[dt.date]:
    """Ordinary nights, the two clock-change nights, new year and a leap day."""
    return st.one_of(
        st.sampled_from([dt.date(2026, 11, 22), DST_SPRING, DST_AUTUMN, dt.date(2026, 12, 31),
                         dt.date(2028, 2, 28), dt.date(2027, 3, 27), dt.date(2027, 10, 30)]),
        st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)))


def night_times(date: dt.date, lo: int = 0, hi: int = 9 * 60) -> st.SearchStrategy[str]:
    """A time of night between ``lo`` and ``hi`` minutes after 22:00, as HH:MM (mostly) or ISO."""
    return st.integers(lo, hi).flatmap(lambda m: st.one_of(
        st.just(hhmm(m)), st.just(hhmm(m)), st.just(hhmm(m)), st.just(iso_local(date, m))))


def lat_lons(spread: float = 0.15) -> st.SearchStrategy[dict[str, float]]:
    """A point near Assen (``spread`` degrees)."""
    return st.builds(lambda a, b: {"lat": round(BASE[0] + a, 5), "lon": round(BASE[1] + b, 5)},
                     st.floats(-spread, spread), st.floats(-spread, spread))


ids = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=6)


@st.composite
def scenarios(draw: Any, max_clients: int = 10, max_visits: int = 16, max_shifts: int = 4) -> dict[str, Any]:
    """A valid-looking scenario dict: organisations, clients near Assen, visits with night windows,
    shifts, sometimes a travel section. Meant to load; some draws hit real corners (clock
    changes, a two-nurse visit on a one-nurse night, windows no nurse can reach)."""
    date = draw(night_dates())
    n_org = draw(st.integers(1, 4))
    orgs = [{"id": f"org-{chr(97 + i)}", "name": draw(st.text(min_size=1, max_size=20).filter(str.strip))}
            for i in range(n_org)]
    spread = draw(st.sampled_from([0.02, 0.15]))
    n_cl = draw(st.integers(1, max_clients))
    clients = []
    for i in range(n_cl):
        c: dict[str, Any] = {"id": f"cl-{i + 1:03d}", "organisation": draw(st.sampled_from(orgs))["id"],
                             "location": draw(lat_lons(spread))}
        if draw(st.booleans()):
            c["access_note"] = draw(st.text(max_size=60))
        clients.append(c)
    visits = []
    for i in range(draw(st.integers(1, max_visits))):
        a = draw(st.integers(30, 8 * 60))
        w = draw(st.integers(0, 240))
        windows = [{"start": hhmm(a), "end": hhmm(min(a + w, 9 * 60))}]
        if draw(st.integers(0, 4)) == 0 and a + w + 60 < 9 * 60:
            b = draw(st.integers(a + w + 1, 9 * 60 - 1))
            windows.append({"start": hhmm(b), "end": hhmm(min(b + 30, 9 * 60))})
        if draw(st.integers(0, 6)) == 0:
            windows = [{"start": iso_local(date, a), "end": iso_local(date, min(a + w, 9 * 60))}]
        v: dict[str, Any] = {"id": f"v-{i + 1:03d}", "client": draw(st.sampled_from(clients))["id"],
                             "windows": windows, "duration_min": draw(st.integers(1, 60)),
                             "qualification": draw(st.integers(1, 5))}
        if draw(st.integers(0, 6)) == 0:
            v["nurses"] = 2
        if draw(st.integers(0, 3)) == 0:
            v["priority"] = draw(st.integers(1, 10))
        if draw(st.integers(0, 4)) == 0:
            v["optional"] = True
            v["penalty_eur"] = draw(st.floats(0, 5000))
        if draw(st.integers(0, 3)) == 0:
            v["max_lateness_min"] = draw(st.integers(0, 240))
            if draw(st.booleans()):
                v["lateness_cost_per_min_eur"] = draw(st.floats(0, 100))
        if draw(st.booleans()):
            v["care"] = draw(st.sampled_from(["medication", "insulin", "palliative", "repositioning", "continence"]))
        visits.append(v)
    shifts = []
    for i in range(draw(st.integers(1, max_shifts))):
        a = draw(st.integers(0, 90))
        b = draw(st.integers(max(a + 60, 8 * 60), 10 * 60))
        sh: dict[str, Any] = {"id": f"nurse-{i + 1}", "qualification": draw(st.integers(1, 5)),
                              "start_location": draw(lat_lons(spread)),
                              "start_time": hhmm(a) if a < 120 else iso_local(date, a), "end_time": hhmm(b)}
        if draw(st.integers(0, 3)) == 0:
            sh["end_location"] = draw(lat_lons(spread))
        if draw(st.booleans()):
            sh["cost_per_shift_eur"] = draw(st.floats(0, 2000))
            sh["cost_per_km_eur"] = draw(st.floats(0, 5))
        shifts.append(sh)
    sc: dict[str, Any] = {"name": draw(st.text(max_size=40)), "date": date.isoformat(), "timezone": AMS,
                          "organisations": orgs, "clients": clients, "visits": visits, "shifts": shifts}
    if draw(st.integers(0, 3)) == 0:
        sc["travel"] = {"provider": "straight_line", "speed_kmh": draw(st.floats(5, 150)),
                        "detour_factor": draw(st.floats(1, 3))}
    if draw(st.integers(0, 4)) == 0:
        sc["lateness_cost_per_min_eur"] = draw(st.floats(0, 50))
    return sc


@st.composite
def plans_for(draw: Any, sc: dict[str, Any]) -> dict[str, Any]:
    """A plan-shaped dict for scenario ``sc``: every visit given to some nurse (or left out) at
    made-up times. Mostly infeasible: a checker must say which rule breaks, never crash."""
    date = dt.date.fromisoformat(sc["date"])
    shifts = [s["id"] for s in sc["shifts"]]
    loc = {c["id"]: c["location"] for c in sc["clients"]}
    org = {c["id"]: c["organisation"] for c in sc["clients"]}
    routes: dict[str, list[dict[str, Any]]] = {s: [] for s in shifts}
    unassigned = []
    for v in sc["visits"]:
        if draw(st.integers(0, 4)) == 0:
            unassigned.append({"visit_id": v["id"], "client_id": v["client"], "organisation": org.get(v["client"], "?"),
                               "mandatory": not v.get("optional", False),
                               "reason": draw(st.sampled_from(["capacity_exhausted", "no_qualified_nurse",
                                                               "window_unreachable"])), "detail": "fuzz"})
        else:
            routes[draw(st.sampled_from(shifts))].append(v)
    out_routes = []
    for s in shifts:
        if not routes[s] and draw(st.booleans()):
            continue
        t = draw(st.integers(45, 90))
        sh = next(x for x in sc["shifts"] if x["id"] == s)
        stops = [{"kind": "start", "lat": sh["start_location"]["lat"], "lon": sh["start_location"]["lon"],
                  "arrival": iso_local(date, t), "start": iso_local(date, t), "end": iso_local(date, t)}]
        for v in routes[s]:
            t += draw(st.integers(0, 40))
            d = int(v["duration_min"])
            p = loc.get(v["client"], {"lat": BASE[0], "lon": BASE[1]})
            stops.append({"kind": "visit", "visit_id": v["id"], "client_id": v["client"],
                          "organisation": org.get(v["client"]), "nurses": v.get("nurses", 1),
                          "lat": p["lat"], "lon": p["lon"], "arrival": iso_local(date, t),
                          "start": iso_local(date, t), "end": iso_local(date, t + d),
                          "travel_min": 5.0, "distance_km": 3.0})
            t += d
        stops.append({"kind": "end", "lat": sh["start_location"]["lat"], "lon": sh["start_location"]["lon"],
                      "arrival": iso_local(date, t + 5), "start": iso_local(date, t + 5), "end": iso_local(date, t + 5)})
        out_routes.append({"shift_id": s, "stops": stops, "distance_km": 3.0 * len(stops),
                           "driving_min": 5.0 * len(stops), "care_min": 20.0, "waiting_min": 0.0, "cost_eur": 500.0})
    n = len(sc["visits"])
    kpis = {"distance_km": 10.0, "driving_min": 10.0, "waiting_min": 0.0, "care_min": 10.0,
            "nurses_used": len(out_routes), "nurses_on_shift": len(shifts), "shift_cost_eur": 0.0,
            "km_cost_eur": 0.0, "cost_eur": 0.0, "late_visits": 0, "lateness_min": 0.0, "lateness_cost_eur": 0.0,
            "visits_total": n, "visits_served": n - len(unassigned), "unassigned": len(unassigned),
            "unassigned_mandatory": sum(u["mandatory"] for u in unassigned)}
    return {"scenario": sc.get("name", "night"), "date": sc["date"], "timezone": sc.get("timezone", AMS),
            "routes": out_routes, "unassigned": unassigned, "kpis": kpis}


def calls_for(sc: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An acute call at a client's home or somewhere near Assen."""
    date = dt.date.fromisoformat(sc["date"])
    cl = [c["id"] for c in sc["clients"]]

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        call: dict[str, Any] = {"id": f"call-{draw(st.integers(0, 9999)):04d}", "location": draw(lat_lons(0.1))}
        if draw(st.booleans()):
            call["urgency"] = draw(st.sampled_from(["immediate", "personal_alarm", "fall", "palliative", "gp_request"]))
        if draw(st.booleans()):
            call["duration_min"] = draw(st.integers(1, 90))
        if draw(st.booleans()):
            call["qualification"] = draw(st.integers(1, 5))
        if draw(st.integers(0, 5)) == 0:
            call["nurses"] = 2
        if draw(st.integers(0, 4)) == 0:
            call["norm_min"] = draw(st.integers(1, 120))
        if draw(st.booleans()):
            call["received"] = draw(night_times(date, 60, 8 * 60))
        if draw(st.booleans()):
            call["client"] = draw(st.sampled_from(cl))
        return call

    return build()


def events_for(plan: dict[str, Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """``started``/``done`` events for the first stops of some routes, in time order (mostly)."""
    stops = [(r["shift_id"], s) for r in plan.get("routes", []) for s in r["stops"] if s.get("kind") == "visit"]

    @st.composite
    def build(draw: Any) -> list[dict[str, Any]]:
        if not stops:
            return []
        chosen = draw(st.lists(st.sampled_from(stops), max_size=4, unique_by=lambda x: x[1]["visit_id"]))
        evs = []
        for shift, s in chosen:
            evs.append({"kind": "started", "ref": s["visit_id"], "shift": shift, "at": s["start"]})
            if draw(st.booleans()):
                evs.append({"kind": "done", "ref": s["visit_id"], "shift": shift, "at": s["end"]})
        if draw(st.booleans()):
            evs.sort(key=lambda e: e["at"])
        return evs

    return build()


@st.composite
def games(draw: Any) -> dict[str, Any]:
    """A GAME.json document: 1-6 players, cost or savings values for (nearly) every coalition."""
    n = draw(st.integers(1, 6))
    players = draw(st.lists(st.text(string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=8)
                            .map(str.strip).filter(bool), min_size=n, max_size=n, unique=True))
    kind = draw(st.sampled_from(["cost", "savings"]))
    values: dict[str, float] = {}
    for mask in range(1, 1 << n):
        members = [p for i, p in enumerate(players) if mask >> i & 1]
        values[",".join(members)] = draw(st.floats(0, 1e6, allow_nan=False)) if kind == "savings" or len(members) == 1 \
            else draw(st.floats(0, 1e6))
    game: dict[str, Any] = {"players": players, "kind": kind, "values": values}
    if draw(st.booleans()):
        game["name"] = draw(st.text(max_size=30))
    if draw(st.integers(0, 2)) == 0:
        game["attributes"] = {"visits": {p: draw(st.integers(0, 50)) for p in players}}
    return game


@st.composite
def bundles(draw: Any) -> dict[str, Any]:
    """One command's documents drawn by hypothesis: ``{"command", "scenario", "plan", "call",
    "events", "game", "now"}`` (what the command does not read is None)."""
    command = draw(st.sampled_from(COMMANDS))
    b: dict[str, Any] = {"command": command, "scenario": None, "plan": None, "call": None, "events": None,
                         "game": None, "now": None}
    if command == "share":
        b["game"] = draw(games())
        return b
    sc = draw(scenarios())
    b["scenario"] = sc
    if command in ("check", "dispatch"):
        b["plan"] = draw(plans_for(sc))
    if command == "dispatch":
        b["call"] = draw(calls_for(sc))
        b["events"] = draw(events_for(b["plan"])) if draw(st.booleans()) else None
        b["now"] = draw(night_times(dt.date.fromisoformat(sc["date"]), 60, 8 * 60))
    return b


def draw_bundles(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` bundles from :func:`bundles`, the same for the same ``seed`` (no example database)
    within the same set of loaded modules: hypothesis also draws constants it finds in the
    project's imported modules, so a campaign inside pytest draws other cases than the script."""
    out: list[dict[str, Any]] = []
    if n <= 0:
        return out

    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(bundles())
    def collect(b: dict[str, Any]) -> None:
        out.append(b)

    collect()
    while len(out) < n and out:  # hypothesis may stop early once it has tried enough distinct draws
        out.append(copy.deepcopy(out[len(out) % max(1, len(out))]))
    return out[:n]


# ---------------------------------------------------------------------------------------------
# valid seeds


@dataclass
class Seed:
    """A valid scenario with its plan (solution-limited), a call, events, and a night state."""

    name: str
    scenario: dict[str, Any]
    plan: dict[str, Any] | None
    call: dict[str, Any]
    events: list[dict[str, Any]]
    state: dict[str, Any] | None = None


@dataclass
class Pools:
    seeds: list[Seed]
    games: list[tuple[str, dict[str, Any]]]
    hypothesis: list[dict[str, Any]] = field(default_factory=list)


#: Generated seed nights: (visits, nurses, organisations, seed, evening date, two-nurse share).
GENERATED = [
    (12, 2, 2, 1, dt.date(2026, 11, 22), 0.05),
    (24, 3, 2, 3, dt.date(2026, 11, 22), 0.05),
    (30, 4, 3, 5, DST_SPRING, 0.2),
    (30, 4, 3, 7, DST_AUTUMN, 0.2),
    (8, 1, 1, 9, dt.date(2026, 12, 31), 0.0),
    (16, 2, 4, 11, dt.date(2028, 2, 28), 0.5),
]


def _call_near(sc: dict[str, Any], k: int) -> dict[str, Any]:
    c = sc["clients"][k % len(sc["clients"])]
    return {"id": f"call-{k:04d}", "location": dict(c["location"]), "urgency": "fall", "duration_min": 25,
            "qualification": 3, "nurses": 1, "received": "01:50", "client": c["id"]}


def _events_of(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not plan:
        return []
    evs = []
    for r in plan["routes"]:
        visits = [s for s in r["stops"] if s["kind"] == "visit"]
        if visits:
            s = visits[0]
            evs += [{"kind": "started", "ref": s["visit_id"], "shift": r["shift_id"], "at": s["start"]},
                    {"kind": "done", "ref": s["visit_id"], "shift": r["shift_id"], "at": s["end"]}]
    return sorted(evs, key=lambda e: e["at"])


def build_pools(*, small: bool = False, hypothesis_cases: int = 0, seed: int = 0,
                main: Any = None) -> Pools:
    """The valid seeds (Assen and generated nights with their plans, calls, events, one night state
    made by ``dispatch --state-out``), the test games, and ``hypothesis_cases`` drawn bundles.

    ``small`` keeps the cheap seeds only (for the unit test)."""
    from nachtzorg import Scenario, SolveParams, plan_night
    from nachtzorg.synthetic import generate_night

    params = SolveParams(time_limit_s=None, solution_limit=SOLUTION_LIMIT, seed=0)
    seeds: list[Seed] = []
    specs = GENERATED[:3] + GENERATED[4:5] if small else GENERATED
    raw = []
    if not small:
        raw.append(("assen", json.loads(ASSEN_SCENARIO.read_text(encoding="utf-8")),
                    json.loads(ASSEN_CALL.read_text(encoding="utf-8"))))
    for n, k, o, s, date, share in specs:
        # generated on an ordinary night and moved: generate_night itself rejects the spring clock
        # change (its 02:xx windows do not exist that night), so those move to 03:xx
        sc = json.loads(generate_night(n, k, o, seed=s, two_nurse_share=share).to_json())
        sc["date"] = date.isoformat()
        if date == DST_SPRING:
            for v in sc["visits"]:
                for w in v["windows"]:
                    for key in ("start", "end"):
                        if w[key].startswith("02:"):
                            w[key] = "03:" + w[key][3:]
        raw.append((f"generated-{n}v-{k}n-{date}", sc, _call_near(sc, s)))
    for name, sc, call in raw:
        try:
            scenario = Scenario.model_validate(sc)
        except ValueError:
            continue
        plan = json.loads(plan_night(scenario, params).to_json())
        seeds.append(Seed(name, sc, plan, call, _events_of(plan)))
    if main is not None:
        _add_state(seeds[0], main)
    games = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(GAMES_DIR.glob("*.json"))]
    return Pools(seeds, games, draw_bundles(hypothesis_cases, seed))


def _add_state(s: Seed, main: Any) -> None:
    """A night state of seed ``s`` as ``dispatch --state-out`` writes it (the command line's own format)."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d)
        for name, doc in (("scenario.json", s.scenario), ("plan.json", s.plan), ("call.json", s.call)):
            (p / name).write_text(json.dumps(doc), encoding="utf-8")
        argv = ["dispatch", str(p / "scenario.json"), str(p / "plan.json"), str(p / "call.json"),
                "--now", "02:15", "--state-out", str(p / "state.json")]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                main(argv)
            except BaseException:  # noqa: BLE001 - no state seed then; the campaign reports the crash itself
                return
        if (p / "state.json").is_file():
            s.state = json.loads((p / "state.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# mutations


EXTREME_NUMBERS: list[Any] = [0, -1, -0.0, 1e20, 9.3e12, 9.3e12 * 1.01, 1e308, 1e-300, math.inf, -math.inf,
                              math.nan, 2**63, 2**64 + 1, 10**30, 0.5, 1e-9]
#: Values at or beyond what an integer solver can hold; a number model field given one must be rejected.
OUT_OF_RANGE = {1e20, 9.3e12 * 1.01, 1e308, math.inf, -math.inf, 2**63, 2**64 + 1, 10**30}
ODD_TIMEZONES = ["A" * 300, "+14:00", "-12:00", "Etc/GMT-14", "Pacific/Kiritimati", "Australia/Lord_Howe",
                 "Asia/Kathmandu", "America/St_Johns", "UTC", "", "../../etc/passwd", "Europe/Amsterdam\x00",
                 "europe/amsterdam", "Europe/Atlantis", "CET", "Europe/Amsterdam "]
ODD_TIMES = ["24:00", "23:60", "-1:00", "2:5", "02:00:60", "T02:00", "2026-11-23T02:00:00", "\uff12\uff13:00",
             " 23:00 ", "23:00\n", "", "noon", "12:00", "11:59", "0001-01-01T02:00:00+14:00",
             "9999-12-31T23:59:00-12:00", "9999-12-31T23:59:59+14:00", "2026-11-23T02:00:00+25:00",
             "2026-11-23T02:00:00Z", "2026-02-30T02:00:00+01:00", "99:99", "23:00:00.5", "1e3"]
ODD_DATES = ["0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "9998-12-31", "2026-02-29", "2026-13-01",
             "20261122", "2026-11-22T00:00:00", "", "yesterday", 20261122]
ODD_STRINGS = ["", " ", "\x00", "\ud83d", "ring twice \ud83d", "\ufeff", "a" * 65, "<script>alert(1)</script>",
               "';DROP TABLE visits;--", "../../../etc/passwd", "\u202e", "é" * 301, "\n" * 10]


@dataclass
class Bundle:
    """The documents and command-line options of one case, being mutated."""

    command: str
    docs: dict[str, Any]  # name -> JSON-ready object (scenario, plan, call, events, state, game)
    options: list[str]  # options after the positional arguments
    positional: list[str]  # file names (keys of docs) or literal paths
    notes: list[str] = field(default_factory=list)
    expect_exit: int | None = None  # 2 when a mutation made the input certainly invalid
    text_ops: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)  # doc -> text-level ops
    extra_files: dict[str, bytes] = field(default_factory=dict)
    extra_dirs: list[str] = field(default_factory=list)

    reasons: list[str] = field(default_factory=list)  # why the input is certainly invalid

    def invalid(self, note: str) -> None:
        self.notes.append(note)
        self.expect_invalid()

    def expect_invalid(self) -> None:
        """The change just noted makes the input certainly invalid: the command must exit 2."""
        self.expect_exit = 2
        self.reasons.append(self.notes[-1] if self.notes else "?")

    def overwritten(self, prefix: str) -> None:
        """A later change replaced the value that an earlier change (noted as ``prefix...``) made
        invalid: that reason no longer holds."""
        self.reasons = [r for r in self.reasons if not r.startswith(prefix)]
        if not self.reasons:
            self.expect_exit = None


def _paths(obj: Any, prefix: str = "") -> list[tuple[Any, Any, str]]:
    """Every (container, key, path) in a JSON object."""
    out: list[tuple[Any, Any, str]] = []
    stack = [(obj, prefix)]
    while stack:
        o, p = stack.pop()
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, list) else ()
        for k, v in items:
            q = f"{p}[{k}]" if isinstance(k, int) else (f"{p}.{k}" if p else k)
            out.append((o, k, q))
            if isinstance(v, (dict, list)):
                stack.append((v, q))
    return out


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 40 else f"{r[:30]}...({len(r)} chars)"


def _typo(name: str, rng: random.Random) -> str:
    ops = [lambda s: s.replace("_", ""), lambda s: s[:-1], lambda s: s + "s", lambda s: s.upper(),
           lambda s: "".join(w.capitalize() if i else w for i, w in enumerate(s.split("_"))),
           lambda s: s.replace("key_safe_code", "keysafe") if "key_safe" in s else s + "_", lambda s: " " + s]
    return rng.choice(ops)(name) or name + "x"


def generic_mutation(b: Bundle, doc: str, rng: random.Random, planter: Planter) -> None:
    """Change a type, delete, duplicate or rename a field, or put an extreme value somewhere in ``doc``."""
    obj = b.docs.get(doc)
    if not isinstance(obj, (dict, list)):
        return
    paths = _paths(obj, doc)
    if not paths:
        return
    cont, key, path = rng.choice(paths)
    old = cont[key]
    op = rng.choice(["type", "type", "delete", "duplicate", "rename", "number", "number", "string", "null",
                     "huge", "deep", "surrogate", "empty"])
    if op == "type":
        if key == "key_safe_code" and isinstance(old, str) and rng.random() < 0.7:
            new: Any = planter.number(path)  # a key-safe code typed as a number is still a secret
        else:
            new = rng.choice([7, 3.5, True, None, "x", [], {}, [old], {"value": old}, str(old)])
        cont[key] = new
        b.notes.append(f"{path}: {_short(old)} -> {_short(new)} (type)")
    elif op == "delete":
        del cont[key]
        b.notes.append(f"{path}: deleted")
    elif op == "duplicate":
        if isinstance(cont, list):
            cont.insert(key, copy.deepcopy(old))
        else:
            cont[_typo(str(key), rng)] = copy.deepcopy(old)
        b.notes.append(f"{path}: duplicated")
    elif op == "rename" and isinstance(cont, dict):
        new_key = _typo(str(key), rng)
        cont[new_key] = cont.pop(key)
        b.notes.append(f"{path}: renamed to {new_key!r}")
        if new_key != key and doc in ("scenario", "call", "events"):  # formats that forbid unknown fields
            b.expect_invalid()
    elif op == "number":
        new = rng.choice(EXTREME_NUMBERS)
        cont[key] = new
        b.notes.append(f"{path}: {_short(old)} -> {new!r} (extreme number)")
        if doc in ("scenario", "call") and isinstance(old, (int, float)) and not isinstance(old, bool) and (
                new in OUT_OF_RANGE or (isinstance(new, float) and math.isnan(new))):
            b.expect_invalid()  # every number of the scenario must fit the solver
    elif op == "string":
        new = rng.choice(ODD_STRINGS)
        cont[key] = new
        b.notes.append(f"{path}: {_short(old)} -> {_short(new)} (odd string)")
    elif op == "null":
        cont[key] = None
        b.notes.append(f"{path}: null")
    elif op == "huge":
        secret_field = str(key) in ("access_note", "key_safe_code", "care", "name")
        code = planter.new(f"{path} (huge string)") if secret_field and rng.random() < 0.7 else ""
        cont[key] = (f"safe {code} " if code else "") + "x" * HUGE
        b.notes.append(f"{path}: 5 MB string{' with a code' if code else ''}")
    elif op == "deep":
        cont[key] = f"@@DEEP{rng.choice('[{')}@@"
        b.notes.append(f"{path}: nested {DEEP} levels deep")
    elif op == "surrogate":
        cont[key] = (old if isinstance(old, str) else "ring twice") + " \ud83d"
        b.notes.append(f"{path}: lone surrogate escape \\ud83d appended")
    elif op == "empty":
        cont[key] = [] if isinstance(old, list) else {} if isinstance(old, dict) else ""
        b.notes.append(f"{path}: emptied")


def _scenario_of(b: Bundle) -> tuple[dict[str, Any] | None, str]:
    if isinstance(b.docs.get("state"), dict) and "scenario" in b.docs["state"] and "scenario" not in b.docs:
        return b.docs["state"]["scenario"], "state.scenario"
    sc = b.docs.get("scenario")
    return (sc, "scenario") if isinstance(sc, dict) else (None, "scenario")


def _some(lst: Any, rng: random.Random) -> Any:
    return rng.choice(lst) if isinstance(lst, list) and lst else None


def scenario_mutation(b: Bundle, rng: random.Random, planter: Planter) -> None:
    """A domain-aware change: odd dates, time zones, clock-change nights, windows in the DST gap,
    two-nurse visits with one nurse, unknown ids, overflowing costs, huge notes with a code..."""
    sc, name = _scenario_of(b)
    if sc is None:
        return
    op = rng.choice(["date", "timezone", "dst_night", "dst_gap", "dst_fold", "one_nurse_pair", "unknown_client",
                     "unknown_org", "window_time", "shift_time", "money", "huge_note", "surrogate_note", "coords",
                     "duplicate_id", "no_shifts", "travel", "window_order", "many_windows", "lateness"])
    visit = _some(sc.get("visits"), rng)
    shift = _some(sc.get("shifts"), rng)
    client = _some(sc.get("clients"), rng)
    if op == "date":
        sc["date"] = rng.choice(ODD_DATES)
        b.notes.append(f"{name}.date = {sc['date']!r}")
        if sc["date"] in ("9999-12-31", "2026-02-29", "2026-13-01", "", "yesterday"):
            b.expect_invalid()  # not a date, or a night that ends in the year 10000
    elif op == "timezone":
        sc["timezone"] = rng.choice(ODD_TIMEZONES)
        b.notes.append(f"{name}.timezone = {_short(sc['timezone'])}")
        if sc["timezone"] in ("A" * 300, "", "../../etc/passwd", "Europe/Amsterdam\x00", "Europe/Atlantis"):
            b.invalid("no such time zone")
    elif op in ("dst_night", "dst_gap", "dst_fold"):
        sc["date"] = (DST_SPRING if op != "dst_fold" else DST_AUTUMN).isoformat()
        sc["timezone"] = AMS
        b.overwritten(f"{name}.date = ")  # an odd date or time zone set before is gone
        b.overwritten(f"{name}.timezone = ")
        b.overwritten("no such time zone")
        b.notes.append(f"{name}.date = {sc['date']} (clock change)")
        if op != "dst_night" and isinstance(visit, dict):
            a = rng.choice(["02:00", "02:15", "02:30", "02:59"])
            visit["windows"] = [{"start": a, "end": rng.choice(["02:59", "03:30", a])}]
            b.notes.append(f"{name}.visits[{visit.get('id')}].windows = {visit['windows']} "
                           f"({'in the DST gap' if op == 'dst_gap' else 'in the repeated hour'})")
    elif op == "one_nurse_pair" and isinstance(sc.get("shifts"), list) and sc["shifts"] and isinstance(visit, dict):
        sc["shifts"] = sc["shifts"][:1]
        visit["nurses"] = 2
        b.notes.append(f"{name}: one shift, visit {visit.get('id')} needs two nurses")
    elif op == "unknown_client" and isinstance(visit, dict):
        visit["client"] = "cl-999999"
        b.invalid(f"{name}: visit {visit.get('id')} of unknown client cl-999999")
    elif op == "unknown_org" and isinstance(client, dict):
        client["organisation"] = "org-zzz"
        b.invalid(f"{name}: client {client.get('id')} of unknown organisation")
    elif op == "window_time" and isinstance(visit, dict) and visit.get("windows"):
        w = rng.choice(visit["windows"]) if isinstance(visit["windows"], list) else None
        if isinstance(w, dict):
            k = rng.choice(["start", "end"])
            w[k] = rng.choice(ODD_TIMES)
            b.notes.append(f"{name}.visits[{visit.get('id')}].windows.{k} = {w[k]!r}")
    elif op == "shift_time" and isinstance(shift, dict):
        k = rng.choice(["start_time", "end_time"])
        shift[k] = rng.choice(ODD_TIMES)
        b.notes.append(f"{name}.shifts[{shift.get('id')}].{k} = {shift[k]!r}")
    elif op == "money":
        target, key = rng.choice([(shift, "cost_per_shift_eur"), (shift, "cost_per_km_eur"),
                                  (visit, "lateness_cost_per_min_eur"), (sc, "lateness_cost_per_min_eur"),
                                  (visit, "penalty_eur")])
        if isinstance(target, dict):
            v = rng.choice([9.3e12, 9.3e12 * 1.01, 1e20, math.inf, 1e15, 2**63])
            target[key] = v
            if key == "penalty_eur":
                target["optional"] = True
            b.invalid(f"{name}: {key} = {v!r} (beyond what the solver holds)")
    elif op == "huge_note" and isinstance(client, dict):
        code = client.get("key_safe_code") if isinstance(client.get("key_safe_code"), str) else planter.new("note")
        client["access_note"] = f"key safe {code} " + "x" * HUGE
        planter.also(code, f"{name}.clients[{client.get('id')}].access_note (5 MB)")
        b.invalid(f"{name}: 5 MB access_note with the client's code")
    elif op == "surrogate_note" and isinstance(client, dict):
        client["access_note"] = "ring twice \ud83d"
        b.invalid(f"{name}: access_note with a lone surrogate escape")
    elif op == "coords" and isinstance(client, dict) and isinstance(client.get("location"), dict):
        k = rng.choice(["lat", "lon"])
        client["location"][k] = rng.choice([91, -181, math.nan, math.inf, 1e20, 0, -90, 180])
        b.notes.append(f"{name}.clients[{client.get('id')}].location.{k} = {client['location'][k]!r}")
    elif op == "duplicate_id":
        key = rng.choice(["visits", "clients", "shifts", "organisations"])
        if isinstance(sc.get(key), list) and sc[key]:
            sc[key].append(copy.deepcopy(sc[key][0]))
            b.invalid(f"{name}.{key}: first entry duplicated (duplicate id)")
    elif op == "no_shifts":
        sc["shifts"] = []
        b.invalid(f"{name}.shifts = []")
    elif op == "travel":
        t = rng.choice([{"provider": "osrm", "url": "http://127.0.0.1:9", "timeout_s": 1, "retries": 0},
                        {"provider": "road_graph", "graph": "no-such.osm"},
                        {"provider": "road_graph", "graph": "tiny.osm", "cache_dir": "cache"},
                        {"provider": "road_graph", "graph": "garbage.osm", "cache_dir": "cache"},
                        {"provider": "straight_line", "cache_dir": "cache"},
                        {"provider": "teleport"},
                        {"provider": "straight_line", "speed_kmh": 0.5}])
        sc["travel"] = t
        b.notes.append(f"{name}.travel = {t}")
        if t.get("graph") == "tiny.osm":
            b.extra_files["in/tiny.osm"] = tiny_osm().encode()
        elif t.get("graph") == "garbage.osm":
            b.extra_files["in/garbage.osm"] = b"<osm><node id='1' lat='x'/></osm"
        if t["provider"] == "teleport" or t.get("speed_kmh") == 0.5:
            b.expect_invalid()
        elif b.command != "validate" and (t["provider"] == "osrm" or t.get("graph") in ("no-such.osm", "garbage.osm")):
            b.expect_invalid()  # validate reads the file only; the others need travel times
    elif op == "window_order" and isinstance(visit, dict):
        visit["windows"] = [{"start": "04:00", "end": "05:00"}, {"start": "01:00", "end": "02:00"}]
        b.invalid(f"{name}: visit {visit.get('id')} windows out of order")
    elif op == "many_windows" and isinstance(visit, dict):
        visit["windows"] = [{"start": hhmm(60 + 2 * i), "end": hhmm(61 + 2 * i)} for i in range(200)]
        b.notes.append(f"{name}: visit {visit.get('id')} with 200 one-minute windows")
    elif op == "lateness" and isinstance(visit, dict):
        visit["max_lateness_min"] = rng.choice([240, 241, 1440, 1441, -1, math.nan, 1e9])
        b.notes.append(f"{name}: visit {visit.get('id')} max_lateness_min = {visit['max_lateness_min']!r}")
        if visit["max_lateness_min"] not in (240, 241, 1440):  # a cap of up to a whole day is allowed
            b.expect_invalid()


def plan_mutation(b: Bundle, rng: random.Random) -> None:
    """Edit a plan: unknown ids, stops moved, times without offsets, routes emptied, etc."""
    plan = b.docs.get("plan")
    if not isinstance(plan, dict) or not isinstance(plan.get("routes"), list):
        return
    routes = [r for r in plan["routes"] if isinstance(r, dict) and isinstance(r.get("stops"), list)]
    op = rng.choice(["unknown_visit", "unknown_shift", "naive_time", "move_stop", "empty_routes", "swap_times",
                     "duplicate_stop", "other_date", "year_9999"])
    r = _some(routes, rng)
    stop = _some([s for s in r["stops"] if isinstance(s, dict) and s.get("kind") == "visit"], rng) if r else None
    if op == "unknown_visit" and stop:
        stop["visit_id"] = "v-999999"
        b.notes.append("plan: a stop for unknown visit v-999999")
    elif op == "unknown_shift" and r:
        r["shift_id"] = "nurse-999"
        b.notes.append("plan: a route for unknown shift nurse-999")
    elif op == "naive_time" and stop:
        stop["start"] = str(stop["start"])[:19]
        b.notes.append(f"plan: stop {stop.get('visit_id')} start without UTC offset")
    elif op == "move_stop" and stop:
        stop["lat"] = float(stop.get("lat", 0)) + 1.0
        b.notes.append(f"plan: stop {stop.get('visit_id')} moved 111 km north")
    elif op == "empty_routes":
        unassigned = [{"visit_id": s.get("visit_id"), "client_id": s.get("client_id"),
                       "organisation": s.get("organisation") or "org-a", "mandatory": True,
                       "reason": "no_qualified_nurse", "detail": "none"}
                      for rr in routes for s in rr["stops"] if isinstance(s, dict) and s.get("kind") == "visit"]
        plan["routes"] = []
        plan["unassigned"] = (plan.get("unassigned") or []) + unassigned
        b.notes.append("plan: every route emptied, visits listed as unassigned (no_qualified_nurse)")
    elif op == "swap_times" and stop:
        stop["start"], stop["end"] = stop.get("end"), stop.get("start")
        b.notes.append(f"plan: stop {stop.get('visit_id')} start/end swapped")
    elif op == "duplicate_stop" and r and stop:
        r["stops"].insert(1, copy.deepcopy(stop))
        b.notes.append(f"plan: stop {stop.get('visit_id')} twice")
    elif op == "other_date":
        plan["date"] = "2026-01-01"
        b.notes.append("plan: date of another night")
    elif op == "year_9999" and stop:
        stop["start"] = "9999-12-31T23:59:59+14:00"
        b.notes.append("plan: stop start 9999-12-31T23:59:59+14:00")


def acute_mutation(b: Bundle, rng: random.Random) -> None:
    """Edit the call or the events: unknown client or ref, out-of-night times, a second nurse..."""
    call = b.docs.get("call")
    op = rng.choice(["call_client", "call_received", "call_nurses", "call_norm", "events_obj", "events_unknown",
                     "events_order", "events_time", "call_qualification"])
    if op.startswith("call") and not isinstance(call, dict):
        return
    if op == "call_client":
        call["client"] = "cl-999999"
        b.invalid("call: unknown client cl-999999")
    elif op == "call_received":
        call["received"] = rng.choice(ODD_TIMES + ["12:00", "21:59", "02:30"])
        b.notes.append(f"call.received = {call['received']!r}")
    elif op == "call_nurses":
        call["nurses"] = rng.choice([2, 3, 0])
        b.notes.append(f"call.nurses = {call['nurses']}")
    elif op == "call_norm":
        call["norm_min"] = rng.choice([0, -5, 1e-9, 1440, 1441, math.inf, math.nan])
        b.notes.append(f"call.norm_min = {call['norm_min']!r}")
    elif op == "call_qualification":
        call["qualification"] = rng.choice([0, 6, 5])
        b.notes.append(f"call.qualification = {call['qualification']}")
    elif op == "events_obj":
        b.docs["events"] = rng.choice([{}, [], None, "started", [{}], [[]], {"kind": "done"}])
        if "--events" not in b.options:
            b.options += ["--events", "in/events.json"]
        b.notes.append(f"--events holding {_short(b.docs['events'])}")
        if b.docs["events"] not in ([],):
            b.invalid("events file that is not a list of events")
    else:
        evs = b.docs.get("events")
        if not isinstance(evs, list) or not evs or not all(isinstance(e, dict) for e in evs):
            return
        e = rng.choice(evs)
        if op == "events_unknown":
            k = rng.choice(["ref", "shift"])
            e[k] = "zz-999"
            b.invalid(f"events: {k} of unknown id")
        elif op == "events_order":
            evs.reverse()
            b.notes.append("events: reversed order")
        elif op == "events_time":
            e["at"] = rng.choice(ODD_TIMES)
            b.notes.append(f"events: at = {e['at']!r}")


def game_mutation(b: Bundle, rng: random.Random) -> None:
    """Edit a game: missing or extra coalitions, NaN values, 25 players, odd kinds and names."""
    g = b.docs.get("game")
    if not isinstance(g, dict):
        return
    op = rng.choice(["drop_coalition", "extra_coalition", "value_nan", "value_str", "players_25", "kind",
                     "player_comma", "dup_player", "attributes", "negative_attr", "empty_name_key", "many_players"])
    values = g.get("values") if isinstance(g.get("values"), dict) else None
    players = g.get("players") if isinstance(g.get("players"), list) else None
    if op == "drop_coalition" and values:
        k = rng.choice(list(values))
        del values[k]
        b.notes.append(f"game: coalition {k!r} missing")
    elif op == "extra_coalition" and values is not None:
        values["nobody,else"] = 1.0
        b.invalid("game: coalition of unknown players")
    elif op in ("value_nan", "value_str") and values:
        k = rng.choice(list(values))
        values[k] = rng.choice([math.nan, math.inf, -math.inf]) if op == "value_nan" else rng.choice(["1", None, [1]])
        b.invalid(f"game: value of {k!r} = {values[k]!r}")
    elif op == "players_25":
        g["players"] = [f"p{i}" for i in range(25)]
        b.invalid("game: 25 players")
    elif op == "kind":
        g["kind"] = rng.choice(["Cost", "profit", None, 1])
        b.invalid(f"game: kind = {g['kind']!r}")
    elif op == "player_comma" and players:
        players[0] = "a,b"
        b.invalid("game: player name with a comma")
    elif op == "dup_player" and players:
        players.append(players[0])
        b.invalid("game: duplicate player")
    elif op in ("attributes", "negative_attr") and players:
        g["attributes"] = {"visits": {str(p): (-1 if op == "negative_attr" else math.nan) for p in players}}
        b.invalid(f"game: attributes with {'negative' if op == 'negative_attr' else 'NaN'} values")
    elif op == "empty_name_key" and values is not None:
        values[""] = 0.0
        b.notes.append("game: value for the empty key ''")
    elif op == "many_players":  # replaces the whole game: earlier changes to it no longer count
        b.expect_exit, b.reasons = None, []
        n = rng.choice([10, 12])
        g["players"] = [f"p{i}" for i in range(n)]
        g["values"] = {",".join(f"p{i}" for i in range(n) if m >> i & 1): float(bin(m).count("1") ** 0.8)
                       for m in range(1, 1 << n)}
        g["kind"] = "cost"
        b.notes.append(f"game: {n} players, all {2 ** n - 1} coalitions")


def _set_option(opts: list[str], name: str, value: str | None) -> None:
    if name in opts:
        i = opts.index(name)
        if value is None:
            del opts[i:i + 2]
        else:
            opts[i + 1] = value
    elif value is not None:
        opts += [name, value]


BAD_PLACES = ["afile", "afile/sub", "/proc/nachtzorg-fuzz/out", "adir", ""]


def cli_mutation(b: Bundle, rng: random.Random) -> None:
    """A bad or odd command-line option for the command (limits, output places, files)."""
    c = b.command
    opts = b.options
    choice = rng.random()

    def bad_place(option: str, *, as_dir: bool) -> None:
        place = rng.choice(BAD_PLACES)
        if place in ("afile", "afile/sub"):
            b.extra_files["afile"] = b"not a directory\n"
        if place == "adir":
            b.extra_dirs.append("adir")
            if as_dir:  # an existing directory is a fine output directory
                b.notes.append(f"{option} an existing directory")
                _set_option(opts, option, place)
                return
        _set_option(opts, option, place)
        if place == "afile" and not as_dir:  # an existing file is a fine file to replace
            b.notes.append(f"{option} an existing file")
            return
        b.invalid(f"{option} {place!r} (not a writable {'directory' if as_dir else 'file'} place)")

    if c == "plan":
        if choice < 0.4:
            bad_place("--out", as_dir=True)
        elif choice < 0.6:
            v = rng.choice(["-1", "0", "nan", "inf", "1e-9", "-inf"])
            b.overwritten("--time-limit ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--time-limit", v)
            b.notes.append(f"--time-limit {v}")
            if v in ("-1", "nan", "-inf"):
                b.expect_invalid()
        elif choice < 0.7:
            v = rng.choice(["0", "-1", "1"])
            b.overwritten("--solution-limit ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--solution-limit", v)
            b.notes.append(f"--solution-limit {v}")
            if v in ("0", "-1"):
                b.expect_invalid()
        elif choice < 0.8:
            v = rng.choice(["0", "-1", "2"])
            b.overwritten("--workers ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--workers", v)
            b.notes.append(f"--workers {v}")
            if v != "2":
                b.expect_invalid()
        elif choice < 0.9:
            v = rng.choice(["-1", str(2**70), "x"])
            b.overwritten("--seed ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--seed", v)
            b.notes.append(f"--seed {v}")
        else:  # a cache that cannot be written is warned about, not an error
            b.extra_files["afile"] = b"x"
            _set_option(opts, "--travel-cache", "afile")
            b.notes.append("--travel-cache a file")
    elif c == "check":
        if choice < 0.4:
            b.positional[1] = rng.choice(["missing.json", "in", "in/scenario.json"])
            b.invalid(f"check: plan argument {b.positional[1]!r}")
        elif choice < 0.7:
            b.extra_files["afile"] = b"x"
            _set_option(opts, "--travel-cache", "afile")
            b.notes.append("--travel-cache a file")
        else:
            b.positional[0] = "missing.json"
            b.invalid("check: scenario file missing")
    elif c == "dispatch":
        if choice < 0.3:
            v = rng.choice(["-1", "0", "nan", "inf", "-inf", "1e-9"])
            b.overwritten("--reopt-time ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--reopt-time", v)
            if rng.random() < 0.5:
                _set_option(opts, "--policy", "reoptimise")
            b.notes.append(f"--reopt-time {v}" + (" --policy reoptimise" if "reoptimise" in opts else ""))
            if v in ("-1", "nan", "inf", "-inf", "0"):
                b.expect_invalid()
        elif choice < 0.55:
            bad_place("--state-out", as_dir=False)
        elif choice < 0.75:
            v = rng.choice(["25:00", "", "nan", "12:00", "21:00", "09:00", "02:30", "0001-01-01T02:00:00+14:00",
                            "2026-11-23T02:00:00", "22:59", "07:14"])
            b.overwritten("--now ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--now", v)
            b.notes.append(f"--now {v!r}")
        elif choice < 0.85:
            v = rng.choice(["{}", "[]", "garbage"])
            b.extra_files[f"ev-{v}.json"] = v.encode() if v != "garbage" else b"\x00\xff"
            _set_option(opts, "--events", f"ev-{v}.json")
            b.notes.append(f"--events file holding {v!r}")
            if v != "[]":
                b.expect_invalid()
        elif choice < 0.95:
            _set_option(opts, "--state", rng.choice(["in/plan.json", "in/scenario.json", "missing.json"]))
            b.invalid(f"--state {opts[opts.index('--state') + 1]} (not a night state)")
        else:
            _set_option(opts, "--policy", "fastest")
            b.invalid("--policy fastest")
    elif c == "simulate":
        if choice < 0.3:
            v = rng.choice(["0", "-1"])
            b.overwritten("--nights ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--nights", v)
            b.notes.append(f"--nights {v}")
            b.expect_invalid()
        elif choice < 0.6:
            v = rng.choice(["0", "a", "", "2,,3", "-1", "1"])
            b.overwritten("--nurses ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--nurses", v)
            b.notes.append(f"--nurses {v!r}")
            if v not in ("2,,3", "1"):
                b.expect_invalid()
        elif choice < 0.8:
            v = rng.choice(["-1", "nan", "inf", "0"])
            b.overwritten("--calls-per-night ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--calls-per-night", v)
            b.notes.append(f"--calls-per-night {v}")
            if v != "0":
                b.expect_invalid()
        elif choice < 0.9:
            v = rng.choice(["-1", "0"])
            b.overwritten("--reopt-nights ")  # a later value replaces an earlier one (argparse: the last wins)
            _set_option(opts, "--reopt-nights", v)
            b.notes.append(f"--reopt-nights {v}")
        else:
            _set_option(opts, "--workers", "0")
            b.invalid("--workers 0")
    elif c == "share":
        if choice < 0.4:
            bad_place("--out", as_dir=False)
        elif choice < 0.7:
            v = rng.choice(["bogus", "shapley,,", "", ",", "SHAPLEY", "epm"])
            alone = "--method" not in opts
            opts += ["--method", v]
            b.notes.append(f"--method {v!r}")
            if v in ("bogus", "SHAPLEY") or (alone and v in ("", ",")):
                b.expect_invalid()
        elif choice < 0.85:
            b.positional = ["in/game.json"]
            b.invalid("share: a scenario and --game both given")
        else:
            _set_option(opts, "--game", rng.choice(["missing.json", "in", "afile"]))
            b.extra_files["afile"] = b"x"
            b.invalid("share --game: not a game file")
    elif c == "validate":
        b.positional[0] = rng.choice(["missing.json", "in", "afile"])
        b.extra_files["afile"] = b"\xff\xfe garbage"
        b.invalid(f"validate {b.positional[0]}")


def text_mutation(b: Bundle, rng: random.Random) -> None:
    """A change to the file's bytes: cut short, BOM, invalid UTF-8, empty, NaN token, duplicate key."""
    docs = [d for d in b.docs if b.docs[d] is not None and d in _read_docs(b)]
    if not docs:
        return
    doc = rng.choice(docs)
    op = rng.choice(["truncate", "bom", "bad_utf8", "empty", "duplicate_key", "trailing", "null", "top_list"])
    b.text_ops.setdefault(doc, []).append((op, rng.random()))
    b.notes.append(f"{doc}.json: {op}")
    if op not in ("bom", "duplicate_key"):
        b.invalid(f"{doc}.json not a JSON document of the right shape")


def _read_docs(b: Bundle) -> set[str]:
    """Which documents the command reads."""
    return {"validate": {"scenario"}, "plan": {"scenario"}, "simulate": {"scenario"},
            "check": {"scenario", "plan"}, "share": {"game"},
            "dispatch": {"scenario", "plan", "call", "events", "state"}}[b.command]


# ---------------------------------------------------------------------------------------------
# rendering


def tiny_osm() -> str:
    """A 7 x 7 grid of residential streets (about 1.1 km blocks) around Assen as OSM XML."""
    nodes, ways = [], []
    n = 7
    for i in range(n):
        for j in range(n):
            lat, lon = BASE[0] + (i - 3) * 0.01, BASE[1] + (j - 3) * 0.015
            nodes.append(f'<node id="{1 + i * n + j}" lat="{lat:.5f}" lon="{lon:.5f}" version="1"/>')
    wid = 100
    for i in range(n):
        for refs in ([1 + i * n + j for j in range(n)], [1 + j * n + i for j in range(n)]):
            nd = "".join(f'<nd ref="{r}"/>' for r in refs)
            ways.append(f'<way id="{wid}" version="1">{nd}<tag k="highway" v="residential"/></way>')
            wid += 1
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="nachtzorg-fuzz">\n'
            + "\n".join(nodes + ways) + "\n</osm>\n")


def render(obj: Any, ops: list[tuple[str, float]]) -> bytes:
    """JSON text of ``obj`` (non-ASCII escaped, so a lone surrogate becomes ``\\ud83d``) with the
    deep-nesting placeholders expanded and the text-level operations applied."""
    text = json.dumps(obj, ensure_ascii=True)
    text = text.replace('"@@DEEP[@@"', "[" * DEEP + "1" + "]" * DEEP)
    text = text.replace('"@@DEEP{@@"', '{"a": ' * DEEP + "1" + "}" * DEEP)
    data = text.encode("utf-8")
    for op, u in ops:
        if op == "truncate":
            data = data[: int(len(data) * u)]
        elif op == "bom":
            data = b"\xef\xbb\xbf" + data
        elif op == "bad_utf8":
            k = int(len(data) * u)
            data = data[:k] + b"\xff\xfe\xc3" + data[k:]
        elif op == "empty":
            data = b""
        elif op == "duplicate_key" and data.startswith(b"{") and isinstance(obj, dict) and obj:
            key = sorted(obj)[int(u * len(obj)) % len(obj)]
            data = data[:-1] + b", " + json.dumps(key).encode() + b": null}"
        elif op == "trailing":
            data = data + b"\n}}garbage"
        elif op == "null":
            data = b"null"
        elif op == "top_list":
            data = b"[" + data + b"]"
    return data


# ---------------------------------------------------------------------------------------------
# cases


@dataclass
class Case:
    """One call of the command line in its own directory; paths in ``argv`` are relative to it."""

    id: str
    command: str
    argv: list[str]
    files: dict[str, bytes]
    dirs: list[str]
    codes: dict[str, list[str]]  # planted code -> where it was planted
    desc: str
    subprocess: bool = False
    expect_exit: int | None = None
    expect_reason: str = ""
    source: str = ""


def _base_options(command: str, rng: random.Random) -> list[str]:
    if command == "plan":
        opts = ["--out", "out", "--solution-limit", str(SOLUTION_LIMIT)]
        if rng.random() < 0.2:
            opts += ["--seed", str(rng.randrange(100))]
        if rng.random() < 0.1:
            opts += ["--travel-cache", "tcache"]
        if rng.random() < 0.05:
            opts += ["--time-limit", "0.5"]
        return opts
    if command == "check":
        return ["--json"] if rng.random() < 0.5 else []
    if command == "dispatch":
        opts = ["--now", rng.choice(["02:15", "01:00", "03:40", "23:30"])]
        if rng.random() < 0.3:
            opts += ["--policy", rng.choice(["nearest", "least_disruption", "reoptimise"]), "--reopt-time", "0.5"]
        if rng.random() < 0.5:
            opts += ["--state-out", "out/state.json"]
        if rng.random() < 0.5:
            opts.append("--json")
        return opts
    if command == "simulate":
        opts = ["--nights", str(rng.choice([1, 2])), "--nurses", rng.choice(["1", "2", "2,3", "3"]),
                "--seed", str(rng.randrange(50))]
        if rng.random() < 0.15:
            opts += ["--policy", "reoptimise", "--reopt-nights", "1"]
        if rng.random() < 0.5:
            opts.append("--json")
        return opts
    if command == "share":
        opts = []
        if rng.random() < 0.5:
            opts.append("--json")
        if rng.random() < 0.4:
            opts += ["--out", "out/report.html"]
        if rng.random() < 0.3:
            opts += ["--method", rng.choice(["shapley", "nucleolus,epm", "proportional_visits", "least_core"])]
        return opts
    return []


def _bundle_from_seed(command: str, s: Seed, pools: Pools, rng: random.Random) -> Bundle:
    docs: dict[str, Any] = {}
    positional: list[str] = []
    options = _base_options(command, rng)
    if command == "share":
        name, game = rng.choice(pools.games)
        docs["game"] = copy.deepcopy(game)
        options += ["--game", "in/game.json"]
        return Bundle(command, docs, options, positional, notes=[f"seed game {name}"])
    docs["scenario"] = copy.deepcopy(s.scenario)
    positional.append("in/scenario.json")
    if command in ("check", "dispatch"):
        docs["plan"] = copy.deepcopy(s.plan)
        positional.append("in/plan.json")
    if command == "dispatch":
        docs["call"] = copy.deepcopy(s.call)
        positional.append("in/call.json")
        if s.events and rng.random() < 0.35:
            docs["events"] = copy.deepcopy(s.events)
            options += ["--events", "in/events.json"]
            options[1] = rng.choice(["03:50", "04:30", "05:00"])  # after the events
        if s.state and rng.random() < 0.25:
            docs["state"] = copy.deepcopy(s.state)
            options += ["--state", "in/state.json"]
            options[1] = "02:30"
    return Bundle(command, docs, options, positional, notes=[f"seed {s.name}"])


def _bundle_from_hypothesis(hb: dict[str, Any], rng: random.Random) -> Bundle:
    command = hb["command"]
    docs: dict[str, Any] = {}
    positional: list[str] = []
    options = _base_options(command, rng)
    if command == "share":
        docs["game"] = copy.deepcopy(hb["game"])
        options += ["--game", "in/game.json"]
    else:
        docs["scenario"] = copy.deepcopy(hb["scenario"])
        positional.append("in/scenario.json")
    if command in ("check", "dispatch"):
        docs["plan"] = copy.deepcopy(hb["plan"])
        positional.append("in/plan.json")
    if command == "dispatch":
        docs["call"] = copy.deepcopy(hb["call"])
        positional.append("in/call.json")
        options[1] = hb["now"]
        if hb["events"] is not None:
            docs["events"] = copy.deepcopy(hb["events"])
            options += ["--events", "in/events.json"]
    return Bundle(command, docs, options, positional, notes=["hypothesis draw"])


def make_case(index: int, campaign_seed: int, pools: Pools, *, subprocess_share: float = 0.1) -> Case:
    """Case ``index`` of the campaign ``campaign_seed``: the same arguments give the same case."""
    rng = random.Random(f"nachtzorg-fuzz/{campaign_seed}/{index}")
    planter = Planter(rng)
    use_hyp = pools.hypothesis and rng.random() < 0.35
    if use_hyp:
        hb = pools.hypothesis[index % len(pools.hypothesis)]
        b = _bundle_from_hypothesis(hb, rng)
        source = "hypothesis"
    else:
        command = rng.choices(COMMANDS, COMMAND_WEIGHTS)[0]
        s = rng.choice(pools.seeds)
        if command in ("check", "dispatch") and s.plan is None:
            command = "plan"
        b = _bundle_from_seed(command, s, pools, rng)
        source = "seed" if command != "share" else "game"
    for name in ("scenario",):
        if isinstance(b.docs.get(name), dict):
            plant_scenario(b.docs[name], planter, rng)
    if isinstance(b.docs.get("state"), dict) and isinstance(b.docs["state"].get("scenario"), dict):
        plant_scenario(b.docs["state"]["scenario"], planter, rng, prefix="state.scenario.")
    n_mut = rng.choices([0, 1, 2, 3], [0.15, 0.6, 0.15, 0.1])[0] if not use_hyp else rng.choices([0, 1], [0.6, 0.4])[0]
    for _ in range(n_mut):
        kind = rng.random()
        docs = sorted(d for d in b.docs if d in _read_docs(b))
        if kind < 0.3 and docs:
            generic_mutation(b, rng.choice(docs), rng, planter)
        elif kind < 0.55 and b.command in ("validate", "plan", "check", "dispatch", "simulate"):
            scenario_mutation(b, rng, planter)
        elif kind < 0.65 and b.command in ("check", "dispatch"):
            plan_mutation(b, rng)
        elif kind < 0.75 and b.command == "dispatch":
            acute_mutation(b, rng)
        elif kind < 0.75 and b.command == "share":
            game_mutation(b, rng)
        elif kind < 0.92:
            cli_mutation(b, rng)
        else:
            text_mutation(b, rng)
    files = {f"in/{name}.json": render(doc, b.text_ops.get(name, [])) for name, doc in b.docs.items()}
    files.update(b.extra_files)
    argv = [b.command] + b.positional + b.options
    codes = {c: w for c, w in planter.codes.items() if any(c.encode() in data for data in files.values())}
    huge = any(len(v) > 1_000_000 for v in files.values())
    sub = rng.random() < subprocess_share and not huge
    return Case(id=f"{campaign_seed}-{index:06d}", command=b.command, argv=argv, files=files, dirs=b.extra_dirs,
                codes=codes, desc="; ".join(b.notes), subprocess=sub, expect_exit=b.expect_exit,
                expect_reason="; ".join(b.reasons), source=source)
