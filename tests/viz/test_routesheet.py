"""Printable route sheets: one per nurse, access notes, never a key-safe code, escaped text."""

from __future__ import annotations

import re

import pytest

from nachtzorg import Plan, Scenario
from nachtzorg.viz.routesheet import REDACTED, access_notes, route_sheet_html, route_sheets
from tests.viz.conftest import SECRET_CODES


def test_one_sheet_per_used_route(assen_plan: Plan, assen_scenario: Scenario) -> None:
    """The document has a section per used route and a row per visit."""
    html = route_sheet_html(assen_plan, assen_scenario)
    used = [r for r in assen_plan.routes if r.used]
    assert html.count('<section class="sheet"') == len(used)
    assert html.count('<tr class="visit') == sum(len(r.visits) for r in used)


def test_sheet_never_prints_a_key_safe_code(assen_plan: Plan, assen_scenario: Scenario) -> None:
    """Key-safe codes are absent, even one typed into an access note; the note itself remains."""
    html = route_sheet_html(assen_plan, assen_scenario)
    assert not any(re.search(rf"\b{c}\b", html) for c in SECRET_CODES)
    first = assen_scenario.clients[0].id
    if any(s.client_id == first for r in assen_plan.routes for s in r.visits):
        assert REDACTED in html and "key safe left of the door" in html


def test_access_notes_are_escaped(assen_plan: Plan, assen_scenario: Scenario) -> None:
    """Markup in an access note is shown as text."""
    assert "&lt;b&gt;ring twice&lt;/b&gt;" in route_sheet_html(assen_plan, assen_scenario)
    assert REDACTED in access_notes(assen_scenario)[assen_scenario.clients[0].id]


def test_sheet_without_scenario_has_no_notes(assen_plan: Plan) -> None:
    """Without the scenario the sheet still lists every stop, just no access notes."""
    html = route_sheet_html(assen_plan)
    assert "key safe" not in html and "<table" in html


def test_route_sheets_per_nurse(assen_plan: Plan, assen_scenario: Scenario) -> None:
    """``route_sheets`` gives each used nurse her own page."""
    pages = route_sheets(assen_plan, assen_scenario)
    assert set(pages) == {r.shift_id for r in assen_plan.routes if r.used}
    assert all(p.count('<section class="sheet"') == 1 for p in pages.values())


def test_unknown_shift_is_an_error(assen_plan: Plan) -> None:
    """Asking for a shift that has no route raises KeyError naming it."""
    with pytest.raises(KeyError, match="nobody"):
        route_sheet_html(assen_plan, shift_ids=["nobody"])


def test_sheet_is_self_contained(assen_plan: Plan, assen_scenario: Scenario) -> None:
    """No scripts and no external resources."""
    html = route_sheet_html(assen_plan, assen_scenario)
    assert "<script" not in html and not re.search(r'(src|href)="https?:', html)
