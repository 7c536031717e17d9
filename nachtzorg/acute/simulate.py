"""Night simulator: many nights of acute calls against a plan, to size the team.

For each team size ``k`` a scenario with ``k`` shifts is derived (:func:`scenario_with_nurses`)
and planned once, deterministically. Each simulated night draws acute calls from an hourly
arrival profile (Poisson per hour, uniform inside the hour), at the locations of the region's
clients, with a configurable urgency mix, durations, two-nurse share and a share of calls that
need no visit. Calls are drawn from ``(seed, night)`` only, so every team size and policy sees
the **same calls**. The night then runs call by call: the nurses advance along their re-timed
routes to the call's second, the policy decides (:func:`~nachtzorg.acute.dispatch.decide_live`:
the quick integer insertion), and a call no nurse can answer within its norm goes to the
back-up team, whose response counts as ``backup_response_min``.

The ``reoptimise`` policy runs an OR-Tools re-optimisation per call, stopped by a solution
limit (``reopt_solutions``, deterministic) or by the dispatcher's time cap (``reopt_time_s``,
default 1 s, as ``dispatch --reopt-time``), whichever comes first: on an over-full night a
solution limit alone can take many seconds per call. A call where the cap binds can vary between
runs. The policy runs only on the first ``reopt_nights`` nights (its rows say how many nights
they cover); the quick policies run on all nights.

Work fans out over any :class:`concurrent.futures.Executor` in chunks of nights; results are
put back in input order, so the KPIs are identical for identical arguments.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import InputError
from ..model import LatLon, Scenario
from ..parallel import map_with_progress
from ..plan import Plan
from ..planner import plan_night
from ..solve import SolveParams
from ..travel import TravelProvider, provider_for
from .calls import RESPONSE_NORM_MIN, AcuteCall
from .dispatch import POLICIES, decide
from .live import LiveNight

#: Default calls per hour by hour of the night (busier before 03:00): about 6 a night.
DEFAULT_HOURLY_RATE: tuple[tuple[int, float], ...] = (
    (22, 0.6), (23, 1.1), (0, 1.0), (1, 0.9), (2, 0.8), (3, 0.4), (4, 0.35), (5, 0.4), (6, 0.45))
DEFAULT_URGENCY_MIX: tuple[tuple[str, float], ...] = (
    ("personal_alarm", 0.55), ("fall", 0.2), ("gp_request", 0.15), ("palliative", 0.07), ("immediate", 0.03))
#: Time on site per urgency class, minutes (low, high), uniform.
DEFAULT_DURATION_MIN: tuple[tuple[str, float, float], ...] = (
    ("personal_alarm", 10, 30), ("fall", 20, 45), ("gp_request", 15, 40), ("palliative", 30, 60),
    ("immediate", 20, 45))
#: Qualification an urgency class needs.
DEFAULT_LEVEL: tuple[tuple[str, int], ...] = (
    ("personal_alarm", 3), ("fall", 3), ("gp_request", 4), ("palliative", 4), ("immediate", 4))


@dataclass(frozen=True)
class CallProfile:
    """How acute calls arrive (rates per hour of the night) and what they need."""

    hourly_rate: tuple[tuple[int, float], ...] = DEFAULT_HOURLY_RATE
    urgency_mix: tuple[tuple[str, float], ...] = DEFAULT_URGENCY_MIX
    duration_min: tuple[tuple[str, float, float], ...] = DEFAULT_DURATION_MIN
    level: tuple[tuple[str, int], ...] = DEFAULT_LEVEL
    two_nurse_share: float = 0.1  # of falls (lifting someone off the floor)
    no_visit_share: float = 0.25  # answered by phone or camera, no visit

    def scaled(self, calls_per_night: float) -> CallProfile:
        """The same profile with rates scaled to ``calls_per_night`` in all."""
        total = sum(r for _, r in self.hourly_rate)
        return dataclasses.replace(self, hourly_rate=tuple((h, r * calls_per_night / total)
                                                           for h, r in self.hourly_rate))


@dataclass(frozen=True)
class DrawnCall:
    """A simulated call (seconds)."""

    ref: str
    received_s: int
    lat: float
    lon: float
    urgency: str
    service_s: int
    level: int
    nurses: int
    needs_visit: bool
    norm_s: int


@dataclass(frozen=True)
class SimulationConfig:
    nights: int = 100
    team_sizes: tuple[int, ...] = (2, 3, 4)
    policies: tuple[str, ...] = ("nearest", "least_disruption")
    seed: int = 0
    profile: CallProfile = field(default_factory=CallProfile)
    backup_response_min: float = 45.0
    reopt_nights: int = 20
    reopt_solutions: int = 15
    #: Time cap per re-optimisation, seconds (the dispatcher's budget).
    reopt_time_s: float = 1.0
    plan_solutions: int = 60
    chunk_nights: int = 25

    def __post_init__(self) -> None:
        if self.reopt_nights < 1 or self.reopt_solutions < 1 or self.plan_solutions < 1 or self.chunk_nights < 1:
            raise InputError("reopt_nights, reopt_solutions, plan_solutions and chunk_nights must be >= 1")
        if not 0 < self.reopt_time_s <= 7 * 24 * 3600:
            raise InputError(f"reopt_time_s must be above 0 and under a week (seconds), got {self.reopt_time_s!r}")
        if self.nights < 1:
            raise InputError(f"nights must be >= 1, got {self.nights}")
        if not self.team_sizes or min(self.team_sizes) < 1:
            raise InputError(f"team sizes must be >= 1, got {self.team_sizes}")
        bad = [p for p in self.policies if p not in POLICIES]
        if bad or not self.policies:
            raise InputError(f"unknown policy {bad[0] if bad else ''!r}; choose from {', '.join(POLICIES)}")
        p = self.profile
        if any(r < 0 for _, r in p.hourly_rate) or any(not 0 <= h <= 23 for h, _ in p.hourly_rate):
            raise InputError("hourly rates need hours 0-23 and rates >= 0")
        if not 0 <= p.no_visit_share <= 1 or not 0 <= p.two_nurse_share <= 1:
            raise InputError("shares must lie between 0 and 1")
        unknown = [u for u, _ in p.urgency_mix if u not in RESPONSE_NORM_MIN]
        if unknown:
            raise InputError(f"unknown urgency class {unknown[0]!r}; choose from {', '.join(RESPONSE_NORM_MIN)}")


def scenario_with_nurses(scenario: Scenario, k: int) -> Scenario:
    """The scenario with ``k`` shifts: the first ``k`` of its shifts, or, for more, its shifts
    repeated in order with ids ``<id>-2``, ``<id>-3``, ... for the copies."""
    if k < 1:
        raise InputError(f"a team needs at least one nurse, got {k}")
    base = scenario.shifts
    shifts = []
    for i in range(k):
        sh = base[i % len(base)]
        rep = i // len(base)
        shifts.append(sh if rep == 0 else sh.model_copy(update={"id": f"{sh.id}-{rep + 1}"}))
    visits = scenario.visits if k >= 2 else [v.model_copy(update={"nurses": 1}) for v in scenario.visits]
    return Scenario.model_validate({**scenario.model_dump(), "shifts": [s.model_dump() for s in shifts],
                                    "visits": [v.model_dump() for v in visits]})


def _night_span(scenario: Scenario) -> tuple[int, int]:
    clock = scenario.clock
    return (min(clock.to_seconds(s.start_time) for s in scenario.shifts),
            max(clock.to_seconds(s.end_time) for s in scenario.shifts))


def draw_calls(scenario: Scenario, profile: CallProfile, seed: int, night: int) -> list[DrawnCall]:
    """The acute calls of simulated night ``night`` (depends on ``seed`` and ``night`` only)."""
    rng = np.random.default_rng([seed, night])
    a, b = _night_span(scenario)
    rates = dict(profile.hourly_rate)
    names = [u for u, _ in profile.urgency_mix]
    mix = np.array([w for _, w in profile.urgency_mix], dtype=float)
    mix = mix / mix.sum()
    dur = {u: (lo, hi) for u, lo, hi in profile.duration_min}
    lvl = dict(profile.level)
    clients = scenario.clients
    out = []
    # hours of the night, from the first shift start to the last shift end
    clock = scenario.clock
    t = a - (clock.to_datetime(a).minute * 60 + clock.to_datetime(a).second)
    while t < b:
        hour = clock.to_datetime(t).hour
        n = int(rng.poisson(rates.get(hour, 0.0)))
        times = np.sort(rng.integers(0, 3600, size=n)) + t
        for s in times:
            s = int(s)
            u = names[int(rng.choice(len(names), p=mix))]
            c = clients[int(rng.integers(len(clients)))]
            lo, hi = dur.get(u, (15, 30))
            minutes = float(rng.uniform(lo, hi))
            two = u == "fall" and rng.random() < profile.two_nurse_share
            visit = rng.random() >= profile.no_visit_share
            if a <= s < b:
                out.append(DrawnCall(f"acute-{len(out) + 1:03d}", s, c.location.lat, c.location.lon, u,
                                     int(round(minutes * 60)), lvl.get(u, 3), 2 if two else 1, visit,
                                     int(round(RESPONSE_NORM_MIN[u] * 60))))
        t += 3600
    return out


def _as_call(c: DrawnCall) -> AcuteCall:
    return AcuteCall(id=c.ref, location=LatLon(lat=c.lat, lon=c.lon), urgency=c.urgency, norm_min=c.norm_s / 60,
                     duration_min=c.service_s / 60, qualification=c.level, nurses=c.nurses)


def simulate_one_night(start: LiveNight, calls: list[DrawnCall], policy: str, *, backup_response_s: int,
                       travel: TravelProvider | None = None, reopt_solutions: int = 15,
                       reopt_time_s: float | None = 1.0) -> dict[str, int]:
    """Run one night of ``calls`` with ``policy`` from ``start`` (see module docstring); the
    night's KPIs in seconds and metres."""
    travel = travel or provider_for(start.scenario.travel, cache=False)
    live = start
    responses, within, backups, visit_calls, reopts = [], 0, 0, 0, 0
    for c in calls:
        if not c.needs_visit:
            continue
        visit_calls += 1
        live = live.advance(c.received_s, travel)
        dec = decide(live.with_call(_as_call(c), c.received_s), c.ref, travel, policy, reopt_time_s=reopt_time_s,
                     reopt_solutions=reopt_solutions)
        if dec.chosen is None or dec.backup:
            backups += 1
            responses.append(backup_response_s)
            within += backup_response_s <= c.norm_s
            continue
        live = dec.live
        reopts += bool(dec.reopt.get("reoptimised"))
        responses.append(dec.chosen.response_s)
        within += dec.chosen.norm_met
    rem = live.remaining(travel)
    sched = rem.schedule()
    p = rem.problem
    metres = sum(f.distance_m for f in live.fixed)
    late_refs: dict[str, int] = {}
    for f in live.fixed:
        if live.kinds.get(f.ref) == "visit":
            late = f.start - int(live.tasks[f.ref].windows[-1, 1])
            if late > 0:
                late_refs[f.ref] = late
    overtime = 0
    for v, stops in enumerate(sched.stops):
        for st in stops:
            ref = rem.refs[int(p.node_task[st.node])]
            metres += st.distance_m
            late = st.start - int(live.tasks[ref].windows[-1, 1])
            if live.kinds[ref] == "visit" and late > 0:
                late_refs[ref] = late
        if stops:
            metres += sched.back_distance_m[v]
            back = sched.back[v]
        else:
            s0, e0 = int(p.start_node[v]), int(p.end_node[v])
            metres += int(p.distance[s0, e0])
            back = int(p.shift_start[v]) + int(p.duration[s0, e0])
        overtime += max(0, back - int(rem.shift_end[v]))
    return {"responses_s": [int(r) for r in responses], "within_norm": int(within), "visit_calls": visit_calls,
            "calls": len(calls), "backup_calls": backups, "late_visits": len(late_refs),
            "late_s": int(sum(late_refs.values())), "overtime_s": int(overtime), "distance_m": int(metres),
            "reoptimised": reopts}


#: One job of worker processes: (scenario JSON, plan JSON, team size, policy, nights, config).
_Chunk = tuple[str, str, int, str, tuple[int, ...], SimulationConfig]


def _run_chunk(chunk: _Chunk) -> list[dict[str, int]]:
    """Worker: one team size, one policy, some nights (top level, so it pickles)."""
    scenario_json, plan_json, _, policy, nights, cfg = chunk
    scenario = Scenario.from_json(scenario_json)
    start = LiveNight.of_plan(scenario, Plan.from_json(plan_json))
    travel = provider_for(scenario.travel, cache=False)
    return [simulate_one_night(start, draw_calls(scenario, cfg.profile, cfg.seed, night), policy,
                               backup_response_s=int(round(cfg.backup_response_min * 60)), travel=travel,
                               reopt_solutions=cfg.reopt_solutions, reopt_time_s=cfg.reopt_time_s)
            for night in nights]


def _summarise(team: int, policy: str, outcomes: list[dict[str, int]], plan: Plan) -> dict:
    resp = np.array([r for o in outcomes for r in o["responses_s"]], dtype=float) / 60.0
    n = len(outcomes)
    visit_calls = sum(o["visit_calls"] for o in outcomes)

    def total(key: str) -> float:
        return sum(o[key] for o in outcomes)

    def pct(q: float) -> float | None:
        return round(float(np.percentile(resp, q)), 2) if resp.size else None

    return {
        "nurses": team, "policy": policy, "nights": n,
        "calls_mean": round(total("calls") / n, 3),
        "visit_calls_mean": round(visit_calls / n, 3),
        "response_min": {"p50": pct(50), "p90": pct(90), "p95": pct(95)},
        "within_norm_share": round(total("within_norm") / visit_calls, 4) if visit_calls else None,
        "late_visits_mean": round(total("late_visits") / n, 3),
        "late_minutes_mean": round(total("late_s") / n / 60, 2),
        "backup_calls_mean": round(total("backup_calls") / n, 3),
        "overtime_min_mean": round(total("overtime_s") / n / 60, 2),
        "km_mean": round(total("distance_m") / n / 1000, 2),
        "planned_unassigned": plan.kpis.unassigned,
        "plan_km": plan.kpis.distance_km,
    }


def plan_for_team(scenario: Scenario, k: int, cfg: SimulationConfig) -> tuple[Scenario, Plan]:
    """The derived ``k``-nurse scenario and its deterministic plan."""
    sc = scenario_with_nurses(scenario, k)
    params = SolveParams(time_limit_s=None, solution_limit=cfg.plan_solutions, seed=cfg.seed)
    return sc, plan_night(sc, params)


def simulate(scenario: Scenario, config: SimulationConfig = SimulationConfig(), *,
             executor: Executor | None = None, progress: bool | None = None,
             plans: dict[int, tuple[Scenario, Plan]] | None = None) -> SimulationResults:
    """KPI rows per team size and policy (see module docstring); ``executor``: serial default.

    ``plans``: pre-computed ``{k: (scenario_k, plan_k)}`` to skip planning.
    """
    cfg = config
    plans = dict(plans or {})
    chunks = []
    for k in cfg.team_sizes:
        if k not in plans:
            plans[k] = plan_for_team(scenario, k, cfg)
        sc, plan = plans[k]
        sj, pj = sc.model_dump_json(), plan.to_json(indent=None)
        for policy in cfg.policies:
            n = min(cfg.nights, cfg.reopt_nights) if policy == "reoptimise" else cfg.nights
            nights = list(range(n))
            for i in range(0, n, cfg.chunk_nights):
                chunks.append((sj, pj, k, policy, tuple(nights[i:i + cfg.chunk_nights]), cfg))
    results = map_with_progress(_run_chunk, chunks, executor, desc="simulating", progress=progress)
    rows = []
    for k in cfg.team_sizes:
        for policy in cfg.policies:
            outs = [o for c, r in zip(chunks, results) if c[2:4] == (k, policy) for o in r]
            rows.append(_summarise(k, policy, outs, plans[k][1]))
    return SimulationResults(rows)


class SimulationResults(list):
    """The KPI rows (a plain list of dicts, as in ``simulate --json``) with table views."""

    def to_dataframe(self):
        """One row per (team size, policy); nested KPIs flattened (``response_min.p90``)."""
        import pandas as pd

        return pd.json_normalize(list(self))

    def __str__(self) -> str:
        return self.to_dataframe().to_string(index=False)


def format_table(rows: list[dict]) -> str:
    """The KPI rows of :func:`simulate` as a text table (what ``nachtzorg simulate`` prints)."""
    head = (f"{'nurses':>6} {'policy':<17} {'nights':>6} {'p50':>6} {'p90':>6} {'p95':>6} {'in norm':>8} "
            f"{'late/n':>7} {'late min':>8} {'backup':>7} {'overtime':>8} {'km':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        rm = r["response_min"]

        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.1f}"

        share = "-" if r["within_norm_share"] is None else f"{100 * r['within_norm_share']:.1f}%"
        lines.append(f"{r['nurses']:>6} {r['policy']:<17} {r['nights']:>6} {f(rm['p50']):>6} {f(rm['p90']):>6} "
                     f"{f(rm['p95']):>6} {share:>8} {r['late_visits_mean']:>7.2f} {r['late_minutes_mean']:>8.1f} "
                     f"{r['backup_calls_mean']:>7.2f} {r['overtime_min_mean']:>8.1f} {r['km_mean']:>7.1f}")
    lines.append("response in minutes from the call to care on site; per-night means; "
                 "back-up calls count at the back-up's response time")
    return "\n".join(lines)
