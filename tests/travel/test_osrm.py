"""OsrmTravel against a real osrm-routed serving the river town, and against a scripted fake server
for the failures a real one will not produce on demand; plus build_osrm and OsrmServer."""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nachtzorg.exceptions import TravelError
from nachtzorg.model import LatLon, OsrmSettings
from nachtzorg.travel.base import haversine_m
from nachtzorg.travel.osrm import OsrmTravel
from nachtzorg.travel.osrm_server import (
    OsrmBuildError,
    OsrmServer,
    OsrmUnavailable,
    build_osrm,
    default_data_version,
    profile_path,
)
from nachtzorg.travel.town import RiverTown

from .conftest import TEST_MAX_TABLE_SIZE

#: Speed of a residential street without a maxspeed tag in OSRM's car profile, km/h.
CAR_RESIDENTIAL_KMH = 25.0
SEA = LatLon(lat=53.5, lon=4.5)  # North Sea, some 150 km from the town


def straight_m(a: LatLon, b: LatLon) -> float:
    return float(haversine_m(np.array([a.lat, b.lat]), np.array([a.lon, b.lon]))[0, 1])


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# -- against the real server ---------------------------------------------------------------------

def test_matrix_is_square_integer_with_zero_diagonal(osrm_url: str, river_town: RiverTown) -> None:
    pts = [river_town.crossing(0, 0), river_town.point(2, 3.5, 20.0), river_town.crossing(8, 7),
           river_town.point(10, 1, -15.0)]
    m = OsrmTravel(osrm_url).matrix(pts)
    for a in (m.duration_s, m.distance_m):
        assert a.shape == (4, 4) and a.dtype.kind == "i"
        assert (np.diag(a) == 0).all()
        assert (a[~np.eye(4, dtype=bool)] > 0).all()
    for i in range(4):
        for j in range(4):
            if i != j:  # a drive is never shorter than the straight line (snap offsets aside)
                assert m.distance_m[i, j] >= straight_m(pts[i], pts[j]) - 50


def test_empty_and_single_point(osrm_url: str, river_town: RiverTown) -> None:
    travel = OsrmTravel(osrm_url)
    assert travel.matrix([]).duration_s.shape == (0, 0)
    one = travel.matrix([river_town.crossing(3, 3)])
    assert one.duration_s.tolist() == [[0]] and one.distance_m.tolist() == [[0]]
    with pytest.raises(TravelError) as e:
        travel.matrix([SEA])  # a single point is still checked
    assert e.value.points == (0,)


def test_opposite_banks_go_round_by_the_bridge(osrm_url: str, river_town: RiverTown) -> None:
    top = river_town.rows - 1  # the bridge is on row 0: as far from it as the town goes
    w = river_town.west_cols
    west, east = river_town.crossing(w - 1, top), river_town.crossing(w, top)
    west_neighbour = river_town.crossing(w - 2, top)
    m = OsrmTravel(osrm_url).matrix([west, east, west_neighbour])
    speed = CAR_RESIDENTIAL_KMH / 3.6

    def ratio(i: int, j: int, a: LatLon, b: LatLon) -> float:
        return m.duration_s[i, j] / (straight_m(a, b) / speed)

    across = straight_m(west, east)
    assert across < 300
    assert ratio(0, 1, west, east) > 5 and ratio(1, 0, east, west) > 5  # round by the bridge
    assert m.distance_m[0, 1] > 8 * across
    assert ratio(0, 2, west, west_neighbour) < 2 and ratio(2, 0, west_neighbour, west) < 2
    assert m.distance_m[0, 2] < 1.2 * straight_m(west, west_neighbour)


def test_duration_between_crossings_fits_residential_speed(osrm_url: str, river_town: RiverTown) -> None:
    a, b = river_town.crossing(0, 5), river_town.crossing(5, 5)  # 5 blocks along one residential street
    grid_m = 5 * river_town.spacing_m
    m = OsrmTravel(osrm_url).matrix([a, b])
    expected_s = grid_m / (CAR_RESIDENTIAL_KMH / 3.6)
    for i, j in ((0, 1), (1, 0)):
        assert abs(m.distance_m[i, j] - grid_m) <= 0.03 * grid_m
        assert 0.8 * expected_s <= m.duration_s[i, j] <= 2.0 * expected_s


def _single_row_reference(url: str, pts: list[LatLon]) -> tuple[np.ndarray, np.ndarray]:
    """The full table from one-source requests, parsed here independently of OsrmTravel."""
    coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in pts)
    dur, dist = [], []
    for i in range(len(pts)):
        with urllib.request.urlopen(f"{url}/table/v1/driving/{coords}?sources={i}&annotations=duration,distance",
                                    timeout=10) as r:
            body = json.load(r)
        assert body["code"] == "Ok"
        dur.append([math.ceil(x - 1e-9) for x in body["durations"][0]])
        dist.append([round(x) for x in body["distances"][0]])
    d, m = np.array(dur), np.array(dist)
    np.fill_diagonal(d, 0)
    np.fill_diagonal(m, 0)
    return d, m


def random_town_points(town: RiverTown, n: int, seed: int) -> list[LatLon]:
    """Points along the town's column streets, up to 30 m off them."""
    rng = np.random.default_rng(seed)
    return [town.point(int(rng.integers(0, town.cols)), float(rng.uniform(0, town.rows - 1)),
                       float(rng.uniform(-30, 30))) for _ in range(n)]


@pytest.mark.parametrize("n", [40, 60])  # strips of sources against all points; blocks
def test_chunked_table_equals_single_row_requests(osrm_url: str, river_town: RiverTown, n: int) -> None:
    pts = random_town_points(river_town, n, seed=7)
    travel = OsrmTravel(osrm_url, max_table_size=TEST_MAX_TABLE_SIZE)
    blocks = travel.blocks(pts)
    assert len(blocks) > 1
    strips = all(dst == list(range(n)) for _, dst in blocks)
    assert strips == (n == 40)  # 40: cheaper as strips; 60: more than the coordinates a request may hold
    covered = np.zeros((n, n), dtype=int)
    for src, dst in blocks:
        assert len(src) * len(dst) <= TEST_MAX_TABLE_SIZE ** 2
        assert len(set(src) | set(dst)) <= travel.coordinate_cap(pts) <= 2 * TEST_MAX_TABLE_SIZE
        covered[np.ix_(src, dst)] += 1
    assert (covered == 1).all()  # every pair asked exactly once
    m = travel.matrix(pts)
    assert travel.requests == len(blocks)
    ref_s, ref_m = _single_row_reference(osrm_url, pts)
    np.testing.assert_array_equal(m.duration_s, ref_s)
    # OSRM sums a route's metres in a different order for different tables: 3632.5 in one answer
    # can be 3632.6 in another, one metre apart once rounded. Times agree exactly.
    assert np.abs(m.distance_m - ref_m).max() <= 1


@pytest.mark.parametrize("n, m", [(3, 2), (5, 2), (7, 3), (26, 25), (50, 25), (51, 25), (333, 100), (1000, 100)])
def test_blocks_cover_every_pair_once_within_the_limits(n: int, m: int) -> None:
    pts = [LatLon(lat=-37.123456 - k / 1e4, lon=-122.123456) for k in range(n)]  # long coordinates
    travel = OsrmTravel("http://127.0.0.1:1", max_table_size=m)
    covered = np.zeros((n, n), dtype=int)
    for src, dst in travel.blocks(pts):
        assert len(src) * len(dst) <= m * m
        ids = list(dict.fromkeys(dst + src))  # the coordinates sent
        assert len(ids) <= travel.coordinate_cap(pts) <= 2 * m
        covered[np.ix_(src, dst)] += 1
        # the URL fits the header limit OSRM derives from --max-table-size (48 bytes a location + 1 KiB)
        index = len(f"{len(ids)};")
        url_len = (len(ids) * len("-122.123456,-37.123456;") + (len(src) if src != ids else 0) * index
                   + (len(dst) if dst != ids else 0) * index)
        assert url_len <= 48 * m + 1024 - 400
    assert (covered == 1).all()


def test_table_at_exactly_the_limit_is_one_request(osrm_url: str, river_town: RiverTown) -> None:
    pts = [river_town.crossing(c % river_town.cols, c // river_town.cols) for c in range(TEST_MAX_TABLE_SIZE + 1)]
    travel = OsrmTravel(osrm_url, max_table_size=TEST_MAX_TABLE_SIZE)
    travel.matrix(pts[:-1])
    assert travel.requests == 1
    assert travel.matrix(pts).duration_s.shape == (26, 26)


def test_max_table_size_above_the_servers_is_a_clear_error(osrm_url: str, river_town: RiverTown) -> None:
    pts = [river_town.crossing(c % river_town.cols, c // river_town.cols) for c in range(30)]
    with pytest.raises(TravelError, match="max_table_size=40"):
        OsrmTravel(osrm_url, max_table_size=40).matrix(pts)


def test_point_in_the_sea_is_named(osrm_url: str, river_town: RiverTown) -> None:
    pts = [river_town.crossing(c, 2) for c in range(3)] + [SEA] + [river_town.crossing(c, 4) for c in range(3)]
    with pytest.raises(TravelError) as e:
        OsrmTravel(osrm_url, max_snap_m=300).matrix(pts)
    assert e.value.points == (3,)
    assert "point 3 (53.500000, 4.500000)" in str(e.value) and "max_snap_m=300" in str(e.value)


def test_house_off_the_street_within_max_snap_is_fine(osrm_url: str, river_town: RiverTown) -> None:
    pts = [river_town.crossing(1, 1), river_town.point(3.5, 3.4)]  # 60 m from the nearest street
    assert OsrmTravel(osrm_url, max_snap_m=100).matrix(pts).duration_s[0, 1] > 0
    with pytest.raises(TravelError) as e:
        OsrmTravel(osrm_url, max_snap_m=40).matrix(pts)
    assert e.value.points == (1,)


def test_unsnappable_point_on_a_server_with_a_radius(osrm_base: Path, osrm_bin: Path, river_town: RiverTown) -> None:
    pts = [river_town.crossing(0, 0), river_town.crossing(4, 4), SEA]
    with (OsrmServer(osrm_base, bin_dir=osrm_bin, extra_args=["--default-radius", "300"]) as server,
          pytest.raises(TravelError, match="NoSegment") as e):
        OsrmTravel(server.url).matrix(pts)
        assert OsrmTravel(server.url).cache_key().startswith(f"osrm:{server.url}:driving:data_version=nz-")
    assert e.value.points == (2,)
    assert "point 2 (53.500000, 4.500000)" in str(e.value)


def test_cache_key_holds_the_data_version(osrm_url: str, town_osm: Path, osrm_bin: Path, tmp_path: Path) -> None:
    version = default_data_version(town_osm, profile_path("car", osrm_bin))
    travel = OsrmTravel(osrm_url)
    key = travel.cache_key()
    assert key == f"osrm:{osrm_url}:driving:data_version={version}"
    assert travel.requests == 1
    other = RiverTown(cols=12, rows=10, bridge_row=5).write(tmp_path / "other.osm")
    assert default_data_version(other, profile_path("car", osrm_bin)) != version


def test_from_settings() -> None:
    travel = OsrmTravel.from_settings(OsrmSettings(url="http://127.0.0.1:5000/", timeout_s=3, retries=4,
                                                   max_table_size=50, max_snap_m=200))
    assert (travel.url, travel.timeout_s, travel.retries, travel.max_table_size, travel.max_snap_m) == \
        ("http://127.0.0.1:5000", 3.0, 4, 50, 200.0)


def test_server_down_is_a_quick_error_naming_the_url(river_town: RiverTown) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    url = f"http://127.0.0.1:{port}"
    travel = OsrmTravel(url, timeout_s=0.5, retries=2, backoff_s=0.01)
    t0 = time.monotonic()
    with pytest.raises(TravelError, match=rf"OSRM server at {url} unreachable after 3 tries"):
        travel.matrix([river_town.crossing(0, 0), river_town.crossing(1, 1)])
    assert time.monotonic() - t0 < 3
    assert travel.requests == 3


# -- OsrmServer and build_osrm -------------------------------------------------------------------

def test_server_stop_leaves_no_process(osrm_base: Path, osrm_bin: Path, river_town: RiverTown) -> None:
    server = OsrmServer(osrm_base, bin_dir=osrm_bin)
    with server:
        pid = server.pid
        assert pid is not None and not process_gone(pid)
        OsrmTravel(server.url).matrix([river_town.crossing(0, 0), river_town.crossing(2, 2)])
    assert process_gone(pid)
    assert not server.running
    server.stop()  # twice is fine
    with pytest.raises(OsrmUnavailable):
        _ = server.url


def test_failed_start_raises_with_the_log_and_leaves_no_process(osrm_base: Path, osrm_bin: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = OsrmServer(osrm_base, bin_dir=osrm_bin, port=busy.getsockname()[1])
        with pytest.raises(OsrmUnavailable, match=r"(?i)in use"), server:
            pytest.fail("must not get here")  # pragma: no cover
    assert server.pid is not None and process_gone(server.pid)


def test_server_without_data_is_a_clear_error(tmp_path: Path, osrm_bin: Path) -> None:
    with pytest.raises(OsrmUnavailable, match="build_osrm"):
        OsrmServer(tmp_path / "missing.osrm", bin_dir=osrm_bin).start()


def test_build_fails_clearly_on_a_broken_osm_file(tmp_path: Path, osrm_bin: Path) -> None:
    broken = tmp_path / "broken.osm"
    broken.write_text('<osm><node id="1" lat="x"')
    with pytest.raises(OsrmBuildError, match=r"osrm-extract failed .*/broken\.osm") as e:
        build_osrm(broken, tmp_path / "out", bin_dir=osrm_bin)
    assert "version" in str(e.value)  # osmium's complaint, from stderr
    no_roads = tmp_path / "empty.osm"
    no_roads.write_text('<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="52" lon="6"/></osm>\n')
    with pytest.raises(OsrmBuildError, match="no edges"):
        build_osrm(no_roads, tmp_path / "out", bin_dir=osrm_bin)


def test_build_with_an_explicit_data_version(tmp_path: Path, osrm_bin: Path) -> None:
    osm = RiverTown(cols=4, rows=2).write(tmp_path / "tiny.osm")
    base = build_osrm(osm, tmp_path / "out", bin_dir=osrm_bin, data_version="tiny-1")
    assert base == (tmp_path / "out" / "tiny.osrm").resolve()
    with OsrmServer(base, bin_dir=osrm_bin) as server:
        assert OsrmTravel(server.url).cache_key().endswith("data_version=tiny-1")


# -- against a scripted fake server --------------------------------------------------------------

class FakeOsrm:
    """An HTTP server answering scripted (status, body) pairs in order, the last one repeated."""

    def __init__(self) -> None:
        self.script: list[tuple[int, bytes]] = []
        self.paths: list[str] = []
        self.delay_s = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the http.server API names it
                fake.paths.append(self.path)
                status, body = fake.script.pop(0) if len(fake.script) > 1 else fake.script[0]
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def answer(self, *responses: tuple[int, Any]) -> None:
        self.script = [(s, b if isinstance(b, bytes) else json.dumps(b).encode()) for s, b in responses]


def table(durations: list[list[float | None]], distances: list[list[float | None]] | None = None,
          snap_m: float = 1.0, n_dst: int | None = None) -> dict[str, Any]:
    def wps(k: int) -> list[dict[str, Any]]:
        return [{"location": [6.5, 53.0], "name": "", "distance": snap_m} for _ in range(k)]

    return {"code": "Ok", "data_version": "fake-1", "durations": durations,
            "distances": distances if distances is not None else durations,
            "sources": wps(len(durations)), "destinations": wps(n_dst or len(durations))}


OK2 = table([[0, 10.2], [11.0, 0]], [[0, 100.4], [99.6, 0]])
P2 = [LatLon(lat=53.0, lon=6.5), LatLon(lat=53.001, lon=6.501)]


@pytest.fixture
def fake() -> Iterator[FakeOsrm]:
    server = FakeOsrm()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_fake_rounds_seconds_up_and_metres_to_nearest(fake: FakeOsrm) -> None:
    fake.answer((200, OK2))
    m = OsrmTravel(fake.url).matrix(P2)
    assert m.duration_s.tolist() == [[0, 11], [11, 0]]
    assert m.distance_m.tolist() == [[0, 100], [100, 0]]
    assert "/table/v1/driving/6.500000,53.000000;6.501000,53.001000?" in fake.paths[0]


def test_5xx_is_retried_then_succeeds(fake: FakeOsrm) -> None:
    fake.answer((500, b"oops"), (200, OK2))
    travel = OsrmTravel(fake.url, retries=2, backoff_s=0.01)
    assert travel.matrix(P2).duration_s[0, 1] == 11
    assert len(fake.paths) == 2 and travel.requests == 2


def test_5xx_after_all_retries_is_an_error(fake: FakeOsrm) -> None:
    fake.answer((503, b"busy"))
    with pytest.raises(TravelError, match=rf"{fake.url} unreachable after 2 tries: HTTP 503"):
        OsrmTravel(fake.url, retries=1, backoff_s=0.01).matrix(P2)
    assert len(fake.paths) == 2


def test_4xx_with_an_osrm_code_is_not_retried(fake: FakeOsrm) -> None:
    fake.answer((400, {"code": "InvalidQuery", "message": "Query string malformed close to position 18"}))
    with pytest.raises(TravelError, match="InvalidQuery: Query string malformed"):
        OsrmTravel(fake.url, retries=3, backoff_s=0.01).matrix(P2)
    assert len(fake.paths) == 1


def test_timeout_is_retried_and_reported(fake: FakeOsrm) -> None:
    fake.answer((200, OK2))
    fake.delay_s = 1.0
    t0 = time.monotonic()
    with pytest.raises(TravelError, match=r"unreachable after 2 tries: .*timed out"):
        OsrmTravel(fake.url, timeout_s=0.2, retries=1, backoff_s=0.01).matrix(P2)
    assert time.monotonic() - t0 < 1.5


@pytest.mark.parametrize("body, message", [
    (b"<html>Bad gateway</html>", "not JSON"),
    (b"", "empty answer"),
    ({"message": "no code here"}, "no 'code'"),
    ({**OK2, "durations": None}, "no 'durations'"),
    ({**OK2, "distances": [[0, 1]]}, r"'distances' has shape \(1, 2\), expected \(2, 2\)"),
    ({**OK2, "durations": [[0, 1], [1]]}, "'durations' has shape"),
    ({**OK2, "durations": [[0, -4], [1, 0]]}, "is -4"),
    ({**OK2, "durations": [[0, "7"], [1, 0]]}, "is '7'"),
    ({**OK2, "sources": []}, "'sources' does not list 2 waypoints"),
], ids=["html", "empty", "no-code", "no-durations", "short-distances", "ragged", "negative", "text", "waypoints"])
def test_malformed_answers_are_clear_errors(fake: FakeOsrm, body: Any, message: str) -> None:
    fake.answer((200, body))
    with pytest.raises(TravelError, match=message):
        OsrmTravel(fake.url, retries=0).matrix(P2)


def test_null_duration_is_an_error_naming_both_points(fake: FakeOsrm) -> None:
    fake.answer((200, table([[0, None], [12.0, 0]])))
    with pytest.raises(TravelError, match=r"no road route from point 0 \(53\.000000, 6\.500000\) to point 1") as e:
        OsrmTravel(fake.url).matrix(P2)
    assert e.value.points == (0, 1)


def test_point_cut_off_from_all_others_is_named(fake: FakeOsrm) -> None:
    fake.answer((200, table([[0, 5, None], [5, 0, None], [None, None, 0]])))
    with pytest.raises(TravelError, match=r"between point 2 .* and the other points") as e:
        OsrmTravel(fake.url).matrix([*P2, LatLon(lat=53.01, lon=6.52)])
    assert e.value.points == (2,)


def test_no_segment_names_the_coordinate_the_server_names(fake: FakeOsrm) -> None:
    fake.answer((400, {"code": "NoSegment", "message": "Could not find a matching segment for coordinate 1"}))
    with pytest.raises(TravelError, match=r"point 1 \(53\.001000, 6\.501000\)") as e:
        OsrmTravel(fake.url).matrix(P2)
    assert e.value.points == (1,)


def test_no_segment_without_index_is_found_by_nearest(fake: FakeOsrm) -> None:
    near = {"code": "Ok", "waypoints": [{"location": [6.5, 53.0], "distance": 3.0}]}
    fake.answer((400, {"code": "NoSegment", "message": "Could not find a matching segment for input coordinates"}),
                (200, near), (400, {"code": "NoSegment", "message": "Could not find a matching segment"}))
    with pytest.raises(TravelError, match="NoSegment") as e:
        OsrmTravel(fake.url).matrix(P2)
    assert e.value.points == (1,)
    assert [p.split("/")[1] for p in fake.paths] == ["table", "nearest", "nearest"]


def test_data_version_change_between_chunks_is_an_error(fake: FakeOsrm) -> None:
    pts = [LatLon(lat=53.0 + k / 1000, lon=6.5) for k in range(3)]
    strip = table([[0, 1.0, 1.0]], n_dst=3)  # three strips of one source against all points
    fake.answer((200, strip), (200, {**strip, "data_version": "fake-2"}), (200, strip))
    with pytest.raises(TravelError, match="changed its data"):
        OsrmTravel(fake.url, max_table_size=2).matrix(pts)
    assert len(fake.paths) == 2 and "sources=1" in fake.paths[1] and "destinations" not in fake.paths[1]


def test_cache_key_without_a_data_version_says_none(fake: FakeOsrm) -> None:
    fake.answer((200, {"code": "Ok", "waypoints": [{"location": [0, 0], "distance": 5.0}]}))
    assert OsrmTravel(fake.url, profile="car").cache_key() == f"osrm:{fake.url}:car:data_version=none"
    assert "/nearest/v1/car/" in fake.paths[0]


def test_cache_key_when_the_server_will_not_say_is_an_error(fake: FakeOsrm) -> None:
    fake.answer((400, {"code": "NoSegment", "message": "Could not find a matching segment for coordinate 0"}))
    with pytest.raises(TravelError, match="does not say which data it serves"):
        OsrmTravel(fake.url).cache_key()
    assert "radiuses=unlimited" in fake.paths[0]
