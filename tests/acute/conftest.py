"""Small hand-made nights for acute-call tests."""

from __future__ import annotations

import pytest

from nachtzorg import Scenario
from nachtzorg.acute import initial_state
from tests.conftest import client, night, nurse, point, solve_checked, visit


@pytest.fixture(scope="module")
def pair_night():
    """n1+n2 do a two-nurse visit at A (02:00, 40 min) 0.5 km from the caller; n3 is free,
    starting 4 km away. Returns (scenario, plan, initial state)."""
    data = night(
        [client("A", 0.0, 0.0), client("B", 1.0, 0.0)],
        [visit("vA", "A", windows=[{"start": "02:00", "end": "02:00"}], minutes=40, nurses=2),
         visit("vB", "B", "04:00", "04:30", minutes=10)],
        shifts=[nurse("n1"), nurse("n2"), nurse("n3", start=point(-4.0, 0.0))],
    )
    scenario, plan = solve_checked(data)
    return scenario, plan, initial_state(scenario, plan)


def call_at(id: str, dlat_km: float, dlon_km: float = 0.0, **kw) -> dict:
    return {"id": id, "location": point(dlat_km, dlon_km), "duration_min": 20, **kw}


@pytest.fixture(scope="module")
def small_scenario() -> Scenario:
    from nachtzorg.synthetic import generate_night

    return generate_night(24, 3, 2, seed=3)


@pytest.fixture(scope="module")
def small_plan_files(tmp_path_factory, small_scenario):
    """A small generated night and its deterministic plan, as files (scenario, plan)."""
    from tests.conftest import DETERMINISTIC
    from nachtzorg import plan_night

    d = tmp_path_factory.mktemp("acute")
    scen = d / "scenario.json"
    scen.write_text(small_scenario.to_json(), encoding="utf-8")
    plan = d / "plan.json"
    plan.write_text(plan_night(small_scenario, DETERMINISTIC).to_json(), encoding="utf-8")
    return str(scen), str(plan)
