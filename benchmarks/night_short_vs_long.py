#!/usr/bin/env python
"""Night-sized problems: is a short solve within 0.5 % of a long one?

Generates invented nights with ``nachtzorg.synthetic.generate_night`` (the generator behind
``examples/assen/generate.py``): for each seed the 56-visit Assen-like night (3 nurses) and
nights of 30, 60, 120 and 200 visits (``benchmarks/nights.py`` sizes), and solves each with the
planner's own solver (``nachtzorg.solve.solve``, what ``plan_night`` runs) for ``--short`` and ``--long``
seconds, one after the other. ``--workers 2`` runs the solver's portfolio runs side by side in two
processes (``SolveParams.workers``), for the short and the long solve alike unless
``--long-workers`` says otherwise; the default is one process. Prints the objective of both (cost units: micro-euros,
including penalties for unserved visits), visits served, and the relative difference.

    nice python benchmarks/night_short_vs_long.py --seeds 1 2 3 --short 2 --long 60
    python benchmarks/night_short_vs_long.py --seeds 1 2 --sizes 120 --repeat 5
    nice python benchmarks/night_short_vs_long.py --seeds 1 2 3 4 5 6 --workers 2
"""

from __future__ import annotations

import argparse
import json
import sys

from nachtzorg.problem import compile_scenario
from nachtzorg.schedule import schedule_routes
from nachtzorg.solve import SolveParams, solve
from nachtzorg.synthetic import generate_night

#: visits -> nurses on shift (as benchmarks/nights.py, plus the 56-visit Assen-like night)
SIZES = {56: 3, 30: 2, 60: 3, 120: 7, 200: 10}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help=f"visits, of {sorted(SIZES)}")
    ap.add_argument("--short", type=float, default=2.0, help="seconds")
    ap.add_argument("--long", type=float, default=60.0, help="seconds")
    ap.add_argument("--repeat", type=int, default=1,
                    help="short solves per night (time-limited runs differ); the first is compared, all are listed")
    ap.add_argument("--workers", type=int, default=1, help="processes per solve (SolveParams.workers)")
    ap.add_argument("--long-workers", type=int, default=None, help="processes for the long solve (default: --workers)")
    args = ap.parse_args(argv)
    workers = {"short": args.workers, "long": args.long_workers or args.workers}
    rows = []
    for seed in args.seeds:
        for n in args.sizes:
            sc = generate_night(n, SIZES[n], 4, seed=seed, name=f"bench night {n}/{seed}")
            p = compile_scenario(sc).problem
            res = {}
            repeats = []
            for label, tl in [("short", args.short)] * args.repeat + [("long", args.long)]:
                r = solve(p, SolveParams(time_limit_s=tl, workers=workers[label]))
                out = {"objective": r.objective, "wall_s": round(r.wall_s, 2),
                       "served": sum(1 for t in range(p.n_tasks)
                                     if all(any(x in route for route in r.routes) for x in p.task_nodes[t])),
                       "nurses": sum(1 for route in r.routes if route),
                       "feasible_timing": schedule_routes(p, r.routes).feasible, "winner": r.status,
                       "workers": workers[label]}
                res.setdefault(label, out)
                if label == "short":
                    repeats.append(out)
            diff = 100.0 * (res["short"]["objective"] - res["long"]["objective"]) / max(1, res["long"]["objective"])
            rows.append({"seed": seed, "visits": n, **res, "short_vs_long_pct": round(diff, 3),
                         "short_repeats": repeats})
            print(f"seed {seed} visits {n:3d}: {args.short:g} s {res['short']['objective']} "
                  f"({res['short']['served']} served)  {args.long:g} s {res['long']['objective']} "
                  f"({res['long']['served']} served)  short is {diff:+.3f} % vs long", flush=True)
            if args.repeat > 1:
                print("  short repeats: " + ", ".join(
                    f"{x['objective']} ({x['served']} served, {x['nurses']} nurses)" for x in repeats), flush=True)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
