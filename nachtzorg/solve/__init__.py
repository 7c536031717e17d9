"""Solving a compiled problem: the OR-Tools model and the search around it."""

from .search import SolveParams as SolveParams
from .search import SolveResult as SolveResult
from .search import solve_problem as solve_problem

__all__ = ["SolveParams", "SolveResult", "solve_problem"]
