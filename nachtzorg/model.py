"""The scenario of one night: organisations, clients, planned visits, shifts (pydantic v2).

Units in the JSON: durations in **minutes**, money in **euros**, coordinates in decimal
degrees (WGS84), times of night as ``HH:MM`` local wall time (see :mod:`nachtzorg.nighttime`)
or ISO datetimes with an offset. Models are frozen and reject unknown fields, so a typo in a
field name is an error rather than a silently ignored setting.

Privacy: a client has only a pseudonymous ``id``; there is no field for a name or address.
``key_safe_code`` is a secret: it is never printed, logged or written to any output.
"""

from __future__ import annotations

import json
from collections import Counter
import datetime as _dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .base import Frozen as _Frozen
from .nighttime import NightClock, NightTimeError, check_time_text

Id = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
          description="Pseudonymous identifier (letters, digits, _ . -)"),
]
NightTime = Annotated[
    str, AfterValidator(check_time_text),
    Field(max_length=40, description="Local time of night HH:MM (00-11 = next morning) or ISO datetime with offset"),
]
Qualification = Annotated[int, Field(ge=1, le=5, description="Qualification level 1-5 (4/5: registered nurse)")]
Skill = Annotated[
    str,
    Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
          description="A skill a visit needs and a nurse has, e.g. 'wound_care' (letters, digits, _ . -)"),
]

#: The longest night a scenario may describe, in hours (shifts and windows must fit).
MAX_NIGHT_HOURS = 24
#: What a key-safe code typed into an access note becomes on every output.
REDACTED = "[code removed]"
#: Field names that hold secrets (never echoed, never scrubbed themselves).
SECRET_FIELDS = frozenset({"key_safe_code"})


def secrets_of(data: Any) -> list[str]:
    """Every key-safe code in raw scenario data (a dict from JSON), longest first."""
    out: set[str] = set()
    try:
        for c in data.get("clients", []) if isinstance(data, dict) else []:
            code = c.get("key_safe_code") if isinstance(c, dict) else None
            if isinstance(code, (str, int)) and not isinstance(code, bool) and len(str(code)) >= 2:
                out.add(str(code))
    except (AttributeError, TypeError):
        return []
    return sorted(out, key=len, reverse=True)


def scrub(value: Any, codes: list[str], depth: int = 0) -> Any:
    """``value`` with every code in every string replaced by :data:`REDACTED` (secret fields kept)."""
    if depth > 64:
        return value
    if isinstance(value, str):
        for code in codes:
            value = value.replace(code, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: (v if k in SECRET_FIELDS else scrub(v, codes, depth + 1)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, codes, depth + 1) for v in value]
    return value
#: Upper bounds of money fields, euros: far above any real night, and low enough that every
#: sum the solver forms stays inside its 64-bit integers (micro-euros).
MAX_SHIFT_EUR = 100_000.0
MAX_PENALTY_EUR = 1_000_000.0
MAX_RATE_EUR = 10_000.0  # per minute of lateness, per km


class LatLon(_Frozen):
    """A point in WGS84 decimal degrees."""

    lat: float = Field(ge=-90, le=90, description="Latitude, degrees")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees")


class Organisation(_Frozen):
    """A home-care organisation that shares the night team."""

    id: Id
    name: str = Field(min_length=1, max_length=200)


class Client(_Frozen):
    """A client at home; only a pseudonym identifies her."""

    id: Id
    organisation: Id
    location: LatLon
    access_note: str | None = Field(
        default=None, max_length=300,
        description="How to get in, printed on route sheets (never the key-safe code)",
    )
    key_safe_code: SecretStr | None = Field(default=None, description="Never written to any output")
    excluded_nurses: list[Id] = Field(default_factory=list, max_length=100,
                                      description="Nurses (pseudonymous ids) this client must not get")
    preferred_nurses: list[Id] = Field(default_factory=list, max_length=100,
                                       description="Nurses this client prefers (continuity of care)")
    preference_cost_eur: float = Field(default=10.0, ge=0, le=MAX_PENALTY_EUR,
                                       description="Cost of a visit by a nurse not among preferred_nurses, euros")


class TimeWindow(_Frozen):
    """When a visit may start: ``start`` <= start of care <= ``end`` (local times of night)."""

    start: NightTime
    end: NightTime


class Dependency(_Frozen):
    """This visit starts between ``min_gap_min`` and ``max_gap_min`` after ``visit`` starts,
    by the ``same`` nurse, a ``different`` one, or ``any``. Binds when both are served."""

    visit: Id
    min_gap_min: float = Field(default=0.0, ge=0, le=MAX_NIGHT_HOURS * 60, description="Minutes, at least")
    max_gap_min: float | None = Field(default=None, ge=0, le=MAX_NIGHT_HOURS * 60,
                                      description="Minutes, at most (none: no upper bound)")
    nurse: Literal["any", "same", "different"] = "any"

    @model_validator(mode="after")
    def _gaps(self) -> Dependency:
        if self.max_gap_min is not None and self.max_gap_min < self.min_gap_min:
            raise ValueError(f"max_gap_min ({self.max_gap_min:g}) is below min_gap_min ({self.min_gap_min:g})")
        return self


class Visit(_Frozen):
    """A planned visit. Its start must lie in one of ``windows`` (the last may be exceeded
    by at most ``max_lateness_min``, at ``lateness_cost_per_min_eur`` per minute)."""

    id: Id
    client: Id
    windows: list[TimeWindow] = Field(min_length=1)
    duration_min: float = Field(gt=0, le=8 * 60, description="Care duration, minutes")
    qualification: Qualification = 3
    skills: list[Skill] = Field(default_factory=list, max_length=20,
                                description="Skills the nurse needs, all of them (besides the level)")
    nurses: Literal[1, 2] = Field(default=1, description="2 = both nurses start together (dubbele zorg)")
    after: list[Dependency] = Field(default_factory=list, max_length=10,
                                    description="Visits this one follows, with the gap and which nurse")
    care: str | None = Field(default=None, max_length=80, description="Kind of care, e.g. 'medication'")
    priority: int = Field(default=1, ge=1, le=10, description="Higher is dropped last when the night is full")
    optional: bool = Field(default=False, description="May be skipped at cost penalty_eur")
    penalty_eur: float | None = Field(default=None, ge=0, le=MAX_PENALTY_EUR,
                                      description="Cost of skipping an optional visit, euros")
    max_lateness_min: float = Field(default=0, ge=0, le=MAX_NIGHT_HOURS * 60, description="Hard cap on lateness, minutes")
    lateness_cost_per_min_eur: float | None = Field(default=None, ge=0, le=MAX_RATE_EUR,
                                                    description="Cost of lateness, euros per minute")

    @model_validator(mode="after")
    def _penalty(self) -> Visit:
        if self.optional and self.penalty_eur is None:
            raise ValueError("an optional visit needs penalty_eur (the cost of skipping it)")
        if not self.optional and self.penalty_eur is not None:
            raise ValueError("penalty_eur is only for optional visits (set optional: true)")
        return self


class Break(_Frozen):
    """A break of ``duration_min`` that starts between ``earliest_start`` and ``latest_start``,
    taken anywhere (in the car, or while waiting at a door), never during care."""

    duration_min: float = Field(gt=0, le=240, description="Minutes")
    earliest_start: NightTime
    latest_start: NightTime


class Shift(_Frozen):
    """One nurse's night shift: where and when she starts and ends, and what she costs."""

    id: Id
    nurse: Id | None = Field(default=None, description="The nurse's pseudonymous id (default: the shift id); "
                                                       "clients name nurses by it")
    qualification: Qualification
    skills: list[Skill] = Field(default_factory=list, max_length=50, description="The nurse's skills")
    start_location: LatLon
    end_location: LatLon | None = Field(default=None, description="Defaults to start_location")
    start_time: NightTime
    end_time: NightTime
    cost_per_shift_eur: float = Field(default=450.0, ge=0, le=MAX_SHIFT_EUR, description="Cost of the shift if used, euros")
    cost_per_km_eur: float = Field(default=0.30, ge=0, le=MAX_RATE_EUR, description="Cost per km driven, euros")
    breaks: list[Break] = Field(default_factory=list, max_length=10, description="Breaks the nurse takes if she works")
    overtime_max_min: float = Field(default=0, ge=0, le=8 * 60, description="How long the shift may run over its end")
    overtime_cost_per_min_eur: float = Field(default=0, ge=0, le=MAX_RATE_EUR, description="Cost of overtime, per minute")

    @property
    def nurse_id(self) -> str:
        """The nurse's pseudonymous id (the shift id when none is given)."""
        return self.nurse or self.id

    @property
    def end_point(self) -> LatLon:
        return self.end_location or self.start_location


class _TravelCommon(_Frozen):
    cache_dir: str | None = Field(
        default=None, description="Directory of the on-disk travel-matrix cache; none = no cache")


class StraightLineSettings(_TravelCommon):
    """Straight-line travel: great-circle distance x ``detour_factor`` at ``speed_kmh``."""

    provider: Literal["straight_line"] = "straight_line"
    speed_kmh: float = Field(default=45.0, gt=1, le=150)
    detour_factor: float = Field(default=1.35, ge=1.0, le=3.0)


class RoadGraphSettings(_TravelCommon):
    """Fastest paths over a road graph read from an OSM XML extract or a GraphML file."""

    provider: Literal["road_graph"] = "road_graph"
    graph: str = Field(min_length=1, description=(
        "Path of a .osm/.xml OpenStreetMap extract or a .graphml road graph; "
        "relative to the scenario file when read by the command line"))
    speeds_kmh: dict[str, Annotated[float, Field(gt=1, le=150)]] = Field(
        default_factory=dict,
        description="Speed per OSM highway type (km/h) for roads without a maxspeed tag")
    default_speed_kmh: float = Field(default=30.0, gt=1, le=150,
                                     description="Speed of road types without maxspeed nor an entry in speeds_kmh")
    max_snap_m: float = Field(default=500.0, gt=0, description="Farthest a point may lie from a road node, metres")
    access_speed_kmh: float = Field(default=15.0, gt=1, le=150,
                                    description="Speed from a point to its nearest road node (drive, park, walk)")


class OsrmSettings(_TravelCommon):
    """Travel times from an OSRM server's table service."""

    provider: Literal["osrm"] = "osrm"
    url: str = Field(pattern=r"^https?://", description="Base address of the server, e.g. http://127.0.0.1:5000")
    profile: str = Field(default="driving", pattern=r"^[A-Za-z0-9_\-]+$")
    timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one request, seconds")
    retries: int = Field(default=2, ge=0, le=10, description="Retries of a failed request")
    max_table_size: int = Field(default=100, ge=2, description="The server's --max-table-size")
    max_snap_m: float = Field(default=500.0, gt=0, description="Farthest a point may lie from a road, metres")


NonNegative = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


class MatrixSettings(_TravelCommon):
    """Travel times and distances given as matrices over a list of places (what a user gets
    from their own routing service). Every client and shift place must be one of ``locations``
    (the same coordinates); row ``i`` of each matrix is ``locations[i]``."""

    provider: Literal["matrix"] = "matrix"
    locations: list[LatLon] = Field(min_length=1, max_length=5000)
    duration_s: list[list[NonNegative]] = Field(description="Driving time from row to column place, seconds")
    distance_m: list[list[NonNegative]] = Field(description="Driving distance from row to column place, metres")

    @model_validator(mode="after")
    def _square(self) -> MatrixSettings:
        n = len(self.locations)
        for name in ("duration_s", "distance_m"):
            rows = getattr(self, name)
            if len(rows) != n or any(len(r) != n for r in rows):
                raise ValueError(f"{name} must be {n} x {n}, one row and column per location")
        if len({(p.lat, p.lon) for p in self.locations}) != n:
            raise ValueError("locations must be distinct")
        return self


def _travel_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("provider", "straight_line")
    return getattr(value, "provider", None)


TravelSettings = Annotated[
    Annotated[StraightLineSettings, Tag("straight_line")]
    | Annotated[RoadGraphSettings, Tag("road_graph")]
    | Annotated[OsrmSettings, Tag("osrm")]
    | Annotated[MatrixSettings, Tag("matrix")],
    Discriminator(_travel_kind, custom_error_type="travel_provider",
                  custom_error_message="unknown travel provider: use straight_line, road_graph, osrm or matrix"),
]
"""Where travel times come from: ``provider`` is straight_line (default), road_graph, osrm or matrix."""


class Scenario(_Frozen):
    """Everything needed to plan one night."""

    name: str = Field(default="night", max_length=200)
    date: _dt.date = Field(ge=_dt.date(1970, 1, 1), le=_dt.date(2999, 12, 30),
                           description="Date of the evening on which the night starts")
    timezone: str = Field(default="Europe/Amsterdam", min_length=1, max_length=64,
                          description="IANA time zone of the region")
    organisations: list[Organisation] = Field(min_length=1)
    clients: list[Client] = Field(min_length=1)
    visits: list[Visit] = Field(min_length=1)
    shifts: list[Shift] = Field(min_length=1)
    travel: TravelSettings = StraightLineSettings()
    lateness_cost_per_min_eur: float = Field(default=2.0, ge=0, le=MAX_RATE_EUR,
                                             description="Default for visits, euros per minute")
    max_lateness_cost_per_min_eur: float = Field(
        default=0.0, ge=0, le=MAX_RATE_EUR,
        description="Cost per minute of the largest lateness of the night (no single client waits very long)")

    @property
    def clock(self) -> NightClock:
        return NightClock(self.date, self.timezone)

    @model_validator(mode="before")
    @classmethod
    def _no_codes_in_text(cls, data: Any) -> Any:
        """A key-safe code typed into any text (a note, a care label, a name) is blanked out
        before anything else reads the scenario, so no output can carry it."""
        codes = secrets_of(data)
        return scrub(data, codes) if codes else data

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        errors = _semantic_errors(self)
        if errors:
            raise ValidationError.from_exception_data("Scenario", errors)
        return self

    # ------------------------------------------------------------------ helpers
    def client(self, client_id: str) -> Client:
        return self._clients[client_id]

    @property
    def _clients(self) -> dict[str, Client]:
        return {c.id: c for c in self.clients}

    def restricted_to(self, organisation_ids: set[str] | frozenset[str]) -> Scenario:
        """The same night with only the given organisations' clients and visits."""
        clients = [c for c in self.clients if c.organisation in organisation_ids]
        keep = {c.id for c in clients}
        return self.model_copy(update={
            "organisations": [o for o in self.organisations if o.id in organisation_ids],
            "clients": clients,
            "visits": [v for v in self.visits if v.client in keep],
        })

    def warnings(self) -> list[str]:
        """What a planner should know but that does not stop the plan: wall times the clocks skip
        tonight (planned at the same real time, which the clocks then show an hour later)."""
        clock = self.clock
        where: list[str] = []
        for sh in self.shifts:
            if any(clock.skipped(t) for t in (sh.start_time, sh.end_time)):
                where.append(f"shift {sh.id}")
        for v in self.visits:
            if any(clock.skipped(t) for w in v.windows for t in (w.start, w.end)):
                where.append(f"visit {v.id}")
        if not where:
            return []
        more = f" and {len(where) - 10} more" if len(where) > 10 else ""
        return [f"the clocks go forward on the night of {self.date}: times in the skipped hour are planned at "
                f"the same real time, which the clocks show an hour later ({', '.join(where[:10])}{more})"]

    def access_notes(self) -> dict[str, str]:
        """Client id -> access note for a route sheet, with every key-safe code of the night
        blanked out (a planner may have typed a code into a note)."""
        codes = [c.key_safe_code.get_secret_value() for c in self.clients if c.key_safe_code is not None]
        codes = sorted({x for x in codes if x}, key=len, reverse=True)
        notes = {}
        for c in self.clients:
            note = c.access_note or ""
            for code in codes:
                note = note.replace(code, REDACTED)
            notes[c.id] = note
        return notes

    # ------------------------------------------------------------------ JSON
    def to_json(self, *, indent: int | None = 2) -> str:
        """JSON of the scenario; key-safe codes are left out (they are never written)."""
        data = self.model_dump(mode="json", exclude={"clients": {"__all__": {"key_safe_code"}}})
        return json.dumps(data, indent=indent, ensure_ascii=False)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    return Scenario.model_json_schema()


def _err(loc: tuple[Any, ...], value: Any, message: str) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("scenario", message), loc=loc, input=value
    )


def _semantic_errors(s: Scenario) -> list[InitErrorDetails]:
    """Cross-field checks, all reported at once (field path + value + message)."""
    errors: list[InitErrorDetails] = []
    for field, items in (("organisations", s.organisations), ("clients", s.clients),
                         ("visits", s.visits), ("shifts", s.shifts)):
        counts = Counter(x.id for x in items)
        for i, x in enumerate(items):
            if counts[x.id] > 1:
                errors.append(_err((field, i, "id"), x.id, f"duplicate id {x.id!r} in {field}"))
    orgs = {o.id for o in s.organisations}
    clients = {c.id for c in s.clients}
    for i, c in enumerate(s.clients):
        if c.organisation not in orgs:
            errors.append(_err(("clients", i, "organisation"), c.organisation,
                               f"unknown organisation {c.organisation!r}"))
    clock = s.clock
    try:
        clock.reference
    except NightTimeError as e:
        errors.append(_err(("timezone",), s.timezone, str(e)))
        return errors
    horizon = MAX_NIGHT_HOURS * 3600

    def seconds(loc: tuple[Any, ...], text: str) -> int | None:
        try:
            t = clock.to_seconds(text)
        except NightTimeError as e:
            errors.append(_err(loc, text, str(e)))
            return None
        if not 0 <= t <= horizon + 12 * 3600:
            errors.append(_err(loc, text, f"{text} is not within the night of {s.date}"))
            return None
        return t

    shift_spans = []
    for i, sh in enumerate(s.shifts):
        a = seconds(("shifts", i, "start_time"), sh.start_time)
        b = seconds(("shifts", i, "end_time"), sh.end_time)
        if a is not None and b is not None:
            if b <= a:
                errors.append(_err(("shifts", i, "end_time"), sh.end_time,
                                   f"shift ends ({sh.end_time}) before it starts ({sh.start_time})"))
            else:
                shift_spans.append((a, b))
    night = (min(a for a, _ in shift_spans), max(b for _, b in shift_spans)) if shift_spans else None
    for i, v in enumerate(s.visits):
        if v.client not in clients:
            errors.append(_err(("visits", i, "client"), v.client, f"unknown client {v.client!r}"))
        prev_end = None
        for j, w in enumerate(v.windows):
            a = seconds(("visits", i, "windows", j, "start"), w.start)
            b = seconds(("visits", i, "windows", j, "end"), w.end)
            if a is None or b is None:
                continue
            if b < a and clock.skipped(w.start):
                a = b  # a skipped start counts from the end (NightClock.window_seconds)
            if b < a:
                errors.append(_err(("visits", i, "windows", j, "end"), w.end,
                                   f"window ends ({w.end}) before it starts ({w.start})"))
            if prev_end is not None and a <= prev_end:
                errors.append(_err(("visits", i, "windows", j, "start"), w.start,
                                   "windows must be in time order and must not overlap"))
            prev_end = b
        if night is not None and v.duration_min * 60 > night[1] - night[0]:
            errors.append(_err(("visits", i, "duration_min"), v.duration_min,
                               f"duration {v.duration_min:g} min is longer than the night "
                               f"({(night[1] - night[0]) / 60:g} min of shifts)"))
    errors += _rule_errors(s, seconds)
    return errors


def _rule_errors(s: Scenario, seconds: Any) -> list[InitErrorDetails]:
    """Home-care rules: dependencies name other visits and form no circle; breaks lie in their
    shift; a matrix travel source lists every place."""
    errors: list[InitErrorDetails] = []
    ids = {v.id for v in s.visits}
    follows: dict[str, list[str]] = {}
    for i, v in enumerate(s.visits):
        for j, d in enumerate(v.after):
            loc = ("visits", i, "after", j, "visit")
            if d.visit == v.id:
                errors.append(_err(loc, d.visit, f"visit {v.id!r} cannot follow itself"))
            elif d.visit not in ids:
                errors.append(_err(loc, d.visit, f"unknown visit {d.visit!r}"))
            else:
                follows.setdefault(v.id, []).append(d.visit)
    state: dict[str, int] = {}

    def circle(x: str) -> bool:  # depth-first search for a circle of dependencies
        state[x] = 1
        for y in follows.get(x, ()):
            if state.get(y) == 1 or (state.get(y) is None and circle(y)):
                return True
        state[x] = 2
        return False

    for i, v in enumerate(s.visits):
        if state.get(v.id) is None and circle(v.id):
            errors.append(_err(("visits", i, "after"), v.id, f"visit {v.id!r} is part of a circle of dependencies"))
            break
    for i, sh in enumerate(s.shifts):
        a, b = seconds(("shifts", i, "start_time"), sh.start_time), seconds(("shifts", i, "end_time"), sh.end_time)
        for j, br in enumerate(sh.breaks):
            e = seconds(("shifts", i, "breaks", j, "earliest_start"), br.earliest_start)
            l = seconds(("shifts", i, "breaks", j, "latest_start"), br.latest_start)
            if e is None or l is None or a is None or b is None:
                continue
            if l < e:
                errors.append(_err(("shifts", i, "breaks", j, "latest_start"), br.latest_start,
                                   f"latest start ({br.latest_start}) before earliest start ({br.earliest_start})"))
            elif e < a or l + br.duration_min * 60 > b + sh.overtime_max_min * 60:
                errors.append(_err(("shifts", i, "breaks", j), br.earliest_start,
                                   f"break {br.earliest_start}-{br.latest_start} does not fit in the shift "
                                   f"{sh.start_time}-{sh.end_time}"))
    if isinstance(s.travel, MatrixSettings):
        known = {(p.lat, p.lon) for p in s.travel.locations}
        for i, c in enumerate(s.clients):
            if (c.location.lat, c.location.lon) not in known:
                errors.append(_err(("clients", i, "location"), f"{c.location.lat}, {c.location.lon}",
                                   "not among travel.locations (the matrix has no row for it)"))
        for i, sh in enumerate(s.shifts):
            for what, place in (("start_location", sh.start_location), ("end_location", sh.end_point)):
                if (place.lat, place.lon) not in known:
                    errors.append(_err(("shifts", i, what), f"{place.lat}, {place.lon}",
                                       "not among travel.locations (the matrix has no row for it)"))
    return errors
