"""Command line of the service (wired into ``nachtzorg`` by :mod:`nachtzorg.cli`):

``nachtzorg serve [--db URL] [--host 127.0.0.1] [--port 8080]`` runs the service;
``nachtzorg users add NAME --role R [--organisation ORG] [--nurse SHIFT_ID] [--db URL]``
adds a user and prints the bearer token once, alone on the last line of stdout.

Exit codes: 0 ok; 2 invalid input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import re
import socket
import sys

EXIT_OK, EXIT_INPUT = 0, 2
ROLES = ("dispatcher", "nurse", "planner", "coordinator")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_MISSING = "the service needs the 'serve' extra: pip install 'nachtzorg[serve]'"


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_INPUT


def _settings(args: argparse.Namespace, **extra):  # noqa: ANN202
    from pydantic import ValidationError

    from ..exceptions import InputError
    from .settings import ServeSettings, normalise_db_url

    values = {k: v for k, v in {"db": getattr(args, "db", None), "host": getattr(args, "host", None),
                                "port": getattr(args, "port", None), **extra}.items() if v is not None}
    try:
        s = ServeSettings(**values)
    except ValidationError as e:
        err = e.errors()[0]
        raise InputError(f"{'.'.join(str(x) for x in err['loc']) or 'settings'}: {err['msg']}") from None
    normalise_db_url(s.db or "sqlite:///x")
    return s


# ---------------------------------------------------------------------------------------- serve
def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help="database URL: sqlite:///PATH (default: nachtzorg.db in "
                        "$NACHTZORG_DATA_DIR or ~/.local/share/nachtzorg) or postgresql://user:pass@host/db")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8080)")


def run_serve(args: argparse.Namespace) -> int:
    """Migrate the database and serve until stopped (Ctrl-C)."""
    try:
        import uvicorn

        from .app import create_app
        from .db import safe_url
        from .logs import log_config
    except ImportError:
        return _fail(_MISSING)
    from ..exceptions import InputError

    try:
        settings = _settings(args)
        _check_port(settings.host, settings.port)
        app = create_app(settings)
    except InputError as e:
        return _fail(str(e))
    print(f"nachtzorg serve: http://{settings.host}:{settings.port}/dispatcher and /nurse, API docs at /docs; "
          f"database {safe_url(settings.database_url)}", file=sys.stderr, flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=log_config(), access_log=False,
                server_header=False)
    return EXIT_OK


def _check_port(host: str, port: int) -> None:
    from ..exceptions import InputError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InputError(f"--host: cannot resolve {host[:60]!r}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            raise InputError(f"--port: cannot listen on {host}:{port} ({e.strerror})") from None


# ---------------------------------------------------------------------------------------- users
def add_users_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="users_command", required=True, metavar="add")
    add = sub.add_parser("add", help="add a user and print the bearer token (once)")
    add.add_argument("name", help="login name (letters, digits, _ . -)")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--organisation", metavar="ORG", help="organisation id the user works for")
    add.add_argument("--nurse", metavar="SHIFT_ID", help="the shift id a nurse works under (role nurse)")
    add.add_argument("--db", metavar="URL", help="database URL (as for serve)")


def run_users(args: argparse.Namespace) -> int:
    """``users add``: store the user with an argon2 hash of a new token; print the token last."""
    try:
        from .db import make_engine, migrate, session_factory
        from .users import add_user
    except ImportError:
        return _fail(_MISSING)
    from ..exceptions import InputError

    name, role = args.name, args.role
    if not _NAME.match(name):
        return _fail(f"NAME {name[:40]!r}: use 1-64 letters, digits, _ . - (starting with a letter or digit)")
    if role == "nurse" and not args.nurse:
        return _fail("--nurse SHIFT_ID is required for role nurse (the shift id she works under)")
    if args.nurse and role != "nurse":
        return _fail(f"--nurse is only for role nurse, not {role}")
    for flag, value in (("--nurse", args.nurse), ("--organisation", args.organisation)):
        if value is not None and not _NAME.match(value):
            return _fail(f"{flag} {value[:40]!r}: use 1-64 letters, digits, _ . -")
    try:
        settings = _settings(args)
        engine = make_engine(settings.database_url)
        migrate(engine)
        try:
            token = add_user(session_factory(engine), name, role, organisation=args.organisation,
                             nurse_shift=args.nurse)
        finally:
            engine.dispose()
    except InputError as e:
        return _fail(str(e))
    print(f"added {role} {name!r}" + (f" (shift {args.nurse})" if args.nurse else "")
          + "; the bearer token below is shown this once (only its hash is stored):")
    print(token)
    return EXIT_OK


# ---------------------------------------------------------------------------------------- demo
def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario JSON file, e.g. examples/assen/scenario.json")
    parser.add_argument("--db", metavar="URL", help="database URL (default: a fresh SQLite file in --data-dir)")
    parser.add_argument("--data-dir", help="an empty folder for the drill's database and key file "
                        "(default: a new temporary folder, printed)")
    parser.add_argument("--at", default="23:30", help="the time of that night the demo clock starts at (HH:MM)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8080)")


def run_demo(args: argparse.Namespace) -> int:
    """A drill on one night: users of every role (tokens printed), the night planned and
    published, the clock set to ``--at`` of that night and running; then serve."""
    try:
        import uvicorn

        from .app import create_app
        from .db import safe_url
        from .logs import log_config
        from .users import add_user
    except ImportError:
        return _fail(_MISSING)
    from pathlib import Path

    from pydantic import ValidationError

    from .. import Scenario, SolveParams, plan_night
    from ..exceptions import InputError
    from ..nighttime import NightTimeError

    try:
        path = Path(args.scenario)
        if not path.is_file():
            raise InputError(f"{args.scenario}: no such file")
        try:
            scenario = Scenario.load(path)
        except (ValidationError, ValueError) as e:
            raise InputError(f"{args.scenario}: not a valid scenario ({str(e).splitlines()[0][:120]})") from None
        import tempfile

        data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="nachtzorg-drill-"))
        if (data_dir / "nachtzorg.db").exists() and not args.db:
            raise InputError(f"{data_dir}/nachtzorg.db exists: remove the folder or give another --data-dir")
        try:
            clock = scenario.clock
            start = clock.to_datetime(clock.to_seconds(args.at))
        except NightTimeError as e:
            raise InputError(f"--at: {e}") from None
        settings = _settings(args, data_dir=data_dir, drill_start=start)
        _check_port(settings.host, settings.port)
        app = create_app(settings)
        sessions = app.state.ctx.sessions
        tokens = [("planner", "planner", add_user(sessions, "planner", "planner")),
                  ("dispatcher", "dispatcher", add_user(sessions, "dispatcher", "dispatcher")),
                  ("coordinator", "coordinator", add_user(sessions, "coordinator", "coordinator"))]
        for s in scenario.shifts:
            tokens.append((f"nurse {s.id}", "nurse", add_user(sessions, s.id, "nurse", nurse_shift=s.id)))
        plan = plan_night(scenario, SolveParams(time_limit_s=None, solution_limit=settings.plan_solution_limit, seed=0)
                          if settings.plan_solution_limit else SolveParams(time_limit_s=settings.plan_time_limit_s))
        with sessions.begin() as session:
            from .models import User
            from sqlalchemy import select

            planner = session.scalars(select(User).where(User.name == "planner")).one()
            night = app.state.ctx.nights.create_night(session, scenario, planner, plan=plan)
            night_id = night.id
    except InputError as e:
        return _fail(str(e))
    base = f"http://{settings.host}:{settings.port}"
    print(f"night {night_id} published: {plan.summary().splitlines()[0]}")
    print(f"clock: {start.isoformat()} and running; database {safe_url(settings.database_url)}")
    print(f"dispatcher page: {base}/dispatcher   nurse page (phone): {base}/nurse   API: {base}/docs")
    print("tokens (paste one into a page's sign-in box):")
    for who, _role, token in tokens:
        print(f"  {who:<22} {token}")
    sys.stdout.flush()
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=log_config(), access_log=False,
                server_header=False)
    return EXIT_OK
