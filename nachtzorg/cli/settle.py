"""``nachtzorg settle``: the year's settlement of a period (every coalition's yearly cost with
acute readiness, allocations, core check, report, advances)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_OK, CliInputError, load_model, load_scenario


def parse_rules(raw: list[str] | None) -> list[str] | None:
    """Flatten repeated/comma-separated ``--method`` values; None means the default rules."""
    from ..settle import RULES

    if not raw:
        return None
    names: list[str] = []
    for chunk in raw:
        for name in (n.strip() for n in chunk.split(",")):
            if not name:
                continue
            if name not in RULES:
                raise CliInputError([f"--method: unknown method {name[:40]!r} (choose from: {', '.join(RULES)})"])
            if name not in names:
                names.append(name)
    if not names:
        raise CliInputError(["--method: no method given"])
    return names


def load_period(path: str) -> Any:
    """The period file and its nights, every problem as one ``error:`` line naming the field."""
    from ..settle import PeriodError, PeriodFile, resolve_period

    spec = load_model(PeriodFile, path)
    base = Path(path).resolve().parent
    try:
        files = spec.night_paths(base)
    except PeriodError as e:
        raise CliInputError([f"{path}: {line}" for line in e.lines]) from None
    scenarios, lines = [], []
    for i, f in enumerate(files):
        field = f"nights[{i}].scenario" if spec.nights is not None else "nights_folder"
        try:
            scenarios.append((f.name, load_scenario(str(f))))
        except CliInputError as e:
            lines += [f"{path}: {field}: {line}" for line in e.lines]
    if lines:
        raise CliInputError(lines)
    try:
        return resolve_period(spec, scenarios)
    except PeriodError as e:
        raise CliInputError([f"{path}: {line}" for line in e.lines]) from None


def _print_table(result: dict[str, Any]) -> None:
    out = sys.stdout
    players = result["organisations"]
    p = result["period"]
    out.write(f"{p['name']}: {len(players)} organisations, {p['nights_in_year']:g} nights from "
              f"{len(p['nights'])} night files; yearly euros\n\n")
    colw = max([12] + [len(x) + 2 for x in players])
    width = max([len("stand-alone")] + [len(r) for r in result["allocations"]]) + 2
    out.write("".ljust(width) + "".join(x.rjust(colw) for x in players) + "   in core\n")
    for part in ("planned_eur", "readiness_eur", "fixed_eur", "total_eur"):
        label = "alone" if part == "total_eur" else "  " + part.removesuffix("_eur")
        out.write(label.ljust(width) + "".join(f"{result['standalone'][x][part]:,.0f}".rjust(colw)
                                               for x in players) + "\n")
    for rule, alloc in result["allocations"].items():
        out.write(rule.ljust(width) + "".join(f"{alloc[x]:,.0f}".rjust(colw) for x in players)
                  + f"   {'yes' if result['core'][rule] else 'no'}\n")
    g = result["grand"]
    out.write(f"\ntogether {g['total_eur']:,.0f}; saving {g['saving']['total_eur']:,.0f} "
              f"({g['saving']['total_pct']:.1f} %) against each alone\n")
    out.write(f"recommended: {result['recommended']}; settled by {result['settlement_rule']}\n")
    conf = result.get("confidence")
    if conf:
        out.write(f"sampled nights: allocations move up to ±{100 * conf['largest_move']:.2f} % (95 %); "
                  f"about {conf['nights_for_target']} nights keep it under {100 * conf['target_move']:g} %\n")
    if result["norm_not_met"]:
        out.write(f"warning: {len(result['norm_not_met'])} coalition nights miss the norm with the largest team "
                  "tried\n")
    for rule, why in result["skipped"].items():
        out.write(f"skipped {rule}: {why}\n")


def run_settle(args: argparse.Namespace) -> int:
    """Price the period, settle it, print it, and write the output set (exit 0 / 2)."""
    from ..atomic import check_writable_dir, write_set
    from ..parallel import executor_for
    from ..settle import build_settlement, render_html, settle_period

    rules = parse_rules(args.method)
    if args.workers is not None and args.workers < 1:
        raise CliInputError([f"--workers must be >= 1, got {args.workers}"])
    if args.time_limit is not None and not 0 < args.time_limit <= 3600:
        raise CliInputError([f"--time-limit must be a number of seconds from 0 to 3600, got {args.time_limit}"])
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise CliInputError([f"--seed must be a whole number from 0 to 2**32 - 1, got {args.seed}"])
    if args.out is not None:
        if not args.out.strip():
            raise CliInputError(["--out: give a directory, got an empty name"])
        check_writable_dir(Path(args.out).absolute())
    period = load_period(args.period)
    try:
        executor = executor_for(workers=args.workers, dask=args.dask)
    except OSError as e:
        raise CliInputError([f"--dask {args.dask}: cannot connect ({e})"]) from None
    try:
        pg = settle_period(period, seed=args.seed, time_limit_s=args.time_limit, executor=executor)
    finally:
        executor.shutdown()
    st = build_settlement(pg, rules)
    result = st.to_json()
    if args.out:
        write_set(Path(args.out).absolute(), {
            "report.html": render_html(st),
            "settlement.json": json.dumps(result, indent=2, ensure_ascii=False) + "\n",
            "finance.csv": st.csv(),
            "coalitions.csv": st.coalitions_csv(),
        })
    if args.json:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_table(result)
        if args.out:
            sys.stdout.write(f"wrote {args.out}/report.html, settlement.json, finance.csv, coalitions.csv\n")
    return EXIT_OK


def add_commands(sub: Any) -> None:
    p = sub.add_parser("settle", help="the year's settlement: yearly cost of every coalition with acute readiness, "
                                      "allocations, core check, report, advances")
    p.add_argument("period", metavar="PERIOD.json", help="period file (nights, call rates, norm, yearly fixed items)")
    p.add_argument("--method", metavar="M", action="append", default=None,
                   help="allocation rule, repeatable or comma-separated (default: shapley, nucleolus, epm and the "
                        "proportional keys clients, visits, minutes, calls, inhabitants)")
    par = p.add_mutually_exclusive_group()
    par.add_argument("--workers", type=int, default=None, metavar="W", help="price the nights on W local processes")
    par.add_argument("--dask", metavar="ADDRESS", default=None, help="price the nights on a Dask cluster")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write report.html, settlement.json, finance.csv and coalitions.csv into DIR (atomically)")
    p.add_argument("--json", action="store_true", help="print the settlement as one JSON object")
    p.add_argument("--seed", type=int, default=None, help="solver seed (default: the period file's)")
    p.add_argument("--time-limit", type=float, default=None,
                   help="search per night for the grand coalition, seconds (default: the period file's)")
    p.set_defaults(func=run_settle)
