"""Map, route sheet and cost-sharing report in headless Chromium: rendered, complete, offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nachtzorg import Plan, Scenario
from nachtzorg.viz import assets
from nachtzorg.viz.map import map_html
from nachtzorg.viz.routesheet import route_sheet_html
from tests.browser.conftest import Chromium
from tests.viz.conftest import SECRET_CODES

CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "bootstrapcdn.com")


@pytest.fixture(scope="module")
def map_page(tmp_path_factory: pytest.TempPathFactory, assen_plan: Plan) -> Path:
    if not (assets.is_cached() or assets.npm_available()):
        pytest.skip("npm is not installed and Leaflet is not in the asset cache")
    page = tmp_path_factory.mktemp("pages") / "map.html"
    page.write_text(map_html(assen_plan, self_contained=True, acute_calls=[(52.95, 6.55, "alarm 01:40")],
                             responders=["nurse-2"]), encoding="utf-8")
    return page


def test_self_contained_map_renders_routes_offline(chromium: Chromium, map_page: Path, assen_plan: Plan) -> None:
    """Offline, Leaflet draws a path per route and a numbered marker per visit."""
    dom = chromium.dom(map_page)
    used = [r for r in assen_plan.routes if r.used]
    assert len(re.findall(r'<path class="nz-route ', dom)) == len(used)
    assert dom.count('class="nz-stop') == sum(len(r.visits) for r in used)
    assert 'class="nz-acute"' in dom and 'id="nz-legend"' in dom
    assert "leaflet-control-layers" in dom
    assert not any(re.search(rf"\b{c}\b", dom) for c in SECRET_CODES)


def test_self_contained_map_requests_only_tiles(chromium: Chromium, map_page: Path) -> None:
    """The only network requests of the self-contained map are background tiles."""
    urls = chromium.requested_urls(map_page)
    assert all("tile.openstreetmap.org" in u for u in urls), urls


def test_cdn_map_needs_the_network(chromium: Chromium, tmp_path: Path, assen_plan: Plan) -> None:
    """Control: folium's default page asks CDNs for its scripts and draws nothing offline."""
    page = tmp_path / "map_cdn.html"
    page.write_text(map_html(assen_plan, self_contained=False), encoding="utf-8")
    urls = chromium.requested_urls(page)
    assert any(h in u for u in urls for h in CDN_HOSTS)
    assert '<path class="nz-route ' not in chromium.dom(page)


def test_map_screenshot(chromium: Chromium, map_page: Path) -> None:
    """A screenshot of the offline map is taken."""
    chromium.screenshot(map_page, "map.png")


def test_route_sheet_renders_with_tables(chromium: Chromium, tmp_path: Path, assen_plan: Plan,
                                         assen_scenario: Scenario) -> None:
    """The route sheet shows a table per nurse with every visit, and no key-safe code."""
    page = tmp_path / "routes.html"
    page.write_text(route_sheet_html(assen_plan, assen_scenario), encoding="utf-8")
    dom = chromium.dom(page)
    used = [r for r in assen_plan.routes if r.used]
    assert dom.count('<table class="route">') == len(used)
    assert dom.count('<tr class="visit') == sum(len(r.visits) for r in used)
    assert not any(re.search(rf"\b{c}\b", dom) for c in SECRET_CODES)
    assert chromium.requested_urls(page) == []
    chromium.screenshot(page, "routesheet.png", size=(1200, 1400))


def test_cost_sharing_report_renders(chromium: Chromium, tmp_path: Path) -> None:
    """The cost-sharing report shows its share and stability tables and the recommendation."""
    from nachtzorg.sharing import Game, build_report

    g = Game.from_coalitions(
        {frozenset({"org-a"}): 900.0, frozenset({"org-b"}): 800.0, frozenset({"org-c"}): 700.0,
         frozenset({"org-a", "org-b"}): 1300.0, frozenset({"org-a", "org-c"}): 1250.0,
         frozenset({"org-b", "org-c"}): 1150.0, frozenset({"org-a", "org-b", "org-c"}): 1600.0},
        kind="cost", name="test night")
    page = tmp_path / "share.html"
    page.write_text(build_report(g).to_html(), encoding="utf-8")
    dom = chromium.dom(page)
    assert dom.count("<table>") >= 2 and "org-c" in dom and "Recommendation" in dom
    assert chromium.requested_urls(page) == []
    chromium.screenshot(page, "cost_sharing.png", size=(1300, 900))
