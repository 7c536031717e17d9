"""What every subcommand shares: exit codes, the one error convention, reading input files.

The convention: a subcommand's ``run(args)`` returns its exit code and raises
:class:`~nachtzorg.exceptions.InputError` (or :class:`CliInputError` for several lines) for
input it cannot use; :func:`nachtzorg.cli.main` prints ``error: ...`` lines for those and
returns :data:`EXIT_INPUT`. Anything else is a crash (:data:`EXIT_CRASH`).

Error lines never echo a secret: values under a ``key_safe_code`` field (and fields whose
name suggests a secret) are never shown, other values only as a short preview.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ..exceptions import InputError

#: Exit codes of every subcommand (README: "The command line").
EXIT_OK = 0
EXIT_VIOLATIONS = 1  # check: the plan breaks rules; bench: a solution is infeasible
EXIT_INPUT = 2  # input that cannot be used; nothing was written
EXIT_UNASSIGNED = 3  # plan: written, but some visits are unassigned
EXIT_CRASH = 70  # an unexpected internal error (sysexits' EX_SOFTWARE); traceback in a file

#: Longest preview of a value shown in an error line, characters.
PREVIEW_CHARS = 60
#: Deepest JSON nesting accepted in an input file (a scenario is about six levels deep).
MAX_JSON_DEPTH = 64
#: Largest input file read, bytes.
MAX_INPUT_BYTES = 200 * 1024 * 1024

_SECRET_FIELD = re.compile(r"key_?safe|secret|password|token|code", re.IGNORECASE)


class CliInputError(InputError):
    """Input errors of one file or option, one line each."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A short, printable preview of ``value`` for an error line (never the whole of a long value;
    characters that cannot be printed are escaped)."""
    if isinstance(value, (dict, list)):
        return f"<{type(value).__name__} of {len(value)}>"
    text = repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_secret_path(loc: tuple[Any, ...]) -> bool:
    return any(isinstance(part, str) and _SECRET_FIELD.search(part) for part in loc)


def format_validation_error(err: Any, source: str = "") -> list[str]:
    """One line per problem of a pydantic ``ValidationError``: ``source: field.path: message
    (value: preview)``; no value is shown for secret fields nor for whole objects."""
    lines = []
    for e in err.errors(include_url=False, include_context=False):
        loc = tuple(e["loc"])
        path = _path_text(loc)
        msg = str(e["msg"])
        if e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] == "extra_forbidden":
            msg = "unknown field (not part of the format)"
        shown = ""
        if not _is_secret_path(loc) and e["type"] not in ("missing", "json_invalid"):
            value = e.get("input")
            if e["type"] == "string_too_long" and isinstance(value, str):
                shown = f" (value: {len(value):,} characters)"  # too long to show, and may hold anything
            elif not isinstance(value, (dict, list)):
                shown = f" (value: {preview(value)})"
        if _is_secret_path(loc):
            msg = re.sub(r"'.*'|\".*\"", "'...'", msg)  # a message may quote the value too
        prefix = f"{source}: " if source else ""
        lines.append(f"{prefix}{path}: {preview_text(msg)}{shown}")
    return lines


def preview_text(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters and made printable."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _depth(text: str) -> int:
    depth = best = 0
    in_string = escape = False
    for ch in text:
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def read_json_text(path: str, what: str = "file") -> str:
    """The text of a JSON input file, checked for existence, size, UTF-8, JSON syntax and
    nesting depth (:class:`CliInputError` naming the file otherwise)."""
    p = Path(path)
    if not p.is_file():
        raise CliInputError([f"{path}: no such {what}" if not p.exists() else f"{path}: not a file"])
    try:
        if p.stat().st_size > MAX_INPUT_BYTES:
            raise CliInputError([f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MB"])
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        raise CliInputError([f"{path}: cannot read ({reason})"]) from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise CliInputError([f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels"])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CliInputError([f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"]) from None
    except RecursionError:  # pragma: no cover - guarded by the depth check
        raise CliInputError([f"{path}: JSON nested too deeply"]) from None
    bad = list(_lone_surrogates(data, ()))
    if bad:
        raise CliInputError([f"{path}: {_path_text(loc)}: text has an invalid character (a lone UTF-16 "
                             "surrogate, e.g. half of a cut-off emoji); remove it" for loc in bad[:20]])
    return text


def _lone_surrogates(value: Any, loc: tuple[Any, ...]):
    """Paths of strings (keys included) holding a lone surrogate code point."""
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            yield loc
    elif isinstance(value, dict):
        for k, v in value.items():
            if any("\ud800" <= ch <= "\udfff" for ch in k):
                yield (*loc, "(a field name)")
            yield from _lone_surrogates(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _lone_surrogates(v, (*loc, i))


def _path_text(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        part = part if isinstance(part, int) else preview_text(str(part), 40)
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def load_model(model: Any, path: str) -> Any:
    """Read and validate a JSON file as the pydantic ``model``; raises :class:`CliInputError`
    listing every problem (missing file, not JSON, each invalid field with path and preview)."""
    from pydantic import ValidationError

    text = read_json_text(path)
    try:
        return model.model_validate_json(text)
    except ValidationError as e:
        from ..model import REDACTED, secrets_of

        data = json.loads(text)
        codes = secrets_of(data) + (secrets_of(data.get("scenario")) if isinstance(data, dict) else [])
        lines = []
        for line in format_validation_error(e, path):
            for code in codes:
                line = line.replace(code, REDACTED)
            lines.append(line)
        raise CliInputError(lines) from None
    except (RecursionError, OverflowError, ValueError) as e:
        raise CliInputError([f"{path}: cannot be used ({type(e).__name__}: {preview_text(str(e), 120)})"]) from None


def load_scenario(path: str, travel_cache: str | None = None) -> Any:
    """Read and validate a scenario file (see :func:`load_model`).

    Relative paths in ``travel`` (a road graph file, the cache directory) are taken relative to
    the scenario file's folder, so a scenario runs the same from any working directory;
    ``travel_cache`` (a ``--travel-cache`` option) overrides the file's cache directory.
    """
    from ..model import Scenario

    scenario = load_model(Scenario, path)
    base = Path(path).resolve().parent
    update: dict[str, Any] = {}
    graph = getattr(scenario.travel, "graph", None)
    if graph and not Path(graph).expanduser().is_absolute():
        update["graph"] = str(base / graph)
    cache = travel_cache or scenario.travel.cache_dir
    if cache:
        update["cache_dir"] = str(Path(cache).expanduser()) if travel_cache else str(base / Path(cache).expanduser())
    if update:
        scenario = scenario.model_copy(update={"travel": scenario.travel.model_copy(update=update)})
    return scenario


def positive_seconds(value: float | None, option: str, *, allow_none: bool = True) -> float | None:
    """``value`` checked as a finite number of seconds > 0 (``CliInputError`` naming ``option``)."""
    import math

    if value is None and allow_none:
        return None
    if value is None or not math.isfinite(value) or value <= 0 or value > 7 * 24 * 3600:
        raise CliInputError([f"{option} must be a number of seconds > 0 (and under a week), got {value}"])
    return value


def stdout_is_terminal() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())
