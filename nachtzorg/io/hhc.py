"""The home-health-care benchmark of Mankowska, Meisel & Bierwirth (2014): reading the instance
files and an independent evaluator of solutions.

D.S. Mankowska, F. Meisel, C. Bierwirth, "The home health care routing and scheduling problem with
interdependent services", Health Care Management Science 17 (2014) 15-30,
doi:10.1007/s10729-013-9243-1.

File format (whitespace separated; a section keyword on its own line, then its numbers): ``nbNodes``
N (patients + 2; node 0 the start depot, node N-1 the end depot), ``nbVehi`` K caregivers,
``nbServi`` S service types, ``r`` N x S (1 = node requires service; depot rows ignored), ``DS`` the
two-service patients numbered from 1 (value v is node v-1), ``a`` K x S (1 = caregiver qualified),
``x``/``y`` N coordinates, ``d`` N x N travel distance = travel time (minutes), ``p`` N*K rows x S
(row i*K + k: duration of service s at node i by caregiver k, minutes), ``mind``/``maxd`` N (the
higher-indexed service of a two-service patient starts between mind and maxd minutes after the
lower-indexed one; 0/0 = both at the same time), ``e``/``l`` N (window for the start of service,
minutes).

Rules scored by :func:`evaluate_hhc`: every required service is done exactly once, by a caregiver
qualified for it; a patient's two services by two different caregivers, within their gap; a
caregiver leaves the start depot at ``e_0`` (0 in every bundled file; Kummer et al.'s published
decoder also leaves at time 0) and starts a service no earlier than its arrival and no earlier
than ``e_i``; a start after ``l_i`` is allowed and counts as tardiness ``max(0, start - l_i)``
per service (a two-caregiver visit that starts late counts twice, as in Kummer et al.'s decoder).
The depots' ``l`` values bound nothing. Objective, as in every published result: (total travel
distance, depot to depot + total tardiness + maximum tardiness) / 3.

The evaluator shares no code with any solver: it recomputes every leg, arrival and tardiness from
the instance arrays and the stops it is given.
"""

from __future__ import annotations

import csv
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..model import Scenario
from ..plan import Plan

#: Section keywords, in file order.
SECTIONS = ("nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "x", "y", "d", "p", "mind", "maxd", "e", "l")
#: Name of the file of best-known objectives beside the instances (columns ``file``, ``best_known``).
BEST_KNOWN_FILE = "best_known.csv"
#: Tolerance (minutes) of the evaluator's time comparisons.
TOLERANCE_MIN = 1e-6


@dataclass(frozen=True, eq=False)
class HhcInstance:
    """One benchmark instance, as in the file (minutes; nodes numbered as in the file).

    Node 0 is the start depot, node ``n_nodes - 1`` the end depot (same place), nodes
    ``1 .. n_patients`` the patients. Services and caregivers are 0-based, caregivers in file order.
    """

    name: str
    path: Path
    n_patients: int
    n_caregivers: int
    n_services: int
    requires: np.ndarray  # (N, S) bool; the depot rows are False
    qualified: np.ndarray  # (K, S) bool
    coords: np.ndarray  # (N, 2) float
    distance: np.ndarray  # (N, N) float, minutes (travel time = distance)
    duration: np.ndarray  # (N, K, S) float, minutes
    min_gap: np.ndarray  # (N,) float, minutes; meaningful for two-service patients only
    max_gap: np.ndarray  # (N,) float, minutes
    ready: np.ndarray  # (N,) float, earliest start e_i, minutes
    due: np.ndarray  # (N,) float, start after l_i is tardy, minutes
    double: tuple[int, ...]  # patient nodes requiring two services, ascending

    @property
    def n_nodes(self) -> int:
        """Nodes in the file: patients + start depot + end depot."""
        return self.n_patients + 2

    @property
    def end_depot(self) -> int:
        return self.n_patients + 1

    @property
    def patients(self) -> range:
        """Patient node numbers, as in the file."""
        return range(1, self.n_patients + 1)

    def services(self, node: int) -> tuple[int, ...]:
        """The services (0-based, ascending) that patient ``node`` requires."""
        return tuple(int(s) for s in np.flatnonzero(self.requires[node]))

    def synchronised(self, node: int) -> bool:
        """True for a two-service patient whose services start together (gap 0/0)."""
        return node in self.double and self.min_gap[node] == 0 and self.max_gap[node] == 0


def _preview(value: object, width: int = 40) -> str:
    text = " ".join(str(value).split())
    return repr(text if len(text) <= width else text[: width - 3] + "...")


class _Reader:
    """Splits a file into sections of rows and turns them into checked arrays."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.rows: dict[str, list[tuple[int, list[str]]]] = {}
        current: str | None = None
        for lineno, line in enumerate(text.splitlines(), 1):
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) == 1 and tokens[0] in SECTIONS:
                current = tokens[0]
                if current in self.rows:
                    raise InputError(f"{path}: section {current!r} appears twice (again at line {lineno})")
                self.rows[current] = []
                continue
            if len(tokens) == 1 and tokens[0][:1].isalpha() and tokens[0].lower() not in ("nan", "inf", "infinity"):
                raise InputError(f"{path}: line {lineno}: unknown section {_preview(tokens[0])} "
                                 f"(known: {', '.join(SECTIONS)})")
            if current is None:
                raise InputError(f"{path}: line {lineno}: numbers before any section keyword: {_preview(line)}")
            self.rows[current].append((lineno, tokens))
        missing = [s for s in SECTIONS if s not in self.rows]
        if missing:
            raise InputError(f"{path}: section(s) {', '.join(map(repr, missing))} missing")

    def _number(self, section: str, lineno: int, token: str) -> float:
        try:
            value = float(token)
        except ValueError:
            raise InputError(f"{self.path}: section {section!r} (line {lineno}): {_preview(token)} "
                             f"is not a number") from None
        if not math.isfinite(value):
            raise InputError(f"{self.path}: section {section!r} (line {lineno}): {_preview(token)} "
                             f"is not a finite number")
        return value

    def scalar(self, section: str, *, minimum: int) -> int:
        rows = self.rows[section]
        tokens = [(ln, t) for ln, row in rows for t in row]
        if len(tokens) != 1:
            shown = " ".join(t for _, t in tokens)
            raise InputError(f"{self.path}: section {section!r} must hold one integer, found {len(tokens)} values "
                             f"{_preview(shown)}")
        lineno, token = tokens[0]
        value = self._number(section, lineno, token)
        if value != int(value) or value < minimum:
            raise InputError(f"{self.path}: section {section!r} (line {lineno}): {_preview(token)} must be an "
                             f"integer >= {minimum}")
        return int(value)

    def vector(self, section: str, n: int) -> np.ndarray:
        """``n`` numbers, on one row or wrapped over several."""
        values = [self._number(section, ln, t) for ln, row in self.rows[section] for t in row]
        if len(values) != n:
            first = self.rows[section][0][1] if self.rows[section] else []
            raise InputError(f"{self.path}: section {section!r} must hold {n} values (one per node), found "
                             f"{len(values)}: {_preview(' '.join(first))}")
        return np.asarray(values, dtype=float)

    def matrix(self, section: str, n_rows: int, n_cols: int, what: str) -> np.ndarray:
        rows = self.rows[section]
        if len(rows) != n_rows:
            last = rows[-1][1] if rows else []
            raise InputError(f"{self.path}: section {section!r} must have {n_rows} rows ({what}), found "
                             f"{len(rows)} (last row {_preview(' '.join(last))})")
        out = np.empty((n_rows, n_cols), dtype=float)
        for i, (lineno, row) in enumerate(rows):
            if len(row) != n_cols:
                raise InputError(f"{self.path}: section {section!r} row {i} (line {lineno}) must have {n_cols} "
                                 f"values, found {len(row)}: {_preview(' '.join(row))}")
            out[i] = [self._number(section, lineno, t) for t in row]
        return out

    def binary(self, section: str, n_rows: int, n_cols: int, what: str) -> np.ndarray:
        m = self.matrix(section, n_rows, n_cols, what)
        bad = np.argwhere((m != 0) & (m != 1))
        if bad.size:
            i, j = (int(x) for x in bad[0])
            lineno = self.rows[section][i][0]
            token = self.rows[section][i][1][j]
            raise InputError(f"{self.path}: section {section!r} row {i} (line {lineno}): {_preview(token)} "
                             f"must be 0 or 1")
        return m.astype(bool)

    def line_of(self, section: str, row: int) -> int:
        return self.rows[section][row][0]


def read_hhc(path: str | Path) -> HhcInstance:
    """Read one instance file of Mankowska et al. (2014).

    Raises :class:`~nachtzorg.exceptions.InputError` naming the file, the section and a short
    preview of the value for a missing or malformed section, a wrong number of rows or values, a
    value that is not a number, a ``DS`` list that disagrees with ``r``, a patient without a
    required service (or with more than two), and a required service nobody is qualified for.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such instance file")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the instance file ({type(exc).__name__}: {exc})") from None
    rd = _Reader(path, text)
    n = rd.scalar("nbNodes", minimum=3)
    k = rd.scalar("nbVehi", minimum=1)
    s = rd.scalar("nbServi", minimum=1)
    patients = range(1, n - 1)

    requires = rd.binary("r", n, s, "one per node")
    requires[0] = requires[n - 1] = False  # depot rows are all 1 in the files: not services
    qualified = rd.binary("a", k, s, "one per caregiver")
    coords = np.column_stack([rd.vector("x", n), rd.vector("y", n)])
    distance = rd.matrix("d", n, n, "one per node")
    duration = rd.matrix("p", n * k, s, f"nbNodes x nbVehi = {n} x {k}, node-major").reshape(n, k, s)
    min_gap, max_gap = rd.vector("mind", n), rd.vector("maxd", n)
    ready, due = rd.vector("e", n), rd.vector("l", n)
    for name, arr in (("d", distance), ("p", duration)):
        if (arr < 0).any():
            idx = tuple(int(x) for x in np.argwhere(arr < 0)[0])
            raise InputError(f"{path}: section {name!r} holds a negative value {arr[idx]:g} at {idx}")

    ds_nodes: list[int] = []
    for lineno, row in rd.rows["DS"]:
        for token in row:
            v = rd._number("DS", lineno, token)
            if v != int(v) or not (2 <= v <= n - 1):
                raise InputError(f"{path}: section 'DS' (line {lineno}): {_preview(token)} must be a patient number "
                                 f"from 2 to {n - 1} (value v is node v-1)")
            if int(v) - 1 in ds_nodes:
                raise InputError(f"{path}: section 'DS' (line {lineno}): {_preview(token)} is listed twice")
            ds_nodes.append(int(v) - 1)
    counts = requires.sum(axis=1)
    for i in patients:
        row = _preview(" ".join(rd.rows["r"][i][1]))
        where = f"section 'r' row {i} (line {rd.line_of('r', i)})"
        if counts[i] == 0:
            raise InputError(f"{path}: {where}: patient node {i} requires no service: {row}")
        if counts[i] > 2:
            raise InputError(f"{path}: {where}: patient node {i} requires {counts[i]} services (at most 2): {row}")
        if counts[i] == 2 and i not in ds_nodes:
            raise InputError(f"{path}: section 'DS' disagrees with 'r': patient node {i} requires two services "
                             f"({where}: {row}) but DS does not list {i + 1}")
        if counts[i] == 1 and i in ds_nodes:
            raise InputError(f"{path}: section 'DS' disagrees with 'r': DS lists {i + 1} (node {i}) but {where} "
                             f"requires one service: {row}")
    double = tuple(sorted(ds_nodes))
    for i in double:
        if not (0 <= min_gap[i] <= max_gap[i]):
            raise InputError(f"{path}: sections 'mind'/'maxd': the gap of patient node {i} must satisfy "
                             f"0 <= mind <= maxd, got {min_gap[i]:g}/{max_gap[i]:g}")
    for srv in range(s):
        needed = [i for i in patients if requires[i, srv]]
        if needed and not qualified[:, srv].any():
            raise InputError(f"{path}: section 'a': no caregiver is qualified for service {srv} (column {srv} is "
                             f"all 0), which patient node(s) {_preview(needed)} require")

    return HhcInstance(name=path.stem, path=path, n_patients=n - 2, n_caregivers=k, n_services=s,
                       requires=requires, qualified=qualified, coords=coords, distance=distance,
                       duration=duration, min_gap=min_gap, max_gap=max_gap, ready=ready, due=due,
                       double=double)


def best_known_hhc(path_or_instance: str | Path | HhcInstance) -> float | None:
    """The best-known objective of an instance from ``best_known.csv`` beside its file (row whose
    ``file`` column is the instance's file name), or None when there is no such file or row."""
    path = path_or_instance.path if isinstance(path_or_instance, HhcInstance) else Path(path_or_instance)
    table = path.parent / BEST_KNOWN_FILE
    if not table.is_file():
        return None
    with table.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"file", "best_known"} <= set(reader.fieldnames):
            raise InputError(f"{table}: needs the columns 'file' and 'best_known', found {_preview(reader.fieldnames)}")
        for row in reader:
            if (row.get("file") or "").strip() == path.name:
                value = (row.get("best_known") or "").strip()
                try:
                    return float(value)
                except ValueError:
                    raise InputError(f"{table}: best_known of {path.name} is not a number: {_preview(value)}") from None
    return None


@dataclass(frozen=True)
class HhcEvaluation:
    """What :func:`evaluate_hhc` recomputed (minutes). ``valid`` is True when ``issues`` is empty."""

    valid: bool
    issues: tuple[str, ...]
    distance: float
    total_tardiness: float
    max_tardiness: float
    objective: float  # (distance + total_tardiness + max_tardiness) / 3

    def __str__(self) -> str:
        head = (f"{'valid' if self.valid else 'INVALID'}: objective {self.objective:.2f} "
                f"(distance {self.distance:.2f}, tardiness {self.total_tardiness:.2f}, max {self.max_tardiness:.2f})")
        return "\n".join([head, *(f"- {i}" for i in self.issues)])


def _stop_fields(stop: Any) -> tuple[int, int, float]:
    if not isinstance(stop, Mapping):
        raise ValueError(f"is not a mapping with node/service/start: {_preview(stop)}")
    try:
        raw = (stop["node"], stop["service"], stop["start"])
    except KeyError as exc:
        raise ValueError(f"has no {exc.args[0]!r}: {_preview(stop)}") from None
    if isinstance(raw[0], bool) or isinstance(raw[1], bool):
        raise ValueError(f"node and service must be integers: {_preview(stop)}")
    try:
        node, service = operator.index(raw[0]), operator.index(raw[1])
        start = float(raw[2])
    except (TypeError, ValueError):
        raise ValueError(f"node and service must be integers and start a number: {_preview(stop)}") from None
    if not math.isfinite(start):
        raise ValueError(f"start must be a finite number: {_preview(stop)}")
    return node, service, start


def evaluate_hhc(inst: HhcInstance, routes: Sequence[Sequence[Mapping[str, Any]]], *,
                 tol: float = TOLERANCE_MIN) -> HhcEvaluation:
    """Check and score a solution.

    ``routes`` holds one list per caregiver, in file order, of stops ``{"node": int, "service": int,
    "start": float}``: ``node`` as numbered in the file (patients 1..N-2), ``service`` 0-based,
    ``start`` the start of service in minutes. Caregivers are named by their 0-based position.
    Every rule broken becomes one issue in plain words; malformed stops are reported and left out
    of the sums. ``tol`` (minutes) is allowed on every time comparison.
    """
    n, k_count, s_count = inst.n_nodes, inst.n_caregivers, inst.n_services
    d, issues = inst.distance, []
    if len(routes) != k_count:
        issues.append(f"{len(routes)} routes given; the instance has {k_count} caregivers (one route each, in file "
                      f"order{'; the extra routes are ignored' if len(routes) > k_count else ''})")
    done: dict[tuple[int, int], list[tuple[int, float]]] = {}
    distance = total_tard = max_tard = 0.0
    for k, route in enumerate(list(routes)[:k_count]):
        prev, free_at = 0, float(inst.ready[0])  # leaves the start depot at e_0
        for pos, stop in enumerate(route):
            who = f"caregiver {k} stop {pos}"
            try:
                node, srv, start = _stop_fields(stop)
            except ValueError as exc:
                issues.append(f"{who} {exc}")
                continue
            if not (1 <= node <= inst.n_patients):
                issues.append(f"{who}: node {node} is not a patient (patients are 1..{inst.n_patients})")
                continue
            if not (0 <= srv < s_count):
                issues.append(f"{who}: service {srv} does not exist (services are 0..{s_count - 1})")
                continue
            who = f"caregiver {k} at patient {node} (service {srv})"
            travel = float(d[prev, node])
            distance += travel
            arrival = free_at + travel
            if start < arrival - tol:
                issues.append(f"{who} starts at {start:.4f} min, {arrival - start:.3g} min before arriving "
                              f"(at {arrival:.4f} min)")
            if start < inst.ready[node] - tol:
                issues.append(f"{who} starts at {start:.4f} min, {inst.ready[node] - start:.3g} min before the window "
                              f"opens at {inst.ready[node]:g} min")
            if not inst.requires[node, srv]:
                issues.append(f"{who}: patient {node} does not require service {srv} "
                              f"(requires {list(inst.services(node))})")
            if not inst.qualified[k, srv]:
                issues.append(f"{who}: caregiver {k} is not qualified for service {srv}")
            tard = max(0.0, start - float(inst.due[node]))
            total_tard += tard
            max_tard = max(max_tard, tard)
            done.setdefault((node, srv), []).append((k, start))
            prev, free_at = node, start + float(inst.duration[node, k, srv])
        if prev != 0:
            distance += float(d[prev, n - 1])
    for i in inst.patients:
        for srv in inst.services(i):
            got = done.get((i, srv), [])
            if not got:
                issues.append(f"patient {i}: service {srv} is not done")
            elif len(got) > 1:
                issues.append(f"patient {i}: service {srv} is done {len(got)} times (caregivers {[g[0] for g in got]})")
    for i in inst.double:
        lo, hi = inst.services(i)
        a, b = done.get((i, lo), []), done.get((i, hi), [])
        if len(a) != 1 or len(b) != 1:
            continue  # already reported
        (k_lo, t_lo), (k_hi, t_hi) = a[0], b[0]
        if k_lo == k_hi:
            issues.append(f"patient {i}: services {lo} and {hi} are both done by caregiver {k_lo}; they need two "
                          f"different caregivers")
        gap, mind, maxd = t_hi - t_lo, float(inst.min_gap[i]), float(inst.max_gap[i])
        if gap < mind - tol or gap > maxd + tol:
            rule = ("must start at the same time as" if mind == maxd == 0
                    else f"must start {mind:g} to {maxd:g} min after")
            issues.append(f"patient {i}: service {hi} starts {gap:+.4f} min after service {lo}; it {rule} service {lo}")
    objective = (distance + total_tard + max_tard) / 3.0
    return HhcEvaluation(valid=not issues, issues=tuple(issues), distance=distance, total_tardiness=total_tard,
                         max_tardiness=max_tard, objective=objective)


# --------------------------------------------------------------------------- as an ordinary night
#: The day an instance is posed on, and the time minute 0 of the instance falls on (UTC, no DST).
HHC_DATE = "2026-01-05"
_T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
#: A caregiver's shift, from minute 0: long enough for any route of these instances, minutes.
HHC_SHIFT_MIN = 23 * 60 + 59


def _at(minutes: float) -> str:
    """ISO time of ``minutes`` after minute 0 of the instance, whole seconds (rounded up)."""
    return (_T0 + timedelta(seconds=math.ceil(minutes * 60 - 1e-9))).isoformat()


def _place(k: int) -> dict[str, float]:
    """A made-up, distinct coordinate for node ``k`` (the matrix gives the real travel)."""
    return {"lat": round(50.0 + k * 1e-4, 6), "lon": 5.0}


def hhc_scenario(inst: HhcInstance) -> Scenario:
    """The instance as an ordinary scenario (validated): one client per patient, one visit per
    (patient, service) that needs the service's skill, the second service of a two-service
    patient after the first (its gap, another caregiver), one shift per caregiver from the start
    to the end depot, travel as a matrix (minutes as seconds, the distance as metres x 1000:
    1 euro per distance unit), lateness 1 euro per minute and the largest lateness 1 euro per
    minute: the plan's cost is the paper's objective x 3 (up to rounding to whole seconds)."""
    n, end = inst.n_nodes, inst.end_depot
    d = inst.distance.astype(float)
    places = [_place(k) for k in range(n)]
    visits = []
    for i in inst.patients:
        first = None
        for s in inst.services(i):
            dur = math.ceil(float(inst.duration[i, 0, s]) * 60 - 1e-9) / 60
            v = {"id": f"p{i}-s{s}", "client": f"p{i}", "duration_min": dur, "qualification": 1,
                 "skills": [f"service-{s}"],
                 "windows": [{"start": _at(float(inst.ready[i])), "end": _at(float(inst.due[i]))}],
                 "max_lateness_min": HHC_SHIFT_MIN, "lateness_cost_per_min_eur": 1.0, "care": f"service {s}"}
            if first is not None:
                v["after"] = [{"visit": first, "min_gap_min": float(inst.min_gap[i]),
                               "max_gap_min": float(inst.max_gap[i]), "nurse": "different"}]
            first = first or v["id"]
            visits.append(v)
    shifts = [{"id": f"caregiver-{k}", "qualification": 1,
               "skills": [f"service-{s}" for s in range(inst.n_services) if inst.qualified[k, s]],
               "start_location": places[0], "end_location": places[end], "start_time": _at(0),
               "end_time": _at(HHC_SHIFT_MIN), "cost_per_shift_eur": 0.0, "cost_per_km_eur": 1.0}
              for k in range(inst.n_caregivers)]
    return Scenario.model_validate({
        "name": inst.name, "date": HHC_DATE, "timezone": "UTC",
        "organisations": [{"id": "hhc", "name": "home health care benchmark"}],
        "clients": [{"id": f"p{i}", "organisation": "hhc", "location": places[i]} for i in inst.patients],
        "visits": visits, "shifts": shifts, "lateness_cost_per_min_eur": 1.0, "max_lateness_cost_per_min_eur": 1.0,
        "travel": {"provider": "matrix", "locations": places, "duration_s": (d * 60).tolist(),
                   "distance_m": (d * 1000).tolist()},
    })


def plan_routes(inst: HhcInstance, plan: Plan) -> list[list[dict[str, float]]]:
    """A plan of :func:`hhc_scenario`'s night as the evaluator's routes (caregivers in file order;
    ``start`` in minutes after minute 0)."""
    by_shift = {r.shift_id: r for r in plan.routes}
    out = []
    for k in range(inst.n_caregivers):
        r = by_shift.get(f"caregiver-{k}")
        stops = []
        for s in (r.visits if r is not None else []):
            node, service = s.visit_id[1:].split("-s")
            stops.append({"node": int(node), "service": int(service),
                          "start": (s.start - _T0).total_seconds() / 60})
        out.append(stops)
    return out
