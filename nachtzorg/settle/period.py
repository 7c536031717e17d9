"""The period file (``PERIOD.json``): the nights that represent a year, the partners' acute calls,
the response norm and the yearly fixed items.

Units: money in **euros** (a year's items in euros per year), times in **minutes**, call rates in
**calls per night** (or per hour of the night). Paths of night files are relative to the period
file. Two ways to give the nights:

* ``nights``: templates with how often each occurs in the year (``count``, nights per year), e.g.
  a Monday-to-Thursday night 209 times, a weekend night 104 times;
* ``nights_folder``: a folder of sampled nights (every ``*.json`` in it), each standing for
  ``nights_per_year / n`` nights; the settlement then says how much the allocation could move
  (bootstrap over the nights) and how many nights keep that under ``target_move``.

:class:`PeriodFile` is the file as written (pydantic: every field checked, unknown fields are
errors); :func:`resolve_period` joins it with the loaded night scenarios into a :class:`Period`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..base import Frozen
from ..exceptions import InputError
from ..model import Id, Scenario

#: Most organisations whose every coalition is priced by routing (2^12 - 1 = 4,095 coalitions).
MAX_ORGANISATIONS = 12


class PeriodError(InputError):
    """A period that cannot be settled; ``lines`` names each problem (field and value)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


Euros = Annotated[float, Field(ge=0, le=1e9)]


class Region(Frozen):
    """The region the night team covers (the GP-post region of the insurer's business case)."""

    name: str = Field(default="region", min_length=1, max_length=200)
    inhabitants: int | None = Field(default=None, ge=0, le=100_000_000)


class OrganisationTerms(Frozen):
    """One partner: its acute calls and the figures of the proportional keys."""

    id: Id
    clients: int | None = Field(default=None, ge=0, le=1_000_000,
                                description="Clients in night care over the year (key 'clients')")
    inhabitants: int | None = Field(default=None, ge=0, le=100_000_000,
                                    description="Inhabitants of its service area (key 'inhabitants')")
    calls_per_night: float | None = Field(default=None, ge=0, le=200,
                                          description="Acute calls a night, spread like the default hourly profile")
    calls_by_hour: dict[str, Annotated[float, Field(ge=0, le=50)]] | None = Field(
        default=None, description="Acute calls per hour of the night, by hour '0'-'23' (replaces calls_per_night)")

    @model_validator(mode="after")
    def _calls(self) -> OrganisationTerms:
        if (self.calls_per_night is None) == (self.calls_by_hour is None):
            raise ValueError("give calls_per_night or calls_by_hour (one of them)")
        for hour in self.calls_by_hour or {}:
            if not (hour.isdigit() and 0 <= int(hour) <= 23):
                raise ValueError(f"calls_by_hour: hour {hour[:10]!r} is not a whole hour 0-23")
        return self

    @property
    def calls_night(self) -> float:
        """Expected acute calls a night."""
        if self.calls_by_hour is not None:
            return float(sum(self.calls_by_hour.values()))
        return float(self.calls_per_night or 0.0)


class NightTemplate(Frozen):
    """A night file standing for ``count`` nights of the year."""

    scenario: str = Field(min_length=1, max_length=500, description="Night file, relative to the period file")
    count: float = Field(gt=0, le=366, description="Nights of the year this night stands for")
    label: str | None = Field(default=None, max_length=80)


class Norm(Frozen):
    """The response norm: ``share`` of the calls that need a visit reached within ``minutes``."""

    minutes: float = Field(default=30.0, gt=0, le=240)
    share: float = Field(default=0.9, gt=0, le=1)


class FixedItem(Frozen):
    """A yearly item a night service carries: euros a year, or hours a year at a rate."""

    name: str = Field(min_length=1, max_length=120)
    kind: Literal["backup", "coordination", "other"] = "other"
    eur_per_year: Euros | None = None
    hours_per_year: float | None = Field(default=None, ge=0, le=8784)
    eur_per_hour: Euros | None = None
    only_shared: bool = Field(default=False, description="Only a service of two or more organisations carries it")

    @model_validator(mode="after")
    def _amount(self) -> FixedItem:
        hourly = self.hours_per_year is not None or self.eur_per_hour is not None
        if (self.eur_per_year is not None) == hourly:
            raise ValueError("give eur_per_year, or hours_per_year with eur_per_hour")
        if hourly and (self.hours_per_year is None or self.eur_per_hour is None):
            raise ValueError("hours_per_year and eur_per_hour go together")
        return self

    @property
    def eur(self) -> float:
        """The item's euros a year."""
        if self.eur_per_year is not None:
            return float(self.eur_per_year)
        return float(self.hours_per_year or 0.0) * float(self.eur_per_hour or 0.0)


class Cars(Frozen):
    """Cars: a night service needs one per nurse of its largest night."""

    eur_per_car_per_year: Euros


class Fixed(Frozen):
    cars: Cars | None = None
    items: list[FixedItem] = Field(default_factory=list, max_length=50)


class Readiness(Frozen):
    """How acute readiness is simulated (seeded: the same calls on every run)."""

    simulated_nights: int = Field(default=8, ge=1, le=500, description="Call nights simulated per night and team")
    seed: int = Field(default=0, ge=0, lt=2**31)
    max_extra_nurses: int = Field(default=4, ge=0, le=20,
                                  description="Nurses tried beyond those the planned visits need")
    policy: Literal["nearest", "least_disruption"] = "nearest"
    backup_response_min: float = Field(default=45.0, gt=0, le=600,
                                       description="Response of the back-up (achterwacht) to a call no nurse can take")


class Finance(Frozen):
    """Monthly advances and the year-end correction."""

    year: int = Field(default=2027, ge=2000, le=2999)
    employer: Id | None = Field(default=None, description="The organisation that employs the team and drives the shifts")
    rule: str | None = Field(default=None, max_length=40, description="Settlement rule (default: the recommended)")
    advances: str | dict[str, Euros] | None = Field(
        default=None, description="Monthly advances: a rule name (advances on that key), or euros a month per "
                                  "organisation; default: the settlement rule itself")


class Solver(Frozen):
    """The grand coalition's search per night: a wall-clock limit (depends on the machine's load),
    or, with ``solution_limit``, a fixed number of improving solutions (the same result for the
    same seed on any machine)."""

    time_limit_s: float = Field(default=2.0, gt=0, le=3600, description="Search per night for the grand coalition")
    solution_limit: int | None = Field(default=None, ge=1, le=100_000,
                                       description="Stop after this many improving solutions instead of the time")
    seed: int = Field(default=0, ge=0, lt=2**32)


class PeriodFile(Frozen):
    """``PERIOD.json`` as written (module docstring)."""

    name: str = Field(default="period", min_length=1, max_length=200)
    region: Region = Region()
    organisations: list[OrganisationTerms] = Field(min_length=1, max_length=MAX_ORGANISATIONS)
    nights: list[NightTemplate] | None = Field(default=None, min_length=1, max_length=400)
    nights_folder: str | None = Field(default=None, min_length=1, max_length=500)
    nights_per_year: float = Field(default=365.0, gt=0, le=366)
    target_move: float = Field(default=0.01, gt=0, lt=1,
                               description="Sampled nights: largest acceptable move of a share (0.01 = 1 %)")
    norm: Norm = Norm()
    fixed: Fixed = Fixed()
    readiness: Readiness = Readiness()
    finance: Finance = Finance()
    solver: Solver = Solver()

    @model_validator(mode="after")
    def _consistent(self) -> PeriodFile:
        if (self.nights is None) == (self.nights_folder is None):
            raise ValueError("give nights (templates with counts) or nights_folder (sampled nights), one of them")
        ids = [o.id for o in self.organisations]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"organisations: {twice[0]!r} is listed twice")
        if self.finance.employer is not None and self.finance.employer not in ids:
            raise ValueError(f"finance.employer: {self.finance.employer!r} is not one of the organisations")
        if isinstance(self.finance.advances, dict):
            unknown = [k for k in self.finance.advances if k not in ids]
            if unknown:
                raise ValueError(f"finance.advances: {unknown[0][:40]!r} is not one of the organisations")
            missing = [i for i in ids if i not in self.finance.advances]
            if missing:
                raise ValueError(f"finance.advances: no amount for {missing[0]!r}")
        if self.nights is not None and sum(n.count for n in self.nights) > 366:
            raise ValueError(f"nights: the counts add up to {sum(n.count for n in self.nights):g}, "
                             "more than the 366 nights of a year")
        return self

    def night_paths(self, base: Path) -> list[Path]:
        """The night files, absolute (templates in order; a folder's ``*.json`` sorted by name)."""
        if self.nights is not None:
            return [(base / n.scenario).resolve() for n in self.nights]
        folder = (base / str(self.nights_folder)).resolve()
        if not folder.is_dir():
            raise PeriodError([f"nights_folder: {str(self.nights_folder)[:60]!r} is not a folder"])
        files = sorted(folder.glob("*.json"))
        if not files:
            raise PeriodError([f"nights_folder: {str(self.nights_folder)[:60]!r} holds no .json night"])
        return files


@dataclass(frozen=True)
class PeriodNight:
    """One night of the period: its scenario and how many nights of the year it stands for."""

    label: str
    weight: float
    scenario: Scenario


@dataclass(frozen=True)
class Period:
    """A period ready to settle: the file's terms and its nights (use :func:`resolve_period`)."""

    spec: PeriodFile
    nights: tuple[PeriodNight, ...]
    players: tuple[str, ...]  # organisation ids, sorted (the coalition key order)
    names: dict[str, str]  # organisation id -> name (from the nights)
    sampled: bool  # nights_folder: a sample of the year, not templates

    @property
    def nights_in_year(self) -> float:
        return float(sum(n.weight for n in self.nights))

    def terms(self, org: str) -> OrganisationTerms:
        return next(o for o in self.spec.organisations if o.id == org)


def resolve_period(spec: PeriodFile, scenarios: list[tuple[str, Scenario]]) -> Period:
    """Join the period file with its loaded nights (``(file name, scenario)`` in
    :meth:`PeriodFile.night_paths` order); :class:`PeriodError` lists every mismatch."""
    ids = [o.id for o in spec.organisations]
    lines: list[str] = []
    names: dict[str, str] = {}
    with_clients: set[str] = set()
    for i, (fname, sc) in enumerate(scenarios):
        where = f"nights[{i}].scenario ({fname[:60]})" if spec.nights is not None else f"nights_folder: {fname[:60]}"
        for o in sc.organisations:
            if o.id not in ids:
                lines.append(f"{where}: organisation {o.id!r} is not in the period's organisations")
            names.setdefault(o.id, o.name)
        with_clients |= {c.organisation for c in sc.clients}
    for k, o in enumerate(spec.organisations):
        if o.id not in with_clients and o.calls_night > 0:
            lines.append(f"organisations[{k}] ({o.id}): has acute calls but no client in any night, so its calls "
                         "have no place; add the organisation's clients to a night")
    if lines:
        raise PeriodError(lines)
    if spec.nights is not None:
        nights = tuple(PeriodNight(t.label or Path(t.scenario).stem, float(t.count), sc)
                       for t, (_, sc) in zip(spec.nights, scenarios))
    else:
        w = spec.nights_per_year / len(scenarios)
        nights = tuple(PeriodNight(Path(f).stem, w, sc) for f, sc in scenarios)
    for o in ids:
        names.setdefault(o, o)
    return Period(spec, nights, tuple(sorted(ids)), names, spec.nights_folder is not None)


def nights_needed(n_nights: int, largest_move: float, target: float) -> int:
    """Nights for a sampled period to move less than ``target`` when ``n_nights`` move by
    ``largest_move`` (a confidence half-width shrinks with the square root of the nights)."""
    if largest_move <= target or n_nights <= 0:
        return n_nights
    return math.ceil(n_nights * (largest_move / target) ** 2)
