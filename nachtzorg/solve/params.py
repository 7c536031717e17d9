"""What a solve is asked for (:class:`SolveParams`), how OR-Tools is tuned (:class:`Tuning`),
and what it returns (:class:`SolveResult`).

User settings (time, solution limit, seed, workers) are apart from the tuning of the search,
whose defaults are what the benchmarks in ``benchmarks/`` measured best; a tuning can be read
from a JSON file for screening (:meth:`Tuning.from_file`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from google.protobuf import text_format
from ortools.constraint_solver import routing_parameters_pb2

from ..exceptions import InputError

FirstSolution = Literal["auto", "regret_insertion", "parallel_cheapest_insertion", "local_cheapest_insertion",
                        "local_cheapest_cost_insertion", "savings", "parallel_savings", "path_cheapest_arc", "automatic"]
Metaheuristic = Literal["ils", "gls", "greedy"]
FIRST_SOLUTIONS: tuple[str, ...] = ("auto", "regret_insertion", "parallel_cheapest_insertion",
                                    "local_cheapest_insertion", "local_cheapest_cost_insertion", "savings", "parallel_savings",
                                    "path_cheapest_arc", "automatic")


@dataclass(frozen=True)
class Tuning:
    """How the OR-Tools search runs (defaults: the best measured settings).

    ``first_solution``: construction; ``"auto"`` is savings on plain VRPTW-like problems
    (parallel savings where their routes come out long) and ``fallback_first_solution``
    otherwise; ``regret_insertion`` is our own numpy regret insertion (plain problems).
    ``metaheuristic``: ``"ils"`` iterated local search with SISR ruin-and-recreate and
    simulated-annealing acceptance, ``"gls"`` guided local search (``gls_lambda``), ``"greedy"``
    a plain descent. ``ils_removed_visits``: average visits a SISR ruin removes and its longest
    removed string (``None``: from the routes' length). ``ils_temperature``: annealing (initial,
    final) temperature, cost units. ``ils_phases``: run the search in this many phases, each from
    the best plan so far (``None``: one per few seconds of the limit on plain problems).
    ``lean_descent``: leave relocate-expensive-chain and exchange out of the descents.
    ``ortools_overrides``: ``RoutingSearchParameters`` in protobuf text format merged over ours
    (repeated fields are appended to); the time limit and, for warm starts and fallbacks, the
    first-solution strategy are set afterwards.
    """

    first_solution: FirstSolution = "auto"
    fallback_first_solution: FirstSolution = "parallel_cheapest_insertion"
    metaheuristic: Metaheuristic = "ils"
    gls_lambda: float = 0.3
    ils_removed_visits: int | None = None
    ils_temperature: tuple[float, float] = (1000.0, 1.0)
    ils_phases: int | None = None
    lean_descent: bool = False
    log_search: bool = False
    ortools_overrides: str | None = None

    def __post_init__(self) -> None:
        for name in ("first_solution", "fallback_first_solution"):
            if getattr(self, name) not in FIRST_SOLUTIONS:
                raise InputError(f"unknown {name} {getattr(self, name)!r}; choose from {sorted(FIRST_SOLUTIONS)}")
        if self.fallback_first_solution in ("auto", "regret_insertion"):
            raise InputError(f"fallback_first_solution cannot be {self.fallback_first_solution!r}")
        if self.metaheuristic not in ("ils", "gls", "greedy"):
            raise InputError(f"unknown metaheuristic {self.metaheuristic!r}; choose ils, gls or greedy")
        if self.ils_removed_visits is not None and self.ils_removed_visits < 1:
            raise InputError(f"ils_removed_visits must be >= 1, got {self.ils_removed_visits}")
        if self.ils_phases is not None and self.ils_phases < 1:
            raise InputError(f"ils_phases must be >= 1, got {self.ils_phases}")
        t0, t1 = self.ils_temperature
        if not (t0 > 0 and t1 > 0):
            raise InputError(f"ils_temperature must be two positive numbers, got {self.ils_temperature}")
        if self.ortools_overrides is not None:
            try:
                text_format.Merge(self.ortools_overrides, routing_parameters_pb2.RoutingSearchParameters())
            except text_format.ParseError as e:
                raise InputError(f"ortools_overrides {self.ortools_overrides[:80]!r} is not valid "
                                 f"RoutingSearchParameters text format: {e}") from None

    def replace(self, **changes: Any) -> Tuning:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tuning:
        """A tuning from a mapping of field names (unknown names are an error)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InputError(f"unknown tuning field {unknown[0]!r}; known: {', '.join(sorted(names))}")
        data = dict(data)
        if "ils_temperature" in data:
            data["ils_temperature"] = tuple(data["ils_temperature"])
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> Tuning:
        """A tuning from a JSON object of field names, e.g. ``{"ils_removed_visits": 20}``."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(f"{path}: cannot read a tuning ({e})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: a tuning is a JSON object of field names")
        return cls.from_dict(data)


@dataclass(frozen=True)
class SolveParams:
    """How long to search, and how.

    ``time_limit_s``: wall-clock budget, seconds, covering model building and construction
    (not deterministic). ``solution_limit``: stop after this many improving solutions
    (deterministic without a time limit). With both, the first reached stops the search.
    ``seed``: permutes the node numbering (OR-Tools breaks ties by index), so a seed gives a
    different but reproducible search. ``workers``: processes for a night solve; with 2 or more
    and a time limit its runs go side by side, each with the whole budget. ``tuning``: see
    :class:`Tuning`.
    """

    time_limit_s: float | None = 5.0
    solution_limit: int | None = None
    seed: int = 0
    workers: int = 1
    tuning: Tuning = field(default_factory=Tuning)

    def __post_init__(self) -> None:
        if self.time_limit_s is None and self.solution_limit is None:
            raise InputError("set time_limit_s or solution_limit (or both): the search needs a stop")
        if self.time_limit_s is not None and not 0 < self.time_limit_s < 7 * 24 * 3600:
            raise InputError(f"time_limit_s must be > 0 and under a week, got {self.time_limit_s}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise InputError(f"solution_limit must be >= 1, got {self.solution_limit}")
        if self.workers < 1:
            raise InputError(f"workers must be >= 1, got {self.workers}")
        if not 0 <= self.seed < 2**32:
            raise InputError(f"seed must be a whole number from 0 to 2**32 - 1, got {self.seed}")

    def replace(self, **changes: Any) -> SolveParams:
        """A copy with ``changes``; tuning fields may be given by name (``metaheuristic="gls"``)."""
        tuned = {k: changes.pop(k) for k in list(changes) if k in _TUNING_FIELDS}
        if tuned:
            changes["tuning"] = dataclasses.replace(changes.get("tuning", self.tuning), **tuned)
        return dataclasses.replace(self, **changes)


_TUNING_FIELDS = frozenset(f.name for f in dataclasses.fields(Tuning))


@dataclass
class SolveResult:
    """Routes per vehicle (visited node indices) and how the search went."""

    routes: list[list[int]]
    objective: int  # cost units, by our own costing where the strategy compares plans
    status: str
    wall_s: float
    build_s: float
    stats: dict[str, float] = field(default_factory=dict)
