"""Road-graph travel times on the synthetic river town (osmnx reads it offline)."""

from __future__ import annotations

import numpy as np
import networkx as nx
import pytest

from nachtzorg.exceptions import TravelError
from nachtzorg.model import LatLon, RoadGraphSettings
from nachtzorg.travel import StraightLineTravel
from nachtzorg.travel.graph import RoadGraphFile, RoadGraphTravel
from nachtzorg.travel.town import RiverTown

pytest.importorskip("osmnx")

TOWN = RiverTown(cols=12, rows=10, spacing_m=150.0, bridge_row=0)


@pytest.fixture(scope="module")
def town_file(tmp_path_factory: pytest.TempPathFactory):
    return TOWN.write(tmp_path_factory.mktemp("town") / "town.osm")


@pytest.fixture(scope="module")
def roads(town_file) -> RoadGraphTravel:
    return RoadGraphTravel.from_osm_xml(town_file)


def test_matrix_is_integer_square_with_zero_diagonal(roads: RoadGraphTravel) -> None:
    pts = [TOWN.crossing(c, r) for c, r in [(0, 0), (3, 4), (9, 9), (11, 2)]]
    m = roads.matrix(pts)
    assert m.duration_s.shape == m.distance_m.shape == (4, 4)
    assert m.duration_s.dtype.kind == "i" and m.distance_m.dtype.kind == "i"
    assert (np.diag(m.duration_s) == 0).all() and (np.diag(m.distance_m) == 0).all()
    assert (m.duration_s[~np.eye(4, dtype=bool)] > 0).all()


def test_residential_speed_from_road_type_and_maxspeed_on_the_main_road(roads: RoadGraphTravel) -> None:
    # Three blocks along a residential street (no maxspeed): 450 m at 30 km/h = 54 s.
    m = roads.matrix([TOWN.crossing(1, 5), TOWN.crossing(4, 5)])
    assert m.distance_m[0, 1] == pytest.approx(450, abs=2)
    assert m.duration_s[0, 1] == pytest.approx(54, abs=1)
    # Three blocks along the main road (maxspeed=50): 450 m at 50 km/h = 32.4 s.
    m = roads.matrix([TOWN.crossing(1, 0), TOWN.crossing(4, 0)])
    assert m.duration_s[0, 1] == pytest.approx(32.4, abs=1)


def test_speed_table_overrides_road_types(town_file) -> None:
    slow = RoadGraphTravel.from_osm_xml(town_file, speeds_kmh={"residential": 15})
    m = slow.matrix([TOWN.crossing(1, 5), TOWN.crossing(4, 5)])
    assert m.duration_s[0, 1] == pytest.approx(108, abs=1)


def test_river_makes_neighbours_on_opposite_banks_far_apart(roads: RoadGraphTravel) -> None:
    w, e = TOWN.west_cols - 1, TOWN.west_cols
    top = TOWN.rows - 1
    across = [TOWN.crossing(w, top), TOWN.crossing(e, top)]  # 270 m apart as the crow flies
    same_bank = [TOWN.crossing(w - 1, top), TOWN.crossing(w, top)]  # 150 m, one block
    straight = StraightLineTravel(speed_kmh=30, detour_factor=1.0)
    road_across = roads.matrix(across)
    # Down to the bridge in row 0, across, and back up: 2 x 9 blocks + the bridge.
    assert road_across.distance_m[0, 1] == pytest.approx(2 * 9 * 150 + 270, abs=3)
    assert road_across.duration_s[0, 1] > 8 * straight.matrix(across).duration_s[0, 1]
    assert roads.matrix(same_bank).duration_s[0, 1] <= 1.05 * straight.matrix(same_bank).duration_s[0, 1] + 1


def test_access_leg_is_added_at_access_speed(roads: RoadGraphTravel) -> None:
    on = TOWN.crossing(2, 3)
    off = TOWN.point(2, 3, offset_m=50)  # 50 m north of the crossing, nearer to it than to (2, 4)
    a = roads.matrix([TOWN.crossing(5, 3), on]).duration_s[0, 1]
    b = roads.matrix([TOWN.crossing(5, 3), off]).duration_s[0, 1]
    assert b - a == pytest.approx(50 / (15 / 3.6), abs=1.5)


def test_scipy_and_networkx_engines_agree(roads: RoadGraphTravel) -> None:
    rng = np.random.default_rng(3)
    pts = [TOWN.point(float(rng.uniform(0, 11)), float(rng.integers(0, 10)), float(rng.uniform(-30, 30)))
           for _ in range(25)]
    a = roads.matrix(pts)
    b = RoadGraphTravel(roads.graph, engine="networkx").matrix(pts)
    assert (a.duration_s == b.duration_s).all()
    assert (a.distance_m == b.distance_m).all()


def _small_graph(directed_extra: list[tuple[int, int]]) -> nx.MultiDiGraph:
    """Four nodes 1 km apart on a line (two-way), plus one-way edges to node 9."""
    g = nx.MultiDiGraph()
    for k in range(4):
        g.add_node(k, x=6.5 + k * 0.0149, y=53.0)
    g.add_node(9, x=6.5, y=53.009)
    for k in range(3):
        for a, b in ((k, k + 1), (k + 1, k)):
            g.add_edge(a, b, travel_time=60.0, length=1000.0)
    g.add_edge(0, 1, travel_time=30.0, length=1200.0)  # a faster, longer parallel road one way
    for a, b in directed_extra:
        g.add_edge(a, b, travel_time=90.0, length=1000.0)
    return g


def test_fastest_parallel_edge_and_one_way_streets_give_an_asymmetric_table() -> None:
    roads = RoadGraphTravel.from_networkx(_small_graph([(0, 9), (9, 3)]))
    pts = [LatLon(lat=53.0, lon=6.5), LatLon(lat=53.0, lon=6.5 + 3 * 0.0149), LatLon(lat=53.009, lon=6.5)]
    m = roads.matrix(pts)
    assert m.duration_s[0, 1] == 30 + 60 + 60 and m.distance_m[0, 1] == 3200   # fast road 0->1
    assert m.duration_s[1, 0] == 180 and m.distance_m[1, 0] == 3000
    assert m.duration_s[0, 2] == 90 and m.duration_s[2, 0] == 90 + 180  # 9 -> 3 -> ... -> 0


def test_no_path_names_the_two_points() -> None:
    roads = RoadGraphTravel.from_networkx(_small_graph([(0, 9)]))  # node 9 is a dead end
    pts = [LatLon(lat=53.0, lon=6.5), LatLon(lat=53.009, lon=6.5), LatLon(lat=53.0, lon=6.5149)]
    with pytest.raises(TravelError, match=r"no road path from point 1 .* to point 0") as e:
        roads.matrix(pts)
    assert e.value.points == (1, 0)


def test_point_far_from_every_road_is_named() -> None:
    roads = RoadGraphTravel.from_networkx(_small_graph([]), max_snap_m=300)
    pts = [LatLon(lat=53.0, lon=6.5), LatLon(lat=53.0, lon=6.5149), LatLon(lat=53.05, lon=6.5)]
    with pytest.raises(TravelError, match=r"point 2 .* from the nearest road") as e:
        roads.matrix(pts)
    assert e.value.points == (2,)


def test_bad_edge_data_is_a_clear_error() -> None:
    g = nx.DiGraph()
    g.add_node(1, x=6.5, y=53.0)
    g.add_node(2, x=6.51, y=53.0)
    g.add_edge(1, 2, travel_time="fast", length=10.0)
    with pytest.raises(TravelError, match=r"edge 1->2.*'fast'"):
        RoadGraphTravel.from_networkx(g)


def test_broken_or_roadless_osm_file(tmp_path) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    with pytest.raises(TravelError, match="cannot read OSM extract"):
        RoadGraphTravel.from_osm_xml(bad)


def test_graphml_round_trip_gives_the_same_table(town_file, roads: RoadGraphTravel, tmp_path) -> None:
    import osmnx as ox

    g = ox.graph_from_xml(str(town_file), simplify=False)
    path = tmp_path / "town.graphml"
    ox.save_graphml(g, path)  # no travel_time on the edges: speeds are added as for OSM
    again = RoadGraphTravel.from_file(path)
    pts = [TOWN.crossing(c, r) for c, r in [(0, 0), (5, 9), (6, 9), (11, 3)]]
    assert (again.matrix(pts).duration_s == roads.matrix(pts).duration_s).all()


def test_graph_file_provider_loads_lazily_and_keys_on_content(town_file, tmp_path) -> None:
    f = RoadGraphFile(RoadGraphSettings(graph=str(town_file)))
    key = f.cache_key()
    assert f._travel is None  # the key needed no graph load
    other = tmp_path / "other.osm"
    RiverTown(cols=12, rows=10, bridge_row=5).write(other)
    assert RoadGraphFile(RoadGraphSettings(graph=str(other))).cache_key() != key
    assert RoadGraphFile(RoadGraphSettings(graph=str(town_file), default_speed_kmh=20)).cache_key() != key
    assert f.matrix([TOWN.crossing(0, 0), TOWN.crossing(1, 0)]).duration_s[0, 1] > 0


def test_processed_graph_is_cached_so_a_new_process_skips_the_osm_parse(town_file, tmp_path, monkeypatch) -> None:
    settings = RoadGraphSettings(graph=str(town_file))
    pts = [TOWN.crossing(0, 0), TOWN.crossing(7, 9), TOWN.point(3, 4, 30)]
    first = RoadGraphFile(settings, cache_dir=tmp_path)
    m1 = first.matrix(pts)
    assert len(list(tmp_path.glob("graph-*.npz"))) == 1

    def no_parse(*args, **kwargs):
        raise AssertionError("the OSM file was parsed again")

    monkeypatch.setattr(RoadGraphTravel, "from_settings", no_parse)
    second = RoadGraphFile(settings, cache_dir=tmp_path)  # as a new process would
    m2 = second.matrix(pts)
    assert (m1.duration_s == m2.duration_s).all() and (m1.distance_m == m2.distance_m).all()
    # Other speeds are another graph: not served from this cache.
    with pytest.raises(AssertionError, match="parsed again"):
        RoadGraphFile(RoadGraphSettings(graph=str(town_file), default_speed_kmh=20), cache_dir=tmp_path).matrix(pts)
