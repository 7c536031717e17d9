"""Solving a compiled problem: one entry, :func:`solve`, with its parameters and result.

The rest of the package are its strategies and parts: the OR-Tools model
(:mod:`.ortools_model`) and one search (:mod:`.search`), our constructions (:mod:`.insertion`,
:mod:`.construct`), the night strategy (:mod:`.portfolio`), fewer nurses (:mod:`.fleet`) and
decomposition of large instances (:mod:`.decompose`). The names below are the public ones.
"""

from .fleet import eliminate_route as eliminate_route
from .fleet import repair as repair
from .fleet import spare_candidates as spare_candidates
from .fleet import spare_nurses as spare_nurses
from .insertion import insertion_routes as insertion_routes
from .params import SolveParams as SolveParams
from .params import SolveResult as SolveResult
from .params import Tuning as Tuning
from .entry import solve as solve

__all__ = ["SolveParams", "SolveResult", "Tuning", "eliminate_route", "insertion_routes", "repair",
           "solve", "spare_candidates", "spare_nurses"]
