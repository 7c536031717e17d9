"""``nachtzorg dispatch`` and ``nachtzorg simulate``: acute calls during the night."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..exceptions import InputError
from .common import EXIT_OK, CliInputError, load_model, load_scenario, positive_seconds, read_json_text

POLICIES = ("nearest", "least_disruption", "reoptimise")


def _events(path: str) -> list[Any]:
    from pydantic import ValidationError

    from ..acute import Event

    raw = json.loads(read_json_text(path, "events file"))
    if not isinstance(raw, list):
        raise CliInputError([f"{path}: an events file is a JSON list of events, got a {type(raw).__name__}"])
    events, lines = [], []
    for i, e in enumerate(raw):
        try:
            events.append(Event.model_validate(e))
        except ValidationError as err:
            from .common import format_validation_error

            lines += [f"{path}: [{i}]{line.partition(':')[2] if ':' in line else line}"
                      for line in format_validation_error(err)]
    if lines:
        raise CliInputError(lines)
    return events


def run_dispatch(args: argparse.Namespace) -> int:
    """Decide who answers the call; prints the decision. Exit 0, or 2 on invalid input."""
    from ..acute import AcuteCall, NightState, apply_events, dispatch, initial_state
    from ..atomic import write_text
    from ..plan import Plan

    reopt = positive_seconds(args.reopt_time, "--reopt-time")
    if args.state_out is not None and not args.state_out.strip():
        raise CliInputError(["--state-out: give a file name, got an empty one"])
    if args.state_out and Path(args.state_out).is_dir():
        raise CliInputError([f"--state-out {args.state_out}: is a directory, expected a file name"])
    if args.state_out:
        from ..atomic import check_writable_dir
        try:  # before the dispatch, not after it
            check_writable_dir(Path(args.state_out).absolute().parent)
        except InputError as e:
            raise CliInputError([f"--state-out {args.state_out}: {e}"]) from None
    scenario = load_scenario(args.scenario)
    if args.state:
        state = load_model(NightState, args.state)
    else:
        state = initial_state(scenario, load_model(Plan, args.plan))
    call = load_model(AcuteCall, args.call)
    if args.events:
        state = apply_events(state, _events(args.events))
    decision = dispatch(state, call, args.now, policy=args.policy, reoptimise_s=reopt)
    if args.state_out:
        write_text(Path(args.state_out).absolute(), decision.state.to_json())
    if args.json:
        print(decision.to_json(include_state=False))
    else:
        print(decision.summary())
    return EXIT_OK


def _int_list(text: str) -> tuple[int, ...]:
    try:
        out = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a comma-separated list of whole numbers") from None
    if not out or min(out) < 1 or max(out) > 100:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: team sizes must be whole numbers from 1 to 100")
    return out


def run_simulate(args: argparse.Namespace) -> int:
    """Simulate nights per team size and policy; prints the KPI table (or JSON)."""
    import math

    from ..acute import CallProfile, SimulationConfig, format_table, simulate
    from ..parallel import executor_for

    scenario = load_scenario(args.scenario)
    if args.workers < 1:
        raise CliInputError([f"--workers must be >= 1, got {args.workers}"])
    if not 1 <= args.nights <= 1_000_000:
        raise CliInputError([f"--nights must be from 1 to 1,000,000, got {args.nights}"])
    profile = CallProfile()
    if args.calls_per_night is not None:
        if not math.isfinite(args.calls_per_night) or not 0 <= args.calls_per_night <= 1000:
            raise CliInputError([f"--calls-per-night must be from 0 to 1000, got {args.calls_per_night}"])
        profile = profile.scaled(args.calls_per_night)
    cfg = SimulationConfig(nights=args.nights, team_sizes=tuple(args.nurses),
                           policies=tuple(args.policy or ("nearest", "least_disruption")), seed=args.seed,
                           profile=profile, reopt_nights=args.reopt_nights,
                           reopt_time_s=positive_seconds(args.reopt_time, "--reopt-time"))
    try:
        executor = executor_for(args.workers, args.dask)
    except OSError as e:
        raise CliInputError([f"--dask {args.dask}: cannot connect ({e})"]) from None
    try:
        rows = simulate(scenario, cfg, executor=executor)
    finally:
        if hasattr(executor, "shutdown"):
            executor.shutdown()
    if args.json:
        print(json.dumps({"results": rows}, indent=2))
    else:
        print(format_table(rows))
    return EXIT_OK


def add_commands(sub: Any) -> None:
    p = sub.add_parser("dispatch", help="answer an acute call: who goes, arrival, effect on the planned night")
    p.add_argument("scenario", help="scenario JSON file")
    p.add_argument("plan", help="plan JSON file of that scenario")
    p.add_argument("call", help="acute call JSON file (see examples/assen/call.json)")
    p.add_argument("--now", required=True, help="time of the decision, HH:MM or ISO datetime")
    p.add_argument("--state", help="night state JSON (default: the plan as it stands at --now)")
    p.add_argument("--events", help="JSON list of events to apply first (started/done)")
    p.add_argument("--policy", default="least_disruption", choices=POLICIES)
    p.add_argument("--reopt-time", type=float, default=1.0, help="re-optimisation budget, seconds")
    p.add_argument("--state-out", help="write the updated night state JSON here")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(func=run_dispatch)

    p = sub.add_parser("simulate", help="simulate many nights with acute calls to size the team")
    p.add_argument("scenario", help="scenario JSON file (its shifts are trimmed or copied per team size)")
    p.add_argument("--nights", type=int, default=100, help="simulated nights per team size and policy")
    p.add_argument("--nurses", type=_int_list, default=(2, 3, 4), help="team sizes, e.g. 2,3,4")
    p.add_argument("--policy", action="append", choices=POLICIES,
                   help="policy to compare (repeat; default nearest and least_disruption)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calls-per-night", type=float, default=None,
                   help="scale the hourly arrival profile to this many calls a night (default about 6)")
    p.add_argument("--reopt-nights", type=int, default=20, help="nights the reoptimise policy runs on")
    p.add_argument("--reopt-time", type=float, default=1.0,
                   help="time cap per re-optimisation of the reoptimise policy, seconds (as dispatch)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, default=1, help="processes on this machine")
    group.add_argument("--dask", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786)")
    p.add_argument("--json", action="store_true", help="print the KPI rows as JSON")
    p.set_defaults(func=run_simulate)
