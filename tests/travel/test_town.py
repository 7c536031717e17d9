"""The synthetic river town's OSM XML: well formed, complete, one bridge."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nachtzorg.travel.town import RiverTown


def parse(town: RiverTown, tmp_path: Path) -> ET.Element:
    return ET.parse(town.write(tmp_path / "town.osm")).getroot()


def tags(way: ET.Element) -> dict[str, str]:
    return {t.get("k", ""): t.get("v", "") for t in way.findall("tag")}


@pytest.mark.parametrize("cols, rows, bridge_row", [(12, 10, 0), (5, 3, 2), (60, 50, 17)])
def test_town_xml_counts_and_single_bridge(tmp_path: Path, cols: int, rows: int, bridge_row: int) -> None:
    town = RiverTown(cols=cols, rows=rows, bridge_row=bridge_row)
    root = parse(town, tmp_path)
    assert root.tag == "osm" and root.get("version") == "0.6"
    nodes, ways = root.findall("node"), root.findall("way")
    assert len(nodes) == cols * rows + 2  # crossings + the river's two ends
    # two half-streets per row (three on the bridge row), one street per column, the river
    assert len(ways) == 2 * rows + 1 + cols + 1
    node_ids = [int(n.get("id", "")) for n in nodes]
    way_ids = [int(w.get("id", "")) for w in ways]
    assert len(set(node_ids)) == len(node_ids) and len(set(way_ids)) == len(way_ids)
    known = set(node_ids)
    assert all(int(nd.get("ref", "")) in known for w in ways for nd in w.findall("nd"))
    bridges = [w for w in ways if tags(w).get("bridge") == "yes"]
    assert len(bridges) == 1
    refs = [int(nd.get("ref", "")) for nd in bridges[0].findall("nd")]
    w = town.west_cols
    assert refs == [town.node_id(w - 1, bridge_row), town.node_id(w, bridge_row)]
    roads = [w for w in ways if "highway" in tags(w)]
    assert len(roads) == len(ways) - 1
    river = [w for w in ways if tags(w).get("waterway") == "river"]
    assert len(river) == 1 and "highway" not in tags(river[0])


def test_no_road_crosses_the_river_except_the_bridge(tmp_path: Path) -> None:
    town = RiverTown(cols=12, rows=10, bridge_row=3)
    root = parse(town, tmp_path)
    west = {town.node_id(c, r) for c in range(town.west_cols) for r in range(town.rows)}
    east = {town.node_id(c, r) for c in range(town.west_cols, town.cols) for r in range(town.rows)}
    crossing = []
    for way in root.findall("way"):
        refs = {int(nd.get("ref", "")) for nd in way.findall("nd")}
        if "highway" in tags(way) and refs & west and refs & east:
            crossing.append(tags(way))
    assert crossing == [{"highway": "primary", "maxspeed": "50", "name": "Brugweg", "bridge": "yes", "layer": "1"}]


def test_coordinates_match_the_grid(tmp_path: Path) -> None:
    town = RiverTown(cols=6, rows=4)
    root = parse(town, tmp_path)
    by_id = {int(n.get("id", "")): (float(n.get("lat", "")), float(n.get("lon", ""))) for n in root.findall("node")}
    for col, row in ((0, 0), (5, 3), (3, 1)):
        p = town.crossing(col, row)
        assert by_id[town.node_id(col, row)] == pytest.approx((p.lat, p.lon), abs=1e-7)
    b = root.find("bounds")
    assert b is not None
    lats = [lat for lat, _ in by_id.values()]
    assert float(b.get("minlat", "")) < min(lats) and max(lats) < float(b.get("maxlat", ""))


def test_invalid_town_is_refused() -> None:
    with pytest.raises(ValueError):
        RiverTown(cols=3)
    with pytest.raises(ValueError):
        RiverTown(rows=4, bridge_row=4)
