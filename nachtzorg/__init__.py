"""nachtzorg: plan the shared night routes of a regional night-care team.

>>> from nachtzorg import Scenario, plan_night, check_plan, SolveParams

The public API is the table below: each name and the module it lives in. Modules are imported
when a name is first used, so ``import nachtzorg`` (and the command line's ``--help``) stays
quick; type checkers and readers see the same names in the ``TYPE_CHECKING`` block. The
solver's one entry is ``nachtzorg.solve.solve`` (``nachtzorg.solve`` is its package).
"""

from __future__ import annotations

import importlib
import logging as _logging
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API: dict[str, str] = {
    # the data models in and out
    "Scenario": "model", "Organisation": "model", "Client": "model", "Visit": "model", "Shift": "model",
    "TimeWindow": "model", "LatLon": "model", "TravelSettings": "model", "StraightLineSettings": "model",
    "RoadGraphSettings": "model", "OsrmSettings": "model", "MatrixSettings": "model", "Break": "model",
    "Dependency": "model", "scenario_json_schema": "model",
    "NightClock": "nighttime",
    "Plan": "plan", "Route": "plan", "Stop": "plan", "Unassigned": "plan", "KPIs": "plan",
    "NachtzorgError": "exceptions", "InputError": "exceptions", "TravelError": "exceptions",
    "PlanMismatchError": "exceptions", "SolverError": "exceptions",
    # travel
    "TravelMatrix": "travel", "TravelProvider": "travel", "StraightLineTravel": "travel",
    "RoadGraphTravel": "travel", "OsrmTravel": "travel", "CachedTravel": "travel", "MatrixTravel": "travel",
    "provider_for": "travel",
    # the problem and its builder, timing, the solver
    "Problem": "problem", "ProblemBuilder": "problem", "CompiledNight": "problem",
    "compile_scenario": "problem", "schedule_routes": "schedule",
    "SolveParams": "solve", "SolveResult": "solve", "Tuning": "solve",
    # planning, checking, outputs, views
    "plan_night": "planner", "build_plan": "planner", "check_plan": "check", "CheckReport": "check",
    "Violation": "check", "write_outputs": "io.writers", "compare_travel": "compare", "drive_plan": "compare",
    "plan_map": "viz.map",
}

__all__ = sorted(_API)

if TYPE_CHECKING:  # pragma: no cover - the same names, for type checkers and readers
    from .check import CheckReport, Violation, check_plan  # noqa: F401
    from .compare import compare_travel, drive_plan  # noqa: F401
    from .exceptions import InputError, NachtzorgError, PlanMismatchError, SolverError, TravelError  # noqa: F401
    from .io.writers import write_outputs  # noqa: F401
    from .model import (Break, Client, Dependency, LatLon, MatrixSettings, Organisation, OsrmSettings,  # noqa: F401
                        RoadGraphSettings, Scenario, Shift, StraightLineSettings, TimeWindow, TravelSettings, Visit,
                        scenario_json_schema)
    from .nighttime import NightClock  # noqa: F401
    from .plan import KPIs, Plan, Route, Stop, Unassigned  # noqa: F401
    from .planner import build_plan, plan_night  # noqa: F401
    from .problem import CompiledNight, Problem, ProblemBuilder, compile_scenario  # noqa: F401
    from .schedule import schedule_routes  # noqa: F401
    from .solve import SolveParams, SolveResult, Tuning  # noqa: F401
    from .travel import (CachedTravel, MatrixTravel, OsrmTravel, RoadGraphTravel, StraightLineTravel,  # noqa: F401
                         TravelMatrix,
                         TravelProvider, provider_for)
    from .viz.map import plan_map  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'nachtzorg' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


_logging.getLogger(__name__).addHandler(_logging.NullHandler())

if "IPython" in sys.modules:  # notebook views attach to the data types only inside IPython
    from .notebook import register_views as _register_views

    _register_views()
