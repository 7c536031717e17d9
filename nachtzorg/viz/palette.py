"""Colours shared by the map, the timeline and the route sheet (one colour per nurse, per organisation)."""

from __future__ import annotations

from ..plan import Plan

#: Nurse route colours (colour-blind friendly Okabe–Ito palette, then Tableau).
NURSE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
                 "#000000", "#8c564b", "#7f7f7f"]
#: Organisation marker fills.
ORG_COLOURS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf",
               "#999999", "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494"]
#: Colour of acute calls and acute care.
ACUTE_COLOUR = "#c00000"


def nurse_colours(plan: Plan) -> dict[str, str]:
    """Shift id -> colour, by the order of the plan's routes (stable whether a route is used or not)."""
    return {r.shift_id: NURSE_COLOURS[i % len(NURSE_COLOURS)] for i, r in enumerate(plan.routes)}


def organisation_colours(plan: Plan) -> dict[str, str]:
    """Organisation id -> colour, by sorted id."""
    orgs = sorted({s.organisation for r in plan.routes for s in r.stops if s.organisation}
                  | {u.organisation for u in plan.unassigned})
    return {o: ORG_COLOURS[i % len(ORG_COLOURS)] for i, o in enumerate(orgs)}
