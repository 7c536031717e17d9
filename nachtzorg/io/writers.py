"""Output files of a plan: ``plan.json``, ``routes.csv``, ``routes.geojson``, ``map.html``, and
``routes.html`` (printable route sheets, one page per nurse, access notes but never key-safe codes).

All files are rendered in memory first and then written as one set (:func:`nachtzorg.atomic.write_set`),
so a failed or killed run never leaves a half-written or mixed set.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ..atomic import write_set
from ..model import Scenario
from ..plan import Plan
from ..viz.map import map_html
from ..viz.routesheet import route_sheet_html

OUTPUT_FILES = ("plan.json", "routes.csv", "routes.geojson", "map.html", "routes.html")

CSV_COLUMNS = [
    "shift_id", "seq", "kind", "visit_id", "client_id", "organisation", "care", "nurses",
    "partner_shift", "arrival", "start", "end", "windows", "wait_min", "travel_min",
    "distance_km", "late_min", "access_note",
]


def routes_csv(plan: Plan, scenario: Scenario | None = None) -> str:
    """One row per stop, local HH:MM times, for a printed route sheet (no key-safe codes)."""
    notes = scenario.access_notes() if scenario else {}
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in plan.routes:
        if not r.used:
            continue
        for seq, s in enumerate(r.stops):
            w.writerow({
                "shift_id": r.shift_id, "seq": seq, "kind": s.kind, "visit_id": s.visit_id or "",
                "client_id": s.client_id or "", "organisation": s.organisation or "", "care": s.care or "",
                "nurses": s.nurses if s.kind == "visit" else "", "partner_shift": s.partner_shift or "",
                "arrival": f"{s.arrival:%H:%M}", "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}",
                "windows": " ".join(s.windows), "wait_min": round(s.wait_min, 1),
                "travel_min": round(s.travel_min, 1), "distance_km": round(s.distance_km, 2),
                "late_min": round(s.late_min, 1), "access_note": notes.get(s.client_id or "", ""),
            })
    return buf.getvalue()


def routes_geojson(plan: Plan) -> dict[str, Any]:
    """A FeatureCollection: one LineString per used route and one Point per stop ([lon, lat])."""
    features: list[dict[str, Any]] = []
    for r in plan.routes:
        if not r.used:
            continue
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[s.lon, s.lat] for s in r.stops]},
            "properties": {"shift_id": r.shift_id, "distance_km": round(r.distance_km, 3),
                           "visits": len(r.visits), "kind": "route"},
        })
        for seq, s in enumerate(r.stops):
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {"shift_id": r.shift_id, "seq": seq, "kind": s.kind,
                               "visit_id": s.visit_id, "client_id": s.client_id,
                               "organisation": s.organisation, "start": s.start.isoformat(),
                               "end": s.end.isoformat()},
            })
    return {"type": "FeatureCollection", "features": features}


def render_outputs(plan: Plan, scenario: Scenario) -> dict[str, str]:
    """The contents of the output files, rendered in memory (``map.html`` inlines the Leaflet
    shipped with the package, so an archived nightly map draws its routes without internet)."""
    return {
        "plan.json": plan.to_json(),
        "routes.csv": routes_csv(plan, scenario),
        "routes.geojson": json.dumps(routes_geojson(plan), indent=1),
        "map.html": map_html(plan, self_contained=True),
        "routes.html": route_sheet_html(plan, scenario),
    }


def write_outputs(plan: Plan, scenario: Scenario, out_dir: str | Path) -> list[Path]:
    """Write the plan's output files (:data:`OUTPUT_FILES`) into ``out_dir``."""
    return write_set(out_dir, render_outputs(plan, scenario))
