"""Shared builders: small hand-made nights and a deterministic plan-and-check helper."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from nachtzorg import Plan, Scenario, SolveParams, check_plan, plan_night

ROOT = Path(__file__).resolve().parents[1]
ASSEN = ROOT / "examples" / "assen" / "scenario.json"


def benchmark_script(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` loaded as a module (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


#: Deterministic search for tests: a solution limit, no wall-clock limit.
DETERMINISTIC = SolveParams(time_limit_s=None, solution_limit=60, seed=0)

BASE = {"lat": 52.993, "lon": 6.562}  # Assen


def point(dlat_km: float = 0.0, dlon_km: float = 0.0) -> dict[str, float]:
    """A point ``dlat_km`` north and ``dlon_km`` east of Assen (approximate, fine for tests)."""
    return {"lat": round(BASE["lat"] + dlat_km / 111.2, 6), "lon": round(BASE["lon"] + dlon_km / 67.0, 6)}


def night(clients: list[dict[str, Any]], visits: list[dict[str, Any]], shifts: list[dict[str, Any]] | None = None,
          **extra: Any) -> dict[str, Any]:
    """A scenario dict with one organisation (unless clients name others) and default shifts."""
    orgs = sorted({c.get("organisation", "org-a") for c in clients} | {"org-a"})
    for c in clients:
        c.setdefault("organisation", "org-a")
    shifts = shifts if shifts is not None else [nurse("n1"), nurse("n2")]
    data = {"name": "test night", "date": "2026-11-22", "organisations": [{"id": o, "name": o.upper()} for o in orgs],
            "clients": clients, "visits": visits, "shifts": shifts}
    data.update(extra)
    return data


def nurse(id: str, level: int = 4, start: dict[str, float] | None = None, t0: str = "22:45", t1: str = "07:15",
          **kw: Any) -> dict[str, Any]:
    return {"id": id, "qualification": level, "start_location": start or dict(BASE), "start_time": t0,
            "end_time": t1, **kw}


def client(id: str, dlat_km: float = 0.0, dlon_km: float = 0.0, **kw: Any) -> dict[str, Any]:
    return {"id": id, "location": point(dlat_km, dlon_km), **kw}


def visit(id: str, client: str, start: str = "23:00", end: str = "06:00", minutes: float = 15, **kw: Any) -> dict[str, Any]:
    windows = kw.pop("windows", None) or [{"start": start, "end": end}]
    return {"id": id, "client": client, "windows": windows, "duration_min": minutes, **kw}


def solve_checked(data: dict[str, Any] | Scenario, params: SolveParams = DETERMINISTIC) -> tuple[Scenario, Plan]:
    """Plan deterministically and assert the independent checker accepts the plan."""
    scenario = data if isinstance(data, Scenario) else Scenario.model_validate(copy.deepcopy(data))
    plan = plan_night(scenario, params)
    report = check_plan(scenario, plan)
    assert report.ok, str(report)
    return scenario, plan


def stops_by_visit(plan: Plan) -> dict[str, list[tuple[str, Any]]]:
    out: dict[str, list[tuple[str, Any]]] = {}
    for r in plan.routes:
        for s in r.visits:
            out.setdefault(s.visit_id, []).append((r.shift_id, s))
    return out


@pytest.fixture(scope="session")
def assen() -> Scenario:
    return Scenario.load(ASSEN)
