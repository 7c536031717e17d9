"""Subcommands of the parts that sit beside the command line (the live-night service, the
year's settlement): registered here when their packages are installed."""

from __future__ import annotations

from typing import Any


def add_commands(sub: Any) -> None:
    """No service commands yet."""
