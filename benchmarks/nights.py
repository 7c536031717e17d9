"""The benchmark nights: the Assen example and generated nights of 30-200 visits (seeded)."""

from __future__ import annotations

from pathlib import Path

from nachtzorg import Scenario
from nachtzorg.synthetic import generate_night

ROOT = Path(__file__).resolve().parents[1]

#: visits -> nurses on shift (about 20 visits per nurse, as in DOMAIN.md)
SIZES = {30: 2, 60: 3, 120: 6, 200: 9}


def benchmark_nights() -> dict[str, Scenario]:
    nights = {"assen": Scenario.load(ROOT / "examples" / "assen" / "scenario.json")}
    for n, m in SIZES.items():
        nights[f"gen{n}"] = generate_night(n, m + (1 if n >= 120 else 0), 4, seed=11)
    return nights
