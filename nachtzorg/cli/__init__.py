"""Command line: ``nachtzorg plan|check|validate|schema|dispatch|simulate|share|settle|bench ...``.

The only place that configures logging. Each subcommand lives in a module of this package
that defines ``COMMANDS``: ``(name, help, add_arguments, run)`` rows; a module imports what its
commands need only when they run, so ``nachtzorg --help``, ``schema`` and ``validate`` start
without loading the solver. Exit codes (:mod:`.common`): 0 success; 1 a check found
violations; 2 invalid input (one clear line per problem, no traceback, nothing written);
3 a plan was written but some visits are unassigned; 70 an unexpected internal error (one
line on stderr naming the file that holds the traceback).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from ..exceptions import InputError
from .common import EXIT_CRASH, EXIT_INPUT, CliInputError, preview_text

log = logging.getLogger("nachtzorg")

#: Modules of this package holding subcommands, in the order ``--help`` lists them.
_MODULES = ("night", "acute", "share", "settle", "bench", "service")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (no heavy imports)."""
    ap = argparse.ArgumentParser(prog="nachtzorg", description="Plan the shared night routes of a night-care team.")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr")
    sub = ap.add_subparsers(dest="command", required=True)
    for name in _MODULES:
        module = importlib.import_module(f".{name}", __name__)
        module.add_commands(sub)
    return ap


def crash_report(exc: BaseException) -> Path | None:
    """Write the traceback of an unexpected error to a private file; its path, or None."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    directory = Path(os.environ.get("NACHTZORG_CRASH_DIR") or tempfile.gettempdir())
    path = directory / f"nachtzorg-crash-{stamp}-{os.getpid()}.txt"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"nachtzorg {' '.join(sys.argv[1:2])} crashed at {stamp}\n")
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns its exit code (never raises, but for SystemExit of --help)."""
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
        print(f"error: {preview_text(str(e).splitlines()[0] if str(e) else type(e).__name__)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except Exception as e:  # noqa: BLE001 - the crash exit code, with the traceback in a file
        where = crash_report(e)
        print(f"internal error ({type(e).__name__}); this is a bug in nachtzorg, not in the input. "
              + (f"Traceback written to {where}" if where else "No traceback file could be written."),
              file=sys.stderr)
        return EXIT_CRASH


def _entry() -> Any:  # pragma: no cover - console script
    sys.exit(main())
