"""Driving a plan on other travel times, and the straight-line vs road comparison."""

from __future__ import annotations

import pytest

from nachtzorg import SolveParams, plan_night
from nachtzorg.model import RoadGraphSettings, Scenario, StraightLineSettings
from nachtzorg.synthetic import generate_night
from nachtzorg.travel import StraightLineTravel
from nachtzorg.compare import compare_travel, drive_plan
from nachtzorg.travel.town import RiverTown

pytest.importorskip("osmnx")
TOWN = RiverTown(cols=24, rows=16, spacing_m=200.0)
PARAMS = SolveParams(solution_limit=20)


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Scenario]:
    graph = TOWN.write(tmp_path_factory.mktemp("town") / "town.osm")
    base = TOWN.relocate(generate_night(24, 2, seed=5), seed=5)
    road = Scenario.model_validate({**base.model_dump(), "travel": RoadGraphSettings(graph=str(graph))})
    return base, road


def test_a_plan_driven_on_its_own_times_is_the_plan(night) -> None:
    _, road = night
    plan = plan_night(road, PARAMS)
    driven = drive_plan(plan, road).set_index("visit_id")
    single = {s.visit_id: s for r in plan.routes for s in r.stops if s.kind == "visit" and s.nurses == 1}
    assert single
    for vid, stop in single.items():
        assert driven.loc[vid, "driven_start"] == stop.start.strftime("%H:%M")
        assert driven.loc[vid, "late_min"] == pytest.approx(stop.late_min, abs=0.1)


def test_faster_travel_only_brings_visits_earlier(night) -> None:
    base, _ = night
    plan = plan_night(base, PARAMS)
    slow = drive_plan(plan, base)
    fast = drive_plan(plan, base, StraightLineTravel(speed_kmh=90, detour_factor=1.0))
    merged = slow.merge(fast, on=["shift", "visit_id"], suffixes=("_slow", "_fast"))
    assert (merged["late_min_fast"] <= merged["late_min_slow"]).all()
    assert (merged["driven_km_so_far_fast"] <= merged["driven_km_so_far_slow"]).all()


def test_compare_travel_reports_every_source_and_call(night) -> None:
    base, road = night
    sources = {"straight line": StraightLineSettings(), "roads": road.travel}
    c = compare_travel(base, sources, "roads", params=PARAMS, n_calls=4, seed=1)
    s = c.summary()
    assert list(s.index) == ["straight line", "roads"]
    assert len(c.responses) == 8 and c.responses["response_min"].notna().all()
    assert {"late_visits_on_roads", "response_p90_min", "norm_met_share"} <= set(s.columns)
    assert "<table" in c._repr_html_()
    with pytest.raises(ValueError, match="reference"):
        compare_travel(base, sources, "osrm")
