"""The live night as a service: FastAPI over the library, the night as an event log.

>>> from nachtzorg.serve import create_app, ServeSettings   # doctest: +SKIP
>>> app = create_app(ServeSettings(db="sqlite:///night.db"))  # doctest: +SKIP

Needs the ``serve`` extra (``pip install 'nachtzorg[serve]'``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "ServeSettings"]


def __getattr__(name: str) -> Any:  # lazy: the CLI imports this package without FastAPI loaded
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "ServeSettings":
        from .settings import ServeSettings

        return ServeSettings
    raise AttributeError(f"module 'nachtzorg.serve' has no attribute {name!r}")
