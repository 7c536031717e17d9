"""A night planned on OSRM times through the scenario file and the CLI; OSRM against the road graph."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nachtzorg.cli import main
from nachtzorg.synthetic import generate_night
from nachtzorg.travel import CachedTravel, OsrmTravel, RoadGraphTravel, provider_for
from nachtzorg.model import Scenario


def test_osrm_and_road_graph_agree_on_the_same_town(osrm_url, river_town, town_osm) -> None:
    pytest.importorskip("osmnx")
    rng = np.random.default_rng(11)
    pts = [river_town.point(float(rng.uniform(0, river_town.cols - 1)), float(rng.integers(0, river_town.rows)),
                            float(rng.uniform(-20, 20))) for _ in range(30)]
    a = OsrmTravel(osrm_url, max_table_size=25).matrix(pts)
    b = RoadGraphTravel.from_osm_xml(town_osm).matrix(pts)
    off = ~np.eye(len(pts), dtype=bool) & (b.distance_m > 200)
    # Two independent routers on one network: same detours (distances within 15 %), OSRM a bit
    # slower (turn and signal penalties of its car profile).
    assert np.median(a.distance_m[off] / b.distance_m[off]) == pytest.approx(1.0, abs=0.15)
    ratio = a.duration_s[off] / b.duration_s[off]
    assert 0.8 < np.median(ratio) < 1.6


def _scenario(tmp_path, river_town, url: str) -> str:
    sc = river_town.relocate(generate_night(12, 2, seed=6), seed=6)
    data = json.loads(sc.model_dump_json())
    data["travel"] = {"provider": "osrm", "url": url, "max_table_size": 25, "timeout_s": 2, "retries": 0}
    path = tmp_path / "night.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_cli_plans_on_osrm_and_second_run_reads_the_cache(osrm_url, river_town, tmp_path) -> None:
    path = _scenario(tmp_path, river_town, osrm_url)
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    assert main(["plan", path, "--out", str(out), "--solution-limit", "10", "--travel-cache", str(cache)]) in (0, 3)
    assert main(["check", path, str(out / "plan.json")]) == 0
    sc = Scenario.model_validate_json(open(path).read())
    sc = sc.model_copy(update={"travel": sc.travel.model_copy(update={"cache_dir": str(cache)})})
    provider = provider_for(sc.travel)
    assert isinstance(provider, CachedTravel) and isinstance(provider.provider, OsrmTravel)
    from nachtzorg.problem import compile_scenario

    compile_scenario(sc, provider)
    assert provider.hits == 1 and provider.misses == 0
    assert provider.provider.requests == 1  # only the data-version probe, no table request


def test_cli_reports_a_server_that_is_down(river_town, tmp_path, capsys) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = _scenario(tmp_path, river_town, f"http://127.0.0.1:{port}")
    out = tmp_path / "out"
    assert main(["plan", path, "--out", str(out), "--solution-limit", "5"]) == 2
    assert f"127.0.0.1:{port}" in capsys.readouterr().err
    assert not out.exists()
