"""Plan the Assen example night, check it, and write the outputs (map, route sheet CSV, ...).

    python examples/assen/plan_assen.py [OUT_DIR]     # default: out/assen
"""

from __future__ import annotations

import sys
from pathlib import Path

from nachtzorg import Scenario, SolveParams, check_plan, plan_night, write_outputs

HERE = Path(__file__).parent


def main(out_dir: Path) -> int:
    scenario = Scenario.load(HERE / "scenario.json")
    plan = plan_night(scenario, SolveParams(time_limit_s=5))
    print(plan.summary())
    report = check_plan(scenario, plan)
    print(report)
    for path in write_outputs(plan, scenario, out_dir):
        print("wrote", path)
    print(f"open {out_dir / 'map.html'} in a browser to see the routes")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/assen")))
