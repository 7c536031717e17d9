#!/usr/bin/env python
"""Golden outputs: record deterministic results of the whole flow, and compare against them.

For refactors that must not change behaviour: plans of the bundled night and of generated
nights (solution-limited, so deterministic), VRPTW routes, dispatch decisions and a small
simulation. ``record DIR`` writes one JSON file per case; ``compare DIR`` recomputes every case
and prints, per case, whether the result is identical, as JSON.

    python benchmarks/golden.py record /tmp/golden
    python benchmarks/golden.py compare /tmp/golden
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _plan_cases() -> dict[str, object]:
    from nachtzorg import Scenario
    from nachtzorg.synthetic import generate_night

    nights = {"assen": Scenario.load(ROOT / "examples" / "assen" / "scenario.json")}
    for n, m, seed, two in ((30, 2, 1, 0.05), (60, 3, 2, 0.3), (120, 6, 3, 0.05)):
        nights[f"gen{n}-s{seed}"] = generate_night(n, m, 4, seed=seed, two_nurse_share=two)
    return nights


def _routes(plan) -> dict[str, object]:
    return {"routes": {r.shift_id: [s.visit_id for s in r.visits] for r in plan.routes},
            "unassigned": sorted(u.visit_id for u in plan.unassigned),
            "cost_eur": plan.kpis.cost_eur, "distance_km": plan.kpis.distance_km}


def cases() -> dict[str, object]:
    """Every case: name -> JSON-able result."""
    from nachtzorg import SolveParams, plan_night

    out: dict[str, object] = {}
    plans = {}
    for name, sc in _plan_cases().items():
        for seed in (0, 3):
            plan = plan_night(sc, SolveParams(time_limit_s=None, solution_limit=30, seed=seed))
            plans[(name, seed)] = plan
            out[f"plan/{name}/seed{seed}"] = _routes(plan)
    out.update(_vrptw_cases())
    out.update(_acute_cases(_plan_cases()["assen"], plans[("assen", 0)]))
    return out


def _vrptw_cases() -> dict[str, object]:
    from nachtzorg.io.vrptw import read_instance, to_problem

    try:  # the one solve entry after the restructure, the old one before
        from nachtzorg.solve import solve as _solve

        def run(p, params):
            return _solve(p, params)
    except ImportError:
        from nachtzorg.solve import solve_problem as run
    from nachtzorg import SolveParams

    out = {}
    for name in ("C101", "R101", "RC201"):
        inst = read_instance(ROOT / "benchmarks" / "data" / "solomon" / f"{name}.txt")
        res = run(to_problem(inst), SolveParams(time_limit_s=None, solution_limit=40))
        out[f"vrptw/{name}"] = {"routes": [r for r in res.routes if r], "objective": res.objective}
    return out


def _acute_cases(scenario, plan) -> dict[str, object]:
    from nachtzorg.acute import SimulationConfig, dispatch, initial_state, simulate, apply_events

    call = json.loads((ROOT / "examples" / "assen" / "call.json").read_text())
    out = {}
    state = initial_state(scenario, plan)
    for now in ("23:40", "02:13", "04:30"):
        c = dict(call, received=now)
        for policy in ("nearest", "least_disruption", "reoptimise"):
            d = dispatch(state, c, now, policy=policy, reoptimise_s=None, reopt_solutions=10)
            out[f"dispatch/{now}/{policy}"] = json.loads(d.to_json(include_state=False))
    first = plan.routes[0].visits[0]
    later = apply_events(state, [{"kind": "started", "ref": first.visit_id, "at": "23:55"},
                                 {"kind": "done", "ref": first.visit_id, "at": "00:20"}])
    d = dispatch(later, dict(call, received="00:30"), "00:30", policy="least_disruption")
    out["dispatch/after-events"] = json.loads(d.to_json(include_state=True))
    rows = simulate(scenario, SimulationConfig(nights=4, team_sizes=(2, 3),
                                               policies=("nearest", "least_disruption", "reoptimise"),
                                               reopt_nights=2, plan_solutions=20))
    out["simulate/small"] = list(rows)
    return out


def _name(case: str) -> str:
    return case.replace("/", "__") + ".json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["record", "compare"])
    ap.add_argument("dir")
    args = ap.parse_args(argv)
    d = Path(args.dir)
    results = cases()
    if args.mode == "record":
        d.mkdir(parents=True, exist_ok=True)
        for case, value in results.items():
            (d / _name(case)).write_text(json.dumps(value, indent=1, sort_keys=True, default=str))
        print(json.dumps({"recorded": len(results), "dir": str(d)}))
        return 0
    report = {}
    for case, value in results.items():
        f = d / _name(case)
        if not f.is_file():
            report[case] = "missing"
            continue
        same = json.loads(json.dumps(value, sort_keys=True, default=str)) == json.loads(f.read_text())
        report[case] = "same" if same else "DIFFERENT"
    print(json.dumps({"cases": report, "different": sum(v != "same" for v in report.values())}, indent=1))
    return 0 if all(v == "same" for v in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
