"""The coverage files, read from GeoJSON (RFC 7946: WGS-84, ``[lon, lat]``): the area of
interest (polygons), demand weights (polygons with a ``weight``) and candidate points
for new AEDs. A file that cannot be used raises :class:`CoverageFileError` saying which
feature is wrong and why."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: One ring as an (n, 2) array of [lon, lat].
Ring = np.ndarray


class CoverageFileError(ValueError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path.name}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True, eq=False)
class Polygon:
    """An outer ring and its holes; a point is inside when it crosses an odd number of
    the rings' edges (even-odd), so holes need no special case."""

    rings: tuple[Ring, ...]
    weight: float = 1.0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon)."""
        outer = self.rings[0]
        return (float(outer[:, 1].min()), float(outer[:, 0].min()),
                float(outer[:, 1].max()), float(outer[:, 0].max()))

    def contains(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        inside = np.zeros(lat.shape, dtype=bool)
        for ring in self.rings:
            x0, y0 = ring[:-1, 0], ring[:-1, 1]
            x1, y1 = ring[1:, 0], ring[1:, 1]
            for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
                if ay == by:
                    continue  # a horizontal edge is never crossed by a horizontal ray
                crosses = (ay > lat) != (by > lat)
                x_at = ax + (lat - ay) * (bx - ax) / (by - ay)
                inside ^= crosses & (lon < x_at)
        return inside


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CoverageFileError(path, "file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CoverageFileError(path, f"not JSON ({exc})") from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
    elif isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    else:
        raise CoverageFileError(path, "expected a GeoJSON FeatureCollection or Feature")
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise CoverageFileError(path, "features must be a list of objects")
    return features


def _position(path: Path, where: str, value: Any) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])):
        raise CoverageFileError(path, f"{where}: a position is [lon, lat]")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        raise CoverageFileError(path, f"{where}: [{lon}, {lat}] is not a WGS-84 position")
    return lon, lat


def _ring(path: Path, where: str, value: Any) -> Ring:
    if not isinstance(value, list) or len(value) < 4:
        raise CoverageFileError(path, f"{where}: a ring needs at least 4 positions")
    ring = np.array([_position(path, where, p) for p in value], dtype=float)
    if not np.array_equal(ring[0], ring[-1]):
        raise CoverageFileError(path, f"{where}: a ring must end where it starts")
    return ring


def _polygons(path: Path, where: str, geometry: Any) -> Iterator[tuple[Ring, ...]]:
    if not isinstance(geometry, dict):
        raise CoverageFileError(path, f"{where}: no geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        parts = [coords]
    elif kind == "MultiPolygon" and isinstance(coords, list):
        parts = coords
    else:
        raise CoverageFileError(path, f"{where}: expected a Polygon or MultiPolygon, "
                                      f"got {kind!r}")
    for part in parts:
        if not isinstance(part, list) or not part:
            raise CoverageFileError(path, f"{where}: a polygon is a list of rings")
        yield tuple(_ring(path, where, ring) for ring in part)


def _where(n: int, feature: dict[str, Any]) -> str:
    name = (feature.get("properties") or {}).get("name")
    return f"feature {n + 1}" + (f" ({name})" if isinstance(name, str) else "")


def read_area(path: Path) -> list[Polygon]:
    """The polygons of the area of interest."""
    out = [Polygon(rings)
           for n, feature in enumerate(_read(path))
           for rings in _polygons(path, _where(n, feature), feature.get("geometry"))]
    if not out:
        raise CoverageFileError(path, "holds no polygon")
    return out


def read_weights(path: Path) -> list[Polygon]:
    """Polygons with their demand weight (``properties.weight``, a number ≥ 0); where
    they overlap, the later feature's weight counts."""
    out: list[Polygon] = []
    for n, feature in enumerate(_read(path)):
        where = _where(n, feature)
        weight = (feature.get("properties") or {}).get("weight")
        if (isinstance(weight, bool) or not isinstance(weight, int | float)
                or not math.isfinite(weight) or weight < 0):
            raise CoverageFileError(path, f"{where}: properties.weight must be a number ≥ 0")
        out.extend(Polygon(rings, float(weight))
                   for rings in _polygons(path, where, feature.get("geometry")))
    return out


def read_points(path: Path) -> list[tuple[float, float]]:
    """Candidate positions as (lat, lon)."""
    out: list[tuple[float, float]] = []
    for n, feature in enumerate(_read(path)):
        where = _where(n, feature)
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Point", "MultiPoint"):
            raise CoverageFileError(path, f"{where}: expected a Point or MultiPoint")
        coords = geometry.get("coordinates")
        points = [coords] if geometry["type"] == "Point" else coords
        if not isinstance(points, list):
            raise CoverageFileError(path, f"{where}: no coordinates")
        for point in points:
            lon, lat = _position(path, where, point)
            out.append((lat, lon))
    if not out:
        raise CoverageFileError(path, "holds no point")
    return out
