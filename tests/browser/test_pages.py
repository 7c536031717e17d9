"""Map, route sheet and cost-sharing report in headless Chromium: rendered, complete, offline."""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nachtzorg import Plan, Scenario, SolveParams, Tuning, plan_night
from nachtzorg.synthetic import generate_night
from nachtzorg.viz.map import map_html
from nachtzorg.viz.routesheet import route_sheet_html
from tests.browser.conftest import Chromium
from tests.conftest import ASSEN, ROOT
from tests.viz.conftest import SECRET_CODES

CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "bootstrapcdn.com", "unpkg.com")
WINDOW = (1200, 900)
#: A drawn marker or cluster icon in the DOM: its classes and its position (translate3d, pixels).
ICON = re.compile(r'<div class="leaflet-marker-icon ([^"]*)"[^>]*?translate3d\((-?\d+)px, (-?\d+)px')
CLUSTER = re.compile(r'<div class="leaflet-marker-icon marker-cluster[^"]*"[^>]*><div><span>(\d+)</span>')


@functools.cache
def night_of_1000() -> Plan:
    """1,000 visits, 40 nurses, 4 organisations, planned cheaply (first solution only, about 4 s)."""
    return plan_night(generate_night(1000, 40, 4, seed=1),
                      SolveParams(time_limit_s=None, solution_limit=1, tuning=Tuning(first_solution="path_cheapest_arc", metaheuristic="greedy")))


def map_var(page: Path) -> str:
    """The JavaScript name of the page's Leaflet map (folium names it ``map_<hash>``)."""
    return re.search(r"var (map_[0-9a-f]+) = L\.map\(", page.read_text(encoding="utf-8")).group(1)


def visible_area(chromium: Chromium, page: Path) -> tuple[float, float, float, float]:
    """South, west, north, east of the map's visible area right after loading, in a WINDOW-sized window."""
    m = map_var(page)
    b = chromium.evaluate(page, f"[{m}.getBounds().getSouth(), {m}.getBounds().getWest(), "
                                f"{m}.getBounds().getNorth(), {m}.getBounds().getEast()]", size=WINDOW)
    return tuple(b)


def assert_view_fits(view: tuple[float, float, float, float], plan: Plan) -> None:
    """Every stop of a used route is in view, and the view is not much wider than the stops need."""
    south, west, north, east = view
    pts = [(s.lat, s.lon) for r in plan.routes if r.used for s in r.stops]
    assert all(south < lat < north and west < lon < east for lat, lon in pts)
    lat_share = (max(p[0] for p in pts) - min(p[0] for p in pts)) / (north - south)
    lon_share = (max(p[1] for p in pts) - min(p[1] for p in pts)) / (east - west)
    # Fitted at whole zoom levels: one level closer the stops would not fit, so in at least one
    # direction they span more than about half the window (less the padding).
    assert max(lat_share, lon_share) > 0.4, (lat_share, lon_share)


def drawn_markers(dom: str) -> tuple[list[int], int]:
    """The counts shown by the drawn clusters, and the number of stop and start markers drawn singly."""
    clusters = [int(n) for n in CLUSTER.findall(dom)]
    singles = sum(1 for cls, _, _ in ICON.findall(dom) if cls.startswith(("nz-stop-icon", "nz-home-icon")))
    return clusters, singles


def n_markers(plan: Plan) -> int:
    """Stop markers (one per visit of each used route; a two-nurse visit in both) plus one start per used route."""
    return sum(len(r.visits) + 1 for r in plan.routes if r.used)


@pytest.fixture(scope="module")
def map_page(tmp_path_factory: pytest.TempPathFactory, assen_plan: Plan) -> Path:
    page = tmp_path_factory.mktemp("pages") / "map.html"
    page.write_text(map_html(assen_plan, self_contained=True, acute_calls=[(52.95, 6.55, "alarm 01:40")],
                             responders=["nurse-2"]), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def page_1000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The self-contained map of the 1,000-visit night, on a plain background (no tile server)."""
    page = tmp_path_factory.mktemp("pages") / "map1000.html"
    page.write_text(map_html(night_of_1000(), self_contained=True, tiles=None), encoding="utf-8")
    return page


def test_self_contained_map_renders_routes_offline(chromium: Chromium, map_page: Path, assen_plan: Plan) -> None:
    """Offline, Leaflet draws a path per route, and every stop is drawn singly or counted in a cluster."""
    dom = chromium.dom(map_page, size=WINDOW)
    used = [r for r in assen_plan.routes if r.used]
    assert len(re.findall(r'<path class="nz-route ', dom)) == len(used)
    clusters, singles = drawn_markers(dom)
    assert clusters and sum(clusters) + singles == n_markers(assen_plan)
    assert 'class="nz-acute"' in dom and 'id="nz-legend"' in dom
    assert "leaflet-control-layers" in dom
    assert not any(re.search(rf"\b{c}\b", dom) for c in SECRET_CODES)


def test_unclustered_map_draws_every_numbered_stop(chromium: Chromium, tmp_path: Path, assen_plan: Plan) -> None:
    """With ``cluster=False`` every visit has its own numbered marker, offline."""
    page = tmp_path / "map_plain.html"
    page.write_text(map_html(assen_plan, self_contained=True, cluster=False), encoding="utf-8")
    dom = chromium.dom(page, size=WINDOW)
    assert dom.count('class="nz-stop') == sum(len(r.visits) for r in assen_plan.routes if r.used)
    assert '<div class="leaflet-marker-icon marker-cluster' not in dom


def test_map_opens_fitted_to_the_night(chromium: Chromium, map_page: Path, assen_plan: Plan) -> None:
    """In the browser the first view holds every stop and is not much larger than the night."""
    assert_view_fits(visible_area(chromium, map_page), assen_plan)


def test_map_of_a_night_elsewhere_opens_there(chromium: Chromium, tmp_path: Path, assen_plan: Plan) -> None:
    """A night 200 km south and squeezed to a quarter of its size opens over it, zoomed in."""
    centre = (52.95, 6.55)
    moved = assen_plan.model_copy(update={"routes": [
        r.model_copy(update={"stops": [s.model_copy(update={"lat": centre[0] - 2 + (s.lat - centre[0]) / 4,
                                                            "lon": centre[1] + (s.lon - centre[1]) / 4})
                                       for s in r.stops]})
        for r in assen_plan.routes]})
    page = tmp_path / "map_moved.html"
    page.write_text(map_html(moved, self_contained=True, tiles=None), encoding="utf-8")
    view = visible_area(chromium, page)
    assert_view_fits(view, moved)
    assert view[2] - view[0] < 0.2  # zoomed in: the Assen night itself needs about 0.3 degrees


def test_self_contained_map_requests_only_tiles(chromium: Chromium, map_page: Path) -> None:
    """The only network requests of the self-contained map are background tiles."""
    urls = chromium.requested_urls(map_page)
    assert all("tile.openstreetmap.org" in u for u in urls), urls


def test_cdn_map_needs_the_network(chromium: Chromium, tmp_path: Path, assen_plan: Plan) -> None:
    """Control: the non-self-contained page asks CDNs for its scripts and draws nothing offline."""
    page = tmp_path / "map_cdn.html"
    page.write_text(map_html(assen_plan, self_contained=False), encoding="utf-8")
    urls = chromium.requested_urls(page)
    assert any(h in u for u in urls for h in CDN_HOSTS)
    assert '<path class="nz-route ' not in chromium.dom(page)


def test_map_screenshot(chromium: Chromium, map_page: Path) -> None:
    """A screenshot of the offline map is taken."""
    chromium.screenshot(map_page, "map.png", size=WINDOW)


def test_map_of_1000_visits_is_readable_offline(chromium: Chromium, page_1000: Path) -> None:
    """1,000 visits: the page loads offline, draws every route, and shows a few dozen clusters, not a pile.

    Every stop is drawn singly or counted in a cluster; the drawn icons are at most 150 and no
    two are closer than 20 px (centre to centre), so no count or stop number is hidden.
    """
    plan = night_of_1000()
    dom = chromium.dom(page_1000, size=WINDOW)
    assert len(re.findall(r'<path class="nz-route ', dom)) == sum(r.used for r in plan.routes)
    clusters, singles = drawn_markers(dom)
    assert len(clusters) >= 10 and sum(clusters) + singles == n_markers(plan)
    icons = [(int(x), int(y)) for _, x, y in ICON.findall(dom)]
    assert len(icons) == len(clusters) + singles <= 150
    assert min(math.dist(a, b) for a, b in itertools.combinations(icons, 2)) >= 20
    # the layer list starts collapsed: open, its 40 entries would cover the map
    control = re.findall(r'<div class="(leaflet-control-layers(?: [^"]*)?)"', dom)
    assert len(control) == 1 and "expanded" not in control[0], control
    chromium.screenshot(page_1000, "map1000.png", size=WINDOW)


def test_map_of_1000_visits_opens_fitted(chromium: Chromium, page_1000: Path) -> None:
    """1,000 visits: the first view holds every stop."""
    assert_view_fits(visible_area(chromium, page_1000), night_of_1000())


def test_map_of_1000_visits_makes_no_request(chromium: Chromium, page_1000: Path) -> None:
    """1,000 visits, plain background: no request leaves the machine."""
    assert chromium.requested_urls(page_1000) == []


def test_quick_start_map_works_offline_on_a_fresh_install(chromium: Chromium, tmp_path: Path) -> None:
    """`nachtzorg plan` with an empty asset cache and no npm on the PATH writes a map that works offline."""
    exe = Path(sys.executable).with_name("nachtzorg")
    if not exe.is_file():
        pytest.skip(f"the nachtzorg console script is not installed next to {sys.executable}")
    (tmp_path / "bin").mkdir()  # a PATH with no npm (and nothing else)
    env = {**os.environ, "PATH": str(tmp_path / "bin"), "NACHTZORG_ASSET_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([str(exe), "plan", str(ASSEN), "--out", str(tmp_path / "out"), "--solution-limit", "20"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode in (0, 3), out.stderr  # 3: written, with visits left unassigned (short search)
    assert not (tmp_path / "cache").exists()
    page = tmp_path / "out" / "map.html"
    html = page.read_text(encoding="utf-8")
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)
    dom = chromium.dom(page, size=WINDOW)
    plan = Plan.model_validate_json((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert len(re.findall(r'<path class="nz-route ', dom)) == sum(r.used for r in plan.routes)
    clusters, singles = drawn_markers(dom)
    assert sum(clusters) + singles == n_markers(plan)
    urls = chromium.requested_urls(page)
    assert all("tile.openstreetmap.org" in u for u in urls), urls


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
