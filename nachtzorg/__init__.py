"""nachtzorg: plan the shared night routes of a regional night-care team.

>>> from nachtzorg import Scenario, plan_night, check_plan, SolveParams
"""

import logging as _logging

from .check import CheckReport as CheckReport
from .check import Violation as Violation
from .check import check_plan as check_plan
from .exceptions import InputError as InputError
from .exceptions import NachtzorgError as NachtzorgError
from .exceptions import PlanMismatchError as PlanMismatchError
from .exceptions import SolverError as SolverError
from .exceptions import TravelError as TravelError
from .io.writers import write_outputs as write_outputs
from .model import Client as Client
from .model import LatLon as LatLon
from .model import Organisation as Organisation
from .model import Scenario as Scenario
from .model import Shift as Shift
from .model import TimeWindow as TimeWindow
from .model import OsrmSettings as OsrmSettings
from .model import RoadGraphSettings as RoadGraphSettings
from .model import StraightLineSettings as StraightLineSettings
from .model import TravelSettings as TravelSettings
from .model import Visit as Visit
from .model import scenario_json_schema as scenario_json_schema
from .nighttime import NightClock as NightClock
from .plan import KPIs as KPIs
from .plan import Plan as Plan
from .plan import Route as Route
from .plan import Stop as Stop
from .plan import Unassigned as Unassigned
from .planner import build_plan as build_plan
from .planner import plan_night as plan_night
from .problem import CompiledNight as CompiledNight
from .problem import Problem as Problem
from .problem import compile_scenario as compile_scenario
from .schedule import schedule_routes as schedule_routes
from .solve import SolveParams as SolveParams
from .solve import SolveResult as SolveResult
from .solve import solve_problem as solve_problem
from .travel import CachedTravel as CachedTravel
from .travel import OsrmTravel as OsrmTravel
from .travel import RoadGraphTravel as RoadGraphTravel
from .travel import StraightLineTravel as StraightLineTravel
from .travel import TravelMatrix as TravelMatrix
from .travel import TravelProvider as TravelProvider
from .travel import compare_travel as compare_travel
from .travel import drive_plan as drive_plan
from .travel import provider_for as provider_for

_logging.getLogger(__name__).addHandler(_logging.NullHandler())


def __getattr__(name: str):  # lazy: folium is only imported when a map is drawn
    if name == "plan_map":
        from .viz.map import plan_map

        return plan_map
    raise AttributeError(f"module 'nachtzorg' has no attribute {name!r}")

__version__ = "0.1.0"
