"""The base of every data model in and out: frozen pydantic models that reject unknown fields,
with the JSON helpers they share."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable; a field name that is not part of the format is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_json(cls, text: str) -> Self:
        return cls.model_validate_json(text)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read and validate a UTF-8 JSON file."""
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)
