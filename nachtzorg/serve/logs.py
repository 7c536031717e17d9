"""Server logs without client data: one access line per request (method, route template,
status, duration), uvicorn's own access log off, errors by type and id only."""

from __future__ import annotations

import logging
import time
from typing import Any

access_log = logging.getLogger("nachtzorg.serve.access")


_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class AccessLog:
    """ASGI middleware: adds ``Cache-Control: no-store`` to API answers and a few safety
    headers to all, and logs ``METHOD /api/nights/{night_id}/events 201 12.3ms`` (the route's
    template, never the path with its ids, never a query string or a body)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status = {"code": 500}

        async def _send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = list(_HEADERS)
                if scope.get("path", "").startswith("/api"):
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            template = route_template(scope)
            access_log.info("%s %s %d %.1fms", scope.get("method", "-"), template, status["code"],
                            (time.perf_counter() - t0) * 1000)


def route_template(scope: dict) -> str:
    """The matched route's template with the API prefix (routers are mounted under ``/api``;
    some FastAPI versions report the template without the prefix)."""
    template = getattr(scope.get("route"), "path", None)
    if template is None:
        return "(no route)"
    if scope.get("path", "").startswith("/api/") and not template.startswith("/api"):
        template = "/api" + template
    return template


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's ``log_config``: our access lines and uvicorn's start/stop lines on stderr;
    ``uvicorn.access`` (paths with ids) is silenced."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "nachtzorg": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }
