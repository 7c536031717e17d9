"""Acute calls: what the alarm centre or GP post reports, with urgency classes and norms.

Units: durations and norms in **minutes** in the JSON, integer seconds inside. ``received``
is a time of night (``HH:MM`` or ISO with offset, see :mod:`nachtzorg.nighttime`); when it is
left out, the call counts as received at the dispatcher's ``now``. Only pseudonyms: a call
names an optional ``client`` id, never a person or an address.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import Id, LatLon, NightTime, Qualification

Urgency = Literal["immediate", "personal_alarm", "fall", "palliative", "gp_request"]

#: Response norm per urgency class, minutes from the call to a nurse on site.
RESPONSE_NORM_MIN: dict[str, float] = {
    "immediate": 15.0,
    "personal_alarm": 30.0,  # the common expectation for a personal-alarm follow-up
    "fall": 30.0,
    "palliative": 30.0,
    "gp_request": 60.0,  # request from the GP out-of-hours post
}


class AcuteCall(BaseModel):
    """An unplanned call that may need a visit now."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Id
    location: LatLon
    urgency: Urgency = "personal_alarm"
    norm_min: float | None = Field(default=None, gt=0, le=24 * 60,
                                   description="Response norm, minutes (default: the urgency class's norm)")
    duration_min: float = Field(default=20.0, gt=0, le=8 * 60, description="Expected time on site, minutes")
    qualification: Qualification = 3
    nurses: Literal[1, 2] = 1
    received: NightTime | None = Field(default=None, description="HH:MM or ISO datetime; default: the dispatch time")
    client: Id | None = Field(default=None, description="Pseudonym of a known client, if any")

    @property
    def norm_s(self) -> int:
        """Response norm, seconds."""
        norm = RESPONSE_NORM_MIN[self.urgency] if self.norm_min is None else self.norm_min
        return int(round(norm * 60))

    @property
    def service_s(self) -> int:
        return int(round(self.duration_min * 60))
