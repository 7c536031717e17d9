"""Wakes the streams of a night when its log grows (in this process; streams also poll)."""

from __future__ import annotations

import asyncio
import threading


class Broadcaster:
    """``notify(night)`` from any thread; ``await wait(night, timeout)`` in the event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def notify(self, night_id: str) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._wake, night_id)
        except RuntimeError:  # loop closing
            pass

    def _wake(self, night_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(night_id, ()))
        for ev in waiters:
            ev.set()

    def subscribe(self, night_id: str) -> asyncio.Event:
        """An event set on every notify for ``night_id`` (clear it before reading the log)."""
        ev = asyncio.Event()
        with self._lock:
            self._waiters.setdefault(night_id, set()).add(ev)
        return ev

    def unsubscribe(self, night_id: str, ev: asyncio.Event) -> None:
        with self._lock:
            self._waiters.get(night_id, set()).discard(ev)

    async def wait(self, night_id: str, timeout: float) -> bool:
        """True when woken for ``night_id`` within ``timeout`` seconds."""
        ev = asyncio.Event()
        with self._lock:
            self._waiters.setdefault(night_id, set()).add(ev)
        try:
            await asyncio.wait_for(ev.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.get(night_id, set()).discard(ev)
