"""Cost-sharing benchmark; prints JSON.

    python benchmarks/sharing_bench.py [--workers 2] [--skip-10]

1. Assen example (4 organisations): coalition costs by routing + every allocation rule +
   the HTML report, wall seconds (target <= 10 s).
2. 10 organisations on a generated 120-visit night (1,023 coalitions) on a process pool:
   coalition solves, exact Shapley and nucleolus, wall seconds (target <= 60 s on 2 cores);
   the sum of all coalition costs and of the nurses they use (how well coalitions are priced).
3. 20 organisations: routing cannot price 2^20 coalitions, so a synthetic night-like cost game
   (shift cost per started block of 400 care minutes + a km term growing with the square root
   of the clients served) is used; permutation-sampled Shapley, doubling the sample until every
   95 % half-width is <= 1 % of its share; compared with the exact value.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from nachtzorg import Scenario, SolveParams
from nachtzorg.sharing import Game, build_report
from nachtzorg.sharing.coalitions import CoalitionParams, coalition_costs
from nachtzorg.sharing.rules import METHODS, MethodNotApplicableError, allocate, nucleolus, shapley, shapley_sampled
from nachtzorg.synthetic import generate_night

from nights import ROOT


def assen() -> dict:
    t = time.perf_counter()
    cg = coalition_costs(Scenario.load(ROOT / "examples" / "assen" / "scenario.json"))
    t_coal = time.perf_counter() - t
    game = cg.game()
    allocs = {}
    for m in METHODS:
        try:
            allocs[m] = allocate(game, m)
        except MethodNotApplicableError:
            pass
    html = build_report(game, allocs, repaired=cg.repaired).to_html()
    return {"case": "assen_4_orgs", "coalitions": len(cg.costs), "coalition_s": round(t_coal, 2),
            "total_s": round(time.perf_counter() - t, 2), "rules": sorted(allocs), "report_bytes": len(html),
            "repaired": len(cg.repaired), "grand_cost_eur": game.grand_value}


def ten_orgs(workers: int) -> dict:
    scenario = generate_night(120, 7, 10, seed=5)
    t = time.perf_counter()
    with ProcessPoolExecutor(workers) as ex:
        # as `nachtzorg share --workers W`: the grand coalition's runs side by side too
        cg = coalition_costs(scenario, CoalitionParams(grand=SolveParams(time_limit_s=5, workers=workers)), executor=ex)
    t_coal = time.perf_counter() - t
    game = cg.game()
    sh, nu = shapley(game), nucleolus(game)
    return {"case": "10_orgs_120_visits", "workers": workers, "coalitions": len(cg.costs),
            "coalition_s": round(t_coal, 2), "total_s": round(time.perf_counter() - t, 2),
            "rules_s": round(time.perf_counter() - t - t_coal, 3), "repaired": len(cg.repaired),
            "grand_cost_eur": game.grand_value, "shapley_sum": round(sum(sh.values()), 6),
            "nucleolus_sum": round(sum(nu.values()), 6),
            # how the coalitions are priced: lower sums = cheaper services found for them
            "sum_coalition_cost_eur": round(sum(c.cost_eur for c in cg.costs.values()), 2),
            "nurse_shifts_over_coalitions": sum(c.nurses for c in cg.costs.values()),
            "shapley_eur": {k: round(v, 2) for k, v in sh.items()}}


def synthetic_20() -> dict:
    n = 20
    rng = np.random.default_rng(3)
    care = rng.integers(40, 260, n).astype(float)
    clients = rng.integers(3, 15, n).astype(float)
    masks = np.arange(1 << n, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(float)
    tot_care, tot_cl = bits @ care, bits @ clients
    values = 465.0 * np.ceil(tot_care / 400.0) + 0.32 * 25.0 * np.sqrt(tot_cl)
    values[0] = 0.0
    game = Game([f"org-{i:02d}" for i in range(n)], values, kind="cost")
    t = time.perf_counter()
    exact = shapley(game)
    t_exact = time.perf_counter() - t
    perms = 2000
    while True:
        t = time.perf_counter()
        est = shapley_sampled(game, n_permutations=perms, seed=1)
        t_s = time.perf_counter() - t
        rel = max(est.half_widths[p] / abs(est.estimates[p]) for p in game.players)
        if rel <= 0.01 or perms >= 512_000:
            break
        perms *= 2
    covered = sum(abs(est.estimates[p] - exact[p]) <= est.half_widths[p] for p in game.players)
    return {"case": "20_orgs_synthetic_sampled_shapley", "permutations": est.n_permutations,
            "max_half_width_rel": round(rel, 5), "sample_s": round(t_s, 2), "exact_s": round(t_exact, 2),
            "intervals_covering_exact": f"{covered}/{n}"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-10", action="store_true")
    args = ap.parse_args()
    rows = [assen()]
    print(json.dumps(rows[-1]), file=sys.stderr)
    if not args.skip_10:
        rows.append(ten_orgs(args.workers))
        print(json.dumps(rows[-1]), file=sys.stderr)
    rows.append(synthetic_20())
    print(json.dumps({"results": rows}, indent=2))


if __name__ == "__main__":
    main()
