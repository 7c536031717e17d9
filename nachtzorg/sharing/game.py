"""Transferable-utility (TU) games over named players.

A :class:`Game` holds one value per non-empty coalition in a numpy array indexed by
bitmask (bit ``i`` set <=> ``players[i]`` is in the coalition; index 0 is the empty
coalition with value 0).  ``kind`` says how to read the values:

* ``"cost"``: ``c(S)`` is what coalition ``S`` pays when it operates alone; smaller is
  better, allocations are cost shares summing to ``c(N)``.
* ``"savings"``: ``v(S)`` is what coalition ``S`` gains (a worth); larger is better,
  allocations are payoffs summing to ``v(N)``.

The routing part will produce ``{frozenset(players): cost_eur}`` for every coalition
plus per-organisation attributes (visits, care minutes); that plugs straight into
:meth:`Game.from_coalitions`.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from nachtzorg.exceptions import InputError

Kind = Literal["cost", "savings"]
KINDS: tuple[str, ...] = ("cost", "savings")
MAX_PLAYERS = 24
"""Above this the dense 2^n value table (8 * 2^n bytes) stops being sensible."""

STANDALONE_ATTRIBUTE = "standalone_cost"
"""Attribute name under which a savings game keeps its players' stand-alone costs."""


class GameError(InputError):
    """A game that cannot be built or used; the message names the offending item."""


class MethodNotApplicableError(GameError):
    """An allocation rule that needs information this game does not have."""


class EmptyCoreError(MethodNotApplicableError):
    """A rule that is only defined on a non-empty core was asked for a game without one."""


def _check_number(value: object, where: str) -> float:
    """Return ``value`` as a finite float or raise a GameError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise GameError(f"{where}: value {value!r} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise GameError(f"{where}: value {value!r} is not finite")
    return out


def _check_players(players: object) -> tuple[str, ...]:
    """Validate the player list: non-empty unique strings without commas."""
    if isinstance(players, (str, bytes)) or not isinstance(players, Iterable):
        raise GameError(f"players: expected a list of names, got {players!r}")
    names = list(cast(Iterable[object], players))
    if not names:
        raise GameError("players: the list is empty")
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise GameError(f"players: {name!r} is not a non-empty string")
        if "," in name:
            raise GameError(f"players: name {name!r} contains a comma (used as separator)")
        if name != name.strip():
            raise GameError(f"players: name {name!r} has leading/trailing spaces")
        if name in seen:
            raise GameError(f"players: duplicate player {name!r}")
        seen.add(name)
    if len(names) > MAX_PLAYERS:
        raise GameError(f"players: {len(names)} players; at most {MAX_PLAYERS} are supported")
    return tuple(cast(list[str], names))


def _check_kind(kind: object) -> Kind:
    """Validate ``kind``."""
    if kind not in KINDS:
        raise GameError(f"kind: expected 'cost' or 'savings', got {kind!r}")
    return cast(Kind, kind)


def format_coalition(coalition: Iterable[str], players: Sequence[str] | None = None) -> str:
    """Comma-joined names (in ``players`` order when given): the GAME.json key format."""
    members = set(coalition)
    if players is not None:
        return ",".join(p for p in players if p in members)
    return ",".join(sorted(members))


class Game:
    """A TU game: players, kind, dense value table and optional per-player attributes."""

    __slots__ = ("_players", "_index", "_values", "_kind", "_attributes", "name")

    def __init__(
        self,
        players: Sequence[str],
        values: np.ndarray | Sequence[float],
        kind: Kind = "cost",
        attributes: Mapping[str, Mapping[str, float]] | None = None,
        name: str | None = None,
    ) -> None:
        """Build from a bitmask-indexed value array of length ``2**n`` (entry 0 must be 0)."""
        self._players = _check_players(players)
        self._index = {p: i for i, p in enumerate(self._players)}
        self._kind = _check_kind(kind)
        arr = np.array(values, dtype=float).reshape(-1)
        n = len(self._players)
        if arr.shape != (1 << n,):
            raise GameError(f"values: expected {1 << n} entries (2^{n}), got {arr.size}")
        if not np.all(np.isfinite(arr)):
            bad = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise GameError(f"values: coalition {self.coalition_name(bad)!r} is not finite")
        if arr[0] != 0.0:
            raise GameError("values: the empty coalition must have value 0")
        arr.setflags(write=False)
        self._values = arr
        self._attributes = self._check_attributes(attributes or {})
        self.name = name

    # ------------------------------------------------------------------ basics
    @property
    def players(self) -> tuple[str, ...]:
        """Player names in the order that defines bit positions."""
        return self._players

    @property
    def n(self) -> int:
        """Number of players."""
        return len(self._players)

    @property
    def kind(self) -> Kind:
        """``"cost"`` or ``"savings"``."""
        return self._kind

    @property
    def values(self) -> np.ndarray:
        """Read-only value table indexed by bitmask."""
        return self._values

    @property
    def attributes(self) -> dict[str, dict[str, float]]:
        """Copy of the per-player attributes (name -> player -> number)."""
        return {k: dict(v) for k, v in self._attributes.items()}

    @property
    def grand_mask(self) -> int:
        """Bitmask of the grand coalition N."""
        return (1 << self.n) - 1

    @property
    def grand_value(self) -> float:
        """Value of the grand coalition (c(N) or v(N))."""
        return float(self._values[self.grand_mask])

    def mask(self, coalition: Iterable[str]) -> int:
        """Bitmask of a coalition given by player names (order irrelevant)."""
        if isinstance(coalition, str):
            coalition = [coalition]
        m = 0
        for p in coalition:
            if p not in self._index:
                raise GameError(f"unknown player {p!r} (players: {', '.join(self._players)})")
            m |= 1 << self._index[p]
        return m

    def coalition(self, mask: int) -> frozenset[str]:
        """Player names of a bitmask."""
        return frozenset(p for i, p in enumerate(self._players) if mask >> i & 1)

    def coalition_name(self, mask: int) -> str:
        """GAME.json key of a bitmask (names in ``players`` order)."""
        return ",".join(p for i, p in enumerate(self._players) if mask >> i & 1)

    def value(self, coalition: Iterable[str] | int) -> float:
        """Value of a coalition given by names or by bitmask."""
        mask = coalition if isinstance(coalition, int) else self.mask(coalition)
        return float(self._values[mask])

    def singleton_values(self) -> np.ndarray:
        """``v({i})`` (or ``c({i})``) per player, in player order."""
        return np.array([self._values[1 << i] for i in range(self.n)])

    def to_dict(self) -> dict[frozenset[str], float]:
        """All non-empty coalitions as ``{frozenset(names): value}``."""
        return {self.coalition(m): float(self._values[m]) for m in range(1, 1 << self.n)}

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Game{label} kind={self._kind} players={list(self._players)}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Game):
            return NotImplemented
        return (
            self._players == other._players
            and self._kind == other._kind
            and bool(np.array_equal(self._values, other._values))
            and self._attributes == other._attributes
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------ attributes
    def _check_attributes(
        self, attributes: Mapping[str, Mapping[str, float]]
    ) -> dict[str, dict[str, float]]:
        """Every attribute must give a finite, non-negative number for every player."""
        if not isinstance(attributes, Mapping):
            raise GameError(f"attributes: expected a mapping, got {attributes!r}")
        out: dict[str, dict[str, float]] = {}
        for attr, per_player in attributes.items():
            if not isinstance(per_player, Mapping):
                raise GameError(f"attributes.{attr}: expected a mapping player -> number")
            unknown = [p for p in per_player if p not in self._index]
            if unknown:
                raise GameError(f"attributes.{attr}: unknown player {unknown[0]!r}")
            missing = [p for p in self._players if p not in per_player]
            if missing:
                raise GameError(f"attributes.{attr}: missing player {missing[0]!r}")
            clean = {p: _check_number(per_player[p], f"attributes.{attr}.{p}") for p in self._players}
            negative = [p for p, x in clean.items() if x < 0]
            if negative:
                raise GameError(f"attributes.{attr}.{negative[0]}: must not be negative")
            out[str(attr)] = clean
        return out

    def has_attribute(self, attr: str) -> bool:
        """Whether the per-player attribute ``attr`` is present."""
        return attr in self._attributes

    def attribute(self, attr: str) -> np.ndarray:
        """Attribute values in player order; MethodNotApplicableError when absent."""
        if attr not in self._attributes:
            have = ", ".join(sorted(self._attributes)) or "none"
            raise MethodNotApplicableError(
                f"game has no per-player attribute {attr!r} (attributes present: {have})"
            )
        data = self._attributes[attr]
        return np.array([data[p] for p in self._players], dtype=float)

    def with_attributes(self, **attributes: Mapping[str, float]) -> Game:
        """Copy of the game with attributes added or replaced."""
        merged: dict[str, Mapping[str, float]] = dict(self._attributes)
        merged.update(attributes)
        return Game(self._players, self._values, self._kind, merged, self.name)

    def has_standalone_costs(self) -> bool:
        """Cost games always know stand-alone costs; savings games only via the attribute."""
        return self._kind == "cost" or STANDALONE_ATTRIBUTE in self._attributes

    def standalone_costs(self) -> np.ndarray:
        """``c({i})`` per player: from the values (cost game) or the attribute (savings game)."""
        if self._kind == "cost":
            return self.singleton_values()
        if STANDALONE_ATTRIBUTE not in self._attributes:
            raise MethodNotApplicableError(
                "savings game without stand-alone costs "
                f"(attribute {STANDALONE_ATTRIBUTE!r}); build it with Game.to_savings() "
                "or add the attribute"
            )
        return self.attribute(STANDALONE_ATTRIBUTE)

    # ------------------------------------------------------------ conversions
    def to_savings(self) -> Game:
        """Savings game ``v(S) = sum_{i in S} c(i) - c(S)``; keeps c(i) as an attribute."""
        if self._kind == "savings":
            return self
        c1 = self.singleton_values()
        additive = _additive_table(c1)
        attrs: dict[str, Mapping[str, float]] = dict(self._attributes)
        attrs[STANDALONE_ATTRIBUTE] = dict(zip(self._players, c1.tolist()))
        return Game(self._players, additive - self._values, "savings", attrs, self.name)

    def to_cost(self, standalone_costs: Mapping[str, float] | None = None) -> Game:
        """Cost game ``c(S) = sum_{i in S} c(i) - v(S)``.

        The stand-alone costs ``c(i)`` come from ``standalone_costs`` or from the
        ``standalone_cost`` attribute (set by :meth:`to_savings`); without either the
        conversion is ambiguous and raises.
        """
        if self._kind == "cost":
            return self
        game = self if standalone_costs is None else self.with_attributes(
            **{STANDALONE_ATTRIBUTE: standalone_costs}
        )
        c1 = game.standalone_costs()
        attrs = {k: v for k, v in game._attributes.items() if k != STANDALONE_ATTRIBUTE}
        return Game(self._players, _additive_table(c1) - self._values, "cost", attrs, self.name)

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_coalitions(
        cls,
        values: Mapping[Any, float],
        *,
        players: Sequence[str] | None = None,
        kind: Kind = "cost",
        attributes: Mapping[str, Mapping[str, float]] | None = None,
        name: str | None = None,
    ) -> Game:
        """Build from ``{coalition: value}``; a coalition is a frozenset/iterable of names.

        ``players`` fixes the player order; without it the players are the union of
        all keys, sorted.  Every non-empty coalition must be present exactly once.
        """
        if not isinstance(values, Mapping):
            raise GameError(f"values: expected a mapping coalition -> value, got {type(values).__name__}")
        keys: list[tuple[Any, frozenset[str]]] = []
        for key in values:
            members = [key] if isinstance(key, str) else list(key)
            if any(not isinstance(m, str) for m in members):
                raise GameError(f"values: coalition {key!r} contains a non-string player")
            if len(set(members)) != len(members):
                raise GameError(f"values: coalition {key!r} names a player twice")
            keys.append((key, frozenset(members)))
        if players is None:
            players = sorted(set().union(*(c for _, c in keys))) if keys else []
        game_players = _check_players(players)
        _check_kind(kind)
        index = {p: i for i, p in enumerate(game_players)}
        n = len(game_players)
        table = np.zeros(1 << n)
        seen = np.zeros(1 << n, dtype=bool)
        seen[0] = True
        for key, members in keys:
            unknown = sorted(members - index.keys())
            if unknown:
                raise GameError(f"values: coalition {_show(key)} has unknown player {unknown[0]!r}")
            mask = sum(1 << index[p] for p in members)
            val = _check_number(values[key], f"values[{_show(key)}]")
            if mask == 0:
                if val != 0.0:
                    raise GameError("values: the empty coalition must have value 0")
                continue
            if seen[mask]:
                raise GameError(
                    f"values: coalition {format_coalition(members, game_players)!r} is given twice"
                )
            seen[mask] = True
            table[mask] = val
        missing = np.flatnonzero(~seen)
        if missing.size:
            first = ",".join(p for i, p in enumerate(game_players) if int(missing[0]) >> i & 1)
            more = f" (and {missing.size - 1} more)" if missing.size > 1 else ""
            raise GameError(f"values: missing value for coalition {first!r}{more}")
        return cls(game_players, table, kind, attributes, name)

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Game:
        """Build from the GAME.json structure (``players``, ``kind``, ``values``; extra keys ignored).

        Optional ``attributes`` (name -> player -> number) are read when present.
        """
        if not isinstance(data, Mapping):
            raise GameError(f"game: expected a JSON object, got {type(data).__name__}")
        for key in ("players", "kind", "values"):
            if key not in data:
                raise GameError(f"game: missing required key {key!r}")
        players = _check_players(data["players"])
        kind = _check_kind(data["kind"])
        raw = data["values"]
        if not isinstance(raw, Mapping):
            raise GameError("values: expected an object keyed by comma-joined player names")
        parsed: dict[tuple[str, ...], float] = {}
        for key, val in raw.items():
            if not isinstance(key, str):
                raise GameError(f"values: key {key!r} is not a string")
            members = tuple(m.strip() for m in key.split(",")) if key.strip() else ()
            if any(not m for m in members):
                raise GameError(f"values: key {key!r} has an empty player name")
            parsed[members] = val
        attributes = data.get("attributes")
        name = data.get("name")
        return cls.from_coalitions(
            parsed,
            players=players,
            kind=kind,
            attributes=attributes,
            name=name if isinstance(name, str) else None,
        )

    @classmethod
    def from_json_file(cls, path: str | Path) -> Game:
        """Read a GAME.json file; unreadable files and bad JSON raise GameError."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise GameError(f"cannot read game file {str(p)[:200]!r}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError:
            raise GameError(f"{p.name}: not UTF-8 text") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GameError(f"{p.name}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        except RecursionError:
            raise GameError(f"{p.name}: JSON nested too deeply") from None
        return cls.from_json_dict(data)

    def to_json_dict(self) -> dict[str, Any]:
        """GAME.json structure (keys in ``players`` order, coalitions by size then bitmask)."""
        masks = sorted(range(1, 1 << self.n), key=lambda m: (m.bit_count(), _lex_key(m, self.n)))
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        out["players"] = list(self._players)
        out["kind"] = self._kind
        out["values"] = {self.coalition_name(m): float(self._values[m]) for m in masks}
        if self._attributes:
            out["attributes"] = self.attributes
        return out


def _lex_key(mask: int, n: int) -> tuple[int, ...]:
    """Indices of members, for 'by size, then lexicographic' ordering."""
    return tuple(i for i in range(n) if mask >> i & 1)


def _show(key: object) -> str:
    """Readable rendering of a coalition key in error messages."""
    if isinstance(key, str):
        return repr(key)
    if isinstance(key, (tuple, list, frozenset, set)):
        return repr(",".join(sorted(str(k) for k in key)))
    return repr(key)


def popcounts(n: int) -> np.ndarray:
    """Coalition sizes |S| for every bitmask 0..2^n-1."""
    masks = np.arange(1 << n, dtype=np.int64)
    counts = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        counts += (masks >> i) & 1
    return counts


def incidence(n: int) -> np.ndarray:
    """0/1 matrix of shape (2^n, n): row ``m`` is the membership vector of bitmask ``m``."""
    masks = np.arange(1 << n, dtype=np.int64)[:, None]
    return ((masks >> np.arange(n)) & 1).astype(float)


def _additive_table(weights: np.ndarray) -> np.ndarray:
    """``sum_{i in S} w_i`` for every bitmask S."""
    return incidence(len(weights)) @ np.asarray(weights, dtype=float)
