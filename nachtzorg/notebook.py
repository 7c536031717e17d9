"""Notebook views: small HTML builders for Jupyter, compact, offline, escaped.

Every function returns an HTML fragment with inline styles only (no scripts, no external
resources) and escapes all data text. They take plain values (dicts, DataFrames, a
:class:`~nachtzorg.plan.Plan`). :func:`register_views` attaches them to the result types as
IPython HTML formatters, so the data types themselves know nothing of notebooks
(``import nachtzorg`` calls it when IPython is running):

* a plan / a route              -> :func:`plan_html` / :func:`route_html`
* a dispatch decision           -> :func:`decision_html` (fields + the ranked options)
* a simulation result           -> :func:`simulation_html` (summary table per team size)
* a cost allocation / report    -> :func:`allocation_html` (one row per organisation)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .plan import Plan, Route

__all__ = ["allocation_html", "decision_html", "dispatch_html", "fmt", "frame_html", "html_table", "kv_html",
           "plan_html", "register_views", "route_html", "simulation_html"]

_BOX = "font-family:system-ui,sans-serif;font-size:13px;line-height:1.35;max-width:60rem"
_TABLE = "border-collapse:collapse;margin:4px 0 8px;font-size:12px"
_CELL = "border:1px solid #ccc;padding:2px 6px;text-align:{align}"
_HEAD = "background:#f3f3f3;" + _CELL
_OK = "color:#176a2c"
_BAD = "color:#a11;font-weight:bold"


def fmt(value: Any, digits: int = 1) -> str:
    """Cell text: numbers rounded, booleans yes/no, times HH:MM, missing as '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if hasattr(value, "strftime") and hasattr(value, "hour"):
        return value.strftime("%H:%M")
    return str(value)


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str | None = None,
               max_rows: int | None = None, digits: int = 1) -> str:
    """An escaped HTML table; text cells left-aligned, numbers right-aligned; yes/no coloured."""
    shown = list(rows)
    more = 0
    if max_rows is not None and len(shown) > max_rows:
        more = len(shown) - max_rows
        shown = shown[:max_rows]
    out = [f'<table style="{_TABLE}">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold">{escape(caption)}</caption>')
    out.append("<thead><tr>" + "".join(f'<th style="{_HEAD.format(align="left")}">{escape(str(h))}</th>'
                                       for h in header) + "</tr></thead><tbody>")
    for row in shown:
        cells = []
        for v in row:
            text = fmt(v, digits)
            align = "right" if isinstance(v, (int, float)) and not isinstance(v, bool) else "left"
            style = _CELL.format(align=align)
            if text == "yes" and isinstance(v, bool):
                style += ";" + _OK
            elif text == "no" and isinstance(v, bool):
                style += ";" + _BAD
            cells.append(f'<td style="{style}">{escape(text)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if more:
        out.append(f"<div style=\"color:#666;font-size:11px\">... {more} more row(s)</div>")
    return "".join(out)


def frame_html(df: pd.DataFrame, *, caption: str | None = None, max_rows: int | None = 30,
               index: bool = True, digits: int = 1) -> str:
    """A DataFrame as an escaped compact table (the index as first column when ``index``)."""
    header = ([str(df.index.name or "")] if index else []) + [str(c) for c in df.columns]
    rows = [([idx] if index else []) + list(r) for idx, r in zip(df.index, df.itertuples(index=False))]
    return html_table(header, rows, caption=caption, max_rows=max_rows, digits=digits)


def kv_html(items: Mapping[str, Any], *, digits: int = 1) -> str:
    """Key-value pairs on one wrapped line: ``key: value · key: value``."""
    parts = [f"<span style=\"white-space:nowrap\"><span style=\"color:#666\">{escape(str(k))}:</span> "
             f"<b>{escape(fmt(v, digits))}</b></span>" for k, v in items.items()]
    return " &middot; ".join(parts)


def _box(title: str, *parts: str) -> str:
    return (f'<div style="{_BOX}"><div style="font-weight:bold;font-size:14px;margin-bottom:3px">'
            f"{escape(title)}</div>" + "".join(f"<div>{p}</div>" for p in parts if p) + "</div>")


def plan_html(plan: Plan) -> str:
    """Compact summary of a plan: KPIs, one row per nurse, unassigned visits with reasons."""
    k = plan.kpis
    kv = kv_html({
        "visits served": f"{k.visits_served}/{k.visits_total}",
        "nurses": f"{k.nurses_used}/{k.nurses_on_shift}"
                  + (f", at least {k.nurses_lower_bound} needed" if k.nurses_lower_bound is not None else ""),
        "distance km": k.distance_km, "driving min": k.driving_min, "waiting min": k.waiting_min,
        "late visits": k.late_visits, "cost EUR": f"{k.cost_eur:,.2f}",
    })
    rows = []
    for r in plan.routes:
        if not r.used:
            rows.append([r.shift_id, 0, 0.0, 0.0, 0.0, 0.0, "-", "-", 0])
            continue
        late = sum(1 for s in r.visits if s.late_min > 0)
        rows.append([r.shift_id, len(r.visits), r.distance_km, r.driving_min, r.waiting_min, r.care_min,
                     f"{r.stops[0].start:%H:%M}", f"{r.stops[-1].arrival:%H:%M}", late])
    routes = html_table(["nurse", "visits", "km", "driving min", "waiting min", "care min", "from", "to", "late"],
                        rows)
    un = ""
    if plan.unassigned:
        un = html_table(["visit", "client", "organisation", "mandatory", "reason", "detail"],
                        [[u.visit_id, u.client_id, u.organisation, u.mandatory, u.reason, u.detail]
                         for u in plan.unassigned], caption="Not planned", max_rows=15)
    status = (f'<span style="{_OK}">all visits served</span>' if plan.complete
              else f'<span style="{_BAD}">{len(plan.unassigned)} visit(s) not planned</span>')
    return _box(f"Plan: {plan.scenario}, night of {plan.date:%Y-%m-%d}", f"{status} &middot; {kv}", routes, un)


def route_html(route: Route) -> str:
    """One nurse's route: a row per stop with times, care, window and lateness."""
    rows = []
    for seq, st in enumerate(route.stops):
        rows.append([seq, st.kind, st.client_id or "", st.visit_id or "", st.organisation or "", st.care or "",
                     f"{st.arrival:%H:%M}", f"{st.start:%H:%M}", f"{st.end:%H:%M}", " ".join(st.windows),
                     st.nurses if st.kind == "visit" else "", st.late_min])
    kv = kv_html({"visits": len(route.visits), "km": route.distance_km, "driving min": route.driving_min,
                  "waiting min": route.waiting_min, "care min": route.care_min, "cost EUR": route.cost_eur})
    table = html_table(["#", "kind", "client", "visit", "organisation", "care", "arrive", "start", "end",
                        "window", "nurses", "late min"], rows)
    return _box(f"Route {route.shift_id}", kv, table)


def dispatch_html(decision: Mapping[str, Any], candidates: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None,
                  *, title: str | None = None) -> str:
    """A dispatch decision: its fields (call, responder, ETA, norm met, ...) and the candidates table.

    ``decision`` is a flat dict, shown in order (e.g. ``{"call": "ac-1", "received": dt,
    "responder": "nurse-2", "response_min": 14.0, "within_norm": True, "plan_still_fits": True}``);
    ``candidates`` one row per nurse considered (a DataFrame or a list of dicts).
    """
    parts = [kv_html(decision)]
    if candidates is not None:
        parts.append(_records_html(candidates, caption="Candidates"))
    name = title or f"Dispatch {decision.get('call', decision.get('call_id', ''))}".strip()
    return _box(name, *parts)


def decision_html(decision: Any) -> str:
    """A :class:`~nachtzorg.acute.DispatchDecision`: the choice and the ranked options."""
    c = decision.chosen
    head = {"call": decision.call_id, "now": decision.now, "policy": decision.policy,
            "responder": "+".join(c.shifts) if c else None, "arrival": c.arrival if c else None,
            "response_min": c.response_min if c else None, "norm_met": c.norm_met if c else False,
            "backup": decision.backup_recommended}
    return dispatch_html(head, [o.model_dump(exclude={"delayed"}) for o in decision.options])


def simulation_html(summary: pd.DataFrame | Sequence[Mapping[str, Any]], *, title: str = "Simulated nights",
                    facts: Mapping[str, Any] | None = None) -> str:
    """A simulation result: optional headline facts and a summary table (e.g. one row per team size)."""
    return _box(title, kv_html(facts) if facts else "", _records_html(summary))


def allocation_html(table: pd.DataFrame | Sequence[Mapping[str, Any]], *, title: str = "Cost allocation",
                    recommended: str | None = None, facts: Mapping[str, Any] | None = None,
                    digits: int = 2) -> str:
    """A cost allocation: one row per organisation (e.g. stand-alone cost and the share under each rule)."""
    rec = f"recommended rule: <b>{escape(recommended)}</b>" if recommended else ""
    return _box(title, kv_html(facts, digits=digits) if facts else "", rec,
                _records_html(table, digits=digits))


def report_html(report: Any) -> str:
    """A :class:`~nachtzorg.sharing.ShareReport`: each organisation's share under each rule."""
    facts = {"least-core epsilon": report.least_core_epsilon, "core": "empty" if report.core_empty else "non-empty"}
    return allocation_html(report.table, title=report.title, recommended=report.recommended, facts=facts)


def _records_html(data: pd.DataFrame | Sequence[Mapping[str, Any]], *, caption: str | None = None,
                  digits: int = 1) -> str:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a core dependency
        pd = None  # type: ignore[assignment]
    if pd is not None and isinstance(data, pd.DataFrame):
        plain_index = isinstance(data.index, pd.RangeIndex) and data.index.name is None
        return frame_html(data, caption=caption, index=not plain_index, digits=digits)
    rows = list(data)
    header = list(dict.fromkeys(k for r in rows for k in r))
    return html_table(header, [[r.get(h) for h in header] for r in rows], caption=caption, digits=digits)


#: (module, class name, HTML view) of every result type with a notebook view.
VIEWS: tuple[tuple[str, str, Any], ...] = (
    ("nachtzorg.plan", "Plan", plan_html),
    ("nachtzorg.plan", "Route", route_html),
    ("nachtzorg.acute.dispatch", "DispatchDecision", decision_html),
    ("nachtzorg.acute.simulate", "SimulationResults", lambda r: simulation_html(r.to_dataframe())),
    ("nachtzorg.sharing.report", "ShareReport", lambda r: report_html(r)),
)


def register_views(shell: Any = None) -> bool:
    """Attach the HTML views to the result types in IPython's display formatter (``shell``:
    an ``InteractiveShell``; default the running one). Returns False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython absent
            return False
        shell = get_ipython()
    if shell is None:
        return False
    html = shell.display_formatter.formatters["text/html"]
    for module, name, view in VIEWS:
        html.for_type_by_name(module, name, view)
    return True
