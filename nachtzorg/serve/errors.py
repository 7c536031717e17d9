"""Validation errors as the API returns them: the field and a short preview of the value,
never the value of a secret-looking field, of a field that should not be there, or a long one."""

from __future__ import annotations

from typing import Any, Iterable

#: Parts of a field path whose values are never echoed.
SECRET_PARTS = ("key_safe", "keysafe", "code", "secret", "token", "password", "note")
PREVIEW_CHARS = 40


def _secret(loc: Iterable[Any]) -> bool:
    return any(any(p in str(part).lower() for p in SECRET_PARTS) for part in loc)


def preview(value: Any) -> str | None:
    """A short text of a scalar value; None for containers (they may hold anything)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return repr(value)[:PREVIEW_CHARS]
    if isinstance(value, str):
        text = value.encode("utf-8", "replace").decode("utf-8", "replace")
        return repr(text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else ""))
    return None


def validation_errors(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic/FastAPI errors → ``[{"field": "body.scenario.visits.3.duration_min", "message", "value"?}]``."""
    out = []
    for e in list(errors)[:50]:
        loc = tuple(e.get("loc", ()))
        item: dict[str, Any] = {"field": ".".join(str(p) for p in loc) or "(body)",
                                "message": str(e.get("msg", "invalid"))[:300]}
        if e.get("type") != "extra_forbidden" and not _secret(loc) and "input" in e:
            shown = preview(e["input"])
            if shown is not None:
                item["value"] = shown
        out.append(item)
    return out
