"""The result of planning a night: routes of stops, unassigned visits with reasons, KPIs.

Times are aware local datetimes (ISO 8601 with offset in JSON); durations in minutes;
distances in km; money in euros. A plan carries pseudonyms only.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Literal

from pydantic import Field

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ReasonCode = Literal[
    "no_qualified_nurse",
    "no_nurse_with_skills",
    "excluded_nurses_only",
    "no_second_qualified_nurse",
    "window_unreachable",
    "shift_ends_too_early",
    "no_second_nurse_reachable",
    "optional_not_worth_it",
    "dependency_unmet",
    "not_placed",
    # kept so that plans written by earlier versions still read; no longer given
    "no_second_nurse_free",
    "capacity_exhausted",
]


from .base import Frozen as _Out


class Stop(_Out):
    """One stop of a route: a visit, or the start/end place of the shift."""

    kind: Literal["start", "visit", "break", "end"]
    visit_id: str | None = None
    client_id: str | None = None
    organisation: str | None = None
    care: str | None = None
    nurses: int = 1
    partner_shift: str | None = Field(default=None, description="The other nurse of a two-nurse visit")
    lat: float
    lon: float
    arrival: _dt.datetime
    start: _dt.datetime
    end: _dt.datetime
    travel_min: float = 0.0
    distance_km: float = 0.0
    wait_min: float = 0.0
    late_min: float = 0.0
    windows: list[str] = Field(default_factory=list, description="Allowed start windows, HH:MM-HH:MM")
    follows: list[str] = Field(default_factory=list,
                               description="Visits this one must follow, with the gap (e.g. 'v-012 +60-120 min')")


class Route(_Out):
    """The ordered stops of one nurse's shift (start place, visits and breaks, end place)."""

    shift_id: str
    stops: list[Stop]
    distance_km: float
    driving_min: float
    care_min: float
    waiting_min: float
    cost_eur: float

    @property
    def visits(self) -> list[Stop]:
        return [s for s in self.stops if s.kind == "visit"]

    @property
    def breaks(self) -> list[Stop]:
        return [s for s in self.stops if s.kind == "break"]

    @property
    def used(self) -> bool:
        return bool(self.visits)


class Unassigned(_Out):
    """A visit no route serves, and why (a code for tools, a sentence for planners)."""

    visit_id: str
    client_id: str
    organisation: str
    mandatory: bool
    reason: ReasonCode
    detail: str


class KPIs(_Out):
    distance_km: float
    driving_min: float
    waiting_min: float
    care_min: float
    nurses_used: int
    nurses_on_shift: int
    shift_cost_eur: float
    km_cost_eur: float
    cost_eur: float = Field(description="Shift cost of the nurses used plus km cost")
    late_visits: int
    lateness_min: float
    lateness_cost_eur: float
    visits_total: int
    visits_served: int
    unassigned: int
    unassigned_mandatory: int
    overtime_min: float = Field(default=0.0, description="Minutes past the shift ends, all nurses")
    overtime_cost_eur: float = 0.0
    max_lateness_min: float = Field(default=0.0, description="The largest lateness of the night")
    max_lateness_cost_eur: float = 0.0
    preference_cost_eur: float = Field(default=0.0, description="Visits by nurses their clients do not prefer")
    nurses_lower_bound: int | None = Field(default=None, description="At least this many nurses are needed")
    nurses_bound_reason: str | None = None


class Plan(_Out):
    """A planned night."""

    scenario: str
    date: _dt.date
    timezone: str
    routes: list[Route]
    unassigned: list[Unassigned]
    kpis: KPIs
    solver: dict[str, float | int | str] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list, description="What the planner should know, in words")

    @property
    def complete(self) -> bool:
        """True when every visit is served."""
        return not self.unassigned

    def route(self, shift_id: str) -> Route:
        for r in self.routes:
            if r.shift_id == shift_id:
                return r
        raise KeyError(f"no route for shift {shift_id!r}")

    # ------------------------------------------------------------ tables
    def to_dataframe(self) -> pd.DataFrame:
        """One row per stop (start, visits, end) with time-zone-aware times."""
        import pandas as pd

        rows = []
        for r in self.routes:
            for seq, s in enumerate(r.stops):
                row = {"shift_id": r.shift_id, "seq": seq}
                row.update(s.model_dump(exclude={"windows"}))
                row["windows"] = " ".join(s.windows)
                rows.append(row)
        df = pd.DataFrame(rows)
        for col in ("arrival", "start", "end"):
            if col in df:
                df[col] = pd.to_datetime(df[col], utc=True).dt.tz_convert(self.timezone)
        return df

    def nurses_note(self) -> str:
        """The nurses used against the fewest the night needs, in a planner's words (empty when
        the plan carries no bound)."""
        k = self.kpis
        if k.nurses_lower_bound is None:
            return ""
        used, need = k.nurses_used, k.nurses_lower_bound
        if used <= need:
            return f"{used} nurse{'s' if used != 1 else ''}, which is the minimum ({k.nurses_bound_reason})"
        return (f"uses {used} nurses; at least {need} {'are' if need != 1 else 'is'} needed "
                f"({k.nurses_bound_reason})")

    def summary(self) -> str:
        k = self.kpis
        lines = [
            f"Night of {self.date} ({self.scenario}): {k.visits_served}/{k.visits_total} visits served, "
            f"{k.nurses_used}/{k.nurses_on_shift} nurses, {k.distance_km:.1f} km, cost EUR {k.cost_eur:,.2f}",
        ]
        if k.nurses_lower_bound is not None and k.nurses_used:
            lines.append("  " + self.nurses_note())
        if k.late_visits:
            lines.append(f"  {k.late_visits} late visit(s), {k.lateness_min:.0f} min in all")
        for r in self.routes:
            if r.used:
                first, last = r.stops[0], r.stops[-1]
                lines.append(
                    f"  {r.shift_id}: {len(r.visits)} visits, {r.distance_km:.1f} km, "
                    f"{first.start:%H:%M}-{last.arrival:%H:%M}"
                )
        for u in self.unassigned:
            lines.append(f"  unassigned {u.visit_id} ({u.reason}): {u.detail}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
