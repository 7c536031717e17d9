"""Subcommands of the parts that sit beside the library: the live-night service
(:mod:`nachtzorg.serve`): ``serve`` and ``users add``. The service's own packages (FastAPI,
SQLAlchemy, ...) are imported only when a command runs; without the ``serve`` extra the command
says so in one line (exit 2)."""

from __future__ import annotations

import argparse
from typing import Any


def _serve(args: argparse.Namespace) -> int:
    from ..serve import commands

    if args.demo is not None:
        args.scenario = args.demo
        return commands.run_demo(args)
    return commands.run_serve(args)


def _users(args: argparse.Namespace) -> int:
    from ..serve import commands

    return commands.run_users(args)


def add_commands(sub: Any) -> None:
    from ..serve import commands  # argument definitions only: no service packages imported

    p = sub.add_parser("serve", help="the live night: a web service with the dispatcher's and the nurses' pages",
                       description="Serve the live night (API under /api, OpenAPI at /docs, pages /dispatcher "
                                   "and /nurse). With --demo SCENARIO: a drill on that night (users of every "
                                   "role with their tokens printed, the night planned and published, the clock "
                                   "at --at of that night), in a fresh temporary data folder unless --db or "
                                   "--data-dir is given.")
    commands.add_serve_arguments(p)
    p.add_argument("--demo", metavar="SCENARIO", default=None,
                   help="run a drill on this scenario (e.g. examples/assen/scenario.json)")
    p.add_argument("--data-dir", default=None, help="with --demo: an empty folder for the drill's database and key")
    p.add_argument("--at", default="23:30", help="with --demo: the time of that night the clock starts at (HH:MM)")
    p.set_defaults(func=_serve)
    u = sub.add_parser("users", help="people of the live-night service and their bearer tokens")
    commands.add_users_arguments(u)
    u.set_defaults(func=_users)
