"""A service on a temporary SQLite file with a settable clock, users of every role, and a
small published night whose clients carry planted key-safe codes ``KSC-<n>-SECRET``."""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs the 'serve' extra")
pytest.importorskip("sqlalchemy", reason="the service needs the 'serve' extra")

from cryptography.fernet import Fernet  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from nachtzorg import Plan, Scenario, plan_night  # noqa: E402
from nachtzorg.serve.app import create_app  # noqa: E402
from nachtzorg.serve.settings import ServeSettings  # noqa: E402
from nachtzorg.serve.users import add_user  # noqa: E402
from nachtzorg.synthetic import generate_night  # noqa: E402
from tests.conftest import DETERMINISTIC  # noqa: E402

SECRET_RE = r"KSC-\d+-SECRET"


class FakeClock:
    """An aware clock the tests set (default: 01:00 in the test night)."""

    def __init__(self, at: _dt.datetime) -> None:
        self.at = at

    def __call__(self) -> _dt.datetime:
        return self.at

    def set(self, scenario: Scenario, hhmm: str) -> None:
        c = scenario.clock
        self.at = c.to_datetime(c.to_seconds(hhmm))


def planted_scenario(n_visits: int = 24, n_nurses: int = 3, seed: int = 3) -> tuple[dict[str, Any], Scenario]:
    """A generated night whose every client has key-safe code KSC-<n>-SECRET (dict, model)."""
    sc = generate_night(n_visits, n_nurses, 2, seed=seed)
    data = json.loads(sc.to_json())
    for i, c in enumerate(data["clients"]):
        c["key_safe_code"] = f"KSC-{i + 1}-SECRET"
    return data, Scenario.model_validate(data)


@pytest.fixture(scope="session")
def night_data() -> dict[str, Any]:
    """Scenario dict (with codes) and its deterministic plan (JSON dict)."""
    data, sc = planted_scenario()
    plan = plan_night(sc, DETERMINISTIC)
    return {"scenario": data, "plan": json.loads(plan.to_json()), "model": sc, "plan_model": plan}


@dataclass
class Service:
    """A test client of a fresh service and the tokens of its users."""

    client: TestClient
    clock: FakeClock
    tokens: dict[str, str]
    data_dir: Path
    settings: ServeSettings
    app: Any
    night_id: str | None = None
    scenario: Scenario | None = None
    plan: Plan | None = None
    shifts: list[str] = field(default_factory=list)

    def h(self, who: str, idem: str | None = "auto") -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if idem == "auto":
            idem = uuid.uuid4().hex
        if idem:
            headers["Idempotency-Key"] = idem
        return headers

    def get(self, who: str, path: str, **kw: Any):  # noqa: ANN201
        return self.client.get(path, headers=self.h(who, None), **kw)

    def post(self, who: str, path: str, body: Any = None, *, idem: str | None = "auto", **kw: Any):  # noqa: ANN201
        return self.client.post(path, json=body, headers=self.h(who, idem), **kw)

    def route(self, who: str, shift: str) -> dict[str, Any]:
        r = self.get(who, f"/api/nights/{self.night_id}/nurses/{shift}/route")
        assert r.status_code == 200, r.text
        return r.json()


def make_settings(tmp: Path, **kw: Any) -> ServeSettings:
    values = {"data_dir": tmp, "db": f"sqlite:///{tmp / 'night.db'}", "secret_key": Fernet.generate_key().decode(),
              "plan_solution_limit": 30, "replan_solutions": 5, **kw}
    return ServeSettings(**values)


def start_service(tmp: Path, night_data: dict[str, Any] | None, **kw: Any) -> Iterator[Service]:
    settings = make_settings(tmp, **kw)
    clock = FakeClock(_dt.datetime(2026, 11, 23, 0, 0, tzinfo=_dt.timezone.utc))
    app = create_app(settings, clock=clock)
    sessions = app.state.ctx.sessions
    tokens = {"planner": add_user(sessions, "pia", "planner"),
              "dispatcher": add_user(sessions, "dirk", "dispatcher"),
              "coordinator": add_user(sessions, "coco", "coordinator", organisation="org-a")}
    with TestClient(app) as client:
        svc = Service(client, clock, tokens, tmp, settings, app)
        if night_data is not None:
            sc: Scenario = night_data["model"]
            svc.scenario, svc.plan = sc, night_data["plan_model"]
            svc.shifts = [s.id for s in sc.shifts]
            for i, shift in enumerate(svc.shifts):
                svc.tokens[shift] = add_user(sessions, f"nurse{i + 1}", "nurse", nurse_shift=shift)
            r = svc.post("planner", "/api/nights", {"scenario": night_data["scenario"], "plan": night_data["plan"]})
            assert r.status_code == 201, r.text
            svc.night_id = r.json()["night_id"]
            clock.set(sc, "22:30")  # before the shifts: pages show the night as of its last event
        yield svc


@pytest.fixture()
def svc(tmp_path: Path, night_data: dict[str, Any]) -> Iterator[Service]:
    """A fresh service with the planted night published (clock at 22:30, before the shifts)."""
    yield from start_service(tmp_path, night_data)


@pytest.fixture()
def empty_svc(tmp_path: Path) -> Iterator[Service]:
    """A fresh service with users and no night."""
    yield from start_service(tmp_path, None)


def stop_of(svc: Service, shift: str, status: str = "next") -> dict[str, Any]:
    """The first stop of ``shift`` with ``status`` on her route."""
    return next(s for s in svc.route("dispatcher", shift)["stops"] if s["status"] == status)


def used_shifts(svc: Service) -> list[str]:
    return [r.shift_id for r in svc.plan.routes if r.used]


# ------------------------------------------------------------------------------ a real server
class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1 (a free port) in a thread."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture()
def live(tmp_path: Path, night_data: dict[str, Any]) -> Iterator[tuple[Service, LiveServer]]:
    """The planted night served by uvicorn on loopback (and a test client for set-up)."""
    for svc in start_service(tmp_path, night_data):
        # the TestClient's lifespan is running; the live server shares the app and its context
        svc.clock.set(svc.scenario, "22:50")  # shifts started, first visits not yet
        with LiveServer(svc.app) as server:
            yield svc, server
