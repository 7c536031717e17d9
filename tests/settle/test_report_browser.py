"""report.html in headless Chromium (Playwright, Debian's Chromium): the chart and the tables are
drawn, the recommendation is there, nothing is fetched, and no client id or key-safe code shows."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import chromium_browser

from .conftest import CLIENT_PREFIX, SECRET_CODES

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (PyPI 'playwright') is not installed")


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as b:
        yield b


def test_report_renders_chart_and_tables_offline(browser, tiny_run) -> None:
    """The chart has a bar per organisation for its stand-alone cost and each rule; every table has rows."""
    data, out = tiny_run
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((out / "report.html").resolve().as_uri())
    chart = page.locator("svg#contribution-chart")
    assert chart.count() == 1
    box = chart.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 200
    orgs, rules = data["organisations"], list(data["allocations"])
    assert page.locator("svg#contribution-chart rect.bar").count() == len(orgs) * (len(rules) + 1)
    tallest = page.evaluate("Math.max(...[...document.querySelectorAll('rect.bar')].map(r => r.getBBox().height))")
    assert tallest > 100  # drawn to scale, not flat
    alone = page.locator("rect.bar[data-rule='alone']").evaluate_all("els => els.map(e => e.getBBox().height)")
    assert len(alone) == len(orgs) and min(alone) > 0
    for name in ("standalone", "allocations", "core", "business-case", "finance", "nights"):
        table = page.locator(f"table[data-table='{name}']")
        assert table.count() == 1 and table.locator("tbody tr").count() >= 1, name
    assert page.locator("table[data-table='allocations'] tbody tr").count() == len(orgs) + 1
    text = page.inner_text("body")
    assert "We recommend settling by the nucleolus" in text
    for item in ("inhabitants", "clients in night care", "call-outs a year", "night shifts a year",
                 "back-up (achterwacht) hours a year", "cost per car a year", "coordination costs a year"):
        assert item in text, item
    html = page.content()
    assert CLIENT_PREFIX not in html and not any(code in html for code in SECRET_CODES)
    assert not re.search(r"<script", html)
    assert all(u.startswith("file:") for u in requests), requests
    keep = os.environ.get("NACHTZORG_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(keep) / "settle-report.png"), full_page=True)
    page.context.close()
