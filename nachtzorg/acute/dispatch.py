"""Dispatch an acute call: who goes, when she is there, what it does to the rest of the night.

The quick decision is an insertion in plain integers: for every qualified nurse on shift
(every pair for a two-nurse call) the call is put at the front of her remaining stops (she
goes now: from the door she is at, from the road she is on, or when her current stop ends)
or after the first of them, and the remaining night is re-timed by
:func:`nachtzorg.schedule.schedule_routes` (two-nurse visits stay synchronised). Done and
in-progress stops are not in the remaining problem, so they never move.

Policies (how the chosen option is picked; the ranked list is the same order):

- ``"nearest"``: the nurse who can be on site first, going now.
- ``"least_disruption"``: among options that meet the response norm, the one that adds the
  least lateness to planned stops (then: fewest broken lateness caps, less overtime, fewer
  km, earlier arrival); if none meets the norm, the earliest arrival.
- ``"reoptimise"``: ``least_disruption``, then OR-Tools re-optimises the whole remaining night
  warm-started from it within a budget; kept only if cheaper by our own timing.

When no option meets the norm, the decision says so and recommends the back-up team.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from pydantic import Field

from ..base import Frozen as _Out
from ..exceptions import TravelError
from ..schedule import Schedule
from ..travel import TravelProvider, haversine_m, provider_for
from .calls import AcuteCall
from .live import AcuteInputError, LiveNight, Remaining, reoptimise
from .state import NightState, check_in_night, from_live, received_seconds, seconds, to_live

Policy = Literal["nearest", "least_disruption", "reoptimise"]
POLICIES: tuple[str, ...] = ("nearest", "least_disruption", "reoptimise")
#: Insert the call after at most this many of a nurse's remaining stops (0 = she goes now).
#: 1 keeps a 150-visit, 6-nurse dispatch near 100 ms (each candidate re-times the night).
MAX_POSITION = 1


@dataclass(frozen=True)
class Option:
    """One way to serve the call, in seconds and metres."""

    vehicles: tuple[int, ...]
    positions: tuple[int, ...]
    start: int  # care starts at the caller, s
    response_s: int  # start - received
    norm_met: bool
    added_late_s: int  # extra lateness of other stops, summed
    delayed: tuple[tuple[str, int, int, int], ...]  # (ref, vehicle, delay s, late s) of stops that move later
    caps_broken: int  # stops pushed past the scenario's lateness cap
    overtime_s: int  # extra overtime over all nurses
    extra_m: int
    routes: list[list[int]] = field(repr=False, compare=False)
    schedule: Schedule | None = field(default=None, repr=False, compare=False)


def _late(rem: Remaining, sched: Schedule) -> dict[int, int]:
    return sched.lateness(rem.problem)


def _overtime(rem: Remaining, sched: Schedule, routes: list[list[int]]) -> int:
    return sum(max(0, sched.back[v] - int(rem.shift_end[v])) for v in range(len(routes)) if routes[v])


def _metres(rem: Remaining, routes: list[list[int]]) -> int:
    p = rem.problem
    total = 0
    for v, r in enumerate(routes):
        if r:
            path = [int(p.start_node[v]), *r, int(p.end_node[v])]
            total += int(p.distance[path[:-1], path[1:]].sum())
    return total


def quick_options(live: LiveNight, rem: Remaining, call_ref: str, *,
                  max_position: int = MAX_POSITION) -> list[Option]:
    """Every insertion of ``call_ref`` (a node of ``rem`` on no route yet), evaluated."""
    p = rem.problem
    received, norm = live.calls[call_ref][1], live.calls[call_ref][0].norm_s
    nodes = rem.nodes_of(call_ref)
    base = rem.schedule()
    base_start = base.start_of()
    base_late = _late(rem, base)
    base_ot = _overtime(rem, base, rem.routes)
    base_m = _metres(rem, rem.routes)
    node_vehicle = {n: v for v, r in enumerate(rem.routes) for n in r}
    ok = [v for v in range(p.n_vehicles)
          if p.allowed[nodes[0], v] and int(p.shift_start[v]) < int(rem.shift_end[v])]
    cands: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    if len(nodes) == 1:
        for v in ok:
            for k in range(min(max_position, len(rem.routes[v])) + 1):
                cands.append(((v,), (k,)))
    else:
        for i, v in enumerate(ok):
            for w in ok[i + 1:]:
                for kv in range(min(1, len(rem.routes[v])) + 1):
                    for kw in range(min(1, len(rem.routes[w])) + 1):
                        cands.append(((v, w), (kv, kw)))
    out = []
    missed: set[tuple[int, ...]] = set()
    for vehicles, positions in cands:
        if vehicles in missed and max(positions) > 0:
            continue  # finishing stops first only arrives later
        routes = [list(r) for r in rem.routes]
        for node, v, k in zip(nodes, vehicles, positions):
            routes[v].insert(k, node)
        sched = rem.schedule(routes)
        if not sched.feasible:
            continue
        starts = sched.start_of()
        start = starts[nodes[0]]
        late = _late(rem, sched)
        delayed = []
        added = caps = 0
        for n, s0 in base_start.items():
            d = starts[n] - s0
            if d > 0:
                t = int(p.node_task[n])
                ref = rem.refs[t]
                if p.task_nodes[t][0] != n:  # report a two-nurse stop once
                    continue
                lt = late.get(n, 0)
                extra = lt - base_late.get(n, 0)
                added += extra
                if live.kinds[ref] == "visit" and lt > live.tasks[ref].max_late_s and extra > 0:
                    caps += 1
                delayed.append((ref, node_vehicle[n], d, lt))
        response = start - received
        if response > norm:
            missed.add(vehicles)
        out.append(Option(vehicles, positions, start, response, response <= norm, added,
                             tuple(delayed), caps, _overtime(rem, sched, routes) - base_ot,
                             _metres(rem, routes) - base_m, routes, sched))
    return out


def rank_key(policy: str):
    """Sort key of options for ``policy`` (best first). Under every policy an option that pushes a
    planned visit past its allowed lateness (a hard cap) comes after every option that does not."""
    if policy == "nearest":
        return lambda o: (o.caps_broken > 0, max(o.positions), o.start, o.added_late_s, o.extra_m)
    return lambda o: (o.caps_broken > 0, not o.norm_met,
                      *((o.caps_broken, o.added_late_s, o.overtime_s, o.extra_m, o.start)
                        if o.norm_met else (o.start, o.caps_broken, o.added_late_s, o.extra_m)))


def ranked_options(options: list[Option], policy: str) -> list[Option]:
    if policy not in POLICIES:
        raise AcuteInputError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    opts = list(options)
    if policy == "nearest":
        opts = [o for o in opts if max(o.positions) == 0] + [o for o in opts if max(o.positions) > 0]
    return sorted(opts, key=rank_key(policy))


@dataclass
class Decision:
    """The decision in integers (used by the simulator and by :func:`dispatch`)."""

    options: list[Option]
    chosen: Option | None
    backup: bool
    live: LiveNight  # the night with the chosen option (unchanged if none)
    remaining: Remaining
    reopt: dict = field(default_factory=dict)


def decide(live: LiveNight, call_ref: str, travel: TravelProvider, policy: str = "least_disruption", *,
           reopt_time_s: float | None = 1.0, reopt_solutions: int | None = None, seed: int = 0,
           choose: tuple[tuple[int, ...], tuple[int, ...]] | None = None) -> Decision:
    """Evaluate and choose (see module docstring); ``live`` is advanced to now and holds the
    call ``call_ref`` on no route yet.

    ``choose``: ``(vehicles, positions)`` of the option a dispatcher picked instead of the
    policy's first; :class:`AcuteInputError` when no evaluated option has them."""
    t_start = time.perf_counter()
    rem = live.remaining(travel, extra=[call_ref])
    max_position = 0 if policy == "nearest" else MAX_POSITION
    options = ranked_options(quick_options(live, rem, call_ref, max_position=max_position), policy)
    if not options:
        return Decision([], None, True, live, rem)
    chosen = options[0]
    if choose is not None:
        picked = [o for o in options if (o.vehicles, o.positions) == choose]
        if not picked:
            raise AcuteInputError("the chosen option is not among the options for this call now")
        chosen = picked[0]
    routes = chosen.routes
    info: dict = {}
    if policy == "reoptimise":
        t0 = time.perf_counter()
        if reopt_time_s is not None:  # the budget covers the quick insertion too
            reopt_time_s = max(0.05, reopt_time_s - (t0 - t_start) - 0.03)
        routes, info = reoptimise(rem, routes, time_limit_s=reopt_time_s, solution_limit=reopt_solutions, seed=seed)
        info["wall_s"] = time.perf_counter() - t0
        if info.get("reoptimised"):
            new = _evaluate_routes(live, rem, call_ref, routes, options)
            if new is not None:
                chosen = new
            else:
                routes = chosen.routes
    return Decision(options, chosen, not chosen.norm_met, live.with_routes(rem, routes), rem, info)


def _evaluate_routes(live: LiveNight, rem: Remaining, call_ref: str, routes: list[list[int]],
                     options: list[Option]) -> Option | None:
    """Describe re-optimised routes as an option (None if it breaks the norm the insertion met)."""
    nodes = rem.nodes_of(call_ref)
    vehicles = tuple(v for n in nodes for v, r in enumerate(routes) if n in r)
    positions = tuple(routes[v].index(n) for n, v in zip(nodes, vehicles))
    base = options[0]
    sched = rem.schedule(routes)
    start = sched.start_of()[nodes[0]]
    received, norm = live.calls[call_ref][1], live.calls[call_ref][0].norm_s
    response = start - received
    if base.norm_met and response > norm:
        return None
    base_sched = rem.schedule()
    base_start = base_sched.start_of()
    late, base_late = _late(rem, sched), _late(rem, base_sched)
    p = rem.problem
    starts = sched.start_of()
    delayed, added, caps = [], 0, 0
    node_vehicle = {n: v for v, r in enumerate(routes) for n in r}
    for n, s0 in base_start.items():
        d = starts.get(n, s0) - s0
        t = int(p.node_task[n])
        if d > 0 and p.task_nodes[t][0] == n:
            lt = late.get(n, 0)
            extra = lt - base_late.get(n, 0)
            added += extra
            ref = rem.refs[t]
            if live.kinds[ref] == "visit" and lt > live.tasks[ref].max_late_s and extra > 0:
                caps += 1
            delayed.append((rem.refs[t], node_vehicle[n], d, lt))
    return replace(base, vehicles=vehicles, positions=positions, start=start, response_s=response,
                   norm_met=response <= norm, added_late_s=added, delayed=tuple(delayed),
                   caps_broken=caps, overtime_s=_overtime(rem, sched, routes) - _overtime(rem, base_sched, rem.routes),
                   extra_m=_metres(rem, routes) - _metres(rem, rem.routes), routes=routes, schedule=sched)


# --------------------------------------------------------------------------- public API
class DelayedStop(_Out):
    """A stop that starts later because of the call (minutes)."""

    ref: str
    shift: str
    delay_min: float
    late_min: float = Field(description="Minutes past the end of its last window after the change")


class DispatchOption(_Out):
    """Who could go, when she is on site, and what it costs the rest of the night."""

    rank: int
    shifts: list[str]
    after_stops: list[int] = Field(description="Remaining stops each nurse finishes first (0 = goes now)")
    arrival: str = Field(description="HH:MM care starts at the caller")
    response_min: float
    norm_met: bool
    added_late_min: float
    late_visits: int = Field(description="Planned stops that become (more) late")
    caps_broken: int = Field(description="Stops pushed past the lateness the scenario allows")
    overtime_min: float
    extra_km: float
    delayed: list[DelayedStop]


class DispatchDecision(_Out):
    """The outcome of :func:`dispatch`: ranked options, the choice, and the new state."""

    call_id: str
    now: str
    policy: str
    norm_min: float
    backup_recommended: bool
    message: str
    chosen: DispatchOption | None
    options: list[DispatchOption]
    reoptimised: bool = False
    state: NightState

    def summary(self) -> str:
        lines = [self.message]
        for o in self.options[:5]:
            lines.append(f"  #{o.rank} {'+'.join(o.shifts)} after {o.after_stops} stop(s): on site {o.arrival} "
                         f"({o.response_min:.0f} min, norm {'met' if o.norm_met else 'MISSED'}), "
                         f"+{o.added_late_min:.0f} min late on {o.late_visits} stop(s), {o.extra_km:+.1f} km")
        if self.chosen:
            for d in (d for d in self.chosen.delayed if d.late_min > 0):
                lines.append(f"  {d.ref} ({d.shift}) {d.delay_min:+.0f} min" + (f", {d.late_min:.0f} min late"
                                                                              if d.late_min else ""))
        return "\n".join(lines)

    def to_json(self, *, indent: int | None = 2, include_state: bool = True) -> str:
        return self.model_dump_json(indent=indent, exclude=None if include_state else {"state"})

    def to_dataframe(self):
        """One row per ranked option (nurse(s), arrival, response, norm met, lateness caused)."""
        import pandas as pd

        return pd.DataFrame([o.model_dump(exclude={"delayed"}) for o in self.options])

    def __str__(self) -> str:
        return self.summary()


def _describe(o: Option, rank: int, rem: Remaining, clock) -> DispatchOption:
    shifts = rem.problem.vehicle_ids
    late = [x for x in o.delayed if x[3] > 0]
    return DispatchOption(
        rank=rank, shifts=[shifts[v] for v in o.vehicles], after_stops=list(o.positions),
        arrival=clock.label(o.start), response_min=round(o.response_s / 60, 1), norm_met=o.norm_met,
        added_late_min=round(o.added_late_s / 60, 1), late_visits=len(late), caps_broken=o.caps_broken,
        overtime_min=round(o.overtime_s / 60, 1), extra_km=round(o.extra_m / 1000, 2),
        delayed=[DelayedStop(ref=r, shift=shifts[v], delay_min=round(d / 60, 1), late_min=round(lt / 60, 1))
                 for r, v, d, lt in o.delayed])


def dispatch(state: NightState, call: AcuteCall | dict, now: str | int, *, policy: Policy = "least_disruption",
             reoptimise_s: float | None = 1.0, reopt_solutions: int | None = None,
             travel: TravelProvider | None = None, max_call_km: float = 30.0,
             choose: tuple[list[str], list[int]] | None = None) -> DispatchDecision:
    """Decide who answers ``call`` at ``now`` (``HH:MM``, ISO or seconds); returns ranked options,
    the chosen one and the updated state (``state`` itself is not changed).

    ``policy="reoptimise"`` re-optimises the rest of the night within ``reoptimise_s`` seconds
    (or ``reopt_solutions`` improving solutions, deterministic). ``max_call_km``: a call farther
    than this from every client of the region is rejected as outside the region.
    ``choose``: ``(shifts, after_stops)`` of a ranked option (as in :class:`DispatchOption`) that
    the dispatcher assigns instead of the policy's first; with ``policy="reoptimise"`` the rest
    of the night is then re-optimised around it.
    """
    sc = state.scenario
    clock = sc.clock
    call = call if isinstance(call, AcuteCall) else AcuteCall.model_validate(call)
    travel = travel or provider_for(sc.travel, cache=False)
    live = to_live(state)
    t = seconds(sc, now, "now")
    check_in_night(live, t, "now")
    if t < live.now:
        raise AcuteInputError(f"now {clock.label(t)} is before the state's last event ({clock.label(live.now)})")
    received = received_seconds(sc, call, t)
    check_in_night(live, received, f"call {call.id!r} received")
    if received > t:
        raise AcuteInputError(f"call {call.id!r} is received at {clock.label(received)}, after now {clock.label(t)}")
    if call.id in {c.id for c in state.calls} | set(state.backup_calls) | {v.id for v in sc.visits}:
        raise AcuteInputError(f"call id {call.id!r} is already used in this night")
    if call.client is not None and call.client not in {c.id for c in sc.clients}:
        raise AcuteInputError(f"call {call.id!r}: client {call.client!r} is not a client of this night")
    check_call_location(state, call, travel, max_call_km)
    live = live.advance(t, travel)
    pick = None
    if choose is not None:
        shifts, after = choose
        if len(shifts) != len(after):
            raise AcuteInputError("choose: give one after_stops value per nurse")
        pick = (tuple(live.vehicle(x) for x in shifts), tuple(int(k) for k in after))
    dec = decide(live.with_call(call, received), call.id, travel, policy, reopt_time_s=reoptimise_s,
                 reopt_solutions=reopt_solutions, choose=pick)
    options = list(dec.options)
    if dec.chosen is not None and all(o is not dec.chosen for o in options):
        options.insert(0, dec.chosen)  # re-optimised routes: the choice heads the ranking
    elif dec.chosen is not None and choose is None:
        options.remove(dec.chosen)
        options.insert(0, dec.chosen)
    ranked = [_describe(o, i + 1, dec.remaining, clock) for i, o in enumerate(options)]
    chosen = next((d for d, o in zip(ranked, options) if o is dec.chosen), None)
    norm_min = call.norm_s / 60
    if chosen is None:
        msg = (f"Call {call.id}: no qualified nurse on shift can go; call the back-up team.")
    elif dec.backup:
        msg = (f"Call {call.id}: no nurse is on site within the {norm_min:.0f} min norm (earliest "
               f"{'+'.join(chosen.shifts)} at {chosen.arrival}, {chosen.response_min:.0f} min): call the back-up team.")
    else:
        msg = (f"Call {call.id}: {'+'.join(chosen.shifts)} goes, on site at {chosen.arrival} "
               f"({chosen.response_min:.0f} min, norm {norm_min:.0f} min met); "
               f"{chosen.late_visits} planned stop(s) late, +{chosen.added_late_min:.0f} min.")
    if chosen is not None and chosen.caps_broken:
        every = "every option" if all(o.caps_broken for o in options) else "the chosen option"
        msg = (f"WARNING: {every} pushes {chosen.caps_broken} planned visit(s) past the lateness they allow. "
               + msg)
    if chosen is None or (dec.backup and choose is None):
        # the team keeps its routes; the call goes to the back-up (unless the dispatcher chose)
        new_state = from_live(state, live, backup_calls=[*state.backup_calls, call.id])
    else:
        stored = call if call.received is not None else call.model_copy(
            update={"received": clock.to_datetime(received).isoformat()})
        new_state = from_live(state, dec.live, calls=[*state.calls, stored])
    return DispatchDecision(call_id=call.id, now=clock.label(t), policy=policy, norm_min=norm_min,
                            backup_recommended=dec.backup, message=msg, chosen=chosen, options=ranked,
                            reoptimised=bool(dec.reopt.get("reoptimised")), state=new_state)


def check_call_location(state: NightState, call: AcuteCall, travel: TravelProvider, max_km: float) -> None:
    """Reject a call outside the region (farther than ``max_km`` from every client) or
    outside what the travel provider can reach."""
    cl = state.scenario.clients
    lat = np.array([call.location.lat] + [c.location.lat for c in cl])
    lon = np.array([call.location.lon] + [c.location.lon for c in cl])
    d = haversine_m(lat, lon)[0, 1:].min() / 1000
    if d > max_km:
        raise AcuteInputError(f"call {call.id!r} at ({call.location.lat:.4f}, {call.location.lon:.4f}) is "
                              f"{d:.0f} km from the nearest client of the region (limit {max_km:g} km)")
    try:
        travel.matrix([call.location, cl[0].location])
    except TravelError as e:
        raise AcuteInputError(f"call {call.id!r}: {e}") from None
