from __future__ import annotations

import math
import random

import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from maps.geo import (
    NearestIndex,
    bbox_around,
    distance_m,
    gcj02_to_wgs84,
    rank_nearest,
    wgs84_to_gcj02,
)
from maps.records import MapRecord

VECTORS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]


@pytest.mark.parametrize(("wgs", "gcj"), VECTORS)
def test_gcj02_matches_reference_vectors_within_1m(wgs, gcj):
    assert geodesic(wgs84_to_gcj02(*wgs), gcj).m < 1.0
    # The offset itself is hundreds of metres, so the check above is not vacuous.
    assert geodesic(wgs, gcj).m > 100.0


@pytest.mark.parametrize(("wgs", "_gcj"), VECTORS)
def test_gcj02_inverse_round_trips(wgs, _gcj):
    assert geodesic(gcj02_to_wgs84(*wgs84_to_gcj02(*wgs)), wgs).m < 0.01


@pytest.mark.parametrize("pos", [(51.5074, -0.1278), (40.7, -74.0), (-33.9, 151.2), (35.68, 139.69)])
def test_gcj02_is_identity_outside_china(pos):
    assert wgs84_to_gcj02(*pos) == pos
    assert gcj02_to_wgs84(*pos) == pos


def test_distance_equals_geopy():
    assert distance_m(31.25, 121.5, 31.3, 121.6) == geodesic((31.25, 121.5), (31.3, 121.6)).m


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-89.0, 89.0),
    lon=st.floats(-179.9, 179.9),
    radius=st.floats(1.0, 3_000_000.0),
    bearing=st.floats(0.0, 360.0),
    frac=st.floats(0.0, 1.0),
)
def test_bbox_holds_every_point_within_radius(lat, lon, radius, bearing, frac):
    dest = geodesic(meters=radius * frac).destination((lat, lon), bearing)
    min_lat, min_lon, max_lat, max_lon = bbox_around(lat, lon, radius)
    assert min_lat <= dest.latitude <= max_lat
    assert min_lon <= dest.longitude <= max_lon


def test_bbox_is_reasonably_tight_in_shanghai():
    min_lat, min_lon, max_lat, max_lon = bbox_around(31.25, 121.5, 1000)
    # 1 km is about 0.009 deg of latitude and 0.0105 deg of longitude at 31 N.
    assert 0.009 < (max_lat - min_lat) / 2 < 0.0092
    assert 0.0105 < (max_lon - min_lon) / 2 < 0.0107


def test_bbox_near_pole_covers_all_longitudes():
    assert bbox_around(89.99, 10.0, 5000)[1::2] == (-180.0, 180.0)


def test_bbox_rejects_negative_radius():
    with pytest.raises(ValueError):
        bbox_around(0, 0, -1)


def _brute(points, lat, lon, n):
    return rank_nearest((lat, lon), points, n, position=lambda p: p)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(1, 300),
    n=st.integers(1, 12),
    spread=st.sampled_from([0.001, 0.05, 1.0, 30.0]),
)
def test_nearest_index_equals_brute_force(seed, count, n, spread):
    rnd = random.Random(seed)
    points = [
        (
            max(-89.9, min(89.9, 31.25 + rnd.uniform(-spread, spread))),
            ((121.5 + rnd.uniform(-spread, spread) + 180) % 360) - 180,
        )
        for _ in range(count)
    ]
    # Duplicates make ties: the order must still match a stable brute-force sort.
    points += points[: count // 5]
    index = NearestIndex(points, position=lambda p: p, start_radius_m=50.0)
    for _ in range(5):
        lat = 31.25 + rnd.uniform(-spread, spread)
        lon = 121.5 + rnd.uniform(-spread, spread)
        got = index.query(lat, lon, n)
        want = _brute(points, lat, lon, n)
        assert [(r.distance_m, r.item) for r in got] == [(r.distance_m, r.item) for r in want]


def test_nearest_index_far_query_and_n_above_size():
    points = [(31.25, 121.5), (31.26, 121.51), (-33.9, 151.2)]
    index = NearestIndex(points, position=lambda p: p)
    got = index.query(51.5, -0.12, 10)
    assert [r.item for r in got] == [r.item for r in _brute(points, 51.5, -0.12, 10)]
    assert len(got) == 3


def test_rank_nearest_reads_record_attributes():
    recs = [
        MapRecord(str(i), "aed", 31.25 + i * 0.01, 121.5, "ready", f"a{i}") for i in range(5)
    ]
    got = rank_nearest((31.29, 121.5), recs, 2)
    assert [r.item.id for r in got] == ["4", "3"]
    assert math.isclose(got[0].distance_m, geodesic((31.29, 121.5), (31.29, 121.5)).m, abs_tol=1)
    assert rank_nearest((0, 0), recs, 0) == []
