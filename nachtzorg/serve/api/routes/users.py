"""``GET /api/me``: who the token belongs to (every role)."""

from __future__ import annotations

from fastapi import APIRouter

from ...schemas import Me
from ..deps import CurrentUser

router = APIRouter(tags=["users"])


@router.get("/me", response_model=Me)
async def read_me(user: CurrentUser) -> Me:
    """The current user's name, role, organisation and (for a nurse) shift."""
    return Me(name=user.name, role=user.role, organisation=user.organisation, nurse_shift=user.nurse_shift)
