"""The year's settlement benchmark; prints JSON (one object per case, then a summary).

    nice python benchmarks/settle_bench.py [--orgs 4] [--nights 30] [--visits 50] [--workers 2]
        [--seeds 0,1] [--speedup-nights 6] [--dask] [--skip-main]

A year represented by ``--nights`` sampled nights (one generated base night, ``generate_night``
seed 0, of which each night keeps about 85 % of the visits: the same clients, different nights), ``--orgs`` organisations with 1.5 acute calls a night each, the norm 90 % within
30 minutes, readiness simulated on 10 call nights, cars and three yearly items:

1. ``main``: ``settle`` with ``--workers`` processes for each solver seed of ``--seeds``: wall
   seconds, and the noise between the seeds (largest relative change of an organisation's
   allocation per rule; target <= 0.5 %), and the sampling margin (largest bootstrap move).
2. ``speedup``: the first ``--speedup-nights`` nights with 1 worker, then with ``--workers``
   processes, then (``--dask``) on a Dask LocalCluster of ``--workers`` workers: wall seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nachtzorg.parallel import executor_for
from nachtzorg.settle import PeriodFile, build_settlement, resolve_period, settle_period
from nachtzorg.synthetic import generate_night


def make_period(folder: Path, orgs: int, nights: int, visits: int) -> tuple[PeriodFile, list]:
    """Generated nights in ``folder`` and the period file over them."""
    (folder / "nights").mkdir(parents=True, exist_ok=True)
    scenarios = []
    base = generate_night(round(visits / 0.85), max(3, visits // 16), orgs, seed=0)
    for i in range(nights):
        # the same clients every night; each night about 85 % of the base night's visits
        keep = np.random.default_rng(i).random(len(base.visits)) < 0.85
        sc = base.model_copy(update={"name": f"generated night {i}",
                                     "visits": [v for v, k in zip(base.visits, keep) if k]})
        (folder / "nights" / f"night-{i:03d}.json").write_text(sc.to_json(), encoding="utf-8")
        scenarios.append((f"night-{i:03d}.json", sc))
    ids = sorted({o.id for _, sc in scenarios for o in sc.organisations})
    spec = PeriodFile.model_validate({
        "name": f"benchmark: {orgs} organisations, {nights} generated nights",
        "organisations": [{"id": o, "clients": 20, "inhabitants": 20000, "calls_per_night": 1.5} for o in ids],
        "nights_folder": "nights",
        "norm": {"minutes": 30, "share": 0.9},
        "fixed": {"cars": {"eur_per_car_per_year": 8400},
                  "items": [{"name": "back-up", "kind": "backup", "hours_per_year": 2920, "eur_per_hour": 9.5},
                            {"name": "coordination", "kind": "coordination", "eur_per_year": 15000},
                            {"name": "network coordinator", "kind": "coordination", "eur_per_year": 12000,
                             "only_shared": True}]},
        "readiness": {"simulated_nights": 10},
    })
    return spec, scenarios


def run(spec: PeriodFile, scenarios: list, *, seed: int, workers: int = 1, dask=None) -> tuple[dict, object]:
    period = resolve_period(spec, scenarios)
    executor = executor_for(workers=workers, dask=dask)
    t = time.perf_counter()
    try:
        pg = settle_period(period, seed=seed, executor=executor, progress=False)
    finally:
        executor.shutdown()
    t_price = time.perf_counter() - t
    st = build_settlement(pg)
    wall = time.perf_counter() - t
    out = st.to_json()
    return {"seed": seed, "workers": workers, "dask": dask is not None, "nights": len(scenarios),
            "orgs": len(period.players), "price_s": round(t_price, 1), "wall_s": round(wall, 1),
            "largest_move": (out["confidence"] or {}).get("largest_move"),
            "nights_for_target": (out["confidence"] or {}).get("nights_for_target"),
            "grand_eur": out["grand"]["total_eur"], "saving_pct": out["grand"]["saving"]["total_pct"],
            "readiness_alone_eur": {o: v["readiness_eur"] for o, v in out["standalone"].items()},
            "repaired": len(out["repaired"]), "norm_not_met": len(out["norm_not_met"])}, out


def noise(a: dict, b: dict) -> dict:
    """Largest relative change of an organisation's allocation between two runs, per rule."""
    out = {}
    for rule, alloc in a["allocations"].items():
        if rule in b["allocations"]:
            out[rule] = round(max(abs(b["allocations"][rule][o] - v) / v for o, v in alloc.items() if v), 5)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=4)
    ap.add_argument("--nights", type=int, default=30)
    ap.add_argument("--visits", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--speedup-nights", type=int, default=6)
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--skip-main", action="store_true")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="settle-bench-") as tmp:
        spec, scenarios = make_period(Path(tmp), args.orgs, args.nights, args.visits)
        if not args.skip_main:
            outs = []
            for seed in seeds:
                row, out = run(spec, scenarios, seed=seed, workers=args.workers)
                outs.append(out)
                results.append({"case": "main", **row})
                print(json.dumps(results[-1]), flush=True)
            if len(outs) >= 2:
                results.append({"case": "noise", "seeds": seeds[:2], "largest_change": noise(outs[0], outs[1]),
                                "target": 0.005})
                print(json.dumps(results[-1]), flush=True)
        if args.speedup_nights:
            small = scenarios[: args.speedup_nights]
            spec_small = spec
            rows = []
            for workers in sorted({1, args.workers}):
                row, _ = run(spec_small, small, seed=0, workers=workers)
                rows.append(row)
                results.append({"case": "speedup", **row})
                print(json.dumps(results[-1]), flush=True)
            if args.dask:
                from distributed import Client, LocalCluster

                with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, Client(cluster) as client:
                    row, _ = run(spec_small, small, seed=0, dask=client)
                rows.append(row)
                results.append({"case": "speedup", **row})
                print(json.dumps(results[-1]), flush=True)
            base = rows[0]["price_s"]
            results.append({"case": "speedup_summary",
                            "speedup": {("dask" if r["dask"] else f"workers={r['workers']}"): round(base / r["price_s"], 2)
                                        for r in rows}})
            print(json.dumps(results[-1]), flush=True)
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
