#!/usr/bin/env python
"""Night-sized problems: is a short solve within 0.5 % of a long one?

Generates invented nights with ``nachtzorg.synthetic.generate_night`` (the generator behind
``examples/assen/generate.py``), solves each with the default search for ``--short`` and
``--long`` seconds (one after the other, one thread) and prints the objective of both (cost
units: micro-euros, including penalties for unserved visits) and the relative difference.

    nice python benchmarks/night_short_vs_long.py --seeds 1 2 3 --short 2 --long 60
"""

from __future__ import annotations

import argparse
import json
import sys

from nachtzorg.problem import compile_scenario
from nachtzorg.schedule import schedule_routes
from nachtzorg.solve import SolveParams, solve_problem
from nachtzorg.synthetic import generate_night


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--visits", type=int, default=56)
    ap.add_argument("--nurses", type=int, default=3)
    ap.add_argument("--organisations", type=int, default=4)
    ap.add_argument("--short", type=float, default=2.0, help="seconds")
    ap.add_argument("--long", type=float, default=60.0, help="seconds")
    args = ap.parse_args(argv)
    rows = []
    for seed in args.seeds:
        sc = generate_night(args.visits, args.nurses, args.organisations, seed=seed, name=f"bench night {seed}")
        p = compile_scenario(sc).problem
        res = {}
        for label, tl in (("short", args.short), ("long", args.long)):
            r = solve_problem(p, SolveParams(time_limit_s=tl))
            res[label] = {"objective": r.objective, "wall_s": round(r.wall_s, 2),
                          "feasible_timing": schedule_routes(p, r.routes).feasible}
        diff = 100.0 * (res["short"]["objective"] - res["long"]["objective"]) / max(1, res["long"]["objective"])
        rows.append({"seed": seed, **res, "short_vs_long_pct": round(diff, 3)})
        print(f"seed {seed}: {args.short:g} s {res['short']['objective']}  {args.long:g} s "
              f"{res['long']['objective']}  short is {diff:+.3f} % vs long", flush=True)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
