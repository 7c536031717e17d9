"""Run a local OSRM server: for the tests, the benchmarks and small deployments.

- :func:`osrm_binaries` finds the OSRM programs (``osrm-extract``, ``osrm-partition``,
  ``osrm-customize``, ``osrm-routed``): ``$NACHTZORG_OSRM_BIN``, else a per-user cache that is
  filled from the ``osrm-bindings`` wheel on PyPI (the wheel ships the programs and the Lua
  profiles; it is unpacked, not installed, so any Python version can use it).
- :func:`build_osrm` turns an OSM file into MLD routing data with a data version, so that
  :meth:`~nachtzorg.travel.osrm.OsrmTravel.cache_key` changes when the network does.
- :class:`OsrmServer` runs ``osrm-routed`` on 127.0.0.1 as a context manager and never leaves
  the process behind.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from ..exceptions import NachtzorgError

#: The osrm-bindings release whose programs are used (one place to change it).
OSRM_BINDINGS_VERSION = "26.10.0"
#: The programs needed to build MLD data and serve it.
PROGRAMS = ("osrm-extract", "osrm-partition", "osrm-customize", "osrm-routed")
#: Environment variable naming a directory that holds the programs (skips the download).
BIN_ENV = "NACHTZORG_OSRM_BIN"


class OsrmUnavailable(NachtzorgError, RuntimeError):
    """The OSRM programs cannot be had here, or a server cannot be started."""


class OsrmBuildError(NachtzorgError, RuntimeError):
    """Building OSRM routing data failed (the message holds the tail of the program's output)."""


def _exe(name: str) -> str:
    return name + ".exe" if sys.platform == "win32" else name


def _has_programs(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / _exe(p), os.X_OK) for p in PROGRAMS)


def default_osrm_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/nachtzorg/osrm-bindings``, else ``~/.cache/nachtzorg/osrm-bindings``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nachtzorg" / "osrm-bindings"


def _platform_args() -> tuple[str, list[str]]:
    """A tag naming the cache entry and pip's ``--platform`` arguments for this machine."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if sys.platform.startswith("linux") and machine in ("x86_64", "aarch64"):
        tag = f"manylinux_2_28_{machine}"
        return tag, ["--platform", tag]
    return f"{sys.platform}-{machine}", []  # let pip pick this machine's own wheel, if there is one


def _tail(text: str | bytes, lines: int = 15) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return "\n".join(text.strip().splitlines()[-lines:])


def osrm_binaries(cache_dir: str | Path | None = None, fetch: bool = True) -> Path:
    """The directory holding the OSRM programs.

    ``$NACHTZORG_OSRM_BIN`` if set (it must hold them); else ``cache_dir`` (default
    :func:`default_osrm_cache_dir`), which is filled when empty and ``fetch`` is true by
    downloading the ``osrm-bindings`` wheel with pip and unpacking it. Raises
    :class:`OsrmUnavailable` with the reason when the programs cannot be had.
    """
    env = os.environ.get(BIN_ENV)
    if env:
        bin_dir = Path(env).expanduser().resolve()
        if not _has_programs(bin_dir):
            missing = [p for p in PROGRAMS if not os.access(bin_dir / _exe(p), os.X_OK)]
            raise OsrmUnavailable(f"${BIN_ENV}={env} lacks the executable programs {', '.join(missing)}")
        return bin_dir
    tag, platform_args = _platform_args()
    root = (Path(cache_dir).expanduser() if cache_dir else default_osrm_cache_dir()).resolve()
    target = root / f"{OSRM_BINDINGS_VERSION}-{tag}"
    bin_dir = target / "osrm" / "bin"
    if _has_programs(bin_dir):
        return bin_dir
    if not fetch:
        raise OsrmUnavailable(f"the OSRM programs are not in {target} and fetching them is off; "
                              f"set ${BIN_ENV} to a directory that holds {', '.join(PROGRAMS)}")
    _fetch(target, platform_args)
    return bin_dir


def _fetch(target: Path, platform_args: list[str]) -> None:
    """Download the osrm-bindings wheel, unpack its programs and profiles, move into ``target``."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
    except OSError as e:
        raise OsrmUnavailable(f"cannot create the OSRM cache directory {target.parent}: {e}") from None
    try:
        wheel_dir = tmp / "wheel"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--python-version", "3.12", *platform_args, "--disable-pip-version-check", "--quiet",
               f"osrm-bindings=={OSRM_BINDINGS_VERSION}", "-d", str(wheel_dir)]
        try:
            r = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise OsrmUnavailable(f"cannot run pip to download osrm-bindings=={OSRM_BINDINGS_VERSION}: {e}") from None
        wheels = sorted(wheel_dir.glob("osrm_bindings-*.whl")) if r.returncode == 0 else []
        if not wheels:
            raise OsrmUnavailable(f"pip could not download osrm-bindings=={OSRM_BINDINGS_VERSION} "
                                  f"(exit {r.returncode}):\n{_tail(r.stderr or r.stdout)}")
        unpacked = tmp / "unpacked"
        try:
            with zipfile.ZipFile(wheels[0]) as z:
                for member in z.namelist():
                    if not member.startswith(("osrm/bin/", "osrm/share/")) or member.endswith("/"):
                        continue
                    dest = (unpacked / member).resolve()
                    if not dest.is_relative_to(unpacked.resolve()):
                        raise OsrmUnavailable(f"unsafe path {member!r} in {wheels[0].name}")
                    z.extract(member, unpacked)
        except (zipfile.BadZipFile, OSError) as e:
            raise OsrmUnavailable(f"cannot unpack {wheels[0].name}: {e}") from None
        bin_dir = unpacked / "osrm" / "bin"
        for prog in bin_dir.iterdir() if bin_dir.is_dir() else ():
            prog.chmod(prog.stat().st_mode | 0o755)
        if not _has_programs(bin_dir):
            raise OsrmUnavailable(f"{wheels[0].name} does not hold the programs {', '.join(PROGRAMS)}")
        try:
            check = subprocess.run([str(bin_dir / _exe("osrm-routed")), "--version"], check=False,
                                   capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise OsrmUnavailable(f"the OSRM programs of {wheels[0].name} do not run here: {e}") from None
        if check.returncode != 0:
            raise OsrmUnavailable(f"the OSRM programs of {wheels[0].name} do not run here "
                                  f"(exit {check.returncode}):\n{_tail(check.stderr or check.stdout)}")
        shutil.rmtree(wheel_dir)
        if target.exists() and not _has_programs(target / "osrm" / "bin"):
            shutil.rmtree(target, ignore_errors=True)  # a broken entry from an older layout
        try:
            os.rename(unpacked, target)
        except OSError:
            if not _has_programs(target / "osrm" / "bin"):  # else another process was quicker
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def profile_path(profile: str | Path, bin_dir: Path) -> Path:
    """The Lua file of ``profile``: a path to a ``.lua`` file, or a name (``car``, ``bicycle``,
    ``foot``) looked up in the profiles shipped next to ``bin_dir``."""
    p = Path(profile)
    if p.suffix == ".lua":
        if not p.is_file():
            raise OsrmBuildError(f"profile file {p} does not exist")
        return p
    for d in ("share/profiles", "share/osrm/profiles", "share/osrm-backend/profiles", "profiles"):
        candidate = bin_dir.parent / d / f"{profile}.lua"
        if candidate.is_file():
            return candidate
    raise OsrmBuildError(f"no profile {profile!r} next to {bin_dir} (looked in {bin_dir.parent}/share/profiles); "
                         "pass the path of a .lua profile")


def default_data_version(osm_path: str | Path, profile_lua: str | Path) -> str:
    """A data version from a hash of the OSM file, the profile and the OSRM release: it changes
    whenever the routing data would."""
    h = hashlib.sha256(f"osrm-bindings {OSRM_BINDINGS_VERSION}\n".encode())
    h.update(Path(profile_lua).read_bytes())
    with open(osm_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "nz-" + h.hexdigest()[:16]


def _exit_text(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit {rc}"


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    try:
        r = subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise OsrmBuildError(f"cannot run {Path(cmd[0]).name}: {e}") from None
    if r.returncode != 0:
        code = _exit_text(r.returncode)
        out = r.stdout.decode("utf-8", "replace")
        errors = [ln for ln in out.splitlines() if "[error]" in ln]  # OSRM logs errors to stdout
        detail = "\n".join(x for x in (_tail("\n".join(errors) or (out if not r.stderr.strip() else "")),
                                       _tail(r.stderr)) if x)
        raise OsrmBuildError(f"{Path(cmd[0]).name} failed ({code}) on {what}:\n{detail or '(no output)'}")


def build_osrm(osm_path: str | Path, out_dir: str | Path, profile: str | Path = "car",
               bin_dir: str | Path | None = None, data_version: str | None = None) -> Path:
    """Build MLD routing data for ``osm_path`` (``.osm``, ``.osm.pbf``, ``.osm.bz2``) in ``out_dir``.

    Runs osrm-extract (with ``profile`` and ``data_version``, default
    :func:`default_data_version`), osrm-partition and osrm-customize. Returns the ``.osrm`` base
    path to give :class:`OsrmServer`. Raises :class:`OsrmBuildError` with the tail of the
    program's output on failure.
    """
    osm_path = Path(osm_path)
    if not osm_path.is_file():
        raise OsrmBuildError(f"OSM file {osm_path} does not exist")
    bins = Path(bin_dir).resolve() if bin_dir is not None else osrm_binaries()
    lua = profile_path(profile, bins).resolve()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = osm_path.name
    for suffix in (".bz2", ".pbf", ".osm", ".xml"):
        name = name.removesuffix(suffix)
    base = out.resolve() / f"{name or 'map'}.osrm"
    version = data_version if data_version is not None else default_data_version(osm_path, lua)
    extract = [str(bins / _exe("osrm-extract")), "-p", str(lua), "-o", str(base), str(osm_path.resolve())]
    if version:
        extract[1:1] = ["--data_version", version]
    _run(extract, out, str(osm_path))
    _run([str(bins / _exe("osrm-partition")), str(base)], out, str(base))
    _run([str(bins / _exe("osrm-customize")), str(base)], out, str(base))
    return base


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _terminate(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class OsrmServer:
    """``osrm-routed`` (MLD) on 127.0.0.1 serving ``osrm_base``; a context manager.

    ``port=None`` picks a free port. :meth:`start` returns once the server answers HTTP (or
    raises :class:`OsrmUnavailable` with its output); :meth:`stop` ends it by process id. The
    process is also ended when the object is collected or the interpreter exits.
    """

    def __init__(self, osrm_base: str | Path, bin_dir: str | Path | None = None, port: int | None = None,
                 max_table_size: int = 100, startup_timeout_s: float = 60.0, extra_args: Sequence[str] = ()) -> None:
        self.osrm_base = Path(osrm_base)
        self.bin_dir = Path(bin_dir).resolve() if bin_dir is not None else None
        self.port = port
        self.max_table_size = max_table_size
        self.startup_timeout_s = startup_timeout_s
        self.extra_args = list(extra_args)
        self.pid: int | None = None  # of the last process started; kept after stop() for inspection
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._finalizer: weakref.finalize | None = None
        self._port_used: int | None = None

    @property
    def url(self) -> str:
        if self._proc is None or self._port_used is None:
            raise OsrmUnavailable("the OSRM server is not running")
        return f"http://127.0.0.1:{self._port_used}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start ``osrm-routed`` and wait until it answers; a no-op when already running."""
        if self.running:
            return self
        self.stop()
        if not Path(f"{self.osrm_base}.mldgr").is_file():
            raise OsrmUnavailable(f"no MLD routing data at {self.osrm_base} (build it with build_osrm)")
        bins = self.bin_dir if self.bin_dir is not None else osrm_binaries()
        attempts = 3 if self.port is None else 1
        for attempt in range(attempts):
            port = self.port if self.port is not None else _free_port()
            try:
                self._launch(bins, port)
                self._wait_ready()
                return self
            except BaseException as e:
                log_text = self._log_tail()
                self.stop()
                if attempt + 1 < attempts and isinstance(e, OsrmUnavailable) and "in use" in log_text.lower():
                    continue  # another process took the free port first
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _launch(self, bins: Path, port: int) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process, closed by stop()
        cmd = [str(bins / _exe("osrm-routed")), "--algorithm", "mld", "--ip", "127.0.0.1", "--port", str(port),
               "--max-table-size", str(self.max_table_size), *self.extra_args, str(self.osrm_base)]
        try:
            self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as e:
            raise OsrmUnavailable(f"cannot run {cmd[0]}: {e}") from None
        self.pid = self._proc.pid
        self._port_used = port
        self._finalizer = weakref.finalize(self, _terminate, self._proc)

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.flush()
            self._log.seek(0)
            return _tail(self._log.read(), 20)
        except (OSError, ValueError):
            return ""

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout_s
        probe = f"{self.url}/nearest/v1/driving/0,0?generate_hints=false"
        while True:
            rc = self._proc.poll()
            if rc is not None:
                raise OsrmUnavailable(f"osrm-routed failed ({_exit_text(rc)}) while starting on {self.osrm_base}:\n"
                                      f"{self._log_tail()}")
            try:
                with urllib.request.urlopen(probe, timeout=0.25):
                    return
            except urllib.error.HTTPError:
                return  # an answer, even an error answer, means it serves
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise OsrmUnavailable(f"osrm-routed did not answer within {self.startup_timeout_s:g} s:\n"
                                      f"{self._log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop within 5 s) and wait for it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _terminate(proc)
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self.url}" if self.running else "stopped"
        return f"OsrmServer({str(self.osrm_base)!r}, {state})"
