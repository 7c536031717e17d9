"""Gantt-style timeline of a night: one lane per nurse with driving, waiting and care.

Planned care is filled with the organisation's colour, acute care in red; the allowed start
windows are drawn as a thin bracket under each visit, late visits get a red outline and a
label, and the two bars of a two-nurse visit are linked by a dashed line. Matplotlib only;
the function draws on ``ax`` (a new figure when ``None``) and returns it: it never saves or
shows the figure.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..nighttime import NightClock
from ..plan import Plan, Stop
from .palette import ACUTE_COLOUR, nurse_colours, organisation_colours

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["AcuteBlock", "is_acute_stop", "plan_timeline", "window_bounds"]

#: Extra acute care not (yet) in the plan's routes: ``(shift_id, start, end, label)``.
AcuteBlock = tuple[str, _dt.datetime, _dt.datetime, str]

_DRIVE = "#9e9e9e"
_WAIT = "#e8e8e8"
_BREAK = "#f2c14e"
_WINDOW = "#555555"


def is_acute_stop(stop: Stop) -> bool:
    """Default test for acute care in a route: ``care`` or ``visit_id`` starting with "acute"."""
    return (stop.care or "").lower().startswith("acute") or (stop.visit_id or "").lower().startswith("acute")


def window_bounds(plan: Plan, window: str) -> tuple[_dt.datetime, _dt.datetime] | None:
    """The aware local start and end of a stop window ``"HH:MM-HH:MM"`` on the plan's night."""
    clock = NightClock(plan.date, plan.timezone)
    parts = window.split("-") if window.count("-") == 1 else []
    if len(parts) != 2:
        return None
    try:
        a, b = clock.to_seconds(parts[0].strip()), clock.to_seconds(parts[1].strip())
    except ValueError:
        return None
    return clock.to_datetime(a), clock.to_datetime(b)


def _num(dt: _dt.datetime) -> float:
    import matplotlib.dates as mdates

    return float(mdates.date2num(dt))


def plan_timeline(
    plan: Plan,
    ax: Axes | None = None,
    *,
    acute: Iterable[AcuteBlock] = (),
    is_acute: Callable[[Stop], bool] = is_acute_stop,
    show_windows: bool = True,
    show_unused: bool = False,
    label_stops: bool = True,
    legend: bool = True,
) -> Axes:
    """Draw the night of ``plan`` as one lane per nurse on ``ax`` and return ``ax``.

    Bars: driving (grey, from leaving the previous stop to arrival), waiting (light grey,
    until care may start), care (organisation colour; acute care red, hatched). Windows:
    thin brackets below each visit. Late visits: red outline and "+N min". Two-nurse
    visits: dashed line between the two lanes. ``acute`` adds blocks of acute care that are
    not stops of the plan, e.g. the response to a call after a dispatch. The x axis shows
    local wall time of the plan's time zone.
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if ax is None:
        n = sum(1 for r in plan.routes if r.used or show_unused)
        _, ax = plt.subplots(figsize=(14, 1.2 + 1.1 * max(n, 1)))
    tz = ZoneInfo(plan.timezone)
    routes = [r for r in plan.routes if r.used or show_unused]
    colours = nurse_colours(plan)
    org_colour = organisation_colours(plan)
    lane = {r.shift_id: i for i, r in enumerate(routes)}
    h = 0.5  # bar height
    starts_two: dict[str, list[tuple[str, float]]] = {}
    starts_of: dict[str, tuple[str, float]] = {}
    any_late = any_acute = any_window = any_break = False
    for r in routes:
        y = lane[r.shift_id]
        # shift span as a faint band in the nurse's colour
        ax.barh(y, _num(r.stops[-1].arrival) - _num(r.stops[0].start), left=_num(r.stops[0].start),
                height=h + 0.3, color=colours[r.shift_id], alpha=0.08, zorder=0)
        for seq, s in enumerate(r.stops):
            if s.travel_min > 0:
                t0 = _num(s.arrival) - s.travel_min / 1440.0
                ax.barh(y, s.travel_min / 1440.0, left=t0, height=h * 0.35, color=_DRIVE, zorder=2)
            if s.kind == "break":
                ax.barh(y, _num(s.end) - _num(s.start), left=_num(s.start), height=h * 0.6, color=_BREAK,
                        edgecolor="white", linewidth=0.6, zorder=3, gid="break")
                any_break = True
                continue
            if s.kind != "visit":
                continue
            if s.visit_id:
                starts_of.setdefault(s.visit_id, (r.shift_id, _num(s.start)))
            if s.start > s.arrival:
                ax.barh(y, _num(s.start) - _num(s.arrival), left=_num(s.arrival), height=h * 0.35,
                        color=_WAIT, edgecolor="#bbbbbb", linewidth=0.5, zorder=2)
            acute_care = is_acute(s)
            any_acute |= acute_care
            fill = ACUTE_COLOUR if acute_care else org_colour.get(s.organisation or "", "#999999")
            late = s.late_min > 0
            any_late |= late
            ax.barh(y, _num(s.end) - _num(s.start), left=_num(s.start), height=h, color=fill,
                    edgecolor=ACUTE_COLOUR if late else "white", linewidth=2.0 if late else 0.6,
                    hatch="//" if acute_care else None, zorder=3)
            if label_stops:
                ax.text(_num(s.start), y - h / 2 - 0.04, str(seq), fontsize=6, ha="left", va="bottom",
                        color="#333333", zorder=5)
            if late:
                ax.text(_num(s.end), y + h / 2 + 0.02, f"+{s.late_min:.0f} min", fontsize=7,
                        color=ACUTE_COLOUR, ha="left", va="top", zorder=5, fontweight="bold")
            if show_windows:
                for w in s.windows:
                    b = window_bounds(plan, w)
                    if b is None:
                        continue
                    any_window = True
                    wy = y + h / 2 + 0.07 + 0.08 * (seq % 2)  # staggered so neighbours stay apart
                    ax.plot([_num(b[0]), _num(b[1])], [wy, wy], color=_WINDOW, linewidth=0.8, zorder=4)
                    ax.plot([_num(b[0])] * 2, [wy - 0.05, wy], color=_WINDOW, linewidth=0.8, zorder=4)
                    ax.plot([_num(b[1])] * 2, [wy - 0.05, wy], color=_WINDOW, linewidth=0.8, zorder=4)
            if s.nurses == 2 and s.visit_id:
                starts_two.setdefault(s.visit_id, []).append((r.shift_id, _num(s.start)))
    for r in routes:  # an arrow from a visit to each visit that must follow it
        for s in r.visits:
            for f in s.follows:
                first = starts_of.get(f.split(" ", 1)[0])
                if first is None or s.visit_id not in starts_of:
                    continue
                shift, t = starts_of[s.visit_id]
                ax.annotate("", xy=(t, lane[shift]), xytext=(first[1], lane[first[0]]), zorder=6, gid="follows",
                            arrowprops={"arrowstyle": "->", "color": "#5a3d99", "linewidth": 1.0,
                                        "connectionstyle": "arc3,rad=0.2"})
    for pair in starts_two.values():
        if len(pair) >= 2:
            (a, ta), (b, tb) = pair[0], pair[1]
            ax.plot([ta, tb], [lane[a], lane[b]], linestyle="--", color="#333333", linewidth=1.2,
                    zorder=6, gid="two-nurse-link")
    for shift_id, t0, t1, label in acute:
        if shift_id not in lane:
            continue
        any_acute = True
        y = lane[shift_id]
        ax.barh(y, _num(t1) - _num(t0), left=_num(t0), height=h, color=ACUTE_COLOUR, hatch="//",
                edgecolor="white", linewidth=0.6, zorder=3)
        ax.text(_num(t0), y - h / 2 - 0.04, str(label), fontsize=7, color=ACUTE_COLOUR,
                ha="left", va="bottom", zorder=5)
    ax.set_yticks(range(len(routes)))
    ax.set_yticklabels([r.shift_id for r in routes])
    for tick, r in zip(ax.get_yticklabels(), routes):
        tick.set_color(colours[r.shift_id])
        tick.set_fontweight("bold")
    ax.set_ylim(len(routes) - 0.4, -0.6)
    ax.xaxis_date(tz=tz)
    ax.xaxis.set_major_locator(mdates.HourLocator(tz=tz))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
    ax.xaxis.set_minor_locator(mdates.MinuteLocator(byminute=[15, 30, 45], tz=tz))
    ax.grid(axis="x", which="major", color="#dddddd", zorder=0)
    ax.set_axisbelow(True)
    k = plan.kpis
    ax.set_title(f"Night of {plan.date:%Y-%m-%d}: {k.visits_served}/{k.visits_total} visits, "
                 f"{k.nurses_used} nurses, {k.late_visits} late", fontsize=10, loc="left")
    ax.set_xlabel(f"local time ({plan.timezone})")
    if legend:
        handles: list = [Patch(color=_DRIVE, label="driving"), Patch(facecolor=_WAIT, edgecolor="#bbbbbb", label="waiting")]
        handles += [Patch(color=c, label=f"care {o}") for o, c in org_colour.items()]
        if any_acute:
            handles.append(Patch(facecolor=ACUTE_COLOUR, hatch="//", edgecolor="white", label="acute care"))
        if any_late:
            handles.append(Patch(facecolor="white", edgecolor=ACUTE_COLOUR, linewidth=2, label="late"))
        if any_break:
            handles.append(Patch(color=_BREAK, label="break"))
        if any_window:
            handles.append(plt.Line2D([], [], color=_WINDOW, linewidth=0.8, label="allowed window"))
        if starts_two:
            handles.append(plt.Line2D([], [], color="#333333", linestyle="--", label="two nurses"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax


def lanes(ax: Axes) -> Sequence[str]:
    """The nurse (shift id) of each lane of a timeline, top to bottom."""
    return [t.get_text() for t in ax.get_yticklabels()]
