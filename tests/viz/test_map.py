"""The folium map: layers per nurse, numbered stops, acute overlay, self-contained pages."""

from __future__ import annotations

import functools
import json
import re

import folium
import pytest
from folium.plugins import FeatureGroupSubGroup, MarkerCluster

from nachtzorg import Plan, SolveParams, Tuning, plan_night
from nachtzorg.synthetic import generate_night
from nachtzorg.viz import assets
from nachtzorg.viz.map import CLUSTER_RADIUS_PX, FIT_MAX_ZOOM, FIT_PADDING_PX, MANY_ROUTES, map_html, plan_map
from tests.viz.conftest import SECRET_CODES

CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "bootstrapcdn.com", "unpkg.com")


@functools.cache
def twelve_nurse_plan() -> Plan:
    """A synthetic night of 200 visits and 12 nurses (all used: more than MANY_ROUTES), planned cheaply."""
    night = generate_night(200, 12, 4, seed=1)
    return plan_night(night, SolveParams(time_limit_s=None, solution_limit=1, tuning=Tuning(first_solution="path_cheapest_arc", metaheuristic="greedy")))


def fit_bounds_call(html: str) -> tuple[list[list[float]], dict]:
    """The bounds and options of the page's one ``fitBounds`` call on the map."""
    calls = re.findall(r"map_[0-9a-f]+\.fitBounds\(\s*(\[\[.*?\]\]),\s*(\{.*?\})\s*\);", html, flags=re.DOTALL)
    assert len(calls) == 1, calls
    return json.loads(calls[0][0]), json.loads(calls[0][1])


def nurse_layers(m: folium.Map) -> list[folium.map.Layer]:
    return [c for c in m._children.values() if isinstance(c, (folium.FeatureGroup, FeatureGroupSubGroup))]


def test_map_has_one_layer_per_used_nurse(assen_plan: Plan) -> None:
    """Every used route becomes a switchable layer named after its shift (clustered or not)."""
    used = [r.shift_id for r in assen_plan.routes if r.used]
    for cluster in (True, False):
        names = [c.layer_name for c in nurse_layers(plan_map(assen_plan, cluster=cluster))]
        assert len(names) == len(used)
        assert all(any(n.startswith(s) for n in names) for s in used)


def test_map_numbers_every_visit_in_order(assen_plan: Plan) -> None:
    """Each visit has a numbered marker; the numbers are the stop order of its route."""
    html = plan_map(assen_plan).get_root().render()
    visits = sum(len(r.visits) for r in assen_plan.routes)
    assert html.count('class=\\"nz-stop') == visits
    r = next(r for r in assen_plan.routes if r.used)
    assert f"{r.shift_id} stop 1</b>" in html


def test_map_tooltips_show_pseudonym_times_and_window(assen_plan: Plan) -> None:
    """A tooltip names the client pseudonym, the care times and the allowed window."""
    html = plan_map(assen_plan).get_root().render()
    s = next(r for r in assen_plan.routes if r.used).visits[0]
    assert s.client_id in html and f"care {s.start:%H:%M}-{s.end:%H:%M}" in html and s.windows[0] in html


def test_map_draws_on_given_map_and_returns_it(assen_plan: Plan) -> None:
    """With ``m`` given, the plan is drawn on it, its view is left alone and the same object is returned."""
    m = folium.Map(location=[52.9, 6.5], tiles=None)
    assert plan_map(assen_plan, m) is m
    assert ".fitBounds(" not in m.get_root().render()


def test_map_opens_fitted_to_the_used_routes_with_padding(assen_plan: Plan) -> None:
    """The new map fits the bounding box of every stop of the used routes, with a margin and a zoom cap."""
    bounds, options = fit_bounds_call(plan_map(assen_plan).get_root().render())
    pts = [(s.lat, s.lon) for r in assen_plan.routes if r.used for s in r.stops]
    assert bounds == [[min(p[0] for p in pts), min(p[1] for p in pts)],
                      [max(p[0] for p in pts), max(p[1] for p in pts)]]
    assert options == {"padding": [FIT_PADDING_PX, FIT_PADDING_PX], "maxZoom": FIT_MAX_ZOOM}


def test_fitted_view_includes_acute_calls(assen_plan: Plan) -> None:
    """An acute call outside the routes widens the fitted view to include it."""
    (south, west), (north, east) = fit_bounds_call(plan_map(assen_plan).get_root().render())[0]
    far = (north + 0.3, east + 0.4)
    bounds, _ = fit_bounds_call(plan_map(assen_plan, acute_calls=[(*far, "alarm")]).get_root().render())
    assert bounds == [[south, west], [far[0], far[1]]]


def test_fitted_view_follows_the_night_not_a_fixed_place(assen_plan: Plan) -> None:
    """A night moved 200 km south opens where it is, not over Assen."""
    moved = assen_plan.model_copy(update={"routes": [
        r.model_copy(update={"stops": [s.model_copy(update={"lat": s.lat - 2.0}) for s in r.stops]})
        for r in assen_plan.routes]})
    (south, _), (north, _) = fit_bounds_call(plan_map(moved).get_root().render())[0]
    assert north < 51.1 and south > 50.8


def test_stops_share_one_cluster_group_with_a_subgroup_per_nurse(assen_plan: Plan) -> None:
    """Clustering: one marker-cluster group (not in the layer list) holds every nurse's sub-group."""
    m = plan_map(assen_plan)
    groups = [c for c in m._children.values() if isinstance(c, MarkerCluster)]
    assert len(groups) == 1 and groups[0].control is False
    layers = nurse_layers(m)
    assert all(isinstance(layer, FeatureGroupSubGroup) and layer._group is groups[0] for layer in layers)
    html = m.get_root().render()
    assert html.count("L.markerClusterGroup(") == 1 and f'"maxClusterRadius": {CLUSTER_RADIUS_PX}' in html
    assert ".options.iconCreateFunction" in html and "nz-cluster" in html  # 30 px cluster icons
    assert html.count("L.featureGroup.subGroup(") == len(layers)
    # every stop marker and route line is added to a nurse's sub-group, none to the map directly
    added_to = re.findall(r"var (?:marker|poly_line)_\w+ = L\.(?:marker|polyline)\(.*?\)\.addTo\((\w+)\);", html,
                          flags=re.DOTALL)
    visits = sum(len(r.visits) for r in assen_plan.routes if r.used)
    assert len(added_to) >= visits and all(a.startswith("feature_group_sub_group_") for a in added_to)


def test_clustered_map_has_a_zoom_range_even_without_tiles(assen_plan: Plan) -> None:
    """Leaflet.markercluster needs the map's maxZoom, which no tile layer gives with ``tiles=None``."""
    html = plan_map(assen_plan, tiles=None).get_root().render()
    assert re.search(r"L\.map\([^;]*\"maxZoom\": 18", html, flags=re.DOTALL)


def test_cluster_false_draws_plain_layers(assen_plan: Plan) -> None:
    """``cluster=False`` gives plain feature groups and no cluster plugin on the page."""
    html = plan_map(assen_plan, cluster=False).get_root().render()
    assert "markerClusterGroup" not in html and "subGroup" not in html
    assert "marker-cluster-small" not in html  # nor its legend entry


def test_many_routes_collapse_the_layer_list_and_thin_the_lines() -> None:
    """With more than MANY_ROUTES used routes the layer list starts collapsed and lines are lighter."""
    plan = twelve_nurse_plan()
    assert sum(r.used for r in plan.routes) > MANY_ROUTES
    html = plan_map(plan).get_root().render()
    assert re.search(r'L\.control\.layers\([^;]*"collapsed": true', html, flags=re.DOTALL)
    assert '"weight": 2' in html and '"weight": 3' not in html
    small = plan_map(twelve_nurse_plan().model_copy(update={"routes": plan.routes[:3]})).get_root().render()
    assert re.search(r'L\.control\.layers\([^;]*"collapsed": false', small, flags=re.DOTALL)


def test_map_acute_overlay_names_responder_and_escapes_label(assen_plan: Plan) -> None:
    """Acute calls get a layer; the tooltip names the responder and escapes the label."""
    html = plan_map(assen_plan, acute_calls=[(52.95, 6.55, "fall <script>x</script>")],
                    responders=["nurse-2"]).get_root().render()
    assert "acute calls (1)" in html and "responder nurse-2" in html
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_map_rejects_responders_of_wrong_length(assen_plan: Plan) -> None:
    """Responders must pair one-to-one with the calls."""
    with pytest.raises(ValueError, match="responders"):
        plan_map(assen_plan, acute_calls=[(52.95, 6.55, "a")], responders=[])


def test_map_never_contains_key_safe_codes(assen_plan: Plan) -> None:
    """No key-safe code reaches the map page."""
    html = plan_map(assen_plan).get_root().render()
    assert not any(re.search(rf"\b{c}\b", html) for c in SECRET_CODES)


def test_self_contained_map_loads_nothing_from_a_cdn(assen_plan: Plan) -> None:
    """Self-contained: Leaflet and both cluster plugins inlined, no script or stylesheet from any host."""
    html = map_html(assen_plan, self_contained=True)
    assert "L.map(" in html or "L.map (" in html
    assert "L.MarkerClusterGroup=" in html and "FeatureGroup.SubGroup=" in html
    assert ".marker-cluster-small" in html  # the cluster icons' CSS
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)
    assert not any(h in html for h in CDN_HOSTS)
    assert "url(images/" not in html  # Leaflet's images are data: URIs
    assert "sourceMappingURL" not in html


def test_self_contained_map_needs_no_cache_and_no_npm(assen_plan: Plan, tmp_path, monkeypatch) -> None:
    """The shipped copies are used: an empty asset cache and no npm still give a self-contained map."""
    monkeypatch.setenv("NACHTZORG_ASSET_CACHE", str(tmp_path))
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    html = map_html(assen_plan, self_contained=True)
    assert "L.MarkerClusterGroup=" in html and not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)
    assert list(tmp_path.iterdir()) == []


def test_default_map_links_the_pinned_versions_on_cdns(assen_plan: Plan) -> None:
    """Without self_contained the page links CDNs (interactive use), the plugins at the shipped versions."""
    html = map_html(assen_plan, self_contained=False)
    assert re.search(r'<script src="https://[^"]+leaflet', html)
    for pkg, file in ((assets.MARKERCLUSTER, "leaflet.markercluster.js"),
                      (assets.SUBGROUP, "leaflet.featuregroup.subgroup.js")):
        assert f'<script src="{pkg.cdn_url("dist/" + file)}"></script>' in html
    assert "cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0" not in html
