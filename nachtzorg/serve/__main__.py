"""``python -m nachtzorg.serve serve ...`` / ``users add ...`` / ``demo SCENARIO`` (a drill)."""

from __future__ import annotations

import argparse
import sys

from .commands import (add_demo_arguments, add_serve_arguments, add_users_arguments, run_demo, run_serve,
                       run_users)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nachtzorg.serve", description="the live night service")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_arguments(sub.add_parser("serve", help="run the service"))
    add_users_arguments(sub.add_parser("users", help="manage users"))
    add_demo_arguments(sub.add_parser("demo", help="a drill on one night: users, the night planned, served"))
    args = parser.parse_args(argv)
    return {"serve": run_serve, "users": run_users, "demo": run_demo}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
