"""Plan quality per wall-clock budget on the benchmark nights; prints JSON.

    python benchmarks/plan_quality.py [--budgets 1 5] [--names assen gen30 ...]

For each night: seconds to the first feasible plan (solution limit 1), then for each budget
the plan's cost (EUR, shifts + km), visits served, and whether the independent checker
accepts it. Runs one solve at a time (one core).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

from nachtzorg import SolveParams, check_plan, plan_night

from nights import benchmark_nights


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budgets", type=float, nargs="+", default=[1.0, 5.0])
    ap.add_argument("--names", nargs="*")
    args = ap.parse_args()
    nights = benchmark_nights()
    out = {"python": sys.version.split()[0], "machine": platform.machine(), "results": []}
    for name, scenario in nights.items():
        if args.names and name not in args.names:
            continue
        t = time.perf_counter()
        first = plan_night(scenario, SolveParams(time_limit_s=None, solution_limit=1))
        row = {"night": name, "visits": len(scenario.visits), "nurses": len(scenario.shifts),
               "first_feasible_s": round(time.perf_counter() - t, 3),
               "first_cost_eur": first.kpis.cost_eur, "first_served": first.kpis.visits_served}
        for b in args.budgets:
            t = time.perf_counter()
            plan = plan_night(scenario, SolveParams(time_limit_s=b))
            row[f"{b:g}s"] = {"cost_eur": plan.kpis.cost_eur, "served": plan.kpis.visits_served,
                              "km": plan.kpis.distance_km, "nurses": plan.kpis.nurses_used,
                              "wall_s": round(time.perf_counter() - t, 2),
                              "checker_ok": check_plan(scenario, plan).ok}
        out["results"].append(row)
        print(json.dumps(row), file=sys.stderr)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
