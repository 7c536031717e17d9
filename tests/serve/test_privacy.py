"""Planted key-safe codes ``KSC-<n>-SECRET`` are found nowhere — answers, exports, the stream,
captured logs, the server's own log output, the database's bytes — except in the one audited
reveal; client ids never reach a server log."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serve.conftest import SECRET_RE, Service, stop_of, used_shifts

ROOT = Path(__file__).resolve().parents[2]


def _db_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("night.db"))


def _exercise(svc: Service) -> tuple[list[str], str]:
    """Every kind of request; returns (answers other than the reveal, the revealed code)."""
    texts = []
    n = f"/api/nights/{svc.night_id}"
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    client = next(v.client for v in svc.scenario.visits if v.id == ref)
    for who, path in (("dispatcher", n), ("planner", n + "/events"), ("coordinator", n + "/totals"),
                      (shift, n + f"/nurses/{shift}/route"), ("dispatcher", "/api/nights"), ("dispatcher", "/api/me")):
        r = svc.get(who, path)
        assert r.status_code == 200, (path, r.text)
        texts.append(r.text)
    call = {"id": "c-priv", "location": {"lat": 52.99, "lon": 6.6}, "client": client, "now": "23:40"}
    r = svc.post("dispatcher", n + "/calls", call)
    texts.append(r.text)
    texts.append(svc.post("dispatcher", n + "/calls/c-priv/assign", r.json()["options"][0]).text)
    texts.append(svc.post(shift, n + "/events", {"kind": "started", "ref": ref, "at": "23:45"}).text)
    # bad input around the secret field: never echoed
    bad = json.loads(json.dumps(svc._night_data["scenario"]))
    bad["clients"][0]["key_safe_code"] = 4711930258  # a number no id, time or hash holds by chance
    bad["clients"][1]["keysafe"] = "KSC-777-SECRET"
    r = svc.post("planner", "/api/nights", {"scenario": bad})
    assert r.status_code == 422 and "4711930258" not in r.text
    texts.append(r.text)
    wrong = svc.post(used_shifts(svc)[1], n + f"/nurses/{shift}/stops/{ref}/key-safe", idem=None)
    assert wrong.status_code == 404
    texts.append(wrong.text)
    texts.append(svc.get("planner", n + "/key-safe-reveals").text)
    reveal = svc.post(shift, n + f"/nurses/{shift}/stops/{ref}/key-safe", idem=None)
    assert reveal.status_code == 200
    texts.append(svc.get("planner", n + "/key-safe-reveals").text)
    texts.append(svc.get("dispatcher", n + "/events").text)
    return texts, reveal.json()["code"]


def test_codes_nowhere_but_the_reveal(svc: Service, night_data: dict, caplog: pytest.LogCaptureFixture) -> None:
    """In-process: answers, exports, captured logs and the DB bytes hold no code; the reveal holds one."""
    caplog.set_level(logging.DEBUG)
    svc._night_data = night_data
    texts, code = _exercise(svc)
    assert re.fullmatch(SECRET_RE, code)
    for t in texts:
        assert not re.search(SECRET_RE, t), t[:300]
    assert not re.search(SECRET_RE, caplog.text)
    assert not any(c.id in caplog.text for c in svc.scenario.clients)
    raw = _db_bytes(svc.data_dir)
    assert raw and not re.search(SECRET_RE.encode(), raw) and b"4711930258" not in raw
    svc.client.close()


def test_bad_text_is_a_clean_answer(svc: Service, night_data: dict) -> None:
    """A lone surrogate in an access note and a 5 MB value give 4xx/2xx answers, never 500, no echo."""
    sc = json.loads(json.dumps(night_data["scenario"]))
    sc["clients"][0]["access_note"] = "ring twice \ud83d"
    body = json.dumps({"scenario": sc}, ensure_ascii=True)
    r = svc.client.post("/api/nights", content=body, headers={**svc.h("planner"), "Content-Type": "application/json"})
    assert r.status_code in (201, 202, 422) and not re.search(SECRET_RE, r.text)
    sc["clients"][0]["access_note"] = "x" * 5_000_000
    r = svc.post("planner", "/api/nights", {"scenario": sc})
    assert r.status_code == 422 and len(r.text) < 2000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_log_output_has_no_client_data(tmp_path: Path, night_data: dict) -> None:
    """`python -m nachtzorg.serve serve`: its stdout/stderr, after a night of requests, holds no
    code and no client id; access lines name route templates only."""
    env = {**os.environ, "NACHTZORG_DATA_DIR": str(tmp_path), "NACHTZORG_DRILL_START": "2026-11-22T23:30:00+01:00"}
    db = f"sqlite:///{tmp_path / 'night.db'}"
    tokens = {}
    for name, role, extra in (("pia", "planner", []), ("dirk", "dispatcher", []),
                              ("n1", "nurse", ["--nurse", used := night_data["plan_model"].routes[0].shift_id])):
        out = subprocess.run([sys.executable, "-m", "nachtzorg.serve", "users", "add", name, "--role", role, *extra,
                              "--db", db], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
        tokens[name] = out.stdout.strip().splitlines()[-1]
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "nachtzorg.serve", "serve", "--db", db, "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(base + "/docs", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        h = lambda who, k=None: {"Authorization": f"Bearer {tokens[who]}", **({"Idempotency-Key": k} if k else {})}  # noqa: E731
        with httpx.Client(base_url=base, timeout=30) as c:
            r = c.post("/api/nights", json={"scenario": night_data["scenario"], "plan": night_data["plan"]},
                       headers=h("pia", "p1"))
            night = r.json()["night_id"]
            ref = next(s.visit_id for s in night_data["plan_model"].route(used).visits)
            c.post(f"/api/nights/{night}/events", json={"kind": "started", "ref": ref}, headers=h("n1", "e1"))
            c.post(f"/api/nights/{night}/calls", json={"id": "c-log", "location": {"lat": 52.99, "lon": 6.6}},
                   headers=h("dirk", "c1"))
            c.get(f"/api/nights/{night}/nurses/{used}/route", headers=h("n1"))
            c.get(f"/api/nights/{night}/nurses/nope/route?client=cl-001", headers=h("n1"))
            code = c.post(f"/api/nights/{night}/nurses/{used}/stops/{ref}/key-safe", headers=h("n1"))
            assert code.status_code == 200 and re.fullmatch(SECRET_RE, code.json()["code"])
            bad = dict(night_data["scenario"], clients=[dict(night_data["scenario"]["clients"][0], key_safe_code=4711930258)])
            c.post("/api/nights", json={"scenario": bad}, headers=h("pia", "p2"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    text = (tmp_path / "server.log").read_text()
    assert "POST /api/nights/{night_id}/nurses/{shift}/stops/{ref}/key-safe 200" in text
    assert not re.search(SECRET_RE, text) and "4711930258" not in text
    assert not any(c["id"] in text for c in night_data["scenario"]["clients"])
    assert ref not in text and night not in text
    assert not re.search(SECRET_RE.encode(), _db_bytes(tmp_path))
