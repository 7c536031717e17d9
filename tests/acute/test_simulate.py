"""Simulation: reproducible, same calls for every team, more nurses no worse, executors."""

from __future__ import annotations

import pytest

from nachtzorg.acute import CallProfile, SimulationConfig, draw_calls, scenario_with_nurses, simulate
from nachtzorg.parallel import SerialExecutor, map_with_progress


def _cfg(**kw) -> SimulationConfig:
    base = dict(nights=6, team_sizes=(2,), policies=("least_disruption",), seed=7,
                profile=CallProfile().scaled(8), plan_solutions=20, chunk_nights=3)
    base.update(kw)
    return SimulationConfig(**base)


def test_same_seed_same_kpis(small_scenario):
    """Two runs with the same seed give identical KPI rows."""
    assert simulate(small_scenario, _cfg(), progress=False) == simulate(small_scenario, _cfg(), progress=False)


def test_calls_do_not_depend_on_team_size(small_scenario):
    """The drawn calls depend on seed and night only, not on the team size."""
    a = draw_calls(scenario_with_nurses(small_scenario, 2), CallProfile(), 1, 5)
    b = draw_calls(scenario_with_nurses(small_scenario, 4), CallProfile(), 1, 5)
    assert a == b and a != draw_calls(small_scenario, CallProfile(), 1, 6)


def test_scenario_with_nurses_trims_and_copies(small_scenario):
    """Fewer shifts are the first ones; more are copies with suffixed ids."""
    assert [s.id for s in scenario_with_nurses(small_scenario, 2).shifts] == ["nurse-1", "nurse-2"]
    assert [s.id for s in scenario_with_nurses(small_scenario, 5).shifts][-2:] == ["nurse-1-2", "nurse-2-2"]


def test_more_nurses_no_worse_p90(small_scenario):
    """Over the same drawn calls, more nurses do not give a worse p90 response."""
    rows = simulate(small_scenario, _cfg(nights=30, team_sizes=(2, 3, 4), policies=("nearest",),
                                         chunk_nights=30), progress=False)
    p90 = [r["response_min"]["p90"] for r in rows]
    assert p90[0] >= p90[1] >= p90[2], p90


def test_map_with_progress_keeps_order():
    """Results come back in input order on the serial executor."""
    assert map_with_progress(abs, [-3, 1, -2], SerialExecutor(), progress=False) == [3, 1, 2]


def test_dask_cluster_gives_serial_result(small_scenario):
    """A run on a real local Dask cluster gives exactly the serial KPIs."""
    distributed = pytest.importorskip("distributed")
    cfg = _cfg(nights=4, chunk_nights=2)
    serial = simulate(small_scenario, cfg, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        rows = simulate(small_scenario, cfg, executor=client.get_executor(), progress=False)
    assert rows == serial
