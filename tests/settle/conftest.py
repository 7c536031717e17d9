"""A tiny period for the settlement tests: three organisations, two small nights, few call nights.

Night 1 holds visits of all three; night 2 none of org-c's (its clients are still there, and its
calls still come). Key-safe codes are planted; none may appear in any output.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from nachtzorg.cli import main
from tests.conftest import client, night, nurse, visit

#: Planted key-safe codes (never in any output) and the client id prefix (never in any output).
SECRET_CODES = ("KS-4711-Q", "KS-8642-Z")
CLIENT_PREFIX = "klant-"


def _clients() -> list[dict[str, Any]]:
    out = [client(f"{CLIENT_PREFIX}a{i}", 2 * i, 1, organisation="org-a") for i in (1, 2)]
    out += [client(f"{CLIENT_PREFIX}b{i}", -2 * i, 2, organisation="org-b") for i in (1, 2)]
    out += [client(f"{CLIENT_PREFIX}c1", 4, -6, organisation="org-c")]
    out[0]["key_safe_code"] = SECRET_CODES[0]
    out[2]["key_safe_code"] = SECRET_CODES[1]
    return out


def night_data(with_c: bool) -> dict[str, Any]:
    clients = _clients()
    visits = [visit("v-a1", f"{CLIENT_PREFIX}a1", "23:00", "02:00", 15),
              visit("v-a2", f"{CLIENT_PREFIX}a2", "01:00", "05:00", 20),
              visit("v-b1", f"{CLIENT_PREFIX}b1", "23:30", "03:00", 15),
              visit("v-b2", f"{CLIENT_PREFIX}b2", "02:00", "06:00", 10)]
    if with_c:
        visits.append(visit("v-c1", f"{CLIENT_PREFIX}c1", "00:00", "04:00", 25))
    data = night(clients, visits, shifts=[nurse("n1", cost_per_shift_eur=450.0), nurse("n2", cost_per_shift_eur=450.0),
                                          nurse("n3", cost_per_shift_eur=450.0)])
    data["organisations"] = [{"id": o, "name": f"Invented {o.upper()}"} for o in ("org-a", "org-b", "org-c")]
    return data


PERIOD: dict[str, Any] = {
    "name": "tiny test period",
    "region": {"name": "test region", "inhabitants": 50000},
    "organisations": [
        {"id": "org-a", "clients": 2, "inhabitants": 20000, "calls_per_night": 1.0},
        {"id": "org-b", "clients": 2, "inhabitants": 20000, "calls_per_night": 1.5},
        {"id": "org-c", "clients": 1, "inhabitants": 10000,
         "calls_by_hour": {"23": 0.3, "0": 0.3, "1": 0.2, "2": 0.2}},
    ],
    "nights": [{"scenario": "nights/one.json", "count": 200, "label": "busy"},
               {"scenario": "nights/two.json", "count": 165, "label": "quiet"}],
    "norm": {"minutes": 30, "share": 0.9},
    "fixed": {"cars": {"eur_per_car_per_year": 8000},
              "items": [{"name": "back-up", "kind": "backup", "hours_per_year": 2920, "eur_per_hour": 10},
                        {"name": "coordination", "kind": "coordination", "eur_per_year": 9000},
                        {"name": "network coordinator", "kind": "coordination", "eur_per_year": 6000,
                         "only_shared": True}]},
    "readiness": {"simulated_nights": 3, "seed": 0, "max_extra_nurses": 2},
    "finance": {"year": 2027, "employer": "org-b", "advances": "proportional_clients"},
    "solver": {"time_limit_s": 0.5, "seed": 0},
}


def write_period(folder: Path, period: dict[str, Any] | None = None) -> Path:
    """The tiny period with its two nights in ``folder``; returns PERIOD.json's path."""
    (folder / "nights").mkdir(parents=True, exist_ok=True)
    (folder / "nights" / "one.json").write_text(json.dumps(night_data(True)), encoding="utf-8")
    (folder / "nights" / "two.json").write_text(json.dumps(night_data(False)), encoding="utf-8")
    path = folder / "PERIOD.json"
    path.write_text(json.dumps(copy.deepcopy(period or PERIOD)), encoding="utf-8")
    return path


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def tiny_period_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_period(tmp_path_factory.mktemp("tiny-period"))


@pytest.fixture(scope="session")
def tiny_run(tiny_period_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """``nachtzorg settle PERIOD --json --out DIR`` on the tiny period: (printed JSON, DIR)."""
    out = tmp_path_factory.mktemp("tiny-out") / "settlement"
    code, stdout, err = run_cli(["settle", str(tiny_period_path), "--json", "--out", str(out)])
    assert code == 0, err
    return json.loads(stdout), out


@pytest.fixture(scope="session")
def tiny_game(tiny_period_path: Path):
    """The tiny period priced in this process (PeriodGame)."""
    from nachtzorg.cli.settle import load_period
    from nachtzorg.settle import settle_period

    return settle_period(load_period(str(tiny_period_path)), progress=False)
