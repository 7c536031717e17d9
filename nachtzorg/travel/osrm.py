"""Travel times from an OSRM server's table service (``/table/v1``), standard library only.

OSRM (Open Source Routing Machine) answers a table request with the fastest driving times
(float seconds) and the lengths of those routes (float metres) between snapped points. This
client turns them into a :class:`~nachtzorg.travel.TravelMatrix` of integer **seconds** (rounded
up, so a trip is never shorter than OSRM says) and integer **metres** (rounded), diagonal 0.

- *Chunking.* A server refuses a table whose sources x destinations exceed the square of its
  ``--max-table-size`` (``TooBig``; the number of coordinates itself is not checked), and its
  header limit (48 bytes per allowed location + 1 KiB) bounds the URL. Up to ``max_table_size``
  points take one request; more are fetched as square blocks of up to ``max_table_size`` sources
  and destinations, or as strips of sources against all points when that is cheaper
  (:meth:`OsrmTravel.blocks`). A request sends at most ``2 * max_table_size`` coordinates.
- *Failures are errors, never numbers.* An unreachable server (after ``retries`` retries with
  exponential backoff on connection errors, timeouts and HTTP 5xx), a malformed answer, a point
  that snaps to no road or to a road farther than ``max_snap_m`` (OSRM snaps without limit by
  default: a point in the sea lands on the nearest road, however far), and a pair of points with
  no route (``null``) each raise :class:`~nachtzorg.exceptions.TravelError` naming the points
  (index into the list given to :meth:`OsrmTravel.matrix`, and coordinates) in ``points``.
- *Cache key.* :meth:`OsrmTravel.cache_key` holds the URL, the profile and the ``data_version``
  the server reports. The on-disk cache only notices a changed road network when the data was
  extracted with a data version (``osrm-extract --data_version``; :func:`~nachtzorg.travel.osrm_server.build_osrm`
  sets one from a hash of the OSM file and the profile). Without one the key cannot change and a
  cached table can outlive the network it came from.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..exceptions import TravelError
from ..model import LatLon, OsrmSettings
from .base import TravelMatrix

log = logging.getLogger(__name__)

#: HTTP statuses worth another try besides 5xx: request timeout and rate limiting.
_RETRY_STATUSES = frozenset({408, 429})
#: The point whose /nearest answer tells the server's data version.
_PROBE = LatLon(lat=0.0, lon=0.0)


class _OsrmCode(Exception):
    """An answer with an OSRM error code (``NoSegment``, ``TooBig``, ...)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


def _coord(p: LatLon) -> str:
    """``lon,lat`` as OSRM wants it; 6 decimals (0.1 m) is OSRM's own precision."""
    return f"{p.lon:.6f},{p.lat:.6f}"


def _where(i: int, p: LatLon) -> str:
    return f"point {i} ({p.lat:.6f}, {p.lon:.6f})"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


class OsrmTravel:
    """Driving times and distances from an OSRM server's table service.

    ``url`` is the server's base address (``http://127.0.0.1:5000``), ``profile`` the profile
    name in the request path (``osrm-routed`` serves one profile and ignores it; a proxy in front
    of several servers may not). ``max_table_size`` must not exceed the server's
    ``--max-table-size``. ``requests`` counts the HTTP requests sent (retries included) and
    ``data_version`` holds the last data version the server reported.
    """

    def __init__(self, url: str, profile: str = "driving", timeout_s: float = 10.0, retries: int = 2,
                 backoff_s: float = 0.5, max_table_size: int = 100, max_snap_m: float = 500.0) -> None:
        if not re.match(r"^https?://[^/]", url):
            raise ValueError(f"OSRM url must start with http:// or https://, got {url!r}")
        if max_table_size < 2:
            raise ValueError(f"max_table_size must be at least 2, got {max_table_size}")
        if timeout_s <= 0 or retries < 0 or backoff_s < 0 or max_snap_m <= 0:
            raise ValueError("timeout_s and max_snap_m must be positive, retries and backoff_s not negative")
        self.url = url.rstrip("/")
        self.profile = profile
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.backoff_s = float(backoff_s)
        self.max_table_size = int(max_table_size)
        self.max_snap_m = float(max_snap_m)
        self.requests = 0
        self.data_version: str | None = None

    @classmethod
    def from_settings(cls, settings: OsrmSettings) -> OsrmTravel:
        return cls(url=settings.url, profile=settings.profile, timeout_s=settings.timeout_s,
                   retries=settings.retries, max_table_size=settings.max_table_size,
                   max_snap_m=settings.max_snap_m)

    def __repr__(self) -> str:
        return (f"OsrmTravel(url={self.url!r}, profile={self.profile!r}, "
                f"max_table_size={self.max_table_size}, max_snap_m={self.max_snap_m:g})")

    # -- HTTP ------------------------------------------------------------------------------
    def _get(self, service: str, coords: Sequence[LatLon], params: dict[str, str]) -> dict[str, Any]:
        """GET ``/{service}/v1/{profile}/{coords}?params`` and return the JSON answer with code Ok.

        Retries connection errors, timeouts, HTTP 5xx (and 408/429) with exponential backoff;
        raises :class:`_OsrmCode` for an answer with an OSRM error code and :class:`TravelError`
        for everything else that is not a usable answer.
        """
        path = ";".join(_coord(p) for p in coords)
        url = f"{self.url}/{service}/v1/{urllib.parse.quote(self.profile)}/{path}"
        if params:
            url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
        what = f"OSRM server at {self.url}"
        tries = self.retries + 1
        last = ""
        for attempt in range(tries):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            self.requests += 1
            try:
                with urllib.request.urlopen(url, timeout=self.timeout_s) as r:
                    status, raw = r.status, r.read()
            except urllib.error.HTTPError as e:
                status = e.code
                try:
                    raw = e.read()
                except (OSError, http.client.HTTPException):
                    raw = b""
                finally:
                    e.close()
                if status >= 500 or status in _RETRY_STATUSES:
                    last = f"HTTP {status} {e.reason}: {raw[:200].decode('utf-8', 'replace')!r}"
                    log.debug("%s: %s (try %d of %d)", what, last, attempt + 1, tries)
                    continue
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError) as e:
                reason = getattr(e, "reason", e)
                last = f"{type(reason).__name__}: {reason}" if not isinstance(reason, str) else reason
                log.debug("%s: %s (try %d of %d)", what, last, attempt + 1, tries)
                continue
            return self._decode(status, raw, service)
        raise TravelError(f"{what} unreachable after {tries} {'try' if tries == 1 else 'tries'}: {last}")

    def _decode(self, status: int, raw: bytes, service: str) -> dict[str, Any]:
        what = f"OSRM server at {self.url}"
        if not raw.strip():
            raise TravelError(f"{what} sent an empty answer (HTTP {status}) to a {service} request")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise TravelError(f"{what} sent an answer that is not JSON (HTTP {status}) to a {service} request: "
                              f"{raw[:120].decode('utf-8', 'replace')!r}; is this an OSRM server?") from None
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            raise TravelError(f"{what} sent a malformed {service} answer (HTTP {status}): no 'code' field")
        if isinstance(body.get("data_version"), str):
            self.data_version = body["data_version"]
        if body["code"] != "Ok":
            raise _OsrmCode(body["code"], str(body.get("message", "")), status)
        if status != 200:
            raise TravelError(f"{what} answered HTTP {status} with code Ok to a {service} request")
        return body

    # -- cache key -------------------------------------------------------------------------
    def cache_key(self) -> str:
        """URL, profile and the data version the server reports now (one ``/nearest`` request).

        The key changes with the network only if the server's data was extracted with a data
        version (``osrm-extract --data_version``); otherwise it reads ``data_version=none``.
        """
        try:  # any point will do: with an unlimited radius it snaps somewhere
            body = self._get("nearest", [_PROBE], {"number": "1", "radiuses": "unlimited", "generate_hints": "false"})
        except _OsrmCode as e:
            raise TravelError(f"OSRM server at {self.url} does not say which data it serves: its /nearest "
                              f"answered {e.code}: {e.message}") from None
        version = body.get("data_version")
        return f"osrm:{self.url}:{self.profile}:data_version={version if isinstance(version, str) else 'none'}"

    # -- table -----------------------------------------------------------------------------
    def coordinate_cap(self, points: Sequence[LatLon] = ()) -> int:
        """Most coordinates in one request: ``2 * max_table_size``, fewer if the URL would outgrow
        the header limit OSRM derives from its table size (48 bytes per location + 1024)."""
        m = self.max_table_size
        coord_len = max((len(_coord(p)) for p in points), default=23)
        per = coord_len + 1 + len(str(2 * m)) + 1  # "lon,lat;" and its index in sources or destinations
        return min(2 * m, max(m, (48 * m + 1024 - 400) // per))

    def blocks(self, points: Sequence[LatLon]) -> list[tuple[list[int], list[int]]]:
        """(sources, destinations) point indices of each table request.

        OSRM allows ``len(sources) * len(destinations) <= max_table_size ** 2`` and its MLD table
        costs about one search per source plus one per destination. Up to ``max_table_size``
        points: one request. Beyond, the cheaper of strips of sources against all points (when
        they fit :meth:`coordinate_cap`) and square blocks of up to ``max_table_size`` sources
        against as many destinations.
        """
        n, m = len(points), self.max_table_size
        everyone = list(range(n))
        if n <= m:
            return [(everyone, everyone)]
        cap = self.coordinate_cap(points)
        b = min(m, cap // 2)
        chunks = [everyone[i:i + b] for i in range(0, n, b)]
        plans = [[(src, dst) for src in chunks for dst in chunks]]
        if n <= cap:
            s = max(1, m * m // n)
            plans.append([(everyone[i:i + s], everyone) for i in range(0, n, s)])

        def cost(plan: list[tuple[list[int], list[int]]]) -> int:  # searches, and a little per request
            return sum(len(src) + len(dst) + 10 for src, dst in plan)

        return min(plans, key=cost)

    def matrix(self, points: Sequence[LatLon]) -> TravelMatrix:
        """Integer seconds (rounded up) and metres (rounded) between all ``points``."""
        points = list(points)
        n = len(points)
        if n == 0:
            z = np.zeros((0, 0), dtype=np.int64)
            return TravelMatrix(z, z.copy())
        duration = np.zeros((n, n), dtype=float)
        distance = np.zeros((n, n), dtype=float)
        missing = np.zeros((n, n), dtype=bool)
        versions: set[str | None] = set()
        # OSRM wants two coordinates at least: a single point is asked against itself.
        for src, dst in self.blocks(points) if n > 1 else [([0], [0, 0])]:
            d, m, miss, version = self._table(points, src, dst)
            ix = np.ix_(src, dst)
            duration[ix], distance[ix], missing[ix] = d, m, miss
            versions.add(version)
            if len(versions) > 1:
                raise TravelError(f"OSRM server at {self.url} changed its data while the table was being "
                                  f"fetched (data versions {sorted(str(v) for v in versions)}); try again")
        np.fill_diagonal(missing, False)
        if missing.any():
            raise self._no_route(points, missing)
        out_s = np.ceil(duration - 1e-9).astype(np.int64)
        out_m = np.rint(distance).astype(np.int64)
        np.fill_diagonal(out_s, 0)
        np.fill_diagonal(out_m, 0)
        return TravelMatrix(out_s, out_m)

    def _table(self, points: list[LatLon], src: list[int], dst: list[int]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
        """One table request from ``points[src]`` to ``points[dst]``: durations, distances, null mask."""
        in_dst = set(dst)
        ids = list(dst) + [i for i in dict.fromkeys(src) if i not in in_dst]  # the coordinates sent
        pos = {i: k for k, i in reversed(list(enumerate(ids)))}
        params = {"annotations": "duration,distance", "generate_hints": "false"}
        if src != ids:
            params["sources"] = ";".join(str(pos[i]) for i in src)
        if dst != ids:
            params["destinations"] = ";".join(str(pos[i]) for i in dst)
        try:
            body = self._get("table", [points[i] for i in ids], params)
        except _OsrmCode as e:
            raise self._code_error(e, points, ids) from None
        what = f"OSRM server at {self.url} sent a malformed table answer"
        for key in ("durations", "distances"):
            rows = body.get(key)
            if rows is None:
                raise TravelError(f"{what}: no '{key}' (a server that cannot give distances is too old)")
            if (not isinstance(rows, list) or len(rows) != len(src)
                    or any(not isinstance(r, list) or len(r) != len(dst) for r in rows)):
                shape = (len(rows), len(rows[0]) if rows and isinstance(rows[0], list) else None) \
                    if isinstance(rows, list) else type(rows).__name__
                raise TravelError(f"{what}: '{key}' has shape {shape}, expected ({len(src)}, {len(dst)})")
            bad = [(a, b) for a, r in enumerate(rows) for b, x in enumerate(r) if x is not None and not _is_number(x)]
            if bad:
                a, b = bad[0]
                i, j = src[a], dst[b]
                raise TravelError(f"{what}: '{key}' from {_where(i, points[i])} to {_where(j, points[j])} "
                                  f"is {rows[a][b]!r}", points=(i, j))
        self._check_snap(body, points, src, dst)
        dur = np.array([[np.nan if x is None else x for x in r] for r in body["durations"]], dtype=float)
        dist = np.array([[np.nan if x is None else x for x in r] for r in body["distances"]], dtype=float)
        miss = np.isnan(dur) | np.isnan(dist)
        version = body.get("data_version")
        return np.nan_to_num(dur), np.nan_to_num(dist), miss, version if isinstance(version, str) else None

    def _check_snap(self, body: dict[str, Any], points: list[LatLon], src: list[int], dst: list[int]) -> None:
        """Every point's snapped location within ``max_snap_m`` (the waypoints' ``distance``)."""
        far: dict[int, float] = {}
        for key, block in (("sources", src), ("destinations", dst)):
            wps = body.get(key)
            if wps is None:
                continue
            if not isinstance(wps, list) or len(wps) != len(block):
                raise TravelError(f"OSRM server at {self.url} sent a malformed table answer: "
                                  f"'{key}' does not list {len(block)} waypoints")
            for i, wp in zip(block, wps, strict=True):
                d = wp.get("distance") if isinstance(wp, dict) else None
                if _is_number(d) and d > self.max_snap_m:
                    far[i] = float(d)
        if far:
            raise self._far_error(points, far)

    def _far_error(self, points: list[LatLon], far: dict[int, float]) -> TravelError:
        idx = sorted(far)
        names = "; ".join(f"{_where(i, points[i])} is {far[i]:.0f} m from the nearest road" for i in idx[:5])
        more = f" (and {len(idx) - 5} more)" if len(idx) > 5 else ""
        return TravelError(f"{names}{more}: more than max_snap_m={self.max_snap_m:g} m; is the point outside "
                           f"the area of the OSRM server at {self.url}?", points=tuple(idx))

    def _code_error(self, e: _OsrmCode, points: list[LatLon], block: list[int]) -> TravelError:
        """A clear error for an OSRM error code; finds the unsnappable point of a ``NoSegment``."""
        what = f"OSRM server at {self.url}"
        if e.code == "NoSegment":
            found = re.search(r"coordinate (\d+)", e.message)
            if found and int(found.group(1)) < len(block):
                bad = [block[int(found.group(1))]]
            else:  # an older server does not say which: ask /nearest point by point
                bad = [i for i in dict.fromkeys(block) if not self._snaps(points[i])]
            if bad:
                names = ", ".join(_where(i, points[i]) for i in bad[:5])
                return TravelError(f"{names}: no road within reach of the {what} (NoSegment); is the point "
                                   "outside the server's area?", points=tuple(bad))
            return TravelError(f"{what} found no road for some of points {block[:10]}"
                               f"{'...' if len(block) > 10 else ''} (NoSegment: {e.message})", points=tuple(block))
        if e.code == "TooBig":
            return TravelError(f"{what} refused a table of {len(block)} points as too big ({e.message}): its "
                               f"--max-table-size is smaller than max_table_size={self.max_table_size}; lower it")
        return TravelError(f"{what} refused the table request: {e.code}: {e.message} (HTTP {e.status})")

    def _snaps(self, p: LatLon) -> bool:
        """Whether ``/nearest`` finds a road for ``p`` within ``max_snap_m``."""
        try:
            body = self._get("nearest", [p], {"number": "1", "generate_hints": "false"})
        except _OsrmCode:
            return False
        wps = body.get("waypoints")
        d = wps[0].get("distance") if isinstance(wps, list) and wps and isinstance(wps[0], dict) else None
        return not (_is_number(d) and d > self.max_snap_m)

    def _no_route(self, points: list[LatLon], missing: np.ndarray) -> TravelError:
        """Name the points cut off from all others, else the first pairs without a route."""
        n = len(points)
        off = ~np.eye(n, dtype=bool)
        cut_off = [i for i in range(n) if missing[i][off[i]].all() or missing[:, i][off[:, i]].all()]
        what = f"OSRM server at {self.url}"
        if cut_off and len(cut_off) < n:
            names = ", ".join(_where(i, points[i]) for i in cut_off[:5])
            return TravelError(f"no road route between {names} and the other points ({what} answered null): is "
                               "the point on a road cut off from the network (a one-way dead end, a private "
                               "road)?", points=tuple(cut_off))
        pairs = list(zip(*np.nonzero(missing), strict=True))
        i, j = (int(v) for v in pairs[0])
        more = f" (and {len(pairs) - 1} more pairs)" if len(pairs) > 1 else ""
        return TravelError(f"no road route from {_where(i, points[i])} to {_where(j, points[j])}{more} "
                           f"({what} answered null)", points=(i, j))
