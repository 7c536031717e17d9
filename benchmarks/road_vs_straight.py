"""One night planned with straight-line and with road-graph times: routes and response times.

    python benchmarks/road_vs_straight.py [--visits 60] [--nurses 3] [--calls 40] [--seed 2] [--time-limit 2]

The night (nachtzorg.synthetic, moved into a 40 x 30 RiverTown: 8 x 6 km, one bridge) is
planned once per travel source; each plan is driven in its planned order on the road times
(late visits nobody planned for), and the same random fall calls are dispatched under each
source. Prints the summary table and one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from nachtzorg import SolveParams
from nachtzorg.model import RoadGraphSettings, StraightLineSettings
from nachtzorg.synthetic import generate_night
from nachtzorg.compare import compare_travel
from nachtzorg.travel.town import RiverTown


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=60)
    ap.add_argument("--nurses", type=int, default=3)
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=2.0)
    args = ap.parse_args(argv)
    town = RiverTown(cols=40, rows=30, spacing_m=200.0)
    with tempfile.TemporaryDirectory() as tmp:
        osm = town.write(Path(tmp) / "town.osm")
        night = town.relocate(generate_night(args.visits, args.nurses, seed=args.seed), seed=args.seed)
        t0 = time.perf_counter()
        cmp = compare_travel(night, {"straight line": StraightLineSettings(), "road graph": RoadGraphSettings(graph=str(osm))},
                             "road graph", params=SolveParams(time_limit_s=args.time_limit), n_calls=args.calls,
                             seed=args.seed)
        wall = time.perf_counter() - t0
    summary = cmp.summary()
    print(summary.to_string())
    print(json.dumps({"visits": args.visits, "nurses": args.nurses, "calls": args.calls, "seed": args.seed,
                      "wall_s": round(wall, 1), "summary": json.loads(summary.to_json(orient="index"))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
