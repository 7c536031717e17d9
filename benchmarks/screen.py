#!/usr/bin/env python
"""Screen OR-Tools search settings against the current search, side by side in one run.

A variant is a name and OR-Tools ``RoutingSearchParameters`` in protobuf text format, merged over
nachtzorg's own settings (``SolveParams.ortools_overrides``); ``current`` (no overrides) always
runs too. Single runs at 1-2 s move by a point or more between seeds, so every variant runs
with every seed and the table shows each seed's mean beside the mean over seeds.

``vrptw``: Solomon instances (default: the 18-instance screening subset of
``benchmarks/README.md``), one instance solve per process, ``--procs`` processes at a time (2 on
this machine class: one per core, so both variants of an instance and seed run under the same
load). Prints mean gap to the best known per variant, seed and class.

``nights``: the generated nights of ``night_short_vs_long.py`` with ``nachtzorg.solve.solve`` (``--workers``
processes per solve), one solve at a time, against the long solves of a reference file written
by ``night_short_vs_long.py`` (its printed output: text lines, then a JSON list). Prints runs
within 0.5 % of the reference and visits served, per variant.

    python benchmarks/screen.py vrptw --time-limit 1 --seeds 1 2 \\
        --variant 'sci=iterated_local_search_parameters { ruin_recreate_parameters {
                   recreate_strategy { heuristic: SEQUENTIAL_CHEAPEST_INSERTION } } }'
    python benchmarks/night_short_vs_long.py --workers 2 > out/nights60.txt
    python benchmarks/screen.py nights --reference out/nights60.txt --workers 2 --reps 2 \\
        --variant 'noex=local_search_operators { use_exchange: BOOL_FALSE }'
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nachtzorg.exceptions import InputError
from nachtzorg.atomic import write_text as atomic_write_text
from nachtzorg.io.vrptw import read_instance, solve_instance
from nachtzorg.problem import compile_scenario
from nachtzorg.schedule import total_cost
from nachtzorg.solve import SolveParams, Tuning, solve
from nachtzorg.synthetic import generate_night

HERE = Path(__file__).resolve().parent
#: The screening subset: three instances per Solomon class.
SUBSET = ("C101 C105 C109 C201 C205 C208 R101 R106 R112 R201 R206 R211 "
          "RC101 RC105 RC108 RC201 RC205 RC208").split()
#: visits -> nurses on shift, as night_short_vs_long.py
SIZES = {56: 3, 30: 2, 60: 3, 120: 7, 200: 10}


def _variants(specs: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {"current": None}
    for spec in specs:
        name, sep, text = spec.partition("=")
        if not sep or not name or name in out:
            raise SystemExit(f"error: --variant {spec!r}: expected a new NAME=TEXT")
        try:
            SolveParams(tuning=Tuning(ortools_overrides=text))  # fail before any solving, naming the bad text
        except InputError as e:
            raise SystemExit(f"error: --variant {name}: {e}") from None
        out[name] = text
    return out


def _class(instance: str) -> str:
    head = instance.rstrip("0123456789")
    return head + instance[len(head)]


def _vrptw_job(job: tuple[str, str | None, int, str, float]) -> tuple[str, int, str, float | None]:
    name, text, seed, path, limit = job
    inst = read_instance(path)
    r = solve_instance(inst, SolveParams(time_limit_s=limit, seed=seed, tuning=Tuning(ortools_overrides=text)))
    return name, seed, inst.name, r.gap_pct if r.feasible else None


def screen_vrptw(args: argparse.Namespace) -> dict:
    variants = _variants(args.variant)
    paths = [str(p) for p in args.instances] or [str(HERE / "data" / "solomon" / f"{n}.txt") for n in SUBSET]
    for p in paths:
        read_instance(p)
    # interleaved: the variants of one instance and seed run next to one another
    jobs = [(name, text, seed, p, args.time_limit) for seed in args.seeds for p in paths
            for name, text in variants.items()]
    gaps: dict[tuple[str, int], dict[str, float | None]] = {}
    if args.procs > 1:
        with ProcessPoolExecutor(max_workers=args.procs) as pool:
            results = list(pool.map(_vrptw_job, jobs))
    else:
        results = [_vrptw_job(job) for job in jobs]
    for name, seed, inst, gap in results:
        gaps.setdefault((name, seed), {})[inst] = gap
    rows = []
    for name in variants:
        per_seed = {}
        classes: dict[str, list[float]] = {}
        failed = 0
        for seed in args.seeds:
            g = gaps[(name, seed)]
            ok = [x for x in g.values() if x is not None]
            failed += len(g) - len(ok)
            per_seed[seed] = round(statistics.mean(ok), 3) if ok else None
            for inst, x in g.items():
                if x is not None:
                    classes.setdefault(_class(inst), []).append(x)
        means = [x for x in per_seed.values() if x is not None]
        rows.append({"variant": name, "overrides": variants[name], "mean_gap_pct": round(statistics.mean(means), 3)
                     if means else None, "per_seed": per_seed, "infeasible": failed,
                     "classes": {c: round(statistics.mean(v), 2) for c, v in sorted(classes.items())},
                     "gaps": {f"{inst}/{seed}": gaps[(name, seed)][inst] for seed in args.seeds
                              for inst in gaps[(name, seed)]}})
        seeds = " / ".join("-" if x is None else f"{x:.2f}" for x in per_seed.values())
        cls = " ".join(f"{c} {v:.2f}" for c, v in rows[-1]["classes"].items())
        print(f"{name:>12}: mean gap {rows[-1]['mean_gap_pct']} % (seeds {seeds}), no solution {failed}; {cls}",
              flush=True)
    return {"kind": "vrptw", "time_limit_s": args.time_limit, "seeds": args.seeds, "instances": len(paths),
            "rows": rows}


def _reference(path: Path) -> dict[tuple[int, int], int]:
    """Long-solve objectives by (seed, visits) from night_short_vs_long.py's printed output."""
    text = path.read_text()
    start = text.find("\n[")
    try:
        rows = json.loads(text[start + 1:] if start >= 0 else text)
        return {(int(r["seed"]), int(r["visits"])): int(r["long"]["objective"]) for r in rows}
    except (ValueError, KeyError, TypeError) as e:
        raise SystemExit(f"error: --reference {path}: not night_short_vs_long.py output ({e})") from None


def screen_nights(args: argparse.Namespace) -> dict:
    variants = _variants(args.variant)
    ref = _reference(args.reference)
    nights = sorted(ref)
    if args.nights:
        wanted = {tuple(int(x) for x in n.split("/")) for n in args.nights}
        nights = [n for n in nights if n in wanted]
    problems = {(s, n): compile_scenario(generate_night(n, SIZES[n], 4, seed=s)).problem for s, n in nights}
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for rep in range(args.reps):
        for key in nights:  # interleaved, as for vrptw
            p = problems[key]
            for name, text in variants.items():
                r = solve(p, SolveParams(time_limit_s=args.time_limit, workers=args.workers, tuning=Tuning(ortools_overrides=text)))
                on = {x for route in r.routes for x in route}
                served = sum(1 for nodes in p.task_nodes if all(x in on for x in nodes))
                cost = total_cost(p, r.routes)
                runs[name].append({"night": f"{key[0]}/{key[1]}", "rep": rep, "served": served,
                                   "vs_reference_pct": round(100.0 * (cost - ref[key]) / ref[key], 3),
                                   "nurses": sum(1 for route in r.routes if route)})
    rows = []
    for name, rs in runs.items():
        within = sum(1 for x in rs if x["vs_reference_pct"] <= 0.5)
        rows.append({"variant": name, "overrides": variants[name], "within_0_5_pct": within, "runs": len(rs),
                     "served": sum(x["served"] for x in rs), "runs_detail": rs})
        print(f"{name:>12}: {within} of {len(rs)} runs within 0.5 %, {rows[-1]['served']} visits served", flush=True)
    return {"kind": "nights", "time_limit_s": args.time_limit, "workers": args.workers, "reps": args.reps,
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="kind", required=True)
    v = sub.add_parser("vrptw", help="Solomon instances, mean gap to the best known")
    v.add_argument("instances", nargs="*", type=Path, help="instance files (default: the 18-instance subset)")
    v.add_argument("--time-limit", type=float, default=1.0, help="seconds per instance")
    v.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    v.add_argument("--procs", type=int, default=2, help="instance solves at a time (one per core)")
    n = sub.add_parser("nights", help="generated nights against a long-solve reference")
    n.add_argument("--reference", type=Path, required=True, help="night_short_vs_long.py output")
    n.add_argument("--nights", nargs="*", help="SEED/VISITS of the reference (default: all)")
    n.add_argument("--time-limit", type=float, default=2.0, help="seconds per night")
    n.add_argument("--workers", type=int, default=2, help="processes per night solve (SolveParams.workers)")
    n.add_argument("--reps", type=int, default=2, help="solves per night and variant")
    for p in (v, n):
        p.add_argument("--variant", action="append", default=[], metavar="NAME=TEXT",
                       help="RoutingSearchParameters text merged over ours; repeat for more")
        p.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = ap.parse_args(argv)
    doc = screen_vrptw(args) if args.kind == "vrptw" else screen_nights(args)
    if args.json:
        atomic_write_text(args.json, json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
