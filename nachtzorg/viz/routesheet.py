"""Printable route sheets: one HTML page per nurse with stops, times, care and access notes.

The page is self-contained (inline CSS, no scripts, no external resources), prints one
nurse per sheet, and escapes every piece of data text. Clients appear by pseudonym only.
Access notes come from the scenario; a key-safe code is never printed — if a planner typed
the code into an access note, it is blanked out there too.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ..model import REDACTED, Scenario  # noqa: F401  (REDACTED: re-exported for the sheet's tests)
from ..plan import Plan, Route
from .palette import nurse_colours, organisation_colours

__all__ = ["access_notes", "route_sheet_html", "route_sheets"]


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem;color:#111}
h1{font-size:1.3rem;margin:0 0 .3rem}
.meta{margin:.2rem 0 .8rem;font-size:.95rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #999;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#eee}
td.num{text-align:right;white-space:nowrap}
tr.endpoint td{background:#f7f7f7;font-style:italic}
tr.late td{background:#fde8e8}
tr.break td{background:#eef6ee}
.after{font-size:.85rem;color:#444}
.two{font-weight:bold}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem;vertical-align:-.1rem}
section.sheet{page-break-after:always;break-after:page;margin-bottom:2.5rem}
section.sheet:last-of-type{page-break-after:auto;break-after:auto}
.foot{font-size:.8rem;color:#555;margin-top:.4rem}
.warn{font-size:.9rem;border-left:.3rem solid #c60;padding-left:.4rem;margin:.2rem 0 .6rem}
@media print{body{margin:0}th{background:#eee !important;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def access_notes(scenario: Scenario | None) -> dict[str, str]:
    """Client id -> access note for the sheet, with every key-safe code blanked out."""
    return {} if scenario is None else scenario.access_notes()


def _route_section(plan: Plan, r: Route, notes: dict[str, str], colour: str, org_colour: dict[str, str]) -> str:
    first, last = r.stops[0], r.stops[-1]
    rows = []
    for seq, s in enumerate(r.stops):
        if s.kind == "break":
            rows.append(
                f'<tr class="break"><td class="num">{seq}</td><td class="num">{s.start:%H:%M}</td>'
                f'<td class="num">{s.start:%H:%M}&ndash;{s.end:%H:%M}</td>'
                f'<td class="num">{(s.end - s.start).total_seconds() / 60:.0f}</td>'
                f'<td colspan="6"><b>break</b> (where you are)</td></tr>')
            continue
        if s.kind != "visit":
            what = "start" if s.kind == "start" else "end"
            t = s.start if s.kind == "start" else s.arrival
            rows.append(
                f'<tr class="endpoint"><td class="num">{seq}</td><td class="num">{t:%H:%M}</td>'
                f'<td colspan="8">{what} of shift ({s.lat:.4f}, {s.lon:.4f})</td></tr>')
            continue
        late = s.late_min > 0
        two = (f'<span class="two">2 nurses, together with {escape(s.partner_shift or "?")}</span>'
               if s.nurses == 2 else "")
        two += "".join(f'<br><span class="after">after {escape(f)}</span>' for f in s.follows)
        org = escape(s.organisation or "")
        sw = f'<span class="swatch" style="background:{org_colour.get(s.organisation or "", "#999")}"></span>'
        late_txt = f"<br><b>{s.late_min:.0f} min late</b>" if late else ""
        rows.append(
            f'<tr class="visit{" late" if late else ""}" data-visit="{escape(s.visit_id or "")}">'
            f'<td class="num">{seq}</td>'
            f'<td class="num">{s.arrival:%H:%M}</td>'
            f'<td class="num">{s.start:%H:%M}&ndash;{s.end:%H:%M}{late_txt}</td>'
            f'<td class="num">{(s.end - s.start).total_seconds() / 60:.0f}</td>'
            f"<td>{escape(s.client_id or '')}<br><small>{escape(s.visit_id or '')}</small></td>"
            f"<td>{sw}{org}</td>"
            f"<td>{escape(s.care or '')} {two}</td>"
            f"<td>{escape(' '.join(s.windows))}</td>"
            f'<td class="num">{s.travel_min:.0f} min / {s.distance_km:.1f} km</td>'
            f"<td>{escape(notes.get(s.client_id or '', ''))}</td></tr>")
    head = ("<tr><th>#</th><th>arrive</th><th>care</th><th>min</th><th>client</th><th>organisation</th>"
            "<th>care / notes</th><th>window</th><th>drive</th><th>access</th></tr>")
    return (
        f'<section class="sheet" id="sheet-{escape(r.shift_id)}" data-shift="{escape(r.shift_id)}">'
        f'<h1 style="border-left:.5rem solid {colour};padding-left:.5rem">Route {escape(r.shift_id)}</h1>'
        f'<p class="meta">Night of {plan.date:%Y-%m-%d} &middot; {len(r.visits)} visits &middot; '
        f"{first.start:%H:%M}&ndash;{last.arrival:%H:%M} &middot; {r.distance_km:.1f} km, "
        f"{r.driving_min:.0f} min driving, {r.care_min:.0f} min care, {r.waiting_min:.0f} min waiting"
        + (f" &middot; breaks {', '.join(f'{b.start:%H:%M}' for b in r.breaks)}" if r.breaks else "")
        + "</p>"
        + (f'<p class="meta">Night team: {escape(plan.nurses_note())}</p>' if plan.nurses_note() else "")
        + "".join(f'<p class="warn">{escape(w)}</p>' for w in plan.warnings)
        + f'<table class="route"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="foot">Times are local. Windows: when care may start. Key-safe codes are never '
        "printed; they come from the secure channel of your organisation.</p></section>"
    )


def route_sheet_html(plan: Plan, scenario: Scenario | None = None, *,
                     shift_ids: Iterable[str] | None = None, title: str | None = None) -> str:
    """One printable HTML document with a sheet per used route (or per ``shift_ids``)."""
    wanted = list(shift_ids) if shift_ids is not None else None
    if wanted is not None:
        known = {r.shift_id for r in plan.routes}
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise KeyError(f"no route for shift {unknown[0]!r}")
    routes = [r for r in plan.routes if (r.shift_id in wanted if wanted is not None else r.used)]
    notes = access_notes(scenario)
    colours = nurse_colours(plan)
    org_colour = organisation_colours(plan)
    body = "\n".join(_route_section(plan, r, notes, colours[r.shift_id], org_colour) for r in routes)
    if not routes:
        body = "<p>No routes.</p>"
    t = escape(title or f"Route sheets, night of {plan.date:%Y-%m-%d}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{t}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def route_sheets(plan: Plan, scenario: Scenario | None = None) -> dict[str, str]:
    """Shift id -> its own printable HTML page, for every used route."""
    return {r.shift_id: route_sheet_html(plan, scenario, shift_ids=[r.shift_id]) for r in plan.routes if r.used}
