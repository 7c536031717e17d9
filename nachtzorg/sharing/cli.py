"""Command-line part of ``nachtzorg share``: arguments and the ``--game GAME.json`` case.

The main CLI adds these arguments to its ``share`` sub-parser with
:func:`add_share_arguments` and calls :func:`run_share_game` when ``--game`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from nachtzorg.sharing.game import Game, GameError
from nachtzorg.sharing.report import ShareReport, build_report
from nachtzorg.sharing.rules import METHODS, MethodNotApplicableError, allocate


def add_share_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``scenario``, ``--game``, ``--method``, ``--json`` and ``--out`` to ``parser``."""
    parser.add_argument(
        "scenario", nargs="?", default=None,
        help="scenario file whose coalition costs are computed by routing (not with --game)",
    )
    parser.add_argument("--game", metavar="GAME.json", default=None,
                        help="TU game in GAME.json format (players, kind, values)")
    parser.add_argument(
        "--method", metavar="M", action="append", default=None,
        help=f"allocation rule, repeatable or comma-separated (default: all applicable): "
             f"{', '.join(METHODS)}",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--out", metavar="report.html", default=None,
                        help="write a self-contained HTML report (atomically)")
    par = parser.add_mutually_exclusive_group()
    par.add_argument("--workers", type=int, default=None, metavar="W",
                     help="solve coalitions on W local processes, and the grand coalition's runs side by side "
                          "(default: serial)")
    par.add_argument("--dask", metavar="ADDRESS", default=None,
                     help="solve coalitions on a Dask cluster (scheduler address)")
    parser.add_argument("--time-limit", type=float, default=5.0,
                        help="search time for the grand coalition, seconds (smaller coalitions scale with size)")


def parse_methods(raw: list[str] | None) -> list[str] | None:
    """Flatten repeated/comma-separated ``--method`` values; None means 'all applicable'."""
    if not raw:
        return None
    names: list[str] = []
    for chunk in raw:
        for name in chunk.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in METHODS:
                raise GameError(f"unknown method {name!r} (choose from: {', '.join(METHODS)})")
            if name not in names:
                names.append(name)
    if not names:
        raise GameError("--method: no method given")
    return names


def write_atomically(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same directory and os.replace."""
    from nachtzorg.io.writers import atomic_write_text

    atomic_write_text(path, text)


def _round(x: float) -> float:
    """Round off float noise for output."""
    return float(round(x, 9)) + 0.0


def share_result(game: Game, methods: list[str] | None,
                 repaired: list[tuple[tuple[str, ...], float, float]] | None = None) -> tuple[dict[str, Any], ShareReport]:
    """JSON-ready result: allocations, per-method core checks, least-core epsilon, skips.

    Explicitly requested methods that do not apply raise; in the default set they are
    listed under ``skipped`` with the reason.
    """
    allocations: dict[str, dict[str, float]] = {}
    skipped: dict[str, str] = {}
    for name in methods or list(METHODS):
        try:
            allocations[name] = allocate(game, name)
        except MethodNotApplicableError as exc:
            if methods is not None:
                raise GameError(f"method {name!r} does not apply to this game: {exc}") from None
            skipped[name] = str(exc)
    report = build_report(game, allocations, repaired=repaired)
    return {
        "game": {"name": game.name, "kind": game.kind, "players": list(game.players),
                 "grand_value": _round(game.grand_value)},
        "allocations": {m: {p: _round(v) for p, v in a.items()} for m, a in allocations.items()},
        "core": {m: report.core_checks[m].to_json(game.players) for m in allocations},
        "least_core_epsilon": report.least_core_epsilon,
        "core_empty": report.core_empty,
        "recommended": report.recommended,
        "skipped": skipped,
    }, report


def _print_table(result: dict[str, Any], report: ShareReport, out: TextIO) -> None:
    """Readable plain-text output."""
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
            f"no: {','.join(core['most_violated_coalition'] or [])} loses {core['violation']:,.2f}"
        )
        out.write(m.ljust(width) + "".join(f"{alloc[p]:,.2f}".rjust(colw) for p in players)
                  + f"   {verdict}\n")
    out.write("\n")
    eps = result["least_core_epsilon"]
    out.write(f"least-core epsilon {eps:,.4f}: core is {'EMPTY' if result['core_empty'] else 'non-empty'}\n")
    out.write(f"recommended: {result['recommended']}\n")
    for m, why in result["skipped"].items():
        out.write(f"skipped {m}: {why}\n")


def run_share_game(args: argparse.Namespace, stdout: TextIO | None = None,
                   stderr: TextIO | None = None) -> int:
    """Handle ``share --game GAME.json``; 0 on success, 2 on bad input (one line on stderr)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        if getattr(args, "game", None) is None:
            raise GameError("share: --game GAME.json is required here (scenario sharing is separate)")
        if getattr(args, "scenario", None) is not None:
            raise GameError("share: give either a scenario or --game, not both")
        methods = parse_methods(getattr(args, "method", None))
        game = Game.from_json_file(args.game)
        result, report = share_result(game, methods)
        if getattr(args, "out", None):
            try:
                write_atomically(args.out, report.to_html())
            except OSError as exc:
                raise GameError(f"cannot write {args.out!r}: {exc.strerror or exc}") from exc
        if getattr(args, "json", False):
            json.dump(result, out, indent=2)
            out.write("\n")
        else:
            _print_table(result, report, out)
    except GameError as exc:
        err.write(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}\n")
        return 2
    return 0


def run_share(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """``nachtzorg share``: an explicit ``--game`` or a scenario whose coalitions are routed."""
    if getattr(args, "game", None) is not None or getattr(args, "scenario", None) is None:
        return run_share_game(args, stdout, stderr)
    return run_share_scenario(args, stdout, stderr)


def run_share_scenario(args: argparse.Namespace, stdout: TextIO | None = None,
                       stderr: TextIO | None = None) -> int:
    """Coalition costs by routing, then allocations; 0 ok, 2 bad input (one line per problem)."""
    from nachtzorg.cli import CliInputError, load_scenario
    from nachtzorg.exceptions import InputError
    from nachtzorg.parallel import executor_for
    from nachtzorg.sharing.coalitions import CoalitionParams, coalition_costs
    from nachtzorg.solve import SolveParams

    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        methods = parse_methods(getattr(args, "method", None))
        scenario = load_scenario(args.scenario)
        if not args.time_limit > 0:
            raise GameError(f"--time-limit must be > 0, got {args.time_limit}")
        if args.workers is not None and args.workers < 1:
            raise GameError(f"--workers must be >= 1, got {args.workers}")
        # the grand coalition is solved before the others fan out: its runs may use the workers
        params = CoalitionParams(grand=SolveParams(time_limit_s=args.time_limit, workers=args.workers or 1))
        executor = executor_for(workers=args.workers, dask=args.dask)
        try:
            cg = coalition_costs(scenario, params, executor=executor)
        finally:
            executor.shutdown()
        game = cg.game()
        result, report = share_result(game, methods, repaired=cg.repaired)
        result["coalitions"] = {
            ",".join(p for p in game.players if p in c.coalition): {
                "cost_eur": c.cost_eur, "nurses": c.nurses, "unserved_visits": c.unserved,
                "solved_cost_eur": c.solved_cost_eur,
                "repaired_from": ",".join(p for p in game.players if p in c.repaired_from) if c.repaired_from else None,
            } for c in cg.costs.values()}
        result["repaired"] = [{"coalition": list(c), "solved": a, "repaired": b} for c, a, b in cg.repaired]
        if args.out:
            write_atomically(args.out, report.to_html())
        if args.json:
            json.dump(result, out, indent=2)
            out.write("\n")
        else:
            _print_table(result, report, out)
            for c, a, b in cg.repaired:
                out.write(f"repaired {','.join(c)}: {a:,.2f} -> {b:,.2f} (a larger coalition's routes are cheaper)\n")
    except CliInputError as exc:
        for line in exc.lines:
            err.write(f"error: {line}\n")
        return 2
    except (GameError, InputError, OSError) as exc:
        err.write(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}\n")
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry for manual testing: ``python -m nachtzorg.sharing.cli --game g.json``."""
    parser = argparse.ArgumentParser(prog="nachtzorg share")
    add_share_arguments(parser)
    return run_share(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
