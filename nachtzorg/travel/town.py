"""A synthetic road network as an OpenStreetMap XML file: a grid town cut by a river with one bridge.

Used by the tests and benchmarks of the road-graph and OSRM providers, and by the examples, so
that no real map data has to ship with the project. Near neighbours on opposite banks are then
far apart by road (the drive goes round by the bridge), which is exactly the case where
straight-line travel times mislead a planner.

Layout (``cols`` x ``rows`` street crossings, ``spacing_m`` apart; north is up)::

    +--+--+--+   ~   +--+--+--+
    |  |  |  |   ~   |  |  |  |        residential streets, no maxspeed tag
    +--+--+--+   ~   +--+--+--+        (speeds come from the road type)
    |  |  |  |   ~   |  |  |  |
    +==+==+==+=======+==+==+==+        one primary road with maxspeed=50, crossing the river
    |  |  |  |   ~   |  |  |  |        on the only bridge (``bridge_row``)
    +--+--+--+   ~   +--+--+--+

The river runs north-south between column ``cols // 2 - 1`` and ``cols // 2`` and is drawn as a
``waterway=river`` way, which car routing ignores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from ..model import LatLon, Scenario

#: Metres per degree of latitude (mean, good to 0.5 % anywhere; the town is synthetic).
M_PER_DEG_LAT = 111_195.0


@dataclass(frozen=True)
class RiverTown:
    """Parameters of a synthetic grid town with a river and a single bridge."""

    cols: int = 12
    rows: int = 10
    spacing_m: float = 150.0
    river_gap_m: float = 120.0
    bridge_row: int = 0
    center: LatLon = LatLon(lat=52.993, lon=6.562)

    def __post_init__(self) -> None:
        if self.cols < 4 or self.rows < 2:
            raise ValueError(f"a river town needs cols >= 4 and rows >= 2, got cols={self.cols}, rows={self.rows}")
        if not 0 <= self.bridge_row < self.rows:
            raise ValueError(f"bridge_row={self.bridge_row} is outside 0..{self.rows - 1}")

    @property
    def west_cols(self) -> int:
        """Number of street columns on the west bank."""
        return self.cols // 2

    def _xy_m(self, col: float, row: float) -> tuple[float, float]:
        """Position of crossing (col, row) in metres east/north of the town's south-west corner."""
        x = col * self.spacing_m + (self.river_gap_m if col >= self.west_cols else 0.0)
        return x, row * self.spacing_m

    def _to_latlon(self, x: float, y: float) -> LatLon:
        width, height = self._xy_m(self.cols - 1, self.rows - 1)
        m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(self.center.lat))
        return LatLon(lat=self.center.lat + (y - height / 2) / M_PER_DEG_LAT,
                      lon=self.center.lon + (x - width / 2) / m_per_deg_lon)

    def crossing(self, col: int, row: int) -> LatLon:
        """Location of the street crossing at column ``col``, row ``row``."""
        return self._to_latlon(*self._xy_m(col, row))

    def point(self, col: float, row: float, offset_m: float = 0.0) -> LatLon:
        """A location at fractional grid position (col, row) on its bank, shifted ``offset_m``
        metres north (e.g. a house a little off the street)."""
        x, y = self._xy_m(col, row)
        return self._to_latlon(x, y + offset_m)

    def node_id(self, col: int, row: int) -> int:
        return 1 + row * self.cols + col

    def osm_xml(self) -> str:
        """The town as OSM XML (version 0.6), readable by osmnx and osrm-extract."""
        lines = ["<?xml version='1.0' encoding='UTF-8'?>",
                 '<osm version="0.6" generator="nachtzorg.travel.town">']
        sw, ne = self._to_latlon(-200, -200), self._to_latlon(*[v + 200 for v in self._xy_m(self.cols - 1, self.rows - 1)])
        lines.append(f'  <bounds minlat="{sw.lat:.7f}" minlon="{sw.lon:.7f}" maxlat="{ne.lat:.7f}" maxlon="{ne.lon:.7f}"/>')
        for row in range(self.rows):
            for col in range(self.cols):
                p = self.crossing(col, row)
                lines.append(f'  <node id="{self.node_id(col, row)}" version="1" lat="{p.lat:.7f}" lon="{p.lon:.7f}"/>')
        # River nodes: a line down the middle of the gap, beyond the town's edges.
        x_river = (self.west_cols - 1) * self.spacing_m + self.river_gap_m / 2 + self.spacing_m / 2
        river_ids = []
        for k, y in enumerate((-150.0, (self.rows - 1) * self.spacing_m + 150.0)):
            p = self._to_latlon(x_river, y)
            rid = 1 + self.rows * self.cols + k
            river_ids.append(rid)
            lines.append(f'  <node id="{rid}" version="1" lat="{p.lat:.7f}" lon="{p.lon:.7f}"/>')

        way_id = 1

        def way(refs: list[int], tags: dict[str, str]) -> None:
            nonlocal way_id
            lines.append(f'  <way id="{way_id}" version="1">')
            lines.extend(f'    <nd ref="{r}"/>' for r in refs)
            lines.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
            lines.append("  </way>")
            way_id += 1

        street = {"highway": "residential"}
        for row in range(self.rows):
            if row == self.bridge_row:
                w = [self.node_id(c, row) for c in range(self.west_cols)]
                e = [self.node_id(c, row) for c in range(self.west_cols, self.cols)]
                main = {"highway": "primary", "maxspeed": "50", "name": "Brugweg"}
                way(w, main)
                way([w[-1], e[0]], {**main, "bridge": "yes", "layer": "1"})
                way(e, main)
            else:
                way([self.node_id(c, row) for c in range(self.west_cols)], street)
                way([self.node_id(c, row) for c in range(self.west_cols, self.cols)], street)
        for col in range(self.cols):
            way([self.node_id(col, r) for r in range(self.rows)], street)
        way(river_ids, {"waterway": "river", "name": "Drentsche Aa"})
        lines.append("</osm>")
        return "\n".join(lines) + "\n"

    def relocate(self, scenario: Scenario, seed: int = 0, base: tuple[int, int] | None = None) -> Scenario:
        """The same night moved into this town: every client at a random spot along a street
        (up to 40 m off it), every shift starting and ending at crossing ``base`` (default: the
        middle of the west bank). Visits, windows and shifts are unchanged."""
        rng = np.random.default_rng(seed)
        bc, br = base if base is not None else (self.west_cols // 2, self.rows // 2)
        home = self.crossing(bc, br).model_dump()
        clients = []
        for c in scenario.clients:
            if rng.random() < 0.5:  # along a row (east-west street)
                col, row = float(rng.uniform(0, self.cols - 1)), float(rng.integers(0, self.rows))
                if self.west_cols - 1 < col < self.west_cols:  # not in the river
                    col = float(self.west_cols - 1) if col < self.west_cols - 0.5 else float(self.west_cols)
            else:  # along a column
                col, row = float(rng.integers(0, self.cols)), float(rng.uniform(0, self.rows - 1))
            loc = self.point(col, row, offset_m=float(rng.uniform(-40, 40)))
            clients.append(c.model_copy(update={"location": LatLon(lat=round(loc.lat, 6), lon=round(loc.lon, 6))}))
        shifts = [sh.model_copy(update={"start_location": LatLon(**home), "end_location": None})
                  for sh in scenario.shifts]
        return scenario.model_copy(update={"clients": clients, "shifts": shifts})

    def write(self, path: str | Path) -> Path:
        """Write :meth:`osm_xml` to ``path`` (``.osm``) and return the path."""
        path = Path(path)
        path.write_text(self.osm_xml(), encoding="utf-8")
        return path
