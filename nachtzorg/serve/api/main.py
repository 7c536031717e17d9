"""All API routers, mounted under ``/api`` by the app factory."""

from fastapi import APIRouter

from .routes import calls, events, jobs, nights, nurses, stream, users

api_router = APIRouter()
for module in (users, nights, events, calls, stream, nurses, jobs):
    api_router.include_router(module.router)
