"""The one reach rule: a cell is within reach of a point when the WGS-84 geodesic from
the point to the cell's centre is at most the reach (straight line, no paths).

Distances are computed for whole arrays with the ellipsoid's radii of curvature at the
pair's middle latitude; up to 1 km that differs from the geodesic by less than 10⁻⁷ m
(tests/coverage/test_reach.py checks it against geopy). Only a pair within
:data:`BORDERLINE_M` of the reach is decided by the geodesic itself
(:func:`maps.geo.distance_m`, bit-identical to geopy), so the answer equals a brute-force
geodesic check of every cell, which the benchmark verifies.

No spatial index is needed: the cells are a raster, so the candidates of a point are a
window of rows and columns found by arithmetic, filtered in one array operation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.coverage.grid import E2, A, Grid
from maps.geo import bbox_around, distance_m

#: Pairs this close to the reach are decided by the geodesic (the approximation is
#: a thousand times better than this).
BORDERLINE_M = 1e-4
#: Points per vectorised batch (bounds the temporary arrays).
BATCH = 2048


def approx_distance_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                      lon2: np.ndarray) -> np.ndarray:
    """Distances in metres for short lines (see the module's docstring)."""
    phi = np.radians((lat1 + lat2) / 2)
    s = np.sin(phi)
    w = np.sqrt(1 - E2 * s * s)
    north = A * (1 - E2) / w**3 * np.radians(lat2 - lat1)
    east = A / w * np.cos(phi) * np.radians(lon2 - lon1)
    return np.hypot(north, east)


def _window(grid: Grid, reach_m: float, lat: float) -> tuple[int, int]:
    """Half-heights of the candidate window in rows and columns."""
    _, _, max_lat, max_lon = bbox_around(lat, 0.0, reach_m)
    return (int(np.ceil((max_lat - lat) / grid.dlat)) + 1,
            int(np.ceil(max_lon / grid.dlon)) + 1)


def cells_within(grid: Grid, points: Sequence[tuple[float, float]],
                 reach_m: float) -> list[np.ndarray]:
    """For each (lat, lon), the cell numbers within reach, ascending."""
    out: list[np.ndarray] = []
    if not len(points):
        return out
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    half_r, half_c = _window(grid, reach_m, float(np.abs(pts[:, 0]).max()))
    dr = np.arange(-half_r, half_r + 1)
    dc = np.arange(-half_c, half_c + 1)
    for start in range(0, len(pts), BATCH):
        out.extend(_batch(grid, pts[start:start + BATCH], reach_m, dr, dc))
    return out


def _batch(grid: Grid, pts: np.ndarray, reach_m: float, dr: np.ndarray,
           dc: np.ndarray) -> list[np.ndarray]:
    lat, lon = pts[:, 0], pts[:, 1]
    row = np.floor((lat - grid.lat0) / grid.dlat).astype(np.int64)
    col = np.floor((lon - grid.lon0) / grid.dlon).astype(np.int64)
    rows = row[:, None] + dr[None, :]  # (points, window rows)
    cols = col[:, None] + dc[None, :]  # (points, window columns)
    # The formula of approx_distance_m, its trigonometry once per window row: a cell's
    # latitude depends on its row alone, its longitude on its column alone.
    cell_lat = grid.lat0 + (rows + 0.5) * grid.dlat
    cell_lon = grid.lon0 + (cols + 0.5) * grid.dlon
    phi = np.radians((lat[:, None] + cell_lat) / 2)
    s = np.sin(phi)
    w = np.sqrt(1 - E2 * s * s)
    north = A * (1 - E2) / w**3 * np.radians(cell_lat - lat[:, None])
    east_scale = A / w * np.cos(phi)
    east_angle = np.radians(cell_lon - lon[:, None])
    dist = np.hypot(north[:, :, None], east_scale[:, :, None] * east_angle[:, None, :])
    valid = (((rows >= 0) & (rows < grid.rows))[:, :, None]
             & ((cols >= 0) & (cols < grid.cols))[:, None, :])
    raster = np.where(valid, rows[:, :, None] * grid.cols + cols[:, None, :], 0)
    cells = np.where(valid, grid.lookup[raster], -1).reshape(len(pts), -1)
    dist = dist.reshape(len(pts), -1)
    inside = (cells >= 0) & (dist <= reach_m)
    near = (cells >= 0) & (np.abs(dist - reach_m) <= BORDERLINE_M)
    for i, j in zip(*np.nonzero(near), strict=True):
        c = int(cells[i, j])
        inside[i, j] = distance_m(float(lat[i]), float(lon[i]), float(grid.lat[c]),
                                  float(grid.lon[c])) <= reach_m
    # Row-major window over a row-major raster: each point's cells come out ascending.
    return [cells[i][inside[i]] for i in range(len(pts))]
