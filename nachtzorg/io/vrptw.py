"""Public VRPTW benchmark instances: reading, mapping onto :class:`~nachtzorg.problem.Problem`,
and an independent solution checker.

Formats (read with the ``vrplib`` package, an optional dependency: ``pip install nachtzorg[vrplib]``):

* Solomon text format (``C101.txt``, Gehring & Homberger ``C1_2_2.txt``): ``VEHICLE NUMBER
  CAPACITY`` then one row per node, node 0 = depot;
* VRPLIB ``.vrp`` (``C1_10_2.vrp``) with ``.sol`` best-known routes (``Route #1: 5 3 7`` …
  ``Cost 827.3``).

Convention (DIMACS 2021 VRPTW challenge, CVRPLIB): distance = Euclidean distance **truncated**
to one decimal; travel time = the same distance; cost = total distance only. Everything is
scaled by 10 into integers ("units"): C101's best known 827.3 is 8273 units; times (ready,
due, service) are likewise tenths of the instance's time unit.

Client numbers are the instance's node numbers with the depot as 0 (as in ``.sol`` files);
in the compiled problem node ``i`` *is* client ``i`` and every vehicle starts and ends at
node 0, so routes need no translation.

The checker (:func:`check_solution`) re-reads the raw instance arrays (coordinates, windows,
service, demand, capacity) and recomputes every leg, arrival, load and the cost with its own
arithmetic (integer square roots); it shares nothing with the problem compiler below nor with
:mod:`nachtzorg.schedule`.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..problem import Problem, ProblemBuilder
from ..solve import SolveParams, solve

#: Integer units per instance unit (distances and times are kept in tenths).
SCALE = 10
#: Name of the best-known-solution convention used for gaps.
BKS_CONVENTION = "dimacs_distance_trunc1"
#: The convention of the hierarchical best known solutions (vehicles first, then distance).
HIERARCHICAL = "hierarchical_vehicles_then_distance_double"
#: Penalty (units) for leaving a client unserved: far above any total distance, so the
#: solver drops a client only when no route can take it.
DROP_PENALTY = 10**9


@dataclass(frozen=True)
class VrptwInstance:
    """Raw instance data, as in the file (instance units, not scaled).

    Node 0 is the depot. ``ready``/``due`` bound the *start* of service; the depot's ``due``
    is the latest return. ``n_vehicles`` is the instance's fleet size.
    """

    name: str
    path: Path
    coords: np.ndarray  # (n, 2) float
    demand: np.ndarray  # (n,) int
    ready: np.ndarray  # (n,) float, instance time unit
    due: np.ndarray  # (n,) float
    service: np.ndarray  # (n,) float
    capacity: int
    n_vehicles: int

    @property
    def n_clients(self) -> int:
        return int(self.coords.shape[0]) - 1


def _require_vrplib():
    try:
        import vrplib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError("reading VRPTW instances needs the 'vrplib' package: pip install 'nachtzorg[vrplib]'") from exc
    return vrplib


def _is_solomon(path: Path) -> bool:
    if path.suffix.lower() == ".vrp":
        return False
    if path.suffix.lower() == ".txt":
        return True
    head = path.read_text(errors="replace")[:2000].upper()
    return "VEHICLE" in head and "NODE_COORD_SECTION" not in head


def read_instance(path: str | Path) -> VrptwInstance:
    """Read a Solomon ``.txt`` or VRPLIB ``.vrp`` VRPTW instance.

    Raises :class:`InputError` naming the file for a missing file, an unreadable format or
    inconsistent data (several depots, a depot other than node 0, negative demand, ...).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such instance file")
    vrplib = _require_vrplib()
    solomon = _is_solomon(path)
    try:
        raw = vrplib.read_instance(str(path), instance_format="solomon" if solomon else "vrplib",
                                   compute_edge_weights=False)
    except Exception as exc:  # vrplib raises assorted errors on malformed text
        kind = "Solomon" if solomon else "VRPLIB"
        raise InputError(f"{path}: cannot read as a {kind} VRPTW instance ({type(exc).__name__}: {exc})") from None

    def field_(name: str):
        if name not in raw:
            raise InputError(f"{path}: field {name!r} is missing (found: {', '.join(sorted(raw))})")
        return raw[name]

    coords = np.asarray(field_("node_coord"), dtype=float)
    n = coords.shape[0]
    if coords.ndim != 2 or coords.shape[1] != 2 or n < 2:
        raise InputError(f"{path}: node coordinates must be an (n>=2, 2) table, got shape {coords.shape}")
    if not solomon:
        depot = np.atleast_1d(np.asarray(raw.get("depot", [0])))
        if depot.size != 1 or int(depot[0]) != 0:
            raise InputError(f"{path}: DEPOT_SECTION must list exactly the first node, got {depot.tolist()}")
    demand = np.asarray(field_("demand"), dtype=float)
    tw = np.asarray(field_("time_window"), dtype=float)
    service = np.asarray(field_("service_time"), dtype=float)
    if service.ndim == 0:  # VRPLIB: one SERVICE_TIME for all clients, none at the depot
        service = np.full(n, float(service))
        service[0] = 0.0
    if demand.shape != (n,) or tw.shape != (n, 2) or service.shape != (n,):
        raise InputError(f"{path}: demand/time_window/service_time sizes {demand.shape}/{tw.shape}/"
                         f"{service.shape} do not match {n} nodes")
    if (demand < 0).any() or (demand != np.round(demand)).any():
        bad = int(np.flatnonzero((demand < 0) | (demand != np.round(demand)))[0])
        raise InputError(f"{path}: demand of node {bad} must be a non-negative integer, got {demand[bad]}")
    if (tw[:, 0] > tw[:, 1]).any():
        bad = int(np.flatnonzero(tw[:, 0] > tw[:, 1])[0])
        raise InputError(f"{path}: time window of node {bad} is empty: {tw[bad].tolist()}")
    capacity = raw.get("capacity")
    vehicles = raw.get("vehicles", n - 1)
    try:
        capacity = int(np.max(capacity)) if capacity is not None else int(demand.sum())
        vehicles = int(vehicles)
    except (TypeError, ValueError):
        raise InputError(f"{path}: capacity {capacity!r} / vehicles {vehicles!r} must be integers") from None
    if vehicles < 1 or capacity < 1:
        raise InputError(f"{path}: vehicles ({vehicles}) and capacity ({capacity}) must be >= 1")
    name = str(raw.get("name") or path.stem).strip() or path.stem
    return VrptwInstance(name=name, path=path, coords=coords, demand=demand.astype(np.int64),
                         ready=tw[:, 0].copy(), due=tw[:, 1].copy(), service=service,
                         capacity=capacity, n_vehicles=vehicles)


def _to_units(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float) * SCALE).astype(np.int64)


def distance_matrix(inst: VrptwInstance) -> np.ndarray:
    """Euclidean distances truncated to one decimal, in units (x10), as an int64 matrix."""
    c = inst.coords
    if np.array_equal(c, np.round(c)):  # exact: floor(sqrt(100 d2)) on integers
        ci = c.astype(np.int64)
        d2 = ((ci[:, None, :] - ci[None, :, :]) ** 2).sum(-1) * (SCALE * SCALE)
        r = np.floor(np.sqrt(d2.astype(float))).astype(np.int64)
        r -= (r * r > d2)  # correct float rounding up
        r += ((r + 1) * (r + 1) <= d2)  # ... or down
        return r
    d = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(-1)) * SCALE
    return np.floor(d + 1e-9).astype(np.int64)


#: Fixed cost of a vehicle under the hierarchical objective (units: tenths of distance): more
#: than any Solomon route set drives, so one vehicle fewer always pays.
VEHICLE_COST = 10**6


def to_problem(inst: VrptwInstance, n_vehicles: int | None = None, *, vehicle_cost: int = 0) -> Problem:
    """The instance as a :class:`Problem` (units = tenths), node ``i`` = client ``i``.

    ``n_vehicles`` defaults to the instance's fleet (Solomon: 25). All vehicles start and end
    at node 0 between the depot's ready and due times; cost = distance (1 per unit), plus
    ``vehicle_cost`` per vehicle used (:data:`VEHICLE_COST` for vehicles first).
    """
    m = int(n_vehicles or inst.n_vehicles)
    dist = distance_matrix(inst)
    ready, due, service = _to_units(inst.ready), _to_units(inst.due), _to_units(inst.service)
    b = ProblemBuilder(dist, dist)
    depot = b.add_depot(0)
    for i in range(1, inst.n_clients + 1):
        b.add_task(i, service_s=int(service[i]), windows=[(int(ready[i]), int(due[i]))], penalty=DROP_PENALTY,
                   demand=int(inst.demand[i]), id=str(i))
    for v in range(m):
        b.add_vehicle(depot, depot, shift_start=int(ready[0]), shift_end=int(due[0]), cost_per_m=1,
                      capacity=inst.capacity, id=f"vehicle {v + 1}", fixed_cost=vehicle_cost)
    return b.build()


# --------------------------------------------------------------------------- checker


@dataclass
class VrptwCheck:
    """Result of :func:`check_solution`: cost in units (tenths) and every violation found."""

    cost_units: int
    vehicles_used: int
    issues: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.issues

    @property
    def cost(self) -> float:
        """Total distance in instance units (DIMACS convention, one decimal)."""
        return self.cost_units / SCALE


def _leg(coords: np.ndarray, a: int, b: int) -> int:
    """Distance a->b truncated to one decimal, in tenths (integer square root when exact)."""
    dx, dy = coords[a, 0] - coords[b, 0], coords[a, 1] - coords[b, 1]
    if float(dx).is_integer() and float(dy).is_integer():
        return math.isqrt(int(dx) ** 2 * 100 + int(dy) ** 2 * 100)
    return int(math.floor(math.hypot(dx, dy) * 10 + 1e-9))


def check_solution(inst: VrptwInstance, routes: list[list[int]], *, max_vehicles: int | None = None) -> VrptwCheck:
    """Check ``routes`` (client numbers per used vehicle, depot left out) against the raw
    instance: every client exactly once, load <= capacity, service starts by each due date
    (waiting allowed), back at the depot by its due date, at most ``max_vehicles`` routes
    (default: the instance's fleet). Cost = sum of truncated leg distances, units."""
    n = inst.n_clients + 1
    tenths = lambda x: int(round(float(x) * 10))  # noqa: E731 - local shorthand
    issues: list[str] = []
    seen: dict[int, int] = {}
    cost = 0
    used = 0
    limit = inst.n_vehicles if max_vehicles is None else max_vehicles
    for r, route in enumerate(routes, start=1):
        if not route:
            continue
        used += 1
        t = tenths(inst.ready[0])
        load = 0
        prev = 0
        for c in route:
            c = int(c)
            if not 1 <= c < n:
                issues.append(f"route {r}: client {c} does not exist (clients are 1..{n - 1})")
                continue
            if c in seen:
                issues.append(f"client {c} is visited twice (routes {seen[c]} and {r})")
            seen[c] = r
            d = _leg(inst.coords, prev, c)
            cost += d
            arrive = t + d
            start = max(arrive, tenths(inst.ready[c]))
            if start > tenths(inst.due[c]):
                issues.append(f"route {r}: client {c} starts at {start / 10:g}, after its due date "
                              f"{float(inst.due[c]):g}")
            load += int(inst.demand[c])
            t = start + tenths(inst.service[c])
            prev = c
        d = _leg(inst.coords, prev, 0)
        cost += d
        if t + d > tenths(inst.due[0]):
            issues.append(f"route {r}: back at the depot at {(t + d) / 10:g}, after {float(inst.due[0]):g}")
        if load > inst.capacity:
            issues.append(f"route {r}: load {load} exceeds capacity {inst.capacity}")
    missing = [c for c in range(1, n) if c not in seen]
    if missing:
        more = "" if len(missing) <= 10 else f" and {len(missing) - 10} more"
        issues.append(f"{len(missing)} client(s) not visited: {', '.join(map(str, missing[:10]))}{more}")
    if used > limit:
        issues.append(f"{used} routes used, but the fleet has {limit} vehicles")
    return VrptwCheck(cost, used, issues)


# --------------------------------------------------------------------------- solutions and BKS


def read_solution(path: str | Path) -> tuple[list[list[int]], float | None]:
    """Routes (client numbers) and the stated ``Cost`` (``None`` if absent) of a ``.sol`` file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such solution file")
    vrplib = _require_vrplib()
    try:
        sol = vrplib.read_solution(str(path))
    except Exception as exc:
        raise InputError(f"{path}: cannot read as a VRPLIB solution ({type(exc).__name__}: {exc})") from None
    routes = [[int(c) for c in r] for r in sol.get("routes", [])]
    if not routes:
        raise InputError(f"{path}: no 'Route #k:' lines found")
    cost = sol.get("cost")
    return routes, (float(cost) if cost is not None else None)


def best_known_vehicles(inst: VrptwInstance | str | Path) -> tuple[int, float, str] | None:
    """Best-known (vehicles, distance) under the hierarchical objective (vehicles first, then
    double-precision distance) and where it came from: the ``bks.csv`` row of convention
    ``hierarchical_vehicles_then_distance_double`` beside the instance, or ``None``."""
    path = inst.path if isinstance(inst, VrptwInstance) else Path(inst)
    table = path.parent / "bks.csv"
    if not table.is_file():
        return None
    try:
        with table.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if (row.get("instance") or "").strip().upper() == path.stem.upper() and \
                        (row.get("convention") or "").strip() == HIERARCHICAL:
                    try:
                        return int(row["vehicles"]), float(row["distance"]), str(table)
                    except (KeyError, TypeError, ValueError):
                        raise InputError(f"{table}: {HIERARCHICAL} row for {path.stem} needs numeric vehicles "
                                         f"and distance ({row.get('vehicles')!r}, {row.get('distance')!r})") from None
    except OSError as exc:
        raise InputError(f"{table}: cannot read ({exc})") from None
    return None


def double_distance(inst: VrptwInstance, routes: list[list[int]]) -> float:
    """Total Euclidean distance of ``routes`` (client numbers) in double precision, the
    hierarchical convention's measure."""
    c = np.asarray(inst.coords, dtype=float)
    total = 0.0
    for r in routes:
        path = [0, *r, 0]
        total += float(np.sqrt(((c[path[1:]] - c[path[:-1]]) ** 2).sum(axis=1)).sum())
    return total


def best_known(inst: VrptwInstance | str | Path) -> tuple[float, str] | None:
    """Best-known total distance (DIMACS convention) and where it came from, or ``None``.

    Looks, in order, for a ``bks.csv`` beside the instance (columns ``instance`` and
    ``distance``; when it has a ``convention`` column only ``dimacs_distance_trunc1`` rows
    count), then for ``<stem>.sol`` beside it with a ``Cost`` line.
    """
    path = inst.path if isinstance(inst, VrptwInstance) else Path(inst)
    name = path.stem
    table = path.parent / "bks.csv"
    if table.is_file():
        try:
            with table.open(newline="") as fh:
                for row in csv.DictReader(fh):
                    if (row.get("instance") or "").strip().upper() != name.upper():
                        continue
                    conv = row.get("convention")
                    if conv is not None and conv.strip() != BKS_CONVENTION:
                        continue
                    try:
                        return float(row["distance"]), str(table)
                    except (KeyError, TypeError, ValueError):
                        raise InputError(f"{table}: row for {name} has no numeric 'distance' "
                                         f"({row.get('distance')!r})") from None
        except OSError as exc:
            raise InputError(f"{table}: cannot read ({exc})") from None
    sol = path.with_suffix(".sol")
    if sol.is_file():
        _, cost = read_solution(sol)
        if cost is not None:
            return cost, str(sol)
    return None


# --------------------------------------------------------------------------- solving for the benchmark


@dataclass
class BenchResult:
    """One instance solved: routes as client numbers, DIMACS cost, checker verdict, gap."""

    instance: str
    path: str
    clients: int
    vehicles_available: int
    routes: list[list[int]]
    cost: float
    feasible: bool
    issues: list[str]
    bks: float | None
    bks_source: str | None
    gap_pct: float | None
    wall_s: float
    build_s: float
    stats: dict[str, Any] = field(default_factory=dict)
    objective: str = "distance"
    distance_double: float | None = None  # vehicles first: double-precision distance
    bks_vehicles: int | None = None  # vehicles first: best known vehicles and distance
    bks_distance: float | None = None

    def as_dict(self) -> dict[str, Any]:
        extra = {} if self.objective == "distance" else {
            "objective": self.objective, "distance_double": self.distance_double,
            "bks_vehicles": self.bks_vehicles, "bks_distance_double": self.bks_distance}
        return {**extra, 
            "instance": self.instance, "path": self.path, "clients": self.clients,
            "vehicles_available": self.vehicles_available, "vehicles_used": len(self.routes),
            "cost": self.cost, "feasible": self.feasible, "issues": self.issues,
            "bks": self.bks, "bks_source": self.bks_source, "gap_pct": self.gap_pct,
            "wall_s": round(self.wall_s, 3), "build_s": round(self.build_s, 3),
            "routes": self.routes, "stats": self.stats,
        }


def solve_instance(inst: VrptwInstance, params: SolveParams, *, objective: str = "distance") -> BenchResult:
    """Solve one instance with :func:`~nachtzorg.solve.solve` and check it independently.

    ``objective``: ``distance`` (the DIMACS convention, gap against its best known) or
    ``vehicles`` (vehicles first, then distance: each vehicle costs :data:`VEHICLE_COST`;
    compared with the hierarchical best known vehicles and double-precision distance)."""
    if objective not in ("distance", "vehicles"):
        raise InputError(f"objective must be distance or vehicles, got {objective[:40]!r}")
    t0 = time.perf_counter()
    problem = to_problem(inst, vehicle_cost=VEHICLE_COST if objective == "vehicles" else 0)
    res = solve(problem, params)
    wall = time.perf_counter() - t0
    routes = [[int(c) for c in r] for r in res.routes if r]
    chk = check_solution(inst, routes)
    if objective == "vehicles":
        hk = best_known_vehicles(inst)
        dist = round(double_distance(inst, routes), 2)
        bv, bd, src = hk if hk is not None else (None, None, None)
        gap = None if bd is None or bv != len(routes) else round(100.0 * (dist - bd) / bd, 3)
        return BenchResult(inst.name, str(inst.path), inst.n_clients, inst.n_vehicles, routes, chk.cost,
                           chk.feasible, chk.issues, None, src, gap, wall, res.build_s, dict(res.stats),
                           objective, dist, bv, bd)
    bk = best_known(inst)
    bks, src = (bk if bk is not None else (None, None))
    gap = None if bks is None else round(100.0 * (chk.cost - bks) / bks, 3)
    return BenchResult(inst.name, str(inst.path), inst.n_clients, inst.n_vehicles, routes, chk.cost,
                       chk.feasible, chk.issues, bks, src, gap, wall, res.build_s, dict(res.stats))


def summarise(results: list[BenchResult]) -> dict[str, Any]:
    """Instances, how many feasible, the mean gap over those with a best known, total wall time;
    vehicles first: also the vehicles used and best known in all, and on how many instances the
    vehicles equal the best known (the distance gap is over those)."""
    gaps = [r.gap_pct for r in results if r.gap_pct is not None and r.feasible]
    out: dict[str, Any] = {
        "instances": len(results),
        "feasible": sum(r.feasible for r in results),
        "mean_gap_pct": round(sum(gaps) / len(gaps), 3) if gaps else None,
        "with_gap": len(gaps),
        "wall_s": round(sum(r.wall_s for r in results), 3),
    }
    if results and results[0].objective == "vehicles":
        known = [r for r in results if r.bks_vehicles is not None]
        out.update(vehicles=sum(len(r.routes) for r in results),
                   bks_vehicles=sum(r.bks_vehicles for r in known) if known else None,
                   vehicles_of_known=sum(len(r.routes) for r in known),
                   vehicles_at_bks=sum(1 for r in known if len(r.routes) <= r.bks_vehicles))
    return out
