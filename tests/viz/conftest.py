"""Fixtures for the pictures: the Assen night with secret key-safe codes, planned once per session."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from nachtzorg import Plan, Scenario, plan_night
from tests.conftest import ASSEN, DETERMINISTIC

#: Key-safe codes planted in the scenario; none may appear in any output.
SECRET_CODES = ("4711", "8642", "1397")


@functools.cache
def assen_with_secrets() -> Scenario:
    """The Assen scenario with key-safe codes, one also typed into an access note by mistake."""
    data = json.loads(Path(ASSEN).read_text(encoding="utf-8"))
    for client, code in zip(data["clients"], SECRET_CODES):
        client["key_safe_code"] = code
    data["clients"][0]["access_note"] = f"key safe left of the door, code {SECRET_CODES[0]} <b>ring twice</b>"
    return Scenario.model_validate(data)


@pytest.fixture(scope="session")
def assen_scenario() -> Scenario:
    return assen_with_secrets()


@functools.cache
def planned_assen() -> Plan:
    """Planned once per test process, shared by tests/viz and tests/browser."""
    return plan_night(assen_with_secrets(), DETERMINISTIC)


@pytest.fixture(scope="session")
def assen_plan() -> Plan:
    return planned_assen()


@pytest.fixture(scope="session")
def late_plan(assen_plan: Plan) -> Plan:
    """The Assen plan with one visit marked 12 minutes late (for drawing, not a real schedule)."""
    routes = list(assen_plan.routes)
    r = routes[0]
    stops = list(r.stops)
    stops[2] = stops[2].model_copy(update={"late_min": 12.0})
    routes[0] = r.model_copy(update={"stops": stops})
    return assen_plan.model_copy(update={"routes": routes})
