"""``nachtzorg bench vrptw``: solve public VRPTW instances with the night planner's solver.

Each instance (Solomon ``.txt`` or VRPLIB ``.vrp``) is compiled into the same
:class:`~nachtzorg.problem.Problem` the night planner uses and solved by the same
:func:`~nachtzorg.solve.solve_problem` (1000-customer instances: in groups of nearby routes,
:mod:`nachtzorg.solve.decompose`); the routes are then re-checked by the independent
checker in :mod:`nachtzorg.io.vrptw` (which also computes the DIMACS cost: truncated
Euclidean distance, one decimal). The gap is taken against the best known solution found in a
``bks.csv`` beside the instance (``dimacs_distance_trunc1`` rows) or in ``<stem>.sol`` beside
it (its ``Cost`` line); without either, no gap is printed.

Exit codes: 0 all solutions feasible, 1 some solution infeasible, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from .exceptions import InputError, NachtzorgError
from .io.vrptw import VrptwInstance, best_known, check_solution, read_instance, to_problem
from .problem import Problem
from .solve import SolveParams, SolveResult, solve_problem
from .solve.construct import is_plain
from .solve.decompose import DECOMPOSE_MIN_TASKS, solve_decomposed
from .solve.search import ILS_PHASE_S


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance, "path": self.path, "clients": self.clients,
            "vehicles_available": self.vehicles_available, "vehicles_used": len(self.routes),
            "cost": self.cost, "feasible": self.feasible, "issues": self.issues,
            "bks": self.bks, "bks_source": self.bks_source, "gap_pct": self.gap_pct,
            "wall_s": round(self.wall_s, 3), "build_s": round(self.build_s, 3),
            "routes": self.routes, "stats": self.stats,
        }


def solve_vrptw_problem(problem: Problem, params: SolveParams) -> SolveResult:
    """The VRPTW search: :func:`solve_problem`, or for plain problems of
    :data:`DECOMPOSE_MIN_TASKS` customers or more with a time limit, route-group decomposition
    (:func:`~nachtzorg.solve.decompose.solve_decomposed`)."""
    if problem.n_tasks >= DECOMPOSE_MIN_TASKS and params.time_limit_s is not None and is_plain(problem):
        return solve_decomposed(problem, params)
    return solve_problem(problem, params)


def solve_instance(inst: VrptwInstance, params: SolveParams) -> BenchResult:
    """Solve one instance with :func:`solve_vrptw_problem` and check it independently."""
    t0 = time.perf_counter()
    problem = to_problem(inst)
    res = solve_vrptw_problem(problem, params)
    wall = time.perf_counter() - t0
    routes = [[int(c) for c in r] for r in res.routes if r]
    chk = check_solution(inst, routes)
    bk = best_known(inst)
    bks, src = (bk if bk is not None else (None, None))
    gap = None if bks is None else round(100.0 * (chk.cost - bks) / bks, 3)
    return BenchResult(inst.name, str(inst.path), inst.n_clients, inst.n_vehicles, routes, chk.cost,
                       chk.feasible, chk.issues, bks, src, gap, wall, res.build_s, dict(res.stats))


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``nachtzorg bench vrptw``."""
    parser.add_argument("instances", metavar="INSTANCE", nargs="+",
                        help="Solomon .txt or VRPLIB .vrp VRPTW instance file(s)")
    parser.add_argument("--time-limit", type=float, required=True, metavar="S",
                        help="wall-clock search budget per instance, seconds")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="search seed (default 0)")
    parser.add_argument("--solution-limit", type=int, default=None, metavar="K",
                        help="also stop after K improving solutions (makes a run deterministic)")
    parser.add_argument("--ortools", default=None, metavar="TEXT",
                        help="OR-Tools RoutingSearchParameters in protobuf text format, merged over ours "
                             "(SolveParams.ortools_overrides), e.g. 'local_search_operators { use_exchange: BOOL_FALSE }'")
    parser.add_argument("--ils-phases", type=int, default=None, metavar="K",
                        help="run the search in K phases, each from the best plan so far (SolveParams.ils_phases; "
                             f"default: one per {ILS_PHASE_S:g} s of the time limit, so 1 turns phases off)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


def _summary(results: list[BenchResult]) -> dict[str, Any]:
    gaps = [r.gap_pct for r in results if r.gap_pct is not None and r.feasible]
    return {
        "instances": len(results),
        "feasible": sum(r.feasible for r in results),
        "mean_gap_pct": round(sum(gaps) / len(gaps), 3) if gaps else None,
        "with_gap": len(gaps),
        "wall_s": round(sum(r.wall_s for r in results), 3),
    }


def _print_text(r: BenchResult, out) -> None:
    gap = "" if r.gap_pct is None else f"  bks {r.bks:g}  gap {r.gap_pct:.2f} %"
    verdict = "feasible" if r.feasible else "INFEASIBLE"
    print(f"{r.instance}: cost {r.cost:.1f}  {verdict}{gap}  vehicles {len(r.routes)}/{r.vehicles_available}"
          f"  wall {r.wall_s:.2f} s", file=out)
    for issue in r.issues:
        print(f"  ! {issue}", file=out)
    for k, route in enumerate(r.routes, start=1):
        print(f"  Route #{k}: {' '.join(map(str, route))}", file=out)


def run_bench(args: argparse.Namespace) -> int:
    """Run ``bench vrptw``; returns the exit code (0 ok, 1 infeasible result, 2 bad input)."""
    out = sys.stdout
    try:
        if not args.time_limit > 0:
            raise InputError(f"--time-limit must be > 0 seconds, got {args.time_limit}")
        params = SolveParams(time_limit_s=float(args.time_limit), solution_limit=args.solution_limit,
                             seed=int(args.seed), ortools_overrides=args.ortools, ils_phases=args.ils_phases)
        instances = [read_instance(p) for p in args.instances]  # fail fast, before any solving
        for inst in instances:
            best_known(inst)  # a broken bks.csv is an input error too
        results = []
        for inst in instances:
            r = solve_instance(inst, params)
            results.append(r)
            if not args.json:
                _print_text(r, out)
                out.flush()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NachtzorgError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    summary = _summary(results)
    if args.json:
        json.dump({"time_limit_s": float(args.time_limit), "seed": int(args.seed),
                   "solution_limit": args.solution_limit, "ortools": args.ortools, "ils_phases": args.ils_phases,
                   "results": [r.as_dict() for r in results], "summary": summary}, out, indent=1)
        out.write("\n")
    else:
        mg = summary["mean_gap_pct"]
        print(f"{summary['instances']} instance(s), {summary['feasible']} feasible"
              + (f", mean gap {mg:.2f} % over {summary['with_gap']}" if mg is not None else ""), file=out)
    return 0 if summary["feasible"] == summary["instances"] else 1


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m nachtzorg.bench vrptw ...``), same as the CLI."""
    parser = argparse.ArgumentParser(prog="nachtzorg bench")
    sub = parser.add_subparsers(dest="bench_kind", required=True)
    add_bench_arguments(sub.add_parser("vrptw", help="solve VRPTW benchmark instances"))
    return run_bench(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
