"""Headless Chromium for page tests: DOM after scripts ran, a screenshot, the network log.

Chromium is Debian's ``chromium`` package (``.ci/install-browser.sh`` installs it). Tests
skip with the reason when it is absent. Pages load from ``file://`` with every host name
unresolvable, so a page that needs the internet shows it. Set ``NACHTZORG_SCREENSHOTS=DIR``
to keep the PNGs.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.viz.conftest import assen_plan, assen_scenario  # noqa: F401  (shared fixtures)

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--disable-dev-shm-usage"]
#: Hosts Chromium itself talks to (not the page): ignored in network checks.
BROWSER_OWN_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com", "chromium.org")


def find_chromium() -> str | None:
    for c in CANDIDATES:
        if os.access(c, os.X_OK):
            return c
    return shutil.which("chromium")


@dataclass
class Chromium:
    exe: str
    shots: Path

    def _run(self, url: str, extra: list[str], *, offline: bool = True, timeout_s: float = 90) -> str:
        with tempfile.TemporaryDirectory(prefix="nz-chromium-") as profile:
            args = [self.exe, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", *extra]
            if offline:
                args.append("--host-resolver-rules=MAP * ~NOTFOUND")
            proc = subprocess.run([*args, url], capture_output=True, text=True, timeout=timeout_s, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
        return proc.stdout

    def dom(self, page: Path, *, offline: bool = True, size: tuple[int, int] = (1200, 900)) -> str:
        """The serialised DOM after the page's scripts ran, in a window of ``size`` pixels."""
        return self._run(page.resolve().as_uri(), ["--dump-dom", f"--window-size={size[0]},{size[1]}"],
                         offline=offline)

    def evaluate(self, page: Path, expression: str, *, size: tuple[int, int] = (1200, 900)) -> object:
        """The JSON value of a JavaScript ``expression`` evaluated after the page's own scripts.

        A copy of the page gets one more ``<script>`` at its end that stores the value in an
        attribute of ``<html>``; the original page is not changed.
        """
        probe = self.shots / f"probe-{page.name}"
        script = ("<script>document.documentElement.setAttribute('data-nz-probe', "
                  f"JSON.stringify((function(){{ return {expression}; }})()));</script>")
        probe.write_text(page.read_text(encoding="utf-8") + script, encoding="utf-8")
        m = re.search(r'<html[^>]*\sdata-nz-probe="([^"]*)"', self.dom(probe, size=size))
        assert m, "the probe script did not run"
        return json.loads(html.unescape(m.group(1)))

    def screenshot(self, page: Path, name: str, *, size: tuple[int, int] = (1200, 900),
                   offline: bool = True) -> Path:
        """A PNG of the page (kept in $NACHTZORG_SCREENSHOTS when set)."""
        png = self.shots / name
        self._run(page.resolve().as_uri(), [f"--screenshot={png}", f"--window-size={size[0]},{size[1]}"],
                  offline=offline)
        assert png.is_file() and png.stat().st_size > 1000, "no screenshot written"
        keep = os.environ.get("NACHTZORG_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(png, Path(keep) / name)
        return png

    def requested_urls(self, page: Path) -> list[str]:
        """Every URL the page asked for while loading (offline), from Chromium's net log."""
        log = self.shots / f"netlog-{page.stem}.json"
        self._run(page.resolve().as_uri(), [f"--log-net-log={log}", "--dump-dom"])
        text = log.read_text(encoding="utf-8", errors="replace").strip()
        try:
            data = json.loads(text)
        except json.JSONDecodeError:  # a log cut short: close the events list
            data = json.loads(text.rstrip(",") + "]}")
        urls: list[str] = []
        for ev in data.get("events", []):
            url = (ev.get("params") or {}).get("url")
            if isinstance(url, str) and url.startswith(("http:", "https:")):
                host = url.split("/")[2]
                if not any(host == h or host.endswith("." + h) for h in BROWSER_OWN_HOSTS):
                    urls.append(url)
        return sorted(set(urls))


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    exe = find_chromium()
    if exe is None:
        pytest.skip("headless Chromium not found (/usr/bin/chromium); install Debian's 'chromium' "
                    "package, e.g. with .ci/install-browser.sh")
    return Chromium(exe, tmp_path_factory.mktemp("screenshots"))


@contextmanager
def chromium_browser():
    """Debian's headless Chromium driven by Playwright (skips the test when either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (PyPI 'playwright') is not installed")
    exe = find_chromium()
    if exe is None:
        pytest.skip("headless Chromium not found (/usr/bin/chromium); install Debian's 'chromium' package")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=[f for f in FLAGS if f != "--headless"], headless=True)
        yield b
        b.close()
