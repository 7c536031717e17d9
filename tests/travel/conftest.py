"""Session fixtures for the travel tests: a synthetic river town and a real OSRM server for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nachtzorg.travel.osrm_server import OsrmServer, OsrmUnavailable, build_osrm, osrm_binaries
from nachtzorg.travel.town import RiverTown

#: The test server's --max-table-size: small, so that 60 points already need chunked requests.
TEST_MAX_TABLE_SIZE = 25


@pytest.fixture(scope="session")
def river_town() -> RiverTown:
    return RiverTown(cols=12, rows=10)


@pytest.fixture(scope="session")
def town_osm(river_town: RiverTown, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return river_town.write(tmp_path_factory.mktemp("town") / "town.osm")


@pytest.fixture(scope="session")
def osrm_bin() -> Path:
    """The OSRM programs (downloaded once into the user cache); skipped when they cannot be
    had, but a failure on CI (``CI=true``), where they must be."""
    try:
        return osrm_binaries()
    except OsrmUnavailable as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"OSRM programs unavailable on CI: {e}")
        pytest.skip(f"OSRM programs unavailable: {e}")


@pytest.fixture(scope="session")
def osrm_base(town_osm: Path, osrm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_osrm(town_osm, tmp_path_factory.mktemp("osrm-data"), bin_dir=osrm_bin)


@pytest.fixture(scope="session")
def osrm_url(osrm_base: Path, osrm_bin: Path) -> Iterator[str]:
    """URL of an osrm-routed serving the river town with --max-table-size 25."""
    with OsrmServer(osrm_base, bin_dir=osrm_bin, max_table_size=TEST_MAX_TABLE_SIZE) as server:
        yield server.url
