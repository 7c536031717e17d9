"""The straight-line provider and travel matrices: integer seconds and metres."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nachtzorg import LatLon, StraightLineTravel, TravelError

ASSEN = LatLon(lat=52.993, lon=6.562)
BEILEN = LatLon(lat=52.862, lon=6.512)


def test_straight_line_distance_and_time_are_integers_with_detour_and_speed():
    """Assen-Beilen: about 14.9 km straight, x1.35 detour, at 45 km/h; integer m and s."""
    m = StraightLineTravel(speed_kmh=45, detour_factor=1.35).matrix([ASSEN, BEILEN])
    assert m.distance_m.dtype.kind == "i" and m.duration_s.dtype.kind == "i"
    straight_km = m.distance_m[0, 1] / 1.35 / 1000
    assert 14.5 < straight_km < 15.3
    assert abs(m.duration_s[0, 1] - m.distance_m[0, 1] / (45 / 3.6)) <= 1
    assert m.distance_m[0, 0] == 0 and m.distance_m[0, 1] == m.distance_m[1, 0]


def test_point_far_outside_the_region_is_a_clear_error():
    """A coordinate typo (a point in another continent) raises TravelError naming the points."""
    with pytest.raises(TravelError, match="outside the region"):
        StraightLineTravel().matrix([ASSEN, LatLon(lat=-33.9, lon=18.4)])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(52.8, 53.1), st.floats(6.3, 6.8)), min_size=3, max_size=8))
def test_triangle_inequality_holds_within_rounding(points):
    """Going via a third point is never shorter than direct, up to 1 m / 1 s of rounding."""
    m = StraightLineTravel().matrix([LatLon(lat=a, lon=b) for a, b in points])
    for mat in (m.distance_m, m.duration_s):
        via = mat[:, :, None] + mat.T[None, :, :]  # via[i, k, j] = d(i,k) + d(k,j)
        direct = mat[:, None, :]
        assert (direct <= via + 1).all()


def test_matrix_take_reindexes():
    """take() picks sub-matrices by point index, repeats allowed."""
    m = StraightLineTravel().matrix([ASSEN, BEILEN])
    sub = m.take(np.array([1, 1, 0]))
    assert sub.distance_m[0, 1] == 0 and sub.distance_m[0, 2] == m.distance_m[1, 0]
