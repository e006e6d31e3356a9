"""The metric grid over the area of interest.

Cells are squares of ``cell_m`` metres at the area's middle latitude, laid on a raster
of constant latitude and longitude steps (so a cell is found from a position by two
divisions, and the browser draws the raster from six numbers). A raster cell belongs to
the area when its centre lies inside one of the area's polygons; those are the *cells*,
numbered in row-major raster order. Across a district the cells' true size differs from
``cell_m`` by far less than a metre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.coverage.geojson import Polygon

# WGS-84.
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(metres per degree of latitude, of longitude) at ``lat``, on the ellipsoid."""
    s = math.sin(math.radians(lat))
    w = math.sqrt(1 - E2 * s * s)
    meridional = A * (1 - E2) / w**3
    normal = A / w
    return meridional * math.pi / 180, normal * math.cos(math.radians(lat)) * math.pi / 180


@dataclass(frozen=True, eq=False)
class Grid:
    """The raster (origin, steps, shape) and its cells: centre, weight, raster index."""

    lat0: float  # south edge
    lon0: float  # west edge
    dlat: float  # degrees per row
    dlon: float  # degrees per column
    rows: int
    cols: int
    cell_m: float
    #: Raster index (row * cols + col) of each cell, ascending.
    index: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    weight: np.ndarray
    #: Raster index -> cell number, -1 outside the area.
    lookup: np.ndarray

    @property
    def size(self) -> int:
        return len(self.index)

    @property
    def total_weight(self) -> float:
        return float(self.weight.sum())

    def centre(self, raster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _centres(raster, self.lat0, self.lon0, self.dlat, self.dlon, self.cols)

    def runs(self) -> list[int]:
        """The cells as runs of consecutive raster indices: [start, length, ...]."""
        if not self.size:
            return []
        breaks = np.flatnonzero(np.diff(self.index) != 1) + 1
        starts = np.concatenate(([0], breaks))
        ends = np.concatenate((breaks, [self.size]))
        out = np.empty(2 * len(starts), dtype=np.int64)
        out[0::2] = self.index[starts]
        out[1::2] = ends - starts
        return out.tolist()

    def cells_in_box(self, min_lat: float, min_lon: float, max_lat: float,
                     max_lon: float) -> np.ndarray:
        """Cell numbers whose centres lie in the box, ascending."""
        r0 = max(0, math.floor((min_lat - self.lat0) / self.dlat - 0.5))
        r1 = min(self.rows - 1, math.ceil((max_lat - self.lat0) / self.dlat - 0.5))
        c0 = max(0, math.floor((min_lon - self.lon0) / self.dlon - 0.5))
        c1 = min(self.cols - 1, math.ceil((max_lon - self.lon0) / self.dlon - 0.5))
        if r0 > r1 or c0 > c1:
            return np.empty(0, dtype=np.int64)
        rows = np.arange(r0, r1 + 1)
        cols = np.arange(c0, c1 + 1)
        raster = (rows[:, None] * self.cols + cols[None, :]).ravel()
        cells = self.lookup[raster]
        return cells[cells >= 0].astype(np.int64)


def make_grid(area: Sequence[Polygon], cell_m: float,
              weights: Sequence[Polygon] = ()) -> Grid:
    """Rasterise the area: every raster cell whose centre is inside a polygon."""
    bounds = np.array([p.bounds for p in area])
    min_lat, min_lon = bounds[:, 0].min(), bounds[:, 1].min()
    max_lat, max_lon = bounds[:, 2].max(), bounds[:, 3].max()
    m_lat, m_lon = metres_per_degree((min_lat + max_lat) / 2)
    dlat, dlon = cell_m / m_lat, cell_m / m_lon
    rows = max(1, math.ceil((max_lat - min_lat) / dlat))
    cols = max(1, math.ceil((max_lon - min_lon) / dlon))
    inside = np.zeros(rows * cols, dtype=bool)
    for polygon in area:
        raster = _raster_in_box(polygon.bounds, min_lat, min_lon, dlat, dlon, rows, cols)
        lat, lon = _centres(raster, min_lat, min_lon, dlat, dlon, cols)
        inside[raster[polygon.contains(lat, lon)]] = True
    index = np.flatnonzero(inside).astype(np.int64)
    lat, lon = _centres(index, min_lat, min_lon, dlat, dlon, cols)
    weight = np.ones(len(index), dtype=np.float64)
    for polygon in weights:
        weight[polygon.contains(lat, lon)] = polygon.weight
    lookup = np.full(rows * cols, -1, dtype=np.int64)
    lookup[index] = np.arange(len(index))
    return Grid(float(min_lat), float(min_lon), dlat, dlon, rows, cols, cell_m, index,
                lat, lon, weight, lookup)


def _centres(raster: np.ndarray, lat0: float, lon0: float, dlat: float, dlon: float,
             cols: int) -> tuple[np.ndarray, np.ndarray]:
    rows, col = np.divmod(raster, cols)
    return lat0 + (rows + 0.5) * dlat, lon0 + (col + 0.5) * dlon


def _raster_in_box(bounds: tuple[float, float, float, float], lat0: float, lon0: float,
                   dlat: float, dlon: float, rows: int, cols: int) -> np.ndarray:
    min_lat, min_lon, max_lat, max_lon = bounds
    r0 = max(0, math.floor((min_lat - lat0) / dlat))
    r1 = min(rows - 1, math.ceil((max_lat - lat0) / dlat))
    c0 = max(0, math.floor((min_lon - lon0) / dlon))
    c1 = min(cols - 1, math.ceil((max_lon - lon0) / dlon))
    r = np.arange(r0, r1 + 1)
    c = np.arange(c0, c1 + 1)
    return (r[:, None] * cols + c[None, :]).ravel()
