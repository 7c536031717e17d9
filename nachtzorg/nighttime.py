"""Times of night: the one place where wall-clock times become integer seconds.

A night starts on the evening of ``date`` and ends the next morning, and sometimes
crosses a daylight-saving change. Every time inside nachtzorg is an integer number of
**seconds since local noon of the night's date** (the *reference*), counted in real
elapsed time (UTC arithmetic), so a visit at 03:30 on the night the clocks go back is
3600 s further from 23:00 than on an ordinary night.

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

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class NightTimeError(ValueError):
    """A time of night that cannot be placed on this night."""


def parse_hhmm(text: str) -> time | None:
    """Return the wall time of an ``HH:MM[:SS]`` string, or ``None`` if it has another form."""
    m = _HHMM.match(text.strip())
    if not m:
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        raise NightTimeError(f"{text!r} is not a time of day (HH:MM, 00:00-23:59)")
    return time(h, mi, s)


def check_time_text(text: str) -> str:
    """Validate the form of a night time (``HH:MM`` or ISO datetime with offset)."""
    if parse_hhmm(text) is not None:
        return text
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise NightTimeError(
            f"{text!r} is neither HH:MM nor an ISO datetime such as 2026-11-23T02:00:00+01:00"
        ) from None
    if dt.tzinfo is None:
        raise NightTimeError(f"{text!r} has no UTC offset; write HH:MM or add an offset (+01:00)")
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
        except (ZoneInfoNotFoundError, ValueError):
            raise NightTimeError(f"unknown time zone {self.tz_name!r}") from None

    @property
    def reference(self) -> datetime:
        """Local noon of the night's date (aware); second 0 of the night's clock."""
        return datetime.combine(self.night_date, time(12, 0), tzinfo=self.tz)

    def to_seconds(self, text: str) -> int:
        """Seconds since the reference for an ``HH:MM`` or ISO time (real elapsed seconds)."""
        wall = parse_hhmm(text)
        if wall is None:
            dt = datetime.fromisoformat(check_time_text(text))
            return self.datetime_to_seconds(dt)
        day = self.night_date if wall.hour >= 12 else self.night_date + timedelta(days=1)
        local = datetime.combine(day, wall, tzinfo=self.tz)
        # A wall time skipped by a spring-forward change does not exist on this night.
        roundtrip = local.astimezone(timezone.utc).astimezone(self.tz)
        if roundtrip.replace(tzinfo=None) != local.replace(tzinfo=None):
            raise NightTimeError(
                f"{text} does not exist on the night of {self.night_date} in {self.tz_name} "
                "(the clocks skip it)"
            )
        return self.datetime_to_seconds(local)

    def datetime_to_seconds(self, dt: datetime) -> int:
        if dt.tzinfo is None:
            raise NightTimeError(f"{dt.isoformat()} has no time zone")
        delta = dt.astimezone(timezone.utc) - self.reference.astimezone(timezone.utc)
        return int(round(delta.total_seconds()))

    def to_datetime(self, seconds: int | float) -> datetime:
        """The aware local datetime ``seconds`` after the reference."""
        utc = self.reference.astimezone(timezone.utc) + timedelta(seconds=float(seconds))
        return utc.astimezone(self.tz)

    def label(self, seconds: int | float) -> str:
        """``HH:MM`` wall time for people (route sheets, messages)."""
        return self.to_datetime(seconds).strftime("%H:%M")
