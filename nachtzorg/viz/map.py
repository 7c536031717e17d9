"""Folium map of a plan: one colour and one layer per nurse, numbered stops coloured by organisation.

The map opens fitted to the night (every drawn place in view). Stops that would overlap on
screen are drawn as one counted cluster (Leaflet.markercluster) that opens when zoomed in or
clicked, so a night of 1,000 visits stays readable; all nurses' stops share one cluster group,
and each nurse's layer can still be switched off (Leaflet.FeatureGroup.SubGroup).

Only pseudonyms appear (client ids, visit ids); no names or addresses exist in a plan. Every
piece of data text is HTML-escaped before it goes into a tooltip or a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium
from folium.plugins import FeatureGroupSubGroup, MarkerCluster

from ..plan import Plan, Stop
from .palette import ACUTE_COLOUR, NURSE_COLOURS, ORG_COLOURS, nurse_colours, organisation_colours

__all__ = ["ACUTE_COLOUR", "NURSE_COLOURS", "ORG_COLOURS", "AcuteCall", "map_html", "plan_map"]

#: Margin between the night's outermost places and the map's edge in the fitted view, pixels.
FIT_PADDING_PX = 30
#: Highest zoom of the fitted view (a night at one address would otherwise open at street level).
FIT_MAX_ZOOM = 15
#: Highest zoom of every map that clusters (folium's tile layers stop at 18). Leaflet.markercluster
#: needs the map's zoom range, which a map without tiles (``tiles=None``) does not have otherwise.
MAP_MAX_ZOOM = 18
#: Stops closer than this on screen, pixels, form a cluster (a stop marker is 22 px wide, a
#: cluster 30 px).
CLUSTER_RADIUS_PX = 30
#: With more used routes than this the layer list starts collapsed (open, it would cover the map)
#: and route lines are drawn thinner and lighter (so the clusters stay readable over them).
MANY_ROUTES = 8

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
.nz-cluster{border-radius:15px}
.nz-cluster div{width:22px;height:22px;margin-left:4px;margin-top:4px;border-radius:11px;
 font:bold 11px/22px sans-serif;text-align:center}
.nz-cluster span{line-height:22px}
.nz-legend .marker-cluster{display:inline-block;position:static;width:16px;height:16px;border-radius:8px;
 margin-right:4px;vertical-align:-3px}
"""

#: Cluster icons 30 px wide (markercluster's default is 40), coloured by size as its default.
_CLUSTER_ICON = """function (cluster) {
    var n = cluster.getChildCount();
    var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
    return L.divIcon({html: "<div><span>" + n + "</span></div>", iconSize: new L.Point(30, 30),
                      className: "marker-cluster marker-cluster-" + size + " nz-cluster"});
}"""


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


def _drawn_points(plan: Plan, extra: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The places the map draws: stops of used routes (all stops when none is used) and ``extra``."""
    used = [(s.lat, s.lon) for r in plan.routes if r.used for s in r.stops]
    if not used:
        used = [(s.lat, s.lon) for r in plan.routes for s in r.stops]
    return used + list(extra)


def _new_map(plan: Plan, tiles: str | None, extra: Sequence[tuple[float, float]]) -> folium.Map:
    """A map that opens fitted to the night: every drawn place in view, with a margin."""
    points = _drawn_points(plan, extra)
    if not points:
        return folium.Map(location=[52.99, 6.56], zoom_start=10, tiles=tiles)
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    # location/zoom_start only matter until fitBounds runs, right after the map is created.
    m = folium.Map(location=[lat, lon], zoom_start=11, tiles=tiles)
    m.fit_bounds([[min(p[0] for p in points), min(p[1] for p in points)],
                  [max(p[0] for p in points), max(p[1] for p in points)]],
                 padding=(FIT_PADDING_PX, FIT_PADDING_PX), max_zoom=FIT_MAX_ZOOM)
    return m


def _legend(plan: Plan, org_colour: dict[str, str], n_calls: int, *, cluster: bool) -> str:
    k = plan.kpis
    orgs = "".join(f'<span style="margin-right:8px"><i style="background:{c}"></i>{escape(o)}</span>'
                   for o, c in org_colour.items())
    calls = (f'<br><span style="color:{ACUTE_COLOUR}">&#9670;</span> {n_calls} acute call(s)'
             if n_calls else "")
    unassigned = f"<br>{len(plan.unassigned)} visit(s) not planned" if plan.unassigned else ""
    clusters = ('<br><span class="marker-cluster marker-cluster-small"></span>'
                "Circle with a count: stops close together; zoom in or click to open." if cluster else "")
    return (f'<div class="nz-legend" id="nz-legend"><b>Night of {plan.date:%Y-%m-%d}</b>'
            f"{k.visits_served}/{k.visits_total} visits, {k.nurses_used} nurses, {k.distance_km:.1f} km"
            f"{unassigned}" + (f"<br>{escape(plan.nurses_note())}" if plan.nurses_note() else "")
            + "<br>Numbers: stop order per nurse; fill: organisation; ring: nurse."
            f"{clusters}<br>{orgs}{calls}</div>")


def _cluster_group(*, self_contained: bool) -> MarkerCluster:
    """One cluster group for all nurses' stops (not listed in the layer control itself)."""
    from .assets import MARKERCLUSTER

    group = MarkerCluster(control=False, max_cluster_radius=CLUSTER_RADIUS_PX, icon_create_function=_CLUSTER_ICON)
    # Instance attributes shadow folium's class-level CDN links (markercluster 1.1.0): nothing
    # when the page inlines the plugin, else the CDN copy of the version it would inline.
    group.default_js = [] if self_contained else [
        ("markerclusterjs", MARKERCLUSTER.cdn_url("dist/leaflet.markercluster.js"))]
    group.default_css = [] if self_contained else [
        ("markerclustercss", MARKERCLUSTER.cdn_url("dist/MarkerCluster.css")),
        ("markerclusterdefaultcss", MARKERCLUSTER.cdn_url("dist/MarkerCluster.Default.css"))]
    return group


def _nurse_layer(name: str, group: MarkerCluster | None, *, self_contained: bool) -> folium.map.Layer:
    """A nurse's switchable layer: a sub-group of the shared cluster group, or a plain feature group."""
    if group is None:
        return folium.FeatureGroup(name=name)
    from .assets import SUBGROUP

    layer = FeatureGroupSubGroup(group, name=name)
    layer.default_js = [] if self_contained else [
        ("featuregroupsubgroupjs", SUBGROUP.cdn_url("dist/leaflet.featuregroup.subgroup.js"))]
    return layer


def _inline_assets(m: folium.Map, *, cluster: bool) -> None:
    """Inline Leaflet (and the cluster plugins) into ``m``'s page, from the shipped copies (see assets)."""
    from . import assets

    parts = [assets.leaflet_assets()]
    if cluster:
        parts += [assets.markercluster_assets(), assets.subgroup_assets()]
    # Instance attributes shadow folium's class-level CDN lists (jQuery, Bootstrap,
    # Font Awesome, awesome-markers): none is needed, since we draw only Leaflet primitives.
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    at = 0  # in load order, before anything else in the header
    for i, a in enumerate(parts):
        if a.css:
            header.add_child(folium.Element(f"<style>{a.css}</style>"), name=f"nz_asset_css_{i}", index=at)
            at += 1
        header.add_child(folium.Element(f"<script>{a.js}</script>"), name=f"nz_asset_js_{i}", index=at)
        at += 1


def plan_map(
    plan: Plan,
    m: folium.Map | None = None,
    *,
    tiles: str | None = "OpenStreetMap",
    self_contained: bool = False,
    acute_calls: Sequence[AcuteCall] = (),
    responders: Sequence[str | None] | None = None,
    legend: bool = True,
    cluster: bool = True,
) -> folium.Map:
    """Draw ``plan`` on ``m`` (a new map fitted to the night when ``None``) and return it.

    A new map opens with every drawn stop and acute call in view (:data:`FIT_PADDING_PX` margin,
    at most zoom :data:`FIT_MAX_ZOOM`); a given ``m`` keeps its own view.

    Each nurse gets a layer (switchable in the layer control) with her route line, numbered
    stops in visiting order (fill: organisation; ring: nurse; red halo: late) and her start
    place. Tooltips show the pseudonym, visit, care times and the allowed window. With
    ``cluster`` (default) stops closer than :data:`CLUSTER_RADIUS_PX` on screen, of any nurse,
    are drawn as one circle showing their count, which opens when zoomed in or clicked; route
    lines and acute calls are never clustered.

    ``acute_calls`` — ``(lat, lon, label)`` triples — are drawn in an extra layer; when
    ``responders`` (same length; shift ids or ``None``) is given, each call is filled with its
    responder's colour and the tooltip names her. This part knows nothing of the acute module.

    ``self_contained=True`` inlines Leaflet and the cluster plugins (JS, CSS and images, the
    copies shipped with nachtzorg, see :mod:`nachtzorg.viz.assets`) and drops folium's other CDN
    assets, so routes and markers render without network. Background tiles still come from
    ``tiles``' online server and are simply absent offline; pass ``tiles=None`` for a plain
    background. The map never saves or shows itself: call ``m.save(path)`` or
    ``m.get_root().render()``.
    """
    calls = list(acute_calls)
    if responders is not None and len(responders) != len(calls):
        raise ValueError(f"responders has {len(responders)} entries for {len(calls)} acute calls")
    if m is None:
        m = _new_map(plan, tiles, [(c[0], c[1]) for c in calls])
    if self_contained:
        _inline_assets(m, cluster=cluster)
    group = _cluster_group(self_contained=self_contained) if cluster else None
    if group is not None:
        m.options.setdefault("max_zoom", MAP_MAX_ZOOM)
        group.add_to(m)
    root = m.get_root()
    root.header.add_child(folium.Element(f"<style>{_CSS}</style>"), name="nz_css")
    colours = nurse_colours(plan)
    org_colour = organisation_colours(plan)
    many = sum(1 for r in plan.routes if r.used) > MANY_ROUTES
    weight, opacity = (2, 0.5) if many else (3, 0.8)
    for r in plan.routes:
        if not r.used:
            continue
        colour = colours[r.shift_id]
        layer = _nurse_layer(f"{escape(r.shift_id)} ({len(r.visits)} visits, {r.distance_km:.1f} km)", group,
                             self_contained=self_contained)
        folium.PolyLine([(s.lat, s.lon) for s in r.stops], color=colour, weight=weight, opacity=opacity,
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
        root.html.add_child(folium.Element(_legend(plan, org_colour, len(calls), cluster=cluster)),
                            name="nz_legend")
    folium.LayerControl(collapsed=many).add_to(m)
    return m


def map_html(plan: Plan, *, self_contained: bool = True, tiles: str | None = "OpenStreetMap",
             acute_calls: Sequence[AcuteCall] = (), responders: Sequence[str | None] | None = None,
             cluster: bool = True) -> str:
    """The map of ``plan`` as one HTML page (self-contained by default; see :func:`plan_map`)."""
    m = plan_map(plan, tiles=tiles, self_contained=self_contained, acute_calls=acute_calls,
                 responders=responders, cluster=cluster)
    return m.get_root().render()
