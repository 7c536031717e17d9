"""Acute readiness: the smallest night team that serves a coalition's planned visits **and**
reaches its own acute calls within the norm.

A coalition's team is a routing plan of its planned visits (the nurses that plan uses) plus
idle nurses waiting at their start place; the readiness search starts at that many nurses
(at least one: an organisation alone keeps a nurse awake all night however few visits it has)
and adds one at a time until the simulated calls are reached within the norm often enough
(:class:`~nachtzorg.settle.period.Norm`: ``share`` of the calls that need a visit within
``minutes``), or ``max_extra_nurses`` are added. The period game runs it on the coalition's
reference routing (:mod:`~nachtzorg.settle.reference`), not on the searched one.

Calls: each organisation has its own seeded stream per simulated night
(:func:`~nachtzorg.acute.simulate.draw_calls` on its clients' places, from every night of the
period, with its call rate, drawn in layers so that a higher rate only adds calls); a
coalition's calls are the union of its members' streams. So a
larger coalition sees every call of a smaller one (common random numbers), the same call nights
on every run, and the nights of the simulator (:func:`~nachtzorg.acute.simulate.simulate_one_night`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..acute.live import LiveNight
from ..acute.simulate import CallProfile, DrawnCall, draw_calls, simulate_one_night
from ..model import Client, Scenario, Shift
from ..travel import TravelProvider
from .period import Norm, OrganisationTerms, Readiness


def call_profile(terms: OrganisationTerms) -> CallProfile:
    """The organisation's calls as a simulator profile (its hourly rates, or the default profile
    scaled to its calls a night)."""
    if terms.calls_by_hour is not None:
        return dataclasses.replace(CallProfile(), hourly_rate=tuple((int(h), float(r))
                                                                    for h, r in sorted(terms.calls_by_hour.items())))
    return CallProfile().scaled(terms.calls_night)


@dataclass(frozen=True)
class CallSource:
    """Where and how often one organisation's calls come: its profile and its clients' places."""

    org: str
    index: int  # position among the period's organisations (part of the stream's seed)
    profile: CallProfile
    clients: tuple[Client, ...]


def member_calls(night: Scenario, src: CallSource, cfg: Readiness, night_id: int) -> list[DrawnCall]:
    """One organisation's calls of one simulated night, drawn in layers so that a higher call
    rate only adds calls: layer ``k`` is a seeded night of the profile's shape at one call a night
    (:func:`~nachtzorg.acute.simulate.draw_calls`); the rate's whole layers are kept, the last one
    thinned to its fraction by a fixed uniform draw per call."""
    rate = sum(r for _, r in src.profile.hourly_rate)
    if not src.clients or rate <= 0:
        return []
    place = night.model_copy(update={"clients": list(src.clients)})
    unit = src.profile.scaled(1.0)
    out: list[DrawnCall] = []
    for layer in range(math.ceil(rate)):
        seed = (cfg.seed * 1_000 + src.index) * 1_000 + layer
        calls = draw_calls(place, unit, seed, night_id)
        keep = min(1.0, rate - layer)
        if keep < 1.0:
            u = np.random.default_rng([cfg.seed, src.index, layer, night_id, 1]).random(len(calls))
            calls = [c for c, x in zip(calls, u) if x < keep]
        out += calls
    return out


def coalition_calls(night: Scenario, sources: Iterable[CallSource], cfg: Readiness, norm: Norm,
                    night_index: int, sim: int) -> list[DrawnCall]:
    """The calls of simulated night ``sim`` of period night ``night_index`` for the organisations
    of ``sources``: every member's own stream (:func:`member_calls`), merged by time, each with
    the period's norm."""
    norm_s = round(norm.minutes * 60)
    out: list[DrawnCall] = []
    for src in sources:
        out += member_calls(night, src, cfg, night_index * 100_003 + sim)
    out.sort(key=lambda c: (c.received_s, c.lat, c.lon))
    return [dataclasses.replace(c, ref=f"acute-{i + 1:03d}", norm_s=norm_s) for i, c in enumerate(out)]


def coalition_night(night: Scenario, orgs: frozenset[str], routes: Sequence[Sequence[str]],
                    team: int) -> tuple[Scenario, list[tuple[str, ...]], float]:
    """The night of ``orgs`` alone with a team of ``team`` nurses: the shifts whose ``routes``
    (visit ids per shift of ``night``) are not empty, then idle nurses (unused shifts of the
    night, then copies). Returns the scenario, its routes and the idle nurses' shift cost (EUR)."""
    used = [i for i, r in enumerate(routes) if r]
    spare = [i for i, r in enumerate(routes) if not r]
    shifts: list[Shift] = [night.shifts[i] for i in used]
    plan: list[tuple[str, ...]] = [tuple(routes[i]) for i in used]
    extra_eur = 0.0
    k = 0
    while len(shifts) < team:
        if k < len(spare):
            sh = night.shifts[spare[k]]
        else:
            base = night.shifts[(k - len(spare)) % len(night.shifts)]
            sh = base.model_copy(update={"id": f"{base.id}-r{k - len(spare) + 1}"})
        shifts.append(sh)
        plan.append(())
        extra_eur += sh.cost_per_shift_eur
        k += 1
    clients = [c for c in night.clients if c.organisation in orgs]
    keep = {c.id for c in clients}
    visits = [v for v in night.visits if v.client in keep]
    present = {v.id for v in visits}
    visits = [v if all(d.visit in present for d in v.after)
              else v.model_copy(update={"after": [d for d in v.after if d.visit in present]}) for v in visits]
    sc = night.model_copy(update={"organisations": [o for o in night.organisations if o.id in orgs],
                                  "clients": clients, "visits": visits, "shifts": shifts})
    return sc, plan, extra_eur


@dataclass(frozen=True)
class TeamTrial:
    """Simulated response of one team size: calls that needed a visit, and those within the norm."""

    nurses: int
    visit_calls: int
    within: int
    idle_eur: float

    @property
    def share(self) -> float:
        return self.within / self.visit_calls if self.visit_calls else 1.0


def try_team(night: Scenario, orgs: frozenset[str], routes: Sequence[Sequence[str]], team: int,
             calls: Sequence[list[DrawnCall]], cfg: Readiness, travel: TravelProvider) -> TeamTrial:
    """Run every call night of ``calls`` against the coalition's team of ``team`` nurses."""
    sc, plan, extra = coalition_night(night, orgs, routes, team)
    start = LiveNight.of_scenario(sc, plan)
    backup_s = round(cfg.backup_response_min * 60)
    visit_calls = within = 0
    for night_calls in calls:
        if not any(c.needs_visit for c in night_calls):
            continue
        out = simulate_one_night(start, night_calls, cfg.policy, backup_response_s=backup_s, travel=travel)
        visit_calls += int(out["visit_calls"])
        within += int(out["within_norm"])
    return TeamTrial(team, visit_calls, within, extra)


def smallest_team(night: Scenario, orgs: frozenset[str], routes: Sequence[Sequence[str]],
                  calls: Sequence[list[DrawnCall]], cfg: Readiness, norm: Norm, travel: TravelProvider,
                  *, cap: int | None = None) -> tuple[TeamTrial, bool]:
    """The smallest team, from the nurses the planned routes use (at least one), whose simulated
    calls meet the norm; ``cap``: stop there (a larger coalition already shows it suffices).
    Returns the trial and whether it met the norm (False: the largest team tried, or ``cap``)."""
    planned = sum(1 for r in routes if r)
    k = max(1, planned)
    top = planned + cfg.max_extra_nurses if cap is None else min(cap, planned + cfg.max_extra_nurses)
    top = max(top, k)
    while True:
        trial = try_team(night, orgs, routes, k, calls, cfg, travel)
        if trial.share >= norm.share - 1e-12:
            return trial, True
        if k >= top:
            return trial, False
        k += 1
