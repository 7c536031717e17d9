"""Fair cost sharing between the organisations of one night team (cooperative games).

Build a :class:`Game` (from ``{frozenset(players): cost}`` or GAME.json), apply rules
from :data:`METHODS` with :func:`allocate`, check stability with :func:`check_core`,
and render a report with :func:`build_report`.
"""

from nachtzorg.sharing.coalitions import CoalitionCost, CoalitionGame, CoalitionParams, coalition_costs
from nachtzorg.sharing.game import (
    EmptyCoreError,
    Game,
    GameError,
    Kind,
    MethodNotApplicableError,
    format_coalition,
)
from nachtzorg.sharing.report import (
    ShareReport,
    allocation_table,
    build_report,
    recommend,
    render_html,
    render_markdown,
    share_summary,
    stability_table,
)
from nachtzorg.sharing.rules import (
    METHODS,
    Allocation,
    SampledShapley,
    allocate,
    allocate_all,
    epm,
    least_core,
    nucleolus,
    per_capita_nucleolus,
    prenucleolus,
    proportional_minutes,
    proportional_standalone,
    proportional_visits,
    shapley,
    shapley_sampled,
)
from nachtzorg.sharing.stability import (
    CoreCheck,
    RationalityCheck,
    check_core,
    check_individual_rationality,
    core_is_empty,
    least_core_epsilon,
)

__all__ = [
    "METHODS",
    "CoalitionCost",
    "CoalitionGame",
    "CoalitionParams",
    "coalition_costs",
    "Allocation",
    "CoreCheck",
    "EmptyCoreError",
    "Game",
    "GameError",
    "Kind",
    "MethodNotApplicableError",
    "RationalityCheck",
    "SampledShapley",
    "ShareReport",
    "allocate",
    "allocate_all",
    "allocation_table",
    "build_report",
    "check_core",
    "check_individual_rationality",
    "core_is_empty",
    "epm",
    "format_coalition",
    "least_core",
    "least_core_epsilon",
    "nucleolus",
    "per_capita_nucleolus",
    "prenucleolus",
    "proportional_minutes",
    "proportional_standalone",
    "proportional_visits",
    "recommend",
    "render_html",
    "render_markdown",
    "shapley",
    "share_summary",
    "shapley_sampled",
    "stability_table",
]
