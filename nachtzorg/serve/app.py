"""The FastAPI app factory: ``create_app(settings)`` migrates the database, starts the job
worker and serves the API under ``/api`` (OpenAPI at ``/docs``) and the two pages."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ..exceptions import InputError
from .api.main import api_router
from .bus import Broadcaster
from .context import Clock, ServeContext, drill_clock, wall_clock
from .db import make_engine, migrate, session_factory
from .errors import validation_errors
from .jobs import JobRunner
from .logs import AccessLog, route_template
from .pages.routes import router as pages_router
from .security import load_fernet
from .service import Conflict, NightLog, NotFound
from .settings import ServeSettings

log = logging.getLogger("nachtzorg.serve")


def build_context(settings: ServeSettings, *, clock: Clock | None = None) -> ServeContext:
    """Open (and migrate) the database and wire the service's parts."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = session_factory(engine)
    fernet = load_fernet(settings.secret_key.get_secret_value() if settings.secret_key else None, settings.data_dir)
    bus = Broadcaster()
    nights = NightLog(sessions, fernet, bus.notify)
    jobs = JobRunner(nights, settings)
    if clock is None:
        clock = drill_clock(settings.drill_start) if settings.drill_start else wall_clock
    return ServeContext(settings, engine, sessions, fernet, nights, jobs, bus, clock)


def create_app(settings: ServeSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """The service over ``settings`` (default: from the environment). ``clock``: an aware
    ``datetime`` source for "now" (tests and drills)."""
    settings = settings or ServeSettings()
    ctx = build_context(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        ctx.bus.bind(asyncio.get_running_loop())
        resumed = ctx.jobs.resume()
        if resumed:
            log.info("resumed %d planning job(s)", resumed)
        try:
            yield
        finally:
            ctx.jobs.shutdown()
            ctx.engine.dispose()

    app = FastAPI(title="nachtzorg — the live night", version="1", lifespan=lifespan,
                  description="Shared night care: the night's log, acute calls, nurses' routes.")
    app.state.ctx = ctx
    app.include_router(api_router, prefix="/api")
    app.include_router(pages_router)
    _handlers(app)

    app.add_middleware(AccessLog)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(exc.errors())}, status_code=422)

    @app.exception_handler(ValidationError)
    async def _invalid_model(request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(exc.errors())}, status_code=422)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc), **exc.extra}, status_code=409)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)[:2000]}, status_code=422)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex[:10]
        route = route_template(request.scope)
        # the type only: a message or traceback may quote client data
        log.error("internal error %s on %s %s: %s", error_id, request.method, route, type(exc).__name__)
        return JSONResponse({"detail": "internal error", "error_id": error_id}, status_code=500)
