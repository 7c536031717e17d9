"""pytest-benchmark: time to the first feasible plan and to a fixed solution limit.

    pytest benchmarks/test_bench_plan.py --benchmark-only

Fixed work: seeded nights, solution limits (not wall-clock limits), one round each, so the
numbers are comparable run to run. Cost after a wall-clock budget: ``plan_quality.py``.
"""

from __future__ import annotations

import pytest

from nachtzorg import SolveParams, check_plan, plan_night

from nights import benchmark_nights

NIGHTS = benchmark_nights()


@pytest.mark.parametrize("name", list(NIGHTS))
def test_first_feasible_plan(benchmark, name):
    scenario = NIGHTS[name]
    plan = benchmark.pedantic(plan_night, args=(scenario, SolveParams(time_limit_s=None, solution_limit=1)),
                              rounds=1, iterations=1)
    assert check_plan(scenario, plan).ok
    benchmark.extra_info.update(cost_eur=plan.kpis.cost_eur, served=plan.kpis.visits_served,
                                visits=plan.kpis.visits_total)


@pytest.mark.parametrize("name", list(NIGHTS))
def test_solution_limit_100(benchmark, name):
    scenario = NIGHTS[name]
    plan = benchmark.pedantic(plan_night, args=(scenario, SolveParams(time_limit_s=None, solution_limit=100)),
                              rounds=1, iterations=1)
    assert check_plan(scenario, plan).ok
    benchmark.extra_info.update(cost_eur=plan.kpis.cost_eur, served=plan.kpis.visits_served,
                                visits=plan.kpis.visits_total)
