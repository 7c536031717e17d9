"""The on-disk travel-matrix cache, and travel settings in scenarios and on the command line."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from nachtzorg.cli import main
from nachtzorg.exceptions import TravelError
from nachtzorg.model import LatLon, Scenario
from nachtzorg.synthetic import generate_night
from nachtzorg.travel import StraightLineTravel, TravelMatrix, provider_for
from nachtzorg.travel.cache import CachedTravel
from nachtzorg.travel.town import RiverTown

PTS = [LatLon(lat=52.99 + 0.003 * k, lon=6.56 + 0.002 * (k % 5)) for k in range(12)]


class Counting:
    """A provider that counts how often it is asked."""

    def __init__(self, inner: StraightLineTravel) -> None:
        self.inner, self.calls = inner, 0

    def cache_key(self) -> str:
        return self.inner.cache_key()

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix:
        self.calls += 1
        return self.inner.matrix(points)


def test_second_request_is_a_file_read(tmp_path) -> None:
    inner = Counting(StraightLineTravel())
    cache = CachedTravel(inner, tmp_path)
    a = cache.matrix(PTS)
    b = CachedTravel(inner, tmp_path).matrix(PTS)  # a new process would start like this
    assert inner.calls == 1
    assert (a.duration_s == b.duration_s).all() and (a.distance_m == b.distance_m).all()
    assert len(list(tmp_path.glob("*.npz"))) == 1 and not list(tmp_path.glob(".*.tmp"))


def test_other_points_or_settings_miss(tmp_path) -> None:
    inner = Counting(StraightLineTravel())
    cache = CachedTravel(inner, tmp_path)
    cache.matrix(PTS)
    cache.matrix(PTS[::-1])
    assert inner.calls == 2
    slower = Counting(StraightLineTravel(speed_kmh=30))
    m = CachedTravel(slower, tmp_path).matrix(PTS)
    assert slower.calls == 1
    assert (m.duration_s == StraightLineTravel(speed_kmh=30).matrix(PTS).duration_s).all()


def test_small_tables_are_not_cached(tmp_path) -> None:
    inner = Counting(StraightLineTravel())
    cache = CachedTravel(inner, tmp_path, min_points=10)
    cache.matrix(PTS[:3])
    cache.matrix(PTS[:3])
    assert inner.calls == 2 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("damage", [b"", b"not a numpy file", None])
def test_damaged_file_is_recomputed(tmp_path, damage: bytes | None) -> None:
    inner = Counting(StraightLineTravel())
    cache = CachedTravel(inner, tmp_path)
    good = cache.matrix(PTS)
    path = cache.path(PTS)
    if damage is None:  # a readable file of the wrong shape
        np.savez(path, duration_s=np.zeros((2, 2), dtype=np.int64), distance_m=np.zeros((2, 2), dtype=np.int64))
    else:
        path.write_bytes(damage)
    again = cache.matrix(PTS)
    assert inner.calls == 2 and (again.duration_s == good.duration_s).all()
    assert CachedTravel(inner, tmp_path).matrix(PTS).duration_s.shape == (12, 12) and inner.calls == 2


def test_unwritable_cache_does_not_stop_the_plan(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = CachedTravel(StraightLineTravel(), blocker / "sub")  # cannot make a directory under a file
    assert cache.matrix(PTS).duration_s.shape == (12, 12)


def test_provider_without_cache_key_is_refused(tmp_path) -> None:
    class NoKey:
        def matrix(self, points):  # pragma: no cover - never called
            raise AssertionError

    with pytest.raises(TypeError, match="cache_key"):
        CachedTravel(NoKey(), tmp_path)


def test_scenario_travel_settings_choose_the_provider(tmp_path) -> None:
    sc = generate_night(10, 1, seed=1)
    assert isinstance(provider_for(sc.travel), StraightLineTravel)
    data = json.loads(sc.model_dump_json())
    del data["travel"]["provider"]  # files written before providers existed still mean straight line
    assert Scenario.model_validate(data).travel.provider == "straight_line"
    data["travel"] = {"provider": "road_graph"}
    with pytest.raises(Exception, match=r"travel\.road_graph\.graph"):
        Scenario.model_validate(data)
    data["travel"] = {"provider": "osrm", "url": "ftp://x"}
    with pytest.raises(Exception, match=r"travel\.osrm\.url"):
        Scenario.model_validate(data)
    data["travel"] = {"provider": "teleport"}
    with pytest.raises(Exception, match="unknown travel provider"):
        Scenario.model_validate(data)
    data["travel"] = {"provider": "straight_line", "cache_dir": str(tmp_path)}
    assert isinstance(provider_for(Scenario.model_validate(data).travel), CachedTravel)
    assert not isinstance(provider_for(Scenario.model_validate(data).travel, cache=False), CachedTravel)


TOWN = RiverTown(cols=14, rows=10, spacing_m=200.0)


def _town_scenario(tmp_path, **travel) -> str:
    pytest.importorskip("osmnx")
    TOWN.write(tmp_path / "town.osm")
    sc = TOWN.relocate(generate_night(14, 2, seed=4), seed=4)
    data = json.loads(sc.model_dump_json())
    data["travel"] = {"provider": "road_graph", "graph": "town.osm", **travel}  # relative to the file
    path = tmp_path / "night.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_plans_and_checks_on_road_times_with_a_cache(tmp_path, monkeypatch, capsys) -> None:
    scenario = _town_scenario(tmp_path)
    monkeypatch.chdir(tmp_path.parent)  # the graph path is relative to the scenario file, not here
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    args = ["plan", scenario, "--out", str(out), "--solution-limit", "20", "--travel-cache", str(cache)]
    assert main(args) in (0, 3)
    files = [f for f in cache.glob("*.npz") if not f.name.startswith("graph-")]
    assert len(files) == 1 and len(list(cache.glob("graph-*.npz"))) == 1  # the table and the graph
    stamp = files[0].stat().st_mtime_ns
    assert main(["check", scenario, str(out / "plan.json"), "--travel-cache", str(cache)]) == 0
    assert main(args) in (0, 3)
    assert [f.stat().st_mtime_ns for f in cache.glob("*.npz") if f.name == files[0].name] == [stamp]
    plan = json.loads((out / "plan.json").read_text())
    assert plan["kpis"]["distance_km"] > 0


def test_cli_names_the_client_outside_the_road_graph(tmp_path, capsys) -> None:
    path = _town_scenario(tmp_path, max_snap_m=300)
    data = json.loads(open(path).read())
    data["clients"][2]["location"] = {"lat": TOWN.center.lat + 0.05, "lon": TOWN.center.lon}
    open(path, "w").write(json.dumps(data))
    out = tmp_path / "out"
    assert main(["plan", path, "--out", str(out), "--solution-limit", "5"]) == 2
    err = capsys.readouterr().err
    assert f"client {data['clients'][2]['id']!r}" in err and "nearest road" in err
    assert not out.exists()


def test_missing_graph_file_is_named(tmp_path, capsys) -> None:
    path = _town_scenario(tmp_path)
    (tmp_path / "town.osm").unlink()
    assert main(["validate", path]) == 0  # the file is valid JSON; the graph is read when planning
    assert main(["plan", path, "--out", str(tmp_path / "out"), "--solution-limit", "5"]) == 2
    assert "town.osm" in capsys.readouterr().err


def test_travel_error_labels_come_from_compile(tmp_path) -> None:
    from nachtzorg.problem import compile_scenario

    sc = generate_night(10, 2, seed=1)

    class Broken:
        def matrix(self, points):
            raise TravelError("no road", points=(len(points) - 1,))

    with pytest.raises(TravelError, match=r"end of shift 'nurse-2'"):
        compile_scenario(sc, Broken())
