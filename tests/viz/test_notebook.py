"""HTML summaries for Jupyter: compact, escaped, offline."""

from __future__ import annotations

import pandas as pd

import pytest

from nachtzorg import Plan
from nachtzorg.notebook import allocation_html, dispatch_html, html_table, plan_html, register_views, simulation_html


def test_plan_html_lists_each_nurse(assen_plan: Plan) -> None:
    """The plan view shows the KPIs and a row per nurse, without scripts or links."""
    html = plan_html(assen_plan)
    assert all(r.shift_id in html for r in assen_plan.routes)
    assert f"{assen_plan.kpis.visits_served}/{assen_plan.kpis.visits_total}" in html
    assert "<script" not in html and "http" not in html


def test_views_attach_in_ipython(assen_plan: Plan) -> None:
    """In IPython a plan and a route display as HTML (a route: one table row per stop)."""
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    assert register_views(shell)
    r = next(r for r in assen_plan.routes if r.used)
    html, _ = shell.display_formatter.format(r)
    assert html["text/html"].count("<tr>") == len(r.stops) + 1
    assert assen_plan.routes[0].shift_id in shell.display_formatter.format(assen_plan)[0]["text/html"]
    assert not hasattr(Plan, "_repr_html_")


def test_plan_str_is_readable(assen_plan: Plan) -> None:
    """str(plan) is the text summary."""
    assert str(assen_plan).startswith("Night of")


def test_tables_escape_data() -> None:
    """Cell text and headers are escaped."""
    html = html_table(["<h>"], [["<img src=x>"]])
    assert "<img" not in html and "&lt;img src=x&gt;" in html and "&lt;h&gt;" in html


def test_dispatch_simulation_allocation_builders() -> None:
    """The builders for other result classes accept plain dicts and DataFrames."""
    d = dispatch_html({"call": "ac-1", "responder": "nurse-2", "response_min": 14.25, "within_norm": True},
                      [{"nurse": "nurse-1", "eta_min": 22.0}, {"nurse": "nurse-2", "eta_min": 14.25}])
    assert "Dispatch ac-1" in d and "14.2" in d and "nurse-1" in d
    s = simulation_html(pd.DataFrame({"nurses": [2, 3], "p90_response_min": [41.0, 24.5]}),
                        facts={"nights": 50})
    assert "p90_response_min" in s and "24.5" in s and "nights" in s
    a = allocation_html(pd.DataFrame({"shapley": [10.0, 20.0]}, index=pd.Index(["org-a", "org-b"], name="organisation")),
                        recommended="nucleolus")
    assert "org-b" in a and "20.00" in a and "nucleolus" in a
