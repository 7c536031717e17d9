"""The period game: every coalition's yearly cost, the sum over the period's nights plus the
yearly fixed items it would carry alone.

Per night (one job, so nights fan out over workers or a Dask cluster):

1. **Planned visits**: :func:`~nachtzorg.sharing.coalition_costs` prices every coalition of the
   organisations with visits that night by routing (with its consistency repair), in
   :data:`SOLVES_PER_NIGHT` independent solves with disjoint seeds (every solve's plan is a
   candidate, step 2). A coalition without visits that night has no routing cost.
2. **Acute readiness**: top-down by coalition size, the smallest team that also reaches the
   coalition's own calls within the norm (:func:`~nachtzorg.settle.readiness.smallest_team`),
   judged against the coalition's reference routing (:mod:`~nachtzorg.settle.reference`: the
   same routes whatever the solver seed, so that a borderline night does not flip with the
   searched routes). Each candidate plan (every solve's, and the reference) has its team: that
   many nurses, or the plan's nurses where it uses more; the nurses beyond the plan's wait idle
   and cost their shift. The coalition's night is the cheapest candidate with its team (fewest
   visits left out first). Where that plan uses more nurses than the readiness team (every
   nurse beyond it is a shift the year pays for that night's weight), a search for a plan with
   fewer nurses follows from it (:func:`fewer_nurses`: route elimination down to the readiness
   team, :data:`FEWER_NURSES_S` seconds, seeded by the solver seed): whether a time-limited
   solve happened to find the plan with a nurse fewer should not move a coalition's yearly
   value by a shift times the night's weight. The repair extends to readiness: a coalition never needs
   more nurses than the readiness team of a larger coalition that contains it (its calls and
   visits are part of the larger one's), so a search stops there and the cap is recorded.

Over the period: ``c(S) = sum over nights of weight * (planned + readiness) + fixed(S)`` with
``fixed(S)`` = cars for the largest night team of S plus every yearly item (items marked
``only_shared`` only for coalitions of two or more). Euros throughout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import combinations
from typing import NamedTuple

import numpy as np

from ..model import Scenario
from ..parallel import map_with_progress
from ..problem import Problem, compile_scenario, restrict_tasks, units_to_eur
from ..schedule import service_cost, total_cost
from ..sharing import CoalitionParams, Game, coalition_costs
from ..solve import SolveParams
from ..solve.fleet import eliminate_route, left_over, minimise_routes
from ..travel import provider_for
from .period import MAX_ORGANISATIONS, Norm, Period, PeriodError, Readiness
from .readiness import (
    CallSource,
    call_profile,
    coalition_calls,
    coalition_night,
    smallest_team,
)
from .reference import reference_routes

log = logging.getLogger(__name__)

Coalition = frozenset[str]

#: Independent routing solves of a night's coalitions (seeds ``seed * SOLVES_PER_NIGHT + i``);
#: each coalition's night is the cheapest of their plans (and the reference) with its team, so
#: that one search's luck on a borderline night moves a coalition's yearly value less.
SOLVES_PER_NIGHT = 2

#: Seconds of route elimination (:func:`fewer_nurses`) on a coalition night whose cheapest plan
#: uses more nurses than its readiness team, in attempts of :data:`FEWER_NURSES_ATTEMPT_S` each
#: (an attempt stops at its first cheaper plan: about 0.5 s where one exists).
FEWER_NURSES_S = 2.0
FEWER_NURSES_ATTEMPT_S = 1.0


#: With a solution limit, each attempt's search stops there, not at a time (a safety limit only).
FEWER_NURSES_SAFETY_S = 60.0


def fewer_nurses(problem: Problem, routes: list[list[int]], floor: int, seed: int,
                 seconds: float = FEWER_NURSES_S, solution_limit: int | None = None) -> list[list[int]] | None:
    """A plan of ``problem`` (node lists per vehicle) with fewer nurses than ``routes`` but not
    fewer than ``floor``, cheaper by our own costing (:func:`~nachtzorg.solve.fleet.minimise_routes`
    from ``routes``, ``seed`` driving the search, ``seconds`` in all), or ``None``. With
    ``solution_limit`` (the period's solver setting: a rerun gives the same plans) one nurse after
    another by :func:`~nachtzorg.solve.eliminate_route`, each search stopping at that many
    improving solutions; ``seconds`` > 0 only switches the search on."""
    if sum(1 for r in routes if r) <= max(floor, 1) or seconds <= 0:
        return None
    if solution_limit is not None:
        params = SolveParams(time_limit_s=None, solution_limit=solution_limit, seed=seed)
        out, cost = None, total_cost(problem, routes)
        within = problem
        while sum(1 for r in routes if r) > max(floor, 1):
            step = eliminate_route(within, routes, cost, params, FEWER_NURSES_SAFETY_S)
            if step is None:
                break
            routes, cost, within = step
            out = routes
        return out
    params = SolveParams(time_limit_s=FEWER_NURSES_ATTEMPT_S, seed=seed)
    out, _, _, spared = minimise_routes(problem, routes, total_cost(problem, routes), params, seconds,
                                        FEWER_NURSES_ATTEMPT_S, floor=max(floor, 1))
    return out if spared > 0 else None


def coalition_key(coalition: Sequence[str] | frozenset[str]) -> str:
    """The organisation ids sorted and joined by commas (the JSON key of a coalition)."""
    return ",".join(sorted(coalition))


def all_coalitions(players: Sequence[str]) -> list[Coalition]:
    """Every non-empty coalition, largest first (the order of the readiness search)."""
    return [frozenset(c) for k in range(len(players), 0, -1) for c in combinations(sorted(players), k)]


@dataclass(frozen=True)
class CoalitionNight:
    """One coalition on one night (euros; nurses)."""

    planned_eur: float  # routing of the planned visits (shifts, km, lateness)
    nurses_planned: int  # nurses the routing plan uses
    nurses: int  # the team: planned plus readiness nurses
    readiness_eur: float  # shift cost of the readiness nurses
    within_share: float  # simulated share of calls reached within the norm by that team
    visit_calls: int  # simulated calls that needed a visit (all call nights)
    norm_met: bool
    capped_by: str | None = None  # key of the larger coalition whose team size capped the search
    nurses_reference: int = 0  # nurses of the reference routing readiness is judged against
    nurses_spared: int = 0  # team nurses fewer by the search for fewer nurses (fewer_nurses)


@dataclass
class NightTable:
    """Every coalition of one period night, and what the night holds per organisation."""

    index: int
    label: str
    weight: float
    coalitions: dict[Coalition, CoalitionNight]
    visits: dict[str, int]
    care_minutes: dict[str, float]
    routing_repairs: list[tuple[str, float, float]]  # (coalition key, solved, repaired) EUR
    wall_s: float


@dataclass(frozen=True)
class NightJob:
    """What a worker needs to price one night (picklable: the scenario travels as JSON)."""

    index: int
    label: str
    weight: float
    scenario_json: str
    players: tuple[str, ...]
    sources: tuple[CallSource, ...]
    readiness: Readiness
    norm: Norm
    time_limit_s: float
    seed: int
    solution_limit: int | None = None
    solves: int = SOLVES_PER_NIGHT


class _Planned(NamedTuple):
    """A plan of a coalition's visits on one night."""

    planned_eur: float
    left_out: int  # visits left out
    refs: list[tuple[str, ...]]  # visit ids per shift of the night
    repair: tuple[float, float] | None  # (solved, repaired) EUR where the consistency repair changed it
    routes: list[list[int]]  # node lists of the coalition's restricted problem


class _Option(NamedTuple):
    """A plan with its team (the readiness team, or the plan's nurses where it uses more)."""

    left_out: int
    total_eur: float  # planned plus the idle nurses' shifts
    idle_eur: float
    team: int
    plan: _Planned

    def key(self) -> tuple[int, float]:
        """Fewest visits left out, then cheapest."""
        return self.left_out, self.total_eur


def price_night(job: NightJob) -> NightTable:
    """Worker: every coalition's planned and readiness cost on one night (module docstring)."""
    t0 = time.perf_counter()
    night = Scenario.from_json(job.scenario_json)
    org_of = {c.id: c.organisation for c in night.clients}
    visits = {p: 0 for p in job.players}
    care = {p: 0.0 for p in job.players}
    for v in night.visits:
        visits[org_of[v.client]] += 1
        care[org_of[v.client]] += v.duration_min * v.nurses
    active = frozenset(p for p in job.players if visits[p] > 0)
    no_routes: list[tuple[str, ...]] = [() for _ in night.shifts]
    routing: dict[Coalition, list[_Planned]] = {frozenset(): [_Planned(0.0, 0, no_routes, None, [])]}  # per solve
    reference: dict[Coalition, _Planned] = {frozenset(): _Planned(0.0, 0, no_routes, None, [])}
    restricted: dict[Coalition, tuple[Problem, np.ndarray]] = {}
    repairs: list[tuple[str, float, float]] = []
    if active:
        sub = night.restricted_to(active)
        games = []
        for i in range(job.solves):  # disjoint seeds per solver seed: seed * solves + i
            seed = job.seed * job.solves + i
            grand = (SolveParams(time_limit_s=None, solution_limit=job.solution_limit, seed=seed)
                     if job.solution_limit else SolveParams(time_limit_s=job.time_limit_s, seed=seed))
            games.append(coalition_costs(sub, CoalitionParams(grand=grand), progress=False))
        p = compile_scenario(sub).problem

        def as_refs(routes: list[list[int]]) -> list[tuple[str, ...]]:
            return [tuple(p.task_ids[int(p.node_task[n])] for n in r) for r in routes]

        def planned(r: Problem, node_map: np.ndarray, routes: list[list[int]]) -> _Planned:
            """Routes of a coalition's restricted problem ``r`` as a plan of the night."""
            return _Planned(round(units_to_eur(service_cost(r, routes)), 2), left_over(r, routes),
                            as_refs([[int(node_map[n]) for n in route] for route in routes]), None, routes)

        org_of_task = [org_of[v.client] for v in sub.visits]
        for s in games[0].costs:
            r, node_map = restricted[s] = restrict_tasks(p, [t for t, o in enumerate(org_of_task) if o in s])
            own = {int(o): i for i, o in enumerate(node_map)}
            routing[s] = [_Planned(c.cost_eur, c.unserved, as_refs(c.routes),
                                   None if c.repaired_from is None else (c.solved_cost_eur, c.cost_eur),
                                   [[own[n] for n in route] for route in c.routes])
                          for c in (g.costs[s] for g in games)]
            reference[s] = planned(r, node_map, reference_routes(r))
    travel = provider_for(night.travel, cache=False)
    by_org = {s.org: s for s in job.sources}
    table: dict[Coalition, CoalitionNight] = {}
    ready: dict[Coalition, int] = {}  # readiness team (nurses) on the reference plan
    fewer: dict[tuple[Coalition, int], _Planned | None] = {}  # (visits' coalition, floor): fewer_nurses' plan
    for s in all_coalitions(job.players):
        calls = [coalition_calls(night, [by_org[o] for o in sorted(s) if o in by_org], job.readiness, job.norm,
                                 job.index, j) for j in range(job.readiness.simulated_nights)]
        # The cap: a larger coalition's readiness team (with its reference plan it serves S's visits
        # too and reaches S's calls), not its final team, which may follow a searched plan's nurses.
        supers = [s | {e} for e in job.players if e not in s]
        cap_of = min(supers, key=lambda t: (ready[t], coalition_key(t))) if supers else None
        cap = ready[cap_of] if cap_of is not None else None
        ref = reference[s & active]
        trial, met = smallest_team(night, s, ref.refs, calls, job.readiness, job.norm, travel, cap=cap)
        ready[s] = trial.nurses
        capped = None
        if not met and cap_of is not None and trial.nurses >= cap:
            capped, met = coalition_key(cap_of), table[cap_of].norm_met
        # Each plan (every solve's, and the reference, which fits the readiness team: its search
        # starts at the reference's nurses) with its team: the readiness team, or the plan's
        # nurses where it uses more, the idle nurses paid. The cheapest is the night's value.
        def option(plan: _Planned, s: Coalition = s, ready_team: int = trial.nurses) -> _Option:
            team = max(ready_team, sum(1 for r in plan.refs if r))
            _, _, idle_eur = coalition_night(night, s, plan.refs, team)
            return _Option(plan.left_out, plan.planned_eur + idle_eur, round(idle_eur, 2), team, plan)

        best = min((option(plan) for plan in (*routing[s & active], ref)), key=_Option.key)
        spared = 0
        if best.team > trial.nurses:  # nurses beyond the readiness team: search for a plan with fewer
            at = (s & active, trial.nurses)
            if at not in fewer:
                r, node_map = restricted[s & active]
                plan = fewer_nurses(r, best.plan.routes, trial.nurses, job.seed * job.solves, FEWER_NURSES_S,
                                    job.solution_limit)
                fewer[at] = None if plan is None else planned(r, node_map, plan)
            if fewer[at] is not None and (alt := option(fewer[at])).key() < best.key():
                spared, best = best.team - alt.team, alt
        if best.plan.repair is not None and s <= active:
            repairs.append((coalition_key(s), *best.plan.repair))
        table[s] = CoalitionNight(best.plan.planned_eur, sum(1 for r in best.plan.refs if r), best.team,
                                  best.idle_eur, trial.share, trial.visit_calls, met, capped,
                                  sum(1 for r in ref.refs if r), spared)
    repairs.sort(key=lambda r: (r[0].count(","), r[0]))
    return NightTable(job.index, job.label, job.weight, table, visits, care, repairs, time.perf_counter() - t0)


def call_sources(period: Period) -> tuple[CallSource, ...]:
    """Every organisation's call profile and its clients' places over all nights of the period
    (a client counted once, at the place of its first night)."""
    out = []
    for i, org in enumerate(period.players):
        seen: dict[str, object] = {}
        for n in period.nights:
            for c in n.scenario.clients:
                if c.organisation == org and c.id not in seen:
                    seen[c.id] = c.model_copy(update={"key_safe_code": None, "access_note": None})
        out.append(CallSource(org, i, call_profile(period.terms(org)), tuple(seen.values())))  # type: ignore[arg-type]
    return tuple(out)


@dataclass
class PeriodGame:
    """The priced period: every night's coalitions, and the yearly game built from them."""

    period: Period
    nights: list[NightTable]
    wall_s: float
    seed: int
    time_limit_s: float
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def players(self) -> tuple[str, ...]:
        return self.period.players

    # ------------------------------------------------------------------ parts of a coalition's cost
    def weights(self) -> np.ndarray:
        return np.array([n.weight for n in self.nights], dtype=float)

    def planned_eur(self, s: Coalition, weights: np.ndarray | None = None) -> float:
        w = self.weights() if weights is None else weights
        return float(sum(wt * n.coalitions[s].planned_eur for wt, n in zip(w, self.nights)))

    def readiness_eur(self, s: Coalition, weights: np.ndarray | None = None) -> float:
        w = self.weights() if weights is None else weights
        return float(sum(wt * n.coalitions[s].readiness_eur for wt, n in zip(w, self.nights)))

    def max_nurses(self, s: Coalition, weights: np.ndarray | None = None) -> int:
        w = self.weights() if weights is None else weights
        return max((n.coalitions[s].nurses for wt, n in zip(w, self.nights) if wt > 0), default=0)

    def fixed_parts(self, s: Coalition, weights: np.ndarray | None = None) -> dict[str, float]:
        """The yearly fixed items coalition ``s`` would carry alone, by name (EUR)."""
        fixed = self.period.spec.fixed
        out: dict[str, float] = {}
        if fixed.cars is not None:
            out["cars"] = self.max_nurses(s, weights) * fixed.cars.eur_per_car_per_year
        for item in fixed.items:
            if item.only_shared and len(s) < 2:
                continue
            out[item.name] = out.get(item.name, 0.0) + item.eur
        return out

    def fixed_eur(self, s: Coalition, weights: np.ndarray | None = None) -> float:
        return float(sum(self.fixed_parts(s, weights).values()))

    def cost(self, s: Coalition, weights: np.ndarray | None = None) -> float:
        """``c(S)`` over the period, euros."""
        return self.planned_eur(s, weights) + self.readiness_eur(s, weights) + self.fixed_eur(s, weights)

    def shifts_per_year(self, s: Coalition) -> float:
        """Night shifts a year of coalition ``s``'s team (readiness nurses included)."""
        return float(sum(n.weight * n.coalitions[s].nurses for n in self.nights))

    # ------------------------------------------------------------------ the game
    def attributes(self, weights: np.ndarray | None = None) -> dict[str, dict[str, float]]:
        """Per-organisation figures of the proportional keys over the period; ``clients`` and
        ``inhabitants`` only when the period file gives them for every organisation."""
        w = self.weights() if weights is None else weights
        nights_in_year = float(w.sum())
        attrs: dict[str, dict[str, float]] = {
            "visits": {p: float(sum(wt * n.visits[p] for wt, n in zip(w, self.nights))) for p in self.players},
            "care_minutes": {p: float(sum(wt * n.care_minutes[p] for wt, n in zip(w, self.nights)))
                             for p in self.players},
            "calls": {p: self.period.terms(p).calls_night * nights_in_year for p in self.players},
        }
        for key in ("clients", "inhabitants"):
            values = {p: getattr(self.period.terms(p), key) for p in self.players}
            if all(v is not None for v in values.values()):
                attrs[key] = {p: float(v) for p, v in values.items()}
        return attrs

    def game(self, weights: np.ndarray | None = None) -> Game:
        """The yearly cost game (euros), players sorted, with the keys' figures as attributes."""
        values = {s: round(self.cost(s, weights), 2) for s in all_coalitions(self.players)}
        return Game.from_coalitions(values, players=list(self.players), kind="cost",
                                    attributes=self.attributes(weights),
                                    name=f"{self.period.spec.name}: yearly cost by coalition (EUR)")

    def repairs(self) -> list[dict]:
        """Every repaired value: routing (a larger coalition's routes were cheaper) and readiness
        (a larger coalition's team already reaches the calls), per night."""
        out = []
        for n in self.nights:
            for key, solved, repaired in n.routing_repairs:
                out.append({"night": n.label, "coalition": key, "part": "planned", "solved": solved,
                            "repaired": repaired})
            for s, c in n.coalitions.items():
                if c.capped_by is not None:
                    out.append({"night": n.label, "coalition": coalition_key(s), "part": "readiness",
                                "capped_by": c.capped_by, "nurses": c.nurses})
        return out

    def norm_not_met(self) -> list[dict]:
        """Coalition nights whose largest team tried does not reach the norm."""
        return [{"night": n.label, "coalition": coalition_key(s), "nurses": c.nurses,
                 "within_share": round(c.within_share, 4)}
                for n in self.nights for s, c in n.coalitions.items() if not c.norm_met]


def settle_period(period: Period, *, seed: int | None = None, time_limit_s: float | None = None,
                  executor: Executor | None = None, progress: bool | None = None) -> PeriodGame:
    """Price every coalition on every night of ``period`` (module docstring); ``executor``: any
    :class:`concurrent.futures.Executor` (serial default, a process pool, a Dask cluster), one
    night per task. ``seed``/``time_limit_s`` override the period file's solver settings."""
    if len(period.players) > MAX_ORGANISATIONS:
        raise PeriodError([(f"organisations: {len(period.players)}; every coalition is priced by routing for "
                           f"at most {MAX_ORGANISATIONS}")])
    t0 = time.perf_counter()
    spec = period.spec
    seed = spec.solver.seed if seed is None else seed
    limit = spec.solver.time_limit_s if time_limit_s is None else time_limit_s
    sources = call_sources(period)
    jobs = [NightJob(i, n.label, n.weight, n.scenario.to_json(indent=None), period.players, sources,
                     spec.readiness, spec.norm, limit, seed, None if time_limit_s is not None else spec.solver.solution_limit)
            for i, n in enumerate(period.nights)]
    tables = map_with_progress(price_night, jobs, executor, desc="nights", progress=progress)
    pg = PeriodGame(period, tables, time.perf_counter() - t0, seed, limit)
    log.info("priced %d coalitions on %d nights in %.1f s", 2 ** len(period.players) - 1, len(tables), pg.wall_s)
    return pg
