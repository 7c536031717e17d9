"""The Gantt timeline: lanes, care, windows, late visits, two-nurse links, acute blocks."""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nachtzorg import Plan  # noqa: E402
from nachtzorg.viz.timeline import lanes, plan_timeline, window_bounds  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_timeline_one_lane_per_used_nurse(assen_plan: Plan) -> None:
    """Lanes are the used routes' shift ids, top to bottom in plan order."""
    ax = plan_timeline(assen_plan)
    assert list(lanes(ax)) == [r.shift_id for r in assen_plan.routes if r.used]


def test_timeline_draws_on_given_axes_and_returns_it(assen_plan: Plan) -> None:
    """With ``ax`` given, the timeline is drawn there and the same axes returned."""
    _, ax = plt.subplots()
    assert plan_timeline(assen_plan, ax) is ax
    # a care bar per visit at least
    assert len(ax.patches) >= sum(len(r.visits) for r in assen_plan.routes)


def test_timeline_links_two_nurse_visits(assen_plan: Plan) -> None:
    """Every two-nurse visit served by two nurses gets one dashed link."""
    ax = plan_timeline(assen_plan)
    pairs = {s.visit_id for r in assen_plan.routes for s in r.visits if s.nurses == 2}
    links = [ln for ln in ax.lines if ln.get_gid() == "two-nurse-link"]
    assert len(links) == len(pairs)


def test_timeline_marks_late_visits(late_plan: Plan) -> None:
    """A late visit is labelled with its lateness in minutes."""
    ax = plan_timeline(late_plan)
    assert any(t.get_text() == "+12 min" for t in ax.texts)


def test_timeline_shows_acute_blocks(assen_plan: Plan) -> None:
    """Acute blocks given by the caller appear with their label and in the legend."""
    r = next(r for r in assen_plan.routes if r.used)
    t0 = r.visits[0].end
    ax = plan_timeline(assen_plan, acute=[(r.shift_id, t0, t0 + dt.timedelta(minutes=20), "ac-1")])
    assert any(t.get_text() == "ac-1" for t in ax.texts)
    assert "acute care" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_window_bounds_cross_midnight(assen_plan: Plan) -> None:
    """A window 23:30-01:00 ends on the next morning, in the plan's time zone."""
    a, b = window_bounds(assen_plan, "23:30-01:00")
    assert (b - a) == dt.timedelta(minutes=90) and a.tzinfo is not None
    assert window_bounds(assen_plan, "garbage") is None


def test_timeline_x_axis_is_local_time(assen_plan: Plan) -> None:
    """Tick labels are HH:MM wall times and the first shift start is inside the x range."""
    ax = plan_timeline(assen_plan)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(len(s) == 5 and s[2] == ":" for s in labels)
    assert "00:00" in labels
