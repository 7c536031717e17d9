"""Scenario model: validation errors name field and value, times of night, DST, privacy."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError

from nachtzorg import NightClock, Scenario, scenario_json_schema
from nachtzorg.cli.common import format_validation_error

from .conftest import ASSEN, client, night, nurse, visit


def _errors(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as e:
        Scenario.model_validate(data)
    return format_validation_error(e.value)


def good() -> dict:
    return night([client("c1", 1, 1), client("c2", -2, 0)],
                 [visit("v1", "c1"), visit("v2", "c2", nurses=2)])


def test_valid_scenario_round_trips_through_json():
    """A valid scenario survives to_json -> from_json unchanged."""
    s = Scenario.model_validate(good())
    again = Scenario.from_json(s.to_json())
    assert again == s


def test_assen_example_is_valid_and_sized_as_described(assen):
    """The bundled example has 4 organisations, about 60 visits, 3 nurses and two-nurse visits."""
    assert len(assen.organisations) == 4
    assert 50 <= len(assen.visits) <= 70
    assert len(assen.shifts) == 3
    assert sum(v.nurses == 2 for v in assen.visits) >= 2
    assert any(v.care == "medication" for v in assen.visits)


@pytest.mark.parametrize("mutate, path, fragment", [
    (lambda d: d["visits"][0].pop("duration_min"), "visits[0].duration_min", "required"),
    (lambda d: d["visits"][0]["windows"][0].update(start="23:00", end="22:00"), "visits[0].windows[0].end",
     "ends (22:00) before it starts (23:00)"),
    (lambda d: (d["visits"][0].update(duration_min=400), [x.update(end_time="05:00") for x in d["shifts"]]),
     "visits[0].duration_min", "longer than the night"),
    (lambda d: d["clients"][0].update(organisation="org-zz"), "clients[0].organisation", "unknown organisation 'org-zz'"),
    (lambda d: d["visits"][0].update(client="nobody"), "visits[0].client", "unknown client 'nobody'"),
    (lambda d: d["clients"][0]["location"].update(lat=123.0), "clients[0].location.lat", "less than or equal to 90"),
    (lambda d: d["clients"].append(dict(d["clients"][0])), "clients[2].id", "duplicate id 'c1'"),
    (lambda d: d["visits"][0]["windows"][0].update(start="25:00"), "visits[0].windows[0].start", "not a time of day"),
    (lambda d: d["visits"][0].update(nurse_name="Jan"), "visits[0].nurse_name", "unknown field"),
])
def test_bad_input_gives_one_clear_message_naming_field_and_value(mutate, path, fragment):
    """Each kind of bad input yields a message with the field path and what is wrong."""
    data = good()
    mutate(data)
    errors = _errors(data)
    assert any(e.startswith(path) and fragment in e for e in errors), errors


def test_all_problems_are_reported_at_once():
    """Several independent problems are all listed, not only the first one."""
    data = good()
    data["visits"][0]["windows"][0].update(start="03:00", end="02:00")
    data["visits"][1]["client"] = "ghost"
    data["clients"][1]["organisation"] = "nope"
    errors = _errors(data)
    assert len(errors) >= 3
    assert {e.split(":")[0] for e in errors} >= {"visits[0].windows[0].end", "visits[1].client", "clients[1].organisation"}


def test_night_clock_crosses_midnight():
    """23:00 and 01:00 are two hours apart: morning hours belong to the next day."""
    import datetime as dt

    c = NightClock(dt.date(2026, 11, 22))
    assert c.to_seconds("01:00") - c.to_seconds("23:00") == 2 * 3600
    assert c.to_datetime(c.to_seconds("01:00")).date().isoformat() == "2026-11-23"


def test_night_clock_counts_the_extra_hour_when_clocks_go_back():
    """On the night of 24-25 October 2026 (clocks back at 03:00) 23:00 to 05:00 lasts 7 h."""
    import datetime as dt

    c = NightClock(dt.date(2026, 10, 24))
    assert c.to_seconds("05:00") - c.to_seconds("23:00") == 7 * 3600
    assert c.label(c.to_seconds("05:00")) == "05:00"


def test_skipped_wall_time_on_spring_forward_night_is_planned_at_the_same_real_time():
    """02:30 does not exist on the night of 28-29 March 2026: the window counts from the same
    real time (the clocks then show 03:30), and the scenario warns about it."""
    import datetime as dt

    data = good()
    data["date"] = "2026-03-28"
    data["visits"][0]["windows"][0].update(start="02:30", end="04:00")
    s = Scenario.model_validate(data)
    c = NightClock(dt.date(2026, 3, 28))
    assert c.to_seconds("02:30") == c.to_seconds("03:30") and c.label(c.to_seconds("02:30")) == "03:30"
    (w,) = s.warnings()
    assert "clocks go forward" in w and data["visits"][0]["id"] in w
    assert Scenario.model_validate(good()).warnings() == []


def test_two_nurse_visit_with_one_nurse_on_shift_is_valid():
    """A night with one nurse and a two-nurse visit loads (the visit is left out with its reason)."""
    data = good()
    data["shifts"] = [nurse("n1")]
    data["visits"][0]["nurses"] = 2
    Scenario.model_validate(data)


@pytest.mark.parametrize(("field", "value"), [
    ("cost_per_shift_eur", 9.3e12), ("cost_per_shift_eur", 1e20), ("cost_per_km_eur", 1e20),
    ("penalty_eur", 1e20), ("lateness_cost_per_min_eur", 1e13), ("cost_per_shift_eur", float("nan")),
])
def test_numbers_the_solver_cannot_hold_are_refused_naming_the_field(field, value):
    """Money far beyond any night (or not a number) is an input error naming the field, never an
    overflow in the solver."""
    data = good()
    if field in ("cost_per_shift_eur", "cost_per_km_eur"):
        data["shifts"][0][field] = value
    else:
        data["visits"][0].update({field: value, **({"optional": True} if field == "penalty_eur" else {})})
    errors = _errors(data)
    assert any(field in e for e in errors), errors


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d.update(date="9999-12-31"), "date"),
    (lambda d: d["visits"][0]["windows"][0].update(start="0001-01-01T00:30:00+14:00"), "visits[0].windows[0].start"),
    (lambda d: d.update(timezone="Europe/" + "x" * 300), "timezone"),
    (lambda d: d.update(timezone="Nowhere/Atlantis"), "timezone"),
])
def test_dates_and_zones_out_of_range_are_input_errors(change, where):
    """Dates near year 9999, times in year 1 at +14:00 and absurd zones: errors, no traceback."""
    data = good()
    change(data)
    errors = _errors(data)
    assert any(e.startswith(where) for e in errors), errors


def test_error_lines_never_echo_a_secret_nor_a_huge_value():
    """A key-safe code typed as a number, a misspelled secret field and a 5 MB string: the error
    names the field but shows no secret and at most a short preview."""
    data = good()
    data["clients"][0]["key_safe_code"] = 4711
    data["clients"][1]["keysafe"] = "4712"
    data["visits"][0]["care"] = "x" * 5_000_000
    errors = _errors(data)
    assert any(e.startswith("clients[0].key_safe_code") for e in errors)
    assert any(e.startswith("clients[1].keysafe") for e in errors)
    assert not any("4711" in e or "4712" in e for e in errors), errors
    assert max(len(e) for e in errors) < 500


def test_key_safe_code_is_never_serialised():
    """A key-safe code is kept secret: not in JSON, not in repr."""
    data = good()
    data["clients"][0]["key_safe_code"] = "4711"
    s = Scenario.model_validate(data)
    assert "4711" not in s.to_json()
    assert "4711" not in repr(s)
    assert s.clients[0].key_safe_code.get_secret_value() == "4711"


def test_json_schema_describes_the_format():
    """The JSON Schema lists the top-level fields and forbids unknown ones."""
    schema = scenario_json_schema()
    assert {"date", "visits", "shifts", "clients", "organisations"} <= set(schema["properties"])
    assert schema.get("additionalProperties") is False
    json.dumps(schema)


def test_restricted_to_keeps_only_a_coalitions_clients():
    """restricted_to() drops other organisations' clients and their visits."""
    data = good()
    data["organisations"].append({"id": "org-b", "name": "B"})
    data["clients"][1]["organisation"] = "org-b"
    s = Scenario.model_validate(data)
    sub = s.restricted_to({"org-b"})
    assert [c.id for c in sub.clients] == ["c2"]
    assert [v.id for v in sub.visits] == ["v2"]


def test_assen_file_is_pretty_json():
    """The example file is readable JSON (a planner opens it)."""
    data = json.loads(ASSEN.read_text())
    assert copy.deepcopy(data)["timezone"] == "Europe/Amsterdam"
