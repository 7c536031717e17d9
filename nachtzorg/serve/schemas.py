"""Request and response bodies of the API (the library's models where they exist)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..acute import AcuteCall
from ..model import Id, NightTime, Scenario
from ..plan import Plan
from .state import EVENT_KINDS


class NightCreate(BaseModel):
    """A night to publish: its scenario and, optionally, a plan (else it is planned)."""

    model_config = ConfigDict(extra="forbid")
    scenario: Scenario
    plan: Plan | None = None


class NightCreated(BaseModel):
    night_id: str
    job: str | None = Field(default=None, description="Planning job to poll at /api/jobs/{job} (202)")


class NightSummary(BaseModel):
    night_id: str
    name: str
    date: _dt.date
    status: Literal["planning", "live", "failed"]
    seq: int
    created_at: _dt.datetime


class EventIn(BaseModel):
    """Something that happened on the road. ``at``: HH:MM or ISO (default: now)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal[EVENT_KINDS]  # type: ignore[valid-type]
    ref: Id | None = Field(default=None, description="Visit or call id (started, done, delayed)")
    shift: Id | None = Field(default=None, description="The nurse's shift (unavailable; else optional)")
    at: NightTime | None = None
    minutes: float | None = Field(default=None, gt=0, le=480, description="delayed: by how many minutes")

    @model_validator(mode="after")
    def _needs(self) -> EventIn:
        if self.kind in ("started", "done") and self.ref is None:
            raise ValueError(f"a {self.kind!r} event needs ref (the visit or call id)")
        if self.kind == "delayed" and (self.minutes is None or (self.ref is None and self.shift is None)):
            raise ValueError("a 'delayed' event needs minutes and a ref or a shift")
        if self.kind == "unavailable" and self.shift is None:
            raise ValueError("an 'unavailable' event needs shift")
        if self.kind != "delayed" and self.minutes is not None:
            raise ValueError("minutes is only for 'delayed' events")
        return self


class CallRequest(AcuteCall):
    """The call file's JSON (as examples/assen/call.json) plus an optional ``now``."""

    now: NightTime | None = Field(default=None, description="Time of the decision (default: now)")

    def call(self) -> AcuteCall:
        return AcuteCall.model_validate(self.model_dump(exclude={"now"}))


class AssignIn(BaseModel):
    """The chosen option (a ranked option as returned by POST /calls; other fields ignored)."""

    model_config = ConfigDict(extra="ignore")
    shifts: list[Id] = Field(min_length=1, max_length=2)
    after_stops: list[int] = Field(min_length=1, max_length=2)
    now: NightTime | None = None


class JobOut(BaseModel):
    job: str
    night_id: str
    kind: str
    status: str
    detail: str | None
    created_at: _dt.datetime
    finished_at: _dt.datetime | None


class Me(BaseModel):
    name: str
    role: str
    organisation: str | None
    nurse_shift: str | None


def jsonable(model: BaseModel, **kw: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", **kw)
