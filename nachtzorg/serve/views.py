"""What each role sees of a derived night: the dispatcher's board, a nurse's route, the
coordinator's totals (organisations only, never a client). The routes pass the night as it
stands now (:meth:`nachtzorg.serve.service.NightLog.at_now`): stops without a report since the
last event count as going to plan (``source`` "plan" in the state)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from ..model import Scenario
from .state import Derived


def _holders(d: Derived) -> dict[str, set[str]]:
    """Shifts that have each stop (remaining or started/done)."""
    out: dict[str, set[str]] = defaultdict(set)
    for n in d.state.nurses:
        for r in n.remaining:
            out[r].add(n.shift)
    for f in d.state.fixed:
        out[f.ref].add(f.shift)
    return out


def _stop_info(scenario: Scenario, d: Derived, ref: str) -> dict[str, Any]:
    visits = {v.id: v for v in scenario.visits}
    if ref in visits:
        v = visits[ref]
        c = scenario.client(v.client)
        return {"ref": ref, "kind": "visit", "client": c.id, "organisation": c.organisation, "care": v.care,
                "lat": c.location.lat, "lon": c.location.lon, "duration_min": v.duration_min, "nurses": v.nurses,
                "windows": [f"{w.start}-{w.end}" for w in v.windows], "access_note": c.access_note}
    call = d.calls[ref]
    return {"ref": ref, "kind": "acute", "client": call.client, "urgency": call.urgency,
            "lat": call.location.lat, "lon": call.location.lon, "duration_min": call.duration_min,
            "nurses": call.nurses, "received": call.received, "windows": [], "access_note": None,
            "organisation": scenario.client(call.client).organisation if call.client in
            {c.id for c in scenario.clients} else None}


def nurse_route(scenario: Scenario, d: Derived, shift: str, key_safe_clients: set[str]) -> dict[str, Any]:
    """Tonight's route of ``shift``: stops done and under way, then the ones to go, in order."""
    state = d.state
    nurse = state.nurse(shift)
    holders = _holders(d)
    planned = {s.visit_id: s for r in d.plan.routes if r.shift_id == shift for s in r.visits}
    stops = []
    for f in sorted((f for f in state.fixed if f.shift == shift), key=lambda f: f.start):
        stops.append({**_stop_info(scenario, d, f.ref), "status": f.status, "start": f.start.isoformat(),
                      "end": f.end.isoformat()})
    doing = any(s["status"] == "in_progress" for s in stops)
    for i, ref in enumerate(nurse.remaining):
        p = planned.get(ref)
        stops.append({**_stop_info(scenario, d, ref), "status": "next" if i == 0 and not doing else "planned",
                      "planned_start": p.start.isoformat() if p else None})
    for s in stops:
        s["partner"] = sorted(holders.get(s["ref"], set()) - {shift})
        s["key_safe"] = s.get("client") in key_safe_clients
    return {"night_id": None, "shift": shift, "as_of": state.as_of.isoformat(), "seq": d.seq,
            "free_at": nurse.free_at.isoformat(), "lat": nurse.lat, "lon": nurse.lon, "stops": stops}


def dispatcher_board(scenario: Scenario, d: Derived) -> list[dict[str, Any]]:
    """Per nurse: where she is, what she does now, her next stop, how many to go."""
    out = []
    for n in d.state.nurses:
        cur = [f for f in d.state.fixed if f.shift == n.shift and f.status == "in_progress"]
        nxt = _stop_info(scenario, d, n.remaining[0]) if n.remaining else None
        out.append({"shift": n.shift, "lat": n.lat, "lon": n.lon, "free_at": n.free_at.isoformat(),
                    "busy_with": cur[-1].ref if cur else None, "to_go": len(n.remaining), "available": n.available,
                    "next": None if nxt is None else {k: nxt[k] for k in ("ref", "kind", "lat", "lon", "windows")},
                    "done": sum(1 for f in d.state.fixed if f.shift == n.shift and f.status == "done")})
    return out


def night_view(scenario: Scenario, d: Derived) -> dict[str, Any]:
    """The whole night for a dispatcher or planner (no key-safe codes: the scenario has none)."""
    out: dict[str, Any] = {"seq": d.seq, "scenario": json.loads(scenario.to_json(indent=None)),
                           "plan": d.plan.model_dump(mode="json") if d.plan else None,
                           "state": None, "board": [], "calls": [],
                           "pending": [{"seq": e.seq, "kind": e.kind, **e.payload} for e in d.pending]}
    if d.state is not None:
        out["state"] = d.state.model_dump(mode="json", exclude={"scenario"})
        out["board"] = dispatcher_board(scenario, d)
        out["as_of"] = d.state.as_of.isoformat()
    out["calls"] = [{"call": c.model_dump(mode="json"), "now": d.call_now[c.id], "assigned": d.assigned.get(c.id)}
                    for c in d.calls.values()]
    return out


def totals(scenario: Scenario, d: Derived) -> dict[str, Any]:
    """Counts per organisation and for the night; no client, visit or stop is named."""
    org_of_client = {c.id: c.organisation for c in scenario.clients}
    org_of_visit = {v.id: org_of_client[v.client] for v in scenario.visits}
    per: dict[str, Counter] = {o.id: Counter() for o in scenario.organisations}
    for v in scenario.visits:
        per[org_of_visit[v.id]]["visits"] += 1
    if d.plan is not None:
        for u in d.plan.unassigned:
            per[org_of_visit[u.visit_id]]["unassigned"] += 1
    if d.state is not None:
        status: dict[str, str] = {}
        for f in d.state.fixed:
            if f.kind == "visit":
                status[f.ref] = "done" if f.status == "done" and status.get(f.ref) != "in_progress" else f.status
        for ref, st in status.items():
            per[org_of_visit[ref]][st] += 1
    for c in d.calls.values():
        org = org_of_client.get(c.client or "")
        if org:
            per[org]["acute_calls"] += 1
    names = {o.id: o.name for o in scenario.organisations}
    orgs = [{"organisation": o, "name": names[o], "visits": c["visits"], "unassigned": c["unassigned"],
             "done": c["done"], "in_progress": c["in_progress"],
             "to_go": c["visits"] - c["unassigned"] - c["done"] - c["in_progress"], "acute_calls": c["acute_calls"]}
            for o, c in per.items()]
    k = d.plan.kpis if d.plan else None
    return {"seq": d.seq, "organisations": orgs,
            "night": {"visits": len(scenario.visits), "nurses_on_shift": len(scenario.shifts),
                      "nurses_used": k.nurses_used if k else None, "planned_km": k.distance_km if k else None,
                      "planned_cost_eur": k.cost_eur if k else None, "acute_calls": len(d.calls),
                      "acute_calls_assigned": len(d.assigned)}}
