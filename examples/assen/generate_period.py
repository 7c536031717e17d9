"""Generate the bundled example period of Assen / Midden-Drenthe (invented data, seeded).

The year 2027 is represented by three night templates derived from the bundled night
(``scenario.json``): Monday to Thursday (the night as it is, 209 nights), Friday and Saturday
(about a sixth of the visits fewer, 104 nights) and Sunday (about a quarter fewer, 52 nights).
Visits linked by an ``after`` rule are kept together. The period file adds the partners' acute
calls, the response norm (90 % of call-outs within 30 minutes) and the yearly fixed items; the
figures are invented orders of magnitude, not real budgets.

    python examples/assen/generate_period.py     # rewrites period.json and nights/*.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nachtzorg import Scenario
from nachtzorg.atomic import write_text

HERE = Path(__file__).resolve().parent
SEED = 27

PERIOD = {
    "name": "Assen en Midden-Drenthe, night team 2027 (invented example)",
    "region": {"name": "Assen / Midden-Drenthe (GP-post region)", "inhabitants": 101000},
    "organisations": [
        {"id": "org-a", "clients": 14, "inhabitants": 21000, "calls_per_night": 1.2},
        {"id": "org-b", "clients": 27, "inhabitants": 34000, "calls_per_night": 1.8},
        {"id": "org-c", "clients": 26, "inhabitants": 29000,
         "calls_by_hour": {"22": 0.15, "23": 0.35, "0": 0.3, "1": 0.3, "2": 0.25, "3": 0.15, "4": 0.1,
                           "5": 0.1, "6": 0.1}},
        {"id": "org-d", "clients": 11, "inhabitants": 17000, "calls_per_night": 1.0},
    ],
    "nights": [
        {"scenario": "scenario.json", "count": 209, "label": "Monday to Thursday"},
        {"scenario": "nights/friday_saturday.json", "count": 104, "label": "Friday and Saturday"},
        {"scenario": "nights/sunday.json", "count": 52, "label": "Sunday"},
    ],
    "norm": {"minutes": 30, "share": 0.9},
    "fixed": {
        "cars": {"eur_per_car_per_year": 8400},
        "items": [
            {"name": "back-up (achterwacht) on call", "kind": "backup", "hours_per_year": 2920, "eur_per_hour": 9.5},
            {"name": "rostering and night-service coordination", "kind": "coordination", "eur_per_year": 15000},
            {"name": "network coordinator of the partnership", "kind": "coordination", "eur_per_year": 12000,
             "only_shared": True},
            {"name": "alarm-centre connection and phones", "eur_per_year": 3500},
        ],
    },
    "readiness": {"simulated_nights": 20, "seed": 0, "max_extra_nurses": 3},
    "finance": {"year": 2027, "employer": "org-b", "advances": "proportional_clients"},
    "solver": {"time_limit_s": 2.0, "seed": 0},
}


def thinned(base: Scenario, share: float, rng: np.random.Generator, name: str) -> Scenario:
    """``base`` with about ``share`` of its visits removed (never one linked by an ``after`` rule)."""
    linked = {d.visit for v in base.visits for d in v.after} | {v.id for v in base.visits if v.after}
    free = [v.id for v in base.visits if v.id not in linked]
    drop = set(rng.choice(free, size=round(share * len(base.visits)), replace=False).tolist())
    visits = [v for v in base.visits if v.id not in drop]
    data = json.loads(base.to_json())
    data["name"] = name
    data["visits"] = [json.loads(v.model_dump_json()) for v in visits]
    return Scenario.model_validate(data)


def main() -> None:
    base = Scenario.load(HERE / "scenario.json")
    rng = np.random.default_rng(SEED)
    for fname, share, name in (("friday_saturday.json", 1 / 6, "Friday or Saturday night (template)"),
                               ("sunday.json", 1 / 4, "Sunday night (template)")):
        sc = thinned(base, share, rng, f"{base.name}: {name}")
        write_text(HERE / "nights" / fname, sc.to_json() + "\n")
        print(f"wrote nights/{fname}: {len(sc.visits)} visits")
    write_text(HERE / "period.json", json.dumps(PERIOD, indent=2, ensure_ascii=False) + "\n")
    print("wrote period.json")


if __name__ == "__main__":
    main()
