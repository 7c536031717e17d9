"""Folium map of a plan: one colour and one layer per nurse, numbered stops coloured by organisation.

Only pseudonyms appear (client ids, visit ids); no names or addresses exist in a plan. Every
piece of data text is HTML-escaped before it goes into a tooltip or a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium

from ..plan import Plan, Stop
from .palette import ACUTE_COLOUR, NURSE_COLOURS, ORG_COLOURS, nurse_colours, organisation_colours

__all__ = ["ACUTE_COLOUR", "NURSE_COLOURS", "ORG_COLOURS", "AcuteCall", "map_html", "plan_map"]

#: An acute call for the overlay: ``(lat, lon, label)``.
AcuteCall = tuple[float, float, str]

_CSS = """
.nz-stop{display:flex;align-items:center;justify-content:center;box-sizing:border-box;
 width:22px;height:22px;border-radius:50%;border:3px solid #333;color:#fff;font:bold 10px/1 sans-serif;
 text-shadow:0 0 2px #000,0 0 2px #000}
.nz-home{display:flex;align-items:center;justify-content:center;box-sizing:border-box;width:22px;height:22px;
 border:3px solid #333;background:#fff;color:#333;font:bold 11px/1 sans-serif}
.nz-acute{display:flex;align-items:center;justify-content:center;box-sizing:border-box;width:26px;height:26px;
 transform:rotate(45deg);border:3px solid #c00000;color:#fff;font:bold 13px/1 sans-serif}
.nz-acute span{transform:rotate(-45deg)}
.nz-late{box-shadow:0 0 0 3px #c00000}
.nz-legend{position:absolute;bottom:24px;left:10px;z-index:1000;background:rgba(255,255,255,.92);
 padding:6px 9px;border:1px solid #999;border-radius:4px;font:12px/1.4 sans-serif;max-width:22rem}
.nz-legend i{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:4px;vertical-align:-1px}
.nz-legend b{display:block}
"""


def _window_text(s: Stop) -> str:
    return escape(" ".join(s.windows)) if s.windows else "-"


def _stop_tooltip(seq: int, shift_id: str, s: Stop) -> str:
    two = f"<br>two nurses, with {escape(s.partner_shift or '?')}" if s.nurses == 2 else ""
    late = f"<br><b>{s.late_min:.0f} min late</b>" if s.late_min > 0 else ""
    care = f" ({escape(s.care)})" if s.care else ""
    return (f"<b>{escape(shift_id)} stop {seq}</b>: {escape(s.client_id or '')} / "
            f"{escape(s.visit_id or '')}{care}<br>{escape(s.organisation or '')}<br>"
            f"arrive {s.arrival:%H:%M}, care {s.start:%H:%M}-{s.end:%H:%M}<br>"
            f"window {_window_text(s)}{two}{late}")


def _new_map(plan: Plan, tiles: str | None, extra: Sequence[tuple[float, float]]) -> folium.Map:
    points = [(s.lat, s.lon) for r in plan.routes for s in r.stops] + list(extra)
    if not points:
        return folium.Map(location=[52.99, 6.56], zoom_start=10, tiles=tiles)
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    m = folium.Map(location=[lat, lon], zoom_start=11, tiles=tiles)
    m.fit_bounds([[min(p[0] for p in points), min(p[1] for p in points)],
                  [max(p[0] for p in points), max(p[1] for p in points)]])
    return m


def _legend(plan: Plan, org_colour: dict[str, str], n_calls: int) -> str:
    k = plan.kpis
    orgs = "".join(f'<span style="margin-right:8px"><i style="background:{c}"></i>{escape(o)}</span>'
                   for o, c in org_colour.items())
    calls = (f'<br><span style="color:{ACUTE_COLOUR}">&#9670;</span> {n_calls} acute call(s)'
             if n_calls else "")
    unassigned = f"<br>{len(plan.unassigned)} visit(s) not planned" if plan.unassigned else ""
    return (f'<div class="nz-legend" id="nz-legend"><b>Night of {plan.date:%Y-%m-%d}</b>'
            f"{k.visits_served}/{k.visits_total} visits, {k.nurses_used} nurses, {k.distance_km:.1f} km"
            f"{unassigned}<br>Numbers: stop order per nurse; fill: organisation; ring: nurse."
            f"<br>{orgs}{calls}</div>")


def _inline_leaflet(m: folium.Map) -> None:
    """Replace every CDN asset of ``m`` by Leaflet inlined from the npm cache (see assets)."""
    from .assets import leaflet_assets

    a = leaflet_assets()
    # Instance attributes shadow folium's class-level CDN lists (jQuery, Bootstrap,
    # Font Awesome, awesome-markers): none is needed, since we draw only Leaflet primitives.
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    header.add_child(folium.Element(f"<style>{a.css}</style>"), name="nz_leaflet_css", index=0)
    header.add_child(folium.Element(f"<script>{a.js}</script>"), name="nz_leaflet_js", index=1)


def plan_map(
    plan: Plan,
    m: folium.Map | None = None,
    *,
    tiles: str | None = "OpenStreetMap",
    self_contained: bool = False,
    acute_calls: Sequence[AcuteCall] = (),
    responders: Sequence[str | None] | None = None,
    legend: bool = True,
) -> folium.Map:
    """Draw ``plan`` on ``m`` (a new map fitted to the stops when ``None``) and return it.

    Each nurse gets a layer (switchable in the layer control) with her route line, numbered
    stops in visiting order (fill: organisation; ring: nurse; red halo: late) and her start
    place. Tooltips show the pseudonym, visit, care times and the allowed window.

    ``acute_calls`` — ``(lat, lon, label)`` triples — are drawn in an extra layer; when
    ``responders`` (same length; shift ids or ``None``) is given, each call is filled with its
    responder's colour and the tooltip names her. This part knows nothing of the acute module.

    ``self_contained=True`` inlines Leaflet (JS, CSS and its images, from the npm registry via
    :mod:`nachtzorg.viz.assets`) and drops folium's other CDN assets, so routes and markers
    render without network. Background tiles still come from ``tiles``' online server and are
    simply absent offline; pass ``tiles=None`` for a plain background. The map never saves or
    shows itself: call ``m.save(path)`` or ``m.get_root().render()``.
    """
    calls = list(acute_calls)
    if responders is not None and len(responders) != len(calls):
        raise ValueError(f"responders has {len(responders)} entries for {len(calls)} acute calls")
    if m is None:
        m = _new_map(plan, tiles, [(c[0], c[1]) for c in calls])
    if self_contained:
        _inline_leaflet(m)
    root = m.get_root()
    root.header.add_child(folium.Element(f"<style>{_CSS}</style>"), name="nz_css")
    colours = nurse_colours(plan)
    org_colour = organisation_colours(plan)
    for r in plan.routes:
        if not r.used:
            continue
        colour = colours[r.shift_id]
        layer = folium.FeatureGroup(
            name=f"{escape(r.shift_id)} ({len(r.visits)} visits, {r.distance_km:.1f} km)")
        folium.PolyLine([(s.lat, s.lon) for s in r.stops], color=colour, weight=3, opacity=0.8,
                        tooltip=escape(r.shift_id), class_name=f"nz-route nz-route-{escape(r.shift_id)}",
                        ).add_to(layer)
        for seq, s in enumerate(r.stops):
            if s.kind != "visit":
                continue
            fill = org_colour.get(s.organisation or "", "#999999")
            late = " nz-late" if s.late_min > 0 else ""
            icon = folium.DivIcon(
                html=(f'<div class="nz-stop{late}" style="background:{fill};border-color:{colour}">'
                      f"{seq}</div>"),
                icon_size=(22, 22), icon_anchor=(11, 11), class_name="nz-stop-icon",
            )
            folium.Marker((s.lat, s.lon), icon=icon, tooltip=_stop_tooltip(seq, r.shift_id, s)).add_to(layer)
        start, end = r.stops[0], r.stops[-1]
        home = folium.DivIcon(html=f'<div class="nz-home" style="border-color:{colour}">&#8962;</div>',
                              icon_size=(22, 22), icon_anchor=(11, 11), class_name="nz-home-icon")
        folium.Marker((start.lat, start.lon), icon=home,
                      tooltip=(f"<b>{escape(r.shift_id)}</b> start {start.start:%H:%M}, "
                               f"end {end.arrival:%H:%M}")).add_to(layer)
        layer.add_to(m)
    if calls:
        layer = folium.FeatureGroup(name=f"acute calls ({len(calls)})")
        for i, (lat, lon, label) in enumerate(calls):
            who = responders[i] if responders is not None else None
            fill = colours.get(who, "#777777") if who else "#777777"
            resp = f"responder {escape(who)}" if who else "no responder"
            icon = folium.DivIcon(html=f'<div class="nz-acute" style="background:{fill}"><span>!</span></div>',
                                  icon_size=(26, 26), icon_anchor=(13, 13), class_name="nz-acute-icon")
            folium.Marker((lat, lon), icon=icon,
                          tooltip=f"<b>acute</b>: {escape(str(label))}<br>{resp}").add_to(layer)
        layer.add_to(m)
    if legend:
        root.html.add_child(folium.Element(_legend(plan, org_colour, len(calls))), name="nz_legend")
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def map_html(plan: Plan, *, self_contained: bool = True, tiles: str | None = "OpenStreetMap",
             acute_calls: Sequence[AcuteCall] = (), responders: Sequence[str | None] | None = None) -> str:
    """The map of ``plan`` as one HTML page (self-contained by default; see :func:`plan_map`)."""
    m = plan_map(plan, tiles=tiles, self_contained=self_contained, acute_calls=acute_calls,
                 responders=responders)
    return m.get_root().render()
