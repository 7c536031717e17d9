"""``python -m nachtzorg.serve serve ...`` / ``python -m nachtzorg.serve users add ...``."""

from __future__ import annotations

import argparse
import sys

from .commands import add_serve_arguments, add_users_arguments, run_serve, run_users


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nachtzorg.serve", description="the live night service")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_arguments(sub.add_parser("serve", help="run the service"))
    add_users_arguments(sub.add_parser("users", help="manage users"))
    args = parser.parse_args(argv)
    return run_serve(args) if args.command == "serve" else run_users(args)


if __name__ == "__main__":
    sys.exit(main())
