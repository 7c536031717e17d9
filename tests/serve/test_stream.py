"""The live stream (server-sent events over a real server): every log entry in order, resume
after an id, a nurse gets kinds only, a coordinator no stream."""

from __future__ import annotations

import json

import httpx

from tests.serve.conftest import LiveServer, Service, stop_of, used_shifts


def _read(server: LiveServer, token: str, path: str, n: int, *, params: dict | None = None,
          on_open=None) -> list[tuple[str, dict]]:  # noqa: ANN001
    """The first ``n`` events of the stream (event name, data)."""
    out: list[tuple[str, dict]] = []
    with httpx.Client(base_url=server.url, timeout=30) as c:
        with c.stream("GET", path, params=params, headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            event = "message"
            for line in r.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    out.append((event, json.loads(line[5:].strip())))
                    if event == "hello" and on_open:
                        on_open()
                    if len(out) >= n:
                        break
    return out


def test_stream_pushes_each_change(live: tuple[Service, LiveServer]) -> None:
    """Events posted while a dispatcher listens arrive in order with their payload."""
    svc, server = live
    shift = used_shifts(svc)[0]
    ref = stop_of(svc, shift)["ref"]
    path = f"/api/nights/{svc.night_id}/events"

    def post() -> None:
        svc.post(shift, path, {"kind": "started", "ref": ref, "at": "23:40"})
        svc.post(shift, path, {"kind": "done", "ref": ref, "at": "23:52"})

    got = _read(server, svc.tokens["dispatcher"], f"/api/nights/{svc.night_id}/stream", 3, on_open=post)
    assert [e for e, _ in got] == ["hello", "started", "done"]
    assert [d["seq"] for _, d in got[1:]] == [2, 3] and got[1][1]["payload"]["ref"] == ref


def test_stream_resumes_after_seq(live: tuple[Service, LiveServer]) -> None:
    """?after=0 replays the log from the start (plan entry without the plan itself)."""
    svc, server = live
    got = _read(server, svc.tokens["planner"], f"/api/nights/{svc.night_id}/stream", 2, params={"after": 0})
    assert got[1][0] == "plan_published" and "plan" not in got[1][1]["payload"]


def test_nurse_stream_has_kinds_only(live: tuple[Service, LiveServer]) -> None:
    """A nurse's stream says which kind of change happened, never whose stop."""
    svc, server = live
    a, b = used_shifts(svc)[:2]
    ref = stop_of(svc, b)["ref"]
    got = _read(server, svc.tokens[a], f"/api/nights/{svc.night_id}/stream", 2, on_open=lambda: svc.post(
        b, f"/api/nights/{svc.night_id}/events", {"kind": "started", "ref": ref, "at": "23:40"}))
    assert got[1] == ("started", {"seq": 2, "kind": "started"})


def test_stream_access(live: tuple[Service, LiveServer]) -> None:
    """A coordinator gets 403, no token 401, a nurse not on the night 404."""
    from nachtzorg.serve.users import add_user

    svc, server = live
    path = f"/api/nights/{svc.night_id}/stream"
    stranger = add_user(svc.app.state.ctx.sessions, "stranger", "nurse", nurse_shift="nurse-99")
    with httpx.Client(base_url=server.url, timeout=10) as c:
        assert c.get(path, headers={"Authorization": f"Bearer {svc.tokens['coordinator']}"}).status_code == 403
        assert c.get(path).status_code == 401
        assert c.get(path, headers={"Authorization": f"Bearer {stranger}"}).status_code == 404
