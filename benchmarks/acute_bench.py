"""Acute-call benchmark: dispatch latency, re-optimisation budget, simulator throughput.

Prints one JSON object. Fixed work, seeded; wall times depend on the machine (run with nice
on a shared one)::

    nice python benchmarks/acute_bench.py [--nights 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from nachtzorg import Scenario, SolveParams, plan_night
from nachtzorg.acute import CallProfile, SimulationConfig, advance_state, dispatch, initial_state, simulate
from nachtzorg.acute.simulate import plan_for_team
from nachtzorg.parallel import executor_for
from nachtzorg.synthetic import generate_night

ASSEN = Path(__file__).resolve().parents[1] / "examples" / "assen" / "scenario.json"


def bench_dispatch(n_visits: int = 150, n_nurses: int = 6, n_calls: int = 40) -> dict:
    sc = generate_night(n_visits, n_nurses, 4, seed=11)
    t0 = time.perf_counter()
    plan = plan_night(sc, SolveParams(time_limit_s=None, solution_limit=40, seed=0))
    plan_s = time.perf_counter() - t0
    state = initial_state(sc, plan)
    rng = np.random.default_rng(5)
    times = ["23:20", "00:10", "01:05", "02:13", "03:40"]
    states = {t: advance_state(state, t) for t in times}
    ms, met = [], 0
    for i in range(n_calls):
        t = times[i % len(times)]
        c = sc.clients[int(rng.integers(len(sc.clients)))]
        call = {"id": f"b{i}", "location": c.location.model_dump(), "duration_min": 20,
                "urgency": "personal_alarm", "nurses": 2 if i % 10 == 9 else 1}
        t1 = time.perf_counter()
        d = dispatch(states[t], call, t)
        ms.append((time.perf_counter() - t1) * 1000)
        met += not d.backup_recommended
    reopt = []
    for t in times:
        c = sc.clients[int(rng.integers(len(sc.clients)))]
        t1 = time.perf_counter()
        d = dispatch(states[t], {"id": "r", "location": c.location.model_dump(), "duration_min": 20}, t,
                     policy="reoptimise", reoptimise_s=1.0)
        reopt.append({"at": t, "wall_s": round(time.perf_counter() - t1, 3), "improved": d.reoptimised})
    return {"visits": n_visits, "nurses": n_nurses, "calls": n_calls, "plan_s": round(plan_s, 2),
            "dispatch_ms": {"p50": round(float(np.percentile(ms, 50)), 1),
                            "p95": round(float(np.percentile(ms, 95)), 1), "max": round(max(ms), 1)},
            "norm_met_share": round(met / n_calls, 3),
            "reoptimise_1s_budget": reopt}


def bench_simulate(nights: int, workers: int) -> dict:
    sc = Scenario.load(ASSEN)
    out = {"nights": nights, "workers": workers, "calls_per_night": 10}
    for policy in ("least_disruption", "nearest"):
        cfg = SimulationConfig(nights=nights, team_sizes=(3,), policies=(policy,), seed=1,
                               profile=CallProfile().scaled(10), chunk_nights=max(1, nights // (4 * workers)))
        plans = {3: plan_for_team(sc, 3, cfg)}
        ex = executor_for(workers)
        t0 = time.perf_counter()
        rows = simulate(sc, cfg, executor=ex, plans=plans, progress=False)
        wall = time.perf_counter() - t0
        ex.shutdown()
        out[policy] = {"wall_s": round(wall, 2), "calls_mean": rows[0]["calls_mean"],
                       "p90_min": rows[0]["response_min"]["p90"]}
    cfg = SimulationConfig(nights=10, team_sizes=(3,), policies=("reoptimise",), seed=1,
                           profile=CallProfile().scaled(10), reopt_nights=10, reopt_solutions=15)
    t0 = time.perf_counter()
    simulate(sc, cfg, plans={3: plan_for_team(sc, 3, cfg)}, progress=False)
    out["reoptimise_10_nights_serial_s"] = round(time.perf_counter() - t0, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nights", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(json.dumps({"dispatch": bench_dispatch(), "simulate": bench_simulate(args.nights, args.workers)}, indent=2))


if __name__ == "__main__":
    main()
