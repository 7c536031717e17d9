"""A fuzz campaign over the nachtzorg command line, as a user calls it; prints one JSON document.

    nice python benchmarks/fuzz.py --cases 10000 --seed 1 --workers 2 --out /tmp/nachtzorg-fuzz

Each case runs ``nachtzorg validate|plan|check|dispatch|simulate|share --game`` in its own
directory on inputs from hypothesis strategies or mutated valid seeds (``fuzz_inputs.py``), with a
fake key-safe code ``KSC-<n>-SECRET`` on every client. Most cases call ``nachtzorg.cli.main(argv)``
in worker processes (stdout/stderr captured at the Python and the file-descriptor level); a share
of them runs the ``nachtzorg`` executable as a subprocess. Per case it records the exit code,
whether a traceback appeared (or ``main`` raised), the files written (there must be none on exit
2), the planted codes found on stdout, stderr or in any file written (travel caches included),
and the wall time (over ``--timeout``, default 60 s, is a hang; the worker is then killed).
A plan that exits 0 or 3 is also checked with ``nachtzorg check``: its own checker must accept it.

Failing cases are written to ``--out``/repro/<case>/ (inputs, ``repro.sh``, ``case.json``); keep
that directory out of the repository. Exit status 0 only when every failure count is 0.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import importlib.util
import io
import json
import logging
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

HERE = Path(__file__).resolve().parent
DEFAULT_TARGET = "nachtzorg.cli:main"
HANG_S = 60.0
#: Per-user caches of other tools (matplotlib's font list): not outputs of nachtzorg.
TOOL_CACHES = (".home/.cache/matplotlib/", ".home/.config/matplotlib/")
#: Where travel tables and processed road graphs are cached in a case (scenario ``cache_dir``,
#: ``--travel-cache``, the default cache under the case's home).
CACHE_DIRS = ("in/cache/", "tcache/", ".home/")
#: nachtzorg's exit code for an internal error (a bug; the traceback goes to a crash file).
EXIT_INTERNAL = 70
GATING = ("tracebacks", "hangs", "crashes", "files_written_on_exit_2", "planted_codes_found",
          "plans_rejected_by_own_check")


def _load_inputs() -> Any:
    """``fuzz_inputs.py`` beside this file (the benchmarks are scripts, not a package)."""
    if "fuzz_inputs" in sys.modules:
        return sys.modules["fuzz_inputs"]
    spec = importlib.util.spec_from_file_location("fuzz_inputs", HERE / "fuzz_inputs.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_inputs"] = mod
    spec.loader.exec_module(mod)
    return mod


inputs = _load_inputs()
Case = inputs.Case
# The hypothesis strategies, for tests and other scripts.
scenarios, plans_for, calls_for, events_for, games, bundles = (
    inputs.scenarios, inputs.plans_for, inputs.calls_for, inputs.events_for, inputs.games, inputs.bundles)


# ---------------------------------------------------------------------------------------------
# running one case (inside a worker)


def _target(spec: str) -> Callable[[list[str]], int]:
    module, _, name = spec.partition(":")
    if module == "fuzz":
        return globals()[name]
    return getattr(importlib.import_module(module), name)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            try:
                st = p.lstat()
            except OSError:
                continue
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def _code_patterns(codes: Iterable[str]) -> list[tuple[str, re.Pattern[bytes]]]:
    pats = []
    for c in codes:
        body = re.escape(c.encode())
        pats.append((c, re.compile(rb"(?<![0-9])" + body + rb"(?![0-9])" if c.isdigit() else body)))
    return pats


def _find_codes(data: bytes, pats: list[tuple[str, re.Pattern[bytes]]]) -> list[str]:
    return [c for c, p in pats if p.search(data)]


def _leak_context(data: bytes, code: str, pats: list[tuple[str, re.Pattern[bytes]]]) -> str:
    """The start of the output line that shows ``code``, up to the code (message and field path),
    with every planted code masked: what a reader needs to see which message leaks it."""
    m = dict(pats)[code].search(data)
    if m is None:
        return ""
    line = data[data.rfind(b"\n", 0, m.start()) + 1:m.start()].decode("utf-8", "replace")
    if "(value:" in line:
        line = line[:line.find("(value:")] + "(value: ..."
    line = line[:200]
    for c, p in pats:
        line = line.replace(c, "<code>")
    return line


def _case_env(case_dir: Path) -> dict[str, str]:
    """Home and caches inside the case directory, so every file a run writes is seen."""
    home = case_dir / ".home"
    return {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
            "NACHTZORG_CACHE_DIR": str(home / ".cache" / "nachtzorg"), "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1"}


def run_inprocess(main: Callable[[list[str]], Any], argv: list[str], capture_dir: Path) -> dict[str, Any]:
    """Call ``main(argv)`` with stdout/stderr captured (Python objects and file descriptors 1, 2).

    stdout is strict UTF-8 and stderr backslash-replacing, as in a real pipe, so a string that
    cannot be printed fails here as it would for the user."""
    capture_dir.mkdir(parents=True, exist_ok=True)
    fd_out = open(capture_dir / "fd1", "w+b")
    fd_err = open(capture_dir / "fd2", "w+b")
    buf_out, buf_err = io.BytesIO(), io.BytesIO()
    py_out = io.TextIOWrapper(buf_out, encoding="utf-8", errors="strict", write_through=True)
    py_err = io.TextIOWrapper(buf_err, encoding="utf-8", errors="backslashreplace", write_through=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    old = sys.stdout, sys.stderr
    logging.root.handlers.clear()  # the CLI's basicConfig binds to the current sys.stderr
    exc_text = exc_type = where = None
    os.dup2(fd_out.fileno(), 1)
    os.dup2(fd_err.fileno(), 2)
    sys.stdout, sys.stderr = py_out, py_err
    try:
        try:
            code = main(argv)
            code = 0 if code is None else code
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if not isinstance(e.code, (int, type(None))):
                print(e.code, file=sys.stderr)
        except BaseException as e:  # noqa: BLE001 - what the user would see as a traceback
            code = 1
            exc_type = type(e).__name__
            exc_text = "".join(traceback.format_exception(e))
            where = _where(e)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
    finally:
        sys.stdout, sys.stderr = old
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        logging.root.handlers.clear()
    fd_out.seek(0)
    fd_err.seek(0)
    out = buf_out.getvalue() + fd_out.read()
    err = buf_err.getvalue() + fd_err.read()
    fd_out.close()
    fd_err.close()
    return {"exit": int(code) if isinstance(code, int) else 1, "stdout": out, "stderr": err,
            "exc_type": exc_type, "exc_text": exc_text, "where": where}


def _where(e: BaseException) -> str:
    """``file:line function`` of the innermost frame inside the nachtzorg package (else the last)."""
    frames = traceback.extract_tb(e.__traceback__)
    inside = [f for f in frames if "/nachtzorg/" in f.filename.replace("\\", "/")]
    f = (inside or frames or [None])[-1]
    if f is None:
        return "?"
    path = f.filename.replace("\\", "/")
    path = path[path.rfind("/nachtzorg/") + 1:] if "/nachtzorg/" in path else Path(path).name
    return f"{path}:{f.lineno} {f.name}"


def _executable() -> list[str]:
    exe = Path(sys.executable).parent / "nachtzorg"
    if exe.is_file():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from nachtzorg.cli import main; sys.exit(main())"]


def run_subprocess(argv: list[str], case_dir: Path, timeout: float) -> dict[str, Any]:
    """Run the ``nachtzorg`` executable in ``case_dir``; on timeout kill its process group."""
    env = dict(os.environ, **_case_env(case_dir))
    proc = subprocess.Popen(_executable() + argv, cwd=case_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    tb = b"Traceback (most recent call last)" in out + err
    exc_type = where = None
    if tb:
        last = [ln for ln in (out + err).decode("utf-8", "replace").splitlines() if ln and not ln.startswith(" ")]
        exc_type = last[-1].split(":")[0].rsplit(".", 1)[-1] if last else "?"
        frames = re.findall(r'File "([^"]*nachtzorg/[^"]+)", line (\d+), in (\S+)', (out + err).decode("utf-8", "replace"))
        if frames:
            f, line, fn = frames[-1]
            where = f"{f[f.rfind('nachtzorg/'):]}:{line} {fn}"
    return {"exit": proc.returncode, "stdout": out, "stderr": err, "exc_type": exc_type,
            "exc_text": (out + err).decode("utf-8", "replace")[-4000:] if tb else None, "where": where,
            "timed_out": timed_out}


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def run_case(msg: dict[str, Any], main: Callable[[list[str]], Any], capture_root: Path) -> dict[str, Any]:
    """Run one case (``msg`` as sent by the campaign) in its directory; the result has no outputs
    beyond short previews (they may hold fake codes, which is fine: the codes are invented)."""
    case_dir = Path(msg["dir"])
    argv = msg["argv"]
    pats = _code_patterns(msg["codes"])
    before = _snapshot(case_dir)
    old_cwd = os.getcwd()
    old_env = {k: os.environ.get(k) for k in _case_env(case_dir)}
    t0 = time.perf_counter()
    if msg.get("subprocess"):
        r = run_subprocess(argv, case_dir, msg["timeout"])
    else:
        os.environ.update(_case_env(case_dir))
        os.chdir(case_dir)
        try:
            r = run_inprocess(main, argv, capture_root / "main")
        finally:
            os.chdir(old_cwd)
            for k, v in old_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    wall = time.perf_counter() - t0
    after = _snapshot(case_dir)
    written = sorted(p for p, st in after.items() if before.get(p) != st and not p.startswith(TOOL_CACHES))
    found: list[list[str]] = []
    for name in ("stdout", "stderr"):
        found += [[c, name, _leak_context(r[name], c, pats)] for c in _find_codes(r[name], pats)]
    for rel in written:
        try:
            data = (case_dir / rel).read_bytes()
        except OSError:
            continue
        found += [[c, rel] for c in _find_codes(data, pats)]
    traceback_seen = r["exc_type"] is not None or b"Traceback (most recent call last)" in r["stdout"] + r["stderr"]
    result = {"id": msg["id"], "exit": r["exit"], "traceback": traceback_seen, "exc_type": r["exc_type"],
              "where": r["where"], "exc_tail": (r["exc_text"] or "")[-1500:] or None, "wall_s": round(wall, 3),
              "written": written, "codes_found": found, "timed_out": r.get("timed_out", False),
              "stdout_head": r["stdout"][:600].decode("utf-8", "replace"),
              "stderr_head": r["stderr"][:1500].decode("utf-8", "replace"),
              "stdout_bytes": len(r["stdout"]), "stderr_bytes": len(r["stderr"]), "own_check": None}
    if result["traceback"] and not r["exc_type"]:
        result["exc_type"] = "Traceback on output"
    out_dir = _option(argv, "--out")
    if argv and argv[0] == "plan" and r["exit"] in (0, 3) and out_dir and len(argv) > 1 \
            and (case_dir / out_dir / "plan.json").is_file():
        os.chdir(case_dir)
        try:
            chk = run_inprocess(main, ["check", argv[1], str(Path(out_dir) / "plan.json")], capture_root / "check")
        finally:
            os.chdir(old_cwd)
        result["own_check"] = chk["exit"]
        result["own_check_head"] = (chk["stdout"] + chk["stderr"])[:800].decode("utf-8", "replace")
        found += [[c, f"check {name}", _leak_context(chk[name], c, pats)]
                  for name in ("stdout", "stderr") for c in _find_codes(chk[name], pats)]
    return result


def worker_loop(target: str, capture: str | None = None) -> None:
    """Worker process: one JSON case per line on stdin, one JSON result per line on the saved stdout;
    output is captured in ``capture`` (a directory the campaign removes, else a temporary one)."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing but results reaches the channel
    os.close(devnull)
    main = _target(target)
    capture_root = Path(capture) if capture else Path(tempfile.mkdtemp(prefix="nachtzorg-fuzz-capture-"))
    capture_root.mkdir(parents=True, exist_ok=True)
    try:
        for line in sys.stdin:
            msg = json.loads(line)
            try:
                res = run_case(msg, main, capture_root)
            except BaseException as e:  # noqa: BLE001 - the harness itself failed; say so, keep going
                res = {"id": msg["id"], "harness_error": "".join(traceback.format_exception(e))[-2000:]}
            channel.write(json.dumps(res) + "\n")
            channel.flush()
    finally:
        shutil.rmtree(capture_root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# the campaign (parent process)


def materialise(case: Any, root: Path) -> Path:
    d = root / case.id
    d.mkdir(parents=True)
    for sub in case.dirs:
        (d / sub).mkdir(parents=True, exist_ok=True)
    for rel, data in case.files.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return d


class _Worker:
    def __init__(self, target: str, niceness: int, log: Path, capture: Path) -> None:
        self.log = open(log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", "--target", target, "--capture", str(capture)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, cwd=HERE.parent,
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None)
        self.case: Any = None
        self.started = 0.0
        self.done = 0
        self.buffer = b""

    def send(self, case: Any, msg: dict[str, Any]) -> None:
        self.case, self.started = case, time.perf_counter()
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()


def _message(case: Any, d: Path, timeout: float) -> dict[str, Any]:
    return {"id": case.id, "dir": str(d), "argv": case.argv, "codes": sorted(case.codes),
            "subprocess": case.subprocess, "timeout": timeout}


def run_cases(cases: Iterable[Any], *, workers: int = 2, timeout: float = HANG_S, target: str = DEFAULT_TARGET,
              niceness: int = 10, recycle: int = 250, grace: float = 15.0) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Run ``cases`` and yield ``(case, result)`` as they finish. ``workers`` 0 runs them in this
    process (no timeout: for debugging); otherwise each worker is a process that is killed when a
    case runs past ``timeout`` + ``grace`` seconds (and recycled every ``recycle`` cases)."""
    root = Path(tempfile.mkdtemp(prefix="nachtzorg-fuzz-work-"))
    try:
        if workers <= 0:
            main = _target(target)
            for case in cases:
                d = materialise(case, root)
                res = run_case(_message(case, d, timeout), main, root / "_capture")
                shutil.rmtree(d, ignore_errors=True)
                yield case, res
            return
        yield from _run_pool(iter(cases), root, workers, timeout, target, niceness, recycle, grace)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_pool(cases: Iterator[Any], root: Path, n: int, timeout: float, target: str, niceness: int,
              recycle: int, grace: float) -> Iterator[tuple[Any, dict[str, Any]]]:
    sel = selectors.DefaultSelector()
    log = root / "workers.log"
    pool: list[_Worker] = []

    started = 0

    def start() -> _Worker:
        nonlocal started
        started += 1
        w = _Worker(target, niceness, log, root / f"_capture-{started}")
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        pool.append(w)
        return w

    def retire(w: _Worker, kill: bool) -> None:
        sel.unregister(w.proc.stdout)
        pool.remove(w)
        w.stop(kill=kill)

    for _ in range(n):
        start()
    exhausted = False
    try:
        while True:
            for w in list(pool):
                if w.case is None and not exhausted:
                    if w.done >= recycle:
                        retire(w, kill=False)
                        w = start()
                    case = next(cases, None)
                    if case is None:
                        exhausted = True
                        break
                    w.send(case, _message(case, materialise(case, root), timeout))
            busy = [w for w in pool if w.case is not None]
            if exhausted and not busy:
                return
            for key, _ in sel.select(timeout=0.5):
                w = key.data
                chunk = os.read(w.proc.stdout.fileno(), 1 << 16)
                if not chunk:  # the worker died (a crash inside a C extension, or killed)
                    case = w.case
                    code = w.proc.poll()
                    retire(w, kill=True)
                    start()
                    if case is not None:
                        shutil.rmtree(root / case.id, ignore_errors=True)
                        yield case, {"id": case.id, "exit": None, "crash": f"worker died (returncode {code})",
                                     "traceback": False, "wall_s": round(time.perf_counter() - w.started, 3),
                                     "written": [], "codes_found": []}
                    continue
                w.buffer += chunk
                while b"\n" in w.buffer:
                    line, w.buffer = w.buffer.split(b"\n", 1)
                    res = json.loads(line)
                    case, w.case = w.case, None
                    w.done += 1
                    shutil.rmtree(root / case.id, ignore_errors=True)
                    yield case, res
            now = time.perf_counter()
            for w in list(pool):
                if w.case is not None and now - w.started > timeout + grace:
                    case = w.case
                    retire(w, kill=True)
                    start()
                    shutil.rmtree(root / case.id, ignore_errors=True)
                    yield case, {"id": case.id, "exit": None, "timed_out": True, "traceback": False,
                                 "wall_s": round(now - w.started, 3), "written": [], "codes_found": []}
    finally:
        for w in list(pool):
            retire(w, kill=w.case is not None)
        sel.close()


# ---------------------------------------------------------------------------------------------
# judging and summary


def failures_of(case: Any, res: dict[str, Any], timeout: float = HANG_S) -> list[str]:
    """The gating failure kinds of one result."""
    kinds = []
    if res.get("harness_error"):
        return ["harness_errors"]
    if res.get("traceback"):
        kinds.append("tracebacks")
    if res.get("timed_out") or (res.get("wall_s") or 0) > timeout:
        kinds.append("hangs")
    if res.get("crash") or (isinstance(res.get("exit"), int) and (res["exit"] < 0 or res["exit"] == EXIT_INTERNAL)):
        kinds.append("crashes")  # killed by a signal, or nachtzorg's own internal-error exit
    if res.get("exit") == 2 and [p for p in res.get("written") or [] if not p.startswith(CACHE_DIRS)]:
        kinds.append("files_written_on_exit_2")
    if res.get("codes_found"):
        kinds.append("planted_codes_found")
    if res.get("own_check") == 1:
        kinds.append("plans_rejected_by_own_check")
    return kinds


def accepted_invalid(case: Any, res: dict[str, Any]) -> bool:
    """An input a mutation made certainly invalid that the command accepted (exit 0, 1 or 3, no traceback)."""
    return case.expect_exit == 2 and res.get("exit") in (0, 1, 3) and not res.get("traceback")


def _field_kind(places: list[str]) -> str:
    """Where a found code was planted: the free-text field it was typed into, else ``key_safe_code``."""
    typed = [p for p in places if not p.endswith("key_safe_code")] or places
    for k in ("access_note", "care", "name", "key_safe_code"):
        if any(k in p for p in typed):
            return k
    return "other"


def _out_kind(where: str) -> str:
    if where in ("stdout", "stderr") or where.startswith("check "):
        return where
    name = Path(where).name
    return "cache file" if ("cache" in where or where.endswith(".npz")) else re.sub(r"^\.(.*)\.[^.]+\.tmp$", r"\1 (temp)", name)


def signature(case: Any, res: dict[str, Any], kind: str) -> str:
    """A short class name of a failure, to group cases that fail the same way."""
    c = case.command
    if kind == "tracebacks":
        return f"traceback: {c}: {res.get('exc_type')} at {res.get('where')}"
    if kind == "hangs":
        return f"hang: {c}"
    if kind == "crashes":
        return f"crash: {c}: {res.get('crash') or res.get('exit')}"
    if kind == "files_written_on_exit_2":
        return f"files on exit 2: {c}: {sorted({Path(p).name for p in res['written'] if not p.startswith(CACHE_DIRS)})[:4]}"
    if kind == "planted_codes_found":
        outs = sorted({_out_kind(f[1]) for f in res["codes_found"]})
        fields = sorted({_field_kind(case.codes.get(f[0], ["?"])) for f in res["codes_found"]})
        via = sorted({re.sub(r"\d+", "N", re.sub(r"^error: [^:]+: ", "", f[2]))[:90]
                      for f in res["codes_found"] if len(f) > 2 and f[2]})
        return (f"code leaked: {c}: planted in {','.join(fields)} -> found in {','.join(outs)}"
                + (f" via {via[0]!r}" if via else ""))
    if kind == "plans_rejected_by_own_check":
        return f"plan rejected by its own check: {c} (exit {res.get('exit')})"
    if kind == "accepted_invalid":
        reason = re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", case.expect_reason.split("; ")[0]))[:90]
        return f"accepted invalid input: {c}: exit {res.get('exit')}: {reason}"
    return f"{kind}: {c}"


def write_repro(case: Any, res: dict[str, Any], out: Path, kinds: list[str]) -> Path:
    """``out/repro/<case>/``: the inputs, ``repro.sh`` (runs the executable there), ``case.json``."""
    d = out / "repro" / case.id
    if d.exists():
        shutil.rmtree(d)
    materialise(case, out / "repro")
    (d / "repro.sh").write_text("#!/bin/sh\n# inputs hold fake key-safe codes KSC-<n>-SECRET\n"
                                f'cd "$(dirname "$0")" && exec nachtzorg {shlex.join(case.argv)}\n', encoding="utf-8")
    (d / "repro.sh").chmod(0o755)
    info = {"id": case.id, "command": case.command, "argv": case.argv, "description": case.desc,
            "source": case.source, "subprocess": case.subprocess, "expect_exit": case.expect_exit,
            "failures": kinds, "planted_codes": case.codes, "result": res}
    (d / "case.json").write_text(json.dumps(info, indent=2, ensure_ascii=True), encoding="utf-8")
    return d


def summarise(rows: list[tuple[Any, dict[str, Any]]], *, out: Path | None, timeout: float = HANG_S,
              max_repro: int = 300) -> dict[str, Any]:
    """The campaign's JSON document (counts, classes, first failures) and the repro files."""
    exit_codes: collections.Counter[str] = collections.Counter()
    by_command: dict[str, dict[str, Any]] = {}
    counts = dict.fromkeys(GATING + ("harness_errors",), 0)
    classes: dict[str, dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    accepted: list[dict[str, Any]] = []
    n_accepted = 0
    by_field: collections.Counter[str] = collections.Counter()
    info = dict.fromkeys(("temp_files_left", "files_written_on_traceback", "error_output_over_64k",
                          "cache_files_on_exit_2"), 0)
    slow: list[tuple[float, str, str, str]] = []
    max_wall = 0.0
    repros = 0
    subprocess_cases = 0
    for case, res in sorted(rows, key=lambda r: r[0].id):
        code = "timeout" if res.get("exit") is None else str(res["exit"])
        exit_codes[code] += 1
        bc = by_command.setdefault(case.command, {"cases": 0, "exit_codes": collections.Counter(), "failures": 0})
        bc["cases"] += 1
        bc["exit_codes"][code] += 1
        subprocess_cases += bool(case.subprocess)
        max_wall = max(max_wall, float(res.get("wall_s") or 0))
        kinds = failures_of(case, res, timeout)
        for k in kinds:
            counts[k] += 1
        for fk in sorted({_field_kind(case.codes.get(f[0], ["?"])) for f in res.get("codes_found", [])}):
            by_field[fk] += 1
        bad_accept = accepted_invalid(case, res)
        n_accepted += bad_accept
        written = res.get("written") or []
        info["temp_files_left"] += any(p.endswith(".tmp") for p in written)
        info["files_written_on_traceback"] += bool(res.get("traceback") and written)
        info["error_output_over_64k"] += res.get("exit") == 2 and (res.get("stderr_bytes") or 0) > 65536
        info["cache_files_on_exit_2"] += res.get("exit") == 2 and any(p.startswith(CACHE_DIRS) for p in written)
        slow.append((float(res.get("wall_s") or 0), case.id, case.command, case.desc[:120]))
        labels = kinds + (["accepted_invalid"] if bad_accept else [])
        if not labels:
            continue
        bc["failures"] += bool(kinds)
        repro = None
        if out is not None and repros < max_repro:
            repro = str(write_repro(case, res, out, labels))
            repros += 1
        for k in labels:
            sig = signature(case, res, k)
            cl = classes.setdefault(sig, {"count": 0, "kind": k, "example": case.id, "description": case.desc,
                                          "argv": case.argv, "repro": repro})
            cl["count"] += 1
        entry = {"id": case.id, "command": case.command, "failures": labels, "input": case.desc[:300],
                 "argv": case.argv, "exit": res.get("exit"), "repro": repro}
        if kinds and len(failures) < 50:
            failures.append(entry)
        elif not kinds and len(accepted) < 20:
            accepted.append(entry)
    for bc in by_command.values():
        bc["exit_codes"] = dict(sorted(bc["exit_codes"].items()))
    order = {k: i for i, k in enumerate(GATING + ("harness_errors", "accepted_invalid"))}
    doc = {"cases": len(rows), "subprocess_cases": subprocess_cases, "by_command": dict(sorted(by_command.items())),
           "exit_codes": dict(sorted(exit_codes.items())), **counts,
           "planted_codes_found_by_field": dict(sorted(by_field.items())),
           "accepted_invalid": n_accepted, **info, "max_wall_s": round(max_wall, 2),
           "failure_classes": sorted(({"class": s, **v} for s, v in classes.items()),
                                     key=lambda c: (order.get(c["kind"], 99), -c["count"])),
           "slowest": [{"id": i, "command": c, "wall_s": w, "input": d} for w, i, c, d in sorted(slow, reverse=True)[:5]],
           "failures": failures, "accepted_invalid_examples": accepted,
           "repro_dir": str(out / "repro") if out is not None else None}
    return doc


def gating_ok(doc: dict[str, Any]) -> bool:
    return all(doc[k] == 0 for k in GATING + ("harness_errors",))


def run_campaign(*, cases: int, seed: int = 0, workers: int = 2, out: Path | None = None, timeout: float = HANG_S,
                 subprocess_share: float = 0.1, small: bool = False, niceness: int = 10,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Build the seeds and ``cases`` cases for ``seed``, run them, and return the JSON summary."""
    from nachtzorg.cli import main

    t0 = time.perf_counter()
    pools = inputs.build_pools(small=small, hypothesis_cases=min(max(cases // 3, 1), 1500), seed=seed, main=main)
    t_seed = time.perf_counter() - t0
    gen = (inputs.make_case(i, seed, pools, subprocess_share=subprocess_share) for i in range(cases))
    rows = []
    for case, res in run_cases(gen, workers=workers, timeout=timeout, niceness=niceness):
        rows.append((case, res))
        if progress:
            progress(len(rows), cases)
    doc = summarise(rows, out=out, timeout=timeout)
    doc["seed"] = seed
    doc["setup_s"] = round(t_seed, 1)
    doc["wall_s"] = round(time.perf_counter() - t0, 1)
    return doc


# ---------------------------------------------------------------------------------------------
# a stand-in command line for the harness's own tests


def selftest_main(argv: list[str]) -> int:
    """Misbehaves on purpose, by ``argv[0]``: ``echo FILE`` prints the file, ``raise``, ``sleep S``,
    ``write2`` writes a file and exits 2, ``ok``."""
    what = argv[0]
    if what == "echo":
        print(Path(argv[1]).read_text(encoding="utf-8"))
        return 0
    if what == "raise":
        raise ZeroDivisionError("fuzz self-test")
    if what == "sleep":
        time.sleep(float(argv[1]))
        return 0
    if what == "write2":
        Path("out").mkdir(exist_ok=True)
        Path("out/half.csv").write_text("a,b\n", encoding="utf-8")
        print("error: bad input", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2, help="worker processes (0: run in this process, no timeout)")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "nachtzorg-fuzz"),
                    help="directory for repro files of failing cases (keep it out of the repository)")
    ap.add_argument("--timeout", type=float, default=HANG_S, help="seconds after which a case is a hang")
    ap.add_argument("--subprocess-share", type=float, default=0.1,
                    help="share of cases run as the nachtzorg executable instead of in-process")
    ap.add_argument("--small", action="store_true", help="cheap seeds only")
    ap.add_argument("--nice", type=int, default=10, help="niceness added to the worker processes")
    ap.add_argument("--progress", action="store_true", help="progress on stderr")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--target", default=DEFAULT_TARGET, help=argparse.SUPPRESS)
    ap.add_argument("--capture", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_loop(args.target, args.capture)
        return 0
    out = Path(args.out) / f"seed-{args.seed}"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    def progress(i: int, n: int) -> None:
        if i % 50 == 0 or i == n:
            print(f"{i}/{n}", file=sys.stderr, flush=True)

    doc = run_campaign(cases=args.cases, seed=args.seed, workers=args.workers, out=out, timeout=args.timeout,
                       subprocess_share=args.subprocess_share, small=args.small, niceness=args.nice,
                       progress=progress if args.progress else None)
    doc["command"] = "python benchmarks/fuzz.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    text = json.dumps(doc, indent=2, ensure_ascii=True)
    (out / "summary.json").write_text(text, encoding="utf-8")
    print(text)
    return 0 if gating_ok(doc) else 1


if __name__ == "__main__":
    sys.exit(main())
