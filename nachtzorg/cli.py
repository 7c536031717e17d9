"""Command line: ``nachtzorg plan|check|validate|schema|dispatch|simulate|share|bench ...``.

The only place that configures logging. Exit codes: 0 success; 1 a check found violations;
2 invalid input (one clear line per problem, no traceback); 3 a plan was written but some
visits are unassigned.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .exceptions import InputError
from .model import Scenario, scenario_json_schema

log = logging.getLogger("nachtzorg")

EXIT_OK, EXIT_VIOLATIONS, EXIT_INPUT, EXIT_UNASSIGNED = 0, 1, 2, 3
DEFAULT_TIME_LIMIT_S = 5.0


def format_validation_error(err: ValidationError, source: str = "") -> list[str]:
    """One line per problem: ``source: field.path: message (value: ...)``."""
    lines = []
    for e in err.errors(include_url=False):
        path = ""
        for part in e["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        value = e.get("input")
        shown = "" if isinstance(value, (dict, list)) or e["type"] == "missing" else f" (value: {value!r})"
        msg = e["msg"]
        if e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] == "extra_forbidden":
            msg = "unknown field (not part of the format)"
        prefix = f"{source}: " if source else ""
        lines.append(f"{prefix}{path or '(top level)'}: {msg}{shown}")
    return lines


def load_model(model: type[BaseModel], path: str) -> Any:
    """Read and validate a JSON file as ``model``; raises :class:`CliInputError` listing
    every problem (missing file, not JSON, each invalid field with its path and value)."""
    p = Path(path)
    if not p.is_file():
        raise CliInputError([f"{path}: no such file"])
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CliInputError([f"{path}: cannot read ({e})"]) from None
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise CliInputError([f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"]) from None
    try:
        return model.model_validate_json(text)
    except ValidationError as e:
        raise CliInputError(format_validation_error(e, path)) from None


def load_scenario(path: str, travel_cache: str | None = None) -> Scenario:
    """Read and validate a scenario file (see :func:`load_model`).

    Relative paths in ``travel`` (a road graph file, the cache directory) are taken relative to
    the scenario file's folder, so a scenario runs the same from any working directory;
    ``travel_cache`` (a ``--travel-cache`` option) overrides the file's cache directory.
    """
    scenario: Scenario = load_model(Scenario, path)
    base = Path(path).resolve().parent
    update: dict[str, Any] = {}
    graph = getattr(scenario.travel, "graph", None)
    if graph and not Path(graph).expanduser().is_absolute():
        update["graph"] = str(base / graph)
    cache = travel_cache or scenario.travel.cache_dir
    if cache:
        update["cache_dir"] = str(Path(cache).expanduser()) if travel_cache else str(base / Path(cache).expanduser())
    if update:
        scenario = scenario.model_copy(update={"travel": scenario.travel.model_copy(update=update)})
    return scenario


class CliInputError(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _solve_params(args: argparse.Namespace):
    from .solve import SolveParams

    if args.workers < 1:
        raise CliInputError([f"--workers must be >= 1, got {args.workers}"])
    time_limit = args.time_limit
    if time_limit is None and args.solution_limit is None:
        time_limit = DEFAULT_TIME_LIMIT_S
    return SolveParams(time_limit_s=time_limit, solution_limit=args.solution_limit, seed=args.seed,
                       workers=args.workers)


def cmd_plan(args: argparse.Namespace) -> int:
    from .io.writers import write_outputs
    from .planner import plan_night

    params = _solve_params(args)
    scenario = load_scenario(args.scenario, args.travel_cache)
    plan = plan_night(scenario, params)
    files = write_outputs(plan, scenario, args.out)
    k = plan.kpis
    print(plan.summary())
    print("wrote " + ", ".join(str(f) for f in files))
    log.info("planned %d/%d visits, %d nurses, %.1f km", k.visits_served, k.visits_total, k.nurses_used, k.distance_km)
    return EXIT_OK if plan.complete else EXIT_UNASSIGNED


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_plan
    from .plan import Plan

    scenario = load_scenario(args.scenario, args.travel_cache)
    plan = load_model(Plan, args.plan)
    report = check_plan(scenario, plan)
    if args.json:
        print(json.dumps({"ok": report.ok, "violations": [v.__dict__ for v in report.violations]}, indent=2))
    else:
        print(report)
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def cmd_validate(args: argparse.Namespace) -> int:
    s = load_scenario(args.scenario)
    print(f"{args.scenario}: valid ({len(s.organisations)} organisations, {len(s.clients)} clients, "
          f"{len(s.visits)} visits, {len(s.shifts)} shifts)")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="nachtzorg", description="Plan the shared night routes of a night-care team.")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="plan a night and write plan.json, routes.csv, routes.geojson, map.html, routes.html")
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
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("check", help="check a plan against its scenario, rule by rule")
    p.add_argument("scenario")
    p.add_argument("plan")
    p.add_argument("--json", action="store_true")
    p.add_argument("--travel-cache", default=None, metavar="DIR", help="travel-time table cache, as for plan")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("validate", help="validate a scenario file and report all problems at once")
    p.add_argument("scenario")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of a scenario file")
    p.set_defaults(func=cmd_schema)

    _add_optional_commands(sub)
    return ap


def _add_optional_commands(sub: Any) -> None:
    """Subcommands that live in their own modules (imported here, so ``plan`` stays quick)."""
    from .acute.cli import (
        add_dispatch_arguments,
        add_simulate_arguments,
        run_dispatch,
        run_simulate,
    )
    from .bench import add_bench_arguments, run_bench
    from .sharing.cli import add_share_arguments, run_share

    p = sub.add_parser("bench", help="benchmarks on public instances")
    bsub = p.add_subparsers(dest="bench_kind", required=True)
    v = bsub.add_parser("vrptw", help="solve VRPTW instances (Solomon / VRPLIB) and report gaps")
    add_bench_arguments(v)
    v.set_defaults(func=run_bench)
    for name, help_, add_arguments, run in (
            ("dispatch", "answer an acute call: who goes, arrival, effect on the planned night",
             add_dispatch_arguments, run_dispatch),
            ("simulate", "simulate many nights with acute calls to size the team", add_simulate_arguments, run_simulate),
            ("share", "fair cost sharing between organisations", add_share_arguments, run_share)):
        p = sub.add_parser(name, help=help_)
        add_arguments(p)
        p.set_defaults(func=run)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args))
    except CliInputError as e:
        for line in e.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_INPUT
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
