"""Times of night: the one place where wall-clock times become integer seconds.

A night starts on the evening of ``date`` and ends the next morning, and sometimes
crosses a daylight-saving change. Every time inside nachtzorg is an integer number of
**seconds since local noon of the night's date** (the *reference*), counted in real
elapsed time (UTC arithmetic), so a visit at 03:30 on the night the clocks go back is
3600 s further from 23:00 than on an ordinary night.

On the night the clocks go forward, wall times in the skipped hour (02:00-02:59 in Europe)
do not exist. A standing schedule ("turn at 02:30") is planned at the same real time, which
the clocks then show as 03:30 (:meth:`NightClock.skipped` names such times for a warning).
On the night they go back, a wall time of the repeated hour means its first occurrence.

Accepted inputs:
- ``"HH:MM"`` (or ``"HH:MM:SS"``): local wall time; hours 12–23 are on the evening of
  ``date``, hours 00–11 on the next morning.
- an ISO 8601 datetime with an offset (``"2026-11-23T02:00:00+01:00"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .exceptions import InputError

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class NightTimeError(InputError):
    """A time of night that cannot be placed on this night."""


def parse_hhmm(text: str) -> time | None:
    """Return the wall time of an ``HH:MM[:SS]`` string, or ``None`` if it has another form."""
    m = _HHMM.match(text.strip())
    if not m:
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        raise NightTimeError(f"{text[:40]!r} is not a time of day (HH:MM, 00:00-23:59)")
    return time(h, mi, s)


def check_time_text(text: str) -> str:
    """Validate the form of a night time (``HH:MM`` or ISO datetime with offset)."""
    if parse_hhmm(text) is not None:
        return text
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise NightTimeError(
            f"{text[:40]!r} is neither HH:MM nor an ISO datetime such as 2026-11-23T02:00:00+01:00"
        ) from None
    if dt.tzinfo is None:
        raise NightTimeError(f"{text[:40]!r} has no UTC offset; write HH:MM or add an offset (+01:00)")
    return text


@dataclass(frozen=True)
class NightClock:
    """Converts between wall times of one night and integer seconds since its reference."""

    night_date: date
    tz_name: str = "Europe/Amsterdam"

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise NightTimeError(f"unknown time zone {self.tz_name[:64]!r}") from None

    @property
    def reference(self) -> datetime:
        """Local noon of the night's date (aware); second 0 of the night's clock."""
        return datetime.combine(self.night_date, time(12, 0), tzinfo=self.tz)

    def _wall(self, text: str) -> datetime | None:
        """The aware local datetime of an ``HH:MM`` text on this night (None for other forms)."""
        wall = parse_hhmm(text)
        if wall is None:
            return None
        try:
            day = self.night_date if wall.hour >= 12 else self.night_date + timedelta(days=1)
        except OverflowError:
            raise NightTimeError(f"{text} is past the last date a night can have") from None
        return datetime.combine(day, wall, tzinfo=self.tz)

    def to_seconds(self, text: str) -> int:
        """Seconds since the reference for an ``HH:MM`` or ISO time (real elapsed seconds); a
        wall time the clocks skip counts at the same real time (module docstring)."""
        local = self._wall(text)
        if local is None:
            dt = datetime.fromisoformat(check_time_text(text))
            return self.datetime_to_seconds(dt)
        return self.datetime_to_seconds(local)

    def skipped(self, text: str) -> str | None:
        """For an ``HH:MM`` wall time the clocks skip on this night, the time the clocks show
        when it is planned (``"03:30"`` for ``"02:30"``); else None."""
        local = self._wall(text)
        if local is None:
            return None
        shown = local.astimezone(timezone.utc).astimezone(self.tz)
        if shown.replace(tzinfo=None) == local.replace(tzinfo=None):
            return None
        return shown.strftime("%H:%M")

    def window_seconds(self, start: str, end: str) -> tuple[int, int]:
        """A window's start and end, seconds; a start the clocks skip that would then fall after
        the end (02:59-03:03 on the night they go forward) starts at the end instead."""
        a, b = self.to_seconds(start), self.to_seconds(end)
        return (b if a > b and self.skipped(start) else a), b

    def datetime_to_seconds(self, dt: datetime) -> int:
        if dt.tzinfo is None:
            raise NightTimeError(f"{dt.isoformat()[:40]} has no time zone")
        try:
            delta = dt.astimezone(timezone.utc) - self.reference.astimezone(timezone.utc)
        except OverflowError:
            raise NightTimeError(f"{dt.isoformat()[:40]} is too far from the night of {self.night_date}") from None
        return int(round(delta.total_seconds()))

    def to_datetime(self, seconds: int | float) -> datetime:
        """The aware local datetime ``seconds`` after the reference."""
        try:
            utc = self.reference.astimezone(timezone.utc) + timedelta(seconds=float(seconds))
            return utc.astimezone(self.tz)
        except (OverflowError, ValueError):
            raise NightTimeError(f"{seconds} s is too far from the night of {self.night_date}") from None

    def label(self, seconds: int | float) -> str:
        """``HH:MM`` wall time for people (route sheets, messages)."""
        return self.to_datetime(seconds).strftime("%H:%M")
