"""``nachtzorg share``: fair cost sharing of a routed night, or of an explicit ``--game``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import EXIT_OK, CliInputError, load_scenario, positive_seconds


def parse_methods(raw: list[str] | None) -> list[str] | None:
    """Flatten repeated/comma-separated ``--method`` values; None means 'all applicable'."""
    from ..sharing import METHODS

    if not raw:
        return None
    names: list[str] = []
    for chunk in raw:
        for name in chunk.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in METHODS:
                raise CliInputError([f"--method: unknown method {name[:40]!r} (choose from: {', '.join(METHODS)})"])
            if name not in names:
                names.append(name)
    if not names:
        raise CliInputError(["--method: no method given"])
    return names


def _print_table(result: dict[str, Any], report: Any) -> None:
    out = sys.stdout
    game = report.game
    label = f" ({game.name})" if game.name else ""
    out.write(f"{game.kind} game{label}, {game.n} players, grand coalition value {game.grand_value:,.2f}\n\n")
    players = list(game.players)
    methods = list(result["allocations"])
    width = max([len("method")] + [len(m) for m in methods]) + 2
    colw = max([10] + [len(p) + 2 for p in players])
    out.write("method".ljust(width) + "".join(p.rjust(colw) for p in players) + "   in core\n")
    for m in methods:
        alloc = result["allocations"][m]
        core = result["core"][m]
        verdict = "yes" if core["in_core"] else (
            f"no: {','.join(core['most_violated_coalition'] or [])} loses {core['violation']:,.2f}")
        out.write(m.ljust(width) + "".join(f"{alloc[p]:,.2f}".rjust(colw) for p in players) + f"   {verdict}\n")
    out.write("\n")
    eps = result["least_core_epsilon"]
    out.write(f"least-core epsilon {eps:,.4f}: core is {'EMPTY' if result['core_empty'] else 'non-empty'}\n")
    out.write(f"recommended: {result['recommended']}\n")
    for m, why in result["skipped"].items():
        out.write(f"skipped {m}: {why}\n")


def _write_report(path: str, html: str) -> None:
    from ..atomic import write_text

    try:
        write_text(path, html)
    except OSError as exc:
        raise CliInputError([f"--out {path}: cannot write ({exc.strerror or exc})"]) from None


def run_share(args: argparse.Namespace) -> int:
    """An explicit ``--game``, or a scenario whose coalitions are priced by routing."""
    from ..sharing import Game, share_summary

    methods = parse_methods(args.method)
    if args.out is not None and not args.out.strip():
        raise CliInputError(["--out: give a file name, got an empty one"])
    if args.out:
        from ..atomic import check_writable_dir
        from pathlib import Path

        check_writable_dir(Path(args.out).absolute().parent)
    if args.game is not None or args.scenario is None:
        if args.game is None:
            raise CliInputError(["share: give a scenario file or --game GAME.json"])
        if args.scenario is not None:
            raise CliInputError(["share: give either a scenario or --game, not both"])
        game = Game.from_json_file(args.game)
        result, report = share_summary(game, methods)
        repaired = []
    else:
        from ..parallel import executor_for
        from ..sharing import CoalitionParams, coalition_costs
        from ..solve import SolveParams

        scenario = load_scenario(args.scenario)
        time_limit = positive_seconds(args.time_limit, "--time-limit", allow_none=False)
        if args.workers is not None and args.workers < 1:
            raise CliInputError([f"--workers must be >= 1, got {args.workers}"])
        # the grand coalition is solved before the others fan out: its runs may use the workers
        params = CoalitionParams(grand=SolveParams(time_limit_s=time_limit, workers=args.workers or 1))
        try:
            executor = executor_for(workers=args.workers, dask=args.dask)
        except OSError as e:
            raise CliInputError([f"--dask {args.dask}: cannot connect ({e})"]) from None
        try:
            cg = coalition_costs(scenario, params, executor=executor)
        finally:
            executor.shutdown()
        game = cg.game()
        repaired = cg.repaired
        result, report = share_summary(game, methods, repaired=repaired)
        result["coalitions"] = cg.to_json()
        result["repaired"] = [{"coalition": list(c), "solved": a, "repaired": b} for c, a, b in repaired]
    if args.out:
        _write_report(args.out, report.to_html())
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(result, report)
        for c, a, b in repaired:
            sys.stdout.write(f"repaired {','.join(c)}: {a:,.2f} -> {b:,.2f} (a larger coalition's routes are cheaper)\n")
    return EXIT_OK


def add_commands(sub: Any) -> None:
    p = sub.add_parser("share", help="fair cost sharing between organisations")
    p.add_argument("scenario", nargs="?", default=None,
                   help="scenario file whose coalition costs are computed by routing (not with --game)")
    p.add_argument("--game", metavar="GAME.json", default=None, help="TU game in GAME.json format (players, kind, "
                                                                    "values)")
    p.add_argument("--method", metavar="M", action="append", default=None,
                   help="allocation rule, repeatable or comma-separated (default: all applicable)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--out", metavar="report.html", default=None, help="write a self-contained HTML report")
    par = p.add_mutually_exclusive_group()
    par.add_argument("--workers", type=int, default=None, metavar="W",
                     help="solve coalitions on W local processes, and the grand coalition's runs side by side "
                          "(default: serial)")
    par.add_argument("--dask", metavar="ADDRESS", default=None,
                     help="solve coalitions on a Dask cluster (scheduler address)")
    p.add_argument("--time-limit", type=float, default=5.0,
                   help="search time for the grand coalition, seconds (smaller coalitions scale with size)")
    p.set_defaults(func=run_share)
