"""Coverage at a moment as compact arrays, for the API and the map's coverage layer.

The grid is six numbers (south-west corner, steps in degrees, rows, columns); the cells
are runs of consecutive raster indices (row-major), ``[start, length, ...]``; whether
each cell is covered is one bit per cell in that order, most significant bit first,
base64. 80,000 cells take about 13 kB. The browser draws them from that alone
(maps/static/coverage.js).
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import numpy as np

from app.coverage.grid import Grid
from app.coverage.model import Moment
from maps.geo import wgs84_to_gcj02

Coords = Literal["wgs84", "gcj02"]


def grid_shape(grid: Grid, coords: Coords = "wgs84") -> dict[str, Any]:
    """The raster; for a GCJ-02 map shifted by the GCJ-02 offset at its centre (which
    varies by a few metres across a district, far less than a cell)."""
    lat0, lon0 = grid.lat0, grid.lon0
    if coords == "gcj02":
        mid_lat = lat0 + grid.rows * grid.dlat / 2
        mid_lon = lon0 + grid.cols * grid.dlon / 2
        g_lat, g_lon = wgs84_to_gcj02(mid_lat, mid_lon)
        lat0, lon0 = lat0 + g_lat - mid_lat, lon0 + g_lon - mid_lon
    return {"lat0": lat0, "lon0": lon0, "dlat": grid.dlat, "dlon": grid.dlon,
            "rows": grid.rows, "cols": grid.cols, "cell_m": grid.cell_m, "coords": coords}


def bits(mask: np.ndarray) -> str:
    return base64.b64encode(np.packbits(mask.astype(np.uint8)).tobytes()).decode("ascii")


def moment_payload(grid: Grid, reach_m: float, moment: Moment,
                   coords: Coords = "wgs84") -> dict[str, Any]:
    covered = moment.covered
    return {
        "at": moment.at.isoformat(),
        "share": round(moment.share, 6),
        "cells": grid.size,
        "covered": int(covered.sum()),
        "reach_m": reach_m,
        "grid": grid_shape(grid, coords),
        "runs": grid.runs(),
        "covered_bits": bits(covered),
    }
