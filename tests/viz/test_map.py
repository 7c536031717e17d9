"""The folium map: layers per nurse, numbered stops, acute overlay, self-contained pages."""

from __future__ import annotations

import re

import folium
import pytest

from nachtzorg import Plan
from nachtzorg.viz import assets
from nachtzorg.viz.map import map_html, plan_map
from tests.viz.conftest import SECRET_CODES

CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "bootstrapcdn.com")


def needs_leaflet() -> None:
    """Skip when Leaflet is neither cached nor fetchable (no npm)."""
    if not (assets.is_cached() or assets.npm_available()):
        pytest.skip("npm is not installed and Leaflet is not in the asset cache")


def test_map_has_one_layer_per_used_nurse(assen_plan: Plan) -> None:
    """Every used route becomes a FeatureGroup named after its shift."""
    m = plan_map(assen_plan)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    used = [r.shift_id for r in assen_plan.routes if r.used]
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
    """With ``m`` given, the plan is drawn on it and the same object is returned."""
    m = folium.Map(location=[52.9, 6.5], tiles=None)
    assert plan_map(assen_plan, m) is m


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
    """Self-contained: Leaflet inlined, no script or stylesheet from any host."""
    needs_leaflet()
    html = map_html(assen_plan, self_contained=True)
    assert "L.map(" in html or "L.map (" in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)
    assert not any(h in html for h in CDN_HOSTS)
    assert "url(images/" not in html  # Leaflet's images are data: URIs


def test_default_map_keeps_folium_cdn_assets(assen_plan: Plan) -> None:
    """Without self_contained the page uses folium's usual CDN links (interactive use)."""
    html = map_html(assen_plan, self_contained=False)
    assert re.search(r'<script src="https://[^"]+leaflet', html)
