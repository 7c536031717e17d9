"""Where the solver noise of the settlement comes from; prints one JSON object.

    nice -n 5 python benchmarks/settle_noise.py [--orgs 4] [--nights 10] [--visits 50]
        [--seeds 0,1] [--workers 1] [--top 12] [--out FILE]

Prices the generated period of ``settle_bench.py`` (:func:`settle_bench.make_period`) once per
solver seed (the first two seeds are compared) and decomposes the difference between the runs:

* ``noise``: the largest relative change of an organisation's allocation per rule (the
  requirement: at most 0.005), as ``settle_bench.py`` reports it;
* ``coalitions``: per coalition, its yearly value under both seeds and the change split into
  planned visits, readiness and fixed items (EUR a year), largest change first;
* ``shapley_from``: per coalition, how much its change moves each organisation's Shapley value
  (Shapley is linear in the coalition values: EUR a year), largest first;
* ``coalition_nights``: every coalition night whose planned nurses, team, planned EUR or readiness EUR
  differ between the seeds (both values; the night's weight);
* ``counts``: how many coalition nights differ in planned nurses, in the team, and in planned
  euros by more than EUR 1; ``spared``: per seed, coalition nights whose team the search for
  fewer nurses made smaller;
* ``timing``: per seed, wall seconds of the pricing, of which routing (``coalition_costs``) and
  readiness (``smallest_team``), its reference routing (``reference_routes``) and the search for
  fewer nurses (``fewer_nurses``), where the code has them, measured in this process (``--workers 1``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from settle_bench import make_period, noise

import nachtzorg.settle.game as game_mod
from nachtzorg.parallel import executor_for
from nachtzorg.settle import build_settlement, resolve_period, settle_period
from nachtzorg.settle.game import PeriodGame, all_coalitions, coalition_key


class Timer:
    """Wall seconds spent inside wrapped functions (this process only)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t
        return timed


def price(spec, scenarios, seed: int, workers: int) -> tuple[PeriodGame, dict, dict]:
    """The priced period, its settlement JSON and the timing of one seed."""
    period = resolve_period(spec, scenarios)
    timer = Timer()
    originals = {name: getattr(game_mod, name) for name in ("coalition_costs", "smallest_team", "reference_routes",
                                                             "fewer_nurses")
                 if hasattr(game_mod, name)}
    for name, fn in originals.items():
        setattr(game_mod, name, timer.wrap(name, fn))
    executor = executor_for(workers=workers)
    t = time.perf_counter()
    try:
        pg = settle_period(period, seed=seed, executor=executor, progress=False)
    finally:
        executor.shutdown()
        for name, fn in originals.items():
            setattr(game_mod, name, fn)
    price_s = time.perf_counter() - t
    out = build_settlement(pg).to_json()
    timing = {"seed": seed, "price_s": round(price_s, 1), "wall_s": round(time.perf_counter() - t, 1)}
    if workers <= 1:
        timing.update({"routing_s": round(timer.seconds.get("coalition_costs", 0.0), 1),
                       "readiness_s": round(timer.seconds.get("smallest_team", 0.0), 1),
                       "reference_s": round(timer.seconds.get("reference_routes", 0.0), 1),
                       "fewer_nurses_s": round(timer.seconds.get("fewer_nurses", 0.0), 1)})
    return pg, out, timing


def shapley_weights(n: int) -> dict[int, float]:
    """Weight of a coalition of size ``k`` in a member's Shapley value: (k-1)!(n-k)!/n!."""
    return {k: math.factorial(k - 1) * math.factorial(n - k) / math.factorial(n) for k in range(1, n + 1)}


def compare(a: PeriodGame, b: PeriodGame, out_a: dict, out_b: dict, top: int) -> dict:
    """The decomposition of the module docstring."""
    players = a.players
    coalitions = all_coalitions(players)
    rows = []
    delta: dict[frozenset, float] = {}
    for s in coalitions:
        va, vb = a.cost(s), b.cost(s)
        delta[s] = vb - va
        rows.append({"coalition": coalition_key(s), "eur": [round(va), round(vb)], "change_eur": round(vb - va),
                     "change_pct": round(100 * (vb - va) / va, 3) if va else None,
                     "planned_eur": round(b.planned_eur(s) - a.planned_eur(s)),
                     "readiness_eur": round(b.readiness_eur(s) - a.readiness_eur(s)),
                     "fixed_eur": round(b.fixed_eur(s) - a.fixed_eur(s))})
    rows.sort(key=lambda r: -abs(r["change_eur"]))
    w = shapley_weights(len(players))
    shap = []
    for s in coalitions:
        effect = {p: (w[len(s)] if p in s else -w[len(s) + 1]) * delta[s] for p in players}
        shap.append({"coalition": coalition_key(s), "by_org": {p: round(v) for p, v in effect.items()},
                     "largest": round(max(abs(v) for v in effect.values()))})
    shap.sort(key=lambda r: -r["largest"])
    nights = []
    counts = {"total": 0, "planned_nurses": 0, "team": 0, "planned_eur_gt_1": 0, "readiness_eur": 0,
              "norm_met": 0}
    for na, nb in zip(a.nights, b.nights):
        for s in coalitions:
            ca, cb = na.coalitions[s], nb.coalitions[s]
            counts["total"] += 1
            diff = {"planned_nurses": ca.nurses_planned != cb.nurses_planned, "team": ca.nurses != cb.nurses,
                    "planned_eur_gt_1": abs(ca.planned_eur - cb.planned_eur) > 1,
                    "readiness_eur": abs(ca.readiness_eur - cb.readiness_eur) > 0.005,
                    "norm_met": ca.norm_met != cb.norm_met}
            for k, v in diff.items():
                counts[k] += int(v)
            if any(diff.values()):
                nights.append({"night": na.label, "weight": round(na.weight, 2), "coalition": coalition_key(s),
                               "planned_nurses": [ca.nurses_planned, cb.nurses_planned],
                               "team": [ca.nurses, cb.nurses],
                               "reference_nurses": [getattr(ca, "nurses_reference", None),
                                                    getattr(cb, "nurses_reference", None)],
                               "planned_eur": [round(ca.planned_eur, 2), round(cb.planned_eur, 2)],
                               "readiness_eur": [ca.readiness_eur, cb.readiness_eur],
                               "within_share": [round(ca.within_share, 3), round(cb.within_share, 3)],
                               "capped_by": [ca.capped_by, cb.capped_by]})
    counts["spared"] = [sum(getattr(c, "nurses_spared", 0) > 0 for n in g.nights for c in n.coalitions.values())
                        for g in (a, b)]
    nights.sort(key=lambda r: (r["team"][0] == r["team"][1], -abs(r["planned_eur"][1] - r["planned_eur"][0])))
    return {"noise": noise(out_a, out_b), "target": 0.005,
            "allocations": {r: {"a": out_a["allocations"][r], "b": out_b["allocations"].get(r)}
                            for r in ("shapley", "nucleolus", "epm")},
            "counts": counts, "coalitions": rows[:top], "shapley_from": shap[:top], "coalition_nights": nights}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=4)
    ap.add_argument("--nights", type=int, default=10)
    ap.add_argument("--visits", type=int, default=50)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--top", type=int, default=12, help="coalitions listed")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if len(seeds) < 2:
        ap.error("--seeds: give two seeds, e.g. 0,1")
    runs = []
    with tempfile.TemporaryDirectory(prefix="settle-noise-") as tmp:
        spec, scenarios = make_period(Path(tmp), args.orgs, args.nights, args.visits)
        for seed in seeds[:2]:
            runs.append(price(spec, scenarios, seed, args.workers))
            print(json.dumps({"timing": runs[-1][2]}), file=sys.stderr, flush=True)
    (pa, oa, ta), (pb, ob, tb) = runs
    result = {"orgs": args.orgs, "nights": args.nights, "visits": args.visits, "seeds": seeds[:2],
              "workers": args.workers, "timing": [ta, tb], **compare(pa, pb, oa, ob, args.top)}
    # one key a line, each list item on a line of its own: readable and still JSON
    parts = []
    for k, v in result.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            parts.append(f"{json.dumps(k)}: [\n  " + ",\n  ".join(json.dumps(x) for x in v) + "\n]")
        else:
            parts.append(f"{json.dumps(k)}: {json.dumps(v)}")
    text = "{\n" + ",\n".join(parts) + "\n}"
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
