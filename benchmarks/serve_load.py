"""Load and fault script of the service (``nachtzorg serve``), printing JSON.

Starts ``python -m nachtzorg.serve serve`` on 127.0.0.1 with a temporary database (SQLite, or
a PostgreSQL URL given with ``--postgres``), publishes a generated 150-visit, 6-nurse night
with its plan, and runs, against that server only:

1. ``calls``: 20 concurrent clients post acute calls (``POST /api/nights/{id}/calls``) back to
   back; latency p50/p95/max and errors. ``calls_paced``: the same clients, one call each per
   ``--pace`` seconds (a busy night's control room rather than a saturated server).
2. ``mixed``: 50 concurrent clients for ``--mixed-s`` seconds (default 60): 6 nurses reporting
   started/done along their routes, 4 dispatchers taking calls and assigning every third one,
   40 readers (routes, the whole night, totals); per endpoint count, errors, p50/p95.
3. ``crash``: 20 clients post events; the server is killed with SIGKILL mid-stream and started
   again; each request that got no answer is retried once with its idempotency key (a phone
   coming back). Then every acknowledged event must be in the log exactly once (checked
   against the idempotency table) and the state the restarted server derives must equal a
   fresh replay of its exported log by :func:`nachtzorg.serve.state.derive`.

Figures depend on the machine (2 shared cores here): run it with ``nice`` and read them as
indicative. Example::

    nice .venv/bin/python benchmarks/serve_load.py --mixed-s 60 [--postgres postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DRILL_START = "2026-11-22T23:20:00+01:00"  # the service's clock starts here (the night of the generated date)


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(q / 100 * (len(xs) - 1)))))
    return round(xs[k], 1)


def measured(server: Server, phase: Any) -> dict[str, Any]:
    """Run a phase (a coroutine) and add the server's CPU use and the machine's load to its result."""
    cpu0, load0 = server.cpu_s(), os.getloadavg()[0]
    out = asyncio.run(phase)
    cpu = server.cpu_s() - cpu0
    n = out.get("requests", out.get("n", 0))
    out["server_cpu_s"] = round(cpu, 2)
    out["server_cpu_ms_per_request"] = round(1000 * cpu / n, 1) if n else None
    out["loadavg_1min"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return out


def summary(lat_ms: list[float], errors: int, statuses: dict[int, int] | None = None) -> dict[str, Any]:
    out = {"n": len(lat_ms), "errors": errors, "p50_ms": pct(lat_ms, 50), "p95_ms": pct(lat_ms, 95),
           "max_ms": round(max(lat_ms), 1) if lat_ms else None,
           "mean_ms": round(statistics.fmean(lat_ms), 1) if lat_ms else None}
    if statuses:
        out["statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    return out


# ------------------------------------------------------------------------------------ the server
class Server:
    """``python -m nachtzorg.serve serve`` in a subprocess (its log in ``data_dir/server-N.log``)."""

    def __init__(self, data_dir: Path, db: str) -> None:
        self.data_dir, self.db = data_dir, db
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.env = {**os.environ, "NACHTZORG_DATA_DIR": str(data_dir), "NACHTZORG_DRILL_START": DRILL_START,
                    "NACHTZORG_REPLAN_TIME_S": "1.0"}

    def cli(self, *args: str) -> str:
        p = subprocess.run([sys.executable, "-m", "nachtzorg.serve", *args, "--db", self.db], env=self.env,
                           capture_output=True, text=True, cwd=ROOT, check=True)
        return p.stdout

    def start(self) -> float:
        """Start and wait until it answers; returns seconds to ready."""
        self.starts += 1
        log = open(self.data_dir / f"server-{self.starts}.log", "w")  # noqa: SIM115
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "nachtzorg.serve", "serve", "--db", self.db,
                                      "--port", str(self.port)], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=ROOT)
        for _ in range(600):
            try:
                if httpx.get(self.url + "/docs", timeout=1).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}; see {log.name}")
            time.sleep(0.1)
        raise RuntimeError("server did not answer within 60 s")

    def cpu_s(self) -> float:
        """CPU seconds the server process used so far (user + system; not its solver worker)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def new_user(server: Server, name: str, role: str, *extra: str) -> str:
    return server.cli("users", "add", name, "--role", role, *extra).strip().splitlines()[-1]


def setup(server: Server, seed: int) -> dict[str, Any]:
    """Users, and the 150-visit night published with a deterministic plan."""
    from nachtzorg import SolveParams, plan_night
    from nachtzorg.synthetic import generate_night

    sc = generate_night(150, 6, 4, seed=seed)
    t0 = time.perf_counter()
    plan = plan_night(sc, SolveParams(time_limit_s=None, solution_limit=100, seed=0))
    plan_s = time.perf_counter() - t0
    tokens = {"planner": new_user(server, "pia", "planner"), "coordinator": new_user(server, "coco", "coordinator")}
    for i in range(4):
        tokens[f"dispatcher{i}"] = new_user(server, f"disp{i}", "dispatcher")
    for s in sc.shifts:
        tokens[s.id] = new_user(server, f"n-{s.id}", "nurse", "--nurse", s.id)
    server.start()
    r = httpx.post(server.url + "/api/nights", json={"scenario": json.loads(sc.to_json()),
                                                     "plan": json.loads(plan.to_json())},
                   headers={"Authorization": f"Bearer {tokens['planner']}", "Idempotency-Key": "publish"},
                   timeout=120)
    r.raise_for_status()
    lats = [c.location.lat for c in sc.clients]
    lons = [c.location.lon for c in sc.clients]
    library_ms = library_dispatch_ms(sc, plan, (min(lats), max(lats), min(lons), max(lons)))
    return {"library_dispatch_ms": library_ms, "night": r.json()["night_id"], "tokens": tokens,
            "shifts": [s.id for s in sc.shifts],
            "box": (min(lats), max(lats), min(lons), max(lons)), "scenario": sc,
            "plan_served": plan.kpis.visits_served, "plan_s": round(plan_s, 2)}


def auth(token: str, key: str | None = None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {token}"}
    if key:
        h["Idempotency-Key"] = key
    return h


def random_call(rng: random.Random, box: tuple[float, float, float, float], call_id: str) -> dict[str, Any]:
    return {"id": call_id, "location": {"lat": round(rng.uniform(box[0], box[1]), 5),
                                        "lon": round(rng.uniform(box[2], box[3]), 5)},
            "urgency": rng.choice(["personal_alarm", "fall", "palliative", "gp_request"]), "duration_min": 20}


def library_dispatch_ms(sc: Any, plan: Any, box: tuple[float, float, float, float], n: int = 30) -> dict[str, Any]:
    """The library's own ``dispatch`` on this night at the drill's start, in this process: the
    floor under the service's POST /calls (one core, no HTTP, no database)."""
    from nachtzorg.acute import dispatch, initial_state

    state = initial_state(sc, plan)
    rng = random.Random(5)
    now = DRILL_START
    dispatch(state, random_call(rng, box, "lib-warm"), now)
    ms = []
    for i in range(n):
        t0 = time.perf_counter()
        dispatch(state, random_call(rng, box, f"lib-{i}"), now)
        ms.append((time.perf_counter() - t0) * 1000)
    return {"n": n, "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95)}


# ------------------------------------------------------------------------------------ 1. calls
async def calls_load(base: str, ctx: dict[str, Any], *, clients: int, per_client: int, pace_s: float,
                     tag: str) -> dict[str, Any]:
    lat: list[float] = []
    statuses: dict[int, int] = defaultdict(int)
    errors = 0
    night = ctx["night"]

    async def one(i: int) -> None:
        nonlocal errors
        rng = random.Random(1000 + i)
        token = ctx["tokens"][f"dispatcher{i % 4}"]
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            for k in range(per_client):
                t_next = time.perf_counter() + pace_s
                body = random_call(rng, ctx["box"], f"{tag}-{i}-{k}")
                t0 = time.perf_counter()
                try:
                    r = await c.post(f"/api/nights/{night}/calls", json=body, headers=auth(token, uuid.uuid4().hex))
                    statuses[r.status_code] += 1
                    if r.status_code != 200:
                        errors += 1
                    else:
                        lat.append((time.perf_counter() - t0) * 1000)
                except httpx.HTTPError:
                    errors += 1
                if pace_s:
                    await asyncio.sleep(max(0.0, t_next - time.perf_counter()))

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    return {"clients": clients, "per_client": per_client, "pace_s": pace_s, **summary(lat, errors, statuses),
            "throughput_per_s": round(len(lat) / wall, 1)}


# ------------------------------------------------------------------------------------ 2. mixed
async def mixed_load(base: str, ctx: dict[str, Any], *, seconds: float) -> dict[str, Any]:
    night = ctx["night"]
    lat: dict[str, list[float]] = defaultdict(list)
    errs: dict[str, int] = defaultdict(int)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    samples: dict[str, list[str]] = defaultdict(list)
    stop_at = time.perf_counter() + seconds

    async def timed(c: httpx.AsyncClient, name: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            r = await c.request(method, path, **kw)
        except httpx.HTTPError:
            errs[name] += 1
            return None
        statuses[name][r.status_code] += 1
        if r.status_code == 409 and name == "POST assign" and "options" in r.text:
            return r  # a conflict the client resolves (counted in statuses, not as an error)
        if r.status_code >= 400:
            errs[name] += 1
            if len(samples[name]) < 3:
                samples[name].append(f"{r.status_code} {r.text[:160]}")
        else:
            lat[name].append((time.perf_counter() - t0) * 1000)
        return r

    async def nurse(shift: str) -> None:
        token = ctx["tokens"][shift]
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            while time.perf_counter() < stop_at:
                r = await timed(c, "GET route", "GET", f"/api/nights/{night}/nurses/{shift}/route",
                                headers=auth(token))
                stops = r.json()["stops"] if r is not None and r.status_code == 200 else []
                cur = next((s for s in stops if s["status"] == "in_progress"), None) or \
                    next((s for s in stops if s["status"] == "next"), None)
                if cur is not None:
                    kind = "done" if cur["status"] == "in_progress" else "started"
                    await timed(c, "POST events", "POST", f"/api/nights/{night}/events",
                                json={"kind": kind, "ref": cur["ref"]}, headers=auth(token, uuid.uuid4().hex))
                await asyncio.sleep(0.2)

    async def dispatcher(i: int) -> None:
        token = ctx["tokens"][f"dispatcher{i}"]
        rng = random.Random(50 + i)
        k = 0
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            while time.perf_counter() < stop_at:
                call_id = f"mix-{i}-{k}"
                r = await timed(c, "POST calls", "POST", f"/api/nights/{night}/calls",
                                json=random_call(rng, ctx["box"], call_id), headers=auth(token, uuid.uuid4().hex))
                if r is not None and r.status_code == 200 and k % 3 == 0 and r.json()["options"]:
                    a = await timed(c, "POST assign", "POST", f"/api/nights/{night}/calls/{call_id}/assign",
                                    json=r.json()["options"][0], headers=auth(token, uuid.uuid4().hex))
                    if a is not None and a.status_code == 409 and a.json().get("options"):
                        # the night moved on between the options and the click: choose again, as the page does
                        await timed(c, "POST assign (after 409)", "POST",
                                    f"/api/nights/{night}/calls/{call_id}/assign", json=a.json()["options"][0],
                                    headers=auth(token, uuid.uuid4().hex))
                k += 1
                await asyncio.sleep(0.5)

    async def reader(i: int) -> None:
        kinds = [("GET route", "nurse"), ("GET night", "dispatcher0"), ("GET totals", "coordinator")]
        name, who = kinds[i % 3]
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            while time.perf_counter() < stop_at:
                if name == "GET route":
                    shift = ctx["shifts"][i % len(ctx["shifts"])]
                    await timed(c, name, "GET", f"/api/nights/{night}/nurses/{shift}/route",
                                headers=auth(ctx["tokens"][shift]))
                elif name == "GET night":
                    await timed(c, name, "GET", f"/api/nights/{night}", headers=auth(ctx["tokens"][who]))
                else:
                    await timed(c, name, "GET", f"/api/nights/{night}/totals", headers=auth(ctx["tokens"][who]))
                await asyncio.sleep(0.2)

    tasks = [nurse(s) for s in ctx["shifts"]] + [dispatcher(i) for i in range(4)] + [reader(i) for i in range(40)]
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - t0
    per = {name: summary(lat[name], errs[name], statuses[name]) for name in sorted(set(lat) | set(errs))}
    for name, texts in samples.items():
        per[name]["error_samples"] = texts
    return {"clients": len(tasks), "seconds": round(wall, 1), "errors": sum(errs.values()),
            "requests": sum(sum(s.values()) for s in statuses.values()), "per_endpoint": per}


# ------------------------------------------------------------------------------------ 3. crash
async def crash_run(server: Server, ctx: dict[str, Any], *, clients: int, before_s: float, after_s: float,
                    seed: int) -> dict[str, Any]:
    """20 clients post events; SIGKILL; restart; retry the unanswered; verify exactly once."""
    night = ctx["night"]
    acked: dict[str, tuple[int, dict[str, Any]]] = {}  # idempotency key -> (seq, body sent)
    unanswered: list[tuple[str, str, dict[str, Any]]] = []
    state = {"down": False}
    stop_at = time.perf_counter() + before_s + after_s + 30
    rng = random.Random(seed)
    refs = {s: [v.visit_id for v in r.visits] for r in ctx["plan"].routes for s in [r.shift_id]}

    async def client(i: int) -> None:
        shift = ctx["shifts"][i % len(ctx["shifts"])]
        token = ctx["tokens"][shift]
        my_refs = refs.get(shift) or [v for vs in refs.values() for v in vs]
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
            k = 0
            while time.perf_counter() < stop_at and not state.get("finish"):
                if state["down"]:
                    await asyncio.sleep(0.05)
                    continue
                key = f"crash-{i}-{k}"
                body = {"kind": "delayed", "ref": rng.choice(my_refs), "minutes": 1 + (k % 30)}
                k += 1
                try:
                    r = await c.post(f"/api/nights/{night}/events", json=body, headers=auth(token, key))
                    if r.status_code == 201:
                        acked[key] = (r.json()["seq"], body)
                    else:
                        unanswered.append((key, token, body))
                except httpx.HTTPError:
                    unanswered.append((key, token, body))

    async def killer() -> dict[str, Any]:
        await asyncio.sleep(before_s)
        n_before = len(acked)
        state["down"] = True
        server.kill9()
        t_kill = time.perf_counter()
        restart_s = await asyncio.to_thread(server.start)
        state["down"] = False
        await asyncio.sleep(after_s)
        state["finish"] = True
        return {"acked_before_kill": n_before, "restart_s": round(restart_s, 2),
                "down_s": round(time.perf_counter() - t_kill - after_s, 2)}

    results = await asyncio.gather(killer(), *(client(i) for i in range(clients)))
    info = results[0]
    # phones coming back: every unanswered request once more, with its own key
    retried_ok = 0
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        for key, token, body in unanswered:
            r = await c.post(f"/api/nights/{night}/events", json=body, headers=auth(token, key))
            if r.status_code == 201:
                acked[key] = (r.json()["seq"], body)
                retried_ok += 1
        log = (await c.get(f"/api/nights/{night}/events", headers=auth(ctx["tokens"]["dispatcher0"]))).json()
        served = (await c.get(f"/api/nights/{night}", headers=auth(ctx["tokens"]["dispatcher0"]))).json()
    return {**info, "clients": clients, "acknowledged": len(acked), "unanswered_retried": len(unanswered),
            "retried_ok": retried_ok, **verify(server, night, acked, log, served)}


def verify(server: Server, night: str, acked: dict[str, tuple[int, dict[str, Any]]], log: dict[str, Any],
           served: dict[str, Any]) -> dict[str, Any]:
    """Every acknowledged event in the log exactly once; served state == replay of the log."""
    from sqlalchemy import select

    from nachtzorg import Scenario
    from nachtzorg.serve.db import make_engine, session_factory
    from nachtzorg.serve.models import IdempotencyKey
    from nachtzorg.serve.settings import normalise_db_url
    from nachtzorg.serve.state import Entry, derive

    events = {e["seq"]: e for e in log["events"]}
    seqs = [e["seq"] for e in log["events"]]
    engine = make_engine(normalise_db_url(server.db))
    with session_factory(engine)() as s:
        rows = {r.key: r for r in s.scalars(select(IdempotencyKey).where(IdempotencyKey.key.like("crash-%")))}
    engine.dispose()
    missing = [k for k in acked if k not in rows]
    wrong = [k for k, (seq, body) in acked.items()
             if seq not in events or any(events[seq]["payload"].get(f) != v for f, v in body.items())
             or (k in rows and rows[k].response.get("seq") != seq)]
    key_seqs = [r.response.get("seq") for r in rows.values()]
    crash_entries = [e["seq"] for e in log["events"] if e["kind"] == "delayed"]
    orphans = sorted(set(crash_entries) - set(key_seqs))
    scenario = Scenario.from_json(log["scenario"])
    replay = derive(scenario, [Entry(e["seq"], e["kind"], e["payload"]) for e in log["events"]])
    same = json.loads(replay.state.model_dump_json(exclude={"scenario"})) == served["state"]
    return {"log_entries": len(seqs), "seq_gapless": seqs == list(range(1, len(seqs) + 1)),
            "acked_missing": len(missing), "acked_wrong_or_duplicated": len(wrong),
            "duplicate_keys_per_seq": len(key_seqs) - len(set(key_seqs)), "entries_without_key": len(orphans),
            "state_equals_replay": same, "pending_in_state": len(replay.pending)}


# ------------------------------------------------------------------------------------ main
def run(db_kind: str, db_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nz-serve-load-") as tmp:
        tmp_path = Path(tmp)
        db = db_url or f"sqlite:///{tmp_path / 'night.db'}"
        if db_url:
            from sqlalchemy import text

            from nachtzorg.serve.db import make_engine
            from nachtzorg.serve.settings import normalise_db_url

            e = make_engine(normalise_db_url(db_url))
            with e.begin() as c:  # an empty database
                c.execute(text("drop schema public cascade"))
                c.execute(text("create schema public"))
            e.dispose()
        server = Server(tmp_path, db)
        out: dict[str, Any] = {"db": db_kind}
        try:
            ctx = setup(server, args.seed)
            ctx["plan"] = None
            from nachtzorg import Plan

            with httpx.Client(base_url=server.url, timeout=60) as c:
                night = c.get(f"/api/nights/{ctx['night']}", headers=auth(ctx["tokens"]["dispatcher0"])).json()
            ctx["plan"] = Plan.model_validate(night["plan"])
            out["night"] = {"visits": 150, "nurses": 6, "served_in_plan": ctx["plan_served"], "plan_s": ctx["plan_s"]}
            out["library_dispatch"] = ctx["library_dispatch_ms"]
            if not args.crash_only:
                asyncio.run(calls_load(server.url, ctx, clients=20, per_client=3, pace_s=0, tag="warm"))
                out["calls"] = measured(server, calls_load(server.url, ctx, clients=20,
                                                           per_client=args.calls_per_client, pace_s=0, tag="burst"))
                out["calls_paced"] = measured(server, calls_load(server.url, ctx, clients=20,
                                                                 per_client=args.calls_per_client, pace_s=args.pace,
                                                                 tag="paced"))
                out["mixed"] = measured(server, mixed_load(server.url, ctx, seconds=args.mixed_s))
            out["crash"] = asyncio.run(crash_run(server, ctx, clients=20, before_s=args.crash_before_s,
                                                 after_s=args.crash_after_s, seed=args.seed))
        finally:
            server.stop()
        return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--postgres", metavar="URL", help="also run against this PostgreSQL database (emptied first)")
    p.add_argument("--mixed-s", type=float, default=60.0)
    p.add_argument("--calls-per-client", type=int, default=10)
    p.add_argument("--pace", type=float, default=1.0, help="seconds between one client's calls (paced run)")
    p.add_argument("--crash-before-s", type=float, default=4.0)
    p.add_argument("--crash-after-s", type=float, default=3.0)
    p.add_argument("--crash-only", action="store_true")
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args(argv)
    result = {"runs": [run("sqlite", None, args)]}
    if args.postgres:
        result["runs"].append(run("postgresql", args.postgres, args))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
