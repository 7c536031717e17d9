"""``nachtzorg plan``, ``check``, ``validate`` and ``schema``: the night's own commands."""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from .common import (
    EXIT_OK,
    EXIT_UNASSIGNED,
    EXIT_VIOLATIONS,
    CliInputError,
    load_model,
    load_scenario,
    positive_seconds,
)

log = logging.getLogger("nachtzorg")

DEFAULT_TIME_LIMIT_S = 5.0


def solve_params(args: argparse.Namespace) -> Any:
    """The :class:`~nachtzorg.solve.SolveParams` of ``--time-limit``, ``--solution-limit``,
    ``--seed`` and ``--workers``."""
    from ..solve import SolveParams

    if args.workers < 1:
        raise CliInputError([f"--workers must be >= 1, got {args.workers}"])
    if args.solution_limit is not None and args.solution_limit < 1:
        raise CliInputError([f"--solution-limit must be >= 1, got {args.solution_limit}"])
    time_limit = positive_seconds(args.time_limit, "--time-limit")
    if time_limit is None and args.solution_limit is None:
        time_limit = DEFAULT_TIME_LIMIT_S
    return SolveParams(time_limit_s=time_limit, solution_limit=args.solution_limit, seed=args.seed,
                       workers=args.workers)


def run_plan(args: argparse.Namespace) -> int:
    from ..atomic import check_writable_dir
    from ..io.writers import write_outputs
    from ..planner import plan_night
    from .progress import Ticker

    params = solve_params(args)
    check_writable_dir(args.out)  # before the solve, not after it
    scenario = load_scenario(args.scenario, args.travel_cache)
    with Ticker(f"planning {len(scenario.visits)} visits with {len(scenario.shifts)} nurses",
                params.time_limit_s):
        plan = plan_night(scenario, params)
    files = write_outputs(plan, scenario, args.out)
    k = plan.kpis
    print(plan.summary())
    print("wrote " + ", ".join(str(f) for f in files))
    log.info("planned %d/%d visits, %d nurses, %.1f km", k.visits_served, k.visits_total, k.nurses_used, k.distance_km)
    return EXIT_OK if plan.complete else EXIT_UNASSIGNED


def run_check(args: argparse.Namespace) -> int:
    from ..check import check_plan
    from ..plan import Plan

    scenario = load_scenario(args.scenario, args.travel_cache)
    plan = load_model(Plan, args.plan)
    report = check_plan(scenario, plan)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report)
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def run_validate(args: argparse.Namespace) -> int:
    s = load_scenario(args.scenario)
    print(f"{args.scenario}: valid ({len(s.organisations)} organisations, {len(s.clients)} clients, "
          f"{len(s.visits)} visits, {len(s.shifts)} shifts)")
    for w in s.warnings():
        print(f"warning: {w}")
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    from ..model import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return EXIT_OK


def add_commands(sub: Any) -> None:
    p = sub.add_parser("plan", help="plan a night and write plan.json, routes.csv, routes.geojson, map.html, "
                                    "routes.html")
    p.add_argument("scenario", help="scenario JSON file")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--time-limit", type=float, default=None,
                   help=f"search time, seconds (default {DEFAULT_TIME_LIMIT_S:g} unless --solution-limit is given; "
                        "nights of more than 120 visits: 30 or more, see README)")
    p.add_argument("--solution-limit", type=int, default=None,
                   help="stop after this many improving solutions (deterministic; no time limit unless given)")
    p.add_argument("--seed", type=int, default=0, help="search seed (same input + seed + solution limit = same plan)")
    p.add_argument("--workers", type=int, default=1, metavar="W",
                   help="processes for a time-limited search: with 2 or more the solver's runs go side by side, "
                        "each with the whole --time-limit (Linux; default 1)")
    p.add_argument("--travel-cache", default=None, metavar="DIR",
                   help="keep travel-time tables in DIR and reuse them (overrides the scenario's travel.cache_dir)")
    p.set_defaults(func=run_plan)

    p = sub.add_parser("check", help="check a plan against its scenario, rule by rule")
    p.add_argument("scenario")
    p.add_argument("plan")
    p.add_argument("--json", action="store_true")
    p.add_argument("--travel-cache", default=None, metavar="DIR", help="travel-time table cache, as for plan")
    p.set_defaults(func=run_check)

    p = sub.add_parser("validate", help="validate a scenario file and report all problems at once")
    p.add_argument("scenario")
    p.set_defaults(func=run_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of a scenario file")
    p.set_defaults(func=run_schema)
