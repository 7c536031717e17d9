"""A progress line on the terminal while a long step runs (``plan`` and ``share``).

OR-Tools holds Python's interpreter lock while it searches, so a thread in this process could
not draw anything; a small forked process draws the line instead and is stopped when the step
ends. Nothing is drawn when stderr is not a terminal (the nightly batch, pipes, tests).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from types import TracebackType


def _draw(label: str, budget_s: float | None, started: float, fd: int) -> None:  # pragma: no cover - child
    while True:
        elapsed = time.monotonic() - started
        if budget_s:
            done = min(1.0, elapsed / budget_s)
            bar = "#" * int(20 * done) + "." * (20 - int(20 * done))
            text = f"\r{label}: [{bar}] {elapsed:4.0f}/{budget_s:g} s "
        else:
            text = f"\r{label}: {elapsed:4.0f} s "
        try:
            os.write(fd, text.encode("utf-8", "replace"))
        except OSError:
            return
        time.sleep(0.5)


class Ticker:
    """``with Ticker("planning 56 visits", 5.0): ...`` draws ``label: [####....] 2/5 s`` on the
    terminal (stderr) until the block ends, then clears the line."""

    def __init__(self, label: str, budget_s: float | None = None, *, enabled: bool | None = None) -> None:
        self.label = label
        self.budget_s = budget_s
        if enabled is None:
            enabled = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self.enabled = enabled and sys.platform.startswith("linux")
        self._child: multiprocessing.process.BaseProcess | None = None

    def __enter__(self) -> Ticker:
        if self.enabled:
            sys.stderr.flush()
            ctx = multiprocessing.get_context("fork")
            self._child = ctx.Process(target=_draw, args=(self.label, self.budget_s, time.monotonic(),
                                                          sys.stderr.fileno()), daemon=True)
            self._child.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._child is not None:
            self._child.terminate()
            self._child.join(1.0)
            self._child = None
            sys.stderr.write("\r" + " " * (len(self.label) + 40) + "\r")
            sys.stderr.flush()
