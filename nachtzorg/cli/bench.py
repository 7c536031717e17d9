"""``nachtzorg bench vrptw|hhc``: public instances solved by the night planner's solver.

``hhc``: the home-health-care benchmark of Mankowska, Meisel & Bierwirth (2014); each instance
becomes an ordinary scenario (:func:`nachtzorg.io.hhc.hhc_scenario`) planned by ``plan_night``,
and the routes are scored by the independent evaluator: objective = (distance + total tardiness
+ largest tardiness) / 3, gap against ``best_known.csv`` beside the instance.

``vrptw``: solve public VRPTW instances with the night planner's solver.

Each instance (Solomon ``.txt`` or VRPLIB ``.vrp``) becomes the same
:class:`~nachtzorg.problem.Problem` the night planner uses and is solved by the same
:func:`~nachtzorg.solve.solve`; the routes are re-checked by the independent checker in
:mod:`nachtzorg.io.vrptw` (which also computes the DIMACS cost: truncated Euclidean distance,
one decimal). The gap is taken against the best known solution in a ``bks.csv`` beside the
instance (``dimacs_distance_trunc1`` rows) or in ``<stem>.sol`` beside it (its ``Cost`` line).

Exit codes: 0 all solutions feasible, 1 some solution infeasible, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import EXIT_OK, EXIT_VIOLATIONS, CliInputError, positive_seconds

#: Seconds per search phase on plain problems (mirrors ``nachtzorg.solve.search.ILS_PHASE_S``,
#: which is not imported here to keep ``--help`` quick; a test keeps the two equal).
ILS_PHASE_S = 3.0


def _print_text(r: Any, out: Any) -> None:
    if r.objective == "distance":
        gap = "" if r.gap_pct is None else f"  bks {r.bks:g}  gap {r.gap_pct:.2f} %"
    else:
        gap = f"  distance {r.distance_double:.2f}" + (
            "" if r.bks_vehicles is None else f"  best known {r.bks_vehicles} vehicles, {r.bks_distance:.2f}") + (
            "" if r.gap_pct is None else f"  gap {r.gap_pct:.2f} %")
    verdict = "feasible" if r.feasible else "INFEASIBLE"
    print(f"{r.instance}: cost {r.cost:.1f}  {verdict}{gap}  vehicles {len(r.routes)}/{r.vehicles_available}"
          f"  wall {r.wall_s:.2f} s", file=out)
    for issue in r.issues:
        print(f"  ! {issue}", file=out)
    for k, route in enumerate(r.routes, start=1):
        print(f"  Route #{k}: {' '.join(map(str, route))}", file=out)


def run_bench_vrptw(args: argparse.Namespace) -> int:
    """Run ``bench vrptw``; returns the exit code (0 ok, 1 infeasible result, 2 bad input)."""
    from ..io.vrptw import best_known, read_instance, solve_instance, summarise
    from ..solve import SolveParams, Tuning

    out = sys.stdout
    time_limit = positive_seconds(args.time_limit, "--time-limit", allow_none=False)
    if args.solution_limit is not None and args.solution_limit < 1:
        raise CliInputError([f"--solution-limit must be >= 1, got {args.solution_limit}"])
    tuning = Tuning.from_file(args.tuning) if args.tuning else Tuning()
    tuning = tuning.replace(**{k: v for k, v in (("ortools_overrides", args.ortools),
                                                  ("ils_phases", args.ils_phases)) if v is not None})
    params = SolveParams(time_limit_s=time_limit, solution_limit=args.solution_limit, seed=int(args.seed),
                         tuning=tuning)
    instances = [read_instance(p) for p in args.instances]  # fail fast, before any solving
    for inst in instances:
        best_known(inst)  # a broken bks.csv is an input error too
    results = []
    for inst in instances:
        r = solve_instance(inst, params, objective=args.objective)
        results.append(r)
        if not args.json:
            _print_text(r, out)
            out.flush()
    summary = summarise(results)
    if args.json:
        json.dump({"time_limit_s": time_limit, "seed": int(args.seed), "solution_limit": args.solution_limit,
                   "ortools": args.ortools, "ils_phases": args.ils_phases, "objective": args.objective,
                   "results": [r.as_dict() for r in results], "summary": summary}, out, indent=1)
        out.write("\n")
    else:
        mg = summary["mean_gap_pct"]
        vehicles = ""
        if args.objective == "vehicles":
            vehicles = f", {summary['vehicles']} vehicles" + (
                f" (best known {summary['bks_vehicles']}; at it on {summary['vehicles_at_bks']})"
                if summary.get("bks_vehicles") is not None else "")
        print(f"{summary['instances']} instance(s), {summary['feasible']} feasible{vehicles}"
              + (f", mean {'distance ' if vehicles else ''}gap {mg:.2f} % over {summary['with_gap']}"
                 if mg is not None else ""), file=out)
    return EXIT_OK if summary["feasible"] == summary["instances"] else EXIT_VIOLATIONS


def run_bench_hhc(args: argparse.Namespace) -> int:
    """Run ``bench hhc``: every instance posed as an ordinary night, planned, and scored by the
    independent evaluator; one JSON object (``--json``) or a line per instance."""
    import time

    from ..io.hhc import best_known_hhc, evaluate_hhc, hhc_scenario, plan_routes, read_hhc
    from ..planner import plan_night
    from ..solve import SolveParams

    time_limit = positive_seconds(args.time_limit, "--time-limit", allow_none=False)
    params = SolveParams(time_limit_s=time_limit, seed=int(args.seed))
    instances = [read_hhc(p) for p in args.instances]  # fail fast, before any solving
    rows = []
    for inst in instances:
        t0 = time.perf_counter()
        plan = plan_night(hhc_scenario(inst), params)
        wall = time.perf_counter() - t0
        routes = plan_routes(inst, plan)
        ev = evaluate_hhc(inst, routes)
        bk = best_known_hhc(inst)
        gap = None if bk is None else round(100.0 * (ev.objective - bk) / bk, 3)
        rows.append({"name": inst.name, "objective": round(ev.objective, 4), "best_known": bk, "gap_pct": gap,
                     "valid": ev.valid, "wall_s": round(wall, 3), "routes": routes})
        if not args.json:
            verdict = "valid" if ev.valid else "INVALID: " + "; ".join(ev.issues[:3])
            print(f"{inst.name}: objective {ev.objective:.2f}" + ("" if gap is None else f"  best known {bk:g}  gap {gap:.2f} %")
                  + f"  {verdict}  wall {wall:.1f} s", flush=True)
    if args.json:
        json.dump({"instances": rows}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    return EXIT_OK if all(r["valid"] for r in rows) else EXIT_VIOLATIONS


def add_commands(sub: Any) -> None:
    p = sub.add_parser("bench", help="benchmarks on public instances")
    bsub = p.add_subparsers(dest="bench_kind", required=True)
    v = bsub.add_parser("vrptw", help="solve VRPTW instances (Solomon / VRPLIB) and report gaps")
    v.add_argument("instances", metavar="INSTANCE", nargs="+", help="Solomon .txt or VRPLIB .vrp VRPTW instance file(s)")
    v.add_argument("--time-limit", type=float, required=True, metavar="S",
                   help="wall-clock search budget per instance, seconds")
    v.add_argument("--seed", type=int, default=0, metavar="N", help="search seed (default 0)")
    v.add_argument("--solution-limit", type=int, default=None, metavar="K",
                   help="also stop after K improving solutions (makes a run deterministic)")
    v.add_argument("--ortools", default=None, metavar="TEXT",
                   help="OR-Tools RoutingSearchParameters in protobuf text format, merged over ours "
                        "(Tuning.ortools_overrides), e.g. 'local_search_operators { use_exchange: BOOL_FALSE }'")
    v.add_argument("--ils-phases", type=int, default=None, metavar="K",
                   help="run the search in K phases, each from the best plan so far (Tuning.ils_phases; "
                        f"default: one per {ILS_PHASE_S:g} s of the time limit, so 1 turns phases off)")
    v.add_argument("--tuning", default=None, metavar="FILE",
                   help="a JSON object of Tuning fields, for screening (e.g. {\"ils_removed_visits\": 20})")
    v.add_argument("--objective", choices=("distance", "vehicles"), default="distance",
                   help="distance: total distance, DIMACS convention (default); vehicles: fewest vehicles "
                        "first, then distance, against the hierarchical best known (Solomon: 405 vehicles)")
    v.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    v.set_defaults(func=run_bench_vrptw)
    h = bsub.add_parser("hhc", help="solve home-health-care instances (Mankowska et al. 2014) and report gaps")
    h.add_argument("instances", metavar="INSTANCE", nargs="+", help="instance file(s) in the benchmark's format")
    h.add_argument("--time-limit", type=float, required=True, metavar="S", help="search budget per instance, seconds")
    h.add_argument("--seed", type=int, default=0, metavar="N", help="search seed (default 0)")
    h.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    h.set_defaults(func=run_bench_hhc)
