"""CLI of acute calls: ``nachtzorg dispatch`` and ``nachtzorg simulate`` (wired by nachtzorg.cli).

Exit codes: 0 ok; 2 invalid input (one line per problem on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from ..cli import CliInputError, load_model, load_scenario
from ..exceptions import InputError
from ..io.writers import atomic_write_text

EXIT_OK, EXIT_INPUT = 0, 2


def _fail(lines: list[str]) -> int:
    for line in lines:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_INPUT


def add_dispatch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario JSON file")
    parser.add_argument("plan", help="plan JSON file of that scenario")
    parser.add_argument("call", help="acute call JSON file (see examples/assen/call.json)")
    parser.add_argument("--now", required=True, help="time of the decision, HH:MM or ISO datetime")
    parser.add_argument("--state", help="night state JSON (default: the plan as it stands at --now)")
    parser.add_argument("--events", help="JSON list of events to apply first (started/done)")
    parser.add_argument("--policy", default="least_disruption",
                        choices=["nearest", "least_disruption", "reoptimise"])
    parser.add_argument("--reopt-time", type=float, default=1.0, help="re-optimisation budget, seconds")
    parser.add_argument("--state-out", help="write the updated night state JSON here")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")


def run_dispatch(args: argparse.Namespace) -> int:
    """Decide who answers the call; prints the decision. Exit 0, or 2 on invalid input."""
    from ..plan import Plan
    from .calls import AcuteCall
    from .dispatch import dispatch
    from .state import Event, NightState, apply_events, initial_state

    try:
        scenario = load_scenario(args.scenario)
        if args.state:
            state = load_model(NightState, args.state)
        else:
            state = initial_state(scenario, load_model(Plan, args.plan))
        call = load_model(AcuteCall, args.call)
        if args.events:
            p = Path(args.events)
            if not p.is_file():
                raise CliInputError([f"{args.events}: no such file"])
            try:
                raw = json.loads(p.read_text(encoding="utf-8"))
                events = [Event.model_validate(e) for e in raw]
            except (json.JSONDecodeError, ValidationError, TypeError) as e:
                raise CliInputError([f"{args.events}: not a list of events ({str(e).splitlines()[0]})"]) from None
            state = apply_events(state, events)
        decision = dispatch(state, call, args.now, policy=args.policy, reoptimise_s=args.reopt_time)
    except CliInputError as e:
        return _fail(e.lines)
    except InputError as e:
        return _fail([str(e)])
    if args.state_out:
        atomic_write_text(args.state_out, decision.state.to_json())
    if args.json:
        print(decision.to_json(include_state=False))
    else:
        print(decision.summary())
    return EXIT_OK


def _int_list(text: str) -> tuple[int, ...]:
    try:
        out = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: team sizes must be whole numbers >= 1")
    return out


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario JSON file (its shifts are trimmed or copied per team size)")
    parser.add_argument("--nights", type=int, default=100, help="simulated nights per team size and policy")
    parser.add_argument("--nurses", type=_int_list, default=(2, 3, 4), help="team sizes, e.g. 2,3,4")
    parser.add_argument("--policy", action="append", choices=["nearest", "least_disruption", "reoptimise"],
                        help="policy to compare (repeat; default nearest and least_disruption)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calls-per-night", type=float, default=None,
                        help="scale the hourly arrival profile to this many calls a night (default about 6)")
    parser.add_argument("--reopt-nights", type=int, default=20, help="nights the reoptimise policy runs on")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, default=1, help="processes on this machine")
    group.add_argument("--dask", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786)")
    parser.add_argument("--json", action="store_true", help="print the KPI rows as JSON")


def run_simulate(args: argparse.Namespace) -> int:
    """Simulate nights per team size and policy; prints the KPI table (or JSON)."""
    from ..parallel import executor_for
    from .simulate import CallProfile, SimulationConfig, simulate

    try:
        scenario = load_scenario(args.scenario)
        if args.workers < 1:
            raise CliInputError([f"--workers must be >= 1, got {args.workers}"])
        profile = CallProfile()
        if args.calls_per_night is not None:
            if args.calls_per_night < 0:
                raise CliInputError([f"--calls-per-night must be >= 0, got {args.calls_per_night}"])
            profile = profile.scaled(args.calls_per_night)
        cfg = SimulationConfig(nights=args.nights, team_sizes=tuple(args.nurses),
                               policies=tuple(args.policy or ("nearest", "least_disruption")), seed=args.seed,
                               profile=profile, reopt_nights=args.reopt_nights)
        executor = executor_for(args.workers, args.dask)
    except CliInputError as e:
        return _fail(e.lines)
    except (InputError, OSError) as e:
        return _fail([str(e)])
    try:
        rows = simulate(scenario, cfg, executor=executor)
    except InputError as e:
        return _fail([str(e)])
    finally:
        if hasattr(executor, "shutdown"):
            executor.shutdown()
    if args.json:
        print(json.dumps({"results": rows}, indent=2))
    else:
        print(format_table(rows))
    return EXIT_OK


def format_table(rows: list[dict]) -> str:
    head = (f"{'nurses':>6} {'policy':<17} {'nights':>6} {'p50':>6} {'p90':>6} {'p95':>6} {'in norm':>8} "
            f"{'late/n':>7} {'late min':>8} {'backup':>7} {'overtime':>8} {'km':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        rm = r["response_min"]

        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.1f}"

        share = "-" if r["within_norm_share"] is None else f"{100 * r['within_norm_share']:.1f}%"
        lines.append(f"{r['nurses']:>6} {r['policy']:<17} {r['nights']:>6} {f(rm['p50']):>6} {f(rm['p90']):>6} "
                     f"{f(rm['p95']):>6} {share:>8} {r['late_visits_mean']:>7.2f} {r['late_minutes_mean']:>8.1f} "
                     f"{r['backup_calls_mean']:>7.2f} {r['overtime_min_mean']:>8.1f} {r['km_mean']:>7.1f}")
    lines.append("response in minutes from the call to care on site; per-night means; "
                 "back-up calls count at the back-up's response time")
    return "\n".join(lines)
