"""Folium map of a plan: one colour and one layer per nurse, markers coloured by organisation.

Only pseudonyms appear (client ids, visit ids); no names or addresses exist in a plan.
"""

from __future__ import annotations

from html import escape

import folium

from ..plan import Plan

#: Nurse route colours (colour-blind friendly Okabe–Ito palette, then Tableau).
NURSE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
                 "#000000", "#8c564b", "#7f7f7f"]
#: Organisation marker fills.
ORG_COLOURS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf",
               "#999999", "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494"]


def plan_map(plan: Plan, m: folium.Map | None = None, *, tiles: str | None = "OpenStreetMap") -> folium.Map:
    """Draw ``plan`` on ``m`` (a new map fitted to the stops when ``None``) and return it."""
    points = [(s.lat, s.lon) for r in plan.routes for s in r.stops]
    if m is None:
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        m = folium.Map(location=[lat, lon], zoom_start=11, tiles=tiles)
        m.fit_bounds([[min(p[0] for p in points), min(p[1] for p in points)],
                      [max(p[0] for p in points), max(p[1] for p in points)]])
    orgs = sorted({s.organisation for r in plan.routes for s in r.stops if s.organisation}
                  | {u.organisation for u in plan.unassigned})
    org_colour = {o: ORG_COLOURS[i % len(ORG_COLOURS)] for i, o in enumerate(orgs)}
    for i, r in enumerate(r for r in plan.routes if r.used):
        colour = NURSE_COLOURS[i % len(NURSE_COLOURS)]
        layer = folium.FeatureGroup(name=f"{r.shift_id} ({len(r.visits)} visits, {r.distance_km:.1f} km)")
        folium.PolyLine([(s.lat, s.lon) for s in r.stops], color=colour, weight=3, opacity=0.8,
                        tooltip=escape(r.shift_id)).add_to(layer)
        for seq, s in enumerate(r.stops):
            if s.kind != "visit":
                continue
            two = " (two nurses, with " + escape(s.partner_shift or "?") + ")" if s.nurses == 2 else ""
            late = f"<br><b>{s.late_min:.0f} min late</b>" if s.late_min > 0 else ""
            tip = (f"{seq}. {escape(s.client_id or '')} / {escape(s.visit_id or '')}{two}<br>"
                   f"{escape(s.organisation or '')}<br>start {s.start:%H:%M}-{s.end:%H:%M}, "
                   f"window {escape(' '.join(s.windows))}{late}")
            folium.CircleMarker(
                location=(s.lat, s.lon), radius=7, color=colour, weight=3, fill=True,
                fill_color=org_colour.get(s.organisation or "", "#999999"), fill_opacity=0.9,
                tooltip=tip,
            ).add_to(layer)
        start = r.stops[0]
        folium.Marker((start.lat, start.lon), tooltip=f"{escape(r.shift_id)} start {start.start:%H:%M}",
                      icon=folium.Icon(color="gray", icon="home")).add_to(layer)
        layer.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
