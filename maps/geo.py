"""Geodesy helpers: WGS-84 -> GCJ-02 conversion and exact nearest-point search.

Distances are WGS-84 geodesics, the same numbers :class:`geopy.distance.geodesic` gives
(we call geographiclib, which geopy wraps, without geopy's per-call point parsing).

Nearest search is exact: :func:`bbox_around` returns a box that is guaranteed to hold
every point within ``radius_m``; :class:`NearestIndex` widens that box until the n-th
nearest candidate lies within the guaranteed radius, so its answer equals a brute-force
ranking over all points (ties broken by insertion order, as a stable sort would).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from geographiclib.geodesic import Geodesic

T = TypeVar("T")

# geopy's geodesic works in kilometres on WGS-84 and multiplies by 1000 for ``.m``; doing
# the same gives its numbers bit for bit (metres on Geodesic.WGS84 differ in the last bit
# for about a quarter of pairs, enough to break an "identical to brute force" check).
_GEOD_KM = Geodesic(6378.137, 1 / 298.257223563)
_DISTANCE = Geodesic.DISTANCE

# --- GCJ-02 ---------------------------------------------------------------------------
# GCJ-02 is WGS-84 plus an obfuscating offset computed on the Krasovsky 1940 ellipsoid.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323


def in_china(lat: float, lon: float) -> bool:
    """Rough mainland-China box the transform is applied in (as the common
    implementations do); outside it GCJ-02 equals WGS-84."""
    return 0.8293 <= lat <= 55.8271 and 72.004 <= lon <= 137.8347


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Convert a WGS-84 position to GCJ-02 (identity outside China)."""
    if not in_china(lat, lon):
        return lat, lon
    x, y = lon - 105.0, lat - 35.0
    dlat = _offset_lat(x, y)
    dlon = _offset_lon(x, y)
    rad = lat / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (well under 1 cm)."""
    if not in_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(30):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        wlat, wlon = wlat - dlat, wlon - dlon
        if abs(dlat) < 1e-10 and abs(dlon) < 1e-10:
            break
    return wlat, wlon


# --- distances and boxes --------------------------------------------------------------

# Smallest meridional radius of curvature on WGS-84 (at the equator): a(1 - e^2).
# One degree of latitude is never shorter than this many metres.
_MIN_M_PER_DEG_LAT = 6335439.327 * math.pi / 180.0
# Used as a sphere radius for the longitude half-width; the smaller the radius, the wider
# (more conservative) the box. b^2/a is below every radius of curvature on WGS-84.
_MIN_RADIUS = 6335439.327
_SAFETY = 1.001
#: Half the WGS-84 meridian: no two points are farther apart than this along a geodesic.
MAX_DISTANCE_M = 20_003_931.5


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres on WGS-84, bit-identical to geopy's ``geodesic(...).m``."""
    return float(_GEOD_KM.Inverse(lat1, lon1, lat2, lon2, _DISTANCE)["s12"]) * 1000.0


def bbox_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) holding every point within ``radius_m``.

    Conservative, never too small: the latitude half-width uses the shortest possible
    degree of latitude; the longitude half-width is the exact extent of a spherical cap on
    a sphere smaller than the ellipsoid, plus 0.1 %. Near a pole or across the
    antimeridian the box widens to the full longitude range instead of wrapping.
    """
    if radius_m < 0:
        raise ValueError("radius_m must be >= 0")
    dlat = radius_m / _MIN_M_PER_DEG_LAT * _SAFETY
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    angle = radius_m / _MIN_RADIUS * _SAFETY
    cos_lat = math.cos(math.radians(lat))
    if (
        angle >= math.pi / 2
        or min_lat <= -90.0
        or max_lat >= 90.0
        or math.sin(angle) >= cos_lat * 0.999
    ):
        return min_lat, -180.0, max_lat, 180.0
    dlon = math.degrees(math.asin(math.sin(angle) / cos_lat)) * _SAFETY
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180.0 or max_lon > 180.0:
        return min_lat, -180.0, max_lat, 180.0
    return min_lat, min_lon, max_lat, max_lon


@dataclass(frozen=True, slots=True)
class Ranked(Generic[T]):
    """A candidate with its geodesic distance from the query origin."""

    distance_m: float
    item: T


def _latlon_attrs(item: object) -> tuple[float, float]:
    return item.lat, item.lon  # type: ignore[attr-defined]


def rank_nearest(
    origin: tuple[float, float],
    candidates: Iterable[T],
    n: int,
    *,
    position: Callable[[T], tuple[float, float]] = _latlon_attrs,
) -> list[Ranked[T]]:
    """The ``n`` candidates nearest to ``origin`` (lat, lon), nearest first.

    Brute force over what it is given: the app passes the rows of its indexed box query
    (:func:`bbox_around`) and, if fewer than ``n`` come back within the radius, widens.
    Ties keep the candidates' order. ``position`` reads (lat, lon) from a candidate
    (default: ``.lat`` / ``.lon`` attributes, e.g. a :class:`maps.records.MapRecord`).
    """
    if n <= 0:
        return []
    lat0, lon0 = origin
    scored = [
        (distance_m(lat0, lon0, *position(c)), i, c) for i, c in enumerate(candidates)
    ]
    scored.sort(key=lambda t: (t[0], t[1]))
    return [Ranked(d, c) for d, _, c in scored[:n]]


class NearestIndex(Generic[T]):
    """In-memory exact n-nearest search over fixed points (for tests, benchmarks and
    small deployments). Same answers as :func:`rank_nearest` over all items."""

    def __init__(
        self,
        items: Sequence[T],
        *,
        position: Callable[[T], tuple[float, float]] = _latlon_attrs,
        start_radius_m: float | None = None,
    ) -> None:
        self._items = list(items)
        coords = np.array([position(it) for it in self._items], dtype=float).reshape(-1, 2)
        self._lat = coords[:, 0]
        self._lon = coords[:, 1]
        self._area_per_point = self._estimate_area_per_point()
        self._start_radius = start_radius_m

    def _estimate_area_per_point(self) -> float:
        """Square metres per point over the data's bounding box (a rough density, used only
        to pick a first search radius; correctness never depends on it)."""
        if len(self._lat) < 2:
            return 1e6
        mid = math.radians(float(np.mean(self._lat)))
        height = (float(self._lat.max()) - float(self._lat.min())) * 111_000.0
        width = (float(self._lon.max()) - float(self._lon.min())) * 111_000.0 * math.cos(mid)
        return max(height * width, 1.0) / len(self._lat)

    def _first_radius(self, n: int) -> float:
        if self._start_radius is not None:
            return self._start_radius
        # A circle expected to hold about 3n points.
        return max(10.0, math.sqrt(3.0 * n * self._area_per_point / math.pi))

    def __len__(self) -> int:
        return len(self._items)

    def query(self, lat: float, lon: float, n: int) -> list[Ranked[T]]:
        """The ``n`` nearest items to (lat, lon), nearest first."""
        total = len(self._items)
        if n <= 0 or total == 0:
            return []
        n = min(n, total)
        radius = self._first_radius(n)
        known: dict[int, float] = {}  # distances already computed in a smaller box
        while True:
            min_lat, min_lon, max_lat, max_lon = bbox_around(lat, lon, radius)
            mask = (
                (self._lat >= min_lat)
                & (self._lat <= max_lat)
                & (self._lon >= min_lon)
                & (self._lon <= max_lon)
            )
            idx = np.flatnonzero(mask)
            whole_world = radius >= MAX_DISTANCE_M
            if len(idx) >= n or whole_world:
                for i in idx.tolist():
                    if i not in known:
                        known[i] = distance_m(lat, lon, float(self._lat[i]), float(self._lon[i]))
                scored = sorted((known[i], i) for i in idx.tolist())
                if whole_world or scored[n - 1][0] <= radius:
                    return [Ranked(d, self._items[i]) for d, i in scored[:n]]
                # The n-th candidate may be beaten by a point outside the box: grow the
                # radius to that distance, which the next box is sure to cover.
                radius = min(max(radius * 2.0, scored[n - 1][0]), MAX_DISTANCE_M)
            else:
                radius = min(radius * 2.0, MAX_DISTANCE_M)
