"""Users and tokens: `users add` prints the token alone on the last line and stores only an
argon2 hash; /api/me answers every role; `serve` refuses bad input with one line (exit 2)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from nachtzorg.serve.commands import add_serve_arguments, add_users_arguments, run_serve, run_users
from nachtzorg.serve.db import make_engine, session_factory
from nachtzorg.serve.models import User
from nachtzorg.serve.security import TOKEN_RE
from tests.serve.conftest import Service

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, env_dir: Path) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "nachtzorg.serve", *args], capture_output=True, text=True,
                          env={**os.environ, "NACHTZORG_DATA_DIR": str(env_dir)}, cwd=ROOT, timeout=120)


def test_users_add_prints_token_last_and_stores_a_hash(tmp_path: Path) -> None:
    """The last stdout line is the token alone; the database holds an argon2 hash, not the token."""
    db = f"sqlite:///{tmp_path / 'u.db'}"
    p = _cli("users", "add", "ana", "--role", "nurse", "--nurse", "nurse-1", "--organisation", "org-a",
             "--db", db, env_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    token = p.stdout.splitlines()[-1]
    assert TOKEN_RE.match(token) and p.stdout.count(token) == 1
    with session_factory(make_engine(db))() as s:
        user = s.scalars(select(User)).one()
    assert (user.name, user.role, user.nurse_shift, user.organisation) == ("ana", "nurse", "nurse-1", "org-a")
    assert user.token_hash.startswith("$argon2") and token not in user.token_hash
    assert token.encode() not in (tmp_path / "u.db").read_bytes()


@pytest.mark.parametrize("args, words", [
    (["users", "add", "bo", "--role", "nurse"], "--nurse SHIFT_ID is required"),
    (["users", "add", "bo", "--role", "planner", "--nurse", "n1"], "only for role nurse"),
    (["users", "add", "b o", "--role", "planner"], "NAME"),
    (["users", "add", "bo", "--role", "planner", "--db", "mysql://x/y"], "unsupported database URL"),
    (["serve", "--port", "0"], "port"),
    (["serve", "--db", "oracle://x"], "unsupported database URL"),
])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    """Bad arguments exit 2 with one 'error:' line naming the problem, no traceback."""
    p = _cli(*args, env_dir=tmp_path)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], p.stderr


def test_duplicate_user_is_refused(tmp_path: Path) -> None:
    """A second user with the same name is exit 2; the first keeps working."""
    db = f"sqlite:///{tmp_path / 'u.db'}"
    assert _cli("users", "add", "ana", "--role", "planner", "--db", db, env_dir=tmp_path).returncode == 0
    p = _cli("users", "add", "ana", "--role", "dispatcher", "--db", db, env_dir=tmp_path)
    assert p.returncode == 2 and "exists already" in p.stderr


def test_port_in_use_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """serve on a port someone listens on: exit 2 and one line, before any migration."""
    import argparse
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        parser = argparse.ArgumentParser()
        add_serve_arguments(parser)
        args = parser.parse_args(["--port", str(s.getsockname()[1]), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
        assert run_serve(args) == 2
    assert "cannot listen" in capsys.readouterr().err and not (tmp_path / "x.db").exists()


def test_run_users_in_process(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """run_users(args) as the lead wires it: exit 0 and the token last."""
    import argparse

    parser = argparse.ArgumentParser()
    add_users_arguments(parser)
    args = parser.parse_args(["add", "cee", "--role", "coordinator", "--db", f"sqlite:///{tmp_path / 'c.db'}"])
    assert run_users(args) == 0
    assert TOKEN_RE.match(capsys.readouterr().out.splitlines()[-1])


def test_me_for_every_role(svc: Service) -> None:
    """/api/me names the user and role for each token; a wrong token is 401."""
    for who, role in (("planner", "planner"), ("dispatcher", "dispatcher"), ("coordinator", "coordinator"),
                      (svc.shifts[0], "nurse")):
        me = svc.get(who, "/api/me").json()
        assert me["role"] == role
    assert svc.get(svc.shifts[0], "/api/me").json()["nurse_shift"] == svc.shifts[0]
    forged = svc.tokens["planner"][:-4] + "AAAA"
    assert svc.client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_key_file_is_private_and_reused(tmp_path: Path) -> None:
    """Without NACHTZORG_SECRET_KEY the key file is made with mode 0600 and read again next time."""
    from nachtzorg.serve.security import load_fernet

    first = load_fernet(None, tmp_path / "data")
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o777 == 0o600
    again = load_fernet(None, tmp_path / "data")
    assert again.decrypt(first.encrypt(b"KSC-1-SECRET")) == b"KSC-1-SECRET"


def test_bad_secret_key_is_exit_2(tmp_path: Path) -> None:
    """A malformed NACHTZORG_SECRET_KEY stops serve with one line (exit 2), never the key itself."""
    import os

    p = subprocess.run([sys.executable, "-m", "nachtzorg.serve", "serve", "--db", f"sqlite:///{tmp_path / 'k.db'}",
                        "--port", "18999"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "NACHTZORG_DATA_DIR": str(tmp_path), "NACHTZORG_SECRET_KEY": "hunter2"})
    assert p.returncode == 2 and "not a Fernet key" in p.stderr and "hunter2" not in p.stderr + p.stdout
    assert len(p.stderr.strip().splitlines()) == 1


def test_demo_serves_the_bundled_night(tmp_path: Path) -> None:
    """`python -m nachtzorg.serve demo examples/assen/scenario.json`: tokens printed, the night live."""
    import os
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "nachtzorg.serve", "demo", "examples/assen/scenario.json",
                             "--data-dir", str(tmp_path / "drill"), "--port", str(port)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "NACHTZORG_PLAN_SOLUTION_LIMIT": "30"})
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.strip().startswith("nurse nurse-3"):
                break
        tokens = {ln.split()[0] if not ln.strip().startswith("nurse ") else ln.split()[1]: ln.split()[-1]
                  for ln in lines if TOKEN_RE.match(ln.split()[-1] if ln.split() else "")}
        assert set(tokens) == {"planner", "dispatcher", "coordinator", "nurse-1", "nurse-2", "nurse-3"}
        for _ in range(100):
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/nights",
                              headers={"Authorization": f"Bearer {tokens['dispatcher']}"}, timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()[0]["status"] == "live"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_demo_bad_scenario_is_exit_2(tmp_path: Path) -> None:
    """A missing scenario file: one line, exit 2."""
    p = _cli("demo", str(tmp_path / "none.json"), env_dir=tmp_path)
    assert p.returncode == 2 and "no such file" in p.stderr
